//! Abort codes of the staking modules (`move/walrus/sources/staking*.move`), one constant per
//! Move constant with the same module and number (the abort table of `move/walrus/README.md`,
//! section "Staking"), as [`AbortCode`]s like the rest of [`crate::walrus::errors`]. The
//! constants keep their Move names so a search for `EWithdrawDirectly` finds both sides.
//!
//! Arithmetic overflow is Move's `ARITHMETIC_ERROR` ([`errors::arithmetic`]) in the module
//! where it happens; the helpers below do checked arithmetic the way Move does.
#![allow(non_upper_case_globals)]

use crate::types::ExecutionFailure;
pub use crate::walrus::errors::AbortCode;
use crate::walrus::errors::{self, codes};

const fn code(module: &'static str, code: u64, name: &'static str) -> AbortCode {
    AbortCode { module, code, name }
}

/// Move's `assert!(condition, code)`.
pub fn ensure(condition: bool, code: AbortCode) -> Result<(), ExecutionFailure> {
    code.ensure(condition)
}

/// Checked `a + b` (Move aborts with `ARITHMETIC_ERROR` on overflow).
pub fn add(module: &'static str, a: u64, b: u64) -> Result<u64, ExecutionFailure> {
    a.checked_add(b).ok_or_else(|| errors::arithmetic(module))
}

/// Checked `a - b`.
pub fn sub(module: &'static str, a: u64, b: u64) -> Result<u64, ExecutionFailure> {
    a.checked_sub(b).ok_or_else(|| errors::arithmetic(module))
}

/// Checked `a + b` on epochs.
pub fn add32(module: &'static str, a: u32, b: u32) -> Result<u32, ExecutionFailure> {
    a.checked_add(b).ok_or_else(|| errors::arithmetic(module))
}

/// Checked `x as u64` of a `u128`.
pub fn to_u64(module: &'static str, x: u128) -> Result<u64, ExecutionFailure> {
    u64::try_from(x).map_err(|_| errors::arithmetic(module))
}

codes! {
    /// `walrus::staking` (`move/walrus/sources/staking.move`).
    staking = "walrus::staking" {
        /// The migration to this package's version is not possible (already migrated, or no
        /// new package id set by `upgrade::commit_upgrade`).
        EInvalidMigration = 0;
        /// The `Staking` object's version does not match this package's version.
        EWrongVersion = 1;
        /// The function is deprecated (`initiate_epoch_change`: use `initiate_epoch_change_v2`).
        EDeprecatedFunction = 2;
    }
}

codes! {
    /// `walrus::staking_inner` (`sources/staking/staking_inner.move`).
    staking_inner = "walrus::staking_inner" {
        /// The call is not allowed in the current epoch state, or not yet (the clock has not
        /// reached the time the call waits for).
        EWrongEpochState = 0;
        /// `epoch_sync_done` for an epoch other than the current one.
        EInvalidSyncEpoch = 1;
        /// The node already reported sync done for this epoch.
        EDuplicateSyncDone = 2;
        /// No stake in the active set: no committee can be selected.
        ENoStake = 3;
        /// The node is not in the current committee.
        ENotInCommittee = 4;
        /// The next committee is already selected.
        ECommitteeSelected = 5;
        /// No next committee has been selected (`voting_end` has not run in this epoch).
        ENextCommitteeIsEmpty = 6;
        /// A node holds more shards than a `u16` counts.
        EInvalidNodeWeight = 7;
        /// No pool is registered under this node id.
        EPoolNotFound = 8;
        /// A member of the selected committee has no shards.
        EZeroNodeWeight = 9;
        /// The keys recorded at the selection are not the committee's nodes, in order.
        EIncorrectNodeOrder = 10;
        /// `n_shards` and the epoch duration must be positive (ours; not in mainnet).
        EInvalidParameters = 11;
    }
}

codes! {
    /// `walrus::slashing` (`sources/slashing.move`).
    slashing = "walrus::slashing" {
        /// `auth` may not act for the voting node in governance.
        ENotAuthorized = 0;
        /// The node already voted on this proposal.
        EDuplicateVote = 1;
        /// There is no proposal to slash this node.
        ENoProposalForNode = 2;
        /// The proposal is from another epoch than the current one.
        EWrongEpoch = 3;
        /// The proposal's votes do not reach a quorum.
        ENotEnoughVotes = 4;
    }
}

