//! Mirror of `move/walrus/sources/system.move`, `system/system_state_inner.move` and
//! `system/storage_accounting.move`: the shared `System` object, its state, the
//! future-accounting ring and the package-internal functions staking calls.

use serde::{Deserialize, Serialize};
use walrus_core::BlobId;
use walrus_core::contracts::{
    self, BlsCommittee, Coin, ContractEvent, DenyListBlobDeleted, DenyListUpdate, EpochParams,
    FutureAccounting, FutureAccountingRingBuffer, InvalidBlobId, ProtocolVersionUpdated,
    RegisterDenyListUpdate, Storage, SystemStateInnerV1,
};

use super::blob::MetadataOp;
use super::errors::{
    self, storage_accounting as acc_err, system as sys_err, system_state_inner as e,
};
use super::{
    BlobObject, SystemObject, View, WalrusObject, blob, bls_aggregate, coin, encoding, messages,
    owned_blob, owned_coin, owned_storage, put_owned, registry, shared_blob, storage_pool,
    storage_resource, to_move_id, to_object_id,
};
use crate::types::{ExecutionFailure, ObjectId, Owner};

/// `system::VERSION`: the object version and the dynamic-field key of the state (3, as the
/// package deployed on Walrus mainnet).
pub const VERSION: u64 = 3;
/// `system_state_inner::MAX_MAX_EPOCHS_AHEAD`.
pub const MAX_MAX_EPOCHS_AHEAD: u32 = 1000;
/// `system_state_inner::BYTES_PER_UNIT_SIZE`: 1 MiB of encoded size.
pub const BYTES_PER_UNIT_SIZE: u64 = 1_048_576;
/// `system_state_inner::BURN_BPS`: 3% of an epoch's rewards are burned.
pub const BURN_BPS: u64 = 300;
/// `system_state_inner::BPS_DENOMINATOR`.
pub const BPS_DENOMINATOR: u64 = 10_000;

/// The blob lifecycle calls (`walrus::system`, `walrus::blob`, `walrus::storage_resource`,
/// `walrus::shared_blob`). Coins are passed by id: a `&mut Coin<WAL>` payment keeps the
/// change, a `Coin<WAL>` argument is consumed whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SystemCall {
    /// `system::reserve_space`: a new `Storage` for the sender.
    ReserveSpace {
        /// Encoded bytes.
        storage_amount: u64,
        /// Epochs from the current one.
        epochs_ahead: u32,
        /// `&mut Coin<WAL>`.
        payment: ObjectId,
    },
    /// `system::reserve_space_for_epochs`: a new `Storage` for the sender.
    ReserveSpaceForEpochs {
        /// Encoded bytes.
        storage_amount: u64,
        /// First epoch (clamped to the current one).
        start_epoch: u32,
        /// End epoch (exclusive).
        end_epoch: u32,
        /// `&mut Coin<WAL>`.
        payment: ObjectId,
    },
    /// `system::register_blob`: consumes the `Storage`, a new `Blob` for the sender.
    RegisterBlob {
        /// The `Storage` (by value).
        storage: ObjectId,
        /// The blob id.
        blob_id: BlobId,
        /// The root hash (Move `u256`, 32 little-endian bytes).
        root_hash: [u8; 32],
        /// Unencoded size.
        size: u64,
        /// Encoding type (1 = RS2).
        encoding_type: u8,
        /// Whether the blob may be deleted before its end epoch.
        deletable: bool,
        /// `&mut Coin<WAL>` for the write fee.
        write_payment: ObjectId,
    },
    /// `system::certify_blob`.
    CertifyBlob {
        /// The `Blob` (`&mut`).
        blob: ObjectId,
        /// Aggregate BLS signature (96 bytes).
        signature: Vec<u8>,
        /// Signers bitmap, LSB first over members in node-id order.
        signers_bitmap: Vec<u8>,
        /// The signed message bytes.
        message: Vec<u8>,
    },
    /// `system::extend_blob`.
    ExtendBlob {
        /// The `Blob` (`&mut`).
        blob: ObjectId,
        /// Epochs to add.
        extended_epochs: u32,
        /// `&mut Coin<WAL>`.
        payment: ObjectId,
    },
    /// `system::extend_blob_with_resource`: consumes the `Storage`.
    ExtendBlobWithResource {
        /// The `Blob` (`&mut`).
        blob: ObjectId,
        /// The `Storage` (by value).
        extension: ObjectId,
    },
    /// `system::delete_blob`: the blob's `Storage` goes back to the sender.
    DeleteBlob {
        /// The `Blob` (by value).
        blob: ObjectId,
    },
    /// `blob::burn`.
    BurnBlob {
        /// The `Blob` (by value).
        blob: ObjectId,
    },
    /// `system::invalidate_blob_id`.
    InvalidateBlobId {
        /// Aggregate BLS signature.
        signature: Vec<u8>,
        /// Signers bitmap.
        members_bitmap: Vec<u8>,
        /// The signed message bytes.
        message: Vec<u8>,
    },
    /// `system::register_deny_list_update` with the sender's `StorageNodeCap`.
    RegisterDenyListUpdate {
        /// The sender's `StorageNodeCap` (`&`).
        cap: ObjectId,
        /// The new deny list's root (Move `u256`, 32 little-endian bytes).
        deny_list_root: [u8; 32],
        /// Its sequence number.
        deny_list_sequence: u64,
    },
    /// `system::update_deny_list` with the sender's `StorageNodeCap` (`&mut`).
    UpdateDenyList {
        /// The sender's `StorageNodeCap` (`&mut`).
        cap: ObjectId,
        /// Aggregate BLS signature.
        signature: Vec<u8>,
        /// Signers bitmap.
        members_bitmap: Vec<u8>,
        /// The signed message bytes (intent 4).
        message: Vec<u8>,
    },
    /// `system::delete_deny_listed_blob`.
    DeleteDenyListedBlob {
        /// Aggregate BLS signature (of at least f + 1 shards).
        signature: Vec<u8>,
        /// Signers bitmap.
        members_bitmap: Vec<u8>,
        /// The signed message bytes (intent 5).
        message: Vec<u8>,
    },
    /// `system::certify_event_blob` with the sender's `StorageNodeCap` (`&mut`).
    CertifyEventBlob {
        /// The sender's `StorageNodeCap` (`&mut`).
        cap: ObjectId,
        /// The event blob's id.
        blob_id: BlobId,
        /// Its Merkle root (Move `u256`, 32 little-endian bytes).
        root_hash: [u8; 32],
        /// Its unencoded size.
        size: u64,
        /// Its encoding type.
        encoding_type: u8,
        /// The last checkpoint whose events it holds.
        ending_checkpoint_sequence_num: u64,
        /// The epoch of the attestation.
        epoch: u32,
    },
    /// `system::update_protocol_version` with the sender's `StorageNodeCap`.
    UpdateProtocolVersion {
        /// The sender's `StorageNodeCap` (`&`).
        cap: ObjectId,
        /// Aggregate BLS signature.
        signature: Vec<u8>,
        /// Signers bitmap.
        members_bitmap: Vec<u8>,
        /// The signed message bytes (intent 6).
        message: Vec<u8>,
    },
    /// `system::add_subsidy`: consumes the coin.
    AddSubsidy {
        /// `Coin<WAL>` (by value).
        subsidy: ObjectId,
        /// Epochs to spread it over.
        epochs_ahead: u32,
    },
    /// `system::add_per_epoch_subsidies`: the coins (consumed whole, as a programmable
    /// transaction builds the `vector<Balance<WAL>>`) go to the rewards of epochs E, E + 1, ...
    AddPerEpochSubsidies {
        /// One WAL coin per epoch, from the current one.
        subsidies: Vec<ObjectId>,
    },
    /// `blob::add_metadata(blob, metadata)` with a `Metadata` built from `pairs` by
    /// `metadata::new` and `insert_or_update` in order.
    AddMetadata {
        /// The `Blob` (`&mut`).
        blob: ObjectId,
        /// Key/value pairs.
        pairs: Vec<(String, String)>,
    },
    /// `blob::add_or_replace_metadata` (the old metadata is dropped).
    AddOrReplaceMetadata {
        /// The `Blob` (`&mut`).
        blob: ObjectId,
        /// Key/value pairs.
        pairs: Vec<(String, String)>,
    },
    /// `blob::take_metadata` (the metadata is dropped).
    TakeMetadata {
        /// The `Blob` (`&mut`).
        blob: ObjectId,
    },
    /// `blob::insert_or_update_metadata_pair`.
    InsertOrUpdateMetadataPair {
        /// The `Blob` (`&mut`).
        blob: ObjectId,
        /// Key.
        key: String,
        /// Value.
        value: String,
    },
    /// `blob::remove_metadata_pair`.
    RemoveMetadataPair {
        /// The `Blob` (`&mut`).
        blob: ObjectId,
        /// Key.
        key: String,
    },
    /// `blob::remove_metadata_pair_if_exists`.
    RemoveMetadataPairIfExists {
        /// The `Blob` (`&mut`).
        blob: ObjectId,
        /// Key.
        key: String,
    },
    /// `storage_resource::split_by_epoch`: the part from `split_epoch` on is a new `Storage`.
    SplitStorageByEpoch {
        /// The `Storage` (`&mut`).
        storage: ObjectId,
        /// Where to split.
        split_epoch: u32,
    },
    /// `storage_resource::split_by_size`: the original keeps `split_size`, the rest is new.
    SplitStorageBySize {
        /// The `Storage` (`&mut`).
        storage: ObjectId,
        /// Bytes the original keeps.
        split_size: u64,
    },
    /// `storage_resource::fuse_periods`.
    FusePeriods {
        /// The `Storage` that remains (`&mut`).
        first: ObjectId,
        /// The `Storage` consumed.
        second: ObjectId,
    },
    /// `storage_resource::fuse_amount`.
    FuseAmount {
        /// The `Storage` that remains (`&mut`).
        first: ObjectId,
        /// The `Storage` consumed.
        second: ObjectId,
    },
    /// `storage_resource::fuse`.
    FuseStorage {
        /// The `Storage` that remains (`&mut`).
        first: ObjectId,
        /// The `Storage` consumed.
        second: ObjectId,
    },
    /// `storage_resource::destroy`.
    DestroyStorage {
        /// The `Storage` (by value).
        storage: ObjectId,
    },
    /// `system::create_storage_pool`: a new `StoragePool` for the sender.
    CreateStoragePool {
        /// The pool's capacity in encoded bytes.
        reserved_encoded_capacity_bytes: u64,
        /// Epochs from the current one.
        epochs_ahead: u32,
        /// `&mut Coin<WAL>`.
        payment: ObjectId,
    },
    /// `system::create_storage_pool_with_storage`: consumes the `Storage`, a new `StoragePool`
    /// for the sender.
    CreateStoragePoolWithStorage {
        /// The `Storage` (by value).
        storage: ObjectId,
    },
    /// `system::register_pooled_blob`.
    RegisterPooledBlob {
        /// The `StoragePool` (`&mut`).
        storage_pool: ObjectId,
        /// The blob id.
        blob_id: BlobId,
        /// The root hash (Move `u256`, 32 little-endian bytes).
        root_hash: [u8; 32],
        /// Unencoded size.
        unencoded_size: u64,
        /// Encoding type (1 = RS2).
        encoding_type: u8,
        /// Whether the blob may be deleted before the pool expires.
        deletable: bool,
        /// `&mut Coin<WAL>` for the write fee.
        write_payment: ObjectId,
    },
    /// `system::certify_pooled_blob`.
    CertifyPooledBlob {
        /// The `StoragePool` (`&mut`).
        storage_pool: ObjectId,
        /// The blob id.
        blob_id: BlobId,
        /// Aggregate BLS signature (96 bytes).
        signature: Vec<u8>,
        /// Signers bitmap.
        signers_bitmap: Vec<u8>,
        /// The signed message bytes.
        message: Vec<u8>,
    },
    /// `system::delete_pooled_blob`.
    DeletePooledBlob {
        /// The `StoragePool` (`&mut`).
        storage_pool: ObjectId,
        /// The blob id.
        blob_id: BlobId,
    },
    /// `system::burn_expired_pooled_blob`.
    BurnExpiredPooledBlob {
        /// The `StoragePool` (`&mut`).
        storage_pool: ObjectId,
        /// The blob id.
        blob_id: BlobId,
    },
    /// `system::extend_storage_pool`.
    ExtendStoragePool {
        /// The `StoragePool` (`&mut`).
        storage_pool: ObjectId,
        /// Epochs to add.
        extended_epochs: u32,
        /// `&mut Coin<WAL>`.
        payment: ObjectId,
    },
    /// `system::increase_storage_pool_capacity`.
    IncreaseStoragePoolCapacity {
        /// The `StoragePool` (`&mut`).
        storage_pool: ObjectId,
        /// Encoded bytes to add.
        additional_encoded_capacity_bytes: u64,
        /// `&mut Coin<WAL>`.
        payment: ObjectId,
    },
    /// `system::increase_storage_pool_capacity_with_storage`: consumes the `Storage`.
    IncreaseStoragePoolCapacityWithStorage {
        /// The `StoragePool` (`&mut`).
        storage_pool: ObjectId,
        /// The `Storage` (by value).
        storage: ObjectId,
    },
    /// `system::decrease_storage_pool_capacity_by_size`: a new `Storage` for the sender.
    DecreaseStoragePoolCapacityBySize {
        /// The `StoragePool` (`&mut`).
        storage_pool: ObjectId,
        /// Encoded bytes to split off.
        size: u64,
    },
    /// `system::decrease_storage_pool_unused_capacity_by_percent`: a new `Storage` for the
    /// sender.
    DecreaseStoragePoolUnusedCapacityByPercent {
        /// The `StoragePool` (`&mut`).
        storage_pool: ObjectId,
        /// Percent (0..=100) of the unused bytes.
        percent: u8,
    },
    /// The `storage_pool::*_blob_metadata*` functions on one pooled blob.
    PooledBlobMetadata {
        /// The `StoragePool` (`&mut`).
        storage_pool: ObjectId,
        /// The blob id.
        blob_id: BlobId,
        /// The operation.
        op: MetadataOp,
    },
    /// `storage_pool::destroy`: an empty pool's `Storage` goes back to the sender.
    DestroyStoragePool {
        /// The `StoragePool` (by value).
        storage_pool: ObjectId,
    },
    /// `shared_blob::new`: shares the blob with no funds.
    SharedBlobNew {
        /// The `Blob` (by value).
        blob: ObjectId,
    },
    /// `shared_blob::new_funded`: consumes the coin into the tip jar.
    SharedBlobNewFunded {
        /// The `Blob` (by value).
        blob: ObjectId,
        /// `Coin<WAL>` (by value).
        funds: ObjectId,
    },
    /// `shared_blob::fund`: consumes the coin into the tip jar.
    SharedBlobFund {
        /// The `SharedBlob` (shared).
        shared_blob: ObjectId,
        /// `Coin<WAL>` (by value).
        added_funds: ObjectId,
    },
    /// `shared_blob::extend`, paid from the tip jar.
    SharedBlobExtend {
        /// The `SharedBlob` (shared).
        shared_blob: ObjectId,
        /// Epochs to add.
        extended_epochs: u32,
    },
}

