//! Scenario tests of the Walrus devnet machine, run through the ledger engine with signed
//! transactions. Each test that mirrors a Move test names it (file::function) and uses the same
//! inputs and expected numbers; its twin lives in `move/walrus/tests/system/scenario_tests.move`.
//! The last tests check what the Move tests cannot: real BLS signatures and the engine's
//! refusal of unsigned or forged transactions.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod walrus_support;

use walrus_chain::devnet::ledger::SubmitError;
use walrus_chain::devnet::tx::{SignedTransaction, TransactionData, TxError};
use walrus_chain::types::{ChangeKind, ExecutionStatus};
use walrus_chain::walrus::errors::{blob, bls_aggregate, input, messages};
use walrus_chain::walrus::{Call, SystemCall, availability, system};
use walrus_core::contracts::{self, BlobCertified, BlobDeleted, BlobRegistered, ContractEvent};
use walrus_support::*;

/// `availability::is_available_now(blob, system)`.
fn is_available_now(world: &World, blob_id: &walrus_chain::types::ObjectId) -> bool {
    availability::is_available_now(&world.blob(blob_id).blob, world.system().committee.epoch)
}

/// `availability::available_until(blob, system)`.
fn available_until(world: &World, blob_id: &walrus_chain::types::ObjectId) -> Option<u32> {
    availability::available_until(&world.blob(blob_id).blob, world.system().committee.epoch)
}

/// Mirrors scenario_tests::reserve_register_certify_extend_delete.
#[test]
fn reserve_register_certify_extend_delete() {
    let world = World::test_system(3);
    let alice = alice();
    let (blob_obj, payment) = world.reserve_and_register(&alice, 1_000, ENCODED, 2, true);
    // 4 units * 5 * 2 epochs + 4 units * 1 = 44.
    assert_eq!(world.coin_value(&payment), 956);
    // BlobRegistered, byte for byte what Move emits.
    let b = world.blob(&blob_obj).blob;
    assert_eq!(b.storage.storage_size, ENCODED);
    let registered = BlobRegistered {
        epoch: 3,
        blob_id: blob_id(),
        size: SIZE,
        encoding_type: 1,
        end_epoch: 5,
        deletable: true,
        object_id: move_id(&blob_obj),
    };

    // Certify in epoch 3 with all members signing.
    let message = world.certification_message(&blob_obj, 3);
    let record = world.call(&alice, certify_call(&blob_obj, &message, &[0, 1, 2, 3]));
    assert_eq!(
        events(&record),
        vec![ContractEvent::BlobCertified(BlobCertified {
            epoch: 3,
            blob_id: blob_id(),
            end_epoch: 5,
            deletable: true,
            object_id: move_id(&blob_obj),
            is_extension: false,
        })]
    );
    assert_eq!(
        record.events[0].event_type,
        format!(
            "{}::events::BlobCertified",
            walrus_chain::walrus::WALRUS_PACKAGE
        )
    );
    assert!(is_available_now(&world, &blob_obj));

    // Extend by 2 epochs: [3, 7).
    let coin = world.wal(&alice, 40);
    let record = world.call(
        &alice,
        Call::System(SystemCall::ExtendBlob {
            blob: blob_obj,
            extended_epochs: 2,
            payment: coin,
        }),
    );
    assert_eq!(world.coin_value(&coin), 0);
    assert_eq!(world.blob(&blob_obj).blob.end_epoch(), 7);
    assert_eq!(events(&record).len(), 1);

    // Two epochs later the blob is still available and certified since epoch 3.
    world.advance_epoch();
    world.advance_epoch();
    assert_eq!(world.system().committee.epoch, 5);
    assert_eq!(world.blob(&blob_obj).blob.certified_epoch, Some(3));
    assert_eq!(available_until(&world, &blob_obj), Some(7));

    // Delete it: the storage for [3, 7) comes back.
    let record = world.call(
        &alice,
        Call::System(SystemCall::DeleteBlob { blob: blob_obj }),
    );
    let storage = created(&record, "::storage_resource::Storage");
    let s = world.storage(&storage);
    assert_eq!(s.end_epoch, 7);
    assert_eq!(s.storage_size, ENCODED);
    assert_eq!(
        events(&record),
        vec![ContractEvent::BlobDeleted(BlobDeleted {
            epoch: 5,
            blob_id: blob_id(),
            end_epoch: 7,
            object_id: move_id(&blob_obj),
            was_certified: true,
        })]
    );
    let deleted: Vec<_> = record
        .object_changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Deleted)
        .collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].object_id, blob_obj);
    assert!(!world.exists(&blob_obj));

    // The registration event, from the stream as an indexer reads it.
    let all = world.ledger.read_records(0, 100).unwrap();
    let registered_events: Vec<_> = all
        .iter()
        .flat_map(events)
        .filter(|e| matches!(e, ContractEvent::BlobRegistered(_)))
        .collect();
    assert_eq!(
        registered_events,
        vec![ContractEvent::BlobRegistered(registered)]
    );
}

