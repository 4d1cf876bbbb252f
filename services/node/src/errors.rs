//! The REST API's errors, one enum per operation as in the reference (MystenLabs/walrus
//! `walrus-service` `node::errors`): each variant carries its class ([`ApiStatus`], hence its
//! HTTP status) and its reason, so a handler returns a typed error and the envelope is built in
//! one place. Reasons, classes and domains are the reference's; where the reference answers
//! without an envelope (an unparsable path, a missing `Authorization` header) or has no such
//! check, the variant says so.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use walrus_node_api::{ApiStatus, ERROR_DOMAIN, ErrorEnvelope, GLOBAL_ERROR_DOMAIN};

/// How an error classifies itself: its own class and reason, or those of an error it wraps.
#[derive(Debug)]
pub enum Class<'a> {
    /// This error's class and reason (in the storage node's domain).
    Own(ApiStatus, &'static str),
    /// A wrapped error's (class, reason, domain and metadata).
    Delegate(&'a dyn RestApiError),
}

/// What every error of the API says about itself.
pub trait RestApiError: std::fmt::Display + std::fmt::Debug {
    /// The class and reason.
    fn class(&self) -> Class<'_>;
    /// Arguments of the error for the `ErrorInfo` metadata.
    fn metadata(&self) -> Map<String, Value> {
        match self.class() {
            Class::Delegate(inner) => inner.metadata(),
            Class::Own(..) => Map::new(),
        }
    }
    /// The domain: the storage node's, or the global one for internal errors.
    fn domain(&self) -> &'static str {
        match self.class() {
            Class::Delegate(inner) => inner.domain(),
            Class::Own(..) => ERROR_DOMAIN,
        }
    }
    /// The class (status name and HTTP status).
    fn status(&self) -> ApiStatus {
        match self.class() {
            Class::Delegate(inner) => inner.status(),
            Class::Own(status, _) => status,
        }
    }
    /// The UPPER_SNAKE reason, unique within the domain.
    fn reason(&self) -> &'static str {
        match self.class() {
            Class::Delegate(inner) => inner.reason(),
            Class::Own(_, reason) => reason,
        }
    }
    /// A response that is not an envelope, for the errors the reference answers without one.
    fn plain_response(&self) -> Option<Response> {
        match self.class() {
            Class::Delegate(inner) => inner.plain_response(),
            Class::Own(..) => None,
        }
    }
    /// The error as the reference's JSON envelope (a delegated error keeps its own message
    /// inside this one's).
    fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope::new(
            self.status(),
            self.domain(),
            self.reason(),
            self.to_string(),
        )
        .with_metadata(self.metadata())
    }
}

/// Answers `error` with its envelope and HTTP status.
pub fn respond(error: &impl RestApiError) -> Response {
    if let Some(response) = error.plain_response() {
        return response;
    }
    let envelope = error.envelope();
    let body = serde_json::to_vec(&envelope).unwrap_or_default();
    let code = StatusCode::from_u16(error.status().http_code())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Implements [`IntoResponse`] through [`respond`] for error types.
macro_rules! into_response {
    ($($t:ty),+ $(,)?) => {$(
        impl IntoResponse for $t {
            fn into_response(self) -> Response {
                respond(&self)
            }
        }
    )+};
}

into_response!(
    Internal,
    ShardNotAssigned,
    IndexOutOfRange,
    RequestRejection
);

/// An invariant broke (storage failed, a worker died). The details are logged, never sent: the
/// caller gets the reference's fixed message.
#[derive(Debug, thiserror::Error)]
#[error("an internal error has occurred, please report it")]
pub struct Internal;

impl Internal {
    /// Logs `detail` and returns the error.
    pub fn log(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error answering a request");
        Self
    }
}

impl RestApiError for Internal {
    fn class(&self) -> Class<'_> {
        Class::Own(ApiStatus::Internal, "INTERNAL_ERROR")
    }
    fn domain(&self) -> &'static str {
        GLOBAL_ERROR_DOMAIN
    }
}

/// The service cannot answer now; retry with backoff (the reference's `Unavailable`, in the
/// global domain).
#[derive(Debug, thiserror::Error)]
#[error("the service is currently unavailable")]
pub struct Unavailable;

impl RestApiError for Unavailable {
    fn class(&self) -> Class<'_> {
        Class::Own(ApiStatus::Unavailable, "UNAVAILABLE")
    }
    fn domain(&self) -> &'static str {
        GLOBAL_ERROR_DOMAIN
    }
}

