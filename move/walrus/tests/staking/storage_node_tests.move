#[test_only]
module walrus::storage_node_tests;

use std::unit_test::{assert_eq, destroy};
use sui::bcs;
use walrus::auth;
use walrus::bls_aggregate::test_node_id;
use walrus::node_metadata;
use walrus::messages;
use walrus::staking_pool;
use walrus::staking_test_utils::{bls_pk, network_pk, string_of};
use walrus::storage_node;

#[test]
fun new_info_and_setters() {
    let mut info = storage_node::new(
        b"node".to_string(),
        test_node_id(0),
        b"127.0.0.1:9000".to_string(),
        bls_pk(0),
        network_pk(),
        node_metadata::default(),
        &mut tx_context::dummy(),
    );
    assert_eq!(info.name(), b"node".to_string());
    assert_eq!(info.id(), test_node_id(0));
    assert_eq!(info.network_address(), b"127.0.0.1:9000".to_string());
    assert_eq!(*info.public_key(), storage_node::parse_public_key(&bls_pk(0)));
    assert_eq!(info.network_public_key(), network_pk());
    assert!(!info.has_next_public_key());
    assert_eq!(*info.next_epoch_public_key(), storage_node::parse_public_key(&bls_pk(0)));

    info.set_name(string_of(100));
    info.set_network_address(string_of(259));
    let mut key = network_pk();
    *key.borrow_mut(0) = 3;
    info.set_network_public_key(key);
    assert_eq!(info.network_public_key(), key);
    let md = node_metadata::new(
        b"img".to_string(),
        b"proj".to_string(),
        b"desc".to_string(),
    );
    info.set_metadata(md);
    assert_eq!(info.metadata().description(), b"desc".to_string());

    info.set_next_public_key(bls_pk(1));
    assert!(info.has_next_public_key());
    assert_eq!(*info.next_epoch_public_key(), storage_node::parse_public_key(&bls_pk(1)));
    assert_eq!(*info.public_key(), storage_node::parse_public_key(&bls_pk(0)));
    info.rotate_public_key();
    assert!(!info.has_next_public_key());
    assert_eq!(*info.public_key(), storage_node::parse_public_key(&bls_pk(1)));
    info.destroy_for_testing();
}

#[test]
fun cap_records_sync_done() {
    let ctx = &mut tx_context::dummy();
    let mut cap = storage_node::new_cap_for_testing(test_node_id(4), ctx);
    assert_eq!(cap.node_id(), test_node_id(4));
    assert_eq!(cap.last_epoch_sync_done(), 0);
    cap.set_last_epoch_sync_done(3);
    assert_eq!(cap.last_epoch_sync_done(), 3);
    destroy(cap);
}

#[test, expected_failure(abort_code = staking_pool::EInvalidNameLength)]
fun long_name_aborts() {
    let ctx = &mut tx_context::dummy();
    let pool = pool_named(string_of(101), b"a:1".to_string(), ctx);
    std::unit_test::destroy(pool);
}

#[test, expected_failure(abort_code = staking_pool::EInvalidNetworkAddressLength)]
fun long_address_aborts() {
    let ctx = &mut tx_context::dummy();
    let pool = pool_named(b"n".to_string(), string_of(260), ctx);
    std::unit_test::destroy(pool);
}

/// A pool with this name and address (the pool checks their lengths, as in Walrus mainnet).
fun pool_named(
    name: std::string::String,
    address: std::string::String,
    ctx: &mut TxContext,
): walrus::staking_pool::StakingPool {
    staking_pool::new(
        name,
        address,
        node_metadata::default(),
        bls_pk(0),
        network_pk(),
        vector[],
        0,
        1,
        2,
        3,
        &walrus::walrus_context::new(0, false, sui::vec_map::empty()),
        ctx,
    )
}

