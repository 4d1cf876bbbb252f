//! The HTTP side: `POST /graphql` (JSON), `GET /graphql` (a query in the query string, or
//! GraphiQL without one), `GET /health`, `GET /dashboard`. Each GraphQL request gets its own
//! [`Snapshot`] and [`Loaders`], runs under the request timeout, and its response carries the
//! watermark it was served at in `extensions.watermark`.

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::http::GraphiQLSource;
use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Object, Schema, SimpleObject};
use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::blobs::BlobQuery;
use crate::db::{DEFAULT_PIPELINE, Snapshot, Watermark};
use crate::epochs::EpochQuery;
use crate::limits::{Limits, LimitsExtension, ServiceConfig};
use crate::loaders::Loaders;
use crate::network::{NetworkCache, NetworkQuery};
use crate::paging;
use crate::staking::StakingQuery;
use crate::types::BigInt;

/// The header that asks for `extensions.usage` (database statements, complexity, depth).
pub const SHOW_USAGE_HEADER: &str = "x-walrus-show-usage";

/// `watermark`: the point of the stream a response reads at.
#[derive(Debug, SimpleObject)]
pub struct WatermarkInfo {
    /// The last transaction cursor whose effects the response includes.
    pub cursor: BigInt,
    /// The epoch after it.
    pub epoch: i32,
    /// Its ledger time (ms).
    pub timestamp_ms: BigInt,
}

impl From<Watermark> for WatermarkInfo {
    fn from(w: Watermark) -> Self {
        Self {
            cursor: BigInt::from(w.cursor),
            epoch: w.epoch,
            timestamp_ms: BigInt::from(w.timestamp_ms),
        }
    }
}

/// `serviceConfig` and `watermark`.
#[derive(Debug, Default)]
pub struct ServiceQuery;

#[Object]
impl ServiceQuery {
    /// The limits of this service.
    async fn service_config(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<ServiceConfig> {
        Ok(ServiceConfig::from(paging::limits(ctx)?.as_ref()))
    }

    /// The indexer watermark this response is served at.
    async fn watermark(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<WatermarkInfo> {
        Ok(paging::snapshot(ctx)?.watermark().await?.into())
    }
}

/// The query root.
#[derive(Debug, MergedObject, Default)]
pub struct Query(
    ServiceQuery,
    BlobQuery,
    EpochQuery,
    StakingQuery,
    NetworkQuery,
);

/// The schema type.
pub type WalrusSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// The schema with `limits`.
pub fn schema(limits: Arc<Limits>) -> WalrusSchema {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .extension(LimitsExtension(limits.clone()))
        .data(limits)
        .data(Arc::new(NetworkCache::default()))
        .finish()
}

/// Settings of a server. Every field but the URL has a default ([`ServerConfig::new`]).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// PostgreSQL URL of the index.
    pub database_url: String,
    /// The indexer pipeline whose watermark responses are served at (default `walrus`).
    pub pipeline: String,
    /// Database connections (default [`default_max_connections`]: two per core, at least 4).
    pub max_connections: u32,
    /// Query limits.
    pub limits: Limits,
}

impl ServerConfig {
    /// Defaults with `database_url`.
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            pipeline: DEFAULT_PIPELINE.into(),
            max_connections: default_max_connections(),
            limits: Limits::default(),
        }
    }
}

