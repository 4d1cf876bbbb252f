//! `walrus graphql`: serve the read-only GraphQL API and the staking dashboard over the
//! indexer's PostgreSQL tables (`walrus-graphql`).

use std::net::SocketAddr;

use anyhow::Context as _;
use clap::Args;
use walrus_graphql::{Limits, ServerConfig};

/// `walrus graphql` options.
#[derive(Debug, Args)]
pub(crate) struct GraphqlArgs {
    /// PostgreSQL URL of the index (default: the DATABASE_URL environment variable).
    #[arg(long)]
    database_url: Option<String>,
    /// Address to listen on (GraphQL at /graphql, dashboard at /dashboard).
    #[arg(long, default_value = "127.0.0.1:9186")]
    listen: SocketAddr,
    /// The indexer pipeline whose watermark responses are served at.
    #[arg(long, default_value = "walrus")]
    pipeline: String,
    /// Database connections (default: two per core, at least 4).
    #[arg(long, default_value_t = walrus_graphql::default_max_connections())]
    max_connections: u32,
    /// Deepest nesting of selections.
    #[arg(long, default_value_t = Limits::default().max_query_depth)]
    max_query_depth: usize,
    /// Largest query complexity (page size times child cost).
    #[arg(long, default_value_t = Limits::default().max_query_complexity)]
    max_query_complexity: usize,
    /// Page size when a query gives neither `first` nor `last`.
    #[arg(long, default_value_t = Limits::default().default_page_size)]
    default_page_size: usize,
    /// Largest `first`/`last`.
    #[arg(long, default_value_t = Limits::default().max_page_size)]
    max_page_size: usize,
    /// Largest request body, bytes.
    #[arg(long, default_value_t = Limits::default().max_request_bytes)]
    max_request_bytes: usize,
    /// Longest a request may run, milliseconds.
    #[arg(long, default_value_t = 5_000)]
    request_timeout_ms: u64,
    /// Requests executed at once; more wait, in arrival order, for a slot.
    #[arg(long, default_value_t = Limits::default().max_concurrent_requests)]
    max_concurrent_requests: usize,
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
        limits: Limits {
            max_query_depth: args.max_query_depth,
            max_query_complexity: args.max_query_complexity,
            default_page_size: args.default_page_size,
            max_page_size: args.max_page_size,
            max_request_bytes: args.max_request_bytes,
            max_concurrent_requests: args.max_concurrent_requests,
            request_timeout: std::time::Duration::from_millis(args.request_timeout_ms),
        },
        ..ServerConfig::new(database_url)
    };
    anyhow::ensure!(
        args.default_page_size <= args.max_page_size,
        "--default-page-size {} is above --max-page-size {}",
        args.default_page_size,
        args.max_page_size
    );
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let shutdown = crate::signals::interrupted()?;
        walrus_graphql::serve(config, args.listen, shutdown)
            .await
            .context("graphql server")
    })
}
