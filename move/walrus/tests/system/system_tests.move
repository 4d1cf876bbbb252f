#[test_only]
module walrus::system_tests;

use std::unit_test::{assert_eq, destroy};
use sui::event;
use sui::test_scenario as ts;
use walrus::blob;
use walrus::bls_aggregate::{Self, test_node_id};
use walrus::epoch_parameters;
use walrus::events;
use walrus::messages;
use walrus::storage_node;
use walrus::storage_resource;
use walrus::system::{Self, System};
use walrus::system_state_inner;
use walrus::test_utils::{Self, wal, blob_id, signature, all_signers};

/// Encoded size of the standard test blob (4 units of 1 MiB).
const ENCODED: u64 = 3_935_480;

// === create_empty ===

#[test]
fun create_empty_shares_an_empty_system() {
    let mut scenario = ts::begin(@0xA);
    let id = system::create_empty(53, @0x0.to_id(), scenario.ctx());
    scenario.next_tx(@0xA);
    let system = scenario.take_shared<System>();
    assert_eq!(object::id(&system), id);
    assert_eq!(system.epoch(), 0);
    assert_eq!(system.n_shards(), 0);
    assert_eq!(system.committee().members().length(), 0);
    assert_eq!(system.total_capacity_size(), 0);
    assert_eq!(system.used_capacity_size(), 0);
    assert_eq!(system.storage_price_per_unit_size(), 0);
    assert_eq!(system.write_price_per_unit_size(), 0);
    assert_eq!(system.max_epochs_ahead(), 53);
    assert_eq!(system.version(), 3);
    ts::return_shared(system);
    scenario.end();
}

#[test]
fun create_empty_accepts_the_maximum_window() {
    let mut ctx = tx_context::dummy();
    system::create_empty(1000, @0x0.to_id(), &mut ctx);
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidMaxEpochsAhead)]
fun create_empty_with_zero_window_aborts() {
    let mut ctx = tx_context::dummy();
    system::create_empty(0, @0x0.to_id(), &mut ctx);
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidMaxEpochsAhead)]
fun create_empty_with_too_large_window_aborts() {
    let mut ctx = tx_context::dummy();
    system::create_empty(1001, @0x0.to_id(), &mut ctx);
}

// === reserve_space ===

#[test]
fun reserve_space_charges_per_unit_per_epoch() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(100, &mut ctx);
    // 3,000,000 bytes = 3 units (rounded up); 5 FROST * 3 units * 3 epochs = 45.
    let storage = system.reserve_space(3_000_000, 3, &mut payment, &mut ctx);
    assert_eq!(payment.value(), 55);
    assert_eq!(storage.start_epoch(), 3);
    assert_eq!(storage.end_epoch(), 6);
    assert_eq!(storage.size(), 3_000_000);
    assert_eq!(system.rewards_at(0), 15);
    assert_eq!(system.rewards_at(1), 15);
    assert_eq!(system.rewards_at(2), 15);
    assert_eq!(system.rewards_at(3), 0);
    assert_eq!(system.used_capacity_size(), 3_000_000);
    assert_eq!(system.used_capacity_at(2), 3_000_000);
    assert_eq!(system.used_capacity_at(3), 0);
    destroy(storage);
    destroy(payment);
    system.destroy_for_testing();
}

#[test]
fun reserve_space_unit_rounding() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(100, &mut ctx);
    // Exactly 1 MiB is 1 unit; one byte more is 2 units.
    destroy(system.reserve_space(1_048_576, 1, &mut payment, &mut ctx));
    assert_eq!(payment.value(), 95);
    destroy(system.reserve_space(1_048_577, 1, &mut payment, &mut ctx));
    assert_eq!(payment.value(), 85);
    destroy(system.reserve_space(1, 1, &mut payment, &mut ctx));
    assert_eq!(payment.value(), 80);
    assert_eq!(system_state_inner::storage_units_from_size(0), 0);
    destroy(payment);
    system.destroy_for_testing();
}

#[test]
fun reserve_space_up_to_the_window() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(1_000, &mut ctx);
    let storage = system.reserve_space(1, 104, &mut payment, &mut ctx);
    assert_eq!(storage.end_epoch(), 107);
    assert_eq!(payment.value(), 1_000 - 5 * 104);
    destroy(storage);
    destroy(payment);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun reserve_space_for_zero_epochs_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(100, &mut ctx);
    let _storage = system.reserve_space(1, 0, &mut payment, &mut ctx);
    abort
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun reserve_space_past_the_window_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(1_000, &mut ctx);
    let _storage = system.reserve_space(1, 105, &mut payment, &mut ctx);
    abort
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun reserve_space_for_u32_max_epochs_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(1_000, &mut ctx);
    let _storage = system.reserve_space(1, 0xFFFF_FFFF, &mut payment, &mut ctx);
    abort
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidResourceSize)]
fun reserve_zero_bytes_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(100, &mut ctx);
    let _storage = system.reserve_space(0, 1, &mut payment, &mut ctx);
    abort
}

