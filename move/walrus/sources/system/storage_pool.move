/// `StoragePool`: one storage reservation shared by many blobs. The pool holds a `Storage` for
/// `[start_epoch, end_epoch)`; blobs registered against it (`PooledBlob`) take encoded bytes
/// from its capacity and live as long as the pool. Deleting a pooled blob gives its bytes back
/// to the pool. Created and resized through `system`; owners manage their blobs' attributes
/// here.
module walrus::storage_pool;

use std::string::String;
use sui::dynamic_field;
use sui::object_table::{Self, ObjectTable};
use walrus::blob;
use walrus::encoding;
use walrus::events;
use walrus::messages::CertifiedBlobMessage;
use walrus::metadata::{Self, Metadata};
use walrus::storage_resource::Storage;

// === Constants ===

/// Version of the `StoragePool` object and the dynamic-field key of its state.
const VERSION: u64 = 1;
/// Name of the dynamic field holding a pooled blob's `Metadata`.
const METADATA_DF: vector<u8> = b"metadata";

// === Errors (numbered as in Walrus mainnet) ===

/// The pooled blob is not deletable.
const EBlobNotDeletable: u64 = 0;
/// The epoch is outside the pool's period, or a `Storage` to absorb has not started.
const EResourceBounds: u64 = 1;
/// The pooled blob is already certified.
const EAlreadyCertified: u64 = 2;
/// The blob id does not match the derived one, or the one in the certificate.
const EInvalidBlobId: u64 = 3;
/// The certificate's persistence type does not match the blob's `deletable` flag.
const EInvalidBlobPersistenceType: u64 = 4;
/// The certificate of a deletable pooled blob names another object id.
const EInvalidBlobObject: u64 = 5;
/// The pool lacks the unused capacity the operation needs.
const EInsufficientCapacity: u64 = 6;
/// The pool still holds blobs.
const EPoolNotEmpty: u64 = 7;
/// The pool's used bytes are less than the blob's encoded size (accounting broken).
const EInvalidBlobSize: u64 = 8;
/// The pool's blob count is zero while a blob is removed (accounting broken).
const EInvalidBlobCount: u64 = 9;
/// The pool's version is not the one this package handles.
const EWrongVersion: u64 = 10;
/// A `Storage` to absorb ends in another epoch than the pool.
const EIncompatibleEndEpoch: u64 = 11;
/// The pooled blob already has metadata.
const EDuplicateMetadata: u64 = 12;
/// The pooled blob has no metadata.
const EMissingMetadata: u64 = 13;
/// A percentage above 100.
const EInvalidPercent: u64 = 14;

// === Object definitions ===

/// A pool of storage. The state is the dynamic field `VERSION` -> `StoragePoolInnerV1`.
public struct StoragePool has key, store {
    id: UID,
    version: u64,
}

/// The state of a pool.
public struct StoragePoolInnerV1 has store {
    /// The reservation: its period is the pool's, its size the pool's capacity.
    storage: Storage,
    /// Encoded bytes taken by the pool's blobs.
    used_encoded_bytes: u64,
    /// Number of blobs in `blobs`.
    blob_count: u64,
    /// The pool's blobs by blob id.
    blobs: ObjectTable<u256, PooledBlob>,
}

/// A blob registered against a pool. Its lifetime is the pool's, so it has no `Storage`.
public struct PooledBlob has key, store {
    id: UID,
    registered_epoch: u32,
    blob_id: u256,
    unencoded_size: u64,
    encoding_type: u8,
    certified_epoch: Option<u32>,
    /// The pool that holds it.
    storage_pool_id: ID,
    deletable: bool,
}

// === Pool views ===

/// First epoch of the pool's period.
public fun start_epoch(self: &StoragePool): u32 { self.inner().storage.start_epoch() }

/// End epoch (exclusive) of the pool's period.
public fun end_epoch(self: &StoragePool): u32 { self.inner().storage.end_epoch() }

/// The pool's capacity in encoded bytes.
public fun reserved_encoded_capacity_bytes(self: &StoragePool): u64 { self.inner().storage.size() }

/// Encoded bytes taken by the pool's blobs.
public fun used_encoded_bytes(self: &StoragePool): u64 { self.inner().used_encoded_bytes }

/// Encoded bytes still free.
public fun available_encoded_bytes(self: &StoragePool): u64 {
    let inner = self.inner();
    inner.storage.size() - inner.used_encoded_bytes
}

/// The pool's reservation.
public fun storage(self: &StoragePool): &Storage { &self.inner().storage }

/// Number of blobs in the pool.
public fun blob_count(self: &StoragePool): u64 { self.inner().blob_count }

/// Whether the pool holds `blob_id`.
public fun contains_blob(self: &StoragePool, blob_id: u256): bool {
    self.inner().blobs.contains(blob_id)
}

