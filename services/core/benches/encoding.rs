//! Encoding benchmarks: encode + metadata, the metadata-only path, worst-case decode (all input
//! slivers are parity rows), verification of every sliver against the metadata (what a storage
//! node does for each upload) and peak memory, for 1 MiB, 64 MiB and 256 MiB blobs at n = 1000 and
//! n = 100, single-threaded and on all cores. Prints a table.
//!
//! ```sh
//! cargo bench -p walrus-core --bench encoding                    # everything
//! cargo bench -p walrus-core --bench encoding -- encode/64MiB/1000  # cases containing a filter
//! cargo bench -p walrus-core --bench encoding -- memory           # peak RSS, 256 MiB
//! ```
//!
//! Case names: `{encode,metadata,decode,decode-checked,verify}/{1,64,256}MiB/{1000,100}/{1t,all}` and
//! `memory/256MiB/1000/{owned,borrowed}`. Filters are substrings; several filters select the
//! union. `decode` is the bare decode; `decode-checked` adds the Default consistency check.
//! Each case runs once to warm up, then 20 (1 MiB), 5 (64 MiB) or 2 (256 MiB) timed times;
//! `cpu` is the process CPU time per timed iteration.
//!
//! Merkle hashing uses eight-lane AVX-512 BLAKE2b where the CPU has it; run with
//! `WALRUS_NO_AVX512=1` to measure the `blake2b_simd` (AVX2) path in the same binary.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // A benchmark binary, not library code.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use walrus_core::{ConsistencyCheck, EncodingConfig, Primary};

const MIB: usize = 1 << 20;

fn pattern(length: usize) -> Vec<u8> {
    (0..length).map(|i| ((i * 7 + 13) % 256) as u8).collect()
}

fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// User + system CPU time of the whole process (all threads), from `/proc/self/stat`.
fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The kernel reports clock ticks of 1/100 s on Linux.
    Some(Duration::from_millis(ticks * 10))
}

/// Wall-clock (min, median) and mean CPU time per iteration.
struct Timing {
    min: Duration,
    median: Duration,
    cpu: Option<Duration>,
}

/// Runs `body` `iterations` times after one warm-up run.
fn time(iterations: usize, mut body: impl FnMut()) -> Timing {
    body();
    let cpu_start = process_cpu_time();
    let mut times: Vec<Duration> = (0..iterations)
        .map(|_| {
            let start = Instant::now();
            body();
            start.elapsed()
        })
        .collect();
    let cpu = process_cpu_time()
        .zip(cpu_start)
        .map(|(end, start)| end.saturating_sub(start) / iterations as u32);
    times.sort();
    Timing {
        min: times[0],
        median: times[times.len() / 2],
        cpu,
    }
}

fn iterations(size: usize) -> usize {
    match size / MIB {
        0..=1 => 20,
        2..=64 => 5,
        _ => 2,
    }
}

struct Case {
    name: String,
    kind: &'static str,
    size: usize,
    n: u16,
    threads: Option<usize>,
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for kind in ["encode", "metadata", "decode", "decode-checked", "verify"] {
        for size_mib in [1usize, 64, 256] {
            for n in [1000u16, 100] {
                for (threads, label) in [(Some(1), "1t"), (None, "all")] {
                    cases.push(Case {
                        name: format!("{kind}/{size_mib}MiB/{n}/{label}"),
                        kind,
                        size: size_mib * MIB,
                        n,
                        threads,
                    });
                }
            }
        }
    }
    cases
}

