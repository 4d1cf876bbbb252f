/// Parsing of the messages signed by storage nodes. Every message starts with a 7-byte intent
/// header (intent type u8, intent version u8 = 0, app id u8 = 3, epoch u32 little-endian) and
/// the body follows without a length prefix. Bytes after the parsed body are ignored (forward
/// compatibility).
module walrus::messages;

use sui::bcs::{Self, BCS};
use sui::bls12381;

// === Constants ===

/// App id of Walrus storage messages.
const APP_ID: u8 = 3;
/// The only supported intent version.
const INTENT_VERSION: u8 = 0;
/// Length of a compressed BLS12-381 G1 public key.
const BLS_KEY_LEN: u64 = 48;

/// Intent types (the first header byte).
const PROOF_OF_POSSESSION_MSG_TYPE: u8 = 0;
const BLOB_CERT_MSG_TYPE: u8 = 1;
const INVALID_BLOB_ID_MSG_TYPE: u8 = 2;
#[allow(unused_const)]
const SYNC_SHARD_MSG_TYPE: u8 = 3;
const DENY_LIST_UPDATE_MSG_TYPE: u8 = 4;
const DENY_LIST_BLOB_DELETED_MSG_TYPE: u8 = 5;
const PROTOCOL_VERSION_MSG_TYPE: u8 = 6;

// === Errors (numbered as in Walrus mainnet) ===

/// The app id is not 3.
const EIncorrectAppId: u64 = 0;
/// The message was signed for an epoch other than the committee's (current) epoch.
const EIncorrectEpoch: u64 = 1;
/// The intent type is not the one the caller expects.
const EInvalidMsgType: u64 = 2;
/// The intent version is not 0.
const EIncorrectIntentVersion: u64 = 3;
/// The persistence tag of a blob certification message is neither 0 nor 1.
const EInvalidBlobPersistenceType: u64 = 4;
/// The object id of a `Permanent` persistence type was asked for.
const ENotDeletable: u64 = 5;
/// A proof-of-possession key is not 48 bytes long.
const EInvalidKeyLength: u64 = 6;

// === Object definitions ===

/// The message a storage node signs with its BLS key to prove it holds the secret key:
/// `intent_type (0) ‖ intent_version (0) ‖ app (3) ‖ epoch (u32) ‖ sui_address ‖ key bytes`
/// (the key's 48 bytes without a length prefix).
public struct ProofOfPossessionMessage has drop {
    intent_type: u8,
    intent_version: u8,
    intent_app: u8,
    epoch: u32,
    sui_address: address,
    bls_key: vector<u8>,
}

/// A message whose certificate has been verified: header fields, the body bytes, and the
/// signed weight (which is not part of the signed bytes).
public struct CertifiedMessage has drop {
    intent_type: u8,
    intent_version: u8,
    cert_epoch: u32,
    message: vector<u8>,
    stake_support: u16,
}

/// Whether a certified blob is permanent or deletable; a deletable blob's certificate names the
/// `Blob` object it is for. BCS: tag 0, or tag 1 followed by the 32-byte object id.
public enum BlobPersistenceType has copy, drop {
    Permanent,
    Deletable { object_id: ID },
}

/// Body of a blob certification message (intent type 1).
public struct CertifiedBlobMessage has drop {
    blob_id: u256,
    blob_persistence_type: BlobPersistenceType,
}

/// Body of an invalid blob id message (intent type 2).
public struct CertifiedInvalidBlobId has drop {
    blob_id: u256,
}

/// Body of a protocol version message (intent type 6): the version that takes effect at
/// `start_epoch`.
public struct ProtocolVersionMessage has drop {
    start_epoch: u32,
    protocol_version: u64,
}

/// Body of a deny list update message (intent type 4): a node's new deny list.
public struct DenyListUpdateMessage has drop {
    storage_node_id: ID,
    deny_list_sequence_number: u64,
    deny_list_size: u64,
    deny_list_root: u256,
}