/// The shard of the requested sliver pair is not this node's in the epoch.
#[derive(Debug, thiserror::Error)]
#[error("shard {shard} is not assigned to this node in epoch {epoch}")]
pub struct ShardNotAssigned {
    /// The shard.
    pub shard: u16,
    /// This node's epoch.
    pub epoch: u32,
}

impl RestApiError for ShardNotAssigned {
    fn class(&self) -> Class<'_> {
        Class::Own(ApiStatus::FailedPrecondition, "SHARD_NOT_ASSIGNED")
    }
}

/// An index (sliver pair, shard, sliver) is not below the shard count.
#[derive(Debug, thiserror::Error)]
#[error("requires 0 <= index ({index}) < {max}")]
pub struct IndexOutOfRange {
    /// The index given.
    pub index: u16,
    /// The shard count.
    pub max: u16,
}

impl IndexOutOfRange {
    /// `index` if it is below `max`.
    pub fn check(index: u16, max: u16) -> Result<u16, Self> {
        if index < max {
            Ok(index)
        } else {
            Err(Self { index, max })
        }
    }
}

impl RestApiError for IndexOutOfRange {
    fn class(&self) -> Class<'_> {
        Class::Own(ApiStatus::InvalidArgument, "INDEX_OUT_OF_RANGE")
    }
}

/// A path or query parameter that does not parse. (The reference answers these with axum's
/// plain-text 400; this node answers with an envelope of the same HTTP status.)
#[derive(Debug, thiserror::Error)]
pub enum RequestRejection {
    /// A path parameter.
    #[error("invalid path: {0}")]
    Path(String),
    /// A query parameter.
    #[error("invalid query: {0}")]
    Query(String),
}

impl RestApiError for RequestRejection {
    fn class(&self) -> Class<'_> {
        match self {
            Self::Path(_) => Class::Own(ApiStatus::InvalidArgument, "INVALID_PATH"),
            Self::Query(_) => Class::Own(ApiStatus::InvalidArgument, "INVALID_QUERY"),
        }
    }
}

/// A request body refused before it is used: the reference's `BcsRejection`, plus the body
/// limit.
#[derive(Debug, thiserror::Error)]
pub enum BodyRejection {
    /// `Content-Type` is neither absent nor `application/octet-stream`.
    #[error("Expected request with `Content-Type: application/octet-stream`")]
    UnsupportedContentType,
    /// The body does not decode as the BCS of the expected type.
    #[error("unable to decode request body as BCS: {0}")]
    Decode(String),
    /// The body is larger than the node accepts. Answered as the reference's body limit
    /// answers it: 413 with a plain-text body (no envelope: 413 is no class of the table).
    #[error("request body of {got} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// What the request announced, or "more than that" when it did not say.
        got: String,
        /// The limit.
        limit: usize,
    },
    /// The connection failed while the body was read.
    #[error("the request body could not be read: {0}")]
    Read(String),
}

impl RestApiError for BodyRejection {
    fn class(&self) -> Class<'_> {
        Class::Own(ApiStatus::InvalidArgument, "INVALID_CONTENT_TYPE")
    }
    fn plain_response(&self) -> Option<Response> {
        matches!(self, Self::TooLarge { .. }).then(|| {
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                self.to_string(),
            )
                .into_response()
        })
    }
}

into_response!(BodyRejection);

