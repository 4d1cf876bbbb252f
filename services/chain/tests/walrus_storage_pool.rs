//! Storage pools through the ledger engine: the Move tests of
//! `move/walrus/tests/system/storage_pool_tests.move` with the same inputs and numbers, plus
//! what only the devnet shows (object changes, Sui's dynamic fields, real BLS certificates).
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod walrus_support;

use walrus_chain::types::{ChangeKind, ObjectId, Owner, TransactionRecord};
use walrus_chain::walrus::blob::MetadataOp;
use walrus_chain::walrus::errors::{
    balance, dynamic_field, input, messages, storage_pool as sp, system as sys,
    system_state_inner as ssi,
};
use walrus_chain::walrus::storage_pool::StoragePoolObject;
use walrus_chain::walrus::{Call, SystemCall, WalrusObject};
use walrus_core::BlobId;
use walrus_core::contracts::{
    ContractEvent, PooledBlobCertified, PooledBlobDeleted, PooledBlobRegistered,
    StoragePoolCreated, StoragePoolExtended, derive_blob_id,
};
use walrus_support::*;

/// Capacity of the test pools: 10 units.
const POOL: u64 = 10_000_000;

fn pool_call(call: SystemCall) -> Call {
    Call::System(call)
}

/// The pool created by a transaction.
fn created_pool(record: &TransactionRecord) -> ObjectId {
    record
        .object_changes
        .iter()
        .find(|c| {
            c.kind == ChangeKind::Created && c.object_type.ends_with("::storage_pool::StoragePool")
        })
        .unwrap_or_else(|| panic!("no pool created: {record:#?}"))
        .object_id
}

fn pool(world: &World, id: &ObjectId) -> StoragePoolObject {
    match world.object(id) {
        WalrusObject::StoragePool(p) => p,
        other => panic!("{id} is not a pool: {other:?}"),
    }
}

/// `setup` of the Move tests: a pool of `POOL` for epochs [3, 6) in a system in epoch 3.
fn setup(world: &World, who: &Account) -> ObjectId {
    let payment = world.wal(who, 1_000);
    let record = world.call(
        who,
        pool_call(SystemCall::CreateStoragePool {
            reserved_encoded_capacity_bytes: POOL,
            epochs_ahead: 3,
            payment,
        }),
    );
    created_pool(&record)
}

/// The test blob with root hash `root_hash() + k`.
fn blob_k(k: u8) -> ([u8; 32], BlobId) {
    let mut root = root_hash();
    root[0] += k;
    (root, derive_blob_id(&root, 1, SIZE))
}

fn register_call(pool: ObjectId, k: u8, deletable: bool, payment: ObjectId) -> Call {
    let (root_hash, blob_id) = blob_k(k);
    pool_call(SystemCall::RegisterPooledBlob {
        storage_pool: pool,
        blob_id,
        root_hash,
        unencoded_size: SIZE,
        encoding_type: 1,
        deletable,
        write_payment: payment,
    })
}

fn register(world: &World, who: &Account, pool: ObjectId, k: u8, deletable: bool) -> BlobId {
    let payment = world.wal(who, 1_000);
    world.call(who, register_call(pool, k, deletable, payment));
    blob_k(k).1
}

/// The certificate message for pooled blob `blob_id` in `epoch`.
fn certificate(world: &World, pool_id: &ObjectId, blob_id: &BlobId, epoch: u32) -> Vec<u8> {
    let p = pool(world, pool_id);
    let b = &p
        .blobs
        .iter()
        .find(|b| b.blob.blob_id == *blob_id)
        .unwrap()
        .blob;
    walrus_core::messages::BlobCertificationMessage {
        epoch,
        blob_id: blob_id.0,
        persistence: if b.deletable {
            walrus_core::messages::BlobPersistenceType::Deletable { object_id: b.id }
        } else {
            walrus_core::messages::BlobPersistenceType::Permanent
        },
    }
    .to_bytes()
}

