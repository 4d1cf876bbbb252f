#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
//! Shard sync at epoch change, with four storage nodes on loopback against a devnet ledger
//! served over HTTP: gained shards move by `sync_shard` from their previous owners (no
//! recovery), fall back to recovery when a previous owner is down, resume after a restart in
//! the middle; sync requests that fail a check are refused; a node restarted in the middle of
//! recovery finishes it.

use std::collections::BTreeSet;
use std::time::Duration;

use sui_crypto::ed25519::Ed25519PrivateKey;
use walrus_chain::bls::BlsPrivateKey;
use walrus_chain::bls::{BlsPublicKey, BlsSignature};
use walrus_chain::devnet::client::DevnetClient;
use walrus_chain::types::ObjectId;
use walrus_chain::walrus::FROST_PER_WAL;
use walrus_chain::walrus::chain::{CommitteeView, WalrusChain};
use walrus_core::messages::SyncShardMessage;
use walrus_core::{Axis, BlobId, EncodedBlob, EncodingConfig, Primary, Secondary, ShardIndex};
use walrus_node::RunningNode;
use walrus_node::config::Limits;
use walrus_node_api::{BlobStatus, NodeClient, SignedMessage};

mod support;
use support::{EPOCH_MS, N_NODES, N_SHARDS, Net, start_node, test_limits};

struct Cluster {
    net: Net,
    nodes: Vec<Option<RunningNode>>,
    dirs: Vec<tempfile::TempDir>,
    user: WalrusChain<DevnetClient>,
    anyone: WalrusChain<DevnetClient>,
    committee: CommitteeView,
}

/// Blobs stored and certified on every node.
struct Stored {
    blobs: Vec<(EncodedBlob, Vec<u8>)>,
}

fn blob_data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed))
        .collect()
}

fn owned_by(view: &CommitteeView, key: &BlsPrivateKey) -> Vec<u16> {
    view.members
        .iter()
        .find(|m| m.public_key == key.public_key().as_bytes().as_slice())
        .map(|m| m.shards.clone())
        .unwrap_or_default()
}

/// What the epoch change moves to the gaining node: shard -> previous owner (node index).
struct Move {
    gainer: usize,
    gained: Vec<(u16, usize)>,
}

impl Cluster {
    async fn new(limits: impl Fn(usize) -> Limits) -> Self {
        let net = support::devnet(21).await;
        let dirs: Vec<_> = (0..N_NODES).map(|_| tempfile::tempdir().unwrap()).collect();
        let mut nodes = Vec::new();
        for (i, dir) in dirs.iter().enumerate() {
            nodes.push(Some(start_node(&net, i, dir.path(), limits(i)).await));
        }
        let user =
            WalrusChain::with_key(DevnetClient::new(&net.url), Ed25519PrivateKey::new([9; 32]));
        for _ in 0..4 {
            user.faucet(500 * FROST_PER_WAL).await.unwrap();
        }
        let anyone =
            WalrusChain::with_key(DevnetClient::new(&net.url), Ed25519PrivateKey::new([8; 32]));
        let committee = user.committee().await.unwrap();
        Self {
            net,
            nodes,
            dirs,
            user,
            anyone,
            committee,
        }
    }

    fn client(&self, node: usize) -> NodeClient {
        support::client(&self.net, node)
    }

    /// Starts `node` (again) on its data directory with `limits`.
    async fn start(&mut self, node: usize, limits: Limits) {
        let running = start_node(&self.net, node, self.dirs[node].path(), limits).await;
        self.nodes[node] = Some(running);
    }

    fn node_of_key(&self, public_key: &[u8]) -> usize {
        self.net
            .node_keys
            .iter()
            .position(|k| k.public_key().as_bytes().as_slice() == public_key)
            .unwrap()
    }

    fn shards_of(&self, node: usize) -> Vec<u16> {
        owned_by(&self.committee, &self.net.node_keys[node])
    }