// === The System object ===

/// The id of the shared `System` (from the [`super::Registry`]).
pub fn system_object_id(view: &View<'_>) -> Result<ObjectId, ExecutionFailure> {
    Ok(registry(view)?.system)
}

/// Loads the `System`, checking its version as `system::inner` does (`EWrongVersion`).
pub fn load(view: &View<'_>) -> Result<(ObjectId, SystemObject), ExecutionFailure> {
    let id = system_object_id(view)?;
    let system = match view.get(&id) {
        Some((_, WalrusObject::System(s))) => s.clone(),
        Some(_) => return Err(errors::input::EWrongObjectType.fail_with("system")),
        None => return Err(errors::input::EObjectNotFound.fail_with("system")),
    };
    sys_err::EWrongVersion.ensure(system.system.version == VERSION)?;
    Ok((id, system))
}

/// Writes the `System` back (`&mut System`).
pub fn save(view: &mut View<'_>, id: ObjectId, system: SystemObject) {
    view.put(id, Owner::Shared, WalrusObject::System(system));
}

/// Runs `f` on the state of the `System` (`system::inner_mut`) and writes it back if `f`
/// succeeds.
pub fn with_inner_mut<R>(
    view: &mut View<'_>,
    f: impl FnOnce(&mut SystemStateInnerV1) -> Result<R, ExecutionFailure>,
) -> Result<R, ExecutionFailure> {
    let (id, mut system) = load(view)?;
    let result = f(&mut system.inner)?;
    save(view, id, system);
    Ok(result)
}

/// The state of the `System` (`system::inner`).
pub fn state(view: &View<'_>) -> Result<SystemStateInnerV1, ExecutionFailure> {
    Ok(load(view)?.1.inner)
}

/// `system::create_empty` + `system_state_inner::create_empty`: a shared `System` in epoch 0
/// with an empty committee, zero capacity and prices and a ring of `max_epochs_ahead`
/// (`EInvalidMaxEpochsAhead` unless 1..=1000). Returns its id.
pub fn create_empty(
    view: &mut View<'_>,
    max_epochs_ahead: u32,
) -> Result<ObjectId, ExecutionFailure> {
    let id = view.new_id();
    e::EInvalidMaxEpochsAhead
        .ensure(max_epochs_ahead > 0 && max_epochs_ahead <= MAX_MAX_EPOCHS_AHEAD)?;
    let committee = bls_aggregate::new_bls_committee(0, Vec::new())?;
    let future_accounting = ring_new(max_epochs_ahead)?;
    // `extended_field::new(vec_map::empty(), ctx)`: the next fresh id.
    let deny_list_sizes = contracts::ExtendedField {
        id: to_move_id(view.new_id()),
    };
    let inner = SystemStateInnerV1 {
        committee,
        total_capacity_size: 0,
        used_capacity_size: 0,
        storage_price_per_unit_size: 0,
        write_price_per_unit_size: 0,
        future_accounting,
        event_blob_certification_state: contracts::EventBlobCertificationState::default(),
        deny_list_sizes,
    };
    save(
        view,
        id,
        SystemObject {
            system: contracts::System {
                id: to_move_id(id),
                version: VERSION,
                package_id: to_move_id(super::WALRUS_PACKAGE),
                new_package_id: None,
            },
            inner,
            deny_list_sizes: contracts::staking::VecMap::default(),
        },
    );
    Ok(id)
}

