#[test_only]
module walrus::shared_blob_tests;

use std::unit_test::{assert_eq, destroy};
use sui::test_scenario as ts;
use walrus::shared_blob::{Self, SharedBlob};
use walrus::system::System;
use walrus::test_utils::{Self, wal};

const ALICE: address = @0xA11CE;
const BOB: address = @0xB0B;

fun setup(scenario: &mut ts::Scenario) {
    test_utils::system(3, scenario.ctx()).share_for_testing();
    scenario.next_tx(ALICE);
}

#[test]
fun anyone_can_fund_and_extend() {
    let mut scenario = ts::begin(ALICE);
    setup(&mut scenario);
    let mut system = scenario.take_shared<System>();
    let mut blob = test_utils::register_blob(&mut system, 2, false, scenario.ctx());
    test_utils::certify(&system, &mut blob);
    shared_blob::new_funded(blob, wal(50, scenario.ctx()), scenario.ctx());
    ts::return_shared(system);

    scenario.next_tx(BOB);
    let mut system = scenario.take_shared<System>();
    let mut shared = scenario.take_shared<SharedBlob>();
    assert_eq!(shared.funds().value(), 50);
    shared.fund(wal(30, scenario.ctx()));
    assert_eq!(shared.funds().value(), 80);
    // 4 units * 5 FROST * 3 epochs = 60.
    shared.extend(&mut system, 3, scenario.ctx());
    assert_eq!(shared.funds().value(), 20);
    assert_eq!(shared.blob().end_epoch(), 8);
    ts::return_shared(shared);
    ts::return_shared(system);
    scenario.end();
}

#[test]
fun new_shares_without_funds() {
    let mut scenario = ts::begin(ALICE);
    setup(&mut scenario);
    let mut system = scenario.take_shared<System>();
    let blob = test_utils::register_blob(&mut system, 2, false, scenario.ctx());
    let blob_id = blob.blob_id();
    shared_blob::new(blob, scenario.ctx());
    ts::return_shared(system);
    scenario.next_tx(BOB);
    let shared = scenario.take_shared<SharedBlob>();
    assert_eq!(shared.funds().value(), 0);
    assert_eq!(shared.blob().blob_id(), blob_id);
    ts::return_shared(shared);
    scenario.end();
}

#[test, expected_failure(abort_code = sui::balance::ENotEnough)]
fun extend_without_enough_funds_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    let mut shared = shared_blob::new_for_testing(blob, wal(59, &mut ctx), &mut ctx);
    shared.extend(&mut system, 3, &mut ctx);
    destroy(shared);
    system.destroy_for_testing();
}
