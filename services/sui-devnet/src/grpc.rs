//! The Sui gRPC API (`sui.rpc.v2`) over a [`Ledger`], with the server traits `sui-rpc`
//! generates. Answered: `LedgerService` (GetServiceInfo, GetObject, BatchGetObjects,
//! GetTransaction, BatchGetTransactions, GetCheckpoint, GetEpoch without its system state and
//! committee), `StateService` (ListOwnedObjects,
//! GetBalance), `SubscriptionService` (SubscribeCheckpoints, without filters) and
//! `TransactionExecutionService` (ExecuteTransaction, and SimulateTransaction
//! with Sui's server-side resolution: object inputs given by ID only get their version, digest
//! and kind, the gas price defaults to the reference price, gas coins are selected from the
//! sender's SUI coins, and a missing budget is estimated by a dry run). Every other call answers
//! `UNIMPLEMENTED` (the traits' defaults), never a made-up answer. Read masks select fields as
//! Sui's do, with Sui's defaults when a request has none.

use std::str::FromStr as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sui_crypto::SuiSigner as _;
use sui_crypto::ed25519::Ed25519PrivateKey;
use sui_rpc::field::FieldMaskTree;
use sui_rpc::merge::Merge as _;
use sui_rpc::proto::sui::rpc::v2 as proto;
use sui_rpc::proto::sui::rpc::v2::ledger_service_server::{LedgerService, LedgerServiceServer};
use sui_rpc::proto::sui::rpc::v2::state_service_server::{StateService, StateServiceServer};
use sui_rpc::proto::sui::rpc::v2::subscription_service_server::{
    SubscriptionService, SubscriptionServiceServer,
};
use sui_rpc::proto::sui::rpc::v2::transaction_execution_service_server::{
    TransactionExecutionService, TransactionExecutionServiceServer,
};
use sui_sdk_types::{Address, Digest, ObjectReference, StructTag, Transaction};
use tonic::{Request, Response, Status};

use walrus_chain::devnet::journal::JournalOptions;

use crate::durable::{ExecuteError, Node, OpenError};
use crate::ledger::{
    Executed, Ledger, MAX_GAS_BUDGET, MIN_GAS_BUDGET, REFERENCE_GAS_PRICE, Refusal,
};

/// The most gas coins a selection takes (Sui's `max_gas_payment_objects`).
const MAX_GAS_COINS: usize = 256;

/// Sui's default read masks.
const OBJECT_MASK: &str = "object_id,version,digest";
const TRANSACTION_MASK: &str = "digest";
const CHECKPOINT_MASK: &str = "sequence_number,digest";
const OWNED_OBJECTS_MASK: &str = "object_id,version,object_type";
const EXECUTE_MASK: &str = "effects.status";
const EPOCH_MASK: &str = "epoch,first_checkpoint,start,reference_gas_price";
/// The most objects or transactions one batch request may name.
const MAX_BATCH: usize = 1000;
/// The largest page of owned objects.
const MAX_PAGE: usize = 1000;

/// The ledger shared by the services.
#[derive(Debug, Clone)]
pub struct SuiApi {
    ledger: Arc<Mutex<Node>>,
    /// The latest checkpoint's sequence number, for subscribers.
    latest: Arc<tokio::sync::watch::Sender<u64>>,
}

impl SuiApi {
    /// The API over `ledger`, kept in memory only.
    pub fn new(ledger: Ledger) -> Self {
        Self::over(Node::in_memory(ledger))
    }

    /// The API over the durable ledger in `dir` (created with `allocations` when new; see
    /// [`Node::open`]).
    pub fn open(dir: &std::path::Path, allocations: &[(Address, u64)]) -> Result<Self, OpenError> {
        Node::open(dir, allocations, JournalOptions::default()).map(Self::over)
    }

    fn over(node: Node) -> Self {
        let latest = node.latest_checkpoint().summary.sequence_number;
        Self {
            ledger: Arc::new(Mutex::new(node)),
            latest: Arc::new(tokio::sync::watch::Sender::new(latest)),
        }
    }

