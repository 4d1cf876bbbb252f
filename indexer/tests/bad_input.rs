#![allow(clippy::unwrap_used)]
//! Bad input and failures, each handled by the documented rule (see the crate documentation):
//! an event whose BCS does not decode and an event of an unknown type are stored raw, counted
//! and do not stop anything else; an object change that does not decode is stored raw; a source
//! outage is retried; database connections killed in the middle of a batch, or a database that
//! is unreachable for a while, roll the batch back and retry it until it commits, ending with
//! exactly the rows of an undisturbed run.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row};
use support::{
    Flaky, Proxy, Tamper, assert_same_dump, config, devnet, dump, extra_database, index,
    kill_sessions, scenario, url,
};
use walrus_chain::types::{EventRecord, TransactionRecord};
use walrus_indexer::{CommitHook, CommitPoint, FaultAction, Indexer};

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn undecodable_and_unknown_input_is_stored_raw_and_counted(
    _p: PgPoolOptions,
    options: PgConnectOptions,
) {
    let d = devnet();
    let s = scenario(&d);
    let head = d.ledger().head();
    let records = d.ledger().read_records(0, 10_000).unwrap();
    // The first BlobCertified loses its last byte; a ShardsReceived gets an unknown name in
    // the walrus events module; one transaction gets an event of another package; the first
    // Storage change gets truncated contents.
    let truncated = records
        .iter()
        .find(|r| {
            r.events
                .iter()
                .any(|e| e.event_type.ends_with("::BlobCertified"))
        })
        .unwrap()
        .cursor;
    let renamed = records
        .iter()
        .find(|r| {
            r.events
                .iter()
                .any(|e| e.event_type.ends_with("::ShardsReceived"))
        })
        .unwrap()
        .cursor;
    let bad_storage = records
        .iter()
        .find(|r| {
            r.object_changes
                .iter()
                .any(|c| c.object_type.ends_with("::Storage") && c.contents.is_some())
        })
        .unwrap()
        .cursor;
    let extra = 7u64;
    let edit = Arc::new(move |r: &mut TransactionRecord| {
        if r.cursor == truncated {
            let e = r
                .events
                .iter_mut()
                .find(|e| e.event_type.ends_with("::BlobCertified"))
                .unwrap();
            e.bcs.pop();
        }
        if r.cursor == renamed {
            let e = r
                .events
                .iter_mut()
                .find(|e| e.event_type.ends_with("::ShardsReceived"))
                .unwrap();
            e.event_type = e.event_type.replace("ShardsReceived", "ShardsReceivedV9");
        }
        if r.cursor == extra {
            let index = r.events.len() as u32;
            r.events.push(EventRecord {
                event_index: index,
                event_type: "0xabc::other::Thing".into(),
                bcs: vec![1, 2, 3],
            });
        }
        if r.cursor == bad_storage {
            let c = r
                .object_changes
                .iter_mut()
                .find(|c| c.object_type.ends_with("::Storage"))
                .unwrap();
            c.contents.as_mut().unwrap().truncate(5);
        }
    });
    let url = url(&options);
    let source = Tamper {
        inner: d.ledger().clone(),
        edit,
    };
    let metrics = index(source, config(&url), head).await;
    assert_eq!(metrics.event_decode_failures.get(), 1);
    assert_eq!(metrics.unknown_events.get(), 2);
    assert_eq!(metrics.object_decode_failures.get(), 1);
    let text = metrics.render();
    assert!(
        text.contains("walrus_indexer_event_decode_failures_total 1\n"),
        "{text}"
    );
    assert!(
        text.contains("walrus_indexer_unknown_events_total 2\n"),
        "{text}"
    );

    let pool = PgPool::connect(&url).await.unwrap();
    let rows = sqlx::query(
        "SELECT cursor, event_type, event_name, decode_status, decode_error, decoded, bcs \
         FROM events WHERE decode_status <> 'decoded' ORDER BY cursor, event_index",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 3);
    let failed = rows
        .iter()
        .find(|r| r.get::<String, _>("decode_status") == "decode_failed")
        .unwrap();
    assert_eq!(failed.get::<i64, _>("cursor"), truncated as i64);
    assert!(failed.get::<Option<String>, _>("decode_error").is_some());
    assert!(
        failed
            .get::<Option<serde_json::Value>, _>("decoded")
            .is_none()
    );
    let original = records[truncated as usize - 1]
        .events
        .iter()
        .find(|e| e.event_type.ends_with("::BlobCertified"))
        .unwrap();
    assert_eq!(
        failed.get::<Vec<u8>, _>("bcs"),
        original.bcs[..original.bcs.len() - 1].to_vec()
    );
    let unknown: Vec<(i64, String)> = rows
        .iter()
        .filter(|r| r.get::<String, _>("decode_status") == "unknown_type")
        .map(|r| (r.get("cursor"), r.get("event_name")))
        .collect();
    assert_eq!(
        unknown,
        vec![
            (renamed as i64, "events::ShardsReceivedV9".to_owned()),
            (extra as i64, "other::Thing".to_owned())
        ]
    );
    let failure =
        sqlx::query("SELECT cursor, object_type, error, contents FROM object_decode_failures")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(failure.get::<i64, _>("cursor"), bad_storage as i64);
    assert!(failure.get::<String, _>("error").starts_with("Storage"));
    assert_eq!(
        failure.get::<Option<Vec<u8>>, _>("contents").unwrap().len(),
        5
    );

    // Nothing else is missing: every transaction, every event, every blob.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM transactions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n as u64, head);
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    let ledger_events: usize = records.iter().map(|r| r.events.len()).sum();
    assert_eq!(events as usize, ledger_events + 1);
    // The blob whose certification event was lost is still certified: its object says so.
    let status: String = sqlx::query_scalar("SELECT status FROM blobs WHERE object_id = $1")
        .bind(s.permanent.object_id.into_inner().to_vec())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "certified");
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn a_source_outage_is_retried(_p: PgPoolOptions, options: PgConnectOptions) {
    let d = devnet();
    scenario(&d);
    let head = d.ledger().head();
    let reference = url(&options);
    index(d.ledger().clone(), config(&reference), head).await;

    let other = extra_database(&options, "outage").await;
    let source = Flaky {
        inner: d.ledger().clone(),
        failures: std::sync::Mutex::new(5),
    };
    let metrics = index(source, config(&other.url), head).await;
    assert_eq!(metrics.source_retries.get(), 5);
    assert_same_dump(&dump(&reference).await, &dump(&other.url).await);
    other.drop().await;
}

