//! Twins of the staking objects and values of `move/walrus/sources/staking*.move`: the BCS of
//! each equals Move's `bcs::to_bytes` of the Move value (same fields, same order, same widths).
//!
//! What a delegator, a node operator or an indexer reads:
//! - [`StakedWal`] (owned by the delegator) and [`StorageNodeCap`] (owned by the operator) —
//!   checked against the vectors `StakedWal`, `StakedWalWithdrawing` and `StorageNodeCap` of
//!   `move/walrus/tests/bcs_vectors.json`;
//! - [`Staking`] (the shared object) and its state [`StakingInnerV1`] (on Sui the dynamic field
//!   `1u64` of `Staking`), with the committees, the active set and the epoch state;
//! - [`StakingPool`] (one per node; on Sui an entry of the `pools` object table) with the
//!   exchange rates needed by [`calculate_rewards`].
//!
//! Move `Table`/`ObjectTable` fields are [`Table`] (`id`, `size`): their entries are separate
//! values, as on Sui. `Element<UncompressedG1>` BLS keys are 96-byte vectors.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::system::{EpochParams, ExtendedField};
use super::{ObjectId, hex_bytes};

/// 1 WAL in FROST: the smallest principal of a [`StakedWal`].
pub const MIN_STAKING_THRESHOLD: u64 = 1_000_000_000;

// === Generic Move containers ===

/// One entry of a Move `VecMap<K, V>` (`sui::vec_map::Entry`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VecMapEntry<K, V> {
    /// The key.
    pub key: K,
    /// The value.
    pub value: V,
}

/// A Move `VecMap<K, V>`: entries in insertion order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VecMap<K, V> {
    /// The entries.
    pub contents: Vec<VecMapEntry<K, V>>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self {
            contents: Vec::new(),
        }
    }
}

/// The entries in iteration order, as given (repeated keys are kept: this builds the value,
/// it does not check what Move's `vec_map::insert` would).
impl<K, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        Self {
            contents: entries
                .into_iter()
                .map(|(key, value)| VecMapEntry { key, value })
                .collect(),
        }
    }
}

impl<K: PartialEq, V> VecMap<K, V> {
    /// The value of `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.contents
            .iter()
            .find(|e| &e.key == key)
            .map(|e| &e.value)
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.contents.iter().map(|e| &e.key)
    }

    /// The value of `key`, inserted at the end with `default` first if absent (Move
    /// `vec_map::insert` appends).
    pub fn get_or_insert(&mut self, key: K, default: V) -> &mut V {
        let index = match self.contents.iter().position(|e| e.key == key) {
            Some(index) => index,
            None => {
                self.contents.push(VecMapEntry {
                    key,
                    value: default,
                });
                self.contents.len() - 1
            }
        };
        &mut self.contents[index].value
    }
}

/// A Move `Table<K, V>` or `ObjectTable<K, V>`: only its id and size are part of the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// The table's object id.
    pub id: ObjectId,
    /// Number of entries.
    pub size: u64,
}

// === staked_wal ===

/// `walrus::staked_wal::StakedWalState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StakedWalState {
    /// Staked (pending activation or active).
    Staked,
    /// Withdrawal requested; withdrawable from `withdraw_epoch`.
    Withdrawing {
        /// The first epoch `withdraw_stake` accepts it in.
        withdraw_epoch: u32,
    },
}

/// `walrus::staked_wal::StakedWal`: a delegator's stake in one pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakedWal {
    /// The object id.
    pub id: ObjectId,
    /// Staked or withdrawing.
    pub state: StakedWalState,
    /// The node (= pool) it is staked with.
    pub node_id: ObjectId,
    /// The principal in FROST (`Balance<WAL>`).
    pub principal: u64,
    /// The first epoch in which the stake counts and earns.
    pub activation_epoch: u32,
}

impl StakedWal {
    /// Whether a withdrawal was requested.
    pub fn is_withdrawing(&self) -> bool {
        matches!(self.state, StakedWalState::Withdrawing { .. })
    }

    /// The withdraw epoch, once a withdrawal was requested.
    pub fn withdraw_epoch(&self) -> Option<u32> {
        match self.state {
            StakedWalState::Withdrawing { withdraw_epoch } => Some(withdraw_epoch),
            StakedWalState::Staked => None,
        }
    }
}

// === storage_node / node_metadata / auth ===

/// `walrus::storage_node::StorageNodeCap`: the operator's capability for one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageNodeCap {
    /// The object id.
    pub id: ObjectId,
    /// The node it acts for.
    pub node_id: ObjectId,
    /// The last epoch the node reported `epoch_sync_done` for (0 = never).
    pub last_epoch_sync_done: u32,
    /// The node's latest event blob attestation.
    pub last_event_blob_attestation: Option<super::system::EventBlobAttestation>,
    /// The root of the node's deny list (Move `u256`, 32 little-endian bytes).
    #[serde(with = "super::hex_u256")]
    pub deny_list_root: [u8; 32],
    /// The sequence number of the node's latest deny list update.
    pub deny_list_sequence: u64,
    /// The encoded size of the blobs on the node's deny list.
    pub deny_list_size: u64,
}

