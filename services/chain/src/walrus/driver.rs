//! The epoch driver: calls the permissionless, time-gated `voting_end` and
//! `initiate_epoch_change` as soon as the staking state allows, so epochs advance on a devnet
//! without anyone watching the clock. (On Sui anyone may call them; the devnet process does.)
//! Storage nodes report `epoch_sync_done` themselves; the epoch change completes at quorum.

use std::time::Duration;

use super::chain::{LedgerBackend, WalrusChain};
use super::staking::inner::EpochState;
use crate::api::ChainError;

/// What the driver should do next, given the staking state and the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverStep {
    /// Call `voting_end` now.
    VotingEnd,
    /// Call `initiate_epoch_change` now.
    InitiateEpochChange,
    /// Nothing is due before this time (ms).
    WaitUntil(u64),
    /// Waiting for nodes to report `epoch_sync_done`.
    WaitForSync,
}

/// The next step for the staking state `inner` at time `now_ms` (the same gates as Move).
pub fn next_step(inner: &super::staking::inner::StakingInnerV1, now_ms: u64) -> DriverStep {
    let due = |last_change: u64, after: u64| {
        if inner.epoch == 0 {
            inner.first_epoch_start
        } else {
            last_change.saturating_add(after)
        }
    };
    match inner.epoch_state {
        EpochState::EpochChangeSync(_) => DriverStep::WaitForSync,
        EpochState::EpochChangeDone(t) => {
            let at = due(t, inner.epoch_duration / 2);
            if now_ms >= at {
                DriverStep::VotingEnd
            } else {
                DriverStep::WaitUntil(at)
            }
        }
        EpochState::NextParamsSelected(t) => {
            let at = due(t, inner.epoch_duration);
            if now_ms >= at {
                DriverStep::InitiateEpochChange
            } else {
                DriverStep::WaitUntil(at)
            }
        }
    }
}

/// Runs one step if one is due; returns what it found. Aborts (for example another caller was
/// first) are returned as errors and are harmless: the next call sees the new state.
pub async fn drive_once<B: LedgerBackend>(
    chain: &WalrusChain<B>,
    now_ms: u64,
) -> Result<DriverStep, ChainError> {
    let staking = chain.staking().await?;
    let step = next_step(&staking.inner, now_ms);
    match step {
        DriverStep::VotingEnd => {
            chain.voting_end().await?;
            tracing::info!(
                epoch = staking.inner.epoch,
                "voting ended: next committee selected"
            );
        }
        DriverStep::InitiateEpochChange => {
            chain.initiate_epoch_change().await?;
            tracing::info!(epoch = staking.inner.epoch + 1, "epoch change started");
        }
        DriverStep::WaitUntil(_) | DriverStep::WaitForSync => {}
    }
    Ok(step)
}

/// Drives epochs forever, checking every `poll` (and right away when a step was just taken).
pub async fn run<B: LedgerBackend>(
    chain: WalrusChain<B>,
    now_ms: impl Fn() -> u64 + Send,
    poll: Duration,
) {
    loop {
        match drive_once(&chain, now_ms()).await {
            Ok(DriverStep::VotingEnd | DriverStep::InitiateEpochChange) => continue,
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "epoch driver step did not run"),
        }
        tokio::time::sleep(poll).await;
    }
}
