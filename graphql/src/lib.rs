//! walrus-graphql: a read-only GraphQL API over the walrus-indexer's PostgreSQL tables, and the
//! staking dashboard page. Run it as `walrus graphql --database-url postgres://…`, or embed
//! [`server::router`].
//!
//! - Consistency: every request reads one snapshot (a REPEATABLE READ, READ ONLY transaction)
//!   at the indexer's watermark ([`db`]); the response says which (`extensions.watermark`, and
//!   the `watermark` field). Cursors carry the watermark of their listing's first page, and
//!   later pages leave out rows created after it, so paging is stable while the indexer
//!   writes ([`cursor`]).
//! - Limits ([`limits`]): depth, complexity (page size × child cost), page size, request body
//!   size and a timeout; a rejected request is told which limit and by how much.
//! - No N+1: everything reached from a list goes through a per-request DataLoader
//!   ([`loaders`]); nested pages are one `LATERAL` query per list.
//!
//! Schema: [`blobs`], [`epochs`], [`staking`], [`network`]; root and HTTP in [`server`].

pub mod blobs;
pub mod cursor;
pub mod db;
pub mod epochs;
pub mod limits;
pub mod loaders;
pub mod network;
pub mod paging;
pub mod server;
pub mod staking;
pub mod synthetic;
pub mod types;

pub use db::{Snapshot, Watermark};
pub use limits::Limits;
pub use server::{
    AppState, ServerConfig, ServerError, WalrusSchema, default_max_connections, router, schema,
    serve,
};
