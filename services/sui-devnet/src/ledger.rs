//! The ledger: Sui objects, signed transactions executed into effects, and checkpoints.
//!
//! What a transaction goes through, in Sui's order:
//!
//! 1. *Refusals* (nothing is written, the client gets an error naming the problem): size over
//!    [`MAX_TRANSACTION_BYTES`]; a kind other than a programmable transaction; commands or
//!    inputs this ledger does not execute yet (Move calls, publishes, shared and receiving
//!    objects: `Unimplemented`, never a guess); not exactly one signature, a signature that
//!    does not verify over the transaction's intent message, or one from another address than
//!    the sender; a sponsor; an expired epoch; a gas price under the reference price or a
//!    budget outside [`MIN_GAS_BUDGET`]..=[`MAX_GAS_BUDGET`]; gas objects that are not the
//!    sender's SUI coins at their current version and digest, or hold less than the budget;
//!    input objects that do not exist at the given version and digest, are not the sender's
//!    (or immutable), or appear twice.
//! 2. *Execution* of the commands (`SplitCoins`, `MergeCoins`, `TransferObjects` over SUI
//!    coins and the gas coin) with Sui's argument rules: a value moved twice, the gas coin taken
//!    by value outside `TransferObjects`, a pure argument of the wrong shape, a coin too small,
//!    or a new coin left unused (coins have no `drop`) fails the transaction.
//! 3. *Gas*: the computation cost (price × [`COMPUTATION_UNITS`]) plus the storage of every
//!    object written ([`STORAGE_PRICE`] per byte), less 99% of the storage rebate of the objects
//!    replaced or deleted, is taken from the gas coin (several gas coins are merged into the
//!    first). A failed transaction is still committed: its writes are dropped, the gas is
//!    charged, and its effects say which command failed and why.
//! 4. *Commit*: every written object takes the lamport version (one more than the highest
//!    input version), effects V2 list each changed object with its input and output state, and
//!    the transaction gets a checkpoint of its own (sequence number, timestamp, content digest,
//!    previous digest, rolling gas).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use sui_crypto::SuiVerifier as _;
use sui_crypto::ed25519::Ed25519Verifier;
use sui_sdk_types::hash::Hasher;
use sui_sdk_types::{
    Address, Argument, ChangedObject, CheckpointContents, CheckpointSummary,
    CheckpointTransactionInfo, Command, CommandArgumentError, Digest, ExecutionError,
    ExecutionStatus, GasCostSummary, IdOperation, Input, MoveStruct, Object, ObjectData, ObjectIn,
    ObjectOut, ObjectReference, Owner, SimpleSignature, StructTag, Transaction, TransactionEffects,
    TransactionEffectsV2, TransactionExpiration, TransactionKind, UserSignature, Version,
};

/// The bytes of a SUI coin's contents (its ID and balance).
const COIN_BYTES: usize = 40;

/// The largest transaction accepted, in BCS bytes (Sui's `max_tx_size_bytes`).
pub const MAX_TRANSACTION_BYTES: usize = 128 * 1024;
/// The reference gas price, in MIST per gas unit.
pub const REFERENCE_GAS_PRICE: u64 = 1_000;
/// Gas units charged for a transaction's computation (one bucket, whatever it does).
pub const COMPUTATION_UNITS: u64 = 1_000;
/// MIST charged per byte of each object a transaction writes.
pub const STORAGE_PRICE: u64 = 76 * 100;
/// The smallest gas budget accepted: the computation cost at the reference price.
pub const MIN_GAS_BUDGET: u64 = REFERENCE_GAS_PRICE * COMPUTATION_UNITS;
/// The largest gas budget accepted (Sui's `max_tx_gas`, 50 SUI).
pub const MAX_GAS_BUDGET: u64 = 50_000_000_000;
/// MIST in one SUI.
pub const MIST_PER_SUI: u64 = 1_000_000_000;

/// Why a transaction was refused before execution; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The request itself is malformed or breaks a limit.
    #[error("invalid transaction: {0}")]
    Invalid(String),
    /// A signature is missing, does not verify, or is not the sender's.
    #[error("invalid signature: {0}")]
    Signature(String),
    /// Gas payment or price is unacceptable.
    #[error("invalid gas: {0}")]
    Gas(String),
    /// An input object is missing, stale, or not the sender's.
    #[error("invalid input object: {0}")]
    Object(String),
    /// Valid on Sui, but not executed by this ledger yet.
    #[error("unimplemented: {0}")]
    Unimplemented(String),
}

/// A committed transaction and everything it produced.
#[derive(Debug, Clone)]
pub struct Executed {
    /// The transaction.
    pub transaction: Transaction,
    /// Its digest.
    pub digest: Digest,
    /// Its signatures.
    pub signatures: Vec<UserSignature>,
    /// Its effects.
    pub effects: TransactionEffects,
    /// The checkpoint that holds it.
    pub checkpoint: u64,
    /// The checkpoint's timestamp.
    pub timestamp_ms: u64,
    /// The input objects as they were before it.
    pub input_objects: Vec<Object>,
    /// The objects it wrote, as they are after it.
    pub output_objects: Vec<Object>,
}

