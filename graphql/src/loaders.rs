//! DataLoaders: everything a list reaches is loaded in one query per distinct page shape, not
//! one per parent (no N+1). Loaders live for one request and read through its [`Snapshot`].
//!
//! - [`RowLoader`]: rows by primary key (`blob_status` by blob id, pools by node id, epochs by
//!   number).
//! - [`NestedLoader`]: one page of children per parent (a blob object's events, a blob id's
//!   objects, a pool's exchange rates and epochs, an epoch's committee), as a `LATERAL` join
//!   over the parents' ids, so each parent's page uses its own index range.

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use sqlx::postgres::PgRow;
use sqlx::{FromRow, Postgres, QueryBuilder, Row};

use crate::db::{DbError, Snapshot};

/// A keyset bound value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Bound {
    /// An integer column.
    Int(i64),
    /// A bytea column.
    Bytes(Vec<u8>),
}

fn push_bound(b: &mut QueryBuilder<Postgres>, value: &Bound) {
    match value {
        Bound::Int(v) => b.push_bind(*v),
        Bound::Bytes(v) => b.push_bind(v.clone()),
    };
}

/// `(c1, c2, ...) <op> (v1, v2, ...)` with bound values.
pub fn push_keyset(b: &mut QueryBuilder<Postgres>, cols: &[&str], op: &str, values: &[Bound]) {
    b.push("(")
        .push(cols.join(", "))
        .push(") ")
        .push(op)
        .push(" (");
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            b.push(", ");
        }
        push_bound(b, v);
    }
    b.push(")");
}

// === Rows by key ===

/// Which table a [`RowLoader`] reads.
#[derive(Debug)]
pub struct RowSpec {
    /// `SELECT <columns> FROM <table>`.
    pub select: &'static str,
    /// The key column.
    pub key: &'static str,
    /// The SQL array type of the key (`bytea[]`, `int[]`).
    pub key_array: &'static str,
}

/// A key a row table is looked up by.
pub trait RowKey: Send + Sync + Hash + Eq + Clone + 'static {
    /// Reads the key column of a row.
    fn from_row(row: &PgRow, column: &str) -> Result<Self, sqlx::Error>;
    /// Binds the keys as one array.
    fn bind_all(b: &mut QueryBuilder<Postgres>, keys: &[Self]);
}

impl RowKey for Vec<u8> {
    fn from_row(row: &PgRow, column: &str) -> Result<Self, sqlx::Error> {
        row.try_get(column)
    }
    fn bind_all(b: &mut QueryBuilder<Postgres>, keys: &[Self]) {
        b.push_bind(keys.to_vec());
    }
}

impl RowKey for i32 {
    fn from_row(row: &PgRow, column: &str) -> Result<Self, sqlx::Error> {
        row.try_get(column)
    }
    fn bind_all(b: &mut QueryBuilder<Postgres>, keys: &[Self]) {
        b.push_bind(keys.to_vec());
    }
}

/// Rows of one table by key.
#[derive(Debug)]
pub struct RowLoader<K, T> {
    snapshot: Arc<Snapshot>,
    spec: &'static RowSpec,
    _types: PhantomData<fn() -> (K, T)>,
}

impl<K, T> RowLoader<K, T> {
    /// A loader over `spec` in `snapshot`.
    pub fn new(snapshot: Arc<Snapshot>, spec: &'static RowSpec) -> Self {
        Self {
            snapshot,
            spec,
            _types: PhantomData,
        }
    }
}

