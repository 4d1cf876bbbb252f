//! The sequential stage: applies decoded transactions, in stream order, to the indexer's
//! in-memory state and collects what one batch writes ([`Batch`]).
//!
//! Every row a batch writes is the state after the batch's last transaction that touched it,
//! stamped with that transaction's cursor (`last_cursor`). Derived values (pool state, position
//! values, epoch totals) are evaluated after each transaction, in order, and count as a change
//! only when they differ, so the rows do not depend on where batches start and end: a batch of
//! one transaction and a batch of thousands leave the same tables (the restart test compares
//! full dumps). Batches end right after a transaction that starts an epoch, so every other
//! transaction of a batch runs in the same epoch (`Batch::epoch`), and the epoch-wide updates
//! (expiry, revaluation) run at the end of the batch that starts the epoch.
//!
//! The state the stage keeps between batches ([`IndexState`]: pools with their exchange rates,
//! the latest System and staking states, the current and previous epoch rows, invalid blob ids)
//! is exactly what the tables hold, and is loaded from them on start (`store::load_state`).

use std::collections::{BTreeMap, HashMap, HashSet};

use walrus_chain::types::{ChangeKind, Owner};
use walrus_core::contracts::staking::{
    ActiveSet, Committee, EpochState, NodeMetadata, StakedWalState, StakingInnerV1, StakingPool,
};
use walrus_core::contracts::{Blob, ContractEvent, Metadata, ObjectId, SystemStateInnerV1};

use crate::decode::{Bytes32, DecodedChange, DecodedTx, EventOutcome, ObjectValue};
use crate::derive::{self, PoolRates};
use crate::metrics::Metrics;
use crate::movetype::ObjectKind;

// === State kept between batches ===

/// One `epochs` row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EpochRow {
    /// The epoch.
    pub epoch: u32,
    /// `EpochChangeStart` time.
    pub start_ms: Option<u64>,
    /// `EpochChangeStart` cursor.
    pub start_cursor: Option<u64>,
    /// `EpochChangeDone` time.
    pub change_done_ms: Option<u64>,
    /// `EpochChangeDone` cursor.
    pub change_done_cursor: Option<u64>,
    /// `EpochParametersSelected` (for the next epoch) time.
    pub params_selected_ms: Option<u64>,
    /// `EpochParametersSelected` cursor.
    pub params_selected_cursor: Option<u64>,
    /// Storage price.
    pub storage_price: Option<u64>,
    /// Write price.
    pub write_price: Option<u64>,
    /// Total capacity.
    pub total_capacity: Option<u64>,
    /// Used capacity.
    pub used_capacity: Option<u64>,
    /// Shards.
    pub n_shards: Option<u16>,
    /// Epoch duration.
    pub epoch_duration_ms: Option<u64>,
    /// Committee stake at the start.
    pub total_stake: Option<u64>,
    /// Rewards paid to pools for the epoch.
    pub rewards_total: Option<u64>,
    /// Commission part of the rewards.
    pub commission_total: Option<u64>,
    /// Staking epoch state.
    pub epoch_state: Option<String>,
    /// Last change.
    pub last_cursor: u64,
}

/// Values of a pool row the indexer derives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolDerived {
    /// committee | active_set | inactive | unknown.
    pub state: String,
    /// Shards in the current committee.
    pub shards: u32,
    /// Shards in the selected next committee.
    pub next_shards: Option<u32>,
    /// In the active set.
    pub in_active_set: bool,
    /// `wal_balance_at_epoch(epoch + 1)`.
    pub stake_next: Option<u64>,
    /// `wal_balance_at_epoch(epoch + 2)`.
    pub stake_after_next: Option<u64>,
    /// APY of the latest recorded rate.
    pub apy: Option<f64>,
}

/// A pool as the indexer holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolEntry {
    /// The Move value.
    pub pool: StakingPool,
    /// The node's metadata (the value of the pool's metadata `ExtendedField`).
    pub metadata: NodeMetadata,
    /// Its BCS.
    pub bcs: Vec<u8>,
    /// Recorded exchange rates.
    pub rates: PoolRates,
    /// APY of each recorded rate.
    pub apys: BTreeMap<u32, Option<f64>>,
    /// Derived values.
    pub derived: PoolDerived,
    /// Creation cursor.
    pub created_cursor: u64,
    /// Last change.
    pub last_cursor: u64,
}

/// A decoded chain value with its raw BCS and last change (System or staking state, active
/// set).
#[derive(Debug, Clone, PartialEq)]
pub struct ChainValue<T> {
    /// The value.
    pub value: Box<T>,
    /// Raw BCS of the dynamic field.
    pub bcs: Vec<u8>,
    /// Last change.
    pub last_cursor: u64,
}

impl<T: Clone> ChainValue<T> {
    /// Stores `value` (with its field's `bcs`, changed at `cursor`) in `slot` unless the slot
    /// already holds these bytes; whether it changed.
    fn replace(slot: &mut Option<Self>, value: &T, bcs: &[u8], cursor: u64) -> bool {
        if slot.as_ref().is_some_and(|s| s.bcs == bcs) {
            return false;
        }
        *slot = Some(Self {
            value: Box::new(value.clone()),
            bcs: bcs.to_vec(),
            last_cursor: cursor,
        });
        true
    }

    /// Its `chain_state` row: the BCS and the last change.
    fn row(&self) -> (Vec<u8>, u64) {
        (self.bcs.clone(), self.last_cursor)
    }
}

/// What the sequential stage keeps between batches (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct IndexState {
    /// Last applied cursor.
    pub cursor: u64,
    /// Current epoch.
    pub epoch: u32,
    /// Time of the last applied transaction.
    pub timestamp_ms: u64,
    /// Pools by node id.
    pub pools: BTreeMap<Bytes32, PoolEntry>,
    /// Exchange-rate table id -> node id.
    pub rate_tables: HashMap<Bytes32, Bytes32>,
    /// The latest staking state.
    pub staking: Option<ChainValue<StakingInnerV1>>,
    /// The latest active set (the value of the staking state's `ExtendedField`).
    pub active_set: Option<ChainValue<ActiveSet>>,
    /// Node metadata `ExtendedField` id -> node id.
    pub metadata_fields: HashMap<Bytes32, Bytes32>,
    /// The latest System state.
    pub system: Option<ChainValue<SystemStateInnerV1>>,
    /// The newest epoch rows (the current and the previous one).
    pub epochs: BTreeMap<u32, EpochRow>,
    /// Blob ids marked invalid, with the epoch of the certificate.
    pub invalid_blob_ids: HashMap<Bytes32, u32>,
}

