/// Every event of the walrus package. Field order and types are part of the wire format
/// (indexers and the Rust twins decode them by BCS); never reorder or retype a field.
module walrus::events;

use sui::event;

// === Event definitions ===

/// A blob was registered (`system::register_blob`).
public struct BlobRegistered has copy, drop {
    epoch: u32,
    blob_id: u256,
    size: u64,
    encoding_type: u8,
    end_epoch: u32,
    deletable: bool,
    object_id: ID,
}

/// A blob was certified, or a certified blob's lifetime was extended (`is_extension`). `epoch`
/// is the epoch of the first certification, also for extensions.
public struct BlobCertified has copy, drop {
    epoch: u32,
    blob_id: u256,
    end_epoch: u32,
    deletable: bool,
    object_id: ID,
    is_extension: bool,
}

/// A deletable blob was deleted (`system::delete_blob`).
public struct BlobDeleted has copy, drop {
    epoch: u32,
    blob_id: u256,
    end_epoch: u32,
    object_id: ID,
    was_certified: bool,
}

/// A blob id was marked invalid by an f+1 certificate (`system::invalidate_blob_id`).
public struct InvalidBlobID has copy, drop {
    epoch: u32,
    blob_id: u256,
}

/// The epoch change to `epoch` started.
public struct EpochChangeStart has copy, drop {
    epoch: u32,
}

/// A quorum of the committee of `epoch` finished receiving their shards.
public struct EpochChangeDone has copy, drop {
    epoch: u32,
}

/// A node reported that it received `shards` in `epoch`.
public struct ShardsReceived has copy, drop {
    epoch: u32,
    shards: vector<u16>,
}

/// The committee and parameters of `next_epoch` were selected.
public struct EpochParametersSelected has copy, drop {
    next_epoch: u32,
}

/// The given shards can be recovered through the shard recovery endpoint. Declared as in
/// Walrus mainnet, which defines but never emits it (so readers can decode it).
public struct ShardRecoveryStart has copy, drop {
    epoch: u32,
    shards: vector<u16>,
}

/// A node announced a new deny list (root and sequence number) for the others to certify.
public struct RegisterDenyListUpdate has copy, drop {
    epoch: u32,
    root: u256,
    sequence_number: u64,
    node_id: ID,
}

/// A node's deny list update was certified and applied.
public struct DenyListUpdate has copy, drop {
    epoch: u32,
    root: u256,
    sequence_number: u64,
    node_id: ID,
}

/// A deny-listed blob is to be deleted by the nodes.
public struct DenyListBlobDeleted has copy, drop {
    epoch: u32,
    blob_id: u256,
}

/// A quorum of the committee announced that `protocol_version` takes effect at `start_epoch`
/// (certified in `epoch`).
public struct ProtocolVersionUpdated has copy, drop {
    epoch: u32,
    start_epoch: u32,
    protocol_version: u64,
}

/// The contract was upgraded and the `System` and `Staking` objects migrated to `package_id`
/// at `version` (`init::migrate_v2`).
public struct ContractUpgraded has copy, drop {
    epoch: u32,
    package_id: ID,
    version: u64,
}

/// A new proposal to upgrade to the package with this digest (`upgrade::vote_for_upgrade`).
public struct ContractUpgradeProposed has copy, drop {
    epoch: u32,
    package_digest: vector<u8>,
}

/// An upgrade proposal reached a quorum of votes.
public struct ContractUpgradeQuorumReached has copy, drop {
    epoch: u32,
    package_digest: vector<u8>,
}

/// The storage and write prices changed in `epoch`.
public struct PricesUpdated has copy, drop {
    epoch: u32,
    storage_price: u64,
    write_price: u64,
}

/// A storage pool was created (`system::create_storage_pool*`) for `[start_epoch, end_epoch)`.
public struct StoragePoolCreated has copy, drop {
    epoch: u32,
    storage_pool_id: ID,
    reserved_encoded_capacity_bytes: u64,
    start_epoch: u32,
    end_epoch: u32,
}

/// A blob was registered against a storage pool (`system::register_pooled_blob`).
public struct PooledBlobRegistered has copy, drop {
    epoch: u32,
    blob_id: u256,
    unencoded_size: u64,
    encoding_type: u8,
    deletable: bool,
    object_id: ID,
    storage_pool_id: ID,
}

/// A pooled blob was certified (`system::certify_pooled_blob`).
public struct PooledBlobCertified has copy, drop {
    epoch: u32,
    blob_id: u256,
    deletable: bool,
    object_id: ID,
    storage_pool_id: ID,
}

/// A deletable pooled blob was deleted (`system::delete_pooled_blob`).
public struct PooledBlobDeleted has copy, drop {
    epoch: u32,
    blob_id: u256,
    object_id: ID,
    was_certified: bool,
    storage_pool_id: ID,
}

/// A storage pool now ends at `new_end_epoch` (`system::extend_storage_pool`).
public struct StoragePoolExtended has copy, drop {
    epoch: u32,
    storage_pool_id: ID,
    new_end_epoch: u32,
}