// === Package-internal functions used by staking ===

/// `system::advance_epoch` / `system_state_inner::advance_epoch`: starts the epoch of
/// `new_committee` (which must be the current epoch + 1, `EIncorrectCommittee`), pops the ending
/// epoch's accounting, sets the capacity to max(voted, used) and returns the ending epoch's
/// rewards per node id of the old committee, in member order: node i gets
/// `R * w_i * stored_i / sum(w * stored)` with `stored_i = used - min(deny_list_size_i, used)`
/// (so `floor(R * w / n)` without deny lists, 0 when nothing was stored); the remainder rolls
/// over into the new epoch. Resets this epoch's event blob attestations.
pub fn advance_epoch(
    view: &mut View<'_>,
    new_committee: BlsCommittee,
    params: &EpochParams,
) -> Result<Vec<(ObjectId, u64)>, ExecutionFailure> {
    let (id, mut system) = load(view)?;
    let rewards = advance_epoch_inner(
        &mut system.inner,
        &system.deny_list_sizes,
        new_committee,
        params,
    )?;
    save(view, id, system);
    Ok(rewards)
}

/// [`advance_epoch`] on the state.
pub fn advance_epoch_inner(
    inner: &mut SystemStateInnerV1,
    deny_list_sizes: &contracts::staking::VecMap<contracts::ObjectId, u64>,
    new_committee: BlsCommittee,
    params: &EpochParams,
) -> Result<Vec<(ObjectId, u64)>, ExecutionFailure> {
    let next = epoch(inner)
        .checked_add(1)
        .ok_or_else(|| errors::arithmetic(e::MODULE))?;
    e::EIncorrectCommittee.ensure(new_committee.epoch == next)?;
    let old_committee = std::mem::replace(&mut inner.committee, new_committee);

    let popped = ring_pop_expand(&mut inner.future_accounting)?;
    e::EInvalidAccountingEpoch.ensure(popped.epoch == next - 1)?;
    let (used_capacity, mut rewards) = (popped.used_capacity, popped.rewards_to_distribute);
    inner.used_capacity_size = ring_lookup(&inner.future_accounting, 0)?.used_capacity;
    inner.total_capacity_size = params.total_capacity_size.max(inner.used_capacity_size);

    inner
        .event_blob_certification_state
        .aggregate_weight_per_blob = contracts::staking::VecMap::default();

    // Node i is paid for what it stored: `w_i * (used - min(deny_i, used))` over the sum of
    // these (at least 1), in u128 as in Move.
    let stored: Vec<u128> = old_committee
        .members
        .iter()
        .map(|m| {
            let denied = deny_list_sizes.get(&m.node_id).copied().unwrap_or(0);
            u128::from(m.weight) * u128::from(used_capacity - denied.min(used_capacity))
        })
        .collect();
    let total_stored = stored.iter().sum::<u128>().max(1);
    let total_rewards = u128::from(rewards);
    let mut node_rewards = Vec::with_capacity(old_committee.members.len());
    for (member, stored) in old_committee.members.iter().zip(stored) {
        let share = u64::try_from(stored * total_rewards / total_stored)
            .map_err(|_| errors::arithmetic(e::MODULE))?;
        // `balance::split` (the shares never add up to more than the rewards).
        rewards = rewards
            .checked_sub(share)
            .ok_or_else(|| errors::balance::ENotEnough.fail())?;
        node_rewards.push((to_object_id(member.node_id), share));
    }
    let current = ring_lookup_mut(&mut inner.future_accounting, 0)?;
    current.rewards_to_distribute = current
        .rewards_to_distribute
        .checked_add(rewards)
        .ok_or_else(|| errors::arithmetic(errors::balance::MODULE))?;
    Ok(node_rewards)
}

/// `system::extract_burn_balance`: splits off 3% (rounded down) of the current epoch's
/// rewards and returns it (to be burned with [`burn`]).
pub fn extract_burn_balance(view: &mut View<'_>) -> Result<u64, ExecutionFailure> {
    with_inner_mut(view, |inner| {
        let entry = ring_lookup_mut(&mut inner.future_accounting, 0)?;
        // u64 arithmetic, as in Move (`value * 3 / 100`).
        let amount = entry
            .rewards_to_distribute
            .checked_mul(BURN_BPS)
            .ok_or_else(|| errors::arithmetic(e::MODULE))?
            / BPS_DENOMINATOR;
        entry.rewards_to_distribute -= amount;
        Ok(amount)
    })
}

/// `system::set_prices` (no event: the caller emits `PricesUpdated`).
pub fn set_prices(
    view: &mut View<'_>,
    storage_price: u64,
    write_price: u64,
) -> Result<(), ExecutionFailure> {
    with_inner_mut(view, |inner| {
        inner.storage_price_per_unit_size = storage_price;
        inner.write_price_per_unit_size = write_price;
        Ok(())
    })
}

/// `system::set_total_capacity_size`.
pub fn set_total_capacity_size(view: &mut View<'_>, capacity: u64) -> Result<(), ExecutionFailure> {
    with_inner_mut(view, |inner| {
        inner.total_capacity_size = capacity;
        Ok(())
    })
}

/// The current epoch (`system::epoch`); 0 if there is no `System` yet.
pub fn current_epoch(view: &View<'_>) -> u32 {
    state(view).map(|s| s.committee.epoch).unwrap_or(0)
}

/// The current committee (`system::committee`); empty in epoch 0 if there is no `System` yet.
pub fn committee(view: &View<'_>) -> BlsCommittee {
    state(view)
        .map(|s| s.committee)
        .unwrap_or_else(|_| BlsCommittee {
            members: Vec::new(),
            n_shards: 0,
            epoch: 0,
            total_aggregated_key: bls_aggregate::G1_IDENTITY_COMPRESSED.to_vec(),
        })
}

/// `wal::burn(treasury, coin)`: lowers the total supply by `amount` FROST (the balance was
/// already taken out of circulation by the caller).
pub fn burn(view: &mut View<'_>, amount: u64) {
    let Ok(id) = registry(view).map(|r| r.treasury) else {
        return;
    };
    if let Some((_, WalrusObject::Treasury(t))) = view.get(&id) {
        let mut t = t.clone();
        t.total_supply = t.total_supply.saturating_sub(amount);
        view.put(id, Owner::Shared, WalrusObject::Treasury(t));
    }
}

// === Accessors (system_state_inner) ===

/// `system_state_inner::epoch`.
pub fn epoch(inner: &SystemStateInnerV1) -> u32 {
    inner.committee.epoch
}

/// `system_state_inner::n_shards`.
pub fn n_shards(inner: &SystemStateInnerV1) -> u16 {
    inner.committee.n_shards
}

/// `system_state_inner::max_epochs_ahead`.
pub fn max_epochs_ahead(inner: &SystemStateInnerV1) -> u32 {
    inner.future_accounting.length
}

/// `system_state_inner::used_capacity_at` (`ETooFarInFuture`).
pub fn used_capacity_at(
    inner: &SystemStateInnerV1,
    epochs_in_future: u32,
) -> Result<u64, ExecutionFailure> {
    Ok(ring_lookup(&inner.future_accounting, epochs_in_future)?.used_capacity)
}

/// `system_state_inner::rewards_at` (`ETooFarInFuture`).
pub fn rewards_at(
    inner: &SystemStateInnerV1,
    epochs_in_future: u32,
) -> Result<u64, ExecutionFailure> {
    Ok(ring_lookup(&inner.future_accounting, epochs_in_future)?.rewards_to_distribute)
}

/// `system_state_inner::storage_units_from_size`: 1 MiB units, rounded up.
pub fn storage_units_from_size(size: u64) -> u64 {
    size.div_ceil(BYTES_PER_UNIT_SIZE)
}

// === storage_accounting ===

/// `storage_accounting::ring_new` (`EZeroLength`).
pub fn ring_new(length: u32) -> Result<FutureAccountingRingBuffer, ExecutionFailure> {
    acc_err::EZeroLength.ensure(length > 0)?;
    Ok(FutureAccountingRingBuffer {
        current_index: 0,
        length,
        ring_buffer: (0..length)
            .map(|epoch| FutureAccounting {
                epoch,
                used_capacity: 0,
                rewards_to_distribute: 0,
            })
            .collect(),
    })
}

fn ring_index(
    ring: &FutureAccountingRingBuffer,
    epochs_in_future: u32,
) -> Result<usize, ExecutionFailure> {
    acc_err::ETooFarInFuture.ensure(epochs_in_future < ring.length)?;
    let index =
        (u64::from(ring.current_index) + u64::from(epochs_in_future)) % u64::from(ring.length);
    usize::try_from(index).map_err(|_| errors::arithmetic(acc_err::MODULE))
}

