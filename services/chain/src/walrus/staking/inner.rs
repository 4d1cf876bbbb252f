//! The staking state (version 1) and its epoch state machine, mirroring
//! `move/walrus/sources/staking/staking_inner.move` function by function: the same checks in
//! the same order, the same abort codes, the same events and the same integer arithmetic.
//!
//! The state talks to the rest of the ledger through [`StakingEnv`]: pools are separate ledger
//! objects (Move: an `ObjectTable<ID, StakingPool>`), and the epoch change calls into the
//! `System` (burn, `advance_epoch`, prices), which SYSTEM's `walrus::system` implements.

use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use super::active_set::{self, ActiveSet, ActiveSetOps};
use super::apportionment;
use super::committee::{self, Committee, CommitteeOps};
use super::errors::{
    add, add32, ensure,
    staking_inner::MODULE as STAKING_INNER,
    staking_inner::{
        ECommitteeSelected, EDuplicateSyncDone, EIncorrectNodeOrder, EInvalidNodeWeight,
        EInvalidParameters, EInvalidSyncEpoch, ENextCommitteeIsEmpty, ENoStake, ENotInCommittee,
        EWrongEpochState, EZeroNodeWeight,
    },
};
use super::events::StakingEvent;
use super::node::{
    self, Authenticated, Authorized, CapOps, NodeInfoOps, NodeMetadata, StorageNodeCap,
    UncompressedG1, check_name, check_network_address, check_proof_of_possession,
};
use super::pool::{NewPool, StakingPool, can_withdraw_early};
use super::quantile;
use super::staked_wal::{StakedWal, StakedWalOps};
use crate::types::{ExecutionFailure, ObjectId};
use crate::walrus::errors::dynamic_field;
use crate::walrus::{to_move_id, to_object_id};
use walrus_core::contracts::staking::{self as twin, VecMap};
use walrus_core::contracts::{ExtendedField, ObjectId as MoveId};

/// Maximal number of nodes in the active set.
pub const ACTIVE_SET_SIZE_LIMIT: u16 = 111;
/// The least stake a node needs to be in the active set (Move `MIN_STAKE`: none).
pub const MIN_STAKE: u64 = 0;

pub use walrus_core::contracts::EpochParams;

pub use walrus_core::contracts::staking::EpochState;

/// One member of the BLS committee handed to `system::advance_epoch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCommitteeMember {
    /// The node.
    pub node_id: ObjectId,
    /// Its BLS key (uncompressed), fixed at the committee selection.
    pub public_key: Vec<u8>,
    /// Its shard count.
    pub weight: u16,
}

/// What the staking state needs from the ledger around it.
pub trait StakingEnv {
    /// The ledger time of the transaction (Move's `Clock`).
    fn now_ms(&self) -> u64;
    /// A fresh object id (Move `object::new`).
    fn new_id(&mut self) -> ObjectId;
    /// A copy of the pool of `node_id`, if registered.
    fn pool(&self, node_id: &ObjectId) -> Option<StakingPool>;
    /// Stores a pool (new or changed).
    fn put_pool(&mut self, pool: StakingPool);
    /// Emits a `walrus::events` event.
    fn emit(&mut self, event: StakingEvent);
    /// `system::extract_burn_balance` (3% of the current epoch's rewards).
    fn extract_burn_balance(&mut self) -> Result<u64, ExecutionFailure>;
    /// Burns `amount` FROST through the WAL treasury.
    fn burn(&mut self, amount: u64) -> Result<(), ExecutionFailure>;
    /// `system::advance_epoch` with the BLS committee of `epoch` (members in node-id order);
    /// returns the ending epoch's reward per node of the old committee, in committee order.
    fn advance_system_epoch(
        &mut self,
        epoch: u32,
        members: Vec<NewCommitteeMember>,
        params: &EpochParams,
    ) -> Result<Vec<(ObjectId, u64)>, ExecutionFailure>;
    /// `system::set_prices`.
    fn set_prices(&mut self, storage_price: u64, write_price: u64) -> Result<(), ExecutionFailure>;
}

/// The arguments of `register_candidate` besides the sender.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Name (<= 100 bytes).
    pub name: String,
    /// `host:port` (<= 259 bytes).
    pub network_address: String,
    /// Metadata.
    pub metadata: NodeMetadata,
    /// Compressed BLS key (48 bytes).
    pub public_key: Vec<u8>,
    /// Network key (33 bytes).
    pub network_public_key: Vec<u8>,
    /// BLS signature over the proof-of-possession message.
    pub proof_of_possession: Vec<u8>,
    /// Commission in bps (<= 10_000).
    pub commission_rate: u16,
    /// Storage price vote.
    pub storage_price: u64,
    /// Write price vote.
    pub write_price: u64,
    /// Capacity vote.
    pub node_capacity: u64,
}

