//! Shared test support: a devnet scenario that exercises every event type and object the
//! indexer reads, indexer runs against the test's own database, and table dumps.
#![allow(clippy::unwrap_used, dead_code)] // test code: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::postgres::PgConnectOptions;
use walrus_chain::api::{ChainError, TransactionSource};
use walrus_chain::testing::{StoredBlob, TestDevnet, TestDevnetConfig};
use walrus_chain::types::{Cursor, ObjectId, TransactionRecord};
use walrus_chain::walrus::FROST_PER_WAL;
use walrus_indexer::{Indexer, IndexerConfig, LockMode, Metrics};

/// The URL of a test database.
pub fn url(options: &PgConnectOptions) -> String {
    options.to_url_lossy().to_string()
}

/// Settings for tests: small pages and batches, fast retries.
pub fn config(url: &str) -> IndexerConfig {
    IndexerConfig {
        fetch_page: 50,
        fetch_wait: Duration::from_millis(100),
        max_batch_transactions: 40,
        retry_initial: Duration::from_millis(20),
        retry_max: Duration::from_millis(200),
        lock_poll: Duration::from_millis(100),
        lock: LockMode::Wait,
        max_connections: 2,
        ..IndexerConfig::new(url)
    }
}

/// Indexes `source` up to `head` with `config`; the metrics.
pub async fn index<S: TransactionSource + 'static>(
    source: S,
    mut config: IndexerConfig,
    head: Cursor,
) -> Arc<Metrics> {
    config.stop_at = Some(head);
    let indexer = Indexer::new(source, config);
    let metrics = indexer.metrics();
    let watermark = tokio::time::timeout(Duration::from_secs(120), indexer.run())
        .await
        .expect("the indexer did not reach the head in time")
        .unwrap();
    assert_eq!(watermark, head);
    metrics
}

/// A full dump of the indexer's tables.
pub async fn dump(url: &str) -> BTreeMap<String, Vec<String>> {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let out = walrus_indexer::store::dump(&pool).await.unwrap();
    pool.close().await;
    out
}

/// Asserts two dumps are equal, naming the first table and row that differ.
pub fn assert_same_dump(a: &BTreeMap<String, Vec<String>>, b: &BTreeMap<String, Vec<String>>) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (table, rows) in a {
        let other = &b[table];
        if rows != other {
            let first = rows
                .iter()
                .zip(other.iter())
                .position(|(x, y)| x != y)
                .unwrap_or(rows.len().min(other.len()));
            panic!(
                "table {table} differs ({} vs {} rows); first difference at row {first}:\n  {:?}\n  {:?}",
                rows.len(),
                other.len(),
                rows.get(first),
                other.get(first)
            );
        }
    }
}

/// The devnet of the tests: 4 nodes, 10 shards, 1-hour epochs.
pub fn devnet() -> TestDevnet {
    TestDevnet::new(TestDevnetConfig::default()).unwrap()
}

/// What [`scenario`] did.
#[derive(Debug)]
pub struct Scenario {
    /// Permanent, certified, extended, with attributes.
    pub permanent: StoredBlob,
    /// A second object of the same blob id, deletable, certified.
    pub same_id: StoredBlob,
    /// Deletable, certified, then deleted.
    pub deleted: StoredBlob,
    /// Registered only (never certified).
    pub registered: StoredBlob,
    /// Certified for one epoch: expired after the first epoch change.
    pub expiring: StoredBlob,
    /// Certified then burned.
    pub burned: StoredBlob,
    /// Certified then shared (and funded by nobody).
    pub shared: StoredBlob,
    /// The SharedBlob object.
    pub shared_object: ObjectId,
    /// Registered, then its blob id invalidated.
    pub invalid: StoredBlob,
    /// A storage pool: one permanent certified blob stays, a deletable one is deleted; the
    /// pool is extended.
    pub storage_pool: ObjectId,
    /// A stake that stays.
    pub stake: ObjectId,
    /// A stake that is withdrawn.
    pub withdrawn: ObjectId,
    /// A stake requested for withdrawal, not yet withdrawn.
    pub withdrawing: ObjectId,
    /// Epoch at the end.
    pub final_epoch: u32,
}

