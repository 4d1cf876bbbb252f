//! The staking pool of one storage node, mirroring
//! `move/walrus/sources/staking/staking_pool.move` step for step (the accounting rules are in
//! that module's documentation and in move/walrus/README.md, "How rewards are computed").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use super::errors::{
    add, add32, ensure,
    framework::EFieldAlreadyExists,
    staking_pool::MODULE as STAKING_POOL,
    staking_pool::{
        EActivationEpochNotReached, EAuthorizationFailure, ECalculationError,
        EIncorrectCommissionRate, EIncorrectEpochAdvance, EIncorrectPoolId, ENotStaked,
        ENotWithdrawing, EPoolAlreadyUpdated, EPoolIsNotActive, EWithdrawDirectly,
        EWithdrawEpochNotReached, EZeroShares, EZeroStake,
    },
    sub, to_u64,
};
use super::exchange_rate::{self, Convert, PoolExchangeRate};
use super::node::{self, Authenticated, Authorized, NodeInfoOps, NodeMetadata};
use super::pending_values::{Pending, PendingValues};
use super::staked_wal::{self, StakedWal, StakedWalOps};
use crate::types::{ExecutionFailure, ObjectId};
use crate::walrus::{to_move_id, to_object_id};

/// Basis points in 100%.
pub const N_BASIS_POINTS: u64 = 10_000;

use walrus_core::contracts::staking as twin;
pub use walrus_core::contracts::staking::VotingParams;

/// A staking pool as the devnet stores it: the Move `StakingPool` (`walrus_core`'s twin, with
/// its id = the node id) and the dynamic fields Sui keeps beside it: the node's metadata (the
/// value of `node_info.metadata`), the entries of the `exchange_rates` table and the one
/// possible entry of the `extra_fields` bag. The twin's table and bag sizes are kept equal to
/// the entries held here, as Move's `table::add`/`bag::add` keep them. The Move value's fields
/// are reached through `Deref`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakingPool {
    /// The Move value.
    pub pool: twin::StakingPool,
    /// The node's metadata (the value of its `ExtendedField`).
    pub metadata: NodeMetadata,
    /// Epoch -> exchange rate at the start of that epoch (the table's entries).
    pub exchange_rates: BTreeMap<u32, PoolExchangeRate>,
    /// The bag's only possible entry, `NewEpochCommissionBlockedForCollection -> u64`: the
    /// commission the last epoch change added that cannot be collected before `voting_end`.
    pub blocked_commission: Option<u64>,
}

impl std::ops::Deref for StakingPool {
    type Target = twin::StakingPool;

    fn deref(&self) -> &twin::StakingPool {
        &self.pool
    }
}

impl std::ops::DerefMut for StakingPool {
    fn deref_mut(&mut self) -> &mut twin::StakingPool {
        &mut self.pool
    }
}

/// The arguments of `staking_pool::new` that describe the node.
#[derive(Debug, Clone)]
pub struct NewPool {
    /// Name.
    pub name: String,
    /// Network address.
    pub network_address: String,
    /// Metadata.
    pub metadata: NodeMetadata,
    /// Compressed BLS key.
    pub public_key: Vec<u8>,
    /// Network key.
    pub network_public_key: Vec<u8>,
    /// Commission (bps).
    pub commission_rate: u16,
    /// Storage price vote.
    pub storage_price: u64,
    /// Write price vote.
    pub write_price: u64,
    /// Capacity vote.
    pub node_capacity: u64,
}

/// Whether `staked_wal` can be withdrawn in one step, principal only (Move
/// `staking_pool::can_withdraw_early`).
pub fn can_withdraw_early(
    staked_wal: &StakedWal,
    in_next_committee: bool,
    epoch: u32,
    committee_selected: bool,
) -> bool {
    let activation = u64::from(staked_wal.activation_epoch);
    let next = u64::from(epoch) + 1;
    staked_wal.is_staked()
        && (activation > next
            || (activation == next && (!committee_selected || !in_next_committee)))
}

