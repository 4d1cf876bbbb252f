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
        /// The `Staking` object's version does not match this package's version.
        EWrongVersion = 0;
    }
}

codes! {
    /// `walrus::staking_inner` (`sources/staking/staking_inner.move`).
    staking_inner = "walrus::staking_inner" {
        /// The call is not allowed in the current epoch state.
        EWrongEpochState = 0;
        /// The clock has not reached the time the call waits for.
        ETooEarly = 1;
        /// `epoch_sync_done` for an epoch other than the current one.
        EInvalidSyncEpoch = 2;
        /// The node already reported sync done for this epoch.
        EDuplicateSyncDone = 3;
        /// The node is not in the current committee.
        ENotInCommittee = 4;
        /// The proof of possession of the BLS key is invalid.
        EInvalidProofOfPossession = 5;
        /// No pool is registered under this node id.
        EPoolNotFound = 6;
        /// `n_shards` and the epoch duration must be positive.
        EInvalidParameters = 7;
    }
}

codes! {
    /// `walrus::staking_pool` (`sources/staking/staking_pool.move`).
    staking_pool = "walrus::staking_pool" {
        /// The commission rate exceeds 10_000 basis points.
        EInvalidCommissionRate = 0;
        /// The `StakedWal` belongs to another pool.
        EIncorrectStakedWal = 1;
        /// A withdrawal was already requested for this `StakedWal`.
        EAlreadyWithdrawing = 2;
        /// This stake can be withdrawn directly with `withdraw_stake`; no request needed.
        EWithdrawDirectly = 3;
        /// The withdraw epoch of this `StakedWal` has not been reached yet.
        EWithdrawEpochNotReached = 4;
        /// This stake must first be requested for withdrawal with `request_withdraw_stake`.
        ERequestWithdrawFirst = 5;
        /// The caller is not authorized.
        EAuthorizationFailure = 6;
        /// The pool was already advanced to this epoch.
        EPoolAlreadyAdvanced = 7;
    }
}

codes! {
    /// `walrus::staked_wal` (`sources/staking/staked_wal.move`).
    staked_wal = "walrus::staked_wal" {
        /// The amount is below `MIN_STAKING_THRESHOLD` (or a split leaves a part below it).
        EStakeBelowThreshold = 0;
        /// Objects of different nodes cannot be joined.
        ENodeMismatch = 1;
        /// Objects with different activation epochs cannot be joined.
        EActivationEpochMismatch = 2;
        /// Objects in different states (or withdrawing at different epochs) cannot be joined.
        EStateMismatch = 3;
        /// The object is not in the `Withdrawing` state.
        ENotWithdrawing = 4;
        /// The split amount is zero or not smaller than the value.
        EInvalidSplitAmount = 5;
    }
}

codes! {
    /// `walrus::storage_node` (`sources/staking/storage_node.move`).
    storage_node = "walrus::storage_node" {
        /// The node name is longer than `MAX_NAME_LENGTH` bytes.
        ENameTooLong = 0;
        /// The network address is longer than `MAX_NETWORK_ADDRESS_LENGTH` bytes.
        ENetworkAddressTooLong = 1;
        /// The network public key is not `NETWORK_PUBLIC_KEY_LENGTH` bytes.
        EInvalidNetworkPublicKey = 2;
        /// The BLS public key is not `BLS_PUBLIC_KEY_LENGTH` bytes.
        EInvalidPublicKeyLength = 3;
    }
}

codes! {
    /// `walrus::node_metadata` (`sources/staking/node_metadata.move`).
    node_metadata = "walrus::node_metadata" {
        /// A metadata string is longer than `MAX_FIELD_LENGTH` bytes.
        EFieldTooLong = 0;
        /// More than `MAX_EXTRA_FIELDS` extra fields.
        ETooManyExtraFields = 1;
    }
}

codes! {
    /// `walrus::pending_values` (`sources/staking/pending_values.move`).
    pending_values = "walrus::pending_values" {
        /// Tried to take more than is scheduled for an epoch.
        EInsufficientValue = 0;
    }
}

codes! {
    /// `walrus::active_set` (`sources/staking/active_set.move`).
    active_set = "walrus::active_set" {
        /// The maximal size must be positive.
        EZeroMaxSize = 0;
    }
}

