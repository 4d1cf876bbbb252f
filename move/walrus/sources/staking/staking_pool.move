/// The staking pool of one storage node: its stake, shares and per-epoch exchange rates, the
/// stake and withdrawals waiting for an epoch, its commission and its votes.
///
/// Accounting (integer arithmetic, rounding down; mirrored by the Rust devnet ledger), as Walrus
/// mainnet does it:
/// - `wal_balance` is the pool's active stake plus the delegators' accumulated rewards;
///   `num_shares` the shares it is split into. Principals stay inside the `StakedWal` objects;
///   the delegators' rewards are held in `rewards_pool`.
/// - A pool is advanced (`advance_epoch`) only at an epoch change in which it is in the old
///   committee (with its reward) or joins the new one (with none); any other pool stays as it
///   is, however many epochs pass, and is advanced in one step when it rejoins. Advancing to
///   epoch `e` with the reward `r`:
///   1. `commission = r * commission_rate / 10_000` goes to `commission`, blocked for collection
///      until the next `voting_end`; `r - commission` to `rewards_pool` and `wal_balance`;
///   2. a commission rate scheduled for exactly `e` becomes current (schedules up to `e` are
///      dropped); 3. a scheduled BLS key is rotated in;
///   4. (`process_pending_stake`) `rate[e] = (wal_balance, num_shares)` is recorded; stake
///      activating at <= `e` joins `wal_balance`; withdrawals due at <= `e` leave it:
///      `rate[e].to_wal(shares)`, where shares = the requested shares + for each pre-active
///      withdrawal due at `k`, `rate[k - 1].to_shares(principal)`;
///      `num_shares = rate[e].to_shares(wal_balance)`.
/// - `rate[e]` for an epoch that was not recorded is the latest recorded rate at or before `e`,
///   down to the activation epoch (where a new pool records `Flat`); `Flat` before it.
/// - A `StakedWal` with principal `P` activated at `A` owns `shares = rate[A].to_shares(P)`; its
///   value at epoch `W` is `rate[W].to_wal(shares)` and its reward `max(0, value - P)`, paid
///   from `rewards_pool` (capped by it).
module walrus::staking_pool;

use std::string::String;
use sui::bag::{Self, Bag};
use sui::balance::{Self, Balance};
use sui::table::{Self, Table};
use wal::wal::WAL;
use walrus::auth::{Self, Authenticated, Authorized};
use walrus::pool_exchange_rate::{Self, PoolExchangeRate};
use walrus::messages;
use walrus::node_metadata::NodeMetadata;
use walrus::pending_values::{Self, PendingValues};
use walrus::staked_wal::{Self, StakedWal};
use walrus::storage_node::{Self, StorageNodeInfo};
use walrus::walrus_context::WalrusContext;

// === Errors (numbered as in Walrus mainnet) ===

/// The pool was already advanced to this epoch.
const EPoolAlreadyUpdated: u64 = 0;
/// Withdrawals would take more than the pool holds (accounting broken).
const ECalculationError: u64 = 1;
/// Rewards for a pool without stake (accounting broken).
const EIncorrectEpochAdvance: u64 = 2;
/// The pool still holds stake, rewards or commission.
const EPoolNotEmpty: u64 = 3;
/// The proof of possession of the BLS key does not verify.
const EInvalidProofOfPossession: u64 = 4;
/// The pool is already withdrawing.
const EPoolAlreadyWithdrawing: u64 = 5;
/// The pool does not accept stake (it is not `Active`).
const EPoolIsNotActive: u64 = 6;
/// Nothing to stake: the coin is empty.
const EZeroStake: u64 = 7;
/// The `StakedWal` is not in the `Staked` state (a withdrawal was already requested).
const ENotStaked: u64 = 8;
/// The `StakedWal` belongs to another pool.
const EIncorrectPoolId: u64 = 9;
/// This stake is active in a committee: request its withdrawal first.
const ENotWithdrawing: u64 = 10;
/// The withdraw epoch of this `StakedWal` has not been reached yet.
const EWithdrawEpochNotReached: u64 = 11;
/// The stake is not active yet (accounting broken: its withdraw epoch is after activation).
const EActivationEpochNotReached: u64 = 12;
/// This stake can be withdrawn directly with `withdraw_stake`; no request needed.
const EWithdrawDirectly: u64 = 13;
/// The commission rate exceeds 10_000 basis points.
const EIncorrectCommissionRate: u64 = 14;
/// The caller is not authorized.
const EAuthorizationFailure: u64 = 15;
/// The network address is longer than 259 bytes.
const EInvalidNetworkAddressLength: u64 = 16;
/// The node name is longer than 100 bytes.
const EInvalidNameLength: u64 = 17;
/// The stake is worth zero shares at its activation epoch's rate.
const EZeroShares: u64 = 18;

