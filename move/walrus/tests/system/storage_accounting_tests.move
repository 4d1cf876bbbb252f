#[test_only]
module walrus::storage_accounting_tests;

use std::unit_test::{assert_eq, destroy};
use sui::balance;
use wal::wal::WAL;
use walrus::storage_accounting;

#[test]
fun ring_starts_at_epoch_zero() {
    let ring = storage_accounting::ring_new(3);
    assert_eq!(ring.max_epochs_ahead(), 3);
    assert_eq!(ring.ring_lookup(0).epoch(), 0);
    assert_eq!(ring.ring_lookup(2).epoch(), 2);
    assert_eq!(ring.ring_lookup(2).used_capacity(), 0);
    assert_eq!(ring.ring_lookup(2).rewards(), 0);
    ring.destroy_ring_for_testing();
}

#[test, expected_failure(abort_code = storage_accounting::EZeroLength)]
fun ring_of_length_zero_aborts() {
    let _ring = storage_accounting::ring_new(0);
    abort
}

#[test, expected_failure(abort_code = storage_accounting::ETooFarInFuture)]
fun lookup_past_the_window_aborts() {
    let ring = storage_accounting::ring_new(3);
    ring.ring_lookup(3);
    abort
}

#[test, expected_failure(abort_code = storage_accounting::ETooFarInFuture)]
fun lookup_mut_past_the_window_aborts() {
    let mut ring = storage_accounting::ring_new(3);
    ring.ring_lookup_mut(3);
    abort
}

#[test]
fun pop_expand_moves_the_window() {
    let mut ring = storage_accounting::ring_new(3);
    ring.ring_lookup_mut(1).increase_used_capacity(10);
    ring.ring_lookup_mut(1).rewards_balance().join(balance::create_for_testing<WAL>(7));
    ring.ring_lookup_mut(0).increase_used_capacity(4);
    let (used, rewards) = ring.ring_pop_expand().delete();
    assert_eq!(used, 4);
    assert_eq!(rewards.value(), 0);
    rewards.destroy_zero();
    assert_eq!(ring.ring_lookup(0).epoch(), 1);
    assert_eq!(ring.ring_lookup(0).used_capacity(), 10);
    assert_eq!(ring.ring_lookup(0).rewards(), 7);
    assert_eq!(ring.ring_lookup(1).epoch(), 2);
    assert_eq!(ring.ring_lookup(2).epoch(), 3);
    // Wrap around the buffer several times.
    5u64.do!(|_| {
        let (_, b) = ring.ring_pop_expand().delete();
        destroy(b);
    });
    assert_eq!(ring.ring_lookup(0).epoch(), 6);
    assert_eq!(ring.ring_lookup(2).epoch(), 8);
    ring.destroy_ring_for_testing();
}

#[test]
fun capacity_up_and_down() {
    let mut ring = storage_accounting::ring_new(2);
    let entry = ring.ring_lookup_mut(1);
    entry.increase_used_capacity(10);
    entry.decrease_used_capacity(4);
    assert_eq!(ring.ring_lookup(1).used_capacity(), 6);
    ring.destroy_ring_for_testing();
}

#[test, expected_failure(abort_code = storage_accounting::ECapacityUnderflow)]
fun capacity_below_zero_aborts() {
    let mut ring = storage_accounting::ring_new(2);
    ring.ring_lookup_mut(1).decrease_used_capacity(1);
    abort
}
