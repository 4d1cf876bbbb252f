//! Every vector of `move/walrus/tests/bcs_vectors.json` (asserted by the Move tests in
//! `move/walrus/tests/system/bcs_vector_tests.move`) round-trips byte-exact through the Rust
//! twins: BCS(twin built from the listed fields) == hex, and decode(hex) == that twin.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use walrus_core::BlobId;
use walrus_core::contracts::{
    Blob, BlobCertified, BlobDeleted, BlobIdDerivation, BlobPersistenceType, BlobRegistered,
    ContractEvent, ContractUpgradeProposed, ContractUpgradeQuorumReached, ContractUpgraded,
    DenyListBlobDeleted, DenyListUpdate, EpochChangeDone, EpochChangeStart,
    EpochParametersSelected, InvalidBlobId, ObjectId, PooledBlob, PooledBlobCertified,
    PooledBlobDeleted, PooledBlobRegistered, PricesUpdated, ProtocolVersionUpdated,
    RegisterDenyListUpdate, ShardRecoveryStart, ShardsReceived, Storage, StoragePoolCreated,
    StoragePoolExtended, derive_blob_id,
};
use walrus_core::messages::{
    APP_ID_STORAGE, BlobCertificationMessage, INTENT_VERSION, IntentType, InvalidBlobIdMessage,
};

const VECTORS: &str = include_str!("../../../move/walrus/tests/bcs_vectors.json");

fn u32_of(v: &Value) -> u32 {
    u32::try_from(v.as_u64().unwrap()).unwrap()
}
fn u8_of(v: &Value) -> u8 {
    u8::try_from(v.as_u64().unwrap()).unwrap()
}
fn id_of(v: &Value) -> ObjectId {
    v.as_str().unwrap().parse().unwrap()
}
fn bytes32(v: &Value) -> [u8; 32] {
    hex::decode(v.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}
fn blob_id(v: &Value) -> BlobId {
    BlobId(bytes32(v))
}

fn storage(f: &Value) -> Storage {
    Storage {
        id: id_of(&f["id"]),
        start_epoch: u32_of(&f["start_epoch"]),
        end_epoch: u32_of(&f["end_epoch"]),
        storage_size: f["storage_size"].as_u64().unwrap(),
    }
}

fn persistence(v: &Value) -> BlobPersistenceType {
    if v.as_str() == Some("Permanent") {
        BlobPersistenceType::Permanent
    } else {
        BlobPersistenceType::Deletable {
            object_id: id_of(&v["Deletable"]["object_id"]),
        }
    }
}

/// The vector's header fields are the ones `walrus_core::messages` writes for `intent`.
fn check_header(name: &str, f: &Value, intent: IntentType) {
    assert_eq!(
        u8_of(&f["intent_type"]),
        intent as u8,
        "{name}: intent type"
    );
    assert_eq!(
        u8_of(&f["intent_version"]),
        INTENT_VERSION,
        "{name}: version"
    );
    assert_eq!(u8_of(&f["app_id"]), APP_ID_STORAGE, "{name}: app id");
}

/// BCS(value) == hex and BCS-decoding hex gives the value back.
fn check<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    name: &str,
    value: T,
    hex: &str,
) {
    let expected = hex::decode(hex).unwrap();
    assert_eq!(
        hex::encode(bcs::to_bytes(&value).unwrap()),
        hex,
        "{name}: BCS of the twin"
    );
    assert_eq!(
        bcs::from_bytes::<T>(&expected).unwrap(),
        value,
        "{name}: decode"
    );
}

/// Events also go through `ContractEvent::decode` with a full type name.
fn check_event(name: &str, event: ContractEvent, hex: &str) {
    let bytes = hex::decode(hex).unwrap();
    assert_eq!(event.to_bcs(), bytes, "{name}: ContractEvent::to_bcs");
    assert_eq!(event.struct_name(), name);
    let type_name =
        event.type_name("0x0000000000000000000000000000000000000000000000000000000000001234");
    assert_eq!(
        ContractEvent::decode(&type_name, &bytes).unwrap(),
        Some(event),
        "{name}: ContractEvent::decode"
    );
}