// === Constants ===

/// The longest node name (bytes).
const MAX_NODE_NAME_LENGTH: u64 = 100;
/// The longest network address (bytes).
const MAX_NETWORK_ADDRESS_LENGTH: u64 = 259;

/// Basis points in 100%.
const N_BASIS_POINTS: u64 = 10_000;

// === Object definitions ===

/// The key, in `extra_fields`, of the commission (FROST, `u64`) added at the last epoch change
/// that cannot be collected before `voting_end` clears it.
public struct NewEpochCommissionBlockedForCollection has copy, drop, store {}

/// The node's votes on prices and on its capacity.
public struct VotingParams has copy, drop, store {
    /// FROST per storage unit (1 MiB encoded) per epoch.
    storage_price: u64,
    /// FROST per storage unit, paid once at registration.
    write_price: u64,
    /// Bytes of encoded data the node offers to store.
    node_capacity: u64,
}

/// A staking pool; its id is the node id.
public struct StakingPool has key, store {
    id: UID,
    /// Active (the only state a pool reaches today), withdrawing or withdrawn.
    state: PoolState,
    voting_params: VotingParams,
    node_info: StorageNodeInfo,
    /// The first epoch in which stake in the pool can count (E if registered before the
    /// committee selection of E, E + 1 after). Informational.
    activation_epoch: u32,
    /// The epoch the pool was last advanced (or created) in.
    latest_epoch: u32,
    /// Active stake plus accumulated delegator rewards, in FROST.
    wal_balance: u64,
    /// Shares `wal_balance` is split into.
    num_shares: u64,
    /// Withdraw epoch -> shares leaving then.
    pending_shares_withdraw: PendingValues,
    /// Withdraw epoch -> principal of stake withdrawn one epoch after its activation (its shares
    /// are only known at activation).
    pre_active_withdrawals: PendingValues,
    /// Epoch -> commission rate (bps) taking effect then.
    pending_commission_rate: PendingValues,
    /// Current commission in basis points.
    commission_rate: u16,
    /// Epoch -> exchange rate at the start of that epoch.
    exchange_rates: Table<u32, PoolExchangeRate>,
    /// Activation epoch -> stake becoming active then.
    pending_stake: PendingValues,
    /// Backing of the delegators' rewards.
    rewards_pool: Balance<WAL>,
    /// The operator's commission, collectable by `commission_receiver`.
    commission: Balance<WAL>,
    commission_receiver: Authorized,
    governance_authorized: Authorized,
    /// Room for fields added by later versions (empty).
    extra_fields: Bag,
}

/// The life cycle of a pool, as in Walrus mainnet; no call moves a pool out of `Active` yet.
public enum PoolState has copy, drop, store {
    /// Accepts stake.
    Active,
    /// Its stake leaves; it is withdrawn at this epoch.
    Withdrawing(u32),
    /// Empty; can be destroyed.
    Withdrawn,
}

// === Constructors ===