/// `walrus::node_metadata::NodeMetadata`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeMetadata {
    /// Image URL.
    pub image_url: String,
    /// Project URL.
    pub project_url: String,
    /// Description.
    pub description: String,
    /// Extra key/value fields.
    pub extra_fields: VecMap<String, String>,
}

/// `walrus::storage_node::StorageNodeInfo`: a node's public information.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageNodeInfo {
    /// Name.
    pub name: String,
    /// The node id.
    pub node_id: ObjectId,
    /// `host:port`.
    pub network_address: String,
    /// BLS protocol key (`Element<UncompressedG1>`, 96 bytes).
    #[serde(with = "hex_bytes")]
    pub public_key: Vec<u8>,
    /// Key scheduled for the next epoch advance (96 bytes).
    pub next_epoch_public_key: Option<UncompressedG1>,
    /// Network (TLS) public key, 33 bytes.
    #[serde(with = "hex_bytes")]
    pub network_public_key: Vec<u8>,
    /// Metadata: an `ExtendedField<NodeMetadata>`, whose value is the dynamic field
    /// `extended_field::Key() -> NodeMetadata` of this id (as Walrus mainnet).
    pub metadata: ExtendedField,
}

/// A Move `Element<UncompressedG1>` (96 bytes) where it is nested in another type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UncompressedG1(#[serde(with = "hex_bytes")] pub Vec<u8>);

/// `walrus::auth::Authorized`: who may collect a pool's commission or act in governance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Authorized {
    /// This address, when it sends the transaction.
    Address(ObjectId),
    /// Whoever presents the object with this id (by default the node's `StorageNodeCap`).
    ObjectID(ObjectId),
}

// === pool_exchange_rate / pending_values ===

/// `walrus::pool_exchange_rate::PoolExchangeRate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PoolExchangeRate {
    /// One share is worth one FROST.
    Flat,
    /// `wal_amount` FROST are worth `share_amount` shares.
    Variable {
        /// FROST.
        wal_amount: u128,
        /// Shares.
        share_amount: u128,
    },
}

impl PoolExchangeRate {
    /// The rate of a pool holding `wal_amount` FROST split into `share_amount` shares (Move
    /// `pool_exchange_rate::new`, without its `share_amount <= wal_amount` sanity check):
    /// `Flat` when either is zero.
    pub fn new(wal_amount: u64, share_amount: u64) -> Self {
        if wal_amount == 0 || share_amount == 0 {
            Self::Flat
        } else {
            Self::Variable {
                wal_amount: u128::from(wal_amount),
                share_amount: u128::from(share_amount),
            }
        }
    }

    /// Whether one share is worth one FROST.
    pub fn is_flat(&self) -> bool {
        matches!(self, Self::Flat)
    }

    /// The `(wal_amount, share_amount)` pair; `(0, 0)` for `Flat`.
    pub fn amounts(&self) -> (u128, u128) {
        match *self {
            Self::Flat => (0, 0),
            Self::Variable {
                wal_amount,
                share_amount,
            } => (wal_amount, share_amount),
        }
    }

    /// `shares * wal_amount / share_amount`, rounded down (`None` if it overflows a u64,
    /// where Move aborts).
    pub fn convert_to_wal_amount(&self, shares: u64) -> Option<u64> {
        match *self {
            Self::Flat => Some(shares),
            Self::Variable {
                wal_amount,
                share_amount,
            } => u128::from(shares)
                .checked_mul(wal_amount)?
                .checked_div(share_amount)
                .and_then(|x| u64::try_from(x).ok()),
        }
    }

    /// `wal * share_amount / wal_amount`, rounded down.
    pub fn convert_to_share_amount(&self, wal: u64) -> Option<u64> {
        match *self {
            Self::Flat => Some(wal),
            Self::Variable {
                wal_amount,
                share_amount,
            } => u128::from(wal)
                .checked_mul(share_amount)?
                .checked_div(wal_amount)
                .and_then(|x| u64::try_from(x).ok()),
        }
    }
}

/// The reward of `principal` FROST activated at the epoch whose rate is `activation_rate` and
/// valued at `withdraw_rate`: `max(0, withdraw_rate.to_wal(activation_rate.to_shares(P)) - P)`
/// (Move `staking_pool::calculate_rewards`; `None` where Move would abort on overflow). The
/// rate of an epoch is [`recorded_rate_at`], `Flat` where there is none.
pub fn calculate_rewards(
    activation_rate: &PoolExchangeRate,
    withdraw_rate: &PoolExchangeRate,
    principal: u64,
) -> Option<u64> {
    let shares = activation_rate.convert_to_share_amount(principal)?;
    let value = withdraw_rate.convert_to_wal_amount(shares)?;
    Some(value.saturating_sub(principal))
}

