//! One module per `walrus` subcommand (or group of related subcommands).

use std::path::PathBuf;

use walrus_client::{ClientConfig, WalrusClient, wallet};

pub(crate) mod blob_id;
pub(crate) mod blobs;
pub(crate) mod chain;
pub(crate) mod daemon;
pub(crate) mod devnet;
pub(crate) mod indexer;
pub(crate) mod info;
pub(crate) mod node;
pub(crate) mod staking;

/// What every client subcommand gets: the global options.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// `--config`.
    pub(crate) config: Option<PathBuf>,
    /// `--json`.
    pub(crate) json: bool,
}

impl Context {
    /// The client configuration.
    pub(crate) fn config(&self) -> anyhow::Result<ClientConfig> {
        ClientConfig::load(&ClientConfig::locate(self.config.as_deref())?)
    }

    /// A client; with the wallet's key (created on first use) when `with_key`.
    pub(crate) fn client(&self, with_key: bool) -> anyhow::Result<WalrusClient> {
        let config = self.config()?;
        let key = if with_key {
            let (key, created) = wallet::load_or_create(&config.wallet)?;
            if created && !self.json {
                eprintln!(
                    "Created a new wallet {} for address {}",
                    config.wallet.display(),
                    wallet::address(&key)
                );
            }
            Some(key)
        } else {
            None
        };
        Ok(WalrusClient::new(&config, key))
    }
}
