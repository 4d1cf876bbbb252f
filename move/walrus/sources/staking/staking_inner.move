/// The staking state (version 1): pools, the active set, committees and the epoch state
/// machine. `walrus::staking` wraps it in the shared `Staking` object.
///
/// Epoch timeline (t = time of the last `EpochChangeDone`, d = epoch duration):
/// `initiate_epoch_change` (E starts, state `EpochChangeSync(0)`) -> nodes call
/// `epoch_sync_done` until the synced weight reaches a quorum (state `EpochChangeDone(t)`) ->
/// at t + d/2 `voting_end` selects the committee for E + 1 (state `NextParamsSelected(t)`) ->
/// at t + d `initiate_epoch_change` starts E + 1. In epoch 0 both `voting_end` and
/// `initiate_epoch_change` wait for `first_epoch_start` instead.
module walrus::staking_inner;

use std::string::String;
use sui::balance::{Self, Balance};
use sui::bls12381::UncompressedG1;
use sui::clock::Clock;
use sui::coin::{Self, Coin};
use sui::group_ops::Element;
use sui::object_table::{Self, ObjectTable};
use sui::vec_map::{Self, VecMap};
use wal::wal::WAL;
use walrus::active_set::{Self, ActiveSet};
use walrus::apportionment;
use walrus::auth::{Self, Authenticated, Authorized};
use walrus::bls_aggregate::{Self, BlsCommittee};
use walrus::committee::{Self, Committee};
use walrus::epoch_parameters::{Self, EpochParams};
use walrus::events;
use walrus::extended_field::{Self, ExtendedField};
use walrus::node_metadata::NodeMetadata;
use walrus::staked_wal::StakedWal;
use walrus::staking_pool::{Self, StakingPool};
use walrus::storage_node::{Self, StorageNodeCap};
use walrus::system::System;
use walrus::walrus_context::{Self, WalrusContext};
use walrus::weighted_quantile;

// === Errors (numbered as in Walrus mainnet; EInvalidParameters is ours) ===

/// The call is not allowed in the current epoch state, or not yet (the clock has not reached
/// the time the call waits for).
const EWrongEpochState: u64 = 0;
/// `epoch_sync_done` for an epoch other than the current one.
const EInvalidSyncEpoch: u64 = 1;
/// The node already reported sync done for this epoch.
const EDuplicateSyncDone: u64 = 2;
/// No stake in the active set: no committee can be selected.
const ENoStake: u64 = 3;
/// The node is not in the current committee.
const ENotInCommittee: u64 = 4;
/// The next committee is already selected.
const ECommitteeSelected: u64 = 5;
/// No next committee has been selected (`voting_end` has not run in this epoch).
const ENextCommitteeIsEmpty: u64 = 6;
/// A node holds more shards than a `u16` counts.
const EInvalidNodeWeight: u64 = 7;
/// No pool is registered under this node id.
const EPoolNotFound: u64 = 8;
/// A member of the selected committee has no shards.
const EZeroNodeWeight: u64 = 9;
/// The keys recorded at the selection are not the committee's nodes, in order.
const EIncorrectNodeOrder: u64 = 10;
/// `n_shards` and the epoch duration must be positive.
const EInvalidParameters: u64 = 11;

// === Constants ===

/// Maximal number of nodes in the active set (mainnet's `TEMP_ACTIVE_SET_SIZE_LIMIT`).
const ACTIVE_SET_SIZE_LIMIT: u16 = 111;
/// The least stake a node needs to be in the active set (none, as in Walrus mainnet).
const MIN_STAKE: u64 = 0;

// === Object definitions ===

/// Where the current epoch is in its life cycle.
public enum EpochState has copy, drop, store {
    /// Epoch change started; the weight of the nodes that finished syncing so far.
    EpochChangeSync(u16),
    /// Epoch change done at this time (ms).
    EpochChangeDone(u64),
    /// The next committee and parameters are selected; the epoch change was done at this time.
    NextParamsSelected(u64),
}

