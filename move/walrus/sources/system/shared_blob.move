/// `SharedBlob`: a blob wrapped in a shared object with a WAL tip jar. Anyone can add funds,
/// and anyone can extend the blob's lifetime, paid from those funds.
module walrus::shared_blob;

use sui::balance::{Self, Balance};
use sui::coin::{Self, Coin};
use wal::wal::WAL;
use walrus::blob::Blob;
use walrus::system::System;

// === Object definitions ===

/// A shared blob and the funds available to extend it.
public struct SharedBlob has key, store {
    id: UID,
    blob: Blob,
    funds: Balance<WAL>,
}

// === Public functions ===

/// Shares `blob` with no funds.
public fun new(blob: Blob, ctx: &mut TxContext) {
    transfer::share_object(SharedBlob { id: object::new(ctx), blob, funds: balance::zero() });
}

/// Shares `blob` with `funds` in its tip jar.
public fun new_funded(blob: Blob, funds: Coin<WAL>, ctx: &mut TxContext) {
    transfer::share_object(SharedBlob {
        id: object::new(ctx),
        blob,
        funds: funds.into_balance(),
    });
}

/// Adds `added_funds` to the tip jar.
public fun fund(self: &mut SharedBlob, added_funds: Coin<WAL>) {
    self.funds.join(added_funds.into_balance());
}

/// Extends the blob by `extended_epochs`, paid from the tip jar (see `system::extend_blob`;
/// aborts with `sui::balance::ENotEnough` if the funds do not cover it).
public fun extend(
    self: &mut SharedBlob,
    system: &mut System,
    extended_epochs: u32,
    ctx: &mut TxContext,
) {
    let mut payment = coin::from_balance(self.funds.withdraw_all(), ctx);
    system.extend_blob(&mut self.blob, extended_epochs, &mut payment);
    self.funds.join(payment.into_balance());
}

// === Accessors ===

/// The wrapped blob.
public fun blob(self: &SharedBlob): &Blob { &self.blob }

/// The FROST in the tip jar.
public fun funds(self: &SharedBlob): &Balance<WAL> { &self.funds }

// === Test-only ===

#[test_only]
/// A `SharedBlob` value (not shared), for tests.
public fun new_for_testing(blob: Blob, funds: Coin<WAL>, ctx: &mut TxContext): SharedBlob {
    SharedBlob { id: object::new(ctx), blob, funds: funds.into_balance() }
}