#[test, expected_failure(abort_code = sui::balance::ENotEnough)]
fun reserve_space_underpaid_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(44, &mut ctx);
    let _storage = system.reserve_space(3_000_000, 3, &mut payment, &mut ctx);
    abort
}

#[test]
fun reserve_space_checks_capacity_per_epoch() {
    let mut ctx = tx_context::dummy();
    let mut system = system::new_for_testing(test_utils::committee(3), 10, 1000, 0, 0, &mut ctx);
    let mut payment = wal(0, &mut ctx);
    destroy(system.reserve_space(600, 2, &mut payment, &mut ctx));
    // Epoch 3 and 4 have 400 left, epoch 5 is free.
    destroy(system.reserve_space(400, 2, &mut payment, &mut ctx));
    destroy(system.reserve_space_for_epochs(1000, 5, 6, &mut payment, &mut ctx));
    assert_eq!(system.used_capacity_size(), 1000);
    assert_eq!(system.used_capacity_at(2), 1000);
    destroy(payment);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = system_state_inner::EStorageExceeded)]
fun reserve_space_over_capacity_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = system::new_for_testing(test_utils::committee(3), 10, 1000, 0, 0, &mut ctx);
    let mut payment = wal(0, &mut ctx);
    destroy(system.reserve_space(600, 2, &mut payment, &mut ctx));
    let _storage = system.reserve_space_for_epochs(401, 4, 5, &mut payment, &mut ctx);
    abort
}

#[test]
fun reserve_space_for_epochs_clamps_the_start() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(100, &mut ctx);
    let storage = system.reserve_space_for_epochs(1_048_576, 1, 5, &mut payment, &mut ctx);
    assert_eq!(storage.start_epoch(), 3);
    assert_eq!(storage.end_epoch(), 5);
    assert_eq!(payment.value(), 90);
    let later = system.reserve_space_for_epochs(1_048_576, 6, 8, &mut payment, &mut ctx);
    assert_eq!(later.start_epoch(), 6);
    assert_eq!(system.rewards_at(2), 0);
    assert_eq!(system.rewards_at(3), 5);
    assert_eq!(system.rewards_at(4), 5);
    assert_eq!(system.used_capacity_at(2), 0);
    assert_eq!(system.used_capacity_at(3), 1_048_576);
    destroy(storage);
    destroy(later);
    destroy(payment);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun reserve_space_for_empty_period_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(100, &mut ctx);
    let _storage = system.reserve_space_for_epochs(1, 2, 3, &mut payment, &mut ctx);
    abort
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun reserve_space_for_epochs_past_the_window_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(1_000, &mut ctx);
    let _storage = system.reserve_space_for_epochs(1, 100, 108, &mut payment, &mut ctx);
    abort
}

// === register_blob (write price) ===

#[test]
fun register_blob_charges_the_write_price() {
    let mut ctx = tx_context::dummy();
    let mut system = system::new_for_testing(test_utils::committee(3), 10, 1_000_000_000, 5, 7, &mut ctx);
    let mut payment = wal(1_000, &mut ctx);
    let storage = system.reserve_space(ENCODED, 2, &mut payment, &mut ctx);
    // 4 units * 5 * 2 epochs.
    assert_eq!(payment.value(), 960);
    let blob = system.register_blob(
        storage,
        blob_id(),
        test_utils::root_hash(),
        test_utils::size(),
        1,
        false,
        &mut payment,
        &mut ctx,
    );
    // Write fee: 4 units * 7 = 28, into the current epoch.
    assert_eq!(payment.value(), 932);
    assert_eq!(system.rewards_at(0), 20 + 28);
    assert_eq!(system.rewards_at(1), 20);
    destroy(blob);
    destroy(payment);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = sui::balance::ENotEnough)]
