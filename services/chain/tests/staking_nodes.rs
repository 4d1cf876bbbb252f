//! Node registration, node settings, delegation objects and genesis nodes through the ledger,
//! mirroring `move/walrus/tests/staking/staking_tests.move`, `staked_wal_tests.move` and
//! `storage_node_tests.move`, plus what the Move tests cannot check: proofs of possession
//! verified with real BLS12-381 signatures (the Move test runner accepts every signature).
#![allow(clippy::unwrap_used)]

mod staking_support;

use staking_support::*;
use walrus_chain::types::{ChangeKind, ExecutionStatus, ObjectId, Owner};
use walrus_chain::walrus::errors::input;
use walrus_chain::walrus::staking::NodeInfoOps;
use walrus_chain::walrus::staking::active_set::ActiveSetOps;
use walrus_chain::walrus::staking::committee::CommitteeOps;
use walrus_chain::walrus::staking::errors::{
    staked_wal, staking_inner, staking_pool, storage_node,
};
use walrus_chain::walrus::staking::pending_values::Pending;
use walrus_chain::walrus::staking::{
    self, Auth, Authorized, EpochState, GenesisNode, GenesisVotes, NodeMetadata, StakingCall,
    StakingObject,
};
use walrus_chain::walrus::{
    Call, GenesisConfig, WalrusMachine, WalrusObject, bls_aggregate, to_move_id,
};
use walrus_core::contracts::staking as twin;
use walrus_core::contracts::{
    ContractEvent, EpochChangeDone, EpochChangeStart, EpochParametersSelected, PricesUpdated,
    ShardsReceived,
};

fn registration(key_seed: u8, pop: Vec<u8>, name: &str, commission: u16) -> StakingCall {
    StakingCall::RegisterCandidate {
        name: name.into(),
        network_address: "a:1".into(),
        metadata: NodeMetadata::default(),
        public_key: bls_key(key_seed).public_key().as_bytes().to_vec(),
        network_public_key: network_pk(),
        proof_of_possession: pop,
        commission_rate: commission,
        storage_price: 1,
        write_price: 1,
        node_capacity: 1,
    }
}

fn pop(key_seed: u8, epoch: u32, sender: &Account) -> Vec<u8> {
    staking::sign_proof_of_possession(&bls_key(key_seed), epoch, sender.address())
}

