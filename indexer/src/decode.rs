//! The parallel stage: one [`TransactionRecord`] in, one [`DecodedTx`] out. Pure and
//! independent per transaction (no state), so records are decoded on as many threads as the
//! pipeline allows and put back in order afterwards.
//!
//! Events are decoded with [`ContractEvent::decode`] (by module and name, BCS exact). An event
//! of an unknown type or whose BCS does not decode keeps its raw bytes and says why
//! ([`EventOutcome`]); the same holds for object changes of an interpreted type whose contents
//! do not decode ([`ObjectValue::Failed`]).

use serde::de::DeserializeOwned;
use walrus_chain::types::{
    ChangeKind, ExecutionFailure, ExecutionStatus, Owner, TransactionRecord,
};
use walrus_core::contracts::staking::{
    ActiveSet, NodeMetadata, PoolExchangeRate, StakedWal, StakingInnerV1, StakingPool,
    StorageNodeCap,
};
use walrus_core::contracts::{
    Blob, ContractEvent, EpochChangeStart, Metadata, ObjectId, SharedBlob, Storage,
    SystemStateInnerV1,
};

use crate::movetype::{ObjectKind, short_name};

/// 32 raw bytes (object ids, addresses, digests).
pub type Bytes32 = [u8; 32];

/// What became of one event.
#[derive(Debug, Clone)]
pub enum EventOutcome {
    /// A walrus event, with its JSON form.
    Decoded {
        /// The event.
        event: ContractEvent,
        /// Its fields as JSON.
        json: String,
    },
    /// Not a type the indexer knows: stored raw.
    UnknownType,
    /// A known type whose BCS does not decode: stored raw with the reason.
    Failed(String),
}

/// One event of a transaction.
#[derive(Debug, Clone)]
pub struct DecodedEvent {
    /// Index in the transaction.
    pub index: u32,
    /// Full Move type.
    pub event_type: String,
    /// `module::Name`.
    pub name: String,
    /// Raw BCS.
    pub bcs: Vec<u8>,
    /// Decoding result.
    pub outcome: EventOutcome,
}

impl DecodedEvent {
    /// The decoded event, if any.
    pub fn event(&self) -> Option<&ContractEvent> {
        match &self.outcome {
            EventOutcome::Decoded { event, .. } => Some(event),
            _ => None,
        }
    }
}

/// The value of an interpreted object change.
#[derive(Debug, Clone)]
pub enum ObjectValue {
    /// `blob::Blob`.
    Blob(Box<Blob>),
    /// `shared_blob::SharedBlob`.
    SharedBlob(Box<SharedBlob>),
    /// `storage_resource::Storage`.
    Storage(Storage),
    /// `staked_wal::StakedWal`.
    StakedWal(StakedWal),
    /// `staking_pool::StakingPool` with its raw BCS.
    Pool(Box<StakingPool>, Vec<u8>),
    /// `storage_node::StorageNodeCap`.
    NodeCap(StorageNodeCap),
    /// The System state (dynamic field of `System`) with its raw BCS.
    SystemInner(Box<SystemStateInnerV1>, Vec<u8>),
    /// The staking state (dynamic field of `Staking`) with its raw BCS.
    StakingInner(Box<StakingInnerV1>, Vec<u8>),
    /// A blob's attributes (dynamic field of the `Blob`, whose id is the owner).
    BlobAttributes(Metadata),
    /// One exchange-rate entry (dynamic field of the pool's `exchange_rates` table).
    ExchangeRate {
        /// The epoch.
        epoch: u32,
        /// The rate.
        rate: PoolExchangeRate,
    },
    /// The active set (the value of the staking state's `ExtendedField`) with the field's raw
    /// BCS.
    ActiveSet(Box<ActiveSet>, Vec<u8>),
    /// A node's metadata (the value of its `ExtendedField`, whose id is the owner).
    NodeMetadata(Box<NodeMetadata>),
    /// A deletion of an object of this kind.
    Removed(ObjectKind),
    /// Contents that do not decode as the type says.
    Failed {
        /// The kind the type names.
        kind: ObjectKind,
        /// Why.
        error: String,
    },
}

