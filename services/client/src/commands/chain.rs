//! `walrus chain serve`: run the devnet ledger (the control plane) on its own.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use walrus_chain::devnet::ledger::LedgerOptions;
use walrus_chain::walrus::service::{ServeConfig, read_genesis, serve};

/// `walrus chain ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ChainCommand {
    /// Run the devnet ledger: the Walrus control plane in one process (no consensus), serving
    /// its HTTP API and advancing epochs. Stops cleanly on Ctrl-C.
    Serve(ServeArgs),
}

/// `walrus chain serve` options.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Data directory: journal, snapshots, the genesis it was created with, the epoch driver's key.
    #[arg(long, default_value = "walrus-chain")]
    dir: PathBuf,
    /// Address of the HTTP API.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Genesis configuration (.json or .toml) for a new directory; must match an existing one.
    #[arg(long)]
    genesis: Option<PathBuf>,
    /// Do not call voting_end / initiate_epoch_change automatically.
    #[arg(long)]
    no_epoch_driver: bool,
    /// Allow a non-loopback --listen address (the API is unauthenticated, the faucet open).
    #[arg(long)]
    allow_non_loopback: bool,
}

pub(crate) fn run(command: &ChainCommand, json: bool) -> anyhow::Result<()> {
    match command {
        ChainCommand::Serve(args) => run_serve(args, json),
    }
}

fn run_serve(args: &ServeArgs, json: bool) -> anyhow::Result<()> {
    crate::logging::init();
    let genesis = args.genesis.as_deref().map(read_genesis).transpose()?;
    let config = ServeConfig {
        dir: args.dir.clone(),
        listen: args.listen,
        genesis,
        epoch_driver: !args.no_epoch_driver,
        allow_non_loopback: args.allow_non_loopback,
        ledger: LedgerOptions::default(),
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let dir = args.dir.clone();
    runtime.block_on(async move {
        let ready = move |addr: SocketAddr| {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"chainUrl": format!("http://{addr}"), "dir": dir})
                );
            } else {
                println!(
                    "devnet ledger listening on http://{addr} (data in {})",
                    dir.display()
                );
            }
        };
        // Install the handler before announcing readiness: `ctrl_c()` registers only when first
        // polled, and a SIGINT arriving before that would kill the process without a clean stop.
        let shutdown = crate::signals::interrupted()?;
        serve(config, ready, shutdown)
            .await
            .map_err(anyhow::Error::from)
    })?;
    Ok(())
}
