//! Multi-epoch reward scenarios run through the ledger, mirroring
//! `move/walrus/tests/staking/staking_rewards_tests.move` and the commission tests of
//! `staking_tests.move` with the same inputs and the same expected integers (rounding is
//! behaviour). The two-delegator scenario also runs against the state machine alone in
//! `src/walrus/staking/inner.rs`.
#![allow(clippy::unwrap_used)]

mod staking_support;

use staking_support::*;
use walrus_chain::walrus::staking::committee::CommitteeOps;
use walrus_chain::walrus::staking::errors::staking_pool;
use walrus_chain::walrus::staking::{Auth, Authorized, EpochState, StakingCall};
use walrus_chain::walrus::to_move_id;
use walrus_core::contracts::ContractEvent;

/// Rewards of epochs 1 and 2 in the two-delegator scenario: 2 WAL each.
const EPOCH_REWARDS: u64 = 2_000_000_000;

/// Mirrors staking_rewards_tests.move::two_delegators_commission_and_burn.
#[test]
fn two_delegators_commission_and_burn() {
    let w = World::new(10);
    // Epoch 0: node A (10% commission) and node B (0%).
    let a = w.register_node(0, 1000);
    let b = w.register_node(1, 0);
    let d1 = w.stake(a.id, 1000); // delegator 1, before voting_end: active from epoch 1
    let _sb = w.stake(b.id, 1000);
    assert_eq!(w.staked(d1).activation_epoch, 1);
    let nodes = [a, b];

    // Epoch 0 -> 1: committee A:5, B:5 (equal stake).
    w.next_epoch(&nodes);
    let s = w.staking();
    assert_eq!(s.epoch, 1);
    assert_eq!(s.committee.weight(&to_move_id(a.id)), 5);
    assert_eq!(s.committee.weight(&to_move_id(b.id)), 5);
    assert!(matches!(s.epoch_state, EpochState::EpochChangeDone(_)));
    assert_eq!(w.pool(a.id).wal_balance, frost(1000));
    assert_eq!(w.pool(a.id).num_shares, frost(1000));
    // Prices follow the votes (all nodes vote 5 and 7).
    assert_eq!(w.system().storage_price_per_unit_size, 5);
    assert_eq!(w.system().write_price_per_unit_size, 7);

    // Epoch 1: delegator 2 joins A before voting_end (active from epoch 2); rewards 2 WAL.
    let d2 = w.stake(a.id, 500);
    assert_eq!(w.staked(d2).activation_epoch, 2);
    w.add_epoch_rewards(EPOCH_REWARDS);
    let supply_before = w.total_supply();

    // Epoch 1 -> 2: 3% burned (60_000_000); 1_940_000_000 split 5/5: 970_000_000 each.
    // A: commission 97_000_000, delegators 873_000_000.
    w.next_epoch(&nodes);
    assert_eq!(supply_before - w.total_supply(), 60_000_000);
    let pool_a = w.pool(a.id);
    assert_eq!(pool_a.commission, 97_000_000);
    assert_eq!(pool_a.rewards_pool, 873_000_000);
    // rate[2] = (1_000_873_000_000, 10^12); then 500 WAL join.
    assert_eq!(pool_a.wal_balance, 1_500_873_000_000);
    assert_eq!(pool_a.num_shares, 1_499_563_880_732);
    let pool_b = w.pool(b.id);
    assert_eq!(pool_b.commission, 0);
    assert_eq!(pool_b.wal_balance, 1_000_970_000_000);
    // Committee for epoch 2 from stakes 1500 / 1000: A 6, B 4.
    assert_eq!(w.staking().committee.weight(&to_move_id(a.id)), 6);
    assert_eq!(w.staking().committee.weight(&to_move_id(b.id)), 4);

    // Epoch 2: delegator 1 requests withdrawal before voting_end: withdrawable at 3.
    w.request_withdraw(d1);
    assert_eq!(w.staked(d1).withdraw_epoch().unwrap(), 3);
    w.add_epoch_rewards(EPOCH_REWARDS);

    // Epoch 2 -> 3: A gets 1_940_000_000 * 6 / 10 = 1_164_000_000: commission 116_400_000,
    // delegators 1_047_600_000.
    w.next_epoch(&nodes);
    let pool_a = w.pool(a.id);
    assert_eq!(pool_a.commission, 97_000_000 + 116_400_000);
    assert_eq!(pool_a.commission, 213_400_000);
    assert_eq!(pool_a.rewards_pool, 1_920_600_000);
    assert_eq!(pool_a.wal_balance, 500_348_996_884);
    assert_eq!(pool_a.num_shares, 499_563_880_732);
    // Read-only rewards: D1 1000 WAL from 1 to 3, D2 500 WAL from 2 to 3.
    assert_eq!(w.calculate_rewards(a.id, frost(1000), 1, 3), 1_571_603_116);
    assert_eq!(w.calculate_rewards(a.id, frost(500), 2, 3), 348_996_883);

    // Epoch 3: D1 withdraws principal + rewards.
    assert_eq!(w.withdraw(d1), 1_001_571_603_116);
    assert_eq!(w.pool(a.id).rewards_pool, 348_996_884);

    // The commission goes to the holder of A's cap. What the change to epoch 3 added
    // (116_400_000) stays blocked until voting_end; the earlier 97_000_000 is collectable.
    assert_eq!(w.pool(a.id).blocked_commission, Some(116_400_000));
    let collect = || {
        let record = w.ok(StakingCall::CollectCommission {
            node_id: a.id,
            auth: Auth::Object(a.cap),
        });
        w.coin_value(created(&record, "::coin::Coin<"))
    };
    assert_eq!(collect(), 97_000_000);
    assert_eq!(collect(), 0);
    // Sui's view of the blocked amount: the bag entry under the pool's `extra_fields`.
    let record = w.run_voting_end();
    let removed = record
        .object_changes
        .iter()
        .find(|c| {
            c.object_type
                .contains("NewEpochCommissionBlockedForCollection")
        })
        .unwrap();
    assert_eq!(removed.kind, walrus_chain::types::ChangeKind::Deleted);
    assert_eq!(w.pool(a.id).blocked_commission, None);
    assert_eq!(collect(), 116_400_000);
    assert_eq!(w.pool(a.id).commission, 0);
}

