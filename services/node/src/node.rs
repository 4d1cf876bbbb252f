//! Starting a node: open the store, load the event state, learn the committee, serve the API,
//! follow the chain's transaction stream and recover missing slivers in the background.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::task::JoinHandle;
use walrus_chain::bls::BlsPrivateKey;
use walrus_chain::walrus::chain::{LedgerBackend, WalrusChain};
use walrus_core::EncodingConfig;

use crate::config::NodeConfig;
use crate::event_store::{EventStore, EventStoreError, StoreOptions};
use crate::recovery;
use crate::server;
use crate::state::{CommitteeState, NodeState, derived_body_limit, read, write};
use crate::storage::SliverStore;

/// A running node; dropping it (or [`RunningNode::shutdown`]) stops its tasks.
#[derive(Debug)]
pub struct RunningNode {
    /// The address the API listens on.
    pub address: SocketAddr,
    /// The shared state (for tests and the CLI).
    pub state: Arc<NodeState>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningNode {
    /// Stops the server and the background tasks and waits for them.
    pub async fn shutdown(mut self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Reads the committee and returns this node's view of it.
async fn committee_state<B: LedgerBackend>(
    chain: &WalrusChain<B>,
    public_key: &[u8],
) -> anyhow::Result<CommitteeState> {
    let view = chain.committee().await.context("reading the committee")?;
    let me = view.members.iter().find(|m| m.public_key == public_key);
    Ok(CommitteeState {
        epoch: view.epoch,
        owned: me
            .map(|m| m.shards.iter().copied().collect())
            .unwrap_or_default(),
        member: me.is_some(),
        view: Some(view),
    })
}

/// Starts a node with `config`, signing with `bls`, following `chain`. When `chain` has an
/// account key, the node also submits transactions (`invalidate_blob_id`).
pub async fn start<B: LedgerBackend>(
    config: &NodeConfig,
    bls: BlsPrivateKey,
    chain: WalrusChain<B>,
) -> anyhow::Result<RunningNode> {
    let listener = tokio::net::TcpListener::bind(config.listen_address)
        .await
        .with_context(|| format!("binding {}", config.listen_address))?;
    start_on(config, listener, bls, chain).await
}

/// [`start`] serving the API on `listener`, already bound (`config.listen_address` is not
/// bound again): for a caller that reserves the address before the node starts.
pub async fn start_on<B: LedgerBackend>(
    config: &NodeConfig,
    listener: tokio::net::TcpListener,
    bls: BlsPrivateKey,
    chain: WalrusChain<B>,
) -> anyhow::Result<RunningNode> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let store = SliverStore::open(&config.data_dir.join("store"))
        .with_context(|| format!("opening the store in {}", config.data_dir.display()))?;
    let (event_store, events, opened) = EventStore::open(&config.data_dir, StoreOptions::default())
        .with_context(|| format!("opening the event state in {}", config.data_dir.display()))?;
    tracing::info!(
        cursor = events.cursor,
        blobs = events.blobs.len(),
        replayed = opened.replayed,
        truncated_bytes = opened.truncated_bytes,
        migrated_v0 = opened.migrated_v0,
        "event state loaded"
    );
    let shard_sync_path = config.data_dir.join("shard_sync.json");
    let shard_sync = crate::sync::SyncState::load(&shard_sync_path)
        .with_context(|| format!("loading {}", shard_sync_path.display()))?;
    let public_key = bls.public_key().as_bytes().to_vec();
    let committee = committee_state(&chain, &public_key).await?;
    let n_shards = committee.view.as_ref().map_or(0, |v| v.n_shards);
    let encoding = EncodingConfig::new(n_shards)
        .with_context(|| format!("the system's shard count {n_shards}"))?;
    let max_body_bytes = match config.limits.max_body_bytes {
        0 => derived_body_limit(&encoding),
        limit => limit,
    };
    let state = Arc::new(NodeState {
        encoding,
        store,
        event_store: std::sync::Mutex::new(event_store),
        events: std::sync::RwLock::new(events),
        committee: std::sync::RwLock::new(committee),
        bls,
        limits: config.limits.clone(),
        max_body_bytes,
        metrics: Default::default(),
        in_flight: Default::default(),
        inconsistencies: Default::default(),
        shards_lost: Default::default(),
        pending: Default::default(),
        expansions: Default::default(),
        shard_sync,
        started: Instant::now(),
    });

    let address = listener.local_addr()?;
    let app = server::router(state.clone());
    let serve = tokio::spawn(async move {
        if let Err(e) = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        {
            tracing::error!(error = %e, "the API server stopped");
        }
    });
    let events = tokio::spawn(follow_events(state.clone(), chain.clone()));
    let committee = tokio::spawn(follow_committee(state.clone(), chain.clone(), public_key));
    let sync = tokio::spawn(crate::sync::run(state.clone(), chain.clone()));
    let recovery = tokio::spawn(recovery::run(state.clone(), chain));
    tracing::info!(%address, n_shards, "storage node started");
    Ok(RunningNode {
        address,
        state,
        tasks: vec![serve, events, committee, sync, recovery],
    })
}

/// Applies the transaction stream to the event state, persisting what each page changed with the
/// cursor (and what recovery changed meanwhile) before reading the next page.
async fn follow_events<B: LedgerBackend>(state: Arc<NodeState>, chain: WalrusChain<B>) {
    let page = state.limits.event_page_size.max(1);
    let wait = Duration::from_millis(state.limits.event_wait_millis);
    loop {
        let cursor = read(&state.events).cursor;
        let records = match chain.read_transactions(cursor, page, wait).await {
            Ok(records) => records,
            Err(e) => {
                tracing::warn!(error = %e, "reading the transaction stream failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if let Ok(head) = chain.backend().head().await {
            state.metrics.chain_head.store(head, Ordering::Relaxed);
        }
        if records.is_empty() && !read(&state.events).has_changes() {
            continue;
        }
        // Handovers (`ShardsReceived`) are persisted before the cursor moves past them.
        let sync_state = state.clone();
        let observed = {
            let records = records.clone();
            tokio::task::spawn_blocking(move || sync_state.shard_sync.observe(&records)).await
        };
        if !matches!(observed, Ok(Ok(()))) {
            tracing::error!("persisting observed shard handovers failed; retrying the page");
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        let changes = {
            let mut events = write(&state.events);
            for record in &records {
                events.apply(record);
            }
            events.take_changes()
        };
        let worker = state.clone();
        let saved = tokio::task::spawn_blocking(move || persist(&worker, &changes)).await;
        match saved {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "persisting the event state failed"),
            Err(e) => tracing::error!(error = %e, "persisting the event state panicked"),
        }
    }
}

/// Appends `changes` to the journal; writes a snapshot instead when the journal outgrew its
/// bound or the append failed (the snapshot then holds the changes the journal lost).
fn persist(state: &NodeState, changes: &crate::blob_info::Changes) -> Result<(), EventStoreError> {
    let mut store = state
        .event_store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !store.must_compact()
        && let Err(e) = store.append(changes)
    {
        tracing::error!(error = %e, "appending to the event journal failed; writing a snapshot");
    }
    if store.must_compact() {
        let events = read(&state.events);
        store.compact(&events)?;
    }
    Ok(())
}

/// Re-reads the committee periodically.
async fn follow_committee<B: LedgerBackend>(
    state: Arc<NodeState>,
    chain: WalrusChain<B>,
    public_key: Vec<u8>,
) {
    let every = Duration::from_millis(state.limits.committee_refresh_millis.max(50));
    loop {
        tokio::time::sleep(every).await;
        match committee_state(&chain, &public_key).await {
            Ok(committee) => {
                let old: BTreeSet<u16> = read(&state.committee).owned.clone();
                if old != committee.owned {
                    tracing::info!(epoch = committee.epoch, owned = ?committee.owned, "owned shards changed");
                }
                *write(&state.committee) = committee;
            }
            Err(e) => tracing::warn!(error = %e, "refreshing the committee failed"),
        }
    }
}
