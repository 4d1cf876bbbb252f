/// The candidates for the next committee: up to `max_size` nodes with the largest projected
/// stake. Ordering everywhere is by stake descending, then node id ascending (the "priority
/// order"), so the set and every decision on it are independent of the order of operations.
module walrus::active_set;

// === Errors ===

/// The maximal size must be positive.
const EZeroMaxSize: u64 = 0;

// === Object definitions ===

/// One candidate.
public struct ActiveSetEntry has copy, drop, store {
    node_id: ID,
    staked_amount: u64,
}

/// The active set.
public struct ActiveSet has copy, drop, store {
    max_size: u16,
    /// The least stake a node needs to be in the set.
    threshold_stake: u64,
    /// Candidates with a positive stake, in no particular order.
    nodes: vector<ActiveSetEntry>,
    total_stake: u64,
}

// === Constructors ===

/// An empty set holding at most `max_size` nodes.
public(package) fun new(max_size: u16, threshold_stake: u64): ActiveSet {
    assert!(max_size > 0, EZeroMaxSize);
    ActiveSet { max_size, threshold_stake, nodes: vector[], total_stake: 0 }
}

// === Mutators ===

/// Sets the stake of `node_id`. A node with zero stake leaves the set. A new node joins if
/// there is room, or else replaces the lowest-priority member if its stake is strictly larger
/// than that member's. Returns whether the node is in the set afterwards.
public(package) fun insert_or_update(self: &mut ActiveSet, node_id: ID, staked_amount: u64): bool {
    // Below the threshold a node leaves (or stays out of) the set, as with no stake.
    let staked_amount = if (staked_amount < self.threshold_stake) 0 else staked_amount;
    let idx = self.nodes.find_index!(|e| e.node_id == node_id);
    if (idx.is_some()) {
        let i = idx.destroy_some();
        let old = self.nodes[i].staked_amount;
        self.total_stake = self.total_stake - old;
        if (staked_amount == 0) {
            self.nodes.remove(i);
            return false
        };
        self.nodes.borrow_mut(i).staked_amount = staked_amount;
        self.total_stake = self.total_stake + staked_amount;
        return true
    };
    if (staked_amount == 0) return false;
    if (self.nodes.length() < (self.max_size as u64)) {
        self.nodes.push_back(ActiveSetEntry { node_id, staked_amount });
        self.total_stake = self.total_stake + staked_amount;
        return true
    };
    // Full: find the lowest-priority member (smallest stake, then largest id).
    let mut min_idx = 0;
    let mut i = 1;
    while (i < self.nodes.length()) {
        if (higher_priority(&self.nodes[min_idx], &self.nodes[i])) min_idx = i;
        i = i + 1;
    };
    let evicted = self.nodes[min_idx].staked_amount;
    if (staked_amount <= evicted) return false;
    self.total_stake = self.total_stake - evicted + staked_amount;
    *self.nodes.borrow_mut(min_idx) = ActiveSetEntry { node_id, staked_amount };
    true
}

/// Removes `node_id` if present.
public(package) fun remove(self: &mut ActiveSet, node_id: ID) {
    self.insert_or_update(node_id, 0);
}

// === Accessors ===

/// The members in priority order (stake descending, node id ascending) with their stakes.
public fun sorted_nodes_and_stakes(self: &ActiveSet): (vector<ID>, vector<u64>) {
    let mut entries = self.nodes;
    entries.insertion_sort_by!(|a, b| !higher_priority(b, a));
    let ids = entries.map_ref!(|e| e.node_id);
    let stakes = entries.map_ref!(|e| e.staked_amount);
    (ids, stakes)
}

/// The member ids, in no particular order.
public fun active_ids(self: &ActiveSet): vector<ID> { self.nodes.map_ref!(|e| e.node_id) }

/// The stake of `node_id` in the set (0 if absent).
public fun stake(self: &ActiveSet, node_id: ID): u64 {
    let idx = self.nodes.find_index!(|e| e.node_id == node_id);
    if (idx.is_some()) self.nodes[idx.destroy_some()].staked_amount else 0
}

/// Whether `node_id` is in the set.
public fun contains(self: &ActiveSet, node_id: ID): bool {
    self.nodes.any!(|e| e.node_id == node_id)
}

/// Number of members.
public fun size(self: &ActiveSet): u64 { self.nodes.length() }

/// The maximal number of members.
public fun max_size(self: &ActiveSet): u16 { self.max_size }

/// The least stake a node needs to be in the set.
public fun threshold_stake(self: &ActiveSet): u64 { self.threshold_stake }

/// Sum of the members' stakes.
public fun total_stake(self: &ActiveSet): u64 { self.total_stake }

// === Package functions ===

/// Whether `a` comes strictly before `b` in priority order: larger stake, or equal stake and
/// smaller node id.
public(package) fun higher_priority(a: &ActiveSetEntry, b: &ActiveSetEntry): bool {
    a.staked_amount > b.staked_amount ||
        (a.staked_amount == b.staked_amount && id_lt(&a.node_id, &b.node_id))
}

/// Node id order: the ids' addresses as unsigned integers (= lexicographic byte order).
public(package) fun id_lt(a: &ID, b: &ID): bool {
    a.to_address().to_u256() < b.to_address().to_u256()
}
