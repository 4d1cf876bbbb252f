//! The staking vectors of `move/walrus/tests/bcs_vectors.json` (asserted by the Move tests in
//! `move/walrus/tests/staking/staking_bcs_vector_tests.move`) round-trip byte-exact through
//! the Rust twins of `walrus_core::contracts::staking`.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use walrus_core::contracts::staking::{StakedWal, StakedWalState, StorageNodeCap};
use walrus_core::contracts::{EventBlobAttestation, ObjectId};

const VECTORS: &str = include_str!("../../../move/walrus/tests/bcs_vectors.json");

fn id_of(v: &Value) -> ObjectId {
    v.as_str().unwrap().parse().unwrap()
}

fn u32_of(v: &Value) -> u32 {
    u32::try_from(v.as_u64().unwrap()).unwrap()
}

fn check<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    name: &str,
    value: &T,
    hex: &str,
) {
    assert_eq!(
        hex::encode(bcs::to_bytes(value).unwrap()),
        hex,
        "{name}: BCS of the twin"
    );
    assert_eq!(
        &bcs::from_bytes::<T>(&hex::decode(hex).unwrap()).unwrap(),
        value,
        "{name}: decode"
    );
}

fn staked_wal(f: &Value) -> StakedWal {
    let state = match &f["state"] {
        Value::String(s) if s == "Staked" => StakedWalState::Staked,
        other => StakedWalState::Withdrawing {
            withdraw_epoch: u32_of(&other["Withdrawing"]["withdraw_epoch"]),
        },
    };
    StakedWal {
        id: id_of(&f["id"]),
        state,
        node_id: id_of(&f["node_id"]),
        principal: f["principal"].as_u64().unwrap(),
        activation_epoch: u32_of(&f["activation_epoch"]),
    }
}

#[test]
fn staking_vectors_round_trip() {
    let vectors: Vec<Value> = serde_json::from_str(VECTORS).unwrap();
    let staking: Vec<&Value> = vectors
        .iter()
        .filter(|v| {
            v["move_test"]
                .as_str()
                .unwrap()
                .starts_with("walrus::staking_bcs_vector_tests::")
        })
        .collect();
    assert_eq!(
        staking.len(),
        3,
        "a staking vector was added: give it a twin check here"
    );
    for v in staking {
        let name = v["name"].as_str().unwrap();
        let hex = v["hex"].as_str().unwrap();
        let f = &v["fields"];
        match name {
            "StakedWal" | "StakedWalWithdrawing" => {
                let sw = staked_wal(f);
                assert_eq!(sw.is_withdrawing(), name == "StakedWalWithdrawing");
                check(name, &sw, hex);
            }
            "StorageNodeCap" => check(
                name,
                &StorageNodeCap {
                    id: id_of(&f["id"]),
                    node_id: id_of(&f["node_id"]),
                    last_epoch_sync_done: u32_of(&f["last_epoch_sync_done"]),
                    last_event_blob_attestation: f["last_event_blob_attestation"].as_object().map(
                        |a| EventBlobAttestation {
                            checkpoint_sequence_num: a["checkpoint_sequence_num"].as_u64().unwrap(),
                            epoch: u32_of(&a["epoch"]),
                        },
                    ),
                    deny_list_root: u256_le(&f["deny_list_root"]),
                    deny_list_sequence: f["deny_list_sequence"].as_u64().unwrap(),
                    deny_list_size: f["deny_list_size"].as_u64().unwrap(),
                },
                hex,
            ),
            other => panic!("unknown staking vector {other}"),
        }
    }
}

#[test]
fn staked_wal_json_is_readable() {
    let vectors: Vec<Value> = serde_json::from_str(VECTORS).unwrap();
    let v = vectors
        .iter()
        .find(|v| v["name"] == "StakedWalWithdrawing")
        .unwrap();
    let sw = staked_wal(&v["fields"]);
    let json = serde_json::to_value(&sw).unwrap();
    assert_eq!(json["state"]["Withdrawing"]["withdraw_epoch"], 7);
    assert_eq!(json["node_id"], v["fields"]["node_id"]);
    assert_eq!(sw.withdraw_epoch(), Some(7));
}

/// A Move `u256` written as `0x`-hex (big-endian digits) as its 32 little-endian BCS bytes.
fn u256_le(v: &Value) -> [u8; 32] {
    let digits = v.as_str().unwrap().trim_start_matches("0x");
    let padded = format!("{digits:0>64}");
    let mut bytes: [u8; 32] = hex::decode(padded).unwrap().try_into().unwrap();
    bytes.reverse();
    bytes
}
