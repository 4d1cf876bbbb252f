#[test_only]
module walrus::init_tests;

use std::unit_test::assert_eq;
use sui::clock;
use sui::test_scenario;
use walrus::init::{Self, InitCap};
use walrus::staking::Staking;
use walrus::staking_inner;
use walrus::system::System;

const ADMIN: address = @0xAD;

#[test]
fun initialize_creates_system_and_staking_at_epoch_zero() {
    let mut scenario = test_scenario::begin(ADMIN);
    init::init_for_testing(scenario.ctx());
    scenario.next_tx(ADMIN);
    let cap = scenario.take_from_sender<InitCap>();
    let mut clock = clock::create_for_testing(scenario.ctx());
    clock.set_for_testing(5_000);
    let upgrade_cap = sui::package::test_publish(@0x42.to_id(), scenario.ctx());
    let emergency = init::initialize_for_testing(cap, upgrade_cap, 100, 1_000, 20, 7, &clock, scenario.ctx());
    walrus::upgrade::burn_emergency_upgrade_cap(emergency);
    scenario.next_tx(ADMIN);
    let system = scenario.take_shared<System>();
    let staking = scenario.take_shared<Staking>();
    assert_eq!(system.epoch(), 0);
    assert_eq!(system.max_epochs_ahead(), 7);
    assert_eq!(staking.epoch(), 0);
    assert_eq!(staking.n_shards(), 20);
    assert_eq!(staking.epoch_duration(), 1_000);
    assert_eq!(staking.first_epoch_start(), 5_100);
    assert!(staking.committee().is_empty());
    assert_eq!(staking_inner::last_epoch_change_time(&staking.epoch_state()), option::some(5_000));
    // The InitCap is used up.
    assert!(!scenario.has_most_recent_for_sender<InitCap>());
    test_scenario::return_shared(system);
    test_scenario::return_shared(staking);
    clock.destroy_for_testing();
    scenario.end();
}
