//! Byte-identity with the official Walrus encoder: every vector of
//! `tests/vectors/encoding_rs2.jsonl`, the full V3 dump and the additional known vectors of
//! ENCODING.md §10.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use walrus_core::{
    Bcs, BlobId, EncodedBlob, EncodingConfig, Primary, PrimarySliver, Secondary, SecondarySliver,
    UnverifiedBlobMetadataWithId,
};

/// One line of the vector file.
#[derive(Debug, Deserialize)]
struct Vector {
    input: String,
    n_shards: u16,
    f: u16,
    primary_source_symbols: u16,
    secondary_source_symbols: u16,
    unencoded_length: u64,
    encoding_type: String,
    symbol_size: u16,
    primary_sliver_bytes: usize,
    secondary_sliver_bytes: usize,
    primary_bcs_bytes: usize,
    secondary_bcs_bytes: usize,
    blob_id_b64url: String,
    blob_id_hex: String,
    root_hash_hex: String,
    rotation_offset: u16,
    sliver_hashes_sha256: String,
    metadata_with_id_bcs_sha256: String,
    primary_bcs_concat_sha256: String,
    secondary_bcs_concat_sha256: String,
}

const VECTORS: &str = include_str!("vectors/encoding_rs2.jsonl");

/// `(i·7 + 13) mod 256` for `i` in `0..length`.
fn pattern(length: usize) -> Vec<u8> {
    (0..length).map(|i| ((i * 7 + 13) % 256) as u8).collect()
}

fn input(name: &str) -> Vec<u8> {
    match name {
        "a_empty" => Vec::new(),
        "b_one_zero_byte" => vec![0],
        "c_hello_walrus" => b"hello walrus".to_vec(),
        "d_1MiB_i7p13" => pattern(1 << 20),
        other => panic!("unknown vector input {other}"),
    }
}

fn sha256_hex(parts: impl IntoIterator<Item = impl AsRef<[u8]>>) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_ref());
    }
    hex::encode(hasher.finalize())
}

