//! The Sui ledger through the official `sui-rpc` client: SUI transfers executed over gRPC, read
//! back as objects, balances, transactions and checkpoints; bad transactions refused with
//! nothing changed; failing ones committed with gas charged.

#![allow(clippy::unwrap_used)]

use sui_crypto::SuiSigner as _;
use sui_crypto::ed25519::Ed25519PrivateKey;
use sui_rpc::field::FieldMaskUtil as _;
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_sdk_types::{
    Address, Argument, Command, GasPayment, Input, ObjectReference, ProgrammableTransaction,
    SplitCoins, Transaction, TransactionExpiration, TransactionKind,
};
use walrus_sui_devnet::ledger::{MIST_PER_SUI, REFERENCE_GAS_PRICE};
use walrus_sui_devnet::{Ledger, SuiApi};

const BUDGET: u64 = 10_000_000;

async fn serve(ledger: Ledger) -> sui_rpc::Client {
    serve_api(SuiApi::new(ledger)).await.0
}

/// Serves `api`; the client, and a function that stops the server and waits until it has.
async fn serve_api(
    api: SuiApi,
) -> (
    sui_rpc::Client,
    impl FnOnce() -> tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(walrus_sui_devnet::serve(api, listener, async move {
        // Stopped when asked; a dropped stop function leaves the server running.
        if stopped.await.is_err() {
            std::future::pending::<()>().await;
        }
    }));
    let stop = move || {
        let _ = stop.send(());
        server
    };
    (sui_rpc::Client::new(url).unwrap(), stop)
}

fn mask(paths: &[&str]) -> prost_types::FieldMask {
    prost_types::FieldMask::from_paths(paths.iter().copied())
}

async fn reference(client: &mut sui_rpc::Client, id: Address) -> ObjectReference {
    let mut request = proto::GetObjectRequest::default();
    request.object_id = Some(id.to_string());
    let object = client
        .ledger_client()
        .get_object(request)
        .await
        .unwrap()
        .into_inner()
        .object
        .unwrap();
    ObjectReference::new(
        id,
        object.version.unwrap(),
        object.digest.unwrap().parse().unwrap(),
    )
}

async fn balance(client: &mut sui_rpc::Client, owner: Address) -> u64 {
    let mut request = proto::GetBalanceRequest::default();
    request.owner = Some(owner.to_string());
    client
        .state_client()
        .get_balance(request)
        .await
        .unwrap()
        .into_inner()
        .balance
        .unwrap()
        .balance
        .unwrap()
}

/// A transaction from `sender` paying gas with `gas`.
fn transaction(
    sender: Address,
    gas: ObjectReference,
    inputs: Vec<Input>,
    commands: Vec<Command>,
) -> Transaction {
    Transaction {
        kind: TransactionKind::ProgrammableTransaction(ProgrammableTransaction {
            inputs,
            commands,
        }),
        sender,
        gas_payment: GasPayment {
            objects: vec![gas],
            owner: sender,
            price: REFERENCE_GAS_PRICE,
            budget: BUDGET,
        },
        expiration: TransactionExpiration::None,
    }
}

/// `amount` split off the gas coin and sent to `to`.
fn pay(sender: Address, gas: ObjectReference, to: Address, amount: u64) -> Transaction {
    walrus_sui_devnet::ledger::payment(sender, gas, to, amount, BUDGET).unwrap()
}

async fn execute(
    client: &mut sui_rpc::Client,
    tx: &Transaction,
    key: &Ed25519PrivateKey,
) -> Result<proto::ExecutedTransaction, tonic::Status> {
    let signature = key.sign_transaction(tx).unwrap();
    let mut request = proto::ExecuteTransactionRequest::new(tx.clone().into());
    request.signatures = vec![signature.into()];
    request.read_mask = Some(mask(&["digest", "effects", "checkpoint", "objects"]));
    client
        .execution_client()
        .execute_transaction(request)
        .await
        .map(|r| r.into_inner().transaction.unwrap())
}

fn status(executed: &proto::ExecutedTransaction) -> &proto::ExecutionStatus {
    executed.effects.as_ref().unwrap().status.as_ref().unwrap()
}

