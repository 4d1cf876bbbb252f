#[test_only]
/// Multi-transaction flows with `test_scenario`: a shared `System`, blobs owned by users.
module walrus::scenario_tests;

use std::unit_test::{assert_eq, destroy};
use sui::test_scenario::{Self as ts, Scenario};
use walrus::availability;
use walrus::blob::{Self, Blob};
use walrus::bls_aggregate;
use walrus::epoch_parameters;
use walrus::messages;
use walrus::system::System;
use walrus::test_utils::{Self, wal, blob_id, root_hash, size, signature, all_signers};

const ADMIN: address = @0xAD;
const ALICE: address = @0xA11CE;
const BOB: address = @0xB0B;
/// Encoded size of the standard test blob.
const ENCODED: u64 = 3_935_480;

fun begin(): Scenario {
    let mut scenario = ts::begin(ADMIN);
    test_utils::system(3, scenario.ctx()).share_for_testing();
    scenario.next_tx(ALICE);
    scenario
}

/// In the current transaction: reserve space for `epochs` epochs, register the test blob and
/// send it to the sender.
fun reserve_and_register(scenario: &mut Scenario, epochs: u32, deletable: bool) {
    let mut system = scenario.take_shared<System>();
    let mut payment = wal(1_000, scenario.ctx());
    let storage = system.reserve_space(ENCODED, epochs, &mut payment, scenario.ctx());
    let blob = system.register_blob(
        storage,
        blob_id(),
        root_hash(),
        size(),
        1,
        deletable,
        &mut payment,
        scenario.ctx(),
    );
    transfer::public_transfer(blob, scenario.sender());
    transfer::public_transfer(payment, scenario.sender());
    ts::return_shared(system);
}

/// Advances the shared system to the next epoch (as staking would).
fun advance_epoch(scenario: &Scenario) {
    let mut system = scenario.take_shared<System>();
    let next = test_utils::committee(system.epoch() + 1);
    let rewards = system.advance_epoch(next, &epoch_parameters::new(test_utils::capacity(), 0, 0));
    destroy(rewards);
    ts::return_shared(system);
}

#[test]
fun reserve_register_certify_extend_delete() {
    let mut scenario = begin();
    reserve_and_register(&mut scenario, 2, true);
    let effects = scenario.next_tx(ALICE);
    // BlobRegistered.
    assert_eq!(effects.num_user_events(), 1);

    // Certify in epoch 3 with all members signing.
    let system = scenario.take_shared<System>();
    let mut blob = scenario.take_from_sender<Blob>();
    let message = blob.certification_message_for_testing(3);
    system.certify_blob(&mut blob, signature(), all_signers(), message);
    assert!(availability::is_available_now(&blob, &system));
    scenario.return_to_sender(blob);
    ts::return_shared(system);
    let effects = scenario.next_tx(ALICE);
    assert_eq!(effects.num_user_events(), 1);

    // Extend by 2 epochs: [3, 7).
    let mut system = scenario.take_shared<System>();
    let mut blob = scenario.take_from_sender<Blob>();
    let mut payment = wal(40, scenario.ctx());
    system.extend_blob(&mut blob, 2, &mut payment);
    assert_eq!(payment.value(), 0);
    assert_eq!(blob.end_epoch(), 7);
    destroy(payment);
    scenario.return_to_sender(blob);
    ts::return_shared(system);
    scenario.next_tx(ADMIN);

    // Two epochs later the blob is still available and certified since epoch 3.
    advance_epoch(&mut scenario);
    scenario.next_tx(ADMIN);
    advance_epoch(&mut scenario);
    scenario.next_tx(ALICE);
    let system = scenario.take_shared<System>();
    let blob = scenario.take_from_sender<Blob>();
    assert_eq!(system.epoch(), 5);
    assert_eq!(*blob.certified_epoch(), option::some(3));
    assert_eq!(availability::available_until(&blob, &system), option::some(7));

    // Delete it: the storage for [3, 7) comes back.
    let blob_object_id = object::id(&blob);
    let storage = system.delete_blob(blob);
    assert_eq!(storage.end_epoch(), 7);
    assert_eq!(storage.size(), ENCODED);
    transfer::public_transfer(storage, ALICE);
    ts::return_shared(system);
    let effects = scenario.next_tx(ALICE);
    assert_eq!(effects.num_user_events(), 1);
    assert!(effects.deleted().contains(&blob_object_id));
    scenario.end();
}

#[test]
fun blob_expires_at_its_end_epoch() {
    let mut scenario = begin();
    reserve_and_register(&mut scenario, 1, false);
    scenario.next_tx(ALICE);
    let system = scenario.take_shared<System>();
    let mut blob = scenario.take_from_sender<Blob>();
    test_utils::certify(&system, &mut blob);
    assert_eq!(availability::available_until(&blob, &system), option::some(4));
    scenario.return_to_sender(blob);
    ts::return_shared(system);
    scenario.next_tx(ADMIN);
    advance_epoch(&mut scenario);
    scenario.next_tx(ALICE);
    let system = scenario.take_shared<System>();
    let blob = scenario.take_from_sender<Blob>();
    assert_eq!(system.epoch(), 4);
    assert!(availability::is_certified(&blob));
    assert!(!availability::is_available_now(&blob, &system));
    assert_eq!(availability::available_until(&blob, &system), option::none());
    // Its capacity is no longer accounted in epoch 4.
    assert_eq!(system.used_capacity_size(), 0);
    scenario.return_to_sender(blob);
    ts::return_shared(system);
    scenario.end();
}

