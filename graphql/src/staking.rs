//! Staking: `stakingPools(orderBy, filter, ...)`, `stakingPool(id)` with exchange-rate history,
//! APY over a window and rewards per epoch, and `delegator(address)` with StakedWal positions.

use std::cmp::Ordering;

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, InputObject, Json, Object, SimpleObject};
use sqlx::{Postgres, QueryBuilder};

use crate::cursor::{Cursor, SortValue};
use crate::loaders::{Bound, NestedKey, NestedSpec, PageShape, RowSpec};
use crate::paging::{self, child_connection, connection, id_bytes, int_key};
use crate::types::{BigInt, hex_id, parse_id};

/// Milliseconds in a 365-day year (the indexer's APY uses the same).
const YEAR_MS: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;

const POOL_SELECT: &str = "SELECT node_id, name, network_address, public_key, image_url, project_url, \
    description, storage_price_vote::text AS storage_price_vote, write_price_vote::text AS write_price_vote, \
    node_capacity_vote::text AS node_capacity_vote, commission_rate, pending_commission_rate, \
    activation_epoch, latest_epoch, wal_balance, num_shares::text AS num_shares, pending_stake, \
    rewards_pool, commission, commission_receiver, stake_next_epoch, stake_after_next_epoch, state, \
    shards, next_shards, in_active_set, apy, created_cursor FROM pools";

/// A `pools` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PoolRow {
    node_id: Vec<u8>,
    name: String,
    network_address: String,
    public_key: Vec<u8>,
    image_url: String,
    project_url: String,
    description: String,
    storage_price_vote: String,
    write_price_vote: String,
    node_capacity_vote: String,
    commission_rate: i32,
    pending_commission_rate: serde_json::Value,
    activation_epoch: i32,
    latest_epoch: i32,
    wal_balance: i64,
    num_shares: String,
    pending_stake: serde_json::Value,
    rewards_pool: i64,
    commission: i64,
    commission_receiver: serde_json::Value,
    stake_next_epoch: Option<i64>,
    stake_after_next_epoch: Option<i64>,
    state: String,
    shards: i32,
    next_shards: Option<i32>,
    in_active_set: bool,
    apy: Option<f64>,
}

/// Pools by node id.
pub static POOL_ROWS: RowSpec = RowSpec {
    select: POOL_SELECT,
    key: "node_id",
    key_array: "bytea[]",
};

/// A `pool_exchange_rates` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RateRow {
    epoch: i32,
    flat: bool,
    wal_amount: String,
    share_amount: String,
    rate: f64,
    apy: Option<f64>,
}

/// A pool's exchange rates, by epoch.
pub static RATES: NestedSpec = NestedSpec {
    table: "pool_exchange_rates",
    columns: "epoch, flat, wal_amount::text AS wal_amount, share_amount::text AS share_amount, rate, apy",
    parent: "node_id",
    parent_array: "bytea[]",
    order: &["epoch"],
    stamp: None,
};

/// A `pool_epochs` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PoolEpochRow {
    epoch: i32,
    stake: Option<i64>,
    rewards: Option<i64>,
    commission: Option<i64>,
    commission_rate: Option<i32>,
    shards: Option<i32>,
}

/// A pool's epochs.
pub static POOL_EPOCHS: NestedSpec = NestedSpec {
    table: "pool_epochs",
    columns: "epoch, stake, rewards, commission, commission_rate, shards",
    parent: "node_id",
    parent_array: "bytea[]",
    order: &["epoch"],
    stamp: None,
};

/// A value scheduled for an epoch.
#[derive(Debug, Clone, SimpleObject)]
pub struct Scheduled {
    /// The epoch it takes effect.
    pub epoch: i32,
    /// The value.
    pub value: BigInt,
}

