//! A small counter machine and account helper shared by the ledger tests.
#![allow(clippy::unwrap_used, dead_code)] // test code: a failed unwrap is a failed test

use serde::{Deserialize, Serialize};
use sui_crypto::ed25519::Ed25519PrivateKey;
use walrus_chain::devnet::ledger::{Ledger, Machine};
use walrus_chain::devnet::objects::{LedgerObject, TxView};
use walrus_chain::devnet::tx::{SignedTransaction, TransactionData, address_of};
use walrus_chain::types::{ChangeKind, ExecutionFailure, ObjectId, Owner, TransactionRecord};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counter {
    pub value: u64,
}

impl LedgerObject for Counter {
    fn type_name(&self) -> String {
        "0x1::counter::Counter".into()
    }
    fn move_bcs(&self) -> Vec<u8> {
        bcs::to_bytes(self).unwrap()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Call {
    Create(u64),
    Add {
        id: ObjectId,
        delta: u64,
    },
    Transfer {
        id: ObjectId,
        to: sui_sdk_types::Address,
    },
    Delete(ObjectId),
}

/// `bias` changes what Create stores, to simulate code that changed under an existing journal.
pub struct CounterMachine {
    pub bias: u64,
}

fn abort(code: u64, reason: &str) -> ExecutionFailure {
    ExecutionFailure {
        module: "counter".into(),
        code,
        reason: reason.into(),
    }
}

impl Machine for CounterMachine {
    type Call = Call;
    type Object = Counter;

    fn genesis(&self, view: &mut TxView<'_, Counter>) -> Result<(), ExecutionFailure> {
        view.create(Owner::Shared, Counter { value: 0 });
        view.emit("0x1::counter::Genesis".into(), vec![]);
        Ok(())
    }

    fn execute(&self, view: &mut TxView<'_, Counter>, call: &Call) -> Result<(), ExecutionFailure> {
        let owned =
            |view: &TxView<'_, Counter>, id: &ObjectId| -> Result<Counter, ExecutionFailure> {
                match view.get(id) {
                    Some((Owner::Address(a), c)) if a == view.sender => Ok(c.clone()),
                    Some(_) => Err(abort(2, "ENotOwner")),
                    None => Err(abort(1, "ENotFound")),
                }
            };
        match call {
            Call::Create(v) => {
                let id = view.create(
                    Owner::Address(view.sender),
                    Counter {
                        value: v + self.bias,
                    },
                );
                view.emit("0x1::counter::Created".into(), id.as_bytes().to_vec());
            }
            Call::Add { id, delta } => {
                let mut c = owned(view, id)?;
                // Write first, then abort: the write must not survive.
                view.put(
                    *id,
                    Owner::Address(view.sender),
                    Counter {
                        value: c.value.wrapping_add(*delta),
                    },
                );
                c.value = c
                    .value
                    .checked_add(*delta)
                    .ok_or_else(|| abort(3, "EOverflow"))?;
                view.put(*id, Owner::Address(view.sender), c);
            }
            Call::Transfer { id, to } => {
                let c = owned(view, id)?;
                view.put(*id, Owner::Address(*to), c);
            }
            Call::Delete(id) => {
                owned(view, id)?;
                view.delete(*id);
            }
        }
        Ok(())
    }
}

pub struct Account {
    pub key: Ed25519PrivateKey,
}

impl Account {
    pub fn new(seed: u8) -> Self {
        Self {
            key: Ed25519PrivateKey::new([seed; 32]),
        }
    }
    pub fn address(&self) -> sui_sdk_types::Address {
        address_of(&self.key)
    }
    pub fn tx(&self, nonce: u64, call: Call) -> SignedTransaction {
        SignedTransaction::sign(
            &TransactionData {
                sender: self.address(),
                nonce,
                call,
            },
            &self.key,
        )
    }
    pub fn send(&self, ledger: &Ledger<CounterMachine>, call: Call) -> TransactionRecord {
        let nonce = ledger.next_nonce(self.address());
        ledger
            .submit(self.tx(nonce, call))
            .unwrap()
            .durable_blocking()
            .unwrap()
    }
}

pub fn created_id(record: &TransactionRecord) -> ObjectId {
    record
        .object_changes
        .iter()
        .find(|c| c.kind == ChangeKind::Created)
        .unwrap()
        .object_id
}
