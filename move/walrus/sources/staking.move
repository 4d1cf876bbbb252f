/// Staking for Walrus: the shared `Staking` object and every staking, node and epoch entry
/// point. The state lives in a versioned inner object (`staking_inner::StakingInnerV1`), a
/// dynamic field of `Staking` keyed by the version number; every call checks the version.
///
/// Timeline of an epoch E (t = when the previous epoch change was done, d = epoch duration):
/// ```
///   initiate_epoch_change   epoch_sync_done ... (quorum)   voting_end      initiate_epoch_change
///   E starts                EpochChangeDone(t)             t + d/2          t + d: E + 1 starts
/// ```
/// Stake added before `voting_end` counts (and earns) from E + 1, after it from E + 2.
module walrus::staking;

use std::string::String;
use sui::balance::Balance;
use sui::clock::Clock;
use sui::coin::{Self, Coin};
use sui::dynamic_field;
use wal::wal::{WAL, ProtectedTreasury};
use walrus::active_set::ActiveSet;
use walrus::auth::{Authenticated, Authorized};
use walrus::committee::Committee;
use walrus::epoch_parameters::EpochParams;
use walrus::node_metadata::NodeMetadata;
use walrus::staked_wal::StakedWal;
use walrus::staking_inner::{Self, StakingInnerV1, EpochState};
use walrus::staking_pool::StakingPool;
use walrus::storage_node::StorageNodeCap;
use walrus::system::System;

// === Errors ===

/// The migration to this package's version is not possible (already migrated, or no new
/// package id set by `upgrade::commit_upgrade`).
const EInvalidMigration: u64 = 0;
/// The `Staking` object's version does not match this package's version.
const EWrongVersion: u64 = 1;
/// The function is deprecated; call its successor (`initiate_epoch_change_v2`).
const EDeprecatedFunction: u64 = 2;

// === Constants ===

/// Version of the `Staking` object and of the inner state's dynamic field key (3, as the
/// package deployed on Walrus mainnet).
const VERSION: u64 = 3;
/// The dynamic-field key of the epoch from which an older object may be migrated.
const MIGRATION_EPOCH_KEY: vector<u8> = b"migration_epoch";

// === Object definitions ===

/// The shared staking object. The state is the dynamic field `VERSION` -> `StakingInnerV1`.
public struct Staking has key {
    id: UID,
    version: u64,
    /// The package this object belongs to (changed by `migrate` after an upgrade).
    package_id: ID,
    /// The package an upgrade committed to, until `migrate`.
    new_package_id: Option<ID>,
}

// === Creation ===

/// Creates and shares the `Staking` object of package `package_id` at epoch 0 (see
/// `staking_inner::new`); returns its id.
public(package) fun create(
    epoch_zero_duration: u64,
    epoch_duration: u64,
    n_shards: u16,
    package_id: ID,
    clock: &Clock,
    ctx: &mut TxContext,
): ID {
    let staking = new(epoch_zero_duration, epoch_duration, n_shards, package_id, clock, ctx);
    let id = object::id(&staking);
    transfer::share_object(staking);
    id
}

// === Nodes ===

/// Registers a storage node candidate and its staking pool. `public_key` is the 48-byte BLS
/// key, `proof_of_possession` its signature over (intent 0, version 0, app 3, current epoch,
/// sender, key); `network_public_key` has 33 bytes; name <= 100 bytes, address <= 259 bytes;
/// `commission_rate` <= 10_000 bps. Returns the operator's capability.
public fun register_candidate(
    staking: &mut Staking,
    name: String,
    network_address: String,
    metadata: NodeMetadata,
    public_key: vector<u8>,
    network_public_key: vector<u8>,
    proof_of_possession: vector<u8>,
    commission_rate: u16,
    storage_price: u64,
    write_price: u64,
    node_capacity: u64,
    ctx: &mut TxContext,
): StorageNodeCap {
    staking.inner_mut().register_candidate(
        name,
        network_address,
        metadata,
        public_key,
        network_public_key,
        proof_of_possession,
        commission_rate,
        storage_price,
        write_price,
        node_capacity,
        ctx,
    )
}

