//! The publisher / aggregator HTTP daemon (WALRUS_REFERENCE §8).
//!
//! | route | mode | what |
//! |---|---|---|
//! | `GET /status` | both | `200 OK` |
//! | `GET /v1/api` | both | the OpenAPI document ([`DaemonApi`], generated from the handlers) |
//! | `GET /v1/blobs/{blob_id}` | aggregator | the blob's bytes; one `Range: bytes=` range (206) |
//! | `GET /v1/blobs/{blob_id}/byte-range?start=&length=` | aggregator | a byte range |
//! | `GET /v1/blobs/by-object-id/{object_id}` | aggregator | the bytes of a Blob/SharedBlob object, with headers from its attributes |
//! | `GET /v1alpha/blobs/{blob_id}/stream` | aggregator | the blob streamed sliver by sliver |
//! | `GET /v1alpha/blobs/concat?ids=`, `POST /v1alpha/blobs/concat` | aggregator | several blobs in one body |
//! | `PUT /v1/blobs?epochs=&permanent=&force=&send_object_to=&share=&reuse_resources=` | publisher | store the body; the reference's JSON result |
//!
//! Limits: a body limit for `PUT` (default 10 MiB; an announced larger body is refused with 413
//! before it is read), a largest blob the aggregator serves, and separate concurrency limits for
//! reads and writes: a request over the limit is shed at once with `429` and `Retry-After`
//! (before a store's body is read), so overload never turns into a queue that collapses the
//! process. CORS allows any origin, method and header, as the reference. Errors use the
//! reference's envelope `{"error": {"code", "status", "message", "details": [{"reason",
//! "domain": "daemon.walrus.space", ...}]}}`, with `code` and `status` a row of its table.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt as _;
use serde::Deserialize;
use sui_sdk_types::Address;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use walrus_chain::walrus::BlobObject;
use walrus_core::{BlobId, ConsistencyCheck};
use walrus_node_api::{ApiStatus, DAEMON_ERROR_DOMAIN, ErrorEnvelope};

use crate::client::{ClientError, Epochs, StoreOptions, WalrusClient};
use crate::reader::BlobReader;
use crate::types::BlobStoreResult;

mod metrics;
pub use metrics::DaemonMetrics;

/// Which halves of the daemon run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reads only.
    Aggregator,
    /// Writes only.
    Publisher,
    /// Both.
    Daemon,
}

impl Mode {
    fn reads(self) -> bool {
        matches!(self, Self::Aggregator | Self::Daemon)
    }

    fn writes(self) -> bool {
        matches!(self, Self::Publisher | Self::Daemon)
    }
}

/// Daemon limits.
#[derive(Debug, Clone)]
pub struct DaemonLimits {
    /// Largest `PUT` body (default 10 MiB).
    pub max_body_bytes: usize,
    /// Largest blob the aggregator serves (default: the encoding's limit).
    pub max_blob_size: u64,
    /// Reads served at once; more are shed with 429.
    pub max_concurrent_reads: usize,
    /// Writes served at once; more are shed with 429.
    pub max_concurrent_writes: usize,
    /// The most epochs a `PUT` may ask for (default: the system's maximum).
    pub max_epochs: Option<u32>,
    /// Blob attributes the aggregator returns as response headers (lowercase names; default:
    /// the reference's list, [`DEFAULT_ALLOWED_HEADERS`]).
    pub allowed_headers: Vec<String>,
}

/// The reference aggregator's default `--allowed-headers`.
pub const DEFAULT_ALLOWED_HEADERS: [&str; 7] = [
    "content-type",
    "authorization",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-location",
    "link",
];

impl Default for DaemonLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: 10 << 20,
            max_blob_size: u64::MAX,
            max_concurrent_reads: 64,
            max_concurrent_writes: 8,
            max_epochs: None,
            allowed_headers: DEFAULT_ALLOWED_HEADERS.map(str::to_owned).to_vec(),
        }
    }
}

struct DaemonState {
    client: WalrusClient,
    limits: DaemonLimits,
    reads: Arc<Semaphore>,
    writes: Arc<Semaphore>,
    metrics: DaemonMetrics,
}

impl DaemonState {
    /// 429 for a request over the `kind` concurrency limit, counted.
    fn overloaded(&self, kind: &str) -> DaemonError {
        self.metrics.shed(kind);
        DaemonError::new(
            ApiStatus::ResourceExhausted,
            "OVERLOADED",
            format!("too many concurrent {kind}; retry shortly"),
        )
    }

    /// One of the read permits (429 when none is free), counted while held.
    fn read_slot(&self) -> Result<ReadSlot, DaemonError> {
        let permit = self
            .reads
            .clone()
            .try_acquire_owned()
            .map_err(|_| self.overloaded("reads"))?;
        Ok(ReadSlot {
            _permit: permit,
            _in_flight: self.metrics.in_flight("reads"),
            readers: Vec::new(),
            metrics: self.metrics.clone(),
        })
    }
}

/// A read being served: its concurrency permit, and the readers whose fetches are counted in
/// the metrics when the read ends (for a streamed body, after its last byte).
#[derive(Debug)]
struct ReadSlot {
    _permit: OwnedSemaphorePermit,
    _in_flight: metrics::InFlight,
    readers: Vec<BlobReader>,
    metrics: DaemonMetrics,
}

