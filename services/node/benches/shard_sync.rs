//! Shard sync time at epoch change: four nodes on loopback (n = 100 shards), a blob stored on
//! all of them and certified; then a large stake moves shards to one node, and the epoch change
//! starts. The time runs from `initiate_epoch_change` until that node holds every sliver of
//! every shard it gained, fetched with `sync_shard` from the previous owners (verified against
//! the metadata and stored durably). The node's counters show that nothing was recovered.
//!
//! `cargo bench -p walrus-node --bench shard_sync [blob MiB, default 32]`; prints the time and
//! the time per GiB of synced sliver data.

#![allow(clippy::unwrap_used)] // benchmark code: a failed unwrap is a failed run

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sui_crypto::ed25519::Ed25519PrivateKey;
use walrus_chain::bls::{BlsPrivateKey, BlsSignature};
use walrus_chain::devnet::ledger::{Ledger, LedgerOptions, ManualClock};
use walrus_chain::devnet::tx::address_of;
use walrus_chain::walrus::chain::WalrusChain;
use walrus_chain::walrus::staking::{GenesisNode, GenesisVotes};
use walrus_chain::walrus::{FROST_PER_WAL, GenesisConfig, WalrusMachine};
use walrus_core::{Axis, Bcs, EncodingConfig, ShardIndex};
use walrus_node::NodeConfig;
use walrus_node::config::Limits;
use walrus_node_api::{NodeClient, StoredOnNodeStatus};

