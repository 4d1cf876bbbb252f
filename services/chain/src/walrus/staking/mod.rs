//! The staking half of the Walrus machine: `move/walrus/sources/staking.move`,
//! `sources/staking/*.move` and the staking part of `sources/init.move`, mirrored in Rust.
//!
//! Every call checks what its Move function checks, in the same order, aborts with the same
//! module and code ([`errors`]), emits the same events with byte-identical BCS ([`events`])
//! and does the same integer arithmetic (exchange rates, pending values, apportionment,
//! minimal shard movement, weighted quantiles, pool accounting). Proofs of possession are
//! verified with real BLS12-381 min_pk signatures over the exact message bytes
//! ([`node::proof_of_possession_message`]).
//!
//! # Objects ([`StakingObject`])
//!
//! Each holds `walrus_core`'s twin of the Move value (its BCS is the object's `move_bcs`) and,
//! beside it, what Sui keeps as dynamic fields or table entries (reported by
//! `LedgerObject::dynamic_fields`); the Move functions are the functions and traits of the
//! submodules over those twins (`StakedWalOps`, `CapOps`, `NodeInfoOps`, `CommitteeOps`,
//! `ActiveSetOps`, `Pending`, `exchange_rate::Convert`).
//!
//! | variant | Move type | owner | held beside the Move value |
//! |---|---|---|---|
//! | `Staking` | `staking::Staking` | shared | the state [`StakingInnerV1`] (Move's dynamic field `3 -> StakingInnerV1`, BCS [`StakingState::inner_move_bcs`]), with the pools table's keys, the active set and the next committee's keys |
//! | `Pool` | `staking_pool::StakingPool` | the pools table (`Owner::Object(pools id)`); id = node id | the node's metadata, the exchange-rate table's entries, the blocked-commission bag entry |
//! | `StakedWal` | `staked_wal::StakedWal` | the delegator | nothing |
//! | `NodeCap` | `storage_node::StorageNodeCap` | the operator | nothing |
//! | `SlashingManager` | `slashing::SlashingManager` | shared | its proposals (the `slashing_candidates` table's entries) |
//!
//! The `Staking` id is in the [`super::Registry`] (`GET /v1/objects/0x5`); the registered node
//! ids are in `StakingState::inner.pool_ids`, and each pool is `GET /v1/objects/{node id}`.
//!
//! # Calls ([`StakingCall`])
//!
//! One variant per entry point of `walrus::staking` (plus `staked_wal::{split, join}`).
//! Objects are passed by id: caps, `StakedWal`s and coins must be owned by the sender; the
//! shared `Staking`, `System` and treasury are found through the registry. Results (a
//! `StorageNodeCap`, a `StakedWal`, a WAL coin) go to the sender. `Auth::Object(id)` is Move's
//! `auth::authenticate_with_object(&obj)`: the object must be one the sender can pass (owned
//! by the sender, shared or immutable).
//!
//! # Genesis ([`genesis`])
//!
//! See [`genesis`] for exactly what it creates and emits.

pub mod active_set;
pub mod apportionment;
pub mod committee;
pub mod errors;
pub mod events;
pub mod exchange_rate;
pub mod inner;
pub mod node;
pub mod pending_values;
pub mod pool;
pub mod quantile;
pub mod slashing;
pub mod staked_wal;

use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;
use walrus_core::contracts::{hex_bytes, staking as twin};

use super::errors::input;
use super::{
    GenesisConfig, View, WalrusObject, bls_aggregate, coin, put_owned, registry, system,
    to_move_id, to_object_id, walrus_type,
};
use crate::devnet::objects::ObjectStore;
use crate::types::{ExecutionFailure, ObjectId, Owner};

pub use inner::{
    EpochParams, EpochState, NewCommitteeMember, Registration, StakingEnv, StakingInnerV1,
};
pub use node::{
    Authenticated, Authorized, CapOps, NodeInfoOps, NodeMetadata, StorageNodeCap, StorageNodeInfo,
    proof_of_possession_message, sign_proof_of_possession, verify_proof_of_possession,
};
pub use pool::{StakingPool, VotingParams};
pub use staked_wal::{MIN_STAKING_THRESHOLD, StakedWal, StakedWalOps, StakedWalState};

/// Version of the `Staking` object (Move `staking::VERSION`: 3, as Walrus mainnet).
pub const VERSION: u64 = 3;

// === Objects ===

/// The shared `Staking` object with its state (Move: the dynamic field `1 -> StakingInnerV1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakingState {
    /// The object id.
    pub id: ObjectId,
    /// The version (checked by every call: `staking::EWrongVersion`).
    pub version: u64,
    /// The state.
    pub inner: StakingInnerV1,
}

impl StakingState {
    /// The Move BCS of the state (`StakingInnerV1`, the dynamic field's value).
    pub fn inner_move_bcs(&self) -> Vec<u8> {
        bcs::to_bytes(&self.inner.inner).unwrap_or_default()
    }
}

