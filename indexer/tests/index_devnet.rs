#![allow(clippy::unwrap_used)]
//! The devnet scenario of `support::scenario` indexed into PostgreSQL: every event type and every
//! indexed object lands in the right rows with the right values, checked against the ledger's
//! own records and objects.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row};
use support::{config, devnet, index, scenario, url};
use walrus_chain::testing::TestDevnet;
use walrus_chain::types::{ObjectId, TransactionRecord};
use walrus_chain::walrus::staking::StakingObject;
use walrus_chain::walrus::{FROST_PER_WAL, WalrusObject};
use walrus_core::contracts::ContractEvent;

fn records(d: &TestDevnet) -> Vec<TransactionRecord> {
    d.ledger().read_records(0, 1_000_000).unwrap()
}

/// The cursor of the last transaction with an event for which `pick` is true.
fn last_cursor_with(records: &[TransactionRecord], pick: impl Fn(&ContractEvent) -> bool) -> i64 {
    records
        .iter()
        .rev()
        .find(|r| {
            r.events.iter().any(|e| {
                ContractEvent::decode(&e.event_type, &e.bcs)
                    .unwrap()
                    .is_some_and(|ev| pick(&ev))
            })
        })
        .unwrap()
        .cursor as i64
}

fn id(o: &ObjectId) -> Vec<u8> {
    o.into_inner().to_vec()
}

