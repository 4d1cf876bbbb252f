/// The Walrus system: the shared `System` object and every entry point of the blob lifecycle
/// (reserve, register, certify, extend, delete, invalidate). The state lives in a versioned
/// inner object (`system_state_inner::SystemStateInnerV1`), a dynamic field of `System` keyed
/// by the version number; every call checks the version first.
module walrus::system;

use sui::balance::Balance;
use sui::coin::Coin;
use sui::dynamic_field;
use sui::vec_map::VecMap;
use wal::wal::WAL;
use walrus::blob::Blob;
use walrus::bls_aggregate::BlsCommittee;
use walrus::epoch_parameters::EpochParams;
use walrus::storage_accounting::FutureAccountingRingBuffer;
use walrus::storage_node::StorageNodeCap;
use walrus::storage_pool::StoragePool;
use walrus::storage_resource::Storage;
use walrus::system_state_inner::{Self, SystemStateInnerV1};

// === Constants ===

/// Version of the `System` object and of the inner state's dynamic field key (3, as the
/// package deployed on Walrus mainnet).
const VERSION: u64 = 3;

// === Errors ===

/// The migration to this package's version is not possible (already migrated, or no new
/// package id set by `upgrade::commit_upgrade`).
const EInvalidMigration: u64 = 0;
/// The `System` object's version does not match this package's version.
const EWrongVersion: u64 = 1;
/// A capacity decrease would split off zero bytes.
const EZeroExtractSize: u64 = 2;

// === Object definitions ===

/// The shared system object. The state is the dynamic field `VERSION` -> `SystemStateInnerV1`.
public struct System has key {
    id: UID,
    version: u64,
    /// The package this object belongs to (changed by `migrate` after an upgrade).
    package_id: ID,
    /// The package an upgrade committed to, until `migrate`.
    new_package_id: Option<ID>,
}

// === Public-Package functions ===

/// Creates and shares an empty `System` of package `package_id` in epoch 0 (empty committee,
/// zero capacity and prices) with a future-accounting window of `max_epochs_ahead` epochs;
/// returns its id.
public(package) fun create_empty(max_epochs_ahead: u32, package_id: ID, ctx: &mut TxContext): ID {
    let system = new(max_epochs_ahead, package_id, ctx);
    let id = object::id(&system);
    transfer::share_object(system);
    id
}

/// Starts the next epoch with `new_committee` (see `system_state_inner::advance_epoch`) and
/// returns the ending epoch's rewards per node id of the old committee.
public(package) fun advance_epoch(
    self: &mut System,
    new_committee: BlsCommittee,
    new_epoch_params: &EpochParams,
): VecMap<ID, Balance<WAL>> {
    self.inner_mut().advance_epoch(new_committee, new_epoch_params)
}

/// Splits off the burn share (3%, rounded down) of the current epoch's rewards.
public(package) fun extract_burn_balance(self: &mut System): Balance<WAL> {
    self.inner_mut().extract_burn_balance()
}

/// Sets the storage and write prices per unit. Emits nothing: the caller emits
/// `PricesUpdated`.
public(package) fun set_prices(self: &mut System, storage_price: u64, write_price: u64) {
    self.inner_mut().set_prices(storage_price, write_price)
}

/// Sets the total capacity (encoded bytes per epoch).
public(package) fun set_total_capacity_size(self: &mut System, capacity: u64) {
    self.inner_mut().set_total_capacity_size(capacity)
}

// === Public functions: blob lifecycle ===

/// Reserves `storage_amount` encoded bytes for the current epoch and the next
/// `epochs_ahead - 1` epochs. Costs storage_price * ceil(storage_amount / 1 MiB) per epoch,
/// taken from `payment`; the rest stays in `payment`.
public fun reserve_space(
    self: &mut System,
    storage_amount: u64,
    epochs_ahead: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): Storage {
    self.inner_mut().reserve_space(storage_amount, epochs_ahead, payment, ctx)
}

