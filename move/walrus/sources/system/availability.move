/// The availability API: what a third-party contract calls to decide whether it can rely on a
/// Walrus blob. Given the blob (`&Blob`, or `&SharedBlob`) and the shared `&System`:
///
/// - `is_certified`: a quorum of storage nodes certified that they store the blob;
/// - `is_available_now`: certified and not expired in the current epoch;
/// - `available_until`: the first epoch in which it is no longer guaranteed (exclusive end),
///   if it is available now;
/// - `is_permanent`: it cannot be deleted by its owner before its end epoch (not deletable);
/// - `assert_available_until(blob, system, epoch)`: aborts unless the blob is available now and
///   stays available for every epoch before `epoch`.
///
/// Epochs are Walrus epochs (`system.epoch()`), not Sui epochs. End epochs are exclusive: a blob
/// with end epoch 10 is available through epoch 9. A deletable blob can be deleted by whoever
/// owns the `Blob` object before its end epoch; require `is_permanent` (or hold the blob
/// yourself) if you need the guarantee to last.
module walrus::availability;

use walrus::blob::Blob;
use walrus::shared_blob::SharedBlob;
use walrus::system::System;

// === Errors ===

/// The blob is not certified.
const ENotCertified: u64 = 0;
/// The blob's lifetime ended (the current epoch is at or past its end epoch).
const EExpired: u64 = 1;
/// The blob expires before the required epoch (its end epoch is smaller than the epoch asked
/// for).
const EExpiresTooEarly: u64 = 2;
/// The blob is deletable but a permanent blob is required.
const ENotPermanent: u64 = 3;

// === Public functions: Blob ===

/// Whether the blob is certified (a quorum of storage nodes attested to storing it).
public fun is_certified(blob: &Blob): bool {
    blob.is_certified()
}

/// Whether the blob is certified and its lifetime covers the current epoch.
public fun is_available_now(blob: &Blob, system: &System): bool {
    blob.is_certified() && system.epoch() < blob.end_epoch()
}

/// The exclusive end of availability (the blob's end epoch) if the blob is available now,
/// none otherwise.
public fun available_until(blob: &Blob, system: &System): Option<u32> {
    if (is_available_now(blob, system)) option::some(blob.end_epoch()) else option::none()
}

/// Whether the blob is permanent (not deletable before its end epoch).
public fun is_permanent(blob: &Blob): bool {
    !blob.is_deletable()
}

/// Whether the blob is available now and for every epoch before `epoch` (exclusive).
public fun is_available_until(blob: &Blob, system: &System, epoch: u32): bool {
    is_available_now(blob, system) && epoch <= blob.end_epoch()
}

/// Aborts unless the blob is certified (`ENotCertified`), not expired (`EExpired`) and
/// available for every epoch before `epoch` (`EExpiresTooEarly`, when `epoch > end_epoch`).
public fun assert_available_until(blob: &Blob, system: &System, epoch: u32) {
    assert!(blob.is_certified(), ENotCertified);
    assert!(system.epoch() < blob.end_epoch(), EExpired);
    assert!(epoch <= blob.end_epoch(), EExpiresTooEarly);
}

/// As `assert_available_until`, and also aborts with `ENotPermanent` if the blob is deletable.
public fun assert_permanent_until(blob: &Blob, system: &System, epoch: u32) {
    assert_available_until(blob, system, epoch);
    assert!(!blob.is_deletable(), ENotPermanent);
}

// === Public functions: SharedBlob ===

/// `is_certified` for a shared blob.
public fun shared_is_certified(shared: &SharedBlob): bool {
    is_certified(shared.blob())
}

/// `is_available_now` for a shared blob.
public fun shared_is_available_now(shared: &SharedBlob, system: &System): bool {
    is_available_now(shared.blob(), system)
}

/// `available_until` for a shared blob.
public fun shared_available_until(shared: &SharedBlob, system: &System): Option<u32> {
    available_until(shared.blob(), system)
}

/// `is_permanent` for a shared blob.
public fun shared_is_permanent(shared: &SharedBlob): bool {
    is_permanent(shared.blob())
}

/// `assert_available_until` for a shared blob.
public fun shared_assert_available_until(shared: &SharedBlob, system: &System, epoch: u32) {
    assert_available_until(shared.blob(), system, epoch)
}

// === Error codes (so callers can match on them) ===

public fun e_not_certified(): u64 { ENotCertified }

public fun e_expired(): u64 { EExpired }

public fun e_expires_too_early(): u64 { EExpiresTooEarly }

public fun e_not_permanent(): u64 { ENotPermanent }
