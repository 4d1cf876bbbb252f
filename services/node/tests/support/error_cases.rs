//! Every bad request the reference's storage-node API names, as a table: the request, and the
//! HTTP status, `status` and `reason` the reference answers it with (MystenLabs/walrus
//! `walrus-service` `node::errors` and `node::server::extract`), plus, where the official
//! TypeScript SDK's storage-node client has a call for the route, that call and the SDK error
//! class the reference's answer gives (`@mysten/walrus` `storage-node/error`).
//!
//! Used by the Rust table test (`tests/api_errors.rs`) and by the SDK oracle test
//! (`scripts/tests/sdk_node_errors.test.mjs`, through `examples/node_error_cases.rs`).

use base64::Engine as _;
use serde_json::{Value, json};
use sui_crypto::ed25519::Ed25519PrivateKey;
use walrus_chain::devnet::client::DevnetClient;
use walrus_chain::walrus::FROST_PER_WAL;
use walrus_chain::walrus::chain::WalrusChain;
use walrus_core::{Bcs, BlobId, EncodedBlob, EncodingConfig, ShardIndex};
use walrus_node::RunningNode;
use walrus_node_api::{BlobStatus, NodeClient, StoredOnNodeStatus};

use super::{N_SHARDS, Net, start_node, test_limits};

/// One bad request and what the reference answers.
#[derive(Debug, Clone)]
pub struct ErrorCase {
    /// What is wrong with the request.
    pub name: &'static str,
    /// `GET`, `PUT` or `POST`.
    pub method: &'static str,
    /// Path and query, from `/v1/...`.
    pub path: String,
    /// The body.
    pub body: Vec<u8>,
    /// The `Content-Type` sent with the body (`application/octet-stream` when `None` and there
    /// is a body, as clients send it).
    pub content_type: Option<&'static str>,
    /// The expected HTTP status.
    pub http: u16,
    /// The expected `status` (class).
    pub status: &'static str,
    /// The expected `reason`.
    pub reason: &'static str,
    /// The SDK call that sends this request, and the error class the SDK makes of the answer.
    pub sdk: Option<SdkCall>,
}

/// A call of the official SDK's `StorageNodeClient`.
#[derive(Debug, Clone)]
pub struct SdkCall {
    /// The method (`storeBlobMetadata`, `getSliver`, ...).
    pub method: &'static str,
    /// Its first argument; a `body` in the case is passed as `metadata` or `sliver`.
    pub args: Value,
    /// The error class the reference's answer gives (`BlobNotRegisteredError`, ...).
    pub class: &'static str,
}

fn sdk(method: &'static str, args: Value, class: &'static str) -> Option<SdkCall> {
    Some(SdkCall {
        method,
        args,
        class,
    })
}

/// A devnet with one running storage node and the blobs the cases need.
pub struct Fixture {
    /// The devnet.
    pub net: Net,
    /// The node under test.
    pub node: RunningNode,
    /// Its index in the genesis committee.
    pub index: usize,
    /// Its base URL.
    pub url: String,
    /// Registered, metadata stored on the node, no sliver.
    pub registered: EncodedBlob,
    /// Registered, nothing stored.
    pub bare: EncodedBlob,
    /// Never registered.
    pub unregistered: EncodedBlob,
    /// Shards the node owns.
    pub owned: Vec<u16>,
    /// A shard it does not own.
    pub foreign: u16,
    _dir: tempfile::TempDir,
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed))
        .collect()
}

