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
            /// Every code of this module.
            pub const ALL: &[AbortCode] = &[$($name),*];
        }
    };
}
pub(crate) use codes;

codes! {
    /// `walrus::system` (`move/walrus/sources/system.move`).
    system = "walrus::system" {
        /// The migration to this package's version is not possible (already migrated, or no
        /// new package id set by `upgrade::commit_upgrade`).
        EInvalidMigration = 0;
        /// The `System` object's version does not match this package's version.
        EWrongVersion = 1;
        /// A capacity decrease would split off zero bytes.
        EZeroExtractSize = 2;
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
        /// A certified message was signed in another epoch than the current one.
        EInvalidIdEpoch = 3;
        /// The new committee's epoch is not the current epoch + 1.
        EIncorrectCommittee = 4;
        /// The accounting entry popped at an epoch change is not the ending epoch's.
        EInvalidAccountingEpoch = 5;
        /// An attestation of a blob while the node's previous attestation is not certified.
        EIncorrectAttestation = 6;
        /// A node attested a blob that does not end after the one it attested before.
        ERepeatedAttestation = 7;
        /// The storage node is not a member of the current committee.
        ENotCommitteeMember = 8;
        /// A deny list update's sequence number is not above the node's current one.
        EIncorrectDenyListSequence = 9;
        /// A certified deny list update is for another node than the cap's.
        EIncorrectDenyListNode = 10;
        /// The storage size is zero.
        EInvalidResourceSize = 11;
        /// A protocol version would take effect in an epoch that has passed.
        EInvalidStartEpoch = 12;
    }
}

codes! {
    /// `walrus::blob` (`sources/system/blob.move`).
    blob = "walrus::blob" {
        /// The blob is not certified.
        ENotCertified = 0;
        /// The blob is not deletable.
        EBlobNotDeletable = 1;
        /// The epoch is outside the storage period (not started, or expired), or an extension
        /// does not end later than the blob.
        EResourceBounds = 2;
        /// The encoded size of the blob exceeds the storage size.
        EResourceSize = 3;
        /// The blob is already certified.
        EAlreadyCertified = 5;
        /// The blob id does not match the derived one, or the one in the certificate.
        EInvalidBlobId = 6;
        /// The blob already has metadata.
        EDuplicateMetadata = 7;
        /// The blob has no metadata.
        EMissingMetadata = 8;
        /// The certificate's persistence type does not match the blob's `deletable` flag.
        EInvalidBlobPersistenceType = 9;
        /// The certificate of a deletable blob names another object id.
        EInvalidBlobObject = 10;
    }
}

codes! {
    /// `walrus::storage_pool` (`sources/system/storage_pool.move`).
    storage_pool = "walrus::storage_pool" {
        /// The pooled blob is not deletable.
        EBlobNotDeletable = 0;
        /// The epoch is outside the pool's period, or a `Storage` to absorb has not started.
        EResourceBounds = 1;
        /// The pooled blob is already certified.
        EAlreadyCertified = 2;
        /// The blob id does not match the derived one, or the one in the certificate.
        EInvalidBlobId = 3;
        /// The certificate's persistence type does not match the blob's `deletable` flag.
        EInvalidBlobPersistenceType = 4;
        /// The certificate of a deletable pooled blob names another object id.
        EInvalidBlobObject = 5;
        /// The pool lacks the unused capacity the operation needs.
        EInsufficientCapacity = 6;
        /// The pool still holds blobs.
        EPoolNotEmpty = 7;
        /// The pool's used bytes are less than the blob's encoded size (accounting broken).
        EInvalidBlobSize = 8;
        /// The pool's blob count is zero while a blob is removed (accounting broken).
        EInvalidBlobCount = 9;
        /// The pool's version is not the one this package handles.
        EWrongVersion = 10;
        /// A `Storage` to absorb ends in another epoch than the pool.
        EIncompatibleEndEpoch = 11;
        /// The pooled blob already has metadata.
        EDuplicateMetadata = 12;
        /// The pooled blob has no metadata.
        EMissingMetadata = 13;
        /// A percentage above 100.
        EInvalidPercent = 14;
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
        EIncorrectCommittee = 3;
        /// Committee members are not in strictly increasing node-id order.
        EMembersNotSorted = 4;
        /// The node is not a member of the committee.
        ENotMember = 5;
        /// The sum of the members' weights does not fit in a u16.
        ETooManyShards = 6;
    }
}

