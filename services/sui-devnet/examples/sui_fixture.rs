//! A Sui ledger for the scripts' tests: gives each address on the command line 10 SUI in two
//! coins (7 and 3), serves the Sui gRPC API (and gRPC-web) and the faucet (`POST /v2/gas`, paid
//! from a fixed test key holding 1,000,000 SUI) on free loopback ports, prints `{"url": ...,
//! "faucetUrl": ...}` and runs until its standard input closes.
//!
//! ```sh
//! cargo run -p walrus-sui-devnet --example sui_fixture -- 0xADDRESS ...
//! ```

use std::io::Read as _;
use std::str::FromStr as _;

use sui_crypto::ed25519::Ed25519PrivateKey;
use sui_sdk_types::Address;
use walrus_sui_devnet::ledger::MIST_PER_SUI;
use walrus_sui_devnet::{Ledger, SuiApi};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A fixed key: this ledger is a throwaway test fixture.
    let faucet_key = Ed25519PrivateKey::new([0xfa; 32]);
    let mut allocations = vec![(
        faucet_key.public_key().derive_address(),
        1_000_000 * MIST_PER_SUI,
    )];
    for text in std::env::args().skip(1) {
        let owner = Address::from_str(&text).map_err(|e| format!("{text:?}: {e:?}"))?;
        allocations.push((owner, 7 * MIST_PER_SUI));
        allocations.push((owner, 3 * MIST_PER_SUI));
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let faucet_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!(
            "{}",
            serde_json::json!({
                "url": format!("http://{}", listener.local_addr()?),
                "faucetUrl": format!("http://{}", faucet_listener.local_addr()?),
            })
        );
        let api = SuiApi::new(Ledger::genesis(&allocations));
        let faucet = walrus_sui_devnet::faucet::router(api.clone(), faucet_key);
        tokio::spawn(async move { axum::serve(faucet_listener, faucet).await });
        let stdin_closed = async {
            // Blocks a worker thread until the test closes our stdin.
            let _ = tokio::task::spawn_blocking(|| {
                let mut sink = Vec::new();
                let _ = std::io::stdin().read_to_end(&mut sink);
            })
            .await;
        };
        walrus_sui_devnet::serve(api, listener, stdin_closed).await?;
        Ok(())
    })
}
