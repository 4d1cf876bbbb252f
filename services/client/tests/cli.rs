//! The `walrus` binary, run as a user would: output, `--json`, and errors.

#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

use std::{path::Path, process::Command};

fn walrus(arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_walrus"))
        .args(arguments)
        .output()
        .unwrap()
}

fn file_with(directory: &tempfile::TempDir, name: &str, contents: &[u8]) -> String {
    let path = directory.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn prints_the_blob_id() {
    let directory = tempfile::tempdir().unwrap();
    let path = file_with(&directory, "hello.txt", b"hello walrus");
    // ENCODING.md §10, V7 (n = 1000, the default) and V3 (n = 10).
    let output = walrus(&["blob-id", &path]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "kIrHJ_1VfYJD-OV0O1JicM2lB5swr83ZkfvTD7BWV0I\n"
    );
    let output = walrus(&["blob-id", &path, "--n-shards", "10"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "5g7EUy58ReQir0t11jz709ae5cdZT24btlovkXo28U8\n"
    );
    assert!(output.stderr.is_empty());
}

#[test]
fn prints_json_with_the_global_flag() {
    let directory = tempfile::tempdir().unwrap();
    let path = file_with(&directory, "hello.txt", b"hello walrus");
    for arguments in [
        vec!["--json", "blob-id", &path],
        vec!["blob-id", &path, "--json"],
    ] {
        let output = walrus(&arguments);
        assert!(output.status.success(), "{output:?}");
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "blobId": "kIrHJ_1VfYJD-OV0O1JicM2lB5swr83ZkfvTD7BWV0I",
                "unencodedLength": 12,
                "nShards": 1000,
                "rootHash": "e9f5feb3289dd18904088ddac61027178b139dc05cd7a185a8dbd51b3fa0380f",
            })
        );
    }
    // The empty file (V1, n = 10).
    let empty = file_with(&directory, "empty", b"");
    let output = walrus(&["--json", "blob-id", &empty, "--n-shards", "10"]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        value["blobId"],
        "gLzpD29smKZiYJIWwKatudKr76kEprQeMPyAhuMbWd4"
    );
    assert_eq!(value["unencodedLength"], 0);
}

/// Exit status 1, nothing on stdout, one line on stderr containing `needle`.
fn assert_one_line_error(output: &std::process::Output, needle: &str) {
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(needle), "{stderr}");
}

#[test]
fn a_missing_file_is_a_one_line_error() {
    let directory = tempfile::tempdir().unwrap();
    let missing = directory.path().join("missing.bin");
    let missing = missing.to_str().unwrap();
    let output = walrus(&["blob-id", missing]);
    assert_one_line_error(&output, missing);
    let output = walrus(&["--json", "blob-id", missing]);
    assert_one_line_error(&output, "cannot read");
}

#[test]
fn an_unreadable_path_is_a_one_line_error() {
    let directory = tempfile::tempdir().unwrap();
    let output = walrus(&["blob-id", directory.path().to_str().unwrap()]);
    assert_one_line_error(&output, "cannot read");
}

#[test]
fn bad_shard_counts_and_oversize_files_are_errors() {
    let directory = tempfile::tempdir().unwrap();
    let path = file_with(&directory, "hello.txt", b"hello walrus");
    let output = walrus(&["blob-id", &path, "--n-shards", "3"]);
    assert_one_line_error(&output, "--n-shards");
    // n = 4 allows at most 2·3·65534 = 393204 bytes.
    let big = file_with(&directory, "big.bin", &vec![0u8; 393_205]);
    let output = walrus(&["blob-id", &big, "--n-shards", "4"]);
    assert_one_line_error(&output, "maximum blob size of 393204 bytes");
    assert!(Path::new(&big).exists());
}

#[test]
fn converts_a_decimal_blob_id() {
    // The blob ID of ENCODING.md §10 V7 as Move's u256 (little-endian); the official SDK's
    // `blobIdFromInt` gives the same blob ID for this number.
    let decimal = "30006961997934627473707901925650318573932174743741889533894759733632690522768";
    let output = walrus(&["convert-blob-id", decimal]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "Walrus blob ID: kIrHJ_1VfYJD-OV0O1JicM2lB5swr83ZkfvTD7BWV0I\n"
    );
    let output = walrus(&["--json", "convert-blob-id", decimal]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        value,
        serde_json::json!({"blobId": "kIrHJ_1VfYJD-OV0O1JicM2lB5swr83ZkfvTD7BWV0I"})
    );
    // A blob ID given where a number is expected: the error gives its decimal form.
    let output = walrus(&[
        "convert-blob-id",
        "kIrHJ_1VfYJD-OV0O1JicM2lB5swr83ZkfvTD7BWV0I",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("is already a Walrus blob ID"), "{stderr}");
    assert!(stderr.contains(decimal), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    // Not a number below 2^256.
    let output = walrus(&["convert-blob-id", &format!("{decimal}0")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("is not a decimal number below 2^256")
    );
}

#[test]
fn prints_shell_completion_scripts() {
    let output = walrus(&["completion", "--shell", "bash"]);
    assert!(output.status.success(), "{output:?}");
    let script = String::from_utf8(output.stdout).unwrap();
    assert!(script.contains("_walrus()"), "a bash completion function");
    for verb in [
        "store",
        "read",
        "burn-blobs",
        "convert-blob-id",
        "--earliest-expiry-time",
    ] {
        assert!(script.contains(verb), "completes {verb}");
    }
    let output = walrus(&["completion", "--shell", "fish"]);
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .contains("complete -c walrus")
    );
    // Without --shell the shell comes from $SHELL; with none, a clear error.
    let output = Command::new(env!("CARGO_BIN_EXE_walrus"))
        .arg("completion")
        .env_remove("SHELL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("pass --shell")
    );
    let output = Command::new(env!("CARGO_BIN_EXE_walrus"))
        .arg("completion")
        .env("SHELL", "/usr/bin/zsh")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .contains("#compdef walrus")
    );
}

#[test]
fn runs_a_command_given_as_json() {
    let directory = tempfile::tempdir().unwrap();
    let path = file_with(&directory, "hello.txt", b"hello walrus");
    let command = serde_json::json!({
        "command": {"blobId": {"file": path, "nShards": 10}}
    })
    .to_string();
    // From the argument, and from stdin; answered as JSON either way.
    let output = walrus(&["json", &command]);
    assert!(output.status.success(), "{output:?}");
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        value["blobId"],
        "5g7EUy58ReQir0t11jz709ae5cdZT24btlovkXo28U8"
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_walrus"))
        .arg("json")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), command.as_bytes()).unwrap();
    drop(child.stdin.take());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let from_stdin: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(from_stdin, value);
    // Mistakes are one line naming them, exit 1.
    for (bad, message) in [
        (r#"{"command": {"stor": {}}}"#, "unknown command \"stor\""),
        (
            r#"{"command": {"blobId": {"fil": "x"}}}"#,
            "unknown option \"fil\"",
        ),
        (r#"{"command": {"json": {}}}"#, "cannot run another"),
        ("not json", "does not parse"),
    ] {
        let output = walrus(&["json", bad]);
        assert_eq!(output.status.code(), Some(1), "{bad}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(message), "{bad}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
}

#[test]
fn the_aggregator_names_a_bad_allowed_header_before_starting() {
    let output = walrus(&[
        "aggregator",
        "--allowed-headers",
        "content-type",
        "bad header",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("--allowed-headers: \"bad header\" is not a header name"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}
