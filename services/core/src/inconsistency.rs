//! Inconsistency proofs (§9): a set of verified recovery symbols for one target sliver that
//! decode to a sliver whose Merkle root differs from the metadata. They show that the blob was
//! encoded inconsistently, without trusting the node that presents them.
//!
//! BCS: `u16 target_sliver_index ‖ ULEB128(count) ‖ RecoverySymbols`; across axes wrap it in
//! [`ByAxis`](crate::ByAxis) (tag 0 = primary, 1 = secondary).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{
    axis::{Axis, EncodingAxis, Primary, Secondary},
    bcs_codec::impl_bcs,
    config::{DataTooLargeError, EncodingConfig},
    ids::SliverIndex,
    metadata::VerifiedBlobMetadataWithId,
    reed_solomon::ReedSolomonError,
    sliver::SliverVerificationError,
    symbols::{RecoverySymbol, SymbolVerificationError, decode_sliver},
};

/// Proof that sliver `target_sliver_index` of axis `A`, recovered from these symbols, does not
/// match the metadata.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct InconsistencyProof<A: EncodingAxis> {
    target_sliver_index: SliverIndex,
    #[serde(deserialize_with = "crate::bcs_codec::bounded_seq::deserialize")]
    recovery_symbols: Vec<RecoverySymbol<A>>,
}

/// An inconsistency proof does not prove an inconsistency.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum InconsistencyProofError {
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
    /// The target index is not below `n`.
    #[error("target {axis} sliver index {index} is out of range for {n_shards} shards")]
    TargetOutOfRange {
        /// The target's axis.
        axis: Axis,
        /// The target index.
        index: u16,
        /// The shard count.
        n_shards: u16,
    },
    /// The proof does not hold exactly the number of symbols needed for recovery.
    #[error("inconsistency proof holds {actual} recovery symbols, expected exactly {expected}")]
    WrongSymbolCount {
        /// `C` for a primary target, `R` for a secondary one.
        expected: usize,
        /// The number of symbols in the proof.
        actual: usize,
    },
    /// Two symbols come from the same source sliver.
    #[error("inconsistency proof holds two symbols from source sliver {index}")]
    DuplicateSymbol {
        /// The repeated source index.
        index: u16,
    },
    /// A symbol does not verify against the metadata.
    #[error("recovery symbol {position} of the inconsistency proof is invalid: {error}")]
    InvalidSymbol {
        /// The position of the symbol in the proof.
        position: usize,
        /// Why it is invalid.
        error: SymbolVerificationError,
    },
    /// Decoding the symbols failed.
    #[error("decoding the inconsistency proof's symbols failed: {0}")]
    Decoding(#[from] ReedSolomonError),
    /// Computing the recovered sliver's root failed.
    #[error(transparent)]
    Sliver(#[from] SliverVerificationError),
    /// The recovered sliver matches the metadata: nothing is inconsistent.
    #[error("the recovered {axis} sliver {index} matches the metadata: no inconsistency")]
    SliverNotInconsistent {
        /// The target's axis.
        axis: Axis,
        /// The target index.
        index: u16,
    },
}

impl<A: EncodingAxis> InconsistencyProof<A> {
    /// A proof for target sliver `target_sliver_index` from these recovery symbols.
    pub fn new(target_sliver_index: SliverIndex, recovery_symbols: Vec<RecoverySymbol<A>>) -> Self {
        Self {
            target_sliver_index,
            recovery_symbols,
        }
    }

    /// The target sliver's index on axis `A`.
    pub fn target_sliver_index(&self) -> SliverIndex {
        self.target_sliver_index
    }

    /// The recovery symbols.
    pub fn recovery_symbols(&self) -> &[RecoverySymbol<A>] {
        &self.recovery_symbols
    }

    /// Verifies the proof (§9): exactly `n_symbols_for_recovery` symbols, each valid against the
    /// metadata at leaf `target_sliver_index`, from distinct sources; they decode; and the
    /// decoded sliver's Merkle root differs from the metadata's hash for the target.
    pub fn verify(
        &self,
        config: &EncodingConfig,
        metadata: &VerifiedBlobMetadataWithId,
    ) -> Result<(), InconsistencyProofError> {
        if metadata.n_shards() != config.n() {
            return Err(InconsistencyProofError::ShardCountMismatch {
                metadata: metadata.n_shards(),
                config: config.n_shards(),
            });
        }
        let target = self.target_sliver_index;
        if target.get() >= config.n_shards() {
            return Err(InconsistencyProofError::TargetOutOfRange {
                axis: A::AXIS,
                index: target.get(),
                n_shards: config.n_shards(),
            });
        }
        let expected = config.n_symbols_for_recovery::<A>();
        if self.recovery_symbols.len() != expected {
            return Err(InconsistencyProofError::WrongSymbolCount {
                expected,
                actual: self.recovery_symbols.len(),
            });
        }
        let mut seen = vec![false; config.n()];
        for (position, symbol) in self.recovery_symbols.iter().enumerate() {
            symbol
                .verify(config, metadata, target)
                .map_err(|error| InconsistencyProofError::InvalidSymbol { position, error })?;
            let index = symbol.source_index();
            if std::mem::replace(&mut seen[index.as_usize()], true) {
                return Err(InconsistencyProofError::DuplicateSymbol { index: index.get() });
            }
        }
        let symbol_size = metadata.metadata().symbol_size(config)?;
        let symbols: Vec<&RecoverySymbol<A>> = self.recovery_symbols.iter().collect();
        let sliver = decode_sliver(config, target, symbol_size, &symbols)?;
        match sliver.verify(config, metadata) {
            Ok(()) => Err(InconsistencyProofError::SliverNotInconsistent {
                axis: A::AXIS,
                index: target.get(),
            }),
            Err(SliverVerificationError::MerkleRootMismatch { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

impl_bcs!(
    InconsistencyProof<Primary> => "InconsistencyProof<Primary>",
    InconsistencyProof<Secondary> => "InconsistencyProof<Secondary>",
);