#[test, expected_failure(abort_code = blob::EResourceBounds)]
fun expired_blob_cannot_be_extended() {
    let mut scenario = begin();
    reserve_and_register(&mut scenario, 1, false);
    scenario.next_tx(ALICE);
    let system = scenario.take_shared<System>();
    let mut blob = scenario.take_from_sender<Blob>();
    test_utils::certify(&system, &mut blob);
    scenario.return_to_sender(blob);
    ts::return_shared(system);
    scenario.next_tx(ADMIN);
    advance_epoch(&mut scenario);
    scenario.next_tx(ALICE);
    let mut system = scenario.take_shared<System>();
    let mut blob = scenario.take_from_sender<Blob>();
    let mut payment = wal(1_000, scenario.ctx());
    system.extend_blob(&mut blob, 1, &mut payment);
    abort
}

#[test, expected_failure(abort_code = blob::EAlreadyCertified)]
fun double_certification_aborts() {
    let mut scenario = begin();
    reserve_and_register(&mut scenario, 2, false);
    scenario.next_tx(ALICE);
    let system = scenario.take_shared<System>();
    let mut blob = scenario.take_from_sender<Blob>();
    test_utils::certify(&system, &mut blob);
    scenario.return_to_sender(blob);
    ts::return_shared(system);
    // Bob submits the same certificate again in a later transaction.
    scenario.next_tx(BOB);
    let system = scenario.take_shared<System>();
    let mut blob = scenario.take_from_address<Blob>(ALICE);
    test_utils::certify(&system, &mut blob);
    abort
}

#[test, expected_failure(abort_code = messages::EIncorrectEpoch)]
fun certificate_from_the_previous_epoch_aborts() {
    let mut scenario = begin();
    reserve_and_register(&mut scenario, 3, false);
    scenario.next_tx(ALICE);
    // Nodes sign in epoch 3 ...
    let blob = scenario.take_from_sender<Blob>();
    let message = blob.certification_message_for_testing(3);
    scenario.return_to_sender(blob);
    scenario.next_tx(ADMIN);
    // ... but the epoch changes before the certificate lands.
    advance_epoch(&mut scenario);
    scenario.next_tx(ALICE);
    let system = scenario.take_shared<System>();
    let mut blob = scenario.take_from_sender<Blob>();
    system.certify_blob(&mut blob, signature(), all_signers(), message);
    abort
}

#[test, expected_failure(abort_code = bls_aggregate::EInvalidBitmap)]
fun bitmap_with_a_bit_past_the_last_member_aborts() {
    let mut scenario = begin();
    reserve_and_register(&mut scenario, 2, false);
    scenario.next_tx(ALICE);
    let system = scenario.take_shared<System>();
    let mut blob = scenario.take_from_sender<Blob>();
    let message = blob.certification_message_for_testing(3);
    // 4 members: bit 4 does not belong to anyone.
    system.certify_blob(&mut blob, signature(), x"1F", message);
    abort
}

#[test, expected_failure(abort_code = bls_aggregate::ENotEnoughStake)]
fun insufficient_weight_for_quorum_aborts() {
    let mut scenario = begin();
    reserve_and_register(&mut scenario, 2, false);
    scenario.next_tx(ALICE);
    let system = scenario.take_shared<System>();
    let mut blob = scenario.take_from_sender<Blob>();
    let message = blob.certification_message_for_testing(3);
    // Members 0, 1: 6 of 10 shards; a quorum needs 7.
    system.certify_blob(&mut blob, signature(), x"03", message);
    abort
}

#[test]
fun quorum_with_exactly_enough_weight() {
    let mut scenario = begin();
    reserve_and_register(&mut scenario, 2, false);
    scenario.next_tx(ALICE);
    let system = scenario.take_shared<System>();
    let mut blob = scenario.take_from_sender<Blob>();
    let message = blob.certification_message_for_testing(3);
    // Members 0, 1, 3: 7 of 10 shards.
    system.certify_blob(&mut blob, signature(), x"0B", message);
    assert!(blob.is_certified());
    scenario.return_to_sender(blob);
    ts::return_shared(system);
    scenario.end();
}

#[test, expected_failure(abort_code = blob::EInvalidBlobObject)]
fun deletable_blob_certified_with_another_object_id_aborts() {
    let mut scenario = begin();
    // Alice and Bob register the same content as deletable blobs.
    reserve_and_register(&mut scenario, 2, true);
    scenario.next_tx(BOB);
    reserve_and_register(&mut scenario, 2, true);
    scenario.next_tx(ALICE);
    let alice_blob = scenario.take_from_address<Blob>(ALICE);
    let alice_certificate = alice_blob.certification_message_for_testing(3);
    ts::return_to_address(ALICE, alice_blob);
    scenario.next_tx(BOB);
    // Bob uses the certificate for Alice's object on his blob.
    let system = scenario.take_shared<System>();
    let mut bob_blob = scenario.take_from_sender<Blob>();
    system.certify_blob(&mut bob_blob, signature(), all_signers(), alice_certificate);
    abort
}
