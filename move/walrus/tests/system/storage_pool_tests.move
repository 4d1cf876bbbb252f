#[test_only]
module walrus::storage_pool_tests;

use std::unit_test::{assert_eq, destroy};
use sui::dynamic_field;
use sui::event;
use walrus::blob;
use walrus::events;
use walrus::messages;
use walrus::metadata;
use walrus::storage_pool::{Self, StoragePool};
use walrus::storage_resource;
use walrus::system::{Self, System};
use walrus::system_state_inner;
use walrus::test_utils::{Self, wal, blob_id, root_hash, size, signature, all_signers};

/// Encoded size of the standard test blob at 10 shards (4 units of 1 MiB).
const ENCODED: u64 = 3_935_480;
/// Capacity of the test pools: 10 units.
const CAPACITY: u64 = 10_000_000;

/// A system in epoch 3 and a pool of `CAPACITY` for epochs [3, 6).
fun setup(ctx: &mut TxContext): (System, StoragePool) {
    let mut system = test_utils::system(3, ctx);
    let mut payment = wal(1_000, ctx);
    let pool = system.create_storage_pool(CAPACITY, 3, &mut payment, ctx);
    destroy(payment);
    (system, pool)
}

/// Registers the standard test blob (or the one with root hash `root_hash() + k`) in `pool`.
fun register(system: &mut System, pool: &mut StoragePool, k: u256, deletable: bool, ctx: &mut TxContext): u256 {
    let root = root_hash() + k;
    let id = blob::derive_blob_id(root, 1, size());
    let mut payment = wal(1_000, ctx);
    system.register_pooled_blob(pool, id, root, size(), 1, deletable, &mut payment, ctx);
    destroy(payment);
    id
}

/// The certificate bytes for pooled blob `id` in `epoch`.
fun certificate(pool: &StoragePool, id: u256, deletable: bool, epoch: u32): vector<u8> {
    let persistence = if (deletable) {
        messages::deletable(pool.blob_object_id(id))
    } else {
        messages::permanent()
    };
    messages::certified_blob_message_bytes_for_testing(epoch, id, persistence)
}

fun certify(system: &System, pool: &mut StoragePool, id: u256, deletable: bool) {
    let message = certificate(pool, id, deletable, system.epoch());
    system.certify_pooled_blob(pool, id, signature(), all_signers(), message);
}

fun advance_to(system: &mut System, epoch: u32) {
    system.set_committee_for_testing(test_utils::committee(epoch));
}

fun finish(system: System, pool: StoragePool) {
    pool.destroy_for_testing();
    system.destroy_for_testing();
}

// === create ===

#[test]
fun create_storage_pool_pays_and_accounts_the_capacity() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(1_000, &mut ctx);
    let pool = system.create_storage_pool(CAPACITY, 3, &mut payment, &mut ctx);
    // 10 units * 5 FROST * 3 epochs.
    assert_eq!(payment.value(), 1_000 - 150);
    assert_eq!(pool.start_epoch(), 3);
    assert_eq!(pool.end_epoch(), 6);
    assert_eq!(pool.reserved_encoded_capacity_bytes(), CAPACITY);
    assert_eq!(pool.storage().size(), CAPACITY);
    assert_eq!(pool.used_encoded_bytes(), 0);
    assert_eq!(pool.available_encoded_bytes(), CAPACITY);
    assert_eq!(pool.blob_count(), 0);
    assert_eq!(pool.version(), storage_pool::version_for_testing());
    assert_eq!(pool.object_id(), object::id(&pool));
    assert_eq!(system.used_capacity_at(2), CAPACITY);
    assert_eq!(system.used_capacity_at(3), 0);
    assert_eq!(system.rewards_at(2), 50);
    assert_eq!(
        event::events_by_type<events::StoragePoolCreated>(),
        vector[events::storage_pool_created(3, object::id(&pool), CAPACITY, 3, 6)],
    );
    destroy(payment);
    finish(system, pool);
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun create_storage_pool_for_zero_epochs_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(1_000, &mut ctx);
    let pool = system.create_storage_pool(CAPACITY, 0, &mut payment, &mut ctx);
    abort_with(system, pool, payment)
}

