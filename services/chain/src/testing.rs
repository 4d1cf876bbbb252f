//! A Walrus devnet for tests and benchmarks of other crates (cargo feature `testing`).
//!
//! [`TestDevnet`] is the real [`WalrusMachine`] run by the real [`Ledger`] (signed transactions,
//! fsynced journal) in a temporary directory (or one you choose, to reuse a ledger between runs),
//! with a [`ManualClock`]. Genesis registers [`TestDevnetConfig::nodes`] storage nodes with real
//! BLS keys that the fixture keeps, stakes with each, and bootstraps epoch 1, so blobs can be
//! certified with real certificates. It also funds [`TestDevnetConfig::accounts`] accounts, each
//! with one large WAL coin from which every payment of the helpers is taken (Move's `&mut Coin`
//! payments keep the change).
//!
//! Everything goes through [`Ledger::submit`]; every helper returns the transaction record(s)
//! or the ids it created, and fails with [`FixtureError`] if a call aborts. The ledger is a
//! [`crate::api::TransactionSource`] (`Arc<Ledger<_>>`), so an indexer or a node under test can
//! read the stream of what the fixture did.
//!
//! ```no_run
//! # fn main() -> Result<(), walrus_chain::testing::FixtureError> {
//! use walrus_chain::testing::{TestDevnet, TestDevnetConfig};
//!
//! let devnet = TestDevnet::new(TestDevnetConfig::default())?;
//! let blob = devnet.store_blob(0, 1_000, 7, 3, true)?; // reserve + register + certify
//! devnet.extend_blob(0, blob.object_id, 2)?;
//! devnet.advance_epoch()?; // voting_end, initiate_epoch_change, every node's epoch_sync_done
//! devnet.delete_blob(0, blob.object_id)?;
//! # Ok(()) }
//! ```
//!
//! Enable it from another crate with
//! `walrus-chain = { workspace = true, features = ["testing"] }` under `[dev-dependencies]`.

use std::path::Path;
use std::sync::Arc;

use sui_crypto::ed25519::Ed25519PrivateKey;
use sui_sdk_types::Address;
use walrus_core::BlobId;
use walrus_core::contracts::{self, SystemStateInnerV1};

use crate::bls::{BlsPrivateKey, BlsSignature};
use crate::devnet::ledger::{Ledger, LedgerError, LedgerOptions, ManualClock, SubmitError};
use crate::devnet::tx::{SignedTransaction, TransactionData, address_of};
use crate::types::{ChangeKind, ExecutionFailure, ExecutionStatus, ObjectId, TransactionRecord};
use crate::walrus::staking::{
    self, CapOps, EpochState, GenesisNode, GenesisVotes, StakingCall, StakingInnerV1,
    StakingObject, StakingPool,
};
use crate::walrus::{
    Call, CoinCall, FROST_PER_WAL, GenesisConfig, SystemCall, WalrusMachine, WalrusObject,
    bls_aggregate, encoding,
};
use walrus_core::messages::{
    BlobCertificationMessage, BlobPersistenceType, DenyListBlobDeletedMessage,
    DenyListUpdateMessage, InvalidBlobIdMessage, ProtocolVersionMessage,
};

