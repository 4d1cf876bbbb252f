//! Backfill and live-tail benchmark of the indexer against PostgreSQL.
//!
//! Run: `DATABASE_URL=$(scripts/pg.sh url) cargo bench -p walrus-indexer --bench backfill --
//! [--events N] [--threads N] [--batch N] [--live-seconds S] [--live-rate TX_PER_S]`
//!
//! 1. Source. A real devnet ledger (`walrus_chain::testing::TestDevnet`: the Walrus machine, signed
//!    transactions, fsynced journal, one genesis node holding all 10 shards so a certificate
//!    is one real BLS signature) receives blob lifecycles from `--threads` concurrent clients:
//!    reserve + register + certify per blob, every 8th blob extended, every 10th (deletable)
//!    deleted, and an epoch change (voting end, epoch change, sync done) every ~100k events,
//!    until the ledger holds `--events` events (default 1,000,000). The ledger directory is
//!    kept under the target directory (`walrus-indexer-bench/ledger-<events>`) and reused by
//!    later runs; it is regenerated when missing or unreadable.
//! 2. Backfill. A fresh database `walrus_indexer_bench` on the server of `DATABASE_URL`; the
//!    indexer reads the ledger in process (`Arc<Ledger>` as its `TransactionSource`: the
//!    records the real machine journaled) from cursor 0 to the head. Reported: wall time,
//!    transactions/s, events/s, rows/s, and the lag when it finished.
//! 3. Live tail. The ledger directory is copied, the indexer keeps running on the backfilled
//!    database, and clients submit new blob lifecycles for `--live-seconds` (default 20) at
//!    about `--live-rate` transactions per second (default 300). Reported: the lag from each
//!    transaction being durable in the ledger to the indexer committing it (p50, p99, max).
#![allow(clippy::unwrap_used)] // a benchmark: a failed unwrap is a failed run

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use sqlx::Connection;
use walrus_chain::testing::{TestDevnet, TestDevnetConfig};
use walrus_chain::walrus::FROST_PER_WAL;
use walrus_indexer::{Indexer, IndexerConfig, LockMode};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn devnet_config(threads: u64) -> TestDevnetConfig {
    TestDevnetConfig {
        nodes: 1,
        n_shards: 10,
        accounts: threads as usize,
        account_funds: 10_000_000 * FROST_PER_WAL,
        node_stake: 1_000 * FROST_PER_WAL,
        snapshot_every: 200_000,
        ..TestDevnetConfig::default()
    }
}

fn target_dir() -> PathBuf {
    // target/<profile>/deps/backfill-<hash> -> target
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .nth(3)
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf)
}

fn count_events(devnet: &TestDevnet) -> u64 {
    let ledger = devnet.ledger();
    let mut after = 0;
    let mut events = 0;
    loop {
        let page = ledger.read_records(after, 10_000).unwrap();
        let Some(last) = page.last() else { break };
        after = last.cursor;
        events += page.iter().map(|r| r.events.len() as u64).sum::<u64>();
    }
    events
}

/// One blob lifecycle by `account`: reserve + register + certify, sometimes extend or delete.
fn lifecycle(devnet: &TestDevnet, account: usize, seed: u64) -> u64 {
    let deletable = seed.is_multiple_of(10);
    let size = 1_000 + seed % 4_000;
    let blob = devnet
        .store_blob(account, size, seed, 50, deletable)
        .unwrap();
    let mut events = 2;
    if seed % 8 == 3 {
        devnet.extend_blob(account, blob.object_id, 1).unwrap();
        events += 1;
    }
    if deletable {
        devnet.delete_blob(account, blob.object_id).unwrap();
        events += 1;
    }
    events
}

fn generate(dir: &Path, target_events: u64, threads: u64) -> TestDevnet {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let devnet = TestDevnet::open(dir, devnet_config(threads)).unwrap();
    let events = AtomicU64::new(count_events(&devnet));
    let epoch_lock = RwLock::new(());
    let next_epoch_at = AtomicU64::new(100_000);
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (devnet, events, epoch_lock, next_epoch_at) =
                (&devnet, &events, &epoch_lock, &next_epoch_at);
            s.spawn(move || {
                let mut i = 0u64;
                while events.load(Ordering::SeqCst) < target_events {
                    let n = {
                        let _guard = epoch_lock.read().unwrap();
                        lifecycle(devnet, t as usize, t * 1_000_000_000 + i)
                    };
                    i += 1;
                    let total = events.fetch_add(n, Ordering::SeqCst) + n;
                    let due = next_epoch_at.load(Ordering::SeqCst);
                    if total >= due
                        && next_epoch_at
                            .compare_exchange(
                                due,
                                due + 100_000,
                                Ordering::SeqCst,
                                Ordering::SeqCst,
                            )
                            .is_ok()
                    {
                        let _guard = epoch_lock.write().unwrap();
                        let before = devnet.ledger().head();
                        devnet.advance_epoch().unwrap();
                        let after = devnet.ledger().head();
                        let added: u64 = devnet
                            .ledger()
                            .read_records(before, 100)
                            .unwrap()
                            .iter()
                            .filter(|r| r.cursor <= after)
                            .map(|r| r.events.len() as u64)
                            .sum();
                        events.fetch_add(added, Ordering::SeqCst);
                    }
                    if t == 0 && i.is_multiple_of(2_000) {
                        let e = events.load(Ordering::SeqCst);
                        eprintln!(
                            "  generated {e} events in {:.0} s ({:.0} events/s)",
                            started.elapsed().as_secs_f64(),
                            e as f64 / started.elapsed().as_secs_f64()
                        );
                    }
                }
            });
        }
    });
    devnet
}

