//! Background recovery: after `BlobCertified`, fetch what this node lacks for its owned shards
//! (metadata from any node, slivers rebuilt from other nodes' recovery symbols, each verified
//! against the metadata by its Merkle proof). A sliver that decodes but contradicts the
//! metadata yields an inconsistency proof and this node's signed invalid-blob attestation.
//!
//! The list of blobs to recover is part of the persisted event state, so recovery resumes after
//! a restart; a blob leaves the list once nothing is missing (or it became invalid/unregistered).

use std::sync::Arc;
use std::time::Duration;

use walrus_chain::bls::{BlsPublicKey, BlsSignature};
use walrus_chain::walrus::chain::{LedgerBackend, WalrusChain};
use walrus_core::{
    Axis, Bcs, BlobId, ByAxis, EncodingAxis, InconsistencyProof, Primary, RecoveryOutcome,
    Secondary, ShardIndex, SliverData, UnverifiedBlobMetadataWithId, VerifiedBlobMetadataWithId,
    recover_sliver,
};
use walrus_node_api::{NodeClient, SignedMessage};

use crate::server::invalid_blob_attestation;
use crate::state::{Metrics, NodeState, read, write};

/// An inconsistency this node found while recovering.
#[derive(Debug, Clone)]
pub struct FoundInconsistency {
    /// The blob.
    pub blob_id: BlobId,
    /// The axis of the sliver that could not be recovered consistently.
    pub axis: Axis,
    /// The BCS proof, to send to other nodes for their attestations.
    pub proof: Vec<u8>,
    /// This node's attestation.
    pub attestation: SignedMessage,
    /// Whether the invalidation certificate was submitted on chain.
    pub submitted: bool,
}

