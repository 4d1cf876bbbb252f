/// A market for time-limited access to a dataset stored on Walrus.
///
/// A seller lists a certified `Blob` holding the dataset at a price per epoch. The listing
/// wraps the blob, so the seller cannot delete or burn it while access is on sale. A buyer pays
/// for `epochs` epochs and receives an `AccessPass` valid until epoch `current + epochs`
/// (exclusive); off-chain gateways check the pass with `has_access` before serving the data.
///
/// The market never sells access the storage cannot back: listing requires the blob to be
/// certified and available now, and every sale requires it to stay available until the end of
/// the access period (`walrus::availability::assert_available_until`). Anyone may pay to extend
/// the blob's storage so that longer access can be sold.
module data_market::data_market;

use sui::balance::{Self, Balance};
use sui::coin::{Self, Coin};
use sui::event;
use wal::wal::WAL;
use walrus::availability;
use walrus::blob::Blob;
use walrus::system::System;

// === Errors ===

/// The price per epoch is zero.
const EZeroPrice: u64 = 0;
/// The access period is zero epochs.
const EZeroEpochs: u64 = 1;
/// The coin holds less than the price of the access period.
const EInsufficientPayment: u64 = 2;
/// The seller capability belongs to another listing.
const EWrongListing: u64 = 3;
/// Sold access is still valid: the blob cannot be taken back yet.
const EActiveAccess: u64 = 4;

// === Object definitions ===

/// A shared listing of a dataset blob.
public struct Listing has key {
    id: UID,
    /// The dataset, held by the listing.
    blob: Blob,
    /// FROST per epoch of access.
    price_per_epoch: u64,
    /// Payments not yet withdrawn by the seller.
    proceeds: Balance<WAL>,
    /// Number of passes sold.
    sales: u64,
    /// The latest end epoch (exclusive) of any pass sold.
    access_sold_until: u32,
}

/// Lets its holder manage a listing: price, proceeds, delisting.
public struct SellerCap has key, store {
    id: UID,
    listing_id: ID,
}

/// Access to the dataset of `listing_id` for the epochs [valid_from, valid_until).
public struct AccessPass has key, store {
    id: UID,
    listing_id: ID,
    blob_id: u256,
    valid_from: u32,
    valid_until: u32,
}

// === Events ===

public struct DatasetListed has copy, drop {
    listing_id: ID,
    blob_id: u256,
    price_per_epoch: u64,
    blob_end_epoch: u32,
}

public struct AccessSold has copy, drop {
    listing_id: ID,
    pass_id: ID,
    buyer: address,
    valid_from: u32,
    valid_until: u32,
    paid: u64,
}

// === Public functions ===

/// Lists `blob` at `price_per_epoch` FROST per epoch of access; shares the listing and
/// returns the seller's capability. Aborts with `walrus::availability::ENotCertified` or
/// `EExpired` unless the blob is certified and available now.
public fun list(
    blob: Blob,
    system: &System,
    price_per_epoch: u64,
    ctx: &mut TxContext,
): SellerCap {
    assert!(price_per_epoch > 0, EZeroPrice);
    availability::assert_available_until(&blob, system, system.epoch() + 1);
    let listing = Listing {
        id: object::new(ctx),
        blob,
        price_per_epoch,
        proceeds: balance::zero(),
        sales: 0,
        access_sold_until: 0,
    };
    let listing_id = object::id(&listing);
    event::emit(DatasetListed {
        listing_id,
        blob_id: listing.blob.blob_id(),
        price_per_epoch,
        blob_end_epoch: listing.blob.end_epoch(),
    });
    transfer::share_object(listing);
    SellerCap { id: object::new(ctx), listing_id }
}