/// Schedules a new BLS key (with its proof of possession for the current epoch and sender).
public fun set_next_public_key(
    staking: &mut Staking,
    cap: &StorageNodeCap,
    public_key: vector<u8>,
    proof_of_possession: vector<u8>,
    ctx: &mut TxContext,
) {
    staking.inner_mut().set_next_public_key(cap, public_key, proof_of_possession, ctx)
}

/// Sets the node's name (<= 100 bytes).
public fun set_name(staking: &mut Staking, cap: &StorageNodeCap, name: String) {
    staking.inner_mut().set_name(cap, name)
}

/// Sets the node's network address (<= 259 bytes).
public fun set_network_address(staking: &mut Staking, cap: &StorageNodeCap, network_address: String) {
    staking.inner_mut().set_network_address(cap, network_address)
}

/// Sets the node's network public key (33 bytes).
public fun set_network_public_key(
    staking: &mut Staking,
    cap: &StorageNodeCap,
    network_public_key: vector<u8>,
) {
    staking.inner_mut().set_network_public_key(cap, network_public_key)
}

/// Sets the node's metadata.
public fun set_node_metadata(staking: &mut Staking, cap: &StorageNodeCap, metadata: NodeMetadata) {
    staking.inner_mut().set_node_metadata(cap, metadata)
}

/// Schedules a commission rate (bps, <= 10_000) for epoch E + 2.
public fun set_next_commission(staking: &mut Staking, cap: &StorageNodeCap, commission_rate: u16) {
    staking.inner_mut().set_next_commission(cap, commission_rate)
}

/// Sets the node's storage price vote (FROST per MiB encoded per epoch).
public fun set_storage_price_vote(staking: &mut Staking, cap: &StorageNodeCap, price: u64) {
    staking.inner_mut().set_storage_price_vote(cap, price)
}

/// Sets the node's write price vote (FROST per MiB encoded).
public fun set_write_price_vote(staking: &mut Staking, cap: &StorageNodeCap, price: u64) {
    staking.inner_mut().set_write_price_vote(cap, price)
}

/// Sets the node's capacity vote (encoded bytes).
public fun set_node_capacity_vote(staking: &mut Staking, cap: &StorageNodeCap, capacity: u64) {
    staking.inner_mut().set_node_capacity_vote(cap, capacity)
}

/// Collects the commission of `node_id`; `auth` must match its commission receiver (by
/// default the `StorageNodeCap`: `auth::authenticate_with_object(&cap)`).
public fun collect_commission(
    staking: &mut Staking,
    node_id: ID,
    auth: Authenticated,
    ctx: &mut TxContext,
): Coin<WAL> {
    coin::from_balance(staking.inner_mut().collect_commission(node_id, auth), ctx)
}

/// Changes the commission receiver of `node_id`; `auth` must match the current receiver.
public fun set_commission_receiver(
    staking: &mut Staking,
    node_id: ID,
    auth: Authenticated,
    receiver: Authorized,
) {
    staking.inner_mut().set_commission_receiver(node_id, auth, receiver)
}

/// Changes who may act for `node_id` in governance; `auth` must match the current holder.
public fun set_governance_authorized(
    staking: &mut Staking,
    node_id: ID,
    auth: Authenticated,
    authorized: Authorized,
) {
    staking.inner_mut().set_governance_authorized(node_id, auth, authorized)
}

/// Re-enters the node into the active set with its projected stake (e.g. after it was pushed
/// out by larger nodes and has gained stake since).
public fun try_join_active_set(staking: &mut Staking, cap: &StorageNodeCap) {
    staking.inner_mut().try_join_active_set(cap)
}