/// The errors every operation can answer: a refused path, query or body, or an internal
/// error. Each operation's enum wraps them in one `Common` variant.
#[derive(Debug, thiserror::Error)]
pub enum Common {
    /// A bad path or query.
    #[error(transparent)]
    Request(#[from] RequestRejection),
    /// A refused body.
    #[error(transparent)]
    Body(#[from] BodyRejection),
    /// See [`Internal`].
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl RestApiError for Common {
    fn class(&self) -> Class<'_> {
        match self {
            Self::Request(e) => Class::Delegate(e),
            Self::Body(e) => Class::Delegate(e),
            Self::Internal(e) => Class::Delegate(e),
        }
    }
}

/// For operation enums with a `Common` variant: `From` the shared errors, so `?` converts them,
/// and [`IntoResponse`].
macro_rules! from_common {
    ($($t:ty),+ $(,)?) => {$(
        impl From<RequestRejection> for $t {
            fn from(e: RequestRejection) -> Self {
                Self::Common(e.into())
            }
        }
        impl From<BodyRejection> for $t {
            fn from(e: BodyRejection) -> Self {
                Self::Common(e.into())
            }
        }
        impl From<Internal> for $t {
            fn from(e: Internal) -> Self {
                Self::Common(e.into())
            }
        }
        into_response!($t);
    )+};
}

// === One error enum per operation ===

/// `GET /v1/blobs/{id}/metadata`.
#[derive(Debug, thiserror::Error)]
pub enum RetrieveMetadataError {
    /// Not stored here, or the blob is not registered (expired, deleted, invalid, unknown).
    #[error("the requested metadata is unavailable")]
    Unavailable,
    /// A bad path, query or body, or an internal error.
    #[error(transparent)]
    Common(Common),
}

impl RestApiError for RetrieveMetadataError {
    fn class(&self) -> Class<'_> {
        match self {
            Self::Unavailable => Class::Own(ApiStatus::NotFound, "METADATA_NOT_FOUND"),
            Self::Common(e) => Class::Delegate(e),
        }
    }
}

/// `PUT /v1/blobs/{id}/metadata`.
#[derive(Debug, thiserror::Error)]
pub enum StoreMetadataError {
    /// No live registration of the blob is known (and the upload did not ask to be buffered).
    #[error("the blob has not been registered or has already expired")]
    NotCurrentlyRegistered,
    /// The pending-upload buffer is full.
    #[error("pending upload cache is saturated; retry once the node catches up: {0}")]
    CacheSaturated(String),
    /// The metadata do not verify against the blob ID.
    #[error("the provided metadata failed to verify: {0}")]
    InvalidMetadata(String),
    /// The blob was marked invalid on chain.
    #[error("the blob for this metadata is invalid")]
    InvalidBlob,
    /// A bad path, query or body, or an internal error.
    #[error(transparent)]
    Common(Common),
}

impl RestApiError for StoreMetadataError {
    fn class(&self) -> Class<'_> {
        use ApiStatus::*;
        match self {
            Self::NotCurrentlyRegistered => Class::Own(FailedPrecondition, "NOT_REGISTERED"),
            Self::CacheSaturated(_) => Class::Own(FailedPrecondition, "CACHE_SATURATED"),
            Self::InvalidMetadata(_) => Class::Own(InvalidArgument, "INVALID_METADATA"),
            Self::InvalidBlob => Class::Own(FailedPrecondition, "INVALID_BLOB"),
            Self::Common(e) => Class::Delegate(e),
        }
    }
}

/// `GET /v1/blobs/{id}/slivers/{pair}/{type}` and its `/status`.
#[derive(Debug, thiserror::Error)]
pub enum RetrieveSliverError {
    /// Not stored here, or the blob is not registered.
    #[error("the requested sliver is unavailable")]
    Unavailable,
    /// The pair index is not below the shard count.
    #[error("the requested sliver index is out of range: {0}")]
    SliverOutOfRange(#[from] IndexOutOfRange),
    /// This node has no data of the pair's shard (never owned it, or handed it over and
    /// removed it).
    #[error(transparent)]
    ShardNotAssigned(#[from] ShardNotAssigned),
    /// A bad path, query or body, or an internal error.
    #[error(transparent)]
    Common(Common),
}

impl RestApiError for RetrieveSliverError {
    fn class(&self) -> Class<'_> {
        match self {
            Self::Unavailable => Class::Own(ApiStatus::NotFound, "SLIVER_NOT_FOUND"),
            Self::SliverOutOfRange(e) => Class::Delegate(e),
            Self::ShardNotAssigned(e) => Class::Delegate(e),
            Self::Common(e) => Class::Delegate(e),
        }
    }
}

/// `PUT /v1/blobs/{id}/slivers/{pair}/{type}`.
#[derive(Debug, thiserror::Error)]
pub enum StoreSliverError {
    /// The pair index is not below the shard count.
    #[error("the requested sliver index is out of range: {0}")]
    SliverOutOfRange(#[from] IndexOutOfRange),
    /// No live registration of the blob is known (and the upload did not ask to be buffered),
    /// or the blob was marked invalid.
    #[error("the blob has not been registered or has already expired")]
    NotCurrentlyRegistered,
    /// The blob's metadata must be uploaded first.
    #[error("blob metadata is required but missing")]
    MissingMetadata,
    /// The sliver does not verify against the blob's metadata.
    #[error("the provided sliver is invalid: {0}")]
    InvalidSliver(String),
    /// The sliver's own index is not the one of the pair in the path.
    #[error(
        "sliver index {sliver_index} is inconsistent with sliver pair index {sliver_pair_index}"
    )]
    SliverIndexMismatch {
        /// The pair in the path.
        sliver_pair_index: u16,
        /// The index in the body.
        sliver_index: u16,
    },
    /// The pair's shard is not this node's.
    #[error(transparent)]
    ShardNotAssigned(#[from] ShardNotAssigned),
    /// The pending-upload buffer is full.
    #[error("pending upload cache is saturated; retry once the node catches up: {0}")]
    CacheSaturated(String),
    /// A bad path, query or body, or an internal error.
    #[error(transparent)]
    Common(Common),
}

impl RestApiError for StoreSliverError {
    fn class(&self) -> Class<'_> {
        use ApiStatus::*;
        match self {
            Self::NotCurrentlyRegistered => Class::Own(FailedPrecondition, "NOT_REGISTERED"),
            Self::MissingMetadata => Class::Own(FailedPrecondition, "METADATA_NOT_FOUND"),
            Self::InvalidSliver(_) => Class::Own(InvalidArgument, "INVALID_SLIVER"),
            Self::SliverIndexMismatch { .. } => {
                Class::Own(InvalidArgument, "SLIVER_INDEX_MISMATCH")
            }
            Self::CacheSaturated(_) => Class::Own(FailedPrecondition, "CACHE_SATURATED"),
            Self::SliverOutOfRange(e) => Class::Delegate(e),
            Self::ShardNotAssigned(e) => Class::Delegate(e),
            Self::Common(e) => Class::Delegate(e),
        }
    }
}