// === Rows of a batch ===

/// A `transactions` row.
#[derive(Debug, Clone)]
pub struct TxRow {
    /// Cursor.
    pub cursor: u64,
    /// Digest.
    pub digest: Bytes32,
    /// Sender.
    pub sender: Bytes32,
    /// Time.
    pub timestamp_ms: u64,
    /// Success.
    pub success: bool,
    /// The abort as JSON.
    pub failure: Option<String>,
    /// Events.
    pub event_count: u32,
    /// Object changes.
    pub change_count: u32,
}

/// An `events` row.
#[derive(Debug, Clone)]
pub struct EventRow {
    /// Cursor.
    pub cursor: u64,
    /// Index.
    pub index: u32,
    /// Digest.
    pub digest: Bytes32,
    /// Type.
    pub event_type: String,
    /// module::Name.
    pub name: String,
    /// BCS.
    pub bcs: Vec<u8>,
    /// JSON.
    pub json: Option<String>,
    /// decoded | unknown_type | decode_failed.
    pub status: &'static str,
    /// Why it failed.
    pub error: Option<String>,
    /// Epoch field.
    pub epoch: Option<u32>,
    /// Blob id.
    pub blob_id: Option<Bytes32>,
    /// Blob object id.
    pub object_id: Option<Bytes32>,
}

/// An `object_decode_failures` row.
#[derive(Debug, Clone)]
pub struct FailureRow {
    /// Cursor.
    pub cursor: u64,
    /// Object.
    pub object_id: Bytes32,
    /// Type.
    pub object_type: String,
    /// Change kind.
    pub change_kind: &'static str,
    /// Contents.
    pub contents: Option<Vec<u8>>,
    /// Why.
    pub error: String,
}

/// Owner columns.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnerCols {
    /// address | shared | object | immutable | none.
    pub kind: &'static str,
    /// The address, or the parent object for `object`.
    pub owner: Option<Bytes32>,
}

fn owner_cols(owner: Option<Owner>) -> OwnerCols {
    match owner {
        Some(Owner::Address(a)) => OwnerCols {
            kind: "address",
            owner: Some(a.into_inner()),
        },
        Some(Owner::Shared) => OwnerCols {
            kind: "shared",
            owner: None,
        },
        Some(Owner::Immutable) => OwnerCols {
            kind: "immutable",
            owner: None,
        },
        Some(Owner::Object(id)) => OwnerCols {
            kind: "object",
            owner: Some(id.into_inner()),
        },
        None => OwnerCols {
            kind: "none",
            owner: None,
        },
    }
}

/// The fields of a blob row that come from the `Blob` value.
#[derive(Debug, Clone)]
pub struct BlobContent {
    /// The Move value.
    pub blob: Blob,
    /// Owner.
    pub owner: OwnerCols,
    /// The wrapping SharedBlob.
    pub shared_blob_id: Option<Bytes32>,
    /// Its funds.
    pub shared_funds: Option<u64>,
    /// Object version.
    pub version: u64,
}

/// A merged `blobs` row: `None`/`false` fields leave the stored value unchanged.
#[derive(Debug, Clone, Default)]
pub struct BlobRow {
    /// Object id.
    pub object_id: Bytes32,
    /// Fields from the value, when it changed in the batch.
    pub content: Option<BlobContent>,
    /// `BlobRegistered` cursor.
    pub registered_cursor: Option<u64>,
    /// First `BlobCertified` (not an extension) cursor.
    pub certified_cursor: Option<u64>,
    /// `BlobDeleted`: (epoch, cursor).
    pub deleted: Option<(u32, u64)>,
    /// Destroyed without `BlobDeleted`, in this epoch.
    pub burned: Option<u32>,
    /// Blob id invalid since this epoch.
    pub invalid: Option<u32>,
    /// Attributes: `Some((json or None when removed, field id))` when changed.
    pub attributes: Option<(Option<String>, Bytes32)>,
    /// Last blob event (cursor, index).
    pub last_event: Option<(u64, u32)>,
    /// Creation cursor, if created in the batch.
    pub created_cursor: Option<u64>,
    /// Last change.
    pub last_cursor: u64,
}

/// A `storage_resources` row (final state in the batch).
#[derive(Debug, Clone)]
pub struct StorageRow {
    /// Object id.
    pub object_id: Bytes32,
    /// Owner.
    pub owner: OwnerCols,
    /// Start.
    pub start_epoch: u32,
    /// End.
    pub end_epoch: u32,
    /// Size.
    pub storage_size: u64,
    /// Version.
    pub version: u64,
    /// Created (or re-created: an unwrapped object keeps its id) in this batch, last at.
    pub created_cursor: Option<u64>,
    /// The batch's first change of it was its creation (so no older row exists).
    pub first_seen_created: bool,
    /// Last change.
    pub last_cursor: u64,
    /// Consumed.
    pub removed: bool,
}

/// A `staked_wal` row.
#[derive(Debug, Clone)]
pub struct PositionRow {
    /// Object id.
    pub object_id: Bytes32,
    /// Fields from the value, when it changed in the batch.
    pub content: Option<PositionContent>,
    /// Gone (withdrawn or joined).
    pub deleted: bool,
    /// Status.
    pub status: &'static str,
    /// Value and reward at the epoch after its last change.
    pub value: Option<(u64, u64)>,
    /// Created in this batch at.
    pub created_cursor: Option<u64>,
    /// Last change.
    pub last_cursor: u64,
}

/// Fields of a `StakedWal`.
#[derive(Debug, Clone)]
pub struct PositionContent {
    /// Owner address.
    pub owner: Option<Bytes32>,
    /// Node.
    pub node_id: Bytes32,
    /// Principal.
    pub principal: u64,
    /// Activation epoch.
    pub activation_epoch: u32,
    /// State.
    pub state: StakedWalState,
}

/// A `node_caps` row.
#[derive(Debug, Clone)]
pub struct CapRow {
    /// Object id.
    pub object_id: Bytes32,
    /// Node id and last sync epoch, when the value changed.
    pub content: Option<(Bytes32, u32)>,
    /// Owner.
    pub owner: Option<Bytes32>,
    /// Gone.
    pub deleted: bool,
    /// Created in this batch at.
    pub created_cursor: Option<u64>,
    /// Last change.
    pub last_cursor: u64,
}

