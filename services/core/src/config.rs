//! [`EncodingConfig`]: the RS2 parameters for a shard count `n` (§1, §3, §7): `f`, the source
//! symbol counts, symbol and sliver sizes, the maximum blob size, the on-chain encoded length,
//! and the rotation between sliver pairs and shards.

use std::num::NonZeroU16;

use reed_solomon_simd::ReedSolomonEncoder;
use thiserror::Error;

use crate::{
    axis::EncodingAxis,
    ids::{BlobId, EncodingType, ShardIndex, SliverIndex, SliverPairIndex},
};

/// The smallest supported shard count: below it `f = 0` and there would be no parity.
pub const MIN_SHARDS: u16 = 4;

/// The largest supported shard count: beyond it reed-solomon-simd cannot build the codes (§1).
pub const MAX_SUPPORTED_SHARDS: u16 = 49_155;

/// The shard count cannot be used with RS2.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum InvalidShardCountError {
    /// `n < 4`: with `f = 0` there are no parity symbols.
    #[error(
        "{0} shards are too few: RS2 needs at least {MIN_SHARDS} (f = (n-1)/3 must be positive)"
    )]
    TooFew(u16),
    /// `n > 49155`: reed-solomon-simd does not support the resulting codes.
    #[error("{0} shards are too many: reed-solomon-simd supports at most {MAX_SUPPORTED_SHARDS}")]
    TooMany(u16),
}

/// The blob is larger than the largest blob encodable with this shard count.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[error(
    "the data is too large to be encoded: {length} bytes, but at most {max_length} bytes fit in \
     {n_shards} shards"
)]
pub struct DataTooLargeError {
    /// The length of the blob.
    pub length: u64,
    /// The maximum blob length for `n_shards`.
    pub max_length: u64,
    /// The shard count.
    pub n_shards: u16,
}

/// An index is not below the shard count.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[error("{kind} {index} is out of range for {n_shards} shards")]
pub struct IndexOutOfRangeError {
    /// What the index indexes ("shard index", "sliver pair index", …).
    pub kind: &'static str,
    /// The offending index.
    pub index: u16,
    /// The shard count.
    pub n_shards: u16,
}

/// The RS2 parameters for `n` shards (§1).
///
/// | symbol | value | meaning |
/// |---|---|---|
/// | `f` | `(n − 1) / 3` | tolerated faulty shards |
/// | `R` | `n − 2f` | primary source symbols: rows of the message matrix, symbols per secondary sliver |
/// | `C` | `n − f` | secondary source symbols: columns, symbols per primary sliver |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EncodingConfig {
    n_shards: u16,
    max_faulty: u16,
    primary_source_symbols: u16,
    secondary_source_symbols: u16,
}

impl EncodingConfig {
    /// The parameters for `n_shards` shards; `4 ≤ n_shards ≤ 49155`.
    pub fn new(n_shards: u16) -> Result<Self, InvalidShardCountError> {
        if n_shards < MIN_SHARDS {
            return Err(InvalidShardCountError::TooFew(n_shards));
        }
        let max_faulty = (n_shards - 1) / 3;
        let primary_source_symbols = n_shards - 2 * max_faulty;
        let secondary_source_symbols = n_shards - max_faulty;
        let supported = ReedSolomonEncoder::supports(
            usize::from(primary_source_symbols),
            usize::from(2 * max_faulty),
        ) && ReedSolomonEncoder::supports(
            usize::from(secondary_source_symbols),
            usize::from(max_faulty),
        );
        if !supported {
            return Err(InvalidShardCountError::TooMany(n_shards));
        }
        Ok(Self {
            n_shards,
            max_faulty,
            primary_source_symbols,
            secondary_source_symbols,
        })
    }

    /// The encoding type: always RS2.
    pub const fn encoding_type(&self) -> EncodingType {
        EncodingType::Rs2
    }

    /// `n`, the number of shards (and of sliver pairs).
    pub const fn n_shards(&self) -> u16 {
        self.n_shards
    }

