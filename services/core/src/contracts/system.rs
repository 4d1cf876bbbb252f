//! Twins of the objects and values of `move/walrus/sources/system*.move` and of the WAL coin
//! (`move/wal`): the BCS of each equals Move's `bcs::to_bytes` of the Move value.
//!
//! Dynamic fields are not part of an object's BCS on Sui: `System`'s state
//! ([`SystemStateInnerV1`], the field `1u64`) and a blob's attributes ([`Metadata`], the field
//! `b"metadata"`) are separate values here too.

use serde::{Deserialize, Serialize};

use super::{ObjectId, hex_bytes, hex_u256};
use crate::BlobId;

// === WAL ===

/// `0x2::coin::Coin<WAL>`: `id`, `balance` (a `Balance<WAL>`, whose BCS is its `u64` value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coin {
    /// The object id.
    pub id: ObjectId,
    /// The value in FROST.
    pub balance: u64,
}

/// `wal::wal::ProtectedTreasury`: only its id (the `TreasuryCap` is a dynamic object field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedTreasury {
    /// The object id.
    pub id: ObjectId,
}

// === storage_resource ===

/// `walrus::storage_resource::Storage`: `storage_size` encoded bytes for each epoch in
/// `[start_epoch, end_epoch)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Storage {
    /// The object id.
    pub id: ObjectId,
    /// First epoch (inclusive).
    pub start_epoch: u32,
    /// End epoch (exclusive).
    pub end_epoch: u32,
    /// Reserved encoded bytes.
    pub storage_size: u64,
}

// === blob ===

/// `walrus::blob::Blob`. Its attributes are a dynamic field and not part of this value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blob {
    /// The object id.
    pub id: ObjectId,
    /// The epoch of registration.
    pub registered_epoch: u32,
    /// The blob id (Move `u256`).
    pub blob_id: BlobId,
    /// Unencoded size in bytes.
    pub size: u64,
    /// Encoding type (1 = RS2).
    pub encoding_type: u8,
    /// The epoch of the first certification.
    pub certified_epoch: Option<u32>,
    /// The embedded storage.
    pub storage: Storage,
    /// Whether the owner may delete it before its end epoch.
    pub deletable: bool,
}

impl Blob {
    /// The end epoch (exclusive): the storage's end epoch.
    pub fn end_epoch(&self) -> u32 {
        self.storage.end_epoch
    }

    /// Whether the blob is certified.
    pub fn is_certified(&self) -> bool {
        self.certified_epoch.is_some()
    }
}

/// `walrus::blob::BlobIdDerivation`: the preimage of a blob id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobIdDerivation {
    /// Encoding type.
    pub encoding_type: u8,
    /// Unencoded size.
    pub size: u64,
    /// The Merkle root over the sliver-pair metadata (Move `u256`, 32 little-endian bytes).
    #[serde(with = "hex_u256")]
    pub root_hash: [u8; 32],
}

/// `blob::derive_blob_id`: Blake2b-256 of BCS(encoding_type, size, root_hash).
pub fn derive_blob_id(root_hash: &[u8; 32], encoding_type: u8, size: u64) -> BlobId {
    let derivation = BlobIdDerivation {
        encoding_type,
        size,
        root_hash: *root_hash,
    };
    let mut preimage = Vec::with_capacity(41);
    preimage.push(derivation.encoding_type);
    preimage.extend_from_slice(&derivation.size.to_le_bytes());
    preimage.extend_from_slice(&derivation.root_hash);
    BlobId(crate::blake2b256(&preimage))
}

/// One entry of a `VecMap<String, String>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataEntry {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// `walrus::metadata::Metadata`: blob attributes, a `VecMap<String, String>` (entries in
/// insertion order; BCS = the vector of entries).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The entries.
    pub metadata: Vec<MetadataEntry>,
}

impl Metadata {
    /// `metadata::insert_or_update`: replaces the value in place, or appends the pair.
    pub fn insert_or_update(&mut self, key: String, value: String) {
        match self.metadata.iter_mut().find(|e| e.key == key) {
            Some(entry) => entry.value = value,
            None => self.metadata.push(MetadataEntry { key, value }),
        }
    }

