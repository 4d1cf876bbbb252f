//! The ledger made durable: a journal of what changed it (the genesis, then every committed
//! transaction with its signatures and checkpoint time), written before the change is
//! acknowledged and replayed on open. Execution is deterministic given those records (object
//! IDs come from transaction digests, versions from the inputs, checkpoint times from the
//! record), so a replay rebuilds the same objects, versions, digests and checkpoints. The
//! journal is the devnet's (`walrus_chain::devnet::journal`): checksummed frames, `fdatasync`
//! before acknowledging, a torn tail cut on open.

use std::ops::Deref;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sui_sdk_types::{Address, Transaction, UserSignature};
use walrus_chain::devnet::journal::{Journal, JournalError, JournalOptions};

use crate::ledger::{Executed, Ledger, Refusal, now_ms};

/// One journal record.
#[derive(Debug, Serialize, Deserialize)]
enum Record {
    /// The first record: the genesis allocations and checkpoint 0's time.
    Genesis {
        allocations: Vec<(Address, u64)>,
        timestamp_ms: u64,
    },
    /// A committed transaction (successful or failed in execution; refusals are not recorded).
    Transaction {
        // Boxed: a transaction is far larger than a genesis record (same BCS either way).
        transaction: Box<Transaction>,
        signatures: Vec<UserSignature>,
        timestamp_ms: u64,
    },
}

/// Why a transaction was not committed.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// Refused before execution; nothing was written.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The journal could not make it durable; nothing was applied.
    #[error("the ledger could not record the transaction durably: {0}")]
    Journal(#[from] JournalError),
    /// The record did not serialize; nothing was applied.
    #[error("the ledger could not serialize the transaction's record: {0}")]
    Encode(String),
}

/// Why a ledger directory did not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The journal did not open or read.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// A record does not decode or does not replay: the directory is not a ledger of this
    /// version.
    #[error("record {seq} of the ledger journal: {reason}")]
    Corrupt {
        /// The record's sequence number.
        seq: u64,
        /// What is wrong with it.
        reason: String,
    },
}

/// A ledger, durable when opened from a directory.
#[derive(Debug)]
pub struct Node {
    ledger: Ledger,
    journal: Option<Journal>,
}

impl Deref for Node {
    type Target = Ledger;

    fn deref(&self) -> &Ledger {
        &self.ledger
    }
}

impl Node {
    /// A ledger kept only in memory.
    pub fn in_memory(ledger: Ledger) -> Self {
        Self {
            ledger,
            journal: None,
        }
    }

    /// The ledger in `dir`: replayed from its journal, or created with `allocations` when the
    /// directory holds none (the allocations are ignored for an existing ledger).
    pub fn open(
        dir: &Path,
        allocations: &[(Address, u64)],
        options: JournalOptions,
    ) -> Result<Self, OpenError> {
        let (journal, recovery) = Journal::open(dir, options)?;
        if let Some(reason) = &recovery.truncation_reason {
            tracing::warn!(
                bytes = recovery.truncated_bytes,
                %reason,
                "cut an unacknowledged torn write off the ledger journal"
            );
        }
        if recovery.records == 0 {
            let genesis = Record::Genesis {
                allocations: allocations.to_vec(),
                timestamp_ms: now_ms(),
            };
            let payload =
                encode(&genesis).map_err(|reason| OpenError::Corrupt { seq: 1, reason })?;
            journal.append_blocking(payload)?;
        }
        let mut ledger = None;
        let mut next = 1;
        loop {
            let batch = journal.read_from(next, 1024)?;
            if batch.is_empty() {
                break;
            }
            for (seq, payload) in batch {
                next = seq + 1;
                let corrupt = |reason: String| OpenError::Corrupt { seq, reason };
                let record: Record = bcs::from_bytes(&payload)
                    .map_err(|e| corrupt(format!("does not decode: {e}")))?;
                match (record, ledger.as_mut()) {
                    (
                        Record::Genesis {
                            allocations,
                            timestamp_ms,
                        },
                        None,
                    ) => ledger = Some(Ledger::genesis_at(&allocations, timestamp_ms)),
                    (
                        Record::Transaction {
                            transaction,
                            signatures,
                            timestamp_ms,
                        },
                        Some(ledger),
                    ) => {
                        ledger
                            .execute_at(*transaction, signatures, timestamp_ms)
                            .map_err(|e| corrupt(format!("does not replay: {e}")))?;
                    }
                    (Record::Genesis { .. }, Some(_)) => {
                        return Err(corrupt("a second genesis".into()));
                    }
                    (Record::Transaction { .. }, None) => {
                        return Err(corrupt("a transaction before the genesis".into()));
                    }
                }
            }
        }
        let ledger = ledger.ok_or(OpenError::Corrupt {
            seq: 1,
            reason: "no genesis".into(),
        })?;
        Ok(Self {
            ledger,
            journal: Some(journal),
        })
    }

    /// Checks `transaction`, records it durably, then executes it (answers the effects of a
    /// transaction executed before without recording anything).
    pub fn execute(
        &mut self,
        transaction: Transaction,
        signatures: Vec<UserSignature>,
    ) -> Result<&Executed, ExecuteError> {
        let timestamp_ms = now_ms().max(self.ledger.latest_checkpoint().summary.timestamp_ms);
        if self.ledger.transaction(&transaction.digest()).is_none() {
            self.ledger.check_signed(&transaction, &signatures)?;
            if let Some(journal) = &self.journal {
                let payload = encode(&Record::Transaction {
                    transaction: Box::new(transaction.clone()),
                    signatures: signatures.clone(),
                    timestamp_ms,
                })
                .map_err(ExecuteError::Encode)?;
                journal.append_blocking(payload)?;
            }
        }
        Ok(self
            .ledger
            .execute_at(transaction, signatures, timestamp_ms)?)
    }
}

fn encode(record: &Record) -> Result<Vec<u8>, String> {
    bcs::to_bytes(record).map_err(|e| e.to_string())
}