/// One interpreted object change.
#[derive(Debug, Clone)]
pub struct DecodedChange {
    /// What happened.
    pub kind: ChangeKind,
    /// The object.
    pub object_id: Bytes32,
    /// Full Move type (kept for failures).
    pub object_type: String,
    /// Version after the change.
    pub version: u64,
    /// Owner after the change (`None` for deletions).
    pub owner: Option<Owner>,
    /// Raw contents (kept only for failures).
    pub contents: Option<Vec<u8>>,
    /// The decoded value.
    pub value: ObjectValue,
}

/// One transaction, decoded.
#[derive(Debug, Clone)]
pub struct DecodedTx {
    /// Stream position.
    pub cursor: u64,
    /// Digest.
    pub digest: Bytes32,
    /// Sender.
    pub sender: Bytes32,
    /// Ledger time (ms).
    pub timestamp_ms: u64,
    /// The abort, if it failed.
    pub failure: Option<ExecutionFailure>,
    /// All events.
    pub events: Vec<DecodedEvent>,
    /// Object changes of interpreted types (others are dropped here).
    pub changes: Vec<DecodedChange>,
    /// Number of object changes in the record (all types).
    pub change_count: usize,
    /// The epoch this transaction started (`EpochChangeStart`), if any.
    pub epoch_change: Option<u32>,
}

impl DecodedTx {
    /// Rows this transaction adds at least (transaction, events, changes), for batch sizing.
    pub fn weight(&self) -> usize {
        1 + self.events.len() + self.changes.len()
    }
}

fn de<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    bcs::from_bytes(bytes).map_err(|e| e.to_string())
}

/// A dynamic field `Field<K, V> { id, name: K, value: V }`.
#[derive(serde::Deserialize)]
struct Field<K, V> {
    #[allow(dead_code)]
    id: ObjectId,
    name: K,
    value: V,
}

fn event_json(event: &ContractEvent) -> String {
    let json = match event {
        ContractEvent::BlobRegistered(e) => serde_json::to_string(e),
        ContractEvent::BlobCertified(e) => serde_json::to_string(e),
        ContractEvent::BlobDeleted(e) => serde_json::to_string(e),
        ContractEvent::InvalidBlobId(e) => serde_json::to_string(e),
        ContractEvent::EpochChangeStart(e) => serde_json::to_string(e),
        ContractEvent::EpochChangeDone(e) => serde_json::to_string(e),
        ContractEvent::ShardsReceived(e) => serde_json::to_string(e),
        ContractEvent::EpochParametersSelected(e) => serde_json::to_string(e),
        ContractEvent::PricesUpdated(e) => serde_json::to_string(e),
        ContractEvent::ProtocolVersionUpdated(e) => serde_json::to_string(e),
        ContractEvent::RegisterDenyListUpdate(e) => serde_json::to_string(e),
        ContractEvent::DenyListUpdate(e) => serde_json::to_string(e),
        ContractEvent::DenyListBlobDeleted(e) => serde_json::to_string(e),
        ContractEvent::ShardRecoveryStart(e) => serde_json::to_string(e),
        ContractEvent::StoragePoolCreated(e) => serde_json::to_string(e),
        ContractEvent::PooledBlobRegistered(e) => serde_json::to_string(e),
        ContractEvent::PooledBlobCertified(e) => serde_json::to_string(e),
        ContractEvent::PooledBlobDeleted(e) => serde_json::to_string(e),
        ContractEvent::StoragePoolExtended(e) => serde_json::to_string(e),
        ContractEvent::ContractUpgraded(e) => serde_json::to_string(e),
        ContractEvent::ContractUpgradeProposed(e) => serde_json::to_string(e),
        ContractEvent::ContractUpgradeQuorumReached(e) => serde_json::to_string(e),
    };
    // Plain structs of integers, strings and ids always serialize.
    json.unwrap_or_else(|_| "null".to_owned())
}