/// A checkpoint: its summary and contents.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// The summary.
    pub summary: CheckpointSummary,
    /// The contents.
    pub contents: CheckpointContents,
}

/// The ledger's state.
#[derive(Debug)]
pub struct Ledger {
    epoch: u64,
    objects: BTreeMap<Address, Object>,
    transactions: HashMap<Digest, Executed>,
    checkpoints: Vec<Checkpoint>,
    rolling_gas: GasCostSummary,
}

/// The Sui coin type, `0x2::coin::Coin<0x2::sui::SUI>`.
fn gas_coin_type() -> StructTag {
    StructTag::gas_coin()
}

/// A SUI coin object's contents: its ID and balance.
fn coin_contents(id: Address, balance: u64) -> Vec<u8> {
    let mut contents = id.into_inner().to_vec();
    contents.extend_from_slice(&balance.to_le_bytes());
    contents
}

/// The balance of a SUI coin object, `None` for any other object.
pub fn sui_balance(object: &Object) -> Option<u64> {
    let s = object.as_struct()?;
    if s.object_type() != &gas_coin_type() || s.contents().len() != COIN_BYTES {
        return None;
    }
    let bytes: [u8; 8] = s.contents()[32..40].try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

fn new_coin(id: Address, balance: u64, version: Version, owner: Address, tx: Digest) -> Object {
    let contents = coin_contents(id, balance);
    let rebate = storage_cost(contents.len());
    // `MoveStruct::new` only refuses contents shorter than an ID.
    let data = MoveStruct::new(gas_coin_type(), true, version, contents)
        .map(ObjectData::Struct)
        .unwrap_or_else(|| unreachable!("coin contents start with the ID"));
    Object::new(data, Owner::Address(owner), tx, rebate)
}

/// A payment from `sender`: `amount` MIST split off the gas coin `gas` into a new coin sent to
/// `recipient`, at the reference gas price with `budget`. The transaction a faucet or a wallet
/// sends.
pub fn payment(
    sender: Address,
    gas: ObjectReference,
    recipient: Address,
    amount: u64,
    budget: u64,
) -> Result<Transaction, bcs::Error> {
    Ok(Transaction {
        kind: TransactionKind::ProgrammableTransaction(sui_sdk_types::ProgrammableTransaction {
            inputs: vec![
                Input::Pure(bcs::to_bytes(&amount)?),
                Input::Pure(bcs::to_bytes(&recipient)?),
            ],
            commands: vec![
                Command::SplitCoins(sui_sdk_types::SplitCoins {
                    coin: Argument::Gas,
                    amounts: vec![Argument::Input(0)],
                }),
                Command::TransferObjects(sui_sdk_types::TransferObjects {
                    objects: vec![Argument::Result(0)],
                    address: Argument::Input(1),
                }),
            ],
        }),
        sender,
        gas_payment: sui_sdk_types::GasPayment {
            objects: vec![gas],
            owner: sender,
            price: REFERENCE_GAS_PRICE,
            budget,
        },
        expiration: TransactionExpiration::None,
    })
}

fn storage_cost(bytes: usize) -> u64 {
    STORAGE_PRICE.saturating_mul(bytes as u64)
}

/// An ID for the `n`th object created by transaction `tx` (Sui's derivation: BLAKE2b-256 over
/// the 0xf0 scope byte, the transaction digest and `n`).
fn derive_id(tx: &Digest, n: u64) -> Address {
    let mut hasher = Hasher::new();
    hasher.update([0xf0]);
    hasher.update(tx.as_ref() as &[u8]);
    hasher.update(n.to_le_bytes());
    Address::new(hasher.finalize().into_inner())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Ledger {
    /// A ledger whose genesis gives each `(owner, balance)` one SUI coin, in checkpoint 0.
    pub fn genesis(allocations: &[(Address, u64)]) -> Self {
        Self::genesis_at(allocations, now_ms())
    }

    /// [`Ledger::genesis`] with checkpoint 0 at `timestamp_ms` (replays give the same chain).
    pub fn genesis_at(allocations: &[(Address, u64)], timestamp_ms: u64) -> Self {
        let genesis_tx = Digest::new(Hasher::digest(b"walrus devnet genesis").into_inner());
        let mut objects = BTreeMap::new();
        for (n, (owner, balance)) in allocations.iter().enumerate() {
            let id = derive_id(&genesis_tx, n as u64);
            objects.insert(
                id,
                new_coin(id, *balance, Version::from(1u64), *owner, genesis_tx),
            );
        }
        let mut ledger = Self {
            epoch: 0,
            objects,
            transactions: HashMap::new(),
            checkpoints: Vec::new(),
            rolling_gas: GasCostSummary::default(),
        };
        ledger.push_checkpoint(Vec::new(), timestamp_ms);
        ledger
    }

    /// The chain identifier: the genesis checkpoint's digest.
    pub fn chain_id(&self) -> Digest {
        self.checkpoints
            .first()
            .map_or(Digest::ZERO, |c| c.summary.digest())
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The latest checkpoint.
    pub fn latest_checkpoint(&self) -> &Checkpoint {
        // Genesis pushes checkpoint 0, so there is always one.
        &self.checkpoints[self.checkpoints.len() - 1]
    }

    /// Checkpoint `sequence`.
    pub fn checkpoint(&self, sequence: u64) -> Option<&Checkpoint> {
        self.checkpoints.get(usize::try_from(sequence).ok()?)
    }

    /// The checkpoint with this digest.
    pub fn checkpoint_by_digest(&self, digest: &Digest) -> Option<&Checkpoint> {
        self.checkpoints
            .iter()
            .find(|c| c.summary.digest() == *digest)
    }

    /// An object at its latest version.
    pub fn object(&self, id: &Address) -> Option<&Object> {
        self.objects.get(id)
    }

    /// The objects `owner` owns, in ID order.
    pub fn owned_objects(&self, owner: &Address) -> impl Iterator<Item = &Object> {
        self.objects
            .values()
            .filter(move |o| o.owner() == &Owner::Address(*owner))
    }

    /// A committed transaction.
    pub fn transaction(&self, digest: &Digest) -> Option<&Executed> {
        self.transactions.get(digest)
    }

    /// The SUI `owner` holds, over all its coins.
    pub fn sui_balance(&self, owner: &Address) -> u64 {
        self.owned_objects(owner)
            .filter_map(sui_balance)
            .fold(0u64, u64::saturating_add)
    }

    fn push_checkpoint(&mut self, transactions: Vec<CheckpointTransactionInfo>, now: u64) {
        let previous = self.checkpoints.last();
        let timestamp_ms = previous.map_or(now, |p| now.max(p.summary.timestamp_ms));
        let contents = CheckpointContents::new_v1(transactions);
        let summary = CheckpointSummary {
            epoch: self.epoch,
            sequence_number: self.checkpoints.len() as u64,
            network_total_transactions: previous
                .map_or(0, |p| p.summary.network_total_transactions)
                + contents.transactions().len() as u64,
            content_digest: contents.digest(),
            previous_digest: previous.map(|p| p.summary.digest()),
            epoch_rolling_gas_cost_summary: self.rolling_gas.clone(),
            timestamp_ms,
            checkpoint_commitments: Vec::new(),
            end_of_epoch_data: None,
            version_specific_data: Vec::new(),
        };
        self.checkpoints.push(Checkpoint { summary, contents });
    }

    /// Checks, executes and commits `transaction` signed with `signatures`. A refusal writes
    /// nothing; a transaction that fails in execution is committed with its gas charged.
    pub fn execute(
        &mut self,
        transaction: Transaction,
        signatures: Vec<UserSignature>,
    ) -> Result<&Executed, Refusal> {
        self.execute_inner(transaction, signatures, true, now_ms())
    }

    /// [`Ledger::execute`] in a checkpoint stamped `timestamp_ms` (at least the previous
    /// checkpoint's): what a replay of the journal does.
    pub fn execute_at(
        &mut self,
        transaction: Transaction,
        signatures: Vec<UserSignature>,
        timestamp_ms: u64,
    ) -> Result<&Executed, Refusal> {
        self.execute_inner(transaction, signatures, true, timestamp_ms)
    }

    /// Every refusal [`Ledger::execute`] would give, without executing: what a caller checks
    /// before making a transaction durable.
    pub fn check_signed(
        &self,
        transaction: &Transaction,
        signatures: &[UserSignature],
    ) -> Result<(), Refusal> {
        self.check(transaction, signatures, true).map(|_| ())
    }

    /// What executing `transaction` would do now, without a signature and without writing
    /// anything: the checks (but the signature's) and the execution run on a copy of the
    /// objects it names.
    pub fn simulate(&self, transaction: Transaction) -> Result<Executed, Refusal> {
        let mut named: Vec<Address> = transaction
            .gas_payment
            .objects
            .iter()
            .map(|r| *r.object_id())
            .collect();
        if let TransactionKind::ProgrammableTransaction(p) = &transaction.kind {
            named.extend(p.inputs.iter().filter_map(|i| match i {
                Input::ImmutableOrOwned(r) => Some(*r.object_id()),
                _ => None,
            }));
        }
        let mut scratch = Self {
            epoch: self.epoch,
            objects: named
                .iter()
                .filter_map(|id| self.objects.get(id).map(|o| (*id, o.clone())))
                .collect(),
            transactions: HashMap::new(),
            checkpoints: vec![self.latest_checkpoint().clone()],
            rolling_gas: GasCostSummary::default(),
        };
        let mut executed = scratch
            .execute_inner(transaction, Vec::new(), false, now_ms())?
            .clone();
        executed.checkpoint = 0;
        Ok(executed)
    }

    fn execute_inner(
        &mut self,
        transaction: Transaction,
        signatures: Vec<UserSignature>,
        verify_signatures: bool,
        timestamp_ms: u64,
    ) -> Result<&Executed, Refusal> {
        let digest = transaction.digest();
        if self.transactions.contains_key(&digest) {
            // As Sui: executing a transaction again answers its effects.
            return self
                .transactions
                .get(&digest)
                .ok_or_else(|| Refusal::Invalid("vanished".into()));
        }
        let checked = self.check(&transaction, &signatures, verify_signatures)?;
        let input_objects: Vec<Object> = checked
            .gas
            .iter()
            .chain(checked.inputs.iter().filter_map(|i| match i {
                CheckedInput::Object(id) => Some(id),
                CheckedInput::Pure(_) => None,
            }))
            .filter_map(|id| self.objects.get(id).cloned())
            .collect();
        let lamport = input_objects
            .iter()
            .map(Object::version)
            .max()
            .unwrap_or_default()
            + 1;
        let mut run = Run::new(self, &checked, digest, transaction.sender);
        let outcome = run.commands(&checked);
        let (status, writes) = match outcome {
            Ok(()) => (ExecutionStatus::Success, run.writes),
            Err((error, command)) => (
                ExecutionStatus::Failure {
                    error,
                    command: command.map(u64::from),
                },
                Writes::default(),
            ),
        };
        let (status, writes, gas_used) = self.charge_gas(&checked, status, writes);
        let (effects, output_objects) = self.apply(
            &checked,
            &input_objects,
            status,
            writes,
            gas_used,
            digest,
            lamport,
        );
        let checkpoint = self.checkpoints.len() as u64;
        let info = CheckpointTransactionInfo::new(digest, effects.digest(), signatures.clone());
        if let TransactionEffects::V2(v2) = &effects {
            let g = &v2.gas_used;
            self.rolling_gas.computation_cost += g.computation_cost;
            self.rolling_gas.storage_cost += g.storage_cost;
            self.rolling_gas.storage_rebate += g.storage_rebate;
            self.rolling_gas.non_refundable_storage_fee += g.non_refundable_storage_fee;
        }
        self.push_checkpoint(vec![info], timestamp_ms);
        let timestamp_ms = self.latest_checkpoint().summary.timestamp_ms;
        let executed = Executed {
            transaction,
            digest,
            signatures,
            effects,
            checkpoint,
            timestamp_ms,
            input_objects,
            output_objects,
        };
        Ok(self.transactions.entry(digest).or_insert(executed))
    }

    /// The refusals of the module documentation, in order.
    fn check(
        &self,
        transaction: &Transaction,
        signatures: &[UserSignature],
        verify_signatures: bool,
    ) -> Result<Checked, Refusal> {
        let size = bcs::to_bytes(transaction)
            .map_err(|e| Refusal::Invalid(format!("cannot serialize: {e}")))?
            .len();
        if size > MAX_TRANSACTION_BYTES {
            return Err(Refusal::Invalid(format!(
                "{size} bytes, over the limit of {MAX_TRANSACTION_BYTES}"
            )));
        }
        let TransactionKind::ProgrammableTransaction(ptb) = &transaction.kind else {
            return Err(Refusal::Invalid(
                "only programmable transactions can be submitted".into(),
            ));
        };
        for (i, command) in ptb.commands.iter().enumerate() {
            let name = match command {
                Command::SplitCoins(_) | Command::MergeCoins(_) | Command::TransferObjects(_) => {
                    continue;
                }
                Command::MoveCall(c) => {
                    format!("Move call {}::{}::{}", c.package, c.module, c.function)
                }
                Command::Publish(_) => "Publish".into(),
                Command::Upgrade(_) => "Upgrade".into(),
                Command::MakeMoveVector(_) => "MakeMoveVec".into(),
                _ => "this command".into(),
            };
            return Err(Refusal::Unimplemented(format!(
                "command {i} ({name}) is not executed by this devnet yet"
            )));
        }
        if verify_signatures {
            Self::check_signature(transaction, signatures)?;
        }
        self.check_unsigned(transaction, ptb)
    }

    /// One signature, the sender's, over the transaction's intent message.
    fn check_signature(
        transaction: &Transaction,
        signatures: &[UserSignature],
    ) -> Result<(), Refusal> {
        let [signature] = signatures else {
            return Err(Refusal::Signature(format!(
                "{} signatures; exactly one (the sender's) is required (sponsored transactions \
                 are not supported yet)",
                signatures.len()
            )));
        };
        let UserSignature::Simple(SimpleSignature::Ed25519 { public_key, .. }) = signature else {
            return Err(Refusal::Unimplemented(format!(
                "{:?} signatures are not verified by this devnet yet (Ed25519 is)",
                signature.scheme()
            )));
        };
        if public_key.derive_address() != transaction.sender {
            return Err(Refusal::Signature(format!(
                "signed by {}, not by the sender {}",
                public_key.derive_address(),
                transaction.sender
            )));
        }
        Ed25519Verifier::new()
            .verify_transaction(transaction, signature)
            .map_err(|e| Refusal::Signature(format!("does not verify: {e}")))
    }

    /// Every check but the signature's.
    fn check_unsigned(
        &self,
        transaction: &Transaction,
        ptb: &sui_sdk_types::ProgrammableTransaction,
    ) -> Result<Checked, Refusal> {
        match transaction.expiration {
            TransactionExpiration::None => {}
            TransactionExpiration::Epoch(e) if e >= self.epoch => {}
            TransactionExpiration::Epoch(e) => {
                return Err(Refusal::Invalid(format!(
                    "expired at epoch {e}; the current epoch is {}",
                    self.epoch
                )));
            }
            _ => {
                return Err(Refusal::Unimplemented(
                    "this expiration kind is not supported yet".into(),
                ));
            }
        }
        // Gas.
        let gas = &transaction.gas_payment;
        if gas.owner != transaction.sender {
            return Err(Refusal::Unimplemented(
                "sponsored gas is not supported yet".into(),
            ));
        }
        if gas.price < REFERENCE_GAS_PRICE {
            return Err(Refusal::Gas(format!(
                "price {} is under the reference gas price {REFERENCE_GAS_PRICE}",
                gas.price
            )));
        }
        if !(MIN_GAS_BUDGET..=MAX_GAS_BUDGET).contains(&gas.budget) {
            return Err(Refusal::Gas(format!(
                "budget {} is outside {MIN_GAS_BUDGET}..={MAX_GAS_BUDGET}",
                gas.budget
            )));
        }
        if gas.budget < gas.price.saturating_mul(COMPUTATION_UNITS) {
            return Err(Refusal::Gas(format!(
                "budget {} does not cover the computation cost {} at price {}",
                gas.budget,
                gas.price.saturating_mul(COMPUTATION_UNITS),
                gas.price
            )));
        }
        if gas.objects.is_empty() {
            return Err(Refusal::Gas("no gas coin".into()));
        }
        let mut seen = BTreeSet::new();
        let mut gas_ids = Vec::new();
        let mut gas_balance = 0u64;
        for reference in &gas.objects {
            let object = self.owned_input(reference, &transaction.sender, &mut seen)?;
            let balance = sui_balance(object).ok_or_else(|| {
                Refusal::Gas(format!("{} is not a SUI coin", reference.object_id()))
            })?;
            gas_balance = gas_balance.saturating_add(balance);
            gas_ids.push(*reference.object_id());
        }
        if gas_balance < gas.budget {
            return Err(Refusal::Gas(format!(
                "the gas coins hold {gas_balance} MIST, less than the budget {}",
                gas.budget
            )));
        }
        // Inputs.
        let mut inputs = Vec::with_capacity(ptb.inputs.len());
        for (i, input) in ptb.inputs.iter().enumerate() {
            inputs.push(match input {
                Input::Pure(bytes) => CheckedInput::Pure(bytes.clone()),
                Input::ImmutableOrOwned(reference) => {
                    self.owned_input(reference, &transaction.sender, &mut seen)?;
                    CheckedInput::Object(*reference.object_id())
                }
                _ => {
                    return Err(Refusal::Unimplemented(format!(
                        "input {i}: shared and receiving objects are not supported yet"
                    )));
                }
            });
        }
        Ok(Checked {
            gas: gas_ids,
            gas_balance,
            inputs,
            commands: ptb.commands.clone(),
            price: gas.price,
            budget: gas.budget,
        })
    }

    /// An input object at exactly `reference`, owned by `sender` or immutable, not seen before.
    fn owned_input(
        &self,
        reference: &ObjectReference,
        sender: &Address,
        seen: &mut BTreeSet<Address>,
    ) -> Result<&Object, Refusal> {
        let id = reference.object_id();
        if !seen.insert(*id) {
            return Err(Refusal::Object(format!("{id} is used twice")));
        }
        let object = self
            .objects
            .get(id)
            .ok_or_else(|| Refusal::Object(format!("{id} does not exist")))?;
        if object.version() != reference.version() || object.digest() != *reference.digest() {
            return Err(Refusal::Object(format!(
                "{id} is at version {} (digest {}), not version {} (digest {})",
                object.version(),
                object.digest(),
                reference.version(),
                reference.digest()
            )));
        }
        match object.owner() {
            Owner::Address(owner) if owner == sender => Ok(object),
            Owner::Immutable => Ok(object),
            other => Err(Refusal::Object(format!(
                "{id} is owned by {other:?}, not by the sender {sender}"
            ))),
        }
    }

    /// Gas: the cost of what the transaction writes. One that cannot pay within its budget
    /// fails with `InsufficientGas`, its writes dropped, and pays at most its budget.
    fn charge_gas(
        &self,
        checked: &Checked,
        status: ExecutionStatus,
        writes: Writes,
    ) -> (ExecutionStatus, Writes, GasCostSummary) {
        let computation_cost = checked.price.saturating_mul(COMPUTATION_UNITS);
        let gas_id = checked.gas[0];
        let summarize = |writes: &Writes| {
            // Every object written pays storage (the gas coin always is written); every
            // existing object replaced or deleted refunds 99% of what it paid.
            let mut storage = storage_cost(COIN_BYTES);
            for (id, value) in &writes.objects {
                if *id != gas_id
                    && let Some(value) = value
                {
                    storage = storage.saturating_add(storage_cost(value.contents_len()));
                }
            }
            let rebate = checked
                .gas
                .iter()
                .chain(writes.objects.keys())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .filter_map(|id| self.objects.get(id))
                .map(Object::storage_rebate)
                .fold(0u64, u64::saturating_add);
            let non_refundable = rebate / 100;
            GasCostSummary {
                computation_cost,
                storage_cost: storage,
                storage_rebate: rebate - non_refundable,
                non_refundable_storage_fee: non_refundable,
            }
        };
        let gas = summarize(&writes);
        if gas.computation_cost.saturating_add(gas.storage_cost) <= checked.budget {
            return (status, writes, gas);
        }
        let mut gas = summarize(&Writes::default());
        gas.computation_cost = gas.computation_cost.min(checked.budget);
        gas.storage_cost = gas.storage_cost.min(checked.budget - gas.computation_cost);
        (
            ExecutionStatus::Failure {
                error: ExecutionError::InsufficientGas,
                command: None,
            },
            Writes::default(),
            gas,
        )
    }

    /// Writes the outcome, the gas payment and the effects.
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        checked: &Checked,
        input_objects: &[Object],
        status: ExecutionStatus,
        mut writes: Writes,
        gas_used: GasCostSummary,
        tx: Digest,
        lamport: Version,
    ) -> (TransactionEffects, Vec<Object>) {
        let sender_of = |o: &Object| match o.owner() {
            Owner::Address(a) => *a,
            _ => Address::ZERO,
        };
        // The gas coins: the first takes the others' balances (they are deleted), less the
        // charge; on success its balance is what the commands left.
        let gas_id = checked.gas[0];
        let gas_owner = self.objects.get(&gas_id).map_or(Address::ZERO, sender_of);
        // While the commands ran, the gas coin held everything but the budget.
        let (gas_balance, gas_recipient) = match writes.objects.remove(&gas_id) {
            Some(Some(Value::Coin { balance, owner, .. })) => {
                (balance.saturating_add(checked.budget), owner)
            }
            _ => (checked.gas_balance, gas_owner),
        };
        let charge = (gas_used.computation_cost + gas_used.storage_cost)
            .saturating_sub(gas_used.storage_rebate);
        let gas_balance = gas_balance.saturating_sub(charge);
        for id in checked.gas.iter().skip(1) {
            writes.objects.insert(*id, None);
        }
        let mut changed = Vec::new();
        let mut outputs = Vec::new();
        let mut write = |ledger: &mut Self, id: Address, value: Option<Value>| {
            let before = ledger.objects.get(&id).cloned();
            let input_state = match &before {
                Some(o) => ObjectIn::Exist {
                    version: o.version(),
                    digest: o.digest(),
                    owner: *o.owner(),
                },
                None => ObjectIn::NotExist,
            };
            let (output_state, id_operation) = match value {
                Some(Value::Coin { balance, owner, .. }) => {
                    let object = new_coin(id, balance, lamport, owner, tx);
                    let out = ObjectOut::ObjectWrite {
                        digest: object.digest(),
                        owner: *object.owner(),
                    };
                    ledger.objects.insert(id, object.clone());
                    outputs.push(object);
                    (
                        out,
                        if before.is_some() {
                            IdOperation::None
                        } else {
                            IdOperation::Created
                        },
                    )
                }
                None => {
                    ledger.objects.remove(&id);
                    (ObjectOut::NotExist, IdOperation::Deleted)
                }
            };
            changed.push(ChangedObject {
                object_id: id,
                input_state,
                output_state,
                id_operation,
            });
        };
        write(
            self,
            gas_id,
            Some(Value::Coin {
                id: Some(gas_id),
                balance: gas_balance,
                owner: gas_recipient,
            }),
        );
        for (id, value) in writes.objects {
            write(self, id, value);
        }
        changed.sort_by_key(|c| c.object_id);
        let gas_object_index = changed
            .iter()
            .position(|c| c.object_id == gas_id)
            .map(|i| i as u32);
        let mut dependencies: Vec<Digest> = input_objects
            .iter()
            .map(Object::previous_transaction)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        dependencies.retain(|d| self.transactions.contains_key(d));
        let effects = TransactionEffects::V2(Box::new(TransactionEffectsV2 {
            status,
            epoch: self.epoch,
            gas_used,
            transaction_digest: tx,
            gas_object_index,
            events_digest: None,
            dependencies,
            lamport_version: lamport,
            changed_objects: changed,
            unchanged_consensus_objects: Vec::new(),
            auxiliary_data_digest: None,
        }));
        (effects, outputs)
    }
}

/// A transaction that passed the checks.
#[derive(Debug)]
struct Checked {
    gas: Vec<Address>,
    /// What the gas coins hold together, before the transaction.
    gas_balance: u64,
    inputs: Vec<CheckedInput>,
    commands: Vec<Command>,
    price: u64,
    budget: u64,
}

#[derive(Debug)]
enum CheckedInput {
    Pure(Vec<u8>),
    Object(Address),
}

/// A value during execution: a SUI coin (an existing object's ID, or `None` before the
/// commit gives a new coin its ID).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Coin {
        id: Option<Address>,
        balance: u64,
        owner: Address,
    },
}

