//! Activation and withdrawal timing through the ledger, mirroring
//! `move/walrus/tests/staking/staking_withdraw_tests.move` (same inputs, same amounts): stake
//! before and after `voting_end`, and every withdrawal case (early, pre-active, active with the
//! node in the next committee or only in the current one, node in neither committee).
#![allow(clippy::unwrap_used)]

mod staking_support;

use staking_support::*;
use walrus_chain::walrus::staking::StakingCall;
use walrus_chain::walrus::staking::active_set::ActiveSetOps;
use walrus_chain::walrus::staking::committee::CommitteeOps;
use walrus_chain::walrus::staking::errors::staking_pool;
use walrus_chain::walrus::staking::pending_values::Pending;
use walrus_chain::walrus::to_move_id;

const REWARDS: u64 = 2_000_000_000;

/// Mirrors staking_withdraw_tests.move::activation_before_and_after_voting_end.
#[test]
fn activation_before_and_after_voting_end() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    let before = w.stake(n.id, 10);
    assert_eq!(w.staked(before).activation_epoch, 1);
    let nodes = [n];
    w.run_voting_end();
    let after = w.stake(n.id, 10);
    assert_eq!(w.staked(after).activation_epoch, 2);
    // Pending stake by activation epoch.
    assert_eq!(w.pool(n.id).pending_stake.get(1), frost(10));
    assert_eq!(w.pool(n.id).pending_stake.get(2), frost(10));
    // The active set tracks the stake for E + 2 after the selection.
    assert_eq!(w.staking().active_set.stake(to_move_id(n.id)), frost(20));
    w.run_epoch_change();
    w.sync_all(&nodes);
    assert_eq!(w.pool(n.id).wal_balance, frost(10));
    // Epoch 1, before voting_end: activation 2.
    let in_one = w.stake(n.id, 3);
    assert_eq!(w.staked(in_one).activation_epoch, 2);
    w.next_epoch(&nodes);
    assert_eq!(w.pool(n.id).wal_balance, frost(23));
}

/// Mirrors staking_withdraw_tests.move::early_withdrawal_before_selection_returns_principal.
#[test]
fn early_withdrawal_before_selection_returns_principal() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    let _keep = w.stake(n.id, 5);
    let sw = w.stake(n.id, 2);
    assert!(w.can_withdraw_early(sw));
    assert_eq!(w.withdraw(sw), frost(2));
    assert_eq!(w.pool(n.id).pending_stake.get(1), frost(5));
    assert_eq!(w.staking().active_set.stake(to_move_id(n.id)), frost(5));
}

/// Mirrors staking_withdraw_tests.move::early_withdrawal_after_selection_of_stake_for_e_plus_two.
#[test]
fn early_withdrawal_after_selection_of_stake_for_e_plus_two() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    let keep = w.stake(n.id, 5);
    w.run_voting_end();
    let sw = w.stake(n.id, 2);
    assert_eq!(w.staked(sw).activation_epoch, 2);
    assert!(w.can_withdraw_early(sw));
    // The pre-active stake for E + 1 of a selected node cannot leave early.
    assert!(!w.can_withdraw_early(keep));
    assert_eq!(w.withdraw(sw), frost(2));
    assert_eq!(w.pool(n.id).pending_stake.get(2), 0);
}

/// Mirrors staking_withdraw_tests.move::early_withdrawal_when_node_not_selected.
#[test]
fn early_withdrawal_when_node_not_selected() {
    // Nodes 0 and 1 hold 1000 WAL, node 2 only 1 WAL: with 10 shards node 2 gets none.
    let w = World::new(10);
    let n0 = w.register_node(0, 0);
    let n1 = w.register_node(1, 0);
    let n2 = w.register_node(2, 0);
    let _s0 = w.stake(n0.id, 1000);
    let _s1 = w.stake(n1.id, 1000);
    let s2 = w.stake(n2.id, 1);
    w.run_voting_end();
    let next = w.staking().next_committee.clone().unwrap();
    assert_eq!(next.weight(&to_move_id(n0.id)), 5);
    assert_eq!(next.weight(&to_move_id(n1.id)), 5);
    assert!(!next.contains(&to_move_id(n2.id)));
    // Activation E + 1 but not counted: withdrawable directly.
    assert!(w.can_withdraw_early(s2));
    assert_eq!(w.withdraw(s2), frost(1));
}

