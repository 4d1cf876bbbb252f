#[test_only]
/// `StakingPool` on its own: epoch steps, exchange rates, pools left alone, and the aborts that the
/// staking entry points cannot reach.
module walrus::staking_pool_tests;

use std::unit_test::{assert_eq, destroy};
use sui::balance;
use walrus::bls_aggregate::test_node_id;
use walrus::node_metadata;
use walrus::staked_wal;
use walrus::staking_pool::{Self, StakingPool};
use walrus::staking_test_utils::{bls_pk, frost, network_pk};
use walrus::walrus_context::{Self, WalrusContext};

fun pool(commission: u16, epoch: u32, ctx: &mut TxContext): StakingPool {
    staking_pool::new(
        b"pool".to_string(),
        b"127.0.0.1:1".to_string(),
        node_metadata::default(),
        bls_pk(0),
        network_pk(),
        vector[],
        commission,
        1,
        2,
        3,
        &wctx(epoch, false),
        ctx,
    )
}

/// The context of a pool call in `epoch`, with or without a selected next committee.
fun wctx(epoch: u32, committee_selected: bool): WalrusContext {
    walrus_context::new(epoch, committee_selected, sui::vec_map::empty())
}

#[test]
fun steps_record_rates_and_activate_stake() {
    let ctx = &mut tx_context::dummy();
    let mut p = pool(2_000, 0, ctx);
    let s1 = p.stake(balance::create_for_testing(frost(100)), &wctx(0, false), ctx);
    assert_eq!(s1.activation_epoch(), 1);
    assert_eq!(p.wal_balance_at_epoch(1), frost(100));
    assert_eq!(p.wal_balance_at_epoch(0), 0);
    p.advance_epoch(balance::zero(), &wctx(1, false));
    assert_eq!(p.wal_balance(), frost(100));
    assert_eq!(p.num_shares(), frost(100));
    assert!(p.exchange_rate_at_epoch(1).is_flat());
    // Reward 1_000: commission 20% = 200, 800 to the delegators.
    p.advance_epoch(balance::create_for_testing(1_000), &wctx(2, false));
    assert_eq!(p.commission_amount(), 200);
    assert_eq!(p.rewards_amount(), 800);
    assert_eq!(p.wal_balance(), frost(100) + 800);
    let (w, s) = p.exchange_rate_at_epoch(2).amounts();
    assert_eq!(w, (frost(100) + 800) as u128);
    assert_eq!(s, frost(100) as u128);
    assert_eq!(p.calculate_rewards(frost(100), 1, 2), 800);
    // Unrecorded epochs: after the latest -> latest rate; before the pool -> flat.
    assert_eq!(p.calculate_rewards(frost(100), 1, 9), 800);
    assert_eq!(p.latest_epoch(), 2);
    destroy(s1);
    p.destroy_for_testing();
}

#[test]
fun a_pool_left_alone_is_advanced_in_one_step() {
    let ctx = &mut tx_context::dummy();
    let mut p = pool(0, 0, ctx);
    let s1 = p.stake(balance::create_for_testing(frost(3)), &wctx(0, true), ctx);
    assert_eq!(s1.activation_epoch(), 2);
    // Not in a committee for epochs 1..3: never advanced; the stake joins at the advance to 4.
    p.advance_epoch(balance::zero(), &wctx(4, false));
    assert_eq!(p.latest_epoch(), 4);
    assert_eq!(p.wal_balance(), frost(3));
    assert_eq!(p.num_shares(), frost(3));
    // One rate per advance: epochs in between take the latest rate at or before them.
    assert!(p.exchange_rate_at_epoch(3).is_flat());
    p.advance_epoch(balance::create_for_testing(30), &wctx(7, false));
    assert_eq!(p.latest_epoch(), 7);
    assert_eq!(p.wal_balance(), frost(3) + 30);
    assert!(p.exchange_rate_at_epoch(6).is_flat());
    assert_eq!(p.calculate_rewards(frost(3), 2, 7), 30);
    assert_eq!(p.calculate_rewards(frost(3), 2, 6), 0);
    destroy(s1);
    p.destroy_for_testing();
}

#[test]
fun a_pool_created_after_the_selection_counts_from_the_next_epoch() {
    let ctx = &mut tx_context::dummy();
    let p = staking_pool::new(
        b"pool".to_string(),
        b"127.0.0.1:1".to_string(),
        node_metadata::default(),
        bls_pk(0),
        network_pk(),
        vector[],
        0,
        1,
        2,
        3,
        &wctx(3, true),
        ctx,
    );
    assert_eq!(p.activation_epoch(), 4);
    assert_eq!(p.latest_epoch(), 3);
    assert!(p.exchange_rate_at_epoch(4).is_flat());
    p.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_pool::EPoolAlreadyUpdated)]