/// The staking state as the devnet stores it: the Move `StakingInnerV1` (`walrus_core`'s twin)
/// and what Sui keeps beside it: the ids of the pools in its `pools` object table (in
/// registration order; the table's `size` counts them), and the values of its two
/// `ExtendedField`s, the active set and the next committee's keys. The Move value's fields are
/// reached through `Deref`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakingInnerV1 {
    /// The Move value.
    pub inner: twin::StakingInnerV1,
    /// The registered node ids, in registration order (the keys of the `pools` table).
    pub pool_ids: Vec<ObjectId>,
    /// Candidates for the next committee (the value of `active_set`).
    pub active_set: ActiveSet,
    /// The BLS keys of the next committee, fixed at selection, in node-id order (the value of
    /// `next_epoch_public_keys`).
    pub next_epoch_public_keys: VecMap<MoveId, UncompressedG1>,
}

impl std::ops::Deref for StakingInnerV1 {
    type Target = twin::StakingInnerV1;

    fn deref(&self) -> &twin::StakingInnerV1 {
        &self.inner
    }
}

impl std::ops::DerefMut for StakingInnerV1 {
    fn deref_mut(&mut self) -> &mut twin::StakingInnerV1 {
        &mut self.inner
    }
}

impl StakingInnerV1 {
    /// The state at epoch 0 (Move `staking_inner::new`): no pools, empty committees, epoch
    /// change done `now`, epoch 1 may start `epoch_zero_duration` ms from now. `ids` are those
    /// Move creates, in its order: the pools table, the active set's and the next keys'
    /// `ExtendedField`s.
    pub fn new(
        epoch_zero_duration: u64,
        epoch_duration: u64,
        n_shards: u16,
        now: u64,
        ids: [ObjectId; 3],
    ) -> Result<Self, ExecutionFailure> {
        let [pools_id, active_set_id, next_epoch_public_keys_id] = ids;
        ensure(n_shards > 0 && epoch_duration > 0, EInvalidParameters)?;
        Ok(Self {
            inner: twin::StakingInnerV1 {
                n_shards,
                epoch_duration,
                first_epoch_start: add(STAKING_INNER, now, epoch_zero_duration)?,
                pools: twin::Table {
                    id: to_move_id(pools_id),
                    size: 0,
                },
                epoch: 0,
                active_set: ExtendedField {
                    id: to_move_id(active_set_id),
                },
                next_committee: None,
                committee: Committee::default(),
                previous_committee: Committee::default(),
                next_epoch_params: None,
                epoch_state: EpochState::EpochChangeDone(now),
                next_epoch_public_keys: ExtendedField {
                    id: to_move_id(next_epoch_public_keys_id),
                },
            },
            pool_ids: Vec::new(),
            active_set: active_set::new_active_set(ACTIVE_SET_SIZE_LIMIT, MIN_STAKE)?,
            next_epoch_public_keys: VecMap::default(),
        })
    }

    // === Node registration and settings ===

    /// Registers a node and its pool; returns the operator's capability (Move
    /// `register_candidate`). Object ids, in creation order: pool, its rate table, the
    /// metadata's `ExtendedField`, the pool's bag, the cap.
    pub fn register_candidate(
        &mut self,
        env: &mut impl StakingEnv,
        sender: Address,
        r: Registration,
    ) -> Result<StorageNodeCap, ExecutionFailure> {
        // Move `staking_pool::new`'s checks, in its order (the commission and the network key
        // follow in `StakingPool::new`).
        check_proof_of_possession(self.epoch, sender, &r.public_key, &r.proof_of_possession)?;
        check_name(&r.name)?;
        check_network_address(&r.network_address)?;
        // Move's order: the pool, its rate table, the metadata's `ExtendedField`, the bag.
        let pool_id = env.new_id();
        let table_id = env.new_id();
        let metadata_id = env.new_id();
        let bag_id = env.new_id();
        let mut pool = StakingPool::new(
            NewPool {
                name: r.name,
                network_address: r.network_address,
                metadata: r.metadata,
                public_key: r.public_key,
                network_public_key: r.network_public_key,
                commission_rate: r.commission_rate,
                storage_price: r.storage_price,
                write_price: r.write_price,
                node_capacity: r.node_capacity,
            },
            self.epoch,
            self.next_committee.is_some(),
            [pool_id, table_id, metadata_id, bag_id],
            sender,
        )?;
        let cap = node::new_cap(env.new_id(), pool_id);
        pool.commission_receiver = Authorized::ObjectID(cap.id);
        env.put_pool(pool);
        self.pool_ids.push(pool_id);
        self.inner.pools.size += 1;
        Ok(cap)
    }

    /// Schedules a new BLS key, with its proof of possession.
    pub fn set_next_public_key(
        &mut self,
        env: &mut impl StakingEnv,
        sender: Address,
        cap: &StorageNodeCap,
        public_key: &[u8],
        proof_of_possession: &[u8],
    ) -> Result<(), ExecutionFailure> {
        let epoch = self.epoch;
        self.with_pool(env, cap.pool_id(), |p| {
            check_proof_of_possession(epoch, sender, public_key, proof_of_possession)?;
            p.node_info.set_next_public_key(public_key)
        })
    }

    /// Runs `f` on the pool of `node_id` (Move `pool_mut`), and stores it.
    pub fn with_pool<R>(
        &self,
        env: &mut impl StakingEnv,
        node_id: ObjectId,
        f: impl FnOnce(&mut StakingPool) -> Result<R, ExecutionFailure>,
    ) -> Result<R, ExecutionFailure> {
        let mut pool = self.pool(env, &node_id)?;
        let result = f(&mut pool)?;
        env.put_pool(pool);
        Ok(result)
    }

