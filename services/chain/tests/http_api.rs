//! The devnet ledger over HTTP: submit, stream with long polls, objects, nonces, and errors.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::{Account, Call, Counter, CounterMachine, created_id};

use walrus_chain::devnet::client::{ClientError, DevnetClient};
use walrus_chain::devnet::ledger::{Ledger, LedgerOptions, ManualClock};
use walrus_chain::devnet::server;
use walrus_chain::types::{ExecutionStatus, Owner};

async fn serve() -> (DevnetClient, Arc<Ledger<CounterMachine>>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(
        Ledger::open(
            dir.path(),
            CounterMachine { bias: 0 },
            Arc::new(ManualClock::new(5_000)),
            LedgerOptions::default(),
        )
        .unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = server::router(ledger.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (DevnetClient::new(&format!("http://{addr}")), ledger, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_read_and_stream_over_http() {
    let (client, _ledger, _dir) = serve().await;
    let alice = Account::new(1);
    assert_eq!(client.nonce(alice.address()).await.unwrap(), 0);
    let record = client.submit(&alice.tx(0, Call::Create(7))).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::Success);
    let id = created_id(&record);

    let object = client.object::<Counter>(id).await.unwrap().unwrap();
    assert_eq!(object.value.value, 7);
    assert_eq!(object.owner, Owner::Address(alice.address()));
    assert_eq!(object.object_type, "0x1::counter::Counter");
    assert_eq!(
        client
            .owned_objects::<Counter>(alice.address())
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        client
            .object::<Counter>(sui_sdk_types::Address::new([9; 32]))
            .await
            .unwrap()
            .is_none()
    );

    // A long poll returns as soon as a new transaction lands.
    let head = client.head().await.unwrap();
    assert_eq!(head.cursor, 2);
    let waiter = {
        let client = client.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            let records = client
                .read_records(head.cursor, 10, Duration::from_secs(10))
                .await
                .unwrap();
            (records, start.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    client
        .submit(&alice.tx(1, Call::Add { id, delta: 1 }))
        .await
        .unwrap();
    let (records, waited) = waiter.await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].cursor, 3);
    assert!(
        waited < Duration::from_secs(5),
        "long poll did not wake up: {waited:?}"
    );

    // An empty poll with a short wait returns empty after the wait.
    let none = client
        .read_records(3, 10, Duration::from_millis(50))
        .await
        .unwrap();
    assert!(none.is_empty());

    // The whole history, from the start.
    let all = client.read_records(0, 1000, Duration::ZERO).await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.cursor).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let (client, ledger, _dir) = serve().await;
    let alice = Account::new(1);
    let tx = alice.tx(0, Call::Create(1));
    client.submit(&tx).await.unwrap();
    let head = ledger.head();

    let err = client.submit(&tx).await.unwrap_err();
    assert!(
        matches!(&err, ClientError::Api { status: 409, kind, .. } if kind == "replayed"),
        "{err}"
    );

    let mut forged = alice.tx(1, Call::Create(1));
    forged.signature[5] ^= 1;
    let err = client.submit(&forged).await.unwrap_err();
    assert!(
        matches!(&err, ClientError::Api { status: 400, kind, .. } if kind == "invalid_transaction"),
        "{err}"
    );

    let err = client
        .read_records(99, 10, Duration::ZERO)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ClientError::Api { status: 400, kind, .. } if kind == "cursor_from_future"),
        "{err}"
    );

    // Raw garbage and oversized bodies.
    let http = reqwest::Client::new();
    let url = format!("{}/v1/transactions", client.base_url());
    let r = http.post(&url).body(vec![0xFFu8; 10]).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("malformed_request"));
    // An announced oversized body is refused before any of it is read: send only the head, so
    // no unread bytes are left on the socket (which would make the close a reset).
    let response = raw_request(
        client.base_url(),
        &format!(
            "POST /v1/transactions HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            2 * 1024 * 1024
        ),
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("payload_too_large"), "{response}");
    let r = http
        .get(format!("{}/v1/objects/not-an-id", client.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    assert_eq!(ledger.head(), head);
    assert_eq!(ledger.next_nonce(alice.address()), 1);
}

/// Sends `head` on a fresh connection and returns everything the server answers until it closes.
async fn raw_request(base_url: &str, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base_url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out))
        .await
        .expect("the server answers without waiting for the body")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}
