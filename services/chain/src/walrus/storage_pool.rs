//! Mirror of `move/walrus/sources/system/storage_pool.move` and the storage-pool functions of
//! `system.move` / `system_state_inner.move`: one `Storage` reservation shared by many blobs.
//!
//! On Sui a pool is the object `StoragePool { id, version }` with its state in the dynamic
//! field `version -> StoragePoolInnerV1`, whose `blobs: ObjectTable<u256, PooledBlob>` keeps
//! each blob as a dynamic object field of the table (a `Field<Wrapper<u256>, ID>` under the
//! table's id, and the `PooledBlob` object owned by that field); a pooled blob's attributes are
//! its own dynamic field `b"metadata" -> Metadata`. Here the whole pool is one
//! [`StoragePoolObject`], reported with those fields ([`StoragePoolObject::dynamic_fields`]).

use serde::{Deserialize, Serialize};
use sui_sdk_types::{Address, Identifier, StructTag, TypeTag};
use walrus_core::BlobId;
use walrus_core::contracts::{
    self, BlobPersistenceType, Coin, ContractEvent, Metadata, PooledBlob, PooledBlobCertified,
    PooledBlobDeleted, PooledBlobRegistered, Storage, StoragePoolCreated, StoragePoolExtended,
    SystemStateInnerV1,
};

use super::errors::{
    self, dynamic_field, storage_pool as e, system as sys_err, system_state_inner,
};
use super::messages::CertifiedBlobMessage;
use super::system::{self, epoch, n_shards};
use super::{
    METADATA_FIELD_KEY, View, WalrusObject, blob, encoding, owned, storage_resource, to_move_id,
    to_object_id, walrus_type,
};
use crate::devnet::objects::DynamicField;
use crate::types::{ExecutionFailure, ObjectId};

/// `storage_pool::VERSION`: the object version and the dynamic-field key of the state.
pub const VERSION: u64 = 1;

/// `storage_pool`'s attribute codes.
pub const POOLED_BLOB_METADATA_CODES: blob::MetadataCodes = blob::MetadataCodes {
    duplicate: e::EDuplicateMetadata,
    missing: e::EMissingMetadata,
};

/// A `PooledBlob` with its attributes (its dynamic field `b"metadata" -> Metadata`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PooledBlobObject {
    /// The Move `PooledBlob`.
    pub blob: PooledBlob,
    /// Its attributes, if any.
    pub metadata: Option<Metadata>,
}

/// A `storage_pool::StoragePool` with its state `StoragePoolInnerV1` and its blobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoragePoolObject {
    /// `storage_pool::StoragePool`.
    pub pool: contracts::StoragePool,
    /// `inner.storage`: the pool's period and capacity.
    pub storage: Storage,
    /// `inner.used_encoded_bytes`.
    pub used_encoded_bytes: u64,
    /// `inner.blob_count`.
    pub blob_count: u64,
    /// The id of `inner.blobs` (the `ObjectTable`).
    pub blobs_table_id: contracts::ObjectId,
    /// The table's entries in insertion order.
    pub blobs: Vec<PooledBlobObject>,
}

impl StoragePoolObject {
    /// The Move `StoragePoolInnerV1`.
    pub fn inner(&self) -> contracts::StoragePoolInnerV1 {
        contracts::StoragePoolInnerV1 {
            storage: self.storage.clone(),
            used_encoded_bytes: self.used_encoded_bytes,
            blob_count: self.blob_count,
            blobs: contracts::staking::Table {
                id: self.blobs_table_id,
                size: self.blobs.len() as u64,
            },
        }
    }