#[test]
fn every_move_vector_round_trips() {
    let all: Vec<Value> = serde_json::from_str(VECTORS).unwrap();
    // The staking vectors (`walrus::staking_bcs_vector_tests::*`) belong to the staking twins
    // (`contracts::staking`) and are checked by their own test; every other vector is here.
    let vectors: Vec<&Value> = all
        .iter()
        .filter(|v| {
            !v["move_test"]
                .as_str()
                .unwrap()
                .starts_with("walrus::staking_bcs_vector_tests::")
        })
        .collect();
    assert_eq!(
        vectors.len(),
        29,
        "a system vector was added: give it a twin check here"
    );
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let hex = v["hex"].as_str().unwrap();
        let f = &v["fields"];
        assert!(
            v["move_test"]
                .as_str()
                .unwrap()
                .starts_with("walrus::bcs_vector_tests::")
        );
        match name {
            "BlobRegistered" => {
                let e = BlobRegistered {
                    epoch: u32_of(&f["epoch"]),
                    blob_id: blob_id(&f["blob_id"]),
                    size: f["size"].as_u64().unwrap(),
                    encoding_type: u8_of(&f["encoding_type"]),
                    end_epoch: u32_of(&f["end_epoch"]),
                    deletable: f["deletable"].as_bool().unwrap(),
                    object_id: id_of(&f["object_id"]),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::BlobRegistered(e), hex);
            }
            "BlobCertified" => {
                let e = BlobCertified {
                    epoch: u32_of(&f["epoch"]),
                    blob_id: blob_id(&f["blob_id"]),
                    end_epoch: u32_of(&f["end_epoch"]),
                    deletable: f["deletable"].as_bool().unwrap(),
                    object_id: id_of(&f["object_id"]),
                    is_extension: f["is_extension"].as_bool().unwrap(),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::BlobCertified(e), hex);
            }
            "BlobDeleted" => {
                let e = BlobDeleted {
                    epoch: u32_of(&f["epoch"]),
                    blob_id: blob_id(&f["blob_id"]),
                    end_epoch: u32_of(&f["end_epoch"]),
                    object_id: id_of(&f["object_id"]),
                    was_certified: f["was_certified"].as_bool().unwrap(),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::BlobDeleted(e), hex);
            }
            "InvalidBlobID" => {
                let e = InvalidBlobId {
                    epoch: u32_of(&f["epoch"]),
                    blob_id: blob_id(&f["blob_id"]),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::InvalidBlobId(e), hex);
            }
            "EpochChangeStart" => {
                let e = EpochChangeStart {
                    epoch: u32_of(&f["epoch"]),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::EpochChangeStart(e), hex);
            }
            "EpochChangeDone" => {
                let e = EpochChangeDone {
                    epoch: u32_of(&f["epoch"]),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::EpochChangeDone(e), hex);
            }
            "ShardsReceived" => {
                let e = ShardsReceived {
                    epoch: u32_of(&f["epoch"]),
                    shards: shards_of(&f["shards"]),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::ShardsReceived(e), hex);
            }
            "EpochParametersSelected" => {
                let e = EpochParametersSelected {
                    next_epoch: u32_of(&f["next_epoch"]),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::EpochParametersSelected(e), hex);
            }
            "PricesUpdated" => {
                let e = PricesUpdated {
                    epoch: u32_of(&f["epoch"]),
                    storage_price: f["storage_price"].as_u64().unwrap(),
                    write_price: f["write_price"].as_u64().unwrap(),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::PricesUpdated(e), hex);
            }
            "ProtocolVersionUpdated" => {
                let e = ProtocolVersionUpdated {
                    epoch: u32_of(&f["epoch"]),
                    start_epoch: u32_of(&f["start_epoch"]),
                    protocol_version: f["protocol_version"].as_u64().unwrap(),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::ProtocolVersionUpdated(e), hex);
            }
            "RegisterDenyListUpdate" => {
                let (epoch, root, sequence_number, node_id) = deny_list_fields(f);
                let e = RegisterDenyListUpdate {
                    epoch,
                    root,
                    sequence_number,
                    node_id,
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::RegisterDenyListUpdate(e), hex);
            }
            "DenyListUpdate" => {
                let (epoch, root, sequence_number, node_id) = deny_list_fields(f);
                let e = DenyListUpdate {
                    epoch,
                    root,
                    sequence_number,
                    node_id,
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::DenyListUpdate(e), hex);
            }
            "ShardRecoveryStart" => {
                let e = ShardRecoveryStart {
                    epoch: u32_of(&f["epoch"]),
                    shards: shards_of(&f["shards"]),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::ShardRecoveryStart(e), hex);
            }
            "DenyListBlobDeleted" => {
                let e = DenyListBlobDeleted {
                    epoch: u32_of(&f["epoch"]),
                    blob_id: blob_id(&f["blob_id"]),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::DenyListBlobDeleted(e), hex);
            }
            "StoragePoolCreated" => {
                let e = StoragePoolCreated {
                    epoch: u32_of(&f["epoch"]),
                    storage_pool_id: id_of(&f["storage_pool_id"]),
                    reserved_encoded_capacity_bytes: f["reserved_encoded_capacity_bytes"]
                        .as_u64()
                        .unwrap(),
                    start_epoch: u32_of(&f["start_epoch"]),
                    end_epoch: u32_of(&f["end_epoch"]),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::StoragePoolCreated(e), hex);
            }
            "PooledBlobRegistered" => {
                let e = PooledBlobRegistered {
                    epoch: u32_of(&f["epoch"]),
                    blob_id: blob_id(&f["blob_id"]),
                    unencoded_size: f["unencoded_size"].as_u64().unwrap(),
                    encoding_type: u8_of(&f["encoding_type"]),
                    deletable: f["deletable"].as_bool().unwrap(),
                    object_id: id_of(&f["object_id"]),
                    storage_pool_id: id_of(&f["storage_pool_id"]),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::PooledBlobRegistered(e), hex);
            }
            "PooledBlobCertified" => {
                let e = PooledBlobCertified {
                    epoch: u32_of(&f["epoch"]),
                    blob_id: blob_id(&f["blob_id"]),
                    deletable: f["deletable"].as_bool().unwrap(),
                    object_id: id_of(&f["object_id"]),
                    storage_pool_id: id_of(&f["storage_pool_id"]),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::PooledBlobCertified(e), hex);
            }
            "PooledBlobDeleted" => {
                let e = PooledBlobDeleted {
                    epoch: u32_of(&f["epoch"]),
                    blob_id: blob_id(&f["blob_id"]),
                    object_id: id_of(&f["object_id"]),
                    was_certified: f["was_certified"].as_bool().unwrap(),
                    storage_pool_id: id_of(&f["storage_pool_id"]),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::PooledBlobDeleted(e), hex);
            }
            "StoragePoolExtended" => {
                let e = StoragePoolExtended {
                    epoch: u32_of(&f["epoch"]),
                    storage_pool_id: id_of(&f["storage_pool_id"]),
                    new_end_epoch: u32_of(&f["new_end_epoch"]),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::StoragePoolExtended(e), hex);
            }
            "ContractUpgraded" => {
                let e = ContractUpgraded {
                    epoch: u32_of(&f["epoch"]),
                    package_id: id_of(&f["package_id"]),
                    version: f["version"].as_u64().unwrap(),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::ContractUpgraded(e), hex);
            }
            "ContractUpgradeProposed" => {
                let e = ContractUpgradeProposed {
                    epoch: u32_of(&f["epoch"]),
                    package_digest: bytes32(&f["package_digest"]).to_vec(),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::ContractUpgradeProposed(e), hex);
            }
            "ContractUpgradeQuorumReached" => {
                let e = ContractUpgradeQuorumReached {
                    epoch: u32_of(&f["epoch"]),
                    package_digest: bytes32(&f["package_digest"]).to_vec(),
                };
                check(name, e.clone(), hex);
                check_event(name, ContractEvent::ContractUpgradeQuorumReached(e), hex);
            }
            "PooledBlob" => {
                let pooled = PooledBlob {
                    id: id_of(&f["id"]),
                    registered_epoch: u32_of(&f["registered_epoch"]),
                    blob_id: blob_id(&f["blob_id"]),
                    unencoded_size: f["unencoded_size"].as_u64().unwrap(),
                    encoding_type: u8_of(&f["encoding_type"]),
                    certified_epoch: f["certified_epoch"]
                        .as_u64()
                        .map(|e| u32::try_from(e).unwrap()),
                    storage_pool_id: id_of(&f["storage_pool_id"]),
                    deletable: f["deletable"].as_bool().unwrap(),
                };
                check(name, pooled, hex);
            }
            "Storage" => check(name, storage(f), hex),
            "Blob" => {
                let blob = Blob {
                    id: id_of(&f["id"]),
                    registered_epoch: u32_of(&f["registered_epoch"]),
                    blob_id: blob_id(&f["blob_id"]),
                    size: f["size"].as_u64().unwrap(),
                    encoding_type: u8_of(&f["encoding_type"]),
                    certified_epoch: f["certified_epoch"]
                        .as_u64()
                        .map(|e| u32::try_from(e).unwrap()),
                    storage: storage(&f["storage"]),
                    deletable: f["deletable"].as_bool().unwrap(),
                };
                check(name, blob, hex);
            }
            "BlobIdDerivation" => {
                let d = BlobIdDerivation {
                    encoding_type: u8_of(&f["encoding_type"]),
                    size: f["size"].as_u64().unwrap(),
                    root_hash: bytes32(&f["root_hash"]),
                };
                assert_eq!(
                    derive_blob_id(&d.root_hash, d.encoding_type, d.size),
                    blob_id(&f["blake2b256"]),
                    "derive_blob_id"
                );
                check(name, d, hex);
            }
            "BlobCertificationMessagePermanent" | "BlobCertificationMessageDeletable" => {
                check_header(name, f, IntentType::BlobCertification);
                let m = BlobCertificationMessage {
                    epoch: u32_of(&f["epoch"]),
                    blob_id: bytes32(&f["blob_id"]),
                    persistence: persistence(&f["persistence"]),
                };
                assert_eq!(hex::encode(m.to_bytes()), hex, "{name}: signed bytes");
                assert_eq!(
                    BlobCertificationMessage::from_bytes(&hex::decode(hex).unwrap()).unwrap(),
                    m,
                    "{name}: parsed back"
                );
            }
            "InvalidBlobIdMessage" => {
                check_header(name, f, IntentType::InvalidBlobId);
                let m = InvalidBlobIdMessage {
                    epoch: u32_of(&f["epoch"]),
                    blob_id: bytes32(&f["blob_id"]),
                };
                assert_eq!(hex::encode(m.to_bytes()), hex, "{name}: signed bytes");
                assert_eq!(
                    InvalidBlobIdMessage::from_bytes(&hex::decode(hex).unwrap()).unwrap(),
                    m,
                    "{name}: parsed back"
                );
            }
            other => panic!("vector {other} has no twin check"),
        }
    }
}