/// The staking state.
public struct StakingInnerV1 has store {
    /// Total number of shards (fixed).
    n_shards: u16,
    /// Epoch duration in ms.
    epoch_duration: u64,
    /// Time (ms) from which epoch 0 may end.
    first_epoch_start: u64,
    /// Node id -> pool.
    pools: ObjectTable<ID, StakingPool>,
    /// The current epoch.
    epoch: u32,
    /// Candidates for the next committee.
    active_set: ExtendedField<ActiveSet>,
    /// The committee of the next epoch, once selected.
    next_committee: Option<Committee>,
    /// The current committee.
    committee: Committee,
    /// The committee of the previous epoch.
    previous_committee: Committee,
    /// The parameters of the next epoch, once selected.
    next_epoch_params: Option<EpochParams>,
    /// Where the epoch is in its life cycle.
    epoch_state: EpochState,
    /// The BLS keys of the next committee, fixed at selection.
    next_epoch_public_keys: ExtendedField<VecMap<ID, Element<UncompressedG1>>>,
}

// === Constructor ===

/// The state at epoch 0: no pools, empty committees, epoch change done now, and epoch 1 may
/// start `epoch_zero_duration` ms from now.
public(package) fun new(
    epoch_zero_duration: u64,
    epoch_duration: u64,
    n_shards: u16,
    clock: &Clock,
    ctx: &mut TxContext,
): StakingInnerV1 {
    assert!(n_shards > 0 && epoch_duration > 0, EInvalidParameters);
    let now = clock.timestamp_ms();
    StakingInnerV1 {
        n_shards,
        epoch_duration,
        first_epoch_start: now + epoch_zero_duration,
        pools: object_table::new(ctx),
        epoch: 0,
        active_set: extended_field::new(active_set::new(ACTIVE_SET_SIZE_LIMIT, MIN_STAKE), ctx),
        next_committee: option::none(),
        committee: committee::empty(),
        previous_committee: committee::empty(),
        next_epoch_params: option::none(),
        epoch_state: EpochState::EpochChangeDone(now),
        next_epoch_public_keys: extended_field::new(vec_map::empty(), ctx),
    }
}

// === Node registration and settings ===

/// Registers a node and its pool; returns the operator's capability, which is also the
/// commission receiver. The proof of possession must sign (current epoch, sender,
/// `public_key`).
public(package) fun register_candidate(
    self: &mut StakingInnerV1,
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
    let wctx = self.walrus_context();
    let mut pool = staking_pool::new(
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
        &wctx,
        ctx,
    );
    let node_id = pool.node_id();
    let cap = storage_node::new_cap(node_id, ctx);
    pool.init_commission_receiver(auth::authorized_object(object::id(&cap)));
    self.pools.add(node_id, pool);
    cap
}

/// Schedules a new BLS key (with its proof of possession) for the next committees.
public(package) fun set_next_public_key(
    self: &mut StakingInnerV1,
    cap: &StorageNodeCap,
    public_key: vector<u8>,
    proof_of_possession: vector<u8>,
    ctx: &TxContext,
) {
    let wctx = self.walrus_context();
    self.pool_mut(cap.node_id()).set_next_public_key(public_key, proof_of_possession, &wctx, ctx);
}

/// Sets the node's name.
public(package) fun set_name(self: &mut StakingInnerV1, cap: &StorageNodeCap, name: String) {
    self.pool_mut(cap.node_id()).set_name(name);
}

/// Sets the node's network address.
public(package) fun set_network_address(
    self: &mut StakingInnerV1,
    cap: &StorageNodeCap,
    network_address: String,
) {
    self.pool_mut(cap.node_id()).set_network_address(network_address);
}

/// Sets the node's network public key.
public(package) fun set_network_public_key(
    self: &mut StakingInnerV1,
    cap: &StorageNodeCap,
    network_public_key: vector<u8>,
) {
    self.pool_mut(cap.node_id()).node_info_mut().set_network_public_key(network_public_key);
}

/// Sets the node's metadata.
public(package) fun set_node_metadata(
    self: &mut StakingInnerV1,
    cap: &StorageNodeCap,
    metadata: NodeMetadata,
) {
    self.pool_mut(cap.node_id()).node_info_mut().set_metadata(metadata);
}

/// Schedules a commission rate for epoch E + 2.
public(package) fun set_next_commission(
    self: &mut StakingInnerV1,
    cap: &StorageNodeCap,
    commission_rate: u16,
) {
    let wctx = self.walrus_context();
    self.pool_mut(cap.node_id()).set_next_commission(commission_rate, &wctx);
}

/// Sets the storage price vote.
public(package) fun set_storage_price_vote(
    self: &mut StakingInnerV1,
    cap: &StorageNodeCap,
    price: u64,
) {
    self.pool_mut(cap.node_id()).set_storage_price_vote(price);
}