    /// `n` as a non-zero value.
    pub fn n_shards_non_zero(&self) -> NonZeroU16 {
        NonZeroU16::new(self.n_shards).unwrap_or(NonZeroU16::MIN)
    }

    /// `f = (n − 1) / 3`, the number of faulty shards tolerated.
    pub const fn max_faulty(&self) -> u16 {
        self.max_faulty
    }

    /// `R = n − 2f`: rows of the message matrix, the number of symbols in a secondary sliver and
    /// the number of primary slivers needed to decode.
    pub const fn n_primary_source_symbols(&self) -> u16 {
        self.primary_source_symbols
    }

    /// `C = n − f`: columns of the message matrix, the number of symbols in a primary sliver and
    /// the number of secondary slivers needed to decode.
    pub const fn n_secondary_source_symbols(&self) -> u16 {
        self.secondary_source_symbols
    }

    /// The source symbols of the code along axis `A`: `R` for primary, `C` for secondary.
    pub const fn n_source_symbols<A: EncodingAxis>(&self) -> u16 {
        if A::IS_PRIMARY {
            self.primary_source_symbols
        } else {
            self.secondary_source_symbols
        }
    }

    /// The number of symbols in one sliver of axis `A`: `C` for primary, `R` for secondary.
    pub const fn n_symbols_per_sliver<A: EncodingAxis>(&self) -> u16 {
        self.n_source_symbols::<A::OrthogonalAxis>()
    }

    /// How many distinct slivers of axis `A` reconstruct the blob (§7): `R` or `C`.
    pub const fn n_slivers_for_reconstruction<A: EncodingAxis>(&self) -> usize {
        self.n_source_symbols::<A>() as usize
    }

    /// How many recovery symbols recover one sliver of axis `A` (§7): `C` for a primary sliver,
    /// `R` for a secondary one.
    pub const fn n_symbols_for_recovery<A: EncodingAxis>(&self) -> usize {
        self.n_source_symbols::<A::OrthogonalAxis>() as usize
    }

    /// The symbol size for a blob of `unencoded_length` bytes (§1.1): `ceil(max(L, 1) / (R·C))`
    /// rounded up to even.
    pub fn symbol_size(&self, unencoded_length: u64) -> Result<NonZeroU16, DataTooLargeError> {
        let source_symbols =
            u64::from(self.primary_source_symbols) * u64::from(self.secondary_source_symbols);
        let size = unencoded_length.max(1).div_ceil(source_symbols);
        let size = size.next_multiple_of(u64::from(EncodingType::Rs2.required_alignment()));
        u16::try_from(size)
            .ok()
            .and_then(NonZeroU16::new)
            .filter(|size| size.get() <= EncodingType::Rs2.max_symbol_size())
            .ok_or(DataTooLargeError {
                length: unencoded_length,
                max_length: self.max_blob_size(),
                n_shards: self.n_shards,
            })
    }

    /// The largest encodable blob: `R·C·65534` bytes.
    pub fn max_blob_size(&self) -> u64 {
        u64::from(self.primary_source_symbols)
            * u64::from(self.secondary_source_symbols)
            * u64::from(EncodingType::Rs2.max_symbol_size())
    }

    /// Fails with [`DataTooLargeError`] if a blob of this length cannot be encoded.
    pub fn check_length(&self, unencoded_length: u64) -> Result<(), DataTooLargeError> {
        self.symbol_size(unencoded_length).map(|_| ())
    }

    /// The byte length of a sliver of axis `A` for a blob of `unencoded_length` bytes
    /// (§1.2): `C·s` for primary, `R·s` for secondary.
    pub fn sliver_size<A: EncodingAxis>(
        &self,
        unencoded_length: u64,
    ) -> Result<u64, DataTooLargeError> {
        let symbol_size = self.symbol_size(unencoded_length)?;
        Ok(u64::from(self.n_symbols_per_sliver::<A>()) * u64::from(symbol_size.get()))
    }

    /// The on-chain metadata length term, `64n + 32` (not the BCS length of the metadata).
    pub fn metadata_length(&self) -> u64 {
        64 * u64::from(self.n_shards) + 32
    }

