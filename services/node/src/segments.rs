//! One shard's slivers as an append-only log of numbered segment files, with an in-memory index
//! rebuilt from the segments when the log is opened.
//!
//! A file per sliver costs an inode, a directory entry and two `fsync`s per write, and on the
//! VMs we measure on the inode allocator alone took 14 % of a PUT run. Here a write appends one
//! record to the shard's active segment and waits for an `fdatasync` that it shares with every
//! write appended before it (group commit); a shard is still one directory, so it can be
//! listed, moved and deleted as a unit.
//!
//! Layout: `<shard dir>/<id as 16 hex digits>.seg`, ids increasing from 1. A segment is a
//! sequence of records, each a 52-byte header (all integers little-endian) and a value:
//! ```text
//!  0  magic      u32 = "WSEG"
//!  4  kind       u8  (1 = put, 2 = delete)
//!  5  axis       u8  (0 = primary, 1 = secondary)
//!  6  reserved   u16 = 0
//!  8  blob id    [u8; 32]
//! 40  value len  u32 (0 for a delete)
//! 44  value crc  u32 CRC-32C of the value
//! 48  header crc u32 CRC-32C of bytes 0..48
//! ```
//! Only the last segment is ever appended to; before a new one is started the old one is
//! `fdatasync`ed, so damage left by a crash can only be at the end of the last segment. Opening
//! therefore reads every value of the last segment and checks its CRC, cuts the file at the
//! first record that fails, and reads only the headers of the other segments; after a clean
//! close (a `clean` file naming the last segment and its synced length, removed again on open)
//! it reads only headers there too. Reads check the value's CRC again.
//!
//! A value is written once: a put of a key that is stored is a no-op. A delete appends a
//! delete record (so the value stays deleted when the index is rebuilt) and counts the old
//! record as dead bytes of its segment. A sealed segment whose dead bytes reach half its
//! length is compacted: its live records are appended again, delete records that may still
//! hide an older put are carried along, and the file is removed.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::ops::Bound;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use walrus_core::{Axis, BlobId};

use crate::state::{read, write};

const MAGIC: [u8; 4] = *b"WSEG";
const HEADER_LEN: usize = 52;
const KIND_PUT: u8 = 1;
const KIND_DELETE: u8 = 2;

/// Segments are sealed once they would grow past this many bytes (a record larger than this
/// gets a segment of its own).
pub const DEFAULT_SEGMENT_BYTES: u64 = 64 << 20;

type Key = (BlobId, u8);

fn axis_byte(axis: Axis) -> u8 {
    match axis {
        Axis::Primary => 0,
        Axis::Secondary => 1,
    }
}

fn segment_name(id: u64) -> String {
    format!("{id:016x}.seg")
}

fn segment_id(name: &str) -> Option<u64> {
    let hex = name.strip_suffix(".seg")?;
    (hex.len() == 16)
        .then(|| u64::from_str_radix(hex, 16).ok())
        .flatten()
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    kind: u8,
    key: Key,
    value_len: u32,
    value_crc: u32,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&MAGIC);
        out[4] = self.kind;
        out[5] = self.key.1;
        out[8..40].copy_from_slice(self.key.0.as_bytes());
        out[40..44].copy_from_slice(&self.value_len.to_le_bytes());
        out[44..48].copy_from_slice(&self.value_crc.to_le_bytes());
        let crc = crc32c::crc32c(&out[..48]);
        out[48..52].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// The header in `bytes`, or what is wrong with it.
    fn decode(bytes: &[u8; HEADER_LEN]) -> Result<Self, &'static str> {
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        if bytes[0..4] != MAGIC {
            return Err("bad magic");
        }
        if crc32c::crc32c(&bytes[..48]) != word(48) {
            return Err("header checksum mismatch");
        }
        let kind = bytes[4];
        if !matches!(kind, KIND_PUT | KIND_DELETE) || bytes[5] > 1 || bytes[6..8] != [0, 0] {
            return Err("unknown record kind, axis or reserved bits");
        }
        let value_len = word(40);
        if kind == KIND_DELETE && value_len != 0 {
            return Err("a delete record with a value");
        }
        let mut id = [0u8; 32];
        id.copy_from_slice(&bytes[8..40]);
        Ok(Self {
            kind,
            key: (BlobId(id), bytes[5]),
            value_len,
            value_crc: word(44),
        })
    }

    fn record_len(&self) -> u64 {
        HEADER_LEN as u64 + u64::from(self.value_len)
    }
}

/// Where a value is: its record's segment and offset, and the value's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Location {
    segment: u64,
    offset: u64,
    value_len: u32,
}

impl Location {
    fn record_len(&self) -> u64 {
        HEADER_LEN as u64 + u64::from(self.value_len)
    }

