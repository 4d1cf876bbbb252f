//! The `walrus` command-line interface.
//!
//! `main` only parses arguments and reports errors; each subcommand lives in its own module
//! under `commands`. Errors are printed as one line on stderr and exit with status 1.

mod commands;
mod logging;
mod signals;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use commands::Context;
use walrus_client::daemon::Mode;

/// mimalloc instead of glibc's malloc: measured on the GraphQL blob-by-id load at a fixed
/// 3,000 requests/s, p99 3.8 ms in 3 of 3 runs against 4.0, 4.2 and 27 ms (graphql/README.md,
/// session 6), where malloc and free had been about 10 % of the machine's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Store, read and inspect blobs on Walrus.
#[derive(Debug, Parser)]
#[command(name = "walrus", version, about)]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,

    /// The client configuration (default: $WALRUS_CONFIG, ./client.toml,
    /// ~/.config/walrus/client.toml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Commands,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Commands {
    /// Start a whole local network (control plane, storage nodes, publisher/aggregator) until
    /// Ctrl-C.
    Devnet(commands::devnet::DevnetArgs),
    /// Start a local Sui network (the Sui gRPC API, a faucet, a funded Sui CLI wallet) until
    /// Ctrl-C: the first step of the devnet on Sui; it holds SUI coins only so far.
    SuiDevnet(commands::sui_devnet::SuiDevnetArgs),
    /// Store files as blobs.
    #[command(alias = "write")]
    Store(commands::blobs::StoreArgs),
    /// Read a blob.
    Read(commands::blobs::ReadArgs),
    /// The status of a blob ID as the storage nodes report it.
    BlobStatus(commands::blobs::BlobStatusArgs),
    /// Compute the blob ID of a file (RS2 encoding) without storing it.
    BlobId(commands::blob_id::BlobIdArgs),
    /// The blob ID of a decimal `u256`, as Move and events give blob IDs.
    ConvertBlobId(commands::blob_id::ConvertArgs),
    /// The Blob objects your wallet owns.
    ListBlobs(commands::blobs::ListBlobsArgs),
    /// Delete deletable blobs (their storage returns to you).
    Delete(commands::blobs::DeleteArgs),
    /// Burn Blob objects (`--object-ids`, `--all`, `--all-expired`): the objects and their
    /// storage are destroyed, nothing is refunded.
    BurnBlobs(commands::blobs::BurnArgs),
    /// Extend a blob's storage.
    Extend(commands::blobs::ExtendArgs),
    /// Wrap a blob in a shared object.
    Share(commands::blobs::ShareArgs),
    /// Add WAL to a SharedBlob's funds, from which anyone can extend it.
    FundSharedBlob(commands::blobs::FundSharedArgs),
    /// Print a blob object's attributes.
    GetBlobAttribute(commands::blobs::GetAttributeArgs),
    /// Set attributes on a blob object.
    SetBlobAttribute(commands::blobs::SetAttributeArgs),
    /// Remove attribute keys from a blob object.
    RemoveBlobAttributeFields(commands::blobs::RemoveAttributeArgs),
    /// The system: epoch, committee, prices, capacity, largest blob, BFT thresholds (one
    /// section with `info epoch | storage | size | price | bft | committee`).
    Info(commands::info::InfoArgs),
    /// Ask the storage nodes how they are.
    Health(commands::info::HealthArgs),
    /// Stake WAL with storage nodes.
    Stake(commands::staking::StakeArgs),
    /// Start withdrawing staked WAL.
    RequestWithdrawStake(commands::staking::RequestWithdrawArgs),
    /// Withdraw staked WAL whose withdrawal epoch has come.
    WithdrawStake(commands::staking::WithdrawArgs),
    /// Your StakedWal objects and their state.
    ListStakedWal(commands::staking::ListStakedArgs),
    /// WAL from the devnet faucet.
    GetWal(commands::staking::GetWalArgs),
    /// Run the aggregator (reads over HTTP).
    Aggregator(commands::daemon::DaemonArgs),
    /// Run the publisher (stores over HTTP, paid by your wallet).
    Publisher(commands::daemon::DaemonArgs),
    /// Run publisher and aggregator together.
    Daemon(commands::daemon::DaemonArgs),
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
    /// Run one command given as JSON (from the argument, or from stdin when absent), answered as
    /// JSON: `{"config": "client.toml", "command": {"store": {"files": ["a.txt"], "epochs":
    /// "2"}}}`. Commands and options are the CLI's in camelCase; a flag is `true`, a list an
    /// array, and a command with subcommands nests them the same way.
    Json {
        /// The command as JSON.
        command_string: Option<String>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell; default: from
    /// `$SHELL`). For bash: `source <(walrus completion --shell bash)`.
    Completion {
        /// The shell.
        #[arg(long)]
        shell: Option<clap_complete::Shell>,
    },
}