/// The object id of the pooled blob `blob_id` (what a deletable blob's certificate names).
public fun blob_object_id(self: &StoragePool, blob_id: u256): ID {
    object::id(self.inner().blobs.borrow(blob_id))
}

/// The pool's object id.
public fun object_id(self: &StoragePool): ID { object::id(self) }

/// Destroys an empty pool (`EPoolNotEmpty` otherwise) and returns its reservation.
public fun destroy(self: StoragePool): Storage {
    let StoragePool { mut id, version } = self;
    let StoragePoolInnerV1 { storage, blob_count, blobs, .. } = dynamic_field::remove(
        &mut id,
        version,
    );
    assert!(blob_count == 0, EPoolNotEmpty);
    blobs.destroy_empty();
    id.delete();
    storage
}

// === Pooled blob attributes, by blob id ===

/// Attaches `metadata` to the pooled blob; `EDuplicateMetadata` if it already has some.
public fun add_blob_metadata(self: &mut StoragePool, blob_id: u256, metadata: Metadata) {
    self.borrow_blob_mut(blob_id).add_metadata(metadata)
}

/// Attaches `metadata` to the pooled blob, returning the previous metadata if there was one.
public fun add_or_replace_blob_metadata(
    self: &mut StoragePool,
    blob_id: u256,
    metadata: Metadata,
): Option<Metadata> {
    let pooled = self.borrow_blob_mut(blob_id);
    let old = if (pooled.has_metadata()) option::some(pooled.take_metadata()) else option::none();
    pooled.add_metadata(metadata);
    old
}

/// Removes and returns the pooled blob's metadata; `EMissingMetadata` if it has none.
public fun take_blob_metadata(self: &mut StoragePool, blob_id: u256): Metadata {
    self.borrow_blob_mut(blob_id).take_metadata()
}

/// Sets attribute `key` to `value` on the pooled blob, creating its metadata if needed.
public fun insert_or_update_blob_metadata_pair(
    self: &mut StoragePool,
    blob_id: u256,
    key: String,
    value: String,
) {
    let pooled = self.borrow_blob_mut(blob_id);
    if (!pooled.has_metadata()) pooled.add_metadata(metadata::new());
    pooled.metadata_mut().insert_or_update(key, value)
}

/// Removes attribute `key` from the pooled blob and returns the pair; `EMissingMetadata` if it
/// has no metadata (and `sui::vec_map::EKeyDoesNotExist` if the key is missing).
public fun remove_blob_metadata_pair(
    self: &mut StoragePool,
    blob_id: u256,
    key: &String,
): (String, String) {
    self.borrow_blob_mut(blob_id).metadata_mut().remove(key)
}

/// Removes attribute `key` from the pooled blob if present and returns its value.
public fun remove_blob_metadata_pair_if_exists(
    self: &mut StoragePool,
    blob_id: u256,
    key: &String,
): Option<String> {
    let pooled = self.borrow_blob_mut(blob_id);
    if (!pooled.has_metadata()) option::none() else pooled.metadata_mut().remove_if_exists(key)
}

// === Public-Package functions: the pool ===

/// A new pool holding `storage`.
public(package) fun create(storage: Storage, ctx: &mut TxContext): StoragePool {
    let mut pool = StoragePool { id: object::new(ctx), version: VERSION };
    let inner = StoragePoolInnerV1 {
        storage,
        used_encoded_bytes: 0,
        blob_count: 0,
        blobs: object_table::new(ctx),
    };
    dynamic_field::add(&mut pool.id, VERSION, inner);
    pool
}

/// The pooled blob `blob_id` (`sui::dynamic_field::EFieldDoesNotExist` if absent).
public(package) fun borrow_blob(self: &StoragePool, blob_id: u256): &PooledBlob {
    self.inner().blobs.borrow(blob_id)
}

/// The pooled blob `blob_id`, mutably.
public(package) fun borrow_blob_mut(self: &mut StoragePool, blob_id: u256): &mut PooledBlob {
    self.inner_mut().blobs.borrow_mut(blob_id)
}

/// Moves the pool's end `extension_epochs` later.
public(package) fun extend_end_epoch(self: &mut StoragePool, extension_epochs: u32) {
    self.inner_mut().storage.extend_end_epoch(extension_epochs)
}

/// Adds `additional_capacity_bytes` to the pool's capacity.
public(package) fun increase_reserved_encoded_capacity(
    self: &mut StoragePool,
    additional_capacity_bytes: u64,
) {
    self.inner_mut().storage.increase_size(additional_capacity_bytes)
}