/// Sets the write price vote.
public(package) fun set_write_price_vote(self: &mut StakingInnerV1, cap: &StorageNodeCap, price: u64) {
    self.pool_mut(cap.node_id()).set_write_price_vote(price);
}

/// Sets the capacity vote.
public(package) fun set_node_capacity_vote(
    self: &mut StakingInnerV1,
    cap: &StorageNodeCap,
    capacity: u64,
) {
    self.pool_mut(cap.node_id()).set_node_capacity_vote(capacity);
}

/// Collects the commission of `node_id`; `auth` must match its commission receiver.
public(package) fun collect_commission(
    self: &mut StakingInnerV1,
    node_id: ID,
    auth: Authenticated,
): Balance<WAL> {
    self.pool_mut(node_id).collect_commission(auth)
}

/// Changes the commission receiver of `node_id`.
public(package) fun set_commission_receiver(
    self: &mut StakingInnerV1,
    node_id: ID,
    auth: Authenticated,
    receiver: Authorized,
) {
    self.pool_mut(node_id).set_commission_receiver(auth, receiver);
}

/// Changes who may act for `node_id` in governance.
public(package) fun set_governance_authorized(
    self: &mut StakingInnerV1,
    node_id: ID,
    auth: Authenticated,
    authorized: Authorized,
) {
    self.pool_mut(node_id).set_governance_authorized(auth, authorized);
}

/// Re-enters the node into the active set with its projected stake.
public(package) fun try_join_active_set(self: &mut StakingInnerV1, cap: &StorageNodeCap) {
    self.update_active_set(cap.node_id());
}

/// Takes the whole commission of `node_id`, blocked or not, for slashing to burn.
public(package) fun extract_commission_to_burn(self: &mut StakingInnerV1, node_id: ID): Balance<WAL> {
    self.pool_mut(node_id).extract_commission_to_burn()
}

/// Adds `commissions[i]` to the commission of `node_ids[i]`'s pool (the vectors must have the
/// same length); blocked for collection until `voting_end` unless the next committee is
/// already selected.
public(package) fun add_commission_to_pools(
    self: &mut StakingInnerV1,
    node_ids: vector<ID>,
    commissions: vector<Balance<WAL>>,
) {
    let block = match (self.epoch_state) {
        EpochState::NextParamsSelected(_) => false,
        _ => true,
    };
    node_ids.zip_do!(commissions, |node_id, commission| {
        self.pool_mut(node_id).add_commission(commission, block);
    });
}

// === Delegation ===

/// Stakes `to_stake` with `node_id` (at least 1 WAL). Active from E + 1, or E + 2 after the
/// committee selection of E.
public(package) fun stake_with_pool(
    self: &mut StakingInnerV1,
    to_stake: Coin<WAL>,
    node_id: ID,
    ctx: &mut TxContext,
): StakedWal {
    let wctx = self.walrus_context();
    let pool = self.pool_mut(node_id);
    let staked = pool.stake(to_stake.into_balance(), &wctx, ctx);
    self.update_active_set(node_id);
    staked
}

/// Requests the withdrawal of `staked_wal` (see `staking_pool::request_withdraw_stake`).
public(package) fun request_withdraw_stake(self: &mut StakingInnerV1, staked_wal: &mut StakedWal) {
    let node_id = staked_wal.node_id();
    let (in_current, in_next) = self.committee_membership(node_id);
    let wctx = self.walrus_context();
    self.pool_mut(node_id).request_withdraw_stake(staked_wal, in_current, in_next, &wctx);
    self.update_active_set(node_id);
}

/// Withdraws `staked_wal` (see `staking_pool::withdraw_stake`).
public(package) fun withdraw_stake(
    self: &mut StakingInnerV1,
    staked_wal: StakedWal,
    ctx: &mut TxContext,
): Coin<WAL> {
    let node_id = staked_wal.node_id();
    let (in_current, in_next) = self.committee_membership(node_id);
    let wctx = self.walrus_context();
    let balance = self.pool_mut(node_id).withdraw_stake(staked_wal, in_current, in_next, &wctx);
    self.update_active_set(node_id);
    coin::from_balance(balance, ctx)
}

// === Epoch state machine ===

