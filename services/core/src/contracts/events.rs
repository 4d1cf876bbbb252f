//! Twins of the events of `move/walrus/sources/system/events.move`, field for field, and
//! [`ContractEvent`], which decodes an event from its Move type name and BCS bytes.

use serde::{Deserialize, Serialize};

use super::ObjectId;
use crate::BlobId;

/// `walrus::events::BlobRegistered`: a blob was registered (`system::register_blob`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRegistered {
    /// The epoch of registration.
    pub epoch: u32,
    /// The blob id (Move `u256`).
    pub blob_id: BlobId,
    /// The unencoded size in bytes.
    pub size: u64,
    /// The encoding type (1 = RS2).
    pub encoding_type: u8,
    /// The end epoch (exclusive) of the blob's storage.
    pub end_epoch: u32,
    /// Whether the blob is deletable.
    pub deletable: bool,
    /// The `Blob` object's id.
    pub object_id: ObjectId,
}

/// `walrus::events::BlobCertified`: a blob was certified, or a certified blob's lifetime was
/// extended (`is_extension`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobCertified {
    /// The epoch of the first certification (also for extensions).
    pub epoch: u32,
    /// The blob id.
    pub blob_id: BlobId,
    /// The end epoch (exclusive), after an extension the new one.
    pub end_epoch: u32,
    /// Whether the blob is deletable.
    pub deletable: bool,
    /// The `Blob` object's id.
    pub object_id: ObjectId,
    /// Whether this is an extension of an already certified blob.
    pub is_extension: bool,
}

/// `walrus::events::BlobDeleted`: a deletable blob was deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobDeleted {
    /// The epoch of deletion.
    pub epoch: u32,
    /// The blob id.
    pub blob_id: BlobId,
    /// The end epoch (exclusive) the blob had.
    pub end_epoch: u32,
    /// The deleted `Blob` object's id.
    pub object_id: ObjectId,
    /// Whether the blob was certified.
    pub was_certified: bool,
}

/// `walrus::events::InvalidBlobID`: a blob id was marked invalid by an f+1 certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidBlobId {
    /// The epoch of the certificate.
    pub epoch: u32,
    /// The invalid blob id.
    pub blob_id: BlobId,
}

/// `walrus::events::EpochChangeStart`: the epoch change to `epoch` started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochChangeStart {
    /// The new epoch.
    pub epoch: u32,
}

/// `walrus::events::EpochChangeDone`: a quorum of the committee of `epoch` received its shards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochChangeDone {
    /// The epoch.
    pub epoch: u32,
}

/// `walrus::events::ShardsReceived`: a node reported that it received `shards` in `epoch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardsReceived {
    /// The epoch.
    pub epoch: u32,
    /// The shard indices.
    pub shards: Vec<u16>,
}

/// `walrus::events::EpochParametersSelected`: the committee and parameters of `next_epoch`
/// were selected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochParametersSelected {
    /// The epoch the selection is for.
    pub next_epoch: u32,
}

/// `walrus::events::PricesUpdated`: the storage and write prices changed in `epoch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricesUpdated {
    /// The epoch.
    pub epoch: u32,
    /// FROST per 1 MiB encoded unit per epoch.
    pub storage_price: u64,
    /// FROST per 1 MiB encoded unit, once at registration.
    pub write_price: u64,
}

/// `walrus::events::ProtocolVersionUpdated`: a committee quorum certified (in `epoch`) that
/// `protocol_version` takes effect at `start_epoch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolVersionUpdated {
    /// The epoch of the certificate.
    pub epoch: u32,
    /// The first epoch of the new version.
    pub start_epoch: u32,
    /// The protocol version.
    pub protocol_version: u64,
}

/// `walrus::events::ShardRecoveryStart`: the shards can be recovered through the shard recovery
/// endpoint (declared by the package, as in Walrus mainnet, but never emitted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRecoveryStart {
    /// The epoch.
    pub epoch: u32,
    /// The shards.
    pub shards: Vec<u16>,
}