fn certify_pooled(pool: ObjectId, blob_id: BlobId, message: &[u8], members: &[usize]) -> Call {
    pool_call(SystemCall::CertifyPooledBlob {
        storage_pool: pool,
        blob_id,
        signature: sign(message, members),
        signers_bitmap: bitmap(members),
        message: message.to_vec(),
    })
}

fn certify(world: &World, who: &Account, pool: ObjectId, blob_id: BlobId) {
    let message = certificate(world, &pool, &blob_id, world.system().committee.epoch);
    world.call(who, certify_pooled(pool, blob_id, &message, &[0, 1, 2, 3]));
}

/// Mirrors storage_pool_tests::create_storage_pool_pays_and_accounts_the_capacity, and checks
/// the object changes Sui would report.
#[test]
fn create_storage_pool_pays_and_accounts_the_capacity() {
    let world = World::test_system(3);
    let a = alice();
    let payment = world.wal(&a, 1_000);
    let record = world.call(
        &a,
        pool_call(SystemCall::CreateStoragePool {
            reserved_encoded_capacity_bytes: POOL,
            epochs_ahead: 3,
            payment,
        }),
    );
    assert_eq!(world.coin_value(&payment), 1_000 - 150);
    let id = created_pool(&record);
    let p = pool(&world, &id);
    assert_eq!((p.storage.start_epoch, p.storage.end_epoch), (3, 6));
    assert_eq!(p.storage.storage_size, POOL);
    assert_eq!((p.used_encoded_bytes, p.blob_count), (0, 0));
    assert_eq!(world.used_capacity_at(2), POOL);
    assert_eq!(world.used_capacity_at(3), 0);
    assert_eq!(world.rewards_at(2), 50);
    assert_eq!(
        events(&record),
        vec![ContractEvent::StoragePoolCreated(StoragePoolCreated {
            epoch: 3,
            storage_pool_id: move_id(&id),
            reserved_encoded_capacity_bytes: POOL,
            start_epoch: 3,
            end_epoch: 6,
        })]
    );
    // The reservation is wrapped: no Storage object remains; the state is the field
    // `1u64 -> StoragePoolInnerV1` of the pool.
    assert!(
        record
            .object_changes
            .iter()
            .all(|c| !c.object_type.ends_with("::storage_resource::Storage"))
    );
    let inner = record
        .object_changes
        .iter()
        .find(|c| c.object_type.contains("StoragePoolInnerV1"))
        .unwrap();
    assert_eq!(
        inner.owner,
        Some(Owner::Object(id)),
        "the state hangs off the pool"
    );
    assert!(
        inner
            .object_type
            .starts_with("0x2::dynamic_field::Field<u64, "),
        "{}",
        inner.object_type
    );
}

/// Mirrors storage_pool_tests::create_storage_pool_with_* (started, empty, future, expired).
#[test]
fn create_storage_pool_with_storage() {
    let world = World::test_system(3);
    let a = alice();
    let payment = world.wal(&a, 10_000);
    let reserve = |start: u32, end: u32, amount: u64| {
        let record = world.call(
            &a,
            pool_call(SystemCall::ReserveSpaceForEpochs {
                storage_amount: amount,
                start_epoch: start,
                end_epoch: end,
                payment,
            }),
        );
        created(&record, "::storage_resource::Storage")
    };
    let with = |storage| pool_call(SystemCall::CreateStoragePoolWithStorage { storage });
    let future = reserve(4, 6, POOL);
    world.assert_aborts(&a, with(future), ssi::EInvalidEpochsAhead);
    let started = reserve(3, 5, POOL);
    world.advance_epoch();
    let record = world.call(&a, with(started));
    assert!(!world.exists(&started));
    let id = created_pool(&record);
    assert_eq!(
        events(&record),
        vec![ContractEvent::StoragePoolCreated(StoragePoolCreated {
            epoch: 4,
            storage_pool_id: move_id(&id),
            reserved_encoded_capacity_bytes: POOL,
            start_epoch: 3,
            end_epoch: 5,
        })]
    );
    // A Storage cannot be empty through `reserve_space`, so only the epochs are checked here
    // (the Move test covers `EInvalidResourceSize` with a test-only storage).
    world.advance_epoch();
    world.assert_aborts(
        &a,
        pool_call(SystemCall::CreateStoragePool {
            reserved_encoded_capacity_bytes: POOL,
            epochs_ahead: 0,
            payment,
        }),
        ssi::EInvalidEpochsAhead,
    );
}