/// Reserves `storage_amount` encoded bytes for [max(start_epoch, current), end_epoch).
public fun reserve_space_for_epochs(
    self: &mut System,
    storage_amount: u64,
    start_epoch: u32,
    end_epoch: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): Storage {
    self.inner_mut().reserve_space_for_epochs(storage_amount, start_epoch, end_epoch, payment, ctx)
}

/// Registers a blob using `storage`; charges write_price * ceil(encoded_size / 1 MiB) from
/// `write_payment`. Emits `BlobRegistered`.
public fun register_blob(
    self: &mut System,
    storage: Storage,
    blob_id: u256,
    root_hash: u256,
    size: u64,
    encoding_type: u8,
    deletable: bool,
    write_payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): Blob {
    self
        .inner_mut()
        .register_blob(
            storage,
            blob_id,
            root_hash,
            size,
            encoding_type,
            deletable,
            write_payment,
            ctx,
        )
}

/// Certifies `blob` with a quorum certificate (aggregate BLS `signature` of the members in
/// `signers_bitmap` over `message`) of the current committee. Emits `BlobCertified`.
public fun certify_blob(
    self: &System,
    blob: &mut Blob,
    signature: vector<u8>,
    signers_bitmap: vector<u8>,
    message: vector<u8>,
) {
    self.inner().certify_blob(blob, signature, signers_bitmap, message)
}

/// Deletes a deletable, unexpired blob and returns its storage. Emits `BlobDeleted`.
public fun delete_blob(self: &System, blob: Blob): Storage {
    self.inner().delete_blob(blob)
}

/// Extends a certified, unexpired blob by `extended_epochs`, paying the storage price for each
/// added epoch. Emits `BlobCertified` with `is_extension = true`.
public fun extend_blob(
    self: &mut System,
    blob: &mut Blob,
    extended_epochs: u32,
    payment: &mut Coin<WAL>,
) {
    self.inner_mut().extend_blob(blob, extended_epochs, payment)
}

/// Extends a certified, unexpired blob with `extension` (same size, starting at the blob's end
/// epoch). Emits `BlobCertified` with `is_extension = true`.
public fun extend_blob_with_resource(self: &System, blob: &mut Blob, extension: Storage) {
    self.inner().extend_blob_with_resource(blob, extension)
}

/// Marks a blob id invalid with a certificate of at least f+1 shards of the current
/// committee. Emits `InvalidBlobID` and returns the blob id.
public fun invalidate_blob_id(
    self: &System,
    signature: vector<u8>,
    members_bitmap: vector<u8>,
    message: vector<u8>,
): u256 {
    self.inner().invalidate_blob_id(signature, members_bitmap, message)
}

/// A storage node attests the event blob `blob_id` (see
/// `system_state_inner::certify_event_blob`); at a quorum of attestations the blob is
/// certified without payment.
public fun certify_event_blob(
    system: &mut System,
    cap: &mut StorageNodeCap,
    blob_id: u256,
    root_hash: u256,
    size: u64,
    encoding_type: u8,
    ending_checkpoint_sequence_num: u64,
    epoch: u32,
    ctx: &mut TxContext,
) {
    system
        .inner_mut()
        .certify_event_blob(
            cap,
            blob_id,
            root_hash,
            size,
            encoding_type,
            ending_checkpoint_sequence_num,
            epoch,
            ctx,
        )
}

/// Announces a new deny list of the node of `cap` (see
/// `system_state_inner::register_deny_list_update`). Emits `RegisterDenyListUpdate`.
public fun register_deny_list_update(
    self: &mut System,
    cap: &StorageNodeCap,
    deny_list_root: u256,
    deny_list_sequence: u64,
) {
    self.inner_mut().register_deny_list_update(cap, deny_list_root, deny_list_sequence)
}

/// Applies a quorum-certified deny list update of the node of `cap` (see
/// `system_state_inner::update_deny_list`). Emits `DenyListUpdate`.
public fun update_deny_list(
    self: &mut System,
    cap: &mut StorageNodeCap,
    signature: vector<u8>,
    members_bitmap: vector<u8>,
    message: vector<u8>,
) {
    self.inner_mut().update_deny_list(cap, signature, members_bitmap, message)
}

