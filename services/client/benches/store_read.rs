//! Store and read throughput on a real devnet (7 storage node processes on loopback), side by
//! side with encode-only and decode-only time of the same blob, and the client's peak memory.
//!
//! ```sh
//! cargo bench -p walrus-client --bench store_read              # 1 MiB and 64 MiB, n = 100
//! cargo bench -p walrus-client --bench store_read -- 256       # also 256 MiB (n = 1000)
//! cargo bench -p walrus-client --bench store_read -- range     # only: 1 KiB of 256 MiB
//! ```
//!
//! `range` stores a 256 MiB blob (n = 1000) and reads 1 KiB of it through an in-process
//! aggregator, side by side: the range path (only the primary slivers holding the bytes) and
//! the whole-blob path (enough slivers to decode, then a slice), with the sliver bytes each
//! fetched from the nodes and their median times over alternating runs.
//!
//! Store and read run through the `walrus` CLI binary (one process per operation) under
//! `/usr/bin/time`, so the peak resident memory reported is the client's alone (including the
//! process's own ~30 MB). `decode*` is decoding from non-systematic primary slivers; the
//! best case (systematic slivers, a copy) is printed below each row.

#![allow(clippy::unwrap_used)] // a benchmark: failures abort

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sui_crypto::ed25519::Ed25519PrivateKey;
use walrus_chain::walrus::FROST_PER_WAL;
use walrus_client::devnet::{Devnet, DevnetOptions, funded_wallet};
use walrus_client::{ClientConfig, StoreOptions, WalrusClient, daemon};
use walrus_core::{BlobId, ConsistencyCheck, EncodingConfig, Primary, SliverData};

const BIN: &str = env!("CARGO_BIN_EXE_walrus");
const MIB: usize = 1 << 20;