    /// Schedules a commission rate for epoch E + 2.
    pub fn set_next_commission(
        &self,
        env: &mut impl StakingEnv,
        cap: &StorageNodeCap,
        commission_rate: u16,
    ) -> Result<(), ExecutionFailure> {
        let epoch = self.epoch;
        self.with_pool(env, cap.pool_id(), |p| {
            p.set_next_commission(commission_rate, epoch)
        })
    }

    /// Collects the commission of `node_id`.
    pub fn collect_commission(
        &self,
        env: &mut impl StakingEnv,
        node_id: ObjectId,
        auth: &Authenticated,
    ) -> Result<u64, ExecutionFailure> {
        self.with_pool(env, node_id, |p| p.collect_commission(auth))
    }

    /// Re-enters the node into the active set with its projected stake.
    pub fn try_join_active_set(
        &mut self,
        env: &mut impl StakingEnv,
        cap: &StorageNodeCap,
    ) -> Result<(), ExecutionFailure> {
        self.update_active_set(env, cap.pool_id())
    }

    /// Takes the whole commission of `node_id`, blocked or not, for slashing to burn.
    pub fn extract_commission_to_burn(
        &self,
        env: &mut impl StakingEnv,
        node_id: ObjectId,
    ) -> Result<u64, ExecutionFailure> {
        self.with_pool(env, node_id, |p| Ok(p.extract_commission_to_burn()))
    }

    /// Adds `commissions[i]` to the commission of `node_ids[i]`'s pool; blocked until
    /// `voting_end` unless the next committee is selected. Lists of different lengths abort
    /// as Move's `zip_do!` does (an `assert!` without a code in `std::vector`).
    pub fn add_commission_to_pools(
        &self,
        env: &mut impl StakingEnv,
        node_ids: &[ObjectId],
        commissions: &[u64],
    ) -> Result<(), ExecutionFailure> {
        if node_ids.len() != commissions.len() {
            return Err(crate::walrus::errors::abort(
                "std::vector",
                0,
                "zip_do: the node ids and commissions differ in length",
            ));
        }
        let block = !matches!(self.epoch_state, EpochState::NextParamsSelected(_));
        for (node_id, amount) in node_ids.iter().zip(commissions) {
            self.with_pool(env, *node_id, |p| p.add_commission(*amount, block))?;
        }
        Ok(())
    }

    /// Whether `auth` may act for `node_id` in governance.
    pub fn check_governance_authorization(
        &self,
        env: &impl StakingEnv,
        node_id: &ObjectId,
        auth: &Authenticated,
    ) -> Result<bool, ExecutionFailure> {
        Ok(auth.matches(&self.pool(env, node_id)?.governance_authorized))
    }

    /// The shards `node_id` holds in the current committee (`ENotInCommittee` if none).
    pub fn get_current_node_weight(&self, node_id: &ObjectId) -> Result<u16, ExecutionFailure> {
        let shards = self
            .committee
            .0
            .get(&to_move_id(*node_id))
            .ok_or_else(|| ENotInCommittee.fail())?;
        u16::try_from(shards.len()).map_err(|_| EInvalidNodeWeight.fail())
    }

    /// Whether `weight` shards are a quorum of the current committee's shards.
    pub fn is_quorum(&self, weight: u16) -> bool {
        walrus_core::quorum::is_quorum(self.n_shards, u64::from(weight))
    }

    // === Delegation ===

    /// Stakes `amount` FROST with `node_id` (Move `stake_with_pool`).
    pub fn stake_with_pool(
        &mut self,
        env: &mut impl StakingEnv,
        amount: u64,
        node_id: ObjectId,
    ) -> Result<StakedWal, ExecutionFailure> {
        let epoch = self.epoch;
        let selected = self.next_committee.is_some();
        let mut pool = self.pool(env, &node_id)?;
        let id = env.new_id();
        let staked = pool.stake(amount, epoch, selected, id)?;
        env.put_pool(pool);
        self.update_active_set(env, node_id)?;
        Ok(staked)
    }

    /// Requests the withdrawal of `staked_wal`.
    pub fn request_withdraw_stake(
        &mut self,
        env: &mut impl StakingEnv,
        staked_wal: &mut StakedWal,
    ) -> Result<(), ExecutionFailure> {
        let node_id = staked_wal.pool_id();
        let (in_current, in_next, epoch, selected) = self.withdraw_context(&node_id);
        self.with_pool(env, node_id, |p| {
            p.request_withdraw_stake(staked_wal, in_current, in_next, epoch, selected)
        })?;
        self.update_active_set(env, node_id)
    }

    /// Withdraws `staked_wal`; returns the FROST paid out (the caller deletes the object and
    /// creates the coin).
    pub fn withdraw_stake(
        &mut self,
        env: &mut impl StakingEnv,
        staked_wal: &StakedWal,
    ) -> Result<u64, ExecutionFailure> {
        let node_id = staked_wal.pool_id();
        let (in_current, in_next, epoch, selected) = self.withdraw_context(&node_id);
        let amount = self.with_pool(env, node_id, |p| {
            p.withdraw_stake(staked_wal, in_current, in_next, epoch, selected)
        })?;
        self.update_active_set(env, node_id)?;
        Ok(amount)
    }