    /// Registers, uploads to every node's shards and certifies with all members.
    async fn store(&self, count: usize, len: usize) -> Stored {
        let config = EncodingConfig::new(N_SHARDS).unwrap();
        let mut blobs = Vec::new();
        for b in 0..count {
            let data = blob_data(len, b as u8 * 7 + 1);
            let encoded = config.encode(&data).unwrap();
            let blob_id = *encoded.blob_id();
            let size = config.encoded_blob_length(data.len() as u64).unwrap();
            let storage = self
                .user
                .reserve_space(size, 5, 50 * FROST_PER_WAL)
                .await
                .unwrap();
            let object = self
                .user
                .register_blob(
                    storage,
                    blob_id,
                    encoded.metadata.metadata().compute_root_hash().bytes(),
                    data.len() as u64,
                    false,
                    50 * FROST_PER_WAL,
                )
                .await
                .unwrap();
            self.await_status(&blob_id, false).await;
            let mut members = Vec::new();
            for (m, member) in self.committee.members.iter().enumerate() {
                let node = self.node_of_key(&member.public_key);
                self.upload(node, &encoded).await;
                members.push(m);
            }
            self.certify(&encoded, object, &members).await;
            self.await_status(&blob_id, true).await;
            blobs.push((encoded, data));
        }
        Stored { blobs }
    }

    async fn await_status(&self, blob_id: &BlobId, certified: bool) {
        for (i, node) in self.nodes.iter().enumerate() {
            if node.is_none() {
                continue;
            }
            let client = self.client(i);
            let ok = poll(200, 25, || async {
                matches!(
                    client.blob_status(blob_id).await.unwrap(),
                    BlobStatus::Permanent { is_certified, .. } if is_certified || !certified
                )
            })
            .await;
            assert!(
                ok,
                "node {i} never saw blob {blob_id} (certified: {certified})"
            );
        }
    }

    async fn upload(&self, node: usize, encoded: &EncodedBlob) {
        let client = self.client(node);
        let blob_id = encoded.blob_id();
        let config = EncodingConfig::new(N_SHARDS).unwrap();
        client
            .store_metadata(blob_id, encoded.metadata.metadata())
            .await
            .unwrap();
        for shard in self.shards_of(node) {
            let pair = config.pair_for_shard(ShardIndex(shard), blob_id).unwrap();
            let slivers = &encoded.sliver_pairs[pair.as_usize()];
            client
                .store_sliver(blob_id, pair, &slivers.primary)
                .await
                .unwrap();
            client
                .store_sliver(blob_id, pair, &slivers.secondary)
                .await
                .unwrap();
        }
    }

    async fn certify(&self, encoded: &EncodedBlob, object: ObjectId, members: &[usize]) {
        let blob_id = encoded.blob_id();
        let mut signatures = Vec::new();
        let mut message = None;
        let mut bitmap = vec![0u8; self.committee.members.len().div_ceil(8)];
        for &m in members {
            let node = self.node_of_key(&self.committee.members[m].public_key);
            let signed = self
                .client(node)
                .confirmation_permanent(blob_id)
                .await
                .unwrap();
            let pk = BlsPublicKey::from_bytes(&self.committee.members[m].public_key).unwrap();
            let signature = BlsSignature::from_bytes(&signed.signature).unwrap();
            pk.verify(&signed.serialized_message, &signature).unwrap();
            message = Some(signed.serialized_message);
            signatures.push(signature);
            bitmap[m / 8] |= 1 << (m % 8);
        }
        let aggregate = BlsSignature::aggregate(signatures.iter()).unwrap();
        self.user
            .certify_blob(
                object,
                aggregate.as_bytes().to_vec(),
                bitmap,
                message.unwrap(),
            )
            .await
            .unwrap();
    }