    /// Sends `amount` MIST in a new coin from `key`'s address to `recipient`, in a transaction
    /// signed by `key` and paid from its largest SUI coin; the digest and the new coin's ID.
    pub fn send_sui(
        &self,
        key: &Ed25519PrivateKey,
        recipient: Address,
        amount: u64,
    ) -> Result<(Digest, Address), Status> {
        const BUDGET: u64 = 10_000_000;
        let sender = key.public_key().derive_address();
        let (digest, coin, latest) = {
            let mut node = self.ledger();
            let gas = node
                .owned_objects(&sender)
                .filter_map(|o| crate::ledger::sui_balance(o).map(|b| (b, o)))
                .filter(|(b, _)| *b >= amount.saturating_add(BUDGET))
                .max_by_key(|(b, _)| *b)
                .map(|(_, o)| ObjectReference::new(o.object_id(), o.version(), o.digest()))
                .ok_or_else(|| {
                    Status::failed_precondition(format!(
                        "{sender} has no coin of {amount} MIST plus gas left"
                    ))
                })?;
            let transaction = crate::ledger::payment(sender, gas, recipient, amount, BUDGET)
                .map_err(|e| Status::internal(format!("encoding an input: {e}")))?;
            let signature = key
                .sign_transaction(&transaction)
                .map_err(|e| Status::internal(format!("signing: {e}")))?;
            let done = node
                .execute(transaction, vec![signature])
                .map_err(|e| Status::unavailable(e.to_string()))?;
            if !matches!(
                &done.effects,
                sui_sdk_types::TransactionEffects::V2(e)
                    if e.status == sui_sdk_types::ExecutionStatus::Success
            ) {
                return Err(Status::internal(format!(
                    "the transfer {} failed in execution",
                    done.digest
                )));
            }
            let coin = done
                .output_objects
                .iter()
                .find(|o| o.owner() == &sui_sdk_types::Owner::Address(recipient))
                .map(sui_sdk_types::Object::object_id)
                .ok_or_else(|| Status::internal("the transfer created no coin"))?;
            (
                done.digest,
                coin,
                node.latest_checkpoint().summary.sequence_number,
            )
        };
        self.latest.send_replace(latest);
        Ok((digest, coin))
    }

    /// The SUI `owner` holds.
    pub fn sui_balance(&self, owner: &Address) -> u64 {
        self.ledger().sui_balance(owner)
    }

    fn ledger(&self) -> MutexGuard<'_, Node> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A tonic router serving every implemented service.
    pub fn router(&self) -> tonic::service::Routes {
        tonic::service::Routes::new(LedgerServiceServer::new(self.clone()))
            .add_service(StateServiceServer::new(self.clone()))
            .add_service(TransactionExecutionServiceServer::new(self.clone()))
            .add_service(SubscriptionServiceServer::new(self.clone()))
    }
}

fn mask(request: Option<&prost_types::FieldMask>, default: &str) -> Result<FieldMaskTree, Status> {
    match request {
        Some(mask) if !mask.paths.is_empty() => Ok(FieldMaskTree::from_field_mask(mask)),
        _ => FieldMaskTree::from_str(default)
            .map_err(|e| Status::internal(format!("default read mask: {e:?}"))),
    }
}

fn address(field: &str, text: Option<&str>) -> Result<Address, Status> {
    let text = text.ok_or_else(|| Status::invalid_argument(format!("missing {field}")))?;
    Address::from_str(text)
        .map_err(|e| Status::invalid_argument(format!("invalid {field} {text:?}: {e:?}")))
}

fn digest(field: &str, text: Option<&str>) -> Result<Digest, Status> {
    let text = text.ok_or_else(|| Status::invalid_argument(format!("missing {field}")))?;
    Digest::from_str(text)
        .map_err(|e| Status::invalid_argument(format!("invalid {field} {text:?}: {e:?}")))
}

fn timestamp(ms: u64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: (ms / 1000) as i64,
        nanos: ((ms % 1000) * 1_000_000) as i32,
    }
}

