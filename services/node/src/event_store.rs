//! The persisted form of [`EventState`]: a snapshot plus an append-only journal that holds, for
//! each page of transactions, the blob entries that page changed together with the head (cursor
//! and counters). A page costs what it changed, not the size of the state.
//!
//! # Files (in the node's data directory)
//!
//! ```text
//! events.snapshot = SNAPSHOT_MAGIC ‖ seq: u64 LE ‖ frames: u64 LE ‖ frame*    (state after record seq)
//! events.journal  = JOURNAL_MAGIC ‖ base: u64 LE ‖ frame*                    (records base+1, base+2, …)
//! frame           = len: u32 LE ‖ crc: u32 LE (CRC-32C of seq ‖ payload) ‖ seq: u64 LE ‖ payload
//! payload         = BCS of v1::Changes
//! ```
//!
//! The last byte of each magic is the format version. A snapshot's frames all carry its `seq`;
//! each holds the head and a chunk of the entries, so it is written and read in bounded memory.
//!
//! # Durability and recovery
//!
//! A page's record is appended with one write and `fdatasync`ed before the next page is read.
//! At open, the snapshot is loaded and the journal records after it are replayed. A record cut
//! short or failing its checksum at the end of the journal is the tail of a write that never
//! completed: it is discarded and the journal truncated there, so the state is the one after
//! the previous record, with that record's cursor, and the node re-reads the rest from the chain.
//! A damaged record followed by an intact one is damage to data that was persisted: opening
//! fails with [`EventStoreError::Corrupt`] instead of silently rolling back.
//!
//! # Compaction
//!
//! When the journal grows past the larger of [`StoreOptions::compact_min_bytes`] and the
//! snapshot's size, the state is written as a new snapshot (temporary file, fsync, rename,
//! directory fsync) labelled with the last record's `seq`, then the journal is replaced by an
//! empty one (same way). A crash in between leaves a journal whose records are all covered by
//! the snapshot: they are skipped and the journal replaced at the next open. Writing at most one
//! snapshot per snapshot-sized amount of journal keeps the amortized cost per page proportional
//! to what it changed.
//!
//! # Formats
//!
//! - v0: `events.json`, the whole state as one JSON document (walrus-node before the journal).
//!   Read and migrated at the first open: written as a snapshot, then deleted.
//! - v1: the files above, payloads in BCS (measured against JSON: see the crate README).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write as _};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use walrus_chain::frame::{
    FRAME_HEADER_LEN, Frame, encode_frame, intact_frame_follows, read_frame,
};

use crate::blob_info::{Changes, EventState};

/// Snapshot file name.
pub const SNAPSHOT_FILE: &str = "events.snapshot";
/// Journal file name.
pub const JOURNAL_FILE: &str = "events.journal";
/// The v0 file name (one JSON document).
pub const LEGACY_JSON_FILE: &str = "events.json";

const SNAPSHOT_MAGIC: [u8; 8] = *b"WNEVSNP\x01";
const JOURNAL_MAGIC: [u8; 8] = *b"WNEVJRN\x01";
/// The format version written (last byte of the magics).
pub const FORMAT_VERSION: u8 = 1;
const FILE_HEADER_LEN: u64 = 16;
const SNAPSHOT_HEADER_LEN: u64 = 24;
/// Largest payload a frame may carry; a larger length in a frame header means damage.
pub const MAX_FRAME_BYTES: u64 = 1 << 31;
/// Entries per snapshot frame.
const SNAPSHOT_CHUNK: usize = 4096;

/// Errors of the event store.
#[derive(Debug, thiserror::Error)]
pub enum EventStoreError {
    /// A file operation failed.
    #[error("event store I/O error at {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Persisted data is damaged.
    #[error("{path} is damaged at byte {offset}: {reason}")]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// Where the damage starts.
        offset: u64,
        /// What is wrong and what to do about it.
        reason: String,
    },
    /// Written by a newer walrus-node, or not an event store file at all.
    #[error(
        "{path} has an unknown header {magic:?} (this walrus-node reads format version {FORMAT_VERSION})"
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
        /// The first eight bytes found.
        magic: [u8; 8],
    },
    /// The v0 JSON document does not parse.
    #[error("the v0 event state {path} does not parse: {source}")]
    Legacy {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> EventStoreError + '_ {
    move |source| EventStoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Tuning of the store.
#[derive(Debug, Clone, Copy)]
pub struct StoreOptions {
    /// The journal is compacted into a new snapshot once it exceeds both this and the
    /// snapshot's size.
    pub compact_min_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            compact_min_bytes: 64 * 1024 * 1024,
        }
    }
}

/// What [`EventStore::open`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// A v0 `events.json` was migrated.
    pub migrated_v0: bool,
    /// Journal records replayed on top of the snapshot.
    pub replayed: u64,
    /// Journal records skipped because the snapshot already held them (a crash during compaction).
    pub skipped: u64,
    /// Bytes of a torn tail cut off the journal.
    pub truncated_bytes: u64,
}

/// The open snapshot and journal; see the module documentation.
#[derive(Debug)]
pub struct EventStore {
    dir: PathBuf,
    options: StoreOptions,
    journal: File,
    journal_len: u64,
    /// The sequence number of the last record appended (or attempted).
    last_seq: u64,
    snapshot_len: u64,
    /// An append failed: the changes it carried are only in memory, so the next persist must
    /// write a snapshot.
    needs_snapshot: bool,
    bytes_written: u64,
}

/// Frozen on-disk types of format version 1 (BCS). Changing them means a new version.
pub mod v1 {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    use crate::blob_info;

