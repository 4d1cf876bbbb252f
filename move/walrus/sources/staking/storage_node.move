/// A storage node's public information (stored in its staking pool) and the capability its
/// operator holds to act for it.
module walrus::storage_node;

use std::string::String;
use sui::bls12381::{Self, UncompressedG1};
use sui::group_ops::Element;
use walrus::event_blob::EventBlobAttestation;
use walrus::extended_field::{Self, ExtendedField};
use walrus::node_metadata::NodeMetadata;

// === Errors ===

/// The node name is longer than `MAX_NAME_LENGTH` bytes.
const EInvalidNetworkPublicKey: u64 = 0;

// === Constants ===

/// Length of the network (TLS) public key: a compressed 33-byte key.
const NETWORK_PUBLIC_KEY_LENGTH: u64 = 33;

// === Object definitions ===

/// A node's public information.
public struct StorageNodeInfo has store {
    name: String,
    node_id: ID,
    network_address: String,
    /// BLS protocol key used for the committees the node is currently in.
    public_key: Element<UncompressedG1>,
    /// Key rotated in at the pool's next epoch advance, if set.
    next_epoch_public_key: Option<Element<UncompressedG1>>,
    network_public_key: vector<u8>,
    /// The metadata, as mainnet keeps it: the value is a dynamic field of the `ExtendedField`.
    metadata: ExtendedField<NodeMetadata>,
}

/// The operator's capability for one node.
public struct StorageNodeCap has key, store {
    id: UID,
    node_id: ID,
    /// The last epoch for which the node reported `epoch_sync_done` (0 = never).
    last_epoch_sync_done: u32,
    /// The node's latest event blob attestation.
    last_event_blob_attestation: Option<EventBlobAttestation>,
    /// The root of the node's deny list (0 = empty).
    deny_list_root: u256,
    /// The sequence number of the node's latest deny list update.
    deny_list_sequence: u64,
    /// The encoded size of the blobs on the node's deny list.
    deny_list_size: u64,
}

// === Constructors ===

/// Builds the node information, checking the network key's length (the name, address and
/// protocol key are checked by the staking pool first). Creates one object id: the metadata's
/// `ExtendedField`.
public(package) fun new(
    name: String,
    node_id: ID,
    network_address: String,
    public_key: vector<u8>,
    network_public_key: vector<u8>,
    metadata: NodeMetadata,
    ctx: &mut TxContext,
): StorageNodeInfo {
    check_network_public_key(&network_public_key);
    StorageNodeInfo {
        name,
        node_id,
        network_address,
        public_key: parse_public_key(&public_key),
        next_epoch_public_key: option::none(),
        network_public_key,
        metadata: extended_field::new(metadata, ctx),
    }
}

/// A new capability for `node_id`.
public(package) fun new_cap(node_id: ID, ctx: &mut TxContext): StorageNodeCap {
    StorageNodeCap {
        id: object::new(ctx),
        node_id,
        last_epoch_sync_done: 0,
        last_event_blob_attestation: option::none(),
        deny_list_root: 0,
        deny_list_sequence: 0,
        deny_list_size: 0,
    }
}

/// Parses a compressed BLS12-381 G1 public key (`sui::group_ops::EInvalidInput` if it is not
/// a curve point; its 48-byte length is checked with the proof of possession).
public(package) fun parse_public_key(public_key: &vector<u8>): Element<UncompressedG1> {
    bls12381::g1_to_uncompressed_g1(&bls12381::g1_from_bytes(public_key))
}

// === Mutators (package) ===

/// Sets the name.
/// Destroys the node information (with its pool).
public(package) fun destroy(self: StorageNodeInfo) {
    let StorageNodeInfo { metadata, .. } = self;
    metadata.destroy();
}

public(package) fun set_name(self: &mut StorageNodeInfo, name: String) {
    self.name = name;
}

/// Sets the network address.
public(package) fun set_network_address(self: &mut StorageNodeInfo, network_address: String) {
    self.network_address = network_address;
}

/// Sets the network public key.
public(package) fun set_network_public_key(self: &mut StorageNodeInfo, key: vector<u8>) {
    check_network_public_key(&key);
    self.network_public_key = key;
}

