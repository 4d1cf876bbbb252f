//! walrus-chain: the control-plane boundary.
pub mod api;
pub mod bls;
pub mod devnet;
pub mod frame;
#[cfg(feature = "testing")]
pub mod testing;
pub mod types;
pub mod walrus;
