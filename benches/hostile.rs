//! Time and memory of hostile input at 1x, 2x and 4x its size: both must
//! grow linearly (ratios near 2 and 4), never quadratically.
//!
//! `cargo bench --bench hostile` prints, before criterion's timings, a table
//! of peak heap use per size (counted by a wrapping allocator) and the time
//! of one run, with their ratios to the 1x size.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bouncekit::scan::MboxReader;
use bouncekit::{classify_bytes, parse_with, Classifier, Limits};
use criterion::{criterion_group, Criterion, Throughput};

/// The system allocator, counting live and peak bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const SIZES: [usize; 3] = [1, 2, 4];

/// One hostile shape: a name, a base unit count and a generator.
struct Case {
    name: &'static str,
    unit: usize,
    make: fn(usize) -> Vec<u8>,
}

fn dsn(n: usize) -> Vec<u8> {
    let mut m = String::from(
        "From: MAILER-DAEMON@mx.example.net\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"BB\"\r\n\r\n\
         --BB\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n",
    );
    for i in 0..n {
        m.push_str(&format!("\r\nFinal-Recipient: rfc822; user{i}@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"));
    }
    m.push_str("\r\n--BB--\r\n");
    m.into_bytes()
}

fn parts(n: usize) -> Vec<u8> {
    let mut m = String::from("From: a@example.net\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n");
    for i in 0..n {
        m.push_str(&format!("--p\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n"));
    }
    m.push_str("--p--\r\n");
    m.into_bytes()
}

fn header_line(n: usize) -> Vec<u8> {
    let mut m = b"From: MAILER-DAEMON@example.net\r\nX-Junk: ".to_vec();
    m.resize(m.len() + n, b'a');
    m.extend_from_slice(b"\r\n\r\n<gone@example.org>: 550 5.1.1 User unknown\r\n");
    m
}

fn text_body(n: usize) -> Vec<u8> {
    // A bounce whose free text is long and full of address-like and code-like noise.
    let mut m = b"From: MAILER-DAEMON@example.net\r\nSubject: Undelivered\r\n\r\n".to_vec();
    while m.len() < n {
        m.extend_from_slice(b"<a@b.example>: 550 5.1.1 see host x.example[192.0.2.1] said: 4.4.7 \r\n");
    }
    m
}

fn encoded_words(n: usize) -> Vec<u8> {
    let mut m = b"Subject: ".to_vec();
    for _ in 0..n {
        m.extend_from_slice(b"=?iso-8859-1?Q?=E9t=E9?= ");
    }
    m.extend_from_slice(b"\r\n\r\nbody\r\n");
    m
}

fn mbox(n: usize) -> Vec<u8> {
    let mut m = Vec::new();
    for i in 0..n {
        m.extend_from_slice(format!("From MAILER-DAEMON Mon Jan  5 10:00:{:02} 2026\nSubject: {i}\n\nFrom inside a body\n>From quoted\n\n", i % 60).as_bytes());
    }
    m
}

/// A PEC notice whose `daticert.xml` is `n` bytes of `<` before its root.
fn pec_angles(n: usize) -> Vec<u8> {
    let mut m = b"From: posta-certificata@pec.example.it\r\nX-Ricevuta: errore-consegna\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n\
                  --p\r\nContent-Type: application/xml\r\n\r\n"
        .to_vec();
    m.resize(m.len() + n, b'<');
    m.extend_from_slice(b"<postacert tipo=\"errore-consegna\" errore=\"no-dest\"><dati><consegna>a@b.example</consegna></dati></postacert>\r\n--p--\r\n");
    m
}

fn cases() -> Vec<Case> {
    vec![
        Case { name: "dsn_recipients", unit: 5_000, make: dsn },
        Case { name: "mime_parts", unit: 20_000, make: parts },
        Case { name: "header_line_bytes", unit: 4 << 20, make: header_line },
        Case { name: "text_body_bytes", unit: 1 << 20, make: text_body },
        Case { name: "encoded_words", unit: 20_000, make: encoded_words },
        Case { name: "mbox_messages", unit: 20_000, make: mbox },
        Case { name: "pec_angle_bytes", unit: 1 << 20, make: pec_angles },
    ]
}

fn limits() -> Limits {
    // Wide enough that every case is processed in full, not refused.
    Limits { max_message_size: 1 << 30, max_mime_depth: 64, max_parts: 1 << 20, max_recipients: 1 << 20, max_diagnostic_len: 4096 }
}

fn run(c: &Case, input: &[u8], classifier: &Classifier, limits: &Limits) -> usize {
    if c.name == "mbox_messages" {
        MboxReader::new(Cursor::new(input), "bench", 1 << 20).filter(|(_, r)| r.is_ok()).count()
    } else if c.name == "text_body_bytes" {
        let r = parse_with(classifier, input, limits).map(|r| r.recipients.len()).unwrap_or(0);
        r + classify_bytes(input).rule.len()
    } else {
        parse_with(classifier, input, limits).map(|r| r.recipients.len()).unwrap_or(0)
    }
}

/// Peak heap above the input itself, and the best of three wall times.
fn measure(c: &Case, input: &[u8], classifier: &Classifier, limits: &Limits) -> (usize, Duration) {
    let mut best = Duration::MAX;
    let mut peak = 0;
    for _ in 0..3 {
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let t = Instant::now();
        black_box(run(c, black_box(input), classifier, limits));
        best = best.min(t.elapsed());
        peak = peak.max(PEAK.load(Ordering::Relaxed) - base);
    }
    (peak, best)
}

fn table() {
    let classifier = Classifier::new();
    let limits = limits();
    println!("hostile input: peak heap and time per size (ratio to 1x; linear = 2.0 and 4.0)");
    println!("{:<18} {:>5} {:>12} {:>12} {:>7} {:>10} {:>7}", "case", "size", "input", "peak heap", "ratio", "time ms", "ratio");
    for c in cases() {
        let mut first: Option<(usize, Duration)> = None;
        for k in SIZES {
            let input = (c.make)(c.unit * k);
            let (peak, time) = measure(&c, &input, &classifier, &limits);
            let (p0, t0) = *first.get_or_insert((peak, time));
            println!(
                "{:<18} {:>4}x {:>12} {:>12} {:>7.2} {:>10.1} {:>7.2}",
                c.name,
                k,
                input.len(),
                peak,
                peak as f64 / p0.max(1) as f64,
                time.as_secs_f64() * 1e3,
                time.as_secs_f64() / t0.as_secs_f64().max(1e-9)
            );
        }
    }
    println!();
}

fn bench(cr: &mut Criterion) {
    let classifier = Classifier::new();
    let limits = limits();
    for c in cases() {
        let mut g = cr.benchmark_group(format!("hostile/{}", c.name));
        g.sample_size(10);
        for k in SIZES {
            let input = (c.make)(c.unit * k);
            g.throughput(Throughput::Bytes(input.len() as u64));
            g.bench_function(format!("{k}x"), |b| b.iter(|| run(&c, black_box(&input), &classifier, &limits)));
        }
        g.finish();
    }
}

criterion_group!(benches, bench);

fn main() {
    table();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
