//! Query limits: what they are ([`Limits`], published as `serviceConfig`), and the validation
//! extension that rejects a query over the depth or complexity limit with a message naming the
//! limit and the excess. Page sizes are checked where pages are read (`cursor::Page`), the
//! request body size and the timeout in the HTTP handler (`server`).

use std::sync::Arc;
use std::time::Duration;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, SimpleObject, ValidationResult};

/// The page size the complexity of a connection assumes when neither `first` nor `last` is
/// given (equal to the default [`Limits::default_page_size`]).
pub const COMPLEXITY_DEFAULT_PAGE: usize = 20;

/// The limits of the API. Every field has a default ([`Limits::default`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of selections (default 12).
    pub max_query_depth: usize,
    /// Largest query complexity (default 10_000): each field costs 1, a connection costs its
    /// page size (`first`/`last`, else 20) times the cost of its nodes.
    pub max_query_complexity: usize,
    /// Page size when neither `first` nor `last` is given (default 20).
    pub default_page_size: usize,
    /// Largest `first`/`last` (default 100).
    pub max_page_size: usize,
    /// Largest request body, bytes (default 64 KiB).
    pub max_request_bytes: usize,
    /// Longest a request may run, database time and the wait for an execution slot included
    /// (default 5 s).
    pub request_timeout: Duration,
    /// Requests executed at once (default 8); more wait, first come first served, for a slot.
    /// A few requests at a time finish sooner than all of them at once on few cores: the
    /// queue, not the scheduler, orders them, so latency grows with the queue instead of
    /// scattering (see the README's benchmark).
    pub max_concurrent_requests: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_query_depth: 12,
            max_query_complexity: 10_000,
            default_page_size: COMPLEXITY_DEFAULT_PAGE,
            max_page_size: 100,
            max_request_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(5),
            max_concurrent_requests: 8,
        }
    }
}

/// `serviceConfig`: the limits, as clients see them.
#[derive(Debug, SimpleObject)]
pub struct ServiceConfig {
    /// Deepest nesting of selections.
    pub max_query_depth: i32,
    /// Largest query complexity (page size times child cost, summed).
    pub max_query_complexity: i32,
    /// Page size when neither `first` nor `last` is given.
    pub default_page_size: i32,
    /// Largest `first`/`last`.
    pub max_page_size: i32,
    /// Largest request body in bytes.
    pub max_request_bytes: i32,
    /// Longest a request may run, in milliseconds.
    pub request_timeout_ms: i32,
    /// Requests executed at once (more wait for a slot).
    pub max_concurrent_requests: i32,
}

fn int(v: usize) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

impl From<&Limits> for ServiceConfig {
    fn from(l: &Limits) -> Self {
        Self {
            max_query_depth: int(l.max_query_depth),
            max_query_complexity: int(l.max_query_complexity),
            default_page_size: int(l.default_page_size),
            max_page_size: int(l.max_page_size),
            max_request_bytes: int(l.max_request_bytes),
            request_timeout_ms: i32::try_from(l.request_timeout.as_millis()).unwrap_or(i32::MAX),
            max_concurrent_requests: int(l.max_concurrent_requests),
        }
    }
}

/// The extension that enforces depth and complexity after validation.
#[derive(Debug, Clone)]
pub struct LimitsExtension(pub Arc<Limits>);

impl ExtensionFactory for LimitsExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(self.clone())
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let mut errors = Vec::new();
        if result.depth > self.0.max_query_depth {
            errors.push(ServerError::new(
                format!(
                    "query depth limit: depth {} exceeds the maximum {} by {}",
                    result.depth,
                    self.0.max_query_depth,
                    result.depth - self.0.max_query_depth
                ),
                None,
            ));
        }
        if result.complexity > self.0.max_query_complexity {
            errors.push(ServerError::new(
                format!(
                    "query complexity limit: complexity {} exceeds the maximum {} by {} \
                     (a connection costs its page size times the cost of its nodes; ask for \
                     smaller pages or fewer fields)",
                    result.complexity,
                    self.0.max_query_complexity,
                    result.complexity - self.0.max_query_complexity
                ),
                None,
            ));
        }
        if errors.is_empty() {
            Ok(result)
        } else {
            Err(errors)
        }
    }
}

/// The cost of a connection field: its page size (`first`/`last`, else the default) times the
/// cost of one node, plus one for the field itself.
pub fn connection_cost(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let page = first
        .or(last)
        .map_or(COMPLEXITY_DEFAULT_PAGE, |n| usize::try_from(n).unwrap_or(0));
    page.saturating_mul(child).saturating_add(1)
}