/// `storage_accounting::ring_lookup` (`ETooFarInFuture`).
pub fn ring_lookup(
    ring: &FutureAccountingRingBuffer,
    epochs_in_future: u32,
) -> Result<&FutureAccounting, ExecutionFailure> {
    let index = ring_index(ring, epochs_in_future)?;
    ring.ring_buffer
        .get(index)
        .ok_or_else(|| acc_err::ETooFarInFuture.fail())
}

/// `storage_accounting::ring_lookup_mut` (`ETooFarInFuture`).
pub fn ring_lookup_mut(
    ring: &mut FutureAccountingRingBuffer,
    epochs_in_future: u32,
) -> Result<&mut FutureAccounting, ExecutionFailure> {
    let index = ring_index(ring, epochs_in_future)?;
    ring.ring_buffer
        .get_mut(index)
        .ok_or_else(|| acc_err::ETooFarInFuture.fail())
}

/// `storage_accounting::ring_pop_expand`: removes the current entry, appends an empty one for
/// epoch current + length (pushed at the end, then swapped into the popped slot, as Move's
/// `swap_remove`) and advances the current index.
pub fn ring_pop_expand(
    ring: &mut FutureAccountingRingBuffer,
) -> Result<FutureAccounting, ExecutionFailure> {
    let index =
        usize::try_from(ring.current_index).map_err(|_| errors::arithmetic(acc_err::MODULE))?;
    let current_epoch = ring
        .ring_buffer
        .get(index)
        .ok_or_else(|| acc_err::ETooFarInFuture.fail())?
        .epoch;
    let next_epoch = current_epoch
        .checked_add(ring.length)
        .ok_or_else(|| errors::arithmetic(acc_err::MODULE))?;
    ring.ring_buffer.push(FutureAccounting {
        epoch: next_epoch,
        used_capacity: 0,
        rewards_to_distribute: 0,
    });
    let popped = ring.ring_buffer.swap_remove(index);
    ring.current_index = (ring.current_index + 1) % ring.length;
    Ok(popped)
}

/// `storage_accounting::increase_used_capacity` (arithmetic error on overflow).
pub fn increase_used_capacity(
    entry: &mut FutureAccounting,
    amount: u64,
) -> Result<(), ExecutionFailure> {
    entry.used_capacity = entry
        .used_capacity
        .checked_add(amount)
        .ok_or_else(|| errors::arithmetic(acc_err::MODULE))?;
    Ok(())
}

/// `storage_accounting::decrease_used_capacity` (`ECapacityUnderflow`).
pub fn decrease_used_capacity(
    entry: &mut FutureAccounting,
    amount: u64,
) -> Result<(), ExecutionFailure> {
    acc_err::ECapacityUnderflow.ensure(entry.used_capacity >= amount)?;
    entry.used_capacity -= amount;
    Ok(())
}

// === Blob lifecycle (system_state_inner) ===

/// `system_state_inner::reserve_space`: `0 < epochs_ahead <= max_epochs_ahead`
/// (`EInvalidEpochsAhead`), then [`reserve_space_for_epochs_inner`] from the current epoch.
pub fn reserve_space_inner(
    inner: &mut SystemStateInnerV1,
    storage_amount: u64,
    epochs_ahead: u32,
    payment: &mut Coin,
    new_id: contracts::ObjectId,
) -> Result<Storage, ExecutionFailure> {
    e::EInvalidEpochsAhead.ensure(epochs_ahead > 0 && epochs_ahead <= max_epochs_ahead(inner))?;
    let start_epoch = epoch(inner);
    let end_epoch = start_epoch
        .checked_add(epochs_ahead)
        .ok_or_else(|| errors::arithmetic(e::MODULE))?;
    reserve_space_for_epochs_inner(
        inner,
        storage_amount,
        start_epoch,
        end_epoch,
        payment,
        new_id,
    )
}

/// `system_state_inner::reserve_space_for_epochs`: `[max(start, current), end)` must be
/// non-empty and end at most `max_epochs_ahead` after the current epoch
/// (`EInvalidEpochsAhead`); charges the storage price per epoch (`balance::ENotEnough`), then
/// the size must be non-zero (`EInvalidResourceSize`) and fit the capacity of every epoch
/// (`EStorageExceeded`).
pub fn reserve_space_for_epochs_inner(
    inner: &mut SystemStateInnerV1,
    storage_amount: u64,
    start_epoch: u32,
    end_epoch: u32,
    payment: &mut Coin,
    new_id: contracts::ObjectId,
) -> Result<Storage, ExecutionFailure> {
    let current = epoch(inner);
    let start_epoch = start_epoch.max(current);
    e::EInvalidEpochsAhead.ensure(end_epoch > start_epoch)?;
    e::EInvalidEpochsAhead.ensure(end_epoch - current <= max_epochs_ahead(inner))?;
    charge_storage(
        inner,
        storage_amount,
        start_epoch - current,
        end_epoch - current,
        payment,
    )?;
    e::EInvalidResourceSize.ensure(storage_amount > 0)?;
    account_capacity(
        inner,
        storage_amount,
        start_epoch - current,
        end_epoch - current,
        true,
    )?;
    storage_resource::create_storage(new_id, start_epoch, end_epoch, storage_amount)
}

/// `system_state_inner::register_blob`: `blob::new`, then the write fee
/// `units(encoded size) * write_price` (u64; `balance::ENotEnough` when the coin is short)
/// into the current epoch's rewards.
#[allow(clippy::too_many_arguments)] // as the Move function
pub fn register_blob_inner(
    view: &mut View<'_>,
    inner: &mut SystemStateInnerV1,
    new_id: contracts::ObjectId,
    storage: Storage,
    blob_id: BlobId,
    root_hash: &[u8; 32],
    size: u64,
    encoding_type: u8,
    deletable: bool,
    write_payment: &mut Coin,
) -> Result<BlobObject, ExecutionFailure> {
    let blob = blob::new(
        view,
        new_id,
        storage,
        blob_id,
        root_hash,
        size,
        encoding_type,
        deletable,
        epoch(inner),
        n_shards(inner),
    )?;
    let encoded_size = encoding::encoded_blob_length(size, encoding_type, n_shards(inner))?;
    charge_write(inner, encoded_size, write_payment)?;
    Ok(blob)
}

/// `system_state_inner::charge_write`: `units(encoded_size) * write_price` (u64;
/// `balance::ENotEnough` when the coin is short) into the current epoch's rewards.
pub(crate) fn charge_write(
    inner: &mut SystemStateInnerV1,
    encoded_size: u64,
    payment: &mut Coin,
) -> Result<(), ExecutionFailure> {
    let price = storage_units_from_size(encoded_size)
        .checked_mul(inner.write_price_per_unit_size)
        .ok_or_else(|| errors::arithmetic(e::MODULE))?;
    let fee = coin::split(payment, price)?;
    join_rewards(ring_lookup_mut(&mut inner.future_accounting, 0)?, fee)
}

/// `system_state_inner::certify_blob`: a quorum certificate of the current committee
/// (`bls_aggregate::*`, `messages::*`), signed in the current epoch (`EInvalidIdEpoch`), then
/// `blob::certify_with_certified_msg`.
pub fn certify_blob_inner(
    view: &mut View<'_>,
    inner: &SystemStateInnerV1,
    blob: &mut BlobObject,
    signature: &[u8],
    signers_bitmap: &[u8],
    message: &[u8],
) -> Result<(), ExecutionFailure> {
    let message = certified_blob_message(inner, signature, signers_bitmap, message)?;
    blob::certify_with_certified_msg(view, blob, epoch(inner), &message)
}

/// The blob certification a quorum of the current committee signed in the current epoch
/// (`bls_aggregate::*`, then `EInvalidIdEpoch`, then `messages::*`): the first half of
/// `certify_blob` and `certify_pooled_blob`.
pub(crate) fn certified_blob_message(
    inner: &SystemStateInnerV1,
    signature: &[u8],
    signers_bitmap: &[u8],
    message: &[u8],
) -> Result<messages::CertifiedBlobMessage, ExecutionFailure> {
    let certified = bls_aggregate::verify_quorum_in_epoch(
        &inner.committee,
        signature,
        signers_bitmap,
        message,
    )?;
    e::EInvalidIdEpoch.ensure(certified.cert_epoch == epoch(inner))?;
    messages::certify_blob_message(certified)
}

/// `system_state_inner::extend_blob`: certified and not expired, `extended_epochs > 0` and the
/// new end at most `max_epochs_ahead` after the current epoch (`EInvalidEpochsAhead`);
/// charges, then accounts each added epoch, then `blob::extend_end_epoch`.
pub fn extend_blob_inner(
    view: &mut View<'_>,
    inner: &mut SystemStateInnerV1,
    blob: &mut BlobObject,
    extended_epochs: u32,
    payment: &mut Coin,
) -> Result<(), ExecutionFailure> {
    let current = epoch(inner);
    blob::assert_certified_not_expired(&blob.blob, current)?;
    e::EInvalidEpochsAhead.ensure(extended_epochs > 0)?;
    let end_offset = blob.blob.end_epoch() - current;
    e::EInvalidEpochsAhead.ensure(
        u64::from(end_offset) + u64::from(extended_epochs) <= u64::from(max_epochs_ahead(inner)),
    )?;
    let size = blob.blob.storage.storage_size;
    let to = end_offset + extended_epochs;
    charge_storage(inner, size, end_offset, to, payment)?;
    account_capacity(inner, size, end_offset, to, true)?;
    blob::extend_end_epoch(view, blob, extended_epochs, current)
}

