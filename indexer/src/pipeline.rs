//! The running indexer: fetch → decode (parallel) → build (sequential) → two committers,
//! connected by bounded channels.
//!
//! ```text
//!  source ──pages──▶ decode dispatcher ──ordered JoinHandles──▶ builder ─┬─AppendBatch──▶ append committer ──▶ PostgreSQL (connection 1)
//!          (cap N)      spawn_blocking per page   (cap = workers)        │    (cap 2)       │ append watermark (watch)
//!                                                                        │                  ▼
//!                                                                        └─Batch────────▶ state committer ──▶ PostgreSQL (connection 2)
//!                                                                             (cap 1)
//! ```
//!
//! The append committer writes a batch's transactions and events with the append watermark
//! (`<pipeline>:append`); the state committer writes the state rows with the pipeline's
//! watermark, each in its own database transaction, on their own connections, at the same
//! time. The state committer sends `COMMIT` only once the append watermark has reached the
//! batch's last cursor, so the pipeline's watermark (what readers use) never passes the append
//! watermark: everything up to it is in every table.
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

use crate::build::{AppendBatch, Batch, Builder, IndexState};
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
    out: Outputs,
) -> Result<(), IndexerError> {
    let mut pending: Vec<DecodedTx> = Vec::new();
    let mut rows = 0usize;
    let mut queue: std::collections::VecDeque<DecodedTx> = std::collections::VecDeque::new();
    loop {
        // Refill from the next decoded page; when nothing more is ready within the linger,
        // flush what we have (live tail: low latency). Far from the head the linger is
        // longer, so a backfill's batches are not cut short by a slow decode.
        if queue.is_empty() {
            let next = if pending.is_empty() {
                decoded.recv().await
            } else {
                let last = pending.last().map_or(0, |tx| tx.cursor);
                let linger = linger(&config, metrics.chain_head.get(), last);
                match tokio::time::timeout(linger, decoded.recv()).await {
                    Ok(next) => next,
                    Err(_) => {
                        flush(&mut builder, &mut pending, &mut rows, &metrics, &out).await?;
                        continue;
                    }
                }
            };
            let Some(handle) = next else {
                flush(&mut builder, &mut pending, &mut rows, &metrics, &out).await?;
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
                flush(&mut builder, &mut pending, &mut rows, &metrics, &out).await?;
            }
        }
    }
}

/// How long the builder waits for more input with a partial batch ending at `last`, the source's
/// head being `head`: [`IndexerConfig::backfill_linger`] while more than a full batch is ahead,
/// else [`IndexerConfig::batch_linger`].
fn linger(config: &IndexerConfig, head: u64, last: u64) -> Duration {
    if head.saturating_sub(last) > config.max_batch_transactions as u64 {
        config.backfill_linger
    } else {
        config.batch_linger
    }
}

/// Where the builder sends each batch: the append-only rows to the append committer, the rest
/// to the state committer.
struct Outputs {
    append: mpsc::Sender<AppendBatch>,
    state: mpsc::Sender<StateBatch>,
}

/// A batch without its append-only rows, and the counts of those (for the metrics).
struct StateBatch {
    batch: Batch,
    transactions: usize,
    events: usize,
    rows: usize,
}