#[test, expected_failure(abort_code = storage_node::EInvalidNetworkPublicKey)]
fun short_network_key_aborts() {
    let info = storage_node::new(
        b"n".to_string(),
        test_node_id(0),
        b"a:1".to_string(),
        bls_pk(0),
        vector[2, 1],
        node_metadata::default(),
        &mut tx_context::dummy(),
    );
    info.destroy_for_testing();
}

#[test, expected_failure(abort_code = sui::group_ops::EInvalidInput)]
fun short_bls_key_aborts() {
    storage_node::parse_public_key(&vector[1, 2, 3]);
}

#[test]
fun proof_of_possession_message_bytes() {
    let pk = bls_pk(0);
    let sender = @0xABCD;
    let msg = messages::new_proof_of_possession_msg(7, sender, pk).to_bcs();
    // Header: intent 0, version 0, app 3, epoch 7 as u32 little endian.
    let mut expected = vector[0u8, 0, 3, 7, 0, 0, 0];
    expected.append(bcs::to_bytes(&sender));
    expected.append(pk);
    assert_eq!(msg, expected);
    assert_eq!(msg.length(), 7 + 32 + 48);
    // Epoch 258 = 0x0102 in little endian.
    let msg = messages::new_proof_of_possession_msg(258, sender, bls_pk(0)).to_bcs();
    assert_eq!(msg[3], 2);
    assert_eq!(msg[4], 1);
}

#[test]
fun metadata_fields() {
    let mut md = node_metadata::default();
    md.set_image_url(b"i".to_string());
    md.set_project_url(b"p".to_string());
    md.set_description(b"d".to_string());
    md.insert_or_update_extra_field(b"k".to_string(), b"v".to_string());
    md.insert_or_update_extra_field(b"k".to_string(), b"w".to_string());
    assert_eq!(md.image_url(), b"i".to_string());
    assert_eq!(md.project_url(), b"p".to_string());
    assert_eq!(md.description(), b"d".to_string());
    assert_eq!(*md.extra_fields().get(&b"k".to_string()), b"w".to_string());
    md.remove_extra_field_if_exists(&b"k".to_string());
    md.remove_extra_field_if_exists(&b"k".to_string());
    assert!(md.extra_fields().is_empty());
    let mut fields = sui::vec_map::empty();
    fields.insert(b"a".to_string(), b"1".to_string());
    fields.insert(b"b".to_string(), b"2".to_string());
    md.set_extra_fields(fields);
    assert_eq!(*md.extra_fields(), fields);
}

#[test]
/// As on Walrus mainnet, metadata strings and extra fields have no limits of their own.
fun metadata_has_no_length_or_count_limits() {
    let mut md = node_metadata::new(string_of(4096), string_of(513), string_of(1000));
    assert_eq!(md.image_url().length(), 4096);
    md.set_description(string_of(2048));
    assert_eq!(md.description().length(), 2048);
    let mut fields = sui::vec_map::empty();
    fields.insert(b"a".to_string(), string_of(513));
    md.set_extra_fields(fields);
    let mut i = 0u8;
    while (i < 40) {
        md.insert_or_update_extra_field(vector[65 + i].to_string(), b"v".to_string());
        i = i + 1;
    };
    // 65 + 32 is "a", already there: updated in place.
    assert_eq!(md.extra_fields().length(), 40);
}

#[test]
fun auth_matching() {
    let ctx = &tx_context::dummy();
    let sender = auth::authenticate_sender(ctx);
    assert!(sender.matches(&auth::authorized_address(ctx.sender())));
    assert!(!sender.matches(&auth::authorized_address(@0x1)));
    assert!(!sender.matches(&auth::authorized_object(test_node_id(0))));
    let ctx = &mut tx_context::dummy();
    let cap = storage_node::new_cap_for_testing(test_node_id(0), ctx);
    let by_cap = auth::authenticate_with_object(&cap);
    assert!(by_cap.matches(&auth::authorized_object(object::id(&cap))));
    assert!(!by_cap.matches(&auth::authorized_object(test_node_id(0))));
    assert!(!by_cap.matches(&auth::authorized_address(@0x1)));
    destroy(cap);
}