#[test]
fn twins_round_trip_through_json() {
    let vectors: Vec<Value> = serde_json::from_str(VECTORS).unwrap();
    let blob_vector = vectors.iter().find(|v| v["name"] == "Blob").unwrap();
    let bytes = hex::decode(blob_vector["hex"].as_str().unwrap()).unwrap();
    let blob: Blob = bcs::from_bytes(&bytes).unwrap();
    let json = serde_json::to_string(&blob).unwrap();
    assert!(json.contains("0x381dd9078c322a4663c392761a0211b527c127b29583851217f948d62131f409"));
    assert_eq!(serde_json::from_str::<Blob>(&json).unwrap(), blob);
}

/// A Move `u256` written as `0x`-hex (big-endian digits) as its 32 little-endian BCS bytes.
fn u256_le(v: &Value) -> [u8; 32] {
    let digits = v.as_str().unwrap().trim_start_matches("0x");
    let mut bytes: [u8; 32] = hex::decode(format!("{digits:0>64}"))
        .unwrap()
        .try_into()
        .unwrap();
    bytes.reverse();
    bytes
}

/// The fields both deny-list events share: epoch, root, sequence number, node id.
fn deny_list_fields(f: &Value) -> (u32, [u8; 32], u64, ObjectId) {
    (
        u32_of(&f["epoch"]),
        u256_le(&f["root"]),
        f["sequence_number"].as_u64().unwrap(),
        id_of(&f["node_id"]),
    )
}

/// A JSON array of shard indices.
fn shards_of(v: &Value) -> Vec<u16> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| u16::try_from(s.as_u64().unwrap()).unwrap())
        .collect()
}
