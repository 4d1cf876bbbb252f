#[test_only]
module walrus::messages_tests;

use std::unit_test::assert_eq;
use walrus::messages;

const BLOB_ID: u256 = 0x1234;

#[test]
fun header_is_parsed() {
    let bytes = messages::message_bytes_for_testing(1, 7, x"AABB");
    assert_eq!(bytes, x"01000307000000AABB");
    let msg = messages::new_certified_message(bytes, 7, 9);
    assert_eq!(msg.intent_type(), 1);
    assert_eq!(msg.intent_version(), 0);
    assert_eq!(msg.cert_epoch(), 7);
    assert_eq!(msg.stake_support(), 9);
    assert_eq!(*msg.message(), x"AABB");
}

#[test, expected_failure(abort_code = messages::EIncorrectIntentVersion)]
fun wrong_intent_version_aborts() {
    messages::new_certified_message(x"01010307000000", 7, 9);
}

#[test, expected_failure(abort_code = messages::EIncorrectAppId)]
fun wrong_app_id_aborts() {
    messages::new_certified_message(x"01000207000000", 7, 9);
}

#[test, expected_failure(abort_code = messages::EIncorrectEpoch)]
fun wrong_epoch_aborts() {
    messages::new_certified_message(x"01000308000000", 7, 9);
}

#[test, expected_failure(abort_code = sui::bcs::EOutOfRange)]
fun truncated_header_aborts() {
    messages::new_certified_message(x"010003070000", 7, 9);
}

#[test]
fun permanent_blob_message() {
    let bytes = messages::certified_blob_message_bytes_for_testing(7, BLOB_ID, messages::permanent());
    assert_eq!(bytes.length(), 7 + 33);
    let blob_msg = messages::new_certified_message(bytes, 7, 9).certify_blob_message();
    assert_eq!(blob_msg.certified_blob_id(), BLOB_ID);
    let persistence = blob_msg.blob_persistence_type();
    assert!(!persistence.is_deletable());
    assert_eq!(persistence.deletable_object_id(), option::none());
}

#[test]
fun deletable_blob_message() {
    let object_id = @0xBEEF.to_id();
    let bytes = messages::certified_blob_message_bytes_for_testing(7, BLOB_ID, messages::deletable(object_id));
    assert_eq!(bytes.length(), 7 + 65);
    let blob_msg = messages::new_certified_message(bytes, 7, 9).certify_blob_message();
    let persistence = blob_msg.blob_persistence_type();
    assert!(persistence.is_deletable());
    assert_eq!(persistence.deletable_object_id(), option::some(object_id));
    assert_eq!(persistence.object_id(), object_id);
}

#[test, expected_failure(abort_code = messages::ENotDeletable)]
fun object_id_of_permanent_aborts() {
    messages::permanent().object_id();
}

#[test]
fun event_blob_message_is_permanent() {
    let msg = messages::certified_event_blob_message(BLOB_ID);
    assert_eq!(msg.certified_blob_id(), BLOB_ID);
    assert!(!msg.blob_persistence_type().is_deletable());
}

#[test]
fun trailing_bytes_are_ignored() {
    let mut bytes = messages::certified_blob_message_bytes_for_testing(7, BLOB_ID, messages::permanent());
    bytes.append(x"DEADBEEF");
    let blob_msg = messages::new_certified_message(bytes, 7, 9).certify_blob_message();
    assert_eq!(blob_msg.certified_blob_id(), BLOB_ID);
}

#[test, expected_failure(abort_code = messages::EInvalidMsgType)]
fun blob_message_with_wrong_intent_aborts() {
    let bytes = messages::invalid_blob_id_message_bytes_for_testing(7, BLOB_ID);
    messages::new_certified_message(bytes, 7, 9).certify_blob_message();
}

#[test, expected_failure(abort_code = messages::EInvalidBlobPersistenceType)]
fun unknown_persistence_tag_aborts() {
    let blob_id = BLOB_ID;
    let mut body = sui::bcs::to_bytes(&blob_id);
    body.push_back(2);
    let bytes = messages::message_bytes_for_testing(1, 7, body);
    messages::new_certified_message(bytes, 7, 9).certify_blob_message();
}

#[test, expected_failure(abort_code = sui::bcs::EOutOfRange)]
fun truncated_blob_message_aborts() {
    let bytes = messages::message_bytes_for_testing(1, 7, x"0102");
    messages::new_certified_message(bytes, 7, 9).certify_blob_message();
}

