//! `walrus info` and `walrus health`.

use clap::Args;
use serde_json::json;
use walrus_chain::walrus::staking::inner::EpochState;
use walrus_chain::walrus::system::BYTES_PER_UNIT_SIZE;
use walrus_core::EncodingConfig;

use super::Context;

/// `walrus info [all | epoch | storage | size | price | bft | committee]`: the sections of the
/// reference; without one, all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Subcommand)]
pub(crate) enum InfoSection {
    /// Every section.
    All,
    /// The epoch, its state, duration and when the next steps are due.
    Epoch,
    /// Capacity, and how far ahead storage can be bought.
    Storage,
    /// The largest blob and the storage unit.
    Size,
    /// Storage and write prices.
    Price,
    /// Byzantine fault tolerance: faulty shards tolerated, quorum and validity thresholds.
    Bft,
    /// The committee's nodes.
    Committee,
}

#[derive(Debug, Args)]
pub(crate) struct InfoArgs {
    #[command(subcommand)]
    section: Option<InfoSection>,
}

pub(crate) async fn info(ctx: &Context, args: &InfoArgs) -> anyhow::Result<()> {
    let client = ctx.client(false)?;
    let chain = client.chain();
    let system = chain.system().await?;
    let staking = chain.staking().await?;
    let committee = chain.committee().await?;
    let next = chain.next_committee().await?;
    let config = EncodingConfig::new(committee.n_shards)?;
    let inner = &staking.inner;
    let epoch_duration = inner.epoch_duration;
    let clock = EpochClock::new(
        &inner.epoch_state,
        committee.epoch,
        epoch_duration,
        inner.first_epoch_start,
    );
    let n = committee.n_shards;
    let section = args.section.unwrap_or(InfoSection::All);
    let wants = |s: InfoSection| section == InfoSection::All || section == s;
    let mut value = serde_json::Map::new();
    let mut put = |v: serde_json::Value| {
        if let serde_json::Value::Object(m) = v {
            value.extend(m);
        }
    };
    let now = now_ms();
    if wants(InfoSection::Epoch) {
        put(json!({
            "epoch": committee.epoch,
            "epochState": clock.state_json(n),
            "committeeSelectionDueMs": clock.selection_due_ms,
            "nextEpochDueMs": clock.next_epoch_due_ms,
            "epochDurationMs": epoch_duration,
            "firstEpochStartMs": inner.first_epoch_start,
            "nextCommitteeSelected": next.is_some(),
        }));
        if !ctx.json {
            println!("Epoch {}: {}", committee.epoch, clock.describe(n));
            println!("  epoch duration: {}", duration(epoch_duration));
            if let Some(due) = clock.selection_due_ms {
                println!("  next committee selection: {}", relative(due, now));
            }
            if let Some(due) = clock.next_epoch_due_ms {
                println!("  next epoch change: {}", relative(due, now));
            }
        }
    }
    if wants(InfoSection::Storage) {
        put(json!({
            "nShards": n,
            "maxEpochsAhead": system.future_accounting.length,
            "totalCapacitySize": system.total_capacity_size,
            "usedCapacitySize": system.used_capacity_size,
        }));
        if !ctx.json {
            println!(
                "Capacity: {} of {} bytes used; storage can be bought up to {} epochs ahead; {} \
                 shards",
                system.used_capacity_size,
                system.total_capacity_size,
                system.future_accounting.length,
                n
            );
        }
    }
    if wants(InfoSection::Size) {
        put(json!({"maxBlobSize": config.max_blob_size(), "unitSize": BYTES_PER_UNIT_SIZE}));
        if !ctx.json {
            println!(
                "Largest blob: {} bytes; storage is bought in units of {} MiB of encoded size",
                config.max_blob_size(),
                BYTES_PER_UNIT_SIZE >> 20
            );
        }
    }
    if wants(InfoSection::Price) {
        put(json!({
            "storagePricePerUnitSize": system.storage_price_per_unit_size,
            "writePricePerUnitSize": system.write_price_per_unit_size,
            "unitSize": BYTES_PER_UNIT_SIZE,
        }));
        if !ctx.json {
            println!(
                "Prices (FROST, per {} MiB of encoded size): storage {} per epoch, write {} once",
                BYTES_PER_UNIT_SIZE >> 20,
                system.storage_price_per_unit_size,
                system.write_price_per_unit_size
            );
        }
    }
    if wants(InfoSection::Bft) {
        let faulty = n.saturating_sub(1) / 3;
        let quorum = walrus_core::quorum::quorum_weight(n);
        put(json!({
            "bft": {
                "nShards": n,
                "maxFaultyShards": faulty,
                "quorumThreshold": quorum,
                "validityThreshold": faulty + 1,
            }
        }));
        if !ctx.json {
            println!(
                "BFT: of {n} shards at most {faulty} may be faulty; a certificate needs {quorum} \
                 shards, {} shards include one correct node",
                faulty + 1
            );
        }
    }
    if wants(InfoSection::Committee) {
        let members: Vec<_> = committee
            .members
            .iter()
            .map(|m| {
                json!({"nodeId": m.node_id.to_string(), "name": m.name,
                       "networkAddress": m.network_address, "shards": m.shards.len()})
            })
            .collect();
        put(json!({"committee": members}));
        if !ctx.json {
            println!("Committee ({} storage nodes):", committee.members.len());
            for m in &committee.members {
                println!(
                    "  {:<12} {:<22} {:>4} shards  {}",
                    m.name,
                    m.network_address,
                    m.shards.len(),
                    m.node_id
                );
            }
        }
    }
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    }
    Ok(())
}