/// Puts `blob` in the pool, taking `encoded_size` bytes (`EInsufficientCapacity` if they do
/// not fit; the table aborts on a blob id already in the pool).
public(package) fun add_blob(self: &mut StoragePool, blob: PooledBlob, encoded_size: u64) {
    let inner = self.inner_mut();
    inner.blob_count = inner.blob_count + 1;
    inner.used_encoded_bytes = inner.used_encoded_bytes + encoded_size;
    assert!(inner.used_encoded_bytes <= inner.storage.size(), EInsufficientCapacity);
    inner.blobs.add(blob.blob_id, blob);
}

/// Takes `blob_id` out of the pool and gives its encoded size back.
public(package) fun remove_blob(self: &mut StoragePool, blob_id: u256, n_shards: u16): PooledBlob {
    let inner = self.inner_mut();
    let pooled = inner.blobs.borrow(blob_id);
    let encoded_size = encoding::encoded_blob_length(
        pooled.unencoded_size,
        pooled.encoding_type,
        n_shards,
    );
    assert!(inner.used_encoded_bytes >= encoded_size, EInvalidBlobSize);
    inner.used_encoded_bytes = inner.used_encoded_bytes - encoded_size;
    assert!(inner.blob_count >= 1, EInvalidBlobCount);
    inner.blob_count = inner.blob_count - 1;
    inner.blobs.remove(blob_id)
}

/// Absorbs `other` into the pool's capacity. Only the end epochs must match
/// (`EIncompatibleEndEpoch`): the pool's start epoch is informational, so `other` need only
/// have started (`EResourceBounds`), which means it was accounted for.
public(package) fun increase_capacity_with_storage(
    self: &mut StoragePool,
    other: Storage,
    current_epoch: u32,
) {
    let inner = self.inner_mut();
    assert!(other.start_epoch() <= current_epoch, EResourceBounds);
    assert!(other.end_epoch() == inner.storage.end_epoch(), EIncompatibleEndEpoch);
    inner.storage.increase_size(other.size());
    other.destroy();
}

/// Splits `extract_size` unused bytes off the pool as a `Storage` for the pool's period
/// (`EInsufficientCapacity` if they are not free); none when `extract_size` is zero.
public(package) fun decrease_capacity_by_size(
    self: &mut StoragePool,
    extract_size: u64,
    ctx: &mut TxContext,
): Option<Storage> {
    if (extract_size == 0) return option::none();
    let inner = self.inner_mut();
    let capacity = inner.storage.size();
    assert!(capacity - inner.used_encoded_bytes >= extract_size, EInsufficientCapacity);
    option::some(inner.storage.split_by_size(capacity - extract_size, ctx))
}

/// Splits `percent` (0..=100, `EInvalidPercent`) of the unused bytes, rounded down, off the
/// pool; none when that is zero.
public(package) fun decrease_unused_capacity_by_percent(
    self: &mut StoragePool,
    percent: u8,
    ctx: &mut TxContext,
): Option<Storage> {
    assert!(percent <= 100, EInvalidPercent);
    let unused = self.available_encoded_bytes();
    let extract_size = ((unused as u128) * (percent as u128) / 100) as u64;
    self.decrease_capacity_by_size(extract_size, ctx)
}

// === Public-Package functions: pooled blobs ===

/// A new pooled blob of `storage_pool_id`, registered in `registered_epoch`; the blob id must
/// be the one derived from the root hash, encoding type and size (`EInvalidBlobId`). Emits
/// `PooledBlobRegistered`.
public(package) fun new_pooled_blob(
    storage_pool_id: ID,
    blob_id: u256,
    root_hash: u256,
    unencoded_size: u64,
    encoding_type: u8,
    deletable: bool,
    registered_epoch: u32,
    ctx: &mut TxContext,
): PooledBlob {
    assert!(
        blob::derive_blob_id(root_hash, encoding_type, unencoded_size) == blob_id,
        EInvalidBlobId,
    );
    let id = object::new(ctx);
    events::emit_pooled_blob_registered(
        registered_epoch,
        blob_id,
        unencoded_size,
        encoding_type,
        deletable,
        id.to_inner(),
        storage_pool_id,
    );
    PooledBlob {
        id,
        registered_epoch,
        blob_id,
        unencoded_size,
        encoding_type,
        certified_epoch: option::none(),
        storage_pool_id,
        deletable,
    }
}

