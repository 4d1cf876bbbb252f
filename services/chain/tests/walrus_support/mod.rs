//! A Walrus ledger for tests: the real `WalrusMachine` run by the real `Ledger` (signed
//! transactions, journal, `ManualClock`), plus the test-only setup Move's tests use
//! (`system::new_for_testing`, `set_committee_for_testing`, and the package-internal
//! `advance_epoch` / `extract_burn_balance` "as staking would") as extra calls of a wrapper
//! machine. Everything a test checks goes through `Ledger::submit` and the transaction records.
#![allow(clippy::unwrap_used, dead_code)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sui_crypto::ed25519::Ed25519PrivateKey;
use walrus_chain::bls::{BlsPrivateKey, BlsSignature};
use walrus_chain::devnet::ledger::{Ledger, LedgerOptions, Machine, ManualClock};
use walrus_chain::devnet::objects::TxView;
use walrus_chain::devnet::tx::{SignedTransaction, TransactionData, address_of};
use walrus_chain::types::{
    ChangeKind, ExecutionFailure, ExecutionStatus, ObjectId, TransactionRecord,
};
use walrus_chain::walrus::{
    BlobObject, Call, CoinCall, GenesisConfig, SystemCall, WalrusMachine, WalrusObject, errors,
    system,
};
use walrus_core::BlobId;
use walrus_core::contracts::{self, BlsCommittee, EpochParams, SystemStateInnerV1};
use walrus_core::messages::{BlobCertificationMessage, BlobPersistenceType, InvalidBlobIdMessage};

/// `test_utils::STORAGE_PRICE`.
pub const STORAGE_PRICE: u64 = 5;
/// `test_utils::WRITE_PRICE`.
pub const WRITE_PRICE: u64 = 1;
/// `test_utils::CAPACITY`.
pub const CAPACITY: u64 = 1_000_000_000_000;
/// `test_utils::MAX_EPOCHS_AHEAD`.
pub const MAX_EPOCHS_AHEAD: u32 = 104;
/// `test_utils::SIZE`.
pub const SIZE: u64 = 1_000_000;
/// Encoded size of the standard test blob with 10 shards (`ENCODED` in the Move tests).
pub const ENCODED: u64 = 3_935_480;
/// `test_utils::committee` weights.
pub const WEIGHTS: [u16; 4] = [3, 3, 3, 1];

/// `test_utils::ROOT_HASH` (`0xABC` as a little-endian u256).
pub fn root_hash() -> [u8; 32] {
    let mut r = [0u8; 32];
    r[0] = 0xBC;
    r[1] = 0x0A;
    r
}

/// `test_utils::blob_id`.
pub fn blob_id() -> BlobId {
    contracts::derive_blob_id(&root_hash(), 1, SIZE)
}

/// A u256 given as a small number, little-endian (Move `77` as a blob id).
pub fn u256(value: u64) -> BlobId {
    let mut r = [0u8; 32];
    r[..8].copy_from_slice(&value.to_le_bytes());
    BlobId(r)
}

/// `bls_aggregate::test_node_id(i)`: address i + 1.
pub fn test_node_id(i: u64) -> contracts::ObjectId {
    contracts::ObjectId::from_u64(i + 1)
}

/// The BLS key of test member `i` (a real key; Move's test keys are `(i + 1) * G`).
pub fn member_key(i: usize) -> BlsPrivateKey {
    BlsPrivateKey::from_ikm(&[0x40 + u8::try_from(i).unwrap(); 32]).unwrap()
}

/// `test_utils::committee(epoch)`: weights 3, 3, 3, 1, node ids `test_node_id(i)`.
pub fn committee(epoch: u32) -> BlsCommittee {
    committee_with(epoch, &WEIGHTS)
}

/// A committee with these weights.
pub fn committee_with(epoch: u32, weights: &[u16]) -> BlsCommittee {
    let members = weights
        .iter()
        .enumerate()
        .map(|(i, w)| {
            walrus_chain::walrus::bls_aggregate::new_bls_committee_member(
                member_key(i).public_key().as_bytes(),
                *w,
                test_node_id(i as u64),
            )
            .unwrap()
        })
        .collect();
    walrus_chain::walrus::bls_aggregate::new_bls_committee(epoch, members).unwrap()
}

