//! "Wide shards": many independent Reed–Solomon codewords in one reed-solomon-simd call.
//!
//! The code acts on each GF(2^16) element position independently, with the same coefficients at
//! every position. So `lanes` codewords of `s`-byte symbols can be coded at once as one codeword
//! of `lanes · s`-byte shards, provided each element of each lane lands on an element of the wide
//! shard. Plain concatenation does not do that unless `s % 64 == 0`: reed-solomon-simd reads a
//! shard as 64-byte blocks (bytes 0–31 the low bytes of 32 elements, 32–63 their high bytes) and a
//! final partial block of `t` bytes as `t/2` low bytes then `t/2` high bytes (§2). A symbol of
//! `s = 64b + t` bytes therefore holds `b` whole blocks plus `t/2` "tail" elements.
//!
//! [`WideLayout`] places lane `k`'s whole blocks at `[64·b·k, 64·b·(k+1))` and gathers all tail
//! elements (lane-major) into the end of the shard, laid out the way the crate reads blocks. Its
//! size is exactly `lanes · s` bytes. Tests in `reed_solomon` check the result against coding
//! every lane on its own.

/// Where the bytes of each lane's symbol live inside a wide shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WideLayout {
    symbol_size: usize,
    lanes: usize,
    /// Bytes of whole 64-byte blocks per symbol (`64·b`).
    block_bytes: usize,
    /// Tail elements per symbol (`t/2`).
    tail_elements: usize,
    /// Number of whole 32-element blocks in the tail region.
    tail_whole_blocks: usize,
    /// Elements in the final partial block of the tail region.
    tail_partial_elements: usize,
}

impl WideLayout {
    /// The layout of `lanes` symbols of `symbol_size` (even) bytes each.
    pub(crate) fn new(symbol_size: usize, lanes: usize) -> Self {
        debug_assert!(symbol_size.is_multiple_of(2) && lanes > 0);
        let tail_elements = (symbol_size % 64) / 2;
        let total_tail = tail_elements * lanes;
        Self {
            symbol_size,
            lanes,
            block_bytes: symbol_size - symbol_size % 64,
            tail_elements,
            tail_whole_blocks: total_tail / 32,
            tail_partial_elements: total_tail % 32,
        }
    }

    /// The number of lanes.
    pub(crate) fn lanes(&self) -> usize {
        self.lanes
    }

    /// The wide shard size: `lanes · s`.
    pub(crate) fn shard_bytes(&self) -> usize {
        self.lanes * self.symbol_size
    }

    /// Whether a wide shard is just the lanes' symbols concatenated.
    pub(crate) fn is_concatenation(&self) -> bool {
        self.tail_elements == 0 || self.lanes == 1
    }

    /// Calls `visit(symbol_offset, wide_offset, length)` for each run of bytes of lane `lane`.
    #[inline]
    fn for_each_run(&self, lane: usize, mut visit: impl FnMut(usize, usize, usize)) {
        if self.is_concatenation() {
            visit(0, lane * self.symbol_size, self.symbol_size);
            return;
        }
        if self.block_bytes > 0 {
            visit(0, lane * self.block_bytes, self.block_bytes);
        }
        let tail_start = self.lanes * self.block_bytes;
        let mut element = 0;
        while element < self.tail_elements {
            let global = lane * self.tail_elements + element;
            let block = global / 32;
            let position = global % 32;
            let run = (self.tail_elements - element).min(32 - position);
            let high_offset = if block < self.tail_whole_blocks {
                32
            } else {
                self.tail_partial_elements
            };
            let base = tail_start + 64 * block + position;
            visit(self.block_bytes + element, base, run);
            visit(
                self.block_bytes + self.tail_elements + element,
                base + high_offset,
                run,
            );
            element += run;
        }
    }

    /// Writes lane `lane`'s `symbol` into `wide`. A short `symbol` is zero-padded (the padding at
    /// the end of a blob).
    #[inline]
    pub(crate) fn pack(&self, lane: usize, symbol: &[u8], wide: &mut [u8]) {
        self.for_each_run(lane, |symbol_offset, wide_offset, length| {
            let source = symbol.get(symbol_offset..).unwrap_or_default();
            let available = source.len().min(length);
            let destination = &mut wide[wide_offset..wide_offset + length];
            destination[..available].copy_from_slice(&source[..available]);
            destination[available..].fill(0);
        });
    }

