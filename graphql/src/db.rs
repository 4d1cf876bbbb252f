//! One request's view of the index: every statement of a request reads one snapshot, served at
//! [`Watermark`] (the indexer's watermark, read in that snapshot). The indexer writes its rows
//! and the watermark in one transaction, so the snapshot holds exactly the effects of the
//! transactions up to `Watermark::cursor`.
//!
//! How, in as few round trips as the request allows:
//! - The request's first statement runs on its own, with the watermark read in the same
//!   statement ([`with_watermark`]): a single PostgreSQL statement is one consistent snapshot.
//!   A request that needs one statement (a blob by id, a pool, an object) costs one round trip.
//! - A second statement opens a `REPEATABLE READ, READ ONLY` transaction and reads the watermark
//!   in it. When it equals the first statement's, both snapshots hold the same indexer commits
//!   and the request goes on in the transaction. When the indexer committed in between, the
//!   snapshot reports [`DbError::Moved`] and [`Snapshot::moved`]; the server then runs the
//!   request again in a snapshot that opens the transaction first
//!   ([`Snapshot::transaction_first`]), so no response mixes two watermarks.
//! - [`Snapshot::watermark`] on a fresh snapshot opens the transaction (a caller that needs the
//!   watermark first, a listing, reads afterwards).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::{Execute as _, PgPool, Postgres, Row as _, Transaction};
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
    /// The indexer committed between the request's first statement and its transaction: the
    /// request must run again (the server does so by itself).
    #[error("the index moved from watermark {first} to {now} during the request; retry it")]
    Moved {
        /// The watermark of the first statement.
        first: i64,
        /// The watermark of the transaction.
        now: i64,
    },
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
    /// Ledger time of that transaction (ms).
    pub timestamp_ms: i64,
}

/// `sql` (a statement with parameters `$1..$n`) as one statement that also reads the
/// watermark of the pipeline bound as `$<pipeline_param>`, in the same snapshot. Every row
/// carries `__w_cursor`, `__w_epoch`, `__w_timestamp_ms` and `__n` (the row's position in the
/// statement's own order); when the statement returns no rows, one row with `__n` null still
/// carries the watermark; when the pipeline has no watermark, there are no rows. The statement's
/// order is kept: `row_number() OVER ()` numbers its rows as they come, and the result is
/// ordered by that number.
pub fn with_watermark(sql: &str, pipeline_param: usize) -> String {
    format!(
        "SELECT __w.cursor_hi AS __w_cursor, __w.epoch_hi AS __w_epoch, \
         __w.timestamp_ms_hi AS __w_timestamp_ms, __q.* \
         FROM watermarks AS __w LEFT JOIN LATERAL \
         (SELECT row_number() OVER () AS __n, __i.* FROM ({sql}) AS __i) AS __q ON TRUE \
         WHERE __w.pipeline = ${pipeline_param} ORDER BY __q.__n"
    )
}