#[tokio::test]
async fn sui_moves_between_addresses_through_the_official_client() {
    let alice_key = Ed25519PrivateKey::new([7; 32]);
    let alice = alice_key.public_key().derive_address();
    let bob_key = Ed25519PrivateKey::new([8; 32]);
    let bob = bob_key.public_key().derive_address();
    let ledger = Ledger::genesis(&[(alice, 10 * MIST_PER_SUI), (bob, MIST_PER_SUI)]);
    let alice_coin = ledger.owned_objects(&alice).next().unwrap().object_id();
    let mut client = serve(ledger).await;

    let info = client
        .ledger_client()
        .get_service_info(proto::GetServiceInfoRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.checkpoint_height, Some(0));
    assert!(info.chain_id.is_some());
    let mut epoch = proto::GetEpochRequest::default();
    epoch.read_mask = Some(mask(&["reference_gas_price"]));
    let epoch = client
        .ledger_client()
        .get_epoch(epoch)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        epoch.epoch.unwrap().reference_gas_price,
        Some(REFERENCE_GAS_PRICE)
    );

    // A dry run of a payment built without gas (the server picks the coins, price and budget)
    // writes nothing.
    let mut draft = proto::Transaction::from(pay(
        alice,
        reference(&mut client, alice_coin).await,
        bob,
        MIST_PER_SUI,
    ));
    draft.bcs = None;
    draft.gas_payment = Some(proto::GasPayment::default());
    let mut simulate = proto::SimulateTransactionRequest::default();
    simulate.transaction = Some(draft);
    simulate.do_gas_selection = Some(true);
    simulate.read_mask = Some(mask(&[
        "transaction.effects.status",
        "transaction.transaction.gas_payment",
    ]));
    let dry = client
        .execution_client()
        .simulate_transaction(simulate)
        .await
        .unwrap()
        .into_inner()
        .transaction
        .unwrap();
    assert!(status(&dry).success(), "{dry:?}");
    let gas_payment = dry.transaction.unwrap().gas_payment.unwrap();
    assert_eq!(gas_payment.objects.len(), 1);
    assert_eq!(gas_payment.price, Some(REFERENCE_GAS_PRICE));
    assert!(gas_payment.budget.unwrap() < BUDGET, "{gas_payment:?}");
    assert_eq!(balance(&mut client, bob).await, MIST_PER_SUI);

    // Alice pays Bob 2 SUI.
    let gas = reference(&mut client, alice_coin).await;
    let tx = pay(alice, gas.clone(), bob, 2 * MIST_PER_SUI);
    let done = execute(&mut client, &tx, &alice_key).await.unwrap();
    assert!(status(&done).success(), "{done:?}");
    assert_eq!(done.checkpoint, Some(1));
    assert_eq!(
        done.digest.as_deref(),
        Some(tx.digest().to_string().as_str())
    );
    let effects = done.effects.as_ref().unwrap();
    let gas_used = effects.gas_used.as_ref().unwrap();
    let net = gas_used.computation_cost() + gas_used.storage_cost() - gas_used.storage_rebate();
    assert_eq!(balance(&mut client, bob).await, 3 * MIST_PER_SUI);
    assert_eq!(balance(&mut client, alice).await, 8 * MIST_PER_SUI - net);
    // Executing it again answers the same effects and changes nothing.
    let again = execute(&mut client, &tx, &alice_key).await.unwrap();
    assert_eq!(again.checkpoint, Some(1));
    assert_eq!(balance(&mut client, bob).await, 3 * MIST_PER_SUI);

    // Bob now owns two coins; the new one is at the transaction's lamport version.
    let mut list = proto::ListOwnedObjectsRequest::default();
    list.owner = Some(bob.to_string());
    list.read_mask = Some(mask(&["object_id", "version", "object_type", "owner"]));
    let owned = client
        .state_client()
        .list_owned_objects(list)
        .await
        .unwrap()
        .into_inner()
        .objects;
    assert_eq!(owned.len(), 2);
    assert!(
        owned.iter().all(|o| o.object_type().contains(
            "Coin<0x0000000000000000000000000000000000000000000000000000000000000002::sui::SUI>"
        )),
        "{owned:?}"
    );
    assert!(owned.iter().any(|o| o.version == Some(2)), "{owned:?}");
    // The transaction and its checkpoint.
    let mut get = proto::GetTransactionRequest::default();
    get.digest = Some(tx.digest().to_string());
    get.read_mask = Some(mask(&["effects.status", "checkpoint"]));
    let got = client
        .ledger_client()
        .get_transaction(get)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.transaction.as_ref().unwrap().checkpoint, Some(1));
    let mut checkpoint = proto::GetCheckpointRequest::default();
    checkpoint.read_mask = Some(mask(&[
        "sequence_number",
        "summary.previous_digest",
        "contents",
    ]));
    let latest = client
        .ledger_client()
        .get_checkpoint(checkpoint)
        .await
        .unwrap()
        .into_inner();
    let latest = latest.checkpoint.unwrap();
    assert_eq!(latest.sequence_number, Some(1));
    assert!(latest.summary.unwrap().previous_digest.is_some());
    assert_eq!(latest.contents.unwrap().transactions.len(), 1);

    // Refusals change nothing: a stale gas version, another's signature, a Move call.
    let before = (
        balance(&mut client, alice).await,
        balance(&mut client, bob).await,
    );
    let stale = pay(alice, gas, bob, 1);
    let refused = execute(&mut client, &stale, &alice_key).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().contains("version"), "{refused:?}");
    let gas = reference(&mut client, alice_coin).await;
    let forged = pay(alice, gas.clone(), bob, MIST_PER_SUI);
    let refused = execute(&mut client, &forged, &bob_key).await.unwrap_err();
    assert!(refused.message().contains("signed by"), "{refused:?}");
    let mut call = pay(alice, gas.clone(), bob, 1);
    if let TransactionKind::ProgrammableTransaction(p) = &mut call.kind {
        p.commands.push(Command::MoveCall(sui_sdk_types::MoveCall {
            package: Address::TWO,
            module: sui_sdk_types::Identifier::new("coin").unwrap(),
            function: sui_sdk_types::Identifier::new("zero").unwrap(),
            type_arguments: vec![],
            arguments: vec![],
        }));
    }
    let refused = execute(&mut client, &call, &alice_key).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unimplemented, "{refused:?}");
    assert_eq!(
        (
            balance(&mut client, alice).await,
            balance(&mut client, bob).await
        ),
        before
    );

    // Failures are committed with gas charged and nothing else changed: a split larger than
    // the coin, and a new coin left unused (coins cannot be dropped).
    let too_much = pay(alice, gas, bob, 100 * MIST_PER_SUI);
    let failed = execute(&mut client, &too_much, &alice_key).await.unwrap();
    assert!(!status(&failed).success());
    assert_eq!(
        status(&failed).error.as_ref().unwrap().kind(),
        proto::execution_error::ExecutionErrorKind::InsufficientCoinBalance
    );
    let charged = before.0 - balance(&mut client, alice).await;
    assert!(charged > 0 && charged <= BUDGET, "{charged}");
    assert_eq!(balance(&mut client, bob).await, before.1);
    let gas = reference(&mut client, alice_coin).await;
    let unused = transaction(
        alice,
        gas,
        vec![Input::Pure(bcs::to_bytes(&5u64).unwrap())],
        vec![Command::SplitCoins(SplitCoins {
            coin: Argument::Gas,
            amounts: vec![Argument::Input(0)],
        })],
    );
    let failed = execute(&mut client, &unused, &alice_key).await.unwrap();
    assert_eq!(
        status(&failed).error.as_ref().unwrap().kind(),
        proto::execution_error::ExecutionErrorKind::UnusedValueWithoutDrop
    );

    // Calls this ledger does not serve yet answer UNIMPLEMENTED.
    let refused = client
        .state_client()
        .list_dynamic_fields(proto::ListDynamicFieldsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unimplemented);
}

