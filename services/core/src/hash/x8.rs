//! BLAKE2b-256 of eight equal-length messages at once with AVX-512 (RFC 7693).
//!
//! `blake2b_simd` hashes four messages at a time with AVX2 and no more: it has no AVX-512 code.
//! Here each of the sixteen state words is one 512-bit register holding that word of eight
//! messages, and the rotations are single `vprorq` instructions (AVX2 needs shuffles or two
//! shifts and an OR). Measured with `cargo bench -p walrus-core --bench encoding -- verify/`
//! with and without `WALRUS_NO_AVX512=1`: see `services/node/README.md` (session 6).
//!
//! Used only where the CPU reports `avx512f` at run time (checked once), and not when the
//! environment variable `WALRUS_NO_AVX512` is set, which lets the benchmarks compare both paths
//! in one binary; everything else goes through `blake2b_simd`. The tests check the digests
//! against `blake2b_simd` for lengths around every block boundary.

#![allow(unsafe_code)] // SIMD intrinsics; each unsafe block says why it is sound.

use std::sync::LazyLock;

use super::{DIGEST_LENGTH, Digest};

/// Whether [`hash8`] may be called: the CPU has AVX-512F and `WALRUS_NO_AVX512` is unset.
pub(crate) fn available() -> bool {
    static AVAILABLE: LazyLock<bool> =
        LazyLock::new(|| std::env::var_os("WALRUS_NO_AVX512").is_none() && detected());
    #[cfg(test)]
    if tests::DISABLED.get() {
        return false;
    }
    *AVAILABLE
}

/// Runs `body` with [`available`] false on this thread, so tests cover the fallback too.
#[cfg(test)]
pub(crate) fn without<T>(body: impl FnOnce() -> T) -> T {
    tests::DISABLED.set(true);
    let result = body();
    tests::DISABLED.set(false);
    result
}

#[cfg(target_arch = "x86_64")]
fn detected() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
}

#[cfg(not(target_arch = "x86_64"))]
fn detected() -> bool {
    false
}

/// [`hash8`] of one to eight messages: unused lanes repeat the first message and their digests
/// are dropped. From two messages on this is faster than `blake2b_simd`'s four AVX2 lanes.
///
/// # Panics
/// As [`hash8`], and if `messages` is empty or longer than eight.
pub(crate) fn hash_lanes(
    prefix: Option<u8>,
    messages: &[&[u8]],
) -> impl ExactSizeIterator<Item = Digest> + use<> {
    assert!(
        (1..=8).contains(&messages.len()),
        "one to eight messages, not {}",
        messages.len()
    );
    let lanes: [&[u8]; 8] = std::array::from_fn(|i| *messages.get(i).unwrap_or(&messages[0]));
    hash8(prefix, lanes).into_iter().take(messages.len())
}

