//! [`WalrusChain`]: the typed control-plane handle that storage nodes, the client and tools use.
//!
//! It reads Walrus state (registry, system, staking, committee with node addresses, objects an
//! address owns) and, when given an account key, signs and submits calls: it keeps the account's
//! nonce, picks and merges WAL coins for payments, and returns the ids of created objects. It is
//! generic over a [`LedgerBackend`]: the devnet ledger in process or over HTTP today.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sui_crypto::ed25519::Ed25519PrivateKey;
use sui_sdk_types::Address;
use tokio::sync::Mutex;
use walrus_core::contracts;

use super::staking::{NodeInfoOps, StakingCall, StakingObject};
use super::{Call, CoinCall, REGISTRY_ID, Registry, SystemCall, WalrusObject};
use crate::api::{ChainError, TransactionSource};
use crate::devnet::objects::StoredObject;
use crate::devnet::tx::{SignedTransaction, TransactionData, address_of};
use crate::types::{ChangeKind, Cursor, ExecutionStatus, ObjectId, Owner, TransactionRecord};

/// What a backend of the Walrus machine provides: the transaction stream, object reads, nonces
/// and submission of signed transactions.
pub trait LedgerBackend: TransactionSource + Clone + 'static {
    /// Submits a signed transaction; its record once durable (check `status`).
    fn submit(
        &self,
        tx: SignedTransaction,
    ) -> impl Future<Output = Result<TransactionRecord, ChainError>> + Send;
    /// One object.
    fn object(
        &self,
        id: ObjectId,
    ) -> impl Future<Output = Result<Option<StoredObject<WalrusObject>>, ChainError>> + Send;
    /// The objects an address owns.
    fn owned_objects(
        &self,
        owner: Address,
    ) -> impl Future<Output = Result<Vec<(ObjectId, StoredObject<WalrusObject>)>, ChainError>> + Send;
    /// The address's next nonce.
    fn next_nonce(&self, address: Address) -> impl Future<Output = Result<u64, ChainError>> + Send;
}

mod backends {
    //! [`LedgerBackend`] for the devnet ledger in process and over HTTP.
    use std::sync::Arc;

    use sui_sdk_types::Address;

    use super::LedgerBackend;
    use crate::api::ChainError;
    use crate::devnet::client::DevnetClient;
    use crate::devnet::ledger::{Ledger, SubmitError};
    use crate::devnet::objects::StoredObject;
    use crate::devnet::tx::SignedTransaction;
    use crate::types::{ObjectId, TransactionRecord};
    use crate::walrus::{WalrusMachine, WalrusObject};

    fn submit_error(e: SubmitError) -> ChainError {
        ChainError::Refused(e.to_string())
    }

    impl LedgerBackend for Arc<Ledger<WalrusMachine>> {
        async fn submit(&self, tx: SignedTransaction) -> Result<TransactionRecord, ChainError> {
            let ledger = self.clone();
            let receipt = tokio::task::spawn_blocking(move || Ledger::submit(&ledger, tx))
                .await
                .map_err(|e| ChainError::Unavailable(e.to_string()))?
                .map_err(submit_error)?;
            receipt
                .durable()
                .await
                .map_err(|e| ChainError::Unavailable(e.to_string()))
        }

        async fn object(
            &self,
            id: ObjectId,
        ) -> Result<Option<StoredObject<WalrusObject>>, ChainError> {
            Ok(Ledger::object(self, &id))
        }

        async fn owned_objects(
            &self,
            owner: Address,
        ) -> Result<Vec<(ObjectId, StoredObject<WalrusObject>)>, ChainError> {
            Ok(Ledger::owned_objects(self, owner))
        }

        async fn next_nonce(&self, address: Address) -> Result<u64, ChainError> {
            Ok(Ledger::next_nonce(self, address))
        }
    }

    impl LedgerBackend for DevnetClient {
        async fn submit(&self, tx: SignedTransaction) -> Result<TransactionRecord, ChainError> {
            Ok(DevnetClient::submit(self, &tx).await?)
        }

