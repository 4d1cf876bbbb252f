/// Event blobs: storage nodes store the chain's Walrus events in blobs of their own, each
/// ending at a checkpoint, and attest to them; a blob attested by a quorum of the committee is
/// certified by the system without payment (`system::certify_event_blob`). This module keeps
/// the certification state: the latest certified event blob and the weight each candidate blob
/// has gathered in the current epoch. Layouts as in Walrus mainnet.
module walrus::event_blob;

use sui::vec_map::{Self, VecMap};

// === Errors (numbered as in Walrus mainnet) ===

/// A certified event blob must end at a later checkpoint than the previous one.
const EInvalidSequenceNumber: u64 = 0;

// === Object definitions ===

/// A node's latest attestation: the checkpoint its attested blob ends at, and the epoch.
public struct EventBlobAttestation has copy, drop, store {
    checkpoint_sequence_num: u64,
    epoch: u32,
}

/// An event blob: its id and the checkpoint it ends at.
public struct EventBlob has copy, drop, store {
    blob_id: u256,
    ending_checkpoint_sequence_number: u64,
}

/// The certification state of the event blobs.
public struct EventBlobCertificationState has store {
    /// The newest certified event blob.
    latest_certified_blob: Option<EventBlob>,
    /// Attested weight per candidate blob (reset when a blob is certified and every epoch).
    aggregate_weight_per_blob: VecMap<EventBlob, u16>,
}

// === Attestations ===

public(package) fun new_attestation(checkpoint_sequence_num: u64, epoch: u32): EventBlobAttestation {
    EventBlobAttestation { checkpoint_sequence_num, epoch }
}

public(package) fun last_attested_event_blob_checkpoint_seq_num(self: &EventBlobAttestation): u64 {
    self.checkpoint_sequence_num
}

public(package) fun last_attested_event_blob_epoch(self: &EventBlobAttestation): u32 { self.epoch }

// === Event blobs ===

public(package) fun new_event_blob(ending_checkpoint_sequence_number: u64, blob_id: u256): EventBlob {
    EventBlob { blob_id, ending_checkpoint_sequence_number }
}

public(package) fun blob_id(self: &EventBlob): u256 { self.blob_id }

public(package) fun ending_checkpoint_sequence_number(self: &EventBlob): u64 {
    self.ending_checkpoint_sequence_number
}

// === Certification state ===

/// No blob certified or tracked.
public(package) fun create_with_empty_state(): EventBlobCertificationState {
    EventBlobCertificationState {
        latest_certified_blob: option::none(),
        aggregate_weight_per_blob: vec_map::empty(),
    }
}

public(package) fun get_latest_certified_blob_id(self: &EventBlobCertificationState): Option<u256> {
    self.latest_certified_blob.map!(|blob| blob.blob_id())
}

public(package) fun get_latest_certified_checkpoint_sequence_number(
    self: &EventBlobCertificationState,
): Option<u64> {
    self.latest_certified_blob.map!(|blob| blob.ending_checkpoint_sequence_number())
}

/// The number of candidate blobs being tracked.
public(package) fun get_num_tracked_blobs(self: &EventBlobCertificationState): u64 {
    self.aggregate_weight_per_blob.length()
}

/// Whether a blob ending at or before `ending_checkpoint_sequence_num` was certified already.
public(package) fun is_blob_already_certified(
    self: &EventBlobCertificationState,
    ending_checkpoint_sequence_num: u64,
): bool {
    self
        .get_latest_certified_checkpoint_sequence_number()
        .map!(|latest| latest >= ending_checkpoint_sequence_num)
        .destroy_or!(false)
}

/// Records `blob_id` (ending at `checkpoint_sequence_number`) as the latest certified event
/// blob; aborts with `EInvalidSequenceNumber` unless it ends after the previous one.
public(package) fun update_latest_certified_event_blob(
    self: &mut EventBlobCertificationState,
    checkpoint_sequence_number: u64,
    blob_id: u256,
) {
    self.get_latest_certified_checkpoint_sequence_number().do!(|latest| {
        assert!(checkpoint_sequence_number > latest, EInvalidSequenceNumber);
    });
    self.latest_certified_blob = option::some(new_event_blob(checkpoint_sequence_number, blob_id));
}

/// Adds `weight` to the tracked blob and returns its total weight (the blob must be tracked).
public(package) fun update_aggregate_weight(
    self: &mut EventBlobCertificationState,
    blob_id: u256,
    ending_checkpoint_sequence_number: u64,
    weight: u16,
): u16 {
    let event_blob = new_event_blob(ending_checkpoint_sequence_number, blob_id);
    let aggregate = self.aggregate_weight_per_blob.get_mut(&event_blob);
    *aggregate = *aggregate + weight;
    *aggregate
}

/// Starts tracking a candidate blob with weight 0 (no-op if it is tracked).
public(package) fun start_tracking_blob(
    self: &mut EventBlobCertificationState,
    blob_id: u256,
    ending_checkpoint_sequence_number: u64,
) {
    let event_blob = new_event_blob(ending_checkpoint_sequence_number, blob_id);
    if (!self.aggregate_weight_per_blob.contains(&event_blob)) {
        self.aggregate_weight_per_blob.insert(event_blob, 0);
    };
}

/// Stops tracking every candidate blob.
public(package) fun reset(self: &mut EventBlobCertificationState) {
    self.aggregate_weight_per_blob = vec_map::empty();
}

#[test_only]
public fun destroy_for_testing(self: EventBlobCertificationState) {
    std::unit_test::destroy(self)
}