fun register_blob_underpaid_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = system::new_for_testing(test_utils::committee(3), 10, 1_000_000_000, 5, 7, &mut ctx);
    let mut payment = wal(40 + 27, &mut ctx);
    let storage = system.reserve_space(ENCODED, 2, &mut payment, &mut ctx);
    let _blob = system.register_blob(
        storage,
        blob_id(),
        test_utils::root_hash(),
        test_utils::size(),
        1,
        false,
        &mut payment,
        &mut ctx,
    );
    abort
}

// === extend_blob ===

#[test]
fun extend_blob_charges_per_added_epoch_and_emits() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    let rewards_before = system.rewards_at(2);
    let mut payment = wal(100, &mut ctx);
    system.extend_blob(&mut blob, 3, &mut payment);
    // 4 units * 5 * 3 epochs = 60.
    assert_eq!(payment.value(), 40);
    assert_eq!(blob.end_epoch(), 8);
    assert_eq!(system.rewards_at(2), rewards_before + 20);
    assert_eq!(system.rewards_at(4), 20);
    assert_eq!(system.rewards_at(5), 0);
    assert_eq!(system.used_capacity_at(4), ENCODED);
    let certified = event::events_by_type<events::BlobCertified>();
    assert_eq!(certified.length(), 2);
    assert_eq!(certified[1], events::blob_certified(3, blob_id(), 8, false, blob.object_id(), true));
    destroy(payment);
    destroy(blob);
    system.destroy_for_testing();
}

#[test]
fun extend_blob_up_to_the_window() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    let mut payment = wal(10_000, &mut ctx);
    system.extend_blob(&mut blob, 102, &mut payment);
    assert_eq!(blob.end_epoch(), 107);
    destroy(payment);
    destroy(blob);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun extend_blob_past_the_window_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    let mut payment = wal(10_000, &mut ctx);
    system.extend_blob(&mut blob, 103, &mut payment);
    abort
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun extend_blob_by_zero_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    let mut payment = wal(100, &mut ctx);
    system.extend_blob(&mut blob, 0, &mut payment);
    abort
}

#[test, expected_failure(abort_code = blob::ENotCertified)]
fun extend_uncertified_blob_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    let mut payment = wal(100, &mut ctx);
    system.extend_blob(&mut blob, 1, &mut payment);
    abort
}

#[test, expected_failure(abort_code = blob::EResourceBounds)]
fun extend_expired_blob_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    system.set_committee_for_testing(test_utils::committee(5));
    let mut payment = wal(100, &mut ctx);
    system.extend_blob(&mut blob, 1, &mut payment);
    abort
}

#[test, expected_failure(abort_code = sui::balance::ENotEnough)]
fun extend_blob_underpaid_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    let mut payment = wal(59, &mut ctx);
    system.extend_blob(&mut blob, 3, &mut payment);
    abort
}

#[test, expected_failure(abort_code = system_state_inner::EStorageExceeded)]
fun extend_blob_over_capacity_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = system::new_for_testing(test_utils::committee(3), 10, ENCODED, 0, 0, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    let mut payment = wal(0, &mut ctx);
    destroy(system.reserve_space_for_epochs(1, 6, 7, &mut payment, &mut ctx));
    system.extend_blob(&mut blob, 2, &mut payment);
    abort
}

// === extend_blob_with_resource ===

#[test]
fun extend_blob_with_resource_fuses_and_emits() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    let mut payment = wal(100, &mut ctx);
    let extension = system.reserve_space_for_epochs(ENCODED, 5, 7, &mut payment, &mut ctx);
    system.extend_blob_with_resource(&mut blob, extension);
    assert_eq!(blob.end_epoch(), 7);
    assert_eq!(blob.storage().start_epoch(), 3);
    let certified = event::events_by_type<events::BlobCertified>();
    assert_eq!(certified[1], events::blob_certified(3, blob_id(), 7, false, blob.object_id(), true));
    destroy(payment);
    destroy(blob);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = storage_resource::EIncompatibleEpochs)]
fun extend_with_non_adjacent_resource_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    let mut payment = wal(100, &mut ctx);
    let extension = system.reserve_space_for_epochs(ENCODED, 6, 7, &mut payment, &mut ctx);
    system.extend_blob_with_resource(&mut blob, extension);
    abort
}

#[test, expected_failure(abort_code = storage_resource::EIncompatibleAmount)]
fun extend_with_resource_of_another_size_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    let mut payment = wal(100, &mut ctx);
    let extension = system.reserve_space_for_epochs(ENCODED + 1, 5, 7, &mut payment, &mut ctx);
    system.extend_blob_with_resource(&mut blob, extension);
    abort
}

