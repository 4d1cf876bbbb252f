//! Tests of the devnet journal: durability, recovery from torn tails, refusal of mid-log damage.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use walrus_chain::devnet::journal::{Journal, JournalError, JournalOptions};

fn payload(i: u64) -> Vec<u8> {
    // Varying sizes so frames do not line up.
    let len = (i * 37 % 300) as usize + 1;
    (0..len).map(|j| (i as usize * 7 + j) as u8).collect()
}

fn options(max_segment_bytes: u64) -> JournalOptions {
    JournalOptions {
        max_segment_bytes,
        sync: true,
    }
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    v.sort();
    v
}

fn write_records(dir: &Path, n: u64, max_segment_bytes: u64) {
    let (journal, recovery) = Journal::open(dir, options(max_segment_bytes)).unwrap();
    assert_eq!(recovery.records, 0);
    let tickets: Vec<_> = (1..=n)
        .map(|i| journal.submit(i, payload(i)).unwrap())
        .collect();
    for (i, t) in tickets.into_iter().enumerate() {
        assert_eq!(t.wait_blocking().unwrap(), i as u64 + 1);
    }
    assert_eq!(journal.durable_seq(), n);
    journal.close().unwrap();
}

fn read_all(journal: &Journal) -> Vec<(u64, Vec<u8>)> {
    journal.read_from(1, usize::MAX).unwrap()
}

#[test]
fn records_survive_reopen_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    write_records(dir.path(), 500, 4096);
    assert!(segments(dir.path()).len() > 5, "small segments must rotate");

    let (journal, recovery) = Journal::open(dir.path(), options(4096)).unwrap();
    assert_eq!(recovery.records, 500);
    assert_eq!(recovery.truncated_bytes, 0);
    assert_eq!(journal.next_seq(), 501);
    let all = read_all(&journal);
    assert_eq!(all.len(), 500);
    for (i, (seq, p)) in all.iter().enumerate() {
        assert_eq!(*seq, i as u64 + 1);
        assert_eq!(*p, payload(*seq));
    }
    // Reading from the middle, with a limit, crosses segment boundaries correctly.
    let part = journal.read_from(123, 200).unwrap();
    assert_eq!(part.first().unwrap().0, 123);
    assert_eq!(part.last().unwrap().0, 322);
    assert!(part.iter().all(|(s, p)| *p == payload(*s)));
    assert!(journal.read_from(501, 10).unwrap().is_empty());

    // Appending continues the sequence.
    assert_eq!(journal.append_blocking(b"next".to_vec()).unwrap(), 501);
    assert_eq!(
        journal.read_from(501, 10).unwrap(),
        vec![(501, b"next".to_vec())]
    );
}

#[test]
fn torn_tail_is_dropped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    write_records(dir.path(), 20, 1 << 20);
    let seg = segments(dir.path()).pop().unwrap();
    let len = fs::metadata(&seg).unwrap().len();
    // Cut the last record in half: a write that was never acknowledged.
    let last_len = payload(20).len() as u64 + 16;
    OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(len - last_len / 2)
        .unwrap();

    let (journal, recovery) = Journal::open(dir.path(), options(1 << 20)).unwrap();
    assert_eq!(recovery.records, 19);
    assert_eq!(recovery.truncated_bytes, last_len - last_len / 2);
    assert!(recovery.truncation_reason.unwrap().contains("cut short"));
    assert_eq!(read_all(&journal).len(), 19);
    assert_eq!(journal.append_blocking(payload(20)).unwrap(), 20);
    drop(journal);
    let (journal, recovery) = Journal::open(dir.path(), options(1 << 20)).unwrap();
    assert_eq!(recovery.records, 20);
    assert_eq!(recovery.truncated_bytes, 0);
    assert_eq!(read_all(&journal)[19], (20, payload(20)));
}

