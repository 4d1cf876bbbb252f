//! `walrus-client`: store and read blobs on Walrus, and everything around it: the wallet, the
//! client configuration, the publisher/aggregator HTTP daemon and the local devnet launcher.
//! The `walrus` binary (`src/main.rs`) is a thin command-line layer over this library.

pub mod blocklist;
pub mod client;
pub mod config;
pub mod daemon;
pub mod devnet;
pub mod reader;
pub mod types;
pub mod wallet;

pub use client::{BackgroundUploads, ClientError, Epochs, StoreOptions, WalrusClient};
pub use config::{ClientConfig, ClientLimits};
pub use reader::{BlobReader, ReadStats};
pub use types::BlobStoreResult;