/// Body of a deny-listed blob deletion message (intent type 5).
public struct DenyListBlobDeleted has drop {
    blob_id: u256,
}

// === Proof of possession ===

/// The proof-of-possession message of `bls_key` for `epoch` and `sui_address`; aborts with
/// `EInvalidKeyLength` unless the key is 48 bytes.
public(package) fun new_proof_of_possession_msg(
    epoch: u32,
    sui_address: address,
    bls_key: vector<u8>,
): ProofOfPossessionMessage {
    assert!(bls_key.length() == BLS_KEY_LEN, EInvalidKeyLength);
    ProofOfPossessionMessage {
        intent_type: PROOF_OF_POSSESSION_MSG_TYPE,
        intent_version: INTENT_VERSION,
        intent_app: APP_ID,
        epoch,
        sui_address,
        bls_key,
    }
}

/// The signed bytes of a proof-of-possession message.
public(package) fun to_bcs(self: &ProofOfPossessionMessage): vector<u8> {
    let mut bytes = vector[self.intent_type, self.intent_version, self.intent_app];
    bytes.append(bcs::to_bytes(&self.epoch));
    bytes.append(bcs::to_bytes(&self.sui_address));
    bytes.append(self.bls_key);
    bytes
}

/// Whether `pop_signature` is the key's BLS min_pk signature over the message.
public(package) fun verify_proof_of_possession(
    self: &ProofOfPossessionMessage,
    pop_signature: vector<u8>,
): bool {
    bls12381::bls12381_min_pk_verify(&pop_signature, &self.bls_key, &self.to_bcs())
}

// === Certified messages ===

/// Parses the intent header of `message_bytes` and checks the version, app id and that the
/// message was signed in `committee_epoch`. `stake_support` is the signed weight.
public(package) fun new_certified_message(
    message_bytes: vector<u8>,
    committee_epoch: u32,
    stake_support: u16,
): CertifiedMessage {
    let mut bcs_message = bcs::new(message_bytes);
    let intent_type = bcs_message.peel_u8();
    let intent_version = bcs_message.peel_u8();
    assert!(intent_version == INTENT_VERSION, EIncorrectIntentVersion);
    let intent_app = bcs_message.peel_u8();
    assert!(intent_app == APP_ID, EIncorrectAppId);
    let cert_epoch = bcs_message.peel_u32();
    assert!(cert_epoch == committee_epoch, EIncorrectEpoch);
    let message = bcs_message.into_remainder_bytes();
    CertifiedMessage { intent_type, intent_version, cert_epoch, message, stake_support }
}

/// Parses the body of a blob certification message. Bytes after the body are ignored.
public(package) fun certify_blob_message(message: CertifiedMessage): CertifiedBlobMessage {
    assert!(message.intent_type == BLOB_CERT_MSG_TYPE, EInvalidMsgType);
    let mut body = bcs::new(message.into_message());
    let blob_id = body.peel_u256();
    let blob_persistence_type = peel_blob_persistence_type(&mut body);
    CertifiedBlobMessage { blob_id, blob_persistence_type }
}

/// The certification of an event blob: permanent, with no signed message of its own (the
/// nodes' attestations are counted by the system).
public(package) fun certified_event_blob_message(blob_id: u256): CertifiedBlobMessage {
    CertifiedBlobMessage { blob_id, blob_persistence_type: BlobPersistenceType::Permanent }
}

/// Parses the body of an invalid blob id message.
public(package) fun invalid_blob_id_message(message: CertifiedMessage): CertifiedInvalidBlobId {
    assert!(message.intent_type == INVALID_BLOB_ID_MSG_TYPE, EInvalidMsgType);
    let mut body = bcs::new(message.into_message());
    CertifiedInvalidBlobId { blob_id: body.peel_u256() }
}

