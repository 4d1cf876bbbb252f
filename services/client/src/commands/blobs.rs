//! Blob commands: `store`, `read`, `blob-status`, `list-blobs`, `delete`, `extend`, `share`,
//! and the attribute commands.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::json;
use sui_sdk_types::Address;
use walrus_chain::walrus::{Call, SystemCall};
use walrus_client::{BlobStoreResult, Epochs, StoreOptions};
use walrus_core::{BlobId, ConsistencyCheck, EncodingConfig};

use super::Context;

/// `walrus store`.
#[derive(Debug, Args)]
pub(crate) struct StoreArgs {
    /// The files to store (each becomes one blob).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Epochs to store for: a number, or `max`. Exactly one of `--epochs`, `--end-epoch` and
    /// `--earliest-expiry-time` is required, as in the reference.
    #[arg(long)]
    epochs: Option<String>,
    /// The epoch the blob expires at (exclusive); after the current epoch.
    #[arg(long)]
    end_epoch: Option<u32>,
    /// The earliest time the blob may expire: RFC 3339 (`2026-12-31T15:00:00Z`,
    /// `2026-12-31T16:00:00+01:00`) or `2026-12-31 15:00:00` (UTC). The blob is stored for the
    /// fewest epochs that reach it.
    #[arg(long)]
    earliest_expiry_time: Option<String>,
    /// Make the blob permanent (by default blobs are deletable, as in Walrus since v1.33).
    #[arg(long)]
    permanent: bool,
    /// Wrap the new Blob object in a SharedBlob.
    #[arg(long)]
    share: bool,
    /// Transfer the new Blob object to this address.
    #[arg(long, conflicts_with = "share")]
    send_object_to: Option<Address>,
    /// Store even when the blob is already certified for long enough.
    #[arg(long)]
    force: bool,
    /// Only compute the blob ID, encoded size and cost; pay nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not look at or reuse the wallet's own registrations, storage or certified blobs:
    /// always buy new storage (faster with very many owned objects).
    #[arg(long)]
    ignore_resources: bool,
}

/// The expiry of `walrus store`: exactly one of the three flags, as the reference requires.
fn store_epochs(args: &StoreArgs) -> anyhow::Result<Epochs> {
    match (&args.epochs, args.end_epoch, &args.earliest_expiry_time) {
        (Some(epochs), None, None) => parse_epochs(epochs),
        (None, Some(end), None) => Ok(Epochs::EndEpoch(end)),
        (None, None, Some(time)) => Ok(Epochs::EarliestExpiry(parse_time(time)?)),
        _ => bail!("exactly one of --epochs, --end-epoch and --earliest-expiry-time must be given"),
    }
}

/// An RFC 3339 time, or the same without offset (with a space or `T`, optional fraction and
/// `Z`) read as UTC, as the reference's `--earliest-expiry-time` accepts.
pub(crate) fn parse_time(text: &str) -> anyhow::Result<std::time::SystemTime> {
    let trimmed = text.trim();
    let parsed = chrono::DateTime::parse_from_rfc3339(trimmed)
        .map(|t| t.with_timezone(&chrono::Utc))
        .or_else(|_| {
            let naive = trimmed.trim_end_matches(['Z', 'z']).replacen(' ', "T", 1);
            chrono::NaiveDateTime::parse_from_str(&naive, "%Y-%m-%dT%H:%M:%S%.f")
                .map(|t| t.and_utc())
        })
        .map_err(|_| {
            anyhow::anyhow!(
                "--earliest-expiry-time {text:?} is not a time like 2026-12-31T15:00:00Z or \
                 2026-12-31 15:00:00"
            )
        })?;
    let millis = u64::try_from(parsed.timestamp_millis())
        .map_err(|_| anyhow::anyhow!("--earliest-expiry-time {text:?} is before 1970"))?;
    Ok(std::time::UNIX_EPOCH + std::time::Duration::from_millis(millis))
}

fn parse_epochs(text: &str) -> anyhow::Result<Epochs> {
    if text == "max" {
        return Ok(Epochs::Max);
    }
    let n: u32 = text
        .parse()
        .with_context(|| format!("--epochs must be a positive number or `max`, not {text:?}"))?;
    if n == 0 {
        bail!("--epochs must be at least 1");
    }
    Ok(Epochs::Ahead(n))
}

