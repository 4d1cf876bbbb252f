//! The differential test of the devnet's Rust implementation against the Move package.
//!
//! Generates random sequences of `walrus` operations, runs each one in the devnet's Rust
//! implementation (the real `WalrusMachine` on an object store) and writes a Move test module
//! in which every sequence is one `#[test]` that runs the same operations with `test_scenario`
//! in the real Move VM and asserts, step by step, what Rust computed:
//! - every event (count per type, total count, and the BCS of each, in order within its type);
//! - the BCS of every object the step created or changed (`System` and its state, coins,
//!   `Storage`, `Blob` with its attributes, storage pools with their state, shared blobs), and
//!   that deleted or wrapped objects left their owner;
//! - an operation Rust aborts ends the sequence, and the Move test expects exactly that abort
//!   (code and module).
//!
//! Object ids are compared as they are: each step is transaction `k` of the scenario, whose
//! digest Rust uses too, so Rust must create objects in Move's order to produce the same ids.
//!
//! Usage: `cargo run -p walrus-chain --example move_differential -- OUT.move [--seed N]
//! [--sequences N] [--steps N]`. `scripts/test.sh` runs it and then the Move tests with the
//! module added (`scripts/move-test --add-tests`); the summary line says how many sequences and
//! steps ran.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a generator: a failed unwrap is a bug

#[path = "../tests/walrus_support/mod.rs"]
mod walrus_support;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sui_sdk_types::{Address, Digest};
use walrus_chain::devnet::ledger::Machine;
use walrus_chain::devnet::objects::{ObjectStore, TxView, Write};
use walrus_chain::types::{EventRecord, ExecutionFailure, ObjectId, Owner};
use walrus_chain::walrus::staking::{
    self as staking, CapOps, StakedWalOps, StakingCall, StakingObject,
};
use walrus_chain::walrus::{
    BlobObject, Call, CoinCall, GenesisConfig, SystemCall, WalrusMachine, WalrusObject, encoding,
    system, to_move_id, to_object_id,
};
use walrus_core::BlobId;
use walrus_core::contracts::{self, BlsCommittee, EpochParams};
use walrus_core::messages::{BlobCertificationMessage, BlobPersistenceType, InvalidBlobIdMessage};
use walrus_support::{bitmap, committee_with, member_key, set_committee, test_node_id};

const ADMIN: u64 = 0xAD;
/// `staking_test_utils`: epoch 0 may end 100 ms after creation; later epochs last 1000 ms.
const EPOCH_ZERO_DURATION: u64 = 100;
const EPOCH_DURATION: u64 = 1000;
const SENDERS: [u64; 2] = [0xA11CE, 0xB0B];

/// SplitMix64: a small deterministic generator (the sequences depend only on the seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            None
        } else {
            Some(items[(self.next() % items.len() as u64) as usize].clone())
        }
    }
    /// Usually (97 %) one of `good` (the valid choices), else one of `any`: most steps are
    /// valid, a few test the aborts.
    fn mostly<T: Clone>(&mut self, good: &[T], any: &[T]) -> Option<T> {
        if self.chance(97) {
            self.pick(good)
        } else {
            self.pick(any)
        }
    }

    fn bytes32(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for chunk in out.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        out
    }
}

fn address(value: u64) -> Address {
    to_object_id(contracts::ObjectId::from_u64(value))
}

/// `tx_context::dummy_tx_hash_with_hint(k)`: the digest of `test_scenario`'s transaction `k`.
fn scenario_digest(k: u64) -> Digest {
    let mut d = [0u8; 32];
    d[..8].copy_from_slice(&k.to_le_bytes());
    Digest::new(d)
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// An object id as an address literal (the check helpers take addresses).
fn id_lit(id: &ObjectId) -> String {
    format!("@0x{}", hex(id.as_bytes()))
}

fn id_expr(id: &ObjectId) -> String {
    format!("id({})", id_lit(id))
}

fn addr_expr(a: &Address) -> String {
    for (name, value) in [("ADMIN", ADMIN), ("ALICE", SENDERS[0]), ("BOB", SENDERS[1])] {
        if *a == address(value) {
            return name.to_string();
        }
    }
    format!("@0x{}", hex(a.as_bytes()))
}

/// A little-endian u256 (a blob id or root hash) as a Move literal.
fn u256_expr(le: &[u8; 32]) -> String {
    let mut be = *le;
    be.reverse();
    format!("0x{}u256", hex(&be))
}

fn bytes_expr(b: &[u8]) -> String {
    format!("x\"{}\"", hex(b))
}

fn str_expr(s: &str) -> String {
    format!("std::string::utf8(b\"{s}\")")
}

/// The Move type of an object kind the checks know.
fn move_type(object: &WalrusObject) -> Option<&'static str> {
    Some(match object {
        WalrusObject::WalCoin(_) => "sui::coin::Coin<wal::wal::WAL>",
        WalrusObject::Storage(_) => "walrus::storage_resource::Storage",
        WalrusObject::Blob(_) => "walrus::blob::Blob",
        WalrusObject::StoragePool(_) => "walrus::storage_pool::StoragePool",
        WalrusObject::SharedBlob(_) => "walrus::shared_blob::SharedBlob",
        WalrusObject::System(_) => "walrus::system::System",
        WalrusObject::Staking(StakingObject::Staking(_)) => "walrus::staking::Staking",
        WalrusObject::Staking(StakingObject::Pool(_)) => "walrus::staking_pool::StakingPool",
        WalrusObject::Staking(StakingObject::StakedWal(_)) => "walrus::staked_wal::StakedWal",
        WalrusObject::Staking(StakingObject::NodeCap(_)) => "walrus::storage_node::StorageNodeCap",
        _ => return None,
    })
}

/// `walrus` event type `0x…::events::BlobRegistered` as `walrus::events::BlobRegistered`.
fn move_event_type(event_type: &str) -> String {
    let rest = event_type.split_once("::").map_or(event_type, |(_, r)| r);
    format!("walrus::{rest}")
}

fn bcs_of<T: serde::Serialize>(value: &T) -> Vec<u8> {
    bcs::to_bytes(value).unwrap()
}

/// What one sequence did.
/// The operation's name, for the summary: `System ReserveSpace`, `Staking VotingEnd`, ...
fn op_name(call: &StepCall) -> String {
    match call {
        StepCall::Walrus(c) => {
            let d = format!("{c:?}");
            d.split([' ', '{', '(', ')'])
                .filter(|w| !w.is_empty())
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        }
        StepCall::AdvanceEpoch(..) => "advance_epoch".to_string(),
    }
}

#[derive(Default)]
struct Stats {
    /// Steps per operation.
    ops: BTreeMap<String, usize>,
    steps: usize,
    aborted: bool,
    events: usize,
    object_checks: usize,
}

/// One sequence: the Rust state and the Move test being written.
struct Sequence {
    machine: WalrusMachine,
    store: ObjectStore<WalrusObject>,
    system_id: ObjectId,
    weights: Vec<u16>,
    tx: u64,
    rng: Rng,
    code: String,
    /// Checks of the previous step's objects, emitted at the start of the next transaction
    /// (objects reach the scenario's inventories only when a transaction ends).
    pending: String,
    check: u64,
    stats: Stats,
    /// Keys used for attributes, so that removals sometimes find them.
    keys: Vec<&'static str>,
    /// The shared objects the sequence made (besides the System).
    shared_ids: Vec<ObjectId>,
    /// The test's name; its transactions' functions are `<name>_tx<k>`.
    name: String,
    funcs: String,
    /// The `expected_failure` attribute when the last step aborts.
    expected: Option<String>,
    /// Why sequences ended (module and reason of the abort).
    aborts: BTreeMap<String, usize>,
    /// A staking sequence: `Staking` drives the epochs (no `advance_epoch` steps).
    staking: Option<ObjectId>,
    /// Ledger time (ms) of the next step; the Move clock is set to it where a call reads it.
    now: u64,
    /// The BLS key seeds of the registered nodes, by node id.
    node_keys: Vec<(ObjectId, u8)>,
    /// Queued checks of the Staking state and its pools.
    staking_check: StakingCheck,
    /// This epoch's event blob candidate: (epoch, blob id, root hash, size, ending checkpoint).
    event_blob: Option<(u32, BlobId, [u8; 32], u64, u64)>,
}

/// Queued checks of the Staking state and of pools (id, BCS, zeroed BCS, metadata BCS).
type StakingCheck = (Option<StateCheck>, Vec<(String, String, String, String)>);

/// The Staking state's check: its BCS (and zeroed), its active set, the next keys (and zeroed).
struct StateCheck {
    state: String,
    zeroed: String,
    active_set: String,
    keys: String,
    keys_zeroed: String,
}

/// The operation of one step: the Rust call and the Move code that does the same.
struct Op {
    sender: Address,
    call: StepCall,
    code: String,
    /// The key seed of a `register_candidate` step.
    seed: Option<u8>,
}

enum StepCall {
    Walrus(Call),
    /// `system::advance_epoch` as staking calls it (package-internal).
    AdvanceEpoch(BlsCommittee, EpochParams),
}

