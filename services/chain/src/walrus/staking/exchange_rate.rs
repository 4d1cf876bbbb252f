//! The exchange rate between WAL and a pool's shares, mirroring
//! `move/walrus/sources/staking/pool_exchange_rate.move` (integer arithmetic, rounding down).
//!
//! - `to_shares(wal) = wal * share_amount / wal_amount`
//! - `to_wal(shares) = shares * wal_amount / share_amount`
//!
//! A rate with a zero WAL or share amount is `Flat` (1 share = 1 FROST); more shares than WAL
//! is refused (`EInvalidRate`).

use serde::{Deserialize, Serialize};

use super::errors::{
    ensure, pool_exchange_rate::EInvalidRate, pool_exchange_rate::MODULE as EXCHANGE_RATE, to_u64,
};
use crate::types::ExecutionFailure;

/// WAL per share of a pool at one epoch (Move `pool_exchange_rate::PoolExchangeRate`; the serde
/// form has Move's BCS layout: variant index, then the two `u128`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PoolExchangeRate {
    /// One share is worth one FROST.
    Flat,
    /// `wal_amount` FROST are worth `share_amount` shares.
    Variable {
        /// FROST.
        wal_amount: u128,
        /// Shares.
        share_amount: u128,
    },
}

impl PoolExchangeRate {
    /// The rate of `wal_amount` FROST split into `share_amount` shares (`EInvalidRate` if
    /// there are more shares than FROST); `Flat` if either is 0.
    pub fn new(wal_amount: u64, share_amount: u64) -> Result<Self, ExecutionFailure> {
        ensure(share_amount <= wal_amount, EInvalidRate)?;
        Ok(if wal_amount == 0 || share_amount == 0 {
            Self::Flat
        } else {
            Self::Variable {
                wal_amount: u128::from(wal_amount),
                share_amount: u128::from(share_amount),
            }
        })
    }

    /// The WAL value of `shares`, rounded down (aborts like Move if it does not fit a u64).
    pub fn convert_to_wal_amount(&self, shares: u64) -> Result<u64, ExecutionFailure> {
        match *self {
            Self::Flat => Ok(shares),
            Self::Variable {
                wal_amount,
                share_amount,
            } => mul_div(shares, wal_amount, share_amount),
        }
    }

    /// The shares `wal` FROST buy, rounded down.
    pub fn convert_to_share_amount(&self, wal: u64) -> Result<u64, ExecutionFailure> {
        match *self {
            Self::Flat => Ok(wal),
            Self::Variable {
                wal_amount,
                share_amount,
            } => mul_div(wal, share_amount, wal_amount),
        }
    }

    /// Whether the rate is 1:1.
    pub fn is_flat(&self) -> bool {
        matches!(self, Self::Flat)
    }

    /// The (WAL, shares) pair; (0, 0) for `Flat`.
    pub fn amounts(&self) -> (u128, u128) {
        match *self {
            Self::Flat => (0, 0),
            Self::Variable {
                wal_amount,
                share_amount,
            } => (wal_amount, share_amount),
        }
    }
}

fn mul_div(x: u64, mul: u128, div: u128) -> Result<u64, ExecutionFailure> {
    let product = u128::from(x)
        .checked_mul(mul)
        .ok_or_else(|| crate::walrus::errors::arithmetic(EXCHANGE_RATE))?;
    let quotient = product
        .checked_div(div)
        .ok_or_else(|| crate::walrus::errors::arithmetic(EXCHANGE_RATE))?;
    to_u64(EXCHANGE_RATE, quotient)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // Mirrors exchange_rate_tests.move::flat_is_one_to_one.
    #[test]
    fn flat_is_one_to_one() {
        let rate = PoolExchangeRate::Flat;
        assert!(rate.is_flat());
        assert_eq!(rate.convert_to_wal_amount(123).unwrap(), 123);
        assert_eq!(rate.convert_to_share_amount(123).unwrap(), 123);
        assert_eq!(rate.amounts(), (0, 0));
        assert!(PoolExchangeRate::new(0, 0).unwrap().is_flat());
        assert!(PoolExchangeRate::new(5, 0).unwrap().is_flat());
        assert!(EInvalidRate.matches(&PoolExchangeRate::new(4, 5).unwrap_err()));
    }

    // Mirrors exchange_rate_tests.move::variable_rounds_down.
    #[test]
    fn variable_rounds_down() {
        let rate = PoolExchangeRate::new(1_500, 1_000).unwrap();
        assert!(!rate.is_flat());
        assert_eq!(rate.amounts(), (1_500, 1_000));
        assert_eq!(rate.convert_to_wal_amount(7).unwrap(), 10);
        assert_eq!(rate.convert_to_share_amount(10).unwrap(), 6);
        let big =
            PoolExchangeRate::new(18_000_000_000_000_000_000, 9_000_000_000_000_000_000).unwrap();
        assert_eq!(
            big.convert_to_wal_amount(9_000_000_000_000_000_000)
                .unwrap(),
            18_000_000_000_000_000_000
        );
        // A result above u64::MAX aborts, as `as u64` does in Move.
        let steep = PoolExchangeRate::new(u64::MAX, 1).unwrap();
        assert_eq!(
            steep.convert_to_wal_amount(2).unwrap_err().code,
            crate::walrus::errors::ARITHMETIC_ERROR
        );
    }

    #[test]
    fn bcs_layout_is_moves() {
        assert_eq!(bcs::to_bytes(&PoolExchangeRate::Flat).unwrap(), vec![0]);
        let v = bcs::to_bytes(&PoolExchangeRate::new(2, 1).unwrap()).unwrap();
        assert_eq!(v.len(), 33);
        assert_eq!(v[0], 1);
        assert_eq!(v[1], 2);
        assert_eq!(v[17], 1);
    }
}