/// Two database connections per core of this machine, at least 4.
///
/// More connections than PostgreSQL can run at once only add backends that wait to be
/// scheduled. Measured with the load bench on 2 cores at a fixed 3,000 blob-by-id requests/s
/// (graphql/README.md, session 6): p99 4.5-15 ms with 4 connections against 24-59 ms with 16.
pub fn default_max_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    u32::try_from(cores.saturating_mul(2))
        .unwrap_or(u32::MAX)
        .max(4)
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The database URL does not parse.
    #[error("database URL: {0}")]
    DatabaseUrl(sqlx::Error),
    /// The address could not be bound.
    #[error("listening on {address}: {error}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        error: std::io::Error,
    },
    /// The server failed.
    #[error("server: {0}")]
    Serve(std::io::Error),
}

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    schema: WalrusSchema,
    pool: PgPool,
    pipeline: Arc<str>,
    limits: Arc<Limits>,
    /// Execution slots ([`Limits::max_concurrent_requests`]); tokio's semaphore is fair, so
    /// waiting requests run in arrival order.
    slots: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("pipeline", &self.pipeline)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over an existing pool.
    pub fn new(pool: PgPool, pipeline: &str, limits: Limits) -> Self {
        let slots = Arc::new(tokio::sync::Semaphore::new(
            limits.max_concurrent_requests.max(1),
        ));
        let limits = Arc::new(limits);
        Self {
            schema: schema(limits.clone()),
            pool,
            pipeline: pipeline.into(),
            limits,
            slots,
        }
    }

    /// State from a configuration (the pool connects lazily).
    pub fn from_config(config: &ServerConfig) -> Result<Self, ServerError> {
        let options: PgConnectOptions = config
            .database_url
            .parse()
            .map_err(ServerError::DatabaseUrl)?;
        // A request's first statement runs outside a transaction (see `Snapshot`): the
        // connection's own statement timeout limits it.
        let options = options.options([(
            "statement_timeout",
            config.limits.request_timeout.as_millis().max(1),
        )]);
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(config.limits.request_timeout)
            .connect_lazy_with(options);
        Ok(Self::new(pool, &config.pipeline, config.limits.clone()))
    }

    /// The schema.
    pub fn schema(&self) -> &WalrusSchema {
        &self.schema
    }

    /// Executes one request in its own snapshot, under the timeout; the response carries
    /// `extensions.watermark` (when the database was read) and, with `show_usage`,
    /// `extensions.usage` (`dbStatements`, and `retried` when the index moved under the
    /// request's first statement and the request ran again in a transaction: see [`Snapshot`]).
    pub async fn execute(
        &self,
        request: async_graphql::Request,
        show_usage: bool,
    ) -> async_graphql::Response {
        let timeout = self.limits.request_timeout;
        let retry = RetryParts::of(&request);
        let result = tokio::time::timeout(timeout, async {
            // The semaphore is never closed; a slot is held until the response is built.
            let _slot = self.slots.acquire().await.ok();
            let (response, snapshot) = self.execute_in(request, self.snapshot()).await;
            if !snapshot.moved() {
                return (response, snapshot, None);
            }
            let first = snapshot.query_count();
            let (response, snapshot) = self
                .execute_in(retry.request(), self.snapshot().transaction_first())
                .await;
            (response, snapshot, Some(first))
        })
        .await;
        let Ok((mut response, snapshot, retried)) = result else {
            return async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(
                format!(
                    "request timeout: the request ran longer than the limit of {} ms",
                    timeout.as_millis()
                ),
                None,
            )]);
        };
        if let Some(w) = snapshot.opened_at() {
            let mut watermark = async_graphql::indexmap::IndexMap::with_capacity(3);
            watermark.insert(
                async_graphql::Name::new("cursor"),
                async_graphql::Value::String(w.cursor.to_string()),
            );
            watermark.insert(async_graphql::Name::new("epoch"), w.epoch.into());
            watermark.insert(
                async_graphql::Name::new("timestampMs"),
                async_graphql::Value::String(w.timestamp_ms.to_string()),
            );
            response
                .extensions
                .insert("watermark".into(), async_graphql::Value::Object(watermark));
        }
        if show_usage {
            let statements = snapshot.query_count() + retried.unwrap_or(0);
            response.extensions.insert(
                "usage".into(),
                async_graphql::Value::from_json(serde_json::json!({
                    "dbStatements": statements,
                    "retried": retried.is_some(),
                }))
                .unwrap_or_default(),
            );
        }
        response
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot::new(
            self.pool.clone(),
            self.pipeline.as_ref(),
            self.limits.request_timeout,
        )
    }

    /// Runs `request` in `snapshot` (closed afterwards, also when the future is dropped:
    /// sqlx rolls back a dropped transaction).
    async fn execute_in(
        &self,
        request: async_graphql::Request,
        snapshot: Snapshot,
    ) -> (async_graphql::Response, Arc<Snapshot>) {
        let snapshot = Arc::new(snapshot);
        let loaders = Loaders::new(&snapshot);
        let request = request.data(snapshot.clone()).data(loaders);
        let response = self.schema.execute(request).await;
        snapshot.close().await;
        (response, snapshot)
    }
}

