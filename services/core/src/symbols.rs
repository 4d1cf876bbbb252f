//! Recovery symbols and sliver recovery (§9).
//!
//! Cell `X[r][c]` of the expanded matrix belongs to primary sliver `r` and secondary sliver `c`.
//! A node holding sliver `S` expands it with the orthogonal code and sends, for a target sliver
//! on the other axis, the cell at the target's position plus a Merkle proof of that leaf in the
//! tree over its expansion (whose root is `S`'s hash in the metadata).
//!
//! Naming follows Walrus: a [`RecoverySymbol<Primary>`] is used to recover a *primary* sliver and
//! comes from a secondary sliver; its `index` is the index of that source sliver.

use std::{fmt, marker::PhantomData};

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::{
    axis::{Axis, ByAxis, EncodingAxis, Primary, Secondary},
    bcs_codec::impl_bcs,
    config::{DataTooLargeError, EncodingConfig},
    ids::{SliverIndex, SliverPairIndex},
    inconsistency::InconsistencyProof,
    merkle::{MerkleProof, MerkleProofError, MerkleTree, leaf_hash},
    metadata::VerifiedBlobMetadataWithId,
    reed_solomon::{ReedSolomonError, decode_symbols},
    sliver::{SliverData, SliverVerificationError},
};

/// One symbol for decoding or recovering a sliver of axis `A`, tagged with the index of the
/// sliver (on the orthogonal axis) it came from. BCS: `u16 index ‖ ULEB128(len) ‖ data`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DecodingSymbol<A: EncodingAxis> {
    index: u16,
    data: Bytes,
    _axis: PhantomData<A>,
}

impl<A: EncodingAxis> DecodingSymbol<A> {
    /// A symbol from source sliver `index` (on the orthogonal axis).
    pub fn new(index: u16, data: impl Into<Bytes>) -> Self {
        Self {
            index,
            data: data.into(),
            _axis: PhantomData,
        }
    }

    /// The index of the source sliver on the axis orthogonal to `A`.
    pub fn index(&self) -> u16 {
        self.index
    }

    /// The symbol's bytes.
    pub fn data(&self) -> &Bytes {
        &self.data
    }
}

impl<A: EncodingAxis> fmt::Debug for DecodingSymbol<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodingSymbol")
            .field("target_axis", &A::NAME)
            .field("index", &self.index)
            .field("data", &hex::encode(&self.data))
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct DecodingSymbolWire {
    index: u16,
    data: Bytes,
}

impl<A: EncodingAxis> Serialize for DecodingSymbol<A> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        DecodingSymbolWire {
            index: self.index,
            data: self.data.clone(),
        }
        .serialize(serializer)
    }
}

impl<'de, A: EncodingAxis> Deserialize<'de> for DecodingSymbol<A> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = DecodingSymbolWire::deserialize(deserializer)?;
        Ok(Self::new(wire.index, wire.data))
    }
}

/// A [`DecodingSymbol`] with the Merkle proof that it is in its source sliver. BCS:
/// `DecodingSymbol ‖ MerkleProof`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct RecoverySymbol<A: EncodingAxis> {
    symbol: DecodingSymbol<A>,
    proof: MerkleProof,
}

/// A symbol for recovering a primary sliver (it comes from a secondary sliver).
pub type PrimaryRecoverySymbol = RecoverySymbol<Primary>;
/// A symbol for recovering a secondary sliver (it comes from a primary sliver).
pub type SecondaryRecoverySymbol = RecoverySymbol<Secondary>;

