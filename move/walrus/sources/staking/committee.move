/// Shard assignment of a committee: node id -> the shard indices it holds, sorted by node id.
///
/// Transition rule, as Walrus mainnet (the Rust devnet ledger mirrors it exactly), from the
/// previous assignment to new per-node counts in apportionment order (same total `n`):
/// - no previous assignment: the nodes sorted by id get shards `0..n` in order;
/// - otherwise, walking the previous nodes in id order: a node that leaves gives all its shards
///   to a pool; a shrinking node gives its last ones (from the end of its list, last first); a
///   node with the same count keeps its shards; a growing node is put at the end of the new
///   counts. Then the nodes left in the new counts, in their order, take the shards they lack
///   from the end of the pool (last released first), appended to what they held. Only
///   `Σ max(0, new - old)` shards move, the minimum. A node's shard list keeps this order
///   (it is not sorted).
module walrus::committee;

use sui::vec_map::{Self, VecMap};
use walrus::active_set::id_lt;

// === Errors ===

/// The new counts do not add up to the shards of the previous committee.
const EInvalidShardAssignment: u64 = 0;

// === Object definitions ===

/// Node id -> shards.
public struct Committee(VecMap<ID, vector<u16>>) has copy, drop, store;

// === Constructors ===

/// The empty committee.
public(package) fun empty(): Committee { Committee(vec_map::empty()) }

/// The first committee: the nodes of `counts` sorted by id get shards `0..n` in order.
public(package) fun initialize(counts: VecMap<ID, u16>): Committee {
    let (ids, values) = sort_by_id(counts).into_keys_values();
    let mut next: u16 = 0;
    let mut result = vec_map::empty();
    ids.zip_do!(values, |node_id, count| {
        result.insert(node_id, vector::tabulate!(count as u64, |j| next + (j as u16)));
        next = next + count;
    });
    Committee(result)
}

/// The next committee for `counts` (in apportionment order), moving as few shards as possible
/// (see the module documentation); `EInvalidShardAssignment` unless the totals agree.
public(package) fun transition(self: &Committee, mut counts: VecMap<ID, u16>): Committee {
    let mut new_total = 0;
    counts.length().do!(|i| {
        let (_, count) = counts.get_entry_by_idx(i);
        new_total = new_total + (*count as u64);
    });
    let mut result = vec_map::empty();
    let mut pool = vector[];
    let mut old_total = 0;
    self.0.length().do!(|i| {
        let (node_id, old) = self.0.get_entry_by_idx(i);
        old_total = old_total + old.length();
        let idx = counts.get_idx_opt(node_id);
        let assigned = if (idx.is_some()) {
            let (_, count) = counts.remove_entry_by_idx(idx.destroy_some());
            count as u64
        } else 0;
        let held = old.length();
        if (assigned == 0) {
            pool.append(*old);
        } else if (held == assigned) {
            result.insert(*node_id, *old);
        } else if (held > assigned) {
            let mut kept = *old;
            (held - assigned).do!(|_| pool.push_back(kept.pop_back()));
            result.insert(*node_id, kept);
        } else {
            counts.insert(*node_id, assigned as u16);
        }
    });
    assert!(new_total == old_total, EInvalidShardAssignment);
    let (ids, values) = counts.into_keys_values();
    ids.zip_do!(values, |node_id, count| {
        if (count > 0) {
            let mut shards = if (self.0.contains(&node_id)) *self.0.get(&node_id) else vector[];
            while (shards.length() < (count as u64)) shards.push_back(pool.pop_back());
            result.insert(node_id, shards);
        }
    });
    Committee(sort_by_id(result))
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

/// `map` with its entries in ascending node-id order (a stable insertion sort).
fun sort_by_id<V: copy + drop>(map: VecMap<ID, V>): VecMap<ID, V> {
    let (mut ids, mut values) = map.into_keys_values();
    let mut i = 1;
    while (i < ids.length()) {
        let mut j = i;
        while (j > 0 && id_lt(&ids[j], &ids[j - 1])) {
            ids.swap(j - 1, j);
            values.swap(j - 1, j);
            j = j - 1;
        };
        i = i + 1;
    };
    vec_map::from_keys_values(ids, values)
}