/// `object` as the API shows it: the fields `mask` selects, and a coin's `balance` when asked.
fn object(object: &sui_sdk_types::Object, mask: &FieldMaskTree) -> proto::Object {
    let mut shown = proto::Object::merge_from(object.clone(), mask);
    if mask.contains("balance") {
        shown.balance = crate::ledger::sui_balance(object);
    }
    shown
}

fn wildcard() -> FieldMaskTree {
    FieldMaskTree::new_wildcard()
}

/// An executed transaction as the API shows it, with only the fields `mask` selects.
fn executed(executed: &Executed, mask: &FieldMaskTree) -> proto::ExecutedTransaction {
    let mut full = proto::ExecutedTransaction::default();
    full.digest = Some(executed.digest.to_string());
    full.transaction = Some(proto::Transaction::merge_from(
        executed.transaction.clone(),
        &wildcard(),
    ));
    full.signatures = executed
        .signatures
        .iter()
        .map(|s| proto::UserSignature::merge_from(s.clone(), &wildcard()))
        .collect();
    full.effects = Some(proto::TransactionEffects::merge_from(
        &executed.effects,
        &wildcard(),
    ));
    full.checkpoint = Some(executed.checkpoint);
    full.timestamp = Some(timestamp(executed.timestamp_ms));
    let mut objects = proto::ObjectSet::default();
    let mut all: Vec<_> = executed
        .input_objects
        .iter()
        .chain(&executed.output_objects)
        .map(|o| proto::Object::merge_from(o.clone(), &wildcard()))
        .collect();
    all.sort_by(|a, b| (&a.object_id, a.version).cmp(&(&b.object_id, b.version)));
    objects.objects = all;
    full.objects = Some(objects);
    proto::ExecutedTransaction::merge_from(&full, mask)
}

/// A checkpoint as the API shows it: summary fields, contents and transactions as `mask` asks.
fn checkpoint_answer(
    ledger: &Ledger,
    checkpoint: &crate::ledger::Checkpoint,
    mask: &FieldMaskTree,
) -> proto::Checkpoint {
    let mut answer = proto::Checkpoint::merge_from(&checkpoint.summary, mask);
    if let Some(submask) = mask.subtree("contents") {
        answer.contents = Some(proto::CheckpointContents::merge_from(
            checkpoint.contents.clone(),
            &submask,
        ));
    }
    if let Some(submask) = mask.subtree("transactions") {
        answer.transactions = checkpoint
            .contents
            .transactions()
            .iter()
            .filter_map(|t| ledger.transaction(t.transaction()))
            .map(|t| executed(t, &submask))
            .collect();
    }
    answer
}

fn refusal_status(refusal: Refusal) -> Status {
    match refusal {
        Refusal::Unimplemented(_) => Status::unimplemented(refusal.to_string()),
        _ => Status::invalid_argument(refusal.to_string()),
    }
}

#[tonic::async_trait]
impl LedgerService for SuiApi {
    async fn get_service_info(
        &self,
        _request: Request<proto::GetServiceInfoRequest>,
    ) -> Result<Response<proto::GetServiceInfoResponse>, Status> {
        let ledger = self.ledger();
        let latest = &ledger.latest_checkpoint().summary;
        let mut info = proto::GetServiceInfoResponse::default();
        info.chain_id = Some(ledger.chain_id().to_string());
        info.chain = Some("unknown".to_owned());
        info.epoch = Some(ledger.epoch());
        info.checkpoint_height = Some(latest.sequence_number);
        info.timestamp = Some(timestamp(latest.timestamp_ms));
        info.lowest_available_checkpoint = Some(0);
        info.lowest_available_checkpoint_objects = Some(0);
        info.server = Some(format!("walrus-sui-devnet/{}", env!("CARGO_PKG_VERSION")));
        Ok(Response::new(info))
    }