/// Parses the body of a protocol version message.
public(package) fun protocol_version_message(message: CertifiedMessage): ProtocolVersionMessage {
    assert!(message.intent_type == PROTOCOL_VERSION_MSG_TYPE, EInvalidMsgType);
    let mut body = bcs::new(message.into_message());
    let start_epoch = body.peel_u32();
    let protocol_version = body.peel_u64();
    ProtocolVersionMessage { start_epoch, protocol_version }
}

/// Parses the body of a deny list update message.
public(package) fun deny_list_update_message(message: CertifiedMessage): DenyListUpdateMessage {
    assert!(message.intent_type == DENY_LIST_UPDATE_MSG_TYPE, EInvalidMsgType);
    let mut body = bcs::new(message.into_message());
    let storage_node_id = body.peel_address().to_id();
    let deny_list_sequence_number = body.peel_u64();
    let deny_list_size = body.peel_u64();
    let deny_list_root = body.peel_u256();
    DenyListUpdateMessage { storage_node_id, deny_list_sequence_number, deny_list_size, deny_list_root }
}

/// Parses the body of a deny-listed blob deletion message.
public(package) fun deny_list_blob_deleted_message(message: CertifiedMessage): DenyListBlobDeleted {
    assert!(message.intent_type == DENY_LIST_BLOB_DELETED_MSG_TYPE, EInvalidMsgType);
    let mut body = bcs::new(message.into_message());
    DenyListBlobDeleted { blob_id: body.peel_u256() }
}

/// Peels a `BlobPersistenceType` (tag 0, or tag 1 and an object id); aborts with
/// `EInvalidBlobPersistenceType` on any other tag.
public(package) fun peel_blob_persistence_type(bcs: &mut BCS): BlobPersistenceType {
    let tag = bcs.peel_u8();
    if (tag == 0) return BlobPersistenceType::Permanent;
    if (tag == 1) return BlobPersistenceType::Deletable { object_id: bcs.peel_address().to_id() };
    abort EInvalidBlobPersistenceType
}

/// The body of a certified message.
public(package) fun into_message(self: CertifiedMessage): vector<u8> {
    let CertifiedMessage { message, .. } = self;
    message
}

// === Accessors (read-only, public in this package) ===

public fun intent_type(self: &CertifiedMessage): u8 { self.intent_type }

public fun intent_version(self: &CertifiedMessage): u8 { self.intent_version }

public fun cert_epoch(self: &CertifiedMessage): u32 { self.cert_epoch }

public fun stake_support(self: &CertifiedMessage): u16 { self.stake_support }

public fun message(self: &CertifiedMessage): &vector<u8> { &self.message }

public fun certified_blob_id(self: &CertifiedBlobMessage): u256 { self.blob_id }

public fun blob_persistence_type(self: &CertifiedBlobMessage): BlobPersistenceType {
    self.blob_persistence_type
}

public fun invalid_blob_id(self: &CertifiedInvalidBlobId): u256 { self.blob_id }

public(package) fun start_epoch(self: &ProtocolVersionMessage): u32 { self.start_epoch }

public(package) fun protocol_version(self: &ProtocolVersionMessage): u64 { self.protocol_version }

public(package) fun storage_node_id(self: &DenyListUpdateMessage): ID { self.storage_node_id }

public(package) fun sequence_number(self: &DenyListUpdateMessage): u64 {
    self.deny_list_sequence_number
}

public(package) fun size(self: &DenyListUpdateMessage): u64 { self.deny_list_size }

public(package) fun root(self: &DenyListUpdateMessage): u256 { self.deny_list_root }

public(package) fun blob_id(self: &DenyListBlobDeleted): u256 { self.blob_id }

/// The permanent persistence type.
public fun permanent(): BlobPersistenceType { BlobPersistenceType::Permanent }

/// The deletable persistence type for `object_id`.
public fun deletable(object_id: ID): BlobPersistenceType {
    BlobPersistenceType::Deletable { object_id }
}