impl StakingPool {
    /// A new pool created in `epoch` (Move `staking_pool::new`); `ids` are the three object ids
    /// the call creates: the pool, its exchange-rate table and its `extra_fields` bag.
    /// Commission receiver and governance default to `sender`.
    pub fn new(
        args: NewPool,
        epoch: u32,
        committee_selected: bool,
        ids: [ObjectId; 4],
        sender: Address,
    ) -> Result<Self, ExecutionFailure> {
        let [id, exchange_rates_id, metadata_id, extra_fields_id] = ids;
        ensure(
            u64::from(args.commission_rate) <= N_BASIS_POINTS,
            EIncorrectCommissionRate,
        )?;
        let node_info = node::new_node_info(
            args.name,
            id,
            args.network_address,
            &args.public_key,
            args.network_public_key,
            metadata_id,
        )?;
        let activation_epoch = if committee_selected {
            add32(STAKING_POOL, epoch, 1)?
        } else {
            epoch
        };
        Ok(Self {
            pool: twin::StakingPool {
                id: to_move_id(id),
                state: twin::PoolState::Active,
                voting_params: VotingParams {
                    storage_price: args.storage_price,
                    write_price: args.write_price,
                    node_capacity: args.node_capacity,
                },
                node_info,
                activation_epoch,
                latest_epoch: epoch,
                wal_balance: 0,
                num_shares: 0,
                pending_shares_withdraw: PendingValues::default(),
                pre_active_withdrawals: PendingValues::default(),
                pending_commission_rate: PendingValues::default(),
                commission_rate: args.commission_rate,
                exchange_rates: twin::Table {
                    id: to_move_id(exchange_rates_id),
                    size: 1,
                },
                pending_stake: PendingValues::default(),
                rewards_pool: 0,
                commission: 0,
                commission_receiver: Authorized::Address(to_move_id(sender)),
                governance_authorized: Authorized::Address(to_move_id(sender)),
                extra_fields: twin::Bag {
                    id: to_move_id(extra_fields_id),
                    size: 0,
                },
            },
            metadata: args.metadata,
            exchange_rates: BTreeMap::from([(activation_epoch, PoolExchangeRate::Flat)]),
            blocked_commission: None,
        })
    }

    /// The pool's ledger id (= the node id).
    pub fn object_id(&self) -> ObjectId {
        to_object_id(self.pool.id)
    }

    /// Sets the bag's entry and its size (Move `bag::add`/`bag::remove`).
    fn set_blocked_commission(&mut self, blocked: Option<u64>) {
        self.pool.extra_fields.size = u64::from(blocked.is_some());
        self.blocked_commission = blocked;
    }

    // === Epoch advance ===

    /// Advances the pool to `epoch` with `rewards`, what it earned as a member of the ending
    /// committee (zero for a pool that joins it): Move `staking_pool::advance_epoch`, as
    /// mainnet (a pool outside the committees is not advanced, and then in one step).
    pub fn advance_epoch(&mut self, rewards: u64, epoch: u32) -> Result<(), ExecutionFailure> {
        ensure(epoch > self.latest_epoch, EPoolAlreadyUpdated)?;
        ensure(rewards == 0 || self.wal_balance > 0, EIncorrectEpochAdvance)?;
        let commission = to_u64(
            STAKING_POOL,
            u128::from(rewards) * u128::from(self.commission_rate) / u128::from(N_BASIS_POINTS),
        )?;
        let delegators = sub(STAKING_POOL, rewards, commission)?;
        self.add_commission(commission, true)?;

        // A commission rate scheduled for exactly this epoch (then every schedule up to it is
        // dropped; always <= 10_000, checked when scheduled).
        if let Some(&rate) = self.pending_commission_rate.0.get(&epoch) {
            self.commission_rate =
                u16::try_from(rate).map_err(|_| crate::walrus::errors::arithmetic(STAKING_POOL))?;
            self.pending_commission_rate.flush(epoch)?;
        }

        self.rewards_pool = add(STAKING_POOL, self.rewards_pool, delegators)?;
        self.wal_balance = add(STAKING_POOL, self.wal_balance, delegators)?;
        self.latest_epoch = epoch;
        self.pool.node_info.rotate_public_key();
        self.process_pending_stake(epoch)
    }