/// A recovery symbol does not belong where it claims to.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SymbolVerificationError {
    /// The source or target sliver index is not below `n`.
    #[error("{what} {index} is out of range for {n_shards} shards")]
    IndexOutOfRange {
        /// "source sliver index" or "target sliver index".
        what: &'static str,
        /// The index.
        index: u16,
        /// The shard count.
        n_shards: u16,
    },
    /// The symbol has the wrong size.
    #[error(
        "recovery symbol from sliver {index} has {actual} bytes, expected the symbol size {expected}"
    )]
    WrongSize {
        /// The source sliver index.
        index: u16,
        /// The symbol size of the blob.
        expected: usize,
        /// The symbol's length.
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
    DataTooLarge(#[from] DataTooLargeError),
    /// The Merkle proof does not verify against the source sliver's hash.
    #[error("recovery symbol from {source_axis} sliver {index}: {error}")]
    InvalidProof {
        /// The axis of the source sliver.
        source_axis: Axis,
        /// The source sliver index.
        index: u16,
        /// What is wrong with the proof.
        error: MerkleProofError,
    },
}

impl<A: EncodingAxis> RecoverySymbol<A> {
    /// A symbol with its proof.
    pub fn new(symbol: DecodingSymbol<A>, proof: MerkleProof) -> Self {
        Self { symbol, proof }
    }

    /// The symbol.
    pub fn symbol(&self) -> &DecodingSymbol<A> {
        &self.symbol
    }

    /// The proof.
    pub fn proof(&self) -> &MerkleProof {
        &self.proof
    }

    /// The index of the source sliver (on the axis orthogonal to `A`).
    pub fn source_index(&self) -> SliverIndex {
        SliverIndex(self.symbol.index)
    }

    /// The symbol's bytes.
    pub fn data(&self) -> &[u8] {
        &self.symbol.data
    }

    /// Splits into symbol and proof.
    pub fn into_parts(self) -> (DecodingSymbol<A>, MerkleProof) {
        (self.symbol, self.proof)
    }

    /// Checks that this is the cell at position `target` (the target sliver index on axis `A`)
    /// of its source sliver, as committed to by the metadata (§9): indices below `n`, size equal
    /// to the symbol size, and a valid proof at leaf `target` against the source sliver's hash.
    pub fn verify(
        &self,
        config: &EncodingConfig,
        metadata: &VerifiedBlobMetadataWithId,
        target: SliverIndex,
    ) -> Result<(), SymbolVerificationError> {
        let n_shards = config.n_shards();
        if metadata.n_shards() != config.n() {
            return Err(SymbolVerificationError::ShardCountMismatch {
                metadata: metadata.n_shards(),
                config: n_shards,
            });
        }
        for (what, index) in [
            ("target sliver index", target.get()),
            ("source sliver index", self.symbol.index),
        ] {
            if index >= n_shards {
                return Err(SymbolVerificationError::IndexOutOfRange {
                    what,
                    index,
                    n_shards,
                });
            }
        }
        let expected = usize::from(metadata.metadata().symbol_size(config)?.get());
        if self.symbol.data.len() != expected {
            return Err(SymbolVerificationError::WrongSize {
                index: self.symbol.index,
                expected,
                actual: self.symbol.data.len(),
            });
        }
        let source = SliverIndex(self.symbol.index);
        let invalid = |error| SymbolVerificationError::InvalidProof {
            source_axis: <A::OrthogonalAxis as EncodingAxis>::AXIS,
            index: self.symbol.index,
            error,
        };
        let root = metadata
            .metadata()
            .sliver_hash::<A::OrthogonalAxis>(source)
            .ok_or(invalid(MerkleProofError::RootMismatch))?;
        self.proof
            .verify(
                root,
                &leaf_hash(&self.symbol.data),
                target.as_usize(),
                config.n(),
            )
            .map_err(invalid)
    }
}

impl_bcs!(
    PrimaryRecoverySymbol => "RecoverySymbol<Primary>",
    SecondaryRecoverySymbol => "RecoverySymbol<Secondary>",
    DecodingSymbol<Primary> => "DecodingSymbol<Primary>",
    DecodingSymbol<Secondary> => "DecodingSymbol<Secondary>",
    GeneralRecoverySymbol => "GeneralRecoverySymbol",
);

/// A recovery symbol for either axis with its target index. BCS (§6.3):
/// `ByAxis tag (0 = for a primary target) ‖ DecodingSymbol ‖ u16 target_index ‖ MerkleProof`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GeneralRecoverySymbol {
    symbol: ByAxis<DecodingSymbol<Primary>, DecodingSymbol<Secondary>>,
    target_index: SliverIndex,
    proof: MerkleProof,
}

impl GeneralRecoverySymbol {
    /// Wraps a recovery symbol for target sliver `target` of axis `A`.
    pub fn new<A: EncodingAxis>(symbol: RecoverySymbol<A>, target: SliverIndex) -> Self {
        let (symbol, proof) = symbol.into_parts();
        let symbol = if A::IS_PRIMARY {
            ByAxis::Primary(DecodingSymbol::new(symbol.index, symbol.data))
        } else {
            ByAxis::Secondary(DecodingSymbol::new(symbol.index, symbol.data))
        };
        Self {
            symbol,
            target_index: target,
            proof,
        }
    }

    /// The axis of the target sliver.
    pub fn target_axis(&self) -> Axis {
        self.symbol.axis()
    }