    /// The offset just past the record.
    fn end(&self) -> u64 {
        self.offset + self.record_len()
    }
}

#[derive(Debug)]
struct Segment {
    file: Arc<File>,
    /// Bytes of whole records in the file.
    len: u64,
    /// Bytes of records no longer needed for reads: superseded or deleted puts, and deletes.
    dead: u64,
}

impl Segment {
    fn new(file: Arc<File>) -> Self {
        Self {
            file,
            len: 0,
            dead: 0,
        }
    }
}

#[derive(Debug, Default)]
struct Index {
    entries: BTreeMap<Key, Location>,
    segments: BTreeMap<u64, Segment>,
}

impl Index {
    fn add_dead(&mut self, segment: u64, bytes: u64) {
        if let Some(s) = self.segments.get_mut(&segment) {
            s.dead += bytes;
        }
    }

    /// Applies a record as a rebuild or a write does: a put of a stored key is dead, a delete
    /// removes the key and is itself dead.
    fn apply(&mut self, header: &Header, at: Location) {
        match header.kind {
            KIND_PUT if self.entries.contains_key(&header.key) => {
                self.add_dead(at.segment, header.record_len());
            }
            KIND_PUT => {
                self.entries.insert(header.key, at);
            }
            _ => {
                if let Some(old) = self.entries.remove(&header.key) {
                    self.add_dead(old.segment, old.record_len());
                }
                self.add_dead(at.segment, header.record_len());
            }
        }
    }
}

#[derive(Debug)]
struct Active {
    id: u64,
    file: Arc<File>,
    len: u64,
    /// Keys appended and not yet indexed.
    pending: std::collections::HashSet<Key>,
}

/// What opening a log found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OpenReport {
    /// Segments read.
    pub segments: usize,
    /// Live values indexed.
    pub values: usize,
    /// Bytes cut from the end of the last segment (a write the crash interrupted).
    pub truncated_bytes: u64,
    /// Bytes of sealed segments skipped because they are damaged (logged as errors).
    pub damaged_bytes: u64,
    /// Whether the log was closed cleanly, so the last segment's values were not read.
    pub clean: bool,
}

/// The slivers of one shard (see the module documentation).
#[derive(Debug)]
pub struct ShardLog {
    dir: PathBuf,
    max_segment_bytes: u64,
    index: RwLock<Index>,
    /// The segment appended to. Lock order: `active`, then `index`; `synced`, then `active`.
    active: Mutex<Active>,
    /// The segment and length known to be on disk.
    synced: Mutex<(u64, u64)>,
    /// Serialises deletes and compactions (a compaction must not copy a value that a delete
    /// running at the same time removes after it).
    maintenance: Mutex<()>,
}

