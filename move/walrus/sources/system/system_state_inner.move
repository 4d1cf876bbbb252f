/// The state of the Walrus system (version 1), stored as a dynamic field of `system::System`:
/// the committee and epoch, capacity, prices and the future accounting. All blob-lifecycle
/// checks and payments happen here; `system` only dispatches.
module walrus::system_state_inner;

use sui::balance::Balance;
use sui::coin::Coin;
use sui::vec_map::{Self, VecMap};
use wal::wal::WAL;
use walrus::blob::{Self, Blob};
use walrus::bls_aggregate::{Self, BlsCommittee};
use walrus::encoding;
use walrus::epoch_parameters::EpochParams;
use walrus::event_blob::{Self, EventBlobCertificationState};
use walrus::events;
use walrus::extended_field::{Self, ExtendedField};
use walrus::messages;
use walrus::storage_accounting::{Self, FutureAccountingRingBuffer};
use walrus::storage_node::StorageNodeCap;
use walrus::storage_pool::{Self, StoragePool};
use walrus::storage_resource::{Self, Storage};

// === Constants ===

/// The largest allowed `max_epochs_ahead`.
const MAX_MAX_EPOCHS_AHEAD: u32 = 1000;
/// Bytes per storage unit (1 MiB of encoded size).
const BYTES_PER_UNIT_SIZE: u64 = 1_048_576;
/// Share of an epoch's rewards burned at the epoch change, in basis points (3%).
const BURN_BPS: u64 = 300;
/// Basis points in one.
const BPS_DENOMINATOR: u64 = 10_000;

// === Errors (numbered as in Walrus mainnet) ===

/// `max_epochs_ahead` is zero or above 1000.
const EInvalidMaxEpochsAhead: u64 = 0;
/// The reservation would exceed the total capacity in some epoch.
const EStorageExceeded: u64 = 1;
/// The number of epochs is zero, or the period ends more than `max_epochs_ahead` epochs after
/// the current epoch.
const EInvalidEpochsAhead: u64 = 2;
/// A certified message was signed in another epoch than the current one.
const EInvalidIdEpoch: u64 = 3;
/// The new committee's epoch is not the current epoch + 1.
const EIncorrectCommittee: u64 = 4;
/// The accounting entry popped at an epoch change is not the ending epoch's.
const EInvalidAccountingEpoch: u64 = 5;
/// An attestation of a blob while the node's previous attestation is not certified yet.
const EIncorrectAttestation: u64 = 6;
/// A node attested a blob that does not end after the one it attested before.
const ERepeatedAttestation: u64 = 7;
/// The storage node is not a member of the current committee.
const ENotCommitteeMember: u64 = 8;
/// A deny list update's sequence number is not above the node's current one.
const EIncorrectDenyListSequence: u64 = 9;
/// A certified deny list update is for another node than the cap's.
const EIncorrectDenyListNode: u64 = 10;
/// The storage size is zero.
const EInvalidResourceSize: u64 = 11;
/// A protocol version would take effect in an epoch that has passed.
const EInvalidStartEpoch: u64 = 12;

// === Object definitions ===

/// The system state, version 1.
public struct SystemStateInnerV1 has store {
    /// The current committee; its epoch is the current epoch.
    committee: BlsCommittee,
    /// Maximum encoded bytes reservable per epoch.
    total_capacity_size: u64,
    /// Encoded bytes reserved for the current epoch.
    used_capacity_size: u64,
    /// FROST per 1 MiB encoded unit per epoch.
    storage_price_per_unit_size: u64,
    /// FROST per 1 MiB encoded unit, once at registration.
    write_price_per_unit_size: u64,
    /// Used capacity and rewards for the current and the next `max_epochs_ahead - 1` epochs.
    future_accounting: FutureAccountingRingBuffer,
    /// Event blobs: the latest certified one and this epoch's attestations.
    event_blob_certification_state: EventBlobCertificationState,
    /// Node id -> encoded size of the blobs on its deny list (certified updates only).
    deny_list_sizes: ExtendedField<VecMap<ID, u64>>,
}

// === Public-Package functions: lifecycle ===

