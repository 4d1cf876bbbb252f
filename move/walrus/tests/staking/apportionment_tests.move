#[test_only]
module walrus::apportionment_tests;

use std::unit_test::assert_eq;
use walrus::apportionment::{dhondt, shards_limit};

fun sum(v: &vector<u16>): u64 {
    let mut s = 0;
    v.do_ref!(|x| s = s + (*x as u64));
    s
}

#[test]
fun shards_limit_by_node_count() {
    // >= 20 nodes: n / 10.
    assert_eq!(shards_limit(1000, 20), 100);
    assert_eq!(shards_limit(1000, 150), 100);
    // fewer: ceil(2n / nodes) (above n for one node, as mainnet: it has no effect).
    assert_eq!(shards_limit(1000, 19), 106);
    assert_eq!(shards_limit(1000, 3), 667);
    assert_eq!(shards_limit(1000, 2), 1000);
    assert_eq!(shards_limit(1000, 1), 2000);
    assert_eq!(shards_limit(10, 4), 5);
    // With fewer than 10 shards per 20 nodes the cap is 0, as mainnet (no committee).
    assert_eq!(shards_limit(5, 25), 0);
}

#[test]
fun proportional_stakes_get_exact_shares() {
    let seats = dhondt(10, shards_limit(10, 3), &vector[50, 30, 20]);
    assert_eq!(seats, vector[5, 3, 2]);
    let seats = dhondt(1000, shards_limit(1000, 3), &vector[5, 3, 2]);
    assert_eq!(seats, vector[500, 300, 200]);
}

#[test]
fun cap_moves_the_surplus_to_the_others() {
    // cap = ceil(2 * 1000 / 3) = 667: the 70% node is capped, 333 shards split 2:1.
    let seats = dhondt(1000, shards_limit(1000, 3), &vector[700, 200, 100]);
    assert_eq!(seats, vector[667, 222, 111]);
    assert_eq!(sum(&seats), 1000);
}

#[test]
fun whale_with_small_nodes() {
    // 5 nodes, cap = ceil(20 / 5) = 4. Initial seats 4,0,0,0,0; then quotient ties go to the
    // node listed first: 1/1 x4, then 1/2 to the first two.
    let seats = dhondt(10, shards_limit(10, 5), &vector[100, 1, 1, 1, 1]);
    assert_eq!(seats, vector[4, 2, 2, 1, 1]);
}

#[test]
fun many_nodes_cap_ten_percent() {
    // 25 nodes, n = 100, cap = 10: the whale gets 10, 90 shards over 24 equal nodes: 18 get 4,
    // the last 6 (in priority order) get 3.
    let mut stakes = vector[1000];
    24u64.do!(|_| stakes.push_back(10));
    let seats = dhondt(100, shards_limit(100, 25), &stakes);
    assert_eq!(seats[0], 10);
    assert_eq!(seats[1], 4);
    assert_eq!(seats[18], 4);
    assert_eq!(seats[19], 3);
    assert_eq!(seats[24], 3);
    assert_eq!(sum(&seats), 100);
    seats.do!(|s| assert!(s <= 10));
}

#[test]
fun ties_go_to_the_first_listed() {
    // Equal stakes (listed by node id): initial 1 each, the extra shard to the first.
    assert_eq!(dhondt(4, shards_limit(4, 3), &vector[10, 10, 10]), vector[2, 1, 1]);
    assert_eq!(dhondt(10, shards_limit(10, 3), &vector[1000, 1000, 1000]), vector[4, 3, 3]);
}

#[test]
fun small_stake_changes_keep_the_counts() {
    assert_eq!(dhondt(10, shards_limit(10, 3), &vector[1001, 1000, 999]), vector[4, 3, 3]);
}

#[test]
fun no_candidates_get_nothing() {
    assert_eq!(dhondt(10, 10, &vector[]), vector[]);
}

#[test]
fun zero_stake_nodes_get_shards_only_after_every_staked_one_is_capped() {
    // The quotient of a zero stake is 0: the cap of 3 forces the last shard onto it.
    assert_eq!(dhondt(7, 3, &vector[5, 0, 5]), vector[3, 1, 3]);
}

#[test]
fun single_node_takes_all() {
    assert_eq!(dhondt(1000, shards_limit(1000, 1), &vector[1]), vector[1000]);
}

#[test, expected_failure(abort_code = walrus::apportionment_queue::EPopFromEmptyHeap)]
fun cap_too_small_aborts() {
    dhondt(10, 3, &vector[1, 1, 1]);
}

// === apportionment_queue ===

fun p(x: u128): std::uq64_64::UQ64_64 { std::uq64_64::from_raw(x) }

fun pop(q: &mut walrus::apportionment_queue::ApportionmentQueue<u64>): vector<u128> {
    let (priority, _, value) = q.pop_max();
    vector[priority.to_raw(), value as u128]
}

#[test]
fun the_queue_pops_by_priority_then_tie_breaker() {
    let mut q = walrus::apportionment_queue::new();
    q.insert(p(3), 1, 10u64);
    q.insert(p(1), 2, 20);
    q.insert(p(4), 3, 30);
    q.insert(p(2), 4, 40);
    q.insert(p(5), 5, 50);
    q.insert(p(2), 6, 60);
    assert_eq!(pop(&mut q), vector[5, 50]);
    assert_eq!(pop(&mut q), vector[4, 30]);
    assert_eq!(pop(&mut q), vector[3, 10]);
    q.insert(p(7), 7, 70);
    assert_eq!(pop(&mut q), vector[7, 70]);
    // Equal priorities: the higher tie-breaker first.
    assert_eq!(pop(&mut q), vector[2, 60]);
    q.insert(p(0), 8, 80);
    assert_eq!(pop(&mut q), vector[2, 40]);
    assert_eq!(pop(&mut q), vector[1, 20]);
    assert_eq!(pop(&mut q), vector[0, 80]);
}

#[test, expected_failure(abort_code = walrus::apportionment_queue::EPopFromEmptyHeap)]
fun popping_an_empty_queue_aborts() {
    let mut q = walrus::apportionment_queue::new<u64>();
    q.insert(p(1), 0, 1);
    pop(&mut q);
    pop(&mut q);
}