    /// Reads lane `lane`'s symbol out of `wide` into `symbol` (`s` bytes).
    #[inline]
    pub(crate) fn unpack(&self, lane: usize, wide: &[u8], symbol: &mut [u8]) {
        self.for_each_run(lane, |symbol_offset, wide_offset, length| {
            symbol[symbol_offset..symbol_offset + length]
                .copy_from_slice(&wide[wide_offset..wide_offset + length]);
        });
    }

    /// Packs `lanes` consecutive symbols of `symbols` (which may be short: zero padding).
    pub(crate) fn pack_contiguous(&self, symbols: &[u8], wide: &mut [u8]) {
        for lane in 0..self.lanes {
            let start = (lane * self.symbol_size).min(symbols.len());
            let end = ((lane + 1) * self.symbol_size).min(symbols.len());
            self.pack(lane, &symbols[start..end], wide);
        }
    }

    /// Unpacks all lanes into consecutive symbols of `symbols`.
    pub(crate) fn unpack_contiguous(&self, wide: &[u8], symbols: &mut [u8]) {
        for (lane, symbol) in symbols
            .chunks_exact_mut(self.symbol_size)
            .take(self.lanes)
            .enumerate()
        {
            self.unpack(lane, wide, symbol);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The element (low, high) byte positions of a shard of `bytes` bytes, as reed-solomon-simd
    /// reads it (§2).
    fn element_positions(bytes: usize) -> Vec<(usize, usize)> {
        let whole = bytes / 64;
        let tail = bytes % 64;
        let mut positions = Vec::new();
        for block in 0..whole {
            for i in 0..32 {
                positions.push((64 * block + i, 64 * block + 32 + i));
            }
        }
        for i in 0..tail / 2 {
            positions.push((64 * whole + i, 64 * whole + tail / 2 + i));
        }
        positions
    }

    #[test]
    fn every_element_maps_to_an_element() {
        for symbol_size in [2usize, 4, 30, 62, 64, 66, 126, 128, 302, 1206] {
            for lanes in [1usize, 2, 3, 7, 16, 33, 100] {
                let layout = WideLayout::new(symbol_size, lanes);
                let mut wide = vec![0u8; layout.shard_bytes()];
                // Tag every byte of every lane with a unique id.
                let symbols: Vec<Vec<u32>> = (0..lanes)
                    .map(|lane| {
                        (0..symbol_size)
                            .map(|b| (lane * symbol_size + b) as u32)
                            .collect()
                    })
                    .collect();
                // Pack the ids (as u32 via a parallel byte mapping): pack byte indices.
                let mut owner = vec![u32::MAX; layout.shard_bytes()];
                for (lane, ids) in symbols.iter().enumerate() {
                    layout.for_each_run(lane, |symbol_offset, wide_offset, length| {
                        for i in 0..length {
                            assert_eq!(owner[wide_offset + i], u32::MAX, "byte written twice");
                            owner[wide_offset + i] = ids[symbol_offset + i];
                        }
                    });
                }
                assert!(owner.iter().all(|&id| id != u32::MAX), "byte not covered");
                // Each wide element must be one lane element: (lo, hi) of the same lane and the
                // same element index.
                let lane_elements = element_positions(symbol_size);
                let mut lane_element_of = std::collections::HashMap::new();
                for (lane, ids) in symbols.iter().enumerate() {
                    for (e, (lo, hi)) in lane_elements.iter().enumerate() {
                        lane_element_of.insert((ids[*lo], ids[*hi]), (lane, e));
                    }
                }
                for (lo, hi) in element_positions(layout.shard_bytes()) {
                    assert!(
                        lane_element_of.contains_key(&(owner[lo], owner[hi])),
                        "s={symbol_size} lanes={lanes}: wide element is not a lane element"
                    );
                }
                // Round trip of real bytes.
                let data: Vec<u8> = (0..lanes * symbol_size)
                    .map(|i| (i * 31 + 7) as u8)
                    .collect();
                layout.pack_contiguous(&data, &mut wide);
                let mut back = vec![0u8; data.len()];
                layout.unpack_contiguous(&wide, &mut back);
                assert_eq!(back, data);
            }
        }
    }

    #[test]
    fn short_symbols_are_zero_padded() {
        let layout = WideLayout::new(6, 3);
        let mut wide = vec![0xffu8; 18];
        layout.pack_contiguous(&[1, 2, 3, 4, 5, 6, 7, 8], &mut wide);
        let mut back = vec![0u8; 18];
        layout.unpack_contiguous(&wide, &mut back);
        assert_eq!(back, [1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
}