/// A new pool created in the context's epoch (counted from the next epoch if the next
/// committee is already selected). Commission receiver and governance default to the sender.
public(package) fun new(
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
    wctx: &WalrusContext,
    ctx: &mut TxContext,
): StakingPool {
    let (epoch, committee_selected) = (wctx.epoch(), wctx.committee_selected());
    assert!(
        messages::new_proof_of_possession_msg(epoch, ctx.sender(), public_key)
            .verify_proof_of_possession(proof_of_possession),
        EInvalidProofOfPossession,
    );
    assert!(name.length() <= MAX_NODE_NAME_LENGTH, EInvalidNameLength);
    assert!(network_address.length() <= MAX_NETWORK_ADDRESS_LENGTH, EInvalidNetworkAddressLength);
    assert!((commission_rate as u64) <= N_BASIS_POINTS, EIncorrectCommissionRate);
    // Object ids in mainnet's order: the pool, its rate table, the metadata's `ExtendedField`,
    // the extra fields.
    let id = object::new(ctx);
    let node_id = id.to_inner();
    let activation_epoch = if (committee_selected) epoch + 1 else epoch;
    let mut exchange_rates = table::new(ctx);
    exchange_rates.add(activation_epoch, pool_exchange_rate::flat());
    let node_info = storage_node::new(
        name,
        node_id,
        network_address,
        public_key,
        network_public_key,
        metadata,
        ctx,
    );
    StakingPool {
        id,
        state: PoolState::Active,
        voting_params: VotingParams { storage_price, write_price, node_capacity },
        node_info,
        activation_epoch,
        latest_epoch: epoch,
        wal_balance: 0,
        num_shares: 0,
        pending_shares_withdraw: pending_values::empty(),
        pre_active_withdrawals: pending_values::empty(),
        pending_commission_rate: pending_values::empty(),
        commission_rate,
        exchange_rates,
        pending_stake: pending_values::empty(),
        rewards_pool: balance::zero(),
        commission: balance::zero(),
        commission_receiver: auth::authorized_address(ctx.sender()),
        governance_authorized: auth::authorized_address(ctx.sender()),
        extra_fields: bag::new(ctx),
    }
}

// === Epoch advance ===

/// Advances the pool to the context's epoch `e` with `rewards`, what it earned as a member of
/// the ending committee (zero for a pool that joins the committee). See the module
/// documentation for the steps.
public(package) fun advance_epoch(self: &mut StakingPool, mut rewards: Balance<WAL>, wctx: &WalrusContext) {
    let epoch = wctx.epoch();
    assert!(epoch > self.latest_epoch, EPoolAlreadyUpdated);
    assert!(rewards.value() == 0 || self.wal_balance > 0, EIncorrectEpochAdvance);

    let reward = rewards.value() as u128;
    let commission = reward * (self.commission_rate as u128) / (N_BASIS_POINTS as u128);
    self.add_commission(rewards.split(commission as u64), true);

    let scheduled = self.pending_commission_rate.inner().try_get(&epoch);
    if (scheduled.is_some()) {
        self.commission_rate = scheduled.destroy_some() as u16;
        self.pending_commission_rate.flush(epoch);
    };

    self.wal_balance = self.wal_balance + rewards.value();
    self.rewards_pool.join(rewards);
    self.latest_epoch = epoch;
    self.node_info.rotate_public_key();
    self.process_pending_stake(wctx);
}

/// Records the exchange rate of the context's epoch `e` and applies the stake and withdrawals
/// due by `e` (step 4 of the module documentation).
public(package) fun process_pending_stake(self: &mut StakingPool, wctx: &WalrusContext) {
    let epoch = wctx.epoch();
    let rate = pool_exchange_rate::new(self.wal_balance, self.num_shares);
    self.exchange_rates.add(epoch, rate);
    self.wal_balance = self.wal_balance + self.pending_stake.flush(epoch);

    let pre_active_shares = self.pre_active_shares_due(epoch);
    let _ = self.pre_active_withdrawals.flush(epoch);
    let shares_out = self.pending_shares_withdraw.flush(epoch) + pre_active_shares;
    let wal_out = rate.convert_to_wal_amount(shares_out);
    assert!(self.wal_balance >= wal_out, ECalculationError);
    self.wal_balance = self.wal_balance - wal_out;
    self.num_shares = rate.convert_to_share_amount(self.wal_balance);
}

/// The shares of the pre-active withdrawals due by `epoch`: a withdrawal due at `k` holds a
/// principal that was active from `k - 1`, converted at that epoch's rate.
fun pre_active_shares_due(self: &StakingPool, epoch: u32): u64 {
    let withdrawals = self.pre_active_withdrawals.inner();
    withdrawals.keys().fold!(0, |total, due| if (due > epoch) total else {
        let principal = *withdrawals.get(&due);
        total + self.exchange_rate_at_epoch(due - 1).convert_to_share_amount(principal)
    })
}

// === Staking ===