    /// The index of the target sliver.
    pub fn target_index(&self) -> SliverIndex {
        self.target_index
    }

    /// Unwraps into the typed recovery symbol and its target.
    pub fn into_recovery_symbol(
        self,
    ) -> ByAxis<(PrimaryRecoverySymbol, SliverIndex), (SecondaryRecoverySymbol, SliverIndex)> {
        let target = self.target_index;
        match self.symbol {
            ByAxis::Primary(symbol) => {
                ByAxis::Primary((RecoverySymbol::new(symbol, self.proof), target))
            }
            ByAxis::Secondary(symbol) => {
                ByAxis::Secondary((RecoverySymbol::new(symbol, self.proof), target))
            }
        }
    }
}

/// All recovery symbols one sliver can give: its full expansion and the Merkle tree over it.
/// Made by [`SliverData::recovery_symbols`]; `A` is the axis of the *targets*.
#[derive(Debug, Clone)]
pub struct RecoverySymbolSource<A: EncodingAxis> {
    source_index: u16,
    symbol_size: usize,
    /// The `n` symbols of the expanded source sliver.
    expanded: Vec<u8>,
    tree: MerkleTree,
    _axis: PhantomData<A>,
}

impl<A: EncodingAxis> RecoverySymbolSource<A> {
    /// The recovery symbol for target sliver `target` (on axis `A`), if `target < n`.
    pub fn symbol(&self, target: SliverIndex) -> Option<RecoverySymbol<A>> {
        let start = target.as_usize().checked_mul(self.symbol_size)?;
        let data = self.expanded.get(start..start + self.symbol_size)?;
        let proof = self.tree.proof(target.as_usize())?;
        Some(RecoverySymbol::new(
            DecodingSymbol::new(self.source_index, data.to_vec()),
            proof,
        ))
    }

    /// The recovery symbol for the sliver on axis `A` of pair `target_pair`.
    pub fn symbol_for_pair(
        &self,
        config: &EncodingConfig,
        target_pair: SliverPairIndex,
    ) -> Option<RecoverySymbol<A>> {
        let target = config.sliver_index_for_pair::<A>(target_pair).ok()?;
        self.symbol(target)
    }

    /// The Merkle root of the expansion (the source sliver's hash).
    pub fn root(&self) -> crate::merkle::Node {
        self.tree.root()
    }
}

impl<B: EncodingAxis> SliverData<B> {
    /// Expands this sliver and builds the Merkle tree over the expansion, to hand out recovery
    /// symbols for slivers of the orthogonal axis.
    pub fn recovery_symbols(
        &self,
        config: &EncodingConfig,
    ) -> Result<RecoverySymbolSource<B::OrthogonalAxis>, SliverVerificationError> {
        let (leaves, parity) = self.expanded_leaf_hashes(config)?;
        let mut expanded = Vec::with_capacity(self.data().len() + parity.len());
        expanded.extend_from_slice(self.data());
        expanded.extend_from_slice(&parity);
        Ok(RecoverySymbolSource {
            source_index: self.index().get(),
            symbol_size: usize::from(self.symbol_size().get()),
            expanded,
            tree: MerkleTree::from_leaf_hashes(leaves),
            _axis: PhantomData,
        })
    }

    /// The recovery symbol this sliver gives to the orthogonal sliver of pair `target_pair`
    /// (§9: the pair index is converted to the target's sliver index on the orthogonal axis).
    pub fn recovery_symbol_for_pair(
        &self,
        config: &EncodingConfig,
        target_pair: SliverPairIndex,
    ) -> Result<RecoverySymbol<B::OrthogonalAxis>, SliverVerificationError> {
        let target = config
            .sliver_index_for_pair::<B::OrthogonalAxis>(target_pair)
            .map_err(|error| SliverVerificationError::IndexOutOfRange {
                axis: <B::OrthogonalAxis as EncodingAxis>::AXIS,
                index: error.index,
                n_shards: error.n_shards,
            })?;
        let source = self.recovery_symbols(config)?;
        source
            .symbol(target)
            .ok_or(SliverVerificationError::IndexOutOfRange {
                axis: <B::OrthogonalAxis as EncodingAxis>::AXIS,
                index: target.get(),
                n_shards: config.n_shards(),
            })
    }
}

/// What recovering a sliver gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryOutcome<A: EncodingAxis> {
    /// The sliver, which matches the metadata.
    Recovered(SliverData<A>),
    /// The decoded sliver does not match the metadata; this proves it.
    Inconsistent(InconsistencyProof<A>),
}