/// Where the epoch stands and when its next steps are due, from the staking object's state by
/// the Move rules: the next committee can be selected half an epoch after the last epoch change
/// was done, the next epoch can start one epoch after it (epoch 0: at the first epoch's start).
struct EpochClock {
    state: EpochState,
    selection_due_ms: Option<u64>,
    next_epoch_due_ms: Option<u64>,
}

impl EpochClock {
    fn new(state: &EpochState, epoch: u32, duration_ms: u64, first_epoch_start_ms: u64) -> Self {
        let (selection_due_ms, next_epoch_due_ms) = match (*state, epoch) {
            (EpochState::EpochChangeSync(_), _) => (None, None),
            (EpochState::EpochChangeDone(_), 0) => {
                (Some(first_epoch_start_ms), Some(first_epoch_start_ms))
            }
            (EpochState::NextParamsSelected(_), 0) => (None, Some(first_epoch_start_ms)),
            (EpochState::EpochChangeDone(done), _) => (
                Some(done.saturating_add(duration_ms / 2)),
                Some(done.saturating_add(duration_ms)),
            ),
            (EpochState::NextParamsSelected(done), _) => {
                (None, Some(done.saturating_add(duration_ms)))
            }
        };
        Self {
            state: *state,
            selection_due_ms,
            next_epoch_due_ms,
        }
    }

    fn describe(&self, n_shards: u16) -> String {
        match self.state {
            EpochState::EpochChangeSync(weight) => {
                format!("epoch change in progress, {weight} of {n_shards} shards synced")
            }
            EpochState::EpochChangeDone(_) => "running, next committee not selected yet".into(),
            EpochState::NextParamsSelected(_) => "running, next committee selected".into(),
        }
    }

