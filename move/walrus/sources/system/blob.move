/// `Blob`: a registered (and possibly certified) blob with its embedded `Storage`. Created by
/// `system::register_blob`; certified, extended and deleted through `system`. Owners may burn it
/// and manage its attributes (metadata) here.
module walrus::blob;

use std::string::String;
use sui::bcs;
use sui::dynamic_field;
use sui::hash;
use walrus::encoding;
use walrus::events;
use walrus::messages::CertifiedBlobMessage;
use walrus::metadata::{Self, Metadata};
use walrus::storage_resource::Storage;

// === Constants ===

/// Name of the dynamic field holding the blob's `Metadata`.
const METADATA_DF: vector<u8> = b"metadata";

// === Errors (numbered as in Walrus mainnet) ===

/// The blob is not certified.
const ENotCertified: u64 = 0;
/// The blob is not deletable.
const EBlobNotDeletable: u64 = 1;
/// The epoch is outside the storage period (not started, or expired), or an extension does
/// not end later than the blob.
const EResourceBounds: u64 = 2;
/// The encoded size of the blob exceeds the storage size.
const EResourceSize: u64 = 3;
/// The blob is already certified.
const EAlreadyCertified: u64 = 5;
/// The blob id does not match the derived one, or the one in the certificate.
const EInvalidBlobId: u64 = 6;
/// The blob already has metadata.
const EDuplicateMetadata: u64 = 7;
/// The blob has no metadata.
const EMissingMetadata: u64 = 8;
/// The certificate's persistence type does not match the blob's `deletable` flag.
const EInvalidBlobPersistenceType: u64 = 9;
/// The certificate of a deletable blob names another object id.
const EInvalidBlobObject: u64 = 10;

// === Object definitions ===

/// A blob registered on Walrus.
public struct Blob has key, store {
    id: UID,
    registered_epoch: u32,
    blob_id: u256,
    size: u64,
    encoding_type: u8,
    certified_epoch: Option<u32>,
    storage: Storage,
    deletable: bool,
}

/// The preimage of a blob id: BCS(encoding_type u8, size u64, root_hash u256).
public struct BlobIdDerivation has drop {
    encoding_type: u8,
    size: u64,
    root_hash: u256,
}

// === Accessors ===

public fun object_id(self: &Blob): ID { self.id.to_inner() }

public fun registered_epoch(self: &Blob): u32 { self.registered_epoch }

public fun blob_id(self: &Blob): u256 { self.blob_id }

/// The unencoded size in bytes.
public fun size(self: &Blob): u64 { self.size }

public fun encoding_type(self: &Blob): u8 { self.encoding_type }

/// The epoch of the first certification, none if not certified.
public fun certified_epoch(self: &Blob): &Option<u32> { &self.certified_epoch }

public fun storage(self: &Blob): &Storage { &self.storage }

/// The end of the blob's lifetime (exclusive): the storage's end epoch.
public fun end_epoch(self: &Blob): u32 { self.storage.end_epoch() }

public fun is_deletable(self: &Blob): bool { self.deletable }

public fun is_certified(self: &Blob): bool { self.certified_epoch.is_some() }

/// The encoded size of the blob for `n_shards` shards.
public fun encoded_size(self: &Blob, n_shards: u16): u64 {
    encoding::encoded_blob_length(self.size, self.encoding_type, n_shards)
}

// === Public functions ===

/// The blob id of a blob: Blake2b-256 over BCS(encoding_type, size, root_hash), read as a
/// little-endian u256.
public fun derive_blob_id(root_hash: u256, encoding_type: u8, size: u64): u256 {
    let serialized = bcs::to_bytes(&BlobIdDerivation { encoding_type, size, root_hash });
    let digest = hash::blake2b256(&serialized);
    bcs::new(digest).peel_u256()
}

