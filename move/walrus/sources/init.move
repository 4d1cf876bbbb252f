/// Publication-time setup, as on Walrus mainnet: the package initializer claims the package's
/// `Publisher` (with the one-time witness `INIT`) into the one-time `InitCap`, and
/// `initialize_walrus` consumes it together with the package's `UpgradeCap` to create and share
/// the `System` and `Staking` objects at epoch 0, the `ObjectDisplay`, the `UpgradeManager`
/// (returning its `EmergencyUpgradeCap`) and the `SlashingManager`. After an upgrade,
/// `migrate_v2` (called in the new package) moves `System` and `Staking` to it.
///
/// Epoch-zero bootstrap: both objects start in epoch 0 with an empty committee. Nodes register
/// and receive stake during epoch 0; once `epoch_zero_duration` has passed, `voting_end` selects
/// the first committee (shards handed out in node-id order) and `initiate_epoch_change` starts
/// epoch 1 with it.
module walrus::init;

use std::type_name;
use sui::clock::Clock;
use sui::package::{Self, Publisher, UpgradeCap};
use walrus::display;
use walrus::events;
use walrus::slashing;
use walrus::staking::{Self, Staking};
use walrus::system::{Self, System};
use walrus::upgrade::{Self, EmergencyUpgradeCap};

// === Errors (numbered as in Walrus mainnet) ===

/// `System` and `Staking` disagree after the migration, or this package is not version 3.
const EInvalidMigration: u64 = 0;
/// The `UpgradeCap` is not this package's.
const EInvalidUpgradeCap: u64 = 1;
/// The function is deprecated (`migrate`: use `migrate_v2`).
const EDeprecatedFunction: u64 = 2;

// === Object definitions ===

/// The one-time witness that claims the package's `Publisher`.
public struct INIT has drop {}

/// Capability to initialize Walrus once; created when the package is published.
public struct InitCap has key, store {
    id: UID,
    publisher: Publisher,
}

// === Init ===

fun init(otw: INIT, ctx: &mut TxContext) {
    let publisher = package::claim(otw, ctx);
    transfer::transfer(InitCap { id: object::new(ctx), publisher }, ctx.sender());
}

// === Public functions ===

/// Creates and shares the `System` (future-accounting window of `max_epochs_ahead` epochs),
/// the `Staking` object (`n_shards` shards, epochs of `epoch_duration` ms, epoch 0 lasting at
/// least `epoch_zero_duration` ms from now), the `ObjectDisplay`, the `UpgradeManager` holding
/// `upgrade_cap`, which must be this package's (`EInvalidUpgradeCap`), and the
/// `SlashingManager`. Consumes the `InitCap`; returns the `EmergencyUpgradeCap`.
public fun initialize_walrus(
    init_cap: InitCap,
    upgrade_cap: UpgradeCap,
    epoch_zero_duration: u64,
    epoch_duration: u64,
    n_shards: u16,
    max_epochs_ahead: u32,
    clock: &Clock,
    ctx: &mut TxContext,
): EmergencyUpgradeCap {
    assert!(
        type_name::with_defining_ids<InitCap>().address_string()
            == upgrade_cap.package().to_address().to_ascii_string(),
        EInvalidUpgradeCap,
    );
    initialize(init_cap, upgrade_cap, epoch_zero_duration, epoch_duration, n_shards, max_epochs_ahead, clock, ctx)
}

/// Deprecated, as on mainnet: always aborts (`EDeprecatedFunction`); use `migrate_v2`.
public fun migrate(_staking: &mut Staking, _system: &mut System) {
    abort EDeprecatedFunction
}

/// Called in a new package after `upgrade::commit_upgrade`: moves `Staking` and `System` to
/// this package (`staking::migrate`, `system::migrate`), checks they agree on package and
/// version (`EInvalidMigration`), creates the `SlashingManager` (new in version 3) and emits
/// `ContractUpgraded`.
entry fun migrate_v2(staking: &mut Staking, system: &mut System, ctx: &mut TxContext) {
    staking.migrate();
    system.migrate();
    assert!(staking.package_id() == system.package_id(), EInvalidMigration);
    assert!(staking.version() == system.version(), EInvalidMigration);
    assert!(staking.version() == 3, EInvalidMigration);
    slashing::new(ctx);
    events::emit_contract_upgraded(staking.epoch(), staking.package_id(), staking.version());
}

// === Private functions ===

fun initialize(
    init_cap: InitCap,
    upgrade_cap: UpgradeCap,
    epoch_zero_duration: u64,
    epoch_duration: u64,
    n_shards: u16,
    max_epochs_ahead: u32,
    clock: &Clock,
    ctx: &mut TxContext,
): EmergencyUpgradeCap {
    let InitCap { id, publisher } = init_cap;
    id.delete();
    let package_id = upgrade_cap.package();
    system::create_empty(max_epochs_ahead, package_id, ctx);
    staking::create(epoch_zero_duration, epoch_duration, n_shards, package_id, clock, ctx);
    display::create(publisher, ctx);
    let emergency_upgrade_cap = upgrade::new(upgrade_cap, ctx);
    slashing::new(ctx);
    emergency_upgrade_cap
}

// === Test-only ===

#[test_only]
/// Runs the package initializer in a test.
public fun init_for_testing(ctx: &mut TxContext) {
    init(INIT {}, ctx)
}

#[test_only]
/// `initialize_walrus` without the package check (in tests every type's package is 0x0, which
/// no `UpgradeCap` can have).
public fun initialize_for_testing(
    init_cap: InitCap,
    upgrade_cap: UpgradeCap,
    epoch_zero_duration: u64,
    epoch_duration: u64,
    n_shards: u16,
    max_epochs_ahead: u32,
    clock: &Clock,
    ctx: &mut TxContext,
): EmergencyUpgradeCap {
    initialize(init_cap, upgrade_cap, epoch_zero_duration, epoch_duration, n_shards, max_epochs_ahead, clock, ctx)
}