/// Terminates every session of `database` from a thread of its own (the hook that calls it
/// runs inside the indexer's commit and must not await).
fn kill_now(options: &PgConnectOptions, database: &str) -> i64 {
    let (options, database) = (options.clone(), database.to_owned());
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(kill_sessions(&options, &database))
    })
    .join()
    .unwrap()
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn connections_killed_mid_batch_are_retried(_p: PgPoolOptions, options: PgConnectOptions) {
    let d = devnet();
    scenario(&d);
    let head = d.ledger().head();
    let reference = url(&options);
    index(d.ledger().clone(), config(&reference), head).await;

    let other = extra_database(&options, "killed").await;
    let database = other
        .url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    // In the 3rd and 6th commit attempts of the state pipeline, the server terminates every
    // session of the database (the indexer's two transactions and its lock connection) between
    // two statements.
    let attempts = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicUsize::new(0));
    let hook: CommitHook = {
        let (attempts, killed, options) = (attempts.clone(), killed.clone(), options.clone());
        Arc::new(move |p: CommitPoint| {
            if p.statement == 0 && !p.append {
                attempts.fetch_add(1, Ordering::SeqCst);
            }
            let n = attempts.load(Ordering::SeqCst);
            if !p.append && ((n == 3 && p.statement == 4) || (n == 6 && p.statement == 9)) {
                killed.fetch_add(kill_now(&options, &database) as usize, Ordering::SeqCst);
            }
            FaultAction::Continue
        })
    };
    let mut cfg = config(&other.url);
    cfg.max_batch_transactions = 5;
    cfg.stop_at = Some(head);
    let indexer = Indexer::new(d.ledger().clone(), cfg).with_commit_hook(hook);
    let metrics = indexer.metrics();
    assert_eq!(indexer.run().await.unwrap(), head);
    assert!(
        killed.load(Ordering::SeqCst) >= 4,
        "the transaction and lock sessions were killed twice"
    );
    assert!(metrics.commit_retries.get() >= 2, "{}", metrics.render());
    assert_eq!(metrics.transactions.get(), head);
    assert_same_dump(&dump(&reference).await, &dump(&other.url).await);
    other.drop().await;
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn a_database_that_goes_away_and_comes_back(_p: PgPoolOptions, options: PgConnectOptions) {
    let d = devnet();
    scenario(&d);
    let head = d.ledger().head();
    let reference = url(&options);
    index(d.ledger().clone(), config(&reference), head).await;

    let other = extra_database(&options, "away").await;
    let upstream = format!("{}:{}", options.get_host(), options.get_port());
    let proxy = Arc::new(Proxy::start(upstream).await);
    let via_proxy = {
        let name = other
            .url
            .rsplit('/')
            .next()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        url(&options
            .clone()
            .host("127.0.0.1")
            .port(proxy.port)
            .database(&name))
    };
    // In the middle of the 4th commit of the state pipeline the database disappears (every connection dropped, new
    // ones refused) for 1.5 s.
    let attempts = Arc::new(AtomicUsize::new(0));
    let hook: CommitHook = {
        let (attempts, proxy) = (attempts.clone(), proxy.clone());
        Arc::new(move |p: CommitPoint| {
            if p.statement == 0 && !p.append {
                attempts.fetch_add(1, Ordering::SeqCst);
            }
            if !p.append && attempts.load(Ordering::SeqCst) == 4 && p.statement == 6 {
                proxy.cut();
                let proxy = proxy.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(1_500)).await;
                    proxy.restore();
                });
            }
            FaultAction::Continue
        })
    };
    let mut cfg = config(&via_proxy);
    cfg.max_batch_transactions = 5;
    cfg.stop_at = Some(head);
    let indexer = Indexer::new(d.ledger().clone(), cfg).with_commit_hook(hook);
    let metrics = indexer.metrics();
    let started = std::time::Instant::now();
    assert_eq!(indexer.run().await.unwrap(), head);
    // The batch failed, and the indexer waited for the database (taking its lock again)
    // before committing the same batch.
    assert!(started.elapsed() >= Duration::from_millis(1_500));
    assert!(metrics.commit_retries.get() >= 1, "{}", metrics.render());
    assert_eq!(metrics.transactions.get(), head);
    assert_same_dump(&dump(&reference).await, &dump(&other.url).await);
    other.drop().await;
}