/// Whether the persistence type is `Deletable`.
public fun is_deletable(self: &BlobPersistenceType): bool {
    match (self) {
        BlobPersistenceType::Permanent => false,
        BlobPersistenceType::Deletable { .. } => true,
    }
}

/// The object id of a `Deletable` persistence type; aborts with `ENotDeletable` for `Permanent`.
public fun object_id(self: &BlobPersistenceType): ID {
    match (self) {
        BlobPersistenceType::Permanent => abort ENotDeletable,
        BlobPersistenceType::Deletable { object_id } => *object_id,
    }
}

/// The object id of a `Deletable` persistence type, none for `Permanent`.
public fun deletable_object_id(self: &BlobPersistenceType): Option<ID> {
    match (self) {
        BlobPersistenceType::Permanent => option::none(),
        BlobPersistenceType::Deletable { object_id } => option::some(*object_id),
    }
}

/// Intent type constants, for the Rust twins and other modules.
public fun proof_of_possession_msg_type(): u8 { PROOF_OF_POSSESSION_MSG_TYPE }

public fun blob_cert_msg_type(): u8 { BLOB_CERT_MSG_TYPE }

public fun invalid_blob_id_msg_type(): u8 { INVALID_BLOB_ID_MSG_TYPE }

public fun intent_version_value(): u8 { INTENT_VERSION }

public fun app_id(): u8 { APP_ID }

// === Test-only ===

#[test_only]
/// The 7-byte header plus body, as a node would sign it.
public fun message_bytes_for_testing(intent_type: u8, epoch: u32, body: vector<u8>): vector<u8> {
    let mut bytes = vector[intent_type, INTENT_VERSION, APP_ID];
    bytes.append(sui::bcs::to_bytes(&epoch));
    bytes.append(body);
    bytes
}

#[test_only]
/// A blob certification message for `blob_id` with the given persistence type.
public fun certified_blob_message_bytes_for_testing(
    epoch: u32,
    blob_id: u256,
    persistence: BlobPersistenceType,
): vector<u8> {
    let mut body = sui::bcs::to_bytes(&blob_id);
    body.append(sui::bcs::to_bytes(&persistence));
    message_bytes_for_testing(BLOB_CERT_MSG_TYPE, epoch, body)
}

#[test_only]
/// A protocol version message: `protocol_version` from `start_epoch`.
public fun protocol_version_message_bytes_for_testing(
    epoch: u32,
    start_epoch: u32,
    protocol_version: u64,
): vector<u8> {
    let mut body = sui::bcs::to_bytes(&start_epoch);
    body.append(sui::bcs::to_bytes(&protocol_version));
    message_bytes_for_testing(PROTOCOL_VERSION_MSG_TYPE, epoch, body)
}

#[test_only]
/// A deny list update message for `node_id`.
public fun deny_list_update_message_bytes_for_testing(
    epoch: u32,
    node_id: ID,
    sequence_number: u64,
    size: u64,
    root: u256,
): vector<u8> {
    let mut body = sui::bcs::to_bytes(&node_id);
    body.append(sui::bcs::to_bytes(&sequence_number));
    body.append(sui::bcs::to_bytes(&size));
    body.append(sui::bcs::to_bytes(&root));
    message_bytes_for_testing(DENY_LIST_UPDATE_MSG_TYPE, epoch, body)
}

#[test_only]
/// A deny-listed blob deletion message for `blob_id`.
public fun deny_list_blob_deleted_message_bytes_for_testing(epoch: u32, blob_id: u256): vector<u8> {
    message_bytes_for_testing(DENY_LIST_BLOB_DELETED_MSG_TYPE, epoch, sui::bcs::to_bytes(&blob_id))
}

#[test_only]
/// An invalid blob id message for `blob_id`.
public fun invalid_blob_id_message_bytes_for_testing(epoch: u32, blob_id: u256): vector<u8> {
    message_bytes_for_testing(INVALID_BLOB_ID_MSG_TYPE, epoch, sui::bcs::to_bytes(&blob_id))
}