impl Sequence {
    /// A sequence. A system sequence starts from `system::new_for_testing` with a committee of
    /// the generator's keys, random capacity and prices; a staking sequence from
    /// `staking::new_for_testing` and an empty system in epoch 0, with `Staking` driving the
    /// epochs (as `staking_test_utils::world`).
    fn new(name: &str, seed: u64, with_staking: bool) -> Self {
        let mut rng = Rng(seed);
        let max_epochs_ahead = *[3u32, 5, 8].get((rng.next() % 3) as usize).unwrap();
        let n_shards = 10;
        let machine = WalrusMachine::new(GenesisConfig {
            n_shards,
            max_epochs_ahead,
            epoch_duration_ms: EPOCH_DURATION,
            epoch_zero_duration_ms: EPOCH_ZERO_DURATION,
            faucet_max_per_call: u64::MAX / 4,
            ..GenesisConfig::default()
        });
        let mut store = ObjectStore::default();
        let genesis = Digest::new([0xEE; 32]);
        let mut view = TxView::new(&store, genesis, address(ADMIN), 0);
        machine.genesis(&mut view).unwrap();
        store.apply(view.finish().0);
        let registry = WalrusMachine::registry(&store).unwrap();
        let weights = vec![3, 3, 3, 1];
        let mut sys = match &store.get(&registry.system).unwrap().value {
            WalrusObject::System(s) => s.clone(),
            _ => unreachable!(),
        };
        let mut code = String::new();
        writeln!(code, "    let mut s = sui::test_scenario::begin(ADMIN);").unwrap();
        let mut moved = registry.clone();
        let mut writes = BTreeMap::new();
        // The Move setup's objects get the ids Move gives them: patch the genesis objects.
        let (setup_tx, system_id, staking_id) = if with_staking {
            // Transaction 0: the WAL treasury. Transaction 1: the clock (id 0), `Staking` (1)
            // with its pools table (2) and the `ExtendedField`s of its active set (3) and next
            // keys (4), the System (5) and its deny-list field (6).
            writeln!(code, "    wal::wal::init_for_testing(s.ctx());").unwrap();
            writeln!(code, "    s.next_tx(ADMIN);").unwrap();
            writeln!(
                code,
                "    let clock = sui::clock::create_for_testing(s.ctx());\n    \
                 walrus::staking::new_for_testing({EPOCH_ZERO_DURATION}, {EPOCH_DURATION}, \
                 {n_shards}, &clock, s.ctx()).share_for_testing();\n    \
                 walrus::system::new_for_testing(walrus::bls_aggregate::new_bls_committee(0, \
                 vector[]), {max_epochs_ahead}, 0, 0, 0, s.ctx()).share_for_testing();\n    \
                 clock.share_for_testing();"
            )
            .unwrap();
            let id = |k| Address::derive_id(scenario_digest(1), k);
            let mut st = match &store.get(&registry.staking).unwrap().value {
                WalrusObject::Staking(StakingObject::Staking(st)) => st.clone(),
                _ => unreachable!(),
            };
            st.id = id(1);
            st.inner.pools.id = to_move_id(id(2));
            st.inner.inner.active_set.id = to_move_id(id(3));
            st.inner.inner.next_epoch_public_keys.id = to_move_id(id(4));
            writes.insert(registry.staking, Write::Delete);
            writes.insert(
                id(1),
                Write::Put {
                    owner: Owner::Shared,
                    value: WalrusObject::Staking(StakingObject::Staking(st)),
                },
            );
            moved.staking = id(1);
            (1, id(5), Some(id(1)))
        } else {
            let epoch = u32::try_from(rng.range(0, 3)).unwrap();
            let capacity = rng.range(20_000_000, 2_000_000_000);
            let (storage_price, write_price) = (rng.range(0, 7), rng.range(0, 3));
            set_committee(&mut sys.inner, &committee_with(epoch, &weights)).unwrap();
            sys.inner.total_capacity_size = capacity;
            sys.inner.storage_price_per_unit_size = storage_price;
            sys.inner.write_price_per_unit_size = write_price;
            // Transaction 0: `system::new_for_testing` (System id 0, its deny-list field 1).
            writeln!(
                code,
                "    walrus::system::new_for_testing(committee({epoch}, {}), {max_epochs_ahead}, \
                 {capacity}, {storage_price}, {write_price}, s.ctx()).share_for_testing();",
                weights_expr(&weights)
            )
            .unwrap();
            (0, Address::derive_id(scenario_digest(0), 0), None)
        };
        sys.system.id = to_move_id(system_id);
        sys.system.package_id = contracts::ObjectId([0; 32]);
        sys.inner.deny_list_sizes.id = to_move_id(Address::derive_id(
            scenario_digest(setup_tx),
            if with_staking { 6 } else { 1 },
        ));
        moved.system = system_id;
        writes.insert(registry.system, Write::Delete);
        writes.insert(
            system_id,
            Write::Put {
                owner: Owner::Shared,
                value: WalrusObject::System(sys),
            },
        );
        writes.insert(
            walrus_chain::walrus::REGISTRY_ID,
            Write::Put {
                owner: Owner::Immutable,
                value: WalrusObject::Registry(moved),
            },
        );
        store.apply(writes);
        let mut seq = Self {
            machine,
            store,
            system_id,
            weights,
            tx: setup_tx,
            rng,
            code,
            pending: String::new(),
            check: 0,
            stats: Stats::default(),
            keys: vec!["k0", "k1", "k2"],
            shared_ids: Vec::new(),
            name: name.to_string(),
            funcs: String::new(),
            expected: None,
            aborts: BTreeMap::new(),
            staking: staking_id,
            now: 0,
            node_keys: Vec::new(),
            staking_check: (None, Vec::new()),
            event_blob: None,
        };
        seq.queue_object_check(&system_id, true);
        if let Some(id) = staking_id {
            seq.queue_object_check(&id, false);
            seq.flush_staking_checks();
        }
        seq
    }

    fn system(&self) -> contracts::SystemStateInnerV1 {
        match &self.store.get(&self.system_id).unwrap().value {
            WalrusObject::System(s) => s.inner.clone(),
            _ => unreachable!(),
        }
    }

    /// Objects of `sender` of one kind.
    fn owned(&self, sender: Address, kind: fn(&WalrusObject) -> bool) -> Vec<ObjectId> {
        self.store
            .owned_by(sender)
            .filter(|id| kind(&self.store.get(id).unwrap().value))
            .collect()
    }

    fn shared(&self, kind: fn(&WalrusObject) -> bool) -> Vec<ObjectId> {
        self.shared_ids
            .iter()
            .filter(|id| self.store.get(id).is_some_and(|o| kind(&o.value)))
            .copied()
            .collect()
    }

    fn next_check(&mut self) -> u64 {
        self.check += 1;
        self.tx * 1000 + self.check
    }

    /// Emits the Move check that `id` (as Rust has it now) is what Move has. `committee_changed`
    /// adds the committee's parts to a System check.
    fn queue_object_check(&mut self, id: &ObjectId, committee_changed: bool) {
        let Some((owner, value)) = self.store.get(id).map(|o| (o.owner, o.value.clone())) else {
            return;
        };
        let Some(ty) = move_type(&value) else { return };
        use walrus_chain::devnet::objects::LedgerObject as _;
        let object = bytes_expr(&value.move_bcs());
        let c = self.next_check();
        let line = match (&value, owner) {
            (WalrusObject::System(sys), _) => {
                {
                    // The state without its committee always; the committee's members, weights,
                    // shards and epoch when it changed, and its BLS keys only where the runner
                    // implements the BLS12-381 natives (the WASM runner answers zeros).
                    let i = &sys.inner;
                    let state = bcs_of(i);
                    let committee = bcs_of(&i.committee);
                    let members: Vec<(contracts::ObjectId, u16)> = i
                        .committee
                        .members
                        .iter()
                        .map(|m| (m.node_id, m.weight))
                        .collect();
                    let (members, committee) = if committee_changed {
                        (bytes_expr(&bcs_of(&members)), bytes_expr(&committee))
                    } else {
                        ("x\"\"".to_string(), "x\"\"".to_string())
                    };
                    // The object (id, version, package ids) is checked once, after the setup.
                    let object = if self.tx == 0 {
                        object
                    } else {
                        "x\"\"".to_string()
                    };
                    format!(
                        "check_system(s, {object}, {members}, {committee}, {}, {c});",
                        bytes_expr(&state[bcs_of(&i.committee).len()..])
                    )
                }
            }
            // The Staking state and its pools are checked together (one take of `Staking` per
            // transaction): see `flush_staking_checks`. The object itself carries the package
            // id, which the devnet fixes to its own package and `new_for_testing` to 0x0.
            (WalrusObject::Staking(StakingObject::Staking(st)), _) => {
                let state = st.inner_move_bcs();
                let keys = bcs_of(&st.inner.next_epoch_public_keys);
                self.staking_check.0 = Some(StateCheck {
                    state: bytes_expr(&state),
                    zeroed: self.zeroed_expr(&state),
                    active_set: bytes_expr(&bcs_of(&st.inner.active_set)),
                    keys: bytes_expr(&keys),
                    keys_zeroed: self.zeroed_expr(&keys),
                });
                return;
            }
            (WalrusObject::Staking(StakingObject::Pool(p)), _) => {
                let bcs = value.move_bcs();
                let zeroed = self.zeroed_expr(&bcs);
                let metadata = bytes_expr(&bcs_of(&p.metadata));
                self.staking_check
                    .1
                    .push((id_lit(id), bytes_expr(&bcs), zeroed, metadata));
                return;
            }
            (WalrusObject::StoragePool(p), Owner::Address(a)) => format!(
                "check_pool(s, {}, {}, {object}, {}, {c});",
                addr_expr(&a),
                id_lit(id),
                bytes_expr(&bcs_of(&p.inner()))
            ),
            (WalrusObject::Blob(b), Owner::Address(a)) => format!(
                "check_blob(s, {}, {}, {object}, {}, {c});",
                addr_expr(&a),
                id_lit(id),
                metadata_expr(b)
            ),
            (WalrusObject::SharedBlob(sb), Owner::Shared) => format!(
                "check_shared_blob(s, {}, {object}, {}, {c});",
                id_lit(id),
                metadata_expr(&sb.blob)
            ),
            (_, Owner::Address(a)) => format!(
                "check_object<{ty}>(s, {}, {}, {object}, {c});",
                addr_expr(&a),
                id_lit(id)
            ),
            _ => return,
        };
        self.stats.object_checks += 1;
        writeln!(self.pending, "    {line}").unwrap();
    }

    /// Emits the queued checks of the Staking state and pools as one call.
    fn flush_staking_checks(&mut self) {
        let (state, pools) = std::mem::take(&mut self.staking_check);
        if state.is_none() && pools.is_empty() {
            return;
        }
        let empty = || "x\"\"".to_string();
        let st = state.unwrap_or_else(|| StateCheck {
            state: empty(),
            zeroed: empty(),
            active_set: empty(),
            keys: empty(),
            keys_zeroed: empty(),
        });
        let c = self.next_check();
        self.check += 3 + 2 * pools.len() as u64;
        let ids: Vec<&str> = pools.iter().map(|p| p.0.as_str()).collect();
        let bcs: Vec<&str> = pools.iter().map(|p| p.1.as_str()).collect();
        let zero: Vec<&str> = pools.iter().map(|p| p.2.as_str()).collect();
        let metadata: Vec<&str> = pools.iter().map(|p| p.3.as_str()).collect();
        self.stats.object_checks += usize::from(st.state != empty()) + pools.len();
        writeln!(
            self.pending,
            "    check_staking(s, {}, {}, {}, {}, {}, vector[{}], vector[{}], vector[{}], vector[{}], {c});",
            st.state,
            st.zeroed,
            st.active_set,
            st.keys,
            st.keys_zeroed,
            ids.join(", "),
            bcs.join(", "),
            zero.join(", "),
            metadata.join(", ")
        )
        .unwrap();
    }

    /// Ends the test body's transaction `self.tx` with `body` as its own function (a Move
    /// function has at most 255 locals, so every transaction gets one).
    fn emit_tx(&mut self, sender: &Address, body: &str) {
        writeln!(self.code, "    s.next_tx({});", addr_expr(sender)).unwrap();
        if body.is_empty() {
            return;
        }
        let f = format!("{}_tx{}", self.name, self.tx);
        writeln!(self.code, "    {f}(&mut s);").unwrap();
        write!(
            self.funcs,
            "\nfun {f}(s: &mut sui::test_scenario::Scenario) {{\n{body}}}\n"
        )
        .unwrap();
    }

