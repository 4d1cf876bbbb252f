#[test_only]
/// `walrus::upgrade`: votes, authorization by quorum and by the emergency cap, commit, cleanup
/// and every abort; with `init::migrate_v2`, the whole upgrade of a version-2 deployment.
module walrus::upgrade_tests;

use std::unit_test::{assert_eq, destroy};
use sui::event;
use sui::package;
use sui::test_scenario;
use walrus::auth;
use walrus::events;
use walrus::init;
use walrus::staking_inner;
use walrus::staking_test_utils::{Self as tu, World};
use walrus::storage_node::StorageNodeCap;
use walrus::upgrade::{Self, UpgradeManager, EmergencyUpgradeCap};

/// A world in epoch 1 with three nodes of weights 4 / 3 / 3 and an upgrade manager of package
/// 0x42 at version 1.
fun setup(): (World, vector<StorageNodeCap>, vector<ID>, UpgradeManager, EmergencyUpgradeCap) {
    let mut w = tu::world(10);
    let mut caps = vector[w.register_node(0, 0), w.register_node(1, 0), w.register_node(2, 0)];
    let ids = caps.map_ref!(|c| c.node_id());
    destroy(w.stake(ids[0], 400));
    destroy(w.stake(ids[1], 300));
    destroy(w.stake(ids[2], 300));
    w.next_epoch(&mut caps);
    let cap = package::test_publish(@0x42.to_id(), w.ctx());
    let emergency = upgrade::new(cap, w.ctx());
    let manager = w.take_shared<UpgradeManager>();
    (w, caps, ids, manager, emergency)
}

fun digest(byte: u8): vector<u8> { vector::tabulate!(32, |_| byte) }

fun vote(w: &mut World, manager: &mut UpgradeManager, node: ID, digest: vector<u8>) {
    let auth = auth::authenticate_sender(w.ctx());
    manager.vote_for_upgrade(w.staking(), auth, node, digest);
}

fun finish(w: World, caps: vector<StorageNodeCap>, manager: UpgradeManager, emergency: EmergencyUpgradeCap) {
    test_scenario::return_shared(manager);
    upgrade::burn_emergency_upgrade_cap(emergency);
    destroy(caps);
    w.destroy_world();
}

#[test]
fun a_quorum_authorizes_and_commits_an_upgrade() {
    let (mut w, caps, ids, mut manager, emergency) = setup();
    vote(&mut w, &mut manager, ids[0], digest(7));
    assert_eq!(manager.proposal_for_testing(digest(7)), vector[1, 2, 4, 1]);
    assert_eq!(
        event::events_by_type<events::ContractUpgradeProposed>(),
        vector[events::contract_upgrade_proposed(1, digest(7))],
    );
    assert_eq!(event::events_by_type<events::ContractUpgradeQuorumReached>().length(), 0);
    vote(&mut w, &mut manager, ids[1], digest(7));
    // 4 + 3 = 7: 21 >= 21.
    assert_eq!(
        event::events_by_type<events::ContractUpgradeQuorumReached>(),
        vector[events::contract_upgrade_quorum_reached(1, digest(7))],
    );
    let ticket = manager.authorize_upgrade(w.staking(), digest(7));
    assert_eq!(*ticket.digest(), digest(7));
    assert!(!manager.has_proposal(digest(7)));
    let receipt = package::test_upgrade(ticket);
    let new_package = receipt.package();
    let (staking, system) = w.staking_and_system();
    upgrade::commit_upgrade(&mut manager, staking, system, receipt);
    assert_eq!(manager.cap_version(), 2);
    assert_eq!(w.staking().new_package_id(), option::some(new_package));
    assert_eq!(w.system().new_package_id(), option::some(new_package));
    finish(w, caps, manager, emergency);
}

#[test]
fun the_emergency_cap_authorizes_without_votes() {
    let (w, caps, _ids, mut manager, emergency) = setup();
    let ticket = manager.authorize_emergency_upgrade(&emergency, digest(9));
    assert_eq!(*ticket.digest(), digest(9));
    let receipt = package::test_upgrade(ticket);
    let mut w = w;
    let (staking, system) = w.staking_and_system();
    upgrade::commit_upgrade(&mut manager, staking, system, receipt);
    assert_eq!(manager.cap_version(), 2);
    finish(w, caps, manager, emergency);
}

#[test, expected_failure(abort_code = upgrade::EInvalidUpgradeManager)]
fun an_emergency_cap_of_another_manager_aborts() {
    let (mut w, caps, _ids, mut manager, emergency) = setup();
    let other = upgrade::new(package::test_publish(@0x43.to_id(), w.ctx()), w.ctx());
    let ticket = manager.authorize_emergency_upgrade(&other, digest(9));
    destroy(ticket);
    upgrade::burn_emergency_upgrade_cap(other);
    finish(w, caps, manager, emergency);
}