/// `GET /v1/blobs/{id}/confirmation/{permanent | deletable/{object}}`.
#[derive(Debug, thiserror::Error)]
pub enum ComputeStorageConfirmationError {
    /// No live registration of the asked persistence is known, or the blob was marked invalid.
    #[error("the blob has not been registered or has already expired")]
    NotCurrentlyRegistered,
    /// Metadata or slivers of the node's shards are not all stored yet.
    #[error("the required slivers are not all stored: {0}")]
    NotFullyStored(String),
    /// This node holds no shard in the current committee, so its signature would count for
    /// nothing. (The reference has no such check; same class as the other preconditions.)
    #[error("this node is not in the current committee")]
    NotInCommittee,
    /// A bad path, query or body, or an internal error.
    #[error(transparent)]
    Common(Common),
}

impl RestApiError for ComputeStorageConfirmationError {
    fn class(&self) -> Class<'_> {
        use ApiStatus::*;
        match self {
            Self::NotCurrentlyRegistered => Class::Own(FailedPrecondition, "NOT_REGISTERED"),
            Self::NotFullyStored(_) => Class::Own(FailedPrecondition, "MISSING_SLIVERS"),
            Self::NotInCommittee => Class::Own(FailedPrecondition, "NOT_IN_COMMITTEE"),
            Self::Common(e) => Class::Delegate(e),
        }
    }
}

/// `GET /v1/blobs/{id}/recoverySymbols?targetSliver=&targetType=`.
#[derive(Debug, thiserror::Error)]
pub enum ListSymbolsError {
    /// The filter is missing or malformed.
    #[error("the filter is invalid: {0}")]
    InvalidFilter(String),
    /// The target sliver is not below the shard count.
    #[error("the requested recovery symbol is out of range: {0}")]
    RecoverySymbolOutOfRange(IndexOutOfRange),
    /// The blob is not registered here.
    #[error("the sliver from which to extract the recovery symbol could not be retrieved: {0}")]
    RetrieveSliver(#[from] RetrieveSliverError),
    /// A bad path, query or body, or an internal error.
    #[error(transparent)]
    Common(Common),
}

impl RestApiError for ListSymbolsError {
    fn class(&self) -> Class<'_> {
        use ApiStatus::*;
        match self {
            Self::InvalidFilter(_) => Class::Own(InvalidArgument, "INVALID_FILTER"),
            Self::RecoverySymbolOutOfRange(_) => {
                Class::Own(InvalidArgument, "RECOVERY_SYMBOL_OUT_OF_RANGE")
            }
            Self::RetrieveSliver(e) => Class::Delegate(e),
            Self::Common(e) => Class::Delegate(e),
        }
    }
}

/// `POST /v1/blobs/{id}/inconsistencyProof/{type}`.
#[derive(Debug, thiserror::Error)]
pub enum InconsistencyProofError {
    /// The blob's metadata are not stored here (or it is not registered).
    #[error("blob metadata is required but missing")]
    MissingMetadata,
    /// The proof does not show an inconsistency.
    #[error("the inconsistency proof is invalid: {0}")]
    InvalidProof(String),
    /// A bad path, query or body, or an internal error.
    #[error(transparent)]
    Common(Common),
}

impl RestApiError for InconsistencyProofError {
    fn class(&self) -> Class<'_> {
        use ApiStatus::*;
        match self {
            Self::MissingMetadata => Class::Own(FailedPrecondition, "METADATA_NOT_FOUND"),
            Self::InvalidProof(_) => Class::Own(InvalidArgument, "INVALID_PROOF"),
            Self::Common(e) => Class::Delegate(e),
        }
    }
}

