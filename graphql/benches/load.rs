//! Load benchmark of the GraphQL API over a large synthetic index.
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p walrus-graphql
//! --bench load -- [--blobs N] [--pools N] [--clients N] [--seconds S] [--connections N]
//! [--max-concurrent N] [--only <query label prefix>] [--rate R]`
//!
//! 1. A database `walrus_graphql_bench_<blobs>` on the server of `DATABASE_URL`, migrated by the
//!    indexer's migrator and filled by `walrus_graphql::synthetic::populate` (default 1,000,000
//!    blob objects with one event each, 100 pools with 30 epochs of rates, 100,000 positions
//!    over 10,000 owners). It is kept and reused by later runs with the same sizes.
//! 2. The server (the real router, in this process) on a loopback port, with a pool of
//!    `--connections` (default as `walrus graphql`: two per core, at least 4) database connections and
//!    `--max-concurrent` (default 8, as `walrus graphql`) requests executed at once.
//! 3. For each query, `--clients` (default 32) concurrent HTTP clients send requests
//!    back to back for `--seconds` (default 10); reported: requests/s, p50, p99, max.
//!    With `--rate R` the clients instead send R requests/s in all, on a fixed schedule
//!    (client `c`'s `k`-th request is due at `(k·clients + c) / R` s), and a latency is measured
//!    from the request's due time, so a client that falls behind counts its wait too (no
//!    coordinated omission): the latency at a given load rather than at saturation.
//!    Queries: a blob by blob id (random ids), a filtered page of 50 (an owner's certified
//!    blobs), the pools list (100 pools by APY), and a delegator (positions and totals).
//!
//! Client, server and PostgreSQL share this machine's cores.
#![allow(clippy::unwrap_used)] // a benchmark: a failed unwrap is a failed run

