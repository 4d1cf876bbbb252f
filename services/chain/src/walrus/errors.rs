//! Move abort codes, mirrored: one constant per Move error constant, with the same module and
//! number (see the abort-code table in `move/walrus/README.md`). A failed call returns
//! [`ExecutionFailure`] `{ module, code, reason }` with `module` spelled `walrus::<module>`.
//!
//! Besides the Move package's own constants there are:
//! - Sui framework aborts Move callers also see (`sui::balance::ENotEnough`,
//!   `sui::vec_map::EKeyDoesNotExist`, `sui::bcs::EOutOfRange`, `sui::group_ops::EInvalidInput`);
//! - arithmetic overflow, which Move reports as the VM error `ARITHMETIC_ERROR` (status 4017),
//!   not an abort code: here it is code [`ARITHMETIC_ERROR`] of the module where it happened;
//! - input-object errors (an unknown id, an object of another type or owned by someone else):
//!   Sui refuses such a transaction before running it; the devnet aborts it with module
//!   `devnet::input` ([`input`]), so it still uses up the nonce and changes nothing else;
//! - the devnet faucet ([`faucet`]), which has no Move counterpart.

use crate::types::ExecutionFailure;

/// A Move abort: module, code and the constant's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortCode {
    /// `walrus::blob`, `sui::balance`, ...
    pub module: &'static str,
    /// The constant's value.
    pub code: u64,
    /// The constant's name.
    pub name: &'static str,
}

impl AbortCode {
    /// The failure this abort produces.
    pub fn fail(self) -> ExecutionFailure {
        abort(self.module, self.code, self.name)
    }

    /// The failure with some detail for people after the name.
    pub fn fail_with(self, detail: impl std::fmt::Display) -> ExecutionFailure {
        ExecutionFailure {
            module: self.module.to_owned(),
            code: self.code,
            reason: format!("{}: {detail}", self.name),
        }
    }

    /// Move's `assert!(condition, CODE)`.
    pub fn ensure(self, condition: bool) -> Result<(), ExecutionFailure> {
        if condition { Ok(()) } else { Err(self.fail()) }
    }

    /// Whether `failure` is this abort (same module and code).
    pub fn matches(self, failure: &ExecutionFailure) -> bool {
        failure.module == self.module && failure.code == self.code
    }
}

/// The failure of a Move abort with `code` in `module`, named `name`.
pub fn abort(module: &str, code: u64, name: &str) -> ExecutionFailure {
    ExecutionFailure {
        module: module.to_owned(),
        code,
        reason: name.to_owned(),
    }
}

/// The Move VM's `ARITHMETIC_ERROR` status (overflow, underflow, division by zero).
pub const ARITHMETIC_ERROR: u64 = 4017;

/// Arithmetic overflow/underflow in `module` (Move's `ARITHMETIC_ERROR`).
pub fn arithmetic(module: &'static str) -> ExecutionFailure {
    abort(module, ARITHMETIC_ERROR, "ARITHMETIC_ERROR")
}

