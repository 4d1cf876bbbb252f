//! Mirror of `move/walrus/sources/system/messages.move`: parsing of certified messages, with
//! the same checks and aborts as Move's BCS peels (`sui::bcs::EOutOfRange` when bytes run
//! out; trailing bytes after the body are ignored).

use walrus_core::BlobId;
use walrus_core::contracts::{BlobPersistenceType, ObjectId};
use walrus_core::messages::IntentType;

use super::errors::{bcs as bcs_err, messages as e};
use crate::types::ExecutionFailure;

// Move's constants, from the one definition of the signed messages' format.
/// Intent type of a blob certification.
pub const BLOB_CERT_MSG_TYPE: u8 = IntentType::BlobCertification as u8;
/// Intent type of an invalid-blob-id attestation.
pub const INVALID_BLOB_ID_MSG_TYPE: u8 = IntentType::InvalidBlobId as u8;
/// Intent type of a deny list update.
pub const DENY_LIST_UPDATE_MSG_TYPE: u8 = IntentType::DenyListUpdate as u8;
/// Intent type of a deny-listed blob deletion.
pub const DENY_LIST_BLOB_DELETED_MSG_TYPE: u8 = IntentType::DenyListBlobDeleted as u8;
/// Intent type of a protocol version announcement.
pub const PROTOCOL_VERSION_MSG_TYPE: u8 = IntentType::ProtocolVersion as u8;
/// The only supported intent version.
pub const INTENT_VERSION: u8 = walrus_core::messages::INTENT_VERSION;
/// App id of Walrus storage messages.
pub const APP_ID: u8 = walrus_core::messages::APP_ID_STORAGE;

/// `messages::CertifiedMessage`: a message whose certificate was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertifiedMessage {
    /// Intent type.
    pub intent_type: u8,
    /// Intent version (0).
    pub intent_version: u8,
    /// The epoch it was signed in.
    pub cert_epoch: u32,
    /// The body.
    pub message: Vec<u8>,
    /// The signers' weight (not part of the signed bytes).
    pub stake_support: u16,
}

/// `messages::CertifiedBlobMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertifiedBlobMessage {
    /// The blob id.
    pub blob_id: BlobId,
    /// Permanent, or deletable with the blob object's id.
    pub blob_persistence_type: BlobPersistenceType,
}

/// `messages::CertifiedInvalidBlobId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertifiedInvalidBlobId {
    /// The invalid blob id.
    pub blob_id: BlobId,
}

/// `messages::ProtocolVersionMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolVersionMessage {
    /// The first epoch of the version.
    pub start_epoch: u32,
    /// The protocol version.
    pub protocol_version: u64,
}

/// `messages::DenyListUpdateMessage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenyListUpdateMessage {
    /// The node whose deny list this is.
    pub storage_node_id: ObjectId,
    /// The update's sequence number.
    pub deny_list_sequence_number: u64,
    /// The encoded size of the denied blobs.
    pub deny_list_size: u64,
    /// The deny list's root (Move `u256`, 32 little-endian bytes).
    pub deny_list_root: [u8; 32],
}

/// `messages::DenyListBlobDeleted`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenyListBlobDeleted {
    /// The blob to delete.
    pub blob_id: BlobId,
}

/// `sui::bcs::BCS` peeling, enough for the messages.
struct Peel<'a> {
    bytes: &'a [u8],
}

impl<'a> Peel<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ExecutionFailure> {
        bcs_err::EOutOfRange.ensure(self.bytes.len() >= n)?;
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, ExecutionFailure> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, ExecutionFailure> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, ExecutionFailure> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }
    fn bytes32(&mut self) -> Result<[u8; 32], ExecutionFailure> {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.take(32)?);
        Ok(out)
    }
}