impl Value {
    fn contents_len(&self) -> usize {
        match self {
            Self::Coin { .. } => COIN_BYTES,
        }
    }
}

/// The objects a successful execution writes: `None` deletes.
#[derive(Debug, Default)]
struct Writes {
    objects: BTreeMap<Address, Option<Value>>,
}

/// Where a value lives during execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    Gas,
    Input(u16),
    Result(u16, u16),
}

/// One execution of a checked transaction's commands.
struct Run {
    tx: Digest,
    n_inputs: u16,
    created: u64,
    /// The values not moved yet.
    live: BTreeMap<Slot, Value>,
    /// Values moved out (by value) already.
    moved: BTreeSet<Slot>,
    /// Results of each command (how many values each produced).
    results: Vec<u16>,
    writes: Writes,
    pure: BTreeMap<u16, Vec<u8>>,
}

/// Why the commands failed, and in which command.
type Failure = (ExecutionError, Option<u16>);

// A failure ends the transaction, so its size on the error path costs nothing that matters.
#[allow(clippy::result_large_err)]
impl Run {
    fn new(ledger: &Ledger, checked: &Checked, tx: Digest, sender: Address) -> Self {
        let mut live = BTreeMap::new();
        let mut pure = BTreeMap::new();
        // The gas coin holds all gas coins' balance less the budget while commands run.
        live.insert(
            Slot::Gas,
            Value::Coin {
                id: Some(checked.gas[0]),
                balance: checked.gas_balance.saturating_sub(checked.budget),
                owner: sender,
            },
        );
        for (i, input) in checked.inputs.iter().enumerate() {
            let i = i as u16;
            match input {
                CheckedInput::Pure(bytes) => {
                    pure.insert(i, bytes.clone());
                }
                CheckedInput::Object(id) => {
                    if let Some(o) = ledger.objects.get(id)
                        && let Some(balance) = sui_balance(o)
                    {
                        live.insert(
                            Slot::Input(i),
                            Value::Coin {
                                id: Some(*id),
                                balance,
                                owner: sender,
                            },
                        );
                    }
                }
            }
        }
        Self {
            tx,
            n_inputs: checked.inputs.len() as u16,
            created: 0,
            live,
            moved: BTreeSet::new(),
            results: Vec::new(),
            writes: Writes::default(),
            pure,
        }
    }