/// Destroys the blob and its storage (no refund, no event). The data is not deleted from the
/// storage nodes: they keep it until the end epoch.
public fun burn(mut self: Blob) {
    if (dynamic_field::exists_(&self.id, METADATA_DF)) {
        let _: Metadata = dynamic_field::remove(&mut self.id, METADATA_DF);
    };
    let Blob { id, storage, .. } = self;
    id.delete();
    storage.destroy();
}

/// Attaches `metadata`; aborts with `EDuplicateMetadata` if the blob already has some.
public fun add_metadata(self: &mut Blob, metadata: Metadata) {
    assert!(!dynamic_field::exists_(&self.id, METADATA_DF), EDuplicateMetadata);
    dynamic_field::add(&mut self.id, METADATA_DF, metadata);
}

/// Attaches `metadata`, returning the previous metadata if there was one.
public fun add_or_replace_metadata(self: &mut Blob, metadata: Metadata): Option<Metadata> {
    let old = if (dynamic_field::exists_(&self.id, METADATA_DF)) {
        option::some(dynamic_field::remove(&mut self.id, METADATA_DF))
    } else {
        option::none()
    };
    dynamic_field::add(&mut self.id, METADATA_DF, metadata);
    old
}

/// Removes and returns the metadata; aborts with `EMissingMetadata` if there is none.
public fun take_metadata(self: &mut Blob): Metadata {
    assert!(dynamic_field::exists_(&self.id, METADATA_DF), EMissingMetadata);
    dynamic_field::remove(&mut self.id, METADATA_DF)
}

/// Sets attribute `key` to `value`, creating the metadata if the blob has none.
public fun insert_or_update_metadata_pair(self: &mut Blob, key: String, value: String) {
    if (!dynamic_field::exists_(&self.id, METADATA_DF)) {
        dynamic_field::add(&mut self.id, METADATA_DF, metadata::new());
    };
    self.metadata_mut().insert_or_update(key, value);
}

/// Removes attribute `key` and returns the pair; aborts with `EMissingMetadata` if the blob
/// has no metadata (and with `sui::vec_map::EKeyDoesNotExist` if the key is missing).
public fun remove_metadata_pair(self: &mut Blob, key: &String): (String, String) {
    self.metadata_mut().remove(key)
}

/// Removes attribute `key` if present and returns its value.
public fun remove_metadata_pair_if_exists(self: &mut Blob, key: &String): Option<String> {
    if (!dynamic_field::exists_(&self.id, METADATA_DF)) {
        option::none()
    } else {
        self.metadata_mut().remove_if_exists(key)
    }
}

/// Whether the blob has metadata.
public fun has_metadata(self: &Blob): bool {
    dynamic_field::exists_(&self.id, METADATA_DF)
}

/// The blob's metadata; aborts with `EMissingMetadata` if there is none.
public fun metadata(self: &Blob): &Metadata {
    assert!(dynamic_field::exists_(&self.id, METADATA_DF), EMissingMetadata);
    dynamic_field::borrow(&self.id, METADATA_DF)
}

// === Public-Package functions ===

/// Creates a blob in `current_epoch`, checking the storage period and size, the encoding type
/// and the blob id, and emits `BlobRegistered`.
public(package) fun new(
    storage: Storage,
    blob_id: u256,
    root_hash: u256,
    size: u64,
    encoding_type: u8,
    deletable: bool,
    current_epoch: u32,
    n_shards: u16,
    ctx: &mut TxContext,
): Blob {
    let id = object::new(ctx);
    assert!(
        storage.start_epoch() <= current_epoch && current_epoch < storage.end_epoch(),
        EResourceBounds,
    );
    let encoded_size = encoding::encoded_blob_length(size, encoding_type, n_shards);
    assert!(encoded_size <= storage.size(), EResourceSize);
    assert!(derive_blob_id(root_hash, encoding_type, size) == blob_id, EInvalidBlobId);
    events::emit_blob_registered(
        current_epoch,
        blob_id,
        size,
        encoding_type,
        storage.end_epoch(),
        deletable,
        id.to_inner(),
    );
    Blob {
        id,
        registered_epoch: current_epoch,
        blob_id,
        size,
        encoding_type,
        certified_epoch: option::none(),
        storage,
        deletable,
    }
}