/// `messages::new_certified_message`: parses the header, checks the version
/// (`EIncorrectIntentVersion`), the app id (`EIncorrectAppId`) and that it was signed in
/// `committee_epoch` (`EIncorrectEpoch`).
pub fn new_certified_message(
    message_bytes: &[u8],
    committee_epoch: u32,
    stake_support: u16,
) -> Result<CertifiedMessage, ExecutionFailure> {
    let mut p = Peel {
        bytes: message_bytes,
    };
    let intent_type = p.u8()?;
    let intent_version = p.u8()?;
    e::EIncorrectIntentVersion.ensure(intent_version == INTENT_VERSION)?;
    let app_id = p.u8()?;
    e::EIncorrectAppId.ensure(app_id == APP_ID)?;
    let cert_epoch = p.u32()?;
    e::EIncorrectEpoch.ensure(cert_epoch == committee_epoch)?;
    Ok(CertifiedMessage {
        intent_type,
        intent_version,
        cert_epoch,
        message: p.bytes.to_vec(),
        stake_support,
    })
}

/// `messages::certify_blob_message` (`EInvalidMsgType`, then `peel_blob_persistence_type`:
/// `EInvalidBlobPersistenceType`).
pub fn certify_blob_message(
    message: CertifiedMessage,
) -> Result<CertifiedBlobMessage, ExecutionFailure> {
    e::EInvalidMsgType.ensure(message.intent_type == BLOB_CERT_MSG_TYPE)?;
    let mut body = Peel {
        bytes: &message.message,
    };
    let blob_id = BlobId(body.bytes32()?);
    let tag = body.u8()?;
    let blob_persistence_type = if tag == 0 {
        BlobPersistenceType::Permanent
    } else {
        e::EInvalidBlobPersistenceType.ensure(tag == 1)?;
        BlobPersistenceType::Deletable {
            object_id: ObjectId(body.bytes32()?),
        }
    };
    Ok(CertifiedBlobMessage {
        blob_id,
        blob_persistence_type,
    })
}

/// `messages::invalid_blob_id_message` (`EInvalidMsgType`).
pub fn invalid_blob_id_message(
    message: CertifiedMessage,
) -> Result<CertifiedInvalidBlobId, ExecutionFailure> {
    e::EInvalidMsgType.ensure(message.intent_type == INVALID_BLOB_ID_MSG_TYPE)?;
    let mut body = Peel {
        bytes: &message.message,
    };
    Ok(CertifiedInvalidBlobId {
        blob_id: BlobId(body.bytes32()?),
    })
}

/// `messages::deny_list_update_message` (`EInvalidMsgType`).
pub fn deny_list_update_message(
    message: CertifiedMessage,
) -> Result<DenyListUpdateMessage, ExecutionFailure> {
    e::EInvalidMsgType.ensure(message.intent_type == DENY_LIST_UPDATE_MSG_TYPE)?;
    let mut body = Peel {
        bytes: &message.message,
    };
    let storage_node_id = ObjectId(body.bytes32()?);
    let deny_list_sequence_number = body.u64()?;
    let deny_list_size = body.u64()?;
    let deny_list_root = body.bytes32()?;
    Ok(DenyListUpdateMessage {
        storage_node_id,
        deny_list_sequence_number,
        deny_list_size,
        deny_list_root,
    })
}

/// `messages::deny_list_blob_deleted_message` (`EInvalidMsgType`).
pub fn deny_list_blob_deleted_message(
    message: CertifiedMessage,
) -> Result<DenyListBlobDeleted, ExecutionFailure> {
    e::EInvalidMsgType.ensure(message.intent_type == DENY_LIST_BLOB_DELETED_MSG_TYPE)?;
    let mut body = Peel {
        bytes: &message.message,
    };
    Ok(DenyListBlobDeleted {
        blob_id: BlobId(body.bytes32()?),
    })
}

