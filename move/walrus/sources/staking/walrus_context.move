/// What a staking pool needs to know about the system when it is called: the current epoch,
/// whether the next committee was selected, and the current committee. Built by the staking
/// state for each pool operation, as in Walrus mainnet.
module walrus::walrus_context;

use sui::vec_map::VecMap;

/// The context of a pool operation.
public struct WalrusContext has drop {
    /// The current epoch.
    epoch: u32,
    /// Whether the committee for the next epoch is selected (`voting_end` ran).
    committee_selected: bool,
    /// The current committee: node id -> shards.
    committee: VecMap<ID, vector<u16>>,
}

public(package) fun new(
    epoch: u32,
    committee_selected: bool,
    committee: VecMap<ID, vector<u16>>,
): WalrusContext {
    WalrusContext { epoch, committee_selected, committee }
}

public(package) fun epoch(self: &WalrusContext): u32 { self.epoch }

public(package) fun committee_selected(self: &WalrusContext): bool { self.committee_selected }

public(package) fun committee(self: &WalrusContext): &VecMap<ID, vector<u16>> { &self.committee }
