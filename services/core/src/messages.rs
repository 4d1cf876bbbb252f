//! The messages storage nodes sign, byte for byte as the Move package parses them.
//!
//! Every message starts with a 7-byte header: `intent_type: u8 ‖ intent_version: u8 (0) ‖
//! app_id: u8 (3, storage) ‖ epoch: u32 LE`, followed by the body with no length prefix:
//!
//! | intent | body |
//! |---|---|
//! | 0 proof of possession | sender address (32 B) ‖ BLS public key (48 B) |
//! | 1 blob certification | blob id (32 B) ‖ persistence: 0 permanent, or 1 ‖ object id (32 B) for deletable |
//! | 2 invalid blob id | blob id (32 B) |
//! | 3 shard sync | version tag 0 (V1) ‖ shard u16 LE ‖ sliver type (0 primary, 1 secondary) ‖ starting blob id (32 B) ‖ sliver count u64 LE ‖ epoch u32 LE |
//! | 4 deny list update | node id (32 B) ‖ sequence u64 LE ‖ size u64 LE ‖ root (u256, 32 B LE) |
//! | 5 deny-listed blob deleted | blob id (32 B) |
//! | 6 protocol version | start epoch u32 LE ‖ version u64 LE |
//!
//! Parsing tolerates trailing bytes after the body, as the Move parser does (forward
//! compatibility); everything else that is off is a typed error.

pub use crate::contracts::BlobPersistenceType;
use crate::contracts::ObjectId;

/// Version byte of every intent.
pub const INTENT_VERSION: u8 = 0;
/// App id of the storage protocol.
pub const APP_ID_STORAGE: u8 = 3;
/// Length of the header.
pub const HEADER_LENGTH: usize = 7;

/// Intent types (the first header byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum IntentType {
    /// A node proves it holds the private key of its BLS public key.
    ProofOfPossession = 0,
    /// A node confirms it stores a blob's slivers for all its shards.
    BlobCertification = 1,
    /// A node attests that a blob ID is inconsistently encoded.
    InvalidBlobId = 2,
    /// A node asks another for a shard's slivers.
    SyncShard = 3,
    /// A node's deny list changed (certified by a quorum).
    DenyListUpdate = 4,
    /// A deny-listed blob is to be deleted (certified by f + 1).
    DenyListBlobDeleted = 5,
    /// A protocol version takes effect (certified by a quorum).
    ProtocolVersion = 6,
}

/// Errors parsing a signed message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// Fewer bytes than the header and body need.
    #[error("message too short: {got} bytes, need at least {need}")]
    TooShort {
        /// Bytes present.
        got: usize,
        /// Bytes needed.
        need: usize,
    },
    /// The intent type is not the expected one.
    #[error("wrong intent type {got}, expected {expected}")]
    WrongIntent {
        /// Found.
        got: u8,
        /// Expected.
        expected: u8,
    },
    /// The intent version is not 0.
    #[error("unsupported intent version {0}")]
    WrongVersion(u8),
    /// The app id is not the storage app.
    #[error("wrong app id {0}, expected {APP_ID_STORAGE}")]
    WrongAppId(u8),
    /// The persistence tag is neither 0 nor 1.
    #[error("invalid blob persistence tag {0}")]
    InvalidPersistence(u8),
    /// The shard sync request's version tag is not 0 (V1).
    #[error("unknown shard sync request version {0}")]
    UnknownSyncShardVersion(u8),
    /// The shard sync request's sliver type is neither 0 (primary) nor 1 (secondary).
    #[error("invalid sliver type {0}, expected 0 (primary) or 1 (secondary)")]
    InvalidSliverType(u8),
}

/// The parsed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageHeader {
    /// The intent.
    pub intent: IntentType,
    /// The epoch the signer was in.
    pub epoch: u32,
}

fn header_bytes(intent: IntentType, epoch: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LENGTH + 80);
    out.push(intent as u8);
    out.push(INTENT_VERSION);
    out.push(APP_ID_STORAGE);
    out.extend_from_slice(&epoch.to_le_bytes());
    out
}

