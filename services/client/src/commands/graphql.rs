//! `walrus graphql`: serve the read-only GraphQL API and the staking dashboard over the
//! indexer's PostgreSQL tables (`walrus-graphql`).

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Args;
use walrus_graphql::ServerConfig;

/// `walrus graphql` options.
#[derive(Debug, Args)]
pub(crate) struct GraphqlArgs {
    /// PostgreSQL URL of the index (default: the DATABASE_URL environment variable).
    #[arg(long)]
    database_url: Option<String>,
    /// Address to listen on (GraphQL at /graphql, dashboard at /dashboard).
    #[arg(long, default_value = "127.0.0.1:9185")]
    listen: SocketAddr,
    /// The indexer pipeline whose watermark responses are served at.
    #[arg(long, default_value = "walrus")]
    pipeline: String,
    /// Database connections.
    #[arg(long, default_value_t = 16)]
    max_connections: u32,
}

pub(crate) fn run(args: &GraphqlArgs) -> anyhow::Result<()> {
    crate::logging::init();
    let database_url = match &args.database_url {
        Some(url) => url.clone(),
        None => std::env::var("DATABASE_URL")
            .context("no --database-url and no DATABASE_URL in the environment")?,
    };
    let config = ServerConfig {
        pipeline: args.pipeline.clone(),
        max_connections: args.max_connections,
        ..ServerConfig::new(database_url)
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        walrus_graphql::serve(config, args.listen, shutdown)
            .await
            .context("graphql server")
    })
}
