//! Epochs: `epoch(number)` (current when omitted), `epochs(...)`, `committee(epoch)`, with the
//! epoch-change timeline (committee selection at half the epoch, the next epoch at its end).

use async_graphql::connection::Connection;
use async_graphql::{Context, Object};
use sqlx::{Postgres, QueryBuilder};

use crate::cursor::{Cursor, SortValue};
use crate::loaders::{Bound, NestedKey, NestedSpec, RowSpec};
use crate::paging::{self, KeysetOrder, connection, int_key};
use crate::staking::StakingPool;
use crate::types::{BigInt, hex_id};

const EPOCH_SELECT: &str = "SELECT epoch, start_ms, change_done_ms, params_selected_ms, \
    storage_price::text AS storage_price, write_price::text AS write_price, \
    total_capacity::text AS total_capacity, used_capacity::text AS used_capacity, n_shards, \
    epoch_duration_ms, total_stake, rewards_total, commission_total, epoch_state FROM epochs";

/// An `epochs` row (NUMERIC columns as text).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EpochRow {
    epoch: i32,
    start_ms: Option<i64>,
    change_done_ms: Option<i64>,
    params_selected_ms: Option<i64>,
    storage_price: Option<String>,
    write_price: Option<String>,
    total_capacity: Option<String>,
    used_capacity: Option<String>,
    n_shards: Option<i32>,
    epoch_duration_ms: Option<i64>,
    total_stake: Option<i64>,
    rewards_total: Option<i64>,
    commission_total: Option<i64>,
    epoch_state: Option<String>,
}

fn numeric(v: &Option<String>) -> Option<i128> {
    v.as_deref().and_then(|s| s.parse().ok())
}

impl EpochRow {
    /// Storage price (FROST per MiB per epoch).
    pub fn storage_price_u128(&self) -> Option<i128> {
        numeric(&self.storage_price)
    }
    /// Write price (FROST per MiB).
    pub fn write_price_u128(&self) -> Option<i128> {
        numeric(&self.write_price)
    }
    /// Total capacity.
    pub fn total_capacity(&self) -> Option<i128> {
        numeric(&self.total_capacity)
    }
    /// Used capacity.
    pub fn used_capacity(&self) -> Option<i128> {
        numeric(&self.used_capacity)
    }
    /// Shards.
    pub fn n_shards(&self) -> Option<i32> {
        self.n_shards
    }
    /// Epoch duration.
    pub fn duration_ms(&self) -> Option<i64> {
        self.epoch_duration_ms
    }
}

/// Epochs by number.
pub static EPOCH_ROWS: RowSpec = RowSpec {
    select: EPOCH_SELECT,
    key: "epoch",
    key_array: "int[]",
};

/// A `committee_members` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    epoch: i32,
    node_id: Vec<u8>,
    shards: Vec<i32>,
    weight: i32,
    stake: Option<i64>,
}

/// An epoch's committee, by node id.
pub static COMMITTEE: NestedSpec = NestedSpec {
    table: "committee_members",
    columns: "epoch, node_id, shards, weight, stake",
    parent: "epoch",
    parent_array: "int[]",
    order: &["node_id"],
    stamp: None,
};

/// A committee member in an epoch.
#[derive(Debug, Clone)]
pub struct CommitteeMember(MemberRow);

