//! Sliver PUT and GET throughput of one storage node on loopback with 64 concurrent clients.
//!
//! `cargo bench -p walrus-node --bench sliver_throughput` (optional args: blob sizes in MiB for
//! n = 100 and n = 1000, default `35 64`). One node owns every shard of an in-process devnet
//! ledger; blobs are registered on chain, then every sliver is PUT once (each is verified
//! against the metadata and fsynced before the answer) and read back with GETs.
//!
//! Before the concurrent runs it times the stages of one PUT on one thread, sliver by sliver:
//! decoding the body, verifying it (Reed–Solomon expansion + hashing + Merkle root), and the
//! durable write (append to the shard's log, `fdatasync`), so the report says where
//! the time goes. The 64 clients run in the node's process and share its cores.
//!
//! Six blobs are stored for n = 100 and two for n = 1000 (about 1 GB and 0.6 GB of slivers
//! with the default sizes), so the PUT phase lasts seconds, not one second, and a single run
//! means something.

#![allow(clippy::unwrap_used)] // benchmark code: a failed unwrap is a failed run

/// The allocator of the `walrus` binary, which runs the node.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use sui_crypto::ed25519::Ed25519PrivateKey;
use walrus_chain::bls::BlsPrivateKey;
use walrus_chain::devnet::ledger::{Ledger, LedgerOptions, ManualClock};
use walrus_chain::devnet::tx::address_of;
use walrus_chain::walrus::chain::WalrusChain;
use walrus_chain::walrus::staking::{GenesisNode, GenesisVotes};
use walrus_chain::walrus::{FROST_PER_WAL, GenesisConfig, WalrusMachine};
use walrus_core::{
    Axis, Bcs, EncodingConfig, Primary, Secondary, ShardIndex, SliverData, SliverPairIndex,
    VerifiedBlobMetadataWithId,
};
use walrus_node::NodeConfig;
use walrus_node::config::Limits;
use walrus_node_api::NodeClient;

const CLIENTS: usize = 64;

struct Upload {
    blob_id: walrus_core::BlobId,
    pair: SliverPairIndex,
    axis: Axis,
    body: Bytes,
}

/// Milliseconds per sliver of each stage of a PUT, run on one thread.
fn stage_costs(
    encoding: &EncodingConfig,
    metadata: &[(walrus_core::BlobId, VerifiedBlobMetadataWithId)],
    uploads: &[Upload],
    dir: &std::path::Path,
) {
    fn verify<A: walrus_core::EncodingAxis>(
        encoding: &EncodingConfig,
        metadata: &VerifiedBlobMetadataWithId,
        body: &Bytes,
    ) -> (Duration, Duration)
    where
        SliverData<A>: Bcs,
    {
        let start = Instant::now();
        let sliver = SliverData::<A>::from_bcs_bytes(body.clone()).unwrap();
        let decoded = start.elapsed();
        sliver.verify(encoding, metadata).unwrap();
        (decoded, start.elapsed() - decoded)
    }
    let store = walrus_node::storage::SliverStore::open(dir).unwrap();
    // A sample of each axis: enough slivers for stable numbers, few enough to stay quick.
    let sample = 40;
    for axis in [Axis::Primary, Axis::Secondary] {
        let (mut decode, mut check, mut write, mut count) = (0.0, 0.0, 0.0, 0);
        for u in uploads.iter().filter(|u| u.axis == axis).take(sample) {
            let metadata = &metadata.iter().find(|(id, _)| *id == u.blob_id).unwrap().1;
            let (d, v) = match axis {
                Axis::Primary => verify::<Primary>(encoding, metadata, &u.body),
                Axis::Secondary => verify::<Secondary>(encoding, metadata, &u.body),
            };
            let start = Instant::now();
            assert!(
                store
                    .put_sliver(ShardIndex(u.pair.get()), &u.blob_id, axis, &u.body)
                    .unwrap()
            );
            write += start.elapsed().as_secs_f64();
            decode += d.as_secs_f64();
            check += v.as_secs_f64();
            count += 1;
        }
        let ms = |total: f64| total * 1e3 / f64::from(count);
        println!(
            "  one thread, {axis} sliver: decode {:.3} ms, verify {:.2} ms, durable write {:.2} ms",
            ms(decode),
            ms(check),
            ms(write)
        );
    }
}