    /// The pool's fields as Sui stores them: the state under the pool's id, one
    /// `Field<Wrapper<u256>, ID>` per blob under the table's id with the `PooledBlob` object
    /// owned by it, and each blob's attributes under the blob's id.
    pub fn dynamic_fields(&self) -> Vec<DynamicField> {
        let mut fields = vec![DynamicField::new(
            to_object_id(self.pool.id),
            &TypeTag::U64,
            &bcs_of(&self.pool.version),
            &walrus_type("storage_pool", "StoragePoolInnerV1"),
            &bcs_of(&self.inner()),
        )];
        let wrapper = TypeTag::Struct(Box::new(StructTag::new(
            Address::TWO,
            Identifier::from_static("dynamic_object_field"),
            Identifier::from_static("Wrapper"),
            vec![TypeTag::U256],
        )));
        for pooled in &self.blobs {
            let entry = DynamicField::new(
                to_object_id(self.blobs_table_id),
                &wrapper,
                &bcs_of(&pooled.blob.blob_id),
                "0x2::object::ID",
                &bcs_of(&pooled.blob.id),
            );
            let object = DynamicField::child_object(
                entry.id,
                to_object_id(pooled.blob.id),
                walrus_type("storage_pool", "PooledBlob"),
                bcs_of(&pooled.blob),
            );
            fields.push(entry);
            fields.push(object);
            if let Some(metadata) = &pooled.metadata {
                fields.push(DynamicField::new(
                    to_object_id(pooled.blob.id),
                    &TypeTag::Vector(Box::new(TypeTag::U8)),
                    &bcs_of(&METADATA_FIELD_KEY.to_vec()),
                    &walrus_type("metadata", "Metadata"),
                    &bcs_of(metadata),
                ));
            }
        }
        fields
    }

    fn check_version(&self) -> Result<(), ExecutionFailure> {
        e::EWrongVersion.ensure(self.pool.version == VERSION)
    }

    /// `storage_pool::end_epoch`.
    pub fn end_epoch(&self) -> Result<u32, ExecutionFailure> {
        self.check_version()?;
        Ok(self.storage.end_epoch)
    }

    /// The pool's end epoch, which must be after `current` (the `storage_pool.end_epoch() >
    /// self.epoch()` check, `EInvalidEpochsAhead`, that every pool call but the burn of expired
    /// blobs starts with).
    fn unexpired_end(&self, current: u32) -> Result<u32, ExecutionFailure> {
        let end = self.end_epoch()?;
        system_state_inner::EInvalidEpochsAhead.ensure(end > current)?;
        Ok(end)
    }

    /// `storage_pool::start_epoch`.
    pub fn start_epoch(&self) -> Result<u32, ExecutionFailure> {
        self.check_version()?;
        Ok(self.storage.start_epoch)
    }

    fn position(&self, blob_id: &BlobId) -> Result<usize, ExecutionFailure> {
        self.blobs
            .iter()
            .position(|p| p.blob.blob_id == *blob_id)
            .ok_or_else(|| dynamic_field::EFieldDoesNotExist.fail_with(blob_id))
    }

    /// `storage_pool::borrow_blob_mut` (`EWrongVersion`, then `EFieldDoesNotExist`).
    pub fn blob_mut(
        &mut self,
        blob_id: &BlobId,
    ) -> Result<&mut PooledBlobObject, ExecutionFailure> {
        self.check_version()?;
        let index = self.position(blob_id)?;
        Ok(&mut self.blobs[index])
    }

    /// `storage_pool::add_blob`: counts the blob and its bytes (`EInsufficientCapacity` beyond
    /// the capacity), then adds it to the table (`EFieldAlreadyExists` for a blob id already
    /// there).
    fn add_blob(&mut self, pooled: PooledBlob, encoded_size: u64) -> Result<(), ExecutionFailure> {
        self.check_version()?;
        self.blob_count = self
            .blob_count
            .checked_add(1)
            .ok_or_else(|| errors::arithmetic(e::MODULE))?;
        self.used_encoded_bytes = self
            .used_encoded_bytes
            .checked_add(encoded_size)
            .ok_or_else(|| errors::arithmetic(e::MODULE))?;
        e::EInsufficientCapacity.ensure(self.used_encoded_bytes <= self.storage.storage_size)?;
        if self.blobs.iter().any(|p| p.blob.blob_id == pooled.blob_id) {
            return Err(dynamic_field::EFieldAlreadyExists.fail_with(pooled.blob_id));
        }
        self.blobs.push(PooledBlobObject {
            blob: pooled,
            metadata: None,
        });
        Ok(())
    }