    /// An event's position.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct EventId {
        /// The transaction digest (base58).
        pub tx_digest: String,
        /// Index of the event within its transaction.
        pub event_seq: u64,
    }

    /// One `Blob` object.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct ObjectInfo {
        /// The blob ID's 32 bytes.
        pub blob_id: [u8; 32],
        /// Deletable by its owner.
        pub deletable: bool,
        /// End epoch, exclusive.
        pub end_epoch: u32,
        /// Certified in this epoch.
        pub certified_epoch: Option<u32>,
        /// The event that last changed it.
        pub event: EventId,
    }

    /// What the node knows about one blob ID.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct BlobInfo {
        /// Live objects by object id (hex).
        pub objects: BTreeMap<String, ObjectInfo>,
        /// The `InvalidBlobID` event.
        pub invalid: Option<EventId>,
        /// The first certification event.
        pub first_certified: Option<EventId>,
        /// The first epoch in which an object was certified.
        pub initial_certified_epoch: Option<u32>,
        /// The stored data was deleted.
        pub data_collected: bool,
    }

    /// The head.
    #[derive(Debug, Clone, Copy, Serialize, Deserialize)]
    pub struct Head {
        /// Cursor of the last applied transaction.
        pub cursor: u64,
        /// Transactions applied.
        pub transactions_applied: u64,
        /// Events applied.
        pub events_applied: u64,
        /// Latest epoch seen.
        pub epoch: u32,
        /// Epoch change waiting for `epoch_sync_done`.
        pub sync_pending_epoch: Option<u32>,
    }

    /// One blob ID's entries.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct Entry {
        /// The blob ID (base64url).
        pub key: String,
        /// Its info.
        pub info: Option<BlobInfo>,
        /// Waiting for recovery.
        pub to_recover: bool,
    }

    /// A journal record or a snapshot chunk.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct Changes {
        /// The head after the changes.
        pub head: Head,
        /// Changed entries.
        pub entries: Vec<Entry>,
    }

    impl From<&walrus_node_api::EventId> for EventId {
        fn from(e: &walrus_node_api::EventId) -> Self {
            Self {
                tx_digest: e.tx_digest.clone(),
                event_seq: e.event_seq,
            }
        }
    }

    impl From<EventId> for walrus_node_api::EventId {
        fn from(e: EventId) -> Self {
            Self {
                tx_digest: e.tx_digest,
                event_seq: e.event_seq,
            }
        }
    }

    impl From<&blob_info::BlobInfo> for BlobInfo {
        fn from(b: &blob_info::BlobInfo) -> Self {
            Self {
                objects: b
                    .objects
                    .iter()
                    .map(|(k, o)| {
                        let object = ObjectInfo {
                            blob_id: o.blob_id.0,
                            deletable: o.deletable,
                            end_epoch: o.end_epoch,
                            certified_epoch: o.certified_epoch,
                            event: (&o.event).into(),
                        };
                        (k.clone(), object)
                    })
                    .collect(),
                invalid: b.invalid.as_ref().map(Into::into),
                first_certified: b.first_certified.as_ref().map(Into::into),
                initial_certified_epoch: b.initial_certified_epoch,
                data_collected: b.data_collected,
            }
        }
    }

    impl From<BlobInfo> for blob_info::BlobInfo {
        fn from(b: BlobInfo) -> Self {
            Self {
                objects: b
                    .objects
                    .into_iter()
                    .map(|(k, o)| {
                        let object = blob_info::ObjectInfo {
                            blob_id: walrus_core::BlobId(o.blob_id),
                            deletable: o.deletable,
                            end_epoch: o.end_epoch,
                            certified_epoch: o.certified_epoch,
                            event: o.event.into(),
                        };
                        (k, object)
                    })
                    .collect(),
                invalid: b.invalid.map(Into::into),
                first_certified: b.first_certified.map(Into::into),
                initial_certified_epoch: b.initial_certified_epoch,
                data_collected: b.data_collected,
            }
        }
    }

    impl From<blob_info::Head> for Head {
        fn from(h: blob_info::Head) -> Self {
            Self {
                cursor: h.cursor,
                transactions_applied: h.transactions_applied,
                events_applied: h.events_applied,
                epoch: h.epoch,
                sync_pending_epoch: h.sync_pending_epoch,
            }
        }
    }

    impl From<Head> for blob_info::Head {
        fn from(h: Head) -> Self {
            Self {
                cursor: h.cursor,
                transactions_applied: h.transactions_applied,
                events_applied: h.events_applied,
                epoch: h.epoch,
                sync_pending_epoch: h.sync_pending_epoch,
            }
        }
    }

    impl From<&blob_info::Changes> for Changes {
        fn from(c: &blob_info::Changes) -> Self {
            Self {
                head: c.head.into(),
                entries: c
                    .entries
                    .iter()
                    .map(|e| Entry {
                        key: e.key.clone(),
                        info: e.info.as_ref().map(Into::into),
                        to_recover: e.to_recover,
                    })
                    .collect(),
            }
        }
    }

    impl From<Changes> for blob_info::Changes {
        fn from(c: Changes) -> Self {
            Self {
                head: c.head.into(),
                entries: c
                    .entries
                    .into_iter()
                    .map(|e| blob_info::Entry {
                        key: e.key,
                        info: e.info.map(Into::into),
                        to_recover: e.to_recover,
                    })
                    .collect(),
            }
        }
    }
}

/// Frozen types of format version 0: the whole state as one JSON document, as walrus-node wrote
/// it to `events.json` before the journal. Only read (and written by tests and the benchmark).
pub mod v0 {
    use std::collections::BTreeMap;
    use std::fs::{self, File};
    use std::io::{self, Write as _};
    use std::path::Path;

    use serde::{Deserialize, Serialize};