/// Mirrors storage_pool_tests::register_pooled_blob_takes_capacity_and_charges_the_write_price
/// and the register aborts.
#[test]
fn register_pooled_blob_and_its_aborts() {
    let world = World::test_system(3);
    let a = alice();
    let pool_id = setup(&world, &a);
    let rewards_before = world.rewards_at(0);
    let payment = world.wal(&a, 100);
    let record = world.call(&a, register_call(pool_id, 0, true, payment));
    assert_eq!(world.coin_value(&payment), 96);
    assert_eq!(world.rewards_at(0), rewards_before + 4);
    let p = pool(&world, &pool_id);
    assert_eq!((p.used_encoded_bytes, p.blob_count), (ENCODED, 1));
    let pooled = &p.blobs[0].blob;
    assert_eq!(pooled.registered_epoch, 3);
    assert_eq!(pooled.storage_pool_id, move_id(&pool_id));
    assert_eq!(
        events(&record),
        vec![ContractEvent::PooledBlobRegistered(PooledBlobRegistered {
            epoch: 3,
            blob_id: blob_id(),
            unencoded_size: SIZE,
            encoding_type: 1,
            deletable: true,
            object_id: pooled.id,
            storage_pool_id: move_id(&pool_id),
        })]
    );
    // Sui's view: a `Field<Wrapper<u256>, ID>` under the table's id, and the PooledBlob object
    // owned by that field.
    let entry = record
        .object_changes
        .iter()
        .find(|c| {
            c.object_type
                .contains("dynamic_object_field::Wrapper<u256>")
        })
        .unwrap();
    assert_eq!(
        entry.owner,
        Some(Owner::Object(ObjectId::new(p.blobs_table_id.0)))
    );
    let object = record
        .object_changes
        .iter()
        .find(|c| c.object_type.ends_with("::storage_pool::PooledBlob"))
        .unwrap();
    assert_eq!(object.kind, ChangeKind::Created);
    assert_eq!(object.object_id, ObjectId::new(pooled.id.0));
    assert_eq!(object.owner, Some(Owner::Object(entry.object_id)));
    assert_eq!(object.contents, Some(bcs::to_bytes(pooled).unwrap()));

    // Aborts, each leaving the pool as it was.
    let before = pool(&world, &pool_id);
    let mut wrong_id = register_call(pool_id, 1, true, payment);
    if let Call::System(SystemCall::RegisterPooledBlob { blob_id, .. }) = &mut wrong_id {
        *blob_id = u256(1);
    }
    world.assert_aborts(&a, wrong_id, sp::EInvalidBlobId);
    world.assert_aborts(
        &a,
        register_call(pool_id, 0, false, payment),
        dynamic_field::EFieldAlreadyExists,
    );
    let short = world.wal(&a, 3);
    world.assert_aborts(
        &a,
        register_call(pool_id, 1, true, short),
        balance::ENotEnough,
    );
    register(&world, &a, pool_id, 1, true);
    world.assert_aborts(
        &a,
        register_call(pool_id, 2, true, payment),
        sp::EInsufficientCapacity,
    );
    assert_eq!(pool(&world, &pool_id).blob_count, before.blob_count + 1);
    // Someone else's pool is not an input the sender may use.
    world.assert_aborts(
        &bob(),
        register_call(pool_id, 3, true, payment),
        input::ENotOwner,
    );
    world.advance_epoch();
    world.advance_epoch();
    world.advance_epoch();
    world.assert_aborts(
        &a,
        register_call(pool_id, 3, true, payment),
        ssi::EInvalidEpochsAhead,
    );
}

