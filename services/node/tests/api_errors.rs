#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
//! The storage node answers every bad request the reference's API names with the reference's
//! HTTP status, `status`, `reason` and domain, in an envelope whose `code` and `status` are a
//! row of the reference's status table, and none of them changes what the node stores.

mod support;

use walrus_node_api::{ERROR_DOMAIN, ErrorEnvelope};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_bad_request_gets_the_reference_status_and_reason_and_changes_nothing() {
    let fixture = support::error_cases::fixture(31).await;
    let before = fixture.snapshot().await;
    let cases = fixture.cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let http = reqwest::Client::new();
    let mut failures = Vec::new();
    for case in &cases {
        let url = format!("{}{}", fixture.url, case.path);
        let mut request = match case.method {
            "GET" => http.get(&url),
            "PUT" => http.put(&url),
            "POST" => http.post(&url),
            other => panic!("method {other}"),
        };
        if let Some(content_type) = case.content_type {
            request = request.header("content-type", content_type);
        }
        if !case.body.is_empty() {
            request = request.body(case.body.clone());
        }
        let response = request.send().await.unwrap();
        let code = response.status().as_u16();
        let body = response.bytes().await.unwrap();
        let envelope: Result<ErrorEnvelope, _> = serde_json::from_slice(&body);
        let got = match &envelope {
            Ok(e) => (
                code,
                e.error.status.as_str(),
                e.reason().unwrap_or(""),
                e.error.details.first().map_or("", |d| d.domain.as_str()),
            ),
            Err(_) => (code, "", "", ""),
        };
        let want = (case.http, case.status, case.reason, ERROR_DOMAIN);
        if got != want {
            failures.push(format!(
                "{}: {} {} answered {got:?}, want {want:?}: {}",
                case.name,
                case.method,
                case.path,
                String::from_utf8_lossy(&body)
            ));
            continue;
        }
        let envelope = envelope.unwrap();
        // `code` is the HTTP status and a row of the table with `status`, as the reference's
        // client requires; the message says what is wrong.
        assert_eq!(envelope.error.code, code, "{}", case.name);
        assert!(
            envelope.status_code().is_some(),
            "{}: {envelope:?}",
            case.name
        );
        assert!(!envelope.error.message.is_empty(), "{}", case.name);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(fixture.snapshot().await, before, "nothing stored changed");
    fixture.node.shutdown().await;
}