/// Checks the header for `intent` and returns `(epoch, body)`.
fn parse_header(
    bytes: &[u8],
    intent: IntentType,
    body_len: usize,
) -> Result<(u32, &[u8]), MessageError> {
    if bytes.len() < HEADER_LENGTH + body_len {
        return Err(MessageError::TooShort {
            got: bytes.len(),
            need: HEADER_LENGTH + body_len,
        });
    }
    if bytes[0] != intent as u8 {
        return Err(MessageError::WrongIntent {
            got: bytes[0],
            expected: intent as u8,
        });
    }
    if bytes[1] != INTENT_VERSION {
        return Err(MessageError::WrongVersion(bytes[1]));
    }
    if bytes[2] != APP_ID_STORAGE {
        return Err(MessageError::WrongAppId(bytes[2]));
    }
    let epoch = u32::from_le_bytes([bytes[3], bytes[4], bytes[5], bytes[6]]);
    Ok((epoch, &bytes[HEADER_LENGTH..]))
}

fn array32(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&bytes[..32]);
    out
}

/// "I store every sliver of every shard I own for this blob" (intent 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobCertificationMessage {
    /// The signer's current epoch.
    pub epoch: u32,
    /// The blob ID.
    pub blob_id: [u8; 32],
    /// Permanent or deletable (with the object id).
    pub persistence: BlobPersistenceType,
}

impl BlobCertificationMessage {
    /// The exact signed bytes (40 for permanent, 72 for deletable blobs, after the header).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = header_bytes(IntentType::BlobCertification, self.epoch);
        out.extend_from_slice(&self.blob_id);
        match self.persistence {
            BlobPersistenceType::Permanent => out.push(0),
            BlobPersistenceType::Deletable { object_id } => {
                out.push(1);
                out.extend_from_slice(object_id.as_bytes());
            }
        }
        out
    }

    /// Parses the signed bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        let (epoch, body) = parse_header(bytes, IntentType::BlobCertification, 33)?;
        let blob_id = array32(body);
        let persistence = match body[32] {
            0 => BlobPersistenceType::Permanent,
            1 => {
                if body.len() < 65 {
                    return Err(MessageError::TooShort {
                        got: bytes.len(),
                        need: HEADER_LENGTH + 65,
                    });
                }
                BlobPersistenceType::Deletable {
                    object_id: ObjectId(array32(&body[33..])),
                }
            }
            other => return Err(MessageError::InvalidPersistence(other)),
        };
        Ok(Self {
            epoch,
            blob_id,
            persistence,
        })
    }
}

/// "This blob ID is inconsistently encoded" (intent 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidBlobIdMessage {
    /// The signer's current epoch.
    pub epoch: u32,
    /// The invalid blob ID.
    pub blob_id: [u8; 32],
}

impl InvalidBlobIdMessage {
    /// The exact signed bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = header_bytes(IntentType::InvalidBlobId, self.epoch);
        out.extend_from_slice(&self.blob_id);
        out
    }

    /// Parses the signed bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        let (epoch, body) = parse_header(bytes, IntentType::InvalidBlobId, 32)?;
        Ok(Self {
            epoch,
            blob_id: array32(body),
        })
    }
}

/// Proof that the registrant holds a BLS key (intent 0), signed by that key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofOfPossessionMessage {
    /// The epoch at registration (or key rotation).
    pub epoch: u32,
    /// The Sui address sending the registration.
    pub sender: [u8; 32],
    /// The compressed BLS public key.
    pub public_key: [u8; 48],
}

impl ProofOfPossessionMessage {
    /// The exact signed bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = header_bytes(IntentType::ProofOfPossession, self.epoch);
        out.extend_from_slice(&self.sender);
        out.extend_from_slice(&self.public_key);
        out
    }
}

/// "Send me the slivers of this shard" (intent 3): the new owner of a shard asks its previous
/// owner for a page of the shard's slivers of one type, in blob-ID order from
/// `starting_blob_id` (inclusive), at most `sliver_count` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncShardMessage {
    /// The signer's current epoch (the header's).
    pub epoch: u32,
    /// The shard.
    pub shard_index: u16,
    /// `false`: primary slivers, `true`: secondary slivers.
    pub secondary: bool,
    /// The first blob ID of the page.
    pub starting_blob_id: [u8; 32],
    /// The most slivers wanted.
    pub sliver_count: u64,
    /// The epoch in which the requester owns the shard (the body's).
    pub request_epoch: u32,
}

