//! The node's shared state: the store, the event-derived blob info, the committee view, the
//! signing key and the metrics. The REST handlers and the background tasks all work on it.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use walrus_chain::bls::BlsPrivateKey;
use walrus_chain::walrus::chain::CommitteeView;
use walrus_core::{
    Axis, BlobId, EncodingAxis, EncodingConfig, Primary, RecoverySymbolSource, Secondary,
    ShardIndex, VerifiedBlobMetadataWithId,
};

use crate::blob_info::EventState;
use crate::config::Limits;
use crate::event_store::EventStore;
use crate::storage::SliverStore;

/// Locks ignoring poisoning: every critical section leaves the data consistent.
pub(crate) fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}
pub(crate) fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// The committee as this node sees it.
#[derive(Debug, Clone, Default)]
pub struct CommitteeState {
    /// The current epoch.
    pub epoch: u32,
    /// The shards this node owns in it.
    pub owned: BTreeSet<u16>,
    /// Whether this node is a member.
    pub member: bool,
    /// The full view, for reaching other nodes.
    pub view: Option<CommitteeView>,
}

/// Counters exported at `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// HTTP requests handled.
    pub requests: AtomicU64,
    /// Requests answered with an error envelope.
    pub request_errors: AtomicU64,
    /// Requests refused by the per-client concurrency limit.
    pub requests_throttled: AtomicU64,
    /// Request body bytes received.
    pub bytes_received: AtomicU64,
    /// Response body bytes sent (slivers and metadata).
    pub bytes_sent: AtomicU64,
    /// Slivers stored by uploads.
    pub slivers_stored: AtomicU64,
    /// Metadata stored.
    pub metadata_stored: AtomicU64,
    /// Slivers recovered from other nodes.
    pub slivers_recovered: AtomicU64,
    /// Stored slivers that failed their checksum on read (discarded and queued for recovery).
    pub slivers_corrupt: AtomicU64,
    /// Storage confirmations signed.
    pub confirmations_signed: AtomicU64,
    /// The chain's head cursor as last seen.
    pub chain_head: AtomicU64,
}

impl Metrics {
    pub(crate) fn inc(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }
}

/// Everything a node's tasks share.
pub struct NodeState {
    /// The encoding parameters for the system's shard count.
    pub encoding: EncodingConfig,
    /// Metadata and slivers.
    pub store: SliverStore,
    /// Where [`EventState`] is persisted (used by the event follower only).
    pub event_store: Mutex<EventStore>,
    /// Blob info and the stream cursor.
    pub events: RwLock<EventState>,
    /// The committee.
    pub committee: RwLock<CommitteeState>,
    /// The protocol key.
    pub bls: BlsPrivateKey,
    /// Limits.
    pub limits: Limits,
    /// The effective body limit.
    pub max_body_bytes: usize,
    /// Counters.
    pub metrics: Metrics,
    /// Requests in flight per client.
    pub(crate) in_flight: Mutex<HashMap<IpAddr, Arc<tokio::sync::Semaphore>>>,
    /// Inconsistencies found while recovering, with this node's attestations.
    pub inconsistencies: Mutex<Vec<crate::recovery::FoundInconsistency>>,
    /// Shards with data on disk that this node does not own, and the epoch it first saw that
    /// (they are kept one epoch for the new owners, then deleted).
    pub shards_lost: Mutex<std::collections::BTreeMap<u16, u32>>,
    /// Uploads waiting for their registration.
    pub pending: Mutex<crate::pending::PendingBuffer>,
    /// Recently computed sliver expansions, to answer recovery-symbol requests.
    pub expansions: Mutex<ExpansionCache>,
    /// Shard transfers at epoch change (persisted progress, counters).
    pub shard_sync: crate::sync::SyncState,
    /// When the node started.
    pub started: Instant,
}

impl std::fmt::Debug for NodeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeState")
            .field("n_shards", &self.encoding.n_shards())
            .field("public_key", &self.bls.public_key().as_bytes())
            .finish_non_exhaustive()
    }
}

/// The largest request body a node with `encoding` needs: its largest possible sliver (the
/// primary sliver of a maximal blob) plus BCS framing, or the metadata if larger.
pub fn derived_body_limit(encoding: &EncodingConfig) -> usize {
    let sliver = encoding
        .sliver_size::<Primary>(encoding.max_blob_size())
        .unwrap_or(u64::MAX >> 1);
    let metadata = 64 + 66 * u64::from(encoding.n_shards());
    usize::try_from(sliver.max(metadata) + 16).unwrap_or(usize::MAX)
}