#[test]
fun create_storage_pool_with_started_storage() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(1_000, &mut ctx);
    let storage = system.reserve_space(CAPACITY, 2, &mut payment, &mut ctx);
    advance_to(&mut system, 4);
    let pool = system.create_storage_pool_with_storage(storage, &mut ctx);
    assert_eq!(pool.start_epoch(), 3);
    assert_eq!(pool.end_epoch(), 5);
    assert_eq!(
        event::events_by_type<events::StoragePoolCreated>(),
        vector[events::storage_pool_created(4, object::id(&pool), CAPACITY, 3, 5)],
    );
    destroy(payment);
    finish(system, pool);
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidResourceSize)]
fun create_storage_pool_with_empty_storage_aborts() {
    let mut ctx = tx_context::dummy();
    let system = test_utils::system(3, &mut ctx);
    let storage = storage_resource::create_for_test(3, 6, 0, &mut ctx);
    let pool = system.create_storage_pool_with_storage(storage, &mut ctx);
    finish(system, pool);
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun create_storage_pool_with_future_storage_aborts() {
    let mut ctx = tx_context::dummy();
    let system = test_utils::system(3, &mut ctx);
    let storage = storage_resource::create_for_test(4, 6, CAPACITY, &mut ctx);
    let pool = system.create_storage_pool_with_storage(storage, &mut ctx);
    finish(system, pool);
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun create_storage_pool_with_expired_storage_aborts() {
    let mut ctx = tx_context::dummy();
    let system = test_utils::system(3, &mut ctx);
    let storage = storage_resource::create_for_test(1, 3, CAPACITY, &mut ctx);
    let pool = system.create_storage_pool_with_storage(storage, &mut ctx);
    finish(system, pool);
}

fun abort_with(system: System, pool: StoragePool, payment: sui::coin::Coin<wal::wal::WAL>) {
    destroy(payment);
    finish(system, pool);
}

// === register ===

#[test]
fun register_pooled_blob_takes_capacity_and_charges_the_write_price() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let rewards_before = system.rewards_at(0);
    let mut payment = wal(100, &mut ctx);
    system.register_pooled_blob(&mut pool, blob_id(), root_hash(), size(), 1, true, &mut payment, &mut ctx);
    // 4 units * write price 1.
    assert_eq!(payment.value(), 96);
    assert_eq!(system.rewards_at(0), rewards_before + 4);
    assert_eq!(pool.used_encoded_bytes(), ENCODED);
    assert_eq!(pool.available_encoded_bytes(), CAPACITY - ENCODED);
    assert_eq!(pool.blob_count(), 1);
    assert!(pool.contains_blob(blob_id()));
    assert!(!pool.contains_blob(blob_id() + 1));
    assert_eq!(pool.blobs().length(), 1);
    let object_id = pool.blob_object_id(blob_id());
    let pooled = pool.borrow_blob(blob_id());
    assert_eq!(pooled.blob_registered_epoch(), 3);
    assert_eq!(pooled.blob_certified_epoch(), option::none());
    assert_eq!(pooled.blob_pool_id(), object::id(&pool));
    assert!(pooled.is_deletable());
    assert!(!pooled.is_certified());
    assert_eq!(
        event::events_by_type<events::PooledBlobRegistered>(),
        vector[
            events::pooled_blob_registered(3, blob_id(), size(), 1, true, object_id, object::id(&pool)),
        ],
    );
    destroy(payment);
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EInvalidBlobId)]
fun register_pooled_blob_with_wrong_blob_id_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let mut payment = wal(100, &mut ctx);
    system.register_pooled_blob(&mut pool, blob_id() + 1, root_hash(), size(), 1, true, &mut payment, &mut ctx);
    abort_with(system, pool, payment)
}

#[test, expected_failure(abort_code = storage_pool::EInsufficientCapacity)]
fun register_pooled_blob_beyond_the_capacity_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    // 3 blobs of 3,935,480 bytes do not fit 10,000,000.
    register(&mut system, &mut pool, 0, true, &mut ctx);
    register(&mut system, &mut pool, 1, true, &mut ctx);
    register(&mut system, &mut pool, 2, true, &mut ctx);
    finish(system, pool);
}

#[test, expected_failure(abort_code = dynamic_field::EFieldAlreadyExists)]
fun register_the_same_blob_twice_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    register(&mut system, &mut pool, 0, true, &mut ctx);
    register(&mut system, &mut pool, 0, false, &mut ctx);
    finish(system, pool);
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun register_in_an_expired_pool_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    advance_to(&mut system, 6);
    register(&mut system, &mut pool, 0, true, &mut ctx);
    finish(system, pool);
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun register_in_a_pool_that_has_not_started_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut pool = storage_pool::create(storage_resource::create_for_test(4, 6, CAPACITY, &mut ctx), &mut ctx);
    register(&mut system, &mut pool, 0, true, &mut ctx);
    finish(system, pool);
}