    /// Runs one step in Rust and writes it in Move. Returns false when it aborted (the end).
    fn step(&mut self, op: Op) -> bool {
        // One transaction checks the previous step's objects (an object taken and given back
        // cannot be taken again in the same transaction), the next runs the operation.
        self.tx += 1;
        self.check = 0;
        let pending = std::mem::take(&mut self.pending);
        self.emit_tx(&op.sender, &pending);
        self.tx += 1;
        self.check = 0;
        let committee_before = bcs_of(&self.system().committee);
        let mut view = TxView::new(&self.store, scenario_digest(self.tx), op.sender, self.now);
        let result: Result<(), ExecutionFailure> = match &op.call {
            StepCall::Walrus(call) => self.machine.execute(&mut view, call),
            StepCall::AdvanceEpoch(committee, params) => {
                system::advance_epoch(&mut view, committee.clone(), params).map(|_| ())
            }
        };
        self.stats.steps += 1;
        *self.stats.ops.entry(op_name(&op.call)).or_default() += 1;
        let mut body = op.code.clone();
        let ok = match result {
            Err(failure) => {
                self.stats.aborted = true;
                assert!(
                    failure.module.starts_with("walrus::") || failure.module.starts_with("sui::"),
                    "a generator bug: step {} fails outside Move: {failure:?}",
                    self.tx
                );
                let expected = if failure.code == walrus_chain::walrus::errors::ARITHMETIC_ERROR {
                    "arithmetic_error".to_string()
                } else {
                    format!("abort_code = {}", failure.code)
                };
                self.expected = Some(format!(
                    "#[expected_failure({expected}, location = {})]\n",
                    failure.module
                ));
                let op_name = op_name(&op.call);
                *self
                    .aborts
                    .entry(format!(
                        "{}::{} ({op_name})",
                        failure.module, failure.reason
                    ))
                    .or_default() += 1;
                false
            }
            Ok(()) => {
                let (writes, events) = view.finish();
                self.emit_event_checks(&mut body, &events);
                let written: Vec<ObjectId> = writes
                    .iter()
                    .filter(|(_, w)| matches!(w, Write::Put { .. }))
                    .map(|(id, _)| *id)
                    .collect();
                self.store.apply(writes);
                if let Some(seed) = op.seed {
                    for id in &written {
                        if let Some(WalrusObject::Staking(StakingObject::NodeCap(cap))) =
                            self.store.get(id).map(|o| &o.value)
                        {
                            self.node_keys.push((cap.pool_id(), seed));
                        }
                    }
                }
                for id in &written {
                    let o = self.store.get(id).unwrap();
                    if o.owner == Owner::Shared
                        && !matches!(o.value, WalrusObject::System(_))
                        && !self.shared_ids.contains(id)
                    {
                        self.shared_ids.push(*id);
                    }
                }
                let committee_changed = bcs_of(&self.system().committee) != committee_before;
                for id in &written {
                    self.queue_object_check(id, committee_changed);
                }
                self.flush_staking_checks();
                true
            }
        };
        self.emit_tx(&op.sender, &body);
        ok
    }

    fn emit_event_checks(&mut self, out: &mut String, events: &[EventRecord]) {
        let mut by_type: Vec<(String, Vec<&EventRecord>)> = Vec::new();
        for e in events {
            let ty = move_event_type(&e.event_type);
            match by_type.iter_mut().find(|(t, _)| *t == ty) {
                Some((_, list)) => list.push(e),
                None => by_type.push((ty, vec![e])),
            }
        }
        let c = self.next_check();
        writeln!(
            out,
            "    assert!(sui::event::num_events() == {}, {c});",
            events.len()
        )
        .unwrap();
        for (ty, list) in by_type {
            let c = self.next_check();
            self.check += list.len() as u64;
            let bytes: Vec<String> = list.iter().map(|e| bytes_expr(&e.bcs)).collect();
            writeln!(
                out,
                "    check_events<{ty}>(vector[{}], {c});",
                bytes.join(", ")
            )
            .unwrap();
        }
        self.stats.events += events.len();
    }

    /// The Move test function and its transactions' functions.
    fn finish(mut self) -> (String, Stats, BTreeMap<String, usize>) {
        // The op of an aborting step is the body's last call: the test ends there.
        if self.stats.aborted {
            self.code.push_str("    std::unit_test::destroy(s);\n");
        } else {
            // The last step's objects: one more transaction to see them.
            self.tx += 1;
            self.check = 0;
            let pending = std::mem::take(&mut self.pending);
            self.emit_tx(&address(ADMIN), &pending);
            self.code.push_str("    s.end();\n");
        }
        let attrs = self.expected.clone().unwrap_or_default();
        (
            format!(
                "#[test]\n{attrs}fun {}() {{\n{}}}\n{}",
                self.name, self.code, self.funcs
            ),
            self.stats,
            self.aborts,
        )
    }
}

fn weights_expr(weights: &[u16]) -> String {
    let list: Vec<String> = weights.iter().map(u16::to_string).collect();
    format!("vector[{}]", list.join(", "))
}

/// A blob's attributes for the check helpers: their BCS, or empty for none.
fn metadata_expr(b: &BlobObject) -> String {
    match &b.metadata {
        Some(m) => format!("option::some({})", bytes_expr(&bcs_of(m))),
        None => "option::none()".to_string(),
    }
}

fn is_coin(o: &WalrusObject) -> bool {
    matches!(o, WalrusObject::WalCoin(_))
}
fn is_storage(o: &WalrusObject) -> bool {
    matches!(o, WalrusObject::Storage(_))
}
fn is_blob(o: &WalrusObject) -> bool {
    matches!(o, WalrusObject::Blob(_))
}
fn is_pool(o: &WalrusObject) -> bool {
    matches!(o, WalrusObject::StoragePool(_))
}
fn is_shared_blob(o: &WalrusObject) -> bool {
    matches!(o, WalrusObject::SharedBlob(_))
}

/// Move code that takes objects, runs `body` and gives them back. Each entry of `take` is
/// (variable, `mut`?, object id, owner, type); `body` consumes the ones it names in `consumed`.
struct Block {
    lines: Vec<String>,
    back: Vec<String>,
}

impl Block {
    fn new() -> Self {
        Self {
            lines: Vec::new(),
            back: Vec::new(),
        }
    }
    fn staking(&mut self) -> &mut Self {
        self.lines
            .push(format!("let mut stk = s.take_shared<{STAKING}>();"));
        self.back
            .push("sui::test_scenario::return_shared(stk);".to_string());
        self
    }

    fn system(&mut self, mutable: bool) -> &mut Self {
        let m = if mutable { "mut " } else { "" };
        self.lines.push(format!(
            "let {m}sys = s.take_shared<walrus::system::System>();"
        ));
        self.back
            .push("sui::test_scenario::return_shared(sys);".to_string());
        self
    }
    /// An owned object; given back unless `consumed`.
    fn owned(
        &mut self,
        var: &str,
        mutable: bool,
        ty: &str,
        owner: &Address,
        id: &ObjectId,
        consumed: bool,
    ) -> &mut Self {
        let m = if mutable { "mut " } else { "" };
        self.lines.push(format!(
            "let {m}{var} = s.take_from_address_by_id<{ty}>({}, {});",
            addr_expr(owner),
            id_expr(id)
        ));
        if !consumed {
            self.back.push(format!(
                "sui::test_scenario::return_to_address({}, {var});",
                addr_expr(owner)
            ));
        }
        self
    }
    fn shared(&mut self, var: &str, ty: &str, id: &ObjectId) -> &mut Self {
        self.lines.push(format!(
            "let mut {var} = s.take_shared_by_id<{ty}>({});",
            id_expr(id)
        ));
        self.back
            .push(format!("sui::test_scenario::return_shared({var});"));
        self
    }
    /// Sends `var` to `to`.
    fn give(&mut self, var: &str, to: &Address) -> &mut Self {
        self.line(format!(
            "sui::transfer::public_transfer({var}, {});",
            addr_expr(to)
        ))
    }

    fn line(&mut self, l: String) -> &mut Self {
        self.lines.push(l);
        self
    }
    /// One `{call}(key, value);` line per pair (string literals).
    fn pair_calls<'p>(
        &mut self,
        call: &str,
        pairs: impl IntoIterator<Item = (&'p String, &'p String)>,
    ) -> &mut Self {
        for (k, v) in pairs {
            self.line(format!("{call}({}, {});", str_expr(k), str_expr(v)));
        }
        self
    }
    fn code(&self) -> String {
        let mut out = String::from("    {\n");
        for l in self.lines.iter().chain(self.back.iter().rev()) {
            writeln!(out, "        {l}").unwrap();
        }
        out.push_str("    };\n");
        out
    }
}

const COIN: &str = "sui::coin::Coin<wal::wal::WAL>";
const STORAGE: &str = "walrus::storage_resource::Storage";
const BLOB: &str = "walrus::blob::Blob";
const POOL: &str = "walrus::storage_pool::StoragePool";
const SHARED_BLOB: &str = "walrus::shared_blob::SharedBlob";

impl Sequence {
    fn n_shards(&self) -> u16 {
        self.weights.iter().sum()
    }

    fn blob(&self, id: &ObjectId) -> BlobObject {
        match &self.store.get(id).unwrap().value {
            WalrusObject::Blob(b) => b.clone(),
            _ => unreachable!(),
        }
    }

    fn storage(&self, id: &ObjectId) -> contracts::Storage {
        match &self.store.get(id).unwrap().value {
            WalrusObject::Storage(s) => s.clone(),
            _ => unreachable!(),
        }
    }

    fn pool(&self, id: &ObjectId) -> walrus_chain::walrus::storage_pool::StoragePoolObject {
        match &self.store.get(id).unwrap().value {
            WalrusObject::StoragePool(p) => p.clone(),
            _ => unreachable!(),
        }
    }

    /// A random subset of the committee (sometimes all, sometimes too few) and its certificate
    /// over `message`.
    fn certificate(&mut self, message: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let committee: Vec<ObjectId> = self
            .system()
            .committee
            .members
            .iter()
            .map(|m| to_object_id(m.node_id))
            .collect();
        let n = committee.len().max(1);
        let members: Vec<usize> = if self.rng.chance(95) {
            (0..n).collect()
        } else {
            let picked: Vec<usize> = (0..n).filter(|_| self.rng.chance(60)).collect();
            if picked.is_empty() { vec![0] } else { picked }
        };
        // Member i signs with the generator's key that is its public key in the committee (a
        // node's key may have rotated since it registered).
        let keys: Vec<Vec<u8>> = self
            .system()
            .committee
            .members
            .iter()
            .map(|m| m.public_key.clone())
            .collect();
        let signatures: Vec<_> = members
            .iter()
            .map(|i| {
                let seed = keys
                    .get(*i)
                    .and_then(|k| uncompressed_keys().iter().position(|u| u == k))
                    .unwrap_or(*i);
                member_key(seed).sign(message)
            })
            .collect();
        let signature = walrus_chain::bls::BlsSignature::aggregate(signatures.iter())
            .unwrap()
            .as_bytes()
            .to_vec();
        (signature, bitmap(&members))
    }

    fn epoch(&self) -> u32 {
        self.system().committee.epoch
    }

    /// Epochs to extend something ending at `end` by: within the accounting window, mostly.
    fn extension(&mut self, end: u32) -> u32 {
        let limit = self.epoch() + self.system().future_accounting.length;
        let room = u64::from(limit.saturating_sub(end));
        if room == 0 || self.rng.chance(3) {
            u32::try_from(self.rng.range(1, 3)).unwrap()
        } else {
            u32::try_from(self.rng.range(1, room)).unwrap()
        }
    }

    /// A message epoch: usually the current one.
    fn message_epoch(&mut self) -> u32 {
        let e = self.epoch();
        if self.rng.chance(99) { e } else { e + 1 }
    }

    /// A blob size whose encoding fits in `room` bytes when one exists among a few tries.
    fn blob_size(&mut self, room: u64) -> u64 {
        let n_shards = self.n_shards();
        let mut size = self.rng.range(1, 4_000_000);
        for _ in 0..6 {
            match encoding::encoded_blob_length(size, 1, n_shards) {
                Ok(len) if len <= room => return size,
                _ => size = (size / 4).max(1),
            }
        }
        size
    }

