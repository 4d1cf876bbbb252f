//! Values scheduled per epoch, mirroring `move/walrus/sources/staking/pending_values.move` (as
//! Walrus mainnet): a map from epoch to a u64 in insertion order, entries reduced to zero kept
//! until flushed. The type is `walrus_core`'s twin (a `VecMap<u32, u64>`); [`Pending`] adds
//! Move's operations with their aborts.

pub use walrus_core::contracts::staking::PendingValues;
use walrus_core::contracts::staking::VecMapEntry;

use super::errors::{
    add, ensure, pending_values::EMissingEpochValue, pending_values::EReduceValueTooLarge,
    pending_values::MODULE as PENDING_VALUES,
};
use crate::types::ExecutionFailure;

/// Move's `pending_values` functions on [`PendingValues`].
pub trait Pending {
    /// Adds `value` to what is scheduled for `epoch` (a new epoch is appended).
    fn insert_or_add(&mut self, epoch: u32, value: u64) -> Result<(), ExecutionFailure>;
    /// Sets what is scheduled for `epoch` to `value` (a new epoch is appended).
    fn insert_or_replace(&mut self, epoch: u32, value: u64);
    /// Takes `value` from what is scheduled for `epoch` (the entry stays, possibly at 0).
    fn reduce(&mut self, epoch: u32, value: u64) -> Result<(), ExecutionFailure>;
    /// Removes every entry with epoch <= `to_epoch` (the others keep their order) and returns
    /// the sum of their values.
    fn flush(&mut self, to_epoch: u32) -> Result<u64, ExecutionFailure>;
    /// Move `value_at`: the sum of the values scheduled for epochs <= `epoch` (core's
    /// [`PendingValues::value_at`], an overflow aborting in `pending_values`).
    fn value_at_or_abort(&self, epoch: u32) -> Result<u64, ExecutionFailure>;
    /// The value scheduled exactly for `epoch` (0 if none).
    fn get(&self, epoch: u32) -> u64;
    /// Whether nothing is scheduled.
    fn is_empty(&self) -> bool;
    /// The scheduled epochs, in insertion order.
    fn epochs(&self) -> Vec<u32>;
}

fn entries(p: &PendingValues) -> &[VecMapEntry<u32, u64>] {
    &p.0.contents
}

impl Pending for PendingValues {
    fn insert_or_add(&mut self, epoch: u32, value: u64) -> Result<(), ExecutionFailure> {
        let slot = self.0.get_or_insert(epoch, 0);
        *slot = add(PENDING_VALUES, *slot, value)?;
        Ok(())
    }

    fn insert_or_replace(&mut self, epoch: u32, value: u64) {
        *self.0.get_or_insert(epoch, 0) = value;
    }

    fn reduce(&mut self, epoch: u32, value: u64) -> Result<(), ExecutionFailure> {
        let slot = self
            .0
            .contents
            .iter_mut()
            .find(|e| e.key == epoch)
            .ok_or_else(|| EMissingEpochValue.fail())?;
        ensure(slot.value >= value, EReduceValueTooLarge)?;
        slot.value -= value;
        Ok(())
    }

    fn flush(&mut self, to_epoch: u32) -> Result<u64, ExecutionFailure> {
        let sum = self.value_at_or_abort(to_epoch)?;
        self.0.contents.retain(|e| e.key > to_epoch);
        Ok(sum)
    }

    fn value_at_or_abort(&self, epoch: u32) -> Result<u64, ExecutionFailure> {
        self.value_at(epoch)
            .ok_or_else(|| crate::walrus::errors::arithmetic(PENDING_VALUES))
    }

    fn get(&self, epoch: u32) -> u64 {
        self.0.get(&epoch).copied().unwrap_or(0)
    }

    fn is_empty(&self) -> bool {
        entries(self).is_empty()
    }

    fn epochs(&self) -> Vec<u32> {
        self.0.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // Mirrors pending_values_tests.move::add_sum_and_flush.
    #[test]
    fn add_sum_and_flush() {
        let mut pv = PendingValues::default();
        assert!(pv.is_empty());
        pv.insert_or_add(5, 10).unwrap();
        pv.insert_or_add(3, 7).unwrap();
        pv.insert_or_add(5, 1).unwrap();
        pv.insert_or_add(4, 2).unwrap();
        // Insertion order, as mainnet.
        assert_eq!(pv.epochs(), vec![5, 3, 4]);
        assert_eq!(pv.get(5), 11);
        assert_eq!(pv.get(6), 0);
        assert_eq!(pv.value_at_or_abort(2).unwrap(), 0);
        assert_eq!(pv.value_at_or_abort(4).unwrap(), 9);
        assert_eq!(pv.value_at_or_abort(9).unwrap(), 20);
        assert_eq!(pv.flush(4).unwrap(), 9);
        assert_eq!(pv.epochs(), vec![5]);
        assert_eq!(pv.flush(4).unwrap(), 0);
        assert_eq!(pv.flush(5).unwrap(), 11);
        assert!(pv.is_empty());
    }

    // Mirrors pending_values_tests.move::replace_keeps_the_position.
    #[test]
    fn replace_keeps_the_position() {
        let mut pv = PendingValues::default();
        pv.insert_or_replace(4, 100);
        pv.insert_or_replace(2, 300);
        pv.insert_or_replace(4, 200);
        assert_eq!(pv.get(4), 200);
        assert_eq!(pv.epochs(), vec![4, 2]);
        assert_eq!(pv.flush(1).unwrap(), 0);
        assert_eq!(pv.flush(3).unwrap(), 300);
        assert_eq!(pv.epochs(), vec![4]);
    }

    // Mirrors pending_values_tests.move::{reduce_keeps_empty_entries, reduce_too_much_aborts,
    // reduce_missing_epoch_aborts}.
    #[test]
    fn reduce() {
        let mut pv = PendingValues::default();
        pv.insert_or_add(1, 10).unwrap();
        pv.reduce(1, 4).unwrap();
        assert_eq!(pv.get(1), 6);
        assert!(EReduceValueTooLarge.matches(&pv.reduce(1, 7).unwrap_err()));
        pv.reduce(1, 6).unwrap();
        assert!(!pv.is_empty());
        assert_eq!(pv.get(1), 0);
        assert_eq!(pv.flush(1).unwrap(), 0);
        assert!(pv.is_empty());
        assert!(EMissingEpochValue.matches(&pv.reduce(1, 1).unwrap_err()));
    }

    #[test]
    fn bcs_layout_is_a_vec_map() {
        let mut pv = PendingValues::default();
        pv.insert_or_add(2, 7).unwrap();
        assert_eq!(
            hex::encode(bcs::to_bytes(&pv).unwrap()),
            "01020000000700000000000000"
        );
    }
}