/// Runs a scenario with every event type (registered, certified, extension, deleted, invalid,
/// epoch change start/done, shards received, parameters selected, prices, the storage-pool
/// events) and every indexed
/// object (blobs incl. shared and burned, attributes, storage, stakes, pools, caps), over
/// three epoch changes.
pub fn scenario(d: &TestDevnet) -> Scenario {
    let permanent = d.store_blob(0, 1_000, 1, 4, false).unwrap();
    d.set_attribute(0, permanent.object_id, "content-type", "text/plain")
        .unwrap();
    d.set_attribute(0, permanent.object_id, "name", "a.txt")
        .unwrap();
    d.remove_attribute(0, permanent.object_id, "name").unwrap();
    d.extend_blob(0, permanent.object_id, 2).unwrap();
    let same_id = d.store_blob(1, 1_000, 1, 2, true).unwrap();
    let deleted = d.store_blob(0, 2_000, 2, 3, true).unwrap();
    d.set_attribute(0, deleted.object_id, "k", "v").unwrap();
    d.delete_blob(0, deleted.object_id).unwrap();
    let registered = d.register_blob(1, 3_000, 3, 5, true).unwrap();
    let expiring = d.store_blob(1, 500, 4, 1, false).unwrap();
    let burned = d.store_blob(1, 600, 5, 3, false).unwrap();
    d.burn_blob(1, burned.object_id).unwrap();
    let shared = d.store_blob(2, 700, 6, 3, false).unwrap();
    let shared_object = d.share_blob(2, shared.object_id).unwrap();
    let invalid = d.register_blob(2, 800, 7, 3, false).unwrap();
    d.invalidate_blob_id(2, invalid.blob_id).unwrap();
    let epoch = d.system().unwrap().committee.epoch;
    d.update_protocol_version(epoch + 1, 2).unwrap();
    d.update_deny_list(1, 4096, [7; 32]).unwrap();
    d.delete_deny_listed_blob(2, invalid.blob_id).unwrap();
    // A storage pool with a certified blob and a deleted one, extended.
    let storage_pool = d.create_storage_pool(0, 10 << 20, 3).unwrap();
    let pooled = d
        .register_pooled_blob(0, storage_pool, 1_000, 10, false)
        .unwrap();
    d.certify_pooled_blob(0, storage_pool, &pooled, false)
        .unwrap();
    let pooled_deleted = d
        .register_pooled_blob(0, storage_pool, 1_000, 11, true)
        .unwrap();
    d.certify_pooled_blob(0, storage_pool, &pooled_deleted, true)
        .unwrap();
    d.delete_pooled_blob(0, storage_pool, pooled_deleted.blob_id)
        .unwrap();
    d.extend_storage_pool(0, storage_pool, 2).unwrap();
    // An unused storage resource and stakes.
    d.reserve(2, 1 << 20, 2).unwrap();
    let stake = d.stake(0, 0, 5 * FROST_PER_WAL).unwrap();
    let withdrawn = d.stake(1, 1, 3 * FROST_PER_WAL).unwrap();
    let withdrawing = d.stake(1, 2, 2 * FROST_PER_WAL).unwrap();

    assert_eq!(d.advance_epoch().unwrap(), 2);
    // Active from epoch 2; request before voting_end: withdrawable at epoch 3.
    d.request_withdraw(1, withdrawn).unwrap();
    let extra = d.store_blob(0, 900, 8, 3, false).unwrap();
    d.extend_blob(0, extra.object_id, 1).unwrap();
    assert_eq!(d.advance_epoch().unwrap(), 3);
    d.withdraw(1, withdrawn).unwrap();
    d.request_withdraw(1, withdrawing).unwrap();
    d.store_blob(2, 1_200, 9, 2, true).unwrap();
    assert_eq!(d.advance_epoch().unwrap(), 4);
    Scenario {
        permanent,
        same_id,
        deleted,
        registered,
        expiring,
        burned,
        shared,
        shared_object,
        invalid,
        storage_pool,
        stake,
        withdrawn,
        withdrawing,
        final_epoch: 4,
    }
}

/// A source that changes records on their way to the indexer (bad-input tests).
pub struct Tamper<S> {
    /// The real source.
    pub inner: S,
    /// Applied to every record read.
    pub edit: Arc<dyn Fn(&mut TransactionRecord) + Send + Sync>,
}

impl<S: TransactionSource> TransactionSource for Tamper<S> {
    async fn read_transactions(
        &self,
        after: Cursor,
        limit: usize,
        wait: Duration,
    ) -> Result<Vec<TransactionRecord>, ChainError> {
        let mut records = self.inner.read_transactions(after, limit, wait).await?;
        for r in &mut records {
            (self.edit)(r);
        }
        Ok(records)
    }

    async fn head(&self) -> Result<Cursor, ChainError> {
        self.inner.head().await
    }
}

/// A source that fails every other read for a while (source outage tests).
pub struct Flaky<S> {
    /// The real source.
    pub inner: S,
    /// Reads left to fail.
    pub failures: Mutex<u32>,
}

impl<S: TransactionSource> TransactionSource for Flaky<S> {
    async fn read_transactions(
        &self,
        after: Cursor,
        limit: usize,
        wait: Duration,
    ) -> Result<Vec<TransactionRecord>, ChainError> {
        {
            let mut left = self.failures.lock().unwrap();
            if *left > 0 {
                *left -= 1;
                return Err(ChainError::Unavailable("injected outage".into()));
            }
        }
        self.inner.read_transactions(after, limit, wait).await
    }