        async fn object(
            &self,
            id: ObjectId,
        ) -> Result<Option<StoredObject<WalrusObject>>, ChainError> {
            Ok(DevnetClient::object::<WalrusObject>(self, id)
                .await?
                .map(|v| StoredObject {
                    version: v.version,
                    owner: v.owner,
                    value: v.value,
                }))
        }

        async fn owned_objects(
            &self,
            owner: Address,
        ) -> Result<Vec<(ObjectId, StoredObject<WalrusObject>)>, ChainError> {
            Ok(DevnetClient::owned_objects::<WalrusObject>(self, owner)
                .await?
                .into_iter()
                .map(|v| {
                    (
                        v.object_id,
                        StoredObject {
                            version: v.version,
                            owner: v.owner,
                            value: v.value,
                        },
                    )
                })
                .collect())
        }

        async fn next_nonce(&self, address: Address) -> Result<u64, ChainError> {
            Ok(self.nonce(address).await?)
        }
    }
}

/// A member of the current (or next) committee with what a client needs to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitteeNode {
    /// Node id (= its staking pool's id).
    pub node_id: ObjectId,
    /// Name.
    pub name: String,
    /// `host:port` of its REST API.
    pub network_address: String,
    /// Compressed BLS protocol key (48 bytes).
    pub public_key: Vec<u8>,
    /// Network public key.
    pub network_public_key: Vec<u8>,
    /// The shards it holds.
    pub shards: Vec<u16>,
}

/// The committee of an epoch, members in node-id order (the certificate bitmap's order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitteeView {
    /// The epoch.
    pub epoch: u32,
    /// Total shards.
    pub n_shards: u16,
    /// Members in node-id order.
    pub members: Vec<CommitteeNode>,
}

impl CommitteeView {
    /// The member holding `shard`, with its index in the bitmap order.
    pub fn owner_of(&self, shard: u16) -> Option<(usize, &CommitteeNode)> {
        self.members
            .iter()
            .enumerate()
            .find(|(_, m)| m.shards.contains(&shard))
    }
}

/// The typed handle: reads always, writes when it has a key.
#[derive(Clone)]
pub struct WalrusChain<B: LedgerBackend> {
    backend: B,
    key: Option<Arc<Ed25519PrivateKey>>,
    /// Serializes this account's submissions so nonces go out in order.
    nonce: Arc<Mutex<Option<u64>>>,
}

impl<B: LedgerBackend> std::fmt::Debug for WalrusChain<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalrusChain")
            .field("address", &self.key.as_ref().map(|k| address_of(k)))
            .finish()
    }
}

fn object_error(what: impl std::fmt::Display) -> ChainError {
    ChainError::Object(what.to_string())
}

/// Type-name pattern of WAL coins (`0x2::coin::Coin<…::wal::WAL>`).
pub const COIN_TYPE: &str = "::coin::Coin<";

/// The first object created by `record` whose type ends with `pattern` (for example
/// `"::blob::Blob"`), or contains it when the pattern ends with `<` (generic types).
pub fn created(record: &TransactionRecord, pattern: &str) -> Option<ObjectId> {
    let matches = |t: &str| {
        if pattern.ends_with('<') {
            t.contains(pattern)
        } else {
            t.ends_with(pattern)
        }
    };
    record
        .object_changes
        .iter()
        .find(|c| c.kind == ChangeKind::Created && matches(&c.object_type))
        .map(|c| c.object_id)
}

impl<B: LedgerBackend> WalrusChain<B> {
    /// A read-only handle.
    pub fn reader(backend: B) -> Self {
        Self {
            backend,
            key: None,
            nonce: Arc::new(Mutex::new(None)),
        }
    }