/// Mirrors staking_tests.move::register_candidate_creates_pool_and_cap; the objects' BCS is
/// Move's (decoded with the `walrus_core` twins).
#[test]
fn register_candidate_creates_pool_and_cap() {
    let w = World::new(10);
    let n = w.register_node(0, 250);
    assert!(w.staking().pool_ids.contains(&n.id));
    let cap = w.cap(n.cap);
    assert_eq!(cap.last_epoch_sync_done, 0);
    assert_eq!(w.owner(n.cap), Owner::Address(admin().address()));
    let pools_id = walrus_chain::walrus::to_object_id(w.staking().pools.id);
    assert_eq!(w.owner(n.id), Owner::Object(pools_id));
    let pool = w.pool(n.id);
    assert_eq!(pool.object_id(), n.id);
    assert_eq!(pool.commission_rate, 250);
    assert_eq!(pool.storage_price(), 5);
    assert_eq!(pool.write_price(), 7);
    assert_eq!(pool.node_capacity(), 1_000_000_000_000);
    assert_eq!(pool.activation_epoch, 0);
    assert_eq!(pool.latest_epoch, 0);
    assert_eq!(pool.wal_balance, 0);
    // The cap receives the commission; the sender governs.
    assert_eq!(
        pool.commission_receiver,
        Authorized::ObjectID(to_move_id(n.cap))
    );
    assert_eq!(
        pool.governance_authorized,
        Authorized::Address(to_move_id(admin().address()))
    );
    assert_eq!(pool.node_info.name, "node");
    assert_eq!(
        pool.node_info.compressed_public_key().unwrap().to_vec(),
        bls_key(0).public_key().as_bytes().to_vec()
    );
    // Not in the active set before it has stake.
    assert!(!w.staking().active_set.contains(to_move_id(n.id)));
    // The ledger shows Move's BCS: the cap and the pool decode with the Move twins.
    let cap_bcs = WalrusObject::Staking(StakingObject::NodeCap(cap));
    let decoded: twin::StorageNodeCap = bcs::from_bytes(
        &walrus_chain::devnet::objects::LedgerObject::move_bcs(&cap_bcs),
    )
    .unwrap();
    assert_eq!(decoded.node_id.0, n.id.into_inner());
    assert_eq!(decoded.last_epoch_sync_done, 0);
    let pool_object = w.ledger.object(&n.id).unwrap().value;
    let decoded: twin::StakingPool = bcs::from_bytes(
        &walrus_chain::devnet::objects::LedgerObject::move_bcs(&pool_object),
    )
    .unwrap();
    assert_eq!(decoded.commission_rate, 250);
    assert_eq!(decoded.exchange_rates.size, 1);
    assert_eq!(decoded.node_info.public_key.len(), 96);
    assert_eq!(
        decoded.node_info.public_key,
        bls_aggregate::uncompressed_g1(bls_key(0).public_key().as_bytes()).unwrap()
    );
    assert_eq!(
        decoded.commission_receiver,
        Authorized::ObjectID(to_move_id(n.cap))
    );
    // A node registered after the selection counts from the next epoch.
    w.stake(n.id, 1);
    w.run_voting_end();
    let late = w.register_node(1, 0);
    assert_eq!(w.pool(late.id).activation_epoch, 1);
}

/// Mirrors staking_tests.move::{register_with_commission_above_100_percent_aborts,
/// register_with_long_name_aborts}, with valid proofs of possession.
#[test]
fn register_aborts() {
    let w = World::new(10);
    let a = admin();
    w.aborts(
        registration(0, pop(0, 0, &a), "n", 10_001),
        staking_pool::EIncorrectCommissionRate,
    );
    w.aborts(
        registration(0, pop(0, 0, &a), &"a".repeat(101), 0),
        staking_pool::EInvalidNameLength,
    );
    let mut call = registration(0, pop(0, 0, &a), "n", 0);
    if let StakingCall::RegisterCandidate {
        network_address, ..
    } = &mut call
    {
        *network_address = "a".repeat(260);
    }
    w.aborts(call, staking_pool::EInvalidNetworkAddressLength);
    let mut call = registration(0, pop(0, 0, &a), "n", 0);
    if let StakingCall::RegisterCandidate {
        network_public_key, ..
    } = &mut call
    {
        *network_public_key = vec![2, 1];
    }
    w.aborts(call, storage_node::EInvalidNetworkPublicKey);
    // Nothing was registered.
    assert!(w.staking().pool_ids.is_empty());
}