/// Mirrors storage_pool_tests::certify_pooled_blobs_permanent_and_deletable and the certify
/// aborts, with real BLS certificates.
#[test]
fn certify_pooled_blobs_and_aborts() {
    let world = World::test_system(3);
    let a = alice();
    let pool_id = setup(&world, &a);
    let permanent = register(&world, &a, pool_id, 0, false);
    let deletable = register(&world, &a, pool_id, 1, true);
    let message = certificate(&world, &pool_id, &permanent, 3);
    // Too little weight, then a stale certificate, then a wrong blob id.
    world.assert_aborts(
        &a,
        certify_pooled(pool_id, permanent, &message, &[3]),
        walrus_chain::walrus::errors::bls_aggregate::ENotEnoughStake,
    );
    let stale = certificate(&world, &pool_id, &permanent, 2);
    world.assert_aborts(
        &a,
        certify_pooled(pool_id, permanent, &stale, &[0, 1, 2]),
        messages::EIncorrectEpoch,
    );
    let other = certificate(&world, &pool_id, &deletable, 3);
    world.assert_aborts(
        &a,
        certify_pooled(pool_id, permanent, &other, &[0, 1, 2]),
        sp::EInvalidBlobId,
    );
    // A deletable blob certified as permanent.
    let as_permanent = walrus_core::messages::BlobCertificationMessage {
        epoch: 3,
        blob_id: deletable.0,
        persistence: walrus_core::messages::BlobPersistenceType::Permanent,
    }
    .to_bytes();
    world.assert_aborts(
        &a,
        certify_pooled(pool_id, deletable, &as_permanent, &[0, 1, 2]),
        sp::EInvalidBlobPersistenceType,
    );
    let p = pool(&world, &pool_id);
    let wrong_object = walrus_core::messages::BlobCertificationMessage {
        epoch: 3,
        blob_id: deletable.0,
        persistence: walrus_core::messages::BlobPersistenceType::Deletable {
            object_id: p.pool.id,
        },
    }
    .to_bytes();
    world.assert_aborts(
        &a,
        certify_pooled(pool_id, deletable, &wrong_object, &[0, 1, 2]),
        sp::EInvalidBlobObject,
    );
    world.assert_aborts(
        &a,
        certify_pooled(pool_id, u256(9), &message, &[0, 1, 2]),
        dynamic_field::EFieldDoesNotExist,
    );

    world.advance_epoch();
    let record = world.call(
        &a,
        certify_pooled(
            pool_id,
            permanent,
            &certificate(&world, &pool_id, &permanent, 4),
            &[0, 1, 2],
        ),
    );
    let p = pool(&world, &pool_id);
    let object_id = p.blobs[0].blob.id;
    assert_eq!(p.blobs[0].blob.certified_epoch, Some(4));
    assert_eq!(
        events(&record),
        vec![ContractEvent::PooledBlobCertified(PooledBlobCertified {
            epoch: 4,
            blob_id: permanent,
            deletable: false,
            object_id,
            storage_pool_id: move_id(&pool_id),
        })]
    );
    certify(&world, &a, pool_id, deletable);
    world.assert_aborts(
        &a,
        certify_pooled(
            pool_id,
            permanent,
            &certificate(&world, &pool_id, &permanent, 4),
            &[0, 1, 2],
        ),
        sp::EAlreadyCertified,
    );
}

/// Mirrors storage_pool_tests::certify_in_an_expired_pool_aborts.
#[test]
fn certify_in_an_expired_pool_aborts() {
    let world = World::test_system(3);
    let a = alice();
    let pool_id = setup(&world, &a);
    let id = register(&world, &a, pool_id, 0, false);
    for _ in 0..3 {
        world.advance_epoch();
    }
    let message = certificate(&world, &pool_id, &id, 6);
    world.assert_aborts(
        &a,
        certify_pooled(pool_id, id, &message, &[0, 1, 2]),
        sp::EResourceBounds,
    );
}

