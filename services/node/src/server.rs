//! The REST API (§7 of the reference): routes, checks on every write, error envelopes,
//! per-client concurrency limits and `/metrics`.
//!
//! A write is checked completely before anything is stored: a request that fails a check gets
//! an error envelope and changes nothing.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use walrus_core::messages::{BlobCertificationMessage, BlobPersistenceType, InvalidBlobIdMessage};
use walrus_core::{
    Axis, Bcs, BlobId, EncodingAxis, GeneralRecoverySymbol, InconsistencyProof, Primary, Secondary,
    ShardIndex, SliverData, SliverIndex, SliverPairIndex, UnverifiedBlobMetadataWithId,
    VerifiedBlobMetadataWithId,
};
use walrus_node_api::{
    ErrorEnvelope, EventProgress, OwnedShardStatus, ServiceHealthInfo, ShardDetail,
    ShardStatusDetail, ShardSummary, SignedMessage, StorageConfirmation, StoredOnNodeStatus,
    SuccessEnvelope,
};

use crate::state::{Metrics, NodeState, read};

/// An error answered with the reference's envelope.
#[derive(Debug)]
pub struct ApiError {
    code: StatusCode,
    status: &'static str,
    reason: &'static str,
    message: String,
}

impl ApiError {
    fn new(
        code: StatusCode,
        status: &'static str,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            status,
            reason,
            message: message.into(),
        }
    }
    fn bad(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", reason, message)
    }
    fn not_found(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", reason, message)
    }
    fn precondition(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "FAILED_PRECONDITION", reason, message)
    }
    fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "INTERNAL_ERROR",
            message,
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let envelope =
            ErrorEnvelope::new(self.code.as_u16(), self.status, self.reason, self.message);
        let body = serde_json::to_vec(&envelope).unwrap_or_default();
        (
            self.code,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn json<T: serde::Serialize>(code: StatusCode, data: T) -> Response {
    let body = serde_json::to_vec(&SuccessEnvelope::new(code.as_u16(), data)).unwrap_or_default();
    (code, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn octets(state: &NodeState, bytes: Vec<u8>) -> Response {
    Metrics::inc(&state.metrics.bytes_sent, bytes.len() as u64);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/octet-stream")],
        bytes,
    )
        .into_response()
}

fn parse_blob_id(text: &str) -> ApiResult<BlobId> {
    text.parse()
        .map_err(|e| ApiError::bad("INVALID_BLOB_ID", format!("blob ID {text:?}: {e}")))
}

fn parse_axis(text: &str) -> ApiResult<Axis> {
    match text {
        "primary" => Ok(Axis::Primary),
        "secondary" => Ok(Axis::Secondary),
        _ => Err(ApiError::bad(
            "INVALID_SLIVER_TYPE",
            format!("sliver type {text:?} is neither \"primary\" nor \"secondary\""),
        )),
    }
}

fn parse_pair(state: &NodeState, text: &str) -> ApiResult<SliverPairIndex> {
    let index: u16 = text.parse().map_err(|_| {
        ApiError::bad(
            "INVALID_SLIVER_PAIR_INDEX",
            format!("sliver pair index {text:?} is not a u16"),
        )
    })?;
    if index >= state.encoding.n_shards() {
        return Err(ApiError::bad(
            "INVALID_SLIVER_PAIR_INDEX",
            format!(
                "sliver pair index {index} is not below the shard count {}",
                state.encoding.n_shards()
            ),
        ));
    }
    Ok(SliverPairIndex(index))
}

/// Reads the body, refusing more than the node's limit with a 413 envelope.
async fn read_body(state: &NodeState, headers: &HeaderMap, body: Body) -> ApiResult<Bytes> {
    let limit = state.max_body_bytes;
    let too_large = |got: String| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "INVALID_ARGUMENT",
            "BODY_TOO_LARGE",
            format!("request body of {got} bytes exceeds the limit of {limit} bytes"),
        )
    };
    if let Some(length) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && length > limit as u64
    {
        return Err(too_large(length.to_string()));
    }
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| too_large("more than that".to_owned()))?;
    Metrics::inc(&state.metrics.bytes_received, bytes.len() as u64);
    Ok(bytes)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("worker failed: {e}")))?
}

/// Refuses writes for IDs that are not registered by a live object, are invalid or expired.
fn check_registered(state: &NodeState, blob_id: &BlobId) -> ApiResult<()> {
    let epoch = state.committee().epoch;
    let events = read(&state.events);
    let Some(info) = events.blob(blob_id) else {
        return Err(ApiError::precondition(
            "BLOB_NOT_REGISTERED",
            format!("blob {blob_id} is not registered"),
        ));
    };
    if info.invalid.is_some() {
        return Err(ApiError::precondition(
            "BLOB_INVALID",
            format!("blob {blob_id} was marked invalid"),
        ));
    }
    if !info.is_registered(epoch) {
        return Err(ApiError::precondition(
            "BLOB_NOT_REGISTERED",
            format!(
                "blob {blob_id} has no registration live in epoch {epoch} (expired or deleted)"
            ),
        ));
    }
    Ok(())
}