/// Marks a deny-listed blob for deletion with an f+1 certificate. Emits `DenyListBlobDeleted`.
public fun delete_deny_listed_blob(
    self: &System,
    signature: vector<u8>,
    members_bitmap: vector<u8>,
    message: vector<u8>,
) {
    self.inner().delete_deny_listed_blob(signature, members_bitmap, message)
}

/// Announces the protocol version a quorum of the committee certified (see
/// `system_state_inner::update_protocol_version`). Emits `ProtocolVersionUpdated`.
public fun update_protocol_version(
    self: &mut System,
    cap: &StorageNodeCap,
    signature: vector<u8>,
    members_bitmap: vector<u8>,
    message: vector<u8>,
) {
    self.inner().update_protocol_version(cap, signature, members_bitmap, message)
}

/// Adds `subsidy` to the rewards of the current and next `epochs_ahead - 1` epochs.
public fun add_subsidy(self: &mut System, subsidy: Coin<WAL>, epochs_ahead: u32) {
    self.inner_mut().add_subsidy(subsidy, epochs_ahead)
}

/// Adds `subsidies[i]` to the rewards of epoch E + i (at most `max_epochs_ahead` of them).
public fun add_per_epoch_subsidies(self: &mut System, subsidies: vector<Balance<WAL>>) {
    self.inner_mut().add_per_epoch_subsidies(subsidies)
}

// === Public functions: storage pools ===

/// Reserves `reserved_encoded_capacity_bytes` for the current and next `epochs_ahead - 1`
/// epochs, paid from `payment`, as a new pool. Emits `StoragePoolCreated`.
public fun create_storage_pool(
    self: &mut System,
    reserved_encoded_capacity_bytes: u64,
    epochs_ahead: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): StoragePool {
    self
        .inner_mut()
        .create_storage_pool(reserved_encoded_capacity_bytes, epochs_ahead, payment, ctx)
}

/// Makes `storage` (started, not expired, non-empty) a new pool. Emits `StoragePoolCreated`.
public fun create_storage_pool_with_storage(
    self: &System,
    storage: Storage,
    ctx: &mut TxContext,
): StoragePool {
    self.inner().create_storage_pool_with_storage(storage, ctx)
}

/// Registers a blob against `storage_pool`, which must have room for its encoded size, paying
/// the write price. Emits `PooledBlobRegistered`.
public fun register_pooled_blob(
    self: &mut System,
    storage_pool: &mut StoragePool,
    blob_id: u256,
    root_hash: u256,
    unencoded_size: u64,
    encoding_type: u8,
    deletable: bool,
    write_payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
) {
    self
        .inner_mut()
        .register_pooled_blob(
            storage_pool,
            blob_id,
            root_hash,
            unencoded_size,
            encoding_type,
            deletable,
            write_payment,
            ctx,
        )
}

/// Deletes a deletable pooled blob of an unexpired pool, freeing its bytes in the pool. Emits
/// `PooledBlobDeleted`.
public fun delete_pooled_blob(self: &System, storage_pool: &mut StoragePool, blob_id: u256) {
    self.inner().delete_pooled_blob(storage_pool, blob_id)
}

/// Destroys a pooled blob of an expired pool, deletable or not (no event).
public fun burn_expired_pooled_blob(self: &System, storage_pool: &mut StoragePool, blob_id: u256) {
    self.inner().burn_expired_pooled_blob(storage_pool, blob_id)
}

/// Extends an unexpired pool by `extended_epochs`, paying its whole capacity for each added
/// epoch. Emits `StoragePoolExtended`.
public fun extend_storage_pool(
    self: &mut System,
    storage_pool: &mut StoragePool,
    extended_epochs: u32,
    payment: &mut Coin<WAL>,
) {
    self.inner_mut().extend_storage_pool(storage_pool, extended_epochs, payment)
}