#[test, expected_failure(abort_code = blob::ENotCertified)]
fun extend_uncertified_blob_with_resource_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    let mut payment = wal(100, &mut ctx);
    let extension = system.reserve_space_for_epochs(ENCODED, 5, 7, &mut payment, &mut ctx);
    system.extend_blob_with_resource(&mut blob, extension);
    abort
}

#[test, expected_failure(abort_code = blob::EResourceBounds)]
fun extend_expired_blob_with_resource_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    let mut payment = wal(100, &mut ctx);
    let extension = system.reserve_space_for_epochs(ENCODED, 5, 7, &mut payment, &mut ctx);
    system.set_committee_for_testing(test_utils::committee(5));
    system.extend_blob_with_resource(&mut blob, extension);
    abort
}

// === delete_blob ===

#[test]
fun delete_blob_returns_storage_and_emits() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, true, &mut ctx);
    blob.insert_or_update_metadata_pair(b"k".to_string(), b"v".to_string());
    let object_id = blob.object_id();
    let storage = system.delete_blob(blob);
    assert_eq!(storage.start_epoch(), 3);
    assert_eq!(storage.end_epoch(), 5);
    assert_eq!(storage.size(), ENCODED);
    // The capacity stays accounted: the storage can be reused.
    assert_eq!(system.used_capacity_size(), ENCODED);
    let deleted = event::events_by_type<events::BlobDeleted>();
    assert_eq!(deleted.length(), 1);
    assert_eq!(deleted[0], events::blob_deleted(3, blob_id(), 5, object_id, false));
    destroy(storage);
    system.destroy_for_testing();
}

#[test]
fun delete_certified_blob_reports_it() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, true, &mut ctx);
    test_utils::certify(&system, &mut blob);
    let object_id = blob.object_id();
    destroy(system.delete_blob(blob));
    let deleted = event::events_by_type<events::BlobDeleted>();
    assert_eq!(deleted[0], events::blob_deleted(3, blob_id(), 5, object_id, true));
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = blob::EBlobNotDeletable)]
fun delete_permanent_blob_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    let _storage = system.delete_blob(blob);
    abort
}

#[test, expected_failure(abort_code = blob::EResourceBounds)]
fun delete_expired_blob_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let blob = test_utils::register_blob(&mut system, 2, true, &mut ctx);
    system.set_committee_for_testing(test_utils::committee(5));
    let _storage = system.delete_blob(blob);
    abort
}

// === invalidate_blob_id ===

#[test]
fun invalidate_blob_id_with_f_plus_one() {
    let mut ctx = tx_context::dummy();
    let system = test_utils::system(3, &mut ctx);
    let message = messages::invalid_blob_id_message_bytes_for_testing(3, 77);
    // Members 0 and 3: 4 of 10 shards, 3 * 4 >= 10 + 1.
    assert_eq!(system.invalidate_blob_id(signature(), x"09", message), 77);
    let invalid = event::events_by_type<events::InvalidBlobID>();
    assert_eq!(invalid.length(), 1);
    assert_eq!(invalid[0], events::invalid_blob_id(3, 77));
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = bls_aggregate::ENotEnoughStake)]
fun invalidate_blob_id_with_too_little_weight_aborts() {
    let mut ctx = tx_context::dummy();
    let system = test_utils::system(3, &mut ctx);
    let message = messages::invalid_blob_id_message_bytes_for_testing(3, 77);
    system.invalidate_blob_id(signature(), x"01", message);
    abort
}

#[test, expected_failure(abort_code = messages::EIncorrectEpoch)]
fun invalidate_blob_id_from_another_epoch_aborts() {
    let mut ctx = tx_context::dummy();
    let system = test_utils::system(3, &mut ctx);
    let message = messages::invalid_blob_id_message_bytes_for_testing(2, 77);
    system.invalidate_blob_id(signature(), all_signers(), message);
    abort
}

#[test, expected_failure(abort_code = messages::EInvalidMsgType)]
fun invalidate_blob_id_with_certification_message_aborts() {
    let mut ctx = tx_context::dummy();
    let system = test_utils::system(3, &mut ctx);
    let message = messages::certified_blob_message_bytes_for_testing(3, 77, messages::permanent());
    system.invalidate_blob_id(signature(), all_signers(), message);
    abort
}

#[test, expected_failure(abort_code = bls_aggregate::EInvalidBitmap)]
fun invalidate_blob_id_with_bad_bitmap_aborts() {
    let mut ctx = tx_context::dummy();
    let system = test_utils::system(3, &mut ctx);
    let message = messages::invalid_blob_id_message_bytes_for_testing(3, 77);
    system.invalidate_blob_id(signature(), x"1F", message);
    abort
}

