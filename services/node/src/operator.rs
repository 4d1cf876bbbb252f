//! What a node operator runs: `keygen` (the three key files), `register` (a
//! `register_candidate` with a proof of possession) and `run` (the node until Ctrl-C).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;
use sui_crypto::ed25519::Ed25519PrivateKey;
use walrus_chain::bls::BlsPrivateKey;
use walrus_chain::devnet::client::DevnetClient;
use walrus_chain::devnet::tx::address_of;
use walrus_chain::walrus::Call;
use walrus_chain::walrus::chain::WalrusChain;
use walrus_chain::walrus::staking::{NodeMetadata, StakingCall, sign_proof_of_possession};

use crate::config::{NodeConfig, read_key_file};

/// The public side of freshly generated keys.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedKeys {
    /// The BLS protocol public key (hex, 48 bytes).
    pub bls_public_key: String,
    /// The network public key (hex, 33 bytes: flag 0x00 ‖ Ed25519 key).
    pub network_public_key: String,
    /// The operator account address.
    pub wallet_address: String,
    /// The files written.
    pub files: Vec<PathBuf>,
}

fn random_32() -> anyhow::Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes)
}

fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    // Private keys: readable by their owner only, whatever the umask.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| {
            format!(
                "creating {} (existing keys are never overwritten)",
                path.display()
            )
        })?;
    writeln!(file, "{}", hex::encode(bytes))?;
    file.sync_all()?;
    Ok(())
}

/// Writes `bls.key`, `network.key` and `wallet.key` (hex) into `dir`; refuses to overwrite.
pub fn keygen(dir: &Path) -> anyhow::Result<GeneratedKeys> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let bls = BlsPrivateKey::generate()?;
    let network = random_32()?;
    let wallet = random_32()?;
    let files = vec![
        dir.join("bls.key"),
        dir.join("network.key"),
        dir.join("wallet.key"),
    ];
    write_new(&files[0], &bls.to_bytes())?;
    write_new(&files[1], &network)?;
    write_new(&files[2], &wallet)?;
    Ok(GeneratedKeys {
        bls_public_key: hex::encode(bls.public_key().as_bytes()),
        network_public_key: hex::encode(network_public_key(&network)),
        wallet_address: address_of(&Ed25519PrivateKey::new(wallet)).to_string(),
        files,
    })
}

/// The 33-byte network public key: Ed25519 flag `0x00` ‖ the public key.
pub fn network_public_key(secret: &[u8; 32]) -> Vec<u8> {
    let public = Ed25519PrivateKey::new(*secret).public_key();
    let mut key = vec![0u8];
    key.extend_from_slice(public.inner());
    key
}

/// The BLS key of a configuration.
pub fn bls_key(config: &NodeConfig) -> anyhow::Result<BlsPrivateKey> {
    let bytes = read_key_file(&config.bls_key_file)?;
    BlsPrivateKey::from_bytes(&bytes)
        .with_context(|| format!("{} is not a BLS private key", config.bls_key_file.display()))
}

/// What `register` submits besides the keys.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Node name.
    pub name: String,
    /// The `host:port` clients reach the API on.
    pub network_address: String,
    /// Commission in basis points.
    pub commission_rate: u16,
    /// Storage price vote.
    pub storage_price: u64,
    /// Write price vote.
    pub write_price: u64,
    /// Capacity vote (bytes).
    pub node_capacity: u64,
}

/// Submits `register_candidate` for the node of `config`; the transaction digest.
pub async fn register(config: &NodeConfig, registration: &Registration) -> anyhow::Result<String> {
    let bls = bls_key(config)?;
    let network = read_key_file(&config.network_key_file)?;
    let wallet = Ed25519PrivateKey::new(read_key_file(&config.wallet_key_file)?);
    let sender = address_of(&wallet);
    let chain = WalrusChain::with_key(DevnetClient::new(&config.chain_url), wallet);
    let epoch = chain
        .staking()
        .await
        .context("reading the staking state")?
        .inner
        .epoch;
    let call = Call::Staking(StakingCall::RegisterCandidate {
        name: registration.name.clone(),
        network_address: registration.network_address.clone(),
        metadata: NodeMetadata::default(),
        public_key: bls.public_key().as_bytes().to_vec(),
        network_public_key: network_public_key(&network),
        proof_of_possession: sign_proof_of_possession(&bls, epoch, sender),
        commission_rate: registration.commission_rate,
        storage_price: registration.storage_price,
        write_price: registration.write_price,
        node_capacity: registration.node_capacity,
    });
    let record = chain.execute(call).await.context("register_candidate")?;
    Ok(record.digest.to_string())
}

/// Runs the node of `config` until `shutdown` resolves.
pub async fn run(config: &NodeConfig, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let bls = bls_key(config)?;
    let client = DevnetClient::new(&config.chain_url);
    let node = if config.wallet_key_file.exists() {
        let wallet = Ed25519PrivateKey::new(read_key_file(&config.wallet_key_file)?);
        crate::start(config, bls, WalrusChain::with_key(client, wallet)).await?
    } else {
        crate::start(config, bls, WalrusChain::reader(client)).await?
    };
    tracing::info!(address = %node.address, "serving; Ctrl-C stops");
    shutdown.await;
    node.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keygen_writes_three_keys_once() {
        let dir = tempfile::tempdir().unwrap();
        let keys = keygen(dir.path()).unwrap();
        assert_eq!(keys.bls_public_key.len(), 96);
        assert_eq!(keys.network_public_key.len(), 66);
        let mut config = NodeConfig::new("http://127.0.0.1:1");
        config.bls_key_file = dir.path().join("bls.key");
        assert_eq!(
            hex::encode(bls_key(&config).unwrap().public_key().as_bytes()),
            keys.bls_public_key
        );
        assert!(keygen(dir.path()).is_err(), "never overwrites");
        for name in ["bls.key", "network.key", "wallet.key"] {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name} is readable by others");
        }
    }
}
