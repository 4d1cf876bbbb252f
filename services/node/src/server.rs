//! The REST API (§7 of the reference): routes, checks on every write, error envelopes,
//! per-client concurrency limits and `/metrics`.
//!
//! A write is checked completely before anything is stored: a request that fails a check gets
//! an error envelope and changes nothing. Each operation answers its own error enum
//! ([`crate::errors`]), with the reference's reasons and statuses; path and query parameters
//! are typed extractors whose rejections are envelopes too.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use walrus_core::messages::{BlobCertificationMessage, BlobPersistenceType, InvalidBlobIdMessage};
use walrus_core::{
    Axis, Bcs, BlobId, EncodingAxis, GeneralRecoverySymbol, InconsistencyProof, Primary, Secondary,
    ShardIndex, SliverData, SliverIndex, SliverPairIndex, UnverifiedBlobMetadataWithId,
    VerifiedBlobMetadataWithId,
};
use walrus_node_api::{
    EventProgress, OwnedShardStatus, ServiceHealthInfo, ShardDetail, ShardStatusDetail,
    ShardSummary, SignedMessage, StorageConfirmation, StoredOnNodeStatus, SuccessEnvelope,
};

use crate::errors::{
    BodyRejection, ComputeStorageConfirmationError, InconsistencyProofError, IndexOutOfRange,
    Internal, ListSymbolsError, RequestRejection, RetrieveMetadataError, RetrieveSliverError,
    ServiceError, ShardNotAssigned, StoreMetadataError, StoreSliverError, SyncShardServiceError,
    Unavailable,
};
use crate::state::{Metrics, NodeState, read};

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

// === Typed extractors ===

/// Declares a typed extractor wrapping axum's `$inner`, whose rejection becomes an envelope.
macro_rules! typed_extractor {
    ($(#[$meta:meta])* $name:ident, $inner:ident, $variant:ident) => {
        $(#[$meta])*
        struct $name<T>(T);

        impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for $name<T> {
            type Rejection = RequestRejection;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &S,
            ) -> Result<Self, Self::Rejection> {
                axum::extract::$inner::<T>::from_request_parts(parts, state)
                    .await
                    .map(|extracted| Self(extracted.0))
                    .map_err(|e| RequestRejection::$variant(e.body_text()))
            }
        }
    };
}

typed_extractor!(
    /// Path parameters of type `T`; a parameter that does not parse is refused with an
    /// `INVALID_PATH` envelope naming it.
    ApiPath,
    Path,
    Path
);
typed_extractor!(
    /// Query parameters of type `T`; refused with an `INVALID_QUERY` envelope.
    ApiQuery,
    Query,
    Query
);

/// A blob ID in a path (URL-safe base64 without padding).
struct BlobIdParam(BlobId);

impl<'de> Deserialize<'de> for BlobIdParam {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map(Self)
            .map_err(|e| serde::de::Error::custom(format!("blob ID {text:?}: {e}")))
    }
}

/// `primary` or `secondary` in a path or query.
struct SliverTypeParam(Axis);

impl<'de> Deserialize<'de> for SliverTypeParam {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match String::deserialize(deserializer)?.as_str() {
            "primary" => Ok(Self(Axis::Primary)),
            "secondary" => Ok(Self(Axis::Secondary)),
            other => Err(serde::de::Error::custom(format!(
                "sliver type {other:?} is neither \"primary\" nor \"secondary\""
            ))),
        }
    }
}

/// A Sui object ID in a path: 32 bytes of hex, `0x` optional.
struct ObjectIdParam([u8; 32]);

impl<'de> Deserialize<'de> for ObjectIdParam {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.trim_start_matches("0x"), &mut bytes).map_err(|_| {
            serde::de::Error::custom(format!("object ID {text:?} is not 32 bytes of hex"))
        })?;
        Ok(Self(bytes))
    }
}

/// `/v1/blobs/{blob_id}/slivers/{sliver_pair_index}/{sliver_type}`: the pair index is checked
/// against the shard count by the handlers (`INDEX_OUT_OF_RANGE`).
type SliverPath = (BlobIdParam, u16, SliverTypeParam);

/// `?pending=true|false` on uploads: buffer until the registration is seen.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct UploadIntentQuery {
    pending: Option<bool>,
}

