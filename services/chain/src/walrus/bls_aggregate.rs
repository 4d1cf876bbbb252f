//! Mirror of `move/walrus/sources/system/bls_aggregate.move`: committees and certificate
//! verification with real BLS12-381 min_pk signatures (the same scheme as Sui's
//! `bls12381_min_pk_verify`, see [`crate::bls`]).
//!
//! Members are ordered by node id; bit `i` of byte `j` of a signers bitmap (least significant
//! bit first) is member `8j + i`. The aggregate key is the sum of the signers' keys (Move
//! computes it as the total key minus the non-signers' keys: the same point).

use blst::BLST_ERROR;
use blst::min_pk::{AggregatePublicKey, PublicKey, Signature};
use walrus_core::contracts::{BlsCommittee, BlsCommitteeMember, ObjectId};

use super::errors::{bls_aggregate as e, group_ops};
use super::messages::{self, CertifiedMessage};
use crate::types::ExecutionFailure;

/// Compressed encoding of the G1 identity (`bls12381::g1_identity`), the total key of an
/// empty committee.
pub const G1_IDENTITY_COMPRESSED: [u8; 48] = {
    let mut b = [0u8; 48];
    b[0] = 0xc0;
    b
};

fn parse_point(bytes: &[u8]) -> Result<PublicKey, ExecutionFailure> {
    // `deserialize` takes either the 48-byte compressed or the 96-byte uncompressed form and
    // checks that the point is on the curve; `validate` checks the subgroup and non-identity.
    let key = PublicKey::deserialize(bytes)
        .map_err(|err| group_ops::EInvalidInput.fail_with(format!("{err:?}")))?;
    key.validate()
        .map_err(|err| group_ops::EInvalidInput.fail_with(format!("{err:?}")))?;
    Ok(key)
}

/// The 96-byte uncompressed form (`Element<UncompressedG1>`) of a BLS public key given
/// compressed (48 bytes) or uncompressed (96 bytes). Aborts `sui::group_ops::EInvalidInput`
/// for bytes that are not a valid key, as `bls12381::g1_from_bytes` does.
pub fn uncompressed_g1(public_key: &[u8]) -> Result<Vec<u8>, ExecutionFailure> {
    Ok(parse_point(public_key)?.serialize().to_vec())
}

/// The 48-byte compressed form of a key already validated when it entered the state (a node's
/// stored `Element<UncompressedG1>`): the bytes must be a point on the curve, the subgroup check
/// is not repeated on every read. `sui::group_ops::EInvalidInput` for bytes that are not a
/// point.
pub fn compress_stored_g1(public_key: &[u8]) -> Result<[u8; 48], ExecutionFailure> {
    let key = PublicKey::deserialize(public_key)
        .map_err(|err| group_ops::EInvalidInput.fail_with(format!("{err:?}")))?;
    Ok(key.compress())
}

/// The 48-byte compressed form of a key given compressed or uncompressed.
pub fn compressed_g1(public_key: &[u8]) -> Result<[u8; 48], ExecutionFailure> {
    Ok(parse_point(public_key)?.compress())
}

/// `bls_aggregate::new_bls_committee_member`. The key may be given compressed or uncompressed;
/// the member stores it uncompressed, as Move.
pub fn new_bls_committee_member(
    public_key: &[u8],
    weight: u16,
    node_id: ObjectId,
) -> Result<BlsCommitteeMember, ExecutionFailure> {
    Ok(BlsCommitteeMember {
        public_key: uncompressed_g1(public_key)?,
        weight,
        node_id,
    })
}