pub(crate) async fn store(ctx: &Context, args: &StoreArgs) -> anyhow::Result<()> {
    let epochs = store_epochs(args)?;
    // Read every file first: an unreadable one stops everything before anything is paid.
    let mut files = Vec::new();
    for path in &args.files {
        let data =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        files.push((path, data));
    }
    let client = ctx.client(!args.dry_run)?;
    let mut results = Vec::new();
    let mut stores = Vec::new();
    for (path, data) in files {
        if args.dry_run {
            let (committee, config) = client.committee().await?;
            let cost = client.cost(data.len() as u64, epochs).await?;
            let metadata = config.compute_metadata(&data)?;
            let value = json!({
                "path": path,
                "blobId": metadata.blob_id().to_string(),
                "unencodedSize": data.len(),
                "encodedSize": cost.encoded_length,
                "epochsAhead": cost.epochs_ahead,
                "endEpoch": committee.epoch + cost.epochs_ahead,
                "storageCost": cost.storage_cost,
                "writeCost": cost.write_cost,
            });
            if ctx.json {
                results.push(value);
            } else {
                println!(
                    "{}: blob ID {}, {} bytes encoded to {}, {} epoch(s), would cost {} FROST \
                     (storage {} + write {})",
                    path.display(),
                    metadata.blob_id(),
                    data.len(),
                    cost.encoded_length,
                    cost.epochs_ahead,
                    cost.storage_cost + cost.write_cost,
                    cost.storage_cost,
                    cost.write_cost
                );
            }
            continue;
        }
        stores.push((path, data));
    }
    let options = StoreOptions {
        epochs,
        deletable: !args.permanent,
        force: args.force,
        send_object_to: args.send_object_to,
        share: args.share,
        ignore_resources: args.ignore_resources,
    };
    // One file shows a progress bar; several are stored as a pipeline (encoded and registered
    // in turn while the earlier ones upload and certify), and each result prints in order.
    let sizes: Vec<u64> = stores.iter().map(|(_, d)| d.len() as u64).collect();
    let data: Vec<Vec<u8>> = stores.iter_mut().map(|(_, d)| std::mem::take(d)).collect();
    let outcomes = if data.len() == 1 {
        let client = match super::progress_bar(ctx.json) {
            Some(progress) => client.clone().with_progress(progress),
            None => client.clone(),
        };
        let mut outcomes = Vec::new();
        for data in data {
            outcomes.push(client.store(data, &options).await);
        }
        outcomes
    } else {
        client.store_many(data, &options).await
    };
    let mut failed = Vec::new();
    let mut backgrounds = Vec::new();
    for (((path, _), size), outcome) in stores.iter().zip(sizes).zip(outcomes) {
        match outcome {
            Ok((result, background)) => {
                backgrounds.push(background);
                if ctx.json {
                    results.push(json!({"path": path, "blobStoreResult": result}));
                } else {
                    print_store_result(path, size, &result);
                }
            }
            Err(e) => {
                // With several files, each failure is reported where its result would be; a
                // single file's failure is the command's one-line error.
                if ctx.json {
                    results.push(json!({"path": path, "error": e.to_string()}));
                } else if stores.len() > 1 {
                    eprintln!("storing {} failed: {e}", path.display());
                }
                failed.push(format!("storing {}: {e}", path.display()));
            }
        }
    }
    // Give the nodes that had not confirmed yet their slivers before exiting.
    for background in backgrounds {
        background.finish().await;
    }
    if ctx.json && (failed.is_empty() || stores.len() > 1) {
        println!("{}", serde_json::to_string_pretty(&results)?);
    }
    match failed.as_slice() {
        [] => Ok(()),
        [one] => bail!("{one}"),
        many => bail!(
            "{} of {} files were not stored; the first: {}",
            many.len(),
            stores.len(),
            many[0]
        ),
    }
}

fn print_store_result(path: &Path, size: u64, result: &BlobStoreResult) {
    match result {
        BlobStoreResult::NewlyCreated(n) => {
            println!(
                "Stored {} ({size} bytes) as a new {} blob.\n  Blob ID: {}\n  Object ID: {}\n  \
                 Encoded size: {} bytes\n  Stored until epoch {} (exclusive)\n  Cost: {} FROST{}",
                path.display(),
                if n.blob_object.deletable {
                    "deletable"
                } else {
                    "permanent"
                },
                n.blob_object.blob_id,
                n.blob_object.id,
                n.blob_object.storage.storage_size,
                n.blob_object.storage.end_epoch,
                n.cost,
                n.shared_blob_object
                    .as_ref()
                    .map(|s| format!("\n  Shared blob object: {s}"))
                    .unwrap_or_default()
            );
        }
        BlobStoreResult::AlreadyCertified(a) => {
            println!(
                "{} is already certified (nothing paid).\n  Blob ID: {}\n  Certified until \
                 epoch {} (exclusive){}",
                path.display(),
                a.blob_id,
                a.end_epoch,
                a.object
                    .as_ref()
                    .map(|o| format!("\n  Owned object: {o}"))
                    .unwrap_or_default()
            );
        }
    }
}