/// `?wait_for_registration=true[&wait_millis=N]` on confirmations.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ConfirmationWaitQuery {
    wait_for_registration: bool,
    wait_millis: Option<u64>,
}

/// `?targetSliver=N&targetType=primary|secondary` on recovery symbols.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RecoverySymbolsQuery {
    target_sliver: Option<String>,
    target_type: Option<SliverTypeParam>,
}

/// `?detailed=true` on health.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HealthQuery {
    detailed: bool,
}

/// Refuses a `Content-Type` other than none or `application/octet-stream` (parameters
/// allowed), as the reference's BCS extractor does.
fn check_octet_stream(headers: &HeaderMap) -> Result<(), BodyRejection> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let media = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if media.as_deref() == Some("application/octet-stream") {
        Ok(())
    } else {
        Err(BodyRejection::UnsupportedContentType)
    }
}

/// Reads a BCS body of at most `limit` bytes: refused by its announced length before
/// anything is read, and cut off once more than the limit arrived.
async fn read_body(
    state: &NodeState,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, BodyRejection> {
    check_octet_stream(headers)?;
    if let Some(length) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && length > limit as u64
    {
        return Err(BodyRejection::TooLarge {
            got: length.to_string(),
            limit,
        });
    }
    let bytes = to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            BodyRejection::TooLarge {
                got: "more than that".to_owned(),
                limit,
            }
        } else {
            BodyRejection::Read(e.to_string())
        }
    })?;
    Metrics::inc(&state.metrics.bytes_received, bytes.len() as u64);
    Ok(bytes)
}

async fn blocking<T: Send + 'static, E: From<Internal> + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, E> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| E::from(Internal::log(format!("worker failed: {e}"))))?
}

/// What the node's events say about a blob ID in the current epoch.
enum Registration {
    /// A live object registers it.
    Live,
    /// Unknown, expired or deleted.
    Absent,
    /// Marked invalid.
    Invalid,
}

fn registration(state: &NodeState, blob_id: &BlobId) -> Registration {
    let epoch = state.committee().epoch;
    let events = read(&state.events);
    match events.blob(blob_id) {
        Some(info) if info.invalid.is_some() => Registration::Invalid,
        Some(info) if info.is_registered(epoch) => Registration::Live,
        _ => Registration::Absent,
    }
}

fn is_registered(state: &NodeState, blob_id: &BlobId) -> bool {
    matches!(registration(state, blob_id), Registration::Live)
}

fn check_pair(state: &NodeState, pair: u16) -> Result<SliverPairIndex, IndexOutOfRange> {
    IndexOutOfRange::check(pair, state.encoding.n_shards()).map(SliverPairIndex)
}

// === Metadata ===