    fn commands(&mut self, checked: &Checked) -> Result<(), Failure> {
        for (i, command) in checked.commands.iter().enumerate() {
            let i = i as u16;
            let produced = match command {
                Command::SplitCoins(c) => self.split(i, &c.coin, &c.amounts)?,
                Command::MergeCoins(c) => self.merge(i, &c.coin, &c.coins_to_merge)?,
                Command::TransferObjects(c) => self.transfer(i, &c.objects, &c.address)?,
                _ => return Err((ExecutionError::FeatureNotYetSupported, Some(i))),
            };
            self.results.push(produced);
        }
        // Coins have no `drop`: a result never moved is an error, as in Sui.
        if let Some((result, subresult)) = self.live.keys().find_map(|slot| match slot {
            Slot::Result(r, s) => Some((*r, *s)),
            _ => None,
        }) {
            return Err((
                ExecutionError::UnusedValueWithoutDrop { result, subresult },
                None,
            ));
        }
        // Inputs and the gas coin still live are written back (mutated).
        let live = std::mem::take(&mut self.live);
        for (slot, value) in live {
            if let Value::Coin { id: Some(id), .. } = &value
                && matches!(slot, Slot::Gas | Slot::Input(_))
            {
                self.writes.objects.insert(*id, Some(value));
            }
        }
        Ok(())
    }

