#[test_only]
/// Shared helpers of the staking tests: keys, strings, and a small world of `Staking`,
/// `System`, treasury and clock driven through epochs.
module walrus::staking_test_utils;

use std::string::String;
use sui::bls12381;
use sui::clock::{Self, Clock};
use sui::coin::Coin;
use sui::test_scenario::{Self, Scenario};
use wal::wal::{Self as wal_coin, WAL, ProtectedTreasury};
use walrus::auth::Authenticated;
use walrus::bls_aggregate;
use walrus::node_metadata;
use walrus::staked_wal::StakedWal;
use walrus::staking::{Self, Staking};
use walrus::staking_inner;
use walrus::storage_node::StorageNodeCap;
use walrus::system::{Self, System};

/// 1 WAL in FROST.
const WAL_UNIT: u64 = 1_000_000_000;

/// FROST in `n` WAL.
public fun frost(n: u64): u64 { n * WAL_UNIT }

/// A valid 48-byte compressed BLS public key: the G1 generator times `seed + 1`.
public fun bls_pk(seed: u64): vector<u8> {
    let scalar = bls12381::scalar_from_u64(seed + 1);
    *bls12381::g1_mul(&scalar, &bls12381::g1_generator()).bytes()
}

/// A 33-byte network public key.
public fun network_pk(): vector<u8> {
    let mut key = vector[2u8];
    32u64.do!(|i| key.push_back(i as u8));
    key
}

/// A string of `len` 'a's.
public fun string_of(len: u64): String {
    let mut bytes = vector[];
    len.do!(|_| bytes.push_back(97u8));
    bytes.to_string()
}

/// WAL coin of `n` WAL.
public fun wal(n: u64, ctx: &mut TxContext): Coin<WAL> {
    sui::coin::mint_for_testing<WAL>(frost(n), ctx)
}

/// Registers a node with key seed `seed`, commission `commission` bps and the given votes.
public fun register(
    staking: &mut Staking,
    seed: u64,
    commission: u16,
    storage_price: u64,
    write_price: u64,
    capacity: u64,
    ctx: &mut TxContext,
): StorageNodeCap {
    staking.register_candidate(
        b"node".to_string(),
        b"127.0.0.1:9000".to_string(),
        node_metadata::default(),
        bls_pk(seed),
        network_pk(),
        vector[1, 2, 3],
        commission,
        storage_price,
        write_price,
        capacity,
        ctx,
    )
}

/// Moves the clock to `ms`.
public fun set_time(clock: &mut Clock, ms: u64) { clock.set_for_testing(ms) }

// === A small world: Staking, System, treasury and clock in a test scenario ===


/// The address that publishes and drives the epochs.
const ADMIN: address = @0xAD;
/// Epoch 0 may end 100 ms after creation.
const EPOCH_ZERO_DURATION: u64 = 100;
/// Later epochs last 1000 ms (voting at 500 ms after the epoch change is done).
const EPOCH_DURATION: u64 = 1000;
/// Storage reservable ahead.
const MAX_EPOCHS_AHEAD: u32 = 10;
/// 1 MiB: one storage unit.
const MIB: u64 = 1_048_576;

/// Everything an epoch scenario needs.
public struct World {
    scenario: Scenario,
    staking: Staking,
    system: System,
    treasury: ProtectedTreasury,
    clock: Clock,
}

/// A world at time 0, epoch 0, with `n_shards` shards and no nodes.
public fun world(n_shards: u16): World {
    let mut scenario = test_scenario::begin(ADMIN);
    wal_coin::init_for_testing(scenario.ctx());
    scenario.next_tx(ADMIN);
    let treasury = scenario.take_shared<ProtectedTreasury>();
    let clock = clock::create_for_testing(scenario.ctx());
    let staking = staking::new_for_testing(
        EPOCH_ZERO_DURATION,
        EPOCH_DURATION,
        n_shards,
        &clock,
        scenario.ctx(),
    );
    let system = system::new_for_testing(
        bls_aggregate::new_bls_committee(0, vector[]),
        MAX_EPOCHS_AHEAD,
        0,
        0,
        0,
        scenario.ctx(),
    );
    World { scenario, staking, system, treasury, clock }
}

/// Ends the scenario and drops everything.
public fun destroy_world(w: World) {
    let World { scenario, staking, system, treasury, clock } = w;
    test_scenario::return_shared(treasury);
    std::unit_test::destroy(staking);
    std::unit_test::destroy(system);
    clock.destroy_for_testing();
    scenario.end();
}

public fun staking(w: &mut World): &mut Staking { &mut w.staking }

public fun system(w: &mut World): &mut System { &mut w.system }

public fun treasury(w: &mut World): &mut ProtectedTreasury { &mut w.treasury }

public fun clock(w: &mut World): &mut Clock { &mut w.clock }

public fun ctx(w: &mut World): &mut TxContext { w.scenario.ctx() }

/// The staking and system objects at once.
public fun staking_and_system(w: &mut World): (&mut Staking, &mut System) {
    (&mut w.staking, &mut w.system)
}

/// A shared object created in an earlier transaction of the world's scenario (as the admin).
public fun take_shared<T: key>(w: &mut World): T {
    w.scenario.next_tx(ADMIN);
    w.scenario.take_shared<T>()
}

/// The staking object, the treasury and the context at once (for calls that take all three).
public fun staking_treasury_ctx(w: &mut World): (&mut Staking, &mut ProtectedTreasury, &mut TxContext) {
    (&mut w.staking, &mut w.treasury, w.scenario.ctx())
}