// === future_accounting ===

#[test]
fun future_accounting_is_readable() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(1_000_000, &mut ctx);
    let storage = system.reserve_space(ENCODED, 2, &mut payment, &mut ctx);
    let ring = system.future_accounting();
    assert_eq!(ring.max_epochs_ahead(), test_utils::max_epochs_ahead());
    assert_eq!(ring.ring_lookup(0).epoch(), 3);
    assert_eq!(ring.ring_lookup(1).used_capacity(), ENCODED);
    assert_eq!(ring.ring_lookup(2).used_capacity(), 0);
    destroy(storage);
    destroy(payment);
    system.destroy_for_testing();
}

// === event blobs ===

/// Node `i` attests the test blob as the event blob ending at `checkpoint` in epoch 3.
fun attest(system: &mut System, cap: &mut storage_node::StorageNodeCap, checkpoint: u64, ctx: &mut TxContext) {
    system.certify_event_blob(
        cap,
        blob_id(),
        test_utils::root_hash(),
        test_utils::size(),
        1,
        checkpoint,
        3,
        ctx,
    );
}

#[test]
fun event_blob_is_certified_at_a_quorum_of_attestations() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut caps = vector::tabulate!(4, |i| storage_node::new_cap_for_testing(test_node_id(i), &mut ctx));
    // Weights 3, 3, 3, 1 of 10: 6 is below the quorum (7), 9 reaches it.
    attest(&mut system, &mut caps[0], 10, &mut ctx);
    attest(&mut system, &mut caps[1], 10, &mut ctx);
    assert!(event::events_by_type<events::BlobCertified>().is_empty());
    assert_eq!(system.used_capacity_size(), 0);
    attest(&mut system, &mut caps[2], 10, &mut ctx);
    let registered = event::events_by_type<events::BlobRegistered>();
    let certified = event::events_by_type<events::BlobCertified>();
    assert_eq!(registered.length(), 1);
    assert_eq!(certified.length(), 1);
    // Stored for the whole window without payment; the capacity is not checked.
    assert_eq!(system.used_capacity_size(), ENCODED);
    assert_eq!(system.used_capacity_at(test_utils::max_epochs_ahead() - 1), ENCODED);
    assert_eq!(system.rewards_at(0), 0);
    // A late attestation of a certified blob only records the attestation.
    attest(&mut system, &mut caps[3], 10, &mut ctx);
    assert_eq!(event::events_by_type<events::BlobCertified>().length(), 1);
    assert_eq!(caps[3].last_event_blob_attestation().is_some(), true);
    // The next blob can be attested by a node whose previous one was certified.
    attest(&mut system, &mut caps[0], 20, &mut ctx);
    destroy(caps);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = system_state_inner::ERepeatedAttestation)]
fun attesting_the_same_event_blob_twice_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut cap = storage_node::new_cap_for_testing(test_node_id(0), &mut ctx);
    attest(&mut system, &mut cap, 10, &mut ctx);
    attest(&mut system, &mut cap, 10, &mut ctx);
    abort
}

#[test, expected_failure(abort_code = system_state_inner::EIncorrectAttestation)]
fun attesting_beyond_an_uncertified_event_blob_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut cap = storage_node::new_cap_for_testing(test_node_id(0), &mut ctx);
    attest(&mut system, &mut cap, 10, &mut ctx);
    attest(&mut system, &mut cap, 20, &mut ctx);
    abort
}

#[test, expected_failure(abort_code = system_state_inner::ENotCommitteeMember)]
fun event_blob_attestation_by_a_non_member_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut cap = storage_node::new_cap_for_testing(test_node_id(9), &mut ctx);
    attest(&mut system, &mut cap, 10, &mut ctx);
    abort
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidIdEpoch)]
fun event_blob_attestation_for_another_epoch_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut cap = storage_node::new_cap_for_testing(test_node_id(0), &mut ctx);
    system.certify_event_blob(
        &mut cap,
        blob_id(),
        test_utils::root_hash(),
        test_utils::size(),
        1,
        10,
        2,
        &mut ctx,
    );
    abort
}

// === deny lists ===

#[test]
fun register_deny_list_update_announces_it() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let cap = storage_node::new_cap_for_testing(test_node_id(1), &mut ctx);
    system.register_deny_list_update(&cap, 0xAB, 1);
    assert_eq!(
        event::events_by_type<events::RegisterDenyListUpdate>(),
        vector[events::register_deny_list_update(3, 0xAB, 1, test_node_id(1))],
    );
    destroy(cap);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = system_state_inner::EIncorrectDenyListSequence)]