/// The allocator of the `walrus` binary, so the server here allocates as it does there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::{ConnectOptions, Connection};
use walrus_graphql::synthetic::{Sizes, populate};
use walrus_graphql::{AppState, Limits};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() {
    let blobs = arg("--blobs", 1_000_000) as i64;
    let pools = arg("--pools", 100) as i64;
    let clients = arg("--clients", 32) as usize;
    let seconds = arg("--seconds", 10);
    let connections = arg(
        "--connections",
        u64::from(walrus_graphql::default_max_connections()),
    ) as u32;
    let concurrent = arg(
        "--max-concurrent",
        Limits::default().max_concurrent_requests as u64,
    ) as usize;
    let rate = arg("--rate", 0);
    let only = std::env::args()
        .position(|a| a == "--only")
        .and_then(|i| std::env::args().nth(i + 1));
    let url = std::env::var("DATABASE_URL").expect("set DATABASE_URL to a PostgreSQL server");
    let admin: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    let name = format!("walrus_graphql_bench_{blobs}_{pools}");
    let db_url = admin.clone().database(&name).to_url_lossy().to_string();

    // 1. The index (reused when complete).
    let complete = match sqlx::PgPool::connect(&db_url).await {
        Ok(pool) => {
            let n: Option<i64> = sqlx::query_scalar("SELECT count(*) FROM blobs")
                .fetch_one(&pool)
                .await
                .ok();
            pool.close().await;
            n == Some(blobs)
        }
        Err(_) => false,
    };
    if complete {
        println!("reusing database {name} ({blobs} blobs, {pools} pools)");
    } else {
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
        let pool = sqlx::PgPool::connect(&db_url).await.unwrap();
        walrus_indexer::store::MIGRATOR.run(&pool).await.unwrap();
        let started = Instant::now();
        populate(
            &pool,
            Sizes {
                blobs,
                pools,
                ..Sizes::default()
            },
        )
        .await
        .unwrap();
        println!(
            "populated {name}: {blobs} blobs, {pools} pools in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        pool.close().await;
    }

    // Inputs: random blob ids and owners.
    let pool = sqlx::PgPool::connect(&db_url).await.unwrap();
    let blob_ids: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT blob_id FROM blob_status TABLESAMPLE SYSTEM (1) LIMIT 5000")
            .fetch_all(&pool)
            .await
            .unwrap();
    let owners: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT DISTINCT owner FROM staked_wal WHERE owner IS NOT NULL LIMIT 2000",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    let blob_ids: Arc<Vec<String>> = Arc::new(
        blob_ids
            .iter()
            .map(|b| walrus_graphql::types::blob_id_text(b))
            .collect(),
    );
    let owners: Arc<Vec<String>> = Arc::new(
        owners
            .iter()
            .map(|o| format!("0x{}", hex::encode(o)))
            .collect(),
    );

    // 2. The server.
    let server_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(connections)
        .connect(&db_url)
        .await
        .unwrap();
    let limits = Limits {
        max_concurrent_requests: concurrent,
        ..Limits::default()
    };
    let app = walrus_graphql::router(AppState::new(server_pool, "walrus", limits));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let endpoint = format!("http://{address}/graphql");

    // 3. The load.
    type MakeBody = fn(&[String], &[String], u64) -> serde_json::Value;
    let scenarios: Vec<(&str, MakeBody)> = vec![
        ("blob by id", |ids, _, i| {
            json!({"query": "query($id: String!) { blob(blobId: $id) { status endEpoch objectsTotal } }",
                   "variables": {"id": ids[(i as usize) % ids.len()]}})
        }),
        ("filtered page of 50", |_, owners, i| {
            json!({"query": "query($o: String!) { blobs(first: 50, filter: {owner: $o, status: [CERTIFIED]}) \
                   { nodes { id blobId size endEpoch } pageInfo { hasNextPage endCursor } } }",
                   "variables": {"o": owners[(i as usize) % owners.len()]}})
        }),
        (
            "pools list",
            |_, _, _| json!({"query": "{ stakingPools(orderBy: APY, first: 100) { nodes { id name stake apy commissionRate shards state } } }"}),
        ),
        ("delegator", |_, owners, i| {
            json!({"query": "query($a: String!) { delegator(address: $a) { totals { positions principal value reward } \
                   positions(first: 50) { nodes { id poolId principal status value reward } } } }",
                   "variables": {"a": owners[(i as usize) % owners.len()]}})
        }),
    ];
    let load = match rate {
        0 => "requests back to back".to_owned(),
        r => format!("{r} requests/s in all on a fixed schedule, latency from the due time"),
    };
    println!(
        "{clients} concurrent clients ({load}), {seconds} s per query, {connections} database \
         connections, {concurrent} requests executed at once, server and PostgreSQL on this machine"
    );
    println!("| query | requests/s | p50 ms | p99 ms | max ms | errors |");
    println!("|---|---|---|---|---|---|");
    for (label, make) in scenarios {
        if only.as_deref().is_some_and(|o| !label.starts_with(o)) {
            continue;
        }
        let http = reqwest::Client::new();
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        let started = Instant::now();
        for c in 0..clients {
            let (http, stop, endpoint) = (http.clone(), stop.clone(), endpoint.clone());
            let (ids, owners) = (blob_ids.clone(), owners.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                let mut i = (c as u64) * 7_919;
                let mut k = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let body = serde_json::to_vec(&make(&ids, &owners, i)).unwrap();
                    let t = if rate == 0 {
                        Instant::now()
                    } else {
                        let due = started
                            + Duration::from_secs_f64(
                                (k * clients as u64 + c as u64) as f64 / rate as f64,
                            );
                        k += 1;
                        tokio::time::sleep_until(due.into()).await;
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        due
                    };
                    let response = http
                        .post(&endpoint)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await;
                    let ok = match response {
                        Ok(r) => match r.bytes().await {
                            Ok(b) => !b.windows(9).any(|w| w == b"\"errors\":"),
                            Err(_) => false,
                        },
                        Err(_) => false,
                    };
                    latencies.push(t.elapsed());
                    if !ok {
                        errors += 1;
                    }
                }
                (latencies, errors)
            }));
        }
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (l, e) = t.await.unwrap();
            all.extend(l);
            errors += e;
        }
        let elapsed = started.elapsed().as_secs_f64();
        all.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "| {label} | {:.0} | {:.2} | {:.2} | {:.2} | {errors} |",
            all.len() as f64 / elapsed,
            ms(percentile(&all, 0.50)),
            ms(percentile(&all, 0.99)),
            ms(all.last().copied().unwrap_or_default()),
        );
    }
}