/// `walrus read`.
#[derive(Debug, Args)]
pub(crate) struct ReadArgs {
    /// The blob ID.
    blob_id: BlobId,
    /// Write the blob to this file (atomically: nothing is left behind on failure) instead of
    /// standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Recompute the whole blob ID from the decoded data.
    #[arg(long)]
    strict_consistency_check: bool,
    /// Skip the consistency check of the decoded blob (only for blobs whose writer you trust;
    /// every sliver is still verified against the blob's metadata).
    #[arg(long, conflicts_with = "strict_consistency_check")]
    skip_consistency_check: bool,
}

pub(crate) async fn read(ctx: &Context, args: &ReadArgs) -> anyhow::Result<()> {
    let mut client = ctx.client(false)?;
    if let Some(progress) = super::progress_bar(ctx.json) {
        client = client.with_progress(progress);
    }
    let check = if args.strict_consistency_check {
        ConsistencyCheck::Strict
    } else if args.skip_consistency_check {
        ConsistencyCheck::Skip
    } else {
        ConsistencyCheck::Default
    };
    let blob = client.read(&args.blob_id, check).await?;
    match &args.out {
        Some(path) => {
            write_atomically(path, &blob)?;
            if ctx.json {
                println!(
                    "{}",
                    json!({"blobId": args.blob_id.to_string(), "out": path, "size": blob.len()})
                );
            } else {
                eprintln!(
                    "Read blob {} ({} bytes) into {}",
                    args.blob_id,
                    blob.len(),
                    path.display()
                );
            }
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&blob)
                .context("writing to standard output")?;
            stdout.flush()?;
        }
    }
    Ok(())
}