#[test, expected_failure(abort_code = sui::balance::ENotEnough)]
fun register_pooled_blob_without_the_write_fee_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let mut payment = wal(3, &mut ctx);
    system.register_pooled_blob(&mut pool, blob_id(), root_hash(), size(), 1, true, &mut payment, &mut ctx);
    abort_with(system, pool, payment)
}

// === certify ===

#[test]
fun certify_pooled_blobs_permanent_and_deletable() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let permanent = register(&mut system, &mut pool, 0, false, &mut ctx);
    let deletable = register(&mut system, &mut pool, 1, true, &mut ctx);
    advance_to(&mut system, 4);
    certify(&system, &mut pool, permanent, false);
    certify(&system, &mut pool, deletable, true);
    assert_eq!(pool.borrow_blob(permanent).blob_certified_epoch(), option::some(4));
    assert!(pool.borrow_blob(deletable).is_certified());
    let pool_id = object::id(&pool);
    assert_eq!(
        event::events_by_type<events::PooledBlobCertified>(),
        vector[
            events::pooled_blob_certified(4, permanent, false, pool.blob_object_id(permanent), pool_id),
            events::pooled_blob_certified(4, deletable, true, pool.blob_object_id(deletable), pool_id),
        ],
    );
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EAlreadyCertified)]
fun certify_a_pooled_blob_twice_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let id = register(&mut system, &mut pool, 0, false, &mut ctx);
    certify(&system, &mut pool, id, false);
    certify(&system, &mut pool, id, false);
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EInvalidBlobId)]
fun certify_with_another_blob_id_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let first = register(&mut system, &mut pool, 0, false, &mut ctx);
    let second = register(&mut system, &mut pool, 1, false, &mut ctx);
    let message = certificate(&pool, second, false, 3);
    system.certify_pooled_blob(&mut pool, first, signature(), all_signers(), message);
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EInvalidBlobPersistenceType)]
fun certify_a_deletable_blob_as_permanent_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let id = register(&mut system, &mut pool, 0, true, &mut ctx);
    certify(&system, &mut pool, id, false);
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EInvalidBlobObject)]
fun certify_a_deletable_blob_for_another_object_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let first = register(&mut system, &mut pool, 0, true, &mut ctx);
    let second = register(&mut system, &mut pool, 1, true, &mut ctx);
    let persistence = messages::deletable(pool.blob_object_id(second));
    let message = messages::certified_blob_message_bytes_for_testing(3, first, persistence);
    system.certify_pooled_blob(&mut pool, first, signature(), all_signers(), message);
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EResourceBounds)]
fun certify_in_an_expired_pool_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let id = register(&mut system, &mut pool, 0, false, &mut ctx);
    advance_to(&mut system, 6);
    certify(&system, &mut pool, id, false);
    finish(system, pool);
}

#[test, expected_failure(abort_code = messages::EIncorrectEpoch)]
fun certify_with_a_stale_certificate_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let id = register(&mut system, &mut pool, 0, false, &mut ctx);
    let message = certificate(&pool, id, false, 2);
    system.certify_pooled_blob(&mut pool, id, signature(), all_signers(), message);
    finish(system, pool);
}

#[test, expected_failure(abort_code = dynamic_field::EFieldDoesNotExist)]
fun certify_a_blob_not_in_the_pool_aborts() {
    let mut ctx = tx_context::dummy();
    let (system, mut pool) = setup(&mut ctx);
    let message = messages::certified_blob_message_bytes_for_testing(3, blob_id(), messages::permanent());
    system.certify_pooled_blob(&mut pool, blob_id(), signature(), all_signers(), message);
    finish(system, pool);
}

// === delete and burn ===