fn scheduled(v: &serde_json::Value) -> Vec<Scheduled> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    Some(Scheduled {
                        epoch: i32::try_from(e.get("epoch")?.as_i64()?).ok()?,
                        value: BigInt(i128::from(e.get("value")?.as_u64()?)),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The votes of a node.
#[derive(Debug, Clone, SimpleObject)]
pub struct Votes {
    /// Storage price (FROST per MiB per epoch).
    pub storage_price: BigInt,
    /// Write price (FROST per MiB).
    pub write_price: BigInt,
    /// Node capacity (encoded bytes).
    pub node_capacity: BigInt,
}

fn big_text(s: &str) -> BigInt {
    BigInt(s.parse().unwrap_or(0))
}

/// A pool's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum PoolState {
    /// In the current committee.
    Committee,
    /// In the active set, not in the committee.
    ActiveSet,
    /// Neither.
    Inactive,
    /// No staking state seen yet.
    Unknown,
}

/// An exchange rate a pool recorded at the start of an epoch.
#[derive(Debug, Clone)]
pub struct ExchangeRate(RateRow);

#[Object]
impl ExchangeRate {
    /// The epoch.
    async fn epoch(&self) -> i32 {
        self.0.epoch
    }
    /// FROST per share (1 for a flat rate).
    async fn rate(&self) -> f64 {
        self.0.rate
    }
    /// Flat (1:1) rate.
    async fn flat(&self) -> bool {
        self.0.flat
    }
    /// The rate's WAL amount.
    async fn wal_amount(&self) -> BigInt {
        big_text(&self.0.wal_amount)
    }
    /// The rate's share amount.
    async fn share_amount(&self) -> BigInt {
        big_text(&self.0.share_amount)
    }
    /// APY from the previous recorded rate.
    async fn apy(&self) -> Option<f64> {
        self.0.apy.filter(|a| a.is_finite())
    }
}

/// A pool in one epoch.
#[derive(Debug, Clone)]
pub struct PoolEpoch(PoolEpochRow);

#[Object]
impl PoolEpoch {
    /// The epoch.
    async fn epoch(&self) -> i32 {
        self.0.epoch
    }
    /// Stake at the start.
    async fn stake(&self) -> Option<BigInt> {
        self.0.stake.map(BigInt::from)
    }
    /// Rewards received for the epoch, commission included (when it ended).
    async fn rewards(&self) -> Option<BigInt> {
        self.0.rewards.map(BigInt::from)
    }
    /// The commission part.
    async fn commission(&self) -> Option<BigInt> {
        self.0.commission.map(BigInt::from)
    }
    /// Rewards to delegators (rewards − commission).
    async fn delegator_rewards(&self) -> Option<BigInt> {
        Some(BigInt::from(
            self.0.rewards? - self.0.commission.unwrap_or(0),
        ))
    }
    /// Commission rate in effect (basis points).
    async fn commission_rate(&self) -> Option<i32> {
        self.0.commission_rate
    }
    /// Shards in the committee of the epoch.
    async fn shards(&self) -> Option<i32> {
        self.0.shards
    }
}

/// A storage node's staking pool.
#[derive(Debug, Clone)]
pub struct StakingPool(pub PoolRow);

fn epoch_bound(c: &Cursor) -> async_graphql::Result<Vec<Bound>> {
    Ok(vec![Bound::Int(int_key(c)?)])
}

#[Object]
impl StakingPool {
    /// The pool (= node) id.
    async fn id(&self) -> String {
        hex_id(&self.0.node_id)
    }
    /// Node name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Network address.
    async fn network_address(&self) -> &str {
        &self.0.network_address
    }
    /// BLS public key (hex).
    async fn public_key(&self) -> String {
        hex_id(&self.0.public_key)
    }
    /// Image URL.
    async fn image_url(&self) -> &str {
        &self.0.image_url
    }
    /// Project URL.
    async fn project_url(&self) -> &str {
        &self.0.project_url
    }
    /// Description.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// State.
    async fn state(&self) -> PoolState {
        match self.0.state.as_str() {
            "committee" => PoolState::Committee,
            "active_set" => PoolState::ActiveSet,
            "inactive" => PoolState::Inactive,
            _ => PoolState::Unknown,
        }
    }
    /// In the current committee.
    async fn in_committee(&self) -> bool {
        self.0.state == "committee"
    }
    /// In the active set.
    async fn in_active_set(&self) -> bool {
        self.0.in_active_set
    }
    /// Commission rate (basis points).
    async fn commission_rate(&self) -> i32 {
        self.0.commission_rate
    }
    /// Scheduled commission-rate changes.
    async fn pending_commission_rates(&self) -> Vec<Scheduled> {
        scheduled(&self.0.pending_commission_rate)
    }
    /// The node's votes.
    async fn votes(&self) -> Votes {
        Votes {
            storage_price: big_text(&self.0.storage_price_vote),
            write_price: big_text(&self.0.write_price_vote),
            node_capacity: big_text(&self.0.node_capacity_vote),
        }
    }
    /// Stake now (active stake plus delegators' rewards), FROST.
    async fn stake(&self) -> BigInt {
        BigInt::from(self.0.wal_balance)
    }
    /// Stake at the next epoch, as scheduled now.
    async fn stake_next_epoch(&self) -> Option<BigInt> {
        self.0.stake_next_epoch.map(BigInt::from)
    }
    /// Stake in two epochs, as scheduled now.
    async fn stake_after_next_epoch(&self) -> Option<BigInt> {
        self.0.stake_after_next_epoch.map(BigInt::from)
    }
    /// Stake waiting to activate.
    async fn pending_stake(&self) -> Vec<Scheduled> {
        scheduled(&self.0.pending_stake)
    }
    /// Shares issued.
    async fn num_shares(&self) -> BigInt {
        big_text(&self.0.num_shares)
    }
    /// Shards in the current committee.
    async fn shards(&self) -> i32 {
        self.0.shards
    }
    /// Shards in the selected next committee.
    async fn next_shards(&self) -> Option<i32> {
        self.0.next_shards
    }
    /// Rewards pool (FROST).
    async fn rewards_pool(&self) -> BigInt {
        BigInt::from(self.0.rewards_pool)
    }
    /// Collectable commission (FROST).
    async fn commission(&self) -> BigInt {
        BigInt::from(self.0.commission)
    }
    /// Who may collect the commission.
    async fn commission_receiver(&self) -> Json<serde_json::Value> {
        Json(self.0.commission_receiver.clone())
    }
    /// Activation epoch.
    async fn activation_epoch(&self) -> i32 {
        self.0.activation_epoch
    }
    /// The last epoch the pool was advanced to.
    async fn latest_epoch(&self) -> i32 {
        self.0.latest_epoch
    }
    /// APY from the last two recorded exchange rates.
    async fn apy(&self) -> Option<f64> {
        self.0.apy.filter(|a| a.is_finite())
    }
    /// APY over the last `epochs` recorded epochs: (rate now / rate `epochs` earlier)^(epochs
    /// per year / gap) − 1. Null with fewer than two rates or no epoch duration.
    async fn apy_over(&self, ctx: &Context<'_>, epochs: i32) -> async_graphql::Result<Option<f64>> {
        if !(1..=1_000).contains(&epochs) {
            return Err(format!("apyOver(epochs): {epochs} is not within 1..=1000").into());
        }
        let snapshot = paging::snapshot(ctx)?;
        let w = snapshot.watermark().await?;
        let loaders = paging::loaders(ctx)?;
        let duration = loaders
            .epochs
            .load_one(w.epoch)
            .await?
            .and_then(|e| e.duration_ms())
            .filter(|d| *d > 0);
        let Some(duration) = duration else {
            return Ok(None);
        };
        let page = loaders
            .rates
            .load_one(NestedKey {
                parent: self.0.node_id.clone(),
                page: PageShape {
                    after: None,
                    before: None,
                    limit: i64::from(epochs) + 1,
                    backward: true,
                    watermark: w.cursor,
                },
            })
            .await?;
        let rows = page.map(|p| p.rows).unwrap_or_default();
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Ok(None);
        };
        if last.epoch <= first.epoch || first.rate <= 0.0 {
            return Ok(None);
        }
        let periods = YEAR_MS / duration as f64 / f64::from(last.epoch - first.epoch);
        let apy = (last.rate / first.rate).powf(periods) - 1.0;
        Ok(apy.is_finite().then_some(apy))
    }
    /// Exchange rates by epoch.
    #[graphql(complexity = "crate::limits::connection_cost(first, last, child_complexity)")]
    async fn exchange_rates(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, ExchangeRate>> {
        let page = paging::page(ctx, "exchangeRates", after, before, first, last).await?;
        let shape = paging::shape(&page, epoch_bound)?;
        let child = paging::loaders(ctx)?
            .rates
            .load_one(NestedKey {
                parent: self.0.node_id.clone(),
                page: shape,
            })
            .await?;
        Ok(child_connection(
            &page,
            child,
            |r: &RateRow| {
                (
                    Some(SortValue::Int(i64::from(r.epoch))),
                    r.epoch.to_string(),
                )
            },
            ExchangeRate,
        ))
    }
    /// Stake, rewards and commission per epoch.
    #[graphql(complexity = "crate::limits::connection_cost(first, last, child_complexity)")]
    async fn epochs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, PoolEpoch>> {
        let page = paging::page(ctx, "epochs", after, before, first, last).await?;
        let shape = paging::shape(&page, epoch_bound)?;
        let child = paging::loaders(ctx)?
            .pool_epochs
            .load_one(NestedKey {
                parent: self.0.node_id.clone(),
                page: shape,
            })
            .await?;
        Ok(child_connection(
            &page,
            child,
            |r: &PoolEpochRow| {
                (
                    Some(SortValue::Int(i64::from(r.epoch))),
                    r.epoch.to_string(),
                )
            },
            PoolEpoch,
        ))
    }
}

// === Pools listing ===

/// Orders of `stakingPools`; ties are broken by pool id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
pub enum PoolOrder {
    /// Stake, largest first.
    #[default]
    Stake,
    /// APY, highest first (pools without one last).
    Apy,
    /// Commission rate, lowest first.
    Commission,
}

/// Conditions on pools.
#[derive(Debug, Clone, Default, InputObject)]
pub struct PoolFilter {
    /// In the current committee (or not).
    pub in_committee: Option<bool>,
    /// In the active set (or not).
    pub in_active_set: Option<bool>,
    /// In one of these states.
    pub state: Option<Vec<PoolState>>,
}

impl PoolOrder {
    /// The sort value: larger first for STAKE and APY, smaller first for COMMISSION.
    fn key(self, p: &PoolRow) -> SortValue {
        match self {
            Self::Stake => SortValue::Int(p.wal_balance),
            // Finite (JSON has no infinity), below any APY (APY > -1).
            Self::Apy => SortValue::Float(p.apy.filter(|a| a.is_finite()).unwrap_or(f64::MIN)),
            Self::Commission => SortValue::Int(i64::from(p.commission_rate)),
        }
    }

    /// Compares two pools' positions in this order.
    fn compare(self, a: (&SortValue, &[u8]), b: (&SortValue, &[u8])) -> Ordering {
        let by_value = a.0.partial_cmp(b.0).unwrap_or(Ordering::Equal);
        let by_value = match self {
            Self::Stake | Self::Apy => by_value.reverse(),
            Self::Commission => by_value,
        };
        by_value.then_with(|| a.1.cmp(b.1))
    }
}

/// Root fields about staking.
#[derive(Debug, Default)]
pub struct StakingQuery;

#[Object]
impl StakingQuery {
    /// Staking pools in `orderBy` order. Pools are few (one per storage node); they are read
    /// in full and paged in memory, at the listing's watermark.
    #[graphql(complexity = "crate::limits::connection_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)] // GraphQL field arguments: filter, order, Relay paging
    async fn staking_pools(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] order_by: PoolOrder,
        filter: Option<PoolFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, StakingPool>> {
        let page = paging::page(ctx, "stakingPools", after, before, first, last).await?;
        let filter = filter.unwrap_or_default();
        let mut b = QueryBuilder::<Postgres>::new(POOL_SELECT);
        b.push(" WHERE created_cursor <= ");
        b.push_bind(page.watermark);
        if let Some(c) = filter.in_committee {
            b.push(if c {
                " AND state = 'committee'"
            } else {
                " AND state <> 'committee'"
            });
        }
        if let Some(a) = filter.in_active_set {
            b.push(" AND in_active_set = ");
            b.push_bind(a);
        }
        if let Some(states) = &filter.state {
            let names: Vec<&str> = states
                .iter()
                .map(|s| match s {
                    PoolState::Committee => "committee",
                    PoolState::ActiveSet => "active_set",
                    PoolState::Inactive => "inactive",
                    PoolState::Unknown => "unknown",
                })
                .collect();
            b.push(" AND state = ANY(");
            b.push_bind(names);
            b.push("::text[])");
        }
        let rows = paging::snapshot(ctx)?.fetch_all(b.build()).await?;
        let mut pools: Vec<(SortValue, PoolRow)> = rows
            .iter()
            .map(<PoolRow as sqlx::FromRow<_>>::from_row)
            .map(|r| r.map(|p| (order_by.key(&p), p)))
            .collect::<Result<_, _>>()?;
        pools.sort_by(|a, b| order_by.compare((&a.0, &a.1.node_id), (&b.0, &b.1.node_id)));
        let position = |c: &Cursor| -> async_graphql::Result<(SortValue, Vec<u8>)> {
            let k =
                c.k.clone()
                    .ok_or("invalid cursor: not a cursor of this listing")?;
            Ok((k, id_bytes(c)?))
        };
        if let Some(after) = &page.after {
            let (k, id) = position(after)?;
            pools
                .retain(|p| order_by.compare((&p.0, &p.1.node_id), (&k, &id)) == Ordering::Greater);
        }
        if let Some(before) = &page.before {
            let (k, id) = position(before)?;
            pools.retain(|p| order_by.compare((&p.0, &p.1.node_id), (&k, &id)) == Ordering::Less);
        }
        let more = pools.len() > page.limit;
        let pools: Vec<_> = if page.backward {
            pools.split_off(pools.len().saturating_sub(page.limit))
        } else {
            pools.truncate(page.limit);
            pools
        };
        Ok(connection(
            &page,
            pools,
            more,
            |(k, p)| (Some(k.clone()), hex::encode(&p.node_id)),
            |(_, p)| StakingPool(p),
        ))
    }

    /// One staking pool by id.
    async fn staking_pool(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<Option<StakingPool>> {
        let id = parse_id("id", &id)?;
        Ok(paging::loaders(ctx)?
            .pools
            .load_one(id)
            .await?
            .map(StakingPool))
    }

    /// A delegator's StakedWal positions and totals.
    async fn delegator(&self, address: String) -> async_graphql::Result<Delegator> {
        Ok(Delegator {
            address: parse_id("address", &address)?,
        })
    }
}

// === Delegators ===

/// A `staked_wal` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PositionRow {
    object_id: Vec<u8>,
    owner: Option<Vec<u8>>,
    node_id: Vec<u8>,
    principal: i64,
    activation_epoch: i32,
    state: String,
    withdraw_epoch: Option<i32>,
    status: String,
    value: Option<i64>,
    reward: Option<i64>,
}

/// A position's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum PositionStatus {
    /// Not active yet: activates at `activationEpoch`.
    Pending,
    /// Active, earning rewards.
    Active,
    /// Withdrawal requested: withdrawable from `withdrawEpoch`.
    Withdrawing,
    /// Can be withdrawn now.
    Withdrawable,
    /// Withdrawn (the object is gone).
    Withdrawn,
}

