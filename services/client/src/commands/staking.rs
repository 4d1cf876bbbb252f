//! Delegator commands: `stake`, `request-withdraw-stake`, `withdraw-stake`, `list-staked-wal`,
//! and `get-wal` (the devnet faucet).

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::json;
use sui_sdk_types::Address;
use walrus_chain::walrus::FROST_PER_WAL;
use walrus_chain::walrus::WalrusObject;
use walrus_chain::walrus::staking::StakedWalState;
use walrus_chain::walrus::staking::StakingObject;

use super::Context;

/// `walrus stake`.
#[derive(Debug, Args)]
pub(crate) struct StakeArgs {
    /// The nodes (their node ids) to stake with.
    #[arg(long = "node-ids", num_args = 1.., required = true)]
    node_ids: Vec<Address>,
    /// FROST per node (one value for all, or one per node; default 1 WAL).
    #[arg(long, num_args = 1..)]
    amounts: Vec<u64>,
}

pub(crate) async fn stake(ctx: &Context, args: &StakeArgs) -> anyhow::Result<()> {
    let amounts: Vec<u64> = match args.amounts.len() {
        0 => vec![FROST_PER_WAL; args.node_ids.len()],
        1 => vec![args.amounts[0]; args.node_ids.len()],
        n if n == args.node_ids.len() => args.amounts.clone(),
        n => bail!(
            "{n} amounts for {} nodes: give one amount, or one per node",
            args.node_ids.len()
        ),
    };
    let client = ctx.client(true)?;
    let mut out = Vec::new();
    for (node, amount) in args.node_ids.iter().zip(amounts) {
        let staked = client
            .chain()
            .stake(*node, amount)
            .await
            .with_context(|| format!("staking {amount} FROST with {node}"))?;
        if !ctx.json {
            println!("Staked {amount} FROST with {node}: StakedWal {staked}");
        }
        out.push(
            json!({"nodeId": node.to_string(), "amount": amount, "stakedWal": staked.to_string()}),
        );
    }
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(())
}

/// `walrus request-withdraw-stake`.
#[derive(Debug, Args)]
pub(crate) struct RequestWithdrawArgs {
    /// The node (its staking pool's id) the stake is with.
    node_id: Address,
    /// The StakedWal objects to withdraw; may be left out when you have exactly one staked
    /// position with the node.
    staked_wal_ids: Vec<Address>,
    /// Print what would be requested, without doing it.
    #[arg(long)]
    dry_run: bool,
}

