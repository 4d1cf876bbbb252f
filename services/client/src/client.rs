//! [`WalrusClient`]: store and read blobs, and the blob, storage and staking operations around
//! them. The write and read flows follow the reference (WALRUS_REFERENCE §8):
//!
//! - store: encode → (unless forced) is it already certified for long enough? → reserve space and
//!   register (or reuse an owned registration or `Storage`) → metadata and slivers to every
//!   shard owner, concurrently, with bounded in-flight bytes → confirmations until a quorum of
//!   shards → aggregate → `certify_blob` → the rest of the uploads continue in the background
//!   until a deadline;
//! - read: metadata from the nodes, verified against the blob ID → primary slivers (each
//!   verified) from enough shards, falling back to other shards and to secondary slivers →
//!   decode → consistency check.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use sui_crypto::ed25519::Ed25519PrivateKey;
use sui_sdk_types::Address;
use tokio::sync::Semaphore;
use walrus_chain::api::ChainError;
use walrus_chain::bls::{BlsPublicKey, BlsSignature};
use walrus_chain::devnet::client::DevnetClient;
use walrus_chain::types::ObjectId;
use walrus_chain::walrus::chain::{CommitteeView, WalrusChain, is_owned_by};
use walrus_chain::walrus::system::storage_units_from_size;
use walrus_chain::walrus::{BlobObject, Call, SystemCall, WalrusObject};
use walrus_core::messages::{BlobCertificationMessage, BlobPersistenceType};
use walrus_core::{
    Axis, BlobId, ConsistencyCheck, DecodeError, EncodeError, EncodedBlob, EncodingConfig,
    ShardIndex, SliverPairIndex, VerifiedBlobMetadataWithId,
};
use walrus_node_api::{BlobStatus, NodeApiError, NodeClient, SignedMessage};

use crate::blocklist::Blocklist;
use crate::config::{ClientConfig, ClientLimits};
use crate::types::{
    AlreadyCertified, BlobObjectView, BlobStoreResult, EventIdView, NewlyCreated, ResourceOperation,
};

/// What went wrong in a client operation.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No node knows the blob (or fewer than a third of the shards do).
    #[error("blob {0} was not found: it is not certified, has expired or was deleted")]
    BlobNotFound(BlobId),
    /// The operator's blocklist names the blob: it is neither served nor stored here.
    #[error("blob {0} is blocked by this service's blocklist")]
    Blocked(BlobId),
    /// The blob ID was marked invalid (inconsistently encoded).
    #[error("blob {0} is marked invalid (its encoding is inconsistent)")]
    BlobInvalid(BlobId),
    /// The blob is larger than the system can store.
    #[error("the blob is {size} bytes, more than the largest storable blob ({max} bytes)")]
    TooLarge {
        /// The size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// Not enough nodes answered correctly in time.
    #[error("{0}")]
    NotEnoughNodes(String),
    /// The request itself cannot be served (bad epochs, unsupported option, ...).
    #[error("{0}")]
    InvalidRequest(String),
    /// A byte range outside the blob, or empty.
    #[error("invalid byte range: {0}")]
    InvalidRange(String),
    /// The control plane refused or failed.
    #[error("control plane: {0}")]
    Chain(#[from] ChainError),
    /// Encoding failed.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// Decoding or the consistency check failed.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A background task failed.
    #[error("internal error: {0}")]
    Internal(String),
}

/// How long to store a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Epochs {
    /// This many epochs from the current one (the end epoch is `current + n`).
    Ahead(u32),
    /// As long as the system allows (`max_epochs_ahead`).
    Max,
    /// Until this end epoch (exclusive), which must be after the current one.
    EndEpoch(u32),
    /// At least until this time: the fewest epochs, counted from the start of the current epoch,
    /// that reach it (the reference's `--earliest-expiry-time`). It must be after the start of
    /// the current epoch and after now.
    EarliestExpiry(std::time::SystemTime),
}

/// Options of [`WalrusClient::store`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Storage duration.
    pub epochs: Epochs,
    /// Deletable (the default, as in Walrus since v1.33) or permanent.
    pub deletable: bool,
    /// Store even when the blob is already certified for long enough.
    pub force: bool,
    /// Transfer the new Blob object to this address afterwards.
    pub send_object_to: Option<Address>,
    /// Wrap the new Blob in a shared object (anyone can fund its extension).
    pub share: bool,
    /// Neither look at nor reuse the objects the wallet owns (registrations, `Storage`,
    /// certified Blobs): always buy new storage (the reference's `--ignore-resources`; faster
    /// for wallets with very many objects).
    pub ignore_resources: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            epochs: Epochs::Ahead(1),
            deletable: true,
            force: false,
            send_object_to: None,
            share: false,
            ignore_resources: false,
        }
    }
}

/// Blob data (MiB) that [`WalrusClient::store_many`] keeps in flight at once; a larger blob
/// runs alone.
pub const BATCH_UPLOAD_BUDGET_MIB: u32 = 256;

/// A store after its first half ([`WalrusClient::store`]).
enum Prepared {
    /// Nothing to upload: already certified for long enough.
    Done(BlobStoreResult),
    /// Paid and registered; the slivers are to be uploaded and the blob certified.
    Registered(Box<Registered>),
}

struct Registered {
    committee: CommitteeView,
    config: EncodingConfig,
    encoded: Arc<EncodedBlob>,
    object: ObjectId,
    operation: ResourceOperation,
    paid: u64,
}

/// What a store leaves running after it returns: uploads to the nodes that had not confirmed
/// when the certificate was complete.
#[derive(Debug, Default)]
pub struct BackgroundUploads {
    handle: Option<tokio::task::JoinHandle<usize>>,
}