#[test]
fun invalid_blob_id_message() {
    let bytes = messages::invalid_blob_id_message_bytes_for_testing(7, BLOB_ID);
    assert_eq!(bytes.length(), 7 + 32);
    let msg = messages::new_certified_message(bytes, 7, 4).invalid_blob_id_message();
    assert_eq!(msg.invalid_blob_id(), BLOB_ID);
}

#[test, expected_failure(abort_code = messages::EInvalidMsgType)]
fun invalid_blob_id_message_with_wrong_intent_aborts() {
    let bytes = messages::certified_blob_message_bytes_for_testing(7, BLOB_ID, messages::permanent());
    messages::new_certified_message(bytes, 7, 9).invalid_blob_id_message();
}

#[test]
fun constants() {
    assert_eq!(messages::proof_of_possession_msg_type(), 0);
    assert_eq!(messages::blob_cert_msg_type(), 1);
    assert_eq!(messages::invalid_blob_id_msg_type(), 2);
    assert_eq!(messages::intent_version_value(), 0);
    assert_eq!(messages::app_id(), 3);
}

#[test]
fun protocol_version_message() {
    let mut body = sui::bcs::to_bytes(&12u32);
    body.append(sui::bcs::to_bytes(&3u64));
    let bytes = messages::message_bytes_for_testing(6, 7, body);
    let msg = messages::new_certified_message(bytes, 7, 9).protocol_version_message();
    assert_eq!(msg.start_epoch(), 12);
    assert_eq!(msg.protocol_version(), 3);
}

#[test, expected_failure(abort_code = messages::EInvalidMsgType)]
fun protocol_version_message_with_wrong_intent_aborts() {
    let bytes = messages::message_bytes_for_testing(4, 7, x"0c000000");
    messages::new_certified_message(bytes, 7, 9).protocol_version_message();
}

#[test]
fun deny_list_update_message() {
    let node = @0xA11CE;
    let mut body = sui::bcs::to_bytes(&node);
    body.append(sui::bcs::to_bytes(&5u64));
    body.append(sui::bcs::to_bytes(&4096u64));
    body.append(sui::bcs::to_bytes(&0xABCDu256));
    let bytes = messages::message_bytes_for_testing(4, 7, body);
    let msg = messages::new_certified_message(bytes, 7, 9).deny_list_update_message();
    assert_eq!(msg.storage_node_id(), node.to_id());
    assert_eq!(msg.sequence_number(), 5);
    assert_eq!(msg.size(), 4096);
    assert_eq!(msg.root(), 0xABCD);
}

#[test, expected_failure(abort_code = messages::EInvalidMsgType)]
fun deny_list_update_message_with_wrong_intent_aborts() {
    let bytes = messages::message_bytes_for_testing(5, 7, x"00");
    messages::new_certified_message(bytes, 7, 9).deny_list_update_message();
}

#[test]
fun deny_list_blob_deleted_message() {
    let blob_id = BLOB_ID;
    let bytes = messages::message_bytes_for_testing(5, 7, sui::bcs::to_bytes(&blob_id));
    let msg = messages::new_certified_message(bytes, 7, 9).deny_list_blob_deleted_message();
    assert_eq!(msg.blob_id(), BLOB_ID);
}

#[test, expected_failure(abort_code = messages::EInvalidMsgType)]
fun deny_list_blob_deleted_message_with_wrong_intent_aborts() {
    let blob_id = BLOB_ID;
    let bytes = messages::message_bytes_for_testing(2, 7, sui::bcs::to_bytes(&blob_id));
    messages::new_certified_message(bytes, 7, 9).deny_list_blob_deleted_message();
}

#[test]
fun proof_of_possession_message_bytes() {
    let key = x"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf";
    let msg = messages::new_proof_of_possession_msg(258, @0x42, key);
    let mut expected = x"000003";
    expected.append(x"02010000");
    expected.append(sui::bcs::to_bytes(&@0x42));
    expected.append(key);
    assert_eq!(msg.to_bcs(), expected);
}

#[test, expected_failure(abort_code = messages::EInvalidKeyLength)]
fun proof_of_possession_key_of_wrong_length_aborts() {
    messages::new_proof_of_possession_msg(1, @0x42, x"0102");
}
