/// The BLS signing committee of an epoch and the verification of its certificates.
///
/// Members are ordered by node id; a member's index is its bit in a signers bitmap (bit i of
/// byte j is member 8j+i, least significant bit first). Keys are BLS12-381 min_pk public keys
/// (G1), signatures are in G2. A member's weight is its number of shards.
module walrus::bls_aggregate;

use sui::bls12381::{Self, G1, UncompressedG1, bls12381_min_pk_verify};
use sui::group_ops::Element;
use sui::vec_map::{Self, VecMap};
use walrus::messages::{Self, CertifiedMessage};

// === Errors ===

/// The signers bitmap is longer than ceil(members / 8) bytes or has a bit set past the last
/// member.
const EInvalidBitmap: u64 = 0;
/// The aggregate signature does not verify against the signers' aggregate key.
const ESigVerification: u64 = 1;
/// The signers do not hold enough weight (shards) for the required threshold.
const ENotEnoughStake: u64 = 2;
/// A committee member has weight zero.
const EIncorrectCommittee: u64 = 3;
/// Committee members are not in strictly increasing node-id order.
const EMembersNotSorted: u64 = 4;
/// The node is not a member of the committee.
const ENotMember: u64 = 5;
/// The sum of the members' weights does not fit in a u16.
const ETooManyShards: u64 = 6;

// === Object definitions ===

/// The weight a certificate's signers must hold.
public enum RequiredWeight {
    /// More than two thirds of the shards (`3w >= 2n + 1`).
    Quorum,
    /// At least one correct node (`3w >= n + 1`).
    OneCorrectNode,
}

/// A committee member: BLS public key, weight (number of shards, > 0) and node id.
public struct BlsCommitteeMember has copy, drop, store {
    public_key: Element<UncompressedG1>,
    weight: u16,
    node_id: ID,
}

/// The committee of `epoch`: members in node-id order, the total number of shards (sum of the
/// weights) and the sum of all members' keys.
public struct BlsCommittee has copy, drop, store {
    members: vector<BlsCommitteeMember>,
    n_shards: u16,
    epoch: u32,
    total_aggregated_key: Element<G1>,
}

// === Public-Package functions ===

/// Creates a committee for `epoch`. `members` must be in strictly increasing node-id order
/// and have non-zero weights.
public(package) fun new_bls_committee(
    epoch: u32,
    members: vector<BlsCommitteeMember>,
): BlsCommittee {
    let mut n_shards: u64 = 0;
    let mut keys = vector[];
    let mut i = 0;
    let len = members.length();
    while (i < len) {
        let member = &members[i];
        assert!(member.weight > 0, EIncorrectCommittee);
        if (i > 0) {
            let prev = members[i - 1].node_id.to_address().to_u256();
            assert!(prev < member.node_id.to_address().to_u256(), EMembersNotSorted);
        };
        n_shards = n_shards + (member.weight as u64);
        keys.push_back(member.public_key);
        i = i + 1;
    };
    assert!(n_shards <= 0xFFFF, ETooManyShards);
    let total_aggregated_key = if (keys.is_empty()) {
        bls12381::g1_identity()
    } else {
        bls12381::uncompressed_g1_to_g1(&bls12381::uncompressed_g1_sum(&keys))
    };
    BlsCommittee { members, n_shards: n_shards as u16, epoch, total_aggregated_key }
}

/// Creates a committee member.
public(package) fun new_bls_committee_member(
    public_key: Element<UncompressedG1>,
    weight: u16,
    node_id: ID,
): BlsCommitteeMember {
    BlsCommitteeMember { public_key, weight, node_id }
}

/// Verifies a certificate that needs a quorum (3w >= 2n+1) of the committee, signed in the
/// committee's epoch, and returns the parsed message.
public(package) fun verify_quorum_in_epoch(
    self: &BlsCommittee,
    signature: vector<u8>,
    signers_bitmap: vector<u8>,
    message: vector<u8>,
): CertifiedMessage {
    let weight = self.verify_certificate_and_weight(
        &signature,
        &signers_bitmap,
        &message,
        RequiredWeight::Quorum,
    );
    messages::new_certified_message(message, self.epoch, weight)
}

/// Verifies a certificate that needs at least one correct node (3w >= n+1), signed in the
/// committee's epoch, and returns the parsed message.
public(package) fun verify_one_correct_node_in_epoch(
    self: &BlsCommittee,
    signature: vector<u8>,
    signers_bitmap: vector<u8>,
    message: vector<u8>,
): CertifiedMessage {
    let weight = self.verify_certificate_and_weight(
        &signature,
        &signers_bitmap,
        &message,
        RequiredWeight::OneCorrectNode,
    );
    messages::new_certified_message(message, self.epoch, weight)
}

