//! Shard apportionment, mirroring `move/walrus/sources/staking/apportionment.move`: D'Hondt
//! (Jefferson) highest averages with a per-node cap, in integers only.
//!
//! 1. `T = Σ s[i]`; if `T = 0` every node gets 0.
//! 2. `seats[i] = min(cap, s[i] * n / T)`.
//! 3. While fewer than `n` shards are given: one more to the node with the largest
//!    `s[i] / (seats[i] + 1)` among nodes with `seats[i] < cap` and `s[i] > 0`, compared by
//!    cross-multiplication; ties to the node listed first.

use super::errors::{apportionment::ECapTooSmall, ensure};
use crate::types::ExecutionFailure;

/// From this many nodes on, the cap is `n / SHARDS_LIMIT_DENOMINATOR`.
pub const MIN_NODES_FOR_SHARDS_LIMIT: u64 = 20;
/// Denominator of the cap with many nodes (10%).
pub const SHARDS_LIMIT_DENOMINATOR: u64 = 10;

/// The per-node shard cap for `n_nodes` candidates and `n_shards` shards.
pub fn shards_limit(n_shards: u16, n_nodes: u64) -> u16 {
    let n = u64::from(n_shards);
    if n_nodes == 0 {
        return n_shards;
    }
    let limit = if n_nodes >= MIN_NODES_FOR_SHARDS_LIMIT {
        (n / SHARDS_LIMIT_DENOMINATOR).max(1)
    } else {
        // ceil(n * 20 / (n_nodes * 10)); n_nodes < 20, so nothing overflows.
        (n * MIN_NODES_FOR_SHARDS_LIMIT).div_ceil(n_nodes * SHARDS_LIMIT_DENOMINATOR)
    };
    // `limit.min(n)` fits a u16 because n does.
    u16::try_from(limit.min(n)).unwrap_or(n_shards)
}

/// Whether `s_a / (seats_a + 1) > s_b / (seats_b + 1)`, exactly.
fn quotient_gt(s_a: u64, seats_a: u16, s_b: u64, seats_b: u16) -> bool {
    u128::from(s_a) * (u128::from(seats_b) + 1) > u128::from(s_b) * (u128::from(seats_a) + 1)
}

/// Apportions `n_shards` over `stakes` (in priority order) with at most `cap` per node.
pub fn dhondt(n_shards: u16, cap: u16, stakes: &[u64]) -> Result<Vec<u16>, ExecutionFailure> {
    let len = stakes.len();
    let total: u128 = stakes.iter().map(|s| u128::from(*s)).sum();
    if total == 0 {
        return Ok(vec![0; len]);
    }
    let n = u128::from(n_shards);
    let mut seats: Vec<u16> = stakes
        .iter()
        .map(|s| {
            let initial = u128::from(*s) * n / total;
            // <= cap, which is a u16.
            u16::try_from(initial.min(u128::from(cap))).unwrap_or(cap)
        })
        .collect();
    let mut given: u64 = seats.iter().map(|s| u64::from(*s)).sum();
    while given < u64::from(n_shards) {
        let mut best = len;
        for i in 0..len {
            if seats[i] < cap
                && stakes[i] > 0
                && (best == len || quotient_gt(stakes[i], seats[i], stakes[best], seats[best]))
            {
                best = i;
            }
        }
        ensure(best < len, ECapTooSmall)?;
        seats[best] += 1;
        given += 1;
    }
    Ok(seats)
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
        assert_eq!(shards_limit(1000, 1), 1000);
        assert_eq!(shards_limit(10, 4), 5);
        assert_eq!(shards_limit(5, 25), 1);
        assert_eq!(shards_limit(10, 0), 10);
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
    // small_stake_changes_keep_the_counts, zero_total_gives_nothing, single_node_takes_all}.
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
        assert_eq!(dhondt(10, 10, &[0, 0]).unwrap(), vec![0, 0]);
        assert_eq!(dhondt(10, 10, &[]).unwrap(), Vec::<u16>::new());
        assert_eq!(
            dhondt(1000, shards_limit(1000, 1), &[1]).unwrap(),
            vec![1000]
        );
    }

    // Mirrors apportionment_tests.move::cap_too_small_aborts.
    #[test]
    fn cap_too_small_aborts() {
        assert!(ECapTooSmall.matches(&dhondt(10, 3, &[1, 1, 1]).unwrap_err()));
    }
}