/// Calls of the test machine: every Walrus call, plus the test-only setup.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum TestCall {
    /// A real call.
    Walrus(Call),
    /// `system::new_for_testing` on the genesis `System`: committee, capacity and prices.
    SetUpForTesting {
        committee: BlsCommittee,
        total_capacity: u64,
        storage_price: u64,
        write_price: u64,
    },
    /// `system::set_committee_for_testing`.
    SetCommitteeForTesting(BlsCommittee),
    /// `system::advance_epoch` (package-internal; staking calls it). Emits a test event
    /// `test::Rewards` with the BCS of the returned `(node id, FROST)` list.
    AdvanceEpoch {
        committee: BlsCommittee,
        params: EpochParams,
    },
    /// `system::extract_burn_balance` + `wal::burn`. Emits `test::Burned` with the amount.
    ExtractAndBurn,
    /// `storage_node::new_cap_for_testing(node_id)`, owned by the sender. Emits `test::Cap`
    /// with the new cap's id.
    NodeCapForTesting(contracts::ObjectId),
}

/// The Walrus machine with test-only setup calls.
pub struct TestMachine(pub WalrusMachine);

impl Machine for TestMachine {
    type Call = TestCall;
    type Object = WalrusObject;

    fn genesis(&self, view: &mut TxView<'_, WalrusObject>) -> Result<(), ExecutionFailure> {
        self.0.genesis(view)
    }

    fn execute(
        &self,
        view: &mut TxView<'_, WalrusObject>,
        call: &TestCall,
    ) -> Result<(), ExecutionFailure> {
        match call {
            TestCall::Walrus(c) => self.0.execute(view, c),
            TestCall::SetUpForTesting {
                committee,
                total_capacity,
                storage_price,
                write_price,
            } => {
                system::with_inner_mut(view, |inner| set_committee(inner, committee))?;
                system::set_total_capacity_size(view, *total_capacity)?;
                system::set_prices(view, *storage_price, *write_price)
            }
            TestCall::SetCommitteeForTesting(c) => {
                system::with_inner_mut(view, |inner| set_committee(inner, c))
            }
            TestCall::AdvanceEpoch { committee, params } => {
                let rewards = system::advance_epoch(view, committee.clone(), params)?;
                view.emit("test::Rewards".into(), bcs::to_bytes(&rewards).unwrap());
                Ok(())
            }
            TestCall::NodeCapForTesting(node_id) => {
                let id = view.new_id();
                let cap = walrus_chain::walrus::staking::node::new_cap(
                    id,
                    walrus_chain::walrus::to_object_id(*node_id),
                );
                view.put(
                    id,
                    walrus_chain::types::Owner::Address(view.sender),
                    WalrusObject::Staking(walrus_chain::walrus::staking::StakingObject::NodeCap(
                        cap,
                    )),
                );
                view.emit("test::Cap".into(), bcs::to_bytes(&id).unwrap());
                Ok(())
            }
            TestCall::ExtractAndBurn => {
                let amount = system::extract_burn_balance(view)?;
                system::burn(view, amount);
                view.emit("test::Burned".into(), bcs::to_bytes(&amount).unwrap());
                Ok(())
            }
        }
    }
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
    pub fn address(&self) -> sui_sdk_types::Address {
        address_of(&self.key)
    }
    pub fn sign(&self, nonce: u64, call: TestCall) -> SignedTransaction {
        SignedTransaction::sign(
            &TransactionData {
                sender: self.address(),
                nonce,
                call,
            },
            &self.key,
        )
    }
}