/// An empty system in epoch 0: empty committee, zero capacity and zero prices.
public(package) fun create_empty(max_epochs_ahead: u32, ctx: &mut TxContext): SystemStateInnerV1 {
    assert!(
        max_epochs_ahead > 0 && max_epochs_ahead <= MAX_MAX_EPOCHS_AHEAD,
        EInvalidMaxEpochsAhead,
    );
    SystemStateInnerV1 {
        committee: bls_aggregate::new_bls_committee(0, vector[]),
        total_capacity_size: 0,
        used_capacity_size: 0,
        storage_price_per_unit_size: 0,
        write_price_per_unit_size: 0,
        future_accounting: storage_accounting::ring_new(max_epochs_ahead),
        event_blob_certification_state: event_blob::create_with_empty_state(),
        deny_list_sizes: extended_field::new(vec_map::empty(), ctx),
    }
}

/// Starts the epoch of `new_committee` (which must be the current epoch + 1): pops the ending
/// epoch's accounting, sets the capacity to max(voted capacity, used capacity of the new
/// epoch) and returns the ending epoch's rewards split over the old committee, keyed by node
/// id. Node i receives floor(rewards * weight_i / n_shards) when the ending epoch had used
/// capacity; the remainder (all of it when nothing was stored or the committee was empty)
/// rolls over into the new epoch's rewards.
public(package) fun advance_epoch(
    self: &mut SystemStateInnerV1,
    new_committee: BlsCommittee,
    new_epoch_params: &EpochParams,
): VecMap<ID, Balance<WAL>> {
    assert!(new_committee.epoch() == self.epoch() + 1, EIncorrectCommittee);
    let old_committee = self.committee;
    self.committee = new_committee;

    let ending = self.future_accounting.ring_pop_expand();
    assert!(ending.epoch() == self.epoch() - 1, EInvalidAccountingEpoch);
    self.event_blob_certification_state.reset();
    let (used_capacity, mut rewards) = ending.delete();
    self.used_capacity_size = self.future_accounting.ring_lookup(0).used_capacity();
    self.total_capacity_size = new_epoch_params.capacity().max(self.used_capacity_size);

    // Node i is paid for what it stored: weight_i * (used - deny list size_i), over the sum
    // of these (at least 1); the remainder rolls over.
    let deny_list_sizes = self.deny_list_sizes.borrow();
    let mut stored = vector[];
    let mut total_stored: u128 = 0;
    old_committee.members().do_ref!(|member| {
        let node_id = member.node_id();
        let denied = if (deny_list_sizes.contains(&node_id)) *deny_list_sizes.get(&node_id) else 0;
        let weighted = (member.weight() as u128) * ((used_capacity - denied.min(used_capacity)) as u128);
        total_stored = total_stored + weighted;
        stored.push_back(weighted);
    });
    let total_stored = total_stored.max(1);
    let total_rewards = rewards.value() as u128;
    let mut node_rewards = vec_map::empty();
    old_committee.members().length().do!(|i| {
        let share = (stored[i] * total_rewards / total_stored) as u64;
        node_rewards.insert(old_committee.members()[i].node_id(), rewards.split(share));
    });
    self.future_accounting.ring_lookup_mut(0).rewards_balance().join(rewards);
    node_rewards
}

/// Splits off the burn share (3%, rounded down) of the current epoch's rewards.
public(package) fun extract_burn_balance(self: &mut SystemStateInnerV1): Balance<WAL> {
    let rewards = self.future_accounting.ring_lookup_mut(0).rewards_balance();
    let amount = rewards.value() * BURN_BPS / BPS_DENOMINATOR;
    rewards.split(amount)
}

/// Sets the storage and write prices (no event; the caller emits `PricesUpdated`).
public(package) fun set_prices(self: &mut SystemStateInnerV1, storage_price: u64, write_price: u64) {
    self.storage_price_per_unit_size = storage_price;
    self.write_price_per_unit_size = write_price;
}

/// Sets the total capacity.
public(package) fun set_total_capacity_size(self: &mut SystemStateInnerV1, capacity: u64) {
    self.total_capacity_size = capacity;
}

// === Public-Package functions: blob lifecycle ===

/// Reserves `storage_amount` encoded bytes for the current epoch and the next
/// `epochs_ahead - 1` epochs, paying the storage price from `payment`.
public(package) fun reserve_space(
    self: &mut SystemStateInnerV1,
    storage_amount: u64,
    epochs_ahead: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): Storage {
    assert!(
        epochs_ahead > 0 && epochs_ahead <= self.future_accounting.max_epochs_ahead(),
        EInvalidEpochsAhead,
    );
    let start_epoch = self.epoch();
    self.reserve_space_for_epochs(storage_amount, start_epoch, start_epoch + epochs_ahead, payment, ctx)
}

