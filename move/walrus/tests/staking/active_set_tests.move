#[test_only]
module walrus::active_set_tests;

use std::unit_test::assert_eq;
use walrus::active_set;
use walrus::bls_aggregate::test_node_id;

#[test]
fun insert_update_remove() {
    let mut set = active_set::new(3, 0);
    assert!(set.insert_or_update(test_node_id(0), 10));
    assert!(set.insert_or_update(test_node_id(1), 20));
    assert_eq!(set.total_stake(), 30);
    assert!(set.insert_or_update(test_node_id(0), 15));
    assert_eq!(set.stake(test_node_id(0)), 15);
    assert_eq!(set.total_stake(), 35);
    // Zero stake leaves the set.
    assert!(!set.insert_or_update(test_node_id(0), 0));
    assert!(!set.contains(test_node_id(0)));
    assert_eq!(set.total_stake(), 20);
    assert_eq!(set.size(), 1);
    assert!(!set.insert_or_update(test_node_id(5), 0));
    set.remove(test_node_id(1));
    assert_eq!(set.size(), 0);
    assert_eq!(set.max_size(), 3);
}

#[test]
fun full_set_evicts_the_lowest_only_for_more() {
    let mut set = active_set::new(2, 0);
    set.insert_or_update(test_node_id(0), 10);
    set.insert_or_update(test_node_id(1), 20);
    // Equal to the minimum: rejected.
    assert!(!set.insert_or_update(test_node_id(2), 10));
    // Larger: evicts node 0.
    assert!(set.insert_or_update(test_node_id(2), 11));
    assert!(!set.contains(test_node_id(0)));
    assert_eq!(set.total_stake(), 31);
    // Ties at the minimum: the first of them in the set's order is evicted, and the newcomer
    // takes its place (as mainnet).
    let mut set = active_set::new(2, 0);
    set.insert_or_update(test_node_id(1), 10);
    set.insert_or_update(test_node_id(0), 10);
    assert!(set.insert_or_update(test_node_id(2), 12));
    assert!(!set.contains(test_node_id(1)));
    assert_eq!(set.active_ids(), vector[test_node_id(2), test_node_id(0)]);
}

#[test]
fun a_leaving_node_is_replaced_by_the_last() {
    let mut set = active_set::new(5, 0);
    set.insert_or_update(test_node_id(0), 1);
    set.insert_or_update(test_node_id(1), 2);
    set.insert_or_update(test_node_id(2), 3);
    set.insert_or_update(test_node_id(0), 0);
    assert_eq!(set.active_ids(), vector[test_node_id(2), test_node_id(1)]);
    assert_eq!(set.total_stake(), 5);
    // Updating keeps the position.
    set.insert_or_update(test_node_id(2), 7);
    assert_eq!(set.active_ids(), vector[test_node_id(2), test_node_id(1)]);
    assert_eq!(set.total_stake(), 9);
}

#[test]
fun sorted_by_stake_then_id() {
    let mut set = active_set::new(10, 0);
    set.insert_or_update(test_node_id(3), 5);
    set.insert_or_update(test_node_id(1), 7);
    set.insert_or_update(test_node_id(0), 5);
    set.insert_or_update(test_node_id(2), 9);
    let (ids, stakes) = set.sorted_nodes_and_stakes();
    assert_eq!(ids, vector[test_node_id(2), test_node_id(1), test_node_id(0), test_node_id(3)]);
    assert_eq!(stakes, vector[9, 7, 5, 5]);
}

#[test, expected_failure(abort_code = active_set::EZeroMaxSize)]
fun zero_max_size_aborts() {
    active_set::new(0, 0);
}

#[test]
fun stake_below_the_threshold_leaves_the_set() {
    let mut set = active_set::new(3, 100);
    assert_eq!(set.threshold_stake(), 100);
    assert!(!set.insert_or_update(test_node_id(0), 99));
    assert!(set.insert_or_update(test_node_id(0), 100));
    assert_eq!(set.total_stake(), 100);
    assert!(!set.insert_or_update(test_node_id(0), 50));
    assert!(!set.contains(test_node_id(0)));
    assert_eq!(set.total_stake(), 0);
}
