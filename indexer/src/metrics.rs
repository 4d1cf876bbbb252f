//! Prometheus metrics of the indexer, rendered in the text exposition format at `/metrics`.
//!
//! | metric | type | meaning |
//! |---|---|---|
//! | `walrus_indexer_watermark` | gauge | last committed cursor |
//! | `walrus_indexer_chain_head` | gauge | newest cursor the source reported |
//! | `walrus_indexer_lag_transactions` | gauge | head − watermark |
//! | `walrus_indexer_lag_seconds` | gauge | now − ledger time of the watermark transaction (0 when caught up) |
//! | `walrus_indexer_epoch` | gauge | Walrus epoch at the watermark |
//! | `walrus_indexer_transactions_total` | counter | transactions committed |
//! | `walrus_indexer_events_total` | counter | events committed |
//! | `walrus_indexer_rows_total` | counter | rows written (all tables) |
//! | `walrus_indexer_rows_per_second` | gauge | rows written per second over the last 10 s |
//! | `walrus_indexer_batches_total` | counter | batches committed |
//! | `walrus_indexer_commit_retries_total` | counter | commits retried after a database error |
//! | `walrus_indexer_source_retries_total` | counter | reads retried after a source error |
//! | `walrus_indexer_event_decode_failures_total` | counter | events of a known type whose BCS does not decode (stored raw) |
//! | `walrus_indexer_unknown_events_total` | counter | events of an unknown type (stored raw) |
//! | `walrus_indexer_object_decode_failures_total` | counter | object changes of an indexed type that do not decode |
//! | `walrus_indexer_orphan_changes_total` | counter | changes the indexer could not attach (unknown parent, unexpected deletion) |
//! | `walrus_indexer_clamped_values_total` | counter | u64 values above i64::MAX stored as i64::MAX in BIGINT columns |
//! | `walrus_indexer_build_seconds_total` | counter | time spent applying transactions and building batches |
//! | `walrus_indexer_commit_seconds_total` | counter | time spent in successful commits |

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A monotonically increasing value.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.add(1);
    }
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// The value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Debug, Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
    /// Sets it.
    pub fn set(&self, v: u64) {
        self.0.store(v, Ordering::Relaxed);
    }
    /// The value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Every metric of one indexer.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Last committed cursor.
    pub watermark: Gauge,
    /// Newest cursor of the source.
    pub chain_head: Gauge,
    /// Ledger time (ms) of the watermark transaction.
    pub watermark_timestamp_ms: Gauge,
    /// Epoch at the watermark.
    pub epoch: Gauge,
    /// Transactions committed.
    pub transactions: Counter,
    /// Events committed.
    pub events: Counter,
    /// Rows written.
    pub rows: Counter,
    /// Batches committed.
    pub batches: Counter,
    /// Commit retries.
    pub commit_retries: Counter,
    /// Source retries.
    pub source_retries: Counter,
    /// Events of a known type that do not decode.
    pub event_decode_failures: Counter,
    /// Events of an unknown type.
    pub unknown_events: Counter,
    /// Object changes that do not decode.
    pub object_decode_failures: Counter,
    /// Changes without a known parent.
    pub orphan_changes: Counter,
    /// Values clamped into BIGINT.
    pub clamped_values: Counter,
    /// Microseconds spent building batches.
    pub build_micros: Counter,
    /// Microseconds spent in successful commits of the state pipeline (waiting for the append
    /// pipeline included).
    pub commit_micros: Counter,
    /// Microseconds spent in successful commits of the append pipeline (transactions, events).
    pub append_commit_micros: Counter,
    rate_window: Mutex<VecDeque<(Instant, u64)>>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Metrics {
    /// Records a committed batch.
    pub fn committed(
        &self,
        cursor: u64,
        timestamp_ms: u64,
        epoch: u32,
        txs: usize,
        events: usize,
        rows: usize,
    ) {
        self.watermark.set(cursor);
        self.watermark_timestamp_ms.set(timestamp_ms);
        self.epoch.set(u64::from(epoch));
        self.transactions.add(txs as u64);
        self.events.add(events as u64);
        self.rows.add(rows as u64);
        self.batches.inc();
        if self.chain_head.get() < cursor {
            self.chain_head.set(cursor);
        }
        let mut window = self.rate_window.lock().unwrap_or_else(|p| p.into_inner());
        window.push_back((Instant::now(), self.rows.get()));
        while window.len() > 2
            && window
                .front()
                .is_some_and(|(t, _)| t.elapsed().as_secs_f64() > 10.0)
        {
            window.pop_front();
        }
    }

    /// Rows per second over the last 10 s.
    pub fn rows_per_second(&self) -> f64 {
        let window = self.rate_window.lock().unwrap_or_else(|p| p.into_inner());
        match (window.front(), window.back()) {
            (Some((t0, r0)), Some((t1, r1))) if t1 > t0 => {
                (r1 - r0) as f64 / t1.duration_since(*t0).as_secs_f64()
            }
            _ => 0.0,
        }
    }

    /// Transactions the indexer is behind the source.
    pub fn lag_transactions(&self) -> u64 {
        self.chain_head.get().saturating_sub(self.watermark.get())
    }

    /// Seconds between now and the ledger time of the watermark transaction, 0 when caught up.
    pub fn lag_seconds(&self) -> f64 {
        if self.lag_transactions() == 0 {
            return 0.0;
        }
        now_ms().saturating_sub(self.watermark_timestamp_ms.get()) as f64 / 1000.0
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {value}");
        };
        metric(
            "walrus_indexer_watermark",
            "gauge",
            "Last committed cursor.",
            self.watermark.get().to_string(),
        );
        metric(
            "walrus_indexer_chain_head",
            "gauge",
            "Newest cursor of the source.",
            self.chain_head.get().to_string(),
        );
        metric(
            "walrus_indexer_lag_transactions",
            "gauge",
            "Transactions between the watermark and the source head.",
            self.lag_transactions().to_string(),
        );
        metric(
            "walrus_indexer_lag_seconds",
            "gauge",
            "Age of the watermark transaction while behind (0 when caught up).",
            format!("{:.3}", self.lag_seconds()),
        );
        metric(
            "walrus_indexer_epoch",
            "gauge",
            "Walrus epoch at the watermark.",
            self.epoch.get().to_string(),
        );
        metric(
            "walrus_indexer_transactions_total",
            "counter",
            "Transactions committed.",
            self.transactions.get().to_string(),
        );
        metric(
            "walrus_indexer_events_total",
            "counter",
            "Events committed.",
            self.events.get().to_string(),
        );
        metric(
            "walrus_indexer_rows_total",
            "counter",
            "Rows written.",
            self.rows.get().to_string(),
        );
        metric(
            "walrus_indexer_rows_per_second",
            "gauge",
            "Rows written per second over the last 10 s.",
            format!("{:.1}", self.rows_per_second()),
        );
        metric(
            "walrus_indexer_batches_total",
            "counter",
            "Batches committed.",
            self.batches.get().to_string(),
        );
        metric(
            "walrus_indexer_commit_retries_total",
            "counter",
            "Commits retried after a database error.",
            self.commit_retries.get().to_string(),
        );
        metric(
            "walrus_indexer_source_retries_total",
            "counter",
            "Reads retried after a source error.",
            self.source_retries.get().to_string(),
        );
        metric(
            "walrus_indexer_event_decode_failures_total",
            "counter",
            "Events of a known type whose BCS does not decode (stored raw).",
            self.event_decode_failures.get().to_string(),
        );
        metric(
            "walrus_indexer_unknown_events_total",
            "counter",
            "Events of an unknown type (stored raw).",
            self.unknown_events.get().to_string(),
        );
        metric(
            "walrus_indexer_object_decode_failures_total",
            "counter",
            "Object changes of an indexed type that do not decode.",
            self.object_decode_failures.get().to_string(),
        );
        metric(
            "walrus_indexer_orphan_changes_total",
            "counter",
            "Changes without a known parent or unexpected deletions.",
            self.orphan_changes.get().to_string(),
        );
        metric(
            "walrus_indexer_clamped_values_total",
            "counter",
            "u64 values above i64::MAX stored as i64::MAX.",
            self.clamped_values.get().to_string(),
        );
        metric(
            "walrus_indexer_build_seconds_total",
            "counter",
            "Time spent applying transactions and building batches.",
            format!("{:.3}", self.build_micros.get() as f64 / 1e6),
        );
        metric(
            "walrus_indexer_commit_seconds_total",
            "counter",
            "Time spent in successful commits of the state tables (waiting for the append pipeline included).",
            format!("{:.3}", self.commit_micros.get() as f64 / 1e6),
        );
        metric(
            "walrus_indexer_append_commit_seconds_total",
            "counter",
            "Time spent in successful commits of the append-only tables (transactions, events).",
            format!("{:.3}", self.append_commit_micros.get() as f64 / 1e6),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_metric_once() {
        let m = Metrics::default();
        m.chain_head.set(10);
        m.committed(7, 1, 2, 7, 3, 20);
        let text = m.render();
        assert!(text.contains("walrus_indexer_watermark 7\n"), "{text}");
        assert!(
            text.contains("walrus_indexer_lag_transactions 3\n"),
            "{text}"
        );
        assert!(text.contains("walrus_indexer_rows_total 20\n"), "{text}");
        assert_eq!(text.matches("# TYPE").count(), 20);
    }
}