/// Certifies the blob with a verified certification message in `current_epoch` and emits
/// `BlobCertified`.
public(package) fun certify_with_certified_msg(
    self: &mut Blob,
    current_epoch: u32,
    message: CertifiedBlobMessage,
) {
    assert!(message.certified_blob_id() == self.blob_id, EInvalidBlobId);
    assert!(!self.is_certified(), EAlreadyCertified);
    assert!(current_epoch < self.storage.end_epoch(), EResourceBounds);
    let persistence = message.blob_persistence_type();
    assert!(persistence.is_deletable() == self.deletable, EInvalidBlobPersistenceType);
    if (self.deletable) {
        assert!(persistence.object_id() == self.id.to_inner(), EInvalidBlobObject);
    };
    self.certified_epoch.fill(current_epoch);
    self.emit_certified(false);
}

/// Aborts unless the blob is certified and `current_epoch` is before its end epoch.
public(package) fun assert_certified_not_expired(self: &Blob, current_epoch: u32) {
    assert!(self.is_certified(), ENotCertified);
    assert!(current_epoch < self.storage.end_epoch(), EResourceBounds);
}

/// Extends a certified, unexpired blob with `extension`, which must end later than the blob
/// (`EResourceBounds`), have the same size (`storage_resource::EIncompatibleAmount`) and start
/// at the blob's end epoch (`storage_resource::EIncompatibleEpochs`); emits `BlobCertified`
/// with `is_extension`.
public(package) fun extend_with_resource(self: &mut Blob, extension: Storage, current_epoch: u32) {
    self.assert_certified_not_expired(current_epoch);
    assert!(extension.end_epoch() > self.storage.end_epoch(), EResourceBounds);
    self.storage.fuse_periods(extension);
    self.emit_certified(true);
}

/// Moves the end epoch of a certified, unexpired blob later (payment is the caller's job)
/// and emits `BlobCertified` with `is_extension`.
public(package) fun extend_end_epoch(self: &mut Blob, extended_epochs: u32, current_epoch: u32) {
    self.assert_certified_not_expired(current_epoch);
    self.storage.extend_end_epoch(extended_epochs);
    self.emit_certified(true);
}

/// Deletes a deletable, unexpired blob in `current_epoch`, emits `BlobDeleted` and returns
/// its storage.
public(package) fun delete(mut self: Blob, current_epoch: u32): Storage {
    assert!(self.deletable, EBlobNotDeletable);
    assert!(current_epoch < self.storage.end_epoch(), EResourceBounds);
    if (dynamic_field::exists_(&self.id, METADATA_DF)) {
        let _: Metadata = dynamic_field::remove(&mut self.id, METADATA_DF);
    };
    let Blob { id, blob_id, storage, certified_epoch, .. } = self;
    events::emit_blob_deleted(
        current_epoch,
        blob_id,
        storage.end_epoch(),
        id.to_inner(),
        certified_epoch.is_some(),
    );
    id.delete();
    storage
}

// === Private functions ===

fun emit_certified(self: &Blob, is_extension: bool) {
    events::emit_blob_certified(
        *self.certified_epoch.borrow(),
        self.blob_id,
        self.storage.end_epoch(),
        self.deletable,
        self.id.to_inner(),
        is_extension,
    );
}

fun metadata_mut(self: &mut Blob): &mut Metadata {
    assert!(dynamic_field::exists_(&self.id, METADATA_DF), EMissingMetadata);
    dynamic_field::borrow_mut(&mut self.id, METADATA_DF)
}

// === Test-only ===

#[test_only]
/// A certification message body for this blob, as nodes would sign it.
public fun certification_message_for_testing(self: &Blob, epoch: u32): vector<u8> {
    let persistence = if (self.deletable) {
        walrus::messages::deletable(self.id.to_inner())
    } else {
        walrus::messages::permanent()
    };
    walrus::messages::certified_blob_message_bytes_for_testing(epoch, self.blob_id, persistence)
}
