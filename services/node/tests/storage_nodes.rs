#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
//! Several storage nodes on loopback against a devnet ledger served over HTTP: store a blob
//! through the API, certify it with the nodes' confirmations, read it back; bad input changes
//! nothing; a restarted node resumes its cursor; a node that missed the write recovers.

use std::time::Duration;

use sui_crypto::ed25519::Ed25519PrivateKey;
use walrus_chain::bls::{BlsPrivateKey, BlsPublicKey, BlsSignature};
use walrus_chain::devnet::client::DevnetClient;
use walrus_chain::types::ObjectId;
use walrus_chain::walrus::FROST_PER_WAL;
use walrus_chain::walrus::chain::{CommitteeView, WalrusChain};
use walrus_core::{
    Axis, Bcs, BlobId, EncodedBlob, EncodingConfig, Primary, ShardIndex, SliverData,
    SliverPairIndex,
};
use walrus_node::RunningNode;
use walrus_node::config::Limits;
use walrus_node_api::{BlobStatus, NodeClient, StoredOnNodeStatus};

mod support;
use support::{EPOCH_MS, N_NODES, N_SHARDS, Net, node_config, start_node, test_limits};

struct Cluster {
    net: Net,
    nodes: Vec<Option<RunningNode>>,
    dirs: Vec<tempfile::TempDir>,
    user: WalrusChain<DevnetClient>,
    committee: CommitteeView,
}

impl Cluster {
    async fn new() -> Self {
        let net = support::devnet(11).await;
        let dirs: Vec<_> = (0..N_NODES).map(|_| tempfile::tempdir().unwrap()).collect();
        let mut nodes = Vec::new();
        for (i, dir) in dirs.iter().enumerate() {
            nodes.push(Some(start_node(&net, i, dir.path(), test_limits()).await));
        }
        let user =
            WalrusChain::with_key(DevnetClient::new(&net.url), Ed25519PrivateKey::new([9; 32]));
        user.faucet(500 * FROST_PER_WAL).await.unwrap();
        let committee = user.committee().await.unwrap();
        Self {
            net,
            nodes,
            dirs,
            user,
            committee,
        }
    }

    /// The node index (in `nodes`) of committee member `m`.
    fn node_of_member(&self, m: usize) -> usize {
        let pk = &self.committee.members[m].public_key;
        self.net
            .node_keys
            .iter()
            .position(|k| k.public_key().as_bytes().as_slice() == pk.as_slice())
            .unwrap()
    }

    fn client(&self, node: usize) -> NodeClient {
        support::client(&self.net, node)
    }

    /// Starts `node` (again) on its data directory with `limits`.
    async fn start(&mut self, node: usize, limits: Limits) {
        let running = start_node(&self.net, node, self.dirs[node].path(), limits).await;
        self.nodes[node] = Some(running);
    }

    /// Shards owned by node `node`.
    fn shards_of(&self, node: usize) -> Vec<u16> {
        let pk = self.net.node_keys[node].public_key();
        self.committee
            .members
            .iter()
            .find(|m| m.public_key == pk.as_bytes().as_slice())
            .unwrap()
            .shards
            .clone()
    }

    async fn register(&self, data: &[u8], deletable: bool) -> (EncodedBlob, ObjectId) {
        let config = EncodingConfig::new(N_SHARDS).unwrap();
        let encoded = config.encode(data).unwrap();
        let object = self.register_encoded(&encoded, data.len(), deletable).await;
        (encoded, object)
    }

    async fn register_encoded(
        &self,
        encoded: &EncodedBlob,
        data_len: usize,
        deletable: bool,
    ) -> ObjectId {
        let config = EncodingConfig::new(N_SHARDS).unwrap();
        let blob_id = *encoded.blob_id();
        let size = config.encoded_blob_length(data_len as u64).unwrap();
        let storage = self
            .user
            .reserve_space(size, 3, 50 * FROST_PER_WAL)
            .await
            .unwrap();
        self.user
            .register_blob(
                storage,
                blob_id,
                encoded.metadata.metadata().compute_root_hash().bytes(),
                data_len as u64,
                deletable,
                50 * FROST_PER_WAL,
            )
            .await
            .unwrap()
    }

