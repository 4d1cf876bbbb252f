#[test_only]
/// Activation and withdrawal timing: stake before and after `voting_end`, and every withdrawal
/// case (early, pre-active, active with the node in the next committee or only in the current
/// one, node in neither committee).
module walrus::staking_withdraw_tests;

use std::unit_test::{assert_eq, destroy};
use walrus::staking_pool;
use walrus::staking_test_utils::{Self as tu, frost};

const REWARDS: u64 = 2_000_000_000;

#[test]
fun activation_before_and_after_voting_end() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let node = cap.node_id();
    let before = w.stake(node, 10);
    assert_eq!(before.activation_epoch(), 1);
    let mut caps = vector[cap];
    w.run_voting_end();
    let after = w.stake(node, 10);
    assert_eq!(after.activation_epoch(), 2);
    // Pending stake by activation epoch.
    assert_eq!(w.staking().pool(node).pending_stake().get(1), frost(10));
    assert_eq!(w.staking().pool(node).pending_stake().get(2), frost(10));
    // The active set tracks the stake for E + 2 after the selection.
    assert_eq!(w.staking().active_set().stake(node), frost(20));
    w.run_epoch_change();
    w.sync_all(&mut caps);
    assert_eq!(w.staking().pool(node).wal_balance(), frost(10));
    // Epoch 1, before voting_end: activation 2.
    let in_one = w.stake(node, 3);
    assert_eq!(in_one.activation_epoch(), 2);
    w.next_epoch(&mut caps);
    assert_eq!(w.staking().pool(node).wal_balance(), frost(23));
    destroy(vector[before, after, in_one]);
    destroy(caps);
    w.destroy_world();
}

#[test]
fun early_withdrawal_before_selection_returns_principal() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let node = cap.node_id();
    let keep = w.stake(node, 5);
    let sw = w.stake(node, 2);
    assert!(w.staking().can_withdraw_staked_wal_early(&sw));
    let coin = w.withdraw(sw);
    assert_eq!(coin.value(), frost(2));
    assert_eq!(w.staking().pool(node).pending_stake().get(1), frost(5));
    assert_eq!(w.staking().active_set().stake(node), frost(5));
    destroy(vector[coin]);
    destroy(keep);
    destroy(cap);
    w.destroy_world();
}

#[test]
fun early_withdrawal_after_selection_of_stake_for_e_plus_two() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let node = cap.node_id();
    let keep = w.stake(node, 5);
    w.run_voting_end();
    let sw = w.stake(node, 2);
    assert_eq!(sw.activation_epoch(), 2);
    assert!(w.staking().can_withdraw_staked_wal_early(&sw));
    // The pre-active stake for E + 1 of a selected node cannot leave early.
    assert!(!w.staking().can_withdraw_staked_wal_early(&keep));
    let coin = w.withdraw(sw);
    assert_eq!(coin.value(), frost(2));
    assert!(w.staking().pool(node).pending_stake().get(2) == 0);
    destroy(coin);
    destroy(keep);
    destroy(cap);
    w.destroy_world();
}

#[test]
fun early_withdrawal_when_node_not_selected() {
    // Nodes 0 and 1 hold 1000 WAL, node 2 only 1 WAL: with 10 shards node 2 gets none.
    let mut w = tu::world(10);
    let cap0 = w.register_node(0, 0);
    let cap1 = w.register_node(1, 0);
    let cap2 = w.register_node(2, 0);
    let s0 = w.stake(cap0.node_id(), 1000);
    let s1 = w.stake(cap1.node_id(), 1000);
    let s2 = w.stake(cap2.node_id(), 1);
    w.run_voting_end();
    let next = w.staking().next_committee().borrow();
    assert_eq!(next.weight(&cap0.node_id()), 5);
    assert_eq!(next.weight(&cap1.node_id()), 5);
    assert!(!next.contains(&cap2.node_id()));
    // Activation E + 1 but not counted: withdrawable directly.
    assert!(w.staking().can_withdraw_staked_wal_early(&s2));
    let coin = w.withdraw(s2);
    assert_eq!(coin.value(), frost(1));
    destroy(coin);
    destroy(vector[s0, s1]);
    destroy(vector[cap0, cap1, cap2]);
    w.destroy_world();
}

