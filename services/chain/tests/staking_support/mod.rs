//! The staking test world, mirroring `move/walrus/tests/staking/staking_test_utils.move`: the
//! real `WalrusMachine` run by the real `Ledger` (signed transactions, journal) with a
//! `ManualClock` starting at 0, as Move's test clock does, so every time in the Move tests is
//! the same number here. Every step is a signed transaction through `Ledger::submit`.
#![allow(clippy::unwrap_used, dead_code)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use sui_crypto::ed25519::Ed25519PrivateKey;
use sui_sdk_types::Address;
use walrus_chain::bls::BlsPrivateKey;
use walrus_chain::devnet::ledger::{Ledger, LedgerOptions, ManualClock};
use walrus_chain::devnet::tx::{SignedTransaction, TransactionData, address_of};
use walrus_chain::types::{
    ChangeKind, ExecutionFailure, ExecutionStatus, ObjectId, Owner, TransactionRecord,
};
use walrus_chain::walrus::errors::AbortCode;
use walrus_chain::walrus::staking::{
    self, EpochState, NodeMetadata, StakedWal, StakingCall, StakingInnerV1, StakingObject,
    StakingPool, StorageNodeCap,
};
use walrus_chain::walrus::{
    Call, CoinCall, GenesisConfig, SystemCall, WalrusMachine, WalrusObject,
};
use walrus_core::contracts::{self, ContractEvent, SystemStateInnerV1};

/// 1 WAL in FROST.
pub const WAL: u64 = 1_000_000_000;
/// `staking_test_utils::EPOCH_ZERO_DURATION`.
pub const EPOCH_ZERO_DURATION: u64 = 100;
/// `staking_test_utils::EPOCH_DURATION`.
pub const EPOCH_DURATION: u64 = 1000;
/// `staking_test_utils::MAX_EPOCHS_AHEAD`.
pub const MAX_EPOCHS_AHEAD: u32 = 10;
/// 1 MiB.
pub const MIB: u64 = 1_048_576;

/// FROST in `n` WAL (`staking_test_utils::frost`).
pub fn frost(n: u64) -> u64 {
    n * WAL
}

/// A signing account.
pub struct Account {
    pub key: Ed25519PrivateKey,
}

impl Account {
    pub fn new(seed: u8) -> Self {
        Self {
            key: Ed25519PrivateKey::new([seed; 32]),
        }
    }
    pub fn address(&self) -> Address {
        address_of(&self.key)
    }
}

/// `staking_test_utils::ADMIN`: registers, stakes and drives the epochs.
pub fn admin() -> Account {
    Account::new(0xAD)
}

/// Another account.
pub fn stranger() -> Account {
    Account::new(0xC0)
}

/// The BLS key of node `seed` (a real key; Move's test keys are `(seed + 1) * G`).
pub fn bls_key(seed: u8) -> BlsPrivateKey {
    BlsPrivateKey::from_ikm(&[seed.wrapping_add(0x10); 32]).unwrap()
}

/// `staking_test_utils::network_pk`: 33 bytes `2, 0, 1, ..., 31`.
pub fn network_pk() -> Vec<u8> {
    let mut key = vec![2u8];
    key.extend(0u8..32);
    key
}

/// A registered node: its cap and node id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub cap: ObjectId,
    pub id: ObjectId,
}

/// `staking_test_utils::World`.
pub struct World {
    pub ledger: Ledger<WalrusMachine>,
    pub clock: Arc<ManualClock>,
    pub admin: Account,
    pub config: GenesisConfig,
    _dir: tempfile::TempDir,
}

/// The id of the object of type `type_part` a record created.
pub fn created(record: &TransactionRecord, type_part: &str) -> ObjectId {
    record
        .object_changes
        .iter()
        .find(|c| c.kind == ChangeKind::Created && c.object_type.contains(type_part))
        .unwrap_or_else(|| panic!("no {type_part} created: {record:#?}"))
        .object_id
}

/// The walrus events of a record, decoded (in order).
pub fn events(record: &TransactionRecord) -> Vec<ContractEvent> {
    record
        .events
        .iter()
        .filter_map(|e| ContractEvent::decode(&e.event_type, &e.bcs).unwrap())
        .collect()
}

/// The walrus config of `staking_test_utils::world(n_shards)` (no genesis nodes).
pub fn test_config(n_shards: u16) -> GenesisConfig {
    GenesisConfig {
        n_shards,
        max_epochs_ahead: MAX_EPOCHS_AHEAD,
        epoch_duration_ms: EPOCH_DURATION,
        epoch_zero_duration_ms: EPOCH_ZERO_DURATION,
        faucet_max_per_call: frost(1_000_000),
        ..GenesisConfig::default()
    }
}