/// A `pool_exchange_rates` row.
#[derive(Debug, Clone)]
pub struct RateRow {
    /// Node.
    pub node_id: Bytes32,
    /// Epoch.
    pub epoch: u32,
    /// Rate.
    pub rate: walrus_core::contracts::staking::PoolExchangeRate,
    /// APY.
    pub apy: Option<f64>,
    /// Cursor.
    pub cursor: u64,
}

/// A merged `pool_epochs` row (`None` keeps the stored value).
#[derive(Debug, Clone, Default)]
pub struct PoolEpochRow {
    /// Stake at the start.
    pub stake: Option<u64>,
    /// Rewards for the epoch.
    pub rewards: Option<u64>,
    /// Commission part.
    pub commission: Option<u64>,
    /// Commission rate.
    pub commission_rate: Option<u16>,
    /// Shards.
    pub shards: Option<u32>,
    /// Last change.
    pub last_cursor: u64,
}

/// A `committee_members` row.
#[derive(Debug, Clone)]
pub struct CommitteeRow {
    /// Epoch.
    pub epoch: u32,
    /// Node.
    pub node_id: Bytes32,
    /// Shards.
    pub shards: Vec<u16>,
    /// BLS key.
    pub public_key: Option<Vec<u8>>,
    /// Stake at the start.
    pub stake: Option<u64>,
    /// Cursor.
    pub cursor: u64,
}

/// What the epoch-wide updates at the end of an epoch-starting batch need.
#[derive(Debug, Clone)]
pub struct EpochSweep {
    /// The new epoch.
    pub epoch: u32,
    /// The cursor of the transaction that started it.
    pub cursor: u64,
    /// Every pool's rates, to revalue positions.
    pub rates: HashMap<Bytes32, PoolRates>,
}

/// The append-only rows of a batch (`transactions`, `events`), split off with
/// [`Batch::take_append`] and committed by the append pipeline with its own watermark.
#[derive(Debug, Default)]
pub struct AppendBatch {
    /// First cursor of the batch they come from.
    pub first_cursor: u64,
    /// Last cursor of that batch (the append watermark after it).
    pub last_cursor: u64,
    /// Time of the last transaction.
    pub timestamp_ms: u64,
    /// The epoch after the batch.
    pub epoch_after: u32,
    /// Transactions.
    pub transactions: Vec<TxRow>,
    /// Events.
    pub events: Vec<EventRow>,
}

impl AppendBatch {
    /// Drops the rows at or below `cursor` (already committed by an earlier run whose batches
    /// ended elsewhere).
    pub fn skip_through(&mut self, cursor: u64) {
        self.transactions.retain(|t| t.cursor > cursor);
        self.events.retain(|e| e.cursor > cursor);
    }
}

/// Everything one batch writes, in one database transaction with the watermark.
#[derive(Debug, Default)]
pub struct Batch {
    /// First cursor.
    pub first_cursor: u64,
    /// Last cursor (the new watermark).
    pub last_cursor: u64,
    /// Time of the last transaction.
    pub timestamp_ms: u64,
    /// The epoch of every transaction but an epoch-starting last one.
    pub epoch: u32,
    /// The epoch after the batch.
    pub epoch_after: u32,
    /// Transactions.
    pub transactions: Vec<TxRow>,
    /// Events.
    pub events: Vec<EventRow>,
    /// Object decode failures.
    pub failures: Vec<FailureRow>,
    /// Blob rows.
    pub blobs: HashMap<Bytes32, BlobRow>,
    /// Blob ids whose aggregate must be recomputed, with the last touching cursor.
    pub blob_touches: HashMap<Bytes32, u64>,
    /// Invalidations: (blob id, epoch, cursor, event index).
    pub invalidations: Vec<(Bytes32, u32, u64, u32)>,
    /// Attribute fields removed whose blob is not in the batch: (field id, cursor).
    pub attribute_removals: Vec<(Bytes32, u64)>,
    /// Storage rows.
    pub storage: HashMap<Bytes32, StorageRow>,
    /// Positions.
    pub positions: HashMap<Bytes32, PositionRow>,
    /// Caps.
    pub caps: HashMap<Bytes32, CapRow>,
    /// Changed pools (final entries).
    pub pools: Vec<PoolEntry>,
    /// New exchange rates.
    pub rates: Vec<RateRow>,
    /// Pool epochs.
    pub pool_epochs: BTreeMap<(Bytes32, u32), PoolEpochRow>,
    /// Changed epochs.
    pub epochs: Vec<EpochRow>,
    /// New committee members.
    pub committee: Vec<CommitteeRow>,
    /// Changed chain states: (key, bcs, cursor).
    pub chain_state: Vec<(&'static str, Vec<u8>, u64)>,
    /// Epoch-wide updates.
    pub sweep: Option<EpochSweep>,
}

impl Batch {
    /// Moves the append-only rows (transactions, events) out of the batch; the rest is the
    /// state pipeline's.
    pub fn take_append(&mut self) -> AppendBatch {
        AppendBatch {
            first_cursor: self.first_cursor,
            last_cursor: self.last_cursor,
            timestamp_ms: self.timestamp_ms,
            epoch_after: self.epoch_after,
            transactions: std::mem::take(&mut self.transactions),
            events: std::mem::take(&mut self.events),
        }
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.transactions.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }

    /// Rows the batch writes (for metrics).
    pub fn row_count(&self) -> usize {
        self.transactions.len()
            + self.events.len()
            + self.failures.len()
            + self.blobs.len()
            + self.blob_touches.len()
            + self.storage.len()
            + self.positions.len()
            + self.caps.len()
            + self.pools.len()
            + self.rates.len()
            + self.pool_epochs.len()
            + self.epochs.len()
            + self.committee.len()
            + self.chain_state.len()
            + 1
    }

    fn blob(&mut self, object_id: Bytes32, cursor: u64) -> &mut BlobRow {
        let row = self.blobs.entry(object_id).or_insert_with(|| BlobRow {
            object_id,
            ..BlobRow::default()
        });
        row.last_cursor = cursor;
        row
    }

