//! Per-blob-ID and per-object information derived from the chain's events, and its persisted
//! form together with the stream cursor.
//!
//! The state and the cursor of the last applied transaction are written together, atomically
//! (temporary file, `fsync`, rename, directory `fsync`), after each page of transactions. After
//! a restart the node resumes after the persisted cursor: a transaction is applied exactly once.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::Path;

use serde::{Deserialize, Serialize};
use walrus_chain::types::TransactionRecord;
use walrus_core::BlobId;
use walrus_core::contracts::events::ContractEvent;
use walrus_node_api::{BlobStatus, DeletableCounts, EventId};

/// One `Blob` object of a blob ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectInfo {
    /// The blob ID it registers.
    pub blob_id: BlobId,
    /// Deletable by its owner.
    pub deletable: bool,
    /// Registered (or extended) up to this epoch, exclusive.
    pub end_epoch: u32,
    /// Certified in this epoch, if certified.
    pub certified_epoch: Option<u32>,
    /// The event that last changed it.
    pub event: EventId,
}

/// What the node knows about one blob ID.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobInfo {
    /// The live (not deleted) blob objects of this ID, by object id (hex).
    pub objects: BTreeMap<String, ObjectInfo>,
    /// The `InvalidBlobID` event, if the ID was marked invalid.
    pub invalid: Option<EventId>,
    /// The first certification event.
    pub first_certified: Option<EventId>,
    /// The first epoch in which an object of this ID was certified.
    pub initial_certified_epoch: Option<u32>,
    /// Whether the node deleted the stored data because the blob became invalid, expired or
    /// deleted (reset by a new registration).
    #[serde(default)]
    pub data_collected: bool,
}

/// Counts of the live objects of a blob ID in an epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Live permanent objects.
    pub permanent_total: u32,
    /// Live certified permanent objects.
    pub permanent_certified: u32,
    /// Live deletable objects.
    pub deletable_total: u32,
    /// Live certified deletable objects.
    pub deletable_certified: u32,
    /// The latest end epoch of the live permanent objects.
    pub permanent_end_epoch: u32,
    /// The latest end epoch of any live object.
    pub max_end_epoch: u32,
}

impl BlobInfo {
    /// Counts over the objects still live in `epoch` (end epoch after it).
    pub fn counts(&self, epoch: u32) -> Counts {
        let mut c = Counts::default();
        for o in self.objects.values().filter(|o| o.end_epoch > epoch) {
            c.max_end_epoch = c.max_end_epoch.max(o.end_epoch);
            if o.deletable {
                c.deletable_total += 1;
                c.deletable_certified += u32::from(o.certified_epoch.is_some());
            } else {
                c.permanent_total += 1;
                c.permanent_certified += u32::from(o.certified_epoch.is_some());
                c.permanent_end_epoch = c.permanent_end_epoch.max(o.end_epoch);
            }
        }
        c
    }

    /// Registered by a live object and not invalid.
    pub fn is_registered(&self, epoch: u32) -> bool {
        self.invalid.is_none() && self.objects.values().any(|o| o.end_epoch > epoch)
    }

    /// No data should be kept: invalid, or no object live in `epoch` (expired or deleted).
    pub fn is_dead(&self, epoch: u32) -> bool {
        self.invalid.is_some() || !self.objects.values().any(|o| o.end_epoch > epoch)
    }

    /// Some live object is certified.
    pub fn is_certified(&self, epoch: u32) -> bool {
        self.invalid.is_none()
            && self
                .objects
                .values()
                .any(|o| o.end_epoch > epoch && o.certified_epoch.is_some())
    }

    /// The status the API reports (§7 BlobStatus).
    pub fn status(&self, epoch: u32) -> BlobStatus {
        if let Some(event) = &self.invalid {
            return BlobStatus::Invalid {
                event: event.clone(),
            };
        }
        let c = self.counts(epoch);
        let deletable_counts = DeletableCounts {
            count_deletable_total: c.deletable_total,
            count_deletable_certified: c.deletable_certified,
        };
        if c.permanent_total > 0 {
            let status_event = self
                .objects
                .values()
                .filter(|o| !o.deletable && o.end_epoch > epoch)
                .max_by_key(|o| (o.certified_epoch.is_some(), o.end_epoch))
                .map(|o| o.event.clone())
                .unwrap_or(EventId {
                    tx_digest: String::new(),
                    event_seq: 0,
                });
            BlobStatus::Permanent {
                end_epoch: c.permanent_end_epoch,
                is_certified: c.permanent_certified > 0,
                status_event,
                deletable_counts,
                initial_certified_epoch: self.initial_certified_epoch,
            }
        } else if c.deletable_total > 0 {
            BlobStatus::Deletable {
                initial_certified_epoch: self.initial_certified_epoch,
                deletable_counts,
            }
        } else {
            BlobStatus::Nonexistent
        }
    }
}

