//! The JSON types of the API: envelopes, statuses, signed confirmations and health.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The error domain of this implementation's error details.
pub const ERROR_DOMAIN: &str = "storage.walrus.space";

/// `{"success": {"code": <http code>, "data": <T>}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuccessEnvelope<T> {
    /// The payload.
    pub success: SuccessBody<T>,
}

/// The inside of a [`SuccessEnvelope`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuccessBody<T> {
    /// The HTTP status code.
    pub code: u16,
    /// The data.
    pub data: T,
}

impl<T> SuccessEnvelope<T> {
    /// Wraps `data` with `code`.
    pub fn new(code: u16, data: T) -> Self {
        Self {
            success: SuccessBody { code, data },
        }
    }
}

/// `{"error": {"code", "message", "status", "details": [...]}}` (AIP-193).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// The inside of an [`ErrorEnvelope`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The HTTP status code.
    pub code: u16,
    /// A message for people.
    pub message: String,
    /// The canonical status name (`INVALID_ARGUMENT`, `NOT_FOUND`, ...).
    pub status: String,
    /// Machine-readable details; one `ErrorInfo`.
    pub details: Vec<ErrorInfo>,
}

/// An AIP-193 `ErrorInfo` detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// Always `"ErrorInfo"`.
    #[serde(rename = "@type")]
    pub type_: String,
    /// A stable UPPER_SNAKE reason, e.g. `BLOB_ID_MISMATCH`.
    pub reason: String,
    /// [`ERROR_DOMAIN`].
    pub domain: String,
    /// Extra context.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

impl ErrorEnvelope {
    /// An error with one `ErrorInfo` detail.
    pub fn new(code: u16, status: &str, reason: &str, message: impl Into<String>) -> Self {
        Self {
            error: ErrorBody {
                code,
                message: message.into(),
                status: status.to_owned(),
                details: vec![ErrorInfo {
                    type_: "ErrorInfo".to_owned(),
                    reason: reason.to_owned(),
                    domain: ERROR_DOMAIN.to_owned(),
                    metadata: BTreeMap::new(),
                }],
            },
        }
    }

    /// The reason of the first detail, if any.
    pub fn reason(&self) -> Option<&str> {
        self.error.details.first().map(|d| d.reason.as_str())
    }
}

/// Whether a node holds metadata or a sliver: `"nonexistent" | "buffered" | "stored"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StoredOnNodeStatus {
    /// Not held.
    Nonexistent,
    /// Held in the pending buffer, waiting for registration.
    Buffered,
    /// Stored durably.
    Stored,
}

/// A message and the node's BLS signature over its exact bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedMessage {
    /// The message bytes (base64 in JSON).
    #[serde(with = "b64")]
    pub serialized_message: Vec<u8>,
    /// The 96-byte BLS signature (base64 in JSON).
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
}

impl SignedMessage {
    /// The BCS form (`vector<u8>` message ‖ `vector<u8>` signature), the body of
    /// `POST /v1/migrate/sync_shard`.
    pub fn to_bcs(&self) -> Vec<u8> {
        // Two byte vectors: BCS encoding cannot fail.
        bcs::to_bytes(&(&self.serialized_message, &self.signature)).unwrap_or_default()
    }

    /// Decodes the BCS form; the whole input must be consumed.
    pub fn from_bcs(bytes: &[u8]) -> Result<Self, walrus_core::BcsError> {
        let (serialized_message, signature): (Vec<u8>, Vec<u8>) =
            bcs::from_bytes(bytes).map_err(|e| walrus_core::BcsError::Deserialize {
                type_name: "SignedMessage",
                reason: e.to_string(),
            })?;
        Ok(Self {
            serialized_message,
            signature,
        })
    }
}

/// A storage confirmation: `{"signed": {"serializedMessage", "signature"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StorageConfirmation {
    /// Signed over a blob certification message.
    Signed(SignedMessage),
}

/// An event's position: `{"txDigest", "eventSeq"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventId {
    /// The transaction digest (base58 as Sui prints it).
    pub tx_digest: String,
    /// Index of the event within its transaction.
    pub event_seq: u64,
}

/// Counts of deletable blob objects for a blob ID.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletableCounts {
    /// Registered, live deletable objects.
    pub count_deletable_total: u32,
    /// Of those, the certified ones.
    pub count_deletable_certified: u32,
}

