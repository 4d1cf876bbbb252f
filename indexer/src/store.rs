//! PostgreSQL: the schema (`migrations/`), the writer lock, loading the state on start, and the
//! two commits of a batch: [`commit_append`] writes its append-only rows (transactions, events)
//! with the append pipeline's watermark in ONE transaction; [`write_state`] / [`commit`] write
//! the state rows with the pipeline's own watermark in ONE other transaction.
//!
//! Append-only tables are written with `COPY ... FROM STDIN`; state tables with runtime queries
//! over bound arrays (`UNNEST($1::bigint[], ...)`): one round trip per table per batch, whatever
//! the batch size.

use std::collections::{BTreeMap, HashMap};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{Connection, PgPool, Postgres, Row, Transaction};
use walrus_core::contracts::SystemStateInnerV1;
use walrus_core::contracts::staking::{
    ActiveSet, NodeMetadata, PendingValues, PoolExchangeRate, StakedWalState, StakingInnerV1,
    StakingPool,
};

use crate::build::{
    AppendBatch, Batch, ChainValue, EpochRow, EventRow, IndexState, PoolDerived, PoolEntry, TxRow,
};
use crate::decode::Bytes32;
use crate::derive::{self, PoolRates};
use crate::metrics::Metrics;

/// The embedded migrations (`migrations/` at the repository root).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Database errors of the indexer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A database error.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The watermark is not where this writer left it: another writer committed.
    #[error(
        "the watermark of pipeline {pipeline} is no longer {expected}: another indexer wrote to \
         this database; stopping (nothing of this batch was written)"
    )]
    WatermarkMoved {
        /// The pipeline.
        pipeline: String,
        /// What this writer expected.
        expected: u64,
    },
    /// The stored state does not decode (a bug or a schema from another version).
    #[error("stored state is corrupt: {0}")]
    Corrupt(String),
    /// A test hook made the commit fail.
    #[error("injected failure before statement {0}")]
    Injected(usize),
}

impl StoreError {
    /// Whether retrying the same commit may succeed (connection lost, server restarting,
    /// serialization conflicts). Anything else stops the indexer.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Database(e) | Self::Migrate(sqlx::migrate::MigrateError::Execute(e)) => {
                is_transient(e)
            }
            Self::Injected(_) => true,
            _ => false,
        }
    }
}

fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception, 40001/40P01: serialization/deadlock, 53: insufficient
            // resources, 57P01-57P03: admin shutdown, crash shutdown, cannot connect now.
            code.starts_with("08")
                || code.starts_with("53")
                || code == "40001"
                || code == "40P01"
                || code == "57P01"
                || code == "57P02"
                || code == "57P03"
        }),
        _ => false,
    }
}

/// A pool for the indexer: `max_connections` connections, created lazily.
pub fn pool(url: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    let options: PgConnectOptions = url.parse()?;
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_lazy_with(options))
}

/// Runs the migrations (sqlx takes its own advisory lock, so two indexers starting together
/// apply them once).
pub async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// The advisory-lock key of a pipeline: a fixed prefix and the pipeline name, hashed.
pub fn lock_key(pipeline: &str) -> i64 {
    // FNV-1a over "walrus-indexer:<pipeline>": stable across versions and platforms.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "walrus-indexer:".bytes().chain(pipeline.bytes()) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// The writer lock: a session-level `pg_advisory_lock` held on its own connection for as long
/// as this value lives. Two indexers on one database: the second one cannot take it.
#[derive(Debug)]
pub struct WriterLock {
    conn: PgConnection,
    key: i64,
}

impl WriterLock {
    /// Tries once to take the lock of `pipeline`; `Ok(None)` when another session holds it.
    pub async fn try_acquire(url: &str, pipeline: &str) -> Result<Option<Self>, StoreError> {
        let mut conn = PgConnection::connect(url).await?;
        let key = lock_key(pipeline);
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut conn)
            .await?;
        Ok(taken.then_some(Self { conn, key }))
    }

    /// Whether the lock's connection still answers (the lock dies with it).
    pub async fn is_held(&mut self) -> bool {
        sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() \
             AND granted AND ((classid::bigint << 32) | objid::bigint) = $1)",
        )
        .bind(self.key)
        .fetch_one(&mut self.conn)
        .await
        .unwrap_or(false)
    }

    /// Releases the lock.
    pub async fn release(mut self) {
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(self.key)
            .execute(&mut self.conn)
            .await;
        let _ = self.conn.close().await;
    }
}

// === Conversions ===

fn cur(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A u64 into BIGINT: values above `i64::MAX` (beyond the WAL supply; only possible for
/// arbitrary sizes) are stored as `i64::MAX` and counted in `clamped_values`.
fn big(v: u64, metrics: &Metrics) -> i64 {
    i64::try_from(v).unwrap_or_else(|_| {
        metrics.clamped_values.inc();
        i64::MAX
    })
}

fn opt_big(v: Option<u64>, metrics: &Metrics) -> Option<i64> {
    v.map(|v| big(v, metrics))
}

fn int(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

fn opt_int(v: Option<u32>) -> Option<i32> {
    v.map(int)
}

fn numeric(v: u64) -> String {
    v.to_string()
}

fn opt_numeric(v: Option<u64>) -> Option<String> {
    v.map(numeric)
}

fn parse_u64(text: Option<String>, what: &str) -> Result<Option<u64>, StoreError> {
    text.map(|t| {
        t.parse::<u64>()
            .map_err(|_| StoreError::Corrupt(format!("{what}: {t:?} is not a u64")))
    })
    .transpose()
}

fn to_u64(v: Option<i64>) -> Option<u64> {
    v.and_then(|v| u64::try_from(v).ok())
}

fn to_u32(v: Option<i32>) -> Option<u32> {
    v.and_then(|v| u32::try_from(v).ok())
}

fn bytes32(v: Vec<u8>, what: &str) -> Result<Bytes32, StoreError> {
    v.as_slice()
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what} is {} bytes, expected 32", v.len())))
}

fn pending_json(p: &PendingValues) -> String {
    serde_json::Value::Array(
        p.0.contents
            .iter()
            .map(|e| serde_json::json!({"epoch": e.key, "value": e.value}))
            .collect(),
    )
    .to_string()
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

// === Loading ===

/// A `chain_state` row: the BCS of a `dynamic_field::Field<N, T>` (its id, name and value),
/// decoded to the value.
fn chain_value<N: serde::de::DeserializeOwned, T: serde::de::DeserializeOwned>(
    key: &str,
    bcs: Vec<u8>,
    last_cursor: u64,
) -> Result<ChainValue<T>, StoreError> {
    #[derive(serde::Deserialize)]
    struct Field<N, V> {
        #[allow(dead_code)]
        id: [u8; 32],
        #[allow(dead_code)]
        name: N,
        value: V,
    }
    let f: Field<N, T> =
        bcs::from_bytes(&bcs).map_err(|e| StoreError::Corrupt(format!("{key}: {e}")))?;
    Ok(ChainValue {
        value: Box::new(f.value),
        bcs,
        last_cursor,
    })
}

/// The watermark of `pipeline` (creating the row at 0), and the state to continue from.
pub async fn load_state(pool: &PgPool, pipeline: &str) -> Result<IndexState, StoreError> {
    sqlx::query(
        "INSERT INTO watermarks (pipeline, cursor_hi, epoch_hi, timestamp_ms_hi) \
         VALUES ($1, 0, 0, 0) ON CONFLICT (pipeline) DO NOTHING",
    )
    .bind(pipeline)
    .execute(pool)
    .await?;
    let row = sqlx::query(
        "SELECT cursor_hi, epoch_hi, timestamp_ms_hi FROM watermarks WHERE pipeline = $1",
    )
    .bind(pipeline)
    .fetch_one(pool)
    .await?;
    let mut state = IndexState {
        cursor: to_u64(Some(row.try_get("cursor_hi")?)).unwrap_or(0),
        epoch: to_u32(Some(row.try_get("epoch_hi")?)).unwrap_or(0),
        timestamp_ms: to_u64(Some(row.try_get("timestamp_ms_hi")?)).unwrap_or(0),
        ..IndexState::default()
    };

    // Exchange rates first, then pools.
    type Rates = (BTreeMap<u32, PoolExchangeRate>, BTreeMap<u32, Option<f64>>);
    let mut rates: HashMap<Bytes32, Rates> = HashMap::new();
    for row in sqlx::query(
        "SELECT node_id, epoch, flat, wal_amount::text AS wal, share_amount::text AS share, apy \
         FROM pool_exchange_rates",
    )
    .fetch_all(pool)
    .await?
    {
        let node = bytes32(row.try_get("node_id")?, "node_id")?;
        let epoch = to_u32(Some(row.try_get("epoch")?)).unwrap_or(0);
        let rate = if row.try_get::<bool, _>("flat")? {
            PoolExchangeRate::Flat
        } else {
            let parse = |t: String| {
                t.parse::<u128>()
                    .map_err(|_| StoreError::Corrupt(format!("exchange rate amount {t:?}")))
            };
            PoolExchangeRate::Variable {
                wal_amount: parse(row.try_get("wal")?)?,
                share_amount: parse(row.try_get("share")?)?,
            }
        };
        let entry = rates.entry(node).or_default();
        entry.0.insert(epoch, rate);
        entry.1.insert(epoch, row.try_get("apy")?);
    }
    for row in sqlx::query(
        "SELECT node_id, bcs, metadata_bcs, created_cursor, last_cursor, state, shards, \
         next_shards, in_active_set, stake_next_epoch, stake_after_next_epoch, apy FROM pools",
    )
    .fetch_all(pool)
    .await?
    {
        let node = bytes32(row.try_get("node_id")?, "node_id")?;
        let bcs: Vec<u8> = row.try_get("bcs")?;
        let pool_value: StakingPool = bcs::from_bytes(&bcs)
            .map_err(|e| StoreError::Corrupt(format!("pool {}: {e}", hex::encode(node))))?;
        let (r, apys) = rates.remove(&node).unwrap_or_default();
        let metadata: Option<Vec<u8>> = row.try_get("metadata_bcs")?;
        let metadata: NodeMetadata = match metadata {
            Some(b) => bcs::from_bytes(&b).map_err(|e| {
                StoreError::Corrupt(format!("pool {} metadata: {e}", hex::encode(node)))
            })?,
            None => NodeMetadata::default(),
        };
        state
            .rate_tables
            .insert(pool_value.exchange_rates.id.0, node);
        state
            .metadata_fields
            .insert(pool_value.node_info.metadata.id.0, node);
        let entry = PoolEntry {
            metadata,
            rates: PoolRates {
                rates: r,
                activation_epoch: pool_value.activation_epoch,
                table_size: pool_value.exchange_rates.size,
            },
            apys,
            derived: PoolDerived {
                state: row.try_get("state")?,
                shards: to_u32(Some(row.try_get("shards")?)).unwrap_or(0),
                next_shards: to_u32(row.try_get("next_shards")?),
                in_active_set: row.try_get("in_active_set")?,
                stake_next: to_u64(row.try_get("stake_next_epoch")?),
                stake_after_next: to_u64(row.try_get("stake_after_next_epoch")?),
                apy: row.try_get("apy")?,
            },
            pool: pool_value,
            bcs,
            created_cursor: to_u64(Some(row.try_get("created_cursor")?)).unwrap_or(0),
            last_cursor: to_u64(Some(row.try_get("last_cursor")?)).unwrap_or(0),
        };
        state.pools.insert(node, entry);
    }

    for row in sqlx::query("SELECT key, bcs, last_cursor FROM chain_state")
        .fetch_all(pool)
        .await?
    {
        let key: String = row.try_get("key")?;
        let bcs: Vec<u8> = row.try_get("bcs")?;
        let last_cursor = to_u64(Some(row.try_get("last_cursor")?)).unwrap_or(0);
        // The states are `Field<u64, ...InnerV1>`; the active set is a `Field` under
        // `extended_field::Key()` (BCS of its `dummy_field: bool`).
        match key.as_str() {
            "system_inner" => {
                state.system = Some(chain_value::<u64, SystemStateInnerV1>(
                    &key,
                    bcs,
                    last_cursor,
                )?);
            }
            "staking_inner" => {
                state.staking = Some(chain_value::<u64, StakingInnerV1>(&key, bcs, last_cursor)?);
            }
            "active_set" => {
                state.active_set = Some(chain_value::<bool, ActiveSet>(&key, bcs, last_cursor)?);
            }
            other => return Err(StoreError::Corrupt(format!("chain_state key {other}"))),
        }
    }

    for row in sqlx::query(
        "SELECT epoch, start_ms, start_cursor, change_done_ms, change_done_cursor, \
         params_selected_ms, params_selected_cursor, storage_price::text AS storage_price, \
         write_price::text AS write_price, total_capacity::text AS total_capacity, \
         used_capacity::text AS used_capacity, n_shards, epoch_duration_ms, total_stake, \
         rewards_total, commission_total, epoch_state, last_cursor \
         FROM epochs ORDER BY epoch DESC LIMIT 2",
    )
    .fetch_all(pool)
    .await?
    {
        let epoch = to_u32(Some(row.try_get("epoch")?)).unwrap_or(0);
        let e = EpochRow {
            epoch,
            start_ms: to_u64(row.try_get("start_ms")?),
            start_cursor: to_u64(row.try_get("start_cursor")?),
            change_done_ms: to_u64(row.try_get("change_done_ms")?),
            change_done_cursor: to_u64(row.try_get("change_done_cursor")?),
            params_selected_ms: to_u64(row.try_get("params_selected_ms")?),
            params_selected_cursor: to_u64(row.try_get("params_selected_cursor")?),
            storage_price: parse_u64(row.try_get("storage_price")?, "storage_price")?,
            write_price: parse_u64(row.try_get("write_price")?, "write_price")?,
            total_capacity: parse_u64(row.try_get("total_capacity")?, "total_capacity")?,
            used_capacity: parse_u64(row.try_get("used_capacity")?, "used_capacity")?,
            n_shards: row
                .try_get::<Option<i32>, _>("n_shards")?
                .and_then(|v| u16::try_from(v).ok()),
            epoch_duration_ms: to_u64(row.try_get("epoch_duration_ms")?),
            total_stake: to_u64(row.try_get("total_stake")?),
            rewards_total: to_u64(row.try_get("rewards_total")?),
            commission_total: to_u64(row.try_get("commission_total")?),
            epoch_state: row.try_get("epoch_state")?,
            last_cursor: to_u64(Some(row.try_get("last_cursor")?)).unwrap_or(0),
        };
        state.epochs.insert(epoch, e);
    }

    for row in sqlx::query(
        "SELECT blob_id, invalid_epoch FROM blob_status WHERE invalid_epoch IS NOT NULL",
    )
    .fetch_all(pool)
    .await?
    {
        state.invalid_blob_ids.insert(
            bytes32(row.try_get("blob_id")?, "blob_id")?,
            to_u32(row.try_get("invalid_epoch")?).unwrap_or(0),
        );
    }
    Ok(state)
}

/// The digest stored for `cursor`, if any.
pub async fn digest_at(pool: &PgPool, cursor: u64) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT digest FROM transactions WHERE cursor = $1")
            .bind(cur(cursor))
            .fetch_optional(pool)
            .await?,
    )
}

// === Committing ===

/// What a [`CommitHook`] may do at a point of a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Go on.
    Continue,
    /// Fail this attempt (a transient error: the commit is retried).
    Fail,
    /// Never return (the test then aborts the task or drops the indexer).
    Hang,
}

