//! Slivers (§3, §6.1, §8): [`SliverData`] generic over its axis, sliver pairs, and verification of
//! a sliver against verified metadata.
//!
//! A primary sliver is a row of the expanded matrix (`C` symbols), a secondary sliver a column
//! (`R` symbols). The bytes are held in [`Bytes`], so the encoder hands out slivers that share one
//! allocation without copying, and cloning a sliver is cheap.

use std::{fmt, marker::PhantomData, num::NonZeroU16};

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use thiserror::Error;

use crate::{
    axis::{Axis, ByAxis, EncodingAxis, Primary, Secondary},
    bcs_codec::{Bcs, BcsError, impl_bcs},
    config::{EncodingConfig, IndexOutOfRangeError},
    hash::{Digest, leaf_hashes_into},
    ids::{SliverIndex, SliverPairIndex},
    merkle::{Node, root_from_leaf_hashes},
    metadata::VerifiedBlobMetadataWithId,
    reed_solomon::{ReedSolomonError, encode_symbols, with_encoder},
};

/// The bytes of one sliver, on axis `A`, with its symbol size and its index on that axis.
///
/// BCS (§6.1): `ULEB128(len) ‖ data ‖ u16 symbol_size ‖ u16 index`; the axis is not encoded.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SliverData<A: EncodingAxis> {
    data: Bytes,
    symbol_size: NonZeroU16,
    index: SliverIndex,
    _axis: PhantomData<A>,
}

/// A primary sliver: a row of the expanded matrix.
pub type PrimarySliver = SliverData<Primary>;
/// A secondary sliver: a column of the expanded matrix.
pub type SecondarySliver = SliverData<Secondary>;
/// A sliver of an axis known at run time. BCS: tag (0 primary, 1 secondary) ‖ sliver.
pub type Sliver = ByAxis<PrimarySliver, SecondarySliver>;

/// The parts given to [`SliverData::new`] do not form a sliver.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum InvalidSliverError {
    /// The symbol size is zero.
    #[error("sliver symbol size is zero")]
    ZeroSymbolSize,
    /// The data are not a whole number of symbols.
    #[error("sliver data of {length} bytes is not a whole number of {symbol_size}-byte symbols")]
    NotWholeSymbols {
        /// The data length.
        length: usize,
        /// The symbol size.
        symbol_size: u16,
    },
}

/// A sliver does not match the metadata (or the encoding) it is checked against.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SliverVerificationError {
    /// The sliver index is not below `n`.
    #[error("{axis} sliver index {index} is out of range for {n_shards} shards")]
    IndexOutOfRange {
        /// The sliver's axis.
        axis: Axis,
        /// The sliver index.
        index: u16,
        /// The shard count.
        n_shards: u16,
    },
    /// The symbol size is not the one of the blob.
    #[error("{axis} sliver {index} has symbol size {actual}, expected {expected}")]
    SymbolSizeMismatch {
        /// The sliver's axis.
        axis: Axis,
        /// The sliver index.
        index: u16,
        /// The symbol size of the blob.
        expected: u16,
        /// The sliver's symbol size.
        actual: u16,
    },
    /// The symbol size is odd, which the Reed–Solomon code cannot use.
    #[error("{axis} sliver {index} has odd symbol size {symbol_size}")]
    OddSymbolSize {
        /// The sliver's axis.
        axis: Axis,
        /// The sliver index.
        index: u16,
        /// The sliver's symbol size.
        symbol_size: u16,
    },
    /// The sliver has the wrong number of bytes.
    #[error("{axis} sliver {index} has {actual} bytes, expected {expected}")]
    WrongLength {
        /// The sliver's axis.
        axis: Axis,
        /// The sliver index.
        index: u16,
        /// `C·s` for primary, `R·s` for secondary slivers.
        expected: usize,
        /// The sliver's length.
        actual: usize,
    },
    /// The metadata are for another shard count than the configuration.
    #[error("metadata are for {metadata} shards, but the encoding config has {config}")]
    ShardCountMismatch {
        /// The number of pair hashes in the metadata.
        metadata: usize,
        /// The configuration's shard count.
        config: u16,
    },
    /// The metadata's length cannot be encoded with this configuration.
    #[error(transparent)]
    DataTooLarge(#[from] crate::config::DataTooLargeError),
    /// The Merkle root of the expanded sliver is not the hash in the metadata.
    #[error(
        "{axis} sliver {index}: Merkle root {computed} does not match the metadata's {expected}"
    )]
    MerkleRootMismatch {
        /// The sliver's axis.
        axis: Axis,
        /// The sliver index.
        index: u16,
        /// The hash in the metadata.
        expected: Node,
        /// The root computed from the sliver.
        computed: Node,
    },
    /// Expanding the sliver failed inside reed-solomon-simd.
    #[error(transparent)]
    ReedSolomon(#[from] ReedSolomonError),
}

