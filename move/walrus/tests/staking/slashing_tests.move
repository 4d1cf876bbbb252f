#[test_only]
/// `walrus::slashing` (votes, execution, cleanup, every abort) and the commission it burns:
/// blocked until `voting_end`, added with `staking::add_commission_to_pools`.
module walrus::slashing_tests;

use std::unit_test::{assert_eq, destroy};
use sui::balance;
use wal::wal as wal_coin;
use walrus::auth;
use walrus::slashing::{Self, SlashingManager};
use walrus::staking_inner;
use walrus::staking_test_utils::{Self as tu, World};
use walrus::storage_node::StorageNodeCap;

/// A world in epoch 2 with three nodes (100% commission, stakes 400 / 300 / 300 WAL: weights
/// 4 / 3 / 3 of 10 shards) whose pools earned commission at the change to epoch 2.
fun setup(): (World, vector<StorageNodeCap>, vector<ID>) {
    let mut w = tu::world(10);
    let mut caps = vector[w.register_node(0, 10_000), w.register_node(1, 10_000), w.register_node(2, 10_000)];
    let ids = caps.map_ref!(|c| c.node_id());
    destroy(w.stake(ids[0], 400));
    destroy(w.stake(ids[1], 300));
    destroy(w.stake(ids[2], 300));
    w.next_epoch(&mut caps);
    w.add_epoch_rewards(1_000_000_000);
    w.next_epoch(&mut caps);
    (w, caps, ids)
}

/// A vote as the governance holder of `voter` (the registering sender, 0xAD).
fun vote(w: &mut World, manager: &mut SlashingManager, voter: ID, candidate: ID) {
    let auth = auth::authenticate_sender(w.ctx());
    manager.vote_for_slashing(w.staking(), auth, voter, candidate);
}

fun execute(w: &mut World, manager: &mut SlashingManager, candidate: ID) {
    let (staking, treasury, ctx) = w.staking_treasury_ctx();
    manager.execute_slashing(staking, treasury, candidate, ctx);
}

fun finish(w: World, caps: vector<StorageNodeCap>, manager: SlashingManager) {
    manager.destroy_for_testing();
    destroy(caps);
    w.destroy_world();
}

#[test]
fun a_quorum_of_votes_burns_the_whole_commission() {
    let (mut w, caps, ids) = setup();
    let mut manager = slashing::new_for_testing(w.ctx());
    assert_eq!(w.staking().committee().weight(&ids[0]), 4);
    let commission = w.staking().pool(ids[2]).commission_amount();
    assert!(commission > 0);
    // Still blocked for collection: slashing burns it anyway.
    assert_eq!(w.staking().pool(ids[2]).blocked_commission(), commission);
    let supply = wal_coin::total_supply(w.treasury());
    vote(&mut w, &mut manager, ids[0], ids[2]);
    vote(&mut w, &mut manager, ids[1], ids[2]);
    assert_eq!(manager.proposal_for_testing(ids[2]), vector[2, 7, 2]);
    execute(&mut w, &mut manager, ids[2]);
    assert_eq!(w.staking().pool(ids[2]).commission_amount(), 0);
    assert_eq!(w.staking().pool(ids[2]).blocked_commission(), 0);
    assert_eq!(wal_coin::total_supply(w.treasury()), supply - commission);
    assert!(!manager.has_proposal(ids[2]));
    // The others keep theirs.
    assert!(w.staking().pool(ids[0]).commission_amount() > 0);
    finish(w, caps, manager);
}

#[test, expected_failure(abort_code = slashing::ENotEnoughVotes)]
fun execute_without_a_quorum_aborts() {
    let (mut w, caps, ids) = setup();
    let mut manager = slashing::new_for_testing(w.ctx());
    // 4 + 0: 3 * 4 < 21.
    vote(&mut w, &mut manager, ids[0], ids[2]);
    execute(&mut w, &mut manager, ids[2]);
    finish(w, caps, manager);
}

#[test, expected_failure(abort_code = slashing::ENoProposalForNode)]
fun execute_without_a_proposal_aborts() {
    let (mut w, caps, ids) = setup();
    let mut manager = slashing::new_for_testing(w.ctx());
    execute(&mut w, &mut manager, ids[2]);
    finish(w, caps, manager);
}

#[test, expected_failure(abort_code = slashing::EWrongEpoch)]
fun execute_a_proposal_of_an_earlier_epoch_aborts() {
    let (mut w, mut caps, ids) = setup();
    let mut manager = slashing::new_for_testing(w.ctx());
    vote(&mut w, &mut manager, ids[0], ids[2]);
    vote(&mut w, &mut manager, ids[1], ids[2]);
    w.next_epoch(&mut caps);
    execute(&mut w, &mut manager, ids[2]);
    finish(w, caps, manager);
}

