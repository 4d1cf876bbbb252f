//! The Move system tests with exact prices, capacity, extension, deletion, invalidation,
//! subsidies and epoch change, run through the ledger engine. Each test names its Move twin
//! in `move/walrus/tests/system/` (file::function) and uses the same inputs and numbers.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod walrus_support;

use walrus_chain::types::ObjectId;
use walrus_chain::walrus::errors::{
    balance, blob, bls_aggregate, messages, storage_resource, system_state_inner as ssi, vec_map,
};
use walrus_chain::walrus::{Call, CoinCall, GenesisConfig, SystemCall, WalrusObject};
use walrus_core::contracts::{
    BlobCertified, BlobDeleted, ContractEvent, DenyListBlobDeleted, DenyListUpdate, EpochParams,
    InvalidBlobId, MetadataEntry, ProtocolVersionUpdated, RegisterDenyListUpdate,
};
use walrus_support::*;

fn reserve(world: &World, who: &Account, amount: u64, epochs: u32, payment: ObjectId) -> ObjectId {
    let record = world.call(
        who,
        Call::System(SystemCall::ReserveSpace {
            storage_amount: amount,
            epochs_ahead: epochs,
            payment,
        }),
    );
    created(&record, "::storage_resource::Storage")
}

fn reserve_for_epochs(
    world: &World,
    who: &Account,
    amount: u64,
    start: u32,
    end: u32,
    payment: ObjectId,
) -> ObjectId {
    let record = world.call(
        who,
        Call::System(SystemCall::ReserveSpaceForEpochs {
            storage_amount: amount,
            start_epoch: start,
            end_epoch: end,
            payment,
        }),
    );
    created(&record, "::storage_resource::Storage")
}

fn extend(blob: ObjectId, extended_epochs: u32, payment: ObjectId) -> Call {
    Call::System(SystemCall::ExtendBlob {
        blob,
        extended_epochs,
        payment,
    })
}

fn params(capacity: u64) -> EpochParams {
    EpochParams {
        total_capacity_size: capacity,
        storage_price_per_unit_size: 0,
        write_price_per_unit_size: 0,
    }
}

fn subsidy(world: &World, who: &Account, amount: u64, epochs_ahead: u32) {
    let coin = world.wal(who, amount);
    world.call(
        who,
        Call::System(SystemCall::AddSubsidy {
            subsidy: coin,
            epochs_ahead,
        }),
    );
}

// === create_empty (the genesis System) ===

/// Mirrors system_tests::create_empty_shares_an_empty_system.
#[test]
fn genesis_system_is_empty() {
    let world = World::with_config(GenesisConfig {
        max_epochs_ahead: 53,
        ..GenesisConfig::default()
    });
    let s = world.system();
    assert_eq!(s.committee.epoch, 0);
    assert_eq!(s.committee.n_shards, 0);
    assert!(s.committee.members.is_empty());
    assert_eq!(s.total_capacity_size, 0);
    assert_eq!(s.used_capacity_size, 0);
    assert_eq!(s.storage_price_per_unit_size, 0);
    assert_eq!(s.write_price_per_unit_size, 0);
    assert_eq!(s.future_accounting.length, 53);
    match world.object(&world.system_id()) {
        WalrusObject::System(o) => {
            assert_eq!(o.system.version, 3);
            assert_eq!(
                o.system.package_id.0,
                walrus_chain::walrus::WALRUS_PACKAGE.into_inner()
            );
            assert_eq!(o.system.new_package_id, None);
        }
        other => panic!("{other:?}"),
    }
    // The registry at 0x5 names it.
    let registry = world
        .ledger
        .with_objects(walrus_chain::walrus::WalrusMachine::registry)
        .unwrap();
    assert_eq!(registry.system, world.system_id());
    assert_eq!(
        world
            .ledger
            .object(&walrus_chain::walrus::REGISTRY_ID)
            .unwrap()
            .owner,
        walrus_chain::types::Owner::Immutable
    );
}

/// Mirrors system_tests::create_empty_with_zero_window_aborts and
/// create_empty_with_too_large_window_aborts (and accepts 1000): genesis fails.
#[test]
fn genesis_checks_the_window() {
    for (window, ok) in [(0u32, false), (1000, true), (1001, false)] {
        let world = World::with_config(GenesisConfig {
            max_epochs_ahead: window,
            ..GenesisConfig::default()
        });
        let genesis = world.ledger.read_records(0, 1).unwrap().remove(0);
        match genesis.status {
            walrus_chain::types::ExecutionStatus::Success => assert!(ok, "{window}"),
            walrus_chain::types::ExecutionStatus::Failure(f) => {
                assert!(!ok, "{window}");
                assert!(ssi::EInvalidMaxEpochsAhead.matches(&f));
            }
        }
    }
}

// === reserve_space ===

/// Mirrors system_tests::reserve_space_charges_per_unit_per_epoch.
#[test]
fn reserve_space_charges_per_unit_per_epoch() {
    let world = World::test_system(3);
    let a = alice();
    let payment = world.wal(&a, 100);
    // 3,000,000 bytes = 3 units (rounded up); 5 FROST * 3 units * 3 epochs = 45.
    let storage = reserve(&world, &a, 3_000_000, 3, payment);
    assert_eq!(world.coin_value(&payment), 55);
    let s = world.storage(&storage);
    assert_eq!(
        (s.start_epoch, s.end_epoch, s.storage_size),
        (3, 6, 3_000_000)
    );
    assert_eq!(world.rewards_at(0), 15);
    assert_eq!(world.rewards_at(1), 15);
    assert_eq!(world.rewards_at(2), 15);
    assert_eq!(world.rewards_at(3), 0);
    assert_eq!(world.system().used_capacity_size, 3_000_000);
    assert_eq!(world.used_capacity_at(2), 3_000_000);
    assert_eq!(world.used_capacity_at(3), 0);
}

/// Mirrors system_tests::reserve_space_unit_rounding.
#[test]
fn reserve_space_unit_rounding() {
    let world = World::test_system(3);
    let a = alice();
    let payment = world.wal(&a, 100);
    // Exactly 1 MiB is 1 unit; one byte more is 2 units.
    reserve(&world, &a, 1_048_576, 1, payment);
    assert_eq!(world.coin_value(&payment), 95);
    reserve(&world, &a, 1_048_577, 1, payment);
    assert_eq!(world.coin_value(&payment), 85);
    reserve(&world, &a, 1, 1, payment);
    assert_eq!(world.coin_value(&payment), 80);
}

/// Mirrors system_tests::reserve_space_up_to_the_window.
#[test]
fn reserve_space_up_to_the_window() {
    let world = World::test_system(3);
    let a = alice();
    let payment = world.wal(&a, 1_000);
    let storage = reserve(&world, &a, 1, 104, payment);
    assert_eq!(world.storage(&storage).end_epoch, 107);
    assert_eq!(world.coin_value(&payment), 1_000 - 5 * 104);
}