/// Writes `bytes` to a temporary file next to `path` and renames it into place.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let temp = dir.join(format!(".{}.partial", name.to_string_lossy()));
    let result = (|| -> anyhow::Result<()> {
        let mut file = std::fs::File::create(&temp)
            .with_context(|| format!("cannot create {}", temp.display()))?;
        file.write_all(bytes)
            .with_context(|| format!("writing {}", temp.display()))?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
            .with_context(|| format!("moving the blob into {}", path.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// `walrus blob-status`.
#[derive(Debug, Args)]
pub(crate) struct BlobStatusArgs {
    /// The blob ID.
    #[arg(long, required_unless_present = "file")]
    blob_id: Option<BlobId>,
    /// A file whose blob ID to check.
    #[arg(long, conflicts_with = "blob_id")]
    file: Option<PathBuf>,
}

pub(crate) async fn blob_status(ctx: &Context, args: &BlobStatusArgs) -> anyhow::Result<()> {
    let client = ctx.client(false)?;
    let blob_id = match (&args.blob_id, &args.file) {
        (Some(id), _) => *id,
        (None, Some(file)) => {
            let data =
                std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            let (committee, _) = client.committee().await?;
            *EncodingConfig::new(committee.n_shards)?
                .compute_metadata(&data)?
                .blob_id()
        }
        (None, None) => bail!("pass --blob-id or --file"),
    };
    let status = client.blob_status(&blob_id).await?;
    if ctx.json {
        println!(
            "{}",
            json!({"blobId": blob_id.to_string(), "status": status})
        );
    } else {
        println!("Blob {blob_id}: {}", describe_status(&status));
    }
    Ok(())
}

fn describe_status(status: &walrus_node_api::BlobStatus) -> String {
    use walrus_node_api::BlobStatus as S;
    match status {
        S::Nonexistent => "does not exist (never registered, expired or deleted)".into(),
        S::Invalid { .. } => "marked invalid".into(),
        S::Permanent {
            end_epoch,
            is_certified,
            deletable_counts,
            ..
        } => format!(
            "permanent, {} until epoch {end_epoch} (exclusive); deletable objects: {} registered, \
             {} certified",
            if *is_certified {
                "certified"
            } else {
                "registered (not certified)"
            },
            deletable_counts.count_deletable_total,
            deletable_counts.count_deletable_certified
        ),
        S::Deletable {
            deletable_counts,
            initial_certified_epoch,
        } => format!(
            "deletable only: {} object(s), {} certified{}",
            deletable_counts.count_deletable_total,
            deletable_counts.count_deletable_certified,
            initial_certified_epoch
                .map(|e| format!(", first certified in epoch {e}"))
                .unwrap_or_default()
        ),
    }
}

/// `walrus list-blobs`.
#[derive(Debug, Args)]
pub(crate) struct ListBlobsArgs {
    /// Include blobs whose storage has expired.
    #[arg(long)]
    include_expired: bool,
}

pub(crate) async fn list_blobs(ctx: &Context, args: &ListBlobsArgs) -> anyhow::Result<()> {
    let client = ctx.client(true)?;
    let epoch = client.chain().committee().await?.epoch;
    let blobs: Vec<_> = client
        .list_blobs()
        .await?
        .into_iter()
        .filter(|(_, b)| args.include_expired || b.blob.end_epoch() > epoch)
        .collect();
    if ctx.json {
        let list: Vec<_> = blobs
            .iter()
            .map(|(_, b)| walrus_client::types::BlobObjectView::from(&b.blob))
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if blobs.is_empty() {
        println!("No blobs.");
        return Ok(());
    }
    println!(
        "{:<44} {:<67} {:>12} {:>10} {:>9} {:>9}",
        "blob ID", "object ID", "size", "certified", "end epoch", "deletable"
    );
    for (id, b) in blobs {
        println!(
            "{:<44} {:<67} {:>12} {:>10} {:>9} {:>9}",
            b.blob.blob_id.to_string(),
            id.to_string(),
            b.blob.size,
            b.blob
                .certified_epoch
                .map_or("no".to_owned(), |e| e.to_string()),
            b.blob.end_epoch(),
            b.blob.deletable
        );
    }
    Ok(())
}

/// `walrus delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// The Blob objects to delete.
    #[arg(long = "object-ids", num_args = 1.., required_unless_present_any = ["blob_ids", "files"])]
    object_ids: Vec<Address>,
    /// Delete every owned deletable Blob object of these blob IDs.
    #[arg(long = "blob-ids", num_args = 1..)]
    blob_ids: Vec<BlobId>,
    /// Delete every owned deletable Blob object of these files' blob IDs.
    #[arg(long = "files", num_args = 1..)]
    files: Vec<PathBuf>,
    /// Delete without asking for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    yes: bool,
}

/// Asks `question` on the terminal unless `yes`; without a terminal, refuses unless `yes`, so a
/// script never destroys objects it did not mean to.
fn confirm(question: &str, yes: bool) -> anyhow::Result<bool> {
    use std::io::IsTerminal as _;
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        bail!("{question} Refused without a terminal to confirm on: add --yes");
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

pub(crate) async fn delete(ctx: &Context, args: &DeleteArgs) -> anyhow::Result<()> {
    let client = ctx.client(true)?;
    let mut targets = args.object_ids.clone();
    let mut blob_ids = args.blob_ids.clone();
    if !args.files.is_empty() {
        let (committee, _) = client.committee().await?;
        let config = EncodingConfig::new(committee.n_shards)?;
        for file in &args.files {
            let data =
                std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            blob_ids.push(*config.compute_metadata(&data)?.blob_id());
        }
    }
    if !blob_ids.is_empty() {
        for (id, b) in client.list_blobs().await? {
            if blob_ids.contains(&b.blob.blob_id) && b.blob.deletable {
                targets.push(id);
            }
        }
        if targets.is_empty() {
            bail!("you own no deletable Blob object of the given blob ID(s) or file(s)");
        }
    }
    if !confirm(
        &format!("Delete {} blob object(s)?", targets.len()),
        args.yes,
    )? {
        eprintln!("Nothing deleted.");
        return Ok(());
    }
    let mut deleted = Vec::new();
    for id in targets {
        let blob = client.blob_object(id).await?;
        if !blob.blob.deletable {
            bail!("blob object {id} is permanent and cannot be deleted");
        }
        client
            .chain()
            .delete_blob(id)
            .await
            .with_context(|| format!("deleting {id}"))?;
        deleted.push(json!({"objectId": id.to_string(), "blobId": blob.blob.blob_id.to_string()}));
        if !ctx.json {
            println!(
                "Deleted blob object {id} (blob ID {}); its storage returns to you.",
                blob.blob.blob_id
            );
        }
    }
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&deleted)?);
    }
    Ok(())
}

/// `walrus extend`.
#[derive(Debug, Args)]
pub(crate) struct ExtendArgs {
    /// The Blob object (with `--shared`, the SharedBlob object).
    #[arg(long)]
    blob_obj_id: Address,
    /// Epochs to add.
    #[arg(long)]
    epochs_extended: u32,
    /// The object is a SharedBlob: the extension is paid from its funds.
    #[arg(long)]
    shared: bool,
}

pub(crate) async fn extend(ctx: &Context, args: &ExtendArgs) -> anyhow::Result<()> {
    if args.epochs_extended == 0 {
        bail!("--epochs-extended must be at least 1");
    }
    let client = ctx.client(true)?;
    let cost = if args.shared {
        client
            .extend_shared(args.blob_obj_id, args.epochs_extended)
            .await?
    } else {
        client
            .extend(args.blob_obj_id, args.epochs_extended)
            .await?
    };
    let end = client.blob_object(args.blob_obj_id).await?.blob.end_epoch();
    if ctx.json {
        println!(
            "{}",
            json!({"objectId": args.blob_obj_id.to_string(), "endEpoch": end, "cost": cost})
        );
    } else {
        println!(
            "Extended {} by {} epoch(s) for {cost} FROST; it now ends at epoch {end}.",
            args.blob_obj_id, args.epochs_extended
        );
    }
    Ok(())
}

/// `walrus share`.
#[derive(Debug, Args)]
pub(crate) struct ShareArgs {
    /// The Blob object to wrap in a SharedBlob.
    #[arg(long)]
    blob_obj_id: Address,
    /// Fund the SharedBlob with this many FROST of your WAL (anyone can add more).
    #[arg(long)]
    amount: Option<u64>,
}

/// `walrus fund-shared-blob`.
#[derive(Debug, Args)]
pub(crate) struct FundSharedArgs {
    /// The SharedBlob object.
    #[arg(long)]
    shared_blob_obj_id: Address,
    /// FROST of your WAL to add to its funds.
    #[arg(long)]
    amount: u64,
}

pub(crate) async fn fund_shared(ctx: &Context, args: &FundSharedArgs) -> anyhow::Result<()> {
    let client = ctx.client(true)?;
    client
        .fund_shared(args.shared_blob_obj_id, args.amount)
        .await?;
    let funds = client.shared_blob_funds(args.shared_blob_obj_id).await?;
    if ctx.json {
        println!(
            "{}",
            json!({"sharedBlobObject": args.shared_blob_obj_id.to_string(),
                   "amount": args.amount, "funds": funds})
        );
    } else {
        println!(
            "Added {} FROST to {}; it now holds {funds} FROST for extensions.",
            args.amount, args.shared_blob_obj_id
        );
    }
    Ok(())
}

pub(crate) async fn share(ctx: &Context, args: &ShareArgs) -> anyhow::Result<()> {
    let client = ctx.client(true)?;
    let shared = client.share_funded(args.blob_obj_id, args.amount).await?;
    let funds = client.shared_blob_funds(shared).await?;
    if ctx.json {
        println!(
            "{}",
            json!({"sharedBlobObject": shared.to_string(), "funds": funds})
        );
    } else {
        println!("Shared as {shared}, with {funds} FROST for extensions.");
    }
    Ok(())
}

/// `walrus get-blob-attribute`.
#[derive(Debug, Args)]
pub(crate) struct GetAttributeArgs {
    /// The Blob object.
    blob_obj_id: Address,
}

pub(crate) async fn get_attribute(ctx: &Context, args: &GetAttributeArgs) -> anyhow::Result<()> {
    let client = ctx.client(false)?;
    let blob = client.blob_object(args.blob_obj_id).await?;
    let pairs: Vec<(String, String)> = blob
        .metadata
        .map(|m| m.metadata.into_iter().map(|e| (e.key, e.value)).collect())
        .unwrap_or_default();
    if ctx.json {
        let map: serde_json::Map<String, serde_json::Value> = pairs
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        println!("{}", serde_json::Value::Object(map));
    } else if pairs.is_empty() {
        println!("No attributes.");
    } else {
        for (k, v) in pairs {
            println!("{k}: {v}");
        }
    }
    Ok(())
}

/// `walrus set-blob-attribute`.
#[derive(Debug, Args)]
pub(crate) struct SetAttributeArgs {
    /// The Blob object.
    blob_obj_id: Address,
    /// `--attr KEY VALUE`, repeatable.
    #[arg(long = "attr", num_args = 2, value_names = ["KEY", "VALUE"], required = true)]
    attr: Vec<String>,
}

pub(crate) async fn set_attribute(ctx: &Context, args: &SetAttributeArgs) -> anyhow::Result<()> {
    let client = ctx.client(true)?;
    for pair in args.attr.chunks(2) {
        let [key, value] = pair else {
            bail!("--attr takes a key and a value");
        };
        client
            .chain()
            .execute(Call::System(SystemCall::InsertOrUpdateMetadataPair {
                blob: args.blob_obj_id,
                key: key.clone(),
                value: value.clone(),
            }))
            .await
            .with_context(|| format!("setting attribute {key:?}"))?;
    }
    if !ctx.json {
        println!("Set {} attribute(s).", args.attr.len() / 2);
    }
    Ok(())
}

/// `walrus remove-blob-attribute-fields`.
#[derive(Debug, Args)]
pub(crate) struct RemoveAttributeArgs {
    /// The Blob object.
    blob_obj_id: Address,
    /// The keys to remove.
    #[arg(long, num_args = 1.., required = true)]
    keys: Vec<String>,
}

pub(crate) async fn remove_attribute(
    ctx: &Context,
    args: &RemoveAttributeArgs,
) -> anyhow::Result<()> {
    let client = ctx.client(true)?;
    for key in &args.keys {
        client
            .chain()
            .execute(Call::System(SystemCall::RemoveMetadataPairIfExists {
                blob: args.blob_obj_id,
                key: key.clone(),
            }))
            .await
            .with_context(|| format!("removing attribute {key:?}"))?;
    }
    if !ctx.json {
        println!("Removed {} attribute key(s).", args.keys.len());
    }
    Ok(())
}

/// `walrus burn-blobs`.
#[derive(Debug, Args)]
#[group(skip)]
#[command(group(
    clap::ArgGroup::new("selection")
        .required(true)
        .multiple(false)
        .args(["object_ids", "all", "all_expired"])
))]
pub(crate) struct BurnArgs {
    /// The Blob objects to burn.
    #[arg(long = "object-ids", num_args = 1..)]
    object_ids: Vec<Address>,
    /// Every Blob object this wallet owns.
    #[arg(long)]
    all: bool,
    /// Every expired Blob object this wallet owns.
    #[arg(long)]
    all_expired: bool,
    /// Burn without asking for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    yes: bool,
}

