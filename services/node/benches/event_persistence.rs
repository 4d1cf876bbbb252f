//! Cost of persisting the event-derived state per page of transactions, with many blobs known:
//! the v0 format (the whole state as one JSON document, rewritten atomically after every page)
//! against the snapshot + journal (one record of what the page changed, `fdatasync`ed; a
//! snapshot once the journal outgrows it). Also the record and snapshot sizes in BCS and JSON,
//! and the in-memory size of the state per blob.
//!
//! `BENCH_DIR=/some/disk cargo bench -p walrus-node --bench event_persistence [blobs, default
//! 1000000]`. A page is 100 transactions: 50 register a new blob, 50 certify them.

#![allow(clippy::unwrap_used)] // benchmark code: a failed unwrap is a failed run

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sui_sdk_types::{Address, Digest};
use walrus_chain::types::{EventRecord, ExecutionStatus, TransactionRecord};
use walrus_core::BlobId;
use walrus_core::contracts::ObjectId;
use walrus_core::contracts::events::{BlobCertified, BlobRegistered, ContractEvent};
use walrus_node::blob_info::{Changes, EventState};
use walrus_node::event_store::{EventStore, LEGACY_JSON_FILE, StoreOptions, v0, v1};

/// Counts live heap bytes, to measure the state's memory.
#[derive(Debug)]
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PAGE: u64 = 100;

fn blob(n: u64) -> BlobId {
    // Spread like real (hash-derived) blob IDs.
    let mut bytes = [0u8; 32];
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    for chunk in bytes.chunks_mut(8) {
        x ^= x >> 29;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        chunk.copy_from_slice(&x.to_le_bytes());
    }
    BlobId(bytes)
}

fn tx(cursor: u64, event: ContractEvent) -> TransactionRecord {
    let mut digest = [3u8; 32];
    digest[..8].copy_from_slice(&cursor.to_le_bytes());
    TransactionRecord {
        cursor,
        digest: Digest::new(digest),
        sender: Address::new([1; 32]),
        timestamp_ms: 0,
        status: ExecutionStatus::Success,
        events: vec![EventRecord {
            event_index: 0,
            event_type: event.type_name("0x1"),
            bcs: event.to_bcs(),
        }],
        object_changes: Vec::new(),
    }
}

/// Transaction `cursor` (1-based): odd ones register blob `cursor / 2`, even ones certify it.
fn transaction(cursor: u64) -> TransactionRecord {
    let n = (cursor - 1) / 2;
    let mut object = [0u8; 32];
    object[..8].copy_from_slice(&n.to_le_bytes());
    object[31] = 0xb;
    let event = if cursor % 2 == 1 {
        ContractEvent::BlobRegistered(BlobRegistered {
            epoch: 1,
            blob_id: blob(n),
            size: 1 << 20,
            encoding_type: 1,
            end_epoch: 53,
            deletable: false,
            object_id: ObjectId(object),
        })
    } else {
        ContractEvent::BlobCertified(BlobCertified {
            epoch: 1,
            blob_id: blob(n),
            end_epoch: 53,
            deletable: false,
            object_id: ObjectId(object),
            is_extension: false,
        })
    };
    tx(cursor, event)
}

