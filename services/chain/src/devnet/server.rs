//! The devnet ledger's HTTP API, served on loopback so separate processes (storage nodes, the
//! indexer, the CLI) share one ledger.
//!
//! | route | what |
//! |---|---|
//! | `POST /v1/transactions` | submit a signed transaction (BCS `SignedTransaction`, or JSON `{"data": b64, "signature": b64}`); answers with its record once durable |
//! | `GET /v1/transactions?after=C&limit=N&wait_ms=W` | up to N records after cursor C, waiting up to W ms for the first one (long poll) |
//! | `GET /v1/objects/{id}` | one object: id, version, owner, Move type, BCS contents and a JSON view |
//! | `GET /v1/accounts/{address}/objects` | the objects an address owns |
//! | `GET /v1/accounts/{address}/nonce` | the address's next nonce |
//! | `GET /v1/head` | the newest durable cursor and the ledger time |
//!
//! Responses are JSON, or BCS with `?format=bcs` (what [`super::client::DevnetClient`] uses).
//! Errors are `{"error": {"kind": "...", "message": "..."}}` with a 4xx/5xx status.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;

use super::ledger::{Ledger, LedgerError, MAX_TRANSACTION_BYTES, Machine, SubmitError};
use super::tx::SignedTransaction;
use crate::types::{Cursor, ObjectId, Owner};

/// Most records one read returns.
pub const MAX_PAGE: usize = 1000;
/// Longest a read waits for new records.
pub const MAX_WAIT_MS: u64 = 30_000;

/// An object as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectView<V> {
    /// The id.
    pub object_id: ObjectId,
    /// Its version.
    pub version: u64,
    /// Its owner.
    pub owner: Owner,
    /// Full Move type.
    pub object_type: String,
    /// BCS of the Move value.
    #[serde(with = "crate::types::bytes")]
    pub bcs: Vec<u8>,
    /// The decoded value.
    pub value: V,
}

/// `GET /v1/head`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Head {
    /// The newest durable cursor.
    pub cursor: Cursor,
    /// Ledger time of the newest transaction (ms).
    pub timestamp_ms: u64,
}

/// `GET /v1/accounts/{address}/nonce`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonceView {
    /// The next nonce.
    pub nonce: u64,
}

/// The error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// A stable machine-readable kind.
    pub kind: String,
    /// A sentence for people.
    pub message: String,
}

/// An API error with its status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                kind: self.kind.into(),
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> Self {
        let (status, kind) = match &e {
            SubmitError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_transaction"),
            SubmitError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            SubmitError::Replayed { .. } => (StatusCode::CONFLICT, "replayed"),
            SubmitError::NonceTooHigh { .. } => (StatusCode::CONFLICT, "nonce_too_high"),
            SubmitError::Journal(_) => (StatusCode::SERVICE_UNAVAILABLE, "ledger_unavailable"),
        };
        Self::new(status, kind, e.to_string())
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match &e {
            LedgerError::CursorFromFuture { .. } => {
                Self::new(StatusCode::BAD_REQUEST, "cursor_from_future", e.to_string())
            }
            _ => Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Format {
    #[default]
    Json,
    Bcs,
}

#[derive(Debug, Default, Deserialize)]
struct FormatQuery {
    #[serde(default)]
    format: Format,
}

fn respond<T: Serialize>(format: Format, value: &T) -> Response {
    match format {
        Format::Json => Json(value).into_response(),
        Format::Bcs => match bcs::to_bytes(value) {
            Ok(bytes) => {
                ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
            }
            Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
                .into_response(),
        },
    }
}

/// The router for a ledger.
pub fn router<M: Machine>(ledger: Arc<Ledger<M>>) -> Router
where
    M::Object: Serialize,
{
    Router::new()
        .route("/v1/transactions", post(submit::<M>).get(read::<M>))
        .route("/v1/objects/{id}", get(object::<M>))
        .route("/v1/accounts/{address}/objects", get(owned::<M>))
        .route("/v1/accounts/{address}/nonce", get(nonce::<M>))
        .route("/v1/head", get(head::<M>))
        .route("/health", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(refuse_announced_oversize))
        .with_state(ledger)
}

/// Largest request body accepted (a transaction in JSON, base64-inflated, with room to spare).
pub const MAX_BODY_BYTES: usize = MAX_TRANSACTION_BYTES * 2 + 1024;

/// Answers 413 before reading a byte of a body whose `Content-Length` already exceeds
/// [`MAX_BODY_BYTES`], so an oversized upload costs neither bandwidth nor a half-read connection.
/// Bodies without a length (chunked) are still cut off at the limit while being read.
async fn refuse_announced_oversize(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match announced {
        Some(n) if n > MAX_BODY_BYTES as u64 => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request body of {n} bytes exceeds the limit of {MAX_BODY_BYTES} bytes"),
        )
        .into_response(),
        _ => next.run(request).await,
    }
}

#[derive(Deserialize)]
struct JsonTransaction {
    #[serde(with = "crate::types::bytes")]
    data: Vec<u8>,
    #[serde(with = "crate::types::bytes")]
    signature: Vec<u8>,
}

async fn submit<M: Machine>(
    State(ledger): State<Arc<Ledger<M>>>,
    Query(q): Query<FormatQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let tx = if is_json {
        let t: JsonTransaction = serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_request",
                format!("bad JSON transaction: {e}"),
            )
        })?;
        SignedTransaction {
            data: t.data,
            signature: t.signature,
        }
    } else {
        bcs::from_bytes(&body).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_request",
                format!("bad BCS transaction: {e}"),
            )
        })?
    };
    let submitted = ledger.clone();
    let receipt = tokio::task::spawn_blocking(move || submitted.submit(tx))
        .await
        .map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })??;
    let record = receipt.durable().await.map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ledger_unavailable",
            e.to_string(),
        )
    })?;
    Ok(respond(q.format, &record))
}

