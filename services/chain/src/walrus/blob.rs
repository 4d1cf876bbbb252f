//! Mirror of `move/walrus/sources/system/blob.move` (and `metadata.move`): registration,
//! certification, extension, deletion, burning and attributes of a `Blob`.
//!
//! A blob's attributes are Move's dynamic field `b"metadata" -> Metadata`, not part of the
//! Blob's BCS; here they are [`BlobObject::metadata`] beside the Move value.

use walrus_core::BlobId;
use walrus_core::contracts::{
    self, BlobCertified, BlobDeleted, BlobPersistenceType, BlobRegistered, ContractEvent, Metadata,
    ObjectId, Storage,
};

use serde::{Deserialize, Serialize};

use super::errors::{AbortCode, blob as e, vec_map};
use super::messages::CertifiedBlobMessage;
use super::{BlobObject, View, encoding, storage_resource, walrus_type};
use crate::types::ExecutionFailure;

/// Records a walrus event (`event::emit`).
pub fn emit(view: &mut View<'_>, event: ContractEvent) {
    let bcs = event.to_bcs();
    view.emit(walrus_type("events", event.struct_name()), bcs);
}

/// `blob::derive_blob_id`.
pub fn derive_blob_id(root_hash: &[u8; 32], encoding_type: u8, size: u64) -> BlobId {
    contracts::derive_blob_id(root_hash, encoding_type, size)
}

/// `blob::new`: checks the storage period (`EResourceBounds`), the encoding and size
/// (`encoding::*`, `redstuff::*`, `EResourceSize`) and the blob id (`EInvalidBlobId`), emits
/// `BlobRegistered`. `id` is the fresh object id (`object::new` comes first in Move).
#[allow(clippy::too_many_arguments)] // as the Move function
pub fn new(
    view: &mut View<'_>,
    id: ObjectId,
    storage: Storage,
    blob_id: BlobId,
    root_hash: &[u8; 32],
    size: u64,
    encoding_type: u8,
    deletable: bool,
    current_epoch: u32,
    n_shards: u16,
) -> Result<BlobObject, ExecutionFailure> {
    e::EResourceBounds
        .ensure(storage.start_epoch <= current_epoch && current_epoch < storage.end_epoch)?;
    let encoded_size = encoding::encoded_blob_length(size, encoding_type, n_shards)?;
    e::EResourceSize.ensure(encoded_size <= storage.storage_size)?;
    e::EInvalidBlobId.ensure(derive_blob_id(root_hash, encoding_type, size) == blob_id)?;
    emit(
        view,
        ContractEvent::BlobRegistered(BlobRegistered {
            epoch: current_epoch,
            blob_id,
            size,
            encoding_type,
            end_epoch: storage.end_epoch,
            deletable,
            object_id: id,
        }),
    );
    Ok(BlobObject {
        blob: contracts::Blob {
            id,
            registered_epoch: current_epoch,
            blob_id,
            size,
            encoding_type,
            certified_epoch: None,
            storage,
            deletable,
        },
        metadata: None,
    })
}

/// `blob::certify_with_certified_msg`: same blob id (`EInvalidBlobId`), not yet certified
/// (`EAlreadyCertified`), not expired (`EResourceBounds`), persistence type
/// (`EInvalidBlobPersistenceType`) and, for deletable blobs, object id (`EInvalidBlobObject`);
/// emits `BlobCertified`.
pub fn certify_with_certified_msg(
    view: &mut View<'_>,
    blob: &mut BlobObject,
    current_epoch: u32,
    message: &CertifiedBlobMessage,
) -> Result<(), ExecutionFailure> {
    let b = &mut blob.blob;
    e::EInvalidBlobId.ensure(message.blob_id == b.blob_id)?;
    e::EAlreadyCertified.ensure(!b.is_certified())?;
    e::EResourceBounds.ensure(current_epoch < b.storage.end_epoch)?;
    let persistence = message.blob_persistence_type;
    let is_deletable = matches!(persistence, BlobPersistenceType::Deletable { .. });
    e::EInvalidBlobPersistenceType.ensure(is_deletable == b.deletable)?;
    if b.deletable {
        let certified_id = match persistence {
            BlobPersistenceType::Deletable { object_id } => Some(object_id),
            BlobPersistenceType::Permanent => None,
        };
        e::EInvalidBlobObject.ensure(certified_id == Some(b.id))?;
    }
    b.certified_epoch = Some(current_epoch);
    emit_certified(view, blob, false)
}

/// `blob::assert_certified_not_expired` (`ENotCertified`, `EResourceBounds`).
pub fn assert_certified_not_expired(
    blob: &contracts::Blob,
    current_epoch: u32,
) -> Result<(), ExecutionFailure> {
    e::ENotCertified.ensure(blob.is_certified())?;
    e::EResourceBounds.ensure(current_epoch < blob.storage.end_epoch)
}

/// `blob::extend_with_resource`: the extension must end later than the blob
/// (`EResourceBounds`), then `fuse_periods` checks the size (`EIncompatibleAmount`) and that
/// it starts at the blob's end epoch (`EIncompatibleEpochs`); emits `BlobCertified`
/// (extension).
pub fn extend_with_resource(
    view: &mut View<'_>,
    blob: &mut BlobObject,
    extension: Storage,
    current_epoch: u32,
) -> Result<(), ExecutionFailure> {
    assert_certified_not_expired(&blob.blob, current_epoch)?;
    e::EResourceBounds.ensure(extension.end_epoch > blob.blob.storage.end_epoch)?;
    storage_resource::fuse_periods(&mut blob.blob.storage, extension)?;
    emit_certified(view, blob, true)
}

