//! `walrus sui-devnet`: a local Sui network (issue #18's first step; see
//! `walrus_sui_devnet::network` for the directory) until Ctrl-C: the Sui gRPC API and gRPC-web,
//! the faucet on Sui's route, and a Sui CLI wallet holding SUI.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde_json::json;

use super::Context;

/// `walrus sui-devnet` options.
#[derive(Debug, Args)]
pub(crate) struct SuiDevnetArgs {
    /// Keep the network in this directory (reopened as it was on the next start). Without it,
    /// a temporary directory is used and removed on exit.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Where the Sui gRPC API (and gRPC-web) listens (Sui's local port by default).
    #[arg(long, default_value = "127.0.0.1:9000")]
    grpc_address: SocketAddr,
    /// Where the faucet listens (Sui's local faucet port by default).
    #[arg(long, default_value = "127.0.0.1:9123")]
    faucet_address: SocketAddr,
}

pub(crate) fn run(ctx: &Context, args: &SuiDevnetArgs) -> anyhow::Result<()> {
    crate::logging::init();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let shutdown = crate::signals::interrupted()?;
        let (dir, _temp) = match &args.dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("walrus-sui-devnet-")
                    .tempdir()
                    .context("creating a temporary directory")?;
                (temp.path().to_owned(), Some(temp))
            }
        };
        let bind = |address: SocketAddr, flag: &'static str| async move {
            tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("binding {address} (choose another with {flag})"))
        };
        let grpc = bind(args.grpc_address, "--grpc-address").await?;
        let faucet = bind(args.faucet_address, "--faucet-address").await?;
        let grpc_url = format!("http://{}", grpc.local_addr()?);
        let faucet_url = format!("http://{}", faucet.local_addr()?);
        let network = walrus_sui_devnet::network::open(&dir, &grpc_url)?;
        let router = walrus_sui_devnet::faucet::router(network.api.clone(), network.faucet_key);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(faucet, router).await {
                tracing::error!(error = %e, "the faucet stopped");
            }
        });
        if ctx.json {
            println!(
                "{}",
                json!({
                    "grpcUrl": grpc_url,
                    "faucetUrl": faucet_url,
                    "activeAddress": network.wallet_address.to_string(),
                    "clientConfig": network.client_config,
                    "dir": dir,
                })
            );
        } else {
            println!("Sui gRPC API (and gRPC-web): {grpc_url}");
            println!("Faucet (POST /v2/gas):        {faucet_url}");
            println!(
                "Wallet: {} (Sui CLI configuration {})",
                network.wallet_address,
                network.client_config.display()
            );
            println!("Ctrl-C stops it.");
        }
        walrus_sui_devnet::serve(network.api, grpc, shutdown)
            .await
            .context("serving the Sui gRPC API")
    })
}
