//! Sliver recovery and inconsistency proofs (§9), with an honest encoding and with one that a
//! malicious writer made inconsistent.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

use walrus_core::{
    Bcs, BlobMetadata, ConsistencyCheck, DecodeError, EncodedBlob, EncodingConfig,
    GeneralRecoverySymbol, InconsistencyProof, InconsistencyProofError, Primary,
    PrimaryRecoverySymbol, PrimarySliver, RecoveryError, RecoveryOutcome, Secondary,
    SecondaryRecoverySymbol, SliverData, SliverIndex, SliverPair, SliverPairIndex,
    SliverPairMetadata, UnverifiedBlobMetadataWithId, VerifiedBlobMetadataWithId, recover_sliver,
};

fn blob(length: usize) -> Vec<u8> {
    (0..length).map(|i| (i * 31 % 253) as u8).collect()
}

/// Primary recovery symbols for target primary sliver `target`, from the given secondary slivers.
fn primary_symbols<'a>(
    config: &EncodingConfig,
    pairs: impl IntoIterator<Item = &'a SliverPair>,
    target: SliverIndex,
) -> Vec<PrimaryRecoverySymbol> {
    pairs
        .into_iter()
        .map(|pair| {
            pair.secondary
                .recovery_symbols(config)
                .unwrap()
                .symbol(target)
                .unwrap()
        })
        .collect()
}

/// Secondary recovery symbols for target secondary sliver `target`, from the given primary
/// slivers.
fn secondary_symbols<'a>(
    config: &EncodingConfig,
    pairs: impl IntoIterator<Item = &'a SliverPair>,
    target: SliverIndex,
) -> Vec<SecondaryRecoverySymbol> {
    pairs
        .into_iter()
        .map(|pair| {
            pair.primary
                .recovery_symbols(config)
                .unwrap()
                .symbol(target)
                .unwrap()
        })
        .collect()
}

#[test]
fn every_sliver_recovers_from_the_minimum_number_of_symbols() {
    for (n, length) in [(4u16, 0usize), (7, 100), (10, 12), (13, 5000)] {
        let config = EncodingConfig::new(n).unwrap();
        let EncodedBlob {
            sliver_pairs,
            metadata,
        } = config.encode(&blob(length)).unwrap();
        let n = usize::from(n);
        for pair in &sliver_pairs {
            // Primary sliver p from the last C secondary slivers (other pairs first).
            let target = pair.primary.index();
            let symbols = primary_symbols(&config, sliver_pairs.iter().rev(), target);
            assert_eq!(symbols.len(), n);
            for symbol in &symbols {
                symbol.verify(&config, &metadata, target).unwrap();
            }
            let needed = config.n_symbols_for_recovery::<Primary>();
            let outcome = recover_sliver(
                &config,
                &metadata,
                target,
                symbols.into_iter().skip(n - needed),
            )
            .unwrap();
            assert_eq!(outcome, RecoveryOutcome::Recovered(pair.primary.clone()));

            let target = pair.secondary.index();
            let symbols = secondary_symbols(&config, &sliver_pairs, target);
            let outcome = recover_sliver(&config, &metadata, target, symbols).unwrap();
            assert_eq!(outcome, RecoveryOutcome::Recovered(pair.secondary.clone()));
        }
    }
}

#[test]
fn recovery_symbol_for_pair_uses_the_orthogonal_sliver_index() {
    let config = EncodingConfig::new(10).unwrap();
    let encoded = config.encode(b"hello walrus").unwrap();
    let source = &encoded.sliver_pairs[2].secondary;
    // Pair 4's primary sliver has index 4.
    let symbol = source
        .recovery_symbol_for_pair(&config, SliverPairIndex(4))
        .unwrap();
    symbol
        .verify(&config, &encoded.metadata, SliverIndex(4))
        .unwrap();
    assert_eq!(symbol.source_index(), source.index());
    // Row 0 holds data (rows 1..3 are zero padding, whose symbols are all alike).
    let source = &encoded.sliver_pairs[0].primary;
    // Pair 4's secondary sliver has index 10 − 1 − 4 = 5.
    let symbol = source
        .recovery_symbol_for_pair(&config, SliverPairIndex(4))
        .unwrap();
    symbol
        .verify(&config, &encoded.metadata, SliverIndex(5))
        .unwrap();
    assert!(
        symbol
            .verify(&config, &encoded.metadata, SliverIndex(4))
            .is_err()
    );
    assert!(
        source
            .recovery_symbol_for_pair(&config, SliverPairIndex(10))
            .is_err()
    );
}

