/// Slashing of misbehaving storage nodes, as on Walrus mainnet: members of the current
/// committee vote (each with its shards as weight) to slash a node; once the votes of one epoch
/// reach a quorum, anyone can execute the slashing, which burns the node's whole commission.
///
/// A proposal belongs to the epoch it was created (or last refreshed) in: a vote in a later
/// epoch starts it afresh, and only a proposal of the current epoch can be executed.
module walrus::slashing;

use sui::table::{Self, Table};
use sui::vec_set::{Self, VecSet};
use wal::wal::ProtectedTreasury;
use walrus::auth::Authenticated;
use walrus::staking::Staking;

// === Errors (numbered as in Walrus mainnet) ===

/// `auth` may not act for the voting node in governance.
const ENotAuthorized: u64 = 0;
/// The node already voted on this proposal.
const EDuplicateVote: u64 = 1;
/// There is no proposal to slash this node.
const ENoProposalForNode: u64 = 2;
/// The proposal is from another epoch than the current one.
const EWrongEpoch: u64 = 3;
/// The proposal's votes do not reach a quorum.
const ENotEnoughVotes: u64 = 4;

// === Object definitions ===

/// The votes to slash one node in one epoch.
public struct SlashingProposal has drop, store {
    /// The epoch the proposal was created or last refreshed in.
    epoch: u32,
    /// The node to slash.
    node_id: ID,
    /// The shards of the nodes that voted for it.
    voting_weight: u16,
    /// The nodes that voted for it.
    voters: VecSet<ID>,
}

/// The shared object holding every open proposal, by candidate node.
public struct SlashingManager has key {
    id: UID,
    slashing_candidates: Table<ID, SlashingProposal>,
}

// === Public functions ===

/// Votes, as `voter_node_id` (authorized by its governance authorization:
/// `ENotAuthorized`), to slash `candidate_node_id`. The voter must be in the current committee
/// (`staking_inner::ENotInCommittee`) and vote once per proposal (`EDuplicateVote`); a
/// proposal from an earlier epoch starts afresh.
public fun vote_for_slashing(
    self: &mut SlashingManager,
    staking: &Staking,
    auth: Authenticated,
    voter_node_id: ID,
    candidate_node_id: ID,
) {
    assert!(staking.check_governance_authorization(voter_node_id, auth), ENotAuthorized);
    let weight = staking.get_current_node_weight(voter_node_id);
    let epoch = staking.epoch();
    if (!self.slashing_candidates.contains(candidate_node_id)) {
        self.slashing_candidates.add(candidate_node_id, fresh_proposal(epoch, candidate_node_id));
    };
    let proposal = self.slashing_candidates.borrow_mut(candidate_node_id);
    if (proposal.epoch != epoch) *proposal = fresh_proposal(epoch, candidate_node_id);
    proposal.add_vote(voter_node_id, weight);
}

/// Burns the whole commission of `candidate_node_id` once its proposal (`ENoProposalForNode`)
/// of the current epoch (`EWrongEpoch`) has a quorum of votes (`ENotEnoughVotes`). The proposal
/// is removed.
public fun execute_slashing(
    self: &mut SlashingManager,
    staking: &mut Staking,
    treasury: &mut ProtectedTreasury,
    candidate_node_id: ID,
    ctx: &mut TxContext,
) {
    assert!(self.slashing_candidates.contains(candidate_node_id), ENoProposalForNode);
    let proposal = self.slashing_candidates.remove(candidate_node_id);
    assert!(proposal.epoch == staking.epoch(), EWrongEpoch);
    assert!(staking.is_quorum(proposal.voting_weight), ENotEnoughVotes);
    staking.burn_commission(candidate_node_id, treasury, ctx);
}

/// Removes the proposals of these nodes that are from earlier epochs (anyone may call it).
public fun cleanup_slashing_proposals(
    self: &mut SlashingManager,
    staking: &Staking,
    node_ids: vector<ID>,
) {
    let epoch = staking.epoch();
    node_ids.do!(|node_id| {
        if (
            self.slashing_candidates.contains(node_id)
                && self.slashing_candidates.borrow(node_id).epoch < epoch
        ) {
            self.slashing_candidates.remove(node_id);
        }
    });
}

// === Public-Package functions ===

/// Creates and shares the `SlashingManager` (at initialization).
public(package) fun new(ctx: &mut TxContext) {
    transfer::share_object(SlashingManager {
        id: object::new(ctx),
        slashing_candidates: table::new(ctx),
    });
}

// === Private functions ===

fun fresh_proposal(epoch: u32, node_id: ID): SlashingProposal {
    SlashingProposal { epoch, node_id, voting_weight: 0, voters: vec_set::empty() }
}

fun add_vote(self: &mut SlashingProposal, node_id: ID, weight: u16) {
    assert!(!self.voters.contains(&node_id), EDuplicateVote);
    self.voters.insert(node_id);
    self.voting_weight = self.voting_weight + weight;
}

// === Test-only ===

#[test_only]
public fun new_for_testing(ctx: &mut TxContext): SlashingManager {
    SlashingManager { id: object::new(ctx), slashing_candidates: table::new(ctx) }
}

#[test_only]
/// (epoch, voting weight, number of voters) of the proposal for `node_id`.
public fun proposal_for_testing(self: &SlashingManager, node_id: ID): vector<u64> {
    let proposal = self.slashing_candidates.borrow(node_id);
    vector[proposal.epoch as u64, proposal.voting_weight as u64, proposal.voters.length()]
}

#[test_only]
public fun has_proposal(self: &SlashingManager, node_id: ID): bool {
    self.slashing_candidates.contains(node_id)
}

#[test_only]
public fun destroy_for_testing(self: SlashingManager) { std::unit_test::destroy(self) }
