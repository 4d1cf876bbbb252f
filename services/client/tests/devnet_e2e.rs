#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
//! End to end on a real devnet: the ledger and every storage node are separate `walrus`
//! processes. Stores and reads go through the CLI binary, the HTTP daemon and the library;
//! nodes are stopped, replaced by liars and restarted on the way.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use walrus_chain::walrus::FROST_PER_WAL;
use walrus_client::daemon::{self, DaemonLimits, Mode};
use walrus_client::devnet::{Devnet, DevnetOptions, funded_wallet};
use walrus_client::{ClientConfig, Epochs, StoreOptions, WalrusClient};
use walrus_core::{BlobId, ConsistencyCheck, EncodingConfig, ShardIndex};
use walrus_node_api::NodeClient;

const BIN: &str = env!("CARGO_BIN_EXE_walrus");

async fn devnet(dir: &Path, epoch_secs: u64) -> Devnet {
    devnet_with_database(dir, epoch_secs, None).await
}

/// Four nodes, ten shards, the ledger on a free port; the indexer when given a server URL.
async fn devnet_with_database(dir: &Path, epoch_secs: u64, database: Option<String>) -> Devnet {
    let options = DevnetOptions {
        nodes: 4,
        shards: 10,
        epoch_duration: Duration::from_secs(epoch_secs),
        chain_port: 0,
        database_url: database,
        graphql_port: 0,
        ..DevnetOptions::new(dir, BIN)
    };
    Devnet::start(&options).await.unwrap()
}

async fn client(net: &Devnet) -> WalrusClient {
    let (key, _) = funded_wallet(&net.client_config, 100 * FROST_PER_WAL)
        .await
        .unwrap();
    WalrusClient::new(&ClientConfig::load(&net.client_config).unwrap(), Some(key))
}

fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// Serves the HTTP daemon for `client` in this process; its base URL.
async fn serve_daemon(client: &WalrusClient, mode: Mode) -> String {
    serve_daemon_with(client, mode, DaemonLimits::default()).await
}

/// [`serve_daemon`] with `limits`.
async fn serve_daemon_with(client: &WalrusClient, mode: Mode, limits: DaemonLimits) -> String {
    let router = daemon::router(client.clone(), mode, limits);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    base
}