/// Reserves `storage_amount` encoded bytes for [max(start_epoch, current), end_epoch), paying
/// the storage price per epoch from `payment`.
public(package) fun reserve_space_for_epochs(
    self: &mut SystemStateInnerV1,
    storage_amount: u64,
    start_epoch: u32,
    end_epoch: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): Storage {
    let current = self.epoch();
    let start_epoch = start_epoch.max(current);
    assert!(end_epoch > start_epoch, EInvalidEpochsAhead);
    assert!(end_epoch - current <= self.future_accounting.max_epochs_ahead(), EInvalidEpochsAhead);
    self.charge_storage(storage_amount, start_epoch - current, end_epoch - current, payment);
    assert!(storage_amount > 0, EInvalidResourceSize);
    self.account_capacity(storage_amount, start_epoch - current, end_epoch - current, true);
    storage_resource::create_storage(start_epoch, end_epoch, storage_amount, ctx)
}

/// Registers a blob with `storage`, checking it and the blob id (see `blob::new`), and charges
/// the write price for its encoded size into the current epoch's rewards.
public(package) fun register_blob(
    self: &mut SystemStateInnerV1,
    storage: Storage,
    blob_id: u256,
    root_hash: u256,
    size: u64,
    encoding_type: u8,
    deletable: bool,
    write_payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): Blob {
    let blob = blob::new(
        storage,
        blob_id,
        root_hash,
        size,
        encoding_type,
        deletable,
        self.epoch(),
        self.n_shards(),
        ctx,
    );
    let encoded_size = encoding::encoded_blob_length(size, encoding_type, self.n_shards());
    self.charge_write(encoded_size, write_payment);
    blob
}

/// Certifies `blob` with a quorum certificate of the current committee.
public(package) fun certify_blob(
    self: &SystemStateInnerV1,
    blob: &mut Blob,
    signature: vector<u8>,
    signers_bitmap: vector<u8>,
    message: vector<u8>,
) {
    let certified = self.committee.verify_quorum_in_epoch(signature, signers_bitmap, message);
    assert!(certified.cert_epoch() == self.epoch(), EInvalidIdEpoch);
    blob.certify_with_certified_msg(self.epoch(), certified.certify_blob_message());
}

/// Deletes a deletable blob and returns its storage.
public(package) fun delete_blob(self: &SystemStateInnerV1, blob: Blob): Storage {
    blob.delete(self.epoch())
}

/// Extends a certified blob by `extended_epochs`, paying the storage price for each added epoch.
public(package) fun extend_blob(
    self: &mut SystemStateInnerV1,
    blob: &mut Blob,
    extended_epochs: u32,
    payment: &mut Coin<WAL>,
) {
    let current = self.epoch();
    blob.assert_certified_not_expired(current);
    assert!(extended_epochs > 0, EInvalidEpochsAhead);
    let end_offset = blob.end_epoch() - current;
    assert!(
        (end_offset as u64) + (extended_epochs as u64)
            <= (self.future_accounting.max_epochs_ahead() as u64),
        EInvalidEpochsAhead,
    );
    let size = blob.storage().size();
    self.charge_storage(size, end_offset, end_offset + extended_epochs, payment);
    self.account_capacity(size, end_offset, end_offset + extended_epochs, true);
    blob.extend_end_epoch(extended_epochs, current);
}

/// Extends a certified blob with a `Storage` starting at its end epoch.
public(package) fun extend_blob_with_resource(
    self: &SystemStateInnerV1,
    blob: &mut Blob,
    extension: Storage,
) {
    blob.extend_with_resource(extension, self.epoch());
}

// === Public-Package functions: storage pools ===

/// Reserves `reserved_encoded_capacity_bytes` for `epochs_ahead` epochs (as `reserve_space`,
/// paid from `payment`) and makes it a pool.
public(package) fun create_storage_pool(
    self: &mut SystemStateInnerV1,
    reserved_encoded_capacity_bytes: u64,
    epochs_ahead: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): StoragePool {
    let storage = self.reserve_space(reserved_encoded_capacity_bytes, epochs_ahead, payment, ctx);
    self.create_storage_pool_with_storage(storage, ctx)
}

