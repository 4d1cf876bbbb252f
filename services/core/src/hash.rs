//! BLAKE2b-256 (BLAKE2b with a 32-byte digest, not truncated BLAKE2b-512; §4) and batched
//! multi-buffer hashing of Merkle leaves and inner nodes.
//!
//! Leaf and inner-node hashes dominate encoding and verification time, so they are hashed many
//! at a time: eight lanes with AVX-512 where the CPU has it ([`x8`]), otherwise
//! `blake2b_simd::many` (four lanes with AVX2).

use std::sync::LazyLock;

use blake2b_simd::{
    Params,
    many::{HashManyJob, hash_many},
};

mod x8;

/// The length of a digest in bytes.
pub const DIGEST_LENGTH: usize = 32;

/// A 32-byte BLAKE2b-256 digest.
pub type Digest = [u8; DIGEST_LENGTH];

/// Domain-separation prefix of a Merkle leaf.
pub(crate) const LEAF_PREFIX: u8 = 0x00;
/// Domain-separation prefix of a Merkle inner node.
pub(crate) const INNER_PREFIX: u8 = 0x01;

/// How many messages go to one `hash_many` call.
const BATCH: usize = 32;

static PARAMS: LazyLock<Params> = LazyLock::new(|| {
    let mut params = Params::new();
    params.hash_length(DIGEST_LENGTH);
    params
});

fn to_digest(hash: &blake2b_simd::Hash) -> Digest {
    let mut digest = [0u8; DIGEST_LENGTH];
    digest.copy_from_slice(&hash.as_bytes()[..DIGEST_LENGTH]);
    digest
}

/// Which multi-message BLAKE2b the batch hashers use on this machine (for benchmark reports).
pub fn batch_hash_backend() -> &'static str {
    if x8::available() {
        "AVX-512, 8 lanes"
    } else {
        "blake2b_simd (4 lanes with AVX2)"
    }
}

/// BLAKE2b-256 of `data`.
pub fn blake2b256(data: &[u8]) -> Digest {
    to_digest(&PARAMS.hash(data))
}

/// BLAKE2b-256 of the concatenation of `parts`.
pub(crate) fn blake2b256_parts(parts: &[&[u8]]) -> Digest {
    let mut state = PARAMS.to_state();
    for part in parts {
        state.update(part);
    }
    to_digest(&state.finalize())
}

/// Symbols at least this long are hashed by [`LeafHasher`] (no copy); shorter ones by
/// [`BatchHasher`], whose copy costs less than `LeafHasher`'s single-lane first and last blocks.
/// Measured with `cargo bench -p walrus-core --bench encoding -- verify`, alternating builds: at
/// n = 100 and 64 MiB (29 KiB symbols) `LeafHasher` took 4-10 % less CPU on one thread in five
/// of five pairs; at n = 1000 (300-byte symbols) about 30 % more.
const LEAF_HASHER_MIN_SYMBOL: usize = 8 << 10;

/// Writes the Merkle leaf hash of each of `symbols` (`symbol_size` bytes, a short one
/// zero-padded) to the matching `destinations`, with whichever batch hasher is faster for the size.
pub(crate) fn leaf_hashes_into<'a>(
    destinations: &mut [Digest],
    symbols: impl Iterator<Item = &'a [u8]>,
    symbol_size: usize,
) {
    if symbol_size >= LEAF_HASHER_MIN_SYMBOL {
        let mut hasher = LeafHasher::new(symbol_size);
        for (leaf, symbol) in destinations.iter_mut().zip(symbols) {
            hasher.push(leaf, symbol);
        }
        hasher.finish();
    } else {
        let mut hasher = BatchHasher::for_leaves(symbol_size);
        for (leaf, symbol) in destinations.iter_mut().zip(symbols) {
            hasher.push_leaf(leaf, symbol);
        }
        hasher.finish();
    }
}

/// Hashes Merkle leaves `0x00 ‖ symbol` of `symbol_size`-byte symbols straight from the symbols'
/// memory, [`BATCH`] at a time with multi-buffer SIMD (`update_many`): unlike
/// [`BatchHasher::push_leaf`] nothing is copied into (or zeroed in) a scratch buffer first. A
/// short symbol is zero-padded to the symbol size, as there.
pub(crate) struct LeafHasher<'a> {
    symbol_size: usize,
    queued: Vec<(&'a mut Digest, &'a [u8])>,
}