/// Sets the metadata.
public(package) fun set_metadata(self: &mut StorageNodeInfo, metadata: NodeMetadata) {
    self.metadata.swap(metadata);
}

/// Schedules `public_key` to replace the protocol key at the next epoch advance.
public(package) fun set_next_public_key(self: &mut StorageNodeInfo, public_key: vector<u8>) {
    self.next_epoch_public_key = option::some(parse_public_key(&public_key));
}

/// Rotates the scheduled key in, if one is set.
public(package) fun rotate_public_key(self: &mut StorageNodeInfo) {
    if (self.next_epoch_public_key.is_some()) {
        self.public_key = self.next_epoch_public_key.extract();
    }
}

/// Records that the node finished syncing for `epoch`.
public(package) fun set_last_epoch_sync_done(self: &mut StorageNodeCap, epoch: u32) {
    self.last_epoch_sync_done = epoch;
}

/// Records the node's latest event blob attestation.
public(package) fun set_last_event_blob_attestation(
    self: &mut StorageNodeCap,
    attestation: EventBlobAttestation,
) {
    self.last_event_blob_attestation = option::some(attestation);
}

/// Records the node's deny list after a certified update.
public(package) fun set_deny_list_properties(
    self: &mut StorageNodeCap,
    root: u256,
    sequence: u64,
    size: u64,
) {
    self.deny_list_root = root;
    self.deny_list_sequence = sequence;
    self.deny_list_size = size;
}

// === Accessors ===

/// The node's name.
public fun name(self: &StorageNodeInfo): String { self.name }

/// The node id (= staking pool id).
public fun id(self: &StorageNodeInfo): ID { self.node_id }

/// The network address.
public fun network_address(self: &StorageNodeInfo): String { self.network_address }

/// The current BLS protocol key.
public fun public_key(self: &StorageNodeInfo): &Element<UncompressedG1> { &self.public_key }

/// The key to use for the next committee: the scheduled key if set, else the current one.
public fun next_epoch_public_key(self: &StorageNodeInfo): &Element<UncompressedG1> {
    if (self.next_epoch_public_key.is_some()) self.next_epoch_public_key.borrow()
    else &self.public_key
}

/// Whether a key rotation is scheduled.
public fun has_next_public_key(self: &StorageNodeInfo): bool {
    self.next_epoch_public_key.is_some()
}

/// The network public key.
public fun network_public_key(self: &StorageNodeInfo): vector<u8> { self.network_public_key }

/// The metadata.
public fun metadata(self: &StorageNodeInfo): NodeMetadata { *self.metadata.borrow() }

/// The node the capability is for.
public fun node_id(cap: &StorageNodeCap): ID { cap.node_id }

/// The last epoch for which the node reported sync done.
public fun last_epoch_sync_done(cap: &StorageNodeCap): u32 { cap.last_epoch_sync_done }

/// The node's latest event blob attestation (`&mut`, as in Walrus mainnet).
public fun last_event_blob_attestation(cap: &mut StorageNodeCap): Option<EventBlobAttestation> {
    cap.last_event_blob_attestation
}

/// The root of the node's deny list.
public fun deny_list_root(cap: &StorageNodeCap): u256 { cap.deny_list_root }

/// The sequence number of the node's latest deny list update.
public fun deny_list_sequence(cap: &StorageNodeCap): u64 { cap.deny_list_sequence }

/// The encoded size of the blobs on the node's deny list.
public(package) fun deny_list_size(cap: &StorageNodeCap): u64 { cap.deny_list_size }

// === Private functions ===

fun check_network_public_key(key: &vector<u8>) {
    assert!(key.length() == NETWORK_PUBLIC_KEY_LENGTH, EInvalidNetworkPublicKey);
}

// === Test-only ===

#[test_only]
/// Destroys node information in tests.
public fun destroy_for_testing(self: StorageNodeInfo) {
    std::unit_test::destroy(self)
}

#[test_only]
/// A capability for `node_id` in tests.
public fun new_cap_for_testing(node_id: ID, ctx: &mut TxContext): StorageNodeCap {
    new_cap(node_id, ctx)
}