    fn random_op(&mut self) -> Op {
        let sender = address(self.rng.pick(&SENDERS).unwrap());
        let coins = self.owned(sender, is_coin);
        let storages = self.owned(sender, is_storage);
        let blobs = self.owned(sender, is_blob);
        let pools = self.owned(sender, is_pool);
        let shared_blobs = self.shared(is_shared_blob);
        if self.staking.is_some() {
            // Until the first epoch change there is no capacity: mostly staking then.
            let bootstrapping = self.system().total_capacity_size == 0 && self.rng.chance(97);
            for _ in 0..if bootstrapping { 20 } else { 1 } {
                if self.rng.chance(if bootstrapping { 85 } else { 45 }) {
                    if let Some(op) = self.staking_op(sender, &coins) {
                        return op;
                    }
                } else if bootstrapping {
                    return self.mint(sender);
                }
            }
        }
        loop {
            let choice = self.rng.range(0, 26);
            let op = match choice {
                0 | 1 => Some(self.mint(sender)),
                2..=4 => self.reserve(sender, &coins),
                5..=7 => self.register(sender, &coins, &storages),
                8..=10 => self.certify(sender, &blobs),
                11 => self.extend(sender, &coins, &blobs),
                12 => self.delete(sender, &blobs),
                13 => self.burn(sender, &blobs),
                14 | 15 => self.attributes(sender, &blobs),
                16 => self.invalidate(sender),
                17 => self.split_or_fuse(sender, &storages),
                18 if self.staking.is_none() => Some(self.advance_epoch(sender)),
                18 => None,
                19 => self.create_pool(sender, &coins),
                20 | 21 => self.pooled_blob(sender, &coins, &pools),
                22 => self.resize_pool(sender, &coins, &pools),
                23 => self.share_blob(sender, &blobs),
                24 => self.shared_blob_op(sender, &coins, &shared_blobs),
                25 => self.extend_with_resource(sender, &blobs, &storages),
                _ => self.destroy_storage(sender, &storages),
            };
            if let Some(op) = op {
                return op;
            }
        }
    }

    fn op(sender: Address, call: SystemCall, block: &Block) -> Op {
        Op {
            sender,
            call: StepCall::Walrus(Call::System(call)),
            code: block.code(),
            seed: None,
        }
    }

    fn mint(&mut self, sender: Address) -> Op {
        let amount = if self.rng.chance(10) {
            self.rng.range(1, 5_000)
        } else if self.staking.is_some() {
            // 1 to 1000 WAL, spread over the orders of magnitude so that small pools get no
            // shard and active stake can sit in a pool outside the committees
            FROST_PER_WAL * self.rng.range(1, 9) * 10u64.pow(self.rng.range(0, 2) as u32)
        } else {
            self.rng.range(1_000_000, 1_000_000_000)
        };
        Op {
            seed: None,
            sender,
            call: StepCall::Walrus(Call::Coin(CoinCall::Faucet { amount })),
            code: format!(
                "    sui::transfer::public_transfer(sui::coin::mint_for_testing<wal::wal::WAL>({amount}, s.ctx()), {});\n",
                addr_expr(&sender)
            ),
        }
    }

    fn reserve(&mut self, sender: Address, coins: &[ObjectId]) -> Option<Op> {
        let payment = self.rng.pick(coins)?;
        let max = self.system().future_accounting.length;
        let storage_amount = self.rng.range(1, 30_000_000);
        let epochs_ahead = if self.rng.chance(97) {
            u32::try_from(self.rng.range(1, u64::from(max))).unwrap()
        } else {
            max + 1
        };
        let mut b = Block::new();
        b.system(true)
            .owned("pay", true, COIN, &sender, &payment, false)
            .line(format!(
                "let st = sys.reserve_space({storage_amount}, {epochs_ahead}, &mut pay, s.ctx());"
            ))
            .give("st", &sender);
        Some(Self::op(
            sender,
            SystemCall::ReserveSpace {
                storage_amount,
                epochs_ahead,
                payment,
            },
            &b,
        ))
    }

    fn register(
        &mut self,
        sender: Address,
        coins: &[ObjectId],
        storages: &[ObjectId],
    ) -> Option<Op> {
        let payment = self.rng.pick(coins)?;
        let epoch = self.epoch();
        let current: Vec<ObjectId> = storages
            .iter()
            .filter(|id| {
                let st = self.storage(id);
                st.start_epoch <= epoch && epoch < st.end_epoch
            })
            .copied()
            .collect();
        let storage = self.rng.mostly(&current, storages)?;
        let room = self.storage(&storage).storage_size;
        let size = self.blob_size(room);
        let root_hash = self.rng.bytes32();
        let blob_id = if self.rng.chance(98) {
            contracts::derive_blob_id(&root_hash, 1, size)
        } else {
            BlobId(self.rng.bytes32())
        };
        let deletable = self.rng.chance(50);
        let mut b = Block::new();
        b.system(true)
            .owned("pay", true, COIN, &sender, &payment, false)
            .owned("st", false, STORAGE, &sender, &storage, true)
            .line(format!(
                "let b = sys.register_blob(st, {}, {}, {size}, 1, {deletable}, &mut pay, s.ctx());",
                u256_expr(&blob_id.0),
                u256_expr(&root_hash)
            ))
            .give("b", &sender);
        Some(Self::op(
            sender,
            SystemCall::RegisterBlob {
                storage,
                blob_id,
                root_hash,
                size,
                encoding_type: 1,
                deletable,
                write_payment: payment,
            },
            &b,
        ))
    }

    fn certify(&mut self, sender: Address, blobs: &[ObjectId]) -> Option<Op> {
        let uncertified: Vec<ObjectId> = blobs
            .iter()
            .filter(|id| self.blob(id).blob.certified_epoch.is_none())
            .copied()
            .collect();
        let blob = self.rng.mostly(&uncertified, blobs)?;
        let bo = self.blob(&blob).blob;
        let message = BlobCertificationMessage {
            epoch: self.message_epoch(),
            blob_id: bo.blob_id.0,
            persistence: if bo.deletable {
                BlobPersistenceType::Deletable { object_id: bo.id }
            } else {
                BlobPersistenceType::Permanent
            },
        }
        .to_bytes();
        let (signature, signers_bitmap) = self.certificate(&message);
        let mut b = Block::new();
        b.system(false)
            .owned("b", true, BLOB, &sender, &blob, false)
            .line(format!(
                "sys.certify_blob(&mut b, {}, {}, {});",
                bytes_expr(&signature),
                bytes_expr(&signers_bitmap),
                bytes_expr(&message)
            ));
        Some(Self::op(
            sender,
            SystemCall::CertifyBlob {
                blob,
                signature,
                signers_bitmap,
                message,
            },
            &b,
        ))
    }

    fn extend(&mut self, sender: Address, coins: &[ObjectId], blobs: &[ObjectId]) -> Option<Op> {
        let payment = self.rng.pick(coins)?;
        let certified: Vec<ObjectId> = blobs
            .iter()
            .filter(|id| {
                let b = self.blob(id).blob;
                b.certified_epoch.is_some() && b.storage.end_epoch > self.epoch()
            })
            .copied()
            .collect();
        let blob = self.rng.mostly(&certified, blobs)?;
        let extended_epochs = self.extension(self.blob(&blob).blob.storage.end_epoch);
        let mut b = Block::new();
        b.system(true)
            .owned("b", true, BLOB, &sender, &blob, false)
            .owned("pay", true, COIN, &sender, &payment, false)
            .line(format!(
                "sys.extend_blob(&mut b, {extended_epochs}, &mut pay);"
            ));
        Some(Self::op(
            sender,
            SystemCall::ExtendBlob {
                blob,
                extended_epochs,
                payment,
            },
            &b,
        ))
    }

    fn extend_with_resource(
        &mut self,
        sender: Address,
        blobs: &[ObjectId],
        storages: &[ObjectId],
    ) -> Option<Op> {
        let blob = self.rng.pick(blobs)?;
        let b = self.blob(&blob).blob;
        let fitting: Vec<ObjectId> = storages
            .iter()
            .filter(|i| {
                let o = self.storage(i);
                o.start_epoch == b.storage.end_epoch && o.storage_size == b.storage.storage_size
            })
            .copied()
            .collect();
        let extension = if b.certified_epoch.is_some() && !fitting.is_empty() {
            self.rng.pick(&fitting)?
        } else if self.rng.chance(3) {
            self.rng.pick(storages)?
        } else {
            return None;
        };
        let mut b = Block::new();
        b.system(false)
            .owned("b", true, BLOB, &sender, &blob, false)
            .owned("st", false, STORAGE, &sender, &extension, true)
            .line("sys.extend_blob_with_resource(&mut b, st);".to_string());
        Some(Self::op(
            sender,
            SystemCall::ExtendBlobWithResource { blob, extension },
            &b,
        ))
    }

    fn delete(&mut self, sender: Address, blobs: &[ObjectId]) -> Option<Op> {
        let epoch = self.epoch();
        let deletable: Vec<ObjectId> = blobs
            .iter()
            .filter(|id| {
                let b = self.blob(id).blob;
                b.deletable && b.storage.end_epoch > epoch
            })
            .copied()
            .collect();
        let blob = self.rng.mostly(&deletable, blobs)?;
        let mut b = Block::new();
        b.system(false)
            .owned("b", false, BLOB, &sender, &blob, true)
            .line("let st = sys.delete_blob(b);".to_string())
            .give("st", &sender);
        Some(Self::op(sender, SystemCall::DeleteBlob { blob }, &b))
    }

    fn burn(&mut self, sender: Address, blobs: &[ObjectId]) -> Option<Op> {
        let blob = self.rng.pick(blobs)?;
        let mut b = Block::new();
        b.owned("b", false, BLOB, &sender, &blob, true)
            .line("b.burn();".to_string());
        Some(Self::op(sender, SystemCall::BurnBlob { blob }, &b))
    }

    fn attributes(&mut self, sender: Address, blobs: &[ObjectId]) -> Option<Op> {
        let blob = self.rng.pick(blobs)?;
        let present: Vec<String> = self
            .blob(&blob)
            .metadata
            .map(|m| m.metadata.iter().map(|e| e.key.clone()).collect())
            .unwrap_or_default();
        let has_metadata = self.blob(&blob).metadata.is_some();
        let key = self.rng.pick(&self.keys).unwrap();
        let value = format!("v{}", self.rng.range(0, 99));
        let mut kind = self.rng.range(0, 4);
        let careful = self.rng.chance(95);
        if careful && kind == 2 && !present.iter().any(|k| k == key) {
            kind = 0;
        }
        if careful && kind == 3 && has_metadata {
            kind = 1;
        }
        if careful && kind == 4 && !has_metadata {
            kind = 3;
        }
        let mut b = Block::new();
        b.owned("b", true, BLOB, &sender, &blob, false);
        let call = match kind {
            0 => {
                b.line(format!(
                    "b.insert_or_update_metadata_pair({}, {});",
                    str_expr(key),
                    str_expr(&value)
                ));
                SystemCall::InsertOrUpdateMetadataPair {
                    blob,
                    key: key.to_string(),
                    value,
                }
            }
            1 => {
                b.line(format!(
                    "let _ = b.remove_metadata_pair_if_exists(&{});",
                    str_expr(key)
                ));
                SystemCall::RemoveMetadataPairIfExists {
                    blob,
                    key: key.to_string(),
                }
            }
            2 => {
                b.line(format!(
                    "let (_, _) = b.remove_metadata_pair(&{});",
                    str_expr(key)
                ));
                SystemCall::RemoveMetadataPair {
                    blob,
                    key: key.to_string(),
                }
            }
            3 => {
                let pairs = vec![(key.to_string(), value)];
                b.line("let mut m = walrus::metadata::new();".to_string())
                    .pair_calls("m.insert_or_update", pairs.iter().map(|(k, v)| (k, v)))
                    .line("b.add_metadata(m);".to_string());
                SystemCall::AddMetadata { blob, pairs }
            }
            _ => {
                b.line("let _ = b.take_metadata();".to_string());
                SystemCall::TakeMetadata { blob }
            }
        };
        Some(Self::op(sender, call, &b))
    }