    /// The on-chain "encoded length" used for storage accounting (§1.2):
    /// `n·(64n + 32) + n·(R + C)·s`.
    pub fn encoded_blob_length(&self, unencoded_length: u64) -> Result<u64, DataTooLargeError> {
        let symbol_size = u64::from(self.symbol_size(unencoded_length)?.get());
        let n = u64::from(self.n_shards);
        let symbols_per_pair =
            u64::from(self.primary_source_symbols) + u64::from(self.secondary_source_symbols);
        Ok(n * self.metadata_length() + n * symbols_per_pair * symbol_size)
    }

    /// The rotation offset of this blob's sliver pairs onto shards (§3).
    pub fn rotation_offset(&self, blob_id: &BlobId) -> u16 {
        blob_id.rotation_offset(self.n_shards)
    }

    /// The shard that stores sliver pair `pair` of `blob_id`: `(p + offset) mod n`.
    pub fn shard_for_pair(
        &self,
        pair: SliverPairIndex,
        blob_id: &BlobId,
    ) -> Result<ShardIndex, IndexOutOfRangeError> {
        let pair = self.check_index("sliver pair index", pair.get())?;
        let n = u32::from(self.n_shards);
        let shard = (pair + u32::from(self.rotation_offset(blob_id))) % n;
        Ok(ShardIndex(self.narrow(shard)))
    }

    /// The sliver pair of `blob_id` stored on `shard`: `(n + t − offset) mod n`.
    pub fn pair_for_shard(
        &self,
        shard: ShardIndex,
        blob_id: &BlobId,
    ) -> Result<SliverPairIndex, IndexOutOfRangeError> {
        let shard = self.check_index("shard index", shard.get())?;
        let n = u32::from(self.n_shards);
        let pair = (n + shard - u32::from(self.rotation_offset(blob_id))) % n;
        Ok(SliverPairIndex(self.narrow(pair)))
    }

    /// The index, on axis `A`, of the sliver that pair `pair` holds: `p` for primary,
    /// `n − 1 − p` for secondary (§3).
    pub fn sliver_index_for_pair<A: EncodingAxis>(
        &self,
        pair: SliverPairIndex,
    ) -> Result<SliverIndex, IndexOutOfRangeError> {
        self.check_index("sliver pair index", pair.get())?;
        Ok(SliverIndex(self.mirror::<A>(pair.get())))
    }

    /// The pair holding sliver `sliver` of axis `A` (the inverse of
    /// [`sliver_index_for_pair`](Self::sliver_index_for_pair)).
    pub fn pair_for_sliver_index<A: EncodingAxis>(
        &self,
        sliver: SliverIndex,
    ) -> Result<SliverPairIndex, IndexOutOfRangeError> {
        self.check_index("sliver index", sliver.get())?;
        Ok(SliverPairIndex(self.mirror::<A>(sliver.get())))
    }

    /// `index` for primary, `n − 1 − index` for secondary; `index < n` is checked by the caller.
    const fn mirror<A: EncodingAxis>(&self, index: u16) -> u16 {
        if A::IS_PRIMARY {
            index
        } else {
            self.n_shards - 1 - index
        }
    }

    /// Where bytes `start .. start + length` of a blob of `unencoded_length` bytes live: the
    /// blob is laid out row by row, and row `i` of the message matrix is primary sliver `i`
    /// (`C·s` bytes), so a byte range is a run of consecutive primary source slivers. `None` when
    /// the range is empty, reaches past the blob or the blob cannot be encoded.
    pub fn primary_slivers_for_range(
        &self,
        unencoded_length: u64,
        start: u64,
        length: u64,
    ) -> Option<SliverSpan> {
        let end = start.checked_add(length)?;
        if length == 0 || end > unencoded_length {
            return None;
        }
        let row = self.sliver_size::<crate::Primary>(unencoded_length).ok()?;
        let first = start / row;
        let last = (end - 1) / row;
        Some(SliverSpan {
            first: u16::try_from(first).ok()?,
            last: u16::try_from(last).ok()?,
            sliver_size: row,
            offset: start - first * row,
        })
    }

