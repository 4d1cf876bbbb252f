#[test_only]
module data_market::data_market_tests;

use data_market::data_market::{Self, Listing, SellerCap, AccessPass};
use std::unit_test::{assert_eq, destroy};
use sui::coin::{Self, Coin};
use sui::test_scenario::{Self as ts, Scenario};
use wal::wal::WAL;
use walrus::availability;
use walrus::blob::{Self, Blob};
use walrus::bls_aggregate;
use walrus::system::{Self, System};

const ADMIN: address = @0xAD;
const SELLER: address = @0x5E11;
const BUYER: address = @0xB0B;
const ROOT_HASH: u256 = 0xDA7A;
const SIZE: u64 = 1_000;
const PRICE: u64 = 100;

fun committee(epoch: u32): bls_aggregate::BlsCommittee {
    bls_aggregate::new_bls_committee_for_testing(epoch, vector[3, 3, 3, 1])
}

fun wal(amount: u64, scenario: &mut Scenario): Coin<WAL> {
    coin::mint_for_testing<WAL>(amount, scenario.ctx())
}

/// A shared system in epoch 3 and, owned by the seller, a blob stored for epochs [3, 6),
/// certified if `certify`.
fun setup(certify: bool, deletable: bool): Scenario {
    let mut scenario = ts::begin(ADMIN);
    system::new_for_testing(committee(3), 50, 1_000_000_000_000, 5, 1, scenario.ctx())
        .share_for_testing();
    scenario.next_tx(SELLER);
    let mut system = scenario.take_shared<System>();
    let mut payment = wal(1_000_000, &mut scenario);
    let encoded = walrus::encoding::encoded_blob_length(SIZE, 1, system.n_shards());
    let storage = system.reserve_space(encoded, 3, &mut payment, scenario.ctx());
    let mut blob = system.register_blob(
        storage,
        blob::derive_blob_id(ROOT_HASH, 1, SIZE),
        ROOT_HASH,
        SIZE,
        1,
        deletable,
        &mut payment,
        scenario.ctx(),
    );
    if (certify) {
        let message = blob.certification_message_for_testing(3);
        system.certify_blob(&mut blob, x"00", x"0F", message);
    };
    transfer::public_transfer(blob, SELLER);
    destroy(payment);
    ts::return_shared(system);
    scenario.next_tx(SELLER);
    scenario
}

/// The seller lists their blob; the cap goes to the seller.
fun list(scenario: &mut Scenario) {
    let system = scenario.take_shared<System>();
    let blob = scenario.take_from_sender<Blob>();
    let cap = data_market::list(blob, &system, PRICE, scenario.ctx());
    transfer::public_transfer(cap, SELLER);
    ts::return_shared(system);
    scenario.next_tx(BUYER);
}

fun set_epoch(scenario: &mut Scenario, epoch: u32) {
    let mut system = scenario.take_shared<System>();
    system.set_committee_for_testing(committee(epoch));
    ts::return_shared(system);
}

#[test]
fun list_and_buy() {
    let mut scenario = setup(true, false);
    list(&mut scenario);
    let system = scenario.take_shared<System>();
    let mut listing = scenario.take_shared<Listing>();
    assert_eq!(listing.price_per_epoch(), PRICE);
    assert_eq!(listing.quote(3), 300);
    assert_eq!(listing.blob().blob_id(), blob::derive_blob_id(ROOT_HASH, 1, SIZE));
    // The blob lives until epoch 6, so 3 epochs of access (3, 4, 5) can be sold.
    let mut payment = wal(1_000, &mut scenario);
    let pass = listing.buy(&system, 3, &mut payment, scenario.ctx());
    assert_eq!(payment.value(), 700);
    assert_eq!(pass.valid_from(), 3);
    assert_eq!(pass.valid_until(), 6);
    assert_eq!(pass.pass_listing_id(), object::id(&listing));
    assert_eq!(pass.pass_blob_id(), blob::derive_blob_id(ROOT_HASH, 1, SIZE));
    assert!(pass.has_access(&system));
    assert_eq!(listing.proceeds(), 300);
    assert_eq!(listing.sales(), 1);
    assert_eq!(listing.access_sold_until(), 6);
    transfer::public_transfer(pass, BUYER);
    destroy(payment);
    ts::return_shared(listing);
    ts::return_shared(system);
    let effects = scenario.next_tx(SELLER);
    assert_eq!(effects.num_user_events(), 1);
    scenario.end();
}