/// Length of the shard sync body.
const SYNC_SHARD_BODY_LENGTH: usize = 1 + 2 + 1 + 32 + 8 + 4;

impl SyncShardMessage {
    /// The exact signed bytes (7 + 48).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = header_bytes(IntentType::SyncShard, self.epoch);
        out.push(0); // V1
        out.extend_from_slice(&self.shard_index.to_le_bytes());
        out.push(u8::from(self.secondary));
        out.extend_from_slice(&self.starting_blob_id);
        out.extend_from_slice(&self.sliver_count.to_le_bytes());
        out.extend_from_slice(&self.request_epoch.to_le_bytes());
        out
    }

    /// Parses the signed bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        let (epoch, body) = parse_header(bytes, IntentType::SyncShard, SYNC_SHARD_BODY_LENGTH)?;
        if body[0] != 0 {
            return Err(MessageError::UnknownSyncShardVersion(body[0]));
        }
        let shard_index = u16::from_le_bytes([body[1], body[2]]);
        let secondary = match body[3] {
            0 => false,
            1 => true,
            other => return Err(MessageError::InvalidSliverType(other)),
        };
        let starting_blob_id = array32(&body[4..]);
        let mut count = [0u8; 8];
        count.copy_from_slice(&body[36..44]);
        let request_epoch = u32::from_le_bytes([body[44], body[45], body[46], body[47]]);
        Ok(Self {
            epoch,
            shard_index,
            secondary,
            starting_blob_id,
            sliver_count: u64::from_le_bytes(count),
            request_epoch,
        })
    }
}

/// "This node's deny list is now ..." (intent 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DenyListUpdateMessage {
    /// The signer's current epoch.
    pub epoch: u32,
    /// The node whose deny list this is.
    pub node_id: [u8; 32],
    /// The update's sequence number.
    pub sequence_number: u64,
    /// The encoded size of the denied blobs.
    pub size: u64,
    /// The deny list's root (Move `u256`, 32 little-endian bytes).
    pub root: [u8; 32],
}

impl DenyListUpdateMessage {
    /// The exact signed bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = header_bytes(IntentType::DenyListUpdate, self.epoch);
        out.extend_from_slice(&self.node_id);
        out.extend_from_slice(&self.sequence_number.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.root);
        out
    }
}

/// "Delete this deny-listed blob" (intent 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DenyListBlobDeletedMessage {
    /// The signer's current epoch.
    pub epoch: u32,
    /// The blob to delete.
    pub blob_id: [u8; 32],
}

impl DenyListBlobDeletedMessage {
    /// The exact signed bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = header_bytes(IntentType::DenyListBlobDeleted, self.epoch);
        out.extend_from_slice(&self.blob_id);
        out
    }
}

/// "Protocol version `version` takes effect at `start_epoch`" (intent 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolVersionMessage {
    /// The signer's current epoch.
    pub epoch: u32,
    /// The first epoch of the version.
    pub start_epoch: u32,
    /// The protocol version.
    pub version: u64,
}