/// The status of a blob ID as a node derives it from events (externally tagged, camelCase).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BlobStatus {
    /// No live registration known.
    Nonexistent,
    /// Marked invalid.
    #[serde(rename_all = "camelCase")]
    Invalid {
        /// The `InvalidBlobID` event.
        event: EventId,
    },
    /// At least one live permanent registration.
    #[serde(rename_all = "camelCase")]
    Permanent {
        /// The latest end epoch of the permanent objects.
        end_epoch: u32,
        /// Whether some permanent object is certified.
        is_certified: bool,
        /// The event that set this status.
        status_event: EventId,
        /// Deletable objects of the same blob ID.
        deletable_counts: DeletableCounts,
        /// The first epoch in which the blob was certified.
        initial_certified_epoch: Option<u32>,
    },
    /// Only deletable registrations.
    #[serde(rename_all = "camelCase")]
    Deletable {
        /// The first epoch in which the blob was certified.
        initial_certified_epoch: Option<u32>,
        /// Deletable object counts.
        deletable_counts: DeletableCounts,
    },
}

/// Progress of the node's event processing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventProgress {
    /// Events (transactions) processed and persisted.
    pub persisted: u64,
    /// Transactions known on chain but not yet processed.
    pub pending: u64,
    /// The cursor of the last transaction fully processed.
    pub highest_finished_event_index: u64,
}

/// Counts of owned shards by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnedShardStatus {
    /// Unknown state.
    pub unknown: usize,
    /// Ready: accepting and serving slivers.
    pub ready: usize,
    /// Being transferred from a previous owner.
    pub in_transfer: usize,
    /// Being recovered.
    pub in_recovery: usize,
}

/// Summary of the node's shards.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardSummary {
    /// Shards owned in the current committee.
    pub owned: usize,
    /// Their states.
    pub owned_shard_status: OwnedShardStatus,
    /// Shards held read-only (no longer owned, not yet handed over).
    pub read_only: usize,
}

/// One shard and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardStatusDetail {
    /// The shard index.
    pub shard: u16,
    /// `unknown` | `ready` | `inTransfer` | `inRecovery` | `readOnly`.
    pub status: String,
}

/// Per-shard detail (`?detailed=true`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardDetail {
    /// Owned shards.
    pub owned: Vec<ShardStatusDetail>,
    /// Other shards with data on this node.
    pub other: Vec<ShardStatusDetail>,
}

/// `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceHealthInfo {
    /// Seconds since the node started.
    pub uptime: u64,
    /// The current epoch as the node sees it.
    pub epoch: u32,
    /// The node's BLS public key (base64).
    pub public_key: String,
    /// `Active` when in the committee, `Standby` otherwise.
    pub node_status: String,
    /// Event processing progress.
    pub event_progress: EventProgress,
    /// Shards.
    pub shard_summary: ShardSummary,
    /// Per-shard detail when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_detail: Option<ShardDetail>,
}

mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_and_statuses_have_the_reference_json_shape() {
        let ok = SuccessEnvelope::new(200, StoredOnNodeStatus::Stored);
        assert_eq!(
            serde_json::to_string(&ok).ok().as_deref(),
            Some(r#"{"success":{"code":200,"data":"stored"}}"#)
        );
        let err = ErrorEnvelope::new(400, "INVALID_ARGUMENT", "BLOB_ID_MISMATCH", "bad");
        assert_eq!(
            serde_json::to_string(&err).ok().as_deref(),
            Some(
                r#"{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT","details":[{"@type":"ErrorInfo","reason":"BLOB_ID_MISMATCH","domain":"storage.walrus.space","metadata":{}}]}}"#
            )
        );
        let signed = StorageConfirmation::Signed(SignedMessage {
            serialized_message: vec![1, 2],
            signature: vec![3],
        });
        assert_eq!(
            serde_json::to_string(&signed).ok().as_deref(),
            Some(r#"{"signed":{"serializedMessage":"AQI=","signature":"Aw=="}}"#)
        );
        let status = BlobStatus::Deletable {
            initial_certified_epoch: Some(3),
            deletable_counts: DeletableCounts {
                count_deletable_total: 2,
                count_deletable_certified: 1,
            },
        };
        assert_eq!(
            serde_json::to_string(&status).ok().as_deref(),
            Some(
                r#"{"deletable":{"initialCertifiedEpoch":3,"deletableCounts":{"count_deletable_total":2,"count_deletable_certified":1}}}"#
            )
        );
        assert_eq!(
            serde_json::to_string(&BlobStatus::Nonexistent)
                .ok()
                .as_deref(),
            Some(r#""nonexistent""#)
        );
    }
}
