//! BLS12-381 signatures in the "min_pk" variant that Sui's `bls12381_min_pk_verify` checks:
//! public keys are 48-byte compressed G1 points, signatures 96-byte compressed G2 points, and
//! messages are hashed to G2 with the ciphersuite [`DST`].
//!
//! Storage nodes sign storage confirmations and attestations with these keys; clients aggregate
//! the signatures into certificates; the control plane verifies certificates and proofs of
//! possession.

use std::fmt;

use blst::BLST_ERROR;
use blst::min_pk::{AggregatePublicKey, AggregateSignature, PublicKey, SecretKey, Signature};

/// Hash-to-curve domain separation tag of the min_pk basic scheme (RFC 9380, hash to G2).
pub const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_";
/// Length of a compressed public key.
pub const PUBLIC_KEY_LENGTH: usize = 48;
/// Length of a compressed signature.
pub const SIGNATURE_LENGTH: usize = 96;
/// Length of a serialized private key.
pub const PRIVATE_KEY_LENGTH: usize = 32;

/// Errors from parsing or verifying BLS values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlsError {
    /// The bytes are not a valid compressed G1 public key (or it is the identity).
    #[error("invalid BLS public key: {0}")]
    InvalidPublicKey(String),
    /// The bytes are not a valid compressed G2 signature.
    #[error("invalid BLS signature: {0}")]
    InvalidSignature(String),
    /// The bytes are not a valid private key.
    #[error("invalid BLS private key: {0}")]
    InvalidPrivateKey(String),
    /// The signature does not verify for this key and message.
    #[error("BLS signature does not verify")]
    VerificationFailed,
    /// Nothing to aggregate.
    #[error("cannot aggregate an empty set")]
    Empty,
}

fn describe(e: BLST_ERROR) -> String {
    format!("{e:?}")
}

/// A BLS private key. Its `Debug` output never shows the key.
#[derive(Clone)]
pub struct BlsPrivateKey(SecretKey);

impl fmt::Debug for BlsPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlsPrivateKey(<redacted>)")
    }
}

impl BlsPrivateKey {
    /// Derives a key from at least 32 bytes of secret input keying material.
    pub fn from_ikm(ikm: &[u8]) -> Result<Self, BlsError> {
        SecretKey::key_gen(ikm, &[])
            .map(Self)
            .map_err(|e| BlsError::InvalidPrivateKey(describe(e)))
    }

    /// Generates a fresh key from the operating system's randomness.
    pub fn generate() -> Result<Self, BlsError> {
        let mut ikm = [0u8; 32];
        getrandom::fill(&mut ikm)
            .map_err(|e| BlsError::InvalidPrivateKey(format!("no randomness: {e}")))?;
        Self::from_ikm(&ikm)
    }

    /// Parses the 32-byte big-endian scalar form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        SecretKey::from_bytes(bytes)
            .map(Self)
            .map_err(|e| BlsError::InvalidPrivateKey(describe(e)))
    }

    /// The 32-byte serialized form (keep it secret).
    pub fn to_bytes(&self) -> [u8; PRIVATE_KEY_LENGTH] {
        self.0.to_bytes()
    }

    /// The matching public key.
    pub fn public_key(&self) -> BlsPublicKey {
        BlsPublicKey(self.0.sk_to_pk().compress())
    }

    /// Signs `message` (the exact bytes the verifier will check).
    pub fn sign(&self, message: &[u8]) -> BlsSignature {
        BlsSignature(self.0.sign(message, DST, &[]).compress())
    }
}

/// A compressed G1 public key, checked to be a valid non-identity group element.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlsPublicKey([u8; PUBLIC_KEY_LENGTH]);

impl fmt::Debug for BlsPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlsPublicKey({})", hex::encode(self.0))
    }
}

impl BlsPublicKey {
    /// Parses and validates a compressed public key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        let key =
            PublicKey::key_validate(bytes).map_err(|e| BlsError::InvalidPublicKey(describe(e)))?;
        Ok(Self(key.compress()))
    }

    /// The compressed bytes.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LENGTH] {
        &self.0
    }

    fn point(&self) -> Result<PublicKey, BlsError> {
        PublicKey::from_bytes(&self.0).map_err(|e| BlsError::InvalidPublicKey(describe(e)))
    }

    /// Verifies `signature` over `message`.
    pub fn verify(&self, message: &[u8], signature: &BlsSignature) -> Result<(), BlsError> {
        let sig = signature.point()?;
        match sig.verify(true, message, DST, &[], &self.point()?, true) {
            BLST_ERROR::BLST_SUCCESS => Ok(()),
            _ => Err(BlsError::VerificationFailed),
        }
    }

    /// The sum of the given keys (what a certificate with these signers verifies against).
    pub fn aggregate<'a>(
        keys: impl IntoIterator<Item = &'a BlsPublicKey>,
    ) -> Result<Self, BlsError> {
        let points = keys
            .into_iter()
            .map(BlsPublicKey::point)
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&PublicKey> = points.iter().collect();
        if refs.is_empty() {
            return Err(BlsError::Empty);
        }
        let agg = AggregatePublicKey::aggregate(&refs, false)
            .map_err(|e| BlsError::InvalidPublicKey(describe(e)))?;
        Ok(Self(agg.to_public_key().compress()))
    }
}

