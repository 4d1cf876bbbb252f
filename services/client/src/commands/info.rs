//! `walrus info` and `walrus health`.

use clap::Args;
use serde_json::json;
use walrus_chain::walrus::system::BYTES_PER_UNIT_SIZE;
use walrus_core::EncodingConfig;

use super::Context;

pub(crate) async fn info(ctx: &Context) -> anyhow::Result<()> {
    let client = ctx.client(false)?;
    let chain = client.chain();
    let system = chain.system().await?;
    let staking = chain.staking().await?;
    let committee = chain.committee().await?;
    let next = chain.next_committee().await?;
    let config = EncodingConfig::new(committee.n_shards)?;
    let inner = &staking.inner;
    let epoch_duration = inner.epoch_duration;
    let members: Vec<_> = committee
        .members
        .iter()
        .map(|m| {
            json!({"nodeId": m.node_id.to_string(), "name": m.name,
                   "networkAddress": m.network_address, "shards": m.shards.len()})
        })
        .collect();
    let value = json!({
        "epoch": committee.epoch,
        "epochState": format!("{:?}", inner.epoch_state),
        "epochDurationMs": epoch_duration,
        "firstEpochStartMs": inner.first_epoch_start,
        "nShards": committee.n_shards,
        "maxEpochsAhead": system.future_accounting.length,
        "storagePricePerUnitSize": system.storage_price_per_unit_size,
        "writePricePerUnitSize": system.write_price_per_unit_size,
        "unitSize": BYTES_PER_UNIT_SIZE,
        "totalCapacitySize": system.total_capacity_size,
        "usedCapacitySize": system.used_capacity_size,
        "maxBlobSize": config.max_blob_size(),
        "committee": members,
        "nextCommitteeSelected": next.is_some(),
    });
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!("Epoch {} ({:?})", committee.epoch, inner.epoch_state);
    println!("  epoch duration: {} s", epoch_duration / 1000);
    println!(
        "  shards: {}, storage nodes in the committee: {}",
        committee.n_shards,
        committee.members.len()
    );
    println!(
        "Prices (FROST, per {} MiB of encoded size): storage {} per epoch, write {} once",
        BYTES_PER_UNIT_SIZE >> 20,
        system.storage_price_per_unit_size,
        system.write_price_per_unit_size
    );
    println!(
        "Capacity: {} of {} bytes used; storage can be bought up to {} epochs ahead",
        system.used_capacity_size, system.total_capacity_size, system.future_accounting.length
    );
    println!("Largest blob: {} bytes", config.max_blob_size());
    println!("Committee:");
    for m in &committee.members {
        println!(
            "  {:<12} {:<22} {:>4} shards  {}",
            m.name,
            m.network_address,
            m.shards.len(),
            m.node_id
        );
    }
    Ok(())
}

/// `walrus health`.
#[derive(Debug, Args)]
pub(crate) struct HealthArgs {
    /// Node addresses (`host:port`) to ask instead of the whole committee.
    #[arg(long = "node-urls", num_args = 1..)]
    node_urls: Vec<String>,
}

pub(crate) async fn health(ctx: &Context, args: &HealthArgs) -> anyhow::Result<()> {
    let targets: Vec<(String, String)> = if args.node_urls.is_empty() {
        let client = ctx.client(false)?;
        client
            .chain()
            .committee()
            .await?
            .members
            .into_iter()
            .map(|m| (m.name, m.network_address))
            .collect()
    } else {
        args.node_urls
            .iter()
            .map(|u| (u.clone(), u.clone()))
            .collect()
    };
    let checks = targets.iter().map(|(_, address)| async move {
        walrus_node_api::NodeClient::new(address).health().await
    });
    let answers = futures_util::future::join_all(checks).await;
    let mut out = Vec::new();
    let mut unhealthy = 0;
    for ((name, address), answer) in targets.iter().zip(answers) {
        match answer {
            Ok(h) => {
                if !ctx.json {
                    println!(
                        "{name:<12} {address:<22} ok  epoch {} {} uptime {} s, events persisted {}, pending {}",
                        h.epoch,
                        h.node_status,
                        h.uptime,
                        h.event_progress.persisted,
                        h.event_progress.pending
                    );
                }
                out.push(json!({"name": name, "address": address, "health": h}));
            }
            Err(e) => {
                unhealthy += 1;
                if !ctx.json {
                    println!("{name:<12} {address:<22} DOWN  {e}");
                }
                out.push(json!({"name": name, "address": address, "error": e.to_string()}));
            }
        }
    }
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    if unhealthy > 0 {
        anyhow::bail!("{unhealthy} of {} node(s) did not answer", targets.len());
    }
    Ok(())
}
