//! The committee thresholds of Walrus, counted in shards, in one place for every crate: Move's
//! `bls_aggregate::is_quorum` and `bls_aggregate::includes_one_correct_node`, and the quorum
//! weight of `weighted_quantile` (`move/walrus/sources/system/bls_aggregate.move`,
//! `sources/staking/weighted_quantile.move`). With `n` shards and at most `f = (n - 1) / 3`
//! faulty: a quorum is more than two thirds, one correct node is guaranteed by more than a
//! third.

/// `3 * weight >= 2 * n_shards + 1` (Move `bls_aggregate::is_quorum`).
pub fn is_quorum(n_shards: u16, weight: u64) -> bool {
    3 * u128::from(weight) > 2 * u128::from(n_shards)
}

/// `3 * weight >= n_shards + 1` (Move `bls_aggregate::includes_one_correct_node`).
pub fn includes_one_correct_node(n_shards: u16, weight: u64) -> bool {
    3 * u128::from(weight) > u128::from(n_shards)
}

/// The least quorum weight, `2 * n_shards / 3 + 1` (Move `weighted_quantile`).
pub fn quorum_weight(n_shards: u16) -> u64 {
    u64::from(n_shards) * 2 / 3 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_match_move() {
        // n = 10: quorum needs 7 (3·7 = 21 ≥ 21), one correct node 4 (12 ≥ 11).
        assert!(!is_quorum(10, 6));
        assert!(is_quorum(10, 7));
        assert!(!includes_one_correct_node(10, 3));
        assert!(includes_one_correct_node(10, 4));
        // n = 100: 67 and 34; n = 1000: 667 and 334.
        assert!(!is_quorum(100, 66));
        assert!(is_quorum(100, 67));
        assert!(!includes_one_correct_node(100, 33));
        assert!(includes_one_correct_node(100, 34));
        assert!(is_quorum(1000, 667) && !is_quorum(1000, 666));
        assert!(includes_one_correct_node(1000, 334) && !includes_one_correct_node(1000, 333));
        // The quorum weight is the least weight that is a quorum.
        for n in 1..=1000u16 {
            let q = quorum_weight(n);
            assert!(is_quorum(n, q), "n = {n}");
            assert!(!is_quorum(n, q - 1), "n = {n}");
        }
        // No overflow at the extremes.
        assert!(is_quorum(u16::MAX, u64::MAX));
    }
}