/// Mirrors system_tests::reserve_space_for_zero_epochs_aborts, reserve_space_past_the_window_aborts,
/// reserve_space_for_u32_max_epochs_aborts, reserve_zero_bytes_aborts and
/// reserve_space_underpaid_aborts.
#[test]
fn reserve_space_aborts() {
    let world = World::test_system(3);
    let a = alice();
    let payment = world.wal(&a, 1_000);
    let call = |amount: u64, epochs: u32, payment: ObjectId| {
        Call::System(SystemCall::ReserveSpace {
            storage_amount: amount,
            epochs_ahead: epochs,
            payment,
        })
    };
    world.assert_aborts(&a, call(1, 0, payment), ssi::EInvalidEpochsAhead);
    world.assert_aborts(&a, call(1, 105, payment), ssi::EInvalidEpochsAhead);
    world.assert_aborts(&a, call(1, 0xFFFF_FFFF, payment), ssi::EInvalidEpochsAhead);
    world.assert_aborts(&a, call(0, 1, payment), ssi::EInvalidResourceSize);
    let small = world.wal(&a, 44);
    world.assert_aborts(&a, call(3_000_000, 3, small), balance::ENotEnough);
    assert_eq!(world.coin_value(&small), 44);
}

/// Mirrors system_tests::reserve_space_checks_capacity_per_epoch.
#[test]
fn reserve_space_checks_capacity_per_epoch() {
    let world = World::new_for_testing(3, 10, 1000, 0, 0);
    let a = alice();
    let payment = world.wal(&a, 0);
    reserve(&world, &a, 600, 2, payment);
    // Epoch 3 and 4 have 400 left, epoch 5 is free.
    reserve(&world, &a, 400, 2, payment);
    reserve_for_epochs(&world, &a, 1000, 5, 6, payment);
    assert_eq!(world.system().used_capacity_size, 1000);
    assert_eq!(world.used_capacity_at(2), 1000);
}

/// Mirrors system_tests::reserve_space_over_capacity_aborts.
#[test]
fn reserve_space_over_capacity_aborts() {
    let world = World::new_for_testing(3, 10, 1000, 0, 0);
    let a = alice();
    let payment = world.wal(&a, 0);
    reserve(&world, &a, 600, 2, payment);
    world.assert_aborts(
        &a,
        Call::System(SystemCall::ReserveSpaceForEpochs {
            storage_amount: 401,
            start_epoch: 4,
            end_epoch: 5,
            payment,
        }),
        ssi::EStorageExceeded,
    );
}

/// Mirrors system_tests::reserve_space_for_epochs_clamps_the_start.
#[test]
fn reserve_space_for_epochs_clamps_the_start() {
    let world = World::test_system(3);
    let a = alice();
    let payment = world.wal(&a, 100);
    let storage = reserve_for_epochs(&world, &a, 1_048_576, 1, 5, payment);
    let s = world.storage(&storage);
    assert_eq!((s.start_epoch, s.end_epoch), (3, 5));
    assert_eq!(world.coin_value(&payment), 90);
    let later = reserve_for_epochs(&world, &a, 1_048_576, 6, 8, payment);
    assert_eq!(world.storage(&later).start_epoch, 6);
    assert_eq!(world.rewards_at(2), 0);
    assert_eq!(world.rewards_at(3), 5);
    assert_eq!(world.rewards_at(4), 5);
    assert_eq!(world.used_capacity_at(2), 0);
    assert_eq!(world.used_capacity_at(3), 1_048_576);
}

/// Mirrors system_tests::reserve_space_for_empty_period_aborts and
/// reserve_space_for_epochs_past_the_window_aborts.
#[test]
fn reserve_space_for_epochs_aborts() {
    let world = World::test_system(3);
    let a = alice();
    let payment = world.wal(&a, 1_000);
    let call = |start: u32, end: u32| {
        Call::System(SystemCall::ReserveSpaceForEpochs {
            storage_amount: 1,
            start_epoch: start,
            end_epoch: end,
            payment,
        })
    };
    world.assert_aborts(&a, call(2, 3), ssi::EInvalidEpochsAhead);
    world.assert_aborts(&a, call(100, 108), ssi::EInvalidEpochsAhead);
}

// === register_blob ===

/// Mirrors system_tests::register_blob_charges_the_write_price.
#[test]
fn register_blob_charges_the_write_price() {
    let world = World::new_for_testing(3, 10, 1_000_000_000, 5, 7);
    let (_, payment) = world.reserve_and_register(&alice(), 1_000, ENCODED, 2, false);
    // 4 units * 5 * 2 epochs = 40, then the write fee 4 units * 7 = 28 into the current epoch.
    assert_eq!(world.coin_value(&payment), 932);
    assert_eq!(world.rewards_at(0), 20 + 28);
    assert_eq!(world.rewards_at(1), 20);
}

/// Mirrors system_tests::register_blob_underpaid_aborts.
#[test]
fn register_blob_underpaid_aborts() {
    let world = World::new_for_testing(3, 10, 1_000_000_000, 5, 7);
    let a = alice();
    let payment = world.wal(&a, 40 + 27);
    let storage = reserve(&world, &a, ENCODED, 2, payment);
    world.assert_aborts(
        &a,
        Call::System(SystemCall::RegisterBlob {
            storage,
            blob_id: blob_id(),
            root_hash: root_hash(),
            size: SIZE,
            encoding_type: 1,
            deletable: false,
            write_payment: payment,
        }),
        balance::ENotEnough,
    );
    // The storage is still the sender's.
    assert_eq!(world.storage(&storage).storage_size, ENCODED);
}

/// Mirrors blob_tests::register_with_* (bounds, size, blob id, RaptorQ): the same aborts.
#[test]
fn register_blob_aborts() {
    let world = World::test_system(3);
    let a = alice();
    let payment = world.wal(&a, 1_000);
    let call = |storage: ObjectId, blob_id, encoding_type| {
        Call::System(SystemCall::RegisterBlob {
            storage,
            blob_id,
            root_hash: root_hash(),
            size: SIZE,
            encoding_type,
            deletable: false,
            write_payment: payment,
        })
    };
    let not_started = reserve_for_epochs(&world, &a, ENCODED, 4, 6, payment);
    world.assert_aborts(&a, call(not_started, blob_id(), 1), blob::EResourceBounds);
    let too_small = reserve(&world, &a, ENCODED - 1, 2, payment);
    world.assert_aborts(&a, call(too_small, blob_id(), 1), blob::EResourceSize);
    let good = reserve(&world, &a, ENCODED, 2, payment);
    world.assert_aborts(&a, call(good, u256(1), 1), blob::EInvalidBlobId);
    world.assert_aborts(
        &a,
        call(good, blob_id(), 0),
        walrus_chain::walrus::errors::encoding::EInvalidEncodingType,
    );
    world.advance_epoch();
    world.advance_epoch();
    world.assert_aborts(&a, call(good, blob_id(), 1), blob::EResourceBounds);
}

// === extend_blob ===

