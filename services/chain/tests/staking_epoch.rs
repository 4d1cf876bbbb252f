//! The epoch state machine through the ledger, mirroring
//! `move/walrus/tests/staking/staking_epoch_tests.move` (same inputs, same times, same
//! numbers): time gates, committee selection, epoch change, sync done by quorum, prices and
//! capacity votes, minimal shard movement, and the events of each step. Plus a full
//! multi-epoch run that checks WAL conservation at every step.
#![allow(clippy::unwrap_used)]

mod staking_support;

use staking_support::*;
use walrus_chain::types::ObjectId;
use walrus_chain::walrus::staking::committee::CommitteeOps;
use walrus_chain::walrus::staking::errors::staking_inner;
use walrus_chain::walrus::staking::{EpochState, StakingCall, StakingObject};
use walrus_chain::walrus::{WalrusMachine, WalrusObject, to_move_id};
use walrus_core::contracts::{
    ContractEvent, EpochChangeDone, EpochChangeStart, EpochParametersSelected, PricesUpdated,
    ShardsReceived,
};

/// Mirrors staking_epoch_tests.move::epoch_zero_bootstrap_and_first_committee.
#[test]
fn epoch_zero_bootstrap_and_first_committee() {
    let w = World::new(10);
    let n0 = w.register_node(0, 0);
    let n1 = w.register_node(1, 0);
    let _s0 = w.stake(n0.id, 600);
    let _s1 = w.stake(n1.id, 400);
    // Epoch 0: voting_end waits for first_epoch_start (100).
    assert_eq!(w.staking().first_epoch_start, 100);
    w.set_time(100);
    let r = w.run_voting_end();
    assert_eq!(
        events(&r),
        vec![ContractEvent::EpochParametersSelected(
            EpochParametersSelected { next_epoch: 1 }
        )]
    );
    let s = w.staking();
    assert_eq!(s.epoch_state, EpochState::NextParamsSelected(0));
    let next = s.next_committee.clone().unwrap();
    assert_eq!(next.weight(&to_move_id(n0.id)), 6);
    assert_eq!(next.weight(&to_move_id(n1.id)), 4);
    // First committee: shards in node-id order.
    let (first, second) = if n0.id.as_bytes() < n1.id.as_bytes() {
        (n0.id, n1.id)
    } else {
        (n1.id, n0.id)
    };
    let w_first = next.weight(&to_move_id(first));
    assert_eq!(
        next.shards(&to_move_id(first)),
        &(0..w_first).collect::<Vec<u16>>()
    );
    assert_eq!(next.shards(&to_move_id(second))[0], w_first);
    // Capacity: 10^12 * 10 / 6 and 10^12 * 10 / 4; quorum_above (7 of 10) = the smaller.
    let params = s.next_epoch_params.unwrap();
    assert_eq!(params.total_capacity_size, 1_666_666_666_666);
    // The prices are not part of the selection (as mainnet): the epoch change applies the votes.
    assert_eq!(params.storage_price_per_unit_size, u64::MAX);
    assert_eq!(params.write_price_per_unit_size, u64::MAX);

    let r = w.run_epoch_change();
    assert_eq!(
        events(&r),
        vec![
            ContractEvent::EpochChangeStart(EpochChangeStart { epoch: 1 }),
            ContractEvent::PricesUpdated(PricesUpdated {
                epoch: 1,
                storage_price: 5,
                write_price: 7
            }),
        ]
    );
    let s = w.staking();
    let sys = w.system();
    assert_eq!(s.epoch, 1);
    assert_eq!(sys.committee.epoch, 1);
    assert_eq!(sys.committee.n_shards, 10);
    assert_eq!(sys.total_capacity_size, 1_666_666_666_666);
    let member0 = sys
        .committee
        .members
        .iter()
        .find(|m| m.node_id.0 == n0.id.into_inner())
        .unwrap();
    assert_eq!(member0.weight, 6);
    // The System committee carries the node's key, uncompressed, in node-id order.
    assert_eq!(
        member0.public_key,
        walrus_chain::walrus::bls_aggregate::uncompressed_g1(bls_key(0).public_key().as_bytes())
            .unwrap()
    );
    assert!(s.next_committee.is_none());
    assert!(s.previous_committee.is_empty());
    assert_eq!(s.epoch_state, EpochState::EpochChangeSync(0));

    // Sync done: 6 shards is below the quorum (7); 6 + 4 reaches it.
    w.set_time(150);
    let r = w.sync_done(&n0, 1);
    let shards0 = s.committee.shards(&to_move_id(n0.id)).to_vec();
    assert_eq!(
        events(&r),
        vec![ContractEvent::ShardsReceived(ShardsReceived {
            epoch: 1,
            shards: shards0
        })]
    );
    assert_eq!(w.staking().epoch_state, EpochState::EpochChangeSync(6));
    assert_eq!(w.cap(n0.cap).last_epoch_sync_done, 1);
    w.set_time(160);
    let r = w.sync_done(&n1, 1);
    assert_eq!(
        events(&r)[0],
        ContractEvent::EpochChangeDone(EpochChangeDone { epoch: 1 })
    );
    assert_eq!(w.staking().epoch_state, EpochState::EpochChangeDone(160));
    // Voting at 160 + 500, epoch change at 160 + 1000.
    assert_eq!(w.voting_time(), 660);
    assert_eq!(w.epoch_change_time(), 1_160);
}

