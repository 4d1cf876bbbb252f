/// Package upgrades, as on Walrus mainnet: the shared `UpgradeManager` holds the package's
/// `UpgradeCap`. Committee members vote (with their shards) for the digest of a new package;
/// once one epoch's votes reach a quorum anyone can authorize the upgrade, and the `Upgrade`
/// command of the same programmable transaction publishes it; `commit_upgrade` then records
/// the new package in `Staking` and `System`, which `init::migrate_v2` moves to it. The
/// `EmergencyUpgradeCap` authorizes upgrades without votes until it is burned.
///
/// A quorum (`3w >= 2n + 1`) rather than a majority means a majority of honest weight voted,
/// and byzantine nodes alone cannot block an upgrade.
module walrus::upgrade;

use sui::package::{UpgradeCap, UpgradeTicket, UpgradeReceipt};
use sui::table::{Self, Table};
use sui::vec_set::{Self, VecSet};
use walrus::auth::Authenticated;
use walrus::events;
use walrus::staking::Staking;
use walrus::system::System;

// === Errors (numbered as in Walrus mainnet) ===

/// The emergency upgrade cap belongs to another upgrade manager.
const EInvalidUpgradeManager: u64 = 0;
/// `auth` may not act for the voting node in governance.
const ENotAuthorized: u64 = 1;
/// The node already voted on this proposal.
const EDuplicateVote: u64 = 2;
/// A package digest is not 32 bytes long.
const EInvalidPackageDigest: u64 = 3;
/// There is no proposal for this digest.
const ENoProposalForDigest: u64 = 4;
/// The proposal is from another epoch than the current one.
const EWrongEpoch: u64 = 5;
/// The proposal's votes do not reach a quorum.
const ENotEnoughVotes: u64 = 6;
/// The proposal is for another package version than the next one.
const EWrongVersion: u64 = 7;

// === Object definitions ===

/// A package digest: always 32 bytes.
public struct PackageDigest(vector<u8>) has copy, drop, store;

/// The votes of one epoch to upgrade to the package with `digest`, as version `version`.
public struct UpgradeProposal has drop, store {
    /// The epoch the proposal was created (or last refreshed) in; the upgrade must happen in it.
    epoch: u32,
    digest: PackageDigest,
    /// The package version the upgrade makes (the cap's version + 1).
    version: u64,
    /// The shards of the nodes that voted for it.
    voting_weight: u16,
    /// The nodes that voted for it.
    voters: VecSet<ID>,
}

/// The shared object holding the package's `UpgradeCap` and the open proposals by digest.
public struct UpgradeManager has key {
    id: UID,
    cap: UpgradeCap,
    upgrade_proposals: Table<PackageDigest, UpgradeProposal>,
}

/// Authorizes upgrades of one `UpgradeManager` without votes; meant to be burned once the
/// governance has matured.
public struct EmergencyUpgradeCap has key, store {
    id: UID,
    upgrade_manager_id: ID,
}

// === Public functions ===

/// Votes, as `node_id` (authorized by its governance authorization: `ENotAuthorized`; in the
/// current committee: `staking_inner::ENotInCommittee`), for the package with `digest`
/// (`EInvalidPackageDigest` unless 32 bytes). A proposal from an earlier epoch or for another
/// version starts afresh (`ContractUpgradeProposed`); one vote per node (`EDuplicateVote`);
/// emits `ContractUpgradeQuorumReached` whenever the votes are a quorum after this one.
public fun vote_for_upgrade(
    self: &mut UpgradeManager,
    staking: &Staking,
    auth: Authenticated,
    node_id: ID,
    digest: vector<u8>,
) {
    assert!(staking.check_governance_authorization(node_id, auth), ENotAuthorized);
    let weight = staking.get_current_node_weight(node_id);
    let epoch = staking.epoch();
    let digest = package_digest!(digest);
    let version = self.cap.version() + 1;
    if (!self.upgrade_proposals.contains(digest)) {
        self.upgrade_proposals.add(digest, fresh_proposal(epoch, digest, version));
    } else {
        let proposal = self.upgrade_proposals.borrow_mut(digest);
        if (proposal.epoch != epoch || proposal.version != version) {
            *proposal = fresh_proposal(epoch, digest, version);
        }
    };
    let proposal = self.upgrade_proposals.borrow_mut(digest);
    proposal.add_vote(node_id, weight);
    if (staking.is_quorum(proposal.voting_weight)) {
        events::emit_contract_upgrade_quorum_reached(epoch, digest.0);
    }
}

/// Takes the proposal for `digest` (`ENoProposalForDigest`), which must be of the current
/// epoch (`EWrongEpoch`), have a quorum (`ENotEnoughVotes`) and be for the next version
/// (`EWrongVersion`), and authorizes the upgrade with the cap's policy.
public fun authorize_upgrade(
    self: &mut UpgradeManager,
    staking: &Staking,
    digest: vector<u8>,
): UpgradeTicket {
    let digest = package_digest!(digest);
    assert!(self.upgrade_proposals.contains(digest), ENoProposalForDigest);
    let proposal = self.upgrade_proposals.remove(digest);
    assert!(proposal.epoch == staking.epoch(), EWrongEpoch);
    assert!(staking.is_quorum(proposal.voting_weight), ENotEnoughVotes);
    assert!(self.cap.version() + 1 == proposal.version, EWrongVersion);
    let policy = self.cap.policy();
    self.cap.authorize(policy, digest.0)
}