/// Mirrors scenario_tests::blob_expires_at_its_end_epoch.
#[test]
fn blob_expires_at_its_end_epoch() {
    let world = World::test_system(3);
    let alice = alice();
    let (blob_obj, _) = world.reserve_and_register(&alice, 1_000, ENCODED, 1, false);
    world.certify(&alice, &blob_obj);
    assert_eq!(available_until(&world, &blob_obj), Some(4));
    world.advance_epoch();
    assert_eq!(world.system().committee.epoch, 4);
    assert!(world.blob(&blob_obj).blob.is_certified());
    assert!(!is_available_now(&world, &blob_obj));
    assert_eq!(available_until(&world, &blob_obj), None);
    // Its capacity is no longer accounted in epoch 4.
    assert_eq!(world.system().used_capacity_size, 0);
}

/// Mirrors scenario_tests::expired_blob_cannot_be_extended.
#[test]
fn expired_blob_cannot_be_extended() {
    let world = World::test_system(3);
    let alice = alice();
    let (blob_obj, _) = world.reserve_and_register(&alice, 1_000, ENCODED, 1, false);
    world.certify(&alice, &blob_obj);
    world.advance_epoch();
    let coin = world.wal(&alice, 1_000);
    world.assert_aborts(
        &alice,
        Call::System(SystemCall::ExtendBlob {
            blob: blob_obj,
            extended_epochs: 1,
            payment: coin,
        }),
        blob::EResourceBounds,
    );
}

/// Mirrors scenario_tests::double_certification_aborts. In Move's test scenario Bob takes
/// Alice's blob with `take_from_address`; on a real chain only the owner can use an owned
/// object, so here Alice submits the same certificate twice, and Bob's attempt is refused as
/// an input error first.
#[test]
fn double_certification_aborts() {
    let world = World::test_system(3);
    let alice = alice();
    let (blob_obj, _) = world.reserve_and_register(&alice, 1_000, ENCODED, 2, false);
    let message = world.certification_message(&blob_obj, 3);
    let call = certify_call(&blob_obj, &message, &[0, 1, 2, 3]);
    world.call(&alice, call.clone());
    world.assert_aborts(&bob(), call.clone(), input::ENotOwner);
    world.assert_aborts(&alice, call, blob::EAlreadyCertified);
}

/// Mirrors scenario_tests::certificate_from_the_previous_epoch_aborts.
#[test]
fn certificate_from_the_previous_epoch_aborts() {
    let world = World::test_system(3);
    let alice = alice();
    let (blob_obj, _) = world.reserve_and_register(&alice, 1_000, ENCODED, 3, false);
    // Nodes sign in epoch 3 ...
    let message = world.certification_message(&blob_obj, 3);
    let call = certify_call(&blob_obj, &message, &[0, 1, 2, 3]);
    // ... but the epoch changes before the certificate lands (same members, so the signature
    // still verifies and the epoch check is what fails).
    world.advance_epoch();
    world.assert_aborts(&alice, call, messages::EIncorrectEpoch);
}

/// Mirrors scenario_tests::bitmap_with_a_bit_past_the_last_member_aborts.
#[test]
fn bitmap_with_a_bit_past_the_last_member_aborts() {
    let world = World::test_system(3);
    let alice = alice();
    let (blob_obj, _) = world.reserve_and_register(&alice, 1_000, ENCODED, 2, false);
    let message = world.certification_message(&blob_obj, 3);
    // 4 members: bit 4 does not belong to anyone.
    world.assert_aborts(
        &alice,
        Call::System(SystemCall::CertifyBlob {
            blob: blob_obj,
            signature: sign(&message, &[0, 1, 2, 3]),
            signers_bitmap: vec![0x1F],
            message,
        }),
        bls_aggregate::EInvalidBitmap,
    );
}