impl ShardLog {
    /// Opens (creating) the log in `dir`, rebuilding its index (see the module documentation).
    pub fn open(dir: &Path, max_segment_bytes: u64) -> io::Result<(Self, OpenReport)> {
        fs::create_dir_all(dir)?;
        let mut ids = Vec::new();
        for entry in fs::read_dir(dir)? {
            if let Some(id) = entry?.file_name().to_str().and_then(segment_id) {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        // A clean close left the last segment's id and length, both synced: then its values need
        // no check. The marker goes before anything is appended again.
        let clean_end = read_clean_marker(dir);
        if clean_end.is_some() {
            fs::remove_file(dir.join(CLEAN_MARKER))?;
            sync_dir(dir)?;
        }
        let mut index = Index::default();
        let mut report = OpenReport {
            segments: ids.len(),
            ..OpenReport::default()
        };
        for (i, &id) in ids.iter().enumerate() {
            let last = i + 1 == ids.len();
            let path = dir.join(segment_name(id));
            let file = OpenOptions::new().read(true).write(last).open(&path)?;
            let file_len = file.metadata()?.len();
            let clean = last && clean_end == Some((id, file_len));
            report.clean |= clean;
            index.segments.insert(id, Segment::new(Arc::new(file)));
            let (valid, problem) = scan(&mut index, id, last && !clean)?;
            if let Some(segment) = index.segments.get_mut(&id) {
                segment.len = valid;
            }
            if valid < file_len {
                if last {
                    // Only a write that was never acknowledged can be cut short here.
                    let segment = &index.segments[&id];
                    segment.file.set_len(valid)?;
                    segment.file.sync_all()?;
                    report.truncated_bytes += file_len - valid;
                    tracing::warn!(
                        path = %path.display(),
                        offset = valid,
                        bytes = file_len - valid,
                        reason = problem.unwrap_or("incomplete record"),
                        "cut an interrupted write from the end of a segment"
                    );
                } else {
                    report.damaged_bytes += file_len - valid;
                    tracing::error!(
                        path = %path.display(),
                        offset = valid,
                        bytes = file_len - valid,
                        reason = problem.unwrap_or("incomplete record"),
                        "a sealed segment is damaged; its records from here on are not served"
                    );
                }
            }
        }
        let active = match ids.last() {
            Some(&id) => {
                let segment = &index.segments[&id];
                // What an earlier process wrote may still be only in the page cache (a clean
                // close synced it).
                if !report.clean {
                    segment.file.sync_data()?;
                }
                Active {
                    id,
                    file: segment.file.clone(),
                    len: segment.len,
                    pending: Default::default(),
                }
            }
            None => {
                let file = create_segment(dir, 1)?;
                index.segments.insert(1, Segment::new(file.clone()));
                Active {
                    id: 1,
                    file,
                    len: 0,
                    pending: Default::default(),
                }
            }
        };
        report.values = index.entries.len();
        let synced = (active.id, active.len);
        Ok((
            Self {
                dir: dir.to_owned(),
                max_segment_bytes,
                index: RwLock::new(index),
                active: Mutex::new(active),
                synced: Mutex::new(synced),
                maintenance: Mutex::new(()),
            },
            report,
        ))
    }

    /// Whether a value is stored for the key.
    pub fn contains(&self, blob_id: &BlobId, axis: Axis) -> bool {
        read(&self.index)
            .entries
            .contains_key(&(*blob_id, axis_byte(axis)))
    }

    /// The stored value; an error names the segment and offset of a value that fails its
    /// checksum.
    pub fn get(&self, blob_id: &BlobId, axis: Axis) -> io::Result<Option<Vec<u8>>> {
        let key = (*blob_id, axis_byte(axis));
        let (at, file) = {
            let index = read(&self.index);
            let Some(&at) = index.entries.get(&key) else {
                return Ok(None);
            };
            let Some(segment) = index.segments.get(&at.segment) else {
                return Ok(None);
            };
            (at, segment.file.clone())
        };
        // A compaction may remove the file now; the open handle still reads it.
        self.read_value(&file, at, key).map(Some)
    }

    fn read_value(&self, file: &File, at: Location, key: Key) -> io::Result<Vec<u8>> {
        let header = read_header(file, at.offset)?;
        let damaged = |what: &str| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the record at offset {} of {} {what}",
                    at.offset,
                    self.dir.join(segment_name(at.segment)).display()
                ),
            )
        };
        let header = header.map_err(&damaged)?;
        if header.kind != KIND_PUT || header.key != key || header.value_len != at.value_len {
            return Err(damaged("is not the indexed value"));
        }
        let mut value = vec![0u8; at.value_len as usize];
        file.read_exact_at(&mut value, at.offset + HEADER_LEN as u64)?;
        if crc32c::crc32c(&value) != header.value_crc {
            return Err(damaged("fails its value checksum"));
        }
        Ok(value)
    }

    /// Stores `value` durably unless a value is stored for the key; `true` if stored now.
    /// Of concurrent puts of one key exactly one appends; the others wait until its record is
    /// on disk and answer `false`.
    pub fn put(&self, blob_id: &BlobId, axis: Axis, value: &[u8]) -> io::Result<bool> {
        let key = (*blob_id, axis_byte(axis));
        if self.contains_key(&key) {
            return Ok(false);
        }
        let value_len = u32::try_from(value.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a value over 4 GiB"))?;
        let header = Header {
            kind: KIND_PUT,
            key,
            value_len,
            value_crc: crc32c::crc32c(value),
        };
        let appended = {
            let mut active = lock(&self.active);
            if active.pending.contains(&key) || self.contains_key(&key) {
                let (segment, end) = (active.id, active.len);
                drop(active);
                self.sync_through(segment, end)?;
                return Ok(false);
            }
            let appended = self.append_locked(&mut active, &header, value);
            if appended.is_ok() {
                active.pending.insert(key);
            }
            appended?
        };
        let synced = self.sync_through(appended.segment, appended.end());
        if synced.is_ok() {
            write(&self.index).apply(&header, appended);
        }
        lock(&self.active).pending.remove(&key);
        synced.map(|()| true)
    }

    /// Deletes the values of `blob_id` (both axes) durably, then compacts sealed segments that
    /// became mostly dead; `true` if something was stored.
    pub fn delete(&self, blob_id: &BlobId) -> io::Result<bool> {
        self.delete_keys(&[
            (*blob_id, axis_byte(Axis::Primary)),
            (*blob_id, axis_byte(Axis::Secondary)),
        ])
    }

    /// Deletes one value durably (a value that failed its checksum, so that it can be stored
    /// again); `true` if it was stored.
    pub fn discard(&self, blob_id: &BlobId, axis: Axis) -> io::Result<bool> {
        self.delete_keys(&[(*blob_id, axis_byte(axis))])
    }

    fn delete_keys(&self, keys: &[Key]) -> io::Result<bool> {
        let _maintenance = lock(&self.maintenance);
        let mut deleted = Vec::new();
        for &key in keys {
            if !self.contains_key(&key) {
                continue;
            }
            let header = Header {
                kind: KIND_DELETE,
                key,
                value_len: 0,
                value_crc: crc32c::crc32c(&[]),
            };
            deleted.push((header, self.append(&header, &[])?));
        }
        let Some((_, last)) = deleted.last() else {
            return Ok(false);
        };
        self.sync_through(last.segment, last.end())?;
        {
            let mut index = write(&self.index);
            for (header, at) in &deleted {
                index.apply(header, *at);
            }
        }
        self.compact_locked()?;
        Ok(true)
    }

    /// The blob IDs with a value stored, in order, after `start` (inclusive or not), at most
    /// `limit`.
    pub fn blob_ids(&self, start: Bound<BlobId>, limit: usize) -> Vec<BlobId> {
        // Keys are (blob ID, axis byte): from (id, primary) includes the blob, after
        // (id, secondary) skips it.
        let from = match start {
            Bound::Included(id) => Bound::Included((id, axis_byte(Axis::Primary))),
            Bound::Excluded(id) => Bound::Excluded((id, axis_byte(Axis::Secondary))),
            Bound::Unbounded => Bound::Unbounded,
        };
        let index = read(&self.index);
        let mut ids: Vec<BlobId> = Vec::new();
        for (id, _) in index
            .entries
            .range((from, Bound::Unbounded))
            .map(|(k, _)| k)
        {
            if ids.last() != Some(id) {
                if ids.len() == limit {
                    break;
                }
                ids.push(*id);
            }
        }
        ids
    }

    /// Appends one record to the active segment (starting a new one first when it would grow
    /// past the limit); not yet durable.
    fn append(&self, header: &Header, value: &[u8]) -> io::Result<Location> {
        self.append_locked(&mut lock(&self.active), header, value)
    }

    fn append_locked(
        &self,
        active: &mut Active,
        header: &Header,
        value: &[u8],
    ) -> io::Result<Location> {
        let record_len = header.record_len();
        if active.len > 0 && active.len + record_len > self.max_segment_bytes {
            self.roll_over(active)?;
        }
        let offset = active.len;
        let written = active
            .file
            .write_all_at(&header.encode(), offset)
            .and_then(|()| active.file.write_all_at(value, offset + HEADER_LEN as u64));
        if let Err(e) = written {
            // Leave no partial record behind (the next append would land after it).
            let _ = active.file.set_len(offset);
            return Err(e);
        }
        active.len += record_len;
        if let Some(segment) = write(&self.index).segments.get_mut(&active.id) {
            segment.len = active.len;
        }
        Ok(Location {
            segment: active.id,
            offset,
            value_len: header.value_len,
        })
    }

    /// Seals the active segment (on disk first) and starts the next one.
    fn roll_over(&self, active: &mut Active) -> io::Result<()> {
        active.file.sync_data()?;
        let id = active.id + 1;
        let file = create_segment(&self.dir, id)?;
        write(&self.index)
            .segments
            .insert(id, Segment::new(file.clone()));
        active.id = id;
        active.file = file;
        active.len = 0;
        Ok(())
    }

    /// Returns once segment `segment` is on disk up to `end`: one `fdatasync` covers every
    /// record appended before it, so concurrent writers share them.
    fn sync_through(&self, segment: u64, end: u64) -> io::Result<()> {
        let mut synced = lock(&self.synced);
        if synced.0 > segment || (synced.0 == segment && synced.1 >= end) {
            return Ok(());
        }
        let (id, file, len) = {
            let active = lock(&self.active);
            (active.id, active.file.clone(), active.len)
        };
        if id > segment {
            return Ok(()); // sealed since, and sealing synced it
        }
        file.sync_data()?;
        *synced = (id, len);
        Ok(())
    }

    /// Compacts every sealed segment whose dead bytes reach half its length.
    pub fn compact(&self) -> io::Result<usize> {
        let _maintenance = lock(&self.maintenance);
        self.compact_locked()
    }

    fn compact_locked(&self) -> io::Result<usize> {
        let active = lock(&self.active).id;
        let candidates: Vec<u64> = read(&self.index)
            .segments
            .iter()
            .filter(|(id, s)| **id != active && s.dead * 2 >= s.len)
            .map(|(id, _)| *id)
            .collect();
        for &id in &candidates {
            self.compact_segment(id)?;
        }
        Ok(candidates.len())
    }

    fn compact_segment(&self, id: u64) -> io::Result<()> {
        let (file, live, older) = {
            let index = read(&self.index);
            let Some(segment) = index.segments.get(&id) else {
                return Ok(());
            };
            let live: Vec<(Key, Location)> = index
                .entries
                .iter()
                .filter(|(_, at)| at.segment == id)
                .map(|(k, at)| (*k, *at))
                .collect();
            let older = index.segments.range(..id).next().is_some();
            (segment.file.clone(), live, older)
        };
        // Deletes in this segment still matter while an older segment may hold the put they
        // delete (and the key was not stored again since).
        let mut deletes = Vec::new();
        if older {
            let len = read(&self.index).segments.get(&id).map_or(0, |s| s.len);
            let mut offset = 0;
            while offset < len {
                let header = read_header(&file, offset)?.map_err(|e| {
                    io::Error::new(io::ErrorKind::InvalidData, format!("compacting: {e}"))
                })?;
                if header.kind == KIND_DELETE && !self.contains_key(&header.key) {
                    deletes.push(header);
                }
                offset += header.record_len();
            }
        }
        let mut moved = Vec::with_capacity(live.len());
        let mut carried = Vec::new();
        let mut end = None;
        for (key, old) in live {
            let value = self.read_value(&file, old, key)?;
            let header = Header {
                kind: KIND_PUT,
                key,
                value_len: old.value_len,
                value_crc: crc32c::crc32c(&value),
            };
            let at = self.append(&header, &value)?;
            end = Some(at);
            moved.push((key, old, at));
        }
        for header in &deletes {
            // Under the append lock, so a put of the key cannot come between the check and
            // the delete record (it would be hidden by it when the index is rebuilt).
            let mut active = lock(&self.active);
            if !active.pending.contains(&header.key) && !self.contains_key(&header.key) {
                let at = self.append_locked(&mut active, header, &[])?;
                carried.push(at);
                end = Some(at);
            }
        }
        if let Some(at) = end {
            self.sync_through(at.segment, at.end())?;
        }
        {
            let mut index = write(&self.index);
            for (key, old, at) in moved {
                if index.entries.get(&key) == Some(&old) {
                    index.entries.insert(key, at);
                } else {
                    index.add_dead(at.segment, at.record_len());
                }
            }
            // A carried delete is dead for reads, like every delete.
            for at in carried {
                index.add_dead(at.segment, at.record_len());
            }
            index.segments.remove(&id);
        }
        fs::remove_file(self.dir.join(segment_name(id)))?;
        sync_dir(&self.dir)
    }

    fn contains_key(&self, key: &Key) -> bool {
        read(&self.index).entries.contains_key(key)
    }

    /// Segment ids and their (length, dead bytes), for tests and metrics.
    pub fn segment_usage(&self) -> Vec<(u64, u64, u64)> {
        read(&self.index)
            .segments
            .iter()
            .map(|(id, s)| (*id, s.len, s.dead))
            .collect()
    }
}

