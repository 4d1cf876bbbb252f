#[test_only]
module walrus::bls_aggregate_tests;

use std::unit_test::assert_eq;
use sui::bls12381;
use walrus::bls_aggregate::{Self, test_node_id, test_public_key};
use walrus::messages;

fun sig(): vector<u8> { x"00" }

fun committee(): bls_aggregate::BlsCommittee {
    // 10 shards over 4 members: quorum needs 7, one correct node needs 4.
    bls_aggregate::new_bls_committee_for_testing(5, vector[3, 3, 3, 1])
}

fun message(epoch: u32): vector<u8> {
    messages::certified_blob_message_bytes_for_testing(epoch, 42, messages::permanent())
}

#[test]
fun committee_sums_weights_and_keys() {
    let c = committee();
    assert_eq!(c.epoch(), 5);
    assert_eq!(c.n_shards(), 10);
    assert_eq!(c.members().length(), 4);
    assert_eq!(c.members()[1].weight(), 3);
    assert_eq!(c.members()[3].node_id(), test_node_id(3));
    assert_eq!(*c.members()[2].public_key(), test_public_key(2));
    // 1G + 2G + 3G + 4G = 10G.
    let expected = bls12381::g1_mul(&bls12381::scalar_from_u64(10), &bls12381::g1_generator());
    assert!(c.total_aggregated_key().equal(&expected));
}

#[test]
fun empty_committee() {
    let c = bls_aggregate::new_bls_committee(0, vector[]);
    assert_eq!(c.n_shards(), 0);
    assert!(c.total_aggregated_key().equal(&bls12381::g1_identity()));
}

#[test, expected_failure(abort_code = bls_aggregate::EIncorrectCommittee)]
fun zero_weight_aborts() {
    bls_aggregate::new_bls_committee_for_testing(5, vector[3, 0]);
}

#[test, expected_failure(abort_code = bls_aggregate::EMembersNotSorted)]
fun unsorted_members_abort() {
    let members = vector[
        bls_aggregate::new_bls_committee_member(test_public_key(0), 1, test_node_id(1)),
        bls_aggregate::new_bls_committee_member(test_public_key(1), 1, test_node_id(0)),
    ];
    bls_aggregate::new_bls_committee(5, members);
}

#[test, expected_failure(abort_code = bls_aggregate::EMembersNotSorted)]
fun duplicate_members_abort() {
    let members = vector[
        bls_aggregate::new_bls_committee_member(test_public_key(0), 1, test_node_id(0)),
        bls_aggregate::new_bls_committee_member(test_public_key(1), 1, test_node_id(0)),
    ];
    bls_aggregate::new_bls_committee(5, members);
}

#[test, expected_failure(abort_code = bls_aggregate::ETooManyShards)]
fun too_many_shards_abort() {
    bls_aggregate::new_bls_committee_for_testing(5, vector[65535, 1]);
}

#[test]
fun membership() {
    let c = committee();
    assert!(c.contains(&test_node_id(0)));
    assert!(!c.contains(&test_node_id(4)));
    assert_eq!(c.get_member_weight(&test_node_id(3)), 1);
    let map = c.to_vec_map();
    assert_eq!(map.length(), 4);
    assert_eq!(*map.get(&test_node_id(0)), 3);
    assert_eq!(*map.get(&test_node_id(3)), 1);
}

#[test, expected_failure(abort_code = bls_aggregate::ENotMember)]
fun weight_of_non_member_aborts() {
    committee().get_member_weight(&test_node_id(4));
}

#[test]
fun thresholds() {
    let c = committee();
    // Quorum: 3w >= 2n + 1 = 21.
    assert!(c.is_quorum(7));
    assert!(!c.is_quorum(6));
    // One correct node: 3w >= n + 1 = 11.
    assert!(c.includes_one_correct_node(4));
    assert!(!c.includes_one_correct_node(3));
    // n = 1000: 667 and 334.
    let big = bls_aggregate::new_bls_committee_for_testing(0, vector[333, 333, 334]);
    assert!(big.is_quorum(667));
    assert!(!big.is_quorum(666));
    assert!(big.includes_one_correct_node(334));
    assert!(!big.includes_one_correct_node(333));
}

#[test]
fun bitmap_weights() {
    // LSB first: bit i is member i. The signed weight is the certificate's stake support.
    assert_eq!(weight(&committee(), x"0F", 5), 10);
    assert_eq!(weight(&committee(), x"07", 5), 9);
    assert_eq!(weight(&committee(), x"0C", 5), 4);
    assert_eq!(weight(&committee(), x"09", 5), 4);
}

#[test, expected_failure(abort_code = bls_aggregate::ENotEnoughStake)]
fun empty_bitmap_signs_nothing() {
    // A shorter (here empty) bitmap means the missing members did not sign.
    committee().verify_one_correct_node_in_epoch(sig(), vector[], message(5));
}

#[test]
fun bitmap_over_two_bytes() {
    let c = bls_aggregate::new_bls_committee_for_testing(1, vector[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    assert_eq!(weight(&c, x"FF03", 1), 10);
    assert_eq!(weight(&c, x"FF", 1), 8);
    assert_eq!(weight(&c, x"0F02", 1), 5);
}

/// The stake support of an f+1 certificate of `bitmap` over the epoch's message.
fun weight(c: &bls_aggregate::BlsCommittee, bitmap: vector<u8>, epoch: u32): u16 {
    c.verify_one_correct_node_in_epoch(sig(), bitmap, message(epoch)).stake_support()
}

#[test, expected_failure(abort_code = bls_aggregate::EInvalidBitmap)]
fun bit_past_the_last_member_aborts() {
    committee().verify_quorum_in_epoch(sig(), x"1F", message(5));
}

#[test, expected_failure(abort_code = bls_aggregate::EInvalidBitmap)]
fun bitmap_too_long_aborts() {
    committee().verify_quorum_in_epoch(sig(), x"0F00", message(5));
}

#[test]
fun quorum_certificate() {
    let msg = committee().verify_quorum_in_epoch(sig(), x"07", message(5));
    assert_eq!(msg.stake_support(), 9);
    assert_eq!(msg.cert_epoch(), 5);
}

#[test, expected_failure(abort_code = bls_aggregate::ENotEnoughStake)]
fun quorum_certificate_with_too_little_weight_aborts() {
    // Members 0 and 1: 6 of 10 shards.
    committee().verify_quorum_in_epoch(sig(), x"03", message(5));
}

#[test, expected_failure(abort_code = messages::EIncorrectEpoch)]
fun quorum_certificate_from_another_epoch_aborts() {
    committee().verify_quorum_in_epoch(sig(), x"0F", message(4));
}

#[test]
fun one_correct_node_certificate() {
    let msg = committee().verify_one_correct_node_in_epoch(sig(), x"09", message(5));
    assert_eq!(msg.stake_support(), 4);
}

#[test, expected_failure(abort_code = bls_aggregate::ENotEnoughStake)]
fun one_correct_node_certificate_with_too_little_weight_aborts() {
    committee().verify_one_correct_node_in_epoch(sig(), x"01", message(5));
}

#[test, expected_failure(abort_code = bls_aggregate::EInvalidBitmap)]
fun one_correct_node_certificate_with_bad_bitmap_aborts() {
    committee().verify_one_correct_node_in_epoch(sig(), x"F0", message(5));
}