/// What Move cannot test (its test runner accepts every BLS signature): a wrong proof of
/// possession is rejected with `staking_pool::EInvalidProofOfPossession`, checked first.
#[test]
fn wrong_proof_of_possession_is_rejected_with_real_bls() {
    let w = World::new(10);
    let a = admin();
    let cases = [
        // Signed by another key.
        staking::sign_proof_of_possession(&bls_key(9), 0, a.address()),
        // For another sender.
        pop(0, 0, &stranger()),
        // For another epoch.
        pop(0, 1, &a),
        // Not a signature at all.
        vec![1, 2, 3],
        vec![0; 96],
    ];
    for bad in cases {
        w.aborts(
            registration(0, bad, "n", 0),
            staking_pool::EInvalidProofOfPossession,
        );
    }
    // The PoP is checked before everything else (Move order): even with a bad commission.
    w.aborts(
        registration(0, pop(9, 0, &a), "n", 10_001),
        staking_pool::EInvalidProofOfPossession,
    );
    // A key that is not 48 bytes is refused before its proof is checked
    // (staking_tests.move::register_with_bad_key_aborts).
    let mut call = registration(0, pop(0, 0, &a), "n", 0);
    if let StakingCall::RegisterCandidate { public_key, .. } = &mut call {
        *public_key = vec![1, 2, 3];
    }
    w.aborts(
        call,
        walrus_chain::walrus::errors::messages::EInvalidKeyLength,
    );
    // The right proof works, and only for its sender.
    let good = registration(0, pop(0, 0, &a), "n", 0);
    w.aborts_as(
        &stranger(),
        good.clone(),
        staking_pool::EInvalidProofOfPossession,
    );
    w.ok(good);
    // In epoch 1 the epoch-0 proof no longer verifies.
    let n = Node {
        cap: ObjectId::ZERO,
        id: w.staking().pool_ids[0],
    };
    w.stake(n.id, 1);
    w.run_voting_end();
    w.run_epoch_change();
    w.aborts(
        registration(1, pop(1, 0, &a), "n", 0),
        staking_pool::EInvalidProofOfPossession,
    );
    w.ok(registration(1, pop(1, 1, &a), "n", 0));
}

/// Mirrors staking_tests.move::node_setters.
#[test]
fn node_setters() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    w.ok(StakingCall::SetName {
        cap: n.cap,
        name: "renamed".into(),
    });
    w.ok(StakingCall::SetNetworkAddress {
        cap: n.cap,
        network_address: "10.0.0.1:1".into(),
    });
    let mut key = network_pk();
    key[1] = 99;
    w.ok(StakingCall::SetNetworkPublicKey {
        cap: n.cap,
        network_public_key: key.clone(),
    });
    // As on Walrus mainnet, metadata strings and extra fields have no limits of their own.
    let md = NodeMetadata {
        image_url: "i".into(),
        project_url: "p".into(),
        description: "d".repeat(2000),
        extra_fields: (0..40)
            .map(|i| (format!("k{i}"), "v".repeat(600)))
            .collect(),
    };
    w.ok(StakingCall::SetNodeMetadata {
        cap: n.cap,
        metadata: md.clone(),
    });
    w.ok(StakingCall::SetStoragePriceVote {
        cap: n.cap,
        price: 11,
    });
    w.ok(StakingCall::SetWritePriceVote {
        cap: n.cap,
        price: 12,
    });
    w.ok(StakingCall::SetNodeCapacityVote {
        cap: n.cap,
        capacity: 13,
    });
    w.ok(StakingCall::SetNextCommission {
        cap: n.cap,
        commission_rate: 4_000,
    });
    let pool = w.pool(n.id);
    assert_eq!(pool.node_info.name, "renamed");
    assert_eq!(pool.node_info.network_address, "10.0.0.1:1");
    assert_eq!(pool.node_info.network_public_key, key);
    assert_eq!(pool.storage_price(), 11);
    assert_eq!(pool.write_price(), 12);
    assert_eq!(pool.node_capacity(), 13);
    // Scheduled for E + 2 = 2, still 0 now.
    assert_eq!(pool.commission_rate, 0);
    assert_eq!(pool.pending_commission_rate.get(2), 4_000);
    assert_eq!(pool.metadata, md);
}

