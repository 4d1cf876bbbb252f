#[test_only]
module walrus::committee_tests;

use std::unit_test::assert_eq;
use sui::vec_map;
use walrus::apportionment;
use walrus::bls_aggregate::test_node_id;
use walrus::committee::{Self, Committee};

fun counts(weights: vector<u16>): vec_map::VecMap<ID, u16> {
    let mut m = vec_map::empty();
    weights.length().do!(|i| if (weights[i] > 0) m.insert(test_node_id(i), weights[i]));
    m
}

/// Number of shards whose holder differs between `a` and `b`.
fun moved(a: &Committee, b: &Committee): u64 {
    let mut moved = 0;
    b.node_ids().do!(|id| {
        b.shards(&id).do_ref!(|s| {
            if (!a.contains(&id) || !a.shards(&id).contains(s)) moved = moved + 1;
        });
    });
    moved
}

#[test]
fun first_committee_assigns_in_order() {
    let c = committee::initialize(counts(vector[3, 2]));
    assert_eq!(*c.shards(&test_node_id(0)), vector[0, 1, 2]);
    assert_eq!(c.to_inner(), *c.inner());
    assert_eq!(*c.to_inner().get(&test_node_id(1)), vector[3, 4]);
    assert_eq!(*c.shards(&test_node_id(1)), vector[3, 4]);
    assert_eq!(c.n_shards(), 5);
    assert_eq!(c.size(), 2);
    assert_eq!(c.weight(&test_node_id(1)), 2);
    assert_eq!(c.weight(&test_node_id(7)), 0);
    assert!(!c.contains(&test_node_id(7)));
    assert_eq!(c.to_counts(), counts(vector[3, 2]));
}

#[test]
fun the_first_committee_goes_in_id_order() {
    // Counts in apportionment order (node 1 first): shards still go by node id.
    let m = vec_map::from_keys_values(vector[test_node_id(1), test_node_id(0)], vector[1u16, 2]);
    let c = committee::initialize(m);
    assert_eq!(c.node_ids(), vector[test_node_id(0), test_node_id(1)]);
    assert_eq!(*c.shards(&test_node_id(0)), vector[0, 1]);
    assert_eq!(*c.shards(&test_node_id(1)), vector[2]);
}

#[test]
fun same_counts_move_nothing() {
    let a = committee::initialize(counts(vector[3, 2]));
    let b = a.transition(counts(vector[3, 2]));
    assert_eq!(a, b);
}

#[test]
fun growing_node_takes_released_shards() {
    let a = committee::initialize(counts(vector[3, 2]));
    let b = a.transition(counts(vector[2, 3]));
    // Node 0 gives its last shard; node 1 appends it.
    assert_eq!(*b.shards(&test_node_id(0)), vector[0, 1]);
    assert_eq!(*b.shards(&test_node_id(1)), vector[3, 4, 2]);
    assert_eq!(moved(&a, &b), 1);
}

#[test]
fun leaving_node_hands_shards_to_new_node() {
    // Node 0 leaves, node 2 joins.
    let a = committee::initialize(counts(vector[3, 2]));
    let b = a.transition(counts(vector[0, 2, 3]));
    assert!(!b.contains(&test_node_id(0)));
    assert_eq!(*b.shards(&test_node_id(1)), vector[3, 4]);
    // The pool is taken from its end.
    assert_eq!(*b.shards(&test_node_id(2)), vector[2, 1, 0]);
    assert_eq!(moved(&a, &b), 3);
}

#[test]
fun released_shards_pooled_in_node_order() {
    // a: 0:[0..4) 1:[4..7) 2:[7..10); new counts 2,2,3,3: node 0 releases 3 then 2, node 1
    // releases 6 (pool [3, 2, 6]); node 2 keeps all; node 3 (new) takes 6, 2, 3.
    let a = committee::initialize(counts(vector[4, 3, 3]));
    let b = a.transition(counts(vector[2, 2, 3, 3]));
    assert_eq!(*b.shards(&test_node_id(0)), vector[0, 1]);
    assert_eq!(*b.shards(&test_node_id(1)), vector[4, 5]);
    assert_eq!(*b.shards(&test_node_id(2)), vector[7, 8, 9]);
    assert_eq!(*b.shards(&test_node_id(3)), vector[6, 2, 3]);
    assert_eq!(moved(&a, &b), 3);
}

#[test]
fun barely_changed_stakes_move_minimal_shards() {
    // Stakes 1000/1000/1000 -> 4,3,3; then 1001/1000/999 -> same counts: nothing moves.
    let n = 10;
    let limit = apportionment::shards_limit(n, 3);
    let first = apportionment::dhondt(n, limit, &vector[1000, 1000, 1000]);
    let a = committee::initialize(counts(first));
    let second = apportionment::dhondt(n, limit, &vector[1001, 1000, 999]);
    let b = a.transition(counts(second));
    assert_eq!(moved(&a, &b), 0);
    // A larger shift (1000/1000/1000 -> 1300/1000/700) gives 5,3,2: exactly one shard moves.
    let third = apportionment::dhondt(n, limit, &vector[1300, 1000, 700]);
    assert_eq!(third, vector[5, 3, 2]);
    let c = b.transition(counts(third));
    assert_eq!(moved(&b, &c), 1);
    assert_eq!(*c.shards(&test_node_id(0)), vector[0, 1, 2, 3, 9]);
    assert_eq!(*c.shards(&test_node_id(2)), vector[7, 8]);
}

#[test, expected_failure(abort_code = committee::EInvalidShardAssignment)]
fun transition_with_other_total_aborts() {
    let a = committee::initialize(counts(vector[3, 2]));
    a.transition(counts(vector[3, 3]));
}