/// Stakes `principal` in the context's epoch: active from `epoch + 1`, or `epoch + 2` if the
/// next committee is already selected.
public(package) fun stake(
    self: &mut StakingPool,
    principal: Balance<WAL>,
    wctx: &WalrusContext,
    ctx: &mut TxContext,
): StakedWal {
    let (epoch, committee_selected) = (wctx.epoch(), wctx.committee_selected());
    assert!(self.state == PoolState::Active, EPoolIsNotActive);
    assert!(principal.value() > 0, EZeroStake);
    let activation_epoch = if (committee_selected) epoch + 2 else epoch + 1;
    let amount = principal.value();
    let staked = staked_wal::mint(self.id.to_inner(), principal, activation_epoch, ctx);
    self.pending_stake.insert_or_add(activation_epoch, amount);
    staked
}

/// Whether `staked_wal` can be withdrawn in one step, principal only: it is `Staked`, not yet
/// active, and will not count for a selected committee (activation at `epoch + 2`, or at
/// `epoch + 1` while the next committee is not selected or does not contain the node).
public fun can_withdraw_early(
    staked_wal: &StakedWal,
    in_next_committee: bool,
    epoch: u32,
    committee_selected: bool,
): bool {
    let activation = staked_wal.activation_epoch();
    staked_wal.is_staked() && (
        activation > epoch + 1 ||
        (activation == epoch + 1 && (!committee_selected || !in_next_committee))
    )
}

/// Requests the withdrawal of `staked_wal` in `epoch`:
/// - active stake of a node in the selected next committee: withdrawable at `epoch + 2`;
/// - active stake of a node in the current committee only (or the next is not selected yet):
///   at `epoch + 1`;
/// - stake activating at `epoch + 1` in a node of the selected next committee: at `epoch + 2`
///   (it earns the rewards of `epoch + 1`).
/// Aborts if the stake can be withdrawn directly (not yet active and not counted, or a node
/// in neither committee).
public(package) fun request_withdraw_stake(
    self: &mut StakingPool,
    staked_wal: &mut StakedWal,
    in_current_committee: bool,
    in_next_committee: bool,
    wctx: &WalrusContext,
) {
    let (epoch, committee_selected) = (wctx.epoch(), wctx.committee_selected());
    assert!(staked_wal.node_id() == self.id.to_inner(), EIncorrectPoolId);
    assert!(staked_wal.is_staked(), ENotStaked);
    assert!(
        !can_withdraw_early(staked_wal, in_next_committee, epoch, committee_selected),
        EWithdrawDirectly,
    );
    let in_next = committee_selected && in_next_committee;
    let activation = staked_wal.activation_epoch();
    let principal = staked_wal.value();
    if (activation > epoch) {
        // Pre-active, counted for the selected next committee.
        let withdraw_epoch = epoch + 2;
        self.pre_active_withdrawals.insert_or_add(withdraw_epoch, principal);
        staked_wal.set_withdrawing(withdraw_epoch);
    } else {
        assert!(in_current_committee || in_next, EWithdrawDirectly);
        let withdraw_epoch = if (in_next) epoch + 2 else epoch + 1;
        let shares = self.exchange_rate_at_epoch(activation).convert_to_share_amount(principal);
        assert!(shares != 0, EZeroShares);
        self.pending_shares_withdraw.insert_or_add(withdraw_epoch, shares);
        staked_wal.set_withdrawing(withdraw_epoch);
    }
}