    /// `metadata::remove` (`vec_map::remove`): removes the pair, keeping the others' order;
    /// `None` where Move aborts with `vec_map::EKeyDoesNotExist`.
    pub fn remove(&mut self, key: &str) -> Option<(String, String)> {
        let index = self.metadata.iter().position(|e| e.key == key)?;
        let entry = self.metadata.remove(index);
        Some((entry.key, entry.value))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
    }
}

// === shared_blob ===

/// `walrus::shared_blob::SharedBlob`: a shared blob with a WAL tip jar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedBlob {
    /// The object id.
    pub id: ObjectId,
    /// The wrapped blob.
    pub blob: Blob,
    /// FROST available for extensions (`Balance<WAL>`).
    pub funds: u64,
}

// === storage_pool ===

/// `walrus::storage_pool::StoragePool`: the object (its state is [`StoragePoolInnerV1`], the
/// dynamic field `version -> StoragePoolInnerV1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoragePool {
    /// The object id.
    pub id: ObjectId,
    /// The version (1).
    pub version: u64,
}

/// `walrus::storage_pool::StoragePoolInnerV1`: a pool's reservation and what its blobs use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoragePoolInnerV1 {
    /// The reservation: the pool's period and capacity.
    pub storage: Storage,
    /// Encoded bytes taken by the pool's blobs.
    pub used_encoded_bytes: u64,
    /// Number of blobs.
    pub blob_count: u64,
    /// `ObjectTable<u256, PooledBlob>`: the blobs by blob id.
    pub blobs: super::staking::Table,
}

/// `walrus::storage_pool::PooledBlob`: a blob registered against a pool, living as long as
/// the pool. Its attributes are a dynamic field and not part of this value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PooledBlob {
    /// The object id.
    pub id: ObjectId,
    /// The epoch of registration.
    pub registered_epoch: u32,
    /// The blob id (Move `u256`).
    pub blob_id: BlobId,
    /// Unencoded size in bytes.
    pub unencoded_size: u64,
    /// Encoding type (1 = RS2).
    pub encoding_type: u8,
    /// The epoch of certification.
    pub certified_epoch: Option<u32>,
    /// The pool that holds it.
    pub storage_pool_id: ObjectId,
    /// Whether the owner may delete it before the pool expires.
    pub deletable: bool,
}

// === bls_aggregate ===

/// `walrus::bls_aggregate::BlsCommitteeMember`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlsCommitteeMember {
    /// `Element<UncompressedG1>`: the 96-byte uncompressed G1 public key.
    #[serde(with = "hex_bytes")]
    pub public_key: Vec<u8>,
    /// Number of shards (> 0).
    pub weight: u16,
    /// The storage node's id.
    pub node_id: ObjectId,
}

/// `walrus::bls_aggregate::BlsCommittee`: the committee of `epoch`, members in node-id order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlsCommittee {
    /// Members in strictly increasing node-id order.
    pub members: Vec<BlsCommitteeMember>,
    /// Sum of the weights.
    pub n_shards: u16,
    /// The epoch.
    pub epoch: u32,
    /// `Element<G1>`: the 48-byte compressed sum of all members' keys.
    #[serde(with = "hex_bytes")]
    pub total_aggregated_key: Vec<u8>,
}

// === epoch_parameters ===

/// `walrus::epoch_parameters::EpochParams`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochParams {
    /// The voted storage capacity in encoded bytes.
    pub total_capacity_size: u64,
    /// FROST per 1 MiB encoded unit per epoch.
    pub storage_price_per_unit_size: u64,
    /// FROST per 1 MiB encoded unit, once at registration.
    pub write_price_per_unit_size: u64,
}

// === storage_accounting ===

/// `walrus::storage_accounting::FutureAccounting`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FutureAccounting {
    /// The epoch of the entry.
    pub epoch: u32,
    /// Encoded bytes reserved for it.
    pub used_capacity: u64,
    /// FROST to distribute at its end (`Balance<WAL>`).
    pub rewards_to_distribute: u64,
}