async fn blob_row(pool: &PgPool, object: &ObjectId) -> sqlx::postgres::PgRow {
    sqlx::query("SELECT * FROM blobs WHERE object_id = $1")
        .bind(id(object))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn every_event_and_object_lands_in_its_rows(_p: PgPoolOptions, options: PgConnectOptions) {
    let d = devnet();
    let s = scenario(&d);
    let head = d.ledger().head();
    let url = url(&options);
    let metrics = index(d.ledger().clone(), config(&url), head).await;
    let pool = PgPool::connect(&url).await.unwrap();
    let records = records(&d);

    // Transactions: one row each, with digest, sender and time.
    let rows = sqlx::query("SELECT cursor, digest, sender, timestamp_ms, success, event_count FROM transactions ORDER BY cursor")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), records.len());
    for (row, r) in rows.iter().zip(&records) {
        assert_eq!(row.get::<i64, _>("cursor"), r.cursor as i64);
        assert_eq!(row.get::<Vec<u8>, _>("digest"), r.digest.inner().to_vec());
        assert_eq!(
            row.get::<Vec<u8>, _>("sender"),
            r.sender.into_inner().to_vec()
        );
        assert_eq!(row.get::<i64, _>("timestamp_ms"), r.timestamp_ms as i64);
        assert!(row.get::<bool, _>("success"));
        assert_eq!(row.get::<i32, _>("event_count"), r.events.len() as i32);
    }

    // Events: every one, raw and decoded, with its blob id and object where it has them.
    let rows = sqlx::query("SELECT * FROM events ORDER BY cursor, event_index")
        .fetch_all(&pool)
        .await
        .unwrap();
    let ledger_events: Vec<_> = records
        .iter()
        .flat_map(|r| r.events.iter().map(move |e| (r, e)))
        .collect();
    assert_eq!(rows.len(), ledger_events.len());
    let mut names = BTreeSet::new();
    for (row, (r, e)) in rows.iter().zip(&ledger_events) {
        assert_eq!(row.get::<i64, _>("cursor"), r.cursor as i64);
        assert_eq!(row.get::<i32, _>("event_index"), e.event_index as i32);
        assert_eq!(row.get::<String, _>("event_type"), e.event_type);
        assert_eq!(row.get::<Vec<u8>, _>("bcs"), e.bcs);
        assert_eq!(row.get::<String, _>("decode_status"), "decoded");
        let decoded: serde_json::Value = row.get("decoded");
        let event = ContractEvent::decode(&e.event_type, &e.bcs)
            .unwrap()
            .unwrap();
        names.insert(event.struct_name());
        match &event {
            ContractEvent::BlobRegistered(x) => {
                assert_eq!(decoded["size"], x.size);
                assert_eq!(decoded["blob_id"], x.blob_id.to_string());
                assert_eq!(row.get::<Vec<u8>, _>("blob_id"), x.blob_id.0.to_vec());
                assert_eq!(row.get::<Vec<u8>, _>("object_id"), x.object_id.0.to_vec());
                assert_eq!(row.get::<i32, _>("epoch"), x.epoch as i32);
            }
            ContractEvent::BlobCertified(x) => {
                assert_eq!(decoded["is_extension"], x.is_extension);
                assert_eq!(decoded["end_epoch"], x.end_epoch);
                assert_eq!(row.get::<Vec<u8>, _>("object_id"), x.object_id.0.to_vec());
            }
            ContractEvent::BlobDeleted(x) => {
                assert_eq!(decoded["was_certified"], x.was_certified);
                assert_eq!(row.get::<Vec<u8>, _>("blob_id"), x.blob_id.0.to_vec());
            }
            ContractEvent::InvalidBlobId(x) => {
                assert_eq!(row.get::<Vec<u8>, _>("blob_id"), x.blob_id.0.to_vec());
            }
            ContractEvent::EpochChangeStart(_) | ContractEvent::EpochChangeDone(_) => {
                assert_eq!(
                    row.get::<Option<i32>, _>("epoch"),
                    decoded["epoch"].as_i64().map(|v| v as i32)
                );
            }
            ContractEvent::ShardsReceived(x) => {
                assert_eq!(decoded["shards"].as_array().unwrap().len(), x.shards.len());
            }
            ContractEvent::EpochParametersSelected(x) => {
                assert_eq!(row.get::<i32, _>("epoch"), x.next_epoch as i32);
            }
            ContractEvent::PricesUpdated(x) => {
                assert_eq!(decoded["storage_price"], x.storage_price);
                assert_eq!(decoded["write_price"], x.write_price);
            }
            ContractEvent::RegisterDenyListUpdate(x) => {
                assert_eq!(decoded["sequence_number"], x.sequence_number);
                assert_eq!(row.get::<i32, _>("epoch"), x.epoch as i32);
            }
            ContractEvent::DenyListUpdate(x) => {
                assert_eq!(decoded["sequence_number"], x.sequence_number);
                assert_eq!(row.get::<i32, _>("epoch"), x.epoch as i32);
            }
            ContractEvent::ShardRecoveryStart(x) => {
                assert_eq!(decoded["shards"].as_array().unwrap().len(), x.shards.len());
            }
            ContractEvent::DenyListBlobDeleted(x) => {
                assert_eq!(row.get::<Vec<u8>, _>("blob_id"), x.blob_id.0.to_vec());
            }
            ContractEvent::StoragePoolCreated(x) => {
                assert_eq!(decoded["end_epoch"], x.end_epoch);
                assert_eq!(row.get::<Vec<u8>, _>("object_id"), id(&s.storage_pool));
            }
            ContractEvent::StoragePoolExtended(x) => {
                assert_eq!(decoded["new_end_epoch"], x.new_end_epoch);
                assert_eq!(row.get::<Vec<u8>, _>("object_id"), id(&s.storage_pool));
            }
            ContractEvent::PooledBlobRegistered(x) => {
                assert_eq!(decoded["unencoded_size"], x.unencoded_size);
                assert_eq!(row.get::<Vec<u8>, _>("blob_id"), x.blob_id.0.to_vec());
                assert_eq!(row.get::<Vec<u8>, _>("object_id"), x.object_id.0.to_vec());
                assert_eq!(x.storage_pool_id.0.to_vec(), id(&s.storage_pool));
            }
            ContractEvent::PooledBlobCertified(x) => {
                assert_eq!(decoded["deletable"], x.deletable);
                assert_eq!(row.get::<Vec<u8>, _>("object_id"), x.object_id.0.to_vec());
            }
            ContractEvent::PooledBlobDeleted(x) => {
                assert_eq!(decoded["was_certified"], x.was_certified);
                assert_eq!(row.get::<Vec<u8>, _>("blob_id"), x.blob_id.0.to_vec());
            }
            ContractEvent::ContractUpgraded(x) => {
                assert_eq!(row.get::<Vec<u8>, _>("object_id"), x.package_id.0.to_vec());
            }
            ContractEvent::ContractUpgradeProposed(x) => {
                assert_eq!(row.get::<i32, _>("epoch"), x.epoch as i32);
            }
            ContractEvent::ContractUpgradeQuorumReached(x) => {
                assert_eq!(row.get::<i32, _>("epoch"), x.epoch as i32);
            }
            ContractEvent::ProtocolVersionUpdated(x) => {
                assert_eq!(decoded["start_epoch"], x.start_epoch);
                assert_eq!(decoded["protocol_version"], x.protocol_version);
                assert_eq!(row.get::<i32, _>("epoch"), x.epoch as i32);
            }
        }
    }
    assert_eq!(
        names.len(),
        18,
        "the scenario emits every walrus event type but ShardRecoveryStart, which the package \
         declares and never emits (as mainnet), and the three upgrade events, which need Sui \
         package upgrades the devnet does not run: {names:?}"
    );
    assert_eq!(metrics.events.get(), ledger_events.len() as u64);

    // Blobs: each object's row against the ledger's object (when it still exists) and the
    // scenario's story.
    let blob_rows = sqlx::query("SELECT object_id FROM blobs")
        .fetch_all(&pool)
        .await
        .unwrap();
    let registered_events = records
        .iter()
        .flat_map(|r| &r.events)
        .filter(|e| e.event_type.ends_with("::BlobRegistered"))
        .count();
    assert_eq!(blob_rows.len(), registered_events);
    for row in &blob_rows {
        let object: Vec<u8> = row.get("object_id");
        let object = ObjectId::new(object.try_into().unwrap());
        let stored = d.ledger().object(&object);
        let row = blob_row(&pool, &object).await;
        let blob = match stored.as_ref().map(|o| &o.value) {
            Some(WalrusObject::Blob(b)) => Some(b.blob.clone()),
            _ => None,
        };
        let Some(blob) = blob else { continue };
        assert_eq!(row.get::<Vec<u8>, _>("blob_id"), blob.blob_id.0.to_vec());
        assert_eq!(row.get::<i64, _>("size"), blob.size as i64);
        assert_eq!(
            row.get::<i16, _>("encoding_type"),
            i16::from(blob.encoding_type)
        );
        assert_eq!(
            row.get::<i32, _>("registered_epoch"),
            blob.registered_epoch as i32
        );
        assert_eq!(
            row.get::<Option<i32>, _>("certified_epoch"),
            blob.certified_epoch.map(|e| e as i32)
        );
        assert_eq!(
            row.get::<i32, _>("end_epoch"),
            blob.storage.end_epoch as i32
        );
        assert_eq!(
            row.get::<i32, _>("storage_start_epoch"),
            blob.storage.start_epoch as i32
        );
        assert_eq!(
            row.get::<i64, _>("storage_size"),
            blob.storage.storage_size as i64
        );
        assert_eq!(
            row.get::<Vec<u8>, _>("storage_id"),
            blob.storage.id.0.to_vec()
        );
        assert_eq!(row.get::<bool, _>("deletable"), blob.deletable);
        assert_eq!(row.get::<i64, _>("version"), stored.unwrap().version as i64);
        assert_eq!(row.get::<String, _>("owner_kind"), "address");
    }

    let status_of = |row: &sqlx::postgres::PgRow| row.get::<String, _>("status");
    let p = blob_row(&pool, &s.permanent.object_id).await;
    assert_eq!(status_of(&p), "certified");
    assert_eq!(
        p.get::<i32, _>("end_epoch"),
        7,
        "4 epochs from epoch 1, extended by 2"
    );
    assert_eq!(p.get::<Option<i32>, _>("certified_epoch"), Some(1));
    assert!(!p.get::<bool, _>("deletable"));
    assert_eq!(
        p.get::<Option<Vec<u8>>, _>("owner"),
        Some(d.address(0).into_inner().to_vec())
    );
    let extension = last_cursor_with(
        &records,
        |e| matches!(e, ContractEvent::BlobCertified(x) if x.is_extension && x.object_id.0 == s.permanent.object_id.into_inner()),
    );
    assert_eq!(
        p.get::<Option<i64>, _>("last_event_cursor"),
        Some(extension)
    );
    let certified = last_cursor_with(
        &records,
        |e| matches!(e, ContractEvent::BlobCertified(x) if !x.is_extension && x.object_id.0 == s.permanent.object_id.into_inner()),
    );
    assert_eq!(p.get::<Option<i64>, _>("certified_cursor"), Some(certified));

    let deleted = blob_row(&pool, &s.deleted.object_id).await;
    assert_eq!(status_of(&deleted), "deleted");
    assert!(deleted.get::<bool, _>("deleted"));
    assert_eq!(deleted.get::<Option<i32>, _>("deleted_epoch"), Some(1));
    let deletion = last_cursor_with(
        &records,
        |e| matches!(e, ContractEvent::BlobDeleted(x) if x.object_id.0 == s.deleted.object_id.into_inner()),
    );
    assert_eq!(
        deleted.get::<Option<i64>, _>("deleted_cursor"),
        Some(deletion)
    );
    assert_eq!(deleted.get::<i64, _>("last_cursor"), deletion);

    let registered = blob_row(&pool, &s.registered.object_id).await;
    assert_eq!(status_of(&registered), "registered");
    assert_eq!(registered.get::<Option<i32>, _>("certified_epoch"), None);

    assert_eq!(
        status_of(&blob_row(&pool, &s.expiring.object_id).await),
        "expired"
    );
    assert_eq!(
        status_of(&blob_row(&pool, &s.same_id.object_id).await),
        "expired"
    );
    let burned = blob_row(&pool, &s.burned.object_id).await;
    assert!(burned.get::<bool, _>("burned"));
    assert_eq!(status_of(&burned), "burned");
    let shared = blob_row(&pool, &s.shared.object_id).await;
    assert_eq!(shared.get::<String, _>("owner_kind"), "shared");
    assert_eq!(
        shared.get::<Option<Vec<u8>>, _>("shared_blob_id"),
        Some(id(&s.shared_object))
    );
    assert_eq!(shared.get::<Option<i64>, _>("shared_funds"), Some(0));
    let invalid = blob_row(&pool, &s.invalid.object_id).await;
    assert!(invalid.get::<bool, _>("invalid"));
    assert_eq!(status_of(&invalid), "invalid");

    // Status over time, from the epochs each row records.
    let status_at = |object: ObjectId, epoch: i32| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT blob_status_at(registered_epoch, certified_epoch, end_epoch, deleted_epoch, \
                 burned_epoch, invalid_epoch, $2) FROM blobs WHERE object_id = $1",
            )
            .bind(id(&object))
            .bind(epoch)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(status_at(s.permanent.object_id, 0).await, "nonexistent");
    assert_eq!(status_at(s.permanent.object_id, 1).await, "certified");
    assert_eq!(status_at(s.permanent.object_id, 7).await, "expired");
    assert_eq!(status_at(s.registered.object_id, 2).await, "registered");
    assert_eq!(status_at(s.expiring.object_id, 1).await, "certified");
    assert_eq!(status_at(s.expiring.object_id, 2).await, "expired");
    assert_eq!(status_at(s.deleted.object_id, 1).await, "deleted");
    assert_eq!(status_at(s.burned.object_id, 1).await, "burned");
    assert_eq!(status_at(s.invalid.object_id, 1).await, "invalid");
    assert_eq!(burned.get::<Option<i32>, _>("burned_epoch"), Some(1));
    assert_eq!(invalid.get::<Option<i32>, _>("invalid_epoch"), Some(1));

    // The per-blob-id aggregate.
    let agg = |blob_id: walrus_core::BlobId| {
        let pool = pool.clone();
        async move {
            sqlx::query("SELECT * FROM blob_status WHERE blob_id = $1")
                .bind(blob_id.0.to_vec())
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let a = agg(s.permanent.blob_id).await;
    assert_eq!(a.get::<String, _>("status"), "certified");
    assert_eq!(a.get::<i32, _>("objects_total"), 2);
    assert_eq!(
        (
            a.get::<i32, _>("permanent_total"),
            a.get::<i32, _>("permanent_certified")
        ),
        (1, 1)
    );
    assert_eq!(
        (
            a.get::<i32, _>("deletable_total"),
            a.get::<i32, _>("deletable_certified")
        ),
        (0, 0),
        "the deletable object expired at epoch 3"
    );
    assert_eq!(a.get::<Option<i32>, _>("end_epoch"), Some(7));
    assert_eq!(a.get::<Option<i32>, _>("permanent_end_epoch"), Some(7));
    assert_eq!(a.get::<Option<i32>, _>("initial_certified_epoch"), Some(1));
    assert_eq!(
        a.get::<Option<i64>, _>("status_event_cursor"),
        Some(extension)
    );
    assert_eq!(
        agg(s.deleted.blob_id).await.get::<String, _>("status"),
        "deleted"
    );
    assert_eq!(
        agg(s.registered.blob_id).await.get::<String, _>("status"),
        "registered"
    );
    assert_eq!(
        agg(s.expiring.blob_id).await.get::<String, _>("status"),
        "expired"
    );
    let inv = agg(s.invalid.blob_id).await;
    assert_eq!(inv.get::<String, _>("status"), "invalid");
    assert_eq!(inv.get::<Option<i32>, _>("invalid_epoch"), Some(1));
    let invalidation = last_cursor_with(&records, |e| matches!(e, ContractEvent::InvalidBlobId(_)));
    assert_eq!(
        inv.get::<Option<i64>, _>("status_event_cursor"),
        Some(invalidation)
    );

    // Storage resources: exactly the Storage objects alive in the ledger.
    let stored: BTreeSet<Vec<u8>> = sqlx::query_scalar("SELECT object_id FROM storage_resources")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let live: BTreeSet<Vec<u8>> = (0..3)
        .flat_map(|i| d.ledger().owned_objects(d.address(i)))
        .filter(|(_, o)| matches!(o.value, WalrusObject::Storage(_)))
        .map(|(id, _)| id.into_inner().to_vec())
        .collect();
    assert_eq!(stored, live);
    assert_eq!(
        stored.len(),
        2,
        "the unused reservation and the storage of the deleted blob"
    );

    // Epochs: the timeline from the events and the prices the nodes voted.
    let epochs = sqlx::query("SELECT * FROM epochs ORDER BY epoch")
        .fetch_all(&pool)
        .await
        .unwrap();
    let epoch_numbers: Vec<i32> = epochs.iter().map(|r| r.get("epoch")).collect();
    // Epoch 0 (genesis) has only its committee selection and its (zero) rewards.
    assert_eq!(epoch_numbers, vec![0, 1, 2, 3, 4]);
    assert_eq!(epochs[0].get::<Option<i64>, _>("rewards_total"), Some(0));
    assert_eq!(
        epochs[0].get::<Option<i64>, _>("params_selected_cursor"),
        Some(1)
    );
    for row in &epochs[1..] {
        let epoch = row.get::<i32, _>("epoch") as u32;
        let start = last_cursor_with(
            &records,
            |e| matches!(e, ContractEvent::EpochChangeStart(x) if x.epoch == epoch),
        );
        assert_eq!(row.get::<Option<i64>, _>("start_cursor"), Some(start));
        let start_ms = records[start as usize - 1].timestamp_ms as i64;
        assert_eq!(row.get::<Option<i64>, _>("start_ms"), Some(start_ms));
        let done = last_cursor_with(
            &records,
            |e| matches!(e, ContractEvent::EpochChangeDone(x) if x.epoch == epoch),
        );
        assert_eq!(row.get::<Option<i64>, _>("change_done_cursor"), Some(done));
        let prices: (Option<String>, Option<String>) = sqlx::query_as(
            "SELECT storage_price::text, write_price::text FROM epochs WHERE epoch = $1",
        )
        .bind(epoch as i32)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(prices, (Some("1000".into()), Some("2000".into())));
        if epoch < s.final_epoch {
            let selected = last_cursor_with(
                &records,
                |e| matches!(e, ContractEvent::EpochParametersSelected(x) if x.next_epoch == epoch + 1),
            );
            assert_eq!(
                row.get::<Option<i64>, _>("params_selected_cursor"),
                Some(selected)
            );
        }
    }

    // Pools against the ledger's pools; rewards per epoch add up.
    let pools = sqlx::query("SELECT * FROM pools")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(pools.len(), 4);
    for row in &pools {
        let node: Vec<u8> = row.get("node_id");
        let p = d
            .pool(ObjectId::new(node.clone().try_into().unwrap()))
            .unwrap();
        assert_eq!(row.get::<String, _>("name"), p.node_info.name);
        assert_eq!(
            row.get::<String, _>("network_address"),
            p.node_info.network_address
        );
        assert_eq!(
            row.get::<i32, _>("commission_rate"),
            i32::from(p.commission_rate)
        );
        assert_eq!(row.get::<i64, _>("wal_balance"), p.wal_balance as i64);
        assert_eq!(row.get::<i64, _>("rewards_pool"), p.rewards_pool as i64);
        assert_eq!(row.get::<i64, _>("commission"), p.commission as i64);
        assert_eq!(row.get::<i32, _>("latest_epoch"), p.latest_epoch as i32);
        let stake: i64 =
            sqlx::query_scalar("SELECT stake FROM pool_epochs WHERE node_id = $1 AND epoch = 4")
                .bind(&node)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(stake, p.wal_balance as i64);
        let votes: (String, String, String) = sqlx::query_as(
            "SELECT storage_price_vote::text, write_price_vote::text, node_capacity_vote::text FROM pools WHERE node_id = $1",
        )
        .bind(&node)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            votes,
            ("1000".into(), "2000".into(), (1u64 << 40).to_string())
        );
    }
    let mut commission_seen = 0;
    for epoch in 1..s.final_epoch {
        let per_pool = sqlx::query(
            "SELECT rewards, commission FROM pool_epochs WHERE epoch = $1 AND rewards IS NOT NULL",
        )
        .bind(epoch as i32)
        .fetch_all(&pool)
        .await
        .unwrap();
        let sum: i64 = per_pool.iter().map(|r| r.get::<i64, _>("rewards")).sum();
        for r in &per_pool {
            // 10% commission, as Move computes it.
            assert_eq!(
                r.get::<i64, _>("commission"),
                r.get::<i64, _>("rewards") * 1_000 / 10_000
            );
            commission_seen += r.get::<i64, _>("commission");
        }
        let total: Option<i64> =
            sqlx::query_scalar("SELECT rewards_total FROM epochs WHERE epoch = $1")
                .bind(epoch as i32)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(total, Some(sum), "epoch {epoch}");
    }
    let commission_now: i64 = pools.iter().map(|r| r.get::<i64, _>("commission")).sum();
    assert_eq!(
        commission_seen, commission_now,
        "nobody collected commission"
    );
    assert!(commission_now > 0, "storage fees paid rewards");

    // Positions.
    let position = |object: ObjectId| {
        let pool = pool.clone();
        async move {
            sqlx::query("SELECT * FROM staked_wal WHERE object_id = $1")
                .bind(id(&object))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let stake = position(s.stake).await;
    assert_eq!(stake.get::<i64, _>("principal"), 5 * FROST_PER_WAL as i64);
    assert_eq!(stake.get::<i32, _>("activation_epoch"), 2);
    assert_eq!(stake.get::<String, _>("state"), "staked");
    assert_eq!(stake.get::<String, _>("status"), "active");
    assert_eq!(
        stake.get::<Option<Vec<u8>>, _>("owner"),
        Some(d.address(0).into_inner().to_vec())
    );
    assert_eq!(
        stake.get::<Vec<u8>, _>("node_id"),
        id(&d.nodes()[0].node_id)
    );
    let withdrawn = position(s.withdrawn).await;
    assert!(withdrawn.get::<bool, _>("deleted"));
    assert_eq!(withdrawn.get::<String, _>("status"), "withdrawn");
    let withdrawing = position(s.withdrawing).await;
    assert_eq!(withdrawing.get::<String, _>("state"), "withdrawing");
    assert_eq!(withdrawing.get::<Option<i32>, _>("withdraw_epoch"), Some(4));
    assert_eq!(withdrawing.get::<String, _>("status"), "withdrawable");
    let live_positions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM staked_wal WHERE NOT deleted")
            .fetch_one(&pool)
            .await
            .unwrap();
    let mut owners: Vec<_> = (0..3).map(|i| d.address(i)).collect();
    owners.extend(
        d.nodes()
            .iter()
            .map(|n| walrus_chain::devnet::tx::address_of(&n.operator)),
    );
    let ledger_positions = owners
        .into_iter()
        .flat_map(|a| d.ledger().owned_objects(a))
        .filter(|(_, o)| matches!(o.value, WalrusObject::Staking(StakingObject::StakedWal(_))))
        .count();
    assert_eq!(live_positions as usize, ledger_positions);

    // Caps: one per node, with the last epoch each reported.
    let caps: BTreeMap<Vec<u8>, i32> =
        sqlx::query("SELECT node_id, last_epoch_sync_done FROM node_caps")
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.get("node_id"), r.get("last_epoch_sync_done")))
            .collect();
    assert_eq!(caps.len(), 4);
    assert!(caps.values().all(|e| *e == 4));

    // Every row is stamped with a cursor of the stream, and every blob with the cursor of a
    // transaction that changed it (or started the epoch it expired in).
    for table in walrus_indexer::store::TABLES {
        if table == "watermarks"
            || table == "transactions"
            || table == "events"
            || table == "object_decode_failures"
        {
            continue;
        }
        let sql = format!("SELECT count(*) FROM {table} WHERE last_cursor < 1 OR last_cursor > $1");
        let bad: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(head as i64)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(bad, 0, "{table}");
    }
    let touched: BTreeMap<Vec<u8>, i64> = records
        .iter()
        .flat_map(|r| {
            r.object_changes
                .iter()
                .filter(|c| c.object_type.ends_with("::blob::Blob"))
                .map(move |c| (c.object_id.into_inner().to_vec(), r.cursor as i64))
                .chain(r.events.iter().filter_map(move |e| {
                    match ContractEvent::decode(&e.event_type, &e.bcs).unwrap() {
                        Some(ContractEvent::BlobRegistered(x)) => {
                            Some((x.object_id.0.to_vec(), r.cursor as i64))
                        }
                        Some(ContractEvent::BlobCertified(x)) => {
                            Some((x.object_id.0.to_vec(), r.cursor as i64))
                        }
                        Some(ContractEvent::BlobDeleted(x)) => {
                            Some((x.object_id.0.to_vec(), r.cursor as i64))
                        }
                        _ => None,
                    }
                }))
        })
        .collect();
    for row in sqlx::query("SELECT object_id, last_cursor, status FROM blobs")
        .fetch_all(&pool)
        .await
        .unwrap()
    {
        let object: Vec<u8> = row.get("object_id");
        let last: i64 = row.get("last_cursor");
        let status: String = row.get("status");
        if status == "expired" || status == "invalid" {
            assert!(last >= touched[&object]);
        } else if object != id(&s.shared.object_id) {
            assert_eq!(last, touched[&object], "blob {}", hex::encode(&object));
        }
    }
}