#[test]
fn invalid_and_duplicate_symbols_are_skipped() {
    let config = EncodingConfig::new(10).unwrap();
    let encoded = config.encode(&blob(300)).unwrap();
    let target = SliverIndex(3);
    let mut symbols = primary_symbols(&config, &encoded.sliver_pairs, target);
    let needed = config.n_symbols_for_recovery::<Primary>();
    // Corrupt the first three and duplicate the fourth: 10 − 3 valid distinct remain (≥ 7).
    for symbol in symbols.iter_mut().take(3) {
        let (decoding, proof) = symbol.clone().into_parts();
        let mut data = decoding.data().to_vec();
        data[0] ^= 1;
        *symbol = PrimaryRecoverySymbol::new(
            walrus_core::DecodingSymbol::new(decoding.index(), data),
            proof,
        );
    }
    let duplicate = symbols[3].clone();
    symbols.insert(4, duplicate);
    let outcome = recover_sliver(&config, &encoded.metadata, target, symbols.clone()).unwrap();
    assert_eq!(
        outcome,
        RecoveryOutcome::Recovered(encoded.sliver_pairs[3].primary.clone())
    );
    // Without two valid ones there are too few.
    let error = recover_sliver(
        &config,
        &encoded.metadata,
        target,
        symbols.into_iter().take(9),
    )
    .unwrap_err();
    assert_eq!(
        error,
        RecoveryError::NotEnoughSymbols {
            axis: walrus_core::Axis::Primary,
            index: 3,
            needed,
            valid: 5,
            rejected: 4,
        }
    );
}

/// A writer that flips one byte of primary sliver 0 and publishes metadata over its tampered
/// slivers: the metadata verify against their blob ID, but row 0 disagrees with the columns.
fn inconsistent_blob(config: &EncodingConfig) -> (Vec<SliverPair>, VerifiedBlobMetadataWithId) {
    let encoded = config.encode(&blob(700)).unwrap();
    let mut pairs = encoded.sliver_pairs;
    let honest = &pairs[0].primary;
    let mut data = honest.data().to_vec();
    data[1] ^= 0x40;
    pairs[0].primary =
        PrimarySliver::new(data, honest.symbol_size().get(), honest.index()).unwrap();
    let hashes = pairs
        .iter()
        .map(|pair| SliverPairMetadata {
            primary_hash: pair.primary.merkle_root(config).unwrap(),
            secondary_hash: pair.secondary.merkle_root(config).unwrap(),
        })
        .collect();
    let metadata = BlobMetadata::new(
        walrus_core::EncodingType::Rs2,
        encoded.metadata.metadata().unencoded_length(),
        hashes,
    );
    let verified = UnverifiedBlobMetadataWithId::new(metadata.compute_blob_id(), metadata)
        .verify(config)
        .unwrap();
    (pairs, verified)
}

#[test]
fn inconsistent_encoding_yields_a_verifiable_proof() {
    let config = EncodingConfig::new(10).unwrap();
    let (pairs, metadata) = inconsistent_blob(&config);
    // Every sliver individually matches the (malicious) metadata.
    for pair in &pairs {
        pair.primary.verify(&config, &metadata).unwrap();
        pair.secondary.verify(&config, &metadata).unwrap();
    }

    // Recovering primary sliver 0 from the columns gives the honest row, which does not match.
    let target = SliverIndex(0);
    let symbols = primary_symbols(&config, pairs.iter().skip(3), target);
    let RecoveryOutcome::Inconsistent(proof) =
        recover_sliver(&config, &metadata, target, symbols).unwrap()
    else {
        panic!("expected an inconsistency proof");
    };
    assert_eq!(proof.target_sliver_index(), target);
    assert_eq!(proof.recovery_symbols().len(), 7);
    proof.verify(&config, &metadata).unwrap();

    // The proof survives BCS.
    let bytes = proof.to_bcs().unwrap();
    let parsed = InconsistencyProof::<Primary>::from_bcs(&bytes).unwrap();
    assert_eq!(parsed, proof);
    parsed.verify(&config, &metadata).unwrap();
    // Layout: u16 target ‖ ULEB128(count) ‖ symbols.
    assert_eq!(&bytes[..3], &[0, 0, 7]);

    // Secondary sliver 8 (column 1, which holds the flipped byte) recovered from rows including
    // row 0 is inconsistent too.
    let target = SliverIndex(0);
    let symbols = secondary_symbols(&config, &pairs, target);
    assert!(matches!(
        recover_sliver(&config, &metadata, target, symbols).unwrap(),
        RecoveryOutcome::Inconsistent(_)
    ));

    // Decoding from primary slivers that include the tampered row: the Default check finds
    // the systematic rows that were re-encoded inconsistent, the Strict check the blob ID.
    let primaries: Vec<&SliverData<Primary>> = [0usize, 4, 5, 6]
        .iter()
        .map(|&p| &pairs[p].primary)
        .collect();
    let error = config
        .decode_and_verify(
            &metadata,
            primaries.iter().copied(),
            ConsistencyCheck::Default,
        )
        .unwrap_err();
    assert!(
        matches!(error, DecodeError::InconsistentEncoding { .. }),
        "{error}"
    );
    let error = config
        .decode_and_verify(
            &metadata,
            primaries.iter().copied(),
            ConsistencyCheck::Strict,
        )
        .unwrap_err();
    assert!(
        matches!(error, DecodeError::BlobIdMismatch { .. }),
        "{error}"
    );
    // The secondary slivers are consistent among themselves, but decode to another blob.
    let error = config
        .decode_and_verify::<Secondary>(
            &metadata,
            pairs.iter().map(|pair| &pair.secondary),
            ConsistencyCheck::Strict,
        )
        .unwrap_err();
    assert!(
        matches!(error, DecodeError::BlobIdMismatch { .. }),
        "{error}"
    );
}