const N_SHARDS: u16 = 100;
const EPOCH_MS: u64 = 3_600_000;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mib: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(32);
    let keys: Vec<_> = (0..4u8)
        .map(|i| BlsPrivateKey::from_ikm(&[i + 31; 32]).unwrap())
        .collect();
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let nodes = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            GenesisNode::new(
                format!("n{i}"),
                format!("127.0.0.1:{}", ports[i]),
                key,
                vec![2; 33],
                500,
                address_of(&Ed25519PrivateKey::new([i as u8 + 80; 32])),
                100 * FROST_PER_WAL,
                GenesisVotes {
                    storage_price: 1,
                    write_price: 1,
                    node_capacity: 1 << 50,
                },
            )
        })
        .collect();
    let dir =
        tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| ".".into())).unwrap();
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let ledger = Arc::new(
        Ledger::open(
            &dir.path().join("ledger"),
            WalrusMachine::new(GenesisConfig {
                n_shards: N_SHARDS,
                epoch_duration_ms: EPOCH_MS,
                nodes,
                ..GenesisConfig::default()
            }),
            clock.clone(),
            LedgerOptions::default(),
        )
        .unwrap(),
    );
    let user = WalrusChain::with_key(ledger.clone(), Ed25519PrivateKey::new([9; 32]));
    for _ in 0..4 {
        user.faucet(500 * FROST_PER_WAL).await.unwrap();
    }
    let committee = user.committee().await.unwrap();
    let index_of = |public_key: &[u8]| {
        keys.iter()
            .position(|k| k.public_key().as_bytes().as_slice() == public_key)
            .unwrap()
    };

    let mut running = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let config = NodeConfig {
            data_dir: dir.path().join(format!("node-{i}")),
            listen_address: format!("127.0.0.1:{}", ports[i]).parse().unwrap(),
            limits: Limits {
                event_wait_millis: 50,
                committee_refresh_millis: 200,
                ..Limits::default()
            },
            ..NodeConfig::new("unused")
        };
        running.push(
            walrus_node::start(&config, key.clone(), WalrusChain::reader(ledger.clone()))
                .await
                .unwrap(),
        );
    }
    let clients: Vec<NodeClient> = ports
        .iter()
        .map(|p| NodeClient::new(&format!("127.0.0.1:{p}")))
        .collect();

    let encoding = EncodingConfig::new(N_SHARDS).unwrap();
    let data: Vec<u8> = (0..mib << 20).map(|i| (i % 251) as u8).collect();
    let encoded = encoding.encode(&data).unwrap();
    let blob_id = *encoded.blob_id();
    let size = encoding.encoded_blob_length(data.len() as u64).unwrap();
    let storage = user
        .reserve_space(size, 5, 300 * FROST_PER_WAL)
        .await
        .unwrap();
    let object = user
        .register_blob(
            storage,
            blob_id,
            encoded.metadata.metadata().compute_root_hash().bytes(),
            data.len() as u64,
            false,
            300 * FROST_PER_WAL,
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut signatures = Vec::new();
    let mut bitmap = vec![0u8; 1];
    let mut message = Vec::new();
    for (m, member) in committee.members.iter().enumerate() {
        let client = &clients[index_of(&member.public_key)];
        client
            .store_metadata(&blob_id, encoded.metadata.metadata())
            .await
            .unwrap();
        for &shard in &member.shards {
            let pair = encoding
                .pair_for_shard(ShardIndex(shard), &blob_id)
                .unwrap();
            let p = &encoded.sliver_pairs[pair.as_usize()];
            client
                .store_sliver(&blob_id, pair, &p.primary)
                .await
                .unwrap();
            client
                .store_sliver(&blob_id, pair, &p.secondary)
                .await
                .unwrap();
        }
        let signed = client.confirmation_permanent(&blob_id).await.unwrap();
        message = signed.serialized_message;
        signatures.push(BlsSignature::from_bytes(&signed.signature).unwrap());
        bitmap[0] |= 1 << m;
    }
    let aggregate = BlsSignature::aggregate(signatures.iter()).unwrap();
    user.certify_blob(object, aggregate.as_bytes().to_vec(), bitmap, message)
        .await
        .unwrap();

    // A large stake moves shards to member 0's node.
    let gainer_member = &committee.members[0];
    let gainer = index_of(&gainer_member.public_key);
    user.stake(gainer_member.node_id, 1_000 * FROST_PER_WAL)
        .await
        .unwrap();
    clock.advance(EPOCH_MS / 2);
    user.voting_end().await.unwrap();
    let next = user.next_committee().await.unwrap().unwrap();
    let gained: Vec<u16> = next
        .members
        .iter()
        .find(|m| m.public_key == gainer_member.public_key)
        .unwrap()
        .shards
        .iter()
        .copied()
        .filter(|s| !gainer_member.shards.contains(s))
        .collect();
    assert!(!gained.is_empty());
    // Let the nodes apply the certification before the epoch changes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    clock.advance(EPOCH_MS / 2);
    let start = Instant::now();
    user.initiate_epoch_change().await.unwrap();

    let client = &clients[gainer];
    'wait: loop {
        for &shard in &gained {
            let pair = encoding
                .pair_for_shard(ShardIndex(shard), &blob_id)
                .unwrap();
            for axis in [Axis::Primary, Axis::Secondary] {
                if client.sliver_status(&blob_id, pair, axis).await.unwrap()
                    != StoredOnNodeStatus::Stored
                {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue 'wait;
                }
            }
        }
        break;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let state = &running[gainer].state;
    let synced = state
        .shard_sync
        .metrics
        .slivers_synced
        .load(Ordering::Relaxed);
    let recovered = state.metrics.slivers_recovered.load(Ordering::Relaxed);
    assert_eq!(synced, 2 * gained.len() as u64, "every sliver came by sync");
    assert_eq!(recovered, 0, "nothing was recovered");
    let per_shard = encoded.sliver_pairs[0].primary.to_bcs().unwrap().len()
        + encoded.sliver_pairs[0].secondary.to_bcs().unwrap().len();
    let bytes = per_shard * gained.len();
    println!(
        "n={N_SHARDS}, {mib} MiB blob: synced {} shards ({} slivers, {:.1} MB) in {elapsed:.2} s (from the epoch change start, including the committee refresh of up to 0.2 s); {:.1} s per GiB of sliver data",
        gained.len(),
        synced,
        bytes as f64 / 1e6,
        elapsed / (bytes as f64 / f64::from(1u32 << 30)),
    );
    for node in running {
        node.shutdown().await;
    }
}
