//! Vote aggregation, mirroring `move/walrus/sources/staking/weighted_quantile.move`: weighted
//! quantiles at the quorum weight `q = 2n / 3 + 1`.
//!
//! - `quorum_below` (prices): the smallest value `p` whose votes `<= p` weigh at least `q`
//!   (`u64::MAX` if the votes never reach `q`);
//! - `quorum_above` (capacity): the largest value `c` whose votes `>= c` weigh at least `q`
//!   (0 if never reached).

use super::errors::{ensure, weighted_quantile::ELengthMismatch};
use crate::types::ExecutionFailure;

pub use walrus_core::quorum::quorum_weight;

fn sorted(
    values: &[u64],
    weights: &[u16],
    ascending: bool,
) -> Result<Vec<(u64, u16)>, ExecutionFailure> {
    ensure(values.len() == weights.len(), ELengthMismatch)?;
    let mut votes: Vec<(u64, u16)> = values
        .iter()
        .copied()
        .zip(weights.iter().copied())
        .collect();
    // Stable, as Move's insertion sort; the result only depends on the values anyway.
    if ascending {
        votes.sort_by_key(|v| v.0);
    } else {
        votes.sort_by_key(|v| std::cmp::Reverse(v.0));
    }
    Ok(votes)
}

fn first_reaching(votes: &[(u64, u16)], threshold: u64, default: u64) -> u64 {
    let mut sum = 0u64;
    for (value, weight) in votes {
        sum += u64::from(*weight);
        if sum >= threshold {
            return *value;
        }
    }
    default
}

/// The smallest value that votes of at least quorum weight are at or below.
pub fn quorum_below(
    values: &[u64],
    weights: &[u16],
    n_shards: u16,
) -> Result<u64, ExecutionFailure> {
    let votes = sorted(values, weights, true)?;
    Ok(first_reaching(&votes, quorum_weight(n_shards), u64::MAX))
}

/// The largest value that votes of at least quorum weight are at or above.
pub fn quorum_above(
    values: &[u64],
    weights: &[u16],
    n_shards: u16,
) -> Result<u64, ExecutionFailure> {
    let votes = sorted(values, weights, false)?;
    Ok(first_reaching(&votes, quorum_weight(n_shards), 0))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // Mirrors weighted_quantile_tests.move::quorum_weights.
    #[test]
    fn quorum_weights() {
        assert_eq!(quorum_weight(1000), 667);
        assert_eq!(quorum_weight(10), 7);
        assert_eq!(quorum_weight(5), 4);
        assert_eq!(quorum_weight(4), 3);
        assert_eq!(quorum_weight(1), 1);
    }

    // Mirrors weighted_quantile_tests.move::prices_below_quorum.
    #[test]
    fn prices_below_quorum() {
        assert_eq!(quorum_below(&[5, 1, 3], &[3, 3, 4], 10).unwrap(), 3);
        assert_eq!(
            quorum_below(&[100, 200, 300, 400], &[4, 3, 2, 1], 10).unwrap(),
            200
        );
        assert_eq!(
            quorum_below(&[100, 200, 300, 400], &[1, 1, 1, 7], 10).unwrap(),
            400
        );
    }

    // Mirrors weighted_quantile_tests.move::capacity_above_quorum.
    #[test]
    fn capacity_above_quorum() {
        assert_eq!(quorum_above(&[5, 1, 3], &[3, 3, 4], 10).unwrap(), 3);
        assert_eq!(
            quorum_above(&[100, 200, 300, 400], &[4, 3, 2, 1], 10).unwrap(),
            100
        );
        assert_eq!(
            quorum_above(&[100, 200, 300, 400], &[1, 1, 1, 7], 10).unwrap(),
            400
        );
        // staking_epoch_tests.move::prices_and_capacity_follow_weighted_quantiles: capacity
        // votes 1000 * 10 / shards for shards 4/3/2/1 -> 2500.
        assert_eq!(
            quorum_above(&[2500, 3333, 5000, 10000], &[4, 3, 2, 1], 10).unwrap(),
            2500
        );
    }

    // Mirrors weighted_quantile_tests.move::{thousand_shards, no_quorum_defaults,
    // length_mismatch_aborts}.
    #[test]
    fn thousand_shards_defaults_and_mismatch() {
        assert_eq!(quorum_below(&[10, 20], &[666, 334], 1000).unwrap(), 20);
        assert_eq!(quorum_above(&[10, 20], &[666, 334], 1000).unwrap(), 10);
        assert_eq!(quorum_below(&[10, 20], &[667, 333], 1000).unwrap(), 10);
        assert_eq!(quorum_below(&[], &[], 10).unwrap(), u64::MAX);
        assert_eq!(quorum_above(&[], &[], 10).unwrap(), 0);
        assert_eq!(quorum_below(&[1], &[6], 10).unwrap(), u64::MAX);
        assert!(ELengthMismatch.matches(&quorum_below(&[1, 2], &[1], 10).unwrap_err()));
    }
}
