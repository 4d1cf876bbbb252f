//! Per-blob-ID and per-object information derived from the chain's events, with the stream
//! cursor it reflects.
//!
//! [`EventState`] records which blob IDs changed since the last [`EventState::take_changes`], so
//! the node persists each page of transactions as the entries it changed together with the
//! cursor (see [`crate::event_store`]), not the whole state. After a restart the node resumes
//! after the persisted cursor: a transaction is applied exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;

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
    pub objects: ObjectMap,
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

/// The objects of one blob ID by object id, in a vector sorted by id.
///
/// A blob ID almost always has one object, or a few. A `BTreeMap` allocates a whole node (11
/// slots, about 1.2 KB here) for its first entry, which made it most of the node's memory per
/// blob (1,546 B per blob with 1,000,000 blobs; `cargo bench -p walrus-node --bench
/// event_persistence`). Serialized as a map, like the `BTreeMap` it replaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectMap(Vec<(String, ObjectInfo)>);

impl ObjectMap {
    fn position(&self, id: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(key, _)| key.as_str().cmp(id))
    }

    /// The number of objects.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No objects.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The objects with their ids, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &ObjectInfo)> {
        self.0.iter().map(|(key, object)| (key, object))
    }

    /// The objects, in id order.
    pub fn values(&self) -> impl Iterator<Item = &ObjectInfo> {
        self.0.iter().map(|(_, object)| object)
    }

    /// The object with this id.
    pub fn get(&self, id: &str) -> Option<&ObjectInfo> {
        self.position(id).ok().map(|i| &self.0[i].1)
    }

    /// Sets the object with this id; returns the one it replaced.
    pub fn insert(&mut self, id: String, object: ObjectInfo) -> Option<ObjectInfo> {
        match self.position(&id) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, object)),
            Err(i) => {
                self.0.insert(i, (id, object));
                None
            }
        }
    }

    /// The object with this id, inserted from `make` if missing.
    pub fn get_or_insert_with(
        &mut self,
        id: String,
        make: impl FnOnce() -> ObjectInfo,
    ) -> &mut ObjectInfo {
        let i = match self.position(&id) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (id, make()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// Removes the object with this id.
    pub fn remove(&mut self, id: &str) -> Option<ObjectInfo> {
        self.position(id).ok().map(|i| self.0.remove(i).1)
    }
}

impl FromIterator<(String, ObjectInfo)> for ObjectMap {
    /// As collecting into a map: for a repeated id the last object wins.
    fn from_iter<I: IntoIterator<Item = (String, ObjectInfo)>>(pairs: I) -> Self {
        let mut map = Self::default();
        for (id, object) in pairs {
            map.insert(id, object);
        }
        map.0.shrink_to_fit();
        map
    }
}

impl IntoIterator for ObjectMap {
    type Item = (String, ObjectInfo);
    type IntoIter = std::vec::IntoIter<(String, ObjectInfo)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Serialize for ObjectMap {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for ObjectMap {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(BTreeMap::<String, ObjectInfo>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
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

/// The blob infos by blob ID (base64url), remembering which IDs changed since the last
/// [`EventState::take_changes`]. Reads go through `Deref` to the map; the only ways to change an
/// entry ([`BlobMap::get_mut`], [`BlobMap::entry_or_default`]) record the change, so nothing
/// changed in memory can be missed by the journal.
#[derive(Debug, Clone, Default)]
pub struct BlobMap {
    map: BTreeMap<String, BlobInfo>,
    changed: BTreeSet<String>,
}

impl Deref for BlobMap {
    type Target = BTreeMap<String, BlobInfo>;

    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

impl PartialEq for BlobMap {
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl Eq for BlobMap {}

impl BlobMap {
    /// The info of `key` for changing it (recorded as changed).
    pub fn get_mut(&mut self, key: &str) -> Option<&mut BlobInfo> {
        let info = self.map.get_mut(key)?;
        if !self.changed.contains(key) {
            self.changed.insert(key.to_owned());
        }
        Some(info)
    }

    /// The info of `key`, created empty if absent (recorded as changed).
    pub fn entry_or_default(&mut self, key: String) -> &mut BlobInfo {
        if !self.changed.contains(&key) {
            self.changed.insert(key.clone());
        }
        self.map.entry(key).or_default()
    }
}

/// Blob IDs (base64url) certified since the node last finished recovery for them, remembering
/// which IDs were added or removed since the last [`EventState::take_changes`].
#[derive(Debug, Clone, Default)]
pub struct RecoverSet {
    set: BTreeSet<String>,
    changed: BTreeSet<String>,
}

impl PartialEq for RecoverSet {
    fn eq(&self, other: &Self) -> bool {
        self.set == other.set
    }
}

impl Eq for RecoverSet {}

impl RecoverSet {
    /// Whether `key` is waiting for recovery.
    pub fn contains(&self, key: &str) -> bool {
        self.set.contains(key)
    }

    /// Nothing waits for recovery.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// How many blob IDs wait for recovery.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// The waiting blob IDs, in key order.
    pub fn iter(&self) -> impl Iterator<Item = &String> {
        self.set.iter()
    }

    /// The waiting blob IDs, copied (to work on them without holding a lock).
    pub fn to_vec(&self) -> Vec<String> {
        self.set.iter().cloned().collect()
    }

    /// Adds `key`; `false` if it was already there.
    pub fn insert(&mut self, key: String) -> bool {
        if self.set.contains(&key) {
            return false;
        }
        self.changed.insert(key.clone());
        self.set.insert(key)
    }

    /// Removes `key`; `false` if it was not there.
    pub fn remove(&mut self, key: &str) -> bool {
        let removed = self.set.remove(key);
        if removed {
            self.changed.insert(key.to_owned());
        }
        removed
    }

    /// Keeps only the keys for which `keep` holds (a scan of the whole set; prefer
    /// [`RecoverSet::remove`]).
    pub fn retain(&mut self, mut keep: impl FnMut(&String) -> bool) {
        let changed = &mut self.changed;
        self.set.retain(|key| {
            let kept = keep(key);
            if !kept {
                changed.insert(key.clone());
            }
            kept
        });
    }
}

/// The scalar part of [`EventState`]: everything but the per-blob entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Head {
    /// The cursor of the last applied transaction (0: none).
    pub cursor: u64,
    /// Transactions applied.
    pub transactions_applied: u64,
    /// Events applied.
    pub events_applied: u64,
    /// The latest epoch seen in an event.
    pub epoch: u32,
    /// The epoch whose change started and for which `epoch_sync_done` is not reported yet.
    pub sync_pending_epoch: Option<u32>,
}

/// The current value of one blob ID's entries: its info (`None`: no info) and whether it waits
/// for recovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The blob ID (base64url).
    pub key: String,
    /// Its info, if any.
    pub info: Option<BlobInfo>,
    /// Whether it is in [`EventState::to_recover`].
    pub to_recover: bool,
}

/// What changed since the last [`EventState::take_changes`]: the head and the current value of
/// every blob ID whose entries changed. Applying it to the state it was taken after yields the
/// state it was taken from; applying it twice changes nothing more (entries are values, not
/// deltas).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// The head after the changes.
    pub head: Head,
    /// The changed blob IDs' entries, in key order.
    pub entries: Vec<Entry>,
}

/// Everything derived from the stream, with the cursor it reflects.
#[derive(Debug, Clone, Default)]
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
    pub blobs: BlobMap,
    /// Blob IDs certified since the node last finished recovery for them.
    pub to_recover: RecoverSet,
    /// The epoch whose change started and for which this node has not reported
    /// `epoch_sync_done` yet.
    pub sync_pending_epoch: Option<u32>,
    /// The head as of the last [`EventState::take_changes`] (or load).
    taken_head: Head,
}

/// States are equal when their contents are: what changed since the last persist is not
/// compared.
impl PartialEq for EventState {
    fn eq(&self, other: &Self) -> bool {
        self.head() == other.head()
            && self.blobs == other.blobs
            && self.to_recover == other.to_recover
    }
}

impl Eq for EventState {}

/// An object id as the map key: lowercase hex of its 32 bytes.
pub fn object_key(object_id: &[u8; 32]) -> String {
    hex::encode(object_id)
}

impl EventState {
    /// The info of `blob_id`, if any.
    pub fn blob(&self, blob_id: &BlobId) -> Option<&BlobInfo> {
        self.blobs.get(&blob_id.to_string())
    }

    /// The scalar part of the state.
    pub fn head(&self) -> Head {
        Head {
            cursor: self.cursor,
            transactions_applied: self.transactions_applied,
            events_applied: self.events_applied,
            epoch: self.epoch,
            sync_pending_epoch: self.sync_pending_epoch,
        }
    }

    fn set_head(&mut self, head: Head) {
        self.cursor = head.cursor;
        self.transactions_applied = head.transactions_applied;
        self.events_applied = head.events_applied;
        self.epoch = head.epoch;
        self.sync_pending_epoch = head.sync_pending_epoch;
    }

    /// Whether anything changed since the last [`EventState::take_changes`].
    pub fn has_changes(&self) -> bool {
        !self.blobs.changed.is_empty()
            || !self.to_recover.changed.is_empty()
            || self.head() != self.taken_head
    }

    /// The changes since the last call (the head and the current entries of every changed blob
    /// ID), forgetting them: cost proportional to what changed.
    pub fn take_changes(&mut self) -> Changes {
        let mut keys = std::mem::take(&mut self.blobs.changed);
        keys.append(&mut std::mem::take(&mut self.to_recover.changed));
        let entries = keys
            .into_iter()
            .map(|key| Entry {
                info: self.blobs.map.get(&key).cloned(),
                to_recover: self.to_recover.set.contains(&key),
                key,
            })
            .collect();
        self.taken_head = self.head();
        Changes {
            head: self.taken_head,
            entries,
        }
    }

    /// Applies persisted changes (replay); they are not recorded as new changes.
    pub fn apply_changes(&mut self, changes: Changes) {
        self.set_head(changes.head);
        self.taken_head = changes.head;
        for entry in changes.entries {
            self.blobs.changed.remove(&entry.key);
            self.to_recover.changed.remove(&entry.key);
            if entry.to_recover {
                self.to_recover.set.insert(entry.key.clone());
            } else {
                self.to_recover.set.remove(&entry.key);
            }
            match entry.info {
                Some(info) => {
                    self.blobs.map.insert(entry.key, info);
                }
                None => {
                    self.blobs.map.remove(&entry.key);
                }
            }
        }
    }

    /// Every blob ID's entries, in key order (what a snapshot holds): `(key, info, to_recover)`.
    pub fn entries(&self) -> impl Iterator<Item = (&String, Option<&BlobInfo>, bool)> {
        let with_info = self
            .blobs
            .map
            .iter()
            .map(|(key, info)| (key, Some(info), self.to_recover.set.contains(key)));
        let without_info = self
            .to_recover
            .set
            .iter()
            .filter(|key| !self.blobs.map.contains_key(*key))
            .map(|key| (key, None, true));
        with_info.chain(without_info)
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
                let info = self.blobs.entry_or_default(e.blob_id.to_string());
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
                let info = self.blobs.entry_or_default(key.clone());
                let object = info
                    .objects
                    .get_or_insert_with(object_key(&e.object_id.0), || ObjectInfo {
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
                self.to_recover.insert(key);
            }
            ContractEvent::BlobDeleted(e) => {
                self.epoch = self.epoch.max(e.epoch);
                if let Some(info) = self.blobs.get_mut(&e.blob_id.to_string()) {
                    info.objects.remove(&object_key(&e.object_id.0));
                }
            }
            ContractEvent::InvalidBlobId(e) => {
                self.epoch = self.epoch.max(e.epoch);
                let info = self.blobs.entry_or_default(e.blob_id.to_string());
                info.invalid.get_or_insert(id);
            }
            ContractEvent::EpochChangeStart(e) => {
                self.epoch = self.epoch.max(e.epoch);
                // Shards may have moved: every certified blob is checked for slivers missing on
                // the shards owned in the new epoch; then the node reports sync done.
                for (key, info) in self.blobs.map.iter() {
                    if info.is_certified(e.epoch) && !self.to_recover.contains(key) {
                        self.to_recover.insert(key.clone());
                    }
                }
                self.sync_pending_epoch = Some(e.epoch);
            }
            ContractEvent::EpochChangeDone(e) => self.epoch = self.epoch.max(e.epoch),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(end_epoch: u32) -> ObjectInfo {
        ObjectInfo {
            blob_id: BlobId([7; 32]),
            deletable: false,
            end_epoch,
            certified_epoch: None,
            event: EventId {
                tx_digest: "digest".into(),
                event_seq: 0,
            },
        }
    }

    /// The vector map behaves as the `BTreeMap` it replaced: sorted ids, one object per id,
    /// the replaced or removed object returned, and the same serialized form.
    #[test]
    fn object_map_behaves_as_a_sorted_map() {
        let mut map = ObjectMap::default();
        let mut reference = BTreeMap::new();
        for (id, epoch) in [("0xc", 1), ("0xa", 2), ("0xb", 3), ("0xa", 4)] {
            assert_eq!(
                map.insert(id.into(), object(epoch)),
                reference.insert(id.to_string(), object(epoch))
            );
        }
        assert_eq!(map.len(), 3);
        let ids: Vec<&String> = map.iter().map(|(id, _)| id).collect();
        assert_eq!(ids, reference.keys().collect::<Vec<_>>());
        assert_eq!(map.get("0xa").map(|o| o.end_epoch), Some(4));
        assert_eq!(
            serde_json::to_string(&map).unwrap(),
            serde_json::to_string(&reference).unwrap()
        );
        let back: ObjectMap = serde_json::from_str(&serde_json::to_string(&map).unwrap()).unwrap();
        assert_eq!(back, map);

        map.get_or_insert_with("0xb".into(), || object(9)).end_epoch += 10;
        assert_eq!(map.get("0xb").map(|o| o.end_epoch), Some(13));
        map.get_or_insert_with("0x0".into(), || object(9));
        assert_eq!(map.iter().next().map(|(id, _)| id.as_str()), Some("0x0"));

        assert_eq!(map.remove("0xc").map(|o| o.end_epoch), Some(1));
        assert_eq!(map.remove("0xc"), None);
        assert_eq!(map.len(), 3);

        let collected: ObjectMap = [("0xb", 1), ("0xa", 2), ("0xb", 3)]
            .into_iter()
            .map(|(id, epoch)| (id.to_string(), object(epoch)))
            .collect();
        let pairs: Vec<(String, u32)> = collected
            .into_iter()
            .map(|(id, o)| (id, o.end_epoch))
            .collect();
        assert_eq!(pairs, [("0xa".to_string(), 2), ("0xb".to_string(), 3)]);
    }
}