    /// Move `staking_pool::process_pending_stake`: records the rate of `epoch`, then applies
    /// the stake and the withdrawals due by `epoch`.
    pub fn process_pending_stake(&mut self, epoch: u32) -> Result<(), ExecutionFailure> {
        let rate = exchange_rate::new(self.wal_balance, self.num_shares)?;
        ensure(
            !self.exchange_rates.contains_key(&epoch),
            EFieldAlreadyExists,
        )?;
        self.exchange_rates.insert(epoch, rate);
        self.pool.exchange_rates.size += 1;
        self.wal_balance = add(
            STAKING_POOL,
            self.wal_balance,
            self.pending_stake.flush(epoch)?,
        )?;
        let pre_active_shares = self.pre_active_shares_due(epoch)?;
        self.pre_active_withdrawals.flush(epoch)?;
        let shares_out = add(
            STAKING_POOL,
            self.pending_shares_withdraw.flush(epoch)?,
            pre_active_shares,
        )?;
        let wal_out = rate.to_wal_amount(shares_out)?;
        ensure(self.wal_balance >= wal_out, ECalculationError)?;
        self.wal_balance -= wal_out;
        self.num_shares = rate.to_share_amount(self.wal_balance)?;
        Ok(())
    }

    /// The shares of the pre-active withdrawals due by `epoch`: a withdrawal due at `k` holds
    /// a principal active from `k - 1`, converted at that epoch's rate.
    fn pre_active_shares_due(&self, epoch: u32) -> Result<u64, ExecutionFailure> {
        let mut total = 0;
        for due in self
            .pre_active_withdrawals
            .0
            .contents
            .iter()
            .filter(|e| e.key <= epoch)
        {
            let shares = self
                .exchange_rate_at_epoch(due.key.saturating_sub(1))
                .to_share_amount(due.value)?;
            total = add(STAKING_POOL, total, shares)?;
        }
        Ok(total)
    }

    // === Staking ===

    /// Stakes `principal` (not zero: `EZeroStake`) in `epoch`:
    /// active from `epoch + 1`, or `epoch + 2` if the next committee is selected. `id` is the
    /// new `StakedWal`'s id.
    pub fn stake(
        &mut self,
        principal: u64,
        epoch: u32,
        committee_selected: bool,
        id: ObjectId,
    ) -> Result<StakedWal, ExecutionFailure> {
        ensure(
            self.state == walrus_core::contracts::staking::PoolState::Active,
            EPoolIsNotActive,
        )?;
        ensure(principal > 0, EZeroStake)?;
        let activation_epoch = add32(STAKING_POOL, epoch, if committee_selected { 2 } else { 1 })?;
        let staked = staked_wal::mint(id, self.object_id(), principal, activation_epoch)?;
        self.pending_stake
            .insert_or_add(activation_epoch, principal)?;
        Ok(staked)
    }

    /// Requests the withdrawal of `staked_wal` in `epoch` (Move
    /// `staking_pool::request_withdraw_stake`).
    pub fn request_withdraw_stake(
        &mut self,
        staked_wal: &mut StakedWal,
        in_current_committee: bool,
        in_next_committee: bool,
        epoch: u32,
        committee_selected: bool,
    ) -> Result<(), ExecutionFailure> {
        ensure(staked_wal.node_id == self.id, EIncorrectPoolId)?;
        ensure(staked_wal.is_staked(), ENotStaked)?;
        ensure(
            !can_withdraw_early(staked_wal, in_next_committee, epoch, committee_selected),
            EWithdrawDirectly,
        )?;
        let in_next = committee_selected && in_next_committee;
        let activation = staked_wal.activation_epoch;
        let principal = staked_wal.value();
        if activation > epoch {
            let withdraw_epoch = add32(STAKING_POOL, epoch, 2)?;
            self.pre_active_withdrawals
                .insert_or_add(withdraw_epoch, principal)?;
            staked_wal.set_withdrawing(withdraw_epoch)?;
        } else {
            ensure(in_current_committee || in_next, EWithdrawDirectly)?;
            let withdraw_epoch = add32(STAKING_POOL, epoch, if in_next { 2 } else { 1 })?;
            let shares = self
                .exchange_rate_at_epoch(activation)
                .to_share_amount(principal)?;
            ensure(shares != 0, EZeroShares)?;
            self.pending_shares_withdraw
                .insert_or_add(withdraw_epoch, shares)?;
            staked_wal.set_withdrawing(withdraw_epoch)?;
        }
        Ok(())
    }

