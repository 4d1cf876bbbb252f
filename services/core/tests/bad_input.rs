//! Bad input gets a typed error naming what is wrong, never a panic or an unbounded allocation.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

use walrus_core::{
    Axis, Bcs, BlobId, BlobMetadata, DataTooLargeError, DecodeError, EncodeError, EncodingConfig,
    InconsistencyProof, InvalidShardCountError, InvalidSliverError, MerkleProof, MerkleProofError,
    MetadataVerificationError, Node, Primary, PrimaryRecoverySymbol, PrimarySliver, Secondary,
    SecondarySliver, SliverIndex, SliverVerificationError, SymbolVerificationError,
    UnverifiedBlobMetadataWithId,
};

#[test]
fn too_few_shards_are_an_error() {
    for n in 0..4 {
        assert_eq!(
            EncodingConfig::new(n),
            Err(InvalidShardCountError::TooFew(n))
        );
    }
    assert!(
        EncodingConfig::new(0)
            .unwrap_err()
            .to_string()
            .contains("at least 4")
    );
}

#[test]
fn oversize_blobs_are_an_error() {
    let config = EncodingConfig::new(4).unwrap();
    // n = 4: R = 2, C = 3, so at most 2·3·65534 bytes.
    let max = config.max_blob_size();
    assert_eq!(max, 393_204);
    let blob = vec![1u8; max as usize + 1];
    let expected = DataTooLargeError {
        length: max + 1,
        max_length: max,
        n_shards: 4,
    };
    assert_eq!(
        config.encode(&blob).unwrap_err(),
        EncodeError::DataTooLarge(expected)
    );
    assert_eq!(
        config.compute_metadata(&blob).unwrap_err(),
        EncodeError::DataTooLarge(expected)
    );
    assert_eq!(
        config.encode_owned(blob).unwrap_err(),
        EncodeError::DataTooLarge(expected)
    );
    assert_eq!(
        config.decode::<Primary>(max + 1, []).unwrap_err(),
        DecodeError::DataTooLarge(expected)
    );
    // Symbol sizes that would overflow u16 (or u64 arithmetic) are the same error.
    assert!(config.symbol_size(u64::MAX).is_err());
    assert!(config.encoded_blob_length(u64::MAX).is_err());
}

#[test]
fn every_size_up_to_the_maximum_encodes_and_decodes() {
    // n = 4 keeps the maximum small (393 204 bytes); walk the symbol-size boundaries.
    let config = EncodingConfig::new(4).unwrap();
    let max = config.max_blob_size() as usize;
    let mut lengths: Vec<usize> = (0..40).collect();
    for boundary in (6..=max).step_by(6 * 997) {
        lengths.extend([boundary - 1, boundary, boundary + 1]);
    }
    lengths.extend([max - 1, max]);
    let pattern: Vec<u8> = (0..max).map(|i| (i * 7 + 13) as u8).collect();
    for length in lengths.into_iter().filter(|&length| length <= max) {
        let blob = &pattern[..length];
        let encoded = config.encode(blob).unwrap();
        assert_eq!(
            encoded.metadata,
            config.compute_metadata(blob).unwrap(),
            "{length}"
        );
        let decoded = config
            .decode(
                length as u64,
                encoded.sliver_pairs.iter().rev().map(|pair| &pair.primary),
            )
            .unwrap();
        assert_eq!(&decoded[..], blob, "{length}");
    }
}

#[test]
fn sliver_construction_rejects_inconsistent_parts() {
    assert_eq!(
        PrimarySliver::new(vec![0u8; 4], 0, SliverIndex(0)).unwrap_err(),
        InvalidSliverError::ZeroSymbolSize
    );
    assert_eq!(
        PrimarySliver::new(vec![0u8; 5], 2, SliverIndex(0)).unwrap_err(),
        InvalidSliverError::NotWholeSymbols {
            length: 5,
            symbol_size: 2
        }
    );
}