#[test]
fun pre_active_withdrawal_earns_one_epoch() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let node = cap.node_id();
    let s_keep = w.stake(node, 1000);
    let mut caps = vector[cap];
    w.next_epoch(&mut caps); // epoch 1, pool: 1000 WAL
    // Epoch 1: stake 1000 more before voting_end (active at 2), then request after voting_end.
    let mut sw = w.stake(node, 1000);
    w.run_voting_end();
    assert!(!w.staking().can_withdraw_staked_wal_early(&sw));
    w.request_withdraw(&mut sw);
    assert_eq!(sw.withdraw_epoch(), 3);
    assert_eq!(w.staking().pool(node).pre_active_withdrawals().get(3), frost(1000));
    w.run_epoch_change();
    w.sync_all(&mut caps);
    // Epoch 2: the stake is active and earns the epoch's rewards.
    assert_eq!(w.staking().pool(node).wal_balance(), frost(2000));
    w.add_epoch_rewards(REWARDS);
    // Not yet withdrawable in epoch 2.
    w.next_epoch(&mut caps);
    // Epoch 3: the single node got 1_940_000_000; rate[3] = (2_001_940_000_000, 2 * 10^12):
    // 1000 WAL are worth 1_000_970_000_000.
    assert_eq!(w.staking().calculate_rewards(node, frost(1000), 2, 3), 970_000_000);
    let coin = w.withdraw(sw);
    assert_eq!(coin.value(), 1_000_970_000_000);
    assert_eq!(w.staking().pool(node).wal_balance(), 1_000_970_000_000);
    destroy(coin);
    destroy(s_keep);
    destroy(caps);
    w.destroy_world();
}

#[test]
fun active_withdrawal_after_selection_waits_two_epochs() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let node = cap.node_id();
    let mut sw = w.stake(node, 1000);
    let s_keep = w.stake(node, 1000);
    let mut caps = vector[cap];
    w.next_epoch(&mut caps); // epoch 1
    w.add_epoch_rewards(REWARDS);
    w.run_voting_end();
    // Node in the selected next committee: withdrawable at 3, earning during 2.
    w.request_withdraw(&mut sw);
    assert_eq!(sw.withdraw_epoch(), 3);
    // The active set no longer counts it for epoch 3.
    assert_eq!(w.staking().active_set().stake(node), frost(1000));
    w.run_epoch_change();
    w.sync_all(&mut caps);
    // Epoch 2: rate[2] = (2_001_940_000_000, 2 * 10^12).
    assert_eq!(w.staking().calculate_rewards(node, frost(1000), 1, 2), 970_000_000);
    w.add_epoch_rewards(REWARDS);
    w.next_epoch(&mut caps);
    // Epoch 3: + 1_940_000_000 -> rate[3] = (2_003_880_000_000, 2 * 10^12): 1000 WAL are
    // worth 1_001_940_000_000.
    let coin = w.withdraw(sw);
    assert_eq!(coin.value(), 1_001_940_000_000);
    assert_eq!(w.staking().pool(node).wal_balance(), 1_001_940_000_000);
    destroy(coin);
    destroy(s_keep);
    destroy(caps);
    w.destroy_world();
}

#[test, expected_failure(abort_code = staking_pool::EWithdrawEpochNotReached)]
fun withdraw_before_withdraw_epoch_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let node = cap.node_id();
    let mut sw = w.stake(node, 1000);
    let mut caps = vector[cap];
    w.next_epoch(&mut caps); // epoch 1
    w.run_voting_end();
    w.request_withdraw(&mut sw); // withdrawable at 3
    w.run_epoch_change();
    destroy(w.withdraw(sw)); // epoch 2
    abort 0
}

