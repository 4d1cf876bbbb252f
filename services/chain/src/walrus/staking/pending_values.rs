//! Values scheduled per epoch, mirroring `move/walrus/sources/staking/pending_values.move` (as
//! Walrus mainnet): a map from epoch to a u64 in insertion order, entries reduced to zero kept
//! until flushed (Move `VecMap<u32, u64>`; the serde form has its BCS layout).

use serde::{Deserialize, Serialize};

use super::errors::{
    add, ensure, pending_values::EMissingEpochValue, pending_values::EReduceValueTooLarge,
    pending_values::MODULE as PENDING_VALUES,
};
use crate::types::ExecutionFailure;

/// Epoch -> value, in insertion order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingValues(pub Vec<(u32, u64)>);

impl PendingValues {
    /// An empty map.
    pub fn empty() -> Self {
        Self(Vec::new())
    }

    fn index(&self, epoch: u32) -> Option<usize> {
        self.0.iter().position(|(e, _)| *e == epoch)
    }

    /// Adds `value` to what is scheduled for `epoch` (a new epoch is appended).
    pub fn insert_or_add(&mut self, epoch: u32, value: u64) -> Result<(), ExecutionFailure> {
        match self.index(epoch) {
            Some(i) => self.0[i].1 = add(PENDING_VALUES, self.0[i].1, value)?,
            None => self.0.push((epoch, value)),
        }
        Ok(())
    }

    /// Sets what is scheduled for `epoch` to `value` (a new epoch is appended).
    pub fn insert_or_replace(&mut self, epoch: u32, value: u64) {
        match self.index(epoch) {
            Some(i) => self.0[i].1 = value,
            None => self.0.push((epoch, value)),
        }
    }

    /// Takes `value` from what is scheduled for `epoch` (the entry stays, possibly at 0).
    pub fn reduce(&mut self, epoch: u32, value: u64) -> Result<(), ExecutionFailure> {
        let i = self.index(epoch).ok_or_else(|| EMissingEpochValue.fail())?;
        ensure(self.0[i].1 >= value, EReduceValueTooLarge)?;
        self.0[i].1 -= value;
        Ok(())
    }

    /// Removes every entry with epoch <= `to_epoch` (the others keep their order) and returns
    /// the sum of their values.
    pub fn flush(&mut self, to_epoch: u32) -> Result<u64, ExecutionFailure> {
        let mut sum = 0u64;
        for (_, v) in self.0.iter().filter(|(e, _)| *e <= to_epoch) {
            sum = add(PENDING_VALUES, sum, *v)?;
        }
        self.0.retain(|(e, _)| *e > to_epoch);
        Ok(sum)
    }

    /// The sum of the values scheduled for epochs <= `epoch`.
    pub fn value_at(&self, epoch: u32) -> Result<u64, ExecutionFailure> {
        let mut sum = 0u64;
        for (_, v) in self.0.iter().filter(|(e, _)| *e <= epoch) {
            sum = add(PENDING_VALUES, sum, *v)?;
        }
        Ok(sum)
    }

    /// The value scheduled exactly for `epoch` (0 if none).
    pub fn get(&self, epoch: u32) -> u64 {
        self.index(epoch).map_or(0, |i| self.0[i].1)
    }

    /// Whether nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scheduled epochs, in insertion order.
    pub fn epochs(&self) -> Vec<u32> {
        self.0.iter().map(|(e, _)| *e).collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // Mirrors pending_values_tests.move::add_sum_and_flush.
    #[test]
    fn add_sum_and_flush() {
        let mut pv = PendingValues::empty();
        assert!(pv.is_empty());
        pv.insert_or_add(5, 10).unwrap();
        pv.insert_or_add(3, 7).unwrap();
        pv.insert_or_add(5, 1).unwrap();
        pv.insert_or_add(4, 2).unwrap();
        // Insertion order, as mainnet.
        assert_eq!(pv.epochs(), vec![5, 3, 4]);
        assert_eq!(pv.get(5), 11);
        assert_eq!(pv.get(6), 0);
        assert_eq!(pv.value_at(2).unwrap(), 0);
        assert_eq!(pv.value_at(4).unwrap(), 9);
        assert_eq!(pv.value_at(9).unwrap(), 20);
        assert_eq!(pv.flush(4).unwrap(), 9);
        assert_eq!(pv.epochs(), vec![5]);
        assert_eq!(pv.flush(4).unwrap(), 0);
        assert_eq!(pv.flush(5).unwrap(), 11);
        assert!(pv.is_empty());
    }

    // Mirrors pending_values_tests.move::replace_keeps_the_position.
    #[test]
    fn replace_keeps_the_position() {
        let mut pv = PendingValues::empty();
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
        let mut pv = PendingValues::empty();
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
        let mut pv = PendingValues::empty();
        pv.insert_or_add(2, 7).unwrap();
        assert_eq!(
            hex::encode(bcs::to_bytes(&pv).unwrap()),
            "01020000000700000000000000"
        );
    }
}