codes! {
    /// `walrus::event_blob` (`sources/system/event_blob.move`).
    event_blob = "walrus::event_blob" {
        /// A certified event blob must end at a later checkpoint than the previous one.
        EInvalidSequenceNumber = 0;
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
        /// The app id is not 3.
        EIncorrectAppId = 0;
        /// The message was signed for an epoch other than the committee's epoch.
        EIncorrectEpoch = 1;
        /// The intent type is not the one the caller expects.
        EInvalidMsgType = 2;
        /// The intent version is not 0.
        EIncorrectIntentVersion = 3;
        /// The persistence tag is neither 0 nor 1.
        EInvalidBlobPersistenceType = 4;
        /// The object id of a permanent persistence type was asked for.
        ENotDeletable = 5;
        /// A proof-of-possession key is not 48 bytes long.
        EInvalidKeyLength = 6;
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
        /// The sizes of the two storages to fuse by period differ, or a split by size asks
        /// for more than the size.
        EIncompatibleAmount = 2;
        /// A storage period whose end is not after its start.
        EInvalidEpochRange = 3;
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
    /// `sui::dynamic_field` (Sui framework): a table entry that is already there, or missing.
    dynamic_field = "sui::dynamic_field" {
        /// The field (table entry) already exists.
        EFieldAlreadyExists = 0;
        /// The field (table entry) does not exist.
        EFieldDoesNotExist = 1;
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
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;
    use crate::walrus::staking::errors as st;

    /// Every `const EName: u64 = N;` under `dir`, by (`walrus::module`, name).
    fn move_abort_constants(dir: &Path, out: &mut BTreeMap<(String, String), u64>) {
        for entry in std::fs::read_dir(dir).expect("read move sources") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                move_abort_constants(&path, out);
                continue;
            }
            if path.extension().is_none_or(|e| e != "move") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read move file");
            let module = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("module walrus::"))
                .map(|m| m.trim_end_matches([';', '{', ' ']).to_owned())
                .expect("module header");
            for line in text.lines() {
                let Some(rest) = line.trim().strip_prefix("const E") else {
                    continue;
                };
                let Some((name, value)) = rest.split_once(": u64 =") else {
                    continue;
                };
                let value = value.trim().trim_end_matches(';').replace('_', "");
                let value = value.parse().expect("numeric abort constant");
                out.insert((format!("walrus::{module}"), format!("E{name}")), value);
            }
        }
    }

    /// The Rust mirror and the Move package agree on every abort code of the modules the
    /// mirror covers: same name and number both ways.
    #[test]
    fn walrus_codes_are_the_move_constants() {
        let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../move/walrus/sources");
        let mut in_move = BTreeMap::new();
        move_abort_constants(&sources, &mut in_move);
        let mirrored: &[&[AbortCode]] = &[
            system::ALL,
            system_state_inner::ALL,
            blob::ALL,
            storage_pool::ALL,
            bls_aggregate::ALL,
            encoding::ALL,
            event_blob::ALL,
            messages::ALL,
            storage_accounting::ALL,
            storage_resource::ALL,
            availability::ALL,
            st::staking::ALL,
            st::staking_inner::ALL,
            st::slashing::ALL,
            st::staking_pool::ALL,
            st::staked_wal::ALL,
            st::storage_node::ALL,
            st::pending_values::ALL,
            st::active_set::ALL,
            st::apportionment_queue::ALL,
            st::committee::ALL,
            st::weighted_quantile::ALL,
            st::pool_exchange_rate::ALL,
        ];
        let mut in_rust = BTreeMap::new();
        for code in mirrored.iter().flat_map(|codes| codes.iter()) {
            in_rust.insert((code.module.to_owned(), code.name.to_owned()), code.code);
        }
        let modules: std::collections::BTreeSet<_> =
            in_rust.keys().map(|(m, _)| m.clone()).collect();
        let in_move: BTreeMap<_, _> = in_move
            .into_iter()
            .filter(|((m, _), _)| modules.contains(m))
            .collect();
        assert_eq!(
            in_rust, in_move,
            "Rust abort codes (left) differ from the Move sources (right)"
        );
    }

    #[test]
    fn codes_carry_module_code_and_name() {
        let f = blob::EInvalidBlobObject.fail();
        assert_eq!(f.module, "walrus::blob");
        assert_eq!(f.code, 10);
        assert_eq!(f.reason, "EInvalidBlobObject");
        assert!(blob::EInvalidBlobObject.matches(&f));
        assert!(!blob::EInvalidBlobId.matches(&f));
        assert_eq!(bls_aggregate::ESigVerification.code, 1);
        assert_eq!(system_state_inner::EInvalidResourceSize.code, 11);
        assert!(storage_resource::EInvalidEpochRange.ensure(true).is_ok());
        assert!(storage_resource::EInvalidEpochRange.ensure(false).is_err());
    }
}