fn check_vector(vector: &Vector) {
    let name = format!("{} n={}", vector.input, vector.n_shards);
    let blob = input(&vector.input);
    assert_eq!(blob.len() as u64, vector.unencoded_length, "{name}");
    assert_eq!(vector.encoding_type, "RS2");

    let config = EncodingConfig::new(vector.n_shards).unwrap();
    assert_eq!(config.max_faulty(), vector.f, "{name}");
    assert_eq!(
        config.n_primary_source_symbols(),
        vector.primary_source_symbols
    );
    assert_eq!(
        config.n_secondary_source_symbols(),
        vector.secondary_source_symbols
    );
    assert_eq!(
        config.symbol_size(vector.unencoded_length).unwrap().get(),
        vector.symbol_size
    );

    let EncodedBlob {
        sliver_pairs,
        metadata,
    } = config.encode(&blob).unwrap();
    let blob_id = *metadata.blob_id();
    assert_eq!(
        hex::encode(blob_id.0),
        vector.blob_id_hex,
        "{name}: blob ID"
    );
    assert_eq!(
        blob_id.to_string(),
        vector.blob_id_b64url,
        "{name}: blob ID text"
    );
    assert_eq!(
        metadata.metadata().compute_root_hash().to_string(),
        vector.root_hash_hex,
        "{name}: root hash"
    );
    assert_eq!(
        config.rotation_offset(&blob_id),
        vector.rotation_offset,
        "{name}"
    );

    let hashes = metadata.metadata().hashes();
    assert_eq!(hashes.len(), usize::from(vector.n_shards));
    assert_eq!(
        sha256_hex(
            hashes
                .iter()
                .flat_map(|pair| [pair.primary_hash.bytes(), pair.secondary_hash.bytes()])
        ),
        vector.sliver_hashes_sha256,
        "{name}: sliver hashes"
    );
    let metadata_bcs = metadata.to_bcs().unwrap();
    assert_eq!(
        sha256_hex([&metadata_bcs]),
        vector.metadata_with_id_bcs_sha256,
        "{name}: BCS(BlobMetadataWithId)"
    );

    // The verifier's Merkle root of each sliver's expansion (hashed straight from the
    // Reed–Solomon encoder) is the official hash, and the official BCS bytes decode zero-copy.
    for (pair, hashes) in sliver_pairs.iter().zip(hashes) {
        assert_eq!(
            pair.primary.merkle_root(&config).unwrap(),
            hashes.primary_hash,
            "{name}"
        );
        assert_eq!(
            pair.secondary.merkle_root(&config).unwrap(),
            hashes.secondary_hash,
            "{name}"
        );
        let primary = PrimarySliver::from_bcs_bytes(pair.primary.to_bcs().unwrap().into()).unwrap();
        primary.verify(&config, &metadata).unwrap();
        let secondary =
            SecondarySliver::from_bcs_bytes(pair.secondary.to_bcs().unwrap().into()).unwrap();
        secondary.verify(&config, &metadata).unwrap();
    }

    let mut primary_buffers = Vec::new();
    let mut secondary_buffers = Vec::new();
    for (pair_index, pair) in sliver_pairs.iter().enumerate() {
        assert_eq!(pair.index().as_usize(), pair_index);
        assert_eq!(pair.primary.index().as_usize(), pair_index);
        assert_eq!(
            pair.secondary.index().as_usize(),
            usize::from(vector.n_shards) - 1 - pair_index
        );
        assert_eq!(pair.primary.data().len(), vector.primary_sliver_bytes);
        assert_eq!(pair.secondary.data().len(), vector.secondary_sliver_bytes);
        let primary = pair.primary.to_bcs().unwrap();
        let secondary = pair.secondary.to_bcs().unwrap();
        assert_eq!(primary.len(), vector.primary_bcs_bytes);
        assert_eq!(secondary.len(), vector.secondary_bcs_bytes);
        primary_buffers.push(primary);
        secondary_buffers.push(secondary);
    }
    assert_eq!(
        sha256_hex(&primary_buffers),
        vector.primary_bcs_concat_sha256,
        "{name}: primary slivers"
    );
    assert_eq!(
        sha256_hex(&secondary_buffers),
        vector.secondary_bcs_concat_sha256,
        "{name}: secondary slivers"
    );

    // The other paths give the same result.
    assert_eq!(
        config.compute_metadata(&blob).unwrap(),
        metadata,
        "{name}: metadata-only"
    );
    assert_eq!(
        config.encode_owned(blob.clone()).unwrap().metadata,
        metadata,
        "{name}: owned"
    );

    // The metadata verify against the ID, and parse back from BCS.
    let parsed = UnverifiedBlobMetadataWithId::from_bcs(&metadata_bcs).unwrap();
    assert_eq!(parsed.clone().verify(&config).unwrap(), metadata);

    // Slivers verify (a sample for large n, to keep the test fast), and both axes decode.
    let stride = if vector.n_shards > 100 { 37 } else { 1 };
    for pair in sliver_pairs.iter().step_by(stride) {
        pair.primary.verify(&config, &metadata).unwrap();
        pair.secondary.verify(&config, &metadata).unwrap();
    }
    let primaries = sliver_pairs.iter().rev().map(|pair| &pair.primary);
    assert_eq!(
        config
            .decode::<Primary>(vector.unencoded_length, primaries)
            .unwrap(),
        blob
    );
    let secondaries = sliver_pairs.iter().map(|pair| &pair.secondary);
    assert_eq!(
        config
            .decode::<Secondary>(vector.unencoded_length, secondaries)
            .unwrap(),
        blob
    );
}

