#![allow(clippy::unwrap_used)]
//! Exactly once: an indexer killed in the middle of a batch and restarted (again and again, at
//! different statements of either pipeline, with different batch sizes) ends with exactly the
//! rows of an uninterrupted run, and at every kill the append watermark is at or ahead of the
//! state watermark with the append-only rows exactly up to it; batch boundaries do not change
//! the rows; a database without the append watermark row (written before the append pipeline)
//! continues correctly; two indexers on one database do not corrupt it (the second waits for
//! the writer lock, or exits when told to); a writer with a stale watermark cannot commit, in
//! either pipeline.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use support::{
    assert_same_dump, config, devnet, dump, extra_database, index, scenario, url, watermarks,
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
    // Kill the indexer while it is inside a transaction of one of its two pipelines, at a
    // different statement each time (rows already sent to the server, not committed), then
    // start a new one with another batch size, until the head is reached. (pipeline, statement):
    // `true` is the append pipeline (1 watermark, 2 transactions, 3 events: before COMMIT),
    // `false` the state pipeline (1 watermark, 2 failures, 3 blobs, ... 9 epochs).
    let points = [
        (false, 3usize),
        (true, 1),
        (false, 1),
        (true, 3),
        (false, 5),
        (true, 2),
        (false, 9),
        (false, 7),
        (false, 4),
        (true, 3),
        (false, 2),
        (false, 8),
        (false, 6),
    ];
    let mut kills = [0usize; 2];
    let mut append_ahead = 0;
    for round in 0.. {
        let w = watermarks(&other.url).await;
        w.assert_consistent();
        if w.append > w.state {
            append_ahead += 1;
        }
        if w.state as u64 == head {
            break;
        }
        let (append, statement) = points[round % points.len()];
        // Commits started per pipeline (0: state, 1: append).
        let commits = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let hung = Arc::new(Notify::new());
        let hook: CommitHook = {
            let (commits, hung) = (commits.clone(), hung.clone());
            Arc::new(move |p: CommitPoint| {
                let k = usize::from(p.append);
                if p.statement == 0 {
                    commits[k].fetch_add(1, Ordering::SeqCst);
                }
                // Let one commit of the pipeline through, hang in a later one.
                if p.append == append
                    && p.statement == statement
                    && commits[k].load(Ordering::SeqCst) >= 2
                {
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
                if append {
                    // With the append pipeline stuck, give the state pipeline time to (wrongly)
                    // commit batches the append pipeline has not committed.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                task.abort();
                assert!(task.await.unwrap_err().is_cancelled());
                kills[usize::from(append)] += 1;
            }
            done = &mut task => {
                // The last batches were too few to reach the hanging statement.
                assert_eq!(done.unwrap().unwrap(), head);
            }
        }
    }
    assert!(kills[0] >= 5 && kills[1] >= 2, "only {kills:?} kills");
    // Some restarts began with the append pipeline ahead (its rows for the first batch
    // already committed): the path that skips them was taken.
    assert!(
        append_ahead >= 1,
        "the append pipeline was never ahead at a kill"
    );
    assert_same_dump(&expected, &dump(&other.url).await);
    other.drop().await;
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn a_database_without_the_append_watermark_continues(
    _p: PgPoolOptions,
    options: PgConnectOptions,
) {
    let d = devnet();
    scenario(&d);
    let head = d.ledger().head();
    let reference = url(&options);
    index(d.ledger().clone(), config(&reference), head).await;
    let expected = dump(&reference).await;

    // A database indexed to the middle by an indexer from before the append pipeline: one
    // watermark row, the append-only rows exactly up to it.
    let old = extra_database(&options, "old").await;
    index(d.ledger().clone(), config(&old.url), head / 2).await;
    let pool = PgPool::connect(&old.url).await.unwrap();
    sqlx::query("DELETE FROM watermarks WHERE pipeline = 'walrus:append'")
        .execute(&pool)
        .await
        .unwrap();
    // A new indexer creates the append watermark at the state watermark and goes on.
    index(d.ledger().clone(), config(&old.url), head).await;
    watermarks(&old.url).await.assert_consistent();
    assert_same_dump(&expected, &dump(&old.url).await);

    // An append watermark behind the state watermark is refused (rows would be missing).
    sqlx::query("UPDATE watermarks SET cursor_hi = 3 WHERE pipeline = 'walrus:append'")
        .execute(&pool)
        .await
        .unwrap();
    let mut cfg = config(&old.url);
    cfg.stop_at = Some(head + 10);
    let err = Indexer::new(d.ledger().clone(), cfg)
        .run()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("the append watermark of pipeline walrus (3) is behind its state watermark"),
        "{err}"
    );
    pool.close().await;
    old.drop().await;
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
    // In each pipeline, every third commit attempt fails late (after the watermark update and
    // the rows; the state one: at its last statement, the append one: before COMMIT): each is
    // rolled back and retried.
    let attempts = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let failed = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let hook: CommitHook = {
        let (attempts, failed) = (attempts.clone(), failed.clone());
        Arc::new(move |p: CommitPoint| {
            let k = usize::from(p.append);
            if p.statement == 0 {
                attempts[k].fetch_add(1, Ordering::SeqCst);
            }
            let last = if p.append { 3 } else { 9 };
            if p.statement == last && attempts[k].load(Ordering::SeqCst).is_multiple_of(3) {
                failed[k].fetch_add(1, Ordering::SeqCst);
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
    let failed = [
        failed[0].load(Ordering::SeqCst),
        failed[1].load(Ordering::SeqCst),
    ];
    assert!(
        failed[0] >= 2 && failed[1] >= 2,
        "failures injected: {failed:?}"
    );
    assert_eq!(
        metrics.commit_retries.get(),
        (failed[0] + failed[1]) as u64,
        "{}",
        metrics.render()
    );
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
    let mut batch = Builder::new(IndexState::default()).build(txs, &metrics);
    let append = batch.take_append();
    assert_eq!(append.transactions.len(), 10);
    let pool = PgPool::connect(&url).await.unwrap();
    let err = walrus_indexer::store::commit(&pool, "walrus", 0, &batch, None, &metrics)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::WatermarkMoved { expected: 0, .. }),
        "{err}"
    );
    assert!(!err.is_transient());
    // The same for the append pipeline (its rows would otherwise fail on the primary key,
    // but the watermark is checked first).
    let err = walrus_indexer::store::commit_append(&pool, "walrus", 0, &append, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::WatermarkMoved { pipeline, expected: 0 } if pipeline == "walrus:append"),
        "{err}"
    );
    assert!(!err.is_transient());
    pool.close().await;
    assert_same_dump(&before, &dump(&url).await);
}