/// Mirrors staking_tests.move::{next_commission_above_100_percent_aborts,
/// set_long_network_address_aborts, set_bad_network_key_aborts, set_long_name_aborts}. Node
/// metadata has no limits of its own, as on mainnet: long strings and many fields are accepted.
#[test]
fn setter_aborts() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    w.aborts(
        StakingCall::SetNextCommission {
            cap: n.cap,
            commission_rate: 10_001,
        },
        staking_pool::EIncorrectCommissionRate,
    );
    w.aborts(
        StakingCall::SetNetworkAddress {
            cap: n.cap,
            network_address: "a".repeat(260),
        },
        staking_pool::EInvalidNetworkAddressLength,
    );
    w.aborts(
        StakingCall::SetNetworkPublicKey {
            cap: n.cap,
            network_public_key: vec![1],
        },
        storage_node::EInvalidNetworkPublicKey,
    );
    w.aborts(
        StakingCall::SetName {
            cap: n.cap,
            name: "a".repeat(101),
        },
        staking_pool::EInvalidNameLength,
    );
    // A cap is needed: the stranger cannot use the admin's, and a pool is not a cap.
    let f = w.fails_as(
        &stranger(),
        Call::Staking(StakingCall::SetName {
            cap: n.cap,
            name: "x".into(),
        }),
    );
    assert!(input::ENotOwner.matches(&f));
    let f = w.fails_as(
        &admin(),
        Call::Staking(StakingCall::SetName {
            cap: n.id,
            name: "x".into(),
        }),
    );
    assert!(input::ENotOwner.matches(&f) || input::EWrongObjectType.matches(&f));
}

/// Mirrors staking_tests.move::{stake_with_unknown_node_aborts, setter_with_unknown_node_aborts
/// (as on mainnet, an unknown pool aborts in the object table: `sui::dynamic_field`)
/// (through collect_commission, since the ledger cannot mint a cap for an unknown node),
/// stake_below_one_wal_aborts}.
#[test]
fn delegation_aborts() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    let coin = w.coin(&admin(), frost(5));
    w.aborts(
        StakingCall::StakeWithPool {
            coin,
            node_id: test_node_id(3),
        },
        walrus_chain::walrus::errors::dynamic_field::EFieldDoesNotExist,
    );
    w.aborts(
        StakingCall::CollectCommission {
            node_id: test_node_id(9),
            auth: Auth::Sender,
        },
        walrus_chain::walrus::errors::dynamic_field::EFieldDoesNotExist,
    );
    let small = w.coin(&admin(), frost(1) - 1);
    w.aborts(
        StakingCall::StakeWithPool {
            coin: small,
            node_id: n.id,
        },
        staked_wal::EStakeBelowThreshold,
    );
    // The coins are still there (aborts change nothing).
    assert_eq!(w.coin_value(coin), frost(5));
    assert_eq!(w.coin_value(small), frost(1) - 1);
}

/// Mirrors staking_tests.move::next_public_key_is_used_by_the_next_committee, with real
/// proofs of possession (and a wrong one rejected).
#[test]
fn next_public_key_is_used_by_the_next_committee() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    w.stake(n.id, 1000);
    let nodes = [n];
    w.next_epoch(&nodes); // epoch 1 with key 0
    let key0 = bls_aggregate::uncompressed_g1(bls_key(0).public_key().as_bytes()).unwrap();
    assert_eq!(w.system().committee.members[0].public_key, key0);
    let key5 = bls_key(5).public_key().as_bytes().to_vec();
    w.aborts(
        StakingCall::SetNextPublicKey {
            cap: n.cap,
            public_key: key5.clone(),
            proof_of_possession: pop(5, 0, &admin()),
        },
        staking_pool::EInvalidProofOfPossession,
    );
    w.ok(StakingCall::SetNextPublicKey {
        cap: n.cap,
        public_key: key5.clone(),
        proof_of_possession: pop(5, 1, &admin()),
    });
    w.run_voting_end();
    let key5_full = bls_aggregate::uncompressed_g1(&key5).unwrap();
    assert_eq!(
        w.pool(n.id).node_info.next_epoch_public_key(),
        &key5_full[..]
    );
    assert_eq!(
        w.staking().next_epoch_public_keys,
        [(to_move_id(n.id), twin::UncompressedG1(key5_full.clone()))]
            .into_iter()
            .collect()
    );
    w.run_epoch_change(); // epoch 2 with key 5, rotated into the pool
    assert_eq!(
        w.system().committee.members[0].public_key,
        bls_aggregate::uncompressed_g1(&key5).unwrap()
    );
    assert_eq!(w.pool(n.id).node_info.public_key, key5_full);
    assert!(w.pool(n.id).node_info.next_epoch_public_key.is_none());
}