/// Mirrors staking_withdraw_tests.move::pre_active_withdrawal_earns_one_epoch.
#[test]
fn pre_active_withdrawal_earns_one_epoch() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    let _keep = w.stake(n.id, 1000);
    let nodes = [n];
    w.next_epoch(&nodes); // epoch 1, pool: 1000 WAL
    // Epoch 1: stake 1000 more before voting_end (active at 2), then request after voting_end.
    let sw = w.stake(n.id, 1000);
    w.run_voting_end();
    assert!(!w.can_withdraw_early(sw));
    w.request_withdraw(sw);
    assert_eq!(w.staked(sw).withdraw_epoch().unwrap(), 3);
    assert_eq!(w.pool(n.id).pre_active_withdrawals.get(3), frost(1000));
    w.run_epoch_change();
    w.sync_all(&nodes);
    // Epoch 2: the stake is active and earns the epoch's rewards.
    assert_eq!(w.pool(n.id).wal_balance, frost(2000));
    w.add_epoch_rewards(REWARDS);
    // Not yet withdrawable in epoch 2.
    w.aborts(
        StakingCall::WithdrawStake { staked_wal: sw },
        staking_pool::EWithdrawEpochNotReached,
    );
    w.next_epoch(&nodes);
    // Epoch 3: rate[3] = (2_001_940_000_000, 2 * 10^12): 1000 WAL are worth 1_000_970_000_000.
    assert_eq!(w.calculate_rewards(n.id, frost(1000), 2, 3), 970_000_000);
    assert_eq!(w.withdraw(sw), 1_000_970_000_000);
    assert_eq!(w.pool(n.id).wal_balance, 1_000_970_000_000);
}

/// Mirrors staking_withdraw_tests.move::active_withdrawal_after_selection_waits_two_epochs.
#[test]
fn active_withdrawal_after_selection_waits_two_epochs() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    let sw = w.stake(n.id, 1000);
    let _keep = w.stake(n.id, 1000);
    let nodes = [n];
    w.next_epoch(&nodes); // epoch 1
    w.add_epoch_rewards(REWARDS);
    w.run_voting_end();
    // Node in the selected next committee: withdrawable at 3, earning during 2.
    w.request_withdraw(sw);
    assert_eq!(w.staked(sw).withdraw_epoch().unwrap(), 3);
    // The active set no longer counts it for epoch 3.
    assert_eq!(w.staking().active_set.stake(to_move_id(n.id)), frost(1000));
    w.run_epoch_change();
    w.sync_all(&nodes);
    // Epoch 2: rate[2] = (2_001_940_000_000, 2 * 10^12).
    assert_eq!(w.calculate_rewards(n.id, frost(1000), 1, 2), 970_000_000);
    w.add_epoch_rewards(REWARDS);
    w.next_epoch(&nodes);
    // Epoch 3: rate[3] = (2_003_880_000_000, 2 * 10^12): 1000 WAL are worth
    // 1_001_940_000_000.
    assert_eq!(w.withdraw(sw), 1_001_940_000_000);
    assert_eq!(w.pool(n.id).wal_balance, 1_001_940_000_000);
}

/// Mirrors staking_withdraw_tests.move::withdraw_before_withdraw_epoch_aborts.
#[test]
fn withdraw_before_withdraw_epoch_aborts() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    let sw = w.stake(n.id, 1000);
    let nodes = [n];
    w.next_epoch(&nodes); // epoch 1
    w.run_voting_end();
    w.request_withdraw(sw); // withdrawable at 3
    w.run_epoch_change(); // epoch 2
    w.aborts(
        StakingCall::WithdrawStake { staked_wal: sw },
        staking_pool::EWithdrawEpochNotReached,
    );
}