impl<A: EncodingAxis> SliverData<A> {
    /// A sliver from its bytes, symbol size and index on axis `A`.
    pub fn new(
        data: impl Into<Bytes>,
        symbol_size: u16,
        index: SliverIndex,
    ) -> Result<Self, InvalidSliverError> {
        let data = data.into();
        let symbol_size = NonZeroU16::new(symbol_size).ok_or(InvalidSliverError::ZeroSymbolSize)?;
        if data.len() % usize::from(symbol_size.get()) != 0 {
            return Err(InvalidSliverError::NotWholeSymbols {
                length: data.len(),
                symbol_size: symbol_size.get(),
            });
        }
        Ok(Self::new_unchecked(data, symbol_size, index))
    }

    /// A sliver whose data length is a multiple of `symbol_size`, as the encoder makes them.
    pub(crate) fn new_unchecked(data: Bytes, symbol_size: NonZeroU16, index: SliverIndex) -> Self {
        debug_assert!(data.len().is_multiple_of(usize::from(symbol_size.get())));
        Self {
            data,
            symbol_size,
            index,
            _axis: PhantomData,
        }
    }

    /// The sliver's bytes: its symbols back to back.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// Takes the bytes out.
    pub fn into_data(self) -> Bytes {
        self.data
    }

    /// The symbol size in bytes.
    pub fn symbol_size(&self) -> NonZeroU16 {
        self.symbol_size
    }

    fn symbol_bytes(&self) -> usize {
        usize::from(self.symbol_size.get())
    }

    /// The index on axis `A`.
    pub fn index(&self) -> SliverIndex {
        self.index
    }

    /// The axis.
    pub fn axis(&self) -> Axis {
        A::AXIS
    }

    /// The pair this sliver belongs to: `index` for primary, `n − 1 − index` for secondary.
    pub fn pair_index(
        &self,
        config: &EncodingConfig,
    ) -> Result<SliverPairIndex, IndexOutOfRangeError> {
        config.pair_for_sliver_index::<A>(self.index)
    }

    /// The number of symbols.
    pub fn n_symbols(&self) -> usize {
        self.data.len() / self.symbol_bytes()
    }

    /// Symbol `position`, if it exists.
    pub fn symbol(&self, position: usize) -> Option<&[u8]> {
        let size = self.symbol_bytes();
        let start = position.checked_mul(size)?;
        self.data.get(start..start.checked_add(size)?)
    }

    /// The symbols in order.
    pub fn symbols(&self) -> impl ExactSizeIterator<Item = &[u8]> {
        self.data.chunks_exact(self.symbol_bytes())
    }

    /// Checks index, symbol size parity and length against the configuration (not the
    /// metadata).
    pub(crate) fn check_shape(
        &self,
        config: &EncodingConfig,
    ) -> Result<(), SliverVerificationError> {
        let index = self.index.get();
        if index >= config.n_shards() {
            return Err(SliverVerificationError::IndexOutOfRange {
                axis: A::AXIS,
                index,
                n_shards: config.n_shards(),
            });
        }
        let symbol_size = self.symbol_size.get();
        if !symbol_size.is_multiple_of(2) {
            return Err(SliverVerificationError::OddSymbolSize {
                axis: A::AXIS,
                index,
                symbol_size,
            });
        }
        let expected = usize::from(config.n_symbols_per_sliver::<A>()) * self.symbol_bytes();
        if self.data.len() != expected {
            return Err(SliverVerificationError::WrongLength {
                axis: A::AXIS,
                index,
                expected,
                actual: self.data.len(),
            });
        }
        Ok(())
    }

