/// `Storage`: a reservation of `storage_size` encoded bytes for the epochs
/// [start_epoch, end_epoch). Only the package creates it (by payment in `system`); owners can
/// split, fuse and destroy it, and use it to register a blob or to extend one.
module walrus::storage_resource;

// === Errors ===

/// The split epoch is not strictly inside the storage period.
const EInvalidEpoch: u64 = 0;
/// The periods of the two storages to fuse are not adjacent (or, for `fuse_amount`, not
/// equal).
const EIncompatibleEpochs: u64 = 1;
/// The sizes of the two storages to fuse by period differ.
const EIncompatibleAmount: u64 = 2;
/// A storage period whose end is not after its start.
const EInvalidEpochRange: u64 = 3;

// === Object definitions ===

/// Reserved storage: `storage_size` encoded bytes for each epoch in [start_epoch, end_epoch).
public struct Storage has key, store {
    id: UID,
    start_epoch: u32,
    end_epoch: u32,
    storage_size: u64,
}

// === Accessors ===

/// The first epoch of the reservation (inclusive).
public fun start_epoch(self: &Storage): u32 { self.start_epoch }

/// The end of the reservation (exclusive).
public fun end_epoch(self: &Storage): u32 { self.end_epoch }

/// The reserved size in encoded bytes.
public fun size(self: &Storage): u64 { self.storage_size }

// === Public functions ===

/// Splits `storage` at `split_epoch`: `storage` keeps [start, split_epoch) and the returned
/// storage gets [split_epoch, end). Aborts unless start < split_epoch < end.
public fun split_by_epoch(storage: &mut Storage, split_epoch: u32, ctx: &mut TxContext): Storage {
    assert!(
        split_epoch > storage.start_epoch && split_epoch < storage.end_epoch,
        EInvalidEpoch,
    );
    let new_storage = Storage {
        id: object::new(ctx),
        start_epoch: split_epoch,
        end_epoch: storage.end_epoch,
        storage_size: storage.storage_size,
    };
    storage.end_epoch = split_epoch;
    new_storage
}

/// Splits `storage` by size: `storage` keeps `split_size` bytes and the returned storage gets
/// the rest, for the same period (either may be zero). Aborts with `EIncompatibleAmount` when
/// `split_size` exceeds the size.
public fun split_by_size(storage: &mut Storage, split_size: u64, ctx: &mut TxContext): Storage {
    assert!(storage.storage_size >= split_size, EIncompatibleAmount);
    let new_storage = Storage {
        id: object::new(ctx),
        start_epoch: storage.start_epoch,
        end_epoch: storage.end_epoch,
        storage_size: storage.storage_size - split_size,
    };
    storage.storage_size = split_size;
    new_storage
}

/// Fuses two storages of the same size whose periods are adjacent (in either order) into
/// `first`, which then covers both periods.
public fun fuse_periods(first: &mut Storage, second: Storage) {
    let Storage { id, start_epoch, end_epoch, storage_size } = second;
    id.delete();
    assert!(first.storage_size == storage_size, EIncompatibleAmount);
    if (first.end_epoch == start_epoch) {
        first.end_epoch = end_epoch;
    } else {
        assert!(first.start_epoch == end_epoch, EIncompatibleEpochs);
        first.start_epoch = start_epoch;
    }
}

/// Fuses two storages with the same period into `first`, adding the sizes.
public fun fuse_amount(first: &mut Storage, second: Storage) {
    let Storage { id, start_epoch, end_epoch, storage_size } = second;
    id.delete();
    assert!(
        first.start_epoch == start_epoch && first.end_epoch == end_epoch,
        EIncompatibleEpochs,
    );
    first.storage_size = first.storage_size + storage_size;
}

/// Fuses `second` into `first`: by amount when they start in the same epoch (then the periods
/// must be equal), otherwise by period.
public fun fuse(first: &mut Storage, second: Storage) {
    if (first.start_epoch == second.start_epoch) {
        fuse_amount(first, second)
    } else {
        fuse_periods(first, second)
    }
}

/// Destroys a storage resource. The reserved capacity stays accounted (no refund).
public fun destroy(storage: Storage) {
    let Storage { id, .. } = storage;
    id.delete();
}

// === Public-Package functions ===

/// Creates a storage resource for [start, end); aborts with `EInvalidEpochRange` unless
/// start < end. Only the package may do this (after payment).
public(package) fun create_storage(
    start_epoch: u32,
    end_epoch: u32,
    storage_size: u64,
    ctx: &mut TxContext,
): Storage {
    assert!(start_epoch < end_epoch, EInvalidEpochRange);
    Storage { id: object::new(ctx), start_epoch, end_epoch, storage_size }
}

/// Moves the end of the reservation `extension_epochs` later.
public(package) fun extend_end_epoch(self: &mut Storage, extension_epochs: u32) {
    self.end_epoch = self.end_epoch + extension_epochs;
}

/// Adds `additional_size` bytes to the storage.
public(package) fun increase_size(self: &mut Storage, additional_size: u64) {
    self.storage_size = self.storage_size + additional_size;
}

// === Test-only ===

#[test_only]
public fun create_for_test(
    start_epoch: u32,
    end_epoch: u32,
    storage_size: u64,
    ctx: &mut TxContext,
): Storage {
    Storage { id: object::new(ctx), start_epoch, end_epoch, storage_size }
}