codes! {
    /// `walrus::apportionment` (`sources/staking/apportionment.move`).
    apportionment = "walrus::apportionment" {
        /// The cap is too small to place every shard.
        ECapTooSmall = 0;
    }
}

codes! {
    /// `walrus::committee` (`sources/staking/committee.move`).
    committee = "walrus::committee" {
        /// The new counts do not add up to the shards of the previous committee.
        EShardCountMismatch = 0;
        /// Node ids must be given in ascending order.
        EUnsortedNodeIds = 1;
    }
}

codes! {
    /// `walrus::weighted_quantile` (`sources/staking/weighted_quantile.move`).
    weighted_quantile = "walrus::weighted_quantile" {
        /// Values and weights have different lengths.
        ELengthMismatch = 0;
    }
}

/// `walrus::exchange_rate` has no error constants; its arithmetic errors carry this module.
pub mod exchange_rate {
    /// The Move module's name.
    pub const MODULE: &str = "walrus::exchange_rate";
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every constant against the abort table of move/walrus/README.md ("Staking").
    #[test]
    fn codes_match_the_move_table() {
        let readme = include_str!("../../../../../move/walrus/README.md");
        let all = [
            staking::EWrongVersion,
            staking_inner::EWrongEpochState,
            staking_inner::ETooEarly,
            staking_inner::EInvalidSyncEpoch,
            staking_inner::EDuplicateSyncDone,
            staking_inner::ENotInCommittee,
            staking_inner::EInvalidProofOfPossession,
            staking_inner::EPoolNotFound,
            staking_inner::EInvalidParameters,
            staking_pool::EInvalidCommissionRate,
            staking_pool::EIncorrectStakedWal,
            staking_pool::EAlreadyWithdrawing,
            staking_pool::EWithdrawDirectly,
            staking_pool::EWithdrawEpochNotReached,
            staking_pool::ERequestWithdrawFirst,
            staking_pool::EAuthorizationFailure,
            staking_pool::EPoolAlreadyAdvanced,
            staked_wal::EStakeBelowThreshold,
            staked_wal::ENodeMismatch,
            staked_wal::EActivationEpochMismatch,
            staked_wal::EStateMismatch,
            staked_wal::ENotWithdrawing,
            staked_wal::EInvalidSplitAmount,
            storage_node::ENameTooLong,
            storage_node::ENetworkAddressTooLong,
            storage_node::EInvalidNetworkPublicKey,
            storage_node::EInvalidPublicKeyLength,
            node_metadata::EFieldTooLong,
            node_metadata::ETooManyExtraFields,
            pending_values::EInsufficientValue,
            active_set::EZeroMaxSize,
            apportionment::ECapTooSmall,
            committee::EShardCountMismatch,
            committee::EUnsortedNodeIds,
            weighted_quantile::ELengthMismatch,
        ];
        for c in all {
            let row = format!("| `{}` | {} | `{}` |", c.module, c.code, c.name);
            assert!(
                readme.contains(&row),
                "missing from the README table: {row}"
            );
        }
        // And the Move sources declare them with these values.
        let sources = [
            include_str!("../../../../../move/walrus/sources/staking.move"),
            include_str!("../../../../../move/walrus/sources/staking/staking_inner.move"),
            include_str!("../../../../../move/walrus/sources/staking/staking_pool.move"),
            include_str!("../../../../../move/walrus/sources/staking/staked_wal.move"),
            include_str!("../../../../../move/walrus/sources/staking/storage_node.move"),
            include_str!("../../../../../move/walrus/sources/staking/node_metadata.move"),
            include_str!("../../../../../move/walrus/sources/staking/pending_values.move"),
            include_str!("../../../../../move/walrus/sources/staking/active_set.move"),
            include_str!("../../../../../move/walrus/sources/staking/apportionment.move"),
            include_str!("../../../../../move/walrus/sources/staking/committee.move"),
            include_str!("../../../../../move/walrus/sources/staking/weighted_quantile.move"),
        ]
        .concat();
        for c in all {
            let decl = format!("const {}: u64 = {};", c.name, c.code);
            assert!(sources.contains(&decl), "not declared in Move: {decl}");
        }
    }
}