/// Adds `additional_encoded_capacity_bytes` to an unexpired pool, paid from now to its end.
public fun increase_storage_pool_capacity(
    self: &mut System,
    storage_pool: &mut StoragePool,
    additional_encoded_capacity_bytes: u64,
    payment: &mut Coin<WAL>,
) {
    self
        .inner_mut()
        .increase_storage_pool_capacity(storage_pool, additional_encoded_capacity_bytes, payment)
}

/// Absorbs `storage` (started, same end epoch) into an unexpired pool.
public fun increase_storage_pool_capacity_with_storage(
    self: &System,
    storage_pool: &mut StoragePool,
    storage: Storage,
) {
    self.inner().increase_storage_pool_capacity_with_storage(storage_pool, storage)
}

/// Splits `size` unused bytes off an unexpired pool as a `Storage` for the pool's period;
/// `EZeroExtractSize` when `size` is zero.
public fun decrease_storage_pool_capacity_by_size(
    self: &System,
    storage_pool: &mut StoragePool,
    size: u64,
    ctx: &mut TxContext,
): Storage {
    let extracted = self.inner().decrease_storage_pool_capacity_by_size(storage_pool, size, ctx);
    assert!(extracted.is_some(), EZeroExtractSize);
    extracted.destroy_some()
}

/// Splits `percent` (0..=100) of an unexpired pool's unused bytes, rounded down, off as a
/// `Storage`; `EZeroExtractSize` when that is zero.
public fun decrease_storage_pool_unused_capacity_by_percent(
    self: &System,
    storage_pool: &mut StoragePool,
    percent: u8,
    ctx: &mut TxContext,
): Storage {
    let extracted = self
        .inner()
        .decrease_storage_pool_unused_capacity_by_percent(storage_pool, percent, ctx);
    assert!(extracted.is_some(), EZeroExtractSize);
    extracted.destroy_some()
}

/// Certifies the pooled blob `blob_id` with a quorum certificate of the current committee.
/// Emits `PooledBlobCertified`.
public fun certify_pooled_blob(
    self: &System,
    storage_pool: &mut StoragePool,
    blob_id: u256,
    signature: vector<u8>,
    signers_bitmap: vector<u8>,
    message: vector<u8>,
) {
    self.inner().certify_pooled_blob(storage_pool, blob_id, signature, signers_bitmap, message)
}

// === Accessors ===

/// The current Walrus epoch.
public fun epoch(self: &System): u32 { self.inner().epoch() }

/// The current committee.
public fun committee(self: &System): &BlsCommittee { self.inner().committee() }

/// The number of shards of the current committee.
public fun n_shards(self: &System): u16 { self.inner().n_shards() }

/// Maximum encoded bytes reservable per epoch.
public fun total_capacity_size(self: &System): u64 { self.inner().total_capacity_size() }

/// Encoded bytes reserved for the current epoch.
public fun used_capacity_size(self: &System): u64 { self.inner().used_capacity_size() }

/// FROST per 1 MiB encoded unit per epoch.
public fun storage_price_per_unit_size(self: &System): u64 {
    self.inner().storage_price_per_unit_size()
}

/// FROST per 1 MiB encoded unit, once at registration.
public fun write_price_per_unit_size(self: &System): u64 {
    self.inner().write_price_per_unit_size()
}

/// How many epochs ahead storage can be reserved (the accounting window).
public fun max_epochs_ahead(self: &System): u32 { self.inner().max_epochs_ahead() }

/// Encoded bytes reserved for epoch current + `epochs_in_future`.
public fun used_capacity_at(self: &System, epochs_in_future: u32): u64 {
    self.inner().used_capacity_at(epochs_in_future)
}

/// FROST earmarked as rewards for epoch current + `epochs_in_future`.
public fun rewards_at(self: &System, epochs_in_future: u32): u64 {
    self.inner().rewards_at(epochs_in_future)
}

