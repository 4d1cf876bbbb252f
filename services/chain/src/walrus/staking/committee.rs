//! Shard assignment of a committee, mirroring `move/walrus/sources/staking/committee.move`:
//! node id -> shard indices, sorted by node id, each node's shards ascending.
//!
//! Transition (minimal movement): without a previous assignment shards `0..n` are handed out
//! in node-id order; otherwise every node keeps its `min(new, old)` lowest shards, the other
//! shards of shrinking or leaving nodes are pooled (previous nodes in id order, each node's
//! released shards ascending) and growing or new nodes, in id order, take from the front of
//! that pool.

use serde::{Deserialize, Serialize};

use super::active_set::id_lt;
use super::errors::{
    committee::{EInvalidShardAssignment, EUnsortedNodeIds},
    ensure,
};
use crate::types::{ExecutionFailure, ObjectId};

/// Node id -> shards (Move `Committee(VecMap<ID, vector<u16>>)`; same BCS).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Committee(pub Vec<(ObjectId, Vec<u16>)>);

fn check_sorted(counts: &[(ObjectId, u16)]) -> Result<(), ExecutionFailure> {
    for w in counts.windows(2) {
        ensure(id_lt(&w[0].0, &w[1].0), EUnsortedNodeIds)?;
    }
    Ok(())
}

impl Committee {
    /// The empty committee.
    pub fn empty() -> Self {
        Self(Vec::new())
    }

    /// The first committee: shards handed out in order (ids ascending).
    pub fn initialize(counts: &[(ObjectId, u16)]) -> Result<Self, ExecutionFailure> {
        check_sorted(counts)?;
        let mut next: u16 = 0;
        let mut result = Vec::with_capacity(counts.len());
        for (node_id, count) in counts {
            let shards: Vec<u16> = (0..*count).map(|j| next.wrapping_add(j)).collect();
            next = next.wrapping_add(*count);
            result.push((*node_id, shards));
        }
        Ok(Self(result))
    }

    /// The next committee for `counts` (ids ascending), moving as few shards as possible.
    pub fn transition(&self, counts: &[(ObjectId, u16)]) -> Result<Self, ExecutionFailure> {
        if self.0.is_empty() {
            return Self::initialize(counts);
        }
        check_sorted(counts)?;
        let total: u64 = counts.iter().map(|(_, c)| u64::from(*c)).sum();
        ensure(total == u64::from(self.n_shards()), EInvalidShardAssignment)?;
        let new_count = |id: &ObjectId| counts.iter().find(|(n, _)| n == id).map(|(_, c)| *c);

        let mut released = Vec::new();
        for (node_id, shards) in &self.0 {
            let keep = new_count(node_id).map_or(0, |c| usize::from(c).min(shards.len()));
            released.extend_from_slice(&shards[keep..]);
        }
        let mut cursor = 0;
        let mut result = Vec::with_capacity(counts.len());
        for (node_id, count) in counts {
            let count = usize::from(*count);
            let mut shards: Vec<u16> = match self.shards(node_id) {
                Some(old) => old[..count.min(old.len())].to_vec(),
                None => Vec::new(),
            };
            while shards.len() < count {
                // The totals match, so the pool holds exactly the shards still needed.
                let Some(s) = released.get(cursor) else {
                    return Err(EInvalidShardAssignment.fail());
                };
                shards.push(*s);
                cursor += 1;
            }
            shards.sort_unstable();
            result.push((*node_id, shards));
        }
        Ok(Self(result))
    }

    /// Node id -> count for the nodes with a positive count, sorted by node id.
    pub fn sorted_counts(ids: &[ObjectId], counts: &[u16]) -> Vec<(ObjectId, u16)> {
        let mut pairs: Vec<(ObjectId, u16)> = ids
            .iter()
            .zip(counts)
            .filter(|(_, c)| **c > 0)
            .map(|(id, c)| (*id, *c))
            .collect();
        pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        pairs
    }

    /// The shards of `node_id`, if a member.
    pub fn shards(&self, node_id: &ObjectId) -> Option<&Vec<u16>> {
        self.0.iter().find(|(n, _)| n == node_id).map(|(_, s)| s)
    }

    /// The number of shards of `node_id` (0 if absent).
    pub fn weight(&self, node_id: &ObjectId) -> u16 {
        self.shards(node_id)
            .map_or(0, |s| u16::try_from(s.len()).unwrap_or(u16::MAX))
    }

    /// Whether `node_id` is a member.
    pub fn contains(&self, node_id: &ObjectId) -> bool {
        self.0.iter().any(|(n, _)| n == node_id)
    }

    /// Number of members.
    pub fn size(&self) -> usize {
        self.0.len()
    }

    /// Whether the committee has no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Total number of shards.
    pub fn n_shards(&self) -> u16 {
        let total: usize = self.0.iter().map(|(_, s)| s.len()).sum();
        u16::try_from(total).unwrap_or(u16::MAX)
    }

    /// The member ids, ascending.
    pub fn node_ids(&self) -> Vec<ObjectId> {
        self.0.iter().map(|(n, _)| *n).collect()
    }

