#[test_only]
module walrus::redstuff_tests;

use std::unit_test::assert_eq;
use walrus::encoding;
use walrus::redstuff;

#[test]
fun source_symbols() {
    assert_eq!(redstuff::max_byzantine(1000), 333);
    assert_eq!(redstuff::n_source_symbols_primary(1000), 334);
    assert_eq!(redstuff::n_source_symbols_secondary(1000), 667);
    assert_eq!(redstuff::n_source_symbols_primary(10), 4);
    assert_eq!(redstuff::n_source_symbols_secondary(10), 7);
    assert_eq!(redstuff::n_source_symbols_primary(4), 2);
    assert_eq!(redstuff::n_source_symbols_secondary(4), 3);
}

#[test]
fun symbol_sizes_match_the_encoder() {
    // ENCODING.md section 10: V1..V4 (n = 10) and V5, V8 (n = 1000).
    assert_eq!(redstuff::symbol_size(0, 10), 2);
    assert_eq!(redstuff::symbol_size(1, 10), 2);
    assert_eq!(redstuff::symbol_size(12, 10), 2);
    assert_eq!(redstuff::symbol_size(1_048_576, 10), 37450);
    assert_eq!(redstuff::symbol_size(0, 1000), 2);
    assert_eq!(redstuff::symbol_size(1_048_576, 1000), 6);
    // Largest blob for n = 10: R * C * 65534 = 28 * 65534.
    assert_eq!(redstuff::symbol_size(1_834_952, 10), 65534);
}

#[test, expected_failure(arithmetic_error, location = walrus::redstuff)]
fun symbol_size_too_large_aborts() {
    redstuff::symbol_size(1_834_953, 10);
}

#[test, expected_failure(arithmetic_error, location = walrus::redstuff)]
fun zero_shards_aborts() {
    redstuff::max_byzantine(0);
}

#[test]
fun metadata_size() {
    assert_eq!(redstuff::metadata_size(1000), 64_032);
    assert_eq!(redstuff::metadata_size(10), 672);
}

#[test]
fun encoded_lengths() {
    // The reference example: 17 bytes with 1000 shards.
    assert_eq!(redstuff::encoded_blob_length(17, 1000), 66_034_000);
    // n = 1000, empty blob: 1000 * (1001 * 2 + 64032).
    assert_eq!(redstuff::encoded_blob_length(0, 1000), 66_034_000);
    // n = 10, 1 MiB: 10 * (11 * 37450 + 672).
    assert_eq!(redstuff::encoded_blob_length(1_048_576, 10), 4_126_220);
    // n = 10, 1,000,000 bytes (the test blob): symbol 35716.
    assert_eq!(redstuff::encoded_blob_length(1_000_000, 10), 3_935_480);
}

#[test]
fun encoding_rs2() {
    assert_eq!(encoding::rs2(), 1);
    assert!(encoding::is_valid(1));
    assert!(!encoding::is_valid(0));
    encoding::assert_valid(1);
    assert_eq!(encoding::encoded_blob_length(17, 1, 1000), 66_034_000);
}

#[test, expected_failure(abort_code = encoding::EInvalidEncodingType)]
fun encoding_raptorq_rejected() {
    encoding::encoded_blob_length(17, 0, 1000);
}

#[test, expected_failure(abort_code = encoding::EInvalidEncodingType)]
fun assert_valid_rejects_unknown_type() {
    encoding::assert_valid(2);
}
