//! The typed control-plane handle over HTTP against a devnet whose genesis registers real
//! storage nodes: store a blob's registration and certificate as a client would, and drive an
//! epoch change as the nodes would.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use sui_crypto::ed25519::Ed25519PrivateKey;
use walrus_chain::api::ChainError;
use walrus_chain::bls::{BlsPrivateKey, BlsSignature};
use walrus_chain::devnet::client::DevnetClient;
use walrus_chain::devnet::ledger::{Ledger, LedgerOptions, ManualClock};
use walrus_chain::devnet::server;
use walrus_chain::devnet::tx::address_of;
use walrus_chain::walrus::chain::WalrusChain;
use walrus_chain::walrus::staking::{GenesisNode, GenesisVotes};
use walrus_chain::walrus::{FROST_PER_WAL, GenesisConfig, WalrusMachine};
use walrus_core::EncodingConfig;
use walrus_core::messages::{BlobCertificationMessage, BlobPersistenceType};

const N_SHARDS: u16 = 10;
const EPOCH_MS: u64 = 600_000;

struct Devnet {
    url: String,
    ledger: Arc<Ledger<WalrusMachine>>,
    config: GenesisConfig,
    clock: Arc<ManualClock>,
    node_keys: Vec<BlsPrivateKey>,
    operators: Vec<Ed25519PrivateKey>,
    _dir: tempfile::TempDir,
}