/// Where a commit is: the pipeline, the batch and the statement about to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitPoint {
    /// `true` in a commit of the append pipeline ([`commit_append`]), `false` in one of the
    /// state pipeline ([`write_state`] / [`commit`]).
    pub append: bool,
    /// First cursor of the batch.
    pub first_cursor: u64,
    /// Last cursor of the batch.
    pub last_cursor: u64,
    /// Index of the statement about to run (0-based) in this attempt.
    pub statement: usize,
    /// Rows written so far in this attempt.
    pub rows_written: u64,
}

/// A test hook called before every statement of every commit attempt.
pub type CommitHook = std::sync::Arc<dyn Fn(CommitPoint) -> FaultAction + Send + Sync>;

struct Step<'h> {
    hook: Option<&'h CommitHook>,
    point: CommitPoint,
}

impl Step<'_> {
    async fn next(&mut self, rows: u64) -> Result<(), StoreError> {
        self.point.rows_written += rows;
        let point = self.point;
        self.point.statement += 1;
        match self.hook.map_or(FaultAction::Continue, |h| h(point)) {
            FaultAction::Continue => Ok(()),
            FaultAction::Fail => Err(StoreError::Injected(point.statement)),
            FaultAction::Hang => std::future::pending().await,
        }
    }
}

/// The watermark row of the append pipeline of `pipeline`: `<pipeline>:append`.
pub fn append_pipeline(pipeline: &str) -> String {
    format!("{pipeline}:append")
}

/// The stored watermark of the pipeline row `pipeline` (`None` without a row). Used after a
/// commit failed with a lost connection, when the `COMMIT` may have reached the server anyway.
pub async fn stored_watermark(pool: &PgPool, pipeline: &str) -> Result<Option<u64>, StoreError> {
    let hi: Option<i64> =
        sqlx::query_scalar("SELECT cursor_hi FROM watermarks WHERE pipeline = $1")
            .bind(pipeline)
            .fetch_optional(pool)
            .await?;
    Ok(hi.map(|h| u64::try_from(h).unwrap_or(0)))
}

/// The watermark of the append pipeline of `pipeline`. The row is created on first use at the
/// state watermark (a database written before the append pipeline existed holds the
/// append-only rows exactly up to it). It is never behind the state watermark: the state
/// pipeline commits a batch only once the append pipeline has committed its rows.
pub async fn load_append_watermark(pool: &PgPool, pipeline: &str) -> Result<u64, StoreError> {
    let append = append_pipeline(pipeline);
    sqlx::query(
        "INSERT INTO watermarks (pipeline, cursor_hi, epoch_hi, timestamp_ms_hi) \
         SELECT $2, cursor_hi, epoch_hi, timestamp_ms_hi FROM watermarks WHERE pipeline = $1 \
         ON CONFLICT (pipeline) DO NOTHING",
    )
    .bind(pipeline)
    .bind(&append)
    .execute(pool)
    .await?;
    let (state, append_hi): (Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT (SELECT cursor_hi FROM watermarks WHERE pipeline = $1), \
                (SELECT cursor_hi FROM watermarks WHERE pipeline = $2)",
    )
    .bind(pipeline)
    .bind(&append)
    .fetch_one(pool)
    .await?;
    let (Some(state), Some(append_hi)) = (to_u64(state), to_u64(append_hi)) else {
        return Err(StoreError::Corrupt(format!(
            "the watermark rows of pipeline {pipeline} are missing"
        )));
    };
    if append_hi < state {
        return Err(StoreError::Corrupt(format!(
            "the append watermark of pipeline {pipeline} ({append_hi}) is behind its state \
             watermark ({state})"
        )));
    }
    Ok(append_hi)
}

/// Writes the append-only rows of `batch` (transactions, events) and moves the watermark of the
/// append pipeline of `pipeline` from `expected` to the batch's last cursor, in one
/// transaction. Rows at or below `expected` must have been removed
/// ([`AppendBatch::skip_through`]): a duplicate fails the batch on the primary key. Fails
/// without writing anything if the watermark moved.
///
/// Statements (the [`CommitPoint::statement`] a hook sees before each, with
/// [`CommitPoint::append`] set): 0 after `BEGIN`, then after the watermark (1), transactions
/// (2) and events (3, before `COMMIT`).
pub async fn commit_append(
    pool: &PgPool,
    pipeline: &str,
    expected: u64,
    batch: &AppendBatch,
    hook: Option<&CommitHook>,
) -> Result<(), StoreError> {
    let mut step = Step {
        hook,
        point: CommitPoint {
            append: true,
            first_cursor: batch.first_cursor,
            last_cursor: batch.last_cursor,
            statement: 0,
            rows_written: 0,
        },
    };
    let append = append_pipeline(pipeline);
    let mut tx = pool.begin().await?;
    step.next(0).await?;
    move_watermark(
        &mut tx,
        &append,
        expected,
        batch.last_cursor,
        batch.epoch_after,
        batch.timestamp_ms,
    )
    .await?;
    step.next(1).await?;
    let n = write_transactions(&mut tx, &batch.transactions).await?;
    step.next(n).await?;
    let n = write_events(&mut tx, &batch.events).await?;
    step.next(n).await?;
    tx.commit().await?;
    Ok(())
}