    fn touch(&mut self, blob_id: Bytes32, cursor: u64) {
        let c = self.blob_touches.entry(blob_id).or_insert(cursor);
        *c = (*c).max(cursor);
    }
}

// === The builder ===

/// Applies transactions to an [`IndexState`], batch by batch.
#[derive(Debug)]
pub struct Builder {
    /// The state after the last built batch.
    pub state: IndexState,
    dirty_pools: HashSet<Bytes32>,
    dirty_epochs: HashSet<u32>,
    dirty_chain: HashSet<&'static str>,
    unknown_types_seen: HashSet<String>,
}

fn to_id(id: &Bytes32) -> ObjectId {
    ObjectId(*id)
}

fn epoch_state_label(state: &EpochState) -> &'static str {
    match state {
        EpochState::EpochChangeSync(_) => "sync",
        EpochState::EpochChangeDone(_) => "done",
        EpochState::NextParamsSelected(_) => "params_selected",
    }
}

fn shards_of(committee: &Committee, node: &Bytes32) -> Vec<u16> {
    committee.shards(&to_id(node)).to_vec()
}

fn failure_json(f: &walrus_chain::types::ExecutionFailure) -> String {
    serde_json::json!({"module": f.module, "code": f.code, "reason": f.reason}).to_string()
}

fn kind_label(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Created => "created",
        ChangeKind::Mutated => "mutated",
        ChangeKind::Transferred => "transferred",
        ChangeKind::Deleted => "deleted",
    }
}

fn attributes_json(metadata: &Metadata) -> String {
    let map: serde_json::Map<String, serde_json::Value> = metadata
        .metadata
        .iter()
        .map(|e| (e.key.clone(), serde_json::Value::String(e.value.clone())))
        .collect();
    serde_json::Value::Object(map).to_string()
}

impl Builder {
    /// A builder continuing from `state`.
    pub fn new(state: IndexState) -> Self {
        Self {
            state,
            dirty_pools: HashSet::new(),
            dirty_epochs: HashSet::new(),
            dirty_chain: HashSet::new(),
            unknown_types_seen: HashSet::new(),
        }
    }

    /// Builds one batch from `txs` (consecutive, starting at the state's cursor + 1).
    pub fn build(&mut self, txs: Vec<DecodedTx>, metrics: &Metrics) -> Batch {
        let mut batch = Batch {
            first_cursor: txs.first().map_or(self.state.cursor, |t| t.cursor),
            epoch: self.state.epoch,
            ..Batch::default()
        };
        for tx in txs {
            self.apply(&mut batch, tx, metrics);
        }
        batch.last_cursor = self.state.cursor;
        batch.timestamp_ms = self.state.timestamp_ms;
        batch.epoch_after = self.state.epoch;
        for id in self.dirty_pools.drain() {
            if let Some(entry) = self.state.pools.get(&id) {
                batch.pools.push(entry.clone());
            }
        }
        for epoch in self.dirty_epochs.drain() {
            if let Some(row) = self.state.epochs.get(&epoch) {
                batch.epochs.push(row.clone());
            }
        }
        for key in self.dirty_chain.drain() {
            let row = match key {
                "staking_inner" => self.state.staking.as_ref().map(ChainValue::row),
                "active_set" => self.state.active_set.as_ref().map(ChainValue::row),
                _ => self.state.system.as_ref().map(ChainValue::row),
            };
            if let Some((bcs, cursor)) = row {
                batch.chain_state.push((key, bcs, cursor));
            }
        }
        // Keep the current and the previous epoch rows only.
        while self.state.epochs.len() > 2 {
            self.state.epochs.pop_first();
        }
        batch
    }

    fn update_epoch(&mut self, epoch: u32, cursor: u64, f: impl FnOnce(&mut EpochRow)) {
        let mut created = false;
        let row = self.state.epochs.entry(epoch).or_insert_with(|| {
            created = true;
            EpochRow {
                epoch,
                ..EpochRow::default()
            }
        });
        let before = row.clone();
        f(row);
        if created || *row != before {
            row.last_cursor = cursor;
            self.dirty_epochs.insert(epoch);
        }
    }