    /// `storage_pool::remove_blob`: gives the blob's encoded size back (`EInvalidBlobSize`,
    /// `EInvalidBlobCount` when the accounting is broken) and takes it out of the table.
    fn remove_blob(
        &mut self,
        blob_id: &BlobId,
        n_shards: u16,
    ) -> Result<PooledBlobObject, ExecutionFailure> {
        self.check_version()?;
        let index = self.position(blob_id)?;
        let b = &self.blobs[index].blob;
        let encoded_size =
            encoding::encoded_blob_length(b.unencoded_size, b.encoding_type, n_shards)?;
        e::EInvalidBlobSize.ensure(self.used_encoded_bytes >= encoded_size)?;
        self.used_encoded_bytes -= encoded_size;
        e::EInvalidBlobCount.ensure(self.blob_count >= 1)?;
        self.blob_count -= 1;
        Ok(self.blobs.remove(index))
    }

    /// `storage_pool::decrease_capacity_by_size`: `None` for zero, else `extract_size` unused
    /// bytes (`EInsufficientCapacity`) split off as a new `Storage` with id `new_id`.
    fn decrease_capacity_by_size(
        &mut self,
        extract_size: u64,
        new_id: impl FnOnce() -> contracts::ObjectId,
    ) -> Result<Option<Storage>, ExecutionFailure> {
        if extract_size == 0 {
            return Ok(None);
        }
        self.check_version()?;
        let capacity = self.storage.storage_size;
        let unused = capacity
            .checked_sub(self.used_encoded_bytes)
            .ok_or_else(|| errors::arithmetic(e::MODULE))?;
        e::EInsufficientCapacity.ensure(unused >= extract_size)?;
        storage_resource::split_by_size(&mut self.storage, capacity - extract_size, new_id())
            .map(Some)
    }
}

fn bcs_of<T: Serialize>(value: &T) -> Vec<u8> {
    // The twins are plain structs; serializing them into a Vec cannot fail.
    bcs::to_bytes(value).unwrap_or_default()
}

/// The pool `id`, owned by the sender.
pub fn owned_pool(view: &View<'_>, id: &ObjectId) -> Result<StoragePoolObject, ExecutionFailure> {
    match owned(view, id)? {
        WalrusObject::StoragePool(p) => Ok(p.clone()),
        _ => Err(errors::input::EWrongObjectType.fail_with(format!("{id} is not a StoragePool"))),
    }
}

/// `system_state_inner::create_storage_pool_with_storage`: a non-empty
/// (`EInvalidResourceSize`) storage that has started and not expired (`EInvalidEpochsAhead`)
/// becomes a pool (`storage_pool::create`: the pool's id, then its table's); emits
/// `StoragePoolCreated`.
pub fn create_with_storage(
    view: &mut View<'_>,
    inner: &SystemStateInnerV1,
    storage: Storage,
) -> Result<StoragePoolObject, ExecutionFailure> {
    let current = epoch(inner);
    system_state_inner::EInvalidResourceSize.ensure(storage.storage_size > 0)?;
    system_state_inner::EInvalidEpochsAhead.ensure(storage.start_epoch <= current)?;
    system_state_inner::EInvalidEpochsAhead.ensure(storage.end_epoch > current)?;
    let pool_id = to_move_id(view.new_id());
    let blobs_table_id = to_move_id(view.new_id());
    let pool = StoragePoolObject {
        pool: contracts::StoragePool {
            id: pool_id,
            version: VERSION,
        },
        storage,
        used_encoded_bytes: 0,
        blob_count: 0,
        blobs_table_id,
        blobs: Vec::new(),
    };
    blob::emit(
        view,
        ContractEvent::StoragePoolCreated(StoragePoolCreated {
            epoch: current,
            storage_pool_id: pool_id,
            reserved_encoded_capacity_bytes: pool.storage.storage_size,
            start_epoch: pool.storage.start_epoch,
            end_epoch: pool.storage.end_epoch,
        }),
    );
    Ok(pool)
}

