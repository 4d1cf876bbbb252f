//! Shard assignment of a committee, mirroring `move/walrus/sources/staking/committee.move`
//! (as Walrus mainnet): node id -> shard indices, sorted by node id.
//!
//! Transition (minimal movement): without a previous assignment the nodes sorted by id get
//! shards `0..n` in order; otherwise, walking the previous nodes in id order, a leaving node
//! pools all its shards, a shrinking one its last ones (last first), an unchanged one keeps its
//! list and a growing one moves to the end of the new counts; then the nodes left in the new
//! counts, in order, append the shards they lack from the end of the pool. Shard lists keep
//! that order.

use walrus_core::contracts::ObjectId;
pub use walrus_core::contracts::staking::Committee;
use walrus_core::contracts::staking::VecMap;

use super::active_set::id_lt;
use super::errors::{committee::EInvalidShardAssignment, ensure};
use crate::types::ExecutionFailure;

/// `entries` in ascending node-id order (Move's stable insertion sort).
fn sort_by_id<V>(mut entries: Vec<(ObjectId, V)>) -> Vec<(ObjectId, V)> {
    for i in 1..entries.len() {
        let mut j = i;
        while j > 0 && id_lt(&entries[j].0, &entries[j - 1].0) {
            entries.swap(j - 1, j);
            j -= 1;
        }
    }
    entries
}

/// Move `committee::initialize`: the nodes sorted by id get shards `0..n` in order.
pub fn initialize(counts: &[(ObjectId, u16)]) -> Committee {
    let mut next: u16 = 0;
    Committee(
        sort_by_id(counts.to_vec())
            .into_iter()
            .map(|(node_id, count)| {
                let shards: Vec<u16> = (0..count).map(|j| next.wrapping_add(j)).collect();
                next = next.wrapping_add(count);
                (node_id, shards)
            })
            .collect(),
    )
}

/// Move's `committee` functions on `walrus_core`'s [`Committee`] (its `contains`, `shards`
/// and `node_ids` are the core type's own).
pub trait CommitteeOps {
    /// Move `committee::transition`: the next committee for `counts` (in apportionment
    /// order), moving as few shards as possible; `EInvalidShardAssignment` unless the totals
    /// agree.
    fn transition(&self, counts: &[(ObjectId, u16)]) -> Result<Committee, ExecutionFailure>;
    /// The number of shards of `node_id` (0 if absent).
    fn weight(&self, node_id: &ObjectId) -> u16;
    /// Number of members.
    fn size(&self) -> usize;
    /// Whether the committee has no members.
    fn is_empty(&self) -> bool;
    /// Total number of shards.
    fn n_shards(&self) -> u16;
    /// Node id -> number of shards, in the committee's order.
    fn to_counts(&self) -> Vec<(ObjectId, u16)>;
}

fn members(c: &Committee) -> &VecMap<ObjectId, Vec<u16>> {
    &c.0
}

impl CommitteeOps for Committee {
    fn transition(&self, counts: &[(ObjectId, u16)]) -> Result<Committee, ExecutionFailure> {
        let new_total: u64 = counts.iter().map(|(_, c)| u64::from(*c)).sum();
        let mut counts = counts.to_vec();
        let mut result = Vec::with_capacity(counts.len());
        let mut pool = Vec::new();
        let mut old_total: u64 = 0;
        for entry in &members(self).contents {
            let (node_id, old) = (&entry.key, &entry.value);
            old_total += old.len() as u64;
            let assigned = match counts.iter().position(|(n, _)| n == node_id) {
                Some(i) => usize::from(counts.remove(i).1),
                None => 0,
            };
            let held = old.len();
            if assigned == 0 {
                pool.extend_from_slice(old);
            } else if held == assigned {
                result.push((*node_id, old.clone()));
            } else if held > assigned {
                let mut kept = old.clone();
                for _ in assigned..held {
                    // held > assigned, so there is a last shard to give.
                    pool.extend(kept.pop());
                }
                result.push((*node_id, kept));
            } else {
                // Below `held < assigned` <= u16::MAX.
                counts.push((*node_id, u16::try_from(assigned).unwrap_or(u16::MAX)));
            }
        }
        ensure(new_total == old_total, EInvalidShardAssignment)?;
        for (node_id, count) in counts {
            if count == 0 {
                continue;
            }
            let mut shards = self.shards(&node_id).to_vec();
            while shards.len() < usize::from(count) {
                // The totals match, so the pool holds exactly the shards still needed.
                let s = pool.pop().ok_or_else(|| EInvalidShardAssignment.fail())?;
                shards.push(s);
            }
            result.push((node_id, shards));
        }
        Ok(Committee(sort_by_id(result).into_iter().collect()))
    }

    fn weight(&self, node_id: &ObjectId) -> u16 {
        u16::try_from(self.shards(node_id).len()).unwrap_or(u16::MAX)
    }

    fn size(&self) -> usize {
        members(self).contents.len()
    }

    fn is_empty(&self) -> bool {
        members(self).contents.is_empty()
    }