async fn flush(
    builder: &mut Builder,
    pending: &mut Vec<DecodedTx>,
    rows: &mut usize,
    metrics: &Metrics,
    out: &Outputs,
) -> Result<(), IndexerError> {
    if pending.is_empty() {
        return Ok(());
    }
    let txs = std::mem::take(pending);
    *rows = 0;
    let started = std::time::Instant::now();
    let mut batch = builder.build(txs, metrics);
    metrics
        .build_micros
        .add(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
    let row_count = batch.row_count();
    let append = batch.take_append();
    let state = StateBatch {
        transactions: append.transactions.len(),
        events: append.events.len(),
        rows: row_count,
        batch,
    };
    out.append
        .send(append)
        .await
        .map_err(|_| IndexerError::Task("the append committer stopped".into()))?;
    out.state
        .send(state)
        .await
        .map_err(|_| IndexerError::Task("the committer stopped".into()))
}

/// Commits the append-only rows of each batch in order with the append watermark, retrying
/// transient failures forever; publishes the append watermark after each commit. Rows at or
/// below the append watermark (written by an earlier run whose batches ended elsewhere) are
/// skipped, so each is written exactly once.
async fn commit_append(
    mut batches: mpsc::Receiver<AppendBatch>,
    pool: PgPool,
    mut watermark: u64,
    config: IndexerConfig,
    metrics: Arc<Metrics>,
    hook: Option<CommitHook>,
    done: watch::Sender<u64>,
) -> Result<(), IndexerError> {
    let mut backoff = Backoff::new(config.retry_initial, config.retry_max);
    while let Some(mut batch) = batches.recv().await {
        if batch.last_cursor <= watermark {
            continue;
        }
        batch.skip_through(watermark);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let started = std::time::Instant::now();
            match store::commit_append(&pool, &config.pipeline, watermark, &batch, hook.as_ref())
                .await
            {
                Ok(()) => {
                    metrics
                        .append_commit_micros
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
                        "append commit failed; retrying the same rows unless its COMMIT landed"
                    );
                    tokio::time::sleep(delay).await;
                    let append = store::append_pipeline(&config.pipeline);
                    if committed_anyway(&pool, &append, batch.last_cursor).await {
                        break;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, first_cursor = batch.first_cursor, last_cursor = batch.last_cursor, "append commit failed permanently; stopping");
                    return Err(e.into());
                }
            }
        }
        backoff.reset();
        watermark = batch.last_cursor;
        if done.send(watermark).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// Whether a commit that failed with a transient error (a lost connection) committed anyway:
/// the `COMMIT` can reach the server while its answer is lost. The watermark moves in the same
/// transaction as the rows, so it standing at the batch's last cursor means the batch is in;
/// retrying it would fail the watermark's compare-and-set. An unreachable database answers
/// "no": the retry then fails transiently again and this is asked again.
async fn committed_anyway(pool: &PgPool, pipeline: &str, last_cursor: u64) -> bool {
    let landed = matches!(
        store::stored_watermark(pool, pipeline).await,
        Ok(Some(w)) if w == last_cursor
    );
    if landed {
        tracing::info!(
            pipeline,
            last_cursor,
            "the failed commit had landed; moving on"
        );
    }
    landed
}

/// Waits until the append pipeline has committed through `cursor`.
async fn append_reached(
    append: &mut watch::Receiver<u64>,
    cursor: u64,
) -> Result<(), IndexerError> {
    append
        .wait_for(|w| *w >= cursor)
        .await
        .map(|_| ())
        .map_err(|_| IndexerError::Task("the append committer stopped".into()))
}

/// Commits the state part of batches in order, retrying transient failures forever (never
/// skipping a batch). Each batch's transaction commits only after the append committer has
/// committed the batch's append-only rows.
#[allow(clippy::too_many_arguments)]
async fn commit(
    mut batches: mpsc::Receiver<StateBatch>,
    mut append: watch::Receiver<u64>,
    pool: PgPool,
    mut lock: WriterLock,
    mut watermark: u64,
    config: IndexerConfig,
    metrics: Arc<Metrics>,
    hook: Option<CommitHook>,
    done: watch::Sender<u64>,
) -> Result<(), IndexerError> {
    let mut backoff = Backoff::new(config.retry_initial, config.retry_max);
    while let Some(job) = batches.recv().await {
        let batch = &job.batch;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let started = std::time::Instant::now();
            let written = store::write_state(
                &pool,
                &config.pipeline,
                watermark,
                batch,
                hook.as_ref(),
                &metrics,
            )
            .await;
            let committed = match written {
                Ok(tx) => {
                    append_reached(&mut append, batch.last_cursor).await?;
                    tx.commit().await.map_err(StoreError::from)
                }
                Err(e) => Err(e),
            };
            match committed {
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
                        "commit failed; retrying the same batch unless its COMMIT landed"
                    );
                    tokio::time::sleep(delay).await;
                    if !lock.is_held().await {
                        lock = reacquire(&config).await?;
                    }
                    if committed_anyway(&pool, &config.pipeline, batch.last_cursor).await {
                        break;
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
            job.transactions,
            job.events,
            job.rows,
        );
        tracing::debug!(
            watermark,
            transactions = job.transactions,
            rows = job.rows,
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

/// Runs the pipeline from `state` (and the append pipeline from `append_watermark`, at or
/// after the state's cursor) until a task fails or `stop_at` is committed.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_pipeline<S: TransactionSource + 'static>(
    source: Arc<S>,
    pool: PgPool,
    lock: WriterLock,
    state: IndexState,
    append_watermark: u64,
    config: IndexerConfig,
    metrics: Arc<Metrics>,
    hook: Option<CommitHook>,
    done: watch::Sender<u64>,
) -> Result<u64, IndexerError> {
    let watermark = state.cursor;
    let (page_tx, page_rx) = mpsc::channel(config.channel_capacity.max(1));
    let (dec_tx, dec_rx) = mpsc::channel(config.decode_workers.max(1));
    let (batch_tx, batch_rx) = mpsc::channel(1);
    // The append committer may run up to two batches ahead of the state committer.
    let (append_tx, append_rx) = mpsc::channel(2);
    let (append_done, append_watch) = watch::channel(append_watermark);
    let (config_fetch, config_build, config_commit, config_append) = (
        config.clone(),
        config.clone(),
        config.clone(),
        config.clone(),
    );
    let (metrics_fetch, metrics_build, metrics_commit, metrics_append) = (
        metrics.clone(),
        metrics.clone(),
        metrics.clone(),
        metrics.clone(),
    );
    let hook_append = hook.clone();
    let pool_append = pool.clone();
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
            Outputs {
                append: append_tx,
                state: batch_tx,
            },
        )
        .await
        .map(|()| false)
    });
    tasks.spawn(async move {
        commit_append(
            append_rx,
            pool_append,
            append_watermark,
            config_append,
            metrics_append,
            hook_append,
            append_done,
        )
        .await
        .map(|()| false)
    });
    tasks.spawn(async move {
        commit(
            batch_rx,
            append_watch,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_lingers_longer_far_from_the_head() {
        let config = IndexerConfig {
            max_batch_transactions: 100,
            ..IndexerConfig::new("postgres://unused")
        };
        // A backfill: more than a full batch ahead.
        assert_eq!(linger(&config, 1_000, 899), config.backfill_linger);
        // Near the head, at it, or with a head not refreshed yet: the short linger.
        assert_eq!(linger(&config, 1_000, 900), config.batch_linger);
        assert_eq!(linger(&config, 1_000, 1_000), config.batch_linger);
        assert_eq!(linger(&config, 1_000, 1_200), config.batch_linger);
        assert!(config.backfill_linger > config.batch_linger);
    }
}
