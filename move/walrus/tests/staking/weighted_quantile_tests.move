#[test_only]
module walrus::weighted_quantile_tests;

use std::unit_test::assert_eq;
use walrus::weighted_quantile::{quorum_above, quorum_below, quorum_weight};

#[test]
fun quorum_weights() {
    assert_eq!(quorum_weight(1000), 667);
    assert_eq!(quorum_weight(10), 7);
    assert_eq!(quorum_weight(5), 4);
    assert_eq!(quorum_weight(4), 3);
    assert_eq!(quorum_weight(1), 1);
}

#[test]
fun prices_below_quorum() {
    // n = 10, quorum 7. Ascending: (1,w3) (3,w4) (5,w3): 3, 7 -> 3.
    assert_eq!(quorum_below(vector[5, 1, 3], vector[3, 3, 4], 10), 3);
    // Ascending weights 4,3,2,1 over 100..400: 4, 7 -> 200.
    assert_eq!(quorum_below(vector[100, 200, 300, 400], vector[4, 3, 2, 1], 10), 200);
    // A heavy high voter: 1, 2, 3, 10 -> 400.
    assert_eq!(quorum_below(vector[100, 200, 300, 400], vector[1, 1, 1, 7], 10), 400);
}

#[test]
fun capacity_above_quorum() {
    // Descending: (5,w3) (3,w4): 3, 7 -> 3.
    assert_eq!(quorum_above(vector[5, 1, 3], vector[3, 3, 4], 10), 3);
    // Descending (400,w1) (300,w2) (200,w3) (100,w4): 1, 3, 6, 10 -> 100.
    assert_eq!(quorum_above(vector[100, 200, 300, 400], vector[4, 3, 2, 1], 10), 100);
    assert_eq!(quorum_above(vector[100, 200, 300, 400], vector[1, 1, 1, 7], 10), 400);
}

#[test]
fun thousand_shards() {
    // 666 shards vote 10, 334 vote 20: below = 20 (666 < 667), above = 10.
    assert_eq!(quorum_below(vector[10, 20], vector[666, 334], 1000), 20);
    assert_eq!(quorum_above(vector[10, 20], vector[666, 334], 1000), 10);
    // 667 vote 10: below = 10.
    assert_eq!(quorum_below(vector[10, 20], vector[667, 333], 1000), 10);
}

#[test]
fun no_quorum_defaults() {
    assert_eq!(quorum_below(vector[], vector[], 10), std::u64::max_value!());
    assert_eq!(quorum_above(vector[], vector[], 10), 0);
    assert_eq!(quorum_below(vector[1], vector[6], 10), std::u64::max_value!());
}

#[test, expected_failure(abort_code = walrus::weighted_quantile::ELengthMismatch)]
fun length_mismatch_aborts() {
    quorum_below(vector[1, 2], vector[1], 10);
}