/// Runs the `walrus` binary with the devnet's configuration; (status, stdout, stderr).
fn cli(net: &Devnet, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&net.client_config)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The node (index) holding the fewest shards, with its shard count.
async fn smallest_node(net: &Devnet, client: &WalrusClient) -> (usize, usize) {
    let committee = client.chain().committee().await.unwrap();
    let member = committee
        .members
        .iter()
        .min_by_key(|m| m.shards.len())
        .unwrap();
    let index = (0..net.layout.nodes)
        .find(|&i| net.node_address(i).to_string() == member.network_address)
        .unwrap();
    (index, member.shards.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn store_and_read_via_cli_http_and_library_while_nodes_fail() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = devnet(dir.path(), 3600).await;
    let client = client(&net).await;

    // The CLI: files of several sizes, stored and read back byte-identical.
    let mut stored = Vec::new();
    for (i, size) in [1usize, 10_000, 700_000].into_iter().enumerate() {
        let path = dir.path().join(format!("in-{size}.bin"));
        let data = random_bytes(size, i as u64 + 1);
        std::fs::write(&path, &data).unwrap();
        let (ok, stdout, stderr) = cli(
            &net,
            &["--json", "store", path.to_str().unwrap(), "--epochs", "2"],
        );
        assert!(ok, "store failed: {stderr}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let created = &json[0]["blobStoreResult"]["newlyCreated"]["blobObject"];
        let blob_id = created["blobId"].as_str().unwrap().to_owned();
        assert_eq!(created["size"], size);
        assert_eq!(created["storage"]["endEpoch"], 3);
        let out = dir.path().join(format!("out-{size}.bin"));
        let (ok, _, stderr) = cli(&net, &["read", &blob_id, "--out", out.to_str().unwrap()]);
        assert!(ok, "read failed: {stderr}");
        assert_eq!(std::fs::read(&out).unwrap(), data);
        // Each consistency check gives the same bytes for a correctly encoded blob.
        for check in ["--strict-consistency-check", "--skip-consistency-check"] {
            let (ok, _, stderr) = cli(
                &net,
                &["read", &blob_id, "--out", out.to_str().unwrap(), check],
            );
            assert!(ok, "read {check} failed: {stderr}");
            assert_eq!(std::fs::read(&out).unwrap(), data, "{check}");
        }
        stored.push((blob_id, data));
    }

    // Several files in one command: stored as a pipeline, one result per file in order; a file
    // that cannot be stored (over the largest blob for 10 shards) fails alone, and the
    // command exits 1 after storing the others.
    let mut paths = Vec::new();
    let mut contents = Vec::new();
    for (i, size) in [5_000usize, 2_000_000, 80_000, 1].into_iter().enumerate() {
        let path = dir.path().join(format!("batch-{i}.bin"));
        let data = random_bytes(size, 200 + i as u64);
        std::fs::write(&path, &data).unwrap();
        paths.push(path.to_str().unwrap().to_owned());
        contents.push(data);
    }
    let mut args = vec!["--json", "store", "--epochs", "1"];
    args.extend(paths.iter().map(String::as_str));
    let (ok, stdout, stderr) = cli(&net, &args);
    assert!(!ok, "{stdout}");
    assert!(stderr.contains("batch-1.bin"), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let results = json.as_array().unwrap();
    assert_eq!(results.len(), 4, "{stdout}");
    assert!(
        results[1]["error"].as_str().unwrap().contains("largest"),
        "{stdout}"
    );
    for i in [0, 2, 3] {
        assert_eq!(results[i]["path"], paths[i]);
        let blob_id = results[i]["blobStoreResult"]["newlyCreated"]["blobObject"]["blobId"]
            .as_str()
            .unwrap();
        let out = dir.path().join(format!("batch-out-{i}.bin"));
        let (ok, _, stderr) = cli(&net, &["read", blob_id, "--out", out.to_str().unwrap()]);
        assert!(ok, "{stderr}");
        assert_eq!(std::fs::read(&out).unwrap(), contents[i], "file {i}");
    }

    // Storing the same file again pays nothing when a certified permanent copy exists.
    let permanent = dir.path().join("permanent.bin");
    std::fs::write(&permanent, random_bytes(2_000, 99)).unwrap();
    for expected in ["newlyCreated", "alreadyCertified"] {
        let (ok, stdout, stderr) = cli(
            &net,
            &[
                "--json",
                "store",
                permanent.to_str().unwrap(),
                "--epochs",
                "1",
                "--permanent",
            ],
        );
        assert!(ok, "{stderr}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert!(
            json[0]["blobStoreResult"].get(expected).is_some(),
            "expected {expected}: {stdout}"
        );
    }

    // The HTTP daemon: PUT, GET, ranges and bad requests.
    let base = serve_daemon(&client, Mode::Daemon).await;
    let http = reqwest::Client::new();
    let data = random_bytes(123_456, 7);
    let put: serde_json::Value = serde_json::from_slice(
        &http
            .put(format!("{base}/v1/blobs?epochs=1&permanent=true"))
            .body(data.clone())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    let blob_id = put["newlyCreated"]["blobObject"]["blobId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(put["newlyCreated"]["blobObject"]["deletable"], false);
    // As the reference, the publisher buys new storage unless asked to reuse the wallet's.
    assert!(
        put["newlyCreated"]["resourceOperation"]
            .get("registerFromScratch")
            .is_some(),
        "{put}"
    );
    let get = http
        .get(format!("{base}/v1/blobs/{blob_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    // The reference's ETag (the blob ID) and CORS for any origin.
    assert_eq!(get.headers()["etag"].to_str().unwrap(), blob_id);
    assert_eq!(get.headers()["access-control-allow-origin"], "*");
    assert_eq!(get.bytes().await.unwrap().as_ref(), data.as_slice());
    let part = http
        .get(format!("{base}/v1/blobs/{blob_id}"))
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"].to_str().unwrap(),
        "bytes 1000-1999/123456"
    );
    assert_eq!(part.bytes().await.unwrap().as_ref(), &data[1000..2000]);
    let huge = http
        .get(format!(
            "{base}/v1/blobs/{blob_id}/byte-range?start=100&length=1000000000000"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 416);
    let envelope: walrus_node_api::ErrorEnvelope =
        serde_json::from_slice(&huge.bytes().await.unwrap()).unwrap();
    assert_eq!(envelope.reason(), Some("INVALID_BYTE_RANGE"));
    assert_eq!(envelope.error.details[0].domain, "daemon.walrus.space");
    assert!(envelope.status_code().is_some(), "{envelope:?}");
    // A byte range is a 200 (CDNs cache it) with its own ETag.
    let range = http
        .get(format!(
            "{base}/v1/blobs/{blob_id}/byte-range?start=100&length=900"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(range.status(), 200);
    assert_eq!(
        range.headers()["etag"].to_str().unwrap(),
        format!("{blob_id}-100-900")
    );
    assert_eq!(range.bytes().await.unwrap().as_ref(), &data[100..1000]);
    // A Range header past the end: 416 with the blob's size.
    let past = http
        .get(format!("{base}/v1/blobs/{blob_id}"))
        .header("range", "bytes=200000-")
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 416);
    assert_eq!(past.headers()["content-range"], "bytes */123456");
    // Ranges are read from only the primary slivers that hold them, each verified.
    let id: BlobId = blob_id.parse().unwrap();
    let reader = client.open(&id).await.unwrap();
    let config = client.committee().await.unwrap().1;
    let span = config
        .primary_slivers_for_range(data.len() as u64, 40_000, 30_000)
        .unwrap();
    assert_eq!(span.len(), 2, "{span:?}");
    let part = reader.read_range(40_000, 30_000).await.unwrap();
    assert_eq!(part.as_ref(), &data[40_000..70_000]);
    let stats = reader.stats();
    assert_eq!(stats.slivers, 2, "{stats:?}");
    assert_eq!(stats.sliver_bytes, 2 * span.sliver_size);
    assert!(!stats.decoded_whole);
    assert!(matches!(
        reader.read_range(123_000, 1_000).await,
        Err(walrus_client::ClientError::InvalidRange(_))
    ));
    // The streaming route: the blob sliver by sliver, with its length announced.
    let streamed = http
        .get(format!("{base}/v1alpha/blobs/{blob_id}/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), 200);
    assert_eq!(streamed.headers()["x-walrus-streaming"], "true");
    assert_eq!(streamed.headers()["content-length"], "123456");
    assert_eq!(streamed.headers()["etag"].to_str().unwrap(), blob_id);
    assert_eq!(streamed.bytes().await.unwrap().as_ref(), data.as_slice());
    // Concatenation, by GET and by POST, in the order given.
    let (first_id, first_data) = &stored[0];
    let mut both = data.clone();
    both.extend_from_slice(first_data);
    let concat = http
        .get(format!(
            "{base}/v1alpha/blobs/concat?ids={blob_id},{first_id}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(concat.status(), 200);
    assert_eq!(
        concat.headers()["content-length"].to_str().unwrap(),
        both.len().to_string()
    );
    assert_eq!(concat.bytes().await.unwrap().as_ref(), both.as_slice());
    let concat = http
        .post(format!("{base}/v1alpha/blobs/concat"))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({"ids": [first_id, blob_id], "strict_consistency_check": true})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(concat.status(), 200);
    let mut reversed = first_data.clone();
    reversed.extend_from_slice(&data);
    assert_eq!(concat.bytes().await.unwrap().as_ref(), reversed.as_slice());
    for (ids, status, reason) in [
        (
            format!("{blob_id},{}", BlobId([7; 32])),
            404,
            "BLOB_NOT_FOUND",
        ),
        (format!("{blob_id},not-an-id"), 400, "INVALID_ID_FORMAT"),
        (",".to_owned(), 400, "INVALID_REQUEST"),
    ] {
        let refused = http
            .get(format!("{base}/v1alpha/blobs/concat?ids={ids}"))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), status, "{ids}");
        let envelope: walrus_node_api::ErrorEnvelope =
            serde_json::from_slice(&refused.bytes().await.unwrap()).unwrap();
        assert_eq!(envelope.reason(), Some(reason), "{ids}");
    }
    // A browser's CORS preflight from another origin is allowed for a day.
    let preflight = http
        .request(reqwest::Method::OPTIONS, format!("{base}/v1/blobs"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert_eq!(preflight.headers()["access-control-max-age"], "86400");
    assert!(
        preflight.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains('*')
    );
    let missing = http
        .get(format!("{base}/v1/blobs/{}", BlobId([7; 32])))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("BLOB_NOT_FOUND"));
    let garbage = http
        .get(format!("{base}/v1/blobs/not-a-blob-id"))
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    stored.push((blob_id, data.clone()));

    // f nodes down (here one node holding at most f = 3 of the 10 shards): reads still work,
    // and a store still certifies.
    let (down, shards) = smallest_node(&net, &client).await;
    assert!(shards <= 3, "the smallest node holds {shards} shards");
    net.stop_node(down).await;
    // A range whose sliver lived on the stopped node falls back to decoding the whole blob.
    let down_address = net.node_address(down).to_string();
    let committee = client.chain().committee().await.unwrap();
    let down_shards = &committee
        .members
        .iter()
        .find(|m| m.network_address == down_address)
        .unwrap()
        .shards;
    // The first row of `data` (stored as `id`) that lived on the stopped node, if any.
    let lost_row = |id: &BlobId, data: &[u8]| {
        let row = config
            .sliver_size::<walrus_core::Primary>(data.len() as u64)
            .unwrap();
        (0..config.n_primary_source_symbols())
            .filter(|&i| u64::from(i) * row + 105 <= data.len() as u64)
            .find(|&i| {
                let pair = config
                    .pair_for_sliver_index::<walrus_core::Primary>(walrus_core::SliverIndex(i))
                    .unwrap();
                down_shards.contains(&config.shard_for_pair(pair, id).unwrap().get())
            })
            .map(|i| u64::from(i) * row + 5)
    };
    let mut candidates: Vec<(BlobId, Vec<u8>)> = stored
        .iter()
        .map(|(id, data)| (id.parse().unwrap(), data.clone()))
        .collect();
    let mut found = candidates
        .iter()
        .find_map(|(id, data)| Some((*id, data.clone(), lost_row(id, data)?)));
    // Blob IDs decide which shards hold which rows; store more until one has a row there.
    for seed in 500..530 {
        if found.is_some() {
            break;
        }
        let data = random_bytes(60_000, seed);
        let (result, background) = client
            .store(data.clone(), &StoreOptions::default())
            .await
            .unwrap();
        drop(background);
        let id: BlobId = result.blob_id().parse().unwrap();
        found = lost_row(&id, &data).map(|start| (id, data.clone(), start));
        candidates.push((id, data));
    }
    let (lost_id, lost_data, start) = found.expect("a blob with a row on the stopped node");
    let reader = client.open(&lost_id).await.unwrap();
    let part = reader.read_range(start, 100).await.unwrap();
    assert_eq!(
        part.as_ref(),
        &lost_data[start as usize..start as usize + 100]
    );
    assert!(reader.stats().decoded_whole, "{:?}", reader.stats());
    for (blob_id, data) in &stored {
        let blob = client
            .read(&blob_id.parse().unwrap(), ConsistencyCheck::Default)
            .await
            .unwrap();
        assert_eq!(blob.as_ref(), data.as_slice());
    }
    let late = random_bytes(50_000, 42);
    let options = StoreOptions {
        epochs: Epochs::Ahead(3),
        ..StoreOptions::default()
    };
    let (result, background) = client.store(late.clone(), &options).await.unwrap();
    drop(background); // the stopped node will never confirm
    let late_id: BlobId = result.blob_id().parse().unwrap();

    // The node comes back and recovers the slivers it missed.
    net.start_node(down).await.unwrap();
    let committee = client.chain().committee().await.unwrap();
    let member = committee
        .members
        .iter()
        .find(|m| m.network_address == net.node_address(down).to_string())
        .unwrap();
    let node = NodeClient::new(&member.network_address);
    let config = EncodingConfig::new(committee.n_shards).unwrap();
    let shard = member.shards[0];
    let pair = config.pair_for_shard(ShardIndex(shard), &late_id).unwrap();
    let mut recovered = false;
    for _ in 0..300 {
        if node
            .sliver_bytes(&late_id, pair, walrus_core::Axis::Primary)
            .await
            .is_ok()
        {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "the restarted node never recovered its sliver");
    assert_eq!(
        client
            .read(&late_id, ConsistencyCheck::Strict)
            .await
            .unwrap()
            .as_ref(),
        late.as_slice()
    );

    // A node that answers every request with garbage: reads verify each sliver and go on.
    let (liar, _) = smallest_node(&net, &client).await;
    net.stop_node(liar).await;
    let fake = tokio::net::TcpListener::bind(net.node_address(liar))
        .await
        .unwrap();
    tokio::spawn(async move {
        let router = axum::Router::new().fallback(|| async { vec![0xAB_u8; 4096] });
        axum::serve(fake, router).await
    });
    for (blob_id, data) in &stored {
        let blob = client
            .read(&blob_id.parse().unwrap(), ConsistencyCheck::Default)
            .await
            .unwrap();
        assert_eq!(blob.as_ref(), data.as_slice());
    }
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_gives_one_clear_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let net = devnet(dir.path(), 3600).await;
    let client = client(&net).await;
    let address = client.address().unwrap();
    let balance = client.chain().wal_balance(address).await.unwrap();

    // An unreadable file among readable ones: nothing is stored or paid.
    let good = dir.path().join("good.bin");
    std::fs::write(&good, b"fine").unwrap();
    let (ok, _, stderr) = cli(
        &net,
        &[
            "store",
            good.to_str().unwrap(),
            "/definitely/missing.bin",
            "--epochs",
            "1",
        ],
    );
    assert!(!ok);
    assert!(
        stderr.starts_with("Error: cannot read /definitely/missing.bin"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert_eq!(client.chain().wal_balance(address).await.unwrap(), balance);

    // A blob ID that does not exist: an error, and no partial output file.
    let out = dir.path().join("never.bin");
    let (ok, _, stderr) = cli(
        &net,
        &[
            "read",
            &BlobId([3; 32]).to_string(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(!ok);
    assert!(stderr.contains("was not found"), "{stderr}");
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("partial"))
            .count(),
        0
    );

    // A malformed blob ID and bad epochs are refused before any network call.
    let (ok, _, stderr) = cli(&net, &["read", "xyz"]);
    assert!(!ok && stderr.contains("invalid value 'xyz'"), "{stderr}");
    let (ok, _, stderr) = cli(&net, &["store", good.to_str().unwrap(), "--epochs", "0"]);
    assert!(
        !ok && stderr.contains("--epochs must be at least 1"),
        "{stderr}"
    );
    let (ok, _, stderr) = cli(&net, &["store", good.to_str().unwrap(), "--epochs", "1000"]);
    assert!(
        !ok && stderr.contains("epochs must be between 1 and"),
        "{stderr}"
    );
    // The expiry: exactly one of the three flags, in the future, well formed; each refusal is
    // one line.
    let good_path = good.to_str().unwrap();
    let refusals: [(&[&str], &str); 6] = [
        (
            &[],
            "exactly one of --epochs, --end-epoch and --earliest-expiry-time",
        ),
        (
            &["--epochs", "2", "--end-epoch", "9"],
            "exactly one of --epochs, --end-epoch and --earliest-expiry-time",
        ),
        (
            &[
                "--end-epoch",
                "9",
                "--earliest-expiry-time",
                "2099-01-01T00:00:00Z",
            ],
            "exactly one of --epochs, --end-epoch and --earliest-expiry-time",
        ),
        (&["--end-epoch", "1"], "must be after the current epoch"),
        (
            &["--earliest-expiry-time", "2001-01-01 00:00:00"],
            "must be after the start of the current epoch",
        ),
        (
            &["--earliest-expiry-time", "next tuesday"],
            "is not a time like 2026-12-31T15:00:00Z",
        ),
    ];
    for (flags, message) in refusals {
        let mut arguments = vec!["store", good_path];
        arguments.extend_from_slice(flags);
        let (ok, _, stderr) = cli(&net, &arguments);
        assert!(!ok && stderr.contains(message), "{flags:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{flags:?}: {stderr}");
    }
    assert_eq!(client.chain().wal_balance(address).await.unwrap(), balance);

    // A file larger than the largest blob is refused with the limit named.
    let max = EncodingConfig::new(10).unwrap().max_blob_size();
    let too_big = dir.path().join("big.bin");
    std::fs::write(&too_big, vec![0u8; max as usize + 1]).unwrap();
    let (ok, _, stderr) = cli(&net, &["store", too_big.to_str().unwrap(), "--epochs", "1"]);
    assert!(!ok && stderr.contains("largest storable blob"), "{stderr}");

    // The publisher over its concurrency limit sheds a store at once with 429 and
    // `Retry-After`, before reading its body; over the body limit, 413. Nothing is paid.
    let limits = DaemonLimits {
        max_concurrent_writes: 1,
        max_body_bytes: 4096,
        ..DaemonLimits::default()
    };
    let base = serve_daemon_with(&client, Mode::Publisher, limits).await;
    let http = reqwest::Client::new();
    let oversized = http
        .put(format!("{base}/v1/blobs?epochs=1"))
        .body(vec![1u8; 5000])
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), 413);
    // One store holds the only write permit: its body never finishes arriving.
    let address_port = base.trim_start_matches("http://").to_owned();
    let mut stalled = std::net::TcpStream::connect(&address_port).unwrap();
    std::io::Write::write_all(
        &mut stalled,
        b"PUT /v1/blobs?epochs=1 HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\nabc",
    )
    .unwrap();
    // The probe is refused by its query if it gets a permit, so it never stores anything.
    let mut shed = None;
    for _ in 0..200 {
        let response = http
            .put(format!("{base}/v1/blobs?send_object_to=nobody"))
            .body(vec![2u8; 100])
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            shed = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let shed = shed.expect("a second concurrent store is shed");
    assert_eq!(shed.headers()["retry-after"], "1");
    let envelope: walrus_node_api::ErrorEnvelope =
        serde_json::from_slice(&shed.bytes().await.unwrap()).unwrap();
    assert_eq!(envelope.error.status, "RESOURCE_EXHAUSTED");
    drop(stalled);
    assert_eq!(client.chain().wal_balance(address).await.unwrap(), balance);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_continue_across_an_epoch_change() {
    let dir = tempfile::tempdir().unwrap();
    let net = devnet(dir.path(), 12).await;
    let client = client(&net).await;
    let data = random_bytes(200_000, 5);
    let options = StoreOptions {
        epochs: Epochs::Ahead(5),
        ..StoreOptions::default()
    };
    let (result, background) = client.store(data.clone(), &options).await.unwrap();
    background.finish().await;
    let blob_id: BlobId = result.blob_id().parse().unwrap();
    let start = client.chain().committee().await.unwrap().epoch;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut reads = 0;
    loop {
        let blob = client
            .read(&blob_id, ConsistencyCheck::Default)
            .await
            .unwrap();
        assert_eq!(blob.as_ref(), data.as_slice());
        reads += 1;
        let epoch = client.chain().committee().await.unwrap().epoch;
        if epoch > start && reads > 3 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no epoch change within 60 s (still epoch {epoch})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // After the change, the blob is still stored and certified by the new committee.
    assert!(matches!(
        client.blob_status(&blob_id).await.unwrap(),
        walrus_node_api::BlobStatus::Deletable { .. }
    ));
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_devnet_indexes_what_is_stored_into_its_own_database() {
    use sqlx::Connection as _;
    let server = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL (scripts/test.sh sets it from scripts/pg.sh)");
    let dir = tempfile::tempdir().unwrap();
    let net = devnet_with_database(dir.path(), 3600, Some(server.clone())).await;
    let database = net.database_url.clone().unwrap();
    assert_ne!(database, server, "the devnet gets a database of its own");
    let client = client(&net).await;
    let (result, _) = client
        .store(random_bytes(3_000, 11), &StoreOptions::default())
        .await
        .unwrap();
    let blob_id: BlobId = result.blob_id().parse().unwrap();

    let mut db = sqlx::PgConnection::connect(&database).await.unwrap();
    let mut certified = None;
    for _ in 0..200 {
        certified = sqlx::query_scalar::<_, Option<i32>>(
            "SELECT certified_epoch FROM blobs WHERE blob_id = $1",
        )
        .bind(blob_id.0.as_slice())
        .fetch_optional(&mut db)
        .await
        .unwrap_or(None)
        .flatten();
        if certified.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(certified, Some(1), "the indexer recorded the certification");

    // The GraphQL API over the same database answers for the blob.
    let graphql = net
        .graphql_url
        .clone()
        .expect("GraphQL runs with the indexer");
    let query = serde_json::json!({
        "query": format!("{{ blob(blobId: \"{blob_id}\") {{ status }} }}")
    });
    let answer: serde_json::Value = serde_json::from_slice(
        &reqwest::Client::new()
            .post(format!("{graphql}/graphql"))
            .header("content-type", "application/json")
            .body(query.to_string())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(answer["data"]["blob"]["status"], "CERTIFIED", "{answer}");
    let dashboard = reqwest::get(format!("{graphql}/dashboard")).await.unwrap();
    assert_eq!(dashboard.status(), 200);
    db.close().await.unwrap();
    net.shutdown().await;

    // Clean up the devnet's database.
    let name = database.rsplit('/').next().unwrap().to_owned();
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
}

/// Starts `command` and returns the child and the JSON line it prints first.
fn spawn_json_line(command: &mut Command) -> (std::process::Child, serde_json::Value) {
    use std::io::BufRead as _;
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{command:?} printed {line:?}: {e}"));
    (child, json)
}

/// Starts `walrus --json devnet` and returns the child and its JSON line.
fn spawn_devnet_command(dir: &Path) -> (std::process::Child, serde_json::Value) {
    spawn_json_line(
        Command::new(BIN)
            .args(["--json", "devnet", "--dir"])
            .arg(dir)
            .args([
                "--nodes",
                "4",
                "--shards",
                "10",
                "--chain-port",
                "0",
                "--daemon-address",
                "127.0.0.1:0",
            ]),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sui_devnet_command_serves_a_faucet_and_a_wallet_and_reopens_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        spawn_json_line(
            Command::new(BIN)
                .args(["--json", "sui-devnet", "--dir"])
                .arg(dir.path())
                .args(["--grpc-address", "127.0.0.1:0"])
                .args(["--faucet-address", "127.0.0.1:0"]),
        )
    };
    let (mut child, json) = start();
    let recipient = format!("0x{}", "b2".repeat(32));
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/v2/gas", json["faucetUrl"].as_str().unwrap()))
        .json_body(&serde_json::json!({"FixedAmountRequest": {"recipient": recipient}}))
        .await;
    assert_eq!(answer["status"], "Success", "{answer}");
    let sent = answer["coins_sent"][0]["amount"].as_u64().unwrap();
    let yaml = std::fs::read_to_string(json["clientConfig"].as_str().unwrap()).unwrap();
    assert!(
        yaml.contains(json["activeAddress"].as_str().unwrap()),
        "{yaml}"
    );
    assert!(terminate(&mut child).success());

    // Reopened: the same wallet, and the coin the faucet sent is still there.
    let (mut child, again) = start();
    assert_eq!(again["activeAddress"], json["activeAddress"]);
    let mut client = sui_rpc::Client::new(again["grpcUrl"].as_str().unwrap()).unwrap();
    let mut request = sui_rpc::proto::sui::rpc::v2::GetBalanceRequest::default();
    request.owner = Some(recipient.clone());
    let balance = client
        .state_client()
        .get_balance(request)
        .await
        .unwrap()
        .into_inner()
        .balance
        .unwrap()
        .balance
        .unwrap();
    assert_eq!(balance, sent);
    assert!(terminate(&mut child).success());
}

/// POSTs a JSON body and reads a JSON answer.
trait JsonBody {
    async fn json_body(self, body: &serde_json::Value) -> serde_json::Value;
}

impl JsonBody for reqwest::RequestBuilder {
    async fn json_body(self, body: &serde_json::Value) -> serde_json::Value {
        let bytes = self
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_daemon_command_refuses_blocked_blobs_and_serves_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let net = devnet(dir.path(), 3600).await;
    let client = client(&net).await;
    let address = client.address().unwrap();
    let options = StoreOptions::default();
    let blocked_data = random_bytes(30_000, 11);
    let (blocked, background) = client.store(blocked_data.clone(), &options).await.unwrap();
    background.finish().await;
    let (open, background) = client
        .store(random_bytes(20_000, 12), &options)
        .await
        .unwrap();
    background.finish().await;
    let (blocked, open) = (blocked.blob_id(), open.blob_id());
    let list = dir.path().join("blocklist.yaml");
    std::fs::write(&list, format!("# blocked on request\n- {blocked}\n")).unwrap();

    let (mut child, json) = spawn_json_line(
        Command::new(BIN)
            .arg("--config")
            .arg(&net.client_config)
            .args(["--json", "daemon", "--bind-address", "127.0.0.1:0"])
            .args(["--metrics-address", "127.0.0.1:0", "--blocklist"])
            .arg(&list),
    );
    let base = json["url"].as_str().unwrap().to_owned();
    let metrics_url = json["metricsUrl"].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        async move { http.get(path).send().await.unwrap() }
    };
    assert_eq!(get(format!("{base}/v1/blobs/{open}")).await.status(), 200);
    for path in [
        format!("{base}/v1/blobs/{blocked}"),
        format!("{base}/v1alpha/blobs/{blocked}/stream"),
        format!("{base}/v1alpha/blobs/concat?ids={open},{blocked}"),
        format!("{base}/v1/blobs/{blocked}/byte-range?start=0&length=10"),
    ] {
        let refused = get(path.clone()).await;
        assert_eq!(refused.status(), 451, "{path}");
        let envelope: walrus_node_api::ErrorEnvelope =
            serde_json::from_slice(&refused.bytes().await.unwrap()).unwrap();
        assert_eq!(envelope.reason(), Some("FORBIDDEN_BLOB"), "{path}");
    }
    // The publisher refuses to store a blocked blob, before paying anything.
    let balance = client.chain().wal_balance(address).await.unwrap();
    let put = http
        .put(format!("{base}/v1/blobs?epochs=1"))
        .body(blocked_data)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 451);
    assert_eq!(client.chain().wal_balance(address).await.unwrap(), balance);

    let metrics = get(metrics_url).await.text().await.unwrap();
    for line in [
        r#"walrus_daemon_requests_total{method="GET",route="/v1/blobs/{blob_id}",status="200"} 1"#,
        r#"walrus_daemon_requests_total{method="GET",route="/v1/blobs/{blob_id}",status="451"} 1"#,
        r#"walrus_daemon_requests_total{method="PUT",route="/v1/blobs",status="451"} 1"#,
        r#"walrus_daemon_whole_blob_decodes_total 1"#,
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no {line} in\n{metrics}"
        );
    }
    let fetched: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("walrus_daemon_sliver_bytes_fetched_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(fetched > 0, "{metrics}");
    // The public port does not expose the metrics.
    assert_eq!(get(format!("{base}/metrics")).await.status(), 404);
    terminate(&mut child);
    net.shutdown().await;
}

fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_devnet_command_serves_stops_cleanly_and_resumes_from_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("net");
    let (mut child, info) = spawn_devnet_command(&state);
    let daemon = info["daemonUrl"].as_str().unwrap().to_owned();
    let nodes: Vec<String> = info["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(nodes.len(), 4);
    assert!(info["balance"].as_u64().unwrap() >= 100 * FROST_PER_WAL);

    // Through the publisher, then the CLI with the written configuration.
    let http = reqwest::Client::new();
    let data = random_bytes(20_000, 21);
    let body = http
        .put(format!("{daemon}/v1/blobs?epochs=3&permanent=true"))
        .body(data.clone())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let put: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let blob_id = put["newlyCreated"]["blobObject"]["blobId"]
        .as_str()
        .unwrap_or_else(|| panic!("{put}"))
        .to_owned();
    let config = info["clientConfig"].as_str().unwrap().to_owned();
    let out = dir.path().join("copy.bin");
    let status = Command::new(BIN)
        .args(["--config", &config, "read", &blob_id, "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(std::fs::read(&out).unwrap(), data);

    // SIGTERM stops everything cleanly: exit status 0 and every node port closed.
    assert!(terminate(&mut child).success());
    for node in &nodes {
        assert!(
            std::net::TcpStream::connect(node).is_err(),
            "node {node} still listens after the devnet stopped"
        );
    }

    // The same directory starts the same network again, with the blob still there.
    let (mut child, again) = spawn_devnet_command(&state);
    assert_eq!(again["nodes"], info["nodes"]);
    assert_eq!(again["chainUrl"], info["chainUrl"]);
    let daemon = again["daemonUrl"].as_str().unwrap();
    let read = http
        .get(format!("{daemon}/v1/blobs/{blob_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.bytes().await.unwrap().as_ref(), data.as_slice());
    assert!(terminate(&mut child).success());
}

/// Starts `walrus --json devnet --database-url <server>` (with `--dir dir` when given) and
/// returns the child and its JSON line.
fn spawn_devnet_with_database(
    server: &str,
    dir: Option<&Path>,
) -> (std::process::Child, serde_json::Value) {
    use std::io::BufRead as _;
    let mut command = Command::new(BIN);
    command.args(["--json", "devnet"]);
    if let Some(dir) = dir {
        command.arg("--dir").arg(dir);
    }
    let mut child = command
        .args([
            "--nodes",
            "2",
            "--shards",
            "4",
            "--chain-port",
            "0",
            "--daemon-address",
            "127.0.0.1:0",
            "--database-url",
            server,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("devnet printed {line:?}: {e}"));
    (child, json)
}

/// Whether database `name` exists on `server`.
async fn database_exists(server: &str, name: &str) -> bool {
    use sqlx::Connection as _;
    let mut admin = sqlx::PgConnection::connect(server).await.unwrap();
    let exists = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    exists
}

/// The database name of a `postgres://host/name?options` URL.
fn database_name(url: &str) -> String {
    let path = url.split('?').next().unwrap();
    path.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_temporary_devnet_drops_its_database_on_exit_and_a_kept_one_keeps_it() {
    use sqlx::Connection as _;
    let server = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL (scripts/test.sh sets it from scripts/pg.sh)");

    // Without --dir: a temporary directory and a database of its own, both gone after Ctrl-C.
    let (mut child, info) = spawn_devnet_with_database(&server, None);
    let name = database_name(info["databaseUrl"].as_str().unwrap());
    assert!(name.starts_with("walrus_devnet_"), "{info}");
    let dir = std::path::PathBuf::from(info["dir"].as_str().unwrap());
    assert!(dir.join("devnet.json").exists());
    assert!(database_exists(&server, &name).await);
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    assert!(
        !database_exists(&server, &name).await,
        "database {name} is left behind"
    );
    assert!(!dir.exists(), "{} is left behind", dir.display());

    // With --dir: the directory names the database and a restart reuses it, so it stays.
    let kept = tempfile::tempdir().unwrap();
    let state = kept.path().join("net");
    let (mut child, info) = spawn_devnet_with_database(&server, Some(&state));
    let name = database_name(info["databaseUrl"].as_str().unwrap());
    assert!(terminate(&mut child).success());
    assert!(
        database_exists(&server, &name).await,
        "database {name} of a kept devnet was dropped"
    );
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn blob_and_staking_commands_work_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let net = devnet(dir.path(), 3600).await;
    let client = client(&net).await;
    let run = |args: &[&str]| {
        let (ok, stdout, stderr) = cli(&net, args);
        assert!(ok, "walrus {args:?} failed: {stderr}");
        stdout
    };
    let json = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = run(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{out}: {e}"))
    };

    let file = dir.path().join("page.html");
    std::fs::write(&file, b"<h1>hello</h1>").unwrap();
    let stored = json(&["store", file.to_str().unwrap(), "--epochs", "2"]);
    let object = stored[0]["blobStoreResult"]["newlyCreated"]["blobObject"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Attributes, and the aggregator turning them into headers.
    run(&[
        "set-blob-attribute",
        &object,
        "--attr",
        "content-type",
        "text/html",
        "--attr",
        "x-note",
        "kept",
    ]);
    let attrs = json(&["get-blob-attribute", &object]);
    assert_eq!(attrs["content-type"], "text/html");
    assert_eq!(attrs["x-note"], "kept");
    let base = serve_daemon(&client, Mode::Aggregator).await;
    let response = reqwest::get(format!("{base}/v1/blobs/by-object-id/{object}"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert!(
        response.headers().get("x-note").is_none(),
        "only allow-listed attributes become headers"
    );
    // `--allowed-headers` chooses which attributes become headers.
    let custom = serve_daemon_with(
        &client,
        Mode::Aggregator,
        DaemonLimits {
            allowed_headers: vec!["x-note".to_owned()],
            ..DaemonLimits::default()
        },
    )
    .await;
    let response = reqwest::get(format!("{custom}/v1/blobs/by-object-id/{object}"))
        .await
        .unwrap();
    assert_eq!(response.headers()["x-note"], "kept");
    assert_ne!(
        response.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"text/html"[..])
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"<h1>hello</h1>");
    // The aggregator alone refuses writes.
    let put = reqwest::Client::new()
        .put(format!("{base}/v1/blobs"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 404);
    run(&["remove-blob-attribute-fields", &object, "--keys", "x-note"]);
    assert!(
        json(&["get-blob-attribute", &object])
            .get("x-note")
            .is_none()
    );

    // Extend, list, delete.
    let extended = json(&["extend", "--blob-obj-id", &object, "--epochs-extended", "2"]);
    assert_eq!(extended["endEpoch"], 5);
    let listed = json(&["list-blobs"]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["id"] == object.as_str())
    );
    // Deleting asks for confirmation: without a terminal and without --yes, nothing happens.
    let (ok, _, stderr) = cli(&net, &["delete", "--object-ids", &object]);
    assert!(!ok && stderr.contains("add --yes"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    let owned = |id: &str| {
        json(&["list-blobs"])
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["id"] == id)
    };
    assert!(owned(&object), "not deleted without --yes");
    json(&["delete", "--object-ids", &object, "--yes"]);
    assert!(!owned(&object));

    // The deleted blob's storage came back: a new store reuses it, unless told to ignore what
    // the wallet owns.
    let fresh = dir.path().join("fresh.txt");
    std::fs::write(&fresh, b"bought anew").unwrap();
    let ignored = json(&[
        "store",
        fresh.to_str().unwrap(),
        "--epochs",
        "1",
        "--ignore-resources",
    ]);
    let operation = &ignored[0]["blobStoreResult"]["newlyCreated"]["resourceOperation"];
    assert!(operation.get("registerFromScratch").is_some(), "{ignored}");
    let reused = dir.path().join("reused.txt");
    std::fs::write(&reused, b"on storage the wallet owns").unwrap();
    let reusing = json(&["store", reused.to_str().unwrap(), "--epochs", "1"]);
    let operation = &reusing[0]["blobStoreResult"]["newlyCreated"]["resourceOperation"];
    assert!(operation.get("reuseStorage").is_some(), "{reusing}");

    // Delete by file: the blob ID is computed from the file.
    let by_file = dir.path().join("by-file.txt");
    std::fs::write(&by_file, b"deleted by its file").unwrap();
    let stored = json(&["store", by_file.to_str().unwrap(), "--epochs", "1"]);
    let object = stored[0]["blobStoreResult"]["newlyCreated"]["blobObject"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = json(&["delete", "--files", by_file.to_str().unwrap(), "--yes"]);
    assert_eq!(deleted[0]["objectId"], object.as_str(), "{deleted}");
    assert!(!owned(&object));

    // Burn: the object and its storage are gone (nothing comes back to the wallet).
    let stored = json(&[
        "store",
        by_file.to_str().unwrap(),
        "--epochs",
        "1",
        "--force",
    ]);
    let object = stored[0]["blobStoreResult"]["newlyCreated"]["blobObject"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (ok, _, stderr) = cli(&net, &["burn-blobs", "--object-ids", &object]);
    assert!(!ok && stderr.contains("add --yes"), "{stderr}");
    assert!(owned(&object), "not burned without --yes");
    let burned = json(&["burn-blobs", "--object-ids", &object, "--yes"]);
    assert_eq!(burned[0]["objectId"], object.as_str(), "{burned}");
    assert!(!owned(&object));
    // Nothing owned has expired yet; one selection is required.
    assert_eq!(
        json(&["burn-blobs", "--all-expired", "--yes"]),
        serde_json::json!([])
    );
    let (ok, _, _) = cli(&net, &["burn-blobs", "--yes"]);
    assert!(!ok);

    // The expiry as an end epoch, and as an earliest expiry time: the fewest epochs, counted
    // from the start of the current epoch, that reach it (priced with `--dry-run`, which
    // resolves the flags as a store does, without reusing owned storage).
    let epoch = json(&["info"])["epoch"].as_u64().unwrap();
    let end = (epoch + 3).to_string();
    let by_end = json(&[
        "store",
        file.to_str().unwrap(),
        "--end-epoch",
        &end,
        "--dry-run",
    ]);
    assert_eq!(by_end[0]["endEpoch"], epoch + 3, "{by_end}");
    assert_eq!(by_end[0]["epochsAhead"], 3, "{by_end}");
    let duration_ms = json(&["info"])["epochDurationMs"].as_u64().unwrap();
    // 2.5 epochs from now is between 2.5 and 3.5 epochs after the current epoch's start (it
    // started less than one epoch ago): 3 or 4 epochs.
    let expiry_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        + duration_ms * 5 / 2;
    let expiry = chrono::DateTime::from_timestamp_millis(expiry_ms as i64)
        .unwrap()
        .to_rfc3339();
    let by_time = json(&[
        "store",
        file.to_str().unwrap(),
        "--earliest-expiry-time",
        &expiry,
        "--dry-run",
    ]);
    let ahead = by_time[0]["epochsAhead"].as_u64().unwrap();
    assert!(
        (3..=4).contains(&ahead),
        "{ahead} epochs for {expiry}: {by_time}"
    );
    assert_eq!(by_time[0]["endEpoch"], epoch + ahead, "{by_time}");

    // Share on store.
    let shared = json(&[
        "store",
        file.to_str().unwrap(),
        "--epochs",
        "1",
        "--share",
        "--force",
    ]);
    assert!(
        shared[0]["blobStoreResult"]["newlyCreated"]["sharedBlobObject"].is_string(),
        "{shared}"
    );
    let shared_id = shared[0]["blobStoreResult"]["newlyCreated"]["sharedBlobObject"]
        .as_str()
        .unwrap()
        .to_owned();
    let end_before =
        shared[0]["blobStoreResult"]["newlyCreated"]["blobObject"]["storage"]["endEpoch"]
            .as_u64()
            .unwrap();
    // Without funds it cannot be extended: a one-line refusal, nothing paid.
    let (ok, _, stderr) = cli(
        &net,
        &[
            "extend",
            "--shared",
            "--blob-obj-id",
            &shared_id,
            "--epochs-extended",
            "1",
        ],
    );
    assert!(
        !ok && stderr.contains("add funds with fund-shared-blob"),
        "{stderr}"
    );
    // Anyone funds it; an extension is paid from its funds.
    let fund = |amount: &str| {
        json(&[
            "fund-shared-blob",
            "--shared-blob-obj-id",
            &shared_id,
            "--amount",
            amount,
        ])
    };
    let funded = fund("1000000");
    assert_eq!(funded["funds"], 1_000_000, "{funded}");
    let extended = json(&[
        "extend",
        "--shared",
        "--blob-obj-id",
        &shared_id,
        "--epochs-extended",
        "1",
    ]);
    assert_eq!(extended["endEpoch"], end_before + 1, "{extended}");
    let cost = extended["cost"].as_u64().unwrap();
    assert!(cost > 0);
    let funds_after = fund("1")["funds"].as_u64().unwrap();
    assert_eq!(funds_after, 1_000_000 - cost + 1, "paid from the funds");
    // Sharing an owned blob with funds.
    let owned_blob = json(&["store", file.to_str().unwrap(), "--epochs", "1", "--force"]);
    let owned_id = owned_blob[0]["blobStoreResult"]["newlyCreated"]["blobObject"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let shared_funded = json(&["share", "--blob-obj-id", &owned_id, "--amount", "5000"]);
    assert_eq!(shared_funded["funds"], 5000, "{shared_funded}");

    // System information and node health.
    let info = json(&["info"]);
    assert_eq!(info["nShards"], 10);
    assert_eq!(info["committee"].as_array().unwrap().len(), 4);
    // One section at a time: only its fields.
    let bft = json(&["info", "bft"]);
    assert_eq!(
        bft,
        serde_json::json!({"bft": {"nShards": 10, "maxFaultyShards": 3, "quorumThreshold": 7,
                                   "validityThreshold": 4}})
    );
    let price = json(&["info", "price"]);
    assert_eq!(
        price["storagePricePerUnitSize"],
        info["storagePricePerUnitSize"]
    );
    assert!(price.get("committee").is_none() && price.get("epoch").is_none());
    assert_eq!(json(&["info", "all"]), info);
    let health = json(&["health", "--committee"]);
    assert_eq!(health.as_array().unwrap().len(), 4);
    // One node by id, with the status of each of its shards.
    let member = &info["committee"][0];
    let one = json(&[
        "health",
        "--node-ids",
        member["nodeId"].as_str().unwrap(),
        "--detail",
    ]);
    assert_eq!(one.as_array().unwrap().len(), 1, "{one}");
    assert_eq!(one[0]["name"], member["name"], "{one}");
    let owned = one[0]["health"]["shardDetail"]["owned"].as_array().unwrap();
    assert_eq!(
        owned.len() as u64,
        member["shards"].as_u64().unwrap(),
        "{one}"
    );
    // The active set: every candidate (here the four genesis nodes).
    assert_eq!(
        json(&["health", "--active-set"]).as_array().unwrap().len(),
        4
    );
    // Exactly one selection.
    for flags in [&["health"][..], &["health", "--committee", "--active-set"]] {
        let (ok, _, stderr) = cli(&net, flags);
        assert!(
            !ok && stderr.contains("exactly one of --node-ids"),
            "{stderr}"
        );
    }

    // Staking: stake with a committee node and see the position pending activation.
    let node = info["committee"][0]["nodeId"].as_str().unwrap().to_owned();
    let staked = json(&["stake", "--node-ids", &node, "--amounts", "2000000000"]);
    let staked_wal = staked[0]["stakedWal"].as_str().unwrap().to_owned();
    let positions = json(&["list-staked-wal"]);
    let position = positions
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["stakedWal"] == staked_wal.as_str())
        .unwrap();
    assert_eq!(position["principal"], 2_000_000_000u64);
    assert!(
        position["state"]
            .as_str()
            .unwrap()
            .starts_with("pending activation"),
        "{position}"
    );
    // Withdrawals take the node first, as the reference: the only position with the node is
    // found without naming it; with two, they must be named.
    let dry = json(&["request-withdraw-stake", &node, "--dry-run"]);
    assert_eq!(dry[0]["stakedWal"], staked_wal.as_str(), "{dry}");
    assert_eq!(dry[0]["dryRun"], true);
    let second = json(&["stake", "--node-ids", &node, "--amounts", "1000000000"]);
    let second = second[0]["stakedWal"].as_str().unwrap().to_owned();
    let (ok, _, stderr) = cli(&net, &["request-withdraw-stake", &node, "--dry-run"]);
    assert!(
        !ok && stderr.contains("2 staked positions") && stderr.contains(&second),
        "{stderr}"
    );
    let named = json(&["request-withdraw-stake", &node, &second, "--dry-run"]);
    assert_eq!(named[0]["stakedWal"], second.as_str(), "{named}");
    let other = info["committee"][1]["nodeId"].as_str().unwrap();
    let (ok, _, stderr) = cli(
        &net,
        &["request-withdraw-stake", other, &second, "--dry-run"],
    );
    assert!(
        !ok && stderr.contains("is not a staked position of yours"),
        "{stderr}"
    );
    assert_eq!(
        json(&["list-staked-wal", "--staked-only"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        json(&["list-staked-wal", "--withdrawing-only"]),
        serde_json::json!([])
    );
    let (ok, _, _) = cli(&net, &["withdraw-stake"]);
    assert!(!ok, "withdraw-stake needs the StakedWal ids");
    net.shutdown().await;
}

/// A headless Chromium, if installed (`apt-get install -y chromium`; `scripts/test.sh` installs
/// it in CI).
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// A page served from one origin stores a blob through the daemon on another origin (a `PUT`
/// with `Content-Type: application/octet-stream`, so the browser sends a CORS preflight first)
/// and reads it back: the browser allows both only because the daemon answers CORS as the
/// reference does. Skipped, saying so, without Chromium.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_page_on_another_origin_stores_and_reads_through_the_daemon() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no chromium installed (apt-get install -y chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let net = devnet(dir.path(), 3600).await;
    let client = client(&net).await;
    let daemon = serve_daemon(&client, Mode::Daemon).await;
    let page = format!(
        r#"<!doctype html><html><body><pre id="out">pending</pre><script>
(async () => {{
  const out = document.getElementById('out');
  try {{
    const put = await fetch('{daemon}/v1/blobs?epochs=1', {{
      method: 'PUT',
      headers: {{ 'Content-Type': 'application/octet-stream' }},
      body: 'hello from another origin',
    }});
    const stored = await put.json();
    const id = stored.newlyCreated.blobObject.blobId;
    const text = await (await fetch('{daemon}/v1/blobs/' + id)).text();
    out.textContent = 'stored ' + id + ' read ' + text;
  }} catch (e) {{
    out.textContent = 'failed: ' + e;
  }}
  document.body.setAttribute('data-loaded', 'true');
}})();
</script></body></html>"#
    );
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let page = page.clone();
            async move { axum::response::Html(page) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    assert_ne!(origin, daemon, "two origins");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let run = tokio::task::spawn_blocking(move || {
        Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--virtual-time-budget=60000",
                "--dump-dom",
                &format!("{origin}/"),
            ])
            .output()
            .unwrap()
    });
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .unwrap()
        .unwrap();
    let html = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        html.contains("data-loaded=\"true\""),
        "the page did not finish:\n{}\n{html}",
        String::from_utf8_lossy(&output.stderr)
    );
    let start = html.find("<pre id=\"out\">").unwrap() + "<pre id=\"out\">".len();
    let text = &html[start..start + html[start..].find("</pre>").unwrap()];
    let (id, read) = text
        .strip_prefix("stored ")
        .and_then(|t| t.split_once(" read "))
        .unwrap_or_else(|| panic!("the page says {text:?}"));
    assert_eq!(read, "hello from another origin");
    let blob_id: BlobId = id.parse().unwrap();
    let bytes = client
        .read(&blob_id, ConsistencyCheck::Strict)
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), b"hello from another origin");
    net.shutdown().await;
}