/// Certifies the pooled blob with a certified message in `current_epoch`, before the pool's
/// `end_epoch`. Checks the blob id, the period, that it is not yet certified, the persistence
/// type and (deletable) the object id; emits `PooledBlobCertified`.
public(package) fun certify(
    self: &mut PooledBlob,
    current_epoch: u32,
    end_epoch: u32,
    message: CertifiedBlobMessage,
) {
    assert!(self.blob_id == message.certified_blob_id(), EInvalidBlobId);
    assert!(current_epoch < end_epoch, EResourceBounds);
    assert!(self.certified_epoch.is_none(), EAlreadyCertified);
    self.certified_epoch = option::some(current_epoch);
    let persistence = message.blob_persistence_type();
    assert!(self.deletable == persistence.is_deletable(), EInvalidBlobPersistenceType);
    if (self.deletable) {
        assert!(persistence.object_id() == object::id(self), EInvalidBlobObject);
    };
    events::emit_pooled_blob_certified(
        current_epoch,
        self.blob_id,
        self.deletable,
        self.id.to_inner(),
        self.storage_pool_id,
    );
}

/// Destroys a deletable pooled blob (`EBlobNotDeletable`) and its metadata; emits
/// `PooledBlobDeleted` for `epoch`.
public(package) fun delete_blob_object(mut self: PooledBlob, epoch: u32) {
    self.drop_metadata();
    let PooledBlob { id, blob_id, certified_epoch, storage_pool_id, deletable, .. } = self;
    assert!(deletable, EBlobNotDeletable);
    let object_id = id.to_inner();
    id.delete();
    events::emit_pooled_blob_deleted(
        epoch,
        blob_id,
        object_id,
        certified_epoch.is_some(),
        storage_pool_id,
    );
}

/// Destroys a pooled blob of an expired pool, deletable or not, and its metadata. No event:
/// the nodes may have forgotten the blob already.
public(package) fun burn_blob_object(mut self: PooledBlob) {
    self.drop_metadata();
    let PooledBlob { id, .. } = self;
    id.delete();
}

/// Whether the pooled blob may be deleted.
public(package) fun is_deletable(self: &PooledBlob): bool { self.deletable }

/// Whether the pooled blob is certified.
public(package) fun is_certified(self: &PooledBlob): bool { self.certified_epoch.is_some() }

// === Private functions ===

fun inner(self: &StoragePool): &StoragePoolInnerV1 {
    assert!(self.version == VERSION, EWrongVersion);
    dynamic_field::borrow(&self.id, self.version)
}

fun inner_mut(self: &mut StoragePool): &mut StoragePoolInnerV1 {
    assert!(self.version == VERSION, EWrongVersion);
    dynamic_field::borrow_mut(&mut self.id, self.version)
}

fun has_metadata(self: &PooledBlob): bool { dynamic_field::exists_(&self.id, METADATA_DF) }

fun add_metadata(self: &mut PooledBlob, metadata: Metadata) {
    assert!(!self.has_metadata(), EDuplicateMetadata);
    dynamic_field::add(&mut self.id, METADATA_DF, metadata)
}

fun take_metadata(self: &mut PooledBlob): Metadata {
    assert!(self.has_metadata(), EMissingMetadata);
    dynamic_field::remove(&mut self.id, METADATA_DF)
}

fun metadata_mut(self: &mut PooledBlob): &mut Metadata {
    assert!(self.has_metadata(), EMissingMetadata);
    dynamic_field::borrow_mut(&mut self.id, METADATA_DF)
}

fun drop_metadata(self: &mut PooledBlob) {
    dynamic_field::remove_if_exists<vector<u8>, Metadata>(&mut self.id, METADATA_DF);
}

// === Test-only ===

#[test_only]
public fun version(self: &StoragePool): u64 { self.version }

#[test_only]
public fun version_for_testing(): u64 { VERSION }

#[test_only]
public fun blobs(self: &StoragePool): &ObjectTable<u256, PooledBlob> { &self.inner().blobs }

#[test_only]
public fun set_version_for_testing(self: &mut StoragePool, version: u64) { self.version = version }

#[test_only]
public fun set_accounting_for_testing(self: &mut StoragePool, used_encoded_bytes: u64, blob_count: u64) {
    let inner = self.inner_mut();
    inner.used_encoded_bytes = used_encoded_bytes;
    inner.blob_count = blob_count;
}

#[test_only]
public fun blob_registered_epoch(self: &PooledBlob): u32 { self.registered_epoch }

#[test_only]
public fun blob_certified_epoch(self: &PooledBlob): Option<u32> { self.certified_epoch }

#[test_only]
public fun blob_pool_id(self: &PooledBlob): ID { self.storage_pool_id }

#[test_only]
public fun destroy_for_testing(self: StoragePool) { std::unit_test::destroy(self) }

#[test_only]
public fun destroy_blob_for_testing(self: PooledBlob) { std::unit_test::destroy(self) }

#[test_only]
/// BCS of the pool's state (`StoragePoolInnerV1`), for the differential tests.
public fun inner_bcs_for_testing(self: &StoragePool): vector<u8> { std::bcs::to_bytes(self.inner()) }