impl BackgroundUploads {
    /// Waits for the remaining uploads (each bounded by the client's tail deadline); the number
    /// of nodes that ended up confirming after the certificate.
    pub async fn finish(self) -> usize {
        match self.handle {
            Some(handle) => handle.await.unwrap_or(0),
            None => 0,
        }
    }
}

/// The price and size arithmetic of one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreCost {
    /// Encoded size (what storage is reserved for).
    pub encoded_length: u64,
    /// Epochs ahead.
    pub epochs_ahead: u32,
    /// FROST for the storage.
    pub storage_cost: u64,
    /// FROST for the write.
    pub write_cost: u64,
}

/// A step of a store or read, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Encoding `bytes` bytes.
    Encoding {
        /// The blob size.
        bytes: u64,
    },
    /// Reserving storage and registering the blob.
    Registering,
    /// Slivers sent so far (both axes), of `total`.
    Uploading {
        /// Sent.
        done: usize,
        /// All slivers.
        total: usize,
    },
    /// Aggregating confirmations and certifying.
    Certifying,
    /// Fetching the blob's metadata.
    FetchingMetadata,
    /// Verified slivers fetched, of `needed`.
    Fetching {
        /// Fetched and verified.
        done: usize,
        /// Needed to decode.
        needed: usize,
    },
    /// Decoding.
    Decoding,
    /// The store or read is complete.
    Done,
}

/// A progress callback.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

#[derive(Clone, Default)]
pub(crate) struct ProgressSink(Option<ProgressFn>);

impl ProgressSink {
    pub(crate) fn report(&self, step: Progress) {
        if let Some(f) = &self.0 {
            f(step);
        }
    }
}

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Some(..)" } else { "None" })
    }
}

/// The client.
#[derive(Debug, Clone)]
pub struct WalrusClient {
    chain: WalrusChain<DevnetClient>,
    http: reqwest::Client,
    pub(crate) limits: ClientLimits,
    pub(crate) progress: ProgressSink,
    blocklist: Option<Blocklist>,
}

/// A node answer or failure, labelled.
type NodeResult<T> = Result<T, NodeApiError>;

