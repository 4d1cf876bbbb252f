//! Prometheus metrics of the publisher / aggregator, served in the text exposition format at
//! `/metrics` on `--metrics-address` (a separate listener, so the public port never exposes
//! them).
//!
//! | metric | type | labels | meaning |
//! |---|---|---|---|
//! | `walrus_daemon_requests_total` | counter | `route`, `method`, `status` | requests answered |
//! | `walrus_daemon_request_duration_seconds` | histogram | `route`, `method` | time to the response head (a streamed body may still be flowing) |
//! | `walrus_daemon_requests_shed_total` | counter | `kind` (`reads`, `writes`) | requests refused with 429 at the concurrency limit |
//! | `walrus_daemon_in_flight` | gauge | `kind` | reads / stores being served |
//! | `walrus_daemon_sliver_bytes_fetched_total` | counter | | verified sliver bytes fetched from storage nodes for reads |
//! | `walrus_daemon_whole_blob_decodes_total` | counter | | reads that decoded a whole blob (full reads, and range reads that fell back) |
//! | `walrus_daemon_stored_bytes_total` | counter | | blob bytes stored by the publisher |
//!
//! `route` is the route's pattern (`/v1/blobs/{blob_id}`), never the request path, so the
//! number of series stays bounded whatever clients send.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{
    Encoder as _, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// Every metric of one daemon.
#[derive(Debug, Clone)]
pub struct DaemonMetrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    shed: IntCounterVec,
    in_flight: IntGaugeVec,
    /// Verified sliver bytes fetched for reads.
    pub sliver_bytes: IntCounter,
    /// Reads that decoded a whole blob.
    pub whole_decodes: IntCounter,
    /// Blob bytes stored.
    pub stored_bytes: IntCounter,
}

impl DaemonMetrics {
    /// A fresh set of metrics in its own registry.
    pub fn new() -> Self {
        // The names and label sets below are constants, so registration cannot fail except
        // on a programming error; such a metric is left out instead of taking the daemon down.
        let registry = Registry::new();
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            let metric = IntCounterVec::new(Opts::new(name, help), labels)
                .unwrap_or_else(|e| unreachable!("metric {name}: {e}"));
            let _ = registry.register(Box::new(metric.clone()));
            metric
        };
        let counter = |name: &str, help: &str| {
            let metric =
                IntCounter::new(name, help).unwrap_or_else(|e| unreachable!("metric {name}: {e}"));
            let _ = registry.register(Box::new(metric.clone()));
            metric
        };
        let requests = counter_vec(
            "walrus_daemon_requests_total",
            "requests answered",
            &["route", "method", "status"],
        );
        let shed = counter_vec(
            "walrus_daemon_requests_shed_total",
            "requests refused with 429 at the concurrency limit",
            &["kind"],
        );
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "walrus_daemon_request_duration_seconds",
                "time to the response head",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
            ]),
            &["route", "method"],
        )
        .unwrap_or_else(|e| unreachable!("duration histogram: {e}"));
        let _ = registry.register(Box::new(duration.clone()));
        let in_flight = IntGaugeVec::new(
            Opts::new("walrus_daemon_in_flight", "reads / stores being served"),
            &["kind"],
        )
        .unwrap_or_else(|e| unreachable!("in-flight gauge: {e}"));
        let _ = registry.register(Box::new(in_flight.clone()));
        Self {
            requests,
            duration,
            shed,
            in_flight,
            sliver_bytes: counter(
                "walrus_daemon_sliver_bytes_fetched_total",
                "verified sliver bytes fetched from storage nodes for reads",
            ),
            whole_decodes: counter(
                "walrus_daemon_whole_blob_decodes_total",
                "reads that decoded a whole blob",
            ),
            stored_bytes: counter(
                "walrus_daemon_stored_bytes_total",
                "blob bytes stored by the publisher",
            ),
            registry,
        }
    }

    /// Counts a request refused at the concurrency limit of `kind` (`reads`, `writes`).
    pub fn shed(&self, kind: &str) {
        self.shed.with_label_values(&[kind]).inc();
    }

    /// Counts one `kind` request (`reads`, `writes`) as being served until the result drops.
    pub fn in_flight(&self, kind: &str) -> InFlight {
        let gauge = self.in_flight.with_label_values(&[kind]);
        gauge.inc();
        InFlight(gauge)
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!(error = %e, "rendering metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// One request being served ([`DaemonMetrics::in_flight`]).
#[derive(Debug)]
pub struct InFlight(prometheus::IntGauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Default for DaemonMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Middleware: counts every request by route pattern, method and status, and times it.
pub async fn track(
    axum::extract::State(metrics): axum::extract::State<DaemonMetrics>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let start = Instant::now();
    let response = next.run(request).await;
    metrics
        .duration
        .with_label_values(&[route.as_str(), method.as_str()])
        .observe(start.elapsed().as_secs_f64());
    metrics
        .requests
        .with_label_values(&[route.as_str(), method.as_str(), response.status().as_str()])
        .inc();
    response
}