    use crate::blob_info::{self, BlobInfo, Changes, Entry, EventState, Head};

    /// The v0 document.
    #[derive(Debug, Serialize, Deserialize)]
    pub struct Document {
        /// Cursor of the last applied transaction.
        pub cursor: u64,
        /// Transactions applied.
        pub transactions_applied: u64,
        /// Events applied.
        pub events_applied: u64,
        /// Latest epoch seen.
        pub epoch: u32,
        /// Per blob ID (base64url), in the v0 JSON shape of [`BlobInfo`].
        pub blobs: BTreeMap<String, BlobInfoV0>,
        /// Blob IDs to recover.
        pub to_recover: Vec<String>,
        /// Epoch change waiting for `epoch_sync_done`.
        #[serde(default)]
        pub sync_pending_epoch: Option<u32>,
    }

    /// [`BlobInfo`] as v0 wrote it.
    #[derive(Debug, Serialize, Deserialize)]
    pub struct BlobInfoV0 {
        /// Live objects by object id (hex).
        pub objects: BTreeMap<String, ObjectInfoV0>,
        /// The `InvalidBlobID` event.
        pub invalid: Option<walrus_node_api::EventId>,
        /// The first certification event.
        pub first_certified: Option<walrus_node_api::EventId>,
        /// The first epoch in which an object was certified.
        pub initial_certified_epoch: Option<u32>,
        /// The stored data was deleted.
        #[serde(default)]
        pub data_collected: bool,
    }

    /// [`blob_info::ObjectInfo`] as v0 wrote it.
    #[derive(Debug, Serialize, Deserialize)]
    pub struct ObjectInfoV0 {
        /// The blob ID (base64url text in JSON).
        pub blob_id: walrus_core::BlobId,
        /// Deletable.
        pub deletable: bool,
        /// End epoch, exclusive.
        pub end_epoch: u32,
        /// Certified in this epoch.
        pub certified_epoch: Option<u32>,
        /// The event that last changed it.
        pub event: walrus_node_api::EventId,
    }

    impl From<BlobInfoV0> for BlobInfo {
        fn from(b: BlobInfoV0) -> Self {
            Self {
                objects: b
                    .objects
                    .into_iter()
                    .map(|(k, o)| {
                        let object = blob_info::ObjectInfo {
                            blob_id: o.blob_id,
                            deletable: o.deletable,
                            end_epoch: o.end_epoch,
                            certified_epoch: o.certified_epoch,
                            event: o.event,
                        };
                        (k, object)
                    })
                    .collect(),
                invalid: b.invalid,
                first_certified: b.first_certified,
                initial_certified_epoch: b.initial_certified_epoch,
                data_collected: b.data_collected,
            }
        }
    }

    impl From<&BlobInfo> for BlobInfoV0 {
        fn from(b: &BlobInfo) -> Self {
            Self {
                objects: b
                    .objects
                    .iter()
                    .map(|(k, o)| {
                        let object = ObjectInfoV0 {
                            blob_id: o.blob_id,
                            deletable: o.deletable,
                            end_epoch: o.end_epoch,
                            certified_epoch: o.certified_epoch,
                            event: o.event.clone(),
                        };
                        (k.clone(), object)
                    })
                    .collect(),
                invalid: b.invalid.clone(),
                first_certified: b.first_certified.clone(),
                initial_certified_epoch: b.initial_certified_epoch,
                data_collected: b.data_collected,
            }
        }
    }

    impl Document {
        /// The state the document describes.
        pub fn into_state(self) -> EventState {
            let mut state = EventState::default();
            let mut recover: std::collections::BTreeSet<String> =
                self.to_recover.into_iter().collect();
            let mut entries: Vec<Entry> = self
                .blobs
                .into_iter()
                .map(|(key, info)| Entry {
                    to_recover: recover.remove(&key),
                    key,
                    info: Some(info.into()),
                })
                .collect();
            entries.extend(recover.into_iter().map(|key| Entry {
                key,
                info: None,
                to_recover: true,
            }));
            state.apply_changes(Changes {
                head: Head {
                    cursor: self.cursor,
                    transactions_applied: self.transactions_applied,
                    events_applied: self.events_applied,
                    epoch: self.epoch,
                    sync_pending_epoch: self.sync_pending_epoch,
                },
                entries,
            });
            state
        }

        /// The document of `state`.
        pub fn of(state: &EventState) -> Self {
            Self {
                cursor: state.cursor,
                transactions_applied: state.transactions_applied,
                events_applied: state.events_applied,
                epoch: state.epoch,
                blobs: state
                    .blobs
                    .iter()
                    .map(|(k, b)| (k.clone(), b.into()))
                    .collect(),
                to_recover: state.to_recover.to_vec(),
                sync_pending_epoch: state.sync_pending_epoch,
            }
        }
    }

    /// Writes `state` as v0 did after every page: the whole document to a temporary file,
    /// `fsync`, rename, directory `fsync`. Returns the bytes written. (The node no longer does
    /// this; tests make v0 data directories with it and the benchmark compares against it.)
    pub fn write(state: &EventState, path: &Path) -> io::Result<u64> {
        let bytes = serde_json::to_vec(&Document::of(state)).map_err(io::Error::other)?;
        let tmp = path.with_extension("tmp");
        let mut file = File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(bytes.len() as u64)
    }
}

fn encode_changes(changes: &Changes) -> Vec<u8> {
    // BCS of owned structs of integers, strings, options, vectors and maps always serializes.
    bcs::to_bytes(&v1::Changes::from(changes)).unwrap_or_default()
}