/// Mirrors staking_tests.move::try_join_active_set_reinserts_node.
#[test]
fn try_join_active_set_reinserts_node() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    w.stake(n.id, 5);
    assert_eq!(w.staking().active_set.stake(to_move_id(n.id)), frost(5));
    w.ok(StakingCall::TryJoinActiveSet { cap: n.cap });
    assert_eq!(w.staking().active_set.stake(to_move_id(n.id)), frost(5));
    assert_eq!(w.staking().active_set.total_stake, frost(5));
}

/// Mirrors staked_wal_tests.move::{split_and_join_keep_everything, split_and_join_withdrawing}
/// and the split/join aborts, through the ledger.
#[test]
fn split_and_join_staked_wal() {
    let w = World::new(10);
    let n = w.register_node(0, 0);
    let m = w.register_node(1, 0);
    let sw = w.stake(n.id, 5);
    let r = w.ok(StakingCall::SplitStakedWal {
        staked_wal: sw,
        amount: frost(2),
    });
    let part = created(&r, "::staked_wal::StakedWal");
    assert_eq!(w.staked(sw).principal, frost(3));
    assert_eq!(w.staked(part).principal, frost(2));
    assert_eq!(w.staked(part).activation_epoch, 1);
    assert_eq!(staking::StakedWalOps::pool_id(&w.staked(part)), n.id);
    // The split does not touch the Staking object or the pool.
    assert!(
        r.object_changes
            .iter()
            .all(|c| c.object_id == sw || c.object_id == part)
    );
    let r = w.ok(StakingCall::JoinStakedWal {
        staked_wal: sw,
        other: part,
    });
    assert!(
        r.object_changes
            .iter()
            .any(|c| c.object_id == part && c.kind == ChangeKind::Deleted)
    );
    assert_eq!(w.staked(sw).principal, frost(5));
    // Aborts.
    w.aborts(
        StakingCall::SplitStakedWal {
            staked_wal: sw,
            amount: frost(5),
        },
        staked_wal::EInvalidAmount,
    );
    w.aborts(
        StakingCall::SplitStakedWal {
            staked_wal: sw,
            amount: frost(1) - 1,
        },
        staked_wal::EStakeBelowThreshold,
    );
    w.aborts(
        StakingCall::SplitStakedWal {
            staked_wal: sw,
            amount: frost(4) + 1,
        },
        staked_wal::EStakeBelowThreshold,
    );
    let other_node = w.stake(m.id, 1);
    w.aborts(
        StakingCall::JoinStakedWal {
            staked_wal: sw,
            other: other_node,
        },
        staked_wal::EMetadataMismatch,
    );
    w.run_voting_end();
    let later = w.stake(n.id, 1);
    w.aborts(
        StakingCall::JoinStakedWal {
            staked_wal: sw,
            other: later,
        },
        staked_wal::EMetadataMismatch,
    );
    // Withdrawing stakes split with their withdraw epoch, and join only with the same one.
    w.run_epoch_change();
    w.sync_all(&[n, m]);
    w.request_withdraw(sw);
    let r = w.ok(StakingCall::SplitStakedWal {
        staked_wal: sw,
        amount: frost(2),
    });
    let part = created(&r, "::staked_wal::StakedWal");
    assert_eq!(w.staked(part).withdraw_epoch().unwrap(), 2);
    let fresh = w.stake(n.id, 1);
    w.aborts(
        StakingCall::JoinStakedWal {
            staked_wal: part,
            other: fresh,
        },
        staked_wal::EMetadataMismatch,
    );
    w.ok(StakingCall::JoinStakedWal {
        staked_wal: sw,
        other: part,
    });
    assert_eq!(w.staked(sw).principal, frost(5));
}

// === Genesis nodes ===

