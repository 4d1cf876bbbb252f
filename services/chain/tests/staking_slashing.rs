//! Slashing and pool commissions through the ledger engine: the Move tests of
//! `move/walrus/tests/staking/slashing_tests.move` with the same inputs and numbers, plus the
//! object changes Sui would report.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod staking_support;

use staking_support::*;
use walrus_chain::types::{ChangeKind, ObjectId};
use walrus_chain::walrus::errors::input;
use walrus_chain::walrus::staking::errors::{slashing as sl, staking_inner};
use walrus_chain::walrus::staking::{Auth, StakingCall, StakingObject};
use walrus_chain::walrus::{Call, WalrusMachine, WalrusObject};

/// `setup` of the Move tests: epoch 2, three nodes with 100% commission and weights 4 / 3 / 3
/// whose pools earned commission at the change to epoch 2.
fn setup() -> (World, Vec<Node>) {
    let w = World::new(10);
    let nodes = vec![
        w.register_node(0, 10_000),
        w.register_node(1, 10_000),
        w.register_node(2, 10_000),
    ];
    w.stake(nodes[0].id, 400);
    w.stake(nodes[1].id, 300);
    w.stake(nodes[2].id, 300);
    w.next_epoch(&nodes);
    w.add_epoch_rewards(1_000_000_000);
    w.next_epoch(&nodes);
    (w, nodes)
}

fn vote(voter: &Node, candidate: &Node) -> StakingCall {
    StakingCall::VoteForSlashing {
        auth: Auth::Sender,
        voter_node_id: voter.id,
        candidate_node_id: candidate.id,
    }
}

fn execute(candidate: &Node) -> StakingCall {
    StakingCall::ExecuteSlashing {
        candidate_node_id: candidate.id,
    }
}

fn registry(w: &World) -> walrus_chain::walrus::Registry {
    w.ledger.with_objects(WalrusMachine::registry).unwrap()
}

fn manager_id(w: &World) -> ObjectId {
    registry(w).slashing_manager
}

/// (epoch, voting weight, voters) of the proposal for `node`, if any.
fn proposal(w: &World, node: &Node) -> Option<(u32, u16, usize)> {
    match w.ledger.object(&manager_id(w)).unwrap().value {
        WalrusObject::Staking(StakingObject::SlashingManager(m)) => {
            // The Move value's table size counts the proposals held beside it.
            assert_eq!(
                m.manager.slashing_candidates.size,
                m.candidates.len() as u64
            );
            m.candidates
                .iter()
                .find(|(id, _)| *id == node.id)
                .map(|(_, p)| (p.epoch, p.voting_weight, p.voters.len()))
        }
        other => panic!("not the slashing manager: {other:?}"),
    }
}

/// Mirrors slashing_tests::a_quorum_of_votes_burns_the_whole_commission.
#[test]
fn a_quorum_of_votes_burns_the_whole_commission() {
    let (w, nodes) = setup();
    assert_eq!(
        w.staking()
            .committee
            .shards(&walrus_chain::walrus::to_move_id(nodes[0].id))
            .len(),
        4
    );
    let commission = w.pool(nodes[2].id).commission;
    assert!(commission > 0);
    assert_eq!(w.pool(nodes[2].id).blocked_commission, Some(commission));
    let supply = w.total_supply();
    let staking_version = w.ledger.object(&registry(&w).staking).unwrap().version;
    let record = w.ok(vote(&nodes[0], &nodes[2]));
    // `&Staking`: read, not written; the proposal is a `Field<ID, SlashingProposal>` of the
    // manager's table.
    assert_eq!(
        w.ledger.object(&registry(&w).staking).unwrap().version,
        staking_version
    );
    assert!(
        record
            .object_changes
            .iter()
            .any(|c| c.kind == ChangeKind::Created
                && c.object_type.contains("::slashing::SlashingProposal>"))
    );
    w.ok(vote(&nodes[1], &nodes[2]));
    assert_eq!(proposal(&w, &nodes[2]), Some((2, 7, 2)));
    let record = w.ok(execute(&nodes[2]));
    assert_eq!(w.pool(nodes[2].id).commission, 0);
    assert_eq!(w.pool(nodes[2].id).blocked_commission, None);
    assert_eq!(w.total_supply(), supply - commission);
    assert_eq!(proposal(&w, &nodes[2]), None);
    assert!(
        record
            .object_changes
            .iter()
            .any(|c| c.kind == ChangeKind::Deleted
                && c.object_type.contains("::slashing::SlashingProposal>"))
    );
    assert!(w.pool(nodes[0].id).commission > 0);
}