/// Makes a non-empty (`EInvalidResourceSize`) `storage` that has started and not expired
/// (`EInvalidEpochsAhead`) a pool; emits `StoragePoolCreated`.
public(package) fun create_storage_pool_with_storage(
    self: &SystemStateInnerV1,
    storage: Storage,
    ctx: &mut TxContext,
): StoragePool {
    assert!(storage.size() > 0, EInvalidResourceSize);
    assert!(storage.start_epoch() <= self.epoch(), EInvalidEpochsAhead);
    assert!(storage.end_epoch() > self.epoch(), EInvalidEpochsAhead);
    let pool = storage_pool::create(storage, ctx);
    events::emit_storage_pool_created(
        self.epoch(),
        pool.object_id(),
        pool.reserved_encoded_capacity_bytes(),
        pool.start_epoch(),
        pool.end_epoch(),
    );
    pool
}

/// Registers a blob against a pool in its period (`EInvalidEpochsAhead`), taking its encoded
/// size from the pool's capacity and charging the write price into the current epoch's
/// rewards.
public(package) fun register_pooled_blob(
    self: &mut SystemStateInnerV1,
    storage_pool: &mut StoragePool,
    blob_id: u256,
    root_hash: u256,
    unencoded_size: u64,
    encoding_type: u8,
    deletable: bool,
    write_payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
) {
    assert!(self.epoch() >= storage_pool.start_epoch(), EInvalidEpochsAhead);
    assert!(self.epoch() < storage_pool.end_epoch(), EInvalidEpochsAhead);
    let pooled_blob = storage_pool::new_pooled_blob(
        storage_pool.object_id(),
        blob_id,
        root_hash,
        unencoded_size,
        encoding_type,
        deletable,
        self.epoch(),
        ctx,
    );
    let encoded_size = encoding::encoded_blob_length(unencoded_size, encoding_type, self.n_shards());
    storage_pool.add_blob(pooled_blob, encoded_size);
    self.charge_write(encoded_size, write_payment);
}

/// Deletes a deletable pooled blob of a pool that has not expired (`EInvalidEpochsAhead`),
/// freeing its bytes in the pool.
public(package) fun delete_pooled_blob(
    self: &SystemStateInnerV1,
    storage_pool: &mut StoragePool,
    blob_id: u256,
) {
    assert!(storage_pool.end_epoch() > self.epoch(), EInvalidEpochsAhead);
    let pooled_blob = storage_pool.remove_blob(blob_id, self.n_shards());
    storage_pool::delete_blob_object(pooled_blob, self.epoch());
}

/// Destroys any blob of an expired pool (`EInvalidEpochsAhead` while it has not expired).
public(package) fun burn_expired_pooled_blob(
    self: &SystemStateInnerV1,
    storage_pool: &mut StoragePool,
    blob_id: u256,
) {
    assert!(storage_pool.end_epoch() <= self.epoch(), EInvalidEpochsAhead);
    let pooled_blob = storage_pool.remove_blob(blob_id, self.n_shards());
    storage_pool::burn_blob_object(pooled_blob);
}

/// Extends a pool that has not expired by `extended_epochs` > 0, at most `max_epochs_ahead`
/// from now (`EInvalidEpochsAhead`), paying its whole capacity for each added epoch; emits
/// `StoragePoolExtended`.
public(package) fun extend_storage_pool(
    self: &mut SystemStateInnerV1,
    storage_pool: &mut StoragePool,
    extended_epochs: u32,
    payment: &mut Coin<WAL>,
) {
    assert!(extended_epochs > 0, EInvalidEpochsAhead);
    assert!(storage_pool.end_epoch() > self.epoch(), EInvalidEpochsAhead);
    let from = storage_pool.end_epoch() - self.epoch();
    let to = from + extended_epochs;
    assert!(to <= self.future_accounting.max_epochs_ahead(), EInvalidEpochsAhead);
    let capacity = storage_pool.reserved_encoded_capacity_bytes();
    self.charge_storage(capacity, from, to, payment);
    self.account_capacity(capacity, from, to, true);
    storage_pool.extend_end_epoch(extended_epochs);
    events::emit_storage_pool_extended(self.epoch(), storage_pool.object_id(), storage_pool.end_epoch());
}

/// Adds `additional_encoded_capacity_bytes` > 0 (`EInvalidResourceSize`) to a pool that has not
/// expired (`EInvalidEpochsAhead`), paid for every epoch from now to the pool's end.
public(package) fun increase_storage_pool_capacity(
    self: &mut SystemStateInnerV1,
    storage_pool: &mut StoragePool,
    additional_encoded_capacity_bytes: u64,
    payment: &mut Coin<WAL>,
) {
    assert!(additional_encoded_capacity_bytes > 0, EInvalidResourceSize);
    assert!(storage_pool.end_epoch() > self.epoch(), EInvalidEpochsAhead);
    let remaining = storage_pool.end_epoch() - self.epoch();
    self.charge_storage(additional_encoded_capacity_bytes, 0, remaining, payment);
    self.account_capacity(additional_encoded_capacity_bytes, 0, remaining, true);
    storage_pool.increase_reserved_encoded_capacity(additional_encoded_capacity_bytes);
}