impl ProtocolVersionMessage {
    /// The exact signed bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = header_bytes(IntentType::ProtocolVersion, self.epoch);
        out.extend_from_slice(&self.start_epoch.to_le_bytes());
        out.extend_from_slice(&self.version.to_le_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_list_and_protocol_version_message_layout() {
        let update = DenyListUpdateMessage {
            epoch: 7,
            node_id: [5; 32],
            sequence_number: 2,
            size: 1024,
            root: [9; 32],
        }
        .to_bytes();
        let mut expected = vec![4, 0, 3, 7, 0, 0, 0];
        expected.extend_from_slice(&[5; 32]);
        expected.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(&[0, 4, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(&[9; 32]);
        assert_eq!(update, expected);
        let deleted = DenyListBlobDeletedMessage {
            epoch: 7,
            blob_id: [4; 32],
        }
        .to_bytes();
        assert_eq!(&deleted[..7], &[5, 0, 3, 7, 0, 0, 0]);
        assert_eq!(&deleted[7..], &[4; 32]);
        let version = ProtocolVersionMessage {
            epoch: 7,
            start_epoch: 9,
            version: 4,
        }
        .to_bytes();
        assert_eq!(
            version,
            [6, 0, 3, 7, 0, 0, 0, 9, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn certification_message_layout() {
        let permanent = BlobCertificationMessage {
            epoch: 0x0102_0304,
            blob_id: [0xAA; 32],
            persistence: BlobPersistenceType::Permanent,
        };
        let bytes = permanent.to_bytes();
        assert_eq!(bytes.len(), 40);
        assert_eq!(&bytes[..7], &[1, 0, 3, 4, 3, 2, 1]);
        assert_eq!(bytes[39], 0);
        assert_eq!(
            BlobCertificationMessage::from_bytes(&bytes).unwrap(),
            permanent
        );

        let deletable = BlobCertificationMessage {
            persistence: BlobPersistenceType::Deletable {
                object_id: ObjectId([7; 32]),
            },
            ..permanent
        };
        let bytes = deletable.to_bytes();
        assert_eq!(bytes.len(), 72);
        assert_eq!(
            BlobCertificationMessage::from_bytes(&bytes).unwrap(),
            deletable
        );

        // Trailing bytes are tolerated, as in Move.
        let mut longer = bytes.clone();
        longer.push(9);
        assert_eq!(
            BlobCertificationMessage::from_bytes(&longer).unwrap(),
            deletable
        );
    }

    #[test]
    fn bad_messages_are_rejected_with_the_reason() {
        let good = BlobCertificationMessage {
            epoch: 5,
            blob_id: [1; 32],
            persistence: BlobPersistenceType::Permanent,
        }
        .to_bytes();
        let with = |i: usize, v: u8| {
            let mut b = good.clone();
            b[i] = v;
            BlobCertificationMessage::from_bytes(&b)
        };
        assert_eq!(
            with(0, 2),
            Err(MessageError::WrongIntent {
                got: 2,
                expected: 1
            })
        );
        assert_eq!(with(1, 1), Err(MessageError::WrongVersion(1)));
        assert_eq!(with(2, 4), Err(MessageError::WrongAppId(4)));
        assert_eq!(with(39, 2), Err(MessageError::InvalidPersistence(2)));
        assert_eq!(
            BlobCertificationMessage::from_bytes(&good[..20]),
            Err(MessageError::TooShort { got: 20, need: 40 })
        );
        assert_eq!(
            with(39, 1),
            Err(MessageError::TooShort { got: 40, need: 72 })
        );
        let invalid = InvalidBlobIdMessage {
            epoch: 3,
            blob_id: [2; 32],
        };
        assert_eq!(
            InvalidBlobIdMessage::from_bytes(&invalid.to_bytes()).unwrap(),
            invalid
        );
        assert!(matches!(
            InvalidBlobIdMessage::from_bytes(&good),
            Err(MessageError::WrongIntent { .. })
        ));
    }

    #[test]
    fn proof_of_possession_layout() {
        let pop = ProofOfPossessionMessage {
            epoch: 1,
            sender: [3; 32],
            public_key: [4; 48],
        };
        let bytes = pop.to_bytes();
        assert_eq!(bytes.len(), 7 + 32 + 48);
        assert_eq!(&bytes[..7], &[0, 0, 3, 1, 0, 0, 0]);
    }

    #[test]
    fn sync_shard_message_layout() {
        let message = SyncShardMessage {
            epoch: 2,
            shard_index: 0x0102,
            secondary: true,
            starting_blob_id: [5; 32],
            sliver_count: 10,
            request_epoch: 2,
        };
        let bytes = message.to_bytes();
        assert_eq!(bytes.len(), 7 + 48);
        assert_eq!(&bytes[..11], &[3, 0, 3, 2, 0, 0, 0, 0, 2, 1, 1]);
        assert_eq!(&bytes[43..55], &[10, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(SyncShardMessage::from_bytes(&bytes).unwrap(), message);
        let with = |i: usize, v: u8| {
            let mut b = bytes.clone();
            b[i] = v;
            SyncShardMessage::from_bytes(&b)
        };
        assert_eq!(with(7, 1), Err(MessageError::UnknownSyncShardVersion(1)));
        assert_eq!(with(10, 2), Err(MessageError::InvalidSliverType(2)));
        assert!(matches!(
            with(0, 1),
            Err(MessageError::WrongIntent {
                got: 1,
                expected: 3
            })
        ));
        assert_eq!(
            SyncShardMessage::from_bytes(&bytes[..54]),
            Err(MessageError::TooShort { got: 54, need: 55 })
        );
    }
}