fn metadata_of(state: &NodeState, blob_id: &BlobId) -> ApiResult<VerifiedBlobMetadataWithId> {
    state.verified_metadata(blob_id).ok_or_else(|| {
        ApiError::not_found(
            "METADATA_NOT_FOUND",
            format!("no metadata stored for blob {blob_id}"),
        )
    })
}

// === Metadata ===

/// Whether the request asked to buffer until registration (`?pending=true`).
fn wants_pending(query: &HashMap<String, String>) -> bool {
    query.get("pending").is_some_and(|v| v == "true")
}

/// `Ok(true)`: registered; `Ok(false)`: not registered but may be buffered (`pending`).
fn check_registered_or_pending(
    state: &NodeState,
    blob_id: &BlobId,
    pending: bool,
) -> ApiResult<bool> {
    match check_registered(state, blob_id) {
        Ok(()) => Ok(true),
        Err(e) if pending && e.reason == "BLOB_NOT_REGISTERED" => Ok(false),
        Err(e) => Err(e),
    }
}

fn buffer(
    state: &NodeState,
    blob_id: BlobId,
    key: crate::pending::PendingKey,
    bytes: Vec<u8>,
    what: &str,
) -> ApiResult<Response> {
    let mut pending = state.pending.lock().unwrap_or_else(PoisonError::into_inner);
    pending.expire(std::time::Duration::from_secs(
        state.limits.pending_ttl_secs,
    ));
    pending
        .insert(blob_id, key, bytes, state.limits.pending_buffer_bytes)
        .map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "PENDING_BUFFER_FULL",
                e.to_string(),
            )
        })?;
    Ok(json(
        StatusCode::ACCEPTED,
        format!("{what} buffered pending registration"),
    ))
}

fn buffered(
    state: &NodeState,
    blob_id: &BlobId,
    key: crate::pending::PendingKey,
) -> Option<Vec<u8>> {
    state
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(blob_id, key)
        .map(<[u8]>::to_vec)
}

async fn put_metadata(
    State(state): State<Arc<NodeState>>,
    Path(blob_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let blob_id = parse_blob_id(&blob_id)?;
    let body = read_body(&state, &headers, body).await?;
    let registered = check_registered_or_pending(&state, &blob_id, wants_pending(&query))?;
    if !registered {
        let metadata = walrus_core::BlobMetadata::from_bcs(&body)
            .map_err(|e| ApiError::bad("INVALID_METADATA", e.to_string()))?;
        let verified = UnverifiedBlobMetadataWithId::new(blob_id, metadata)
            .verify(&state.encoding)
            .map_err(|e| ApiError::bad("METADATA_MISMATCH", e.to_string()))?;
        let bcs = verified
            .to_bcs()
            .map_err(|e| ApiError::internal(e.to_string()))?;
        return buffer(
            &state,
            blob_id,
            crate::pending::PendingKey::Metadata,
            bcs,
            "metadata",
        );
    }
    if state.store.has_metadata(&blob_id) {
        return Ok(json(StatusCode::OK, "metadata already stored"));
    }
    let metadata = walrus_core::BlobMetadata::from_bcs(&body)
        .map_err(|e| ApiError::bad("INVALID_METADATA", e.to_string()))?;
    let verified = UnverifiedBlobMetadataWithId::new(blob_id, metadata)
        .verify(&state.encoding)
        .map_err(|e| ApiError::bad("METADATA_MISMATCH", e.to_string()))?;
    let bcs = verified
        .to_bcs()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let worker = state.clone();
    let stored = blocking(move || {
        worker
            .store
            .put_metadata(&blob_id, &bcs)
            .map_err(|e| ApiError::internal(format!("storing metadata: {e}")))
    })
    .await?;
    if stored {
        Metrics::inc(&state.metrics.metadata_stored, 1);
        Ok(json(StatusCode::CREATED, "metadata stored"))
    } else {
        Ok(json(StatusCode::OK, "metadata already stored"))
    }
}

async fn get_metadata(
    State(state): State<Arc<NodeState>>,
    Path(blob_id): Path<String>,
) -> ApiResult<Response> {
    let blob_id = parse_blob_id(&blob_id)?;
    let bytes = state
        .store
        .metadata(&blob_id)
        .map_err(|e| ApiError::internal(e.to_string()))?
        .ok_or_else(|| {
            ApiError::not_found(
                "METADATA_NOT_FOUND",
                format!("no metadata stored for blob {blob_id}"),
            )
        })?;
    Ok(octets(&state, bytes))
}

async fn metadata_status(
    State(state): State<Arc<NodeState>>,
    Path(blob_id): Path<String>,
) -> ApiResult<Response> {
    let blob_id = parse_blob_id(&blob_id)?;
    let status = if state.store.has_metadata(&blob_id) {
        StoredOnNodeStatus::Stored
    } else if buffered(&state, &blob_id, crate::pending::PendingKey::Metadata).is_some() {
        StoredOnNodeStatus::Buffered
    } else {
        StoredOnNodeStatus::Nonexistent
    };
    Ok(json(StatusCode::OK, status))
}

// === Slivers ===

/// Decodes and verifies a sliver body for `pair` on axis `A`. The decoded sliver's data is a
/// view into `body` (no copy).
fn verify_sliver<A: EncodingAxis>(
    state: &NodeState,
    metadata: &VerifiedBlobMetadataWithId,
    pair: SliverPairIndex,
    body: Bytes,
) -> ApiResult<()>
where
    SliverData<A>: Bcs,
{
    let sliver = SliverData::<A>::from_bcs_bytes(body)
        .map_err(|e| ApiError::bad("INVALID_SLIVER", e.to_string()))?;
    let expected = state
        .encoding
        .sliver_index_for_pair::<A>(pair)
        .map_err(|e| ApiError::bad("INVALID_SLIVER_PAIR_INDEX", e.to_string()))?;
    if sliver.index() != expected {
        return Err(ApiError::bad(
            "SLIVER_INDEX_MISMATCH",
            format!(
                "the {} sliver of pair {} has index {}, the body claims {}",
                A::AXIS,
                pair.get(),
                expected.get(),
                sliver.index().get()
            ),
        ));
    }
    sliver
        .verify(&state.encoding, metadata)
        .map_err(|e| ApiError::bad("SLIVER_VERIFICATION_FAILED", e.to_string()))
}

/// Permits to verify slivers: one per core. Verification is CPU-bound (Reed–Solomon expansion
/// and hashing of every symbol); running more at once than there are cores only makes them
/// evict each other's multi-megabyte working sets from the caches and starves the async workers
/// that receive the bodies. Process-wide, like the cores it stands for.
static VERIFICATION_PERMITS: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| {
        tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
        )
    });

