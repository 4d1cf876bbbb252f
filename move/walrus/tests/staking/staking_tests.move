#[test_only]
/// Entry points of `walrus::staking`: success paths, events and every abort of the staking
/// state machine and node settings.
module walrus::staking_tests;

use std::unit_test::{assert_eq, destroy};
use sui::clock;
use walrus::messages;
use walrus::auth;
use walrus::bls_aggregate;
use walrus::node_metadata;
use walrus::staking;
use walrus::staking_inner;
use walrus::staking_pool;
use walrus::staking_test_utils::{Self as tu, bls_pk, frost, network_pk, string_of};
use walrus::storage_node;

#[test]
fun new_staking_starts_in_epoch_zero() {
    let ctx = &mut tx_context::dummy();
    let mut clock = clock::create_for_testing(ctx);
    clock.set_for_testing(1_000);
    let staking = staking::new_for_testing(50, 2_000, 100, &clock, ctx);
    assert_eq!(staking.epoch(), 0);
    assert_eq!(staking.n_shards(), 100);
    assert_eq!(staking.epoch_duration(), 2_000);
    assert_eq!(staking.first_epoch_start(), 1_050);
    assert_eq!(staking.version(), 3);
    assert!(staking.committee().is_empty());
    assert!(staking.previous_committee().is_empty());
    assert!(staking.next_committee().is_none());
    assert!(staking.next_epoch_params().is_none());
    let state = staking.epoch_state();
    assert!(staking_inner::is_epoch_change_done(&state));
    assert_eq!(staking_inner::last_epoch_change_time(&state), option::some(1_000));
    assert_eq!(staking.active_set().max_size(), 111);
    staking.destroy_for_testing();
    clock.destroy_for_testing();
}

#[test, expected_failure(abort_code = staking_inner::EInvalidParameters)]
fun zero_shards_aborts() {
    let ctx = &mut tx_context::dummy();
    let clock = clock::create_for_testing(ctx);
    let _staking = staking::new_for_testing(0, 1_000, 0, &clock, ctx);
    abort 0
}

#[test, expected_failure(abort_code = staking_inner::EInvalidParameters)]
fun zero_epoch_duration_aborts() {
    let ctx = &mut tx_context::dummy();
    let clock = clock::create_for_testing(ctx);
    let _staking = staking::new_for_testing(0, 0, 10, &clock, ctx);
    abort 0
}

#[test, expected_failure(abort_code = staking::EWrongVersion)]
fun wrong_version_aborts() {
    let mut w = tu::world(10);
    w.staking().set_version_for_testing(2);
    w.staking().epoch();
    abort 0
}

// === Registration and node settings ===

#[test]
fun register_candidate_creates_pool_and_cap() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 250);
    let node = cap.node_id();
    assert!(w.staking().has_pool(node));
    assert_eq!(cap.last_epoch_sync_done(), 0);
    let pool = w.staking().pool(node);
    assert_eq!(pool.node_id(), node);
    assert_eq!(pool.commission_rate(), 250);
    assert_eq!(pool.storage_price(), 5);
    assert_eq!(pool.write_price(), 7);
    assert_eq!(pool.node_capacity(), 1_000_000_000_000);
    assert_eq!(pool.activation_epoch(), 0);
    assert_eq!(pool.latest_epoch(), 0);
    assert_eq!(pool.wal_balance(), 0);
    // The cap receives the commission; the sender governs.
    assert_eq!(*pool.commission_receiver(), auth::authorized_object(object::id(&cap)));
    assert_eq!(*pool.governance_authorized(), auth::authorized_address(@0xAD));
    assert_eq!(pool.node_info().name(), b"node".to_string());
    assert_eq!(*pool.node_info().public_key(), storage_node::parse_public_key(&bls_pk(0)));
    // Not in the active set before it has stake.
    assert!(!w.staking().active_set().contains(node));
    // A node registered after the selection counts from the next epoch.
    let s = w.stake(node, 1000);
    w.run_voting_end();
    let late = w.register_node(1, 0);
    assert_eq!(w.staking().pool(late.node_id()).activation_epoch(), 1);
    destroy(vector[cap, late]);
    destroy(s);
    w.destroy_world();
}

#[test, expected_failure(abort_code = staking_pool::EIncorrectCommissionRate)]
fun register_with_commission_above_100_percent_aborts() {
    let mut w = tu::world(10);
    let _cap = w.register_node(0, 10_001);
    abort 0
}

#[test, expected_failure(abort_code = staking_pool::EInvalidNameLength)]
fun register_with_long_name_aborts() {
    let mut w = tu::world(10);
    let ctx = &mut tx_context::dummy();
    let _cap = w.staking().register_candidate(
        string_of(101),
        b"a:1".to_string(),
        node_metadata::default(),
        bls_pk(0),
        network_pk(),
        vector[],
        0,
        1,
        1,
        1,
        ctx,
    );
    abort 0
}