#[test, expected_failure(abort_code = upgrade::EInvalidPackageDigest)]
fun a_digest_of_31_bytes_aborts() {
    let (mut w, caps, ids, mut manager, emergency) = setup();
    vote(&mut w, &mut manager, ids[0], vector::tabulate!(31, |_| 1));
    finish(w, caps, manager, emergency);
}

#[test, expected_failure(abort_code = upgrade::ENotAuthorized)]
fun voting_without_governance_authorization_aborts() {
    let (mut w, caps, ids, mut manager, emergency) = setup();
    w.next_tx(@0xBAD);
    vote(&mut w, &mut manager, ids[0], digest(7));
    finish(w, caps, manager, emergency);
}

#[test, expected_failure(abort_code = upgrade::EDuplicateVote)]
fun voting_twice_aborts() {
    let (mut w, caps, ids, mut manager, emergency) = setup();
    vote(&mut w, &mut manager, ids[0], digest(7));
    vote(&mut w, &mut manager, ids[0], digest(7));
    finish(w, caps, manager, emergency);
}

#[test, expected_failure(abort_code = staking_inner::ENotInCommittee)]
fun a_voter_outside_the_committee_aborts() {
    let (mut w, mut caps, _ids, mut manager, emergency) = setup();
    caps.push_back(w.register_node(3, 0));
    let outsider = caps[3].node_id();
    vote(&mut w, &mut manager, outsider, digest(7));
    finish(w, caps, manager, emergency);
}

#[test, expected_failure(abort_code = upgrade::ENoProposalForDigest)]
fun authorize_without_a_proposal_aborts() {
    let (mut w, caps, _ids, mut manager, emergency) = setup();
    destroy(manager.authorize_upgrade(w.staking(), digest(7)));
    finish(w, caps, manager, emergency);
}

#[test, expected_failure(abort_code = upgrade::ENotEnoughVotes)]
fun authorize_without_a_quorum_aborts() {
    let (mut w, caps, ids, mut manager, emergency) = setup();
    vote(&mut w, &mut manager, ids[0], digest(7));
    destroy(manager.authorize_upgrade(w.staking(), digest(7)));
    finish(w, caps, manager, emergency);
}

#[test, expected_failure(abort_code = upgrade::EWrongEpoch)]
fun authorize_a_proposal_of_an_earlier_epoch_aborts() {
    let (mut w, mut caps, ids, mut manager, emergency) = setup();
    vote(&mut w, &mut manager, ids[0], digest(7));
    vote(&mut w, &mut manager, ids[1], digest(7));
    w.next_epoch(&mut caps);
    destroy(manager.authorize_upgrade(w.staking(), digest(7)));
    finish(w, caps, manager, emergency);
}

#[test, expected_failure(abort_code = upgrade::EWrongVersion)]
fun authorize_a_proposal_for_a_version_that_exists_aborts() {
    let (mut w, caps, ids, mut manager, emergency) = setup();
    vote(&mut w, &mut manager, ids[0], digest(7));
    vote(&mut w, &mut manager, ids[1], digest(7));
    // An emergency upgrade makes version 2 first.
    let receipt = package::test_upgrade(manager.authorize_emergency_upgrade(&emergency, digest(9)));
    let (staking, system) = w.staking_and_system();
    upgrade::commit_upgrade(&mut manager, staking, system, receipt);
    destroy(manager.authorize_upgrade(w.staking(), digest(7)));
    finish(w, caps, manager, emergency);
}

#[test]
fun stale_proposals_start_afresh_and_are_cleaned_up() {
    let (mut w, mut caps, ids, mut manager, emergency) = setup();
    vote(&mut w, &mut manager, ids[0], digest(7));
    vote(&mut w, &mut manager, ids[0], digest(8));
    w.next_epoch(&mut caps);
    // A vote in epoch 2 refreshes the proposal: the same node may vote again.
    vote(&mut w, &mut manager, ids[0], digest(7));
    assert_eq!(manager.proposal_for_testing(digest(7)), vector[2, 2, 4, 1]);
    manager.cleanup_upgrade_proposals(w.staking(), vector[digest(7), digest(8), digest(5)]);
    assert!(manager.has_proposal(digest(7)));
    assert!(!manager.has_proposal(digest(8)));
    finish(w, caps, manager, emergency);
}

// === init ===

