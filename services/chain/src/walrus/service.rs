//! The devnet ledger as a service: opens (or creates) a ledger directory with the Walrus machine,
//! serves the HTTP API, and drives epochs. `walrus chain serve` and `walrus devnet` run this.
//!
//! The data directory holds `journal/`, `snapshots/`, `genesis.json` (the genesis the ledger was
//! created with: reopening with another one is refused, since replaying the journal under a
//! different genesis would diverge) and `driver.key` (the epoch driver's account key, mode 0600).
//!
//! The API has no authentication and the faucet is open: it listens on loopback unless told
//! otherwise. It is a development network, not a blockchain: one process, no consensus.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sui_crypto::ed25519::Ed25519PrivateKey;

use super::chain::WalrusChain;
use super::{GenesisConfig, WalrusMachine};
use crate::devnet::ledger::{Clock, Ledger, LedgerError, LedgerOptions, SystemClock};
use crate::devnet::server;

/// How to run the service.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The ledger's data directory.
    pub dir: PathBuf,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Genesis for a new ledger (default: [`GenesisConfig::default`]); for an existing one it
    /// must equal the recorded genesis.
    pub genesis: Option<GenesisConfig>,
    /// Whether to advance epochs automatically.
    pub epoch_driver: bool,
    /// Allow listening on a non-loopback address (the API is unauthenticated).
    pub allow_non_loopback: bool,
    /// Ledger options (snapshots, journal).
    pub ledger: LedgerOptions,
}

/// Errors starting or running the service.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// File system problem in the data directory.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Error.
        source: std::io::Error,
    },
    /// The genesis file does not parse.
    #[error("{path}: not a valid genesis configuration: {reason}")]
    BadGenesis {
        /// Path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The given genesis differs from the one the ledger was created with.
    #[error(
        "the ledger in {0} was created with a different genesis configuration; use a new \
         directory or omit --genesis"
    )]
    GenesisMismatch(PathBuf),
    /// Refused to listen on a non-loopback address.
    #[error(
        "refusing to listen on {0}: the devnet API is unauthenticated and its faucet is open; \
         pass --allow-non-loopback to do it anyway"
    )]
    NotLoopback(SocketAddr),
    /// The ledger could not be opened.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

fn io(path: &Path, source: std::io::Error) -> ServeError {
    ServeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a genesis configuration from a `.json` or `.toml` file.
pub fn read_genesis(path: &Path) -> Result<GenesisConfig, ServeError> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
    let parsed = if path.extension().is_some_and(|e| e == "toml") {
        toml::from_str(&text).map_err(|e| e.to_string())
    } else {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    };
    parsed.map_err(|reason| ServeError::BadGenesis {
        path: path.to_path_buf(),
        reason,
    })
}

/// The genesis recorded in `dir`, writing `given` (or the default) there when the directory is
/// new. Refuses a `given` genesis that differs from the recorded one.
pub fn pin_genesis(dir: &Path, given: Option<&GenesisConfig>) -> Result<GenesisConfig, ServeError> {
    let path = dir.join("genesis.json");
    if path.exists() {
        let recorded = read_genesis(&path)?;
        if let Some(given) = given
            && given != &recorded
        {
            return Err(ServeError::GenesisMismatch(dir.to_path_buf()));
        }
        return Ok(recorded);
    }
    let genesis = given.cloned().unwrap_or_default();
    let text = serde_json::to_string_pretty(&genesis).map_err(|e| ServeError::BadGenesis {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    std::fs::write(&path, text).map_err(|e| io(&path, e))?;
    Ok(genesis)
}

/// The driver's account key, created (mode 0600) on first use.
fn driver_key(dir: &Path) -> Result<Ed25519PrivateKey, ServeError> {
    let path = dir.join("driver.key");
    if let Ok(text) = std::fs::read_to_string(&path)
        && let Ok(bytes) = hex::decode(text.trim())
        && let Ok(seed) = <[u8; 32]>::try_from(bytes.as_slice())
    {
        return Ok(Ed25519PrivateKey::new(seed));
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| io(&path, std::io::Error::other(e.to_string())))?;
    write_secret(&path, hex::encode(seed).as_bytes())?;
    Ok(Ed25519PrivateKey::new(seed))
}

fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), ServeError> {
    use std::io::Write as _;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.create(true).write(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).map_err(|e| io(path, e))?;
    file.write_all(bytes).map_err(|e| io(path, e))
}

/// Runs the service until `shutdown` resolves. `on_ready` gets the bound address once the API
/// accepts connections.
pub async fn serve(
    config: ServeConfig,
    on_ready: impl FnOnce(SocketAddr) + Send,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    if !config.listen.ip().is_loopback() && !config.allow_non_loopback {
        return Err(ServeError::NotLoopback(config.listen));
    }
    std::fs::create_dir_all(&config.dir).map_err(|e| io(&config.dir, e))?;
    let genesis = pin_genesis(&config.dir, config.genesis.as_ref())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let dir = config.dir.clone();
    let options = config.ledger.clone();
    let ledger_clock = clock.clone();
    let ledger = tokio::task::spawn_blocking(move || {
        Ledger::open(&dir, WalrusMachine::new(genesis), ledger_clock, options)
    })
    .await
    .map_err(|e| io(&config.dir, std::io::Error::other(e.to_string())))??;
    let ledger = Arc::new(ledger);
    let recovery = ledger.recovery();
    tracing::info!(
        dir = %config.dir.display(),
        transactions = ledger.head(),
        dropped_torn_bytes = recovery.truncated_bytes,
        "devnet ledger open"
    );

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| io(&config.dir, e))?;
    let bound = listener.local_addr().map_err(|e| io(&config.dir, e))?;

    let driver = if config.epoch_driver {
        let chain = WalrusChain::with_key(ledger.clone(), driver_key(&config.dir)?);
        let clock = clock.clone();
        Some(tokio::spawn(super::driver::run(
            chain,
            move || clock.now_ms(),
            Duration::from_millis(500),
        )))
    } else {
        None
    };

    on_ready(bound);
    let app = server::router(ledger.clone());
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    if let Some(driver) = driver {
        driver.abort();
    }
    result.map_err(|e| io(&config.dir, e))?;
    tracing::info!(transactions = ledger.head(), "devnet ledger stopped");
    Ok(())
}