    // === Epoch state machine ===

    /// Selects the next committee and parameters (Move `voting_end`).
    pub fn voting_end(&mut self, env: &mut impl StakingEnv) -> Result<(), ExecutionFailure> {
        let now = env.now_ms();
        let EpochState::EpochChangeDone(last_change) = self.epoch_state else {
            return Err(EWrongEpochState.fail());
        };
        if self.epoch == 0 {
            ensure(now >= self.first_epoch_start, EWrongEpochState)?;
        } else {
            ensure(
                now >= add(STAKING_INNER, last_change, self.epoch_duration / 2)?,
                EWrongEpochState,
            )?;
        }
        self.clear_previous_committee_blocked_commission(env);
        self.select_committee_and_params(env)?;
        self.epoch_state = EpochState::NextParamsSelected(last_change);
        env.emit(StakingEvent::EpochParametersSelected {
            next_epoch: add32(STAKING_INNER, self.epoch, 1)?,
        });
        Ok(())
    }

    /// Starts epoch E + 1 (Move `staking::initiate_epoch_change_v2`): burns the burn share of
    /// E's rewards, then needs a selected next committee (`ENextCommitteeIsEmpty`), the
    /// `NextParamsSelected` state and the time (`EWrongEpochState`).
    pub fn initiate_epoch_change(
        &mut self,
        env: &mut impl StakingEnv,
    ) -> Result<(), ExecutionFailure> {
        let burn = env.extract_burn_balance()?;
        if burn > 0 {
            env.burn(burn)?;
        }
        ensure(self.next_committee.is_some(), ENextCommitteeIsEmpty)?;
        let now = env.now_ms();
        let EpochState::NextParamsSelected(last_change) = self.epoch_state else {
            return Err(EWrongEpochState.fail());
        };
        if self.epoch == 0 {
            ensure(now >= self.first_epoch_start, EWrongEpochState)?;
        } else {
            ensure(
                now >= add(STAKING_INNER, last_change, self.epoch_duration)?,
                EWrongEpochState,
            )?;
        }

        let new_epoch = add32(STAKING_INNER, self.epoch, 1)?;
        let next_committee = self.next_committee.take().unwrap_or_default();
        let members = self.bls_committee(&next_committee)?;
        let params = self.next_epoch_params.take().unwrap_or(EpochParams {
            total_capacity_size: 0,
            storage_price_per_unit_size: 0,
            write_price_per_unit_size: 0,
        });
        let rewards = env.advance_system_epoch(new_epoch, members, &params)?;

        self.epoch = new_epoch;
        self.previous_committee = std::mem::replace(&mut self.committee, next_committee);
        self.next_epoch_public_keys = VecMap::default();

        // As mainnet: the old committee's pools advance with their rewards (in committee
        // order), then the pools that just joined with none; pools outside both committees
        // stay as they are. Each advanced pool's stake at E + 1 goes into the active set.
        let joined: Vec<ObjectId> = self
            .committee
            .node_ids()
            .into_iter()
            .filter(|id| !self.previous_committee.contains(id))
            .map(to_object_id)
            .collect();
        let advances = rewards
            .into_iter()
            .chain(joined.into_iter().map(|id| (id, 0)));
        let next = add32(STAKING_INNER, new_epoch, 1)?;
        for (node_id, reward) in advances {
            let mut pool = self.pool_entry(env, &node_id)?;
            pool.advance_epoch(reward, new_epoch)?;
            let stake = pool.wal_balance_at_epoch(next)?;
            env.put_pool(pool);
            self.active_set
                .insert_or_update(to_move_id(node_id), stake)?;
        }

        env.emit(StakingEvent::EpochChangeStart { epoch: new_epoch });
        if self.committee.is_empty() {
            self.epoch_state = EpochState::EpochChangeDone(now);
            env.emit(StakingEvent::EpochChangeDone { epoch: new_epoch });
        } else {
            self.epoch_state = EpochState::EpochChangeSync(0);
        }
        self.update_prices(env)
    }

    /// The node of `cap` finished receiving its shards for `epoch` (Move `epoch_sync_done`).
    pub fn epoch_sync_done(
        &mut self,
        env: &mut impl StakingEnv,
        cap: &mut StorageNodeCap,
        epoch: u32,
    ) -> Result<(), ExecutionFailure> {
        ensure(epoch == self.epoch, EInvalidSyncEpoch)?;
        ensure(cap.last_epoch_sync_done < epoch, EDuplicateSyncDone)?;
        ensure(self.committee.contains(&cap.node_id), ENotInCommittee)?;
        cap.last_epoch_sync_done = epoch;
        let shards = self.committee.shards(&cap.node_id).to_vec();
        let weight = u16::try_from(shards.len()).unwrap_or(u16::MAX);
        // `EpochChangeDone` (at quorum) comes before `ShardsReceived`, as in Walrus mainnet.
        if let EpochState::EpochChangeSync(done) = self.epoch_state {
            let done = done
                .checked_add(weight)
                .ok_or_else(|| crate::walrus::errors::arithmetic(STAKING_INNER))?;
            if u64::from(done) >= walrus_core::quorum::quorum_weight(self.n_shards) {
                self.epoch_state = EpochState::EpochChangeDone(env.now_ms());
                env.emit(StakingEvent::EpochChangeDone { epoch });
            } else {
                self.epoch_state = EpochState::EpochChangeSync(done);
            }
        }
        env.emit(StakingEvent::ShardsReceived { epoch, shards });
        Ok(())
    }

