//! The wallet: a key file in the Sui CLI's keystore format (see `walrus_sui_devnet::keystore`);
//! the first key is the active account, created (owner-only) on first use.

use sui_crypto::ed25519::Ed25519PrivateKey;
use sui_sdk_types::Address;
use walrus_chain::devnet::tx::address_of;
pub use walrus_sui_devnet::keystore::{load, load_or_create, write_new};

/// The Sui address of a key.
pub fn address(key: &Ed25519PrivateKey) -> Address {
    address_of(key)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_key_has_the_address_sui_derives() {
        let key = Ed25519PrivateKey::new([7; 32]);
        assert_eq!(address(&key), key.public_key().derive_address());
    }
}