fn decode_changes(path: &Path, offset: u64, payload: &[u8]) -> Result<Changes, EventStoreError> {
    bcs::from_bytes::<v1::Changes>(payload)
        .map(Into::into)
        .map_err(|e| EventStoreError::Corrupt {
            path: path.to_path_buf(),
            offset,
            reason: format!("a record with a valid checksum does not decode: {e}"),
        })
}

fn sync_dir(dir: &Path) -> Result<(), EventStoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

/// The number in the header of `path`, which must start with the magic `expected`.
fn read_header(
    path: &Path,
    file: &File,
    len: u64,
    expected: [u8; 8],
) -> Result<u64, EventStoreError> {
    if len < FILE_HEADER_LEN {
        return Err(EventStoreError::Corrupt {
            path: path.to_path_buf(),
            offset: 0,
            reason: format!("{len} bytes is shorter than the header"),
        });
    }
    let mut header = [0u8; FILE_HEADER_LEN as usize];
    file.read_exact_at(&mut header, 0).map_err(io_err(path))?;
    let mut magic = [0u8; 8];
    magic.copy_from_slice(&header[..8]);
    if magic != expected {
        return Err(EventStoreError::UnknownFormat {
            path: path.to_path_buf(),
            magic,
        });
    }
    let mut number = [0u8; 8];
    number.copy_from_slice(&header[8..]);
    Ok(u64::from_le_bytes(number))
}

/// Writes `state` as the snapshot after record `seq` (temporary file, fsync, rename, directory
/// fsync). Returns its size.
fn write_snapshot(dir: &Path, seq: u64, state: &EventState) -> Result<u64, EventStoreError> {
    let path = dir.join(SNAPSHOT_FILE);
    let tmp = dir.join(format!("{SNAPSHOT_FILE}.tmp"));
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&tmp)
        .map_err(io_err(&tmp))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    // The frame count is patched in once known.
    let mut header = Vec::with_capacity(SNAPSHOT_HEADER_LEN as usize);
    header.extend_from_slice(&SNAPSHOT_MAGIC);
    header.extend_from_slice(&seq.to_le_bytes());
    header.extend_from_slice(&0u64.to_le_bytes());
    out.write_all(&header).map_err(io_err(&tmp))?;
    let head = v1::Head::from(state.head());
    let mut frames = 0u64;
    let mut written = SNAPSHOT_HEADER_LEN;
    let mut chunk = Vec::with_capacity(SNAPSHOT_CHUNK);
    let mut buf = Vec::new();
    let mut entries = state.entries().peekable();
    loop {
        chunk.clear();
        for (key, info, to_recover) in entries.by_ref().take(SNAPSHOT_CHUNK) {
            chunk.push(v1::Entry {
                key: key.clone(),
                info: info.map(Into::into),
                to_recover,
            });
        }
        // Always at least one frame, so the head is stored even with no entries.
        if chunk.is_empty() && frames > 0 {
            break;
        }
        let changes = v1::Changes {
            head,
            entries: std::mem::take(&mut chunk),
        };
        let payload = bcs::to_bytes(&changes).unwrap_or_default();
        chunk = changes.entries;
        buf.clear();
        encode_frame(&mut buf, seq, &payload);
        out.write_all(&buf).map_err(io_err(&tmp))?;
        written += buf.len() as u64;
        frames += 1;
        if entries.peek().is_none() {
            break;
        }
    }
    let file = out.into_inner().map_err(|e| EventStoreError::Io {
        path: tmp.clone(),
        source: e.into_error(),
    })?;
    file.write_all_at(&frames.to_le_bytes(), 16)
        .and_then(|()| file.sync_all())
        .map_err(io_err(&tmp))?;
    drop(file);
    fs::rename(&tmp, &path).map_err(io_err(&path))?;
    sync_dir(dir)?;
    Ok(written)
}

/// Reads the snapshot: `(seq, state, size)`.
fn read_snapshot(path: &Path) -> Result<(u64, EventState, u64), EventStoreError> {
    let file = File::open(path).map_err(io_err(path))?;
    let len = file.metadata().map_err(io_err(path))?.len();
    let seq = read_header(path, &file, len, SNAPSHOT_MAGIC)?;
    let corrupt = |offset: u64, reason: String| EventStoreError::Corrupt {
        path: path.to_path_buf(),
        offset,
        reason,
    };
    if len < SNAPSHOT_HEADER_LEN {
        return Err(corrupt(0, "header cut short".into()));
    }
    let mut count = [0u8; 8];
    file.read_exact_at(&mut count, 16).map_err(io_err(path))?;
    let frames = u64::from_le_bytes(count);
    let mut state = EventState::default();
    let mut offset = SNAPSHOT_HEADER_LEN;
    let mut read = 0u64;
    loop {
        match read_frame(&file, offset, len, MAX_FRAME_BYTES).map_err(io_err(path))? {
            Frame::End => break,
            Frame::Bad(reason) => return Err(corrupt(offset, reason)),
            Frame::Record {
                seq: frame_seq,
                payload,
                next,
            } => {
                if frame_seq != seq {
                    return Err(corrupt(
                        offset,
                        format!("frame of record {frame_seq} in the snapshot of record {seq}"),
                    ));
                }
                state.apply_changes(decode_changes(path, offset, &payload)?);
                read += 1;
                offset = next;
            }
        }
    }
    if read != frames {
        return Err(corrupt(
            offset,
            format!("the header announces {frames} frames, the file holds {read}"),
        ));
    }
    Ok((seq, state, len))
}