#[test, expected_failure(abort_code = messages::EInvalidKeyLength)]
fun register_with_bad_key_aborts() {
    let mut w = tu::world(10);
    let ctx = &mut tx_context::dummy();
    let _cap = w.staking().register_candidate(
        b"n".to_string(),
        b"a:1".to_string(),
        node_metadata::default(),
        vector[1, 2, 3],
        network_pk(),
        vector[],
        0,
        1,
        1,
        1,
        ctx,
    );
    abort 0
}

#[test]
fun node_setters() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let node = cap.node_id();
    w.staking().set_name(&cap, b"renamed".to_string());
    w.staking().set_network_address(&cap, b"10.0.0.1:1".to_string());
    let mut key = network_pk();
    *key.borrow_mut(1) = 99;
    w.staking().set_network_public_key(&cap, key);
    let md = node_metadata::new(b"i".to_string(), b"p".to_string(), b"d".to_string());
    w.staking().set_node_metadata(&cap, md);
    w.staking().set_storage_price_vote(&cap, 11);
    w.staking().set_write_price_vote(&cap, 12);
    w.staking().set_node_capacity_vote(&cap, 13);
    w.staking().set_next_commission(&cap, 4_000);
    let pool = w.staking().pool(node);
    assert_eq!(pool.node_info().name(), b"renamed".to_string());
    assert_eq!(pool.node_info().network_address(), b"10.0.0.1:1".to_string());
    assert_eq!(pool.node_info().network_public_key(), key);
    assert_eq!(pool.storage_price(), 11);
    assert_eq!(pool.write_price(), 12);
    assert_eq!(pool.node_capacity(), 13);
    // Scheduled for E + 2 = 2, still 0 now.
    assert_eq!(pool.commission_rate(), 0);
    assert_eq!(pool.pending_commission_rate().get(2), 4_000);
    assert_eq!(w.staking().node_metadata(node), md);
    destroy(cap);
    w.destroy_world();
}

#[test, expected_failure(abort_code = staking_pool::EIncorrectCommissionRate)]
fun next_commission_above_100_percent_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    w.staking().set_next_commission(&cap, 10_001);
    abort 0
}

#[test, expected_failure(abort_code = staking_pool::EInvalidNetworkAddressLength)]
fun set_long_network_address_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    w.staking().set_network_address(&cap, string_of(260));
    abort 0
}

#[test, expected_failure(abort_code = storage_node::EInvalidNetworkPublicKey)]
fun set_bad_network_key_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    w.staking().set_network_public_key(&cap, vector[1]);
    abort 0
}

#[test, expected_failure(abort_code = staking_pool::EInvalidNameLength)]
fun set_long_name_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    w.staking().set_name(&cap, string_of(101));
    abort 0
}

// As mainnet, a missing pool aborts in the object table's dynamic field lookup.
#[test, expected_failure(abort_code = 1, location = sui::dynamic_field)]
fun setter_with_unknown_node_aborts() {
    let mut w = tu::world(10);
    let cap = storage_node::new_cap_for_testing(bls_aggregate::test_node_id(9), w.ctx());
    w.staking().set_storage_price_vote(&cap, 1);
    abort 0
}

#[test]
fun commission_change_takes_effect_two_epochs_later() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 1_000);
    let node = cap.node_id();
    let s = w.stake(node, 1000);
    let mut caps = vector[cap];
    w.next_epoch(&mut caps); // epoch 1
    w.staking().set_next_commission(&caps[0], 5_000); // effective at epoch 3
    w.add_epoch_rewards(2_000_000_000);
    w.next_epoch(&mut caps); // epoch 2: 1_940_000_000 at 10% -> 194_000_000
    assert_eq!(w.staking().pool(node).commission_rate(), 1_000);
    assert_eq!(w.staking().pool(node).commission_amount(), 194_000_000);
    w.add_epoch_rewards(2_000_000_000);
    w.next_epoch(&mut caps); // epoch 3: epoch 2's rewards still at 10%; then 50% applies
    assert_eq!(w.staking().pool(node).commission_rate(), 5_000);
    assert_eq!(w.staking().pool(node).commission_amount(), 388_000_000);
    w.add_epoch_rewards(2_000_000_000);
    w.next_epoch(&mut caps); // epoch 4: epoch 3's rewards at 50% -> 970_000_000
    assert_eq!(w.staking().pool(node).commission_amount(), 1_358_000_000);
    destroy(s);
    destroy(caps);
    w.destroy_world();
}

