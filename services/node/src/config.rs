//! The node's configuration file (TOML). Every field but `chain_url` has a default:
//!
//! ```toml
//! data_dir = "walrus-node"               # where slivers, metadata and event state live
//! listen_address = "127.0.0.1:9185"       # the REST API; must match the on-chain network address
//! bls_key_file = "bls.key"                # 32-byte BLS12-381 private key, hex (relative to the config file)
//! network_key_file = "network.key"        # 32-byte Ed25519 network key, hex
//! wallet_key_file = "wallet.key"          # 32-byte Ed25519 account key (operator), hex
//! chain_url = "http://127.0.0.1:9000"     # the devnet ledger service
//!
//! [limits]
//! max_body_bytes = 0                      # 0: derived from the shard count (largest sliver + framing)
//! max_concurrent_requests_per_client = 128
//! pending_buffer_bytes = 67108864         # uploads buffered before their registration (?pending=true)
//! pending_ttl_secs = 60                   # how long a buffered upload waits for its registration
//! event_page_size = 100
//! event_wait_millis = 1000
//! committee_refresh_millis = 2000
//! sync_shard_max_slivers = 64             # slivers per shard sync page: asked for, and the most answered
//! sync_shard_page_interval_millis = 0     # pause between two pages a new shard owner fetches
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Data directory (default `walrus-node`).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// REST API listen address (default `127.0.0.1:9185`).
    #[serde(default = "default_listen")]
    pub listen_address: SocketAddr,
    /// BLS protocol key file (default `bls.key`).
    #[serde(default = "default_bls_key")]
    pub bls_key_file: PathBuf,
    /// Network key file (default `network.key`).
    #[serde(default = "default_network_key")]
    pub network_key_file: PathBuf,
    /// Operator account key file (default `wallet.key`).
    #[serde(default = "default_wallet_key")]
    pub wallet_key_file: PathBuf,
    /// URL of the devnet ledger service.
    pub chain_url: String,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
}

/// Request and processing limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest accepted request body; 0 derives it from the shard count.
    pub max_body_bytes: usize,
    /// Requests one client (IP address) may have in flight; more get 429.
    pub max_concurrent_requests_per_client: usize,
    /// Bytes of uploads buffered before their blob's registration is seen (`?pending=true`).
    pub pending_buffer_bytes: usize,
    /// Seconds a buffered upload waits for its registration before it is dropped.
    pub pending_ttl_secs: u64,
    /// Transactions read from the chain per page.
    pub event_page_size: usize,
    /// Long-poll wait for new transactions, in milliseconds.
    pub event_wait_millis: u64,
    /// How often the committee is re-read, in milliseconds.
    pub committee_refresh_millis: u64,
    /// Slivers per `sync_shard` page: the page size this node asks its shards' previous owners
    /// for, and the most it answers (requests for more are refused).
    pub sync_shard_max_slivers: u64,
    /// Pause between two `sync_shard` pages this node fetches, in milliseconds (spares the
    /// previous owner; 0: none).
    pub sync_shard_page_interval_millis: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 0,
            max_concurrent_requests_per_client: 128,
            pending_buffer_bytes: 64 << 20,
            pending_ttl_secs: 60,
            event_page_size: 100,
            event_wait_millis: 1000,
            committee_refresh_millis: 2000,
            sync_shard_max_slivers: 64,
            sync_shard_page_interval_millis: 0,
        }
    }
}

fn default_data_dir() -> PathBuf {
    "walrus-node".into()
}
fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9185))
}
fn default_bls_key() -> PathBuf {
    "bls.key".into()
}
fn default_network_key() -> PathBuf {
    "network.key".into()
}
fn default_wallet_key() -> PathBuf {
    "wallet.key".into()
}

impl NodeConfig {
    /// A configuration with the defaults and `chain_url`.
    pub fn new(chain_url: impl Into<String>) -> Self {
        Self {
            data_dir: default_data_dir(),
            listen_address: default_listen(),
            bls_key_file: default_bls_key(),
            network_key_file: default_network_key(),
            wallet_key_file: default_wallet_key(),
            chain_url: chain_url.into(),
            limits: Limits::default(),
        }
    }

    /// Reads a TOML file; relative paths in it are resolved against the file's directory.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the node config {}", path.display()))?;
        let mut config: Self =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut config.data_dir,
            &mut config.bls_key_file,
            &mut config.network_key_file,
            &mut config.wallet_key_file,
        ] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(config)
    }
}

/// Reads a hex key file (surrounding whitespace ignored) into 32 bytes.
pub fn read_key_file(path: &Path) -> anyhow::Result<[u8; 32]> {
    use anyhow::Context as _;
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading key file {}", path.display()))?;
    let mut key = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut key)
        .with_context(|| format!("{} must hold 32 bytes in hex", path.display()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_and_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(
            &path,
            "chain_url = \"http://x\"\n[limits]\nevent_page_size = 7\n",
        )
        .unwrap();
        let config = NodeConfig::load(&path).unwrap();
        assert_eq!(config.chain_url, "http://x");
        assert_eq!(config.limits.event_page_size, 7);
        assert_eq!(config.limits.max_concurrent_requests_per_client, 128);
        assert_eq!(config.bls_key_file, dir.path().join("bls.key"));
        assert_eq!(config.listen_address, default_listen());
        std::fs::write(&path, "chain_url = \"x\"\nbogus = 1\n").unwrap();
        assert!(NodeConfig::load(&path).is_err());
    }
}