/// Mirrors staking_epoch_tests.move::late_sync_done_after_quorum_is_accepted.
#[test]
fn late_sync_done_after_quorum_is_accepted() {
    let w = World::new(10);
    let n0 = w.register_node(0, 0);
    let n1 = w.register_node(1, 0);
    let _s0 = w.stake(n0.id, 800);
    let _s1 = w.stake(n1.id, 200);
    let nodes = [n0, n1];
    w.next_epoch(&nodes);
    assert!(matches!(
        w.staking().epoch_state,
        EpochState::EpochChangeDone(_)
    ));
    assert_eq!(w.cap(n1.cap).last_epoch_sync_done, 1);
}

/// Mirrors staking_epoch_tests.move::voting_end_without_stake_aborts: as in Walrus mainnet, no
/// committee is selected from an active set without stake (`ENoStake`), so an epoch never ends
/// with an empty committee.
#[test]
fn voting_end_without_stake_aborts() {
    let w = World::new(10);
    w.set_time(100);
    w.aborts(StakingCall::VotingEnd, staking_inner::ENoStake);
    let n = w.register_node(0, 0);
    w.aborts(StakingCall::VotingEnd, staking_inner::ENoStake);
    w.stake(n.id, 1);
    w.ok(StakingCall::VotingEnd);
}

/// Mirrors staking_epoch_tests.move::prices_and_capacity_follow_weighted_quantiles.
#[test]
fn prices_and_capacity_follow_weighted_quantiles() {
    // Stakes 400/300/200/100 give 4/3/2/1 shards.
    let w = World::new(10);
    let c0 = w.register_node_with_votes(0, 100, 40, 1000);
    let c1 = w.register_node_with_votes(1, 200, 30, 1000);
    let c2 = w.register_node_with_votes(2, 300, 20, 1000);
    let c3 = w.register_node_with_votes(3, 400, 10, 1000);
    let nodes = [c0, c1, c2, c3];
    for (n, stake) in nodes.iter().zip([400, 300, 200, 100]) {
        w.stake(n.id, stake);
    }
    w.run_voting_end();
    let next = w.staking().next_committee.clone().unwrap();
    let weights: Vec<u16> = nodes
        .iter()
        .map(|n| next.weight(&to_move_id(n.id)))
        .collect();
    assert_eq!(weights, vec![4, 3, 2, 1]);
    // Capacity: 1000 * 10 / shards = 2500, 3333, 5000, 10000 -> 2500.
    assert_eq!(
        w.staking().next_epoch_params.unwrap().total_capacity_size,
        2500
    );
    w.run_epoch_change();
    // Storage: ascending 100 (4), 200 (3) -> 7 shards at 200. Write: 10, 20, 30, 40 -> 40.
    assert_eq!(w.system().storage_price_per_unit_size, 200);
    assert_eq!(w.system().write_price_per_unit_size, 40);
    assert_eq!(w.system().total_capacity_size, 2500);
    w.sync_all(&nodes);
    // The 4-shard node raises its vote to 250: ascending 200 (3), 250 (4) -> 250.
    w.ok(StakingCall::SetStoragePriceVote {
        cap: c0.cap,
        price: 250,
    });
    let staking_id = w
        .ledger
        .with_objects(WalrusMachine::registry)
        .unwrap()
        .staking;
    let version = w.ledger.object(&staking_id).unwrap().version;
    let r = w.ok(StakingCall::UpdatePrices);
    assert_eq!(w.system().storage_price_per_unit_size, 250);
    assert_eq!(
        events(&r),
        vec![ContractEvent::PricesUpdated(PricesUpdated {
            epoch: 1,
            storage_price: 250,
            write_price: 40
        })]
    );
    // `update_prices` takes `&Staking`: the object is not written.
    assert_eq!(w.ledger.object(&staking_id).unwrap().version, version);
}

