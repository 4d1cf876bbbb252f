/// A max-priority queue for the D'Hondt apportionment, as on Walrus mainnet: entries with a
/// fixed-point priority (the quotient `stake / (shards + 1)`) and a tie-breaker (a higher one
/// wins between equal priorities), kept as a binary max-heap in a vector (the children of entry
/// `i` are `2i + 1` and `2i + 2`).
module walrus::apportionment_queue;

use std::uq64_64::UQ64_64;

// === Errors (numbered as in Walrus mainnet) ===

/// `pop_max` on an empty queue.
const EPopFromEmptyHeap: u64 = 0;

// === Object definitions ===

/// The queue.
public struct ApportionmentQueue<T> has drop {
    /// The heap: no entry has a higher priority than its parent.
    entries: vector<Entry<T>>,
}

/// One entry.
public struct Entry<T> has drop {
    /// Higher is popped first.
    priority: UQ64_64,
    /// Orders entries of equal priority: higher is popped first.
    tie_breaker: u64,
    value: T,
}

// === Public functions ===

/// An empty queue.
public fun new<T>(): ApportionmentQueue<T> { ApportionmentQueue { entries: vector[] } }

/// Removes and returns the entry of highest (priority, tie-breaker) as (priority, tie-breaker,
/// value); `EPopFromEmptyHeap` if the queue is empty.
public fun pop_max<T>(pq: &mut ApportionmentQueue<T>): (UQ64_64, u64, T) {
    assert!(pq.entries.length() > 0, EPopFromEmptyHeap);
    let Entry { priority, tie_breaker, value } = pq.entries.swap_remove(0);
    sift_down(&mut pq.entries);
    (priority, tie_breaker, value)
}

/// Adds an entry.
public fun insert<T>(pq: &mut ApportionmentQueue<T>, priority: UQ64_64, tie_breaker: u64, value: T) {
    pq.entries.push_back(Entry { priority, tie_breaker, value });
    sift_up(&mut pq.entries);
}

// === Private functions ===

/// Moves the root down until no child outranks it.
fun sift_down<T>(entries: &mut vector<Entry<T>>) {
    let len = entries.length();
    let mut i = 0;
    loop {
        let left = 2 * i + 1;
        let right = left + 1;
        let mut top = i;
        if (left < len && entries[left].outranks(&entries[top])) top = left;
        if (right < len && entries[right].outranks(&entries[top])) top = right;
        if (top == i) break;
        entries.swap(top, i);
        i = top;
    }
}

/// Moves the last entry up until its parent outranks it.
fun sift_up<T>(entries: &mut vector<Entry<T>>) {
    let mut i = entries.length() - 1;
    while (i > 0) {
        let parent = (i - 1) / 2;
        if (!entries[i].outranks(&entries[parent])) break;
        entries.swap(i, parent);
        i = parent;
    }
}

/// Whether `a` is popped before `b`.
fun outranks<T>(a: &Entry<T>, b: &Entry<T>): bool {
    a.priority.gt(b.priority) || (a.priority == b.priority && a.tie_breaker > b.tie_breaker)
}