/// Selects the next committee and epoch parameters. Allowed once per epoch after the epoch
/// change is done, from `t + epoch_duration / 2` (epoch 0: from `first_epoch_start`). Emits
/// `EpochParametersSelected(E + 1)`.
public(package) fun voting_end(self: &mut StakingInnerV1, clock: &Clock) {
    let now = clock.timestamp_ms();
    let last_change = match (self.epoch_state) {
        EpochState::EpochChangeDone(t) => t,
        _ => abort EWrongEpochState,
    };
    if (self.epoch == 0) {
        assert!(now >= self.first_epoch_start, EWrongEpochState);
    } else {
        assert!(now >= last_change + self.epoch_duration / 2, EWrongEpochState);
    };
    self.clear_previous_committee_blocked_commission();
    self.select_committee_and_params();
    self.epoch_state = EpochState::NextParamsSelected(last_change);
    events::emit_epoch_parameters_selected(self.epoch + 1);
}

/// Starts epoch E + 1 once the next committee is selected (`ENextCommitteeIsEmpty`), in the
/// `NextParamsSelected` state, from `t + epoch_duration` (epoch 0: from `first_epoch_start`;
/// `EWrongEpochState` before): advances the `System`
/// (new BLS committee, accounting, rewards per node of the old committee), advances the pools
/// of the old and new committee, emits `EpochChangeStart(E + 1)` and updates the prices
/// (`PricesUpdated`). With an empty new committee the epoch change is done at once
/// (`EpochChangeDone`).
public(package) fun initiate_epoch_change(
    self: &mut StakingInnerV1,
    system: &mut System,
    clock: &Clock,
) {
    assert!(self.next_committee.is_some(), ENextCommitteeIsEmpty);
    let now = clock.timestamp_ms();
    let last_change = match (self.epoch_state) {
        EpochState::NextParamsSelected(t) => t,
        _ => abort EWrongEpochState,
    };
    if (self.epoch == 0) {
        assert!(now >= self.first_epoch_start, EWrongEpochState);
    } else {
        assert!(now >= last_change + self.epoch_duration, EWrongEpochState);
    };

    let new_epoch = self.epoch + 1;
    let next_committee = self.next_committee.extract();
    let bls_committee = self.bls_committee(new_epoch, &next_committee);
    let params = self.next_epoch_params.extract();
    let rewards = system.advance_epoch(bls_committee, &params);

    self.epoch = new_epoch;
    self.previous_committee = self.committee;
    self.committee = next_committee;
    self.next_epoch_public_keys.swap(vec_map::empty());

    // As mainnet: the old committee's pools advance with their rewards (in the committee's
    // order), then the pools that just joined with none; every pool outside both committees
    // stays as it is. Each advanced pool's stake for the next selection goes into the active
    // set.
    let wctx = self.walrus_context();
    let (node_ids, rewards) = rewards.into_keys_values();
    node_ids.zip_do!(rewards, |node_id, reward| self.advance_pool(node_id, reward, &wctx));
    let joined = self.committee.node_ids().filter!(|id| !self.previous_committee.contains(id));
    joined.do!(|node_id| self.advance_pool(node_id, balance::zero(), &wctx));

    events::emit_epoch_change_start(new_epoch);
    if (self.committee.is_empty()) {
        self.epoch_state = EpochState::EpochChangeDone(now);
        events::emit_epoch_change_done(new_epoch);
    } else {
        self.epoch_state = EpochState::EpochChangeSync(0);
    };
    self.update_prices(system);
}

/// The node of `cap` finished receiving its shards for `epoch` (the current epoch). When the
/// synced weight reaches a quorum (`2n/3 + 1` shards) the epoch change is done and
/// `EpochChangeDone(epoch)` is emitted; then, always, `ShardsReceived(epoch, shards)` (the order
/// of Walrus mainnet).
public(package) fun epoch_sync_done(
    self: &mut StakingInnerV1,
    cap: &mut StorageNodeCap,
    epoch: u32,
    clock: &Clock,
) {
    assert!(epoch == self.epoch, EInvalidSyncEpoch);
    assert!(cap.last_epoch_sync_done() < epoch, EDuplicateSyncDone);
    let node_id = cap.node_id();
    assert!(self.committee.contains(&node_id), ENotInCommittee);
    cap.set_last_epoch_sync_done(epoch);
    let shards = *self.committee.shards(&node_id);
    let weight = shards.length() as u16;
    match (self.epoch_state) {
        EpochState::EpochChangeSync(done) => {
            let done = done + weight;
            if ((done as u64) >= weighted_quantile::quorum_weight(self.n_shards)) {
                self.epoch_state = EpochState::EpochChangeDone(clock.timestamp_ms());
                events::emit_epoch_change_done(epoch);
            } else {
                self.epoch_state = EpochState::EpochChangeSync(done);
            }
        },
        _ => {},
    };
    events::emit_shards_received(epoch, shards);
}

