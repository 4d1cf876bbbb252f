//! `walrus-core`: the protocol types every other Walrus component uses, and the RS2 ("RedStuff")
//! blob encoding, byte-compatible with MystenLabs Walrus.
//!
//! Pure library: no I/O, no async runtime. The wire format this crate produces is specified
//! byte for byte in `docs/ENCODING.md` of the shared documentation; section numbers in the
//! comments (§1 … §11) refer to it.
//!
//! Where to start:
//! - [`EncodingConfig::new`] fixes the shard count `n` and derives everything else (§1);
//! - [`EncodingConfig::encode`] / [`EncodingConfig::encode_owned`] turn a blob into `n`
//!   [`SliverPair`]s plus [`VerifiedBlobMetadataWithId`]; [`EncodingConfig::compute_metadata`]
//!   computes only the metadata and blob ID;
//! - [`EncodingConfig::decode`] and [`EncodingConfig::decode_and_verify`] read a blob back from
//!   primary or secondary slivers;
//! - [`UnverifiedBlobMetadataWithId::verify`] and [`SliverData::verify`] check what a peer sent;
//! - [`SliverData::recovery_symbols`], [`recover_sliver`] and [`InconsistencyProof`] implement
//!   sliver recovery (§9);
//! - the [`Bcs`] trait (de)serializes every wire type exactly as in §6.

mod axis;
mod bcs_codec;
mod buffer;
mod config;
pub mod contracts;
mod decoder;
mod encoder;
mod hash;
mod ids;
mod inconsistency;
mod merkle;
pub mod messages;
mod metadata;
mod parallel;
pub mod quorum;
mod reed_solomon;
mod sliver;
mod symbols;
mod wide;

pub use axis::{Axis, ByAxis, EncodingAxis, Primary, Secondary};
pub use bcs_codec::{Bcs, BcsError};
pub use config::{
    DataTooLargeError, EncodingConfig, IndexOutOfRangeError, InvalidShardCountError,
    MAX_SUPPORTED_SHARDS, MIN_SHARDS, SliverSpan,
};
pub use decoder::{ConsistencyCheck, DecodeError};
pub use encoder::{EncodeError, EncodedBlob};
pub use hash::{DIGEST_LENGTH, Digest, batch_hash_backend, blake2b256};
pub use ids::{
    BlobId, EncodingType, Epoch, EpochCount, ParseBlobIdError, ParseEncodingTypeError,
    ParseSymbolIdError, ParseU256Error, ShardIndex, SliverIndex, SliverPairIndex, SymbolId,
    UnsupportedEncodingTypeError,
};
pub use inconsistency::{InconsistencyProof, InconsistencyProofError};
pub use merkle::{MerkleProof, MerkleProofError, MerkleTree, Node, leaf_hash};
pub use metadata::{
    BlobMetadata, BlobMetadataV1, MetadataVerificationError, SliverPairMetadata,
    UnverifiedBlobMetadataWithId, VerifiedBlobMetadataWithId,
};
pub use reed_solomon::ReedSolomonError;
pub use sliver::{
    InvalidSliverError, PrimarySliver, SecondarySliver, Sliver, SliverData, SliverPair,
    SliverVerificationError,
};
pub use symbols::{
    DecodingSymbol, GeneralRecoverySymbol, PrimaryRecoverySymbol, RecoveryError, RecoveryOutcome,
    RecoverySymbol, RecoverySymbolSource, SecondaryRecoverySymbol, SymbolVerificationError,
    recover_sliver,
};