impl NodeState {
    /// A stored sliver, read through the store. One that fails its checksum (bit rot, a damaged
    /// disk) is not served: it is logged, counted, deleted from the store and its blob queued
    /// for recovery, which fetches it again from the other nodes; the caller sees it missing.
    pub fn stored_sliver(
        &self,
        shard: ShardIndex,
        blob_id: &BlobId,
        axis: Axis,
    ) -> std::io::Result<Option<Vec<u8>>> {
        match self.store.sliver(shard, blob_id, axis) {
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                tracing::error!(
                    %blob_id,
                    shard = shard.get(),
                    %axis,
                    error = %e,
                    "a stored sliver is damaged; discarding it and recovering it from other nodes"
                );
                Metrics::inc(&self.metrics.slivers_corrupt, 1);
                self.store.discard_sliver(shard, blob_id, axis)?;
                write(&self.events).to_recover.insert(blob_id.to_string());
                Ok(None)
            }
            other => other,
        }
    }

    /// Clients (IP addresses) with requests in flight: the per-client limit tracks only those.
    pub fn clients_in_flight(&self) -> usize {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The current epoch and owned shards.
    pub fn committee(&self) -> CommitteeState {
        read(&self.committee).clone()
    }

    /// The shard holding `pair` of `blob_id` if this node owns it now.
    pub fn owned_shard_for_pair(
        &self,
        blob_id: &BlobId,
        pair: walrus_core::SliverPairIndex,
    ) -> Option<ShardIndex> {
        let shard = self.encoding.shard_for_pair(pair, blob_id).ok()?;
        read(&self.committee)
            .owned
            .contains(&shard.get())
            .then_some(shard)
    }

    /// The stored, verified metadata of `blob_id`.
    pub fn verified_metadata(&self, blob_id: &BlobId) -> Option<VerifiedBlobMetadataWithId> {
        use walrus_core::Bcs as _;
        let bytes = self.store.metadata(blob_id).ok()??;
        let unverified = walrus_core::UnverifiedBlobMetadataWithId::from_bcs(&bytes).ok()?;
        unverified.verify(&self.encoding).ok()
    }

    /// The (shard, axis) slivers of `blob_id` this node must hold in its owned shards and does
    /// not hold.
    pub fn missing_slivers(
        &self,
        blob_id: &BlobId,
        owned: &BTreeSet<u16>,
    ) -> Vec<(ShardIndex, Axis)> {
        let mut missing = Vec::new();
        for &shard in owned {
            for axis in [Axis::Primary, Axis::Secondary] {
                if !self.store.has_sliver(ShardIndex(shard), blob_id, axis) {
                    missing.push((ShardIndex(shard), axis));
                }
            }
        }
        missing
    }
}

/// Expanded slivers (the source of recovery symbols) for recent requests: a node recovering a
/// shard asks for one target sliver at a time, and every answer needs the expansion of every
/// sliver of the blob held here. Bounded by entry count; cleared when full.
#[derive(Debug, Default)]
pub struct ExpansionCache {
    primary_targets: HashMap<(BlobId, u16), Arc<RecoverySymbolSource<Primary>>>,
    secondary_targets: HashMap<(BlobId, u16), Arc<RecoverySymbolSource<Secondary>>>,
}

/// The most expansions kept.
pub const EXPANSION_CACHE_ENTRIES: usize = 64;

/// Selects the cache map of a target axis.
pub trait CachedAxis: EncodingAxis {
    /// The map for targets on this axis.
    fn map(
        cache: &mut ExpansionCache,
    ) -> &mut HashMap<(BlobId, u16), Arc<RecoverySymbolSource<Self>>>;
}

impl CachedAxis for Primary {
    fn map(
        cache: &mut ExpansionCache,
    ) -> &mut HashMap<(BlobId, u16), Arc<RecoverySymbolSource<Self>>> {
        &mut cache.primary_targets
    }
}

impl CachedAxis for Secondary {
    fn map(
        cache: &mut ExpansionCache,
    ) -> &mut HashMap<(BlobId, u16), Arc<RecoverySymbolSource<Self>>> {
        &mut cache.secondary_targets
    }
}

impl ExpansionCache {
    /// The cached expansion of the source sliver on `shard` for targets on axis `A`.
    pub fn get<A: CachedAxis>(
        &mut self,
        blob_id: &BlobId,
        shard: u16,
    ) -> Option<Arc<RecoverySymbolSource<A>>> {
        A::map(self).get(&(*blob_id, shard)).cloned()
    }

    /// Caches an expansion.
    pub fn put<A: CachedAxis>(
        &mut self,
        blob_id: BlobId,
        shard: u16,
        source: Arc<RecoverySymbolSource<A>>,
    ) {
        if self.primary_targets.len() + self.secondary_targets.len() >= EXPANSION_CACHE_ENTRIES {
            self.primary_targets.clear();
            self.secondary_targets.clear();
        }
        A::map(self).insert((blob_id, shard), source);
    }
}