fn run_case(case: &Case) {
    let config = EncodingConfig::new(case.n).unwrap();
    if case.size as u64 > config.max_blob_size() {
        println!(
            "{:<32} n/a: larger than the maximum blob size for n = {} ({} bytes)",
            case.name,
            case.n,
            config.max_blob_size()
        );
        return;
    }
    let blob = pattern(case.size);
    let threads = case.threads.unwrap_or_else(num_cpus);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let iterations = iterations(case.size);
    let timing = pool.install(|| match case.kind {
        "encode" => time(iterations, || {
            let encoded = config.encode(&blob).unwrap();
            std::hint::black_box(encoded);
        }),
        "metadata" => time(iterations, || {
            std::hint::black_box(config.compute_metadata(&blob).unwrap());
        }),
        "decode" | "decode-checked" => {
            let encoded = config.encode(&blob).unwrap();
            let r = config.n_slivers_for_reconstruction::<Primary>();
            // Worst case: only parity rows (indices R..2R), so every row must be decoded.
            let slivers: Vec<_> = encoded.sliver_pairs[r..2 * r]
                .iter()
                .map(|pair| pair.primary.clone())
                .collect();
            let checked = case.kind == "decode-checked";
            let result = time(iterations, || {
                let decoded = if checked {
                    config
                        .decode_and_verify::<Primary>(
                            &encoded.metadata,
                            &slivers,
                            ConsistencyCheck::Default,
                        )
                        .unwrap()
                } else {
                    config
                        .decode::<Primary>(blob.len() as u64, &slivers)
                        .unwrap()
                };
                assert_eq!(decoded.len(), blob.len());
                std::hint::black_box(decoded);
            });
            let decoded = config
                .decode::<Primary>(blob.len() as u64, &slivers)
                .unwrap();
            assert!(decoded == blob, "decode mismatch");
            result
        }
        "verify" => {
            use rayon::prelude::*;
            let encoded = config.encode(&blob).unwrap();
            time(iterations, || {
                encoded.sliver_pairs.par_iter().for_each(|pair| {
                    pair.primary.verify(&config, &encoded.metadata).unwrap();
                    pair.secondary.verify(&config, &encoded.metadata).unwrap();
                });
            })
        }
        other => unreachable!("unknown case kind {other}"),
    });
    let throughput = case.size as f64 / MIB as f64 / timing.min.as_secs_f64();
    let cpu = timing.cpu.map_or_else(
        || "?".to_owned(),
        |cpu| format!("{:.0}", cpu.as_secs_f64() * 1e3),
    );
    println!(
        "{:<32} {:>3} threads  min {:>9.3} ms  median {:>9.3} ms  cpu {:>6} ms/iter  {:>8.1} MiB/s",
        case.name,
        threads,
        timing.min.as_secs_f64() * 1e3,
        timing.median.as_secs_f64() * 1e3,
        cpu,
        throughput
    );
}

fn num_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Encodes 256 MiB at n = 1000 in this process and prints the peak RSS. With `owned`, the blob is
/// handed to `encode_owned`; otherwise the caller keeps it and calls `encode`.
fn memory_child(owned: bool) {
    let config = EncodingConfig::new(1000).unwrap();
    let size = 256 * MIB;
    let blob = pattern(size);
    let before = peak_rss_bytes().unwrap_or(0);
    let start = Instant::now();
    let encoded = if owned {
        config.encode_owned(blob).unwrap()
    } else {
        let encoded = config.encode(&blob).unwrap();
        std::hint::black_box(&blob);
        encoded
    };
    let elapsed = start.elapsed();
    let peak = peak_rss_bytes().unwrap_or(0);
    std::hint::black_box(&encoded);
    println!(
        "{:<32} peak RSS {:>7.1} MiB = {:.2}x blob (before encoding {:.1} MiB); encode {:.3} s",
        if owned {
            "memory/256MiB/1000/owned"
        } else {
            "memory/256MiB/1000/borrowed"
        },
        peak as f64 / MIB as f64,
        peak as f64 / size as f64,
        before as f64 / MIB as f64,
        elapsed.as_secs_f64()
    );
}

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|argument| !argument.starts_with("--"))
        .collect();
    if let Some(position) = filters.iter().position(|filter| filter == "memory-child") {
        memory_child(
            filters
                .get(position + 1)
                .is_some_and(|mode| mode == "owned"),
        );
        return;
    }
    let selected = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f));
    println!(
        "RS2 benchmarks ({} cores available; BLAKE2b batches: {})",
        num_cpus(),
        walrus_core::batch_hash_backend()
    );
    for case in cases().iter().filter(|case| selected(&case.name)) {
        run_case(case);
    }
    for mode in ["owned", "borrowed"] {
        if selected(&format!("memory/256MiB/1000/{mode}")) {
            // In a fresh process, so earlier cases do not raise the high-water mark.
            let output = Command::new(std::env::current_exe().unwrap())
                .args(["memory-child", mode])
                .output()
                .unwrap();
            print!("{}", String::from_utf8_lossy(&output.stdout));
        }
    }
}
