//! One request's view of the index: a REPEATABLE READ, READ ONLY PostgreSQL transaction opened
//! on first use, and the indexer's watermark read inside it. Every query of the request (root
//! fields, nested fields, DataLoaders) runs in that transaction, so the response is one
//! consistent snapshot, served at [`Watermark`]. The indexer writes its rows and the watermark
//! in one transaction, so the snapshot holds exactly the effects of the transactions up to
//! `Watermark::cursor`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{PgPool, Postgres, Transaction};
use tokio::sync::{Mutex, OnceCell};

/// The pipeline name whose watermark the API serves at (the indexer's default).
pub const DEFAULT_PIPELINE: &str = "walrus";

/// Database errors, as the API reports them.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DbError {
    /// A query failed.
    #[error("database: {0}")]
    Query(Arc<sqlx::Error>),
    /// The index has no watermark row yet (the indexer never ran on this database).
    #[error("the index is empty: no watermark for pipeline {0:?} (is the indexer running?)")]
    NoWatermark(String),
    /// A stored value is not what the schema promises.
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        Self::Query(Arc::new(e))
    }
}

/// The point of the transaction stream a response is served at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermark {
    /// The last transaction whose effects are in the snapshot (inclusive).
    pub cursor: i64,
    /// The Walrus epoch after that transaction.
    pub epoch: i32,
    /// Ledger time of that transaction (ms since the Unix epoch).
    pub timestamp_ms: i64,
}

/// One request's snapshot (see the module documentation).
pub struct Snapshot {
    pool: PgPool,
    pipeline: String,
    statement_timeout_ms: i64,
    tx: Mutex<Option<Transaction<'static, Postgres>>>,
    watermark: OnceCell<Watermark>,
    queries: AtomicUsize,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("pipeline", &self.pipeline)
            .field("watermark", &self.watermark.get())
            .field("queries", &self.queries.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// A snapshot over `pool`; nothing is opened until the first query. Each statement is
    /// limited to `statement_timeout` (PostgreSQL `statement_timeout`, set for the transaction).
    pub fn new(
        pool: PgPool,
        pipeline: impl Into<String>,
        statement_timeout: std::time::Duration,
    ) -> Self {
        Self {
            pool,
            pipeline: pipeline.into(),
            statement_timeout_ms: i64::try_from(statement_timeout.as_millis())
                .unwrap_or(i64::MAX)
                .max(1),
            tx: Mutex::new(None),
            watermark: OnceCell::new(),
            queries: AtomicUsize::new(0),
        }
    }

    /// Statements sent to the database so far (transaction control included).
    pub fn query_count(&self) -> usize {
        self.queries.load(Ordering::Relaxed)
    }

    /// The watermark if the snapshot was opened.
    pub fn opened_at(&self) -> Option<Watermark> {
        self.watermark.get().copied()
    }

    /// The watermark the snapshot reads at (opening it if needed).
    pub async fn watermark(&self) -> Result<Watermark, DbError> {
        let mut guard = self.tx.lock().await;
        self.ensure_open(&mut guard).await?;
        self.watermark
            .get()
            .copied()
            .ok_or_else(|| DbError::NoWatermark(self.pipeline.clone()))
    }

    async fn ensure_open(
        &self,
        guard: &mut Option<Transaction<'static, Postgres>>,
    ) -> Result<(), DbError> {
        if guard.is_some() {
            return Ok(());
        }
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        self.queries.fetch_add(1, Ordering::Relaxed);
        // The statement timeout is set in the same round trip (`set_config(..., true)` lasts
        // until the end of the transaction).
        let row: Option<(i64, i32, i64, String)> = sqlx::query_as(
            "SELECT cursor_hi, epoch_hi, timestamp_ms_hi, set_config('statement_timeout', $2, true) \
             FROM watermarks WHERE pipeline = $1",
        )
        .bind(&self.pipeline)
        .bind(self.statement_timeout_ms.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        self.queries.fetch_add(1, Ordering::Relaxed);
        let (cursor, epoch, timestamp_ms, _) =
            row.ok_or_else(|| DbError::NoWatermark(self.pipeline.clone()))?;
        let _ = self.watermark.set(Watermark {
            cursor,
            epoch,
            timestamp_ms,
        });
        *guard = Some(tx);
        Ok(())
    }

    /// Runs `query` in the snapshot; all rows.
    pub async fn fetch_all<'q>(
        &self,
        query: sqlx::query::Query<'q, Postgres, PgArguments>,
    ) -> Result<Vec<PgRow>, DbError> {
        let mut guard = self.tx.lock().await;
        self.ensure_open(&mut guard).await?;
        let tx = guard
            .as_mut()
            .ok_or_else(|| DbError::Corrupt("snapshot not open".into()))?;
        self.queries.fetch_add(1, Ordering::Relaxed);
        Ok(query.fetch_all(&mut **tx).await?)
    }

    /// Runs `query` in the snapshot; the first row, if any.
    pub async fn fetch_optional<'q>(
        &self,
        query: sqlx::query::Query<'q, Postgres, PgArguments>,
    ) -> Result<Option<PgRow>, DbError> {
        let mut guard = self.tx.lock().await;
        self.ensure_open(&mut guard).await?;
        let tx = guard
            .as_mut()
            .ok_or_else(|| DbError::Corrupt("snapshot not open".into()))?;
        self.queries.fetch_add(1, Ordering::Relaxed);
        Ok(query.fetch_optional(&mut **tx).await?)
    }

    /// Ends the snapshot (rolls the read-only transaction back, returning the connection).
    pub async fn close(&self) {
        if let Some(tx) = self.tx.lock().await.take() {
            let _ = tx.rollback().await;
        }
    }
}
