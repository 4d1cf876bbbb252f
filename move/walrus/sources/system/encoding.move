/// Encoding types. Only RS2 (1) exists; 0 (RaptorQ) was retired and is rejected.
module walrus::encoding;

use walrus::redstuff;

// === Constants ===

/// The RS2 ("RedStuff" Reed-Solomon) encoding type.
const RS2: u8 = 1;

// === Errors ===

/// The encoding type is not supported (only RS2 = 1 is).
const EInvalidEncodingType: u64 = 0;

// === Public functions ===

/// The encoded length of a blob of `unencoded_length` bytes with `encoding_type` and
/// `n_shards` shards. Aborts with `EInvalidEncodingType` unless the type is RS2.
public fun encoded_blob_length(unencoded_length: u64, encoding_type: u8, n_shards: u16): u64 {
    assert!(encoding_type == RS2, EInvalidEncodingType);
    redstuff::encoded_blob_length(unencoded_length, n_shards)
}

/// The RS2 encoding type value (1).
public fun rs2(): u8 { RS2 }

/// Whether `encoding_type` is supported.
public fun is_valid(encoding_type: u8): bool { encoding_type == RS2 }

/// Aborts with `EInvalidEncodingType` unless `encoding_type` is supported.
public fun assert_valid(encoding_type: u8) { assert!(is_valid(encoding_type), EInvalidEncodingType) }