/// `walrus::events::RegisterDenyListUpdate`: a node announced a new deny list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterDenyListUpdate {
    /// The epoch.
    pub epoch: u32,
    /// The deny list's root (Move `u256`, 32 little-endian bytes).
    #[serde(with = "super::hex_u256")]
    pub root: [u8; 32],
    /// The deny list's sequence number.
    pub sequence_number: u64,
    /// The node.
    pub node_id: ObjectId,
}

/// `walrus::events::DenyListUpdate`: a node's certified deny list update was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenyListUpdate {
    /// The epoch.
    pub epoch: u32,
    /// The deny list's root (Move `u256`, 32 little-endian bytes).
    #[serde(with = "super::hex_u256")]
    pub root: [u8; 32],
    /// The deny list's sequence number.
    pub sequence_number: u64,
    /// The node.
    pub node_id: ObjectId,
}

/// `walrus::events::DenyListBlobDeleted`: a deny-listed blob is to be deleted by the nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenyListBlobDeleted {
    /// The epoch of the certificate.
    pub epoch: u32,
    /// The blob id.
    pub blob_id: BlobId,
}

/// `walrus::events::StoragePoolCreated`: a storage pool was created for
/// `[start_epoch, end_epoch)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoragePoolCreated {
    /// The epoch of creation.
    pub epoch: u32,
    /// The `StoragePool` object's id.
    pub storage_pool_id: ObjectId,
    /// The pool's capacity in encoded bytes.
    pub reserved_encoded_capacity_bytes: u64,
    /// First epoch of the pool.
    pub start_epoch: u32,
    /// End epoch (exclusive) of the pool.
    pub end_epoch: u32,
}

/// `walrus::events::PooledBlobRegistered`: a blob was registered against a storage pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PooledBlobRegistered {
    /// The epoch of registration.
    pub epoch: u32,
    /// The blob id.
    pub blob_id: BlobId,
    /// The unencoded size in bytes.
    pub unencoded_size: u64,
    /// The encoding type (1 = RS2).
    pub encoding_type: u8,
    /// Whether the blob is deletable.
    pub deletable: bool,
    /// The `PooledBlob` object's id.
    pub object_id: ObjectId,
    /// The pool's id.
    pub storage_pool_id: ObjectId,
}

/// `walrus::events::PooledBlobCertified`: a pooled blob was certified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PooledBlobCertified {
    /// The epoch of certification.
    pub epoch: u32,
    /// The blob id.
    pub blob_id: BlobId,
    /// Whether the blob is deletable.
    pub deletable: bool,
    /// The `PooledBlob` object's id.
    pub object_id: ObjectId,
    /// The pool's id.
    pub storage_pool_id: ObjectId,
}

/// `walrus::events::PooledBlobDeleted`: a deletable pooled blob was deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PooledBlobDeleted {
    /// The epoch of deletion.
    pub epoch: u32,
    /// The blob id.
    pub blob_id: BlobId,
    /// The deleted `PooledBlob` object's id.
    pub object_id: ObjectId,
    /// Whether the blob was certified.
    pub was_certified: bool,
    /// The pool's id.
    pub storage_pool_id: ObjectId,
}

/// `walrus::events::StoragePoolExtended`: a storage pool now ends at `new_end_epoch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoragePoolExtended {
    /// The epoch of the extension.
    pub epoch: u32,
    /// The pool's id.
    pub storage_pool_id: ObjectId,
    /// The new end epoch (exclusive).
    pub new_end_epoch: u32,
}

/// `walrus::events::ContractUpgraded`: `System` and `Staking` were migrated to `package_id`
/// at `version` after an upgrade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractUpgraded {
    /// The epoch of the migration.
    pub epoch: u32,
    /// The new package.
    pub package_id: ObjectId,
    /// The new version.
    pub version: u64,
}

