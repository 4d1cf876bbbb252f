/// The exchange rate between WAL and the shares of one staking pool, snapshotted at the start
/// of every epoch the pool is advanced.
///
/// Formulas (integer, rounding down; the Rust devnet ledger mirrors them exactly):
/// - `to_shares(wal) = wal * share_amount / wal_amount`
/// - `to_wal(shares) = shares * wal_amount / share_amount`
/// A rate with a zero WAL or share amount is `Flat` (1 share = 1 FROST); more shares than WAL
/// is refused (`EInvalidRate`), as in Walrus mainnet.
module walrus::pool_exchange_rate;

// === Errors ===

/// A rate with more shares than WAL.
const EInvalidRate: u64 = 0;

// === Object definitions ===

/// WAL per share of a pool at one epoch.
public enum PoolExchangeRate has copy, drop, store {
    /// One share is worth one FROST.
    Flat,
    /// `wal_amount` FROST are worth `share_amount` shares.
    Variable { wal_amount: u128, share_amount: u128 },
}

// === Constructors ===

/// The 1:1 rate.
public(package) fun flat(): PoolExchangeRate { PoolExchangeRate::Flat }

/// The rate of a pool holding `wal_amount` FROST split into `share_amount` shares; `Flat` if
/// either is zero.
public(package) fun new(wal_amount: u64, share_amount: u64): PoolExchangeRate {
    assert!(share_amount <= wal_amount, EInvalidRate);
    if (wal_amount == 0 || share_amount == 0) {
        PoolExchangeRate::Flat
    } else {
        PoolExchangeRate::Variable {
            wal_amount: wal_amount as u128,
            share_amount: share_amount as u128,
        }
    }
}

// === Conversions ===

/// The WAL value of `shares` at this rate, rounded down.
public fun convert_to_wal_amount(self: &PoolExchangeRate, shares: u64): u64 {
    match (self) {
        PoolExchangeRate::Flat => shares,
        PoolExchangeRate::Variable { wal_amount, share_amount } => {
            ((shares as u128) * *wal_amount / *share_amount) as u64
        },
    }
}

/// The number of shares `wal` FROST buy at this rate, rounded down.
public fun convert_to_share_amount(self: &PoolExchangeRate, wal: u64): u64 {
    match (self) {
        PoolExchangeRate::Flat => wal,
        PoolExchangeRate::Variable { wal_amount, share_amount } => {
            ((wal as u128) * *share_amount / *wal_amount) as u64
        },
    }
}

// === Accessors ===

/// Whether the rate is 1:1.
public fun is_flat(self: &PoolExchangeRate): bool {
    match (self) {
        PoolExchangeRate::Flat => true,
        PoolExchangeRate::Variable { .. } => false,
    }
}

/// The (WAL, shares) pair of the rate; (0, 0) for `Flat`.
public fun amounts(self: &PoolExchangeRate): (u128, u128) {
    match (self) {
        PoolExchangeRate::Flat => (0, 0),
        PoolExchangeRate::Variable { wal_amount, share_amount } => (*wal_amount, *share_amount),
    }
}