/// Adds `commissions[i]` to the commission of `node_ids[i]`'s pool; blocked for collection
/// until `voting_end` unless the next committee is already selected.
public fun add_commission_to_pools(
    staking: &mut Staking,
    node_ids: vector<ID>,
    commissions: vector<Balance<WAL>>,
) {
    staking.inner_mut().add_commission_to_pools(node_ids, commissions)
}

/// Burns the whole commission of `node_id`'s pool (slashing).
public(package) fun burn_commission(
    staking: &mut Staking,
    node_id: ID,
    treasury: &mut ProtectedTreasury,
    ctx: &mut TxContext,
) {
    let commission = staking.inner_mut().extract_commission_to_burn(node_id);
    wal::wal::burn(treasury, commission.into_coin(ctx));
}

/// Whether `auth` may act for `node_id` in governance (slashing votes).
public(package) fun check_governance_authorization(
    staking: &Staking,
    node_id: ID,
    auth: Authenticated,
): bool {
    staking.inner().check_governance_authorization(node_id, auth)
}

/// The shards `node_id` holds in the current committee (`ENotInCommittee` if none).
public(package) fun get_current_node_weight(staking: &Staking, node_id: ID): u16 {
    staking.inner().get_current_node_weight(node_id)
}

/// Whether `weight` shards are a quorum of the current committee.
public(package) fun is_quorum(staking: &Staking, weight: u16): bool {
    staking.inner().is_quorum(weight)
}

// === Delegation ===

/// Stakes `to_stake` (at least 1 WAL) with `node_id`.
public fun stake_with_pool(
    staking: &mut Staking,
    to_stake: Coin<WAL>,
    node_id: ID,
    ctx: &mut TxContext,
): StakedWal {
    staking.inner_mut().stake_with_pool(to_stake, node_id, ctx)
}

/// Requests the withdrawal of `staked_wal`; it becomes withdrawable at E + 1 or E + 2.
public fun request_withdraw_stake(
    staking: &mut Staking,
    staked_wal: &mut StakedWal,
    _ctx: &mut TxContext,
) {
    staking.inner_mut().request_withdraw_stake(staked_wal)
}

/// Withdraws `staked_wal`: principal plus rewards.
public fun withdraw_stake(
    staking: &mut Staking,
    staked_wal: StakedWal,
    ctx: &mut TxContext,
): Coin<WAL> {
    staking.inner_mut().withdraw_stake(staked_wal, ctx)
}

// === Epoch change ===

/// Selects the next committee (mid-epoch, time-gated). Emits `EpochParametersSelected`.
public fun voting_end(staking: &mut Staking, clock: &Clock) {
    staking.inner_mut().voting_end(clock)
}

/// Deprecated in Walrus mainnet (it could not burn): always aborts with `EDeprecatedFunction`.
public fun initiate_epoch_change(_staking: &mut Staking, _system: &mut System, _clock: &Clock) {
    abort EDeprecatedFunction
}

/// Starts the next epoch (time-gated): burns the burn share of the ending epoch's rewards with
/// `treasury`, then advances the System and the pools. Emits `EpochChangeStart` and
/// `PricesUpdated`.
public fun initiate_epoch_change_v2(
    staking: &mut Staking,
    system: &mut System,
    treasury: &mut ProtectedTreasury,
    clock: &Clock,
    ctx: &mut TxContext,
) {
    let burn = system.extract_burn_balance();
    if (burn.value() > 0) {
        treasury.burn(coin::from_balance(burn, ctx));
    } else {
        burn.destroy_zero();
    };
    staking.inner_mut().initiate_epoch_change(system, clock)
}

/// The node of `cap` finished syncing its shards for `epoch`. Emits `ShardsReceived` and, at
/// quorum, `EpochChangeDone`.
public fun epoch_sync_done(
    staking: &mut Staking,
    cap: &mut StorageNodeCap,
    epoch: u32,
    clock: &Clock,
) {
    staking.inner_mut().epoch_sync_done(cap, epoch, clock)
}

/// The committee the active set's current stakes would give (see
/// `staking_inner::compute_next_committee`); read-only.
public fun compute_next_committee(staking: &Staking): Committee {
    staking.inner().compute_next_committee()
}