/// Mirrors the abort tests of slashing_tests.
#[test]
fn slashing_aborts() {
    let (w, nodes) = setup();
    w.aborts(execute(&nodes[2]), sl::ENoProposalForNode);
    w.aborts_as(&stranger(), vote(&nodes[0], &nodes[2]), sl::ENotAuthorized);
    w.ok(vote(&nodes[0], &nodes[2]));
    w.aborts(vote(&nodes[0], &nodes[2]), sl::EDuplicateVote);
    // 4 of 10 shards: no quorum; the failed execution leaves the proposal in place.
    w.aborts(execute(&nodes[2]), sl::ENotEnoughVotes);
    assert_eq!(proposal(&w, &nodes[2]), Some((2, 4, 1)));
    // A node registered now is not in the committee of epoch 2.
    let outsider = w.register_node(3, 0);
    w.aborts(vote(&outsider, &nodes[2]), staking_inner::ENotInCommittee);
    w.ok(vote(&nodes[1], &nodes[2]));
    w.next_epoch(&nodes);
    w.aborts(execute(&nodes[2]), sl::EWrongEpoch);
}

/// Mirrors slashing_tests::a_vote_in_a_later_epoch_starts_the_proposal_afresh and
/// cleanup_removes_only_proposals_of_earlier_epochs.
#[test]
fn proposals_are_epoch_bound() {
    let (w, nodes) = setup();
    w.ok(vote(&nodes[0], &nodes[2]));
    w.ok(vote(&nodes[1], &nodes[2]));
    w.next_epoch(&nodes);
    w.ok(vote(&nodes[0], &nodes[2]));
    assert_eq!(proposal(&w, &nodes[2]), Some((3, 4, 1)));
    w.ok(vote(&nodes[0], &nodes[1]));
    w.next_epoch(&nodes);
    w.ok(vote(&nodes[0], &nodes[0]));
    w.ok(StakingCall::CleanupSlashingProposals {
        node_ids: nodes.iter().map(|n| n.id).collect(),
    });
    assert_eq!(proposal(&w, &nodes[2]), None);
    assert_eq!(proposal(&w, &nodes[1]), None);
    assert_eq!(proposal(&w, &nodes[0]), Some((4, 4, 1)));
}

/// Mirrors slashing_tests::commission_added_to_pools_is_blocked_until_voting_end.
#[test]
fn commission_added_to_pools_is_blocked_until_voting_end() {
    let (w, nodes) = setup();
    w.run_voting_end();
    let before = w.pool(nodes[0].id).commission;
    assert_eq!(w.pool(nodes[0].id).blocked_commission, None);
    let coins = vec![w.coin(&w.admin, 5), w.coin(&w.admin, 7)];
    w.ok(StakingCall::AddCommissionToPools {
        node_ids: vec![nodes[0].id, nodes[1].id],
        commissions: coins.clone(),
    });
    assert!(coins.iter().all(|c| w.ledger.object(c).is_none()));
    assert_eq!(w.pool(nodes[0].id).commission, before + 5);
    assert_eq!(w.pool(nodes[1].id).blocked_commission, None);
    w.run_epoch_change();
    let coin = w.coin(&w.admin, 9);
    w.ok(StakingCall::AddCommissionToPools {
        node_ids: vec![nodes[2].id],
        commissions: vec![coin],
    });
    assert_eq!(w.pool(nodes[2].id).blocked_commission, Some(9));
    // Collecting leaves the blocked 9 in the pool.
    let total = w.pool(nodes[2].id).commission;
    let record = w.ok(StakingCall::CollectCommission {
        node_id: nodes[2].id,
        auth: Auth::Object(nodes[2].cap),
    });
    assert_eq!(w.coin_value(created(&record, "::coin::Coin<")), total - 9);
    assert_eq!(w.pool(nodes[2].id).commission, 9);
    // Lists of different lengths, and a coin passed twice, are refused.
    let coin = w.coin(&w.admin, 1);
    let failure = w.fails_as(
        &w.admin,
        Call::Staking(StakingCall::AddCommissionToPools {
            node_ids: vec![nodes[0].id, nodes[1].id],
            commissions: vec![coin],
        }),
    );
    assert_eq!(failure.module, "std::vector");
    w.aborts(
        StakingCall::AddCommissionToPools {
            node_ids: vec![nodes[0].id, nodes[1].id],
            commissions: vec![coin, coin],
        },
        input::EWrongObjectType,
    );
    assert!(w.ledger.object(&coin).is_some());
}