    async fn head(&self) -> Result<Cursor, ChainError> {
        self.inner.head().await
    }
}

/// A second database on the test's server (dropped by [`ExtraDb::drop`]).
pub struct ExtraDb {
    /// Its URL.
    pub url: String,
    admin: PgConnectOptions,
    name: String,
}

/// Creates another database for this test (named from the test database's unique tail and
/// `suffix`; PostgreSQL truncates names at 63 bytes, so the name is kept short and checked to
/// differ from the test database's).
pub async fn extra_database(options: &PgConnectOptions, suffix: &str) -> ExtraDb {
    use sqlx::Connection;
    let base = options.get_database().unwrap();
    let tail: String = base
        .chars()
        .rev()
        .take(24)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let name = format!("wi_{suffix}_{tail}").to_lowercase();
    assert!(name.len() <= 63 && name != base, "{name}");
    let admin = options.clone().database("postgres");
    let mut conn = sqlx::PgConnection::connect_with(&admin).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .unwrap();
    let url = url(&options.clone().database(&name));
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    walrus_indexer::store::MIGRATOR.run(&pool).await.unwrap();
    pool.close().await;
    ExtraDb { url, admin, name }
}

impl ExtraDb {
    /// Drops the database.
    pub async fn drop(self) {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect_with(&self.admin).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )))
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

/// Terminates every session on database `name` except the caller's (what a server restart
/// does to a client); the number terminated.
pub async fn kill_sessions(options: &PgConnectOptions, name: &str) -> i64 {
    use sqlx::Connection;
    let admin = options.clone().database("postgres");
    let mut conn = sqlx::PgConnection::connect_with(&admin).await.unwrap();
    sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(name)
    .fetch_one(&mut conn)
    .await
    .unwrap()
}

/// The two watermarks of pipeline `walrus` and the highest cursors stored in the append-only
/// tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermarks {
    /// The state pipeline's watermark (what readers use).
    pub state: i64,
    /// The append pipeline's watermark (`walrus:append`).
    pub append: i64,
    /// `max(cursor)` of `transactions` (0 when empty).
    pub max_transaction: i64,
    /// `max(cursor)` of `events` (0 when empty).
    pub max_event: i64,
    /// `count(*)` of `transactions`.
    pub transactions: i64,
}

impl Watermarks {
    /// Asserts what must hold at any moment, a kill included: the append watermark is never
    /// behind the state watermark, and no append-only row lies beyond the append watermark.
    pub fn assert_consistent(&self) {
        assert!(self.append >= self.state, "append behind state: {self:?}");
        assert!(
            self.max_transaction == self.append
                && self.transactions == self.append
                && self.max_event <= self.append,
            "the append-only rows are not exactly those up to the append watermark: {self:?}"
        );
    }
}

/// The watermarks of pipeline `walrus` and the highest stored cursors, in one snapshot.
pub async fn watermarks(url: &str) -> Watermarks {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let (state, append, max_transaction, max_event, transactions): (
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        i64,
    ) = sqlx::query_as(
        "SELECT (SELECT cursor_hi FROM watermarks WHERE pipeline = 'walrus'), \
                (SELECT cursor_hi FROM watermarks WHERE pipeline = 'walrus:append'), \
                (SELECT max(cursor) FROM transactions), (SELECT max(cursor) FROM events), \
                (SELECT count(*) FROM transactions)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    Watermarks {
        state: state.unwrap_or(0),
        append: append.unwrap_or(0),
        max_transaction: max_transaction.unwrap_or(0),
        max_event: max_event.unwrap_or(0),
        transactions,
    }
}

/// A TCP proxy in front of the database that can be cut (every connection dropped, new ones
/// refused) and restored: the database "goes away and comes back" as the indexer sees it.
pub struct Proxy {
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    down: Arc<std::sync::atomic::AtomicBool>,
    generation: tokio::sync::watch::Sender<u64>,
    /// Connections accepted.
    pub accepted: Arc<std::sync::atomic::AtomicU64>,
}

impl Proxy {
    /// A proxy to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> Self {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicU64::new(0));
        let (generation, _) = tokio::sync::watch::channel(0u64);
        let (d, a, g) = (down.clone(), accepted.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if d.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                a.fetch_add(1, Ordering::SeqCst);
                let mut cut = g.subscribe();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self {
            port,
            down,
            generation,
            accepted,
        }
    }

    /// Drops every connection and refuses new ones (callable from sync code).
    pub fn cut(&self) {
        self.down.store(true, std::sync::atomic::Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    /// Accepts connections again.
    pub fn restore(&self) {
        self.down.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}