#[tokio::test]
async fn subscribers_follow_every_checkpoint_and_the_client_waits_for_finality() {
    let key = Ed25519PrivateKey::new([9; 32]);
    let alice = key.public_key().derive_address();
    let bob = Address::new([0xb0; 32]);
    let ledger = Ledger::genesis(&[(alice, 10 * MIST_PER_SUI)]);
    let coin = ledger.owned_objects(&alice).next().unwrap().object_id();
    let mut client = serve(ledger).await;
    let mut request = proto::SubscribeCheckpointsRequest::default();
    request.read_mask = Some(mask(&["sequence_number", "contents"]));
    let mut frames = client
        .subscription_client()
        .subscribe_checkpoints(request)
        .await
        .unwrap()
        .into_inner();
    // The stream starts at the latest checkpoint.
    let first = frames.message().await.unwrap().unwrap();
    assert_eq!(first.cursor, Some(0));
    let mut digests = Vec::new();
    for amount in 1..=3u64 {
        let gas = reference(&mut client, coin).await;
        let tx = pay(alice, gas, bob, amount);
        let signature = key.sign_transaction(&tx).unwrap();
        let mut request = proto::ExecuteTransactionRequest::new(tx.clone().into());
        request.signatures = vec![signature.into()];
        // The official client's helper: execute, then wait until a checkpoint holds it.
        let done = client
            .execute_transaction_and_wait_for_checkpoint(
                request,
                std::time::Duration::from_secs(10),
            )
            .await
            .unwrap()
            .into_inner()
            .transaction
            .unwrap();
        assert_eq!(done.checkpoint, Some(amount));
        digests.push(tx.digest().to_string());
    }
    // Every checkpoint, in order, each holding its transaction.
    for (n, digest) in (1u64..).zip(&digests) {
        let frame = frames.message().await.unwrap().unwrap();
        assert_eq!(frame.cursor, Some(n));
        let checkpoint = frame.checkpoint.unwrap();
        assert_eq!(checkpoint.sequence_number, Some(n));
        let contents = checkpoint.contents.unwrap();
        assert_eq!(contents.transactions.len(), 1);
        assert_eq!(contents.transactions[0].transaction.as_ref(), Some(digest));
    }
    assert_eq!(balance(&mut client, bob).await, 6);
    // Filters are not served yet: refused, not ignored.
    let mut filtered = proto::SubscribeCheckpointsRequest::default();
    filtered.filter = Some(proto::TransactionFilter::default());
    let refused = client
        .subscription_client()
        .subscribe_checkpoints(filtered)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unimplemented);
}

