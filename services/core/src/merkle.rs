//! Merkle trees over BLAKE2b-256 as Walrus builds them (§4): leaves `B(0x00 ‖ data)`, inner nodes
//! `B(0x01 ‖ left ‖ right)`, and at every level with an odd number (> 1) of nodes one literal
//! all-zero [`Node::Empty`] appended. Also [`MerkleProof`]s and their verification.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::hash::{BatchHasher, Digest, INNER_PREFIX, LEAF_PREFIX, blake2b256_parts};

/// A Merkle tree node: `Empty` (32 zero bytes when hashed; BCS `0x00`) or a digest (BCS
/// `0x01 ‖ 32 bytes`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Node {
    /// The padding node.
    Empty,
    /// A hash.
    Digest(Digest),
}

impl Node {
    /// The 32 bytes this node contributes to its parent's hash (zeros for `Empty`).
    pub fn bytes(&self) -> Digest {
        match self {
            Self::Empty => [0; 32],
            Self::Digest(digest) => *digest,
        }
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("Empty"),
            Self::Digest(digest) => write!(f, "Digest({})", hex::encode(digest)),
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty"),
            Self::Digest(digest) => f.write_str(&hex::encode(digest)),
        }
    }
}

/// The hash of the Merkle leaf holding `data`: `B(0x00 ‖ data)`.
pub fn leaf_hash(data: &[u8]) -> Digest {
    blake2b256_parts(&[&[LEAF_PREFIX], data])
}

/// The hash of an inner node: `B(0x01 ‖ left ‖ right)`.
pub(crate) fn inner_hash(left: &Digest, right: &Digest) -> Digest {
    blake2b256_parts(&[&[INNER_PREFIX], left, right])
}

/// The number of levels above the leaves: the length of every proof in a tree of `n_leaves`.
pub(crate) fn tree_depth(n_leaves: usize) -> usize {
    let mut depth = 0;
    let mut width = n_leaves;
    while width > 1 {
        width = width.div_ceil(2);
        depth += 1;
    }
    depth
}

/// Writes into `parent` the level above `level` (an odd last node pairs with `Empty`).
fn hash_level(level: &[Digest], parent: &mut Vec<Digest>) {
    parent.clear();
    parent.resize(level.len().div_ceil(2), [0; 32]);
    let mut hasher = BatchHasher::new(1 + 64);
    for (pair, destination) in level.chunks(2).zip(parent.iter_mut()) {
        hasher.push_with(destination, |slot| {
            slot[0] = INNER_PREFIX;
            slot[1..33].copy_from_slice(&pair[0]);
            if let Some(right) = pair.get(1) {
                slot[33..65].copy_from_slice(right);
            }
        });
    }
    hasher.finish();
}

/// The root of the tree whose leaves have these hashes, without keeping the tree.
pub(crate) fn root_from_leaf_hashes(leaf_hashes: &[Digest]) -> Node {
    match leaf_hashes {
        [] => Node::Empty,
        [single] => Node::Digest(*single),
        _ => {
            let mut current = Vec::new();
            let mut next = Vec::new();
            hash_level(leaf_hashes, &mut current);
            while current.len() > 1 {
                hash_level(&current, &mut next);
                std::mem::swap(&mut current, &mut next);
            }
            Node::Digest(current[0])
        }
    }
}

/// A Merkle tree with all its levels, for producing proofs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    /// `levels[0]` are the leaf hashes, the last level is the root.
    levels: Vec<Vec<Digest>>,
}

impl MerkleTree {
    /// Builds the tree over leaves that are already hashed.
    pub fn from_leaf_hashes(leaf_hashes: Vec<Digest>) -> Self {
        let mut levels = vec![leaf_hashes];
        while let Some(top) = levels.last().filter(|level| level.len() > 1) {
            let mut parent = Vec::new();
            hash_level(top, &mut parent);
            levels.push(parent);
        }
        Self { levels }
    }

