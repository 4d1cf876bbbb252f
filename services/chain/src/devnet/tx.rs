//! Signed devnet transactions: what a client submits to the ledger.
//!
//! A transaction is `TransactionData { sender, nonce, call }` in BCS, signed the Sui way: the
//! account key (Ed25519) signs `Blake2b256(intent ‖ BCS(data))` with the intent
//! `TransactionData / V0 / Sui` (bytes `00 00 00`), and the signature travels as a Sui
//! `UserSignature` (`flag ‖ signature ‖ public key`). The sender must be the Sui address derived
//! from that public key (`Blake2b256(0x00 ‖ pubkey)`). The transaction digest is
//! `Blake2b256("TransactionData::" ‖ BCS(data))`, printed in base58 like Sui's.
//!
//! Replay protection: every account has a next nonce in the ledger; a transaction is executed only
//! if its nonce equals it, so the same signed bytes can never run twice.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use sui_crypto::ed25519::Ed25519PrivateKey;
use sui_crypto::{Signer, Verifier};
use sui_sdk_types::hash::Hasher;
use sui_sdk_types::{Address, Digest, SimpleSignature, UserSignature};

/// The intent prefix for transaction data (scope TransactionData, version V0, app Sui).
pub const TRANSACTION_INTENT: [u8; 3] = [0, 0, 0];

/// Reasons a signed transaction is rejected before it runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The transaction bytes are not a valid BCS `TransactionData`.
    #[error("malformed transaction: {0}")]
    Malformed(String),
    /// The signature bytes do not parse.
    #[error("malformed signature: {0}")]
    MalformedSignature(String),
    /// Only single Ed25519 signatures are accepted by the devnet.
    #[error("unsupported signature scheme {0}: the devnet accepts Ed25519 signatures only")]
    UnsupportedScheme(String),
    /// The public key in the signature does not belong to the sender.
    #[error("signature key belongs to {signer}, not to the sender {sender}")]
    WrongSigner {
        /// Address derived from the signature's public key.
        signer: Address,
        /// The transaction's sender.
        sender: Address,
    },
    /// The signature does not verify over the transaction.
    #[error("invalid signature for transaction {0}")]
    BadSignature(Digest),
}

/// What a transaction asks for, besides the call: who sends it and its replay-protection nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionData<C> {
    /// The account that signs and pays.
    pub sender: Address,
    /// Must equal the sender's next nonce in the ledger.
    pub nonce: u64,
    /// The operation.
    pub call: C,
}

impl<C: Serialize> TransactionData<C> {
    /// BCS bytes of the data.
    pub fn to_bcs(&self) -> Vec<u8> {
        // Serializing plain data structs into a Vec cannot fail.
        bcs::to_bytes(self).unwrap_or_default()
    }
}

/// Blake2b256(intent ‖ data), the bytes the account key signs.
pub fn signing_digest(data_bcs: &[u8]) -> [u8; 32] {
    let mut h = Hasher::new();
    h.update(TRANSACTION_INTENT);
    h.update(data_bcs);
    h.finalize().into_inner()
}

/// The transaction digest: Blake2b256("TransactionData::" ‖ data).
pub fn transaction_digest(data_bcs: &[u8]) -> Digest {
    let mut h = Hasher::new();
    h.update(b"TransactionData::");
    h.update(data_bcs);
    h.finalize()
}

/// A transaction as submitted: the BCS data and the serialized `UserSignature`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTransaction {
    /// BCS of [`TransactionData`].
    pub data: Vec<u8>,
    /// BCS-free Sui signature bytes: `flag ‖ signature ‖ public key`.
    pub signature: Vec<u8>,
}

impl SignedTransaction {
    /// Signs `data` with `key`.
    pub fn sign<C: Serialize>(data: &TransactionData<C>, key: &Ed25519PrivateKey) -> Self {
        let bytes = data.to_bcs();
        let digest = signing_digest(&bytes);
        let signature: UserSignature = key.sign(&digest);
        Self {
            data: bytes,
            signature: signature.to_bytes(),
        }
    }