/// Applies the current committee's price votes to the System. Emits `PricesUpdated`.
public fun update_prices(staking: &mut Staking, system: &mut System) {
    staking.inner().update_prices(system)
}

// === Views ===

/// The current epoch.
public fun epoch(staking: &Staking): u32 { staking.inner().epoch() }

/// The number of shards.
public fun n_shards(staking: &Staking): u16 { staking.inner().n_shards() }

/// The epoch duration in ms.
public fun epoch_duration(staking: &Staking): u64 { staking.inner().epoch_duration() }

/// The time from which epoch 0 may end.
public fun first_epoch_start(staking: &Staking): u64 { staking.inner().first_epoch_start() }

/// The current committee.
public fun committee(staking: &Staking): &Committee { staking.inner().committee() }

/// The previous committee.
public fun previous_committee(staking: &Staking): &Committee {
    staking.inner().previous_committee()
}

/// The next committee, once selected in this epoch.
public fun next_committee(staking: &Staking): &Option<Committee> {
    staking.inner().next_committee()
}

/// The next epoch's parameters, once selected.
public fun next_epoch_params(staking: &Staking): &Option<EpochParams> {
    staking.inner().next_epoch_params()
}

/// The epoch state.
public fun epoch_state(staking: &Staking): EpochState { staking.inner().epoch_state() }

/// The active set.
public fun active_set(staking: &Staking): &ActiveSet { staking.inner().active_set() }

/// Whether `node_id` is registered.
public fun has_pool(staking: &Staking, node_id: ID): bool { staking.inner().has_pool(node_id) }

/// The pool of `node_id`.
public fun pool(staking: &Staking, node_id: ID): &StakingPool { staking.inner().pool(node_id) }

/// The node's metadata.
public fun node_metadata(staking: &Staking, node_id: ID): NodeMetadata {
    staking.inner().pool(node_id).node_info().metadata()
}

/// The reward of `principal` staked with `node_id` from `activation_epoch` until
/// `withdraw_epoch` (read-only).
public fun calculate_rewards(
    staking: &Staking,
    node_id: ID,
    principal: u64,
    activation_epoch: u32,
    withdraw_epoch: u32,
): u64 {
    staking.inner().calculate_rewards(node_id, principal, activation_epoch, withdraw_epoch)
}

/// Whether `staked_wal` can be withdrawn directly, principal only.
public fun can_withdraw_staked_wal_early(staking: &Staking, staked_wal: &StakedWal): bool {
    staking.inner().can_withdraw_staked_wal_early(staked_wal)
}

/// The object version.
public fun version(staking: &Staking): u64 { staking.version }

// === Upgrades ===

/// The package this object belongs to.
public(package) fun package_id(staking: &Staking): ID { staking.package_id }

/// The package an upgrade committed to, until `migrate`.
public(package) fun new_package_id(staking: &Staking): Option<ID> { staking.new_package_id }

/// Records the package an upgrade committed to (`upgrade::commit_upgrade`).
public(package) fun set_new_package_id(staking: &mut Staking, new_package_id: ID) {
    staking.new_package_id = option::some(new_package_id);
}

/// Records, once, the epoch after the current one as the epoch from which an object of an
/// older version may be migrated (`EInvalidMigration` for an object of this version).
entry fun set_migration_epoch(staking: &mut Staking) {
    assert!(staking.version < VERSION, EInvalidMigration);
    if (dynamic_field::exists_(&staking.id, MIGRATION_EPOCH_KEY)) return;
    let migration_epoch = staking.inner_without_version_check().epoch() + 1;
    dynamic_field::add(&mut staking.id, MIGRATION_EPOCH_KEY, migration_epoch);
}