/// Mirrors system_tests::extend_blob_charges_per_added_epoch_and_emits.
#[test]
fn extend_blob_charges_per_added_epoch_and_emits() {
    let world = World::test_system(3);
    let a = alice();
    let blob_obj = world.register_blob(&a, 2, false);
    world.certify(&a, &blob_obj);
    let rewards_before = world.rewards_at(2);
    let payment = world.wal(&a, 100);
    let record = world.call(&a, extend(blob_obj, 3, payment));
    // 4 units * 5 * 3 epochs = 60.
    assert_eq!(world.coin_value(&payment), 40);
    assert_eq!(world.blob(&blob_obj).blob.end_epoch(), 8);
    assert_eq!(world.rewards_at(2), rewards_before + 20);
    assert_eq!(world.rewards_at(4), 20);
    assert_eq!(world.rewards_at(5), 0);
    assert_eq!(world.used_capacity_at(4), ENCODED);
    assert_eq!(
        events(&record),
        vec![ContractEvent::BlobCertified(BlobCertified {
            epoch: 3,
            blob_id: blob_id(),
            end_epoch: 8,
            deletable: false,
            object_id: move_id(&blob_obj),
            is_extension: true,
        })]
    );
}

/// Mirrors system_tests::extend_blob_up_to_the_window.
#[test]
fn extend_blob_up_to_the_window() {
    let world = World::test_system(3);
    let a = alice();
    let blob_obj = world.register_blob(&a, 2, false);
    world.certify(&a, &blob_obj);
    let payment = world.wal(&a, 10_000);
    world.call(&a, extend(blob_obj, 102, payment));
    assert_eq!(world.blob(&blob_obj).blob.end_epoch(), 107);
}

/// Mirrors system_tests::extend_blob_past_the_window_aborts, extend_blob_by_zero_aborts,
/// extend_uncertified_blob_aborts, extend_expired_blob_aborts, extend_blob_underpaid_aborts.
#[test]
fn extend_blob_aborts() {
    let world = World::test_system(3);
    let a = alice();
    let uncertified = world.register_blob(&a, 2, false);
    let blob_obj = world.register_blob(&a, 2, false);
    world.certify(&a, &blob_obj);
    let payment = world.wal(&a, 10_000);
    world.assert_aborts(&a, extend(blob_obj, 103, payment), ssi::EInvalidEpochsAhead);
    world.assert_aborts(&a, extend(blob_obj, 0, payment), ssi::EInvalidEpochsAhead);
    world.assert_aborts(&a, extend(uncertified, 1, payment), blob::ENotCertified);
    let small = world.wal(&a, 59);
    world.assert_aborts(&a, extend(blob_obj, 3, small), balance::ENotEnough);
    world.ok(&admin(), TestCall::SetCommitteeForTesting(committee(5)));
    world.assert_aborts(&a, extend(blob_obj, 1, payment), blob::EResourceBounds);
}

/// Mirrors system_tests::extend_blob_over_capacity_aborts.
#[test]
fn extend_blob_over_capacity_aborts() {
    let world = World::new_for_testing(3, 10, ENCODED, 0, 0);
    let a = alice();
    let blob_obj = world.register_blob(&a, 2, false);
    world.certify(&a, &blob_obj);
    let payment = world.wal(&a, 0);
    reserve_for_epochs(&world, &a, 1, 6, 7, payment);
    world.assert_aborts(&a, extend(blob_obj, 2, payment), ssi::EStorageExceeded);
}

// === extend_blob_with_resource ===

fn extend_with(blob: ObjectId, extension: ObjectId) -> Call {
    Call::System(SystemCall::ExtendBlobWithResource { blob, extension })
}

/// Mirrors system_tests::extend_blob_with_resource_fuses_and_emits.
#[test]
fn extend_blob_with_resource_fuses_and_emits() {
    let world = World::test_system(3);
    let a = alice();
    let blob_obj = world.register_blob(&a, 2, false);
    world.certify(&a, &blob_obj);
    let payment = world.wal(&a, 100);
    let extension = reserve_for_epochs(&world, &a, ENCODED, 5, 7, payment);
    let record = world.call(&a, extend_with(blob_obj, extension));
    let b = world.blob(&blob_obj).blob;
    assert_eq!(b.end_epoch(), 7);
    assert_eq!(b.storage.start_epoch, 3);
    assert!(!world.exists(&extension));
    assert_eq!(
        events(&record),
        vec![ContractEvent::BlobCertified(BlobCertified {
            epoch: 3,
            blob_id: blob_id(),
            end_epoch: 7,
            deletable: false,
            object_id: move_id(&blob_obj),
            is_extension: true,
        })]
    );
}

/// Mirrors system_tests::extend_with_non_adjacent_resource_aborts,
/// extend_with_resource_of_another_size_aborts, extend_uncertified_blob_with_resource_aborts
/// and extend_expired_blob_with_resource_aborts.
#[test]
fn extend_blob_with_resource_aborts() {
    let world = World::test_system(3);
    let a = alice();
    let uncertified = world.register_blob(&a, 2, false);
    let blob_obj = world.register_blob(&a, 2, false);
    world.certify(&a, &blob_obj);
    let payment = world.wal(&a, 1_000);
    let gap = reserve_for_epochs(&world, &a, ENCODED, 6, 7, payment);
    world.assert_aborts(
        &a,
        extend_with(blob_obj, gap),
        storage_resource::EIncompatibleEpochs,
    );
    let bigger = reserve_for_epochs(&world, &a, ENCODED + 1, 5, 7, payment);
    world.assert_aborts(
        &a,
        extend_with(blob_obj, bigger),
        storage_resource::EIncompatibleAmount,
    );
    let good = reserve_for_epochs(&world, &a, ENCODED, 5, 7, payment);
    world.assert_aborts(&a, extend_with(uncertified, good), blob::ENotCertified);
    world.ok(&admin(), TestCall::SetCommitteeForTesting(committee(5)));
    world.assert_aborts(&a, extend_with(blob_obj, good), blob::EResourceBounds);
}

// === delete_blob ===

/// Mirrors system_tests::delete_blob_returns_storage_and_emits.
#[test]
fn delete_blob_returns_storage_and_emits() {
    let world = World::test_system(3);
    let a = alice();
    let blob_obj = world.register_blob(&a, 2, true);
    world.call(
        &a,
        Call::System(SystemCall::InsertOrUpdateMetadataPair {
            blob: blob_obj,
            key: "k".into(),
            value: "v".into(),
        }),
    );
    let record = world.call(&a, Call::System(SystemCall::DeleteBlob { blob: blob_obj }));
    let storage = world.storage(&created(&record, "::storage_resource::Storage"));
    assert_eq!((storage.start_epoch, storage.end_epoch), (3, 5));
    assert_eq!(storage.storage_size, ENCODED);
    // The capacity stays accounted: the storage can be reused.
    assert_eq!(world.system().used_capacity_size, ENCODED);
    assert_eq!(
        events(&record),
        vec![ContractEvent::BlobDeleted(BlobDeleted {
            epoch: 3,
            blob_id: blob_id(),
            end_epoch: 5,
            object_id: move_id(&blob_obj),
            was_certified: false,
        })]
    );
}

/// Mirrors system_tests::delete_certified_blob_reports_it.
#[test]
fn delete_certified_blob_reports_it() {
    let world = World::test_system(3);
    let a = alice();
    let blob_obj = world.register_blob(&a, 2, true);
    world.certify(&a, &blob_obj);
    let record = world.call(&a, Call::System(SystemCall::DeleteBlob { blob: blob_obj }));
    assert_eq!(
        events(&record),
        vec![ContractEvent::BlobDeleted(BlobDeleted {
            epoch: 3,
            blob_id: blob_id(),
            end_epoch: 5,
            object_id: move_id(&blob_obj),
            was_certified: true,
        })]
    );
}

