//! Staked WAL, mirroring `move/walrus/sources/staking/staked_wal.move`.

pub use walrus_core::contracts::staking::{MIN_STAKING_THRESHOLD, StakedWal, StakedWalState};

use super::errors::{
    add, ensure,
    staked_wal::MODULE as STAKED_WAL,
    staked_wal::{
        EAlreadyWithdrawing, EInvalidAmount, EMetadataMismatch, ENotWithdrawing,
        EStakeBelowThreshold,
    },
};
use crate::types::{ExecutionFailure, ObjectId};
use crate::walrus::{to_move_id, to_object_id};

/// Move `staked_wal::mint`: wraps `principal` (at least 1 WAL) staked with `node_id` from
/// `activation_epoch` into a new object `id`.
pub fn mint(
    id: ObjectId,
    node_id: ObjectId,
    principal: u64,
    activation_epoch: u32,
) -> Result<StakedWal, ExecutionFailure> {
    ensure(principal >= MIN_STAKING_THRESHOLD, EStakeBelowThreshold)?;
    Ok(StakedWal {
        id: to_move_id(id),
        state: StakedWalState::Staked,
        node_id: to_move_id(node_id),
        principal,
        activation_epoch,
    })
}

/// Move's `staked_wal` functions on `walrus_core`'s [`StakedWal`], with their aborts.
pub trait StakedWalOps: Sized {
    /// The object id.
    fn object_id(&self) -> ObjectId;
    /// The node (= pool) it is staked with.
    fn pool_id(&self) -> ObjectId;
    /// Marks the object as withdrawing at `withdraw_epoch` (`EAlreadyWithdrawing`).
    fn set_withdrawing(&mut self, withdraw_epoch: u32) -> Result<(), ExecutionFailure>;
    /// Merges `other` into `self` (same node, activation epoch and state).
    fn join(&mut self, other: &StakedWal) -> Result<(), ExecutionFailure>;
    /// Splits `amount` off into a new object `id`; both parts must hold at least 1 WAL.
    fn split(&mut self, amount: u64, id: ObjectId) -> Result<StakedWal, ExecutionFailure>;
    /// The principal.
    fn value(&self) -> u64;
    /// Whether the stake is `Staked`.
    fn is_staked(&self) -> bool;
    /// Move `staked_wal::withdraw_epoch`: aborts `ENotWithdrawing` unless withdrawing.
    fn withdraw_epoch_or_abort(&self) -> Result<u32, ExecutionFailure>;
}

impl StakedWalOps for StakedWal {
    fn object_id(&self) -> ObjectId {
        to_object_id(self.id)
    }

    fn pool_id(&self) -> ObjectId {
        to_object_id(self.node_id)
    }

    fn set_withdrawing(&mut self, withdraw_epoch: u32) -> Result<(), ExecutionFailure> {
        ensure(self.is_staked(), EAlreadyWithdrawing)?;
        self.state = StakedWalState::Withdrawing { withdraw_epoch };
        Ok(())
    }

    fn join(&mut self, other: &StakedWal) -> Result<(), ExecutionFailure> {
        ensure(self.node_id == other.node_id, EMetadataMismatch)?;
        ensure(
            self.activation_epoch == other.activation_epoch,
            EMetadataMismatch,
        )?;
        ensure(self.state == other.state, EMetadataMismatch)?;
        self.principal = add(STAKED_WAL, self.principal, other.principal)?;
        Ok(())
    }

    fn split(&mut self, amount: u64, id: ObjectId) -> Result<StakedWal, ExecutionFailure> {
        ensure(amount < self.principal, EInvalidAmount)?;
        ensure(amount >= MIN_STAKING_THRESHOLD, EStakeBelowThreshold)?;
        ensure(
            self.principal - amount >= MIN_STAKING_THRESHOLD,
            EStakeBelowThreshold,
        )?;
        self.principal -= amount;
        Ok(StakedWal {
            id: to_move_id(id),
            state: self.state,
            node_id: self.node_id,
            principal: amount,
            activation_epoch: self.activation_epoch,
        })
    }

    fn value(&self) -> u64 {
        self.principal
    }

    fn is_staked(&self) -> bool {
        self.state == StakedWalState::Staked
    }