#[tokio::test]
async fn a_durable_ledger_reopens_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let key = Ed25519PrivateKey::new([10; 32]);
    let alice = key.public_key().derive_address();
    let bob = Address::new([0xb1; 32]);
    let api = SuiApi::open(dir.path(), &[(alice, 10 * MIST_PER_SUI)]).unwrap();
    let (mut client, stop) = serve_api(api).await;
    let mut list = proto::ListOwnedObjectsRequest::default();
    list.owner = Some(alice.to_string());
    let coin: Address = client
        .state_client()
        .list_owned_objects(list)
        .await
        .unwrap()
        .into_inner()
        .objects[0]
        .object_id
        .as_ref()
        .unwrap()
        .parse()
        .unwrap();
    let gas = reference(&mut client, coin).await;
    let paid = execute(&mut client, &pay(alice, gas, bob, 2 * MIST_PER_SUI), &key)
        .await
        .unwrap();
    assert!(status(&paid).success());
    let info = |mut client: sui_rpc::Client| async move {
        client
            .ledger_client()
            .get_service_info(proto::GetServiceInfoRequest::default())
            .await
            .unwrap()
            .into_inner()
    };
    let before = info(client.clone()).await;
    let coin_before = reference(&mut client, coin).await;
    stop().await.unwrap().unwrap();

    // Reopened (other allocations are ignored for an existing ledger): the same chain.
    let api = SuiApi::open(dir.path(), &[(bob, 99)]).unwrap();
    let (mut client, stop) = serve_api(api).await;
    let after = info(client.clone()).await;
    assert_eq!(after.chain_id, before.chain_id);
    assert_eq!(after.checkpoint_height, Some(1));
    assert_eq!(after.timestamp, before.timestamp);
    assert_eq!(reference(&mut client, coin).await, coin_before);
    assert_eq!(balance(&mut client, bob).await, 2 * MIST_PER_SUI);
    // And it goes on from there.
    let more = execute(&mut client, &pay(alice, coin_before, bob, 1), &key)
        .await
        .unwrap();
    assert_eq!(more.checkpoint, Some(2));
    stop().await.unwrap().unwrap();
}