// === Public-Package functions ===

public(package) fun emit_blob_registered(
    epoch: u32,
    blob_id: u256,
    size: u64,
    encoding_type: u8,
    end_epoch: u32,
    deletable: bool,
    object_id: ID,
) {
    event::emit(BlobRegistered {
        epoch,
        blob_id,
        size,
        encoding_type,
        end_epoch,
        deletable,
        object_id,
    });
}

public(package) fun emit_blob_certified(
    epoch: u32,
    blob_id: u256,
    end_epoch: u32,
    deletable: bool,
    object_id: ID,
    is_extension: bool,
) {
    event::emit(BlobCertified { epoch, blob_id, end_epoch, deletable, object_id, is_extension });
}

public(package) fun emit_blob_deleted(
    epoch: u32,
    blob_id: u256,
    end_epoch: u32,
    object_id: ID,
    was_certified: bool,
) {
    event::emit(BlobDeleted { epoch, blob_id, end_epoch, object_id, was_certified });
}

public(package) fun emit_invalid_blob_id(epoch: u32, blob_id: u256) {
    event::emit(InvalidBlobID { epoch, blob_id });
}

public(package) fun emit_epoch_change_start(epoch: u32) {
    event::emit(EpochChangeStart { epoch });
}

public(package) fun emit_epoch_change_done(epoch: u32) {
    event::emit(EpochChangeDone { epoch });
}

public(package) fun emit_shards_received(epoch: u32, shards: vector<u16>) {
    event::emit(ShardsReceived { epoch, shards });
}

public(package) fun emit_epoch_parameters_selected(next_epoch: u32) {
    event::emit(EpochParametersSelected { next_epoch });
}

public(package) fun emit_shard_recovery_start(epoch: u32, shards: vector<u16>) {
    event::emit(ShardRecoveryStart { epoch, shards })
}

public(package) fun emit_register_deny_list_update(
    epoch: u32,
    root: u256,
    sequence_number: u64,
    node_id: ID,
) {
    event::emit(RegisterDenyListUpdate { epoch, root, sequence_number, node_id })
}

public(package) fun emit_deny_list_update(
    epoch: u32,
    root: u256,
    sequence_number: u64,
    node_id: ID,
) {
    event::emit(DenyListUpdate { epoch, root, sequence_number, node_id })
}

public(package) fun emit_deny_listed_blob_deleted(epoch: u32, blob_id: u256) {
    event::emit(DenyListBlobDeleted { epoch, blob_id })
}

public(package) fun emit_protocol_version(epoch: u32, start_epoch: u32, protocol_version: u64) {
    event::emit(ProtocolVersionUpdated { epoch, start_epoch, protocol_version })
}

public(package) fun emit_prices_updated(epoch: u32, storage_price: u64, write_price: u64) {
    event::emit(PricesUpdated { epoch, storage_price, write_price });
}

public(package) fun emit_contract_upgraded(epoch: u32, package_id: ID, version: u64) {
    event::emit(ContractUpgraded { epoch, package_id, version })
}

public(package) fun emit_contract_upgrade_proposed(epoch: u32, package_digest: vector<u8>) {
    event::emit(ContractUpgradeProposed { epoch, package_digest })
}

public(package) fun emit_contract_upgrade_quorum_reached(epoch: u32, package_digest: vector<u8>) {
    event::emit(ContractUpgradeQuorumReached { epoch, package_digest })
}

public(package) fun emit_storage_pool_created(
    epoch: u32,
    storage_pool_id: ID,
    reserved_encoded_capacity_bytes: u64,
    start_epoch: u32,
    end_epoch: u32,
) {
    event::emit(StoragePoolCreated {
        epoch,
        storage_pool_id,
        reserved_encoded_capacity_bytes,
        start_epoch,
        end_epoch,
    })
}

public(package) fun emit_pooled_blob_registered(
    epoch: u32,
    blob_id: u256,
    unencoded_size: u64,
    encoding_type: u8,
    deletable: bool,
    object_id: ID,
    storage_pool_id: ID,
) {
    event::emit(PooledBlobRegistered {
        epoch,
        blob_id,
        unencoded_size,
        encoding_type,
        deletable,
        object_id,
        storage_pool_id,
    })
}

public(package) fun emit_pooled_blob_certified(
    epoch: u32,
    blob_id: u256,
    deletable: bool,
    object_id: ID,
    storage_pool_id: ID,
) {
    event::emit(PooledBlobCertified { epoch, blob_id, deletable, object_id, storage_pool_id })
}

public(package) fun emit_pooled_blob_deleted(
    epoch: u32,
    blob_id: u256,
    object_id: ID,
    was_certified: bool,
    storage_pool_id: ID,
) {
    event::emit(PooledBlobDeleted { epoch, blob_id, object_id, was_certified, storage_pool_id })
}

public(package) fun emit_storage_pool_extended(epoch: u32, storage_pool_id: ID, new_end_epoch: u32) {
    event::emit(StoragePoolExtended { epoch, storage_pool_id, new_end_epoch })
}

// === Test-only constructors ===

