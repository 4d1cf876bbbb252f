//! One module per `walrus` subcommand (or group of related subcommands).

use std::path::PathBuf;

use walrus_client::{ClientConfig, WalrusClient, wallet};

pub(crate) mod blob_id;
pub(crate) mod blobs;
pub(crate) mod chain;
pub(crate) mod daemon;
pub(crate) mod devnet;
pub(crate) mod graphql;
pub(crate) mod indexer;
pub(crate) mod info;
pub(crate) mod json;
pub(crate) mod node;
pub(crate) mod staking;
pub(crate) mod sui_devnet;

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

/// A progress bar on stderr for stores and reads, when stderr is a terminal and the output is
/// not JSON; `None` otherwise (quiet).
/// An address flag that may be `none` (`--metrics-address none` turns the listener off).
pub(crate) fn optional_address(
    flag: &str,
    text: &str,
) -> anyhow::Result<Option<std::net::SocketAddr>> {
    match text {
        "none" => Ok(None),
        text => text
            .parse()
            .map(Some)
            .map_err(|e| anyhow::anyhow!("{flag} {text:?}: {e} (an address, or none)")),
    }
}

pub(crate) fn progress_bar(json: bool) -> Option<walrus_client::client::ProgressFn> {
    use std::io::IsTerminal as _;
    use std::sync::Arc;
    use walrus_client::client::Progress;
    if json || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    // Elapsed time since the command started, and the time left of the current step (slivers
    // uploaded or fetched) as indicatif estimates it from the rate so far.
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {msg} {wide_bar} {pos}/{len} (ETA {eta})",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(Arc::new(move |step: Progress| match step {
        Progress::Encoding { bytes } => {
            bar.set_length(0);
            bar.set_message(format!("encoding {bytes} bytes"));
        }
        Progress::Registering => bar.set_message("registering"),
        Progress::Uploading { done, total } => {
            bar.set_message("uploading slivers");
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
        Progress::Certifying => bar.set_message("certifying"),
        Progress::FetchingMetadata => bar.set_message("fetching metadata"),
        Progress::Fetching { done, needed } => {
            bar.set_message("fetching slivers");
            bar.set_length(needed as u64);
            bar.set_position(done as u64);
        }
        Progress::Decoding => bar.set_message("decoding"),
        Progress::Done => bar.finish_and_clear(),
    }))
}
