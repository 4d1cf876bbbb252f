//! Blobs: `blob(blobId)` (the per-blob-id status), `blobObject(id)`, `blobs(filter, orderBy,
//! ...)`, `storageResources(owner)`, and the `Blob` type with its storage, attributes,
//! events, status at an epoch and fees.

use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, Enum, InputObject, Json, Object, SimpleObject};
use sqlx::{Postgres, QueryBuilder};

use crate::cursor::{Cursor, SortValue};
use crate::loaders::{Bound, NestedKey, NestedSpec, RowSpec};
use crate::paging::{self, KeysetOrder, child_connection, connection, id_bytes, int_key};
use crate::types::{BigInt, blob_id_text, hex_id, parse_blob_id, parse_id};

/// Columns of `blobs` the API reads.
pub const BLOB_COLUMNS: &str = "object_id, blob_id, owner_kind, owner, shared_blob_id, shared_funds, \
    size, encoding_type, registered_epoch, certified_epoch, end_epoch, storage_id, storage_start_epoch, \
    storage_size, deletable, deleted, deleted_epoch, burned, burned_epoch, invalid, invalid_epoch, \
    attributes, status, registered_cursor, certified_cursor, deleted_cursor, created_cursor, last_cursor";

/// A `blobs` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BlobRow {
    object_id: Vec<u8>,
    blob_id: Vec<u8>,
    owner_kind: String,
    owner: Option<Vec<u8>>,
    shared_blob_id: Option<Vec<u8>>,
    shared_funds: Option<i64>,
    size: i64,
    encoding_type: i16,
    registered_epoch: i32,
    certified_epoch: Option<i32>,
    end_epoch: i32,
    storage_id: Vec<u8>,
    storage_start_epoch: i32,
    storage_size: i64,
    deletable: bool,
    deleted: bool,
    deleted_epoch: Option<i32>,
    burned: bool,
    burned_epoch: Option<i32>,
    invalid: bool,
    invalid_epoch: Option<i32>,
    attributes: Option<serde_json::Value>,
    status: String,
    registered_cursor: i64,
    certified_cursor: Option<i64>,
    deleted_cursor: Option<i64>,
    created_cursor: i64,
    last_cursor: i64,
}

/// A `blob_status` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BlobStatusRow {
    status: String,
    objects_total: i32,
    deletable_total: i32,
    deletable_certified: i32,
    permanent_total: i32,
    permanent_certified: i32,
    end_epoch: Option<i32>,
    permanent_end_epoch: Option<i32>,
    initial_certified_epoch: Option<i32>,
    invalid_epoch: Option<i32>,
    status_event_cursor: Option<i64>,
    status_event_index: Option<i32>,
}

/// `blob_status` by blob id.
pub static BLOB_STATUS_ROWS: RowSpec = RowSpec {
    select: "SELECT blob_id, status, objects_total, deletable_total, deletable_certified, \
             permanent_total, permanent_certified, end_epoch, permanent_end_epoch, \
             initial_certified_epoch, invalid_epoch, status_event_cursor, status_event_index \
             FROM blob_status",
    key: "blob_id",
    key_array: "bytea[]",
};

/// An `events` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    cursor: i64,
    event_index: i32,
    tx_digest: Vec<u8>,
    event_type: String,
    event_name: String,
    decoded: Option<serde_json::Value>,
    decode_status: String,
    epoch: Option<i32>,
    timestamp_ms: Option<i64>,
}

/// A blob object's events, in stream order.
pub static EVENTS: NestedSpec = NestedSpec {
    table: "events",
    columns: "cursor, event_index, tx_digest, event_type, event_name, decoded, decode_status, epoch, \
              (SELECT t.timestamp_ms FROM transactions t WHERE t.cursor = events.cursor) AS timestamp_ms",
    parent: "object_id",
    parent_array: "bytea[]",
    order: &["cursor", "event_index"],
    stamp: Some("cursor"),
};

/// A blob id's objects, by object id.
pub static OBJECTS: NestedSpec = NestedSpec {
    table: "blobs",
    columns: BLOB_COLUMNS,
    parent: "blob_id",
    parent_array: "bytea[]",
    order: &["object_id"],
    stamp: Some("created_cursor"),
};