/// Mirrors storage_pool_tests::delete_pooled_blob_frees_its_bytes, the delete aborts and
/// burn_expired_pooled_blobs_of_any_kind.
#[test]
fn delete_and_burn_pooled_blobs() {
    let world = World::test_system(3);
    let a = alice();
    let pool_id = setup(&world, &a);
    let id = register(&world, &a, pool_id, 0, true);
    let permanent = register(&world, &a, pool_id, 1, false);
    certify(&world, &a, pool_id, id);
    world.call(
        &a,
        pool_call(SystemCall::PooledBlobMetadata {
            storage_pool: pool_id,
            blob_id: id,
            op: MetadataOp::InsertOrUpdatePair {
                key: "k".into(),
                value: "v".into(),
            },
        }),
    );
    let object_id = pool(&world, &pool_id).blobs[0].blob.id;
    let delete = |blob_id| {
        pool_call(SystemCall::DeletePooledBlob {
            storage_pool: pool_id,
            blob_id,
        })
    };
    let burn = |blob_id| {
        pool_call(SystemCall::BurnExpiredPooledBlob {
            storage_pool: pool_id,
            blob_id,
        })
    };
    world.assert_aborts(&a, delete(permanent), sp::EBlobNotDeletable);
    world.assert_aborts(&a, burn(id), ssi::EInvalidEpochsAhead);
    let record = world.call(&a, delete(id));
    assert_eq!(
        events(&record),
        vec![ContractEvent::PooledBlobDeleted(PooledBlobDeleted {
            epoch: 3,
            blob_id: id,
            object_id,
            was_certified: true,
            storage_pool_id: move_id(&pool_id),
        })]
    );
    // The blob, its table entry and its attributes are deleted as Sui reports them.
    let deleted: Vec<_> = record
        .object_changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Deleted)
        .map(|c| c.object_type.clone())
        .collect();
    assert_eq!(deleted.len(), 3, "{deleted:?}");
    let p = pool(&world, &pool_id);
    assert_eq!((p.used_encoded_bytes, p.blob_count), (ENCODED, 1));
    // The freed bytes can be used again.
    register(&world, &a, pool_id, 0, true);
    for _ in 0..3 {
        world.advance_epoch();
    }
    world.assert_aborts(&a, delete(permanent), ssi::EInvalidEpochsAhead);
    let record = world.call(&a, burn(permanent));
    assert!(events(&record).is_empty());
    world.call(&a, burn(id));
    assert_eq!(pool(&world, &pool_id).blob_count, 0);
    // An empty pool gives its storage back.
    let record = world.call(
        &a,
        pool_call(SystemCall::DestroyStoragePool {
            storage_pool: pool_id,
        }),
    );
    assert!(!world.exists(&pool_id));
    let storage = world.storage(&created(&record, "::storage_resource::Storage"));
    assert_eq!((storage.end_epoch, storage.storage_size), (6, POOL));
}

/// Mirrors storage_pool_tests::destroy_a_pool_with_blobs_aborts.
#[test]
fn destroy_a_pool_with_blobs_aborts() {
    let world = World::test_system(3);
    let a = alice();
    let pool_id = setup(&world, &a);
    register(&world, &a, pool_id, 0, true);
    world.assert_aborts(
        &a,
        pool_call(SystemCall::DestroyStoragePool {
            storage_pool: pool_id,
        }),
        sp::EPoolNotEmpty,
    );
}

