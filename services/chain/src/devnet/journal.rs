//! The devnet ledger's journal: an append-only, checksummed log of executed transactions that is
//! fsynced before a transaction is acknowledged.
//!
//! # Layout
//!
//! The journal lives in its own directory as segments named `<first sequence, 20 digits>.seg`.
//! A segment starts with a 16-byte header (`MAGIC` then the first sequence number, u64 LE) followed
//! by records:
//!
//! ```text
//! record = len: u32 LE (payload bytes) ‖ crc: u32 LE (CRC-32C of seq ‖ payload) ‖ seq: u64 LE ‖ payload
//! ```
//!
//! Sequence numbers start at 1 and are consecutive across segments.
//!
//! # Durability (group commit)
//!
//! [`Journal::submit`] queues a record and returns a [`Ticket`]; a dedicated writer thread drains
//! the queue, writes everything pending in one go, calls `fdatasync` once, and only then resolves
//! the tickets. Many concurrent transactions therefore share one sync. Readers
//! ([`Journal::read_from`]) only ever see records that are durable.
//!
//! # Recovery
//!
//! [`Journal::open`] scans every segment. A record that is cut short, or whose checksum does not
//! match, at the end of the last segment is the tail of a write that was never acknowledged: the
//! segment is truncated there, the dropped byte count is reported in [`Recovery`], and nothing of
//! it is returned. A damaged record that is followed by an intact one is not a torn write but
//! damage to acknowledged data: opening fails with [`JournalError::Corrupt`] rather than silently
//! dropping transactions.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use crate::frame::{Frame, encode_frame, intact_frame_follows, read_frame};

/// Segment header magic: "WJOURNAL" with the format version in the last byte.
const MAGIC: [u8; 8] = *b"WJOURNL\x01";
const HEADER_LEN: u64 = 16;
/// Largest payload a record may carry; larger lengths in a frame header mean damage.
pub const MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;
/// How many records may wait for the writer before `submit` blocks (back-pressure).
const QUEUE_DEPTH: usize = 65_536;
/// The writer stops gathering a batch at this many bytes so one sync never holds too much.
const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;
/// One in this many records is remembered in the in-memory index used by readers.
const INDEX_EVERY: u64 = 256;

/// Errors of the journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// An I/O operation on the journal failed.
    #[error("journal I/O error at {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A damaged record was found before intact ones: acknowledged data is damaged.
    #[error(
        "journal segment {segment} is damaged at byte {offset} ({reason}) and intact records \
         follow; refusing to drop acknowledged transactions"
    )]
    Corrupt {
        /// The damaged segment.
        segment: PathBuf,
        /// Byte offset of the damaged record.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// Segments do not hold consecutive sequence numbers.
    #[error("journal sequence gap: expected record {expected}, found {found} in {segment}")]
    SequenceGap {
        /// The segment holding the unexpected record.
        segment: PathBuf,
        /// The sequence number that should have come next.
        expected: u64,
        /// The sequence number found.
        found: u64,
    },
    /// A record was submitted out of order.
    #[error("record {got} submitted out of order; the next sequence number is {expected}")]
    OutOfOrder {
        /// The sequence number the journal expected.
        expected: u64,
        /// The sequence number submitted.
        got: u64,
    },
    /// A record larger than [`MAX_RECORD_BYTES`] was submitted.
    #[error("record of {0} bytes exceeds the journal's limit of {MAX_RECORD_BYTES} bytes")]
    RecordTooLarge(usize),
    /// An earlier write or sync failed; the journal accepts nothing more until reopened.
    #[error("the journal failed earlier and must be reopened: {0}")]
    Failed(String),
}