/// How many blobs' verified metadata [`stored_metadata`] keeps.
const METADATA_CACHE_ENTRIES: usize = 32;

/// Verified metadata of the blobs most recently uploaded to, keyed by shard count and blob ID,
/// oldest first. Metadata verified against a blob ID under one shard count are the same for every
/// node of the process, so the cache is process-wide.
type MetadataCache = std::collections::VecDeque<((u16, BlobId), Arc<VerifiedBlobMetadataWithId>)>;
static METADATA_CACHE: std::sync::Mutex<MetadataCache> =
    std::sync::Mutex::new(std::collections::VecDeque::new());

/// The verified metadata stored for `blob_id`. Every sliver PUT needs them; reading, decoding and
/// verifying them each time cost as much as verifying a small sliver (n = 1000: 64 KiB of
/// hashes), so they are kept for the blobs being uploaded. A cached entry is used only while the
/// metadata file is still stored.
fn stored_metadata(state: &NodeState, blob_id: &BlobId) -> Option<Arc<VerifiedBlobMetadataWithId>> {
    if !state.store.has_metadata(blob_id) {
        return None;
    }
    let key = (state.encoding.n_shards(), *blob_id);
    let cached = METADATA_CACHE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, metadata)| metadata.clone());
    if cached.is_some() {
        return cached;
    }
    let verified = Arc::new(state.verified_metadata(blob_id)?);
    let mut cache = METADATA_CACHE
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if !cache.iter().any(|(k, _)| *k == key) {
        if cache.len() == METADATA_CACHE_ENTRIES {
            cache.pop_front();
        }
        cache.push_back((key, verified.clone()));
    }
    Some(verified)
}

/// Verifies a sliver body on a blocking thread, at most one per core at a time.
async fn verify_on_pool(
    state: &Arc<NodeState>,
    metadata: Arc<VerifiedBlobMetadataWithId>,
    pair: SliverPairIndex,
    axis: Axis,
    body: Bytes,
) -> ApiResult<()> {
    let _permit = VERIFICATION_PERMITS
        .acquire()
        .await
        .map_err(|e| ApiError::internal(format!("verification pool closed: {e}")))?;
    let worker = state.clone();
    blocking(move || match axis {
        Axis::Primary => verify_sliver::<Primary>(&worker, &metadata, pair, body),
        Axis::Secondary => verify_sliver::<Secondary>(&worker, &metadata, pair, body),
    })
    .await
}

