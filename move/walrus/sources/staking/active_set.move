/// The candidates for the next committee, as on Walrus mainnet: up to `max_size` nodes with
/// their projected stake, in the order they entered (a node evicted for a larger one is replaced
/// in place; a node that leaves is swapped with the last). The committee is apportioned in this
/// order, earlier nodes winning ties; `sorted_nodes_and_stakes` lists them by priority (stake
/// descending, node id ascending) for views.
module walrus::active_set;

// === Errors (numbered as in Walrus mainnet) ===

/// The maximal size must be positive.
const EZeroMaxSize: u64 = 0;
/// A node that is already in the set is inserted again.
const EDuplicateInsertion: u64 = 1;

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
    /// Candidates with a positive stake, in the set's order.
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

/// Sets the stake of `node_id`: with zero stake, or less than `threshold_stake`, it leaves (or
/// stays out of) the set; a member's stake is updated; a new node joins if there is room, or
/// else replaces the member with the smallest stake (the first one) if that is strictly smaller.
/// Returns whether the node is in the set afterwards.
public(package) fun insert_or_update(self: &mut ActiveSet, node_id: ID, staked_amount: u64): bool {
    if (staked_amount == 0 || staked_amount < self.threshold_stake) {
        self.remove(node_id);
        return false
    };
    if (self.update(node_id, staked_amount)) true else self.insert(node_id, staked_amount)
}

/// Sets the stake of `node_id` if it is a member; returns whether it is.
public(package) fun update(self: &mut ActiveSet, node_id: ID, staked_amount: u64): bool {
    let idx = self.nodes.find_index!(|e| e.node_id == node_id);
    if (idx.is_none()) return false;
    let i = idx.destroy_some();
    self.total_stake = self.total_stake + staked_amount - self.nodes[i].staked_amount;
    self.nodes.borrow_mut(i).staked_amount = staked_amount;
    true
}

/// Removes `node_id` if present (the last member takes its place).
public(package) fun remove(self: &mut ActiveSet, node_id: ID) {
    let idx = self.nodes.find_index!(|e| e.node_id == node_id);
    if (idx.is_some()) {
        let entry = self.nodes.swap_remove(idx.destroy_some());
        self.total_stake = self.total_stake - entry.staked_amount;
    }
}

/// Adds a node that is not a member (`EDuplicateInsertion`): appended if there is room, else in
/// place of the first member with the smallest stake below `staked_amount`, if any.
fun insert(self: &mut ActiveSet, node_id: ID, staked_amount: u64): bool {
    assert!(self.nodes.find_index!(|e| e.node_id == node_id).is_none(), EDuplicateInsertion);
    if (self.nodes.length() < (self.max_size as u64)) {
        self.total_stake = self.total_stake + staked_amount;
        self.nodes.push_back(ActiveSetEntry { node_id, staked_amount });
        return true
    };
    let mut min_stake = staked_amount;
    let mut min_idx = option::none();
    self.nodes.length().do!(|i| {
        if (self.nodes[i].staked_amount < min_stake) {
            min_idx = option::some(i);
            min_stake = self.nodes[i].staked_amount;
        }
    });
    if (min_idx.is_none()) return false;
    self.total_stake = self.total_stake - min_stake + staked_amount;
    *self.nodes.borrow_mut(min_idx.destroy_some()) = ActiveSetEntry { node_id, staked_amount };
    true
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

/// The member ids, in the set's order.
public fun active_ids(self: &ActiveSet): vector<ID> { self.nodes.map_ref!(|e| e.node_id) }

/// The member ids and stakes, in the set's order (the order the committee is apportioned in).
public(package) fun active_ids_and_stake(self: &ActiveSet): (vector<ID>, vector<u64>) {
    (self.nodes.map_ref!(|e| e.node_id), self.nodes.map_ref!(|e| e.staked_amount))
}

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
