#[test_only]
/// Multi-epoch scenarios: rewards of two delegators with different entry epochs, commission,
/// the burn, committee changes. Every amount is asserted exactly (rounding is behaviour).
module walrus::staking_rewards_tests;

use std::unit_test::{assert_eq, destroy};
use walrus::auth;
use walrus::staking_inner;
use walrus::staking_test_utils::{Self as tu, frost};

/// Rewards of epochs 1 and 2 in this scenario: 2 WAL each.
const EPOCH_REWARDS: u64 = 2_000_000_000;

#[test]
fun two_delegators_commission_and_burn() {
    let mut w = tu::world(10);
    // Epoch 0: node A (10% commission) and node B (0%).
    let cap_a = w.register_node(0, 1000);
    let cap_b = w.register_node(1, 0);
    let a = cap_a.node_id();
    let b = cap_b.node_id();
    let d1 = w.stake(a, 1000); // delegator 1, before voting_end: active from epoch 1
    let sb = w.stake(b, 1000);
    assert_eq!(d1.activation_epoch(), 1);
    let mut caps = vector[cap_a, cap_b];

    // Epoch 0 -> 1: committee A:5, B:5 (equal stake).
    w.next_epoch(&mut caps);
    assert_eq!(w.staking().epoch(), 1);
    assert_eq!(w.staking().committee().weight(&a), 5);
    assert_eq!(w.staking().committee().weight(&b), 5);
    assert!(staking_inner::is_epoch_change_done(&w.staking().epoch_state()));
    let pool_a = w.staking().pool(a);
    assert_eq!(pool_a.wal_balance(), frost(1000));
    assert_eq!(pool_a.num_shares(), frost(1000));
    // Prices follow the votes (all nodes vote 5 and 7).
    assert_eq!(w.system().storage_price_per_unit_size(), 5);
    assert_eq!(w.system().write_price_per_unit_size(), 7);

    // Epoch 1: delegator 2 joins A before voting_end (active from epoch 2); rewards 2 WAL.
    let d2 = w.stake(a, 500);
    assert_eq!(d2.activation_epoch(), 2);
    w.add_epoch_rewards(EPOCH_REWARDS);
    let supply_before = w.treasury().total_supply();

    // Epoch 1 -> 2: 3% burned (60_000_000); 1_940_000_000 split 5/5 over A and B:
    // 970_000_000 each. A: commission 97_000_000, delegators 873_000_000.
    w.next_epoch(&mut caps);
    assert_eq!(supply_before - w.treasury().total_supply(), 60_000_000);
    let pool_a = w.staking().pool(a);
    assert_eq!(pool_a.commission_amount(), 97_000_000);
    assert_eq!(pool_a.rewards_amount(), 873_000_000);
    // rate[2] = (1_000_873_000_000 FROST, 1_000_000_000_000 shares); then 500 WAL join:
    // wal_balance 1_500_873_000_000, shares = 1_500_873_000_000 * 10^12 / 1_000_873_000_000.
    assert_eq!(pool_a.wal_balance(), 1_500_873_000_000);
    assert_eq!(pool_a.num_shares(), 1_499_563_880_732);
    let pool_b = w.staking().pool(b);
    assert_eq!(pool_b.commission_amount(), 0);
    assert_eq!(pool_b.wal_balance(), 1_000_970_000_000);
    // Committee for epoch 2 from stakes 1500 / 1000: A 6, B 4.
    assert_eq!(w.staking().committee().weight(&a), 6);
    assert_eq!(w.staking().committee().weight(&b), 4);

    // Epoch 2: delegator 1 requests withdrawal before voting_end: withdrawable at 3.
    let mut d1 = d1;
    w.staking().request_withdraw_stake(&mut d1, &mut tx_context::dummy());
    assert_eq!(d1.withdraw_epoch(), 3);
    w.add_epoch_rewards(EPOCH_REWARDS);

    // Epoch 2 -> 3: A gets 1_940_000_000 * 6 / 10 = 1_164_000_000: commission 116_400_000,
    // delegators 1_047_600_000.
    w.next_epoch(&mut caps);
    let pool_a = w.staking().pool(a);
    assert_eq!(pool_a.commission_amount(), 213_400_000);
    assert_eq!(pool_a.rewards_amount(), 1_920_600_000);
    // D1 left at 3: rate[3] = (1_501_920_600_000, 1_499_563_880_732), D1's value
    // 1_001_571_603_116 left the pool.
    assert_eq!(pool_a.wal_balance(), 500_348_996_884);
    assert_eq!(pool_a.num_shares(), 499_563_880_732);
    // Read-only rewards: D1 1000 WAL from 1 to 3, D2 500 WAL from 2 to 3.
    assert_eq!(w.staking().calculate_rewards(a, frost(1000), 1, 3), 1_571_603_116);
    assert_eq!(w.staking().calculate_rewards(a, frost(500), 2, 3), 348_996_883);

    // Epoch 3: D1 withdraws principal + rewards.
    let coin = w.withdraw(d1);
    assert_eq!(coin.value(), 1_001_571_603_116);
    destroy(coin);
    assert_eq!(w.staking().pool(a).rewards_amount(), 348_996_884);

    // The commission goes to the holder of A's cap. What the change to epoch 3 added
    // (116_400_000) stays blocked until voting_end; the earlier 97_000_000 is collectable.
    assert_eq!(w.staking().pool(a).blocked_commission(), 116_400_000);
    let auth = auth::authenticate_with_object(&caps[0]);
    let commission = w.collect_commission(a, auth);
    assert_eq!(commission.value(), 97_000_000);
    destroy(commission);
    let auth = auth::authenticate_with_object(&caps[0]);
    let nothing = w.collect_commission(a, auth);
    assert_eq!(nothing.value(), 0);
    destroy(nothing);
    w.run_voting_end();
    assert_eq!(w.staking().pool(a).blocked_commission(), 0);
    let auth = auth::authenticate_with_object(&caps[0]);
    let commission = w.collect_commission(a, auth);
    assert_eq!(commission.value(), 116_400_000);
    destroy(commission);
    assert_eq!(w.staking().pool(a).commission_amount(), 0);

    destroy(d2);
    destroy(sb);
    destroy(caps);
    w.destroy_world();
}