/// Mirrors staking_epoch_tests.move::committee_changes_move_minimal_shards.
#[test]
fn committee_changes_move_minimal_shards() {
    let w = World::new(10);
    let nodes = [
        w.register_node(0, 0),
        w.register_node(1, 0),
        w.register_node(2, 0),
    ];
    for n in &nodes {
        w.stake(n.id, 1000);
    }
    w.next_epoch(&nodes);
    let first = w.staking().committee.clone();
    // Equal stakes: 4/3/3, the extra shard to the node the apportionment's tie-break picks
    // (x: the first of the active set's order, which depends on the node ids).
    let x = nodes
        .iter()
        .position(|n| first.weight(&to_move_id(n.id)) == 4)
        .unwrap();
    let (y, z) = ((x + 1) % 3, (x + 2) % 3);
    // A tiny change that keeps the order: x gains 1 WAL: no shard moves.
    w.stake(nodes[x].id, 1);
    w.next_epoch(&nodes);
    assert_eq!(w.staking().committee, first);
    assert_eq!(w.staking().previous_committee, first);
    // y doubles: stakes x 1001, y 2000, z 1000 -> x 3, y 5, z 2; only y's 2 new shards move.
    w.stake(nodes[y].id, 1000);
    w.next_epoch(&nodes);
    let third = w.staking().committee.clone();
    assert_eq!(third.weight(&to_move_id(nodes[x].id)), 3);
    assert_eq!(third.weight(&to_move_id(nodes[y].id)), 5);
    assert_eq!(third.weight(&to_move_id(nodes[z].id)), 2);
    let moved: usize = nodes
        .iter()
        .map(|n| {
            let old = first.shards(&to_move_id(n.id));
            third
                .shards(&to_move_id(n.id))
                .iter()
                .filter(|s| !old.contains(s))
                .count()
        })
        .sum();
    assert_eq!(moved, 2);
    // x and z keep their lowest shards.
    assert_eq!(
        third.shards(&to_move_id(nodes[x].id))[..],
        first.shards(&to_move_id(nodes[x].id))[..3]
    );
    assert_eq!(
        third.shards(&to_move_id(nodes[z].id))[..],
        first.shards(&to_move_id(nodes[z].id))[..2]
    );
}

// === Time gates and state aborts ===

/// A world in epoch 1 (sync done) with one node holding 1 WAL, as the Move abort tests use.
fn one_node_in_epoch_one() -> (World, Node) {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    w.stake(n.id, 1);
    w.next_epoch(&[n]);
    (w, n)
}

/// Mirrors staking_epoch_tests.move::voting_end_before_first_epoch_start_aborts.
#[test]
fn voting_end_before_first_epoch_start_aborts() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    w.stake(n.id, 1);
    w.set_time(99);
    w.aborts(StakingCall::VotingEnd, staking_inner::EWrongEpochState);
    w.set_time(100);
    w.ok(StakingCall::VotingEnd);
}

/// Mirrors staking_epoch_tests.move::voting_end_before_mid_epoch_aborts.
#[test]
fn voting_end_before_mid_epoch_aborts() {
    let (w, _) = one_node_in_epoch_one();
    let t = w.voting_time();
    w.set_time(t - 1);
    w.aborts(StakingCall::VotingEnd, staking_inner::EWrongEpochState);
}

/// Mirrors staking_epoch_tests.move::epoch_change_before_epoch_end_aborts.
#[test]
fn epoch_change_before_epoch_end_aborts() {
    let (w, _) = one_node_in_epoch_one();
    w.run_voting_end();
    let t = w.epoch_change_time();
    w.set_time(t - 1);
    w.aborts(
        StakingCall::InitiateEpochChange,
        staking_inner::EWrongEpochState,
    );
}

/// Mirrors staking_epoch_tests.move::voting_and_epoch_change_exactly_on_time.
#[test]
fn voting_and_epoch_change_exactly_on_time() {
    let (w, _) = one_node_in_epoch_one();
    let t = w.voting_time();
    w.set_time(t);
    w.ok(StakingCall::VotingEnd);
    let t = w.epoch_change_time();
    w.set_time(t);
    w.ok(StakingCall::InitiateEpochChange);
    assert_eq!(w.staking().epoch, 2);
}