    fn check_index(&self, kind: &'static str, index: u16) -> Result<u32, IndexOutOfRangeError> {
        if index < self.n_shards {
            Ok(u32::from(index))
        } else {
            Err(IndexOutOfRangeError {
                kind,
                index,
                n_shards: self.n_shards,
            })
        }
    }

    /// Narrows a value already reduced modulo `n` (a u16) back to u16.
    fn narrow(&self, value: u32) -> u16 {
        u16::try_from(value).unwrap_or(self.n_shards - 1)
    }

    // Crate-internal sizes as `usize`.

    pub(crate) fn n(&self) -> usize {
        usize::from(self.n_shards)
    }

    pub(crate) fn f(&self) -> usize {
        usize::from(self.max_faulty)
    }

    pub(crate) fn r(&self) -> usize {
        usize::from(self.primary_source_symbols)
    }

    pub(crate) fn c(&self) -> usize {
        usize::from(self.secondary_source_symbols)
    }
}

/// A run of consecutive primary source slivers covering a byte range of a blob
/// ([`EncodingConfig::primary_slivers_for_range`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliverSpan {
    /// The first primary sliver index.
    pub first: u16,
    /// The last primary sliver index (inclusive).
    pub last: u16,
    /// The bytes in one primary sliver, `C·s`.
    pub sliver_size: u64,
    /// Where the range starts within the first sliver.
    pub offset: u64,
}

impl SliverSpan {
    /// The sliver indices, in order.
    pub fn indices(&self) -> std::ops::RangeInclusive<u16> {
        self.first..=self.last
    }

    /// How many slivers the range touches.
    pub fn len(&self) -> usize {
        usize::from(self.last - self.first) + 1
    }