/// Mirrors system_tests::delete_permanent_blob_aborts and delete_expired_blob_aborts.
#[test]
fn delete_blob_aborts() {
    let world = World::test_system(3);
    let a = alice();
    let permanent = world.register_blob(&a, 2, false);
    let deletable = world.register_blob(&a, 2, true);
    world.assert_aborts(
        &a,
        Call::System(SystemCall::DeleteBlob { blob: permanent }),
        blob::EBlobNotDeletable,
    );
    world.ok(&admin(), TestCall::SetCommitteeForTesting(committee(5)));
    world.assert_aborts(
        &a,
        Call::System(SystemCall::DeleteBlob { blob: deletable }),
        blob::EResourceBounds,
    );
}

// === invalidate_blob_id ===

fn invalidate(signature: Vec<u8>, members_bitmap: Vec<u8>, message: Vec<u8>) -> Call {
    Call::System(SystemCall::InvalidateBlobId {
        signature,
        members_bitmap,
        message,
    })
}

/// Mirrors system_tests::invalidate_blob_id_with_f_plus_one.
#[test]
fn invalidate_blob_id_with_f_plus_one() {
    let world = World::test_system(3);
    let message = invalid_blob_id_message(3, u256(77));
    // Members 0 and 3: 4 of 10 shards, 3 * 4 >= 10 + 1.
    let record = world.call(
        &alice(),
        invalidate(sign(&message, &[0, 3]), vec![0x09], message),
    );
    assert_eq!(
        events(&record),
        vec![ContractEvent::InvalidBlobId(InvalidBlobId {
            epoch: 3,
            blob_id: u256(77),
        })]
    );
}

/// Mirrors system_tests::invalidate_blob_id_with_too_little_weight_aborts,
/// invalidate_blob_id_from_another_epoch_aborts,
/// invalidate_blob_id_with_certification_message_aborts and
/// invalidate_blob_id_with_bad_bitmap_aborts.
#[test]
fn invalidate_blob_id_aborts() {
    let world = World::test_system(3);
    let a = alice();
    let all = [0, 1, 2, 3];
    let message = invalid_blob_id_message(3, u256(77));
    world.assert_aborts(
        &a,
        invalidate(sign(&message, &[0]), vec![0x01], message.clone()),
        bls_aggregate::ENotEnoughStake,
    );
    let old = invalid_blob_id_message(2, u256(77));
    world.assert_aborts(
        &a,
        invalidate(sign(&old, &all), bitmap(&all), old),
        messages::EIncorrectEpoch,
    );
    let cert = walrus_core::messages::BlobCertificationMessage {
        epoch: 3,
        blob_id: u256(77).0,
        persistence: walrus_core::messages::BlobPersistenceType::Permanent,
    }
    .to_bytes();
    world.assert_aborts(
        &a,
        invalidate(sign(&cert, &all), bitmap(&all), cert),
        messages::EInvalidMsgType,
    );
    world.assert_aborts(
        &a,
        invalidate(sign(&message, &all), vec![0x1F], message),
        bls_aggregate::EInvalidBitmap,
    );
}

// === event blobs ===

fn attest(cap: ObjectId, checkpoint: u64, epoch: u32) -> Call {
    Call::System(SystemCall::CertifyEventBlob {
        cap,
        blob_id: blob_id(),
        root_hash: root_hash(),
        size: SIZE,
        encoding_type: 1,
        ending_checkpoint_sequence_num: checkpoint,
        epoch,
    })
}

/// Mirrors system_tests::event_blob_is_certified_at_a_quorum_of_attestations and the aborts
/// beside it.
#[test]
fn event_blob_is_certified_at_a_quorum_of_attestations() {
    let world = World::test_system(3);
    let a = alice();
    let caps: Vec<ObjectId> = (0..4).map(|i| member_cap(&world, &a, i)).collect();
    let outsider = member_cap(&world, &a, 9);
    world.assert_aborts(&a, attest(outsider, 10, 3), ssi::ENotCommitteeMember);
    world.assert_aborts(&a, attest(caps[0], 10, 2), ssi::EInvalidIdEpoch);
    // Weights 3, 3, 3, 1 of 10: 6 is below the quorum (7), 9 reaches it.
    assert!(events(&world.call(&a, attest(caps[0], 10, 3))).is_empty());
    world.assert_aborts(&a, attest(caps[0], 10, 3), ssi::ERepeatedAttestation);
    world.assert_aborts(&a, attest(caps[0], 20, 3), ssi::EIncorrectAttestation);
    assert!(events(&world.call(&a, attest(caps[1], 10, 3))).is_empty());
    assert_eq!(world.system().used_capacity_size, 0);
    let record = world.call(&a, attest(caps[2], 10, 3));
    let names: Vec<&str> = events(&record).iter().map(|e| e.struct_name()).collect();
    assert_eq!(names, vec!["BlobRegistered", "BlobCertified"]);
    // Stored for the whole window without payment, and burned at once: no object remains.
    let state = world.system();
    assert_eq!(state.used_capacity_size, ENCODED);
    assert_eq!(world.used_capacity_at(MAX_EPOCHS_AHEAD - 1), ENCODED);
    assert_eq!(world.rewards_at(0), 0);
    assert!(
        !record
            .object_changes
            .iter()
            .any(|c| c.kind == walrus_chain::types::ChangeKind::Created
                && c.object_type.contains("::blob::Blob"))
    );
    let latest = state
        .event_blob_certification_state
        .latest_certified_blob
        .unwrap();
    assert_eq!(
        (latest.blob_id, latest.ending_checkpoint_sequence_number),
        (blob_id(), 10)
    );
    assert!(
        state
            .event_blob_certification_state
            .aggregate_weight_per_blob
            .contents
            .is_empty()
    );
    // A late attestation of the certified blob only records it; the next blob can follow.
    assert!(events(&world.call(&a, attest(caps[3], 10, 3))).is_empty());
    assert!(
        node_cap(&world, caps[3])
            .last_event_blob_attestation
            .is_some()
    );
    assert!(events(&world.call(&a, attest(caps[0], 20, 3))).is_empty());
}

// === deny lists ===

/// A deny list update message for member `node`, signed in `epoch`.
fn deny_list_update_message(epoch: u32, node: u64, sequence: u64, size: u64, root: u8) -> Vec<u8> {
    let mut root_le = [0u8; 32];
    root_le[0] = root;
    walrus_core::messages::DenyListUpdateMessage {
        epoch,
        node_id: test_node_id(node).0,
        sequence_number: sequence,
        size,
        root: root_le,
    }
    .to_bytes()
}

fn update_deny_list(cap: ObjectId, signers: &[usize], message: Vec<u8>) -> Call {
    Call::System(SystemCall::UpdateDenyList {
        cap,
        signature: sign(&message, signers),
        members_bitmap: bitmap(signers),
        message,
    })
}