/// Authorizes an upgrade to `digest` without votes, with an emergency cap of this manager
/// (`EInvalidUpgradeManager`).
public fun authorize_emergency_upgrade(
    upgrade_manager: &mut UpgradeManager,
    emergency_upgrade_cap: &EmergencyUpgradeCap,
    digest: vector<u8>,
): UpgradeTicket {
    assert!(
        emergency_upgrade_cap.upgrade_manager_id == object::id(upgrade_manager),
        EInvalidUpgradeManager,
    );
    let policy = upgrade_manager.cap.policy();
    upgrade_manager.cap.authorize(policy, digest)
}

/// Commits the upgrade of `receipt` to the cap and records the new package in `Staking` and
/// `System` (which `init::migrate_v2`, called in the new package, then moves to it).
public fun commit_upgrade(
    upgrade_manager: &mut UpgradeManager,
    staking: &mut Staking,
    system: &mut System,
    receipt: UpgradeReceipt,
) {
    let new_package_id = receipt.package();
    staking.set_new_package_id(new_package_id);
    system.set_new_package_id(new_package_id);
    upgrade_manager.cap.commit(receipt)
}

/// Removes the proposals for these digests that are from earlier epochs or for versions that
/// exist already (anyone may call it).
public fun cleanup_upgrade_proposals(
    self: &mut UpgradeManager,
    staking: &Staking,
    proposals: vector<vector<u8>>,
) {
    let version = self.cap.version();
    let epoch = staking.epoch();
    proposals.do!(|digest| {
        let digest = package_digest!(digest);
        if (self.upgrade_proposals.contains(digest)) {
            let proposal = self.upgrade_proposals.borrow(digest);
            if (proposal.version <= version || proposal.epoch < epoch) {
                self.upgrade_proposals.remove(digest);
            }
        }
    });
}

/// Destroys an emergency upgrade cap: from then on only votes can authorize upgrades.
public fun burn_emergency_upgrade_cap(emergency_upgrade_cap: EmergencyUpgradeCap) {
    let EmergencyUpgradeCap { id, .. } = emergency_upgrade_cap;
    id.delete();
}

// === Public-Package functions ===

/// Creates and shares the `UpgradeManager` holding `cap`, and returns its emergency cap (at
/// initialization).
public(package) fun new(cap: UpgradeCap, ctx: &mut TxContext): EmergencyUpgradeCap {
    let upgrade_manager = UpgradeManager {
        id: object::new(ctx),
        cap,
        upgrade_proposals: table::new(ctx),
    };
    let emergency_upgrade_cap = EmergencyUpgradeCap {
        id: object::new(ctx),
        upgrade_manager_id: object::id(&upgrade_manager),
    };
    transfer::share_object(upgrade_manager);
    emergency_upgrade_cap
}

// === Private functions ===

/// A proposal without votes; emits `ContractUpgradeProposed`.
fun fresh_proposal(epoch: u32, digest: PackageDigest, version: u64): UpgradeProposal {
    events::emit_contract_upgrade_proposed(epoch, digest.0);
    UpgradeProposal { epoch, digest, version, voting_weight: 0, voters: vec_set::empty() }
}

fun add_vote(self: &mut UpgradeProposal, node_id: ID, weight: u16) {
    assert!(!self.voters.contains(&node_id), EDuplicateVote);
    self.voters.insert(node_id);
    self.voting_weight = self.voting_weight + weight;
}

/// `digest` as a `PackageDigest` (`EInvalidPackageDigest` unless 32 bytes).
macro fun package_digest($digest: vector<u8>): PackageDigest {
    let digest = $digest;
    assert!(digest.length() == 32, EInvalidPackageDigest);
    PackageDigest(digest)
}

// === Test-only ===

#[test_only]
public fun digest_for_testing(ctx: &mut TxContext): vector<u8> {
    ctx.fresh_object_address().to_bytes()
}

#[test_only]
/// (epoch, version, voting weight, number of voters) of the proposal for `digest`.
public fun proposal_for_testing(self: &UpgradeManager, digest: vector<u8>): vector<u64> {
    let proposal = self.upgrade_proposals.borrow(PackageDigest(digest));
    vector[
        proposal.epoch as u64,
        proposal.version,
        proposal.voting_weight as u64,
        proposal.voters.length(),
    ]
}

#[test_only]
public fun has_proposal(self: &UpgradeManager, digest: vector<u8>): bool {
    self.upgrade_proposals.contains(PackageDigest(digest))
}

#[test_only]
public fun cap_version(self: &UpgradeManager): u64 { self.cap.version() }
