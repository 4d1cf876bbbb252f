//! The pure staking arithmetic through the crate's public API, with the inputs and expected
//! numbers of the Move unit tests: apportionment (`apportionment_tests.move`), minimal shard
//! movement (`committee_tests.move`), weighted quantiles (`weighted_quantile_tests.move`) and
//! exchange rates (`exchange_rate_tests.move`). The same cases run through the ledger in
//! `staking_nodes.rs` (genesis apportionment) and `staking_epoch.rs` (votes, shard movement).
#![allow(clippy::unwrap_used)]

mod staking_support;

use staking_support::test_node_id;
use walrus_chain::walrus::staking::apportionment::{dhondt, shards_limit};
use walrus_chain::walrus::staking::committee::{Committee, CommitteeOps, initialize};
use walrus_chain::walrus::staking::errors::{apportionment_queue, committee, weighted_quantile};
use walrus_chain::walrus::staking::exchange_rate::{self, Convert};
use walrus_chain::walrus::staking::quantile::{quorum_above, quorum_below, quorum_weight};
use walrus_chain::walrus::to_move_id;
use walrus_core::contracts::ObjectId;

fn counts(weights: &[u16]) -> Vec<(ObjectId, u16)> {
    weights
        .iter()
        .enumerate()
        .filter(|(_, w)| **w > 0)
        .map(|(i, w)| (to_move_id(test_node_id(i as u64)), *w))
        .collect()
}

fn shards(c: &Committee, i: u64) -> Vec<u16> {
    c.shards(&to_move_id(test_node_id(i))).to_vec()
}

/// Mirrors apportionment_tests.move::cap_moves_the_surplus_to_the_others and
/// whale_with_small_nodes.
#[test]
fn apportionment() {
    assert_eq!(shards_limit(1000, 3), 667);
    assert_eq!(
        dhondt(1000, shards_limit(1000, 3), &[700, 200, 100]).unwrap(),
        vec![667, 222, 111]
    );
    assert_eq!(shards_limit(10, 5), 4);
    assert_eq!(
        dhondt(10, shards_limit(10, 5), &[100, 1, 1, 1, 1]).unwrap(),
        vec![4, 2, 2, 1, 1]
    );
    // apportionment_tests.move::cap_too_small_aborts.
    assert!(
        apportionment_queue::EPopFromEmptyHeap.matches(&dhondt(10, 3, &[1, 1, 1]).unwrap_err())
    );
}

/// Mirrors committee_tests.move::released_shards_pooled_in_node_order: 4/3/3 -> 2/2/3/3,
/// the new node takes 6, 2, 3 (the pool's end first) and only those three shards move.
#[test]
fn minimal_movement() {
    let a = initialize(&counts(&[4, 3, 3]));
    assert_eq!(shards(&a, 0), vec![0, 1, 2, 3]);
    assert_eq!(shards(&a, 1), vec![4, 5, 6]);
    assert_eq!(shards(&a, 2), vec![7, 8, 9]);
    let b = a.transition(&counts(&[2, 2, 3, 3])).unwrap();
    assert_eq!(shards(&b, 0), vec![0, 1]);
    assert_eq!(shards(&b, 1), vec![4, 5]);
    assert_eq!(shards(&b, 2), vec![7, 8, 9]);
    assert_eq!(shards(&b, 3), vec![6, 2, 3]);
    // committee_tests.move::transition_with_other_total_aborts.
    assert!(
        committee::EInvalidShardAssignment.matches(&a.transition(&counts(&[3, 3])).unwrap_err())
    );
}

/// Mirrors weighted_quantile_tests.move::{prices_below_quorum, capacity_above_quorum} and
/// the capacity of staking_epoch_tests.move::prices_and_capacity_follow_weighted_quantiles.
#[test]
fn quantiles() {
    assert_eq!(quorum_weight(10), 7);
    assert_eq!(quorum_weight(1000), 667);
    // Prices 100..400 with weights 4/3/2/1: 200.
    assert_eq!(
        quorum_below(&[100, 200, 300, 400], &[4, 3, 2, 1], 10).unwrap(),
        200
    );
    // Capacity votes 1000 * 10 / shards for shards 4/3/2/1: 2500.
    let votes: Vec<u64> = [4u64, 3, 2, 1].iter().map(|s| 1000 * 10 / s).collect();
    assert_eq!(votes, vec![2500, 3333, 5000, 10000]);
    assert_eq!(quorum_above(&votes, &[4, 3, 2, 1], 10).unwrap(), 2500);
    assert_eq!(quorum_below(&[], &[], 10).unwrap(), u64::MAX);
    assert_eq!(quorum_above(&[], &[], 10).unwrap(), 0);
    assert!(
        weighted_quantile::ELengthMismatch.matches(&quorum_below(&[1, 2], &[1], 10).unwrap_err())
    );
}

/// Mirrors exchange_rate_tests.move::variable_rounds_down and the rates of
/// staking_rewards_tests.move::two_delegators_commission_and_burn.
#[test]
fn exchange_rates() {
    let rate = exchange_rate::new(1_500, 1_000).unwrap();
    assert_eq!(rate.to_wal_amount(7).unwrap(), 10);
    assert_eq!(rate.to_share_amount(10).unwrap(), 6);
    let rate2 = exchange_rate::new(1_000_873_000_000, 1_000_000_000_000).unwrap();
    assert_eq!(
        rate2.to_share_amount(1_500_873_000_000).unwrap(),
        1_499_563_880_732
    );
    let rate3 = exchange_rate::new(1_501_920_600_000, 1_499_563_880_732).unwrap();
    assert_eq!(
        rate3.to_wal_amount(1_000_000_000_000).unwrap(),
        1_001_571_603_116
    );
    assert_eq!(
        rate3.to_wal_amount(499_563_880_732).unwrap() - 500_000_000_000,
        348_996_883
    );
}