#[test]
fun initialize_creates_every_shared_object() {
    let mut scenario = test_scenario::begin(@0xAD);
    init::init_for_testing(scenario.ctx());
    scenario.next_tx(@0xAD);
    let init_cap = scenario.take_from_sender<init::InitCap>();
    let upgrade_cap = package::test_publish(@0x42.to_id(), scenario.ctx());
    let clock = sui::clock::create_for_testing(scenario.ctx());
    let emergency = init::initialize_for_testing(init_cap, upgrade_cap, 100, 1_000, 10, 10, &clock, scenario.ctx());
    scenario.next_tx(@0xAD);
    let system = scenario.take_shared<walrus::system::System>();
    let staking = scenario.take_shared<walrus::staking::Staking>();
    let manager = scenario.take_shared<UpgradeManager>();
    let display = scenario.take_shared<walrus::display::ObjectDisplay>();
    let slashing = scenario.take_shared<walrus::slashing::SlashingManager>();
    assert_eq!(system.package_id(), @0x42.to_id());
    assert_eq!(staking.package_id(), @0x42.to_id());
    assert_eq!(system.version(), 3);
    assert_eq!(manager.cap_version(), 1);
    assert_eq!(
        display.field_for_testing<walrus::blob::Blob>(b"name".to_string()),
        b"Walrus Blob ({size}b)".to_string(),
    );
    assert_eq!(
        display.field_for_testing<walrus::staked_wal::StakedWal>(b"image_url".to_string()),
        b"https://www.walrus.xyz/walrus-stakedwal".to_string(),
    );
    // The emergency cap authorizes upgrades of this manager.
    let mut manager = manager;
    let ticket = manager.authorize_emergency_upgrade(&emergency, digest(1));
    destroy(ticket);
    test_scenario::return_shared(system);
    test_scenario::return_shared(staking);
    test_scenario::return_shared(manager);
    test_scenario::return_shared(display);
    test_scenario::return_shared(slashing);
    upgrade::burn_emergency_upgrade_cap(emergency);
    clock.destroy_for_testing();
    scenario.end();
}

#[test, expected_failure(abort_code = init::EInvalidUpgradeCap)]
fun initialize_with_another_package_s_upgrade_cap_aborts() {
    let mut scenario = test_scenario::begin(@0xAD);
    init::init_for_testing(scenario.ctx());
    scenario.next_tx(@0xAD);
    let init_cap = scenario.take_from_sender<init::InitCap>();
    let upgrade_cap = package::test_publish(@0x42.to_id(), scenario.ctx());
    let clock = sui::clock::create_for_testing(scenario.ctx());
    let emergency = init::initialize_walrus(init_cap, upgrade_cap, 100, 1_000, 10, 10, &clock, scenario.ctx());
    upgrade::burn_emergency_upgrade_cap(emergency);
    clock.destroy_for_testing();
    scenario.end();
}

#[test, expected_failure(abort_code = init::EDeprecatedFunction)]
fun the_old_migrate_aborts() {
    let mut w = tu::world(10);
    let (staking, system) = w.staking_and_system();
    init::migrate(staking, system);
    w.destroy_world();
}

#[test]
fun migrate_v2_moves_a_version_2_deployment_to_the_new_package() {
    let (mut w, caps, _ids, mut manager, emergency) = setup();
    let receipt = package::test_upgrade(manager.authorize_emergency_upgrade(&emergency, digest(9)));
    let new_package = receipt.package();
    let (staking, system) = w.staking_and_system();
    upgrade::commit_upgrade(&mut manager, staking, system, receipt);
    w.staking().downgrade_for_testing(2);
    w.system().downgrade_for_testing(2);
    w.staking().set_migration_epoch();
    assert_eq!(w.staking().migration_epoch_for_testing(), option::some(2));
    // Recorded once.
    w.staking().set_migration_epoch();
    let (staking, system) = w.staking_and_system();
    let ctx = &mut tx_context::dummy();
    init::migrate_v2(staking, system, ctx);
    assert_eq!(w.staking().version(), 3);
    assert_eq!(w.system().version(), 3);
    assert_eq!(w.staking().package_id(), new_package);
    assert_eq!(w.system().package_id(), new_package);
    assert_eq!(w.staking().new_package_id(), option::none());
    // The state moved with them.
    assert_eq!(w.staking().epoch(), 1);
    assert_eq!(w.system().epoch(), 1);
    assert_eq!(
        event::events_by_type<events::ContractUpgraded>(),
        vector[events::contract_upgraded(1, new_package, 3)],
    );
    finish(w, caps, manager, emergency);
}

#[test, expected_failure(abort_code = walrus::staking::EInvalidMigration)]
fun migrate_v2_of_a_current_deployment_aborts() {
    let mut w = tu::world(10);
    let (staking, system) = w.staking_and_system();
    init::migrate_v2(staking, system, &mut tx_context::dummy());
    w.destroy_world();
}

#[test, expected_failure(abort_code = walrus::system::EInvalidMigration)]
fun migrate_v2_without_a_committed_upgrade_aborts() {
    let mut w = tu::world(10);
    w.staking().downgrade_for_testing(2);
    w.system().downgrade_for_testing(2);
    w.staking().set_new_package_id(@0x77.to_id());
    let (staking, system) = w.staking_and_system();
    init::migrate_v2(staking, system, &mut tx_context::dummy());
    w.destroy_world();
}

#[test, expected_failure(abort_code = walrus::staking::EInvalidMigration)]
fun set_migration_epoch_on_a_current_deployment_aborts() {
    let mut w = tu::world(10);
    w.staking().set_migration_epoch();
    w.destroy_world();
}