    async fn get_object(
        &self,
        request: Request<proto::GetObjectRequest>,
    ) -> Result<Response<proto::GetObjectResponse>, Status> {
        let request = request.into_inner();
        let mask = mask(request.read_mask.as_ref(), OBJECT_MASK)?;
        let id = address("object_id", request.object_id.as_deref())?;
        let ledger = self.ledger();
        let found = ledger
            .object(&id)
            .filter(|o| request.version.is_none_or(|v| v == o.version()))
            .ok_or_else(|| match request.version {
                Some(v) => Status::not_found(format!(
                    "object {id} at version {v} not found (only live versions are kept)"
                )),
                None => Status::not_found(format!("object {id} not found")),
            })?;
        let mut response = proto::GetObjectResponse::default();
        response.object = Some(object(found, &mask));
        Ok(Response::new(response))
    }

    async fn batch_get_objects(
        &self,
        request: Request<proto::BatchGetObjectsRequest>,
    ) -> Result<Response<proto::BatchGetObjectsResponse>, Status> {
        let request = request.into_inner();
        if request.requests.len() > MAX_BATCH {
            return Err(Status::invalid_argument(format!(
                "{} objects requested; at most {MAX_BATCH}",
                request.requests.len()
            )));
        }
        let mask = mask(request.read_mask.as_ref(), OBJECT_MASK)?;
        let ledger = self.ledger();
        let mut response = proto::BatchGetObjectsResponse::default();
        for item in request.requests {
            let mut result = proto::GetObjectResult::default();
            match address("object_id", item.object_id.as_deref()) {
                Ok(id) => match ledger
                    .object(&id)
                    .filter(|o| item.version.is_none_or(|v| v == o.version()))
                {
                    Some(found) => {
                        result.result = Some(proto::get_object_result::Result::Object(object(
                            found, &mask,
                        )));
                    }
                    None => {
                        result.result = Some(proto::get_object_result::Result::Error(
                            error_status(tonic::Code::NotFound, format!("object {id} not found")),
                        ));
                    }
                },
                Err(status) => {
                    result.result = Some(proto::get_object_result::Result::Error(error_status(
                        status.code(),
                        status.message().to_owned(),
                    )));
                }
            }
            response.objects.push(result);
        }
        Ok(Response::new(response))
    }

    async fn get_transaction(
        &self,
        request: Request<proto::GetTransactionRequest>,
    ) -> Result<Response<proto::GetTransactionResponse>, Status> {
        let request = request.into_inner();
        let mask = mask(request.read_mask.as_ref(), TRANSACTION_MASK)?;
        let digest = digest("digest", request.digest.as_deref())?;
        let ledger = self.ledger();
        let found = ledger
            .transaction(&digest)
            .ok_or_else(|| Status::not_found(format!("transaction {digest} not found")))?;
        let mut response = proto::GetTransactionResponse::default();
        response.transaction = Some(executed(found, &mask));
        Ok(Response::new(response))
    }

    async fn batch_get_transactions(
        &self,
        request: Request<proto::BatchGetTransactionsRequest>,
    ) -> Result<Response<proto::BatchGetTransactionsResponse>, Status> {
        let request = request.into_inner();
        if request.digests.len() > MAX_BATCH {
            return Err(Status::invalid_argument(format!(
                "{} transactions requested; at most {MAX_BATCH}",
                request.digests.len()
            )));
        }
        let mask = mask(request.read_mask.as_ref(), TRANSACTION_MASK)?;
        let ledger = self.ledger();
        let mut response = proto::BatchGetTransactionsResponse::default();
        for text in request.digests {
            let mut result = proto::GetTransactionResult::default();
            result.result = Some(match digest("digest", Some(&text)) {
                Ok(d) => match ledger.transaction(&d) {
                    Some(found) => {
                        proto::get_transaction_result::Result::Transaction(executed(found, &mask))
                    }
                    None => proto::get_transaction_result::Result::Error(error_status(
                        tonic::Code::NotFound,
                        format!("transaction {d} not found"),
                    )),
                },
                Err(status) => proto::get_transaction_result::Result::Error(error_status(
                    status.code(),
                    status.message().to_owned(),
                )),
            });
            response.transactions.push(result);
        }
        Ok(Response::new(response))
    }