#[test]
fun commission_receiver_and_governance_can_be_changed() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 10_000);
    let node = cap.node_id();
    let s = w.stake(node, 1000);
    let mut caps = vector[cap];
    w.next_epoch(&mut caps);
    w.add_epoch_rewards(1_000_000_000);
    w.next_epoch(&mut caps);
    // 100% commission: 970_000_000 after the 3% burn.
    assert_eq!(w.staking().pool(node).commission_amount(), 970_000_000);
    // Hand the commission to an address, then collect as that sender once voting_end has
    // unblocked it.
    w.run_voting_end();
    let by_cap = auth::authenticate_with_object(&caps[0]);
    w.staking().set_commission_receiver(node, by_cap, auth::authorized_address(@0xC0));
    w.next_tx(@0xC0);
    let auth = auth::authenticate_sender(w.ctx());
    let coin = w.collect_commission(node, auth);
    assert_eq!(coin.value(), 970_000_000);
    destroy(coin);
    // Governance: the registering sender (0xAD) hands it to the cap.
    w.next_tx(@0xAD);
    let auth = auth::authenticate_sender(w.ctx());
    let cap_id = object::id(&caps[0]);
    w.staking().set_governance_authorized(node, auth, auth::authorized_object(cap_id));
    assert_eq!(*w.staking().pool(node).governance_authorized(), auth::authorized_object(cap_id));
    destroy(s);
    destroy(caps);
    w.destroy_world();
}

#[test, expected_failure(abort_code = staking_pool::EAuthorizationFailure)]
fun collect_commission_by_stranger_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let auth = auth::authenticate_sender(w.ctx());
    destroy(w.collect_commission(cap.node_id(), auth));
    abort 0
}

#[test, expected_failure(abort_code = staking_pool::EAuthorizationFailure)]
fun set_commission_receiver_by_stranger_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let auth = auth::authenticate_sender(w.ctx());
    w.staking().set_commission_receiver(cap.node_id(), auth, auth::authorized_address(@0x1));
    abort 0
}

#[test, expected_failure(abort_code = staking_pool::EAuthorizationFailure)]
fun set_governance_by_stranger_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let auth = auth::authenticate_with_object(&cap);
    w.staking().set_governance_authorized(cap.node_id(), auth, auth::authorized_address(@0x1));
    abort 0
}

#[test]
fun next_public_key_is_used_by_the_next_committee() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let node = cap.node_id();
    let s = w.stake(node, 1000);
    let mut caps = vector[cap];
    w.next_epoch(&mut caps); // epoch 1 with key 0
    let member = w.system().committee().members()[0];
    assert_eq!(*member.public_key(), storage_node::parse_public_key(&bls_pk(0)));
    let ctx = &mut tx_context::dummy();
    w.staking().set_next_public_key(&caps[0], bls_pk(5), vector[9], ctx);
    w.run_voting_end();
    assert_eq!(
        *w.staking().pool(node).node_info().next_epoch_public_key(),
        storage_node::parse_public_key(&bls_pk(5)),
    );
    w.run_epoch_change(); // epoch 2 with key 5, rotated into the pool
    let member = w.system().committee().members()[0];
    assert_eq!(*member.public_key(), storage_node::parse_public_key(&bls_pk(5)));
    assert_eq!(
        *w.staking().pool(node).node_info().public_key(),
        storage_node::parse_public_key(&bls_pk(5)),
    );
    assert!(!w.staking().pool(node).node_info().has_next_public_key());
    destroy(s);
    destroy(caps);
    w.destroy_world();
}

// === Delegation aborts ===

#[test, expected_failure(abort_code = walrus::staked_wal::EStakeBelowThreshold)]
fun stake_below_one_wal_aborts() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let coin = sui::coin::mint_for_testing(frost(1) - 1, w.ctx());
    let ctx = &mut tx_context::dummy();
    let _s = w.staking().stake_with_pool(coin, cap.node_id(), ctx);
    abort 0
}

#[test, expected_failure(abort_code = 1, location = sui::dynamic_field)]
fun stake_with_unknown_node_aborts() {
    let mut w = tu::world(10);
    let _s = w.stake(bls_aggregate::test_node_id(3), 5);
    abort 0
}

#[test]
fun try_join_active_set_reinserts_node() {
    let mut w = tu::world(10);
    let cap = w.register_node(0, 0);
    let s = w.stake(cap.node_id(), 5);
    assert_eq!(w.staking().active_set().stake(cap.node_id()), frost(5));
    w.staking().try_join_active_set(&cap);
    assert_eq!(w.staking().active_set().stake(cap.node_id()), frost(5));
    assert_eq!(w.staking().active_set().total_stake(), frost(5));
    destroy(s);
    destroy(cap);
    w.destroy_world();
}