impl WalrusClient {
    /// A client of the network in `config`, acting with `key` (reads need no key).
    pub fn new(config: &ClientConfig, key: Option<Ed25519PrivateKey>) -> Self {
        let backend = DevnetClient::new(&config.chain_url);
        let chain = match key {
            Some(key) => WalrusChain::with_key(backend, key),
            None => WalrusChain::reader(backend),
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(config.limits.request_timeout_secs))
            .pool_max_idle_per_host(config.limits.node_concurrency)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            chain,
            http,
            limits: config.limits.clone(),
            progress: ProgressSink::default(),
            blocklist: None,
        }
    }

    /// Refuses to read or store the blobs `blocklist` names ([`ClientError::Blocked`]).
    pub fn with_blocklist(mut self, blocklist: Blocklist) -> Self {
        self.blocklist = Some(blocklist);
        self
    }

    /// [`ClientError::Blocked`] when the blocklist names `blob_id`.
    pub(crate) fn check_not_blocked(&self, blob_id: &BlobId) -> Result<(), ClientError> {
        match &self.blocklist {
            Some(list) if list.is_blocked(blob_id) => Err(ClientError::Blocked(*blob_id)),
            _ => Ok(()),
        }
    }

    /// Reports the steps of stores and reads to `progress`.
    pub fn with_progress(mut self, progress: ProgressFn) -> Self {
        self.progress = ProgressSink(Some(progress));
        self
    }

    /// The typed control-plane handle.
    pub fn chain(&self) -> &WalrusChain<DevnetClient> {
        &self.chain
    }

    /// The account address, when the client has a key.
    pub fn address(&self) -> Option<Address> {
        self.chain.address()
    }

    /// The current committee and its encoding configuration.
    pub async fn committee(&self) -> Result<(CommitteeView, EncodingConfig), ClientError> {
        let committee = self.chain.committee().await?;
        if committee.members.is_empty() {
            return Err(ClientError::NotEnoughNodes(format!(
                "epoch {} has no committee yet (the first epoch change has not happened)",
                committee.epoch
            )));
        }
        let config = EncodingConfig::new(committee.n_shards)
            .map_err(|e| ClientError::Internal(format!("committee shard count: {e}")))?;
        Ok((committee, config))
    }

    pub(crate) fn node(&self, member: &walrus_chain::walrus::chain::CommitteeNode) -> NodeClient {
        NodeClient::with_http(&member.network_address, self.http.clone())
    }

    /// What storing `unencoded_length` bytes for `epochs` costs now.
    pub async fn cost(
        &self,
        unencoded_length: u64,
        epochs: Epochs,
    ) -> Result<StoreCost, ClientError> {
        let (_, config) = self.committee().await?;
        self.cost_with(&config, unencoded_length, epochs).await
    }

    /// [`WalrusClient::cost`] for an encoding configuration the caller already has.
    async fn cost_with(
        &self,
        config: &EncodingConfig,
        unencoded_length: u64,
        epochs: Epochs,
    ) -> Result<StoreCost, ClientError> {
        let system = self.chain.system().await?;
        let epochs_ahead = self.epochs_ahead(&system, epochs).await?;
        let encoded_length =
            config
                .encoded_blob_length(unencoded_length)
                .map_err(|_| ClientError::TooLarge {
                    size: unencoded_length,
                    max: config.max_blob_size(),
                })?;
        let units = storage_units_from_size(encoded_length);
        Ok(StoreCost {
            encoded_length,
            epochs_ahead,
            storage_cost: units
                .saturating_mul(system.storage_price_per_unit_size)
                .saturating_mul(u64::from(epochs_ahead)),
            write_cost: units.saturating_mul(system.write_price_per_unit_size),
        })
    }

    /// How many epochs ahead `epochs` asks for, checked against the system's
    /// `max_epochs_ahead`.
    async fn epochs_ahead(
        &self,
        system: &walrus_core::contracts::SystemStateInnerV1,
        epochs: Epochs,
    ) -> Result<u32, ClientError> {
        let max = system.future_accounting.length;
        let current = system.committee.epoch;
        let invalid = |m: String| Err(ClientError::InvalidRequest(m));
        let n = match epochs {
            Epochs::Max => return Ok(max),
            Epochs::Ahead(n) => n,
            Epochs::EndEpoch(end) if end <= current => {
                return invalid(format!(
                    "the end epoch {end} must be after the current epoch {current}"
                ));
            }
            Epochs::EndEpoch(end) => end - current,
            Epochs::EarliestExpiry(time) => {
                use walrus_chain::walrus::staking::inner::EpochState;
                let unix_ms = |t: std::time::SystemTime| {
                    t.duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                };
                let staking = self.chain.staking().await?;
                let now = unix_ms(std::time::SystemTime::now());
                let start = match staking.inner.epoch_state {
                    EpochState::EpochChangeDone(t) | EpochState::NextParamsSelected(t) => t,
                    EpochState::EpochChangeSync(_) => now,
                };
                let expiry = unix_ms(time);
                if expiry <= start || expiry <= now {
                    return invalid(
                        "the earliest expiry time must be after the start of the current epoch \
                         and after now"
                            .to_owned(),
                    );
                }
                let duration = staking.inner.epoch_duration.max(1);
                u32::try_from((expiry - start) / duration + 1).unwrap_or(u32::MAX)
            }
        };
        if n == 0 || n > max {
            return invalid(format!(
                "epochs must be between 1 and {max} (the system's max_epochs_ahead), not {n}"
            ));
        }
        Ok(n)
    }

    /// Stores `data`. Returns the reference's result (`newlyCreated` or `alreadyCertified`) and
    /// the uploads still running to nodes that had not confirmed yet.
    pub async fn store(
        &self,
        data: Vec<u8>,
        options: &StoreOptions,
    ) -> Result<(BlobStoreResult, BackgroundUploads), ClientError> {
        match self.prepare_store(data, options).await? {
            Prepared::Done(result) => Ok((result, BackgroundUploads::default())),
            Prepared::Registered(registered) => self.complete_store(*registered, options).await,
        }
    }

    /// Stores several blobs as a pipeline: each is encoded and registered in turn (so every
    /// registration sees the coins and storage the previous one left), while the uploads,
    /// certificates and certifications of the blobs before it run concurrently, with at most
    /// [`BATCH_UPLOAD_BUDGET_MIB`] of blob data (and so about five times that of encoded
    /// slivers) in flight. One result per blob, in order; a failure of one blob does not stop
    /// the others.
    pub async fn store_many(
        &self,
        blobs: Vec<Vec<u8>>,
        options: &StoreOptions,
    ) -> Vec<Result<(BlobStoreResult, BackgroundUploads), ClientError>> {
        let budget = Arc::new(Semaphore::new(BATCH_UPLOAD_BUDGET_MIB as usize));
        let mut running = Vec::with_capacity(blobs.len());
        for data in blobs {
            let mib = u32::try_from(data.len().div_ceil(1 << 20))
                .unwrap_or(u32::MAX)
                .clamp(1, BATCH_UPLOAD_BUDGET_MIB);
            // Wait for room before encoding, so encoded blobs never pile up.
            let Ok(permit) = budget.clone().acquire_many_owned(mib).await else {
                running.push(tokio::spawn(async {
                    Err(ClientError::Internal("batch budget closed".into()))
                }));
                continue;
            };
            let prepared = self.prepare_store(data, options).await;
            let client = self.clone();
            let options = options.clone();
            running.push(tokio::spawn(async move {
                let _permit = permit;
                match prepared? {
                    Prepared::Done(result) => Ok((result, BackgroundUploads::default())),
                    Prepared::Registered(registered) => {
                        client.complete_store(*registered, &options).await
                    }
                }
            }));
        }
        let mut results = Vec::with_capacity(running.len());
        for task in running {
            results.push(
                task.await
                    .unwrap_or_else(|e| Err(ClientError::Internal(format!("store task: {e}")))),
            );
        }
        results
    }

    /// The first half of a store: encode, check whether it is needed, pay and register.
    async fn prepare_store(
        &self,
        data: Vec<u8>,
        options: &StoreOptions,
    ) -> Result<Prepared, ClientError> {
        if options.share && options.send_object_to.is_some() {
            return Err(ClientError::InvalidRequest(
                "a blob is either shared or sent to an address, not both".into(),
            ));
        }
        let (committee, config) = self.committee().await?;
        let size = data.len() as u64;
        let cost = self.cost_with(&config, size, options.epochs).await?;
        self.progress.report(Progress::Encoding { bytes: size });
        let encoded = {
            tokio::task::spawn_blocking(move || config.encode_owned(data))
                .await
                .map_err(|e| ClientError::Internal(format!("encoder task: {e}")))??
        };
        let blob_id = *encoded.blob_id();
        self.check_not_blocked(&blob_id)?;
        let end_epoch = committee.epoch + cost.epochs_ahead;
        let owner = self
            .address()
            .ok_or_else(|| ClientError::InvalidRequest("storing needs a wallet key".into()))?;

        if !options.force
            && let Some(done) = self
                .already_certified(&committee, &blob_id, end_epoch, owner, options)
                .await?
        {
            self.progress.report(Progress::Done);
            return Ok(Prepared::Done(BlobStoreResult::AlreadyCertified(done)));
        }

        self.progress.report(Progress::Registering);
        let (object, operation, paid) = self
            .obtain_registration(&encoded, size, options, &cost, end_epoch, owner)
            .await?;
        Ok(Prepared::Registered(Box::new(Registered {
            committee,
            config,
            encoded: Arc::new(encoded),
            object,
            operation,
            paid,
        })))
    }

    /// The second half of a store: upload, certify, then share or send the Blob object.
    async fn complete_store(
        &self,
        registered: Registered,
        options: &StoreOptions,
    ) -> Result<(BlobStoreResult, BackgroundUploads), ClientError> {
        let Registered {
            committee,
            config,
            encoded,
            object,
            operation,
            paid,
        } = registered;
        let background = self
            .upload_and_certify(&committee, &config, encoded, object, options.deletable)
            .await?;

        let mut shared = None;
        if options.share {
            shared = Some(self.share(object).await?);
        } else if let Some(recipient) = options.send_object_to {
            self.chain.transfer(object, recipient).await?;
        }
        let blob = match shared {
            Some(id) => match self.chain.object(id).await? {
                Some(stored) => match stored.value {
                    WalrusObject::SharedBlob(s) => s.blob,
                    _ => return Err(ClientError::Internal("shared blob has another type".into())),
                },
                None => return Err(ClientError::Internal("shared blob vanished".into())),
            },
            None => self.chain.blob(object).await?.ok_or_else(|| {
                ClientError::Internal(format!("blob object {object} vanished after certification"))
            })?,
        };
        self.progress.report(Progress::Done);
        Ok((
            BlobStoreResult::NewlyCreated(NewlyCreated {
                blob_object: BlobObjectView::from(&blob.blob),
                resource_operation: operation,
                cost: paid,
                shared_blob_object: shared.map(|id| id.to_string()),
            }),
            background,
        ))
    }

    /// `Some` when the blob needs no new store: an owned certified Blob with the same ID that
    /// lives long enough (and matches the deletable flag, or is permanent), or a permanent
    /// certification reported by shards that include at least one correct node.
    async fn already_certified(
        &self,
        committee: &CommitteeView,
        blob_id: &BlobId,
        end_epoch: u32,
        owner: Address,
        options: &StoreOptions,
    ) -> Result<Option<AlreadyCertified>, ClientError> {
        let deletable = options.deletable;
        let owned = if options.ignore_resources {
            Vec::new()
        } else {
            self.chain.owned_objects(owner).await?
        };
        for (id, stored) in owned {
            if let WalrusObject::Blob(b) = &stored.value
                && b.blob.blob_id == *blob_id
                && b.blob.certified_epoch.is_some()
                && b.blob.end_epoch() >= end_epoch
                && (!b.blob.deletable || deletable)
            {
                return Ok(Some(AlreadyCertified {
                    blob_id: blob_id.to_string(),
                    end_epoch: b.blob.end_epoch(),
                    event: None,
                    object: Some(id.to_string()),
                }));
            }
        }
        let statuses = self.statuses(committee, blob_id).await;
        let mut weight = 0usize;
        let mut best: Option<(u32, EventIdView)> = None;
        for (shards, status) in &statuses {
            if let Ok(BlobStatus::Permanent {
                end_epoch: e,
                is_certified: true,
                status_event,
                ..
            }) = status
                && *e >= end_epoch
            {
                weight += shards;
                if best.as_ref().is_none_or(|(b, _)| e < b) {
                    best = Some((*e, EventIdView::from(status_event)));
                }
            }
        }
        if includes_one_correct_node(committee.n_shards, weight)
            && let Some((end, event)) = best
        {
            return Ok(Some(AlreadyCertified {
                blob_id: blob_id.to_string(),
                end_epoch: end,
                event: Some(event),
                object: None,
            }));
        }
        Ok(None)
    }

    /// Every member's answer to `GET /status`, with its shard count.
    async fn statuses(
        &self,
        committee: &CommitteeView,
        blob_id: &BlobId,
    ) -> Vec<(usize, NodeResult<BlobStatus>)> {
        let requests = committee.members.iter().map(|m| {
            let node = self.node(m);
            let shards = m.shards.len();
            async move { (shards, node.blob_status(blob_id).await) }
        });
        futures_util::future::join_all(requests).await
    }

    /// The Blob object to certify: an owned, uncertified registration of this blob that lives
    /// long enough; else a new registration on an owned `Storage` that fits; else new storage
    /// and a new registration (always, with `ignore_resources`). Returns the object, the operation and the FROST paid.
    async fn obtain_registration(
        &self,
        encoded: &EncodedBlob,
        size: u64,
        options: &StoreOptions,
        cost: &StoreCost,
        end_epoch: u32,
        owner: Address,
    ) -> Result<(ObjectId, ResourceOperation, u64), ClientError> {
        let blob_id = *encoded.blob_id();
        let deletable = options.deletable;
        let owned = if options.ignore_resources {
            Vec::new()
        } else {
            self.chain.owned_objects(owner).await?
        };
        let current = end_epoch - cost.epochs_ahead;
        for (id, stored) in &owned {
            if let WalrusObject::Blob(b) = &stored.value
                && b.blob.blob_id == blob_id
                && b.blob.certified_epoch.is_none()
                && b.blob.deletable == deletable
                && b.blob.end_epoch() >= end_epoch
            {
                return Ok((
                    *id,
                    ResourceOperation::ReuseRegistration {
                        encoded_length: cost.encoded_length,
                    },
                    0,
                ));
            }
        }
        let root_hash = encoded.metadata.metadata().compute_root_hash().bytes();
        let storage = owned
            .iter()
            .filter_map(|(id, stored)| match &stored.value {
                WalrusObject::Storage(s)
                    if s.storage_size >= cost.encoded_length
                        && s.start_epoch <= current
                        && s.end_epoch >= end_epoch =>
                {
                    Some((*id, s.storage_size))
                }
                _ => None,
            })
            .min_by_key(|(_, size)| *size);
        let (storage, operation, paid) = match storage {
            Some((id, storage_size)) => {
                if storage_size > cost.encoded_length {
                    // Keep exactly what the blob needs; the rest stays a separate Storage.
                    self.chain
                        .execute(Call::System(SystemCall::SplitStorageBySize {
                            storage: id,
                            split_size: cost.encoded_length,
                        }))
                        .await?;
                }
                (
                    id,
                    ResourceOperation::ReuseStorage {
                        encoded_length: cost.encoded_length,
                    },
                    cost.write_cost,
                )
            }
            None => {
                let storage = self
                    .chain
                    .reserve_space(cost.encoded_length, cost.epochs_ahead, cost.storage_cost)
                    .await?;
                (
                    storage,
                    ResourceOperation::RegisterFromScratch {
                        encoded_length: cost.encoded_length,
                        epochs_ahead: cost.epochs_ahead,
                    },
                    cost.storage_cost + cost.write_cost,
                )
            }
        };
        let object = self
            .chain
            .register_blob(
                storage,
                blob_id,
                root_hash,
                size,
                deletable,
                cost.write_cost,
            )
            .await?;
        Ok((object, operation, paid))
    }

    /// Sends metadata and slivers to every shard owner, gathers confirmations until a quorum of
    /// shards, aggregates them and certifies `object`.
    async fn upload_and_certify(
        &self,
        committee: &CommitteeView,
        config: &EncodingConfig,
        encoded: Arc<EncodedBlob>,
        object: ObjectId,
        deletable: bool,
    ) -> Result<BackgroundUploads, ClientError> {
        let blob_id = *encoded.blob_id();
        let persistence = if deletable {
            BlobPersistenceType::Deletable {
                object_id: walrus_core::contracts::ObjectId(object.into_inner()),
            }
        } else {
            BlobPersistenceType::Permanent
        };
        let expected = BlobCertificationMessage {
            epoch: committee.epoch,
            blob_id: blob_id.0,
            persistence,
        }
        .to_bytes();
        let kib_total = u32::try_from((self.limits.max_in_flight_bytes >> 10).max(1))
            .unwrap_or(u32::MAX >> 4)
            .min(Semaphore::MAX_PERMITS as u32);
        let shared = Arc::new(UploadContext {
            encoded,
            config: *config,
            budget: Semaphore::new(kib_total as usize),
            budget_kib: kib_total,
            node_concurrency: self.limits.node_concurrency,
            deadline: Instant::now() + Duration::from_secs(self.limits.store_deadline_secs),
            persistence,
            uploaded: std::sync::atomic::AtomicUsize::new(0),
            total: 2 * usize::from(committee.n_shards),
            progress: self.progress.clone(),
        });
        let mut uploads = UploadTasks(FuturesUnordered::new());
        for (index, member) in committee.members.iter().enumerate() {
            if member.shards.is_empty() {
                continue;
            }
            let context = shared.clone();
            let node = self.node(member).with_pending_uploads(true);
            let shards = member.shards.clone();
            uploads.0.push(tokio::spawn(async move {
                (index, context.upload_to(&node, &shards).await)
            }));
        }

        let started = Instant::now();
        let mut weight = 0usize;
        let mut signatures = Vec::new();
        let mut bitmap = vec![0u8; committee.members.len().div_ceil(8)];
        let mut failures = Vec::new();
        while let Some(joined) = uploads.0.next().await {
            let (index, result) =
                joined.map_err(|e| ClientError::Internal(format!("upload task: {e}")))?;
            let member = &committee.members[index];
            match result.and_then(|signed| check_confirmation(member, &signed, &expected)) {
                Ok(signature) => {
                    signatures.push(signature);
                    bitmap[index / 8] |= 1 << (index % 8);
                    weight += member.shards.len();
                }
                Err(e) => {
                    tracing::warn!(node = %member.name, error = %e, "node did not confirm");
                    failures.push(format!("{}: {e}", member.name));
                }
            }
            if is_quorum(committee.n_shards, weight) {
                break;
            }
        }
        // The reference's tail rule: the nodes that have not confirmed get half the time the
        // quorum took, plus half a second, to finish (at most `tail_upload_secs`); then their
        // uploads are cancelled and they recover their slivers themselves.
        let tail_end = Instant::now()
            + tail_after_quorum(
                started.elapsed(),
                Duration::from_secs(self.limits.tail_upload_secs),
            );
        if !is_quorum(committee.n_shards, weight) {
            return Err(ClientError::NotEnoughNodes(format!(
                "only {weight} of {} shards confirmed blob {blob_id} (a quorum needs more than \
                 two thirds); failures: {}",
                committee.n_shards,
                failures.join("; ")
            )));
        }
        self.progress.report(Progress::Certifying);
        let aggregate = BlsSignature::aggregate(signatures.iter())
            .map_err(|e| ClientError::Internal(format!("aggregating signatures: {e}")))?;
        self.chain
            .certify_blob(object, aggregate.as_bytes().to_vec(), bitmap, expected)
            .await?;

        // The rest keep uploading until the tail ends (counted from the quorum, so the
        // certification's own time is part of it), then are cancelled: nothing keeps the
        // encoded blob alive for nodes that will not answer.
        let handle = tokio::spawn(async move {
            let mut confirmed = 0;
            let _ = tokio::time::timeout_at(tail_end.into(), async {
                while let Some(joined) = uploads.0.next().await {
                    if matches!(joined, Ok((_, Ok(_)))) {
                        confirmed += 1;
                    }
                }
            })
            .await;
            drop(uploads);
            confirmed
        });
        Ok(BackgroundUploads {
            handle: Some(handle),
        })
    }

    /// Reads blob `blob_id`: verified metadata, then verified primary slivers (secondary ones
    /// if the primary are not enough), decoded and checked.
    pub async fn read(
        &self,
        blob_id: &BlobId,
        check: ConsistencyCheck,
    ) -> Result<Bytes, ClientError> {
        self.read_limited(blob_id, check, u64::MAX).await
    }

    /// [`WalrusClient::read`], refusing (before fetching any sliver) a blob larger than
    /// `max_size` bytes.
    pub async fn read_limited(
        &self,
        blob_id: &BlobId,
        check: ConsistencyCheck,
        max_size: u64,
    ) -> Result<Bytes, ClientError> {
        let reader = self.open(blob_id).await?;
        reader.check_size(max_size)?;
        reader.read_all(check).await
    }

    /// Metadata from the first node whose answer verifies against `blob_id`.
    pub(crate) async fn verified_metadata(
        &self,
        committee: &CommitteeView,
        config: &EncodingConfig,
        blob_id: &BlobId,
    ) -> Result<VerifiedBlobMetadataWithId, ClientError> {
        let mut order: Vec<usize> = (0..committee.members.len()).collect();
        shuffle(&mut order);
        let mut not_found_shards = 0usize;
        let mut invalid_shards = 0usize;
        let mut failures = Vec::new();
        // A few nodes at a time: the first good answer wins.
        let mut pending = FuturesUnordered::new();
        let mut next = order.into_iter();
        let window = 3;
        for index in next.by_ref().take(window) {
            pending.push(self.fetch_metadata(committee, index, blob_id));
        }
        while let Some((index, result)) = pending.next().await {
            let member = &committee.members[index];
            match result.map(|m| m.verify(config)) {
                Ok(Ok(verified)) => return Ok(verified),
                Ok(Err(e)) => {
                    failures.push(format!("{}: metadata do not verify: {e}", member.name))
                }
                Err(e) if e.status() == Some(404) => {
                    not_found_shards += member.shards.len();
                    failures.push(format!("{}: not found", member.name));
                }
                Err(e) if e.status() == Some(451) => {
                    invalid_shards += member.shards.len();
                }
                Err(e) => failures.push(format!("{}: {e}", member.name)),
            }
            if includes_one_correct_node(committee.n_shards, invalid_shards) {
                return Err(ClientError::BlobInvalid(*blob_id));
            }
            if includes_one_correct_node(committee.n_shards, not_found_shards) {
                return Err(ClientError::BlobNotFound(*blob_id));
            }
            if let Some(index) = next.next() {
                pending.push(self.fetch_metadata(committee, index, blob_id));
            }
        }
        Err(ClientError::NotEnoughNodes(format!(
            "no node returned verifiable metadata for {blob_id}: {}",
            failures.join("; ")
        )))
    }

    async fn fetch_metadata(
        &self,
        committee: &CommitteeView,
        index: usize,
        blob_id: &BlobId,
    ) -> (usize, NodeResult<walrus_core::UnverifiedBlobMetadataWithId>) {
        (
            index,
            self.node(&committee.members[index]).metadata(blob_id).await,
        )
    }

    /// The blob's status as reported by shards that include at least one correct node: the
    /// status with the most shard weight among the answers.
    pub async fn blob_status(&self, blob_id: &BlobId) -> Result<BlobStatus, ClientError> {
        let (committee, _) = self.committee().await?;
        let statuses = self.statuses(&committee, blob_id).await;
        let mut tally: Vec<(BlobStatus, usize)> = Vec::new();
        let mut failures = Vec::new();
        for (shards, status) in statuses {
            match status {
                Ok(status) => match tally.iter_mut().find(|(s, _)| *s == status) {
                    Some((_, w)) => *w += shards,
                    None => tally.push((status, shards)),
                },
                Err(e) => failures.push(e.to_string()),
            }
        }
        tally.sort_by_key(|(_, w)| std::cmp::Reverse(*w));
        match tally.into_iter().next() {
            Some((status, weight)) if includes_one_correct_node(committee.n_shards, weight) => {
                Ok(status)
            }
            _ => Err(ClientError::NotEnoughNodes(format!(
                "the nodes gave no status for {blob_id} backed by more than a third of the \
                 shards; failures: {}",
                summarize(&failures)
            ))),
        }
    }

    /// The Blob objects the account owns.
    pub async fn list_blobs(&self) -> Result<Vec<(ObjectId, BlobObject)>, ClientError> {
        let owner = self
            .address()
            .ok_or_else(|| ClientError::InvalidRequest("listing blobs needs a wallet".into()))?;
        let mut blobs: Vec<_> = self
            .chain
            .owned_objects(owner)
            .await?
            .into_iter()
            .filter(|(_, o)| is_owned_by(o, owner))
            .filter_map(|(id, o)| match o.value {
                WalrusObject::Blob(b) => Some((id, b)),
                _ => None,
            })
            .collect();
        blobs.sort_by_key(|(_, b)| (b.blob.registered_epoch, b.blob.blob_id.0));
        Ok(blobs)
    }

    /// A Blob object (owned or wrapped in a SharedBlob) by its object id.
    pub async fn blob_object(&self, id: ObjectId) -> Result<BlobObject, ClientError> {
        match self.chain.object(id).await? {
            Some(stored) => match stored.value {
                WalrusObject::Blob(b) => Ok(b),
                WalrusObject::SharedBlob(s) => Ok(s.blob),
                _ => Err(ClientError::InvalidRequest(format!(
                    "object {id} is not a Blob or SharedBlob"
                ))),
            },
            None => Err(ClientError::InvalidRequest(format!(
                "object {id} does not exist"
            ))),
        }
    }

    /// Extends an owned blob by `epochs`, paying the current storage price.
    pub async fn extend(&self, object: ObjectId, epochs: u32) -> Result<u64, ClientError> {
        let blob = self.blob_object(object).await?;
        let system = self.chain.system().await?;
        let cost = storage_units_from_size(blob.blob.storage.storage_size)
            .saturating_mul(system.storage_price_per_unit_size)
            .saturating_mul(u64::from(epochs));
        self.chain.extend_blob(object, epochs, cost).await?;
        Ok(cost)
    }

    /// Wraps an owned blob in a SharedBlob; its id.
    pub async fn share(&self, object: ObjectId) -> Result<ObjectId, ClientError> {
        self.share_funded(object, None).await
    }

    /// Wraps an owned blob in a SharedBlob funded with `amount` FROST of this account's WAL
    /// (`shared_blob::new_funded`; none: `shared_blob::new`); its id.
    pub async fn share_funded(
        &self,
        object: ObjectId,
        amount: Option<u64>,
    ) -> Result<ObjectId, ClientError> {
        let call = match amount {
            None | Some(0) => SystemCall::SharedBlobNew { blob: object },
            Some(amount) => SystemCall::SharedBlobNewFunded {
                blob: object,
                funds: self.chain.split_wal(amount).await?,
            },
        };
        let record = self.chain.execute(Call::System(call)).await?;
        walrus_chain::walrus::chain::created(&record, "::shared_blob::SharedBlob")
            .ok_or_else(|| ClientError::Internal("no SharedBlob was created".into()))
    }

    /// The funds (FROST) of a SharedBlob.
    pub async fn shared_blob_funds(&self, shared: ObjectId) -> Result<u64, ClientError> {
        match self.chain.object(shared).await?.map(|o| o.value) {
            Some(WalrusObject::SharedBlob(s)) => Ok(s.funds),
            _ => Err(ClientError::InvalidRequest(format!(
                "object {shared} is not a SharedBlob"
            ))),
        }
    }

    /// Adds `amount` FROST of this account's WAL to a SharedBlob's funds (`shared_blob::fund`);
    /// anyone may fund any shared blob.
    pub async fn fund_shared(&self, shared: ObjectId, amount: u64) -> Result<(), ClientError> {
        if amount == 0 {
            return Err(ClientError::InvalidRequest(
                "the amount must be at least 1 FROST".into(),
            ));
        }
        self.shared_blob_funds(shared).await?;
        let coin = self.chain.split_wal(amount).await?;
        self.chain
            .execute(Call::System(SystemCall::SharedBlobFund {
                shared_blob: shared,
                added_funds: coin,
            }))
            .await?;
        Ok(())
    }

    /// Extends a SharedBlob by `epochs`, paid from its funds (`shared_blob::extend`); the cost.
    pub async fn extend_shared(&self, shared: ObjectId, epochs: u32) -> Result<u64, ClientError> {
        let funds = self.shared_blob_funds(shared).await?;
        let blob = self.blob_object(shared).await?;
        let system = self.chain.system().await?;
        let cost = storage_units_from_size(blob.blob.storage.storage_size)
            .saturating_mul(system.storage_price_per_unit_size)
            .saturating_mul(u64::from(epochs));
        if cost > funds {
            return Err(ClientError::InvalidRequest(format!(
                "extending {shared} by {epochs} epoch(s) costs {cost} FROST but it holds only \
                 {funds}; add funds with fund-shared-blob"
            )));
        }
        self.chain
            .execute(Call::System(SystemCall::SharedBlobExtend {
                shared_blob: shared,
                extended_epochs: epochs,
            }))
            .await?;
        Ok(cost)
    }
}