#[test]
fun idle_pool_is_left_alone_then_earns() {
    let mut w = tu::world(10);
    let cap_a = w.register_node(0, 0);
    let cap_c = w.register_node(1, 0);
    let a = cap_a.node_id();
    let c = cap_c.node_id();
    let sa = w.stake(a, 1000);
    let mut caps = vector[cap_a, cap_c];
    w.next_epoch(&mut caps); // 1
    w.next_epoch(&mut caps); // 2
    w.next_epoch(&mut caps); // 3
    // C was in no committee: never advanced, and staking does not advance it either (as
    // mainnet).
    assert_eq!(w.staking().pool(c).latest_epoch(), 0);
    let sc = w.stake(c, 500);
    assert_eq!(w.staking().pool(c).latest_epoch(), 0);
    assert!(w.staking().pool(c).exchange_rate_at_epoch(2).is_flat());
    // Stakes 1000 / 500 (total 1500), n = 10: seats 6 and 3, the last shard to A
    // (1000 / 7 > 500 / 4): A 7, C 3.
    w.next_epoch(&mut caps); // 4
    assert_eq!(w.staking().committee().weight(&a), 7);
    assert_eq!(w.staking().committee().weight(&c), 3);
    // Joining the committee advanced it from 0 to 4 in one step.
    assert_eq!(w.staking().pool(c).latest_epoch(), 4);
    assert_eq!(w.staking().pool(c).wal_balance(), frost(500));
    w.add_epoch_rewards(EPOCH_REWARDS);
    w.next_epoch(&mut caps); // 5: C gets 1_940_000_000 * 3 / 10 = 582_000_000
    assert_eq!(w.staking().pool(c).wal_balance(), 500_582_000_000);
    assert_eq!(w.staking().pool(a).wal_balance(), 1_001_358_000_000);
    // Request before the vote: leaves at 6 with the reward of epoch 4.
    let mut sc = sc;
    w.request_withdraw(&mut sc);
    assert_eq!(sc.withdraw_epoch(), 6);
    w.next_epoch(&mut caps); // 6
    let coin = w.withdraw(sc);
    assert_eq!(coin.value(), 500_582_000_000);
    assert_eq!(w.staking().pool(c).wal_balance(), 0);
    destroy(coin);
    destroy(sa);
    destroy(caps);
    w.destroy_world();
}