/// Mirrors staking_epoch_tests.move::{voting_end_twice_aborts,
/// epoch_change_without_selection_aborts, voting_end_during_sync_aborts}.
#[test]
fn wrong_epoch_state_aborts() {
    let w = World::new(10);
    w.set_time(1_000);
    // No committee selected yet: mainnet's `initiate_epoch_change_v2` looks for it first.
    w.aborts(
        StakingCall::InitiateEpochChange,
        staking_inner::ENextCommitteeIsEmpty,
    );
    let n = w.register_node(0, 0);
    w.stake(n.id, 1);
    w.run_voting_end();
    w.aborts(StakingCall::VotingEnd, staking_inner::EWrongEpochState);
    w.run_epoch_change();
    w.set_time(100_000);
    w.aborts(StakingCall::VotingEnd, staking_inner::EWrongEpochState);
}

/// Mirrors staking_epoch_tests.move::{sync_done_for_other_epoch_aborts,
/// sync_done_twice_aborts, sync_done_outside_committee_aborts}.
#[test]
fn sync_done_aborts() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    let other = w.register_node(1, 0);
    w.stake(n.id, 1);
    w.run_voting_end();
    w.run_epoch_change();
    w.aborts(
        StakingCall::EpochSyncDone {
            cap: n.cap,
            epoch: 2,
        },
        staking_inner::EInvalidSyncEpoch,
    );
    w.aborts(
        StakingCall::EpochSyncDone {
            cap: other.cap,
            epoch: 1,
        },
        staking_inner::ENotInCommittee,
    );
    w.sync_done(&n, 1);
    w.aborts(
        StakingCall::EpochSyncDone {
            cap: n.cap,
            epoch: 1,
        },
        staking_inner::EDuplicateSyncDone,
    );
}

// === A full run ===

/// All WAL the ledger holds: coins, the faucet, staked principals, the pools' rewards and
/// commission, and the System's reward buckets. Equals the treasury's total supply.
fn wal_in_existence(w: &World) -> u64 {
    w.ledger.with_objects(|objects| {
        let registry = WalrusMachine::registry(objects).unwrap();
        let state = walrus_chain::walrus::staking::staking_state(objects).unwrap();
        let mut ids: Vec<ObjectId> = state.inner.pool_ids.clone();
        ids.extend([registry.system, registry.faucet]);
        let mut total: u128 = 0;
        for id in ids {
            match &objects.get(&id).unwrap().value {
                WalrusObject::Staking(StakingObject::Pool(p)) => {
                    total += u128::from(p.rewards_pool) + u128::from(p.commission);
                }
                WalrusObject::System(s) => {
                    for f in &s.inner.future_accounting.ring_buffer {
                        total += u128::from(f.rewards_to_distribute);
                    }
                }
                WalrusObject::Faucet(f) => total += u128::from(f.balance),
                other => panic!("{other:?}"),
            }
        }
        u64::try_from(total).unwrap()
    }) + [admin(), stranger()]
        .iter()
        .flat_map(|a| w.ledger.owned_objects(a.address()))
        .map(|(_, o)| match o.value {
            WalrusObject::WalCoin(c) => c.balance,
            WalrusObject::Staking(StakingObject::StakedWal(s)) => s.principal,
            _ => 0,
        })
        .sum::<u64>()
}