#[test]
fun delete_pooled_blob_frees_its_bytes() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let id = register(&mut system, &mut pool, 0, true, &mut ctx);
    certify(&system, &mut pool, id, true);
    pool.insert_or_update_blob_metadata_pair(id, b"k".to_string(), b"v".to_string());
    let object_id = pool.blob_object_id(id);
    system.delete_pooled_blob(&mut pool, id);
    assert_eq!(pool.used_encoded_bytes(), 0);
    assert_eq!(pool.blob_count(), 0);
    assert!(!pool.contains_blob(id));
    assert_eq!(
        event::events_by_type<events::PooledBlobDeleted>(),
        vector[events::pooled_blob_deleted(3, id, object_id, true, object::id(&pool))],
    );
    // The freed bytes can be used again.
    register(&mut system, &mut pool, 0, true, &mut ctx);
    register(&mut system, &mut pool, 1, true, &mut ctx);
    assert_eq!(pool.used_encoded_bytes(), 2 * ENCODED);
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EBlobNotDeletable)]
fun delete_a_permanent_pooled_blob_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let id = register(&mut system, &mut pool, 0, false, &mut ctx);
    system.delete_pooled_blob(&mut pool, id);
    finish(system, pool);
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun delete_from_an_expired_pool_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let id = register(&mut system, &mut pool, 0, true, &mut ctx);
    advance_to(&mut system, 6);
    system.delete_pooled_blob(&mut pool, id);
    finish(system, pool);
}

#[test]
fun burn_expired_pooled_blobs_of_any_kind() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let permanent = register(&mut system, &mut pool, 0, false, &mut ctx);
    let deletable = register(&mut system, &mut pool, 1, true, &mut ctx);
    pool.insert_or_update_blob_metadata_pair(permanent, b"k".to_string(), b"v".to_string());
    advance_to(&mut system, 6);
    system.burn_expired_pooled_blob(&mut pool, permanent);
    system.burn_expired_pooled_blob(&mut pool, deletable);
    assert_eq!(pool.blob_count(), 0);
    assert_eq!(pool.used_encoded_bytes(), 0);
    assert_eq!(event::events_by_type<events::PooledBlobDeleted>().length(), 0);
    // An empty pool gives its storage back.
    let storage = pool.destroy();
    assert_eq!(storage.size(), CAPACITY);
    assert_eq!(storage.end_epoch(), 6);
    destroy(storage);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun burn_before_the_pool_expires_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let id = register(&mut system, &mut pool, 0, false, &mut ctx);
    advance_to(&mut system, 5);
    system.burn_expired_pooled_blob(&mut pool, id);
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EInvalidBlobSize)]
fun remove_with_too_few_used_bytes_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let id = register(&mut system, &mut pool, 0, true, &mut ctx);
    pool.set_accounting_for_testing(ENCODED - 1, 1);
    system.delete_pooled_blob(&mut pool, id);
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EInvalidBlobCount)]
fun remove_with_a_zero_count_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let id = register(&mut system, &mut pool, 0, true, &mut ctx);
    pool.set_accounting_for_testing(ENCODED, 0);
    system.delete_pooled_blob(&mut pool, id);
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EPoolNotEmpty)]
fun destroy_a_pool_with_blobs_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    register(&mut system, &mut pool, 0, true, &mut ctx);
    destroy(pool.destroy());
    system.destroy_for_testing();
}

// === extend and resize ===

#[test]
fun extend_storage_pool_pays_the_whole_capacity_per_added_epoch() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let mut payment = wal(1_000, &mut ctx);
    system.extend_storage_pool(&mut pool, 2, &mut payment);
    // 10 units * 5 FROST * 2 epochs.
    assert_eq!(payment.value(), 900);
    assert_eq!(pool.end_epoch(), 8);
    assert_eq!(system.used_capacity_at(4), CAPACITY);
    assert_eq!(system.used_capacity_at(5), 0);
    assert_eq!(system.rewards_at(3), 50);
    assert_eq!(
        event::events_by_type<events::StoragePoolExtended>(),
        vector[events::storage_pool_extended(3, object::id(&pool), 8)],
    );
    abort_with(system, pool, payment)
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun extend_storage_pool_by_zero_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let mut payment = wal(1_000, &mut ctx);
    system.extend_storage_pool(&mut pool, 0, &mut payment);
    abort_with(system, pool, payment)
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun extend_an_expired_pool_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    advance_to(&mut system, 6);
    let mut payment = wal(1_000, &mut ctx);
    system.extend_storage_pool(&mut pool, 1, &mut payment);
    abort_with(system, pool, payment)
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun extend_storage_pool_beyond_the_window_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let mut payment = wal(1_000_000, &mut ctx);
    // The pool ends 3 epochs ahead; the window is 104.
    system.extend_storage_pool(&mut pool, 102, &mut payment);
    abort_with(system, pool, payment)
}

