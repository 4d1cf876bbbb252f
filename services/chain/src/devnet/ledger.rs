//! The devnet ledger engine: one writer that verifies, orders, executes and journals transactions.
//!
//! It is a development network, not a blockchain: there is no consensus and one process owns the
//! state. What it does guarantee:
//! - every transaction is signed by its sender's Ed25519 key and carries the sender's next nonce,
//!   so nothing runs unsigned or twice;
//! - execution is deterministic: the state is a function of the journal, and opening the ledger
//!   replays the journal (from the newest snapshot) and checks that every replayed transaction
//!   produces exactly the record that was journaled;
//! - a transaction is acknowledged only after its journal record is fsynced, and the stream
//!   ([`Ledger::read_records`]) only shows durable transactions, so readers resuming from a cursor
//!   never miss or repeat one, across restarts too.
//!
//! The state machine itself (what calls exist and what they do) is a [`Machine`].

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sui_sdk_types::{Address, Digest};

use super::journal::{Journal, JournalError, JournalOptions, Recovery, Ticket};
use super::objects::{LedgerObject, ObjectStore, StoredObject, TxView};
use super::snapshot;
use super::tx::{SignedTransaction, TxError};
use crate::types::{Cursor, ExecutionFailure, ExecutionStatus, ObjectId, TransactionRecord};

/// Largest signed transaction accepted, in bytes.
pub const MAX_TRANSACTION_BYTES: usize = 256 * 1024;

/// Where the ledger gets time from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The machine's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// A clock that moves only when told to (tests).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock showing `ms`.
    pub fn new(ms: u64) -> Self {
        Self(AtomicU64::new(ms))
    }
    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
    /// Sets the clock.
    pub fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A deterministic state machine the ledger runs.
pub trait Machine: Send + Sync + 'static {
    /// The operations a transaction may ask for.
    type Call: Serialize + DeserializeOwned + Clone + std::fmt::Debug + Send + Sync;
    /// The objects of its state.
    type Object: LedgerObject;

    /// Creates the initial objects (run once, as transaction 1).
    fn genesis(&self, view: &mut TxView<'_, Self::Object>) -> Result<(), ExecutionFailure>;

    /// Optional work done before the transaction takes the ledger's write lock, in parallel with
    /// other submissions: for example verifying signatures and remembering the results, so that
    /// `execute` finds them verified. It must not change what `execute` computes, only how fast:
    /// the outcome has to be the same whether or not `prepare` ran (journal replay skips it).
    /// `read` returns a copy of an object (taking the state lock briefly).
    fn prepare(&self, _call: &Self::Call, _read: &dyn Fn(&ObjectId) -> Option<Self::Object>) {}

    /// Executes one call. On `Err`, everything the call wrote is discarded.
    fn execute(
        &self,
        view: &mut TxView<'_, Self::Object>,
        call: &Self::Call,
    ) -> Result<(), ExecutionFailure>;
}

/// Why a transaction was refused before execution (nothing was journaled; state unchanged).
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Signature, sender or encoding problem.
    #[error(transparent)]
    Invalid(#[from] TxError),
    /// The transaction is larger than [`MAX_TRANSACTION_BYTES`].
    #[error("transaction of {0} bytes exceeds the limit of {MAX_TRANSACTION_BYTES} bytes")]
    TooLarge(usize),
    /// The nonce was already used: a replay.
    #[error(
        "nonce {nonce} of {sender} was already used (next is {expected}): replayed transaction"
    )]
    Replayed {
        /// The sender.
        sender: Address,
        /// The transaction's nonce.
        nonce: u64,
        /// The sender's next nonce.
        expected: u64,
    },
    /// The nonce skips ahead of the sender's next nonce.
    #[error("nonce {nonce} of {sender} is ahead of the next nonce {expected}")]
    NonceTooHigh {
        /// The sender.
        sender: Address,
        /// The transaction's nonce.
        nonce: u64,
        /// The sender's next nonce.
        expected: u64,
    },
    /// The journal failed; the ledger accepts nothing more.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// Errors opening the ledger or reading its history.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// Journal problem.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// Snapshot I/O problem.
    #[error(transparent)]
    Snapshot(#[from] snapshot::SnapshotError),
    /// A journal or snapshot record does not decode.
    #[error("ledger record {cursor} does not decode: {reason}")]
    Decode {
        /// The record.
        cursor: Cursor,
        /// Why.
        reason: String,
    },
    /// Replaying the journal produced a different result than was recorded.
    #[error(
        "replaying transaction {cursor} produced a different result than the journal holds; \
         the code or the genesis configuration changed since it was written"
    )]
    Divergence {
        /// The transaction.
        cursor: Cursor,
    },
    /// A reader asked for records after a cursor the ledger has not reached.
    #[error("cursor {cursor} is from the future: the ledger is at {head}")]
    CursorFromFuture {
        /// Requested.
        cursor: Cursor,
        /// The newest durable cursor.
        head: Cursor,
    },
}

