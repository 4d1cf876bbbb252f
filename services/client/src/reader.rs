//! [`BlobReader`]: an opened blob (its metadata fetched and verified against the blob ID), read
//! whole, as a byte range, or as a stream.
//!
//! A blob is laid out row by row in its message matrix, and row `i` is primary sliver `i`, so a
//! byte range is a run of consecutive primary *source* slivers: a range read fetches only those
//! (each from the shard that holds it, each verified against the metadata) and copies the bytes
//! out, without decoding. A stream does the same one sliver after another, a few ahead, so the
//! first bytes go out after one sliver and memory holds only the slivers in flight. When a
//! needed sliver cannot be fetched or does not verify, the read falls back to fetching enough
//! slivers of any shards and decoding the whole blob (once per reader), as the reference's
//! byte-range client recovers missing slivers.
//!
//! What is checked: every sliver used is verified against the blob's metadata, itself verified
//! against the blob ID, so a range holds exactly the bytes the writer encoded there. Reads of
//! the whole blob add the consistency check ([`ConsistencyCheck`]); the reference's range reads
//! skip it too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, FuturesUnordered, Stream};
use futures_util::{StreamExt as _, TryStreamExt as _};
use tokio::sync::{OnceCell, Semaphore};
use walrus_chain::walrus::chain::CommitteeView;
use walrus_core::{
    BlobId, ConsistencyCheck, EncodingAxis, EncodingConfig, Primary, Secondary, ShardIndex,
    SliverData, SliverIndex, VerifiedBlobMetadataWithId,
};

use crate::client::{ClientError, Progress, WalrusClient, shuffle, summarize};

/// How many times one needed sliver is asked for before the read falls back to decoding.
const SLIVER_ATTEMPTS: usize = 2;

/// Slivers fetched ahead of the one being sent, in a stream.
const STREAM_PREFETCH: usize = 4;

/// What a reader has fetched so far (for tests, benchmarks and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadStats {
    /// Slivers fetched and verified.
    pub slivers: usize,
    /// Their bytes.
    pub sliver_bytes: u64,
    /// Whether a read had to decode the whole blob.
    pub decoded_whole: bool,
}

#[derive(Debug, Default)]
struct Counters {
    slivers: AtomicUsize,
    sliver_bytes: AtomicU64,
    decoded_whole: AtomicBool,
}

/// An opened blob; cheap to clone (clones share the fetched state).
#[derive(Debug, Clone)]
pub struct BlobReader {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: WalrusClient,
    committee: CommitteeView,
    config: EncodingConfig,
    metadata: Arc<VerifiedBlobMetadataWithId>,
    /// The whole blob, once a fallback decoded it (with the default consistency check).
    whole: OnceCell<Bytes>,
    counters: Counters,
}

impl WalrusClient {
    /// Opens blob `blob_id`: the current committee and the blob's metadata, verified against
    /// the blob ID. Fails with [`ClientError::BlobNotFound`] when the nodes do not know it, and
    /// [`ClientError::Blocked`] (before asking anyone) when the blocklist names it.
    pub async fn open(&self, blob_id: &BlobId) -> Result<BlobReader, ClientError> {
        self.check_not_blocked(blob_id)?;
        let (committee, config) = self.committee().await?;
        self.progress.report(Progress::FetchingMetadata);
        let metadata = self.verified_metadata(&committee, &config, blob_id).await?;
        Ok(BlobReader {
            inner: Arc::new(Inner {
                client: self.clone(),
                committee,
                config,
                metadata: Arc::new(metadata),
                whole: OnceCell::new(),
                counters: Counters::default(),
            }),
        })
    }
}

impl BlobReader {
    /// The blob ID.
    pub fn blob_id(&self) -> &BlobId {
        self.inner.metadata.blob_id()
    }

    /// The blob's length in bytes.
    pub fn size(&self) -> u64 {
        self.inner.metadata.metadata().unencoded_length()
    }

    /// What the reader fetched so far.
    pub fn stats(&self) -> ReadStats {
        let c = &self.inner.counters;
        ReadStats {
            slivers: c.slivers.load(Ordering::Relaxed),
            sliver_bytes: c.sliver_bytes.load(Ordering::Relaxed),
            decoded_whole: c.decoded_whole.load(Ordering::Relaxed),
        }
    }

    /// Fails with [`ClientError::TooLarge`] when the blob is larger than `max` bytes or than
    /// the encoding allows.
    pub fn check_size(&self, max: u64) -> Result<(), ClientError> {
        let max = self.inner.config.max_blob_size().min(max);
        if self.size() > max {
            return Err(ClientError::TooLarge {
                size: self.size(),
                max,
            });
        }
        Ok(())
    }

    /// The whole blob: verified primary slivers from enough shards (secondary ones if the
    /// primary are not enough), decoded and checked.
    pub async fn read_all(&self, check: ConsistencyCheck) -> Result<Bytes, ClientError> {
        if check != ConsistencyCheck::Strict
            && let Some(whole) = self.inner.whole.get()
        {
            return Ok(whole.clone());
        }
        self.decode_whole(check).await
    }