/// Absorbs `storage` into a pool that has not expired (`EInvalidEpochsAhead`); see
/// `storage_pool::increase_capacity_with_storage`.
public(package) fun increase_storage_pool_capacity_with_storage(
    self: &SystemStateInnerV1,
    storage_pool: &mut StoragePool,
    storage: Storage,
) {
    assert!(storage_pool.end_epoch() > self.epoch(), EInvalidEpochsAhead);
    storage_pool.increase_capacity_with_storage(storage, self.epoch());
}

/// Splits `size` unused bytes off a pool that has not expired (`EInvalidEpochsAhead`); none
/// when `size` is zero.
public(package) fun decrease_storage_pool_capacity_by_size(
    self: &SystemStateInnerV1,
    storage_pool: &mut StoragePool,
    size: u64,
    ctx: &mut TxContext,
): Option<Storage> {
    assert!(storage_pool.end_epoch() > self.epoch(), EInvalidEpochsAhead);
    storage_pool.decrease_capacity_by_size(size, ctx)
}

/// Splits `percent` of the unused bytes off a pool that has not expired
/// (`EInvalidEpochsAhead`); none when that is zero.
public(package) fun decrease_storage_pool_unused_capacity_by_percent(
    self: &SystemStateInnerV1,
    storage_pool: &mut StoragePool,
    percent: u8,
    ctx: &mut TxContext,
): Option<Storage> {
    assert!(storage_pool.end_epoch() > self.epoch(), EInvalidEpochsAhead);
    storage_pool.decrease_unused_capacity_by_percent(percent, ctx)
}

/// Certifies the pooled blob `blob_id` with a quorum certificate of the current committee,
/// signed in the current epoch (`EInvalidIdEpoch`).
public(package) fun certify_pooled_blob(
    self: &SystemStateInnerV1,
    storage_pool: &mut StoragePool,
    blob_id: u256,
    signature: vector<u8>,
    signers_bitmap: vector<u8>,
    message: vector<u8>,
) {
    let certified = self.committee.verify_quorum_in_epoch(signature, signers_bitmap, message);
    assert!(certified.cert_epoch() == self.epoch(), EInvalidIdEpoch);
    let message = certified.certify_blob_message();
    let end_epoch = storage_pool.end_epoch();
    storage_pool.borrow_blob_mut(blob_id).certify(self.epoch(), end_epoch, message);
}

/// Marks `blob_id` invalid with a certificate of at least one correct node (f+1) of the
/// current committee, emits `InvalidBlobID` and returns the blob id.
public(package) fun invalidate_blob_id(
    self: &SystemStateInnerV1,
    signature: vector<u8>,
    members_bitmap: vector<u8>,
    message: vector<u8>,
): u256 {
    let certified = self
        .committee
        .verify_one_correct_node_in_epoch(signature, members_bitmap, message);
    let epoch = certified.cert_epoch();
    let blob_id = certified.invalid_blob_id_message().invalid_blob_id();
    assert!(epoch == self.epoch(), EInvalidIdEpoch);
    events::emit_invalid_blob_id(epoch, blob_id);
    blob_id
}

// === Event blobs ===

