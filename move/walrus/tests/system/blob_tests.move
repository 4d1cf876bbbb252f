#[test_only]
module walrus::blob_tests;

use std::unit_test::{assert_eq, destroy};
use sui::bcs;
use sui::event;
use walrus::blob;
use walrus::bls_aggregate;
use walrus::encoding;
use walrus::events;
use walrus::messages;
use walrus::metadata;
use walrus::storage_resource;
use walrus::system;
use walrus::test_utils::{Self, blob_id, root_hash, size, signature, all_signers};

// === Blob id derivation ===

#[test]
fun derive_blob_id_matches_the_encoder() {
    // ENCODING.md section 10, V3 (hello walrus, n = 10) and V5 (empty, n = 1000). Root hash and
    // blob id are the little-endian integers of their 32 bytes.
    let root = bcs::new(x"8d73426967a532d3bc1aab4bc9df2fa6009eaa505cba626cd86449ea2fe0b82b").peel_u256();
    let expected = bcs::new(x"e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f").peel_u256();
    assert_eq!(blob::derive_blob_id(root, 1, 12), expected);
    assert_eq!(
        expected,
        36158901179395618125763178839711849645138859724048530735617212903418184863462,
    );
    let root = bcs::new(x"e3fb10a9d88c9e7157c5e112dd6916e44011f5a9d6460bced51ebacf9308e1da").peel_u256();
    let expected = bcs::new(x"dc63d02f71d936716137f17b97901af97d553ad00ac08b20f73b9693c47cd6fe").peel_u256();
    assert_eq!(blob::derive_blob_id(root, 1, 0), expected);
    // The size is part of the preimage (V5 vs V6).
    let v6 = bcs::new(x"8a42e4a0a6ce187e8fee467203bf3f18e267a0e8e46c8d653981f923bed08bb6").peel_u256();
    assert_eq!(blob::derive_blob_id(root, 1, 1), v6);
}

// === Registration ===

#[test]
fun register_checks_and_emits() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let blob = test_utils::register_blob(&mut system, 2, true, &mut ctx);
    assert_eq!(blob.registered_epoch(), 3);
    assert_eq!(blob.blob_id(), blob_id());
    assert_eq!(blob.size(), size());
    assert_eq!(blob.encoding_type(), 1);
    assert_eq!(*blob.certified_epoch(), option::none());
    assert!(!blob.is_certified());
    assert!(blob.is_deletable());
    assert_eq!(blob.end_epoch(), 5);
    assert_eq!(blob.storage().start_epoch(), 3);
    assert_eq!(blob.storage().size(), 3_935_480);
    assert_eq!(blob.encoded_size(10), 3_935_480);
    let registered = event::events_by_type<events::BlobRegistered>();
    assert_eq!(registered.length(), 1);
    assert_eq!(
        registered[0],
        events::blob_registered(3, blob_id(), size(), 1, 5, true, blob.object_id()),
    );
    destroy(blob);
    system.destroy_for_testing();
}

fun register_with(storage: storage_resource::Storage, blob_id: u256, encoding_type: u8) {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut payment = test_utils::wal(1_000_000, &mut ctx);
    let blob = system.register_blob(
        storage,
        blob_id,
        root_hash(),
        size(),
        encoding_type,
        false,
        &mut payment,
        &mut ctx,
    );
    destroy(blob);
    destroy(payment);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = blob::EResourceBounds)]
fun register_with_storage_not_started_aborts() {
    let mut ctx = tx_context::dummy();
    register_with(storage_resource::create_for_test(4, 6, 3_935_480, &mut ctx), blob_id(), 1);
}

#[test, expected_failure(abort_code = blob::EResourceBounds)]
fun register_with_expired_storage_aborts() {
    let mut ctx = tx_context::dummy();
    register_with(storage_resource::create_for_test(1, 3, 3_935_480, &mut ctx), blob_id(), 1);
}

#[test, expected_failure(abort_code = blob::EResourceSize)]
fun register_with_too_small_storage_aborts() {
    let mut ctx = tx_context::dummy();
    register_with(storage_resource::create_for_test(3, 5, 3_935_479, &mut ctx), blob_id(), 1);
}

#[test, expected_failure(abort_code = blob::EInvalidBlobId)]
fun register_with_wrong_blob_id_aborts() {
    let mut ctx = tx_context::dummy();
    register_with(storage_resource::create_for_test(3, 5, 3_935_480, &mut ctx), blob_id() + 1, 1);
}

#[test, expected_failure(abort_code = encoding::EInvalidEncodingType)]
fun register_with_raptorq_aborts() {
    let mut ctx = tx_context::dummy();
    register_with(storage_resource::create_for_test(3, 5, 3_935_480, &mut ctx), blob_id(), 0);
}

// === Certification ===

#[test]
fun certify_sets_epoch_and_emits() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    assert_eq!(*blob.certified_epoch(), option::some(3));
    assert!(blob.is_certified());
    let certified = event::events_by_type<events::BlobCertified>();
    assert_eq!(certified.length(), 1);
    assert_eq!(certified[0], events::blob_certified(3, blob_id(), 5, false, blob.object_id(), false));
    destroy(blob);
    system.destroy_for_testing();
}

#[test]
fun certify_deletable_blob_with_its_object_id() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, true, &mut ctx);
    let message = messages::certified_blob_message_bytes_for_testing(
        3,
        blob_id(),
        messages::deletable(blob.object_id()),
    );
    system.certify_blob(&mut blob, signature(), all_signers(), message);
    assert!(blob.is_certified());
    destroy(blob);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = blob::EAlreadyCertified)]
