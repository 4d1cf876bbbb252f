#[test_only]
/// Shared helpers for the system tests: committees, systems, coins and blobs.
module walrus::test_utils;

use sui::coin::{Self, Coin};
use wal::wal::WAL;
use walrus::blob::{Self, Blob};
use walrus::bls_aggregate::{Self, BlsCommittee};
use walrus::system::{Self, System};

/// Storage price per MiB unit per epoch used by the test systems.
const STORAGE_PRICE: u64 = 5;
/// Write price per MiB unit used by the test systems.
const WRITE_PRICE: u64 = 1;
/// Capacity of the test systems (encoded bytes per epoch).
const CAPACITY: u64 = 1_000_000_000_000;
/// Accounting window of the test systems.
const MAX_EPOCHS_AHEAD: u32 = 104;
/// Root hash used for test blobs.
const ROOT_HASH: u256 = 0xABC;
/// Unencoded size of test blobs.
const SIZE: u64 = 1_000_000;

public fun storage_price(): u64 { STORAGE_PRICE }

public fun write_price(): u64 { WRITE_PRICE }

public fun capacity(): u64 { CAPACITY }

public fun max_epochs_ahead(): u32 { MAX_EPOCHS_AHEAD }

public fun root_hash(): u256 { ROOT_HASH }

public fun size(): u64 { SIZE }

/// A committee of 4 members with weights 3, 3, 3, 1 (n_shards = 10) in `epoch`.
public fun committee(epoch: u32): BlsCommittee {
    bls_aggregate::new_bls_committee_for_testing(epoch, vector[3, 3, 3, 1])
}

/// A test system in `epoch` with the 10-shard committee and the test prices and capacity.
public fun system(epoch: u32, ctx: &mut TxContext): System {
    system::new_for_testing(
        committee(epoch),
        MAX_EPOCHS_AHEAD,
        CAPACITY,
        STORAGE_PRICE,
        WRITE_PRICE,
        ctx,
    )
}

/// `amount` FROST of WAL.
public fun wal(amount: u64, ctx: &mut TxContext): Coin<WAL> {
    coin::mint_for_testing<WAL>(amount, ctx)
}

/// The blob id of the standard test blob.
public fun blob_id(): u256 {
    blob::derive_blob_id(ROOT_HASH, 1, SIZE)
}

/// Reserves space for the standard test blob for `epochs` epochs and registers it.
public fun register_blob(
    system: &mut System,
    epochs: u32,
    deletable: bool,
    ctx: &mut TxContext,
): Blob {
    let mut payment = wal(1_000_000_000_000, ctx);
    let encoded = walrus::encoding::encoded_blob_length(SIZE, 1, system.n_shards());
    let storage = system.reserve_space(encoded, epochs, &mut payment, ctx);
    let blob = system.register_blob(
        storage,
        blob_id(),
        ROOT_HASH,
        SIZE,
        1,
        deletable,
        &mut payment,
        ctx,
    );
    std::unit_test::destroy(payment);
    blob
}

/// A bitmap in which all 4 members of `committee` signed.
public fun all_signers(): vector<u8> { vector[0x0F] }

/// Any signature: the test runner's BLS verification accepts every signature.
public fun signature(): vector<u8> { vector[0u8, 1, 2] }

/// Certifies `blob` with all members signing in the system's current epoch.
public fun certify(system: &System, blob: &mut Blob) {
    let message = blob.certification_message_for_testing(system.epoch());
    system.certify_blob(blob, signature(), all_signers(), message);
}
