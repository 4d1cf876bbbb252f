#[test_only]
/// The epoch state machine: time gates, committee selection, epoch change, sync done, prices
/// and capacity votes, and the events each step emits.
module walrus::staking_epoch_tests;

use std::unit_test::{assert_eq, destroy};
use sui::event;
use walrus::events;
use walrus::staking_inner;
use walrus::staking_test_utils as tu;

#[test]
fun epoch_zero_bootstrap_and_first_committee() {
    let mut w = tu::world(10);
    let cap0 = w.register_node(0, 0);
    let cap1 = w.register_node(1, 0);
    let n0 = cap0.node_id();
    let n1 = cap1.node_id();
    let s0 = w.stake(n0, 600);
    let s1 = w.stake(n1, 400);
    // Epoch 0: voting_end waits for first_epoch_start (100).
    w.clock().set_for_testing(100);
    w.run_voting_end();
    assert_eq!(event::events_by_type<events::EpochParametersSelected>(), vector[events::epoch_parameters_selected(1)]);
    let state = w.staking().epoch_state();
    assert!(staking_inner::is_next_params_selected(&state));
    assert_eq!(staking_inner::last_epoch_change_time(&state), option::some(0));
    let next = *w.staking().next_committee().borrow();
    assert_eq!(next.weight(&n0), 6);
    assert_eq!(next.weight(&n1), 4);
    // First committee: shards in node-id order.
    let (first, second) = if (walrus::active_set::id_lt(&n0, &n1)) (n0, n1) else (n1, n0);
    assert_eq!(*next.shards(&first), vector::tabulate!(next.weight(&first) as u64, |i| i as u16));
    assert_eq!(next.shards(&second)[0], next.weight(&first));
    // Capacity vote: both vote 10^12; extrapolated 10^12 * 10 / 6 and 10^12 * 10 / 4;
    // quorum_above (7 of 10 shards) = the smaller one.
    let params = *w.staking().next_epoch_params().borrow();
    assert_eq!(params.capacity(), 1_666_666_666_666);
    // The prices are not part of the selection (as mainnet): the epoch change applies the votes.
    assert_eq!(params.storage_price(), std::u64::max_value!());
    assert_eq!(params.write_price(), std::u64::max_value!());

    w.run_epoch_change();
    assert_eq!(event::events_by_type<events::EpochChangeStart>(), vector[events::epoch_change_start(1)]);
    assert_eq!(event::events_by_type<events::PricesUpdated>(), vector[events::prices_updated(1, 5, 7)]);
    assert_eq!(w.staking().epoch(), 1);
    assert_eq!(w.system().epoch(), 1);
    assert_eq!(w.system().n_shards(), 10);
    assert_eq!(w.system().total_capacity_size(), 1_666_666_666_666);
    assert_eq!(w.system().committee().get_member_weight(&n0), 6);
    assert!(w.staking().next_committee().is_none());
    assert!(w.staking().previous_committee().is_empty());
    let state = w.staking().epoch_state();
    assert!(staking_inner::is_epoch_change_sync(&state));
    assert_eq!(staking_inner::synced_weight(&state), 0);

    // Sync done: 6 shards is below the quorum (7); 6 + 4 reaches it.
    w.clock().set_for_testing(150);
    let mut cap0 = cap0;
    let mut cap1 = cap1;
    w.sync_done(&mut cap0, 1);
    let shards0 = *w.staking().committee().shards(&n0);
    assert_eq!(event::events_by_type<events::ShardsReceived>(), vector[events::shards_received(1, shards0)]);
    assert_eq!(event::events_by_type<events::EpochChangeDone>().length(), 0);
    assert_eq!(staking_inner::synced_weight(&w.staking().epoch_state()), 6);
    assert_eq!(cap0.last_epoch_sync_done(), 1);
    w.next_tx(@0xAD);
    w.clock().set_for_testing(160);
    w.sync_done(&mut cap1, 1);
    assert_eq!(event::events_by_type<events::EpochChangeDone>(), vector[events::epoch_change_done(1)]);
    let state = w.staking().epoch_state();
    assert!(staking_inner::is_epoch_change_done(&state));
    assert_eq!(staking_inner::last_epoch_change_time(&state), option::some(160));
    // Voting at 160 + 500, epoch change at 160 + 1000.
    assert_eq!(w.voting_time(), 660);
    assert_eq!(w.epoch_change_time(), 1_160);
    destroy(vector[s0, s1]);
    destroy(vector[cap0, cap1]);
    w.destroy_world();
}