async fn put_sliver(
    State(state): State<Arc<NodeState>>,
    Path((blob_id, pair, axis)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let blob_id = parse_blob_id(&blob_id)?;
    let pair = parse_pair(&state, &pair)?;
    let axis = parse_axis(&axis)?;
    let body = read_body(&state, &headers, body).await?;
    let registered = check_registered_or_pending(&state, &blob_id, wants_pending(&query))?;
    let shard = state.owned_shard_for_pair(&blob_id, pair).ok_or_else(|| {
        ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "FAILED_PRECONDITION",
            "SHARD_NOT_ASSIGNED",
            format!(
                "sliver pair {} of blob {blob_id} is not on a shard this node owns",
                pair.get()
            ),
        )
    })?;
    if state.store.has_sliver(shard, &blob_id, axis) {
        return Ok(json(StatusCode::OK, "sliver already stored"));
    }
    let metadata = stored_metadata(&state, &blob_id)
        .or_else(|| {
            let bytes = buffered(&state, &blob_id, crate::pending::PendingKey::Metadata)?;
            UnverifiedBlobMetadataWithId::from_bcs(&bytes)
                .ok()?
                .verify(&state.encoding)
                .ok()
                .map(Arc::new)
        })
        .ok_or_else(|| {
            ApiError::precondition(
                "METADATA_NOT_STORED",
                format!("store the metadata of blob {blob_id} before its slivers"),
            )
        })?;
    verify_on_pool(&state, metadata, pair, axis, body.clone()).await?;
    if !registered {
        let key = crate::pending::PendingKey::sliver(shard, axis);
        return buffer(&state, blob_id, key, body.to_vec(), "sliver");
    }
    // Durable before the answer. The write runs on its own blocking thread, outside the
    // verification pool, so one upload's fsyncs overlap the verification of others.
    let worker = state.clone();
    let stored = blocking(move || {
        worker
            .store
            .put_sliver(shard, &blob_id, axis, &body)
            .map_err(|e| ApiError::internal(format!("storing the sliver: {e}")))
    })
    .await?;
    if stored {
        Metrics::inc(&state.metrics.slivers_stored, 1);
        Ok(json(StatusCode::CREATED, "sliver stored"))
    } else {
        Ok(json(StatusCode::OK, "sliver already stored"))
    }
}

fn shard_for_read(
    state: &NodeState,
    blob_id: &BlobId,
    pair: SliverPairIndex,
) -> ApiResult<ShardIndex> {
    state
        .encoding
        .shard_for_pair(pair, blob_id)
        .map_err(|e| ApiError::bad("INVALID_SLIVER_PAIR_INDEX", e.to_string()))
}

