/// The vote aggregation of prices and capacity: weighted quantiles at the quorum threshold.
///
/// With `n` shards the quorum weight is `q = 2n / 3 + 1` (integer division; the smallest `w`
/// with `3w >= 2n + 1`, 667 of 1000). Each vote counts with its node's shard weight.
/// - `quorum_below` (prices): the smallest value `p` such that the votes `<= p` weigh at least
///   `q`: sort ascending, accumulate weights, return the first value where the sum reaches `q`.
/// - `quorum_above` (capacity): the largest value `c` such that the votes `>= c` weigh at least
///   `q`: sort descending, same accumulation.
/// If the votes never reach `q` (e.g. no votes), `quorum_below` returns `u64::MAX` and
/// `quorum_above` returns 0.
module walrus::weighted_quantile;

// === Errors ===

/// Values and weights have different lengths.
const ELengthMismatch: u64 = 0;

// === Object definitions ===

/// One vote with its shard weight (for sorting).
public struct Vote has copy, drop { value: u64, weight: u16 }

// === Public functions ===

/// The quorum weight for `n_shards`: `2n / 3 + 1`.
public fun quorum_weight(n_shards: u16): u64 { (n_shards as u64) * 2 / 3 + 1 }

/// The smallest value that votes of at least quorum weight are at or below.
public fun quorum_below(values: vector<u64>, weights: vector<u16>, n_shards: u16): u64 {
    let sorted = sort(values, weights, true);
    first_reaching(&sorted, quorum_weight(n_shards), std::u64::max_value!())
}

/// The largest value that votes of at least quorum weight are at or above.
public fun quorum_above(values: vector<u64>, weights: vector<u16>, n_shards: u16): u64 {
    let sorted = sort(values, weights, false);
    first_reaching(&sorted, quorum_weight(n_shards), 0)
}

// === Private functions ===

fun sort(values: vector<u64>, weights: vector<u16>, ascending: bool): vector<Vote> {
    assert!(values.length() == weights.length(), ELengthMismatch);
    let mut votes = vector::tabulate!(values.length(), |i| Vote { value: values[i], weight: weights[i] });
    if (ascending) votes.insertion_sort_by!(|a, b| a.value <= b.value)
    else votes.insertion_sort_by!(|a, b| a.value >= b.value);
    votes
}

fun first_reaching(votes: &vector<Vote>, threshold: u64, default: u64): u64 {
    let mut sum = 0;
    let mut i = 0;
    while (i < votes.length()) {
        sum = sum + (votes[i].weight as u64);
        if (sum >= threshold) return votes[i].value;
        i = i + 1;
    };
    default
}