fun advance_to_same_epoch_aborts() {
    let ctx = &mut tx_context::dummy();
    let mut p = pool(0, 0, ctx);
    p.advance_epoch(balance::zero(), &wctx(1, false));
    p.advance_epoch(balance::zero(), &wctx(1, false));
    p.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_pool::EIncorrectPoolId)]
fun withdraw_other_pools_stake_aborts() {
    let ctx = &mut tx_context::dummy();
    let mut p = pool(0, 0, ctx);
    let sw = staked_wal::mint_for_testing(test_node_id(3), frost(1), 1, ctx);
    destroy(p.withdraw_stake(sw, false, false, &wctx(0, false)));
    p.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_pool::EIncorrectPoolId)]
fun request_other_pools_stake_aborts() {
    let ctx = &mut tx_context::dummy();
    let mut p = pool(0, 0, ctx);
    let mut sw = staked_wal::mint_for_testing(test_node_id(3), frost(1), 1, ctx);
    p.request_withdraw_stake(&mut sw, true, false, &wctx(0, false));
    destroy(sw);
    p.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_pool::EIncorrectCommissionRate)]
fun new_pool_with_commission_above_100_percent_aborts() {
    let ctx = &mut tx_context::dummy();
    pool(10_001, 0, ctx).destroy_for_testing();
}

#[test]
fun newest_scheduled_commission_wins() {
    let ctx = &mut tx_context::dummy();
    let mut p = pool(100, 0, ctx);
    p.set_next_commission(300, &wctx(0, false)); // for epoch 2
    p.set_next_commission(500, &wctx(1, false)); // for epoch 3
    p.advance_epoch(balance::zero(), &wctx(2, false));
    assert_eq!(p.commission_rate(), 300);
    p.advance_epoch(balance::zero(), &wctx(3, false));
    assert_eq!(p.commission_rate(), 500);
    p.set_next_commission(700, &wctx(3, false));
    p.set_next_commission(800, &wctx(3, false)); // replaces 700 for epoch 5
    p.advance_epoch(balance::zero(), &wctx(5, false));
    assert_eq!(p.commission_rate(), 800);
    // Only an advance to exactly the scheduled epoch applies it (as mainnet).
    p.set_next_commission(900, &wctx(5, false)); // for epoch 7
    p.advance_epoch(balance::zero(), &wctx(8, false));
    assert_eq!(p.commission_rate(), 800);
    p.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_pool::EPoolIsNotActive)]
fun staking_with_a_pool_that_is_not_active_aborts() {
    let ctx = &mut tx_context::dummy();
    let mut p = pool(0, 0, ctx);
    p.set_withdrawing_for_testing(2);
    let _s = p.stake(balance::create_for_testing(frost(1)), &wctx(0, false), ctx);
    abort
}

#[test, expected_failure(abort_code = staking_pool::EIncorrectEpochAdvance)]
fun rewards_for_a_pool_without_stake_abort() {
    let ctx = &mut tx_context::dummy();
    let mut p = pool(0, 0, ctx);
    p.advance_epoch(balance::create_for_testing(5), &wctx(1, false));
    p.destroy_for_testing();
}

#[test]
fun an_empty_pool_can_withdraw_and_be_destroyed() {
    let ctx = &mut tx_context::dummy();
    let mut p = pool(0, 0, ctx);
    assert!(p.is_empty());
    assert!(!p.is_withdrawing());
    p.set_withdrawing(&wctx(3, false));
    assert!(p.is_withdrawing());
    // Blocked commission of zero leaves a bag entry; destroying clears it.
    p.add_commission(balance::zero(), true);
    p.destroy_empty();
}

#[test, expected_failure(abort_code = staking_pool::EPoolAlreadyWithdrawing)]
fun withdrawing_twice_aborts() {
    let ctx = &mut tx_context::dummy();
    let mut p = pool(0, 0, ctx);
    p.set_withdrawing(&wctx(3, false));
    p.set_withdrawing(&wctx(4, false));
    p.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_pool::EPoolNotEmpty)]
fun destroying_a_pool_with_commission_aborts() {
    let ctx = &mut tx_context::dummy();
    let mut p = pool(0, 0, ctx);
    p.add_commission(balance::create_for_testing(1), false);
    assert!(!p.is_empty());
    p.destroy_empty();
}
