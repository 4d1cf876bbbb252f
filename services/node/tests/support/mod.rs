//! What the storage-node integration tests share: a devnet ledger served over HTTP with a
//! genesis committee of [`N_NODES`] nodes on loopback ports.
#![allow(dead_code)] // each test binary uses a part

pub mod error_cases;

use std::sync::Arc;

use sui_crypto::ed25519::Ed25519PrivateKey;
use walrus_chain::bls::BlsPrivateKey;
use walrus_chain::devnet::client::DevnetClient;
use walrus_chain::devnet::ledger::{Ledger, LedgerOptions, ManualClock};
use walrus_chain::devnet::server;
use walrus_chain::devnet::tx::address_of;
use walrus_chain::walrus::chain::WalrusChain;
use walrus_chain::walrus::staking::{GenesisNode, GenesisVotes};
use walrus_chain::walrus::{FROST_PER_WAL, GenesisConfig, WalrusMachine};
use walrus_core::{BlobId, ConsistencyCheck, EncodingConfig, Primary, ShardIndex, SliverData};
use walrus_node::config::Limits;
use walrus_node::{NodeConfig, RunningNode};
use walrus_node_api::NodeClient;

/// Shards of the devnet.
pub const N_SHARDS: u16 = 10;
/// Nodes of the genesis committee.
pub const N_NODES: usize = 4;
/// Epoch duration of the devnet (ms).
pub const EPOCH_MS: u64 = 3_600_000;

/// A devnet ledger served over HTTP, with the genesis committee of [`N_NODES`] nodes.
pub struct Net {
    /// The ledger's HTTP endpoint.
    pub url: String,
    /// The ledger's clock (tests move time by hand).
    pub clock: Arc<ManualClock>,
    _ledger: Arc<Ledger<WalrusMachine>>,
    /// Node `i`'s BLS protocol key.
    pub node_keys: Vec<BlsPrivateKey>,
    /// Node `i`'s port on 127.0.0.1 (its network address in the genesis committee).
    pub ports: Vec<u16>,
    /// Node `i`'s listener, held from the moment its port was chosen until the node first
    /// starts: a port released and bound again later can be taken in between by another test
    /// process running in parallel ("Address already in use").
    reserved: std::sync::Mutex<Vec<Option<std::net::TcpListener>>>,
    _dir: tempfile::TempDir,
}

/// A listener on a port of 127.0.0.1 the system chose.
pub fn reserve_port() -> std::net::TcpListener {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap()
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    reserve_port().local_addr().unwrap().port()
}

/// Node `i`'s listener: the reserved one the first time, else its port bound again (a stopped
/// node's port can take a moment to be released).
pub async fn node_listener(net: &Net, i: usize) -> tokio::net::TcpListener {
    let reserved = net.reserved.lock().unwrap()[i].take();
    if let Some(listener) = reserved {
        listener.set_nonblocking(true).unwrap();
        return tokio::net::TcpListener::from_std(listener).unwrap();
    }
    let address = format!("127.0.0.1:{}", net.ports[i]);
    let mut attempts = 0;
    loop {
        match tokio::net::TcpListener::bind(&address).await {
            Ok(listener) => return listener,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && attempts < 100 => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(e) => panic!("binding {address} for node {i}: {e}"),
        }
    }
}

