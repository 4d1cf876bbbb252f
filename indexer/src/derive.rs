//! Derived values: pool exchange rates as the Move code reads them, positions' value and reward
//! by the arithmetic of Move's `staking_pool::calculate_rewards` (the `walrus-core` twin), a
//! pool's future stake (`wal_balance_at_epoch`), APY from two exchange rates, and statuses.

use std::collections::BTreeMap;

use walrus_core::contracts::staking::{
    PoolExchangeRate, StakedWalState, StakingPool, calculate_rewards, recorded_rate_at,
};

/// Milliseconds in a (365-day) year, for APY.
pub const YEAR_MS: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;

/// The exchange rates a pool recorded, as the indexer knows them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolRates {
    /// Epoch -> recorded rate.
    pub rates: BTreeMap<u32, PoolExchangeRate>,
    /// The pool's `activation_epoch` (its first recorded rate).
    pub activation_epoch: u32,
    /// The size of the pool's `exchange_rates` table (from the pool's BCS).
    pub table_size: u64,
}

impl PoolRates {
    /// Whether every entry of the pool's table is known (otherwise values are not computed).
    pub fn complete(&self) -> bool {
        self.rates.len() as u64 == self.table_size && self.table_size > 0
    }

    /// Move `staking_pool::exchange_rate_at_epoch`: the latest rate recorded at or before
    /// `epoch`, down to the activation epoch; `Flat` before it.
    pub fn at(&self, epoch: u32) -> PoolExchangeRate {
        recorded_rate_at(&self.rates, self.activation_epoch, epoch)
            .unwrap_or(PoolExchangeRate::Flat)
    }
}

/// A rate as a number: FROST per share (1 for `Flat`).
pub fn rate_value(rate: &PoolExchangeRate) -> f64 {
    match *rate {
        PoolExchangeRate::Flat => 1.0,
        PoolExchangeRate::Variable {
            wal_amount,
            share_amount,
        } => {
            if share_amount == 0 {
                1.0
            } else {
                wal_amount as f64 / share_amount as f64
            }
        }
    }
}

/// `(rate / previous)^(epochs per year / (epoch - previous epoch)) - 1`, or `None` without an
/// epoch duration or a previous rate.
pub fn apy(
    previous: Option<(u32, &PoolExchangeRate)>,
    epoch: u32,
    rate: &PoolExchangeRate,
    epoch_duration_ms: Option<u64>,
) -> Option<f64> {
    let (prev_epoch, prev) = previous?;
    let duration = epoch_duration_ms.filter(|d| *d > 0)? as f64;
    if epoch <= prev_epoch {
        return None;
    }
    let growth = rate_value(rate) / rate_value(prev);
    let periods = YEAR_MS / duration / f64::from(epoch - prev_epoch);
    let value = growth.powf(periods) - 1.0;
    value.is_finite().then_some(value)
}

/// A position's status at `epoch`.
pub fn position_status(
    deleted: bool,
    state: &StakedWalState,
    activation_epoch: u32,
    epoch: u32,
) -> &'static str {
    if deleted {
        return "withdrawn";
    }
    match *state {
        StakedWalState::Withdrawing { withdraw_epoch } if epoch >= withdraw_epoch => "withdrawable",
        StakedWalState::Withdrawing { .. } => "withdrawing",
        StakedWalState::Staked if activation_epoch > epoch => "pending",
        StakedWalState::Staked => "active",
    }
}

/// Value and reward of `principal` activated at `activation_epoch`, at `epoch` (or at the
/// withdraw epoch if earlier), by `calculate_rewards`. `None` when the pool's rates are not
/// all known or Move would abort on overflow.
pub fn position_value(
    rates: &PoolRates,
    principal: u64,
    state: &StakedWalState,
    activation_epoch: u32,
    epoch: u32,
) -> Option<(u64, u64)> {
    if activation_epoch > epoch {
        return Some((principal, 0));
    }
    if !rates.complete() {
        return None;
    }
    let until = match *state {
        StakedWalState::Withdrawing { withdraw_epoch } => epoch.min(withdraw_epoch),
        StakedWalState::Staked => epoch,
    };
    let reward = calculate_rewards(&rates.at(activation_epoch), &rates.at(until), principal)?;
    Some((principal.checked_add(reward)?, reward))
}

