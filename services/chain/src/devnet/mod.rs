//! The embedded devnet ledger: a persisted, deterministic, single-writer ledger that runs the
//! Walrus state machine and serves it to the other processes.
pub mod client;
pub mod journal;
pub mod ledger;
pub mod objects;
pub mod server;
pub mod snapshot;
pub mod tx;