fn node_cap(world: &World, id: ObjectId) -> walrus_chain::walrus::staking::StorageNodeCap {
    match world.object(&id) {
        WalrusObject::Staking(walrus_chain::walrus::staking::StakingObject::NodeCap(c)) => c,
        other => panic!("not a cap: {other:?}"),
    }
}

/// Mirrors system_tests::{register_deny_list_update_announces_it,
/// register_deny_list_update_with_old_sequence_aborts,
/// register_deny_list_update_by_a_non_member_aborts}.
#[test]
fn register_deny_list_update() {
    let world = World::test_system(3);
    let a = alice();
    let cap = member_cap(&world, &a, 1);
    let register = |cap, sequence| {
        Call::System(SystemCall::RegisterDenyListUpdate {
            cap,
            deny_list_root: [0xAB; 32],
            deny_list_sequence: sequence,
        })
    };
    let record = world.call(&a, register(cap, 1));
    assert_eq!(
        events(&record),
        vec![ContractEvent::RegisterDenyListUpdate(
            RegisterDenyListUpdate {
                epoch: 3,
                root: [0xAB; 32],
                sequence_number: 1,
                node_id: test_node_id(1),
            }
        )]
    );
    world.assert_aborts(&a, register(cap, 0), ssi::EIncorrectDenyListSequence);
    let outsider = member_cap(&world, &a, 9);
    world.assert_aborts(&a, register(outsider, 1), ssi::ENotCommitteeMember);
}

/// Mirrors system_tests::certified_deny_list_update_reduces_the_nodes_rewards and the aborts
/// beside it, with real BLS signatures.
#[test]
fn certified_deny_list_update_reduces_the_nodes_rewards() {
    let (world, a) = epoch_with_115_rewards();
    let cap = member_cap(&world, &a, 0);
    let all = [0, 1, 2, 3];
    // Aborts first, each changing nothing.
    world.assert_aborts(
        &a,
        update_deny_list(cap, &all, deny_list_update_message(3, 1, 1, 10, 1)),
        ssi::EIncorrectDenyListNode,
    );
    world.assert_aborts(
        &a,
        update_deny_list(cap, &[0, 3], deny_list_update_message(3, 0, 1, 10, 1)),
        bls_aggregate::ENotEnoughStake,
    );
    world.assert_aborts(
        &a,
        update_deny_list(cap, &all, deny_list_update_message(2, 0, 1, 10, 1)),
        messages::EIncorrectEpoch,
    );
    world.assert_aborts(
        &a,
        update_deny_list(cap, &all, invalid_blob_id_message(3, u256(77))),
        messages::EInvalidMsgType,
    );
    // Node 0 denies everything that is stored.
    let message = deny_list_update_message(3, 0, 1, 3_000_000, 0xCD);
    let record = world.call(&a, update_deny_list(cap, &all, message.clone()));
    let mut root = [0u8; 32];
    root[0] = 0xCD;
    assert_eq!(
        events(&record),
        vec![ContractEvent::DenyListUpdate(DenyListUpdate {
            epoch: 3,
            root,
            sequence_number: 1,
            node_id: test_node_id(0),
        })]
    );
    let c = node_cap(&world, cap);
    assert_eq!(
        (c.deny_list_root, c.deny_list_sequence, c.deny_list_size),
        (root, 1, 3_000_000)
    );
    // The same update again is stale.
    world.assert_aborts(
        &a,
        update_deny_list(cap, &all, message),
        ssi::EIncorrectDenyListSequence,
    );
    // Stored: 0, 3 * 3M, 3 * 3M, 1 * 3M; 115 * 9 / 21 = 49, 115 * 3 / 21 = 16.
    let rewards = world
        .advance_epoch_with(committee(4), params(5_000_000))
        .unwrap();
    let by_node: Vec<u64> = rewards.iter().map(|(_, r)| *r).collect();
    assert_eq!(by_node, vec![0, 49, 49, 16]);
    // 115 - 2 * 49 - 16 = 1 rolls over into epoch 4 (which already had 15).
    assert_eq!(world.rewards_at(0), 16);
}

/// Mirrors system_tests::{delete_deny_listed_blob_with_f_plus_one,
/// delete_deny_listed_blob_with_another_message_aborts}.
#[test]
fn delete_deny_listed_blob() {
    let world = World::test_system(3);
    let a = alice();
    let message = walrus_core::messages::DenyListBlobDeletedMessage {
        epoch: 3,
        blob_id: u256(77).0,
    }
    .to_bytes();
    let delete = |signers: &[usize], message: Vec<u8>| {
        Call::System(SystemCall::DeleteDenyListedBlob {
            signature: sign(&message, signers),
            members_bitmap: bitmap(signers),
            message,
        })
    };
    world.assert_aborts(
        &a,
        delete(&[0], message.clone()),
        bls_aggregate::ENotEnoughStake,
    );
    world.assert_aborts(
        &a,
        delete(&[0, 3], invalid_blob_id_message(3, u256(77))),
        messages::EInvalidMsgType,
    );
    // Members 0 and 3: 4 of 10 shards, 3 * 4 >= 10 + 1.
    let record = world.call(&a, delete(&[0, 3], message));
    assert_eq!(
        events(&record),
        vec![ContractEvent::DenyListBlobDeleted(DenyListBlobDeleted {
            epoch: 3,
            blob_id: u256(77),
        })]
    );
}

// === update_protocol_version ===

/// A protocol version message: `protocol_version` from `start_epoch`, signed in `epoch`.
fn protocol_version_message(epoch: u32, start_epoch: u32, protocol_version: u64) -> Vec<u8> {
    walrus_core::messages::ProtocolVersionMessage {
        epoch,
        start_epoch,
        version: protocol_version,
    }
    .to_bytes()
}

/// A `StorageNodeCap` for committee member `i`, owned by `user`.
fn member_cap(world: &World, user: &Account, i: u64) -> ObjectId {
    let record = world.ok(user, TestCall::NodeCapForTesting(test_node_id(i)));
    bcs::from_bytes(&record.events[0].bcs).unwrap()
}

fn update_protocol_version(cap: ObjectId, signers: &[usize], message: Vec<u8>) -> Call {
    Call::System(SystemCall::UpdateProtocolVersion {
        cap,
        signature: sign(&message, signers),
        members_bitmap: bitmap(signers),
        message,
    })
}