    fn slot(&self, command: u16, argument: u16, arg: &Argument) -> Result<Slot, Failure> {
        let bad = |kind| {
            Err((
                ExecutionError::CommandArgumentError { argument, kind },
                Some(command),
            ))
        };
        match *arg {
            Argument::Gas => Ok(Slot::Gas),
            Argument::Input(i) => Ok(Slot::Input(i)),
            Argument::Result(r) => match self.results.get(r as usize) {
                Some(1) => Ok(Slot::Result(r, 0)),
                Some(_) => bad(CommandArgumentError::InvalidResultArity { result: r }),
                None => bad(CommandArgumentError::IndexOutOfBounds { index: r }),
            },
            Argument::NestedResult(r, s) => match self.results.get(r as usize) {
                Some(&n) if s < n => Ok(Slot::Result(r, s)),
                Some(_) => bad(CommandArgumentError::SecondaryIndexOutOfBounds {
                    result: r,
                    subresult: s,
                }),
                None => bad(CommandArgumentError::IndexOutOfBounds { index: r }),
            },
        }
    }

    /// The coin at `arg`, borrowed mutably.
    fn coin_mut(
        &mut self,
        command: u16,
        argument: u16,
        arg: &Argument,
    ) -> Result<&mut u64, Failure> {
        let slot = self.slot(command, argument, arg)?;
        let kind = match slot {
            _ if self.moved.contains(&slot) => CommandArgumentError::InvalidValueUsage,
            Slot::Input(i) if i >= self.n_inputs => {
                CommandArgumentError::IndexOutOfBounds { index: i }
            }
            // A pure value or an object that is not a SUI coin.
            _ => CommandArgumentError::TypeMismatch,
        };
        match self.live.get_mut(&slot) {
            Some(Value::Coin { balance, .. }) => Ok(balance),
            None => Err((
                ExecutionError::CommandArgumentError { argument, kind },
                Some(command),
            )),
        }
    }