impl ReadSlot {
    /// Opens `blob_id` within this read (its metadata verified, no sliver fetched yet),
    /// refusing a blob larger than the aggregator serves; its fetches count in the metrics.
    async fn open(
        &mut self,
        state: &DaemonState,
        blob_id: &BlobId,
    ) -> Result<BlobReader, DaemonError> {
        let reader = state.client.open(blob_id).await?;
        reader.check_size(state.limits.max_blob_size)?;
        self.readers.push(reader.clone());
        Ok(reader)
    }
}

impl Drop for ReadSlot {
    fn drop(&mut self) {
        for reader in &self.readers {
            let stats = reader.stats();
            self.metrics.sliver_bytes.inc_by(stats.sliver_bytes);
            if stats.decoded_whole {
                self.metrics.whole_decodes.inc();
            }
        }
    }
}

/// The daemon's router, with metrics of its own.
pub fn router(client: WalrusClient, mode: Mode, limits: DaemonLimits) -> Router {
    router_with_metrics(client, mode, limits, DaemonMetrics::new())
}

/// The daemon's router, counting into `metrics` (serve them with [`serve_metrics`]).
pub fn router_with_metrics(
    client: WalrusClient,
    mode: Mode,
    limits: DaemonLimits,
    metrics: DaemonMetrics,
) -> Router {
    let state = Arc::new(DaemonState {
        client,
        reads: Arc::new(Semaphore::new(limits.max_concurrent_reads.max(1))),
        writes: Arc::new(Semaphore::new(limits.max_concurrent_writes.max(1))),
        limits,
        metrics: metrics.clone(),
    });
    let mut router = Router::new().route("/status", get(status)).route(
        "/v1/api",
        get(openapi).with_state(Arc::new(api_document(mode))),
    );
    router = if mode.reads() {
        router
            .route("/v1/blobs/{blob_id}", get(read_blob))
            .route("/v1/blobs/{blob_id}/byte-range", get(byte_range))
            .route("/v1/blobs/by-object-id/{object_id}", get(read_by_object))
            .route("/v1alpha/blobs/{blob_id}/stream", get(stream_blob))
            .route("/v1alpha/blobs/concat", get(concat_get).post(concat_post))
    } else {
        router
            .route("/v1/blobs/{*rest}", get(reads_disabled))
            .route(
                "/v1alpha/blobs/{*rest}",
                get(reads_disabled).post(reads_disabled),
            )
    };
    router = if mode.writes() {
        router.route(
            "/v1/blobs",
            axum::routing::put(store_blob).route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                limit_writes,
            )),
        )
    } else {
        router.route("/v1/blobs", axum::routing::put(writes_disabled))
    };
    let max_body = state.limits.max_body_bytes;
    router
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            refuse_announced_oversize,
        ))
        .layer(cors())
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            metrics::track,
        ))
}

/// Serves the daemon's metrics at `GET /metrics` on `listen` until `shutdown` resolves.
pub async fn serve_metrics(
    metrics: DaemonMetrics,
    listen: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        anyhow::anyhow!(
            "binding the metrics address {listen}: {e} (choose another with --metrics-address)"
        )
    })?;
    let address = listener.local_addr()?;
    let router = Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    metrics.render(),
                )
            }
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(error = %e, "metrics server stopped");
        }
    });
    Ok(address)
}

/// CORS as the reference allows it: any origin, method and header, preflight answers cached
/// for a day. Browser apps on any site read and store through the daemon.
fn cors() -> tower_http::cors::CorsLayer {
    use tower_http::cors::{Any, CorsLayer};
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any)
        .max_age(std::time::Duration::from_secs(24 * 60 * 60))
}

/// Serves the daemon on `listen` until `shutdown` resolves.
pub async fn serve(
    router: Router,
    listen: SocketAddr,
    on_ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("binding {listen}: {e}"))?;
    on_ready(listener.local_addr()?);
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}

/// An error answered with the reference's envelope, in the daemon's domain
/// (`daemon.walrus.space`); its class gives the HTTP status, so `code` and `status` are always
/// a row of the reference's table.
#[derive(Debug)]
pub struct DaemonError {
    status: ApiStatus,
    reason: &'static str,
    message: String,
}

impl DaemonError {
    fn new(status: ApiStatus, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            reason,
            message: message.into(),
        }
    }

    fn bad(reason: &'static str, message: impl Into<String>) -> Self {
        Self::new(ApiStatus::InvalidArgument, reason, message)
    }
}

impl IntoResponse for DaemonError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.status.http_code())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let envelope =
            ErrorEnvelope::new(self.status, DAEMON_ERROR_DOMAIN, self.reason, self.message);
        let mut response = (code, axum::Json(envelope)).into_response();
        if matches!(
            self.status,
            ApiStatus::ResourceExhausted | ApiStatus::Unavailable
        ) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<ClientError> for DaemonError {
    fn from(e: ClientError) -> Self {
        let message = e.to_string();
        match e {
            ClientError::BlobNotFound(_) => {
                Self::new(ApiStatus::NotFound, "BLOB_NOT_FOUND", message)
            }
            ClientError::Blocked(_) => Self::new(
                ApiStatus::UnavailableForLegalReasons,
                "FORBIDDEN_BLOB",
                message,
            ),
            // Marked invalid on chain: its data is gone for good, like a blocked blob's.
            ClientError::BlobInvalid(_) => Self::new(
                ApiStatus::UnavailableForLegalReasons,
                "BLOB_INVALID",
                message,
            ),
            ClientError::TooLarge { .. } => {
                Self::new(ApiStatus::SizeExceeded, "BLOB_TOO_LARGE", message)
            }
            ClientError::InvalidRequest(_) => Self::bad("INVALID_REQUEST", message),
            ClientError::InvalidRange(_) => Self::new(
                ApiStatus::RangeNotSatisfiable,
                "INVALID_BYTE_RANGE",
                message,
            ),
            ClientError::NotEnoughNodes(_) => {
                Self::new(ApiStatus::Unavailable, "NOT_ENOUGH_NODES", message)
            }
            _ => Self::new(ApiStatus::Internal, "INTERNAL_ERROR", message),
        }
    }
}