/// Replaces the journal by an empty one whose records start after `base`.
fn reset_journal(dir: &Path, base: u64) -> Result<File, EventStoreError> {
    let path = dir.join(JOURNAL_FILE);
    let tmp = dir.join(format!("{JOURNAL_FILE}.tmp"));
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&tmp)
        .map_err(io_err(&tmp))?;
    let mut header = Vec::with_capacity(FILE_HEADER_LEN as usize);
    header.extend_from_slice(&JOURNAL_MAGIC);
    header.extend_from_slice(&base.to_le_bytes());
    file.write_all(&header)
        .and_then(|()| file.sync_all())
        .map_err(io_err(&tmp))?;
    drop(file);
    fs::rename(&tmp, &path).map_err(io_err(&path))?;
    sync_dir(dir)?;
    OpenOptions::new()
        .read(true)
        .append(true)
        .open(&path)
        .map_err(io_err(&path))
}

fn remove_if_present(path: &Path) -> Result<bool, EventStoreError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_err(path)(e)),
    }
}

impl EventStore {
    /// Opens the store in `dir` (creating it, or migrating a v0 `events.json`) and returns it
    /// with the persisted state and what was found.
    pub fn open(
        dir: &Path,
        options: StoreOptions,
    ) -> Result<(Self, EventState, OpenReport), EventStoreError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let mut report = OpenReport::default();
        remove_if_present(&dir.join(format!("{SNAPSHOT_FILE}.tmp")))?;
        remove_if_present(&dir.join(format!("{JOURNAL_FILE}.tmp")))?;
        let snapshot_path = dir.join(SNAPSHOT_FILE);
        let journal_path = dir.join(JOURNAL_FILE);
        let legacy_path = dir.join(LEGACY_JSON_FILE);

        let (snapshot_seq, mut state, snapshot_len) = if snapshot_path.exists() {
            read_snapshot(&snapshot_path)?
        } else {
            if journal_path.exists() {
                return Err(EventStoreError::Corrupt {
                    path: journal_path,
                    offset: 0,
                    reason: format!("a journal without {SNAPSHOT_FILE}: the snapshot is missing"),
                });
            }
            let state = match fs::read(&legacy_path) {
                Ok(bytes) => {
                    let document: v0::Document =
                        serde_json::from_slice(&bytes).map_err(|e| EventStoreError::Legacy {
                            path: legacy_path.clone(),
                            source: e,
                        })?;
                    report.migrated_v0 = true;
                    document.into_state()
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => EventState::default(),
                Err(e) => return Err(io_err(&legacy_path)(e)),
            };
            let len = write_snapshot(dir, 0, &state)?;
            (0, state, len)
        };
        // The v0 file is stale once a snapshot exists (it may survive a crash right after the
        // migration's snapshot was written).
        if remove_if_present(&legacy_path)? {
            sync_dir(dir)?;
            if report.migrated_v0 {
                tracing::info!(path = %legacy_path.display(), "migrated the v0 event state");
            }
        }

        let (mut journal, mut journal_len, mut last_seq, base) = if journal_path.exists() {
            Self::replay(&journal_path, snapshot_seq, &mut state, &mut report)?
        } else {
            let file = reset_journal(dir, snapshot_seq)?;
            (file, FILE_HEADER_LEN, snapshot_seq, snapshot_seq)
        };
        let mut snapshot_len = snapshot_len;
        if base != snapshot_seq {
            // Compaction was interrupted after the snapshot was written: the journal still holds
            // records the snapshot covers. Fold whatever it held beyond them into a snapshot too,
            // then start an empty journal after it.
            last_seq = last_seq.max(snapshot_seq);
            if report.replayed > 0 {
                snapshot_len = write_snapshot(dir, last_seq, &state)?;
            }
            journal = reset_journal(dir, last_seq)?;
            journal_len = FILE_HEADER_LEN;
        }
        Ok((
            Self {
                dir: dir.to_path_buf(),
                options,
                journal,
                journal_len,
                last_seq,
                snapshot_len,
                needs_snapshot: false,
                bytes_written: 0,
            },
            state,
            report,
        ))
    }

