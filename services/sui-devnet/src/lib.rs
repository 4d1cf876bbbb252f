//! `walrus-sui-devnet`: a local Sui network for the Walrus devnet (issue #18, first step).
//!
//! A [`ledger::Ledger`] keeps Sui objects with `sui-sdk-types` layouts (IDs, versions, digests,
//! owners), checks and executes signed programmable transactions into Sui effects (V2) and puts
//! each in a checkpoint; [`grpc::SuiApi`] serves it over the Sui gRPC API (`sui.rpc.v2`) with
//! the server traits of the `sui-rpc` crate, so the official Sui clients read and write it.
//!
//! This step executes SUI coin transactions (`SplitCoins`, `MergeCoins`, `TransferObjects`, gas),
//! durably ([`durable::Node`]: a journal replayed on open). Move calls into the `wal` and
//! `walrus` packages, shared objects, events and the remaining services come next; until then
//! they answer `UNIMPLEMENTED`.

pub mod durable;
pub mod faucet;
pub mod grpc;
pub mod keystore;
pub mod ledger;
pub mod network;

pub use grpc::SuiApi;
pub use ledger::{Ledger, Refusal};

/// Serves the API on `listener` until `shutdown` resolves, over gRPC (HTTP/2) and gRPC-web
/// (HTTP/1.1, as the official TypeScript SDK speaks it in Node and browsers).
pub async fn serve(
    api: SuiApi,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .accept_http1(true)
        .layer(tonic_web::GrpcWebLayer::new())
        .add_routes(api.router())
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener),
            shutdown,
        )
        .await
}