fn random_bytes(len: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Runs the CLI under `/usr/bin/time`; (wall time, peak RSS in bytes, stdout).
fn timed_cli(config: &Path, args: &[&str]) -> (Duration, u64, String) {
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("GNU time at /usr/bin/time (Debian package `time`)");
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "walrus {args:?} failed: {stderr}");
    let peak_kib: u64 = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    (
        elapsed,
        peak_kib * 1024,
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn mbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

/// A devnet of 7 storage node processes with `shards` shards, and its wallet funded; the
/// directory lives as long as the devnet runs.
async fn devnet(shards: u16) -> (tempfile::TempDir, Devnet, Ed25519PrivateKey) {
    let dir = tempfile::tempdir().unwrap();
    let options = DevnetOptions {
        nodes: 7,
        shards,
        epoch_duration: Duration::from_secs(3600),
        chain_port: 0,
        ..DevnetOptions::new(dir.path(), BIN)
    };
    let net = Devnet::start(&options).await.unwrap();
    let (key, _) = funded_wallet(&net.client_config, 500 * FROST_PER_WAL)
        .await
        .unwrap();
    (dir, net, key)
}

async fn run(shards: u16, sizes: &[usize]) {
    let (dir, net, _) = devnet(shards).await;
    let config = EncodingConfig::new(shards).unwrap();
    println!(
        "devnet: 7 node processes, n = {shards}; largest blob {} MiB",
        config.max_blob_size() >> 20
    );
    println!(
        "{:>8} {:>10} {:>10} {:>9} {:>10} {:>10} {:>9} {:>10} {:>9} {:>9}",
        "size",
        "encode s",
        "store s",
        "store MB/s",
        "st/(enc)",
        "decode* s",
        "read s",
        "read MB/s",
        "peak st×",
        "peak rd×"
    );
    for &size in sizes {
        let data = random_bytes(size);
        let path = dir.path().join(format!("blob-{size}"));
        std::fs::write(&path, &data).unwrap();

        let start = Instant::now();
        let encoded = config.encode_owned(data.clone()).unwrap();
        let encode = start.elapsed();
        // Decode-only, two ways: from the systematic primary slivers (the best case: the data
        // is copied out) and from the last R primary slivers, none systematic (the worst case,
        // and what a reader fetching from random shards mostly gets). The read target is
        // checked against the worst case; both are printed.
        let needed = config.n_slivers_for_reconstruction::<Primary>();
        let decode_from = |slivers: Vec<SliverData<Primary>>| {
            let start = Instant::now();
            let decoded = config
                .decode_and_verify(&encoded.metadata, &slivers, ConsistencyCheck::Default)
                .unwrap();
            assert_eq!(decoded.len(), size);
            start.elapsed()
        };
        let decode_best = decode_from(
            encoded
                .sliver_pairs
                .iter()
                .take(needed)
                .map(|p| p.primary.clone())
                .collect(),
        );
        let decode = decode_from(
            encoded
                .sliver_pairs
                .iter()
                .rev()
                .take(needed)
                .map(|p| p.primary.clone())
                .collect(),
        );
        drop(encoded);

        let (store, store_peak, stdout) = timed_cli(
            &net.client_config,
            &["--json", "store", path.to_str().unwrap(), "--force"],
        );
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let blob_id = json[0]["blobStoreResult"]["newlyCreated"]["blobObject"]["blobId"]
            .as_str()
            .unwrap()
            .to_owned();
        let out = dir.path().join(format!("read-{size}"));
        let (read, read_peak, _) = timed_cli(
            &net.client_config,
            &["read", &blob_id, "--out", out.to_str().unwrap()],
        );
        assert_eq!(std::fs::read(&out).unwrap(), data, "read back differs");
        println!(
            "{:>6}Mi {:>10.3} {:>10.3} {:>9.1} {:>10.2} {:>10.3} {:>9.3} {:>10.1} {:>9.2} {:>9.2}",
            size / MIB,
            encode.as_secs_f64(),
            store.as_secs_f64(),
            mbps(size, store),
            store.as_secs_f64() / encode.as_secs_f64(),
            decode.as_secs_f64(),
            read.as_secs_f64(),
            mbps(size, read),
            store_peak as f64 / size as f64,
            read_peak as f64 / size as f64,
        );
        println!(
            "          decode-only from systematic slivers (best case): {:.3} s",
            decode_best.as_secs_f64()
        );
        println!(
            "          store target: {:.3} s (2 × encode + 1 s) {}; read target: {:.3} s (2 × worst-case decode + 0.5 s) {}",
            2.0 * encode.as_secs_f64() + 1.0,
            if store.as_secs_f64() <= 2.0 * encode.as_secs_f64() + 1.0 {
                "met"
            } else {
                "MISSED"
            },
            2.0 * decode.as_secs_f64() + 0.5,
            if read.as_secs_f64() <= 2.0 * decode.as_secs_f64() + 0.5 {
                "met"
            } else {
                "MISSED"
            },
        );
    }
    net.shutdown().await;
}

/// 1 KiB of a `size`-byte blob: the range path against the whole-blob path, side by side.
async fn range(shards: u16, size: usize) {
    let (_dir, net, key) = devnet(shards).await;
    let config = ClientConfig::load(&net.client_config).unwrap();
    let client = WalrusClient::new(&config, Some(key));
    let data = random_bytes(size);
    let (stored, background) = client
        .store(data.clone(), &StoreOptions::default())
        .await
        .unwrap();
    background.finish().await;
    let blob_id: BlobId = stored.blob_id().parse().unwrap();

    let router = daemon::router(
        client.clone(),
        daemon::Mode::Aggregator,
        daemon::DaemonLimits::default(),
    );
    let (ready, address) = tokio::sync::oneshot::channel();
    tokio::spawn(daemon::serve(
        router,
        "127.0.0.1:0".parse().unwrap(),
        move |address| {
            let _ = ready.send(address);
        },
        std::future::pending(),
    ));
    let base = format!("http://{}", address.await.unwrap());
    let http = reqwest::Client::new();
    // A kibibyte in the middle of the blob.
    let start = size / 2 + 12_345;
    let (first, last) = (start, start + 1023);
    let runs = 5;
    let mut over_http = Vec::new();
    let mut ranged = Vec::new();
    let mut whole = Vec::new();
    let (mut ranged_stats, mut whole_stats) = (None, None);
    for _ in 0..runs {
        let t = Instant::now();
        let body = http
            .get(format!("{base}/v1/blobs/{blob_id}"))
            .header("range", format!("bytes={first}-{last}"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        over_http.push(t.elapsed());
        assert_eq!(body.as_ref(), &data[first..=last]);

        let t = Instant::now();
        let reader = client.open(&blob_id).await.unwrap();
        let part = reader.read_range(first as u64, 1024).await.unwrap();
        ranged.push(t.elapsed());
        assert_eq!(part.as_ref(), &data[first..=last]);
        ranged_stats = Some(reader.stats());

        let t = Instant::now();
        let reader = client.open(&blob_id).await.unwrap();
        let all = reader.read_all(ConsistencyCheck::Default).await.unwrap();
        let part = all.slice(first..=last);
        whole.push(t.elapsed());
        assert_eq!(part.as_ref(), &data[first..=last]);
        whole_stats = Some(reader.stats());
    }
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2].as_secs_f64() * 1e3
    };
    let (ranged_stats, whole_stats) = (ranged_stats.unwrap(), whole_stats.unwrap());
    println!(
        "1 KiB at byte {first} of {} MiB, n = {shards}, {runs} alternating runs (median):",
        size / MIB
    );
    println!(
        "  range path, HTTP Range header:  {:>8.1} ms",
        median(&mut over_http)
    );
    println!(
        "  range path, library:            {:>8.1} ms  {} sliver(s), {} bytes fetched",
        median(&mut ranged),
        ranged_stats.slivers,
        ranged_stats.sliver_bytes
    );
    println!(
        "  whole-blob path, library:       {:>8.1} ms  {} slivers, {} bytes fetched",
        median(&mut whole),
        whole_stats.slivers,
        whole_stats.sliver_bytes
    );
    net.shutdown().await;
}

fn main() {
    // `cargo bench` passes `--bench`; our arguments are an optional "256" or "range".
    let runtime = tokio::runtime::Runtime::new().unwrap();
    if std::env::args().any(|a| a == "range") {
        runtime.block_on(range(1000, 256 * MIB));
        return;
    }
    let with_256 = std::env::args().any(|a| a == "256");
    runtime.block_on(run(100, &[MIB, 64 * MIB]));
    if with_256 {
        // 256 MiB is above the largest RS2 blob for n = 100 (about 142 MiB): use n = 1000,
        // as Walrus mainnet does.
        runtime.block_on(run(1000, &[256 * MIB]));
    }
}