    /// Replays the journal records after `snapshot_seq` onto `state`, truncating a torn tail.
    /// Returns the journal opened for appending, its length, the last record's seq and the
    /// journal's base.
    fn replay(
        path: &Path,
        snapshot_seq: u64,
        state: &mut EventState,
        report: &mut OpenReport,
    ) -> Result<(File, u64, u64, u64), EventStoreError> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(io_err(path))?;
        let len = file.metadata().map_err(io_err(path))?.len();
        let base = read_header(path, &file, len, JOURNAL_MAGIC)?;
        let corrupt = |offset: u64, reason: String| EventStoreError::Corrupt {
            path: path.to_path_buf(),
            offset,
            reason,
        };
        if base > snapshot_seq {
            return Err(corrupt(
                8,
                format!(
                    "the journal starts after record {base} but the snapshot holds only up to \
                     record {snapshot_seq}"
                ),
            ));
        }
        let mut offset = FILE_HEADER_LEN;
        let mut last = base;
        loop {
            match read_frame(&file, offset, len, MAX_FRAME_BYTES).map_err(io_err(path))? {
                Frame::End => break,
                Frame::Record { seq, payload, next } => {
                    if seq != last + 1 {
                        return Err(corrupt(
                            offset,
                            format!("record {seq} where record {} was expected", last + 1),
                        ));
                    }
                    if seq > snapshot_seq {
                        state.apply_changes(decode_changes(path, offset, &payload)?);
                        report.replayed += 1;
                    } else {
                        report.skipped += 1;
                    }
                    last = seq;
                    offset = next;
                }
                Frame::Bad(reason) => {
                    if intact_frame_follows(&file, offset, len, last + 2, MAX_FRAME_BYTES)
                        .map_err(io_err(path))?
                    {
                        return Err(corrupt(
                            offset,
                            format!(
                                "{reason}, and intact records follow: refusing to drop persisted \
                                 pages (moving the journal aside resumes from the snapshot at \
                                 cursor {}; later transactions are read from the chain again)",
                                state.cursor
                            ),
                        ));
                    }
                    tracing::warn!(
                        path = %path.display(),
                        offset,
                        bytes = len - offset,
                        %reason,
                        "discarding the torn tail of the event journal"
                    );
                    file.set_len(offset)
                        .and_then(|()| file.sync_all())
                        .map_err(io_err(path))?;
                    report.truncated_bytes = len - offset;
                    break;
                }
            }
        }
        Ok((file, offset, last.max(snapshot_seq), base))
    }

    /// Appends the record of one page and makes it durable. On failure the journal is cut
    /// back to its previous end and the next [`EventStore::must_compact`] is true: the changes
    /// are then only in memory, and a snapshot must hold them.
    pub fn append(&mut self, changes: &Changes) -> Result<(), EventStoreError> {
        let path = self.dir.join(JOURNAL_FILE);
        self.last_seq += 1;
        let payload = encode_changes(changes);
        if payload.len() as u64 > MAX_FRAME_BYTES {
            self.needs_snapshot = true;
            return Err(EventStoreError::Io {
                path,
                source: io::Error::other(format!(
                    "a record of {} bytes exceeds the limit; writing a snapshot instead",
                    payload.len()
                )),
            });
        }
        let mut frame = Vec::with_capacity(payload.len() + FRAME_HEADER_LEN as usize);
        encode_frame(&mut frame, self.last_seq, &payload);
        let result = (&self.journal)
            .write_all(&frame)
            .and_then(|()| self.journal.sync_data());
        if let Err(source) = result {
            self.needs_snapshot = true;
            if let Err(e) = self.journal.set_len(self.journal_len) {
                tracing::error!(error = %e, "cutting back a failed journal append failed");
            }
            return Err(EventStoreError::Io { path, source });
        }
        self.journal_len += frame.len() as u64;
        self.bytes_written += frame.len() as u64;
        Ok(())
    }

    /// Whether the next persist must write a snapshot: the journal outgrew its bound, or an
    /// append failed.
    pub fn must_compact(&self) -> bool {
        self.needs_snapshot
            || self.journal_len > self.options.compact_min_bytes.max(self.snapshot_len)
    }

    /// Writes `state` (which holds at least everything journaled) as the new snapshot and
    /// empties the journal.
    pub fn compact(&mut self, state: &EventState) -> Result<(), EventStoreError> {
        let len = write_snapshot(&self.dir, self.last_seq, state)?;
        self.snapshot_len = len;
        self.bytes_written += len;
        self.journal = reset_journal(&self.dir, self.last_seq)?;
        self.journal_len = FILE_HEADER_LEN;
        self.bytes_written += FILE_HEADER_LEN;
        self.needs_snapshot = false;
        Ok(())
    }

    /// Bytes written since the store was opened (records, snapshots, headers).
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// The journal's current length in bytes.
    pub fn journal_len(&self) -> u64 {
        self.journal_len
    }

    /// The snapshot's length in bytes.
    pub fn snapshot_len(&self) -> u64 {
        self.snapshot_len
    }
}

#[cfg(test)]
mod tests {
    use sui_sdk_types::{Address, Digest};
    use walrus_chain::types::{EventRecord, ExecutionStatus, TransactionRecord};
    use walrus_core::BlobId;
    use walrus_core::contracts::ObjectId;
    use walrus_core::contracts::events::{
        BlobCertified, BlobRegistered, ContractEvent, EpochChangeStart, InvalidBlobId,
    };

    use super::*;