/// `413` from the announced `Content-Length`, before reading the body. As the reference's body
/// limit answers it: plain text (413 is no class of the status table).
async fn refuse_announced_oversize(
    State(state): State<Arc<DaemonState>>,
    request: Request,
    next: Next,
) -> Response {
    let limit = state.limits.max_body_bytes;
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match announced {
        Some(n) if n > limit as u64 => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body of {n} bytes exceeds the limit of {limit} bytes"),
        )
            .into_response(),
        _ => next.run(request).await,
    }
}

/// Holds one of the publisher's write permits for the whole request, taken before the body is
/// read; with none free the request is shed at once with 429 and `Retry-After` (the reference
/// answers 429 too), so a burst neither queues nor buffers bodies.
async fn limit_writes(
    State(state): State<Arc<DaemonState>>,
    request: Request,
    next: Next,
) -> Response {
    match state.writes.clone().try_acquire_owned() {
        Ok(_permit) => {
            let _in_flight = state.metrics.in_flight("writes");
            next.run(request).await
        }
        Err(_) => state.overloaded("writes").into_response(),
    }
}

async fn reads_disabled() -> DaemonError {
    DaemonError::new(
        ApiStatus::NotFound,
        "READS_DISABLED",
        "this daemon runs as a publisher only; read blobs from an aggregator",
    )
}

async fn writes_disabled() -> DaemonError {
    DaemonError::new(
        ApiStatus::NotFound,
        "WRITES_DISABLED",
        "this daemon runs as an aggregator only; store blobs through a publisher",
    )
}

fn parse_blob_id(text: &str) -> Result<BlobId, DaemonError> {
    text.parse()
        .map_err(|e| DaemonError::bad("INVALID_BLOB_ID", format!("invalid blob ID {text:?}: {e}")))
}

/// The consistency check of a read (the reference's query parameters).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ReadQuery {
    /// Re-encode the blob and check that it gives the blob ID (the strongest check; slower).
    #[serde(default)]
    strict_consistency_check: bool,
    /// Skip the consistency check, for blobs whose writer you trust (every sliver is still
    /// verified against the metadata).
    #[serde(default)]
    skip_consistency_check: bool,
}

impl ReadQuery {
    fn check(&self) -> Result<ConsistencyCheck, DaemonError> {
        match (self.strict_consistency_check, self.skip_consistency_check) {
            (true, true) => Err(DaemonError::bad(
                "INVALID_REQUEST",
                "strict_consistency_check and skip_consistency_check exclude each other",
            )),
            (true, false) => Ok(ConsistencyCheck::Strict),
            (false, true) => Ok(ConsistencyCheck::Skip),
            (false, false) => Ok(ConsistencyCheck::Default),
        }
    }
}

/// Opens `blob_id` for a read, holding one of the read permits (shed with 429 when none is
/// free) and refusing a blob larger than the aggregator serves; the metadata are verified, no
/// sliver is fetched yet.
async fn open(
    state: &DaemonState,
    blob_id: &BlobId,
) -> Result<(BlobReader, ReadSlot), DaemonError> {
    let mut slot = state.read_slot()?;
    let reader = slot.open(state, blob_id).await?;
    Ok((reader, slot))
}

/// The headers of every read answer, as the reference sends them: no sniffing, cacheable for a
/// day, the ETag, and a `Content-Type` mirroring an explicit `Accept` (no wildcard).
fn read_headers(headers: &mut HeaderMap, etag: &str, request: &HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400, stale-while-revalidate=3600"),
    );
    if let Ok(etag) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, etag);
    }
    if let Some(accept) = request.get(header::ACCEPT)
        && accept
            .to_str()
            .is_ok_and(|a| !a.contains('*') && !a.contains(','))
    {
        headers.insert(header::CONTENT_TYPE, accept.clone());
    }
}

/// The headers of a blob response: [`read_headers`] with the blob ID as the ETag (the
/// reference's), and ranges accepted.
fn blob_headers(headers: &mut HeaderMap, blob_id: &BlobId, request: &HeaderMap) {
    read_headers(headers, &blob_id.to_string(), request);
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
}

