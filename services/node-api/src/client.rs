//! [`NodeClient`]: the HTTP client of one storage node (plain HTTP on loopback; no TLS).

use std::time::Duration;

use serde::de::DeserializeOwned;
use walrus_core::{
    Axis, Bcs, BcsError, BlobId, BlobMetadata, EncodingAxis, GeneralRecoverySymbol, Sliver,
    SliverData, SliverPairIndex, UnverifiedBlobMetadataWithId,
};

use crate::routes;
use crate::types::{
    ApiStatus, BlobStatus, ErrorEnvelope, ServiceHealthInfo, SignedMessage, StorageConfirmation,
    StoredOnNodeStatus, SuccessEnvelope,
};

/// What went wrong talking to a node.
#[derive(Debug, thiserror::Error)]
pub enum NodeApiError {
    /// The request did not complete (connection, timeout, body read).
    #[error("request to {url} failed: {source}")]
    Transport {
        /// The URL.
        url: String,
        /// The transport error.
        source: reqwest::Error,
    },
    /// The node answered with an error envelope.
    #[error("node answered {status}: {}", .envelope.error.message)]
    Api {
        /// The HTTP status.
        status: u16,
        /// The error envelope.
        envelope: Box<ErrorEnvelope>,
    },
    /// The node answered with something that is not the expected format.
    #[error("unexpected response from {url} ({status}): {reason}")]
    Malformed {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What was wrong.
        reason: String,
    },
    /// A BCS body did not decode or encode.
    #[error(transparent)]
    Bcs(#[from] BcsError),
}

impl NodeApiError {
    /// The error envelope's reason, when the node answered with one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Api { envelope, .. } => envelope.reason(),
            _ => None,
        }
    }

    /// The HTTP status, when the node answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Malformed { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A client of one node's REST API.
#[derive(Debug, Clone)]
pub struct NodeClient {
    base: String,
    http: reqwest::Client,
    pending_uploads: bool,
}

const OCTET_STREAM: &str = "application/octet-stream";

impl NodeClient {
    /// A client for the node at `address` (`host:port` or a full `http://` URL).
    pub fn new(address: &str) -> Self {
        Self::with_http(address, reqwest::Client::new())
    }

    /// A client sharing `http` (its connection pool) with others.
    pub fn with_http(address: &str, http: reqwest::Client) -> Self {
        let base = if address.starts_with("http://") || address.starts_with("https://") {
            address.trim_end_matches('/').to_owned()
        } else {
            format!("http://{address}")
        };
        Self {
            base,
            http,
            pending_uploads: false,
        }
    }

    /// Uploads (metadata and slivers) ask the node to buffer them when it has not yet seen the
    /// blob's registration (`?pending=true`), instead of refusing with `NOT_REGISTERED`.
    pub fn with_pending_uploads(mut self, pending: bool) -> Self {
        self.pending_uploads = pending;
        self
    }

