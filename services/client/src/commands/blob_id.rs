//! `walrus blob-id <FILE> [--n-shards N]`: the blob ID a file would get when stored on a system
//! of `N` shards, computed with the metadata-only encoding path (no slivers are kept).

use std::{fs, path::PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;
use walrus_core::EncodingConfig;

/// Arguments of `walrus blob-id`.
#[derive(Debug, Args)]
pub(crate) struct BlobIdArgs {
    /// The file to compute the blob ID of.
    file: PathBuf,

    /// The number of shards of the system the blob is for (the blob ID depends on it).
    #[arg(long, default_value_t = 1000)]
    n_shards: u16,
}

/// The `--json` output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BlobIdOutput {
    blob_id: String,
    unencoded_length: u64,
    n_shards: u16,
    root_hash: String,
}

pub(crate) fn run(args: &BlobIdArgs, json: bool) -> Result<()> {
    let config = EncodingConfig::new(args.n_shards).context("invalid --n-shards")?;
    let path = args.file.display();
    let length = fs::metadata(&args.file)
        .with_context(|| format!("cannot read {path}"))?
        .len();
    let max = config.max_blob_size();
    if length > max {
        bail!(
            "{path} is {length} bytes, more than the maximum blob size of {max} bytes for {} \
             shards",
            args.n_shards
        );
    }
    let blob = fs::read(&args.file).with_context(|| format!("cannot read {path}"))?;
    let metadata = config
        .compute_metadata(&blob)
        .with_context(|| format!("cannot encode {path}"))?;
    if json {
        let output = BlobIdOutput {
            blob_id: metadata.blob_id().to_string(),
            unencoded_length: metadata.metadata().unencoded_length(),
            n_shards: args.n_shards,
            root_hash: hex::encode(metadata.metadata().compute_root_hash().bytes()),
        };
        println!("{}", serde_json::to_string(&output)?);
    } else {
        println!("{}", metadata.blob_id());
    }
    Ok(())
}
