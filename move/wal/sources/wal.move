/// The WAL coin: 9 decimals, a fixed supply of 5 billion WAL minted once when the package is
/// published. The `TreasuryCap` is then locked inside a shared `ProtectedTreasury` that only
/// lets anyone burn WAL and read the total supply: nobody can ever mint more.
module wal::wal;

use sui::coin::{Self, Coin, TreasuryCap};
use sui::dynamic_object_field as dof;

// === Constants ===

/// Number of decimals: 1 WAL = 10^9 FROST.
const DECIMALS: u8 = 9;
/// FROST per WAL.
const FROST_PER_WAL: u64 = 1_000_000_000;
/// Total supply in WAL, minted once in `init`.
const TOTAL_WAL_SUPPLY: u64 = 5_000_000_000;

// === Object definitions ===

/// The one-time witness and coin type.
public struct WAL has drop {}

/// Shared object holding the `TreasuryCap<WAL>` as a dynamic object field. Only `burn` and
/// `total_supply` are exposed.
public struct ProtectedTreasury has key {
    id: UID,
}

/// Dynamic object field key of the `TreasuryCap` inside the `ProtectedTreasury`.
public struct TreasuryCapKey has copy, drop, store {}

// === Init ===

fun init(otw: WAL, ctx: &mut TxContext) {
    let (mut cap, metadata) = coin::create_currency(
        otw,
        DECIMALS,
        b"WAL",
        b"WAL Token",
        b"The native token of the Walrus protocol.",
        option::none(),
        ctx,
    );
    let minted = cap.mint(total_supply_frost(), ctx);
    transfer::public_transfer(minted, ctx.sender());
    transfer::public_freeze_object(metadata);

    let mut treasury = ProtectedTreasury { id: object::new(ctx) };
    dof::add(&mut treasury.id, TreasuryCapKey {}, cap);
    transfer::share_object(treasury);
}

// === Public functions ===

/// Burns `coin`, reducing the total supply by its value.
public fun burn(treasury: &mut ProtectedTreasury, coin: Coin<WAL>) {
    treasury.cap_mut().burn(coin);
}

/// The current total supply in FROST (initial supply minus everything burned).
public fun total_supply(treasury: &ProtectedTreasury): u64 {
    treasury.cap().total_supply()
}

/// The number of decimals of WAL (9).
public fun decimals(): u8 { DECIMALS }

/// The supply minted at publication, in FROST.
public fun total_supply_frost(): u64 { TOTAL_WAL_SUPPLY * FROST_PER_WAL }

// === Private functions ===

fun cap(treasury: &ProtectedTreasury): &TreasuryCap<WAL> {
    dof::borrow(&treasury.id, TreasuryCapKey {})
}

fun cap_mut(treasury: &mut ProtectedTreasury): &mut TreasuryCap<WAL> {
    dof::borrow_mut(&mut treasury.id, TreasuryCapKey {})
}

// === Test-only ===

#[test_only]
/// Runs the package initializer (as at publication) in a test.
public fun init_for_testing(ctx: &mut TxContext) {
    init(WAL {}, ctx)
}

#[test_only]
/// Mints `amount` FROST of WAL outside the fixed supply, for tests only.
public fun mint_for_testing(amount: u64, ctx: &mut TxContext): Coin<WAL> {
    coin::mint_for_testing<WAL>(amount, ctx)
}
