//! Building Relay connections from keyset pages: root listings (one query with a keyset
//! predicate, [`fetch_page`]) and nested listings (through a
//! [`NestedLoader`](crate::loaders::NestedLoader)). Both read `limit + 1` rows in the direction
//! of the page and [`trim`] them: the extra row says whether more exist, and a backward page is
//! read descending and returned ascending.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, OutputType};
use sqlx::postgres::PgRow;
use sqlx::{FromRow, Postgres, QueryBuilder};

use crate::cursor::{Cursor, Page, SortValue};
use crate::db::Snapshot;
use crate::limits::Limits;
use crate::loaders::{Bound, ChildPage, PageShape, push_keyset};

/// The request's snapshot.
pub fn snapshot<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a std::sync::Arc<Snapshot>> {
    ctx.data::<std::sync::Arc<Snapshot>>()
}

/// The server's limits.
pub fn limits<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a std::sync::Arc<Limits>> {
    ctx.data::<std::sync::Arc<Limits>>()
}

/// The request's loaders.
pub fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a crate::loaders::Loaders> {
    ctx.data::<crate::loaders::Loaders>()
}

/// Parses the Relay arguments of a listing named `what` into a validated [`Page`].
pub async fn page(
    ctx: &Context<'_>,
    what: &str,
    after: Option<String>,
    before: Option<String>,
    first: Option<i32>,
    last: Option<i32>,
) -> async_graphql::Result<Page> {
    use async_graphql::connection::CursorType as _;
    let decode = |s: Option<String>| -> async_graphql::Result<Option<Cursor>> {
        s.map(|s| Cursor::decode_cursor(&s).map_err(|e| async_graphql::Error::new(e.to_string())))
            .transpose()
    };
    let count = |name: &str, v: Option<i32>| -> async_graphql::Result<Option<usize>> {
        v.map(|n| {
            usize::try_from(n).map_err(|_| {
                async_graphql::Error::new(format!("`{name}` must be zero or more, got {n}"))
            })
        })
        .transpose()
    };
    let watermark = snapshot(ctx)?.watermark().await?.cursor;
    Page::new(
        decode(after)?,
        decode(before)?,
        count("first", first)?,
        count("last", last)?,
        limits(ctx)?,
        what,
        watermark,
    )
}

/// How a cursor converts to the sort columns' values (a plain function).
pub type CursorBound = fn(&Cursor) -> async_graphql::Result<Vec<Bound>>;

/// The order of a root listing: its sort columns (the last one unique, the tie breaker), the
/// listing's direction, and how a cursor of the listing converts to values of those columns.
pub struct KeysetOrder<'a, F> {
    /// Sort columns.
    pub columns: &'a [&'a str],
    /// The listing is descending.
    pub descending: bool,
    /// A cursor's values for `columns`.
    pub bound: F,
}

impl<F> std::fmt::Debug for KeysetOrder<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeysetOrder")
            .field("columns", &self.columns)
            .field("descending", &self.descending)
            .finish_non_exhaustive()
    }
}

impl<F> KeysetOrder<'_, F>
where
    F: Fn(&Cursor) -> async_graphql::Result<Vec<Bound>>,
{
    /// Appends to `b` (a `SELECT ... WHERE <conditions>`) the page's bounds (`AND (columns) >
    /// (after)`, `AND (columns) < (before)`, reversed for a descending listing), `ORDER BY` the
    /// columns in the direction read (the listing's, reversed for a backward page) and
    /// `LIMIT limit + 1`.
    pub fn push_page(
        &self,
        b: &mut QueryBuilder<Postgres>,
        page: &Page,
    ) -> async_graphql::Result<()> {
        let (after_op, before_op) = if self.descending {
            ("<", ">")
        } else {
            (">", "<")
        };
        if let Some(after) = &page.after {
            b.push(" AND ");
            push_keyset(b, self.columns, after_op, &(self.bound)(after)?);
        }
        if let Some(before) = &page.before {
            b.push(" AND ");
            push_keyset(b, self.columns, before_op, &(self.bound)(before)?);
        }
        let direction = if self.descending != page.backward {
            " DESC"
        } else {
            " ASC"
        };
        b.push(" ORDER BY ");
        for (i, column) in self.columns.iter().enumerate() {
            if i > 0 {
                b.push(", ");
            }
            b.push(column).push(direction);
        }
        b.push(" LIMIT ");
        b.push_bind(
            i64::try_from(page.limit)
                .unwrap_or(i64::MAX)
                .saturating_add(1),
        );
        Ok(())
    }
}