/// The file a clean close leaves in a shard directory: `<last segment id> <its length>`.
const CLEAN_MARKER: &str = "clean";

fn read_clean_marker(dir: &Path) -> Option<(u64, u64)> {
    let text = fs::read_to_string(dir.join(CLEAN_MARKER)).ok()?;
    let (id, len) = text.trim().split_once(' ')?;
    Some((u64::from_str_radix(id, 16).ok()?, len.parse().ok()?))
}

impl ShardLog {
    /// Syncs the active segment and records it as cleanly closed, so the next open can skip
    /// reading its values (done on drop; a process that is killed leaves no marker, and the next
    /// open checks everything).
    fn close(&self) -> io::Result<()> {
        use std::os::unix::fs::MetadataExt as _;
        let active = lock(&self.active);
        // Only if the active segment is still the file of that name (the shard may have been
        // deleted and opened again by a newer log meanwhile).
        let named = fs::metadata(self.dir.join(segment_name(active.id)))?;
        if named.ino() != active.file.metadata()?.ino() {
            return Ok(());
        }
        active.file.sync_data()?;
        let path = self.dir.join(CLEAN_MARKER);
        let mut file = File::create(&path)?;
        io::Write::write_all(
            &mut file,
            format!("{:016x} {}\n", active.id, active.len).as_bytes(),
        )?;
        file.sync_all()?;
        sync_dir(&self.dir)
    }
}

