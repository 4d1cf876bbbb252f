//! WAL coins as ledger objects (`0x2::coin::Coin<WAL>`) and the devnet faucet.
//!
//! The supply is fixed at genesis (`wal::init` mints 5 billion WAL once); the devnet faucet
//! hands out WAL from that supply, so minting never happens after genesis and only
//! `wal::burn` (through [`super::system::burn`]) lowers the total.

use serde::{Deserialize, Serialize};
use sui_sdk_types::Address;
use walrus_core::contracts;

use super::errors::{self, balance, faucet};
use super::{GenesisConfig, View, WalrusObject, put_owned, registry, to_move_id};
use crate::types::{ExecutionFailure, ObjectId, Owner};

/// Coin operations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CoinCall {
    /// Devnet faucet: a new coin of `amount` FROST for the sender, taken from the faucet's
    /// share of the fixed supply (0 gives an empty coin, as `coin::zero`). Aborts
    /// `devnet::faucet::EInvalidAmount` above `GenesisConfig::faucet_max_per_call` and
    /// `EFaucetEmpty` when the faucet holds less.
    Faucet {
        /// FROST wanted.
        amount: u64,
    },
    /// `coin::split(coin, amount)`: a new coin of `amount` for the sender
    /// (`sui::balance::ENotEnough` if the coin holds less).
    Split {
        /// The coin to split (owned by the sender).
        coin: ObjectId,
        /// FROST to split off.
        amount: u64,
    },
    /// `coin::join(coin, other)`: `other` is destroyed and its value added to `coin`.
    Merge {
        /// The coin that remains.
        coin: ObjectId,
        /// The coin merged into it.
        other: ObjectId,
    },
    /// `transfer::public_transfer(object, recipient)`: any object the sender owns (coins,
    /// `Storage`, `Blob`, `StakedWal`, ...).
    Transfer {
        /// The object.
        object: ObjectId,
        /// The new owner.
        recipient: Address,
    },
}

/// Runs a coin call.
pub fn execute(
    view: &mut View<'_>,
    config: &GenesisConfig,
    call: &CoinCall,
) -> Result<(), ExecutionFailure> {
    match call {
        CoinCall::Faucet { amount } => {
            let coin = faucet_take(view, config, *amount)?;
            new_coin(view, view.sender, coin);
            Ok(())
        }
        CoinCall::Split { coin, amount } => {
            let mut c = super::owned_coin(view, coin)?;
            let part = split(&mut c, *amount)?;
            put_owned(view, *coin, WalrusObject::WalCoin(c));
            new_coin(view, view.sender, part);
            Ok(())
        }
        CoinCall::Merge { coin, other } => {
            let mut c = super::owned_coin(view, coin)?;
            if coin == other {
                // Move cannot pass the same object twice.
                return Err(errors::input::EWrongObjectType.fail_with("merging a coin into itself"));
            }
            let o = take_coin(view, other)?;
            join(&mut c, o)?;
            put_owned(view, *coin, WalrusObject::WalCoin(c));
            Ok(())
        }
        CoinCall::Transfer { object, recipient } => {
            let value = super::owned(view, object)?.clone();
            view.put(*object, Owner::Address(*recipient), value);
            Ok(())
        }
    }
}

/// `balance::split` on a coin: takes `amount` out of `coin` (`sui::balance::ENotEnough`).
pub fn split(coin: &mut contracts::Coin, amount: u64) -> Result<u64, ExecutionFailure> {
    balance::ENotEnough.ensure(coin.balance >= amount)?;
    coin.balance -= amount;
    Ok(amount)
}

/// `balance::join`: adds `amount` to `coin` (arithmetic error on overflow, as Move).
pub fn join(coin: &mut contracts::Coin, amount: u64) -> Result<(), ExecutionFailure> {
    coin.balance = coin
        .balance
        .checked_add(amount)
        .ok_or_else(|| errors::arithmetic(balance::MODULE))?;
    Ok(())
}

/// Takes a coin owned by the sender by value (`Coin<WAL>` argument): deletes it and returns
/// its value.
pub fn take_coin(view: &mut View<'_>, id: &ObjectId) -> Result<u64, ExecutionFailure> {
    let coin = super::owned_coin(view, id)?;
    view.delete(*id);
    Ok(coin.balance)
}

/// Consumes these WAL coins of the sender, as a programmable transaction turns them into a
/// `vector<Balance<WAL>>` with `coin::into_balance`; their values in order. A coin passed twice
/// is refused (Move cannot take the same object twice).
pub fn take_coins(view: &mut View<'_>, ids: &[ObjectId]) -> Result<Vec<u64>, ExecutionFailure> {
    let mut values = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(
                errors::input::EWrongObjectType.fail_with(format!("coin {id} passed twice"))
            );
        }
        values.push(take_coin(view, id)?);
    }
    Ok(values)
}

/// Creates a coin of `value` FROST owned by `owner` (`coin::from_balance` + transfer) and
/// returns its id.
pub fn new_coin(view: &mut View<'_>, owner: Address, value: u64) -> ObjectId {
    let id = view.new_id();
    view.put(
        id,
        Owner::Address(owner),
        WalrusObject::WalCoin(contracts::Coin {
            id: to_move_id(id),
            balance: value,
        }),
    );
    id
}

/// Takes `amount` FROST from the devnet faucet (checked against the per-call limit and the
/// faucet's balance). Genesis steps may use it to fund genesis stakes.
pub fn faucet_take(
    view: &mut View<'_>,
    config: &GenesisConfig,
    amount: u64,
) -> Result<u64, ExecutionFailure> {
    faucet::EInvalidAmount.ensure(amount <= config.faucet_max_per_call)?;
    faucet_withdraw(view, amount)
}

/// Takes `amount` FROST from the devnet faucet without the per-call limit (genesis only).
pub fn faucet_withdraw(view: &mut View<'_>, amount: u64) -> Result<u64, ExecutionFailure> {
    let id = registry(view)?.faucet;
    let mut f = match view.get(&id) {
        Some((_, WalrusObject::Faucet(f))) => f.clone(),
        _ => return Err(errors::input::EObjectNotFound.fail_with("faucet")),
    };
    faucet::EFaucetEmpty.ensure(f.balance >= amount)?;
    f.balance -= amount;
    view.put(id, Owner::Shared, WalrusObject::Faucet(f));
    Ok(amount)
}
