//! The route paths of the storage node API, shared by the server and the client.

use walrus_core::{Axis, BlobId, SliverPairIndex};

/// `GET /v1/health`.
pub const HEALTH: &str = "/v1/health";
/// `GET /metrics` (Prometheus text).
pub const METRICS: &str = "/metrics";
/// `POST /v1/migrate/sync_shard`: a shard's new owner pages through its previous owner's
/// slivers (header `Authorization: <base64 BLS public key>`, BCS signed intent-3 request).
pub const SYNC_SHARD: &str = "/v1/migrate/sync_shard";

/// The path segment of an axis: `primary` or `secondary`.
pub fn axis_segment(axis: Axis) -> &'static str {
    match axis {
        Axis::Primary => "primary",
        Axis::Secondary => "secondary",
    }
}

/// `/v1/blobs/{blob_id}/metadata`.
pub fn metadata(blob_id: &BlobId) -> String {
    format!("/v1/blobs/{blob_id}/metadata")
}

/// `/v1/blobs/{blob_id}/metadata/status`.
pub fn metadata_status(blob_id: &BlobId) -> String {
    format!("/v1/blobs/{blob_id}/metadata/status")
}

/// `/v1/blobs/{blob_id}/slivers/{pair}/{axis}`.
pub fn sliver(blob_id: &BlobId, pair: SliverPairIndex, axis: Axis) -> String {
    format!(
        "/v1/blobs/{blob_id}/slivers/{}/{}",
        pair.get(),
        axis_segment(axis)
    )
}

/// `/v1/blobs/{blob_id}/slivers/{pair}/{axis}/status`.
pub fn sliver_status(blob_id: &BlobId, pair: SliverPairIndex, axis: Axis) -> String {
    format!("{}/status", sliver(blob_id, pair, axis))
}

/// `/v1/blobs/{blob_id}/confirmation/permanent`.
pub fn confirmation_permanent(blob_id: &BlobId) -> String {
    format!("/v1/blobs/{blob_id}/confirmation/permanent")
}

/// `/v1/blobs/{blob_id}/confirmation/deletable/{object_id}` (object id as 0x-hex).
pub fn confirmation_deletable(blob_id: &BlobId, object_id: &[u8; 32]) -> String {
    let hex: String = object_id.iter().map(|b| format!("{b:02x}")).collect();
    format!("/v1/blobs/{blob_id}/confirmation/deletable/0x{hex}")
}

/// `/v1/blobs/{blob_id}/status`.
pub fn blob_status(blob_id: &BlobId) -> String {
    format!("/v1/blobs/{blob_id}/status")
}

/// `/v1/blobs/{blob_id}/recoverySymbols` (query `targetSliver`, `targetType`).
pub fn recovery_symbols(blob_id: &BlobId) -> String {
    format!("/v1/blobs/{blob_id}/recoverySymbols")
}

/// `/v1/blobs/{blob_id}/inconsistencyProof/{axis}`.
pub fn inconsistency_proof(blob_id: &BlobId, axis: Axis) -> String {
    format!(
        "/v1/blobs/{blob_id}/inconsistencyProof/{}",
        axis_segment(axis)
    )
}