/// Stakes 100 / 100 / 101 in epoch 0, then 900 more for nodes 0 and 1 after the vote: node 2
/// is in the committee of epoch 1 (4 shards) but not of epoch 2.
fn neither_committee_world() -> (World, [Node; 3], [walrus_chain::types::ObjectId; 3]) {
    let w = World::new(10);
    let n0 = w.register_node(0, 0);
    let n1 = w.register_node(1, 0);
    let n2 = w.register_node(2, 0);
    let s0 = w.stake(n0.id, 100);
    let s1 = w.stake(n1.id, 100);
    let s2 = w.stake(n2.id, 101);
    w.run_voting_end();
    let _t0 = w.stake(n0.id, 900);
    let _t1 = w.stake(n1.id, 900);
    let nodes = [n0, n1, n2];
    w.run_epoch_change();
    w.sync_all(&nodes);
    (w, nodes, [s0, s1, s2])
}

/// Mirrors staking_withdraw_tests.move::node_in_neither_committee_withdraws_directly_with_rewards.
#[test]
fn node_in_neither_committee_withdraws_directly_with_rewards() {
    let (w, nodes, [_, _, s2]) = neither_committee_world();
    let [n0, n1, n2] = nodes;
    assert_eq!(w.staking().committee.weight(&to_move_id(n2.id)), 4);
    assert_eq!(w.staking().committee.weight(&to_move_id(n0.id)), 3);
    w.add_epoch_rewards(REWARDS);
    w.next_epoch(&nodes); // epoch 2
    let s = w.staking();
    assert!(!s.committee.contains(&to_move_id(n2.id)));
    assert_eq!(s.committee.weight(&to_move_id(n0.id)), 5);
    assert_eq!(s.committee.weight(&to_move_id(n1.id)), 5);
    // Node 2 got 1_940_000_000 * 4 / 10 = 776_000_000 for epoch 1.
    assert_eq!(w.pool(n2.id).wal_balance, 101_776_000_000);
    // In neither committee: the active stake is paid at once with its rewards; its shares
    // wait in the pool (not advanced) for its next advance, as on mainnet.
    assert!(!w.can_withdraw_early(s2));
    assert_eq!(w.withdraw(s2), 101_776_000_000);
    let p = w.pool(n2.id);
    assert_eq!(p.rewards_pool, 0);
    assert_eq!(p.wal_balance, 101_776_000_000);
    assert_eq!(p.pending_shares_withdraw.value_at(2).unwrap(), frost(101));
    assert_eq!(p.wal_balance_at_epoch(3).unwrap(), 0);
}

/// Mirrors staking_withdraw_tests.move::request_for_node_in_neither_committee_aborts.
#[test]
fn request_for_node_in_neither_committee_aborts() {
    let (w, nodes, [_, _, s2]) = neither_committee_world();
    w.next_epoch(&nodes);
    w.aborts(
        StakingCall::RequestWithdrawStake { staked_wal: s2 },
        staking_pool::EWithdrawDirectly,
    );
}

/// Mirrors staking_withdraw_tests.move::{request_for_early_withdrawable_stake_aborts,
/// request_twice_aborts, withdraw_active_stake_of_committee_node_aborts}.
#[test]
fn request_and_withdraw_aborts() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    let sw = w.stake(n.id, 5);
    w.aborts(
        StakingCall::RequestWithdrawStake { staked_wal: sw },
        staking_pool::EWithdrawDirectly,
    );
    let nodes = [n];
    w.next_epoch(&nodes);
    // Active stake of a committee node: a withdrawal must be requested first.
    w.aborts(
        StakingCall::WithdrawStake { staked_wal: sw },
        staking_pool::ENotWithdrawing,
    );
    w.request_withdraw(sw);
    w.aborts(
        StakingCall::RequestWithdrawStake { staked_wal: sw },
        staking_pool::ENotStaked,
    );
}
