//! The JSON types of the API: envelopes, statuses, signed confirmations and health.

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

/// The error domain of the publisher/aggregator daemon's errors (the reference's
/// `DAEMON_ERROR_DOMAIN`).
pub const DAEMON_ERROR_DOMAIN: &str = "daemon.walrus.space";

/// The error domain of errors that are not specific to a service (the reference's
/// `GLOBAL_ERROR_DOMAIN`; internal errors use it).
pub const GLOBAL_ERROR_DOMAIN: &str = "global";

/// The general class of an error, with its canonical name and HTTP status: the reference's
/// table (MystenLabs/walrus `walrus-storage-node-client` `api::errors::StatusCode`). Several
/// classes share an HTTP status; an error body whose `status` and `code` are not a row of this
/// table is refused by the reference's client, and by ours ([`ErrorEnvelope::status_code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiStatus {
    /// The client gave an argument that is wrong whatever the state of the system.
    InvalidArgument,
    /// The system is not in the state the operation needs (not registered yet, metadata not
    /// uploaded yet, shard not owned by this node).
    FailedPrecondition,
    /// The resource does not exist here.
    NotFound,
    /// The caller is known but may not do this.
    PermissionDenied,
    /// The resource exceeds the size this service is configured for.
    SizeExceeded,
    /// The caller did not authenticate.
    Unauthenticated,
    /// The requested range cannot be served.
    RangeNotSatisfiable,
    /// A quota or limit is exhausted (retry later).
    ResourceExhausted,
    /// The service is unavailable for now (retry with backoff).
    Unavailable,
    /// The deadline expired.
    DeadlineExceeded,
    /// Blocked for legal reasons.
    UnavailableForLegalReasons,
    /// An invariant of the service broke.
    Internal,
}

impl ApiStatus {
    /// Every class, for tables and tests.
    pub const ALL: [ApiStatus; 12] = [
        Self::InvalidArgument,
        Self::FailedPrecondition,
        Self::NotFound,
        Self::PermissionDenied,
        Self::SizeExceeded,
        Self::Unauthenticated,
        Self::RangeNotSatisfiable,
        Self::ResourceExhausted,
        Self::Unavailable,
        Self::DeadlineExceeded,
        Self::UnavailableForLegalReasons,
        Self::Internal,
    ];

    /// The HTTP status answered with this class.
    pub const fn http_code(self) -> u16 {
        match self {
            Self::InvalidArgument | Self::FailedPrecondition => 400,
            Self::Unauthenticated => 401,
            Self::PermissionDenied | Self::SizeExceeded => 403,
            Self::NotFound => 404,
            Self::RangeNotSatisfiable => 416,
            Self::ResourceExhausted => 429,
            Self::UnavailableForLegalReasons => 451,
            Self::Internal => 500,
            Self::Unavailable => 503,
            Self::DeadlineExceeded => 504,
        }
    }

    /// The canonical name (`status` in the body).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "INVALID_ARGUMENT",
            Self::FailedPrecondition => "FAILED_PRECONDITION",
            Self::NotFound => "NOT_FOUND",
            Self::PermissionDenied => "PERMISSION_DENIED",
            Self::SizeExceeded => "SIZE_EXCEEDED",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::RangeNotSatisfiable => "RANGE_NOT_SATISFIABLE",
            Self::ResourceExhausted => "RESOURCE_EXHAUSTED",
            Self::Unavailable => "UNAVAILABLE",
            Self::DeadlineExceeded => "DEADLINE_EXCEEDED",
            Self::UnavailableForLegalReasons => "UNAVAILABLE_FOR_LEGAL_REASONS",
            Self::Internal => "INTERNAL",
        }
    }

    /// The class of a body's (`code`, `status`) pair, when the pair is a row of the table.
    pub fn from_fields(code: u16, status: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.http_code() == code && s.as_str() == status)
    }
}