/// `system_state_inner::register_pooled_blob`: the pool's period must hold the current epoch
/// (`EInvalidEpochsAhead`); `storage_pool::new_pooled_blob` (`EInvalidBlobId`, emits
/// `PooledBlobRegistered`), then its encoded size goes into the pool (`add_blob`) and the write
/// price is charged.
#[allow(clippy::too_many_arguments)] // as the Move function
pub fn register_pooled_blob(
    view: &mut View<'_>,
    inner: &mut SystemStateInnerV1,
    pool: &mut StoragePoolObject,
    blob_id: BlobId,
    root_hash: &[u8; 32],
    unencoded_size: u64,
    encoding_type: u8,
    deletable: bool,
    write_payment: &mut Coin,
) -> Result<(), ExecutionFailure> {
    let current = epoch(inner);
    system_state_inner::EInvalidEpochsAhead.ensure(current >= pool.start_epoch()?)?;
    system_state_inner::EInvalidEpochsAhead.ensure(current < pool.end_epoch()?)?;
    e::EInvalidBlobId
        .ensure(blob::derive_blob_id(root_hash, encoding_type, unencoded_size) == blob_id)?;
    let id = to_move_id(view.new_id());
    blob::emit(
        view,
        ContractEvent::PooledBlobRegistered(PooledBlobRegistered {
            epoch: current,
            blob_id,
            unencoded_size,
            encoding_type,
            deletable,
            object_id: id,
            storage_pool_id: pool.pool.id,
        }),
    );
    let pooled = PooledBlob {
        id,
        registered_epoch: current,
        blob_id,
        unencoded_size,
        encoding_type,
        certified_epoch: None,
        storage_pool_id: pool.pool.id,
        deletable,
    };
    let encoded_size =
        encoding::encoded_blob_length(unencoded_size, encoding_type, n_shards(inner))?;
    pool.add_blob(pooled, encoded_size)?;
    system::charge_write(inner, encoded_size, write_payment)
}

/// `system_state_inner::certify_pooled_blob`: a quorum certificate of the current committee
/// signed in the current epoch (`EInvalidIdEpoch`), then `storage_pool::certify`.
pub fn certify_pooled_blob(
    view: &mut View<'_>,
    inner: &SystemStateInnerV1,
    pool: &mut StoragePoolObject,
    blob_id: &BlobId,
    signature: &[u8],
    signers_bitmap: &[u8],
    message: &[u8],
) -> Result<(), ExecutionFailure> {
    let message = system::certified_blob_message(inner, signature, signers_bitmap, message)?;
    let end_epoch = pool.end_epoch()?;
    let pooled = &mut pool.blob_mut(blob_id)?.blob;
    certify(view, pooled, epoch(inner), end_epoch, &message)
}

/// `storage_pool::certify`: same blob id (`EInvalidBlobId`), before the pool's end
/// (`EResourceBounds`), not yet certified (`EAlreadyCertified`), then the persistence type
/// (`EInvalidBlobPersistenceType`) and, deletable, the object id (`EInvalidBlobObject`); emits
/// `PooledBlobCertified`.
fn certify(
    view: &mut View<'_>,
    pooled: &mut PooledBlob,
    current_epoch: u32,
    end_epoch: u32,
    message: &CertifiedBlobMessage,
) -> Result<(), ExecutionFailure> {
    e::EInvalidBlobId.ensure(pooled.blob_id == message.blob_id)?;
    e::EResourceBounds.ensure(current_epoch < end_epoch)?;
    e::EAlreadyCertified.ensure(pooled.certified_epoch.is_none())?;
    pooled.certified_epoch = Some(current_epoch);
    let certified_id = match message.blob_persistence_type {
        BlobPersistenceType::Deletable { object_id } => Some(object_id),
        BlobPersistenceType::Permanent => None,
    };
    e::EInvalidBlobPersistenceType.ensure(pooled.deletable == certified_id.is_some())?;
    if pooled.deletable {
        e::EInvalidBlobObject.ensure(certified_id == Some(pooled.id))?;
    }
    blob::emit(
        view,
        ContractEvent::PooledBlobCertified(PooledBlobCertified {
            epoch: current_epoch,
            blob_id: pooled.blob_id,
            deletable: pooled.deletable,
            object_id: pooled.id,
            storage_pool_id: pooled.storage_pool_id,
        }),
    );
    Ok(())
}