/// Status of a blob id (the aggregate storage nodes keep, over its live objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum BlobIdStatusKind {
    /// Never registered (or not yet indexed).
    Nonexistent,
    /// Registered, not certified.
    Registered,
    /// Certified: available.
    Certified,
    /// Every object expired.
    Expired,
    /// Every object deleted.
    Deleted,
    /// Marked invalid.
    Invalid,
}

/// Status of one Blob object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum BlobObjectStatus {
    /// Not registered at that epoch.
    Nonexistent,
    /// Registered, not certified.
    Registered,
    /// Certified and not expired.
    Certified,
    /// Past its end epoch.
    Expired,
    /// Deleted by its owner.
    Deleted,
    /// Destroyed without deletion (`blob::burn`).
    Burned,
    /// Its blob id was marked invalid.
    Invalid,
}

impl BlobObjectStatus {
    fn from_db(s: &str) -> async_graphql::Result<Self> {
        Ok(match s {
            "nonexistent" => Self::Nonexistent,
            "registered" => Self::Registered,
            "certified" => Self::Certified,
            "expired" => Self::Expired,
            "deleted" => Self::Deleted,
            "burned" => Self::Burned,
            "invalid" => Self::Invalid,
            other => return Err(format!("stored blob status {other:?} unknown").into()),
        })
    }

    fn to_db(self) -> &'static str {
        match self {
            Self::Nonexistent => "nonexistent",
            Self::Registered => "registered",
            Self::Certified => "certified",
            Self::Expired => "expired",
            Self::Deleted => "deleted",
            Self::Burned => "burned",
            Self::Invalid => "invalid",
        }
    }
}

/// `blob(blobId)`: the status of a blob id and the objects that hold it.
#[derive(Debug, Clone)]
pub struct BlobId {
    blob_id: Vec<u8>,
    row: Option<BlobStatusRow>,
}

#[Object]
impl BlobId {
    /// The blob id (base64url).
    async fn blob_id(&self) -> String {
        blob_id_text(&self.blob_id)
    }

    /// Status over the live objects: certified if any live object is certified, else
    /// registered if any is registered; expired / deleted when none is live; nonexistent if
    /// never registered.
    async fn status(&self) -> async_graphql::Result<BlobIdStatusKind> {
        let Some(row) = &self.row else {
            return Ok(BlobIdStatusKind::Nonexistent);
        };
        Ok(match row.status.as_str() {
            "registered" => BlobIdStatusKind::Registered,
            "certified" => BlobIdStatusKind::Certified,
            "expired" => BlobIdStatusKind::Expired,
            "deleted" => BlobIdStatusKind::Deleted,
            "invalid" => BlobIdStatusKind::Invalid,
            other => return Err(format!("stored blob id status {other:?} unknown").into()),
        })
    }

    /// Every object ever registered with this blob id.
    async fn objects_total(&self) -> i32 {
        self.row.as_ref().map_or(0, |r| r.objects_total)
    }
    /// Live deletable objects.
    async fn deletable_total(&self) -> i32 {
        self.row.as_ref().map_or(0, |r| r.deletable_total)
    }
    /// Live deletable certified objects.
    async fn deletable_certified(&self) -> i32 {
        self.row.as_ref().map_or(0, |r| r.deletable_certified)
    }
    /// Live permanent objects.
    async fn permanent_total(&self) -> i32 {
        self.row.as_ref().map_or(0, |r| r.permanent_total)
    }
    /// Live permanent certified objects.
    async fn permanent_certified(&self) -> i32 {
        self.row.as_ref().map_or(0, |r| r.permanent_certified)
    }
    /// Latest end epoch of the live certified objects (else of the live ones).
    async fn end_epoch(&self) -> Option<i32> {
        self.row.as_ref().and_then(|r| r.end_epoch)
    }
    /// Latest end epoch of the live certified permanent objects.
    async fn permanent_end_epoch(&self) -> Option<i32> {
        self.row.as_ref().and_then(|r| r.permanent_end_epoch)
    }
    /// Earliest certification epoch of the live certified objects.
    async fn initial_certified_epoch(&self) -> Option<i32> {
        self.row.as_ref().and_then(|r| r.initial_certified_epoch)
    }
    /// The epoch the blob id was marked invalid.
    async fn invalid_epoch(&self) -> Option<i32> {
        self.row.as_ref().and_then(|r| r.invalid_epoch)
    }
    /// The event behind the status: transaction cursor and event index.
    async fn status_event(&self) -> Option<EventPosition> {
        let r = self.row.as_ref()?;
        Some(EventPosition {
            cursor: BigInt::from(r.status_event_cursor?),
            event_index: r.status_event_index?,
        })
    }