    fn invalidate(&mut self, sender: Address) -> Option<Op> {
        if self.system().committee.members.is_empty() && self.rng.chance(97) {
            return None;
        }
        let message = InvalidBlobIdMessage {
            epoch: self.message_epoch(),
            blob_id: self.rng.bytes32(),
        }
        .to_bytes();
        let (signature, members_bitmap) = self.certificate(&message);
        let mut b = Block::new();
        b.system(false).line(format!(
            "let _ = sys.invalidate_blob_id({}, {}, {});",
            bytes_expr(&signature),
            bytes_expr(&members_bitmap),
            bytes_expr(&message)
        ));
        Some(Self::op(
            sender,
            SystemCall::InvalidateBlobId {
                signature,
                members_bitmap,
                message,
            },
            &b,
        ))
    }

    fn split_or_fuse(&mut self, sender: Address, storages: &[ObjectId]) -> Option<Op> {
        let storage = self.rng.pick(storages)?;
        let st = self.storage(&storage);
        let mut b = Block::new();
        let call = match self.rng.range(0, 2) {
            0 => {
                if st.end_epoch - st.start_epoch < 2 && self.rng.chance(97) {
                    return None;
                }
                let split_epoch = u32::try_from(self.rng.range(
                    u64::from(st.start_epoch + 1),
                    u64::from((st.end_epoch - 1).max(st.start_epoch + 1)),
                ))
                .unwrap();
                b.owned("st", true, STORAGE, &sender, &storage, false)
                    .line(format!(
                        "let part = st.split_by_epoch({split_epoch}, s.ctx());"
                    ))
                    .give("part", &sender);
                SystemCall::SplitStorageByEpoch {
                    storage,
                    split_epoch,
                }
            }
            1 => {
                let split_size = self.rng.range(0, st.storage_size);
                b.owned("st", true, STORAGE, &sender, &storage, false)
                    .line(format!(
                        "let part = st.split_by_size({split_size}, s.ctx());"
                    ))
                    .give("part", &sender);
                SystemCall::SplitStorageBySize {
                    storage,
                    split_size,
                }
            }
            _ => {
                // Fusable: same period and any size, or adjacent periods and the same size.
                let others: Vec<ObjectId> = storages
                    .iter()
                    .filter(|i| **i != storage)
                    .filter(|i| {
                        let o = self.storage(i);
                        (o.start_epoch == st.start_epoch && o.end_epoch == st.end_epoch)
                            || (o.storage_size == st.storage_size
                                && (o.start_epoch == st.end_epoch || o.end_epoch == st.start_epoch))
                    })
                    .copied()
                    .collect();
                let second = self.rng.pick(&others)?;
                b.owned("st", true, STORAGE, &sender, &storage, false)
                    .owned("other", false, STORAGE, &sender, &second, true)
                    .line("st.fuse(other);".to_string());
                SystemCall::FuseStorage {
                    first: storage,
                    second,
                }
            }
        };
        Some(Self::op(sender, call, &b))
    }

    fn destroy_storage(&mut self, sender: Address, storages: &[ObjectId]) -> Option<Op> {
        let storage = self.rng.pick(storages)?;
        let mut b = Block::new();
        b.owned("st", false, STORAGE, &sender, &storage, true)
            .line("st.destroy();".to_string());
        Some(Self::op(sender, SystemCall::DestroyStorage { storage }, &b))
    }

    fn advance_epoch(&mut self, sender: Address) -> Op {
        // The same shard count, spread differently.
        let mut weights = self.weights.clone();
        let i = (self.rng.next() % weights.len() as u64) as usize;
        let j = (self.rng.next() % weights.len() as u64) as usize;
        weights.swap(i, j);
        self.weights = weights.clone();
        let epoch = self.epoch() + 1;
        let params = EpochParams {
            total_capacity_size: self.rng.range(20_000_000, 2_000_000_000),
            storage_price_per_unit_size: self.rng.range(0, 7),
            write_price_per_unit_size: self.rng.range(0, 3),
        };
        let mut b = Block::new();
        b.system(true)
            .line(format!(
                "let r = sys.advance_epoch(committee({epoch}, {}), &walrus::epoch_parameters::new({}, {}, {}));",
                weights_expr(&weights),
                params.total_capacity_size,
                params.storage_price_per_unit_size,
                params.write_price_per_unit_size
            ))
            .line("std::unit_test::destroy(r);".to_string());
        Op {
            sender,
            call: StepCall::AdvanceEpoch(committee_with(epoch, &weights), params),
            code: b.code(),
            seed: None,
        }
    }

    fn create_pool(&mut self, sender: Address, coins: &[ObjectId]) -> Option<Op> {
        let payment = self.rng.pick(coins)?;
        let max = self.system().future_accounting.length;
        let reserved_encoded_capacity_bytes = self.rng.range(1, 40_000_000);
        let epochs_ahead = u32::try_from(self.rng.range(1, u64::from(max))).unwrap();
        let mut b = Block::new();
        b.system(true)
            .owned("pay", true, COIN, &sender, &payment, false)
            .line(format!(
                "let p = sys.create_storage_pool({reserved_encoded_capacity_bytes}, {epochs_ahead}, &mut pay, s.ctx());"
            ))
            .give("p", &sender);
        Some(Self::op(
            sender,
            SystemCall::CreateStoragePool {
                reserved_encoded_capacity_bytes,
                epochs_ahead,
                payment,
            },
            &b,
        ))
    }

    fn pooled_blob(
        &mut self,
        sender: Address,
        coins: &[ObjectId],
        pools: &[ObjectId],
    ) -> Option<Op> {
        let pool_id = self.rng.pick(pools)?;
        let pool = self.pool(&pool_id);
        let mut b = Block::new();
        let existing: Vec<contracts::PooledBlob> =
            pool.blobs.iter().map(|p| p.blob.clone()).collect();
        let call = match self.rng.range(0, 3) {
            0 | 1 if existing.is_empty() || self.rng.chance(50) => {
                let payment = self.rng.pick(coins)?;
                let room = pool.storage.storage_size - pool.used_encoded_bytes;
                let unencoded_size = self.blob_size(room);
                let root_hash = self.rng.bytes32();
                let blob_id = contracts::derive_blob_id(&root_hash, 1, unencoded_size);
                let deletable = self.rng.chance(50);
                b.system(true)
                    .owned("p", true, POOL, &sender, &pool_id, false)
                    .owned("pay", true, COIN, &sender, &payment, false)
                    .line(format!(
                        "sys.register_pooled_blob(&mut p, {}, {}, {unencoded_size}, 1, {deletable}, &mut pay, s.ctx());",
                        u256_expr(&blob_id.0),
                        u256_expr(&root_hash)
                    ));
                SystemCall::RegisterPooledBlob {
                    storage_pool: pool_id,
                    blob_id,
                    root_hash,
                    unencoded_size,
                    encoding_type: 1,
                    deletable,
                    write_payment: payment,
                }
            }
            0 | 1 => {
                let uncertified: Vec<contracts::PooledBlob> = existing
                    .iter()
                    .filter(|b| b.certified_epoch.is_none())
                    .cloned()
                    .collect();
                let pb = self.rng.mostly(&uncertified, &existing)?;
                let message = BlobCertificationMessage {
                    epoch: self.message_epoch(),
                    blob_id: pb.blob_id.0,
                    persistence: if pb.deletable {
                        BlobPersistenceType::Deletable { object_id: pb.id }
                    } else {
                        BlobPersistenceType::Permanent
                    },
                }
                .to_bytes();
                let (signature, signers_bitmap) = self.certificate(&message);
                b.system(false)
                    .owned("p", true, POOL, &sender, &pool_id, false)
                    .line(format!(
                        "sys.certify_pooled_blob(&mut p, {}, {}, {}, {});",
                        u256_expr(&pb.blob_id.0),
                        bytes_expr(&signature),
                        bytes_expr(&signers_bitmap),
                        bytes_expr(&message)
                    ));
                SystemCall::CertifyPooledBlob {
                    storage_pool: pool_id,
                    blob_id: pb.blob_id,
                    signature,
                    signers_bitmap,
                    message,
                }
            }
            _ => {
                let expired = pool.storage.end_epoch <= self.epoch();
                let deletable: Vec<contracts::PooledBlob> =
                    existing.iter().filter(|b| b.deletable).cloned().collect();
                let pb = if expired || self.rng.chance(3) {
                    self.rng.pick(&existing)?
                } else {
                    self.rng.pick(&deletable)?
                };
                b.system(false)
                    .owned("p", true, POOL, &sender, &pool_id, false);
                if expired {
                    b.line(format!(
                        "sys.burn_expired_pooled_blob(&mut p, {});",
                        u256_expr(&pb.blob_id.0)
                    ));
                    SystemCall::BurnExpiredPooledBlob {
                        storage_pool: pool_id,
                        blob_id: pb.blob_id,
                    }
                } else {
                    b.line(format!(
                        "sys.delete_pooled_blob(&mut p, {});",
                        u256_expr(&pb.blob_id.0)
                    ));
                    SystemCall::DeletePooledBlob {
                        storage_pool: pool_id,
                        blob_id: pb.blob_id,
                    }
                }
            }
        };
        Some(Self::op(sender, call, &b))
    }

    fn resize_pool(
        &mut self,
        sender: Address,
        coins: &[ObjectId],
        pools: &[ObjectId],
    ) -> Option<Op> {
        let pool_id = self.rng.pick(pools)?;
        let pool = self.pool(&pool_id);
        let mut b = Block::new();
        let call = match self.rng.range(0, 3) {
            0 => {
                let payment = self.rng.pick(coins)?;
                let extended_epochs = self.extension(pool.storage.end_epoch);
                b.system(true)
                    .owned("p", true, POOL, &sender, &pool_id, false)
                    .owned("pay", true, COIN, &sender, &payment, false)
                    .line(format!(
                        "sys.extend_storage_pool(&mut p, {extended_epochs}, &mut pay);"
                    ));
                SystemCall::ExtendStoragePool {
                    storage_pool: pool_id,
                    extended_epochs,
                    payment,
                }
            }
            1 => {
                let payment = self.rng.pick(coins)?;
                let additional_encoded_capacity_bytes = self.rng.range(1, 10_000_000);
                b.system(true)
                    .owned("p", true, POOL, &sender, &pool_id, false)
                    .owned("pay", true, COIN, &sender, &payment, false)
                    .line(format!(
                        "sys.increase_storage_pool_capacity(&mut p, {additional_encoded_capacity_bytes}, &mut pay);"
                    ));
                SystemCall::IncreaseStoragePoolCapacity {
                    storage_pool: pool_id,
                    additional_encoded_capacity_bytes,
                    payment,
                }
            }
            2 => {
                let unused = pool.storage.storage_size - pool.used_encoded_bytes;
                let size = self.rng.range(0, unused.max(1));
                b.system(false)
                    .owned("p", true, POOL, &sender, &pool_id, false)
                    .line(format!(
                        "let st = sys.decrease_storage_pool_capacity_by_size(&mut p, {size}, s.ctx());"
                    ))
                    .give("st", &sender);
                SystemCall::DecreaseStoragePoolCapacityBySize {
                    storage_pool: pool_id,
                    size,
                }
            }
            _ => {
                let percent = u8::try_from(self.rng.range(0, 100)).unwrap();
                b.system(false)
                    .owned("p", true, POOL, &sender, &pool_id, false)
                    .line(format!(
                        "let st = sys.decrease_storage_pool_unused_capacity_by_percent(&mut p, {percent}, s.ctx());"
                    ))
                    .give("st", &sender);
                SystemCall::DecreaseStoragePoolUnusedCapacityByPercent {
                    storage_pool: pool_id,
                    percent,
                }
            }
        };
        Some(Self::op(sender, call, &b))
    }

