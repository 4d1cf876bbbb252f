//! Shard sync at epoch change: a node that gains shards fetches their slivers from the shards'
//! previous owners (`POST /v1/migrate/sync_shard`, signed with its BLS key, paged by blob ID),
//! verifies every sliver against the blob's metadata before storing it, and persists its
//! progress after every page so a restart resumes where it stopped. When a previous owner is
//! down or keeps failing, the shard falls back to recovery from recovery symbols
//! ([`crate::recovery`]), which also fills in whatever the previous owner did not deliver.
//! Recovery leaves a shard alone while it is being transferred, and `epoch_sync_done` waits
//! until no shard is.
//!
//! The serving side ([`page_for`]) answers only the committee member that owns the shard in
//! the current epoch, and only if this node owned it in the previous one; the checks on the
//! request itself live in the route handler (`server.rs`).
//!
//! The old owner keeps a shard it lost until the chain shows the handover (`ShardsReceived` for
//! that shard, emitted by the new owner's `epoch_sync_done`), or, failing that, for one full
//! epoch more (see `recovery::collect_garbage`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use walrus_chain::types::TransactionRecord;
use walrus_chain::walrus::chain::{CommitteeView, LedgerBackend, WalrusChain};
use walrus_core::contracts::events::ContractEvent;
use walrus_core::messages::SyncShardMessage;
use walrus_core::{
    Axis, Bcs, BlobId, ByAxis, EncodingAxis, Primary, Secondary, ShardIndex, Sliver, SliverData,
    VerifiedBlobMetadataWithId,
};
use walrus_node_api::{NodeClient, SignedMessage};

use crate::state::{CommitteeState, NodeState, read};

/// The largest `sync_shard` request body accepted (a signed request is 7 + 48 + 96 bytes plus
/// BCS length prefixes).
pub const MAX_REQUEST_BYTES: usize = 1024;

/// A page stops growing once it holds this many bytes of slivers (it always holds at least one
/// sliver when any is left); the requester asks for the next page from where it ended.
pub const MAX_RESPONSE_BYTES: usize = 64 << 20;

/// Consecutive failed requests to a previous owner before its shard falls back to recovery.
pub const ATTEMPTS_BEFORE_FALLBACK: u32 = 10;

/// The pause after a failed request to a previous owner.
const RETRY_WAIT: Duration = Duration::from_millis(500);

/// Where one axis of one shard's transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AxisProgress {
    /// Still to fetch, from this blob ID on (inclusive).
    Next(BlobId),
    /// Everything the previous owner had was fetched.
    Synced,
    /// The previous owner could not be reached: recovery rebuilds the slivers.
    FellBack,
}

impl AxisProgress {
    fn pending(&self) -> Option<BlobId> {
        match self {
            Self::Next(id) => Some(*id),
            _ => None,
        }
    }
}

/// One shard moving to this node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardProgress {
    /// The previous owner's network address.
    pub from: String,
    /// Primary slivers.
    pub primary: AxisProgress,
    /// Secondary slivers.
    pub secondary: AxisProgress,
}

impl ShardProgress {
    fn axis_mut(&mut self, axis: Axis) -> &mut AxisProgress {
        match axis {
            Axis::Primary => &mut self.primary,
            Axis::Secondary => &mut self.secondary,
        }
    }
}

/// The persisted state (`shard_sync.json` in the data directory).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncProgress {
    /// The epoch the transfers are for.
    pub epoch: u32,
    /// The shards gained in `epoch` that had a previous owner, and where each transfer stands.
    pub shards: BTreeMap<u16, ShardProgress>,
    /// Per shard, the latest epoch in which its owner reported it received (`ShardsReceived`).
    #[serde(default)]
    pub handed_over: BTreeMap<u16, u32>,
}

