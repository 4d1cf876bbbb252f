//! Serves the storage-node error table to another process: starts a devnet with one storage
//! node and the blobs of the cases (`tests/support/error_cases.rs`), prints one JSON line
//! `{"nodeUrl", "cases": [...]}` on stdout, and runs until stdin closes.
//!
//! Used by `scripts/tests/sdk_node_errors.test.mjs`, which sends each case with the official
//! TypeScript SDK's storage-node client. Run: `cargo run -p walrus-node --example
//! node_error_cases`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test fixture code (tests/support)

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::Read as _;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let fixture = support::error_cases::fixture(41).await;
    let before = fixture.snapshot().await;
    println!("{}", fixture.cases_json());
    // Wait for the caller to close stdin, then check that its requests changed nothing.
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await
    .unwrap();
    let after = fixture.snapshot().await;
    if after != before {
        eprintln!(
            "the requests changed what the node stores:\nbefore {before:#?}\nafter {after:#?}"
        );
        std::process::exit(1);
    }
    eprintln!("node_error_cases: nothing stored changed");
    fixture.node.shutdown().await;
}
