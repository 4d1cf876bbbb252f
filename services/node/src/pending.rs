//! The bounded buffer for uploads that arrive before the blob's registration is seen
//! (`?pending=true`): verified metadata and slivers are held in memory, at most
//! [`Limits::pending_buffer_bytes`](crate::config::Limits) in total and for
//! [`Limits::pending_ttl_secs`](crate::config::Limits) each, and written to the store once the
//! registration arrives. Nothing buffered is acknowledged as stored, and nothing buffered is
//! signed for.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use walrus_core::{Axis, BlobId, ShardIndex};

/// One buffered value.
#[derive(Debug)]
struct Entry {
    bytes: Vec<u8>,
    since: Instant,
}

/// What a buffered value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PendingKey {
    /// BCS `BlobMetadataWithId`.
    Metadata,
    /// A BCS sliver of a shard.
    Sliver(u16, u8),
}

impl PendingKey {
    /// The key of a sliver.
    pub fn sliver(shard: ShardIndex, axis: Axis) -> Self {
        Self::Sliver(shard.get(), u8::from(axis == Axis::Secondary))
    }
}

/// The buffer.
#[derive(Debug, Default)]
pub struct PendingBuffer {
    entries: BTreeMap<(BlobId, PendingKey), Entry>,
    bytes: usize,
}

/// The buffer is full.
#[derive(Debug, thiserror::Error)]
#[error("the pending-upload buffer is full ({used} of {limit} bytes)")]
pub struct BufferFull {
    /// Bytes buffered.
    pub used: usize,
    /// The limit.
    pub limit: usize,
}

impl PendingBuffer {
    /// Drops entries older than `ttl`.
    pub fn expire(&mut self, ttl: Duration) {
        let now = Instant::now();
        let bytes = &mut self.bytes;
        self.entries.retain(|_, e| {
            let keep = now.duration_since(e.since) < ttl;
            if !keep {
                *bytes -= e.bytes.len();
            }
            keep
        });
    }

    /// Buffers a value; `false` if it was already buffered.
    pub fn insert(
        &mut self,
        blob_id: BlobId,
        key: PendingKey,
        bytes: Vec<u8>,
        limit: usize,
    ) -> Result<bool, BufferFull> {
        if self.entries.contains_key(&(blob_id, key)) {
            return Ok(false);
        }
        if self.bytes + bytes.len() > limit {
            return Err(BufferFull {
                used: self.bytes,
                limit,
            });
        }
        self.bytes += bytes.len();
        self.entries.insert(
            (blob_id, key),
            Entry {
                bytes,
                since: Instant::now(),
            },
        );
        Ok(true)
    }

    /// A buffered value.
    pub fn get(&self, blob_id: &BlobId, key: PendingKey) -> Option<&[u8]> {
        self.entries
            .get(&(*blob_id, key))
            .map(|e| e.bytes.as_slice())
    }

    /// The blob IDs with buffered values.
    pub fn blob_ids(&self) -> Vec<BlobId> {
        let mut ids: Vec<BlobId> = self.entries.keys().map(|(id, _)| *id).collect();
        ids.dedup();
        ids
    }

    /// Removes and returns everything buffered for `blob_id`.
    pub fn take(&mut self, blob_id: &BlobId) -> Vec<(PendingKey, Vec<u8>)> {
        let keys: Vec<_> = self
            .entries
            .range((*blob_id, PendingKey::Metadata)..)
            .take_while(|((id, _), _)| id == blob_id)
            .map(|(k, _)| *k)
            .collect();
        keys.into_iter()
            .filter_map(|k| {
                self.entries.remove(&k).map(|e| {
                    self.bytes -= e.bytes.len();
                    (k.1, e.bytes)
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bounded_and_taken_per_blob() {
        let mut buffer = PendingBuffer::default();
        let a = BlobId([1; 32]);
        let b = BlobId([2; 32]);
        assert!(
            buffer
                .insert(a, PendingKey::Metadata, vec![0; 10], 25)
                .unwrap()
        );
        assert!(
            !buffer
                .insert(a, PendingKey::Metadata, vec![0; 10], 25)
                .unwrap()
        );
        let key = PendingKey::sliver(ShardIndex(3), Axis::Secondary);
        assert!(buffer.insert(b, key, vec![0; 10], 25).unwrap());
        assert!(buffer.insert(a, key, vec![0; 10], 25).is_err());
        assert_eq!(buffer.blob_ids(), vec![a, b]);
        assert_eq!(buffer.take(&a).len(), 1);
        assert_eq!(buffer.get(&b, key).map(<[u8]>::len), Some(10));
        buffer.expire(Duration::ZERO);
        assert!(buffer.blob_ids().is_empty());
        assert!(buffer.insert(a, key, vec![0; 25], 25).unwrap());
    }
}