/// The node of `cap` (in the committee: `ENotCommitteeMember`) attests, in the current epoch
/// (`EInvalidIdEpoch`), that the event blob `blob_id` ends at checkpoint
/// `ending_checkpoint_sequence_num`. A node attests once per blob and only after the blob
/// it attested before was certified (`ERepeatedAttestation`, `EIncorrectAttestation`, both
/// unless its previous attestation is from an earlier epoch). When a quorum of the committee
/// attested the same blob, the blob is registered and certified for `max_epochs_ahead` epochs
/// without payment (its capacity is accounted but not checked), recorded as the latest
/// certified event blob, and burned: `BlobRegistered` and `BlobCertified` are emitted.
public(package) fun certify_event_blob(
    self: &mut SystemStateInnerV1,
    cap: &mut StorageNodeCap,
    blob_id: u256,
    root_hash: u256,
    size: u64,
    encoding_type: u8,
    ending_checkpoint_sequence_num: u64,
    epoch: u32,
    ctx: &mut TxContext,
) {
    assert!(self.committee.contains(&cap.node_id()), ENotCommitteeMember);
    assert!(epoch == self.epoch(), EInvalidIdEpoch);
    let current = self.epoch();
    let latest = self.event_blob_certification_state.get_latest_certified_checkpoint_sequence_number();
    cap.last_event_blob_attestation().do!(|attestation| {
        let earlier_epoch = attestation.last_attested_event_blob_epoch() < current;
        let attested = attestation.last_attested_event_blob_checkpoint_seq_num();
        assert!(earlier_epoch || ending_checkpoint_sequence_num > attested, ERepeatedAttestation);
        if (latest.is_some()) {
            assert!(earlier_epoch || attested <= *latest.borrow(), EIncorrectAttestation);
        } else {
            assert!(earlier_epoch, EIncorrectAttestation);
        }
    });
    cap.set_last_event_blob_attestation(event_blob::new_attestation(ending_checkpoint_sequence_num, epoch));
    if (self.event_blob_certification_state.is_blob_already_certified(ending_checkpoint_sequence_num)) {
        return
    };
    self.event_blob_certification_state.start_tracking_blob(blob_id, ending_checkpoint_sequence_num);
    let weight = self.committee.get_member_weight(&cap.node_id());
    let aggregate = self
        .event_blob_certification_state
        .update_aggregate_weight(blob_id, ending_checkpoint_sequence_num, weight);
    if (!self.committee.is_quorum(aggregate)) return;

    let n_shards = self.n_shards();
    let epochs_ahead = self.future_accounting.max_epochs_ahead();
    let encoded_size = encoding::encoded_blob_length(size, encoding_type, n_shards);
    let storage = self.reserve_space_without_payment(encoded_size, 0, epochs_ahead, ctx);
    let mut blob = blob::new(
        storage,
        blob_id,
        root_hash,
        size,
        encoding_type,
        false,
        current,
        n_shards,
        ctx,
    );
    blob.certify_with_certified_msg(current, messages::certified_event_blob_message(blob_id));
    self
        .event_blob_certification_state
        .update_latest_certified_event_blob(ending_checkpoint_sequence_num, blob_id);
    self.event_blob_certification_state.reset();
    blob.burn();
}

/// Storage for [current + from, current + to) that is accounted but not paid for and not
/// checked against the capacity.
fun reserve_space_without_payment(
    self: &mut SystemStateInnerV1,
    storage_amount: u64,
    from: u32,
    to: u32,
    ctx: &mut TxContext,
): Storage {
    assert!(to - from > 0, EInvalidEpochsAhead);
    assert!(to <= self.future_accounting.max_epochs_ahead(), EInvalidEpochsAhead);
    assert!(storage_amount > 0, EInvalidResourceSize);
    self.account_capacity(storage_amount, from, to, false);
    let current = self.epoch();
    storage_resource::create_storage(current + from, current + to, storage_amount, ctx)
}

/// The event blob certification state.
public(package) fun event_blob_certification_state(
    self: &SystemStateInnerV1,
): &EventBlobCertificationState {
    &self.event_blob_certification_state
}

// === Deny lists ===

/// Announces that the node of `cap` (in the current committee: `ENotCommitteeMember`) has a
/// new deny list (`deny_list_sequence` above its current one: `EIncorrectDenyListSequence`),
/// for the other nodes to certify. Emits `RegisterDenyListUpdate`.
public(package) fun register_deny_list_update(
    self: &SystemStateInnerV1,
    cap: &StorageNodeCap,
    deny_list_root: u256,
    deny_list_sequence: u64,
) {
    assert!(self.committee.contains(&cap.node_id()), ENotCommitteeMember);
    assert!(deny_list_sequence > cap.deny_list_sequence(), EIncorrectDenyListSequence);
    events::emit_register_deny_list_update(
        self.epoch(),
        deny_list_root,
        deny_list_sequence,
        cap.node_id(),
    );
}

