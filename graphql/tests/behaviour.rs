#![allow(clippy::unwrap_used)]
//! Paging forwards and backwards while the indexer inserts rows, the limits, and DataLoader
//! batching (the number of database statements does not grow with the page size).

mod support;

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use support::{Client, addr, devnet, index, scenario, url};
use walrus_graphql::db::DbError;
use walrus_graphql::{Limits, Snapshot};

const PAGE_Q: &str = "query($f: BlobFilter, $first: Int, $after: String, $last: Int, $before: String) { \
    blobs(filter: $f, first: $first, after: $after, last: $last, before: $before) { \
    nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

fn ids(data: &Value) -> Vec<String> {
    data["blobs"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Pages through `filter` forwards with pages of `n`, starting from the first page's cursor
/// `start` (if given): all ids.
async fn forwards(c: &Client, filter: &Value, n: i32, mut after: Option<String>) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let data = c
            .data(PAGE_Q, json!({"f": filter, "first": n, "after": after}))
            .await;
        out.extend(ids(&data));
        let info = &data["blobs"]["pageInfo"];
        if info["hasNextPage"] != true {
            return out;
        }
        after = Some(info["endCursor"].as_str().unwrap().to_owned());
    }
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn pages_are_stable_while_the_indexer_inserts(_p: PgPoolOptions, options: PgConnectOptions) {
    let d = devnet();
    let _s = scenario(&d);
    let url = url(&options);
    index(&d, &url).await;
    let c = Client::new(&url, Limits::default()).await;
    let filter = json!({"owner": addr(&d, 0)});
    let all_before = forwards(&c, &filter, 100, None).await;
    assert_eq!(all_before.len(), 8);

    // First page of 3, then the indexer inserts more of account 0's blobs.
    let first = c.data(PAGE_Q, json!({"f": filter, "first": 3})).await;
    assert_eq!(ids(&first), all_before[..3]);
    assert_eq!(first["blobs"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["blobs"]["pageInfo"]["hasPreviousPage"], false);
    let end = first["blobs"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_owned();
    for k in 0..4u64 {
        d.store_blob(0, 50 + k, 500 + k, 3, false).unwrap();
    }
    index(&d, &url).await;

    // The rest of the listing, from the first page's cursor: exactly the rows of its
    // watermark, none of the new ones.
    let rest = forwards(&c, &filter, 2, Some(end.clone())).await;
    assert_eq!(rest, all_before[3..]);
    // A new listing sees the new blobs, after the old ones (registration order).
    let all_after = forwards(&c, &filter, 5, None).await;
    assert_eq!(all_after.len(), 12);
    assert_eq!(all_after[..8], all_before[..]);

    // Backwards from the end of the new listing with `last`/`before`: the same rows reversed
    // page by page.
    let mut before: Option<String> = None;
    let mut backwards: Vec<String> = Vec::new();
    loop {
        let data = c
            .data(PAGE_Q, json!({"f": filter, "last": 5, "before": before}))
            .await;
        let mut page = ids(&data);
        page.extend(backwards);
        backwards = page;
        let info = &data["blobs"]["pageInfo"];
        if info["hasPreviousPage"] != true {
            break;
        }
        before = Some(info["startCursor"].as_str().unwrap().to_owned());
    }
    assert_eq!(backwards, all_after);

    // Backwards from a cursor of the old listing: still the old listing's rows.
    let data = c
        .data(PAGE_Q, json!({"f": filter, "last": 10, "before": end}))
        .await;
    assert_eq!(ids(&data), all_before[..2]);

    // Pools, paged one by one in each order (APY is null for pools without two recorded
    // rates: they sort last and their cursors still work), forwards and backwards.
    let pools_q = "query($o: PoolOrder, $first: Int, $after: String, $last: Int, $before: String) { \
        stakingPools(orderBy: $o, first: $first, after: $after, last: $last, before: $before) { \
        nodes { id apy } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
    for order in ["STAKE", "APY", "COMMISSION"] {
        let all = c.data(pools_q, json!({"o": order, "first": 100})).await;
        let all: Vec<Value> = all["stakingPools"]["nodes"].as_array().unwrap().clone();
        let mut after: Option<String> = None;
        let mut one_by_one = Vec::new();
        loop {
            let data = c
                .data(pools_q, json!({"o": order, "first": 1, "after": after}))
                .await;
            one_by_one.extend(data["stakingPools"]["nodes"].as_array().unwrap().clone());
            let info = &data["stakingPools"]["pageInfo"];
            if info["hasNextPage"] != true {
                break;
            }
            after = Some(info["endCursor"].as_str().unwrap().to_owned());
        }
        assert_eq!(one_by_one, all, "{order}");
        let mut before: Option<String> = None;
        let mut backwards = Vec::new();
        loop {
            let data = c
                .data(pools_q, json!({"o": order, "last": 1, "before": before}))
                .await;
            let mut page = data["stakingPools"]["nodes"].as_array().unwrap().clone();
            page.extend(backwards);
            backwards = page;
            let info = &data["stakingPools"]["pageInfo"];
            if info["hasPreviousPage"] != true {
                break;
            }
            before = Some(info["startCursor"].as_str().unwrap().to_owned());
        }
        assert_eq!(backwards, all, "{order} backwards");
    }

    // Cursors are checked.
    let errors = c
        .errors(PAGE_Q, json!({"f": filter, "first": 2, "after": "garbage"}))
        .await;
    assert!(errors[0].contains("invalid cursor"), "{errors:?}");
    let errors = c.errors(PAGE_Q, json!({"first": 2, "last": 2})).await;
    assert!(errors[0].contains("either `first` or `last`"), "{errors:?}");
    let errors = c.errors(PAGE_Q, json!({"first": -1})).await;
    assert!(!errors.is_empty());
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn limits_reject_with_the_limit_and_the_excess(_p: PgPoolOptions, options: PgConnectOptions) {
    let d = devnet();
    scenario(&d);
    let url = url(&options);
    index(&d, &url).await;
    let limits = Limits {
        max_query_depth: 5,
        max_query_complexity: 500,
        max_page_size: 30,
        max_request_bytes: 2_000,
        request_timeout: Duration::from_millis(400),
        ..Limits::default()
    };
    let c = Client::new(&url, limits).await;

    // Depth: blobs > nodes > blobStatus > objects > nodes > id = 6.
    let errors = c
        .errors(
            "{ blobs(first: 1) { nodes { blobStatus { objects(first: 1) { nodes { id } } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        errors,
        ["query depth limit: depth 6 exceeds the maximum 5 by 1"]
    );

    // Complexity: events = 30 × (nodes + name + epoch) + 1 = 91; blobs = 30 × (nodes + 91) + 1.
    let errors = c
        .errors(
            "{ blobs(first: 30) { nodes { events(first: 30) { nodes { name epoch } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .starts_with("query complexity limit: complexity 2761 exceeds the maximum 500 by 2261"),
        "{errors:?}"
    );

    // Page size.
    let errors = c
        .errors("{ blobs(first: 31) { nodes { id } } }", json!({}))
        .await;
    assert_eq!(
        errors,
        ["page size limit: first: 31 on blobs exceeds the maximum page size 30 by 1"]
    );
    let errors = c
        .errors("{ stakingPools(last: 40) { nodes { id } } }", json!({}))
        .await;
    assert!(errors[0].contains("last: 40 on stakingPools exceeds the maximum page size 30 by 10"));

    // Request body size.
    let padding = " ".repeat(2_100);
    let body =
        serde_json::to_vec(&json!({"query": format!("{{ watermark {{ epoch }} {padding} }}")}))
            .unwrap();
    let n = body.len();
    let (status, response) = c.post_raw(body, false).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        response["errors"][0]["message"],
        format!(
            "request body size limit: {n} bytes exceeds the maximum 2000 bytes by {}",
            n - 2_000
        )
    );
    let (status, response) = c.post_raw(b"{not json".to_vec(), false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a GraphQL request")
    );

    // Timeout: another session holds an exclusive lock on the watermark table, so the
    // request's first read waits; the request is cut at the limit.
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let mut locker = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE watermarks IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *locker)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let errors = c.errors("{ watermark { epoch } }", json!({})).await;
    assert_eq!(
        errors,
        ["request timeout: the request ran longer than the limit of 400 ms"]
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    locker.rollback().await.unwrap();
    // And the server is fine afterwards.
    let data = c.data("{ watermark { epoch } }", json!({})).await;
    assert_eq!(data["watermark"]["epoch"], 3);
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn lists_load_children_in_batches(_p: PgPoolOptions, options: PgConnectOptions) {
    let d = devnet();
    scenario(&d);
    let url = url(&options);
    index(&d, &url).await;
    let c = Client::new(&url, Limits::default()).await;
    let q = "query($n: Int) { blobs(first: $n) { nodes { id blobStatus { status \
             objects(first: 2) { nodes { id } } } events(first: 3) { nodes { name } } \
             fees { writeFee } } } \
             stakingPools(first: $n) { nodes { exchangeRates(first: 2) { nodes { epoch } } \
             epochs(first: 2) { nodes { epoch } } apyOver(epochs: 2) } } \
             epochs(first: $n) { nodes { committee { pool { name } } } } \
             delegator(address: \"0x1\") { positions(first: $n) { nodes { pool { name } } } } }";
    let mut counts = Vec::new();
    for n in [1, 3, 10] {
        let body = serde_json::to_vec(&json!({"query": q, "variables": {"n": n}})).unwrap();
        let (_, response) = c.post_raw(body, true).await;
        assert!(response.get("errors").is_none(), "{response}");
        let nodes = response["data"]["blobs"]["nodes"].as_array().unwrap().len();
        assert_eq!(nodes, n.min(15) as usize);
        counts.push(
            response["extensions"]["usage"]["dbStatements"]
                .as_u64()
                .unwrap(),
        );
    }
    // With N+1 loading, 10 parents with 8 child lists each would take more than 80
    // statements. Batched, it is one per list and one per batched child list (begin +
    // watermark, blobs, blob_status, objects, events, epochs, pools, rates (a page and the APY
    // window), pool epochs, the epochs list, committees, member pools, positions): the same
    // bound for 1, 3 and 10 parents. (A batch can split in two when parents resolve in two
    // waves, so the count may differ by one or two between runs, never with the page size.)
    assert!(counts.iter().all(|&n| n <= 16), "{counts:?}");
}

fn cursor_of(v: &Value) -> i64 {
    v.as_str().unwrap().parse().unwrap()
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn requests_read_one_snapshot_in_as_few_statements_as_they_need(
    _p: PgPoolOptions,
    options: PgConnectOptions,
) {
    let d = devnet();
    let s = scenario(&d);
    let url = url(&options);
    let head = i64::try_from(index(&d, &url).await).unwrap();
    let c = Client::new(&url, Limits::default()).await;
    let run = |query: &str, variables: Value| {
        let body = serde_json::to_vec(&json!({"query": query, "variables": variables})).unwrap();
        let c = c.clone();
        async move { c.post_raw(body, true).await.1 }
    };

    // A blob by id is one statement, the watermark read in it; also when the blob id is
    // unknown (no row, still the watermark).
    let blob_q = "query($id: String!) { blob(blobId: $id) { status objectsTotal } }";
    let r = run(blob_q, json!({"id": s.permanent.blob_id.to_string()})).await;
    assert_eq!(r["data"]["blob"]["status"], "CERTIFIED", "{r}");
    assert_eq!(r["data"]["blob"]["objectsTotal"], 2);
    assert_eq!(r["extensions"]["usage"]["dbStatements"], 1, "{r}");
    assert_eq!(cursor_of(&r["extensions"]["watermark"]["cursor"]), head);
    let nobody = walrus_chain::testing::blob_id_for(4_242, 4_242);
    let r = run(blob_q, json!({"id": nobody.to_string()})).await;
    assert_eq!(r["data"]["blob"]["status"], "NONEXISTENT", "{r}");
    assert_eq!(r["extensions"]["usage"]["dbStatements"], 1);
    assert_eq!(cursor_of(&r["extensions"]["watermark"]["cursor"]), head);

    // The first statement keeps its own order (here descending) and its rows.
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let direct: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT object_id FROM blobs ORDER BY size DESC, object_id DESC")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(direct.len() > 10);
    let snapshot = Snapshot::new(pool.clone(), "walrus", Duration::from_secs(5));
    let rows = snapshot
        .fetch_all(sqlx::query(
            "SELECT object_id FROM blobs ORDER BY size DESC, object_id DESC",
        ))
        .await
        .unwrap();
    let wrapped: Vec<Vec<u8>> = rows
        .iter()
        .map(|r| sqlx::Row::get::<Vec<u8>, _>(r, "object_id"))
        .collect();
    assert_eq!(wrapped, direct);
    assert_eq!(snapshot.opened_at().map(|w| w.cursor), Some(head));
    // A second statement at the same watermark continues in a transaction.
    let rows = snapshot
        .fetch_all(sqlx::query("SELECT 1 AS one"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!snapshot.moved());
    assert_eq!(
        snapshot.query_count(),
        1 + 2 + 1,
        "first, begin + watermark, second"
    );
    snapshot.close().await;

    // The indexer commits between the first statement and the second: the snapshot refuses
    // to mix the two.
    let snapshot = Snapshot::new(pool.clone(), "walrus", Duration::from_secs(5));
    snapshot
        .fetch_all(sqlx::query("SELECT 1 AS one"))
        .await
        .unwrap();
    sqlx::query("UPDATE watermarks SET cursor_hi = cursor_hi + 1 WHERE pipeline = 'walrus'")
        .execute(&pool)
        .await
        .unwrap();
    let moved = snapshot.fetch_all(sqlx::query("SELECT 1 AS one")).await;
    assert!(
        matches!(moved, Err(DbError::Moved { first, now }) if first == head && now == head + 1),
        "{moved:?}"
    );
    assert!(snapshot.moved());
    assert!(snapshot.watermark().await.is_ok_and(|w| w.cursor == head));
    snapshot.close().await;

    // Through the server: a request of several statements while the watermark keeps moving
    // is run again in a transaction when it moved, so the data and the extension always
    // agree on one watermark. (The writer only advances the watermark row; the rows stay.)
    let writer = {
        let pool = pool.clone();
        tokio::spawn(async move {
            loop {
                sqlx::query(
                    "UPDATE watermarks SET cursor_hi = cursor_hi + 1 WHERE pipeline = 'walrus'",
                )
                .execute(&pool)
                .await
                .unwrap();
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };
    // (Root fields resolve concurrently, in order: the blob is the first statement, then the
    // totals open the transaction.)
    let multi_q = "query($id: String!, $a: String!) { blob(blobId: $id) { status } \
                   delegator(address: $a) { totals { positions } } watermark { cursor } }";
    let mut retried = 0;
    for _ in 0..100 {
        let r = run(
            multi_q,
            json!({"id": s.permanent.blob_id.to_string(), "a": addr(&d, 0)}),
        )
        .await;
        assert!(r.get("errors").is_none(), "{r}");
        assert_eq!(r["data"]["blob"]["status"], "CERTIFIED");
        assert_eq!(r["data"]["delegator"]["totals"]["positions"], 1);
        assert_eq!(
            r["data"]["watermark"]["cursor"],
            r["extensions"]["watermark"]["cursor"]
        );
        if r["extensions"]["usage"]["retried"] == true {
            retried += 1;
        }
    }
    writer.abort();
    assert!(retried > 0, "the watermark moved under no request");
}

/// Requests beyond `max_concurrent_requests` wait for a slot: with one slot, taken by a request
/// that waits for the (only, held) database connection until its timeout, a request that
/// needs no database waits until that timeout frees the slot; with two slots it is answered at
/// once. Once the connection is free, a burst of requests drains through one slot.
#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn requests_beyond_the_concurrency_limit_queue_within_the_timeout(
    _p: PgPoolOptions,
    options: PgConnectOptions,
) {
    let d = devnet();
    let _s = scenario(&d);
    let url = url(&options);
    index(&d, &url).await;
    let needs_db = "{ watermark { cursor } }";
    let no_db = "{ serviceConfig { maxConcurrentRequests } }";
    for slots in [1usize, 2] {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap();
        let limits = Limits {
            max_concurrent_requests: slots,
            request_timeout: Duration::from_millis(400),
            ..Limits::default()
        };
        let c = Client {
            router: walrus_graphql::router(walrus_graphql::AppState::new(
                pool.clone(),
                "walrus",
                limits,
            )),
        };
        let held = pool.acquire().await.unwrap();
        let first = {
            let c = c.clone();
            tokio::spawn(async move { c.run(needs_db, json!({})).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = std::time::Instant::now();
        let second = c.run(no_db, json!({})).await;
        let waited = started.elapsed();
        let first = first.await.unwrap();
        let message = first["errors"][0]["message"].as_str().unwrap_or("");
        assert!(message.starts_with("request timeout"), "{first}");
        assert_eq!(
            second["data"]["serviceConfig"]["maxConcurrentRequests"], slots,
            "{second}"
        );
        // The slot frees 400 ms after the first request started, 300 ms after the second.
        if slots == 1 {
            assert!(
                waited >= Duration::from_millis(250),
                "answered after {waited:?}"
            );
        } else {
            assert!(
                waited < Duration::from_millis(250),
                "answered after {waited:?}"
            );
        }
        drop(held);
        let burst: Vec<_> = (0..8)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { c.run(needs_db, json!({})).await })
            })
            .collect();
        for r in burst {
            let r = r.await.unwrap();
            assert!(r["errors"].is_null(), "{r}");
            assert!(r["data"]["watermark"]["cursor"].is_string(), "{r}");
        }
    }
}