async fn run(n_shards: u16, blob_mib: usize) {
    let key = BlsPrivateKey::from_ikm(&[1; 32]).unwrap();
    let node = GenesisNode::new(
        "bench",
        "127.0.0.1:1",
        &key,
        vec![2; 33],
        500,
        address_of(&Ed25519PrivateKey::new([3; 32])),
        100 * FROST_PER_WAL,
        GenesisVotes {
            storage_price: 1,
            write_price: 1,
            node_capacity: 1 << 50,
        },
    );
    let dir =
        tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| ".".into())).unwrap();
    let ledger = Arc::new(
        Ledger::open(
            &dir.path().join("ledger"),
            WalrusMachine::new(GenesisConfig {
                n_shards,
                nodes: vec![node],
                ..GenesisConfig::default()
            }),
            Arc::new(ManualClock::new(1_700_000_000_000)),
            LedgerOptions::default(),
        )
        .unwrap(),
    );
    let config = NodeConfig {
        data_dir: dir.path().join("node"),
        listen_address: "127.0.0.1:0".parse().unwrap(),
        limits: Limits {
            max_concurrent_requests_per_client: 4 * CLIENTS,
            event_wait_millis: 50,
            ..Limits::default()
        },
        ..NodeConfig::new("unused")
    };
    let running = walrus_node::start(&config, key, WalrusChain::reader(ledger.clone()))
        .await
        .unwrap();
    let user = WalrusChain::with_key(ledger.clone(), Ed25519PrivateKey::new([9; 32]));
    user.faucet(500 * FROST_PER_WAL).await.unwrap();
    let encoding = EncodingConfig::new(n_shards).unwrap();
    let client = NodeClient::with_http(&running.address.to_string(), reqwest::Client::new());

    let blobs = if n_shards <= 100 { 6 } else { 2 };
    let mut uploads = Vec::new();
    let mut metadata = Vec::new();
    for seed in 0..blobs {
        let data: Vec<u8> = (0..blob_mib << 20)
            .map(|i| (i as u8) ^ (seed as u8 * 77))
            .collect();
        let encoded = encoding.encode(&data).unwrap();
        let blob_id = *encoded.blob_id();
        let size = encoding.encoded_blob_length(data.len() as u64).unwrap();
        let storage = user
            .reserve_space(size, 1, 100 * FROST_PER_WAL)
            .await
            .unwrap();
        user.register_blob(
            storage,
            blob_id,
            encoded.metadata.metadata().compute_root_hash().bytes(),
            data.len() as u64,
            false,
            100 * FROST_PER_WAL,
        )
        .await
        .unwrap();
        for _ in 0..400 {
            if client.blob_status(&blob_id).await.unwrap()
                != walrus_node_api::BlobStatus::Nonexistent
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        client
            .store_metadata(&blob_id, encoded.metadata.metadata())
            .await
            .unwrap();
        metadata.push((blob_id, encoded.metadata.clone()));
        for pair in encoded.sliver_pairs {
            let index = pair.index();
            uploads.push(Upload {
                blob_id,
                pair: index,
                axis: Axis::Primary,
                body: pair.primary.to_bcs().unwrap().into(),
            });
            uploads.push(Upload {
                blob_id,
                pair: index,
                axis: Axis::Secondary,
                body: pair.secondary.to_bcs().unwrap().into(),
            });
        }
    }
    println!("n={n_shards}:");
    stage_costs(&encoding, &metadata, &uploads, &dir.path().join("stages"));
    let uploads = Arc::new(uploads);
    let bytes: usize = uploads.iter().map(|u| u.body.len()).sum();
    let primary_size = uploads
        .iter()
        .find(|u| u.axis == Axis::Primary)
        .map_or(0, |u| u.body.len());
    let secondary_size = uploads
        .iter()
        .find(|u| u.axis == Axis::Secondary)
        .map_or(0, |u| u.body.len());

    // PUT: 64 clients take slivers from a shared queue.
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (uploads, next, client) = (uploads.clone(), next.clone(), client.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(u) = uploads.get(i) else { break };
                let code = client
                    .store_sliver_bytes(&u.blob_id, u.pair, u.axis, u.body.clone())
                    .await
                    .unwrap();
                assert_eq!(code, 201);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let put = start.elapsed().as_secs_f64();

    // GET: every sliver read three times by the 64 clients.
    let rounds = 3;
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (uploads, next, client) = (uploads.clone(), next.clone(), client.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= rounds * uploads.len() {
                    break;
                }
                let u = &uploads[i % uploads.len()];
                let body = client
                    .sliver_bytes(&u.blob_id, u.pair, u.axis)
                    .await
                    .unwrap();
                assert_eq!(body.len(), u.body.len());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let get = start.elapsed().as_secs_f64();
    let count = uploads.len();
    println!(
        "  {count} slivers (primary {primary_size} B, secondary {secondary_size} B, {:.1} MB total), {CLIENTS} clients",
        bytes as f64 / 1e6
    );
    println!(
        "  PUT (verify + fsync): {:.0} req/s, {:.1} MB/s",
        count as f64 / put,
        bytes as f64 / put / 1e6
    );
    println!(
        "  GET:                  {:.0} req/s, {:.1} MB/s",
        (rounds * count) as f64 / get,
        (rounds * bytes) as f64 / get / 1e6
    );
    running.shutdown().await;
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (mib_100, mib_1000) = (
        args.first().copied().unwrap_or(35),
        args.get(1).copied().unwrap_or(64),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(100, mib_100));
    runtime.block_on(run(1000, mib_1000));
}
