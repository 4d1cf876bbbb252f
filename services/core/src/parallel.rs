//! Small helpers for splitting matrices into disjoint pieces that parallel jobs own, and for
//! choosing how many codewords ("lanes") one Reed–Solomon call handles.

use std::ops::Range;

use rayon::prelude::*;

/// Splits every row into consecutive chunks of `chunk_len` elements and regroups them by chunk
/// index: `result[b]` holds chunk `b` of every row, in row order. `n_chunks` is the number of
/// chunks per row (the last one may be shorter).
pub(crate) fn regroup_chunks<'a, T>(
    rows: impl IntoIterator<Item = &'a mut [T]>,
    chunk_len: usize,
    n_chunks: usize,
) -> Vec<Vec<&'a mut [T]>> {
    let mut groups: Vec<Vec<&'a mut [T]>> = (0..n_chunks).map(|_| Vec::new()).collect();
    for row in rows {
        for (group, chunk) in groups.iter_mut().zip(row.chunks_mut(chunk_len.max(1))) {
            group.push(chunk);
        }
    }
    groups
}

/// Groups consecutive items into vectors of at most `group_len`.
pub(crate) fn group_consecutive<T>(items: Vec<T>, group_len: usize) -> Vec<Vec<T>> {
    let mut groups = Vec::new();
    let mut current = Vec::with_capacity(group_len);
    for item in items {
        current.push(item);
        if current.len() == group_len.max(1) {
            groups.push(std::mem::replace(
                &mut current,
                Vec::with_capacity(group_len),
            ));
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// The ranges `[0, lanes), [lanes, 2·lanes), …` covering `0..total`.
pub(crate) fn lane_ranges(total: usize, lanes: usize) -> Vec<Range<usize>> {
    let lanes = lanes.max(1);
    (0..total.div_ceil(lanes))
        .map(|batch| batch * lanes..((batch + 1) * lanes).min(total))
        .collect()
}

/// How many codewords of `symbol_size`-byte symbols one Reed–Solomon call should process so
/// that its shards are about `target_bytes` long, while leaving at least `min_jobs` jobs for the
/// thread pool when there are enough codewords.
pub(crate) fn lanes_per_call(
    symbol_size: usize,
    total: usize,
    target_bytes: usize,
    min_jobs: usize,
) -> usize {
    let by_size = (target_bytes / symbol_size.max(1)).max(1);
    let by_jobs = total.div_ceil(min_jobs.max(1)).max(1);
    by_size.min(by_jobs).min(total.max(1))
}

/// The part of `data[start..start + length]` that exists (the rest is implicit zero padding).
pub(crate) fn clamped(data: &[u8], start: usize, length: usize) -> &[u8] {
    let begin = start.min(data.len());
    let end = start.saturating_add(length).min(data.len());
    &data[begin..end]
}

/// Copies `source` into the start of `destination` on all threads: the first write to fresh
/// memory faults it in (and the kernel zeroes it), which is worth spreading over cores.
pub(crate) fn parallel_copy(destination: &mut [u8], source: &[u8]) {
    const CHUNK: usize = 4 << 20;
    destination[..source.len()]
        .par_chunks_mut(CHUNK)
        .zip(source.par_chunks(CHUNK))
        .for_each(|(destination, source)| destination.copy_from_slice(source));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regrouping_covers_everything_once() {
        let mut data: Vec<u32> = (0..30).collect();
        let groups = regroup_chunks(data.chunks_mut(10), 4, 3);
        let lengths: Vec<Vec<usize>> = groups
            .iter()
            .map(|group| group.iter().map(|c| c.len()).collect())
            .collect();
        assert_eq!(lengths, vec![vec![4, 4, 4], vec![4, 4, 4], vec![2, 2, 2]]);
        assert_eq!(groups[1][2], [24, 25, 26, 27]);
    }

    #[test]
    fn parallel_copy_copies_a_prefix() {
        let source: Vec<u8> = (0..(9 << 20)).map(|i| (i % 251) as u8).collect();
        let mut destination = vec![7u8; source.len() + 3];
        parallel_copy(&mut destination, &source);
        assert_eq!(&destination[..source.len()], &source[..]);
        assert_eq!(&destination[source.len()..], &[7, 7, 7]);
    }

    #[test]
    fn lanes_and_ranges() {
        assert_eq!(lane_ranges(10, 4), vec![0..4, 4..8, 8..10]);
        assert!(lane_ranges(0, 4).is_empty());
        assert_eq!(lanes_per_call(302, 667, 8192, 8), 27);
        assert_eq!(lanes_per_call(302, 10, 8192, 8), 2);
        assert_eq!(lanes_per_call(65534, 10, 8192, 8), 1);
        assert_eq!(
            group_consecutive(vec![1, 2, 3, 4, 5], 2),
            vec![vec![1, 2], vec![3, 4], vec![5]]
        );
    }
}