    /// Sets the System's prices to the current committee's quorum prices and emits
    /// `PricesUpdated` (Move `update_prices`; the state itself is not changed).
    pub fn update_prices(&self, env: &mut impl StakingEnv) -> Result<(), ExecutionFailure> {
        let (storage_price, write_price) = self.quorum_prices(env, &self.committee)?;
        env.set_prices(storage_price, write_price)?;
        env.emit(StakingEvent::PricesUpdated {
            epoch: self.epoch,
            storage_price,
            write_price,
        });
        Ok(())
    }

    // === Views ===

    /// The pool of `node_id` as stored.
    pub fn pool(
        &self,
        env: &impl StakingEnv,
        node_id: &ObjectId,
    ) -> Result<StakingPool, ExecutionFailure> {
        ensure(
            self.pool_ids.contains(node_id),
            dynamic_field::EFieldDoesNotExist,
        )?;
        self.pool_entry(env, node_id)
    }

    /// Whether `staked_wal` can be withdrawn directly, principal only.
    pub fn can_withdraw_staked_wal_early(&self, staked_wal: &StakedWal) -> bool {
        let (_, in_next, epoch, selected) = self.withdraw_context(&staked_wal.pool_id());
        can_withdraw_early(staked_wal, in_next, epoch, selected)
    }

    // === Private functions ===

    /// The pool of `node_id` (Move `pools.borrow_mut`).
    fn pool_entry(
        &self,
        env: &impl StakingEnv,
        node_id: &ObjectId,
    ) -> Result<StakingPool, ExecutionFailure> {
        env.pool(node_id)
            .ok_or_else(|| dynamic_field::EFieldDoesNotExist.fail())
    }

    /// Unblocks the commission of the previous committee's pools (`voting_end`), without
    /// catching them up.
    fn clear_previous_committee_blocked_commission(&self, env: &mut impl StakingEnv) {
        for id in self.previous_committee.node_ids() {
            if let Some(mut pool) = env.pool(&to_object_id(id))
                && pool.blocked_commission.is_some()
            {
                pool.clear_blocked_commission();
                env.put_pool(pool);
            }
        }
    }

    /// (in current committee, in selected next committee, epoch, next committee selected).
    fn withdraw_context(&self, node_id: &ObjectId) -> (bool, bool, u32, bool) {
        let node_id = &to_move_id(*node_id);
        let in_current = self.committee.contains(node_id);
        let selected = self.next_committee.is_some();
        let in_next = self
            .next_committee
            .as_ref()
            .is_some_and(|c| c.contains(node_id));
        (in_current, in_next, self.epoch, selected)
    }

    /// E + 2 after the selection, else E + 1.
    fn projection_epoch(&self) -> Result<u32, ExecutionFailure> {
        let ahead = if self.next_committee.is_some() { 2 } else { 1 };
        add32(STAKING_INNER, self.epoch, ahead)
    }

    /// Puts the node's projected stake into the active set.
    fn update_active_set(
        &mut self,
        env: &mut impl StakingEnv,
        node_id: ObjectId,
    ) -> Result<(), ExecutionFailure> {
        let at = self.projection_epoch()?;
        let stake = self.pool(env, &node_id)?.wal_balance_at_epoch(at)?;
        self.active_set
            .insert_or_update(to_move_id(node_id), stake)?;
        Ok(())
    }

    fn select_committee_and_params(
        &mut self,
        env: &mut impl StakingEnv,
    ) -> Result<(), ExecutionFailure> {
        ensure(self.next_committee.is_none(), ECommitteeSelected)?;
        let (ids, stakes) = self.active_set.active_ids_and_stake();
        // Move folds the stakes in u64 (overflow aborts).
        let mut total: u64 = 0;
        for stake in &stakes {
            total = add(STAKING_INNER, total, *stake)?;
        }
        ensure(total > 0, ENoStake)?;
        let limit = apportionment::shards_limit(self.n_shards, ids.len() as u64);
        let seats = apportionment::dhondt(self.n_shards, limit, &stakes)?;
        let distribution: Vec<(MoveId, u16)> = ids
            .iter()
            .zip(&seats)
            .filter(|(_, count)| **count > 0)
            .map(|(id, count)| (*id, *count))
            .collect();
        let next = if self.committee.is_empty() {
            committee::initialize(&distribution)
        } else {
            self.committee.transition(&distribution)?
        };
        let mut keys = Vec::with_capacity(next.size());
        for node_id in next.node_ids() {
            ensure(next.weight(&node_id) > 0, EZeroNodeWeight)?;
            let pool = self.pool_entry(env, &to_object_id(node_id))?;
            let key = UncompressedG1(pool.node_info.next_epoch_public_key().to_vec());
            keys.push((node_id, key));
        }
        let capacity = self.quorum_capacity(env, &next)?;
        self.next_epoch_public_keys = keys.into_iter().collect();
        // As on mainnet, only the capacity is selected; the prices are stored as `u64::MAX`.
        self.next_epoch_params = Some(EpochParams {
            total_capacity_size: capacity,
            storage_price_per_unit_size: u64::MAX,
            write_price_per_unit_size: u64::MAX,
        });
        self.next_committee = Some(next);
        Ok(())
    }