#[test]
fn corrupt_truncated_and_mis_sized_slivers_are_named() {
    let config = EncodingConfig::new(10).unwrap();
    let encoded = config.encode(b"hello walrus").unwrap();
    let metadata = &encoded.metadata;
    let sliver = &encoded.sliver_pairs[0].primary;

    let truncated = PrimarySliver::new(sliver.data().slice(..12), 2, sliver.index()).unwrap();
    assert_eq!(
        truncated.verify(&config, metadata).unwrap_err(),
        SliverVerificationError::WrongLength {
            axis: Axis::Primary,
            index: 0,
            expected: 14,
            actual: 12
        }
    );
    let resized = PrimarySliver::new(sliver.data().clone(), 7, sliver.index()).unwrap();
    assert_eq!(
        resized.verify(&config, metadata).unwrap_err(),
        SliverVerificationError::SymbolSizeMismatch {
            axis: Axis::Primary,
            index: 0,
            expected: 2,
            actual: 7
        }
    );
    let misplaced = SecondarySliver::new(vec![0u8; 8], 2, SliverIndex(10)).unwrap();
    assert_eq!(
        misplaced.verify(&config, metadata).unwrap_err(),
        SliverVerificationError::IndexOutOfRange {
            axis: Axis::Secondary,
            index: 10,
            n_shards: 10
        }
    );
    let mut data = sliver.data().to_vec();
    data[3] ^= 0xff;
    let corrupt = PrimarySliver::new(data, 2, sliver.index()).unwrap();
    let error = corrupt.verify(&config, metadata).unwrap_err();
    assert!(matches!(
        error,
        SliverVerificationError::MerkleRootMismatch { index: 0, .. }
    ));
    assert!(error.to_string().contains("primary sliver 0"), "{error}");
    // Another blob's metadata.
    let other = EncodingConfig::new(13)
        .unwrap()
        .compute_metadata(b"x")
        .unwrap();
    assert!(matches!(
        sliver.verify(&config, &other).unwrap_err(),
        SliverVerificationError::ShardCountMismatch {
            metadata: 13,
            config: 10
        }
    ));
}

#[test]
fn bad_metadata_are_named() {
    let config = EncodingConfig::new(10).unwrap();
    let metadata = config
        .compute_metadata(b"hello walrus")
        .unwrap()
        .into_unverified();

    let mut short = metadata.clone();
    let BlobMetadata::V1(inner) = &mut short.metadata;
    inner.hashes.pop();
    assert_eq!(
        short.verify(&config).unwrap_err(),
        MetadataVerificationError::WrongNumberOfHashes {
            expected: 10,
            actual: 9
        }
    );

    let mut wrong_id = metadata.clone();
    wrong_id.blob_id = BlobId([1; 32]);
    assert!(matches!(
        wrong_id.verify(&config).unwrap_err(),
        MetadataVerificationError::BlobIdMismatch { claimed, .. } if claimed == BlobId([1; 32])
    ));

    let mut huge = metadata.clone();
    let BlobMetadata::V1(inner) = &mut huge.metadata;
    inner.unencoded_length = u64::MAX;
    huge.blob_id = huge.metadata.compute_blob_id();
    assert!(matches!(
        huge.verify(&config).unwrap_err(),
        MetadataVerificationError::DataTooLarge(_)
    ));

    // The same metadata verified against another shard count.
    assert!(matches!(
        metadata
            .verify(&EncodingConfig::new(13).unwrap())
            .unwrap_err(),
        MetadataVerificationError::WrongNumberOfHashes {
            expected: 13,
            actual: 10
        }
    ));
}

#[test]
fn bad_recovery_symbols_are_named() {
    let config = EncodingConfig::new(10).unwrap();
    let encoded = config.encode(b"hello walrus").unwrap();
    let metadata = &encoded.metadata;
    let target = SliverIndex(0);
    let symbol = encoded.sliver_pairs[0]
        .secondary
        .recovery_symbols(&config)
        .unwrap()
        .symbol(target)
        .unwrap();
    symbol.verify(&config, metadata, target).unwrap();

    let (decoding, proof) = symbol.clone().into_parts();
    let mut path = proof.path().to_vec();
    path.pop();
    let short_proof = PrimaryRecoverySymbol::new(decoding.clone(), MerkleProof::new(path));
    assert_eq!(
        short_proof.verify(&config, metadata, target).unwrap_err(),
        SymbolVerificationError::InvalidProof {
            source_axis: Axis::Secondary,
            index: 9,
            error: MerkleProofError::WrongLength {
                expected: 4,
                actual: 3,
                n_leaves: 10
            }
        }
    );
    let wrong_size = PrimaryRecoverySymbol::new(
        walrus_core::DecodingSymbol::new(decoding.index(), vec![0u8; 3]),
        proof.clone(),
    );
    assert_eq!(
        wrong_size.verify(&config, metadata, target).unwrap_err(),
        SymbolVerificationError::WrongSize {
            index: 9,
            expected: 2,
            actual: 3
        }
    );
    let out_of_range = PrimaryRecoverySymbol::new(
        walrus_core::DecodingSymbol::new(10, decoding.data().clone()),
        proof,
    );
    assert!(matches!(
        out_of_range.verify(&config, metadata, target).unwrap_err(),
        SymbolVerificationError::IndexOutOfRange { index: 10, .. }
    ));
    assert!(matches!(
        symbol
            .verify(&config, metadata, SliverIndex(11))
            .unwrap_err(),
        SymbolVerificationError::IndexOutOfRange { index: 11, .. }
    ));
}