fn apply_page(state: &mut EventState) {
    let first = state.cursor + 1;
    for cursor in first..first + PAGE {
        state.apply(&transaction(cursor));
    }
    // Recovery finds nothing missing for the newly certified blobs.
    for cursor in (first..first + PAGE).filter(|c| c % 2 == 0) {
        state.to_recover.remove(&blob((cursor - 1) / 2).to_string());
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn main() {
    let blobs: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let base = std::env::var_os("BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let dir = tempfile::tempdir_in(base).unwrap();

    // Build the state: every blob registered and certified.
    let live_before = LIVE.load(Ordering::Relaxed);
    let rss_before = rss_bytes();
    let started = Instant::now();
    let mut state = EventState::default();
    while state.cursor < 2 * blobs {
        apply_page(&mut state);
    }
    state.take_changes();
    let built = started.elapsed();
    let heap = LIVE.load(Ordering::Relaxed) - live_before;
    let rss = rss_bytes().saturating_sub(rss_before);
    let known = state.blobs.len() as u64;
    println!(
        "state: {known} blobs (one certified permanent object each) built in {:.1} s",
        built.as_secs_f64()
    );
    println!(
        "memory: {:.0} B/blob live heap ({:.0} MiB), {:.0} B/blob RSS growth",
        heap as f64 / known as f64,
        mib(heap as u64),
        rss as f64 / known as f64,
    );

    // Encodings of one page record and of the snapshot.
    let mut page_state = state.clone();
    apply_page(&mut page_state);
    let changes: Changes = page_state.take_changes();
    let record_v1 = v1::Changes::from(&changes);
    let t = Instant::now();
    let record_bcs = bcs::to_bytes(&record_v1).unwrap();
    let bcs_enc = t.elapsed();
    let t = Instant::now();
    let _: v1::Changes = bcs::from_bytes(&record_bcs).unwrap();
    let bcs_dec = t.elapsed();
    // JSON in the v0 shapes (blob IDs as base64url text, not arrays of numbers).
    type JsonRecord = (v1::Head, Vec<(String, Option<v0::BlobInfoV0>, bool)>);
    let t = Instant::now();
    let json_record: JsonRecord = (
        changes.head.into(),
        changes
            .entries
            .iter()
            .map(|e| (e.key.clone(), e.info.as_ref().map(Into::into), e.to_recover))
            .collect(),
    );
    let record_json = serde_json::to_vec(&json_record).unwrap();
    let json_enc = t.elapsed();
    let t = Instant::now();
    let _: JsonRecord = serde_json::from_slice(&record_json).unwrap();
    let json_dec = t.elapsed();
    println!(
        "page record ({} entries): BCS {} B (encode {:.3} ms, decode {:.3} ms); JSON {} B (encode {:.3} ms, decode {:.3} ms)",
        changes.entries.len(),
        record_bcs.len(),
        ms(bcs_enc),
        ms(bcs_dec),
        record_json.len(),
        ms(json_enc),
        ms(json_dec)
    );
    drop(page_state);

    // Old: the whole JSON document after every page.
    let json_path = dir.path().join(LEGACY_JSON_FILE);
    let old_pages = 3;
    let mut old_state = state.clone();
    let (mut old_time, mut old_bytes) = (Duration::ZERO, 0u64);
    for _ in 0..old_pages {
        apply_page(&mut old_state);
        let t = Instant::now();
        // The old follower cloned the state under the lock, then wrote it.
        let snapshot = old_state.clone();
        old_bytes += v0::write(&snapshot, &json_path).unwrap();
        old_time += t.elapsed();
    }
    drop(old_state);
    std::fs::remove_file(&json_path).unwrap();
    println!(
        "old (v0 JSON document per page): {:.0} ms and {:.1} MiB written per page (mean of {old_pages})",
        ms(old_time) / f64::from(old_pages),
        mib(old_bytes) / f64::from(old_pages)
    );

    // New: open a store holding the state (one snapshot), then journal pages.
    let t = Instant::now();
    let (mut store, _, _) = EventStore::open(dir.path(), StoreOptions::default()).unwrap();
    store.compact(&state).unwrap();
    let snapshot_time = t.elapsed();
    let snapshot_bytes = store.snapshot_len();
    println!(
        "snapshot (BCS, {known} blobs): {:.1} MiB written in {:.0} ms",
        mib(snapshot_bytes),
        ms(snapshot_time)
    );
    let t = Instant::now();
    let document = v0::Document::of(&state);
    let json_snapshot = serde_json::to_vec(&document).unwrap().len() as u64;
    drop(document);
    println!(
        "the same state as v0 JSON: {:.1} MiB (encoded in {:.0} ms)",
        mib(json_snapshot),
        ms(t.elapsed())
    );
    let t = Instant::now();
    let (_, reopened, _) = EventStore::open(dir.path(), StoreOptions::default()).unwrap();
    println!("loading the snapshot: {:.0} ms", ms(t.elapsed()));
    assert_eq!(reopened.blobs.len() as u64, known);
    drop(reopened);

    let new_pages = 200u32;
    let before = store.bytes_written();
    let mut new_time = Duration::ZERO;
    for _ in 0..new_pages {
        apply_page(&mut state);
        let t = Instant::now();
        let changes = state.take_changes();
        store.append(&changes).unwrap();
        new_time += t.elapsed();
        assert!(!store.must_compact());
    }
    let new_bytes = store.bytes_written() - before;
    let per_page = new_bytes as f64 / f64::from(new_pages);
    // A snapshot is written once the journal exceeds max(64 MiB, snapshot size).
    let bound = (64u64 << 20).max(snapshot_bytes) as f64;
    let pages_per_snapshot = bound / per_page;
    println!(
        "new (journal record per page): {:.2} ms and {:.0} B written per page (mean of {new_pages}); \
         amortized snapshot: one per {:.0} pages, +{:.0} B and +{:.2} ms per page",
        ms(new_time) / f64::from(new_pages),
        per_page,
        pages_per_snapshot,
        snapshot_bytes as f64 / pages_per_snapshot,
        ms(snapshot_time) / pages_per_snapshot,
    );
}