/// Writes buffered uploads of blobs whose registration arrived to the store (metadata first),
/// and drops expired ones.
fn flush_pending(state: &NodeState) {
    let epoch = state.committee().epoch;
    let registered: Vec<BlobId> = {
        let mut pending = state
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending.expire(Duration::from_secs(state.limits.pending_ttl_secs));
        let events = read(&state.events);
        pending
            .blob_ids()
            .into_iter()
            .filter(|id| events.blob(id).is_some_and(|i| i.is_registered(epoch)))
            .collect()
    };
    for blob_id in registered {
        let entries = state
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take(&blob_id);
        // `take` returns the metadata first (it sorts before the slivers).
        for (key, bytes) in entries {
            let result = match key {
                crate::pending::PendingKey::Metadata => state.store.put_metadata(&blob_id, &bytes),
                crate::pending::PendingKey::Sliver(shard, axis) => {
                    let axis = if axis == 0 {
                        Axis::Primary
                    } else {
                        Axis::Secondary
                    };
                    state
                        .store
                        .put_sliver(ShardIndex(shard), &blob_id, axis, &bytes)
                }
            };
            match result {
                Ok(true) => {
                    if matches!(key, crate::pending::PendingKey::Metadata) {
                        Metrics::inc(&state.metrics.metadata_stored, 1);
                    } else {
                        Metrics::inc(&state.metrics.slivers_stored, 1);
                    }
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(%blob_id, error = %e, "storing a buffered upload failed"),
            }
        }
    }
}

/// Deletes the data of blobs that are invalid, expired or deleted (from every shard on disk),
/// and the shard directories this node has not owned for a full epoch.
fn collect_garbage(state: &NodeState) {
    let committee = state.committee();
    let dead: Vec<BlobId> = {
        let events = read(&state.events);
        if events.epoch > committee.epoch {
            return; // the committee view lags the events; wait for it
        }
        events
            .blobs
            .iter()
            .filter(|(_, info)| !info.data_collected && info.is_dead(committee.epoch))
            .filter_map(|(key, _)| key.parse().ok())
            .collect()
    };
    let shards = match state.store.shards() {
        Ok(shards) => shards,
        Err(e) => {
            tracing::warn!(error = %e, "listing shards failed");
            return;
        }
    };
    for blob_id in dead {
        match state.store.delete_blob(&blob_id, &shards) {
            Ok(()) => {
                let mut events = write(&state.events);
                if let Some(info) = events.blobs.get_mut(&blob_id.to_string())
                    && info.is_dead(committee.epoch)
                {
                    info.data_collected = true;
                    events.to_recover.remove(&blob_id.to_string());
                }
                tracing::debug!(%blob_id, "deleted the data of a dead blob");
            }
            Err(e) => tracing::warn!(%blob_id, error = %e, "deleting blob data failed"),
        }
    }
    if !committee.member && committee.view.is_none() {
        return;
    }
    let mut lost = state
        .shards_lost
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for shard in shards {
        if committee.owned.contains(&shard.get()) {
            lost.remove(&shard.get());
            continue;
        }
        // Kept for the new owner until it reported the shard received in an epoch since this
        // node lost it (`ShardsReceived`), or, failing that, for one full epoch more.
        let since = *lost.entry(shard.get()).or_insert(committee.epoch);
        let handed_over = state
            .shard_sync
            .handed_over(shard.get())
            .is_some_and(|epoch| epoch >= since);
        if handed_over || committee.epoch > since.saturating_add(1) {
            match state.store.delete_shard(shard) {
                Ok(()) => {
                    lost.remove(&shard.get());
                    tracing::info!(shard = shard.get(), "deleted a shard no longer owned");
                }
                Err(e) => {
                    tracing::warn!(shard = shard.get(), error = %e, "deleting a shard failed")
                }
            }
        }
    }
}

/// After an epoch change started, once nothing is left to recover for the shards owned in the
/// new epoch, calls `epoch_sync_done` with the node's cap.
async fn report_sync_done<B: LedgerBackend>(state: &NodeState, chain: &WalrusChain<B>) {
    let (pending, idle) = {
        let events = read(&state.events);
        (events.sync_pending_epoch, events.to_recover.is_empty())
    };
    let Some(epoch) = pending else {
        return;
    };
    let committee = state.committee();
    if !idle || committee.epoch < epoch || chain.address().is_none() {
        return;
    }
    if committee.epoch == epoch && !state.shard_sync.idle(epoch) {
        return; // shards are still being transferred
    }
    let clear = |state: &NodeState| {
        let mut events = write(&state.events);
        if events.sync_pending_epoch == Some(epoch) {
            events.sync_pending_epoch = None;
        }
    };
    if !committee.member || committee.epoch > epoch {
        clear(state);
        return;
    }
    let me = state.bls.public_key().as_bytes().to_vec();
    let Some(node_id) = committee
        .view
        .as_ref()
        .and_then(|v| v.members.iter().find(|m| m.public_key == me))
        .map(|m| m.node_id)
    else {
        return;
    };
    let caps = match chain.node_caps().await {
        Ok(caps) => caps,
        Err(e) => {
            tracing::warn!(error = %e, "reading the node caps failed");
            return;
        }
    };
    let Some((cap, _)) = caps.into_iter().find(|(_, node)| *node == node_id) else {
        tracing::warn!("this account holds no cap for the node; cannot report sync done");
        clear(state);
        return;
    };
    match chain.epoch_sync_done(cap, epoch).await {
        Ok(_) => {
            tracing::info!(epoch, "reported epoch sync done");
            clear(state);
        }
        Err(walrus_chain::api::ChainError::Aborted(failure)) => {
            tracing::warn!(epoch, %failure, "epoch_sync_done refused");
            clear(state);
        }
        Err(e) => tracing::warn!(epoch, error = %e, "epoch_sync_done failed; will retry"),
    }
}

/// For every inconsistency found and not yet acted on: collect attestations from other nodes
/// (each verifies the proof) until they carry more than a third of the shards, aggregate them,
/// and submit `invalidate_blob_id`.
async fn submit_invalidations<B: LedgerBackend>(state: &NodeState, chain: &WalrusChain<B>) {
    if chain.address().is_none() {
        return;
    }
    let pending: Vec<FoundInconsistency> = state
        .inconsistencies
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .filter(|f| !f.submitted)
        .cloned()
        .collect();
    for found in pending {
        let already_invalid = read(&state.events)
            .blob(&found.blob_id)
            .is_some_and(|i| i.invalid.is_some());
        let result = if already_invalid {
            Ok(())
        } else {
            invalidate(state, chain, &found).await
        };
        match result {
            Ok(()) => {
                let mut list = state
                    .inconsistencies
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for f in list.iter_mut().filter(|f| f.blob_id == found.blob_id) {
                    f.submitted = true;
                }
            }
            Err(e) => {
                tracing::warn!(blob_id = %found.blob_id, error = %e, "invalidating the blob failed; will retry")
            }
        }
    }
}

async fn invalidate<B: LedgerBackend>(
    state: &NodeState,
    chain: &WalrusChain<B>,
    found: &FoundInconsistency,
) -> anyhow::Result<()> {
    let committee = state.committee();
    let view = committee
        .view
        .ok_or_else(|| anyhow::anyhow!("no committee known"))?;
    let message = invalid_blob_attestation(state, &found.blob_id);
    let me = state.bls.public_key().as_bytes().to_vec();
    let n = u64::from(view.n_shards);
    let mut weight = 0u64;
    let mut signatures = Vec::new();
    let mut bitmap = vec![0u8; view.members.len().div_ceil(8)];
    for (i, member) in view.members.iter().enumerate() {
        if walrus_core::quorum::includes_one_correct_node(view.n_shards, weight) {
            break;
        }
        let signed = if member.public_key == me {
            message.clone()
        } else {
            let peer = NodeClient::with_http(&member.network_address, NodeClient::default_http());
            match peer
                .inconsistency_proof(&found.blob_id, found.axis, found.proof.clone())
                .await
            {
                Ok(signed) => signed,
                Err(e) => {
                    tracing::debug!(peer = %member.network_address, error = %e, "no attestation");
                    continue;
                }
            }
        };
        if signed.serialized_message != message.serialized_message {
            continue;
        }
        let Ok(signature) = BlsSignature::from_bytes(&signed.signature) else {
            continue;
        };
        let Ok(key) = BlsPublicKey::from_bytes(&member.public_key) else {
            continue;
        };
        if key.verify(&signed.serialized_message, &signature).is_err() {
            continue;
        }
        signatures.push(signature);
        bitmap[i / 8] |= 1 << (i % 8);
        weight += member.shards.len() as u64;
    }
    if !walrus_core::quorum::includes_one_correct_node(view.n_shards, weight) {
        anyhow::bail!("attestations for {weight} of {n} shards; more than a third are needed");
    }
    let aggregate = BlsSignature::aggregate(signatures.iter())?;
    chain
        .invalidate_blob_id(
            aggregate.as_bytes().to_vec(),
            bitmap,
            message.serialized_message,
        )
        .await?;
    tracing::info!(blob_id = %found.blob_id, "blob invalidated on chain");
    Ok(())
}

/// Runs recovery rounds until the task is aborted. Inconsistencies found are turned into an
/// on-chain `invalidate_blob_id` when `chain` has an account key.
pub async fn run<B: LedgerBackend>(state: Arc<NodeState>, chain: WalrusChain<B>) {
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        submit_invalidations(&state, &chain).await;
        report_sync_done(&state, &chain).await;
        let worker = state.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || flush_pending(&worker)).await {
            tracing::warn!(error = %e, "flushing buffered uploads panicked");
        }
        let worker = state.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || collect_garbage(&worker)).await {
            tracing::warn!(error = %e, "garbage collection panicked");
        }
        let pending: Vec<String> = read(&state.events).to_recover.to_vec();
        for key in pending {
            let Ok(blob_id) = key.parse::<BlobId>() else {
                continue;
            };
            match recover_blob(&state, &blob_id).await {
                Ok(true) => {
                    write(&state.events).to_recover.remove(&key);
                }
                Ok(false) => {}
                Err(e) => tracing::debug!(%blob_id, error = %e, "recovery round incomplete"),
            }
        }
    }
}