fn vectors() -> Vec<Vector> {
    VECTORS
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn vector(number: usize) -> Vector {
    vectors().into_iter().nth(number - 1).unwrap()
}

#[test]
fn the_vector_file_has_eight_cases() {
    assert_eq!(vectors().len(), 8);
}

#[test]
fn v1_empty_n10() {
    check_vector(&vector(1));
}

#[test]
fn v2_one_zero_byte_n10() {
    check_vector(&vector(2));
}

#[test]
fn v3_hello_walrus_n10() {
    check_vector(&vector(3));
}

#[test]
fn v4_one_mib_n10() {
    check_vector(&vector(4));
}

#[test]
fn v5_empty_n1000() {
    check_vector(&vector(5));
}

#[test]
fn v6_one_zero_byte_n1000() {
    check_vector(&vector(6));
}

#[test]
fn v7_hello_walrus_n1000() {
    check_vector(&vector(7));
}

#[test]
fn v8_one_mib_n1000() {
    check_vector(&vector(8));
}

/// ENCODING.md §10, "Full dump for V3": per pair, the two sliver hashes and both BCS buffers.
const V3_DUMP: &str = "\
0 08810d5f8eba7e8e7fd27daa4dd7aeb351777b1d4fa146ddbd60aff9abf603b8 75a837cc4cdcfc23b04ff67229b076f0e9ec81941f42d5b951b6eddb89709265 | 0e68656c6c6f2077616c727573000002000000 | 08b6e400000000000002000900
1 db58f368d9bc3234adaa423ddfadfc96debcfa47a72d873ecb8f5207c1b6938c 7a20290a1c8e2c17b89758467ae0b843002146b9bc0b2cb43b015c64a73ece5f | 0e000000000000000000000000000002000100 | 08bef900000000000002000800
2 db58f368d9bc3234adaa423ddfadfc96debcfa47a72d873ecb8f5207c1b6938c 0b11fb9c23b703411761d452372d9f1f2120e9c0e483274a63886280bbea5448 | 0e000000000000000000000000000002000200 | 08e24800000000000002000700
3 db58f368d9bc3234adaa423ddfadfc96debcfa47a72d873ecb8f5207c1b6938c db58f368d9bc3234adaa423ddfadfc96debcfa47a72d873ecb8f5207c1b6938c | 0e000000000000000000000000000002000300 | 08000000000000000002000600
4 3c33f29b2df6d14f85deb7920997f1022aaf609a06b26c961de0b5d068a24af9 3e9027fce2474604536534042822cc31c33fb88a15c4b08f23069dd510446b3b | 0e6943504495504b42aa83ef8f000002000400 | 08757300000000000002000500
5 a3b1511c695527acf7ce9538fd8c5fd1d102af8907db02933ff379f1968ba777 7acb9b2928c049a295b2d0ad8fa9d1812ca83f9b78c701415f2ee685c96a9154 | 0e7ba5fca78e4951ab2554965b000002000500 | 086c7200000000000002000400
6 20c1c73ee01ffb452915dabac6e8a83c9a4a194aaef91cd9ea18f99dfc4f26ad 2857355a4c18551074834becce77fb138f191ef41b954fd7115f784464c7c27e | 0e5917a81f45d6861b4fb207b8000002000600 | 08776100000000000002000300
7 5d06b4c63561a32a9f83781ca63b26a5af85157d68ca89820df340c8c18d67df 8b4e08e6ea173424fed75347723b1a476fbbc2e9d2c3df8a8a822b31e85525e7 | 0e2394689031efeb93ac170b1f000002000700 | 086f2000000000000002000200
8 20c1c73ee01ffb452915dabac6e8a83c9a4a194aaef91cd9ea18f99dfc4f26ad 67f8ad3baa8fc71be5559943806cbba396d0b443e5a96a96933232c0a57d5620 | 0e5917a81f45d6861b4fb207b8000002000800 | 086c6c00000000000002000100
9 a3b1511c695527acf7ce9538fd8c5fd1d102af8907db02933ff379f1968ba777 8bc576dca10c4ed50c1998b19c7d4ba45a28bf965c341cbfdd63d5513027fbca | 0e7ba5fca78e4951ab2554965b000002000900 | 08686500000000000002000000
";

#[test]
fn v3_full_dump() {
    let config = EncodingConfig::new(10).unwrap();
    let encoded = config.encode(b"hello walrus").unwrap();
    let hashes = encoded.metadata.metadata().hashes();
    let mut lines = 0;
    for line in V3_DUMP.lines() {
        let fields: Vec<&str> = line
            .split_whitespace()
            .filter(|field| *field != "|")
            .collect();
        let [
            pair,
            primary_hash,
            secondary_hash,
            primary_bcs,
            secondary_bcs,
        ] = fields[..]
        else {
            panic!("malformed dump line {line}");
        };
        let pair: usize = pair.parse().unwrap();
        assert_eq!(
            hashes[pair].primary_hash.to_string(),
            primary_hash,
            "pair {pair}"
        );
        assert_eq!(
            hashes[pair].secondary_hash.to_string(),
            secondary_hash,
            "pair {pair}"
        );
        let slivers = &encoded.sliver_pairs[pair];
        assert_eq!(
            hex::encode(slivers.primary.to_bcs().unwrap()),
            primary_bcs,
            "pair {pair}"
        );
        assert_eq!(
            hex::encode(slivers.secondary.to_bcs().unwrap()),
            secondary_bcs,
            "pair {pair}"
        );
        lines += 1;
    }
    assert_eq!(lines, 10);
    // BCS(BlobMetadataWithId) is 703 bytes for n = 10, with the encoding type at offset 33.
    let bcs = encoded.metadata.to_bcs().unwrap();
    assert_eq!(bcs.len(), 703);
    assert_eq!(bcs[32], 0, "BlobMetadata::V1 tag");
    assert_eq!(bcs[33], 1, "RS2");
}

#[test]
fn metadata_bcs_length_for_n1000() {
    let config = EncodingConfig::new(1000).unwrap();
    let metadata = config.compute_metadata(b"").unwrap();
    assert_eq!(metadata.to_bcs().unwrap().len(), 66_044);
}

#[test]
fn walrus_v1_blob_id_stability() {
    let config = EncodingConfig::new(10).unwrap();
    let metadata = config
        .compute_metadata(b"walrus blob id v1 regression test")
        .unwrap();
    assert_eq!(
        metadata.blob_id().to_string(),
        "RcU82Mwf-CFkv1LaI_2qcpANwpGUuG3TMwnVzZxD2kY"
    );
    assert_eq!(
        hex::encode(metadata.blob_id().0),
        "45c53cd8cc1ff82164bf52da23fdaa72900dc29194b86dd33309d5cd9c43da46"
    );
}

#[test]
fn wasm_package_vector() {
    let config = EncodingConfig::new(1000).unwrap();
    let blob: Vec<u8> = (0..10).collect();
    let metadata = config.compute_metadata(&blob).unwrap();
    assert_eq!(
        hex::encode(metadata.blob_id().0),
        "865ca48479104a9bdc136f7d6730b7f3920012eccb4e99ba8540b9363766e093"
    );
}

/// The 64 MiB performance vector. Slow in the dev profile; run with
/// `cargo test --release -p walrus-core --test vectors -- --ignored`.
#[test]
#[ignore = "64 MiB; run in release with --ignored"]
fn sixty_four_mib_n1000() {
    let config = EncodingConfig::new(1000).unwrap();
    let blob = pattern(64 << 20);
    let metadata = config.compute_metadata(&blob).unwrap();
    let expected: BlobId = "qkGHZQ8y4zpsrslyvkU475WI1QIjYG0bAOoV6JCEB3Q"
        .parse()
        .unwrap();
    assert_eq!(*metadata.blob_id(), expected);
    assert_eq!(
        metadata.metadata().compute_root_hash().to_string(),
        "67a7c7000c5a72888f8f345389b70285f8c5285e3d5e0e96ddcf2539ecc2bc94"
    );
    let encoded = config.encode_owned(blob).unwrap();
    assert_eq!(encoded.metadata, metadata);
    assert_eq!(
        encoded.sliver_pairs[0].primary.to_bcs().unwrap().len(),
        201_441
    );
    assert_eq!(
        encoded.sliver_pairs[0].secondary.to_bcs().unwrap().len(),
        100_875
    );
}