#[test]
fun pass_expires_with_its_period() {
    let mut scenario = setup(true, false);
    list(&mut scenario);
    let system = scenario.take_shared<System>();
    let mut listing = scenario.take_shared<Listing>();
    let mut payment = wal(1_000, &mut scenario);
    let pass = listing.buy(&system, 1, &mut payment, scenario.ctx());
    transfer::public_transfer(pass, BUYER);
    destroy(payment);
    ts::return_shared(listing);
    ts::return_shared(system);
    scenario.next_tx(ADMIN);
    set_epoch(&mut scenario, 4);
    scenario.next_tx(BUYER);
    let system = scenario.take_shared<System>();
    let pass = scenario.take_from_sender<AccessPass>();
    assert!(!pass.has_access(&system));
    pass.destroy_pass();
    ts::return_shared(system);
    scenario.end();
}

#[test, expected_failure(abort_code = availability::ENotCertified)]
fun list_uncertified_blob_aborts() {
    let mut scenario = setup(false, false);
    list(&mut scenario);
    abort
}

#[test, expected_failure(abort_code = availability::EExpired)]
fun list_expired_blob_aborts() {
    let mut scenario = setup(true, false);
    scenario.next_tx(ADMIN);
    set_epoch(&mut scenario, 6);
    scenario.next_tx(SELLER);
    list(&mut scenario);
    abort
}

#[test, expected_failure(abort_code = data_market::EZeroPrice)]
fun list_for_free_aborts() {
    let mut scenario = setup(true, false);
    let system = scenario.take_shared<System>();
    let blob = scenario.take_from_sender<Blob>();
    let _cap = data_market::list(blob, &system, 0, scenario.ctx());
    abort
}

#[test, expected_failure(abort_code = availability::EExpiresTooEarly)]
fun buy_past_the_blob_lifetime_aborts() {
    let mut scenario = setup(true, false);
    list(&mut scenario);
    let system = scenario.take_shared<System>();
    let mut listing = scenario.take_shared<Listing>();
    let mut payment = wal(1_000, &mut scenario);
    // Epochs 3..7 would outlive the blob (end epoch 6).
    let _pass = listing.buy(&system, 4, &mut payment, scenario.ctx());
    abort
}

#[test, expected_failure(abort_code = availability::EExpired)]
fun buy_after_the_blob_expired_aborts() {
    let mut scenario = setup(true, false);
    list(&mut scenario);
    scenario.next_tx(ADMIN);
    set_epoch(&mut scenario, 6);
    scenario.next_tx(BUYER);
    let system = scenario.take_shared<System>();
    let mut listing = scenario.take_shared<Listing>();
    let mut payment = wal(1_000, &mut scenario);
    let _pass = listing.buy(&system, 1, &mut payment, scenario.ctx());
    abort
}

#[test]
fun extending_the_dataset_allows_longer_access() {
    let mut scenario = setup(true, false);
    list(&mut scenario);
    let mut system = scenario.take_shared<System>();
    let mut listing = scenario.take_shared<Listing>();
    let mut payment = wal(1_000, &mut scenario);
    listing.extend_dataset(&mut system, 2, &mut payment);
    assert_eq!(listing.blob().end_epoch(), 8);
    let pass = listing.buy(&system, 5, &mut payment, scenario.ctx());
    assert_eq!(pass.valid_until(), 8);
    pass.destroy_pass();
    destroy(payment);
    ts::return_shared(listing);
    ts::return_shared(system);
    scenario.end();
}

#[test, expected_failure(abort_code = data_market::EZeroEpochs)]
fun buy_zero_epochs_aborts() {
    let mut scenario = setup(true, false);
    list(&mut scenario);
    let system = scenario.take_shared<System>();
    let mut listing = scenario.take_shared<Listing>();
    let mut payment = wal(1_000, &mut scenario);
    let _pass = listing.buy(&system, 0, &mut payment, scenario.ctx());
    abort
}

#[test, expected_failure(abort_code = data_market::EInsufficientPayment)]
fun buy_underpaid_aborts() {
    let mut scenario = setup(true, false);
    list(&mut scenario);
    let system = scenario.take_shared<System>();
    let mut listing = scenario.take_shared<Listing>();
    let mut payment = wal(199, &mut scenario);
    let _pass = listing.buy(&system, 2, &mut payment, scenario.ctx());
    abort
}