    fn apply(&mut self, batch: &mut Batch, tx: DecodedTx, metrics: &Metrics) {
        let c = tx.cursor;
        batch.transactions.push(TxRow {
            cursor: c,
            digest: tx.digest,
            sender: tx.sender,
            timestamp_ms: tx.timestamp_ms,
            success: tx.failure.is_none(),
            failure: tx.failure.as_ref().map(failure_json),
            event_count: u32::try_from(tx.events.len()).unwrap_or(u32::MAX),
            change_count: u32::try_from(tx.change_count).unwrap_or(u32::MAX),
        });
        self.state.cursor = c;
        self.state.timestamp_ms = tx.timestamp_ms;

        // Events, raw, and what this transaction says about blobs.
        let mut deleted_by_event = HashSet::new();
        for e in &tx.events {
            let (json, status, error) = match &e.outcome {
                EventOutcome::Decoded { json, .. } => (Some(json.clone()), "decoded", None),
                EventOutcome::UnknownType => {
                    metrics.unknown_events.inc();
                    if self.unknown_types_seen.insert(e.event_type.clone()) {
                        tracing::warn!(
                            cursor = c,
                            event_index = e.index,
                            event_type = %e.event_type,
                            "event of an unknown type: stored raw (further ones of this type are logged at debug)"
                        );
                    } else {
                        tracing::debug!(cursor = c, event_index = e.index, event_type = %e.event_type, "unknown event type");
                    }
                    (None, "unknown_type", None)
                }
                EventOutcome::Failed(reason) => {
                    metrics.event_decode_failures.inc();
                    tracing::warn!(
                        cursor = c,
                        event_index = e.index,
                        event_type = %e.event_type,
                        error = %reason,
                        "event does not decode: stored raw"
                    );
                    (None, "decode_failed", Some(reason.clone()))
                }
            };
            let (epoch, blob_id, object_id) = match e.event() {
                Some(ContractEvent::BlobRegistered(x)) => {
                    (Some(x.epoch), Some(x.blob_id.0), Some(x.object_id.0))
                }
                Some(ContractEvent::BlobCertified(x)) => {
                    (Some(x.epoch), Some(x.blob_id.0), Some(x.object_id.0))
                }
                Some(ContractEvent::BlobDeleted(x)) => {
                    deleted_by_event.insert(x.object_id.0);
                    (Some(x.epoch), Some(x.blob_id.0), Some(x.object_id.0))
                }
                Some(ContractEvent::InvalidBlobId(x)) => (Some(x.epoch), Some(x.blob_id.0), None),
                Some(ContractEvent::EpochChangeStart(x)) => (Some(x.epoch), None, None),
                Some(ContractEvent::EpochChangeDone(x)) => (Some(x.epoch), None, None),
                Some(ContractEvent::ShardsReceived(x)) => (Some(x.epoch), None, None),
                Some(ContractEvent::EpochParametersSelected(x)) => (Some(x.next_epoch), None, None),
                Some(ContractEvent::PricesUpdated(x)) => (Some(x.epoch), None, None),
                Some(ContractEvent::ProtocolVersionUpdated(x)) => (Some(x.epoch), None, None),
                Some(ContractEvent::RegisterDenyListUpdate(x)) => (Some(x.epoch), None, None),
                Some(ContractEvent::DenyListUpdate(x)) => (Some(x.epoch), None, None),
                Some(ContractEvent::ShardRecoveryStart(x)) => (Some(x.epoch), None, None),
                Some(ContractEvent::DenyListBlobDeleted(x)) => {
                    (Some(x.epoch), Some(x.blob_id.0), None)
                }
                Some(ContractEvent::StoragePoolCreated(x)) => {
                    (Some(x.epoch), None, Some(x.storage_pool_id.0))
                }
                Some(ContractEvent::StoragePoolExtended(x)) => {
                    (Some(x.epoch), None, Some(x.storage_pool_id.0))
                }
                Some(ContractEvent::PooledBlobRegistered(x)) => {
                    (Some(x.epoch), Some(x.blob_id.0), Some(x.object_id.0))
                }
                Some(ContractEvent::PooledBlobCertified(x)) => {
                    (Some(x.epoch), Some(x.blob_id.0), Some(x.object_id.0))
                }
                Some(ContractEvent::PooledBlobDeleted(x)) => {
                    (Some(x.epoch), Some(x.blob_id.0), Some(x.object_id.0))
                }
                Some(ContractEvent::ContractUpgraded(x)) => {
                    (Some(x.epoch), None, Some(x.package_id.0))
                }
                Some(ContractEvent::ContractUpgradeProposed(x)) => (Some(x.epoch), None, None),
                Some(ContractEvent::ContractUpgradeQuorumReached(x)) => (Some(x.epoch), None, None),
                None => (None, None, None),
            };
            batch.events.push(EventRow {
                cursor: c,
                index: e.index,
                digest: tx.digest,
                event_type: e.event_type.clone(),
                name: e.name.clone(),
                bcs: e.bcs.clone(),
                json,
                status,
                error,
                epoch,
                blob_id,
                object_id,
            });
        }
        if tx.failure.is_some() {
            return;
        }
        if let Some(epoch) = tx.epoch_change {
            self.state.epoch = epoch;
        }

        // Blobs a SharedBlob of this transaction wraps (their deletion is a wrap, not a burn).
        let wrapped: HashSet<Bytes32> = tx
            .changes
            .iter()
            .filter_map(|ch| match &ch.value {
                ObjectValue::SharedBlob(s) => Some(s.blob.id.0),
                _ => None,
            })
            .collect();

        let mut pool_rewards = Vec::new();
        let mut changed_pools = HashSet::new();
        let mut staking_changed = false;
        let mut positions_changed = Vec::new();
        // Objects first, then the System and staking states, then the other dynamic fields
        // (whose parents, and the epoch duration APY needs, may come with the same
        // transaction), then events. Exchange-rate entries go by epoch (a rate's APY compares
        // it with the pool's previous rate; the stream orders fields by object id). Otherwise
        // the order within each group is the record's.
        let rank = |ch: &DecodedChange| match &ch.value {
            ObjectValue::SystemInner(..)
            | ObjectValue::StakingInner(..)
            | ObjectValue::Removed(ObjectKind::SystemInner | ObjectKind::StakingInner) => (1, 0),
            ObjectValue::ExchangeRate { epoch, .. } => (2, *epoch),
            ObjectValue::BlobAttributes(_)
            | ObjectValue::ActiveSet(..)
            | ObjectValue::NodeMetadata(_)
            | ObjectValue::Removed(
                ObjectKind::BlobAttributes
                | ObjectKind::ExchangeRate
                | ObjectKind::ActiveSet
                | ObjectKind::NodeMetadata,
            ) => (2, 0),
            _ => (0, 0),
        };
        let mut ordered: Vec<&DecodedChange> = tx.changes.iter().collect();
        ordered.sort_by_key(|ch| rank(ch));
        for ch in ordered {
            match &ch.value {
                ObjectValue::Blob(b) => {
                    let invalid = self.state.invalid_blob_ids.get(&b.blob_id.0).copied();
                    let row = batch.blob(ch.object_id, c);
                    row.content = Some(BlobContent {
                        blob: (**b).clone(),
                        owner: owner_cols(ch.owner),
                        shared_blob_id: None,
                        shared_funds: None,
                        version: ch.version,
                    });
                    row.invalid = row.invalid.or(invalid);
                    if ch.kind == ChangeKind::Created {
                        row.created_cursor.get_or_insert(c);
                    }
                }
                ObjectValue::SharedBlob(s) => {
                    let invalid = self.state.invalid_blob_ids.get(&s.blob.blob_id.0).copied();
                    let row = batch.blob(s.blob.id.0, c);
                    row.content = Some(BlobContent {
                        blob: s.blob.clone(),
                        owner: OwnerCols {
                            kind: "shared",
                            owner: None,
                        },
                        shared_blob_id: Some(ch.object_id),
                        shared_funds: Some(s.funds),
                        version: ch.version,
                    });
                    row.invalid = row.invalid.or(invalid);
                }
                ObjectValue::Removed(ObjectKind::Blob) => {
                    if deleted_by_event.contains(&ch.object_id) || wrapped.contains(&ch.object_id) {
                        batch.blob(ch.object_id, c);
                    } else {
                        let epoch = self.state.epoch;
                        batch.blob(ch.object_id, c).burned = Some(epoch);
                    }
                }
                ObjectValue::Storage(s) => {
                    let row = batch
                        .storage
                        .entry(ch.object_id)
                        .or_insert_with(|| StorageRow {
                            object_id: ch.object_id,
                            owner: owner_cols(None),
                            start_epoch: 0,
                            end_epoch: 0,
                            storage_size: 0,
                            version: 0,
                            created_cursor: None,
                            first_seen_created: ch.kind == ChangeKind::Created,
                            last_cursor: c,
                            removed: false,
                        });
                    row.owner = owner_cols(ch.owner);
                    row.start_epoch = s.start_epoch;
                    row.end_epoch = s.end_epoch;
                    row.storage_size = s.storage_size;
                    row.version = ch.version;
                    row.last_cursor = c;
                    row.removed = false;
                    if ch.kind == ChangeKind::Created {
                        row.created_cursor = Some(c);
                    }
                }
                ObjectValue::Removed(ObjectKind::Storage) => {
                    let row = batch
                        .storage
                        .entry(ch.object_id)
                        .or_insert_with(|| StorageRow {
                            object_id: ch.object_id,
                            owner: owner_cols(None),
                            start_epoch: 0,
                            end_epoch: 0,
                            storage_size: 0,
                            version: 0,
                            created_cursor: None,
                            first_seen_created: false,
                            last_cursor: c,
                            removed: true,
                        });
                    row.removed = true;
                    row.last_cursor = c;
                }
                ObjectValue::StakedWal(s) => {
                    let owner = match ch.owner {
                        Some(Owner::Address(a)) => Some(a.into_inner()),
                        _ => None,
                    };
                    let row = batch
                        .positions
                        .entry(ch.object_id)
                        .or_insert_with(|| PositionRow {
                            object_id: ch.object_id,
                            content: None,
                            deleted: false,
                            status: "active",
                            value: None,
                            created_cursor: None,
                            last_cursor: c,
                        });
                    row.content = Some(PositionContent {
                        owner,
                        node_id: s.node_id.0,
                        principal: s.principal,
                        activation_epoch: s.activation_epoch,
                        state: s.state,
                    });
                    row.deleted = false;
                    row.last_cursor = c;
                    if ch.kind == ChangeKind::Created {
                        row.created_cursor.get_or_insert(c);
                    }
                    positions_changed.push(ch.object_id);
                }
                ObjectValue::Removed(ObjectKind::StakedWal) => {
                    let row = batch
                        .positions
                        .entry(ch.object_id)
                        .or_insert_with(|| PositionRow {
                            object_id: ch.object_id,
                            content: None,
                            deleted: true,
                            status: "withdrawn",
                            value: None,
                            created_cursor: None,
                            last_cursor: c,
                        });
                    row.deleted = true;
                    row.status = "withdrawn";
                    row.last_cursor = c;
                }
                ObjectValue::NodeCap(cap) => {
                    let owner = match ch.owner {
                        Some(Owner::Address(a)) => Some(a.into_inner()),
                        _ => None,
                    };
                    let row = batch.caps.entry(ch.object_id).or_insert_with(|| CapRow {
                        object_id: ch.object_id,
                        content: None,
                        owner: None,
                        deleted: false,
                        created_cursor: None,
                        last_cursor: c,
                    });
                    row.content = Some((cap.node_id.0, cap.last_epoch_sync_done));
                    row.owner = owner;
                    row.deleted = false;
                    row.last_cursor = c;
                    if ch.kind == ChangeKind::Created {
                        row.created_cursor.get_or_insert(c);
                    }
                }
                ObjectValue::Removed(ObjectKind::NodeCap) => {
                    let row = batch.caps.entry(ch.object_id).or_insert_with(|| CapRow {
                        object_id: ch.object_id,
                        content: None,
                        owner: None,
                        deleted: true,
                        created_cursor: None,
                        last_cursor: c,
                    });
                    row.deleted = true;
                    row.last_cursor = c;
                }
                ObjectValue::Pool(pool, bcs) => {
                    let node = ch.object_id;
                    let before = self
                        .state
                        .pools
                        .get(&node)
                        .map(|e| (e.pool.latest_epoch, e.pool.commission, e.pool.rewards_pool));
                    let entry = self.state.pools.entry(node).or_insert_with(|| PoolEntry {
                        pool: (**pool).clone(),
                        metadata: NodeMetadata::default(),
                        bcs: Vec::new(),
                        rates: PoolRates::default(),
                        apys: BTreeMap::new(),
                        derived: PoolDerived::default(),
                        created_cursor: c,
                        last_cursor: c,
                    });
                    entry.pool = (**pool).clone();
                    entry.bcs.clone_from(bcs);
                    entry.rates.activation_epoch = pool.activation_epoch;
                    entry.rates.table_size = pool.exchange_rates.size;
                    entry.last_cursor = c;
                    self.state
                        .rate_tables
                        .insert(pool.exchange_rates.id.0, node);
                    self.state
                        .metadata_fields
                        .insert(pool.node_info.metadata.id.0, node);
                    self.dirty_pools.insert(node);
                    changed_pools.insert(node);
                    if let Some(epoch) = tx.epoch_change {
                        let (latest, commission, rewards_pool) = before.unwrap_or((0, 0, 0));
                        if pool.latest_epoch == epoch && latest < epoch && epoch > 0 {
                            let commission = pool.commission.saturating_sub(commission);
                            let delegators = pool.rewards_pool.saturating_sub(rewards_pool);
                            pool_rewards.push((
                                node,
                                epoch - 1,
                                delegators.saturating_add(commission),
                                commission,
                            ));
                        }
                    }
                }
                ObjectValue::SystemInner(value, bcs) => {
                    if ChainValue::replace(&mut self.state.system, value, bcs, c) {
                        self.dirty_chain.insert("system_inner");
                        let epoch = value.committee.epoch;
                        let (cap, used, sp, wp, n) = (
                            value.total_capacity_size,
                            value.used_capacity_size,
                            value.storage_price_per_unit_size,
                            value.write_price_per_unit_size,
                            value.committee.n_shards,
                        );
                        self.update_epoch(epoch, c, |row| {
                            row.total_capacity = Some(cap);
                            row.used_capacity = Some(used);
                            row.storage_price = Some(sp);
                            row.write_price = Some(wp);
                            row.n_shards = Some(n);
                        });
                    }
                }
                ObjectValue::StakingInner(value, bcs) => {
                    if ChainValue::replace(&mut self.state.staking, value, bcs, c) {
                        self.dirty_chain.insert("staking_inner");
                        staking_changed = true;
                        let (duration, n, state) = (
                            value.epoch_duration,
                            value.n_shards,
                            epoch_state_label(&value.epoch_state),
                        );
                        self.update_epoch(value.epoch, c, |row| {
                            row.epoch_duration_ms = Some(duration);
                            row.n_shards = Some(n);
                            row.epoch_state = Some(state.to_owned());
                        });
                    }
                }
                ObjectValue::ActiveSet(value, bcs) => {
                    if ChainValue::replace(&mut self.state.active_set, value, bcs, c) {
                        self.dirty_chain.insert("active_set");
                        staking_changed = true;
                    }
                }
                ObjectValue::NodeMetadata(metadata) => {
                    let field = match ch.owner {
                        Some(Owner::Object(f)) => f.into_inner(),
                        _ => [0; 32],
                    };
                    let entry = self
                        .state
                        .metadata_fields
                        .get(&field)
                        .copied()
                        .and_then(|node| self.state.pools.get_mut(&node).map(|e| (node, e)));
                    let Some((node, entry)) = entry else {
                        metrics.orphan_changes.inc();
                        tracing::warn!(cursor = c, field = %hex::encode(field), "metadata of an unknown pool: ignored");
                        continue;
                    };
                    if entry.metadata != **metadata {
                        entry.metadata = (**metadata).clone();
                        entry.last_cursor = c;
                        self.dirty_pools.insert(node);
                    }
                }
                // Their pool or staking state is gone with them.
                ObjectValue::Removed(ObjectKind::ActiveSet | ObjectKind::NodeMetadata) => {}
                ObjectValue::BlobAttributes(metadata) => match ch.owner {
                    Some(Owner::Object(parent)) => {
                        let row = batch.blob(parent.into_inner(), c);
                        row.attributes = Some((Some(attributes_json(metadata)), ch.object_id));
                    }
                    other => {
                        metrics.orphan_changes.inc();
                        tracing::warn!(cursor = c, object_id = %hex::encode(ch.object_id), owner = ?other, "blob attributes not owned by an object: ignored");
                    }
                },
                ObjectValue::Removed(ObjectKind::BlobAttributes) => {
                    let in_batch = batch.blobs.values_mut().find(|r| {
                        r.attributes
                            .as_ref()
                            .is_some_and(|(_, field)| *field == ch.object_id)
                    });
                    match in_batch {
                        Some(row) => {
                            row.attributes = Some((None, ch.object_id));
                            row.last_cursor = c;
                        }
                        None => batch.attribute_removals.push((ch.object_id, c)),
                    }
                }
                ObjectValue::ExchangeRate { epoch, rate } => {
                    let table = match ch.owner {
                        Some(Owner::Object(t)) => t.into_inner(),
                        _ => [0; 32],
                    };
                    let Some(node) = self.state.rate_tables.get(&table).copied() else {
                        metrics.orphan_changes.inc();
                        tracing::warn!(cursor = c, table = %hex::encode(table), "exchange rate of an unknown pool table: ignored");
                        continue;
                    };
                    let duration = self.state.staking.as_ref().map(|s| s.value.epoch_duration);
                    let Some(entry) = self.state.pools.get_mut(&node) else {
                        continue;
                    };
                    if entry.rates.rates.get(epoch) == Some(rate) {
                        continue;
                    }
                    let previous = entry.rates.rates.range(..*epoch).next_back();
                    let apy = derive::apy(previous.map(|(e, r)| (*e, r)), *epoch, rate, duration);
                    entry.rates.rates.insert(*epoch, *rate);
                    entry.apys.insert(*epoch, apy);
                    batch.rates.push(RateRow {
                        node_id: node,
                        epoch: *epoch,
                        rate: *rate,
                        apy,
                        cursor: c,
                    });
                    changed_pools.insert(node);
                }
                ObjectValue::Removed(kind) => {
                    metrics.orphan_changes.inc();
                    tracing::warn!(cursor = c, object_id = %hex::encode(ch.object_id), kind = kind.label(), "unexpected deletion: ignored");
                }
                ObjectValue::Failed { kind, error } => {
                    metrics.object_decode_failures.inc();
                    tracing::warn!(cursor = c, object_id = %hex::encode(ch.object_id), object_type = %ch.object_type, %error, "object change does not decode: stored raw in object_decode_failures");
                    batch.failures.push(FailureRow {
                        cursor: c,
                        object_id: ch.object_id,
                        object_type: ch.object_type.clone(),
                        change_kind: kind_label(ch.kind),
                        contents: ch.contents.clone(),
                        error: format!("{}: {error}", kind.label()),
                    });
                }
            }
        }

        // Events, in order.
        for e in &tx.events {
            let Some(event) = e.event() else { continue };
            match event {
                ContractEvent::BlobRegistered(x) => {
                    let row = batch.blob(x.object_id.0, c);
                    row.registered_cursor.get_or_insert(c);
                    row.last_event = Some((c, e.index));
                    batch.touch(x.blob_id.0, c);
                }
                ContractEvent::BlobCertified(x) => {
                    let row = batch.blob(x.object_id.0, c);
                    if !x.is_extension {
                        row.certified_cursor.get_or_insert(c);
                    }
                    row.last_event = Some((c, e.index));
                    batch.touch(x.blob_id.0, c);
                }
                ContractEvent::BlobDeleted(x) => {
                    let row = batch.blob(x.object_id.0, c);
                    row.deleted = Some((x.epoch, c));
                    row.last_event = Some((c, e.index));
                    batch.touch(x.blob_id.0, c);
                }
                ContractEvent::InvalidBlobId(x) => {
                    self.state
                        .invalid_blob_ids
                        .entry(x.blob_id.0)
                        .or_insert(x.epoch);
                    for row in batch.blobs.values_mut() {
                        if row
                            .content
                            .as_ref()
                            .is_some_and(|b| b.blob.blob_id == x.blob_id)
                        {
                            row.invalid = row.invalid.or(Some(x.epoch));
                            row.last_cursor = c;
                        }
                    }
                    batch.invalidations.push((x.blob_id.0, x.epoch, c, e.index));
                    batch.touch(x.blob_id.0, c);
                }
                ContractEvent::EpochChangeStart(x) => {
                    let ts = tx.timestamp_ms;
                    self.update_epoch(x.epoch, c, |row| {
                        row.start_ms = Some(ts);
                        row.start_cursor = Some(c);
                    });
                }
                ContractEvent::EpochChangeDone(x) => {
                    let ts = tx.timestamp_ms;
                    self.update_epoch(x.epoch, c, |row| {
                        row.change_done_ms = Some(ts);
                        row.change_done_cursor = Some(c);
                    });
                }
                ContractEvent::EpochParametersSelected(x) => {
                    let ts = tx.timestamp_ms;
                    self.update_epoch(x.next_epoch.saturating_sub(1), c, |row| {
                        row.params_selected_ms = Some(ts);
                        row.params_selected_cursor = Some(c);
                    });
                }
                ContractEvent::PricesUpdated(x) => {
                    let (s, w) = (x.storage_price, x.write_price);
                    self.update_epoch(x.epoch, c, |row| {
                        row.storage_price = Some(s);
                        row.write_price = Some(w);
                    });
                }
                // Kept in the events table; no other table follows them.
                ContractEvent::ShardsReceived(_)
                | ContractEvent::ProtocolVersionUpdated(_)
                | ContractEvent::RegisterDenyListUpdate(_)
                | ContractEvent::DenyListUpdate(_)
                | ContractEvent::DenyListBlobDeleted(_)
                | ContractEvent::ShardRecoveryStart(_)
                | ContractEvent::StoragePoolCreated(_)
                | ContractEvent::StoragePoolExtended(_)
                | ContractEvent::PooledBlobRegistered(_)
                | ContractEvent::PooledBlobCertified(_)
                | ContractEvent::PooledBlobDeleted(_)
                | ContractEvent::ContractUpgraded(_)
                | ContractEvent::ContractUpgradeProposed(_)
                | ContractEvent::ContractUpgradeQuorumReached(_) => {}
            }
        }

        // Derived pool values, after the whole transaction.
        let all = staking_changed || tx.epoch_change.is_some();
        let ids: Vec<Bytes32> = if all {
            self.state.pools.keys().copied().collect()
        } else {
            changed_pools.iter().copied().collect()
        };
        for id in ids {
            self.refresh_pool(&id, c);
        }

        if let Some(epoch) = tx.epoch_change {
            self.start_epoch(batch, epoch, c, pool_rewards);
        }

        // Positions changed by this transaction, valued after it.
        for id in positions_changed {
            let epoch = self.state.epoch;
            if let Some(row) = batch.positions.get_mut(&id)
                && let Some(content) = &row.content
            {
                let rates = self.state.pools.get(&content.node_id).map(|p| &p.rates);
                row.status = derive::position_status(
                    row.deleted,
                    &content.state,
                    content.activation_epoch,
                    epoch,
                );
                row.value = rates.and_then(|r| {
                    derive::position_value(
                        r,
                        content.principal,
                        &content.state,
                        content.activation_epoch,
                        epoch,
                    )
                });
            }
        }
    }

