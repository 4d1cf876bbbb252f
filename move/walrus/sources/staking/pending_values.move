/// Values scheduled per epoch (pending stake, pending withdrawals, scheduled commission rates),
/// as on Walrus mainnet: a map from epoch to a u64 in insertion order; an entry reduced to zero
/// stays until it is flushed.
module walrus::pending_values;

use sui::vec_map::{Self, VecMap};

// === Errors ===

/// No value is pending for the epoch.
const EMissingEpochValue: u64 = 0;
/// The value pending for the epoch is smaller than the reduction.
const EReduceValueTooLarge: u64 = 1;

// === Object definitions ===

/// Epoch -> value, in insertion order.
public struct PendingValues(VecMap<u32, u64>) has copy, drop, store;

// === Constructors ===

/// An empty map.
public(package) fun empty(): PendingValues { PendingValues(vec_map::empty()) }

// === Mutators ===

/// Adds `value` to what is scheduled for `epoch`.
public(package) fun insert_or_add(self: &mut PendingValues, epoch: u32, value: u64) {
    let map = &mut self.0;
    if (map.contains(&epoch)) {
        let v = map.get_mut(&epoch);
        *v = *v + value;
    } else {
        map.insert(epoch, value);
    }
}

/// Sets what is scheduled for `epoch` to `value`, replacing any earlier value.
public(package) fun insert_or_replace(self: &mut PendingValues, epoch: u32, value: u64) {
    let map = &mut self.0;
    if (map.contains(&epoch)) {
        *map.get_mut(&epoch) = value;
    } else {
        map.insert(epoch, value);
    }
}

/// Takes `value` from what is scheduled for `epoch` (the entry stays, possibly at zero).
public(package) fun reduce(self: &mut PendingValues, epoch: u32, value: u64) {
    let map = &mut self.0;
    assert!(map.contains(&epoch), EMissingEpochValue);
    let v = map.get_mut(&epoch);
    assert!(*v >= value, EReduceValueTooLarge);
    *v = *v - value;
}

/// Removes every entry with epoch <= `to_epoch` (the others keep their order) and returns the
/// sum of their values.
public(package) fun flush(self: &mut PendingValues, to_epoch: u32): u64 {
    let mut sum = 0;
    self.0.keys().do!(|epoch| if (epoch <= to_epoch) {
        let (_, value) = self.0.remove(&epoch);
        sum = sum + value;
    });
    sum
}

// === Accessors ===

/// The sum of the values scheduled for epochs <= `epoch`.
public fun value_at(self: &PendingValues, epoch: u32): u64 {
    self.0.keys().fold!(0, |sum, e| if (e <= epoch) sum + *self.0.get(&e) else sum)
}

/// The value scheduled exactly for `epoch` (0 if none).
public fun get(self: &PendingValues, epoch: u32): u64 {
    let map = &self.0;
    if (map.contains(&epoch)) *map.get(&epoch) else 0
}

/// Whether nothing is scheduled.
public fun is_empty(self: &PendingValues): bool { self.0.is_empty() }

/// The underlying map.
public fun inner(self: &PendingValues): &VecMap<u32, u64> { &self.0 }