    async fn get_checkpoint(
        &self,
        request: Request<proto::GetCheckpointRequest>,
    ) -> Result<Response<proto::GetCheckpointResponse>, Status> {
        let request = request.into_inner();
        let mask = mask(request.read_mask.as_ref(), CHECKPOINT_MASK)?;
        let ledger = self.ledger();
        let checkpoint = match &request.checkpoint_id {
            None => Some(ledger.latest_checkpoint()),
            Some(proto::get_checkpoint_request::CheckpointId::SequenceNumber(n)) => {
                ledger.checkpoint(*n)
            }
            Some(proto::get_checkpoint_request::CheckpointId::Digest(d)) => {
                ledger.checkpoint_by_digest(&digest("digest", Some(d))?)
            }
            Some(_) => return Err(Status::unimplemented("this checkpoint selector")),
        }
        .ok_or_else(|| Status::not_found("checkpoint not found"))?;
        let mut response = proto::GetCheckpointResponse::default();
        response.checkpoint = Some(checkpoint_answer(&ledger, checkpoint, &mask));
        Ok(Response::new(response))
    }

    async fn get_epoch(
        &self,
        request: Request<proto::GetEpochRequest>,
    ) -> Result<Response<proto::GetEpochResponse>, Status> {
        let mut response = proto::GetEpochResponse::default();
        response.epoch = Some(self.epoch(request.into_inner())?);
        Ok(Response::new(response))
    }
}

impl SuiApi {
    /// `GetEpoch` for the current epoch (the only one so far).
    fn epoch(&self, request: proto::GetEpochRequest) -> Result<proto::Epoch, Status> {
        let mask = mask(request.read_mask.as_ref(), EPOCH_MASK)?;
        let ledger = self.ledger();
        if request.epoch.is_some_and(|e| e != ledger.epoch()) {
            return Err(Status::not_found(format!(
                "epoch {} not found; the current epoch is {}",
                request.epoch.unwrap_or_default(),
                ledger.epoch()
            )));
        }
        let mut full = proto::Epoch::default();
        full.epoch = Some(ledger.epoch());
        full.first_checkpoint = Some(0);
        full.start = ledger
            .checkpoint(0)
            .map(|c| timestamp(c.summary.timestamp_ms));
        full.reference_gas_price = Some(REFERENCE_GAS_PRICE);
        Ok(proto::Epoch::merge_from(&full, &mask))
    }
}

fn error_status(code: tonic::Code, message: String) -> sui_rpc::proto::google::rpc::Status {
    sui_rpc::proto::google::rpc::Status {
        code: code as i32,
        message,
        ..Default::default()
    }
}

#[tonic::async_trait]
impl StateService for SuiApi {
    async fn list_owned_objects(
        &self,
        request: Request<proto::ListOwnedObjectsRequest>,
    ) -> Result<Response<proto::ListOwnedObjectsResponse>, Status> {
        let request = request.into_inner();
        let mask = mask(request.read_mask.as_ref(), OWNED_OBJECTS_MASK)?;
        let owner = address("owner", request.owner.as_deref())?;
        let object_type = match request.object_type.as_deref() {
            Some(text) => Some(StructTag::from_str(text).map_err(|e| {
                Status::invalid_argument(format!("invalid object_type {text:?}: {e:?}"))
            })?),
            None => None,
        };
        let page_size = request
            .page_size
            .map_or(50, |n| n as usize)
            .clamp(1, MAX_PAGE);
        // The page token is the last object ID of the previous page.
        let after = match request.page_token.as_deref() {
            Some(token) => Some(Address::from_bytes(token).map_err(|_| {
                Status::invalid_argument("invalid page_token (not from a previous page)")
            })?),
            None => None,
        };
        let ledger = self.ledger();
        let mut page: Vec<_> = ledger
            .owned_objects(&owner)
            .filter(|o| after.is_none_or(|a| o.object_id() > a))
            .filter(|o| {
                object_type
                    .as_ref()
                    .is_none_or(|t| o.as_struct().is_some_and(|s| s.object_type() == t))
            })
            .take(page_size + 1)
            .collect();
        let more = page.len() > page_size;
        page.truncate(page_size);
        let mut response = proto::ListOwnedObjectsResponse::default();
        response.next_page_token = if more {
            page.last()
                .map(|o| o.object_id().into_inner().to_vec().into())
        } else {
            None
        };
        response.objects = page.into_iter().map(|o| object(o, &mask)).collect();
        Ok(Response::new(response))
    }