fun certify_twice_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    test_utils::certify(&system, &mut blob);
    abort
}

#[test, expected_failure(abort_code = blob::EInvalidBlobId)]
fun certify_with_another_blob_id_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    let message = messages::certified_blob_message_bytes_for_testing(3, blob_id() + 1, messages::permanent());
    system.certify_blob(&mut blob, signature(), all_signers(), message);
    abort
}

#[test, expected_failure(abort_code = blob::EResourceBounds)]
fun certify_expired_blob_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    system.set_committee_for_testing(test_utils::committee(5));
    test_utils::certify(&system, &mut blob);
    abort
}

#[test, expected_failure(abort_code = blob::EInvalidBlobPersistenceType)]
fun certify_permanent_blob_with_deletable_message_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    let message = messages::certified_blob_message_bytes_for_testing(
        3,
        blob_id(),
        messages::deletable(blob.object_id()),
    );
    system.certify_blob(&mut blob, signature(), all_signers(), message);
    abort
}

#[test, expected_failure(abort_code = blob::EInvalidBlobPersistenceType)]
fun certify_deletable_blob_with_permanent_message_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, true, &mut ctx);
    let message = messages::certified_blob_message_bytes_for_testing(3, blob_id(), messages::permanent());
    system.certify_blob(&mut blob, signature(), all_signers(), message);
    abort
}

#[test, expected_failure(abort_code = blob::EInvalidBlobObject)]
fun certify_deletable_blob_with_another_object_id_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, true, &mut ctx);
    let message = messages::certified_blob_message_bytes_for_testing(
        3,
        blob_id(),
        messages::deletable(@0xBAD.to_id()),
    );
    system.certify_blob(&mut blob, signature(), all_signers(), message);
    abort
}

#[test, expected_failure(abort_code = bls_aggregate::ENotEnoughStake)]
fun certify_without_quorum_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    let message = blob.certification_message_for_testing(3);
    // Members 0, 1 and 3: 3 + 3 + 1 = 7 of 10 would be a quorum; 0 and 3 (4 shards) is not.
    system.certify_blob(&mut blob, signature(), x"09", message);
    abort
}

// === Burn and metadata ===

#[test]
fun burn_destroys_blob_with_metadata() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    blob.insert_or_update_metadata_pair(b"k".to_string(), b"v".to_string());
    blob.burn();
    system.destroy_for_testing();
}

#[test]
fun metadata_lifecycle() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    assert!(!blob.has_metadata());
    assert_eq!(blob.remove_metadata_pair_if_exists(&b"k".to_string()), option::none());
    let mut m = metadata::new();
    m.insert_or_update(b"content-type".to_string(), b"text/plain".to_string());
    blob.add_metadata(m);
    assert!(blob.has_metadata());
    blob.insert_or_update_metadata_pair(b"name".to_string(), b"x".to_string());
    assert_eq!(blob.metadata().metadata().length(), 2);
    let (key, value) = blob.remove_metadata_pair(&b"name".to_string());
    assert_eq!(key, b"name".to_string());
    assert_eq!(value, b"x".to_string());
    assert_eq!(
        blob.remove_metadata_pair_if_exists(&b"content-type".to_string()),
        option::some(b"text/plain".to_string()),
    );
    let old = blob.add_or_replace_metadata(metadata::new());
    assert_eq!(old.map!(|m| m.metadata().length()), option::some(0));
    let taken = blob.take_metadata();
    assert_eq!(taken.metadata().length(), 0);
    assert!(!blob.has_metadata());
    // insert_or_update creates the metadata when missing.
    blob.insert_or_update_metadata_pair(b"a".to_string(), b"b".to_string());
    assert_eq!(*blob.metadata().metadata().get(&b"a".to_string()), b"b".to_string());
    destroy(blob);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = blob::EDuplicateMetadata)]
fun add_metadata_twice_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    blob.add_metadata(metadata::new());
    blob.add_metadata(metadata::new());
    abort
}

#[test, expected_failure(abort_code = blob::EMissingMetadata)]
fun take_missing_metadata_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    blob.take_metadata();
    abort
}

#[test, expected_failure(abort_code = blob::EMissingMetadata)]
fun remove_pair_without_metadata_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    blob.remove_metadata_pair(&b"k".to_string());
    abort
}

#[test, expected_failure(abort_code = blob::EMissingMetadata)]
fun read_missing_metadata_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    blob.metadata();
    abort
}

#[test]
fun version_is_one() {
    let mut ctx = tx_context::dummy();
    let system = test_utils::system(3, &mut ctx);
    assert_eq!(system.version(), 3);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = system::EWrongVersion)]
fun wrong_version_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    system.set_version_for_testing(2);
    system.epoch();
    abort
}

#[test]
fun package_extension_helpers() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    blob.assert_certified_not_expired(4);
    blob.extend_end_epoch(1, 3);
    assert_eq!(blob.end_epoch(), 6);
    let extension = storage_resource::create_for_test(6, 8, blob.storage().size(), &mut ctx);
    blob.extend_with_resource(extension, 5);
    assert_eq!(blob.end_epoch(), 8);
    destroy(blob);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = blob::EResourceBounds)]
fun assert_certified_not_expired_at_end_epoch_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    blob.assert_certified_not_expired(5);
    abort
}

#[test, expected_failure(abort_code = blob::EResourceBounds)]
fun extend_with_preceding_resource_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    // Adjacent but before the blob: fuse_periods would accept it, an extension must not.
    let extension = storage_resource::create_for_test(1, 3, blob.storage().size(), &mut ctx);
    blob.extend_with_resource(extension, 3);
    abort
}
