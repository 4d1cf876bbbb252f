//! `network`: totals over the index (blobs, bytes, capacity, stake, nodes, shards).
//!
//! The blob totals aggregate the `blobs` table with an index-only scan of `blobs_status_sizes`
//! (`migrations/0003_graphql.sql`); that is linear in the number of blob objects, so the result
//! is cached per watermark in the server (one computation per indexer commit, whatever the
//! request rate).

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};
use sqlx::Row as _;
use tokio::sync::Mutex;

use crate::paging;
use crate::types::BigInt;

/// Totals of the network at one watermark.
#[derive(Debug, Clone, SimpleObject)]
pub struct Network {
    /// The watermark's epoch.
    pub epoch: i32,
    /// Blob objects ever registered.
    pub blob_objects: BigInt,
    /// Blob objects registered or certified (not expired, deleted, burned or invalid).
    pub live_blob_objects: BigInt,
    /// Certified live blob objects.
    pub certified_blob_objects: BigInt,
    /// Unencoded bytes of the certified live blob objects.
    pub bytes_stored: BigInt,
    /// Encoded bytes reserved by the live blob objects.
    pub encoded_bytes: BigInt,
    /// Total capacity of the epoch (encoded bytes, from the System state).
    pub total_capacity: Option<BigInt>,
    /// Capacity reserved for the epoch (encoded bytes, from the System state).
    pub used_capacity: Option<BigInt>,
    /// Stake of all pools (FROST).
    pub total_stake: BigInt,
    /// Stake of the committee's pools (FROST).
    pub committee_stake: BigInt,
    /// Storage nodes (pools).
    pub nodes: i32,
    /// Nodes in the current committee.
    pub committee_size: i32,
    /// Shards.
    pub shards: Option<i32>,
}

/// The per-watermark cache of `network`.
#[derive(Debug, Default)]
pub struct NetworkCache(Mutex<Option<(i64, Network)>>);

/// Root field `network`.
#[derive(Debug, Default)]
pub struct NetworkQuery;

fn big(row: &sqlx::postgres::PgRow, c: &str) -> async_graphql::Result<BigInt> {
    let text: String = row.try_get(c)?;
    Ok(BigInt(text.parse().map_err(|_| format!("{c}: {text:?}"))?))
}

#[Object]
impl NetworkQuery {
    /// Totals over the index at the watermark.
    async fn network(&self, ctx: &Context<'_>) -> async_graphql::Result<Network> {
        let snapshot = paging::snapshot(ctx)?;
        let w = snapshot.watermark().await?;
        let cache = ctx.data::<Arc<NetworkCache>>()?;
        if let Some((at, n)) = cache.0.lock().await.as_ref()
            && *at == w.cursor
        {
            return Ok(n.clone());
        }
        let blobs = snapshot
            .fetch_optional(sqlx::query(
                "SELECT count(*)::text AS total, \
                 count(*) FILTER (WHERE status IN ('registered', 'certified'))::text AS live, \
                 count(*) FILTER (WHERE status = 'certified')::text AS certified, \
                 COALESCE(sum(size) FILTER (WHERE status = 'certified'), 0)::text AS bytes, \
                 COALESCE(sum(storage_size) FILTER (WHERE status IN ('registered', 'certified')), 0)::text AS encoded \
                 FROM blobs",
            ))
            .await?
            .ok_or("no blob totals")?;
        let pools = snapshot
            .fetch_optional(sqlx::query(
                "SELECT count(*)::int AS nodes, count(*) FILTER (WHERE state = 'committee')::int AS committee, \
                 COALESCE(sum(wal_balance), 0)::text AS stake, \
                 COALESCE(sum(wal_balance) FILTER (WHERE state = 'committee'), 0)::text AS committee_stake \
                 FROM pools",
            ))
            .await?
            .ok_or("no pool totals")?;
        let epoch = paging::loaders(ctx)?.epochs.load_one(w.epoch).await?;
        let network = Network {
            epoch: w.epoch,
            blob_objects: big(&blobs, "total")?,
            live_blob_objects: big(&blobs, "live")?,
            certified_blob_objects: big(&blobs, "certified")?,
            bytes_stored: big(&blobs, "bytes")?,
            encoded_bytes: big(&blobs, "encoded")?,
            total_capacity: epoch.as_ref().and_then(|e| e.total_capacity()).map(BigInt),
            used_capacity: epoch.as_ref().and_then(|e| e.used_capacity()).map(BigInt),
            total_stake: big(&pools, "stake")?,
            committee_stake: big(&pools, "committee_stake")?,
            nodes: pools.try_get("nodes")?,
            committee_size: pools.try_get("committee")?,
            shards: epoch.as_ref().and_then(|e| e.n_shards()),
        };
        *cache.0.lock().await = Some((w.cursor, network.clone()));
        Ok(network)
    }
}