    fn refresh_pool(&mut self, id: &Bytes32, cursor: u64) {
        let epoch = self.state.epoch;
        let staking = self.state.staking.as_ref().map(|s| &s.value);
        let active_set = self.state.active_set.as_ref().map(|s| &*s.value);
        let Some(entry) = self.state.pools.get_mut(id) else {
            return;
        };
        let node = to_id(id);
        let (state, shards, next_shards, in_active_set) = match staking {
            Some(s) => {
                let shards = u32::try_from(s.committee.shards(&node).len()).unwrap_or(0);
                let next = s
                    .next_committee
                    .as_ref()
                    .map(|c| u32::try_from(c.shards(&node).len()).unwrap_or(0));
                let active = active_set.is_some_and(|a| a.nodes.iter().any(|e| e.node_id == node));
                let state = if shards > 0 {
                    "committee"
                } else if active {
                    "active_set"
                } else {
                    "inactive"
                };
                (state, shards, next, active)
            }
            None => ("unknown", 0, None, false),
        };
        let derived = PoolDerived {
            state: state.to_owned(),
            shards,
            next_shards,
            in_active_set,
            stake_next: derive::wal_balance_at_epoch(&entry.pool, &entry.rates, epoch + 1),
            stake_after_next: derive::wal_balance_at_epoch(&entry.pool, &entry.rates, epoch + 2),
            apy: entry.apys.last_key_value().and_then(|(_, a)| *a),
        };
        if derived != entry.derived {
            entry.derived = derived;
            entry.last_cursor = cursor;
            self.dirty_pools.insert(*id);
        }
    }