impl<K, T> Loader<K> for RowLoader<K, T>
where
    K: RowKey,
    T: for<'r> FromRow<'r, PgRow> + Clone + Send + Sync + 'static,
{
    type Value = T;
    type Error = DbError;

    async fn load(&self, keys: &[K]) -> Result<HashMap<K, T>, DbError> {
        let mut b = QueryBuilder::<Postgres>::new(self.spec.select);
        b.push(" WHERE ").push(self.spec.key).push(" = ANY(");
        K::bind_all(&mut b, keys);
        b.push("::").push(self.spec.key_array).push(")");
        let rows = self.snapshot.fetch_all(b.build()).await?;
        let mut out = HashMap::with_capacity(rows.len());
        for row in rows {
            out.insert(K::from_row(&row, self.spec.key)?, T::from_row(&row)?);
        }
        Ok(out)
    }
}

// === Pages of children per parent ===

/// Which children a [`NestedLoader`] reads.
#[derive(Debug)]
pub struct NestedSpec {
    /// The table.
    pub table: &'static str,
    /// The select list (`t.*` style columns of the table).
    pub columns: &'static str,
    /// The column holding the parent's id (bytea or int, see `parent_array`).
    pub parent: &'static str,
    /// The SQL array type of parent ids.
    pub parent_array: &'static str,
    /// Sort columns (unique within a parent).
    pub order: &'static [&'static str],
    /// The column compared with the listing's watermark (rows of later transactions are left
    /// out, so pages stay stable), if the table has one.
    pub stamp: Option<&'static str>,
}

/// The shape of one page: the same for every parent of one list field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageShape {
    /// Rows after this key.
    pub after: Option<Vec<Bound>>,
    /// Rows before this key.
    pub before: Option<Vec<Bound>>,
    /// Rows per parent.
    pub limit: i64,
    /// Take the last `limit` rows (before `before`) instead of the first.
    pub backward: bool,
    /// The listing's watermark.
    pub watermark: i64,
}

/// A parent and the page of its children wanted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NestedKey<P> {
    /// The parent's id.
    pub parent: P,
    /// The page.
    pub page: PageShape,
}

/// One parent's page: rows in ascending order, and whether more exist beyond the page in the
/// direction read.
#[derive(Debug, Clone)]
pub struct ChildPage<T> {
    /// The rows, ascending.
    pub rows: Vec<T>,
    /// More rows exist past the page (after it when reading forward, before it backward).
    pub more: bool,
}

/// Pages of children, batched over parents.
#[derive(Debug)]
pub struct NestedLoader<P, T> {
    snapshot: Arc<Snapshot>,
    spec: &'static NestedSpec,
    _types: PhantomData<fn() -> (P, T)>,
}

impl<P, T> NestedLoader<P, T> {
    /// A loader over `spec` in `snapshot`.
    pub fn new(snapshot: Arc<Snapshot>, spec: &'static NestedSpec) -> Self {
        Self {
            snapshot,
            spec,
            _types: PhantomData,
        }
    }
}