/// Every staking object of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StakingObject {
    /// `staking::Staking` with its state (shared).
    Staking(Box<StakingState>),
    /// `staking_pool::StakingPool` (owned by the pools table; id = node id).
    Pool(Box<StakingPool>),
    /// `staked_wal::StakedWal` (owned by the delegator).
    StakedWal(StakedWal),
    /// `storage_node::StorageNodeCap` (owned by the operator).
    NodeCap(StorageNodeCap),
    /// `slashing::SlashingManager` with its proposals (shared).
    SlashingManager(slashing::SlashingManagerObject),
}

impl StakingObject {
    /// The Move type.
    pub fn type_name(&self) -> String {
        match self {
            Self::Staking(_) => walrus_type("staking", "Staking"),
            Self::Pool(_) => walrus_type("staking_pool", "StakingPool"),
            Self::StakedWal(_) => walrus_type("staked_wal", "StakedWal"),
            Self::NodeCap(_) => walrus_type("storage_node", "StorageNodeCap"),
            Self::SlashingManager(_) => walrus_type("slashing", "SlashingManager"),
        }
    }

    /// The Move value's BCS.
    pub fn move_bcs(&self) -> Vec<u8> {
        let bytes = match self {
            Self::Staking(s) => bcs::to_bytes(&twin::Staking {
                id: to_move_id(s.id),
                version: s.version,
                // The devnet's packages are not upgradable: always the published one.
                package_id: to_move_id(super::WALRUS_PACKAGE),
                new_package_id: None,
            }),
            Self::Pool(p) => bcs::to_bytes(&p.pool),
            Self::StakedWal(s) => bcs::to_bytes(s),
            Self::NodeCap(c) => bcs::to_bytes(c),
            Self::SlashingManager(m) => bcs::to_bytes(&m.manager),
        };
        // Plain structs always serialize.
        bytes.unwrap_or_default()
    }
}

// === Move twins (walrus_core::contracts::staking) ===

// === Calls ===

/// How a caller proves who it is for `collect_commission` and the authorization setters
/// (Move `auth::Authenticated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Auth {
    /// `auth::authenticate_sender`: the transaction sender.
    Sender,
    /// `auth::authenticate_with_object(&obj)`: the holder of this object (by default the
    /// node's `StorageNodeCap`); the sender must own it (or it is shared or immutable).
    Object(ObjectId),
}