#[test, expected_failure(abort_code = slashing::EDuplicateVote)]
fun voting_twice_aborts() {
    let (mut w, caps, ids) = setup();
    let mut manager = slashing::new_for_testing(w.ctx());
    vote(&mut w, &mut manager, ids[0], ids[2]);
    vote(&mut w, &mut manager, ids[0], ids[2]);
    finish(w, caps, manager);
}

#[test, expected_failure(abort_code = slashing::ENotAuthorized)]
fun voting_without_governance_authorization_aborts() {
    let (mut w, caps, ids) = setup();
    let mut manager = slashing::new_for_testing(w.ctx());
    w.next_tx(@0xBAD);
    vote(&mut w, &mut manager, ids[0], ids[2]);
    finish(w, caps, manager);
}

#[test]
fun the_governance_holder_may_be_the_cap() {
    let (mut w, caps, ids) = setup();
    let mut manager = slashing::new_for_testing(w.ctx());
    let by_sender = auth::authenticate_sender(w.ctx());
    w.staking().set_governance_authorized(ids[0], by_sender, auth::authorized_object(object::id(&caps[0])));
    let by_cap = auth::authenticate_with_object(&caps[0]);
    manager.vote_for_slashing(w.staking(), by_cap, ids[0], ids[2]);
    assert_eq!(manager.proposal_for_testing(ids[2]), vector[2, 4, 1]);
    finish(w, caps, manager);
}

#[test, expected_failure(abort_code = staking_inner::ENotInCommittee)]
fun a_voter_outside_the_committee_aborts() {
    let (mut w, mut caps, ids) = setup();
    let mut manager = slashing::new_for_testing(w.ctx());
    // Registered now: not in the committee of epoch 2.
    caps.push_back(w.register_node(3, 0));
    let outsider = caps[3].node_id();
    vote(&mut w, &mut manager, outsider, ids[2]);
    finish(w, caps, manager);
}

#[test]
fun a_vote_in_a_later_epoch_starts_the_proposal_afresh() {
    let (mut w, mut caps, ids) = setup();
    let mut manager = slashing::new_for_testing(w.ctx());
    vote(&mut w, &mut manager, ids[0], ids[2]);
    vote(&mut w, &mut manager, ids[1], ids[2]);
    w.next_epoch(&mut caps);
    // The same voter may vote again: the votes of epoch 2 are gone.
    vote(&mut w, &mut manager, ids[0], ids[2]);
    assert_eq!(manager.proposal_for_testing(ids[2]), vector[3, 4, 1]);
    finish(w, caps, manager);
}

#[test]
fun cleanup_removes_only_proposals_of_earlier_epochs() {
    let (mut w, mut caps, ids) = setup();
    let mut manager = slashing::new_for_testing(w.ctx());
    vote(&mut w, &mut manager, ids[0], ids[2]);
    w.next_epoch(&mut caps);
    vote(&mut w, &mut manager, ids[0], ids[1]);
    manager.cleanup_slashing_proposals(w.staking(), vector[ids[0], ids[1], ids[2]]);
    assert!(!manager.has_proposal(ids[2]));
    assert!(manager.has_proposal(ids[1]));
    finish(w, caps, manager);
}

#[test]
fun commission_added_to_pools_is_blocked_until_voting_end() {
    let (mut w, caps, ids) = setup();
    w.run_voting_end();
    // After voting_end nothing is blocked, and what is added now is not blocked either.
    let before = w.staking().pool(ids[0]).commission_amount();
    assert_eq!(w.staking().pool(ids[0]).blocked_commission(), 0);
    w.staking().add_commission_to_pools(
        vector[ids[0], ids[1]],
        vector[balance::create_for_testing(5), balance::create_for_testing(7)],
    );
    assert_eq!(w.staking().pool(ids[0]).commission_amount(), before + 5);
    assert_eq!(w.staking().pool(ids[1]).blocked_commission(), 0);
    // Before voting_end (after the next epoch change) additions are blocked.
    w.run_epoch_change();
    w.staking().add_commission_to_pools(vector[ids[2]], vector[balance::create_for_testing(9)]);
    assert_eq!(w.staking().pool(ids[2]).blocked_commission(), 9);
    // Collecting leaves the blocked 9 in the pool.
    let total = w.staking().pool(ids[2]).commission_amount();
    let auth = auth::authenticate_with_object(&caps[2]);
    let coin = w.collect_commission(ids[2], auth);
    assert_eq!(coin.value(), total - 9);
    assert_eq!(w.staking().pool(ids[2]).commission_amount(), 9);
    destroy(coin);
    destroy(caps);
    w.destroy_world();
}