/// `walrus::storage_accounting::FutureAccountingRingBuffer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FutureAccountingRingBuffer {
    /// Index of the current epoch's entry.
    pub current_index: u32,
    /// Number of entries (= max epochs ahead).
    pub length: u32,
    /// The entries.
    pub ring_buffer: Vec<FutureAccounting>,
}

// === system_state_inner / system ===

/// `walrus::system_state_inner::SystemStateInnerV1`, the dynamic field `1u64` of `System`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStateInnerV1 {
    /// The current committee; its epoch is the current epoch.
    pub committee: BlsCommittee,
    /// Maximum encoded bytes reservable per epoch.
    pub total_capacity_size: u64,
    /// Encoded bytes reserved for the current epoch.
    pub used_capacity_size: u64,
    /// FROST per 1 MiB encoded unit per epoch.
    pub storage_price_per_unit_size: u64,
    /// FROST per 1 MiB encoded unit, once at registration.
    pub write_price_per_unit_size: u64,
    /// The future accounting.
    pub future_accounting: FutureAccountingRingBuffer,
    /// Event blobs: the latest certified one and this epoch's attestations.
    pub event_blob_certification_state: EventBlobCertificationState,
    /// `ExtendedField<VecMap<ID, u64>>`: the deny list size of each node lives in a dynamic
    /// field of this id (key `extended_field::Key()`).
    pub deny_list_sizes: ExtendedField,
}

/// `walrus::extended_field::ExtendedField<T>`: only the id; the value is the dynamic field
/// `extended_field::Key() -> T` of that id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtendedField {
    /// The object id holding the value.
    pub id: ObjectId,
}

/// `walrus::event_blob::EventBlob`: a blob of Walrus events ending at a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBlob {
    /// The blob id.
    pub blob_id: BlobId,
    /// The last checkpoint whose events it holds.
    pub ending_checkpoint_sequence_number: u64,
}

/// `walrus::event_blob::EventBlobAttestation`: a node's latest attestation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBlobAttestation {
    /// The checkpoint the attested blob ends at.
    pub checkpoint_sequence_num: u64,
    /// The epoch of the attestation.
    pub epoch: u32,
}

/// `walrus::event_blob::EventBlobCertificationState`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBlobCertificationState {
    /// The newest certified event blob.
    pub latest_certified_blob: Option<EventBlob>,
    /// Attested weight per candidate blob.
    pub aggregate_weight_per_blob: super::staking::VecMap<EventBlob, u16>,
}

/// `walrus::system::System`: the shared object (its state is [`SystemStateInnerV1`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct System {
    /// The object id.
    pub id: ObjectId,
    /// The version (3, as Walrus mainnet), also the dynamic-field key of the state.
    pub version: u64,
    /// The package the object belongs to.
    pub package_id: ObjectId,
    /// The package an upgrade committed to, until the migration.
    pub new_package_id: Option<ObjectId>,
}

// === messages ===

/// `walrus::messages::BlobPersistenceType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BlobPersistenceType {
    /// Tag 0.
    Permanent,
    /// Tag 1, then the `Blob` object's id.
    Deletable {
        /// The blob object id.
        object_id: ObjectId,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_keeps_positions() {
        let mut m = Metadata::default();
        m.insert_or_update("a".into(), "1".into());
        m.insert_or_update("b".into(), "2".into());
        m.insert_or_update("a".into(), "3".into());
        assert_eq!(m.metadata[0].value, "3");
        assert_eq!(m.get("b"), Some("2"));
        assert_eq!(m.remove("a"), Some(("a".into(), "3".into())));
        assert_eq!(m.remove("a"), None);
        assert_eq!(m.metadata.len(), 1);
        // VecMap<String, String> BCS: length, then (key, value) pairs.
        assert_eq!(bcs::to_bytes(&m).ok(), Some(vec![1, 1, b'b', 1, b'2']));
    }
}