/// Ledger options.
#[derive(Debug, Clone)]
pub struct LedgerOptions {
    /// Write a snapshot every this many transactions (0: never).
    pub snapshot_every: u64,
    /// Journal options.
    pub journal: JournalOptions,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        Self {
            snapshot_every: 50_000,
            journal: JournalOptions::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct State<V> {
    objects: ObjectStore<V>,
    nonces: std::collections::BTreeMap<Address, u64>,
    last_timestamp_ms: u64,
}

/// What is journaled per transaction: the input and the result it produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct JournalEntry {
    /// `None` for the genesis transaction.
    tx: Option<SignedTransaction>,
    record: TransactionRecord,
}

/// A transaction accepted by the ledger: its result, durable once the ticket resolves.
#[derive(Debug)]
pub struct Receipt {
    /// The executed transaction (check `status` for an abort).
    pub record: TransactionRecord,
    ticket: Option<Ticket>,
}

impl Receipt {
    /// Waits until the transaction is durable, then returns its record.
    pub async fn durable(self) -> Result<TransactionRecord, JournalError> {
        if let Some(t) = self.ticket {
            t.wait().await?;
        }
        Ok(self.record)
    }

    /// Blocking variant of [`Receipt::durable`] (not for async tasks).
    pub fn durable_blocking(self) -> Result<TransactionRecord, JournalError> {
        if let Some(t) = self.ticket {
            t.wait_blocking()?;
        }
        Ok(self.record)
    }
}

/// The ledger: see the module documentation.
pub struct Ledger<M: Machine> {
    machine: M,
    state: Mutex<State<M::Object>>,
    journal: Journal,
    clock: Arc<dyn Clock>,
    options: LedgerOptions,
    snapshot_dir: PathBuf,
    recovery: Recovery,
}

impl<M: Machine> std::fmt::Debug for Ledger<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("journal", &self.journal)
            .field("recovery", &self.recovery)
            .finish()
    }
}

fn genesis_digest() -> Digest {
    super::tx::transaction_digest(b"walrus devnet genesis")
}

