/// The parameters the staking side selects for the next epoch and hands to `system` at the
/// epoch change.
module walrus::epoch_parameters;

// === Object definitions ===

/// Capacity and prices for an epoch. Only `total_capacity_size` is applied by
/// `system::advance_epoch`; prices are set separately with `system::set_prices`.
public struct EpochParams has copy, drop, store {
    /// The storage capacity (encoded bytes) the committee votes for.
    total_capacity_size: u64,
    /// FROST per 1 MiB encoded unit per epoch.
    storage_price_per_unit_size: u64,
    /// FROST per 1 MiB encoded unit, paid once at registration.
    write_price_per_unit_size: u64,
}

// === Public-Package functions ===

/// Creates epoch parameters.
public(package) fun new(capacity: u64, storage_price: u64, write_price: u64): EpochParams {
    EpochParams {
        total_capacity_size: capacity,
        storage_price_per_unit_size: storage_price,
        write_price_per_unit_size: write_price,
    }
}

// === Accessors ===

/// The voted storage capacity in encoded bytes.
public fun capacity(self: &EpochParams): u64 { self.total_capacity_size }

/// The storage price per unit per epoch.
public fun storage_price(self: &EpochParams): u64 { self.storage_price_per_unit_size }

/// The write price per unit.
public fun write_price(self: &EpochParams): u64 { self.write_price_per_unit_size }

#[test_only]
public fun new_for_testing(capacity: u64, storage_price: u64, write_price: u64): EpochParams {
    new(capacity, storage_price, write_price)
}