#[test]
fun late_sync_done_after_quorum_is_accepted() {
    let mut w = tu::world(10);
    let cap0 = w.register_node(0, 0);
    let cap1 = w.register_node(1, 0);
    let s0 = w.stake(cap0.node_id(), 800);
    let s1 = w.stake(cap1.node_id(), 200);
    let mut caps = vector[cap0, cap1];
    w.next_epoch(&mut caps);
    // Node 0 alone (8 shards) reached the quorum; node 1 still reports.
    assert!(staking_inner::is_epoch_change_done(&w.staking().epoch_state()));
    assert_eq!(caps[1].last_epoch_sync_done(), 1);
    destroy(vector[s0, s1]);
    destroy(caps);
    w.destroy_world();
}

#[test, expected_failure(abort_code = staking_inner::ENoStake)]
fun voting_end_without_stake_aborts() {
    let mut w = tu::world(10);
    let _cap = w.register_node(0, 0);
    w.run_voting_end();
    abort 0
}

#[test]
fun prices_and_capacity_follow_weighted_quantiles() {
    // Stakes 400/300/200/100 give 4/3/2/1 shards.
    let mut w = tu::world(10);
    let c0 = w.register_node_with_votes(0, 100, 40, 1000);
    let c1 = w.register_node_with_votes(1, 200, 30, 1000);
    let c2 = w.register_node_with_votes(2, 300, 20, 1000);
    let c3 = w.register_node_with_votes(3, 400, 10, 1000);
    let ids = vector[c0.node_id(), c1.node_id(), c2.node_id(), c3.node_id()];
    let stakes = vector[
        w.stake(ids[0], 400),
        w.stake(ids[1], 300),
        w.stake(ids[2], 200),
        w.stake(ids[3], 100),
    ];
    let mut caps = vector[c0, c1, c2, c3];
    w.run_voting_end();
    let next = *w.staking().next_committee().borrow();
    assert_eq!(ids.map_ref!(|id| next.weight(id)), vector[4, 3, 2, 1]);
    // Capacity: 1000 * 10 / shards = 2500, 3333, 5000, 10000; from the top the weights are
    // 1, 3, 6, 10 -> 2500 is the largest value with 7 shards at or above it.
    assert_eq!(w.staking().next_epoch_params().borrow().capacity(), 2500);
    w.run_epoch_change();
    // Storage: ascending 100 (4), 200 (3) -> 7 shards at 200. Write: ascending 10 (1), 20 (2),
    // 30 (3), 40 (4) -> 40.
    assert_eq!(w.system().storage_price_per_unit_size(), 200);
    assert_eq!(w.system().write_price_per_unit_size(), 40);
    assert_eq!(w.system().total_capacity_size(), 2500);
    w.sync_all(&mut caps);
    // The 4-shard node raises its vote to 250: ascending 200 (3), 250 (4) -> 250.
    w.staking().set_storage_price_vote(&caps[0], 250);
    w.next_tx(@0xAD);
    w.update_prices();
    assert_eq!(w.system().storage_price_per_unit_size(), 250);
    assert_eq!(event::events_by_type<events::PricesUpdated>(), vector[events::prices_updated(1, 250, 40)]);
    destroy(stakes);
    destroy(caps);
    w.destroy_world();
}