/// Parses a verified certificate's body with `parse`, then requires it signed in the current
/// epoch (`EInvalidIdEpoch`): mainnet's order in `invalidate_blob_id`, the deny-list and the
/// protocol-version functions, so a malformed body aborts before a stale epoch does.
fn parse_in_current_epoch<T>(
    inner: &SystemStateInnerV1,
    certified: messages::CertifiedMessage,
    parse: impl FnOnce(messages::CertifiedMessage) -> Result<T, ExecutionFailure>,
) -> Result<(u32, T), ExecutionFailure> {
    let cert_epoch = certified.cert_epoch;
    let parsed = parse(certified)?;
    e::EInvalidIdEpoch.ensure(cert_epoch == epoch(inner))?;
    Ok((cert_epoch, parsed))
}

/// `system_state_inner::invalidate_blob_id`: an f+1 certificate of the current committee,
/// signed in the current epoch (`EInvalidIdEpoch`); emits `InvalidBlobID` and returns the blob
/// id.
pub fn invalidate_blob_id_inner(
    view: &mut View<'_>,
    inner: &SystemStateInnerV1,
    signature: &[u8],
    members_bitmap: &[u8],
    message: &[u8],
) -> Result<BlobId, ExecutionFailure> {
    let certified = bls_aggregate::verify_one_correct_node_in_epoch(
        &inner.committee,
        signature,
        members_bitmap,
        message,
    )?;
    let (cert_epoch, message) =
        parse_in_current_epoch(inner, certified, messages::invalid_blob_id_message)?;
    let blob_id = message.blob_id;
    blob::emit(
        view,
        ContractEvent::InvalidBlobId(InvalidBlobId {
            epoch: cert_epoch,
            blob_id,
        }),
    );
    Ok(blob_id)
}

/// Runs `f` on the sender's `StorageNodeCap` `cap_id` and the `System`, both taken by `&mut`,
/// and writes both back if it succeeds.
fn with_cap_and_system(
    view: &mut View<'_>,
    cap_id: &ObjectId,
    f: impl FnOnce(
        &mut View<'_>,
        &mut SystemObject,
        &mut super::staking::StorageNodeCap,
    ) -> Result<(), ExecutionFailure>,
) -> Result<(), ExecutionFailure> {
    let mut cap = super::staking::owned_cap(view, cap_id)?;
    let (system_id, mut system) = load(view)?;
    f(view, &mut system, &mut cap)?;
    super::staking::save_cap(view, cap);
    save(view, system_id, system);
    Ok(())
}

/// Whether the cap's node is a member of the current committee.
fn is_member(inner: &SystemStateInnerV1, cap: &super::staking::StorageNodeCap) -> bool {
    bls_aggregate::contains(&inner.committee, &cap.node_id)
}

/// `system_state_inner::update_deny_list`: the cap's node in the committee
/// (`ENotCommitteeMember`), a quorum certificate of a deny list update (intent 4) signed in the
/// current epoch (`EInvalidIdEpoch`), for the cap's node (`EIncorrectDenyListNode`) with a
/// higher sequence number (`EIncorrectDenyListSequence`). Records root, sequence and size in
/// the cap and the size in the System's deny list sizes (Move's `VecMap`: replaced in place or
/// appended); emits `DenyListUpdate`.
fn update_deny_list(
    view: &mut View<'_>,
    system: &mut SystemObject,
    cap: &mut super::staking::StorageNodeCap,
    signature: &[u8],
    members_bitmap: &[u8],
    message: &[u8],
) -> Result<(), ExecutionFailure> {
    e::ENotCommitteeMember.ensure(is_member(&system.inner, cap))?;
    let certified = bls_aggregate::verify_quorum_in_epoch(
        &system.inner.committee,
        signature,
        members_bitmap,
        message,
    )?;
    let (_, update) =
        parse_in_current_epoch(&system.inner, certified, messages::deny_list_update_message)?;
    let node_id = update.storage_node_id;
    e::EIncorrectDenyListNode.ensure(node_id == cap.node_id)?;
    e::EIncorrectDenyListSequence
        .ensure(cap.deny_list_sequence < update.deny_list_sequence_number)?;
    cap.deny_list_root = update.deny_list_root;
    cap.deny_list_sequence = update.deny_list_sequence_number;
    cap.deny_list_size = update.deny_list_size;
    *system.deny_list_sizes.get_or_insert(node_id, 0) = update.deny_list_size;
    blob::emit(
        view,
        ContractEvent::DenyListUpdate(DenyListUpdate {
            epoch: epoch(&system.inner),
            root: update.deny_list_root,
            sequence_number: update.deny_list_sequence_number,
            node_id,
        }),
    );
    Ok(())
}

/// `system_state_inner::update_protocol_version`: the cap's node in the current committee
/// (`ENotCommitteeMember`), a quorum certificate (`bls_aggregate::*`, `messages::*`) of a
/// protocol version message signed in the current epoch (`EInvalidIdEpoch`) that starts now or
/// later (`EInvalidStartEpoch`); emits `ProtocolVersionUpdated`.
pub fn update_protocol_version_inner(
    view: &mut View<'_>,
    inner: &SystemStateInnerV1,
    cap: &super::staking::StorageNodeCap,
    signature: &[u8],
    members_bitmap: &[u8],
    message: &[u8],
) -> Result<(), ExecutionFailure> {
    e::ENotCommitteeMember.ensure(is_member(inner, cap))?;
    let certified = bls_aggregate::verify_quorum_in_epoch(
        &inner.committee,
        signature,
        members_bitmap,
        message,
    )?;
    let (epoch, version) =
        parse_in_current_epoch(inner, certified, messages::protocol_version_message)?;
    e::EInvalidStartEpoch.ensure(version.start_epoch >= self::epoch(inner))?;
    blob::emit(
        view,
        ContractEvent::ProtocolVersionUpdated(ProtocolVersionUpdated {
            epoch,
            start_epoch: version.start_epoch,
            protocol_version: version.protocol_version,
        }),
    );
    Ok(())
}

/// `system_state_inner::add_subsidy`: `0 < epochs_ahead <= max` (`EInvalidEpochsAhead`);
/// `value / epochs_ahead` to each of the epochs current+1 .. current+epochs_ahead-1 and the
/// rest to the current epoch.
pub fn add_subsidy_inner(
    inner: &mut SystemStateInnerV1,
    subsidy: u64,
    epochs_ahead: u32,
) -> Result<(), ExecutionFailure> {
    e::EInvalidEpochsAhead.ensure(epochs_ahead > 0 && epochs_ahead <= max_epochs_ahead(inner))?;
    let mut balance = subsidy;
    let per_epoch = balance / u64::from(epochs_ahead);
    let mut i = epochs_ahead;
    while i > 1 {
        i -= 1;
        balance -= per_epoch;
        join_rewards(ring_lookup_mut(&mut inner.future_accounting, i)?, per_epoch)?;
    }
    join_rewards(ring_lookup_mut(&mut inner.future_accounting, 0)?, balance)
}

/// `system_state_inner::add_per_epoch_subsidies`: at most `max_epochs_ahead` values
/// (`EInvalidEpochsAhead`), `subsidies[k]` to the rewards of epoch current + k.
pub fn add_per_epoch_subsidies_inner(
    inner: &mut SystemStateInnerV1,
    subsidies: &[u64],
) -> Result<(), ExecutionFailure> {
    e::EInvalidEpochsAhead.ensure(subsidies.len() <= max_epochs_ahead(inner) as usize)?;
    for (k, amount) in (0u32..).zip(subsidies) {
        join_rewards(ring_lookup_mut(&mut inner.future_accounting, k)?, *amount)?;
    }
    Ok(())
}

/// `balance::join` into an accounting entry's rewards.
fn join_rewards(entry: &mut FutureAccounting, amount: u64) -> Result<(), ExecutionFailure> {
    entry.rewards_to_distribute = entry
        .rewards_to_distribute
        .checked_add(amount)
        .ok_or_else(|| errors::arithmetic(errors::balance::MODULE))?;
    Ok(())
}

/// `system_state_inner::account_capacity`: adds `size` to the used capacity of epochs
/// current + [from, to) (and to `used_capacity_size` for the current epoch), each then at most
/// the total capacity (`EStorageExceeded`) unless `check` is false.
pub(crate) fn account_capacity(
    inner: &mut SystemStateInnerV1,
    size: u64,
    from: u32,
    to: u32,
    check: bool,
) -> Result<(), ExecutionFailure> {
    let total = inner.total_capacity_size;
    for k in from..to {
        let entry = ring_lookup_mut(&mut inner.future_accounting, k)?;
        increase_used_capacity(entry, size)?;
        let used = entry.used_capacity;
        if k == 0 {
            inner.used_capacity_size = used;
        }
        e::EStorageExceeded.ensure(!check || used <= total)?;
    }
    Ok(())
}