/// Everything derived from the stream, with the cursor it reflects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventState {
    /// The cursor of the last applied transaction (0: none).
    pub cursor: u64,
    /// Transactions applied (= events processed, counted per transaction).
    pub transactions_applied: u64,
    /// Events applied.
    pub events_applied: u64,
    /// The latest epoch seen in an event.
    pub epoch: u32,
    /// Per blob ID (base64url).
    pub blobs: BTreeMap<String, BlobInfo>,
    /// Blob IDs certified since the node last finished recovery for them.
    pub to_recover: Vec<String>,
    /// The epoch whose change started and for which this node has not reported
    /// `epoch_sync_done` yet.
    #[serde(default)]
    pub sync_pending_epoch: Option<u32>,
}

/// An object id as the map key: lowercase hex of its 32 bytes.
pub fn object_key(object_id: &[u8; 32]) -> String {
    hex::encode(object_id)
}

impl EventState {
    /// The info of `blob_id`, if any.
    pub fn blob(&self, blob_id: &BlobId) -> Option<&BlobInfo> {
        self.blobs.get(&blob_id.to_string())
    }

    /// Applies one transaction; transactions at or before the cursor are ignored (so a page that
    /// overlaps what was already applied changes nothing).
    pub fn apply(&mut self, record: &TransactionRecord) {
        if record.cursor <= self.cursor {
            return;
        }
        self.cursor = record.cursor;
        self.transactions_applied += 1;
        let digest = record.digest.to_string();
        for event in &record.events {
            let Ok(Some(decoded)) = ContractEvent::decode(&event.event_type, &event.bcs) else {
                continue;
            };
            self.events_applied += 1;
            let id = EventId {
                tx_digest: digest.clone(),
                event_seq: u64::from(event.event_index),
            };
            self.apply_event(decoded, id);
        }
    }

    fn apply_event(&mut self, event: ContractEvent, id: EventId) {
        match event {
            ContractEvent::BlobRegistered(e) => {
                self.epoch = self.epoch.max(e.epoch);
                let info = self.blobs.entry(e.blob_id.to_string()).or_default();
                info.data_collected = false;
                info.objects.insert(
                    object_key(&e.object_id.0),
                    ObjectInfo {
                        blob_id: e.blob_id,
                        deletable: e.deletable,
                        end_epoch: e.end_epoch,
                        certified_epoch: None,
                        event: id,
                    },
                );
            }
            ContractEvent::BlobCertified(e) => {
                self.epoch = self.epoch.max(e.epoch);
                let key = e.blob_id.to_string();
                let info = self.blobs.entry(key.clone()).or_default();
                let object = info
                    .objects
                    .entry(object_key(&e.object_id.0))
                    .or_insert_with(|| ObjectInfo {
                        blob_id: e.blob_id,
                        deletable: e.deletable,
                        end_epoch: e.end_epoch,
                        certified_epoch: None,
                        event: id.clone(),
                    });
                object.end_epoch = object.end_epoch.max(e.end_epoch);
                object.certified_epoch.get_or_insert(e.epoch);
                object.event = id.clone();
                if info.first_certified.is_none() {
                    info.first_certified = Some(id);
                }
                if info.initial_certified_epoch.is_none_or(|c| c > e.epoch) {
                    info.initial_certified_epoch = Some(e.epoch);
                }
                if !self.to_recover.contains(&key) {
                    self.to_recover.push(key);
                }
            }
            ContractEvent::BlobDeleted(e) => {
                self.epoch = self.epoch.max(e.epoch);
                if let Some(info) = self.blobs.get_mut(&e.blob_id.to_string()) {
                    info.objects.remove(&object_key(&e.object_id.0));
                }
            }
            ContractEvent::InvalidBlobId(e) => {
                self.epoch = self.epoch.max(e.epoch);
                let info = self.blobs.entry(e.blob_id.to_string()).or_default();
                info.invalid.get_or_insert(id);
            }
            ContractEvent::EpochChangeStart(e) => {
                self.epoch = self.epoch.max(e.epoch);
                // Shards may have moved: every certified blob is checked for slivers missing on
                // the shards owned in the new epoch; then the node reports sync done.
                for (key, info) in &self.blobs {
                    if info.is_certified(e.epoch) && !self.to_recover.contains(key) {
                        self.to_recover.push(key.clone());
                    }
                }
                self.sync_pending_epoch = Some(e.epoch);
            }
            ContractEvent::EpochChangeDone(e) => self.epoch = self.epoch.max(e.epoch),
            _ => {}
        }
    }

    /// Loads the persisted state, or the empty state if none was persisted.
    pub fn load(path: &Path) -> io::Result<Self> {
        match fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e),
        }
    }

    /// Persists the state atomically and durably.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let bytes = serde_json::to_vec(self).map_err(io::Error::other)?;
        let tmp = path.with_extension("tmp");
        let mut file = File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}