/// Starts the devnet (BLS keys from `key_seed`) and the committee member with the most shards,
/// registers two blobs, and stores the first one's metadata on the node.
pub async fn fixture(key_seed: u8) -> Fixture {
    let net = super::devnet(key_seed).await;
    let user = WalrusChain::with_key(DevnetClient::new(&net.url), Ed25519PrivateKey::new([9; 32]));
    user.faucet(500 * FROST_PER_WAL).await.unwrap();
    let committee = user.committee().await.unwrap();
    let member = committee
        .members
        .iter()
        .max_by_key(|m| m.shards.len())
        .unwrap();
    assert!(
        member.shards.len() >= 2,
        "the node under test owns two shards"
    );
    let index = net
        .node_keys
        .iter()
        .position(|k| k.public_key().as_bytes().as_slice() == member.public_key.as_slice())
        .unwrap();
    let owned = member.shards.clone();
    let foreign = (0..N_SHARDS).find(|s| !owned.contains(s)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node = start_node(&net, index, dir.path(), test_limits()).await;
    let config = EncodingConfig::new(N_SHARDS).unwrap();
    let [registered, bare, unregistered] =
        [1u8, 2, 3].map(|seed| config.encode(&data(12_000, seed)).unwrap());
    for encoded in [&registered, &bare] {
        let size = config.encoded_blob_length(12_000).unwrap();
        let storage = user
            .reserve_space(size, 3, 50 * FROST_PER_WAL)
            .await
            .unwrap();
        user.register_blob(
            storage,
            *encoded.blob_id(),
            encoded.metadata.metadata().compute_root_hash().bytes(),
            12_000,
            false,
            50 * FROST_PER_WAL,
        )
        .await
        .unwrap();
    }
    let url = format!("http://127.0.0.1:{}", net.ports[index]);
    let client = NodeClient::new(&format!("127.0.0.1:{}", net.ports[index]));
    for encoded in [&registered, &bare] {
        let mut seen = false;
        for _ in 0..400 {
            if client.blob_status(encoded.blob_id()).await.unwrap() != BlobStatus::Nonexistent {
                seen = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert!(
            seen,
            "the node saw the registration of {}",
            encoded.blob_id()
        );
    }
    assert_eq!(
        client
            .store_metadata(registered.blob_id(), registered.metadata.metadata())
            .await
            .unwrap(),
        201
    );
    Fixture {
        net,
        node,
        index,
        url,
        registered,
        bare,
        unregistered,
        owned,
        foreign,
        _dir: dir,
    }
}

impl Fixture {
    fn pair(&self, shard: u16, blob: &EncodedBlob) -> u16 {
        EncodingConfig::new(N_SHARDS)
            .unwrap()
            .pair_for_shard(ShardIndex(shard), blob.blob_id())
            .unwrap()
            .get()
    }

    fn primary(&self, blob: &EncodedBlob, pair: u16) -> Vec<u8> {
        blob.sliver_pairs[usize::from(pair)]
            .primary
            .to_bcs()
            .unwrap()
    }

    /// The table.
    pub fn cases(&self) -> Vec<ErrorCase> {
        let a = self.registered.blob_id().to_string();
        let b = self.bare.blob_id().to_string();
        let u = self.unregistered.blob_id().to_string();
        let p = self.pair(self.owned[0], &self.registered);
        let p2 = self.pair(self.owned[1], &self.registered);
        let f = self.pair(self.foreign, &self.registered);
        let pb = self.pair(self.owned[0], &self.bare);
        let pu = self.pair(self.owned[0], &self.unregistered);
        let fu = self.pair(self.foreign, &self.unregistered);
        let metadata_u = self.unregistered.metadata.metadata().to_bcs().unwrap();
        let good = self.primary(&self.registered, p);
        let mut corrupt = good.clone();
        let middle = corrupt.len() / 2;
        corrupt[middle] ^= 0xff;
        let case = |name,
                    method,
                    path: String,
                    body: Vec<u8>,
                    expect: (u16, &'static str, &'static str),
                    sdk| {
            ErrorCase {
                name,
                method,
                path,
                body,
                content_type: None,
                http: expect.0,
                status: expect.1,
                reason: expect.2,
                sdk,
            }
        };
        const NOT_REGISTERED: (u16, &str, &str) = (400, "FAILED_PRECONDITION", "NOT_REGISTERED");
        const BAD_BCS: (u16, &str, &str) = (400, "INVALID_ARGUMENT", "INVALID_CONTENT_TYPE");
        const OUT_OF_RANGE: (u16, &str, &str) = (400, "INVALID_ARGUMENT", "INDEX_OUT_OF_RANGE");
        const NOT_ASSIGNED: (u16, &str, &str) = (400, "FAILED_PRECONDITION", "SHARD_NOT_ASSIGNED");
        const BAD_PATH: (u16, &str, &str) = (400, "INVALID_ARGUMENT", "INVALID_PATH");
        const BAD_QUERY: (u16, &str, &str) = (400, "INVALID_ARGUMENT", "INVALID_QUERY");
        let meta = |id: &str| json!({ "blobId": id });
        let sliver = |id: &str, pair: u16, kind: &str| json!({ "blobId": id, "sliverPairIndex": pair, "sliverType": kind });
        let mut cases = vec![
            // --- PUT metadata (StoreMetadataError, BcsRejection) ---
            case(
                "metadata for an unregistered blob",
                "PUT",
                format!("/v1/blobs/{u}/metadata"),
                metadata_u.clone(),
                NOT_REGISTERED,
                sdk("storeBlobMetadata", meta(&u), "BlobNotRegisteredError"),
            ),
            case(
                "metadata of another blob",
                "PUT",
                format!("/v1/blobs/{b}/metadata"),
                metadata_u.clone(),
                (400, "INVALID_ARGUMENT", "INVALID_METADATA"),
                sdk("storeBlobMetadata", meta(&b), "BadRequestError"),
            ),
            case(
                "metadata that are not BCS",
                "PUT",
                format!("/v1/blobs/{b}/metadata"),
                vec![9; 40],
                BAD_BCS,
                sdk("storeBlobMetadata", meta(&b), "BadRequestError"),
            ),
            ErrorCase {
                content_type: Some("application/json"),
                ..case(
                    "metadata sent as JSON",
                    "PUT",
                    format!("/v1/blobs/{b}/metadata"),
                    self.bare.metadata.metadata().to_bcs().unwrap(),
                    BAD_BCS,
                    None,
                )
            },
            case(
                "a blob ID that is not one",
                "PUT",
                "/v1/blobs/not-a-blob-id/metadata".to_owned(),
                metadata_u.clone(),
                BAD_PATH,
                None,
            ),
            case(
                "an unknown query parameter on an upload",
                "PUT",
                format!("/v1/blobs/{b}/metadata?bogus=1"),
                metadata_u.clone(),
                BAD_QUERY,
                None,
            ),
            // --- GET metadata (RetrieveMetadataError) ---
            case(
                "metadata of an unregistered blob",
                "GET",
                format!("/v1/blobs/{u}/metadata"),
                vec![],
                (404, "NOT_FOUND", "METADATA_NOT_FOUND"),
                sdk("getBlobMetadata", meta(&u), "NotFoundError"),
            ),
            case(
                "metadata not uploaded",
                "GET",
                format!("/v1/blobs/{b}/metadata"),
                vec![],
                (404, "NOT_FOUND", "METADATA_NOT_FOUND"),
                sdk("getBlobMetadata", meta(&b), "NotFoundError"),
            ),
            // --- PUT sliver (StoreSliverError) ---
            case(
                "a sliver of an unregistered blob",
                "PUT",
                format!("/v1/blobs/{u}/slivers/{pu}/primary"),
                self.primary(&self.unregistered, pu),
                NOT_REGISTERED,
                sdk(
                    "storeSliver",
                    sliver(&u, pu, "primary"),
                    "BlobNotRegisteredError",
                ),
            ),
            case(
                "a sliver pair index not below the shard count",
                "PUT",
                format!("/v1/blobs/{a}/slivers/{N_SHARDS}/primary"),
                good.clone(),
                OUT_OF_RANGE,
                sdk(
                    "storeSliver",
                    sliver(&a, N_SHARDS, "primary"),
                    "BadRequestError",
                ),
            ),
            case(
                "a sliver of a shard the node does not own",
                "PUT",
                format!("/v1/blobs/{a}/slivers/{f}/primary"),
                self.primary(&self.registered, f),
                NOT_ASSIGNED,
                sdk("storeSliver", sliver(&a, f, "primary"), "BadRequestError"),
            ),
            case(
                "a sliver before its metadata",
                "PUT",
                format!("/v1/blobs/{b}/slivers/{pb}/primary"),
                self.primary(&self.bare, pb),
                (400, "FAILED_PRECONDITION", "METADATA_NOT_FOUND"),
                sdk("storeSliver", sliver(&b, pb, "primary"), "BadRequestError"),
            ),
            case(
                "a sliver with a byte flipped",
                "PUT",
                format!("/v1/blobs/{a}/slivers/{p}/primary"),
                corrupt,
                (400, "INVALID_ARGUMENT", "INVALID_SLIVER"),
                sdk("storeSliver", sliver(&a, p, "primary"), "BadRequestError"),
            ),
            case(
                "a sliver under another pair index",
                "PUT",
                format!("/v1/blobs/{a}/slivers/{p2}/primary"),
                good.clone(),
                (400, "INVALID_ARGUMENT", "SLIVER_INDEX_MISMATCH"),
                sdk("storeSliver", sliver(&a, p2, "primary"), "BadRequestError"),
            ),
            case(
                "a sliver that is not BCS",
                "PUT",
                format!("/v1/blobs/{a}/slivers/{p}/primary"),
                vec![7; 3],
                BAD_BCS,
                sdk("storeSliver", sliver(&a, p, "primary"), "BadRequestError"),
            ),
            case(
                "a sliver type that is neither primary nor secondary",
                "PUT",
                format!("/v1/blobs/{a}/slivers/{p}/tertiary"),
                good.clone(),
                BAD_PATH,
                None,
            ),
            // --- GET sliver and its status (RetrieveSliverError) ---
            case(
                "a sliver of an unregistered blob",
                "GET",
                format!("/v1/blobs/{u}/slivers/{pu}/primary"),
                vec![],
                (404, "NOT_FOUND", "SLIVER_NOT_FOUND"),
                sdk("getSliver", sliver(&u, pu, "primary"), "NotFoundError"),
            ),
            case(
                "a sliver not stored",
                "GET",
                format!("/v1/blobs/{a}/slivers/{p}/secondary"),
                vec![],
                (404, "NOT_FOUND", "SLIVER_NOT_FOUND"),
                sdk("getSliver", sliver(&a, p, "secondary"), "NotFoundError"),
            ),
            case(
                "a sliver pair index not below the shard count (read)",
                "GET",
                format!("/v1/blobs/{a}/slivers/{N_SHARDS}/primary"),
                vec![],
                OUT_OF_RANGE,
                sdk(
                    "getSliver",
                    sliver(&a, N_SHARDS, "primary"),
                    "BadRequestError",
                ),
            ),
            case(
                "a sliver of a shard the node has no data of",
                "GET",
                format!("/v1/blobs/{a}/slivers/{f}/primary"),
                vec![],
                NOT_ASSIGNED,
                sdk("getSliver", sliver(&a, f, "primary"), "BadRequestError"),
            ),
            case(
                "the status of a sliver of a shard the node has no data of",
                "GET",
                format!("/v1/blobs/{u}/slivers/{fu}/secondary/status"),
                vec![],
                NOT_ASSIGNED,
                sdk(
                    "getSliverStatus",
                    sliver(&u, fu, "secondary"),
                    "BadRequestError",
                ),
            ),
            // --- confirmations (ComputeStorageConfirmationError) ---
            case(
                "a confirmation for an unregistered blob",
                "GET",
                format!("/v1/blobs/{u}/confirmation/permanent"),
                vec![],
                NOT_REGISTERED,
                sdk(
                    "getPermanentBlobConfirmation",
                    meta(&u),
                    "BlobNotRegisteredError",
                ),
            ),
            case(
                "a confirmation before the slivers",
                "GET",
                format!("/v1/blobs/{a}/confirmation/permanent"),
                vec![],
                (400, "FAILED_PRECONDITION", "MISSING_SLIVERS"),
                sdk("getPermanentBlobConfirmation", meta(&a), "BadRequestError"),
            ),
            case(
                "a deletable confirmation for an object that does not register the blob",
                "GET",
                format!("/v1/blobs/{a}/confirmation/deletable/0x{}", "01".repeat(32)),
                vec![],
                NOT_REGISTERED,
                sdk(
                    "getDeletableBlobConfirmation",
                    json!({ "blobId": a, "objectId": format!("0x{}", "01".repeat(32)) }),
                    "BlobNotRegisteredError",
                ),
            ),
            case(
                "an object ID that is not one",
                "GET",
                format!("/v1/blobs/{a}/confirmation/deletable/0xzz"),
                vec![],
                BAD_PATH,
                None,
            ),
            // --- recovery symbols (ListSymbolsError) ---
            case(
                "recovery symbols without a filter",
                "GET",
                format!("/v1/blobs/{a}/recoverySymbols"),
                vec![],
                (400, "INVALID_ARGUMENT", "INVALID_FILTER"),
                None,
            ),
            case(
                "recovery symbols for a sliver not below the shard count",
                "GET",
                format!("/v1/blobs/{a}/recoverySymbols?targetSliver={N_SHARDS}&targetType=primary"),
                vec![],
                (400, "INVALID_ARGUMENT", "RECOVERY_SYMBOL_OUT_OF_RANGE"),
                None,
            ),
            case(
                "recovery symbols of an unregistered blob",
                "GET",
                format!("/v1/blobs/{u}/recoverySymbols?targetSliver=0&targetType=primary"),
                vec![],
                (404, "NOT_FOUND", "SLIVER_NOT_FOUND"),
                None,
            ),
            // --- inconsistency proofs (InconsistencyProofError) ---
            case(
                "an inconsistency proof for a blob without metadata here",
                "POST",
                format!("/v1/blobs/{b}/inconsistencyProof/primary"),
                vec![0; 8],
                (400, "FAILED_PRECONDITION", "METADATA_NOT_FOUND"),
                None,
            ),
            case(
                "an inconsistency proof without the symbols it needs",
                "POST",
                format!("/v1/blobs/{a}/inconsistencyProof/primary"),
                walrus_core::InconsistencyProof::<walrus_core::Primary>::new(
                    walrus_core::SliverIndex(0),
                    Vec::new(),
                )
                .to_bcs()
                .unwrap(),
                (400, "INVALID_ARGUMENT", "INVALID_PROOF"),
                None,
            ),
            case(
                "an inconsistency proof that is not BCS",
                "POST",
                format!("/v1/blobs/{a}/inconsistencyProof/primary"),
                vec![0xff; 3],
                BAD_BCS,
                None,
            ),
            // --- the rest ---
            case(
                "a route that does not exist",
                "GET",
                "/v1/nothing-here".to_owned(),
                vec![],
                (404, "NOT_FOUND", "NO_SUCH_ROUTE"),
                None,
            ),
            case(
                "a health query that does not parse",
                "GET",
                "/v1/health?detailed=maybe".to_owned(),
                vec![],
                BAD_QUERY,
                None,
            ),
        ];
        for case in &mut cases {
            if case.content_type.is_none() && !case.body.is_empty() {
                case.content_type = Some("application/octet-stream");
            }
        }
        cases
    }

    /// The table as JSON, for the SDK test: the node's URL, the registered blob's ID and, per
    /// case, the request and the expected answer (bodies in base64).
    pub fn cases_json(&self) -> Value {
        let b64 = base64::engine::general_purpose::STANDARD;
        let cases: Vec<Value> = self
            .cases()
            .iter()
            .map(|c| {
                json!({
                    "name": c.name,
                    "method": c.method,
                    "path": c.path,
                    "body": b64.encode(&c.body),
                    "contentType": c.content_type,
                    "http": c.http,
                    "status": c.status,
                    "reason": c.reason,
                    "sdk": c.sdk.as_ref().map(|s| json!({
                        "method": s.method,
                        "args": s.args,
                        "class": s.class,
                    })),
                })
            })
            .collect();
        json!({
            "nodeUrl": self.url,
            "registered": self.registered.blob_id().to_string(),
            "cases": cases,
        })
    }

    /// What the cases must leave as it was: the node's answers about the three blobs.
    pub async fn snapshot(&self) -> Vec<String> {
        let client = NodeClient::new(&format!("127.0.0.1:{}", self.net.ports[self.index]));
        let mut seen = Vec::new();
        for blob in [&self.registered, &self.bare, &self.unregistered] {
            let id: &BlobId = blob.blob_id();
            seen.push(format!(
                "{id} status {:?}",
                client.blob_status(id).await.unwrap()
            ));
            seen.push(format!(
                "{id} metadata {:?} {:?}",
                client.metadata_status(id).await.unwrap(),
                client.metadata(id).await.ok().map(|m| m.to_bcs().unwrap())
            ));
            for &shard in &self.owned {
                let pair = walrus_core::SliverPairIndex(self.pair(shard, blob));
                for axis in [walrus_core::Axis::Primary, walrus_core::Axis::Secondary] {
                    let status = client.sliver_status(id, pair, axis).await.unwrap();
                    assert_ne!(status, StoredOnNodeStatus::Buffered);
                    seen.push(format!("{id} {} {axis} {status:?}", pair.get()));
                }
            }
        }
        seen
    }
}