/// Shared state of one store's uploads.
struct UploadContext {
    encoded: Arc<EncodedBlob>,
    config: EncodingConfig,
    /// In-flight sliver bytes over all nodes, in KiB permits.
    budget: Semaphore,
    budget_kib: u32,
    node_concurrency: usize,
    deadline: Instant,
    persistence: BlobPersistenceType,
    uploaded: std::sync::atomic::AtomicUsize,
    total: usize,
    progress: ProgressSink,
}

impl UploadContext {
    /// Metadata, then every sliver of `shards`, then the node's confirmation.
    async fn upload_to(&self, node: &NodeClient, shards: &[u16]) -> Result<SignedMessage, String> {
        let blob_id = *self.encoded.blob_id();
        let metadata = self.encoded.metadata.metadata();
        self.retry("metadata", || node.store_metadata(&blob_id, metadata))
            .await?;
        let mut work = Vec::new();
        for &shard in shards {
            let pair = self
                .config
                .pair_for_shard(ShardIndex(shard), &blob_id)
                .map_err(|e| e.to_string())?;
            work.push((pair, Axis::Primary));
            work.push((pair, Axis::Secondary));
        }
        let results: Vec<Result<(), String>> = futures_util::stream::iter(work)
            .map(|(pair, axis)| self.upload_sliver(node, pair, axis))
            .buffer_unordered(self.node_concurrency)
            .collect()
            .await;
        if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
            return Err(e);
        }
        self.retry("confirmation", || async {
            match self.persistence {
                BlobPersistenceType::Permanent => node.confirmation_permanent(&blob_id).await,
                BlobPersistenceType::Deletable { object_id } => {
                    node.confirmation_deletable(&blob_id, object_id.as_bytes())
                        .await
                }
            }
        })
        .await
    }

    async fn upload_sliver(
        &self,
        node: &NodeClient,
        pair: SliverPairIndex,
        axis: Axis,
    ) -> Result<(), String> {
        let slivers = &self.encoded.sliver_pairs[pair.as_usize()];
        let data_len = match axis {
            Axis::Primary => slivers.primary.data().len(),
            Axis::Secondary => slivers.secondary.data().len(),
        };
        // Take the budget before building the body, so at most the budget's worth of bodies
        // exists at any time (the BCS framing adds a few bytes to the data).
        let kib = u32::try_from((data_len + 64).div_ceil(1024))
            .unwrap_or(u32::MAX)
            .clamp(1, self.budget_kib);
        let _permit = self
            .budget
            .acquire_many(kib)
            .await
            .map_err(|e| e.to_string())?;
        // One BCS copy per sliver in flight; retries share it (`Bytes` clones are references).
        let body = Bytes::from(
            match axis {
                Axis::Primary => walrus_core::Bcs::to_bcs(&slivers.primary),
                Axis::Secondary => walrus_core::Bcs::to_bcs(&slivers.secondary),
            }
            .map_err(|e| e.to_string())?,
        );
        let blob_id = *self.encoded.blob_id();
        self.retry(&format!("{axis} sliver {}", pair.0), || {
            node.store_sliver_bytes(&blob_id, pair, axis, body.clone())
        })
        .await?;
        let done = self
            .uploaded
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        self.progress.report(Progress::Uploading {
            done,
            total: self.total,
        });
        Ok(())
    }

    /// Retries transient failures (transport errors, 5xx, 429, the node not having seen the
    /// registration or the slivers yet) with backoff until the deadline.
    async fn retry<T, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T, String>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = NodeResult<T>>,
    {
        let mut delay = Duration::from_millis(50);
        loop {
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(e) => {
                    let transient = match &e {
                        NodeApiError::Transport { .. } => true,
                        NodeApiError::Api { status, .. } => {
                            *status >= 500
                                || *status == 429
                                || matches!(
                                    e.reason(),
                                    // The node has not seen the registration, the
                                    // metadata or every sliver yet, or its pending
                                    // buffer is full: all pass with time.
                                    Some(
                                        "NOT_REGISTERED"
                                            | "MISSING_SLIVERS"
                                            | "METADATA_NOT_FOUND"
                                            | "CACHE_SATURATED"
                                    )
                                )
                        }
                        _ => false,
                    };
                    if !transient || Instant::now() + delay > self.deadline {
                        return Err(format!("{what}: {e}"));
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
            }
        }
    }
}