#[test, expected_failure(abort_code = system_state_inner::EStorageExceeded)]
fun extend_storage_pool_beyond_the_system_capacity_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(1_000_000_000_000, &mut ctx);
    let mut pool = system.create_storage_pool(test_utils::capacity(), 1, &mut payment, &mut ctx);
    // Another reservation takes epoch 4.
    destroy(system.reserve_space_for_epochs(1, 4, 5, &mut payment, &mut ctx));
    system.extend_storage_pool(&mut pool, 1, &mut payment);
    abort_with(system, pool, payment)
}

#[test]
fun increase_storage_pool_capacity_pays_until_the_end() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let mut payment = wal(1_000, &mut ctx);
    // 2 MiB = 2 units for epochs 3, 4 and 5.
    system.increase_storage_pool_capacity(&mut pool, 2_097_152, &mut payment);
    assert_eq!(payment.value(), 1_000 - 30);
    assert_eq!(pool.reserved_encoded_capacity_bytes(), CAPACITY + 2_097_152);
    assert_eq!(system.used_capacity_at(0), CAPACITY + 2_097_152);
    assert_eq!(system.used_capacity_at(2), CAPACITY + 2_097_152);
    assert_eq!(system.used_capacity_at(3), 0);
    abort_with(system, pool, payment)
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidResourceSize)]
fun increase_storage_pool_capacity_by_zero_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let mut payment = wal(1_000, &mut ctx);
    system.increase_storage_pool_capacity(&mut pool, 0, &mut payment);
    abort_with(system, pool, payment)
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun increase_an_expired_pool_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    advance_to(&mut system, 6);
    let mut payment = wal(1_000, &mut ctx);
    system.increase_storage_pool_capacity(&mut pool, 1, &mut payment);
    abort_with(system, pool, payment)
}

#[test]
fun increase_storage_pool_capacity_with_storage_ending_together() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let mut payment = wal(1_000, &mut ctx);
    let storage = system.reserve_space(5, 3, &mut payment, &mut ctx);
    system.increase_storage_pool_capacity_with_storage(&mut pool, storage);
    assert_eq!(pool.reserved_encoded_capacity_bytes(), CAPACITY + 5);
    // A storage that started earlier also fits: only the end epochs must match.
    advance_to(&mut system, 4);
    system.increase_storage_pool_capacity_with_storage(
        &mut pool,
        storage_resource::create_for_test(2, 6, 7, &mut ctx),
    );
    assert_eq!(pool.reserved_encoded_capacity_bytes(), CAPACITY + 12);
    abort_with(system, pool, payment)
}

#[test, expected_failure(abort_code = storage_pool::EIncompatibleEndEpoch)]
fun increase_with_storage_ending_elsewhere_aborts() {
    let mut ctx = tx_context::dummy();
    let (system, mut pool) = setup(&mut ctx);
    system.increase_storage_pool_capacity_with_storage(
        &mut pool,
        storage_resource::create_for_test(3, 7, 5, &mut ctx),
    );
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EResourceBounds)]
fun increase_with_storage_that_has_not_started_aborts() {
    let mut ctx = tx_context::dummy();
    let (system, mut pool) = setup(&mut ctx);
    system.increase_storage_pool_capacity_with_storage(
        &mut pool,
        storage_resource::create_for_test(4, 6, 5, &mut ctx),
    );
    finish(system, pool);
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun increase_an_expired_pool_with_storage_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    advance_to(&mut system, 6);
    system.increase_storage_pool_capacity_with_storage(
        &mut pool,
        storage_resource::create_for_test(3, 6, 5, &mut ctx),
    );
    finish(system, pool);
}

#[test]
fun decrease_storage_pool_capacity_by_size_splits_off_unused_bytes() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    register(&mut system, &mut pool, 0, true, &mut ctx);
    let free = CAPACITY - ENCODED;
    let storage = system.decrease_storage_pool_capacity_by_size(&mut pool, free, &mut ctx);
    assert_eq!(storage.size(), free);
    assert_eq!(storage.start_epoch(), 3);
    assert_eq!(storage.end_epoch(), 6);
    assert_eq!(pool.reserved_encoded_capacity_bytes(), ENCODED);
    assert_eq!(pool.available_encoded_bytes(), 0);
    destroy(storage);
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EInsufficientCapacity)]
fun decrease_storage_pool_capacity_below_the_used_bytes_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    register(&mut system, &mut pool, 0, true, &mut ctx);
    let storage = system.decrease_storage_pool_capacity_by_size(&mut pool, CAPACITY - ENCODED + 1, &mut ctx);
    destroy(storage);
    finish(system, pool);
}

