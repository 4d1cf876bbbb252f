//! Node information, metadata, authorization and the proof of possession, mirroring
//! `move/walrus/sources/staking/{storage_node, node_metadata, auth, proof_of_possession}.move`.

use sui_sdk_types::Address;

use super::errors::{
    ensure, framework::EKeyAlreadyExists, staking_pool as pool_errors, storage_node as sn_errors,
};
use crate::bls::{BlsPublicKey, BlsSignature};
use crate::types::{ExecutionFailure, ObjectId};
use walrus_core::messages::ProofOfPossessionMessage;

/// Maximal length of a node name, in bytes.
pub const MAX_NAME_LENGTH: usize = 100;
/// Maximal length of a network address, in bytes.
pub const MAX_NETWORK_ADDRESS_LENGTH: usize = 259;
/// Length of the network (TLS) public key.
pub const NETWORK_PUBLIC_KEY_LENGTH: usize = 33;
/// Length of a compressed BLS12-381 G1 public key.
pub const BLS_PUBLIC_KEY_LENGTH: usize = 48;

// === node_metadata ===

pub use walrus_core::contracts::staking::NodeMetadata;

/// Checks that Move could have built `metadata`: `node_metadata::new(image, project,
/// description)` and a `VecMap` of extra fields, in which a repeated key cannot be
/// (`sui::vec_map::EKeyAlreadyExists`). As on Walrus mainnet, the strings and the number of
/// extra fields have no limits of their own (the size of a transaction bounds them).
pub fn validate_metadata(metadata: &NodeMetadata) -> Result<(), ExecutionFailure> {
    let entries = &metadata.extra_fields.contents;
    for (i, entry) in entries.iter().enumerate() {
        ensure(
            !entries[..i].iter().any(|e| e.key == entry.key),
            EKeyAlreadyExists,
        )?;
    }
    Ok(())
}

// === auth ===

/// Proof of the caller's identity (Move `auth::Authenticated`), built during execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authenticated {
    /// The transaction sender.
    Sender(Address),
    /// The holder of the object with this id.
    Object(ObjectId),
}

pub use walrus_core::contracts::staking::Authorized;

impl Authenticated {
    /// Whether this is the one `authorized` names (same variant, equal value).
    pub fn matches(&self, authorized: &Authorized) -> bool {
        match (self, authorized) {
            (Self::Sender(a), Authorized::Address(b)) => crate::walrus::to_move_id(*a) == *b,
            (Self::Object(a), Authorized::ObjectID(b)) => crate::walrus::to_move_id(*a) == *b,
            _ => false,
        }
    }
}

// === storage_node ===

pub use walrus_core::contracts::staking::{StorageNodeInfo, UncompressedG1};

/// Move `staking_pool`'s name check (`EInvalidNameLength` above 100 bytes).
pub fn check_name(name: &str) -> Result<(), ExecutionFailure> {
    ensure(
        name.len() <= MAX_NAME_LENGTH,
        pool_errors::EInvalidNameLength,
    )
}

/// Move `staking_pool`'s address check (`EInvalidNetworkAddressLength` above 259 bytes).
pub fn check_network_address(address: &str) -> Result<(), ExecutionFailure> {
    ensure(
        address.len() <= MAX_NETWORK_ADDRESS_LENGTH,
        pool_errors::EInvalidNetworkAddressLength,
    )
}

/// Move `messages::new_proof_of_possession_msg(..).verify_proof_of_possession(..)` asserted
/// in `staking_pool`: the key must be 48 bytes (`messages::EInvalidKeyLength`) and the proof
/// must verify (`staking_pool::EInvalidProofOfPossession`).
pub fn check_proof_of_possession(
    epoch: u32,
    sender: Address,
    public_key: &[u8],
    proof_of_possession: &[u8],
) -> Result<(), ExecutionFailure> {
    ensure(
        public_key.len() == BLS_PUBLIC_KEY_LENGTH,
        crate::walrus::errors::messages::EInvalidKeyLength,
    )?;
    ensure(
        verify_proof_of_possession(epoch, sender, public_key, proof_of_possession),
        pool_errors::EInvalidProofOfPossession,
    )
}

fn check_network_public_key(key: &[u8]) -> Result<(), ExecutionFailure> {
    ensure(
        key.len() == NETWORK_PUBLIC_KEY_LENGTH,
        sn_errors::EInvalidNetworkPublicKey,
    )
}