pub(crate) async fn request_withdraw(
    ctx: &Context,
    args: &RequestWithdrawArgs,
) -> anyhow::Result<()> {
    let client = ctx.client(true)?;
    let node = walrus_chain::walrus::to_move_id(args.node_id);
    let staked_with_node: Vec<Address> = owned_staked_wal(&client)
        .await?
        .into_iter()
        .filter(|(_, s)| s.node_id == node && matches!(s.state, StakedWalState::Staked))
        .map(|(id, _)| id)
        .collect();
    // As the reference: the node's only staked position when none is named; each named one
    // must be a staked position with that node.
    let targets = if args.staked_wal_ids.is_empty() {
        match staked_with_node.as_slice() {
            [] => bail!("you have no staked WAL with node {}", args.node_id),
            [one] => vec![*one],
            many => bail!(
                "you have {} staked positions with node {}; name the ones to withdraw: {}",
                many.len(),
                args.node_id,
                many.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        }
    } else {
        for id in &args.staked_wal_ids {
            if !staked_with_node.contains(id) {
                bail!(
                    "{id} is not a staked position of yours with node {}",
                    args.node_id
                );
            }
        }
        args.staked_wal_ids.clone()
    };
    let mut out = Vec::new();
    for id in &targets {
        if !args.dry_run {
            client
                .chain()
                .request_withdraw_stake(*id)
                .await
                .with_context(|| format!("requesting the withdrawal of {id}"))?;
        }
        out.push(
            json!({"stakedWal": id.to_string(), "nodeId": args.node_id.to_string(),
                        "dryRun": args.dry_run}),
        );
        if !ctx.json {
            if args.dry_run {
                println!("Would request the withdrawal of {id} (dry run).");
            } else {
                println!(
                    "Requested the withdrawal of {id}; `walrus list-staked-wal` shows when it is \
                     withdrawable."
                );
            }
        }
    }
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(())
}

/// `walrus withdraw-stake`.
#[derive(Debug, Args)]
pub(crate) struct WithdrawArgs {
    /// The StakedWal objects (withdrawal requested earlier).
    #[arg(required = true, num_args = 1..)]
    staked_wal_ids: Vec<Address>,
}

/// `walrus list-staked-wal`.
#[derive(Debug, Args)]
pub(crate) struct ListStakedArgs {
    /// Only positions that are staked (not withdrawing).
    #[arg(long, conflicts_with = "withdrawing_only")]
    staked_only: bool,
    /// Only positions whose withdrawal was requested.
    #[arg(long)]
    withdrawing_only: bool,
}

/// The StakedWal objects this wallet owns: (id, the Move value).
async fn owned_staked_wal(
    client: &walrus_client::WalrusClient,
) -> anyhow::Result<Vec<(Address, walrus_core::contracts::staking::StakedWal)>> {
    let address = client.address().context("no wallet")?;
    Ok(client
        .chain()
        .owned_objects(address)
        .await?
        .into_iter()
        .filter_map(|(id, object)| match object.value {
            WalrusObject::Staking(StakingObject::StakedWal(s)) => Some((id, s)),
            _ => None,
        })
        .collect())
}

pub(crate) async fn withdraw(ctx: &Context, args: &WithdrawArgs) -> anyhow::Result<()> {
    let client = ctx.client(true)?;
    let address = client.address().context("no wallet")?;
    let before = client.chain().wal_balance(address).await?;
    for id in &args.staked_wal_ids {
        client
            .chain()
            .withdraw_stake(*id)
            .await
            .with_context(|| format!("withdrawing {id}"))?;
    }
    let after = client.chain().wal_balance(address).await?;
    if ctx.json {
        println!("{}", json!({"withdrawn": after.saturating_sub(before)}));
    } else {
        println!(
            "Withdrew {} FROST (principal and rewards).",
            after.saturating_sub(before)
        );
    }
    Ok(())
}

pub(crate) async fn list_staked(ctx: &Context, args: &ListStakedArgs) -> anyhow::Result<()> {
    let client = ctx.client(true)?;
    let epoch = client.chain().committee().await?.epoch;
    let mut out = Vec::new();
    for (id, s) in owned_staked_wal(&client).await? {
        let withdrawing = matches!(s.state, StakedWalState::Withdrawing { .. });
        if (args.staked_only && withdrawing) || (args.withdrawing_only && !withdrawing) {
            continue;
        }
        {
            let state = match s.state {
                StakedWalState::Staked if s.activation_epoch > epoch => {
                    format!("pending activation at epoch {}", s.activation_epoch)
                }
                StakedWalState::Staked => "active".to_owned(),
                StakedWalState::Withdrawing { withdraw_epoch } if withdraw_epoch > epoch => {
                    format!("withdrawing until epoch {withdraw_epoch}")
                }
                StakedWalState::Withdrawing { .. } => "withdrawable".to_owned(),
            };
            out.push(
                json!({"stakedWal": id.to_string(), "nodeId": s.node_id.to_string(),
                            "principal": s.principal, "activationEpoch": s.activation_epoch,
                            "state": state}),
            );
        }
    }
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else if out.is_empty() {
        println!("No staked WAL.");
    } else {
        for o in &out {
            println!(
                "{}  node {}  {} FROST  {}",
                o["stakedWal"].as_str().unwrap_or_default(),
                o["nodeId"].as_str().unwrap_or_default(),
                o["principal"],
                o["state"].as_str().unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// `walrus get-wal`.
#[derive(Debug, Args)]
pub(crate) struct GetWalArgs {
    /// FROST to take from the devnet faucet (default 100 WAL).
    #[arg(long, default_value_t = 100 * FROST_PER_WAL)]
    amount: u64,
}

pub(crate) async fn get_wal(ctx: &Context, args: &GetWalArgs) -> anyhow::Result<()> {
    let client = ctx.client(true)?;
    let address = client.address().context("no wallet")?;
    client.chain().faucet(args.amount).await?;
    let balance = client.chain().wal_balance(address).await?;
    if ctx.json {
        println!(
            "{}",
            json!({"address": address.to_string(), "balance": balance})
        );
    } else {
        println!("{address} now holds {balance} FROST.");
    }
    Ok(())
}
