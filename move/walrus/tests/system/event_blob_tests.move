#[test_only]
module walrus::event_blob_tests;

use std::unit_test::assert_eq;
use walrus::event_blob;

#[test]
fun tracking_weights_and_certification() {
    let mut state = event_blob::create_with_empty_state();
    assert_eq!(state.get_latest_certified_blob_id(), option::none());
    assert!(!state.is_blob_already_certified(10));
    state.start_tracking_blob(0xAA, 10);
    state.start_tracking_blob(0xAA, 10);
    state.start_tracking_blob(0xBB, 10);
    assert_eq!(state.get_num_tracked_blobs(), 2);
    assert_eq!(state.update_aggregate_weight(0xAA, 10, 3), 3);
    assert_eq!(state.update_aggregate_weight(0xAA, 10, 4), 7);
    state.update_latest_certified_event_blob(10, 0xAA);
    state.reset();
    assert_eq!(state.get_num_tracked_blobs(), 0);
    assert_eq!(state.get_latest_certified_blob_id(), option::some(0xAA));
    assert_eq!(state.get_latest_certified_checkpoint_sequence_number(), option::some(10));
    assert!(state.is_blob_already_certified(10));
    assert!(state.is_blob_already_certified(9));
    assert!(!state.is_blob_already_certified(11));
    state.destroy_for_testing();
}

#[test, expected_failure(abort_code = event_blob::EInvalidSequenceNumber)]
fun certifying_an_older_blob_aborts() {
    let mut state = event_blob::create_with_empty_state();
    state.update_latest_certified_event_blob(10, 0xAA);
    state.update_latest_certified_event_blob(10, 0xBB);
    abort
}

#[test]
fun attestations() {
    let a = event_blob::new_attestation(42, 3);
    assert_eq!(a.last_attested_event_blob_checkpoint_seq_num(), 42);
    assert_eq!(a.last_attested_event_blob_epoch(), 3);
    let blob = event_blob::new_event_blob(42, 0xCC);
    assert_eq!(blob.blob_id(), 0xCC);
    assert_eq!(blob.ending_checkpoint_sequence_number(), 42);
}