#[test, expected_failure(abort_code = system::EZeroExtractSize)]
fun decrease_storage_pool_capacity_by_zero_aborts() {
    let mut ctx = tx_context::dummy();
    let (system, mut pool) = setup(&mut ctx);
    let storage = system.decrease_storage_pool_capacity_by_size(&mut pool, 0, &mut ctx);
    destroy(storage);
    finish(system, pool);
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun decrease_an_expired_pool_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    advance_to(&mut system, 6);
    let storage = system.decrease_storage_pool_capacity_by_size(&mut pool, 1, &mut ctx);
    destroy(storage);
    finish(system, pool);
}

#[test]
fun decrease_storage_pool_unused_capacity_by_percent_rounds_down() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    register(&mut system, &mut pool, 0, true, &mut ctx);
    // Unused: 6,064,520; 33% of it is 2,001,291.6.
    let storage = system.decrease_storage_pool_unused_capacity_by_percent(&mut pool, 33, &mut ctx);
    assert_eq!(storage.size(), 2_001_291);
    assert_eq!(pool.reserved_encoded_capacity_bytes(), CAPACITY - 2_001_291);
    destroy(storage);
    let rest = system.decrease_storage_pool_unused_capacity_by_percent(&mut pool, 100, &mut ctx);
    assert_eq!(rest.size(), CAPACITY - 2_001_291 - ENCODED);
    assert_eq!(pool.available_encoded_bytes(), 0);
    destroy(rest);
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EInvalidPercent)]
fun decrease_by_more_than_100_percent_aborts() {
    let mut ctx = tx_context::dummy();
    let (system, mut pool) = setup(&mut ctx);
    let storage = system.decrease_storage_pool_unused_capacity_by_percent(&mut pool, 101, &mut ctx);
    destroy(storage);
    finish(system, pool);
}

#[test, expected_failure(abort_code = system::EZeroExtractSize)]
fun decrease_a_full_pool_by_percent_aborts() {
    let mut ctx = tx_context::dummy();
    let (system, mut pool) = setup(&mut ctx);
    let storage = system.decrease_storage_pool_unused_capacity_by_percent(&mut pool, 0, &mut ctx);
    destroy(storage);
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EWrongVersion)]
fun a_pool_of_another_version_aborts() {
    let mut ctx = tx_context::dummy();
    let (system, mut pool) = setup(&mut ctx);
    pool.set_version_for_testing(2);
    pool.blob_count();
    finish(system, pool);
}

// === attributes ===

#[test]
fun pooled_blob_attributes() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let id = register(&mut system, &mut pool, 0, true, &mut ctx);
    let k = b"content-type".to_string();
    assert_eq!(pool.remove_blob_metadata_pair_if_exists(id, &k), option::none());
    pool.insert_or_update_blob_metadata_pair(id, k, b"text/plain".to_string());
    pool.insert_or_update_blob_metadata_pair(id, k, b"image/png".to_string());
    let (key, value) = pool.remove_blob_metadata_pair(id, &k);
    assert_eq!(key, k);
    assert_eq!(value, b"image/png".to_string());
    assert_eq!(pool.remove_blob_metadata_pair_if_exists(id, &k), option::none());
    let mut first = metadata::new();
    first.insert_or_update(k, b"a".to_string());
    let old = pool.add_or_replace_blob_metadata(id, first);
    assert!(old.is_some());
    let taken = pool.take_blob_metadata(id);
    assert_eq!(*taken.metadata().get(&k), b"a".to_string());
    assert_eq!(pool.add_or_replace_blob_metadata(id, metadata::new()), option::none());
    assert_eq!(pool.remove_blob_metadata_pair_if_exists(id, &k), option::none());
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EDuplicateMetadata)]
fun add_blob_metadata_twice_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let id = register(&mut system, &mut pool, 0, true, &mut ctx);
    pool.add_blob_metadata(id, metadata::new());
    pool.add_blob_metadata(id, metadata::new());
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EMissingMetadata)]
fun take_missing_blob_metadata_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let id = register(&mut system, &mut pool, 0, true, &mut ctx);
    pool.take_blob_metadata(id);
    finish(system, pool);
}

#[test, expected_failure(abort_code = storage_pool::EMissingMetadata)]
fun remove_a_pair_without_metadata_aborts() {
    let mut ctx = tx_context::dummy();
    let (mut system, mut pool) = setup(&mut ctx);
    let id = register(&mut system, &mut pool, 0, true, &mut ctx);
    let (_, _) = pool.remove_blob_metadata_pair(id, &b"k".to_string());
    finish(system, pool);
}