#[test]
fn garbage_after_the_last_record_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    write_records(dir.path(), 5, 1 << 20);
    let seg = segments(dir.path()).pop().unwrap();
    let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
    f.write_all(&[0xAB; 40]).unwrap();
    drop(f);
    let (journal, recovery) = Journal::open(dir.path(), options(1 << 20)).unwrap();
    assert_eq!(recovery.records, 5);
    assert_eq!(recovery.truncated_bytes, 40);
    assert_eq!(read_all(&journal).len(), 5);
}

#[test]
fn damage_before_intact_records_refuses_to_open() {
    let dir = tempfile::tempdir().unwrap();
    write_records(dir.path(), 10, 1 << 20);
    let seg = segments(dir.path()).pop().unwrap();
    let mut bytes = fs::read(&seg).unwrap();
    // Flip one payload byte of record 3 (header 16 bytes, then frames).
    let mut offset = 16usize;
    for i in 1..3 {
        offset += 16 + payload(i).len();
    }
    bytes[offset + 16] ^= 0xFF;
    fs::write(&seg, &bytes).unwrap();
    let err = Journal::open(dir.path(), options(1 << 20)).unwrap_err();
    match err {
        JournalError::Corrupt {
            offset: at, reason, ..
        } => {
            assert_eq!(at, offset as u64);
            assert_eq!(reason, "checksum mismatch");
        }
        other => panic!("expected Corrupt, got {other}"),
    }
    // Nothing was truncated by the failed open.
    assert_eq!(fs::read(&seg).unwrap(), bytes);
}

#[test]
fn out_of_order_and_oversized_submissions_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path(), options(1 << 20)).unwrap();
    assert!(matches!(
        journal.submit(2, vec![1]),
        Err(JournalError::OutOfOrder {
            expected: 1,
            got: 2
        })
    ));
    assert!(matches!(
        journal.submit(
            1,
            vec![0; walrus_chain::devnet::journal::MAX_RECORD_BYTES + 1]
        ),
        Err(JournalError::RecordTooLarge(_))
    ));
    assert_eq!(journal.append_blocking(vec![9]).unwrap(), 1);
}

#[test]
fn readers_see_only_durable_records_and_are_notified() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = Journal::open(dir.path(), options(1 << 20)).unwrap();
    let mut watch = journal.subscribe();
    assert_eq!(*watch.borrow(), 0);
    let t = journal.submit(1, b"a".to_vec()).unwrap();
    t.wait_blocking().unwrap();
    assert!(watch.has_changed().unwrap());
    assert_eq!(*watch.borrow_and_update(), 1);
    assert_eq!(journal.read_from(1, 10).unwrap(), vec![(1, b"a".to_vec())]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// Cutting the journal at any byte leaves a prefix of whole records, never half a record.
    #[test]
    fn any_truncation_leaves_a_prefix_of_whole_records(n in 1u64..30, cut_from_end in 0u64..4000) {
        let dir = tempfile::tempdir().unwrap();
        write_records(dir.path(), n, 1 << 20);
        let seg = segments(dir.path()).pop().unwrap();
        let len = fs::metadata(&seg).unwrap().len();
        let new_len = len.saturating_sub(cut_from_end).max(16);
        OpenOptions::new().write(true).open(&seg).unwrap().set_len(new_len).unwrap();
        let (journal, recovery) = Journal::open(dir.path(), options(1 << 20)).unwrap();
        let all = read_all(&journal);
        prop_assert_eq!(all.len() as u64, recovery.records);
        for (i, (seq, p)) in all.iter().enumerate() {
            prop_assert_eq!(*seq, i as u64 + 1);
            prop_assert_eq!(p, &payload(*seq));
        }
        // Whole records that fit before the cut are all kept.
        let mut end = 16u64;
        let mut fit = 0;
        for i in 1..=n {
            end += 16 + payload(i).len() as u64;
            if end <= new_len { fit += 1; }
        }
        prop_assert_eq!(recovery.records, fit);
    }
}