/// A sliver could not be recovered.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum RecoveryError {
    /// The target sliver index is not below `n`.
    #[error("target {axis} sliver index {index} is out of range for {n_shards} shards")]
    TargetOutOfRange {
        /// The target's axis.
        axis: Axis,
        /// The target index.
        index: u16,
        /// The shard count.
        n_shards: u16,
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
    DataTooLarge(#[from] DataTooLargeError),
    /// Fewer valid distinct symbols than needed.
    #[error(
        "not enough recovery symbols for {axis} sliver {index}: {valid} valid distinct, {needed} \
         needed ({rejected} rejected as invalid or duplicate)"
    )]
    NotEnoughSymbols {
        /// The target's axis.
        axis: Axis,
        /// The target index.
        index: u16,
        /// `C` for a primary target, `R` for a secondary one.
        needed: usize,
        /// Valid distinct symbols received.
        valid: usize,
        /// Symbols rejected.
        rejected: usize,
    },
    /// Checking the recovered sliver failed.
    #[error(transparent)]
    Sliver(#[from] SliverVerificationError),
    /// reed-solomon-simd failed.
    #[error(transparent)]
    ReedSolomon(#[from] ReedSolomonError),
}

/// Decodes target sliver `target` of axis `A` from `symbols` (at least `k` of them, distinct;
/// only the first `k` are used) without checking it against metadata.
pub(crate) fn decode_sliver<A: EncodingAxis>(
    config: &EncodingConfig,
    target: SliverIndex,
    symbol_size: std::num::NonZeroU16,
    symbols: &[&RecoverySymbol<A>],
) -> Result<SliverData<A>, ReedSolomonError> {
    let original_count = usize::from(config.n_symbols_per_sliver::<A>());
    let data = decode_symbols(
        original_count,
        config.n() - original_count,
        usize::from(symbol_size.get()),
        symbols
            .iter()
            .take(original_count)
            .map(|symbol| (usize::from(symbol.symbol.index), &symbol.symbol.data[..])),
    )?;
    Ok(SliverData::new_unchecked(
        Bytes::from(data),
        symbol_size,
        target,
    ))
}

/// Recovers sliver `target` of axis `A` from recovery symbols (§9): each symbol is verified
/// against the metadata (invalid ones and duplicates are skipped), the first `C` (primary
/// target) or `R` (secondary target) valid ones are decoded, and the result is checked against
/// the metadata. If only its Merkle root disagrees, the outcome is an [`InconsistencyProof`].
pub fn recover_sliver<A: EncodingAxis>(
    config: &EncodingConfig,
    metadata: &VerifiedBlobMetadataWithId,
    target: SliverIndex,
    symbols: impl IntoIterator<Item = RecoverySymbol<A>>,
) -> Result<RecoveryOutcome<A>, RecoveryError> {
    if metadata.n_shards() != config.n() {
        return Err(RecoveryError::ShardCountMismatch {
            metadata: metadata.n_shards(),
            config: config.n_shards(),
        });
    }
    if target.get() >= config.n_shards() {
        return Err(RecoveryError::TargetOutOfRange {
            axis: A::AXIS,
            index: target.get(),
            n_shards: config.n_shards(),
        });
    }
    let symbol_size = metadata.metadata().symbol_size(config)?;
    let needed = config.n_symbols_for_recovery::<A>();
    let mut seen = vec![false; config.n()];
    let mut valid = Vec::with_capacity(needed);
    let mut rejected = 0;
    for symbol in symbols {
        let index = usize::from(symbol.symbol.index);
        if index < seen.len() && !seen[index] && symbol.verify(config, metadata, target).is_ok() {
            seen[index] = true;
            valid.push(symbol);
            if valid.len() == needed {
                break;
            }
        } else {
            rejected += 1;
        }
    }
    if valid.len() < needed {
        return Err(RecoveryError::NotEnoughSymbols {
            axis: A::AXIS,
            index: target.get(),
            needed,
            valid: valid.len(),
            rejected,
        });
    }
    let references: Vec<&RecoverySymbol<A>> = valid.iter().collect();
    let sliver = decode_sliver(config, target, symbol_size, &references)?;
    match sliver.verify(config, metadata) {
        Ok(()) => Ok(RecoveryOutcome::Recovered(sliver)),
        Err(SliverVerificationError::MerkleRootMismatch { .. }) => Ok(
            RecoveryOutcome::Inconsistent(InconsistencyProof::new(target, valid)),
        ),
        Err(error) => Err(error.into()),
    }
}