async fn get_sliver(
    State(state): State<Arc<NodeState>>,
    Path((blob_id, pair, axis)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let blob_id = parse_blob_id(&blob_id)?;
    let pair = parse_pair(&state, &pair)?;
    let axis = parse_axis(&axis)?;
    let shard = shard_for_read(&state, &blob_id, pair)?;
    let worker = state.clone();
    let bytes = blocking(move || {
        worker
            .stored_sliver(shard, &blob_id, axis)
            .map_err(|e| ApiError::internal(e.to_string()))
    })
    .await?
    .ok_or_else(|| {
        ApiError::not_found(
            "SLIVER_NOT_FOUND",
            format!(
                "no {axis} sliver of pair {} of blob {blob_id} is stored here",
                pair.get()
            ),
        )
    })?;
    Ok(octets(&state, bytes))
}

async fn sliver_status(
    State(state): State<Arc<NodeState>>,
    Path((blob_id, pair, axis)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let blob_id = parse_blob_id(&blob_id)?;
    let pair = parse_pair(&state, &pair)?;
    let axis = parse_axis(&axis)?;
    let shard = shard_for_read(&state, &blob_id, pair)?;
    let status = if state.store.has_sliver(shard, &blob_id, axis) {
        StoredOnNodeStatus::Stored
    } else if buffered(
        &state,
        &blob_id,
        crate::pending::PendingKey::sliver(shard, axis),
    )
    .is_some()
    {
        StoredOnNodeStatus::Buffered
    } else {
        StoredOnNodeStatus::Nonexistent
    };
    Ok(json(StatusCode::OK, status))
}

// === Confirmations ===

/// Signs the certification message if this node holds metadata and every sliver of every shard
/// it owns for `blob_id`, and the registration asked about is live.
fn confirm(
    state: &NodeState,
    blob_id: &BlobId,
    persistence: BlobPersistenceType,
) -> ApiResult<Response> {
    let committee = state.committee();
    {
        let events = read(&state.events);
        let info = events.blob(blob_id).ok_or_else(|| {
            ApiError::precondition(
                "BLOB_NOT_REGISTERED",
                format!("blob {blob_id} is not registered"),
            )
        })?;
        if info.invalid.is_some() {
            return Err(ApiError::precondition(
                "BLOB_INVALID",
                format!("blob {blob_id} was marked invalid"),
            ));
        }
        let live = |o: &&crate::blob_info::ObjectInfo| o.end_epoch > committee.epoch;
        let registered = match persistence {
            BlobPersistenceType::Permanent => {
                info.objects.values().filter(live).any(|o| !o.deletable)
            }
            BlobPersistenceType::Deletable { object_id } => info
                .objects
                .get(&crate::blob_info::object_key(object_id.as_bytes()))
                .filter(live)
                .is_some_and(|o| o.deletable),
        };
        if !registered {
            return Err(ApiError::precondition(
                "BLOB_NOT_REGISTERED",
                format!("blob {blob_id} has no live registration of the requested persistence"),
            ));
        }
    }
    if !committee.member {
        return Err(ApiError::precondition(
            "NOT_IN_COMMITTEE",
            "this node is not in the current committee",
        ));
    }
    if !state.store.has_metadata(blob_id) {
        return Err(ApiError::precondition(
            "METADATA_NOT_STORED",
            format!("no metadata stored for blob {blob_id}"),
        ));
    }
    let missing = state.missing_slivers(blob_id, &committee.owned);
    if !missing.is_empty() {
        return Err(ApiError::precondition(
            "SLIVERS_MISSING",
            format!(
                "{} slivers of blob {blob_id} on owned shards are not stored yet",
                missing.len()
            ),
        ));
    }
    let message = BlobCertificationMessage {
        epoch: committee.epoch,
        blob_id: blob_id.0,
        persistence,
    }
    .to_bytes();
    let signature = state.bls.sign(&message);
    Metrics::inc(&state.metrics.confirmations_signed, 1);
    Ok(json(
        StatusCode::OK,
        StorageConfirmation::Signed(SignedMessage {
            serialized_message: message,
            signature: signature.as_bytes().to_vec(),
        }),
    ))
}

/// `?wait_for_registration=true[&wait_millis=N]`: waits (at most N ms, default 5000, capped
/// at 30000) until the blob's registration has been seen.
async fn wait_for_registration(
    state: &NodeState,
    blob_id: &BlobId,
    query: &HashMap<String, String>,
) {
    if query
        .get("wait_for_registration")
        .is_none_or(|v| v != "true")
    {
        return;
    }
    let wait = query
        .get("wait_millis")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(5_000)
        .min(30_000);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(wait);
    while check_registered(state, blob_id).is_err() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn confirmation_permanent(
    State(state): State<Arc<NodeState>>,
    Path(blob_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let blob_id = parse_blob_id(&blob_id)?;
    wait_for_registration(&state, &blob_id, &query).await;
    confirm(&state, &blob_id, BlobPersistenceType::Permanent)
}

async fn confirmation_deletable(
    State(state): State<Arc<NodeState>>,
    Path((blob_id, object_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let blob_id = parse_blob_id(&blob_id)?;
    wait_for_registration(&state, &blob_id, &query).await;
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(object_id.trim_start_matches("0x"), &mut bytes).map_err(|_| {
        ApiError::bad(
            "INVALID_OBJECT_ID",
            format!("object id {object_id:?} is not 32 bytes of hex"),
        )
    })?;
    confirm(
        &state,
        &blob_id,
        BlobPersistenceType::Deletable {
            object_id: walrus_core::contracts::ObjectId(bytes),
        },
    )
}

// === Status, recovery, inconsistency ===

async fn blob_status(
    State(state): State<Arc<NodeState>>,
    Path(blob_id): Path<String>,
) -> ApiResult<Response> {
    let blob_id = parse_blob_id(&blob_id)?;
    let epoch = state.committee().epoch;
    let status = read(&state.events)
        .blob(&blob_id)
        .map(|info| info.status(epoch))
        .unwrap_or(walrus_node_api::BlobStatus::Nonexistent);
    Ok(json(StatusCode::OK, status))
}

/// The recovery symbols this node's slivers of the orthogonal axis give to target sliver
/// `target` of axis `A`.
pub(crate) fn recovery_symbols_for<A: crate::state::CachedAxis>(
    state: &NodeState,
    blob_id: &BlobId,
    target: SliverIndex,
) -> ApiResult<Vec<GeneralRecoverySymbol>>
where
    SliverData<A::OrthogonalAxis>: Bcs,
    A::OrthogonalAxis: EncodingAxis<OrthogonalAxis = A>,
{
    // Every shard with data here, owned or kept read-only after a handover.
    let shards = state
        .store
        .shards()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut symbols = Vec::new();
    for shard in shards {
        let cached = state
            .expansions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get::<A>(blob_id, shard.get());
        let expansion = match cached {
            Some(expansion) => expansion,
            None => {
                let Some(bytes) = state
                    .stored_sliver(shard, blob_id, <A::OrthogonalAxis as EncodingAxis>::AXIS)
                    .map_err(|e| ApiError::internal(e.to_string()))?
                else {
                    continue;
                };
                let source = SliverData::<A::OrthogonalAxis>::from_bcs(&bytes).map_err(|e| {
                    ApiError::internal(format!("stored sliver does not decode: {e}"))
                })?;
                let expansion = Arc::new(
                    source
                        .recovery_symbols(&state.encoding)
                        .map_err(|e| ApiError::internal(e.to_string()))?,
                );
                state
                    .expansions
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .put::<A>(*blob_id, shard.get(), expansion.clone());
                expansion
            }
        };
        if let Some(symbol) = expansion.symbol(target) {
            symbols.push(GeneralRecoverySymbol::new::<A>(symbol, target));
        }
    }
    Ok(symbols)
}

async fn recovery_symbols(
    State(state): State<Arc<NodeState>>,
    Path(blob_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let blob_id = parse_blob_id(&blob_id)?;
    let target: u16 = query
        .get("targetSliver")
        .and_then(|t| t.parse().ok())
        .filter(|t| *t < state.encoding.n_shards())
        .ok_or_else(|| {
            ApiError::bad(
                "INVALID_TARGET_SLIVER",
                "targetSliver must be a sliver index below the shard count",
            )
        })?;
    let axis = parse_axis(query.get("targetType").map_or("", String::as_str))?;
    let worker = state.clone();
    let symbols = blocking(move || match axis {
        Axis::Primary => recovery_symbols_for::<Primary>(&worker, &blob_id, SliverIndex(target)),
        Axis::Secondary => {
            recovery_symbols_for::<Secondary>(&worker, &blob_id, SliverIndex(target))
        }
    })
    .await?;
    let bytes = bcs::to_bytes(&symbols).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(octets(&state, bytes))
}

fn verify_proof<A: EncodingAxis>(
    state: &NodeState,
    metadata: &VerifiedBlobMetadataWithId,
    body: &[u8],
) -> ApiResult<()>
where
    InconsistencyProof<A>: Bcs,
{
    let proof = InconsistencyProof::<A>::from_bcs(body)
        .map_err(|e| ApiError::bad("INVALID_INCONSISTENCY_PROOF", e.to_string()))?;
    proof
        .verify(&state.encoding, metadata)
        .map_err(|e| ApiError::bad("INCONSISTENCY_PROOF_REJECTED", e.to_string()))
}

/// Signs the invalid-blob attestation for `blob_id` in the current epoch.
pub(crate) fn invalid_blob_attestation(state: &NodeState, blob_id: &BlobId) -> SignedMessage {
    let message = InvalidBlobIdMessage {
        epoch: state.committee().epoch,
        blob_id: blob_id.0,
    }
    .to_bytes();
    let signature = state.bls.sign(&message);
    SignedMessage {
        serialized_message: message,
        signature: signature.as_bytes().to_vec(),
    }
}

async fn inconsistency_proof(
    State(state): State<Arc<NodeState>>,
    Path((blob_id, axis)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let blob_id = parse_blob_id(&blob_id)?;
    let axis = parse_axis(&axis)?;
    let body = read_body(&state, &headers, body).await?;
    let metadata = metadata_of(&state, &blob_id)?;
    let worker = state.clone();
    blocking(move || match axis {
        Axis::Primary => verify_proof::<Primary>(&worker, &metadata, &body),
        Axis::Secondary => verify_proof::<Secondary>(&worker, &metadata, &body),
    })
    .await?;
    Ok(json(
        StatusCode::OK,
        invalid_blob_attestation(&state, &blob_id),
    ))
}

// === Shard sync ===

/// The requester's BLS public key from `Authorization` (base64 of the 48 compressed bytes).
fn requester_key(headers: &HeaderMap) -> ApiResult<walrus_chain::bls::BlsPublicKey> {
    let unauthenticated = |message: String| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "INVALID_PUBLIC_KEY",
            message,
        )
    };
    let text = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            unauthenticated(
                "the Authorization header must hold the requester's BLS public key".into(),
            )
        })?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| unauthenticated(format!("the Authorization header is not base64: {e}")))?;
    walrus_chain::bls::BlsPublicKey::from_bytes(&bytes).map_err(|e| {
        unauthenticated(format!(
            "the Authorization header is not a BLS public key: {e}"
        ))
    })
}

/// `POST /v1/migrate/sync_shard`: a page of a shard's slivers for the shard's new owner.
/// Everything is checked before anything is read: the signature is by the key in the header,
/// that key is the current owner of the shard, the request is for the current epoch, this node
/// owned the shard in the previous epoch, and the page size is within the limit.
async fn sync_shard(
    State(state): State<Arc<NodeState>>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    use walrus_core::messages::SyncShardMessage;
    let limit = crate::sync::MAX_REQUEST_BYTES;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "INVALID_ARGUMENT",
            "BODY_TOO_LARGE",
            format!("a sync_shard request body is at most {limit} bytes"),
        )
    };
    if headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|length| length > limit as u64)
    {
        return Err(too_large());
    }
    let key = requester_key(&headers)?;
    let body = to_bytes(body, limit).await.map_err(|_| too_large())?;
    Metrics::inc(&state.metrics.bytes_received, body.len() as u64);
    let invalid = |message: String| ApiError::bad("INVALID_SYNC_SHARD_REQUEST", message);
    let signed = SignedMessage::from_bcs(&body).map_err(|e| invalid(e.to_string()))?;
    let bad_signature = |message: String| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "INVALID_SIGNATURE",
            message,
        )
    };
    let signature = walrus_chain::bls::BlsSignature::from_bytes(&signed.signature)
        .map_err(|e| bad_signature(format!("the signature does not decode: {e}")))?;
    key.verify(&signed.serialized_message, &signature)
        .map_err(|_| {
            bad_signature(
                "the signature is not valid for the key in the Authorization header".into(),
            )
        })?;
    let request = SyncShardMessage::from_bytes(&signed.serialized_message)
        .map_err(|e| invalid(e.to_string()))?;
    let committee = state.committee();
    if request.epoch != committee.epoch || request.request_epoch != committee.epoch {
        return Err(ApiError::precondition(
            "INVALID_EPOCH",
            format!(
                "the request is for epoch {} (signed in epoch {}); this node is in epoch {}",
                request.request_epoch, request.epoch, committee.epoch
            ),
        ));
    }
    let max = state.limits.sync_shard_max_slivers;
    if request.sliver_count == 0 || request.sliver_count > max {
        return Err(ApiError::bad(
            "INVALID_SLIVER_COUNT",
            format!(
                "sliver count {} is not between 1 and this node's limit {max}",
                request.sliver_count
            ),
        ));
    }
    let shard = request.shard_index;
    if shard >= state.encoding.n_shards() {
        return Err(ApiError::bad(
            "INVALID_SHARD_INDEX",
            format!(
                "shard {shard} is not below the shard count {}",
                state.encoding.n_shards()
            ),
        ));
    }
    let owner = committee
        .view
        .as_ref()
        .and_then(|v| v.owner_of(shard))
        .map(|(_, m)| m.public_key.clone());
    if owner.as_deref() != Some(key.as_bytes().as_slice()) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "PERMISSION_DENIED",
            "REQUESTER_NOT_SHARD_OWNER",
            format!(
                "the requester does not own shard {shard} in epoch {}",
                committee.epoch
            ),
        ));
    }
    let me = state.bls.public_key().as_bytes().to_vec();
    match state.shard_sync.owned_before(&me, shard, committee.epoch) {
        Some(true) => {}
        Some(false) => {
            return Err(ApiError::precondition(
                "SHARD_NOT_OWNED_BEFORE",
                format!(
                    "this node did not own shard {shard} in epoch {}",
                    committee.epoch.saturating_sub(1)
                ),
            ));
        }
        None => {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "SYNC_NOT_READY",
                "this node has not read the previous committee yet; retry",
            ));
        }
    }
    let axis = if request.secondary {
        Axis::Secondary
    } else {
        Axis::Primary
    };
    let worker = state.clone();
    let (bytes, _) = blocking(move || {
        crate::sync::page_for(
            &worker,
            shard,
            axis,
            BlobId(request.starting_blob_id),
            request.sliver_count,
        )
        .map_err(|e| ApiError::internal(format!("reading shard {shard}: {e}")))
    })
    .await?;
    Ok(octets(&state, bytes))
}

