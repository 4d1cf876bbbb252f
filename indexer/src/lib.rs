//! walrus-indexer: the chain's transaction stream (events and object changes) into PostgreSQL,
//! exactly once. Run it as `walrus indexer --database-url postgres://… --chain-url http://…`, or
//! embed it with [`Indexer`] over any [`TransactionSource`].
//!
//! # Pipeline ([`pipeline`])
//!
//! fetch (pages from the source after the watermark) → decode (BCS and JSON, in parallel on
//! blocking threads, results kept in stream order) → build (sequential: applies each transaction
//! to the in-memory state and merges rows, [`build`]) → two committers working at the same time
//! on two connections: the append pipeline writes each batch's transactions and events
//! ([`store::commit_append`]), the state pipeline everything else ([`store::write_state`]), each
//! in one PostgreSQL transaction per batch with its own watermark. The stages are connected by
//! bounded channels, so a slow database slows everything down instead of filling memory. A batch ends when it holds
//! [`IndexerConfig::max_batch_transactions`] transactions or [`IndexerConfig::max_batch_rows`]
//! rows, right after a transaction that starts an epoch, or when no more input arrives within
//! [`IndexerConfig::batch_linger`] (the live tail).
//!
//! Only the source adapter knows the backend: the indexer reads [`TransactionRecord`]s and
//! interprets Move types by module and name (`blob::Blob`, `events::BlobCertified`,
//! `dynamic_field::Field<u64, staking_inner::StakingInnerV1>`, ...), as they appear on Sui.
//!
//! # Exactly once
//!
//! Two watermark rows per pipeline name `p`: `p` (the state pipeline: every table but
//! `transactions` and `events`) and `p:append` (the append pipeline: `transactions`, `events`).
//!
//! - Each pipeline writes a batch's rows AND its new watermark in ONE database transaction:
//!   after a crash at any moment the database holds either all of a batch's rows of that
//!   pipeline or none of them.
//! - The state pipeline commits a batch only after the append pipeline committed it, so the
//!   append watermark is never behind the state watermark. Readers use the state watermark `p`
//!   (the minimum of the two): every table holds exactly the effects of the transactions up to
//!   it, and `transactions` and `events` may also hold rows of the next few batches, which a
//!   reader filters out with `cursor <= cursor_hi` (GraphQL does).
//! - Each watermark update is its transaction's first statement and a compare-and-set (`WHERE
//!   cursor_hi = <what this writer last committed>`): a writer whose view is stale fails before
//!   writing anything, and the row lock it takes makes a concurrent writer wait, then fail.
//! - On start the indexer reads both watermarks (`s <= a`) and asks the source for the
//!   transactions after `s`; the append pipeline drops the rows at or below `a`, which it
//!   committed before. The source never skips or repeats a cursor, and the indexer checks that
//!   the cursors it receives are contiguous. It also checks that the digest it stored for `s` is
//!   the source's digest at `s` (the same chain).
//! - The in-memory state the builder needs (pools, rates, latest System and staking states,
//!   recent epochs, invalid blob ids) is persisted in the same transactions and reloaded on
//!   start, and rows do not depend on batch boundaries ([`build`]), so a restarted indexer ends
//!   with exactly the rows of an uninterrupted one (the integration tests compare full dumps).
//! - Append-only rows (transactions, events) are written with `COPY`: a second copy of a
//!   cursor would fail the batch on the primary key instead of passing silently.
//!
//! # Two indexers on one database
//!
//! The writer takes a session-level PostgreSQL advisory lock (`pg_try_advisory_lock`, key
//! [`store::lock_key`] of the pipeline name) on a dedicated connection before anything else.
//! A second indexer on the same database waits for it ([`LockMode::Wait`], logging once) or
//! exits with [`IndexerError::Locked`] ([`LockMode::Exit`]). If the database restarts, the
//! lock's connection dies with it; the writer takes the lock again before its next commit, and
//! stops with [`IndexerError::LockLost`] if another indexer took it meanwhile. Even without the
//! lock the watermark compare-and-set keeps two writers from both committing the same batch.
//!
//! # Bad input (documented rules; never a silent gap)
//!
//! - An event of a known type whose BCS does not decode: stored raw in `events` with
//!   `decode_status = 'decode_failed'` and the error, counted
//!   (`walrus_indexer_event_decode_failures_total`), logged at WARN. It has no other effect.
//! - An event of an unknown type: stored raw with `decode_status = 'unknown_type'`, counted
//!   (`walrus_indexer_unknown_events_total`), logged at WARN the first time per type.
//! - An object change of an indexed type whose contents do not decode: stored raw in
//!   `object_decode_failures`, counted, logged at WARN.
//! - The source unreachable or failing: retried with exponential backoff, forever.
//! - The database unreachable, restarting, or a serialization failure: the batch's transaction
//!   rolls back; the same batch is retried with exponential backoff (100 ms doubling to 10 s by
//!   default), forever; nothing is skipped. Any other database error stops the indexer with
//!   the error (a supervisor restarts it at the watermark).
//! - A gap or a foreign chain (cursors not contiguous, digest mismatch, watermark ahead of the
//!   source): the indexer stops with an error naming the cursor.

