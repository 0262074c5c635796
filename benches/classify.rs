//! `classify` over a realistic mix of diagnostics: every Diagnostic-Code of
//! the Sisimai corpus in ../shared (or the bundled sample when it is absent).

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn diagnostics() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sisimai/bsd");
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        let mut paths: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            let mut lines = text.lines().peekable();
            while let Some(l) = lines.next() {
                if let Some(v) = l.strip_prefix("Diagnostic-Code:") {
                    let mut d = v.trim().to_string();
                    while let Some(n) = lines.peek() {
                        if n.starts_with(' ') || n.starts_with('\t') {
                            d.push(' ');
                            d.push_str(n.trim());
                            lines.next();
                        } else {
                            break;
                        }
                    }
                    out.push(d);
                }
            }
        }
    }
    if out.is_empty() {
        let sample = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/diagnostics.txt")).unwrap();
        out = sample.lines().filter(|l| !l.trim().is_empty()).map(String::from).collect();
    }
    out
}

fn bench(c: &mut Criterion) {
    let mix = diagnostics();
    let _ = bouncekit::classify("warm up the rule set");
    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Elements(mix.len() as u64));
    g.bench_function(format!("corpus_mix_{}", mix.len()), |b| {
        b.iter(|| {
            for d in &mix {
                black_box(bouncekit::classify(black_box(d)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