/// A parsed single `Range: bytes=` header: `(start, end_inclusive)` within `total`.
pub fn parse_range(value: &str, total: u64) -> Result<Option<(u64, u64)>, String> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Err(format!("unsupported range unit in {value:?}"));
    };
    if spec.contains(',') {
        return Err("only a single range is supported".into());
    }
    let (first, last) = spec
        .split_once('-')
        .ok_or_else(|| format!("malformed range {value:?}"))?;
    let number = |s: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("malformed range {value:?}"))
    };
    let (start, end) = match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, true) => return Err(format!("malformed range {value:?}")),
        (true, false) => {
            // The last `n` bytes.
            let n = number(last)?;
            if n == 0 {
                return Err("a suffix range of 0 bytes selects nothing".into());
            }
            (total.saturating_sub(n), total.saturating_sub(1))
        }
        (false, true) => (number(first)?, total.saturating_sub(1)),
        (false, false) => {
            let (a, b) = (number(first)?, number(last)?);
            if b < a {
                return Err(format!("range end {b} is before its start {a}"));
            }
            (a, b.min(total.saturating_sub(1)))
        }
    };
    if total == 0 || start >= total {
        return Ok(None);
    }
    Ok(Some((start, end)))
}

/// The answer to a read of `reader`'s blob: the whole blob (200, with the consistency check
/// `check`) or, for a single `Range: bytes=` range, those bytes (206) fetched from only the
/// primary slivers that hold them (the strict check needs the whole blob, so a strict range
/// read decodes it).
async fn blob_response(
    reader: &BlobReader,
    slot: ReadSlot,
    check: ConsistencyCheck,
    request: &HeaderMap,
) -> Result<Response, DaemonError> {
    let total = reader.size();
    let range = match request.get(header::RANGE).map(|v| v.to_str()) {
        None => None,
        Some(Err(_)) => return Err(DaemonError::bad("INVALID_RANGE", "Range is not ASCII")),
        Some(Ok(value)) => match parse_range(value, total) {
            Ok(Some(range)) => Some(range),
            Ok(None) => {
                let mut response = DaemonError::new(
                    ApiStatus::RangeNotSatisfiable,
                    "INVALID_BYTE_RANGE",
                    format!("range {value:?} is outside the blob's {total} bytes"),
                )
                .into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{total}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                return Ok(response);
            }
            Err(reason) => return Err(DaemonError::bad("INVALID_RANGE", reason)),
        },
    };
    let mut response = match range {
        Some((start, end)) => {
            let length = end - start + 1;
            let body = if check == ConsistencyCheck::Strict {
                // Both bounds are below `total`, itself the length of the bytes in memory.
                Body::from(
                    reader
                        .read_all(check)
                        .await?
                        .slice(start as usize..=end as usize),
                )
            } else {
                streamed(reader, start, length, slot).await?
            };
            let mut r = (StatusCode::PARTIAL_CONTENT, body).into_response();
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{total}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
        None => (StatusCode::OK, Body::from(reader.read_all(check).await?)).into_response(),
    };
    blob_headers(response.headers_mut(), reader.blob_id(), request);
    Ok(response)
}

/// Read a blob, or one range of it.
///
/// The whole blob is decoded from enough verified slivers and checked; with a `Range: bytes=`
/// header (`a-b`, `a-` or `-n`) only the primary slivers holding those bytes are fetched and
/// verified (206 with `Content-Range`).
#[utoipa::path(
    get,
    path = "/v1/blobs/{blob_id}",
    tag = "aggregator",
    params(
        ("blob_id" = String, Path, description = "The blob ID (URL-safe base64)"),
        ReadQuery,
        ("Range" = Option<String>, Header, description = "One byte range: bytes=a-b, a- or -n"),
        ("If-None-Match" = Option<String>, Header, description = "The blob ID: answered 304"),
    ),
    responses(
        (status = 200, description = "The blob", content_type = "application/octet-stream", body = [u8]),
        (status = 206, description = "The requested range", content_type = "application/octet-stream", body = [u8]),
        (status = 304, description = "Not modified (a blob ID's content never changes)"),
        ReadErrors,
    ),
)]
async fn read_blob(
    State(state): State<Arc<DaemonState>>,
    Path(blob_id): Path<String>,
    Query(query): Query<ReadQuery>,
    headers: HeaderMap,
) -> Result<Response, DaemonError> {
    let blob_id = parse_blob_id(&blob_id)?;
    if let Some(tag) = headers.get(header::IF_NONE_MATCH)
        && tag
            .to_str()
            .is_ok_and(|t| t.trim_matches('"') == blob_id.to_string())
    {
        // The content of a blob ID never changes.
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        blob_headers(response.headers_mut(), &blob_id, &HeaderMap::new());
        return Ok(response);
    }
    let check = query.check()?;
    let (reader, slot) = open(&state, &blob_id).await?;
    blob_response(&reader, slot, check, &headers).await
}

/// A byte range (the reference's query parameters).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ByteRangeQuery {
    /// The first byte (0-based).
    start: u64,
    /// The number of bytes; at least 1, and `start + length` within the blob.
    length: u64,
}