pub mod build;
pub mod decode;
pub mod derive;
pub mod metrics;
pub mod movetype;
pub mod pipeline;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use walrus_chain::api::TransactionSource;
use walrus_chain::devnet::client::DevnetClient;
pub use walrus_chain::types::TransactionRecord;

pub use metrics::Metrics;
pub use store::{CommitHook, CommitPoint, FaultAction, StoreError};

/// What a second indexer does when another one holds the writer lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Wait (polling every [`IndexerConfig::lock_poll`]) until the lock is free.
    Wait,
    /// Exit with [`IndexerError::Locked`].
    Exit,
}

/// Indexer settings. Every field has a default ([`IndexerConfig::new`]).
#[derive(Debug, Clone)]
pub struct IndexerConfig {
    /// PostgreSQL URL (required).
    pub database_url: String,
    /// Pipeline name: the watermark row and the lock key (default `walrus`).
    pub pipeline: String,
    /// Address for `/metrics` and `/health` (default none).
    pub metrics_address: Option<SocketAddr>,
    /// Transactions per read from the source (default 1_000).
    pub fetch_page: usize,
    /// How long a read waits for new transactions at the head (default 1 s).
    pub fetch_wait: Duration,
    /// Pages decoded in parallel (default: the number of CPUs).
    pub decode_workers: usize,
    /// Fetched pages buffered ahead of decoding (default 4).
    pub channel_capacity: usize,
    /// Largest batch in transactions (default 20_000; larger batches amortize each commit's
    /// fixed costs during a backfill, and the live tail commits as soon as input pauses).
    pub max_batch_transactions: usize,
    /// Largest batch in rows, roughly (default 200_000).
    pub max_batch_rows: usize,
    /// How long the builder waits for more input before committing a partial batch
    /// (default 5 ms), near the head of the stream.
    pub batch_linger: Duration,
    /// The same wait while more than a full batch of transactions is known to be ahead of the
    /// builder (a backfill; default 250 ms): a decoder that falls behind for a moment then
    /// does not end the batch early, so a backfill commits full batches.
    pub backfill_linger: Duration,
    /// Behaviour when another indexer holds the lock (default [`LockMode::Wait`]).
    pub lock: LockMode,
    /// Poll interval while waiting for the lock (default 2 s).
    pub lock_poll: Duration,
    /// First retry delay after a failure (default 100 ms).
    pub retry_initial: Duration,
    /// Largest retry delay (default 10 s).
    pub retry_max: Duration,
    /// Database connections (default 4).
    pub max_connections: u32,
    /// Stop once this cursor is committed (default: never; for tools and tests).
    pub stop_at: Option<u64>,
}