/// Mirrors scenario_tests::insufficient_weight_for_quorum_aborts.
#[test]
fn insufficient_weight_for_quorum_aborts() {
    let world = World::test_system(3);
    let alice = alice();
    let (blob_obj, _) = world.reserve_and_register(&alice, 1_000, ENCODED, 2, false);
    let message = world.certification_message(&blob_obj, 3);
    // Members 0, 1: 6 of 10 shards; a quorum needs 7.
    let call = certify_call(&blob_obj, &message, &[0, 1]);
    assert!(
        matches!(&call, Call::System(SystemCall::CertifyBlob { signers_bitmap, .. }) if signers_bitmap == &vec![0x03])
    );
    world.assert_aborts(&alice, call, bls_aggregate::ENotEnoughStake);
}

/// Mirrors scenario_tests::quorum_with_exactly_enough_weight.
#[test]
fn quorum_with_exactly_enough_weight() {
    let world = World::test_system(3);
    let alice = alice();
    let (blob_obj, _) = world.reserve_and_register(&alice, 1_000, ENCODED, 2, false);
    let message = world.certification_message(&blob_obj, 3);
    // Members 0, 1, 3: 7 of 10 shards (bitmap 0x0B).
    let call = certify_call(&blob_obj, &message, &[0, 1, 3]);
    assert!(
        matches!(&call, Call::System(SystemCall::CertifyBlob { signers_bitmap, .. }) if signers_bitmap == &vec![0x0B])
    );
    world.call(&alice, call);
    assert!(world.blob(&blob_obj).blob.is_certified());
}

/// Mirrors scenario_tests::deletable_blob_certified_with_another_object_id_aborts.
#[test]
fn deletable_blob_certified_with_another_object_id_aborts() {
    let world = World::test_system(3);
    // Alice and Bob register the same content as deletable blobs.
    let (alice_blob, _) = world.reserve_and_register(&alice(), 1_000, ENCODED, 2, true);
    let (bob_blob, _) = world.reserve_and_register(&bob(), 1_000, ENCODED, 2, true);
    let alice_certificate = world.certification_message(&alice_blob, 3);
    // Bob uses the certificate for Alice's object on his blob.
    world.assert_aborts(
        &bob(),
        certify_call(&bob_blob, &alice_certificate, &[0, 1, 2, 3]),
        blob::EInvalidBlobObject,
    );
    // With his own certificate it works.
    let own = world.certification_message(&bob_blob, 3);
    world.call(&bob(), certify_call(&bob_blob, &own, &[0, 1, 2, 3]));
}

// === What Move's tests cannot check ===

/// A certificate whose aggregate signature does not match the bitmap's signers, or is over
/// other bytes, or is not a signature at all: `bls_aggregate::ESigVerification` (Move's test
/// runner accepts every signature, so this lives only here).
#[test]
fn wrong_bls_signature_is_rejected() {
    let world = World::test_system(3);
    let alice = alice();
    let (blob_obj, _) = world.reserve_and_register(&alice, 1_000, ENCODED, 2, false);
    let message = world.certification_message(&blob_obj, 3);
    let certify = |signature: Vec<u8>, signers_bitmap: Vec<u8>, message: Vec<u8>| {
        Call::System(SystemCall::CertifyBlob {
            blob: blob_obj,
            signature,
            signers_bitmap,
            message,
        })
    };
    // Members 0, 1, 2 signed, but the bitmap claims 0, 1, 3.
    world.assert_aborts(
        &alice,
        certify(
            sign(&message, &[0, 1, 2]),
            bitmap(&[0, 1, 3]),
            message.clone(),
        ),
        bls_aggregate::ESigVerification,
    );
    // Signed over another blob id.
    let mut other = message.clone();
    other[10] ^= 1;
    world.assert_aborts(
        &alice,
        certify(
            sign(&other, &[0, 1, 2, 3]),
            bitmap(&[0, 1, 2, 3]),
            message.clone(),
        ),
        bls_aggregate::ESigVerification,
    );
    // A key outside the committee.
    let outsider = walrus_chain::bls::BlsPrivateKey::from_ikm(&[0x99; 32]).unwrap();
    let mut sigs: Vec<_> = (0..3).map(|i| member_key(i).sign(&message)).collect();
    sigs.push(outsider.sign(&message));
    let forged = walrus_chain::bls::BlsSignature::aggregate(sigs.iter()).unwrap();
    world.assert_aborts(
        &alice,
        certify(
            forged.as_bytes().to_vec(),
            bitmap(&[0, 1, 2, 3]),
            message.clone(),
        ),
        bls_aggregate::ESigVerification,
    );
    // Garbage bytes and an empty signature.
    for garbage in [vec![0u8; 96], vec![1, 2, 3], Vec::new()] {
        world.assert_aborts(
            &alice,
            certify(garbage, bitmap(&[0, 1, 2, 3]), message.clone()),
            bls_aggregate::ESigVerification,
        );
    }
    // The right certificate still works afterwards.
    world.call(&alice, certify_call(&blob_obj, &message, &[0, 1, 2, 3]));
    assert!(world.blob(&blob_obj).blob.is_certified());
}