/// Buys access for `epochs` epochs starting now, paying `quote(epochs)` from `payment` (the
/// rest stays in the coin). Aborts with `walrus::availability::EExpiresTooEarly` if the blob
/// expires before the end of the access period (and `ENotCertified` / `EExpired` as in `list`).
public fun buy(
    listing: &mut Listing,
    system: &System,
    epochs: u32,
    payment: &mut Coin<WAL>,
    ctx: &mut TxContext,
): AccessPass {
    assert!(epochs > 0, EZeroEpochs);
    let valid_from = system.epoch();
    let valid_until = valid_from + epochs;
    availability::assert_available_until(&listing.blob, system, valid_until);
    let price = (listing.price_per_epoch as u128) * (epochs as u128);
    assert!(price <= (payment.value() as u128), EInsufficientPayment);
    listing.proceeds.join(payment.balance_mut().split(price as u64));
    listing.sales = listing.sales + 1;
    listing.access_sold_until = listing.access_sold_until.max(valid_until);
    let pass = AccessPass {
        id: object::new(ctx),
        listing_id: object::id(listing),
        blob_id: listing.blob.blob_id(),
        valid_from,
        valid_until,
    };
    event::emit(AccessSold {
        listing_id: pass.listing_id,
        pass_id: object::id(&pass),
        buyer: ctx.sender(),
        valid_from,
        valid_until,
        paid: price as u64,
    });
    pass
}

/// Pays to extend the dataset blob's storage by `epochs` epochs (anyone may), so that longer
/// access can be sold. See `walrus::system::extend_blob`.
public fun extend_dataset(
    listing: &mut Listing,
    system: &mut System,
    epochs: u32,
    payment: &mut Coin<WAL>,
) {
    system.extend_blob(&mut listing.blob, epochs, payment);
}

/// Whether `pass` grants access in the current epoch.
public fun has_access(pass: &AccessPass, system: &System): bool {
    let epoch = system.epoch();
    pass.valid_from <= epoch && epoch < pass.valid_until
}

/// Sets a new price per epoch.
public fun set_price(listing: &mut Listing, cap: &SellerCap, price_per_epoch: u64) {
    assert!(cap.listing_id == object::id(listing), EWrongListing);
    assert!(price_per_epoch > 0, EZeroPrice);
    listing.price_per_epoch = price_per_epoch;
}

/// Withdraws all proceeds.
public fun withdraw(listing: &mut Listing, cap: &SellerCap, ctx: &mut TxContext): Coin<WAL> {
    assert!(cap.listing_id == object::id(listing), EWrongListing);
    coin::from_balance(listing.proceeds.withdraw_all(), ctx)
}

/// Ends the listing and returns the blob and the remaining proceeds. Aborts with
/// `EActiveAccess` while any sold pass is still valid.
public fun delist(
    listing: Listing,
    cap: SellerCap,
    system: &System,
    ctx: &mut TxContext,
): (Blob, Coin<WAL>) {
    assert!(cap.listing_id == object::id(&listing), EWrongListing);
    assert!(system.epoch() >= listing.access_sold_until, EActiveAccess);
    let SellerCap { id: cap_id, .. } = cap;
    cap_id.delete();
    let Listing { id, blob, proceeds, .. } = listing;
    id.delete();
    (blob, coin::from_balance(proceeds, ctx))
}

/// Destroys a pass (for example an expired one).
public fun destroy_pass(pass: AccessPass) {
    let AccessPass { id, .. } = pass;
    id.delete();
}

// === Accessors ===

/// The price of `epochs` epochs of access.
public fun quote(listing: &Listing, epochs: u32): u64 {
    listing.price_per_epoch * (epochs as u64)
}

public fun price_per_epoch(listing: &Listing): u64 { listing.price_per_epoch }

public fun blob(listing: &Listing): &Blob { &listing.blob }

public fun proceeds(listing: &Listing): u64 { listing.proceeds.value() }

public fun sales(listing: &Listing): u64 { listing.sales }

public fun access_sold_until(listing: &Listing): u32 { listing.access_sold_until }

public fun listing_id(cap: &SellerCap): ID { cap.listing_id }

public fun pass_listing_id(pass: &AccessPass): ID { pass.listing_id }

public fun pass_blob_id(pass: &AccessPass): u256 { pass.blob_id }

public fun valid_from(pass: &AccessPass): u32 { pass.valid_from }

public fun valid_until(pass: &AccessPass): u32 { pass.valid_until }
