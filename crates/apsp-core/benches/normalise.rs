//! Micro-benchmarks of the per-cell work of ingestion: phone normalisation (cold, i.e.
//! uncached, and through the cache) and timestamp parsing with DST resolution.
//! Run with `cargo bench -p apsp-core --bench normalise`.

use std::hint::black_box;

use apsp_core::ingest::phone::{normalise, PhoneCache};
use apsp_core::ingest::time::TimeRules;
use criterion::{criterion_group, criterion_main, Criterion};

fn phones(c: &mut Criterion) {
    let writings = [
        "07700 900123",
        "+44 (0)7700 900123",
        "0044-7700-900123",
        "(020) 7946 0000",
        "+353 85 123 4567",
        "999",
    ];
    c.bench_function("phone/normalise uncached (6 writings)", |b| {
        b.iter(|| {
            for w in &writings {
                black_box(normalise(black_box(w)).ok());
            }
        })
    });
    let mut cache = PhoneCache::default();
    c.bench_function("phone/normalise cached (6 writings)", |b| {
        b.iter(|| {
            for w in &writings {
                black_box(cache.normalise(black_box(w)).is_ok());
            }
        })
    });
}

fn times(c: &mut Criterion) {
    let rules = TimeRules::new(chrono_tz::Europe::London);
    let stamps = [
        "2026-01-10T10:00:00",
        "2026-07-10 10:00:00",
        "2026-01-10T10:00:00Z",
        "2026-07-10T10:00:00.123+01:00",
    ];
    c.bench_function("time/parse ISO + London DST (4 stamps)", |b| {
        b.iter(|| {
            for s in &stamps {
                black_box(rules.parse(black_box(s)).ok());
            }
        })
    });
}

criterion_group!(benches, phones, times);
criterion_main!(benches);