macro_rules! codes {
    ($(#[$m:meta])* $modname:ident = $path:literal { $($(#[$doc:meta])* $name:ident = $code:literal;)* }) => {
        $(#[$m])*
        #[allow(non_upper_case_globals)]
        pub mod $modname {
            use super::AbortCode;
            /// The Move module's name.
            pub const MODULE: &str = $path;
            $(
                $(#[$doc])*
                pub const $name: AbortCode = AbortCode { module: MODULE, code: $code, name: stringify!($name) };
            )*
        }
    };
}

codes! {
    /// `walrus::system` (`move/walrus/sources/system.move`).
    system = "walrus::system" {
        /// The `System` object's version does not match this package's version.
        EWrongVersion = 0;
    }
}

codes! {
    /// `walrus::system_state_inner` (`sources/system/system_state_inner.move`).
    system_state_inner = "walrus::system_state_inner" {
        /// `max_epochs_ahead` is zero or above 1000.
        EInvalidMaxEpochsAhead = 0;
        /// The reservation would exceed the total capacity in some epoch.
        EStorageExceeded = 1;
        /// The number of epochs is zero, or the period ends more than `max_epochs_ahead`
        /// epochs after the current epoch.
        EInvalidEpochsAhead = 2;
        /// The new committee's epoch is not the current epoch + 1.
        EIncorrectCommittee = 3;
        /// The storage size is zero.
        EInvalidResourceSize = 4;
        /// The coin holds less than the price.
        EInsufficientPayment = 5;
    }
}

codes! {
    /// `walrus::blob` (`sources/system/blob.move`).
    blob = "walrus::blob" {
        /// The epoch is outside the storage period (not started, or expired).
        EResourceBounds = 0;
        /// The encoded size of the blob exceeds the storage size.
        EResourceSize = 1;
        /// The blob id does not match the derived one, or the one in the certificate.
        EInvalidBlobId = 2;
        /// The blob is already certified.
        EAlreadyCertified = 3;
        /// The certificate's persistence type does not match the blob's `deletable` flag.
        EInvalidBlobPersistenceType = 4;
        /// The certificate of a deletable blob names another object id.
        EInvalidBlobObject = 5;
        /// The blob is not certified.
        ENotCertified = 6;
        /// The blob is not deletable.
        EBlobNotDeletable = 7;
        /// The blob already has metadata.
        EDuplicateMetadata = 8;
        /// The blob has no metadata.
        EMissingMetadata = 9;
        /// The extension storage does not start at the blob's end epoch, has another size,
        /// or does not end later than the blob.
        EInvalidExtension = 10;
    }
}

codes! {
    /// `walrus::bls_aggregate` (`sources/system/bls_aggregate.move`).
    bls_aggregate = "walrus::bls_aggregate" {
        /// The signers bitmap is too long or has a bit set past the last member.
        EInvalidBitmap = 0;
        /// The aggregate signature does not verify against the signers' aggregate key.
        ESigVerification = 1;
        /// The signers do not hold enough weight for the required threshold.
        ENotEnoughStake = 2;
        /// A committee member has weight zero.
        EZeroWeight = 3;
        /// Committee members are not in strictly increasing node-id order.
        EMembersNotSorted = 4;
        /// The node is not a member of the committee.
        ENotMember = 5;
        /// The sum of the members' weights does not fit in a u16.
        ETooManyShards = 6;
    }
}

codes! {
    /// `walrus::encoding` (`sources/system/encoding.move`).
    encoding = "walrus::encoding" {
        /// The encoding type is not supported (only RS2 = 1 is).
        EInvalidEncodingType = 0;
    }
}

codes! {
    /// `walrus::messages` (`sources/system/messages.move`).
    messages = "walrus::messages" {
        /// The intent version is not 0.
        EIncorrectIntentVersion = 0;
        /// The app id is not 3.
        EIncorrectAppId = 1;
        /// The message was signed for an epoch other than the committee's epoch.
        EIncorrectEpoch = 2;
        /// The intent type is not the one the caller expects.
        EIncorrectIntentType = 3;
        /// The persistence tag is neither 0 nor 1.
        EInvalidPersistenceType = 4;
    }
}

codes! {
    /// `walrus::redstuff` (`sources/system/redstuff.move`).
    redstuff = "walrus::redstuff" {
        /// The blob is too large for the number of shards (symbol size above 65534).
        ETooLarge = 0;
        /// The number of shards is zero.
        EZeroShards = 1;
    }
}

codes! {
    /// `walrus::storage_accounting` (`sources/system/storage_accounting.move`).
    storage_accounting = "walrus::storage_accounting" {
        /// The requested epoch is beyond the ring.
        ETooFarInFuture = 0;
        /// The ring length is zero.
        EZeroLength = 1;
        /// Reducing the used capacity below zero.
        ECapacityUnderflow = 2;
    }
}

codes! {
    /// `walrus::storage_resource` (`sources/system/storage_resource.move`).
    storage_resource = "walrus::storage_resource" {
        /// The split epoch is not strictly inside the storage period.
        EInvalidEpoch = 0;
        /// The periods are not adjacent (or, for `fuse_amount`, not equal).
        EIncompatibleEpochs = 1;
        /// The sizes of the two storages to fuse by period differ.
        EIncompatibleAmount = 2;
        /// The split size is zero or not smaller than the storage size.
        EInvalidSize = 3;
    }
}

codes! {
    /// `walrus::availability` (`sources/system/availability.move`): the read-only API for
    /// other contracts; the devnet offers it as views.
    availability = "walrus::availability" {
        /// The blob is not certified.
        ENotCertified = 0;
        /// The blob's lifetime ended.
        EExpired = 1;
        /// The blob expires before the required epoch.
        EExpiresTooEarly = 2;
        /// The blob is deletable but a permanent blob is required.
        ENotPermanent = 3;
    }
}

codes! {
    /// `sui::balance` (Sui framework): `coin::split` / `balance::split` of more than the value.
    balance = "sui::balance" {
        /// The balance holds less than the amount split off.
        ENotEnough = 2;
    }
}

codes! {
    /// `sui::vec_map` (Sui framework): `remove_metadata_pair` of a missing key.
    vec_map = "sui::vec_map" {
        /// The key is not in the map.
        EKeyDoesNotExist = 1;
    }
}

codes! {
    /// `sui::bcs` (Sui framework): peeling past the end of a signed message.
    bcs = "sui::bcs" {
        /// Not enough bytes left.
        EOutOfRange = 0;
    }
}

codes! {
    /// `sui::group_ops` (Sui framework): bytes that are not a valid group element.
    group_ops = "sui::group_ops" {
        /// Invalid group element encoding.
        EInvalidInput = 1;
    }
}

codes! {
    /// Input objects (devnet only; Sui rejects such transactions before execution).
    input = "devnet::input" {
        /// No object with this id exists.
        EObjectNotFound = 0;
        /// The object is owned by another address (or is not address-owned).
        ENotOwner = 1;
        /// The object has another type than the call needs.
        EWrongObjectType = 2;
    }
}

codes! {
    /// The devnet faucet (no Move counterpart).
    faucet = "devnet::faucet" {
        /// The faucet holds less than the amount asked for.
        EFaucetEmpty = 0;
        /// The amount is above the per-call limit.
        EInvalidAmount = 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_module_code_and_name() {
        let f = blob::EInvalidBlobObject.fail();
        assert_eq!(f.module, "walrus::blob");
        assert_eq!(f.code, 5);
        assert_eq!(f.reason, "EInvalidBlobObject");
        assert!(blob::EInvalidBlobObject.matches(&f));
        assert!(!blob::EInvalidBlobId.matches(&f));
        assert_eq!(bls_aggregate::ESigVerification.code, 1);
        assert_eq!(system_state_inner::EInsufficientPayment.code, 5);
        assert!(storage_resource::EInvalidSize.ensure(true).is_ok());
        assert!(storage_resource::EInvalidSize.ensure(false).is_err());
    }
}