/// Read bytes `start .. start + length` of a blob.
///
/// Only the primary slivers holding the bytes are fetched and verified. Answered 200 (not 206)
/// with the ETag `<blob_id>-<start>-<length>`, as the reference, so CDNs cache it.
#[utoipa::path(
    get,
    path = "/v1/blobs/{blob_id}/byte-range",
    tag = "aggregator",
    params(
        ("blob_id" = String, Path, description = "The blob ID (URL-safe base64)"),
        ByteRangeQuery,
    ),
    responses(
        (status = 200, description = "The bytes", content_type = "application/octet-stream", body = [u8]),
        ReadErrors,
    ),
)]
async fn byte_range(
    State(state): State<Arc<DaemonState>>,
    Path(blob_id): Path<String>,
    Query(q): Query<ByteRangeQuery>,
    headers: HeaderMap,
) -> Result<Response, DaemonError> {
    let blob_id = parse_blob_id(&blob_id)?;
    let (reader, slot) = open(&state, &blob_id).await?;
    let body = streamed(&reader, q.start, q.length, slot).await?;
    // 200, not 206, with an ETag of the blob ID and the range, as the reference answers: a CDN
    // caches a 200 under its URL.
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(q.length));
    blob_headers(response.headers_mut(), &blob_id, &headers);
    if let Ok(etag) = HeaderValue::from_str(&format!("{blob_id}-{}-{}", q.start, q.length)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

/// Read the blob of a Blob or SharedBlob object.
///
/// The object's attributes named by `--allowed-headers` become response headers. A `Range`
/// header is honoured as for `/v1/blobs/{blob_id}`.
#[utoipa::path(
    get,
    path = "/v1/blobs/by-object-id/{object_id}",
    tag = "aggregator",
    params(
        ("object_id" = String, Path, description = "The object ID (0x-prefixed hex)"),
        ReadQuery,
        ("Range" = Option<String>, Header, description = "One byte range: bytes=a-b, a- or -n"),
    ),
    responses(
        (status = 200, description = "The blob", content_type = "application/octet-stream", body = [u8]),
        (status = 206, description = "The requested range", content_type = "application/octet-stream", body = [u8]),
        ReadErrors,
    ),
)]
async fn read_by_object(
    State(state): State<Arc<DaemonState>>,
    Path(object_id): Path<String>,
    Query(query): Query<ReadQuery>,
    headers: HeaderMap,
) -> Result<Response, DaemonError> {
    let id: Address = object_id.parse().map_err(|e| {
        DaemonError::bad(
            "INVALID_OBJECT_ID",
            format!("invalid object id {object_id:?}: {e}"),
        )
    })?;
    let object = state.client.blob_object(id).await.map_err(|e| match e {
        ClientError::InvalidRequest(m) => {
            DaemonError::new(ApiStatus::NotFound, "OBJECT_NOT_FOUND", m)
        }
        other => other.into(),
    })?;
    let check = query.check()?;
    let (reader, slot) = open(&state, &object.blob.blob_id).await?;
    let mut response = blob_response(&reader, slot, check, &headers).await?;
    attribute_headers(&state, &object, response.headers_mut());
    Ok(response)
}

/// The object's attributes the aggregator is configured to return, as response headers.
fn attribute_headers(state: &DaemonState, object: &BlobObject, headers: &mut HeaderMap) {
    let Some(metadata) = &object.metadata else {
        return;
    };
    for entry in &metadata.metadata {
        let key = entry.key.to_ascii_lowercase();
        if state.limits.allowed_headers.contains(&key)
            && let (Ok(name), Ok(value)) = (
                header::HeaderName::from_bytes(key.as_bytes()),
                HeaderValue::from_str(&entry.value),
            )
        {
            headers.insert(name, value);
        }
    }
}

/// `GET /v1alpha/blobs/{blob_id}/stream`: the blob sent as it is fetched, one primary sliver
/// at a time, a few ahead (the first bytes leave after one sliver; memory holds only the
/// slivers in flight). Every sliver is verified against the metadata; a needed sliver that
/// cannot be had makes the stream decode the whole blob once and go on. `Content-Length` is
/// the blob's size and `X-Walrus-Streaming: true`, as the reference answers.
#[utoipa::path(
    get,
    path = "/v1alpha/blobs/{blob_id}/stream",
    tag = "aggregator",
    params(("blob_id" = String, Path, description = "The blob ID (URL-safe base64)")),
    responses(
        (status = 200, description = "The blob, streamed sliver by sliver; a failure midway ends the body short of Content-Length", content_type = "application/octet-stream", body = [u8]),
        ReadErrors,
    ),
)]
async fn stream_blob(
    State(state): State<Arc<DaemonState>>,
    Path(blob_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, DaemonError> {
    let blob_id = parse_blob_id(&blob_id)?;
    let (reader, slot) = open(&state, &blob_id).await?;
    let size = reader.size();
    let body = if size == 0 {
        Body::empty()
    } else {
        streamed(&reader, 0, size, slot).await?
    };
    let mut response = (StatusCode::OK, body).into_response();
    blob_headers(response.headers_mut(), &blob_id, &headers);
    let h = response.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    h.insert(
        header::HeaderName::from_static("x-walrus-streaming"),
        HeaderValue::from_static("true"),
    );
    Ok(response)
}

/// Bytes `start .. start + length` of `reader`'s blob as a response body streamed sliver by
/// sliver (memory holds only the slivers in flight), holding `slot` until the last byte is
/// sent. The first part is fetched before answering, so a read that fails at once is a proper
/// error answer; a failure after that ends the body short of its `Content-Length`.
async fn streamed(
    reader: &BlobReader,
    start: u64,
    length: u64,
    slot: ReadSlot,
) -> Result<Body, DaemonError> {
    let blob_id = *reader.blob_id();
    let mut parts = Box::pin(reader.stream(start, length)?);
    let first = parts.next().await.transpose()?;
    let parts = futures_util::stream::iter(first.map(Ok))
        .chain(parts)
        .map(move |part| {
            let _held = &slot;
            part.map_err(|e| {
                tracing::warn!(%blob_id, error = %e, "streaming a blob failed midway");
                std::io::Error::other(e.to_string())
            })
        });
    Ok(Body::from_stream(parts))
}

/// The most blobs one concatenation may name.
pub const MAX_CONCAT_IDS: usize = 256;

/// The blobs to concatenate (the reference's query parameters).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ConcatQuery {
    /// Comma-separated blob IDs or Blob/SharedBlob object IDs, in order (at most 256).
    ids: String,
    /// As for `/v1/blobs/{blob_id}`.
    #[serde(default)]
    strict_consistency_check: bool,
    /// As for `/v1/blobs/{blob_id}`.
    #[serde(default)]
    skip_consistency_check: bool,
}

/// The blobs to concatenate (the reference's request body).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ConcatBody {
    /// Blob IDs or Blob/SharedBlob object IDs, in order (at most 256).
    ids: Vec<String>,
    /// Re-encode each blob and check its blob ID.
    #[serde(default)]
    strict_consistency_check: Option<bool>,
    /// Skip the consistency check.
    #[serde(default)]
    skip_consistency_check: Option<bool>,
}

