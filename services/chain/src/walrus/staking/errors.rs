//! Abort codes of the staking modules (`move/walrus/sources/staking*.move`), one constant per
//! Move constant with the same module and number (the abort table of `move/walrus/README.md`,
//! section "Staking"), as [`AbortCode`]s like the rest of [`crate::walrus::errors`]. The
//! constants keep their Move names so a search for `EWithdrawDirectly` finds both sides.
//!
//! Arithmetic overflow is Move's `ARITHMETIC_ERROR` ([`errors::arithmetic`]) in the module
//! where it happens; the helpers below do checked arithmetic the way Move does.
#![allow(non_upper_case_globals)]

use crate::types::ExecutionFailure;
use crate::walrus::errors;
pub use crate::walrus::errors::AbortCode;

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

/// `walrus::staking` (`move/walrus/sources/staking.move`).
pub mod staking {
    use super::{AbortCode, code};
    /// The Move module's name.
    pub const MODULE: &str = "walrus::staking";
    /// The `Staking` object's version does not match this package's version.
    pub const EWrongVersion: AbortCode = code(MODULE, 0, "EWrongVersion");
}

/// `walrus::staking_inner` (`sources/staking/staking_inner.move`).
pub mod staking_inner {
    use super::{AbortCode, code};
    /// The Move module's name.
    pub const MODULE: &str = "walrus::staking_inner";
    /// The call is not allowed in the current epoch state.
    pub const EWrongEpochState: AbortCode = code(MODULE, 0, "EWrongEpochState");
    /// The clock has not reached the time the call waits for.
    pub const ETooEarly: AbortCode = code(MODULE, 1, "ETooEarly");
    /// `epoch_sync_done` for an epoch other than the current one.
    pub const EInvalidSyncEpoch: AbortCode = code(MODULE, 2, "EInvalidSyncEpoch");
    /// The node already reported sync done for this epoch.
    pub const EDuplicateSyncDone: AbortCode = code(MODULE, 3, "EDuplicateSyncDone");
    /// The node is not in the current committee.
    pub const ENotInCommittee: AbortCode = code(MODULE, 4, "ENotInCommittee");
    /// The proof of possession of the BLS key is invalid.
    pub const EInvalidProofOfPossession: AbortCode = code(MODULE, 5, "EInvalidProofOfPossession");
    /// No pool is registered under this node id.
    pub const EPoolNotFound: AbortCode = code(MODULE, 6, "EPoolNotFound");
    /// `n_shards` and the epoch duration must be positive.
    pub const EInvalidParameters: AbortCode = code(MODULE, 7, "EInvalidParameters");
}

/// `walrus::staking_pool` (`sources/staking/staking_pool.move`).
pub mod staking_pool {
    use super::{AbortCode, code};
    /// The Move module's name.
    pub const MODULE: &str = "walrus::staking_pool";
    /// The commission rate exceeds 10_000 basis points.
    pub const EInvalidCommissionRate: AbortCode = code(MODULE, 0, "EInvalidCommissionRate");
    /// The `StakedWal` belongs to another pool.
    pub const EIncorrectStakedWal: AbortCode = code(MODULE, 1, "EIncorrectStakedWal");
    /// A withdrawal was already requested for this `StakedWal`.
    pub const EAlreadyWithdrawing: AbortCode = code(MODULE, 2, "EAlreadyWithdrawing");
    /// This stake can be withdrawn directly with `withdraw_stake`; no request needed.
    pub const EWithdrawDirectly: AbortCode = code(MODULE, 3, "EWithdrawDirectly");
    /// The withdraw epoch of this `StakedWal` has not been reached yet.
    pub const EWithdrawEpochNotReached: AbortCode = code(MODULE, 4, "EWithdrawEpochNotReached");
    /// This stake must first be requested for withdrawal with `request_withdraw_stake`.
    pub const ERequestWithdrawFirst: AbortCode = code(MODULE, 5, "ERequestWithdrawFirst");
    /// The caller is not authorized.
    pub const EAuthorizationFailure: AbortCode = code(MODULE, 6, "EAuthorizationFailure");
    /// The pool was already advanced to this epoch.
    pub const EPoolAlreadyAdvanced: AbortCode = code(MODULE, 7, "EPoolAlreadyAdvanced");
}