    /// The Blob objects with this blob id, by object id.
    #[graphql(complexity = "crate::limits::connection_cost(first, last, child_complexity)")]
    async fn objects(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Blob>> {
        let page = paging::page(ctx, "objects", after, before, first, last).await?;
        let shape = paging::shape(&page, |c| Ok(vec![Bound::Bytes(id_bytes(c)?)]))?;
        let child = paging::loaders(ctx)?
            .objects
            .load_one(NestedKey {
                parent: self.blob_id.clone(),
                page: shape,
            })
            .await?;
        Ok(child_connection(
            &page,
            child,
            |b: &BlobRow| (None, hex::encode(&b.object_id)),
            Blob,
        ))
    }
}

/// A position in the event stream.
#[derive(Debug, Clone, SimpleObject)]
pub struct EventPosition {
    /// Transaction cursor.
    pub cursor: BigInt,
    /// Index of the event in the transaction.
    pub event_index: i32,
}

/// How a Blob object is owned.
#[derive(Debug, Clone, SimpleObject)]
pub struct Owner {
    /// address | shared | object | immutable | none.
    pub kind: String,
    /// The owning address or parent object (`address`, `object`).
    pub address: Option<String>,
}

/// The storage resource a blob occupies.
#[derive(Debug, Clone, SimpleObject)]
pub struct Storage {
    /// The Storage object's id.
    pub id: String,
    /// First epoch.
    pub start_epoch: i32,
    /// End epoch (exclusive).
    pub end_epoch: i32,
    /// Encoded bytes reserved.
    pub storage_size: BigInt,
}

/// An attribute of a blob.
#[derive(Debug, Clone, SimpleObject)]
pub struct Attribute {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// Fees of a blob at the prices of its registration epoch.
#[derive(Debug, Clone, SimpleObject)]
pub struct BlobFees {
    /// Storage units (MiB of encoded size, rounded up).
    pub storage_units: BigInt,
    /// Write fee paid at registration: write price × units (exact).
    pub write_fee: BigInt,
    /// Storage fee for the storage's whole period at the registration epoch's storage price:
    /// storage price × units × (end epoch − start epoch). An estimate: storage bought at
    /// another time or extended later was paid at the prices of those epochs.
    pub storage_fee_estimate: BigInt,
    /// The sum.
    pub total_estimate: BigInt,
}

/// A Blob object.
#[derive(Debug, Clone)]
pub struct Blob(pub BlobRow);

impl BlobRow {
    /// Status at epoch `e`: the SQL function `blob_status_at` of the schema.
    fn status_at(&self, e: i32) -> BlobObjectStatus {
        let at = |x: Option<i32>| x.is_some_and(|x| x <= e);
        if e < self.registered_epoch {
            BlobObjectStatus::Nonexistent
        } else if at(self.deleted_epoch) {
            BlobObjectStatus::Deleted
        } else if at(self.burned_epoch) {
            BlobObjectStatus::Burned
        } else if at(self.invalid_epoch) {
            BlobObjectStatus::Invalid
        } else if self.end_epoch <= e {
            BlobObjectStatus::Expired
        } else if at(self.certified_epoch) {
            BlobObjectStatus::Certified
        } else {
            BlobObjectStatus::Registered
        }
    }
}

#[Object]
impl Blob {
    /// The Blob object's id.
    async fn id(&self) -> String {
        hex_id(&self.0.object_id)
    }
    /// The blob id (base64url).
    async fn blob_id(&self) -> String {
        blob_id_text(&self.0.blob_id)
    }
    /// The owner.
    async fn owner(&self) -> Owner {
        Owner {
            kind: self.0.owner_kind.clone(),
            address: self.0.owner.as_deref().map(hex_id),
        }
    }
    /// The SharedBlob wrapping it.
    async fn shared_blob_id(&self) -> Option<String> {
        self.0.shared_blob_id.as_deref().map(hex_id)
    }
    /// FROST in the SharedBlob's funds.
    async fn shared_funds(&self) -> Option<BigInt> {
        self.0.shared_funds.map(BigInt::from)
    }
    /// Unencoded size in bytes.
    async fn size(&self) -> BigInt {
        BigInt::from(self.0.size)
    }
    /// Encoding type.
    async fn encoding_type(&self) -> i32 {
        i32::from(self.0.encoding_type)
    }
    /// Registration epoch.
    async fn registered_epoch(&self) -> i32 {
        self.0.registered_epoch
    }
    /// Certification epoch.
    async fn certified_epoch(&self) -> Option<i32> {
        self.0.certified_epoch
    }
    /// End epoch (exclusive), extensions included.
    async fn end_epoch(&self) -> i32 {
        self.0.end_epoch
    }
    /// Deletable by its owner.
    async fn deletable(&self) -> bool {
        self.0.deletable
    }
    /// Status at the watermark's epoch (as the indexer keeps it).
    async fn status(&self) -> async_graphql::Result<BlobObjectStatus> {
        BlobObjectStatus::from_db(&self.0.status)
    }
    /// Deleted (`BlobDeleted`), and when.
    async fn deleted_epoch(&self) -> Option<i32> {
        self.0.deleted.then_some(self.0.deleted_epoch).flatten()
    }
    /// Burned, and when.
    async fn burned_epoch(&self) -> Option<i32> {
        self.0.burned.then_some(self.0.burned_epoch).flatten()
    }
    /// Invalidated, and when.
    async fn invalid_epoch(&self) -> Option<i32> {
        self.0.invalid.then_some(self.0.invalid_epoch).flatten()
    }
    /// Status at epoch `epoch` (with the end epoch as extended so far).
    async fn status_at(&self, epoch: i32) -> BlobObjectStatus {
        self.0.status_at(epoch)
    }
    /// Whether the blob is certified and not expired, deleted, burned or invalid at `epoch`.
    async fn available_at(&self, epoch: i32) -> bool {
        self.0.status_at(epoch) == BlobObjectStatus::Certified
    }
    /// Its storage resource.
    async fn storage(&self) -> Storage {
        Storage {
            id: hex_id(&self.0.storage_id),
            start_epoch: self.0.storage_start_epoch,
            end_epoch: self.0.end_epoch,
            storage_size: BigInt::from(self.0.storage_size),
        }
    }
    /// Attributes (metadata), by key.
    async fn attributes(&self) -> Vec<Attribute> {
        let Some(serde_json::Value::Object(map)) = &self.0.attributes else {
            return Vec::new();
        };
        map.iter()
            .map(|(k, v)| Attribute {
                key: k.clone(),
                value: v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            })
            .collect()
    }
    /// Cursor of the registration transaction.
    async fn registered_cursor(&self) -> BigInt {
        BigInt::from(self.0.registered_cursor)
    }
    /// Cursor of the first certification.
    async fn certified_cursor(&self) -> Option<BigInt> {
        self.0.certified_cursor.map(BigInt::from)
    }
    /// Cursor of the deletion.
    async fn deleted_cursor(&self) -> Option<BigInt> {
        self.0.deleted_cursor.map(BigInt::from)
    }
    /// Cursor of the last change.
    async fn last_cursor(&self) -> BigInt {
        BigInt::from(self.0.last_cursor)
    }
    /// The status of its blob id (all objects with this blob id).
    async fn blob_status(&self, ctx: &Context<'_>) -> async_graphql::Result<BlobId> {
        let row = paging::loaders(ctx)?
            .blob_status
            .load_one(self.0.blob_id.clone())
            .await?;
        Ok(BlobId {
            blob_id: self.0.blob_id.clone(),
            row,
        })
    }
    /// Fees at the registration epoch's prices (null when that epoch's prices are unknown).
    async fn fees(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<BlobFees>> {
        let Some(epoch) = paging::loaders(ctx)?
            .epochs
            .load_one(self.0.registered_epoch)
            .await?
        else {
            return Ok(None);
        };
        let (Some(storage_price), Some(write_price)) =
            (epoch.storage_price_u128(), epoch.write_price_u128())
        else {
            return Ok(None);
        };
        let units = i128::from(self.0.storage_size).div_euclid(1 << 20)
            + i128::from(self.0.storage_size.rem_euclid(1 << 20) != 0);
        let epochs = i128::from(self.0.end_epoch - self.0.storage_start_epoch).max(0);
        let write = write_price * units;
        let storage = storage_price * units * epochs;
        Ok(Some(BlobFees {
            storage_units: BigInt(units),
            write_fee: BigInt(write),
            storage_fee_estimate: BigInt(storage),
            total_estimate: BigInt(write + storage),
        }))
    }
    /// Its events (registration, certification, extensions, deletion), in stream order.
    #[graphql(complexity = "crate::limits::connection_cost(first, last, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Event>> {
        let page = paging::page(ctx, "events", after, before, first, last).await?;
        let shape = paging::shape(&page, event_bound)?;
        let child = paging::loaders(ctx)?
            .events
            .load_one(NestedKey {
                parent: self.0.object_id.clone(),
                page: shape,
            })
            .await?;
        Ok(child_connection(&page, child, event_key, Event))
    }
}

fn event_key(e: &EventRow) -> (Option<SortValue>, String) {
    (Some(SortValue::Int(e.cursor)), e.event_index.to_string())
}

fn event_bound(c: &Cursor) -> async_graphql::Result<Vec<Bound>> {
    let index: i64 =
        c.id.parse()
            .map_err(|_| async_graphql::Error::new("invalid cursor: not an event cursor"))?;
    Ok(vec![Bound::Int(int_key(c)?), Bound::Int(index)])
}

/// A chain event about a blob.
#[derive(Debug, Clone)]
pub struct Event(pub EventRow);

#[Object]
impl Event {
    /// Transaction cursor.
    async fn cursor(&self) -> BigInt {
        BigInt::from(self.0.cursor)
    }
    /// Index in the transaction.
    async fn event_index(&self) -> i32 {
        self.0.event_index
    }
    /// Transaction digest (hex).
    async fn tx_digest(&self) -> String {
        hex_id(&self.0.tx_digest)
    }
    /// Full Move type.
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    /// `module::Name`.
    async fn name(&self) -> &str {
        &self.0.event_name
    }
    /// The event's epoch field.
    async fn epoch(&self) -> Option<i32> {
        self.0.epoch
    }
    /// Ledger time of the transaction (ms).
    async fn timestamp_ms(&self) -> Option<BigInt> {
        self.0.timestamp_ms.map(BigInt::from)
    }
    /// decoded | unknown_type | decode_failed.
    async fn decode_status(&self) -> &str {
        &self.0.decode_status
    }
    /// The decoded fields.
    async fn data(&self) -> Option<Json<serde_json::Value>> {
        self.0.decoded.clone().map(Json)
    }
}

// === Listing ===

/// An inclusive range of epochs.
#[derive(Debug, Clone, Copy, InputObject)]
pub struct EpochRange {
    /// From this epoch (inclusive).
    pub from: Option<i32>,
    /// Up to this epoch (inclusive).
    pub to: Option<i32>,
}

/// An inclusive range of sizes (bytes).
#[derive(Debug, Clone, Copy, InputObject)]
pub struct SizeRange {
    /// At least.
    pub min: Option<BigInt>,
    /// At most.
    pub max: Option<BigInt>,
}

/// An attribute condition: the key is present (and has `value`, when given).
#[derive(Debug, Clone, InputObject)]
pub struct AttributeFilter {
    /// Key.
    pub key: String,
    /// Value.
    pub value: Option<String>,
}

/// Conditions on blobs (all must hold).
#[derive(Debug, Clone, Default, InputObject)]
pub struct BlobFilter {
    /// Owned by this address (or parent object).
    pub owner: Option<String>,
    /// One of these statuses (at the watermark's epoch).
    pub status: Option<Vec<BlobObjectStatus>>,
    /// With this blob id.
    pub blob_id: Option<String>,
    /// Certified within this epoch range.
    pub certified_epoch: Option<EpochRange>,
    /// Ending within this epoch range.
    pub end_epoch: Option<EpochRange>,
    /// Unencoded size within this range.
    pub size: Option<SizeRange>,
    /// Deletable or permanent.
    pub deletable: Option<bool>,
    /// Having this attribute.
    pub attribute: Option<AttributeFilter>,
}

/// Sort keys of `blobs`; ties are broken by object id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
pub enum BlobOrderField {
    /// Registration order.
    #[default]
    Created,
    /// Unencoded size.
    Size,
    /// End epoch.
    EndEpoch,
}

/// Direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Default)]
pub enum Direction {
    /// Ascending.
    #[default]
    Asc,
    /// Descending.
    Desc,
}

/// An order of `blobs`.
#[derive(Debug, Clone, Copy, Default, InputObject)]
pub struct BlobOrder {
    /// Sort key.
    #[graphql(default)]
    pub field: BlobOrderField,
    /// Direction.
    #[graphql(default)]
    pub direction: Direction,
}

impl BlobOrderField {
    fn column(self) -> &'static str {
        match self {
            Self::Created => "created_cursor",
            Self::Size => "size",
            Self::EndEpoch => "end_epoch",
        }
    }