#[test]
fun seller_sets_price_withdraws_and_delists() {
    let mut scenario = setup(true, true);
    list(&mut scenario);
    let system = scenario.take_shared<System>();
    let mut listing = scenario.take_shared<Listing>();
    let mut payment = wal(1_000, &mut scenario);
    let pass = listing.buy(&system, 2, &mut payment, scenario.ctx());
    pass.destroy_pass();
    destroy(payment);
    ts::return_shared(listing);
    ts::return_shared(system);

    scenario.next_tx(SELLER);
    let mut listing = scenario.take_shared<Listing>();
    let cap = scenario.take_from_sender<SellerCap>();
    assert_eq!(cap.listing_id(), object::id(&listing));
    listing.set_price(&cap, 7);
    assert_eq!(listing.price_per_epoch(), 7);
    let proceeds = listing.withdraw(&cap, scenario.ctx());
    assert_eq!(proceeds.value(), 200);
    assert_eq!(listing.proceeds(), 0);
    destroy(proceeds);
    scenario.return_to_sender(cap);
    ts::return_shared(listing);

    // Access sold until epoch 5: the seller gets the blob back from epoch 5 on.
    scenario.next_tx(ADMIN);
    set_epoch(&mut scenario, 5);
    scenario.next_tx(SELLER);
    let system = scenario.take_shared<System>();
    let listing = scenario.take_shared<Listing>();
    let cap = scenario.take_from_sender<SellerCap>();
    let (blob, rest) = listing.delist(cap, &system, scenario.ctx());
    assert_eq!(rest.value(), 0);
    // The seller may now delete the (deletable) blob.
    destroy(system.delete_blob(blob));
    destroy(rest);
    ts::return_shared(system);
    scenario.end();
}

#[test, expected_failure(abort_code = data_market::EActiveAccess)]
fun delist_with_active_access_aborts() {
    let mut scenario = setup(true, false);
    list(&mut scenario);
    let system = scenario.take_shared<System>();
    let mut listing = scenario.take_shared<Listing>();
    let mut payment = wal(1_000, &mut scenario);
    let pass = listing.buy(&system, 2, &mut payment, scenario.ctx());
    pass.destroy_pass();
    destroy(payment);
    ts::return_shared(listing);
    ts::return_shared(system);
    scenario.next_tx(SELLER);
    let system = scenario.take_shared<System>();
    let listing = scenario.take_shared<Listing>();
    let cap = scenario.take_from_sender<SellerCap>();
    let (_blob, _rest) = listing.delist(cap, &system, scenario.ctx());
    abort
}

/// A second listing whose cap is used on the first.
fun two_listings(scenario: &mut Scenario): (Listing, SellerCap) {
    list(scenario);
    let listing = scenario.take_shared<Listing>();
    let other_cap = list_another(scenario);
    (listing, other_cap)
}

fun list_another(scenario: &mut Scenario): SellerCap {
    // Register and list a second blob in a separate transaction.
    scenario.next_tx(SELLER);
    let mut system = scenario.take_shared<System>();
    let mut payment = wal(1_000_000, scenario);
    let encoded = walrus::encoding::encoded_blob_length(SIZE, 1, system.n_shards());
    let storage = system.reserve_space(encoded, 3, &mut payment, scenario.ctx());
    let mut blob = system.register_blob(
        storage,
        blob::derive_blob_id(ROOT_HASH, 1, SIZE),
        ROOT_HASH,
        SIZE,
        1,
        false,
        &mut payment,
        scenario.ctx(),
    );
    let message = blob.certification_message_for_testing(3);
    system.certify_blob(&mut blob, x"00", x"0F", message);
    let cap = data_market::list(blob, &system, PRICE, scenario.ctx());
    destroy(payment);
    ts::return_shared(system);
    cap
}

#[test, expected_failure(abort_code = data_market::EWrongListing)]
fun withdraw_with_another_cap_aborts() {
    let mut scenario = setup(true, false);
    let (mut listing, other_cap) = two_listings(&mut scenario);
    let _coin = listing.withdraw(&other_cap, scenario.ctx());
    abort
}

#[test, expected_failure(abort_code = data_market::EWrongListing)]
fun set_price_with_another_cap_aborts() {
    let mut scenario = setup(true, false);
    let (mut listing, other_cap) = two_listings(&mut scenario);
    listing.set_price(&other_cap, 1);
    abort
}

#[test, expected_failure(abort_code = data_market::EZeroPrice)]
fun set_price_to_zero_aborts() {
    let mut scenario = setup(true, false);
    list(&mut scenario);
    scenario.next_tx(SELLER);
    let mut listing = scenario.take_shared<Listing>();
    let cap = scenario.take_from_sender<SellerCap>();
    listing.set_price(&cap, 0);
    abort
}

#[test, expected_failure(abort_code = data_market::EWrongListing)]
fun delist_with_another_cap_aborts() {
    let mut scenario = setup(true, false);
    let (listing, other_cap) = two_listings(&mut scenario);
    let first_id = object::id(&listing);
    ts::return_shared(listing);
    scenario.next_tx(SELLER);
    let system = scenario.take_shared<System>();
    let listing = scenario.take_shared_by_id<Listing>(first_id);
    let (_blob, _rest) = listing.delist(other_cap, &system, scenario.ctx());
    abort
}