fn buffer(
    state: &NodeState,
    blob_id: BlobId,
    key: crate::pending::PendingKey,
    bytes: Vec<u8>,
    what: &str,
) -> Result<Response, String> {
    let mut pending = state.pending.lock().unwrap_or_else(PoisonError::into_inner);
    pending.expire(std::time::Duration::from_secs(
        state.limits.pending_ttl_secs,
    ));
    pending
        .insert(blob_id, key, bytes, state.limits.pending_buffer_bytes)
        .map_err(|e| e.to_string())?;
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

/// Decodes and verifies metadata for `blob_id`: BCS that does not decode is a refused body,
/// metadata that do not match the blob ID are `INVALID_METADATA`.
fn verify_metadata(
    state: &NodeState,
    blob_id: BlobId,
    body: &[u8],
) -> Result<VerifiedBlobMetadataWithId, StoreMetadataError> {
    let metadata = walrus_core::BlobMetadata::from_bcs(body)
        .map_err(|e| BodyRejection::Decode(e.to_string()))?;
    UnverifiedBlobMetadataWithId::new(blob_id, metadata)
        .verify(&state.encoding)
        .map_err(|e| StoreMetadataError::InvalidMetadata(e.to_string()))
}

async fn put_metadata(
    State(state): State<Arc<NodeState>>,
    ApiPath(BlobIdParam(blob_id)): ApiPath<BlobIdParam>,
    ApiQuery(query): ApiQuery<UploadIntentQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, StoreMetadataError> {
    let pending = query.pending.unwrap_or(false);
    // The cheap checks first: the body of an unregistered blob's metadata is neither read nor
    // verified unless the upload asked to be buffered.
    let registered = match registration(&state, &blob_id) {
        Registration::Invalid => return Err(StoreMetadataError::InvalidBlob),
        Registration::Live => true,
        Registration::Absent if pending => false,
        Registration::Absent => return Err(StoreMetadataError::NotCurrentlyRegistered),
    };
    let body = read_body(&state, &headers, body, state.max_body_bytes).await?;
    if registered && state.store.has_metadata(&blob_id) {
        return Ok(json(StatusCode::OK, "metadata already stored"));
    }
    let verified = verify_metadata(&state, blob_id, &body)?;
    let bcs = verified.to_bcs().map_err(Internal::log)?;
    if !registered {
        return buffer(
            &state,
            blob_id,
            crate::pending::PendingKey::Metadata,
            bcs,
            "metadata",
        )
        .map_err(StoreMetadataError::CacheSaturated);
    }
    let worker = state.clone();
    let stored = blocking(move || {
        worker
            .store
            .put_metadata(&blob_id, &bcs)
            .map_err(|e| StoreMetadataError::from(Internal::log(format!("storing metadata: {e}"))))
    })
    .await?;
    if stored {
        Metrics::inc(&state.metrics.metadata_stored, 1);
        Ok(json(StatusCode::CREATED, "metadata successfully stored"))
    } else {
        Ok(json(StatusCode::OK, "metadata already stored"))
    }
}

async fn get_metadata(
    State(state): State<Arc<NodeState>>,
    ApiPath(BlobIdParam(blob_id)): ApiPath<BlobIdParam>,
) -> Result<Response, RetrieveMetadataError> {
    if !is_registered(&state, &blob_id) {
        return Err(RetrieveMetadataError::Unavailable);
    }
    let bytes = state
        .store
        .metadata(&blob_id)
        .map_err(Internal::log)?
        .ok_or(RetrieveMetadataError::Unavailable)?;
    Ok(octets(&state, bytes))
}

async fn metadata_status(
    State(state): State<Arc<NodeState>>,
    ApiPath(BlobIdParam(blob_id)): ApiPath<BlobIdParam>,
) -> Result<Response, RetrieveMetadataError> {
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
) -> Result<(), StoreSliverError>
where
    SliverData<A>: Bcs,
{
    let sliver =
        SliverData::<A>::from_bcs_bytes(body).map_err(|e| BodyRejection::Decode(e.to_string()))?;
    let expected = state
        .encoding
        .sliver_index_for_pair::<A>(pair)
        .map_err(Internal::log)?;
    if sliver.index() != expected {
        return Err(StoreSliverError::SliverIndexMismatch {
            sliver_pair_index: pair.get(),
            sliver_index: sliver.index().get(),
        });
    }
    sliver
        .verify(&state.encoding, metadata)
        .map_err(|e| StoreSliverError::InvalidSliver(e.to_string()))
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
) -> Result<(), StoreSliverError> {
    let _permit = VERIFICATION_PERMITS
        .acquire()
        .await
        .map_err(|e| Internal::log(format!("verification pool closed: {e}")))?;
    let worker = state.clone();
    blocking(move || match axis {
        Axis::Primary => verify_sliver::<Primary>(&worker, &metadata, pair, body),
        Axis::Secondary => verify_sliver::<Secondary>(&worker, &metadata, pair, body),
    })
    .await
}

async fn put_sliver(
    State(state): State<Arc<NodeState>>,
    ApiPath((BlobIdParam(blob_id), pair, SliverTypeParam(axis))): ApiPath<SliverPath>,
    ApiQuery(query): ApiQuery<UploadIntentQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, StoreSliverError> {
    let pair = check_pair(&state, pair)?;
    let pending = query.pending.unwrap_or(false);
    // Registration and shard ownership are checked before the body is read.
    let registered = match registration(&state, &blob_id) {
        Registration::Live => true,
        Registration::Absent if pending => false,
        Registration::Absent | Registration::Invalid => {
            return Err(StoreSliverError::NotCurrentlyRegistered);
        }
    };
    let shard = state
        .owned_shard_for_pair(&blob_id, pair)
        .ok_or_else(|| ShardNotAssigned {
            shard: state
                .encoding
                .shard_for_pair(pair, &blob_id)
                .map_or(u16::MAX, |s| s.get()),
            epoch: state.committee().epoch,
        })?;
    let body = read_body(&state, &headers, body, state.max_body_bytes).await?;
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
        .ok_or(StoreSliverError::MissingMetadata)?;
    verify_on_pool(&state, metadata, pair, axis, body.clone()).await?;
    if !registered {
        let key = crate::pending::PendingKey::sliver(shard, axis);
        return buffer(&state, blob_id, key, body.to_vec(), "sliver")
            .map_err(StoreSliverError::CacheSaturated);
    }
    // Durable before the answer. The write runs on its own blocking thread, outside the
    // verification pool, so one upload's fsyncs overlap the verification of others.
    let worker = state.clone();
    let stored = blocking(move || {
        worker
            .store
            .put_sliver(shard, &blob_id, axis, &body)
            .map_err(|e| StoreSliverError::from(Internal::log(format!("storing the sliver: {e}"))))
    })
    .await?;
    if stored {
        Metrics::inc(&state.metrics.slivers_stored, 1);
        Ok(json(StatusCode::CREATED, "sliver stored successfully"))
    } else {
        Ok(json(StatusCode::OK, "sliver already stored"))
    }
}

/// The shard of `pair` if this node has data of it (owned now, or kept read-only after a
/// handover), else `SHARD_NOT_ASSIGNED`.
fn shard_with_data(
    state: &NodeState,
    blob_id: &BlobId,
    pair: SliverPairIndex,
) -> Result<ShardIndex, RetrieveSliverError> {
    let shard = state
        .encoding
        .shard_for_pair(pair, blob_id)
        .map_err(Internal::log)?;
    let committee = state.committee();
    if committee.owned.contains(&shard.get()) {
        return Ok(shard);
    }
    let stored = state.store.shards().map_err(Internal::log)?;
    if stored.contains(&shard) {
        Ok(shard)
    } else {
        Err(ShardNotAssigned {
            shard: shard.get(),
            epoch: committee.epoch,
        }
        .into())
    }
}

async fn get_sliver(
    State(state): State<Arc<NodeState>>,
    ApiPath((BlobIdParam(blob_id), pair, SliverTypeParam(axis))): ApiPath<SliverPath>,
) -> Result<Response, RetrieveSliverError> {
    let pair = check_pair(&state, pair)?;
    if !is_registered(&state, &blob_id) {
        return Err(RetrieveSliverError::Unavailable);
    }
    let shard = shard_with_data(&state, &blob_id, pair)?;
    let worker = state.clone();
    let bytes = blocking(move || {
        worker
            .stored_sliver(shard, &blob_id, axis)
            .map_err(|e| RetrieveSliverError::from(Internal::log(e)))
    })
    .await?
    .ok_or(RetrieveSliverError::Unavailable)?;
    Ok(octets(&state, bytes))
}

async fn sliver_status(
    State(state): State<Arc<NodeState>>,
    ApiPath((BlobIdParam(blob_id), pair, SliverTypeParam(axis))): ApiPath<SliverPath>,
) -> Result<Response, RetrieveSliverError> {
    let pair = check_pair(&state, pair)?;
    let shard = shard_with_data(&state, &blob_id, pair)?;
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
) -> Result<Response, ComputeStorageConfirmationError> {
    let committee = state.committee();
    {
        let events = read(&state.events);
        let info = events
            .blob(blob_id)
            .filter(|info| info.invalid.is_none())
            .ok_or(ComputeStorageConfirmationError::NotCurrentlyRegistered)?;
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
            return Err(ComputeStorageConfirmationError::NotCurrentlyRegistered);
        }
    }
    if !committee.member {
        return Err(ComputeStorageConfirmationError::NotInCommittee);
    }
    if !state.store.has_metadata(blob_id) {
        return Err(ComputeStorageConfirmationError::NotFullyStored(format!(
            "no metadata stored for blob {blob_id}"
        )));
    }
    let missing = state.missing_slivers(blob_id, &committee.owned);
    if !missing.is_empty() {
        return Err(ComputeStorageConfirmationError::NotFullyStored(format!(
            "{} slivers of blob {blob_id} on owned shards are not stored yet",
            missing.len()
        )));
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
async fn wait_for_registration(state: &NodeState, blob_id: &BlobId, query: &ConfirmationWaitQuery) {
    if !query.wait_for_registration {
        return;
    }
    let wait = query.wait_millis.unwrap_or(5_000).min(30_000);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(wait);
    while !is_registered(state, blob_id) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn confirmation_permanent(
    State(state): State<Arc<NodeState>>,
    ApiPath(BlobIdParam(blob_id)): ApiPath<BlobIdParam>,
    ApiQuery(query): ApiQuery<ConfirmationWaitQuery>,
) -> Result<Response, ComputeStorageConfirmationError> {
    wait_for_registration(&state, &blob_id, &query).await;
    confirm(&state, &blob_id, BlobPersistenceType::Permanent)
}

async fn confirmation_deletable(
    State(state): State<Arc<NodeState>>,
    ApiPath((BlobIdParam(blob_id), ObjectIdParam(object_id))): ApiPath<(
        BlobIdParam,
        ObjectIdParam,
    )>,
    ApiQuery(query): ApiQuery<ConfirmationWaitQuery>,
) -> Result<Response, ComputeStorageConfirmationError> {
    wait_for_registration(&state, &blob_id, &query).await;
    confirm(
        &state,
        &blob_id,
        BlobPersistenceType::Deletable {
            object_id: walrus_core::contracts::ObjectId(object_id),
        },
    )
}

// === Status, recovery, inconsistency ===

async fn blob_status(
    State(state): State<Arc<NodeState>>,
    ApiPath(BlobIdParam(blob_id)): ApiPath<BlobIdParam>,
) -> Response {
    let epoch = state.committee().epoch;
    let status = read(&state.events)
        .blob(&blob_id)
        .map(|info| info.status(epoch))
        .unwrap_or(walrus_node_api::BlobStatus::Nonexistent);
    json(StatusCode::OK, status)
}

/// The recovery symbols this node's slivers of the orthogonal axis give to target sliver
/// `target` of axis `A`.
pub(crate) fn recovery_symbols_for<A: crate::state::CachedAxis>(
    state: &NodeState,
    blob_id: &BlobId,
    target: SliverIndex,
) -> Result<Vec<GeneralRecoverySymbol>, Internal>
where
    SliverData<A::OrthogonalAxis>: Bcs,
    A::OrthogonalAxis: EncodingAxis<OrthogonalAxis = A>,
{
    // Every shard with data here, owned or kept read-only after a handover.
    let shards = state.store.shards().map_err(Internal::log)?;
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
                    .map_err(Internal::log)?
                else {
                    continue;
                };
                let source = SliverData::<A::OrthogonalAxis>::from_bcs(&bytes)
                    .map_err(|e| Internal::log(format!("stored sliver does not decode: {e}")))?;
                let expansion = Arc::new(
                    source
                        .recovery_symbols(&state.encoding)
                        .map_err(Internal::log)?,
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
    ApiPath(BlobIdParam(blob_id)): ApiPath<BlobIdParam>,
    ApiQuery(query): ApiQuery<RecoverySymbolsQuery>,
) -> Result<Response, ListSymbolsError> {
    let (Some(target), Some(SliverTypeParam(axis))) = (query.target_sliver, query.target_type)
    else {
        return Err(ListSymbolsError::InvalidFilter(
            "targetSliver and targetType are required".to_owned(),
        ));
    };
    let target: u16 = target.parse().map_err(|_| {
        ListSymbolsError::InvalidFilter(format!("targetSliver {target:?} is not a u16"))
    })?;
    let target = IndexOutOfRange::check(target, state.encoding.n_shards())
        .map_err(ListSymbolsError::RecoverySymbolOutOfRange)?;
    if !is_registered(&state, &blob_id) {
        return Err(RetrieveSliverError::Unavailable.into());
    }
    let worker = state.clone();
    let symbols = blocking(move || {
        match axis {
            Axis::Primary => {
                recovery_symbols_for::<Primary>(&worker, &blob_id, SliverIndex(target))
            }
            Axis::Secondary => {
                recovery_symbols_for::<Secondary>(&worker, &blob_id, SliverIndex(target))
            }
        }
        .map_err(ListSymbolsError::from)
    })
    .await?;
    let bytes = bcs::to_bytes(&symbols).map_err(Internal::log)?;
    Ok(octets(&state, bytes))
}

fn verify_proof<A: EncodingAxis>(
    state: &NodeState,
    metadata: &VerifiedBlobMetadataWithId,
    body: &[u8],
) -> Result<(), InconsistencyProofError>
where
    InconsistencyProof<A>: Bcs,
{
    let proof = InconsistencyProof::<A>::from_bcs(body)
        .map_err(|e| BodyRejection::Decode(e.to_string()))?;
    proof
        .verify(&state.encoding, metadata)
        .map_err(|e| InconsistencyProofError::InvalidProof(e.to_string()))
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
    ApiPath((BlobIdParam(blob_id), SliverTypeParam(axis))): ApiPath<(BlobIdParam, SliverTypeParam)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, InconsistencyProofError> {
    if !is_registered(&state, &blob_id) {
        return Err(InconsistencyProofError::MissingMetadata);
    }
    let metadata = state
        .verified_metadata(&blob_id)
        .ok_or(InconsistencyProofError::MissingMetadata)?;
    let body = read_body(&state, &headers, body, state.max_body_bytes).await?;
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
fn requester_key(
    headers: &HeaderMap,
) -> Result<walrus_chain::bls::BlsPublicKey, SyncShardServiceError> {
    let unauthenticated = SyncShardServiceError::Unauthenticated;
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
) -> Result<Response, SyncShardServiceError> {
    use walrus_core::messages::SyncShardMessage;
    let key = requester_key(&headers)?;
    let body = read_body(&state, &headers, body, crate::sync::MAX_REQUEST_BYTES).await?;
    let signed =
        SignedMessage::from_bcs(&body).map_err(|e| BodyRejection::Decode(e.to_string()))?;
    let invalid = SyncShardServiceError::MessageVerification;
    let signature = walrus_chain::bls::BlsSignature::from_bytes(&signed.signature)
        .map_err(|e| invalid(format!("the signature does not decode: {e}")))?;
    key.verify(&signed.serialized_message, &signature)
        .map_err(|_| {
            invalid("the signature is not valid for the key in the Authorization header".into())
        })?;
    let request = SyncShardMessage::from_bytes(&signed.serialized_message)
        .map_err(|e| invalid(e.to_string()))?;
    let committee = state.committee();
    if request.epoch != committee.epoch || request.request_epoch != committee.epoch {
        return Err(SyncShardServiceError::InvalidEpoch {
            request_epoch: if request.request_epoch != committee.epoch {
                request.request_epoch
            } else {
                request.epoch
            },
            server_epoch: committee.epoch,
        });
    }
    let max = state.limits.sync_shard_max_slivers;
    if request.sliver_count == 0 || request.sliver_count > max {
        return Err(SyncShardServiceError::RequestedSliverCountExceedsLimit {
            requested: request.sliver_count,
            limit: max,
        });
    }
    let shard = IndexOutOfRange::check(request.shard_index, state.encoding.n_shards())?;
    let owner = committee
        .view
        .as_ref()
        .and_then(|v| v.owner_of(shard))
        .map(|(_, m)| m.public_key.clone());
    if owner.as_deref() != Some(key.as_bytes().as_slice()) {
        return Err(SyncShardServiceError::Unauthorized {
            shard,
            epoch: committee.epoch,
        });
    }
    let me = state.bls.public_key().as_bytes().to_vec();
    match state.shard_sync.owned_before(&me, shard, committee.epoch) {
        Some(true) => {}
        Some(false) => {
            return Err(ShardNotAssigned {
                shard,
                epoch: committee.epoch.saturating_sub(1),
            }
            .into());
        }
        None => return Err(SyncShardServiceError::NotReady(Unavailable)),
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
        .map_err(|e| {
            SyncShardServiceError::from(Internal::log(format!("reading shard {shard}: {e}")))
        })
    })
    .await?;
    Ok(octets(&state, bytes))
}

// === Health and metrics ===

async fn health(
    State(state): State<Arc<NodeState>>,
    ApiQuery(query): ApiQuery<HealthQuery>,
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
    let detailed = query.detailed;
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
        return ServiceError::TooManyRequests {
            client: peer.ip(),
            limit: state.limits.max_concurrent_requests_per_client,
        }
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

async fn not_found() -> ServiceError {
    ServiceError::NoSuchRoute
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
