#![allow(clippy::unwrap_used)]
//! The list queries' plans on a populated index (synthetic rows, ANALYZEd): every filter and
//! order of `blobs` and the other listings reads through an index, never a sequential scan of
//! a large table.

use serde_json::Value;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use walrus_graphql::blobs::{
    AttributeFilter, BlobFilter, BlobObjectStatus, BlobOrder, BlobOrderField, Direction,
    EpochRange, SizeRange, blobs_query,
};
use walrus_graphql::cursor::{Cursor, Page, SortValue};
use walrus_graphql::db::with_watermark;
use walrus_graphql::synthetic::{Sizes, populate};
use walrus_graphql::types::BigInt;

/// Node types in a JSON plan, recursively, with their relation.
fn scans(plan: &Value, out: &mut Vec<String>) {
    if let Some(node) = plan.get("Node Type").and_then(Value::as_str) {
        let relation = plan
            .get("Relation Name")
            .and_then(Value::as_str)
            .unwrap_or("");
        out.push(format!("{node} {relation}").trim().to_owned());
    }
    if let Some(children) = plan.get("Plans").and_then(Value::as_array) {
        for c in children {
            scans(c, out);
        }
    }
}

async fn plan_of(pool: &PgPool, mut b: sqlx::QueryBuilder<sqlx::Postgres>) -> Vec<String> {
    let rows: Vec<Value> = b
        .build_query_scalar::<Value>()
        .fetch_all(pool)
        .await
        .unwrap();
    let mut out = Vec::new();
    scans(&rows[0][0]["Plan"], &mut out);
    out
}

