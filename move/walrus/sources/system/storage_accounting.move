/// Future accounting: for the current epoch and each of the next `length - 1` epochs, the
/// encoded bytes reserved and the WAL rewards earmarked for that epoch, kept in a ring buffer.
module walrus::storage_accounting;

use sui::balance::{Self, Balance};
use wal::wal::WAL;

// === Errors ===

/// The requested epoch is beyond the ring (epochs_in_future >= length).
const ETooFarInFuture: u64 = 0;
/// The ring length is zero.
const EZeroLength: u64 = 1;
/// Reducing the used capacity below zero.
const ECapacityUnderflow: u64 = 2;

// === Object definitions ===

/// What is accounted for one epoch.
public struct FutureAccounting has store {
    epoch: u32,
    /// Encoded bytes reserved for `epoch`.
    used_capacity: u64,
    /// Storage fees, write fees and subsidies to distribute at the end of `epoch`.
    rewards_to_distribute: Balance<WAL>,
}

/// Ring buffer of `length` entries; entry `k` (lookup) is for epoch current + k.
public struct FutureAccountingRingBuffer has store {
    current_index: u32,
    length: u32,
    ring_buffer: vector<FutureAccounting>,
}

// === Public-Package functions ===

/// A ring of `length` empty entries for epochs 0 .. length - 1.
public(package) fun ring_new(length: u32): FutureAccountingRingBuffer {
    assert!(length > 0, EZeroLength);
    let mut ring_buffer = vector[];
    length.do!(|epoch| ring_buffer.push_back(new_accounting(epoch)));
    FutureAccountingRingBuffer { current_index: 0, length, ring_buffer }
}

/// The entry for epoch current + `epochs_in_future`.
public fun ring_lookup(
    self: &FutureAccountingRingBuffer,
    epochs_in_future: u32,
): &FutureAccounting {
    assert!(epochs_in_future < self.length, ETooFarInFuture);
    let index = (self.current_index + epochs_in_future) % self.length;
    &self.ring_buffer[index as u64]
}

/// The mutable entry for epoch current + `epochs_in_future`.
public(package) fun ring_lookup_mut(
    self: &mut FutureAccountingRingBuffer,
    epochs_in_future: u32,
): &mut FutureAccounting {
    assert!(epochs_in_future < self.length, ETooFarInFuture);
    let index = (self.current_index + epochs_in_future) % self.length;
    &mut self.ring_buffer[index as u64]
}

/// Removes and returns the current epoch's entry and appends an empty entry for epoch
/// current + length; the next epoch becomes current.
public(package) fun ring_pop_expand(self: &mut FutureAccountingRingBuffer): FutureAccounting {
    let index = self.current_index as u64;
    let next_epoch = self.ring_buffer[index].epoch + self.length;
    self.ring_buffer.push_back(new_accounting(next_epoch));
    let popped = self.ring_buffer.swap_remove(index);
    self.current_index = (self.current_index + 1) % self.length;
    popped
}

/// The ring length, i.e. the maximum number of epochs ahead that can be reserved.
public fun max_epochs_ahead(self: &FutureAccountingRingBuffer): u32 { self.length }

/// Adds `amount` to the used capacity of the entry.
public(package) fun increase_used_capacity(self: &mut FutureAccounting, amount: u64) {
    self.used_capacity = self.used_capacity + amount;
}

/// Subtracts `amount` from the used capacity of the entry.
public(package) fun decrease_used_capacity(self: &mut FutureAccounting, amount: u64) {
    assert!(self.used_capacity >= amount, ECapacityUnderflow);
    self.used_capacity = self.used_capacity - amount;
}

/// The reward balance of the entry.
public(package) fun rewards_balance(self: &mut FutureAccounting): &mut Balance<WAL> {
    &mut self.rewards_to_distribute
}

/// Destroys the entry, returning its used capacity and rewards.
public(package) fun delete(self: FutureAccounting): (u64, Balance<WAL>) {
    let FutureAccounting { used_capacity, rewards_to_distribute, .. } = self;
    (used_capacity, rewards_to_distribute)
}

// === Accessors ===

/// The epoch of the entry.
public fun epoch(self: &FutureAccounting): u32 { self.epoch }

/// Encoded bytes reserved for the entry's epoch.
public fun used_capacity(self: &FutureAccounting): u64 { self.used_capacity }

/// FROST earmarked for the entry's epoch.
public fun rewards(self: &FutureAccounting): u64 { self.rewards_to_distribute.value() }

// === Private functions ===

fun new_accounting(epoch: u32): FutureAccounting {
    FutureAccounting { epoch, used_capacity: 0, rewards_to_distribute: balance::zero() }
}

// === Test-only ===

#[test_only]
public fun destroy_ring_for_testing(self: FutureAccountingRingBuffer) {
    std::unit_test::destroy(self)
}

#[test_only]
/// Renumbers the entries so that the current one is for `current_epoch` (for tests that move
/// the committee's epoch without an epoch change).
public fun rebase_for_testing(self: &mut FutureAccountingRingBuffer, current_epoch: u32) {
    self.length.do!(|k| self.ring_lookup_mut(k).epoch = current_epoch + k);
}