    fn n_shards(&self) -> u16 {
        let total: usize = members(self).contents.iter().map(|e| e.value.len()).sum();
        u16::try_from(total).unwrap_or(u16::MAX)
    }

    fn to_counts(&self) -> Vec<(ObjectId, u16)> {
        members(self)
            .contents
            .iter()
            .map(|e| (e.key, u16::try_from(e.value.len()).unwrap_or(u16::MAX)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::active_set::tests::test_move_id as test_node_id;
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
        let id = test_node_id(i);
        assert!(c.contains(&id));
        c.shards(&id).to_vec()
    }

    fn moved(a: &Committee, b: &Committee) -> usize {
        b.0.contents
            .iter()
            .map(|e| {
                e.value
                    .iter()
                    .filter(|x| !a.shards(&e.key).contains(x))
                    .count()
            })
            .sum()
    }

    // Mirrors committee_tests.move::first_committee_assigns_in_order.
    #[test]
    fn first_committee_assigns_in_order() {
        let c = initialize(&counts(&[3, 2]));
        assert_eq!(shards(&c, 0), vec![0, 1, 2]);
        assert_eq!(shards(&c, 1), vec![3, 4]);
        assert_eq!(c.n_shards(), 5);
        assert_eq!(c.size(), 2);
        assert_eq!(c.weight(&test_node_id(1)), 2);
        assert_eq!(c.weight(&test_node_id(7)), 0);
        assert!(!c.contains(&test_node_id(7)));
        assert_eq!(c.to_counts(), counts(&[3, 2]));
    }

    // Mirrors committee_tests.move::{the_first_committee_goes_in_id_order,
    // same_counts_move_nothing}.
    #[test]
    fn first_committee_in_id_order_and_same_counts() {
        let c = initialize(&[(test_node_id(1), 1), (test_node_id(0), 2)]);
        assert_eq!(c.node_ids(), vec![test_node_id(0), test_node_id(1)]);
        assert_eq!(shards(&c, 0), vec![0, 1]);
        assert_eq!(shards(&c, 1), vec![2]);
        let a = initialize(&counts(&[3, 2]));
        assert_eq!(a.transition(&counts(&[3, 2])).unwrap(), a);
    }

    // Mirrors committee_tests.move::growing_node_takes_released_shards.
    #[test]
    fn growing_node_takes_released_shards() {
        let a = initialize(&counts(&[3, 2]));
        let b = a.transition(&counts(&[2, 3])).unwrap();
        assert_eq!(shards(&b, 0), vec![0, 1]);
        assert_eq!(shards(&b, 1), vec![3, 4, 2]);
        assert_eq!(moved(&a, &b), 1);
    }

    // Mirrors committee_tests.move::leaving_node_hands_shards_to_new_node.
    #[test]
    fn leaving_node_hands_shards_to_new_node() {
        let a = initialize(&counts(&[3, 2]));
        let b = a.transition(&counts(&[0, 2, 3])).unwrap();
        assert!(!b.contains(&test_node_id(0)));
        assert_eq!(shards(&b, 1), vec![3, 4]);
        assert_eq!(shards(&b, 2), vec![2, 1, 0]);
        assert_eq!(moved(&a, &b), 3);
    }

    // Mirrors committee_tests.move::released_shards_pooled_in_node_order:
    // 4/3/3 -> 2/2/3/3, the new node takes 6, 2, 3 (the pool's end first).
    #[test]
    fn released_shards_pooled_in_node_order() {
        let a = initialize(&counts(&[4, 3, 3]));
        let b = a.transition(&counts(&[2, 2, 3, 3])).unwrap();
        assert_eq!(shards(&b, 0), vec![0, 1]);
        assert_eq!(shards(&b, 1), vec![4, 5]);
        assert_eq!(shards(&b, 2), vec![7, 8, 9]);
        assert_eq!(shards(&b, 3), vec![6, 2, 3]);
        assert_eq!(moved(&a, &b), 3);
    }

    // Mirrors committee_tests.move::barely_changed_stakes_move_minimal_shards.
    #[test]
    fn barely_changed_stakes_move_minimal_shards() {
        let n = 10;
        let limit = shards_limit(n, 3);
        let first = dhondt(n, limit, &[1000, 1000, 1000]).unwrap();
        let a = initialize(&counts(&first));
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

    // Mirrors committee_tests.move::transition_with_other_total_aborts.
    #[test]
    fn transition_with_other_total_aborts() {
        let a = initialize(&counts(&[3, 2]));
        assert!(EInvalidShardAssignment.matches(&a.transition(&counts(&[3, 3])).unwrap_err()));
    }

    #[test]
    fn bcs_layout_is_a_vec_map() {
        let c = initialize(&counts(&[2]));
        let bytes = bcs::to_bytes(&c).unwrap();
        // len 1, id (32 bytes), vector<u16> [0, 1].
        assert_eq!(bytes.len(), 1 + 32 + 1 + 4);
        assert_eq!(&bytes[33..], &[2, 0, 0, 1, 0]);
    }
}
