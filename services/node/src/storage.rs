//! The sliver store: metadata as files, slivers in an append-only log per shard.
//!
//! Layout under the data directory:
//! ```text
//! metadata/<blob id hex>            BCS BlobMetadataWithId
//! shards/<shard>/<segment id>.seg   the shard's sliver log (see [`crate::segments`]): BCS
//!                                   SliverData<Primary> and <Secondary> of the pairs it holds
//! ```
//! A shard's data is one directory, so it can be listed, moved (renamed) and deleted as a unit.
//! A metadata write goes to an unnamed (or temporary) file, is `fsync`ed, linked (or renamed)
//! into place, and the directory is `fsync`ed; a sliver write is appended to its shard's log and
//! `fdatasync`ed (shared with the writes appended at the same time). When a write returns, the
//! value survives a crash. Values are written once; a second write of the same key is a no-op
//! (`Ok(false)`). The choice of this layout over an LSM engine and over a file per sliver is
//! explained (with numbers) in the crate's `README.md`. Slivers stored as one file each
//! (`shards/<shard>/<blob id hex>.p` or `.s`, the layout before the logs) are moved into the
//! log when the store is opened.

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use walrus_core::{Axis, BlobId, ShardIndex};

use crate::segments::{DEFAULT_SEGMENT_BYTES, ShardLog};
use crate::state::{read, write};

/// The store rooted at a data directory.
#[derive(Debug)]
pub struct SliverStore {
    root: PathBuf,
    tmp_counter: AtomicU64,
    segment_bytes: u64,
    shards: RwLock<std::collections::BTreeMap<u16, Arc<ShardLog>>>,
}

fn blob_key(blob_id: &BlobId) -> String {
    hex::encode(blob_id.as_bytes())
}

impl SliverStore {
    /// Opens (creating) the store under `root`: removes leftover temporary files and opens
    /// every shard's log (see [`crate::segments`] for what that checks).
    pub fn open(root: &Path) -> io::Result<Self> {
        Self::open_with_segment_bytes(root, DEFAULT_SEGMENT_BYTES)
    }