/// The ledger, its clock and directory.
pub struct World {
    pub ledger: Ledger<TestMachine>,
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

impl World {
    /// A fresh ledger with the genesis configuration.
    pub fn with_config(config: GenesisConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let ledger = Ledger::open(
            dir.path(),
            TestMachine(WalrusMachine::new(config)),
            clock.clone(),
            LedgerOptions::default(),
        )
        .unwrap();
        Self {
            ledger,
            clock,
            _dir: dir,
        }
    }

    /// A ledger whose `System` is `test_utils::system(epoch)` (via `system::new_for_testing`):
    /// the 3/3/3/1 committee in `epoch`, window 104, capacity 10^12, prices 5 and 1.
    pub fn test_system(epoch: u32) -> Self {
        Self::new_for_testing(
            epoch,
            MAX_EPOCHS_AHEAD,
            CAPACITY,
            STORAGE_PRICE,
            WRITE_PRICE,
        )
    }

    /// `system::new_for_testing(committee(epoch), max_epochs_ahead, capacity, prices)`.
    pub fn new_for_testing(
        epoch: u32,
        max_epochs_ahead: u32,
        capacity: u64,
        storage_price: u64,
        write_price: u64,
    ) -> Self {
        let world = Self::with_config(GenesisConfig {
            max_epochs_ahead,
            ..GenesisConfig::default()
        });
        world.ok(
            &admin(),
            TestCall::SetUpForTesting {
                committee: committee(epoch),
                total_capacity: capacity,
                storage_price,
                write_price,
            },
        );
        world
    }

    /// Signs and submits `call` from `who` with the right nonce; the durable record.
    pub fn send(&self, who: &Account, call: TestCall) -> TransactionRecord {
        let nonce = self.ledger.next_nonce(who.address());
        self.ledger
            .submit(who.sign(nonce, call))
            .unwrap()
            .durable_blocking()
            .unwrap()
    }

    /// As [`World::send`], asserting success.
    pub fn ok(&self, who: &Account, call: TestCall) -> TransactionRecord {
        let record = self.send(who, call);
        assert_eq!(record.status, ExecutionStatus::Success, "{record:#?}");
        record
    }

    /// As [`World::send`], asserting an abort, which is returned.
    pub fn fails(&self, who: &Account, call: TestCall) -> ExecutionFailure {
        let record = self.send(who, call);
        assert!(record.events.is_empty() && record.object_changes.is_empty());
        match record.status {
            ExecutionStatus::Failure(f) => f,
            ExecutionStatus::Success => panic!("expected an abort: {record:#?}"),
        }
    }

    /// Asserts that `call` aborts with `code` and leaves the objects as they were.
    pub fn assert_aborts(&self, who: &Account, call: Call, code: errors::AbortCode) {
        let before = self.snapshot();
        let failure = self.fails(who, TestCall::Walrus(call));
        assert!(
            code.matches(&failure),
            "expected {}::{} ({}), got {failure:?}",
            code.module,
            code.name,
            code.code
        );
        assert_eq!(self.snapshot(), before, "an aborted call changed state");
    }

    /// The shared objects and everything the test accounts own, with versions (to compare
    /// states).
    pub fn snapshot(&self) -> Vec<(ObjectId, u64, WalrusObject)> {
        let mut out: Vec<_> = self.ledger.with_objects(|objects| {
            let registry = WalrusMachine::registry(objects).unwrap();
            [registry.system, registry.treasury, registry.faucet]
                .into_iter()
                .filter_map(|id| objects.get(&id).map(|o| (id, o.version, o.value.clone())))
                .collect()
        });
        for account in [admin(), alice(), bob()] {
            for (id, o) in self.ledger.owned_objects(account.address()) {
                out.push((id, o.version, o.value));
            }
        }
        out
    }

    /// A real call.
    pub fn call(&self, who: &Account, call: Call) -> TransactionRecord {
        self.ok(who, TestCall::Walrus(call))
    }

    /// A coin of `amount` FROST for `who`, from the faucet (`test_utils::wal`).
    pub fn wal(&self, who: &Account, amount: u64) -> ObjectId {
        let record = self.call(who, Call::Coin(CoinCall::Faucet { amount }));
        created(&record, "::coin::Coin<")
    }

