//! The JSON shapes of store results, as the reference publisher and CLI print them
//! (camelCase; WALRUS_REFERENCE §8).

use serde::{Deserialize, Serialize};
use walrus_core::contracts;

/// The result of storing one blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum BlobStoreResult {
    /// A new Blob object was registered and certified.
    NewlyCreated(NewlyCreated),
    /// Nothing was paid: the blob is already certified for long enough.
    AlreadyCertified(AlreadyCertified),
}

impl BlobStoreResult {
    /// The blob ID (URL-safe base64).
    pub fn blob_id(&self) -> &str {
        match self {
            Self::NewlyCreated(n) => &n.blob_object.blob_id,
            Self::AlreadyCertified(a) => &a.blob_id,
        }
    }

    /// The end epoch (exclusive) of the blob's storage.
    pub fn end_epoch(&self) -> u32 {
        match self {
            Self::NewlyCreated(n) => n.blob_object.storage.end_epoch,
            Self::AlreadyCertified(a) => a.end_epoch,
        }
    }
}

/// `newlyCreated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewlyCreated {
    /// The Blob object after certification.
    pub blob_object: BlobObjectView,
    /// How the storage was obtained.
    pub resource_operation: ResourceOperation,
    /// FROST paid (storage and write fees; there is no gas on the devnet).
    pub cost: u64,
    /// The SharedBlob wrapping it, when shared.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shared_blob_object: Option<String>,
}

/// `alreadyCertified`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlreadyCertified {
    /// The blob ID.
    pub blob_id: String,
    /// The end epoch of the certification found.
    pub end_epoch: u32,
    /// The certification event (when found through the nodes).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub event: Option<EventIdView>,
    /// The owned, certified Blob object reused.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub object: Option<String>,
}

/// An event id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventIdView {
    /// Transaction digest.
    pub tx_digest: String,
    /// Index of the event in the transaction.
    pub event_seq: String,
}

impl From<&walrus_node_api::EventId> for EventIdView {
    fn from(e: &walrus_node_api::EventId) -> Self {
        Self {
            tx_digest: e.tx_digest.clone(),
            event_seq: e.event_seq.to_string(),
        }
    }
}

/// `resourceOperation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum ResourceOperation {
    /// New storage was bought and a new Blob registered.
    #[serde(rename_all = "camelCase")]
    RegisterFromScratch {
        /// Encoded length.
        encoded_length: u64,
        /// Epochs bought.
        epochs_ahead: u32,
    },
    /// An owned Storage was used for a new registration.
    #[serde(rename_all = "camelCase")]
    ReuseStorage {
        /// Encoded length.
        encoded_length: u64,
    },
    /// An owned, uncertified registration of the same blob was certified.
    #[serde(rename_all = "camelCase")]
    ReuseRegistration {
        /// Encoded length.
        encoded_length: u64,
    },
}

/// `blobObject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlobObjectView {
    /// Object id.
    pub id: String,
    /// Epoch of registration.
    pub registered_epoch: u32,
    /// Blob ID (URL-safe base64).
    pub blob_id: String,
    /// Unencoded size.
    pub size: u64,
    /// `"RS2"`.
    pub encoding_type: String,
    /// First certification epoch.
    pub certified_epoch: Option<u32>,
    /// The storage.
    pub storage: StorageView,
    /// Whether it may be deleted.
    pub deletable: bool,
}

/// `storage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StorageView {
    /// Object id.
    pub id: String,
    /// First epoch.
    pub start_epoch: u32,
    /// End epoch (exclusive).
    pub end_epoch: u32,
    /// Encoded bytes reserved.
    pub storage_size: u64,
}

impl From<&contracts::Blob> for BlobObjectView {
    fn from(b: &contracts::Blob) -> Self {
        Self {
            id: b.id.to_string(),
            registered_epoch: b.registered_epoch,
            blob_id: b.blob_id.to_string(),
            size: b.size,
            encoding_type: if b.encoding_type == 1 {
                "RS2".into()
            } else {
                format!("unknown({})", b.encoding_type)
            },
            certified_epoch: b.certified_epoch,
            storage: StorageView {
                id: b.storage.id.to_string(),
                start_epoch: b.storage.start_epoch,
                end_epoch: b.storage.end_epoch,
                storage_size: b.storage.storage_size,
            },
            deletable: b.deletable,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn json_shapes_match_the_reference() {
        let result = BlobStoreResult::NewlyCreated(NewlyCreated {
            blob_object: BlobObjectView {
                id: "0x01".into(),
                registered_epoch: 3,
                blob_id: "abc".into(),
                size: 12,
                encoding_type: "RS2".into(),
                certified_epoch: Some(3),
                storage: StorageView {
                    id: "0x02".into(),
                    start_epoch: 3,
                    end_epoch: 5,
                    storage_size: 66_034_000,
                },
                deletable: true,
            },
            resource_operation: ResourceOperation::RegisterFromScratch {
                encoded_length: 66_034_000,
                epochs_ahead: 2,
            },
            cost: 132_300,
            shared_blob_object: None,
        });
        let json = serde_json::to_value(&result).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"newlyCreated": {
                "blobObject": {"id": "0x01", "registeredEpoch": 3, "blobId": "abc", "size": 12,
                    "encodingType": "RS2", "certifiedEpoch": 3,
                    "storage": {"id": "0x02", "startEpoch": 3, "endEpoch": 5, "storageSize": 66_034_000},
                    "deletable": true},
                "resourceOperation": {"registerFromScratch": {"encodedLength": 66_034_000, "epochsAhead": 2}},
                "cost": 132_300}})
        );
        let already = BlobStoreResult::AlreadyCertified(AlreadyCertified {
            blob_id: "abc".into(),
            end_epoch: 9,
            event: Some(EventIdView {
                tx_digest: "D".into(),
                event_seq: "0".into(),
            }),
            object: None,
        });
        assert_eq!(
            serde_json::to_value(&already).unwrap(),
            serde_json::json!({"alreadyCertified": {"blobId": "abc", "endEpoch": 9,
                "event": {"txDigest": "D", "eventSeq": "0"}}})
        );
    }
}
