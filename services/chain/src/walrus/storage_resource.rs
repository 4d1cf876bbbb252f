//! Mirror of `move/walrus/sources/system/storage_resource.move`: `Storage` reservations.

use walrus_core::contracts::{ObjectId, Storage};

use super::errors::{self, storage_resource as e};
use crate::types::ExecutionFailure;

/// `storage_resource::create_storage` (`EInvalidEpochRange` unless start < end; the caller
/// supplies the fresh id).
pub fn create_storage(
    id: ObjectId,
    start_epoch: u32,
    end_epoch: u32,
    storage_size: u64,
) -> Result<Storage, ExecutionFailure> {
    e::EInvalidEpochRange.ensure(start_epoch < end_epoch)?;
    Ok(Storage {
        id,
        start_epoch,
        end_epoch,
        storage_size,
    })
}

/// `storage_resource::split_by_epoch` (`EInvalidEpoch` unless start < split < end): `storage`
/// keeps `[start, split_epoch)`, the returned storage (id `new_id`) gets `[split_epoch, end)`.
pub fn split_by_epoch(
    storage: &mut Storage,
    split_epoch: u32,
    new_id: ObjectId,
) -> Result<Storage, ExecutionFailure> {
    e::EInvalidEpoch
        .ensure(split_epoch > storage.start_epoch && split_epoch < storage.end_epoch)?;
    let new_storage = Storage {
        id: new_id,
        start_epoch: split_epoch,
        end_epoch: storage.end_epoch,
        storage_size: storage.storage_size,
    };
    storage.end_epoch = split_epoch;
    Ok(new_storage)
}

/// `storage_resource::split_by_size` (`EIncompatibleAmount` when `split_size` exceeds the
/// size): `storage` keeps `split_size` bytes, the returned one the rest (either may be zero).
pub fn split_by_size(
    storage: &mut Storage,
    split_size: u64,
    new_id: ObjectId,
) -> Result<Storage, ExecutionFailure> {
    e::EIncompatibleAmount.ensure(split_size <= storage.storage_size)?;
    let new_storage = Storage {
        id: new_id,
        start_epoch: storage.start_epoch,
        end_epoch: storage.end_epoch,
        storage_size: storage.storage_size - split_size,
    };
    storage.storage_size = split_size;
    Ok(new_storage)
}

/// `storage_resource::fuse_periods`: same size (`EIncompatibleAmount`), adjacent periods in
/// either order (`EIncompatibleEpochs`).
pub fn fuse_periods(first: &mut Storage, second: Storage) -> Result<(), ExecutionFailure> {
    e::EIncompatibleAmount.ensure(first.storage_size == second.storage_size)?;
    if first.end_epoch == second.start_epoch {
        first.end_epoch = second.end_epoch;
    } else {
        e::EIncompatibleEpochs.ensure(first.start_epoch == second.end_epoch)?;
        first.start_epoch = second.start_epoch;
    }
    Ok(())
}

/// `storage_resource::fuse_amount`: same period (`EIncompatibleEpochs`); sizes add up.
pub fn fuse_amount(first: &mut Storage, second: Storage) -> Result<(), ExecutionFailure> {
    e::EIncompatibleEpochs
        .ensure(first.start_epoch == second.start_epoch && first.end_epoch == second.end_epoch)?;
    first.storage_size = first
        .storage_size
        .checked_add(second.storage_size)
        .ok_or_else(|| errors::arithmetic(e::MODULE))?;
    Ok(())
}

/// `storage_resource::fuse`: by amount when both start in the same epoch (then the periods
/// must be equal), else by period.
pub fn fuse(first: &mut Storage, second: Storage) -> Result<(), ExecutionFailure> {
    if first.start_epoch == second.start_epoch {
        fuse_amount(first, second)
    } else {
        fuse_periods(first, second)
    }
}

/// `storage_resource::extend_end_epoch`.
pub fn extend_end_epoch(
    storage: &mut Storage,
    extension_epochs: u32,
) -> Result<(), ExecutionFailure> {
    storage.end_epoch = storage
        .end_epoch
        .checked_add(extension_epochs)
        .ok_or_else(|| errors::arithmetic(e::MODULE))?;
    Ok(())
}

/// `storage_resource::increase_size`.
pub fn increase_size(storage: &mut Storage, additional_size: u64) -> Result<(), ExecutionFailure> {
    storage.storage_size = storage
        .storage_size
        .checked_add(additional_size)
        .ok_or_else(|| errors::arithmetic(e::MODULE))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn s(start: u32, end: u32, size: u64) -> Storage {
        create_storage(ObjectId::from_u64(1), start, end, size).unwrap()
    }

    // Mirrors move/walrus/tests/system/storage_resource_tests.move (splits and fusions).
    #[test]
    fn split_and_fuse() {
        let mut a = s(0, 10, 100);
        let b = split_by_epoch(&mut a, 4, ObjectId::from_u64(2)).unwrap();
        assert_eq!(
            (a.start_epoch, a.end_epoch, b.start_epoch, b.end_epoch),
            (0, 4, 4, 10)
        );
        assert!(
            e::EInvalidEpoch
                .matches(&split_by_epoch(&mut a, 4, ObjectId::from_u64(3)).unwrap_err())
        );
        assert!(
            e::EInvalidEpoch
                .matches(&split_by_epoch(&mut a, 0, ObjectId::from_u64(3)).unwrap_err())
        );
        // Either order.
        let mut b2 = b.clone();
        fuse_periods(&mut b2, a.clone()).unwrap();
        assert_eq!((b2.start_epoch, b2.end_epoch), (0, 10));
        fuse(&mut a, b).unwrap();
        assert_eq!((a.start_epoch, a.end_epoch), (0, 10));

        let c = split_by_size(&mut a, 30, ObjectId::from_u64(4)).unwrap();
        assert_eq!((a.storage_size, c.storage_size), (30, 70));
        assert!(
            e::EIncompatibleAmount
                .matches(&split_by_size(&mut a, 31, ObjectId::from_u64(5)).unwrap_err())
        );
        // Splitting off everything or nothing is allowed, as in Move.
        let mut whole = s(0, 10, 30);
        let none = split_by_size(&mut whole, 30, ObjectId::from_u64(5)).unwrap();
        assert_eq!((whole.storage_size, none.storage_size), (30, 0));
        let all = split_by_size(&mut whole, 0, ObjectId::from_u64(6)).unwrap();
        assert_eq!((whole.storage_size, all.storage_size), (0, 30));
        assert!(
            e::EInvalidEpochRange
                .matches(&create_storage(ObjectId::from_u64(7), 5, 5, 1).unwrap_err())
        );
        // Same start but another end: fuse by amount, which refuses the period.
        assert!(e::EIncompatibleEpochs.matches(&fuse(&mut s(0, 10, 1), s(0, 9, 1)).unwrap_err()));
        assert!(
            e::EIncompatibleAmount
                .matches(&fuse_periods(&mut a.clone(), s(10, 12, 70)).unwrap_err())
        );
        assert!(
            e::EIncompatibleEpochs
                .matches(&fuse_periods(&mut a.clone(), s(11, 12, 30)).unwrap_err())
        );
        assert!(
            e::EIncompatibleEpochs.matches(&fuse_amount(&mut a.clone(), s(1, 10, 30)).unwrap_err())
        );
        fuse(&mut a, c).unwrap();
        assert_eq!(a.storage_size, 100);
    }
}