/// Mirrors system_tests::update_protocol_version_with_a_quorum and the abort tests beside it,
/// with real BLS signatures.
#[test]
fn update_protocol_version_with_a_quorum() {
    let world = World::test_system(3);
    let a = alice();
    let cap = member_cap(&world, &a, 0);
    let all = [0, 1, 2, 3];
    let record = world.call(
        &a,
        update_protocol_version(cap, &all, protocol_version_message(3, 5, 2)),
    );
    assert_eq!(
        events(&record),
        vec![ContractEvent::ProtocolVersionUpdated(
            ProtocolVersionUpdated {
                epoch: 3,
                start_epoch: 5,
                protocol_version: 2,
            }
        )]
    );
    // Aborts, each changing nothing.
    let outsider = member_cap(&world, &a, 9);
    world.assert_aborts(
        &a,
        update_protocol_version(outsider, &all, protocol_version_message(3, 5, 2)),
        ssi::ENotCommitteeMember,
    );
    world.assert_aborts(
        &a,
        update_protocol_version(cap, &all, protocol_version_message(3, 2, 2)),
        ssi::EInvalidStartEpoch,
    );
    world.assert_aborts(
        &a,
        update_protocol_version(cap, &[0, 3], protocol_version_message(3, 5, 2)),
        bls_aggregate::ENotEnoughStake,
    );
    world.assert_aborts(
        &a,
        update_protocol_version(cap, &all, protocol_version_message(2, 5, 2)),
        messages::EIncorrectEpoch,
    );
    world.assert_aborts(
        &a,
        update_protocol_version(cap, &all, invalid_blob_id_message(3, u256(77))),
        messages::EInvalidMsgType,
    );
    // A signature by other keys than the bitmap names.
    let message = protocol_version_message(3, 5, 2);
    let forged = Call::System(SystemCall::UpdateProtocolVersion {
        cap,
        signature: sign(&message, &[0, 1, 2]),
        members_bitmap: bitmap(&all),
        message,
    });
    world.assert_aborts(&a, forged, bls_aggregate::ESigVerification);
    // Only the cap's owner can use it.
    world.assert_aborts(
        &bob(),
        update_protocol_version(cap, &all, protocol_version_message(3, 5, 2)),
        walrus_chain::walrus::errors::input::ENotOwner,
    );
}

// === add_subsidy ===

/// Mirrors system_tests::add_subsidy_splits_evenly.
#[test]
fn add_subsidy_splits_evenly() {
    let world = World::test_system(3);
    subsidy(&world, &alice(), 100, 3);
    assert_eq!(world.rewards_at(0), 34);
    assert_eq!(world.rewards_at(1), 33);
    assert_eq!(world.rewards_at(2), 33);
    assert_eq!(world.rewards_at(3), 0);
}

/// Mirrors system_tests::add_subsidy_for_zero_epochs_aborts and
/// add_subsidy_past_the_window_aborts.
#[test]
fn add_subsidy_aborts() {
    let world = World::test_system(3);
    let a = alice();
    let coin = world.wal(&a, 100);
    for epochs_ahead in [0, 105] {
        world.assert_aborts(
            &a,
            Call::System(SystemCall::AddSubsidy {
                subsidy: coin,
                epochs_ahead,
            }),
            ssi::EInvalidEpochsAhead,
        );
    }
    assert_eq!(world.coin_value(&coin), 100);
}

/// Mirrors system_tests::add_per_epoch_subsidies_adds_one_balance_per_epoch and
/// add_per_epoch_subsidies_past_the_window_aborts.
#[test]
fn add_per_epoch_subsidies() {
    let world = World::test_system(3);
    let a = alice();
    let coins = vec![world.wal(&a, 10), world.wal(&a, 0), world.wal(&a, 7)];
    world.call(
        &a,
        Call::System(SystemCall::AddPerEpochSubsidies {
            subsidies: coins.clone(),
        }),
    );
    assert!(coins.iter().all(|c| !world.exists(c)));
    assert_eq!(world.rewards_at(0), 10);
    assert_eq!(world.rewards_at(1), 0);
    assert_eq!(world.rewards_at(2), 7);
    assert_eq!(world.rewards_at(3), 0);
    let many: Vec<ObjectId> = (0..105).map(|_| world.wal(&a, 1)).collect();
    world.assert_aborts(
        &a,
        Call::System(SystemCall::AddPerEpochSubsidies {
            subsidies: many.clone(),
        }),
        ssi::EInvalidEpochsAhead,
    );
    assert!(many.iter().all(|c| world.exists(c)));
    world.assert_aborts(
        &a,
        Call::System(SystemCall::AddPerEpochSubsidies {
            subsidies: vec![many[0], many[0]],
        }),
        walrus_chain::walrus::errors::input::EWrongObjectType,
    );
}

// === Epoch change (package functions used by staking) ===

/// Epoch 3 with 3 MB stored for two epochs and 115 FROST of rewards (15 storage fees, 100
/// subsidy) for the current epoch; also alice, who paid.
fn epoch_with_115_rewards() -> (World, Account) {
    let world = World::test_system(3);
    let a = alice();
    let payment = world.wal(&a, 100);
    reserve(&world, &a, 3_000_000, 2, payment);
    subsidy(&world, &a, 100, 1);
    assert_eq!(world.rewards_at(0), 115);
    (world, a)
}

/// Mirrors system_tests::advance_epoch_distributes_rewards_by_weight.
#[test]
fn advance_epoch_distributes_rewards_by_weight() {
    let (world, _) = epoch_with_115_rewards();
    let rewards = world
        .advance_epoch_with(committee(4), params(5_000_000))
        .unwrap();
    assert_eq!(world.system().committee.epoch, 4);
    assert_eq!(rewards.len(), 4);
    // Weights 3, 3, 3, 1 of 10: floor(115 * w / 10), in member (node id) order.
    let expected: Vec<_> = [34, 34, 34, 11]
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            (
                walrus_chain::walrus::to_object_id(test_node_id(i as u64)),
                r,
            )
        })
        .collect();
    assert_eq!(rewards, expected);
    // 115 - 3 * 34 - 11 = 2 rolls over into epoch 4 (which already had 15).
    assert_eq!(world.rewards_at(0), 17);
    assert_eq!(world.system().used_capacity_size, 3_000_000);
    assert_eq!(world.system().total_capacity_size, 5_000_000);
    assert_eq!(world.used_capacity_at(1), 0);
}

/// Mirrors system_tests::advance_epoch_keeps_capacity_above_usage.
#[test]
fn advance_epoch_keeps_capacity_above_usage() {
    let world = World::test_system(3);
    let a = alice();
    let payment = world.wal(&a, 100);
    reserve(&world, &a, 3_000_000, 2, payment);
    world.advance_epoch_with(committee(4), params(1)).unwrap();
    assert_eq!(world.system().total_capacity_size, 3_000_000);
}

/// Mirrors system_tests::advance_epoch_without_usage_rolls_rewards_over.
#[test]
fn advance_epoch_without_usage_rolls_rewards_over() {
    let world = World::test_system(3);
    subsidy(&world, &alice(), 100, 1);
    let rewards = world.advance_epoch_with(committee(4), params(10)).unwrap();
    assert_eq!(rewards.len(), 4);
    assert_eq!(rewards[0].1, 0);
    assert_eq!(world.rewards_at(0), 100);
}

/// Mirrors system_tests::advance_epoch_from_the_empty_committee.
#[test]
fn advance_epoch_from_the_empty_committee() {
    let world = World::with_config(GenesisConfig {
        max_epochs_ahead: 10,
        ..GenesisConfig::default()
    });
    let rewards = world.advance_epoch_with(committee(1), params(10)).unwrap();
    assert!(rewards.is_empty());
    let s = world.system();
    assert_eq!(s.committee.epoch, 1);
    assert_eq!(s.committee.n_shards, 10);
    assert_eq!(s.total_capacity_size, 10);
}