    /// Withdraws `staked_wal` in `epoch` (Move `staking_pool::withdraw_stake`, as mainnet);
    /// returns the FROST paid out (principal plus rewards). The caller deletes the object.
    pub fn withdraw_stake(
        &mut self,
        staked_wal: &StakedWal,
        in_current_committee: bool,
        in_next_committee: bool,
        epoch: u32,
        committee_selected: bool,
    ) -> Result<u64, ExecutionFailure> {
        let principal = staked_wal.value();
        ensure(principal > 0, EZeroStake)?;
        ensure(staked_wal.node_id == self.id, EIncorrectPoolId)?;
        let activation = staked_wal.activation_epoch;
        if can_withdraw_early(staked_wal, in_next_committee, epoch, committee_selected) {
            self.pending_stake.reduce(activation, principal)?;
            return Ok(principal);
        }
        let in_next = committee_selected && in_next_committee;
        let reward = if !in_current_committee && !in_next && staked_wal.is_staked() {
            if activation > epoch {
                self.pending_stake.reduce(activation, principal)?;
                0
            } else {
                // The node is not advanced while it is outside the committees: its shares
                // leave at its next advance.
                let shares = self
                    .exchange_rate_at_epoch(activation)
                    .to_share_amount(principal)?;
                self.pending_shares_withdraw.insert_or_add(epoch, shares)?;
                self.calculate_rewards(principal, activation, epoch)?
            }
        } else {
            ensure(staked_wal.is_withdrawing(), ENotWithdrawing)?;
            let withdraw_epoch = staked_wal.withdraw_epoch_or_abort()?;
            ensure(withdraw_epoch <= epoch, EWithdrawEpochNotReached)?;
            ensure(activation <= epoch, EActivationEpochNotReached)?;
            self.calculate_rewards(principal, activation, withdraw_epoch)?
        };
        let reward = reward.min(self.rewards_pool);
        self.rewards_pool -= reward;
        add(STAKING_POOL, principal, reward)
    }

    // === Commission and authorization ===

    /// Schedules `commission_rate` (bps) for `epoch + 2`.
    pub fn set_next_commission(
        &mut self,
        commission_rate: u16,
        epoch: u32,
    ) -> Result<(), ExecutionFailure> {
        ensure(
            u64::from(commission_rate) <= N_BASIS_POINTS,
            EIncorrectCommissionRate,
        )?;
        self.pending_commission_rate
            .insert_or_replace(add32(STAKING_POOL, epoch, 2)?, u64::from(commission_rate));
        Ok(())
    }

    /// Takes the whole commission; `auth` must match the commission receiver.
    pub fn collect_commission(&mut self, auth: &Authenticated) -> Result<u64, ExecutionFailure> {
        ensure(
            auth.matches(&self.commission_receiver),
            EAuthorizationFailure,
        )?;
        let blocked = self.blocked_commission.unwrap_or(0);
        let collectable = self.commission.saturating_sub(blocked);
        self.commission -= collectable;
        Ok(collectable)
    }

    /// `staking_pool::add_commission`: adds `amount` to the commission, blocked for collection
    /// until `voting_end` if `block`; the new total.
    pub fn add_commission(&mut self, amount: u64, block: bool) -> Result<u64, ExecutionFailure> {
        self.commission = add(STAKING_POOL, self.commission, amount)?;
        if block {
            let blocked = self.blocked_commission.unwrap_or(0);
            self.set_blocked_commission(Some(add(STAKING_POOL, blocked, amount)?));
        }
        Ok(self.commission)
    }

    /// `staking_pool::clear_blocked_commission` (`voting_end`).
    pub fn clear_blocked_commission(&mut self) {
        self.set_blocked_commission(None);
    }

    /// `staking_pool::extract_commission_to_burn`: the whole commission, blocked or not.
    pub fn extract_commission_to_burn(&mut self) -> u64 {
        self.clear_blocked_commission();
        std::mem::take(&mut self.commission)
    }

    /// Sets the commission receiver; `auth` must match the current one.
    pub fn set_commission_receiver(
        &mut self,
        auth: &Authenticated,
        receiver: Authorized,
    ) -> Result<(), ExecutionFailure> {
        ensure(
            auth.matches(&self.commission_receiver),
            EAuthorizationFailure,
        )?;
        self.commission_receiver = receiver;
        Ok(())
    }

    /// Sets who may act in governance; `auth` must match the current one.
    pub fn set_governance_authorized(
        &mut self,
        auth: &Authenticated,
        authorized: Authorized,
    ) -> Result<(), ExecutionFailure> {
        ensure(
            auth.matches(&self.governance_authorized),
            EAuthorizationFailure,
        )?;
        self.governance_authorized = authorized;
        Ok(())
    }