/// A StakedWal position.
#[derive(Debug, Clone)]
pub struct Position(PositionRow);

#[Object]
impl Position {
    /// The StakedWal object id.
    async fn id(&self) -> String {
        hex_id(&self.0.object_id)
    }
    /// The owner.
    async fn owner(&self) -> Option<String> {
        self.0.owner.as_deref().map(hex_id)
    }
    /// The pool id.
    async fn pool_id(&self) -> String {
        hex_id(&self.0.node_id)
    }
    /// The pool.
    async fn pool(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<StakingPool>> {
        Ok(paging::loaders(ctx)?
            .pools
            .load_one(self.0.node_id.clone())
            .await?
            .map(StakingPool))
    }
    /// Principal (FROST).
    async fn principal(&self) -> BigInt {
        BigInt::from(self.0.principal)
    }
    /// Activation epoch.
    async fn activation_epoch(&self) -> i32 {
        self.0.activation_epoch
    }
    /// Withdraw epoch (withdrawing positions).
    async fn withdraw_epoch(&self) -> Option<i32> {
        self.0.withdraw_epoch
    }
    /// Move state: staked | withdrawing.
    async fn state(&self) -> &str {
        &self.0.state
    }
    /// Status at the watermark's epoch.
    async fn status(&self) -> async_graphql::Result<PositionStatus> {
        Ok(match self.0.status.as_str() {
            "pending" => PositionStatus::Pending,
            "active" => PositionStatus::Active,
            "withdrawing" => PositionStatus::Withdrawing,
            "withdrawable" => PositionStatus::Withdrawable,
            "withdrawn" => PositionStatus::Withdrawn,
            other => return Err(format!("stored position status {other:?} unknown").into()),
        })
    }
    /// The status in words ("pending activation at epoch 5", "withdrawing until epoch 7").
    async fn status_text(&self) -> String {
        match (self.0.status.as_str(), self.0.withdraw_epoch) {
            ("pending", _) => format!("pending activation at epoch {}", self.0.activation_epoch),
            ("withdrawing", Some(e)) => format!("withdrawing until epoch {e}"),
            (s, _) => s.to_owned(),
        }
    }
    /// Current value: principal plus reward (null when the pool's rates are not all known).
    async fn value(&self) -> Option<BigInt> {
        self.0.value.map(BigInt::from)
    }
    /// Estimated reward so far.
    async fn reward(&self) -> Option<BigInt> {
        self.0.reward.map(BigInt::from)
    }
}

/// A delegator's totals over its live positions.
#[derive(Debug, Clone, SimpleObject)]
pub struct DelegatorTotals {
    /// Live positions.
    pub positions: i32,
    /// Sum of principals.
    pub principal: BigInt,
    /// Sum of values (positions with a known value).
    pub value: BigInt,
    /// Sum of rewards.
    pub reward: BigInt,
}

/// A delegator (an address holding StakedWal).
#[derive(Debug, Clone)]
pub struct Delegator {
    address: Vec<u8>,
}

#[Object]
impl Delegator {
    /// The address.
    async fn address(&self) -> String {
        hex_id(&self.address)
    }