    /// Node id -> number of shards.
    pub fn to_counts(&self) -> Vec<(ObjectId, u16)> {
        self.0
            .iter()
            .map(|(n, s)| (*n, u16::try_from(s.len()).unwrap_or(u16::MAX)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::active_set::tests::test_node_id;
    use super::super::apportionment::{dhondt, shards_limit};
    use super::*;

    fn counts(weights: &[u16]) -> Vec<(ObjectId, u16)> {
        weights
            .iter()
            .enumerate()
            .filter(|(_, w)| **w > 0)
            .map(|(i, w)| (test_node_id(i as u64), *w))
            .collect()
    }

    fn shards(c: &Committee, i: u64) -> Vec<u16> {
        c.shards(&test_node_id(i)).unwrap().clone()
    }

    fn moved(a: &Committee, b: &Committee) -> usize {
        b.0.iter()
            .map(|(id, s)| {
                s.iter()
                    .filter(|x| a.shards(id).is_none_or(|old| !old.contains(x)))
                    .count()
            })
            .sum()
    }

    // Mirrors committee_tests.move::first_committee_assigns_in_order.
    #[test]
    fn first_committee_assigns_in_order() {
        let c = Committee::initialize(&counts(&[3, 2])).unwrap();
        assert_eq!(shards(&c, 0), vec![0, 1, 2]);
        assert_eq!(shards(&c, 1), vec![3, 4]);
        assert_eq!(c.n_shards(), 5);
        assert_eq!(c.size(), 2);
        assert_eq!(c.weight(&test_node_id(1)), 2);
        assert_eq!(c.weight(&test_node_id(7)), 0);
        assert!(!c.contains(&test_node_id(7)));
        assert_eq!(c.to_counts(), counts(&[3, 2]));
    }

    // Mirrors committee_tests.move::{transition_from_empty_initializes, same_counts_move_nothing}.
    #[test]
    fn transition_from_empty_and_same_counts() {
        let c = Committee::empty().transition(&counts(&[1, 1])).unwrap();
        assert_eq!(shards(&c, 0), vec![0]);
        assert_eq!(shards(&c, 1), vec![1]);
        let a = Committee::initialize(&counts(&[3, 2])).unwrap();
        assert_eq!(a.transition(&counts(&[3, 2])).unwrap(), a);
    }

    // Mirrors committee_tests.move::growing_node_takes_released_shards.
    #[test]
    fn growing_node_takes_released_shards() {
        let a = Committee::initialize(&counts(&[3, 2])).unwrap();
        let b = a.transition(&counts(&[2, 3])).unwrap();
        assert_eq!(shards(&b, 0), vec![0, 1]);
        assert_eq!(shards(&b, 1), vec![2, 3, 4]);
        assert_eq!(moved(&a, &b), 1);
    }

    // Mirrors committee_tests.move::leaving_node_hands_shards_to_new_node.
    #[test]
    fn leaving_node_hands_shards_to_new_node() {
        let a = Committee::initialize(&counts(&[3, 2])).unwrap();
        let b = a.transition(&counts(&[0, 2, 3])).unwrap();
        assert!(!b.contains(&test_node_id(0)));
        assert_eq!(shards(&b, 1), vec![3, 4]);
        assert_eq!(shards(&b, 2), vec![0, 1, 2]);
        assert_eq!(moved(&a, &b), 3);
    }

    // Mirrors committee_tests.move::released_shards_pooled_in_node_order:
    // 4/3/3 -> 2/2/3/3, the new node takes {2, 3, 6}.
    #[test]
    fn released_shards_pooled_in_node_order() {
        let a = Committee::initialize(&counts(&[4, 3, 3])).unwrap();
        let b = a.transition(&counts(&[2, 2, 3, 3])).unwrap();
        assert_eq!(shards(&b, 0), vec![0, 1]);
        assert_eq!(shards(&b, 1), vec![4, 5]);
        assert_eq!(shards(&b, 2), vec![7, 8, 9]);
        assert_eq!(shards(&b, 3), vec![2, 3, 6]);
        assert_eq!(moved(&a, &b), 3);
    }

    // Mirrors committee_tests.move::barely_changed_stakes_move_minimal_shards.
    #[test]
    fn barely_changed_stakes_move_minimal_shards() {
        let n = 10;
        let limit = shards_limit(n, 3);
        let first = dhondt(n, limit, &[1000, 1000, 1000]).unwrap();
        let a = Committee::initialize(&counts(&first)).unwrap();
        let second = dhondt(n, limit, &[1001, 1000, 999]).unwrap();
        let b = a.transition(&counts(&second)).unwrap();
        assert_eq!(moved(&a, &b), 0);
        let third = dhondt(n, limit, &[1300, 1000, 700]).unwrap();
        assert_eq!(third, vec![5, 3, 2]);
        let c = b.transition(&counts(&third)).unwrap();
        assert_eq!(moved(&b, &c), 1);
        assert_eq!(shards(&c, 0), vec![0, 1, 2, 3, 9]);
        assert_eq!(shards(&c, 2), vec![7, 8]);
    }

    // Mirrors committee_tests.move::{sorted_counts_drops_zero_and_sorts,
    // transition_with_other_total_aborts, unsorted_counts_abort}.
    #[test]
    fn sorted_counts_and_aborts() {
        let m = Committee::sorted_counts(
            &[test_node_id(2), test_node_id(0), test_node_id(1)],
            &[3, 0, 2],
        );
        assert_eq!(m, vec![(test_node_id(1), 2), (test_node_id(2), 3)]);
        let a = Committee::initialize(&counts(&[3, 2])).unwrap();
        assert!(EInvalidShardAssignment.matches(&a.transition(&counts(&[3, 3])).unwrap_err()));
        let unsorted = vec![(test_node_id(1), 1), (test_node_id(0), 1)];
        assert!(EUnsortedNodeIds.matches(&Committee::initialize(&unsorted).unwrap_err()));
    }

    #[test]
    fn bcs_layout_is_a_vec_map() {
        let c = Committee::initialize(&counts(&[2])).unwrap();
        let bytes = bcs::to_bytes(&c).unwrap();
        // len 1, id (32 bytes), vector<u16> [0, 1].
        assert_eq!(bytes.len(), 1 + 32 + 1 + 4);
        assert_eq!(&bytes[33..], &[2, 0, 0, 1, 0]);
    }
}