    // === Accessors ===

    /// The exchange rate at the start of `epoch`: the latest rate recorded at or before
    /// `epoch`, down to the activation epoch; `Flat` before it.
    pub fn exchange_rate_at_epoch(&self, epoch: u32) -> PoolExchangeRate {
        walrus_core::contracts::staking::recorded_rate_at(
            &self.exchange_rates,
            self.activation_epoch,
            epoch,
        )
        .unwrap_or(PoolExchangeRate::Flat)
    }

    /// `max(0, rate[W].to_wal(rate[A].to_shares(P)) - P)`.
    pub fn calculate_rewards(
        &self,
        principal: u64,
        activation_epoch: u32,
        withdraw_epoch: u32,
    ) -> Result<u64, ExecutionFailure> {
        exchange_rate::calculate_rewards(
            &self.exchange_rate_at_epoch(activation_epoch),
            &self.exchange_rate_at_epoch(withdraw_epoch),
            principal,
        )
    }

    /// The stake the pool will have at `epoch` given what is scheduled now (Move
    /// `staking_pool::wal_balance_at_epoch`): withdrawals are converted at the current
    /// `(wal_balance, num_shares)` rate.
    pub fn wal_balance_at_epoch(&self, epoch: u32) -> Result<u64, ExecutionFailure> {
        let rate = exchange_rate::new(self.wal_balance, self.num_shares)?;
        let shares = add(
            STAKING_POOL,
            self.pending_shares_withdraw.value_at_or_abort(epoch)?,
            self.pre_active_shares_due(epoch)?,
        )?;
        let plus = add(
            STAKING_POOL,
            self.wal_balance,
            self.pending_stake.value_at_or_abort(epoch)?,
        )?;
        sub(STAKING_POOL, plus, rate.to_wal_amount(shares)?)
    }

    /// The storage price vote.
    pub fn storage_price(&self) -> u64 {
        self.voting_params.storage_price
    }

    /// The write price vote.
    pub fn write_price(&self) -> u64 {
        self.voting_params.write_price
    }

