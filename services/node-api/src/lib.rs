//! `walrus-node-api`: the storage node REST API as data types and an HTTP client.
//!
//! The routes and formats follow the reference (§7 of the Walrus reference): BCS bodies
//! (`application/octet-stream`) for metadata, slivers, recovery symbols and inconsistency
//! proofs; JSON envelopes for everything else:
//! - success: `{"success": {"code": <http code>, "data": <T>}}`;
//! - error (AIP-193): `{"error": {"code", "message", "status", "details": [{"@type":
//!   "ErrorInfo", "reason", "domain", "metadata"}]}}`.
//!
//! [`routes`] builds the paths, [`types`] holds the JSON types and [`client::NodeClient`]
//! talks to one node.

pub mod client;
pub mod routes;
pub mod types;

pub use client::{NodeApiError, NodeClient};
pub use types::*;