fn decode_value(kind: ObjectKind, bytes: &[u8]) -> Result<ObjectValue, String> {
    Ok(match kind {
        ObjectKind::Blob => ObjectValue::Blob(Box::new(de(bytes)?)),
        ObjectKind::SharedBlob => ObjectValue::SharedBlob(Box::new(de(bytes)?)),
        ObjectKind::Storage => ObjectValue::Storage(de(bytes)?),
        ObjectKind::StakedWal => ObjectValue::StakedWal(de(bytes)?),
        ObjectKind::Pool => ObjectValue::Pool(Box::new(de(bytes)?), bytes.to_vec()),
        ObjectKind::NodeCap => ObjectValue::NodeCap(de(bytes)?),
        ObjectKind::SystemInner => {
            let f: Field<u64, SystemStateInnerV1> = de(bytes)?;
            ObjectValue::SystemInner(Box::new(f.value), bytes.to_vec())
        }
        ObjectKind::StakingInner => {
            let f: Field<u64, StakingInnerV1> = de(bytes)?;
            ObjectValue::StakingInner(Box::new(f.value), bytes.to_vec())
        }
        ObjectKind::BlobAttributes => {
            let f: Field<Vec<u8>, Metadata> = de(bytes)?;
            ObjectValue::BlobAttributes(f.value)
        }
        ObjectKind::ExchangeRate => {
            let f: Field<u32, PoolExchangeRate> = de(bytes)?;
            ObjectValue::ExchangeRate {
                epoch: f.name,
                rate: f.value,
            }
        }
        // `extended_field::Key()` is a struct without fields: BCS of its `dummy_field: bool`.
        ObjectKind::ActiveSet => {
            let f: Field<bool, ActiveSet> = de(bytes)?;
            ObjectValue::ActiveSet(Box::new(f.value), bytes.to_vec())
        }
        ObjectKind::NodeMetadata => {
            let f: Field<bool, NodeMetadata> = de(bytes)?;
            ObjectValue::NodeMetadata(Box::new(f.value))
        }
        ObjectKind::Other => return Err("not an indexed type".into()),
    })
}

/// Decodes one record (see the module documentation).
pub fn decode(record: TransactionRecord) -> DecodedTx {
    let failure = match record.status {
        ExecutionStatus::Success => None,
        ExecutionStatus::Failure(f) => Some(f),
    };
    let mut epoch_change = None;
    let events = record
        .events
        .into_iter()
        .map(|e| {
            let outcome = match ContractEvent::decode(&e.event_type, &e.bcs) {
                Ok(Some(event)) => {
                    if let ContractEvent::EpochChangeStart(EpochChangeStart { epoch }) = &event {
                        epoch_change = Some(*epoch);
                    }
                    let json = event_json(&event);
                    EventOutcome::Decoded { event, json }
                }
                Ok(None) => EventOutcome::UnknownType,
                Err(err) => EventOutcome::Failed(err.reason),
            };
            DecodedEvent {
                index: e.event_index,
                name: short_name(&e.event_type),
                event_type: e.event_type,
                bcs: e.bcs,
                outcome,
            }
        })
        .collect();
    let change_count = record.object_changes.len();
    let changes = record
        .object_changes
        .into_iter()
        .filter_map(|c| {
            let kind = ObjectKind::of(&c.object_type);
            if kind == ObjectKind::Other {
                return None;
            }
            let (value, keep_contents) = match (c.kind, &c.contents) {
                (ChangeKind::Deleted, _) => (ObjectValue::Removed(kind), false),
                (_, Some(bytes)) => match decode_value(kind, bytes) {
                    Ok(v) => (v, false),
                    Err(error) => (ObjectValue::Failed { kind, error }, true),
                },
                (_, None) => (
                    ObjectValue::Failed {
                        kind,
                        error: "a created or changed object without contents".into(),
                    },
                    false,
                ),
            };
            Some(DecodedChange {
                kind: c.kind,
                object_id: c.object_id.into_inner(),
                version: c.version,
                owner: c.owner,
                contents: if keep_contents { c.contents } else { None },
                object_type: c.object_type,
                value,
            })
        })
        .collect();
    DecodedTx {
        cursor: record.cursor,
        digest: record.digest.into_inner(),
        sender: record.sender.into_inner(),
        timestamp_ms: record.timestamp_ms,
        failure,
        events,
        changes,
        change_count,
        epoch_change,
    }
}