fn genesis_node(seed: u8, owner: &Account, stake_wal: u64, votes: (u64, u64, u64)) -> GenesisNode {
    GenesisNode::new(
        format!("node-{seed}"),
        format!("127.0.0.1:{}", 9000 + u16::from(seed)),
        &bls_key(seed),
        network_pk(),
        100,
        owner.address(),
        frost(stake_wal),
        GenesisVotes {
            storage_price: votes.0,
            write_price: votes.1,
            node_capacity: votes.2,
        },
    )
}

fn genesis_world(n_shards: u16, stakes: &[u64]) -> World {
    let owner = admin();
    let nodes = stakes
        .iter()
        .enumerate()
        .map(|(i, s)| {
            genesis_node(
                u8::try_from(i).unwrap(),
                &owner,
                *s,
                (5, 7, 1_000_000_000_000),
            )
        })
        .collect();
    World::with_config(GenesisConfig {
        nodes,
        ..test_config(n_shards)
    })
}

/// The genesis bootstrap: the devnet starts in epoch 1 with the committee of the genesis
/// stakes, `EpochChangeDone` at the genesis time, and exactly the documented events. The
/// stakes 700/200/100 at n = 1000 are apportionment_tests.move::
/// cap_moves_the_surplus_to_the_others: 667/222/111.
#[test]
fn genesis_nodes_start_epoch_one_with_a_committee() {
    let w = genesis_world(1000, &[700, 200, 100]);
    let genesis = w.ledger.read_records(0, 1).unwrap().remove(0);
    assert_eq!(genesis.status, ExecutionStatus::Success, "{genesis:#?}");
    let s = w.staking();
    assert_eq!(s.epoch, 1);
    assert_eq!(s.epoch_state, EpochState::EpochChangeDone(0));
    assert_eq!(s.first_epoch_start, 0);
    let ids = s.pool_ids.clone();
    assert_eq!(ids.len(), 3);
    let weights: Vec<u16> = ids
        .iter()
        .map(|id| s.committee.weight(&to_move_id(*id)))
        .collect();
    assert_eq!(weights, vec![667, 222, 111]);
    assert_eq!(w.system().committee.epoch, 1);
    assert_eq!(w.system().committee.n_shards, 1000);
    assert_eq!(w.system().storage_price_per_unit_size, 5);
    // Caps and stakes belong to the owner; every cap reported sync done for epoch 1.
    let owned = w.ledger.owned_objects(admin().address());
    let caps: Vec<_> = owned
        .iter()
        .filter_map(|(_, o)| match &o.value {
            WalrusObject::Staking(StakingObject::NodeCap(c)) => Some(*c),
            _ => None,
        })
        .collect();
    assert_eq!(caps.len(), 3);
    assert!(caps.iter().all(|c| c.last_epoch_sync_done == 1));
    let principals: u64 = owned
        .iter()
        .filter_map(|(_, o)| match &o.value {
            WalrusObject::Staking(StakingObject::StakedWal(sw)) => {
                assert_eq!(sw.activation_epoch, 1);
                Some(sw.principal)
            }
            _ => None,
        })
        .sum();
    assert_eq!(principals, frost(1000));
    for id in &ids {
        assert_eq!(w.pool(*id).latest_epoch, 1);
    }
    assert_eq!(w.pool(ids[0]).wal_balance, frost(700));
    // The events, in order.
    let mut by_id = ids.clone();
    by_id.sort();
    let mut expected = vec![
        ContractEvent::EpochParametersSelected(EpochParametersSelected { next_epoch: 1 }),
        ContractEvent::EpochChangeStart(EpochChangeStart { epoch: 1 }),
        ContractEvent::PricesUpdated(PricesUpdated {
            epoch: 1,
            storage_price: 5,
            write_price: 7,
        }),
    ];
    let mut synced = 0u64;
    for id in &by_id {
        let shards = s.committee.shards(&to_move_id(*id)).to_vec();
        let before = synced;
        synced += shards.len() as u64;
        // At quorum `EpochChangeDone` comes before the node's `ShardsReceived` (mainnet order).
        if before < 667 && synced >= 667 {
            expected.push(ContractEvent::EpochChangeDone(EpochChangeDone { epoch: 1 }));
        }
        expected.push(ContractEvent::ShardsReceived(ShardsReceived {
            epoch: 1,
            shards,
        }));
    }
    assert_eq!(events(&genesis), expected);
    // Epoch 2 follows on the usual schedule: voting at d/2, the change at d.
    assert_eq!(w.voting_time(), EPOCH_DURATION / 2);
    assert_eq!(w.epoch_change_time(), EPOCH_DURATION);
    w.set_time(EPOCH_DURATION / 2 - 1);
    w.aborts(StakingCall::VotingEnd, staking_inner::EWrongEpochState);
    let nodes: Vec<Node> = caps
        .iter()
        .map(|c| Node {
            cap: staking::CapOps::object_id(c),
            id: staking::CapOps::pool_id(c),
        })
        .collect();
    w.next_epoch(&nodes);
    assert_eq!(w.staking().epoch, 2);
    assert_eq!(w.staking().committee, s.committee);
}

