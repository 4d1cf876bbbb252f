//! A key file in the Sui CLI's keystore format (`sui.keystore`): a JSON array of base64 strings,
//! each `flag (0x00 = Ed25519) ‖ 32-byte private key`; the first key is the active account.
//! Created readable by its owner only, never overwritten.

use std::path::Path;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sui_crypto::ed25519::Ed25519PrivateKey;

const ED25519_FLAG: u8 = 0x00;

/// Loads the active key of the keystore at `path`, creating the file with a fresh key when it
/// does not exist. Returns the key and whether it was created.
pub fn load_or_create(path: &Path) -> anyhow::Result<(Ed25519PrivateKey, bool)> {
    if path.exists() {
        return Ok((load(path)?, false));
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    write_new(path, &secret)?;
    Ok((Ed25519PrivateKey::new(secret), true))
}

/// Loads the active (first) key of the keystore at `path`.
pub fn load(path: &Path) -> anyhow::Result<Ed25519PrivateKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading wallet {}", path.display()))?;
    let entries: Vec<String> = serde_json::from_str(&text).with_context(|| {
        format!(
            "wallet {} is not a keystore (a JSON array of base64 keys)",
            path.display()
        )
    })?;
    let Some(first) = entries.first() else {
        bail!("wallet {} holds no key", path.display());
    };
    let bytes = STANDARD
        .decode(first.trim())
        .with_context(|| format!("wallet {}: the first key is not base64", path.display()))?;
    match bytes.split_first() {
        Some((&ED25519_FLAG, secret)) if secret.len() == 32 => {
            let mut key = [0u8; 32];
            key.copy_from_slice(secret);
            Ok(Ed25519PrivateKey::new(key))
        }
        Some((flag, rest)) => bail!(
            "wallet {}: the first key has scheme flag {flag:#04x} and {} bytes; only Ed25519 \
             (flag 0x00, 32 bytes) is supported",
            path.display(),
            rest.len()
        ),
        None => bail!("wallet {}: the first key is empty", path.display()),
    }
}

/// Writes a new keystore holding `secret`; never overwrites.
pub fn write_new(path: &Path, secret: &[u8; 32]) -> anyhow::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut entry = vec![ED25519_FLAG];
    entry.extend_from_slice(secret);
    let text = serde_json::to_string_pretty(&[STANDARD.encode(entry)])?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating wallet {} (never overwritten)", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn created_once_then_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w/wallet.keystore");
        let (key, created) = load_or_create(&path).unwrap();
        assert!(created);
        let (again, created) = load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(key.public_key(), again.public_key());
        assert!(write_new(&path, &[1; 32]).is_err(), "never overwrites");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn known_key_gives_its_address_and_bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        write_new(&path, &[7; 32]).unwrap();
        let key = load(&path).unwrap();
        assert_eq!(
            key.public_key(),
            Ed25519PrivateKey::new([7; 32]).public_key()
        );
        std::fs::write(&path, "[\"AQID\"]").unwrap();
        let err = format!("{:#}", load(&path).unwrap_err());
        assert!(err.contains("flag 0x01"), "{err}");
        std::fs::write(&path, "not json").unwrap();
        let err = format!("{:#}", load(&path).unwrap_err());
        assert!(err.contains("not a keystore"), "{err}");
    }
}