/// Sets the System's prices to the current committee's quorum prices (`quorum_below` of the
/// storage and write price votes, weighted by shards; `u64::MAX` without a committee). Emits
/// `PricesUpdated`.
public(package) fun update_prices(self: &StakingInnerV1, system: &mut System) {
    let (storage_price, write_price) = self.quorum_prices(&self.committee);
    system.set_prices(storage_price, write_price);
    events::emit_prices_updated(self.epoch, storage_price, write_price);
}

// === Views ===

/// The current epoch.
public(package) fun epoch(self: &StakingInnerV1): u32 { self.epoch }

/// The number of shards.
public(package) fun n_shards(self: &StakingInnerV1): u16 { self.n_shards }

/// The epoch duration in ms.
public(package) fun epoch_duration(self: &StakingInnerV1): u64 { self.epoch_duration }

/// The time from which epoch 0 may end.
public(package) fun first_epoch_start(self: &StakingInnerV1): u64 { self.first_epoch_start }

/// The current committee.
public(package) fun committee(self: &StakingInnerV1): &Committee { &self.committee }

/// Whether `auth` may act for `node_id` in governance.
public(package) fun check_governance_authorization(
    self: &StakingInnerV1,
    node_id: ID,
    auth: Authenticated,
): bool {
    auth.matches(self.pool(node_id).governance_authorized())
}

/// The shards `node_id` holds in the current committee (`ENotInCommittee` if none).
public(package) fun get_current_node_weight(self: &StakingInnerV1, node_id: ID): u16 {
    assert!(self.committee.contains(&node_id), ENotInCommittee);
    let weight = self.committee.shards(&node_id).length();
    assert!(weight <= (std::u16::max_value!() as u64), EInvalidNodeWeight);
    weight as u16
}

/// Whether `weight` shards are a quorum (`3 * weight >= 2 * n_shards + 1`).
public(package) fun is_quorum(self: &StakingInnerV1, weight: u16): bool {
    3 * (weight as u64) >= 2 * (self.n_shards as u64) + 1
}

/// The previous committee.
public(package) fun previous_committee(self: &StakingInnerV1): &Committee {
    &self.previous_committee
}

/// The next committee, once selected.
public(package) fun next_committee(self: &StakingInnerV1): &Option<Committee> {
    &self.next_committee
}

/// The next epoch's parameters, once selected.
public(package) fun next_epoch_params(self: &StakingInnerV1): &Option<EpochParams> {
    &self.next_epoch_params
}

/// The epoch state.
public(package) fun epoch_state(self: &StakingInnerV1): EpochState { self.epoch_state }

/// The keys of the next committee.
public(package) fun next_epoch_public_keys(
    self: &StakingInnerV1,
): &VecMap<ID, Element<UncompressedG1>> {
    self.next_epoch_public_keys.borrow()
}

/// The active set.
public(package) fun active_set(self: &StakingInnerV1): &ActiveSet { self.active_set.borrow() }

/// Whether a pool exists for `node_id`.
public(package) fun has_pool(self: &StakingInnerV1, node_id: ID): bool {
    self.pools.contains(node_id)
}

/// The pool of `node_id` (as mainnet, a missing pool aborts in `sui::dynamic_field`).
public(package) fun pool(self: &StakingInnerV1, node_id: ID): &StakingPool {
    self.pools.borrow(node_id)
}

/// The reward of `principal` staked with `node_id` from `activation_epoch` until
/// `withdraw_epoch` (`EPoolNotFound` for an unknown node; read-only estimate, exact for epochs
/// the pool has been advanced to).
public(package) fun calculate_rewards(
    self: &StakingInnerV1,
    node_id: ID,
    principal: u64,
    activation_epoch: u32,
    withdraw_epoch: u32,
): u64 {
    assert!(self.pools.contains(node_id), EPoolNotFound);
    self.pool(node_id).calculate_rewards(principal, activation_epoch, withdraw_epoch)
}

