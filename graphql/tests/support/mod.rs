//! Shared test support: a devnet scenario indexed into the test's database by the real
//! indexer, and a GraphQL client over the router (in process, through `tower::ServiceExt`).
#![allow(clippy::unwrap_used, dead_code)] // test code: a failed unwrap is a failed test

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use sqlx::ConnectOptions;
use sqlx::postgres::PgConnectOptions;
use tower::ServiceExt as _;
use walrus_chain::testing::{StoredBlob, TestDevnet, TestDevnetConfig};
use walrus_chain::types::ObjectId;
use walrus_chain::walrus::FROST_PER_WAL;
use walrus_graphql::{AppState, Limits};
use walrus_indexer::{Indexer, IndexerConfig};

/// The URL of a test database.
pub fn url(options: &PgConnectOptions) -> String {
    options.to_url_lossy().to_string()
}

/// Runs the indexer over the devnet's ledger until it has committed the ledger's head.
pub async fn index(d: &TestDevnet, url: &str) -> u64 {
    let head = d.ledger().head();
    let config = IndexerConfig {
        fetch_page: 200,
        fetch_wait: Duration::from_millis(50),
        max_connections: 2,
        stop_at: Some(head),
        ..IndexerConfig::new(url)
    };
    let watermark = tokio::time::timeout(
        Duration::from_secs(120),
        Indexer::new(d.ledger().clone(), config).run(),
    )
    .await
    .expect("the indexer did not reach the head in time")
    .unwrap();
    assert_eq!(watermark, head);
    head
}

/// The devnet of the tests: 4 nodes, 10 shards, 1-hour epochs, 3 accounts.
pub fn devnet() -> TestDevnet {
    TestDevnet::new(TestDevnetConfig::default()).unwrap()
}

/// What [`scenario`] made.
#[derive(Debug)]
pub struct Scenario {
    /// Account 0: permanent, certified, with attribute content-type=text/plain, extended by 2.
    pub permanent: StoredBlob,
    /// Account 1: the same blob id, deletable, certified for 2 epochs (expired at the end).
    pub same_id: StoredBlob,
    /// Account 0: deletable, certified, deleted.
    pub deleted: StoredBlob,
    /// Account 1: registered only.
    pub registered: StoredBlob,
    /// Account 1: certified for 1 epoch (expired at the end).
    pub expiring: StoredBlob,
    /// Account 2: registered, then its blob id invalidated.
    pub invalid: StoredBlob,
    /// Account 2: stored in epoch 2, deletable.
    pub late: StoredBlob,
    /// Account 0: six more permanent blobs (sizes 100..600), for paging.
    pub more: Vec<StoredBlob>,
    /// Account 0's stake of 5 WAL with node 0.
    pub stake: ObjectId,
    /// Account 1's stake of 2 WAL with node 2, withdrawal requested in epoch 2.
    pub withdrawing: ObjectId,
    /// The epoch at the end.
    pub final_epoch: u32,
}

/// Every blob state, attributes, stakes, two epoch changes.
pub fn scenario(d: &TestDevnet) -> Scenario {
    let permanent = d.store_blob(0, 1_000, 1, 4, false).unwrap();
    d.set_attribute(0, permanent.object_id, "content-type", "text/plain")
        .unwrap();
    d.extend_blob(0, permanent.object_id, 2).unwrap();
    let same_id = d.store_blob(1, 1_000, 1, 2, true).unwrap();
    assert_eq!(same_id.blob_id, permanent.blob_id);
    let deleted = d.store_blob(0, 2_000, 2, 3, true).unwrap();
    d.delete_blob(0, deleted.object_id).unwrap();
    let registered = d.register_blob(1, 3_000, 3, 5, true).unwrap();
    let expiring = d.store_blob(1, 500, 4, 1, false).unwrap();
    let invalid = d.register_blob(2, 800, 7, 3, false).unwrap();
    d.invalidate_blob_id(2, invalid.blob_id).unwrap();
    let more = (1..=6u64)
        .map(|k| d.store_blob(0, 100 * k, 100 + k, 5, false).unwrap())
        .collect();
    let stake = d.stake(0, 0, 5 * FROST_PER_WAL).unwrap();
    let withdrawing = d.stake(1, 2, 2 * FROST_PER_WAL).unwrap();
    assert_eq!(d.advance_epoch().unwrap(), 2);
    d.request_withdraw(1, withdrawing).unwrap();
    let late = d.store_blob(2, 1_200, 9, 2, true).unwrap();
    assert_eq!(d.advance_epoch().unwrap(), 3);
    Scenario {
        permanent,
        same_id,
        deleted,
        registered,
        expiring,
        invalid,
        late,
        more,
        stake,
        withdrawing,
        final_epoch: 3,
    }
}

/// `0x` + hex of an object id.
pub fn oid(o: &ObjectId) -> String {
    format!("0x{}", hex::encode(o.into_inner()))
}

/// `0x` + hex of account `i`'s address.
pub fn addr(d: &TestDevnet, i: usize) -> String {
    format!("0x{}", hex::encode(d.address(i).into_inner()))
}

/// A GraphQL client over a router.
#[derive(Clone)]
pub struct Client {
    /// The router.
    pub router: axum::Router,
}

impl Client {
    /// A client of a server over `url` with `limits`.
    pub async fn new(url: &str, limits: Limits) -> Self {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        Self {
            router: walrus_graphql::router(AppState::new(pool, "walrus", limits)),
        }
    }

    /// POSTs `body` (raw) to `/graphql`; the status and the JSON response.
    pub async fn post_raw(&self, body: Vec<u8>, usage: bool) -> (StatusCode, Value) {
        let mut request = Request::post("/graphql")
            .header("content-type", "application/json")
            .header("content-length", body.len());
        if usage {
            request = request.header(walrus_graphql::server::SHOW_USAGE_HEADER, "true");
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    /// Runs `query` with `variables`; the whole response.
    pub async fn run(&self, query: &str, variables: Value) -> Value {
        let body = serde_json::to_vec(&json!({"query": query, "variables": variables})).unwrap();
        self.post_raw(body, false).await.1
    }

    /// Runs `query`; its `data`, failing on errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let response = self.run(query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "{query}\n-> {}",
            serde_json::to_string_pretty(&response).unwrap()
        );
        response["data"].clone()
    }

    /// Runs `query`; its error messages (failing if there are none).
    pub async fn errors(&self, query: &str, variables: Value) -> Vec<String> {
        let response = self.run(query, variables).await;
        let errors: Vec<String> = response["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("expected errors for {query}, got {response}"))
            .iter()
            .map(|e| e["message"].as_str().unwrap().to_owned())
            .collect();
        errors
    }
}