public fun epoch_duration(): u64 { EPOCH_DURATION }

public fun epoch_zero_duration(): u64 { EPOCH_ZERO_DURATION }

/// Starts a new transaction sent by `sender`.
public fun next_tx(w: &mut World, sender: address) { w.scenario.next_tx(sender); }

/// Registers a node in the world.
public fun register_node(w: &mut World, seed: u64, commission: u16): StorageNodeCap {
    register(&mut w.staking, seed, commission, 5, 7, 1_000_000_000_000, w.scenario.ctx())
}

/// Stakes `n` WAL with `node_id`.
public fun stake(w: &mut World, node_id: ID, n: u64): StakedWal {
    let coin = wal(n, w.scenario.ctx());
    w.staking.stake_with_pool(coin, node_id, w.scenario.ctx())
}

/// The time `voting_end` waits for in the current state.
public fun voting_time(w: &World): u64 {
    if (w.staking.epoch() == 0) return w.staking.first_epoch_start();
    let t = staking_inner::last_epoch_change_time(&w.staking.epoch_state()).destroy_some();
    t + EPOCH_DURATION / 2
}

/// The time `initiate_epoch_change` waits for in the current state.
public fun epoch_change_time(w: &World): u64 {
    if (w.staking.epoch() == 0) return w.staking.first_epoch_start();
    let t = staking_inner::last_epoch_change_time(&w.staking.epoch_state()).destroy_some();
    t + EPOCH_DURATION
}

/// Moves the clock to the voting time (never backwards) and ends the voting.
public fun run_voting_end(w: &mut World) {
    let t = voting_time(w).max(w.clock.timestamp_ms());
    w.clock.set_for_testing(t);
    w.staking.voting_end(&w.clock);
}

/// Moves the clock to the epoch change time (never backwards) and starts the next epoch.
public fun run_epoch_change(w: &mut World) {
    let t = epoch_change_time(w).max(w.clock.timestamp_ms());
    w.clock.set_for_testing(t);
    w.staking.initiate_epoch_change_v2(&mut w.system, &mut w.treasury, &w.clock, w.scenario.ctx());
}

/// Every cap whose node is in the current committee reports sync done, 10 ms later.
public fun sync_all(w: &mut World, caps: &mut vector<StorageNodeCap>) {
    let t = w.clock.timestamp_ms() + 10;
    w.clock.set_for_testing(t);
    let epoch = w.staking.epoch();
    caps.length().do!(|i| {
        let cap = caps.borrow_mut(i);
        if (w.staking.committee().contains(&cap.node_id())) {
            w.staking.epoch_sync_done(cap, epoch, &w.clock);
        }
    });
}

/// voting_end (if not yet), epoch change, and sync of every node.
public fun next_epoch(w: &mut World, caps: &mut vector<StorageNodeCap>) {
    if (!staking_inner::is_next_params_selected(&w.staking.epoch_state())) run_voting_end(w);
    run_epoch_change(w);
    sync_all(w, caps);
}

/// Makes the current epoch's rewards exactly `total` FROST: reserves 1 MiB for this epoch at
/// the current storage price (so the epoch has used capacity) and adds the rest as subsidy.
public fun add_epoch_rewards(w: &mut World, total: u64) {
    let price = w.system.storage_price_per_unit_size();
    let mut payment = sui::coin::mint_for_testing<WAL>(price, w.scenario.ctx());
    let storage = w.system.reserve_space(MIB, 1, &mut payment, w.scenario.ctx());
    std::unit_test::destroy(storage);
    payment.destroy_zero();
    let subsidy = sui::coin::mint_for_testing<WAL>(total - price, w.scenario.ctx());
    w.system.add_subsidy(subsidy, 1);
}

/// Withdraws `staked_wal` in the world.
public fun withdraw(w: &mut World, staked_wal: StakedWal): Coin<WAL> {
    w.staking.withdraw_stake(staked_wal, w.scenario.ctx())
}

/// Collects the commission of `node_id` with `auth`.
public fun collect_commission(
    w: &mut World,
    node_id: ID,
    auth: Authenticated,
): Coin<WAL> {
    w.staking.collect_commission(node_id, auth, w.scenario.ctx())
}

/// Registers a node with the given votes.
public fun register_node_with_votes(
    w: &mut World,
    seed: u64,
    storage_price: u64,
    write_price: u64,
    capacity: u64,
): StorageNodeCap {
    register(&mut w.staking, seed, 0, storage_price, write_price, capacity, w.scenario.ctx())
}

/// Requests the withdrawal of `staked_wal`.
public fun request_withdraw(w: &mut World, staked_wal: &mut StakedWal) {
    w.staking.request_withdraw_stake(staked_wal, w.scenario.ctx());
}

/// Reports sync done for `cap` in `epoch` at the current time.
public fun sync_done(w: &mut World, cap: &mut StorageNodeCap, epoch: u32) {
    w.staking.epoch_sync_done(cap, epoch, &w.clock);
}

/// Applies the current committee's price votes to the System.
public fun update_prices(w: &mut World) {
    w.staking.update_prices(&mut w.system);
}

/// `voting_end` without moving the clock.
public fun run_voting_end_at_current_time(w: &mut World) {
    w.staking.voting_end(&w.clock);
}

/// `initiate_epoch_change` without moving the clock.
public fun run_epoch_change_at_current_time(w: &mut World) {
    w.staking.initiate_epoch_change_v2(&mut w.system, &mut w.treasury, &w.clock, w.scenario.ctx());
}