    /// Stakes with the node holding the fewest shards and ends the voting: the next committee
    /// moves shards to it. Returns what moves, from whom (the epoch change is not started).
    async fn select_next_committee(&self) -> Move {
        let gainer = (0..N_NODES)
            .min_by_key(|&n| self.shards_of(n).len())
            .unwrap();
        let gainer_id = self
            .committee
            .members
            .iter()
            .find(|m| {
                m.public_key
                    == self.net.node_keys[gainer]
                        .public_key()
                        .as_bytes()
                        .as_slice()
            })
            .unwrap()
            .node_id;
        self.user
            .stake(gainer_id, 400 * FROST_PER_WAL)
            .await
            .unwrap();
        self.net.clock.advance(EPOCH_MS / 2);
        self.anyone.voting_end().await.unwrap();
        let next = self.anyone.next_committee().await.unwrap().unwrap();
        let before: BTreeSet<u16> = self.shards_of(gainer).into_iter().collect();
        let gained = owned_by(&next, &self.net.node_keys[gainer])
            .into_iter()
            .filter(|s| !before.contains(s))
            .map(|s| {
                let (_, owner) = self.committee.owner_of(s).unwrap();
                (s, self.node_of_key(&owner.public_key))
            })
            .collect::<Vec<_>>();
        assert!(!gained.is_empty(), "the staked node gains shards: {next:?}");
        Move { gainer, gained }
    }

    /// Whether the chain shows `EpochChangeDone`, polled up to `times` times, 50 ms apart.
    async fn epoch_change_done(&self, times: usize) -> bool {
        let anyone = &self.anyone;
        poll(times, 50, || async {
            anyone
                .read_transactions(0, 10_000, Duration::ZERO)
                .await
                .unwrap()
                .iter()
                .flat_map(|r| &r.events)
                .any(|e| e.event_type.ends_with("::events::EpochChangeDone"))
        })
        .await
    }

    /// Starts the epoch change and waits until it is done (a quorum reported sync done).
    async fn change_epoch(&mut self) {
        self.net.clock.advance(EPOCH_MS / 2);
        self.anyone.initiate_epoch_change().await.unwrap();
        assert!(
            self.epoch_change_done(600).await,
            "the nodes reported epoch_sync_done"
        );
        self.committee = self.anyone.committee().await.unwrap();
        assert_eq!(self.committee.epoch, 2);
    }

    /// Waits until `node` holds both slivers of every blob on every shard in `shards`.
    async fn await_slivers(&self, node: usize, shards: &[u16], stored: &Stored) -> bool {
        let config = EncodingConfig::new(N_SHARDS).unwrap();
        let client = self.client(node);
        poll(600, 50, || async {
            for (encoded, _) in &stored.blobs {
                for &shard in shards {
                    let pair = config
                        .pair_for_shard(ShardIndex(shard), encoded.blob_id())
                        .unwrap();
                    for axis in [Axis::Primary, Axis::Secondary] {
                        if !support::sliver_stored(&client, encoded.blob_id(), pair, axis).await {
                            return false;
                        }
                    }
                }
            }
            true
        })
        .await
    }

    /// Asserts that `node` serves exactly the right slivers for `shards` and nothing else
    /// there.
    async fn assert_exact_slivers(&self, node: usize, shards: &[u16], stored: &Stored) {
        let config = EncodingConfig::new(N_SHARDS).unwrap();
        let client = self.client(node);
        let state = &self.nodes[node].as_ref().unwrap().state;
        let mut ids: Vec<BlobId> = stored.blobs.iter().map(|(e, _)| *e.blob_id()).collect();
        ids.sort();
        for &shard in shards {
            assert_eq!(
                state.store.blobs_in_shard(ShardIndex(shard)).unwrap(),
                ids,
                "shard {shard} holds exactly the stored blobs"
            );
            for (encoded, _) in &stored.blobs {
                let blob_id = encoded.blob_id();
                let pair = config.pair_for_shard(ShardIndex(shard), blob_id).unwrap();
                let expected = &encoded.sliver_pairs[pair.as_usize()];
                assert_eq!(
                    client.sliver::<Primary>(blob_id, pair).await.unwrap(),
                    expected.primary
                );
                assert_eq!(
                    client.sliver::<Secondary>(blob_id, pair).await.unwrap(),
                    expected.secondary
                );
            }
        }
    }