    /// [`Self::open`] with shard logs sealing their segments at `segment_bytes`.
    pub fn open_with_segment_bytes(root: &Path, segment_bytes: u64) -> io::Result<Self> {
        fs::create_dir_all(root.join("metadata"))?;
        fs::create_dir_all(root.join("shards"))?;
        fs::create_dir_all(root.join("tmp"))?;
        for entry in fs::read_dir(root.join("tmp"))? {
            fs::remove_file(entry?.path())?;
        }
        let store = Self {
            root: root.to_owned(),
            tmp_counter: AtomicU64::new(0),
            segment_bytes,
            shards: RwLock::default(),
        };
        for entry in fs::read_dir(root.join("shards"))? {
            if let Some(index) = entry?
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u16>().ok())
            {
                store.shard_log_or_open(ShardIndex(index))?;
            }
        }
        Ok(store)
    }

    /// The log of `shard`, if it has one.
    fn shard_log(&self, shard: ShardIndex) -> Option<Arc<ShardLog>> {
        read(&self.shards).get(&shard.get()).cloned()
    }

    /// The log of `shard`, opened (created if need be) on first use.
    fn shard_log_or_open(&self, shard: ShardIndex) -> io::Result<Arc<ShardLog>> {
        if let Some(log) = self.shard_log(shard) {
            return Ok(log);
        }
        let mut shards = write(&self.shards);
        if let Some(log) = shards.get(&shard.get()) {
            return Ok(log.clone());
        }
        let dir = self.shard_dir(shard);
        let (log, report) = ShardLog::open(&dir, self.segment_bytes)?;
        let imported = import_sliver_files(&dir, &log)?;
        tracing::debug!(
            shard = shard.get(),
            segments = report.segments,
            values = report.values,
            imported,
            "opened a shard log"
        );
        let log = Arc::new(log);
        shards.insert(shard.get(), log.clone());
        Ok(log)
    }

    fn metadata_path(&self, blob_id: &BlobId) -> PathBuf {
        self.root.join("metadata").join(blob_key(blob_id))
    }

    fn shard_dir(&self, shard: ShardIndex) -> PathBuf {
        self.root.join("shards").join(shard.get().to_string())
    }

    /// Writes `bytes` to `path` durably unless it exists; `true` if written now.
    ///
    /// On Linux the value is written to an unnamed file (`O_TMPFILE`) in its own directory,
    /// `fdatasync`ed, and then given its name with `linkat`, which fails if the name exists:
    /// there is no temporary name to clean up after a crash, no rename across directories
    /// (those serialise on a file-system-wide lock), and of two concurrent writes of one key
    /// exactly one wins. Elsewhere, or on a file system without `O_TMPFILE`, a temporary file
    /// under `tmp/` is renamed into place. Either way the directory is `fsync`ed before the
    /// answer. (Without `/proc`, as in some containers, the rename path is used too.)
    fn put(&self, path: &Path, bytes: &[u8]) -> io::Result<bool> {
        if path.exists() {
            return Ok(false);
        }
        let dir = path
            .parent()
            .ok_or_else(|| io::Error::other("a value path has a parent"))?;
        if !dir.is_dir() {
            fs::create_dir_all(dir)?;
        }
        #[cfg(target_os = "linux")]
        if proc_fd_available() {
            match put_unnamed(dir, path, bytes) {
                Ok(written) => return Ok(written),
                // EOPNOTSUPP / EISDIR: the file system has no O_TMPFILE.
                Err(e) if matches!(e.raw_os_error(), Some(95 | 21)) => {}
                Err(e) => return Err(e),
            }
        }
        self.put_renamed(dir, path, bytes)
    }

    /// `bytes` as `path` in `dir` by way of a temporary file under `tmp/` (see [`Self::put`]).
    fn put_renamed(&self, dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<bool> {
        let n = self.tmp_counter.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{}-{n}", std::process::id()));
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_data()?;
        drop(file);
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()?;
        Ok(true)
    }

    fn get(path: &Path) -> io::Result<Option<Vec<u8>>> {
        match fs::read(path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Stores BCS `BlobMetadataWithId`; `true` if it was not stored before.
    pub fn put_metadata(&self, blob_id: &BlobId, bcs: &[u8]) -> io::Result<bool> {
        self.put(&self.metadata_path(blob_id), bcs)
    }

    /// The stored BCS `BlobMetadataWithId`.
    pub fn metadata(&self, blob_id: &BlobId) -> io::Result<Option<Vec<u8>>> {
        Self::get(&self.metadata_path(blob_id))
    }

    /// Whether metadata are stored.
    pub fn has_metadata(&self, blob_id: &BlobId) -> bool {
        self.metadata_path(blob_id).exists()
    }

    /// Stores a BCS sliver for `shard` durably; `true` if it was not stored before.
    pub fn put_sliver(
        &self,
        shard: ShardIndex,
        blob_id: &BlobId,
        axis: Axis,
        bcs: &[u8],
    ) -> io::Result<bool> {
        self.shard_log_or_open(shard)?.put(blob_id, axis, bcs)
    }

    /// The stored BCS sliver; an error if it is stored but fails its checksum.
    pub fn sliver(
        &self,
        shard: ShardIndex,
        blob_id: &BlobId,
        axis: Axis,
    ) -> io::Result<Option<Vec<u8>>> {
        match self.shard_log(shard) {
            Some(log) => log.get(blob_id, axis),
            None => Ok(None),
        }
    }

    /// Deletes one stored sliver durably (one that failed its checksum, so that recovery can
    /// store it again); `true` if it was stored.
    pub fn discard_sliver(
        &self,
        shard: ShardIndex,
        blob_id: &BlobId,
        axis: Axis,
    ) -> io::Result<bool> {
        match self.shard_log(shard) {
            Some(log) => log.discard(blob_id, axis),
            None => Ok(false),
        }
    }

    /// Whether the sliver is stored.
    pub fn has_sliver(&self, shard: ShardIndex, blob_id: &BlobId, axis: Axis) -> bool {
        self.shard_log(shard)
            .is_some_and(|log| log.contains(blob_id, axis))
    }

    /// The shards with a log.
    pub fn shards(&self) -> io::Result<Vec<ShardIndex>> {
        Ok(read(&self.shards).keys().map(|&s| ShardIndex(s)).collect())
    }

    /// The blob IDs with at least one sliver in `shard`, sorted.
    pub fn blobs_in_shard(&self, shard: ShardIndex) -> io::Result<Vec<BlobId>> {
        Ok(self.blobs_in_shard_after(shard, Bound::Unbounded, usize::MAX))
    }

    /// At most `limit` blob IDs with a sliver in `shard`, sorted, after `start` (inclusive or
    /// not).
    pub fn blobs_in_shard_after(
        &self,
        shard: ShardIndex,
        start: Bound<BlobId>,
        limit: usize,
    ) -> Vec<BlobId> {
        self.shard_log(shard)
            .map(|log| log.blob_ids(start, limit))
            .unwrap_or_default()
    }

    /// Deletes a shard's data as a unit.
    pub fn delete_shard(&self, shard: ShardIndex) -> io::Result<()> {
        let removed = write(&self.shards).remove(&shard.get());
        let result = match fs::remove_dir_all(self.shard_dir(shard)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
        // Dropped after its directory is gone, so closing it writes no clean marker.
        drop(removed);
        result
    }

    /// Deletes everything stored for `blob_id` in `shards` and its metadata (durably, and
    /// compacting segments that became mostly dead).
    pub fn delete_blob(&self, blob_id: &BlobId, shards: &[ShardIndex]) -> io::Result<()> {
        for &shard in shards {
            if let Some(log) = self.shard_log(shard) {
                log.delete(blob_id)?;
            }
        }
        remove_if_exists(&self.metadata_path(blob_id))
    }
}

/// Moves slivers stored as one file each (`<blob id hex>.p` / `.s`, the layout before the
/// logs) in `dir` into `log`; how many.
fn import_sliver_files(dir: &Path, log: &ShardLog) -> io::Result<usize> {
    let mut imported = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some((stem, suffix)) = name.to_str().and_then(|n| n.split_once('.')) else {
            continue;
        };
        let axis = match suffix {
            "p" => Axis::Primary,
            "s" => Axis::Secondary,
            _ => continue,
        };
        let mut id = [0u8; 32];
        if hex::decode_to_slice(stem, &mut id).is_err() {
            continue;
        }
        log.put(&BlobId(id), axis, &fs::read(entry.path())?)?;
        fs::remove_file(entry.path())?;
        imported += 1;
    }
    if imported > 0 {
        File::open(dir)?.sync_all()?;
    }
    Ok(imported)
}

/// Whether `/proc/self/fd` links exist (not in every container): an unnamed file is named
/// through one.
#[cfg(target_os = "linux")]
fn proc_fd_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| Path::new("/proc/self/fd").is_dir())
}