    /// The value at `arg`, moved out.
    fn take(
        &mut self,
        command: u16,
        argument: u16,
        arg: &Argument,
        gas_ok: bool,
    ) -> Result<Value, Failure> {
        let slot = self.slot(command, argument, arg)?;
        if slot == Slot::Gas && !gas_ok {
            return Err((
                ExecutionError::CommandArgumentError {
                    argument,
                    kind: CommandArgumentError::InvalidGasCoinUsage,
                },
                Some(command),
            ));
        }
        self.coin_mut(command, argument, arg)?;
        self.moved.insert(slot);
        self.live
            .remove(&slot)
            .ok_or((ExecutionError::InvariantViolation, Some(command)))
    }

    fn pure_u64(&self, command: u16, argument: u16, arg: &Argument) -> Result<u64, Failure> {
        match arg {
            Argument::Input(i) => match self.pure.get(i) {
                Some(bytes) => bcs::from_bytes::<u64>(bytes).map_err(|_| {
                    (
                        ExecutionError::CommandArgumentError {
                            argument,
                            kind: CommandArgumentError::InvalidBcsBytes,
                        },
                        Some(command),
                    )
                }),
                None => Err((
                    ExecutionError::CommandArgumentError {
                        argument,
                        kind: CommandArgumentError::TypeMismatch,
                    },
                    Some(command),
                )),
            },
            _ => Err((
                ExecutionError::CommandArgumentError {
                    argument,
                    kind: CommandArgumentError::TypeMismatch,
                },
                Some(command),
            )),
        }
    }