    /// The state of the `System`.
    pub fn system(&self) -> SystemStateInnerV1 {
        match self.object(&self.system_id()) {
            WalrusObject::System(s) => s.inner,
            other => panic!("not a system: {other:?}"),
        }
    }

    pub fn system_id(&self) -> ObjectId {
        self.ledger
            .with_objects(WalrusMachine::registry)
            .unwrap()
            .system
    }

    /// `system.rewards_at(k)`.
    pub fn rewards_at(&self, k: u32) -> u64 {
        system::rewards_at(&self.system(), k).unwrap()
    }

    /// `system.used_capacity_at(k)`.
    pub fn used_capacity_at(&self, k: u32) -> u64 {
        system::used_capacity_at(&self.system(), k).unwrap()
    }

    pub fn object(&self, id: &ObjectId) -> WalrusObject {
        self.ledger.object(id).unwrap().value
    }

    pub fn exists(&self, id: &ObjectId) -> bool {
        self.ledger.object(id).is_some()
    }

    pub fn coin_value(&self, id: &ObjectId) -> u64 {
        match self.object(id) {
            WalrusObject::WalCoin(c) => c.balance,
            other => panic!("not a coin: {other:?}"),
        }
    }

    pub fn blob(&self, id: &ObjectId) -> BlobObject {
        match self.object(id) {
            WalrusObject::Blob(b) => b,
            other => panic!("not a blob: {other:?}"),
        }
    }

    pub fn storage(&self, id: &ObjectId) -> contracts::Storage {
        match self.object(id) {
            WalrusObject::Storage(s) => s,
            other => panic!("not a storage: {other:?}"),
        }
    }

    /// Reserves space and registers the standard test blob, as `test_utils::register_blob`
    /// (a 10^12 FROST payment, reserving exactly the encoded size). Returns the blob's id.
    pub fn register_blob(&self, who: &Account, epochs: u32, deletable: bool) -> ObjectId {
        self.reserve_and_register(who, 1_000_000_000_000, ENCODED, epochs, deletable)
            .0
    }

    /// `scenario_tests::reserve_and_register`: payment of `payment` FROST, reserve `amount`
    /// for `epochs`, register the test blob. Returns (blob id, payment coin id).
    pub fn reserve_and_register(
        &self,
        who: &Account,
        payment: u64,
        amount: u64,
        epochs: u32,
        deletable: bool,
    ) -> (ObjectId, ObjectId) {
        let coin = self.wal(who, payment);
        let record = self.call(
            who,
            Call::System(SystemCall::ReserveSpace {
                storage_amount: amount,
                epochs_ahead: epochs,
                payment: coin,
            }),
        );
        let storage = created(&record, "::storage_resource::Storage");
        let record = self.call(
            who,
            Call::System(SystemCall::RegisterBlob {
                storage,
                blob_id: blob_id(),
                root_hash: root_hash(),
                size: SIZE,
                encoding_type: 1,
                deletable,
                write_payment: coin,
            }),
        );
        (created(&record, "::blob::Blob"), coin)
    }

    /// The message nodes sign to certify `blob` in `epoch`
    /// (`blob.certification_message_for_testing(epoch)`).
    pub fn certification_message(&self, blob: &ObjectId, epoch: u32) -> Vec<u8> {
        let b = self.blob(blob).blob;
        BlobCertificationMessage {
            epoch,
            blob_id: b.blob_id.0,
            persistence: if b.deletable {
                BlobPersistenceType::Deletable { object_id: b.id }
            } else {
                BlobPersistenceType::Permanent
            },
        }
        .to_bytes()
    }

    /// `test_utils::certify`: all members sign in the current epoch.
    pub fn certify(&self, who: &Account, blob: &ObjectId) -> TransactionRecord {
        let message = self.certification_message(blob, self.system().committee.epoch);
        self.call(who, certify_call(blob, &message, &[0, 1, 2, 3]))
    }