fun register_deny_list_update_with_old_sequence_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let cap = storage_node::new_cap_for_testing(test_node_id(1), &mut ctx);
    system.register_deny_list_update(&cap, 0xAB, 0);
    abort
}

#[test, expected_failure(abort_code = system_state_inner::ENotCommitteeMember)]
fun register_deny_list_update_by_a_non_member_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let cap = storage_node::new_cap_for_testing(test_node_id(9), &mut ctx);
    system.register_deny_list_update(&cap, 0xAB, 1);
    abort
}

#[test]
fun certified_deny_list_update_reduces_the_nodes_rewards() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(100, &mut ctx);
    destroy(system.reserve_space(3_000_000, 2, &mut payment, &mut ctx));
    system.add_subsidy(wal(100, &mut ctx), 1);
    assert_eq!(system.rewards_at(0), 115);
    // Node 0 denies everything that is stored: it is paid nothing for epoch 3.
    let mut cap = storage_node::new_cap_for_testing(test_node_id(0), &mut ctx);
    let message =
        messages::deny_list_update_message_bytes_for_testing(3, test_node_id(0), 1, 3_000_000, 0xCD);
    system.update_deny_list(&mut cap, signature(), all_signers(), message);
    assert_eq!(cap.deny_list_root(), 0xCD);
    assert_eq!(cap.deny_list_sequence(), 1);
    assert_eq!(
        event::events_by_type<events::DenyListUpdate>(),
        vector[events::deny_list_update(3, 0xCD, 1, test_node_id(0))],
    );
    let params = epoch_parameters::new(5_000_000, 0, 0);
    let mut rewards = system.advance_epoch(test_utils::committee(4), &params);
    // Stored: 0, 3 * 3M, 3 * 3M, 1 * 3M; 115 * 9 / 21 = 49, 115 * 3 / 21 = 16.
    let (_, r0) = rewards.remove(&test_node_id(0));
    let (_, r1) = rewards.remove(&test_node_id(1));
    let (_, r3) = rewards.remove(&test_node_id(3));
    assert_eq!(r0.value(), 0);
    assert_eq!(r1.value(), 49);
    assert_eq!(r3.value(), 16);
    // 115 - 2 * 49 - 16 = 1 rolls over into epoch 4 (which already had 15).
    assert_eq!(system.rewards_at(0), 16);
    destroy(vector[r0, r1, r3]);
    destroy(rewards);
    destroy(payment);
    destroy(cap);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = system_state_inner::EIncorrectDenyListNode)]
fun deny_list_update_for_another_node_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut cap = storage_node::new_cap_for_testing(test_node_id(0), &mut ctx);
    let message = messages::deny_list_update_message_bytes_for_testing(3, test_node_id(1), 1, 10, 1);
    system.update_deny_list(&mut cap, signature(), all_signers(), message);
    abort
}

#[test, expected_failure(abort_code = system_state_inner::EIncorrectDenyListSequence)]
fun replayed_deny_list_update_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut cap = storage_node::new_cap_for_testing(test_node_id(0), &mut ctx);
    let message = messages::deny_list_update_message_bytes_for_testing(3, test_node_id(0), 1, 10, 1);
    system.update_deny_list(&mut cap, signature(), all_signers(), message);
    system.update_deny_list(&mut cap, signature(), all_signers(), message);
    abort
}

#[test, expected_failure(abort_code = bls_aggregate::ENotEnoughStake)]
fun deny_list_update_without_a_quorum_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut cap = storage_node::new_cap_for_testing(test_node_id(0), &mut ctx);
    let message = messages::deny_list_update_message_bytes_for_testing(3, test_node_id(0), 1, 10, 1);
    system.update_deny_list(&mut cap, signature(), x"09", message);
    abort
}

#[test]
fun delete_deny_listed_blob_with_f_plus_one() {
    let mut ctx = tx_context::dummy();
    let system = test_utils::system(3, &mut ctx);
    let message = messages::deny_list_blob_deleted_message_bytes_for_testing(3, 77);
    // Members 0 and 3: 4 of 10 shards.
    system.delete_deny_listed_blob(signature(), x"09", message);
    assert_eq!(
        event::events_by_type<events::DenyListBlobDeleted>(),
        vector[events::deny_list_blob_deleted(3, 77)],
    );
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = messages::EInvalidMsgType)]
fun delete_deny_listed_blob_with_another_message_aborts() {
    let mut ctx = tx_context::dummy();
    let system = test_utils::system(3, &mut ctx);
    let message = messages::invalid_blob_id_message_bytes_for_testing(3, 77);
    system.delete_deny_listed_blob(signature(), all_signers(), message);
    abort
}