/// Mirrors system_tests::advance_epoch_skipping_an_epoch_aborts and
/// advance_epoch_to_the_same_epoch_aborts.
#[test]
fn advance_epoch_to_a_wrong_epoch_aborts() {
    let world = World::test_system(3);
    for epoch in [5, 3] {
        let f = world
            .advance_epoch_with(committee(epoch), params(10))
            .unwrap_err();
        assert!(ssi::EIncorrectCommittee.matches(&f), "{f:?}");
    }
    assert_eq!(world.system().committee.epoch, 3);
}

/// Mirrors system_tests::extract_burn_balance_takes_three_percent; the burned FROST also
/// leaves the total supply (`wal::burn`).
#[test]
fn extract_burn_balance_takes_three_percent() {
    let world = World::test_system(3);
    let a = alice();
    subsidy(&world, &a, 115, 1);
    let burned = |world: &World| -> u64 {
        let record = world.ok(&admin(), TestCall::ExtractAndBurn);
        bcs::from_bytes(&record.events[0].bcs).unwrap()
    };
    // floor(115 * 300 / 10000) = 3.
    assert_eq!(burned(&world), 3);
    assert_eq!(world.rewards_at(0), 112);
    subsidy(&world, &a, 888, 1);
    // floor(1000 * 0.03) = 30.
    assert_eq!(burned(&world), 30);
    let treasury = world
        .ledger
        .with_objects(walrus_chain::walrus::WalrusMachine::registry)
        .unwrap()
        .treasury;
    match world.object(&treasury) {
        WalrusObject::Treasury(t) => assert_eq!(
            t.total_supply,
            walrus_chain::walrus::TOTAL_SUPPLY_FROST - 33
        ),
        other => panic!("{other:?}"),
    }
}

// === shared_blob_tests ===

