/// Shard assignment of a committee: node id -> the shard indices it holds, sorted by node id,
/// each node's shards ascending.
///
/// Transition rule (minimal movement; the Rust devnet ledger mirrors it exactly), from the
/// previous assignment to new per-node counts (same total `n`):
/// - no previous assignment: shards `0..n` are handed out in order, node by node in node-id
///   order;
/// - otherwise every node keeps its `min(new count, old count)` lowest shards; the other shards
///   of shrinking or leaving nodes are pooled (walking the previous nodes in node-id order,
///   each node's released shards ascending) and growing or new nodes, in node-id order, take
///   shards from the front of that pool. Only `Σ max(0, new - old)` shards move, the minimum.
module walrus::committee;

use sui::vec_map::{Self, VecMap};
use walrus::active_set::id_lt;

// === Errors ===

/// The new counts do not add up to the shards of the previous committee.
const EInvalidShardAssignment: u64 = 0;
/// Node ids must be given in ascending order.
const EUnsortedNodeIds: u64 = 1;

// === Object definitions ===

/// Node id -> shards.
public struct Committee(VecMap<ID, vector<u16>>) has copy, drop, store;

/// A node and a shard count (for sorting).
public struct NodeCount(ID, u16) has copy, drop;

// === Constructors ===

/// The empty committee.
public(package) fun empty(): Committee { Committee(vec_map::empty()) }

/// The first committee: shards handed out in order to the nodes of `counts` (ascending ids).
public(package) fun initialize(counts: VecMap<ID, u16>): Committee {
    check_sorted(&counts);
    let mut result = vec_map::empty();
    let mut next: u16 = 0;
    let mut i = 0;
    while (i < counts.length()) {
        let (node_id, count) = counts.get_entry_by_idx(i);
        let shards = vector::tabulate!(*count as u64, |j| next + (j as u16));
        next = next + *count;
        result.insert(*node_id, shards);
        i = i + 1;
    };
    Committee(result)
}

/// The next committee for `counts` (ascending ids), moving as few shards as possible.
public(package) fun transition(self: &Committee, counts: VecMap<ID, u16>): Committee {
    if (self.0.is_empty()) return initialize(counts);
    check_sorted(&counts);
    let mut total: u64 = 0;
    counts.keys().do!(|id| total = total + (*counts.get(&id) as u64));
    assert!(total == (self.n_shards() as u64), EInvalidShardAssignment);

    // Shards released by shrinking or leaving nodes.
    let mut released = vector[];
    let mut i = 0;
    while (i < self.0.length()) {
        let (node_id, shards) = self.0.get_entry_by_idx(i);
        let keep = if (counts.contains(node_id)) (*counts.get(node_id) as u64).min(shards.length())
        else 0;
        let mut j = keep;
        while (j < shards.length()) {
            released.push_back(shards[j]);
            j = j + 1;
        };
        i = i + 1;
    };

    let mut result = vec_map::empty();
    let mut cursor = 0;
    let mut i = 0;
    while (i < counts.length()) {
        let (node_id, count) = counts.get_entry_by_idx(i);
        let count = *count as u64;
        let mut shards = if (self.0.contains(node_id)) {
            let old = self.0.get(node_id);
            vector::tabulate!(count.min(old.length()), |j| old[j])
        } else vector[];
        while (shards.length() < count) {
            shards.push_back(released[cursor]);
            cursor = cursor + 1;
        };
        shards.insertion_sort_by!(|a, b| *a <= *b);
        result.insert(*node_id, shards);
        i = i + 1;
    };
    Committee(result)
}

/// Node id -> shard count for the nodes with a positive count, sorted by node id.
public(package) fun sorted_counts(ids: vector<ID>, counts: vector<u16>): VecMap<ID, u16> {
    let mut pairs = vector[];
    ids.length().do!(|i| if (counts[i] > 0) pairs.push_back(NodeCount(ids[i], counts[i])));
    pairs.insertion_sort_by!(|a, b| !id_lt(&b.0, &a.0));
    let mut result = vec_map::empty();
    pairs.do!(|NodeCount(id, count)| result.insert(id, count));
    result
}

// === Accessors ===

/// The shards of `node_id` (aborts if absent).
public fun shards(self: &Committee, node_id: &ID): &vector<u16> { self.0.get(node_id) }

/// The number of shards of `node_id` (0 if absent).
public fun weight(self: &Committee, node_id: &ID): u16 {
    if (self.0.contains(node_id)) self.0.get(node_id).length() as u16 else 0
}

/// Whether `node_id` is a member.
public fun contains(self: &Committee, node_id: &ID): bool { self.0.contains(node_id) }

/// Number of members.
public fun size(self: &Committee): u64 { self.0.length() }

/// Whether the committee has no members.
public fun is_empty(self: &Committee): bool { self.0.is_empty() }

/// Total number of shards.
public fun n_shards(self: &Committee): u16 {
    let mut total = 0;
    let mut i = 0;
    while (i < self.0.length()) {
        let (_, shards) = self.0.get_entry_by_idx(i);
        total = total + shards.length();
        i = i + 1;
    };
    total as u16
}

/// The member ids, ascending.
public fun node_ids(self: &Committee): vector<ID> { self.0.keys() }

/// The assignment.
public fun inner(self: &Committee): &VecMap<ID, vector<u16>> { &self.0 }

/// A copy of the node id -> shards map.
public fun to_inner(self: &Committee): VecMap<ID, vector<u16>> { self.0 }

/// Node id -> number of shards.
public fun to_counts(self: &Committee): VecMap<ID, u16> {
    let mut counts = vec_map::empty();
    let mut i = 0;
    while (i < self.0.length()) {
        let (node_id, shards) = self.0.get_entry_by_idx(i);
        counts.insert(*node_id, shards.length() as u16);
        i = i + 1;
    };
    counts
}

// === Private functions ===

fun check_sorted(counts: &VecMap<ID, u16>) {
    let keys = counts.keys();
    let mut i = 1;
    while (i < keys.length()) {
        assert!(id_lt(&keys[i - 1], &keys[i]), EUnsortedNodeIds);
        i = i + 1;
    }
}
