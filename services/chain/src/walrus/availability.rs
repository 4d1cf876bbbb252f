//! Mirror of `move/walrus/sources/system/availability.move`: whether a blob can be relied on,
//! for readers of the ledger (Move contracts call these on `&Blob` and `&System`; here they
//! take the `Blob` value and the current epoch, `system::epoch`).

use walrus_core::contracts::Blob;

use super::errors::availability as e;
use crate::types::ExecutionFailure;

/// `availability::is_certified`.
pub fn is_certified(blob: &Blob) -> bool {
    blob.is_certified()
}

/// `availability::is_available_now`: certified and `current_epoch < end_epoch`.
pub fn is_available_now(blob: &Blob, current_epoch: u32) -> bool {
    blob.is_certified() && current_epoch < blob.end_epoch()
}

/// `availability::available_until`: the exclusive end epoch if available now.
pub fn available_until(blob: &Blob, current_epoch: u32) -> Option<u32> {
    is_available_now(blob, current_epoch).then(|| blob.end_epoch())
}

/// `availability::is_permanent`: not deletable.
pub fn is_permanent(blob: &Blob) -> bool {
    !blob.deletable
}

/// `availability::is_available_until`: available now and for every epoch before `epoch`.
pub fn is_available_until(blob: &Blob, current_epoch: u32, epoch: u32) -> bool {
    is_available_now(blob, current_epoch) && epoch <= blob.end_epoch()
}

/// `availability::assert_available_until` (`ENotCertified`, `EExpired`, `EExpiresTooEarly`).
pub fn assert_available_until(
    blob: &Blob,
    current_epoch: u32,
    epoch: u32,
) -> Result<(), ExecutionFailure> {
    e::ENotCertified.ensure(blob.is_certified())?;
    e::EExpired.ensure(current_epoch < blob.end_epoch())?;
    e::EExpiresTooEarly.ensure(epoch <= blob.end_epoch())
}

/// `availability::assert_permanent_until` (also `ENotPermanent`).
pub fn assert_permanent_until(
    blob: &Blob,
    current_epoch: u32,
    epoch: u32,
) -> Result<(), ExecutionFailure> {
    assert_available_until(blob, current_epoch, epoch)?;
    e::ENotPermanent.ensure(!blob.deletable)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use walrus_core::BlobId;
    use walrus_core::contracts::{ObjectId, Storage};

    use super::*;

    fn blob(certified: bool, deletable: bool) -> Blob {
        Blob {
            id: ObjectId::from_u64(1),
            registered_epoch: 3,
            blob_id: BlobId([1; 32]),
            size: 12,
            encoding_type: 1,
            certified_epoch: certified.then_some(3),
            storage: Storage {
                id: ObjectId::from_u64(2),
                start_epoch: 3,
                end_epoch: 10,
                storage_size: 6940,
            },
            deletable,
        }
    }

    // Mirrors move/walrus/tests/system/availability_tests.move (end epoch 10, exclusive).
    #[test]
    fn availability() {
        let b = blob(true, false);
        assert!(is_available_now(&b, 9));
        assert!(!is_available_now(&b, 10));
        assert_eq!(available_until(&b, 5), Some(10));
        assert_eq!(available_until(&b, 10), None);
        assert!(is_available_until(&b, 5, 10));
        assert!(!is_available_until(&b, 5, 11));
        assert!(assert_available_until(&b, 5, 10).is_ok());
        assert!(e::EExpiresTooEarly.matches(&assert_available_until(&b, 5, 11).unwrap_err()));
        assert!(e::EExpired.matches(&assert_available_until(&b, 10, 10).unwrap_err()));
        let uncertified = blob(false, false);
        assert!(!is_available_now(&uncertified, 5));
        assert!(e::ENotCertified.matches(&assert_available_until(&uncertified, 5, 6).unwrap_err()));
        let deletable = blob(true, true);
        assert!(!is_permanent(&deletable) && is_permanent(&b));
        assert!(e::ENotPermanent.matches(&assert_permanent_until(&deletable, 5, 6).unwrap_err()));
        assert!(assert_permanent_until(&b, 5, 6).is_ok());
    }
}