    fn withdraw_epoch_or_abort(&self) -> Result<u32, ExecutionFailure> {
        self.withdraw_epoch().ok_or_else(|| ENotWithdrawing.fail())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::active_set::tests::test_node_id;
    use super::*;

    const WAL: u64 = 1_000_000_000;

    fn mint(node: u64, amount: u64, activation: u32) -> Result<StakedWal, ExecutionFailure> {
        super::mint(test_node_id(100), test_node_id(node), amount, activation)
    }

    // Mirrors staked_wal_tests.move::mint_and_accessors.
    #[test]
    fn mint_and_accessors() {
        let sw = mint(0, 5 * WAL, 3).unwrap();
        assert_eq!(sw.pool_id(), test_node_id(0));
        assert_eq!(sw.value(), 5 * WAL);
        assert_eq!(sw.activation_epoch, 3);
        assert!(sw.is_staked());
        assert!(!sw.is_withdrawing());
        assert_eq!(MIN_STAKING_THRESHOLD, WAL);
    }

    // Mirrors staked_wal_tests.move::{split_and_join_keep_everything, split_and_join_withdrawing}.
    #[test]
    fn split_and_join() {
        let mut sw = mint(0, 5 * WAL, 3).unwrap();
        let other = sw.split(2 * WAL, test_node_id(101)).unwrap();
        assert_eq!(sw.value(), 3 * WAL);
        assert_eq!(other.value(), 2 * WAL);
        assert_eq!(other.activation_epoch, 3);
        assert_eq!(other.pool_id(), test_node_id(0));
        sw.join(&other).unwrap();
        assert_eq!(sw.value(), 5 * WAL);

        let mut sw = mint(0, 4 * WAL, 1).unwrap();
        sw.set_withdrawing(7).unwrap();
        // Mirrors staked_wal_tests.move::set_withdrawing_twice_aborts.
        assert!(EAlreadyWithdrawing.matches(&sw.clone().set_withdrawing(8).unwrap_err()));
        let other = sw.split(2 * WAL, test_node_id(101)).unwrap();
        assert_eq!(other.withdraw_epoch_or_abort().unwrap(), 7);
        assert!(other.is_withdrawing());
        sw.join(&other).unwrap();
        assert_eq!(sw.value(), 4 * WAL);
    }

    // Mirrors the abort tests of staked_wal_tests.move.
    #[test]
    fn aborts() {
        assert!(EStakeBelowThreshold.matches(&mint(0, WAL - 1, 1).unwrap_err()));
        let id = test_node_id(101);
        let mut sw = mint(0, 3 * WAL, 1).unwrap();
        assert!(EStakeBelowThreshold.matches(&sw.split(WAL - 1, id).unwrap_err()));
        let mut sw2 = mint(0, 2 * WAL, 1).unwrap();
        assert!(EStakeBelowThreshold.matches(&sw2.split(WAL + 1, id).unwrap_err()));
        assert!(EInvalidAmount.matches(&sw2.split(2 * WAL, id).unwrap_err()));
        assert!(EStakeBelowThreshold.matches(&sw2.split(0, id).unwrap_err()));
        assert!(EMetadataMismatch.matches(&sw.join(&mint(1, WAL, 1).unwrap()).unwrap_err()));
        assert!(EMetadataMismatch.matches(&sw.join(&mint(0, WAL, 2).unwrap()).unwrap_err()));
        let mut b = mint(0, WAL, 1).unwrap();
        b.set_withdrawing(3).unwrap();
        assert!(EMetadataMismatch.matches(&sw.join(&b).unwrap_err()));
        sw.set_withdrawing(4).unwrap();
        assert!(EMetadataMismatch.matches(&sw.join(&b).unwrap_err()));
        assert!(ENotWithdrawing.matches(&sw2.withdraw_epoch_or_abort().unwrap_err()));
        // Failed operations left the values alone.
        assert_eq!(sw.value(), 3 * WAL);
        assert_eq!(sw2.value(), 2 * WAL);
    }

    #[test]
    fn bcs_layout_is_moves() {
        let mut sw = mint(0, 5 * WAL, 3).unwrap();
        let bytes = bcs::to_bytes(&sw).unwrap();
        assert_eq!(bytes.len(), 32 + 1 + 32 + 8 + 4);
        sw.set_withdrawing(9).unwrap();
        let bytes = bcs::to_bytes(&sw).unwrap();
        assert_eq!(bytes.len(), 32 + 1 + 4 + 32 + 8 + 4);
        assert_eq!(&bytes[32..37], &[1, 9, 0, 0, 0]);
    }
}