/// `blob::extend_end_epoch`: moves the end epoch later (payment is the caller's) and emits
/// `BlobCertified` (extension).
pub fn extend_end_epoch(
    view: &mut View<'_>,
    blob: &mut BlobObject,
    extended_epochs: u32,
    current_epoch: u32,
) -> Result<(), ExecutionFailure> {
    assert_certified_not_expired(&blob.blob, current_epoch)?;
    storage_resource::extend_end_epoch(&mut blob.blob.storage, extended_epochs)?;
    emit_certified(view, blob, true)
}

/// `blob::delete`: deletable (`EBlobNotDeletable`) and not expired (`EResourceBounds`); drops
/// the attributes, emits `BlobDeleted` and returns the storage.
pub fn delete(
    view: &mut View<'_>,
    blob: BlobObject,
    current_epoch: u32,
) -> Result<Storage, ExecutionFailure> {
    let b = blob.blob;
    e::EBlobNotDeletable.ensure(b.deletable)?;
    e::EResourceBounds.ensure(current_epoch < b.storage.end_epoch)?;
    emit(
        view,
        ContractEvent::BlobDeleted(BlobDeleted {
            epoch: current_epoch,
            blob_id: b.blob_id,
            end_epoch: b.storage.end_epoch,
            object_id: b.id,
            was_certified: b.certified_epoch.is_some(),
        }),
    );
    Ok(b.storage)
}

/// `blob::emit_certified`.
fn emit_certified(
    view: &mut View<'_>,
    blob: &BlobObject,
    is_extension: bool,
) -> Result<(), ExecutionFailure> {
    let b = &blob.blob;
    // `option::borrow` of a certified blob; never none on the paths that call it.
    let epoch = b
        .certified_epoch
        .ok_or_else(|| e::ENotCertified.fail_with("option::borrow of none"))?;
    emit(
        view,
        ContractEvent::BlobCertified(BlobCertified {
            epoch,
            blob_id: b.blob_id,
            end_epoch: b.storage.end_epoch,
            deletable: b.deletable,
            object_id: b.id,
            is_extension,
        }),
    );
    Ok(())
}

// === Attributes ===

/// `metadata::new` + `metadata::insert_or_update` for each pair in order.
pub fn metadata_from_pairs(pairs: &[(String, String)]) -> Metadata {
    let mut metadata = Metadata::default();
    for (key, value) in pairs {
        metadata.insert_or_update(key.clone(), value.clone());
    }
    metadata
}

/// The abort codes of a module's attribute functions (`blob` and `storage_pool` each have
/// their own).
#[derive(Debug, Clone, Copy)]
pub struct MetadataCodes {
    /// `add_metadata` when there is metadata already.
    pub duplicate: AbortCode,
    /// `take_metadata` and `remove_metadata_pair` when there is none.
    pub missing: AbortCode,
}

/// `blob`'s attribute codes.
pub const BLOB_METADATA_CODES: MetadataCodes = MetadataCodes {
    duplicate: e::EDuplicateMetadata,
    missing: e::EMissingMetadata,
};

/// One of the attribute functions of `blob` (`add_metadata`, ...) and `storage_pool`
/// (`add_blob_metadata`, ...), which behave alike on a blob's optional `Metadata`. Values the
/// Move functions return (old metadata, removed pairs) are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetadataOp {
    /// `add_metadata` with metadata built from the pairs in order (`duplicate` if present).
    Add(Vec<(String, String)>),
    /// `add_or_replace_metadata` with metadata built from the pairs.
    AddOrReplace(Vec<(String, String)>),
    /// `take_metadata` (`missing` if absent).
    Take,
    /// `insert_or_update_metadata_pair`: creates the metadata if absent.
    InsertOrUpdatePair {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// `remove_metadata_pair` (`missing`, then `sui::vec_map::EKeyDoesNotExist`).
    RemovePair {
        /// The key.
        key: String,
    },
    /// `remove_metadata_pair_if_exists`.
    RemovePairIfExists {
        /// The key.
        key: String,
    },
}

impl MetadataOp {
    /// Applies the operation to a blob's attributes.
    pub fn apply(
        &self,
        slot: &mut Option<Metadata>,
        codes: MetadataCodes,
    ) -> Result<(), ExecutionFailure> {
        match self {
            Self::Add(pairs) => {
                codes.duplicate.ensure(slot.is_none())?;
                *slot = Some(metadata_from_pairs(pairs));
            }
            Self::AddOrReplace(pairs) => *slot = Some(metadata_from_pairs(pairs)),
            Self::Take => {
                slot.take().ok_or_else(|| codes.missing.fail())?;
            }
            Self::InsertOrUpdatePair { key, value } => slot
                .get_or_insert_with(Metadata::default)
                .insert_or_update(key.clone(), value.clone()),
            Self::RemovePair { key } => {
                let metadata = slot.as_mut().ok_or_else(|| codes.missing.fail())?;
                metadata
                    .remove(key)
                    .ok_or_else(|| vec_map::EKeyDoesNotExist.fail())?;
            }
            Self::RemovePairIfExists { key } => {
                if let Some(metadata) = slot.as_mut() {
                    metadata.remove(key);
                }
            }
        }
        Ok(())
    }
}