/// Applies a deny list update certified by a quorum (intent 4): for `cap`'s node (in the
/// committee: `ENotCommitteeMember`; the message's node: `EIncorrectDenyListNode`), signed in
/// the current epoch (`EInvalidIdEpoch`), with a higher sequence number
/// (`EIncorrectDenyListSequence`). Records root, sequence and size in the cap and the size in
/// the System (it reduces the node's rewards). Emits `DenyListUpdate`.
public(package) fun update_deny_list(
    self: &mut SystemStateInnerV1,
    cap: &mut StorageNodeCap,
    signature: vector<u8>,
    members_bitmap: vector<u8>,
    message: vector<u8>,
) {
    assert!(self.committee.contains(&cap.node_id()), ENotCommitteeMember);
    let certified = self.committee.verify_quorum_in_epoch(signature, members_bitmap, message);
    let epoch = certified.cert_epoch();
    let message = certified.deny_list_update_message();
    let node_id = message.storage_node_id();
    let size = message.size();
    assert!(epoch == self.epoch(), EInvalidIdEpoch);
    assert!(node_id == cap.node_id(), EIncorrectDenyListNode);
    assert!(cap.deny_list_sequence() < message.sequence_number(), EIncorrectDenyListSequence);
    let root = message.root();
    let sequence = message.sequence_number();
    cap.set_deny_list_properties(root, sequence, size);
    let sizes = self.deny_list_sizes.borrow_mut();
    if (sizes.contains(&node_id)) {
        *sizes.get_mut(&node_id) = size;
    } else {
        sizes.insert(node_id, size);
    };
    events::emit_deny_list_update(self.epoch(), root, sequence, node_id);
}

/// Marks a deny-listed blob for deletion with a certificate of at least one correct node
/// (f+1, intent 5) signed in the current epoch (`EInvalidIdEpoch`). Emits
/// `DenyListBlobDeleted`.
public(package) fun delete_deny_listed_blob(
    self: &SystemStateInnerV1,
    signature: vector<u8>,
    members_bitmap: vector<u8>,
    message: vector<u8>,
) {
    let certified = self.committee.verify_one_correct_node_in_epoch(signature, members_bitmap, message);
    let epoch = certified.cert_epoch();
    let message = certified.deny_list_blob_deleted_message();
    assert!(epoch == self.epoch(), EInvalidIdEpoch);
    events::emit_deny_listed_blob_deleted(epoch, message.blob_id());
}

/// The deny list sizes by node id.
public(package) fun deny_list_sizes(self: &SystemStateInnerV1): &VecMap<ID, u64> {
    self.deny_list_sizes.borrow()
}

/// Announces a protocol version: `cap`'s node must be in the current committee
/// (`ENotCommitteeMember`) and a quorum must certify (intent 6) that `protocol_version` takes
/// effect at `start_epoch`, signed in the current epoch (`EInvalidIdEpoch`) for the current or
/// a later epoch (`EInvalidStartEpoch`). Emits `ProtocolVersionUpdated`.
public(package) fun update_protocol_version(
    self: &SystemStateInnerV1,
    cap: &StorageNodeCap,
    signature: vector<u8>,
    members_bitmap: vector<u8>,
    message: vector<u8>,
) {
    assert!(self.committee.contains(&cap.node_id()), ENotCommitteeMember);
    let certified = self.committee.verify_quorum_in_epoch(signature, members_bitmap, message);
    let epoch = certified.cert_epoch();
    let message = certified.protocol_version_message();
    let start_epoch = message.start_epoch();
    assert!(epoch == self.epoch(), EInvalidIdEpoch);
    assert!(start_epoch >= self.epoch(), EInvalidStartEpoch);
    events::emit_protocol_version(epoch, start_epoch, message.protocol_version());
}

/// Adds `subsidy` to the rewards of the current and next `epochs_ahead - 1` epochs, split
/// evenly; the remainder of the division goes to the current epoch.
public(package) fun add_subsidy(self: &mut SystemStateInnerV1, subsidy: Coin<WAL>, epochs_ahead: u32) {
    assert!(
        epochs_ahead > 0 && epochs_ahead <= self.future_accounting.max_epochs_ahead(),
        EInvalidEpochsAhead,
    );
    let mut balance = subsidy.into_balance();
    let per_epoch = balance.value() / (epochs_ahead as u64);
    let mut i = epochs_ahead;
    while (i > 1) {
        i = i - 1;
        let part = balance.split(per_epoch);
        self.future_accounting.ring_lookup_mut(i).rewards_balance().join(part);
    };
    self.future_accounting.ring_lookup_mut(0).rewards_balance().join(balance);
}