    fn share_blob(&mut self, sender: Address, blobs: &[ObjectId]) -> Option<Op> {
        let blob = self.rng.pick(blobs)?;
        let mut b = Block::new();
        b.owned("b", false, BLOB, &sender, &blob, true)
            .line("walrus::shared_blob::new(b, s.ctx());".to_string());
        Some(Self::op(sender, SystemCall::SharedBlobNew { blob }, &b))
    }

    fn shared_blob_op(
        &mut self,
        sender: Address,
        coins: &[ObjectId],
        shared_blobs: &[ObjectId],
    ) -> Option<Op> {
        let shared_blob = self.rng.pick(shared_blobs)?;
        let mut b = Block::new();
        let call = if self.rng.chance(50) {
            let added_funds = self.rng.pick(coins)?;
            b.shared("sb", SHARED_BLOB, &shared_blob)
                .owned("c", false, COIN, &sender, &added_funds, true)
                .line("sb.fund(c);".to_string());
            SystemCall::SharedBlobFund {
                shared_blob,
                added_funds,
            }
        } else {
            let end = match &self.store.get(&shared_blob).unwrap().value {
                WalrusObject::SharedBlob(sb) => sb.blob.blob.storage.end_epoch,
                _ => unreachable!(),
            };
            let extended_epochs = self.extension(end);
            b.system(true)
                .shared("sb", SHARED_BLOB, &shared_blob)
                .line(format!("sb.extend(&mut sys, {extended_epochs}, s.ctx());"));
            SystemCall::SharedBlobExtend {
                shared_blob,
                extended_epochs,
            }
        };
        Some(Self::op(sender, call, &b))
    }
}

const STAKING: &str = "walrus::staking::Staking";
const STAKED_WAL: &str = "walrus::staked_wal::StakedWal";
const NODE_CAP: &str = "walrus::storage_node::StorageNodeCap";
const FROST_PER_WAL: u64 = 1_000_000_000;
/// How many BLS keys the generator has (`member_key(0..KEYS)`).
const KEYS: usize = 10;

/// Move's form of the generator's keys (`Element<UncompressedG1>`), by seed; computed once.
fn uncompressed_keys() -> &'static [Vec<u8>] {
    static UNCOMPRESSED: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    UNCOMPRESSED.get_or_init(|| {
        (0..KEYS)
            .map(|seed| {
                walrus_chain::walrus::bls_aggregate::uncompressed_g1(
                    member_key(seed).public_key().as_bytes(),
                )
                .unwrap()
            })
            .collect()
    })
}

fn is_staked_wal(o: &WalrusObject) -> bool {
    matches!(o, WalrusObject::Staking(StakingObject::StakedWal(_)))
}
fn is_node_cap(o: &WalrusObject) -> bool {
    matches!(o, WalrusObject::Staking(StakingObject::NodeCap(_)))
}

impl Sequence {
    fn staking_state(&self) -> staking::StakingInnerV1 {
        match &self.store.get(&self.staking.unwrap()).unwrap().value {
            WalrusObject::Staking(StakingObject::Staking(st)) => st.inner.clone(),
            _ => unreachable!(),
        }
    }

    fn staked_wal(&self, id: &ObjectId) -> staking::StakedWal {
        match &self.store.get(id).unwrap().value {
            WalrusObject::Staking(StakingObject::StakedWal(sw)) => sw.clone(),
            _ => unreachable!(),
        }
    }

    fn cap(&self, id: &ObjectId) -> staking::StorageNodeCap {
        match &self.store.get(id).unwrap().value {
            WalrusObject::Staking(StakingObject::NodeCap(c)) => *c,
            _ => unreachable!(),
        }
    }

    /// The BCS `bytes` as the WASM runner has it: every BLS key the sequence uses, in Move's
    /// uncompressed form, replaced by zeros (the runner's BLS12-381 natives answer zeros);
    /// `x""` when nothing changes.
    fn zeroed_expr(&self, bytes: &[u8]) -> String {
        let mut out = bytes.to_vec();
        for key in uncompressed_keys() {
            let mut i = 0;
            while i + key.len() <= out.len() {
                if out[i..i + key.len()] == key[..] {
                    out[i..i + key.len()].fill(0);
                    i += key.len();
                } else {
                    i += 1;
                }
            }
        }
        if out == bytes {
            "x\"\"".to_string()
        } else {
            bytes_expr(&out)
        }
    }

    fn staking_op_of(sender: Address, call: StakingCall, block: &Block, seed: Option<u8>) -> Op {
        Op {
            sender,
            call: StepCall::Walrus(Call::Staking(call)),
            code: block.code(),
            seed,
        }
    }

    /// A clock set to `self.now` in the block (for calls that read it).
    fn clock(&self, b: &mut Block) {
        b.line("let mut clock = s.take_shared<sui::clock::Clock>();".to_string())
            .line(format!("clock.set_for_testing({});", self.now));
        b.back
            .push("sui::test_scenario::return_shared(clock);".to_string());
    }