/// Invalidation needs f+1 with real signatures too (mirrors
/// system_tests::invalidate_blob_id_with_f_plus_one, and a forged variant).
#[test]
fn invalidation_certificate_is_verified() {
    let world = World::test_system(3);
    let message = invalid_blob_id_message(3, u256(77));
    // Members 0 and 3 (bitmap 0x09) signed, but the signature is member 0's alone.
    world.assert_aborts(
        &alice(),
        Call::System(SystemCall::InvalidateBlobId {
            signature: sign(&message, &[0]),
            members_bitmap: vec![0x09],
            message: message.clone(),
        }),
        bls_aggregate::ESigVerification,
    );
    let record = world.call(
        &alice(),
        Call::System(SystemCall::InvalidateBlobId {
            signature: sign(&message, &[0, 3]),
            members_bitmap: vec![0x09],
            message,
        }),
    );
    assert_eq!(
        events(&record),
        vec![ContractEvent::InvalidBlobId(contracts::InvalidBlobId {
            epoch: 3,
            blob_id: u256(77),
        })]
    );
}

/// The engine refuses unsigned, wrongly signed, forged and replayed transactions before they
/// run: nothing is journaled, no nonce is used, no state changes.
#[test]
fn unsigned_or_forged_transactions_are_refused() {
    let world = World::test_system(3);
    let alice = alice();
    let mallory = Account::new(0x66);
    let coin = world.wal(&alice, 1_000);
    let head = world.ledger.head();
    let before = world.snapshot();
    let nonce = world.ledger.next_nonce(alice.address());
    // Mallory tries to spend Alice's coin in Alice's name.
    let call = TestCall::Walrus(Call::Coin(walrus_chain::walrus::CoinCall::Transfer {
        object: coin,
        recipient: mallory.address(),
    }));
    let data = TransactionData {
        sender: alice.address(),
        nonce,
        call: call.clone(),
    };

    // Signed by Mallory's key.
    let forged = SignedTransaction::sign(&data, &mallory.key);
    assert!(matches!(
        world.ledger.submit(forged),
        Err(SubmitError::Invalid(TxError::WrongSigner { .. }))
    ));
    // No signature at all.
    let unsigned = SignedTransaction {
        data: data.to_bcs(),
        signature: Vec::new(),
    };
    assert!(matches!(
        world.ledger.submit(unsigned),
        Err(SubmitError::Invalid(TxError::MalformedSignature(_)))
    ));
    // Alice's valid signature over other data, pasted onto this transaction.
    let other = alice.sign(
        nonce,
        TestCall::Walrus(Call::Coin(walrus_chain::walrus::CoinCall::Faucet {
            amount: 1,
        })),
    );
    let pasted = SignedTransaction {
        data: data.to_bcs(),
        signature: other.signature.clone(),
    };
    assert!(matches!(
        world.ledger.submit(pasted),
        Err(SubmitError::Invalid(TxError::BadSignature(_)))
    ));
    // A tampered signature byte.
    let mut tampered = alice.sign(nonce, call.clone());
    tampered.signature[5] ^= 0xFF;
    assert!(world.ledger.submit(tampered).is_err());

    assert_eq!(world.ledger.head(), head);
    assert_eq!(world.ledger.next_nonce(alice.address()), nonce);
    assert_eq!(world.snapshot(), before);

    // Alice's own transaction goes through once; the same bytes again are a replay.
    let genuine = alice.sign(
        nonce,
        TestCall::Walrus(Call::Coin(walrus_chain::walrus::CoinCall::Transfer {
            object: coin,
            recipient: bob().address(),
        })),
    );
    let record = world
        .ledger
        .submit(genuine.clone())
        .unwrap()
        .durable_blocking()
        .unwrap();
    assert_eq!(record.status, ExecutionStatus::Success);
    assert!(matches!(
        world.ledger.submit(genuine),
        Err(SubmitError::Replayed { .. })
    ));
    assert_eq!(
        world.ledger.object(&coin).unwrap().owner,
        walrus_chain::types::Owner::Address(bob().address())
    );
}

