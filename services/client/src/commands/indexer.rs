//! `walrus indexer`: index the control plane's transaction stream into PostgreSQL
//! (`walrus-indexer`; tables in `migrations/`).

use anyhow::Context as _;
use clap::Args;
use walrus_indexer::{IndexerConfig, LockMode};

/// `walrus indexer` options.
#[derive(Debug, Args)]
pub(crate) struct IndexerArgs {
    /// PostgreSQL URL (default: the DATABASE_URL environment variable).
    #[arg(long)]
    database_url: Option<String>,
    /// The devnet ledger's HTTP API (`walrus chain serve`).
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    chain_url: String,
    /// Address for Prometheus `/metrics` and `/health` ("none" to disable).
    #[arg(long, default_value = "127.0.0.1:9184")]
    metrics_address: String,
    /// Pipeline name: the watermark row and the writer-lock key.
    #[arg(long, default_value = "walrus")]
    pipeline: String,
    /// Exit instead of waiting when another indexer holds this database's writer lock.
    #[arg(long)]
    exit_if_locked: bool,
    /// Largest batch, in transactions.
    #[arg(long, default_value_t = 20_000)]
    max_batch: usize,
}

pub(crate) fn run(args: &IndexerArgs) -> anyhow::Result<()> {
    crate::logging::init();
    let database_url = match &args.database_url {
        Some(url) => url.clone(),
        None => std::env::var("DATABASE_URL")
            .context("no --database-url and no DATABASE_URL in the environment")?,
    };
    let metrics_address = super::optional_address("--metrics-address", &args.metrics_address)?;
    let config = IndexerConfig {
        pipeline: args.pipeline.clone(),
        metrics_address,
        max_batch_transactions: args.max_batch,
        lock: if args.exit_if_locked {
            LockMode::Exit
        } else {
            LockMode::Wait
        },
        ..IndexerConfig::new(database_url)
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let shutdown = crate::signals::interrupted()?;
        walrus_indexer::run(config, &args.chain_url, shutdown)
            .await
            .context("indexer")
    })
}
