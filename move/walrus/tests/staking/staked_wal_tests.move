#[test_only]
module walrus::staked_wal_tests;

use std::unit_test::{assert_eq, destroy};
use walrus::bls_aggregate::test_node_id;
use walrus::staked_wal;

const WAL: u64 = 1_000_000_000;

#[test]
fun mint_and_accessors() {
    let ctx = &mut tx_context::dummy();
    let sw = staked_wal::mint_for_testing(test_node_id(0), 5 * WAL, 3, ctx);
    assert_eq!(sw.node_id(), test_node_id(0));
    assert_eq!(sw.value(), 5 * WAL);
    assert_eq!(sw.activation_epoch(), 3);
    assert!(sw.is_staked());
    assert!(!sw.is_withdrawing());
    assert_eq!(staked_wal::min_staking_threshold(), WAL);
    destroy(sw);
}

#[test]
fun split_and_join_keep_everything() {
    let ctx = &mut tx_context::dummy();
    let mut sw = staked_wal::mint_for_testing(test_node_id(0), 5 * WAL, 3, ctx);
    let other = sw.split(2 * WAL, ctx);
    assert_eq!(sw.value(), 3 * WAL);
    assert_eq!(other.value(), 2 * WAL);
    assert_eq!(other.activation_epoch(), 3);
    assert_eq!(other.node_id(), test_node_id(0));
    sw.join(other);
    assert_eq!(sw.value(), 5 * WAL);
    destroy(sw);
}

#[test]
fun split_and_join_withdrawing() {
    let ctx = &mut tx_context::dummy();
    let mut sw = staked_wal::mint_for_testing(test_node_id(0), 4 * WAL, 1, ctx);
    sw.set_withdrawing(7);
    let other = sw.split(2 * WAL, ctx);
    assert_eq!(other.withdraw_epoch(), 7);
    assert!(other.is_withdrawing());
    sw.join(other);
    assert_eq!(sw.value(), 4 * WAL);
    destroy(sw);
}

#[test, expected_failure(abort_code = staked_wal::EStakeBelowThreshold)]
fun mint_below_threshold_aborts() {
    let ctx = &mut tx_context::dummy();
    destroy(staked_wal::mint_for_testing(test_node_id(0), WAL - 1, 1, ctx));
}

#[test, expected_failure(abort_code = staked_wal::EStakeBelowThreshold)]
fun split_small_part_aborts() {
    let ctx = &mut tx_context::dummy();
    let mut sw = staked_wal::mint_for_testing(test_node_id(0), 3 * WAL, 1, ctx);
    destroy(sw.split(WAL - 1, ctx));
    destroy(sw);
}

#[test, expected_failure(abort_code = staked_wal::EStakeBelowThreshold)]
fun split_leaving_small_remainder_aborts() {
    let ctx = &mut tx_context::dummy();
    let mut sw = staked_wal::mint_for_testing(test_node_id(0), 2 * WAL, 1, ctx);
    destroy(sw.split(WAL + 1, ctx));
    destroy(sw);
}

#[test, expected_failure(abort_code = staked_wal::EInvalidAmount)]
fun split_everything_aborts() {
    let ctx = &mut tx_context::dummy();
    let mut sw = staked_wal::mint_for_testing(test_node_id(0), 2 * WAL, 1, ctx);
    destroy(sw.split(2 * WAL, ctx));
    destroy(sw);
}

#[test, expected_failure(abort_code = staked_wal::EMetadataMismatch)]
fun join_other_node_aborts() {
    let ctx = &mut tx_context::dummy();
    let mut a = staked_wal::mint_for_testing(test_node_id(0), WAL, 1, ctx);
    a.join(staked_wal::mint_for_testing(test_node_id(1), WAL, 1, ctx));
    destroy(a);
}

#[test, expected_failure(abort_code = staked_wal::EMetadataMismatch)]
fun join_other_activation_aborts() {
    let ctx = &mut tx_context::dummy();
    let mut a = staked_wal::mint_for_testing(test_node_id(0), WAL, 1, ctx);
    a.join(staked_wal::mint_for_testing(test_node_id(0), WAL, 2, ctx));
    destroy(a);
}

#[test, expected_failure(abort_code = staked_wal::EMetadataMismatch)]
fun join_other_state_aborts() {
    let ctx = &mut tx_context::dummy();
    let mut a = staked_wal::mint_for_testing(test_node_id(0), WAL, 1, ctx);
    let mut b = staked_wal::mint_for_testing(test_node_id(0), WAL, 1, ctx);
    b.set_withdrawing(3);
    a.join(b);
    destroy(a);
}

#[test, expected_failure(abort_code = staked_wal::EMetadataMismatch)]
fun join_other_withdraw_epoch_aborts() {
    let ctx = &mut tx_context::dummy();
    let mut a = staked_wal::mint_for_testing(test_node_id(0), WAL, 1, ctx);
    let mut b = staked_wal::mint_for_testing(test_node_id(0), WAL, 1, ctx);
    a.set_withdrawing(3);
    b.set_withdrawing(4);
    a.join(b);
    destroy(a);
}

#[test, expected_failure(abort_code = staked_wal::ENotWithdrawing)]
fun withdraw_epoch_of_staked_aborts() {
    let ctx = &mut tx_context::dummy();
    let sw = staked_wal::mint_for_testing(test_node_id(0), WAL, 1, ctx);
    sw.withdraw_epoch();
    destroy(sw);
}

#[test, expected_failure(abort_code = staked_wal::EAlreadyWithdrawing)]
fun set_withdrawing_twice_aborts() {
    let ctx = &mut tx_context::dummy();
    let mut sw = staked_wal::mint_for_testing(test_node_id(0), 4 * WAL, 1, ctx);
    sw.set_withdrawing(7);
    sw.set_withdrawing(8);
    destroy(sw);
}