/// Withdraws `staked_wal` in the context's epoch `e`:
/// - early (see `can_withdraw_early`): principal only, the pending stake is cancelled;
/// - `Staked` with a node in neither the current nor the selected next committee: the
///   principal plus the reward up to `e`; its shares are queued to leave the pool at its next
///   advance (a node outside the committees is not advanced);
/// - withdrawing and `e >= withdraw_epoch`: principal plus the reward up to the withdraw
///   epoch (the pool already let the stake go when it advanced to that epoch).
/// Otherwise aborts (`ENotWithdrawing`): a withdrawal must be requested first.
public(package) fun withdraw_stake(
    self: &mut StakingPool,
    staked_wal: StakedWal,
    in_current_committee: bool,
    in_next_committee: bool,
    wctx: &WalrusContext,
): Balance<WAL> {
    let (epoch, committee_selected) = (wctx.epoch(), wctx.committee_selected());
    assert!(staked_wal.value() > 0, EZeroStake);
    assert!(staked_wal.node_id() == self.id.to_inner(), EIncorrectPoolId);
    let activation = staked_wal.activation_epoch();
    if (can_withdraw_early(&staked_wal, in_next_committee, epoch, committee_selected)) {
        self.pending_stake.reduce(activation, staked_wal.value());
        return staked_wal.into_balance()
    };
    let in_next = committee_selected && in_next_committee;
    let reward = if (!in_current_committee && !in_next && staked_wal.is_staked()) {
        if (activation > epoch) {
            self.pending_stake.reduce(activation, staked_wal.value());
            0
        } else {
            let shares = self
                .exchange_rate_at_epoch(activation)
                .convert_to_share_amount(staked_wal.value());
            self.pending_shares_withdraw.insert_or_add(epoch, shares);
            self.calculate_rewards(staked_wal.value(), activation, epoch)
        }
    } else {
        assert!(staked_wal.is_withdrawing(), ENotWithdrawing);
        let withdraw_epoch = staked_wal.withdraw_epoch();
        assert!(withdraw_epoch <= epoch, EWithdrawEpochNotReached);
        assert!(activation <= epoch, EActivationEpochNotReached);
        self.calculate_rewards(staked_wal.value(), activation, withdraw_epoch)
    };
    let mut principal = staked_wal.into_balance();
    let reward = reward.min(self.rewards_pool.value());
    principal.join(self.rewards_pool.split(reward));
    principal
}

// === Pool lifecycle ===

/// Moves the pool to `Withdrawing(E + 1)` (`EPoolAlreadyWithdrawing` if it is already
/// withdrawing). As on mainnet, no entry point calls it yet.
public(package) fun set_withdrawing(self: &mut StakingPool, wctx: &WalrusContext) {
    assert!(!self.is_withdrawing(), EPoolAlreadyWithdrawing);
    self.state = PoolState::Withdrawing(wctx.epoch() + 1);
}

/// Whether the pool is withdrawing.
public(package) fun is_withdrawing(self: &StakingPool): bool {
    match (self.state) {
        PoolState::Withdrawing(_) => true,
        _ => false,
    }
}

/// Whether the pool holds nothing: no shares, stake, pending stake, rewards or commission.
public(package) fun is_empty(self: &StakingPool): bool {
    let pending = self.pending_stake.inner();
    let pending_stake = pending.keys().count!(|epoch| *pending.get(epoch) != 0);
    self.rewards_pool.value() == 0 &&
        self.num_shares == 0 &&
        self.commission.value() == 0 &&
        self.wal_balance == 0 &&
        pending_stake == 0
}

/// Destroys an empty pool (`EPoolNotEmpty` otherwise). As on mainnet, no entry point calls it
/// yet.
public(package) fun destroy_empty(self: StakingPool) {
    assert!(self.is_empty(), EPoolNotEmpty);
    let StakingPool { id, exchange_rates, rewards_pool, commission, mut extra_fields, node_info, .. } =
        self;
    let key = NewEpochCommissionBlockedForCollection {};
    if (extra_fields.contains(key)) {
        let _: u64 = extra_fields.remove(key);
    };
    id.delete();
    exchange_rates.drop();
    node_info.destroy();
    commission.destroy_zero();
    rewards_pool.destroy_zero();
    extra_fields.destroy_empty();
}

// === Commission and authorization ===

/// Schedules `commission_rate` (bps) to take effect two epochs after the context's epoch.
public(package) fun set_next_commission(
    self: &mut StakingPool,
    commission_rate: u16,
    wctx: &WalrusContext,
) {
    assert!((commission_rate as u64) <= N_BASIS_POINTS, EIncorrectCommissionRate);
    self.pending_commission_rate.insert_or_replace(wctx.epoch() + 2, commission_rate as u64);
}

/// Takes the commission that is not blocked (all but what the last epoch change added before
/// `voting_end`); `auth` must match the commission receiver.
public(package) fun collect_commission(
    self: &mut StakingPool,
    auth: Authenticated,
): Balance<WAL> {
    assert!(auth.matches(&self.commission_receiver), EAuthorizationFailure);
    let blocked = self.blocked_commission();
    let total = self.commission.value();
    if (total <= blocked) return balance::zero();
    self.commission.split(total - blocked)
}

