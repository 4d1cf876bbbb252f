//! The running indexer: fetch → decode (parallel) → build (sequential) → commit, connected by
//! bounded channels.
//!
//! ```text
//!  source ──pages──▶ decode dispatcher ──ordered JoinHandles──▶ builder ──Batch──▶ committer ──▶ PostgreSQL
//!          (cap N)      spawn_blocking per page   (cap = workers)          (cap 1)
//! ```
//!
//! Back-pressure: every channel is bounded, so a slow database stalls the builder, which stalls
//! decoding, which stalls fetching; memory stays bounded by the capacities.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use walrus_chain::api::{ChainError, TransactionSource};
use walrus_chain::types::TransactionRecord;

use crate::build::{Batch, Builder, IndexState};
use crate::decode::{DecodedTx, decode};
use crate::metrics::Metrics;
use crate::store::{self, CommitHook, StoreError, WriterLock};
use crate::{IndexerConfig, IndexerError, LockMode};

/// Exponential backoff from `initial` to `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    initial: Duration,
    max: Duration,
}

impl Backoff {
    /// A backoff starting at `initial`, doubling up to `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            next: initial,
            initial,
            max,
        }
    }

    /// The next delay.
    pub fn delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    /// Back to the initial delay.
    pub fn reset(&mut self) {
        self.next = self.initial;
    }
}