/// The devnet, its nodes' BLS keys derived from `key_seed` (tests binaries that run at the
/// same time use different seeds, so their committees never share a key).
pub async fn devnet(key_seed: u8) -> Net {
    let node_keys: Vec<_> = (0..N_NODES as u8)
        .map(|i| BlsPrivateKey::from_ikm(&[i + key_seed; 32]).unwrap())
        .collect();
    let reserved: Vec<std::net::TcpListener> = (0..N_NODES).map(|_| reserve_port()).collect();
    let ports: Vec<u16> = reserved
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    let nodes = node_keys
        .iter()
        .enumerate()
        .map(|(i, bls)| {
            GenesisNode::new(
                format!("node-{i}"),
                format!("127.0.0.1:{}", ports[i]),
                bls,
                vec![2; 33],
                500,
                address_of(&Ed25519PrivateKey::new([i as u8 + 60; 32])),
                100 * FROST_PER_WAL,
                GenesisVotes {
                    storage_price: 1_000,
                    write_price: 2_000,
                    node_capacity: 1 << 40,
                },
            )
        })
        .collect();
    let config = GenesisConfig {
        n_shards: N_SHARDS,
        epoch_duration_ms: EPOCH_MS,
        nodes,
        ..GenesisConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let ledger = Arc::new(
        Ledger::open(
            dir.path(),
            WalrusMachine::new(config),
            clock.clone(),
            LedgerOptions::default(),
        )
        .unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = ledger.clone();
    tokio::spawn(async move { axum::serve(listener, server::router(served)).await });
    Net {
        url,
        clock,
        _ledger: ledger,
        node_keys,
        ports,
        reserved: std::sync::Mutex::new(reserved.into_iter().map(Some).collect()),
        _dir: dir,
    }
}

/// Limits that make a test node notice chain changes quickly.
pub fn test_limits() -> Limits {
    Limits {
        event_wait_millis: 100,
        committee_refresh_millis: 200,
        ..Limits::default()
    }
}

/// Node `i`'s configuration: its genesis port, `data_dir`, `limits`.
pub fn node_config(net: &Net, i: usize, data_dir: &std::path::Path, limits: Limits) -> NodeConfig {
    NodeConfig {
        data_dir: data_dir.to_owned(),
        listen_address: format!("127.0.0.1:{}", net.ports[i]).parse().unwrap(),
        limits,
        ..NodeConfig::new(net.url.clone())
    }
}

/// Starts node `i` on `data_dir` with `limits`. It acts with its operator account (the one
/// the genesis committee names: `epoch_sync_done`, `invalidate_blob_id`).
pub async fn start_node(
    net: &Net,
    i: usize,
    data_dir: &std::path::Path,
    limits: Limits,
) -> RunningNode {
    let config = node_config(net, i, data_dir, limits);
    let operator = Ed25519PrivateKey::new([i as u8 + 60; 32]);
    walrus_node::start_on(
        &config,
        node_listener(net, i).await,
        net.node_keys[i].clone(),
        WalrusChain::with_key(DevnetClient::new(&net.url), operator),
    )
    .await
    .unwrap()
}

/// A client of node `i`.
pub fn client(net: &Net, i: usize) -> NodeClient {
    NodeClient::new(&format!("127.0.0.1:{}", net.ports[i]))
}

/// Reads `blob_id` back from running nodes, given as (node index, the shards it owns): the
/// metadata from the first, every primary sliver verified against it, the blob decoded with
/// the strict consistency check.
pub async fn read_back(net: &Net, owners: &[(usize, Vec<u16>)], blob_id: &BlobId) -> Vec<u8> {
    let config = EncodingConfig::new(N_SHARDS).unwrap();
    let metadata = client(net, owners[0].0)
        .metadata(blob_id)
        .await
        .unwrap()
        .verify(&config)
        .unwrap();
    let mut slivers: Vec<SliverData<Primary>> = Vec::new();
    for (i, shards) in owners {
        for &shard in shards {
            let pair = config.pair_for_shard(ShardIndex(shard), blob_id).unwrap();
            let sliver = client(net, *i)
                .sliver::<Primary>(blob_id, pair)
                .await
                .unwrap();
            sliver.verify(&config, &metadata).unwrap();
            slivers.push(sliver);
        }
    }
    config
        .decode_and_verify(&metadata, slivers.iter(), ConsistencyCheck::Strict)
        .unwrap()
        .to_vec()
}

/// The value of the Prometheus counter `name` on the node whose API listens on `port`.
#[allow(dead_code)] // not every test binary reads metrics
pub async fn metric_at(port: u16, name: &str) -> u64 {
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no metric {name}"))
}

/// Whether `client`'s node has stored the sliver. A node that has no data of the pair's shard
/// yet (a shard it gains at an epoch change it has not processed) answers
/// `SHARD_NOT_ASSIGNED`, which counts as not stored; any other error fails the test.
pub async fn sliver_stored(
    client: &NodeClient,
    blob_id: &BlobId,
    pair: walrus_core::SliverPairIndex,
    axis: walrus_core::Axis,
) -> bool {
    match client.sliver_status(blob_id, pair, axis).await {
        Ok(status) => status == walrus_node_api::StoredOnNodeStatus::Stored,
        Err(e) if e.reason() == Some("SHARD_NOT_ASSIGNED") => false,
        Err(e) => panic!("sliver status of {blob_id} pair {}: {e}", pair.get()),
    }
}