/// One staking operation: a `walrus::staking` entry point (or `staked_wal::{split, join}`).
/// Byte fields are base64 in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StakingCall {
    /// `register_candidate`: a new pool; the `StorageNodeCap` goes to the sender, who also
    /// governs the pool; the cap receives the commission. `proof_of_possession` is the BLS
    /// signature of `public_key` over [`proof_of_possession_message`] (current epoch, sender,
    /// key), e.g. from [`sign_proof_of_possession`].
    RegisterCandidate {
        /// Name (<= 100 bytes).
        name: String,
        /// `host:port` (<= 259 bytes).
        network_address: String,
        /// Metadata (built as `node_metadata::new` + `insert_or_update_extra_field` would).
        metadata: NodeMetadata,
        /// Compressed BLS12-381 G1 key (48 bytes).
        #[serde(with = "crate::types::bytes")]
        public_key: Vec<u8>,
        /// Network public key (33 bytes).
        #[serde(with = "crate::types::bytes")]
        network_public_key: Vec<u8>,
        /// BLS signature (96 bytes).
        #[serde(with = "crate::types::bytes")]
        proof_of_possession: Vec<u8>,
        /// Commission in basis points (<= 10_000).
        commission_rate: u16,
        /// Storage price vote (FROST per MiB per epoch).
        storage_price: u64,
        /// Write price vote (FROST per MiB).
        write_price: u64,
        /// Capacity vote (encoded bytes).
        node_capacity: u64,
    },
    /// `set_next_public_key`: a new BLS key with its proof of possession.
    SetNextPublicKey {
        /// The sender's `StorageNodeCap`.
        cap: ObjectId,
        /// Compressed key.
        #[serde(with = "crate::types::bytes")]
        public_key: Vec<u8>,
        /// Proof of possession for (current epoch, sender, key).
        #[serde(with = "crate::types::bytes")]
        proof_of_possession: Vec<u8>,
    },
    /// `set_name`.
    SetName {
        /// The sender's cap.
        cap: ObjectId,
        /// New name.
        name: String,
    },
    /// `set_network_address`.
    SetNetworkAddress {
        /// The sender's cap.
        cap: ObjectId,
        /// New address.
        network_address: String,
    },
    /// `set_network_public_key`.
    SetNetworkPublicKey {
        /// The sender's cap.
        cap: ObjectId,
        /// New key (33 bytes).
        #[serde(with = "crate::types::bytes")]
        network_public_key: Vec<u8>,
    },
    /// `set_node_metadata`.
    SetNodeMetadata {
        /// The sender's cap.
        cap: ObjectId,
        /// New metadata.
        metadata: NodeMetadata,
    },
    /// `set_next_commission`: takes effect at E + 2.
    SetNextCommission {
        /// The sender's cap.
        cap: ObjectId,
        /// Basis points (<= 10_000).
        commission_rate: u16,
    },
    /// `set_storage_price_vote`.
    SetStoragePriceVote {
        /// The sender's cap.
        cap: ObjectId,
        /// FROST per MiB per epoch.
        price: u64,
    },
    /// `set_write_price_vote`.
    SetWritePriceVote {
        /// The sender's cap.
        cap: ObjectId,
        /// FROST per MiB.
        price: u64,
    },
    /// `set_node_capacity_vote`.
    SetNodeCapacityVote {
        /// The sender's cap.
        cap: ObjectId,
        /// Encoded bytes.
        capacity: u64,
    },
    /// `collect_commission`: the whole commission as a new coin for the sender.
    CollectCommission {
        /// The node.
        node_id: ObjectId,
        /// Must match the pool's commission receiver.
        auth: Auth,
    },
    /// `set_commission_receiver`.
    SetCommissionReceiver {
        /// The node.
        node_id: ObjectId,
        /// Must match the current receiver.
        auth: Auth,
        /// The new receiver.
        receiver: Authorized,
    },
    /// `set_governance_authorized`.
    SetGovernanceAuthorized {
        /// The node.
        node_id: ObjectId,
        /// Must match the current holder.
        auth: Auth,
        /// The new holder.
        authorized: Authorized,
    },
    /// `try_join_active_set`.
    TryJoinActiveSet {
        /// The sender's cap.
        cap: ObjectId,
    },
    /// `staking::add_commission_to_pools`: the coins (consumed whole, as a programmable
    /// transaction turns them into the `vector<Balance<WAL>>` with `coin::into_balance`) go to
    /// the commission of the pools, pairwise.
    AddCommissionToPools {
        /// The nodes.
        node_ids: Vec<ObjectId>,
        /// One WAL coin per node.
        commissions: Vec<ObjectId>,
    },
    /// `slashing::vote_for_slashing` (reads `Staking`, writes the `SlashingManager`).
    VoteForSlashing {
        /// Must hold the voter's governance authorization.
        auth: Auth,
        /// The voting node (in the current committee).
        voter_node_id: ObjectId,
        /// The node to slash.
        candidate_node_id: ObjectId,
    },
    /// `slashing::execute_slashing`: burns the candidate's whole commission.
    ExecuteSlashing {
        /// The node to slash.
        candidate_node_id: ObjectId,
    },
    /// `slashing::cleanup_slashing_proposals` (reads `Staking`).
    CleanupSlashingProposals {
        /// The candidates whose proposals from earlier epochs are dropped.
        node_ids: Vec<ObjectId>,
    },
    /// `stake_with_pool`: stakes the whole coin (split it first with `CoinCall::Split`); the
    /// `StakedWal` goes to the sender.
    StakeWithPool {
        /// A WAL coin the sender owns (consumed).
        coin: ObjectId,
        /// The node.
        node_id: ObjectId,
    },
    /// `request_withdraw_stake`.
    RequestWithdrawStake {
        /// The sender's `StakedWal`.
        staked_wal: ObjectId,
    },
    /// `withdraw_stake`: principal plus rewards as a new coin for the sender.
    WithdrawStake {
        /// The sender's `StakedWal` (consumed).
        staked_wal: ObjectId,
    },
    /// `staked_wal::split`: a new `StakedWal` of `amount` for the sender.
    SplitStakedWal {
        /// The sender's `StakedWal`.
        staked_wal: ObjectId,
        /// FROST to split off.
        amount: u64,
    },
    /// `staked_wal::join`: `other` is merged into `staked_wal`.
    JoinStakedWal {
        /// The `StakedWal` that remains.
        staked_wal: ObjectId,
        /// The one merged into it (consumed).
        other: ObjectId,
    },
    /// `voting_end` (clock = ledger time).
    VotingEnd,
    /// `initiate_epoch_change_v2` (clock = ledger time; the deprecated `initiate_epoch_change`
    /// always aborts in Move and has no call here).
    InitiateEpochChange,
    /// `epoch_sync_done`.
    EpochSyncDone {
        /// The sender's cap (its `last_epoch_sync_done` changes).
        cap: ObjectId,
        /// The epoch the node finished syncing for.
        epoch: u32,
    },
    /// `update_prices`.
    UpdatePrices,
}

// === The ledger as a staking environment ===

/// [`StakingEnv`] over a transaction view: pools are ledger objects owned by the pools table,
/// the System hooks are SYSTEM's functions in [`super::system`].
struct LedgerEnv<'v, 'a> {
    view: &'v mut View<'a>,
    pools_id: ObjectId,
    now: u64,
}

impl StakingEnv for LedgerEnv<'_, '_> {
    fn now_ms(&self) -> u64 {
        self.now
    }

    fn new_id(&mut self) -> ObjectId {
        self.view.new_id()
    }