/// Why a fixture step failed.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// Opening the ledger failed.
    #[error("opening the ledger: {0}")]
    Open(#[from] LedgerError),
    /// The ledger refused the transaction.
    #[error("submitting: {0}")]
    Submit(#[from] SubmitError),
    /// The journal failed while waiting for durability.
    #[error("journal: {0}")]
    Journal(String),
    /// The call aborted.
    #[error("{call} aborted: {failure}")]
    Aborted {
        /// The call, for people.
        call: String,
        /// The abort.
        failure: ExecutionFailure,
    },
    /// The state is not what the fixture expected.
    #[error("{0}")]
    Unexpected(String),
    /// A temporary directory could not be created.
    #[error("temporary directory: {0}")]
    TempDir(#[from] std::io::Error),
}

type Result<T> = std::result::Result<T, FixtureError>;

/// The shape of a [`TestDevnet`]. Every field has a default.
#[derive(Debug, Clone)]
pub struct TestDevnetConfig {
    /// Storage nodes registered at genesis (default 4).
    pub nodes: usize,
    /// Shards (default 10).
    pub n_shards: u16,
    /// Epoch duration in ms (default 3_600_000).
    pub epoch_duration_ms: u64,
    /// FROST each node's operator stakes with it at genesis (default 100 WAL).
    pub node_stake: u64,
    /// Commission of every node, in basis points (default 1_000 = 10%).
    pub commission_rate: u16,
    /// Every node's storage price vote, FROST per MiB per epoch (default 1_000).
    pub storage_price: u64,
    /// Every node's write price vote, FROST per MiB (default 2_000).
    pub write_price: u64,
    /// Every node's capacity vote, encoded bytes (default 2^40).
    pub node_capacity: u64,
    /// Funded accounts (default 3).
    pub accounts: usize,
    /// FROST of each account's coin (default 1_000_000 WAL).
    pub account_funds: u64,
    /// Epochs storage can be bought ahead (default 53).
    pub max_epochs_ahead: u32,
    /// Ledger time at genesis, ms (default 1_700_000_000_000).
    pub genesis_time_ms: u64,
    /// Write a ledger snapshot every this many transactions (default 50_000).
    pub snapshot_every: u64,
}

impl Default for TestDevnetConfig {
    fn default() -> Self {
        Self {
            nodes: 4,
            n_shards: 10,
            epoch_duration_ms: 3_600_000,
            node_stake: 100 * FROST_PER_WAL,
            commission_rate: 1_000,
            storage_price: 1_000,
            write_price: 2_000,
            node_capacity: 1 << 40,
            accounts: 3,
            account_funds: 1_000_000 * FROST_PER_WAL,
            max_epochs_ahead: 53,
            genesis_time_ms: 1_700_000_000_000,
            snapshot_every: 50_000,
        }
    }
}

/// A storage node of the fixture.
#[derive(Debug)]
pub struct TestNode {
    /// Its BLS protocol key.
    pub bls_key: BlsPrivateKey,
    /// The operator's account key (owns the cap and the genesis stake).
    pub operator: Ed25519PrivateKey,
    /// The node (= pool) id.
    pub node_id: ObjectId,
    /// The `StorageNodeCap` id.
    pub cap: ObjectId,
    /// The key in the uncompressed form committees store.
    uncompressed_key: Vec<u8>,
}

/// A stored blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredBlob {
    /// The `Blob` object.
    pub object_id: ObjectId,
    /// Its blob id.
    pub blob_id: BlobId,
}

/// See the module documentation.
#[derive(Debug)]
pub struct TestDevnet {
    ledger: Arc<Ledger<WalrusMachine>>,
    clock: Arc<ManualClock>,
    nodes: Vec<TestNode>,
    accounts: Vec<Ed25519PrivateKey>,
    coins: Vec<ObjectId>,
    config: TestDevnetConfig,
    _dir: Option<tempfile::TempDir>,
}

/// The blob id the fixture uses for `size` bytes and `seed`: a root hash made from the seed.
pub fn blob_id_for(size: u64, seed: u64) -> BlobId {
    contracts::derive_blob_id(&root_hash(seed), encoding::RS2, size)
}

fn root_hash(seed: u64) -> [u8; 32] {
    let mut hash = [0u8; 32];
    hash[..8].copy_from_slice(&seed.to_le_bytes());
    hash[8] = 0x5e;
    hash
}

fn node_key(i: usize) -> Result<BlsPrivateKey> {
    let seed = u8::try_from(i % 200).unwrap_or(0);
    BlsPrivateKey::from_ikm(&[seed.wrapping_add(0x31); 32])
        .map_err(|e| FixtureError::Unexpected(format!("BLS key {i}: {e}")))
}

fn operator_key(i: usize) -> Ed25519PrivateKey {
    Ed25519PrivateKey::new([u8::try_from(i % 200).unwrap_or(0).wrapping_add(0x20); 32])
}

fn account_key(i: usize) -> Ed25519PrivateKey {
    Ed25519PrivateKey::new([u8::try_from(i % 50).unwrap_or(0).wrapping_add(0xC0); 32])
}

/// The id of the first object created by `record` whose type contains `type_part`.
pub fn created(record: &TransactionRecord, type_part: &str) -> Option<ObjectId> {
    record
        .object_changes
        .iter()
        .find(|c| c.kind == ChangeKind::Created && c.object_type.contains(type_part))
        .map(|c| c.object_id)
}

impl TestDevnet {
    /// A fresh devnet in a temporary directory.
    pub fn new(config: TestDevnetConfig) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut devnet = Self::open(dir.path(), config)?;
        devnet._dir = Some(dir);
        Ok(devnet)
    }

    /// Opens the devnet in `dir`, creating it (genesis and funding) when the directory holds no
    /// ledger yet. Reopening with the same configuration finds the same nodes and accounts.
    pub fn open(dir: &Path, config: TestDevnetConfig) -> Result<Self> {
        let nodes_keys: Vec<(BlsPrivateKey, Ed25519PrivateKey)> = (0..config.nodes)
            .map(|i| Ok((node_key(i)?, operator_key(i))))
            .collect::<Result<_>>()?;
        let genesis_nodes = nodes_keys
            .iter()
            .enumerate()
            .map(|(i, (bls, operator))| {
                GenesisNode::new(
                    format!("node-{i}"),
                    format!("127.0.0.1:{}", 9_100 + i),
                    bls,
                    network_public_key(i),
                    config.commission_rate,
                    address_of(operator),
                    config.node_stake,
                    GenesisVotes {
                        storage_price: config.storage_price,
                        write_price: config.write_price,
                        node_capacity: config.node_capacity,
                    },
                )
            })
            .collect();
        let genesis = GenesisConfig {
            n_shards: config.n_shards,
            max_epochs_ahead: config.max_epochs_ahead,
            epoch_duration_ms: config.epoch_duration_ms,
            faucet_max_per_call: config.account_funds.max(FROST_PER_WAL),
            nodes: genesis_nodes,
            ..GenesisConfig::default()
        };
        let clock = Arc::new(ManualClock::new(config.genesis_time_ms));
        let ledger = Arc::new(Ledger::open(
            dir,
            WalrusMachine::new(genesis),
            clock.clone(),
            LedgerOptions {
                snapshot_every: config.snapshot_every,
                ..LedgerOptions::default()
            },
        )?);
        clock.set(ledger.last_timestamp_ms().max(config.genesis_time_ms));

        let mut nodes = Vec::with_capacity(nodes_keys.len());
        for (bls_key, operator) in nodes_keys {
            let cap = ledger
                .owned_objects(address_of(&operator))
                .into_iter()
                .find_map(|(id, o)| match o.value {
                    WalrusObject::Staking(StakingObject::NodeCap(c)) => Some((id, c.pool_id())),
                    _ => None,
                })
                .ok_or_else(|| FixtureError::Unexpected("a genesis node has no cap".into()))?;
            let uncompressed_key = bls_aggregate::uncompressed_g1(bls_key.public_key().as_bytes())
                .map_err(|f| FixtureError::Unexpected(f.to_string()))?;
            nodes.push(TestNode {
                bls_key,
                operator,
                node_id: cap.1,
                cap: cap.0,
                uncompressed_key,
            });
        }

        let accounts: Vec<_> = (0..config.accounts).map(account_key).collect();
        let mut devnet = Self {
            ledger,
            clock,
            nodes,
            accounts,
            coins: Vec::new(),
            config,
            _dir: None,
        };
        for i in 0..devnet.accounts.len() {
            let address = devnet.address(i);
            let existing = devnet
                .ledger
                .owned_objects(address)
                .into_iter()
                .filter_map(|(id, o)| match o.value {
                    WalrusObject::WalCoin(c) => Some((c.balance, id)),
                    _ => None,
                })
                .max();
            let coin = match existing {
                Some((_, id)) => id,
                None => {
                    let record = devnet.execute_as(
                        &devnet.accounts[i],
                        Call::Coin(CoinCall::Faucet {
                            amount: devnet.config.account_funds,
                        }),
                    )?;
                    created(&record, "::coin::Coin<")
                        .ok_or_else(|| FixtureError::Unexpected("faucet made no coin".into()))?
                }
            };
            devnet.coins.push(coin);
        }
        Ok(devnet)
    }

    // === Access ===

    /// The ledger (a `TransactionSource` too).
    pub fn ledger(&self) -> &Arc<Ledger<WalrusMachine>> {
        &self.ledger
    }

    /// The ledger's clock.
    pub fn clock(&self) -> &Arc<ManualClock> {
        &self.clock
    }

    /// The configuration.
    pub fn config(&self) -> &TestDevnetConfig {
        &self.config
    }

    /// The storage nodes, in genesis order.
    pub fn nodes(&self) -> &[TestNode] {
        &self.nodes
    }

    /// The key of funded account `i`.
    pub fn account(&self, i: usize) -> &Ed25519PrivateKey {
        &self.accounts[i % self.accounts.len()]
    }

    /// The address of funded account `i`.
    pub fn address(&self, i: usize) -> Address {
        address_of(self.account(i))
    }

    /// The WAL coin account `i` pays with.
    pub fn coin(&self, i: usize) -> ObjectId {
        self.coins[i % self.coins.len()]
    }

    /// The `System` state.
    pub fn system(&self) -> Result<SystemStateInnerV1> {
        let id = self
            .ledger
            .with_objects(WalrusMachine::registry)
            .ok_or_else(|| FixtureError::Unexpected("no registry".into()))?
            .system;
        match self.ledger.object(&id).map(|o| o.value) {
            Some(WalrusObject::System(s)) => Ok(s.inner),
            _ => Err(FixtureError::Unexpected("no System".into())),
        }
    }

    /// The staking state.
    pub fn staking(&self) -> Result<StakingInnerV1> {
        self.ledger
            .with_objects(staking::staking_state)
            .map(|s| s.inner)
            .ok_or_else(|| FixtureError::Unexpected("no Staking".into()))
    }

    /// The pool of `node_id`.
    pub fn pool(&self, node_id: ObjectId) -> Result<StakingPool> {
        self.ledger
            .with_objects(|o| staking::pool_of(o, &node_id))
            .ok_or_else(|| FixtureError::Unexpected(format!("no pool {node_id}")))
    }

    /// The current epoch.
    pub fn epoch(&self) -> Result<u32> {
        Ok(self.system()?.committee.epoch)
    }

    // === Transactions ===

    /// Signs `call` as `key` with `nonce`.
    pub fn sign(key: &Ed25519PrivateKey, nonce: u64, call: Call) -> SignedTransaction {
        SignedTransaction::sign(
            &TransactionData {
                sender: address_of(key),
                nonce,
                call,
            },
            key,
        )
    }

    /// Submits `call` as `key` with the next nonce; the durable record, aborted or not.
    pub fn send_as(&self, key: &Ed25519PrivateKey, call: Call) -> Result<TransactionRecord> {
        let nonce = self.ledger.next_nonce(address_of(key));
        let receipt = self.ledger.submit(Self::sign(key, nonce, call))?;
        receipt
            .durable_blocking()
            .map_err(|e| FixtureError::Journal(e.to_string()))
    }

    /// As [`TestDevnet::send_as`], failing if the call aborts.
    pub fn execute_as(&self, key: &Ed25519PrivateKey, call: Call) -> Result<TransactionRecord> {
        let label = format!("{call:?}");
        let record = self.send_as(key, call)?;
        match &record.status {
            ExecutionStatus::Success => Ok(record),
            ExecutionStatus::Failure(failure) => Err(FixtureError::Aborted {
                call: label.chars().take(200).collect(),
                failure: failure.clone(),
            }),
        }
    }

    /// A call from funded account `account`, which must succeed.
    pub fn execute(&self, account: usize, call: Call) -> Result<TransactionRecord> {
        self.execute_as(self.account(account), call)
    }

    // === Blobs ===

    /// The encoded size of `size` bytes with this devnet's shards.
    pub fn encoded_size(&self, size: u64) -> Result<u64> {
        encoding::encoded_blob_length(size, encoding::RS2, self.config.n_shards)
            .map_err(|f| FixtureError::Unexpected(f.to_string()))
    }

    /// `reserve_space` of `storage_size` encoded bytes for `epochs_ahead` epochs, paid from the
    /// account's coin; the new `Storage`.
    pub fn reserve(
        &self,
        account: usize,
        storage_size: u64,
        epochs_ahead: u32,
    ) -> Result<ObjectId> {
        let record = self.execute(
            account,
            Call::System(SystemCall::ReserveSpace {
                storage_amount: storage_size,
                epochs_ahead,
                payment: self.coin(account),
            }),
        )?;
        created(&record, "::storage_resource::Storage")
            .ok_or_else(|| FixtureError::Unexpected("reserve_space made no Storage".into()))
    }

    /// The `register_blob` call for blob `(size, seed)` on `storage`.
    pub fn register_call(
        &self,
        account: usize,
        storage: ObjectId,
        size: u64,
        seed: u64,
        deletable: bool,
    ) -> Call {
        Call::System(SystemCall::RegisterBlob {
            storage,
            blob_id: blob_id_for(size, seed),
            root_hash: root_hash(seed),
            size,
            encoding_type: encoding::RS2,
            deletable,
            write_payment: self.coin(account),
        })
    }

    /// Reserves and registers blob `(size, seed)` for `epochs_ahead` epochs.
    pub fn register_blob(
        &self,
        account: usize,
        size: u64,
        seed: u64,
        epochs_ahead: u32,
        deletable: bool,
    ) -> Result<StoredBlob> {
        let storage = self.reserve(account, self.encoded_size(size)?, epochs_ahead)?;
        let record = self.execute(
            account,
            self.register_call(account, storage, size, seed, deletable),
        )?;
        let object_id = created(&record, "::blob::Blob")
            .ok_or_else(|| FixtureError::Unexpected("register_blob made no Blob".into()))?;
        Ok(StoredBlob {
            object_id,
            blob_id: blob_id_for(size, seed),
        })
    }

    /// A certificate of every member of the current committee for `blob_id` with this
    /// persistence (`Deletable` with `object`): (signature, signers bitmap, message).
    fn blob_certificate(
        &self,
        blob_id: BlobId,
        object: ObjectId,
        deletable: bool,
    ) -> Result<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        let committee = self.system()?.committee;
        let message = BlobCertificationMessage {
            epoch: committee.epoch,
            blob_id: blob_id.0,
            persistence: if deletable {
                BlobPersistenceType::Deletable {
                    object_id: contracts::ObjectId(object.into_inner()),
                }
            } else {
                BlobPersistenceType::Permanent
            },
        }
        .to_bytes();
        let (signature, signers_bitmap) = self.sign_by_committee(&committee, &message)?;
        Ok((signature, signers_bitmap, message))
    }

    /// The `certify_blob` call for `blob` (blob id and persistence as given), signed by every
    /// member of the current committee.
    pub fn certify_call_for(
        &self,
        blob: ObjectId,
        blob_id: BlobId,
        deletable: bool,
    ) -> Result<Call> {
        let (signature, signers_bitmap, message) =
            self.blob_certificate(blob_id, blob, deletable)?;
        Ok(Call::System(SystemCall::CertifyBlob {
            blob,
            signature,
            signers_bitmap,
            message,
        }))
    }

    /// `create_storage_pool` of `capacity` encoded bytes for `epochs_ahead` epochs, paid from
    /// the account's coin; the new `StoragePool`.
    pub fn create_storage_pool(
        &self,
        account: usize,
        capacity: u64,
        epochs_ahead: u32,
    ) -> Result<ObjectId> {
        let record = self.execute(
            account,
            Call::System(SystemCall::CreateStoragePool {
                reserved_encoded_capacity_bytes: capacity,
                epochs_ahead,
                payment: self.coin(account),
            }),
        )?;
        record
            .object_changes
            .iter()
            .find(|c| {
                c.kind == ChangeKind::Created
                    && c.object_type.ends_with("::storage_pool::StoragePool")
            })
            .map(|c| c.object_id)
            .ok_or_else(|| FixtureError::Unexpected("create_storage_pool made no pool".into()))
    }

    /// Registers blob `(size, seed)` against `pool`; its `PooledBlob` object id.
    pub fn register_pooled_blob(
        &self,
        account: usize,
        pool: ObjectId,
        size: u64,
        seed: u64,
        deletable: bool,
    ) -> Result<StoredBlob> {
        let record = self.execute(
            account,
            Call::System(SystemCall::RegisterPooledBlob {
                storage_pool: pool,
                blob_id: blob_id_for(size, seed),
                root_hash: root_hash(seed),
                unencoded_size: size,
                encoding_type: encoding::RS2,
                deletable,
                write_payment: self.coin(account),
            }),
        )?;
        let object_id = created(&record, "::storage_pool::PooledBlob").ok_or_else(|| {
            FixtureError::Unexpected("register_pooled_blob made no PooledBlob".into())
        })?;
        Ok(StoredBlob {
            object_id,
            blob_id: blob_id_for(size, seed),
        })
    }

    /// Certifies the pooled blob `blob` of `pool` with a certificate of every committee member.
    pub fn certify_pooled_blob(
        &self,
        account: usize,
        pool: ObjectId,
        blob: &StoredBlob,
        deletable: bool,
    ) -> Result<TransactionRecord> {
        let (signature, signers_bitmap, message) =
            self.blob_certificate(blob.blob_id, blob.object_id, deletable)?;
        self.execute(
            account,
            Call::System(SystemCall::CertifyPooledBlob {
                storage_pool: pool,
                blob_id: blob.blob_id,
                signature,
                signers_bitmap,
                message,
            }),
        )
    }

    /// `delete_pooled_blob`.
    pub fn delete_pooled_blob(
        &self,
        account: usize,
        pool: ObjectId,
        blob_id: BlobId,
    ) -> Result<TransactionRecord> {
        self.execute(
            account,
            Call::System(SystemCall::DeletePooledBlob {
                storage_pool: pool,
                blob_id,
            }),
        )
    }

    /// `extend_storage_pool`, paid from the account's coin.
    pub fn extend_storage_pool(
        &self,
        account: usize,
        pool: ObjectId,
        extended_epochs: u32,
    ) -> Result<TransactionRecord> {
        self.execute(
            account,
            Call::System(SystemCall::ExtendStoragePool {
                storage_pool: pool,
                extended_epochs,
                payment: self.coin(account),
            }),
        )
    }

    /// Certifies `blob` with a certificate of every committee member.
    pub fn certify_blob(&self, account: usize, blob: ObjectId) -> Result<TransactionRecord> {
        let b = self.blob(blob)?;
        let call = self.certify_call_for(blob, b.blob_id, b.deletable)?;
        self.execute(account, call)
    }

    /// Reserves, registers and certifies blob `(size, seed)` for `epochs_ahead` epochs.
    pub fn store_blob(
        &self,
        account: usize,
        size: u64,
        seed: u64,
        epochs_ahead: u32,
        deletable: bool,
    ) -> Result<StoredBlob> {
        let blob = self.register_blob(account, size, seed, epochs_ahead, deletable)?;
        self.certify_blob(account, blob.object_id)?;
        Ok(blob)
    }

    /// The Move `Blob` of `blob` (owned, not shared).
    pub fn blob(&self, blob: ObjectId) -> Result<contracts::Blob> {
        match self.ledger.object(&blob).map(|o| o.value) {
            Some(WalrusObject::Blob(b)) => Ok(b.blob),
            Some(WalrusObject::SharedBlob(s)) => Ok(s.blob.blob),
            _ => Err(FixtureError::Unexpected(format!("{blob} is not a blob"))),
        }
    }

    /// `extend_blob` by `epochs`, paid from the account's coin.
    pub fn extend_blob(
        &self,
        account: usize,
        blob: ObjectId,
        epochs: u32,
    ) -> Result<TransactionRecord> {
        self.execute(
            account,
            Call::System(SystemCall::ExtendBlob {
                blob,
                extended_epochs: epochs,
                payment: self.coin(account),
            }),
        )
    }

    /// `delete_blob` (the storage goes back to the owner).
    pub fn delete_blob(&self, account: usize, blob: ObjectId) -> Result<TransactionRecord> {
        self.execute(account, Call::System(SystemCall::DeleteBlob { blob }))
    }

    /// `blob::burn`.
    pub fn burn_blob(&self, account: usize, blob: ObjectId) -> Result<TransactionRecord> {
        self.execute(account, Call::System(SystemCall::BurnBlob { blob }))
    }

    /// `blob::insert_or_update_metadata_pair`.
    pub fn set_attribute(
        &self,
        account: usize,
        blob: ObjectId,
        key: &str,
        value: &str,
    ) -> Result<TransactionRecord> {
        self.execute(
            account,
            Call::System(SystemCall::InsertOrUpdateMetadataPair {
                blob,
                key: key.into(),
                value: value.into(),
            }),
        )
    }

    /// `blob::remove_metadata_pair`.
    pub fn remove_attribute(
        &self,
        account: usize,
        blob: ObjectId,
        key: &str,
    ) -> Result<TransactionRecord> {
        self.execute(
            account,
            Call::System(SystemCall::RemoveMetadataPair {
                blob,
                key: key.into(),
            }),
        )
    }

    /// `shared_blob::new`: the blob becomes a shared object; returns the `SharedBlob` id.
    pub fn share_blob(&self, account: usize, blob: ObjectId) -> Result<ObjectId> {
        let record = self.execute(account, Call::System(SystemCall::SharedBlobNew { blob }))?;
        created(&record, "::shared_blob::SharedBlob")
            .ok_or_else(|| FixtureError::Unexpected("no SharedBlob created".into()))
    }

    /// `invalidate_blob_id` with a certificate of every committee member.
    pub fn invalidate_blob_id(&self, account: usize, blob_id: BlobId) -> Result<TransactionRecord> {
        let committee = self.system()?.committee;
        let message = InvalidBlobIdMessage {
            epoch: committee.epoch,
            blob_id: blob_id.0,
        }
        .to_bytes();
        let (signature, members_bitmap) = self.sign_by_committee(&committee, &message)?;
        self.execute(
            account,
            Call::System(SystemCall::InvalidateBlobId {
                signature,
                members_bitmap,
                message,
            }),
        )
    }

    /// The first node of the current committee.
    fn committee_node(&self, committee: &contracts::BlsCommittee) -> Result<&TestNode> {
        self.nodes
            .iter()
            .find(|n| {
                committee
                    .members
                    .iter()
                    .any(|m| m.node_id == crate::walrus::to_move_id(n.node_id))
            })
            .ok_or_else(|| FixtureError::Unexpected("no node in the committee".into()))
    }

    /// The first committee member announces (`register_deny_list_update`) and then applies
    /// with a certificate of every member (`update_deny_list`) a deny list of `size` bytes with
    /// this `sequence` and `root`.
    pub fn update_deny_list(&self, sequence: u64, size: u64, root: [u8; 32]) -> Result<()> {
        let committee = self.system()?.committee;
        let node = self.committee_node(&committee)?;
        self.execute_as(
            &node.operator,
            Call::System(SystemCall::RegisterDenyListUpdate {
                cap: node.cap,
                deny_list_root: root,
                deny_list_sequence: sequence,
            }),
        )?;
        let message = DenyListUpdateMessage {
            epoch: committee.epoch,
            node_id: node.node_id.into_inner(),
            sequence_number: sequence,
            size,
            root,
        }
        .to_bytes();
        let (signature, members_bitmap) = self.sign_by_committee(&committee, &message)?;
        self.execute_as(
            &node.operator,
            Call::System(SystemCall::UpdateDenyList {
                cap: node.cap,
                signature,
                members_bitmap,
                message,
            }),
        )?;
        Ok(())
    }

    /// `delete_deny_listed_blob` with a certificate of every committee member.
    pub fn delete_deny_listed_blob(
        &self,
        account: usize,
        blob_id: BlobId,
    ) -> Result<TransactionRecord> {
        let committee = self.system()?.committee;
        let message = DenyListBlobDeletedMessage {
            epoch: committee.epoch,
            blob_id: blob_id.0,
        }
        .to_bytes();
        let (signature, members_bitmap) = self.sign_by_committee(&committee, &message)?;
        self.execute(
            account,
            Call::System(SystemCall::DeleteDenyListedBlob {
                signature,
                members_bitmap,
                message,
            }),
        )
    }

    /// `update_protocol_version` by the first committee member's operator, with a certificate
    /// of every member: `protocol_version` from `start_epoch`.
    pub fn update_protocol_version(
        &self,
        start_epoch: u32,
        protocol_version: u64,
    ) -> Result<TransactionRecord> {
        let committee = self.system()?.committee;
        let node = self.committee_node(&committee)?;
        let message = ProtocolVersionMessage {
            epoch: committee.epoch,
            start_epoch,
            version: protocol_version,
        }
        .to_bytes();
        let (signature, members_bitmap) = self.sign_by_committee(&committee, &message)?;
        self.execute_as(
            &node.operator,
            Call::System(SystemCall::UpdateProtocolVersion {
                cap: node.cap,
                signature,
                members_bitmap,
                message,
            }),
        )
    }

    fn sign_by_committee(
        &self,
        committee: &contracts::BlsCommittee,
        message: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        let mut signatures = Vec::with_capacity(committee.members.len());
        let mut bitmap = vec![0u8; committee.members.len().div_ceil(8)];
        for (i, member) in committee.members.iter().enumerate() {
            let node = self
                .nodes
                .iter()
                .find(|n| n.uncompressed_key == member.public_key)
                .ok_or_else(|| {
                    FixtureError::Unexpected(format!(
                        "committee member {} has a key the fixture does not hold",
                        member.node_id
                    ))
                })?;
            signatures.push(node.bls_key.sign(message));
            bitmap[i / 8] |= 1 << (i % 8);
        }
        let signature = BlsSignature::aggregate(signatures.iter())
            .map_err(|e| FixtureError::Unexpected(e.to_string()))?;
        Ok((signature.as_bytes().to_vec(), bitmap))
    }

    // === Staking ===

    /// Stakes `amount` FROST from account `account` with node `node` (genesis order); the
    /// `StakedWal` id.
    pub fn stake(&self, account: usize, node: usize, amount: u64) -> Result<ObjectId> {
        let record = self.execute(
            account,
            Call::Coin(CoinCall::Split {
                coin: self.coin(account),
                amount,
            }),
        )?;
        let coin = created(&record, "::coin::Coin<")
            .ok_or_else(|| FixtureError::Unexpected("split made no coin".into()))?;
        let record = self.execute(
            account,
            Call::Staking(StakingCall::StakeWithPool {
                coin,
                node_id: self.nodes[node].node_id,
            }),
        )?;
        created(&record, "::staked_wal::StakedWal")
            .ok_or_else(|| FixtureError::Unexpected("stake made no StakedWal".into()))
    }

    /// `request_withdraw_stake`.
    pub fn request_withdraw(
        &self,
        account: usize,
        staked_wal: ObjectId,
    ) -> Result<TransactionRecord> {
        self.execute(
            account,
            Call::Staking(StakingCall::RequestWithdrawStake { staked_wal }),
        )
    }

    /// `withdraw_stake`.
    pub fn withdraw(&self, account: usize, staked_wal: ObjectId) -> Result<TransactionRecord> {
        self.execute(
            account,
            Call::Staking(StakingCall::WithdrawStake { staked_wal }),
        )
    }

    /// A staking call by the operator of node `node`.
    pub fn operator_call(&self, node: usize, call: StakingCall) -> Result<TransactionRecord> {
        self.execute_as(&self.nodes[node].operator, Call::Staking(call))
    }

    // === Epochs ===

    /// Runs `voting_end` (unless the next committee is already selected), moving the clock to the
    /// mid-epoch cutoff if it is not there yet.
    pub fn voting_end(&self) -> Result<Option<TransactionRecord>> {
        let s = self.staking()?;
        let EpochState::EpochChangeDone(last_change) = s.epoch_state else {
            return Ok(None);
        };
        let at = if s.epoch == 0 {
            s.first_epoch_start
        } else {
            last_change + s.epoch_duration / 2
        };
        self.move_clock_to(at);
        let record = self.execute_as(
            &self.nodes[0].operator,
            Call::Staking(StakingCall::VotingEnd),
        )?;
        Ok(Some(record))
    }

    /// Advances to the next epoch as the network would: `voting_end` if needed,
    /// `initiate_epoch_change` once the epoch duration has passed (the clock is moved), then
    /// `epoch_sync_done` by every member of the new committee. Returns the new epoch.
    pub fn advance_epoch(&self) -> Result<u32> {
        self.voting_end()?;
        let s = self.staking()?;
        let last_change = match s.epoch_state {
            EpochState::NextParamsSelected(t) => t,
            other => {
                return Err(FixtureError::Unexpected(format!(
                    "cannot change epoch in state {other:?}"
                )));
            }
        };
        let at = if s.epoch == 0 {
            s.first_epoch_start
        } else {
            last_change + s.epoch_duration
        };
        self.move_clock_to(at);
        self.execute_as(
            &self.nodes[0].operator,
            Call::Staking(StakingCall::InitiateEpochChange),
        )?;
        let s = self.staking()?;
        self.clock.advance(10);
        for node in &self.nodes {
            if s.committee
                .contains(&crate::walrus::to_move_id(node.node_id))
            {
                self.execute_as(
                    &node.operator,
                    Call::Staking(StakingCall::EpochSyncDone {
                        cap: node.cap,
                        epoch: s.epoch,
                    }),
                )?;
            }
        }
        Ok(s.epoch)
    }

    /// Moves the clock forward to `ms` (never backwards).
    pub fn move_clock_to(&self, ms: u64) {
        let now = self.ledger.last_timestamp_ms().max(self.clock.now());
        self.clock.set(now.max(ms));
    }
}

impl TestNode {
    /// The uncompressed BLS key as committees hold it.
    pub fn uncompressed_key(&self) -> &[u8] {
        &self.uncompressed_key
    }
}

fn network_public_key(i: usize) -> Vec<u8> {
    let mut key = vec![2u8];
    key.extend((0u8..32).map(|b| b.wrapping_add(u8::try_from(i % 200).unwrap_or(0))));
    key
}

trait ClockNow {
    fn now(&self) -> u64;
}

impl ClockNow for ManualClock {
    fn now(&self) -> u64 {
        crate::devnet::ledger::Clock::now_ms(self)
    }
}
