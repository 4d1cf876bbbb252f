//! `walrus-node`: the Walrus storage node.
//!
//! It holds the slivers of the shards its node owns in the current committee, serves them over
//! the REST API of [`walrus_node_api`], and signs storage confirmations with its BLS key.
//!
//! - [`config`]: the TOML configuration and its defaults;
//! - [`storage`]: the sliver store (metadata files, and an append-only log per shard from
//!   [`segments`]; durable before acknowledged);
//! - [`blob_info`]: per-blob-ID and per-object info from the chain's events, with the stream
//!   cursor and what changed since it was last persisted;
//! - [`event_store`]: its persisted form (snapshot + journal of the entries each page changed);
//! - [`server`]: routes, typed path and query extractors, checks on every write, limits,
//!   `/metrics`;
//! - [`errors`]: one error enum per operation with the reference's status, reason and domain;
//! - [`recovery`]: background recovery of missing slivers after certification;
//! - [`sync`]: shard sync at epoch change (`POST /v1/migrate/sync_shard`, both sides);
//! - [`node`]: wiring it together ([`node::start`]).

pub mod blob_info;
pub mod config;
pub mod errors;
pub mod event_store;
pub mod node;
pub mod operator;
pub mod pending;
pub mod recovery;
pub mod segments;
pub mod server;
pub mod state;
pub mod storage;
pub mod sync;

pub use config::NodeConfig;
pub use node::{RunningNode, start, start_on};