    /// Builds the tree over the given leaf data.
    pub fn from_leaves<'a>(leaves: impl IntoIterator<Item = &'a [u8]>) -> Self {
        Self::from_leaf_hashes(leaves.into_iter().map(leaf_hash).collect())
    }

    /// The number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.levels.first().map_or(0, Vec::len)
    }

    /// The root (`Empty` for a tree without leaves).
    pub fn root(&self) -> Node {
        match self.levels.last() {
            Some(top) if top.len() == 1 => Node::Digest(top[0]),
            _ => Node::Empty,
        }
    }

    /// The hash of leaf `leaf_index`, if it exists.
    pub fn leaf_hash(&self, leaf_index: usize) -> Option<&Digest> {
        self.levels
            .first()
            .and_then(|leaves| leaves.get(leaf_index))
    }

    /// The proof for leaf `leaf_index`: the sibling of each node on the path to the root,
    /// `Empty` where the sibling is padding. `None` if there is no such leaf.
    pub fn proof(&self, leaf_index: usize) -> Option<MerkleProof> {
        if leaf_index >= self.n_leaves() {
            return None;
        }
        let mut index = leaf_index;
        let path = self.levels[..self.levels.len() - 1]
            .iter()
            .map(|level| {
                let sibling = level
                    .get(index ^ 1)
                    .map_or(Node::Empty, |hash| Node::Digest(*hash));
                index /= 2;
                sibling
            })
            .collect();
        Some(MerkleProof { path })
    }
}

/// A Merkle proof: the sibling nodes from the leaf up to (excluding) the root. BCS:
/// `ULEB128(length) ‖ nodes` (§6.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct MerkleProof {
    #[serde(deserialize_with = "crate::bcs_codec::bounded_seq::deserialize")]
    path: Vec<Node>,
}

/// A Merkle proof does not prove what it is claimed to prove.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum MerkleProofError {
    /// The leaf index is not below the number of leaves.
    #[error("leaf index {leaf_index} is out of range for a tree of {n_leaves} leaves")]
    LeafIndexOutOfRange {
        /// The claimed leaf index.
        leaf_index: usize,
        /// The number of leaves in the tree.
        n_leaves: usize,
    },
    /// The proof has the wrong number of nodes for the tree size.
    #[error("Merkle proof has {actual} nodes, but a tree of {n_leaves} leaves needs {expected}")]
    WrongLength {
        /// The depth of the tree.
        expected: usize,
        /// The length of the proof.
        actual: usize,
        /// The number of leaves in the tree.
        n_leaves: usize,
    },
    /// Hashing up the path does not give the expected root.
    #[error("Merkle proof does not lead to the expected root")]
    RootMismatch,
}

impl MerkleProof {
    /// A proof with the given path (sibling nodes, leaf level first).
    pub fn new(path: Vec<Node>) -> Self {
        Self { path }
    }

    /// The sibling nodes, leaf level first.
    pub fn path(&self) -> &[Node] {
        &self.path
    }

    /// The root this proof leads to from `leaf_hash` at `leaf_index`.
    pub fn compute_root(&self, leaf_hash: &Digest, leaf_index: usize) -> Node {
        let mut current = *leaf_hash;
        let mut index = leaf_index;
        for sibling in &self.path {
            let sibling = sibling.bytes();
            current = if index.is_multiple_of(2) {
                inner_hash(&current, &sibling)
            } else {
                inner_hash(&sibling, &current)
            };
            index /= 2;
        }
        Node::Digest(current)
    }