/// Mirrors shared_blob_tests::anyone_can_fund_and_extend.
#[test]
fn anyone_can_fund_and_extend() {
    let world = World::test_system(3);
    let (a, b) = (alice(), bob());
    let blob_obj = world.register_blob(&a, 2, false);
    world.certify(&a, &blob_obj);
    let funds = world.wal(&a, 50);
    let record = world.call(
        &a,
        Call::System(SystemCall::SharedBlobNewFunded {
            blob: blob_obj,
            funds,
        }),
    );
    let shared = created(&record, "::shared_blob::SharedBlob");
    assert!(!world.exists(&blob_obj) && !world.exists(&funds));
    let shared_value = |world: &World| match world.object(&shared) {
        WalrusObject::SharedBlob(s) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(shared_value(&world).funds, 50);
    let more = world.wal(&b, 30);
    world.call(
        &b,
        Call::System(SystemCall::SharedBlobFund {
            shared_blob: shared,
            added_funds: more,
        }),
    );
    assert_eq!(shared_value(&world).funds, 80);
    // 4 units * 5 FROST * 3 epochs = 60.
    let record = world.call(
        &b,
        Call::System(SystemCall::SharedBlobExtend {
            shared_blob: shared,
            extended_epochs: 3,
        }),
    );
    assert_eq!(shared_value(&world).funds, 20);
    assert_eq!(shared_value(&world).blob.blob.end_epoch(), 8);
    assert_eq!(events(&record).len(), 1);
}

/// Mirrors shared_blob_tests::new_shares_without_funds and
/// extend_without_enough_funds_aborts.
#[test]
fn shared_blob_without_enough_funds() {
    let world = World::test_system(3);
    let a = alice();
    let blob_obj = world.register_blob(&a, 2, false);
    world.certify(&a, &blob_obj);
    let record = world.call(
        &a,
        Call::System(SystemCall::SharedBlobNew { blob: blob_obj }),
    );
    let shared = created(&record, "::shared_blob::SharedBlob");
    match world.object(&shared) {
        WalrusObject::SharedBlob(s) => {
            assert_eq!(s.funds, 0);
            assert_eq!(s.blob.blob.blob_id, blob_id());
        }
        other => panic!("{other:?}"),
    }
    let coin = world.wal(&a, 59);
    world.call(
        &a,
        Call::System(SystemCall::SharedBlobFund {
            shared_blob: shared,
            added_funds: coin,
        }),
    );
    let f = world.fails(
        &bob(),
        TestCall::Walrus(Call::System(SystemCall::SharedBlobExtend {
            shared_blob: shared,
            extended_epochs: 3,
        })),
    );
    assert!(balance::ENotEnough.matches(&f), "{f:?}");
}

// === blob_tests: attributes and burn ===

fn meta(world: &World, blob_obj: &ObjectId) -> Option<Vec<(String, String)>> {
    world.blob(blob_obj).metadata.map(|m| {
        m.metadata
            .into_iter()
            .map(|MetadataEntry { key, value }| (key, value))
            .collect()
    })
}

/// Mirrors blob_tests::metadata_lifecycle, add_metadata_twice_aborts,
/// take_missing_metadata_aborts and remove_pair_without_metadata_aborts.
#[test]
fn metadata_lifecycle() {
    let world = World::test_system(3);
    let a = alice();
    let b = world.register_blob(&a, 2, false);
    let sys = |call| Call::System(call);
    assert_eq!(meta(&world, &b), None);
    world.call(
        &a,
        sys(SystemCall::RemoveMetadataPairIfExists {
            blob: b,
            key: "k".into(),
        }),
    );
    world.assert_aborts(
        &a,
        sys(SystemCall::TakeMetadata { blob: b }),
        blob::EMissingMetadata,
    );
    world.assert_aborts(
        &a,
        sys(SystemCall::RemoveMetadataPair {
            blob: b,
            key: "k".into(),
        }),
        blob::EMissingMetadata,
    );
    world.call(
        &a,
        sys(SystemCall::InsertOrUpdateMetadataPair {
            blob: b,
            key: "name".into(),
            value: "x".into(),
        }),
    );
    world.call(
        &a,
        sys(SystemCall::InsertOrUpdateMetadataPair {
            blob: b,
            key: "content-type".into(),
            value: "text/plain".into(),
        }),
    );
    assert_eq!(
        meta(&world, &b),
        Some(vec![
            ("name".into(), "x".into()),
            ("content-type".into(), "text/plain".into())
        ])
    );
    world.assert_aborts(
        &a,
        sys(SystemCall::AddMetadata {
            blob: b,
            pairs: vec![],
        }),
        blob::EDuplicateMetadata,
    );
    world.call(
        &a,
        sys(SystemCall::RemoveMetadataPair {
            blob: b,
            key: "name".into(),
        }),
    );
    world.assert_aborts(
        &a,
        sys(SystemCall::RemoveMetadataPair {
            blob: b,
            key: "name".into(),
        }),
        vec_map::EKeyDoesNotExist,
    );
    world.call(
        &a,
        sys(SystemCall::AddOrReplaceMetadata {
            blob: b,
            pairs: vec![],
        }),
    );
    assert_eq!(meta(&world, &b), Some(vec![]));
    world.call(&a, sys(SystemCall::TakeMetadata { blob: b }));
    assert_eq!(meta(&world, &b), None);
    world.call(
        &a,
        sys(SystemCall::AddMetadata {
            blob: b,
            pairs: vec![("a".into(), "b".into())],
        }),
    );
    assert_eq!(meta(&world, &b), Some(vec![("a".into(), "b".into())]));
    // Attributes are not part of the Blob's Move BCS.
    let bytes = walrus_chain::devnet::objects::LedgerObject::move_bcs(&world.object(&b));
    assert_eq!(bytes, bcs::to_bytes(&world.blob(&b).blob).unwrap());
}

/// Mirrors blob_tests::burn_destroys_blob_with_metadata: no event, no refund.
#[test]
fn burn_destroys_blob_with_metadata() {
    let world = World::test_system(3);
    let a = alice();
    let b = world.register_blob(&a, 2, false);
    world.call(
        &a,
        Call::System(SystemCall::InsertOrUpdateMetadataPair {
            blob: b,
            key: "k".into(),
            value: "v".into(),
        }),
    );
    let used = world.system().used_capacity_size;
    let record = world.call(&a, Call::System(SystemCall::BurnBlob { blob: b }));
    assert!(record.events.is_empty());
    assert!(!world.exists(&b));
    assert_eq!(world.system().used_capacity_size, used);
}

// === storage_resource_tests, through the ledger ===

/// Mirrors storage_resource_tests (split by epoch and size, fuse, destroy) on owned objects.
#[test]
fn storage_split_fuse_destroy() {
    let world = World::test_system(3);
    let a = alice();
    let payment = world.wal(&a, 1_000);
    let s = reserve(&world, &a, 1000, 10, payment);
    let record = world.call(
        &a,
        Call::System(SystemCall::SplitStorageByEpoch {
            storage: s,
            split_epoch: 7,
        }),
    );
    let later = created(&record, "::storage_resource::Storage");
    assert_eq!(
        (
            world.storage(&s).end_epoch,
            world.storage(&later).start_epoch
        ),
        (7, 7)
    );
    world.assert_aborts(
        &a,
        Call::System(SystemCall::SplitStorageByEpoch {
            storage: s,
            split_epoch: 7,
        }),
        storage_resource::EInvalidEpoch,
    );
    let record = world.call(
        &a,
        Call::System(SystemCall::SplitStorageBySize {
            storage: later,
            split_size: 400,
        }),
    );
    let rest = created(&record, "::storage_resource::Storage");
    assert_eq!(world.storage(&rest).storage_size, 600);
    world.assert_aborts(
        &a,
        Call::System(SystemCall::FusePeriods {
            first: s,
            second: later,
        }),
        storage_resource::EIncompatibleAmount,
    );
    world.call(
        &a,
        Call::System(SystemCall::FuseStorage {
            first: later,
            second: rest,
        }),
    );
    assert_eq!(world.storage(&later).storage_size, 1000);
    world.call(
        &a,
        Call::System(SystemCall::FuseStorage {
            first: later,
            second: s,
        }),
    );
    let fused = world.storage(&later);
    assert_eq!(
        (fused.start_epoch, fused.end_epoch, fused.storage_size),
        (3, 13, 1000)
    );
    assert!(!world.exists(&s));
    world.call(
        &a,
        Call::System(SystemCall::DestroyStorage { storage: later }),
    );
    assert!(!world.exists(&later));
}

// === Coins ===

/// The devnet coin operations: faucet, split (`sui::balance::ENotEnough`), merge and transfer.
#[test]
fn coins_split_merge_transfer() {
    let world = World::test_system(3);
    let (a, b) = (alice(), bob());
    let coin = world.wal(&a, 1_000);
    let record = world.call(&a, Call::Coin(CoinCall::Split { coin, amount: 300 }));
    let part = created(&record, "::coin::Coin<");
    assert_eq!(
        (world.coin_value(&coin), world.coin_value(&part)),
        (700, 300)
    );
    world.assert_aborts(
        &a,
        Call::Coin(CoinCall::Split { coin, amount: 701 }),
        balance::ENotEnough,
    );
    world.call(&a, Call::Coin(CoinCall::Merge { coin, other: part }));
    assert_eq!(world.coin_value(&coin), 1_000);
    assert!(!world.exists(&part));
    world.call(
        &a,
        Call::Coin(CoinCall::Transfer {
            object: coin,
            recipient: b.address(),
        }),
    );
    assert_eq!(
        world.ledger.object(&coin).unwrap().owner,
        walrus_chain::types::Owner::Address(b.address())
    );
    world.assert_aborts(
        &a,
        Call::Coin(CoinCall::Split { coin, amount: 1 }),
        walrus_chain::walrus::errors::input::ENotOwner,
    );
    world.assert_aborts(
        &a,
        Call::Coin(CoinCall::Faucet {
            amount: GenesisConfig::default().faucet_max_per_call + 1,
        }),
        walrus_chain::walrus::errors::faucet::EInvalidAmount,
    );
}

/// Attributes are reported as Sui reports a dynamic field: a `Field<vector<u8>, Metadata>`
/// object owned by the blob, at the id Sui derives from the blob id and the key, created,
/// mutated, then deleted with the blob.
#[test]
fn attributes_are_reported_as_a_dynamic_field() {
    use walrus_chain::types::{ChangeKind, Owner};
    let world = World::test_system(3);
    let a = alice();
    let b = world.register_blob(&a, 2, false);
    let field_id = b.derive_dynamic_child_id(
        &sui_sdk_types::TypeTag::Vector(Box::new(sui_sdk_types::TypeTag::U8)),
        &bcs::to_bytes(&b"metadata".to_vec()).unwrap(),
    );
    let field_type = format!(
        "0x2::dynamic_field::Field<vector<u8>, {}::metadata::Metadata>",
        walrus_chain::walrus::WALRUS_PACKAGE
    );
    let set = |value: &str| {
        world.call(
            &a,
            Call::System(SystemCall::InsertOrUpdateMetadataPair {
                blob: b,
                key: "k".into(),
                value: value.into(),
            }),
        )
    };
    let field = |record: &walrus_chain::types::TransactionRecord| {
        record
            .object_changes
            .iter()
            .find(|c| c.object_id == field_id)
            .cloned()
    };
    let expected_contents = |value: &str| {
        let mut bytes = field_id.into_inner().to_vec();
        bytes.extend(bcs::to_bytes(&b"metadata".to_vec()).unwrap());
        bytes.extend(
            bcs::to_bytes(&walrus_core::contracts::Metadata {
                metadata: vec![MetadataEntry {
                    key: "k".into(),
                    value: value.into(),
                }],
            })
            .unwrap(),
        );
        bytes
    };

    let created = field(&set("v1")).unwrap();
    assert_eq!(created.kind, ChangeKind::Created);
    assert_eq!(created.object_type, field_type);
    assert_eq!(created.owner, Some(Owner::Object(b)));
    assert_eq!(created.contents, Some(expected_contents("v1")));
    let mutated = field(&set("v2")).unwrap();
    assert_eq!(mutated.kind, ChangeKind::Mutated);
    assert_eq!(mutated.contents, Some(expected_contents("v2")));
    // Written back unchanged: not reported.
    assert_eq!(field(&set("v2")), None);
    let burned = world.call(&a, Call::System(SystemCall::BurnBlob { blob: b }));
    let deleted = field(&burned).unwrap();
    assert_eq!(deleted.kind, ChangeKind::Deleted);
    assert_eq!(deleted.contents, None);
}