    /// Never empty; for symmetry with [`len`](Self::len).
    pub fn is_empty(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::axis::{Primary, Secondary};

    #[test]
    fn byte_ranges_map_to_rows() {
        let config = EncodingConfig::new(10).unwrap(); // R = 4, C = 7
        // 1000 bytes: s = ceil(1000 / 28) = 36, rounded to even: 36; a row is 7 * 36 = 252.
        let length = 1000;
        assert_eq!(config.sliver_size::<Primary>(length).unwrap(), 252);
        let span = config.primary_slivers_for_range(length, 0, 1).unwrap();
        assert_eq!((span.first, span.last, span.offset), (0, 0, 0));
        let span = config.primary_slivers_for_range(length, 251, 2).unwrap();
        assert_eq!(
            (span.first, span.last, span.offset, span.len()),
            (0, 1, 251, 2)
        );
        let span = config.primary_slivers_for_range(length, 252, 252).unwrap();
        assert_eq!((span.first, span.last, span.offset), (1, 1, 0));
        let span = config.primary_slivers_for_range(length, 0, length).unwrap();
        assert_eq!((span.first, span.last), (0, 3));
        assert_eq!(span.indices().count(), 4);
        let span = config.primary_slivers_for_range(length, 999, 1).unwrap();
        assert_eq!((span.first, span.last, span.offset), (3, 3, 999 - 3 * 252));
        assert_eq!(config.primary_slivers_for_range(length, 0, 0), None);
        assert_eq!(config.primary_slivers_for_range(length, 1000, 1), None);
        assert_eq!(config.primary_slivers_for_range(length, 999, 2), None);
        assert_eq!(config.primary_slivers_for_range(length, u64::MAX, 2), None);
    }

    #[test]
    fn parameters_match_the_spec_table() {
        for (n, f, r, c) in [
            (4, 1, 2, 3),
            (7, 2, 3, 5),
            (10, 3, 4, 7),
            (100, 33, 34, 67),
            (1000, 333, 334, 667),
        ] {
            let config = EncodingConfig::new(n).unwrap();
            assert_eq!(config.max_faulty(), f);
            assert_eq!(config.n_primary_source_symbols(), r);
            assert_eq!(config.n_secondary_source_symbols(), c);
            assert_eq!(
                config.n_slivers_for_reconstruction::<Primary>(),
                usize::from(r)
            );
            assert_eq!(
                config.n_slivers_for_reconstruction::<Secondary>(),
                usize::from(c)
            );
            assert_eq!(config.n_symbols_for_recovery::<Primary>(), usize::from(c));
            assert_eq!(config.n_symbols_for_recovery::<Secondary>(), usize::from(r));
        }
    }

    #[test]
    fn shard_count_limits() {
        for n in 0..4 {
            assert_eq!(
                EncodingConfig::new(n),
                Err(InvalidShardCountError::TooFew(n))
            );
        }
        assert!(EncodingConfig::new(MAX_SUPPORTED_SHARDS).is_ok());
        assert_eq!(
            EncodingConfig::new(MAX_SUPPORTED_SHARDS + 1),
            Err(InvalidShardCountError::TooMany(MAX_SUPPORTED_SHARDS + 1))
        );
        assert_eq!(
            EncodingConfig::new(u16::MAX),
            Err(InvalidShardCountError::TooMany(u16::MAX))
        );
    }

    #[test]
    fn symbol_sizes_and_limits() {
        let config = EncodingConfig::new(10).unwrap();
        assert_eq!(config.symbol_size(0).unwrap().get(), 2);
        assert_eq!(config.symbol_size(1).unwrap().get(), 2);
        assert_eq!(config.symbol_size(1_048_576).unwrap().get(), 37450);
        assert_eq!(config.max_blob_size(), 1_834_952);
        assert!(config.symbol_size(1_834_952).is_ok());
        let error = config.symbol_size(1_834_953).unwrap_err();
        assert_eq!(error.max_length, 1_834_952);
        assert!(config.symbol_size(u64::MAX).is_err());
        let config = EncodingConfig::new(1000).unwrap();
        assert_eq!(config.max_blob_size(), 14_599_533_452);
        assert_eq!(config.symbol_size(1_048_576).unwrap().get(), 6);
        assert_eq!(config.symbol_size(64 << 20).unwrap().get(), 302);
        assert_eq!(config.sliver_size::<Primary>(64 << 20).unwrap(), 667 * 302);
        assert_eq!(
            config.sliver_size::<Secondary>(64 << 20).unwrap(),
            334 * 302
        );
    }

    #[test]
    fn encoded_length_formula() {
        let config = EncodingConfig::new(10).unwrap();
        // n·(64n + 32) + n·(R + C)·s with s = 2.
        assert_eq!(
            config.encoded_blob_length(0).unwrap(),
            10 * 672 + 10 * 11 * 2
        );
        assert!(config.encoded_blob_length(1_834_953).is_err());
    }

    #[test]
    fn rotation_roundtrips() {
        let config = EncodingConfig::new(10).unwrap();
        let blob_id = BlobId([7; 32]);
        let offset = config.rotation_offset(&blob_id);
        for pair in 0..10 {
            let shard = config
                .shard_for_pair(SliverPairIndex(pair), &blob_id)
                .unwrap();
            assert_eq!(shard.get(), (pair + offset) % 10);
            assert_eq!(
                config.pair_for_shard(shard, &blob_id).unwrap(),
                SliverPairIndex(pair)
            );
        }
        assert!(
            config
                .shard_for_pair(SliverPairIndex(10), &blob_id)
                .is_err()
        );
        assert!(config.pair_for_shard(ShardIndex(10), &blob_id).is_err());
    }

    #[test]
    fn pair_and_sliver_indices() {
        let config = EncodingConfig::new(10).unwrap();
        let pair = SliverPairIndex(0);
        assert_eq!(
            config.sliver_index_for_pair::<Primary>(pair).unwrap(),
            SliverIndex(0)
        );
        assert_eq!(
            config.sliver_index_for_pair::<Secondary>(pair).unwrap(),
            SliverIndex(9)
        );
        assert_eq!(
            config
                .pair_for_sliver_index::<Secondary>(SliverIndex(9))
                .unwrap(),
            SliverPairIndex(0)
        );
        assert!(
            config
                .sliver_index_for_pair::<Secondary>(SliverPairIndex(10))
                .is_err()
        );
    }
}
