#[test_only]
module walrus::availability_tests;

use std::unit_test::{assert_eq, destroy};
use walrus::availability;
use walrus::shared_blob;
use walrus::test_utils::{Self, wal};

#[test]
fun registered_blob_is_not_available() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    assert!(!availability::is_certified(&blob));
    assert!(!availability::is_available_now(&blob, &system));
    assert_eq!(availability::available_until(&blob, &system), option::none());
    assert!(!availability::is_available_until(&blob, &system, 4));
    assert!(availability::is_permanent(&blob));
    destroy(blob);
    system.destroy_for_testing();
}

#[test]
fun certified_blob_is_available_until_its_end_epoch() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, true, &mut ctx);
    test_utils::certify(&system, &mut blob);
    assert!(availability::is_certified(&blob));
    assert!(availability::is_available_now(&blob, &system));
    assert_eq!(availability::available_until(&blob, &system), option::some(5));
    assert!(availability::is_available_until(&blob, &system, 5));
    assert!(!availability::is_available_until(&blob, &system, 6));
    assert!(!availability::is_permanent(&blob));
    availability::assert_available_until(&blob, &system, 5);
    availability::assert_available_until(&blob, &system, 3);
    // Epoch 4 is the last available epoch; in epoch 5 it has expired.
    system.set_committee_for_testing(test_utils::committee(4));
    assert!(availability::is_available_now(&blob, &system));
    system.set_committee_for_testing(test_utils::committee(5));
    assert!(!availability::is_available_now(&blob, &system));
    assert_eq!(availability::available_until(&blob, &system), option::none());
    destroy(blob);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = availability::ENotCertified)]
fun assert_available_until_uncertified_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    availability::assert_available_until(&blob, &system, 4);
    abort
}

#[test, expected_failure(abort_code = availability::EExpired)]
fun assert_available_until_expired_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    system.set_committee_for_testing(test_utils::committee(5));
    availability::assert_available_until(&blob, &system, 5);
    abort
}

#[test, expected_failure(abort_code = availability::EExpiresTooEarly)]
fun assert_available_until_too_late_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    availability::assert_available_until(&blob, &system, 6);
    abort
}

#[test]
fun assert_permanent_until_accepts_permanent_blobs() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    availability::assert_permanent_until(&blob, &system, 5);
    destroy(blob);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = availability::ENotPermanent)]
fun assert_permanent_until_deletable_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, true, &mut ctx);
    test_utils::certify(&system, &mut blob);
    availability::assert_permanent_until(&blob, &system, 5);
    abort
}

#[test, expected_failure(abort_code = availability::ENotCertified)]
fun assert_permanent_until_uncertified_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    availability::assert_permanent_until(&blob, &system, 5);
    abort
}

#[test]
fun shared_blob_views() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    let shared = shared_blob::new_for_testing(blob, wal(0, &mut ctx), &mut ctx);
    assert!(availability::shared_is_certified(&shared));
    assert!(availability::shared_is_available_now(&shared, &system));
    assert_eq!(availability::shared_available_until(&shared, &system), option::some(5));
    assert!(availability::shared_is_permanent(&shared));
    availability::shared_assert_available_until(&shared, &system, 5);
    destroy(shared);
    system.destroy_for_testing();
}

#[test, expected_failure(abort_code = availability::EExpiresTooEarly)]
fun shared_assert_available_until_too_late_aborts() {
    let mut ctx = tx_context::dummy();
    let mut system = test_utils::system(3, &mut ctx);
    let mut blob = test_utils::register_blob(&mut system, 2, false, &mut ctx);
    test_utils::certify(&system, &mut blob);
    let shared = shared_blob::new_for_testing(blob, wal(0, &mut ctx), &mut ctx);
    availability::shared_assert_available_until(&shared, &system, 9);
    abort
}

#[test]
fun error_code_getters() {
    assert_eq!(availability::e_not_certified(), 0);
    assert_eq!(availability::e_expired(), 1);
    assert_eq!(availability::e_expires_too_early(), 2);
    assert_eq!(availability::e_not_permanent(), 3);
}