    fn pool(&self, node_id: &ObjectId) -> Option<StakingPool> {
        match self.view.get(node_id) {
            Some((_, WalrusObject::Staking(StakingObject::Pool(p)))) => Some(p.as_ref().clone()),
            _ => None,
        }
    }

    fn put_pool(&mut self, pool: StakingPool) {
        self.view.put(
            pool.object_id(),
            Owner::Object(self.pools_id),
            WalrusObject::Staking(StakingObject::Pool(Box::new(pool))),
        );
    }

    fn emit(&mut self, event: events::StakingEvent) {
        self.view
            .emit(walrus_type("events", event.name()), event.bcs());
    }

    fn extract_burn_balance(&mut self) -> Result<u64, ExecutionFailure> {
        system::extract_burn_balance(self.view)
    }

    fn burn(&mut self, amount: u64) -> Result<(), ExecutionFailure> {
        system::burn(self.view, amount);
        Ok(())
    }

    fn advance_system_epoch(
        &mut self,
        epoch: u32,
        members: Vec<NewCommitteeMember>,
        params: &EpochParams,
    ) -> Result<Vec<(ObjectId, u64)>, ExecutionFailure> {
        let members = members
            .iter()
            .map(|m| {
                bls_aggregate::new_bls_committee_member(
                    &m.public_key,
                    m.weight,
                    to_move_id(m.node_id),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let committee = bls_aggregate::new_bls_committee(epoch, members)?;
        system::advance_epoch(self.view, committee, params)
    }

    fn set_prices(&mut self, storage: u64, write: u64) -> Result<(), ExecutionFailure> {
        system::set_prices(self.view, storage, write)
    }
}

// === Loading and storing ===

/// The id of the shared `Staking` object (from the registry).
pub fn staking_object_id(view: &View<'_>) -> Result<ObjectId, ExecutionFailure> {
    Ok(registry(view)?.staking)
}

/// Loads the `Staking` object, checking its version as `staking::inner` does
/// (`staking::EWrongVersion`).
pub fn load(view: &View<'_>) -> Result<StakingState, ExecutionFailure> {
    let id = staking_object_id(view)?;
    let state = match view.get(&id) {
        Some((_, WalrusObject::Staking(StakingObject::Staking(s)))) => s.as_ref().clone(),
        Some(_) => return Err(input::EWrongObjectType.fail_with("staking")),
        None => return Err(input::EObjectNotFound.fail_with("staking")),
    };
    errors::staking::EWrongVersion.ensure(state.version == VERSION)?;
    Ok(state)
}

fn save(view: &mut View<'_>, state: StakingState) {
    view.put(
        state.id,
        Owner::Shared,
        WalrusObject::Staking(StakingObject::Staking(Box::new(state))),
    );
}

/// The `Staking` state in a ledger's objects (for readers).
pub fn staking_state(objects: &ObjectStore<WalrusObject>) -> Option<StakingState> {
    let id = super::WalrusMachine::registry(objects)?.staking;
    match objects.get(&id).map(|o| &o.value) {
        Some(WalrusObject::Staking(StakingObject::Staking(s))) => Some(s.as_ref().clone()),
        _ => None,
    }
}

/// The pool of `node_id` in a ledger's objects, as stored (for readers).
pub fn pool_of(objects: &ObjectStore<WalrusObject>, node_id: &ObjectId) -> Option<StakingPool> {
    match objects.get(node_id).map(|o| &o.value) {
        Some(WalrusObject::Staking(StakingObject::Pool(p))) => Some(p.as_ref().clone()),
        _ => None,
    }
}

/// `staking::calculate_rewards` as a pure function of a pool (read-only): the reward of
/// `principal` activated at `activation_epoch` and withdrawn at `withdraw_epoch`, exact for
/// epochs the pool has been advanced to (later epochs use its latest rate).
pub fn calculate_rewards(
    pool: &StakingPool,
    principal: u64,
    activation_epoch: u32,
    withdraw_epoch: u32,
) -> Result<u64, ExecutionFailure> {
    pool.calculate_rewards(principal, activation_epoch, withdraw_epoch)
}

/// `staking::can_withdraw_staked_wal_early` as a pure function of the state.
pub fn can_withdraw_staked_wal_early(state: &StakingInnerV1, staked_wal: &StakedWal) -> bool {
    state.can_withdraw_staked_wal_early(staked_wal)
}

/// The sender's `StorageNodeCap` `id` (input errors as for any owned object).
pub(crate) fn owned_cap(
    view: &View<'_>,
    id: &ObjectId,
) -> Result<StorageNodeCap, ExecutionFailure> {
    match super::owned(view, id)? {
        WalrusObject::Staking(StakingObject::NodeCap(c)) => Ok(*c),
        _ => Err(input::EWrongObjectType.fail_with(format!("{id} is not a StorageNodeCap"))),
    }
}

fn owned_staked_wal(view: &View<'_>, id: &ObjectId) -> Result<StakedWal, ExecutionFailure> {
    match super::owned(view, id)? {
        WalrusObject::Staking(StakingObject::StakedWal(s)) => Ok(s.clone()),
        _ => Err(input::EWrongObjectType.fail_with(format!("{id} is not a StakedWal"))),
    }
}

/// `auth::authenticate_*` for the sender of `view`.
fn authenticate(view: &View<'_>, auth: &Auth) -> Result<Authenticated, ExecutionFailure> {
    match auth {
        Auth::Sender => Ok(Authenticated::Sender(view.sender)),
        Auth::Object(id) => match view.get(id) {
            None => Err(input::EObjectNotFound.fail_with(id)),
            Some((Owner::Address(a), _)) if a == view.sender => Ok(Authenticated::Object(*id)),
            Some((Owner::Shared | Owner::Immutable, _)) => Ok(Authenticated::Object(*id)),
            Some(_) => Err(input::ENotOwner.fail_with(id)),
        },
    }
}

/// The shared `SlashingManager` of the registry.
fn load_slashing_manager(
    view: &View<'_>,
) -> Result<(ObjectId, slashing::SlashingManagerObject), ExecutionFailure> {
    let id = registry(view)?.slashing_manager;
    match super::shared(view, &id)? {
        WalrusObject::Staking(StakingObject::SlashingManager(m)) => Ok((id, m.clone())),
        _ => Err(input::EWrongObjectType.fail_with("slashing manager")),
    }
}

fn save_slashing_manager(
    view: &mut View<'_>,
    id: ObjectId,
    manager: slashing::SlashingManagerObject,
) {
    view.put(
        id,
        Owner::Shared,
        WalrusObject::Staking(StakingObject::SlashingManager(manager)),
    );
}

/// `slashing::new` at initialization: creates and shares the `SlashingManager` (its id, then
/// its table's) and returns its id.
pub fn create_slashing_manager(view: &mut View<'_>) -> ObjectId {
    let id = view.new_id();
    let candidates_id = view.new_id();
    save_slashing_manager(
        view,
        id,
        slashing::SlashingManagerObject::new(id, candidates_id),
    );
    id
}

/// Writes back a `StorageNodeCap` taken by `&mut` (owned by the sender).
pub(crate) fn save_cap(view: &mut View<'_>, cap: StorageNodeCap) {
    put_staking_object(view, to_object_id(cap.id), StakingObject::NodeCap(cap));
}

fn put_staking_object(view: &mut View<'_>, id: ObjectId, object: StakingObject) {
    put_owned(view, id, WalrusObject::Staking(object));
}

// === Execution ===

/// Runs a staking call (see [`StakingCall`] for what each does).
pub fn execute(
    view: &mut View<'_>,
    _config: &GenesisConfig,
    call: &StakingCall,
) -> Result<(), ExecutionFailure> {
    // `update_prices` and two slashing calls take `&Staking`: the object is read, not written.
    match call {
        StakingCall::UpdatePrices => {
            let state = load(view)?;
            let mut env = env(view, &state);
            return state.inner.update_prices(&mut env);
        }
        StakingCall::VoteForSlashing {
            auth,
            voter_node_id,
            candidate_node_id,
        } => {
            let (manager_id, mut manager) = load_slashing_manager(view)?;
            let auth = authenticate(view, auth)?;
            let state = load(view)?;
            let env = env(view, &state);
            manager.vote_for_slashing(
                &state.inner,
                &env,
                &auth,
                *voter_node_id,
                *candidate_node_id,
            )?;
            save_slashing_manager(view, manager_id, manager);
            return Ok(());
        }
        StakingCall::CleanupSlashingProposals { node_ids } => {
            let (manager_id, mut manager) = load_slashing_manager(view)?;
            let state = load(view)?;
            manager.cleanup_slashing_proposals(state.inner.epoch, node_ids);
            save_slashing_manager(view, manager_id, manager);
            return Ok(());
        }
        _ => {}
    }
    // Input objects are resolved first (Sui refuses a transaction with a bad input before
    // running it), then the PTB-built values (metadata), then the Move function.
    let sender = view.sender;
    match call {
        StakingCall::RegisterCandidate { metadata, .. } => node::validate_metadata(metadata)?,
        StakingCall::SetNodeMetadata { cap, metadata } => {
            owned_cap(view, cap)?;
            node::validate_metadata(metadata)?;
        }
        _ => {}
    }
    let mut state = load(view)?;
    let s = &mut state.inner;
    let pools_id = to_object_id(s.pools.id);
    let now = view.timestamp_ms;
    macro_rules! env {
        () => {
            &mut LedgerEnv {
                view: &mut *view,
                pools_id,
                now,
            }
        };
    }
    match call {
        StakingCall::RegisterCandidate {
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
        } => {
            let cap = s.register_candidate(
                env!(),
                sender,
                Registration {
                    name: name.clone(),
                    network_address: network_address.clone(),
                    metadata: metadata.clone(),
                    public_key: public_key.clone(),
                    network_public_key: network_public_key.clone(),
                    proof_of_possession: proof_of_possession.clone(),
                    commission_rate: *commission_rate,
                    storage_price: *storage_price,
                    write_price: *write_price,
                    node_capacity: *node_capacity,
                },
            )?;
            put_staking_object(view, to_object_id(cap.id), StakingObject::NodeCap(cap));
        }
        StakingCall::SetNextPublicKey {
            cap,
            public_key,
            proof_of_possession,
        } => {
            let cap = owned_cap(view, cap)?;
            s.set_next_public_key(env!(), sender, &cap, public_key, proof_of_possession)?;
        }
        StakingCall::SetName { cap, name } => {
            let cap = owned_cap(view, cap)?;
            s.with_pool(env!(), cap.pool_id(), |p| {
                p.node_info.set_name(name.clone())
            })?;
        }
        StakingCall::SetNetworkAddress {
            cap,
            network_address,
        } => {
            let cap = owned_cap(view, cap)?;
            s.with_pool(env!(), cap.pool_id(), |p| {
                p.node_info.set_network_address(network_address.clone())
            })?;
        }
        StakingCall::SetNetworkPublicKey {
            cap,
            network_public_key,
        } => {
            let cap = owned_cap(view, cap)?;
            s.with_pool(env!(), cap.pool_id(), |p| {
                p.node_info
                    .set_network_public_key(network_public_key.clone())
            })?;
        }
        StakingCall::SetNodeMetadata { cap, metadata } => {
            let cap = owned_cap(view, cap)?;
            s.with_pool(env!(), cap.pool_id(), |p| {
                p.metadata = metadata.clone();
                Ok(())
            })?;
        }
        StakingCall::SetNextCommission {
            cap,
            commission_rate,
        } => {
            let cap = owned_cap(view, cap)?;
            s.set_next_commission(env!(), &cap, *commission_rate)?;
        }
        StakingCall::SetStoragePriceVote { cap, price } => {
            let cap = owned_cap(view, cap)?;
            s.with_pool(env!(), cap.pool_id(), |p| {
                p.voting_params.storage_price = *price;
                Ok(())
            })?;
        }
        StakingCall::SetWritePriceVote { cap, price } => {
            let cap = owned_cap(view, cap)?;
            s.with_pool(env!(), cap.pool_id(), |p| {
                p.voting_params.write_price = *price;
                Ok(())
            })?;
        }
        StakingCall::SetNodeCapacityVote { cap, capacity } => {
            let cap = owned_cap(view, cap)?;
            s.with_pool(env!(), cap.pool_id(), |p| {
                p.voting_params.node_capacity = *capacity;
                Ok(())
            })?;
        }
        StakingCall::CollectCommission { node_id, auth } => {
            let auth = authenticate(view, auth)?;
            let amount = s.collect_commission(env!(), *node_id, &auth)?;
            coin::new_coin(view, sender, amount);
        }
        StakingCall::SetCommissionReceiver {
            node_id,
            auth,
            receiver,
        } => {
            let auth = authenticate(view, auth)?;
            s.with_pool(env!(), *node_id, |p| {
                p.set_commission_receiver(&auth, *receiver)
            })?;
        }
        StakingCall::SetGovernanceAuthorized {
            node_id,
            auth,
            authorized,
        } => {
            let auth = authenticate(view, auth)?;
            s.with_pool(env!(), *node_id, |p| {
                p.set_governance_authorized(&auth, *authorized)
            })?;
        }
        StakingCall::TryJoinActiveSet { cap } => {
            let cap = owned_cap(view, cap)?;
            s.try_join_active_set(env!(), &cap)?;
        }
        StakingCall::StakeWithPool { coin, node_id } => {
            let amount = coin::take_coin(view, coin)?;
            let staked = s.stake_with_pool(env!(), amount, *node_id)?;
            put_staking_object(
                view,
                to_object_id(staked.id),
                StakingObject::StakedWal(staked),
            );
        }
        StakingCall::RequestWithdrawStake { staked_wal } => {
            let mut sw = owned_staked_wal(view, staked_wal)?;
            s.request_withdraw_stake(env!(), &mut sw)?;
            put_staking_object(view, to_object_id(sw.id), StakingObject::StakedWal(sw));
        }
        StakingCall::WithdrawStake { staked_wal } => {
            let sw = owned_staked_wal(view, staked_wal)?;
            let amount = s.withdraw_stake(env!(), &sw)?;
            view.delete(to_object_id(sw.id));
            coin::new_coin(view, sender, amount);
        }
        StakingCall::SplitStakedWal { staked_wal, amount } => {
            let mut sw = owned_staked_wal(view, staked_wal)?;
            let new_id = view.new_id();
            let part = sw.split(*amount, new_id)?;
            put_staking_object(view, to_object_id(sw.id), StakingObject::StakedWal(sw));
            put_staking_object(view, to_object_id(part.id), StakingObject::StakedWal(part));
            // `staked_wal::split` does not touch the `Staking` object.
            return Ok(());
        }
        StakingCall::JoinStakedWal { staked_wal, other } => {
            let mut sw = owned_staked_wal(view, staked_wal)?;
            if staked_wal == other {
                // Move cannot pass the same object twice.
                return Err(input::EWrongObjectType.fail_with("joining a StakedWal with itself"));
            }
            let o = owned_staked_wal(view, other)?;
            sw.join(&o)?;
            view.delete(to_object_id(o.id));
            put_staking_object(view, to_object_id(sw.id), StakingObject::StakedWal(sw));
            return Ok(());
        }
        StakingCall::AddCommissionToPools {
            node_ids,
            commissions,
        } => {
            let amounts = coin::take_coins(view, commissions)?;
            s.add_commission_to_pools(env!(), node_ids, &amounts)?;
        }
        StakingCall::ExecuteSlashing { candidate_node_id } => {
            let (manager_id, mut manager) = load_slashing_manager(view)?;
            let burned = manager.execute_slashing(s, env!(), *candidate_node_id)?;
            // `staking::burn_commission`: `wal::burn` through the `&mut ProtectedTreasury`.
            system::burn(view, burned);
            save_slashing_manager(view, manager_id, manager);
        }
        StakingCall::VotingEnd => s.voting_end(env!())?,
        StakingCall::InitiateEpochChange => {
            s.initiate_epoch_change(env!())?;
            // `&mut ProtectedTreasury`: written back even when nothing was burned.
            let treasury = registry(view)?.treasury;
            if let Some((owner, value)) = view.get(&treasury) {
                let value = value.clone();
                view.put(treasury, owner, value);
            }
        }
        StakingCall::EpochSyncDone { cap, epoch } => {
            let mut c = owned_cap(view, cap)?;
            s.epoch_sync_done(env!(), &mut c, *epoch)?;
            put_staking_object(view, to_object_id(c.id), StakingObject::NodeCap(c));
        }
        StakingCall::UpdatePrices
        | StakingCall::VoteForSlashing { .. }
        | StakingCall::CleanupSlashingProposals { .. } => {}
    }
    // `&mut Staking`: written back (its version moves, as on Sui).
    save(view, state);
    Ok(())
}

fn env<'v, 'a>(view: &'v mut View<'a>, state: &StakingState) -> LedgerEnv<'v, 'a> {
    let now = view.timestamp_ms;
    LedgerEnv {
        view,
        pools_id: to_object_id(state.inner.pools.id),
        now,
    }
}

// === Genesis ===

/// The votes of a genesis node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisVotes {
    /// Storage price vote (FROST per MiB per epoch).
    pub storage_price: u64,
    /// Write price vote (FROST per MiB).
    pub write_price: u64,
    /// Capacity vote (encoded bytes).
    pub node_capacity: u64,
}

/// A storage node created at genesis (see [`genesis`]). Byte fields are hex in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisNode {
    /// Name (<= 100 bytes).
    pub name: String,
    /// `host:port` (<= 259 bytes).
    pub network_address: String,
    /// Compressed BLS12-381 G1 protocol key (48 bytes).
    #[serde(with = "hex_bytes")]
    pub bls_public_key: Vec<u8>,
    /// Proof of possession for epoch 0 and `owner`: see [`GenesisNode::new`].
    #[serde(with = "hex_bytes")]
    pub proof_of_possession: Vec<u8>,
    /// Network public key (33 bytes).
    #[serde(with = "hex_bytes")]
    pub network_public_key: Vec<u8>,
    /// Commission in basis points (<= 10_000).
    pub commission_rate: u16,
    /// The operator: registers the node, owns its `StorageNodeCap` and the genesis stake.
    pub owner: Address,
    /// FROST staked with the node at genesis by `owner`, from the faucet's supply (0: none;
    /// otherwise at least 1 WAL).
    pub stake: u64,
    /// The node's votes.
    pub votes: GenesisVotes,
    /// Metadata (default empty).
    #[serde(default)]
    pub metadata: NodeMetadata,
}

impl GenesisNode {
    /// A genesis node whose proof of possession is signed here with `bls_key` for epoch 0
    /// and `owner`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: impl Into<String>,
        network_address: impl Into<String>,
        bls_key: &crate::bls::BlsPrivateKey,
        network_public_key: Vec<u8>,
        commission_rate: u16,
        owner: Address,
        stake: u64,
        votes: GenesisVotes,
    ) -> Self {
        Self {
            name: name.into(),
            network_address: network_address.into(),
            bls_public_key: bls_key.public_key().as_bytes().to_vec(),
            proof_of_possession: sign_proof_of_possession(bls_key, 0, owner),
            network_public_key,
            commission_rate,
            owner,
            stake,
            votes,
            metadata: NodeMetadata::default(),
        }
    }
}