impl Drop for ShardLog {
    fn drop(&mut self) {
        // A log whose directory is gone (the shard was deleted) has nothing to mark.
        if self.dir.is_dir()
            && let Err(e) = self.close()
        {
            tracing::warn!(dir = %self.dir.display(), error = %e, "closing a shard log failed");
        }
    }
}

/// The header at `offset` of `file`, or what is wrong with it.
fn read_header(file: &File, offset: u64) -> io::Result<Result<Header, &'static str>> {
    let mut bytes = [0u8; HEADER_LEN];
    file.read_exact_at(&mut bytes, offset)?;
    Ok(Header::decode(&bytes))
}

fn create_segment(dir: &Path, id: u64) -> io::Result<Arc<File>> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(dir.join(segment_name(id)))?;
    sync_dir(dir)?;
    Ok(Arc::new(file))
}

/// Reads segment `id`'s records into `index` (checking every value's CRC when `values`); the
/// length of whole valid records, and what stopped the scan early.
fn scan(index: &mut Index, id: u64, values: bool) -> io::Result<(u64, Option<&'static str>)> {
    let file = index.segments[&id].file.clone();
    let file_len = file.metadata()?.len();
    let mut offset = 0u64;
    let mut value = Vec::new();
    while offset < file_len {
        if file_len - offset < HEADER_LEN as u64 {
            return Ok((offset, Some("incomplete header")));
        }
        let header = match read_header(&file, offset)? {
            Ok(header) => header,
            Err(e) => return Ok((offset, Some(e))),
        };
        if file_len - offset < header.record_len() {
            return Ok((offset, Some("incomplete value")));
        }
        if values && header.kind == KIND_PUT {
            value.resize(header.value_len as usize, 0);
            file.read_exact_at(&mut value, offset + HEADER_LEN as u64)?;
            if crc32c::crc32c(&value) != header.value_crc {
                return Ok((offset, Some("value checksum mismatch")));
            }
        }
        index.apply(
            &header,
            Location {
                segment: id,
                offset,
                value_len: header.value_len,
            },
        );
        offset += header.record_len();
    }
    Ok((offset, None))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn id(n: u8) -> BlobId {
        BlobId([n; 32])
    }

    fn value(n: u8, len: usize) -> Vec<u8> {
        (0..len).map(|i| (i as u8).wrapping_mul(31) ^ n).collect()
    }

    fn open(dir: &Path, max: u64) -> ShardLog {
        ShardLog::open(dir, max).unwrap().0
    }

    #[test]
    fn values_survive_reopening_and_are_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let log = open(dir.path(), 1 << 20);
        assert!(log.put(&id(1), Axis::Primary, &value(1, 1000)).unwrap());
        assert!(log.put(&id(1), Axis::Secondary, &value(2, 10)).unwrap());
        assert!(!log.put(&id(1), Axis::Primary, &value(9, 5)).unwrap());
        assert!(log.put(&id(2), Axis::Primary, &[]).unwrap());
        drop(log);
        let (log, report) = ShardLog::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(report.values, 3);
        assert_eq!(report.truncated_bytes, 0);
        assert_eq!(
            log.get(&id(1), Axis::Primary).unwrap().unwrap(),
            value(1, 1000)
        );
        assert_eq!(
            log.get(&id(1), Axis::Secondary).unwrap().unwrap(),
            value(2, 10)
        );
        assert_eq!(
            log.get(&id(2), Axis::Primary).unwrap().unwrap(),
            Vec::<u8>::new()
        );
        assert!(log.get(&id(2), Axis::Secondary).unwrap().is_none());
        assert_eq!(log.blob_ids(Bound::Unbounded, 10), vec![id(1), id(2)]);
        assert_eq!(log.blob_ids(Bound::Included(id(2)), 10), vec![id(2)]);
        assert_eq!(log.blob_ids(Bound::Excluded(id(1)), 10), vec![id(2)]);
        assert_eq!(log.blob_ids(Bound::Excluded(id(2)), 10), vec![]);
        assert_eq!(log.blob_ids(Bound::Included(id(0)), 1), vec![id(1)]);
    }

    #[test]
    fn segments_roll_over_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let log = open(dir.path(), 3000);
        for n in 0..10 {
            assert!(log.put(&id(n), Axis::Primary, &value(n, 1000)).unwrap());
        }
        // Two 1,052-byte records fit in 3,000 bytes.
        assert_eq!(log.segment_usage().len(), 5);
        drop(log);
        let log = open(dir.path(), 3000);
        for n in 0..10 {
            assert_eq!(
                log.get(&id(n), Axis::Primary).unwrap().unwrap(),
                value(n, 1000)
            );
        }
        // A record larger than the limit gets a segment of its own.
        assert!(log.put(&id(20), Axis::Primary, &value(20, 5000)).unwrap());
        assert_eq!(
            log.get(&id(20), Axis::Primary).unwrap().unwrap(),
            value(20, 5000)
        );
    }

    #[test]
    fn an_interrupted_write_at_the_end_is_cut_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let log = open(dir.path(), 1 << 20);
        log.put(&id(1), Axis::Primary, &value(1, 500)).unwrap();
        log.put(&id(2), Axis::Primary, &value(2, 500)).unwrap();
        // A crash: no clean close.
        std::mem::forget(log);
        let path = dir.path().join(segment_name(1));
        let whole = fs::read(&path).unwrap();
        let second = whole.len() - 552;
        // A crash left the second record's header but only part of (or damaged) its value.
        for damage in [
            |b: &mut Vec<u8>| b.truncate(b.len() - 100),
            |b: &mut Vec<u8>| {
                let n = b.len() - 1;
                b[n] ^= 1;
            },
            |b: &mut Vec<u8>| b.truncate(b.len() - 530),
        ] {
            let mut bytes = whole.clone();
            damage(&mut bytes);
            fs::write(&path, &bytes).unwrap();
            let (log, report) = ShardLog::open(dir.path(), 1 << 20).unwrap();
            assert_eq!(report.truncated_bytes, (bytes.len() - second) as u64);
            assert_eq!(
                log.get(&id(1), Axis::Primary).unwrap().unwrap(),
                value(1, 500)
            );
            assert!(!log.contains(&id(2), Axis::Primary));
            assert_eq!(fs::metadata(&path).unwrap().len(), second as u64);
            // The retried write lands after the kept record.
            assert!(log.put(&id(2), Axis::Primary, &value(2, 500)).unwrap());
            std::mem::forget(log);
            let log = open(dir.path(), 1 << 20);
            assert_eq!(
                log.get(&id(2), Axis::Primary).unwrap().unwrap(),
                value(2, 500)
            );
            std::mem::forget(log);
        }
    }

    #[test]
    fn a_clean_close_skips_the_value_check_and_a_crash_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let log = open(dir.path(), 1 << 20);
        log.put(&id(1), Axis::Primary, &value(1, 500)).unwrap();
        log.put(&id(2), Axis::Primary, &value(2, 500)).unwrap();
        drop(log);
        assert_eq!(
            fs::read_to_string(dir.path().join(CLEAN_MARKER)).unwrap(),
            format!("{:016x} {}\n", 1, 2 * 552)
        );
        // Damage after a clean close is not looked for on open (only its length is checked)...
        let path = dir.path().join(segment_name(1));
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(&path, &bytes).unwrap();
        let (log, report) = ShardLog::open(dir.path(), 1 << 20).unwrap();
        assert!(report.clean);
        assert_eq!(report.truncated_bytes, 0);
        assert!(
            !dir.path().join(CLEAN_MARKER).exists(),
            "removed before any append"
        );
        // ...but a read still finds it.
        let e = log.get(&id(2), Axis::Primary).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            log.get(&id(1), Axis::Primary).unwrap().unwrap(),
            value(1, 500)
        );
        // Without a clean close the next open reads every value of the last segment.
        std::mem::forget(log);
        let (_log, report) = ShardLog::open(dir.path(), 1 << 20).unwrap();
        assert!(!report.clean);
        assert_eq!(report.truncated_bytes, 552);
    }

    #[test]
    fn a_damaged_value_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = open(dir.path(), 600);
        log.put(&id(1), Axis::Primary, &value(1, 500)).unwrap();
        log.put(&id(2), Axis::Primary, &value(2, 500)).unwrap();
        // Segment 1 is sealed now; flip a bit of its value on disk.
        let path = dir.path().join(segment_name(1));
        let mut bytes = fs::read(&path).unwrap();
        bytes[HEADER_LEN + 7] ^= 0x10;
        fs::write(&path, &bytes).unwrap();
        let log = open(dir.path(), 600);
        let e = log.get(&id(1), Axis::Primary).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("value checksum"), "{e}");
        assert!(e.to_string().contains(&segment_name(1)), "{e}");
        assert_eq!(
            log.get(&id(2), Axis::Primary).unwrap().unwrap(),
            value(2, 500)
        );
    }

    #[test]
    fn deletes_survive_reopening_and_compaction_reclaims_space() {
        let dir = tempfile::tempdir().unwrap();
        // Four 1,052-byte records per segment.
        let log = open(dir.path(), 4300);
        for n in 0..12 {
            log.put(&id(n), Axis::Primary, &value(n, 1000)).unwrap();
        }
        assert_eq!(log.segment_usage().len(), 3);
        // Deleting one of segment 1's four values leaves it, two compact it.
        assert!(log.delete(&id(0)).unwrap());
        assert!(!log.delete(&id(0)).unwrap());
        assert!(log.segment_usage().iter().any(|(s, _, _)| *s == 1));
        assert!(log.delete(&id(1)).unwrap());
        let segments: Vec<u64> = log.segment_usage().iter().map(|(s, _, _)| *s).collect();
        assert!(!segments.contains(&1), "{segments:?}");
        assert!(!dir.path().join(segment_name(1)).exists());
        // Deleting from a segment after an older one carries the delete along when compacted:
        // after reopening, the deleted keys stay deleted and the moved values are readable.
        for n in [4, 5, 6] {
            log.delete(&id(n)).unwrap();
        }
        drop(log);
        let log = open(dir.path(), 4300);
        for n in 0..12 {
            let stored = log.get(&id(n), Axis::Primary).unwrap();
            if [0, 1, 4, 5, 6].contains(&n) {
                assert!(stored.is_none(), "{n}");
            } else {
                assert_eq!(stored.unwrap(), value(n, 1000), "{n}");
            }
        }
        // A deleted key can be stored again, and that survives reopening too.
        assert!(log.put(&id(4), Axis::Primary, &value(44, 10)).unwrap());
        assert_eq!(log.compact().unwrap(), 0);
        drop(log);
        let log = open(dir.path(), 4300);
        assert_eq!(
            log.get(&id(4), Axis::Primary).unwrap().unwrap(),
            value(44, 10)
        );
    }

    #[test]
    fn a_discarded_value_can_be_stored_again() {
        let dir = tempfile::tempdir().unwrap();
        let log = open(dir.path(), 1 << 20);
        log.put(&id(1), Axis::Primary, &value(1, 100)).unwrap();
        log.put(&id(1), Axis::Secondary, &value(2, 100)).unwrap();
        assert!(log.discard(&id(1), Axis::Primary).unwrap());
        assert!(!log.discard(&id(1), Axis::Primary).unwrap());
        assert!(!log.contains(&id(1), Axis::Primary));
        assert!(log.contains(&id(1), Axis::Secondary));
        drop(log);
        let log = open(dir.path(), 1 << 20);
        assert!(!log.contains(&id(1), Axis::Primary));
        assert!(log.put(&id(1), Axis::Primary, &value(3, 100)).unwrap());
        drop(log);
        let log = open(dir.path(), 1 << 20);
        assert_eq!(
            log.get(&id(1), Axis::Primary).unwrap().unwrap(),
            value(3, 100)
        );
        assert_eq!(
            log.get(&id(1), Axis::Secondary).unwrap().unwrap(),
            value(2, 100)
        );
    }

    #[test]
    fn a_compacted_segments_deletes_keep_older_puts_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let log = open(dir.path(), 3200);
        // Segment 1: puts of 1, 2 and 6. Segment 2: put of 3, delete of 1, put of 4 (segment 1
        // is a third dead, so it stays). Segment 3: put of 5...
        for n in [1, 2, 6, 3] {
            log.put(&id(n), Axis::Primary, &value(n, 1000)).unwrap();
        }
        log.delete(&id(1)).unwrap();
        log.put(&id(4), Axis::Primary, &value(4, 1000)).unwrap();
        log.put(&id(5), Axis::Primary, &value(5, 1000)).unwrap();
        assert_eq!(log.segment_usage().len(), 3);
        // ...then deleting 3 makes segment 2 mostly dead while segment 1 is still there.
        log.delete(&id(3)).unwrap();
        let usage = log.segment_usage();
        assert!(usage.iter().any(|(s, _, _)| *s == 1), "{usage:?}");
        assert!(!usage.iter().any(|(s, _, _)| *s == 2), "{usage:?}");
        drop(log);
        let log = open(dir.path(), 3200);
        assert!(log.get(&id(1), Axis::Primary).unwrap().is_none());
        assert!(log.get(&id(3), Axis::Primary).unwrap().is_none());
        for n in [2, 4, 5, 6] {
            assert_eq!(
                log.get(&id(n), Axis::Primary).unwrap().unwrap(),
                value(n, 1000)
            );
        }
    }

    #[test]
    fn concurrent_writers_share_syncs_and_one_value_wins_per_key() {
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(open(dir.path(), 64 << 10));
        let threads: Vec<_> = (0..8u8)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    let mut won = 0;
                    for n in 0..50u8 {
                        // Every thread writes keys 0..50: each key is stored by exactly one.
                        if log
                            .put(&id(n), Axis::Secondary, &value(n, 3000 + usize::from(t)))
                            .unwrap()
                        {
                            won += 1;
                        }
                    }
                    won
                })
            })
            .collect();
        let won: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(won, 50);
        let before: Vec<_> = (0..50)
            .map(|n| log.get(&id(n), Axis::Secondary).unwrap().unwrap())
            .collect();
        drop(log);
        let log = open(dir.path(), 64 << 10);
        for n in 0..50u8 {
            let stored = log.get(&id(n), Axis::Secondary).unwrap().unwrap();
            assert_eq!(stored, before[usize::from(n)]);
            assert_eq!(&stored[..100], &value(n, 100)[..]);
        }
    }
}