    /// Reads every blob back from the running nodes (metadata from one, primary slivers from
    /// the owners of each shard).
    async fn assert_readable(&self, stored: &Stored) {
        let owners: Vec<(usize, Vec<u16>)> = (0..N_NODES)
            .filter(|&i| self.nodes[i].is_some())
            .map(|i| (i, self.shards_of(i)))
            .collect();
        for (encoded, data) in &stored.blobs {
            let read = support::read_back(&self.net, &owners, encoded.blob_id()).await;
            assert_eq!(&read, data);
        }
    }
}

/// Polls `check` up to `times` times, `every_ms` apart.
async fn poll<F, Fut>(times: usize, every_ms: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..times {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(every_ms)).await;
    }
    false
}

/// A counter from the node's `/metrics`.
async fn metric(cluster: &Cluster, node: usize, name: &str) -> u64 {
    support::metric_at(cluster.net.ports[node], name).await
}

fn sync_request(
    signer: &BlsPrivateKey,
    epoch: u32,
    shard: u16,
    secondary: bool,
    count: u64,
) -> SignedMessage {
    let message = SyncShardMessage {
        epoch,
        shard_index: shard,
        secondary,
        starting_blob_id: [0; 32],
        sliver_count: count,
        request_epoch: epoch,
    }
    .to_bytes();
    SignedMessage {
        signature: signer.sign(&message).as_bytes().to_vec(),
        serialized_message: message,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn gained_shards_move_by_sync_without_recovery_and_old_owners_delete_after_handover() {
    let mut cluster = Cluster::new(|_| test_limits()).await;
    let stored = cluster.store(3, 20_000).await;
    let moved = cluster.select_next_committee().await;
    cluster.change_epoch().await;
    let gainer = moved.gainer;
    let gained: Vec<u16> = moved.gained.iter().map(|&(s, _)| s).collect();
    assert!(cluster.await_slivers(gainer, &gained, &stored).await);
    cluster.assert_exact_slivers(gainer, &gained, &stored).await;
    // The transfers end with an empty page after the last sliver.
    let client = cluster.client(gainer);
    let ended = poll(200, 50, || async {
        client
            .health()
            .await
            .unwrap()
            .shard_summary
            .owned_shard_status
            .in_transfer
            == 0
    })
    .await;
    assert!(ended, "the gainer's transfers ended");

    // Everything came from the previous owners: both axes of every gained shard synced, one
    // sliver per blob each, nothing recovered, nothing refused.
    let expected = (2 * gained.len() * stored.blobs.len()) as u64;
    assert_eq!(
        metric(&cluster, gainer, "walrus_node_slivers_synced_total").await,
        expected
    );
    assert_eq!(
        metric(&cluster, gainer, "walrus_node_shard_axes_synced_total").await,
        2 * gained.len() as u64
    );
    assert_eq!(
        metric(&cluster, gainer, "walrus_node_slivers_recovered_total").await,
        0
    );
    assert_eq!(
        metric(&cluster, gainer, "walrus_node_shard_axes_fell_back_total").await,
        0
    );
    assert_eq!(
        metric(
            &cluster,
            gainer,
            "walrus_node_synced_slivers_rejected_total"
        )
        .await,
        0
    );
    let mut served = 0;
    for node in 0..N_NODES {
        served += metric(&cluster, node, "walrus_node_slivers_served_for_sync_total").await;
    }
    assert_eq!(served, expected, "each sliver was served once");
    let health = cluster.client(gainer).health().await.unwrap();
    assert_eq!(health.shard_summary.owned_shard_status.in_transfer, 0);
    assert_eq!(health.shard_summary.owned, cluster.shards_of(gainer).len());
    cluster.assert_readable(&stored).await;

    // The previous owners delete the shards they lost once the gainer reported them received
    // (in this epoch: before, a lost shard was kept until the next epoch whatever happened).
    let losers: BTreeSet<usize> = moved.gained.iter().map(|&(_, n)| n).collect();
    for &node in &losers {
        let client = cluster.client(node);
        let deleted = poll(200, 50, || async {
            client.health().await.unwrap().shard_summary.read_only == 0
        })
        .await;
        assert!(
            deleted,
            "node {node} deleted its lost shards after the handover"
        );
    }
}

/// A previous owner that serves forged slivers (here: a byte of every sliver of one of the
/// shards it hands over flipped on its disk) gets each one rejected by the gainer, which
/// verifies every synced sliver against the blob's metadata, counts it, stores nothing of it,
/// and recovers those slivers from recovery symbols instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_slivers_from_a_previous_owner_are_rejected_and_recovered() {
    let mut cluster = Cluster::new(|_| test_limits()).await;
    let stored = cluster.store(2, 20_000).await;
    let moved = cluster.select_next_committee().await;
    let (forged_shard, liar) = moved.gained[0];
    let shard_dir = cluster.dirs[liar]
        .path()
        .join("store/shards")
        .join(forged_shard.to_string());
    // A liar's records are intact as records: the value's and the header's CRC-32C are made
    // to match the flipped byte (record layout: `walrus_node::segments`).
    let mut forged = 0;
    for entry in std::fs::read_dir(&shard_dir).unwrap() {
        let path = entry.unwrap().path();
        let mut bytes = std::fs::read(&path).unwrap();
        let mut at = 0;
        while at < bytes.len() {
            let header = &mut bytes[at..at + 52];
            assert_eq!(&header[0..4], b"WSEG");
            let len = u32::from_le_bytes(header[40..44].try_into().unwrap()) as usize;
            let value = at + 52..at + 52 + len;
            bytes[value.start + len / 2] ^= 0x5a;
            let value_crc = crc32c::crc32c(&bytes[value.clone()]);
            bytes[at + 44..at + 48].copy_from_slice(&value_crc.to_le_bytes());
            let header_crc = crc32c::crc32c(&bytes[at..at + 48]);
            bytes[at + 48..at + 52].copy_from_slice(&header_crc.to_le_bytes());
            at = value.end;
            forged += 1;
        }
        std::fs::write(&path, bytes).unwrap();
    }
    let blobs = stored.blobs.len();
    assert_eq!(forged, 2 * blobs, "both axes of every blob in the shard");
    cluster.change_epoch().await;

    let gainer = moved.gainer;
    let gained: Vec<u16> = moved.gained.iter().map(|&(s, _)| s).collect();
    assert!(cluster.await_slivers(gainer, &gained, &stored).await);
    cluster.assert_exact_slivers(gainer, &gained, &stored).await;
    assert_eq!(
        metric(
            &cluster,
            gainer,
            "walrus_node_synced_slivers_rejected_total"
        )
        .await,
        forged as u64
    );
    assert_eq!(
        metric(&cluster, gainer, "walrus_node_slivers_recovered_total").await,
        forged as u64,
        "exactly the forged slivers were recovered"
    );
    assert_eq!(
        metric(&cluster, gainer, "walrus_node_slivers_synced_total").await,
        (2 * (gained.len() - 1) * blobs) as u64,
        "the other shards were synced"
    );
    cluster.assert_readable(&stored).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_a_previous_owner_down_the_new_owner_recovers_its_shards() {
    let mut cluster = Cluster::new(|_| test_limits()).await;
    let stored = cluster.store(2, 20_000).await;
    let moved = cluster.select_next_committee().await;
    // The previous owner of the fewest gained shards goes down before the epoch change.
    let owners: BTreeSet<usize> = moved.gained.iter().map(|&(_, n)| n).collect();
    let down = *owners
        .iter()
        .min_by_key(|&&n| moved.gained.iter().filter(|&&(_, o)| o == n).count())
        .unwrap();
    cluster.nodes[down].take().unwrap().shutdown().await;
    cluster.change_epoch().await;

    let gainer = moved.gainer;
    let gained: Vec<u16> = moved.gained.iter().map(|&(s, _)| s).collect();
    assert!(cluster.await_slivers(gainer, &gained, &stored).await);
    cluster.assert_exact_slivers(gainer, &gained, &stored).await;
    let from_down = moved.gained.iter().filter(|&&(_, n)| n == down).count();
    let from_up = gained.len() - from_down;
    let blobs = stored.blobs.len();
    assert_eq!(
        metric(&cluster, gainer, "walrus_node_shard_axes_fell_back_total").await,
        2 * from_down as u64
    );
    assert_eq!(
        metric(&cluster, gainer, "walrus_node_slivers_recovered_total").await,
        (2 * from_down * blobs) as u64,
        "the down owner's shards were recovered"
    );
    assert_eq!(
        metric(&cluster, gainer, "walrus_node_slivers_synced_total").await,
        (2 * from_up * blobs) as u64,
        "the other shards were synced"
    );
    cluster.assert_readable(&stored).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sync_requests_failing_a_check_are_refused() {
    let mut cluster = Cluster::new(|_| test_limits()).await;
    let stored = cluster.store(1, 10_000).await;
    let moved = cluster.select_next_committee().await;
    cluster.change_epoch().await;
    let gainer = moved.gainer;
    let (shard, owner) = moved.gained[0];
    let gained: Vec<u16> = moved.gained.iter().map(|&(s, _)| s).collect();
    assert!(cluster.await_slivers(gainer, &gained, &stored).await);

    let keys = &cluster.net.node_keys;
    let gainer_key = &keys[gainer];
    let gainer_pk = gainer_key.public_key().as_bytes().to_vec();
    let other = (0..N_NODES).find(|&n| n != gainer && n != owner).unwrap();
    let client = cluster.client(owner);
    let limit = Limits::default().sync_shard_max_slivers;

    // The request that passes every check is answered (control).
    client
        .sync_shard(
            &gainer_pk,
            &sync_request(gainer_key, 2, shard, false, limit),
        )
        .await
        .unwrap();
    let served = metric(&cluster, owner, "walrus_node_slivers_served_for_sync_total").await;
    let served_by_other =
        metric(&cluster, other, "walrus_node_slivers_served_for_sync_total").await;
    let refusal = |signed: SignedMessage, pk: Vec<u8>| {
        let client = client.clone();
        async move { client.sync_shard(&pk, &signed).await.unwrap_err() }
    };
    // Signed by a node that does not own the shard now (with its own key in the header).
    let err = refusal(
        sync_request(&keys[other], 2, shard, false, limit),
        keys[other].public_key().as_bytes().to_vec(),
    )
    .await;
    assert_eq!(err.reason(), Some("REQUEST_UNAUTHORIZED"), "{err}");
    assert_eq!(err.status(), Some(403));
    // The owner's key in the header, signed by another key.
    let err = refusal(
        sync_request(&keys[other], 2, shard, false, limit),
        gainer_pk.clone(),
    )
    .await;
    assert_eq!(err.reason(), Some("MESSAGE_VERIFICATION_FAILED"), "{err}");
    assert_eq!(err.status(), Some(400));
    // A request for the previous epoch.
    let err = refusal(
        sync_request(gainer_key, 1, shard, false, limit),
        gainer_pk.clone(),
    )
    .await;
    assert_eq!(err.reason(), Some("INVALID_EPOCH"), "{err}");
    assert_eq!(err.status(), Some(400));
    let walrus_node_api::NodeApiError::Api { envelope, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        serde_json::Value::Object(envelope.error.details[0].metadata.clone()),
        serde_json::json!({"request_epoch": 1, "server_epoch": 2})
    );
    // More slivers than the limit, and none.
    for count in [limit + 1, 0] {
        let err = refusal(
            sync_request(gainer_key, 2, shard, true, count),
            gainer_pk.clone(),
        )
        .await;
        assert_eq!(err.reason(), Some("SLIVER_COUNT_EXCEEDS_LIMIT"), "{err}");
    }
    // A node that did not own the shard before refuses to answer for it.
    let err = cluster
        .client(other)
        .sync_shard(
            &gainer_pk,
            &sync_request(gainer_key, 2, shard, false, limit),
        )
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("SHARD_NOT_ASSIGNED"), "{err}");
    assert_eq!(err.status(), Some(400));
    // No or garbage key, garbage and oversized bodies.
    let http = reqwest::Client::new();
    let url = format!(
        "http://127.0.0.1:{}{}",
        cluster.net.ports[owner],
        walrus_node_api::routes::SYNC_SHARD
    );
    let good = sync_request(gainer_key, 2, shard, false, limit).to_bcs();
    let cases: [(Option<String>, Vec<u8>, u16, &str); 4] = [
        (None, good.clone(), 401, "INVALID_AUTHORIZATION"),
        (
            Some("not base64!".into()),
            good.clone(),
            401,
            "INVALID_AUTHORIZATION",
        ),
        (
            Some(base64_of(&gainer_pk)),
            good[..good.len() - 1].to_vec(),
            400,
            "INVALID_CONTENT_TYPE",
        ),
        (
            Some(base64_of(&gainer_pk)),
            vec![0; 4096],
            413,
            "BODY_TOO_LARGE",
        ),
    ];
    for (key, body, code, reason) in cases {
        let mut request = http.post(&url).body(body);
        if let Some(key) = key {
            request = request.header("authorization", key);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), code, "{reason}");
        let body = response.bytes().await.unwrap();
        if code == 413 {
            // As the reference's body limit: plain text, no envelope.
            let text = String::from_utf8_lossy(&body);
            assert!(text.contains("exceeds the limit"), "{text}");
            continue;
        }
        let envelope: walrus_node_api::ErrorEnvelope = serde_json::from_slice(&body).unwrap();
        assert_eq!(envelope.reason(), Some(reason));
        assert!(envelope.status_code().is_some(), "{envelope:?}");
    }
    // None of the refused requests was answered with slivers.
    assert_eq!(
        metric(&cluster, owner, "walrus_node_slivers_served_for_sync_total").await,
        served
    );
    assert_eq!(
        metric(&cluster, other, "walrus_node_slivers_served_for_sync_total").await,
        served_by_other
    );
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_restarted_in_the_middle_of_a_shard_sync_resumes_it() {
    // The gainer asks for one sliver per page and pauses between pages, so it can be stopped
    // in the middle.
    let slow = || Limits {
        sync_shard_max_slivers: 1,
        sync_shard_page_interval_millis: 150,
        ..test_limits()
    };
    let mut cluster = Cluster::new(|_| test_limits()).await;
    let stored = cluster.store(4, 8_000).await;
    let moved = cluster.select_next_committee().await;
    let gainer = moved.gainer;
    cluster.nodes[gainer].take().unwrap().shutdown().await;
    cluster.start(gainer, slow()).await;
    cluster.net.clock.advance(EPOCH_MS / 2);
    cluster.anyone.initiate_epoch_change().await.unwrap();

    let gained: Vec<u16> = moved.gained.iter().map(|&(s, _)| s).collect();
    let expected = (2 * gained.len() * stored.blobs.len()) as u64;
    let state = cluster.nodes[gainer].as_ref().unwrap().state.clone();
    let started = poll(400, 10, || async {
        state
            .shard_sync
            .metrics
            .slivers_synced
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 2
    })
    .await;
    assert!(started);
    cluster.nodes[gainer].take().unwrap().shutdown().await;
    let before = state
        .shard_sync
        .metrics
        .slivers_synced
        .load(std::sync::atomic::Ordering::Relaxed);
    drop(state);
    assert!(
        before < expected,
        "stopped in the middle: {before} of {expected}"
    );
    let persisted =
        walrus_node::sync::SyncState::load(&cluster.dirs[gainer].path().join("shard_sync.json"))
            .unwrap();
    assert!(
        !persisted.in_transfer().is_empty(),
        "the transfer was persisted as unfinished"
    );

    cluster.start(gainer, test_limits()).await;
    cluster.committee = cluster.anyone.committee().await.unwrap();
    assert!(cluster.await_slivers(gainer, &gained, &stored).await);
    cluster.assert_exact_slivers(gainer, &gained, &stored).await;
    let after = metric(&cluster, gainer, "walrus_node_slivers_synced_total").await;
    assert_eq!(before + after, expected, "every sliver stored exactly once");
    assert_eq!(
        metric(&cluster, gainer, "walrus_node_slivers_recovered_total").await,
        0
    );
    // It resumed: the previous owners served each sliver once, plus at most the page that was
    // in flight when the node stopped.
    let mut served = 0;
    for node in 0..N_NODES {
        if node != gainer {
            served += metric(&cluster, node, "walrus_node_slivers_served_for_sync_total").await;
        }
    }
    assert!(
        (expected..=expected + 1).contains(&served),
        "served {served} for {expected} slivers"
    );
    assert!(cluster.epoch_change_done(400).await);
    cluster.assert_readable(&stored).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_restarted_in_the_middle_of_recovery_finishes_it() {
    let mut cluster = Cluster::new(|_| test_limits()).await;
    let config = EncodingConfig::new(N_SHARDS).unwrap();
    // The node with the fewest shards misses the writes of several blobs.
    let absent = (0..N_NODES)
        .min_by_key(|&n| cluster.shards_of(n).len())
        .unwrap();
    let mut blobs = Vec::new();
    let mut pending = Vec::new();
    for b in 0..6u8 {
        let data = blob_data(200_000, b * 11 + 3);
        let encoded = config.encode(&data).unwrap();
        let size = config.encoded_blob_length(data.len() as u64).unwrap();
        let storage = cluster
            .user
            .reserve_space(size, 5, 50 * FROST_PER_WAL)
            .await
            .unwrap();
        let object = cluster
            .user
            .register_blob(
                storage,
                *encoded.blob_id(),
                encoded.metadata.metadata().compute_root_hash().bytes(),
                data.len() as u64,
                false,
                50 * FROST_PER_WAL,
            )
            .await
            .unwrap();
        cluster.await_status(encoded.blob_id(), false).await;
        let mut members = Vec::new();
        for (m, member) in cluster.committee.members.iter().enumerate() {
            let node = cluster.node_of_key(&member.public_key);
            if node != absent {
                cluster.upload(node, &encoded).await;
                members.push(m);
            }
        }
        pending.push((object, members));
        blobs.push((encoded, data));
    }
    // Certify them all, and stop the node as soon as it recovered its first sliver.
    let state = cluster.nodes[absent].as_ref().unwrap().state.clone();
    for ((encoded, _), (object, members)) in blobs.iter().zip(&pending) {
        cluster.certify(encoded, *object, members).await;
    }
    let recovered = || {
        state
            .metrics
            .slivers_recovered
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    assert!(poll(2_000, 2, || async { recovered() >= 1 }).await);
    cluster.nodes[absent].take().unwrap().shutdown().await;
    let before = recovered();
    drop(state);
    let stored = Stored { blobs };
    let shards = cluster.shards_of(absent);
    let expected = (2 * shards.len() * stored.blobs.len()) as u64;
    assert!(
        before < expected,
        "stopped in the middle: {before} of {expected}"
    );

    cluster.start(absent, test_limits()).await;
    assert!(cluster.await_slivers(absent, &shards, &stored).await);
    cluster.assert_exact_slivers(absent, &shards, &stored).await;
    let after = metric(&cluster, absent, "walrus_node_slivers_recovered_total").await;
    assert_eq!(
        before + after,
        expected,
        "every sliver recovered exactly once"
    );
    for (encoded, _) in &stored.blobs {
        cluster
            .client(absent)
            .confirmation_permanent(encoded.blob_id())
            .await
            .unwrap();
    }
    cluster.assert_readable(&stored).await;
}