/// `walrus::staked_wal` (`sources/staking/staked_wal.move`).
pub mod staked_wal {
    use super::{AbortCode, code};
    /// The Move module's name.
    pub const MODULE: &str = "walrus::staked_wal";
    /// The amount is below `MIN_STAKING_THRESHOLD` (or a split leaves a part below it).
    pub const EStakeBelowThreshold: AbortCode = code(MODULE, 0, "EStakeBelowThreshold");
    /// Objects of different nodes cannot be joined.
    pub const ENodeMismatch: AbortCode = code(MODULE, 1, "ENodeMismatch");
    /// Objects with different activation epochs cannot be joined.
    pub const EActivationEpochMismatch: AbortCode = code(MODULE, 2, "EActivationEpochMismatch");
    /// Objects in different states (or withdrawing at different epochs) cannot be joined.
    pub const EStateMismatch: AbortCode = code(MODULE, 3, "EStateMismatch");
    /// The object is not in the `Withdrawing` state.
    pub const ENotWithdrawing: AbortCode = code(MODULE, 4, "ENotWithdrawing");
    /// The split amount is zero or not smaller than the value.
    pub const EInvalidSplitAmount: AbortCode = code(MODULE, 5, "EInvalidSplitAmount");
}

/// `walrus::storage_node` (`sources/staking/storage_node.move`).
pub mod storage_node {
    use super::{AbortCode, code};
    /// The Move module's name.
    pub const MODULE: &str = "walrus::storage_node";
    /// The node name is longer than `MAX_NAME_LENGTH` bytes.
    pub const ENameTooLong: AbortCode = code(MODULE, 0, "ENameTooLong");
    /// The network address is longer than `MAX_NETWORK_ADDRESS_LENGTH` bytes.
    pub const ENetworkAddressTooLong: AbortCode = code(MODULE, 1, "ENetworkAddressTooLong");
    /// The network public key is not `NETWORK_PUBLIC_KEY_LENGTH` bytes.
    pub const EInvalidNetworkPublicKey: AbortCode = code(MODULE, 2, "EInvalidNetworkPublicKey");
    /// The BLS public key is not `BLS_PUBLIC_KEY_LENGTH` bytes.
    pub const EInvalidPublicKeyLength: AbortCode = code(MODULE, 3, "EInvalidPublicKeyLength");
}

/// `walrus::node_metadata` (`sources/staking/node_metadata.move`).
pub mod node_metadata {
    use super::{AbortCode, code};
    /// The Move module's name.
    pub const MODULE: &str = "walrus::node_metadata";
    /// A metadata string is longer than `MAX_FIELD_LENGTH` bytes.
    pub const EFieldTooLong: AbortCode = code(MODULE, 0, "EFieldTooLong");
    /// More than `MAX_EXTRA_FIELDS` extra fields.
    pub const ETooManyExtraFields: AbortCode = code(MODULE, 1, "ETooManyExtraFields");
}

/// `walrus::pending_values` (`sources/staking/pending_values.move`).
pub mod pending_values {
    use super::{AbortCode, code};
    /// The Move module's name.
    pub const MODULE: &str = "walrus::pending_values";
    /// Tried to take more than is scheduled for an epoch.
    pub const EInsufficientValue: AbortCode = code(MODULE, 0, "EInsufficientValue");
}

/// `walrus::active_set` (`sources/staking/active_set.move`).
pub mod active_set {
    use super::{AbortCode, code};
    /// The Move module's name.
    pub const MODULE: &str = "walrus::active_set";
    /// The maximal size must be positive.
    pub const EZeroMaxSize: AbortCode = code(MODULE, 0, "EZeroMaxSize");
}

/// `walrus::apportionment` (`sources/staking/apportionment.move`).
pub mod apportionment {
    use super::{AbortCode, code};
    /// The Move module's name.
    pub const MODULE: &str = "walrus::apportionment";
    /// The cap is too small to place every shard.
    pub const ECapTooSmall: AbortCode = code(MODULE, 0, "ECapTooSmall");
}

/// `walrus::committee` (`sources/staking/committee.move`).
pub mod committee {
    use super::{AbortCode, code};
    /// The Move module's name.
    pub const MODULE: &str = "walrus::committee";
    /// The new counts do not add up to the shards of the previous committee.
    pub const EShardCountMismatch: AbortCode = code(MODULE, 0, "EShardCountMismatch");
    /// Node ids must be given in ascending order.
    pub const EUnsortedNodeIds: AbortCode = code(MODULE, 1, "EUnsortedNodeIds");
}

/// `walrus::weighted_quantile` (`sources/staking/weighted_quantile.move`).
pub mod weighted_quantile {
    use super::{AbortCode, code};
    /// The Move module's name.
    pub const MODULE: &str = "walrus::weighted_quantile";
    /// Values and weights have different lengths.
    pub const ELengthMismatch: AbortCode = code(MODULE, 0, "ELengthMismatch");
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