impl<M: Machine> Ledger<M> {
    /// Opens the ledger in `dir` (creating it with the machine's genesis when empty) and replays
    /// the journal from the newest snapshot, checking every replayed result.
    pub fn open(
        dir: &Path,
        machine: M,
        clock: Arc<dyn Clock>,
        options: LedgerOptions,
    ) -> Result<Self, LedgerError> {
        let (journal, recovery) = Journal::open(&dir.join("journal"), options.journal.clone())?;
        let snapshot_dir = dir.join("snapshots");
        let (mut state, from) = match snapshot::load_latest(&snapshot_dir)? {
            Some((seq, bytes)) if seq <= journal.durable_seq() => {
                let mut state: State<M::Object> =
                    bcs::from_bytes(&bytes).map_err(|e| LedgerError::Decode {
                        cursor: seq,
                        reason: format!("snapshot: {e}"),
                    })?;
                state.objects.reindex();
                (state, seq + 1)
            }
            Some((seq, _)) => {
                tracing::warn!(
                    snapshot = seq,
                    journal = journal.durable_seq(),
                    "ignoring a snapshot newer than the journal"
                );
                (Self::empty_state(), 1)
            }
            None => (Self::empty_state(), 1),
        };
        let ledger_clock = clock;
        let ledger = Self {
            machine,
            state: Mutex::new(Self::empty_state()),
            journal,
            clock: ledger_clock,
            options,
            snapshot_dir,
            recovery,
        };

        // Replay everything after the snapshot, in pages.
        let mut next = from;
        loop {
            let page = ledger.journal.read_from(next, 4096)?;
            if page.is_empty() {
                break;
            }
            for (cursor, bytes) in page {
                let entry: JournalEntry =
                    bcs::from_bytes(&bytes).map_err(|e| LedgerError::Decode {
                        cursor,
                        reason: e.to_string(),
                    })?;
                let replayed = match &entry.tx {
                    None => ledger.run_genesis(&mut state, cursor, entry.record.timestamp_ms),
                    Some(tx) => {
                        let data = tx.verify::<M::Call>().map_err(|e| LedgerError::Decode {
                            cursor,
                            reason: e.to_string(),
                        })?;
                        ledger.run(
                            &mut state,
                            cursor,
                            tx.digest(),
                            data,
                            entry.record.timestamp_ms,
                        )
                    }
                };
                if replayed != entry.record {
                    return Err(LedgerError::Divergence { cursor });
                }
                next = cursor + 1;
            }
        }
        if ledger.journal.durable_seq() == 0 {
            let now = ledger.clock.now_ms();
            let record = ledger.run_genesis(&mut state, 1, now);
            let entry = JournalEntry { tx: None, record };
            ledger
                .journal
                .submit(1, bcs::to_bytes(&entry).unwrap_or_default())?
                .wait_blocking()?;
        }
        *ledger.lock() = state;
        Ok(ledger)
    }