/// `system_state_inner::delete_pooled_blob`: the pool has not expired (`EInvalidEpochsAhead`);
/// `remove_blob`, then `storage_pool::delete_blob_object` (`EBlobNotDeletable`, emits
/// `PooledBlobDeleted`).
pub fn delete_pooled_blob(
    view: &mut View<'_>,
    inner: &SystemStateInnerV1,
    pool: &mut StoragePoolObject,
    blob_id: &BlobId,
) -> Result<(), ExecutionFailure> {
    let current = epoch(inner);
    pool.unexpired_end(current)?;
    let removed = pool.remove_blob(blob_id, n_shards(inner))?.blob;
    e::EBlobNotDeletable.ensure(removed.deletable)?;
    blob::emit(
        view,
        ContractEvent::PooledBlobDeleted(PooledBlobDeleted {
            epoch: current,
            blob_id: removed.blob_id,
            object_id: removed.id,
            was_certified: removed.certified_epoch.is_some(),
            storage_pool_id: removed.storage_pool_id,
        }),
    );
    Ok(())
}

/// `system_state_inner::burn_expired_pooled_blob`: only once the pool has expired
/// (`EInvalidEpochsAhead`); `remove_blob` and `burn_blob_object` (no event).
pub fn burn_expired_pooled_blob(
    inner: &SystemStateInnerV1,
    pool: &mut StoragePoolObject,
    blob_id: &BlobId,
) -> Result<(), ExecutionFailure> {
    system_state_inner::EInvalidEpochsAhead.ensure(pool.end_epoch()? <= epoch(inner))?;
    pool.remove_blob(blob_id, n_shards(inner)).map(drop)
}

/// `system_state_inner::extend_storage_pool`: `extended_epochs > 0`, the pool not expired and
/// the new end at most `max_epochs_ahead` from now (`EInvalidEpochsAhead`); the whole capacity
/// is paid and accounted for each added epoch; emits `StoragePoolExtended`.
pub fn extend_storage_pool(
    view: &mut View<'_>,
    inner: &mut SystemStateInnerV1,
    pool: &mut StoragePoolObject,
    extended_epochs: u32,
    payment: &mut Coin,
) -> Result<(), ExecutionFailure> {
    let current = epoch(inner);
    system_state_inner::EInvalidEpochsAhead.ensure(extended_epochs > 0)?;
    let end = pool.unexpired_end(current)?;
    let from = end - current;
    let to = from
        .checked_add(extended_epochs)
        .ok_or_else(|| errors::arithmetic(system_state_inner::MODULE))?;
    system_state_inner::EInvalidEpochsAhead.ensure(to <= system::max_epochs_ahead(inner))?;
    let capacity = pool.storage.storage_size;
    system::charge_storage(inner, capacity, from, to, payment)?;
    system::account_capacity(inner, capacity, from, to, true)?;
    storage_resource::extend_end_epoch(&mut pool.storage, extended_epochs)?;
    blob::emit(
        view,
        ContractEvent::StoragePoolExtended(StoragePoolExtended {
            epoch: current,
            storage_pool_id: pool.pool.id,
            new_end_epoch: pool.storage.end_epoch,
        }),
    );
    Ok(())
}