/// `system_state_inner::reserve_space_without_payment`: storage for [current + from, current +
/// to), accounted but neither paid for nor checked against the capacity.
fn reserve_space_without_payment(
    inner: &mut SystemStateInnerV1,
    storage_amount: u64,
    from: u32,
    to: u32,
    new_id: contracts::ObjectId,
) -> Result<Storage, ExecutionFailure> {
    e::EInvalidEpochsAhead.ensure(to.checked_sub(from).is_some_and(|d| d > 0))?;
    e::EInvalidEpochsAhead.ensure(to <= max_epochs_ahead(inner))?;
    e::EInvalidResourceSize.ensure(storage_amount > 0)?;
    account_capacity(inner, storage_amount, from, to, false)?;
    let current = epoch(inner);
    storage_resource::create_storage(new_id, current + from, current + to, storage_amount)
}

/// `system_state_inner::certify_event_blob`: an attestation by the cap's node (in the
/// committee: `ENotCommitteeMember`) in the current epoch (`EInvalidIdEpoch`), one per blob
/// and only after its previous attested blob was certified (`ERepeatedAttestation`,
/// `EIncorrectAttestation`, unless that one is from an earlier epoch). At a quorum of weight
/// on the same blob it is registered and certified for `max_epochs_ahead` epochs without
/// payment (`BlobRegistered`, `BlobCertified`), recorded as the latest certified event blob,
/// and burned (its `Storage` and `Blob` ids are used up, no object remains).
#[allow(clippy::too_many_arguments)] // as the Move function
pub fn certify_event_blob(
    view: &mut View<'_>,
    inner: &mut SystemStateInnerV1,
    cap: &mut super::staking::StorageNodeCap,
    blob_id: BlobId,
    root_hash: &[u8; 32],
    size: u64,
    encoding_type: u8,
    ending_checkpoint_sequence_num: u64,
    cert_epoch: u32,
) -> Result<(), ExecutionFailure> {
    e::ENotCommitteeMember.ensure(is_member(inner, cap))?;
    let current = epoch(inner);
    e::EInvalidIdEpoch.ensure(cert_epoch == current)?;
    let state = &mut inner.event_blob_certification_state;
    let latest = state
        .latest_certified_blob
        .map(|b| b.ending_checkpoint_sequence_number);
    if let Some(attestation) = cap.last_event_blob_attestation {
        let earlier_epoch = attestation.epoch < current;
        let attested = attestation.checkpoint_sequence_num;
        e::ERepeatedAttestation
            .ensure(earlier_epoch || ending_checkpoint_sequence_num > attested)?;
        match latest {
            Some(latest) => e::EIncorrectAttestation.ensure(earlier_epoch || attested <= latest)?,
            None => e::EIncorrectAttestation.ensure(earlier_epoch)?,
        }
    }
    cap.last_event_blob_attestation = Some(contracts::EventBlobAttestation {
        checkpoint_sequence_num: ending_checkpoint_sequence_num,
        epoch: cert_epoch,
    });
    if latest.is_some_and(|latest| latest >= ending_checkpoint_sequence_num) {
        return Ok(());
    }
    let candidate = contracts::EventBlob {
        blob_id,
        ending_checkpoint_sequence_number: ending_checkpoint_sequence_num,
    };
    let weight = bls_aggregate::get_member_weight(&inner.committee, &cap.node_id)?;
    let tracked = state.aggregate_weight_per_blob.get_or_insert(candidate, 0);
    let aggregate = tracked
        .checked_add(weight)
        .ok_or_else(|| errors::arithmetic(errors::event_blob::MODULE))?;
    *tracked = aggregate;
    if !bls_aggregate::is_quorum(&inner.committee, aggregate) {
        return Ok(());
    }
    let n_shards = n_shards(inner);
    let encoded_size = encoding::encoded_blob_length(size, encoding_type, n_shards)?;
    let storage_id = fresh_id(view);
    let window = max_epochs_ahead(inner);
    let storage = reserve_space_without_payment(inner, encoded_size, 0, window, storage_id)?;
    let blob_object_id = fresh_id(view);
    let mut blob = blob::new(
        view,
        blob_object_id,
        storage,
        blob_id,
        root_hash,
        size,
        encoding_type,
        false,
        current,
        n_shards,
    )?;
    let message = messages::CertifiedBlobMessage {
        blob_id,
        blob_persistence_type: contracts::BlobPersistenceType::Permanent,
    };
    blob::certify_with_certified_msg(view, &mut blob, current, &message)?;
    let state = &mut inner.event_blob_certification_state;
    errors::event_blob::EInvalidSequenceNumber.ensure(
        state
            .latest_certified_blob
            .is_none_or(|b| ending_checkpoint_sequence_num > b.ending_checkpoint_sequence_number),
    )?;
    state.latest_certified_blob = Some(candidate);
    state.aggregate_weight_per_blob = contracts::staking::VecMap::default();
    // `blob.burn()`: neither the blob nor its storage remains.
    Ok(())
}

/// `system_state_inner::charge_storage`: `units(size) * storage_price` (u64) per epoch
/// current + [from, to) split from `payment` into that epoch's rewards, one epoch at a time
/// (`balance::ENotEnough` when the coin runs short; the failed transaction changes nothing).
pub(crate) fn charge_storage(
    inner: &mut SystemStateInnerV1,
    size: u64,
    from: u32,
    to: u32,
    payment: &mut Coin,
) -> Result<(), ExecutionFailure> {
    let per_epoch = storage_units_from_size(size)
        .checked_mul(inner.storage_price_per_unit_size)
        .ok_or_else(|| errors::arithmetic(e::MODULE))?;
    for k in from..to {
        let fee = coin::split(payment, per_epoch)?;
        join_rewards(ring_lookup_mut(&mut inner.future_accounting, k)?, fee)?;
    }
    Ok(())
}

// === Calls ===

/// A fresh object id for a Move value.
fn fresh_id(view: &mut View<'_>) -> contracts::ObjectId {
    to_move_id(view.new_id())
}

/// Runs `f` on the System state and the sender's WAL coin `payment` (a Move `&mut Coin<WAL>`),
/// then writes both back: the shape of every call that pays.
fn with_system_and_coin<'a, R>(
    view: &mut View<'a>,
    payment: &ObjectId,
    f: impl FnOnce(&mut View<'a>, &mut SystemStateInnerV1, &mut Coin) -> Result<R, ExecutionFailure>,
) -> Result<R, ExecutionFailure> {
    let mut coin = owned_coin(view, payment)?;
    let (system_id, mut system) = load(view)?;
    let result = f(view, &mut system.inner, &mut coin)?;
    save(view, system_id, system);
    put_owned(view, *payment, WalrusObject::WalCoin(coin));
    Ok(result)
}