/// Checks a confirmation: the exact expected message, signed by the member's key.
fn check_confirmation(
    member: &walrus_chain::walrus::chain::CommitteeNode,
    signed: &SignedMessage,
    expected: &[u8],
) -> Result<BlsSignature, String> {
    if signed.serialized_message != expected {
        let parsed = BlobCertificationMessage::from_bytes(&signed.serialized_message);
        return Err(format!(
            "confirmed another message than expected ({parsed:?}); is the node in another epoch?"
        ));
    }
    let key = BlsPublicKey::from_bytes(&member.public_key).map_err(|e| e.to_string())?;
    let signature = BlsSignature::from_bytes(&signed.signature).map_err(|e| e.to_string())?;
    key.verify(&signed.serialized_message, &signature)
        .map_err(|e| format!("bad confirmation signature: {e}"))?;
    Ok(signature)
}

/// Move's `bls_aggregate::is_quorum` for a count of shards.
fn is_quorum(n_shards: u16, weight: usize) -> bool {
    walrus_core::quorum::is_quorum(n_shards, weight as u64)
}

/// Move's `bls_aggregate::includes_one_correct_node` for a count of shards.
fn includes_one_correct_node(n_shards: u16, weight: usize) -> bool {
    walrus_core::quorum::includes_one_correct_node(n_shards, weight as u64)
}