// === update_protocol_version ===

#[test]
fun update_protocol_version_with_a_quorum() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let cap = storage_node::new_cap_for_testing(test_node_id(0), &mut ctx);
    let message = messages::protocol_version_message_bytes_for_testing(3, 5, 2);
    system.update_protocol_version(&cap, signature(), all_signers(), message);
    // Taking effect in the current epoch is allowed too.
    let now = messages::protocol_version_message_bytes_for_testing(3, 3, 3);
    system.update_protocol_version(&cap, signature(), all_signers(), now);
    assert_eq!(
        event::events_by_type<events::ProtocolVersionUpdated>(),
        vector[events::protocol_version_updated(3, 5, 2), events::protocol_version_updated(3, 3, 3)],
    );
    destroy(cap);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = system_state_inner::ENotCommitteeMember)]
fun update_protocol_version_by_a_non_member_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let cap = storage_node::new_cap_for_testing(test_node_id(9), &mut ctx);
    let message = messages::protocol_version_message_bytes_for_testing(3, 5, 2);
    system.update_protocol_version(&cap, signature(), all_signers(), message);
    abort
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidStartEpoch)]
fun update_protocol_version_for_a_past_epoch_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let cap = storage_node::new_cap_for_testing(test_node_id(0), &mut ctx);
    let message = messages::protocol_version_message_bytes_for_testing(3, 2, 2);
    system.update_protocol_version(&cap, signature(), all_signers(), message);
    abort
}

#[test, expected_failure(abort_code = bls_aggregate::ENotEnoughStake)]
fun update_protocol_version_without_a_quorum_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let cap = storage_node::new_cap_for_testing(test_node_id(0), &mut ctx);
    let message = messages::protocol_version_message_bytes_for_testing(3, 5, 2);
    system.update_protocol_version(&cap, signature(), x"09", message);
    abort
}

#[test, expected_failure(abort_code = messages::EInvalidMsgType)]
fun update_protocol_version_with_another_message_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let cap = storage_node::new_cap_for_testing(test_node_id(0), &mut ctx);
    let message = messages::invalid_blob_id_message_bytes_for_testing(3, 77);
    system.update_protocol_version(&cap, signature(), all_signers(), message);
    abort
}

// === add_subsidy ===

#[test]
fun add_subsidy_splits_evenly() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    system.add_subsidy(wal(100, &mut ctx), 3);
    assert_eq!(system.rewards_at(0), 34);
    assert_eq!(system.rewards_at(1), 33);
    assert_eq!(system.rewards_at(2), 33);
    assert_eq!(system.rewards_at(3), 0);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun add_subsidy_for_zero_epochs_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    system.add_subsidy(wal(100, &mut ctx), 0);
    abort
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun add_subsidy_past_the_window_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    system.add_subsidy(wal(100, &mut ctx), 105);
    abort
}

#[test]
fun add_per_epoch_subsidies_adds_one_balance_per_epoch() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    system.add_per_epoch_subsidies(vector[
        sui::balance::create_for_testing(10),
        sui::balance::create_for_testing(0),
        sui::balance::create_for_testing(7),
    ]);
    assert_eq!(system.rewards_at(0), 10);
    assert_eq!(system.rewards_at(1), 0);
    assert_eq!(system.rewards_at(2), 7);
    assert_eq!(system.rewards_at(3), 0);
    // None at all is allowed.
    system.add_per_epoch_subsidies(vector[]);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = system_state_inner::EInvalidEpochsAhead)]
fun add_per_epoch_subsidies_past_the_window_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    // The window is 104 epochs.
    system.add_per_epoch_subsidies(vector::tabulate!(105, |_| sui::balance::create_for_testing(1)));
    abort
}

// === Epoch change (package functions used by staking) ===