impl<P, T> Loader<NestedKey<P>> for NestedLoader<P, T>
where
    P: RowKey,
    T: for<'r> FromRow<'r, PgRow> + Clone + Send + Sync + 'static,
{
    type Value = ChildPage<T>;
    type Error = DbError;

    async fn load(
        &self,
        keys: &[NestedKey<P>],
    ) -> Result<HashMap<NestedKey<P>, ChildPage<T>>, DbError> {
        // One query per distinct page shape (normally one: all parents of a list field share
        // the arguments).
        let mut shapes: HashMap<&PageShape, Vec<P>> = HashMap::new();
        for key in keys {
            shapes
                .entry(&key.page)
                .or_default()
                .push(key.parent.clone());
        }
        let spec = self.spec;
        let mut out = HashMap::with_capacity(keys.len());
        for (shape, parents) in shapes {
            let mut b = QueryBuilder::<Postgres>::new("SELECT p.pid AS __parent, c.* FROM unnest(");
            P::bind_all(&mut b, &parents);
            b.push("::")
                .push(spec.parent_array)
                .push(") AS p(pid) CROSS JOIN LATERAL (SELECT ")
                .push(spec.columns)
                .push(" FROM ")
                .push(spec.table)
                .push(" WHERE ")
                .push(spec.parent)
                .push(" = p.pid");
            if let Some(stamp) = spec.stamp {
                b.push(" AND ").push(stamp).push(" <= ");
                b.push_bind(shape.watermark);
            }
            if let Some(after) = &shape.after {
                b.push(" AND ");
                push_keyset(&mut b, spec.order, ">", after);
            }
            if let Some(before) = &shape.before {
                b.push(" AND ");
                push_keyset(&mut b, spec.order, "<", before);
            }
            let direction = if shape.backward { " DESC" } else { " ASC" };
            b.push(" ORDER BY ");
            for (i, col) in spec.order.iter().enumerate() {
                if i > 0 {
                    b.push(", ");
                }
                b.push(col).push(direction);
            }
            b.push(" LIMIT ");
            b.push_bind(shape.limit + 1);
            b.push(") AS c");
            let rows = self.snapshot.fetch_all(b.build()).await?;
            let mut grouped: HashMap<P, Vec<T>> = HashMap::new();
            for row in rows {
                grouped
                    .entry(P::from_row(&row, "__parent")?)
                    .or_default()
                    .push(T::from_row(&row)?);
            }
            let limit = usize::try_from(shape.limit).unwrap_or(0);
            for parent in parents {
                let mut rows = grouped.remove(&parent).unwrap_or_default();
                let more = crate::paging::trim(&mut rows, limit, shape.backward);
                out.insert(
                    NestedKey {
                        parent,
                        page: shape.clone(),
                    },
                    ChildPage { rows, more },
                );
            }
        }
        Ok(out)
    }
}

/// A request's DataLoaders.
pub struct Loaders {
    /// `blob_status` rows by blob id.
    pub blob_status: DataLoader<RowLoader<Vec<u8>, crate::blobs::BlobStatusRow>>,
    /// Pools by node id.
    pub pools: DataLoader<RowLoader<Vec<u8>, crate::staking::PoolRow>>,
    /// Epochs by number.
    pub epochs: DataLoader<RowLoader<i32, crate::epochs::EpochRow>>,
    /// A blob object's events.
    pub events: DataLoader<NestedLoader<Vec<u8>, crate::blobs::EventRow>>,
    /// A blob id's objects.
    pub objects: DataLoader<NestedLoader<Vec<u8>, crate::blobs::BlobRow>>,
    /// A pool's exchange rates.
    pub rates: DataLoader<NestedLoader<Vec<u8>, crate::staking::RateRow>>,
    /// A pool's epochs.
    pub pool_epochs: DataLoader<NestedLoader<Vec<u8>, crate::staking::PoolEpochRow>>,
    /// An epoch's committee.
    pub committee: DataLoader<NestedLoader<i32, crate::epochs::MemberRow>>,
}

impl std::fmt::Debug for Loaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Loaders")
    }
}

impl Loaders {
    /// The loaders of one request.
    pub fn new(snapshot: &Arc<Snapshot>) -> Self {
        fn dl<L: Send + Sync + 'static>(loader: L) -> DataLoader<L> {
            DataLoader::new(loader, tokio::spawn)
        }
        let s = || snapshot.clone();
        Self {
            blob_status: dl(RowLoader::new(s(), &crate::blobs::BLOB_STATUS_ROWS)),
            pools: dl(RowLoader::new(s(), &crate::staking::POOL_ROWS)),
            epochs: dl(RowLoader::new(s(), &crate::epochs::EPOCH_ROWS)),
            events: dl(NestedLoader::new(s(), &crate::blobs::EVENTS)),
            objects: dl(NestedLoader::new(s(), &crate::blobs::OBJECTS)),
            rates: dl(NestedLoader::new(s(), &crate::staking::RATES)),
            pool_epochs: dl(NestedLoader::new(s(), &crate::staking::POOL_EPOCHS)),
            committee: dl(NestedLoader::new(s(), &crate::epochs::COMMITTEE)),
        }
    }
}