/// Counters exported at `/metrics`.
#[derive(Debug, Default)]
pub struct SyncMetrics {
    /// Slivers fetched from previous owners, verified and stored.
    pub slivers_synced: AtomicU64,
    /// Slivers from previous owners refused (wrong axis or index, failed verification, no
    /// metadata, unknown or dead blob).
    pub slivers_rejected: AtomicU64,
    /// Slivers this node served to new owners.
    pub slivers_served: AtomicU64,
    /// Shard axes (a shard's primary or secondary slivers) fully synced.
    pub axes_synced: AtomicU64,
    /// Shard axes handed to recovery because the previous owner could not be reached.
    pub axes_fell_back: AtomicU64,
}

/// The shard sync state shared by the sync task, the recovery task and the API.
#[derive(Debug)]
pub struct SyncState {
    path: PathBuf,
    progress: Mutex<SyncProgress>,
    /// The epoch whose transfers are known (recovery waits for it before touching shards).
    planned_epoch: AtomicU32,
    /// The previous epoch's committee, once read.
    previous: RwLock<Option<CommitteeView>>,
    /// Counters.
    pub metrics: SyncMetrics,
}

impl SyncState {
    /// Loads the persisted progress at `path` (none yet: empty).
    pub fn load(path: &Path) -> io::Result<Self> {
        let progress = match fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => SyncProgress::default(),
            Err(e) => return Err(e),
        };
        Ok(Self {
            path: path.to_owned(),
            progress: Mutex::new(progress),
            planned_epoch: AtomicU32::new(0),
            previous: RwLock::new(None),
            metrics: SyncMetrics::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SyncProgress> {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the progress.
    pub fn progress(&self) -> SyncProgress {
        self.lock().clone()
    }

    /// Persists `progress` atomically and durably.
    fn save(&self, progress: &SyncProgress) -> io::Result<()> {
        let bytes = serde_json::to_vec(progress).map_err(io::Error::other)?;
        let tmp = self.path.with_extension("tmp");
        let mut file = File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    /// Changes the progress and persists it (under the lock, so saves are ordered).
    fn update(&self, change: impl FnOnce(&mut SyncProgress)) -> io::Result<()> {
        let mut progress = self.lock();
        let mut next = progress.clone();
        change(&mut next);
        if next != *progress {
            self.save(&next)?;
            *progress = next;
        }
        Ok(())
    }

    /// Whether the transfers of `epoch` are known (until then recovery leaves shards alone).
    pub fn planned(&self, epoch: u32) -> bool {
        self.planned_epoch.load(Ordering::Acquire) >= epoch
    }

    /// The shards still being transferred from their previous owners.
    pub fn in_transfer(&self) -> BTreeSet<u16> {
        self.lock()
            .shards
            .iter()
            .filter(|(_, p)| p.primary.pending().is_some() || p.secondary.pending().is_some())
            .map(|(&s, _)| s)
            .collect()
    }

    /// Whether the transfers of `epoch` are planned and none is still running.
    pub fn idle(&self, epoch: u32) -> bool {
        self.planned(epoch) && self.in_transfer().is_empty()
    }

    /// Whether the member with `public_key` owned `shard` in the epoch before `epoch`; `None`
    /// when that committee is not known (yet).
    pub fn owned_before(&self, public_key: &[u8], shard: u16, epoch: u32) -> Option<bool> {
        let previous = read(&self.previous);
        let view = previous.as_ref().filter(|v| v.epoch + 1 == epoch)?;
        Some(
            view.owner_of(shard)
                .is_some_and(|(_, m)| m.public_key == public_key),
        )
    }

    /// The latest epoch in which the owner of `shard` reported receiving it.
    pub fn handed_over(&self, shard: u16) -> Option<u32> {
        self.lock().handed_over.get(&shard).copied()
    }

    /// Records the `ShardsReceived` events of `records` (called before the event cursor is
    /// persisted, so none is missed).
    pub fn observe(&self, records: &[TransactionRecord]) -> io::Result<()> {
        let mut received = Vec::new();
        for record in records {
            for event in &record.events {
                if let Ok(Some(ContractEvent::ShardsReceived(e))) =
                    ContractEvent::decode(&event.event_type, &event.bcs)
                {
                    received.push(e);
                }
            }
        }
        if received.is_empty() {
            return Ok(());
        }
        self.update(|p| {
            for e in received {
                for shard in e.shards {
                    let entry = p.handed_over.entry(shard).or_insert(e.epoch);
                    *entry = (*entry).max(e.epoch);
                }
            }
        })
    }
}

// === Serving side ===

fn push_uleb128(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// The BCS `Vec<(BlobId, Sliver)>` of `shard`'s `axis` slivers from `start` on (blob-ID order),
/// at most `count` of them and about [`MAX_RESPONSE_BYTES`], skipping blobs that are unknown or
/// dead in the current epoch. Stored slivers were verified when stored and are sent as stored.
pub(crate) fn page_for(
    state: &NodeState,
    shard: u16,
    axis: Axis,
    start: BlobId,
    count: u64,
) -> io::Result<(Vec<u8>, u64)> {
    let epoch = state.committee().epoch;
    let mut entries = Vec::new();
    let mut n = 0u64;
    // The shard's index is read a chunk at a time from `start` on, so a page costs what it
    // returns, not the size of the shard.
    let mut after = Bound::Included(start);
    'page: loop {
        let chunk = state
            .store
            .blobs_in_shard_after(ShardIndex(shard), after, 256);
        let Some(&last) = chunk.last() else { break };
        after = Bound::Excluded(last);
        for id in chunk {
            if n >= count || entries.len() >= MAX_RESPONSE_BYTES {
                break 'page;
            }
            let live = read(&state.events)
                .blob(&id)
                .is_some_and(|info| !info.is_dead(epoch));
            if !live {
                continue;
            }
            let Some(bytes) = state.stored_sliver(ShardIndex(shard), &id, axis)? else {
                continue;
            };
            entries.extend_from_slice(id.as_bytes());
            entries.push(match axis {
                Axis::Primary => 0,
                Axis::Secondary => 1,
            });
            entries.extend_from_slice(&bytes);
            n += 1;
        }
    }
    let mut body = Vec::with_capacity(entries.len() + 10);
    push_uleb128(&mut body, n);
    body.extend_from_slice(&entries);
    crate::state::Metrics::inc(&state.shard_sync.metrics.slivers_served, n);
    Ok((body, n))
}

// === Receiving side ===

/// Learns the transfers of the current epoch (once per epoch; resumes persisted ones).
/// `false` while they cannot be known yet.
async fn plan<B: LedgerBackend>(
    state: &NodeState,
    chain: &WalrusChain<B>,
    committee: &CommitteeState,
) -> bool {
    let sync = &state.shard_sync;
    let epoch = committee.epoch;
    if sync.planned(epoch) && read(&sync.previous).is_some() {
        return true;
    }
    let previous = match chain.previous_committee().await {
        Ok(previous) => previous,
        Err(e) => {
            tracing::warn!(error = %e, "reading the previous committee failed");
            return false;
        }
    };
    if previous.epoch + 1 != epoch {
        return false; // the chain moved on; the committee view catches up first
    }
    let me = state.bls.public_key().as_bytes().to_vec();
    let before: BTreeSet<u16> = previous
        .members
        .iter()
        .find(|m| m.public_key == me)
        .map(|m| m.shards.iter().copied().collect())
        .unwrap_or_default();
    let mut gained = BTreeMap::new();
    for &shard in &committee.owned {
        if before.contains(&shard) {
            continue;
        }
        if let Some((_, owner)) = previous.owner_of(shard)
            && owner.public_key != me
        {
            gained.insert(
                shard,
                ShardProgress {
                    from: owner.network_address.clone(),
                    primary: AxisProgress::Next(BlobId([0; 32])),
                    secondary: AxisProgress::Next(BlobId([0; 32])),
                },
            );
        }
    }
    *crate::state::write(&sync.previous) = Some(previous);
    let saved = sync.update(|p| {
        if p.epoch != epoch {
            p.epoch = epoch;
            p.shards = gained;
        }
    });
    if let Err(e) = saved {
        tracing::error!(error = %e, "persisting the shard sync plan failed");
        return false;
    }
    let shards: Vec<u16> = sync.lock().shards.keys().copied().collect();
    if !shards.is_empty() {
        tracing::info!(
            epoch,
            ?shards,
            "syncing gained shards from their previous owners"
        );
    }
    sync.planned_epoch.store(epoch, Ordering::Release);
    true
}

/// The blob ID after `id` in byte order, or `None` after the last one.
fn successor(id: &BlobId) -> Option<BlobId> {
    let mut bytes = id.0;
    for i in (0..32).rev() {
        if bytes[i] == u8::MAX {
            bytes[i] = 0;
        } else {
            bytes[i] += 1;
            return Some(BlobId(bytes));
        }
    }
    None
}

/// Why a page could not be used.
#[derive(Debug, thiserror::Error)]
enum PageError {
    #[error(transparent)]
    Api(#[from] walrus_node_api::NodeApiError),
    #[error("the previous owner answered {got} slivers, {asked} were asked for")]
    TooMany { got: usize, asked: u64 },
    #[error("the previous owner's page is not in blob-ID order from {start}")]
    OutOfOrder { start: BlobId },
    #[error("persisting the progress failed: {0}")]
    Persist(#[from] io::Error),
    #[error("storing a synced sliver failed: {0}")]
    Store(String),
}

/// Checks one sliver from a previous owner and stores it; `Ok(false)` when it is refused.
fn store_synced<A: EncodingAxis>(
    state: &NodeState,
    shard: ShardIndex,
    metadata: &VerifiedBlobMetadataWithId,
    sliver: &SliverData<A>,
) -> Result<bool, PageError>
where
    SliverData<A>: Bcs,
{
    let blob_id = metadata.blob_id();
    let expected = state
        .encoding
        .pair_for_shard(shard, blob_id)
        .and_then(|pair| state.encoding.sliver_index_for_pair::<A>(pair));
    let Ok(expected) = expected else {
        return Ok(false);
    };
    if sliver.index() != expected {
        tracing::warn!(%blob_id, shard = shard.get(), axis = %A::AXIS, "synced sliver has the wrong index");
        return Ok(false);
    }
    if let Err(e) = sliver.verify(&state.encoding, metadata) {
        tracing::warn!(%blob_id, shard = shard.get(), axis = %A::AXIS, error = %e, "synced sliver fails verification");
        return Ok(false);
    }
    let bytes = sliver
        .to_bcs()
        .map_err(|e| PageError::Store(e.to_string()))?;
    let stored = state
        .store
        .put_sliver(shard, blob_id, A::AXIS, &bytes)
        .map_err(|e| PageError::Store(e.to_string()))?;
    if stored {
        crate::state::Metrics::inc(&state.shard_sync.metrics.slivers_synced, 1);
    }
    Ok(true)
}

fn typed<A: EncodingAxis>(sliver: Sliver) -> Option<SliverData<A>>
where
    SliverData<A>: Bcs,
{
    // Re-type through BCS: the two sliver types share one layout, and the tag must match `A`.
    match (sliver, A::AXIS) {
        (ByAxis::Primary(s), Axis::Primary) => s.to_bcs().ok(),
        (ByAxis::Secondary(s), Axis::Secondary) => s.to_bcs().ok(),
        _ => None,
    }
    .and_then(|bytes| SliverData::<A>::from_bcs(&bytes).ok())
}

/// Fetches, checks and stores one page of `shard`'s `A` slivers from `from`, starting at
/// `start`; returns where the next page starts (`None`: done).
async fn sync_page<A: EncodingAxis>(
    state: &Arc<NodeState>,
    client: &NodeClient,
    epoch: u32,
    shard: u16,
    start: BlobId,
) -> Result<Option<BlobId>, PageError>
where
    SliverData<A>: Bcs,
{
    let asked = state.limits.sync_shard_max_slivers.max(1);
    let message = SyncShardMessage {
        epoch,
        shard_index: shard,
        secondary: A::AXIS == Axis::Secondary,
        starting_blob_id: start.0,
        sliver_count: asked,
        request_epoch: epoch,
    }
    .to_bytes();
    let signed = SignedMessage {
        signature: state.bls.sign(&message).as_bytes().to_vec(),
        serialized_message: message,
    };
    let page = client
        .sync_shard(state.bls.public_key().as_bytes(), &signed)
        .await?;
    if page.len() as u64 > asked {
        return Err(PageError::TooMany {
            got: page.len(),
            asked,
        });
    }
    let Some(&(last, _)) = page.last() else {
        return Ok(None);
    };
    let ordered = page.first().is_some_and(|(id, _)| *id >= start)
        && page.windows(2).all(|w| w[0].0 < w[1].0);
    if !ordered {
        return Err(PageError::OutOfOrder { start });
    }
    // Metadata for every blob of the page that is live here, fetched from peers when missing.
    let peers = crate::recovery::peers(state);
    let mut metadata = HashMap::new();
    for (blob_id, _) in &page {
        let live = read(&state.events)
            .blob(blob_id)
            .is_some_and(|info| info.is_registered(epoch));
        if !live {
            continue;
        }
        let verified = match state.verified_metadata(blob_id) {
            Some(m) => Some(m),
            None => crate::recovery::fetch_metadata(state, &peers, blob_id)
                .await
                .ok(),
        };
        if let Some(m) = verified {
            metadata.insert(*blob_id, m);
        }
    }
    let worker = state.clone();
    let stored = tokio::task::spawn_blocking(move || -> Result<(), PageError> {
        for (blob_id, sliver) in page {
            let accepted = match (metadata.get(&blob_id), typed::<A>(sliver)) {
                (Some(metadata), Some(sliver)) => {
                    store_synced::<A>(&worker, ShardIndex(shard), metadata, &sliver)?
                }
                _ => false,
            };
            if !accepted {
                crate::state::Metrics::inc(&worker.shard_sync.metrics.slivers_rejected, 1);
            }
        }
        Ok(())
    })
    .await
    .map_err(|e| PageError::Store(e.to_string()))?;
    stored?;
    Ok(successor(&last))
}

/// Runs one shard axis's transfer to its end (or until the epoch changes or requests fail).
async fn sync_axis<A: EncodingAxis>(
    state: &Arc<NodeState>,
    epoch: u32,
    shard: u16,
    from: &str,
    mut start: BlobId,
) -> Result<(), PageError>
where
    SliverData<A>: Bcs,
{
    let client = NodeClient::with_http(from, NodeClient::default_http());
    let pause = Duration::from_millis(state.limits.sync_shard_page_interval_millis);
    loop {
        if state.committee().epoch != epoch {
            return Ok(()); // a newer epoch: the next plan decides
        }
        let next = sync_page::<A>(state, &client, epoch, shard, start).await?;
        state.shard_sync.update(|p| {
            if p.epoch == epoch
                && let Some(progress) = p.shards.get_mut(&shard)
            {
                *progress.axis_mut(A::AXIS) = match next {
                    Some(id) => AxisProgress::Next(id),
                    None => AxisProgress::Synced,
                };
            }
        })?;
        match next {
            Some(id) => start = id,
            None => {
                crate::state::Metrics::inc(&state.shard_sync.metrics.axes_synced, 1);
                tracing::info!(shard, axis = %A::AXIS, "shard synced from its previous owner");
                return Ok(());
            }
        }
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
}

/// Runs shard transfers until the task is aborted. A shard axis whose previous owner fails
/// [`ATTEMPTS_BEFORE_FALLBACK`] requests in a row falls back to recovery.
pub async fn run<B: LedgerBackend>(state: Arc<NodeState>, chain: WalrusChain<B>) {
    let mut failures: HashMap<(u32, u16, Axis), u32> = HashMap::new();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let committee = state.committee();
        if committee.view.is_none() || !plan(&state, &chain, &committee).await {
            continue;
        }
        let progress = state.shard_sync.progress();
        if progress.epoch != committee.epoch {
            continue;
        }
        let epoch = progress.epoch;
        for (shard, p) in progress.shards {
            for axis in [Axis::Primary, Axis::Secondary] {
                let axis_progress = match axis {
                    Axis::Primary => p.primary,
                    Axis::Secondary => p.secondary,
                };
                let Some(start) = axis_progress.pending() else {
                    continue;
                };
                let result = match axis {
                    Axis::Primary => {
                        sync_axis::<Primary>(&state, epoch, shard, &p.from, start).await
                    }
                    Axis::Secondary => {
                        sync_axis::<Secondary>(&state, epoch, shard, &p.from, start).await
                    }
                };
                let key = (epoch, shard, axis);
                let Err(e) = result else {
                    failures.remove(&key);
                    continue;
                };
                let count = failures.entry(key).or_insert(0);
                *count += 1;
                tracing::warn!(shard, %axis, from = %p.from, attempt = *count, error = %e, "shard sync page failed");
                if *count < ATTEMPTS_BEFORE_FALLBACK {
                    tokio::time::sleep(RETRY_WAIT).await;
                    continue;
                }
                failures.remove(&key);
                let fell_back = state.shard_sync.update(|p| {
                    if p.epoch == epoch
                        && let Some(progress) = p.shards.get_mut(&shard)
                    {
                        *progress.axis_mut(axis) = AxisProgress::FellBack;
                    }
                });
                match fell_back {
                    Ok(()) => {
                        crate::state::Metrics::inc(&state.shard_sync.metrics.axes_fell_back, 1);
                        tracing::warn!(shard, %axis, from = %p.from, "previous owner unreachable; recovering the shard from recovery symbols");
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "persisting the shard sync progress failed")
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn successor_carries_and_ends() {
        let mut id = [0u8; 32];
        id[31] = 0xff;
        id[30] = 3;
        let mut next = [0u8; 32];
        next[30] = 4;
        assert_eq!(successor(&BlobId(id)), Some(BlobId(next)));
        assert_eq!(successor(&BlobId([0xff; 32])), None);
        assert!(successor(&BlobId(id)).unwrap() > BlobId(id));
    }

    #[test]
    fn uleb128_matches_bcs() {
        for n in [0u64, 1, 127, 128, 300, 1 << 20] {
            let mut ours = Vec::new();
            push_uleb128(&mut ours, n);
            let theirs = bcs::to_bytes(&vec![0u8; n as usize]).unwrap();
            assert_eq!(ours, theirs[..ours.len()], "{n}");
        }
    }

    #[test]
    fn progress_persists_and_counts_transfers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shard_sync.json");
        let state = SyncState::load(&path).unwrap();
        assert!(state.in_transfer().is_empty());
        state
            .update(|p| {
                p.epoch = 2;
                p.shards.insert(
                    4,
                    ShardProgress {
                        from: "a".into(),
                        primary: AxisProgress::Next(BlobId([1; 32])),
                        secondary: AxisProgress::Synced,
                    },
                );
                p.shards.insert(
                    5,
                    ShardProgress {
                        from: "b".into(),
                        primary: AxisProgress::FellBack,
                        secondary: AxisProgress::Synced,
                    },
                );
            })
            .unwrap();
        let reloaded = SyncState::load(&path).unwrap();
        assert_eq!(reloaded.progress(), state.progress());
        assert_eq!(reloaded.in_transfer(), BTreeSet::from([4]));
        assert!(
            !reloaded.planned(2),
            "a loaded plan is re-checked against the chain"
        );
    }
}