/// The live tail: the indexer follows the head as transactions arrive, and serves its metrics.
#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn follows_the_head_and_serves_metrics(_p: PgPoolOptions, options: PgConnectOptions) {
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let d = Arc::new(devnet());
    let url = url(&options);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = config(&url);
    cfg.metrics_address = Some(([127, 0, 0, 1], port).into());
    let indexer = walrus_indexer::Indexer::new(d.ledger().clone(), cfg);
    let mut watermark = indexer.watermark();
    let running = tokio::spawn(indexer.run());

    for seed in 0..5u64 {
        let devnet = d.clone();
        let stored = tokio::task::spawn_blocking(move || {
            devnet
                .store_blob(0, 1_000 + seed, 100 + seed, 2, false)
                .unwrap()
        })
        .await
        .unwrap();
        let head = d.ledger().head();
        let durable = Instant::now();
        while *watermark.borrow_and_update() < head {
            tokio::time::timeout(Duration::from_secs(10), watermark.changed())
                .await
                .expect("the indexer did not follow the head")
                .unwrap();
        }
        // Generous bound for loaded test machines; the benchmark measures the real lag.
        assert!(
            durable.elapsed() < Duration::from_secs(2),
            "{:?}",
            durable.elapsed()
        );
        let pool = PgPool::connect(&url).await.unwrap();
        let status: String = sqlx::query_scalar("SELECT status FROM blobs WHERE object_id = $1")
            .bind(stored.object_id.into_inner().to_vec())
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(status, "certified");
        pool.close().await;
    }

    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"),
        "{response}"
    );
    let head = d.ledger().head();
    assert!(
        response.contains(&format!("walrus_indexer_watermark {head}\n")),
        "{response}"
    );
    assert!(
        response.contains("walrus_indexer_lag_transactions 0\n"),
        "{response}"
    );
    running.abort();
}
