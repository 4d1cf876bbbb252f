//! One module per `walrus` subcommand.

pub(crate) mod blob_id;
pub(crate) mod chain;
pub(crate) mod graphql;
pub(crate) mod indexer;
pub(crate) mod node;
