/// Shard apportionment: how many of the `n` shards each candidate gets, by the D'Hondt
/// (Jefferson) highest-averages method with a per-node cap.
///
/// Algorithm (integers only; the Rust devnet ledger mirrors it exactly). Input: stakes `s[i]`
/// listed in priority order (stake descending, node id ascending), `n` shards, a cap `c`:
/// 1. `T = Σ s[i]`; if `T = 0` every node gets 0.
/// 2. Initial seats: `seats[i] = min(c, s[i] * n / T)` (rounded down; never more than D'Hondt
///    gives, so this only saves iterations).
/// 3. While fewer than `n` shards are given: give one more to the node with the largest
///    quotient `s[i] / (seats[i] + 1)` among nodes with `seats[i] < c` and `s[i] > 0`;
///    quotients are compared exactly by cross-multiplication
///    (`s[i] * (seats[j] + 1) > s[j] * (seats[i] + 1)`); equal quotients go to the node
///    listed first.
/// The cap (`shards_limit`): `n / 10` (at least 1) with 20 or more nodes, otherwise
/// `ceil(2n / nodes)`, so that `cap * nodes >= n` always holds.
module walrus::apportionment;

// === Errors ===

/// The cap is too small to place every shard.
const ECapTooSmall: u64 = 0;

// === Constants ===

/// From this many nodes on, the cap is `n / SHARDS_LIMIT_DENOMINATOR`.
const MIN_NODES_FOR_SHARDS_LIMIT: u64 = 20;
/// Denominator of the cap with many nodes (10%).
const SHARDS_LIMIT_DENOMINATOR: u64 = 10;

// === Public functions ===

/// The per-node shard cap for `n_nodes` candidates and `n_shards` shards.
public fun shards_limit(n_shards: u16, n_nodes: u64): u16 {
    let n = n_shards as u64;
    if (n_nodes == 0) return n_shards;
    let limit = if (n_nodes >= MIN_NODES_FOR_SHARDS_LIMIT) {
        (n / SHARDS_LIMIT_DENOMINATOR).max(1)
    } else {
        // ceil(n * MIN_NODES_FOR_SHARDS_LIMIT / (n_nodes * SHARDS_LIMIT_DENOMINATOR))
        (n * MIN_NODES_FOR_SHARDS_LIMIT).divide_and_round_up(n_nodes * SHARDS_LIMIT_DENOMINATOR)
    };
    limit.min(n) as u16
}

/// Apportions `n_shards` over `stakes` (given in priority order) with at most `cap` per node;
/// returns the shard counts in the same order.
public fun dhondt(n_shards: u16, cap: u16, stakes: &vector<u64>): vector<u16> {
    let len = stakes.length();
    let mut total: u128 = 0;
    stakes.do_ref!(|s| total = total + (*s as u128));
    if (total == 0) return vector::tabulate!(len, |_| 0u16);
    let n = n_shards as u128;

    let mut seats = vector::tabulate!(len, |i| {
        let initial = (stakes[i] as u128) * n / total;
        (initial.min(cap as u128)) as u16
    });
    let mut given: u64 = 0;
    seats.do_ref!(|s| given = given + (*s as u64));

    while (given < (n_shards as u64)) {
        let mut best = len;
        let mut i = 0;
        while (i < len) {
            if (seats[i] < cap && stakes[i] > 0) {
                if (best == len || quotient_gt(stakes[i], seats[i], stakes[best], seats[best])) {
                    best = i;
                }
            };
            i = i + 1;
        };
        assert!(best < len, ECapTooSmall);
        *seats.borrow_mut(best) = seats[best] + 1;
        given = given + 1;
    };
    seats
}

// === Private functions ===

/// Whether `s_a / (seats_a + 1) > s_b / (seats_b + 1)`, exactly.
fun quotient_gt(s_a: u64, seats_a: u16, s_b: u64, seats_b: u16): bool {
    (s_a as u128) * ((seats_b as u128) + 1) > (s_b as u128) * ((seats_a as u128) + 1)
}
