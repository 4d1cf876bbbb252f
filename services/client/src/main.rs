//! The `walrus` command-line interface.
//!
//! `main` only parses arguments and reports errors; each subcommand lives in its own module
//! under `commands`. Errors are printed as one line on stderr and exit with status 1.

mod commands;
mod logging;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Store, read and inspect blobs on Walrus.
#[derive(Debug, Parser)]
#[command(name = "walrus", version, about)]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Commands,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Commands {
    /// Compute the blob ID of a file (RS2 encoding) without storing it.
    BlobId(commands::blob_id::BlobIdArgs),
    /// The control plane (devnet ledger).
    #[command(subcommand)]
    Chain(commands::chain::ChainCommand),
    /// Serve the GraphQL API and the staking dashboard over the index (until Ctrl-C).
    Graphql(commands::graphql::GraphqlArgs),
    /// Index the control plane's transactions into PostgreSQL (until Ctrl-C).
    Indexer(commands::indexer::IndexerArgs),
    /// Operate a storage node: keys, registration, running it.
    #[command(subcommand)]
    Node(commands::node::NodeCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Commands::BlobId(args) => commands::blob_id::run(&args, cli.json),
        Commands::Chain(command) => commands::chain::run(&command, cli.json),
        Commands::Graphql(args) => commands::graphql::run(&args),
        Commands::Indexer(args) => commands::indexer::run(&args),
        Commands::Node(command) => commands::node::run(&command, cli.json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` joins the context chain on one line.
            eprintln!("Error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
