//! Mirror of `move/walrus/sources/slashing.move`: committee members vote, weighted by their
//! shards, to slash a node; a quorum of one epoch's votes lets anyone burn the node's whole
//! commission. The shared `SlashingManager` keeps its proposals in a `Table<ID,
//! SlashingProposal>`, reported as Sui's dynamic fields of the table.

use serde::{Deserialize, Serialize};
use sui_sdk_types::{Address, Identifier, StructTag, TypeTag};
use walrus_core::contracts::staking::{SlashingManager, SlashingProposal, Table};

use super::errors::slashing as e;
use super::inner::{StakingEnv, StakingInnerV1};
use super::node::Authenticated;
use crate::devnet::objects::DynamicField;
use crate::types::{ExecutionFailure, ObjectId};
use crate::walrus::{to_move_id, to_object_id, walrus_type};

/// The shared `SlashingManager` (`walrus_core`'s twin) with its proposals, the entries Sui
/// keeps in its `slashing_candidates` table (the twin's table size counts them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlashingManagerObject {
    /// The Move value.
    pub manager: SlashingManager,
    /// The table's entries: candidate node id -> proposal, in insertion order.
    pub candidates: Vec<(ObjectId, SlashingProposal)>,
}

impl SlashingManagerObject {
    /// `slashing::new`: an empty manager (its id, then its table's).
    pub fn new(id: ObjectId, candidates_id: ObjectId) -> Self {
        Self {
            manager: SlashingManager {
                id: to_move_id(id),
                slashing_candidates: Table {
                    id: to_move_id(candidates_id),
                    size: 0,
                },
            },
            candidates: Vec::new(),
        }
    }

    /// Keeps the table's size equal to its entries (Move's `table::add`/`remove`).
    fn count(&mut self) {
        self.manager.slashing_candidates.size = self.candidates.len() as u64;
    }

    /// The table's entries as Sui stores them: `Field<ID, SlashingProposal>` under the table.
    pub fn dynamic_fields(&self) -> Vec<DynamicField> {
        let value_type = walrus_type("slashing", "SlashingProposal");
        let id_type = TypeTag::Struct(Box::new(StructTag::new(
            Address::TWO,
            Identifier::from_static("object"),
            Identifier::from_static("ID"),
            Vec::new(),
        )));
        self.candidates
            .iter()
            .map(|(node, proposal)| {
                DynamicField::new(
                    to_object_id(self.manager.slashing_candidates.id),
                    &id_type,
                    node.as_bytes(),
                    &value_type,
                    &bcs::to_bytes(proposal).unwrap_or_default(),
                )
            })
            .collect()
    }

    fn position(&self, node_id: &ObjectId) -> Option<usize> {
        self.candidates.iter().position(|(n, _)| n == node_id)
    }

    /// `slashing::vote_for_slashing`: `auth` must hold `voter`'s governance authorization
    /// (`ENotAuthorized`); the voter's weight is its shards in the current committee
    /// (`staking_inner::ENotInCommittee`); a proposal from an earlier epoch starts afresh; one
    /// vote per voter (`EDuplicateVote`).
    pub fn vote_for_slashing(
        &mut self,
        staking: &StakingInnerV1,
        env: &impl StakingEnv,
        auth: &Authenticated,
        voter: ObjectId,
        candidate: ObjectId,
    ) -> Result<(), ExecutionFailure> {
        e::ENotAuthorized.ensure(staking.check_governance_authorization(env, &voter, auth)?)?;
        let weight = staking.get_current_node_weight(&voter)?;
        let epoch = staking.epoch;
        let fresh = || SlashingProposal {
            epoch,
            node_id: to_move_id(candidate),
            voting_weight: 0,
            voters: Vec::new(),
        };
        let index = match self.position(&candidate) {
            Some(i) => i,
            None => {
                self.candidates.push((candidate, fresh()));
                self.count();
                self.candidates.len() - 1
            }
        };
        let proposal = &mut self.candidates[index].1;
        if proposal.epoch != epoch {
            *proposal = fresh();
        }
        let voter = to_move_id(voter);
        e::EDuplicateVote.ensure(!proposal.voters.contains(&voter))?;
        proposal.voters.push(voter);
        proposal.voting_weight = proposal
            .voting_weight
            .checked_add(weight)
            .ok_or_else(|| crate::walrus::errors::arithmetic(e::MODULE))?;
        Ok(())
    }

    /// `slashing::execute_slashing`: removes the proposal for `candidate`
    /// (`ENoProposalForNode`), which must be of the current epoch (`EWrongEpoch`) and have a
    /// quorum (`ENotEnoughVotes`); returns what `staking::burn_commission` must burn.
    pub fn execute_slashing(
        &mut self,
        staking: &StakingInnerV1,
        env: &mut impl StakingEnv,
        candidate: ObjectId,
    ) -> Result<u64, ExecutionFailure> {
        let index = self
            .position(&candidate)
            .ok_or_else(|| e::ENoProposalForNode.fail())?;
        let (_, proposal) = self.candidates.remove(index);
        self.count();
        e::EWrongEpoch.ensure(proposal.epoch == staking.epoch)?;
        e::ENotEnoughVotes.ensure(staking.is_quorum(proposal.voting_weight))?;
        staking.extract_commission_to_burn(env, candidate)
    }

    /// `slashing::cleanup_slashing_proposals`: drops the proposals of these nodes that are
    /// from earlier epochs.
    pub fn cleanup_slashing_proposals(&mut self, epoch: u32, node_ids: &[ObjectId]) {
        for node_id in node_ids {
            if let Some(i) = self.position(node_id)
                && self.candidates[i].1.epoch < epoch
            {
                self.candidates.remove(i);
                self.count();
            }
        }
    }
}