/// The sum of the given members' keys, compressed (`bls12381::uncompressed_g1_sum`), the
/// identity for none.
fn sum_keys<'a>(
    members: impl IntoIterator<Item = &'a BlsCommitteeMember>,
) -> Result<[u8; 48], ExecutionFailure> {
    let points = members
        .into_iter()
        .map(|m| parse_point(&m.public_key))
        .collect::<Result<Vec<_>, _>>()?;
    if points.is_empty() {
        return Ok(G1_IDENTITY_COMPRESSED);
    }
    let refs: Vec<&PublicKey> = points.iter().collect();
    let sum = AggregatePublicKey::aggregate(&refs, false)
        .map_err(|err| group_ops::EInvalidInput.fail_with(format!("{err:?}")))?;
    Ok(sum.to_public_key().compress())
}

/// `bls_aggregate::new_bls_committee`: members must have non-zero weights
/// (`EIncorrectCommittee`), strictly increasing node ids (`EMembersNotSorted`) and at most 65535
/// shards in total (`ETooManyShards`), checked in that order per member.
pub fn new_bls_committee(
    epoch: u32,
    members: Vec<BlsCommitteeMember>,
) -> Result<BlsCommittee, ExecutionFailure> {
    let mut n_shards: u64 = 0;
    for (i, member) in members.iter().enumerate() {
        e::EIncorrectCommittee.ensure(member.weight > 0)?;
        if i > 0 {
            // `to_address().to_u256()` compares the 32 bytes big-endian: lexicographically.
            e::EMembersNotSorted.ensure(members[i - 1].node_id < member.node_id)?;
        }
        n_shards += u64::from(member.weight);
    }
    e::ETooManyShards.ensure(n_shards <= 0xFFFF)?;
    let total_aggregated_key = sum_keys(&members)?.to_vec();
    Ok(BlsCommittee {
        members,
        n_shards: u16::try_from(n_shards).map_err(|_| e::ETooManyShards.fail())?,
        epoch,
        total_aggregated_key,
    })
}

/// `bls_aggregate::is_quorum` ([`walrus_core::quorum::is_quorum`]).
pub fn is_quorum(committee: &BlsCommittee, weight: u16) -> bool {
    walrus_core::quorum::is_quorum(committee.n_shards, u64::from(weight))
}

/// `bls_aggregate::includes_one_correct_node`
/// ([`walrus_core::quorum::includes_one_correct_node`]).
pub fn includes_one_correct_node(committee: &BlsCommittee, weight: u16) -> bool {
    walrus_core::quorum::includes_one_correct_node(committee.n_shards, u64::from(weight))
}

/// `bls_aggregate::contains`.
pub fn contains(committee: &BlsCommittee, node_id: &ObjectId) -> bool {
    committee.members.iter().any(|m| &m.node_id == node_id)
}

/// `bls_aggregate::get_member_weight` (`ENotMember`).
pub fn get_member_weight(
    committee: &BlsCommittee,
    node_id: &ObjectId,
) -> Result<u16, ExecutionFailure> {
    committee
        .members
        .iter()
        .find(|m| &m.node_id == node_id)
        .map(|m| m.weight)
        .ok_or_else(|| e::ENotMember.fail())
}

/// `bls_aggregate::to_vec_map`: (node id, weight) in member order.
pub fn to_vec_map(committee: &BlsCommittee) -> Vec<(ObjectId, u16)> {
    committee
        .members
        .iter()
        .map(|m| (m.node_id, m.weight))
        .collect()
}

/// The weight a certificate's signers must hold (Move `bls_aggregate::RequiredWeight`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequiredWeight {
    /// More than two thirds of the shards.
    Quorum,
    /// At least one correct node.
    OneCorrectNode,
}