    /// The transaction digest.
    pub fn digest(&self) -> Digest {
        transaction_digest(&self.data)
    }

    /// Checks the signature and returns the decoded data. Does not check the nonce (the ledger
    /// does, against the account's state).
    pub fn verify<C: DeserializeOwned>(&self) -> Result<TransactionData<C>, TxError> {
        let data: TransactionData<C> =
            bcs::from_bytes(&self.data).map_err(|e| TxError::Malformed(e.to_string()))?;
        let signature = UserSignature::from_bytes(&self.signature)
            .map_err(|e| TxError::MalformedSignature(e.to_string()))?;
        let public_key = match &signature {
            UserSignature::Simple(SimpleSignature::Ed25519 { public_key, .. }) => *public_key,
            other => return Err(TxError::UnsupportedScheme(format!("{:?}", other.scheme()))),
        };
        let signer = public_key.derive_address();
        if signer != data.sender {
            return Err(TxError::WrongSigner {
                signer,
                sender: data.sender,
            });
        }
        let verifier = sui_crypto::ed25519::Ed25519VerifyingKey::new(&public_key)
            .map_err(|e| TxError::MalformedSignature(e.to_string()))?;
        verifier
            .verify(&signing_digest(&self.data), &signature)
            .map_err(|_| TxError::BadSignature(self.digest()))?;
        Ok(data)
    }
}

/// The Sui address of an Ed25519 account key.
pub fn address_of(key: &Ed25519PrivateKey) -> Address {
    key.public_key().derive_address()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    enum DemoCall {
        Ping(u64),
    }

    fn key(seed: u8) -> Ed25519PrivateKey {
        Ed25519PrivateKey::new([seed; 32])
    }

    fn data(sender: Address) -> TransactionData<DemoCall> {
        TransactionData {
            sender,
            nonce: 4,
            call: DemoCall::Ping(9),
        }
    }

    #[test]
    fn signed_transaction_verifies_and_has_a_stable_digest() {
        let k = key(1);
        let tx = SignedTransaction::sign(&data(address_of(&k)), &k);
        assert_eq!(tx.verify::<DemoCall>().unwrap(), data(address_of(&k)));
        assert_eq!(
            tx.digest(),
            SignedTransaction::sign(&data(address_of(&k)), &k).digest()
        );
        // flag 0x00 (Ed25519) ‖ 64-byte signature ‖ 32-byte key
        assert_eq!(tx.signature.len(), 97);
        assert_eq!(tx.signature[0], 0);
    }

    #[test]
    fn address_is_blake2b_of_flag_and_key() {
        let k = key(2);
        let mut h = Hasher::new();
        h.update([0u8]);
        h.update(k.public_key().inner());
        assert_eq!(address_of(&k), Address::new(h.finalize().into_inner()));
    }

    #[test]
    fn tampered_data_wrong_signer_and_garbage_are_rejected() {
        let k = key(3);
        let mut tx = SignedTransaction::sign(&data(address_of(&k)), &k);
        let last = tx.data.len() - 1;
        tx.data[last] ^= 1;
        assert!(matches!(
            tx.verify::<DemoCall>(),
            Err(TxError::BadSignature(_))
        ));

        let other = key(4);
        let forged = SignedTransaction::sign(&data(address_of(&k)), &other);
        assert!(matches!(
            forged.verify::<DemoCall>(),
            Err(TxError::WrongSigner { .. })
        ));

        let mut garbage = SignedTransaction::sign(&data(address_of(&k)), &k);
        garbage.signature.truncate(10);
        assert!(matches!(
            garbage.verify::<DemoCall>(),
            Err(TxError::MalformedSignature(_))
        ));

        let bad_data = SignedTransaction {
            data: vec![1, 2, 3],
            signature: tx.signature.clone(),
        };
        assert!(matches!(
            bad_data.verify::<DemoCall>(),
            Err(TxError::Malformed(_))
        ));
    }
}