/// `system_state_inner::increase_storage_pool_capacity`: a non-zero size
/// (`EInvalidResourceSize`) for a pool that has not expired (`EInvalidEpochsAhead`), paid and
/// accounted from now to the pool's end.
pub fn increase_storage_pool_capacity(
    inner: &mut SystemStateInnerV1,
    pool: &mut StoragePoolObject,
    additional: u64,
    payment: &mut Coin,
) -> Result<(), ExecutionFailure> {
    system_state_inner::EInvalidResourceSize.ensure(additional > 0)?;
    let remaining = pool.unexpired_end(epoch(inner))? - epoch(inner);
    system::charge_storage(inner, additional, 0, remaining, payment)?;
    system::account_capacity(inner, additional, 0, remaining, true)?;
    pool.check_version()?;
    storage_resource::increase_size(&mut pool.storage, additional)
}

/// `system_state_inner::increase_storage_pool_capacity_with_storage`: a pool that has not
/// expired (`EInvalidEpochsAhead`) absorbs a started (`EResourceBounds`) storage with the same
/// end epoch (`EIncompatibleEndEpoch`).
pub fn increase_storage_pool_capacity_with_storage(
    inner: &SystemStateInnerV1,
    pool: &mut StoragePoolObject,
    other: &Storage,
) -> Result<(), ExecutionFailure> {
    let current = epoch(inner);
    pool.unexpired_end(current)?;
    e::EResourceBounds.ensure(other.start_epoch <= current)?;
    e::EIncompatibleEndEpoch.ensure(other.end_epoch == pool.storage.end_epoch)?;
    storage_resource::increase_size(&mut pool.storage, other.storage_size)
}

/// `system::decrease_storage_pool_capacity_by_size`: a pool that has not expired
/// (`EInvalidEpochsAhead`) gives `size` unused bytes back as a `Storage`; zero is
/// `system::EZeroExtractSize`.
pub fn decrease_storage_pool_capacity_by_size(
    view: &mut View<'_>,
    inner: &SystemStateInnerV1,
    pool: &mut StoragePoolObject,
    size: u64,
) -> Result<Storage, ExecutionFailure> {
    pool.unexpired_end(epoch(inner))?;
    pool.decrease_capacity_by_size(size, || to_move_id(view.new_id()))?
        .ok_or_else(|| sys_err::EZeroExtractSize.fail())
}

/// `system::decrease_storage_pool_unused_capacity_by_percent`: `percent` (at most 100,
/// `EInvalidPercent`) of the unused bytes, rounded down, as for
/// [`decrease_storage_pool_capacity_by_size`].
pub fn decrease_storage_pool_unused_capacity_by_percent(
    view: &mut View<'_>,
    inner: &SystemStateInnerV1,
    pool: &mut StoragePoolObject,
    percent: u8,
) -> Result<Storage, ExecutionFailure> {
    pool.unexpired_end(epoch(inner))?;
    e::EInvalidPercent.ensure(percent <= 100)?;
    pool.check_version()?;
    let unused = pool
        .storage
        .storage_size
        .checked_sub(pool.used_encoded_bytes)
        .ok_or_else(|| errors::arithmetic(e::MODULE))?;
    let extract = u128::from(unused) * u128::from(percent) / 100;
    // At most `unused`, so it fits in a u64.
    let extract = u64::try_from(extract).map_err(|_| errors::arithmetic(e::MODULE))?;
    pool.decrease_capacity_by_size(extract, || to_move_id(view.new_id()))?
        .ok_or_else(|| sys_err::EZeroExtractSize.fail())
}

/// `storage_pool::destroy`: an empty pool (`EPoolNotEmpty`) gives its `Storage` back.
pub fn destroy(pool: StoragePoolObject) -> Result<Storage, ExecutionFailure> {
    e::EPoolNotEmpty.ensure(pool.blob_count == 0)?;
    Ok(pool.storage)
}
