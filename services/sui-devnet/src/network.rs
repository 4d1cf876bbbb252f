//! A local Sui network in a directory: the durable ledger, its faucet, and a Sui CLI wallet
//! whose active address holds SUI, in the Sui CLI's own formats.
//!
//! ```text
//! DIR/ledger/                 the journal (see `durable`)
//! DIR/faucet.key              the faucet's Ed25519 key (hex, owner-only permissions)
//! DIR/sui_config/sui.keystore the wallet's key, as the Sui CLI stores keys (a JSON array of
//!                             base64 `flag || private key`; owner-only permissions)
//! DIR/sui_config/client.yaml  the Sui CLI's client configuration: the keystore, one
//!                             `localnet` environment at the gRPC URL, the active address
//! ```
//!
//! A new directory gets fresh random keys and a genesis that gives the faucet 1,000,000 SUI
//! and the wallet [`WALLET_SUI`]; an existing one is reopened as it was (its keys, its chain).

use std::fs::OpenOptions;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use sui_crypto::ed25519::Ed25519PrivateKey;
use sui_sdk_types::Address;

use crate::SuiApi;
use crate::ledger::MIST_PER_SUI;

/// SUI the wallet holds at genesis.
pub const WALLET_SUI: u64 = 1_000;
/// SUI the faucet holds at genesis.
pub const FAUCET_SUI: u64 = 1_000_000;
/// The Sui CLI's signature-scheme flag of an Ed25519 key.
const ED25519_FLAG: u8 = 0x00;

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
    let faucet_key = load_or_create_key(&dir.join("faucet.key"), KeyFormat::Hex)?;
    let keystore = config_dir.join("sui.keystore");
    let wallet_key = load_or_create_key(&keystore, KeyFormat::SuiKeystore)?;
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

#[derive(Clone, Copy)]
enum KeyFormat {
    /// 64 hex characters.
    Hex,
    /// The Sui CLI keystore: `["<base64 of flag || key>"]`.
    SuiKeystore,
}

/// The key in `path`, or a new random one written there readable by the owner only.
fn load_or_create_key(path: &Path, format: KeyFormat) -> anyhow::Result<Ed25519PrivateKey> {
    use base64::Engine as _;
    let named = |e: String| anyhow::anyhow!("{}: {e}", path.display());
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(|e| named(e.to_string()))?;
        let bytes: Vec<u8> = match format {
            KeyFormat::Hex => hex::decode(text.trim()).map_err(|e| named(e.to_string()))?,
            KeyFormat::SuiKeystore => {
                let keys: Vec<String> =
                    serde_json::from_str(&text).map_err(|e| named(e.to_string()))?;
                let first = keys
                    .first()
                    .ok_or_else(|| named("the keystore holds no key".into()))?;
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(first)
                    .map_err(|e| named(e.to_string()))?;
                match raw.split_first() {
                    Some((&ED25519_FLAG, key)) => key.to_vec(),
                    _ => return Err(named("the first key is not an Ed25519 key".into())),
                }
            }
        };
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| named("not a 32-byte Ed25519 private key".into()))?;
        return Ok(Ed25519PrivateKey::new(bytes));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| named(format!("no randomness: {e}")))?;
    let text = match format {
        KeyFormat::Hex => hex::encode(bytes),
        KeyFormat::SuiKeystore => {
            let mut flagged = vec![ED25519_FLAG];
            flagged.extend_from_slice(&bytes);
            serde_json::to_string_pretty(&[
                base64::engine::general_purpose::STANDARD.encode(flagged)
            ])
            .map_err(|e| named(e.to_string()))?
        }
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| named(e.to_string()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| named(e.to_string()))?;
    Ok(Ed25519PrivateKey::new(bytes))
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
        for key in ["faucet.key", "sui_config/sui.keystore"] {
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
        std::fs::write(dir.path().join("faucet.key"), "zz").unwrap();
        drop(again);
        let error = open(dir.path(), "http://127.0.0.1:9000").unwrap_err();
        assert!(error.to_string().contains("faucet.key"), "{error}");
    }
}
