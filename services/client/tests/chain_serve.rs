//! `walrus chain serve`: starts a devnet ledger that answers on loopback, stops on SIGINT,
//! keeps its state, and refuses a different genesis or a non-loopback address.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn walrus() -> Command {
    Command::new(env!("CARGO_BIN_EXE_walrus"))
}

/// Starts `walrus --json chain serve` and returns the child and its API URL.
fn start(dir: &std::path::Path, extra: &[&str]) -> (Child, String) {
    let mut child = walrus()
        .args([
            "--json",
            "chain",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--dir",
        ])
        .arg(dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    (child, ready["chainUrl"].as_str().unwrap().to_string())
}

fn head(url: &str) -> serde_json::Value {
    // A tiny HTTP GET over std, to keep the test free of an HTTP client.
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /v1/head HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    serde_json::from_str(body).unwrap()
}

fn interrupt(mut child: Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status after SIGINT: {status}");
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "did not stop after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serves_stops_and_restarts_with_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let (child, url) = start(dir.path(), &[]);
    let first = head(&url);
    assert!(
        first["cursor"].as_u64().unwrap() >= 1,
        "genesis is transaction 1: {first}"
    );
    interrupt(child);
    assert!(dir.path().join("genesis.json").exists());
    assert!(dir.path().join("journal").is_dir());

    let (child, url) = start(dir.path(), &[]);
    assert!(head(&url)["cursor"].as_u64().unwrap() >= first["cursor"].as_u64().unwrap());
    interrupt(child);
}

#[test]
fn refuses_another_genesis_and_non_loopback_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let (child, _) = start(dir.path(), &[]);
    interrupt(child);

    let genesis = dir.path().join("other.json");
    std::fs::write(&genesis, r#"{"n_shards": 7}"#).unwrap();
    let output = walrus()
        .args(["chain", "serve", "--listen", "127.0.0.1:0", "--dir"])
        .arg(dir.path())
        .arg("--genesis")
        .arg(&genesis)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("different genesis"), "{stderr}");

    let output = walrus()
        .args(["chain", "serve", "--listen", "0.0.0.0:0", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allow-non-loopback"));
}
