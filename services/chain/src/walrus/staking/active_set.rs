//! The candidates for the next committee, mirroring
//! `move/walrus/sources/staking/active_set.move` (as Walrus mainnet): up to `max_size` nodes
//! with their projected stake, in the order they entered; the committee is apportioned in that
//! order. `sorted_nodes_and_stakes` lists them by priority (stake descending, node id
//! ascending).

use walrus_core::contracts::ObjectId;
pub use walrus_core::contracts::staking::{ActiveSet, ActiveSetEntry};

use super::errors::{
    active_set::EDuplicateInsertion, active_set::EZeroMaxSize, active_set::MODULE as ACTIVE_SET,
    add, ensure, sub,
};
use crate::types::ExecutionFailure;

/// Node id order: the ids read as big-endian unsigned integers (= byte order), Move `id_lt`.
pub fn id_lt(a: &ObjectId, b: &ObjectId) -> bool {
    a.as_bytes() < b.as_bytes()
}

/// Whether `a` comes strictly before `b`: larger stake, or equal stake and smaller node id.
pub fn higher_priority(a: &ActiveSetEntry, b: &ActiveSetEntry) -> bool {
    a.staked_amount > b.staked_amount
        || (a.staked_amount == b.staked_amount && id_lt(&a.node_id, &b.node_id))
}

/// Move `active_set::new`: an empty set holding at most `max_size` nodes of at least `threshold_stake` each.
pub fn new_active_set(max_size: u16, threshold_stake: u64) -> Result<ActiveSet, ExecutionFailure> {
    ensure(max_size > 0, EZeroMaxSize)?;
    Ok(ActiveSet {
        max_size,
        threshold_stake,
        nodes: Vec::new(),
        total_stake: 0,
    })
}

/// Move's `active_set` functions on `walrus_core`'s [`ActiveSet`], with their aborts.
pub trait ActiveSetOps {
    /// Sets the stake of `node_id`: with zero stake, or below the threshold, it leaves (or stays
    /// out of) the set; a member is updated in place; a new node joins if there is room, else
    /// replaces the first member with the smallest stake if that is strictly smaller. Returns
    /// whether the node is in the set afterwards.
    fn insert_or_update(
        &mut self,
        node_id: ObjectId,
        staked_amount: u64,
    ) -> Result<bool, ExecutionFailure>;
    /// Sets the stake of a member; whether `node_id` is one.
    fn update(&mut self, node_id: ObjectId, staked_amount: u64) -> Result<bool, ExecutionFailure>;
    /// Removes `node_id` if present (the last member takes its place, Move `swap_remove`).
    fn remove(&mut self, node_id: ObjectId) -> Result<(), ExecutionFailure>;
    /// The members and their stakes in the set's order (Move `active_ids_and_stake`).
    fn active_ids_and_stake(&self) -> (Vec<ObjectId>, Vec<u64>);
    /// The members in priority order with their stakes.
    fn sorted_nodes_and_stakes(&self) -> (Vec<ObjectId>, Vec<u64>);
    /// The member ids, in storage order.
    fn active_ids(&self) -> Vec<ObjectId>;
    /// The stake of `node_id` in the set (0 if absent).
    fn stake(&self, node_id: ObjectId) -> u64;
    /// Whether `node_id` is a member.
    fn contains(&self, node_id: ObjectId) -> bool;
    /// Number of members.
    fn size(&self) -> usize;
}

impl ActiveSetOps for ActiveSet {
    fn insert_or_update(
        &mut self,
        node_id: ObjectId,
        staked_amount: u64,
    ) -> Result<bool, ExecutionFailure> {
        if staked_amount == 0 || staked_amount < self.threshold_stake {
            self.remove(node_id)?;
            return Ok(false);
        }
        if self.update(node_id, staked_amount)? {
            Ok(true)
        } else {
            insert(self, node_id, staked_amount)
        }
    }

    fn update(&mut self, node_id: ObjectId, staked_amount: u64) -> Result<bool, ExecutionFailure> {
        let Some(i) = self.nodes.iter().position(|e| e.node_id == node_id) else {
            return Ok(false);
        };
        let total = add(ACTIVE_SET, self.total_stake, staked_amount)?;
        self.total_stake = sub(ACTIVE_SET, total, self.nodes[i].staked_amount)?;
        self.nodes[i].staked_amount = staked_amount;
        Ok(true)
    }