    async fn get_balance(
        &self,
        request: Request<proto::GetBalanceRequest>,
    ) -> Result<Response<proto::GetBalanceResponse>, Status> {
        let request = request.into_inner();
        let owner = address("owner", request.owner.as_deref())?;
        let sui = StructTag::sui().to_string();
        let asked = request.coin_type.as_deref().unwrap_or(&sui);
        let is_sui = sui_sdk_types::TypeTag::from_str(asked)
            .map_err(|e| Status::invalid_argument(format!("invalid coin_type {asked:?}: {e:?}")))?
            == sui_sdk_types::TypeTag::Struct(Box::new(StructTag::sui()));
        let amount = if is_sui {
            self.ledger().sui_balance(&owner)
        } else {
            0
        };
        let mut balance = proto::Balance::default();
        balance.coin_type = Some(asked.to_owned());
        balance.balance = Some(amount);
        balance.coin_balance = Some(amount);
        balance.address_balance = Some(0);
        let mut response = proto::GetBalanceResponse::default();
        response.balance = Some(balance);
        Ok(Response::new(response))
    }
}

#[tonic::async_trait]
impl TransactionExecutionService for SuiApi {
    async fn execute_transaction(
        &self,
        request: Request<proto::ExecuteTransactionRequest>,
    ) -> Result<Response<proto::ExecuteTransactionResponse>, Status> {
        let request = request.into_inner();
        let mask = mask(request.read_mask.as_ref(), EXECUTE_MASK)?;
        let transaction = request
            .transaction
            .as_ref()
            .ok_or_else(|| Status::invalid_argument("missing transaction"))?;
        let transaction = Transaction::try_from(transaction)
            .map_err(|e| Status::invalid_argument(format!("invalid transaction: {e:?}")))?;
        let signatures = request
            .signatures
            .iter()
            .map(sui_sdk_types::UserSignature::try_from)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Status::invalid_argument(format!("invalid signature: {e:?}")))?;
        let (response, latest) = {
            let mut ledger = self.ledger();
            let done = ledger
                .execute(transaction, signatures)
                .map_err(|e| match e {
                    ExecuteError::Refused(refusal) => refusal_status(refusal),
                    other => Status::unavailable(other.to_string()),
                })?;
            let mut response = proto::ExecuteTransactionResponse::default();
            response.transaction = Some(executed(done, &mask));
            (response, ledger.latest_checkpoint().summary.sequence_number)
        };
        self.latest.send_replace(latest);
        Ok(Response::new(response))
    }

    async fn simulate_transaction(
        &self,
        request: Request<proto::SimulateTransactionRequest>,
    ) -> Result<Response<proto::SimulateTransactionResponse>, Status> {
        let request = request.into_inner();
        let mask = mask(request.read_mask.as_ref(), SIMULATE_MASK)?;
        let transaction = request
            .transaction
            .ok_or_else(|| Status::invalid_argument("missing transaction"))?;
        let checks_disabled = request.checks
            == Some(proto::simulate_transaction_request::TransactionChecks::Disabled as i32);
        let ledger = self.ledger();
        let resolved = resolve(
            &ledger,
            transaction,
            request.do_gas_selection.unwrap_or(false),
            checks_disabled,
        )?;
        let mut answer = proto::ExecutedTransaction::default();
        match resolved {
            Resolved::Kind(transaction) => answer.transaction = Some(transaction),
            Resolved::Full(transaction) => {
                let done = ledger.simulate(transaction).map_err(refusal_status)?;
                answer = executed(&done, &wildcard());
                answer.checkpoint = None;
                answer.timestamp = None;
            }
        }
        let mut response = proto::SimulateTransactionResponse::default();
        response.transaction = mask
            .subtree("transaction")
            .map(|m| proto::ExecutedTransaction::merge_from(&answer, &m));
        response.suggested_gas_price = Some(REFERENCE_GAS_PRICE);
        Ok(Response::new(response))
    }
}

