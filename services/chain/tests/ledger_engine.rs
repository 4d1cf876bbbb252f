//! Tests of the devnet ledger engine with a small counter machine: atomic aborts, replay
//! protection, deterministic restart, snapshots, divergence detection, and crash safety with a
//! child process killed at random points.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::{Account, Call, CounterMachine, created_id};

use walrus_chain::devnet::ledger::{Ledger, LedgerError, LedgerOptions, ManualClock, SubmitError};
use walrus_chain::devnet::tx::SignedTransaction;
use walrus_chain::types::{ChangeKind, ExecutionStatus, Owner};

fn options(snapshot_every: u64) -> LedgerOptions {
    LedgerOptions {
        snapshot_every,
        ..LedgerOptions::default()
    }
}

fn open(dir: &Path, snapshot_every: u64) -> Result<Ledger<CounterMachine>, LedgerError> {
    Ledger::open(
        dir,
        CounterMachine { bias: 0 },
        Arc::new(ManualClock::new(1_000)),
        options(snapshot_every),
    )
}

#[test]
fn calls_apply_atomically_and_report_changes() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path(), 0).unwrap();
    let genesis = ledger.read_records(0, 10).unwrap();
    assert_eq!(genesis.len(), 1);
    assert_eq!(genesis[0].cursor, 1);
    assert_eq!(genesis[0].events[0].event_type, "0x1::counter::Genesis");

    let alice = Account::new(1);
    let bob = Account::new(2);
    let created = alice.send(&ledger, Call::Create(5));
    assert_eq!(created.cursor, 2);
    assert_eq!(created.status, ExecutionStatus::Success);
    let id = created_id(&created);
    assert_eq!(created.events.len(), 1);

    let added = alice.send(&ledger, Call::Add { id, delta: 10 });
    assert_eq!(added.object_changes[0].kind, ChangeKind::Mutated);
    assert_eq!(added.object_changes[0].version, 2);
    assert_eq!(ledger.object(&id).unwrap().value.value, 15);

    // An abort after a write leaves the object as it was, uses up the nonce, and is recorded.
    let overflow = alice.send(
        &ledger,
        Call::Add {
            id,
            delta: u64::MAX,
        },
    );
    assert!(matches!(&overflow.status, ExecutionStatus::Failure(f) if f.code == 3));
    assert!(overflow.object_changes.is_empty() && overflow.events.is_empty());
    assert_eq!(ledger.object(&id).unwrap().value.value, 15);
    assert_eq!(ledger.object(&id).unwrap().version, 2);
    assert_eq!(ledger.next_nonce(alice.address()), 3);

    // Only the owner may use an owned object.
    let stolen = bob.send(&ledger, Call::Add { id, delta: 1 });
    assert!(matches!(&stolen.status, ExecutionStatus::Failure(f) if f.reason == "ENotOwner"));

    let moved = alice.send(
        &ledger,
        Call::Transfer {
            id,
            to: bob.address(),
        },
    );
    assert_eq!(moved.object_changes[0].kind, ChangeKind::Transferred);
    assert_eq!(
        moved.object_changes[0].owner,
        Some(Owner::Address(bob.address()))
    );
    assert!(ledger.owned_objects(alice.address()).is_empty());
    assert_eq!(ledger.owned_objects(bob.address()).len(), 1);

    let deleted = bob.send(&ledger, Call::Delete(id));
    assert_eq!(deleted.object_changes[0].kind, ChangeKind::Deleted);
    assert!(ledger.object(&id).is_none());

    let all = ledger.read_records(0, 100).unwrap();
    assert_eq!(
        all.iter().map(|r| r.cursor).collect::<Vec<_>>(),
        (1..=7).collect::<Vec<_>>()
    );
    assert_eq!(ledger.read_records(7, 10).unwrap(), vec![]);
    assert!(matches!(
        ledger.read_records(8, 10),
        Err(LedgerError::CursorFromFuture { cursor: 8, head: 7 })
    ));
}

#[test]
fn replayed_forged_and_oversized_transactions_are_refused_without_effect() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path(), 0).unwrap();
    let alice = Account::new(1);
    let tx = alice.tx(0, Call::Create(1));
    ledger
        .submit(tx.clone())
        .unwrap()
        .durable_blocking()
        .unwrap();
    let head = ledger.head();

    assert!(matches!(
        ledger.submit(tx),
        Err(SubmitError::Replayed {
            nonce: 0,
            expected: 1,
            ..
        })
    ));
    assert!(matches!(
        ledger.submit(alice.tx(5, Call::Create(1))),
        Err(SubmitError::NonceTooHigh {
            nonce: 5,
            expected: 1,
            ..
        })
    ));
    let mut forged = alice.tx(1, Call::Create(1));
    forged.signature = Account::new(9).tx(1, Call::Create(1)).signature;
    assert!(matches!(
        ledger.submit(forged),
        Err(SubmitError::Invalid(_))
    ));
    let mut unsigned = alice.tx(1, Call::Create(1));
    unsigned.signature.clear();
    assert!(matches!(
        ledger.submit(unsigned),
        Err(SubmitError::Invalid(_))
    ));
    let huge = alice.tx(1, Call::Create(1));
    let huge = SignedTransaction {
        data: vec![0; 300_000],
        ..huge
    };
    assert!(matches!(ledger.submit(huge), Err(SubmitError::TooLarge(_))));

    assert_eq!(
        ledger.head(),
        head,
        "refused transactions must not be journaled"
    );
    assert_eq!(ledger.next_nonce(alice.address()), 1);
}

