//! `walrus node keygen | run | register`: operating a storage node (see `walrus-node`).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use walrus_node::NodeConfig;
use walrus_node::operator::{self, Registration};

/// `walrus node ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum NodeCommand {
    /// Generate the BLS protocol key, the network key and the operator account key
    /// (`bls.key`, `network.key`, `wallet.key`, hex) in a directory; never overwrites.
    Keygen(KeygenArgs),
    /// Run the storage node described by a configuration file until Ctrl-C.
    Run(RunArgs),
    /// Register the node as a committee candidate (`register_candidate` with a proof of
    /// possession signed by its BLS key), paid by its operator account.
    Register(RegisterArgs),
}

/// `walrus node keygen` options.
#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Where to write the key files.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
}

/// `walrus node run` options.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The node configuration (TOML).
    #[arg(long, default_value = "node.toml")]
    config: PathBuf,
}

/// `walrus node register` options.
#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    /// The node configuration (TOML): chain URL and key files.
    #[arg(long, default_value = "node.toml")]
    config: PathBuf,
    /// Node name.
    #[arg(long)]
    name: String,
    /// `host:port` of the node's API as clients reach it (default: the configured listen address).
    #[arg(long)]
    network_address: Option<String>,
    /// Commission in basis points.
    #[arg(long, default_value_t = 1_000)]
    commission_rate: u16,
    /// Storage price vote (FROST per MiB per epoch).
    #[arg(long, default_value_t = 1_000)]
    storage_price: u64,
    /// Write price vote (FROST per MiB).
    #[arg(long, default_value_t = 2_000)]
    write_price: u64,
    /// Capacity vote in bytes.
    #[arg(long, default_value_t = 1 << 40)]
    node_capacity: u64,
}

pub(crate) fn run(command: &NodeCommand, json: bool) -> anyhow::Result<()> {
    match command {
        NodeCommand::Keygen(args) => {
            let keys = operator::keygen(&args.dir)?;
            if json {
                println!("{}", serde_json::to_string(&keys)?);
            } else {
                println!("BLS public key:     {}", keys.bls_public_key);
                println!("network public key: {}", keys.network_public_key);
                println!("operator address:   {}", keys.wallet_address);
            }
            Ok(())
        }
        NodeCommand::Run(args) => {
            crate::logging::init();
            let config = NodeConfig::load(&args.config)?;
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(async {
                let shutdown = crate::signals::interrupted()?;
                operator::run(&config, shutdown).await
            })
        }
        NodeCommand::Register(args) => {
            let config = NodeConfig::load(&args.config)?;
            let registration = Registration {
                name: args.name.clone(),
                network_address: args
                    .network_address
                    .clone()
                    .unwrap_or_else(|| config.listen_address.to_string()),
                commission_rate: args.commission_rate,
                storage_price: args.storage_price,
                write_price: args.write_price,
                node_capacity: args.node_capacity,
            };
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let digest = runtime.block_on(operator::register(&config, &registration))?;
            if json {
                println!("{}", serde_json::json!({ "digest": digest }));
            } else {
                println!("registered as a candidate in transaction {digest}");
            }
            Ok(())
        }
    }
}