impl IndexerConfig {
    /// The defaults, with `database_url`.
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            pipeline: "walrus".into(),
            metrics_address: None,
            fetch_page: 1_000,
            fetch_wait: Duration::from_secs(1),
            decode_workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            channel_capacity: 4,
            max_batch_transactions: 20_000,
            max_batch_rows: 200_000,
            batch_linger: Duration::from_millis(5),
            backfill_linger: Duration::from_millis(250),
            lock: LockMode::Wait,
            lock_poll: Duration::from_secs(2),
            retry_initial: Duration::from_millis(100),
            retry_max: Duration::from_secs(10),
            max_connections: 4,
            stop_at: None,
        }
    }
}

/// Why the indexer stopped.
#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    /// A database error that retrying does not fix.
    #[error(transparent)]
    Store(StoreError),
    /// Another indexer holds the writer lock ([`LockMode::Exit`]).
    #[error(
        "another indexer holds the writer lock of pipeline {0:?} on this database \
         (PostgreSQL advisory lock); stop it or use another database or pipeline name"
    )]
    Locked(String),
    /// The lock was lost (database restart) and another indexer took it.
    #[error("lost the writer lock of pipeline {0:?} and another indexer took it; stopping")]
    LockLost(String),
    /// The source skipped a cursor.
    #[error("the source skipped from cursor {expected} to {got}")]
    Gap {
        /// The cursor expected.
        expected: u64,
        /// The cursor received.
        got: u64,
    },
    /// The database has indexed further than the source goes.
    #[error(
        "the database was indexed up to cursor {cursor} but the source is at {head}: \
         a different or reset chain; use a fresh database"
    )]
    AheadOfSource {
        /// The watermark.
        cursor: u64,
        /// The source head.
        head: u64,
    },
    /// The database holds another chain's transactions.
    #[error(
        "the transaction at cursor {cursor} in the database is not the source's (different \
         digest): this database indexes another chain; use a fresh database"
    )]
    ForeignChain {
        /// The cursor compared.
        cursor: u64,
    },
    /// The source failed while checking the start position.
    #[error("source: {0}")]
    Source(String),
    /// A task failed.
    #[error("indexer task failed: {0}")]
    Task(String),
    /// The metrics server could not start.
    #[error("metrics server on {address}: {error}")]
    Metrics {
        /// The address.
        address: SocketAddr,
        /// Why.
        error: std::io::Error,
    },
}

/// An indexer over one source.
pub struct Indexer<S> {
    source: Arc<S>,
    config: IndexerConfig,
    metrics: Arc<Metrics>,
    hook: Option<CommitHook>,
    watermark: watch::Sender<u64>,
}

