//! [`Blocklist`]: blob IDs an operator refuses to serve or store (the reference's
//! `--blocklist`): a YAML list of blob IDs in a file, reread every 30 seconds, so an operator
//! blocks a blob by editing the file, without a restart.
//!
//! ```yaml
//! # blocked by request of ...
//! - N4eHo7rgKSBtHdJubfEbfGJlOHc-HEaZMoXFyDj4N44
//! - M4hsZGQ1oCktdzegB6HnI6Mi28S2nqOPHxK-W7_4BUk
//! ```
//!
//! A file that does not parse is an error at start; on a reread it is logged and the previous
//! list stays in force (a half-written file never unblocks everything).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use walrus_core::BlobId;

/// How often the file is reread.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(30);

/// A shared, reloadable set of blocked blob IDs; clones share the set.
#[derive(Debug, Clone)]
pub struct Blocklist {
    path: PathBuf,
    blocked: Arc<RwLock<HashSet<BlobId>>>,
}

impl Blocklist {
    /// Reads the list in `path`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let list = Self {
            path: path.to_owned(),
            blocked: Arc::default(),
        };
        list.reload()?;
        Ok(list)
    }

    /// Rereads the file; the number of blocked blobs. On an error the list is unchanged.
    pub fn reload(&self) -> anyhow::Result<usize> {
        let text = std::fs::read_to_string(&self.path)
            .map_err(|e| anyhow::anyhow!("blocklist {}: {e}", self.path.display()))?;
        let blocked =
            parse(&text).map_err(|e| anyhow::anyhow!("blocklist {}: {e}", self.path.display()))?;
        let n = blocked.len();
        *self.blocked.write().unwrap_or_else(PoisonError::into_inner) = blocked;
        Ok(n)
    }

    /// Whether `blob_id` is blocked.
    pub fn is_blocked(&self, blob_id: &BlobId) -> bool {
        self.blocked
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(blob_id)
    }

    /// Rereads the file every [`REFRESH_INTERVAL`] for as long as the runtime runs.
    pub fn spawn_refresh(&self) {
        let list = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(REFRESH_INTERVAL);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                match list.reload() {
                    Ok(n) => tracing::debug!(blocked = n, "blocklist reread"),
                    Err(e) => {
                        tracing::error!(error = %e, "blocklist not reread; the previous list stays")
                    }
                }
            }
        });
    }
}

/// The blob IDs of a YAML list (empty file: none blocked).
fn parse(text: &str) -> anyhow::Result<HashSet<BlobId>> {
    if text.trim().is_empty() {
        return Ok(HashSet::new());
    }
    let entries: Option<Vec<String>> = serde_yaml::from_str(text)
        .map_err(|e| anyhow::anyhow!("not a YAML list of blob IDs: {e}"))?;
    entries
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            entry
                .trim()
                .parse::<BlobId>()
                .map_err(|e| anyhow::anyhow!("entry {}: {entry:?} is not a blob ID: {e}", i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn lists_parse_and_bad_ones_name_the_entry() {
        let a = BlobId([1; 32]);
        let b = BlobId([2; 32]);
        let text = format!("# blocked\n- {a}\n- {b}\n");
        let set = parse(&text).unwrap();
        assert_eq!(set.len(), 2);
        assert!(set.contains(&a) && set.contains(&b));
        assert_eq!(parse(&format!("[{a}]")).unwrap().len(), 1);
        assert!(parse("").unwrap().is_empty());
        assert!(parse("# nothing yet\n").unwrap().is_empty());
        let error = parse(&format!("- {a}\n- nope\n")).unwrap_err().to_string();
        assert!(error.contains("entry 2: \"nope\""), "{error}");
        assert!(parse("key: value").is_err());
    }

    #[test]
    fn a_bad_reread_keeps_the_previous_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blocklist.yaml");
        let a = BlobId([1; 32]);
        std::fs::write(&path, format!("- {a}\n")).unwrap();
        let list = Blocklist::load(&path).unwrap();
        assert!(list.is_blocked(&a));
        assert!(!list.is_blocked(&BlobId([2; 32])));
        std::fs::write(&path, "- garbage\n").unwrap();
        assert!(list.reload().is_err());
        assert!(list.is_blocked(&a), "a failed reread unblocked a blob");
        std::fs::write(&path, "").unwrap();
        assert_eq!(list.reload().unwrap(), 0);
        assert!(!list.is_blocked(&a));
        let missing = Blocklist::load(&dir.path().join("absent.yaml")).unwrap_err();
        assert!(missing.to_string().contains("absent.yaml"), "{missing}");
    }
}