/// `{"error": {"code", "message", "status", "details": [...]}}` (AIP-193).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// The inside of an [`ErrorEnvelope`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorInfo {
    /// Always `"ErrorInfo"`.
    #[serde(rename = "@type")]
    pub type_: String,
    /// A stable UPPER_SNAKE reason, e.g. `NOT_REGISTERED`; unique within the domain.
    pub reason: String,
    /// [`ERROR_DOMAIN`], or [`GLOBAL_ERROR_DOMAIN`] for internal errors.
    pub domain: String,
    /// The error's arguments as JSON values (for example `{"request_epoch": 3,
    /// "server_epoch": 4}`), so that receivers need not parse the message.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl ErrorEnvelope {
    /// An error of class `status` with one `ErrorInfo` detail in `domain`.
    pub fn new(status: ApiStatus, domain: &str, reason: &str, message: impl Into<String>) -> Self {
        Self {
            error: ErrorBody {
                code: status.http_code(),
                message: message.into(),
                status: status.as_str().to_owned(),
                details: vec![ErrorInfo {
                    type_: "ErrorInfo".to_owned(),
                    reason: reason.to_owned(),
                    domain: domain.to_owned(),
                    metadata: serde_json::Map::new(),
                }],
            },
        }
    }

    /// Adds `metadata` to the `ErrorInfo` detail.
    pub fn with_metadata(mut self, metadata: serde_json::Map<String, serde_json::Value>) -> Self {
        if let Some(info) = self.error.details.first_mut() {
            info.metadata.extend(metadata);
        }
        self
    }

    /// The reason of the first detail, if any.
    pub fn reason(&self) -> Option<&str> {
        self.error.details.first().map(|d| d.reason.as_str())
    }

    /// The class of the error, when its `code` and `status` agree as the reference's table
    /// says.
    pub fn status_code(&self) -> Option<ApiStatus> {
        ApiStatus::from_fields(self.error.code, &self.error.status)
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
    /// Index of the event within its transaction: a decimal string in JSON, as Sui and the
    /// reference write it (a number is accepted too).
    #[serde(with = "u64_string")]
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
        let err = ErrorEnvelope::new(
            ApiStatus::InvalidArgument,
            ERROR_DOMAIN,
            "BLOB_ID_MISMATCH",
            "bad",
        );
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
        // Sui and the reference write an event's sequence number as a decimal string.
        let invalid = BlobStatus::Invalid {
            event: EventId {
                tx_digest: "D".to_owned(),
                event_seq: 7,
            },
        };
        let text = serde_json::to_string(&invalid).unwrap();
        assert_eq!(
            text,
            r#"{"invalid":{"event":{"txDigest":"D","eventSeq":"7"}}}"#
        );
        assert_eq!(serde_json::from_str::<BlobStatus>(&text).unwrap(), invalid);
        let number = r#"{"invalid":{"event":{"txDigest":"D","eventSeq":7}}}"#;
        assert_eq!(serde_json::from_str::<BlobStatus>(number).unwrap(), invalid);
        assert!(
            serde_json::from_str::<BlobStatus>(
                r#"{"invalid":{"event":{"txDigest":"D","eventSeq":"x"}}}"#
            )
            .is_err()
        );
    }

    #[test]
    fn status_classes_are_the_reference_table() {
        // (code, status) rows of the reference's `StatusCode` table, "OK" aside.
        let table = [
            (451, "UNAVAILABLE_FOR_LEGAL_REASONS"),
            (400, "INVALID_ARGUMENT"),
            (404, "NOT_FOUND"),
            (400, "FAILED_PRECONDITION"),
            (403, "PERMISSION_DENIED"),
            (403, "SIZE_EXCEEDED"),
            (500, "INTERNAL"),
            (504, "DEADLINE_EXCEEDED"),
            (401, "UNAUTHENTICATED"),
            (416, "RANGE_NOT_SATISFIABLE"),
            (429, "RESOURCE_EXHAUSTED"),
            (503, "UNAVAILABLE"),
        ];
        assert_eq!(table.len(), ApiStatus::ALL.len());
        for (code, status) in table {
            let class = ApiStatus::from_fields(code, status)
                .unwrap_or_else(|| panic!("({code}, {status}) is a row"));
            assert_eq!((class.http_code(), class.as_str()), (code, status));
        }
        // Pairs that are not rows: what this node answered before (409/421 preconditions).
        assert_eq!(ApiStatus::from_fields(409, "FAILED_PRECONDITION"), None);
        assert_eq!(ApiStatus::from_fields(421, "FAILED_PRECONDITION"), None);
        assert_eq!(ApiStatus::from_fields(404, "INVALID_ARGUMENT"), None);
    }
}

/// A `u64` written as a decimal string (Sui's JSON for `BigInt` fields), read from a string or
/// a number.
mod u64_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Text(String),
        Number(u64),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        match Either::deserialize(deserializer)? {
            Either::Number(n) => Ok(n),
            Either::Text(text) => text
                .parse()
                .map_err(|_| serde::de::Error::custom(format!("{text:?} is not a u64 in decimal"))),
        }
    }
}