// === Health and metrics ===

async fn health(
    State(state): State<Arc<NodeState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let committee = state.committee();
    let (cursor, applied) = {
        let events = read(&state.events);
        (events.cursor, events.transactions_applied)
    };
    let head = state.metrics.chain_head.load(Ordering::Relaxed).max(cursor);
    let stored: Vec<u16> = state
        .store
        .shards()
        .unwrap_or_default()
        .iter()
        .map(|s| s.get())
        .collect();
    let other: Vec<u16> = stored
        .into_iter()
        .filter(|s| !committee.owned.contains(s))
        .collect();
    let detailed = query.get("detailed").is_some_and(|v| v == "true");
    let in_transfer = if state.shard_sync.planned(committee.epoch) {
        state.shard_sync.in_transfer()
    } else {
        Default::default()
    };
    let in_transfer: std::collections::BTreeSet<u16> = in_transfer
        .intersection(&committee.owned)
        .copied()
        .collect();
    let info = ServiceHealthInfo {
        uptime: state.started.elapsed().as_secs(),
        epoch: committee.epoch,
        public_key: base64::engine::general_purpose::STANDARD
            .encode(state.bls.public_key().as_bytes()),
        node_status: if committee.member {
            "Active"
        } else {
            "Standby"
        }
        .to_owned(),
        event_progress: EventProgress {
            persisted: applied,
            pending: head - cursor,
            highest_finished_event_index: cursor,
        },
        shard_summary: ShardSummary {
            owned: committee.owned.len(),
            owned_shard_status: OwnedShardStatus {
                ready: committee.owned.len() - in_transfer.len(),
                in_transfer: in_transfer.len(),
                ..OwnedShardStatus::default()
            },
            read_only: other.len(),
        },
        shard_detail: detailed.then(|| ShardDetail {
            owned: committee
                .owned
                .iter()
                .map(|&shard| ShardStatusDetail {
                    shard,
                    status: if in_transfer.contains(&shard) {
                        "inTransfer"
                    } else {
                        "ready"
                    }
                    .to_owned(),
                })
                .collect(),
            other: other
                .iter()
                .map(|&shard| ShardStatusDetail {
                    shard,
                    status: "readOnly".to_owned(),
                })
                .collect(),
        }),
    };
    json(StatusCode::OK, info)
}