/// What it takes to run a request again (its data is added per run).
struct RetryParts {
    query: String,
    operation_name: Option<String>,
    variables: async_graphql::Variables,
    extensions: async_graphql::Extensions,
}

impl RetryParts {
    fn of(request: &async_graphql::Request) -> Self {
        Self {
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables: request.variables.clone(),
            extensions: request.extensions.clone(),
        }
    }

    fn request(self) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(self.query).variables(self.variables);
        request.operation_name = self.operation_name;
        request.extensions = self.extensions;
        request
    }
}

/// The router: `/graphql`, `/health`, `/dashboard`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/health", get(health))
        .route("/dashboard", get(dashboard))
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/dashboard") }),
        )
        .with_state(state)
}

fn json_response(status: StatusCode, response: &async_graphql::Response) -> Response {
    let body = serde_json::to_vec(response).unwrap_or_else(|_| b"{}".to_vec());
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn error_response(status: StatusCode, message: String) -> Response {
    json_response(
        status,
        &async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(message, None)]),
    )
}

fn show_usage(headers: &HeaderMap) -> bool {
    headers
        .get(SHOW_USAGE_HEADER)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"))
}

async fn graphql_post(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let max = state.limits.max_request_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(n) = declared
        && n > max
    {
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "request body size limit: {n} bytes exceeds the maximum {max} bytes by {}",
                n - max
            ),
        );
    }
    let bytes = match axum::body::to_bytes(body, max).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body size limit: the body exceeds the maximum {max} bytes"),
            );
        }
    };
    let request: async_graphql::Request = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                format!(
                    "the body is not a GraphQL request (JSON with \"query\", optional \"variables\" \
                     and \"operationName\"): {e}"
                ),
            );
        }
    };
    let response = state.execute(request, show_usage(&headers)).await;
    json_response(StatusCode::OK, &response)
}

async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Html(GraphiQLSource::build().endpoint("/graphql").finish()).into_response();
    };
    if query.len() > state.limits.max_request_bytes {
        let max = state.limits.max_request_bytes;
        return error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "request body size limit: a query string of {} bytes exceeds the maximum {max} bytes by {}",
                query.len(),
                query.len() - max
            ),
        );
    }
    match async_graphql::http::parse_query_string(&query) {
        Ok(request) => json_response(
            StatusCode::OK,
            &state.execute(request, show_usage(&headers)).await,
        ),
        Err(e) => error_response(StatusCode::BAD_REQUEST, format!("query string: {e}")),
    }
}

async fn health(State(state): State<AppState>) -> Response {
    let snapshot = Snapshot::new(
        state.pool.clone(),
        state.pipeline.as_ref(),
        state.limits.request_timeout,
    );
    let result = snapshot.watermark().await;
    snapshot.close().await;
    match result {
        Ok(w) => (
            StatusCode::OK,
            format!("ok watermark={} epoch={}\n", w.cursor, w.epoch),
        )
            .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("unavailable: {e}\n"),
        )
            .into_response(),
    }
}

/// The staking dashboard page (static; it calls `/graphql`).
pub const DASHBOARD_HTML: &str = include_str!("../static/dashboard.html");

async fn dashboard() -> Html<&'static str> {
    Html(DASHBOARD_HTML)
}

/// Serves `config` on `listen` until `shutdown` resolves.
pub async fn serve(
    config: ServerConfig,
    listen: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let state = AppState::from_config(&config)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| ServerError::Bind {
            address: listen,
            error,
        })?;
    tracing::info!(address = %listen, "GraphQL at /graphql, dashboard at /dashboard");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServerError::Serve)
}