/// Adds `subsidies[i]` to the rewards of epoch current + i; at most `max_epochs_ahead` of them
/// (`EInvalidEpochsAhead`).
public(package) fun add_per_epoch_subsidies(
    self: &mut SystemStateInnerV1,
    subsidies: vector<Balance<WAL>>,
) {
    assert!(
        subsidies.length() <= (self.future_accounting.max_epochs_ahead() as u64),
        EInvalidEpochsAhead,
    );
    let mut k = 0;
    subsidies.do!(|subsidy| {
        self.future_accounting.ring_lookup_mut(k).rewards_balance().join(subsidy);
        k = k + 1;
    });
}

// === Accessors ===

public(package) fun epoch(self: &SystemStateInnerV1): u32 { self.committee.epoch() }

public(package) fun committee(self: &SystemStateInnerV1): &BlsCommittee { &self.committee }

public(package) fun future_accounting(self: &SystemStateInnerV1): &FutureAccountingRingBuffer {
    &self.future_accounting
}

public(package) fun n_shards(self: &SystemStateInnerV1): u16 { self.committee.n_shards() }

public(package) fun total_capacity_size(self: &SystemStateInnerV1): u64 { self.total_capacity_size }

public(package) fun used_capacity_size(self: &SystemStateInnerV1): u64 { self.used_capacity_size }

public(package) fun storage_price_per_unit_size(self: &SystemStateInnerV1): u64 {
    self.storage_price_per_unit_size
}

public(package) fun write_price_per_unit_size(self: &SystemStateInnerV1): u64 {
    self.write_price_per_unit_size
}

public(package) fun max_epochs_ahead(self: &SystemStateInnerV1): u32 {
    self.future_accounting.max_epochs_ahead()
}

/// Used capacity reserved for epoch current + `epochs_in_future`.
public(package) fun used_capacity_at(self: &SystemStateInnerV1, epochs_in_future: u32): u64 {
    self.future_accounting.ring_lookup(epochs_in_future).used_capacity()
}

/// Rewards earmarked for epoch current + `epochs_in_future`.
public(package) fun rewards_at(self: &SystemStateInnerV1, epochs_in_future: u32): u64 {
    self.future_accounting.ring_lookup(epochs_in_future).rewards()
}

/// Storage units (1 MiB, rounded up) of an encoded size.
public(package) fun storage_units_from_size(size: u64): u64 {
    size.divide_and_round_up(BYTES_PER_UNIT_SIZE)
}

// === Private functions ===

/// Charges write_price * units(encoded_size) from `payment` into the current epoch's rewards.
fun charge_write(self: &mut SystemStateInnerV1, encoded_size: u64, payment: &mut Coin<WAL>) {
    let price = storage_units_from_size(encoded_size) * self.write_price_per_unit_size;
    let fee = payment.balance_mut().split(price);
    self.future_accounting.ring_lookup_mut(0).rewards_balance().join(fee);
}

/// Adds `size` to the used capacity of each epoch current + [from, to) (also to
/// `used_capacity_size` for the current epoch), checking the capacity unless `check` is false.
fun account_capacity(self: &mut SystemStateInnerV1, size: u64, from: u32, to: u32, check: bool) {
    let total = self.total_capacity_size;
    let mut k = from;
    while (k < to) {
        let entry = self.future_accounting.ring_lookup_mut(k);
        entry.increase_used_capacity(size);
        if (k == 0) self.used_capacity_size = entry.used_capacity();
        assert!(!check || entry.used_capacity() <= total, EStorageExceeded);
        k = k + 1;
    };
}

/// Charges storage_price * units(size) for each epoch current + [from, to) from `payment`
/// into that epoch's rewards, one epoch at a time: a coin that runs short aborts in
/// `sui::balance::split` (`ENotEnough`), which undoes the whole transaction.
fun charge_storage(
    self: &mut SystemStateInnerV1,
    size: u64,
    from: u32,
    to: u32,
    payment: &mut Coin<WAL>,
) {
    let per_epoch = storage_units_from_size(size) * self.storage_price_per_unit_size;
    let mut k = from;
    while (k < to) {
        let fee = payment.balance_mut().split(per_epoch);
        self.future_accounting.ring_lookup_mut(k).rewards_balance().join(fee);
        k = k + 1;
    };
}

// === Test-only ===

#[test_only]
public fun destroy_for_testing(self: SystemStateInnerV1) {
    std::unit_test::destroy(self)
}

#[test_only]
public fun set_committee_for_testing(self: &mut SystemStateInnerV1, committee: BlsCommittee) {
    self.future_accounting.rebase_for_testing(committee.epoch());
    self.committee = committee;
}
