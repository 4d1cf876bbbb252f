//! The control-plane interface: what storage nodes, the client and the indexer may ask of the
//! chain. Callers depend on these traits, never on a backend; the devnet ledger (in process or
//! over HTTP) implements them today, and a backend over a Sui network fits the same traits
//! (checkpoints map to the transaction stream, `sui-rpc` reads to the object reads).
//!
//! - [`TransactionSource`]: the ordered stream of executed transactions with their events and
//!   object changes. Reading after a cursor never skips or repeats a transaction, across restarts.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::devnet::client::{ClientError, DevnetClient};
use crate::devnet::ledger::{Ledger, LedgerError, Machine};
use crate::types::{Cursor, ExecutionFailure, TransactionRecord};

/// Errors of the control-plane interface.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The backend could not be reached or answered garbage; retrying may help.
    #[error("control plane unavailable: {0}")]
    Unavailable(String),
    /// The request was refused before execution (bad signature, replayed nonce, bad input).
    #[error("control plane refused the request: {0}")]
    Refused(String),
    /// The transaction executed and aborted, as Move would.
    #[error("transaction aborted: {0}")]
    Aborted(ExecutionFailure),
    /// A reader asked for a cursor the backend has not reached.
    #[error("cursor {cursor} is ahead of the chain head {head}")]
    CursorFromFuture {
        /// Requested cursor.
        cursor: Cursor,
        /// Current head.
        head: Cursor,
    },
    /// An object was missing or of an unexpected type.
    #[error("object error: {0}")]
    Object(String),
}

impl From<ClientError> for ChainError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Api {
                status, message, ..
            } if (400..500).contains(&status) => Self::Refused(message),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

impl From<LedgerError> for ChainError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::CursorFromFuture { cursor, head } => {
                Self::CursorFromFuture { cursor, head }
            }
            other => Self::Unavailable(other.to_string()),
        }
    }
}

/// The ordered stream of executed transactions.
pub trait TransactionSource: Send + Sync {
    /// Up to `limit` transactions after `after`, in order. When none is available yet, waits up to
    /// `wait` for the first one; returns an empty page when the wait ends without one.
    fn read_transactions(
        &self,
        after: Cursor,
        limit: usize,
        wait: Duration,
    ) -> impl Future<Output = Result<Vec<TransactionRecord>, ChainError>> + Send;

    /// The newest cursor a reader can reach.
    fn head(&self) -> impl Future<Output = Result<Cursor, ChainError>> + Send;
}

impl TransactionSource for DevnetClient {
    async fn read_transactions(
        &self,
        after: Cursor,
        limit: usize,
        wait: Duration,
    ) -> Result<Vec<TransactionRecord>, ChainError> {
        Ok(self.read_records(after, limit, wait).await?)
    }

    async fn head(&self) -> Result<Cursor, ChainError> {
        Ok(DevnetClient::head(self).await?.cursor)
    }
}

impl<M: Machine> TransactionSource for Arc<Ledger<M>> {
    async fn read_transactions(
        &self,
        after: Cursor,
        limit: usize,
        wait: Duration,
    ) -> Result<Vec<TransactionRecord>, ChainError> {
        let mut changes = self.subscribe();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let records = self.read_records(after, limit)?;
            if !records.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(records);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return Ok(records),
            }
        }
    }

    async fn head(&self) -> Result<Cursor, ChainError> {
        Ok(Ledger::head(self))
    }
}