/// Mirrors staking_rewards_tests.move::idle_pool_is_left_alone_then_earns.
#[test]
fn idle_pool_is_left_alone_then_earns() {
    let w = World::new(10);
    let a = w.register_node(0, 0);
    let c = w.register_node(1, 0);
    let _sa = w.stake(a.id, 1000);
    let nodes = [a, c];
    w.next_epoch(&nodes); // 1
    w.next_epoch(&nodes); // 2
    w.next_epoch(&nodes); // 3
    // C was in no committee: never advanced, and staking does not advance it (as mainnet).
    assert_eq!(w.pool(c.id).latest_epoch, 0);
    let sc = w.stake(c.id, 500);
    assert_eq!(w.pool(c.id).latest_epoch, 0);
    assert!(w.pool(c.id).exchange_rate_at_epoch(2).is_flat());
    // Stakes 1000 / 500, n = 10: A 7, C 3; joining advances C from 0 to 4 in one step.
    w.next_epoch(&nodes); // 4
    assert_eq!(w.staking().committee.weight(&to_move_id(a.id)), 7);
    assert_eq!(w.staking().committee.weight(&to_move_id(c.id)), 3);
    assert_eq!(w.pool(c.id).latest_epoch, 4);
    assert_eq!(w.pool(c.id).wal_balance, frost(500));
    w.add_epoch_rewards(EPOCH_REWARDS);
    w.next_epoch(&nodes); // 5: C gets 1_940_000_000 * 3 / 10 = 582_000_000
    assert_eq!(w.pool(c.id).wal_balance, 500_582_000_000);
    assert_eq!(w.pool(a.id).wal_balance, 1_001_358_000_000);
    // Request before the vote: leaves at 6 with the reward of epoch 4.
    w.request_withdraw(sc);
    assert_eq!(w.staked(sc).withdraw_epoch().unwrap(), 6);
    w.next_epoch(&nodes); // 6
    assert_eq!(w.withdraw(sc), 500_582_000_000);
    assert_eq!(w.pool(c.id).wal_balance, 0);
}

/// Mirrors staking_tests.move::commission_change_takes_effect_two_epochs_later.
#[test]
fn commission_change_takes_effect_two_epochs_later() {
    let w = World::new(10);
    let n = w.register_node(0, 1_000);
    let _s = w.stake(n.id, 1000);
    let nodes = [n];
    w.next_epoch(&nodes); // epoch 1
    w.ok(StakingCall::SetNextCommission {
        cap: n.cap,
        commission_rate: 5_000,
    }); // effective at epoch 3
    w.add_epoch_rewards(2_000_000_000);
    w.next_epoch(&nodes); // epoch 2: 1_940_000_000 at 10% -> 194_000_000
    assert_eq!(w.pool(n.id).commission_rate, 1_000);
    assert_eq!(w.pool(n.id).commission, 194_000_000);
    w.add_epoch_rewards(2_000_000_000);
    w.next_epoch(&nodes); // epoch 3: epoch 2's rewards still at 10%; then 50% applies
    assert_eq!(w.pool(n.id).commission_rate, 5_000);
    assert_eq!(w.pool(n.id).commission, 388_000_000);
    w.add_epoch_rewards(2_000_000_000);
    w.next_epoch(&nodes); // epoch 4: epoch 3's rewards at 50% -> 970_000_000
    assert_eq!(w.pool(n.id).commission, 1_358_000_000);
}