/// apportionment_tests.move::whale_with_small_nodes through genesis: stakes 100/1/1/1/1 WAL
/// at n = 10 (cap 4) give 4/2/2/1/1, the small nodes ranked by node id.
#[test]
fn genesis_apportionment_whale_with_small_nodes() {
    let w = genesis_world(10, &[100, 1, 1, 1, 1]);
    let s = w.staking();
    let ids = s.pool_ids.clone();
    assert_eq!(s.committee.weight(&to_move_id(ids[0])), 4);
    // Equal quotients go to the node that entered the active set first (as mainnet): the
    // genesis nodes stake in the order given.
    let order = s.active_set.active_ids();
    assert_eq!(order[0], to_move_id(ids[0]));
    let weights: Vec<u16> = order[1..].iter().map(|id| s.committee.weight(id)).collect();
    assert_eq!(weights, vec![2, 2, 1, 1]);
}

/// Genesis without nodes stays in epoch 0 (Move `initialize_walrus`), and a genesis node with
/// a wrong proof of possession makes genesis fail with the Move abort.
#[test]
fn genesis_without_nodes_and_with_a_bad_node() {
    let w = World::new(10);
    let s = w.staking();
    assert_eq!(s.epoch, 0);
    assert_eq!(s.first_epoch_start, EPOCH_ZERO_DURATION);
    assert_eq!(s.epoch_state, EpochState::EpochChangeDone(0));
    assert!(w.ledger.read_records(0, 1).unwrap()[0].events.is_empty());

    let mut node = genesis_node(0, &admin(), 10, (1, 1, 1));
    node.proof_of_possession =
        staking::sign_proof_of_possession(&bls_key(0), 0, stranger().address());
    let w = World::with_config(GenesisConfig {
        nodes: vec![node],
        ..test_config(10)
    });
    let genesis = w.ledger.read_records(0, 1).unwrap().remove(0);
    match genesis.status {
        ExecutionStatus::Failure(f) => {
            assert!(staking_pool::EInvalidProofOfPossession.matches(&f), "{f:?}");
        }
        ExecutionStatus::Success => panic!("genesis with a bad proof of possession succeeded"),
    }
    assert!(w.ledger.with_objects(WalrusMachine::registry).is_none());
}

/// A genesis configuration round-trips through JSON (keys as hex).
#[test]
fn genesis_node_json() {
    let node = genesis_node(3, &admin(), 10, (1, 2, 3));
    let json = serde_json::to_value(&node).unwrap();
    assert_eq!(
        json["bls_public_key"],
        hex::encode(bls_key(3).public_key().as_bytes())
    );
    let back: GenesisNode = serde_json::from_value(json).unwrap();
    assert_eq!(back, node);
    assert!(staking::verify_proof_of_possession(
        0,
        admin().address(),
        &node.bls_public_key,
        &node.proof_of_possession
    ));
}