impl<S> std::fmt::Debug for Indexer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S: TransactionSource + 'static> Indexer<S> {
    /// An indexer reading `source` into the database of `config`.
    pub fn new(source: S, config: IndexerConfig) -> Self {
        Self {
            source: Arc::new(source),
            config,
            metrics: Arc::new(Metrics::default()),
            hook: None,
            watermark: watch::channel(0).0,
        }
    }

    /// For tests: `hook` is called before every statement of every commit and may fail the
    /// attempt or hang it (see [`FaultAction`]).
    pub fn with_commit_hook(mut self, hook: CommitHook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// The metrics (live while it runs).
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// A receiver of the committed watermark.
    pub fn watermark(&self) -> watch::Receiver<u64> {
        self.watermark.subscribe()
    }

    /// Runs until a failure or until [`IndexerConfig::stop_at`] is committed; returns the
    /// watermark. Dropping the future stops every task (an uncommitted batch is rolled back).
    pub async fn run(self) -> Result<u64, IndexerError> {
        let config = self.config.clone();
        let pool = store::pool(&config.database_url, config.max_connections)?;
        let mut backoff = pipeline::Backoff::new(config.retry_initial, config.retry_max);
        loop {
            match store::migrate(&pool).await {
                Ok(()) => break,
                Err(e) if e.is_transient() => {
                    let delay = backoff.delay();
                    tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "database unreachable; retrying the migrations");
                    tokio::time::sleep(delay).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let lock = pipeline::acquire(&config).await?;
        let state = store::load_state(&pool, &config.pipeline).await?;
        let append_watermark = store::load_append_watermark(&pool, &config.pipeline).await?;
        tracing::info!(
            pipeline = %config.pipeline,
            watermark = state.cursor,
            append_watermark,
            epoch = state.epoch,
            "indexer starting after the watermark"
        );
        if state.cursor > 0 {
            self.check_same_chain(&pool, state.cursor).await?;
        }
        self.metrics.watermark.set(state.cursor);
        self.metrics.epoch.set(u64::from(state.epoch));
        self.metrics.watermark_timestamp_ms.set(state.timestamp_ms);
        if config.stop_at.is_some_and(|stop| state.cursor >= stop) {
            lock.release().await;
            pool.close().await;
            return Ok(state.cursor);
        }
        let server = match config.metrics_address {
            Some(address) => Some(serve_metrics(address, self.metrics.clone()).await?),
            None => None,
        };
        let result = pipeline::run_pipeline(
            self.source.clone(),
            pool.clone(),
            lock,
            state,
            append_watermark,
            config,
            self.metrics.clone(),
            self.hook.clone(),
            self.watermark.clone(),
        )
        .await;
        if let Some(server) = server {
            server.abort();
        }
        pool.close().await;
        result
    }

    async fn check_same_chain(&self, pool: &sqlx::PgPool, cursor: u64) -> Result<(), IndexerError> {
        let head = self
            .source
            .head()
            .await
            .map_err(|e| IndexerError::Source(e.to_string()))?;
        if head < cursor {
            return Err(IndexerError::AheadOfSource { cursor, head });
        }
        let records = self
            .source
            .read_transactions(cursor - 1, 1, Duration::ZERO)
            .await
            .map_err(|e| IndexerError::Source(e.to_string()))?;
        let stored = store::digest_at(pool, cursor).await?;
        match (records.first(), stored) {
            (Some(r), Some(d))
                if r.cursor == cursor && r.digest.inner().as_slice() == d.as_slice() =>
            {
                Ok(())
            }
            _ => Err(IndexerError::ForeignChain { cursor }),
        }
    }
}

/// Serves `/metrics` (Prometheus text) and `/health` on `address`.
async fn serve_metrics(
    address: SocketAddr,
    metrics: Arc<Metrics>,
) -> Result<tokio::task::JoinHandle<()>, IndexerError> {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|error| IndexerError::Metrics { address, error })?;
    let m = metrics.clone();
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(move || {
                let m = m.clone();
                async move {
                    (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "text/plain; version=0.0.4",
                        )],
                        m.render(),
                    )
                }
            }),
        )
        .route(
            "/health",
            get(move || {
                let m = metrics.clone();
                async move { format!("ok watermark={}\n", m.watermark.get()) }
            }),
        );
    tracing::info!(%address, "metrics at /metrics");
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "metrics server stopped");
        }
    }))
}

/// Runs the indexer against a devnet over HTTP (`chain_url`) until `shutdown` resolves or it
/// fails: what `walrus indexer` does. Stopping drops an uncommitted batch, which the next run
/// redoes from the watermark.
pub async fn run(
    config: IndexerConfig,
    chain_url: &str,
    shutdown: impl Future<Output = ()>,
) -> Result<(), IndexerError> {
    let indexer = Indexer::new(DevnetClient::new(chain_url), config);
    tokio::select! {
        result = indexer.run() => result.map(|_| ()),
        () = shutdown => {
            tracing::info!("stopping (an uncommitted batch is rolled back and redone on restart)");
            Ok(())
        }
    }
}
