//! Property tests: decoding from any valid subset returns the blob; any flipped byte in a sliver
//! is detected; recovery from random subsets of symbols reproduces the sliver; the BCS decoders
//! never panic on arbitrary bytes and what they accept re-encodes to the same bytes; the
//! zero-copy sliver decoder accepts exactly what the serde decoder accepts.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

use bytes::Bytes;
use proptest::prelude::*;
use walrus_core::{
    Bcs, BlobMetadata, ConsistencyCheck, EncodingConfig, GeneralRecoverySymbol, InconsistencyProof,
    MerkleProof, Node, Primary, PrimaryRecoverySymbol, PrimarySliver, RecoveryOutcome, Secondary,
    SecondaryRecoverySymbol, SecondarySliver, Sliver, SliverData, SliverIndex, SliverPairMetadata,
    UnverifiedBlobMetadataWithId, recover_sliver,
};

/// A deterministic permutation of `0..count` from `seed` (xorshift + Fisher–Yates).
fn permutation(count: usize, seed: u64) -> Vec<usize> {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut order: Vec<usize> = (0..count).collect();
    for i in (1..count).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

fn shard_count() -> impl Strategy<Value = u16> {
    4u16..=40
}

fn blob() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..3000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn primary_decoding_from_any_subset(
        n in shard_count(),
        blob in blob(),
        seed in any::<u64>(),
        extra in 0usize..5,
    ) {
        let config = EncodingConfig::new(n).unwrap();
        let encoded = config.encode(&blob).unwrap();
        let needed = config.n_slivers_for_reconstruction::<Primary>();
        let order = permutation(usize::from(n), seed);
        let count = (needed + extra).min(usize::from(n));
        let mut slivers: Vec<PrimarySliver> =
            order[..count].iter().map(|&p| encoded.sliver_pairs[p].primary.clone()).collect();
        // Duplicates and a wrong-sized sliver are skipped.
        slivers.insert(0, slivers[count - 1].clone());
        let first = &slivers[1];
        let truncated = first.data().slice(..first.data().len() - first.symbol_size().get() as usize);
        slivers.insert(0, PrimarySliver::new(truncated, first.symbol_size().get(), first.index()).unwrap());
        let decoded = config
            .decode_and_verify(&encoded.metadata, &slivers, ConsistencyCheck::Default)
            .unwrap();
        prop_assert_eq!(&decoded[..], &blob[..]);
        // One fewer distinct sliver is not enough.
        let too_few: Vec<&PrimarySliver> =
            order[..needed - 1].iter().map(|&p| &encoded.sliver_pairs[p].primary).collect();
        prop_assert!(config.decode(blob.len() as u64, too_few).is_err());
    }

    #[test]
    fn secondary_decoding_from_any_subset(
        n in shard_count(),
        blob in blob(),
        seed in any::<u64>(),
    ) {
        let config = EncodingConfig::new(n).unwrap();
        let encoded = config.encode(&blob).unwrap();
        let needed = config.n_slivers_for_reconstruction::<Secondary>();
        let order = permutation(usize::from(n), seed);
        let slivers: Vec<&SecondarySliver> =
            order[..needed].iter().map(|&p| &encoded.sliver_pairs[p].secondary).collect();
        let decoded = config
            .decode_and_verify(&encoded.metadata, slivers.iter().copied(), ConsistencyCheck::Strict)
            .unwrap();
        prop_assert_eq!(&decoded[..], &blob[..]);
        let decoded = config
            .decode_and_verify(&encoded.metadata, slivers, ConsistencyCheck::Default)
            .unwrap();
        prop_assert_eq!(&decoded[..], &blob[..]);
    }

    #[test]
    fn any_flipped_byte_is_detected(
        n in shard_count(),
        blob in blob(),
        pair in any::<prop::sample::Index>(),
        position in any::<prop::sample::Index>(),
        bit in 0u8..8,
        primary in any::<bool>(),
    ) {
        let config = EncodingConfig::new(n).unwrap();
        let encoded = config.encode(&blob).unwrap();
        let pair = &encoded.sliver_pairs[pair.index(usize::from(n))];
        if primary {
            let sliver = &pair.primary;
            let mut data = sliver.data().to_vec();
            let at = position.index(data.len());
            data[at] ^= 1 << bit;
            let tampered = PrimarySliver::new(data, sliver.symbol_size().get(), sliver.index()).unwrap();
            prop_assert!(tampered.verify(&config, &encoded.metadata).is_err());
        } else {
            let sliver = &pair.secondary;
            let mut data = sliver.data().to_vec();
            let at = position.index(data.len());
            data[at] ^= 1 << bit;
            let tampered = SecondarySliver::new(data, sliver.symbol_size().get(), sliver.index()).unwrap();
            prop_assert!(tampered.verify(&config, &encoded.metadata).is_err());
        }
    }

    #[test]
    fn recovery_from_random_subsets(
        n in shard_count(),
        blob in blob(),
        target in any::<prop::sample::Index>(),
        seed in any::<u64>(),
    ) {
        let config = EncodingConfig::new(n).unwrap();
        let encoded = config.encode(&blob).unwrap();
        let pairs = &encoded.sliver_pairs;
        let order = permutation(usize::from(n), seed);
        let target_pair = &pairs[target.index(usize::from(n))];

        let index = target_pair.primary.index();
        let needed = config.n_symbols_for_recovery::<Primary>();
        let symbols: Vec<PrimaryRecoverySymbol> = order[..needed]
            .iter()
            .map(|&p| pairs[p].secondary.recovery_symbols(&config).unwrap().symbol(index).unwrap())
            .collect();
        let outcome = recover_sliver(&config, &encoded.metadata, index, symbols).unwrap();
        prop_assert_eq!(outcome, RecoveryOutcome::Recovered(target_pair.primary.clone()));

        let index = target_pair.secondary.index();
        let needed = config.n_symbols_for_recovery::<Secondary>();
        let symbols: Vec<SecondaryRecoverySymbol> = order[..needed]
            .iter()
            .map(|&p| pairs[p].primary.recovery_symbols(&config).unwrap().symbol(index).unwrap())
            .collect();
        let outcome = recover_sliver(&config, &encoded.metadata, index, symbols).unwrap();
        prop_assert_eq!(outcome, RecoveryOutcome::Recovered(target_pair.secondary.clone()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Any length from 0 to the maximum (small shard counts keep the maximum below 1 MB).
    #[test]
    fn any_length_up_to_the_maximum(n in 4u16..=7, fraction in 0.0f64..=1.0, seed in any::<u8>()) {
        let config = EncodingConfig::new(n).unwrap();
        let max = config.max_blob_size();
        let length = ((max as f64 * fraction) as u64).min(max) as usize;
        let blob: Vec<u8> = (0..length).map(|i| (i as u8).wrapping_mul(seed | 1)).collect();
        let encoded = config.encode(&blob).unwrap();
        prop_assert_eq!(&encoded.metadata, &config.compute_metadata(&blob).unwrap());
        let primaries = encoded.sliver_pairs.iter().rev().map(|pair| &pair.primary);
        prop_assert_eq!(&config.decode(length as u64, primaries).unwrap()[..], &blob[..]);
        let too_long = vec![0u8; max as usize + 1];
        prop_assert!(config.compute_metadata(&too_long).is_err());
    }
}

/// Decodes `bytes` as `T`; if accepted, re-encoding must give the same bytes (BCS is canonical).
fn check_canonical<T: Bcs + std::fmt::Debug>(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(value) = T::from_bcs(bytes) {
        prop_assert_eq!(value.to_bcs().unwrap(), bytes, "{:?}", value);
    }
    Ok(())
}

/// `from_bcs_bytes` (zero-copy) and `from_bcs` (serde) accept the same inputs and agree.
fn zero_copy_matches_serde<A: walrus_core::EncodingAxis>(bytes: &[u8]) -> Result<(), TestCaseError>
where
    SliverData<A>: Bcs,
{
    let serde = SliverData::<A>::from_bcs(bytes);
    let direct = SliverData::<A>::from_bcs_bytes(Bytes::copy_from_slice(bytes));
    match (serde, direct) {
        (Ok(serde), Ok(direct)) => prop_assert_eq!(serde, direct),
        (Err(_), Err(error)) => {
            prop_assert!(
                error
                    .to_string()
                    .contains(<SliverData<A> as Bcs>::TYPE_NAME),
                "{}",
                error
            );
        }
        (serde, direct) => prop_assert!(false, "serde {:?} but zero-copy {:?}", serde, direct),
    }
    Ok(())
}

fn all_decoders(bytes: &[u8]) -> Result<(), TestCaseError> {
    zero_copy_matches_serde::<Primary>(bytes)?;
    zero_copy_matches_serde::<Secondary>(bytes)?;
    check_canonical::<UnverifiedBlobMetadataWithId>(bytes)?;
    check_canonical::<BlobMetadata>(bytes)?;
    check_canonical::<PrimarySliver>(bytes)?;
    check_canonical::<SecondarySliver>(bytes)?;
    check_canonical::<Sliver>(bytes)?;
    check_canonical::<PrimaryRecoverySymbol>(bytes)?;
    check_canonical::<SecondaryRecoverySymbol>(bytes)?;
    check_canonical::<GeneralRecoverySymbol>(bytes)?;
    check_canonical::<InconsistencyProof<Primary>>(bytes)?;
    check_canonical::<InconsistencyProof<Secondary>>(bytes)?;
    check_canonical::<SliverPairMetadata>(bytes)?;
    Ok(())
}

fn node() -> impl Strategy<Value = Node> {
    prop_oneof![Just(Node::Empty), any::<[u8; 32]>().prop_map(Node::Digest)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn bcs_decoders_never_panic_on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        all_decoders(&bytes)?;
    }

    /// Random bytes rarely get past the first tag; these start from valid prefixes.
    #[test]
    fn bcs_decoders_never_panic_on_mutated_valid_bytes(
        hashes in prop::collection::vec((node(), node()), 0..5),
        length in any::<u64>(),
        path in prop::collection::vec(node(), 0..4),
        data in prop::collection::vec(any::<u8>(), 0..20),
        index in any::<u16>(),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        xor in 1u8..=255,
    ) {
        let hashes = hashes
            .into_iter()
            .map(|(primary_hash, secondary_hash)| SliverPairMetadata { primary_hash, secondary_hash })
            .collect();
        let metadata = BlobMetadata::new(walrus_core::EncodingType::Rs2, length, hashes);
        let with_id = UnverifiedBlobMetadataWithId::new(metadata.compute_blob_id(), metadata);
        let symbol = PrimaryRecoverySymbol::new(
            walrus_core::DecodingSymbol::new(index, data.clone()),
            MerkleProof::new(path),
        );
        let proof = InconsistencyProof::new(SliverIndex(index), vec![symbol.clone(), symbol.clone()]);
        let symbol_size = u16::try_from(data.len().max(1)).unwrap();
        let sliver = PrimarySliver::new(data.repeat(2), symbol_size, SliverIndex(index));
        let mut valid = vec![
            with_id.to_bcs().unwrap(),
            symbol.to_bcs().unwrap(),
            proof.to_bcs().unwrap(),
            GeneralRecoverySymbol::new(symbol, SliverIndex(index)).to_bcs().unwrap(),
        ];
        if let Ok(sliver) = sliver {
            valid.push(sliver.to_bcs().unwrap());
        }
        for bytes in valid {
            // The valid encoding round-trips through every decoder that accepts it.
            all_decoders(&bytes)?;
            let mut mutated = bytes.clone();
            let position = flip.index(mutated.len());
            mutated[position] ^= xor;
            all_decoders(&mutated)?;
            all_decoders(&bytes[..cut.index(bytes.len() + 1)])?;
        }
    }
}

/// ULEB128 of `value`, optionally padded with `extra` non-canonical continuation bytes.
fn uleb(mut value: u64, extra: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 && extra == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
        if value == 0 {
            out.extend(std::iter::repeat_n(0x80, extra - 1));
            out.push(0);
            return out;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Slivers with multi-byte length prefixes: exact, short, long, non-canonical, huge.
    #[test]
    fn zero_copy_sliver_decoding_matches_serde(
        mut body in prop::collection::vec(any::<u8>(), 0..700),
        delta in -6i64..=6,
        symbol_size in prop::option::of(1u8..=4),
        extra in 0usize..=2,
        huge in prop::option::weighted(0.1, (1u64 << 31) - 2..(1u64 << 36)),
    ) {
        // Where `body` ends with the symbol size and index, make some symbol sizes small so that
        // whole-symbol data (and so acceptance) is common.
        let tail = body.len().saturating_sub(4);
        if let (Some(size), true) = (symbol_size, body.len() >= 4) {
            body[tail] = size;
            body[tail + 1] = 0;
        }
        let length = huge.unwrap_or_else(|| (body.len() as i64 - 4 + delta).max(0) as u64);
        let mut bytes = uleb(length, extra);
        bytes.extend(&body);
        zero_copy_matches_serde::<Primary>(&bytes)?;
        zero_copy_matches_serde::<Secondary>(&bytes)?;
    }
}

#[test]
fn zero_copy_sliver_shares_the_input_allocation() {
    let sliver = PrimarySliver::new(vec![7u8; 300], 30, SliverIndex(4)).unwrap();
    let bytes = Bytes::from(sliver.to_bcs().unwrap());
    let decoded = PrimarySliver::from_bcs_bytes(bytes.clone()).unwrap();
    assert_eq!(decoded, sliver);
    // The data is a view into the input: bytes 2..302 (after the 2-byte ULEB128 of 300).
    assert_eq!(decoded.data().as_ptr(), bytes[2..].as_ptr());
}