    fn start_epoch(
        &mut self,
        batch: &mut Batch,
        epoch: u32,
        cursor: u64,
        pool_rewards: Vec<(Bytes32, u32, u64, u64)>,
    ) {
        // Rewards of the ending epoch, per pool and in total.
        let mut total = 0u64;
        let mut commission_total = 0u64;
        for (node, ended, reward, commission) in pool_rewards {
            total = total.saturating_add(reward);
            commission_total = commission_total.saturating_add(commission);
            let rate = self.state.pools.get(&node).map(|p| p.pool.commission_rate);
            let row = batch.pool_epochs.entry((node, ended)).or_default();
            row.rewards = Some(reward);
            row.commission = Some(commission);
            row.commission_rate = row.commission_rate.or(rate);
            row.last_cursor = cursor;
        }
        if epoch > 0 {
            self.update_epoch(epoch - 1, cursor, |row| {
                row.rewards_total = Some(total);
                row.commission_total = Some(commission_total);
            });
        }

        // The new committee, its stake, and every pool's stake at the start of the epoch.
        let staking = self.state.staking.as_ref().map(|s| &s.value);
        let committee = staking.filter(|s| s.epoch == epoch).map(|s| &s.committee);
        let keys = self
            .state
            .system
            .as_ref()
            .filter(|s| s.value.committee.epoch == epoch)
            .map(|s| &s.value.committee.members);
        let mut total_stake = committee.map(|_| 0u64);
        if let Some(committee) = committee {
            for entry in &committee.0.contents {
                let node = entry.key.0;
                let stake = self.state.pools.get(&node).map(|p| p.pool.wal_balance);
                total_stake = total_stake.map(|t| t.saturating_add(stake.unwrap_or(0)));
                let public_key = keys.and_then(|members| {
                    members
                        .iter()
                        .find(|m| m.node_id == entry.key)
                        .map(|m| m.public_key.clone())
                });
                batch.committee.push(CommitteeRow {
                    epoch,
                    node_id: node,
                    shards: entry.value.clone(),
                    public_key,
                    stake,
                    cursor,
                });
            }
        }
        for (node, p) in &self.state.pools {
            if p.pool.latest_epoch != epoch {
                continue;
            }
            let shards = committee.map_or(0, |c| shards_of(c, node).len());
            let row = batch.pool_epochs.entry((*node, epoch)).or_default();
            row.stake = Some(p.pool.wal_balance);
            row.commission_rate = Some(p.pool.commission_rate);
            row.shards = Some(u32::try_from(shards).unwrap_or(0));
            row.last_cursor = cursor;
        }
        self.update_epoch(epoch, cursor, |row| {
            if total_stake.is_some() {
                row.total_stake = total_stake;
            }
        });
        batch.sweep = Some(EpochSweep {
            epoch,
            cursor,
            rates: self
                .state
                .pools
                .iter()
                .map(|(id, p)| (*id, p.rates.clone()))
                .collect(),
        });
    }
}
