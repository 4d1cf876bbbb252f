#![allow(clippy::unwrap_used)]
//! Every query against a devnet scenario indexed by the real indexer: results against the
//! ledger's objects and the scenario's story.

mod support;

use std::collections::BTreeSet;

use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use support::{Client, addr, devnet, index, oid, scenario, url};
use walrus_chain::walrus::staking::StakedWalState;
use walrus_chain::walrus::staking::StakingObject;
use walrus_chain::walrus::staking::exchange_rate::PoolExchangeRate;
use walrus_chain::walrus::{FROST_PER_WAL, WalrusObject};
use walrus_graphql::Limits;

fn big(v: &Value) -> i128 {
    v.as_str().unwrap().parse().unwrap()
}

#[sqlx::test(migrator = "walrus_indexer::store::MIGRATOR")]
async fn queries_match_the_ledger(_p: PgPoolOptions, options: PgConnectOptions) {
    let d = devnet();
    let s = scenario(&d);
    let url = url(&options);
    let head = index(&d, &url).await;
    let c = Client::new(&url, Limits::default()).await;
    // Attributes, the System and staking states and exchange rates reach the index as dynamic
    // fields (`0x2::dynamic_field::Field<K, V>` object changes), as on Sui.
    let reports_fields = d
        .ledger()
        .read_records(0, 1_000_000)
        .unwrap()
        .iter()
        .flat_map(|r| &r.object_changes)
        .any(|c| c.object_type.starts_with("0x2::dynamic_field::Field<"));
    assert!(
        reports_fields,
        "the devnet ledger reports no dynamic fields"
    );

    // Watermark and service config.
    let data = c
        .data(
            "{ watermark { cursor epoch timestampMs } serviceConfig { maxQueryDepth maxPageSize defaultPageSize maxQueryComplexity maxRequestBytes requestTimeoutMs maxConcurrentRequests } }",
            json!({}),
        )
        .await;
    assert_eq!(big(&data["watermark"]["cursor"]), i128::from(head));
    assert_eq!(data["watermark"]["epoch"], s.final_epoch);
    let limits = Limits::default();
    assert_eq!(data["serviceConfig"]["maxPageSize"], limits.max_page_size);
    assert_eq!(
        data["serviceConfig"]["maxQueryDepth"],
        limits.max_query_depth
    );
    assert_eq!(data["serviceConfig"]["requestTimeoutMs"], 5_000);
    assert_eq!(
        data["serviceConfig"]["maxConcurrentRequests"],
        limits.max_concurrent_requests
    );
    // The response extension carries the same watermark.
    let response = c.run("{ watermark { epoch } }", json!({})).await;
    assert_eq!(
        big(&response["extensions"]["watermark"]["cursor"]),
        i128::from(head)
    );

    // blob(blobId): per-blob-id status and its objects.
    let blob_q = "query($id: String!) { blob(blobId: $id) { blobId status objectsTotal \
                  endEpoch invalidEpoch objects { nodes { id status } } } }";
    let data = c
        .data(blob_q, json!({"id": s.permanent.blob_id.to_string()}))
        .await;
    let b = &data["blob"];
    assert_eq!(b["blobId"], s.permanent.blob_id.to_string());
    assert_eq!(b["status"], "CERTIFIED");
    assert_eq!(b["objectsTotal"], 2);
    // The permanent object was stored for 4 epochs from epoch 1 and extended by 2.
    assert_eq!(b["endEpoch"], 7);
    let mut expected = vec![oid(&s.permanent.object_id), oid(&s.same_id.object_id)];
    expected.sort();
    let objects: Vec<String> = b["objects"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(objects, expected);
    for (blob, status) in [
        (&s.deleted, "DELETED"),
        (&s.registered, "REGISTERED"),
        (&s.expiring, "EXPIRED"),
        (&s.invalid, "INVALID"),
        (&s.late, "CERTIFIED"),
    ] {
        let data = c
            .data(blob_q, json!({"id": blob.blob_id.to_string()}))
            .await;
        assert_eq!(data["blob"]["status"], status, "{blob:?}");
    }
    let nobody = walrus_chain::testing::blob_id_for(4_242, 4_242);
    let data = c.data(blob_q, json!({"id": nobody.to_string()})).await;
    assert_eq!(data["blob"]["status"], "NONEXISTENT");
    assert_eq!(data["blob"]["objects"]["nodes"], json!([]));
    let errors = c.errors(blob_q, json!({"id": "not a blob id"})).await;
    assert!(errors[0].contains("blobId \"not a blob id\""), "{errors:?}");

    // blobObject(id): every field against the ledger's object.
    let object_q = "query($id: String!) { blobObject(id: $id) { id blobId owner { kind address } \
                    size encodingType registeredEpoch certifiedEpoch endEpoch deletable status \
                    storage { id startEpoch endEpoch storageSize } attributes { key value } \
                    statusAt(epoch: 1) availableAt(epoch: 3) notYet: statusAt(epoch: 0) \
                    after: availableAt(epoch: 7) fees { storageUnits writeFee storageFeeEstimate } \
                    events { nodes { name epoch data } } } }";
    let data = c
        .data(object_q, json!({"id": oid(&s.permanent.object_id)}))
        .await;
    let o = &data["blobObject"];
    let ledger = d.blob(s.permanent.object_id).unwrap();
    assert_eq!(o["blobId"], ledger.blob_id.to_string());
    assert_eq!(
        o["owner"],
        json!({"kind": "address", "address": addr(&d, 0)})
    );
    assert_eq!(big(&o["size"]), i128::from(ledger.size));
    assert_eq!(o["encodingType"], i32::from(ledger.encoding_type));
    assert_eq!(o["registeredEpoch"], ledger.registered_epoch);
    assert_eq!(o["certifiedEpoch"], json!(ledger.certified_epoch));
    assert_eq!(o["endEpoch"], ledger.storage.end_epoch);
    assert_eq!(o["deletable"], ledger.deletable);
    assert_eq!(o["status"], "CERTIFIED");
    assert_eq!(
        o["storage"]["id"],
        format!("0x{}", hex::encode(ledger.storage.id.0))
    );
    assert_eq!(
        big(&o["storage"]["storageSize"]),
        i128::from(ledger.storage.storage_size)
    );
    assert_eq!(
        o["attributes"],
        json!([{"key": "content-type", "value": "text/plain"}])
    );
    assert_eq!(o["statusAt"], "CERTIFIED");
    assert_eq!(o["notYet"], "NONEXISTENT");
    assert_eq!(o["availableAt"], true);
    assert_eq!(o["after"], false);
    // Fees at epoch 1's prices (the devnet's votes: storage 1000, write 2000 per MiB).
    let units = i128::from(ledger.storage.storage_size.div_ceil(1 << 20));
    assert_eq!(big(&o["fees"]["storageUnits"]), units);
    assert_eq!(big(&o["fees"]["writeFee"]), 2_000 * units);
    assert_eq!(big(&o["fees"]["storageFeeEstimate"]), 1_000 * units * 6);
    let names = o["events"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert_eq!(
        names,
        [
            "events::BlobRegistered",
            "events::BlobCertified",
            "events::BlobCertified"
        ]
    );
    assert_eq!(o["events"]["nodes"][2]["data"]["is_extension"], true);
    let data = c.data(object_q, json!({"id": "0x1234"})).await;
    assert_eq!(data["blobObject"], Value::Null);

    // blobs(filter): owner, status, deletable, size, end epoch, attribute, certified epoch.
    let list_q = "query($f: BlobFilter, $o: BlobOrder) { blobs(filter: $f, orderBy: $o, first: 50) \
                  { nodes { id size } pageInfo { hasNextPage } } }";
    let ids = |v: &Value| -> Vec<String> {
        v["blobs"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // Account 0 registered, in order: permanent, deleted, the six more.
    let mut owner0 = vec![oid(&s.permanent.object_id), oid(&s.deleted.object_id)];
    owner0.extend(s.more.iter().map(|b| oid(&b.object_id)));
    let data = c.data(list_q, json!({"f": {"owner": addr(&d, 0)}})).await;
    assert_eq!(ids(&data), owner0);
    assert_eq!(data["blobs"]["pageInfo"]["hasNextPage"], false);
    let data = c
        .data(
            list_q,
            json!({"f": {"owner": addr(&d, 0), "status": ["DELETED"]}}),
        )
        .await;
    assert_eq!(ids(&data), [oid(&s.deleted.object_id)]);
    let data = c
        .data(list_q, json!({"f": {"status": ["REGISTERED"]}}))
        .await;
    assert_eq!(ids(&data), [oid(&s.registered.object_id)]);
    let data = c.data(list_q, json!({"f": {"status": ["EXPIRED"]}})).await;
    assert_eq!(
        ids(&data),
        [oid(&s.same_id.object_id), oid(&s.expiring.object_id)]
    );
    let data = c
        .data(
            list_q,
            json!({"f": {"deletable": true, "status": ["CERTIFIED"]}}),
        )
        .await;
    assert_eq!(ids(&data), [oid(&s.late.object_id)]);
    let data = c
        .data(
            list_q,
            json!({"f": {"owner": addr(&d, 0), "size": {"min": "200", "max": "400"}}}),
        )
        .await;
    assert_eq!(ids(&data), owner0[3..6].to_vec());
    let data = c
        .data(
            list_q,
            json!({"f": {"attribute": {"key": "content-type", "value": "text/plain"}}}),
        )
        .await;
    assert_eq!(ids(&data), [oid(&s.permanent.object_id)]);
    let data = c
        .data(
            list_q,
            json!({"f": {"attribute": {"key": "content-type", "value": "image/png"}}}),
        )
        .await;
    assert_eq!(ids(&data), Vec::<String>::new());
    let data = c
        .data(
            list_q,
            json!({"f": {"certifiedEpoch": {"from": 2, "to": 2}}}),
        )
        .await;
    assert_eq!(ids(&data), [oid(&s.late.object_id)]);
    let data = c
        .data(list_q, json!({"f": {"endEpoch": {"from": 7}}}))
        .await;
    assert_eq!(ids(&data), [oid(&s.permanent.object_id)]);
    // Ordering by size, descending, over account 0's six extra blobs.
    let data = c
        .data(
            list_q,
            json!({"f": {"owner": addr(&d, 0), "size": {"max": "600"}}, "o": {"field": "SIZE", "direction": "DESC"}}),
        )
        .await;
    let mut by_size: Vec<String> = owner0[2..].to_vec();
    by_size.reverse();
    assert_eq!(ids(&data), by_size);
    let errors = c.errors(list_q, json!({"f": {"owner": "0xnothex"}})).await;
    assert!(errors[0].contains("owner \"0xnothex\""), "{errors:?}");

    // storageResources(owner): deleting a blob gives its storage back to the owner, so account
    // 0 holds exactly the deleted blob's storage; checked against the ledger's object.
    let data = c
        .data(
            "query($o: String!, $b: String!) { storageResources(owner: $o) { nodes { id owner \
             startEpoch endEpoch storageSize epochs } } blobObject(id: $b) { storage { id } } }",
            json!({"o": addr(&d, 0), "b": oid(&s.deleted.object_id)}),
        )
        .await;
    let resources = data["storageResources"]["nodes"].as_array().unwrap();
    assert_eq!(resources.len(), 1, "{resources:?}");
    let r = &resources[0];
    assert_eq!(r["id"], data["blobObject"]["storage"]["id"]);
    let id = walrus_chain::types::ObjectId::new(
        hex::decode(&r["id"].as_str().unwrap()[2..])
            .unwrap()
            .try_into()
            .unwrap(),
    );
    let stored = d.ledger().object(&id).unwrap();
    assert!(matches!(stored.owner, walrus_chain::types::Owner::Address(a) if a == d.address(0)));
    let Some(WalrusObject::Storage(storage)) = Some(stored.value) else {
        panic!("not a Storage object");
    };
    assert_eq!(r["owner"], addr(&d, 0));
    assert_eq!(r["startEpoch"], storage.start_epoch);
    assert_eq!(r["endEpoch"], storage.end_epoch);
    assert_eq!(r["epochs"], storage.end_epoch - storage.start_epoch);
    assert_eq!(big(&r["storageSize"]), i128::from(storage.storage_size));
    let data = c
        .data(
            "query($o: String!) { storageResources(owner: $o) { nodes { id } } }",
            json!({"o": addr(&d, 2)}),
        )
        .await;
    assert_eq!(data["storageResources"]["nodes"], json!([]));

    // Epochs and committee against the ledger.
    let system = d.system().unwrap();
    let data = c
        .data(
            "{ epoch { epoch isCurrent nShards storagePrice writePrice startMs durationMs \
               committeeSelectionDueMs nextEpochDueMs committee { nodeId weight shards pool { name } } } \
               first: epoch(number: 1) { epoch isCurrent } \
               epochs { nodes { epoch } } committee { nodeId } }",
            json!({}),
        )
        .await;
    let e = &data["epoch"];
    assert_eq!(e["epoch"], system.committee.epoch);
    assert_eq!(e["isCurrent"], true);
    assert_eq!(e["nShards"], i64::from(system.committee.n_shards));
    assert_eq!(
        big(&e["storagePrice"]),
        i128::from(system.storage_price_per_unit_size)
    );
    assert_eq!(
        big(&e["writePrice"]),
        i128::from(system.write_price_per_unit_size)
    );
    let start = big(&e["startMs"]);
    let duration = big(&e["durationMs"]);
    assert_eq!(duration, 3_600_000);
    assert_eq!(big(&e["committeeSelectionDueMs"]), start + duration / 2);
    assert_eq!(big(&e["nextEpochDueMs"]), start + duration);
    let members = e["committee"].as_array().unwrap();
    let weights: i64 = members.iter().map(|m| m["weight"].as_i64().unwrap()).sum();
    assert_eq!(weights, i64::from(system.committee.n_shards));
    let shards: BTreeSet<i64> = members
        .iter()
        .flat_map(|m| {
            m["shards"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap())
        })
        .collect();
    assert_eq!(shards.len(), usize::from(system.committee.n_shards));
    assert!(members.iter().all(|m| m["pool"]["name"].is_string()));
    assert_eq!(data["first"], json!({"epoch": 1, "isCurrent": false}));
    let epochs: Vec<i64> = data["epochs"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["epoch"].as_i64().unwrap())
        .collect();
    assert_eq!(epochs.last(), Some(&i64::from(s.final_epoch)));
    assert!(epochs.windows(2).all(|w| w[0] + 1 == w[1]), "{epochs:?}");
    let current: Vec<&Value> = members.iter().map(|m| &m["nodeId"]).collect();
    let root: Vec<&Value> = data["committee"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["nodeId"])
        .collect();
    assert_eq!(root, current);
    let ledger_members: Vec<String> = system
        .committee
        .members
        .iter()
        .map(|m| format!("0x{}", hex::encode(m.node_id.0)))
        .collect();
    assert_eq!(root, ledger_members.iter().collect::<Vec<_>>());

    // Staking pools against the ledger's pools, in each order.
    let pools_q = "query($o: PoolOrder) { stakingPools(orderBy: $o) { nodes { id name stake \
                   commissionRate apy state shards exchangeRates { nodes { epoch rate flat walAmount shareAmount } } \
                   apyOver(epochs: 2) epochs { nodes { epoch stake } } } } }";
    let data = c.data(pools_q, json!({"o": "STAKE"})).await;
    let pools = data["stakingPools"]["nodes"].as_array().unwrap().clone();
    assert_eq!(pools.len(), d.nodes().len());
    let mut expected: Vec<(i128, String)> = d
        .nodes()
        .iter()
        .map(|n| {
            (
                i128::from(d.pool(n.node_id).unwrap().wal_balance),
                oid(&n.node_id),
            )
        })
        .collect();
    expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let got: Vec<(i128, String)> = pools
        .iter()
        .map(|p| (big(&p["stake"]), p["id"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(got, expected);
    for p in &pools {
        let node = d
            .nodes()
            .iter()
            .find(|n| oid(&n.node_id) == p["id"].as_str().unwrap())
            .unwrap();
        let ledger = d.pool(node.node_id).unwrap();
        assert_eq!(p["commissionRate"], ledger.commission_rate);
        let rates = p["exchangeRates"]["nodes"].as_array().unwrap();
        assert_eq!(rates.len(), ledger.exchange_rates.len());
        for r in rates {
            let epoch = u32::try_from(r["epoch"].as_i64().unwrap()).unwrap();
            let (flat, wal, share) = match ledger.exchange_rates.get(&epoch).unwrap() {
                PoolExchangeRate::Flat => (true, 0, 0),
                PoolExchangeRate::Variable {
                    wal_amount,
                    share_amount,
                } => (false, *wal_amount, *share_amount),
            };
            assert_eq!(r["flat"], flat, "pool {} epoch {epoch}", p["id"]);
            if !flat {
                assert_eq!(big(&r["walAmount"]), i128::try_from(wal).unwrap());
                assert_eq!(big(&r["shareAmount"]), i128::try_from(share).unwrap());
            }
        }
    }
    // Node 0 got account 0's 5 WAL on top of the operator's stake: the largest pool.
    assert_eq!(pools[0]["id"], oid(&d.nodes()[0].node_id));
    let data = c.data(pools_q, json!({"o": "COMMISSION"})).await;
    let rates: Vec<i64> = data["stakingPools"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["commissionRate"].as_i64().unwrap())
        .collect();
    assert!(rates.windows(2).all(|w| w[0] <= w[1]));
    let data = c.data(pools_q, json!({"o": "APY"})).await;
    let apys: Vec<f64> = data["stakingPools"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["apy"].as_f64().unwrap_or(f64::NEG_INFINITY))
        .collect();
    assert!(apys.windows(2).all(|w| w[0] >= w[1]), "{apys:?}");
    let data = c
        .data(
            "query($id: String!) { stakingPool(id: $id) { id name } \
             stakingPools(filter: {inCommittee: true}) { nodes { state } } }",
            json!({"id": oid(&d.nodes()[1].node_id)}),
        )
        .await;
    assert_eq!(data["stakingPool"]["id"], oid(&d.nodes()[1].node_id));
    assert!(
        data["stakingPools"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["state"] == "COMMITTEE")
    );

    // Delegators against the ledger's StakedWal objects.
    let delegator_q = "query($a: String!) { delegator(address: $a) { address \
                       totals { positions principal value reward } \
                       positions { nodes { id poolId pool { name } principal activationEpoch \
                       withdrawEpoch status statusText value reward } } } }";
    let data = c.data(delegator_q, json!({"a": addr(&d, 0)})).await;
    let p = &data["delegator"]["positions"]["nodes"][0];
    assert_eq!(p["id"], oid(&s.stake));
    assert_eq!(p["poolId"], oid(&d.nodes()[0].node_id));
    assert_eq!(big(&p["principal"]), i128::from(5 * FROST_PER_WAL));
    assert_eq!(p["status"], "ACTIVE");
    // Valued from the pool's exchange rates (indexed from its dynamic fields).
    assert!(big(&p["value"]) >= i128::from(5 * FROST_PER_WAL), "{p}");
    assert_eq!(
        big(&p["value"]) - big(&p["reward"]),
        i128::from(5 * FROST_PER_WAL)
    );
    let totals = &data["delegator"]["totals"];
    assert_eq!(totals["positions"], 1);
    assert_eq!(big(&totals["principal"]), i128::from(5 * FROST_PER_WAL));

    let data = c.data(delegator_q, json!({"a": addr(&d, 1)})).await;
    let p = &data["delegator"]["positions"]["nodes"][0];
    let Some(WalrusObject::Staking(StakingObject::StakedWal(ledger))) =
        d.ledger().object(&s.withdrawing).map(|o| o.value)
    else {
        panic!("the withdrawing stake is gone from the ledger");
    };
    let StakedWalState::Withdrawing { withdraw_epoch } = ledger.state else {
        panic!("the stake is not withdrawing: {:?}", ledger.state);
    };
    assert_eq!(p["withdrawEpoch"], withdraw_epoch);
    assert_eq!(p["activationEpoch"], ledger.activation_epoch);
    let expected_status = if s.final_epoch >= withdraw_epoch {
        "WITHDRAWABLE"
    } else {
        "WITHDRAWING"
    };
    assert_eq!(p["status"], expected_status);
    assert_eq!(big(&p["principal"]), i128::from(2 * FROST_PER_WAL));
    let data = c.data(delegator_q, json!({"a": addr(&d, 2)})).await;
    assert_eq!(data["delegator"]["positions"]["nodes"], json!([]));
    assert_eq!(data["delegator"]["totals"]["positions"], 0);

    // Network totals: every object registered; the live and certified ones; sizes.
    let data = c
        .data(
            "{ network { epoch blobObjects liveBlobObjects certifiedBlobObjects bytesStored \
               nodes committeeSize shards totalStake } }",
            json!({}),
        )
        .await;
    let n = &data["network"];
    let all = [
        &s.permanent,
        &s.same_id,
        &s.deleted,
        &s.registered,
        &s.expiring,
        &s.invalid,
        &s.late,
    ]
    .len()
        + s.more.len();
    assert_eq!(big(&n["blobObjects"]), all as i128);
    // Live: permanent, registered, late, the six more. Certified: all of those but registered.
    assert_eq!(big(&n["liveBlobObjects"]), 3 + 6);
    assert_eq!(big(&n["certifiedBlobObjects"]), 2 + 6);
    let certified_bytes: u64 =
        [1_000u64, 1_200].iter().sum::<u64>() + (1..=6).map(|k| 100 * k).sum::<u64>();
    assert_eq!(big(&n["bytesStored"]), i128::from(certified_bytes));
    assert_eq!(n["nodes"], d.nodes().len());
    assert_eq!(n["shards"], i64::from(system.committee.n_shards));
    let total: u64 = d
        .nodes()
        .iter()
        .map(|x| d.pool(x.node_id).unwrap().wal_balance)
        .sum();
    assert_eq!(big(&n["totalStake"]), i128::from(total));
}