    fn value(self, r: &BlobRow) -> i64 {
        match self {
            Self::Created => r.created_cursor,
            Self::Size => r.size,
            Self::EndEpoch => i64::from(r.end_epoch),
        }
    }
}

fn push_range(b: &mut QueryBuilder<Postgres>, col: &str, from: Option<i64>, to: Option<i64>) {
    if let Some(from) = from {
        b.push(" AND ").push(col).push(" >= ");
        b.push_bind(from);
    }
    if let Some(to) = to {
        b.push(" AND ").push(col).push(" <= ");
        b.push_bind(to);
    }
}

fn clamp(v: Option<BigInt>) -> Option<i64> {
    v.map(|v| i64::try_from(v.0).unwrap_or(if v.0 < 0 { i64::MIN } else { i64::MAX }))
}

/// The SQL of one `blobs` page: filter, keyset bounds, order, limit (+1 to see if more exist),
/// after `prefix` (empty, or `EXPLAIN ...` in the plan tests).
pub fn blobs_query(
    prefix: &str,
    filter: &BlobFilter,
    order: BlobOrder,
    page: &crate::cursor::Page,
) -> async_graphql::Result<QueryBuilder<Postgres>> {
    let mut b = QueryBuilder::<Postgres>::new(prefix);
    b.push("SELECT ");
    b.push(BLOB_COLUMNS)
        .push(" FROM blobs WHERE created_cursor <= ");
    b.push_bind(page.watermark);
    if let Some(owner) = &filter.owner {
        b.push(" AND owner = ");
        b.push_bind(parse_id("owner", owner)?);
    }
    if let Some(statuses) = &filter.status {
        b.push(" AND status = ANY(");
        b.push_bind(statuses.iter().map(|s| s.to_db()).collect::<Vec<_>>());
        b.push("::text[])");
    }
    if let Some(id) = &filter.blob_id {
        b.push(" AND blob_id = ");
        b.push_bind(parse_blob_id(id)?);
    }
    if let Some(r) = filter.certified_epoch {
        push_range(
            &mut b,
            "certified_epoch",
            r.from.map(i64::from),
            r.to.map(i64::from),
        );
        if r.from.is_none() && r.to.is_none() {
            b.push(" AND certified_epoch IS NOT NULL");
        }
    }
    if let Some(r) = filter.end_epoch {
        push_range(
            &mut b,
            "end_epoch",
            r.from.map(i64::from),
            r.to.map(i64::from),
        );
    }
    if let Some(r) = filter.size {
        push_range(&mut b, "size", clamp(r.min), clamp(r.max));
    }
    if let Some(d) = filter.deletable {
        b.push(" AND deletable = ");
        b.push_bind(d);
    }
    if let Some(a) = &filter.attribute {
        match &a.value {
            Some(v) => {
                b.push(" AND attributes @> ");
                b.push_bind(serde_json::json!({ a.key.clone(): v }));
            }
            None => {
                b.push(" AND attributes ? ");
                b.push_bind(a.key.clone());
            }
        }
    }
    let keyset = KeysetOrder {
        columns: &[order.field.column(), "object_id"],
        descending: order.direction == Direction::Desc,
        bound: |c: &Cursor| -> async_graphql::Result<Vec<Bound>> {
            Ok(vec![Bound::Int(int_key(c)?), Bound::Bytes(id_bytes(c)?)])
        },
    };
    keyset.push_page(&mut b, page)?;
    Ok(b)
}

/// Root fields about blobs.
#[derive(Debug, Default)]
pub struct BlobQuery;

#[Object]
impl BlobQuery {
    /// The status of a blob id and the objects that hold it (status NONEXISTENT when no
    /// object was ever registered with it).
    async fn blob(&self, ctx: &Context<'_>, blob_id: String) -> async_graphql::Result<BlobId> {
        let id = parse_blob_id(&blob_id)?;
        // A root field resolves once: read the row directly (a DataLoader would wait for a
        // batch that cannot come).
        let mut b = QueryBuilder::<Postgres>::new(BLOB_STATUS_ROWS.select);
        b.push(" WHERE blob_id = ");
        b.push_bind(id.clone());
        let row = paging::snapshot(ctx)?
            .fetch_optional(b.build())
            .await?
            .map(|r| <BlobStatusRow as sqlx::FromRow<_>>::from_row(&r))
            .transpose()?;
        Ok(BlobId { blob_id: id, row })
    }