pub(crate) fn peers(state: &NodeState) -> Vec<NodeClient> {
    let committee = state.committee();
    let me = state.bls.public_key().as_bytes().to_vec();
    committee
        .view
        .map(|v| {
            v.members
                .into_iter()
                .filter(|m| m.public_key != me)
                .map(|m| NodeClient::with_http(&m.network_address, NodeClient::default_http()))
                .collect()
        })
        .unwrap_or_default()
}

/// One recovery round for `blob_id`; `Ok(true)` when nothing is left to do.
async fn recover_blob(state: &Arc<NodeState>, blob_id: &BlobId) -> anyhow::Result<bool> {
    let committee = state.committee();
    {
        let events = read(&state.events);
        if events.epoch > committee.epoch {
            // An epoch change started; wait until the new committee (and its shards) is known.
            return Ok(false);
        }
        match events.blob(blob_id) {
            Some(info) if info.is_certified(committee.epoch) => {}
            _ => return Ok(true),
        }
    }
    if !state.shard_sync.planned(committee.epoch) {
        return Ok(false); // the epoch's shard transfers are not known yet
    }
    // Shards still being transferred from their previous owners are left to the transfer;
    // whatever it does not deliver is recovered once it ended.
    let in_transfer = state.shard_sync.in_transfer();
    let mut missing = state.missing_slivers(blob_id, &committee.owned);
    let waiting = missing.len();
    missing.retain(|(shard, _)| !in_transfer.contains(&shard.get()));
    let waiting = waiting > missing.len();
    if missing.is_empty() && state.store.has_metadata(blob_id) {
        return Ok(!waiting);
    }
    let peers = peers(state);
    let metadata = match state.verified_metadata(blob_id) {
        Some(m) => m,
        None => fetch_metadata(state, &peers, blob_id).await?,
    };
    // The missing slivers are recovered concurrently, at most `RECOVERY_PARALLELISM` at a time
    // (each asks every peer at once and decodes on the blocking pool). The futures run inside
    // this task, so stopping the task stops them all.
    use futures_util::stream::{self, StreamExt as _};
    let mut done = !waiting;
    let (peers, metadata) = (&peers, &metadata);
    let mut results = stream::iter(missing)
        .map(|(shard, axis)| async move {
            let ok = match axis {
                Axis::Primary => recover_one::<Primary>(state, peers, metadata, shard).await,
                Axis::Secondary => recover_one::<Secondary>(state, peers, metadata, shard).await,
            };
            (shard, axis, ok)
        })
        .buffer_unordered(RECOVERY_PARALLELISM);
    while let Some((shard, axis, ok)) = results.next().await {
        if let Err(e) = ok {
            tracing::debug!(%blob_id, shard = shard.get(), %axis, error = %e, "sliver not recovered yet");
            done = false;
        }
    }
    Ok(done)
}

