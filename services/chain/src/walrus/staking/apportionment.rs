//! Shard apportionment, mirroring `move/walrus/sources/staking/apportionment.move` (as Walrus
//! mainnet): D'Hondt (Jefferson) highest averages with a per-node cap.
//!
//! 1. `T = Σ s[i]` (positive: the caller checks `ENoStake`).
//! 2. `seats[i] = min(cap, s[i] / (T / (n + 1) + 1))`.
//! 3. While fewer than `n` shards are given: one more to the node below the cap with the
//!    largest `s[i] / (seats[i] + 1)`, a `UQ64_64` rounded down (`(s << 64) / (seats + 1)`),
//!    ties to the node listed first (Move's queue tie-breaker `len - i`); no such node is
//!    `apportionment_queue::EPopFromEmptyHeap`.

use super::errors::apportionment_queue::EPopFromEmptyHeap;
use crate::types::ExecutionFailure;

/// From this many nodes on, the cap is `n / SHARDS_LIMIT_DENOMINATOR`.
pub const MIN_NODES_FOR_SHARDS_LIMIT: u64 = 20;
/// Denominator of the cap with many nodes (10%).
pub const SHARDS_LIMIT_DENOMINATOR: u64 = 10;

/// The per-node shard cap for `n_nodes` (> 0) candidates and `n_shards` shards: `n / 10` with
/// 20 or more nodes, else `ceil(2n / nodes)` (more than `n` for a single node, as mainnet).
pub fn shards_limit(n_shards: u16, n_nodes: u64) -> u16 {
    let n = u64::from(n_shards);
    let limit = if n_nodes >= MIN_NODES_FOR_SHARDS_LIMIT {
        n / SHARDS_LIMIT_DENOMINATOR
    } else {
        // ceil(n * 20 / (n_nodes * 10)) <= 2n for n_nodes >= 1.
        (n * MIN_NODES_FOR_SHARDS_LIMIT).div_ceil(n_nodes.max(1) * SHARDS_LIMIT_DENOMINATOR)
    };
    u16::try_from(limit).unwrap_or(u16::MAX)
}

/// Move `uq64_64::from_quotient(stake, seats + 1)`: the raw fixed-point value.
fn quotient(stake: u64, seats: u64) -> u128 {
    (u128::from(stake) << 64) / (u128::from(seats) + 1)
}

/// Apportions `n_shards` over `stakes` (in the active set's order) with at most `cap` per node.
pub fn dhondt(n_shards: u16, cap: u16, stakes: &[u64]) -> Result<Vec<u16>, ExecutionFailure> {
    let len = stakes.len();
    if len == 0 {
        return Ok(Vec::new());
    }
    let total: u64 = stakes.iter().fold(0u64, |t, s| t.saturating_add(*s));
    let n = u64::from(n_shards);
    let cap = u64::from(cap);
    let divisor = total / (n + 1) + 1;
    let mut seats: Vec<u64> = stakes.iter().map(|s| (s / divisor).min(cap)).collect();
    let mut given: u64 = seats.iter().sum();
    while given != n {
        // The queue's maximum: highest quotient, then the earliest node.
        let best = (0..len)
            .filter(|i| seats[*i] != cap)
            .max_by(|a, b| {
                quotient(stakes[*a], seats[*a])
                    .cmp(&quotient(stakes[*b], seats[*b]))
                    .then(b.cmp(a))
            })
            .ok_or_else(|| EPopFromEmptyHeap.fail())?;
        seats[best] += 1;
        given += 1;
    }
    // Every count is at most `n`, a u16.
    Ok(seats
        .into_iter()
        .map(|s| u16::try_from(s).unwrap_or(u16::MAX))
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // Mirrors apportionment_tests.move::shards_limit_by_node_count.
    #[test]
    fn shards_limit_by_node_count() {
        assert_eq!(shards_limit(1000, 20), 100);
        assert_eq!(shards_limit(1000, 150), 100);
        assert_eq!(shards_limit(1000, 19), 106);
        assert_eq!(shards_limit(1000, 3), 667);
        assert_eq!(shards_limit(1000, 2), 1000);
        assert_eq!(shards_limit(1000, 1), 2000);
        assert_eq!(shards_limit(10, 4), 5);
        assert_eq!(shards_limit(5, 25), 0);
    }

    // Mirrors apportionment_tests.move::proportional_stakes_get_exact_shares.
    #[test]
    fn proportional_stakes_get_exact_shares() {
        assert_eq!(
            dhondt(10, shards_limit(10, 3), &[50, 30, 20]).unwrap(),
            vec![5, 3, 2]
        );
        assert_eq!(
            dhondt(1000, shards_limit(1000, 3), &[5, 3, 2]).unwrap(),
            vec![500, 300, 200]
        );
    }

    // Mirrors apportionment_tests.move::cap_moves_the_surplus_to_the_others.
    #[test]
    fn cap_moves_the_surplus_to_the_others() {
        let seats = dhondt(1000, shards_limit(1000, 3), &[700, 200, 100]).unwrap();
        assert_eq!(seats, vec![667, 222, 111]);
        assert_eq!(seats.iter().map(|s| u64::from(*s)).sum::<u64>(), 1000);
    }

    // Mirrors apportionment_tests.move::whale_with_small_nodes.
    #[test]
    fn whale_with_small_nodes() {
        assert_eq!(
            dhondt(10, shards_limit(10, 5), &[100, 1, 1, 1, 1]).unwrap(),
            vec![4, 2, 2, 1, 1]
        );
    }

    // Mirrors apportionment_tests.move::many_nodes_cap_ten_percent.
    #[test]
    fn many_nodes_cap_ten_percent() {
        let mut stakes = vec![1000];
        stakes.extend(std::iter::repeat_n(10, 24));
        let seats = dhondt(100, shards_limit(100, 25), &stakes).unwrap();
        assert_eq!(seats[0], 10);
        assert_eq!(seats[1], 4);
        assert_eq!(seats[18], 4);
        assert_eq!(seats[19], 3);
        assert_eq!(seats[24], 3);
        assert_eq!(seats.iter().map(|s| u64::from(*s)).sum::<u64>(), 100);
        assert!(seats.iter().all(|s| *s <= 10));
    }

    // Mirrors apportionment_tests.move::{ties_go_to_the_first_listed,
    // small_stake_changes_keep_the_counts, no_candidates_get_nothing,
    // zero_stake_nodes_get_shards_only_after_every_staked_one_is_capped, single_node_takes_all}.
    #[test]
    fn ties_zero_and_single() {
        assert_eq!(
            dhondt(4, shards_limit(4, 3), &[10, 10, 10]).unwrap(),
            vec![2, 1, 1]
        );
        assert_eq!(
            dhondt(10, shards_limit(10, 3), &[1000, 1000, 1000]).unwrap(),
            vec![4, 3, 3]
        );
        assert_eq!(
            dhondt(10, shards_limit(10, 3), &[1001, 1000, 999]).unwrap(),
            vec![4, 3, 3]
        );
        assert_eq!(dhondt(7, 3, &[5, 0, 5]).unwrap(), vec![3, 1, 3]);
        assert_eq!(dhondt(10, 10, &[]).unwrap(), Vec::<u16>::new());
        assert_eq!(
            dhondt(1000, shards_limit(1000, 1), &[1]).unwrap(),
            vec![1000]
        );
    }

    // Mirrors apportionment_tests.move::cap_too_small_aborts.
    #[test]
    fn cap_too_small_aborts() {
        assert!(EPopFromEmptyHeap.matches(&dhondt(10, 3, &[1, 1, 1]).unwrap_err()));
    }
}