    /// The capacity vote.
    pub fn node_capacity(&self) -> u64 {
        self.voting_params.node_capacity
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::active_set::tests::test_node_id;
    use super::*;

    const WAL: u64 = 1_000_000_000;

    fn frost(n: u64) -> u64 {
        n * WAL
    }

    fn pool(commission: u16, epoch: u32) -> Result<StakingPool, ExecutionFailure> {
        let key = crate::bls::BlsPrivateKey::from_ikm(&[0; 32]).unwrap();
        let mut network_public_key = vec![2u8];
        network_public_key.extend(0u8..32);
        StakingPool::new(
            NewPool {
                name: "pool".into(),
                network_address: "127.0.0.1:1".into(),
                metadata: NodeMetadata::default(),
                public_key: key.public_key().as_bytes().to_vec(),
                network_public_key,
                commission_rate: commission,
                storage_price: 1,
                write_price: 2,
                node_capacity: 3,
            },
            epoch,
            false,
            [
                test_node_id(50),
                test_node_id(51),
                test_node_id(53),
                test_node_id(52),
            ],
            Address::ZERO,
        )
    }

    // Mirrors staking_pool_tests.move::steps_record_rates_and_activate_stake.
    #[test]
    fn staking_with_a_pool_that_is_not_active_aborts() {
        // Mirrors staking_pool_tests.move::staking_with_a_pool_that_is_not_active_aborts.
        let mut p = pool(0, 0).unwrap();
        assert_eq!(p.state, walrus_core::contracts::staking::PoolState::Active);
        p.state = walrus_core::contracts::staking::PoolState::Withdrawing(2);
        let err = p.stake(frost(1), 0, false, test_node_id(60)).unwrap_err();
        assert!(EPoolIsNotActive.matches(&err));
    }

    #[test]
    fn steps_record_rates_and_activate_stake() {
        let mut p = pool(2_000, 0).unwrap();
        let s1 = p.stake(frost(100), 0, false, test_node_id(60)).unwrap();
        assert_eq!(s1.activation_epoch, 1);
        assert_eq!(p.wal_balance_at_epoch(1).unwrap(), frost(100));
        assert_eq!(p.wal_balance_at_epoch(0).unwrap(), 0);
        p.advance_epoch(0, 1).unwrap();
        assert_eq!(p.wal_balance, frost(100));
        assert_eq!(p.num_shares, frost(100));
        assert_eq!(p.exchange_rate_at_epoch(1), PoolExchangeRate::Flat);
        p.advance_epoch(1_000, 2).unwrap();
        assert_eq!(p.commission, 200);
        assert_eq!(p.rewards_pool, 800);
        assert_eq!(p.wal_balance, frost(100) + 800);
        assert_eq!(
            p.exchange_rate_at_epoch(2),
            PoolExchangeRate::new(frost(100) + 800, frost(100))
        );
        assert_eq!(p.calculate_rewards(frost(100), 1, 2).unwrap(), 800);
        assert_eq!(p.calculate_rewards(frost(100), 1, 9).unwrap(), 800);
        assert_eq!(p.latest_epoch, 2);
    }

    // Mirrors staking_pool_tests.move::a_pool_left_alone_is_advanced_in_one_step.
    #[test]
    fn a_pool_left_alone_is_advanced_in_one_step() {
        let mut p = pool(0, 0).unwrap();
        let s1 = p.stake(frost(3), 0, true, test_node_id(60)).unwrap();
        assert_eq!(s1.activation_epoch, 2);
        p.advance_epoch(0, 4).unwrap();
        assert_eq!(p.latest_epoch, 4);
        assert_eq!(p.wal_balance, frost(3));
        assert_eq!(p.num_shares, frost(3));
        assert_eq!(p.exchange_rate_at_epoch(3), PoolExchangeRate::Flat);
        p.advance_epoch(30, 7).unwrap();
        assert_eq!(p.latest_epoch, 7);
        assert_eq!(p.wal_balance, frost(3) + 30);
        assert_eq!(p.exchange_rate_at_epoch(6), PoolExchangeRate::Flat);
        assert_eq!(p.calculate_rewards(frost(3), 2, 7).unwrap(), 30);
        assert_eq!(p.calculate_rewards(frost(3), 2, 6).unwrap(), 0);
    }

    // Mirrors staking_pool_tests.move::{advance_to_same_epoch_aborts,
    // withdraw_other_pools_stake_aborts, request_other_pools_stake_aborts,
    // new_pool_with_commission_above_100_percent_aborts}.
    #[test]
    fn aborts() {
        let mut p = pool(0, 0).unwrap();
        // Mirrors staking_pool_tests.move::rewards_for_a_pool_without_stake_abort.
        assert!(EIncorrectEpochAdvance.matches(&p.advance_epoch(5, 1).unwrap_err()));
        p.advance_epoch(0, 1).unwrap();
        assert!(EPoolAlreadyUpdated.matches(&p.advance_epoch(0, 1).unwrap_err()));
        let mut sw = staked_wal::mint(test_node_id(60), test_node_id(3), frost(1), 1).unwrap();
        assert!(
            EIncorrectPoolId.matches(&p.withdraw_stake(&sw, false, false, 0, false).unwrap_err())
        );
        assert!(
            EIncorrectPoolId.matches(
                &p.request_withdraw_stake(&mut sw, true, false, 0, false)
                    .unwrap_err()
            )
        );
        assert!(EIncorrectCommissionRate.matches(&pool(10_001, 0).unwrap_err()));
    }

    // Mirrors staking_pool_tests.move::newest_scheduled_commission_wins.
    #[test]
    fn newest_scheduled_commission_wins() {
        let mut p = pool(100, 0).unwrap();
        p.set_next_commission(300, 0).unwrap();
        p.set_next_commission(500, 1).unwrap();
        p.advance_epoch(0, 2).unwrap();
        assert_eq!(p.commission_rate, 300);
        p.advance_epoch(0, 3).unwrap();
        assert_eq!(p.commission_rate, 500);
        p.set_next_commission(700, 3).unwrap();
        p.set_next_commission(800, 3).unwrap();
        p.advance_epoch(0, 5).unwrap();
        assert_eq!(p.commission_rate, 800);
        // Only an advance to exactly the scheduled epoch applies it.
        p.set_next_commission(900, 5).unwrap();
        p.advance_epoch(0, 8).unwrap();
        assert_eq!(p.commission_rate, 800);
        assert!(EIncorrectCommissionRate.matches(&p.set_next_commission(10_001, 5).unwrap_err()));
    }
}
