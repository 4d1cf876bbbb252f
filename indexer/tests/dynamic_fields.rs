#![allow(clippy::unwrap_used)]
//! What the indexer reads from dynamic fields, as Sui reports them (`0x2::dynamic_field::Field`
//! object changes): blob attributes, the System and staking states (epochs' capacity and stake,
//! committees, pool states), and pools' exchange rates (APY, positions' value and reward by the
//! arithmetic of Move's `calculate_rewards`). Checked against the ledger's own objects.
//!
//! These need a devnet that reports dynamic fields in its object changes; without it the test
//! says so and fails.

mod support;

use std::collections::BTreeMap;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row};
use support::{config, devnet, index, scenario, url};
use walrus_chain::types::ObjectId;
use walrus_chain::walrus::WalrusObject;
use walrus_chain::walrus::staking::{self, StakedWalState, StakingObject};

fn bytes(id: &ObjectId) -> Vec<u8> {
    id.into_inner().to_vec()
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn dynamic_fields_feed_attributes_epochs_committees_rates_and_values(
    _p: PgPoolOptions,
    options: PgConnectOptions,
) {
    let d = devnet();
    let s = scenario(&d);
    // Node 0's metadata changes: on Sui only its `ExtendedField`'s dynamic field changes.
    let metadata = staking::NodeMetadata {
        image_url: "https://example.invalid/n0.png".into(),
        project_url: "https://example.invalid".into(),
        description: "node zero".into(),
        extra_fields: [
            ("region".into(), "eu".into()),
            ("operator".into(), "z".into()),
        ]
        .into_iter()
        .collect(),
    };
    d.operator_call(
        0,
        staking::StakingCall::SetNodeMetadata {
            cap: d.nodes()[0].cap,
            metadata: metadata.clone(),
        },
    )
    .unwrap();
    let head = d.ledger().head();
    let reports_fields = d
        .ledger()
        .read_records(0, 10)
        .unwrap()
        .iter()
        .flat_map(|r| &r.object_changes)
        .any(|c| c.object_type.starts_with("0x2::dynamic_field::Field<"));
    assert!(
        reports_fields,
        "this devnet does not report dynamic fields (System/Staking state, blob attributes, \
         exchange-rate entries) as object changes, as Sui does"
    );
    let url = url(&options);
    index(d.ledger().clone(), config(&url), head).await;
    let pool = PgPool::connect(&url).await.unwrap();
    let epoch = d.epoch().unwrap();
    assert_eq!(epoch, s.final_epoch);

    // Attributes: set, updated, removed with the pair, removed with the blob.
    let attributes = |object: ObjectId| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, Option<serde_json::Value>>(
                "SELECT attributes FROM blobs WHERE object_id = $1",
            )
            .bind(bytes(&object))
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(
        attributes(s.permanent.object_id).await,
        Some(serde_json::json!({"content-type": "text/plain"}))
    );
    assert_eq!(attributes(s.deleted.object_id).await, None);
    assert_eq!(attributes(s.registered.object_id).await, None);
    let found: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM blobs WHERE attributes @> '{\"content-type\": \"text/plain\"}'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(found, 1);

    // The latest System and staking states, raw.
    let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM chain_state ORDER BY key")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(keys, vec!["active_set", "staking_inner", "system_inner"]);

    // Node metadata, from the field: node 0's as set, in order; the others' as registered.
    for (i, node) in d.nodes().iter().enumerate() {
        let row = sqlx::query(
            "SELECT image_url, description, extra_fields, metadata_bcs FROM pools WHERE node_id = $1",
        )
        .bind(bytes(&node.node_id))
        .fetch_one(&pool)
        .await
        .unwrap();
        let expected = d.pool(node.node_id).unwrap().metadata;
        if i == 0 {
            assert_eq!(expected, metadata);
        }
        assert_eq!(row.get::<String, _>("image_url"), expected.image_url);
        assert_eq!(row.get::<String, _>("description"), expected.description);
        assert_eq!(
            row.get::<Option<Vec<u8>>, _>("metadata_bcs"),
            Some(bcs::to_bytes(&expected).unwrap())
        );
        let extra: serde_json::Value = row.get("extra_fields");
        assert_eq!(
            extra.as_object().unwrap().len(),
            expected.extra_fields.contents.len()
        );
    }

    // Epochs: capacity and prices from the System state, duration and state from staking,
    // stake of the committee at the start.
    let system = d.system().unwrap();
    let staking_state = d.staking().unwrap();
    let row = sqlx::query(
        "SELECT total_capacity::text AS cap, used_capacity::text AS used, n_shards, \
         epoch_duration_ms, total_stake, epoch_state FROM epochs WHERE epoch = $1",
    )
    .bind(epoch as i32)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        row.get::<String, _>("cap"),
        system.total_capacity_size.to_string()
    );
    assert_eq!(
        row.get::<String, _>("used"),
        system.used_capacity_size.to_string()
    );
    assert_eq!(row.get::<i32, _>("n_shards"), 10);
    assert_eq!(row.get::<i64, _>("epoch_duration_ms"), 3_600_000);
    assert_eq!(row.get::<String, _>("epoch_state"), "done");
    for e in 1..=epoch {
        let members = sqlx::query("SELECT node_id, shards, weight, public_key, stake FROM committee_members WHERE epoch = $1")
            .bind(e as i32)
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(members.len(), 4, "epoch {e}");
        let shards: i32 = members.iter().map(|m| m.get::<i32, _>("weight")).sum();
        assert_eq!(shards, 10);
        for m in &members {
            let key: Vec<u8> = m.get("public_key");
            assert!(
                d.nodes()
                    .iter()
                    .any(|n| n.uncompressed_key() == key.as_slice())
            );
            assert_eq!(
                m.get::<Vec<i32>, _>("shards").len() as i32,
                m.get::<i32, _>("weight")
            );
        }
        let stake: i64 = members.iter().map(|m| m.get::<i64, _>("stake")).sum();
        let total: Option<i64> =
            sqlx::query_scalar("SELECT total_stake FROM epochs WHERE epoch = $1")
                .bind(e as i32)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(total, Some(stake), "epoch {e}");
    }
    // The current committee is the staking state's.
    for entry in &staking_state.committee.0.contents {
        let (node, shards) = (&walrus_chain::walrus::to_object_id(entry.key), &entry.value);
        let stored: Vec<i32> = sqlx::query_scalar(
            "SELECT shards FROM committee_members WHERE epoch = $1 AND node_id = $2",
        )
        .bind(epoch as i32)
        .bind(bytes(node))
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            stored,
            shards.iter().map(|s| i32::from(*s)).collect::<Vec<_>>()
        );
    }

    // Pools: state and shards from the staking state, future stake as Move computes it,
    // exchange rates exactly as recorded, APY from the last two.
    for node in d.nodes() {
        let p = d.pool(node.node_id).unwrap();
        let row = sqlx::query("SELECT * FROM pools WHERE node_id = $1")
            .bind(bytes(&node.node_id))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(row.get::<String, _>("state"), "committee");
        assert_eq!(
            row.get::<i32, _>("shards"),
            staking_state
                .committee
                .shards(&walrus_chain::walrus::to_move_id(node.node_id))
                .len() as i32
        );
        assert!(row.get::<bool, _>("in_active_set"));
        assert_eq!(
            row.get::<Option<i64>, _>("stake_next_epoch"),
            Some(p.wal_balance_at_epoch(epoch + 1).unwrap() as i64)
        );
        assert_eq!(
            row.get::<Option<i64>, _>("stake_after_next_epoch"),
            Some(p.wal_balance_at_epoch(epoch + 2).unwrap() as i64)
        );
        let rates: BTreeMap<u32, (bool, String, String)> = sqlx::query(
            "SELECT epoch, flat, wal_amount::text AS w, share_amount::text AS s FROM pool_exchange_rates WHERE node_id = $1",
        )
        .bind(bytes(&node.node_id))
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.get::<i32, _>("epoch") as u32, (r.get("flat"), r.get("w"), r.get("s"))))
        .collect();
        let expected: BTreeMap<u32, (bool, String, String)> = p
            .exchange_rates
            .iter()
            .map(|(e, r)| {
                let (w, s) = r.amounts();
                (*e, (r.is_flat(), w.to_string(), s.to_string()))
            })
            .collect();
        assert_eq!(rates, expected);
        let apys: Vec<Option<f64>> = sqlx::query_scalar(
            "SELECT apy FROM pool_exchange_rates WHERE node_id = $1 ORDER BY epoch",
        )
        .bind(bytes(&node.node_id))
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(apys[0], None, "no previous rate");
        assert!(
            apys[1..].iter().all(|a| a.is_some_and(|a| a >= 0.0)),
            "{apys:?}"
        );
        assert_eq!(row.get::<Option<f64>, _>("apy"), *apys.last().unwrap());
    }
    let growing: i64 = sqlx::query_scalar("SELECT count(*) FROM pool_exchange_rates WHERE apy > 0")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(growing > 0, "storage fees paid rewards, so some rates grew");

    // Positions: value and reward by calculate_rewards on the pool's recorded rates.
    let mut owners: Vec<_> = (0..3).map(|i| d.address(i)).collect();
    owners.extend(
        d.nodes()
            .iter()
            .map(|n| walrus_chain::devnet::tx::address_of(&n.operator)),
    );
    let mut checked = 0;
    for (id, o) in owners.into_iter().flat_map(|a| d.ledger().owned_objects(a)) {
        let WalrusObject::Staking(StakingObject::StakedWal(sw)) = o.value else {
            continue;
        };
        let p = d
            .pool(walrus_chain::walrus::to_object_id(sw.node_id))
            .unwrap();
        let until = match sw.state {
            StakedWalState::Withdrawing { withdraw_epoch } => epoch.min(withdraw_epoch),
            StakedWalState::Staked => epoch,
        };
        let reward = if sw.activation_epoch > epoch {
            0
        } else {
            staking::calculate_rewards(&p, sw.principal, sw.activation_epoch, until).unwrap()
        };
        let row = sqlx::query("SELECT value, reward FROM staked_wal WHERE object_id = $1")
            .bind(bytes(&id))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(row.get::<Option<i64>, _>("reward"), Some(reward as i64));
        assert_eq!(
            row.get::<Option<i64>, _>("value"),
            Some((sw.principal + reward) as i64)
        );
        checked += 1;
    }
    assert_eq!(
        checked, 6,
        "4 genesis stakes, the kept stake and the withdrawing one"
    );
    let rewarded: i64 = sqlx::query_scalar("SELECT count(*) FROM staked_wal WHERE reward > 0")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(rewarded > 0);
}