    /// A handle that signs with `key`.
    pub fn with_key(backend: B, key: Ed25519PrivateKey) -> Self {
        Self {
            backend,
            key: Some(Arc::new(key)),
            nonce: Arc::new(Mutex::new(None)),
        }
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The signing account's address.
    pub fn address(&self) -> Option<Address> {
        self.key.as_ref().map(|k| address_of(k))
    }

    // === Reads ===

    /// The well-known object ids.
    pub async fn registry(&self) -> Result<Registry, ChainError> {
        match self.backend.object(REGISTRY_ID).await?.map(|o| o.value) {
            Some(WalrusObject::Registry(r)) => Ok(r),
            _ => Err(object_error(
                "no registry at 0x5: is this a Walrus devnet ledger?",
            )),
        }
    }

    /// The system state (epoch, committee keys and weights, prices, capacity, accounting).
    pub async fn system(&self) -> Result<contracts::SystemStateInnerV1, ChainError> {
        let registry = self.registry().await?;
        match self.backend.object(registry.system).await?.map(|o| o.value) {
            Some(WalrusObject::System(s)) => Ok(s.inner),
            _ => Err(object_error("the registry's system object is missing")),
        }
    }

    /// The staking state (epoch state and times, committees, shard assignment).
    pub async fn staking(&self) -> Result<super::staking::StakingState, ChainError> {
        let registry = self.registry().await?;
        match self
            .backend
            .object(registry.staking)
            .await?
            .map(|o| o.value)
        {
            Some(WalrusObject::Staking(StakingObject::Staking(s))) => Ok(*s),
            _ => Err(object_error("the registry's staking object is missing")),
        }
    }

    /// A staking pool (its id is the node id).
    pub async fn pool(
        &self,
        node_id: ObjectId,
    ) -> Result<super::staking::pool::StakingPool, ChainError> {
        match self.backend.object(node_id).await?.map(|o| o.value) {
            Some(WalrusObject::Staking(StakingObject::Pool(p))) => Ok(*p),
            _ => Err(object_error(format!("no staking pool {node_id}"))),
        }
    }

    /// The current committee with each member's address, keys and shards.
    pub async fn committee(&self) -> Result<CommitteeView, ChainError> {
        let staking = self.staking().await?;
        self.committee_view(
            staking.inner.epoch,
            &staking.inner.committee,
            staking.inner.n_shards,
        )
        .await
    }

    /// The committee of the previous epoch (empty members in epoch 0 and 1 of a fresh
    /// system): who held each shard before the last epoch change.
    pub async fn previous_committee(&self) -> Result<CommitteeView, ChainError> {
        let staking = self.staking().await?;
        self.committee_view(
            staking.inner.epoch.saturating_sub(1),
            &staking.inner.previous_committee,
            staking.inner.n_shards,
        )
        .await
    }

    /// The committee selected for the next epoch, once `voting_end` ran.
    pub async fn next_committee(&self) -> Result<Option<CommitteeView>, ChainError> {
        let staking = self.staking().await?;
        match &staking.inner.next_committee {
            Some(c) => Ok(Some(
                self.committee_view(staking.inner.epoch + 1, c, staking.inner.n_shards)
                    .await?,
            )),
            None => Ok(None),
        }
    }

    async fn committee_view(
        &self,
        epoch: u32,
        committee: &super::staking::committee::Committee,
        n_shards: u16,
    ) -> Result<CommitteeView, ChainError> {
        let mut members = Vec::new();
        for entry in &committee.0.contents {
            let (node_id, shards) = (super::to_object_id(entry.key), &entry.value);
            let pool = self.pool(node_id).await?;
            members.push(CommitteeNode {
                node_id,
                name: pool.node_info.name.clone(),
                network_address: pool.node_info.network_address.clone(),
                // Nodes and clients verify with the compressed key; the pool holds Move's
                // uncompressed `Element<UncompressedG1>`.
                public_key: pool
                    .node_info
                    .compressed_public_key()
                    .map_err(|e| object_error(format!("pool {node_id}: bad key: {e}")))?
                    .to_vec(),
                network_public_key: pool.node_info.network_public_key.clone(),
                shards: shards.clone(),
            });
        }
        members.sort_by_key(|m| m.node_id);
        Ok(CommitteeView {
            epoch,
            n_shards,
            members,
        })
    }

    /// One object.
    pub async fn object(
        &self,
        id: ObjectId,
    ) -> Result<Option<StoredObject<WalrusObject>>, ChainError> {
        self.backend.object(id).await
    }

    /// The objects `owner` owns.
    pub async fn owned_objects(
        &self,
        owner: Address,
    ) -> Result<Vec<(ObjectId, StoredObject<WalrusObject>)>, ChainError> {
        self.backend.owned_objects(owner).await
    }

    /// The WAL coins `owner` owns: (id, balance in FROST), largest first.
    pub async fn wal_coins(&self, owner: Address) -> Result<Vec<(ObjectId, u64)>, ChainError> {
        let mut coins: Vec<_> = self
            .owned_objects(owner)
            .await?
            .into_iter()
            .filter_map(|(id, o)| match o.value {
                WalrusObject::WalCoin(c) => Some((id, c.balance)),
                _ => None,
            })
            .collect();
        coins.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(coins)
    }

    /// Total WAL (FROST) `owner` holds in coins.
    pub async fn wal_balance(&self, owner: Address) -> Result<u64, ChainError> {
        Ok(self.wal_coins(owner).await?.iter().map(|(_, b)| b).sum())
    }

    /// A blob object and its attributes.
    pub async fn blob(&self, id: ObjectId) -> Result<Option<super::BlobObject>, ChainError> {
        Ok(match self.backend.object(id).await?.map(|o| o.value) {
            Some(WalrusObject::Blob(b)) => Some(b),
            _ => None,
        })
    }

    /// The transaction stream (see [`TransactionSource`]).
    pub async fn read_transactions(
        &self,
        after: Cursor,
        limit: usize,
        wait: Duration,
    ) -> Result<Vec<TransactionRecord>, ChainError> {
        self.backend.read_transactions(after, limit, wait).await
    }

    // === Writes ===

    fn key(&self) -> Result<&Ed25519PrivateKey, ChainError> {
        self.key
            .as_deref()
            .ok_or_else(|| ChainError::Refused("this handle has no account key".into()))
    }

    /// Signs and submits `call`; the record if it executed successfully, `Aborted` if it aborted.
    pub async fn execute(&self, call: Call) -> Result<TransactionRecord, ChainError> {
        let key = self.key()?;
        let sender = address_of(key);
        let mut next = self.nonce.lock().await;
        let nonce = match *next {
            Some(n) => n,
            None => self.backend.next_nonce(sender).await?,
        };
        let tx = SignedTransaction::sign(
            &TransactionData {
                sender,
                nonce,
                call,
            },
            key,
        );
        let result = self.backend.submit(tx).await;
        *next = match &result {
            Ok(_) => Some(nonce + 1),
            // Unknown outcome or a stale nonce: ask the ledger next time.
            Err(_) => None,
        };
        drop(next);
        let record = result?;
        match &record.status {
            ExecutionStatus::Success => Ok(record),
            ExecutionStatus::Failure(f) => Err(ChainError::Aborted(f.clone())),
        }
    }

    async fn execute_creating(
        &self,
        call: Call,
        suffix: &str,
    ) -> Result<(ObjectId, TransactionRecord), ChainError> {
        let record = self.execute(call).await?;
        let id = created(&record, suffix)
            .ok_or_else(|| object_error(format!("the transaction created no {suffix}")))?;
        Ok((id, record))
    }

    /// Devnet faucet: a new WAL coin of `amount` FROST for this account.
    pub async fn faucet(&self, amount: u64) -> Result<ObjectId, ChainError> {
        Ok(self
            .execute_creating(Call::Coin(CoinCall::Faucet { amount }), COIN_TYPE)
            .await?
            .0)
    }

    /// A WAL coin of this account holding at least `amount`, merging coins when no single one
    /// does. Fails when the account's total is too small.
    pub async fn coin_with_at_least(&self, amount: u64) -> Result<ObjectId, ChainError> {
        let owner = self
            .address()
            .ok_or_else(|| ChainError::Refused("no account key".into()))?;
        let coins = self.wal_coins(owner).await?;
        let total: u64 = coins.iter().map(|(_, b)| b).sum();
        let Some(&(largest, balance)) = coins.first() else {
            return Err(ChainError::Refused(format!("{owner} has no WAL")));
        };
        if balance >= amount {
            return Ok(largest);
        }
        if total < amount {
            return Err(ChainError::Refused(format!(
                "{owner} holds {total} FROST of WAL, {amount} needed"
            )));
        }
        let mut have = balance;
        for &(other, b) in &coins[1..] {
            self.execute(Call::Coin(CoinCall::Merge {
                coin: largest,
                other,
            }))
            .await?;
            have += b;
            if have >= amount {
                break;
            }
        }
        Ok(largest)
    }

    /// A new coin of exactly `amount`, split from this account's WAL.
    pub async fn split_wal(&self, amount: u64) -> Result<ObjectId, ChainError> {
        let coin = self.coin_with_at_least(amount).await?;
        Ok(self
            .execute_creating(Call::Coin(CoinCall::Split { coin, amount }), COIN_TYPE)
            .await?
            .0)
    }

    /// Transfers an owned object.
    pub async fn transfer(&self, object: ObjectId, recipient: Address) -> Result<(), ChainError> {
        self.execute(Call::Coin(CoinCall::Transfer { object, recipient }))
            .await
            .map(|_| ())
    }

    /// `system::reserve_space`: a `Storage` of `storage_amount` encoded bytes for `epochs_ahead`
    /// epochs from now, paid from this account's WAL (at most `max_payment` FROST are made
    /// available to the call; the rest of the coin stays).
    pub async fn reserve_space(
        &self,
        storage_amount: u64,
        epochs_ahead: u32,
        max_payment: u64,
    ) -> Result<ObjectId, ChainError> {
        let payment = self.coin_with_at_least(max_payment).await?;
        Ok(self
            .execute_creating(
                Call::System(SystemCall::ReserveSpace {
                    storage_amount,
                    epochs_ahead,
                    payment,
                }),
                "::storage_resource::Storage",
            )
            .await?
            .0)
    }

    /// `system::register_blob`; returns the `Blob`'s id.
    pub async fn register_blob(
        &self,
        storage: ObjectId,
        blob_id: contracts::BlobId,
        root_hash: [u8; 32],
        size: u64,
        deletable: bool,
        max_payment: u64,
    ) -> Result<ObjectId, ChainError> {
        let write_payment = self.coin_with_at_least(max_payment).await?;
        Ok(self
            .execute_creating(
                Call::System(SystemCall::RegisterBlob {
                    storage,
                    blob_id,
                    root_hash,
                    size,
                    encoding_type: 1,
                    deletable,
                    write_payment,
                }),
                "::blob::Blob",
            )
            .await?
            .0)
    }

    /// `system::certify_blob` with an aggregate certificate.
    pub async fn certify_blob(
        &self,
        blob: ObjectId,
        signature: Vec<u8>,
        signers_bitmap: Vec<u8>,
        message: Vec<u8>,
    ) -> Result<TransactionRecord, ChainError> {
        self.execute(Call::System(SystemCall::CertifyBlob {
            blob,
            signature,
            signers_bitmap,
            message,
        }))
        .await
    }

    /// `system::delete_blob`; returns the freed `Storage`.
    pub async fn delete_blob(&self, blob: ObjectId) -> Result<ObjectId, ChainError> {
        Ok(self
            .execute_creating(
                Call::System(SystemCall::DeleteBlob { blob }),
                "::storage_resource::Storage",
            )
            .await?
            .0)
    }

    /// `blob::burn`: destroys the Blob object and its storage (the data stays on the nodes until
    /// the end epoch; nothing is refunded).
    pub async fn burn_blob(&self, blob: ObjectId) -> Result<(), ChainError> {
        self.execute(Call::System(SystemCall::BurnBlob { blob }))
            .await
            .map(|_| ())
    }

    /// `system::extend_blob` by `extended_epochs`, paid from this account's WAL.
    pub async fn extend_blob(
        &self,
        blob: ObjectId,
        extended_epochs: u32,
        max_payment: u64,
    ) -> Result<(), ChainError> {
        let payment = self.coin_with_at_least(max_payment).await?;
        self.execute(Call::System(SystemCall::ExtendBlob {
            blob,
            extended_epochs,
            payment,
        }))
        .await
        .map(|_| ())
    }

    /// `system::invalidate_blob_id` with an f+1 certificate.
    pub async fn invalidate_blob_id(
        &self,
        signature: Vec<u8>,
        members_bitmap: Vec<u8>,
        message: Vec<u8>,
    ) -> Result<TransactionRecord, ChainError> {
        self.execute(Call::System(SystemCall::InvalidateBlobId {
            signature,
            members_bitmap,
            message,
        }))
        .await
    }

    /// `staking::stake_with_pool` of `amount` FROST with `node_id`; returns the `StakedWal`.
    pub async fn stake(&self, node_id: ObjectId, amount: u64) -> Result<ObjectId, ChainError> {
        let coin = self.split_wal(amount).await?;
        Ok(self
            .execute_creating(
                Call::Staking(StakingCall::StakeWithPool { coin, node_id }),
                "::staked_wal::StakedWal",
            )
            .await?
            .0)
    }

    /// `staking::request_withdraw_stake`.
    pub async fn request_withdraw_stake(&self, staked_wal: ObjectId) -> Result<(), ChainError> {
        self.execute(Call::Staking(StakingCall::RequestWithdrawStake {
            staked_wal,
        }))
        .await
        .map(|_| ())
    }

    /// `staking::withdraw_stake`; returns the coin paid out.
    pub async fn withdraw_stake(&self, staked_wal: ObjectId) -> Result<ObjectId, ChainError> {
        Ok(self
            .execute_creating(
                Call::Staking(StakingCall::WithdrawStake { staked_wal }),
                COIN_TYPE,
            )
            .await?
            .0)
    }

    /// `staking::voting_end` (permissionless, time-gated).
    pub async fn voting_end(&self) -> Result<TransactionRecord, ChainError> {
        self.execute(Call::Staking(StakingCall::VotingEnd)).await
    }

    /// `staking::initiate_epoch_change_v2` (permissionless, time-gated).
    pub async fn initiate_epoch_change(&self) -> Result<TransactionRecord, ChainError> {
        self.execute(Call::Staking(StakingCall::InitiateEpochChange))
            .await
    }

    /// `staking::epoch_sync_done` for the node whose cap is `cap`.
    pub async fn epoch_sync_done(
        &self,
        cap: ObjectId,
        epoch: u32,
    ) -> Result<TransactionRecord, ChainError> {
        self.execute(Call::Staking(StakingCall::EpochSyncDone { cap, epoch }))
            .await
    }

    /// The `StorageNodeCap`s this account owns: (cap id, node id).
    pub async fn node_caps(&self) -> Result<Vec<(ObjectId, ObjectId)>, ChainError> {
        let owner = self
            .address()
            .ok_or_else(|| ChainError::Refused("no account key".into()))?;
        Ok(self
            .owned_objects(owner)
            .await?
            .into_iter()
            .filter_map(|(id, o)| match o.value {
                WalrusObject::Staking(StakingObject::NodeCap(cap)) => {
                    Some((id, super::to_object_id(cap.node_id)))
                }
                _ => None,
            })
            .collect())
    }
}

/// Whether an object is owned by `owner`.
pub fn is_owned_by(o: &StoredObject<WalrusObject>, owner: Address) -> bool {
    o.owner == Owner::Address(owner)
}