    fn staking_op(&mut self, sender: Address, coins: &[ObjectId]) -> Option<Op> {
        let st = self.staking_state();
        let staked: Vec<ObjectId> = self.owned(sender, is_staked_wal);
        let caps: Vec<ObjectId> = self.owned(sender, is_node_cap);
        let nodes: Vec<ObjectId> = self.node_keys.iter().map(|(id, _)| *id).collect();
        let mut b = Block::new();
        match self.rng.range(0, 14) {
            12 | 13 => {
                // node settings: name, network address, next BLS key (with its proof), joining
                // the active set, collecting the commission with the cap
                let cap = self.rng.pick(&caps)?;
                let node_id = self.cap(&cap).pool_id();
                b.staking();
                b.owned("cap", false, NODE_CAP, &sender, &cap, false);
                // Caps of nodes in the System's committee (event blobs and deny lists need one).
                let members: Vec<ObjectId> = caps
                    .iter()
                    .filter(|c| {
                        let node = self.cap(c).node_id;
                        self.system()
                            .committee
                            .members
                            .iter()
                            .any(|m| m.node_id == node)
                    })
                    .copied()
                    .collect();
                let kind = if !members.is_empty() && self.rng.chance(50) {
                    5 + self.rng.range(0, 1)
                } else {
                    self.rng.range(0, 4)
                };
                let call = match kind {
                    5 => {
                        let cap = if self.rng.chance(97) {
                            self.rng.pick(&members)?
                        } else {
                            cap
                        };
                        // certify_event_blob: attest this epoch's candidate (a new one now and
                        // then), so that attestations of several nodes meet
                        let epoch = self.epoch();
                        let fresh = self.rng.chance(25);
                        let candidate = match self.event_blob {
                            Some(c) if c.0 == epoch && !fresh => c,
                            _ => {
                                let last = self.event_blob.map_or(0, |c| c.4);
                                let size = self.rng.range(1, 100_000);
                                let root_hash = self.rng.bytes32();
                                let blob_id = contracts::derive_blob_id(&root_hash, 1, size);
                                let c = (
                                    epoch,
                                    blob_id,
                                    root_hash,
                                    size,
                                    last + self.rng.range(1, 50),
                                );
                                self.event_blob = Some(c);
                                c
                            }
                        };
                        let (epoch, blob_id, root_hash, size, ending) = candidate;
                        let mut eb = Block::new();
                        eb.system(true)
                            .owned("cap", true, NODE_CAP, &sender, &cap, false)
                            .line(format!(
                                "sys.certify_event_blob(&mut cap, {}, {}, {size}, 1, {ending}, {epoch}, s.ctx());",
                                u256_expr(&blob_id.0),
                                u256_expr(&root_hash)
                            ));
                        return Some(Self::op(
                            sender,
                            SystemCall::CertifyEventBlob {
                                cap,
                                blob_id,
                                root_hash,
                                size,
                                encoding_type: 1,
                                ending_checkpoint_sequence_num: ending,
                                epoch,
                            },
                            &eb,
                        ));
                    }
                    6 => {
                        let cap = if self.rng.chance(97) {
                            self.rng.pick(&members)?
                        } else {
                            cap
                        };
                        // register_deny_list_update: the next sequence number, mostly
                        let next = self.cap(&cap).deny_list_sequence + 1;
                        let deny_list_sequence = if self.rng.chance(97) { next } else { next - 1 };
                        let deny_list_root = self.rng.bytes32();
                        let mut db = Block::new();
                        db.system(true)
                            .owned("cap", false, NODE_CAP, &sender, &cap, false)
                            .line(format!(
                                "sys.register_deny_list_update(&cap, {}, {deny_list_sequence});",
                                u256_expr(&deny_list_root)
                            ));
                        return Some(Self::op(
                            sender,
                            SystemCall::RegisterDenyListUpdate {
                                cap,
                                deny_list_root,
                                deny_list_sequence,
                            },
                            &db,
                        ));
                    }
                    0 => {
                        let name = format!("node-{}", self.rng.range(0, 99));
                        b.line(format!("stk.set_name(&cap, {});", str_expr(&name)));
                        StakingCall::SetName { cap, name }
                    }
                    1 => {
                        let network_address = format!("10.0.0.{}:9000", self.rng.range(0, 255));
                        b.line(format!(
                            "stk.set_network_address(&cap, {});",
                            str_expr(&network_address)
                        ));
                        StakingCall::SetNetworkAddress {
                            cap,
                            network_address,
                        }
                    }
                    2 => {
                        // a key no node uses: seeds 8 and 9 are kept for rotations
                        let seed = 8 + usize::try_from(self.rng.range(0, 1)).unwrap();
                        let key = member_key(seed);
                        let public_key = key.public_key().as_bytes().to_vec();
                        let proof_of_possession =
                            staking::sign_proof_of_possession(&key, st.epoch, sender);
                        b.line(format!(
                            "stk.set_next_public_key(&cap, {}, {}, s.ctx());",
                            bytes_expr(&public_key),
                            bytes_expr(&proof_of_possession)
                        ));
                        StakingCall::SetNextPublicKey {
                            cap,
                            public_key,
                            proof_of_possession,
                        }
                    }
                    3 => {
                        b.line("stk.try_join_active_set(&cap);".to_string());
                        StakingCall::TryJoinActiveSet { cap }
                    }
                    _ => {
                        b.line(format!(
                            "let c = stk.collect_commission({}, walrus::auth::authenticate_with_object(&cap), s.ctx());",
                            id_expr(&node_id)
                        ))
                        .give("c", &sender);
                        StakingCall::CollectCommission {
                            node_id,
                            auth: staking::Auth::Object(cap),
                        }
                    }
                };
                Some(Self::staking_op_of(sender, call, &b, None))
            }
            11 => {
                // add_subsidy (System): rewards for the current and next epochs
                let subsidy = self.rng.pick(coins)?;
                let epochs_ahead = self.extension(self.epoch()).max(1);
                b.line("let mut sys = s.take_shared<walrus::system::System>();".to_string());
                b.back
                    .push("sui::test_scenario::return_shared(sys);".to_string());
                b.owned("c", false, COIN, &sender, &subsidy, true)
                    .line(format!("sys.add_subsidy(c, {epochs_ahead});"));
                Some(Op {
                    sender,
                    call: StepCall::Walrus(Call::System(SystemCall::AddSubsidy {
                        subsidy,
                        epochs_ahead,
                    })),
                    code: b.code(),
                    seed: None,
                })
            }
            0 | 1 => {
                // register_candidate with an unused key
                let used: Vec<u8> = self.node_keys.iter().map(|(_, k)| *k).collect();
                let seed = (0..8u8).find(|k| !used.contains(k))?;
                let key = member_key(usize::from(seed));
                let public_key = key.public_key().as_bytes().to_vec();
                let pop = staking::sign_proof_of_possession(&key, st.epoch, sender);
                let network_public_key: Vec<u8> = std::iter::once(2u8).chain(0..32).collect();
                let commission_rate = u16::try_from(self.rng.range(0, 2_000)).unwrap();
                let storage_price = self.rng.range(1, 9);
                let write_price = self.rng.range(1, 4);
                let node_capacity = self.rng.range(1_000_000_000, 1_000_000_000_000);
                b.staking()
                    .line(format!(
                        "let cap = stk.register_candidate({}, {}, walrus::node_metadata::default(), {}, {}, {}, {commission_rate}, {storage_price}, {write_price}, {node_capacity}, s.ctx());",
                        str_expr("node"),
                        str_expr("127.0.0.1:9000"),
                        bytes_expr(&public_key),
                        bytes_expr(&network_public_key),
                        bytes_expr(&pop)
                    ))
                    .give("cap", &sender);
                Some(Self::staking_op_of(
                    sender,
                    StakingCall::RegisterCandidate {
                        name: "node".into(),
                        network_address: "127.0.0.1:9000".into(),
                        metadata: staking::NodeMetadata::default(),
                        public_key,
                        network_public_key,
                        proof_of_possession: pop,
                        commission_rate,
                        storage_price,
                        write_price,
                        node_capacity,
                    },
                    &b,
                    Some(seed),
                ))
            }
            2 | 3 => {
                // stake_with_pool
                let node_id = self.rng.pick(&nodes)?;
                let rich: Vec<ObjectId> = coins
                    .iter()
                    .filter(|c| match &self.store.get(c).unwrap().value {
                        WalrusObject::WalCoin(coin) => coin.balance >= FROST_PER_WAL,
                        _ => false,
                    })
                    .copied()
                    .collect();
                let coin = self.rng.mostly(&rich, coins)?;
                b.staking();
                b.owned("c", false, COIN, &sender, &coin, true)
                    .line(format!(
                        "let sw = stk.stake_with_pool(c, {}, s.ctx());",
                        id_expr(&node_id)
                    ))
                    .give("sw", &sender);
                Some(Self::staking_op_of(
                    sender,
                    StakingCall::StakeWithPool { coin, node_id },
                    &b,
                    None,
                ))
            }
            4 => {
                // request_withdraw_stake of a staked (not yet withdrawing) stake
                // (one not active yet is withdrawn directly instead)
                let staked_only: Vec<ObjectId> = staked
                    .iter()
                    .filter(|id| {
                        let sw = self.staked_wal(id);
                        matches!(sw.state, staking::StakedWalState::Staked)
                            && sw.activation_epoch <= st.epoch
                    })
                    .copied()
                    .collect();
                let staked_wal = self.rng.mostly(&staked_only, &staked)?;
                b.staking();
                b.owned("sw", true, STAKED_WAL, &sender, &staked_wal, false)
                    .line("stk.request_withdraw_stake(&mut sw, s.ctx());".to_string());
                Some(Self::staking_op_of(
                    sender,
                    StakingCall::RequestWithdrawStake { staked_wal },
                    &b,
                    None,
                ))
            }
            5 => {
                // withdraw_stake: a withdrawal that is due, a stake not active yet, or the
                // stake of a node in neither committee (paid at once, its shares queued)
                let outside = |node: &ObjectId| {
                    let node = &to_move_id(*node);
                    !st.committee.contains(node)
                        && !st.next_committee.as_ref().is_some_and(|c| c.contains(node))
                };
                let due: Vec<ObjectId> = staked
                    .iter()
                    .filter(|id| {
                        let sw = self.staked_wal(id);
                        match sw.state {
                            staking::StakedWalState::Staked => {
                                sw.activation_epoch > st.epoch || outside(&sw.pool_id())
                            }
                            staking::StakedWalState::Withdrawing { withdraw_epoch } => {
                                withdraw_epoch <= st.epoch
                            }
                        }
                    })
                    .copied()
                    .collect();
                // (the rare active stake of a pool outside the committees, when there is one)
                let stranded: Vec<ObjectId> = due
                    .iter()
                    .filter(|id| self.staked_wal(id).activation_epoch <= st.epoch)
                    .copied()
                    .collect();
                let staked_wal = if !stranded.is_empty() && self.rng.chance(50) {
                    self.rng.pick(&stranded)?
                } else {
                    self.rng.mostly(&due, &staked)?
                };
                b.staking();
                b.owned("sw", false, STAKED_WAL, &sender, &staked_wal, true)
                    .line("let c = stk.withdraw_stake(sw, s.ctx());".to_string())
                    .give("c", &sender);
                Some(Self::staking_op_of(
                    sender,
                    StakingCall::WithdrawStake { staked_wal },
                    &b,
                    None,
                ))
            }
            6 => {
                // a vote or the next commission
                let cap = self.rng.pick(&caps)?;
                b.staking();
                b.owned("cap", false, NODE_CAP, &sender, &cap, false);
                let call = match self.rng.range(0, 4) {
                    4 => {
                        // set_node_metadata: on Sui only its `ExtendedField`'s value changes
                        let n = self.rng.range(0, 3);
                        let metadata = staking::NodeMetadata {
                            image_url: format!("img{n}"),
                            project_url: "project".into(),
                            description: "d".repeat(usize::try_from(n * 300).unwrap()),
                            extra_fields: (0..n)
                                .map(|i| (format!("k{i}"), format!("v{n}")))
                                .collect(),
                        };
                        let m = if metadata.extra_fields.contents.is_empty() {
                            ""
                        } else {
                            "mut "
                        };
                        b.line(format!(
                            "let {m}md = walrus::node_metadata::new({}, {}, {});",
                            str_expr(&metadata.image_url),
                            str_expr(&metadata.project_url),
                            str_expr(&metadata.description)
                        ));
                        b.pair_calls(
                            "md.insert_or_update_extra_field",
                            metadata
                                .extra_fields
                                .contents
                                .iter()
                                .map(|e| (&e.key, &e.value)),
                        )
                        .line("stk.set_node_metadata(&cap, md);".to_string());
                        StakingCall::SetNodeMetadata { cap, metadata }
                    }
                    0 => {
                        let price = self.rng.range(0, 12);
                        b.line(format!("stk.set_storage_price_vote(&cap, {price});"));
                        StakingCall::SetStoragePriceVote { cap, price }
                    }
                    1 => {
                        let price = self.rng.range(0, 6);
                        b.line(format!("stk.set_write_price_vote(&cap, {price});"));
                        StakingCall::SetWritePriceVote { cap, price }
                    }
                    2 => {
                        let capacity = self.rng.range(0, 1_000_000_000_000);
                        b.line(format!("stk.set_node_capacity_vote(&cap, {capacity});"));
                        StakingCall::SetNodeCapacityVote { cap, capacity }
                    }
                    _ => {
                        let commission_rate = u16::try_from(self.rng.range(0, 10_000)).unwrap();
                        b.line(format!("stk.set_next_commission(&cap, {commission_rate});"));
                        StakingCall::SetNextCommission {
                            cap,
                            commission_rate,
                        }
                    }
                };
                Some(Self::staking_op_of(sender, call, &b, None))
            }
            7 | 8 => {
                // the epoch's clock: voting end, then the epoch change, then the syncs
                let last = st.epoch_state.last_epoch_change_time();
                match st.epoch_state {
                    staking::EpochState::EpochChangeDone(_) => {
                        if st.active_set.total_stake == 0 && self.rng.chance(97) {
                            return None;
                        }
                        let at = if st.epoch == 0 {
                            st.first_epoch_start
                        } else {
                            last.unwrap() + EPOCH_DURATION / 2
                        };
                        self.now = self.now.max(at);
                        b.staking();
                        self.clock(&mut b);
                        b.line("stk.voting_end(&clock);".to_string());
                        Some(Self::staking_op_of(
                            sender,
                            StakingCall::VotingEnd,
                            &b,
                            None,
                        ))
                    }
                    staking::EpochState::NextParamsSelected(_) => {
                        let at = if st.epoch == 0 {
                            st.first_epoch_start
                        } else {
                            last.unwrap() + EPOCH_DURATION
                        };
                        self.now = self.now.max(at);
                        b.staking().system(true).line(
                            "let mut t = s.take_shared<wal::wal::ProtectedTreasury>();".to_string(),
                        );
                        b.back
                            .push("sui::test_scenario::return_shared(t);".to_string());
                        self.clock(&mut b);
                        b.line(
                            "stk.initiate_epoch_change_v2(&mut sys, &mut t, &clock, s.ctx());"
                                .to_string(),
                        );
                        Some(Self::staking_op_of(
                            sender,
                            StakingCall::InitiateEpochChange,
                            &b,
                            None,
                        ))
                    }
                    staking::EpochState::EpochChangeSync(_) => {
                        // A cap of a committee member that has not synced this epoch.
                        let pending: Vec<ObjectId> = caps
                            .iter()
                            .filter(|c| {
                                let cap = self.cap(c);
                                st.committee.contains(&cap.node_id)
                                    && cap.last_epoch_sync_done < st.epoch
                            })
                            .copied()
                            .collect();
                        let cap = self.rng.pick(&pending)?;
                        self.now += 10;
                        b.staking();
                        self.clock(&mut b);
                        b.owned("cap", true, NODE_CAP, &sender, &cap, false)
                            .line(format!(
                                "stk.epoch_sync_done(&mut cap, {}, &clock);",
                                st.epoch
                            ));
                        Some(Self::staking_op_of(
                            sender,
                            StakingCall::EpochSyncDone {
                                cap,
                                epoch: st.epoch,
                            },
                            &b,
                            None,
                        ))
                    }
                }
            }
            _ => {
                // split or join staked WAL
                let staked_wal = self.rng.pick(&staked)?;
                let sw = self.staked_wal(&staked_wal);
                if self.rng.chance(50) {
                    let amount = self
                        .rng
                        .range(FROST_PER_WAL, sw.principal.max(FROST_PER_WAL));
                    b.owned("sw", true, STAKED_WAL, &sender, &staked_wal, false)
                        .line(format!("let part = sw.split({amount}, s.ctx());"))
                        .give("part", &sender);
                    Some(Self::staking_op_of(
                        sender,
                        StakingCall::SplitStakedWal { staked_wal, amount },
                        &b,
                        None,
                    ))
                } else {
                    // Joinable: same pool, state and activation epoch (mostly).
                    let sloppy = self.rng.chance(3);
                    let others: Vec<ObjectId> = staked
                        .iter()
                        .filter(|i| **i != staked_wal)
                        .filter(|i| {
                            let o = self.staked_wal(i);
                            sloppy
                                || (o.node_id == sw.node_id
                                    && o.state == sw.state
                                    && o.activation_epoch == sw.activation_epoch)
                        })
                        .copied()
                        .collect();
                    let other = self.rng.pick(&others)?;
                    b.owned("sw", true, STAKED_WAL, &sender, &staked_wal, false)
                        .owned("other", false, STAKED_WAL, &sender, &other, true)
                        .line("sw.join(other);".to_string());
                    Some(Self::staking_op_of(
                        sender,
                        StakingCall::JoinStakedWal { staked_wal, other },
                        &b,
                        None,
                    ))
                }
            }
        }
    }
}