/// `GET /v1alpha/blobs/concat?ids=A,B,...`: the blobs (blob IDs or Blob/SharedBlob object IDs)
/// one after another in one body.
#[utoipa::path(
    get,
    path = "/v1alpha/blobs/concat",
    tag = "aggregator",
    params(ConcatQuery),
    responses(
        (status = 200, description = "The blobs, one after another", content_type = "application/octet-stream", body = [u8]),
        ReadErrors,
    ),
)]
async fn concat_get(
    State(state): State<Arc<DaemonState>>,
    Query(q): Query<ConcatQuery>,
    headers: HeaderMap,
) -> Result<Response, DaemonError> {
    let ids: Vec<String> = q
        .ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let check = ReadQuery {
        strict_consistency_check: q.strict_consistency_check,
        skip_consistency_check: q.skip_consistency_check,
    }
    .check()?;
    concat(&state, ids, check, &headers).await
}

/// `POST /v1alpha/blobs/concat` with `{"ids": [...]}`: as the `GET`, for lists too long for a
/// URL.
#[utoipa::path(
    post,
    path = "/v1alpha/blobs/concat",
    tag = "aggregator",
    request_body = ConcatBody,
    responses(
        (status = 200, description = "The blobs, one after another", content_type = "application/octet-stream", body = [u8]),
        ReadErrors,
    ),
)]
async fn concat_post(
    State(state): State<Arc<DaemonState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, DaemonError> {
    let body: ConcatBody = serde_json::from_slice(&body)
        .map_err(|e| DaemonError::bad("INVALID_REQUEST", format!("invalid JSON body: {e}")))?;
    let check = ReadQuery {
        strict_consistency_check: body.strict_consistency_check.unwrap_or(false),
        skip_consistency_check: body.skip_consistency_check.unwrap_or(false),
    }
    .check()?;
    concat(&state, body.ids, check, &headers).await
}

/// Resolves every ID and opens every blob before the first byte is sent (so a missing or
/// oversized blob is a clean error, and `Content-Length` is known), then streams the blobs in
/// order; with the strict check each blob is decoded whole and checked before it is sent. The
/// ETag is the base64url SHA-256 of the ID list as given, as the reference's.
async fn concat(
    state: &Arc<DaemonState>,
    ids: Vec<String>,
    check: ConsistencyCheck,
    request: &HeaderMap,
) -> Result<Response, DaemonError> {
    if ids.is_empty() {
        return Err(DaemonError::bad(
            "INVALID_REQUEST",
            "at least one blob ID or object ID must be provided",
        ));
    }
    if ids.len() > MAX_CONCAT_IDS {
        return Err(DaemonError::bad(
            "INVALID_REQUEST",
            format!(
                "{} IDs given; at most {MAX_CONCAT_IDS} blobs are concatenated at once",
                ids.len()
            ),
        ));
    }
    let mut slot = state.read_slot()?;
    let etag = {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(ids.join(",").as_bytes()))
    };
    let mut first_object = None;
    let mut readers = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let blob_id = match id.parse::<BlobId>() {
            Ok(blob_id) => blob_id,
            Err(_) => {
                let object_id: Address = id.parse().map_err(|_| {
                    DaemonError::bad(
                        "INVALID_ID_FORMAT",
                        format!("{id:?} is neither a blob ID nor an object ID"),
                    )
                })?;
                let object = state.client.blob_object(object_id).await.map_err(|e| {
                    DaemonError::new(
                        ApiStatus::NotFound,
                        "OBJECT_ID_RESOLUTION_FAILED",
                        format!("failed to resolve object ID {id}: {e}"),
                    )
                })?;
                let blob_id = object.blob.blob_id;
                if i == 0 {
                    first_object = Some(object);
                }
                blob_id
            }
        };
        readers.push(slot.open(state, &blob_id).await?);
    }
    let total: u64 = readers.iter().map(BlobReader::size).sum();
    let parts = futures_util::stream::iter(readers)
        .then(move |reader| async move {
            let blob_id = *reader.blob_id();
            let parts: futures_util::stream::BoxStream<'static, Result<Bytes, ClientError>> =
                if reader.size() == 0 {
                    futures_util::stream::empty().boxed()
                } else if check == ConsistencyCheck::Strict {
                    let whole = reader.read_all(check).await;
                    futures_util::stream::once(async move { whole }).boxed()
                } else {
                    match reader.stream(0, reader.size()) {
                        Ok(s) => s.boxed(),
                        Err(e) => futures_util::stream::once(async move { Err(e) }).boxed(),
                    }
                };
            parts.map(move |part| {
                part.map_err(|e| {
                    tracing::warn!(%blob_id, error = %e, "concatenation failed midway");
                    std::io::Error::other(format!("blob {blob_id}: {e}"))
                })
            })
        })
        .flatten()
        .map(move |part| {
            let _held = &slot;
            part
        });
    let mut response = (StatusCode::OK, Body::from_stream(parts)).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(total));
    read_headers(h, &etag, request);
    if let Some(object) = &first_object {
        attribute_headers(state, object, h);
    }
    Ok(response)
}