/// Runs a system call.
pub fn execute(view: &mut View<'_>, call: &SystemCall) -> Result<(), ExecutionFailure> {
    match call {
        SystemCall::ReserveSpace {
            storage_amount,
            epochs_ahead,
            payment,
        } => {
            // system::reserve_space
            let storage = with_system_and_coin(view, payment, |view, inner, coin| {
                let id = fresh_id(view);
                reserve_space_inner(inner, *storage_amount, *epochs_ahead, coin, id)
            })?;
            put_owned(
                view,
                to_object_id(storage.id),
                WalrusObject::Storage(storage),
            );
            Ok(())
        }
        SystemCall::ReserveSpaceForEpochs {
            storage_amount,
            start_epoch,
            end_epoch,
            payment,
        } => {
            // system::reserve_space_for_epochs
            let storage = with_system_and_coin(view, payment, |view, inner, coin| {
                let id = fresh_id(view);
                reserve_space_for_epochs_inner(
                    inner,
                    *storage_amount,
                    *start_epoch,
                    *end_epoch,
                    coin,
                    id,
                )
            })?;
            put_owned(
                view,
                to_object_id(storage.id),
                WalrusObject::Storage(storage),
            );
            Ok(())
        }
        SystemCall::RegisterBlob {
            storage,
            blob_id,
            root_hash,
            size,
            encoding_type,
            deletable,
            write_payment,
        } => {
            // system::register_blob
            let storage_value = owned_storage(view, storage)?;
            let blob = with_system_and_coin(view, write_payment, |view, inner, coin| {
                let id = fresh_id(view);
                register_blob_inner(
                    view,
                    inner,
                    id,
                    storage_value,
                    *blob_id,
                    root_hash,
                    *size,
                    *encoding_type,
                    *deletable,
                    coin,
                )
            })?;
            view.delete(*storage); // wrapped into the blob
            put_owned(view, to_object_id(blob.blob.id), WalrusObject::Blob(blob));
            Ok(())
        }
        SystemCall::CertifyBlob {
            blob,
            signature,
            signers_bitmap,
            message,
        } => {
            // system::certify_blob
            let mut b = owned_blob(view, blob)?;
            let (_, system) = load(view)?;
            certify_blob_inner(
                view,
                &system.inner,
                &mut b,
                signature,
                signers_bitmap,
                message,
            )?;
            put_owned(view, *blob, WalrusObject::Blob(b));
            Ok(())
        }
        SystemCall::ExtendBlob {
            blob,
            extended_epochs,
            payment,
        } => {
            // system::extend_blob
            let mut b = owned_blob(view, blob)?;
            with_system_and_coin(view, payment, |view, inner, coin| {
                extend_blob_inner(view, inner, &mut b, *extended_epochs, coin)
            })?;
            put_owned(view, *blob, WalrusObject::Blob(b));
            Ok(())
        }
        SystemCall::ExtendBlobWithResource { blob, extension } => {
            // system::extend_blob_with_resource
            let mut b = owned_blob(view, blob)?;
            let ext = owned_storage(view, extension)?;
            let (_, system) = load(view)?;
            blob::extend_with_resource(view, &mut b, ext, epoch(&system.inner))?;
            view.delete(*extension);
            put_owned(view, *blob, WalrusObject::Blob(b));
            Ok(())
        }
        SystemCall::DeleteBlob { blob } => {
            // system::delete_blob
            let b = owned_blob(view, blob)?;
            let (_, system) = load(view)?;
            let storage = blob::delete(view, b, epoch(&system.inner))?;
            view.delete(*blob);
            put_owned(
                view,
                to_object_id(storage.id),
                WalrusObject::Storage(storage),
            );
            Ok(())
        }
        SystemCall::BurnBlob { blob } => {
            // blob::burn: the blob, its attributes and its storage are destroyed.
            owned_blob(view, blob)?;
            view.delete(*blob);
            Ok(())
        }
        SystemCall::InvalidateBlobId {
            signature,
            members_bitmap,
            message,
        } => {
            // system::invalidate_blob_id
            let (_, system) = load(view)?;
            invalidate_blob_id_inner(view, &system.inner, signature, members_bitmap, message)?;
            Ok(())
        }
        SystemCall::CertifyEventBlob {
            cap,
            blob_id,
            root_hash,
            size,
            encoding_type,
            ending_checkpoint_sequence_num,
            epoch,
        } => {
            // system::certify_event_blob
            with_cap_and_system(view, cap, |view, system, cap| {
                certify_event_blob(
                    view,
                    &mut system.inner,
                    cap,
                    *blob_id,
                    root_hash,
                    *size,
                    *encoding_type,
                    *ending_checkpoint_sequence_num,
                    *epoch,
                )
            })
        }
        SystemCall::RegisterDenyListUpdate {
            cap,
            deny_list_root,
            deny_list_sequence,
        } => {
            // system::register_deny_list_update (`&mut System`: written back)
            let cap = super::staking::owned_cap(view, cap)?;
            let (system_id, system) = load(view)?;
            e::ENotCommitteeMember.ensure(is_member(&system.inner, &cap))?;
            e::EIncorrectDenyListSequence.ensure(*deny_list_sequence > cap.deny_list_sequence)?;
            blob::emit(
                view,
                ContractEvent::RegisterDenyListUpdate(RegisterDenyListUpdate {
                    epoch: epoch(&system.inner),
                    root: *deny_list_root,
                    sequence_number: *deny_list_sequence,
                    node_id: cap.node_id,
                }),
            );
            save(view, system_id, system);
            Ok(())
        }
        SystemCall::UpdateDenyList {
            cap,
            signature,
            members_bitmap,
            message,
        } => {
            // system::update_deny_list
            with_cap_and_system(view, cap, |view, system, cap| {
                update_deny_list(view, system, cap, signature, members_bitmap, message)
            })
        }
        SystemCall::DeleteDenyListedBlob {
            signature,
            members_bitmap,
            message,
        } => {
            // system::delete_deny_listed_blob (`&System`)
            let (_, system) = load(view)?;
            let certified = bls_aggregate::verify_one_correct_node_in_epoch(
                &system.inner.committee,
                signature,
                members_bitmap,
                message,
            )?;
            let (cert_epoch, deleted) = parse_in_current_epoch(
                &system.inner,
                certified,
                messages::deny_list_blob_deleted_message,
            )?;
            blob::emit(
                view,
                ContractEvent::DenyListBlobDeleted(DenyListBlobDeleted {
                    epoch: cert_epoch,
                    blob_id: deleted.blob_id,
                }),
            );
            Ok(())
        }
        SystemCall::UpdateProtocolVersion {
            cap,
            signature,
            members_bitmap,
            message,
        } => {
            // system::update_protocol_version (`&mut System`: written back)
            let cap = super::staking::owned_cap(view, cap)?;
            let (system_id, system) = load(view)?;
            update_protocol_version_inner(
                view,
                &system.inner,
                &cap,
                signature,
                members_bitmap,
                message,
            )?;
            save(view, system_id, system);
            Ok(())
        }
        SystemCall::AddSubsidy {
            subsidy,
            epochs_ahead,
        } => {
            // system::add_subsidy
            let value = owned_coin(view, subsidy)?.balance;
            let (system_id, mut system) = load(view)?;
            add_subsidy_inner(&mut system.inner, value, *epochs_ahead)?;
            save(view, system_id, system);
            view.delete(*subsidy);
            Ok(())
        }
        SystemCall::AddPerEpochSubsidies { subsidies } => {
            // system::add_per_epoch_subsidies
            let values = coin::take_coins(view, subsidies)?;
            let (system_id, mut system) = load(view)?;
            add_per_epoch_subsidies_inner(&mut system.inner, &values)?;
            save(view, system_id, system);
            Ok(())
        }
        SystemCall::AddMetadata { blob, pairs } => {
            // blob::add_metadata(blob, metadata built with metadata::new + insert_or_update)
            blob_metadata(view, blob, MetadataOp::Add(pairs.clone()))
        }
        SystemCall::AddOrReplaceMetadata { blob, pairs } => {
            // blob::add_or_replace_metadata
            blob_metadata(view, blob, MetadataOp::AddOrReplace(pairs.clone()))
        }
        SystemCall::TakeMetadata { blob } => {
            // blob::take_metadata
            blob_metadata(view, blob, MetadataOp::Take)
        }
        SystemCall::InsertOrUpdateMetadataPair { blob, key, value } => {
            // blob::insert_or_update_metadata_pair
            let (key, value) = (key.clone(), value.clone());
            blob_metadata(view, blob, MetadataOp::InsertOrUpdatePair { key, value })
        }
        SystemCall::RemoveMetadataPair { blob, key } => {
            // blob::remove_metadata_pair
            blob_metadata(view, blob, MetadataOp::RemovePair { key: key.clone() })
        }
        SystemCall::RemoveMetadataPairIfExists { blob, key } => {
            // blob::remove_metadata_pair_if_exists
            blob_metadata(
                view,
                blob,
                MetadataOp::RemovePairIfExists { key: key.clone() },
            )
        }
        SystemCall::SplitStorageByEpoch {
            storage,
            split_epoch,
        } => {
            // storage_resource::split_by_epoch
            let mut s = owned_storage(view, storage)?;
            let id = fresh_id(view);
            let new = storage_resource::split_by_epoch(&mut s, *split_epoch, id)?;
            put_owned(view, *storage, WalrusObject::Storage(s));
            put_owned(view, to_object_id(id), WalrusObject::Storage(new));
            Ok(())
        }
        SystemCall::SplitStorageBySize {
            storage,
            split_size,
        } => {
            // storage_resource::split_by_size
            let mut s = owned_storage(view, storage)?;
            let id = fresh_id(view);
            let new = storage_resource::split_by_size(&mut s, *split_size, id)?;
            put_owned(view, *storage, WalrusObject::Storage(s));
            put_owned(view, to_object_id(id), WalrusObject::Storage(new));
            Ok(())
        }
        SystemCall::FusePeriods { first, second } => {
            // storage_resource::fuse_periods
            fuse_call(view, first, second, storage_resource::fuse_periods)
        }
        SystemCall::FuseAmount { first, second } => {
            // storage_resource::fuse_amount
            fuse_call(view, first, second, storage_resource::fuse_amount)
        }
        SystemCall::FuseStorage { first, second } => {
            // storage_resource::fuse
            fuse_call(view, first, second, storage_resource::fuse)
        }
        SystemCall::DestroyStorage { storage } => {
            // storage_resource::destroy
            owned_storage(view, storage)?;
            view.delete(*storage);
            Ok(())
        }
        SystemCall::CreateStoragePool {
            reserved_encoded_capacity_bytes,
            epochs_ahead,
            payment,
        } => {
            // system::create_storage_pool
            let pool = with_system_and_coin(view, payment, |view, inner, coin| {
                let id = fresh_id(view);
                let storage = reserve_space_inner(
                    inner,
                    *reserved_encoded_capacity_bytes,
                    *epochs_ahead,
                    coin,
                    id,
                )?;
                storage_pool::create_with_storage(view, inner, storage)
            })?;
            put_owned(
                view,
                to_object_id(pool.pool.id),
                WalrusObject::StoragePool(pool),
            );
            Ok(())
        }
        SystemCall::CreateStoragePoolWithStorage { storage } => {
            // system::create_storage_pool_with_storage
            let s = owned_storage(view, storage)?;
            let (_, system) = load(view)?;
            let pool = storage_pool::create_with_storage(view, &system.inner, s)?;
            view.delete(*storage); // wrapped into the pool
            put_owned(
                view,
                to_object_id(pool.pool.id),
                WalrusObject::StoragePool(pool),
            );
            Ok(())
        }
        SystemCall::RegisterPooledBlob {
            storage_pool,
            blob_id,
            root_hash,
            unencoded_size,
            encoding_type,
            deletable,
            write_payment,
        } => {
            // system::register_pooled_blob
            let mut pool = storage_pool::owned_pool(view, storage_pool)?;
            with_system_and_coin(view, write_payment, |view, inner, coin| {
                storage_pool::register_pooled_blob(
                    view,
                    inner,
                    &mut pool,
                    *blob_id,
                    root_hash,
                    *unencoded_size,
                    *encoding_type,
                    *deletable,
                    coin,
                )
            })?;
            put_owned(view, *storage_pool, WalrusObject::StoragePool(pool));
            Ok(())
        }
        SystemCall::CertifyPooledBlob {
            storage_pool,
            blob_id,
            signature,
            signers_bitmap,
            message,
        } => {
            // system::certify_pooled_blob
            let mut pool = storage_pool::owned_pool(view, storage_pool)?;
            let (_, system) = load(view)?;
            storage_pool::certify_pooled_blob(
                view,
                &system.inner,
                &mut pool,
                blob_id,
                signature,
                signers_bitmap,
                message,
            )?;
            put_owned(view, *storage_pool, WalrusObject::StoragePool(pool));
            Ok(())
        }
        SystemCall::DeletePooledBlob {
            storage_pool,
            blob_id,
        } => {
            // system::delete_pooled_blob
            let mut pool = storage_pool::owned_pool(view, storage_pool)?;
            let (_, system) = load(view)?;
            storage_pool::delete_pooled_blob(view, &system.inner, &mut pool, blob_id)?;
            put_owned(view, *storage_pool, WalrusObject::StoragePool(pool));
            Ok(())
        }
        SystemCall::BurnExpiredPooledBlob {
            storage_pool,
            blob_id,
        } => {
            // system::burn_expired_pooled_blob
            let mut pool = storage_pool::owned_pool(view, storage_pool)?;
            let (_, system) = load(view)?;
            storage_pool::burn_expired_pooled_blob(&system.inner, &mut pool, blob_id)?;
            put_owned(view, *storage_pool, WalrusObject::StoragePool(pool));
            Ok(())
        }
        SystemCall::ExtendStoragePool {
            storage_pool,
            extended_epochs,
            payment,
        } => {
            // system::extend_storage_pool
            let mut pool = storage_pool::owned_pool(view, storage_pool)?;
            with_system_and_coin(view, payment, |view, inner, coin| {
                storage_pool::extend_storage_pool(view, inner, &mut pool, *extended_epochs, coin)
            })?;
            put_owned(view, *storage_pool, WalrusObject::StoragePool(pool));
            Ok(())
        }
        SystemCall::IncreaseStoragePoolCapacity {
            storage_pool,
            additional_encoded_capacity_bytes,
            payment,
        } => {
            // system::increase_storage_pool_capacity
            let mut pool = storage_pool::owned_pool(view, storage_pool)?;
            with_system_and_coin(view, payment, |_, inner, coin| {
                storage_pool::increase_storage_pool_capacity(
                    inner,
                    &mut pool,
                    *additional_encoded_capacity_bytes,
                    coin,
                )
            })?;
            put_owned(view, *storage_pool, WalrusObject::StoragePool(pool));
            Ok(())
        }
        SystemCall::IncreaseStoragePoolCapacityWithStorage {
            storage_pool,
            storage,
        } => {
            // system::increase_storage_pool_capacity_with_storage
            let mut pool = storage_pool::owned_pool(view, storage_pool)?;
            let s = owned_storage(view, storage)?;
            let (_, system) = load(view)?;
            storage_pool::increase_storage_pool_capacity_with_storage(
                &system.inner,
                &mut pool,
                &s,
            )?;
            view.delete(*storage);
            put_owned(view, *storage_pool, WalrusObject::StoragePool(pool));
            Ok(())
        }
        SystemCall::DecreaseStoragePoolCapacityBySize { storage_pool, size } => {
            // system::decrease_storage_pool_capacity_by_size
            let mut pool = storage_pool::owned_pool(view, storage_pool)?;
            let (_, system) = load(view)?;
            let storage = storage_pool::decrease_storage_pool_capacity_by_size(
                view,
                &system.inner,
                &mut pool,
                *size,
            )?;
            put_owned(view, *storage_pool, WalrusObject::StoragePool(pool));
            put_owned(
                view,
                to_object_id(storage.id),
                WalrusObject::Storage(storage),
            );
            Ok(())
        }
        SystemCall::DecreaseStoragePoolUnusedCapacityByPercent {
            storage_pool,
            percent,
        } => {
            // system::decrease_storage_pool_unused_capacity_by_percent
            let mut pool = storage_pool::owned_pool(view, storage_pool)?;
            let (_, system) = load(view)?;
            let storage = storage_pool::decrease_storage_pool_unused_capacity_by_percent(
                view,
                &system.inner,
                &mut pool,
                *percent,
            )?;
            put_owned(view, *storage_pool, WalrusObject::StoragePool(pool));
            put_owned(
                view,
                to_object_id(storage.id),
                WalrusObject::Storage(storage),
            );
            Ok(())
        }
        SystemCall::PooledBlobMetadata {
            storage_pool,
            blob_id,
            op,
        } => {
            // storage_pool::add_blob_metadata, ..., remove_blob_metadata_pair_if_exists
            let mut pool = storage_pool::owned_pool(view, storage_pool)?;
            let pooled = pool.blob_mut(blob_id)?;
            op.apply(
                &mut pooled.metadata,
                storage_pool::POOLED_BLOB_METADATA_CODES,
            )?;
            put_owned(view, *storage_pool, WalrusObject::StoragePool(pool));
            Ok(())
        }
        SystemCall::DestroyStoragePool { storage_pool } => {
            // storage_pool::destroy
            let pool = storage_pool::owned_pool(view, storage_pool)?;
            let storage = storage_pool::destroy(pool)?;
            view.delete(*storage_pool);
            put_owned(
                view,
                to_object_id(storage.id),
                WalrusObject::Storage(storage),
            );
            Ok(())
        }
        SystemCall::SharedBlobNew { blob } => {
            // shared_blob::new
            let b = owned_blob(view, blob)?;
            shared_blob::new(view, *blob, b, None)
        }
        SystemCall::SharedBlobNewFunded { blob, funds } => {
            // shared_blob::new_funded
            let b = owned_blob(view, blob)?;
            let value = owned_coin(view, funds)?.balance;
            view.delete(*funds);
            shared_blob::new(view, *blob, b, Some(value))
        }
        SystemCall::SharedBlobFund {
            shared_blob,
            added_funds,
        } => {
            // shared_blob::fund
            let value = owned_coin(view, added_funds)?.balance;
            view.delete(*added_funds);
            shared_blob::fund(view, shared_blob, value)
        }
        SystemCall::SharedBlobExtend {
            shared_blob,
            extended_epochs,
        } => {
            // shared_blob::extend
            shared_blob::extend(view, shared_blob, *extended_epochs)
        }
    }
}