/// One request's snapshot (see the module documentation).
pub struct Snapshot {
    pool: PgPool,
    pipeline: String,
    statement_timeout_ms: i64,
    /// Open the transaction before the first statement (no single-statement fast path).
    transaction_first: bool,
    tx: Mutex<Option<Transaction<'static, Postgres>>>,
    watermark: OnceCell<Watermark>,
    queries: AtomicUsize,
    moved: AtomicBool,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("pipeline", &self.pipeline)
            .field("watermark", &self.watermark.get())
            .field("queries", &self.queries.load(Ordering::Relaxed))
            .field("transaction_first", &self.transaction_first)
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// A snapshot over `pool`; nothing is opened until the first query. Statements in the
    /// transaction are limited to `statement_timeout` (PostgreSQL `statement_timeout`, set for
    /// the transaction); the first statement, run on its own, has the pool's own setting
    /// (`walrus graphql` sets the same limit on its connections).
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
            transaction_first: false,
            tx: Mutex::new(None),
            watermark: OnceCell::new(),
            queries: AtomicUsize::new(0),
            moved: AtomicBool::new(false),
        }
    }

    /// The same snapshot, but opening the transaction before the first statement (for a
    /// request run again after [`DbError::Moved`]: it cannot move twice).
    pub fn transaction_first(mut self) -> Self {
        self.transaction_first = true;
        self
    }

    /// Statements sent to the database so far (transaction control included).
    pub fn query_count(&self) -> usize {
        self.queries.load(Ordering::Relaxed)
    }

    /// The watermark if the snapshot was opened.
    pub fn opened_at(&self) -> Option<Watermark> {
        self.watermark.get().copied()
    }

    /// Whether the index moved between the first statement and the transaction (the request's
    /// results are not from one snapshot and must be discarded).
    pub fn moved(&self) -> bool {
        self.moved.load(Ordering::Relaxed)
    }

    /// The watermark the snapshot reads at (opening the transaction if nothing was read yet).
    pub async fn watermark(&self) -> Result<Watermark, DbError> {
        if let Some(w) = self.watermark.get() {
            return Ok(*w);
        }
        let mut guard = self.tx.lock().await;
        // A first statement may have read it while this waited for the lock.
        if let Some(w) = self.watermark.get() {
            return Ok(*w);
        }
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
        if self.moved() {
            return Err(self.moved_error());
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
        let now = Watermark {
            cursor,
            epoch,
            timestamp_ms,
        };
        if let Some(first) = self.watermark.get()
            && *first != now
        {
            self.moved.store(true, Ordering::Relaxed);
            // The transaction is dropped here: sqlx rolls it back.
            return Err(DbError::Moved {
                first: first.cursor,
                now: now.cursor,
            });
        }
        let _ = self.watermark.set(now);
        *guard = Some(tx);
        Ok(())
    }

    fn moved_error(&self) -> DbError {
        let first = self.watermark.get().map_or(0, |w| w.cursor);
        DbError::Moved { first, now: first }
    }

    /// The request's first statement, on its own with the watermark ([`with_watermark`]).
    async fn first_statement<'q>(
        &self,
        mut query: sqlx::query::Query<'q, Postgres, PgArguments>,
    ) -> Result<Vec<PgRow>, DbError> {
        let mut arguments = query
            .take_arguments()
            .map_err(sqlx::Error::Encode)?
            .unwrap_or_default();
        sqlx::Arguments::add(&mut arguments, self.pipeline.as_str())
            .map_err(sqlx::Error::Encode)?;
        let sql = with_watermark(query.sql().as_str(), sqlx::Arguments::len(&arguments));
        self.queries.fetch_add(1, Ordering::Relaxed);
        let rows = sqlx::query_with(sqlx::AssertSqlSafe(sql), arguments)
            .fetch_all(&self.pool)
            .await?;
        let first = rows
            .first()
            .ok_or_else(|| DbError::NoWatermark(self.pipeline.clone()))?;
        let w = Watermark {
            cursor: first.try_get("__w_cursor")?,
            epoch: first.try_get("__w_epoch")?,
            timestamp_ms: first.try_get("__w_timestamp_ms")?,
        };
        let _ = self.watermark.set(w);
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if row.try_get::<Option<i64>, _>("__n")?.is_some() {
                out.push(row);
            }
        }
        Ok(out)
    }

    /// Runs `query` in the snapshot; all rows.
    pub async fn fetch_all<'q>(
        &self,
        query: sqlx::query::Query<'q, Postgres, PgArguments>,
    ) -> Result<Vec<PgRow>, DbError> {
        let mut guard = self.tx.lock().await;
        if guard.is_none() && !self.transaction_first && self.watermark.get().is_none() {
            return self.first_statement(query).await;
        }
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
        Ok(self.fetch_all(query).await?.into_iter().next())
    }

    /// Ends the snapshot (rolls the read-only transaction back, returning the connection).
    pub async fn close(&self) {
        if let Some(tx) = self.tx.lock().await.take() {
            let _ = tx.rollback().await;
        }
    }
}