/// The object version.
public fun version(self: &System): u64 { self.version }

/// The storage accounting of the current and the next `max_epochs_ahead - 1` epochs.
public fun future_accounting(self: &System): &FutureAccountingRingBuffer {
    self.inner().future_accounting()
}

// === Upgrades ===

/// The package this object belongs to.
public(package) fun package_id(self: &System): ID { self.package_id }

/// The package an upgrade committed to, until `migrate`.
public(package) fun new_package_id(self: &System): Option<ID> { self.new_package_id }

/// Records the package an upgrade committed to (`upgrade::commit_upgrade`).
public(package) fun set_new_package_id(self: &mut System, new_package_id: ID) {
    self.new_package_id = option::some(new_package_id);
}

/// Moves the state to this package's version and the object to the new package
/// (`init::migrate_v2`); `EInvalidMigration` if the object is not older or no new package id
/// was set.
public(package) fun migrate(self: &mut System) {
    assert!(self.version < VERSION, EInvalidMigration);
    assert!(VERSION == 3, EInvalidMigration);
    let inner: SystemStateInnerV1 = dynamic_field::remove(&mut self.id, self.version);
    dynamic_field::add(&mut self.id, VERSION, inner);
    self.version = VERSION;
    assert!(self.new_package_id.is_some(), EInvalidMigration);
    self.package_id = self.new_package_id.extract();
}

// === Private functions ===

fun new(max_epochs_ahead: u32, package_id: ID, ctx: &mut TxContext): System {
    let mut system = System {
        id: object::new(ctx),
        version: VERSION,
        package_id,
        new_package_id: option::none(),
    };
    let inner = system_state_inner::create_empty(max_epochs_ahead, ctx);
    dynamic_field::add(&mut system.id, VERSION, inner);
    system
}

fun inner(self: &System): &SystemStateInnerV1 {
    assert!(self.version == VERSION, EWrongVersion);
    dynamic_field::borrow(&self.id, VERSION)
}

fun inner_mut(self: &mut System): &mut SystemStateInnerV1 {
    assert!(self.version == VERSION, EWrongVersion);
    dynamic_field::borrow_mut(&mut self.id, VERSION)
}

// === Test-only ===

#[test_only]
/// A `System` (not shared) in `committee`'s epoch with the given capacity and prices.
public fun new_for_testing(
    committee: BlsCommittee,
    max_epochs_ahead: u32,
    total_capacity: u64,
    storage_price: u64,
    write_price: u64,
    ctx: &mut TxContext,
): System {
    let mut system = new(max_epochs_ahead, @0x0.to_id(), ctx);
    let inner = system.inner_mut();
    inner.set_committee_for_testing(committee);
    inner.set_total_capacity_size(total_capacity);
    inner.set_prices(storage_price, write_price);
    system
}

#[test_only]
/// Replaces the committee (and so the epoch) without any accounting, for tests.
public fun set_committee_for_testing(self: &mut System, committee: BlsCommittee) {
    self.inner_mut().set_committee_for_testing(committee)
}

#[test_only]
/// Sets the object version, to test the version check.
public fun set_version_for_testing(self: &mut System, version: u64) {
    self.version = version;
}

#[test_only]
/// Moves the state to the dynamic-field key `version` and sets the object version, as an
/// object of an older package version would be (to test `migrate`).
public fun downgrade_for_testing(self: &mut System, version: u64) {
    let inner: SystemStateInnerV1 = dynamic_field::remove(&mut self.id, self.version);
    dynamic_field::add(&mut self.id, version, inner);
    self.version = version;
}

#[test_only]
/// BCS of the state (`SystemStateInnerV1`), for the differential tests.
public fun inner_bcs_for_testing(self: &System): vector<u8> { std::bcs::to_bytes(self.inner()) }

#[test_only]
public fun share_for_testing(self: System) {
    transfer::share_object(self)
}

#[test_only]
public fun destroy_for_testing(self: System) {
    std::unit_test::destroy(self)
}