    /// Waits until every running node reports the blob as anything but nonexistent.
    async fn await_status(&self, blob_id: &BlobId, certified: bool) {
        for (i, node) in self.nodes.iter().enumerate() {
            if node.is_none() {
                continue;
            }
            let client = self.client(i);
            let mut ok = false;
            for _ in 0..200 {
                let status = client.blob_status(blob_id).await.unwrap();
                ok = match status {
                    BlobStatus::Permanent { is_certified, .. } => is_certified || !certified,
                    BlobStatus::Deletable {
                        deletable_counts, ..
                    } => !certified || deletable_counts.count_deletable_certified > 0,
                    _ => false,
                };
                if ok {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            assert!(
                ok,
                "node {i} never saw blob {blob_id} (certified: {certified})"
            );
        }
    }

    /// Uploads metadata and the slivers of every owned shard to `node`.
    async fn upload(&self, node: usize, encoded: &EncodedBlob) {
        let client = self.client(node);
        let blob_id = encoded.blob_id();
        let config = EncodingConfig::new(N_SHARDS).unwrap();
        assert_eq!(
            client
                .store_metadata(blob_id, encoded.metadata.metadata())
                .await
                .unwrap(),
            201
        );
        for shard in self.shards_of(node) {
            let pair = config.pair_for_shard(ShardIndex(shard), blob_id).unwrap();
            let slivers = &encoded.sliver_pairs[pair.as_usize()];
            assert_eq!(
                client
                    .store_sliver(blob_id, pair, &slivers.primary)
                    .await
                    .unwrap(),
                201
            );
            assert_eq!(
                client
                    .store_sliver(blob_id, pair, &slivers.secondary)
                    .await
                    .unwrap(),
                201
            );
        }
    }

    /// Collects confirmations from `members` (committee member indices), checks them and
    /// certifies on chain.
    async fn certify(&self, encoded: &EncodedBlob, object: ObjectId, members: &[usize]) {
        let blob_id = encoded.blob_id();
        let mut signatures = Vec::new();
        let mut message = None;
        let mut bitmap = vec![0u8; self.committee.members.len().div_ceil(8)];
        for &m in members {
            let node = self.node_of_member(m);
            let signed = self
                .client(node)
                .confirmation_permanent(blob_id)
                .await
                .unwrap();
            let pk = BlsPublicKey::from_bytes(&self.committee.members[m].public_key).unwrap();
            let signature = BlsSignature::from_bytes(&signed.signature).unwrap();
            pk.verify(&signed.serialized_message, &signature).unwrap();
            if let Some(previous) = &message {
                assert_eq!(
                    previous, &signed.serialized_message,
                    "byte-identical messages"
                );
            }
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

    /// Reads the blob back: metadata from one node, primary slivers from all running nodes.
    async fn read_back(&self, blob_id: &BlobId) -> Vec<u8> {
        let owners: Vec<(usize, Vec<u16>)> = (0..N_NODES)
            .filter(|&i| self.nodes[i].is_some())
            .map(|i| (i, self.shards_of(i)))
            .collect();
        support::read_back(&self.net, &owners, blob_id).await
    }
}

fn blob_data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_certify_and_read_back_through_four_nodes() {
    let cluster = Cluster::new().await;
    let data = blob_data(50_000, 1);
    let (encoded, object) = cluster.register(&data, false).await;
    let blob_id = *encoded.blob_id();
    cluster.await_status(&blob_id, false).await;

    // Before any sliver: no confirmation.
    let err = cluster
        .client(0)
        .confirmation_permanent(&blob_id)
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("MISSING_SLIVERS"), "{err}");

    for node in 0..N_NODES {
        cluster.upload(node, &encoded).await;
    }
    // A second upload is acknowledged as already stored.
    let pair = EncodingConfig::new(N_SHARDS)
        .unwrap()
        .pair_for_shard(ShardIndex(cluster.shards_of(0)[0]), &blob_id)
        .unwrap();
    assert_eq!(
        cluster
            .client(0)
            .store_sliver(
                &blob_id,
                pair,
                &encoded.sliver_pairs[pair.as_usize()].primary
            )
            .await
            .unwrap(),
        200
    );
    assert_eq!(
        cluster
            .client(0)
            .sliver_status(&blob_id, pair, Axis::Primary)
            .await
            .unwrap(),
        StoredOnNodeStatus::Stored
    );

    cluster.certify(&encoded, object, &[0, 1, 2, 3]).await;
    cluster.await_status(&blob_id, true).await;
    assert_eq!(cluster.read_back(&blob_id).await, data);

    // Health and metrics reflect the work.
    let health = cluster.client(0).health().await.unwrap();
    assert_eq!(health.epoch, 1);
    assert_eq!(health.shard_summary.owned, cluster.shards_of(0).len());
    assert_eq!(health.node_status, "Active");
    let metrics = reqwest::get(format!("http://127.0.0.1:{}/metrics", cluster.net.ports[0]))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let stored = 2 * cluster.shards_of(0).len();
    assert!(
        metrics.contains(&format!("walrus_node_slivers_stored_total {stored}\n")),
        "{metrics}"
    );
    assert!(
        metrics.contains("walrus_node_confirmations_signed_total 1\n"),
        "{metrics}"
    );
    assert_eq!(cluster.dirs.len(), N_NODES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_gets_the_error_envelope_and_changes_nothing() {
    let cluster = Cluster::new().await;
    let config = EncodingConfig::new(N_SHARDS).unwrap();
    let data = blob_data(20_000, 2);
    let (encoded, _object) = cluster.register(&data, false).await;
    let blob_id = *encoded.blob_id();
    cluster.await_status(&blob_id, false).await;
    let client = cluster.client(0);

    // Unregistered blob: metadata refused.
    let other = config.encode(&blob_data(1_000, 3)).unwrap();
    let err = client
        .store_metadata(other.blob_id(), other.metadata.metadata())
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.reason()),
        (Some(400), Some("NOT_REGISTERED")),
        "{err}"
    );
    assert_eq!(
        client.metadata_status(other.blob_id()).await.unwrap(),
        StoredOnNodeStatus::Nonexistent
    );

    // Metadata of another blob under this (registered) blob ID.
    let err = client
        .store_metadata(&blob_id, other.metadata.metadata())
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.reason()),
        (Some(400), Some("INVALID_METADATA")),
        "{err}"
    );
    assert_eq!(
        client.metadata_status(&blob_id).await.unwrap(),
        StoredOnNodeStatus::Nonexistent
    );

    // Garbage metadata bytes.
    let http = reqwest::Client::new();
    let url = format!(
        "http://127.0.0.1:{}/v1/blobs/{blob_id}/metadata",
        cluster.net.ports[0]
    );
    let response = http.put(&url).body(vec![9u8; 40]).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let envelope: walrus_node_api::ErrorEnvelope =
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(envelope.reason(), Some("INVALID_CONTENT_TYPE"));
    assert_eq!(envelope.error.status, "INVALID_ARGUMENT");
    assert_eq!(envelope.error.details[0].domain, "storage.walrus.space");

    // A bad blob ID in the path.
    let response = http
        .get(format!(
            "http://127.0.0.1:{}/v1/blobs/not-a-blob-id/status",
            cluster.net.ports[0]
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);

    // Now the real metadata; then slivers.
    assert_eq!(
        client
            .store_metadata(&blob_id, encoded.metadata.metadata())
            .await
            .unwrap(),
        201
    );
    let owned = cluster.shards_of(0);
    let pair = config
        .pair_for_shard(ShardIndex(owned[0]), &blob_id)
        .unwrap();

    // A sliver of a shard this node does not own.
    let foreign_shard = (0..N_SHARDS).find(|s| !owned.contains(s)).unwrap();
    let foreign = config
        .pair_for_shard(ShardIndex(foreign_shard), &blob_id)
        .unwrap();
    let err = client
        .store_sliver(
            &blob_id,
            foreign,
            &encoded.sliver_pairs[foreign.as_usize()].primary,
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.reason()),
        (Some(400), Some("SHARD_NOT_ASSIGNED")),
        "{err}"
    );

    // A corrupt sliver (one byte flipped).
    let good = encoded.sliver_pairs[pair.as_usize()]
        .primary
        .to_bcs()
        .unwrap();
    let mut bad = good.clone();
    let middle = bad.len() / 2;
    bad[middle] ^= 0xff;
    let err = client
        .store_sliver_bytes(&blob_id, pair, Axis::Primary, bad)
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.reason()),
        (Some(400), Some("INVALID_SLIVER")),
        "{err}"
    );

    // The right sliver under the wrong pair index (verifies, but not for that pair).
    let owned_pair_2 = config
        .pair_for_shard(ShardIndex(owned[1]), &blob_id)
        .unwrap();
    let err = client
        .store_sliver_bytes(&blob_id, owned_pair_2, Axis::Primary, good.clone())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("SLIVER_INDEX_MISMATCH"), "{err}");

    // A primary sliver body sent as a secondary one.
    let err = client
        .store_sliver_bytes(&blob_id, pair, Axis::Secondary, good.clone())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");

    // Out-of-range pair index and unknown axis.
    let response = http
        .put(format!(
            "http://127.0.0.1:{}/v1/blobs/{blob_id}/slivers/99/primary",
            cluster.net.ports[0]
        ))
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let response = http
        .put(format!(
            "http://127.0.0.1:{}/v1/blobs/{blob_id}/slivers/0/tertiary",
            cluster.net.ports[0]
        ))
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);

    // Nothing of the above was stored, and no confirmation is given.
    for axis in [Axis::Primary, Axis::Secondary] {
        assert_eq!(
            client.sliver_status(&blob_id, pair, axis).await.unwrap(),
            StoredOnNodeStatus::Nonexistent
        );
        assert_eq!(
            client
                .sliver_status(&blob_id, owned_pair_2, axis)
                .await
                .unwrap(),
            StoredOnNodeStatus::Nonexistent
        );
    }
    let err = client.confirmation_permanent(&blob_id).await.unwrap_err();
    assert_eq!(err.reason(), Some("MISSING_SLIVERS"), "{err}");
    let err = client
        .confirmation_deletable(&blob_id, &[1; 32])
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("NOT_REGISTERED"), "{err}");

    // The good sliver is then accepted.
    assert_eq!(
        client
            .store_sliver_bytes(&blob_id, pair, Axis::Primary, good)
            .await
            .unwrap(),
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn oversized_bodies_are_refused_before_reading_them() {
    let net = support::devnet(11).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = node_config(&net, 0, dir.path(), test_limits());
    config.limits.max_body_bytes = 1_000;
    let node = walrus_node::start_on(
        &config,
        support::node_listener(&net, 0).await,
        net.node_keys[0].clone(),
        WalrusChain::reader(DevnetClient::new(&net.url)),
    )
    .await
    .unwrap();
    // An upload that may be buffered (`pending`) to a shard the node owns: every check that
    // comes before reading the body passes.
    let client = NodeClient::new(&node.address.to_string()).with_pending_uploads(true);
    let blob_id = BlobId([5; 32]);
    let mut owned = node.state.committee().owned.clone();
    for _ in 0..200 {
        if !owned.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        owned = node.state.committee().owned.clone();
    }
    let shard = *owned.first().expect("node 0 owns shards");
    let pair = EncodingConfig::new(N_SHARDS)
        .unwrap()
        .pair_for_shard(ShardIndex(shard), &blob_id)
        .unwrap();
    let err = client
        .store_sliver_bytes(&blob_id, pair, Axis::Primary, vec![0; 5_000])
        .await
        .unwrap_err();
    // As the reference's body limit: 413 with a plain-text body.
    assert_eq!(err.status(), Some(413), "{err}");
    assert!(err.to_string().contains("exceeds the limit"), "{err}");
    // The per-client limit keeps no entry for a client without requests in flight.
    assert_eq!(node.state.clients_in_flight(), 0);
    node.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_node_resumes_its_cursor_without_double_counting() {
    let mut cluster = Cluster::new().await;
    let (first, _) = cluster.register(&blob_data(5_000, 4), false).await;
    cluster.await_status(first.blob_id(), false).await;

    // Node 0 goes down; a second registration of the same blob ID and a new blob happen.
    let node = cluster.nodes[0].take().unwrap();
    node.shutdown().await;
    let (_, second_object) = cluster.register(&blob_data(5_000, 4), true).await;
    let (other, _) = cluster.register(&blob_data(6_000, 5), false).await;

    cluster.start(0, test_limits()).await;
    cluster.await_status(other.blob_id(), false).await;
    let head = cluster
        .user
        .read_transactions(0, 10_000, Duration::ZERO)
        .await
        .unwrap()
        .len() as u64;
    let client = cluster.client(0);
    for _ in 0..200 {
        if client
            .health()
            .await
            .unwrap()
            .event_progress
            .highest_finished_event_index
            == head
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let health = client.health().await.unwrap();
    assert_eq!(health.event_progress.highest_finished_event_index, head);
    assert_eq!(
        health.event_progress.persisted, head,
        "each transaction applied once"
    );
    match client.blob_status(first.blob_id()).await.unwrap() {
        BlobStatus::Permanent {
            deletable_counts,
            is_certified,
            ..
        } => {
            assert!(!is_certified);
            assert_eq!(
                deletable_counts.count_deletable_total, 1,
                "one deletable object"
            );
        }
        other => panic!("unexpected status {other:?}"),
    }
    // The deletable registration made while the node was down is known by its object id.
    let err = client
        .confirmation_deletable(first.blob_id(), &second_object.into_inner())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("MISSING_SLIVERS"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_that_missed_the_write_recovers_its_slivers_after_certification() {
    let cluster = Cluster::new().await;
    let config = EncodingConfig::new(N_SHARDS).unwrap();
    let data = blob_data(30_000, 6);
    let (encoded, object) = cluster.register(&data, false).await;
    let blob_id = *encoded.blob_id();
    cluster.await_status(&blob_id, false).await;

    // The node with the fewest shards gets nothing; the others hold a quorum.
    let absent = (0..N_NODES)
        .min_by_key(|&n| cluster.shards_of(n).len())
        .unwrap();
    let mut signers = Vec::new();
    for m in 0..cluster.committee.members.len() {
        let node = cluster.node_of_member(m);
        if node != absent {
            cluster.upload(node, &encoded).await;
            signers.push(m);
        }
    }
    cluster.certify(&encoded, object, &signers).await;

    let client = cluster.client(absent);
    let shards = cluster.shards_of(absent);
    let mut recovered = false;
    for _ in 0..400 {
        let mut all = true;
        for &shard in &shards {
            let pair = config.pair_for_shard(ShardIndex(shard), &blob_id).unwrap();
            for axis in [Axis::Primary, Axis::Secondary] {
                all &= support::sliver_stored(&client, &blob_id, pair, axis).await;
            }
        }
        if all {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(recovered, "node {absent} recovered its slivers");
    // Its recovered slivers verify, and it now confirms the blob.
    let metadata = client
        .metadata(&blob_id)
        .await
        .unwrap()
        .verify(&config)
        .unwrap();
    for &shard in &shards {
        let pair = config.pair_for_shard(ShardIndex(shard), &blob_id).unwrap();
        let sliver = client.sliver::<Primary>(&blob_id, pair).await.unwrap();
        sliver.verify(&config, &metadata).unwrap();
        assert_eq!(&sliver, &encoded.sliver_pairs[pair.as_usize()].primary);
    }
    client.confirmation_permanent(&blob_id).await.unwrap();
    assert_eq!(cluster.read_back(&blob_id).await, data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_wrongly_encoded_blob_is_invalidated_on_chain_by_the_node_that_recovers_it() {
    use walrus_core::{BlobMetadata, EncodingType, UnverifiedBlobMetadataWithId};
    let cluster = Cluster::new().await;
    let config = EncodingConfig::new(N_SHARDS).unwrap();
    let data = blob_data(30_000, 7);
    let honest = config.encode(&data).unwrap();
    let absent = (0..N_NODES)
        .min_by_key(|&n| cluster.shards_of(n).len())
        .unwrap();
    let absent_shards = cluster.shards_of(absent);

    // Replace one primary sliver by garbage and put the garbage's hash into the metadata: every
    // sliver matches the metadata, but they are not one codeword. Pick the pair so that it lands
    // on a shard of the node that will recover it.
    let (metadata, pairs) = (0..N_SHARDS)
        .find_map(|p| {
            let original = &honest.sliver_pairs[usize::from(p)].primary;
            let garbage: Vec<u8> = original.data().iter().map(|b| b ^ 0x5a).collect();
            let bad =
                SliverData::<Primary>::new(garbage, original.symbol_size().get(), original.index())
                    .unwrap();
            let mut hashes = honest.metadata.metadata().hashes().to_vec();
            hashes[usize::from(p)].primary_hash = bad.merkle_root(&config).unwrap();
            let metadata = BlobMetadata::new(EncodingType::Rs2, data.len() as u64, hashes);
            let blob_id = metadata.compute_blob_id();
            let shard = config.shard_for_pair(SliverPairIndex(p), &blob_id).unwrap();
            absent_shards.contains(&shard.get()).then(|| {
                let mut pairs = honest.sliver_pairs.clone();
                pairs[usize::from(p)].primary = bad;
                let verified = UnverifiedBlobMetadataWithId::new(blob_id, metadata)
                    .verify(&config)
                    .unwrap();
                (verified, pairs)
            })
        })
        .unwrap();
    let encoded = EncodedBlob {
        sliver_pairs: pairs,
        metadata,
    };
    let blob_id = *encoded.blob_id();
    let object = cluster.register_encoded(&encoded, data.len(), false).await;
    cluster.await_status(&blob_id, false).await;
    let mut signers = Vec::new();
    for m in 0..cluster.committee.members.len() {
        let node = cluster.node_of_member(m);
        if node != absent {
            cluster.upload(node, &encoded).await;
            signers.push(m);
        }
    }
    cluster.certify(&encoded, object, &signers).await;

    // The absent node recovers, finds the inconsistency, gathers attestations and invalidates.
    for node in 0..N_NODES {
        let client = cluster.client(node);
        let mut invalid = false;
        for _ in 0..400 {
            if matches!(
                client.blob_status(&blob_id).await.unwrap(),
                BlobStatus::Invalid { .. }
            ) {
                invalid = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(invalid, "node {node} sees the blob invalidated");
    }
    // The data of an invalid blob is deleted everywhere.
    for node in 0..N_NODES {
        let client = cluster.client(node);
        let mut gone = false;
        for _ in 0..200 {
            if client.metadata_status(&blob_id).await.unwrap() == StoredOnNodeStatus::Nonexistent {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(gone, "node {node} deleted the invalid blob's metadata");
    }
    // Writes for an invalid blob are refused.
    let err = cluster
        .client(absent)
        .store_metadata(&blob_id, encoded.metadata.metadata())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("INVALID_BLOB"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_epoch_change_moves_shards_and_every_blob_stays_readable() {
    let mut cluster = Cluster::new().await;
    let data = blob_data(40_000, 8);
    let (encoded, object) = cluster.register(&data, false).await;
    let blob_id = *encoded.blob_id();
    cluster.await_status(&blob_id, false).await;
    for node in 0..N_NODES {
        cluster.upload(node, &encoded).await;
    }
    cluster.certify(&encoded, object, &[0, 1, 2, 3]).await;
    cluster.await_status(&blob_id, true).await;

    // Stake heavily with the node holding the fewest shards, so the next committee moves
    // shards to it; then run the epoch change.
    let before = cluster.committee.clone();
    let gainer = (0..N_NODES)
        .min_by_key(|&n| cluster.shards_of(n).len())
        .unwrap();
    let gainer_id = before
        .members
        .iter()
        .find(|m| {
            m.public_key
                == cluster.net.node_keys[gainer]
                    .public_key()
                    .as_bytes()
                    .as_slice()
        })
        .unwrap()
        .node_id;
    cluster.user.faucet(500 * FROST_PER_WAL).await.unwrap();
    cluster
        .user
        .stake(gainer_id, 400 * FROST_PER_WAL)
        .await
        .unwrap();
    let anyone = WalrusChain::with_key(
        DevnetClient::new(&cluster.net.url),
        Ed25519PrivateKey::new([8; 32]),
    );
    cluster.net.clock.advance(EPOCH_MS / 2);
    anyone.voting_end().await.unwrap();
    cluster.net.clock.advance(EPOCH_MS / 2);
    anyone.initiate_epoch_change().await.unwrap();

    // The nodes recover what they gained and report sync done; the epoch change finishes.
    let mut done = false;
    for _ in 0..400 {
        let records = anyone
            .read_transactions(0, 10_000, Duration::ZERO)
            .await
            .unwrap();
        done = records
            .iter()
            .flat_map(|r| &r.events)
            .any(|e| e.event_type.ends_with("::events::EpochChangeDone"));
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(done, "the nodes reported epoch_sync_done");
    cluster.committee = anyone.committee().await.unwrap();
    assert_eq!(cluster.committee.epoch, 2);
    let gained: Vec<u16> = cluster
        .shards_of(gainer)
        .into_iter()
        .filter(|s| {
            !before
                .owned_shards_of(&cluster.net.node_keys[gainer])
                .contains(s)
        })
        .collect();
    assert!(
        !gained.is_empty(),
        "the staked node gained shards: {:?}",
        cluster.committee
    );

    // The gaining node recovers the slivers of its new shards (the epoch change can finish
    // with a quorum before it is done); then the new owners serve every sliver: the blob reads
    // back from them, and the gaining node confirms it in the new epoch.
    let config = EncodingConfig::new(N_SHARDS).unwrap();
    let client = cluster.client(gainer);
    let mut complete = false;
    for _ in 0..400 {
        let mut all = true;
        for &shard in &gained {
            let pair = config.pair_for_shard(ShardIndex(shard), &blob_id).unwrap();
            for axis in [Axis::Primary, Axis::Secondary] {
                all &= support::sliver_stored(&client, &blob_id, pair, axis).await;
            }
        }
        if all {
            complete = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        complete,
        "node {gainer} holds the slivers of its new shards {gained:?}"
    );
    assert_eq!(cluster.read_back(&blob_id).await, data);
    let mut confirmed = None;
    for _ in 0..100 {
        if let Ok(signed) = client.confirmation_permanent(&blob_id).await {
            confirmed = Some(signed);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let signed = confirmed.expect("the gaining node confirms the blob in epoch 2");
    assert_eq!(&signed.serialized_message[3..7], &2u32.to_le_bytes());
}

trait OwnedShards {
    fn owned_shards_of(&self, key: &BlsPrivateKey) -> Vec<u16>;
}

impl OwnedShards for CommitteeView {
    fn owned_shards_of(&self, key: &BlsPrivateKey) -> Vec<u16> {
        self.members
            .iter()
            .find(|m| m.public_key == key.public_key().as_bytes().as_slice())
            .map(|m| m.shards.clone())
            .unwrap_or_default()
    }
}

/// A sliver damaged on a node's disk (bit rot: one byte of its stored record flipped) is never
/// served: the read finds its checksum wrong, and the node answers "not found", counts it,
/// discards it and recovers it from the other nodes, after which it serves the right bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sliver_damaged_on_disk_is_not_served_and_is_recovered() {
    let cluster = Cluster::new().await;
    let config = EncodingConfig::new(N_SHARDS).unwrap();
    let data = blob_data(30_000, 12);
    let (encoded, object) = cluster.register(&data, false).await;
    let blob_id = *encoded.blob_id();
    cluster.await_status(&blob_id, false).await;
    let mut signers = Vec::new();
    for m in 0..cluster.committee.members.len() {
        cluster.upload(cluster.node_of_member(m), &encoded).await;
        signers.push(m);
    }
    cluster.certify(&encoded, object, &signers).await;

    // The first record of node 0's first shard (record layout: `walrus_node::segments`).
    let node = 0;
    let shard = cluster.shards_of(node)[0];
    let segment = cluster.dirs[node]
        .path()
        .join("store/shards")
        .join(shard.to_string())
        .join("0000000000000001.seg");
    let mut bytes = std::fs::read(&segment).unwrap();
    assert_eq!(&bytes[0..4], b"WSEG");
    assert_eq!(&bytes[8..40], blob_id.as_bytes());
    let axis = if bytes[5] == 0 {
        Axis::Primary
    } else {
        Axis::Secondary
    };
    let len = u32::from_le_bytes(bytes[40..44].try_into().unwrap()) as usize;
    bytes[52 + len / 2] ^= 0x20;
    std::fs::write(&segment, &bytes).unwrap();

    let pair = config.pair_for_shard(ShardIndex(shard), &blob_id).unwrap();
    let pair_data = &encoded.sliver_pairs[usize::from(pair.get())];
    let expected = match axis {
        Axis::Primary => pair_data.primary.to_bcs().unwrap(),
        Axis::Secondary => pair_data.secondary.to_bcs().unwrap(),
    };
    let client = cluster.client(node);
    let err = client.sliver_bytes(&blob_id, pair, axis).await.unwrap_err();
    assert_eq!(err.reason(), Some("SLIVER_NOT_FOUND"), "{err}");
    let port = cluster.net.ports[node];
    assert_eq!(
        support::metric_at(port, "walrus_node_slivers_corrupt_total").await,
        1
    );
    let mut served = None;
    for _ in 0..400 {
        if let Ok(body) = client.sliver_bytes(&blob_id, pair, axis).await {
            served = Some(body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        served.as_deref(),
        Some(&expected[..]),
        "recovered byte-exact"
    );
    assert_eq!(
        support::metric_at(port, "walrus_node_slivers_recovered_total").await,
        1
    );
    assert_eq!(
        support::metric_at(port, "walrus_node_slivers_corrupt_total").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deleted_blob_is_garbage_collected_and_refused() {
    let cluster = Cluster::new().await;
    let config = EncodingConfig::new(N_SHARDS).unwrap();
    let data = blob_data(10_000, 9);
    let (encoded, object) = cluster.register(&data, true).await;
    let blob_id = *encoded.blob_id();
    cluster.await_status(&blob_id, false).await;
    cluster.upload(0, &encoded).await;
    let client = cluster.client(0);
    let pair = config
        .pair_for_shard(ShardIndex(cluster.shards_of(0)[0]), &blob_id)
        .unwrap();
    assert_eq!(
        client
            .sliver_status(&blob_id, pair, Axis::Primary)
            .await
            .unwrap(),
        StoredOnNodeStatus::Stored
    );
    // The deletable confirmation is for exactly that object.
    client
        .confirmation_deletable(&blob_id, &object.into_inner())
        .await
        .unwrap();

    cluster.user.delete_blob(object).await.unwrap();
    let mut gone = false;
    for _ in 0..200 {
        if client.metadata_status(&blob_id).await.unwrap() == StoredOnNodeStatus::Nonexistent
            && client
                .sliver_status(&blob_id, pair, Axis::Primary)
                .await
                .unwrap()
                == StoredOnNodeStatus::Nonexistent
        {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(gone, "the deleted blob's data was collected");
    assert_eq!(
        client.blob_status(&blob_id).await.unwrap(),
        BlobStatus::Nonexistent
    );
    let err = client
        .store_metadata(&blob_id, encoded.metadata.metadata())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Some("NOT_REGISTERED"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_over_its_concurrency_limit_gets_429() {
    use std::io::Write as _;
    let net = support::devnet(11).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = node_config(&net, 0, dir.path(), test_limits());
    config.limits.max_concurrent_requests_per_client = 1;
    let node = walrus_node::start_on(
        &config,
        support::node_listener(&net, 0).await,
        net.node_keys[0].clone(),
        WalrusChain::reader(DevnetClient::new(&net.url)),
    )
    .await
    .unwrap();
    // One request holds the only permit: its body never finishes arriving (an upload that
    // may be buffered, so the node reads its body).
    let mut stalled = std::net::TcpStream::connect(node.address).unwrap();
    let blob_id = BlobId([6; 32]);
    stalled
        .write_all(
            format!(
                "PUT /v1/blobs/{blob_id}/metadata?pending=true HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\nabc"
            )
            .as_bytes(),
        )
        .unwrap();
    let client = NodeClient::new(&node.address.to_string());
    let mut refused = None;
    for _ in 0..100 {
        match client.health().await {
            Err(e) if e.status() == Some(429) => {
                refused = Some(e);
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    let err = refused.expect("the second concurrent request is refused");
    assert_eq!(err.reason(), Some("TOO_MANY_CONCURRENT_REQUESTS"), "{err}");
    drop(stalled);
    // Once the stalled request is gone, the client is served again.
    let mut served = false;
    for _ in 0..100 {
        if client.health().await.is_ok() {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(served);
    node.shutdown().await;
}

/// Mutation fuzzing of the request decoders over HTTP: truncated, extended, bit-flipped and
/// random bodies for metadata, slivers and inconsistency proofs are all answered with an error
/// envelope, and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mutated_request_bodies_are_refused_and_store_nothing() {
    let cluster = Cluster::new().await;
    let config = EncodingConfig::new(N_SHARDS).unwrap();
    let data = blob_data(12_000, 10);
    let (encoded, _) = cluster.register(&data, false).await;
    let blob_id = *encoded.blob_id();
    cluster.await_status(&blob_id, false).await;
    let client = cluster.client(0);
    let base = format!(
        "http://127.0.0.1:{}/v1/blobs/{blob_id}",
        cluster.net.ports[0]
    );
    let http = reqwest::Client::new();
    let metadata = encoded.metadata.metadata().to_bcs().unwrap();
    let pair = config
        .pair_for_shard(ShardIndex(cluster.shards_of(0)[0]), &blob_id)
        .unwrap();
    let sliver = encoded.sliver_pairs[pair.as_usize()]
        .secondary
        .to_bcs()
        .unwrap();

    // xorshift: deterministic, no extra dependency.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut mutate = |valid: &[u8]| -> Vec<u8> {
        let mut body = valid.to_vec();
        match next() % 4 {
            0 => body.truncate((next() as usize) % valid.len()),
            1 => body.extend((0..1 + next() % 64).map(|_| next() as u8)),
            2 => {
                for _ in 0..1 + next() % 4 {
                    let i = (next() as usize) % body.len();
                    body[i] ^= 1 << (next() % 8);
                }
            }
            _ => body = (0..next() % 512).map(|_| next() as u8).collect(),
        }
        body
    };

    for _ in 0..60 {
        let body = mutate(&metadata);
        if body == metadata {
            continue;
        }
        let response = http
            .put(format!("{base}/metadata"))
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let envelope: walrus_node_api::ErrorEnvelope =
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert!((400..500).contains(&status), "{status}: {envelope:?}");
    }
    assert_eq!(
        client.metadata_status(&blob_id).await.unwrap(),
        StoredOnNodeStatus::Nonexistent
    );

    client
        .store_metadata(&blob_id, encoded.metadata.metadata())
        .await
        .unwrap();
    for _ in 0..60 {
        let body = mutate(&sliver);
        if body == sliver {
            continue;
        }
        let response = http
            .put(format!("{base}/slivers/{}/secondary", pair.get()))
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let envelope: walrus_node_api::ErrorEnvelope =
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert!((400..500).contains(&status), "{status}: {envelope:?}");
        let response = http
            .post(format!("{base}/inconsistencyProof/primary"))
            .body(mutate(&sliver))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error());
    }
    assert_eq!(
        client
            .sliver_status(&blob_id, pair, Axis::Secondary)
            .await
            .unwrap(),
        StoredOnNodeStatus::Nonexistent
    );
    assert_eq!(
        client
            .sliver_status(&blob_id, pair, Axis::Primary)
            .await
            .unwrap(),
        StoredOnNodeStatus::Nonexistent
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_down_during_write_and_certification_recovers_after_restart() {
    let mut cluster = Cluster::new().await;
    let config = EncodingConfig::new(N_SHARDS).unwrap();
    let data = blob_data(25_000, 11);
    let (encoded, object) = cluster.register(&data, false).await;
    let blob_id = *encoded.blob_id();
    cluster.await_status(&blob_id, false).await;
    let absent = (0..N_NODES)
        .min_by_key(|&n| cluster.shards_of(n).len())
        .unwrap();
    cluster.nodes[absent].take().unwrap().shutdown().await;
    let mut signers = Vec::new();
    for m in 0..cluster.committee.members.len() {
        let node = cluster.node_of_member(m);
        if node != absent {
            cluster.upload(node, &encoded).await;
            signers.push(m);
        }
    }
    cluster.certify(&encoded, object, &signers).await;

    // Restarted, it reads the certification from where its cursor stopped and recovers.
    cluster.start(absent, test_limits()).await;
    let client = cluster.client(absent);
    let mut recovered = false;
    for _ in 0..400 {
        let mut all = true;
        for &shard in &cluster.shards_of(absent) {
            let pair = config.pair_for_shard(ShardIndex(shard), &blob_id).unwrap();
            for axis in [Axis::Primary, Axis::Secondary] {
                all &= support::sliver_stored(&client, &blob_id, pair, axis).await;
            }
        }
        if all {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(recovered, "node {absent} recovered after its restart");
    client.confirmation_permanent(&blob_id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uploads_before_registration_are_buffered_with_pending_and_stored_once_registered() {
    let cluster = Cluster::new().await;
    let config = EncodingConfig::new(N_SHARDS).unwrap();
    let data = blob_data(15_000, 12);
    let encoded = config.encode(&data).unwrap();
    let blob_id = *encoded.blob_id();
    let client = cluster.client(0);
    let http = reqwest::Client::new();
    let base = format!(
        "http://127.0.0.1:{}/v1/blobs/{blob_id}",
        cluster.net.ports[0]
    );
    let metadata = encoded.metadata.metadata().to_bcs().unwrap();

    // Without `pending`, refused; with it, buffered (202), and reported as buffered.
    let response = http
        .put(format!("{base}/metadata"))
        .body(metadata.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let response = http
        .put(format!("{base}/metadata?pending=true"))
        .body(metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    assert_eq!(
        client.metadata_status(&blob_id).await.unwrap(),
        StoredOnNodeStatus::Buffered
    );
    let mut pairs = Vec::new();
    for shard in cluster.shards_of(0) {
        let pair = config.pair_for_shard(ShardIndex(shard), &blob_id).unwrap();
        let slivers = &encoded.sliver_pairs[pair.as_usize()];
        for (axis, body) in [
            ("primary", slivers.primary.to_bcs().unwrap()),
            ("secondary", slivers.secondary.to_bcs().unwrap()),
        ] {
            let response = http
                .put(format!("{base}/slivers/{}/{axis}?pending=true", pair.get()))
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 202);
        }
        pairs.push(pair);
    }
    // A corrupt sliver is not buffered either.
    let mut bad = encoded.sliver_pairs[pairs[0].as_usize()]
        .primary
        .to_bcs()
        .unwrap();
    bad[3] ^= 1;
    let response = http
        .put(format!(
            "{base}/slivers/{}/primary?pending=true",
            pairs[0].get()
        ))
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        400,
        "verified before it is buffered"
    );
    assert_eq!(
        client
            .sliver_status(&blob_id, pairs[0], Axis::Primary)
            .await
            .unwrap(),
        StoredOnNodeStatus::Buffered
    );
    let err = client.confirmation_permanent(&blob_id).await.unwrap_err();
    assert_eq!(err.reason(), Some("NOT_REGISTERED"), "{err}");

    // A long-polling confirmation request waits for the registration (and then for the flush).
    let waiting = tokio::spawn({
        let http = http.clone();
        let url =
            format!("{base}/confirmation/permanent?wait_for_registration=true&wait_millis=10000");
        async move {
            let response = http.get(url).send().await.unwrap();
            let code = response.status().as_u16();
            (code, response.text().await.unwrap())
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        !waiting.is_finished(),
        "the confirmation request waits for the registration"
    );

    // Registration arrives: everything buffered is stored, and the node confirms.
    cluster.register_encoded(&encoded, data.len(), false).await;
    let (code, body) = waiting.await.unwrap();
    assert!(
        code == 200 || (code == 400 && body.contains("MISSING_SLIVERS")),
        "answered once registered: {code} {body}"
    );
    let mut stored = false;
    for _ in 0..200 {
        if client.metadata_status(&blob_id).await.unwrap() == StoredOnNodeStatus::Stored
            && client
                .sliver_status(&blob_id, pairs[0], Axis::Secondary)
                .await
                .unwrap()
                == StoredOnNodeStatus::Stored
        {
            stored = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(stored, "buffered uploads were written once registered");
    let mut confirmed = false;
    for _ in 0..100 {
        if client.confirmation_permanent(&blob_id).await.is_ok() {
            confirmed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(confirmed);
    let sliver = client.sliver::<Primary>(&blob_id, pairs[0]).await.unwrap();
    assert_eq!(&sliver, &encoded.sliver_pairs[pairs[0].as_usize()].primary);
}