#[Object]
impl CommitteeMember {
    /// The epoch.
    async fn epoch(&self) -> i32 {
        self.0.epoch
    }
    /// The node (= staking pool) id.
    async fn node_id(&self) -> String {
        hex_id(&self.0.node_id)
    }
    /// Shard indices it holds.
    async fn shards(&self) -> &[i32] {
        &self.0.shards
    }
    /// Number of shards.
    async fn weight(&self) -> i32 {
        self.0.weight
    }
    /// The pool's stake at the start of the epoch.
    async fn stake(&self) -> Option<BigInt> {
        self.0.stake.map(BigInt::from)
    }
    /// The staking pool.
    async fn pool(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<StakingPool>> {
        Ok(paging::loaders(ctx)?
            .pools
            .load_one(self.0.node_id.clone())
            .await?
            .map(StakingPool))
    }
}

/// The largest committee a `committee` field returns (members are at most the shard count).
const MAX_COMMITTEE: i64 = 1_000;

async fn committee_of(
    ctx: &Context<'_>,
    epoch: i32,
) -> async_graphql::Result<Vec<CommitteeMember>> {
    let watermark = paging::snapshot(ctx)?.watermark().await?.cursor;
    let page = paging::loaders(ctx)?
        .committee
        .load_one(NestedKey {
            parent: epoch,
            page: crate::loaders::PageShape {
                after: None,
                before: None,
                limit: MAX_COMMITTEE,
                backward: false,
                watermark,
            },
        })
        .await?;
    Ok(page
        .map(|p| p.rows.into_iter().map(CommitteeMember).collect())
        .unwrap_or_default())
}

/// An epoch.
#[derive(Debug, Clone)]
pub struct Epoch {
    row: EpochRow,
    current: i32,
}

#[Object]
impl Epoch {
    /// The epoch number.
    async fn epoch(&self) -> i32 {
        self.row.epoch
    }
    /// Whether this is the watermark's epoch.
    async fn is_current(&self) -> bool {
        self.row.epoch == self.current
    }
    /// `EpochChangeStart` time (ms).
    async fn start_ms(&self) -> Option<BigInt> {
        self.row.start_ms.map(BigInt::from)
    }
    /// `EpochChangeDone` time: a quorum of the committee synced its shards (ms).
    async fn change_done_ms(&self) -> Option<BigInt> {
        self.row.change_done_ms.map(BigInt::from)
    }
    /// Committee selection for the next epoch (`EpochParametersSelected`) if it happened (ms).
    async fn committee_selected_ms(&self) -> Option<BigInt> {
        self.row.params_selected_ms.map(BigInt::from)
    }
    /// When the next committee can be selected: half an epoch after the start (ms).
    async fn committee_selection_due_ms(&self) -> Option<BigInt> {
        Some(BigInt::from(
            self.row.start_ms? + self.row.epoch_duration_ms? / 2,
        ))
    }
    /// When the next epoch can start: one epoch after the start (ms).
    async fn next_epoch_due_ms(&self) -> Option<BigInt> {
        Some(BigInt::from(
            self.row.start_ms? + self.row.epoch_duration_ms?,
        ))
    }
    /// Epoch duration (ms).
    async fn duration_ms(&self) -> Option<BigInt> {
        self.row.epoch_duration_ms.map(BigInt::from)
    }
    /// Storage price (FROST per MiB of encoded size per epoch).
    async fn storage_price(&self) -> Option<BigInt> {
        self.row.storage_price_u128().map(BigInt)
    }
    /// Write price (FROST per MiB of encoded size).
    async fn write_price(&self) -> Option<BigInt> {
        self.row.write_price_u128().map(BigInt)
    }
    /// Total capacity (encoded bytes).
    async fn total_capacity(&self) -> Option<BigInt> {
        self.row.total_capacity().map(BigInt)
    }
    /// Capacity reserved for the epoch (encoded bytes).
    async fn used_capacity(&self) -> Option<BigInt> {
        self.row.used_capacity().map(BigInt)
    }
    /// Shards.
    async fn n_shards(&self) -> Option<i32> {
        self.row.n_shards
    }
    /// The committee's stake at the start.
    async fn total_stake(&self) -> Option<BigInt> {
        self.row.total_stake.map(BigInt::from)
    }
    /// FROST paid to pools for this epoch (known when it ended).
    async fn rewards_total(&self) -> Option<BigInt> {
        self.row.rewards_total.map(BigInt::from)
    }
    /// The commission part of the rewards.
    async fn commission_total(&self) -> Option<BigInt> {
        self.row.commission_total.map(BigInt::from)
    }
    /// Staking state: sync | done | params_selected.
    async fn state(&self) -> Option<&str> {
        self.row.epoch_state.as_deref()
    }
    /// The committee, by node id.
    async fn committee(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CommitteeMember>> {
        committee_of(ctx, self.row.epoch).await
    }
}

/// Root fields about epochs.
#[derive(Debug, Default)]
pub struct EpochQuery;

#[Object]
impl EpochQuery {
    /// An epoch (the watermark's epoch when `number` is omitted).
    async fn epoch(
        &self,
        ctx: &Context<'_>,
        number: Option<i32>,
    ) -> async_graphql::Result<Option<Epoch>> {
        let current = paging::snapshot(ctx)?.watermark().await?.epoch;
        let row = paging::loaders(ctx)?
            .epochs
            .load_one(number.unwrap_or(current))
            .await?;
        Ok(row.map(|row| Epoch { row, current }))
    }

    /// Epochs in ascending order.
    #[graphql(complexity = "crate::limits::connection_cost(first, last, child_complexity)")]
    async fn epochs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Epoch>> {
        let page = paging::page(ctx, "epochs", after, before, first, last).await?;
        let current = paging::snapshot(ctx)?.watermark().await?.epoch;
        let mut b = QueryBuilder::<Postgres>::new(EPOCH_SELECT);
        b.push(" WHERE TRUE");
        let order = KeysetOrder {
            columns: &["epoch"],
            descending: false,
            bound: |c: &Cursor| -> async_graphql::Result<Vec<Bound>> {
                Ok(vec![Bound::Int(int_key(c)?)])
            },
        };
        let (rows, more) = paging::fetch_page::<EpochRow, _>(ctx, b, &page, &order).await?;
        Ok(connection(
            &page,
            rows,
            more,
            |r| {
                (
                    Some(SortValue::Int(i64::from(r.epoch))),
                    r.epoch.to_string(),
                )
            },
            |row| Epoch { row, current },
        ))
    }

    /// The committee of `epoch` (the watermark's epoch when omitted), by node id.
    async fn committee(
        &self,
        ctx: &Context<'_>,
        epoch: Option<i32>,
    ) -> async_graphql::Result<Vec<CommitteeMember>> {
        let epoch = match epoch {
            Some(e) => e,
            None => paging::snapshot(ctx)?.watermark().await?.epoch,
        };
        committee_of(ctx, epoch).await
    }
}