/// Whether `staked_wal` can be withdrawn directly, principal only.
public(package) fun can_withdraw_staked_wal_early(
    self: &StakingInnerV1,
    staked_wal: &StakedWal,
): bool {
    let (_, in_next) = self.committee_membership(staked_wal.node_id());
    staking_pool::can_withdraw_early(staked_wal, in_next, self.epoch, self.next_committee.is_some())
}

/// Whether the epoch change is in progress (nodes syncing).
public fun is_epoch_change_sync(state: &EpochState): bool {
    match (state) {
        EpochState::EpochChangeSync(_) => true,
        _ => false,
    }
}

/// The weight of the nodes that finished syncing (0 unless syncing).
public fun synced_weight(state: &EpochState): u16 {
    match (state) {
        EpochState::EpochChangeSync(weight) => *weight,
        _ => 0,
    }
}

/// Whether the epoch change is done and the next committee not yet selected.
public fun is_epoch_change_done(state: &EpochState): bool {
    match (state) {
        EpochState::EpochChangeDone(_) => true,
        _ => false,
    }
}

/// Whether the next committee is selected in the current epoch.
public fun is_next_params_selected(state: &EpochState): bool {
    match (state) {
        EpochState::NextParamsSelected(_) => true,
        _ => false,
    }
}

/// The time (ms) the last epoch change was done, once done (`EpochChangeDone(t)` or
/// `NextParamsSelected(t)`).
public fun last_epoch_change_time(state: &EpochState): Option<u64> {
    match (state) {
        EpochState::EpochChangeSync(_) => option::none(),
        EpochState::EpochChangeDone(t) => option::some(*t),
        EpochState::NextParamsSelected(t) => option::some(*t),
    }
}

// === Private functions ===

/// Unblocks the commission of the previous committee's pools (`voting_end`): what their last
/// epoch change added becomes collectable.
fun clear_previous_committee_blocked_commission(self: &mut StakingInnerV1) {
    let ids = self.previous_committee.node_ids();
    ids.do!(|id| if (self.pools.contains(id)) self.pools.borrow_mut(id).clear_blocked_commission());
}

/// The pool of `node_id` (as mainnet, a missing pool aborts in `sui::dynamic_field`).
fun pool_mut(self: &mut StakingInnerV1, node_id: ID): &mut StakingPool {
    self.pools.borrow_mut(node_id)
}

/// Advances the pool of `node_id` to the new epoch of `wctx` and puts its stake for the next
/// selection (at E + 1) into the active set.
fun advance_pool(self: &mut StakingInnerV1, node_id: ID, reward: Balance<WAL>, wctx: &WalrusContext) {
    let pool = self.pools.borrow_mut(node_id);
    pool.advance_epoch(reward, wctx);
    let stake = pool.wal_balance_at_epoch(wctx.epoch() + 1);
    self.active_set.borrow_mut().insert_or_update(node_id, stake);
}

/// (in the current committee, in the selected next committee).
fun committee_membership(self: &StakingInnerV1, node_id: ID): (bool, bool) {
    let in_current = self.committee.contains(&node_id);
    let in_next = self.next_committee.is_some() && self.next_committee.borrow().contains(&node_id);
    (in_current, in_next)
}

/// The context of a pool operation now: epoch, whether the next committee is selected, and
/// the current committee.
fun walrus_context(self: &StakingInnerV1): WalrusContext {
    walrus_context::new(self.epoch, self.next_committee.is_some(), self.committee.to_inner())
}

/// The epoch whose stake the active set tracks: E + 1, or E + 2 after the selection.
fun projection_epoch(self: &StakingInnerV1): u32 {
    if (self.next_committee.is_some()) self.epoch + 2 else self.epoch + 1
}

/// Puts the node's projected stake into the active set.
fun update_active_set(self: &mut StakingInnerV1, node_id: ID) {
    let stake = self.pools.borrow(node_id).wal_balance_at_epoch(self.projection_epoch());
    self.active_set.borrow_mut().insert_or_update(node_id, stake);
}

