//! The sliver store: metadata and slivers on the file system, one directory per shard.
//!
//! Layout under the data directory:
//! ```text
//! metadata/<blob id hex>            BCS BlobMetadataWithId
//! shards/<shard>/<blob id hex>.p    BCS SliverData<Primary> of the pair this shard holds
//! shards/<shard>/<blob id hex>.s    BCS SliverData<Secondary>
//! ```
//! A shard's data is one directory, so it can be listed, moved (renamed) and deleted as a unit.
//! Every write goes to an unnamed (or temporary) file, is `fsync`ed, linked (or renamed) into
//! place, and the directory is `fsync`ed: when a write returns, the value survives a crash.
//! Values are written once; a second write of the same key is a no-op (`Ok(false)`). The
//! choice of plain files over an LSM engine is explained (with numbers) in the crate's
//! `README.md`.

use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use walrus_core::{Axis, BlobId, ShardIndex};

/// The store rooted at a data directory.
#[derive(Debug)]
pub struct SliverStore {
    root: PathBuf,
    tmp_counter: AtomicU64,
}

fn blob_key(blob_id: &BlobId) -> String {
    hex::encode(blob_id.as_bytes())
}

fn axis_suffix(axis: Axis) -> &'static str {
    match axis {
        Axis::Primary => "p",
        Axis::Secondary => "s",
    }
}

impl SliverStore {
    /// Opens (creating) the store under `root`; removes leftover temporary files.
    pub fn open(root: &Path) -> io::Result<Self> {
        fs::create_dir_all(root.join("metadata"))?;
        fs::create_dir_all(root.join("shards"))?;
        fs::create_dir_all(root.join("tmp"))?;
        for entry in fs::read_dir(root.join("tmp"))? {
            fs::remove_file(entry?.path())?;
        }
        Ok(Self {
            root: root.to_owned(),
            tmp_counter: AtomicU64::new(0),
        })
    }

    fn metadata_path(&self, blob_id: &BlobId) -> PathBuf {
        self.root.join("metadata").join(blob_key(blob_id))
    }

    fn shard_dir(&self, shard: ShardIndex) -> PathBuf {
        self.root.join("shards").join(shard.get().to_string())
    }

    fn sliver_path(&self, shard: ShardIndex, blob_id: &BlobId, axis: Axis) -> PathBuf {
        self.shard_dir(shard)
            .join(format!("{}.{}", blob_key(blob_id), axis_suffix(axis)))
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

    /// Stores a BCS sliver for `shard`; `true` if it was not stored before.
    pub fn put_sliver(
        &self,
        shard: ShardIndex,
        blob_id: &BlobId,
        axis: Axis,
        bcs: &[u8],
    ) -> io::Result<bool> {
        self.put(&self.sliver_path(shard, blob_id, axis), bcs)
    }

    /// The stored BCS sliver.
    pub fn sliver(
        &self,
        shard: ShardIndex,
        blob_id: &BlobId,
        axis: Axis,
    ) -> io::Result<Option<Vec<u8>>> {
        Self::get(&self.sliver_path(shard, blob_id, axis))
    }

    /// Whether the sliver is stored.
    pub fn has_sliver(&self, shard: ShardIndex, blob_id: &BlobId, axis: Axis) -> bool {
        self.sliver_path(shard, blob_id, axis).exists()
    }

    /// The shards with a directory on disk.
    pub fn shards(&self) -> io::Result<Vec<ShardIndex>> {
        let mut shards = Vec::new();
        for entry in fs::read_dir(self.root.join("shards"))? {
            if let Some(index) = entry?
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u16>().ok())
            {
                shards.push(ShardIndex(index));
            }
        }
        shards.sort();
        Ok(shards)
    }

    /// The blob IDs with at least one sliver in `shard`, sorted.
    pub fn blobs_in_shard(&self, shard: ShardIndex) -> io::Result<Vec<BlobId>> {
        let mut ids = Vec::new();
        let dir = self.shard_dir(shard);
        if !dir.exists() {
            return Ok(ids);
        }
        for entry in fs::read_dir(dir)? {
            let name = entry?.file_name();
            let Some(stem) = name.to_str().and_then(|n| n.split('.').next()) else {
                continue;
            };
            let mut bytes = [0u8; 32];
            if hex::decode_to_slice(stem, &mut bytes).is_ok() {
                ids.push(BlobId(bytes));
            }
        }
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// Deletes a shard's data as a unit.
    pub fn delete_shard(&self, shard: ShardIndex) -> io::Result<()> {
        match fs::remove_dir_all(self.shard_dir(shard)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Deletes everything stored for `blob_id` in `shards` and its metadata.
    pub fn delete_blob(&self, blob_id: &BlobId, shards: &[ShardIndex]) -> io::Result<()> {
        for &shard in shards {
            for axis in [Axis::Primary, Axis::Secondary] {
                remove_if_exists(&self.sliver_path(shard, blob_id, axis))?;
            }
        }
        remove_if_exists(&self.metadata_path(blob_id))
    }
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

    // Exactly one winner is what `linkat` gives; the rename fallback lets the last one win.
    #[cfg(target_os = "linux")]
    #[test]
    fn concurrent_writes_of_one_key_store_exactly_one_value() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(SliverStore::open(dir.path()).unwrap());
        let id = BlobId([5; 32]);
        let writers: Vec<_> = (0..8u8)
            .map(|i| {
                let store = store.clone();
                std::thread::spawn(move || {
                    let value = vec![i; 4096];
                    let written = store
                        .put_sliver(ShardIndex(1), &id, Axis::Secondary, &value)
                        .unwrap();
                    (written, value)
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        // Whichever won, exactly one did, and the stored value is that writer's, whole.
        let winners: Vec<_> = writers.iter().filter(|(w, _)| *w).collect();
        assert_eq!(winners.len(), 1);
        let stored = store
            .sliver(ShardIndex(1), &id, Axis::Secondary)
            .unwrap()
            .unwrap();
        assert_eq!(stored, winners[0].1);
        // Nothing is left behind: only the value in the shard directory, nothing in tmp/.
        let names: Vec<_> = fs::read_dir(dir.path().join("shards/1"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn the_rename_fallback_writes_the_same_layout() {
        let dir = tempfile::tempdir().unwrap();
        let store = SliverStore::open(dir.path()).unwrap();
        let id = BlobId([6; 32]);
        let path = store.sliver_path(ShardIndex(4), &id, Axis::Primary);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        assert!(
            store
                .put_renamed(path.parent().unwrap(), &path, b"renamed")
                .unwrap()
        );
        assert_eq!(
            store
                .sliver(ShardIndex(4), &id, Axis::Primary)
                .unwrap()
                .unwrap(),
            b"renamed"
        );
        assert_eq!(store.blobs_in_shard(ShardIndex(4)).unwrap(), vec![id]);
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }
}