/// Slivers of one blob recovered at the same time.
pub const RECOVERY_PARALLELISM: usize = 8;

pub(crate) async fn fetch_metadata(
    state: &NodeState,
    peers: &[NodeClient],
    blob_id: &BlobId,
) -> anyhow::Result<VerifiedBlobMetadataWithId> {
    for peer in peers {
        let Ok(unverified) = peer.metadata(blob_id).await else {
            continue;
        };
        let unverified: UnverifiedBlobMetadataWithId = unverified;
        if unverified.blob_id != *blob_id {
            continue;
        }
        if let Ok(verified) = unverified.verify(&state.encoding) {
            state.store.put_metadata(blob_id, &verified.to_bcs()?)?;
            return Ok(verified);
        }
    }
    anyhow::bail!("no peer served valid metadata for {blob_id}")
}

async fn recover_one<A: crate::state::CachedAxis>(
    state: &Arc<NodeState>,
    peers: &[NodeClient],
    metadata: &VerifiedBlobMetadataWithId,
    shard: ShardIndex,
) -> anyhow::Result<()>
where
    SliverData<A>: Bcs,
    SliverData<A::OrthogonalAxis>: Bcs,
    A::OrthogonalAxis: EncodingAxis<OrthogonalAxis = A>,
    InconsistencyProof<A>: Bcs,
{
    let blob_id = *metadata.blob_id();
    let pair = state.encoding.pair_for_shard(shard, &blob_id)?;
    let target = state.encoding.sliver_index_for_pair::<A>(pair)?;
    let needed = state.encoding.n_symbols_for_recovery::<A>();
    let mut symbols = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    // This node's own slivers (of other shards, owned or kept after a handover) are sources
    // too: with a peer down, the others alone may not hold enough.
    let worker = state.clone();
    let local = tokio::task::spawn_blocking(move || {
        crate::server::recovery_symbols_for::<A>(&worker, &blob_id, target).unwrap_or_default()
    })
    .await
    .unwrap_or_default();
    // Every peer is asked at once; answers are used as they arrive, and the requests still
    // running are dropped once enough symbols are verified.
    use futures_util::stream::StreamExt as _;
    let mut requests: futures_util::stream::FuturesUnordered<_> = peers
        .iter()
        .map(|peer| peer.recovery_symbols(&blob_id, target.get(), A::AXIS))
        .collect();
    let mut local = Some(local);
    loop {
        let general = match local.take() {
            Some(local) => local,
            None => match requests.next().await {
                None => break,
                Some(Ok(general)) => general,
                Some(Err(_)) => continue,
            },
        };
        for symbol in general {
            if symbol.target_index() != target || symbol.target_axis() != A::AXIS {
                continue;
            }
            let typed = match symbol.into_recovery_symbol() {
                ByAxis::Primary((s, _)) => bcs::to_bytes(&s).ok(),
                ByAxis::Secondary((s, _)) => bcs::to_bytes(&s).ok(),
            };
            // Re-type through BCS: the two recovery symbol types share one layout.
            if let Some(bytes) = typed
                && let Ok(s) = bcs::from_bytes::<walrus_core::RecoverySymbol<A>>(&bytes)
                && !seen.contains(&s.source_index())
                && s.verify(&state.encoding, metadata, target).is_ok()
            {
                // A shard held by two nodes (its old owner keeps it until the handover) gives
                // the same symbol twice; count it once.
                seen.insert(s.source_index());
                symbols.push(s);
            }
        }
        if symbols.len() >= needed {
            break;
        }
    }
    if symbols.len() < needed {
        anyhow::bail!("{} of {needed} recovery symbols collected", symbols.len());
    }
    let worker = state.clone();
    let metadata = metadata.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        recover_sliver::<A>(&worker.encoding, &metadata, target, symbols)
    })
    .await??;
    match outcome {
        RecoveryOutcome::Recovered(sliver) => {
            state
                .store
                .put_sliver(shard, &blob_id, A::AXIS, &sliver.to_bcs()?)?;
            Metrics::inc(&state.metrics.slivers_recovered, 1);
            Ok(())
        }
        RecoveryOutcome::Inconsistent(proof) => {
            let found = FoundInconsistency {
                blob_id,
                axis: A::AXIS,
                proof: proof.to_bcs()?,
                attestation: invalid_blob_attestation(state, &blob_id),
                submitted: false,
            };
            tracing::warn!(%blob_id, axis = %A::AXIS, "inconsistent encoding found during recovery");
            state
                .inconsistencies
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(found);
            Ok(())
        }
    }
}