    /// The members of the BLS committee: node-id order, weight = shards, key fixed at
    /// selection; the recorded keys must be the committee's nodes in order
    /// (`EIncorrectNodeOrder`).
    fn bls_committee(
        &self,
        committee: &Committee,
    ) -> Result<Vec<NewCommitteeMember>, ExecutionFailure> {
        let ids = committee.node_ids();
        let keys = &self.next_epoch_public_keys.contents;
        ensure(keys.len() == ids.len(), EIncorrectNodeOrder)?;
        ids.into_iter()
            .zip(keys)
            .map(|(node_id, key)| {
                ensure(key.key == node_id, EIncorrectNodeOrder)?;
                Ok(NewCommitteeMember {
                    node_id: to_object_id(node_id),
                    public_key: key.value.0.clone(),
                    weight: committee.weight(&node_id),
                })
            })
            .collect()
    }

    /// `quorum_above` of the capacity votes extrapolated to `n_shards`.
    fn quorum_capacity(
        &self,
        env: &impl StakingEnv,
        committee: &Committee,
    ) -> Result<u64, ExecutionFailure> {
        let ids = committee.node_ids();
        let weights: Vec<u16> = ids.iter().map(|id| committee.weight(id)).collect();
        let mut values = Vec::with_capacity(ids.len());
        for id in &ids {
            let capacity = u128::from(self.pool_entry(env, &to_object_id(*id))?.node_capacity());
            let extrapolated =
                capacity * u128::from(self.n_shards) / u128::from(committee.weight(id).max(1));
            values.push(u64::try_from(extrapolated).unwrap_or(u64::MAX));
        }
        quantile::quorum_above(&values, &weights, self.n_shards)
    }