#[test]
fn decoding_without_enough_usable_slivers_is_named() {
    let config = EncodingConfig::new(10).unwrap();
    let encoded = config.encode(b"hello walrus").unwrap();
    let first = &encoded.sliver_pairs[0].primary;
    let wrong_size = PrimarySliver::new(vec![0u8; 16], 2, SliverIndex(1)).unwrap();
    let out_of_range = PrimarySliver::new(vec![0u8; 14], 2, SliverIndex(12)).unwrap();
    let slivers = [
        first,
        first,
        &wrong_size,
        &out_of_range,
        &encoded.sliver_pairs[5].primary,
    ];
    assert_eq!(
        config.decode(12, slivers).unwrap_err(),
        DecodeError::NotEnoughSlivers {
            axis: Axis::Primary,
            needed: 4,
            received: 2,
            skipped: 3
        }
    );
}

/// A ULEB128 length prefix.
fn uleb(mut value: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            bytes.push(byte);
            return bytes;
        }
        bytes.push(byte | 0x80);
    }
}

#[test]
fn huge_length_prefixes_fail_without_allocating() {
    let max = (1u64 << 31) - 1;
    // Metadata claiming 2^31 − 1 pair hashes, with only a few bytes behind the prefix.
    let mut metadata = vec![0u8; 32];
    metadata.extend([0, 1]); // V1, RS2
    metadata.extend(5u64.to_le_bytes());
    metadata.extend(uleb(max));
    metadata.extend([0, 0, 0, 0]);
    let error = UnverifiedBlobMetadataWithId::from_bcs(&metadata).unwrap_err();
    assert!(error.to_string().contains("BlobMetadataWithId"), "{error}");

    // A sliver claiming 2^31 − 1 bytes of data.
    let mut sliver = uleb(max);
    sliver.extend([1, 2, 3, 2, 0, 0, 0]);
    assert!(PrimarySliver::from_bcs(&sliver).is_err());

    // A proof path and an inconsistency proof claiming 2^31 − 1 elements.
    let mut symbol = vec![0u8, 0, 2, 7, 7];
    symbol.extend(uleb(max));
    symbol.push(0);
    assert!(PrimaryRecoverySymbol::from_bcs(&symbol).is_err());
    let mut proof = vec![0u8, 0];
    proof.extend(uleb(max));
    proof.extend([0, 0, 2, 7, 7, 0]);
    assert!(InconsistencyProof::<Primary>::from_bcs(&proof).is_err());

    // Lengths above the BCS maximum and non-canonical ULEB128 are rejected too.
    let mut too_long = uleb(1 << 31);
    too_long.extend([0, 0]);
    assert!(PrimarySliver::from_bcs(&too_long).is_err());
    let non_canonical = [0x80u8, 0x00, 2, 0, 0, 0];
    assert!(PrimarySliver::from_bcs(&non_canonical).is_err());
}

#[test]
fn bcs_errors_name_the_problem() {
    let config = EncodingConfig::new(10).unwrap();
    let metadata = config.compute_metadata(b"hello walrus").unwrap();
    let bytes = metadata.to_bcs().unwrap();

    // Truncated.
    assert!(UnverifiedBlobMetadataWithId::from_bcs(&bytes[..bytes.len() - 1]).is_err());
    // Trailing bytes.
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(UnverifiedBlobMetadataWithId::from_bcs(&trailing).is_err());
    // Encoding type 0 (RaptorQ) at offset 33.
    let mut raptorq = bytes.clone();
    raptorq[33] = 0;
    let error = UnverifiedBlobMetadataWithId::from_bcs(&raptorq).unwrap_err();
    assert!(
        error.to_string().contains("unsupported encoding type 0"),
        "{error}"
    );
    // Unknown metadata version.
    let mut version = bytes.clone();
    version[32] = 1;
    assert!(UnverifiedBlobMetadataWithId::from_bcs(&version).is_err());
    // Unknown node tag.
    let mut node = bytes;
    node[32 + 1 + 1 + 8 + 1] = 2;
    assert!(UnverifiedBlobMetadataWithId::from_bcs(&node).is_err());
    // A sliver whose data is not a whole number of symbols.
    let sliver = [3u8, 1, 2, 3, 2, 0, 0, 0];
    let error = PrimarySliver::from_bcs(&sliver).unwrap_err();
    assert!(error.to_string().contains("not a whole number"), "{error}");
    let zero = [2u8, 1, 2, 0, 0, 0, 0];
    assert!(PrimarySliver::from_bcs(&zero).is_err());
    // Node decodes.
    assert_eq!(bcs::from_bytes::<Node>(&[0]).unwrap(), Node::Empty);
    assert!(Secondary::NAME.contains("secondary"));
}

use walrus_core::EncodingAxis as _;