/// The module header: the committee of the Rust keys.
fn header(seed: u64, sequences: usize, steps: usize) -> String {
    let n = 4;
    let keys: Vec<String> = (0..n)
        .map(|i| bytes_expr(member_key(i).public_key().as_bytes()))
        .collect();
    let ids: Vec<String> = (0..n)
        .map(|i| id_expr(&to_object_id(test_node_id(i as u64))))
        .collect();
    format!(
        "// Generated by `cargo run -p walrus-chain --example move_differential -- OUT --seed {seed} \
         --sequences {sequences} --steps {steps}`.\n\
         // Each test replays one random sequence of operations run by the devnet's Rust \
         implementation and\n// asserts its events and objects, step by step. Do not edit.\n\
         #[test_only]\nmodule walrus::differential_tests;\n\nuse sui::test_scenario::Scenario;\n\n\
         /// A committee of the generator's BLS keys with these weights (node ids 1..=4).\n\
         fun committee(epoch: u32, weights: vector<u16>): walrus::bls_aggregate::BlsCommittee {{\n    \
         let keys = vector[{}];\n    let ids = vector[{}];\n    let mut members = vector[];\n    \
         let mut i = 0;\n    while (i < weights.length()) {{\n        \
         let key = sui::bls12381::g1_from_bytes(&keys[i]);\n        \
         members.push_back(walrus::bls_aggregate::new_bls_committee_member(\n            \
         sui::bls12381::g1_to_uncompressed_g1(&key),\n            weights[i],\n            ids[i],\n        \
         ));\n        i = i + 1;\n    }};\n    walrus::bls_aggregate::new_bls_committee(epoch, members)\n}}\n\n\
         /// Whether the runner implements the BLS12-381 natives (the WASM runner answers zeros).\n\
         fun bls_natives(): bool {{\n    \
         let key = sui::bls12381::g1_from_bytes(&{});\n    \
         *sui::bls12381::g1_to_uncompressed_g1(&key).bytes() == {}\n}}\n\n\
         const ADMIN: address = @0x{ADMIN:x};\nconst ALICE: address = @0x{:x};\nconst BOB: address = @0x{:x};\n\n\
         fun id(a: address): ID {{ object::id_from_address(a) }}\n\n\
         #[allow(unused_function)]\n\
         fun check_object<T: key>(s: &Scenario, owner: address, id: address, bcs: vector<u8>, code: u64) {{\n    \
         let o = s.take_from_address_by_id<T>(owner, object::id_from_address(id));\n    \
         assert!(std::bcs::to_bytes(&o) == bcs, code);\n    \
         sui::test_scenario::return_to_address(owner, o);\n}}\n\n\
         #[allow(unused_function)]\n\
         fun check_blob(s: &Scenario, owner: address, id: address, bcs: vector<u8>, metadata: Option<vector<u8>>, code: u64) {{\n    \
         let o = s.take_from_address_by_id<walrus::blob::Blob>(owner, object::id_from_address(id));\n    \
         assert!(std::bcs::to_bytes(&o) == bcs, code);\n    \
         check_metadata(&o, metadata, code + 1);\n    \
         sui::test_scenario::return_to_address(owner, o);\n}}\n\n\
         fun check_metadata(b: &walrus::blob::Blob, metadata: Option<vector<u8>>, code: u64) {{\n    \
         if (metadata.is_some()) {{\n        \
         assert!(b.has_metadata() && std::bcs::to_bytes(b.metadata()) == metadata.destroy_some(), code);\n    \
         }} else {{\n        assert!(!b.has_metadata(), code);\n    }};\n}}\n\n\
         #[allow(unused_function)]\n\
         fun check_shared_blob(s: &Scenario, id: address, bcs: vector<u8>, metadata: Option<vector<u8>>, code: u64) {{\n    \
         let o = s.take_shared_by_id<walrus::shared_blob::SharedBlob>(object::id_from_address(id));\n    \
         assert!(std::bcs::to_bytes(&o) == bcs, code);\n    \
         check_metadata(o.blob(), metadata, code + 1);\n    \
         sui::test_scenario::return_shared(o);\n}}\n\n\
         #[allow(unused_function)]\n\
         fun check_pool(s: &Scenario, owner: address, id: address, bcs: vector<u8>, inner: vector<u8>, code: u64) {{\n    \
         let o = s.take_from_address_by_id<walrus::storage_pool::StoragePool>(owner, object::id_from_address(id));\n    \
         assert!(std::bcs::to_bytes(&o) == bcs, code);\n    \
         assert!(o.inner_bcs_for_testing() == inner, code + 1);\n    \
         sui::test_scenario::return_to_address(owner, o);\n}}\n\n\
         /// The System: the object; the committee's members and weights (and BLS keys where the\n\
         /// runner has the natives) unless `members` is empty; the state after the committee.\n\
         fun check_system(s: &Scenario, bcs: vector<u8>, members: vector<u8>, committee: vector<u8>, rest: vector<u8>, code: u64) {{\n    \
         let o = s.take_shared<walrus::system::System>();\n    \
         assert!(bcs.is_empty() || std::bcs::to_bytes(&o) == bcs, code);\n    \
         if (!members.is_empty()) {{\n        \
         assert!(std::bcs::to_bytes(&o.committee().to_vec_map()) == members, code + 1);\n        \
         assert!(!bls_natives() || std::bcs::to_bytes(o.committee()) == committee, code + 2);\n    \
         }};\n    \
         let state = drop_prefix(o.inner_bcs_for_testing(), std::bcs::to_bytes(o.committee()).length());\n    \
         assert!(state == rest, code + 3);\n    \
         sui::test_scenario::return_shared(o);\n}}\n\n\
         #[allow(unused_function)]\n\
         fun check_object_shared<T: key>(s: &Scenario, id: address, bcs: vector<u8>, code: u64) {{\n    \
         let o = s.take_shared_by_id<T>(object::id_from_address(id));\n    \
         assert!(std::bcs::to_bytes(&o) == bcs, code);\n    \
         sui::test_scenario::return_shared(o);\n}}\n\n\
         /// The `Staking` state unless empty, with its active set and next keys, and the given pools\n\
         /// with their metadata (`*zeroed`: the same with the BLS keys as the WASM runner has\n\
         /// them, or empty when they have none).\n\
         #[allow(unused_function)]\n\
         fun check_staking(s: &Scenario, state: vector<u8>, zeroed: vector<u8>, active_set: vector<u8>, keys: vector<u8>, keys_zeroed: vector<u8>, pools: vector<address>, bcs: vector<vector<u8>>, pools_zeroed: vector<vector<u8>>, metadata: vector<vector<u8>>, code: u64) {{\n    \
         let o = s.take_shared<walrus::staking::Staking>();\n    \
         if (!state.is_empty()) {{\n        \
         let expected = if (bls_natives() || zeroed.is_empty()) state else zeroed;\n        \
         assert!(o.inner_bcs_for_testing() == expected, code);\n        \
         assert!(std::bcs::to_bytes(o.active_set()) == active_set, code + 1);\n        \
         let expected = if (bls_natives() || keys_zeroed.is_empty()) keys else keys_zeroed;\n        \
         assert!(o.next_epoch_public_keys_bcs_for_testing() == expected, code + 2);\n    \
         }};\n    \
         let mut i = 0;\n    \
         while (i < pools.length()) {{\n        \
         let node = object::id_from_address(pools[i]);\n        \
         let expected = if (bls_natives() || pools_zeroed[i].is_empty()) bcs[i] else pools_zeroed[i];\n        \
         assert!(std::bcs::to_bytes(o.pool(node)) == expected, code + 3 + 2 * i);\n        \
         assert!(std::bcs::to_bytes(&o.node_metadata(node)) == metadata[i], code + 4 + 2 * i);\n        \
         i = i + 1;\n    \
         }};\n    \
         sui::test_scenario::return_shared(o);\n}}\n\n\
         /// The events of type `T` of this transaction, in order.\n\
         fun check_events<T: copy + drop>(expected: vector<vector<u8>>, code: u64) {{\n    \
         let ev = sui::event::events_by_type<T>();\n    \
         assert!(ev.length() == expected.length(), code);\n    \
         let mut i = 0;\n    \
         while (i < ev.length()) {{\n        \
         assert!(std::bcs::to_bytes(&ev[i]) == expected[i], code + 1 + i);\n        \
         i = i + 1;\n    }};\n}}\n\n\
         /// `v` without its first `n` bytes.\n\
         fun drop_prefix(v: vector<u8>, n: u64): vector<u8> {{\n    \
         let mut out = vector[];\n    let mut i = n;\n    \
         while (i < v.length()) {{\n        out.push_back(v[i]);\n        i = i + 1;\n    }};\n    out\n}}\n",
        keys.join(", "),
        ids.join(", "),
        keys[0],
        bytes_expr(&uncompressed_keys()[0]),
        SENDERS[0],
        SENDERS[1]
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut out = None;
    let (mut seed, mut sequences, mut steps) = (1u64, 24usize, 40usize);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match arg.as_str() {
            "--seed" => seed = value("--seed"),
            "--sequences" => sequences = usize::try_from(value("--sequences")).unwrap(),
            "--steps" => steps = usize::try_from(value("--steps")).unwrap(),
            other if out.is_none() && !other.starts_with("--") => out = Some(other.to_string()),
            other => {
                eprintln!(
                    "usage: move_differential OUT.move [--seed N] [--sequences N] [--steps N] (unknown: {other})"
                );
                std::process::exit(2);
            }
        }
    }
    let Some(out) = out else {
        eprintln!("usage: move_differential OUT.move [--seed N] [--sequences N] [--steps N]");
        std::process::exit(2);
    };
    let mut module = header(seed, sequences, steps);
    let mut total = Stats::default();
    let mut aborted = 0;
    let mut abort_reasons: BTreeMap<String, usize> = BTreeMap::new();
    for n in 0..sequences {
        let name = format!("sequence_{n}");
        // Every other sequence runs with staking driving the epochs.
        let mut seq = Sequence::new(
            &name,
            seed.wrapping_mul(1_000_003).wrapping_add(n as u64),
            n % 2 == 1,
        );
        for _ in 0..steps {
            let op = seq.random_op();
            if !seq.step(op) {
                break;
            }
        }
        let (code, stats, ends) = seq.finish();
        for (reason, count) in ends {
            *abort_reasons.entry(reason).or_default() += count;
        }
        module.push('\n');
        module.push_str(&code);
        total.steps += stats.steps;
        for (op, count) in stats.ops {
            *total.ops.entry(op).or_default() += count;
        }
        total.events += stats.events;
        total.object_checks += stats.object_checks;
        aborted += usize::from(stats.aborted);
    }
    std::fs::write(&out, module).unwrap();
    let ops: Vec<String> = total
        .ops
        .iter()
        .map(|(op, n)| format!("{op} {n}"))
        .collect();
    println!("steps per operation: {}", ops.join(", "));
    for (reason, count) in &abort_reasons {
        println!("  {count} sequences end in {reason}");
    }
    println!(
        "differential: {sequences} sequences, {} steps, {} events and {} objects compared, \
         {aborted} sequences end in an abort (seed {seed})",
        total.steps, total.events, total.object_checks
    );
}
