//! HTTP client for the devnet ledger API ([`super::server`]); it speaks BCS.

use std::time::Duration;

use serde::de::DeserializeOwned;
use sui_sdk_types::Address;

use super::server::{ErrorBody, Head, NonceView, ObjectView};
use super::tx::SignedTransaction;
use crate::types::{Cursor, ObjectId, TransactionRecord};

/// Errors talking to the ledger.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request did not complete.
    #[error("devnet ledger at {url} unreachable: {source}")]
    Http {
        /// The URL.
        url: String,
        /// The transport error.
        source: reqwest::Error,
    },
    /// The ledger answered with an error.
    #[error("devnet ledger refused the request ({status} {kind}): {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// Machine-readable kind (see the server docs).
        kind: String,
        /// Message.
        message: String,
    },
    /// The response did not decode.
    #[error("unexpected response from the devnet ledger: {0}")]
    Decode(String),
}

/// A client of one ledger.
#[derive(Debug, Clone)]
pub struct DevnetClient {
    base: String,
    http: reqwest::Client,
}

impl DevnetClient {
    /// A client for the ledger at `base_url` (for example `http://127.0.0.1:9000`).
    pub fn new(base_url: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap_or_default();
        Self {
            base: base_url.trim_end_matches('/').to_string(),
            http,
        }
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn decode<T: DeserializeOwned>(
        url: &str,
        response: reqwest::Response,
    ) -> Result<T, ClientError> {
        let status = response.status();
        let bytes = response.bytes().await.map_err(|source| ClientError::Http {
            url: url.to_string(),
            source,
        })?;
        if !status.is_success() {
            let (kind, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(b) => (b.error.kind, b.error.message),
                Err(_) => (
                    "unknown".into(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ),
            };
            return Err(ClientError::Api {
                status: status.as_u16(),
                kind,
                message,
            });
        }
        bcs::from_bytes(&bytes).map_err(|e| ClientError::Decode(format!("{url}: {e}")))
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut q: Vec<(&str, String)> = query.to_vec();
        q.push(("format", "bcs".into()));
        let response = self
            .http
            .get(&url)
            .query(&q)
            .send()
            .await
            .map_err(|source| ClientError::Http {
                url: url.clone(),
                source,
            })?;
        Self::decode(&url, response).await
    }

    /// Submits a signed transaction; returns its record once durable (check its status).
    pub async fn submit(&self, tx: &SignedTransaction) -> Result<TransactionRecord, ClientError> {
        let url = format!("{}/v1/transactions?format=bcs", self.base);
        let body = bcs::to_bytes(tx).map_err(|e| ClientError::Decode(e.to_string()))?;
        let response = self
            .http
            .post(&url)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .map_err(|source| ClientError::Http {
                url: url.clone(),
                source,
            })?;
        Self::decode(&url, response).await
    }

    /// Up to `limit` records after `after`, waiting up to `wait` for the first.
    pub async fn read_records(
        &self,
        after: Cursor,
        limit: usize,
        wait: Duration,
    ) -> Result<Vec<TransactionRecord>, ClientError> {
        let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        self.get(
            "/v1/transactions",
            &[
                ("after", after.to_string()),
                ("limit", limit.to_string()),
                ("wait_ms", wait_ms.to_string()),
            ],
        )
        .await
    }

    /// One object, or `None` when it does not exist.
    pub async fn object<V: DeserializeOwned>(
        &self,
        id: ObjectId,
    ) -> Result<Option<ObjectView<V>>, ClientError> {
        match self.get(&format!("/v1/objects/{id}"), &[]).await {
            Ok(v) => Ok(Some(v)),
            Err(ClientError::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The objects an address owns.
    pub async fn owned_objects<V: DeserializeOwned>(
        &self,
        owner: Address,
    ) -> Result<Vec<ObjectView<V>>, ClientError> {
        self.get(&format!("/v1/accounts/{owner}/objects"), &[])
            .await
    }

    /// The address's next nonce.
    pub async fn nonce(&self, address: Address) -> Result<u64, ClientError> {
        let v: NonceView = self
            .get(&format!("/v1/accounts/{address}/nonce"), &[])
            .await?;
        Ok(v.nonce)
    }

    /// The newest durable cursor and ledger time.
    pub async fn head(&self) -> Result<Head, ClientError> {
        self.get("/v1/head", &[]).await
    }
}