/// The default read mask of `SimulateTransaction`.
const SIMULATE_MASK: &str = "transaction.effects.status";

/// A transaction after resolution.
enum Resolved {
    /// Only its kind matters (checks disabled): the proto form, inputs resolved.
    Kind(proto::Transaction),
    /// Complete.
    Full(Transaction),
}

/// Sui's server-side resolution of a transaction a client built without every detail.
fn resolve(
    ledger: &Ledger,
    mut tx: proto::Transaction,
    do_gas_selection: bool,
    checks_disabled: bool,
) -> Result<Resolved, Status> {
    if tx.bcs.is_some() {
        return Transaction::try_from(&tx)
            .map(Resolved::Full)
            .map_err(|e| Status::invalid_argument(format!("invalid transaction: {e:?}")));
    }
    tx.version.get_or_insert(1);
    if tx.expiration.is_none() {
        let mut none = proto::TransactionExpiration::default();
        none.set_kind(proto::transaction_expiration::TransactionExpirationKind::None);
        tx.expiration = Some(none);
    }
    let mut used = std::collections::BTreeSet::new();
    if let Some(kind) = tx.kind.as_mut()
        && kind.kind.is_none()
        && matches!(
            kind.data,
            Some(proto::transaction_kind::Data::ProgrammableTransaction(_))
        )
    {
        // Clients may send only the oneof; the kind follows from it.
        kind.set_kind(proto::transaction_kind::Kind::ProgrammableTransaction);
    }
    if let Some(proto::transaction_kind::Data::ProgrammableTransaction(ptb)) =
        tx.kind.as_mut().and_then(|k| k.data.as_mut())
    {
        for (i, input) in ptb.inputs.iter_mut().enumerate() {
            let Some(text) = input.object_id.clone() else {
                if input.pure.is_some() {
                    input.set_kind(proto::input::InputKind::Pure);
                }
                continue;
            };
            let id = address(&format!("input {i} object_id"), Some(&text))?;
            used.insert(id);
            let object = ledger
                .object(&id)
                .ok_or_else(|| Status::not_found(format!("input {i}: object {id} not found")))?;
            match object.owner() {
                sui_sdk_types::Owner::Address(_) | sui_sdk_types::Owner::Immutable => {
                    input.set_kind(proto::input::InputKind::ImmutableOrOwned);
                    input.version.get_or_insert(object.version());
                    input
                        .digest
                        .get_or_insert_with(|| object.digest().to_string());
                }
                _ => {
                    return Err(Status::unimplemented(format!(
                        "input {i}: shared and object-owned objects are not supported yet"
                    )));
                }
            }
        }
    }
    if checks_disabled {
        return Ok(Resolved::Kind(tx));
    }
    let sender = address("sender", tx.sender.as_deref())?;
    let gas = tx.gas_payment.get_or_insert_with(Default::default);
    gas.owner.get_or_insert_with(|| sender.to_string());
    gas.price.get_or_insert(REFERENCE_GAS_PRICE);
    if gas.objects.is_empty() && do_gas_selection {
        let mut coins: Vec<_> = ledger
            .owned_objects(&sender)
            .filter(|o| !used.contains(&o.object_id()))
            .filter_map(|o| crate::ledger::sui_balance(o).map(|b| (b, o)))
            .collect();
        coins.sort_by_key(|c| std::cmp::Reverse(c.0));
        let want = gas.budget.unwrap_or(u64::MAX);
        let mut total = 0u64;
        for (balance, coin) in coins.into_iter().take(MAX_GAS_COINS) {
            if total >= want {
                break;
            }
            total = total.saturating_add(balance);
            let mut reference = proto::ObjectReference::default();
            reference.object_id = Some(coin.object_id().to_string());
            reference.version = Some(coin.version());
            reference.digest = Some(coin.digest().to_string());
            gas.objects.push(reference);
        }
        if gas.objects.is_empty() {
            return Err(Status::failed_precondition(format!(
                "{sender} has no SUI coin to pay gas with"
            )));
        }
    }
    if gas.budget.is_none() {
        // Dry runs with growing budgets (the budget is set aside from the gas coin while the
        // commands run, so the whole balance would leave nothing to spend), then the cost the
        // first that could pay reported.
        let price = gas.price.unwrap_or(REFERENCE_GAS_PRICE);
        let held = gas
            .objects
            .iter()
            .filter_map(|r| r.object_id.as_deref())
            .filter_map(|t| Address::from_str(t).ok())
            .filter_map(|id| ledger.object(&id).and_then(crate::ledger::sui_balance))
            .fold(0u64, u64::saturating_add);
        let cap = held.min(MAX_GAS_BUDGET);
        let small = price.saturating_mul(crate::ledger::COMPUTATION_UNITS * 50);
        let mut estimate = None;
        for trial_budget in [small.min(cap), small.saturating_mul(20).min(cap), cap] {
            if let Some(gas) = tx.gas_payment.as_mut() {
                gas.budget = Some(trial_budget);
            }
            let trial = Transaction::try_from(&tx)
                .map_err(|e| Status::invalid_argument(format!("invalid transaction: {e:?}")))?;
            let done = ledger.simulate(trial).map_err(refusal_status)?;
            let sui_sdk_types::TransactionEffects::V2(effects) = &done.effects else {
                return Err(Status::internal("effects of another version"));
            };
            let out_of_gas = matches!(
                effects.status,
                sui_sdk_types::ExecutionStatus::Failure {
                    error: sui_sdk_types::ExecutionError::InsufficientGas,
                    ..
                }
            );
            if !out_of_gas {
                let used = &effects.gas_used;
                estimate = Some((used.computation_cost + used.storage_cost).max(MIN_GAS_BUDGET));
                break;
            }
        }
        let estimate = estimate.ok_or_else(|| {
            Status::failed_precondition(format!(
                "the gas coins hold {held} MIST, not enough for this transaction's gas"
            ))
        })?;
        if let Some(gas) = tx.gas_payment.as_mut() {
            gas.budget = Some(estimate);
        }
    }
    Transaction::try_from(&tx)
        .map(Resolved::Full)
        .map_err(|e| Status::invalid_argument(format!("invalid transaction: {e:?}")))
}