    fn split(
        &mut self,
        command: u16,
        coin: &Argument,
        amounts: &[Argument],
    ) -> Result<u16, Failure> {
        let amounts = amounts
            .iter()
            .enumerate()
            .map(|(j, a)| self.pure_u64(command, j as u16 + 1, a))
            .collect::<Result<Vec<_>, _>>()?;
        let total = amounts
            .iter()
            .try_fold(0u64, |t, a| t.checked_add(*a))
            .ok_or((ExecutionError::CoinBalanceOverflow, Some(command)))?;
        let owner = match self.live.get(&self.slot(command, 0, coin)?) {
            Some(Value::Coin { owner, .. }) => *owner,
            None => Address::ZERO,
        };
        let balance = self.coin_mut(command, 0, coin)?;
        if *balance < total {
            return Err((ExecutionError::InsufficientCoinBalance, Some(command)));
        }
        *balance -= total;
        for (j, amount) in amounts.iter().enumerate() {
            self.live.insert(
                Slot::Result(command, j as u16),
                Value::Coin {
                    id: None,
                    balance: *amount,
                    owner,
                },
            );
        }
        Ok(amounts.len() as u16)
    }

    fn merge(
        &mut self,
        command: u16,
        target: &Argument,
        sources: &[Argument],
    ) -> Result<u16, Failure> {
        let target_slot = self.slot(command, 0, target)?;
        let mut sum = 0u64;
        for (j, source) in sources.iter().enumerate() {
            let argument = j as u16 + 1;
            if self.slot(command, argument, source)? == target_slot {
                return Err((
                    ExecutionError::CommandArgumentError {
                        argument,
                        kind: CommandArgumentError::InvalidValueUsage,
                    },
                    Some(command),
                ));
            }
            let Value::Coin { id, balance, .. } = self.take(command, argument, source, false)?;
            if let Some(id) = id {
                // An existing coin merged away is deleted.
                self.writes.objects.insert(id, None);
            }
            sum = sum
                .checked_add(balance)
                .ok_or((ExecutionError::CoinBalanceOverflow, Some(command)))?;
        }
        let balance = self.coin_mut(command, 0, target)?;
        *balance = balance
            .checked_add(sum)
            .ok_or((ExecutionError::CoinBalanceOverflow, Some(command)))?;
        Ok(0)
    }

    fn transfer(
        &mut self,
        command: u16,
        objects: &[Argument],
        address: &Argument,
    ) -> Result<u16, Failure> {
        let argument = objects.len() as u16;
        let recipient = match address {
            Argument::Input(i) => self
                .pure
                .get(i)
                .and_then(|b| bcs::from_bytes::<Address>(b).ok()),
            _ => None,
        }
        .ok_or((
            ExecutionError::CommandArgumentError {
                argument,
                kind: CommandArgumentError::InvalidBcsBytes,
            },
            Some(command),
        ))?;
        for (j, object) in objects.iter().enumerate() {
            let Value::Coin { id, balance, .. } = self.take(command, j as u16, object, true)?;
            let id = match id {
                Some(id) => id,
                None => {
                    let id = derive_id(&self.tx, self.created);
                    self.created += 1;
                    id
                }
            };
            // The gas coin by value keeps paying for gas, then goes to the recipient.
            self.writes.objects.insert(
                id,
                Some(Value::Coin {
                    id: Some(id),
                    balance,
                    owner: recipient,
                }),
            );
        }
        Ok(0)
    }
}