/// The compare-and-set of a watermark row, first statement of every commit: it fails at once
/// for a stale writer, and the row lock it takes makes a concurrent writer wait for this
/// transaction and then fail too.
async fn move_watermark(
    tx: &mut Tx<'_>,
    pipeline: &str,
    expected: u64,
    cursor: u64,
    epoch: u32,
    timestamp_ms: u64,
) -> Result<(), StoreError> {
    let moved = sqlx::query(
        "UPDATE watermarks SET cursor_hi = $1, epoch_hi = $2, timestamp_ms_hi = $3 \
         WHERE pipeline = $4 AND cursor_hi = $5",
    )
    .bind(cur(cursor))
    .bind(int(epoch))
    .bind(cur(timestamp_ms))
    .bind(pipeline)
    .bind(cur(expected))
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() != 1 {
        return Err(StoreError::WatermarkMoved {
            pipeline: pipeline.to_owned(),
            expected,
        });
    }
    Ok(())
}

/// [`write_state`], then `COMMIT`: the state rows of `batch` and the watermark of `pipeline` in
/// one transaction. (The indexer itself commits only once the append pipeline has committed
/// the batch's transactions and events.)
pub async fn commit(
    pool: &PgPool,
    pipeline: &str,
    expected: u64,
    batch: &Batch,
    hook: Option<&CommitHook>,
    metrics: &Metrics,
) -> Result<(), StoreError> {
    let tx = write_state(pool, pipeline, expected, batch, hook, metrics).await?;
    tx.commit().await?;
    Ok(())
}

/// Opens a transaction, moves the watermark of `pipeline` from `expected` to the batch's last
/// cursor and writes the state rows of `batch` (everything but the append-only rows, which
/// [`commit_append`] writes); returns the transaction, uncommitted. Fails without writing
/// anything if the watermark moved.
///
/// Statements (the [`CommitPoint::statement`] a hook sees before each): 0 after `BEGIN`, then
/// after the watermark (1), decode failures (2), blobs (3), blob status (4), storage (5),
/// positions (6), caps (7), pools (8), epochs (9) and, in a batch that starts an epoch, the
/// epoch sweep (10). The last one is the point before `COMMIT`.
pub async fn write_state(
    pool: &PgPool,
    pipeline: &str,
    expected: u64,
    batch: &Batch,
    hook: Option<&CommitHook>,
    metrics: &Metrics,
) -> Result<Transaction<'static, Postgres>, StoreError> {
    let mut step = Step {
        hook,
        point: CommitPoint {
            append: false,
            first_cursor: batch.first_cursor,
            last_cursor: batch.last_cursor,
            statement: 0,
            rows_written: 0,
        },
    };
    let mut tx = pool.begin().await?;
    step.next(0).await?;
    move_watermark(
        &mut tx,
        pipeline,
        expected,
        batch.last_cursor,
        batch.epoch_after,
        batch.timestamp_ms,
    )
    .await?;
    step.next(1).await?;
    let n = write_failures(&mut tx, batch).await?;
    step.next(n).await?;
    let n = write_blobs(&mut tx, batch, metrics).await?;
    step.next(n).await?;
    let n = write_blob_status(&mut tx, batch).await?;
    step.next(n).await?;
    let n = write_storage(&mut tx, batch, metrics).await?;
    step.next(n).await?;
    let n = write_positions(&mut tx, batch, metrics).await?;
    step.next(n).await?;
    let n = write_caps(&mut tx, batch).await?;
    step.next(n).await?;
    let n = write_pools(&mut tx, batch, metrics).await?;
    step.next(n).await?;
    let n = write_epochs(&mut tx, batch, metrics).await?;
    step.next(n).await?;
    if let Some(sweep) = &batch.sweep {
        let n = sweep_epoch(&mut tx, sweep, metrics).await?;
        step.next(n).await?;
    }
    Ok(tx)
}

type Tx<'c> = Transaction<'c, Postgres>;

/// Text-format `COPY` rows (the append-only tables). A duplicate key fails the batch, which can
/// only mean a bug: the watermark guarantees each cursor is written once.
#[derive(Default)]
struct CopyText(Vec<u8>);

impl CopyText {
    fn sep(&mut self, first: bool) {
        if !first {
            self.0.push(b'\t');
        }
    }
    fn null(&mut self, first: bool) {
        self.sep(first);
        self.0.extend_from_slice(b"\\N");
    }
    fn int(&mut self, first: bool, v: impl std::fmt::Display) {
        self.sep(first);
        let _ = std::io::Write::write_fmt(&mut self.0, format_args!("{v}"));
    }
    fn opt_int(&mut self, first: bool, v: Option<impl std::fmt::Display>) {
        match v {
            Some(v) => self.int(first, v),
            None => self.null(first),
        }
    }
    fn bool(&mut self, first: bool, v: bool) {
        self.sep(first);
        self.0.push(if v { b't' } else { b'f' });
    }
    fn text(&mut self, first: bool, v: &str) {
        self.sep(first);
        for b in v.bytes() {
            match b {
                b'\\' => self.0.extend_from_slice(b"\\\\"),
                b'\n' => self.0.extend_from_slice(b"\\n"),
                b'\r' => self.0.extend_from_slice(b"\\r"),
                b'\t' => self.0.extend_from_slice(b"\\t"),
                _ => self.0.push(b),
            }
        }
    }
    fn opt_text(&mut self, first: bool, v: Option<&str>) {
        match v {
            Some(v) => self.text(first, v),
            None => self.null(first),
        }
    }
    fn bytes(&mut self, first: bool, v: &[u8]) {
        // bytea hex form `\x…`, its backslash escaped for COPY.
        self.sep(first);
        self.0.extend_from_slice(b"\\\\x");
        let start = self.0.len();
        self.0.resize(start + v.len() * 2, 0);
        let _ = hex::encode_to_slice(v, &mut self.0[start..]);
    }
    fn opt_bytes(&mut self, first: bool, v: Option<&[u8]>) {
        match v {
            Some(v) => self.bytes(first, v),
            None => self.null(first),
        }
    }
    fn end(&mut self) {
        self.0.push(b'\n');
    }
}

async fn copy_in(tx: &mut Tx<'_>, statement: &str, data: CopyText) -> Result<u64, StoreError> {
    let mut copy = tx.copy_in_raw(statement).await?;
    for chunk in data.0.chunks(1 << 20) {
        copy.send(chunk).await?;
    }
    Ok(copy.finish().await?)
}

/// Below this many rows the append-only tables are written with one `INSERT … UNNEST` instead of
/// `COPY`: sqlx does not set `TCP_NODELAY`, and COPY's separate CopyData and CopyDone writes then
/// wait for the server's delayed ACK (about 40 ms on Linux) whatever the size.
pub const COPY_MIN_ROWS: usize = 4_000;

fn copy_min_rows() -> usize {
    std::env::var("WALRUS_INDEXER_COPY_MIN_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(COPY_MIN_ROWS)
}

async fn write_transactions(tx: &mut Tx<'_>, t: &[TxRow]) -> Result<u64, StoreError> {
    if t.is_empty() {
        return Ok(0);
    }
    if t.len() < copy_min_rows() {
        let result = sqlx::query(
            "INSERT INTO transactions (cursor, digest, sender, timestamp_ms, success, failure, event_count, change_count) \
             SELECT c, d, s, ts, ok, f::jsonb, ec, cc \
             FROM UNNEST($1::bigint[], $2::bytea[], $3::bytea[], $4::bigint[], $5::bool[], $6::text[], $7::int[], $8::int[]) \
                  AS u(c, d, s, ts, ok, f, ec, cc)",
        )
        .bind(t.iter().map(|r| cur(r.cursor)).collect::<Vec<_>>())
        .bind(t.iter().map(|r| r.digest).collect::<Vec<_>>())
        .bind(t.iter().map(|r| r.sender).collect::<Vec<_>>())
        .bind(t.iter().map(|r| cur(r.timestamp_ms)).collect::<Vec<_>>())
        .bind(t.iter().map(|r| r.success).collect::<Vec<_>>())
        .bind(t.iter().map(|r| r.failure.clone()).collect::<Vec<_>>())
        .bind(t.iter().map(|r| i32::try_from(r.event_count).unwrap_or(i32::MAX)).collect::<Vec<_>>())
        .bind(t.iter().map(|r| i32::try_from(r.change_count).unwrap_or(i32::MAX)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
        return Ok(result.rows_affected());
    }
    let mut data = CopyText::default();
    for r in t {
        data.int(true, cur(r.cursor));
        data.bytes(false, &r.digest);
        data.bytes(false, &r.sender);
        data.int(false, cur(r.timestamp_ms));
        data.bool(false, r.success);
        data.opt_text(false, r.failure.as_deref());
        data.int(false, r.event_count);
        data.int(false, r.change_count);
        data.end();
    }
    copy_in(
        tx,
        "COPY transactions (cursor, digest, sender, timestamp_ms, success, failure, event_count, change_count) FROM STDIN",
        data,
    )
    .await
}

async fn write_events(tx: &mut Tx<'_>, e: &[EventRow]) -> Result<u64, StoreError> {
    if e.is_empty() {
        return Ok(0);
    }
    if e.len() < copy_min_rows() {
        let result = sqlx::query(
            "INSERT INTO events (cursor, event_index, tx_digest, event_type, event_name, bcs, decoded, \
                                 decode_status, decode_error, epoch, blob_id, object_id) \
             SELECT c, i, d, t, n, b, j::jsonb, st, er, ep, bid, oid \
             FROM UNNEST($1::bigint[], $2::int[], $3::bytea[], $4::text[], $5::text[], $6::bytea[], \
                         $7::text[], $8::text[], $9::text[], $10::int[], $11::bytea[], $12::bytea[]) \
                  AS u(c, i, d, t, n, b, j, st, er, ep, bid, oid)",
        )
        .bind(e.iter().map(|r| cur(r.cursor)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| int(r.index)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.digest).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.event_type.as_str()).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.name.as_str()).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.bcs.as_slice()).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.json.as_deref()).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.status).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.error.as_deref()).collect::<Vec<_>>())
        .bind(e.iter().map(|r| opt_int(r.epoch)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.blob_id).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.object_id).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
        return Ok(result.rows_affected());
    }
    let mut data = CopyText::default();
    for r in e {
        data.int(true, cur(r.cursor));
        data.int(false, r.index);
        data.bytes(false, &r.digest);
        data.text(false, &r.event_type);
        data.text(false, &r.name);
        data.bytes(false, &r.bcs);
        data.opt_text(false, r.json.as_deref());
        data.text(false, r.status);
        data.opt_text(false, r.error.as_deref());
        data.opt_int(false, r.epoch);
        data.opt_bytes(false, r.blob_id.as_ref().map(|b| b.as_slice()));
        data.opt_bytes(false, r.object_id.as_ref().map(|b| b.as_slice()));
        data.end();
    }
    copy_in(
        tx,
        "COPY events (cursor, event_index, tx_digest, event_type, event_name, bcs, decoded, \
         decode_status, decode_error, epoch, blob_id, object_id) FROM STDIN",
        data,
    )
    .await
}

