//! Blob metadata (§4, §6.2, §8): the per-pair sliver hashes, the root hash, and metadata bound to
//! a blob ID, unverified (as received) or verified (checked against the ID, or computed here).

use std::num::NonZeroU16;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{
    axis::EncodingAxis,
    bcs_codec::{BcsError, impl_bcs, to_bcs_named},
    config::{DataTooLargeError, EncodingConfig},
    hash::{BatchHasher, LEAF_PREFIX},
    ids::{BlobId, EncodingType, SliverIndex, SliverPairIndex},
    merkle::{Node, root_from_leaf_hashes},
};

/// The Merkle roots of the two (fully expanded) slivers of one sliver pair (§4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SliverPairMetadata {
    /// Root over the `n` symbols of the expanded primary sliver `p`.
    pub primary_hash: Node,
    /// Root over the `n` symbols of the expanded secondary sliver `n − 1 − p`.
    pub secondary_hash: Node,
}

impl SliverPairMetadata {
    /// The hash of the pair's sliver on axis `A`.
    pub fn hash<A: EncodingAxis>(&self) -> &Node {
        if A::IS_PRIMARY {
            &self.primary_hash
        } else {
            &self.secondary_hash
        }
    }
}

/// Version 1 of the blob metadata. BCS: `encoding type ‖ u64 ‖ ULEB128(n) ‖ n pairs`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BlobMetadataV1 {
    /// Always RS2.
    pub encoding_type: EncodingType,
    /// The length of the blob in bytes.
    pub unencoded_length: u64,
    /// One entry per sliver pair, in pair order `0..n`.
    #[serde(deserialize_with = "crate::bcs_codec::bounded_seq::deserialize")]
    pub hashes: Vec<SliverPairMetadata>,
}

/// Blob metadata: an enum over versions (BCS tag `0x00` = V1). This is what
/// `PUT /v1/blobs/{blob_id}/metadata` sends.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BlobMetadata {
    /// Version 1.
    V1(BlobMetadataV1),
}

impl BlobMetadata {
    /// Version-1 metadata.
    pub fn new(
        encoding_type: EncodingType,
        unencoded_length: u64,
        hashes: Vec<SliverPairMetadata>,
    ) -> Self {
        Self::V1(BlobMetadataV1 {
            encoding_type,
            unencoded_length,
            hashes,
        })
    }

    /// The encoding type.
    pub fn encoding_type(&self) -> EncodingType {
        match self {
            Self::V1(inner) => inner.encoding_type,
        }
    }

    /// The length of the blob in bytes.
    pub fn unencoded_length(&self) -> u64 {
        match self {
            Self::V1(inner) => inner.unencoded_length,
        }
    }

    /// The per-pair hashes, in pair order.
    pub fn hashes(&self) -> &[SliverPairMetadata] {
        match self {
            Self::V1(inner) => &inner.hashes,
        }
    }

    /// The hash of sliver `index` of axis `A` (it sits at pair `index` for primary slivers and
    /// `n − 1 − index` for secondary ones), if it exists.
    pub fn sliver_hash<A: EncodingAxis>(&self, index: SliverIndex) -> Option<&Node> {
        let hashes = self.hashes();
        let position = if A::IS_PRIMARY {
            index.as_usize()
        } else {
            hashes.len().checked_sub(1 + index.as_usize())?
        };
        hashes.get(position).map(SliverPairMetadata::hash::<A>)
    }

    /// The hashes of pair `pair`, if it exists.
    pub fn pair(&self, pair: SliverPairIndex) -> Option<&SliverPairMetadata> {
        self.hashes().get(pair.as_usize())
    }

    /// The root hash: the Merkle root over `B(0x00 ‖ primary_hash ‖ secondary_hash)` of every
    /// pair (§4).
    pub fn compute_root_hash(&self) -> Node {
        let hashes = self.hashes();
        let mut leaves = vec![[0u8; 32]; hashes.len()];
        let mut hasher = BatchHasher::new(1 + 64);
        for (pair, leaf) in hashes.iter().zip(leaves.iter_mut()) {
            hasher.push_with(leaf, |slot| {
                slot[0] = LEAF_PREFIX;
                slot[1..33].copy_from_slice(&pair.primary_hash.bytes());
                slot[33..65].copy_from_slice(&pair.secondary_hash.bytes());
            });
        }
        hasher.finish();
        root_from_leaf_hashes(&leaves)
    }