    /// `advance_epoch` of `scenario_tests`: the next committee, capacity 10^12, prices 0.
    pub fn advance_epoch(&self) -> Vec<(ObjectId, u64)> {
        let epoch = self.system().committee.epoch;
        self.advance_epoch_with(
            committee(epoch + 1),
            EpochParams {
                total_capacity_size: CAPACITY,
                storage_price_per_unit_size: 0,
                write_price_per_unit_size: 0,
            },
        )
        .unwrap()
    }

    /// `system.advance_epoch(committee, params)`: the rewards, or the abort.
    pub fn advance_epoch_with(
        &self,
        committee: BlsCommittee,
        params: EpochParams,
    ) -> Result<Vec<(ObjectId, u64)>, ExecutionFailure> {
        let record = self.send(&admin(), TestCall::AdvanceEpoch { committee, params });
        match record.status {
            ExecutionStatus::Success => {
                let event = record
                    .events
                    .iter()
                    .find(|e| e.event_type == "test::Rewards")
                    .unwrap();
                Ok(bcs::from_bytes(&event.bcs).unwrap())
            }
            ExecutionStatus::Failure(f) => Err(f),
        }
    }
}

/// Signature of `members` over `message`, aggregated.
pub fn sign(message: &[u8], members: &[usize]) -> Vec<u8> {
    let sigs: Vec<_> = members
        .iter()
        .map(|i| member_key(*i).sign(message))
        .collect();
    BlsSignature::aggregate(sigs.iter())
        .unwrap()
        .as_bytes()
        .to_vec()
}

/// The signers bitmap of `members` (LSB first).
pub fn bitmap(members: &[usize]) -> Vec<u8> {
    let len = members.iter().max().map_or(0, |m| m / 8 + 1);
    let mut out = vec![0u8; len];
    for m in members {
        out[m / 8] |= 1 << (m % 8);
    }
    out
}

/// `certify_blob` with a real certificate of `members` over `message`.
pub fn certify_call(blob: &ObjectId, message: &[u8], members: &[usize]) -> Call {
    Call::System(SystemCall::CertifyBlob {
        blob: *blob,
        signature: sign(message, members),
        signers_bitmap: bitmap(members),
        message: message.to_vec(),
    })
}

/// `messages::invalid_blob_id_message_bytes_for_testing(epoch, blob_id)`.
pub fn invalid_blob_id_message(epoch: u32, blob_id: BlobId) -> Vec<u8> {
    InvalidBlobIdMessage {
        epoch,
        blob_id: blob_id.0,
    }
    .to_bytes()
}

/// The id of the object of a type containing `type_part` created by the transaction.
pub fn created(record: &TransactionRecord, type_part: &str) -> ObjectId {
    record
        .object_changes
        .iter()
        .find(|c| c.kind == ChangeKind::Created && c.object_type.contains(type_part))
        .unwrap_or_else(|| panic!("no {type_part} created: {record:#?}"))
        .object_id
}

/// The walrus events of a record, decoded.
pub fn events(record: &TransactionRecord) -> Vec<contracts::ContractEvent> {
    record
        .events
        .iter()
        .filter_map(|e| contracts::ContractEvent::decode(&e.event_type, &e.bcs).unwrap())
        .collect()
}

/// The id as a Move `ID`.
pub fn move_id(id: &ObjectId) -> contracts::ObjectId {
    contracts::ObjectId(id.into_inner())
}

pub fn admin() -> Account {
    Account::new(0xAD)
}
pub fn alice() -> Account {
    Account::new(0xA1)
}
pub fn bob() -> Account {
    Account::new(0xB0)
}

/// Move's `set_committee_for_testing`: the committee, with the accounting ring renumbered so that
/// its current entry is for the committee's epoch.
pub fn set_committee(
    inner: &mut SystemStateInnerV1,
    committee: &BlsCommittee,
) -> Result<(), ExecutionFailure> {
    for k in 0..inner.future_accounting.length {
        system::ring_lookup_mut(&mut inner.future_accounting, k)?.epoch = committee.epoch + k;
    }
    inner.committee = committee.clone();
    Ok(())
}
