#[test_only]
module walrus::pool_exchange_rate_tests;

use std::unit_test::assert_eq;
use walrus::pool_exchange_rate;

#[test]
fun flat_is_one_to_one() {
    let rate = pool_exchange_rate::flat();
    assert!(rate.is_flat());
    assert_eq!(rate.convert_to_wal_amount(123), 123);
    assert_eq!(rate.convert_to_share_amount(123), 123);
    let (w, s) = rate.amounts();
    assert_eq!(w, 0);
    assert_eq!(s, 0);
    // No shares, or nothing at all, is flat.
    assert!(pool_exchange_rate::new(5, 0).is_flat());
    assert!(pool_exchange_rate::new(0, 0).is_flat());
}

#[test]
fun variable_rounds_down() {
    // 1_500 FROST for 1_000 shares.
    let rate = pool_exchange_rate::new(1_500, 1_000);
    assert!(!rate.is_flat());
    let (w, s) = rate.amounts();
    assert_eq!(w, 1_500);
    assert_eq!(s, 1_000);
    // 7 shares -> 7 * 1500 / 1000 = 10.5 -> 10.
    assert_eq!(rate.convert_to_wal_amount(7), 10);
    // 10 FROST -> 10 * 1000 / 1500 = 6.66 -> 6.
    assert_eq!(rate.convert_to_share_amount(10), 6);
    // Large values do not overflow (u128 intermediate).
    let big = pool_exchange_rate::new(18_000_000_000_000_000_000, 9_000_000_000_000_000_000);
    assert_eq!(big.convert_to_wal_amount(9_000_000_000_000_000_000), 18_000_000_000_000_000_000);
}

#[test, expected_failure(abort_code = pool_exchange_rate::EInvalidRate)]
fun more_shares_than_wal_aborts() {
    pool_exchange_rate::new(4, 5);
}