/// A compressed G2 signature.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BlsSignature([u8; SIGNATURE_LENGTH]);

impl fmt::Debug for BlsSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlsSignature({})", hex::encode(self.0))
    }
}

impl BlsSignature {
    /// Parses a compressed signature (checked to be on the curve and in the group).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        let sig = Signature::sig_validate(bytes, true)
            .map_err(|e| BlsError::InvalidSignature(describe(e)))?;
        Ok(Self(sig.compress()))
    }

    /// The compressed bytes.
    pub fn as_bytes(&self) -> &[u8; SIGNATURE_LENGTH] {
        &self.0
    }

    fn point(&self) -> Result<Signature, BlsError> {
        Signature::from_bytes(&self.0).map_err(|e| BlsError::InvalidSignature(describe(e)))
    }

    /// Aggregates signatures over the same message into one.
    pub fn aggregate<'a>(
        signatures: impl IntoIterator<Item = &'a BlsSignature>,
    ) -> Result<Self, BlsError> {
        let points = signatures
            .into_iter()
            .map(BlsSignature::point)
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&Signature> = points.iter().collect();
        if refs.is_empty() {
            return Err(BlsError::Empty);
        }
        let agg = AggregateSignature::aggregate(&refs, true)
            .map_err(|e| BlsError::InvalidSignature(describe(e)))?;
        Ok(Self(agg.to_signature().compress()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u8) -> BlsPrivateKey {
        BlsPrivateKey::from_ikm(&[i; 32]).unwrap()
    }

    #[test]
    fn sign_verify_and_reject() {
        let k = key(1);
        let sig = k.sign(b"hello");
        k.public_key().verify(b"hello", &sig).unwrap();
        assert_eq!(
            k.public_key().verify(b"hellO", &sig),
            Err(BlsError::VerificationFailed)
        );
        assert_eq!(
            key(2).public_key().verify(b"hello", &sig),
            Err(BlsError::VerificationFailed)
        );
        assert_eq!(k.public_key().as_bytes().len(), 48);
        assert_eq!(sig.as_bytes().len(), 96);
    }

    #[test]
    fn aggregate_signature_verifies_against_aggregate_key() {
        let keys: Vec<_> = (1..=4).map(key).collect();
        let msg = b"certify";
        let sigs: Vec<_> = keys.iter().map(|k| k.sign(msg)).collect();
        let pks: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
        let agg_sig = BlsSignature::aggregate(&sigs[..3]).unwrap();
        BlsPublicKey::aggregate(&pks[..3])
            .unwrap()
            .verify(msg, &agg_sig)
            .unwrap();
        // Missing one signer's key: fails.
        assert!(
            BlsPublicKey::aggregate(&pks[..2])
                .unwrap()
                .verify(msg, &agg_sig)
                .is_err()
        );
        assert_eq!(BlsSignature::aggregate([]), Err(BlsError::Empty));
    }

    /// Drand mainnet round 2373935: a public min_pk signature that Sui's
    /// `bls12381_min_pk_verify` accepts (it is in the Sui framework's own tests). The message is
    /// SHA-256(previous signature ‖ round as u64 big-endian).
    #[test]
    fn verifies_a_signature_sui_accepts() {
        use sha2::Digest as _;
        let pk = hex::decode("868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31").unwrap();
        let sig = hex::decode("a2cd8577944b84484ef557a7f92f0d5092779497cc470b1b97680b8f7c807d97250d310b801c7c2185c7c8a21032d45403b97530ca87bd8f05d0cf4ffceb4bcb9bf7184fb604967db7e9e6ea555bc51b25a9e41fbd51181f712aa73aaec749fe").unwrap();
        let prev = hex::decode("a96aace596906562dc525dba4dff734642d71b334d51324f9c9bcb5a3d6caf14b05cde91d6507bf4615cb4285e5b4efd1358ebc46b80b51e338f9dc46cca17cf2e046765ba857c04101a560887fa81aef101a5bb3b2350884558bd3adc72be37").unwrap();
        let message = |round: u64| {
            let mut h = sha2::Sha256::new();
            h.update(&prev);
            h.update(round.to_be_bytes());
            h.finalize().to_vec()
        };
        let pk = BlsPublicKey::from_bytes(&pk).unwrap();
        let sig = BlsSignature::from_bytes(&sig).unwrap();
        pk.verify(&message(2_373_935), &sig).unwrap();
        assert_eq!(
            pk.verify(&message(2_373_936), &sig),
            Err(BlsError::VerificationFailed)
        );
    }

    #[test]
    fn malformed_bytes_are_rejected() {
        assert!(matches!(
            BlsPublicKey::from_bytes(&[0u8; 48]),
            Err(BlsError::InvalidPublicKey(_))
        ));
        assert!(matches!(
            BlsPublicKey::from_bytes(&[1u8; 47]),
            Err(BlsError::InvalidPublicKey(_))
        ));
        assert!(matches!(
            BlsSignature::from_bytes(&[7u8; 96]),
            Err(BlsError::InvalidSignature(_))
        ));
        let k = key(3);
        assert_eq!(
            BlsPrivateKey::from_bytes(&k.to_bytes())
                .unwrap()
                .public_key(),
            k.public_key()
        );
        assert_eq!(format!("{k:?}"), "BlsPrivateKey(<redacted>)");
    }
}