async fn write_failures(tx: &mut Tx<'_>, batch: &Batch) -> Result<u64, StoreError> {
    if batch.failures.is_empty() {
        return Ok(0);
    }
    let f = &batch.failures;
    let result = sqlx::query(
        "INSERT INTO object_decode_failures (cursor, object_id, object_type, change_kind, contents, error) \
         SELECT * FROM UNNEST($1::bigint[], $2::bytea[], $3::text[], $4::text[], $5::bytea[], $6::text[]) \
         ON CONFLICT (cursor, object_id) DO NOTHING",
    )
    .bind(f.iter().map(|r| cur(r.cursor)).collect::<Vec<_>>())
    .bind(f.iter().map(|r| r.object_id).collect::<Vec<_>>())
    .bind(f.iter().map(|r| r.object_type.as_str()).collect::<Vec<_>>())
    .bind(f.iter().map(|r| r.change_kind).collect::<Vec<_>>())
    .bind(f.iter().map(|r| r.contents.as_deref()).collect::<Vec<_>>())
    .bind(f.iter().map(|r| r.error.as_str()).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected())
}

/// Binds the 33 columns of `rows` and the epoch, as `$1..$34` of the blob statements.
fn bind_blobs<'q>(
    query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    rows: &[&crate::build::BlobRow],
    epoch: u32,
    metrics: &Metrics,
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    let c = |f: &dyn Fn(&crate::build::BlobContent) -> Option<i64>| -> Vec<Option<i64>> {
        rows.iter()
            .map(|r| r.content.as_ref().and_then(f))
            .collect()
    };
    query
        .bind(rows.iter().map(|r| r.object_id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.content.is_some()).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.content.as_ref().map(|b| b.blob.blob_id.0))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.content.as_ref().map(|b| b.owner.kind))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.content.as_ref().and_then(|b| b.owner.owner))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.content.as_ref().and_then(|b| b.shared_blob_id))
                .collect::<Vec<_>>(),
        )
        .bind(c(&|b| b.shared_funds.map(|v| big(v, metrics))))
        .bind(c(&|b| Some(big(b.blob.size, metrics))))
        .bind(
            rows.iter()
                .map(|r| r.content.as_ref().map(|b| i16::from(b.blob.encoding_type)))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.content.as_ref().map(|b| int(b.blob.registered_epoch)))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| {
                    r.content
                        .as_ref()
                        .and_then(|b| opt_int(b.blob.certified_epoch))
                })
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.content.as_ref().map(|b| int(b.blob.storage.end_epoch)))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.content.as_ref().map(|b| b.blob.storage.id.0))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.content.as_ref().map(|b| int(b.blob.storage.start_epoch)))
                .collect::<Vec<_>>(),
        )
        .bind(c(&|b| Some(big(b.blob.storage.storage_size, metrics))))
        .bind(
            rows.iter()
                .map(|r| r.content.as_ref().map(|b| b.blob.deletable))
                .collect::<Vec<_>>(),
        )
        .bind(c(&|b| Some(cur(b.version))))
        .bind(
            rows.iter()
                .map(|r| r.registered_cursor.map(cur))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.certified_cursor.map(cur))
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| r.deleted.is_some()).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.deleted.map(|(e, _)| int(e)))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.deleted.map(|(_, c)| cur(c)))
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| r.burned.is_some()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.invalid.is_some()).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|r| r.attributes.is_some())
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.attributes.as_ref().and_then(|(j, _)| j.as_deref()))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| {
                    r.attributes
                        .as_ref()
                        .and_then(|(j, f)| j.as_ref().map(|_| *f))
                })
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.last_event.map(|(c, _)| cur(c)))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.last_event.map(|(_, i)| int(i)))
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|r| r.created_cursor.map(cur))
                .collect::<Vec<_>>(),
        )
        .bind(rows.iter().map(|r| cur(r.last_cursor)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| opt_int(r.burned)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| opt_int(r.invalid)).collect::<Vec<_>>())
        .bind(int(epoch))
}