/// Move `storage_node::parse_public_key`: the `Element<UncompressedG1>` of a valid compressed
/// G1 point (`sui::group_ops::EInvalidInput` otherwise, from `bls12381::g1_from_bytes`; the
/// 48-byte length is checked with the proof of possession).
pub fn parse_public_key(public_key: &[u8]) -> Result<Vec<u8>, ExecutionFailure> {
    crate::walrus::bls_aggregate::uncompressed_g1(public_key)
}

/// Move `storage_node::new`: the node information, checking the network key (the pool checks
/// the name, address and protocol key first, as in Move). `metadata_id` is the id of the
/// metadata's `ExtendedField` (its value, the metadata, is a dynamic field on Sui).
pub fn new_node_info(
    name: String,
    node_id: ObjectId,
    network_address: String,
    public_key: &[u8],
    network_public_key: Vec<u8>,
    metadata_id: ObjectId,
) -> Result<StorageNodeInfo, ExecutionFailure> {
    check_network_public_key(&network_public_key)?;
    let public_key = parse_public_key(public_key)?;
    Ok(StorageNodeInfo {
        name,
        node_id: crate::walrus::to_move_id(node_id),
        network_address,
        public_key,
        next_epoch_public_key: None,
        network_public_key,
        metadata: walrus_core::contracts::ExtendedField {
            id: crate::walrus::to_move_id(metadata_id),
        },
    })
}

/// Move's `storage_node` setters on `walrus_core`'s [`StorageNodeInfo`], with their checks.
pub trait NodeInfoOps {
    /// Sets the name (`EInvalidNameLength`).
    fn set_name(&mut self, name: String) -> Result<(), ExecutionFailure>;
    /// Sets the network address (`EInvalidNetworkAddressLength`).
    fn set_network_address(&mut self, address: String) -> Result<(), ExecutionFailure>;
    /// Sets the network public key (`EInvalidNetworkPublicKey`).
    fn set_network_public_key(&mut self, key: Vec<u8>) -> Result<(), ExecutionFailure>;
    /// Schedules the compressed `public_key` for the next epoch advance.
    fn set_next_public_key(&mut self, public_key: &[u8]) -> Result<(), ExecutionFailure>;
    /// Rotates the scheduled key in, if one is set.
    fn rotate_public_key(&mut self);
    /// The key for the next committee (uncompressed): the scheduled key if set, else the
    /// current one.
    fn next_epoch_public_key(&self) -> &[u8];
    /// The current key, compressed (48 bytes), as nodes and clients verify signatures with it
    /// (validated when it was set; not checked again on every read).
    fn compressed_public_key(&self) -> Result<[u8; 48], ExecutionFailure>;
}

impl NodeInfoOps for StorageNodeInfo {
    fn set_name(&mut self, name: String) -> Result<(), ExecutionFailure> {
        check_name(&name)?;
        self.name = name;
        Ok(())
    }

    fn set_network_address(&mut self, address: String) -> Result<(), ExecutionFailure> {
        check_network_address(&address)?;
        self.network_address = address;
        Ok(())
    }

    fn set_network_public_key(&mut self, key: Vec<u8>) -> Result<(), ExecutionFailure> {
        check_network_public_key(&key)?;
        self.network_public_key = key;
        Ok(())
    }

    fn set_next_public_key(&mut self, public_key: &[u8]) -> Result<(), ExecutionFailure> {
        self.next_epoch_public_key = Some(UncompressedG1(parse_public_key(public_key)?));
        Ok(())
    }

    fn rotate_public_key(&mut self) {
        if let Some(key) = self.next_epoch_public_key.take() {
            self.public_key = key.0;
        }
    }

    fn next_epoch_public_key(&self) -> &[u8] {
        self.next_epoch_public_key
            .as_ref()
            .map_or(&self.public_key, |k| &k.0)
    }

    fn compressed_public_key(&self) -> Result<[u8; 48], ExecutionFailure> {
        crate::walrus::bls_aggregate::compress_stored_g1(&self.public_key)
    }
}

pub use walrus_core::contracts::staking::StorageNodeCap;

/// The ledger ids of a [`StorageNodeCap`].
pub trait CapOps {
    /// The cap's object id.
    fn object_id(&self) -> ObjectId;
    /// The node (= pool) it acts for.
    fn pool_id(&self) -> ObjectId;
}

impl CapOps for StorageNodeCap {
    fn object_id(&self) -> ObjectId {
        crate::walrus::to_object_id(self.id)
    }