async fn fresh_database(admin_url: &str, name: &str) -> String {
    let mut conn = sqlx::PgConnection::connect(admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let options: sqlx::postgres::PgConnectOptions = admin_url.parse().unwrap();
    sqlx::ConnectOptions::to_url_lossy(&options.database(name)).to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The machine's load average (`/proc/loadavg`), or `?` where there is none.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "?".into(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn main() {
    let target_events = arg("--events", 1_000_000);
    let threads = arg("--threads", 16);
    let batch = arg("--batch", 20_000) as usize;
    let live_seconds = arg("--live-seconds", 20);
    let live_rate = arg("--live-rate", 300);
    let admin_url =
        std::env::var("DATABASE_URL").expect("set DATABASE_URL (scripts/pg.sh url prints one)");

    // 1. The source.
    let dir = target_dir()
        .join("walrus-indexer-bench")
        .join(format!("ledger-{target_events}"));
    let marker = dir.join("complete");
    let devnet = match std::fs::read_to_string(&marker) {
        Ok(_) => match TestDevnet::open(&dir, devnet_config(threads)) {
            Ok(d) => {
                eprintln!("reusing the ledger in {}", dir.display());
                d
            }
            Err(e) => {
                eprintln!("the cached ledger does not open ({e}); generating it again");
                generate(&dir, target_events, threads)
            }
        },
        Err(_) => {
            eprintln!(
                "generating {target_events} events with {threads} clients into {} (once)",
                dir.display()
            );
            let started = Instant::now();
            let d = generate(&dir, target_events, threads);
            eprintln!("generated in {:.0} s", started.elapsed().as_secs_f64());
            d
        }
    };
    let head = devnet.ledger().head();
    let events = count_events(&devnet);
    std::fs::write(&marker, format!("{head} {events}\n")).unwrap();
    eprintln!("source: {head} transactions, {events} events");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // 2. Backfill.
        let url = fresh_database(&admin_url, "walrus_indexer_bench").await;
        let config = IndexerConfig {
            fetch_page: 2_000,
            max_batch_transactions: batch,
            max_batch_rows: batch * 10,
            lock: LockMode::Exit,
            ..IndexerConfig::new(url.clone())
        };
        let mut backfill = config.clone();
        backfill.stop_at = Some(head);
        // Where the commit time goes: the hook runs before each statement of a commit, so the
        // time between two calls of one pipeline is the statement in between (see
        // `store::write_state` and `store::commit_append`). Index 0: state, 1: append.
        let stage_micros: Arc<[Vec<AtomicU64>; 2]> = Arc::new([
            (0..12).map(|_| AtomicU64::new(0)).collect(),
            (0..4).map(|_| AtomicU64::new(0)).collect(),
        ]);
        let hook: walrus_indexer::CommitHook = {
            let stage_micros = stage_micros.clone();
            let last = Mutex::new([Instant::now(); 2]);
            Arc::new(move |p: walrus_indexer::CommitPoint| {
                let now = Instant::now();
                let k = usize::from(p.append);
                let mut last = last.lock().unwrap();
                if p.statement > 0 {
                    stage_micros[k][p.statement].fetch_add(
                        now.duration_since(last[k]).as_micros() as u64,
                        Ordering::Relaxed,
                    );
                }
                last[k] = now;
                walrus_indexer::FaultAction::Continue
            })
        };
        let indexer = Indexer::new(devnet.ledger().clone(), backfill).with_commit_hook(hook);
        let metrics = indexer.metrics();
        let load_before = loadavg();
        let started = Instant::now();
        let reporter = {
            let metrics = metrics.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    eprintln!(
                        "  watermark {} ({} events, {:.0} rows/s)",
                        metrics.watermark.get(),
                        metrics.events.get(),
                        metrics.rows_per_second()
                    );
                }
            })
        };
        let watermark = indexer.run().await.unwrap();
        let elapsed = started.elapsed().as_secs_f64();
        reporter.abort();
        assert_eq!(watermark, head);
        println!("backfill: {head} transactions, {events} events in {elapsed:.1} s");
        println!(
            "backfill: load average (1/5/15 min) before {load_before}, after {}",
            loadavg()
        );
        println!(
            "backfill: {:.0} events/s, {:.0} transactions/s, {:.0} rows/s, {} batches",
            events as f64 / elapsed,
            head as f64 / elapsed,
            metrics.rows.get() as f64 / elapsed,
            metrics.batches.get()
        );
        println!(
            "backfill: build {:.1} s, commit: state {:.1} s (waiting for the append pipeline \
             included), append {:.1} s (stages overlap)",
            metrics.build_micros.get() as f64 / 1e6,
            metrics.commit_micros.get() as f64 / 1e6,
            metrics.append_commit_micros.get() as f64 / 1e6
        );
        let names: [&[&str]; 2] = [
            &[
                "", "watermark", "failures", "blobs", "blob_status", "storage", "positions",
                "caps", "pools", "epochs", "epoch sweep",
            ],
            &["", "watermark", "transactions", "events"],
        ];
        for (k, pipeline) in ["state", "append"].iter().enumerate() {
            let breakdown: Vec<String> = names[k]
                .iter()
                .zip(stage_micros[k].iter())
                .skip(1)
                .map(|(name, us)| {
                    format!("{name} {:.1}", us.load(Ordering::Relaxed) as f64 / 1e6)
                })
                .collect();
            println!(
                "backfill: {pipeline} commit statements (s): {}",
                breakdown.join(", ")
            );
        }
        println!(
            "backfill: lag at the end {} transactions ({:.3} s)",
            metrics.lag_transactions(),
            metrics.lag_seconds()
        );

        // 3. Live tail, on a copy of the ledger so the cached one stays as generated.
        if live_seconds == 0 {
            return;
        }
        let live_dir = dir.with_file_name("live");
        let _ = std::fs::remove_dir_all(&live_dir);
        copy_dir(&dir, &live_dir);
        drop(devnet);
        let live = Arc::new(TestDevnet::open(&live_dir, devnet_config(threads)).unwrap());
        let indexer = Indexer::new(live.ledger().clone(), config);
        let mut watermark_rx = indexer.watermark();
        let commits: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
        let watcher = {
            let commits = commits.clone();
            tokio::spawn(async move {
                while watermark_rx.changed().await.is_ok() {
                    let w = *watermark_rx.borrow_and_update();
                    commits.lock().unwrap().push((w, Instant::now()));
                }
            })
        };
        let running = tokio::spawn(indexer.run());
        // Wait until the indexer has loaded its state and caught up.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let stop = Arc::new(AtomicBool::new(false));
        let durable: Arc<Mutex<Vec<(u64, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
        let clients = 4u64;
        let per_client_interval =
            Duration::from_secs_f64(3.0 * clients as f64 / live_rate.max(1) as f64);
        let workers: Vec<_> = (0..clients)
            .map(|t| {
                let (live, stop, durable) = (live.clone(), stop.clone(), durable.clone());
                std::thread::spawn(move || {
                    let mut i = 0;
                    while !stop.load(Ordering::SeqCst) {
                        let tick = Instant::now();
                        let before = live.ledger().head();
                        live.store_blob(t as usize, 2_000, 7_000_000_000 + t * 1_000_000 + i, 50, false)
                            .unwrap();
                        let now = Instant::now();
                        let after = live.ledger().head();
                        // The three transactions are durable when store_blob returns; their
                        // cursors are between `before` and `after` (other clients interleave).
                        durable.lock().unwrap().push((after.max(before + 1), now));
                        i += 1;
                        std::thread::sleep(per_client_interval.saturating_sub(tick.elapsed()));
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_secs(live_seconds)).await;
        stop.store(true, Ordering::SeqCst);
        for w in workers {
            w.join().unwrap();
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        running.abort();
        watcher.abort();
        let commits = commits.lock().unwrap().clone();
        let durable = durable.lock().unwrap().clone();
        let mut lags: Vec<Duration> = durable
            .iter()
            .filter_map(|(cursor, at)| {
                commits
                    .iter()
                    .find(|(w, _)| w >= cursor)
                    .map(|(_, committed)| committed.saturating_duration_since(*at))
            })
            .collect();
        let missing = durable.len() - lags.len();
        lags.sort();
        println!(
            "live tail: {} blobs ({} transactions) in {live_seconds} s; lag from durable to indexed: \
             p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {missing} not indexed",
            durable.len(),
            durable.len() * 3,
            percentile(&lags, 0.5).as_secs_f64() * 1e3,
            percentile(&lags, 0.99).as_secs_f64() * 1e3,
            lags.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        );
        let _ = std::fs::remove_dir_all(&live_dir);
    });
}
