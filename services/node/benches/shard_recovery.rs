//! Recovery time of one node's shards: four nodes on loopback (n = 100 shards, 25 each), a blob
//! stored on three of them and certified; the fourth recovers every sliver of its 25 shards
//! from the others' recovery symbols.
//!
//! `cargo bench -p walrus-node --bench shard_recovery [blob MiB, default 32]`; prints the time
//! and the time per GiB of recovered sliver data.

#![allow(clippy::unwrap_used)] // benchmark code: a failed unwrap is a failed run

use std::sync::Arc;
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
        .map(|i| BlsPrivateKey::from_ikm(&[i + 21; 32]).unwrap())
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
                address_of(&Ed25519PrivateKey::new([i as u8 + 70; 32])),
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
    let ledger = Arc::new(
        Ledger::open(
            &dir.path().join("ledger"),
            WalrusMachine::new(GenesisConfig {
                n_shards: N_SHARDS,
                nodes,
                ..GenesisConfig::default()
            }),
            Arc::new(ManualClock::new(1_700_000_000_000)),
            LedgerOptions::default(),
        )
        .unwrap(),
    );
    let user = WalrusChain::with_key(ledger.clone(), Ed25519PrivateKey::new([9; 32]));
    user.faucet(500 * FROST_PER_WAL).await.unwrap();
    let committee = user.committee().await.unwrap();
    let index_of = |m: usize| {
        keys.iter()
            .position(|k| {
                k.public_key().as_bytes().as_slice() == committee.members[m].public_key.as_slice()
            })
            .unwrap()
    };
    let absent_member = 3;
    let absent = index_of(absent_member);

    let mut running = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let config = NodeConfig {
            data_dir: dir.path().join(format!("node-{i}")),
            listen_address: format!("127.0.0.1:{}", ports[i]).parse().unwrap(),
            limits: Limits {
                event_wait_millis: 50,
                committee_refresh_millis: 500,
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
        .reserve_space(size, 1, 100 * FROST_PER_WAL)
        .await
        .unwrap();
    let object = user
        .register_blob(
            storage,
            blob_id,
            encoded.metadata.metadata().compute_root_hash().bytes(),
            data.len() as u64,
            false,
            100 * FROST_PER_WAL,
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut signatures = Vec::new();
    let mut bitmap = vec![0u8; 1];
    let mut message = Vec::new();
    for (m, member) in committee.members.iter().enumerate() {
        if m == absent_member {
            continue;
        }
        let client = &clients[index_of(m)];
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
    let start = Instant::now();
    user.certify_blob(object, aggregate.as_bytes().to_vec(), bitmap, message)
        .await
        .unwrap();

    let shards = &committee.members[absent_member].shards;
    let client = &clients[absent];
    'wait: loop {
        for &shard in shards {
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
    let per_shard = encoded.sliver_pairs[0].primary.to_bcs().unwrap().len()
        + encoded.sliver_pairs[0].secondary.to_bcs().unwrap().len();
    let bytes = per_shard * shards.len();
    println!(
        "n={N_SHARDS}, {mib} MiB blob: recovered {} shards ({} slivers, {:.1} MB) in {elapsed:.2} s = {:.2} MB per shard; {:.1} s per GiB of sliver data",
        shards.len(),
        2 * shards.len(),
        bytes as f64 / 1e6,
        per_shard as f64 / 1e6,
        elapsed / (bytes as f64 / f64::from(1u32 << 30)),
    );
    for node in running {
        node.shutdown().await;
    }
}