async fn devnet() -> Devnet {
    let node_keys: Vec<_> = (0..4u8)
        .map(|i| BlsPrivateKey::from_ikm(&[i + 1; 32]).unwrap())
        .collect();
    let operators: Vec<_> = (0..4u8)
        .map(|i| Ed25519PrivateKey::new([i + 50; 32]))
        .collect();
    let nodes = node_keys
        .iter()
        .zip(&operators)
        .enumerate()
        .map(|(i, (bls, op))| {
            GenesisNode::new(
                format!("node-{i}"),
                format!("127.0.0.1:{}", 9100 + i),
                bls,
                vec![2; 33],
                500,
                address_of(op),
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
    let options = LedgerOptions {
        snapshot_every: 5,
        ..LedgerOptions::default()
    };
    let ledger = Arc::new(
        Ledger::open(
            dir.path(),
            WalrusMachine::new(config.clone()),
            clock.clone(),
            options,
        )
        .unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = ledger.clone();
    tokio::spawn(async move { axum::serve(listener, server::router(served)).await });
    Devnet {
        url,
        ledger,
        config,
        clock,
        node_keys,
        operators,
        _dir: dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_certify_and_change_epoch_through_the_typed_handle() {
    let net = devnet().await;
    let user = WalrusChain::with_key(DevnetClient::new(&net.url), Ed25519PrivateKey::new([9; 32]));
    let me = user.address().unwrap();

    // The genesis committee is readable with what a client needs to reach the nodes.
    let committee = user.committee().await.unwrap();
    assert_eq!(committee.epoch, 1);
    assert_eq!(committee.members.len(), 4);
    assert_eq!(
        committee
            .members
            .iter()
            .map(|m| m.shards.len())
            .sum::<usize>(),
        usize::from(N_SHARDS)
    );
    assert!(
        committee
            .members
            .windows(2)
            .all(|w| w[0].node_id < w[1].node_id)
    );
    assert!(committee.owner_of(0).is_some());
    let system = user.system().await.unwrap();
    assert_eq!(system.committee.epoch, 1);
    assert!(system.total_capacity_size > 0);

    // Money and space.
    assert!(matches!(
        user.reserve_space(1, 1, 1).await,
        Err(ChainError::Refused(_))
    ));
    user.faucet(500 * FROST_PER_WAL).await.unwrap();
    assert_eq!(user.wal_balance(me).await.unwrap(), 500 * FROST_PER_WAL);

    let data = b"the typed handle stores this".to_vec();
    let config = EncodingConfig::new(N_SHARDS).unwrap();
    let metadata = config.compute_metadata(&data).unwrap();
    let blob_id = *metadata.blob_id();
    let root_hash = metadata.metadata().compute_root_hash().bytes();
    let encoded = config.encoded_blob_length(data.len() as u64).unwrap();

    let storage = user
        .reserve_space(encoded, 2, 100 * FROST_PER_WAL)
        .await
        .unwrap();
    let blob = user
        .register_blob(
            storage,
            blob_id,
            root_hash,
            data.len() as u64,
            false,
            100 * FROST_PER_WAL,
        )
        .await
        .unwrap();
    let registered = user.blob(blob).await.unwrap().unwrap();
    assert_eq!(registered.blob.blob_id, blob_id);
    assert_eq!(registered.blob.certified_epoch, None);
    assert!(
        user.wal_balance(me).await.unwrap() < 500 * FROST_PER_WAL,
        "storage was paid for"
    );

    // A quorum of the committee signs the certification message; a signature from a key outside
    // the committee is refused with the Move abort.
    let message = BlobCertificationMessage {
        epoch: 1,
        blob_id: blob_id.0,
        persistence: BlobPersistenceType::Permanent,
    }
    .to_bytes();
    let by_member = |i: usize| {
        let pk = &committee.members[i].public_key;
        net.node_keys
            .iter()
            .find(|k| k.public_key().as_bytes().as_slice() == pk.as_slice())
            .unwrap()
            .sign(&message)
    };
    let signers = [0usize, 1, 2, 3];
    let aggregate = BlsSignature::aggregate(
        signers
            .iter()
            .map(|&i| by_member(i))
            .collect::<Vec<_>>()
            .iter(),
    )
    .unwrap();
    let forged = BlsPrivateKey::from_ikm(&[77; 32]).unwrap().sign(&message);
    let err = user
        .certify_blob(
            blob,
            forged.as_bytes().to_vec(),
            vec![0b1111],
            message.clone(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ChainError::Aborted(f) if f.module.ends_with("bls_aggregate")),
        "{err}"
    );
    let record = user
        .certify_blob(blob, aggregate.as_bytes().to_vec(), vec![0b1111], message)
        .await
        .unwrap();
    assert!(
        record
            .events
            .iter()
            .any(|e| e.event_type.ends_with("::events::BlobCertified"))
    );
    assert_eq!(
        user.blob(blob).await.unwrap().unwrap().blob.certified_epoch,
        Some(1)
    );

    // Epoch change, driven as the devnet and the nodes do.
    let anyone =
        WalrusChain::with_key(DevnetClient::new(&net.url), Ed25519PrivateKey::new([8; 32]));
    assert!(
        matches!(anyone.voting_end().await, Err(ChainError::Aborted(_))),
        "too early"
    );
    net.clock.advance(EPOCH_MS / 2);
    anyone.voting_end().await.unwrap();
    assert!(anyone.next_committee().await.unwrap().is_some());
    net.clock.advance(EPOCH_MS / 2);
    let start = anyone.initiate_epoch_change().await.unwrap();
    assert!(
        start
            .events
            .iter()
            .any(|e| e.event_type.ends_with("::events::EpochChangeStart"))
    );
    let mut done = false;
    for op in &net.operators {
        let operator = WalrusChain::with_key(DevnetClient::new(&net.url), op.clone());
        for (cap, _node) in operator.node_caps().await.unwrap() {
            let r = operator.epoch_sync_done(cap, 2).await.unwrap();
            done |= r
                .events
                .iter()
                .any(|e| e.event_type.ends_with("::events::EpochChangeDone"));
        }
    }
    assert!(
        done,
        "a quorum of sync-done reports finishes the epoch change"
    );
    assert_eq!(user.committee().await.unwrap().epoch, 2);

    // Everything above is in the stream, in order.
    let records = user
        .read_transactions(0, 1000, Duration::ZERO)
        .await
        .unwrap();
    assert!(records.windows(2).all(|w| w[1].cursor == w[0].cursor + 1));

    // The Walrus machine is deterministic: replaying the whole journal without snapshots gives
    // the same records (the ledger checks each while opening) and the same objects.
    let state = net.ledger.with_objects(|o| bcs::to_bytes(o).unwrap());
    let copy = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(copy.path().join("journal")).unwrap();
    for entry in std::fs::read_dir(net._dir.path().join("journal")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            copy.path().join("journal").join(entry.file_name()),
        )
        .unwrap();
    }
    let replayed = Ledger::open(
        copy.path(),
        WalrusMachine::new(net.config.clone()),
        Arc::new(ManualClock::new(0)),
        LedgerOptions::default(),
    )
    .unwrap();
    assert_eq!(replayed.with_objects(|o| bcs::to_bytes(o).unwrap()), state);
    assert_eq!(replayed.head(), records.last().unwrap().cursor);
}

/// The epoch driver takes each time-gated step exactly when Move allows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_epoch_driver_advances_epochs_on_time() {
    use walrus_chain::walrus::driver::{DriverStep, drive_once};
    let net = devnet().await;
    let driver = WalrusChain::with_key(net.ledger.clone(), Ed25519PrivateKey::new([7; 32]));
    let genesis_time = 1_700_000_000_000;
    assert_eq!(
        drive_once(&driver, genesis_time).await.unwrap(),
        DriverStep::WaitUntil(genesis_time + EPOCH_MS / 2)
    );
    net.clock.advance(EPOCH_MS / 2);
    assert_eq!(
        drive_once(&driver, genesis_time + EPOCH_MS / 2)
            .await
            .unwrap(),
        DriverStep::VotingEnd
    );
    assert_eq!(
        drive_once(&driver, genesis_time + EPOCH_MS / 2)
            .await
            .unwrap(),
        DriverStep::WaitUntil(genesis_time + EPOCH_MS)
    );
    net.clock.advance(EPOCH_MS / 2);
    assert_eq!(
        drive_once(&driver, genesis_time + EPOCH_MS).await.unwrap(),
        DriverStep::InitiateEpochChange
    );
    assert_eq!(driver.staking().await.unwrap().inner.epoch, 2);
    // Now the nodes must report; the driver waits for them.
    assert_eq!(
        drive_once(&driver, genesis_time + 2 * EPOCH_MS)
            .await
            .unwrap(),
        DriverStep::WaitForSync
    );
}
