#[test_only]
/// BCS test vectors: the bytes of every event, of the `Blob` and `Storage` objects and of the
/// signed messages. The same hex strings are in `tests/bcs_vectors.json` (checked by
/// `scripts/tests/bcs_vectors.test.mjs`) for the Rust twins. Never change a vector without
/// changing the JSON file and the Rust types.
module walrus::bcs_vector_tests;

use std::unit_test::{assert_eq, destroy};
use sui::bcs;
use sui::event;
use walrus::blob;
use walrus::events;
use walrus::messages;
use walrus::storage_pool;
use walrus::storage_resource;

/// Blob id of ENCODING.md vector V3 ("hello walrus", n = 10), as the little-endian u256.
const BLOB_ID: u256 = 0x4ff1367a912f5ab61b6e4f59c7e59ed6d3fb3cd6754baf22e4457c2e53c40ee6;
/// Root hash of V3, as the little-endian u256.
const ROOT_HASH: u256 = 0x2bb8e02fea4964d86c62ba5c50aa9e00a62fdfc94bab1abcd332a5676942738d;

fun object_id(): ID { @0xC0FFEE.to_id() }

#[test]
fun blob_registered() {
    events::emit_blob_registered(7, BLOB_ID, 12, 1, 60, true, object_id());
    let emitted = event::events_by_type<events::BlobRegistered>();
    assert_eq!(
        bcs::to_bytes(&emitted[0]),
        x"07000000e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f0c00000000000000013c000000010000000000000000000000000000000000000000000000000000000000c0ffee",
    );
}

#[test]
fun blob_certified() {
    events::emit_blob_certified(7, BLOB_ID, 60, false, object_id(), true);
    let emitted = event::events_by_type<events::BlobCertified>();
    assert_eq!(
        bcs::to_bytes(&emitted[0]),
        x"07000000e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f3c000000000000000000000000000000000000000000000000000000000000000000c0ffee01",
    );
}

#[test]
fun blob_deleted() {
    events::emit_blob_deleted(8, BLOB_ID, 60, object_id(), true);
    let emitted = event::events_by_type<events::BlobDeleted>();
    assert_eq!(
        bcs::to_bytes(&emitted[0]),
        x"08000000e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f3c0000000000000000000000000000000000000000000000000000000000000000c0ffee01",
    );
}

#[test]
fun invalid_blob_id() {
    events::emit_invalid_blob_id(9, BLOB_ID);
    let emitted = event::events_by_type<events::InvalidBlobID>();
    assert_eq!(
        bcs::to_bytes(&emitted[0]),
        x"09000000e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f",
    );
}

#[test]
fun epoch_change_start() {
    events::emit_epoch_change_start(10);
    let emitted = event::events_by_type<events::EpochChangeStart>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"0a000000");
}

#[test]
fun epoch_change_done() {
    events::emit_epoch_change_done(10);
    let emitted = event::events_by_type<events::EpochChangeDone>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"0a000000");
}

#[test]
fun shards_received() {
    events::emit_shards_received(10, vector[0, 1, 513]);
    let emitted = event::events_by_type<events::ShardsReceived>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"0a00000003000001000102");
}

#[test]
fun epoch_parameters_selected() {
    events::emit_epoch_parameters_selected(11);
    let emitted = event::events_by_type<events::EpochParametersSelected>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"0b000000");
}

#[test]
fun prices_updated() {
    events::emit_prices_updated(10, 100_000, 20_000);
    let emitted = event::events_by_type<events::PricesUpdated>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"0a000000a086010000000000204e000000000000");
}

#[test]
fun protocol_version_updated() {
    events::emit_protocol_version(10, 12, 3);
    let emitted = event::events_by_type<events::ProtocolVersionUpdated>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"0a0000000c0000000300000000000000");
}

#[test]
fun register_deny_list_update() {
    events::emit_register_deny_list_update(10, 0xab, 2, @0xc0ffee.to_id());
    let emitted = event::events_by_type<events::RegisterDenyListUpdate>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"0a000000ab0000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000000000000000c0ffee");
}