    fn state_json(&self, n_shards: u16) -> serde_json::Value {
        match self.state {
            EpochState::EpochChangeSync(weight) => {
                json!({"state": "epochChangeSync", "syncedShards": weight, "nShards": n_shards})
            }
            EpochState::EpochChangeDone(at) => json!({"state": "epochChangeDone", "atMs": at}),
            EpochState::NextParamsSelected(at) => {
                json!({"state": "nextParamsSelected", "epochChangeDoneAtMs": at})
            }
        }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `1h 2m 3s`-style duration, at most two units.
fn duration(ms: u64) -> String {
    let s = ms / 1000;
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{sec}s"),
        (0, 0, _) => format!("{m}m {sec}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

fn relative(due_ms: u64, now_ms: u64) -> String {
    if due_ms > now_ms {
        format!("in {}", duration(due_ms - now_ms))
    } else {
        format!("due now (since {} ago)", duration(now_ms - due_ms))
    }
}

/// `walrus health`.
#[derive(Debug, Args)]
pub(crate) struct HealthArgs {
    /// The storage nodes to ask, by node id.
    #[arg(long = "node-ids", alias = "node-id", num_args = 1..)]
    node_ids: Vec<sui_sdk_types::Address>,
    /// The storage nodes to ask, by address (`host:port`).
    #[arg(long = "node-urls", alias = "node-url", num_args = 1..)]
    node_urls: Vec<String>,
    /// Every node of the current committee.
    #[arg(long)]
    committee: bool,
    /// Every node of the active set (the candidates for the next committee).
    #[arg(long)]
    active_set: bool,
    /// Also print the status of every shard of each node.
    #[arg(long)]
    detail: bool,
}

/// The (name, address) of the nodes `args` selects: exactly one of the selections, as the
/// reference requires.
async fn health_targets(ctx: &Context, args: &HealthArgs) -> anyhow::Result<Vec<(String, String)>> {
    let chosen = [
        !args.node_ids.is_empty(),
        !args.node_urls.is_empty(),
        args.committee,
        args.active_set,
    ];
    if chosen.iter().filter(|&&c| c).count() != 1 {
        anyhow::bail!(
            "exactly one of --node-ids, --node-urls, --committee and --active-set must be given"
        );
    }
    if !args.node_urls.is_empty() {
        return Ok(args
            .node_urls
            .iter()
            .map(|u| (u.clone(), u.clone()))
            .collect());
    }
    let client = ctx.client(false)?;
    let chain = client.chain();
    if args.committee {
        return Ok(chain
            .committee()
            .await?
            .members
            .into_iter()
            .map(|m| (m.name, m.network_address))
            .collect());
    }
    let ids: Vec<_> = if args.active_set {
        let staking = chain.staking().await?;
        staking
            .inner
            .active_set
            .nodes
            .iter()
            .map(|entry| walrus_chain::walrus::to_object_id(entry.node_id))
            .collect()
    } else {
        args.node_ids.clone()
    };
    let mut targets = Vec::new();
    for id in ids {
        let pool = chain
            .pool(id)
            .await
            .map_err(|e| anyhow::anyhow!("node {id}: {e}"))?;
        let info = &pool.node_info;
        targets.push((info.name.clone(), info.network_address.clone()));
    }
    Ok(targets)
}

pub(crate) async fn health(ctx: &Context, args: &HealthArgs) -> anyhow::Result<()> {
    let targets = health_targets(ctx, args).await?;
    let detail = args.detail;
    let checks = targets.iter().map(|(_, address)| async move {
        let node = walrus_node_api::NodeClient::new(address);
        if detail {
            node.health_detailed().await
        } else {
            node.health().await
        }
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
                    if let Some(shards) = &h.shard_detail {
                        let list = |v: &[walrus_node_api::ShardStatusDetail]| {
                            v.iter()
                                .map(|s| format!("{} {}", s.shard, s.status))
                                .collect::<Vec<_>>()
                                .join(", ")
                        };
                        println!("  owned shards: {}", list(&shards.owned));
                        if !shards.other.is_empty() {
                            println!("  other shards: {}", list(&shards.other));
                        }
                    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_follows_the_move_timing_rules() {
        let c = EpochClock::new(&EpochState::EpochChangeDone(1_000), 3, 600_000, 0);
        assert_eq!(c.selection_due_ms, Some(301_000));
        assert_eq!(c.next_epoch_due_ms, Some(601_000));
        let c = EpochClock::new(&EpochState::NextParamsSelected(1_000), 3, 600_000, 0);
        assert_eq!(
            (c.selection_due_ms, c.next_epoch_due_ms),
            (None, Some(601_000))
        );
        let c = EpochClock::new(&EpochState::EpochChangeSync(7), 3, 600_000, 0);
        assert_eq!((c.selection_due_ms, c.next_epoch_due_ms), (None, None));
        assert_eq!(
            c.describe(10),
            "epoch change in progress, 7 of 10 shards synced"
        );
        let c = EpochClock::new(&EpochState::EpochChangeDone(0), 0, 600_000, 5_000);
        assert_eq!(
            (c.selection_due_ms, c.next_epoch_due_ms),
            (Some(5_000), Some(5_000))
        );
    }

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(duration(59_999), "59s");
        assert_eq!(duration(61_000), "1m 1s");
        assert_eq!(duration(3_723_000), "1h 2m");
        assert_eq!(duration(90_000_000), "1d 1h");
        assert_eq!(relative(10_000, 4_000), "in 6s");
        assert_eq!(relative(4_000, 10_000), "due now (since 6s ago)");
    }
}