/// Reads pages after `after` forever, checking that cursors are contiguous.
async fn fetch<S: TransactionSource>(
    source: Arc<S>,
    mut after: u64,
    config: IndexerConfig,
    metrics: Arc<Metrics>,
    pages: mpsc::Sender<Vec<TransactionRecord>>,
) -> Result<(), IndexerError> {
    let mut backoff = Backoff::new(config.retry_initial, config.retry_max);
    let mut last_head_check = tokio::time::Instant::now() - Duration::from_secs(10);
    loop {
        if last_head_check.elapsed() >= Duration::from_millis(500) {
            if let Ok(head) = source.head().await {
                metrics.chain_head.set(head.max(metrics.chain_head.get()));
            }
            last_head_check = tokio::time::Instant::now();
        }
        if config.stop_at.is_some_and(|stop| after >= stop) {
            // Everything up to the stop cursor is fetched; keep the channel open.
            std::future::pending::<()>().await;
        }
        let limit = match config.stop_at {
            Some(stop) => config
                .fetch_page
                .min(usize::try_from(stop - after).unwrap_or(usize::MAX)),
            None => config.fetch_page,
        };
        match source
            .read_transactions(after, limit, config.fetch_wait)
            .await
        {
            Ok(records) => {
                backoff.reset();
                if records.is_empty() {
                    continue;
                }
                for (i, r) in records.iter().enumerate() {
                    if r.cursor != after + 1 + i as u64 {
                        return Err(IndexerError::Gap {
                            expected: after + 1 + i as u64,
                            got: r.cursor,
                        });
                    }
                }
                after += records.len() as u64;
                if metrics.chain_head.get() < after {
                    metrics.chain_head.set(after);
                }
                if pages.send(records).await.is_err() {
                    return Ok(());
                }
            }
            Err(ChainError::CursorFromFuture { cursor, head }) => {
                return Err(IndexerError::AheadOfSource { cursor, head });
            }
            Err(e) => {
                metrics.source_retries.inc();
                let delay = backoff.delay();
                tracing::warn!(error = %e, after, retry_in_ms = delay.as_millis() as u64, "reading the transaction stream failed; retrying");
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// Decodes pages on blocking threads, passing the handles on in order.
async fn dispatch(
    mut pages: mpsc::Receiver<Vec<TransactionRecord>>,
    decoded: mpsc::Sender<JoinHandle<Vec<DecodedTx>>>,
) -> Result<(), IndexerError> {
    while let Some(page) = pages.recv().await {
        let handle = tokio::task::spawn_blocking(move || page.into_iter().map(decode).collect());
        if decoded.send(handle).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// Groups decoded transactions into batches (see `IndexerConfig` for the limits) and builds
/// them in order.
async fn build(
    mut decoded: mpsc::Receiver<JoinHandle<Vec<DecodedTx>>>,
    mut builder: Builder,
    config: IndexerConfig,
    metrics: Arc<Metrics>,
    batches: mpsc::Sender<Batch>,
) -> Result<(), IndexerError> {
    let mut pending: Vec<DecodedTx> = Vec::new();
    let mut rows = 0usize;
    let mut queue: std::collections::VecDeque<DecodedTx> = std::collections::VecDeque::new();
    loop {
        // Refill from the next decoded page; when nothing more is ready within the linger,
        // flush what we have (live tail: low latency).
        if queue.is_empty() {
            let next = if pending.is_empty() {
                decoded.recv().await
            } else {
                match tokio::time::timeout(config.batch_linger, decoded.recv()).await {
                    Ok(next) => next,
                    Err(_) => {
                        flush(&mut builder, &mut pending, &mut rows, &metrics, &batches).await?;
                        continue;
                    }
                }
            };
            let Some(handle) = next else {
                flush(&mut builder, &mut pending, &mut rows, &metrics, &batches).await?;
                return Ok(());
            };
            let txs = handle
                .await
                .map_err(|e| IndexerError::Task(format!("decoding panicked: {e}")))?;
            queue.extend(txs);
        }
        while let Some(tx) = queue.pop_front() {
            let epoch_change = tx.epoch_change.is_some();
            rows += tx.weight();
            pending.push(tx);
            if epoch_change
                || pending.len() >= config.max_batch_transactions
                || rows >= config.max_batch_rows
            {
                flush(&mut builder, &mut pending, &mut rows, &metrics, &batches).await?;
            }
        }
    }
}

async fn flush(
    builder: &mut Builder,
    pending: &mut Vec<DecodedTx>,
    rows: &mut usize,
    metrics: &Metrics,
    batches: &mpsc::Sender<Batch>,
) -> Result<(), IndexerError> {
    if pending.is_empty() {
        return Ok(());
    }
    let txs = std::mem::take(pending);
    *rows = 0;
    let started = std::time::Instant::now();
    let batch = builder.build(txs, metrics);
    metrics
        .build_micros
        .add(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
    batches
        .send(batch)
        .await
        .map_err(|_| IndexerError::Task("the committer stopped".into()))
}

/// Commits batches in order, retrying transient failures forever (never skipping a batch).
#[allow(clippy::too_many_arguments)]
async fn commit(
    mut batches: mpsc::Receiver<Batch>,
    pool: PgPool,
    mut lock: WriterLock,
    mut watermark: u64,
    config: IndexerConfig,
    metrics: Arc<Metrics>,
    hook: Option<CommitHook>,
    done: watch::Sender<u64>,
) -> Result<(), IndexerError> {
    let mut backoff = Backoff::new(config.retry_initial, config.retry_max);
    while let Some(batch) = batches.recv().await {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let started = std::time::Instant::now();
            match store::commit(
                &pool,
                &config.pipeline,
                watermark,
                &batch,
                hook.as_ref(),
                &metrics,
            )
            .await
            {
                Ok(()) => {
                    metrics
                        .commit_micros
                        .add(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
                    break;
                }
                Err(e) if e.is_transient() => {
                    metrics.commit_retries.inc();
                    let delay = backoff.delay();
                    tracing::warn!(
                        error = %e,
                        first_cursor = batch.first_cursor,
                        last_cursor = batch.last_cursor,
                        attempt,
                        retry_in_ms = delay.as_millis() as u64,
                        "commit failed (nothing of the batch was written); retrying the same batch"
                    );
                    tokio::time::sleep(delay).await;
                    if !lock.is_held().await {
                        lock = reacquire(&config).await?;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, first_cursor = batch.first_cursor, last_cursor = batch.last_cursor, "commit failed permanently; stopping");
                    return Err(e.into());
                }
            }
        }
        backoff.reset();
        watermark = batch.last_cursor;
        metrics.committed(
            batch.last_cursor,
            batch.timestamp_ms,
            batch.epoch_after,
            batch.transactions.len(),
            batch.events.len(),
            batch.row_count(),
        );
        tracing::debug!(
            watermark,
            transactions = batch.transactions.len(),
            rows = batch.row_count(),
            "committed"
        );
        let _ = done.send(watermark);
        if config.stop_at.is_some_and(|stop| watermark >= stop) {
            break;
        }
    }
    lock.release().await;
    Ok(())
}

/// Takes the writer lock again after its connection was lost (the database restarted). Waits
/// while the database is unreachable; fails if another indexer took the lock meanwhile.
async fn reacquire(config: &IndexerConfig) -> Result<WriterLock, IndexerError> {
    let mut backoff = Backoff::new(config.retry_initial, config.retry_max);
    loop {
        match WriterLock::try_acquire(&config.database_url, &config.pipeline).await {
            Ok(Some(lock)) => {
                tracing::info!("writer lock taken again after the database came back");
                return Ok(lock);
            }
            Ok(None) => return Err(IndexerError::LockLost(config.pipeline.clone())),
            Err(e) if e.is_transient() => {
                let delay = backoff.delay();
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "database unreachable; waiting to take the writer lock again");
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Takes the writer lock as configured (see [`LockMode`]).
pub(crate) async fn acquire(config: &IndexerConfig) -> Result<WriterLock, IndexerError> {
    let mut backoff = Backoff::new(config.retry_initial, config.retry_max);
    let mut warned = false;
    loop {
        match WriterLock::try_acquire(&config.database_url, &config.pipeline).await {
            Ok(Some(lock)) => return Ok(lock),
            Ok(None) => match config.lock {
                LockMode::Exit => return Err(IndexerError::Locked(config.pipeline.clone())),
                LockMode::Wait => {
                    if !warned {
                        tracing::warn!(
                            pipeline = %config.pipeline,
                            key = store::lock_key(&config.pipeline),
                            "another indexer holds the writer lock (pg_advisory_lock) of this pipeline on this database; waiting for it to stop"
                        );
                        warned = true;
                    }
                    tokio::time::sleep(config.lock_poll).await;
                }
            },
            Err(e) if e.is_transient() => {
                let delay = backoff.delay();
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "database unreachable; retrying");
                tokio::time::sleep(delay).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Runs the pipeline from `state` until a task fails or `stop_at` is committed.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_pipeline<S: TransactionSource + 'static>(
    source: Arc<S>,
    pool: PgPool,
    lock: WriterLock,
    state: IndexState,
    config: IndexerConfig,
    metrics: Arc<Metrics>,
    hook: Option<CommitHook>,
    done: watch::Sender<u64>,
) -> Result<u64, IndexerError> {
    let watermark = state.cursor;
    let (page_tx, page_rx) = mpsc::channel(config.channel_capacity.max(1));
    let (dec_tx, dec_rx) = mpsc::channel(config.decode_workers.max(1));
    let (batch_tx, batch_rx) = mpsc::channel(1);
    let (config_fetch, config_build, config_commit) =
        (config.clone(), config.clone(), config.clone());
    let (metrics_fetch, metrics_build, metrics_commit) =
        (metrics.clone(), metrics.clone(), metrics.clone());
    // One JoinSet owns every task: dropping this future (a killed indexer) aborts them all.
    let mut tasks: tokio::task::JoinSet<Result<bool, IndexerError>> = tokio::task::JoinSet::new();
    tasks.spawn(async move {
        fetch(source, watermark, config_fetch, metrics_fetch, page_tx)
            .await
            .map(|()| false)
    });
    tasks.spawn(async move { dispatch(page_rx, dec_tx).await.map(|()| false) });
    tasks.spawn(async move {
        build(
            dec_rx,
            Builder::new(state),
            config_build,
            metrics_build,
            batch_tx,
        )
        .await
        .map(|()| false)
    });
    tasks.spawn(async move {
        commit(
            batch_rx,
            pool,
            lock,
            watermark,
            config_commit,
            metrics_commit,
            hook,
            done,
        )
        .await
        .map(|()| true)
    });
    let result = loop {
        match tasks.join_next().await {
            Some(Ok(Ok(true))) => break Ok(metrics.watermark.get().max(watermark)),
            Some(Ok(Ok(false))) => {}
            Some(Ok(Err(e))) => break Err(e),
            Some(Err(e)) => break Err(IndexerError::Task(e.to_string())),
            None => break Ok(metrics.watermark.get().max(watermark)),
        }
    };
    tasks.abort_all();
    result
}

impl From<StoreError> for IndexerError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}