/// Mirrors staking_tests.move::commission_receiver_and_governance_can_be_changed.
#[test]
fn commission_receiver_and_governance_can_be_changed() {
    let w = World::new(10);
    let n = w.register_node(0, 10_000);
    let _s = w.stake(n.id, 1000);
    let nodes = [n];
    w.next_epoch(&nodes);
    w.add_epoch_rewards(1_000_000_000);
    w.next_epoch(&nodes);
    // 100% commission: 970_000_000 after the 3% burn.
    assert_eq!(w.pool(n.id).commission, 970_000_000);
    // Hand the commission to an address, then collect as that sender once voting_end has
    // unblocked it.
    w.run_voting_end();
    let other = stranger();
    w.ok(StakingCall::SetCommissionReceiver {
        node_id: n.id,
        auth: Auth::Object(n.cap),
        receiver: Authorized::Address(to_move_id(other.address())),
    });
    // The cap no longer works.
    w.aborts(
        StakingCall::CollectCommission {
            node_id: n.id,
            auth: Auth::Object(n.cap),
        },
        staking_pool::EAuthorizationFailure,
    );
    let record = w.ok_as(
        &other,
        StakingCall::CollectCommission {
            node_id: n.id,
            auth: Auth::Sender,
        },
    );
    let coin = created(&record, "::coin::Coin<");
    assert_eq!(w.coin_value(coin), 970_000_000);
    assert_eq!(
        w.owner(coin),
        walrus_chain::types::Owner::Address(other.address())
    );
    // Governance: the registering sender (the admin) hands it to the cap.
    w.ok(StakingCall::SetGovernanceAuthorized {
        node_id: n.id,
        auth: Auth::Sender,
        authorized: Authorized::ObjectID(to_move_id(n.cap)),
    });
    assert_eq!(
        w.pool(n.id).governance_authorized,
        Authorized::ObjectID(to_move_id(n.cap))
    );
}

/// Mirrors staking_tests.move::{collect_commission_by_stranger_aborts,
/// set_commission_receiver_by_stranger_aborts, set_governance_by_stranger_aborts}.
#[test]
fn strangers_are_not_authorized() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    // The admin (sender) is not the commission receiver: the cap is.
    w.aborts(
        StakingCall::CollectCommission {
            node_id: n.id,
            auth: Auth::Sender,
        },
        staking_pool::EAuthorizationFailure,
    );
    w.aborts(
        StakingCall::SetCommissionReceiver {
            node_id: n.id,
            auth: Auth::Sender,
            receiver: Authorized::Address(to_move_id(stranger().address())),
        },
        staking_pool::EAuthorizationFailure,
    );
    // Governance belongs to the sender, not to the cap.
    w.aborts(
        StakingCall::SetGovernanceAuthorized {
            node_id: n.id,
            auth: Auth::Object(n.cap),
            authorized: Authorized::Address(to_move_id(stranger().address())),
        },
        staking_pool::EAuthorizationFailure,
    );
    // Someone else cannot present the admin's cap at all (Sui would refuse the input).
    let f = w.fails_as(
        &stranger(),
        walrus_chain::walrus::Call::Staking(StakingCall::CollectCommission {
            node_id: n.id,
            auth: Auth::Object(n.cap),
        }),
    );
    assert!(walrus_chain::walrus::errors::input::ENotOwner.matches(&f));
}

/// The events of a rewarded epoch change, in order (Move: `initiate_epoch_change` emits
/// `EpochChangeStart` then `PricesUpdated`; each sync emits `ShardsReceived`).
#[test]
fn epoch_change_events() {
    let w = World::new(10);
    let a = w.register_node(0, 0);
    let _s = w.stake(a.id, 10);
    let r = w.run_voting_end();
    assert_eq!(
        events(&r),
        vec![ContractEvent::EpochParametersSelected(
            walrus_core::contracts::EpochParametersSelected { next_epoch: 1 }
        )]
    );
    let r = w.run_epoch_change();
    assert_eq!(
        events(&r),
        vec![
            ContractEvent::EpochChangeStart(walrus_core::contracts::EpochChangeStart { epoch: 1 }),
            ContractEvent::PricesUpdated(walrus_core::contracts::PricesUpdated {
                epoch: 1,
                storage_price: 5,
                write_price: 7
            }),
        ]
    );
    let r = w.sync_done(&a, 1);
    assert_eq!(
        events(&r),
        vec![
            ContractEvent::EpochChangeDone(walrus_core::contracts::EpochChangeDone { epoch: 1 }),
            ContractEvent::ShardsReceived(walrus_core::contracts::ShardsReceived {
                epoch: 1,
                shards: (0..10).collect()
            }),
        ]
    );
}
