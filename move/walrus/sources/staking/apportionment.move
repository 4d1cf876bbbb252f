/// Shard apportionment, as on Walrus mainnet: how many of the `n` shards each candidate gets,
/// by the D'Hondt (Jefferson) highest-averages method with a per-node cap.
///
/// Algorithm (mirrored exactly by the Rust devnet ledger). Input: the candidates' stakes `s[i]`
/// in the active set's order, `n` shards, the cap `c`:
/// 1. `T = Σ s[i]`, which must be positive (`staking_inner::ENoStake` is checked before).
/// 2. Initial seats (Hagenbach-Bischoff, never more than D'Hondt gives):
///    `seats[i] = min(c, s[i] / (T / (n + 1) + 1))`.
/// 3. Every node below the cap enters an `apportionment_queue` with the priority
///    `s[i] / (seats[i] + 1)` as a `UQ64_64` (rounded down to 64 fractional bits) and the
///    tie-breaker `len - i` (earlier candidates win ties).
/// 4. While fewer than `n` shards are given: pop the highest entry, give it one more shard and
///    re-insert it with its new quotient unless it reached the cap.
/// The cap (`shards_limit`): `n / 10` with 20 or more nodes, otherwise `ceil(2n / nodes)`.
module walrus::apportionment;

use std::uq64_64;
use walrus::apportionment_queue;

// === Constants ===

/// From this many nodes on, the cap is `n / SHARDS_LIMIT_DENOMINATOR`.
const MIN_NODES_FOR_SHARDS_LIMIT: u64 = 20;
/// Denominator of the cap with many nodes (10%).
const SHARDS_LIMIT_DENOMINATOR: u64 = 10;

// === Public functions ===

/// The per-node shard cap for `n_nodes` candidates and `n_shards` shards.
public fun shards_limit(n_shards: u16, n_nodes: u64): u16 {
    let n = n_shards as u64;
    let limit = if (n_nodes >= MIN_NODES_FOR_SHARDS_LIMIT) {
        n / SHARDS_LIMIT_DENOMINATOR
    } else {
        (n * MIN_NODES_FOR_SHARDS_LIMIT).divide_and_round_up(n_nodes * SHARDS_LIMIT_DENOMINATOR)
    };
    limit as u16
}

/// Apportions `n_shards` over `stakes` (in the active set's order; their sum must be
/// positive) with at most `cap` per node; returns the shard counts in the same order. Aborts
/// with `apportionment_queue::EPopFromEmptyHeap` if the cap cannot place every shard.
public fun dhondt(n_shards: u16, cap: u16, stakes: &vector<u64>): vector<u16> {
    let len = stakes.length();
    if (len == 0) return vector[];
    let mut total = 0;
    stakes.do_ref!(|s| total = total + *s);
    let n = n_shards as u64;
    let cap = cap as u64;
    let divisor = total / (n + 1) + 1;
    let mut seats = stakes.map_ref!(|s| (*s / divisor).min(cap));
    let mut queue = apportionment_queue::new();
    len.do!(|i| {
        if (seats[i] != cap) queue.insert(quotient(stakes[i], seats[i]), len - i, i);
    });
    let mut given = 0;
    seats.do_ref!(|s| given = given + *s);
    while (given != n) {
        let (_, tie_breaker, i) = queue.pop_max();
        *&mut seats[i] = seats[i] + 1;
        if (seats[i] != cap) queue.insert(quotient(stakes[i], seats[i]), tie_breaker, i);
        given = given + 1;
    };
    seats.map!(|s| s as u16)
}

// === Private functions ===

/// `stake / (seats + 1)` as a `UQ64_64`, rounded down.
fun quotient(stake: u64, seats: u64): uq64_64::UQ64_64 {
    uq64_64::from_quotient(stake as u128, (seats as u128) + 1)
}