    /// One Blob object by id.
    async fn blob_object(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> async_graphql::Result<Option<Blob>> {
        let id = parse_id("id", &id)?;
        let mut b = QueryBuilder::<Postgres>::new("SELECT ");
        b.push(BLOB_COLUMNS).push(" FROM blobs WHERE object_id = ");
        b.push_bind(id);
        let row = paging::snapshot(ctx)?.fetch_optional(b.build()).await?;
        Ok(row
            .map(|r| <BlobRow as sqlx::FromRow<_>>::from_row(&r))
            .transpose()?
            .map(Blob))
    }

    /// Blob objects matching `filter`, in `orderBy` order (default: registration order).
    /// Pages after the first exclude objects registered after the first page's watermark.
    #[graphql(complexity = "crate::limits::connection_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)] // GraphQL field arguments: filter, order, Relay paging
    async fn blobs(
        &self,
        ctx: &Context<'_>,
        filter: Option<BlobFilter>,
        order_by: Option<BlobOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, Blob>> {
        let page = paging::page(ctx, "blobs", after, before, first, last).await?;
        let order = order_by.unwrap_or_default();
        let query = blobs_query("", &filter.unwrap_or_default(), order, &page)?;
        let (rows, more) = paging::read_page::<BlobRow>(ctx, query, &page).await?;
        Ok(connection(
            &page,
            rows,
            more,
            |r| {
                (
                    Some(SortValue::Int(order.field.value(r))),
                    hex::encode(&r.object_id),
                )
            },
            Blob,
        ))
    }

    /// Storage resources (not yet used by a blob) owned by `owner`, by object id.
    #[graphql(complexity = "crate::limits::connection_cost(first, last, child_complexity)")]
    async fn storage_resources(
        &self,
        ctx: &Context<'_>,
        owner: String,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Cursor, StorageResource>> {
        let owner = parse_id("owner", &owner)?;
        let page = paging::page(ctx, "storageResources", after, before, first, last).await?;
        let mut b = QueryBuilder::<Postgres>::new(
            "SELECT object_id, owner, start_epoch, end_epoch, storage_size, created_cursor \
             FROM storage_resources WHERE owner = ",
        );
        b.push_bind(owner).push(" AND created_cursor <= ");
        b.push_bind(page.watermark);
        let (rows, more) =
            paging::fetch_page::<StorageRow, _>(ctx, b, &page, &paging::BY_OBJECT_ID).await?;
        Ok(connection(
            &page,
            rows,
            more,
            |r| (None, hex::encode(&r.object_id)),
            |r| StorageResource {
                id: hex_id(&r.object_id),
                owner: r.owner.as_deref().map(hex_id),
                start_epoch: r.start_epoch,
                end_epoch: r.end_epoch,
                storage_size: BigInt::from(r.storage_size),
            },
        ))
    }
}

/// A `storage_resources` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StorageRow {
    object_id: Vec<u8>,
    owner: Option<Vec<u8>>,
    start_epoch: i32,
    end_epoch: i32,
    storage_size: i64,
}

/// A storage resource not (yet) used by a blob.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct StorageResource {
    /// Object id.
    pub id: String,
    /// Owner address.
    pub owner: Option<String>,
    /// First epoch.
    pub start_epoch: i32,
    /// End epoch (exclusive).
    pub end_epoch: i32,
    /// Encoded bytes.
    pub storage_size: BigInt,
}

#[ComplexObject]
impl StorageResource {
    /// Epochs the resource covers.
    async fn epochs(&self) -> i32 {
        (self.end_epoch - self.start_epoch).max(0)
    }
}