#[test]
fun deny_list_update() {
    events::emit_deny_list_update(10, 0xab, 2, @0xc0ffee.to_id());
    let emitted = event::events_by_type<events::DenyListUpdate>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"0a000000ab0000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000000000000000c0ffee");
}

#[test]
fun deny_list_blob_deleted() {
    events::emit_deny_listed_blob_deleted(10, 77);
    let emitted = event::events_by_type<events::DenyListBlobDeleted>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"0a0000004d00000000000000000000000000000000000000000000000000000000000000");
}

#[test]
fun shard_recovery_start() {
    events::emit_shard_recovery_start(10, vector[1, 5, 9]);
    let emitted = event::events_by_type<events::ShardRecoveryStart>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"0a00000003010005000900");
}

#[test]
fun storage_pool_created() {
    events::emit_storage_pool_created(10, object_id(), 6940, 7, 60);
    let emitted = event::events_by_type<events::StoragePoolCreated>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"0a0000000000000000000000000000000000000000000000000000000000000000c0ffee1c1b000000000000070000003c000000");
}

#[test]
fun pooled_blob_registered() {
    events::emit_pooled_blob_registered(7, BLOB_ID, 12, 1, true, object_id(), @0xbeef.to_id());
    let emitted = event::events_by_type<events::PooledBlobRegistered>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"07000000e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f0c0000000000000001010000000000000000000000000000000000000000000000000000000000c0ffee000000000000000000000000000000000000000000000000000000000000beef");
}

#[test]
fun pooled_blob_certified() {
    events::emit_pooled_blob_certified(7, BLOB_ID, false, object_id(), @0xbeef.to_id());
    let emitted = event::events_by_type<events::PooledBlobCertified>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"07000000e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f000000000000000000000000000000000000000000000000000000000000c0ffee000000000000000000000000000000000000000000000000000000000000beef");
}

#[test]
fun pooled_blob_deleted() {
    events::emit_pooled_blob_deleted(8, BLOB_ID, object_id(), true, @0xbeef.to_id());
    let emitted = event::events_by_type<events::PooledBlobDeleted>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"08000000e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f0000000000000000000000000000000000000000000000000000000000c0ffee01000000000000000000000000000000000000000000000000000000000000beef");
}

#[test]
fun storage_pool_extended() {
    events::emit_storage_pool_extended(9, @0xbeef.to_id(), 61);
    let emitted = event::events_by_type<events::StoragePoolExtended>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"09000000000000000000000000000000000000000000000000000000000000000000beef3d000000");
}

#[test]
fun contract_upgraded() {
    events::emit_contract_upgraded(1, object_id(), 3);
    let emitted = event::events_by_type<events::ContractUpgraded>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"010000000000000000000000000000000000000000000000000000000000000000c0ffee0300000000000000");
}

#[test]
fun contract_upgrade_proposed() {
    events::emit_contract_upgrade_proposed(1, vector::tabulate!(32, |_| 7));
    let emitted = event::events_by_type<events::ContractUpgradeProposed>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"01000000200707070707070707070707070707070707070707070707070707070707070707");
}

#[test]
fun contract_upgrade_quorum_reached() {
    events::emit_contract_upgrade_quorum_reached(2, vector::tabulate!(32, |_| 7));
    let emitted = event::events_by_type<events::ContractUpgradeQuorumReached>();
    assert_eq!(bcs::to_bytes(&emitted[0]), x"02000000200707070707070707070707070707070707070707070707070707070707070707");
}

#[test]
fun pooled_blob_object() {
    // V3 ("hello walrus", 12 bytes), deletable, in pool 0xbeef; its id is the first one
    // derived from `tx_context::dummy()`; certified in epoch 7.
    let mut ctx = tx_context::dummy();
    let mut pooled = storage_pool::new_pooled_blob(@0xbeef.to_id(), BLOB_ID, ROOT_HASH, 12, 1, true, 7, &mut ctx);
    let persistence = messages::deletable(object::id(&pooled));
    let message = messages::certified_blob_message_bytes_for_testing(7, BLOB_ID, persistence);
    pooled.certify(7, 60, messages::new_certified_message(message, 7, 10).certify_blob_message());
    assert_eq!(
        bcs::to_bytes(&pooled),
        x"381dd9078c322a4663c392761a0211b527c127b29583851217f948d62131f40907000000e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f0c00000000000000010107000000000000000000000000000000000000000000000000000000000000000000beef01",
    );
    destroy(pooled);
}

