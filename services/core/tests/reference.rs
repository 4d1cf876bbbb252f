//! The optimised encoder (wide Reed–Solomon calls, batched hashing, phases over pieces of the
//! matrix) against a direct transcription of ENCODING.md §3–§4: the full `n × n` expanded
//! matrix built one codeword at a time, every leaf hashed on its own.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

use proptest::prelude::*;
use reed_solomon_simd::ReedSolomonEncoder;
use walrus_core::{EncodingConfig, MerkleTree, Node};

/// The parity of one codeword of `symbols` (each `s` bytes).
fn parity(symbols: &[Vec<u8>], recovery_count: usize) -> Vec<Vec<u8>> {
    let mut encoder =
        ReedSolomonEncoder::new(symbols.len(), recovery_count, symbols[0].len()).unwrap();
    for symbol in symbols {
        encoder.add_original_shard(symbol).unwrap();
    }
    encoder
        .encode()
        .unwrap()
        .recovery_iter()
        .map(<[u8]>::to_vec)
        .collect()
}

struct Reference {
    primary_hashes: Vec<Node>,
    secondary_hashes: Vec<Node>,
    primary_slivers: Vec<Vec<u8>>,
    secondary_slivers: Vec<Vec<u8>>,
}

#[allow(clippy::needless_range_loop)]
// Indexed by row and column, as the spec reads.
fn reference(n: u16, blob: &[u8]) -> Reference {
    let config = EncodingConfig::new(n).unwrap();
    let s = usize::from(config.symbol_size(blob.len() as u64).unwrap().get());
    let n = usize::from(n);
    let r = usize::from(config.n_primary_source_symbols());
    let c = usize::from(config.n_secondary_source_symbols());
    let mut padded = blob.to_vec();
    padded.resize(r * c * s, 0);
    // x[row][column], each an s-byte symbol.
    let mut x = vec![vec![Vec::new(); n]; n];
    for (row, cells) in x.iter_mut().enumerate().take(r) {
        for (column, cell) in cells.iter_mut().enumerate().take(c) {
            let start = (row * c + column) * s;
            *cell = padded[start..start + s].to_vec();
        }
        let extension = parity(&cells[..c], n - c);
        for (cell, symbol) in cells[c..].iter_mut().zip(extension) {
            *cell = symbol;
        }
    }
    for column in 0..n {
        let sources: Vec<Vec<u8>> = (0..r).map(|row| x[row][column].clone()).collect();
        for (offset, symbol) in parity(&sources, n - r).into_iter().enumerate() {
            x[r + offset][column] = symbol;
        }
    }
    let root = |cells: Vec<&Vec<u8>>| {
        MerkleTree::from_leaves(cells.into_iter().map(|cell| &cell[..])).root()
    };
    Reference {
        primary_hashes: (0..n).map(|p| root(x[p].iter().collect())).collect(),
        secondary_hashes: (0..n)
            .map(|p| root((0..n).map(|row| &x[row][n - 1 - p]).collect()))
            .collect(),
        primary_slivers: (0..n).map(|p| x[p][..c].concat()).collect(),
        secondary_slivers: (0..n)
            .map(|p| {
                (0..r)
                    .map(|row| x[row][n - 1 - p].clone())
                    .collect::<Vec<_>>()
                    .concat()
            })
            .collect(),
    }
}

fn check(n: u16, blob: &[u8]) -> Result<(), TestCaseError> {
    let config = EncodingConfig::new(n).unwrap();
    let expected = reference(n, blob);
    let encoded = config.encode(blob).unwrap();
    for (p, pair) in encoded.sliver_pairs.iter().enumerate() {
        prop_assert_eq!(
            &pair.primary.data()[..],
            &expected.primary_slivers[p][..],
            "primary {}",
            p
        );
        prop_assert_eq!(
            &pair.secondary.data()[..],
            &expected.secondary_slivers[p][..],
            "secondary {}",
            p
        );
    }
    for (p, hashes) in encoded.metadata.metadata().hashes().iter().enumerate() {
        prop_assert_eq!(
            hashes.primary_hash,
            expected.primary_hashes[p],
            "primary hash {}",
            p
        );
        prop_assert_eq!(
            hashes.secondary_hash,
            expected.secondary_hashes[p],
            "secondary hash {}",
            p
        );
    }
    prop_assert_eq!(config.compute_metadata(blob).unwrap(), encoded.metadata);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn optimised_encoder_matches_the_reference(
        n in 4u16..=60,
        blob in prop::collection::vec(any::<u8>(), 0..20_000),
    ) {
        check(n, &blob)?;
    }
}

#[test]
fn symbol_sizes_around_the_64_byte_block() {
    // s = 62, 64, 66 and 130 exercise the tail layout of wide shards (n = 7: R·C = 15).
    for s in [62usize, 64, 66, 130, 302] {
        let blob: Vec<u8> = (0..15 * s).map(|i| (i * 13 + 5) as u8).collect();
        check(7, &blob).unwrap();
    }
    // And n = 100 with 302-byte symbols, like 64 MiB at n = 1000.
    let blob: Vec<u8> = (0..34 * 67 * 302).map(|i| (i * 7 + 13) as u8).collect();
    check(100, &blob).unwrap();
}