/// Runs one of `blob`'s attribute functions on the sender's blob.
fn blob_metadata(
    view: &mut View<'_>,
    id: &ObjectId,
    op: MetadataOp,
) -> Result<(), ExecutionFailure> {
    let mut b = owned_blob(view, id)?;
    op.apply(&mut b.metadata, blob::BLOB_METADATA_CODES)?;
    put_owned(view, *id, WalrusObject::Blob(b));
    Ok(())
}

fn fuse_call(
    view: &mut View<'_>,
    first: &ObjectId,
    second: &ObjectId,
    fuse: fn(&mut Storage, Storage) -> Result<(), ExecutionFailure>,
) -> Result<(), ExecutionFailure> {
    let mut a = owned_storage(view, first)?;
    if first == second {
        // Move cannot take the same object twice.
        return Err(errors::input::EWrongObjectType.fail_with("fusing a storage with itself"));
    }
    let b = owned_storage(view, second)?;
    fuse(&mut a, b)?;
    view.delete(*second);
    put_owned(view, *first, WalrusObject::Storage(a));
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ring_pops_and_expands_like_move() {
        let mut ring = ring_new(3).unwrap();
        ring_lookup_mut(&mut ring, 1).unwrap().used_capacity = 5;
        ring_lookup_mut(&mut ring, 2).unwrap().rewards_to_distribute = 7;
        let popped = ring_pop_expand(&mut ring).unwrap();
        assert_eq!(popped.epoch, 0);
        assert_eq!(ring.current_index, 1);
        assert_eq!(ring_lookup(&ring, 0).unwrap().epoch, 1);
        assert_eq!(ring_lookup(&ring, 0).unwrap().used_capacity, 5);
        assert_eq!(ring_lookup(&ring, 1).unwrap().rewards_to_distribute, 7);
        assert_eq!(ring_lookup(&ring, 2).unwrap().epoch, 3);
        assert_eq!(ring.ring_buffer[0].epoch, 3);
        assert!(acc_err::ETooFarInFuture.matches(&ring_lookup(&ring, 3).unwrap_err()));
        assert!(acc_err::EZeroLength.matches(&ring_new(0).unwrap_err()));
        assert_eq!(storage_units_from_size(0), 0);
        assert_eq!(storage_units_from_size(1), 1);
        assert_eq!(storage_units_from_size(BYTES_PER_UNIT_SIZE + 1), 2);
    }
}