/// How to store (the reference's query parameters).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct StoreQuery {
    /// Epochs to store for, from the current one (default 1).
    epochs: Option<u32>,
    /// Store a permanent blob (blobs are deletable by default).
    #[serde(default)]
    permanent: bool,
    /// Deprecated no-op in the reference (blobs are deletable by default); accepted.
    #[serde(default)]
    #[allow(dead_code)]
    deletable: bool,
    /// Store even when the blob is already certified for long enough.
    #[serde(default)]
    force: bool,
    /// Send the new Blob object to this address (0x-prefixed hex).
    send_object_to: Option<String>,
    /// Wrap the new Blob object in a SharedBlob.
    #[serde(default)]
    share: bool,
    /// Reuse the publisher wallet's own storage and registrations (off by default, as in the
    /// reference: a publisher buys new storage for every store).
    #[serde(default)]
    reuse_resources: bool,
}

/// Store the request body as a blob.
#[utoipa::path(
    put,
    path = "/v1/blobs",
    tag = "publisher",
    params(StoreQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The blob"),
    responses(
        (status = 200, description = "`newlyCreated` or `alreadyCertified`", body = BlobStoreResult),
        (status = 400, description = "A malformed parameter", body = ErrorEnvelope),
        (status = 413, description = "Body over --max-body-size (plain text)", body = String),
        (status = 429, description = "Too many stores at once (Retry-After)", body = ErrorEnvelope),
        (status = 451, description = "FORBIDDEN_BLOB: the blob is on the blocklist", body = ErrorEnvelope),
        (status = 500, description = "The store failed", body = ErrorEnvelope),
        (status = 503, description = "Not enough storage nodes answered", body = ErrorEnvelope),
    ),
)]
async fn store_blob(
    State(state): State<Arc<DaemonState>>,
    Query(q): Query<StoreQuery>,
    body: Bytes,
) -> Result<Response, DaemonError> {
    let epochs = q.epochs.unwrap_or(1);
    if let Some(max) = state.limits.max_epochs
        && epochs > max
    {
        return Err(DaemonError::bad(
            "INVALID_EPOCHS",
            format!("epochs={epochs} exceeds this publisher's limit of {max}"),
        ));
    }
    let send_object_to = match q.send_object_to.as_deref() {
        Some(text) => Some(text.parse::<Address>().map_err(|e| {
            DaemonError::bad(
                "INVALID_ADDRESS",
                format!("invalid send_object_to {text:?}: {e}"),
            )
        })?),
        None => None,
    };
    let options = StoreOptions {
        epochs: Epochs::Ahead(epochs),
        deletable: !q.permanent,
        force: q.force,
        send_object_to,
        share: q.share,
        ignore_resources: !q.reuse_resources,
    };
    let size = body.len() as u64;
    let (result, background) = state.client.store(body.to_vec(), &options).await?;
    state.metrics.stored_bytes.inc_by(size);
    tokio::spawn(background.finish());
    Ok((StatusCode::OK, axum::Json(result)).into_response())
}

/// Liveness.
#[utoipa::path(get, path = "/status", responses((status = 200, description = "OK", body = String)))]
async fn status() -> &'static str {
    "OK"
}

/// This document.
#[utoipa::path(get, path = "/v1/api", responses((status = 200, description = "The OpenAPI document of this daemon", body = Object)))]
async fn openapi(State(document): State<Arc<utoipa::openapi::OpenApi>>) -> Response {
    axum::Json(document.as_ref().clone()).into_response()
}

/// The error answers of the read routes, in the reference's envelope.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // describes answers for the OpenAPI document; never built
enum ReadErrors {
    /// A malformed blob ID, object ID, range or parameter.
    #[response(status = 400)]
    BadRequest(ErrorEnvelope),
    /// BLOB_TOO_LARGE: over --max-blob-size.
    #[response(status = 403)]
    TooLarge(ErrorEnvelope),
    /// BLOB_NOT_FOUND: not certified, expired or deleted (or OBJECT_NOT_FOUND).
    #[response(status = 404)]
    NotFound(ErrorEnvelope),
    /// INVALID_BYTE_RANGE: outside the blob (Content-Range: bytes */size).
    #[response(status = 416)]
    RangeNotSatisfiable(ErrorEnvelope),
    /// OVERLOADED: too many reads at once (Retry-After).
    #[response(status = 429)]
    Overloaded(ErrorEnvelope),
    /// FORBIDDEN_BLOB: on the blocklist; BLOB_INVALID: marked inconsistent on chain.
    #[response(status = 451)]
    Unavailable(ErrorEnvelope),
    /// NOT_ENOUGH_NODES: too few storage nodes answered correctly.
    #[response(status = 503)]
    NotEnoughNodes(ErrorEnvelope),
}