/// Adds `commission` to the pool's commission, blocked for collection until `voting_end` if
/// `block`; returns the commission's new total.
public(package) fun add_commission(
    self: &mut StakingPool,
    commission: Balance<WAL>,
    block: bool,
): u64 {
    let amount = commission.value();
    let total = self.commission.join(commission);
    if (block) {
        let key = NewEpochCommissionBlockedForCollection {};
        if (self.extra_fields.contains(key)) {
            let blocked: &mut u64 = self.extra_fields.borrow_mut(key);
            *blocked = *blocked + amount;
        } else {
            self.extra_fields.add(key, amount);
        }
    };
    total
}

/// Unblocks the whole commission (`voting_end`).
public(package) fun clear_blocked_commission(self: &mut StakingPool) {
    let key = NewEpochCommissionBlockedForCollection {};
    if (self.extra_fields.contains(key)) {
        let _: u64 = self.extra_fields.remove(key);
    }
}

/// Takes the whole commission, blocked or not, for slashing to burn.
public(package) fun extract_commission_to_burn(self: &mut StakingPool): Balance<WAL> {
    self.clear_blocked_commission();
    self.commission.withdraw_all()
}

/// The commission that cannot be collected before `voting_end`.
public(package) fun blocked_commission(self: &StakingPool): u64 {
    let key = NewEpochCommissionBlockedForCollection {};
    if (self.extra_fields.contains(key)) *self.extra_fields.borrow(key) else 0
}

/// Sets the commission receiver; `auth` must match the current one.
public(package) fun set_commission_receiver(
    self: &mut StakingPool,
    auth: Authenticated,
    receiver: Authorized,
) {
    assert!(auth.matches(&self.commission_receiver), EAuthorizationFailure);
    self.commission_receiver = receiver;
}

/// Sets the commission receiver at registration (no authorization: the pool was just made).
public(package) fun init_commission_receiver(self: &mut StakingPool, receiver: Authorized) {
    self.commission_receiver = receiver;
}

/// Sets who may act for the pool in governance; `auth` must match the current one.
public(package) fun set_governance_authorized(
    self: &mut StakingPool,
    auth: Authenticated,
    authorized: Authorized,
) {
    assert!(auth.matches(&self.governance_authorized), EAuthorizationFailure);
    self.governance_authorized = authorized;
}

// === Votes and node information ===

/// Sets the storage price vote.
public(package) fun set_storage_price_vote(self: &mut StakingPool, price: u64) {
    self.voting_params.storage_price = price;
}

/// Sets the write price vote.
public(package) fun set_write_price_vote(self: &mut StakingPool, price: u64) {
    self.voting_params.write_price = price;
}

/// Sets the capacity vote.
public(package) fun set_node_capacity_vote(self: &mut StakingPool, capacity: u64) {
    self.voting_params.node_capacity = capacity;
}

/// Mutable node information.
public(package) fun node_info_mut(self: &mut StakingPool): &mut StorageNodeInfo {
    &mut self.node_info
}

/// Schedules a new BLS key for the next committees; its proof of possession must sign
/// (`epoch`, sender, key): `messages::EInvalidKeyLength` unless 48 bytes, then
/// `EInvalidProofOfPossession`.
public(package) fun set_next_public_key(
    self: &mut StakingPool,
    public_key: vector<u8>,
    proof_of_possession: vector<u8>,
    wctx: &WalrusContext,
    ctx: &TxContext,
) {
    assert!(
        messages::new_proof_of_possession_msg(wctx.epoch(), ctx.sender(), public_key)
            .verify_proof_of_possession(proof_of_possession),
        EInvalidProofOfPossession,
    );
    self.node_info.set_next_public_key(public_key);
}

/// Sets the node's name (`EInvalidNameLength` above 100 bytes).
public(package) fun set_name(self: &mut StakingPool, name: String) {
    assert!(name.length() <= MAX_NODE_NAME_LENGTH, EInvalidNameLength);
    self.node_info.set_name(name);
}

/// Sets the node's network address (`EInvalidNetworkAddressLength` above 259 bytes).
public(package) fun set_network_address(self: &mut StakingPool, network_address: String) {
    assert!(network_address.length() <= MAX_NETWORK_ADDRESS_LENGTH, EInvalidNetworkAddressLength);
    self.node_info.set_network_address(network_address);
}

// === Accessors ===