    /// The `n − k` symbols that extend this sliver to its full expansion with the orthogonal code
    /// (a row is extended by the secondary code, a column by the primary code; §9).
    pub(crate) fn expansion_parity(
        &self,
        config: &EncodingConfig,
    ) -> Result<Vec<u8>, SliverVerificationError> {
        self.check_shape(config)?;
        let recovery_count = config.n() - self.n_symbols();
        Ok(encode_symbols(
            &self.data,
            self.symbol_bytes(),
            recovery_count,
        )?)
    }

    /// The leaf hashes of the `n` symbols of the expanded sliver.
    pub(crate) fn expanded_leaf_hashes(
        &self,
        config: &EncodingConfig,
    ) -> Result<(Vec<Digest>, Vec<u8>), SliverVerificationError> {
        let parity = self.expansion_parity(config)?;
        let size = self.symbol_bytes();
        let mut leaves = vec![[0u8; 32]; config.n()];
        leaf_hashes_into(
            &mut leaves,
            self.data
                .chunks_exact(size)
                .chain(parity.chunks_exact(size)),
            size,
        );
        Ok((leaves, parity))
    }

    /// The Merkle root over the `n` symbols of the expanded sliver: the sliver hash the metadata
    /// should hold for it (§4).
    ///
    /// Same leaves as [`expanded_leaf_hashes`](Self::expanded_leaf_hashes), but the parity
    /// symbols are hashed straight from the encoder's buffer instead of being copied out first:
    /// verification of every uploaded sliver runs this.
    pub fn merkle_root(&self, config: &EncodingConfig) -> Result<Node, SliverVerificationError> {
        self.check_shape(config)?;
        let size = self.symbol_bytes();
        let recovery_count = config.n() - self.n_symbols();
        let mut leaves = vec![[0u8; 32]; config.n()];
        with_encoder(self.n_symbols(), recovery_count, size, |encoder| {
            for symbol in self.data.chunks_exact(size) {
                encoder.add_original_shard(symbol)?;
            }
            let result = encoder.encode()?;
            leaf_hashes_into(
                &mut leaves,
                self.data.chunks_exact(size).chain(result.recovery_iter()),
                size,
            );
            Ok(())
        })?;
        Ok(root_from_leaf_hashes(&leaves))
    }

    /// Checks the sliver against verified metadata (§8): index below `n`, the blob's symbol
    /// size, `C·s` (primary) or `R·s` (secondary) bytes, and the Merkle root of its expansion
    /// equal to the hash in the metadata.
    pub fn verify(
        &self,
        config: &EncodingConfig,
        metadata: &VerifiedBlobMetadataWithId,
    ) -> Result<(), SliverVerificationError> {
        let expected = expected_hash::<A>(config, metadata, self.index)?;
        let expected_size = metadata.metadata().symbol_size(config)?.get();
        if self.symbol_size.get() != expected_size {
            return Err(SliverVerificationError::SymbolSizeMismatch {
                axis: A::AXIS,
                index: self.index.get(),
                expected: expected_size,
                actual: self.symbol_size.get(),
            });
        }
        let computed = self.merkle_root(config)?;
        if computed != expected {
            return Err(SliverVerificationError::MerkleRootMismatch {
                axis: A::AXIS,
                index: self.index.get(),
                expected,
                computed,
            });
        }
        Ok(())
    }
}

/// The metadata's hash for sliver `index` of axis `A`, after checking the metadata fit `config`.
pub(crate) fn expected_hash<A: EncodingAxis>(
    config: &EncodingConfig,
    metadata: &VerifiedBlobMetadataWithId,
    index: SliverIndex,
) -> Result<Node, SliverVerificationError> {
    if metadata.n_shards() != config.n() {
        return Err(SliverVerificationError::ShardCountMismatch {
            metadata: metadata.n_shards(),
            config: config.n_shards(),
        });
    }
    metadata.metadata().sliver_hash::<A>(index).copied().ok_or(
        SliverVerificationError::IndexOutOfRange {
            axis: A::AXIS,
            index: index.get(),
            n_shards: config.n_shards(),
        },
    )
}