/// Apportions the shards by the active set's stakes, and fixes the next committee, its keys and
/// the next epoch's parameters.
fun select_committee_and_params(self: &mut StakingInnerV1) {
    assert!(self.next_committee.is_none(), ECommitteeSelected);
    let next = self.compute_next_committee();

    let mut keys = vec_map::empty();
    next.node_ids().do!(|node_id| {
        assert!(next.weight(&node_id) > 0, EZeroNodeWeight);
        keys.insert(node_id, *self.pools.borrow(node_id).node_info().next_epoch_public_key());
    });
    let capacity = self.quorum_capacity(&next);
    self.next_epoch_public_keys.swap(keys);
    // As on mainnet, only the capacity is selected for the next epoch: the prices are not used
    // (they are applied from the votes, `update_prices`) and stored as `u64::MAX`.
    self.next_epoch_params = option::some(
        epoch_parameters::new(capacity, std::u64::max_value!(), std::u64::max_value!()),
    );
    self.next_committee = option::some(next);
}

/// The committee the active set's stakes give now (`ENoStake` without stake): shards
/// apportioned by stake, moving as few shards as possible from the current committee.
public(package) fun compute_next_committee(self: &StakingInnerV1): Committee {
    let (ids, stakes) = self.active_set.borrow().active_ids_and_stake();
    assert!(stakes.fold!(0, |total, stake| total + stake) > 0, ENoStake);
    let limit = apportionment::shards_limit(self.n_shards, ids.length());
    let seats = apportionment::dhondt(self.n_shards, limit, &stakes);
    let mut distribution = vec_map::empty();
    ids.zip_do!(seats, |node_id, count| if (count > 0) distribution.insert(node_id, count));
    if (self.committee.is_empty()) committee::initialize(distribution)
    else self.committee.transition(distribution)
}

/// The BLS committee for `epoch`: members in node-id order, weight = shard count, key = the
/// key fixed at selection.
fun bls_committee(self: &StakingInnerV1, epoch: u32, committee: &Committee): BlsCommittee {
    let (key_ids, keys) = (*self.next_epoch_public_keys.borrow()).into_keys_values();
    let ids = committee.node_ids();
    assert!(key_ids.length() == ids.length(), EIncorrectNodeOrder);
    let members = vector::tabulate!(ids.length(), |i| {
        assert!(key_ids[i] == ids[i], EIncorrectNodeOrder);
        bls_aggregate::new_bls_committee_member(keys[i], committee.weight(&ids[i]), ids[i])
    });
    bls_aggregate::new_bls_committee(epoch, members)
}

/// Capacity vote of `committee`: each node's vote extrapolated to the whole system,
/// `node_capacity * n_shards / node_shards` (capped at u64::MAX), aggregated with
/// `quorum_above`.
fun quorum_capacity(self: &StakingInnerV1, committee: &Committee): u64 {
    let ids = committee.node_ids();
    let weights = ids.map_ref!(|id| committee.weight(id));
    let values = ids.map_ref!(|id| {
        let capacity = self.pools.borrow(*id).node_capacity() as u128;
        let extrapolated = capacity * (self.n_shards as u128) / (committee.weight(id) as u128);
        extrapolated.min(std::u64::max_value!() as u128) as u64
    });
    weighted_quantile::quorum_above(values, weights, self.n_shards)
}

/// (storage price, write price) of `committee`: `quorum_below` of the votes.
fun quorum_prices(self: &StakingInnerV1, committee: &Committee): (u64, u64) {
    let ids = committee.node_ids();
    let weights = ids.map_ref!(|id| committee.weight(id));
    let storage = ids.map_ref!(|id| self.pools.borrow(*id).storage_price());
    let write = ids.map_ref!(|id| self.pools.borrow(*id).write_price());
    (
        weighted_quantile::quorum_below(storage, weights, self.n_shards),
        weighted_quantile::quorum_below(write, weights, self.n_shards),
    )
}

// === Test-only ===

#[test_only]
/// Sets the epoch state without any other change (to reach states the calls do not).
public fun set_epoch_state_for_testing(self: &mut StakingInnerV1, state: EpochState) {
    self.epoch_state = state;
}

#[test_only]
public fun epoch_change_done_for_testing(t: u64): EpochState { EpochState::EpochChangeDone(t) }

#[test_only]
/// Forgets the keys recorded at the selection.
public fun clear_next_epoch_public_keys_for_testing(self: &mut StakingInnerV1) {
    self.next_epoch_public_keys.swap(vec_map::empty());
}

#[test_only]
/// Destroys the state in tests.
public fun destroy_for_testing(self: StakingInnerV1) {
    std::unit_test::destroy(self)
}