    /// Totals over the live positions.
    async fn totals(&self, ctx: &Context<'_>) -> async_graphql::Result<DelegatorTotals> {
        let q = sqlx::query(
            "SELECT count(*)::int AS n, COALESCE(sum(principal), 0)::text AS principal, \
             COALESCE(sum(value), 0)::text AS value, COALESCE(sum(reward), 0)::text AS reward \
             FROM staked_wal WHERE owner = $1 AND NOT deleted",
        )
        .bind(self.address.clone());
        let row = paging::snapshot(ctx)?
            .fetch_optional(q)
            .await?
            .ok_or("no totals row")?;
        use sqlx::Row as _;
        let text = |c: &str| -> async_graphql::Result<BigInt> {
            Ok(big_text(&row.try_get::<String, _>(c)?))
        };
        Ok(DelegatorTotals {
            positions: row.try_get("n")?,
            principal: text("principal")?,
            value: text("value")?,
            reward: text("reward")?,
        })
    }

    /// StakedWal positions by object id (withdrawn ones only with `includeWithdrawn`).
    #[graphql(complexity = "crate::limits::connection_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn positions(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_withdrawn: bool,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Position>> {
        let page = paging::page(ctx, "positions", after, before, first, last).await?;
        let mut b = QueryBuilder::<Postgres>::new(
            "SELECT object_id, owner, node_id, principal, activation_epoch, state, withdraw_epoch, \
             status, value, reward FROM staked_wal WHERE owner = ",
        );
        b.push_bind(self.address.clone())
            .push(" AND created_cursor <= ");
        b.push_bind(page.watermark);
        if !include_withdrawn {
            b.push(" AND NOT deleted");
        }
        let (rows, more) =
            paging::fetch_page::<PositionRow, _>(ctx, b, &page, &paging::BY_OBJECT_ID).await?;
        Ok(connection(
            &page,
            rows,
            more,
            |r| (None, hex::encode(&r.object_id)),
            Position,
        ))
    }
}
