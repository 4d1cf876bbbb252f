/// Sizes of RS2 ("RedStuff") encoded blobs, as paid for and stored by the committee.
module walrus::redstuff;

// === Constants ===

/// Bytes of metadata per shard and per shard pair hash (primary + secondary hash).
const DIGEST_LEN: u64 = 32;
/// Size of a blob id.
const BLOB_ID_LEN: u64 = 32;

// === Public functions ===

/// Encoded length of a blob of `unencoded_length` bytes with `n_shards` shards:
/// n * ((R + C) * symbol_size + (64 n + 32)) with R = n - 2f, C = n - f, f = (n - 1) / 3.
public fun encoded_blob_length(unencoded_length: u64, n_shards: u16): u64 {
    let n = n_shards as u64;
    let slivers_size = (n_source_symbols_primary(n_shards) + n_source_symbols_secondary(n_shards))
        * (symbol_size(unencoded_length, n_shards) as u64);
    n * (slivers_size + metadata_size(n_shards))
}

/// Per-shard metadata length: n primary and n secondary 32-byte hashes plus the 32-byte blob id.
public fun metadata_size(n_shards: u16): u64 {
    (n_shards as u64) * DIGEST_LEN * 2 + BLOB_ID_LEN
}

/// The symbol size: ceil(max(L, 1) / (R * C)), rounded up to even. A blob too large for the
/// shard count (a symbol above 65534 bytes) overflows the u16, an arithmetic abort, as in
/// Walrus mainnet.
public fun symbol_size(unencoded_length: u64, n_shards: u16): u16 {
    let length = if (unencoded_length == 0) 1 else unencoded_length;
    let source_symbols =
        n_source_symbols_primary(n_shards) * n_source_symbols_secondary(n_shards);
    let mut size = ((length - 1) / source_symbols + 1) as u16;
    if (size % 2 == 1) size = size + 1;
    size
}

/// Number of primary source symbols R = n - 2f.
public fun n_source_symbols_primary(n_shards: u16): u64 {
    let n = n_shards as u64;
    n - 2 * max_byzantine(n_shards)
}

/// Number of secondary source symbols C = n - f.
public fun n_source_symbols_secondary(n_shards: u16): u64 {
    let n = n_shards as u64;
    n - max_byzantine(n_shards)
}

/// The maximum number of Byzantine shards f = (n - 1) / 3 (zero shards underflow: an
/// arithmetic abort).
public fun max_byzantine(n_shards: u16): u64 {
    ((n_shards - 1) / 3) as u64
}
