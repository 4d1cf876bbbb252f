/// A delegator's stake in one pool: holds the principal itself and remembers when it becomes
/// active and, once a withdrawal is requested, the epoch from which it can be withdrawn.
module walrus::staked_wal;

use sui::balance::Balance;
use wal::wal::WAL;

// === Errors ===

/// The object is not in the `Withdrawing` state.
const ENotWithdrawing: u64 = 0;
/// The objects to join differ in node, activation epoch, state or withdraw epoch.
const EMetadataMismatch: u64 = 1;
/// The split amount is not smaller than the value.
const EInvalidAmount: u64 = 2;
/// A withdrawal of this object was already requested.
const EAlreadyWithdrawing: u64 = 6;
/// The amount is below `MIN_STAKING_THRESHOLD` (or a split leaves a part below it).
const EStakeBelowThreshold: u64 = 7;

// === Constants ===

/// Minimal principal of a `StakedWal`: 1 WAL.
const MIN_STAKING_THRESHOLD: u64 = 1_000_000_000;

// === Object definitions ===

/// State of a `StakedWal`.
public enum StakedWalState has copy, drop, store {
    /// Staked (pending activation or active).
    Staked,
    /// Withdrawal requested; withdrawable from `withdraw_epoch`.
    Withdrawing { withdraw_epoch: u32 },
}

/// Staked WAL.
public struct StakedWal has key, store {
    id: UID,
    state: StakedWalState,
    node_id: ID,
    principal: Balance<WAL>,
    activation_epoch: u32,
}

// === Package functions ===

/// Wraps `principal` (at least 1 WAL) staked with `node_id` from `activation_epoch`.
public(package) fun mint(
    node_id: ID,
    principal: Balance<WAL>,
    activation_epoch: u32,
    ctx: &mut TxContext,
): StakedWal {
    assert!(principal.value() >= MIN_STAKING_THRESHOLD, EStakeBelowThreshold);
    StakedWal {
        id: object::new(ctx),
        state: StakedWalState::Staked,
        node_id,
        principal,
        activation_epoch,
    }
}

/// Destroys the object and returns its principal.
public(package) fun into_balance(self: StakedWal): Balance<WAL> {
    let StakedWal { id, principal, .. } = self;
    id.delete();
    principal
}

/// Marks the object as withdrawing at `withdraw_epoch` (`EAlreadyWithdrawing` unless staked).
public(package) fun set_withdrawing(self: &mut StakedWal, withdraw_epoch: u32) {
    assert!(self.is_staked(), EAlreadyWithdrawing);
    self.state = StakedWalState::Withdrawing { withdraw_epoch };
}

// === Public functions ===

/// Merges `other` into `self`: same node, same activation epoch, same state (and the same
/// withdraw epoch when withdrawing).
public fun join(self: &mut StakedWal, other: StakedWal) {
    assert!(self.node_id == other.node_id, EMetadataMismatch);
    assert!(self.activation_epoch == other.activation_epoch, EMetadataMismatch);
    assert!(self.state == other.state, EMetadataMismatch);
    let StakedWal { id, principal, .. } = other;
    id.delete();
    self.principal.join(principal);
}

/// Splits `amount` off into a new object with the same node, activation epoch and state. Both
/// parts must hold at least 1 WAL.
public fun split(self: &mut StakedWal, amount: u64, ctx: &mut TxContext): StakedWal {
    assert!(amount < self.principal.value(), EInvalidAmount);
    assert!(amount >= MIN_STAKING_THRESHOLD, EStakeBelowThreshold);
    assert!(self.principal.value() - amount >= MIN_STAKING_THRESHOLD, EStakeBelowThreshold);
    StakedWal {
        id: object::new(ctx),
        state: self.state,
        node_id: self.node_id,
        principal: self.principal.split(amount),
        activation_epoch: self.activation_epoch,
    }
}

// === Accessors ===

/// The node this stake is delegated to.
public fun node_id(self: &StakedWal): ID { self.node_id }

/// The principal in FROST.
public fun value(self: &StakedWal): u64 { self.principal.value() }

/// The epoch from which the stake is active.
public fun activation_epoch(self: &StakedWal): u32 { self.activation_epoch }

/// Whether the stake is in the `Staked` state.
public fun is_staked(self: &StakedWal): bool { self.state == StakedWalState::Staked }

/// Whether a withdrawal was requested.
public fun is_withdrawing(self: &StakedWal): bool { !self.is_staked() }

/// The epoch from which the stake can be withdrawn; aborts unless withdrawing.
public fun withdraw_epoch(self: &StakedWal): u32 {
    match (self.state) {
        StakedWalState::Withdrawing { withdraw_epoch } => withdraw_epoch,
        StakedWalState::Staked => abort ENotWithdrawing,
    }
}

/// The minimal principal of a `StakedWal` (1 WAL).
public fun min_staking_threshold(): u64 { MIN_STAKING_THRESHOLD }

// === Test-only ===

#[test_only]
/// Mints a `StakedWal` holding `amount` FROST in tests.
public fun mint_for_testing(
    node_id: ID,
    amount: u64,
    activation_epoch: u32,
    ctx: &mut TxContext,
): StakedWal {
    mint(node_id, sui::balance::create_for_testing(amount), activation_epoch, ctx)
}

#[test_only]
/// Destroys a `StakedWal` in tests.
public fun destroy_for_testing(self: StakedWal) {
    std::unit_test::destroy(self)
}