#[test]
fun committee_changes_move_minimal_shards() {
    let mut w = tu::world(10);
    let c0 = w.register_node(0, 0);
    let c1 = w.register_node(1, 0);
    let c2 = w.register_node(2, 0);
    let ids = vector[c0.node_id(), c1.node_id(), c2.node_id()];
    let mut stakes = vector[w.stake(ids[0], 1000), w.stake(ids[1], 1000), w.stake(ids[2], 1000)];
    let mut caps = vector[c0, c1, c2];
    w.next_epoch(&mut caps);
    let first = *w.staking().committee();
    // Equal stakes: 4/3/3, the extra shard to the node the tie-break picks (x); y and z hold 3.
    let x = *ids.find_index!(|id| first.weight(id) == 4).borrow();
    let y = (x + 1) % 3;
    let z = (x + 2) % 3;
    // A tiny change that keeps the order: x gains 1 WAL: no shard moves.
    stakes.push_back(w.stake(ids[x], 1));
    w.next_epoch(&mut caps);
    assert_eq!(*w.staking().committee(), first);
    assert_eq!(*w.staking().previous_committee(), first);
    // A larger change: y doubles. Stakes x 1001, y 2000, z 1000 (total 4001): initial seats
    // 10010/4001 = 2, 20000/4001 = 4, 10000/4001 = 2; then y (2000/5 = 400) and x
    // (1001/3 > 2000/6) -> x 3, y 5, z 2. Only y's two new shards move.
    stakes.push_back(w.stake(ids[y], 1000));
    w.next_epoch(&mut caps);
    let third = *w.staking().committee();
    assert_eq!(third.weight(&ids[x]), 3);
    assert_eq!(third.weight(&ids[y]), 5);
    assert_eq!(third.weight(&ids[z]), 2);
    let mut moved = 0u64;
    ids.do_ref!(|id| {
        third.shards(id).do_ref!(|s| if (!first.shards(id).contains(s)) moved = moved + 1);
    });
    assert_eq!(moved, 2);
    // x and z keep their lowest shards.
    assert_eq!(*third.shards(&ids[x]), vector::tabulate!(3, |i| first.shards(&ids[x])[i]));
    assert_eq!(*third.shards(&ids[z]), vector::tabulate!(2, |i| first.shards(&ids[z])[i]));
    destroy(stakes);
    destroy(caps);
    w.destroy_world();
}

// === Time gates and state aborts ===

#[test, expected_failure(abort_code = staking_inner::EWrongEpochState)]
fun voting_end_before_first_epoch_start_aborts() {
    let mut w = tu::world(10);
    w.clock().set_for_testing(99);
    w.run_voting_end_at_current_time();
    abort 0
}

#[test, expected_failure(abort_code = staking_inner::EWrongEpochState)]
fun voting_end_before_mid_epoch_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let _s = w.stake(cap.node_id(), 1);
    let mut caps = vector[cap];
    w.next_epoch(&mut caps);
    let t = w.voting_time();
    w.clock().set_for_testing(t - 1);
    w.run_voting_end_at_current_time();
    abort 0
}

#[test, expected_failure(abort_code = staking_inner::EWrongEpochState)]
fun epoch_change_before_epoch_end_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let _s = w.stake(cap.node_id(), 1);
    let mut caps = vector[cap];
    w.next_epoch(&mut caps);
    w.run_voting_end();
    let t = w.epoch_change_time();
    w.clock().set_for_testing(t - 1);
    w.run_epoch_change_at_current_time();
    abort 0
}

#[test]
fun voting_and_epoch_change_exactly_on_time() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let s = w.stake(cap.node_id(), 1);
    let mut caps = vector[cap];
    w.next_epoch(&mut caps);
    let t = w.voting_time();
    w.clock().set_for_testing(t);
    w.run_voting_end_at_current_time();
    let t = w.epoch_change_time();
    w.clock().set_for_testing(t);
    w.run_epoch_change_at_current_time();
    assert_eq!(w.staking().epoch(), 2);
    destroy(s);
    destroy(caps);
    w.destroy_world();
}