    /// (storage, write) `quorum_below` of the price votes.
    fn quorum_prices(
        &self,
        env: &impl StakingEnv,
        committee: &Committee,
    ) -> Result<(u64, u64), ExecutionFailure> {
        let ids = committee.node_ids();
        let weights: Vec<u16> = ids.iter().map(|id| committee.weight(id)).collect();
        let mut storage = Vec::with_capacity(ids.len());
        let mut write = Vec::with_capacity(ids.len());
        for id in &ids {
            let pool = self.pool_entry(env, &to_object_id(*id))?;
            storage.push(pool.storage_price());
            write.push(pool.write_price());
        }
        Ok((
            quantile::quorum_below(&storage, &weights, self.n_shards)?,
            quantile::quorum_below(&write, &weights, self.n_shards)?,
        ))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::BTreeMap;

    use super::*;
    use crate::bls::BlsPrivateKey;

    /// An in-memory ledger around the staking state, with the System's reward rules
    /// (burn 3%, split by shard weight when the epoch had used capacity).
    #[derive(Default)]
    pub(crate) struct MockEnv {
        pub now: u64,
        pub ids: u64,
        pub pools: BTreeMap<ObjectId, StakingPool>,
        pub events: Vec<StakingEvent>,
        pub rewards: u64,
        pub used: bool,
        pub burned: u64,
        pub prices: (u64, u64),
        pub members: Vec<NewCommitteeMember>,
        pub capacity: u64,
    }

    impl StakingEnv for MockEnv {
        fn now_ms(&self) -> u64 {
            self.now
        }
        fn new_id(&mut self) -> ObjectId {
            self.ids += 1;
            let mut b = [0xEE; 32];
            b[24..].copy_from_slice(&self.ids.to_be_bytes());
            ObjectId::new(b)
        }
        fn pool(&self, node_id: &ObjectId) -> Option<StakingPool> {
            self.pools.get(node_id).cloned()
        }
        fn put_pool(&mut self, pool: StakingPool) {
            self.pools.insert(pool.object_id(), pool);
        }
        fn emit(&mut self, event: StakingEvent) {
            self.events.push(event);
        }
        fn extract_burn_balance(&mut self) -> Result<u64, ExecutionFailure> {
            let amount = self.rewards * 300 / 10_000;
            self.rewards -= amount;
            Ok(amount)
        }
        fn burn(&mut self, amount: u64) -> Result<(), ExecutionFailure> {
            self.burned += amount;
            Ok(())
        }
        fn advance_system_epoch(
            &mut self,
            _epoch: u32,
            members: Vec<NewCommitteeMember>,
            params: &EpochParams,
        ) -> Result<Vec<(ObjectId, u64)>, ExecutionFailure> {
            let old = std::mem::replace(&mut self.members, members);
            let n: u64 = old.iter().map(|m| u64::from(m.weight)).sum();
            let total = self.rewards;
            let mut out = Vec::new();
            for m in &old {
                let share = if self.used && n > 0 {
                    total * u64::from(m.weight) / n
                } else {
                    0
                };
                self.rewards -= share;
                out.push((m.node_id, share));
            }
            self.used = false;
            self.capacity = params.total_capacity_size;
            Ok(out)
        }
        fn set_prices(&mut self, s: u64, w: u64) -> Result<(), ExecutionFailure> {
            self.prices = (s, w);
            Ok(())
        }
    }

    pub(crate) const WAL: u64 = 1_000_000_000;
    const ADMIN: Address = Address::new([0xAD; 32]);

    pub(crate) struct World {
        pub env: MockEnv,
        pub s: StakingInnerV1,
    }

    impl World {
        /// staking_test_utils::world: epoch 0 lasting 100 ms, epochs of 1000 ms.
        pub fn new(n_shards: u16) -> Self {
            let mut env = MockEnv::default();
            let ids = [env.new_id(), env.new_id(), env.new_id()];
            let s = StakingInnerV1::new(100, 1000, n_shards, 0, ids).unwrap();
            Self { env, s }
        }

        pub fn register(
            &mut self,
            seed: u8,
            commission: u16,
            votes: (u64, u64, u64),
        ) -> StorageNodeCap {
            let key = BlsPrivateKey::from_ikm(&[seed; 32]).unwrap();
            let pop = node::sign_proof_of_possession(&key, self.s.epoch, ADMIN);
            let mut network_public_key = vec![2u8];
            network_public_key.extend(0u8..32);
            self.s
                .register_candidate(
                    &mut self.env,
                    ADMIN,
                    Registration {
                        name: "node".into(),
                        network_address: "127.0.0.1:9000".into(),
                        metadata: NodeMetadata::default(),
                        public_key: key.public_key().as_bytes().to_vec(),
                        network_public_key,
                        proof_of_possession: pop,
                        commission_rate: commission,
                        storage_price: votes.0,
                        write_price: votes.1,
                        node_capacity: votes.2,
                    },
                )
                .unwrap()
        }

        pub fn register_node(&mut self, seed: u8, commission: u16) -> StorageNodeCap {
            self.register(seed, commission, (5, 7, 1_000_000_000_000))
        }

        pub fn stake(&mut self, node: ObjectId, wal: u64) -> StakedWal {
            self.s
                .stake_with_pool(&mut self.env, wal * WAL, node)
                .unwrap()
        }

        fn t(&self, d: u64) -> u64 {
            if self.s.epoch == 0 {
                self.s.first_epoch_start
            } else {
                self.s.epoch_state.last_epoch_change_time().unwrap() + d
            }
        }

        pub fn run_voting_end(&mut self) {
            self.env.now = self.t(500).max(self.env.now);
            self.s.voting_end(&mut self.env).unwrap();
        }

        pub fn run_epoch_change(&mut self) {
            self.env.now = self.t(1000).max(self.env.now);
            self.s.initiate_epoch_change(&mut self.env).unwrap();
        }

        pub fn sync_all(&mut self, caps: &mut [StorageNodeCap]) {
            self.env.now += 10;
            let epoch = self.s.epoch;
            for cap in caps.iter_mut() {
                if self.s.committee.contains(&cap.node_id) {
                    self.s.epoch_sync_done(&mut self.env, cap, epoch).unwrap();
                }
            }
        }

        pub fn next_epoch(&mut self, caps: &mut [StorageNodeCap]) {
            if !matches!(self.s.epoch_state, EpochState::NextParamsSelected(_)) {
                self.run_voting_end();
            }
            self.run_epoch_change();
            self.sync_all(caps);
        }

        pub fn add_epoch_rewards(&mut self, total: u64) {
            self.env.rewards += total;
            self.env.used = true;
        }

        pub fn pool(&self, node: ObjectId) -> StakingPool {
            self.s.pool(&self.env, &node).unwrap()
        }
    }

    // Mirrors staking_rewards_tests.move::two_delegators_commission_and_burn (the same
    // scenario runs through the ledger in services/chain/tests/staking_rewards.rs).
    #[test]
    fn two_delegators_commission_and_burn() {
        let mut w = World::new(10);
        let cap_a = w.register_node(0, 1000);
        let cap_b = w.register_node(1, 0);
        let (a, b) = (cap_a.pool_id(), cap_b.pool_id());
        let mut d1 = w.stake(a, 1000);
        let _sb = w.stake(b, 1000);
        assert_eq!(d1.activation_epoch, 1);
        let mut caps = vec![cap_a, cap_b];
        w.next_epoch(&mut caps);
        assert_eq!(w.s.epoch, 1);
        assert_eq!(w.s.committee.weight(&to_move_id(a)), 5);
        assert_eq!(w.s.committee.weight(&to_move_id(b)), 5);
        assert!(matches!(w.s.epoch_state, EpochState::EpochChangeDone(_)));
        assert_eq!(w.pool(a).wal_balance, 1000 * WAL);
        assert_eq!(w.pool(a).num_shares, 1000 * WAL);
        assert_eq!(w.env.prices, (5, 7));

        let d2 = w.stake(a, 500);
        assert_eq!(d2.activation_epoch, 2);
        w.add_epoch_rewards(2_000_000_000);
        w.next_epoch(&mut caps);
        assert_eq!(w.env.burned, 60_000_000);
        let pool_a = w.pool(a);
        assert_eq!(pool_a.commission, 97_000_000);
        assert_eq!(pool_a.rewards_pool, 873_000_000);
        assert_eq!(pool_a.wal_balance, 1_500_873_000_000);
        assert_eq!(pool_a.num_shares, 1_499_563_880_732);
        assert_eq!(w.pool(b).commission, 0);
        assert_eq!(w.pool(b).wal_balance, 1_000_970_000_000);
        assert_eq!(w.s.committee.weight(&to_move_id(a)), 6);
        assert_eq!(w.s.committee.weight(&to_move_id(b)), 4);

        w.s.request_withdraw_stake(&mut w.env, &mut d1).unwrap();
        assert_eq!(d1.withdraw_epoch().unwrap(), 3);
        w.add_epoch_rewards(2_000_000_000);
        w.next_epoch(&mut caps);
        let pool_a = w.pool(a);
        assert_eq!(pool_a.commission, 213_400_000);
        assert_eq!(pool_a.rewards_pool, 1_920_600_000);
        assert_eq!(pool_a.wal_balance, 500_348_996_884);
        assert_eq!(pool_a.num_shares, 499_563_880_732);
        assert_eq!(
            pool_a.calculate_rewards(1000 * WAL, 1, 3).unwrap(),
            1_571_603_116
        );
        assert_eq!(
            pool_a.calculate_rewards(500 * WAL, 2, 3).unwrap(),
            348_996_883
        );

        let paid = w.s.withdraw_stake(&mut w.env, &d1).unwrap();
        assert_eq!(paid, 1_001_571_603_116);
        assert_eq!(w.pool(a).rewards_pool, 348_996_884);
        // What the change to epoch 3 added stays blocked until voting_end.
        assert_eq!(w.pool(a).blocked_commission, Some(116_400_000));
        let auth = Authenticated::Object(caps[0].object_id());
        assert_eq!(
            w.s.collect_commission(&mut w.env, a, &auth).unwrap(),
            97_000_000
        );
        assert_eq!(w.s.collect_commission(&mut w.env, a, &auth).unwrap(), 0);
        w.run_voting_end();
        assert_eq!(w.pool(a).blocked_commission, None);
        assert_eq!(
            w.s.collect_commission(&mut w.env, a, &auth).unwrap(),
            116_400_000
        );
        assert_eq!(w.pool(a).commission, 0);
    }

    // Mirrors staking_epoch_tests.move::selecting_a_second_committee_aborts and
    // an_epoch_change_without_the_selected_keys_aborts.
    #[test]
    fn selection_sanity_checks() {
        let mut w = World::new(10);
        let cap = w.register_node(0, 0);
        w.stake(cap.pool_id(), 1000);
        w.run_voting_end();
        let selected = w.s.clone();
        w.s.epoch_state = EpochState::EpochChangeDone(0);
        assert!(ECommitteeSelected.matches(&w.s.voting_end(&mut w.env).unwrap_err()));
        w.s = selected;
        w.s.next_epoch_public_keys = VecMap::default();
        w.env.now = w.t(1000).max(w.env.now);
        assert!(EIncorrectNodeOrder.matches(&w.s.initiate_epoch_change(&mut w.env).unwrap_err()));
    }

    // Mirrors staking_rewards_tests.move::idle_pool_is_left_alone_then_earns.
    #[test]
    fn idle_pool_is_left_alone_then_earns() {
        let mut w = World::new(10);
        let cap_a = w.register_node(0, 0);
        let cap_c = w.register_node(1, 0);
        let (a, c) = (cap_a.pool_id(), cap_c.pool_id());
        let _sa = w.stake(a, 1000);
        let mut caps = vec![cap_a, cap_c];
        for _ in 0..3 {
            w.next_epoch(&mut caps);
        }
        assert_eq!(w.pool(c).latest_epoch, 0);
        let mut sc = w.stake(c, 500);
        assert_eq!(w.pool(c).latest_epoch, 0);
        assert!(w.pool(c).exchange_rate_at_epoch(2).is_flat());
        w.next_epoch(&mut caps);
        assert_eq!(w.s.committee.weight(&to_move_id(a)), 7);
        assert_eq!(w.s.committee.weight(&to_move_id(c)), 3);
        assert_eq!(w.pool(c).latest_epoch, 4);
        assert_eq!(w.pool(c).wal_balance, 500 * WAL);
        w.add_epoch_rewards(2_000_000_000);
        w.next_epoch(&mut caps);
        assert_eq!(w.pool(c).wal_balance, 500_582_000_000);
        assert_eq!(w.pool(a).wal_balance, 1_001_358_000_000);
        w.s.request_withdraw_stake(&mut w.env, &mut sc).unwrap();
        assert_eq!(sc.withdraw_epoch().unwrap(), 6);
        w.next_epoch(&mut caps);
        assert_eq!(
            w.s.withdraw_stake(&mut w.env, &sc).unwrap(),
            500_582_000_000
        );
        assert_eq!(w.pool(c).wal_balance, 0);
    }
}