impl<'a> LeafHasher<'a> {
    pub(crate) fn new(symbol_size: usize) -> Self {
        Self {
            symbol_size,
            queued: Vec::with_capacity(BATCH),
        }
    }

    /// Queues the leaf of `symbol`; its digest is written to `destination` at the latest by
    /// [`finish`](Self::finish).
    pub(crate) fn push(&mut self, destination: &'a mut Digest, symbol: &'a [u8]) {
        self.queued.push((destination, symbol));
        if self.queued.len() == BATCH {
            self.flush();
        }
    }

    /// Hashes everything queued.
    pub(crate) fn finish(mut self) {
        self.flush();
    }

    fn flush(&mut self) {
        let size = self.symbol_size;
        if x8::available() {
            // Full-length symbols take the eight-lane path (a last group of two to seven too); the
            // rest stay queued.
            let (full, short): (Vec<_>, Vec<_>) =
                self.queued.drain(..).partition(|(_, s)| s.len() >= size);
            self.queued = short;
            let mut full = full.into_iter();
            while full.len() >= 2 {
                let group: Vec<_> = full.by_ref().take(8).collect();
                let messages: Vec<&[u8]> = group.iter().map(|(_, s)| &s[..size]).collect();
                let digests = x8::hash_lanes(Some(LEAF_PREFIX), &messages);
                for ((destination, _), digest) in group.into_iter().zip(digests) {
                    *destination = digest;
                }
            }
            self.queued.extend(full);
        }
        let mut states: Vec<blake2b_simd::State> = self
            .queued
            .iter()
            .map(|_| {
                let mut state = PARAMS.to_state();
                state.update(&[LEAF_PREFIX]);
                state
            })
            .collect();
        blake2b_simd::many::update_many(
            states.iter_mut().zip(
                self.queued
                    .iter()
                    .map(|(_, symbol)| &symbol[..symbol.len().min(size)]),
            ),
        );
        for (state, (destination, symbol)) in states.iter_mut().zip(self.queued.drain(..)) {
            if symbol.len() < size {
                state.update(&vec![0u8; size - symbol.len()]);
            }
            *destination = to_digest(&state.finalize());
        }
    }
}

/// Hashes many messages of the same length `message_length`, built in place by a callback, with
/// multi-buffer SIMD. Each message is written into a scratch slot by `fill`, then its digest goes
/// to the destination pushed with it.
pub(crate) struct BatchHasher<'a> {
    message_length: usize,
    scratch: Vec<u8>,
    destinations: Vec<&'a mut Digest>,
}

impl<'a> BatchHasher<'a> {
    /// A hasher for messages of `message_length` bytes.
    pub(crate) fn new(message_length: usize) -> Self {
        Self {
            message_length,
            scratch: Vec::with_capacity(BATCH * message_length),
            destinations: Vec::with_capacity(BATCH),
        }
    }

    /// A hasher for Merkle leaves over symbols of `symbol_size` bytes (`0x00 ‖ symbol`).
    pub(crate) fn for_leaves(symbol_size: usize) -> Self {
        Self::new(1 + symbol_size)
    }

    /// Queues the message that `fill` writes (into a zeroed slot of `message_length` bytes); its
    /// digest is written to `destination` at the latest by [`finish`](Self::finish).
    pub(crate) fn push_with(&mut self, destination: &'a mut Digest, fill: impl FnOnce(&mut [u8])) {
        let start = self.scratch.len();
        self.scratch.resize(start + self.message_length, 0);
        fill(&mut self.scratch[start..]);
        self.destinations.push(destination);
        if self.destinations.len() == BATCH {
            self.flush();
        }
    }

    /// Queues the Merkle leaf `0x00 ‖ symbol`; a short `symbol` is zero-padded to the symbol
    /// size (the zero padding at the end of a blob, §3).
    pub(crate) fn push_leaf(&mut self, destination: &'a mut Digest, symbol: &[u8]) {
        self.push_with(destination, |slot| {
            slot[0] = LEAF_PREFIX;
            let length = symbol.len().min(slot.len() - 1);
            slot[1..1 + length].copy_from_slice(&symbol[..length]);
        });
    }