impl JournalError {
    fn io(path: &Path, source: io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What [`Journal::open`] found and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Records present in the journal after repair.
    pub records: u64,
    /// Bytes cut off the end of the last segment (a torn, unacknowledged write).
    pub truncated_bytes: u64,
    /// Why the tail was cut, when it was.
    pub truncation_reason: Option<String>,
}

/// Options for [`Journal::open`].
#[derive(Debug, Clone)]
pub struct JournalOptions {
    /// A new segment is started once the current one exceeds this size.
    pub max_segment_bytes: u64,
    /// Whether to `fdatasync` before acknowledging (turn off only for throwaway test ledgers).
    pub sync: bool,
}

impl Default for JournalOptions {
    fn default() -> Self {
        Self {
            max_segment_bytes: 128 * 1024 * 1024,
            sync: true,
        }
    }
}

/// A queued record's acknowledgement: resolves once the record is durable.
#[derive(Debug)]
pub struct Ticket {
    seq: u64,
    rx: tokio::sync::oneshot::Receiver<Result<(), String>>,
}

impl Ticket {
    /// The record's sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Blocks the calling thread until the record is durable (works inside or outside an async
    /// runtime; in async code prefer [`Ticket::wait`]).
    pub fn wait_blocking(self) -> Result<u64, JournalError> {
        match futures_executor::block_on(self.rx) {
            Ok(Ok(())) => Ok(self.seq),
            Ok(Err(e)) => Err(JournalError::Failed(e)),
            Err(_) => Err(JournalError::Failed("the journal writer stopped".into())),
        }
    }

    /// Waits until the record is durable.
    pub async fn wait(self) -> Result<u64, JournalError> {
        match self.rx.await {
            Ok(Ok(())) => Ok(self.seq),
            Ok(Err(e)) => Err(JournalError::Failed(e)),
            Err(_) => Err(JournalError::Failed("the journal writer stopped".into())),
        }
    }
}

struct Pending {
    seq: u64,
    payload: Vec<u8>,
    done: tokio::sync::oneshot::Sender<Result<(), String>>,
}

/// Where records are, for readers: segment files by first sequence number and a sparse index.
#[derive(Default)]
struct Catalog {
    /// First sequence number -> segment path.
    segments: BTreeMap<u64, PathBuf>,
    /// Sequence number -> (segment first seq, byte offset of its frame), every `INDEX_EVERY` records.
    index: BTreeMap<u64, (u64, u64)>,
}

struct Shared {
    dir: PathBuf,
    durable: AtomicU64,
    failed: AtomicBool,
    failure: Mutex<Option<String>>,
    catalog: RwLock<Catalog>,
    /// Notified (with the new durable sequence number) whenever records become durable.
    durable_tx: tokio::sync::watch::Sender<u64>,
}

/// The journal: see the module documentation.
pub struct Journal {
    shared: Arc<Shared>,
    queue: Option<SyncSender<Pending>>,
    next_seq: Mutex<u64>,
    writer: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("dir", &self.shared.dir)
            .field("durable", &self.durable_seq())
            .finish()
    }
}

fn segment_name(first_seq: u64) -> String {
    format!("{first_seq:020}.seg")
}

fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| JournalError::io(dir, e))
}