async fn write_blobs(tx: &mut Tx<'_>, batch: &Batch, metrics: &Metrics) -> Result<u64, StoreError> {
    let mut rows_written = 0;
    // Objects created in this batch cannot have a row yet: plain inserts. The others: updates
    // that keep what the batch did not change.
    let (new, changed): (Vec<&crate::build::BlobRow>, Vec<&crate::build::BlobRow>) = batch
        .blobs
        .values()
        .partition(|r| r.created_cursor.is_some() && r.content.is_some());
    if !new.is_empty() {
        let sql = concat!(
            "INSERT INTO blobs (object_id, blob_id, owner_kind, owner, shared_blob_id, shared_funds, size, ",
            "encoding_type, registered_epoch, certified_epoch, end_epoch, storage_id, storage_start_epoch, ",
            "storage_size, deletable, deleted, deleted_epoch, burned, invalid, attributes, attributes_field_id, ",
            "status, version, registered_cursor, certified_cursor, deleted_cursor, last_event_cursor, ",
            "last_event_index, created_cursor, last_cursor, burned_epoch, invalid_epoch) ",
            "SELECT u.object_id, u.blob_id, u.owner_kind, u.owner, u.shared_blob_id, u.shared_funds, u.size, ",
            "u.encoding_type, u.registered_epoch, u.certified_epoch, u.end_epoch, u.storage_id, ",
            "u.storage_start_epoch, u.storage_size, u.deletable, u.deleted, u.deleted_epoch, u.burned, u.invalid, ",
            "CASE WHEN u.attr_set THEN u.attributes::jsonb END, CASE WHEN u.attr_set THEN u.attributes_field_id END, ",
            "blob_object_status(u.deleted, u.burned, u.invalid, u.certified_epoch, u.end_epoch, $34), u.version, ",
            "COALESCE(u.registered_cursor, u.created_cursor, u.last_cursor), u.certified_cursor, u.deleted_cursor, ",
            "u.last_event_cursor, u.last_event_index, COALESCE(u.created_cursor, u.last_cursor), u.last_cursor, ",
            "u.burned_epoch, u.invalid_epoch ",
            " FROM (",
            "SELECT * FROM UNNEST($1::bytea[], $2::bool[], $3::bytea[], $4::text[], $5::bytea[], $6::bytea[], ",
            "$7::bigint[], $8::bigint[], $9::smallint[], $10::int[], $11::int[], $12::int[], $13::bytea[], ",
            "$14::int[], $15::bigint[], $16::bool[], $17::bigint[], $18::bigint[], $19::bigint[], $20::bool[], ",
            "$21::int[], $22::bigint[], $23::bool[], $24::bool[], $25::bool[], $26::text[], $27::bytea[], ",
            "$28::bigint[], $29::int[], $30::bigint[], $31::bigint[], $32::int[], $33::int[]) ",
            "AS u(object_id, has_content, blob_id, owner_kind, owner, shared_blob_id, shared_funds, size, ",
            "encoding_type, registered_epoch, certified_epoch, end_epoch, storage_id, storage_start_epoch, ",
            "storage_size, deletable, version, registered_cursor, certified_cursor, deleted, deleted_epoch, ",
            "deleted_cursor, burned, invalid, attr_set, attributes, attributes_field_id, last_event_cursor, ",
            "last_event_index, created_cursor, last_cursor, burned_epoch, invalid_epoch) ",
            ") AS u"
        );
        let r = bind_blobs(sqlx::query(sql), &new, batch.epoch, metrics)
            .execute(&mut **tx)
            .await?;
        rows_written += r.rows_affected();
    }
    if !changed.is_empty() {
        let sql = concat!(
            "UPDATE blobs b SET ",
            "blob_id = CASE WHEN u.has_content THEN u.blob_id ELSE b.blob_id END, ",
            "owner_kind = CASE WHEN u.has_content THEN u.owner_kind ELSE b.owner_kind END, ",
            "owner = CASE WHEN u.has_content THEN u.owner ELSE b.owner END, ",
            "shared_blob_id = CASE WHEN u.has_content THEN u.shared_blob_id ELSE b.shared_blob_id END, ",
            "shared_funds = CASE WHEN u.has_content THEN u.shared_funds ELSE b.shared_funds END, ",
            "size = CASE WHEN u.has_content THEN u.size ELSE b.size END, ",
            "encoding_type = CASE WHEN u.has_content THEN u.encoding_type ELSE b.encoding_type END, ",
            "registered_epoch = CASE WHEN u.has_content THEN u.registered_epoch ELSE b.registered_epoch END, ",
            "certified_epoch = CASE WHEN u.has_content THEN u.certified_epoch ELSE b.certified_epoch END, ",
            "end_epoch = CASE WHEN u.has_content THEN u.end_epoch ELSE b.end_epoch END, ",
            "storage_id = CASE WHEN u.has_content THEN u.storage_id ELSE b.storage_id END, ",
            "storage_start_epoch = CASE WHEN u.has_content THEN u.storage_start_epoch ELSE b.storage_start_epoch END, ",
            "storage_size = CASE WHEN u.has_content THEN u.storage_size ELSE b.storage_size END, ",
            "deletable = CASE WHEN u.has_content THEN u.deletable ELSE b.deletable END, ",
            "version = CASE WHEN u.has_content THEN u.version ELSE b.version END, ",
            "deleted = b.deleted OR u.deleted, ",
            "deleted_epoch = COALESCE(u.deleted_epoch, b.deleted_epoch), ",
            "burned = b.burned OR u.burned, ",
            "invalid = b.invalid OR u.invalid, ",
            "attributes = CASE WHEN u.attr_set THEN u.attributes::jsonb ELSE b.attributes END, ",
            "attributes_field_id = CASE WHEN u.attr_set THEN u.attributes_field_id ELSE b.attributes_field_id END, ",
            "status = blob_object_status(b.deleted OR u.deleted, b.burned OR u.burned, b.invalid OR u.invalid, ",
            "CASE WHEN u.has_content THEN u.certified_epoch ELSE b.certified_epoch END, ",
            "CASE WHEN u.has_content THEN u.end_epoch ELSE b.end_epoch END, $34), ",
            "burned_epoch = COALESCE(b.burned_epoch, u.burned_epoch), ",
            "invalid_epoch = COALESCE(b.invalid_epoch, u.invalid_epoch), ",
            "certified_cursor = COALESCE(b.certified_cursor, u.certified_cursor), ",
            "deleted_cursor = COALESCE(u.deleted_cursor, b.deleted_cursor), ",
            "last_event_cursor = COALESCE(u.last_event_cursor, b.last_event_cursor), ",
            "last_event_index = CASE WHEN u.last_event_cursor IS NULL THEN b.last_event_index ELSE u.last_event_index END, ",
            "last_cursor = GREATEST(b.last_cursor, u.last_cursor) ",
            " FROM (",
            "SELECT * FROM UNNEST($1::bytea[], $2::bool[], $3::bytea[], $4::text[], $5::bytea[], $6::bytea[], ",
            "$7::bigint[], $8::bigint[], $9::smallint[], $10::int[], $11::int[], $12::int[], $13::bytea[], ",
            "$14::int[], $15::bigint[], $16::bool[], $17::bigint[], $18::bigint[], $19::bigint[], $20::bool[], ",
            "$21::int[], $22::bigint[], $23::bool[], $24::bool[], $25::bool[], $26::text[], $27::bytea[], ",
            "$28::bigint[], $29::int[], $30::bigint[], $31::bigint[], $32::int[], $33::int[]) ",
            "AS u(object_id, has_content, blob_id, owner_kind, owner, shared_blob_id, shared_funds, size, ",
            "encoding_type, registered_epoch, certified_epoch, end_epoch, storage_id, storage_start_epoch, ",
            "storage_size, deletable, version, registered_cursor, certified_cursor, deleted, deleted_epoch, ",
            "deleted_cursor, burned, invalid, attr_set, attributes, attributes_field_id, last_event_cursor, ",
            "last_event_index, created_cursor, last_cursor, burned_epoch, invalid_epoch) ",
            ") AS u WHERE b.object_id = u.object_id"
        );
        let r = bind_blobs(sqlx::query(sql), &changed, batch.epoch, metrics)
            .execute(&mut **tx)
            .await?;
        let dropped = changed.len() as u64 - r.rows_affected();
        if dropped > 0 {
            metrics.orphan_changes.add(dropped);
            tracing::warn!(
                dropped,
                first_cursor = batch.first_cursor,
                "blob changes for objects the index never saw created: ignored"
            );
        }
        rows_written += r.rows_affected();
    }
    if !batch.attribute_removals.is_empty() {
        let r = sqlx::query(
            "UPDATE blobs SET attributes = NULL, attributes_field_id = NULL, \
               last_cursor = GREATEST(blobs.last_cursor, r.c) \
             FROM UNNEST($1::bytea[], $2::bigint[]) AS r(f, c) WHERE blobs.attributes_field_id = r.f",
        )
        .bind(batch.attribute_removals.iter().map(|(f, _)| *f).collect::<Vec<_>>())
        .bind(batch.attribute_removals.iter().map(|(_, c)| cur(*c)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
        rows_written += r.rows_affected();
    }
    if !batch.invalidations.is_empty() {
        let inv = &batch.invalidations;
        let r = sqlx::query(
            "UPDATE blobs b SET invalid = true, invalid_epoch = COALESCE(b.invalid_epoch, v.e), \
               status = blob_object_status(b.deleted, b.burned, true, b.certified_epoch, b.end_epoch, $3), \
               last_cursor = GREATEST(b.last_cursor, v.c) \
             FROM UNNEST($1::bytea[], $2::bigint[], $4::int[]) AS v(id, c, e) \
             WHERE b.blob_id = v.id AND NOT b.invalid",
        )
        .bind(inv.iter().map(|v| v.0).collect::<Vec<_>>())
        .bind(inv.iter().map(|v| cur(v.2)).collect::<Vec<_>>())
        .bind(int(batch.epoch))
        .bind(inv.iter().map(|v| int(v.1)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
        rows_written += r.rows_affected();
        let r = sqlx::query(
            "INSERT INTO blob_status (blob_id, status, objects_total, deletable_total, deletable_certified, \
               permanent_total, permanent_certified, invalid_epoch, invalid_event_cursor, invalid_event_index, last_cursor) \
             SELECT id, 'invalid', 0, 0, 0, 0, 0, e, c, i, c \
             FROM UNNEST($1::bytea[], $2::int[], $3::bigint[], $4::int[]) AS v(id, e, c, i) \
             ON CONFLICT (blob_id) DO UPDATE SET \
               invalid_epoch = COALESCE(blob_status.invalid_epoch, EXCLUDED.invalid_epoch), \
               invalid_event_cursor = COALESCE(blob_status.invalid_event_cursor, EXCLUDED.invalid_event_cursor), \
               invalid_event_index = COALESCE(blob_status.invalid_event_index, EXCLUDED.invalid_event_index)",
        )
        .bind(inv.iter().map(|v| v.0).collect::<Vec<_>>())
        .bind(inv.iter().map(|v| int(v.1)).collect::<Vec<_>>())
        .bind(inv.iter().map(|v| cur(v.2)).collect::<Vec<_>>())
        .bind(inv.iter().map(|v| int(v.3)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?;
        rows_written += r.rows_affected();
    }
    Ok(rows_written)
}

async fn write_blob_status(tx: &mut Tx<'_>, batch: &Batch) -> Result<u64, StoreError> {
    if batch.blob_touches.is_empty() {
        return Ok(0);
    }
    let (ids, cursors): (Vec<Bytes32>, Vec<i64>) = batch
        .blob_touches
        .iter()
        .map(|(id, c)| (*id, cur(*c)))
        .unzip();
    recompute_blob_status(tx, &ids, &cursors, batch.epoch).await
}

/// Recomputes the per-blob-id aggregate of `ids` from the `blobs` rows at `epoch` (liveness),
/// stamping each with its cursor.
async fn recompute_blob_status(
    tx: &mut Tx<'_>,
    ids: &[Bytes32],
    cursors: &[i64],
    epoch: u32,
) -> Result<u64, StoreError> {
    let r = sqlx::query(
        "WITH t AS (SELECT * FROM UNNEST($1::bytea[], $2::bigint[]) AS t(blob_id, touched)), \
         x AS MATERIALIZED ( \
           SELECT b.blob_id, b.deleted, b.deletable, b.end_epoch, b.certified_epoch, \
                  b.last_event_cursor, b.last_event_index, \
                  (NOT b.deleted AND b.end_epoch > $3) AS live, (b.certified_epoch IS NOT NULL) AS certified \
           FROM blobs b WHERE b.blob_id = ANY($1) \
         ), \
         a AS ( \
           SELECT blob_id, count(*)::int AS objects_total, \
             (count(*) FILTER (WHERE live AND deletable))::int AS deletable_total, \
             (count(*) FILTER (WHERE live AND deletable AND certified))::int AS deletable_certified, \
             (count(*) FILTER (WHERE live AND NOT deletable))::int AS permanent_total, \
             (count(*) FILTER (WHERE live AND NOT deletable AND certified))::int AS permanent_certified, \
             (count(*) FILTER (WHERE NOT deleted))::int AS not_deleted, \
             max(end_epoch) FILTER (WHERE live AND certified) AS certified_end, \
             max(end_epoch) FILTER (WHERE live) AS live_end, \
             max(end_epoch) FILTER (WHERE live AND certified AND NOT deletable) AS permanent_end, \
             min(certified_epoch) FILTER (WHERE live AND certified) AS initial_certified \
           FROM x GROUP BY blob_id \
         ), \
         ev AS ( \
           SELECT DISTINCT ON (blob_id) blob_id, last_event_cursor, last_event_index FROM x \
           WHERE last_event_cursor IS NOT NULL \
           ORDER BY blob_id, live DESC, certified DESC, deletable ASC, end_epoch DESC, \
                    last_event_cursor DESC, last_event_index DESC \
         ), \
         agg AS ( \
           SELECT t.blob_id, t.touched, \
             COALESCE(a.objects_total, 0) AS objects_total, COALESCE(a.deletable_total, 0) AS deletable_total, \
             COALESCE(a.deletable_certified, 0) AS deletable_certified, \
             COALESCE(a.permanent_total, 0) AS permanent_total, \
             COALESCE(a.permanent_certified, 0) AS permanent_certified, COALESCE(a.not_deleted, 0) AS not_deleted, \
             a.certified_end, a.live_end, a.permanent_end, a.initial_certified, \
             ev.last_event_cursor, ev.last_event_index, \
             s.invalid_epoch, s.invalid_event_cursor, s.invalid_event_index \
           FROM t LEFT JOIN a ON a.blob_id = t.blob_id LEFT JOIN ev ON ev.blob_id = t.blob_id \
           LEFT JOIN blob_status s ON s.blob_id = t.blob_id \
         ) \
         INSERT INTO blob_status (blob_id, status, objects_total, deletable_total, deletable_certified, \
           permanent_total, permanent_certified, end_epoch, permanent_end_epoch, initial_certified_epoch, \
           status_event_cursor, status_event_index, invalid_epoch, invalid_event_cursor, invalid_event_index, last_cursor) \
         SELECT blob_id, \
           CASE WHEN invalid_epoch IS NOT NULL THEN 'invalid' \
                WHEN deletable_certified + permanent_certified > 0 THEN 'certified' \
                WHEN deletable_total + permanent_total > 0 THEN 'registered' \
                WHEN not_deleted > 0 THEN 'expired' \
                ELSE 'deleted' END, \
           objects_total, deletable_total, deletable_certified, permanent_total, permanent_certified, \
           COALESCE(certified_end, live_end), permanent_end, initial_certified, \
           CASE WHEN invalid_epoch IS NOT NULL THEN invalid_event_cursor ELSE last_event_cursor END, \
           CASE WHEN invalid_epoch IS NOT NULL THEN invalid_event_index ELSE last_event_index END, \
           invalid_epoch, invalid_event_cursor, invalid_event_index, touched \
         FROM agg \
         ON CONFLICT (blob_id) DO UPDATE SET \
           status = EXCLUDED.status, objects_total = EXCLUDED.objects_total, \
           deletable_total = EXCLUDED.deletable_total, deletable_certified = EXCLUDED.deletable_certified, \
           permanent_total = EXCLUDED.permanent_total, permanent_certified = EXCLUDED.permanent_certified, \
           end_epoch = EXCLUDED.end_epoch, permanent_end_epoch = EXCLUDED.permanent_end_epoch, \
           initial_certified_epoch = EXCLUDED.initial_certified_epoch, \
           status_event_cursor = EXCLUDED.status_event_cursor, status_event_index = EXCLUDED.status_event_index, \
           last_cursor = GREATEST(blob_status.last_cursor, EXCLUDED.last_cursor)",
    )
    .bind(ids)
    .bind(cursors)
    .bind(int(epoch))
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected())
}

async fn write_storage(
    tx: &mut Tx<'_>,
    batch: &Batch,
    metrics: &Metrics,
) -> Result<u64, StoreError> {
    let mut n = 0;
    let removed: Vec<Bytes32> = batch
        .storage
        .values()
        .filter(|r| r.removed && !r.first_seen_created)
        .map(|r| r.object_id)
        .collect();
    if !removed.is_empty() {
        n += sqlx::query("DELETE FROM storage_resources WHERE object_id = ANY($1)")
            .bind(&removed)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    }
    let live: Vec<_> = batch.storage.values().filter(|r| !r.removed).collect();
    if !live.is_empty() {
        n += sqlx::query(
            "INSERT INTO storage_resources (object_id, owner_kind, owner, start_epoch, end_epoch, storage_size, \
               version, created_cursor, last_cursor) \
             SELECT * FROM UNNEST($1::bytea[], $2::text[], $3::bytea[], $4::int[], $5::int[], $6::bigint[], \
               $7::bigint[], $8::bigint[], $9::bigint[]) \
             ON CONFLICT (object_id) DO UPDATE SET owner_kind = EXCLUDED.owner_kind, owner = EXCLUDED.owner, \
               start_epoch = EXCLUDED.start_epoch, end_epoch = EXCLUDED.end_epoch, \
               storage_size = EXCLUDED.storage_size, version = EXCLUDED.version, \
               created_cursor = CASE WHEN EXCLUDED.created_cursor > 0 THEN EXCLUDED.created_cursor \
                                     ELSE storage_resources.created_cursor END, \
               last_cursor = EXCLUDED.last_cursor",
        )
        .bind(live.iter().map(|r| r.object_id).collect::<Vec<_>>())
        .bind(live.iter().map(|r| r.owner.kind).collect::<Vec<_>>())
        .bind(live.iter().map(|r| r.owner.owner).collect::<Vec<_>>())
        .bind(live.iter().map(|r| int(r.start_epoch)).collect::<Vec<_>>())
        .bind(live.iter().map(|r| int(r.end_epoch)).collect::<Vec<_>>())
        .bind(live.iter().map(|r| big(r.storage_size, metrics)).collect::<Vec<_>>())
        .bind(live.iter().map(|r| cur(r.version)).collect::<Vec<_>>())
        // 0: not created in this batch (keeps the stored creation cursor).
        .bind(live.iter().map(|r| cur(r.created_cursor.unwrap_or(0))).collect::<Vec<_>>())
        .bind(live.iter().map(|r| cur(r.last_cursor)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    Ok(n)
}

fn state_cols(state: &StakedWalState) -> (&'static str, Option<i32>) {
    match *state {
        StakedWalState::Staked => ("staked", None),
        StakedWalState::Withdrawing { withdraw_epoch } => {
            ("withdrawing", Some(int(withdraw_epoch)))
        }
    }
}

async fn write_positions(
    tx: &mut Tx<'_>,
    batch: &Batch,
    metrics: &Metrics,
) -> Result<u64, StoreError> {
    let mut n = 0;
    let full: Vec<_> = batch
        .positions
        .values()
        .filter(|r| r.content.is_some())
        .collect();
    let gone: Vec<_> = batch
        .positions
        .values()
        .filter(|r| r.content.is_none() && r.deleted)
        .collect();
    if !full.is_empty() {
        let content = |r: &&crate::build::PositionRow| r.content.clone();
        n += sqlx::query(
            "INSERT INTO staked_wal (object_id, owner, node_id, principal, activation_epoch, state, withdraw_epoch, \
               status, value, reward, deleted, created_cursor, last_cursor) \
             SELECT * FROM UNNEST($1::bytea[], $2::bytea[], $3::bytea[], $4::bigint[], $5::int[], $6::text[], \
               $7::int[], $8::text[], $9::bigint[], $10::bigint[], $11::bool[], $12::bigint[], $13::bigint[]) \
             ON CONFLICT (object_id) DO UPDATE SET owner = EXCLUDED.owner, node_id = EXCLUDED.node_id, \
               principal = EXCLUDED.principal, activation_epoch = EXCLUDED.activation_epoch, state = EXCLUDED.state, \
               withdraw_epoch = EXCLUDED.withdraw_epoch, status = EXCLUDED.status, value = EXCLUDED.value, \
               reward = EXCLUDED.reward, deleted = EXCLUDED.deleted, last_cursor = EXCLUDED.last_cursor",
        )
        .bind(full.iter().map(|r| r.object_id).collect::<Vec<_>>())
        .bind(full.iter().map(|r| content(r).and_then(|c| c.owner)).collect::<Vec<_>>())
        .bind(full.iter().map(|r| content(r).map_or([0; 32], |c| c.node_id)).collect::<Vec<_>>())
        .bind(full.iter().map(|r| content(r).map_or(0, |c| big(c.principal, metrics))).collect::<Vec<_>>())
        .bind(full.iter().map(|r| content(r).map_or(0, |c| int(c.activation_epoch))).collect::<Vec<_>>())
        .bind(full.iter().map(|r| content(r).map_or("staked", |c| state_cols(&c.state).0)).collect::<Vec<_>>())
        .bind(full.iter().map(|r| content(r).and_then(|c| state_cols(&c.state).1)).collect::<Vec<_>>())
        .bind(full.iter().map(|r| r.status).collect::<Vec<_>>())
        .bind(full.iter().map(|r| r.value.map(|(v, _)| big(v, metrics))).collect::<Vec<_>>())
        .bind(full.iter().map(|r| r.value.map(|(_, w)| big(w, metrics))).collect::<Vec<_>>())
        .bind(full.iter().map(|r| r.deleted).collect::<Vec<_>>())
        .bind(full.iter().map(|r| cur(r.created_cursor.unwrap_or(r.last_cursor))).collect::<Vec<_>>())
        .bind(full.iter().map(|r| cur(r.last_cursor)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    if !gone.is_empty() {
        n += sqlx::query(
            "UPDATE staked_wal SET deleted = true, status = 'withdrawn', last_cursor = u.c \
             FROM UNNEST($1::bytea[], $2::bigint[]) AS u(id, c) WHERE staked_wal.object_id = u.id",
        )
        .bind(gone.iter().map(|r| r.object_id).collect::<Vec<_>>())
        .bind(gone.iter().map(|r| cur(r.last_cursor)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    Ok(n)
}

async fn write_caps(tx: &mut Tx<'_>, batch: &Batch) -> Result<u64, StoreError> {
    let mut n = 0;
    let full: Vec<_> = batch
        .caps
        .values()
        .filter(|r| r.content.is_some())
        .collect();
    let gone: Vec<_> = batch
        .caps
        .values()
        .filter(|r| r.content.is_none() && r.deleted)
        .collect();
    if !full.is_empty() {
        n += sqlx::query(
            "INSERT INTO node_caps (object_id, node_id, owner, last_epoch_sync_done, deleted, created_cursor, last_cursor) \
             SELECT * FROM UNNEST($1::bytea[], $2::bytea[], $3::bytea[], $4::int[], $5::bool[], $6::bigint[], $7::bigint[]) \
             ON CONFLICT (object_id) DO UPDATE SET node_id = EXCLUDED.node_id, owner = EXCLUDED.owner, \
               last_epoch_sync_done = EXCLUDED.last_epoch_sync_done, deleted = EXCLUDED.deleted, \
               last_cursor = EXCLUDED.last_cursor",
        )
        .bind(full.iter().map(|r| r.object_id).collect::<Vec<_>>())
        .bind(full.iter().map(|r| r.content.map_or([0; 32], |c| c.0)).collect::<Vec<_>>())
        .bind(full.iter().map(|r| r.owner).collect::<Vec<_>>())
        .bind(full.iter().map(|r| r.content.map_or(0, |c| int(c.1))).collect::<Vec<_>>())
        .bind(full.iter().map(|r| r.deleted).collect::<Vec<_>>())
        .bind(full.iter().map(|r| cur(r.created_cursor.unwrap_or(r.last_cursor))).collect::<Vec<_>>())
        .bind(full.iter().map(|r| cur(r.last_cursor)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    if !gone.is_empty() {
        n += sqlx::query(
            "UPDATE node_caps SET deleted = true, last_cursor = u.c \
             FROM UNNEST($1::bytea[], $2::bigint[]) AS u(id, c) WHERE node_caps.object_id = u.id",
        )
        .bind(gone.iter().map(|r| r.object_id).collect::<Vec<_>>())
        .bind(gone.iter().map(|r| cur(r.last_cursor)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    Ok(n)
}

async fn write_pools(tx: &mut Tx<'_>, batch: &Batch, metrics: &Metrics) -> Result<u64, StoreError> {
    let mut n = 0;
    if !batch.pools.is_empty() {
        let p = &batch.pools;
        let info = |e: &PoolEntry| e.pool.node_info.clone();
        let metadata = |e: &PoolEntry| e.metadata.clone();
        n += sqlx::query(
            "INSERT INTO pools (node_id, name, network_address, public_key, next_epoch_public_key, network_public_key, \
               image_url, project_url, description, extra_fields, storage_price_vote, write_price_vote, \
               node_capacity_vote, commission_rate, pending_commission_rate, activation_epoch, latest_epoch, \
               wal_balance, num_shares, pending_stake, pending_shares_withdraw, pre_active_withdrawals, rewards_pool, \
               commission, commission_receiver, governance_authorized, exchange_rates_id, bcs, stake_next_epoch, \
               stake_after_next_epoch, state, shards, next_shards, in_active_set, apy, created_cursor, last_cursor, \
               metadata_bcs) \
             SELECT node_id, name, addr, pk, npk, netpk, img, proj, descr, extra::jsonb, spv::numeric, wpv::numeric, \
               ncv::numeric, cr, pcr::jsonb, ae, le, wb, ns::numeric, ps::jsonb, psw::jsonb, paw::jsonb, rp, comm, \
               crcv::jsonb, gov::jsonb, erid, bcs, sne, sane, st, sh, nsh, ias, apy, cc, lc, mb \
             FROM UNNEST($1::bytea[], $2::text[], $3::text[], $4::bytea[], $5::bytea[], $6::bytea[], $7::text[], \
               $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::int[], $15::text[], \
               $16::int[], $17::int[], $18::bigint[], $19::text[], $20::text[], $21::text[], $22::text[], \
               $23::bigint[], $24::bigint[], $25::text[], $26::text[], $27::bytea[], $28::bytea[], $29::bigint[], \
               $30::bigint[], $31::text[], $32::int[], $33::int[], $34::bool[], $35::float8[], $36::bigint[], \
               $37::bigint[], $38::bytea[]) \
             AS u(node_id, name, addr, pk, npk, netpk, img, proj, descr, extra, spv, wpv, ncv, cr, pcr, ae, le, wb, \
               ns, ps, psw, paw, rp, comm, crcv, gov, erid, bcs, sne, sane, st, sh, nsh, ias, apy, cc, lc, mb) \
             ON CONFLICT (node_id) DO UPDATE SET name = EXCLUDED.name, network_address = EXCLUDED.network_address, \
               public_key = EXCLUDED.public_key, next_epoch_public_key = EXCLUDED.next_epoch_public_key, \
               network_public_key = EXCLUDED.network_public_key, image_url = EXCLUDED.image_url, \
               project_url = EXCLUDED.project_url, description = EXCLUDED.description, \
               extra_fields = EXCLUDED.extra_fields, storage_price_vote = EXCLUDED.storage_price_vote, \
               write_price_vote = EXCLUDED.write_price_vote, node_capacity_vote = EXCLUDED.node_capacity_vote, \
               commission_rate = EXCLUDED.commission_rate, pending_commission_rate = EXCLUDED.pending_commission_rate, \
               activation_epoch = EXCLUDED.activation_epoch, latest_epoch = EXCLUDED.latest_epoch, \
               wal_balance = EXCLUDED.wal_balance, num_shares = EXCLUDED.num_shares, \
               pending_stake = EXCLUDED.pending_stake, pending_shares_withdraw = EXCLUDED.pending_shares_withdraw, \
               pre_active_withdrawals = EXCLUDED.pre_active_withdrawals, rewards_pool = EXCLUDED.rewards_pool, \
               commission = EXCLUDED.commission, commission_receiver = EXCLUDED.commission_receiver, \
               governance_authorized = EXCLUDED.governance_authorized, exchange_rates_id = EXCLUDED.exchange_rates_id, \
               bcs = EXCLUDED.bcs, stake_next_epoch = EXCLUDED.stake_next_epoch, \
               stake_after_next_epoch = EXCLUDED.stake_after_next_epoch, state = EXCLUDED.state, \
               shards = EXCLUDED.shards, next_shards = EXCLUDED.next_shards, in_active_set = EXCLUDED.in_active_set, \
               apy = EXCLUDED.apy, last_cursor = EXCLUDED.last_cursor, \
               metadata_bcs = EXCLUDED.metadata_bcs",
        )
        .bind(p.iter().map(|e| e.pool.id.0).collect::<Vec<_>>())
        .bind(p.iter().map(|e| info(e).name).collect::<Vec<_>>())
        .bind(p.iter().map(|e| info(e).network_address).collect::<Vec<_>>())
        .bind(p.iter().map(|e| info(e).public_key).collect::<Vec<_>>())
        .bind(p.iter().map(|e| info(e).next_epoch_public_key.map(|k| k.0)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| info(e).network_public_key).collect::<Vec<_>>())
        .bind(p.iter().map(|e| metadata(e).image_url).collect::<Vec<_>>())
        .bind(p.iter().map(|e| metadata(e).project_url).collect::<Vec<_>>())
        .bind(p.iter().map(|e| metadata(e).description).collect::<Vec<_>>())
        .bind(p.iter().map(|e| {
            let map: serde_json::Map<String, serde_json::Value> = metadata(e)
                .extra_fields
                .contents
                .into_iter()
                .map(|x| (x.key, serde_json::Value::String(x.value)))
                .collect();
            serde_json::Value::Object(map).to_string()
        }).collect::<Vec<_>>())
        .bind(p.iter().map(|e| numeric(e.pool.voting_params.storage_price)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| numeric(e.pool.voting_params.write_price)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| numeric(e.pool.voting_params.node_capacity)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| i32::from(e.pool.commission_rate)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| pending_json(&e.pool.pending_commission_rate)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| int(e.pool.activation_epoch)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| int(e.pool.latest_epoch)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| big(e.pool.wal_balance, metrics)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| numeric(e.pool.num_shares)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| pending_json(&e.pool.pending_stake)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| pending_json(&e.pool.pending_shares_withdraw)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| pending_json(&e.pool.pre_active_withdrawals)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| big(e.pool.rewards_pool, metrics)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| big(e.pool.commission, metrics)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| json(&e.pool.commission_receiver)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| json(&e.pool.governance_authorized)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| e.pool.exchange_rates.id.0).collect::<Vec<_>>())
        .bind(p.iter().map(|e| e.bcs.as_slice()).collect::<Vec<_>>())
        .bind(p.iter().map(|e| opt_big(e.derived.stake_next, metrics)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| opt_big(e.derived.stake_after_next, metrics)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| e.derived.state.as_str()).collect::<Vec<_>>())
        .bind(p.iter().map(|e| int(e.derived.shards)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| opt_int(e.derived.next_shards)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| e.derived.in_active_set).collect::<Vec<_>>())
        .bind(p.iter().map(|e| e.derived.apy).collect::<Vec<_>>())
        .bind(p.iter().map(|e| cur(e.created_cursor)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| cur(e.last_cursor)).collect::<Vec<_>>())
        .bind(p.iter().map(|e| bcs::to_bytes(&e.metadata).unwrap_or_default()).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    if !batch.rates.is_empty() {
        let r = &batch.rates;
        let amounts = |rate: &PoolExchangeRate| match *rate {
            PoolExchangeRate::Flat => ("0".to_owned(), "0".to_owned()),
            PoolExchangeRate::Variable {
                wal_amount,
                share_amount,
            } => (wal_amount.to_string(), share_amount.to_string()),
        };
        n += sqlx::query(
            "INSERT INTO pool_exchange_rates (node_id, epoch, flat, wal_amount, share_amount, rate, apy, last_cursor) \
             SELECT n, e, f, w::numeric, s::numeric, r, a, c \
             FROM UNNEST($1::bytea[], $2::int[], $3::bool[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::bigint[]) \
             AS u(n, e, f, w, s, r, a, c) \
             ON CONFLICT (node_id, epoch) DO UPDATE SET flat = EXCLUDED.flat, wal_amount = EXCLUDED.wal_amount, \
               share_amount = EXCLUDED.share_amount, rate = EXCLUDED.rate, apy = EXCLUDED.apy, last_cursor = EXCLUDED.last_cursor",
        )
        .bind(r.iter().map(|x| x.node_id).collect::<Vec<_>>())
        .bind(r.iter().map(|x| int(x.epoch)).collect::<Vec<_>>())
        .bind(r.iter().map(|x| matches!(x.rate, PoolExchangeRate::Flat)).collect::<Vec<_>>())
        .bind(r.iter().map(|x| amounts(&x.rate).0).collect::<Vec<_>>())
        .bind(r.iter().map(|x| amounts(&x.rate).1).collect::<Vec<_>>())
        .bind(r.iter().map(|x| derive::rate_value(&x.rate)).collect::<Vec<_>>())
        .bind(r.iter().map(|x| x.apy).collect::<Vec<_>>())
        .bind(r.iter().map(|x| cur(x.cursor)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    if !batch.pool_epochs.is_empty() {
        let keys: Vec<_> = batch.pool_epochs.keys().collect();
        let rows: Vec<_> = batch.pool_epochs.values().collect();
        n += sqlx::query(
            "INSERT INTO pool_epochs (node_id, epoch, stake, rewards, commission, commission_rate, shards, last_cursor) \
             SELECT * FROM UNNEST($1::bytea[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::int[], \
               $7::int[], $8::bigint[]) \
             ON CONFLICT (node_id, epoch) DO UPDATE SET stake = COALESCE(EXCLUDED.stake, pool_epochs.stake), \
               rewards = COALESCE(EXCLUDED.rewards, pool_epochs.rewards), \
               commission = COALESCE(EXCLUDED.commission, pool_epochs.commission), \
               commission_rate = COALESCE(EXCLUDED.commission_rate, pool_epochs.commission_rate), \
               shards = COALESCE(EXCLUDED.shards, pool_epochs.shards), \
               last_cursor = GREATEST(EXCLUDED.last_cursor, pool_epochs.last_cursor)",
        )
        .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
        .bind(keys.iter().map(|k| int(k.1)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| opt_big(r.stake, metrics)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| opt_big(r.rewards, metrics)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| opt_big(r.commission, metrics)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.commission_rate.map(i32::from)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| opt_int(r.shards)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| cur(r.last_cursor)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    Ok(n)
}

async fn write_epochs(
    tx: &mut Tx<'_>,
    batch: &Batch,
    metrics: &Metrics,
) -> Result<u64, StoreError> {
    let mut n = 0;
    if !batch.epochs.is_empty() {
        let e = &batch.epochs;
        n += sqlx::query(
            "INSERT INTO epochs (epoch, start_ms, start_cursor, change_done_ms, change_done_cursor, params_selected_ms, \
               params_selected_cursor, storage_price, write_price, total_capacity, used_capacity, n_shards, \
               epoch_duration_ms, total_stake, rewards_total, commission_total, epoch_state, last_cursor) \
             SELECT e, sm, sc, dm, dc, pm, pc, sp::numeric, wp::numeric, tc::numeric, uc::numeric, ns, ed, ts, rt, ct, es, lc \
             FROM UNNEST($1::int[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], \
               $8::text[], $9::text[], $10::text[], $11::text[], $12::int[], $13::bigint[], $14::bigint[], $15::bigint[], \
               $16::bigint[], $17::text[], $18::bigint[]) \
             AS u(e, sm, sc, dm, dc, pm, pc, sp, wp, tc, uc, ns, ed, ts, rt, ct, es, lc) \
             ON CONFLICT (epoch) DO UPDATE SET start_ms = EXCLUDED.start_ms, start_cursor = EXCLUDED.start_cursor, \
               change_done_ms = EXCLUDED.change_done_ms, change_done_cursor = EXCLUDED.change_done_cursor, \
               params_selected_ms = EXCLUDED.params_selected_ms, params_selected_cursor = EXCLUDED.params_selected_cursor, \
               storage_price = EXCLUDED.storage_price, write_price = EXCLUDED.write_price, \
               total_capacity = EXCLUDED.total_capacity, used_capacity = EXCLUDED.used_capacity, \
               n_shards = EXCLUDED.n_shards, epoch_duration_ms = EXCLUDED.epoch_duration_ms, \
               total_stake = EXCLUDED.total_stake, rewards_total = EXCLUDED.rewards_total, \
               commission_total = EXCLUDED.commission_total, epoch_state = EXCLUDED.epoch_state, \
               last_cursor = EXCLUDED.last_cursor",
        )
        .bind(e.iter().map(|r| int(r.epoch)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.start_ms.map(cur)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.start_cursor.map(cur)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.change_done_ms.map(cur)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.change_done_cursor.map(cur)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.params_selected_ms.map(cur)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.params_selected_cursor.map(cur)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| opt_numeric(r.storage_price)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| opt_numeric(r.write_price)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| opt_numeric(r.total_capacity)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| opt_numeric(r.used_capacity)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.n_shards.map(i32::from)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.epoch_duration_ms.map(cur)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| opt_big(r.total_stake, metrics)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| opt_big(r.rewards_total, metrics)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| opt_big(r.commission_total, metrics)).collect::<Vec<_>>())
        .bind(e.iter().map(|r| r.epoch_state.as_deref()).collect::<Vec<_>>())
        .bind(e.iter().map(|r| cur(r.last_cursor)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    if !batch.committee.is_empty() {
        let c = &batch.committee;
        n += sqlx::query(
            "INSERT INTO committee_members (epoch, node_id, shards, weight, public_key, stake, last_cursor) \
             SELECT e, n, (SELECT array_agg(x::int) FROM jsonb_array_elements_text(s::jsonb) AS x), w, pk, st, lc \
             FROM UNNEST($1::int[], $2::bytea[], $3::text[], $4::int[], $5::bytea[], $6::bigint[], $7::bigint[]) \
             AS u(e, n, s, w, pk, st, lc) \
             ON CONFLICT (epoch, node_id) DO NOTHING",
        )
        .bind(c.iter().map(|r| int(r.epoch)).collect::<Vec<_>>())
        .bind(c.iter().map(|r| r.node_id).collect::<Vec<_>>())
        .bind(c.iter().map(|r| json(&r.shards)).collect::<Vec<_>>())
        .bind(c.iter().map(|r| i32::try_from(r.shards.len()).unwrap_or(i32::MAX)).collect::<Vec<_>>())
        .bind(c.iter().map(|r| r.public_key.as_deref()).collect::<Vec<_>>())
        .bind(c.iter().map(|r| opt_big(r.stake, metrics)).collect::<Vec<_>>())
        .bind(c.iter().map(|r| cur(r.cursor)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    if !batch.chain_state.is_empty() {
        let s = &batch.chain_state;
        n += sqlx::query(
            "INSERT INTO chain_state (key, bcs, last_cursor) \
             SELECT * FROM UNNEST($1::text[], $2::bytea[], $3::bigint[]) \
             ON CONFLICT (key) DO UPDATE SET bcs = EXCLUDED.bcs, last_cursor = EXCLUDED.last_cursor",
        )
        .bind(s.iter().map(|r| r.0).collect::<Vec<_>>())
        .bind(s.iter().map(|r| r.1.as_slice()).collect::<Vec<_>>())
        .bind(s.iter().map(|r| cur(r.2)).collect::<Vec<_>>())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    Ok(n)
}

/// The epoch-wide updates at the start of `sweep.epoch`: blobs that expire now, the aggregates
/// of their blob ids, and every live position's status, value and reward.
async fn sweep_epoch(
    tx: &mut Tx<'_>,
    sweep: &crate::build::EpochSweep,
    metrics: &Metrics,
) -> Result<u64, StoreError> {
    let mut n = 0;
    let epoch = int(sweep.epoch);
    let c = cur(sweep.cursor);
    let expiring: Vec<Vec<u8>> = sqlx::query_scalar(
        "WITH expired AS ( \
           UPDATE blobs SET status = 'expired', last_cursor = GREATEST(last_cursor, $2) \
           WHERE end_epoch = $1 AND status IN ('registered', 'certified') RETURNING 1 \
         ) \
         SELECT DISTINCT blob_id FROM blobs WHERE end_epoch = $1 AND NOT deleted",
    )
    .bind(epoch)
    .bind(c)
    .fetch_all(&mut **tx)
    .await?;
    if !expiring.is_empty() {
        let ids: Vec<Bytes32> = expiring
            .into_iter()
            .map(|v| bytes32(v, "blob_id"))
            .collect::<Result<_, _>>()?;
        let cursors = vec![c; ids.len()];
        n += recompute_blob_status(tx, &ids, &cursors, sweep.epoch).await?;
    }

    // Positions: status, value and reward at the new epoch.
    let rows = sqlx::query(
        "SELECT object_id, node_id, principal, activation_epoch, withdraw_epoch, status, value, reward \
         FROM staked_wal WHERE NOT deleted",
    )
    .fetch_all(&mut **tx)
    .await?;
    let empty = PoolRates::default();
    let mut ids = Vec::new();
    let mut statuses = Vec::new();
    let mut values = Vec::new();
    let mut rewards = Vec::new();
    for row in rows {
        let id = bytes32(row.try_get("object_id")?, "object_id")?;
        let node = bytes32(row.try_get("node_id")?, "node_id")?;
        let principal = to_u64(Some(row.try_get("principal")?)).unwrap_or(0);
        let activation = to_u32(Some(row.try_get("activation_epoch")?)).unwrap_or(0);
        let state = match to_u32(row.try_get("withdraw_epoch")?) {
            Some(withdraw_epoch) => StakedWalState::Withdrawing { withdraw_epoch },
            None => StakedWalState::Staked,
        };
        let rates = sweep.rates.get(&node).unwrap_or(&empty);
        let status = derive::position_status(false, &state, activation, sweep.epoch);
        let value = derive::position_value(rates, principal, &state, activation, sweep.epoch);
        let old_status: String = row.try_get("status")?;
        let old_value = to_u64(row.try_get("value")?);
        let old_reward = to_u64(row.try_get("reward")?);
        if old_status != status
            || old_value != value.map(|v| v.0)
            || old_reward != value.map(|v| v.1)
        {
            ids.push(id);
            statuses.push(status);
            values.push(value.map(|v| big(v.0, metrics)));
            rewards.push(value.map(|v| big(v.1, metrics)));
        }
    }
    if !ids.is_empty() {
        n += sqlx::query(
            "UPDATE staked_wal SET status = u.s, value = u.v, reward = u.r, last_cursor = $5 \
             FROM UNNEST($1::bytea[], $2::text[], $3::bigint[], $4::bigint[]) AS u(id, s, v, r) \
             WHERE staked_wal.object_id = u.id",
        )
        .bind(&ids)
        .bind(&statuses)
        .bind(&values)
        .bind(&rewards)
        .bind(c)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    }
    Ok(n)
}

/// Every table of the schema, for dumps and tests.
pub const TABLES: [&str; 15] = [
    "watermarks",
    "transactions",
    "events",
    "object_decode_failures",
    "blobs",
    "blob_status",
    "storage_resources",
    "chain_state",
    "epochs",
    "committee_members",
    "pools",
    "node_caps",
    "pool_exchange_rates",
    "pool_epochs",
    "staked_wal",
];

/// A full, ordered text dump of the indexer's tables (every column of every row), to compare
/// two databases.
pub async fn dump(pool: &PgPool) -> Result<BTreeMap<String, Vec<String>>, StoreError> {
    let mut out = BTreeMap::new();
    for table in TABLES {
        let sql = format!("SELECT t::text AS row FROM {table} t ORDER BY t::text");
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await?;
        out.insert(table.to_owned(), rows);
    }
    Ok(out)
}