fn assert_indexed(what: &str, plan: &[String]) {
    assert!(
        !plan.iter().any(|n| n.starts_with("Seq Scan")),
        "{what} scans a table: {plan:?}"
    );
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn list_queries_use_indexes(_p: PgPoolOptions, options: PgConnectOptions) {
    let pool = PgPool::connect_with(options).await.unwrap();
    let sizes = Sizes {
        blobs: 60_000,
        pools: 100,
        epochs: 20,
        positions: 20_000,
        owners: 2_000,
    };
    let watermark = populate(&pool, sizes).await.unwrap();
    let owner: Vec<u8> = sqlx::query_scalar("SELECT owner FROM blobs WHERE created_cursor = 20")
        .fetch_one(&pool)
        .await
        .unwrap();
    let owner_hex = format!("0x{}", hex::encode(&owner));
    let page = |after: Option<Cursor>, backward: bool| Page {
        after: after.clone(),
        before: None,
        limit: 50,
        backward,
        watermark,
    };
    let cursor = Cursor {
        w: watermark,
        k: Some(SortValue::Int(1_000)),
        id: "00".repeat(32),
    };
    let filters: Vec<(&str, BlobFilter)> = vec![
        ("no filter", BlobFilter::default()),
        (
            "owner",
            BlobFilter {
                owner: Some(owner_hex.clone()),
                ..Default::default()
            },
        ),
        (
            "owner and status",
            BlobFilter {
                owner: Some(owner_hex.clone()),
                status: Some(vec![BlobObjectStatus::Certified]),
                ..Default::default()
            },
        ),
        (
            "status registered",
            BlobFilter {
                status: Some(vec![BlobObjectStatus::Deleted]),
                ..Default::default()
            },
        ),
        (
            "end epoch",
            BlobFilter {
                end_epoch: Some(EpochRange {
                    from: Some(5),
                    to: Some(6),
                }),
                ..Default::default()
            },
        ),
        (
            "certified epoch",
            BlobFilter {
                certified_epoch: Some(EpochRange {
                    from: Some(3),
                    to: Some(3),
                }),
                ..Default::default()
            },
        ),
        (
            "size",
            BlobFilter {
                size: Some(SizeRange {
                    min: Some(BigInt(1_000)),
                    max: Some(BigInt(2_000)),
                }),
                ..Default::default()
            },
        ),
        (
            "attribute",
            BlobFilter {
                attribute: Some(AttributeFilter {
                    key: "content-type".into(),
                    value: Some("image/png".into()),
                }),
                ..Default::default()
            },
        ),
        (
            "blob id",
            BlobFilter {
                blob_id: Some(walrus_graphql::types::blob_id_text(&[7u8; 32])),
                ..Default::default()
            },
        ),
    ];
    let orders = [
        BlobOrder::default(),
        BlobOrder {
            field: BlobOrderField::Size,
            direction: Direction::Desc,
        },
        BlobOrder {
            field: BlobOrderField::EndEpoch,
            direction: Direction::Asc,
        },
    ];
    for (name, filter) in &filters {
        for order in orders {
            // Orders other than registration only with the filters that match them, as the
            // API documents (a size order over a size range, an end-epoch order over an
            // end-epoch range, or none).
            let fits = order.field == BlobOrderField::Created
                || (order.field == BlobOrderField::Size
                    && (filter.size.is_some() || *name == "no filter"))
                || (order.field == BlobOrderField::EndEpoch
                    && (filter.end_epoch.is_some() || *name == "no filter"));
            if !fits {
                continue;
            }
            for (after, backward) in [(None, false), (Some(cursor.clone()), false), (None, true)] {
                let b = blobs_query(
                    "EXPLAIN (FORMAT JSON) ",
                    filter,
                    order,
                    &page(after, backward),
                )
                .unwrap();
                let plan = plan_of(&pool, b).await;
                assert_indexed(&format!("blobs({name}, {order:?})"), &plan);
            }
        }
    }

    // The other listings, as the resolvers send them.
    let id = vec![1u8; 32];
    let others: Vec<(&str, &str)> = vec![
        (
            "events of a blob",
            "EXPLAIN (FORMAT JSON) SELECT * FROM unnest($1::bytea[]) AS p(pid) CROSS JOIN LATERAL \
          (SELECT cursor FROM events WHERE object_id = p.pid AND cursor <= 1000000000 ORDER BY cursor, event_index LIMIT 11) c",
        ),
        (
            "objects of a blob id",
            "EXPLAIN (FORMAT JSON) SELECT * FROM unnest($1::bytea[]) AS p(pid) CROSS JOIN LATERAL \
          (SELECT object_id FROM blobs WHERE blob_id = p.pid AND created_cursor <= 1000000000 ORDER BY object_id LIMIT 11) c",
        ),
        (
            "exchange rates of a pool",
            "EXPLAIN (FORMAT JSON) SELECT * FROM unnest($1::bytea[]) AS p(pid) CROSS JOIN LATERAL \
          (SELECT epoch FROM pool_exchange_rates WHERE node_id = p.pid ORDER BY epoch DESC LIMIT 11) c",
        ),
        (
            "positions of a delegator",
            "EXPLAIN (FORMAT JSON) SELECT object_id FROM staked_wal WHERE owner = $1 \
          AND created_cursor <= 1000000000 AND NOT deleted ORDER BY object_id LIMIT 51",
        ),
        (
            "totals of a delegator",
            "EXPLAIN (FORMAT JSON) SELECT count(*), sum(principal) FROM staked_wal \
          WHERE owner = $1 AND NOT deleted",
        ),
        (
            "blob status",
            "EXPLAIN (FORMAT JSON) SELECT status FROM blob_status WHERE blob_id = ANY(ARRAY[$1]::bytea[])",
        ),
    ];
    for (name, sql) in others {
        let arg: Vec<u8> = if name.contains("delegator") {
            owner.clone()
        } else {
            id.clone()
        };
        let plan: Vec<Value> = if sql.contains("unnest($1::bytea[])") {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(vec![arg])
                .fetch_all(&pool)
                .await
                .unwrap()
        } else {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(arg)
                .fetch_all(&pool)
                .await
                .unwrap()
        };
        let mut out = Vec::new();
        scans(&plan[0][0]["Plan"], &mut out);
        assert_indexed(name, &out);
    }

    // A request's first statement reads the watermark in the same statement
    // (`db::with_watermark`): the wrapped statement uses the same indexes (the one-row
    // `watermarks` table aside).
    for (name, inner, arg) in [
        (
            "blob status, as a first statement",
            "SELECT status FROM blob_status WHERE blob_id = $1",
            id.clone(),
        ),
        (
            "positions of a delegator, as a first statement",
            "SELECT object_id FROM staked_wal WHERE owner = $1 AND created_cursor <= 1000000000 \
             AND NOT deleted ORDER BY object_id LIMIT 51",
            owner.clone(),
        ),
    ] {
        let sql = format!("EXPLAIN (FORMAT JSON) {}", with_watermark(inner, 2));
        let plan: Vec<Value> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(arg)
            .bind("walrus")
            .fetch_all(&pool)
            .await
            .unwrap();
        let mut out = Vec::new();
        scans(&plan[0][0]["Plan"], &mut out);
        out.retain(|n| n != "Seq Scan watermarks");
        assert_indexed(name, &out);
    }

    // The check itself: a condition no index serves is seen as a sequential scan.
    let plan: Vec<Value> = sqlx::query_scalar(
        "EXPLAIN (FORMAT JSON) SELECT object_id FROM blobs WHERE encoding_type = 2 LIMIT 51",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    scans(&plan[0][0]["Plan"], &mut out);
    assert!(out.iter().any(|n| n == "Seq Scan blobs"), "{out:?}");
}