#[test_only]
public fun blob_registered(
    epoch: u32,
    blob_id: u256,
    size: u64,
    encoding_type: u8,
    end_epoch: u32,
    deletable: bool,
    object_id: ID,
): BlobRegistered {
    BlobRegistered { epoch, blob_id, size, encoding_type, end_epoch, deletable, object_id }
}

#[test_only]
public fun blob_certified(
    epoch: u32,
    blob_id: u256,
    end_epoch: u32,
    deletable: bool,
    object_id: ID,
    is_extension: bool,
): BlobCertified {
    BlobCertified { epoch, blob_id, end_epoch, deletable, object_id, is_extension }
}

#[test_only]
public fun blob_deleted(
    epoch: u32,
    blob_id: u256,
    end_epoch: u32,
    object_id: ID,
    was_certified: bool,
): BlobDeleted {
    BlobDeleted { epoch, blob_id, end_epoch, object_id, was_certified }
}

#[test_only]
public fun invalid_blob_id(epoch: u32, blob_id: u256): InvalidBlobID {
    InvalidBlobID { epoch, blob_id }
}

#[test_only]
public fun register_deny_list_update(
    epoch: u32,
    root: u256,
    sequence_number: u64,
    node_id: ID,
): RegisterDenyListUpdate {
    RegisterDenyListUpdate { epoch, root, sequence_number, node_id }
}

#[test_only]
public fun deny_list_update(
    epoch: u32,
    root: u256,
    sequence_number: u64,
    node_id: ID,
): DenyListUpdate {
    DenyListUpdate { epoch, root, sequence_number, node_id }
}

#[test_only]
public fun deny_list_blob_deleted(epoch: u32, blob_id: u256): DenyListBlobDeleted {
    DenyListBlobDeleted { epoch, blob_id }
}

#[test_only]
public fun protocol_version_updated(
    epoch: u32,
    start_epoch: u32,
    protocol_version: u64,
): ProtocolVersionUpdated {
    ProtocolVersionUpdated { epoch, start_epoch, protocol_version }
}

#[test_only]
public fun epoch_change_start(epoch: u32): EpochChangeStart { EpochChangeStart { epoch } }

#[test_only]
public fun epoch_change_done(epoch: u32): EpochChangeDone { EpochChangeDone { epoch } }

#[test_only]
public fun shards_received(epoch: u32, shards: vector<u16>): ShardsReceived {
    ShardsReceived { epoch, shards }
}

#[test_only]
public fun epoch_parameters_selected(next_epoch: u32): EpochParametersSelected {
    EpochParametersSelected { next_epoch }
}

#[test_only]
public fun prices_updated(epoch: u32, storage_price: u64, write_price: u64): PricesUpdated {
    PricesUpdated { epoch, storage_price, write_price }
}

#[test_only]
public fun storage_pool_created(
    epoch: u32,
    storage_pool_id: ID,
    reserved_encoded_capacity_bytes: u64,
    start_epoch: u32,
    end_epoch: u32,
): StoragePoolCreated {
    StoragePoolCreated { epoch, storage_pool_id, reserved_encoded_capacity_bytes, start_epoch, end_epoch }
}

#[test_only]
public fun pooled_blob_registered(
    epoch: u32,
    blob_id: u256,
    unencoded_size: u64,
    encoding_type: u8,
    deletable: bool,
    object_id: ID,
    storage_pool_id: ID,
): PooledBlobRegistered {
    PooledBlobRegistered {
        epoch,
        blob_id,
        unencoded_size,
        encoding_type,
        deletable,
        object_id,
        storage_pool_id,
    }
}

#[test_only]
public fun pooled_blob_certified(
    epoch: u32,
    blob_id: u256,
    deletable: bool,
    object_id: ID,
    storage_pool_id: ID,
): PooledBlobCertified {
    PooledBlobCertified { epoch, blob_id, deletable, object_id, storage_pool_id }
}

#[test_only]
public fun pooled_blob_deleted(
    epoch: u32,
    blob_id: u256,
    object_id: ID,
    was_certified: bool,
    storage_pool_id: ID,
): PooledBlobDeleted {
    PooledBlobDeleted { epoch, blob_id, object_id, was_certified, storage_pool_id }
}

#[test_only]
public fun storage_pool_extended(
    epoch: u32,
    storage_pool_id: ID,
    new_end_epoch: u32,
): StoragePoolExtended {
    StoragePoolExtended { epoch, storage_pool_id, new_end_epoch }
}

#[test_only]
public fun contract_upgraded(epoch: u32, package_id: ID, version: u64): ContractUpgraded {
    ContractUpgraded { epoch, package_id, version }
}

#[test_only]
public fun contract_upgrade_proposed(epoch: u32, package_digest: vector<u8>): ContractUpgradeProposed {
    ContractUpgradeProposed { epoch, package_digest }
}

#[test_only]
public fun contract_upgrade_quorum_reached(
    epoch: u32,
    package_digest: vector<u8>,
): ContractUpgradeQuorumReached {
    ContractUpgradeQuorumReached { epoch, package_digest }
}
