/// Values scheduled per epoch (pending stake, pending withdrawals, scheduled commission rates):
/// a map from epoch to a u64, kept sorted by epoch.
module walrus::pending_values;

use sui::vec_map::{Self, VecMap};

// === Errors ===

/// No value is pending for the epoch.
const EMissingEpochValue: u64 = 0;
/// The value pending for the epoch is smaller than the reduction.
const EReduceValueTooLarge: u64 = 1;

// === Object definitions ===

/// Epoch -> value, sorted by epoch.
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
        insert_sorted(map, epoch, value);
    }
}

/// Sets what is scheduled for `epoch` to `value`, replacing any earlier value.
public(package) fun insert_or_replace(self: &mut PendingValues, epoch: u32, value: u64) {
    let map = &mut self.0;
    if (map.contains(&epoch)) {
        *map.get_mut(&epoch) = value;
    } else {
        insert_sorted(map, epoch, value);
    }
}

/// Takes `value` from what is scheduled for `epoch`; removes the entry when it reaches zero.
public(package) fun reduce(self: &mut PendingValues, epoch: u32, value: u64) {
    let map = &mut self.0;
    assert!(map.contains(&epoch), EMissingEpochValue);
    let v = map.get_mut(&epoch);
    assert!(*v >= value, EReduceValueTooLarge);
    *v = *v - value;
    if (*v == 0) {
        map.remove(&epoch);
    };
}

/// Removes every entry with epoch <= `to_epoch` and returns the sum of their values.
public(package) fun flush(self: &mut PendingValues, to_epoch: u32): u64 {
    let map = &mut self.0;
    let mut sum = 0;
    while (!map.is_empty()) {
        let (epoch, value) = map.get_entry_by_idx(0);
        if (*epoch > to_epoch) break;
        sum = sum + *value;
        map.remove_entry_by_idx(0);
    };
    sum
}

/// Removes every entry with epoch <= `to_epoch` and returns the value of the latest of them,
/// if any (used for scheduled commission rates: the newest schedule wins).
public(package) fun flush_latest(self: &mut PendingValues, to_epoch: u32): Option<u64> {
    let map = &mut self.0;
    let mut latest = option::none();
    while (!map.is_empty()) {
        let (epoch, value) = map.get_entry_by_idx(0);
        if (*epoch > to_epoch) break;
        latest = option::some(*value);
        map.remove_entry_by_idx(0);
    };
    latest
}

// === Accessors ===

/// The sum of the values scheduled for epochs <= `epoch`.
public fun value_at(self: &PendingValues, epoch: u32): u64 {
    let map = &self.0;
    let mut sum = 0;
    let mut i = 0;
    while (i < map.length()) {
        let (e, v) = map.get_entry_by_idx(i);
        if (*e > epoch) break;
        sum = sum + *v;
        i = i + 1;
    };
    sum
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

// === Private functions ===

/// Inserts a new key keeping the map sorted by epoch.
fun insert_sorted(map: &mut VecMap<u32, u64>, epoch: u32, value: u64) {
    map.insert(epoch, value);
    // Move the new last entry left until the keys are sorted again.
    let (mut keys, mut values) = (*map).into_keys_values();
    let mut i = keys.length() - 1;
    while (i > 0 && keys[i - 1] > keys[i]) {
        keys.swap(i - 1, i);
        values.swap(i - 1, i);
        i = i - 1;
    };
    *map = vec_map::from_keys_values(keys, values);
}