impl Journal {
    /// Opens (creating if needed) the journal in `dir`, repairs a torn tail, and starts the writer.
    /// Returns the journal and what recovery found. Use [`Journal::read_from`] to replay.
    pub fn open(dir: &Path, options: JournalOptions) -> Result<(Self, Recovery), JournalError> {
        fs::create_dir_all(dir).map_err(|e| JournalError::io(dir, e))?;
        let mut firsts = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| JournalError::io(dir, e))? {
            let entry = entry.map_err(|e| JournalError::io(dir, e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if let Some(stem) = name.strip_suffix(".seg")
                && let Ok(first) = stem.parse::<u64>()
            {
                firsts.push(first);
            }
        }
        firsts.sort_unstable();

        let mut catalog = Catalog::default();
        let mut recovery = Recovery::default();
        let mut expected = 1u64;
        let mut tail: Option<(u64, u64)> = None; // (first seq, end offset) of the last segment
        for (i, &first) in firsts.iter().enumerate() {
            let is_last = i + 1 == firsts.len();
            let path = dir.join(segment_name(first));
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(|e| JournalError::io(&path, e))?;
            let file_len = file
                .metadata()
                .map_err(|e| JournalError::io(&path, e))?
                .len();
            let header_ok = file_len >= HEADER_LEN && {
                let mut header = [0u8; HEADER_LEN as usize];
                file.read_exact_at(&mut header, 0)
                    .map_err(|e| JournalError::io(&path, e))?;
                header[..8] == MAGIC && header[8..16] == first.to_le_bytes()
            };
            if !header_ok {
                if is_last && file_len <= HEADER_LEN {
                    // Created but never written past a partial header: recreate it below.
                    fs::remove_file(&path).map_err(|e| JournalError::io(&path, e))?;
                    recovery.truncated_bytes += file_len;
                    recovery.truncation_reason = Some("segment header cut short".into());
                    continue;
                }
                return Err(JournalError::Corrupt {
                    segment: path,
                    offset: 0,
                    reason: "bad segment header".into(),
                });
            }
            if first != expected {
                return Err(JournalError::SequenceGap {
                    segment: path,
                    expected,
                    found: first,
                });
            }
            let mut offset = HEADER_LEN;
            loop {
                match read_frame(&file, offset, file_len, MAX_RECORD_BYTES as u64)
                    .map_err(|e| JournalError::io(&path, e))?
                {
                    Frame::End => break,
                    Frame::Record { seq, next, .. } => {
                        if seq != expected {
                            return Err(JournalError::SequenceGap {
                                segment: path,
                                expected,
                                found: seq,
                            });
                        }
                        if seq % INDEX_EVERY == 0 || seq == first {
                            catalog.index.insert(seq, (first, offset));
                        }
                        expected += 1;
                        recovery.records += 1;
                        offset = next;
                    }
                    Frame::Bad(reason) => {
                        let follows = !is_last
                            || intact_frame_follows(
                                &file,
                                offset,
                                file_len,
                                expected + 1,
                                MAX_RECORD_BYTES as u64,
                            )
                            .map_err(|e| JournalError::io(&path, e))?;
                        if follows {
                            return Err(JournalError::Corrupt {
                                segment: path,
                                offset,
                                reason,
                            });
                        }
                        tracing::warn!(
                            segment = %path.display(),
                            offset,
                            dropped_bytes = file_len - offset,
                            %reason,
                            "journal: dropping a torn, unacknowledged record at the tail"
                        );
                        file.set_len(offset)
                            .and_then(|()| file.sync_all())
                            .map_err(|e| JournalError::io(&path, e))?;
                        recovery.truncated_bytes += file_len - offset;
                        recovery.truncation_reason = Some(reason);
                        break;
                    }
                }
            }
            catalog.segments.insert(first, path);
            tail = Some((first, offset));
        }

        let durable = expected - 1;
        let (file, seg_first, seg_len) = match tail {
            Some((first, end)) => {
                let path = dir.join(segment_name(first));
                let mut file = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| JournalError::io(&path, e))?;
                // Appends go after the last intact record (the file may have been truncated).
                file.seek(SeekFrom::Start(end))
                    .map_err(|e| JournalError::io(&path, e))?;
                (file, first, end)
            }
            None => {
                let (file, path) = create_segment(dir, expected)?;
                catalog.segments.insert(expected, path);
                (file, expected, HEADER_LEN)
            }
        };

        let (durable_tx, _) = tokio::sync::watch::channel(durable);
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            durable: AtomicU64::new(durable),
            failed: AtomicBool::new(false),
            failure: Mutex::new(None),
            catalog: RwLock::new(catalog),
            durable_tx,
        });
        let (queue, rx) = mpsc::sync_channel(QUEUE_DEPTH);
        let writer_state = Writer {
            shared: shared.clone(),
            options,
            file,
            seg_first,
            seg_len,
        };
        let writer = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || writer_state.run(rx))
            .map_err(|e| JournalError::io(dir, e))?;
        Ok((
            Self {
                shared,
                queue: Some(queue),
                next_seq: Mutex::new(expected),
                writer: Some(writer),
            },
            recovery,
        ))
    }

    /// The sequence number the next submitted record must carry.
    pub fn next_seq(&self) -> u64 {
        *self.next_seq.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The highest sequence number that is durable (0 when the journal is empty).
    pub fn durable_seq(&self) -> u64 {
        self.shared.durable.load(Ordering::Acquire)
    }

    /// A receiver that changes whenever more records become durable.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.shared.durable_tx.subscribe()
    }

    /// Queues record `seq` (which must be [`Journal::next_seq`]) for writing. The returned ticket
    /// resolves once it is durable. Blocks only when the writer is far behind.
    pub fn submit(&self, seq: u64, payload: Vec<u8>) -> Result<Ticket, JournalError> {
        if payload.len() > MAX_RECORD_BYTES {
            return Err(JournalError::RecordTooLarge(payload.len()));
        }
        if self.shared.failed.load(Ordering::Acquire) {
            return Err(JournalError::Failed(self.failure()));
        }
        let mut next = self.next_seq.lock().unwrap_or_else(|p| p.into_inner());
        if seq != *next {
            return Err(JournalError::OutOfOrder {
                expected: *next,
                got: seq,
            });
        }
        let (done, rx) = tokio::sync::oneshot::channel();
        let queue = self
            .queue
            .as_ref()
            .ok_or_else(|| JournalError::Failed("the journal is closed".into()))?;
        queue
            .send(Pending { seq, payload, done })
            .map_err(|_| JournalError::Failed("the journal writer stopped".into()))?;
        *next += 1;
        Ok(Ticket { seq, rx })
    }

    /// Appends one record and waits until it is durable. Returns its sequence number.
    pub fn append_blocking(&self, payload: Vec<u8>) -> Result<u64, JournalError> {
        let seq = self.next_seq();
        self.submit(seq, payload)?.wait_blocking()
    }

    fn failure(&self) -> String {
        self.shared
            .failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_default()
    }

    /// Reads up to `max` durable records starting at sequence number `from` (1-based).
    /// Returns an empty vector when `from` is past the durable end.
    pub fn read_from(&self, from: u64, max: usize) -> Result<Vec<(u64, Vec<u8>)>, JournalError> {
        let durable = self.durable_seq();
        let from = from.max(1);
        if from > durable || max == 0 {
            return Ok(Vec::new());
        }
        let (seg_first, mut offset, mut seq) = {
            let catalog = self
                .shared
                .catalog
                .read()
                .unwrap_or_else(|p| p.into_inner());
            match catalog.index.range(..=from).next_back() {
                Some((&seq, &(seg, off))) => (seg, off, seq),
                None => return Ok(Vec::new()),
            }
        };
        let mut out = Vec::new();
        let mut segment = seg_first;
        'segments: loop {
            let path = {
                let catalog = self
                    .shared
                    .catalog
                    .read()
                    .unwrap_or_else(|p| p.into_inner());
                match catalog.segments.get(&segment) {
                    Some(p) => p.clone(),
                    None => break,
                }
            };
            let file = File::open(&path).map_err(|e| JournalError::io(&path, e))?;
            let file_len = file
                .metadata()
                .map_err(|e| JournalError::io(&path, e))?
                .len();
            loop {
                if seq > durable || out.len() >= max {
                    break 'segments;
                }
                match read_frame(&file, offset, file_len, MAX_RECORD_BYTES as u64)
                    .map_err(|e| JournalError::io(&path, e))?
                {
                    Frame::Record {
                        seq: got,
                        payload,
                        next,
                    } => {
                        if got != seq {
                            return Err(JournalError::SequenceGap {
                                segment: path,
                                expected: seq,
                                found: got,
                            });
                        }
                        if seq >= from {
                            out.push((seq, payload));
                        }
                        seq += 1;
                        offset = next;
                    }
                    Frame::End => {
                        segment = seq;
                        offset = HEADER_LEN;
                        continue 'segments;
                    }
                    Frame::Bad(reason) => {
                        return Err(JournalError::Corrupt {
                            segment: path,
                            offset,
                            reason,
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    /// Stops the writer after it has written everything queued.
    pub fn close(mut self) -> Result<(), JournalError> {
        self.shutdown();
        if self.shared.failed.load(Ordering::Acquire) {
            return Err(JournalError::Failed(self.failure()));
        }
        Ok(())
    }

    fn shutdown(&mut self) {
        self.queue.take();
        if let Some(writer) = self.writer.take()
            && writer.join().is_err()
        {
            tracing::error!("journal writer thread panicked");
        }
    }

    /// The journal's directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn create_segment(dir: &Path, first: u64) -> Result<(File, PathBuf), JournalError> {
    let path = dir.join(segment_name(first));
    let mut file = OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(&path)
        .map_err(|e| JournalError::io(&path, e))?;
    let mut header = [0u8; HEADER_LEN as usize];
    header[..8].copy_from_slice(&MAGIC);
    header[8..].copy_from_slice(&first.to_le_bytes());
    file.write_all(&header)
        .and_then(|()| file.sync_all())
        .map_err(|e| JournalError::io(&path, e))?;
    sync_dir(dir)?;
    Ok((file, path))
}

struct Writer {
    shared: Arc<Shared>,
    options: JournalOptions,
    file: File,
    seg_first: u64,
    seg_len: u64,
}

impl Writer {
    fn run(mut self, rx: Receiver<Pending>) {
        let mut buf = Vec::with_capacity(1024 * 1024);
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            let mut bytes = batch[0].payload.len();
            while bytes < MAX_BATCH_BYTES {
                match rx.try_recv() {
                    Ok(p) => {
                        bytes += p.payload.len();
                        batch.push(p);
                    }
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            let result = self.write_batch(&batch, &mut buf);
            match result {
                Ok(()) => {
                    let last = batch.last().map_or(0, |p| p.seq);
                    self.shared.durable.store(last, Ordering::Release);
                    self.shared.durable_tx.send_replace(last);
                    for p in batch {
                        let _ = p.done.send(Ok(()));
                    }
                }
                Err(e) => {
                    let message = e.to_string();
                    tracing::error!(error = %message, "journal write failed; the ledger stops accepting transactions");
                    *self
                        .shared
                        .failure
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) = Some(message.clone());
                    self.shared.failed.store(true, Ordering::Release);
                    for p in batch {
                        let _ = p.done.send(Err(message.clone()));
                    }
                    // Fail everything still queued, then stop.
                    while let Ok(p) = rx.recv() {
                        let _ = p.done.send(Err(message.clone()));
                    }
                    return;
                }
            }
        }
    }

    fn write_batch(&mut self, batch: &[Pending], buf: &mut Vec<u8>) -> Result<(), JournalError> {
        buf.clear();
        for p in batch {
            let segment_bytes = self.seg_len + buf.len() as u64;
            if segment_bytes >= self.options.max_segment_bytes && segment_bytes > HEADER_LEN {
                self.flush(buf)?;
                self.rotate(p.seq)?;
            }
            let before = buf.len();
            encode_frame(buf, p.seq, &p.payload);
            if p.seq % INDEX_EVERY == 0 || p.seq == self.seg_first {
                let offset = self.seg_len + before as u64;
                self.shared
                    .catalog
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .index
                    .insert(p.seq, (self.seg_first, offset));
            }
        }
        self.flush(buf)
    }

    fn flush(&mut self, buf: &mut Vec<u8>) -> Result<(), JournalError> {
        if buf.is_empty() {
            return Ok(());
        }
        let path = self.shared.dir.join(segment_name(self.seg_first));
        self.file
            .write_all(buf)
            .map_err(|e| JournalError::io(&path, e))?;
        if self.options.sync {
            self.file
                .sync_data()
                .map_err(|e| JournalError::io(&path, e))?;
        }
        self.seg_len += buf.len() as u64;
        buf.clear();
        Ok(())
    }

    fn rotate(&mut self, first: u64) -> Result<(), JournalError> {
        let (file, path) = create_segment(&self.shared.dir, first)?;
        self.file = file;
        self.seg_first = first;
        self.seg_len = HEADER_LEN;
        self.shared
            .catalog
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .segments
            .insert(first, path);
        Ok(())
    }
}
