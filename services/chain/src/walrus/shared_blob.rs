//! Mirror of `move/walrus/sources/system/shared_blob.move`: a blob wrapped in a shared object
//! with a WAL tip jar that anyone can fund and spend on extensions.

use walrus_core::contracts::Coin;

use super::errors::{self, balance};
use super::{BlobObject, SharedBlobObject, View, WalrusObject, shared, system, to_move_id};
use crate::types::{ExecutionFailure, ObjectId, Owner};

/// `shared_blob::new` (`funds = None`) and `shared_blob::new_funded` (`Some(value)` of the
/// consumed coin): wraps the blob (`blob_object` is deleted from the sender's objects) and
/// shares it.
pub fn new(
    view: &mut View<'_>,
    blob_object: ObjectId,
    blob: BlobObject,
    funds: Option<u64>,
) -> Result<(), ExecutionFailure> {
    let id = view.new_id();
    view.delete(blob_object);
    view.put(
        id,
        Owner::Shared,
        WalrusObject::SharedBlob(SharedBlobObject {
            id: to_move_id(id),
            blob,
            funds: funds.unwrap_or(0),
        }),
    );
    Ok(())
}

fn load(view: &View<'_>, id: &ObjectId) -> Result<SharedBlobObject, ExecutionFailure> {
    match shared(view, id)? {
        WalrusObject::SharedBlob(s) => Ok(s.clone()),
        _ => Err(errors::input::EWrongObjectType.fail_with(format!("{id} is not a SharedBlob"))),
    }
}

/// `shared_blob::fund`: adds `value` (a consumed coin) to the tip jar.
pub fn fund(view: &mut View<'_>, id: &ObjectId, value: u64) -> Result<(), ExecutionFailure> {
    let mut s = load(view, id)?;
    s.funds = s
        .funds
        .checked_add(value)
        .ok_or_else(|| errors::arithmetic(balance::MODULE))?;
    view.put(*id, Owner::Shared, WalrusObject::SharedBlob(s));
    Ok(())
}

/// `shared_blob::extend`: `system::extend_blob` paid with all the funds as one coin, the
/// change goes back into the tip jar (`system_state_inner::EInsufficientPayment` if the funds
/// do not cover it).
pub fn extend(
    view: &mut View<'_>,
    id: &ObjectId,
    extended_epochs: u32,
) -> Result<(), ExecutionFailure> {
    let mut s = load(view, id)?;
    // `coin::from_balance(self.funds.withdraw_all(), ctx)`: a transient coin with a fresh id.
    let coin_id = view.new_id();
    let mut payment = Coin {
        id: to_move_id(coin_id),
        balance: std::mem::take(&mut s.funds),
    };
    let (system_id, mut sys) = system::load(view)?;
    system::extend_blob_inner(
        view,
        &mut sys.inner,
        &mut s.blob,
        extended_epochs,
        &mut payment,
    )?;
    system::save(view, system_id, sys);
    s.funds = payment.balance;
    view.put(*id, Owner::Shared, WalrusObject::SharedBlob(s));
    Ok(())
}