    /// Hashes everything queued.
    pub(crate) fn finish(mut self) {
        self.flush();
    }

    fn flush(&mut self) {
        if self.destinations.is_empty() {
            return;
        }
        let mut messages = self.scratch.chunks_exact(self.message_length);
        let mut destinations = self.destinations.drain(..);
        if x8::available() {
            while messages.len() >= 2 {
                let group: Vec<&[u8]> = messages.by_ref().take(8).collect();
                for (digest, destination) in x8::hash_lanes(None, &group).zip(destinations.by_ref())
                {
                    *destination = digest;
                }
            }
        }
        let params = &*PARAMS;
        let mut jobs: Vec<HashManyJob<'_>> = messages
            .map(|message| HashManyJob::new(params, message))
            .collect();
        hash_many(jobs.iter_mut());
        for (job, destination) in jobs.iter().zip(destinations) {
            *destination = to_digest(&job.to_hash());
        }
        self.scratch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blake2b256_is_not_truncated_blake2b512() {
        // Python: hashlib.blake2b(b"", digest_size=32).hexdigest()
        assert_eq!(
            hex::encode(blake2b256(b"")),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
        );
    }

    /// Runs `check` with the eight-lane path (where the CPU has it) and without it.
    fn both_paths(check: impl Fn()) {
        check();
        x8::without(check);
    }

    #[test]
    fn leaf_hasher_matches_one_by_one_and_pads_short_symbols() {
        both_paths(leaf_hasher_check);
    }

    fn leaf_hasher_check() {
        for (count, size) in [
            (0usize, 16),
            (1, 16),
            (5, 300),
            (32, 129),
            (33, 1),
            (100, 2048),
        ] {
            let symbols: Vec<Vec<u8>> = (0..count)
                .map(|i| {
                    (0..size - (i % 3).min(size))
                        .map(|j| (i * 7 + j) as u8)
                        .collect()
                })
                .collect();
            let mut digests = vec![[0u8; DIGEST_LENGTH]; count];
            let mut hasher = LeafHasher::new(size);
            for (digest, symbol) in digests.iter_mut().zip(&symbols) {
                hasher.push(digest, symbol);
            }
            hasher.finish();
            for (digest, symbol) in digests.iter().zip(&symbols) {
                let mut padded = symbol.clone();
                padded.resize(size, 0);
                assert_eq!(*digest, blake2b256_parts(&[&[LEAF_PREFIX], &padded]));
            }
        }
    }

    #[test]
    fn leaf_hashes_are_the_same_on_both_sides_of_the_hasher_switch() {
        both_paths(hasher_switch_check);
    }

    fn hasher_switch_check() {
        for size in [LEAF_HASHER_MIN_SYMBOL - 1, LEAF_HASHER_MIN_SYMBOL] {
            let symbols: Vec<Vec<u8>> = (0..37)
                .map(|i| (0..size - i % 2).map(|j| (i + j * 3) as u8).collect())
                .collect();
            let mut digests = vec![[0u8; DIGEST_LENGTH]; symbols.len()];
            leaf_hashes_into(&mut digests, symbols.iter().map(Vec::as_slice), size);
            for (digest, symbol) in digests.iter().zip(&symbols) {
                let mut padded = symbol.clone();
                padded.resize(size, 0);
                assert_eq!(*digest, blake2b256_parts(&[&[LEAF_PREFIX], &padded]));
            }
        }
    }

    #[test]
    fn batch_hasher_matches_one_by_one() {
        both_paths(batch_hasher_check);
    }

    fn batch_hasher_check() {
        for count in [0usize, 1, 3, 4, 31, 32, 33, 100] {
            let symbols: Vec<Vec<u8>> = (0..count)
                .map(|i| (0..7).map(|j| (i * 7 + j) as u8).collect())
                .collect();
            let mut digests = vec![[0u8; 32]; count];
            let mut hasher = BatchHasher::for_leaves(8);
            for (digest, symbol) in digests.iter_mut().zip(&symbols) {
                hasher.push_leaf(digest, symbol);
            }
            hasher.finish();
            for (digest, symbol) in digests.iter().zip(&symbols) {
                let mut padded = symbol.clone();
                padded.resize(8, 0);
                assert_eq!(*digest, blake2b256_parts(&[&[LEAF_PREFIX], &padded]));
            }
        }
    }
}
