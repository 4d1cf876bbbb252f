//! Durable register + certify transactions per second through the Walrus machine, with real BLS
//! certificates from a 7-node genesis committee (n = 100 shards), many concurrent clients, fsync
//! on. Storage is reserved before the clock starts; certificates are aggregated by the clients
//! before it starts too (that is client work). Each blob is one register and one certify
//! transaction.
//!
//! Run: `cargo bench -p walrus-chain --bench register_certify -- [--blobs N] [--clients N]`
#![allow(clippy::unwrap_used)] // a benchmark: a failed unwrap is a failed run

use std::sync::Arc;
use std::time::Instant;

use sui_crypto::ed25519::Ed25519PrivateKey;
use walrus_chain::bls::{BlsPrivateKey, BlsSignature};
use walrus_chain::devnet::ledger::{Ledger, LedgerOptions, SystemClock};
use walrus_chain::devnet::tx::{SignedTransaction, TransactionData, address_of};
use walrus_chain::types::{ExecutionStatus, TransactionRecord};
use walrus_chain::walrus::chain::{COIN_TYPE, created};
use walrus_chain::walrus::staking::{GenesisNode, GenesisVotes};
use walrus_chain::walrus::{
    Call, CoinCall, FROST_PER_WAL, GenesisConfig, SystemCall, WalrusMachine,
};
use walrus_core::messages::{BlobCertificationMessage, BlobPersistenceType};
use walrus_core::{BlobId, EncodingConfig};

const N_SHARDS: u16 = 100;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Client {
    key: Ed25519PrivateKey,
    nonce: u64,
}

impl Client {
    fn send(&mut self, ledger: &Ledger<WalrusMachine>, call: Call) -> TransactionRecord {
        let sender = address_of(&self.key);
        let tx = SignedTransaction::sign(
            &TransactionData {
                sender,
                nonce: self.nonce,
                call,
            },
            &self.key,
        );
        self.nonce += 1;
        let record = ledger.submit(tx).unwrap().durable_blocking().unwrap();
        assert_eq!(record.status, ExecutionStatus::Success, "{record:?}");
        record
    }
}

fn main() {
    let blobs = arg("--blobs", 4_000);
    let clients = arg("--clients", 64);
    let node_keys: Vec<_> = (0..7u8)
        .map(|i| BlsPrivateKey::from_ikm(&[i + 1; 32]).unwrap())
        .collect();
    let nodes = node_keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            GenesisNode::new(
                format!("node-{i}"),
                format!("127.0.0.1:{}", 9100 + i),
                k,
                vec![2; 33],
                0,
                address_of(&Ed25519PrivateKey::new([200 + i as u8; 32])),
                1_000 * FROST_PER_WAL,
                GenesisVotes {
                    storage_price: 1,
                    write_price: 1,
                    node_capacity: u64::MAX / 16,
                },
            )
        })
        .collect();
    let config = GenesisConfig {
        n_shards: N_SHARDS,
        nodes,
        faucet_max_per_call: 1_000_000 * FROST_PER_WAL,
        ..GenesisConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(
        Ledger::open(
            dir.path(),
            WalrusMachine::new(config),
            Arc::new(SystemClock),
            LedgerOptions::default(),
        )
        .unwrap(),
    );

    // Setup (untimed): fund clients, reserve one Storage per blob, pre-aggregate certificates.
    let encoding = EncodingConfig::new(N_SHARDS).unwrap();
    let setup = Instant::now();
    let per_client = blobs / clients;
    let work: Vec<_> = (0..clients)
        .map(|c| {
            let ledger = ledger.clone();
            let node_keys = node_keys.clone();
            std::thread::spawn(move || {
                let mut seed = [0u8; 32];
                seed[..8].copy_from_slice(&(c as u64 + 1).to_le_bytes());
                let mut client = Client {
                    key: Ed25519PrivateKey::new(seed),
                    nonce: 0,
                };
                let coin = created(
                    &client.send(
                        &ledger,
                        Call::Coin(CoinCall::Faucet {
                            amount: 100_000 * FROST_PER_WAL,
                        }),
                    ),
                    COIN_TYPE,
                )
                .unwrap();
                let mut items = Vec::new();
                for b in 0..per_client {
                    let data = format!("client {c} blob {b}").into_bytes();
                    let metadata = encoding.compute_metadata(&data).unwrap();
                    let blob_id: BlobId = *metadata.blob_id();
                    let root_hash = metadata.metadata().compute_root_hash().bytes();
                    let encoded = encoding.encoded_blob_length(data.len() as u64).unwrap();
                    let storage = created(
                        &client.send(
                            &ledger,
                            Call::System(SystemCall::ReserveSpace {
                                storage_amount: encoded,
                                epochs_ahead: 1,
                                payment: coin,
                            }),
                        ),
                        "::storage_resource::Storage",
                    )
                    .unwrap();
                    let message = BlobCertificationMessage {
                        epoch: 1,
                        blob_id: blob_id.0,
                        persistence: BlobPersistenceType::Permanent,
                    }
                    .to_bytes();
                    let signatures: Vec<_> = node_keys.iter().map(|k| k.sign(&message)).collect();
                    let aggregate = BlsSignature::aggregate(signatures.iter()).unwrap();
                    items.push((
                        storage,
                        blob_id,
                        root_hash,
                        data.len() as u64,
                        message,
                        aggregate,
                    ));
                }
                (client, coin, items)
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect::<Vec<_>>();
    println!(
        "setup (funding, {blobs} reservations, certificates): {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    // Members are in node-id order; all 7 sign, so the bitmap is the low 7 bits.
    let start = Instant::now();
    let handles: Vec<_> = work
        .into_iter()
        .map(|(mut client, coin, items)| {
            let ledger = ledger.clone();
            std::thread::spawn(move || {
                for (storage, blob_id, root_hash, size, message, aggregate) in items {
                    let record = client.send(
                        &ledger,
                        Call::System(SystemCall::RegisterBlob {
                            storage,
                            blob_id,
                            root_hash,
                            size,
                            encoding_type: 1,
                            deletable: false,
                            write_payment: coin,
                        }),
                    );
                    let blob = created(&record, "::blob::Blob").unwrap();
                    client.send(
                        &ledger,
                        Call::System(SystemCall::CertifyBlob {
                            blob,
                            signature: aggregate.as_bytes().to_vec(),
                            signers_bitmap: vec![0b0111_1111],
                            message,
                        }),
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let elapsed = start.elapsed();
    let txs = 2 * per_client * clients;
    println!(
        "register+certify: {txs} durable transactions ({} blobs) from {clients} clients in {:.2} s = {:.0} tx/s",
        per_client * clients,
        elapsed.as_secs_f64(),
        txs as f64 / elapsed.as_secs_f64()
    );
}