fn fingerprint(ledger: &Ledger<CounterMachine>) -> Vec<u8> {
    ledger.with_objects(|o| bcs::to_bytes(o).unwrap())
}

#[test]
fn restart_replays_to_the_same_state_with_and_without_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let accounts: Vec<_> = (1..=3).map(Account::new).collect();
    let (records, state) = {
        let ledger = open(dir.path(), 7).unwrap();
        let mut ids = Vec::new();
        for i in 0..40u64 {
            let a = &accounts[(i % 3) as usize];
            let r = if i < 6 {
                a.send(&ledger, Call::Create(i))
            } else {
                let id = ids[(i % ids.len() as u64) as usize];
                a.send(&ledger, Call::Add { id, delta: i })
            };
            if i < 6 {
                ids.push(created_id(&r));
            }
        }
        (ledger.read_records(0, 1000).unwrap(), fingerprint(&ledger))
    };
    assert!(
        std::fs::read_dir(dir.path().join("snapshots"))
            .unwrap()
            .count()
            > 0
    );

    let reopened = open(dir.path(), 7).unwrap();
    assert_eq!(reopened.read_records(0, 1000).unwrap(), records);
    assert_eq!(fingerprint(&reopened), state);
    assert_eq!(reopened.next_nonce(accounts[0].address()), 14);
    drop(reopened);

    std::fs::remove_dir_all(dir.path().join("snapshots")).unwrap();
    let replayed = open(dir.path(), 0).unwrap();
    assert_eq!(
        fingerprint(&replayed),
        state,
        "full replay must equal the snapshot path"
    );
}

#[test]
fn changed_code_under_an_existing_journal_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    {
        let ledger = open(dir.path(), 0).unwrap();
        Account::new(1).send(&ledger, Call::Create(1));
    }
    let err = Ledger::open(
        dir.path(),
        CounterMachine { bias: 1 },
        Arc::new(ManualClock::new(1_000)),
        options(0),
    )
    .unwrap_err();
    assert!(
        matches!(err, LedgerError::Divergence { cursor: 2 }),
        "{err}"
    );
}

/// Child side of the crash test: submits transactions forever from several threads and prints
/// `ACK <cursor> <digest>` once each is durable. Only runs when the parent asks for it.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var("WALRUS_CRASH_CHILD_DIR") else {
        return;
    };
    let ledger = Arc::new(open(Path::new(&dir), 50).unwrap());
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            let ledger = ledger.clone();
            std::thread::spawn(move || {
                let account = Account::new(10 + t);
                let mut id = None;
                loop {
                    let nonce = ledger.next_nonce(account.address());
                    let call = match id {
                        None => Call::Create(u64::from(t)),
                        Some(id) => Call::Add { id, delta: 1 },
                    };
                    let receipt = ledger.submit(account.tx(nonce, call)).unwrap();
                    let record = receipt.durable_blocking().unwrap();
                    if id.is_none() {
                        id = Some(created_id(&record));
                    }
                    println!("ACK {} {}", record.cursor, record.digest);
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

#[test]
fn killed_at_random_points_loses_no_acknowledged_transaction() {
    let exe = std::env::current_exe().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged = std::collections::BTreeMap::new();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for round in 0..5 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let run_for = Duration::from_millis(150 + seed % 400);
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env("WALRUS_CRASH_CHILD_DIR", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
        let (first_ack_tx, first_ack) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut acks = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("ACK ") {
                    let mut parts = rest.split(' ');
                    let cursor: u64 = parts.next().unwrap().parse().unwrap();
                    acks.push((cursor, parts.next().unwrap().to_string()));
                    if acks.len() == 1 {
                        let _ = first_ack_tx.send(());
                    }
                }
            }
            acks
        });
        // The kill lands at a random point after the stream has started (start-up time varies
        // with the machine's load, so the window is measured from the first acknowledgement).
        let started = first_ack.recv_timeout(Duration::from_secs(60)).is_ok();
        let start = Instant::now();
        while started && start.elapsed() < run_for {
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL: no shutdown, no flush
        child.wait().unwrap();
        let acks = reader.join().unwrap();
        let errors = errors.join().unwrap();
        assert!(
            !acks.is_empty(),
            "round {round}: the child acknowledged nothing; stderr:\n{errors}"
        );
        for (cursor, digest) in acks {
            assert!(
                acknowledged.insert(cursor, digest).is_none(),
                "cursor acknowledged twice"
            );
        }

        // Every acknowledged transaction is present, once, at its cursor.
        let ledger = open(dir.path(), 50).unwrap();
        let records = ledger.read_records(0, usize::MAX).unwrap();
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r.cursor, i as u64 + 1);
        }
        let mut digests = std::collections::BTreeSet::new();
        for r in &records {
            assert!(
                digests.insert(r.digest.to_string()),
                "digest {} appears twice",
                r.digest
            );
        }
        for (cursor, digest) in &acknowledged {
            let r = &records[*cursor as usize - 1];
            assert_eq!(
                &r.digest.to_string(),
                digest,
                "acknowledged transaction {cursor} missing"
            );
        }
        // The state equals a full replay of the journal without snapshots.
        let state = fingerprint(&ledger);
        drop(ledger);
        let copy = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(copy.path().join("journal")).unwrap();
        for entry in std::fs::read_dir(dir.path().join("journal")).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(
                entry.path(),
                copy.path().join("journal").join(entry.file_name()),
            )
            .unwrap();
        }
        assert_eq!(fingerprint(&open(copy.path(), 0).unwrap()), state);
    }
}
