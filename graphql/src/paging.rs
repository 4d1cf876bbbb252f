//! Building Relay connections from keyset pages: root listings (one query with a keyset
//! predicate) and nested listings (through a [`NestedLoader`](crate::loaders::NestedLoader)).

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, OutputType};

use crate::cursor::{Cursor, Page, SortValue};
use crate::db::Snapshot;
use crate::limits::Limits;
use crate::loaders::{Bound, ChildPage, PageShape};

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