codes! {
    /// `walrus::staking_pool` (`sources/staking/staking_pool.move`).
    staking_pool = "walrus::staking_pool" {
        /// The pool was already advanced to this epoch.
        EPoolAlreadyUpdated = 0;
        /// Withdrawals would take more than the pool holds (accounting broken).
        ECalculationError = 1;
        /// Rewards for a pool without stake (accounting broken).
        EIncorrectEpochAdvance = 2;
        /// The pool still holds stake, rewards or commission (no devnet call destroys pools).
        EPoolNotEmpty = 3;
        /// The proof of possession of the BLS key does not verify.
        EInvalidProofOfPossession = 4;
        /// The pool is already withdrawing (no devnet call moves pools out of `Active`).
        EPoolAlreadyWithdrawing = 5;
        /// The pool does not accept stake (it is not `Active`).
        EPoolIsNotActive = 6;
        /// Nothing to stake: the coin is empty.
        EZeroStake = 7;
        /// The `StakedWal` is not in the `Staked` state.
        ENotStaked = 8;
        /// The `StakedWal` belongs to another pool.
        EIncorrectPoolId = 9;
        /// This stake is active in a committee: request its withdrawal first.
        ENotWithdrawing = 10;
        /// The withdraw epoch of this `StakedWal` has not been reached yet.
        EWithdrawEpochNotReached = 11;
        /// The stake is not active yet (accounting broken).
        EActivationEpochNotReached = 12;
        /// This stake can be withdrawn directly with `withdraw_stake`; no request needed.
        EWithdrawDirectly = 13;
        /// The commission rate exceeds 10_000 basis points.
        EIncorrectCommissionRate = 14;
        /// The caller is not authorized.
        EAuthorizationFailure = 15;
        /// The network address is longer than 259 bytes.
        EInvalidNetworkAddressLength = 16;
        /// The node name is longer than 100 bytes.
        EInvalidNameLength = 17;
        /// The stake is worth zero shares at its activation epoch's rate.
        EZeroShares = 18;
    }
}

codes! {
    /// `walrus::staked_wal` (`sources/staking/staked_wal.move`).
    staked_wal = "walrus::staked_wal" {
        /// The object is not in the `Withdrawing` state.
        ENotWithdrawing = 0;
        /// The objects to join differ in node, activation epoch, state or withdraw epoch.
        EMetadataMismatch = 1;
        /// The split amount is not smaller than the value.
        EInvalidAmount = 2;
        /// A withdrawal of this object was already requested.
        EAlreadyWithdrawing = 6;
        /// The amount is below `MIN_STAKING_THRESHOLD` (or a split leaves a part below it).
        EStakeBelowThreshold = 7;
    }
}

codes! {
    /// `walrus::storage_node` (`sources/staking/storage_node.move`).
    storage_node = "walrus::storage_node" {
        /// The network public key is not 33 bytes.
        EInvalidNetworkPublicKey = 0;
    }
}

codes! {
    /// `walrus::pending_values` (`sources/staking/pending_values.move`).
    pending_values = "walrus::pending_values" {
        /// No value is pending for the epoch.
        EMissingEpochValue = 0;
        /// The value pending for the epoch is smaller than the reduction.
        EReduceValueTooLarge = 1;
    }
}

codes! {
    /// `walrus::active_set` (`sources/staking/active_set.move`).
    active_set = "walrus::active_set" {
        /// The maximal size must be positive.
        EZeroMaxSize = 0;
        /// A node that is already in the set is inserted again.
        EDuplicateInsertion = 1;
    }
}

codes! {
    /// `walrus::apportionment_queue` (`sources/staking/apportionment_queue.move`).
    apportionment_queue = "walrus::apportionment_queue" {
        /// `pop_max` on an empty queue: the cap cannot place every shard.
        EPopFromEmptyHeap = 0;
    }
}

codes! {
    /// `walrus::committee` (`sources/staking/committee.move`).
    committee = "walrus::committee" {
        /// The new counts do not add up to the shards of the previous committee.
        EInvalidShardAssignment = 0;
    }
}

codes! {
    /// `walrus::weighted_quantile` (`sources/staking/weighted_quantile.move`).
    weighted_quantile = "walrus::weighted_quantile" {
        /// Values and weights have different lengths.
        ELengthMismatch = 0;
    }
}

codes! {
    /// `walrus::pool_exchange_rate` (`sources/staking/pool_exchange_rate.move`).
    pool_exchange_rate = "walrus::pool_exchange_rate" {
        /// A rate with more shares than WAL.
        EInvalidRate = 0;
    }
}

/// Sui framework aborts only the staking code can hit (the others are in
/// [`crate::walrus::errors`]).
pub mod framework {
    use super::{AbortCode, code};
    /// `sui::vec_map::EKeyAlreadyExists`: node metadata with a repeated extra-field key.
    pub const EKeyAlreadyExists: AbortCode = code("sui::vec_map", 0, "EKeyAlreadyExists");
    /// `sui::dynamic_field::EFieldAlreadyExists`: a table entry added twice.
    pub const EFieldAlreadyExists: AbortCode = code("sui::dynamic_field", 0, "EFieldAlreadyExists");
}
