//! The 1-D Reed–Solomon code of both axes (§2): reed-solomon-simd 3.1.0, called directly so the
//! parity is byte-identical to Walrus. Encoders and decoders are kept per thread and `reset`
//! between calls instead of being rebuilt.
//!
//! Index convention (everywhere in Walrus): symbol `i < k` is original shard `i`, symbol `i ≥ k`
//! is recovery shard `i − k`.

use std::cell::RefCell;

use reed_solomon_simd::{ReedSolomonDecoder, ReedSolomonEncoder};
use thiserror::Error;

/// reed-solomon-simd rejected a call. With validated parameters this only happens for duplicate
/// or out-of-range symbol indices given to a decoder.
#[derive(Debug, Error, Clone, Copy, PartialEq)]
#[error("Reed-Solomon coding failed: {0}")]
pub struct ReedSolomonError(#[from] pub reed_solomon_simd::Error);

/// A coder whose work buffer would exceed this is used once and dropped rather than kept in the
/// thread-local cache, so one huge call does not pin its memory for the life of the thread.
const MAX_CACHED_WORK_BYTES: usize = 64 << 20;

thread_local! {
    static ENCODER: RefCell<Option<ReedSolomonEncoder>> = const { RefCell::new(None) };
    static DECODER: RefCell<Option<ReedSolomonDecoder>> = const { RefCell::new(None) };
}

/// An upper bound of reed-solomon-simd's work buffer for these parameters.
fn work_bytes(original_count: usize, recovery_count: usize, shard_bytes: usize) -> usize {
    let shards = original_count.next_power_of_two() + recovery_count.next_power_of_two();
    shards
        .saturating_mul(2)
        .saturating_mul(shard_bytes.next_multiple_of(64))
}

/// Runs `body` with this thread's encoder, reset to `k = original_count`, `recovery_count`
/// parity shards and shards of `shard_bytes` bytes.
pub(crate) fn with_encoder<T>(
    original_count: usize,
    recovery_count: usize,
    shard_bytes: usize,
    body: impl FnOnce(&mut ReedSolomonEncoder) -> Result<T, ReedSolomonError>,
) -> Result<T, ReedSolomonError> {
    let cacheable =
        work_bytes(original_count, recovery_count, shard_bytes) <= MAX_CACHED_WORK_BYTES;
    ENCODER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) if cacheable => {
            let encoder = match slot.as_mut() {
                Some(encoder) => {
                    encoder.reset(original_count, recovery_count, shard_bytes)?;
                    encoder
                }
                None => slot.insert(ReedSolomonEncoder::new(
                    original_count,
                    recovery_count,
                    shard_bytes,
                )?),
            };
            body(encoder)
        }
        _ => body(&mut ReedSolomonEncoder::new(
            original_count,
            recovery_count,
            shard_bytes,
        )?),
    })
}

/// Runs `body` with this thread's decoder, reset like [`with_encoder`].
pub(crate) fn with_decoder<T>(
    original_count: usize,
    recovery_count: usize,
    shard_bytes: usize,
    body: impl FnOnce(&mut ReedSolomonDecoder) -> Result<T, ReedSolomonError>,
) -> Result<T, ReedSolomonError> {
    let cacheable =
        2 * work_bytes(original_count, recovery_count, shard_bytes) <= MAX_CACHED_WORK_BYTES;
    DECODER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) if cacheable => {
            let decoder = match slot.as_mut() {
                Some(decoder) => {
                    decoder.reset(original_count, recovery_count, shard_bytes)?;
                    decoder
                }
                None => slot.insert(ReedSolomonDecoder::new(
                    original_count,
                    recovery_count,
                    shard_bytes,
                )?),
            };
            body(decoder)
        }
        _ => body(&mut ReedSolomonDecoder::new(
            original_count,
            recovery_count,
            shard_bytes,
        )?),
    })
}

/// Encodes one codeword: `originals` holds `k` symbols of `symbol_size` bytes back to back;
/// returns the `recovery_count` parity symbols back to back.
pub(crate) fn encode_symbols(
    originals: &[u8],
    symbol_size: usize,
    recovery_count: usize,
) -> Result<Vec<u8>, ReedSolomonError> {
    let original_count = originals.len() / symbol_size;
    with_encoder(original_count, recovery_count, symbol_size, |encoder| {
        for symbol in originals.chunks_exact(symbol_size) {
            encoder.add_original_shard(symbol)?;
        }
        let result = encoder.encode()?;
        let mut parity = Vec::with_capacity(recovery_count * symbol_size);
        for symbol in result.recovery_iter() {
            parity.extend_from_slice(symbol);
        }
        Ok(parity)
    })
}