    fn pool_id(&self) -> ObjectId {
        crate::walrus::to_object_id(self.node_id)
    }
}

/// Move `storage_node::new_cap`: the operator's capability `id` for `node_id`, nothing
/// reported, attested or denied yet.
pub fn new_cap(id: ObjectId, node_id: ObjectId) -> StorageNodeCap {
    StorageNodeCap {
        id: crate::walrus::to_move_id(id),
        node_id: crate::walrus::to_move_id(node_id),
        last_epoch_sync_done: 0,
        last_event_blob_attestation: None,
        deny_list_root: [0; 32],
        deny_list_sequence: 0,
        deny_list_size: 0,
    }
}

// === proof_of_possession ===

/// The message a node signs to prove it holds the key (Move `proof_of_possession::message`):
/// `0 ‖ 0 ‖ 3 ‖ epoch (u32 LE) ‖ sender ‖ public_key` (the key bytes as given).
pub fn proof_of_possession_message(epoch: u32, sender: Address, public_key: &[u8]) -> Vec<u8> {
    match <[u8; BLS_PUBLIC_KEY_LENGTH]>::try_from(public_key) {
        Ok(key) => ProofOfPossessionMessage {
            epoch,
            sender: sender.into_inner(),
            public_key: key,
        }
        .to_bytes(),
        Err(_) => {
            let mut msg = vec![0u8, 0, 3];
            msg.extend_from_slice(&epoch.to_le_bytes());
            msg.extend_from_slice(sender.as_bytes());
            msg.extend_from_slice(public_key);
            msg
        }
    }
}

/// Whether `signature` is a valid proof of possession of `public_key` for `epoch` and `sender`:
/// a BLS12-381 min_pk signature over [`proof_of_possession_message`], as Sui's
/// `bls12381_min_pk_verify` checks it (malformed keys or signatures verify as false).
pub fn verify_proof_of_possession(
    epoch: u32,
    sender: Address,
    public_key: &[u8],
    signature: &[u8],
) -> bool {
    let Ok(key) = BlsPublicKey::from_bytes(public_key) else {
        return false;
    };
    let Ok(sig) = BlsSignature::from_bytes(signature) else {
        return false;
    };
    key.verify(
        &proof_of_possession_message(epoch, sender, public_key),
        &sig,
    )
    .is_ok()
}

