/// Publication-time setup: the one-time `InitCap` and `initialize_walrus`, which creates and
/// shares the `System` and `Staking` objects at epoch 0.
///
/// Epoch-zero bootstrap: both objects start in epoch 0 with an empty committee. Nodes register
/// and receive stake during epoch 0; once `epoch_zero_duration` has passed, `voting_end` selects
/// the first committee (shards handed out in node-id order) and `initiate_epoch_change` starts
/// epoch 1 with it.
module walrus::init;

use sui::clock::Clock;
use walrus::slashing;
use walrus::staking;
use walrus::system;

// === Object definitions ===

/// Capability to initialize Walrus once; created when the package is published.
public struct InitCap has key, store {
    id: UID,
}

// === Init ===

fun init(ctx: &mut TxContext) {
    transfer::transfer(InitCap { id: object::new(ctx) }, ctx.sender());
}

// === Public functions ===

/// Creates and shares the `System` (future-accounting window of `max_epochs_ahead` epochs),
/// the `Staking` object (`n_shards` shards, epochs of `epoch_duration` ms, epoch 0 lasting at
/// least `epoch_zero_duration` ms from now) and the `SlashingManager`. Consumes the `InitCap`;
/// returns the ids (System, Staking).
public fun initialize_walrus(
    init_cap: InitCap,
    epoch_zero_duration: u64,
    epoch_duration: u64,
    n_shards: u16,
    max_epochs_ahead: u32,
    clock: &Clock,
    ctx: &mut TxContext,
): (ID, ID) {
    let InitCap { id } = init_cap;
    id.delete();
    let system_id = system::create_empty(max_epochs_ahead, ctx);
    let staking_id = staking::create(epoch_zero_duration, epoch_duration, n_shards, clock, ctx);
    slashing::new(ctx);
    (system_id, staking_id)
}

// === Test-only ===

#[test_only]
/// Runs the package initializer in a test.
public fun init_for_testing(ctx: &mut TxContext) {
    init(ctx)
}