/// Verifies an aggregate BLS signature over `message` by the members `signers_bitmap` names
/// (bit i = member i, LSB first; at most ceil(members / 8) bytes and no bit past the last
/// member: `EInvalidBitmap`), that they hold the `required_weight` (`ENotEnoughStake`, checked
/// before the signature, as in Walrus mainnet) and that the signature verifies against the
/// signers' aggregate key (`ESigVerification`). Returns the signers' weight.
fun verify_certificate_and_weight(
    self: &BlsCommittee,
    signature: &vector<u8>,
    signers_bitmap: &vector<u8>,
    message: &vector<u8>,
    required_weight: RequiredWeight,
): u16 {
    let n_members = self.members.length();
    let max_bytes = (n_members + 7) / 8;
    assert!(signers_bitmap.length() <= max_bytes, EInvalidBitmap);
    let mut non_signer_keys = vector[];
    let mut non_signer_weight: u16 = 0;
    max_bytes.do!(|byte_index| {
        let byte = if (byte_index < signers_bitmap.length()) signers_bitmap[byte_index] else 0;
        (8u8).do!(|bit| {
            let index = byte_index * 8 + (bit as u64);
            let signed = (byte >> bit) & 1 == 1;
            if (index >= n_members) {
                assert!(!signed, EInvalidBitmap);
            } else if (!signed) {
                let member = &self.members[index];
                non_signer_keys.push_back(member.public_key);
                non_signer_weight = non_signer_weight + member.weight;
            }
        });
    });
    let weight = self.n_shards - non_signer_weight;
    match (required_weight) {
        RequiredWeight::Quorum => assert!(self.is_quorum(weight), ENotEnoughStake),
        RequiredWeight::OneCorrectNode => assert!(self.includes_one_correct_node(weight), ENotEnoughStake),
    };
    let aggregate_key = if (non_signer_keys.is_empty()) {
        self.total_aggregated_key
    } else {
        let non_signers = bls12381::uncompressed_g1_to_g1(
            &bls12381::uncompressed_g1_sum(&non_signer_keys),
        );
        bls12381::g1_sub(&self.total_aggregated_key, &non_signers)
    };
    assert!(
        bls12381_min_pk_verify(signature, aggregate_key.bytes(), message),
        ESigVerification,
    );
    weight
}

// === Public functions ===

/// Whether `weight` is a quorum of the committee: 3 * weight >= 2 * n_shards + 1.
public fun is_quorum(self: &BlsCommittee, weight: u16): bool {
    3 * (weight as u64) >= 2 * (self.n_shards as u64) + 1
}

/// Whether `weight` includes at least one correct node: 3 * weight >= n_shards + 1.
public fun includes_one_correct_node(self: &BlsCommittee, weight: u16): bool {
    3 * (weight as u64) >= (self.n_shards as u64) + 1
}

/// The epoch of the committee.
public fun epoch(self: &BlsCommittee): u32 { self.epoch }

/// The number of shards (sum of all weights).
public fun n_shards(self: &BlsCommittee): u16 { self.n_shards }

/// The members in node-id order.
public fun members(self: &BlsCommittee): &vector<BlsCommitteeMember> { &self.members }

/// The sum of all members' public keys.
public fun total_aggregated_key(self: &BlsCommittee): &Element<G1> { &self.total_aggregated_key }

/// Whether `node_id` is a member.
public fun contains(self: &BlsCommittee, node_id: &ID): bool {
    self.members.any!(|m| &m.node_id == node_id)
}

/// The weight of member `node_id`; aborts with `ENotMember` if it is not a member.
public fun get_member_weight(self: &BlsCommittee, node_id: &ID): u16 {
    let index = self.members.find_index!(|m| &m.node_id == node_id);
    assert!(index.is_some(), ENotMember);
    self.members[index.destroy_some()].weight
}

/// The committee as a map from node id to weight.
public fun to_vec_map(self: &BlsCommittee): VecMap<ID, u16> {
    let mut map = vec_map::empty();
    self.members.do_ref!(|m| map.insert(m.node_id, m.weight));
    map
}

/// The member's public key.
public fun public_key(self: &BlsCommitteeMember): &Element<UncompressedG1> { &self.public_key }

/// The member's weight (number of shards).
public fun weight(self: &BlsCommitteeMember): u16 { self.weight }

/// The member's node id.
public fun node_id(self: &BlsCommitteeMember): ID { self.node_id }

// === Test-only ===

#[test_only]
/// A deterministic test key: the G1 generator times `seed + 1`.
public fun test_public_key(seed: u64): Element<UncompressedG1> {
    let scalar = bls12381::scalar_from_u64(seed + 1);
    bls12381::g1_to_uncompressed_g1(&bls12381::g1_mul(&scalar, &bls12381::g1_generator()))
}

#[test_only]
/// The node id used for member `index` by the test builders: address `index + 1`.
public fun test_node_id(index: u64): ID {
    sui::address::from_u256((index + 1) as u256).to_id()
}

#[test_only]
/// A committee for `epoch` with one member per weight, node ids `test_node_id(i)` and keys
/// `test_public_key(i)`.
public fun new_bls_committee_for_testing(epoch: u32, weights: vector<u16>): BlsCommittee {
    let mut members = vector[];
    weights.length().do!(|i| {
        members.push_back(new_bls_committee_member(test_public_key(i), weights[i], test_node_id(i)));
    });
    new_bls_committee(epoch, members)
}
