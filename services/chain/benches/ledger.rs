//! Devnet ledger throughput: durable transactions per second with many concurrent submitters
//! (real fsync, group commit), and events per second streamed to a reader over HTTP.
//!
//! Run: `cargo bench -p walrus-chain --bench ledger -- [--txs N] [--clients N]`
//! It uses the small counter machine of the tests, so it measures the engine (signature checks,
//! ordering, journaling, streaming); machine-specific costs are measured by the Walrus scenarios.
#![allow(clippy::unwrap_used)] // a benchmark: a failed unwrap is a failed run

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Account, Call, CounterMachine};
use walrus_chain::devnet::client::DevnetClient;
use walrus_chain::devnet::ledger::{Ledger, LedgerOptions, SystemClock};
use walrus_chain::devnet::server;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let txs = arg("--txs", 40_000);
    let clients = arg("--clients", 64);
    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(
        Ledger::open(
            dir.path(),
            CounterMachine { bias: 0 },
            Arc::new(SystemClock),
            LedgerOptions::default(),
        )
        .unwrap(),
    );

    // Pre-sign: client-side signing is not the ledger's cost.
    let per_client = txs / clients;
    let signed: Vec<Vec<_>> = (0..clients)
        .map(|c| {
            let account = Account::new(u8::try_from(c % 250).unwrap() + 1);
            (0..per_client)
                .map(|n| account.tx(n as u64, Call::Create(n as u64)))
                .collect()
        })
        .collect();
    assert!(clients <= 250, "at most 250 distinct accounts");

    let start = Instant::now();
    let handles: Vec<_> = signed
        .into_iter()
        .map(|txs| {
            let ledger = ledger.clone();
            std::thread::spawn(move || {
                for tx in txs {
                    ledger.submit(tx).unwrap().durable_blocking().unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let elapsed = start.elapsed();
    let done = per_client * clients;
    println!(
        "durable submit: {done} transactions from {clients} concurrent clients in {:.2} s = {:.0} tx/s (fsync on, group commit)",
        elapsed.as_secs_f64(),
        done as f64 / elapsed.as_secs_f64()
    );

    // Stream everything back over HTTP, as a node or indexer would.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = server::router(ledger.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = DevnetClient::new(&format!("http://{addr}"));
        let head = ledger.head();
        let start = Instant::now();
        let (mut after, mut events, mut records) = (0, 0usize, 0usize);
        while after < head {
            let page = client
                .read_records(after, 1000, Duration::ZERO)
                .await
                .unwrap();
            records += page.len();
            events += page.iter().map(|r| r.events.len()).sum::<usize>();
            after = page.last().unwrap().cursor;
        }
        let elapsed = start.elapsed();
        println!(
            "stream over HTTP: {records} transactions, {events} events in {:.2} s = {:.0} events/s",
            elapsed.as_secs_f64(),
            events as f64 / elapsed.as_secs_f64()
        );
    });
}