/// Five epochs with four nodes (stakes 400/300/200/100 WAL, 10 shards: weights 4/3/2/1,
/// quorum 7): every epoch `voting_end` at t + d/2, the epoch change at t + d, and sync done
/// in the order 1, 2, 3, 4 shards: the state stays `EpochChangeSync` at 1, 3 and 6 and turns
/// `EpochChangeDone` with the fourth report (10 >= 7). Rewards of 2 WAL per epoch; WAL is
/// conserved (supply = coins + faucet + principals + pools + System) after every step.
#[test]
fn full_multi_epoch_run() {
    let w = World::new(10);
    let nodes: Vec<Node> = (0..4).map(|i| w.register_node(i, 500)).collect();
    for (n, stake) in nodes.iter().zip([400, 300, 200, 100]) {
        w.stake(n.id, stake);
    }
    assert_eq!(wal_in_existence(&w), w.total_supply());
    let mut burned = 0;
    for epoch in 1..=5u32 {
        let supply = w.total_supply();
        w.run_voting_end();
        assert!(matches!(
            w.staking().epoch_state,
            EpochState::NextParamsSelected(_)
        ));
        w.run_epoch_change();
        burned += supply - w.total_supply();
        let s = w.staking();
        assert_eq!(s.epoch, epoch);
        assert_eq!(w.system().committee.epoch, epoch);
        assert_eq!(s.epoch_state, EpochState::EpochChangeSync(0));
        // Report in ascending weight: 1, 3, 6 below the quorum, 10 reaches it.
        let mut order: Vec<&Node> = nodes.iter().collect();
        order.sort_by_key(|n| s.committee.weight(&to_move_id(n.id)));
        let mut synced = 0u16;
        w.set_time(w.ledger.last_timestamp_ms() + 10);
        for n in order {
            synced += s.committee.weight(&to_move_id(n.id));
            let r = w.sync_done(n, epoch);
            if synced >= 7 && synced - s.committee.weight(&to_move_id(n.id)) < 7 {
                assert!(
                    events(&r).contains(&ContractEvent::EpochChangeDone(EpochChangeDone { epoch }))
                );
                assert!(matches!(
                    w.staking().epoch_state,
                    EpochState::EpochChangeDone(_)
                ));
            } else if synced < 7 {
                assert_eq!(w.staking().epoch_state, EpochState::EpochChangeSync(synced));
            }
        }
        assert_eq!(synced, 10);
        w.add_epoch_rewards(2_000_000_000);
        assert_eq!(wal_in_existence(&w), w.total_supply());
    }
    // Four rewarded epochs were closed (1 -> 2 .. 4 -> 5): 60_000_000 burned each.
    assert_eq!(burned, 4 * 60_000_000);
    // Commission at 5%: each closed epoch paid 1_940_000_000 split 4/3/2/1 (weights stay).
    let commission: u64 = nodes.iter().map(|n| w.pool(n.id).commission).sum();
    assert_eq!(commission, 4 * 1_940_000_000 * 500 / 10_000);
    // Everyone leaves: requests now (before voting_end), withdrawals at epoch 6.
    let staked: Vec<ObjectId> = w
        .ledger
        .owned_objects(admin().address())
        .into_iter()
        .filter(|(_, o)| matches!(o.value, WalrusObject::Staking(StakingObject::StakedWal(_))))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(staked.len(), 4);
    for sw in &staked {
        w.request_withdraw(*sw);
        assert_eq!(w.staked(*sw).withdraw_epoch().unwrap(), 6);
    }
    // A committee needs stake (mainnet's `ENoStake`): a new node takes over.
    let stayer = w.register_node(9, 500);
    w.stake(stayer.id, 100);
    let mut all = nodes.clone();
    all.push(stayer);
    w.next_epoch(&all);
    assert_eq!(
        w.staking().committee.node_ids(),
        vec![to_move_id(stayer.id)]
    );
    for sw in staked {
        w.withdraw(sw);
    }
    assert_eq!(wal_in_existence(&w), w.total_supply());
    for n in &nodes {
        assert_eq!(w.pool(n.id).wal_balance, 0);
    }
}

/// The staking state machine is deterministic: reopening the ledger replays the journal
/// (from a snapshot or from the start) and every replayed staking transaction reproduces its
/// journaled record (the ledger refuses to open otherwise); the state and the JSON/BCS views
/// of every staking object round-trip.
#[test]
fn replay_reproduces_the_staking_state() {
    for snapshot_every in [0, 7] {
        let w = World::new(10);
        let nodes: Vec<Node> = (0..3).map(|i| w.register_node(i, 300)).collect();
        let mut staked = Vec::new();
        for (n, stake) in nodes.iter().zip([500, 300, 200]) {
            staked.push(w.stake(n.id, stake));
        }
        for _ in 0..3 {
            w.next_epoch(&nodes);
            w.add_epoch_rewards(2_000_000_000);
        }
        w.request_withdraw(staked[0]);
        let before = w.staking();
        let pools: Vec<_> = nodes.iter().map(|n| w.pool(n.id)).collect();
        let w = w.reopen(snapshot_every);
        assert_eq!(w.staking(), before);
        assert_eq!(
            nodes.iter().map(|n| w.pool(n.id)).collect::<Vec<_>>(),
            pools
        );
        // And it goes on from there.
        w.next_epoch(&nodes);
        w.next_epoch(&nodes);
        assert!(w.withdraw(staked[0]) > frost(500));
        // JSON (the HTTP view) and BCS (snapshots, the client) round-trip.
        let ids: Vec<ObjectId> = w.ledger.with_objects(|o| {
            let mut ids = walrus_chain::walrus::staking::staking_state(o)
                .unwrap()
                .inner
                .pool_ids;
            ids.push(WalrusMachine::registry(o).unwrap().staking);
            ids
        });
        for id in ids.into_iter().chain(staked[1..].iter().copied()) {
            let value = w.ledger.object(&id).unwrap().value;
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(serde_json::from_str::<WalrusObject>(&json).unwrap(), value);
            let bytes = bcs::to_bytes(&value).unwrap();
            assert_eq!(bcs::from_bytes::<WalrusObject>(&bytes).unwrap(), value);
        }
    }
}