    fn remove(&mut self, node_id: ObjectId) -> Result<(), ExecutionFailure> {
        if let Some(i) = self.nodes.iter().position(|e| e.node_id == node_id) {
            let entry = self.nodes.swap_remove(i);
            self.total_stake = sub(ACTIVE_SET, self.total_stake, entry.staked_amount)?;
        }
        Ok(())
    }

    fn active_ids_and_stake(&self) -> (Vec<ObjectId>, Vec<u64>) {
        (
            self.nodes.iter().map(|e| e.node_id).collect(),
            self.nodes.iter().map(|e| e.staked_amount).collect(),
        )
    }

    fn sorted_nodes_and_stakes(&self) -> (Vec<ObjectId>, Vec<u64>) {
        let mut entries = self.nodes.clone();
        entries.sort_by(|a, b| {
            b.staked_amount
                .cmp(&a.staked_amount)
                .then_with(|| a.node_id.as_bytes().cmp(b.node_id.as_bytes()))
        });
        (
            entries.iter().map(|e| e.node_id).collect(),
            entries.iter().map(|e| e.staked_amount).collect(),
        )
    }

    fn active_ids(&self) -> Vec<ObjectId> {
        self.nodes.iter().map(|e| e.node_id).collect()
    }

    fn stake(&self, node_id: ObjectId) -> u64 {
        self.nodes
            .iter()
            .find(|e| e.node_id == node_id)
            .map_or(0, |e| e.staked_amount)
    }

    fn contains(&self, node_id: ObjectId) -> bool {
        self.nodes.iter().any(|e| e.node_id == node_id)
    }

    fn size(&self) -> usize {
        self.nodes.len()
    }
}