    /// Checks that the leaf with hash `leaf_hash` is at `leaf_index` in a tree of `n_leaves`
    /// leaves with root `root`.
    pub fn verify(
        &self,
        root: &Node,
        leaf_hash: &Digest,
        leaf_index: usize,
        n_leaves: usize,
    ) -> Result<(), MerkleProofError> {
        if leaf_index >= n_leaves {
            return Err(MerkleProofError::LeafIndexOutOfRange {
                leaf_index,
                n_leaves,
            });
        }
        let expected = tree_depth(n_leaves);
        if self.path.len() != expected {
            return Err(MerkleProofError::WrongLength {
                expected,
                actual: self.path.len(),
                n_leaves,
            });
        }
        if self.compute_root(leaf_hash, leaf_index) == *root {
            Ok(())
        } else {
            Err(MerkleProofError::RootMismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The straightforward definition from §4, one hash at a time.
    fn reference_root(leaves: &[Digest]) -> Node {
        if leaves.is_empty() {
            return Node::Empty;
        }
        let mut level = leaves.to_vec();
        while level.len() > 1 {
            if level.len() % 2 == 1 {
                level.push([0; 32]);
            }
            level = level
                .chunks(2)
                .map(|pair| inner_hash(&pair[0], &pair[1]))
                .collect();
        }
        Node::Digest(level[0])
    }

    fn leaves(count: usize) -> Vec<Digest> {
        (0..count)
            .map(|i| leaf_hash(&(i as u32).to_le_bytes()))
            .collect()
    }

    #[test]
    fn all_zero_sliver_root_of_the_spec() {
        // §10: the root of ten all-zero 2-byte symbols.
        let tree = MerkleTree::from_leaves(std::iter::repeat_n(&[0u8, 0][..], 10));
        assert_eq!(
            tree.root().to_string(),
            "db58f368d9bc3234adaa423ddfadfc96debcfa47a72d873ecb8f5207c1b6938c"
        );
    }

    #[test]
    fn roots_match_reference_and_proofs_verify() {
        for count in [0usize, 1, 2, 3, 5, 10, 17, 100, 129] {
            let leaves = leaves(count);
            let expected = reference_root(&leaves);
            assert_eq!(root_from_leaf_hashes(&leaves), expected, "{count} leaves");
            let tree = MerkleTree::from_leaf_hashes(leaves.clone());
            assert_eq!(tree.root(), expected);
            for (index, leaf) in leaves.iter().enumerate() {
                let proof = tree.proof(index).unwrap();
                assert_eq!(proof.path().len(), tree_depth(count));
                proof.verify(&expected, leaf, index, count).unwrap();
                if count > 1 {
                    let other = (index + 1) % count;
                    assert_eq!(
                        proof.verify(&expected, leaf, other, count),
                        Err(MerkleProofError::RootMismatch)
                    );
                }
            }
            assert!(tree.proof(count).is_none());
        }
    }

    #[test]
    fn proof_errors_are_specific() {
        let leaves = leaves(10);
        let tree = MerkleTree::from_leaf_hashes(leaves.clone());
        let proof = tree.proof(3).unwrap();
        assert_eq!(
            proof.verify(&tree.root(), &leaves[3], 10, 10),
            Err(MerkleProofError::LeafIndexOutOfRange {
                leaf_index: 10,
                n_leaves: 10
            })
        );
        let mut path = proof.path().to_vec();
        path.push(Node::Empty);
        assert_eq!(
            MerkleProof::new(path).verify(&tree.root(), &leaves[3], 3, 10),
            Err(MerkleProofError::WrongLength {
                expected: 4,
                actual: 5,
                n_leaves: 10
            })
        );
    }

    #[test]
    fn node_bcs() {
        assert_eq!(bcs::to_bytes(&Node::Empty).unwrap(), [0]);
        let mut digest = vec![1u8];
        digest.extend([9u8; 32]);
        assert_eq!(bcs::to_bytes(&Node::Digest([9; 32])).unwrap(), digest);
        assert!(bcs::from_bytes::<Node>(&[2]).is_err());
        let proof = MerkleProof::new(vec![Node::Empty, Node::Digest([9; 32])]);
        let mut expected = vec![2u8, 0];
        expected.extend(&digest);
        assert_eq!(bcs::to_bytes(&proof).unwrap(), expected);
    }
}
