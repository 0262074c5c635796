//! `parse` over the corpus mix: every message of the Sisimai corpus in
//! ../shared (or the bundled test fixtures when it is absent), one core.
//! Goal: 50,000 messages/s per core.

use std::hint::black_box;
use std::path::Path;

use bouncekit::{parse_with, Classifier, Limits};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn messages() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in [root.join("../shared/corpus/sisimai/bsd"), root.join("tests/fixtures")] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            let mut paths: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            paths.sort();
            let v: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
            if !v.is_empty() {
                return v;
            }
        }
    }
    panic!("no messages to benchmark");
}

fn bench(c: &mut Criterion) {
    let msgs = messages();
    let classifier = Classifier::new();
    let limits = Limits::default();
    let bytes: usize = msgs.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.bench_function("corpus-mix (messages)", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for m in &msgs {
                if let Ok(r) = parse_with(&classifier, black_box(m), &limits) {
                    n += r.recipients.len();
                }
            }
            n
        })
    });
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("corpus-mix (bytes)", |b| {
        b.iter(|| msgs.iter().filter(|m| parse_with(&classifier, black_box(m), &limits).is_ok()).count())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