async fn metrics(State(state): State<Arc<NodeState>>) -> Response {
    let m = &state.metrics;
    let (cursor, applied, events) = {
        let e = read(&state.events);
        (e.cursor, e.transactions_applied, e.events_applied)
    };
    let head = m.chain_head.load(Ordering::Relaxed).max(cursor);
    let committee = state.committee();
    let sync = &state.shard_sync.metrics;
    let counters: [(&str, &str, &str, u64); 20] = [
        (
            "walrus_node_requests_total",
            "counter",
            "HTTP requests handled",
            m.requests.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_request_errors_total",
            "counter",
            "requests answered with an error envelope",
            m.request_errors.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_requests_throttled_total",
            "counter",
            "requests refused by the per-client concurrency limit",
            m.requests_throttled.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_bytes_received_total",
            "counter",
            "request body bytes received",
            m.bytes_received.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_bytes_sent_total",
            "counter",
            "sliver and metadata bytes sent",
            m.bytes_sent.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_slivers_stored_total",
            "counter",
            "slivers stored from uploads",
            m.slivers_stored.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_metadata_stored_total",
            "counter",
            "metadata stored",
            m.metadata_stored.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_slivers_recovered_total",
            "counter",
            "slivers recovered from other nodes",
            m.slivers_recovered.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_slivers_corrupt_total",
            "counter",
            "stored slivers that failed their checksum on read (discarded and recovered)",
            m.slivers_corrupt.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_slivers_synced_total",
            "counter",
            "slivers fetched from shards' previous owners at epoch change, verified and stored",
            sync.slivers_synced.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_synced_slivers_rejected_total",
            "counter",
            "slivers from shards' previous owners refused (failed checks or unknown blob)",
            sync.slivers_rejected.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_slivers_served_for_sync_total",
            "counter",
            "slivers served to shards' new owners",
            sync.slivers_served.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_shard_axes_synced_total",
            "counter",
            "shard axes (primary or secondary slivers of a shard) fully synced",
            sync.axes_synced.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_shard_axes_fell_back_total",
            "counter",
            "shard axes left to recovery because the previous owner was unreachable",
            sync.axes_fell_back.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_confirmations_signed_total",
            "counter",
            "storage confirmations signed",
            m.confirmations_signed.load(Ordering::Relaxed),
        ),
        (
            "walrus_node_event_cursor",
            "gauge",
            "cursor of the last applied transaction",
            cursor,
        ),
        (
            "walrus_node_event_lag",
            "gauge",
            "transactions on chain not yet applied",
            head - cursor,
        ),
        (
            "walrus_node_transactions_applied_total",
            "counter",
            "transactions applied from the stream",
            applied,
        ),
        (
            "walrus_node_events_applied_total",
            "counter",
            "walrus events applied",
            events,
        ),
        (
            "walrus_node_epoch",
            "gauge",
            "current epoch",
            u64::from(committee.epoch),
        ),
    ];
    let mut text = String::new();
    for (name, kind, help, value) in counters {
        text.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
        ));
    }
    text.push_str(&format!(
        "# HELP walrus_node_shards_owned shards owned in the current committee\n# TYPE walrus_node_shards_owned gauge\nwalrus_node_shards_owned {}\n",
        committee.owned.len()
    ));
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        text,
    )
        .into_response()
}