    /// Bytes `start .. start + length`, from only the primary slivers that hold them.
    pub async fn read_range(&self, start: u64, length: u64) -> Result<Bytes, ClientError> {
        let span = self.span(start, length)?;
        if let Some(whole) = self.inner.whole.get() {
            return Ok(slice(whole, start, length));
        }
        let window = self.inner.client.limits.node_concurrency.max(1);
        let end = start + length;
        let mut out = BytesMut::with_capacity(usize::try_from(length).unwrap_or(0));
        let mut rows = stream::iter(span.indices())
            .map(|index| self.row_part(index, start, end))
            .buffered(window);
        while let Some(part) = rows.try_next().await? {
            out.extend_from_slice(&part);
        }
        Ok(out.freeze())
    }

    /// Bytes `start .. start + length` as a stream of parts, one primary sliver's worth at a
    /// time in order, a few slivers fetched ahead.
    pub fn stream(
        &self,
        start: u64,
        length: u64,
    ) -> Result<impl Stream<Item = Result<Bytes, ClientError>> + Send + 'static, ClientError> {
        let span = self.span(start, length)?;
        let reader = self.clone();
        let end = start + length;
        Ok(stream::iter(span.indices())
            .map(move |index| {
                let reader = reader.clone();
                async move { reader.row_part(index, start, end).await }
            })
            .buffered(STREAM_PREFETCH))
    }

    fn span(&self, start: u64, length: u64) -> Result<walrus_core::SliverSpan, ClientError> {
        self.inner
            .config
            .primary_slivers_for_range(self.size(), start, length)
            .ok_or_else(|| {
                ClientError::InvalidRange(format!(
                    "bytes {start}..{} are not within the blob's {} bytes (or select nothing)",
                    start.saturating_add(length),
                    self.size()
                ))
            })
    }

    /// The part of `start..end` that primary sliver `index` (row `index`) holds.
    async fn row_part(&self, index: u16, start: u64, end: u64) -> Result<Bytes, ClientError> {
        let row = self
            .inner
            .config
            .sliver_size::<Primary>(self.size())
            .map_err(|e| {
                ClientError::Internal(format!("verified metadata of a blob too large: {e}"))
            })?;
        let row_start = u64::from(index) * row;
        let from = start.max(row_start);
        let to = end.min(row_start + row);
        let fetched = self.source_sliver(index).await.and_then(|sliver| {
            let data = sliver.into_data();
            if data.len() as u64 == row {
                Ok(data)
            } else {
                Err(format!(
                    "sliver {index} has {} bytes, not {row}",
                    data.len()
                ))
            }
        });
        match fetched {
            Ok(data) => Ok(data.slice(to_usize(from - row_start)..to_usize(to - row_start))),
            Err(reason) => {
                tracing::warn!(
                    blob_id = %self.blob_id(),
                    sliver = index,
                    %reason,
                    "a needed primary sliver is unavailable; decoding the whole blob"
                );
                let whole = self.whole_default().await?;
                Ok(slice(&whole, from, to - from))
            }
        }
    }

    /// Primary source sliver `index`, from the shard that holds it, verified; a few attempts.
    async fn source_sliver(&self, index: u16) -> Result<SliverData<Primary>, String> {
        let inner = &self.inner;
        let pair = inner
            .config
            .pair_for_sliver_index::<Primary>(SliverIndex(index))
            .map_err(|e| e.to_string())?;
        let shard = inner
            .config
            .shard_for_pair(pair, self.blob_id())
            .map_err(|e| e.to_string())?;
        let member = inner
            .committee
            .members
            .iter()
            .position(|m| m.shards.contains(&shard.get()))
            .ok_or_else(|| format!("no committee member holds shard {}", shard.get()))?;
        let mut last = String::new();
        for _ in 0..SLIVER_ATTEMPTS {
            match self.fetch_verified::<Primary>(member, shard).await {
                Ok(sliver) => return Ok(sliver),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The sliver of axis `A` that `shard` (on committee member `member`) holds, checked to be
    /// the right one and verified against the metadata.
    async fn fetch_verified<A: EncodingAxis>(
        &self,
        member: usize,
        shard: ShardIndex,
    ) -> Result<SliverData<A>, String>
    where
        SliverData<A>: walrus_core::Bcs,
    {
        let inner = &self.inner;
        let blob_id = *self.blob_id();
        let config = inner.config;
        let shard = shard.get();
        let pair = config
            .pair_for_shard(ShardIndex(shard), &blob_id)
            .map_err(|e| e.to_string())?;
        let sliver: SliverData<A> = inner
            .client
            .node(&inner.committee.members[member])
            .sliver::<A>(&blob_id, pair)
            .await
            .map_err(|e| format!("shard {shard}: {e}"))?;
        let expected = config
            .sliver_index_for_pair::<A>(pair)
            .map_err(|e| e.to_string())?;
        if sliver.index() != expected {
            return Err(format!(
                "shard {shard}: sent sliver {} instead of {}",
                sliver.index().get(),
                expected.get()
            ));
        }
        let metadata = inner.metadata.clone();
        let sliver = tokio::task::spawn_blocking(move || {
            sliver
                .verify(&config, &metadata)
                .map(|()| sliver)
                .map_err(|e| format!("shard {shard}: {e}"))
        })
        .await
        .map_err(|e| e.to_string())??;
        inner.counters.slivers.fetch_add(1, Ordering::Relaxed);
        inner
            .counters
            .sliver_bytes
            .fetch_add(sliver.data().len() as u64, Ordering::Relaxed);
        Ok(sliver)
    }

    /// The whole blob with the default check, decoded at most once per reader.
    async fn whole_default(&self) -> Result<Bytes, ClientError> {
        self.inner
            .whole
            .get_or_try_init(|| self.decode_whole(ConsistencyCheck::Default))
            .await
            .cloned()
    }

    async fn decode_whole(&self, check: ConsistencyCheck) -> Result<Bytes, ClientError> {
        self.inner
            .counters
            .decoded_whole
            .store(true, Ordering::Relaxed);
        match self.read_axis::<Primary>(check).await {
            Ok(bytes) => Ok(bytes),
            Err(primary_error) => {
                tracing::warn!(blob_id = %self.blob_id(), error = %primary_error, "primary slivers failed; trying secondary");
                self.read_axis::<Secondary>(check)
                    .await
                    .map_err(|secondary_error| match secondary_error {
                        ClientError::NotEnoughNodes(s) => ClientError::NotEnoughNodes(format!(
                            "{primary_error}; and with secondary slivers: {s}"
                        )),
                        other => other,
                    })
            }
        }
    }

    /// Fetches slivers of axis `A`, verifying each, until enough distinct ones decode the blob.
    async fn read_axis<A: EncodingAxis>(
        &self,
        check: ConsistencyCheck,
    ) -> Result<Bytes, ClientError>
    where
        SliverData<A>: walrus_core::Bcs,
    {
        let inner = &self.inner;
        let blob_id = *self.blob_id();
        let config = inner.config;
        let needed = config.n_slivers_for_reconstruction::<A>();
        let mut shards: Vec<(u16, usize)> = inner
            .committee
            .members
            .iter()
            .enumerate()
            .flat_map(|(i, m)| m.shards.iter().map(move |&s| (s, i)))
            .collect();
        shuffle(&mut shards);
        // Per-node request limits; a little more than needed in flight to hide slow nodes.
        let limits: Vec<Semaphore> = (0..inner.committee.members.len())
            .map(|_| Semaphore::new(inner.client.limits.node_concurrency.max(1)))
            .collect();
        let window = needed + needed / 10 + 2;
        let mut queue = shards.into_iter();
        let mut pending = FuturesUnordered::new();
        let fetch = |shard: u16, member: usize| {
            let limit = &limits[member];
            async move {
                let _permit = limit.acquire().await;
                self.fetch_verified::<A>(member, ShardIndex(shard)).await
            }
        };
        for (shard, member) in queue.by_ref().take(window) {
            pending.push(fetch(shard, member));
        }
        let mut slivers: Vec<SliverData<A>> = Vec::with_capacity(needed);
        let mut failures = Vec::new();
        while let Some(result) = pending.next().await {
            match result {
                Ok(sliver) => {
                    slivers.push(sliver);
                    inner.client.progress.report(Progress::Fetching {
                        done: slivers.len(),
                        needed,
                    });
                }
                Err(e) => {
                    failures.push(e);
                    if let Some((shard, member)) = queue.next() {
                        pending.push(fetch(shard, member));
                    }
                }
            }
            if slivers.len() >= needed {
                break;
            }
        }
        drop(pending);
        if slivers.len() < needed {
            return Err(ClientError::NotEnoughNodes(format!(
                "{} of the {needed} {} slivers needed for {blob_id} could be fetched and \
                 verified; failures: {}",
                slivers.len(),
                A::AXIS,
                summarize(&failures)
            )));
        }
        inner.client.progress.report(Progress::Decoding);
        let metadata = inner.metadata.clone();
        let decoded = tokio::task::spawn_blocking(move || {
            config.decode_and_verify(&metadata, &slivers, check)
        })
        .await
        .map_err(|e| ClientError::Internal(format!("decoder task: {e}")))?
        .map_err(ClientError::from);
        inner.client.progress.report(Progress::Done);
        decoded
    }
}

/// `length` bytes of `bytes` from `start`; both within `bytes` (checked by the callers' span).
fn slice(bytes: &Bytes, start: u64, length: u64) -> Bytes {
    bytes.slice(to_usize(start)..to_usize(start + length))
}

/// Offsets within a blob held in memory fit in usize.
fn to_usize(value: u64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}