/// `bls_aggregate::verify_certificate_and_weight`: checks the bitmap (`EInvalidBitmap`), that
/// the signers hold `required` weight (`ENotEnoughStake`), then the aggregate signature of the
/// signers over `message` (`ESigVerification`), in Move's order; returns the signers' weight.
pub fn verify_certificate_and_weight(
    committee: &BlsCommittee,
    signature: &[u8],
    signers_bitmap: &[u8],
    message: &[u8],
    required: RequiredWeight,
) -> Result<u16, ExecutionFailure> {
    let n_members = committee.members.len();
    let full_len = n_members.div_ceil(8);
    e::EInvalidBitmap.ensure(signers_bitmap.len() <= full_len)?;
    let mut signers = Vec::with_capacity(n_members);
    let mut non_signer_weight: u64 = 0;
    for (index, member) in committee.members.iter().enumerate() {
        let signed = signers_bitmap
            .get(index / 8)
            .is_some_and(|byte| (byte >> (index % 8)) & 1 == 1);
        if signed {
            signers.push(member);
        } else {
            non_signer_weight += u64::from(member.weight);
        }
    }
    // Bits past the last member (in the last byte) must be zero.
    let n_bytes = signers_bitmap.len();
    if n_bytes > 0 && n_bytes == full_len && !n_members.is_multiple_of(8) {
        let last = signers_bitmap[n_bytes - 1];
        e::EInvalidBitmap.ensure(last >> (n_members % 8) == 0)?;
    }
    let weight = u64::from(committee.n_shards)
        .checked_sub(non_signer_weight)
        .ok_or_else(|| super::errors::arithmetic(e::MODULE))?;
    let weight = u16::try_from(weight).map_err(|_| super::errors::arithmetic(e::MODULE))?;
    let enough = match required {
        RequiredWeight::Quorum => is_quorum(committee, weight),
        RequiredWeight::OneCorrectNode => includes_one_correct_node(committee, weight),
    };
    e::ENotEnoughStake.ensure(enough)?;
    verify_signature(&signers, signature, message)?;
    Ok(weight)
}

/// `bls12381_min_pk_verify(signature, sum of the signers' keys, message)`, aborting with
/// `ESigVerification` when it is false (malformed signature, no signers, identity key, wrong
/// signature). The members' keys were validated (on the curve, in the group, not the identity)
/// when the committee was built, so only their on-curve encoding is re-read here; the
/// signature is fully validated (`sig_validate` with the group check).
fn verify_signature(
    signers: &[&BlsCommitteeMember],
    signature: &[u8],
    message: &[u8],
) -> Result<(), ExecutionFailure> {
    let key = verified::key(signers, signature, message);
    if verified::contains(&key) {
        return Ok(());
    }
    verify_signature_uncached(signers, signature, message)?;
    verified::insert(key);
    Ok(())
}

/// Pre-verifies a certificate against `committee` outside the ledger's lock (see
/// `Machine::prepare`), so that executing it later finds the signature already checked. Any
/// problem is ignored here: execution finds and reports it.
pub fn preverify(
    committee: &BlsCommittee,
    signature: &[u8],
    signers_bitmap: &[u8],
    message: &[u8],
) {
    // The weaker threshold: a quorum certificate passes it too, so either use finds it cached.
    let _ = verify_certificate_and_weight(
        committee,
        signature,
        signers_bitmap,
        message,
        RequiredWeight::OneCorrectNode,
    );
}

/// Remembers aggregate signatures that verified, keyed by a hash of everything the verification
/// depends on (the signers' keys in order, the signature and the message). Only successes are
/// remembered, so a hit returns exactly what verifying again would: the cache changes speed, never
/// outcomes, and replaying the journal without it gives the same results.
mod verified {
    use std::collections::{HashSet, VecDeque};
    use std::sync::{Mutex, OnceLock};

    use super::BlsCommitteeMember;

    const CAPACITY: usize = 65_536;

    #[derive(Default)]
    struct Cache {
        set: HashSet<[u8; 32]>,
        order: VecDeque<[u8; 32]>,
    }