impl World {
    /// `staking_test_utils::world(n_shards)`: time 0, epoch 0, no nodes.
    pub fn new(n_shards: u16) -> Self {
        Self::with_config(test_config(n_shards))
    }

    /// A ledger with this genesis configuration, opened at time 0.
    pub fn with_config(config: GenesisConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(0));
        let ledger = Ledger::open(
            dir.path(),
            WalrusMachine::new(config.clone()),
            clock.clone(),
            LedgerOptions::default(),
        )
        .unwrap();
        Self {
            ledger,
            clock,
            admin: admin(),
            config,
            _dir: dir,
        }
    }

    /// Drops the ledger and opens it again from its directory (the journal is replayed and
    /// every replayed transaction must reproduce its journaled record), with `snapshot_every`.
    pub fn reopen(self, snapshot_every: u64) -> Self {
        let Self {
            ledger,
            clock,
            admin,
            config,
            _dir,
        } = self;
        drop(ledger);
        let ledger = Ledger::open(
            _dir.path(),
            WalrusMachine::new(config.clone()),
            clock.clone(),
            LedgerOptions {
                snapshot_every,
                ..LedgerOptions::default()
            },
        )
        .unwrap();
        Self {
            ledger,
            clock,
            admin,
            config,
            _dir,
        }
    }

    // === Transactions ===

    /// Signs and submits `call` from `who`; the durable record.
    pub fn send(&self, who: &Account, call: Call) -> TransactionRecord {
        let nonce = self.ledger.next_nonce(who.address());
        let tx = SignedTransaction::sign(
            &TransactionData {
                sender: who.address(),
                nonce,
                call,
            },
            &who.key,
        );
        self.ledger.submit(tx).unwrap().durable_blocking().unwrap()
    }

    /// A staking call from `who` that must succeed.
    pub fn ok_as(&self, who: &Account, call: StakingCall) -> TransactionRecord {
        let record = self.send(who, Call::Staking(call));
        assert_eq!(record.status, ExecutionStatus::Success, "{record:#?}");
        record
    }

    /// A staking call from the admin that must succeed.
    pub fn ok(&self, call: StakingCall) -> TransactionRecord {
        self.ok_as(&self.admin, call)
    }

    /// A call from `who` that must abort; returns the failure (the record has no changes).
    pub fn fails_as(&self, who: &Account, call: Call) -> ExecutionFailure {
        let record = self.send(who, call);
        assert!(record.events.is_empty() && record.object_changes.is_empty());
        match record.status {
            ExecutionStatus::Failure(f) => f,
            ExecutionStatus::Success => panic!("expected an abort: {record:#?}"),
        }
    }

    /// Asserts that the staking call from `who` aborts with `code` and changes nothing.
    pub fn aborts_as(&self, who: &Account, call: StakingCall, code: AbortCode) {
        let before = self.snapshot();
        let failure = self.fails_as(who, Call::Staking(call));
        assert!(
            code.matches(&failure),
            "expected {}::{} ({}), got {failure:?}",
            code.module,
            code.name,
            code.code
        );
        assert_eq!(self.snapshot(), before, "an aborted call changed state");
    }

    /// Asserts that the admin's staking call aborts with `code` and changes nothing.
    pub fn aborts(&self, call: StakingCall, code: AbortCode) {
        self.aborts_as(&self.admin, call, code);
    }

    /// Every object with its version (to compare states).
    pub fn snapshot(&self) -> Vec<(ObjectId, u64)> {
        let mut ids: Vec<ObjectId> = self.ledger.with_objects(|o| {
            let s = staking::staking_state(o).unwrap();
            let r = WalrusMachine::registry(o).unwrap();
            let mut ids = s.inner.pool_ids.clone();
            ids.extend([r.staking, r.system, r.treasury, r.faucet]);
            ids
        });
        for who in [admin(), stranger()] {
            ids.extend(
                self.ledger
                    .owned_objects(who.address())
                    .into_iter()
                    .map(|(id, _)| id),
            );
        }
        ids.into_iter()
            .map(|id| (id, self.ledger.object(&id).map_or(0, |o| o.version)))
            .collect()
    }

    // === Reads ===

    /// The staking state.
    pub fn staking(&self) -> StakingInnerV1 {
        self.ledger
            .with_objects(staking::staking_state)
            .unwrap()
            .inner
    }

    /// The pool of `node`, as stored.
    pub fn pool(&self, node: ObjectId) -> StakingPool {
        self.ledger
            .with_objects(|o| staking::pool_of(o, &node))
            .unwrap()
    }

    /// The system state.
    pub fn system(&self) -> SystemStateInnerV1 {
        let id = self
            .ledger
            .with_objects(WalrusMachine::registry)
            .unwrap()
            .system;
        match self.ledger.object(&id).unwrap().value {
            WalrusObject::System(s) => s.inner,
            other => panic!("{other:?}"),
        }
    }

    /// The WAL in existence (`treasury.total_supply()`).
    pub fn total_supply(&self) -> u64 {
        let id = self
            .ledger
            .with_objects(WalrusMachine::registry)
            .unwrap()
            .treasury;
        match self.ledger.object(&id).unwrap().value {
            WalrusObject::Treasury(t) => t.total_supply,
            other => panic!("{other:?}"),
        }
    }

    /// A `StakedWal` object.
    pub fn staked(&self, id: ObjectId) -> StakedWal {
        match self.ledger.object(&id).unwrap().value {
            WalrusObject::Staking(StakingObject::StakedWal(s)) => s,
            other => panic!("not a StakedWal: {other:?}"),
        }
    }

    /// A `StorageNodeCap` object.
    pub fn cap(&self, id: ObjectId) -> StorageNodeCap {
        match self.ledger.object(&id).unwrap().value {
            WalrusObject::Staking(StakingObject::NodeCap(c)) => c,
            other => panic!("not a StorageNodeCap: {other:?}"),
        }
    }

    /// The value of a WAL coin.
    pub fn coin_value(&self, id: ObjectId) -> u64 {
        match self.ledger.object(&id).unwrap().value {
            WalrusObject::WalCoin(c) => c.balance,
            other => panic!("not a coin: {other:?}"),
        }
    }

    /// The owner of an object.
    pub fn owner(&self, id: ObjectId) -> Owner {
        self.ledger.object(&id).unwrap().owner
    }

    /// `staking.calculate_rewards(node, principal, activation, withdraw)` (read-only).
    pub fn calculate_rewards(&self, node: ObjectId, principal: u64, a: u32, w: u32) -> u64 {
        staking::calculate_rewards(&self.pool(node), principal, a, w).unwrap()
    }

    /// `staking.can_withdraw_staked_wal_early(sw)` (read-only).
    pub fn can_withdraw_early(&self, sw: ObjectId) -> bool {
        staking::can_withdraw_staked_wal_early(&self.staking(), &self.staked(sw))
    }

    // === Steps of staking_test_utils ===

    /// A coin of `amount` FROST for `who` from the faucet.
    pub fn coin(&self, who: &Account, amount: u64) -> ObjectId {
        let record = self.send(who, Call::Coin(CoinCall::Faucet { amount }));
        assert_eq!(record.status, ExecutionStatus::Success, "{record:#?}");
        created(&record, "::coin::Coin<")
    }

    /// `register_candidate` by the admin with a real proof of possession.
    pub fn register(
        &self,
        seed: u8,
        commission: u16,
        storage_price: u64,
        write_price: u64,
        capacity: u64,
    ) -> Node {
        let key = bls_key(seed);
        let epoch = self.staking().epoch;
        let record = self.ok(StakingCall::RegisterCandidate {
            name: "node".into(),
            network_address: "127.0.0.1:9000".into(),
            metadata: NodeMetadata::default(),
            public_key: key.public_key().as_bytes().to_vec(),
            network_public_key: network_pk(),
            proof_of_possession: staking::sign_proof_of_possession(
                &key,
                epoch,
                self.admin.address(),
            ),
            commission_rate: commission,
            storage_price,
            write_price,
            node_capacity: capacity,
        });
        let cap = created(&record, "::storage_node::StorageNodeCap");
        Node {
            cap,
            id: staking::CapOps::pool_id(&self.cap(cap)),
        }
    }

    /// `staking_test_utils::register_node`: votes 5, 7, 10^12.
    pub fn register_node(&self, seed: u8, commission: u16) -> Node {
        self.register(seed, commission, 5, 7, 1_000_000_000_000)
    }

    /// `staking_test_utils::register_node_with_votes` (commission 0).
    pub fn register_node_with_votes(
        &self,
        seed: u8,
        storage: u64,
        write: u64,
        capacity: u64,
    ) -> Node {
        self.register(seed, 0, storage, write, capacity)
    }

    /// `staking_test_utils::stake`: `n` WAL from the admin; the `StakedWal` id.
    pub fn stake(&self, node: ObjectId, n: u64) -> ObjectId {
        self.stake_frost(node, frost(n))
    }

    /// Stakes `amount` FROST from the admin.
    pub fn stake_frost(&self, node: ObjectId, amount: u64) -> ObjectId {
        let coin = self.coin(&self.admin, amount);
        let record = self.ok(StakingCall::StakeWithPool {
            coin,
            node_id: node,
        });
        created(&record, "::staked_wal::StakedWal")
    }

    /// `staking_test_utils::voting_time`.
    pub fn voting_time(&self) -> u64 {
        let s = self.staking();
        if s.epoch == 0 {
            return s.first_epoch_start;
        }
        s.epoch_state.last_epoch_change_time().unwrap() + EPOCH_DURATION / 2
    }

    /// `staking_test_utils::epoch_change_time`.
    pub fn epoch_change_time(&self) -> u64 {
        let s = self.staking();
        if s.epoch == 0 {
            return s.first_epoch_start;
        }
        s.epoch_state.last_epoch_change_time().unwrap() + EPOCH_DURATION
    }

    /// Moves the clock to `ms` (the ledger never goes backwards).
    pub fn set_time(&self, ms: u64) {
        self.clock.set(ms);
    }

    /// `staking_test_utils::run_voting_end`.
    pub fn run_voting_end(&self) -> TransactionRecord {
        let t = self.voting_time().max(self.ledger.last_timestamp_ms());
        self.set_time(t);
        self.ok(StakingCall::VotingEnd)
    }

    /// `staking_test_utils::run_epoch_change`.
    pub fn run_epoch_change(&self) -> TransactionRecord {
        let t = self
            .epoch_change_time()
            .max(self.ledger.last_timestamp_ms());
        self.set_time(t);
        self.ok(StakingCall::InitiateEpochChange)
    }

    /// `staking_test_utils::sync_all`: every cap of a committee member reports, 10 ms later.
    pub fn sync_all(&self, nodes: &[Node]) {
        self.set_time(self.ledger.last_timestamp_ms() + 10);
        let s = self.staking();
        for n in nodes {
            if s.committee
                .contains(&walrus_chain::walrus::to_move_id(n.id))
            {
                self.ok(StakingCall::EpochSyncDone {
                    cap: n.cap,
                    epoch: s.epoch,
                });
            }
        }
    }

    /// `staking_test_utils::next_epoch`.
    pub fn next_epoch(&self, nodes: &[Node]) {
        if !matches!(
            self.staking().epoch_state,
            EpochState::NextParamsSelected(_)
        ) {
            self.run_voting_end();
        }
        self.run_epoch_change();
        self.sync_all(nodes);
    }

    /// `staking_test_utils::add_epoch_rewards`: reserves 1 MiB for this epoch at the current
    /// storage price (so the epoch has used capacity) and adds the rest as a subsidy.
    pub fn add_epoch_rewards(&self, total: u64) {
        let price = self.system().storage_price_per_unit_size;
        let payment = self.coin(&self.admin, price);
        let record = self.send(
            &self.admin,
            Call::System(SystemCall::ReserveSpace {
                storage_amount: MIB,
                epochs_ahead: 1,
                payment,
            }),
        );
        assert_eq!(record.status, ExecutionStatus::Success, "{record:#?}");
        assert_eq!(self.coin_value(payment), 0);
        let subsidy = self.coin(&self.admin, total - price);
        let record = self.send(
            &self.admin,
            Call::System(SystemCall::AddSubsidy {
                subsidy,
                epochs_ahead: 1,
            }),
        );
        assert_eq!(record.status, ExecutionStatus::Success, "{record:#?}");
    }

    /// `staking_test_utils::withdraw`: the value of the coin paid out.
    pub fn withdraw(&self, staked_wal: ObjectId) -> u64 {
        let record = self.ok(StakingCall::WithdrawStake { staked_wal });
        assert!(self.ledger.object(&staked_wal).is_none());
        self.coin_value(created(&record, "::coin::Coin<"))
    }

    /// `staking_test_utils::request_withdraw`.
    pub fn request_withdraw(&self, staked_wal: ObjectId) {
        self.ok(StakingCall::RequestWithdrawStake { staked_wal });
    }

    /// `staking_test_utils::sync_done`.
    pub fn sync_done(&self, node: &Node, epoch: u32) -> TransactionRecord {
        self.ok(StakingCall::EpochSyncDone {
            cap: node.cap,
            epoch,
        })
    }
}

/// The Move test `bls_aggregate::test_node_id(i)` (address `i + 1`).
pub fn test_node_id(i: u64) -> ObjectId {
    Address::new(contracts::ObjectId::from_u64(i + 1).0)
}