    fn blob(n: u64) -> BlobId {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&n.to_le_bytes());
        BlobId(bytes)
    }

    fn object(n: u64) -> ObjectId {
        let mut bytes = [0u8; 32];
        bytes[24..].copy_from_slice(&n.to_be_bytes());
        ObjectId(bytes)
    }

    fn register(n: u64, obj: u64, deletable: bool) -> ContractEvent {
        ContractEvent::BlobRegistered(BlobRegistered {
            epoch: 1,
            blob_id: blob(n),
            size: 1000,
            encoding_type: 1,
            end_epoch: 10,
            deletable,
            object_id: object(obj),
        })
    }

    fn certify(n: u64, obj: u64) -> ContractEvent {
        ContractEvent::BlobCertified(BlobCertified {
            epoch: 1,
            blob_id: blob(n),
            end_epoch: 10,
            deletable: false,
            object_id: object(obj),
            is_extension: false,
        })
    }

    fn tx(cursor: u64, events: &[ContractEvent]) -> TransactionRecord {
        let mut digest = [7u8; 32];
        digest[..8].copy_from_slice(&cursor.to_le_bytes());
        TransactionRecord {
            cursor,
            digest: Digest::new(digest),
            sender: Address::new([1; 32]),
            timestamp_ms: 0,
            status: ExecutionStatus::Success,
            events: events
                .iter()
                .enumerate()
                .map(|(i, e)| EventRecord {
                    event_index: i as u32,
                    event_type: e.type_name("0x1"),
                    bcs: e.to_bcs(),
                })
                .collect(),
            object_changes: Vec::new(),
        }
    }

    /// Three pages: registrations and certifications; an invalid ID and an epoch change; a
    /// deletion-side change made by recovery (data collected, recovered) and one more page.
    fn pages() -> Vec<Vec<TransactionRecord>> {
        vec![
            vec![
                tx(1, &[register(1, 1, false), register(2, 2, true)]),
                tx(2, &[certify(1, 1)]),
            ],
            vec![
                tx(
                    3,
                    &[ContractEvent::InvalidBlobId(InvalidBlobId {
                        epoch: 1,
                        blob_id: blob(3),
                    })],
                ),
                tx(
                    4,
                    &[ContractEvent::EpochChangeStart(EpochChangeStart {
                        epoch: 2,
                    })],
                ),
            ],
            vec![tx(5, &[register(4, 4, false), certify(4, 4)])],
        ]
    }

    /// Applies page `i` to `state`, including what recovery does between pages.
    fn apply_page(state: &mut EventState, i: usize, page: &[TransactionRecord]) {
        for record in page {
            state.apply(record);
        }
        if i == 2 {
            state.to_recover.remove(&blob(1).to_string());
            if let Some(info) = state.blobs.get_mut(&blob(3).to_string()) {
                info.data_collected = true;
            }
            state.sync_pending_epoch = None;
        }
    }

    fn open(dir: &Path) -> (EventStore, EventState, OpenReport) {
        EventStore::open(dir, StoreOptions::default()).unwrap()
    }

    /// Persists every page; returns the state after each page and the journal length before
    /// each page's record.
    fn write_pages(dir: &Path) -> (Vec<EventState>, Vec<u64>) {
        let (mut store, mut state, _) = open(dir);
        let mut states = Vec::new();
        let mut starts = Vec::new();
        for (i, page) in pages().iter().enumerate() {
            apply_page(&mut state, i, page);
            starts.push(store.journal_len());
            store.append(&state.take_changes()).unwrap();
            states.push(state.clone());
        }
        (states, starts)
    }

    fn copy_dir(from: &Path, to: &Path) {
        for name in [SNAPSHOT_FILE, JOURNAL_FILE] {
            fs::copy(from.join(name), to.join(name)).unwrap();
        }
    }

    #[test]
    fn a_reopened_store_holds_the_state_after_the_last_page() {
        let dir = tempfile::tempdir().unwrap();
        let (states, _) = write_pages(dir.path());
        let (_, state, report) = open(dir.path());
        assert_eq!(&state, states.last().unwrap());
        assert_eq!(state.cursor, 5);
        assert_eq!(report.replayed, 3);
        assert!(!state.to_recover.contains(&blob(1).to_string()));
        assert!(state.to_recover.contains(&blob(4).to_string()));
        assert!(state.blob(&blob(3)).unwrap().data_collected);
        assert!(!state.has_changes());
    }

    #[test]
    fn a_page_record_holds_only_the_entries_it_changed() {
        let mut state = EventState::default();
        for n in 0..100 {
            state.apply(&tx(n + 1, &[register(n, n, false)]));
        }
        assert_eq!(state.take_changes().entries.len(), 100);
        state.apply(&tx(101, &[certify(7, 7)]));
        state.apply(&tx(102, &[register(8, 1000, true)]));
        let changes = state.take_changes();
        let keys: Vec<_> = changes.entries.iter().map(|e| e.key.clone()).collect();
        assert_eq!(keys.len(), 2);
        assert!(keys.contains(&blob(7).to_string()) && keys.contains(&blob(8).to_string()));
        assert_eq!(changes.head.cursor, 102);
        assert!(!state.has_changes());
        // Applying the changes to the state they were taken from changes nothing.
        let before = state.clone();
        state.apply_changes(changes);
        assert_eq!(state, before);
    }

    #[test]
    fn a_torn_last_record_is_discarded_at_every_byte_offset() {
        let dir = tempfile::tempdir().unwrap();
        let (states, starts) = write_pages(dir.path());
        let full = fs::metadata(dir.path().join(JOURNAL_FILE)).unwrap().len();
        let last_start = *starts.last().unwrap();
        assert!(full - last_start > FRAME_HEADER_LEN);
        for cut in last_start..=full {
            let copy = tempfile::tempdir().unwrap();
            copy_dir(dir.path(), copy.path());
            let journal = OpenOptions::new()
                .write(true)
                .open(copy.path().join(JOURNAL_FILE))
                .unwrap();
            journal.set_len(cut).unwrap();
            drop(journal);
            let (mut store, mut state, report) = open(copy.path());
            if cut == full {
                assert_eq!(state, states[2], "cut at {cut}");
                assert_eq!(report.truncated_bytes, 0);
                continue;
            }
            assert_eq!(state, states[1], "cut at {cut} of {last_start}..{full}");
            assert_eq!(state.cursor, 4);
            assert_eq!(report.truncated_bytes, cut - last_start, "cut at {cut}");
            // The journal was cut back cleanly: replaying the lost page and reopening works.
            apply_page(&mut state, 2, &pages()[2]);
            store.append(&state.take_changes()).unwrap();
            drop(store);
            let (_, reopened, report) = open(copy.path());
            assert_eq!(reopened, states[2], "cut at {cut}");
            assert_eq!(report.truncated_bytes, 0);
        }
    }

    #[test]
    fn a_damaged_last_record_is_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let (states, starts) = write_pages(dir.path());
        let path = dir.path().join(JOURNAL_FILE);
        let mut bytes = fs::read(&path).unwrap();
        let at = bytes.len() - 3;
        bytes[at] ^= 0x40;
        fs::write(&path, &bytes).unwrap();
        let (_, state, report) = open(dir.path());
        assert_eq!(state, states[1]);
        assert_eq!(report.truncated_bytes, bytes.len() as u64 - starts[2]);
    }

    #[test]
    fn a_damaged_record_followed_by_intact_ones_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (_, starts) = write_pages(dir.path());
        let path = dir.path().join(JOURNAL_FILE);
        let mut bytes = fs::read(&path).unwrap();
        let at = starts[1] as usize + FRAME_HEADER_LEN as usize + 2;
        bytes[at] ^= 0x01;
        fs::write(&path, &bytes).unwrap();
        let err = EventStore::open(dir.path(), StoreOptions::default()).unwrap_err();
        match &err {
            EventStoreError::Corrupt { offset, reason, .. } => {
                assert_eq!(*offset, starts[1]);
                assert!(reason.contains("checksum mismatch"), "{reason}");
                assert!(reason.contains("intact records follow"), "{reason}");
            }
            other => panic!("unexpected error {other:?}"),
        }
        assert_eq!(fs::read(&path).unwrap(), bytes, "nothing changed on disk");
    }

    #[test]
    fn compaction_writes_a_snapshot_and_empties_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let options = StoreOptions {
            compact_min_bytes: 4096,
        };
        let (mut store, mut state, _) = EventStore::open(dir.path(), options).unwrap();
        let mut compactions = 0;
        // More blobs than one snapshot frame holds.
        for n in 0..(SNAPSHOT_CHUNK as u64 + 500) {
            state.apply(&tx(n + 1, &[register(n, n, n % 2 == 0), certify(n, n)]));
            if n % 50 == 49 {
                store.append(&state.take_changes()).unwrap();
                if store.must_compact() {
                    store.compact(&state).unwrap();
                    compactions += 1;
                    assert_eq!(store.journal_len(), FILE_HEADER_LEN);
                    assert!(!store.must_compact());
                }
            }
        }
        store.append(&state.take_changes()).unwrap();
        assert!(compactions >= 2, "{compactions} compactions");
        // The journal stays within its bound (one page past it at most).
        assert!(store.journal_len() < 2 * store.snapshot_len().max(4096));
        drop(store);
        let (_, reopened, report) = EventStore::open(dir.path(), options).unwrap();
        assert_eq!(reopened, state);
        assert_eq!(reopened.blobs.len(), SNAPSHOT_CHUNK + 500);
        assert!(report.replayed >= 1);
    }

    #[test]
    fn an_interrupted_compaction_skips_the_records_the_snapshot_holds() {
        let dir = tempfile::tempdir().unwrap();
        let (states, _) = write_pages(dir.path());
        // The snapshot of record 3 was renamed into place, then the node died before the
        // journal was replaced.
        write_snapshot(dir.path(), 3, &states[2]).unwrap();
        let (mut store, mut state, report) = open(dir.path());
        assert_eq!(state, states[2]);
        assert_eq!((report.skipped, report.replayed), (3, 0));
        assert_eq!(store.journal_len(), FILE_HEADER_LEN);
        state.apply(&tx(6, &[register(9, 9, false)]));
        store.append(&state.take_changes()).unwrap();
        drop(store);
        let (_, reopened, report) = open(dir.path());
        assert_eq!(reopened, state);
        assert_eq!((report.skipped, report.replayed), (0, 1));
    }

    #[test]
    fn a_v0_json_file_is_migrated_on_first_open() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = EventState::default();
        for (i, page) in pages().iter().enumerate() {
            apply_page(&mut state, i, page);
        }
        state.sync_pending_epoch = Some(2);
        // The v0 document exactly as walrus-node wrote it: `BlobInfo`'s own serde form, the
        // state's fields by name, the recovery list as a JSON array.
        let document = serde_json::json!({
            "cursor": state.cursor,
            "transactions_applied": state.transactions_applied,
            "events_applied": state.events_applied,
            "epoch": state.epoch,
            "blobs": &*state.blobs,
            "to_recover": state.to_recover.to_vec(),
            "sync_pending_epoch": state.sync_pending_epoch,
        });
        let text = serde_json::to_string(&document).unwrap();
        assert!(text.contains("\"txDigest\""), "{text}");
        fs::write(dir.path().join(LEGACY_JSON_FILE), &text).unwrap();
        let (_, migrated, report) = open(dir.path());
        assert!(report.migrated_v0);
        assert_eq!(migrated, state);
        assert!(!dir.path().join(LEGACY_JSON_FILE).exists());
        let (_, reopened, report) = open(dir.path());
        assert!(!report.migrated_v0);
        assert_eq!(reopened, state);

        // The writer kept for tests and benchmarks produces the same document.
        let other = tempfile::tempdir().unwrap();
        v0::write(&state, &other.path().join(LEGACY_JSON_FILE)).unwrap();
        let written: serde_json::Value =
            serde_json::from_slice(&fs::read(other.path().join(LEGACY_JSON_FILE)).unwrap())
                .unwrap();
        assert_eq!(written, document);
    }

    #[test]
    fn an_old_v0_file_without_later_fields_is_read() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(LEGACY_JSON_FILE),
            r#"{"cursor":9,"transactions_applied":9,"events_applied":4,"epoch":1,"blobs":{},"to_recover":[]}"#,
        )
        .unwrap();
        let (_, state, report) = open(dir.path());
        assert!(report.migrated_v0);
        assert_eq!((state.cursor, state.sync_pending_epoch), (9, None));
    }

    #[test]
    fn a_bad_v0_file_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LEGACY_JSON_FILE);
        fs::write(&path, b"{\"cursor\": ").unwrap();
        let err = EventStore::open(dir.path(), StoreOptions::default()).unwrap_err();
        assert!(matches!(err, EventStoreError::Legacy { .. }), "{err}");
        assert!(path.exists());
        assert!(!dir.path().join(SNAPSHOT_FILE).exists());
    }

    #[test]
    fn a_newer_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write_pages(dir.path());
        let path = dir.path().join(SNAPSHOT_FILE);
        let mut bytes = fs::read(&path).unwrap();
        bytes[7] = 2;
        fs::write(&path, &bytes).unwrap();
        let err = EventStore::open(dir.path(), StoreOptions::default()).unwrap_err();
        assert!(
            matches!(err, EventStoreError::UnknownFormat { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("format version 1"), "{err}");
    }
}