/// Moves the state to this package's version and the object to the new package
/// (`init::migrate_v2`); `EInvalidMigration` if the object is not older or no new package id
/// was set. (Version 3 does not wait for the migration epoch, as mainnet.)
public(package) fun migrate(staking: &mut Staking) {
    assert!(staking.version < VERSION, EInvalidMigration);
    assert!(VERSION == 3, EInvalidMigration);
    let inner: StakingInnerV1 = dynamic_field::remove(&mut staking.id, staking.version);
    dynamic_field::add(&mut staking.id, VERSION, inner);
    staking.version = VERSION;
    assert!(staking.new_package_id.is_some(), EInvalidMigration);
    staking.package_id = staking.new_package_id.extract();
}

// === Private functions ===

fun new(
    epoch_zero_duration: u64,
    epoch_duration: u64,
    n_shards: u16,
    package_id: ID,
    clock: &Clock,
    ctx: &mut TxContext,
): Staking {
    let mut staking = Staking {
        id: object::new(ctx),
        version: VERSION,
        package_id,
        new_package_id: option::none(),
    };
    let inner = staking_inner::new(epoch_zero_duration, epoch_duration, n_shards, clock, ctx);
    dynamic_field::add(&mut staking.id, VERSION, inner);
    staking
}

fun inner(staking: &Staking): &StakingInnerV1 {
    assert!(staking.version == VERSION, EWrongVersion);
    dynamic_field::borrow(&staking.id, VERSION)
}

fun inner_mut(staking: &mut Staking): &mut StakingInnerV1 {
    assert!(staking.version == VERSION, EWrongVersion);
    dynamic_field::borrow_mut(&mut staking.id, VERSION)
}

/// The state under the object's own version (for `set_migration_epoch` on an older object).
fun inner_without_version_check(staking: &Staking): &StakingInnerV1 {
    dynamic_field::borrow(&staking.id, staking.version)
}

// === Test-only ===

#[test_only]
/// A `Staking` (not shared) at epoch 0.
public fun new_for_testing(
    epoch_zero_duration: u64,
    epoch_duration: u64,
    n_shards: u16,
    clock: &Clock,
    ctx: &mut TxContext,
): Staking {
    new(epoch_zero_duration, epoch_duration, n_shards, @0x0.to_id(), clock, ctx)
}

#[test_only]
/// Sets the object version, to test the version check.
public fun set_version_for_testing(staking: &mut Staking, version: u64) {
    staking.version = version;
}

#[test_only]
/// Moves the state to the dynamic-field key `version` and sets the object version, as an
/// object of an older package version would be (to test `migrate`).
public fun downgrade_for_testing(staking: &mut Staking, version: u64) {
    let inner: StakingInnerV1 = dynamic_field::remove(&mut staking.id, staking.version);
    dynamic_field::add(&mut staking.id, version, inner);
    staking.version = version;
}

#[test_only]
/// The recorded migration epoch, if any.
public fun migration_epoch_for_testing(staking: &Staking): Option<u32> {
    if (dynamic_field::exists_(&staking.id, MIGRATION_EPOCH_KEY)) {
        option::some(*dynamic_field::borrow(&staking.id, MIGRATION_EPOCH_KEY))
    } else option::none()
}

#[test_only]
/// The state, mutably, for test set-ups.
public fun inner_mut_for_testing(staking: &mut Staking): &mut StakingInnerV1 {
    staking.inner_mut()
}

#[test_only]
public fun share_for_testing(staking: Staking) {
    transfer::share_object(staking)
}

#[test_only]
public fun destroy_for_testing(staking: Staking) {
    std::unit_test::destroy(staking)
}

#[test_only]
/// BCS of the state (`StakingInnerV1`), for the differential tests.
public fun inner_bcs_for_testing(staking: &Staking): vector<u8> { std::bcs::to_bytes(staking.inner()) }

#[test_only]
/// BCS of the next committee's keys (the value of their `ExtendedField`), for the differential
/// tests.
public fun next_epoch_public_keys_bcs_for_testing(staking: &Staking): vector<u8> {
    std::bcs::to_bytes(staking.inner().next_epoch_public_keys())
}