/// Signs a proof of possession (for genesis configurations, tests and node operators).
pub fn sign_proof_of_possession(
    key: &crate::bls::BlsPrivateKey,
    epoch: u32,
    sender: Address,
) -> Vec<u8> {
    let public_key = key.public_key();
    key.sign(&proof_of_possession_message(
        epoch,
        sender,
        public_key.as_bytes(),
    ))
    .as_bytes()
    .to_vec()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::active_set::tests::test_node_id;
    use super::*;
    use crate::bls::BlsPrivateKey;

    fn bls(i: u8) -> BlsPrivateKey {
        BlsPrivateKey::from_ikm(&[i; 32]).unwrap()
    }

    fn network_pk() -> Vec<u8> {
        let mut key = vec![2u8];
        key.extend(0u8..32);
        key
    }

    // Mirrors storage_node_tests.move::new_info_and_setters (and the abort tests next to it).
    #[test]
    fn new_info_setters_and_aborts() {
        let pk0 = bls(0).public_key().as_bytes().to_vec();
        let pk1 = bls(1).public_key().as_bytes().to_vec();
        let mut info = new_node_info(
            "node".into(),
            test_node_id(0),
            "127.0.0.1:9000".into(),
            &pk0,
            network_pk(),
            test_node_id(9),
        )
        .unwrap();
        // Stored as Move stores it (uncompressed), read back compressed.
        let (pk0_full, pk1_full) = (
            parse_public_key(&pk0).unwrap(),
            parse_public_key(&pk1).unwrap(),
        );
        assert_eq!(pk0_full.len(), 96);
        assert_eq!(info.next_epoch_public_key(), &pk0_full[..]);
        assert_eq!(info.compressed_public_key().unwrap()[..], pk0[..]);
        info.set_name("a".repeat(100)).unwrap();
        info.set_network_address("a".repeat(259)).unwrap();
        assert!(
            pool_errors::EInvalidNameLength.matches(&info.set_name("a".repeat(101)).unwrap_err())
        );
        assert!(
            pool_errors::EInvalidNetworkAddressLength
                .matches(&info.set_network_address("a".repeat(260)).unwrap_err())
        );
        assert!(
            sn_errors::EInvalidNetworkPublicKey
                .matches(&info.set_network_public_key(vec![2, 1]).unwrap_err())
        );
        assert!(
            crate::walrus::errors::group_ops::EInvalidInput
                .matches(&info.set_next_public_key(&[1, 2, 3]).unwrap_err())
        );
        let pop = sign_proof_of_possession(&bls(1), 3, Address::ZERO);
        assert!(check_proof_of_possession(3, Address::ZERO, &pk1, &pop).is_ok());
        assert!(
            crate::walrus::errors::messages::EInvalidKeyLength
                .matches(&check_proof_of_possession(3, Address::ZERO, &[1, 2], &pop).unwrap_err())
        );
        assert!(
            pool_errors::EInvalidProofOfPossession
                .matches(&check_proof_of_possession(4, Address::ZERO, &pk1, &pop).unwrap_err())
        );
        info.set_next_public_key(&pk1).unwrap();
        assert_eq!(info.next_epoch_public_key(), &pk1_full[..]);
        assert_eq!(info.public_key, pk0_full);
        info.rotate_public_key();
        assert!(info.next_epoch_public_key.is_none());
        assert_eq!(info.public_key, pk1_full);
        assert_eq!(info.compressed_public_key().unwrap()[..], pk1[..]);
    }

    #[test]
    fn metadata_validation() {
        let mut md = NodeMetadata {
            image_url: "i".into(),
            project_url: "p".into(),
            description: "d".repeat(5000),
            extra_fields: Default::default(),
        };
        validate_metadata(&md).unwrap();
        md.extra_fields = (0..40)
            .map(|i| (format!("k{i}"), "v".repeat(600)))
            .collect();
        validate_metadata(&md).unwrap();
        md.extra_fields = [("a".into(), "1".into()), ("a".into(), "2".into())]
            .into_iter()
            .collect();
        assert!(EKeyAlreadyExists.matches(&validate_metadata(&md).unwrap_err()));
    }

    #[test]
    fn authorization_matches_same_variant_only() {
        let a = Address::new([7; 32]);
        let m = crate::walrus::to_move_id(a);
        assert!(Authenticated::Sender(a).matches(&Authorized::Address(m)));
        assert!(!Authenticated::Sender(a).matches(&Authorized::ObjectID(m)));
        assert!(Authenticated::Object(a).matches(&Authorized::ObjectID(m)));
        assert!(!Authenticated::Object(a).matches(&Authorized::Address(m)));
    }

    // Mirrors storage_node_tests.move::proof_of_possession_message_bytes, plus what Move cannot
    // test: real verification.
    #[test]
    fn proof_of_possession() {
        let key = bls(3);
        let pk = key.public_key().as_bytes().to_vec();
        let mut sender_bytes = [0u8; 32];
        sender_bytes[30..].copy_from_slice(&[0xAB, 0xCD]);
        let sender = Address::new(sender_bytes);
        let msg = proof_of_possession_message(7, sender, &pk);
        let mut expected = vec![0u8, 0, 3, 7, 0, 0, 0];
        expected.extend_from_slice(&sender_bytes);
        expected.extend_from_slice(&pk);
        assert_eq!(msg, expected);
        let pop = sign_proof_of_possession(&key, 7, sender);
        assert!(verify_proof_of_possession(7, sender, &pk, &pop));
        assert!(!verify_proof_of_possession(8, sender, &pk, &pop));
        assert!(!verify_proof_of_possession(7, Address::ZERO, &pk, &pop));
        let other = bls(4).public_key().as_bytes().to_vec();
        assert!(!verify_proof_of_possession(7, sender, &other, &pop));
        assert!(!verify_proof_of_possession(7, sender, &pk[..47], &pop));
        assert!(!verify_proof_of_possession(7, sender, &pk, &[1, 2, 3]));
    }

    #[test]
    fn cap_bcs_layout() {
        let mut cap = new_cap(test_node_id(0), test_node_id(1));
        cap.last_epoch_sync_done = 3;
        let bytes = bcs::to_bytes(&cap).unwrap();
        // id, node id, epoch, no attestation, root, sequence, size.
        assert_eq!(bytes.len(), 32 + 32 + 4 + 1 + 32 + 8 + 8);
        assert_eq!(&bytes[64..69], &[3, 0, 0, 0, 0]);
    }
}