    fn empty_state() -> State<M::Object> {
        State {
            objects: ObjectStore::default(),
            nonces: Default::default(),
            last_timestamp_ms: 0,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<M::Object>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What opening found in the journal (torn tail dropped, records present).
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    fn run_genesis(
        &self,
        state: &mut State<M::Object>,
        cursor: Cursor,
        timestamp_ms: u64,
    ) -> TransactionRecord {
        let digest = genesis_digest();
        let mut view = TxView::new(&state.objects, digest, Address::ZERO, timestamp_ms);
        let status = match self.machine.genesis(&mut view) {
            Ok(()) => ExecutionStatus::Success,
            Err(f) => ExecutionStatus::Failure(f),
        };
        let (writes, events) = view.finish();
        let (events, object_changes) = if status == ExecutionStatus::Success {
            (events, state.objects.apply(writes))
        } else {
            (Vec::new(), Vec::new())
        };
        state.last_timestamp_ms = timestamp_ms;
        TransactionRecord {
            cursor,
            digest,
            sender: Address::ZERO,
            timestamp_ms,
            status,
            events,
            object_changes,
        }
    }

    /// Executes one verified transaction against `state` (nonce already checked).
    fn run(
        &self,
        state: &mut State<M::Object>,
        cursor: Cursor,
        digest: Digest,
        data: super::tx::TransactionData<M::Call>,
        timestamp_ms: u64,
    ) -> TransactionRecord {
        let mut view = TxView::new(&state.objects, digest, data.sender, timestamp_ms);
        let result = self.machine.execute(&mut view, &data.call);
        let (writes, events) = view.finish();
        let (status, events, object_changes) = match result {
            Ok(()) => (
                ExecutionStatus::Success,
                events,
                state.objects.apply(writes),
            ),
            Err(f) => (ExecutionStatus::Failure(f), Vec::new(), Vec::new()),
        };
        state.nonces.insert(data.sender, data.nonce + 1);
        state.last_timestamp_ms = timestamp_ms;
        TransactionRecord {
            cursor,
            digest,
            sender: data.sender,
            timestamp_ms,
            status,
            events,
            object_changes,
        }
    }

    /// Verifies, executes and journals a transaction. An aborted call is still a transaction (it
    /// uses up the nonce, like a failed transaction on Sui); refused ones ([`SubmitError`]) are not.
    pub fn submit(&self, tx: SignedTransaction) -> Result<Receipt, SubmitError> {
        let size = tx.data.len() + tx.signature.len();
        if size > MAX_TRANSACTION_BYTES {
            return Err(SubmitError::TooLarge(size));
        }
        let data = tx.verify::<M::Call>()?;
        let digest = tx.digest();
        self.machine.prepare(&data.call, &|id| {
            self.lock().objects.get(id).map(|o| o.value.clone())
        });
        let mut state = self.lock();
        let expected = state.nonces.get(&data.sender).copied().unwrap_or(0);
        if data.nonce < expected {
            return Err(SubmitError::Replayed {
                sender: data.sender,
                nonce: data.nonce,
                expected,
            });
        }
        if data.nonce > expected {
            return Err(SubmitError::NonceTooHigh {
                sender: data.sender,
                nonce: data.nonce,
                expected,
            });
        }
        let timestamp_ms = self.clock.now_ms().max(state.last_timestamp_ms);
        let cursor = self.journal.next_seq();
        let record = self.run(&mut state, cursor, digest, data, timestamp_ms);
        let entry = JournalEntry {
            tx: Some(tx),
            record,
        };
        let bytes = bcs::to_bytes(&entry).unwrap_or_default();
        let ticket = self.journal.submit(cursor, bytes)?;
        let record = entry.record;
        if self.options.snapshot_every > 0 && cursor.is_multiple_of(self.options.snapshot_every) {
            // A snapshot may only cover durable transactions.
            ticket.wait_blocking()?;
            self.write_snapshot(&state, cursor);
            return Ok(Receipt {
                record,
                ticket: None,
            });
        }
        Ok(Receipt {
            record,
            ticket: Some(ticket),
        })
    }

    fn write_snapshot(&self, state: &State<M::Object>, cursor: Cursor) {
        match bcs::to_bytes(state) {
            Ok(bytes) => {
                if let Err(e) = snapshot::write(&self.snapshot_dir, cursor, &bytes) {
                    // The journal still holds everything; a missing snapshot only costs replay time.
                    tracing::warn!(error = %e, cursor, "could not write a ledger snapshot");
                }
            }
            Err(e) => tracing::warn!(error = %e, cursor, "could not serialize a ledger snapshot"),
        }
    }

    /// The sender's next nonce.
    pub fn next_nonce(&self, sender: Address) -> u64 {
        self.lock().nonces.get(&sender).copied().unwrap_or(0)
    }

    /// The newest durable cursor.
    pub fn head(&self) -> Cursor {
        self.journal.durable_seq()
    }

    /// A receiver that changes whenever the head moves.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<Cursor> {
        self.journal.subscribe()
    }

    /// Up to `max` durable transaction records after `after`, in order.
    pub fn read_records(
        &self,
        after: Cursor,
        max: usize,
    ) -> Result<Vec<TransactionRecord>, LedgerError> {
        let head = self.head();
        if after > head {
            return Err(LedgerError::CursorFromFuture {
                cursor: after,
                head,
            });
        }
        self.journal
            .read_from(after + 1, max)?
            .into_iter()
            .map(|(cursor, bytes)| {
                bcs::from_bytes::<JournalEntry>(&bytes)
                    .map(|e| e.record)
                    .map_err(|e| LedgerError::Decode {
                        cursor,
                        reason: e.to_string(),
                    })
            })
            .collect()
    }

    /// A copy of the object with this id.
    pub fn object(&self, id: &ObjectId) -> Option<StoredObject<M::Object>> {
        self.lock().objects.get(id).cloned()
    }

    /// The objects an address owns.
    pub fn owned_objects(&self, owner: Address) -> Vec<(ObjectId, StoredObject<M::Object>)> {
        let state = self.lock();
        state
            .objects
            .owned_by(owner)
            .filter_map(|id| state.objects.get(&id).map(|o| (id, o.clone())))
            .collect()
    }

    /// Runs `f` with read access to all objects (for queries that look at several at once).
    pub fn with_objects<R>(&self, f: impl FnOnce(&ObjectStore<M::Object>) -> R) -> R {
        f(&self.lock().objects)
    }

    /// The ledger time of the newest transaction.
    pub fn last_timestamp_ms(&self) -> u64 {
        self.lock().last_timestamp_ms
    }

    /// The ledger's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
}