/// `walrus::events::ContractUpgradeProposed`: a new proposal to upgrade to the package with
/// this digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractUpgradeProposed {
    /// The epoch of the proposal.
    pub epoch: u32,
    /// The package digest (32 bytes).
    #[serde(with = "super::hex_bytes")]
    pub package_digest: Vec<u8>,
}

/// `walrus::events::ContractUpgradeQuorumReached`: an upgrade proposal's votes are a quorum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractUpgradeQuorumReached {
    /// The epoch of the proposal.
    pub epoch: u32,
    /// The package digest (32 bytes).
    #[serde(with = "super::hex_bytes")]
    pub package_digest: Vec<u8>,
}

/// Any event of the `walrus::events` module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContractEvent {
    /// `BlobRegistered`.
    BlobRegistered(BlobRegistered),
    /// `BlobCertified`.
    BlobCertified(BlobCertified),
    /// `BlobDeleted`.
    BlobDeleted(BlobDeleted),
    /// `InvalidBlobID`.
    InvalidBlobId(InvalidBlobId),
    /// `EpochChangeStart`.
    EpochChangeStart(EpochChangeStart),
    /// `EpochChangeDone`.
    EpochChangeDone(EpochChangeDone),
    /// `ShardsReceived`.
    ShardsReceived(ShardsReceived),
    /// `EpochParametersSelected`.
    EpochParametersSelected(EpochParametersSelected),
    /// `PricesUpdated`.
    PricesUpdated(PricesUpdated),
    /// `ProtocolVersionUpdated`.
    ProtocolVersionUpdated(ProtocolVersionUpdated),
    /// `RegisterDenyListUpdate`.
    RegisterDenyListUpdate(RegisterDenyListUpdate),
    /// `DenyListUpdate`.
    DenyListUpdate(DenyListUpdate),
    /// `DenyListBlobDeleted`.
    DenyListBlobDeleted(DenyListBlobDeleted),
    /// `ShardRecoveryStart`.
    ShardRecoveryStart(ShardRecoveryStart),
    /// `StoragePoolCreated`.
    StoragePoolCreated(StoragePoolCreated),
    /// `PooledBlobRegistered`.
    PooledBlobRegistered(PooledBlobRegistered),
    /// `PooledBlobCertified`.
    PooledBlobCertified(PooledBlobCertified),
    /// `PooledBlobDeleted`.
    PooledBlobDeleted(PooledBlobDeleted),
    /// `StoragePoolExtended`.
    StoragePoolExtended(StoragePoolExtended),
    /// `ContractUpgraded`.
    ContractUpgraded(ContractUpgraded),
    /// `ContractUpgradeProposed`.
    ContractUpgradeProposed(ContractUpgradeProposed),
    /// `ContractUpgradeQuorumReached`.
    ContractUpgradeQuorumReached(ContractUpgradeQuorumReached),
}

/// An event of a known walrus type whose bytes do not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {event_type} does not decode: {reason}")]
pub struct EventDecodeError {
    /// The event's type name.
    pub event_type: String,
    /// The BCS error.
    pub reason: String,
}

/// The Move module of all walrus events.
pub const EVENTS_MODULE: &str = "events";

