/// Parsing of the messages signed by storage nodes. Every message starts with a 7-byte intent
/// header (intent type u8, intent version u8 = 0, app id u8 = 3, epoch u32 little-endian) and
/// the body follows without a length prefix. Bytes after the parsed body are ignored (forward
/// compatibility).
module walrus::messages;

use sui::bcs;

// === Constants ===

/// Intent type of a proof of possession of a BLS key.
const PROOF_OF_POSSESSION_MSG_TYPE: u8 = 0;
/// Intent type of a blob certification.
const BLOB_CERT_MSG_TYPE: u8 = 1;
/// Intent type of an invalid-blob-id attestation.
const INVALID_BLOB_ID_MSG_TYPE: u8 = 2;
/// The only supported intent version.
const INTENT_VERSION: u8 = 0;
/// App id of Walrus storage messages.
const APP_ID: u8 = 3;
/// BCS tag of `BlobPersistenceType::Permanent`.
const PERSISTENCE_PERMANENT: u8 = 0;
/// BCS tag of `BlobPersistenceType::Deletable`.
const PERSISTENCE_DELETABLE: u8 = 1;

// === Errors ===

/// The intent version is not 0.
const EIncorrectIntentVersion: u64 = 0;
/// The app id is not 3.
const EIncorrectAppId: u64 = 1;
/// The message was signed for an epoch other than the committee's (current) epoch.
const EIncorrectEpoch: u64 = 2;
/// The intent type is not the one the caller expects.
const EIncorrectIntentType: u64 = 3;
/// The persistence tag of a blob certification message is neither 0 nor 1.
const EInvalidPersistenceType: u64 = 4;

// === Object definitions ===

/// Whether a certified blob is permanent or deletable; a deletable blob's certificate names the
/// `Blob` object it is for. BCS: tag 0, or tag 1 followed by the 32-byte object id.
public enum BlobPersistenceType has copy, drop, store {
    Permanent,
    Deletable { object_id: ID },
}

/// A message whose certificate has been verified: header fields, the signed weight and the
/// body bytes.
public struct CertifiedMessage has drop {
    intent_type: u8,
    intent_version: u8,
    cert_epoch: u32,
    stake_support: u16,
    message: vector<u8>,
}

/// Body of a blob certification message (intent type 1).
public struct CertifiedBlobMessage has drop {
    epoch: u32,
    blob_id: u256,
    blob_persistence_type: BlobPersistenceType,
}

/// Body of an invalid blob id message (intent type 2).
public struct CertifiedInvalidBlobId has drop {
    epoch: u32,
    blob_id: u256,
}

// === Public-Package functions ===

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
    let intent_app_id = bcs_message.peel_u8();
    assert!(intent_app_id == APP_ID, EIncorrectAppId);
    let cert_epoch = bcs_message.peel_u32();
    assert!(cert_epoch == committee_epoch, EIncorrectEpoch);
    let message = bcs_message.into_remainder_bytes();
    CertifiedMessage { intent_type, intent_version, cert_epoch, stake_support, message }
}

/// Parses the body of a blob certification message.
public(package) fun certify_blob_message(message: CertifiedMessage): CertifiedBlobMessage {
    assert!(message.intent_type == BLOB_CERT_MSG_TYPE, EIncorrectIntentType);
    let epoch = message.cert_epoch;
    let mut body = bcs::new(message.message);
    let blob_id = body.peel_u256();
    let tag = body.peel_u8();
    let blob_persistence_type = if (tag == PERSISTENCE_PERMANENT) {
        BlobPersistenceType::Permanent
    } else {
        assert!(tag == PERSISTENCE_DELETABLE, EInvalidPersistenceType);
        BlobPersistenceType::Deletable { object_id: body.peel_address().to_id() }
    };
    CertifiedBlobMessage { epoch, blob_id, blob_persistence_type }
}

/// Parses the body of an invalid blob id message.
public(package) fun invalid_blob_id_message(message: CertifiedMessage): CertifiedInvalidBlobId {
    assert!(message.intent_type == INVALID_BLOB_ID_MSG_TYPE, EIncorrectIntentType);
    let epoch = message.cert_epoch;
    let mut body = bcs::new(message.message);
    let blob_id = body.peel_u256();
    CertifiedInvalidBlobId { epoch, blob_id }
}

// === Accessors ===

public fun intent_type(self: &CertifiedMessage): u8 { self.intent_type }

public fun intent_version(self: &CertifiedMessage): u8 { self.intent_version }

public fun cert_epoch(self: &CertifiedMessage): u32 { self.cert_epoch }

public fun stake_support(self: &CertifiedMessage): u16 { self.stake_support }

public fun message(self: &CertifiedMessage): &vector<u8> { &self.message }

public fun certified_blob_epoch(self: &CertifiedBlobMessage): u32 { self.epoch }

public fun certified_blob_id(self: &CertifiedBlobMessage): u256 { self.blob_id }

public fun blob_persistence_type(self: &CertifiedBlobMessage): BlobPersistenceType {
    self.blob_persistence_type
}

public fun invalid_blob_id(self: &CertifiedInvalidBlobId): u256 { self.blob_id }

public fun invalid_epoch(self: &CertifiedInvalidBlobId): u32 { self.epoch }

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
/// An invalid blob id message for `blob_id`.
public fun invalid_blob_id_message_bytes_for_testing(epoch: u32, blob_id: u256): vector<u8> {
    message_bytes_for_testing(INVALID_BLOB_ID_MSG_TYPE, epoch, sui::bcs::to_bytes(&blob_id))
}
