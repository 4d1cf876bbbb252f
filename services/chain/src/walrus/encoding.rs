//! Mirror of `move/walrus/sources/system/encoding.move` and `system/redstuff.move`: the encoded
//! length of a blob, which is what storage is reserved and paid for.

use super::errors::{self, encoding as enc_err};
use crate::types::ExecutionFailure;

/// `encoding::RS2`.
pub const RS2: u8 = 1;
/// The largest symbol size: symbols are `u16` and even.
pub const MAX_SYMBOL_SIZE: u64 = 65534;
/// The Move module whose arithmetic aborts a blob too large for its shard count.
const REDSTUFF: &str = "walrus::redstuff";
/// `redstuff::DIGEST_LEN`.
pub const DIGEST_LEN: u64 = 32;
/// `redstuff::BLOB_ID_LEN`.
pub const BLOB_ID_LEN: u64 = 32;

/// `encoding::encoded_blob_length` (`EInvalidEncodingType` unless RS2).
pub fn encoded_blob_length(
    unencoded_length: u64,
    encoding_type: u8,
    n_shards: u16,
) -> Result<u64, ExecutionFailure> {
    enc_err::EInvalidEncodingType.ensure(encoding_type == RS2)?;
    redstuff_encoded_blob_length(unencoded_length, n_shards)
}

fn overflow() -> ExecutionFailure {
    errors::arithmetic(REDSTUFF)
}

/// `redstuff::encoded_blob_length`: `n * ((R + C) * symbol_size + 64 n + 32)`.
pub fn redstuff_encoded_blob_length(
    unencoded_length: u64,
    n_shards: u16,
) -> Result<u64, ExecutionFailure> {
    let n = u64::from(n_shards);
    let symbols = n_source_symbols_primary(n_shards)? + n_source_symbols_secondary(n_shards)?;
    let slivers_size = symbols
        .checked_mul(u64::from(symbol_size(unencoded_length, n_shards)?))
        .ok_or_else(overflow)?;
    slivers_size
        .checked_add(metadata_size(n_shards))
        .and_then(|per_shard| per_shard.checked_mul(n))
        .ok_or_else(overflow)
}

/// `redstuff::metadata_size`: `n * 64 + 32`.
pub fn metadata_size(n_shards: u16) -> u64 {
    u64::from(n_shards) * DIGEST_LEN * 2 + BLOB_ID_LEN
}

/// `redstuff::symbol_size`: the quotient is cast to `u16` and rounded up to even in `u16`, so
/// a symbol above 65534 bytes is an arithmetic abort, as in Move.
pub fn symbol_size(unencoded_length: u64, n_shards: u16) -> Result<u16, ExecutionFailure> {
    let length = unencoded_length.max(1);
    let source_symbols =
        n_source_symbols_primary(n_shards)? * n_source_symbols_secondary(n_shards)?;
    let size = u16::try_from((length - 1) / source_symbols + 1).map_err(|_| overflow())?;
    if size % 2 == 1 {
        size.checked_add(1).ok_or_else(overflow)
    } else {
        Ok(size)
    }
}

/// `redstuff::n_source_symbols_primary`: `R = n - 2f`.
pub fn n_source_symbols_primary(n_shards: u16) -> Result<u64, ExecutionFailure> {
    Ok(u64::from(n_shards) - 2 * max_byzantine(n_shards)?)
}

/// `redstuff::n_source_symbols_secondary`: `C = n - f`.
pub fn n_source_symbols_secondary(n_shards: u16) -> Result<u64, ExecutionFailure> {
    Ok(u64::from(n_shards) - max_byzantine(n_shards)?)
}

/// `redstuff::max_byzantine`: `f = (n - 1) / 3` (zero shards underflow: arithmetic abort).
pub fn max_byzantine(n_shards: u16) -> Result<u64, ExecutionFailure> {
    let below = n_shards.checked_sub(1).ok_or_else(overflow)?;
    Ok(u64::from(below / 3))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn lengths_match_walrus_core() {
        // The Move formula must agree with the real encoder's sizes.
        for n in [4u16, 7, 10, 100, 1000] {
            let config = walrus_core::EncodingConfig::new(n).unwrap();
            for size in [0u64, 1, 12, 1000, 1 << 20, 10_000_000] {
                let ours = encoded_blob_length(size, RS2, n).ok();
                let core = config.encoded_blob_length(size).ok();
                assert_eq!(ours, core, "n = {n}, size = {size}");
            }
        }
    }

    #[test]
    fn aborts() {
        assert!(enc_err::EInvalidEncodingType.matches(&encoded_blob_length(1, 0, 10).unwrap_err()));
        let arithmetic = errors::arithmetic(REDSTUFF);
        assert_eq!(encoded_blob_length(1, RS2, 0).unwrap_err(), arithmetic);
        // n = 4: R*C = 2*3 = 6 source symbols of at most 65534 bytes.
        assert!(encoded_blob_length(6 * 65534, RS2, 4).is_ok());
        // 65535 fits a u16 but rounding it up to even does not; 65536 does not fit at all.
        assert_eq!(
            encoded_blob_length(6 * 65534 + 1, RS2, 4).unwrap_err(),
            arithmetic
        );
        assert_eq!(
            encoded_blob_length(6 * 65535 + 1, RS2, 4).unwrap_err(),
            arithmetic
        );
        // 12 bytes with 10 shards: f = 3, R = 4, C = 7, symbol 2: 10 * (11 * 2 + 672) = 6940.
        assert_eq!(encoded_blob_length(12, RS2, 10).unwrap(), 6940);
    }
}
