#[test_only]
module walrus::storage_resource_tests;

use std::unit_test::{assert_eq, destroy};
use walrus::storage_resource::{Self, create_for_test};

#[test]
fun accessors() {
    let mut ctx = tx_context::dummy();
    let storage = create_for_test(2, 7, 1000, &mut ctx);
    assert_eq!(storage.start_epoch(), 2);
    assert_eq!(storage.end_epoch(), 7);
    assert_eq!(storage.size(), 1000);
    storage.destroy();
}

#[test]
fun split_by_epoch_splits_the_period() {
    let mut ctx = tx_context::dummy();
    let mut storage = create_for_test(2, 7, 1000, &mut ctx);
    let later = storage.split_by_epoch(5, &mut ctx);
    assert_eq!(storage.start_epoch(), 2);
    assert_eq!(storage.end_epoch(), 5);
    assert_eq!(later.start_epoch(), 5);
    assert_eq!(later.end_epoch(), 7);
    assert_eq!(later.size(), 1000);
    destroy(storage);
    destroy(later);
}

#[test, expected_failure(abort_code = storage_resource::EInvalidEpoch)]
fun split_by_epoch_at_start_aborts() {
    let mut ctx = tx_context::dummy();
    let mut storage = create_for_test(2, 7, 1000, &mut ctx);
    let _later = storage.split_by_epoch(2, &mut ctx);
    abort
}

#[test, expected_failure(abort_code = storage_resource::EInvalidEpoch)]
fun split_by_epoch_at_end_aborts() {
    let mut ctx = tx_context::dummy();
    let mut storage = create_for_test(2, 7, 1000, &mut ctx);
    let _later = storage.split_by_epoch(7, &mut ctx);
    abort
}

#[test]
fun split_by_size_splits_the_size() {
    let mut ctx = tx_context::dummy();
    let mut storage = create_for_test(2, 7, 1000, &mut ctx);
    let rest = storage.split_by_size(300, &mut ctx);
    assert_eq!(storage.size(), 300);
    assert_eq!(rest.size(), 700);
    assert_eq!(rest.start_epoch(), 2);
    assert_eq!(rest.end_epoch(), 7);
    destroy(storage);
    destroy(rest);
}

#[test]
fun split_by_size_zero_or_whole_is_allowed() {
    let mut ctx = tx_context::dummy();
    let mut storage = create_for_test(2, 7, 1000, &mut ctx);
    let all = storage.split_by_size(0, &mut ctx);
    assert_eq!(storage.size(), 0);
    assert_eq!(all.size(), 1000);
    let mut again = create_for_test(2, 7, 1000, &mut ctx);
    let nothing = again.split_by_size(1000, &mut ctx);
    assert_eq!(again.size(), 1000);
    assert_eq!(nothing.size(), 0);
    destroy(storage);
    destroy(all);
    destroy(again);
    destroy(nothing);
}

#[test, expected_failure(abort_code = storage_resource::EIncompatibleAmount)]
fun split_by_size_above_size_aborts() {
    let mut ctx = tx_context::dummy();
    let mut storage = create_for_test(2, 7, 1000, &mut ctx);
    let _rest = storage.split_by_size(1001, &mut ctx);
    abort
}

#[test, expected_failure(abort_code = storage_resource::EInvalidEpochRange)]
fun create_storage_with_empty_period_aborts() {
    let mut ctx = tx_context::dummy();
    let _storage = storage_resource::create_storage(5, 5, 1000, &mut ctx);
    abort
}

#[test]
fun increase_size_adds_bytes() {
    let mut ctx = tx_context::dummy();
    let mut storage = create_for_test(2, 7, 1000, &mut ctx);
    storage.increase_size(24u64);
    assert_eq!(storage.size(), 1024);
    destroy(storage);
}

#[test]
fun fuse_periods_in_both_orders() {
    let mut ctx = tx_context::dummy();
    let mut first = create_for_test(2, 5, 1000, &mut ctx);
    first.fuse_periods(create_for_test(5, 9, 1000, &mut ctx));
    assert_eq!(first.start_epoch(), 2);
    assert_eq!(first.end_epoch(), 9);
    first.fuse_periods(create_for_test(0, 2, 1000, &mut ctx));
    assert_eq!(first.start_epoch(), 0);
    assert_eq!(first.end_epoch(), 9);
    assert_eq!(first.size(), 1000);
    first.destroy();
}

#[test, expected_failure(abort_code = storage_resource::EIncompatibleAmount)]
fun fuse_periods_different_sizes_aborts() {
    let mut ctx = tx_context::dummy();
    let mut first = create_for_test(2, 5, 1000, &mut ctx);
    first.fuse_periods(create_for_test(5, 9, 999, &mut ctx));
    abort
}

#[test, expected_failure(abort_code = storage_resource::EIncompatibleEpochs)]
fun fuse_periods_gap_aborts() {
    let mut ctx = tx_context::dummy();
    let mut first = create_for_test(2, 5, 1000, &mut ctx);
    first.fuse_periods(create_for_test(6, 9, 1000, &mut ctx));
    abort
}

#[test]
fun fuse_amount_adds_sizes() {
    let mut ctx = tx_context::dummy();
    let mut first = create_for_test(2, 5, 1000, &mut ctx);
    first.fuse_amount(create_for_test(2, 5, 24, &mut ctx));
    assert_eq!(first.size(), 1024);
    assert_eq!(first.start_epoch(), 2);
    assert_eq!(first.end_epoch(), 5);
    first.destroy();
}

#[test, expected_failure(abort_code = storage_resource::EIncompatibleEpochs)]
fun fuse_amount_different_periods_aborts() {
    let mut ctx = tx_context::dummy();
    let mut first = create_for_test(2, 5, 1000, &mut ctx);
    first.fuse_amount(create_for_test(2, 6, 1000, &mut ctx));
    abort
}

#[test]
fun fuse_dispatches_by_period() {
    let mut ctx = tx_context::dummy();
    let mut first = create_for_test(2, 5, 1000, &mut ctx);
    first.fuse(create_for_test(2, 5, 1000, &mut ctx));
    assert_eq!(first.size(), 2000);
    first.fuse(create_for_test(5, 8, 2000, &mut ctx));
    assert_eq!(first.end_epoch(), 8);
    assert_eq!(first.size(), 2000);
    first.destroy();
}

#[test, expected_failure(abort_code = storage_resource::EIncompatibleEpochs)]
fun fuse_overlapping_periods_aborts() {
    let mut ctx = tx_context::dummy();
    let mut first = create_for_test(2, 5, 1000, &mut ctx);
    first.fuse(create_for_test(3, 8, 1000, &mut ctx));
    abort
}

#[test]
fun package_constructor_and_extension() {
    let mut ctx = tx_context::dummy();
    let mut storage = storage_resource::create_storage(3, 5, 10, &mut ctx);
    storage.extend_end_epoch(4);
    assert_eq!(storage.start_epoch(), 3);
    assert_eq!(storage.end_epoch(), 9);
    assert_eq!(storage.size(), 10);
    storage.destroy();
}