/// Creates the shared `Staking` object and the genesis nodes; returns the `Staking` id. Runs
/// after the `System`, treasury and faucet exist.
///
/// 1. `staking::create(epoch_zero_duration, epoch_duration_ms, n_shards, clock)`: the `Staking`
///    object (then its pools table) in epoch 0, `EpochChangeDone(genesis time)`,
///    `first_epoch_start = genesis time + epoch_zero_duration`, where `epoch_zero_duration`
///    is `GenesisConfig::epoch_zero_duration_ms` without genesis nodes and 0 with them (genesis
///    then ends epoch 0 itself, at the genesis time). Aborts `EInvalidParameters` for zero
///    shards or a zero epoch duration.
/// 2. For each node, in the order given: `register_candidate` sent by `owner` (the proof of
///    possession must verify for epoch 0 and `owner`; every Move check applies), the
///    `StorageNodeCap` to `owner`; then, if `stake > 0`, `stake` FROST from the faucet
///    (`coin::faucet_withdraw`) staked by `owner` with `stake_with_pool` (activation epoch 1),
///    the `StakedWal` to `owner`.
/// 3. Only if there are nodes, the epoch-0 bootstrap at the genesis time: `voting_end`
///    (committee from the genesis stakes, shards in node-id order; emits
///    `EpochParametersSelected(1)`), `initiate_epoch_change` (no rewards, so nothing burned;
///    `System` and `Staking` in epoch 1; emits `EpochChangeStart(1)`, `EpochChangeDone(1)` if
///    no node has stake, and `PricesUpdated(1, storage, write)` from the votes), then
///    `epoch_sync_done(1)` for every committee member in node-id order by its owner (emits
///    `ShardsReceived(1, shards)` each and `EpochChangeDone(1)` once the quorum is reached).
///    The devnet thus starts in epoch 1 with `EpochChangeDone(genesis time)`: `voting_end`
///    opens at genesis + d/2 and epoch 2 at genesis + d.
///
/// Genesis events, in order: `EpochParametersSelected{1}`, `EpochChangeStart{1}`,
/// `PricesUpdated{1, ..}`, then `ShardsReceived{1, ..}` per member with `EpochChangeDone{1}`
/// right after the report that reaches the quorum. No events without genesis nodes.
pub fn genesis(view: &mut View<'_>, config: &GenesisConfig) -> Result<ObjectId, ExecutionFailure> {
    let now = view.timestamp_ms;
    // Move's order: the object, then the state's pools table and its two `ExtendedField`s.
    let id = view.new_id();
    let pools_id = view.new_id();
    let extended_fields = [view.new_id(), view.new_id()];
    let epoch_zero_duration = if config.nodes.is_empty() {
        config.epoch_zero_duration_ms
    } else {
        0
    };
    let mut inner = StakingInnerV1::new(
        epoch_zero_duration,
        config.epoch_duration_ms,
        config.n_shards,
        now,
        [pools_id, extended_fields[0], extended_fields[1]],
    )?;
    let mut caps = Vec::with_capacity(config.nodes.len());
    for node in &config.nodes {
        node::validate_metadata(&node.metadata)?;
        let cap = inner.register_candidate(
            &mut LedgerEnv {
                view: &mut *view,
                pools_id,
                now,
            },
            node.owner,
            Registration {
                name: node.name.clone(),
                network_address: node.network_address.clone(),
                metadata: node.metadata.clone(),
                public_key: node.bls_public_key.clone(),
                network_public_key: node.network_public_key.clone(),
                proof_of_possession: node.proof_of_possession.clone(),
                commission_rate: node.commission_rate,
                storage_price: node.votes.storage_price,
                write_price: node.votes.write_price,
                node_capacity: node.votes.node_capacity,
            },
        )?;
        if node.stake > 0 {
            let amount = coin::faucet_withdraw(view, node.stake)?;
            let staked = inner.stake_with_pool(
                &mut LedgerEnv {
                    view: &mut *view,
                    pools_id,
                    now,
                },
                amount,
                cap.pool_id(),
            )?;
            view.put(
                to_object_id(staked.id),
                Owner::Address(node.owner),
                WalrusObject::Staking(StakingObject::StakedWal(staked)),
            );
        }
        caps.push((node.owner, cap));
    }
    if !config.nodes.is_empty() {
        let env = &mut LedgerEnv {
            view: &mut *view,
            pools_id,
            now,
        };
        inner.voting_end(env)?;
        inner.initiate_epoch_change(env)?;
        caps.sort_by_key(|c| c.1.node_id);
        let epoch = inner.epoch;
        for (_, cap) in caps.iter_mut() {
            if inner.committee.contains(&cap.node_id) {
                inner.epoch_sync_done(env, cap, epoch)?;
            }
        }
    }
    for (owner, cap) in caps {
        view.put(
            to_object_id(cap.id),
            Owner::Address(owner),
            WalrusObject::Staking(StakingObject::NodeCap(cap)),
        );
    }
    view.put(
        id,
        Owner::Shared,
        WalrusObject::Staking(StakingObject::Staking(Box::new(StakingState {
            id,
            version: VERSION,
            inner,
        }))),
    );
    Ok(id)
}