    /// A reqwest client with the timeouts nodes use for each other.
    pub fn default_http() -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new())
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<(u16, Vec<u8>), NodeApiError> {
        let transport = |source| NodeApiError::Transport {
            url: url.to_owned(),
            source,
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(transport)?.to_vec();
        if status >= 400 {
            let malformed = |reason: String| NodeApiError::Malformed {
                url: url.to_owned(),
                status,
                reason,
            };
            return Err(match serde_json::from_slice::<ErrorEnvelope>(&body) {
                // As the reference's client: a body whose `code` and `status` are not a row of
                // the status table, or disagree with the HTTP status, is not trusted.
                Ok(envelope)
                    if envelope.status_code().map(ApiStatus::http_code) == Some(status) =>
                {
                    NodeApiError::Api {
                        status,
                        envelope: Box::new(envelope),
                    }
                }
                Ok(envelope) => malformed(format!(
                    "error body with code {} and status {} (not a pair of the status table, \
                     or not the HTTP status): {}",
                    envelope.error.code, envelope.error.status, envelope.error.message
                )),
                Err(_) => malformed(format!(
                    "not an error envelope: {:?}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                )),
            });
        }
        Ok((status, body))
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, NodeApiError> {
        let url = self.url(path);
        let (status, body) = self.send(self.http.get(&url), &url).await?;
        json_data(&url, status, &body)
    }

    async fn get_bytes(&self, path: &str) -> Result<Vec<u8>, NodeApiError> {
        let url = self.url(path);
        Ok(self.send(self.http.get(&url), &url).await?.1)
    }

    async fn put_bytes(
        &self,
        path: &str,
        body: impl Into<reqwest::Body>,
    ) -> Result<u16, NodeApiError> {
        let mut url = self.url(path);
        if self.pending_uploads {
            url.push_str("?pending=true");
        }
        let request = self
            .http
            .put(&url)
            .header("content-type", OCTET_STREAM)
            .body(body);
        let (status, body) = self.send(request, &url).await?;
        let _: String = json_data(&url, status, &body)?;
        Ok(status)
    }

    /// `PUT /v1/blobs/{id}/metadata` with BCS `BlobMetadata`; the HTTP status (201 stored,
    /// 200 already stored).
    pub async fn store_metadata(
        &self,
        blob_id: &BlobId,
        metadata: &BlobMetadata,
    ) -> Result<u16, NodeApiError> {
        self.put_bytes(&routes::metadata(blob_id), metadata.to_bcs()?)
            .await
    }

    /// `GET /v1/blobs/{id}/metadata`: BCS `BlobMetadataWithId`, not yet verified.
    pub async fn metadata(
        &self,
        blob_id: &BlobId,
    ) -> Result<UnverifiedBlobMetadataWithId, NodeApiError> {
        let body = self.get_bytes(&routes::metadata(blob_id)).await?;
        Ok(UnverifiedBlobMetadataWithId::from_bcs(&body)?)
    }

    /// `GET /v1/blobs/{id}/metadata/status`.
    pub async fn metadata_status(
        &self,
        blob_id: &BlobId,
    ) -> Result<StoredOnNodeStatus, NodeApiError> {
        self.get_json(&routes::metadata_status(blob_id)).await
    }

    /// `PUT /v1/blobs/{id}/slivers/{pair}/{axis}` with the BCS sliver body.
    pub async fn store_sliver_bytes(
        &self,
        blob_id: &BlobId,
        pair: SliverPairIndex,
        axis: Axis,
        bcs_body: impl Into<reqwest::Body>,
    ) -> Result<u16, NodeApiError> {
        self.put_bytes(&routes::sliver(blob_id, pair, axis), bcs_body)
            .await
    }

    /// `PUT` a typed sliver.
    pub async fn store_sliver<A: EncodingAxis>(
        &self,
        blob_id: &BlobId,
        pair: SliverPairIndex,
        sliver: &SliverData<A>,
    ) -> Result<u16, NodeApiError>
    where
        SliverData<A>: Bcs,
    {
        self.store_sliver_bytes(blob_id, pair, A::AXIS, sliver.to_bcs()?)
            .await
    }

    /// `GET /v1/blobs/{id}/slivers/{pair}/{axis}`: the raw BCS body.
    pub async fn sliver_bytes(
        &self,
        blob_id: &BlobId,
        pair: SliverPairIndex,
        axis: Axis,
    ) -> Result<Vec<u8>, NodeApiError> {
        self.get_bytes(&routes::sliver(blob_id, pair, axis)).await
    }

    /// `GET` a typed sliver (not verified against metadata).
    pub async fn sliver<A: EncodingAxis>(
        &self,
        blob_id: &BlobId,
        pair: SliverPairIndex,
    ) -> Result<SliverData<A>, NodeApiError>
    where
        SliverData<A>: Bcs,
    {
        let body = self.sliver_bytes(blob_id, pair, A::AXIS).await?;
        Ok(SliverData::<A>::from_bcs(&body)?)
    }

    /// `GET /v1/blobs/{id}/slivers/{pair}/{axis}/status`.
    pub async fn sliver_status(
        &self,
        blob_id: &BlobId,
        pair: SliverPairIndex,
        axis: Axis,
    ) -> Result<StoredOnNodeStatus, NodeApiError> {
        self.get_json(&routes::sliver_status(blob_id, pair, axis))
            .await
    }

    /// `GET /v1/blobs/{id}/confirmation/permanent`.
    pub async fn confirmation_permanent(
        &self,
        blob_id: &BlobId,
    ) -> Result<SignedMessage, NodeApiError> {
        let StorageConfirmation::Signed(signed) = self
            .get_json(&routes::confirmation_permanent(blob_id))
            .await?;
        Ok(signed)
    }

    /// `GET /v1/blobs/{id}/confirmation/deletable/{object_id}`.
    pub async fn confirmation_deletable(
        &self,
        blob_id: &BlobId,
        object_id: &[u8; 32],
    ) -> Result<SignedMessage, NodeApiError> {
        let StorageConfirmation::Signed(signed) = self
            .get_json(&routes::confirmation_deletable(blob_id, object_id))
            .await?;
        Ok(signed)
    }

    /// `GET /v1/blobs/{id}/status`.
    pub async fn blob_status(&self, blob_id: &BlobId) -> Result<BlobStatus, NodeApiError> {
        self.get_json(&routes::blob_status(blob_id)).await
    }

    /// `GET /v1/health`.
    pub async fn health(&self) -> Result<ServiceHealthInfo, NodeApiError> {
        self.get_json(routes::HEALTH).await
    }

    /// `GET /v1/health?detailed=true`: with the status of every shard.
    pub async fn health_detailed(&self) -> Result<ServiceHealthInfo, NodeApiError> {
        self.get_json(&format!("{}?detailed=true", routes::HEALTH))
            .await
    }

    /// `GET /v1/blobs/{id}/recoverySymbols?targetSliver=&targetType=`: BCS
    /// `Vec<GeneralRecoverySymbol>` for the target sliver (proofs not yet verified).
    pub async fn recovery_symbols(
        &self,
        blob_id: &BlobId,
        target_sliver: u16,
        target_axis: Axis,
    ) -> Result<Vec<GeneralRecoverySymbol>, NodeApiError> {
        let path = format!(
            "{}?targetSliver={target_sliver}&targetType={}",
            routes::recovery_symbols(blob_id),
            routes::axis_segment(target_axis)
        );
        let body = self.get_bytes(&path).await?;
        bcs_vec(&body)
    }

    /// `POST /v1/blobs/{id}/inconsistencyProof/{axis}` with a BCS proof: the signed
    /// invalid-blob attestation.
    pub async fn inconsistency_proof(
        &self,
        blob_id: &BlobId,
        axis: Axis,
        bcs_proof: Vec<u8>,
    ) -> Result<SignedMessage, NodeApiError> {
        let url = self.url(&routes::inconsistency_proof(blob_id, axis));
        let request = self
            .http
            .post(&url)
            .header("content-type", OCTET_STREAM)
            .body(bcs_proof);
        let (status, body) = self.send(request, &url).await?;
        json_data(&url, status, &body)
    }

    /// `POST /v1/migrate/sync_shard`: one page of a shard's slivers from its previous owner.
    /// `public_key` is the requester's compressed BLS key (sent base64 in `Authorization`),
    /// `signed` its signature over an intent-3 shard sync message. The slivers are not verified.
    pub async fn sync_shard(
        &self,
        public_key: &[u8],
        signed: &SignedMessage,
    ) -> Result<Vec<(BlobId, Sliver)>, NodeApiError> {
        use base64::Engine as _;
        let url = self.url(routes::SYNC_SHARD);
        let request = self
            .http
            .post(&url)
            .header("content-type", OCTET_STREAM)
            .header(
                "authorization",
                base64::engine::general_purpose::STANDARD.encode(public_key),
            )
            .body(signed.to_bcs());
        let (_, body) = self.send(request, &url).await?;
        bcs::from_bytes(&body).map_err(|e| {
            NodeApiError::Bcs(BcsError::Deserialize {
                type_name: "Vec<(BlobId, Sliver)>",
                reason: e.to_string(),
            })
        })
    }
}

fn json_data<T: DeserializeOwned>(url: &str, status: u16, body: &[u8]) -> Result<T, NodeApiError> {
    serde_json::from_slice::<SuccessEnvelope<T>>(body)
        .map(|e| e.success.data)
        .map_err(|e| NodeApiError::Malformed {
            url: url.to_owned(),
            status,
            reason: format!("not a success envelope: {e}"),
        })
}

/// Decodes a BCS vector of recovery symbols.
pub fn bcs_vec(body: &[u8]) -> Result<Vec<GeneralRecoverySymbol>, NodeApiError> {
    bcs::from_bytes(body).map_err(|e| {
        NodeApiError::Bcs(BcsError::Deserialize {
            type_name: "Vec<GeneralRecoverySymbol>",
            reason: e.to_string(),
        })
    })
}