    fn cache() -> &'static Mutex<Cache> {
        static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
        CACHE.get_or_init(Mutex::default)
    }

    pub(super) fn key(
        signers: &[&BlsCommitteeMember],
        signature: &[u8],
        message: &[u8],
    ) -> [u8; 32] {
        let mut h = sui_sdk_types::hash::Hasher::new();
        h.update((signers.len() as u64).to_le_bytes());
        for m in signers {
            h.update((m.public_key.len() as u64).to_le_bytes());
            h.update(&m.public_key);
        }
        h.update((signature.len() as u64).to_le_bytes());
        h.update(signature);
        h.update(message);
        h.finalize().into_inner()
    }

    pub(super) fn contains(key: &[u8; 32]) -> bool {
        cache().lock().map(|c| c.set.contains(key)).unwrap_or(false)
    }

    pub(super) fn insert(key: [u8; 32]) {
        if let Ok(mut c) = cache().lock()
            && c.set.insert(key)
        {
            c.order.push_back(key);
            if c.order.len() > CAPACITY
                && let Some(old) = c.order.pop_front()
            {
                c.set.remove(&old);
            }
        }
    }
}

fn verify_signature_uncached(
    signers: &[&BlsCommitteeMember],
    signature: &[u8],
    message: &[u8],
) -> Result<(), ExecutionFailure> {
    let fail = |detail: &str| e::ESigVerification.fail_with(detail);
    let points = signers
        .iter()
        .map(|m| PublicKey::deserialize(&m.public_key))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| fail(&format!("committee key: {err:?}")))?;
    let refs: Vec<&PublicKey> = points.iter().collect();
    if refs.is_empty() {
        return Err(fail("no signers"));
    }
    let aggregate = AggregatePublicKey::aggregate(&refs, false)
        .map_err(|err| fail(&format!("{err:?}")))?
        .to_public_key();
    // The compressed identity has the infinity flag (0x40) set.
    if aggregate.compress()[0] & 0x40 != 0 {
        return Err(fail("the signers' keys sum to the identity"));
    }
    let signature =
        Signature::sig_validate(signature, true).map_err(|err| fail(&format!("{err:?}")))?;
    match signature.verify(false, message, crate::bls::DST, &[], &aggregate, false) {
        BLST_ERROR::BLST_SUCCESS => Ok(()),
        err => Err(fail(&format!("{err:?}"))),
    }
}

/// `bls_aggregate::verify_quorum_in_epoch`: a certificate of a quorum (`ENotEnoughStake`)
/// signed in the committee's epoch; returns the parsed message.
pub fn verify_quorum_in_epoch(
    committee: &BlsCommittee,
    signature: &[u8],
    signers_bitmap: &[u8],
    message: &[u8],
) -> Result<CertifiedMessage, ExecutionFailure> {
    let weight = verify_certificate_and_weight(
        committee,
        signature,
        signers_bitmap,
        message,
        RequiredWeight::Quorum,
    )?;
    messages::new_certified_message(message, committee.epoch, weight)
}

