//! Many threads classify and parse the corpus at once, sharing one
//! classifier (with user rules) and the built-in one; every answer must
//! equal the single-threaded answer for the same input.

use std::path::PathBuf;
use std::sync::Arc;
use std::thread;

use bouncekit::{classify, parse_with, Classification, Classifier, Error, Limits, Report};

const THREADS: usize = 8;

/// The corpus messages (../shared), or the bundled fixtures when it is absent.
fn messages() -> Vec<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in [root.join("../shared/corpus/sisimai/bsd"), root.join("../shared/corpus/sisimai/dos"), root.join("tests/fixtures")] {
        let Ok(rd) = std::fs::read_dir(&dir) else { continue };
        let mut paths: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
        paths.sort();
        out.extend(paths.iter().filter_map(|p| std::fs::read(p).ok()));
    }
    assert!(out.len() >= 10, "no messages found");
    out
}

/// Every diagnostic the messages carry, plus the example file's lines.
fn diagnostics(reports: &[Result<Report, Error>]) -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<String> = std::fs::read_to_string(root.join("examples/diagnostics.txt")).unwrap().lines().map(str::to_string).collect();
    for r in reports.iter().flatten() {
        out.extend(r.recipients.iter().map(|b| b.diagnostic.clone()));
    }
    out
}

const USER_RULES: &str = r#"
[[rule]]
id = "mine.vip"
reason = "filtered"
priority = 100
phrases = ["vip list only"]
examples = ["550 5.1.1 vip list only"]
"#;

#[test]
fn parse_and_classify_from_many_threads_equal_single_threaded() {
    let msgs = Arc::new(messages());
    let classifier = Arc::new(Classifier::with_user_rules(USER_RULES, "mine").unwrap());
    let limits = Limits::default();
    let expect_reports: Vec<Result<Report, Error>> = msgs.iter().map(|m| parse_with(&classifier, m, &limits)).collect();
    let texts = Arc::new(diagnostics(&expect_reports));
    let expect_user: Vec<Classification> = texts.iter().map(|t| classifier.classify(t)).collect();
    let expect_builtin: Vec<Classification> = texts.iter().map(|t| classify(t)).collect();
    let expect_reports = Arc::new(expect_reports);
    let expect_user = Arc::new(expect_user);
    let expect_builtin = Arc::new(expect_builtin);

    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (msgs, classifier, texts) = (msgs.clone(), classifier.clone(), texts.clone());
            let (er, eu, eb) = (expect_reports.clone(), expect_user.clone(), expect_builtin.clone());
            thread::spawn(move || {
                let limits = Limits::default();
                let n = msgs.len();
                // Each thread starts at a different place so different inputs overlap in time.
                for k in 0..n {
                    let i = (k + t * n / THREADS) % n;
                    assert_eq!(parse_with(&classifier, &msgs[i], &limits), er[i], "thread {t}, message {i}");
                }
                for k in 0..texts.len() {
                    let i = (k * 7 + t) % texts.len();
                    assert_eq!(classifier.classify(&texts[i]), eu[i], "thread {t}, text {i}");
                    assert_eq!(classify(&texts[i]), eb[i], "thread {t}, text {i}");
                }
                n
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("a worker thread panicked"), msgs.len());
    }
    // The user rule really was in play (otherwise the two classifiers would be one).
    assert_eq!(classifier.classify("550 5.1.1 vip list only").rule, "mine.vip");
    assert_ne!(classify("550 5.1.1 vip list only").rule, "mine.vip");
}

#[test]
fn scan_in_parallel_equals_parse_one_by_one() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("../shared/corpus/sisimai/bsd");
    let dir = if dir.is_dir() { dir } else { root.join("tests/fixtures") };
    let classifier = Classifier::new();
    // `scan` parses chunks on rayon's pool; small chunks make many of them.
    let scanned: Vec<(String, Result<Report, Error>)> =
        bouncekit::scan::Scan::new([dir.as_path()], &classifier, Limits::default()).chunk_size(3).collect();
    assert!(scanned.len() >= 10);
    for (source, got) in &scanned {
        let path = source.split('#').next().unwrap();
        if source.contains('#') {
            continue; // an mbox member: compared in tests/scan.rs
        }
        let raw = std::fs::read(path).unwrap();
        assert_eq!(got, &parse_with(&classifier, &raw, &Limits::default()), "{source}");
    }
}