/// Object contents in the stream are Move BCS: a Blob decodes as the `blob::Blob` twin, a
/// coin as `Coin`, the System as `system::System { id, version }`.
#[test]
fn object_changes_carry_move_bcs() {
    let world = World::test_system(3);
    let alice = alice();
    let (blob_obj, coin) = world.reserve_and_register(&alice, 1_000, ENCODED, 2, false);
    let record = world.certify(&alice, &blob_obj);
    let change = record
        .object_changes
        .iter()
        .find(|c| c.object_id == blob_obj)
        .unwrap();
    assert_eq!(change.kind, ChangeKind::Mutated);
    assert_eq!(
        change.object_type,
        format!("{}::blob::Blob", walrus_chain::walrus::WALRUS_PACKAGE)
    );
    let decoded: contracts::Blob = bcs::from_bytes(change.contents.as_ref().unwrap()).unwrap();
    assert_eq!(decoded, world.blob(&blob_obj).blob);
    assert_eq!(decoded.certified_epoch, Some(3));
    // certify_blob takes &System: the System is not written.
    assert!(
        record
            .object_changes
            .iter()
            .all(|c| c.object_id != world.system_id())
    );

    let coin_obj = world.ledger.object(&coin).unwrap();
    let coin_bcs = walrus_chain::devnet::objects::LedgerObject::move_bcs(&coin_obj.value);
    let decoded: contracts::Coin = bcs::from_bytes(&coin_bcs).unwrap();
    assert_eq!(decoded.balance, 956);
    assert_eq!(decoded.id, move_id(&coin));

    let system_obj = world.ledger.object(&world.system_id()).unwrap();
    let system_bcs = walrus_chain::devnet::objects::LedgerObject::move_bcs(&system_obj.value);
    let decoded: contracts::System = bcs::from_bytes(&system_bcs).unwrap();
    assert_eq!(decoded.version, system::VERSION);
    assert_eq!(decoded.id, move_id(&world.system_id()));
}

