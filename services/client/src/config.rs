//! The client configuration file (`client.toml`) and where it is looked for.
//!
//! ```toml
//! chain_url = "http://127.0.0.1:9000"   # the control plane (devnet ledger service)
//! wallet = "wallet.keystore"             # Ed25519 keystore; relative paths are relative to this file
//!
//! [limits]                               # every field optional
//! max_in_flight_bytes = 16777216         # sliver bytes being uploaded at once, over all nodes
//! node_concurrency = 16                  # requests in flight to one node
//! request_timeout_secs = 60              # one node request
//! store_deadline_secs = 300              # how long a store keeps trying for a certificate
//! tail_upload_secs = 30                  # the most the remaining nodes get after the quorum
//! ```
//!
//! Lookup order: `--config PATH`, then `$WALRUS_CONFIG`, then `./client.toml`, then
//! `$HOME/.config/walrus/client.toml`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

/// The configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// URL of the control plane (the devnet ledger service).
    pub chain_url: String,
    /// The wallet keystore (created on first use).
    #[serde(default = "default_wallet")]
    pub wallet: PathBuf,
    /// Limits.
    #[serde(default)]
    pub limits: ClientLimits,
}

fn default_wallet() -> PathBuf {
    PathBuf::from("wallet.keystore")
}

/// Concurrency, memory and time limits of the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientLimits {
    /// Sliver bytes in flight at once over all nodes during a store.
    pub max_in_flight_bytes: usize,
    /// Requests in flight to one node.
    pub node_concurrency: usize,
    /// Timeout of one request to a node, in seconds.
    pub request_timeout_secs: u64,
    /// How long a store keeps trying to gather a certificate, in seconds.
    pub store_deadline_secs: u64,
    /// The longest the uploads to nodes that have not confirmed may go on after the quorum, in
    /// seconds; within it, the reference's rule applies (half the time to quorum plus half a
    /// second), then they are cancelled.
    pub tail_upload_secs: u64,
}

impl Default for ClientLimits {
    fn default() -> Self {
        Self {
            max_in_flight_bytes: 16 << 20,
            node_concurrency: 16,
            request_timeout_secs: 60,
            store_deadline_secs: 300,
            tail_upload_secs: 30,
        }
    }
}

impl ClientConfig {
    /// A configuration for `chain_url` with the wallet next to it.
    pub fn new(chain_url: impl Into<String>) -> Self {
        Self {
            chain_url: chain_url.into(),
            wallet: default_wallet(),
            limits: ClientLimits::default(),
        }
    }

    /// Reads `path`; relative paths inside are resolved against its directory.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading client configuration {}", path.display()))?;
        let mut config: Self = toml::from_str(&text)
            .with_context(|| format!("parsing client configuration {}", path.display()))?;
        if config.limits.node_concurrency == 0 || config.limits.max_in_flight_bytes == 0 {
            bail!(
                "{}: limits.node_concurrency and limits.max_in_flight_bytes must be positive",
                path.display()
            );
        }
        if config.wallet.is_relative()
            && let Some(dir) = path.parent()
        {
            config.wallet = dir.join(&config.wallet);
        }
        Ok(config)
    }

    /// Writes the configuration to `path`.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = toml::to_string_pretty(self)?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }

    /// Finds the configuration: `explicit`, `$WALRUS_CONFIG`, `./client.toml`,
    /// `$HOME/.config/walrus/client.toml`.
    pub fn locate(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
        if let Some(path) = explicit {
            return Ok(path.to_owned());
        }
        if let Some(path) = std::env::var_os("WALRUS_CONFIG") {
            return Ok(PathBuf::from(path));
        }
        let local = PathBuf::from("client.toml");
        if local.exists() {
            return Ok(local);
        }
        if let Some(home) = std::env::var_os("HOME") {
            let path = Path::new(&home).join(".config/walrus/client.toml");
            if path.exists() {
                return Ok(path);
            }
        }
        bail!(
            "no client configuration found: pass --config FILE, set WALRUS_CONFIG, or start a \
             local network with `walrus devnet` (it writes one and prints its path)"
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_and_relative_wallet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.toml");
        ClientConfig::new("http://127.0.0.1:9").save(&path).unwrap();
        let loaded = ClientConfig::load(&path).unwrap();
        assert_eq!(loaded.chain_url, "http://127.0.0.1:9");
        assert_eq!(loaded.wallet, dir.path().join("wallet.keystore"));
        assert_eq!(loaded.limits, ClientLimits::default());
    }

    #[test]
    fn unknown_fields_and_zero_limits_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.toml");
        std::fs::write(&path, "chain_url = \"x\"\nwalet = \"typo\"\n").unwrap();
        let err = format!("{:#}", ClientConfig::load(&path).unwrap_err());
        assert!(err.contains("walet"), "{err}");
        std::fs::write(&path, "chain_url = \"x\"\n[limits]\nnode_concurrency = 0\n").unwrap();
        let err = format!("{:#}", ClientConfig::load(&path).unwrap_err());
        assert!(err.contains("must be positive"), "{err}");
    }
}