/// Decodes one codeword of `k = original_count` source symbols from `(index, symbol)` pairs
/// (at least `k` distinct indices below `original_count + recovery_count`); returns the `k`
/// source symbols back to back.
pub(crate) fn decode_symbols<'a>(
    original_count: usize,
    recovery_count: usize,
    symbol_size: usize,
    symbols: impl IntoIterator<Item = (usize, &'a [u8])>,
) -> Result<Vec<u8>, ReedSolomonError> {
    let mut output = vec![0u8; original_count * symbol_size];
    with_decoder(original_count, recovery_count, symbol_size, |decoder| {
        for (index, symbol) in symbols {
            if index < original_count {
                // The decoder rejects a wrong-sized symbol before it is copied.
                decoder.add_original_shard(index, symbol)?;
                output[index * symbol_size..(index + 1) * symbol_size].copy_from_slice(symbol);
            } else {
                decoder.add_recovery_shard(index - original_count, symbol)?;
            }
        }
        let result = decoder.decode()?;
        for (index, symbol) in result.restored_original_iter() {
            output[index * symbol_size..(index + 1) * symbol_size].copy_from_slice(symbol);
        }
        Ok(())
    })?;
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wide::WideLayout;

    fn data(length: usize, seed: usize) -> Vec<u8> {
        (0..length)
            .map(|i| ((i * 131 + seed * 17) % 251) as u8)
            .collect()
    }

    /// Coding `lanes` codewords in one call with a [`WideLayout`] gives exactly the parity of
    /// coding each one on its own; the same holds for decoding.
    #[test]
    fn wide_shards_equal_per_lane_coding() {
        for (k, m) in [(2usize, 2usize), (3, 1), (4, 6), (7, 3), (34, 66), (67, 33)] {
            for symbol_size in [2usize, 6, 62, 64, 66, 130, 302] {
                for lanes in [1usize, 2, 5, 16] {
                    let layout = WideLayout::new(symbol_size, lanes);
                    // codewords[lane] = k original symbols.
                    let codewords: Vec<Vec<u8>> =
                        (0..lanes).map(|lane| data(k * symbol_size, lane)).collect();
                    let single: Vec<Vec<u8>> = codewords
                        .iter()
                        .map(|originals| encode_symbols(originals, symbol_size, m).unwrap())
                        .collect();
                    let mut wide_parity = Vec::new();
                    with_encoder(k, m, layout.shard_bytes(), |encoder| {
                        let mut wide = vec![0u8; layout.shard_bytes()];
                        for i in 0..k {
                            for (lane, originals) in codewords.iter().enumerate() {
                                layout.pack(
                                    lane,
                                    &originals[i * symbol_size..(i + 1) * symbol_size],
                                    &mut wide,
                                );
                            }
                            encoder.add_original_shard(&wide)?;
                        }
                        let result = encoder.encode()?;
                        wide_parity = result.recovery_iter().map(<[u8]>::to_vec).collect();
                        Ok(())
                    })
                    .unwrap();
                    for (j, wide) in wide_parity.iter().enumerate() {
                        for (lane, parity) in single.iter().enumerate() {
                            let mut symbol = vec![0u8; symbol_size];
                            layout.unpack(lane, wide, &mut symbol);
                            assert_eq!(
                                symbol,
                                parity[j * symbol_size..(j + 1) * symbol_size],
                                "k={k} m={m} s={symbol_size} lanes={lanes} parity {j} lane {lane}"
                            );
                        }
                    }

                    // Decode from the last k symbols (mostly parity) in one wide call.
                    let indices: Vec<usize> = (m..k + m).collect();
                    let symbol_of = |lane: usize, index: usize| -> &[u8] {
                        if index < k {
                            &codewords[lane][index * symbol_size..(index + 1) * symbol_size]
                        } else {
                            let j = index - k;
                            &single[lane][j * symbol_size..(j + 1) * symbol_size]
                        }
                    };
                    with_decoder(k, m, layout.shard_bytes(), |decoder| {
                        let mut wide = vec![0u8; layout.shard_bytes()];
                        for &index in &indices {
                            for lane in 0..lanes {
                                layout.pack(lane, symbol_of(lane, index), &mut wide);
                            }
                            if index < k {
                                decoder.add_original_shard(index, &wide)?;
                            } else {
                                decoder.add_recovery_shard(index - k, &wide)?;
                            }
                        }
                        let result = decoder.decode()?;
                        for (index, wide) in result.restored_original_iter() {
                            for lane in 0..lanes {
                                let mut symbol = vec![0u8; symbol_size];
                                layout.unpack(lane, wide, &mut symbol);
                                assert_eq!(symbol, symbol_of(lane, index));
                            }
                        }
                        Ok(())
                    })
                    .unwrap();
                }
            }
        }
    }

    #[test]
    fn decode_symbols_roundtrip_and_errors() {
        let originals = data(7 * 4, 1);
        let parity = encode_symbols(&originals, 4, 3).unwrap();
        let all: Vec<&[u8]> = originals.chunks(4).chain(parity.chunks(4)).collect();
        let chosen = [9usize, 0, 8, 3, 7, 5, 2];
        let decoded = decode_symbols(7, 3, 4, chosen.iter().map(|&i| (i, all[i]))).unwrap();
        assert_eq!(decoded, originals);
        // Too few symbols, and a duplicate, are errors rather than panics.
        assert!(decode_symbols(7, 3, 4, chosen[..6].iter().map(|&i| (i, all[i]))).is_err());
        assert!(decode_symbols(7, 3, 4, [(1, all[1]), (1, all[1])]).is_err());
        assert!(decode_symbols(7, 3, 4, [(1, &all[1][..2])]).is_err());
        assert!(decode_symbols(7, 3, 4, [(12, all[1])]).is_err());
    }
}