#[test]
fun blob_id_derivation() {
    // BCS(encoding_type u8, size u64, root_hash u256); its Blake2b-256 is the blob id.
    let preimage = x"010c000000000000008d73426967a532d3bc1aab4bc9df2fa6009eaa505cba626cd86449ea2fe0b82b";
    assert_eq!(bcs::new(sui::hash::blake2b256(&preimage)).peel_u256(), BLOB_ID);
    assert_eq!(blob::derive_blob_id(ROOT_HASH, 1, 12), BLOB_ID);
}

#[test]
fun blob_certification_message_permanent() {
    let bytes = x"01000307000000e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f00";
    assert_eq!(messages::certified_blob_message_bytes_for_testing(7, BLOB_ID, messages::permanent()), bytes);
    let parsed = messages::new_certified_message(bytes, 7, 10).certify_blob_message();
    assert_eq!(parsed.certified_blob_id(), BLOB_ID);
    assert_eq!(parsed.blob_persistence_type(), messages::permanent());
}

#[test]
fun blob_certification_message_deletable() {
    let bytes = x"01000307000000e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f010000000000000000000000000000000000000000000000000000000000c0ffee";
    assert_eq!(
        messages::certified_blob_message_bytes_for_testing(7, BLOB_ID, messages::deletable(object_id())),
        bytes,
    );
    let parsed = messages::new_certified_message(bytes, 7, 10).certify_blob_message();
    assert_eq!(parsed.blob_persistence_type(), messages::deletable(object_id()));
}

#[test]
fun invalid_blob_id_message() {
    let bytes = x"02000309000000e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f";
    assert_eq!(messages::invalid_blob_id_message_bytes_for_testing(9, BLOB_ID), bytes);
    let parsed = messages::new_certified_message(bytes, 9, 4).invalid_blob_id_message();
    assert_eq!(parsed.invalid_blob_id(), BLOB_ID);
}

#[test]
fun storage_object() {
    // The object id is the first one derived from `tx_context::dummy()`.
    let mut ctx = tx_context::dummy();
    let storage = storage_resource::create_for_test(7, 60, 6940, &mut ctx);
    assert_eq!(
        bcs::to_bytes(&storage),
        x"381dd9078c322a4663c392761a0211b527c127b29583851217f948d62131f409070000003c0000001c1b000000000000",
    );
    destroy(storage);
}

#[test]
fun blob_object() {
    // V3 ("hello walrus", 12 bytes) with 10 shards: encoded length 6940. Storage id first,
    // blob id second from `tx_context::dummy()`; certified in epoch 7.
    let mut ctx = tx_context::dummy();
    let storage = storage_resource::create_for_test(7, 60, 6940, &mut ctx);
    let mut blob = blob::new(storage, BLOB_ID, ROOT_HASH, 12, 1, false, 7, 10, &mut ctx);
    let message = messages::certified_blob_message_bytes_for_testing(7, BLOB_ID, messages::permanent());
    blob.certify_with_certified_msg(7, messages::new_certified_message(message, 7, 10).certify_blob_message());
    assert_eq!(
        bcs::to_bytes(&blob),
        x"eefed4f2b7f6ad5f65d6ea2eef50b4f1d1e98c39ca8eecbc9736da801b8387e607000000e60ec4532e7c45e422af4b75d63cfbd3d69ee5c7594f6e1bb65a2f917a36f14f0c00000000000000010107000000381dd9078c322a4663c392761a0211b527c127b29583851217f948d62131f409070000003c0000001c1b00000000000000",
    );
    destroy(blob);
}
