#![allow(clippy::unwrap_used)]
//! The staking dashboard in headless Chromium: the page loads, renders the epoch, the pools in
//! the API's order with their APY, the selected pool's chart and a delegator's totals, checked
//! against the API's own answers; a screenshot is saved to the test's target directory
//! (`dashboard.png`). Skipped, saying so, when no `chromium` is installed.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use walrus_graphql::synthetic::{Sizes, populate};
use walrus_graphql::{AppState, Limits};

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

async fn api(endpoint: &str, query: &str, variables: Value) -> Value {
    let body = serde_json::to_vec(&json!({"query": query, "variables": variables})).unwrap();
    let response = reqwest::Client::new()
        .post(endpoint)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&response).unwrap();
    assert!(v.get("errors").is_none(), "{v}");
    v["data"].clone()
}

/// The text of the first element with `id="<id>"` in `html` (no nested tags).
fn text_of(html: &str, id: &str) -> String {
    let start = html.find(&format!("id=\"{id}\"")).unwrap();
    let open = start + html[start..].find('>').unwrap() + 1;
    let close = open + html[open..].find('<').unwrap();
    html[open..close].to_owned()
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn dashboard_renders_the_api_numbers(_p: PgPoolOptions, options: PgConnectOptions) {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no chromium installed (apt-get install -y chromium)");
        return;
    };
    let pool = PgPool::connect_with(options).await.unwrap();
    populate(
        &pool,
        Sizes {
            blobs: 2_000,
            pools: 12,
            epochs: 8,
            positions: 400,
            owners: 50,
        },
    )
    .await
    .unwrap();
    let owner: Vec<u8> =
        sqlx::query_scalar("SELECT owner FROM staked_wal ORDER BY created_cursor LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let address = format!("0x{}", hex::encode(owner));
    let app = walrus_graphql::router(AppState::new(pool, "walrus", Limits::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let base = format!("http://127.0.0.1:{port}");
    let endpoint = format!("{base}/graphql");
    let url = format!("{base}/dashboard?address={address}");

    let screenshot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
    let run = |extra: Vec<String>| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let mut args = vec![
                "--headless".to_owned(),
                "--no-sandbox".into(),
                "--disable-gpu".into(),
                "--disable-dev-shm-usage".into(),
                "--virtual-time-budget=15000".into(),
                "--window-size=1200,1800".into(),
            ];
            args.extend(extra);
            args.push(url);
            Command::new(browser).args(&args).output().unwrap()
        })
    };
    let dom = tokio::time::timeout(Duration::from_secs(90), run(vec!["--dump-dom".into()]))
        .await
        .unwrap()
        .unwrap();
    let html = String::from_utf8_lossy(&dom.stdout).to_string();
    assert!(
        html.contains("data-loaded=\"true\""),
        "the page did not finish loading:\n{}\n{html}",
        String::from_utf8_lossy(&dom.stderr)
    );
    assert_eq!(text_of(&html, "error"), "");

    // The epoch clock against the API.
    let d = api(&endpoint, "{ watermark { cursor epoch } }", json!({})).await;
    assert_eq!(text_of(&html, "epoch"), d["watermark"]["epoch"].to_string());
    assert_eq!(
        text_of(&html, "watermark"),
        format!("cursor {}", d["watermark"]["cursor"].as_str().unwrap())
    );

    // Pools in the API's APY order, with their APY and commission.
    let d = api(
        &endpoint,
        "{ stakingPools(orderBy: APY, first: 100) { nodes { name apy commissionRate shards } } }",
        json!({}),
    )
    .await;
    let pools = d["stakingPools"]["nodes"].as_array().unwrap();
    let tbody = &html[html.find("<tbody>").unwrap()..];
    let mut at = 0;
    for p in pools {
        let name = p["name"].as_str().unwrap();
        let pos = tbody[at..]
            .find(&format!("<td>{name}</td>"))
            .unwrap_or_else(|| panic!("pool {name} missing or out of order"));
        at += pos;
        let row = &tbody[at..at + tbody[at..].find("</tr>").unwrap()];
        let apy = format!("{:.2}%", p["apy"].as_f64().unwrap() * 100.0);
        assert!(
            row.contains(&format!("<td class=\"apy\">{apy}</td>")),
            "{row} lacks {apy}"
        );
        let commission = format!("{:.2}%", p["commissionRate"].as_f64().unwrap() / 100.0);
        assert!(
            row.contains(&format!("<td class=\"commission\">{commission}</td>")),
            "{row}"
        );
        assert!(
            row.contains(&format!("<td class=\"shards\">{}</td>", p["shards"])),
            "{row}"
        );
    }

    // The first pool's chart is drawn; the delegator's totals are the API's.
    assert!(html.contains("<polyline"), "no chart");
    let d = api(
        &endpoint,
        "query($a: String!) { delegator(address: $a) { totals { positions } } }",
        json!({"a": address}),
    )
    .await;
    let totals = text_of(&html, "totals");
    assert!(
        totals.starts_with(&format!(
            "{} position(s)",
            d["delegator"]["totals"]["positions"]
        )),
        "{totals}"
    );

    // A screenshot for people.
    let shot = tokio::time::timeout(
        Duration::from_secs(90),
        run(vec![format!("--screenshot={}", screenshot.display())]),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    assert!(screenshot.exists());
    eprintln!("screenshot: {}", screenshot.display());
}