impl ContractEvent {
    /// The Move struct name (`BlobRegistered`, ..., `InvalidBlobID`).
    pub fn struct_name(&self) -> &'static str {
        match self {
            Self::BlobRegistered(_) => "BlobRegistered",
            Self::BlobCertified(_) => "BlobCertified",
            Self::BlobDeleted(_) => "BlobDeleted",
            Self::InvalidBlobId(_) => "InvalidBlobID",
            Self::EpochChangeStart(_) => "EpochChangeStart",
            Self::EpochChangeDone(_) => "EpochChangeDone",
            Self::ShardsReceived(_) => "ShardsReceived",
            Self::EpochParametersSelected(_) => "EpochParametersSelected",
            Self::PricesUpdated(_) => "PricesUpdated",
            Self::ProtocolVersionUpdated(_) => "ProtocolVersionUpdated",
            Self::RegisterDenyListUpdate(_) => "RegisterDenyListUpdate",
            Self::DenyListUpdate(_) => "DenyListUpdate",
            Self::DenyListBlobDeleted(_) => "DenyListBlobDeleted",
            Self::ShardRecoveryStart(_) => "ShardRecoveryStart",
            Self::StoragePoolCreated(_) => "StoragePoolCreated",
            Self::PooledBlobRegistered(_) => "PooledBlobRegistered",
            Self::PooledBlobCertified(_) => "PooledBlobCertified",
            Self::PooledBlobDeleted(_) => "PooledBlobDeleted",
            Self::StoragePoolExtended(_) => "StoragePoolExtended",
            Self::ContractUpgraded(_) => "ContractUpgraded",
            Self::ContractUpgradeProposed(_) => "ContractUpgradeProposed",
            Self::ContractUpgradeQuorumReached(_) => "ContractUpgradeQuorumReached",
        }
    }

    /// The full Move type name for a package published at `package` (`0x…::events::Name`).
    pub fn type_name(&self, package: &str) -> String {
        format!("{package}::{EVENTS_MODULE}::{}", self.struct_name())
    }

    /// The BCS bytes of the event, as Move's `event::emit` records them.
    pub fn to_bcs(&self) -> Vec<u8> {
        let bytes = match self {
            Self::BlobRegistered(e) => bcs::to_bytes(e),
            Self::BlobCertified(e) => bcs::to_bytes(e),
            Self::BlobDeleted(e) => bcs::to_bytes(e),
            Self::InvalidBlobId(e) => bcs::to_bytes(e),
            Self::EpochChangeStart(e) => bcs::to_bytes(e),
            Self::EpochChangeDone(e) => bcs::to_bytes(e),
            Self::ShardsReceived(e) => bcs::to_bytes(e),
            Self::EpochParametersSelected(e) => bcs::to_bytes(e),
            Self::PricesUpdated(e) => bcs::to_bytes(e),
            Self::ProtocolVersionUpdated(e) => bcs::to_bytes(e),
            Self::RegisterDenyListUpdate(e) => bcs::to_bytes(e),
            Self::DenyListUpdate(e) => bcs::to_bytes(e),
            Self::DenyListBlobDeleted(e) => bcs::to_bytes(e),
            Self::ShardRecoveryStart(e) => bcs::to_bytes(e),
            Self::StoragePoolCreated(e) => bcs::to_bytes(e),
            Self::PooledBlobRegistered(e) => bcs::to_bytes(e),
            Self::PooledBlobCertified(e) => bcs::to_bytes(e),
            Self::PooledBlobDeleted(e) => bcs::to_bytes(e),
            Self::StoragePoolExtended(e) => bcs::to_bytes(e),
            Self::ContractUpgraded(e) => bcs::to_bytes(e),
            Self::ContractUpgradeProposed(e) => bcs::to_bytes(e),
            Self::ContractUpgradeQuorumReached(e) => bcs::to_bytes(e),
        };
        // Plain structs of integers, byte arrays and vectors always serialize.
        bytes.unwrap_or_default()
    }

    /// Decodes an event from its full Move type name (`<package>::events::<Name>`, any package
    /// address) and BCS bytes. `Ok(None)` for types that are not walrus events; an error when
    /// the type is a walrus event but the bytes do not decode exactly (trailing bytes included).
    pub fn decode(event_type: &str, bcs_bytes: &[u8]) -> Result<Option<Self>, EventDecodeError> {
        let mut parts = event_type.rsplit("::");
        let (Some(name), Some(module)) = (parts.next(), parts.next()) else {
            return Ok(None);
        };
        if module != EVENTS_MODULE {
            return Ok(None);
        }
        fn de<T: serde::de::DeserializeOwned>(
            event_type: &str,
            bytes: &[u8],
        ) -> Result<T, EventDecodeError> {
            bcs::from_bytes(bytes).map_err(|e| EventDecodeError {
                event_type: event_type.to_owned(),
                reason: e.to_string(),
            })
        }
        let event = match name {
            "BlobRegistered" => Self::BlobRegistered(de(event_type, bcs_bytes)?),
            "BlobCertified" => Self::BlobCertified(de(event_type, bcs_bytes)?),
            "BlobDeleted" => Self::BlobDeleted(de(event_type, bcs_bytes)?),
            "InvalidBlobID" => Self::InvalidBlobId(de(event_type, bcs_bytes)?),
            "EpochChangeStart" => Self::EpochChangeStart(de(event_type, bcs_bytes)?),
            "EpochChangeDone" => Self::EpochChangeDone(de(event_type, bcs_bytes)?),
            "ShardsReceived" => Self::ShardsReceived(de(event_type, bcs_bytes)?),
            "EpochParametersSelected" => Self::EpochParametersSelected(de(event_type, bcs_bytes)?),
            "PricesUpdated" => Self::PricesUpdated(de(event_type, bcs_bytes)?),
            "ProtocolVersionUpdated" => Self::ProtocolVersionUpdated(de(event_type, bcs_bytes)?),
            "RegisterDenyListUpdate" => Self::RegisterDenyListUpdate(de(event_type, bcs_bytes)?),
            "DenyListUpdate" => Self::DenyListUpdate(de(event_type, bcs_bytes)?),
            "DenyListBlobDeleted" => Self::DenyListBlobDeleted(de(event_type, bcs_bytes)?),
            "ShardRecoveryStart" => Self::ShardRecoveryStart(de(event_type, bcs_bytes)?),
            "StoragePoolCreated" => Self::StoragePoolCreated(de(event_type, bcs_bytes)?),
            "PooledBlobRegistered" => Self::PooledBlobRegistered(de(event_type, bcs_bytes)?),
            "PooledBlobCertified" => Self::PooledBlobCertified(de(event_type, bcs_bytes)?),
            "PooledBlobDeleted" => Self::PooledBlobDeleted(de(event_type, bcs_bytes)?),
            "StoragePoolExtended" => Self::StoragePoolExtended(de(event_type, bcs_bytes)?),
            "ContractUpgraded" => Self::ContractUpgraded(de(event_type, bcs_bytes)?),
            "ContractUpgradeProposed" => Self::ContractUpgradeProposed(de(event_type, bcs_bytes)?),
            "ContractUpgradeQuorumReached" => {
                Self::ContractUpgradeQuorumReached(de(event_type, bcs_bytes)?)
            }
            _ => return Ok(None),
        };
        Ok(Some(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_matches_module_and_name_only() {
        let event = ContractEvent::EpochChangeStart(EpochChangeStart { epoch: 10 });
        let bytes = event.to_bcs();
        assert_eq!(bytes, vec![10, 0, 0, 0]);
        let t = event.type_name("0xabc");
        assert_eq!(t, "0xabc::events::EpochChangeStart");
        assert_eq!(ContractEvent::decode(&t, &bytes), Ok(Some(event)));
        assert_eq!(
            ContractEvent::decode("0x1::other::EpochChangeStart", &bytes),
            Ok(None)
        );
        assert_eq!(
            ContractEvent::decode("0x1::events::Unknown", &bytes),
            Ok(None)
        );
        assert_eq!(ContractEvent::decode("garbage", &bytes), Ok(None));
        assert!(ContractEvent::decode(&t, &[1, 2, 3]).is_err());
        assert!(ContractEvent::decode(&t, &[1, 2, 3, 4, 5]).is_err());
    }
}