/// Runs an async client command on a fresh runtime.
fn block_on<F: Future<Output = anyhow::Result<()>>>(f: F) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()
        .context("starting the async runtime")?
        .block_on(f)
}

/// Writes the completion script of `shell` (or the one `$SHELL` names) to stdout.
fn completion(shell: Option<clap_complete::Shell>) -> anyhow::Result<()> {
    use clap::CommandFactory as _;
    let shell = shell
        .or_else(clap_complete::Shell::from_env)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "cannot tell the shell from $SHELL: pass --shell bash|zsh|fish|elvish|powershell"
            )
        })?;
    clap_complete::generate(shell, &mut Cli::command(), "walrus", &mut std::io::stdout());
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Commands::Json { command_string } => commands::json::to_cli(command_string.as_deref())
            .and_then(|argv| {
                let inner = Cli::try_parse_from(argv).map_err(|e| {
                    anyhow::anyhow!("{}", e.to_string().lines().next().unwrap_or_default())
                })?;
                if matches!(inner.command, Commands::Json { .. }) {
                    anyhow::bail!("`json` cannot run another `json` command");
                }
                run(inner)
            }),
        _ => run(cli),
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

fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = Context {
        config: cli.config.clone(),
        json: cli.json,
    };
    use commands::{blobs, daemon, info, staking};
    match &cli.command {
        Commands::Devnet(args) => commands::devnet::run(&ctx, args),
        Commands::SuiDevnet(args) => commands::sui_devnet::run(&ctx, args),
        Commands::Store(args) => block_on(blobs::store(&ctx, args)),
        Commands::Read(args) => block_on(blobs::read(&ctx, args)),
        Commands::BlobStatus(args) => block_on(blobs::blob_status(&ctx, args)),
        Commands::BlobId(args) => commands::blob_id::run(args, cli.json),
        Commands::ConvertBlobId(args) => commands::blob_id::convert(args, cli.json),
        Commands::ListBlobs(args) => block_on(blobs::list_blobs(&ctx, args)),
        Commands::Delete(args) => block_on(blobs::delete(&ctx, args)),
        Commands::BurnBlobs(args) => block_on(blobs::burn(&ctx, args)),
        Commands::Extend(args) => block_on(blobs::extend(&ctx, args)),
        Commands::Share(args) => block_on(blobs::share(&ctx, args)),
        Commands::FundSharedBlob(args) => block_on(blobs::fund_shared(&ctx, args)),
        Commands::GetBlobAttribute(args) => block_on(blobs::get_attribute(&ctx, args)),
        Commands::SetBlobAttribute(args) => block_on(blobs::set_attribute(&ctx, args)),
        Commands::RemoveBlobAttributeFields(args) => block_on(blobs::remove_attribute(&ctx, args)),
        Commands::Info(args) => block_on(info::info(&ctx, args)),
        Commands::Health(args) => block_on(info::health(&ctx, args)),
        Commands::Stake(args) => block_on(staking::stake(&ctx, args)),
        Commands::RequestWithdrawStake(args) => block_on(staking::request_withdraw(&ctx, args)),
        Commands::WithdrawStake(args) => block_on(staking::withdraw(&ctx, args)),
        Commands::ListStakedWal(args) => block_on(staking::list_staked(&ctx, args)),
        Commands::GetWal(args) => block_on(staking::get_wal(&ctx, args)),
        Commands::Aggregator(args) => daemon::run(&ctx, Mode::Aggregator, args),
        Commands::Publisher(args) => daemon::run(&ctx, Mode::Publisher, args),
        Commands::Daemon(args) => daemon::run(&ctx, Mode::Daemon, args),
        Commands::Chain(command) => commands::chain::run(command, cli.json),
        Commands::Graphql(args) => commands::graphql::run(args),
        Commands::Indexer(args) => commands::indexer::run(args),
        Commands::Node(command) => commands::node::run(command, cli.json),
        Commands::Completion { shell } => completion(*shell),
        Commands::Json { .. } => anyhow::bail!("`json` cannot run another `json` command"),
    }
}