#[test]
fun advance_epoch_distributes_rewards_by_weight() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(100, &mut ctx);
    destroy(system.reserve_space(3_000_000, 2, &mut payment, &mut ctx));
    system.add_subsidy(wal(100, &mut ctx), 1);
    assert_eq!(system.rewards_at(0), 115);
    let params = epoch_parameters::new(5_000_000, 0, 0);
    let mut rewards = system.advance_epoch(test_utils::committee(4), &params);
    assert_eq!(system.epoch(), 4);
    assert_eq!(rewards.length(), 4);
    // Weights 3, 3, 3, 1 of 10: floor(115 * w / 10).
    let (_, r0) = rewards.remove(&test_node_id(0));
    let (_, r3) = rewards.remove(&test_node_id(3));
    assert_eq!(r0.value(), 34);
    assert_eq!(r3.value(), 11);
    // 115 - 3 * 34 - 11 = 2 rolls over into epoch 4 (which already had 15).
    assert_eq!(system.rewards_at(0), 17);
    assert_eq!(system.used_capacity_size(), 3_000_000);
    assert_eq!(system.total_capacity_size(), 5_000_000);
    assert_eq!(system.used_capacity_at(1), 0);
    destroy(r0);
    destroy(r3);
    destroy(rewards);
    destroy(payment);
    system.destroy_for_testing();
}

#[test]
fun advance_epoch_keeps_capacity_above_usage() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = wal(100, &mut ctx);
    destroy(system.reserve_space(3_000_000, 2, &mut payment, &mut ctx));
    let rewards = system.advance_epoch(test_utils::committee(4), &epoch_parameters::new(1, 0, 0));
    assert_eq!(system.total_capacity_size(), 3_000_000);
    destroy(rewards);
    destroy(payment);
    system.destroy_for_testing();
}

#[test]
fun advance_epoch_without_usage_rolls_rewards_over() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    system.add_subsidy(wal(100, &mut ctx), 1);
    let mut rewards = system.advance_epoch(test_utils::committee(4), &epoch_parameters::new(10, 0, 0));
    assert_eq!(rewards.length(), 4);
    let (_, r0) = rewards.remove(&test_node_id(0));
    assert_eq!(r0.value(), 0);
    assert_eq!(system.rewards_at(0), 100);
    destroy(r0);
    destroy(rewards);
    system.destroy_for_testing();
}

#[test]
fun advance_epoch_from_the_empty_committee() {
    let mut ctx = tx_context::dummy();
    let mut system = system::new_for_testing(
        bls_aggregate::new_bls_committee(0, vector[]),
        10,
        0,
        0,
        0,
        &mut ctx,
    );
    let rewards = system.advance_epoch(test_utils::committee(1), &epoch_parameters::new(10, 0, 0));
    assert_eq!(rewards.length(), 0);
    assert_eq!(system.epoch(), 1);
    assert_eq!(system.n_shards(), 10);
    assert_eq!(system.total_capacity_size(), 10);
    destroy(rewards);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = system_state_inner::EIncorrectCommittee)]
fun advance_epoch_skipping_an_epoch_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let _rewards = system.advance_epoch(test_utils::committee(5), &epoch_parameters::new(10, 0, 0));
    abort
}

#[test, expected_failure(abort_code = system_state_inner::EIncorrectCommittee)]
fun advance_epoch_to_the_same_epoch_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let _rewards = system.advance_epoch(test_utils::committee(3), &epoch_parameters::new(10, 0, 0));
    abort
}

#[test]
fun extract_burn_balance_takes_three_percent() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    system.add_subsidy(wal(115, &mut ctx), 1);
    let burned = system.extract_burn_balance();
    // floor(115 * 300 / 10000) = 3.
    assert_eq!(burned.value(), 3);
    assert_eq!(system.rewards_at(0), 112);
    destroy(burned);
    system.add_subsidy(wal(888, &mut ctx), 1);
    let burned = system.extract_burn_balance();
    // floor(1000 * 0.03) = 30.
    assert_eq!(burned.value(), 30);
    destroy(burned);
    system.destroy_for_testing();
}

#[test]
fun set_prices_and_capacity() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    system.set_prices(11, 13);
    assert_eq!(system.storage_price_per_unit_size(), 11);
    assert_eq!(system.write_price_per_unit_size(), 13);
    system.set_total_capacity_size(77);
    assert_eq!(system.total_capacity_size(), 77);
    // No event: the caller emits PricesUpdated.
    assert_eq!(event::events_by_type<events::PricesUpdated>().length(), 0);
    system.destroy_for_testing();
}

#[test]
fun epoch_parameters_accessors() {
    let params = epoch_parameters::new(1, 2, 3);
    assert_eq!(params.capacity(), 1);
    assert_eq!(params.storage_price(), 2);
    assert_eq!(params.write_price(), 3);
    assert_eq!(epoch_parameters::new_for_testing(1, 2, 3), params);
}