/// How long the nodes that have not confirmed may go on after the quorum (the reference's
/// rule): half the time the quorum took plus half a second, at most `cap`.
fn tail_after_quorum(time_to_quorum: Duration, cap: Duration) -> Duration {
    (time_to_quorum / 2 + Duration::from_millis(500)).min(cap)
}

/// Upload tasks, cancelled when dropped: an upload never outlives the store that started it
/// (after an error, or once the tail is over).
struct UploadTasks<T>(FuturesUnordered<tokio::task::JoinHandle<T>>);

impl<T> Drop for UploadTasks<T> {
    fn drop(&mut self) {
        for task in self.0.iter() {
            task.abort();
        }
    }
}

/// Fisher–Yates with a seed from the OS, so reads spread over the nodes.
pub(crate) fn shuffle<T>(items: &mut [T]) {
    let mut seed = [0u8; 8];
    let _ = getrandom::fill(&mut seed);
    let mut state = u64::from_le_bytes(seed) | 1;
    for i in (1..items.len()).rev() {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        let j = (r % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// The first few failures and how many more there were.
pub(crate) fn summarize(failures: &[String]) -> String {
    const SHOWN: usize = 5;
    if failures.is_empty() {
        return "none".into();
    }
    let mut text = failures[..failures.len().min(SHOWN)].join("; ");
    if failures.len() > SHOWN {
        text.push_str(&format!("; and {} more", failures.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_after_the_quorum_is_the_references() {
        let cap = Duration::from_secs(30);
        assert_eq!(
            tail_after_quorum(Duration::from_millis(200), cap),
            Duration::from_millis(600)
        );
        assert_eq!(
            tail_after_quorum(Duration::ZERO, cap),
            Duration::from_millis(500)
        );
        assert_eq!(tail_after_quorum(Duration::from_secs(100), cap), cap);
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut v: Vec<u32> = (0..100).collect();
        shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    }
}