#[test, expected_failure(abort_code = staking_inner::EWrongEpochState)]
fun voting_end_twice_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let _s = w.stake(cap.node_id(), 1000);
    w.run_voting_end();
    w.run_voting_end_at_current_time();
    abort 0
}

#[test, expected_failure(abort_code = staking_inner::ECommitteeSelected)]
fun selecting_a_second_committee_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let _s = w.stake(cap.node_id(), 1000);
    w.run_voting_end();
    // Back in `EpochChangeDone` with the committee still selected: no call gets here.
    w.staking().inner_mut_for_testing().set_epoch_state_for_testing(
        staking_inner::epoch_change_done_for_testing(0),
    );
    w.run_voting_end_at_current_time();
    abort 0
}

#[test, expected_failure(abort_code = staking_inner::EIncorrectNodeOrder)]
fun an_epoch_change_without_the_selected_keys_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let _s = w.stake(cap.node_id(), 1000);
    w.run_voting_end();
    w.staking().inner_mut_for_testing().clear_next_epoch_public_keys_for_testing();
    w.run_epoch_change();
    abort 0
}

#[test, expected_failure(abort_code = staking_inner::ENextCommitteeIsEmpty)]
fun epoch_change_without_selection_aborts() {
    let mut w = tu::world(10);
    w.clock().set_for_testing(1_000);
    w.run_epoch_change_at_current_time();
    abort 0
}

#[test, expected_failure(abort_code = staking_inner::EWrongEpochState)]
fun voting_end_during_sync_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let _s = w.stake(cap.node_id(), 1);
    w.run_voting_end();
    w.run_epoch_change();
    w.clock().set_for_testing(100_000);
    w.run_voting_end_at_current_time();
    abort 0
}

#[test, expected_failure(abort_code = staking_inner::EInvalidSyncEpoch)]
fun sync_done_for_other_epoch_aborts() {
    let mut w = tu::world(10);
    let mut cap = w.register_node(0, 0);
    let _s = w.stake(cap.node_id(), 1);
    w.run_voting_end();
    w.run_epoch_change();
    w.sync_done(&mut cap, 2);
    abort 0
}

#[test, expected_failure(abort_code = staking_inner::EDuplicateSyncDone)]
fun sync_done_twice_aborts() {
    let mut w = tu::world(10);
    let mut cap = w.register_node(0, 0);
    let _s = w.stake(cap.node_id(), 1);
    w.run_voting_end();
    w.run_epoch_change();
    w.sync_done(&mut cap, 1);
    w.sync_done(&mut cap, 1);
    abort 0
}

#[test, expected_failure(abort_code = staking_inner::ENotInCommittee)]
fun sync_done_outside_committee_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let mut other = w.register_node(1, 0);
    let _s = w.stake(cap.node_id(), 1);
    w.run_voting_end();
    w.run_epoch_change();
    w.sync_done(&mut other, 1);
    abort 0
}

#[test]
fun compute_next_committee_previews_the_selection() {
    let mut w = tu::world(10);
    let c0 = w.register_node(0, 0);
    let c1 = w.register_node(1, 0);
    let s0 = w.stake(c0.node_id(), 800);
    let s1 = w.stake(c1.node_id(), 200);
    let preview = w.staking().compute_next_committee();
    assert_eq!(preview.weight(&c0.node_id()) + preview.weight(&c1.node_id()), 10);
    w.run_voting_end();
    assert_eq!(*w.staking().next_committee().borrow(), preview);
    destroy(vector[s0, s1]);
    destroy(vector[c0, c1]);
    w.destroy_world();
}

#[test, expected_failure(abort_code = staking_inner::ENoStake)]
fun compute_next_committee_without_stake_aborts() {
    let mut w = tu::world(10);
    w.staking().compute_next_committee();
    abort 0
}