// === Middleware and router ===

/// Counts requests and errors, and holds one of the client's concurrency permits for the
/// request's duration (429 with an envelope when none is free).
async fn limit_per_client(
    State(state): State<Arc<NodeState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    Metrics::inc(&state.metrics.requests, 1);
    let semaphore = {
        let mut map = state
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.entry(peer.ip())
            .or_insert_with(|| {
                Arc::new(tokio::sync::Semaphore::new(
                    state.limits.max_concurrent_requests_per_client,
                ))
            })
            .clone()
    };
    let Ok(_permit) = semaphore.clone().try_acquire_owned() else {
        Metrics::inc(&state.metrics.requests_throttled, 1);
        Metrics::inc(&state.metrics.request_errors, 1);
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            "TOO_MANY_CONCURRENT_REQUESTS",
            format!(
                "client {} already has {} requests in flight",
                peer.ip(),
                state.limits.max_concurrent_requests_per_client
            ),
        )
        .into_response();
    };
    let response = next.run(request).await;
    if response.status().is_client_error() || response.status().is_server_error() {
        Metrics::inc(&state.metrics.request_errors, 1);
    }
    drop(_permit);
    // Forget idle clients, so the map holds only clients with requests in flight. Clones are
    // made under the lock, so two references (the map's and ours) mean no other request of this
    // client is running.
    let mut map = state
        .in_flight
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if Arc::strong_count(&semaphore) == 2 {
        map.remove(&peer.ip());
    }
    response
}

async fn not_found() -> ApiError {
    ApiError::not_found("NO_SUCH_ROUTE", "no such route")
}

/// The API router (serve it with `into_make_service_with_connect_info::<SocketAddr>()`).
pub fn router(state: Arc<NodeState>) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/metrics", get(metrics))
        .route(
            "/v1/blobs/{blob_id}/metadata",
            get(get_metadata).put(put_metadata),
        )
        .route("/v1/blobs/{blob_id}/metadata/status", get(metadata_status))
        .route(
            "/v1/blobs/{blob_id}/slivers/{pair}/{axis}",
            get(get_sliver).put(put_sliver),
        )
        .route(
            "/v1/blobs/{blob_id}/slivers/{pair}/{axis}/status",
            get(sliver_status),
        )
        .route(
            "/v1/blobs/{blob_id}/confirmation/permanent",
            get(confirmation_permanent),
        )
        .route(
            "/v1/blobs/{blob_id}/confirmation/deletable/{object_id}",
            get(confirmation_deletable),
        )
        .route("/v1/blobs/{blob_id}/status", get(blob_status))
        .route("/v1/blobs/{blob_id}/recoverySymbols", get(recovery_symbols))
        .route(
            "/v1/blobs/{blob_id}/inconsistencyProof/{axis}",
            post(inconsistency_proof),
        )
        .route(walrus_node_api::routes::SYNC_SHARD, post(sync_shard))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limit_per_client,
        ))
        .with_state(state)
}