impl<A: EncodingAxis> fmt::Debug for SliverData<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SliverData")
            .field("axis", &A::NAME)
            .field("index", &self.index.get())
            .field("symbol_size", &self.symbol_size.get())
            .field("length", &self.data.len())
            .finish()
    }
}

/// The serde shape of the sliver's symbols.
#[derive(Serialize, Deserialize)]
struct SymbolsWire {
    data: Bytes,
    symbol_size: u16,
}

/// The serde shape of a sliver (the `PhantomData` axis marker serializes to nothing).
#[derive(Serialize, Deserialize)]
struct SliverWire {
    symbols: SymbolsWire,
    index: SliverIndex,
}

impl<A: EncodingAxis> Serialize for SliverData<A> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SliverWire {
            symbols: SymbolsWire {
                data: self.data.clone(),
                symbol_size: self.symbol_size.get(),
            },
            index: self.index,
        }
        .serialize(serializer)
    }
}

impl<'de, A: EncodingAxis> Deserialize<'de> for SliverData<A> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = SliverWire::deserialize(deserializer)?;
        Self::new(wire.symbols.data, wire.symbols.symbol_size, wire.index)
            .map_err(de::Error::custom)
    }
}

impl_bcs!(
    PrimarySliver => "SliverData<Primary>",
    SecondarySliver => "SliverData<Secondary>",
    Sliver => "Sliver",
);

impl<A: EncodingAxis> SliverData<A>
where
    Self: Bcs,
{
    /// Decodes the BCS bytes of a sliver (§6.1) held in `bytes` without copying its data: the
    /// sliver's data is a slice of `bytes` (sharing its allocation). Accepts and rejects exactly
    /// what [`Bcs::from_bcs`] does (canonical ULEB128 length of at most 2³¹ − 1, no trailing
    /// bytes, a non-zero symbol size dividing the data length).
    pub fn from_bcs_bytes(bytes: Bytes) -> Result<Self, BcsError> {
        let error = |reason: String| BcsError::Deserialize {
            type_name: Self::TYPE_NAME,
            reason,
        };
        let (length, prefix) = read_uleb128_length(&bytes).map_err(|e| error(e.to_owned()))?;
        let end = prefix
            .checked_add(length)
            .filter(|end| *end <= bytes.len())
            .ok_or_else(|| error("unexpected end of input".to_owned()))?;
        let tail = &bytes[end..];
        if tail.len() < 4 {
            return Err(error("unexpected end of input".to_owned()));
        }
        if tail.len() > 4 {
            return Err(error("remaining input".to_owned()));
        }
        let symbol_size = u16::from_le_bytes([tail[0], tail[1]]);
        let index = SliverIndex(u16::from_le_bytes([tail[2], tail[3]]));
        Self::new(bytes.slice(prefix..end), symbol_size, index).map_err(|e| error(e.to_string()))
    }
}

/// Reads a BCS sequence length: canonical ULEB128 of at most 2³¹ − 1. Returns the length and
/// the number of bytes it took.
fn read_uleb128_length(bytes: &[u8]) -> Result<(usize, usize), &'static str> {
    let mut value: u64 = 0;
    for (position, shift) in (0..32).step_by(7).enumerate() {
        let byte = *bytes.get(position).ok_or("unexpected end of input")?;
        let digit = byte & 0x7f;
        value |= u64::from(digit) << shift;
        if digit == byte {
            if shift > 0 && digit == 0 {
                return Err("non-canonical ULEB128 length");
            }
            if value > bcs::MAX_SEQUENCE_LENGTH as u64 {
                return Err("length exceeds the BCS maximum of 2^31 - 1");
            }
            return Ok((value as usize, position + 1));
        }
    }
    Err("ULEB128 length overflows a u32")
}

/// The two slivers of one pair: primary sliver `p` and secondary sliver `n − 1 − p` (§3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliverPair {
    /// Primary sliver `p`.
    pub primary: PrimarySliver,
    /// Secondary sliver `n − 1 − p`.
    pub secondary: SecondarySliver,
}

impl SliverPair {
    /// The pair index `p` (the primary sliver's index).
    pub fn index(&self) -> SliverPairIndex {
        SliverPairIndex(self.primary.index().get())
    }
}
