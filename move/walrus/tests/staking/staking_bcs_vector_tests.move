#[test_only]
/// BCS test vectors of the staking objects a delegator or node operator owns: `StakedWal`
/// (staked and withdrawing) and `StorageNodeCap`. The same hex strings are in
/// `tests/bcs_vectors.json` (checked by `scripts/tests/bcs_vectors.test.mjs`) for the Rust
/// twins in `services/core/src/contracts/staking.rs`. Never change a vector without changing
/// the JSON file and the Rust types.
module walrus::staking_bcs_vector_tests;

use std::unit_test::{assert_eq, destroy};
use sui::bcs;
use walrus::staked_wal;
use walrus::storage_node;

fun node_id(): ID { @0xC0FFEE.to_id() }

#[test]
fun staked_wal_object() {
    // The object id is the first one derived from `tx_context::dummy()`; 5 WAL active from
    // epoch 3.
    let mut ctx = tx_context::dummy();
    let sw = staked_wal::mint_for_testing(node_id(), 5_000_000_000, 3, &mut ctx);
    assert_eq!(
        bcs::to_bytes(&sw),
        x"381dd9078c322a4663c392761a0211b527c127b29583851217f948d62131f409000000000000000000000000000000000000000000000000000000000000c0ffee00f2052a0100000003000000",
    );
    destroy(sw);
}

#[test]
fun staked_wal_withdrawing_object() {
    // As `staked_wal_object`, withdrawing at epoch 7.
    let mut ctx = tx_context::dummy();
    let mut sw = staked_wal::mint_for_testing(node_id(), 5_000_000_000, 3, &mut ctx);
    sw.set_withdrawing(7);
    assert_eq!(
        bcs::to_bytes(&sw),
        x"381dd9078c322a4663c392761a0211b527c127b29583851217f948d62131f40901070000000000000000000000000000000000000000000000000000000000000000c0ffee00f2052a0100000003000000",
    );
    destroy(sw);
}

#[test]
fun storage_node_cap_object() {
    // The first object id of `tx_context::dummy()`; sync done reported for epoch 4.
    let mut ctx = tx_context::dummy();
    let mut cap = storage_node::new_cap_for_testing(node_id(), &mut ctx);
    cap.set_last_epoch_sync_done(4);
    // An attestation of the blob ending at checkpoint 42 in epoch 3; deny list 0xab, #2, 1 KiB.
    cap.set_last_event_blob_attestation(walrus::event_blob::new_attestation(42, 3));
    cap.set_deny_list_properties(0xab, 2, 1024);
    assert_eq!(
        bcs::to_bytes(&cap),
        x"381dd9078c322a4663c392761a0211b527c127b29583851217f948d62131f4090000000000000000000000000000000000000000000000000000000000c0ffee04000000012a0000000000000003000000ab0000000000000000000000000000000000000000000000000000000000000002000000000000000004000000000000",
    );
    destroy(cap);
}
