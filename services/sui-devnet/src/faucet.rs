//! The faucet, on Sui's faucet route: `POST /v2/gas` with `{"FixedAmountRequest": {"recipient":
//! "0x..."}}` sends [`FAUCET_AMOUNT`] in one new coin, in a real transaction signed by the
//! faucet's key and paid from the faucet's coins, and answers as Sui's faucet does:
//! `{"status": "Success", "coins_sent": [{"amount", "id", "transferTxDigest"}]}`, or
//! `{"status": {"Failure": {"internal": "..."}}}` with a 4xx/5xx status.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;
use sui_crypto::ed25519::Ed25519PrivateKey;
use sui_sdk_types::Address;

use crate::SuiApi;
use crate::ledger::MIST_PER_SUI;

/// MIST sent per request.
pub const FAUCET_AMOUNT: u64 = 10 * MIST_PER_SUI;

/// The largest request body: a recipient fits in far less.
const MAX_BODY: usize = 4 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
enum Request {
    FixedAmountRequest { recipient: String },
}

struct Faucet {
    api: SuiApi,
    key: Ed25519PrivateKey,
}

/// The faucet's routes, paying from `key`'s coins on `api`'s ledger.
pub fn router(api: SuiApi, key: Ed25519PrivateKey) -> Router {
    Router::new()
        .route("/v2/gas", post(gas))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(Arc::new(Faucet { api, key }))
}

fn failure(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({"status": {"Failure": {"internal": message.into()}}})),
    )
        .into_response()
}

async fn gas(State(faucet): State<Arc<Faucet>>, body: Bytes) -> Response {
    let request: Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return failure(
                StatusCode::BAD_REQUEST,
                format!("expected {{\"FixedAmountRequest\": {{\"recipient\": \"0x...\"}}}}: {e}"),
            );
        }
    };
    let Request::FixedAmountRequest { recipient } = request;
    let recipient: Address = match recipient.parse() {
        Ok(a) => a,
        Err(e) => {
            return failure(
                StatusCode::BAD_REQUEST,
                format!("invalid recipient {recipient:?}: {e:?}"),
            );
        }
    };
    match faucet.api.send_sui(&faucet.key, recipient, FAUCET_AMOUNT) {
        Ok((digest, coin)) => axum::Json(json!({
            "status": "Success",
            "coins_sent": [{
                "amount": FAUCET_AMOUNT,
                "id": coin.to_string(),
                "transferTxDigest": digest.to_string(),
            }],
        }))
        .into_response(),
        Err(status) => failure(StatusCode::SERVICE_UNAVAILABLE, status.message()),
    }
}