/// `bls_aggregate::verify_one_correct_node_in_epoch`: a certificate of at least f+1 shards
/// (`ENotEnoughStake`) signed in the committee's epoch; returns the parsed message.
pub fn verify_one_correct_node_in_epoch(
    committee: &BlsCommittee,
    signature: &[u8],
    signers_bitmap: &[u8],
    message: &[u8],
) -> Result<CertifiedMessage, ExecutionFailure> {
    let weight = verify_certificate_and_weight(
        committee,
        signature,
        signers_bitmap,
        message,
        RequiredWeight::OneCorrectNode,
    )?;
    messages::new_certified_message(message, committee.epoch, weight)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::bls::{BlsPrivateKey, BlsPublicKey, BlsSignature};

    fn key(i: u8) -> BlsPrivateKey {
        BlsPrivateKey::from_ikm(&[i; 32]).unwrap()
    }

    fn committee(weights: &[u16]) -> (Vec<BlsPrivateKey>, BlsCommittee) {
        let keys: Vec<_> = (0..weights.len()).map(|i| key(i as u8 + 1)).collect();
        let members = weights
            .iter()
            .enumerate()
            .map(|(i, w)| {
                new_bls_committee_member(
                    keys[i].public_key().as_bytes(),
                    *w,
                    ObjectId::from_u64(i as u64 + 1),
                )
                .unwrap()
            })
            .collect();
        (keys, new_bls_committee(3, members).unwrap())
    }

    #[test]
    fn committee_checks_and_keys() {
        let (keys, c) = committee(&[1, 2, 3]);
        assert_eq!(c.n_shards, 6);
        assert_eq!(c.members[0].public_key.len(), 96);
        let total = BlsPublicKey::aggregate(
            keys.iter()
                .map(|k| k.public_key())
                .collect::<Vec<_>>()
                .iter(),
        )
        .unwrap();
        assert_eq!(c.total_aggregated_key, total.as_bytes().to_vec());
        assert_eq!(
            compressed_g1(&c.members[1].public_key).unwrap(),
            *keys[1].public_key().as_bytes()
        );
        // A stored key compresses to the same bytes without the subgroup check; bytes that are
        // not a point on the curve are still refused.
        assert_eq!(
            compress_stored_g1(&c.members[1].public_key).unwrap(),
            *keys[1].public_key().as_bytes()
        );
        assert!(group_ops::EInvalidInput.matches(&compress_stored_g1(&[1; 96]).unwrap_err()));

        let mut unsorted = c.members.clone();
        unsorted.swap(0, 1);
        assert!(e::EMembersNotSorted.matches(&new_bls_committee(1, unsorted).unwrap_err()));
        let mut zero = c.members.clone();
        zero[2].weight = 0;
        assert!(e::EIncorrectCommittee.matches(&new_bls_committee(1, zero).unwrap_err()));
        let mut big = c.members.clone();
        big[0].weight = u16::MAX;
        assert!(e::ETooManyShards.matches(&new_bls_committee(1, big).unwrap_err()));
        let empty = new_bls_committee(0, vec![]).unwrap();
        assert_eq!(empty.total_aggregated_key, G1_IDENTITY_COMPRESSED.to_vec());
        assert!(group_ops::EInvalidInput.matches(&uncompressed_g1(&[0u8; 48]).unwrap_err()));
        assert_eq!(get_member_weight(&c, &ObjectId::from_u64(2)).unwrap(), 2);
        assert!(e::ENotMember.matches(&get_member_weight(&c, &ObjectId::from_u64(9)).unwrap_err()));
    }

    #[test]
    fn thresholds() {
        let (_, c) = committee(&[3, 3, 4]);
        // n = 10: quorum needs 3w >= 21, i.e. w >= 7; one correct node 3w >= 11, w >= 4.
        assert!(!is_quorum(&c, 6));
        assert!(is_quorum(&c, 7));
        assert!(!includes_one_correct_node(&c, 3));
        assert!(includes_one_correct_node(&c, 4));
    }

    #[test]
    fn weight_of_a_certificate() {
        use RequiredWeight::{OneCorrectNode as OneCorrect, Quorum};
        let (keys, c) = committee(&[1, 2, 3]);
        let msg = b"hello";
        let sig = |signers: &[usize]| {
            let sigs: Vec<_> = signers.iter().map(|i| keys[*i].sign(msg)).collect();
            BlsSignature::aggregate(sigs.iter())
                .unwrap()
                .as_bytes()
                .to_vec()
        };
        assert_eq!(
            verify_certificate_and_weight(&c, &sig(&[1, 2]), &[0b110], msg, OneCorrect).unwrap(),
            5
        );
        assert_eq!(
            verify_certificate_and_weight(&c, &sig(&[0, 1, 2]), &[0b111], msg, OneCorrect).unwrap(),
            6
        );
        // Wrong signer set.
        assert!(
            e::ESigVerification.matches(
                &verify_certificate_and_weight(&c, &sig(&[1, 2]), &[0b011], msg, OneCorrect)
                    .unwrap_err()
            )
        );
        // Bit past the last member.
        assert!(
            e::EInvalidBitmap.matches(
                &verify_certificate_and_weight(&c, &sig(&[1, 2]), &[0b1110], msg, OneCorrect)
                    .unwrap_err()
            )
        );
        // Too long.
        assert!(
            e::EInvalidBitmap.matches(
                &verify_certificate_and_weight(&c, &sig(&[1, 2]), &[0b110, 0], msg, OneCorrect)
                    .unwrap_err()
            )
        );
        // Empty bitmap: nobody signed, which is not enough weight (checked before the
        // signature, as in Move).
        assert!(e::ENotEnoughStake.matches(
            &verify_certificate_and_weight(&c, &sig(&[1, 2]), &[], msg, OneCorrect).unwrap_err()
        ));
        // Weight 5 of 6 is a quorum; weight 2 is not even one correct node, whatever the
        // signature.
        assert_eq!(
            verify_certificate_and_weight(&c, &sig(&[1, 2]), &[0b110], msg, Quorum).unwrap(),
            5
        );
        assert!(e::ENotEnoughStake.matches(
            &verify_certificate_and_weight(&c, &[7u8; 96], &[0b010], msg, OneCorrect).unwrap_err()
        ));
        // Garbage signature bytes.
        assert!(e::ESigVerification.matches(
            &verify_certificate_and_weight(&c, &[7u8; 96], &[0b110], msg, OneCorrect).unwrap_err()
        ));
    }

    #[test]
    fn keys_summing_to_the_identity_never_verify() {
        let k = key(7);
        let pk = *k.public_key().as_bytes();
        let mut neg = pk;
        neg[0] ^= 0x20; // the compressed sign bit: -pk
        let members = vec![
            new_bls_committee_member(&pk, 1, ObjectId::from_u64(1)).unwrap(),
            new_bls_committee_member(&neg, 1, ObjectId::from_u64(2)).unwrap(),
        ];
        let c = new_bls_committee(1, members).unwrap();
        assert_eq!(c.total_aggregated_key, G1_IDENTITY_COMPRESSED.to_vec());
        let sig = k.sign(b"m");
        assert!(
            e::ESigVerification.matches(
                &verify_certificate_and_weight(
                    &c,
                    sig.as_bytes(),
                    &[0b11],
                    b"m",
                    RequiredWeight::OneCorrectNode
                )
                .unwrap_err()
            )
        );
        // Member 0 alone is fine.
        assert_eq!(
            verify_certificate_and_weight(
                &c,
                sig.as_bytes(),
                &[0b01],
                b"m",
                RequiredWeight::OneCorrectNode
            )
            .unwrap(),
            1
        );
    }

    #[test]
    fn large_committee_certificate() {
        let n = 100;
        let keys: Vec<_> = (0..n)
            .map(|i| BlsPrivateKey::from_ikm(&[i as u8; 32]).unwrap())
            .collect();
        let members = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                new_bls_committee_member(
                    k.public_key().as_bytes(),
                    10,
                    ObjectId::from_u64(i as u64 + 1),
                )
                .unwrap()
            })
            .collect();
        let c = new_bls_committee(1, members).unwrap();
        assert_eq!(c.n_shards, 1000);
        let msg = b"certify";
        let signers: Vec<usize> = (0..67).collect();
        let sigs: Vec<_> = signers.iter().map(|i| keys[*i].sign(msg)).collect();
        let sig = BlsSignature::aggregate(sigs.iter()).unwrap();
        let mut bitmap = vec![0u8; 13];
        for i in &signers {
            bitmap[i / 8] |= 1 << (i % 8);
        }
        assert_eq!(
            verify_certificate_and_weight(&c, sig.as_bytes(), &bitmap, msg, RequiredWeight::Quorum)
                .unwrap(),
            670
        );
        assert!(is_quorum(&c, 670));
        assert!(!is_quorum(&c, 660));
    }
}