/// The default read mask of `SubscribeCheckpoints`.
const SUBSCRIBE_MASK: &str = "sequence_number,digest";

#[tonic::async_trait]
impl SubscriptionService for SuiApi {
    /// From the latest checkpoint on, every checkpoint in order, each once; a subscriber that
    /// falls behind gets the ones it missed from the ledger, so the stream has no gaps.
    async fn subscribe_checkpoints(
        &self,
        request: Request<proto::SubscribeCheckpointsRequest>,
    ) -> Result<Response<tonic::codegen::BoxStream<proto::SubscribeCheckpointsResponse>>, Status>
    {
        let request = request.into_inner();
        if request.filter.is_some() {
            return Err(Status::unimplemented(
                "checkpoint filters are not supported yet; subscribe without one",
            ));
        }
        let mask = mask(request.read_mask.as_ref(), SUBSCRIBE_MASK)?;
        let mut changes = self.latest.subscribe();
        let next = *changes.borrow_and_update();
        let api = self.clone();
        let stream = futures_util::stream::unfold((next, changes), move |(next, mut changes)| {
            let api = api.clone();
            let mask = mask.clone();
            async move {
                // Wait until checkpoint `next` exists (or the ledger goes away).
                while *changes.borrow_and_update() < next {
                    changes.changed().await.ok()?;
                }
                let frame = {
                    let ledger = api.ledger();
                    let checkpoint = ledger.checkpoint(next)?;
                    let mut frame = proto::SubscribeCheckpointsResponse::default();
                    frame.cursor = Some(next);
                    frame.checkpoint = Some(checkpoint_answer(&ledger, checkpoint, &mask));
                    frame
                };
                Some((Ok(frame), (next + 1, changes)))
            }
        });
        Ok(Response::new(Box::pin(stream)))
    }
}