/// `POST /v1/migrate/sync_shard`.
#[derive(Debug, thiserror::Error)]
pub enum SyncShardServiceError {
    /// The `Authorization` header is missing or is not a BLS public key. (The reference
    /// answers this with a plain-text 401 or 400.)
    #[error("{0}")]
    Unauthenticated(String),
    /// The requester is not the shard's owner in the current committee.
    #[error(
        "the client is not authorized to perform the sync shard operation as it is not the \
         owner of shard {shard} in the current committee (epoch {epoch})"
    )]
    Unauthorized {
        /// The shard asked for.
        shard: u16,
        /// This node's epoch.
        epoch: u32,
    },
    /// The page size is zero or above this node's limit.
    #[error("the requested sliver count {requested} is not between 1 and the limit of {limit}")]
    RequestedSliverCountExceedsLimit {
        /// What was asked.
        requested: u64,
        /// The limit.
        limit: u64,
    },
    /// The signed request does not decode or its signature is not by the header's key.
    #[error("verification of the request to start the sync failed: {0}")]
    MessageVerification(String),
    /// The shard index is not below the shard count.
    #[error(transparent)]
    ShardOutOfRange(#[from] IndexOutOfRange),
    /// This node did not own the shard in the previous epoch.
    #[error(transparent)]
    ShardNotAssigned(#[from] ShardNotAssigned),
    /// The request is for another epoch than this node's.
    #[error("the request's epoch ({request_epoch}) is invalid, server epoch {server_epoch}")]
    InvalidEpoch {
        /// The epoch of the request.
        request_epoch: u32,
        /// This node's epoch.
        server_epoch: u32,
    },
    /// This node has not read the previous committee yet.
    #[error("the service is currently unavailable: the previous committee is not read yet")]
    NotReady(Unavailable),
    /// A bad path, query or body, or an internal error.
    #[error(transparent)]
    Common(Common),
}

impl RestApiError for SyncShardServiceError {
    fn class(&self) -> Class<'_> {
        use ApiStatus::*;
        match self {
            Self::Unauthenticated(_) => Class::Own(Unauthenticated, "INVALID_AUTHORIZATION"),
            Self::Unauthorized { .. } => Class::Own(PermissionDenied, "REQUEST_UNAUTHORIZED"),
            Self::RequestedSliverCountExceedsLimit { .. } => {
                Class::Own(InvalidArgument, "SLIVER_COUNT_EXCEEDS_LIMIT")
            }
            Self::MessageVerification(_) => {
                Class::Own(InvalidArgument, "MESSAGE_VERIFICATION_FAILED")
            }
            Self::InvalidEpoch { .. } => Class::Own(InvalidArgument, "INVALID_EPOCH"),
            Self::NotReady(e) => Class::Delegate(e),
            Self::ShardOutOfRange(e) => Class::Delegate(e),
            Self::ShardNotAssigned(e) => Class::Delegate(e),
            Self::Common(e) => Class::Delegate(e),
        }
    }
    fn metadata(&self) -> Map<String, Value> {
        match self {
            Self::InvalidEpoch {
                request_epoch,
                server_epoch,
            } => [
                ("request_epoch".to_owned(), Value::from(*request_epoch)),
                ("server_epoch".to_owned(), Value::from(*server_epoch)),
            ]
            .into_iter()
            .collect(),
            _ => Map::new(),
        }
    }
}

from_common!(
    RetrieveMetadataError,
    StoreMetadataError,
    RetrieveSliverError,
    StoreSliverError,
    ComputeStorageConfirmationError,
    ListSymbolsError,
    InconsistencyProofError,
    SyncShardServiceError,
);

/// The throttle's and the router's own errors.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The client has too many requests in flight.
    #[error("client {client} already has {limit} requests in flight")]
    TooManyRequests {
        /// The client's IP address.
        client: std::net::IpAddr,
        /// The per-client limit.
        limit: usize,
    },
    /// No route matches.
    #[error("no such route")]
    NoSuchRoute,
}

impl RestApiError for ServiceError {
    fn class(&self) -> Class<'_> {
        match self {
            Self::TooManyRequests { .. } => {
                Class::Own(ApiStatus::ResourceExhausted, "TOO_MANY_CONCURRENT_REQUESTS")
            }
            Self::NoSuchRoute => Class::Own(ApiStatus::NotFound, "NO_SUCH_ROUTE"),
        }
    }
}

into_response!(ServiceError);