#[test]
fun node_in_neither_committee_withdraws_directly_with_rewards() {
    // Epoch 0: stakes 100 / 100 / 101 -> epoch 1 committee 3 / 3 / 4 (node 2 has the largest
    // stake). Node 0 and 1 gain 900 WAL for epoch 2; node 2 then gets no shard.
    let mut w = tu::world(10);
    let cap0 = w.register_node(0, 0);
    let cap1 = w.register_node(1, 0);
    let cap2 = w.register_node(2, 0);
    let n0 = cap0.node_id();
    let n1 = cap1.node_id();
    let n2 = cap2.node_id();
    let s0 = w.stake(n0, 100);
    let s1 = w.stake(n1, 100);
    let s2 = w.stake(n2, 101);
    w.run_voting_end();
    let t0 = w.stake(n0, 900);
    let t1 = w.stake(n1, 900);
    let mut caps = vector[cap0, cap1, cap2];
    w.run_epoch_change();
    w.sync_all(&mut caps);
    assert_eq!(w.staking().committee().weight(&n2), 4);
    assert_eq!(w.staking().committee().weight(&n0), 3);
    w.add_epoch_rewards(REWARDS);
    w.next_epoch(&mut caps); // epoch 2
    assert!(!w.staking().committee().contains(&n2));
    assert_eq!(w.staking().committee().weight(&n0), 5);
    assert_eq!(w.staking().committee().weight(&n1), 5);
    // Node 2 got 1_940_000_000 * 4 / 10 = 776_000_000 for epoch 1.
    assert_eq!(w.staking().pool(n2).wal_balance(), 101_776_000_000);
    // In neither committee: the active stake is paid at once with its rewards; as on mainnet
    // its shares wait in the pool (which is not advanced) for its next advance.
    assert!(!w.staking().can_withdraw_staked_wal_early(&s2));
    let coin = w.withdraw(s2);
    assert_eq!(coin.value(), 101_776_000_000);
    assert_eq!(w.staking().pool(n2).rewards_amount(), 0);
    assert_eq!(w.staking().pool(n2).wal_balance(), 101_776_000_000);
    assert_eq!(w.staking().pool(n2).pending_shares_withdraw().value_at(2), frost(101));
    assert_eq!(w.staking().pool(n2).wal_balance_at_epoch(3), 0);
    destroy(coin);
    destroy(vector[s0, s1, t0, t1]);
    destroy(caps);
    w.destroy_world();
}

#[test, expected_failure(abort_code = staking_pool::EWithdrawDirectly)]
fun request_for_early_withdrawable_stake_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let mut sw = w.stake(cap.node_id(), 5);
    w.request_withdraw(&mut sw);
    abort 0
}

#[test, expected_failure(abort_code = staking_pool::EWithdrawDirectly)]
fun request_for_node_in_neither_committee_aborts() {
    // As in `node_in_neither_committee_withdraws_directly_with_rewards`: node 2 leaves the
    // committee at epoch 2; its active stake must be withdrawn directly.
    let mut w = tu::world(10);
    let cap0 = w.register_node(0, 0);
    let cap1 = w.register_node(1, 0);
    let cap2 = w.register_node(2, 0);
    let _s0 = w.stake(cap0.node_id(), 100);
    let _s1 = w.stake(cap1.node_id(), 100);
    let mut s2 = w.stake(cap2.node_id(), 101);
    w.run_voting_end();
    let _t0 = w.stake(cap0.node_id(), 900);
    let _t1 = w.stake(cap1.node_id(), 900);
    let mut caps = vector[cap0, cap1, cap2];
    w.run_epoch_change();
    w.sync_all(&mut caps);
    w.next_epoch(&mut caps);
    w.request_withdraw(&mut s2);
    abort 0
}

#[test, expected_failure(abort_code = staking_pool::ENotStaked)]
fun request_twice_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let mut sw = w.stake(cap.node_id(), 5);
    let mut caps = vector[cap];
    w.next_epoch(&mut caps);
    w.request_withdraw(&mut sw);
    w.request_withdraw(&mut sw);
    abort 0
}

#[test, expected_failure(abort_code = staking_pool::ENotWithdrawing)]
fun withdraw_active_stake_of_committee_node_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let sw = w.stake(cap.node_id(), 5);
    let mut caps = vector[cap];
    w.next_epoch(&mut caps);
    destroy(w.withdraw(sw));
    abort 0
}