/// The rate Move's `staking_pool::exchange_rate_at_epoch` reads for `epoch` from a pool's
/// recorded rates: the latest one recorded at or before `epoch`, down to the pool's
/// `activation_epoch`; `None` when there is none (Move then uses `Flat`).
pub fn recorded_rate_at<R: Copy>(
    rates: &BTreeMap<u32, R>,
    activation_epoch: u32,
    epoch: u32,
) -> Option<R> {
    if epoch < activation_epoch {
        return None;
    }
    rates
        .range(activation_epoch..=epoch)
        .next_back()
        .map(|(_, rate)| *rate)
}

/// `walrus::pending_values::PendingValues`: epoch -> value, in insertion order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingValues(pub VecMap<u32, u64>);

impl PendingValues {
    /// Move `pending_values::value_at`: the sum of the values scheduled for epochs <= `epoch`
    /// (`None` where Move aborts on overflow).
    pub fn value_at(&self, epoch: u32) -> Option<u64> {
        self.0
            .contents
            .iter()
            .filter(|e| e.key <= epoch)
            .try_fold(0u64, |sum, e| sum.checked_add(e.value))
    }
}

// === staking_pool ===

/// `walrus::staking_pool::VotingParams`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VotingParams {
    /// FROST per 1 MiB encoded unit per epoch.
    pub storage_price: u64,
    /// FROST per 1 MiB encoded unit, once.
    pub write_price: u64,
    /// Encoded bytes the node offers.
    pub node_capacity: u64,
}

/// `walrus::staking_pool::StakingPool`; its id is the node id. The exchange rates are the
/// entries of the table `exchange_rates` (epoch -> [`PoolExchangeRate`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakingPool {
    /// Pool id = node id.
    pub id: ObjectId,
    /// Active (the only state a pool reaches today), withdrawing or withdrawn.
    pub state: PoolState,
    /// Votes.
    pub voting_params: VotingParams,
    /// Node information.
    pub node_info: StorageNodeInfo,
    /// First epoch in which stake in the pool can count.
    pub activation_epoch: u32,
    /// The epoch the pool was last advanced to.
    pub latest_epoch: u32,
    /// Active stake plus accumulated delegator rewards.
    pub wal_balance: u64,
    /// Shares `wal_balance` is split into.
    pub num_shares: u64,
    /// Withdraw epoch -> shares leaving.
    pub pending_shares_withdraw: PendingValues,
    /// Withdraw epoch -> pre-active principal leaving.
    pub pre_active_withdrawals: PendingValues,
    /// Epoch -> commission rate taking effect.
    pub pending_commission_rate: PendingValues,
    /// Current commission (bps).
    pub commission_rate: u16,
    /// `Table<u32, PoolExchangeRate>`.
    pub exchange_rates: Table,
    /// Activation epoch -> stake becoming active.
    pub pending_stake: PendingValues,
    /// Backing of the delegators' rewards (`Balance<WAL>`).
    pub rewards_pool: u64,
    /// Collectable commission (`Balance<WAL>`).
    pub commission: u64,
    /// Who may collect the commission.
    pub commission_receiver: Authorized,
    /// Who may act in governance.
    pub governance_authorized: Authorized,
    /// `sui::bag::Bag` for fields added by later versions (empty).
    pub extra_fields: Bag,
}

/// `walrus::staking_pool::PoolState`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PoolState {
    /// Accepts stake.
    #[default]
    Active,
    /// Its stake leaves; it is withdrawn at this epoch.
    Withdrawing(u32),
    /// Empty; can be destroyed.
    Withdrawn,
}

/// `sui::bag::Bag`: `id ‖ size` (the same layout as [`Table`]; its entries are dynamic fields).
pub type Bag = Table;

// === active_set / committee / staking_inner / staking ===

/// `walrus::active_set::ActiveSetEntry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveSetEntry {
    /// The node.
    pub node_id: ObjectId,
    /// Its projected stake.
    pub staked_amount: u64,
}

/// `walrus::active_set::ActiveSet`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveSet {
    /// Largest number of members (111).
    pub max_size: u16,
    /// The least stake a node needs to be in the set (0).
    pub threshold_stake: u64,
    /// Members, in storage order.
    pub nodes: Vec<ActiveSetEntry>,
    /// Sum of the members' stakes.
    pub total_stake: u64,
}

/// `walrus::committee::Committee`: node id -> shards, sorted by node id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Committee(pub VecMap<ObjectId, Vec<u16>>);