/// `messages::protocol_version_message` (`EInvalidMsgType`).
pub fn protocol_version_message(
    message: CertifiedMessage,
) -> Result<ProtocolVersionMessage, ExecutionFailure> {
    e::EInvalidMsgType.ensure(message.intent_type == PROTOCOL_VERSION_MSG_TYPE)?;
    let mut body = Peel {
        bytes: &message.message,
    };
    let start_epoch = body.u32()?;
    let protocol_version = body.u64()?;
    Ok(ProtocolVersionMessage {
        start_epoch,
        protocol_version,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use walrus_core::messages::{
        BlobCertificationMessage, BlobPersistenceType, InvalidBlobIdMessage,
    };

    #[test]
    fn parses_deny_list_messages() {
        let signed = walrus_core::messages::DenyListUpdateMessage {
            epoch: 7,
            node_id: [5; 32],
            sequence_number: 2,
            size: 1024,
            root: [9; 32],
        }
        .to_bytes();
        let m = new_certified_message(&signed, 7, 5).unwrap();
        assert_eq!(
            deny_list_update_message(m.clone()).unwrap(),
            DenyListUpdateMessage {
                storage_node_id: ObjectId([5; 32]),
                deny_list_sequence_number: 2,
                deny_list_size: 1024,
                deny_list_root: [9; 32],
            }
        );
        assert!(e::EInvalidMsgType.matches(&deny_list_blob_deleted_message(m).unwrap_err()));
        let m = new_certified_message(&signed[..60], 7, 5).unwrap();
        assert!(bcs_err::EOutOfRange.matches(&deny_list_update_message(m).unwrap_err()));
        let deleted = walrus_core::messages::DenyListBlobDeletedMessage {
            epoch: 7,
            blob_id: [4; 32],
        }
        .to_bytes();
        let m = new_certified_message(&deleted, 7, 5).unwrap();
        assert_eq!(
            deny_list_blob_deleted_message(m).unwrap().blob_id,
            BlobId([4; 32])
        );
    }

    #[test]
    fn parses_protocol_version_messages() {
        let signed = walrus_core::messages::ProtocolVersionMessage {
            epoch: 7,
            start_epoch: 9,
            version: 4,
        }
        .to_bytes();
        let m = new_certified_message(&signed, 7, 5).unwrap();
        assert_eq!(
            protocol_version_message(m).unwrap(),
            ProtocolVersionMessage {
                start_epoch: 9,
                protocol_version: 4
            }
        );
        let m = new_certified_message(&signed[..15], 7, 5).unwrap();
        assert!(bcs_err::EOutOfRange.matches(&protocol_version_message(m).unwrap_err()));
        let mut other = signed.clone();
        other[0] = INVALID_BLOB_ID_MSG_TYPE;
        let m = new_certified_message(&other, 7, 5).unwrap();
        assert!(e::EInvalidMsgType.matches(&protocol_version_message(m).unwrap_err()));
    }

    #[test]
    fn parses_what_nodes_sign() {
        let signed = BlobCertificationMessage {
            epoch: 7,
            blob_id: [9; 32],
            persistence: BlobPersistenceType::Deletable {
                object_id: ObjectId([4; 32]),
            },
        }
        .to_bytes();
        let m = new_certified_message(&signed, 7, 5).unwrap();
        assert_eq!(m.stake_support, 5);
        let b = certify_blob_message(m.clone()).unwrap();
        assert_eq!(b.blob_id, BlobId([9; 32]));
        assert_eq!(
            b.blob_persistence_type,
            BlobPersistenceType::Deletable {
                object_id: ObjectId([4; 32])
            }
        );
        assert!(e::EInvalidMsgType.matches(&invalid_blob_id_message(m).unwrap_err()));
        assert!(e::EIncorrectEpoch.matches(&new_certified_message(&signed, 8, 5).unwrap_err()));
        let mut bad = signed.clone();
        bad[1] = 1;
        assert!(
            e::EIncorrectIntentVersion.matches(&new_certified_message(&bad, 7, 5).unwrap_err())
        );
        let mut bad = signed.clone();
        bad[2] = 2;
        assert!(e::EIncorrectAppId.matches(&new_certified_message(&bad, 7, 5).unwrap_err()));
        let mut bad = signed.clone();
        bad[39] = 2;
        let m = new_certified_message(&bad, 7, 5).unwrap();
        assert!(e::EInvalidBlobPersistenceType.matches(&certify_blob_message(m).unwrap_err()));
        let m = new_certified_message(&signed[..50], 7, 5).unwrap();
        assert!(bcs_err::EOutOfRange.matches(&certify_blob_message(m).unwrap_err()));
        assert!(
            bcs_err::EOutOfRange.matches(&new_certified_message(&signed[..5], 7, 5).unwrap_err())
        );

        let invalid = InvalidBlobIdMessage {
            epoch: 2,
            blob_id: [3; 32],
        }
        .to_bytes();
        let m = new_certified_message(&invalid, 2, 1).unwrap();
        assert_eq!(invalid_blob_id_message(m).unwrap().blob_id, BlobId([3; 32]));
    }
}
