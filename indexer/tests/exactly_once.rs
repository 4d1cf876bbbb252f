#![allow(clippy::unwrap_used)]
//! Exactly once: an indexer killed in the middle of a batch and restarted (again and again, at
//! different statements, with different batch sizes) ends with exactly the rows of an
//! uninterrupted run; batch boundaries do not change the rows; two indexers on one database
//! do not corrupt it (the second waits for the writer lock, or exits when told to); a writer
//! with a stale watermark cannot commit.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use support::{
    assert_same_dump, config, devnet, dump, extra_database, index, scenario, url,
    watermark_and_max_cursor,
};
use tokio::sync::Notify;
use walrus_indexer::build::{Builder, IndexState};
use walrus_indexer::{
    CommitHook, CommitPoint, FaultAction, Indexer, IndexerError, LockMode, Metrics, StoreError,
};

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn killed_mid_batch_and_restarted_equals_an_uninterrupted_run(
    _p: PgPoolOptions,
    options: PgConnectOptions,
) {
    let d = devnet();
    scenario(&d);
    let head = d.ledger().head();
    let reference = url(&options);
    index(d.ledger().clone(), config(&reference), head).await;
    let expected = dump(&reference).await;

    let other = extra_database(&options, "killed").await;
    // Kill the indexer while it is inside a batch's transaction, at a different statement each
    // time (rows of the batch already sent to the server, watermark not yet moved), then start
    // a new one with another batch size, until the head is reached.
    let mut kills = 0;
    for round in 0.. {
        let (watermark, max_cursor) = watermark_and_max_cursor(&other.url).await;
        assert_eq!(
            watermark, max_cursor,
            "no row beyond the watermark after a kill"
        );
        if watermark as u64 == head {
            break;
        }
        let statement = [3usize, 1, 5, 9, 11, 7, 4, 10, 2, 6, 8][round % 11];
        let commits = Arc::new(AtomicUsize::new(0));
        let hung = Arc::new(Notify::new());
        let hook: CommitHook = {
            let (commits, hung) = (commits.clone(), hung.clone());
            Arc::new(move |p: CommitPoint| {
                // Let one batch through, hang in the second.
                if p.statement == 0 && commits.fetch_add(1, Ordering::SeqCst) == 1 {
                    return FaultAction::Continue;
                }
                if commits.load(Ordering::SeqCst) >= 2 && p.statement == statement {
                    hung.notify_one();
                    return FaultAction::Hang;
                }
                FaultAction::Continue
            })
        };
        let mut cfg = config(&other.url);
        cfg.max_batch_transactions = 3 + round % 5;
        cfg.stop_at = Some(head);
        let indexer = Indexer::new(d.ledger().clone(), cfg).with_commit_hook(hook);
        let mut task = tokio::spawn(indexer.run());
        tokio::select! {
            () = hung.notified() => {
                task.abort();
                assert!(task.await.unwrap_err().is_cancelled());
                kills += 1;
            }
            done = &mut task => {
                // The last batches were too few to reach the hanging statement.
                assert_eq!(done.unwrap().unwrap(), head);
            }
        }
    }
    assert!(kills >= 5, "only {kills} kills");
    assert_same_dump(&expected, &dump(&other.url).await);
    other.drop().await;
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn transient_failures_retry_the_same_batch(_p: PgPoolOptions, options: PgConnectOptions) {
    let d = devnet();
    scenario(&d);
    let head = d.ledger().head();
    let reference = url(&options);
    index(d.ledger().clone(), config(&reference), head).await;
    let expected = dump(&reference).await;

    let other = extra_database(&options, "retried").await;
    // Every third commit attempt fails late (after the watermark update and the rows): each is
    // rolled back and retried.
    let attempts = Arc::new(AtomicUsize::new(0));
    let hook: CommitHook = {
        let attempts = attempts.clone();
        Arc::new(move |p: CommitPoint| {
            if p.statement == 0 {
                attempts.fetch_add(1, Ordering::SeqCst);
            }
            if p.statement == 11 && attempts.load(Ordering::SeqCst).is_multiple_of(3) {
                FaultAction::Fail
            } else {
                FaultAction::Continue
            }
        })
    };
    let mut cfg = config(&other.url);
    cfg.max_batch_transactions = 6;
    cfg.stop_at = Some(head);
    let indexer = Indexer::new(d.ledger().clone(), cfg).with_commit_hook(hook);
    let metrics = indexer.metrics();
    assert_eq!(indexer.run().await.unwrap(), head);
    assert!(metrics.commit_retries.get() >= 3, "{}", metrics.render());
    assert_eq!(metrics.transactions.get(), head);
    assert_same_dump(&expected, &dump(&other.url).await);
    other.drop().await;
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn batch_boundaries_do_not_change_the_rows(_p: PgPoolOptions, options: PgConnectOptions) {
    let d = devnet();
    scenario(&d);
    let head = d.ledger().head();
    let one = url(&options);
    let mut cfg = config(&one);
    cfg.max_batch_transactions = 1;
    index(d.ledger().clone(), cfg, head).await;

    let other = extra_database(&options, "big").await;
    let mut cfg = config(&other.url);
    cfg.max_batch_transactions = 10_000;
    cfg.fetch_page = 10_000;
    cfg.batch_linger = Duration::from_millis(200);
    let metrics = index(d.ledger().clone(), cfg, head).await;
    // Batches end at epoch changes only.
    assert!(metrics.batches.get() <= 5, "{}", metrics.batches.get());
    assert_same_dump(&dump(&one).await, &dump(&other.url).await);
    other.drop().await;
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn two_indexers_on_one_database(_p: PgPoolOptions, options: PgConnectOptions) {
    let d = devnet();
    scenario(&d);
    let head = d.ledger().head();
    let reference = url(&options);
    index(d.ledger().clone(), config(&reference), head).await;
    let expected = dump(&reference).await;

    // Started together: one takes the lock and indexes, the other waits, then finds the work
    // done. The rows are those of a single run.
    let shared = extra_database(&options, "shared").await;
    let make = || {
        let mut cfg = config(&shared.url);
        cfg.stop_at = Some(head);
        cfg.max_batch_transactions = 5;
        Indexer::new(d.ledger().clone(), cfg)
    };
    let (a, b) = (make(), make());
    let (ma, mb) = (a.metrics(), b.metrics());
    let (ra, rb) = tokio::join!(a.run(), b.run());
    assert_eq!((ra.unwrap(), rb.unwrap()), (head, head));
    assert_eq!(
        ma.transactions.get() + mb.transactions.get(),
        head,
        "each transaction committed once"
    );
    assert_same_dump(&expected, &dump(&shared.url).await);
    shared.drop().await;

    // With LockMode::Exit the second one stops with a clear error while the first holds the
    // lock (here: hanging inside its first commit).
    let held = extra_database(&options, "held").await;
    let hung = Arc::new(Notify::new());
    let fired = Arc::new(AtomicBool::new(false));
    let hook: CommitHook = {
        let (hung, fired) = (hung.clone(), fired.clone());
        Arc::new(move |p: CommitPoint| {
            if p.statement == 2 && !fired.swap(true, Ordering::SeqCst) {
                hung.notify_one();
                return FaultAction::Hang;
            }
            FaultAction::Continue
        })
    };
    let mut cfg = config(&held.url);
    cfg.stop_at = Some(head);
    let first = tokio::spawn(
        Indexer::new(d.ledger().clone(), cfg.clone())
            .with_commit_hook(hook)
            .run(),
    );
    hung.notified().await;
    let mut exit = cfg.clone();
    exit.lock = LockMode::Exit;
    let err = Indexer::new(d.ledger().clone(), exit)
        .run()
        .await
        .unwrap_err();
    assert!(matches!(err, IndexerError::Locked(_)), "{err}");
    assert!(
        err.to_string()
            .contains("another indexer holds the writer lock"),
        "{err}"
    );
    // The holder dies mid-batch; a waiting indexer then takes over and finishes.
    let waiting = tokio::spawn(Indexer::new(d.ledger().clone(), cfg).run());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "the waiting indexer must not write while the lock is held"
    );
    first.abort();
    assert_eq!(waiting.await.unwrap().unwrap(), head);
    assert_same_dump(&expected, &dump(&held.url).await);
    held.drop().await;
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn a_writer_with_a_stale_watermark_cannot_commit(
    _p: PgPoolOptions,
    options: PgConnectOptions,
) {
    let d = devnet();
    scenario(&d);
    let head = d.ledger().head();
    let url = url(&options);
    index(d.ledger().clone(), config(&url), head).await;
    let before = dump(&url).await;

    // A writer that still believes the watermark is 0 (it lost the lock without noticing).
    let records = d.ledger().read_records(0, 10).unwrap();
    let txs = records
        .into_iter()
        .map(walrus_indexer::decode::decode)
        .collect();
    let metrics = Metrics::default();
    let batch = Builder::new(IndexState::default()).build(txs, &metrics);
    let pool = PgPool::connect(&url).await.unwrap();
    let err = walrus_indexer::store::commit(&pool, "walrus", 0, &batch, None, &metrics)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::WatermarkMoved { expected: 0, .. }),
        "{err}"
    );
    assert!(!err.is_transient());
    pool.close().await;
    assert_same_dump(&before, &dump(&url).await);
}