/// Burns Blob objects: the objects and their storage are destroyed; the data stays on the nodes
/// until the end epoch, nothing is refunded, a permanent blob can no longer be extended and a
/// deletable one no longer deleted (as in the reference).
pub(crate) async fn burn(ctx: &Context, args: &BurnArgs) -> anyhow::Result<()> {
    let client = ctx.client(true)?;
    let targets: Vec<(Address, BlobId)> = if args.object_ids.is_empty() {
        let epoch = client.committee().await?.0.epoch;
        client
            .list_blobs()
            .await?
            .into_iter()
            .filter(|(_, b)| args.all || b.blob.storage.end_epoch <= epoch)
            .map(|(id, b)| (id, b.blob.blob_id))
            .collect()
    } else {
        let mut targets = Vec::new();
        for &id in &args.object_ids {
            let blob = client.blob_object(id).await?;
            targets.push((id, blob.blob.blob_id));
        }
        targets
    };
    if targets.is_empty() {
        if ctx.json {
            println!("[]");
        } else {
            println!("No Blob objects to burn.");
        }
        return Ok(());
    }
    if !confirm(
        &format!(
            "Burn {} blob object(s)? Their storage is destroyed and nothing is refunded.",
            targets.len()
        ),
        args.yes,
    )? {
        eprintln!("Nothing burned.");
        return Ok(());
    }
    let mut burned = Vec::new();
    for (id, blob_id) in targets {
        client
            .chain()
            .burn_blob(id)
            .await
            .with_context(|| format!("burning {id}"))?;
        burned.push(json!({"objectId": id.to_string(), "blobId": blob_id.to_string()}));
        if !ctx.json {
            println!("Burned blob object {id} (blob ID {blob_id}).");
        }
    }
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&burned)?);
    }
    Ok(())
}
