//! Snapshots of the devnet ledger's state, so a restart does not replay the whole journal.
//!
//! A snapshot is the serialized ledger state after journal record `seq`. Files are named
//! `snapshot-<seq, 20 digits>.snap` and hold `MAGIC ‖ seq: u64 LE ‖ len: u64 LE ‖ crc: u32 LE
//! (CRC-32C of the state) ‖ state`. They are written to a temporary file, fsynced, renamed into
//! place and the directory fsynced, so a crash leaves either the old or the new snapshot, never a
//! half one. The newest [`KEEP`] snapshots are kept; loading falls back to an older one when the
//! newest is damaged. The journal is never pruned, so snapshots only save time: losing all of them
//! means replaying from record 1, not losing data.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const MAGIC: [u8; 8] = *b"WSNAPSH\x01";
const HEADER_LEN: usize = 28;
/// How many snapshots are kept.
pub const KEEP: usize = 2;

/// Errors writing snapshots. (Damaged snapshots found while loading are skipped, not errors.)
#[derive(Debug, thiserror::Error)]
#[error("snapshot I/O error at {path}: {source}")]
pub struct SnapshotError {
    path: PathBuf,
    source: io::Error,
}

fn err(path: &Path, source: io::Error) -> SnapshotError {
    SnapshotError {
        path: path.to_path_buf(),
        source,
    }
}

fn name(seq: u64) -> String {
    format!("snapshot-{seq:020}.snap")
}

fn list(dir: &Path) -> Result<Vec<(u64, PathBuf)>, SnapshotError> {
    let mut found = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(err(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| err(dir, e))?;
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        if let Some(seq) = file_name
            .strip_prefix("snapshot-")
            .and_then(|s| s.strip_suffix(".snap"))
            .and_then(|s| s.parse::<u64>().ok())
        {
            found.push((seq, entry.path()));
        }
    }
    found.sort_unstable_by_key(|(seq, _)| std::cmp::Reverse(*seq));
    Ok(found)
}

/// Atomically writes the state after record `seq`, then removes all but the newest [`KEEP`].
pub fn write(dir: &Path, seq: u64, state: &[u8]) -> Result<PathBuf, SnapshotError> {
    fs::create_dir_all(dir).map_err(|e| err(dir, e))?;
    let path = dir.join(name(seq));
    let tmp = dir.join(format!("{}.tmp", name(seq)));
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(&MAGIC);
    header.extend_from_slice(&seq.to_le_bytes());
    header.extend_from_slice(&(state.len() as u64).to_le_bytes());
    header.extend_from_slice(&crc32c::crc32c(state).to_le_bytes());
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&tmp)
        .map_err(|e| err(&tmp, e))?;
    file.write_all(&header)
        .and_then(|()| file.write_all(state))
        .and_then(|()| file.sync_all())
        .map_err(|e| err(&tmp, e))?;
    drop(file);
    fs::rename(&tmp, &path).map_err(|e| err(&path, e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| err(dir, e))?;
    for (_, old) in list(dir)?.into_iter().skip(KEEP) {
        fs::remove_file(&old).map_err(|e| err(&old, e))?;
    }
    Ok(path)
}

/// Loads the newest intact snapshot: `(seq, state)`. Damaged ones are logged and skipped.
pub fn load_latest(dir: &Path) -> Result<Option<(u64, Vec<u8>)>, SnapshotError> {
    for (seq, path) in list(dir)? {
        let bytes = fs::read(&path).map_err(|e| err(&path, e))?;
        match check(seq, &bytes) {
            Ok(()) => {
                let mut state = bytes;
                state.drain(..HEADER_LEN);
                return Ok(Some((seq, state)));
            }
            Err(reason) => {
                tracing::warn!(path = %path.display(), %reason, "skipping a damaged snapshot");
            }
        }
    }
    Ok(None)
}

fn check(seq: u64, bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < HEADER_LEN {
        return Err(format!("{} bytes is shorter than the header", bytes.len()));
    }
    let (header, state) = bytes.split_at(HEADER_LEN);
    if header[..8] != MAGIC {
        return Err("bad magic".into());
    }
    let field = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&header[at..at + 8]);
        u64::from_le_bytes(b)
    };
    if field(8) != seq {
        return Err(format!("header says record {}, file name {seq}", field(8)));
    }
    if field(16) != state.len() as u64 {
        return Err(format!(
            "header says {} state bytes, file has {}",
            field(16),
            state.len()
        ));
    }
    let crc = u32::from_le_bytes([header[24], header[25], header[26], header[27]]);
    if crc32c::crc32c(state) != crc {
        return Err("checksum mismatch".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_intact_snapshot_wins_and_old_ones_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_latest(dir.path()).unwrap(), None);
        for seq in [3u64, 7, 12] {
            write(dir.path(), seq, format!("state {seq}").as_bytes()).unwrap();
        }
        assert_eq!(list(dir.path()).unwrap().len(), KEEP);
        assert_eq!(
            load_latest(dir.path()).unwrap(),
            Some((12, b"state 12".to_vec()))
        );

        // Damage the newest: loading falls back to the previous one.
        let newest = dir.path().join(name(12));
        let mut bytes = fs::read(&newest).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        fs::write(&newest, bytes).unwrap();
        assert_eq!(
            load_latest(dir.path()).unwrap(),
            Some((7, b"state 7".to_vec()))
        );

        // A truncated file and a leftover temporary file are ignored too.
        fs::write(dir.path().join(name(20)), b"WSNAP").unwrap();
        fs::write(dir.path().join(format!("{}.tmp", name(30))), b"partial").unwrap();
        assert_eq!(
            load_latest(dir.path()).unwrap(),
            Some((7, b"state 7".to_vec()))
        );
    }
}
