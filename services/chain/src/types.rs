//! What the control plane reports: the ordered stream of executed transactions, each with its
//! events and object changes. These types are the same for every backend (devnet or Sui).

use serde::{Deserialize, Serialize};
use sui_sdk_types::{Address, Digest};

/// Position in the transaction stream: the sequence number of a transaction (1, 2, ...).
/// Readers resume "after cursor c", so 0 means "from the beginning".
pub type Cursor = u64;

/// An object id (32 bytes, printed like a Sui address).
pub type ObjectId = Address;

/// Who owns an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Owner {
    /// Owned by an account.
    Address(Address),
    /// Shared: anyone may use it in a transaction.
    Shared,
    /// Frozen.
    Immutable,
    /// Held inside another object (for example a table entry), addressed through its parent.
    Object(ObjectId),
}

/// How a transaction changed an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeKind {
    /// The object was created.
    Created,
    /// Its contents changed (owner unchanged).
    Mutated,
    /// Its owner changed (contents may also have changed).
    Transferred,
    /// It was deleted (or wrapped into another object).
    Deleted,
}

/// One object change of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectChange {
    /// What happened.
    pub kind: ChangeKind,
    /// The object.
    pub object_id: ObjectId,
    /// Full Move type, for example `0x…::blob::Blob`.
    pub object_type: String,
    /// The version after the change (for deletions, the version deleted at).
    pub version: u64,
    /// The owner after the change (`None` for deletions).
    pub owner: Option<Owner>,
    /// BCS of the Move value after the change (`None` for deletions).
    #[serde(with = "opt_bytes")]
    pub contents: Option<Vec<u8>>,
}

/// One event of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Index within its transaction.
    pub event_index: u32,
    /// Full Move type, for example `0x…::events::BlobRegistered`.
    pub event_type: String,
    /// BCS of the event struct, as Move's `bcs::to_bytes` gives it.
    #[serde(with = "bytes")]
    pub bcs: Vec<u8>,
}

/// Whether a transaction's call succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExecutionStatus {
    /// Applied.
    Success,
    /// Aborted: no state changed except the sender's nonce.
    Failure(ExecutionFailure),
}

/// Why a call aborted, as Move would report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{module}::{reason} (abort code {code})")]
pub struct ExecutionFailure {
    /// The Move module that aborted, for example `walrus::blob`.
    pub module: String,
    /// The abort code (the Move constant's value).
    pub code: u64,
    /// The constant's name and any detail, for people.
    pub reason: String,
}

/// One executed transaction, as streamed to nodes and indexers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionRecord {
    /// Position in the stream.
    pub cursor: Cursor,
    /// Transaction digest.
    pub digest: Digest,
    /// The signing account.
    pub sender: Address,
    /// Ledger time when it executed, in milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Success or the abort.
    pub status: ExecutionStatus,
    /// Events, in emission order (none when it failed).
    pub events: Vec<EventRecord>,
    /// Object changes (none when it failed).
    pub object_changes: Vec<ObjectChange>,
}

/// Byte fields: base64 text in human-readable formats (JSON), raw bytes in BCS.
pub mod bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes `bytes`.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&STANDARD.encode(bytes))
        } else {
            s.serialize_bytes(bytes)
        }
    }

    /// Deserializes bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            STANDARD.decode(text).map_err(serde::de::Error::custom)
        } else {
            Vec::<u8>::deserialize(d)
        }
    }
}

/// Optional byte fields, as [`bytes`].
pub mod opt_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Wrapped(#[serde(with = "super::bytes")] Vec<u8>);

    /// Serializes optional bytes.
    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_some(&Wrapped(b.clone())),
            None => s.serialize_none(),
        }
    }

    /// Deserializes optional bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> TransactionRecord {
        TransactionRecord {
            cursor: 3,
            digest: Digest::new([5; 32]),
            sender: Address::new([6; 32]),
            timestamp_ms: 99,
            status: ExecutionStatus::Success,
            events: vec![EventRecord {
                event_index: 0,
                event_type: "0x1::m::E".into(),
                bcs: vec![1, 2, 3],
            }],
            object_changes: vec![ObjectChange {
                kind: ChangeKind::Created,
                object_id: Address::new([7; 32]),
                object_type: "0x1::m::O".into(),
                version: 1,
                owner: Some(Owner::Shared),
                contents: Some(vec![9]),
            }],
        }
    }

    #[test]
    fn records_round_trip_through_json_and_bcs() {
        let r = record();
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"bcs\":\"AQID\""), "{json}");
        assert_eq!(serde_json::from_str::<TransactionRecord>(&json).unwrap(), r);
        let bytes = bcs::to_bytes(&r).unwrap();
        assert_eq!(bcs::from_bytes::<TransactionRecord>(&bytes).unwrap(), r);
    }
}
