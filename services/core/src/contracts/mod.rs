//! Rust twins of the values of the `walrus` Move package (`move/walrus`): events and objects.
//!
//! Every twin is a serde struct whose BCS encoding is byte for byte what Move's `bcs::to_bytes`
//! gives for the Move value: same fields, same order, same widths. Move `u256` blob ids are
//! [`BlobId`] (32 little-endian bytes = the raw blob id), Move `ID`/`address` values are
//! [`ObjectId`], `Balance<WAL>` is its `u64` value and `Option<T>` is `Option<T>`.
//!
//! The tests in `services/core/tests/contract_vectors.rs` check every vector of
//! `move/walrus/tests/bcs_vectors.json`, which the Move tests assert too.
//!
//! Events arrive as (full Move type name, BCS bytes); [`ContractEvent::decode`] turns them into
//! typed values.

pub mod events;
pub mod staking;
pub mod system;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

pub use crate::BlobId;
pub use events::{
    BlobCertified, BlobDeleted, BlobRegistered, ContractEvent, ContractUpgradeProposed,
    ContractUpgradeQuorumReached, ContractUpgraded, DenyListBlobDeleted, DenyListUpdate,
    EpochChangeDone, EpochChangeStart, EpochParametersSelected, EventDecodeError, InvalidBlobId,
    PooledBlobCertified, PooledBlobDeleted, PooledBlobRegistered, PricesUpdated,
    ProtocolVersionUpdated, RegisterDenyListUpdate, ShardRecoveryStart, ShardsReceived,
    StoragePoolCreated, StoragePoolExtended,
};
pub use system::{
    Blob, BlobIdDerivation, BlobPersistenceType, BlsCommittee, BlsCommitteeMember, Coin,
    EpochParams, EventBlob, EventBlobAttestation, EventBlobCertificationState, ExtendedField,
    FutureAccounting, FutureAccountingRingBuffer, Metadata, MetadataEntry, PooledBlob,
    ProtectedTreasury, SharedBlob, Storage, StoragePool, StoragePoolInnerV1, System,
    SystemStateInnerV1, derive_blob_id,
};

/// A Move `ID` / `address`: 32 bytes. Text form `0x` + 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ObjectId(pub [u8; 32]);

impl ObjectId {
    /// The id whose 32 bytes are the big-endian form of `value` (Move `@0x5` is `from_u64(5)`).
    pub const fn from_u64(value: u64) -> Self {
        let b = value.to_be_bytes();
        let mut out = [0u8; 32];
        let mut i = 0;
        while i < 8 {
            out[24 + i] = b[i];
            i += 1;
        }
        Self(out)
    }

    /// The bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

/// The text is not an object id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid object id {text:?}: expected 0x and 1 to 64 hex digits")]
pub struct ParseObjectIdError {
    /// The rejected text.
    pub text: String,
}

impl FromStr for ObjectId {
    type Err = ParseObjectIdError;

    /// Parses `0x` followed by up to 64 hex digits (shorter forms are left-padded with zeros,
    /// as Move writes `@0x5`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = || ParseObjectIdError {
            text: text.to_owned(),
        };
        let digits = text.strip_prefix("0x").ok_or_else(err)?;
        if digits.is_empty() || digits.len() > 64 {
            return Err(err());
        }
        let padded = format!("{digits:0>64}");
        let bytes = hex::decode(padded).map_err(|_| err())?;
        let array: [u8; 32] = bytes.as_slice().try_into().map_err(|_| err())?;
        Ok(Self(array))
    }
}

impl Serialize for ObjectId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            self.0.serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for ObjectId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = String::deserialize(deserializer)?;
            text.parse().map_err(de::Error::custom)
        } else {
            <[u8; 32]>::deserialize(deserializer).map(Self)
        }
    }
}

/// Byte vectors as hex text in human-readable formats and as BCS `vector<u8>` otherwise.
pub mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de};

    /// Serializes `bytes`.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&hex::encode(bytes))
        } else {
            s.serialize_bytes(bytes)
        }
    }

    /// Deserializes bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            hex::decode(text).map_err(de::Error::custom)
        } else {
            Vec::<u8>::deserialize(d)
        }
    }
}

/// Fixed 32-byte values (a Move `u256` that is not a blob id, such as a root hash) as hex text
/// in human-readable formats and as 32 raw bytes (BCS `u256`, little-endian) otherwise.
pub mod hex_u256 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

    /// Serializes the 32 bytes.
    pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&hex::encode(bytes))
        } else {
            bytes.serialize(s)
        }
    }

    /// Deserializes 32 bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            let bytes = hex::decode(text).map_err(de::Error::custom)?;
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| de::Error::custom("expected 32 bytes"))
        } else {
            <[u8; 32]>::deserialize(d)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_id_text_round_trip() {
        let id = ObjectId::from_u64(0xc0ffee);
        assert_eq!(
            id.to_string(),
            "0x0000000000000000000000000000000000000000000000000000000000c0ffee"
        );
        assert_eq!("0xc0ffee".parse::<ObjectId>(), Ok(id));
        assert_eq!(id.to_string().parse::<ObjectId>(), Ok(id));
        assert!("c0ffee".parse::<ObjectId>().is_err());
        assert!("0x".parse::<ObjectId>().is_err());
        assert!(format!("0x{}", "1".repeat(65)).parse::<ObjectId>().is_err());
        assert_eq!(bcs::to_bytes(&id).ok(), Some(id.0.to_vec()));
    }
}