/// Mirrors storage_pool_tests::extend_storage_pool_* and increase_storage_pool_capacity_*.
#[test]
fn extend_and_increase_storage_pools() {
    let world = World::test_system(3);
    let a = alice();
    let pool_id = setup(&world, &a);
    let payment = world.wal(&a, 1_000);
    let extend = |extended_epochs| {
        pool_call(SystemCall::ExtendStoragePool {
            storage_pool: pool_id,
            extended_epochs,
            payment,
        })
    };
    world.assert_aborts(&a, extend(0), ssi::EInvalidEpochsAhead);
    world.assert_aborts(&a, extend(102), ssi::EInvalidEpochsAhead);
    let record = world.call(&a, extend(2));
    assert_eq!(world.coin_value(&payment), 900);
    assert_eq!(pool(&world, &pool_id).storage.end_epoch, 8);
    assert_eq!(world.used_capacity_at(4), POOL);
    assert_eq!(world.used_capacity_at(5), 0);
    assert_eq!(
        events(&record),
        vec![ContractEvent::StoragePoolExtended(StoragePoolExtended {
            epoch: 3,
            storage_pool_id: move_id(&pool_id),
            new_end_epoch: 8,
        })]
    );
    let increase = |additional| {
        pool_call(SystemCall::IncreaseStoragePoolCapacity {
            storage_pool: pool_id,
            additional_encoded_capacity_bytes: additional,
            payment,
        })
    };
    world.assert_aborts(&a, increase(0), ssi::EInvalidResourceSize);
    // 2 MiB = 2 units for the 5 epochs left.
    world.call(&a, increase(2_097_152));
    assert_eq!(world.coin_value(&payment), 900 - 50);
    assert_eq!(
        pool(&world, &pool_id).storage.storage_size,
        POOL + 2_097_152
    );
    assert_eq!(world.used_capacity_at(4), POOL + 2_097_152);
    assert_eq!(world.used_capacity_at(5), 0);
    // A storage ending with the pool is absorbed; others are refused.
    let reserve = |start: u32, end: u32| {
        let record = world.call(
            &a,
            pool_call(SystemCall::ReserveSpaceForEpochs {
                storage_amount: 5,
                start_epoch: start,
                end_epoch: end,
                payment,
            }),
        );
        created(&record, "::storage_resource::Storage")
    };
    let with = |storage| {
        pool_call(SystemCall::IncreaseStoragePoolCapacityWithStorage {
            storage_pool: pool_id,
            storage,
        })
    };
    let elsewhere = reserve(3, 7);
    world.assert_aborts(&a, with(elsewhere), sp::EIncompatibleEndEpoch);
    let future = reserve(4, 8);
    world.assert_aborts(&a, with(future), sp::EResourceBounds);
    let good = reserve(3, 8);
    world.call(&a, with(good));
    assert!(!world.exists(&good));
    assert_eq!(
        pool(&world, &pool_id).storage.storage_size,
        POOL + 2_097_152 + 5
    );
    for _ in 0..5 {
        world.advance_epoch();
    }
    world.assert_aborts(&a, extend(1), ssi::EInvalidEpochsAhead);
    world.assert_aborts(&a, increase(1), ssi::EInvalidEpochsAhead);
    world.assert_aborts(&a, with(elsewhere), ssi::EInvalidEpochsAhead);
}

/// Mirrors storage_pool_tests::extend_storage_pool_beyond_the_system_capacity_aborts.
#[test]
fn extend_storage_pool_beyond_the_system_capacity_aborts() {
    let world = World::test_system(3);
    let a = alice();
    let payment = world.wal(&a, 1_000_000_000_000);
    let record = world.call(
        &a,
        pool_call(SystemCall::CreateStoragePool {
            reserved_encoded_capacity_bytes: CAPACITY,
            epochs_ahead: 1,
            payment,
        }),
    );
    let pool_id = created_pool(&record);
    world.call(
        &a,
        pool_call(SystemCall::ReserveSpaceForEpochs {
            storage_amount: 1,
            start_epoch: 4,
            end_epoch: 5,
            payment,
        }),
    );
    world.assert_aborts(
        &a,
        pool_call(SystemCall::ExtendStoragePool {
            storage_pool: pool_id,
            extended_epochs: 1,
            payment,
        }),
        ssi::EStorageExceeded,
    );
}