/// `bytes` as a new file `path` in `dir` by way of an unnamed file (see [`SliverStore::put`]);
/// `false` if `path` exists (it was written by a concurrent call, whose directory entry is made
/// durable here too before answering).
#[cfg(target_os = "linux")]
fn put_unnamed(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<bool> {
    use std::os::fd::AsRawFd as _;

    use rustix::fs::{AtFlags, CWD, Mode, OFlags};

    let fd = rustix::fs::open(
        dir,
        OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )?;
    let mut file = File::from(fd);
    file.write_all(bytes)?;
    file.sync_data()?;
    // An unnamed file gets a name through its /proc link (`AT_EMPTY_PATH` would need
    // CAP_DAC_READ_SEARCH).
    let proc_path = format!("/proc/self/fd/{}", file.as_raw_fd());
    let written =
        match rustix::fs::linkat(CWD, proc_path.as_str(), CWD, path, AtFlags::SYMLINK_FOLLOW) {
            Ok(()) => true,
            Err(rustix::io::Errno::EXIST) => false,
            Err(e) => return Err(e.into()),
        };
    drop(file);
    File::open(dir)?.sync_all()?;
    Ok(written)
}

fn remove_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn values_are_written_once_and_shards_are_units() {
        let dir = tempfile::tempdir().unwrap();
        let store = SliverStore::open(dir.path()).unwrap();
        let id = BlobId([3; 32]);
        assert!(
            store
                .put_sliver(ShardIndex(2), &id, Axis::Primary, b"a")
                .unwrap()
        );
        assert!(
            !store
                .put_sliver(ShardIndex(2), &id, Axis::Primary, b"b")
                .unwrap()
        );
        assert_eq!(
            store
                .sliver(ShardIndex(2), &id, Axis::Primary)
                .unwrap()
                .unwrap(),
            b"a"
        );
        assert!(
            store
                .sliver(ShardIndex(2), &id, Axis::Secondary)
                .unwrap()
                .is_none()
        );
        assert_eq!(store.shards().unwrap(), vec![ShardIndex(2)]);
        assert_eq!(store.blobs_in_shard(ShardIndex(2)).unwrap(), vec![id]);
        store.delete_shard(ShardIndex(2)).unwrap();
        assert!(store.blobs_in_shard(ShardIndex(2)).unwrap().is_empty());
        assert!(store.put_metadata(&id, b"m").unwrap());
        assert!(store.has_metadata(&id));
        store.delete_blob(&id, &[]).unwrap();
        assert!(!store.has_metadata(&id));
    }

    // Exactly one winner: `linkat` gives it for metadata, the shard log's pending keys for
    // slivers; the rename fallback lets the last one win.
    #[cfg(target_os = "linux")]
    #[test]
    fn concurrent_writes_of_one_key_store_exactly_one_value() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SliverStore::open(dir.path()).unwrap());
        let id = BlobId([5; 32]);
        let writers: Vec<_> = (0..8u8)
            .map(|i| {
                let store = store.clone();
                std::thread::spawn(move || {
                    let value = vec![i; 4096];
                    let sliver = store
                        .put_sliver(ShardIndex(1), &id, Axis::Secondary, &value)
                        .unwrap();
                    let metadata = store.put_metadata(&id, &value).unwrap();
                    (sliver, metadata, value)
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        // Whichever won, exactly one did, and the stored value is that writer's, whole.
        let slivers: Vec<_> = writers.iter().filter(|w| w.0).collect();
        assert_eq!(slivers.len(), 1);
        let metadata: Vec<_> = writers.iter().filter(|w| w.1).collect();
        assert_eq!(metadata.len(), 1);
        let stored = store
            .sliver(ShardIndex(1), &id, Axis::Secondary)
            .unwrap()
            .unwrap();
        assert_eq!(stored, slivers[0].2);
        assert_eq!(store.metadata(&id).unwrap().unwrap(), metadata[0].2);
        // Nothing is left behind: one segment holding one record, nothing in tmp/.
        let names: Vec<_> = fs::read_dir(dir.path().join("shards/1"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["0000000000000001.seg"]);
        assert_eq!(
            fs::metadata(dir.path().join("shards/1/0000000000000001.seg"))
                .unwrap()
                .len(),
            52 + 4096
        );
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
        drop(store);
        let store = SliverStore::open(dir.path()).unwrap();
        assert_eq!(
            store
                .sliver(ShardIndex(1), &id, Axis::Secondary)
                .unwrap()
                .unwrap(),
            slivers[0].2
        );
    }

    #[test]
    fn the_rename_fallback_writes_the_same_layout() {
        let dir = tempfile::tempdir().unwrap();
        let store = SliverStore::open(dir.path()).unwrap();
        let id = BlobId([6; 32]);
        let path = store.metadata_path(&id);
        assert!(
            store
                .put_renamed(path.parent().unwrap(), &path, b"renamed")
                .unwrap()
        );
        assert_eq!(store.metadata(&id).unwrap().unwrap(), b"renamed");
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn slivers_stored_as_files_move_into_the_log_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let shard = dir.path().join("shards/7");
        fs::create_dir_all(&shard).unwrap();
        let (a, b) = (BlobId([1; 32]), BlobId([2; 32]));
        fs::write(shard.join(format!("{}.p", hex::encode(a.0))), b"primary a").unwrap();
        fs::write(
            shard.join(format!("{}.s", hex::encode(a.0))),
            b"secondary a",
        )
        .unwrap();
        fs::write(
            shard.join(format!("{}.s", hex::encode(b.0))),
            b"secondary b",
        )
        .unwrap();
        let store = SliverStore::open(dir.path()).unwrap();
        assert_eq!(store.shards().unwrap(), vec![ShardIndex(7)]);
        assert_eq!(store.blobs_in_shard(ShardIndex(7)).unwrap(), vec![a, b]);
        let get = |store: &SliverStore, id, axis| store.sliver(ShardIndex(7), id, axis).unwrap();
        assert_eq!(get(&store, &a, Axis::Primary).unwrap(), b"primary a");
        assert_eq!(get(&store, &a, Axis::Secondary).unwrap(), b"secondary a");
        assert_eq!(get(&store, &b, Axis::Secondary).unwrap(), b"secondary b");
        assert!(get(&store, &b, Axis::Primary).is_none());
        let names: Vec<_> = fs::read_dir(&shard)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["0000000000000001.seg"]);
        drop(store);
        let store = SliverStore::open(dir.path()).unwrap();
        assert_eq!(get(&store, &b, Axis::Secondary).unwrap(), b"secondary b");
    }
}