    /// The blob ID these metadata imply (§5).
    pub fn compute_blob_id(&self) -> BlobId {
        BlobId::from_root_hash(
            &self.compute_root_hash().bytes(),
            self.encoding_type(),
            self.unencoded_length(),
        )
    }

    /// The symbol size of the blob under `config`.
    pub fn symbol_size(&self, config: &EncodingConfig) -> Result<NonZeroU16, DataTooLargeError> {
        config.symbol_size(self.unencoded_length())
    }
}

/// Metadata and the blob ID they claim to belong to, as received; not yet checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UnverifiedBlobMetadataWithId {
    /// The claimed blob ID.
    pub blob_id: BlobId,
    /// The claimed metadata.
    pub metadata: BlobMetadata,
}

/// Metadata that do not belong to the blob ID they came with, or cannot be used.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum MetadataVerificationError {
    /// The number of pair hashes is not the shard count.
    #[error("metadata hold {actual} sliver-pair hashes, expected one per shard ({expected})")]
    WrongNumberOfHashes {
        /// The shard count.
        expected: usize,
        /// The number of hashes in the metadata.
        actual: usize,
    },
    /// The unencoded length exceeds the maximum blob size.
    #[error("metadata claim an unencodable length: {0}")]
    DataTooLarge(#[from] DataTooLargeError),
    /// The metadata imply another blob ID.
    #[error("metadata belong to blob ID {computed}, not to the claimed {claimed}")]
    BlobIdMismatch {
        /// The blob ID that came with the metadata.
        claimed: BlobId,
        /// The blob ID computed from the metadata.
        computed: BlobId,
    },
}

impl UnverifiedBlobMetadataWithId {
    /// Binds metadata to a claimed blob ID.
    pub fn new(blob_id: BlobId, metadata: BlobMetadata) -> Self {
        Self { blob_id, metadata }
    }

    /// Checks the metadata against the blob ID (§8): one hash per shard, an encodable length,
    /// and the blob ID recomputed from the hashes equals the claimed one.
    pub fn verify(
        self,
        config: &EncodingConfig,
    ) -> Result<VerifiedBlobMetadataWithId, MetadataVerificationError> {
        let expected = config.n();
        let actual = self.metadata.hashes().len();
        if actual != expected {
            return Err(MetadataVerificationError::WrongNumberOfHashes { expected, actual });
        }
        config.check_length(self.metadata.unencoded_length())?;
        let computed = self.metadata.compute_blob_id();
        if computed != self.blob_id {
            return Err(MetadataVerificationError::BlobIdMismatch {
                claimed: self.blob_id,
                computed,
            });
        }
        Ok(VerifiedBlobMetadataWithId {
            blob_id: self.blob_id,
            metadata: self.metadata,
        })
    }
}

/// Metadata known to belong to their blob ID and to fit the shard count they were verified
/// with. Only [`UnverifiedBlobMetadataWithId::verify`] and the encoder create them. Same BCS as
/// the unverified form: `blob_id (32 bytes) ‖ BlobMetadata`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct VerifiedBlobMetadataWithId {
    blob_id: BlobId,
    metadata: BlobMetadata,
}

impl VerifiedBlobMetadataWithId {
    /// Built by the encoder, which computed both from the blob.
    pub(crate) fn new_trusted(blob_id: BlobId, metadata: BlobMetadata) -> Self {
        Self { blob_id, metadata }
    }

    /// The blob ID.
    pub fn blob_id(&self) -> &BlobId {
        &self.blob_id
    }

    /// The metadata.
    pub fn metadata(&self) -> &BlobMetadata {
        &self.metadata
    }

    /// The number of shards these metadata are for.
    pub fn n_shards(&self) -> usize {
        self.metadata.hashes().len()
    }

    /// Gives up the verified status, e.g. to send the metadata or to take them apart.
    pub fn into_unverified(self) -> UnverifiedBlobMetadataWithId {
        UnverifiedBlobMetadataWithId {
            blob_id: self.blob_id,
            metadata: self.metadata,
        }
    }

    /// The BCS bytes (`blob_id ‖ BlobMetadata`, §6.2).
    pub fn to_bcs(&self) -> Result<Vec<u8>, BcsError> {
        to_bcs_named(self, "BlobMetadataWithId")
    }
}

impl_bcs!(
    BlobMetadata => "BlobMetadata",
    UnverifiedBlobMetadataWithId => "BlobMetadataWithId",
    SliverPairMetadata => "SliverPairMetadata",
);