#[test]
fn proofs_of_consistent_slivers_and_malformed_proofs_are_rejected() {
    let config = EncodingConfig::new(10).unwrap();
    let encoded = config.encode(&blob(700)).unwrap();
    let target = SliverIndex(2);
    let symbols = primary_symbols(&config, &encoded.sliver_pairs, target);
    let honest = InconsistencyProof::new(target, symbols[..7].to_vec());
    assert_eq!(
        honest.verify(&config, &encoded.metadata),
        Err(InconsistencyProofError::SliverNotInconsistent {
            axis: walrus_core::Axis::Primary,
            index: 2
        })
    );
    let short = InconsistencyProof::new(target, symbols[..6].to_vec());
    assert_eq!(
        short.verify(&config, &encoded.metadata),
        Err(InconsistencyProofError::WrongSymbolCount {
            expected: 7,
            actual: 6
        })
    );
    let mut duplicated = symbols[..6].to_vec();
    duplicated.push(symbols[0].clone());
    assert_eq!(
        InconsistencyProof::new(target, duplicated).verify(&config, &encoded.metadata),
        Err(InconsistencyProofError::DuplicateSymbol { index: 9 })
    );
    // A symbol with a proof for another position.
    let mut wrong_position = symbols[..7].to_vec();
    wrong_position[2] = encoded.sliver_pairs[2]
        .secondary
        .recovery_symbols(&config)
        .unwrap()
        .symbol(SliverIndex(3))
        .unwrap();
    assert!(matches!(
        InconsistencyProof::new(target, wrong_position).verify(&config, &encoded.metadata),
        Err(InconsistencyProofError::InvalidSymbol { position: 2, .. })
    ));
    assert!(matches!(
        InconsistencyProof::new(SliverIndex(10), symbols[..7].to_vec())
            .verify(&config, &encoded.metadata),
        Err(InconsistencyProofError::TargetOutOfRange { index: 10, .. })
    ));
}

#[test]
fn recovery_symbol_bcs_layouts() {
    let config = EncodingConfig::new(10).unwrap();
    let encoded = config.encode(b"hello walrus").unwrap();
    let symbol = encoded.sliver_pairs[0]
        .primary
        .recovery_symbols(&config)
        .unwrap()
        .symbol(SliverIndex(9))
        .unwrap();
    let bytes = symbol.to_bcs().unwrap();
    // u16 index 0 ‖ ULEB128(2) ‖ 2 bytes ‖ ULEB128(4) ‖ four nodes (1 + 32 bytes or 1 byte).
    assert_eq!(&bytes[..3], &[0, 0, 2]);
    assert_eq!(bytes[5], 4);
    assert_eq!(SecondaryRecoverySymbol::from_bcs(&bytes).unwrap(), symbol);

    let general = GeneralRecoverySymbol::new(symbol.clone(), SliverIndex(9));
    let general_bytes = general.to_bcs().unwrap();
    // Tag 1 (secondary target) ‖ DecodingSymbol ‖ u16 target ‖ proof.
    assert_eq!(general_bytes[0], 1);
    assert_eq!(&general_bytes[1..6], &bytes[..5]);
    assert_eq!(&general_bytes[6..8], &[9, 0]);
    assert_eq!(&general_bytes[8..], &bytes[5..]);
    let parsed = GeneralRecoverySymbol::from_bcs(&general_bytes).unwrap();
    assert_eq!(parsed.target_axis(), walrus_core::Axis::Secondary);
    match parsed.into_recovery_symbol() {
        walrus_core::ByAxis::Secondary((parsed, target)) => {
            assert_eq!(parsed, symbol);
            assert_eq!(target, SliverIndex(9));
        }
        walrus_core::ByAxis::Primary(_) => panic!("wrong axis"),
    }
}