/// The bytes nodes sign (`walrus_core::messages`) are the Move vectors
/// (`walrus::bcs_vector_tests::blob_certification_message_*`, `invalid_blob_id_message`),
/// and the machine parses them as Move does.
#[test]
fn signed_message_bytes_match_the_move_vectors() {
    use walrus_core::messages::{
        BlobCertificationMessage, BlobPersistenceType, InvalidBlobIdMessage,
    };
    let vectors: Vec<serde_json::Value> =
        serde_json::from_str(include_str!("../../../move/walrus/tests/bcs_vectors.json")).unwrap();
    let hex_of = |name: &str| {
        vectors.iter().find(|v| v["name"] == name).unwrap()["hex"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let id: [u8; 32] =
        hex::decode("e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f")
            .unwrap()
            .try_into()
            .unwrap();
    let object_id = contracts::ObjectId::from_u64(0xc0ffee);
    let permanent = BlobCertificationMessage {
        epoch: 7,
        blob_id: id,
        persistence: BlobPersistenceType::Permanent,
    }
    .to_bytes();
    assert_eq!(
        hex::encode(&permanent),
        hex_of("BlobCertificationMessagePermanent")
    );
    let deletable = BlobCertificationMessage {
        epoch: 7,
        blob_id: id,
        persistence: BlobPersistenceType::Deletable { object_id },
    }
    .to_bytes();
    assert_eq!(
        hex::encode(&deletable),
        hex_of("BlobCertificationMessageDeletable")
    );
    let invalid = InvalidBlobIdMessage {
        epoch: 9,
        blob_id: id,
    }
    .to_bytes();
    assert_eq!(hex::encode(&invalid), hex_of("InvalidBlobIdMessage"));

    use walrus_chain::walrus::messages as m;
    let parsed =
        m::certify_blob_message(m::new_certified_message(&deletable, 7, 7).unwrap()).unwrap();
    assert_eq!(parsed.blob_id.0, id);
    assert_eq!(
        parsed.blob_persistence_type,
        BlobPersistenceType::Deletable { object_id }
    );
    let parsed =
        m::invalid_blob_id_message(m::new_certified_message(&invalid, 9, 4).unwrap()).unwrap();
    assert_eq!(parsed.blob_id.0, id);
}

/// End to end with the staking half: genesis registers four nodes with real BLS keys, stakes
/// and votes, and bootstraps epoch 1 (committee, capacity and prices from the votes); a blob
/// is then reserved, registered and certified by a quorum of that committee's real keys.
#[test]
fn blob_certified_by_the_genesis_committee() {
    use walrus_chain::walrus::GenesisConfig;
    use walrus_chain::walrus::bls_aggregate::uncompressed_g1;
    use walrus_chain::walrus::staking::{GenesisNode, GenesisVotes};

    let operators: Vec<Account> = (0..4).map(|i| Account::new(0x10 + i)).collect();
    let keys: Vec<_> = (0..4).map(member_key).collect();
    let nodes = (0..4)
        .map(|i| {
            GenesisNode::new(
                format!("node-{i}"),
                format!("127.0.0.1:{}", 9000 + i),
                &keys[i],
                vec![2; 33],
                0,
                operators[i].address(),
                100 * walrus_chain::walrus::FROST_PER_WAL,
                GenesisVotes {
                    storage_price: 5,
                    write_price: 1,
                    node_capacity: 1_000_000_000_000,
                },
            )
        })
        .collect();
    let world = World::with_config(GenesisConfig {
        n_shards: 100,
        nodes,
        ..GenesisConfig::default()
    });
    let s = world.system();
    assert_eq!(s.committee.epoch, 1);
    assert_eq!(s.committee.n_shards, 100);
    assert_eq!(s.committee.members.len(), 4);
    assert_eq!(
        (s.storage_price_per_unit_size, s.write_price_per_unit_size),
        (5, 1)
    );

    // Committee member index -> our key (members are in node-id order).
    let index_of_key: Vec<usize> = s
        .committee
        .members
        .iter()
        .map(|m| {
            keys.iter()
                .position(|k| uncompressed_g1(k.public_key().as_bytes()).unwrap() == m.public_key)
                .unwrap()
        })
        .collect();

    let alice = alice();
    let encoded = walrus_chain::walrus::encoding::encoded_blob_length(SIZE, 1, 100).unwrap();
    let (blob_obj, _) = world.reserve_and_register(&alice, 1_000_000, encoded, 2, false);
    let message = world.certification_message(&blob_obj, 1);
    // Members 0, 1, 2 of the committee (75 of 100 shards), signed with their keys.
    let signers = [0usize, 1, 2];
    let sigs: Vec<_> = signers
        .iter()
        .map(|m| keys[index_of_key[*m]].sign(&message))
        .collect();
    let signature = walrus_chain::bls::BlsSignature::aggregate(sigs.iter()).unwrap();
    let record = world.call(
        &alice,
        Call::System(SystemCall::CertifyBlob {
            blob: blob_obj,
            signature: signature.as_bytes().to_vec(),
            signers_bitmap: bitmap(&signers),
            message: message.clone(),
        }),
    );
    assert_eq!(
        events(&record),
        vec![ContractEvent::BlobCertified(BlobCertified {
            epoch: 1,
            blob_id: blob_id(),
            end_epoch: 3,
            deletable: false,
            object_id: move_id(&blob_obj),
            is_extension: false,
        })]
    );
    // Two members (50 of 100 shards) are not a quorum.
    let (other, _) = world.reserve_and_register(&alice, 1_000_000, encoded, 2, false);
    let message = world.certification_message(&other, 1);
    let sigs: Vec<_> = [0usize, 1]
        .iter()
        .map(|m| keys[index_of_key[*m]].sign(&message))
        .collect();
    world.assert_aborts(
        &alice,
        Call::System(SystemCall::CertifyBlob {
            blob: other,
            signature: walrus_chain::bls::BlsSignature::aggregate(sigs.iter())
                .unwrap()
                .as_bytes()
                .to_vec(),
            signers_bitmap: bitmap(&[0, 1]),
            message,
        }),
        bls_aggregate::ENotEnoughStake,
    );
}
