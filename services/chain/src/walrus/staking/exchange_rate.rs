//! The exchange rate between WAL and a pool's shares, mirroring
//! `move/walrus/sources/staking/pool_exchange_rate.move` (integer arithmetic, rounding down).
//!
//! - `to_shares(wal) = wal * share_amount / wal_amount`
//! - `to_wal(shares) = shares * wal_amount / share_amount`
//!
//! A rate with a zero WAL or share amount is `Flat` (1 share = 1 FROST); more shares than WAL
//! is refused (`EInvalidRate`). The type is `walrus_core`'s twin; this module adds Move's checks
//! and aborts.

pub use walrus_core::contracts::staking::PoolExchangeRate;

use super::errors::{
    ensure, pool_exchange_rate::EInvalidRate, pool_exchange_rate::MODULE as EXCHANGE_RATE,
};
use crate::types::ExecutionFailure;

/// Move `pool_exchange_rate::new`: the rate of `wal_amount` FROST split into `share_amount`
/// shares (`EInvalidRate` if there are more shares than FROST); `Flat` if either is 0.
pub fn new(wal_amount: u64, share_amount: u64) -> Result<PoolExchangeRate, ExecutionFailure> {
    ensure(share_amount <= wal_amount, EInvalidRate)?;
    Ok(PoolExchangeRate::new(wal_amount, share_amount))
}

/// The conversions of `walrus_core`'s [`PoolExchangeRate`] with Move's abort: a result that
/// overflows a u64 aborts in `pool_exchange_rate` with an arithmetic error.
pub trait Convert {
    /// Move `convert_to_wal_amount`: the WAL value of `shares`, rounded down.
    fn to_wal_amount(&self, shares: u64) -> Result<u64, ExecutionFailure>;
    /// Move `convert_to_share_amount`: the shares `wal` FROST buy, rounded down.
    fn to_share_amount(&self, wal: u64) -> Result<u64, ExecutionFailure>;
}

impl Convert for PoolExchangeRate {
    fn to_wal_amount(&self, shares: u64) -> Result<u64, ExecutionFailure> {
        self.convert_to_wal_amount(shares)
            .ok_or_else(|| crate::walrus::errors::arithmetic(EXCHANGE_RATE))
    }

    fn to_share_amount(&self, wal: u64) -> Result<u64, ExecutionFailure> {
        self.convert_to_share_amount(wal)
            .ok_or_else(|| crate::walrus::errors::arithmetic(EXCHANGE_RATE))
    }
}

/// Move `staking_pool::calculate_rewards` given the two rates (overflow aborts in
/// `pool_exchange_rate`, as Move's conversions do).
pub fn calculate_rewards(
    activation_rate: &PoolExchangeRate,
    withdraw_rate: &PoolExchangeRate,
    principal: u64,
) -> Result<u64, ExecutionFailure> {
    walrus_core::contracts::staking::calculate_rewards(activation_rate, withdraw_rate, principal)
        .ok_or_else(|| crate::walrus::errors::arithmetic(EXCHANGE_RATE))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // Mirrors exchange_rate_tests.move::flat_is_one_to_one.
    #[test]
    fn flat_is_one_to_one() {
        let rate = PoolExchangeRate::Flat;
        assert_eq!(rate.to_wal_amount(123).unwrap(), 123);
        assert_eq!(rate.to_share_amount(123).unwrap(), 123);
        assert_eq!(new(0, 0).unwrap(), PoolExchangeRate::Flat);
        assert_eq!(new(5, 0).unwrap(), PoolExchangeRate::Flat);
        assert!(EInvalidRate.matches(&new(4, 5).unwrap_err()));
    }

    // Mirrors exchange_rate_tests.move::variable_rounds_down.
    #[test]
    fn variable_rounds_down() {
        let rate = new(1_500, 1_000).unwrap();
        assert_eq!(
            rate,
            PoolExchangeRate::Variable {
                wal_amount: 1_500,
                share_amount: 1_000
            }
        );
        assert_eq!(rate.to_wal_amount(7).unwrap(), 10);
        assert_eq!(rate.to_share_amount(10).unwrap(), 6);
        let big = new(18_000_000_000_000_000_000, 9_000_000_000_000_000_000).unwrap();
        assert_eq!(
            big.to_wal_amount(9_000_000_000_000_000_000).unwrap(),
            18_000_000_000_000_000_000
        );
        // A result above u64::MAX aborts, as `as u64` does in Move, in `pool_exchange_rate`.
        let steep = new(u64::MAX, 1).unwrap();
        let abort = steep.to_wal_amount(2).unwrap_err();
        assert_eq!(abort.code, crate::walrus::errors::ARITHMETIC_ERROR);
        assert_eq!(abort.module, EXCHANGE_RATE);
        let abort = calculate_rewards(&PoolExchangeRate::Flat, &steep, 2).unwrap_err();
        assert_eq!(abort.module, EXCHANGE_RATE);
    }

    #[test]
    fn bcs_layout_is_moves() {
        assert_eq!(bcs::to_bytes(&PoolExchangeRate::Flat).unwrap(), vec![0]);
        let v = bcs::to_bytes(&new(2, 1).unwrap()).unwrap();
        assert_eq!(v.len(), 33);
        assert_eq!(v[0], 1);
        assert_eq!(v[1], 2);
        assert_eq!(v[17], 1);
    }
}