/// Move `staking_pool::wal_balance_at_epoch`: the stake the pool will have at `epoch` given
/// what is scheduled now (withdrawals converted at the current `(wal_balance, num_shares)`
/// rate, a pre-active withdrawal due at `k` first to shares at the rate of `k - 1`); `None`
/// where Move would abort.
pub fn wal_balance_at_epoch(pool: &StakingPool, rates: &PoolRates, epoch: u32) -> Option<u64> {
    let mut shares = pool.pending_shares_withdraw.value_at(epoch)?;
    for e in pool
        .pre_active_withdrawals
        .0
        .contents
        .iter()
        .filter(|e| e.key <= epoch)
    {
        let at = rates.at(e.key.checked_sub(1)?);
        shares = shares.checked_add(at.convert_to_share_amount(e.value)?)?;
    }
    let rate = PoolExchangeRate::new(pool.wal_balance, pool.num_shares);
    pool.wal_balance
        .checked_add(pool.pending_stake.value_at(epoch)?)?
        .checked_sub(rate.convert_to_wal_amount(shares)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rates() -> PoolRates {
        PoolRates {
            rates: BTreeMap::from([
                (1, PoolExchangeRate::Flat),
                (
                    2,
                    PoolExchangeRate::Variable {
                        wal_amount: 1_000_873_000_000,
                        share_amount: 1_000_000_000_000,
                    },
                ),
                (
                    3,
                    PoolExchangeRate::Variable {
                        wal_amount: 1_501_920_600_000,
                        share_amount: 1_499_563_880_732,
                    },
                ),
            ]),
            activation_epoch: 1,
            table_size: 3,
        }
    }

    #[test]
    fn an_unrecorded_epoch_reads_the_latest_rate_at_or_before_it() {
        let mut r = rates();
        r.rates.remove(&2);
        r.activation_epoch = 1;
        assert!(matches!(r.at(0), PoolExchangeRate::Flat));
        assert_eq!(r.at(2), r.rates[&1]);
        assert_eq!(r.at(9), r.rates[&3]);
        // Nothing recorded at or after the activation epoch up to `epoch`: flat.
        r.activation_epoch = 4;
        assert!(matches!(r.at(3), PoolExchangeRate::Flat));
    }

    #[test]
    fn values_follow_calculate_rewards() {
        // The numbers of staking_rewards_tests.move::two_delegators_commission_and_burn.
        let r = rates();
        let staked = StakedWalState::Staked;
        assert_eq!(
            position_value(&r, 1_000_000_000_000, &staked, 1, 3),
            Some((1_001_571_603_116, 1_571_603_116))
        );
        assert_eq!(
            position_value(&r, 500_000_000_000, &staked, 2, 3),
            Some((500_348_996_883, 348_996_883))
        );
        // Later epochs use the latest rate; withdrawing stops at the withdraw epoch.
        assert_eq!(
            position_value(&r, 500_000_000_000, &staked, 2, 9),
            Some((500_348_996_883, 348_996_883))
        );
        let withdrawing = StakedWalState::Withdrawing { withdraw_epoch: 2 };
        assert_eq!(
            position_value(&r, 1_000_000_000_000, &withdrawing, 1, 3),
            Some((1_000_873_000_000, 873_000_000))
        );
        // Not active yet: principal, no reward. Missing rates: unknown.
        assert_eq!(position_value(&r, 7, &staked, 4, 3), Some((7, 0)));
        let partial = PoolRates {
            table_size: 4,
            ..rates()
        };
        assert_eq!(position_value(&partial, 7, &staked, 1, 3), None);
    }

    #[test]
    fn statuses() {
        let staked = StakedWalState::Staked;
        assert_eq!(position_status(false, &staked, 3, 2), "pending");
        assert_eq!(position_status(false, &staked, 3, 3), "active");
        let w = StakedWalState::Withdrawing { withdraw_epoch: 5 };
        assert_eq!(position_status(false, &w, 3, 4), "withdrawing");
        assert_eq!(position_status(false, &w, 3, 5), "withdrawable");
        assert_eq!(position_status(true, &w, 3, 5), "withdrawn");
    }

    #[test]
    fn apy_annualises_the_growth() {
        let prev = PoolExchangeRate::Flat;
        let next = PoolExchangeRate::Variable {
            wal_amount: 101,
            share_amount: 100,
        };
        // One-year epochs: the growth itself.
        let year = YEAR_MS as u64;
        let a = apy(Some((1, &prev)), 2, &next, Some(year)).unwrap();
        assert!((a - 0.01).abs() < 1e-12, "{a}");
        assert_eq!(apy(None, 2, &next, Some(year)), None);
        assert_eq!(apy(Some((1, &prev)), 2, &next, None), None);
    }
}