/// Mirrors storage_pool_tests::decrease_* (by size and by percent).
#[test]
fn decrease_storage_pool_capacity() {
    let world = World::test_system(3);
    let a = alice();
    let pool_id = setup(&world, &a);
    register(&world, &a, pool_id, 0, true);
    let by_size = |size| {
        pool_call(SystemCall::DecreaseStoragePoolCapacityBySize {
            storage_pool: pool_id,
            size,
        })
    };
    let by_percent = |percent| {
        pool_call(SystemCall::DecreaseStoragePoolUnusedCapacityByPercent {
            storage_pool: pool_id,
            percent,
        })
    };
    world.assert_aborts(&a, by_size(0), sys::EZeroExtractSize);
    world.assert_aborts(&a, by_size(POOL - ENCODED + 1), sp::EInsufficientCapacity);
    world.assert_aborts(&a, by_percent(101), sp::EInvalidPercent);
    world.assert_aborts(&a, by_percent(0), sys::EZeroExtractSize);
    let record = world.call(&a, by_percent(33));
    let storage = world.storage(&created(&record, "::storage_resource::Storage"));
    assert_eq!(storage.storage_size, 2_001_291);
    assert_eq!((storage.start_epoch, storage.end_epoch), (3, 6));
    let record = world.call(&a, by_size(1_000));
    assert_eq!(
        world
            .storage(&created(&record, "::storage_resource::Storage"))
            .storage_size,
        1_000
    );
    let record = world.call(&a, by_percent(100));
    let rest = world.storage(&created(&record, "::storage_resource::Storage"));
    assert_eq!(rest.storage_size, POOL - 2_001_291 - 1_000 - ENCODED);
    let p = pool(&world, &pool_id);
    assert_eq!(p.storage.storage_size, ENCODED);
    world.assert_aborts(&a, by_percent(50), sys::EZeroExtractSize);
    for _ in 0..3 {
        world.advance_epoch();
    }
    world.assert_aborts(&a, by_size(1), ssi::EInvalidEpochsAhead);
}

/// Mirrors storage_pool_tests::pooled_blob_attributes and the attribute aborts; the
/// attributes are the pooled blob's own dynamic field.
#[test]
fn pooled_blob_attributes() {
    let world = World::test_system(3);
    let a = alice();
    let pool_id = setup(&world, &a);
    let id = register(&world, &a, pool_id, 0, true);
    let op = |op| {
        pool_call(SystemCall::PooledBlobMetadata {
            storage_pool: pool_id,
            blob_id: id,
            op,
        })
    };
    let key = || "content-type".to_owned();
    world.assert_aborts(&a, op(MetadataOp::Take), sp::EMissingMetadata);
    world.assert_aborts(
        &a,
        op(MetadataOp::RemovePair { key: key() }),
        sp::EMissingMetadata,
    );
    world.call(&a, op(MetadataOp::RemovePairIfExists { key: key() }));
    let record = world.call(
        &a,
        op(MetadataOp::InsertOrUpdatePair {
            key: key(),
            value: "text/plain".into(),
        }),
    );
    let field = record
        .object_changes
        .iter()
        .find(|c| c.object_type.contains("::metadata::Metadata"))
        .unwrap();
    let object_id = pool(&world, &pool_id).blobs[0].blob.id;
    assert_eq!(field.owner, Some(Owner::Object(ObjectId::new(object_id.0))));
    world.assert_aborts(
        &a,
        op(MetadataOp::Add(vec![(key(), "x".into())])),
        sp::EDuplicateMetadata,
    );
    world.call(&a, op(MetadataOp::AddOrReplace(vec![(key(), "a".into())])));
    let p = pool(&world, &pool_id);
    assert_eq!(
        p.blobs[0].metadata.as_ref().unwrap().get("content-type"),
        Some("a")
    );
    world.call(&a, op(MetadataOp::RemovePair { key: key() }));
    world.assert_aborts(
        &a,
        op(MetadataOp::RemovePair { key: key() }),
        walrus_chain::walrus::errors::vec_map::EKeyDoesNotExist,
    );
    world.call(&a, op(MetadataOp::Take));
    assert!(pool(&world, &pool_id).blobs[0].metadata.is_none());
    world.assert_aborts(
        &a,
        pool_call(SystemCall::PooledBlobMetadata {
            storage_pool: pool_id,
            blob_id: u256(5),
            op: MetadataOp::Take,
        }),
        dynamic_field::EFieldDoesNotExist,
    );
}