/// Adds a node that is not a member (`EDuplicateInsertion`): appended if there is room,
/// else in place of the first member with the smallest stake below `staked_amount`.
fn insert(
    set: &mut ActiveSet,
    node_id: ObjectId,
    staked_amount: u64,
) -> Result<bool, ExecutionFailure> {
    ensure(
        !set.nodes.iter().any(|e| e.node_id == node_id),
        EDuplicateInsertion,
    )?;
    let entry = ActiveSetEntry {
        node_id,
        staked_amount,
    };
    if set.nodes.len() < usize::from(set.max_size) {
        set.total_stake = add(ACTIVE_SET, set.total_stake, staked_amount)?;
        set.nodes.push(entry);
        return Ok(true);
    }
    let mut min: Option<(usize, u64)> = None;
    for (i, e) in set.nodes.iter().enumerate() {
        if e.staked_amount < min.map_or(staked_amount, |(_, m)| m) {
            min = Some((i, e.staked_amount));
        }
    }
    let Some((i, evicted)) = min else {
        return Ok(false);
    };
    set.total_stake = add(
        ACTIVE_SET,
        sub(ACTIVE_SET, set.total_stake, evicted)?,
        staked_amount,
    )?;
    set.nodes[i] = entry;
    Ok(true)
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Move `bls_aggregate::test_node_id(i)`: the address `i + 1`.
    pub(crate) fn test_node_id(i: u64) -> crate::types::ObjectId {
        crate::walrus::to_object_id(test_move_id(i))
    }

    /// [`test_node_id`] as a Move `ID`.
    pub(crate) fn test_move_id(i: u64) -> ObjectId {
        ObjectId::from_u64(i + 1)
    }

    // Mirrors active_set_tests.move::insert_update_remove.
    #[test]
    fn insert_update_remove() {
        let mut set = new_active_set(3, 0).unwrap();
        assert!(set.insert_or_update(test_move_id(0), 10).unwrap());
        assert!(set.insert_or_update(test_move_id(1), 20).unwrap());
        assert_eq!(set.total_stake, 30);
        assert!(set.insert_or_update(test_move_id(0), 15).unwrap());
        assert_eq!(set.stake(test_move_id(0)), 15);
        assert_eq!(set.total_stake, 35);
        assert!(!set.insert_or_update(test_move_id(0), 0).unwrap());
        assert!(!set.contains(test_move_id(0)));
        assert_eq!(set.total_stake, 20);
        assert_eq!(set.size(), 1);
        assert!(!set.insert_or_update(test_move_id(5), 0).unwrap());
        set.remove(test_move_id(1)).unwrap();
        assert_eq!(set.size(), 0);
        assert_eq!(set.max_size, 3);
    }

    // Mirrors active_set_tests.move::full_set_evicts_the_lowest_only_for_more.
    #[test]
    fn full_set_evicts_the_lowest_only_for_more() {
        let mut set = new_active_set(2, 0).unwrap();
        set.insert_or_update(test_move_id(0), 10).unwrap();
        set.insert_or_update(test_move_id(1), 20).unwrap();
        assert!(!set.insert_or_update(test_move_id(2), 10).unwrap());
        assert!(set.insert_or_update(test_move_id(2), 11).unwrap());
        assert!(!set.contains(test_move_id(0)));
        assert_eq!(set.total_stake, 31);
        let mut set = new_active_set(2, 0).unwrap();
        set.insert_or_update(test_move_id(1), 10).unwrap();
        set.insert_or_update(test_move_id(0), 10).unwrap();
        assert!(set.insert_or_update(test_move_id(2), 12).unwrap());
        assert!(!set.contains(test_move_id(1)));
        assert_eq!(set.active_ids(), vec![test_move_id(2), test_move_id(0)]);
    }

    // Mirrors active_set_tests.move::a_leaving_node_is_replaced_by_the_last.
    #[test]
    fn a_leaving_node_is_replaced_by_the_last() {
        let mut set = new_active_set(5, 0).unwrap();
        set.insert_or_update(test_move_id(0), 1).unwrap();
        set.insert_or_update(test_move_id(1), 2).unwrap();
        set.insert_or_update(test_move_id(2), 3).unwrap();
        set.insert_or_update(test_move_id(0), 0).unwrap();
        assert_eq!(set.active_ids(), vec![test_move_id(2), test_move_id(1)]);
        assert_eq!(set.total_stake, 5);
        set.insert_or_update(test_move_id(2), 7).unwrap();
        assert_eq!(set.active_ids(), vec![test_move_id(2), test_move_id(1)]);
        assert_eq!(set.total_stake, 9);
    }

    // Mirrors active_set_tests.move::sorted_by_stake_then_id.
    #[test]
    fn sorted_by_stake_then_id() {
        let mut set = new_active_set(10, 0).unwrap();
        set.insert_or_update(test_move_id(3), 5).unwrap();
        set.insert_or_update(test_move_id(1), 7).unwrap();
        set.insert_or_update(test_move_id(0), 5).unwrap();
        set.insert_or_update(test_move_id(2), 9).unwrap();
        let (ids, stakes) = set.sorted_nodes_and_stakes();
        assert_eq!(
            ids,
            vec![
                test_move_id(2),
                test_move_id(1),
                test_move_id(0),
                test_move_id(3)
            ]
        );
        assert_eq!(stakes, vec![9, 7, 5, 5]);
    }

    // Mirrors active_set_tests.move::zero_max_size_aborts.
    #[test]
    fn zero_max_size_aborts() {
        assert!(EZeroMaxSize.matches(&new_active_set(0, 0).unwrap_err()));
        // Mirrors active_set_tests.move::stake_below_the_threshold_leaves_the_set.
        let mut set = new_active_set(3, 100).unwrap();
        assert!(!set.insert_or_update(test_move_id(0), 99).unwrap());
        assert!(set.insert_or_update(test_move_id(0), 100).unwrap());
        assert_eq!(set.total_stake, 100);
        assert!(!set.insert_or_update(test_move_id(0), 50).unwrap());
        assert!(set.nodes.is_empty());
        assert_eq!(set.total_stake, 0);
    }

    #[test]
    fn id_order_is_byte_order() {
        let mut hi = [0u8; 32];
        hi[0] = 1;
        assert!(id_lt(&test_move_id(u64::MAX - 1), &ObjectId(hi)));
        assert!(id_lt(&test_move_id(1), &test_move_id(2)));
        assert!(!id_lt(&test_move_id(2), &test_move_id(2)));
    }
}
