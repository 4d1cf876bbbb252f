//! `walrus devnet`: a whole local network (ledger, storage nodes, publisher/aggregator) until
//! Ctrl-C. See `walrus_client::devnet` for the directory layout.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use serde_json::json;
use walrus_chain::walrus::FROST_PER_WAL;
use walrus_client::daemon::{self, DaemonLimits, Mode};
use walrus_client::devnet::{Devnet, DevnetOptions, fund_wallet, funded_wallet};
use walrus_client::{ClientConfig, WalrusClient, wallet};

use super::Context;

/// `walrus devnet` options.
#[derive(Debug, Args)]
pub(crate) struct DevnetArgs {
    /// Keep the network's state in this directory (reused on the next start), and its
    /// database (with --database-url). Without it, a temporary directory is used and removed
    /// on exit, and the devnet's database is dropped.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Storage nodes (each its own process) of a new devnet.
    #[arg(long, default_value_t = 7)]
    nodes: usize,
    /// Shards of a new devnet.
    #[arg(long, default_value_t = 100)]
    shards: u16,
    /// Epoch duration of a new devnet, in seconds.
    #[arg(long, default_value_t = 300)]
    epoch_duration_secs: u64,
    /// Port of the control plane (a free one is taken when it is busy).
    #[arg(long, default_value_t = 9000)]
    chain_port: u16,
    /// Where the publisher/aggregator listens.
    #[arg(long, default_value = "127.0.0.1:31415")]
    daemon_address: SocketAddr,
    /// A PostgreSQL server (URL of its maintenance database, e.g.
    /// postgres://postgres@127.0.0.1:5432/postgres): the devnet creates its own database there
    /// (walrus_devnet_<hex>) and runs the indexer into it. `scripts/devnet.sh` finds or starts
    /// one for you.
    #[arg(long)]
    database_url: Option<String>,
}

pub(crate) fn run(ctx: &Context, args: &DevnetArgs) -> anyhow::Result<()> {
    crate::logging::init();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(run_async(ctx, args))
}

async fn run_async(ctx: &Context, args: &DevnetArgs) -> anyhow::Result<()> {
    let shutdown = crate::signals::interrupted()?;
    let (dir, _temp) = match &args.dir {
        Some(dir) => (dir.clone(), None),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("walrus-devnet-")
                .tempdir()
                .context("creating a temporary directory")?;
            (temp.path().to_owned(), Some(temp))
        }
    };
    let binary = std::env::current_exe().context("locating the walrus binary")?;
    let options = DevnetOptions {
        nodes: args.nodes,
        shards: args.shards,
        epoch_duration: Duration::from_secs(args.epoch_duration_secs),
        chain_port: args.chain_port,
        database_url: args.database_url.clone(),
        // Without --dir the directory (which names the database) is removed on exit, so
        // nothing could reuse the database: drop it too.
        drop_database_on_shutdown: args.dir.is_none(),
        ..DevnetOptions::new(&dir, binary)
    };
    if !ctx.json {
        eprintln!("Starting a Walrus devnet in {} ...", dir.display());
    }
    let mut devnet = Devnet::start(&options).await?;
    // Whatever happens next, the devnet is stopped (and a temporary one's database dropped).
    let result = serve(ctx, args, &dir, &mut devnet, shutdown).await;
    if !ctx.json {
        eprintln!("Stopping the devnet ...");
    }
    devnet.shutdown().await;
    result
}

/// Runs the publisher/aggregator over a started devnet and reports until `shutdown`.
async fn serve(
    ctx: &Context,
    args: &DevnetArgs,
    dir: &std::path::Path,
    devnet: &mut Devnet,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let (key, balance) = funded_wallet(&devnet.client_config, 100 * FROST_PER_WAL).await?;

    // The publisher pays from its own wallet, so it never races the user's CLI for nonces.
    let mut publisher_config = ClientConfig::load(&devnet.client_config)?;
    publisher_config.wallet = dir.join("publisher.keystore");
    let (publisher_key, _) = fund_wallet(&publisher_config, 100 * FROST_PER_WAL).await?;
    let publisher = WalrusClient::new(&publisher_config, Some(publisher_key));
    let router = daemon::router(publisher, Mode::Daemon, DaemonLimits::default());
    let listener = tokio::net::TcpListener::bind(args.daemon_address)
        .await
        .or(tokio::net::TcpListener::bind("127.0.0.1:0").await)
        .context("binding the publisher/aggregator")?;
    let daemon_url = format!("http://{}", listener.local_addr()?);
    let (stop_daemon, daemon_stopped) = tokio::sync::oneshot::channel::<()>();
    let daemon_task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = daemon_stopped.await;
        })
        .await
    });

    let committee = WalrusClient::new(&ClientConfig::load(&devnet.client_config)?, None)
        .chain()
        .committee()
        .await?;
    let nodes: Vec<String> = (0..devnet.layout.nodes)
        .map(|i| devnet.node_address(i).to_string())
        .collect();
    if ctx.json {
        println!(
            "{}",
            json!({"dir": dir, "chainUrl": devnet.chain_url, "nodes": nodes,
                   "daemonUrl": daemon_url, "clientConfig": devnet.client_config,
                   "databaseUrl": devnet.database_url, "graphqlUrl": devnet.graphql_url,
                   "address": wallet::address(&key).to_string(), "balance": balance,
                   "epoch": committee.epoch})
        );
    } else {
        println!(
            "Walrus devnet is up: epoch {}, {} storage nodes, {} shards, epochs of {} s.",
            committee.epoch,
            devnet.layout.nodes,
            devnet.layout.shards,
            devnet.layout.epoch_duration_ms / 1000
        );
        println!("  control plane:        {}", devnet.chain_url);
        println!("  storage nodes:        {}", nodes.join(", "));
        println!("  publisher/aggregator: {daemon_url}");
        println!(
            "  client config:        {} (wallet {}, {} WAL)",
            devnet.client_config.display(),
            wallet::address(&key),
            balance / FROST_PER_WAL
        );
        match &devnet.database_url {
            Some(url) => println!("  indexer database:     {url}"),
            None => println!("  indexer, GraphQL:     not started (no --database-url)"),
        }
        if let Some(url) = &devnet.graphql_url {
            println!("  GraphQL:              {url}/graphql");
            println!("  staking dashboard:    {url}/dashboard");
        }
        println!("  logs:                 {}", dir.join("logs").display());
        println!();
        println!("Try it from another terminal:");
        println!("  export WALRUS_CONFIG={}", devnet.client_config.display());
        println!("  walrus store README.md --epochs 2        # prints the blob ID");
        println!("  walrus read <BLOB_ID> --out copy.md");
        println!("  curl -X PUT --data-binary @README.md '{daemon_url}/v1/blobs?epochs=2'");
        println!("  curl {daemon_url}/v1/blobs/<BLOB_ID>");
        println!(
            "Ctrl-C stops everything{}.",
            if args.dir.is_some() {
                "; the state stays in the directory"
            } else {
                if devnet.database_url.is_some() {
                    " and removes the temporary directory and its database"
                } else {
                    " and removes the temporary directory"
                }
            }
        );
    }

    tokio::pin!(shutdown);
    let mut reported: Vec<String> = Vec::new();
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(Duration::from_secs(2)) => {
                for gone in devnet.exited() {
                    if !reported.contains(&gone) {
                        eprintln!("warning: {gone} exited; see {}", dir.join("logs").display());
                        reported.push(gone);
                    }
                }
            }
        }
    }
    let _ = stop_daemon.send(());
    let _ = daemon_task.await;
    Ok(())
}
