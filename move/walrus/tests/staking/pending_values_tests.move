#[test_only]
module walrus::pending_values_tests;

use std::unit_test::assert_eq;
use walrus::pending_values;

#[test]
fun add_sum_and_flush() {
    let mut pv = pending_values::empty();
    assert!(pv.is_empty());
    pv.insert_or_add(5, 10);
    pv.insert_or_add(3, 7);
    pv.insert_or_add(5, 1);
    pv.insert_or_add(4, 2);
    // Insertion order, as mainnet.
    assert_eq!(pv.inner().keys(), vector[5, 3, 4]);
    assert_eq!(pv.get(5), 11);
    assert_eq!(pv.get(6), 0);
    assert_eq!(pv.value_at(2), 0);
    assert_eq!(pv.value_at(4), 9);
    assert_eq!(pv.value_at(9), 20);
    assert_eq!(pv.flush(4), 9);
    assert_eq!(pv.inner().keys(), vector[5]);
    assert_eq!(pv.flush(4), 0);
    assert_eq!(pv.flush(5), 11);
    assert!(pv.is_empty());
}

#[test]
fun replace_keeps_the_position() {
    let mut pv = pending_values::empty();
    pv.insert_or_replace(4, 100);
    pv.insert_or_replace(2, 300);
    pv.insert_or_replace(4, 200);
    assert_eq!(pv.get(4), 200);
    assert_eq!(pv.inner().keys(), vector[4, 2]);
    assert_eq!(pv.flush(1), 0);
    assert_eq!(pv.flush(3), 300);
    assert_eq!(pv.inner().keys(), vector[4]);
}

#[test]
fun reduce_keeps_empty_entries() {
    let mut pv = pending_values::empty();
    pv.insert_or_add(1, 10);
    pv.reduce(1, 4);
    assert_eq!(pv.get(1), 6);
    pv.reduce(1, 6);
    // As mainnet: the zero entry stays until flushed.
    assert!(!pv.is_empty());
    assert_eq!(pv.get(1), 0);
    assert_eq!(pv.flush(1), 0);
    assert!(pv.is_empty());
}

#[test, expected_failure(abort_code = pending_values::EReduceValueTooLarge)]
fun reduce_too_much_aborts() {
    let mut pv = pending_values::empty();
    pv.insert_or_add(1, 10);
    pv.reduce(1, 11);
}

#[test, expected_failure(abort_code = pending_values::EMissingEpochValue)]
fun reduce_missing_epoch_aborts() {
    let mut pv = pending_values::empty();
    pv.reduce(1, 1);
}