/// The exchange rate at the start of `epoch`: the latest rate recorded at or before `epoch`,
/// down to the activation epoch; `Flat` before it.
public fun exchange_rate_at_epoch(self: &StakingPool, epoch: u32): PoolExchangeRate {
    let mut epoch = epoch;
    while (epoch >= self.activation_epoch) {
        if (self.exchange_rates.contains(epoch)) return *self.exchange_rates.borrow(epoch);
        if (epoch == 0) break;
        epoch = epoch - 1;
    };
    pool_exchange_rate::flat()
}

/// The reward of a principal activated at `activation_epoch` and withdrawn at
/// `withdraw_epoch`: `max(0, rate[W].to_wal(rate[A].to_shares(P)) - P)`.
public fun calculate_rewards(
    self: &StakingPool,
    principal: u64,
    activation_epoch: u32,
    withdraw_epoch: u32,
): u64 {
    let shares = self.exchange_rate_at_epoch(activation_epoch).convert_to_share_amount(principal);
    let value = self.exchange_rate_at_epoch(withdraw_epoch).convert_to_wal_amount(shares);
    if (value > principal) value - principal else 0
}

/// The stake the pool will have at `epoch` given what is scheduled now: `wal_balance` plus
/// the pending stake due by `epoch`, minus the withdrawals due by `epoch` converted at the
/// current `(wal_balance, num_shares)` rate (pre-active principals first to shares at the rate
/// of the epoch before they are due).
public fun wal_balance_at_epoch(self: &StakingPool, epoch: u32): u64 {
    let rate = pool_exchange_rate::new(self.wal_balance, self.num_shares);
    let shares = self.pending_shares_withdraw.value_at(epoch) + self.pre_active_shares_due(epoch);
    self.wal_balance + self.pending_stake.value_at(epoch) - rate.convert_to_wal_amount(shares)
}

/// The node id.
public fun node_id(self: &StakingPool): ID { self.id.to_inner() }

/// The node information.
public fun node_info(self: &StakingPool): &StorageNodeInfo { &self.node_info }

/// The storage price vote.
public fun storage_price(self: &StakingPool): u64 { self.voting_params.storage_price }

/// The write price vote.
public fun write_price(self: &StakingPool): u64 { self.voting_params.write_price }

/// The capacity vote.
public fun node_capacity(self: &StakingPool): u64 { self.voting_params.node_capacity }

/// The pool's activation epoch.
public fun activation_epoch(self: &StakingPool): u32 { self.activation_epoch }

/// The epoch the pool was last advanced to.
public fun latest_epoch(self: &StakingPool): u32 { self.latest_epoch }

/// Active stake plus accumulated rewards.
public fun wal_balance(self: &StakingPool): u64 { self.wal_balance }

/// Total shares.
public fun num_shares(self: &StakingPool): u64 { self.num_shares }

/// The current commission rate (bps).
public fun commission_rate(self: &StakingPool): u16 { self.commission_rate }

/// The scheduled commission rates.
public fun pending_commission_rate(self: &StakingPool): &PendingValues {
    &self.pending_commission_rate
}

/// The stake waiting for activation.
public fun pending_stake(self: &StakingPool): &PendingValues { &self.pending_stake }

/// The shares waiting to leave.
public fun pending_shares_withdraw(self: &StakingPool): &PendingValues {
    &self.pending_shares_withdraw
}

/// The pre-active principals waiting to leave.
public fun pre_active_withdrawals(self: &StakingPool): &PendingValues {
    &self.pre_active_withdrawals
}

/// The collectable commission.
public fun commission_amount(self: &StakingPool): u64 { self.commission.value() }

/// The rewards backing.
public fun rewards_amount(self: &StakingPool): u64 { self.rewards_pool.value() }

/// Who may collect the commission.
public fun commission_receiver(self: &StakingPool): &Authorized { &self.commission_receiver }

/// Who may act in governance.
public fun governance_authorized(self: &StakingPool): &Authorized { &self.governance_authorized }

// === Test-only ===

#[test_only]
/// Destroys a pool in tests.
public fun destroy_for_testing(self: StakingPool) {
    std::unit_test::destroy(self)
}

#[test_only]
/// Moves the pool to the withdrawing state at `epoch` (no entry point does this yet).
public fun set_withdrawing_for_testing(self: &mut StakingPool, epoch: u32) {
    self.state = PoolState::Withdrawing(epoch);
}