/// The daemon's OpenAPI document, generated from the route handlers and their parameter and
/// body types.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(
        title = "Walrus publisher and aggregator",
        description = "Store blobs (publisher) and read them (aggregator), as the reference daemon."
    ),
    paths(
        status,
        openapi,
        read_blob,
        byte_range,
        read_by_object,
        stream_blob,
        concat_get,
        concat_post,
        store_blob
    ),
    components(schemas(BlobStoreResult, ErrorEnvelope, ConcatBody))
)]
pub struct DaemonApi;

/// [`DaemonApi`] with only the routes `mode` serves.
pub fn api_document(mode: Mode) -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi as _;
    let mut document = DaemonApi::openapi();
    let paths = &mut document.paths.paths;
    if !mode.reads() {
        paths.retain(|path, _| !path.starts_with("/v1/blobs/") && !path.starts_with("/v1alpha/"));
    }
    if !mode.writes() {
        paths.remove("/v1/blobs");
    }
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (method, path) the document names.
    fn documented(document: &utoipa::openapi::OpenApi) -> Vec<(String, String)> {
        let value = serde_json::to_value(document).unwrap();
        let mut out = Vec::new();
        for (path, item) in value["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                out.push((method.to_uppercase(), path.clone()));
            }
        }
        out.sort();
        out
    }

    #[test]
    fn the_document_names_each_route_of_its_mode() {
        let all = documented(&api_document(Mode::Daemon));
        let expected = [
            ("GET", "/status"),
            ("GET", "/v1/api"),
            ("GET", "/v1/blobs/by-object-id/{object_id}"),
            ("GET", "/v1/blobs/{blob_id}"),
            ("GET", "/v1/blobs/{blob_id}/byte-range"),
            ("GET", "/v1alpha/blobs/concat"),
            ("GET", "/v1alpha/blobs/{blob_id}/stream"),
            ("POST", "/v1alpha/blobs/concat"),
            ("PUT", "/v1/blobs"),
        ]
        .map(|(m, p)| (m.to_owned(), p.to_owned()));
        let mut expected = expected.to_vec();
        expected.sort();
        assert_eq!(all, expected);
        let aggregator = documented(&api_document(Mode::Aggregator));
        assert!(!aggregator.iter().any(|(m, _)| m == "PUT"));
        assert_eq!(aggregator.len(), all.len() - 1);
        let publisher = documented(&api_document(Mode::Publisher));
        assert_eq!(publisher.len(), 3, "{publisher:?}");
        // Parameters and bodies come from the handlers' types.
        let value = serde_json::to_value(api_document(Mode::Daemon)).unwrap();
        let put = &value["paths"]["/v1/blobs"]["put"];
        let names: Vec<&str> = put["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for name in [
            "epochs",
            "permanent",
            "force",
            "send_object_to",
            "share",
            "reuse_resources",
        ] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
        assert!(value["components"]["schemas"]["BlobStoreResult"].is_object());
        assert!(value["components"]["schemas"]["ErrorEnvelope"].is_object());
        assert!(
            value["paths"]["/v1/blobs/{blob_id}"]["get"]["responses"]["416"].is_object(),
            "{}",
            value["paths"]["/v1/blobs/{blob_id}"]
        );
    }

    /// Each documented route is served by the router: none answers axum's empty 404 or 405.
    #[tokio::test]
    async fn the_router_serves_each_documented_route() {
        let client = WalrusClient::new(&crate::ClientConfig::new("http://127.0.0.1:9"), None);
        let router = router(client, Mode::Daemon, DaemonLimits::default());
        let (ready, address) = tokio::sync::oneshot::channel();
        tokio::spawn(serve(
            router,
            "127.0.0.1:0".parse().unwrap(),
            move |a| {
                let _ = ready.send(a);
            },
            std::future::pending(),
        ));
        let base = format!("http://{}", address.await.unwrap());
        let http = reqwest::Client::new();
        for (method, path) in documented(&api_document(Mode::Daemon)) {
            let url = format!(
                "{base}{}",
                path.replace("{blob_id}", &BlobId([1; 32]).to_string())
                    .replace("{object_id}", "0x1")
            );
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let response = http.request(method.clone(), &url).send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.bytes().await.unwrap();
            assert_ne!(status, 405, "{method} {path}");
            assert!(
                !(status == 404 && body.is_empty()),
                "{method} {path}: no such route"
            );
        }
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Ok(Some((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Ok(Some((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Ok(Some((90, 99))));
        assert_eq!(parse_range("bytes=-1000", 100), Ok(Some((0, 99))));
        assert_eq!(parse_range("bytes=50-1000000", 100), Ok(Some((50, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Ok(None), "past the end");
        assert_eq!(parse_range("bytes=0-0", 0), Ok(None), "empty blob");
        assert!(parse_range("bytes=5-1", 100).is_err());
        assert!(parse_range("bytes=0-1,5-6", 100).is_err());
        assert!(parse_range("items=0-1", 100).is_err());
        assert!(parse_range("bytes=x-1", 100).is_err());
        assert!(parse_range("bytes=-", 100).is_err());
        assert!(parse_range("bytes=-0", 100).is_err());
        assert!(
            parse_range("bytes=18446744073709551615-", 100)
                .unwrap()
                .is_none()
        );
    }
}