/// Listings by object id, ascending.
pub const BY_OBJECT_ID: KeysetOrder<'static, CursorBound> = KeysetOrder {
    columns: &["object_id"],
    descending: false,
    bound: object_id_bound,
};

fn object_id_bound(c: &Cursor) -> async_graphql::Result<Vec<Bound>> {
    Ok(vec![Bound::Bytes(id_bytes(c)?)])
}

/// One page of a root listing: `select` (a `SELECT ... WHERE <conditions>` of rows `T`) with
/// the page's bounds, order and limit ([`KeysetOrder::push_page`]), run in the request's
/// snapshot. The rows in listing order, and whether more exist past the page.
pub async fn fetch_page<T, F>(
    ctx: &Context<'_>,
    mut select: QueryBuilder<Postgres>,
    page: &Page,
    order: &KeysetOrder<'_, F>,
) -> async_graphql::Result<(Vec<T>, bool)>
where
    T: for<'r> FromRow<'r, PgRow>,
    F: Fn(&Cursor) -> async_graphql::Result<Vec<Bound>>,
{
    order.push_page(&mut select, page)?;
    read_page(ctx, select, page).await
}

/// Runs a complete page query (`limit + 1` rows in the direction read) and [`trim`]s it.
pub async fn read_page<T>(
    ctx: &Context<'_>,
    mut query: QueryBuilder<Postgres>,
    page: &Page,
) -> async_graphql::Result<(Vec<T>, bool)>
where
    T: for<'r> FromRow<'r, PgRow>,
{
    let rows = snapshot(ctx)?.fetch_all(query.build()).await?;
    let mut rows = rows
        .iter()
        .map(T::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let more = trim(&mut rows, page.limit, page.backward);
    Ok((rows, more))
}

/// Trims rows read in the direction of a page (up to `limit + 1`) to the page, in listing
/// order (a backward page is read in reverse); whether more rows exist past the page.
pub fn trim<T>(rows: &mut Vec<T>, limit: usize, backward: bool) -> bool {
    let more = rows.len() > limit;
    rows.truncate(limit);
    if backward {
        rows.reverse();
    }
    more
}

/// A page's shape for a nested loader, with cursor keys converted by `bound`.
pub fn shape(
    page: &Page,
    bound: impl Fn(&Cursor) -> async_graphql::Result<Vec<Bound>>,
) -> async_graphql::Result<PageShape> {
    Ok(PageShape {
        after: page.after.as_ref().map(&bound).transpose()?,
        before: page.before.as_ref().map(&bound).transpose()?,
        limit: i64::try_from(page.limit).unwrap_or(i64::MAX),
        backward: page.backward,
        watermark: page.watermark,
    })
}

/// A connection from rows in ascending order; `more` says whether rows exist past the page in
/// the direction read.
pub fn connection<T, N: OutputType>(
    page: &Page,
    rows: Vec<T>,
    more: bool,
    key: impl Fn(&T) -> (Option<SortValue>, String),
    node: impl Fn(T) -> N,
) -> Connection<Cursor, N> {
    let (has_previous, has_next) = if page.backward {
        (more, page.before.is_some())
    } else {
        (page.after.is_some(), more)
    };
    let mut c = Connection::new(has_previous, has_next);
    c.edges.extend(rows.into_iter().map(|r| {
        let (k, id) = key(&r);
        Edge::new(page.cursor(k, id), node(r))
    }));
    c
}

/// A connection from a nested loader's page.
pub fn child_connection<T, N: OutputType>(
    page: &Page,
    child: Option<ChildPage<T>>,
    key: impl Fn(&T) -> (Option<SortValue>, String),
    node: impl Fn(T) -> N,
) -> Connection<Cursor, N> {
    let child = child.unwrap_or(ChildPage {
        rows: Vec::new(),
        more: false,
    });
    connection(page, child.rows, child.more, key, node)
}

/// An integer sort value from a cursor.
pub fn int_key(c: &Cursor) -> async_graphql::Result<i64> {
    match c.k {
        Some(SortValue::Int(v)) => Ok(v),
        _ => Err("invalid cursor: not a cursor of this listing".into()),
    }
}

/// The id of a cursor as bytes (hex).
pub fn id_bytes(c: &Cursor) -> async_graphql::Result<Vec<u8>> {
    hex::decode(&c.id).map_err(|_| "invalid cursor: not a cursor of this listing".into())
}