#[derive(Debug, Deserialize)]
struct ReadQuery {
    #[serde(default)]
    after: Cursor,
    limit: Option<usize>,
    #[serde(default)]
    wait_ms: u64,
    #[serde(default)]
    format: Format,
}

async fn read<M: Machine>(
    State(ledger): State<Arc<Ledger<M>>>,
    Query(q): Query<ReadQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_PAGE);
    let wait = Duration::from_millis(q.wait_ms.min(MAX_WAIT_MS));
    let mut changes = ledger.subscribe();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let records = ledger.read_records(q.after, limit)?;
        if !records.is_empty() || tokio::time::Instant::now() >= deadline {
            return Ok(respond(q.format, &records));
        }
        // Wait for the head to move, or the deadline.
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) | Err(_) => return Ok(respond(q.format, &records)),
        }
    }
}

fn parse_id(text: &str) -> Result<ObjectId, ApiError> {
    text.parse::<Address>().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_request",
            format!("bad object id or address '{text}': {e}"),
        )
    })
}

fn view<M: Machine>(
    id: ObjectId,
    o: super::objects::StoredObject<M::Object>,
) -> ObjectView<M::Object> {
    use super::objects::LedgerObject as _;
    ObjectView {
        object_id: id,
        version: o.version,
        owner: o.owner,
        object_type: o.value.type_name(),
        bcs: o.value.move_bcs(),
        value: o.value,
    }
}

async fn object<M: Machine>(
    State(ledger): State<Arc<Ledger<M>>>,
    Path(id): Path<String>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, ApiError>
where
    M::Object: Serialize,
{
    let id = parse_id(&id)?;
    let o = ledger.object(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no object {id}"),
        )
    })?;
    Ok(respond(q.format, &view::<M>(id, o)))
}

async fn owned<M: Machine>(
    State(ledger): State<Arc<Ledger<M>>>,
    Path(address): Path<String>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, ApiError>
where
    M::Object: Serialize,
{
    let address = parse_id(&address)?;
    let views: Vec<_> = ledger
        .owned_objects(address)
        .into_iter()
        .map(|(id, o)| view::<M>(id, o))
        .collect();
    Ok(respond(q.format, &views))
}

async fn nonce<M: Machine>(
    State(ledger): State<Arc<Ledger<M>>>,
    Path(address): Path<String>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    let address = parse_id(&address)?;
    Ok(respond(
        q.format,
        &NonceView {
            nonce: ledger.next_nonce(address),
        },
    ))
}

async fn head<M: Machine>(
    State(ledger): State<Arc<Ledger<M>>>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    Ok(respond(
        q.format,
        &Head {
            cursor: ledger.head(),
            timestamp_ms: ledger.last_timestamp_ms(),
        },
    ))
}