impl Committee {
    /// The shards of `node_id` (empty if it is not a member).
    pub fn shards(&self, node_id: &ObjectId) -> &[u16] {
        self.0.get(node_id).map_or(&[], Vec::as_slice)
    }

    /// The member ids, ascending.
    pub fn node_ids(&self) -> Vec<ObjectId> {
        self.0.keys().copied().collect()
    }

    /// Whether `node_id` is a member.
    pub fn contains(&self, node_id: &ObjectId) -> bool {
        self.0.get(node_id).is_some()
    }
}

/// `walrus::staking_inner::EpochState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EpochState {
    /// Epoch change started; the shard weight of the nodes that finished syncing.
    EpochChangeSync(u16),
    /// Epoch change done at this time (ms).
    EpochChangeDone(u64),
    /// Next committee selected; the epoch change was done at this time (ms).
    NextParamsSelected(u64),
}

impl EpochState {
    /// The time the last epoch change was done, once done.
    pub fn last_epoch_change_time(&self) -> Option<u64> {
        match *self {
            Self::EpochChangeSync(_) => None,
            Self::EpochChangeDone(t) | Self::NextParamsSelected(t) => Some(t),
        }
    }

    /// The synced weight (0 unless syncing).
    pub fn synced_weight(&self) -> u16 {
        match *self {
            Self::EpochChangeSync(w) => w,
            _ => 0,
        }
    }
}

/// `walrus::staking_inner::StakingInnerV1` (on Sui the dynamic field `1u64` of [`Staking`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakingInnerV1 {
    /// Total number of shards.
    pub n_shards: u16,
    /// Epoch duration (ms).
    pub epoch_duration: u64,
    /// Time (ms) from which epoch 0 may end.
    pub first_epoch_start: u64,
    /// `ObjectTable<ID, StakingPool>`.
    pub pools: Table,
    /// The current epoch.
    pub epoch: u32,
    /// Candidates for the next committee: an `ExtendedField<ActiveSet>` (the value is the
    /// dynamic field `extended_field::Key() -> ActiveSet` of this id, as Walrus mainnet).
    pub active_set: ExtendedField,
    /// The next committee, once selected.
    pub next_committee: Option<Committee>,
    /// The current committee.
    pub committee: Committee,
    /// The previous committee.
    pub previous_committee: Committee,
    /// The next epoch's parameters, once selected.
    pub next_epoch_params: Option<EpochParams>,
    /// Where the epoch is in its life cycle.
    pub epoch_state: EpochState,
    /// The next committee's BLS keys (96-byte uncompressed), fixed at selection: an
    /// `ExtendedField<VecMap<ID, Element<UncompressedG1>>>`.
    pub next_epoch_public_keys: ExtendedField,
}

/// `walrus::staking::Staking`: the shared object (its state is [`StakingInnerV1`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staking {
    /// The object id.
    pub id: ObjectId,
    /// The version (3, as Walrus mainnet), also the dynamic-field key of the state.
    pub version: u64,
    /// The package the object belongs to.
    pub package_id: ObjectId,
    /// The package an upgrade committed to, until the migration.
    pub new_package_id: Option<ObjectId>,
}

// === slashing ===

/// `walrus::slashing::SlashingProposal`: the votes of one epoch to slash a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlashingProposal {
    /// The epoch the proposal was created or last refreshed in.
    pub epoch: u32,
    /// The node to slash.
    pub node_id: ObjectId,
    /// The shards of the nodes that voted for it.
    pub voting_weight: u16,
    /// The voters (`VecSet<ID>`: its BCS is the vector, in insertion order).
    pub voters: Vec<ObjectId>,
}

/// `walrus::slashing::SlashingManager`: the shared object (its proposals are the entries of
/// the `slashing_candidates` table, by candidate node id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlashingManager {
    /// The object id.
    pub id: ObjectId,
    /// `Table<ID, SlashingProposal>`.
    pub slashing_candidates: Table,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewards_of_the_two_delegator_scenario() {
        // move/walrus/tests/staking/staking_rewards_tests.move::two_delegators_commission_and_burn:
        // rate[1] flat, rate[2] = (1_000_873_000_000, 10^12), rate[3] = (1_501_920_600_000,
        // 1_499_563_880_732).
        let rate2 = PoolExchangeRate::Variable {
            wal_amount: 1_000_873_000_000,
            share_amount: 1_000_000_000_000,
        };
        let rate3 = PoolExchangeRate::Variable {
            wal_amount: 1_501_920_600_000,
            share_amount: 1_499_563_880_732,
        };
        assert_eq!(
            calculate_rewards(&PoolExchangeRate::Flat, &rate3, 1_000_000_000_000),
            Some(1_571_603_116)
        );
        assert_eq!(
            calculate_rewards(&rate2, &rate3, 500_000_000_000),
            Some(348_996_883)
        );
    }
}
