//! A local Sui network in a directory: the durable ledger, its faucet, and a Sui CLI wallet
//! whose active address holds SUI, in the Sui CLI's own formats.
//!
//! ```text
//! DIR/ledger/                 the journal (see `durable`)
//! DIR/faucet.keystore         the faucet's key (the same format; owner-only permissions)
//! DIR/sui_config/sui.keystore the wallet's key, as the Sui CLI stores keys (a JSON array of
//!                             base64 `flag || private key`; owner-only permissions)
//! DIR/sui_config/client.yaml  the Sui CLI's client configuration: the keystore, one
//!                             `localnet` environment at the gRPC URL, the active address
//! ```
//!
//! A new directory gets fresh random keys and a genesis that gives the faucet 1,000,000 SUI
//! and the wallet [`WALLET_SUI`]; an existing one is reopened as it was (its keys, its chain).

use std::path::{Path, PathBuf};

use sui_crypto::ed25519::Ed25519PrivateKey;
use sui_sdk_types::Address;

use crate::ledger::MIST_PER_SUI;
use crate::{SuiApi, keystore};

/// SUI the wallet holds at genesis.
pub const WALLET_SUI: u64 = 1_000;
/// SUI the faucet holds at genesis.
pub const FAUCET_SUI: u64 = 1_000_000;

/// An opened network directory.
#[derive(Debug)]
pub struct Network {
    /// The API over the durable ledger.
    pub api: SuiApi,
    /// The faucet's key.
    pub faucet_key: Ed25519PrivateKey,
    /// The wallet's active address.
    pub wallet_address: Address,
    /// `DIR/sui_config/client.yaml`.
    pub client_config: PathBuf,
}

/// Opens the network in `dir`, creating it when new. `grpc_url` goes into `client.yaml`
/// (rewritten on every start, since the address may change).
pub fn open(dir: &Path, grpc_url: &str) -> anyhow::Result<Network> {
    let config_dir = dir.join("sui_config");
    std::fs::create_dir_all(&config_dir)
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", config_dir.display()))?;
    let (faucet_key, _) = keystore::load_or_create(&dir.join("faucet.keystore"))?;
    let keystore = config_dir.join("sui.keystore");
    let (wallet_key, _) = keystore::load_or_create(&keystore)?;
    let wallet_address = wallet_key.public_key().derive_address();
    let api = SuiApi::open(
        &dir.join("ledger"),
        &[
            (
                faucet_key.public_key().derive_address(),
                FAUCET_SUI * MIST_PER_SUI,
            ),
            (wallet_address, WALLET_SUI * MIST_PER_SUI),
        ],
    )
    .map_err(|e| anyhow::anyhow!("opening the ledger in {}: {e}", dir.display()))?;
    let client_config = config_dir.join("client.yaml");
    let keystore_path = std::path::absolute(&keystore)?;
    let yaml = format!(
        "---\nkeystore:\n  File: {}\nenvs:\n  - alias: localnet\n    rpc: \"{grpc_url}\"\n    ws: ~\n    basic_auth: ~\nactive_env: localnet\nactive_address: \"{wallet_address}\"\n",
        keystore_path.display()
    );
    std::fs::write(&client_config, yaml)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", client_config.display()))?;
    Ok(Network {
        api,
        faucet_key,
        wallet_address,
        client_config,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn a_new_directory_gets_private_keys_a_funded_wallet_and_reopens_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let network = open(dir.path(), "http://127.0.0.1:9000").unwrap();
        for key in ["faucet.keystore", "sui_config/sui.keystore"] {
            let mode = std::fs::metadata(dir.path().join(key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
        let keystore: Vec<String> = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("sui_config/sui.keystore")).unwrap(),
        )
        .unwrap();
        assert_eq!(keystore.len(), 1);
        let yaml = std::fs::read_to_string(&network.client_config).unwrap();
        assert!(yaml.contains("rpc: \"http://127.0.0.1:9000\""), "{yaml}");
        assert!(
            yaml.contains(&format!("active_address: \"{}\"", network.wallet_address)),
            "{yaml}"
        );
        let address = network.wallet_address;
        assert_eq!(network.api.sui_balance(&address), WALLET_SUI * MIST_PER_SUI);
        drop(network);
        let again = open(dir.path(), "http://127.0.0.1:9001").unwrap();
        assert_eq!(again.wallet_address, address);
        let yaml = std::fs::read_to_string(&again.client_config).unwrap();
        assert!(yaml.contains("http://127.0.0.1:9001"), "{yaml}");
        // A damaged key file is named, not replaced.
        std::fs::write(dir.path().join("faucet.keystore"), "zz").unwrap();
        drop(again);
        let error = format!(
            "{:#}",
            open(dir.path(), "http://127.0.0.1:9000").unwrap_err()
        );
        assert!(error.contains("faucet.keystore"), "{error}");
    }
}