/// BLAKE2b-256 of `prefix ‖ message` for eight messages of the same length (the prefix is one
/// byte, or nothing).
///
/// # Panics
/// If [`available`] is false, or the messages' lengths differ.
pub(crate) fn hash8(prefix: Option<u8>, messages: [&[u8]; 8]) -> [Digest; 8] {
    let length = messages[0].len();
    assert!(
        messages.iter().all(|m| m.len() == length),
        "hash8 needs messages of one length"
    );
    assert!(available(), "hash8 needs AVX-512F");
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `available()` checked that the CPU supports AVX-512F, the only target feature
        // `avx512::hash8` enables; the messages have equal lengths, as it requires.
        unsafe { avx512::hash8(prefix, messages) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!("available() is false on this architecture")
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::{
        __m512i, _mm512_add_epi64, _mm512_loadu_si512, _mm512_permutex2var_epi64, _mm512_ror_epi64,
        _mm512_set1_epi64, _mm512_setr_epi64, _mm512_setzero_si512, _mm512_storeu_si512,
        _mm512_unpackhi_epi64, _mm512_unpacklo_epi64, _mm512_xor_si512,
    };

    use super::{DIGEST_LENGTH, Digest};

    const BLOCK: usize = 128;

    const IV: [u64; 8] = [
        0x6a09_e667_f3bc_c908,
        0xbb67_ae85_84ca_a73b,
        0x3c6e_f372_fe94_f82b,
        0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1,
        0x9b05_688c_2b3e_6c1f,
        0x1f83_d9ab_fb41_bd6b,
        0x5be0_cd19_137e_2179,
    ];

    /// Parameter block word 0 for an unkeyed hash with a 32-byte digest: digest length,
    /// key length 0, fanout 1, depth 1.
    const PARAMETERS: u64 = 0x0101_0000 | DIGEST_LENGTH as u64;

    const SIGMA: [[usize; 16]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ];

    /// `u64` as the `i64` the intrinsics take (same bits).
    fn bits(word: u64) -> i64 {
        i64::from_ne_bytes(word.to_ne_bytes())
    }

    /// The mixing function G on lanes `a, b, c, d` of the work vector.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn mix(v: &mut [__m512i; 16], [a, b, c, d]: [usize; 4], x: __m512i, y: __m512i) {
        v[a] = _mm512_add_epi64(_mm512_add_epi64(v[a], v[b]), x);
        v[d] = _mm512_ror_epi64::<32>(_mm512_xor_si512(v[d], v[a]));
        v[c] = _mm512_add_epi64(v[c], v[d]);
        v[b] = _mm512_ror_epi64::<24>(_mm512_xor_si512(v[b], v[c]));
        v[a] = _mm512_add_epi64(_mm512_add_epi64(v[a], v[b]), y);
        v[d] = _mm512_ror_epi64::<16>(_mm512_xor_si512(v[d], v[a]));
        v[c] = _mm512_add_epi64(v[c], v[d]);
        v[b] = _mm512_ror_epi64::<63>(_mm512_xor_si512(v[b], v[c]));
    }

    /// The compression function F on eight states at once; `counter` is the byte count up to
    /// the end of this block (below 2^64, so its high word is 0).
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn compress(h: &mut [__m512i; 8], m: &[__m512i; 16], counter: u64, last: bool) {
        let mut v = [_mm512_setzero_si512(); 16];
        v[..8].copy_from_slice(h);
        for (slot, iv) in v[8..].iter_mut().zip(IV) {
            *slot = _mm512_set1_epi64(bits(iv));
        }
        v[12] = _mm512_set1_epi64(bits(IV[4] ^ counter));
        if last {
            v[14] = _mm512_set1_epi64(bits(!IV[6]));
        }
        for round in 0..12 {
            let s = &SIGMA[round % 10];
            mix(&mut v, [0, 4, 8, 12], m[s[0]], m[s[1]]);
            mix(&mut v, [1, 5, 9, 13], m[s[2]], m[s[3]]);
            mix(&mut v, [2, 6, 10, 14], m[s[4]], m[s[5]]);
            mix(&mut v, [3, 7, 11, 15], m[s[6]], m[s[7]]);
            mix(&mut v, [0, 5, 10, 15], m[s[8]], m[s[9]]);
            mix(&mut v, [1, 6, 11, 12], m[s[10]], m[s[11]]);
            mix(&mut v, [2, 7, 8, 13], m[s[12]], m[s[13]]);
            mix(&mut v, [3, 4, 9, 14], m[s[14]], m[s[15]]);
        }
        for i in 0..8 {
            h[i] = _mm512_xor_si512(h[i], _mm512_xor_si512(v[i], v[i + 8]));
        }
    }

    /// Turns eight rows of eight words (one register per message) into eight columns (one
    /// register per word index, holding that word of every message).
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn transpose(r: [__m512i; 8]) -> [__m512i; 8] {
        let pairs_low = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
        let pairs_high = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
        let halves_low = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11);
        let halves_high = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
        // Words (0,2,4,6) and (1,3,5,7) of two rows, interleaved.
        let even = [0, 2, 4, 6].map(|i| _mm512_unpacklo_epi64(r[i], r[i + 1]));
        let odd = [0, 2, 4, 6].map(|i| _mm512_unpackhi_epi64(r[i], r[i + 1]));
        // Four rows: words (0,4), (2,6), (1,5), (3,7).
        let quad = |x: __m512i, index: __m512i, y: __m512i| _mm512_permutex2var_epi64(x, index, y);
        let w04 = [
            quad(even[0], pairs_low, even[1]),
            quad(even[2], pairs_low, even[3]),
        ];
        let w26 = [
            quad(even[0], pairs_high, even[1]),
            quad(even[2], pairs_high, even[3]),
        ];
        let w15 = [
            quad(odd[0], pairs_low, odd[1]),
            quad(odd[2], pairs_low, odd[3]),
        ];
        let w37 = [
            quad(odd[0], pairs_high, odd[1]),
            quad(odd[2], pairs_high, odd[3]),
        ];
        [
            quad(w04[0], halves_low, w04[1]),
            quad(w15[0], halves_low, w15[1]),
            quad(w26[0], halves_low, w26[1]),
            quad(w37[0], halves_low, w37[1]),
            quad(w04[0], halves_high, w04[1]),
            quad(w15[0], halves_high, w15[1]),
            quad(w26[0], halves_high, w26[1]),
            quad(w37[0], halves_high, w37[1]),
        ]
    }

    /// The sixteen message words of one block of each of eight messages.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn load(blocks: [&[u8; BLOCK]; 8]) -> [__m512i; 16] {
        let mut m = [_mm512_setzero_si512(); 16];
        for (half, words) in m.chunks_exact_mut(8).enumerate() {
            // SAFETY: each block is 128 readable bytes, so 64 bytes at offset 0 or 64 are in
            // bounds; `loadu` has no alignment requirement.
            let rows = blocks
                .map(|block| unsafe { _mm512_loadu_si512(block.as_ptr().add(64 * half).cast()) });
            words.copy_from_slice(&transpose(rows));
        }
        m
    }

    /// BLAKE2b-256 of `prefix ‖ message` for eight messages of equal length.
    ///
    /// # Safety
    /// The CPU must support AVX-512F. (Equal lengths are checked by the caller; unequal ones
    /// would give wrong digests, never an out-of-bounds read, since every slice is indexed with
    /// bounds checks.)
    #[target_feature(enable = "avx512f")]
    pub(super) fn hash8(prefix: Option<u8>, messages: [&[u8]; 8]) -> [Digest; 8] {
        let skip = usize::from(prefix.is_some());
        let length = skip + messages[0].len();
        let blocks = length.div_ceil(BLOCK).max(1);
        let mut h = IV.map(|word| _mm512_set1_epi64(bits(word)));
        h[0] = _mm512_set1_epi64(bits(IV[0] ^ PARAMETERS));
        let mut padded = [[0u8; BLOCK]; 8];
        for block in 0..blocks {
            let last = block + 1 == blocks;
            let end = if last { length } else { BLOCK * (block + 1) };
            let m = if block > 0 && !last {
                // A whole block inside every message (the prefix lies in block 0, the end in
                // the last block): read it where it is.
                let start = BLOCK * block - skip;
                load(messages.map(|message| {
                    <&[u8; BLOCK]>::try_from(&message[start..start + BLOCK])
                        .unwrap_or_else(|_| unreachable!("a slice of BLOCK bytes"))
                }))
            } else {
                for (buffer, message) in padded.iter_mut().zip(&messages) {
                    *buffer = [0; BLOCK];
                    let (to, from) = match prefix {
                        Some(byte) if block == 0 => {
                            buffer[0] = byte;
                            (1, 0)
                        }
                        _ => (0, BLOCK * block - skip),
                    };
                    let count = (end - BLOCK * block - to).min(message.len() - from);
                    buffer[to..to + count].copy_from_slice(&message[from..from + count]);
                }
                load([0, 1, 2, 3, 4, 5, 6, 7].map(|i| &padded[i]))
            };
            compress(&mut h, &m, end as u64, last);
        }
        let mut words = [[0u64; 8]; 4];
        for (row, state) in words.iter_mut().zip(&h) {
            // SAFETY: `row` is 64 writable bytes; `storeu` has no alignment requirement.
            unsafe { _mm512_storeu_si512(row.as_mut_ptr().cast(), *state) };
        }
        std::array::from_fn(|lane| {
            let mut digest = [0u8; DIGEST_LENGTH];
            for (chunk, row) in digest.chunks_exact_mut(8).zip(&words) {
                chunk.copy_from_slice(&row[lane].to_le_bytes());
            }
            digest
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::hash::blake2b256_parts;

    thread_local! {
        pub(crate) static DISABLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    #[test]
    fn eight_lanes_match_blake2b_simd_at_every_block_boundary() {
        if !available() {
            eprintln!("SKIPPED: this CPU has no AVX-512F");
            return;
        }
        let lengths = [
            0usize, 1, 2, 63, 64, 65, 126, 127, 128, 129, 130, 255, 256, 257,
        ]
        .into_iter()
        .chain([383, 384, 385, 1000, 4095, 4096, 4097, 29_217]);
        for length in lengths {
            let messages: Vec<Vec<u8>> = (0..8)
                .map(|lane| {
                    (0..length)
                        .map(|i| (i * 31 + lane * 7 + i / 251) as u8)
                        .collect()
                })
                .collect();
            let slices: [&[u8]; 8] = std::array::from_fn(|i| messages[i].as_slice());
            for prefix in [None, Some(0x00), Some(0x01)] {
                let digests = hash8(prefix, slices);
                for (digest, message) in digests.iter().zip(&messages) {
                    let prefix_bytes: &[u8] = match &prefix {
                        Some(byte) => std::slice::from_ref(byte),
                        None => &[],
                    };
                    assert_eq!(
                        *digest,
                        blake2b256_parts(&[prefix_bytes, message]),
                        "length {length}, prefix {prefix:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn fewer_than_eight_messages_fill_the_spare_lanes() {
        if !available() {
            eprintln!("SKIPPED: this CPU has no AVX-512F");
            return;
        }
        let messages: Vec<Vec<u8>> = (0..8u8).map(|i| vec![i; 300]).collect();
        for count in 1..=8 {
            let slices: Vec<&[u8]> = messages[..count].iter().map(Vec::as_slice).collect();
            let digests: Vec<Digest> = hash_lanes(Some(0), &slices).collect();
            assert_eq!(digests.len(), count);
            for (digest, message) in digests.iter().zip(&slices) {
                assert_eq!(*digest, blake2b256_parts(&[&[0], message]));
            }
        }
    }

    #[test]
    #[should_panic(expected = "one length")]
    fn unequal_lengths_are_refused() {
        let short = [0u8; 10];
        let long = [0u8; 11];
        hash8(
            None,
            [
                &short, &short, &short, &short, &short, &short, &short, &long,
            ],
        );
    }
}
