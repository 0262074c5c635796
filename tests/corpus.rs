//! Accuracy on the shared Sisimai corpus, computed exactly as
//! `../shared/tools/score_corpus.py` computes it (same pairing rule), plus
//! consistency checks: not-bounces, CRLF twins, mbox files.
//!
//! The corpus lives outside the repository; when it is absent the tests
//! say so and pass.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use bouncekit::{parse, Row};
use serde::Deserialize;

const CORPUS: &str = "../shared/corpus/sisimai";

fn corpus() -> Option<PathBuf> {
    let candidates = [
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CORPUS),
        PathBuf::from("/work/shared/corpus/sisimai"),
    ];
    candidates.into_iter().find(|p| p.join("expected.json").is_file())
}

#[derive(Deserialize, Debug)]
struct Expected {
    status: Option<String>,
    reason: String,
    hard: bool,
}

#[derive(Deserialize)]
struct KnownFile {
    #[serde(default)]
    difference: Vec<Known>,
}

#[derive(Deserialize, Debug)]
struct Known {
    file: String,
    expected: String,
    ours: String,
    why: String,
}

fn rows_of(path: &Path) -> Vec<Row> {
    let bytes = fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    match parse(&bytes) {
        Ok(r) => r.rows(&name),
        Err(_) => vec![],
    }
}

struct Rates {
    n: usize,
    found: usize,
    reason: usize,
    hard: usize,
    status: usize,
    status_n: usize,
    misses: Vec<String>,
}

/// score_corpus.py's pairing: per file, first rows with the same reason and
/// status, then in order.
fn score(expected: &BTreeMap<String, Vec<Expected>>, got: &BTreeMap<String, Vec<Row>>, known: &[Known]) -> Rates {
    let mut r = Rates { n: 0, found: 0, reason: 0, hard: 0, status: 0, status_n: 0, misses: vec![] };
    for (name, rows) in expected {
        let g = got.get(name).map(Vec::as_slice).unwrap_or(&[]);
        let mut left: Vec<usize> = (0..g.len()).collect();
        for e in rows {
            r.n += 1;
            let pick = left
                .iter()
                .position(|&i| g[i].reason == e.reason && (e.status.is_none() || g[i].status == e.status))
                .or(if left.is_empty() { None } else { Some(0) });
            let Some(p) = pick else {
                r.misses.push(format!("{name}: no verdict for expected {} {:?}", e.reason, e.status));
                continue;
            };
            let row = &g[left.remove(p)];
            r.found += 1;
            let excused = known.iter().any(|k| &k.file == name && k.expected == e.reason && k.ours == row.reason);
            let ok_r = row.reason == e.reason || excused;
            let ok_h = (row.bounce_type == "hard") == e.hard || excused;
            r.reason += ok_r as usize;
            r.hard += ok_h as usize;
            if let Some(s) = &e.status {
                r.status_n += 1;
                r.status += (row.status.as_deref() == Some(s.as_str()) || excused) as usize;
            }
            if !(ok_r && ok_h) {
                r.misses.push(format!(
                    "{name}: want {}/{}/{:?} got {}/{}/{:?} [{}] {}",
                    e.reason,
                    if e.hard { "hard" } else { "soft" },
                    e.status,
                    row.reason,
                    row.bounce_type,
                    row.status,
                    row.rule,
                    row.diagnostic.chars().take(120).collect::<String>()
                ));
            }
        }
    }
    r
}

fn load_known() -> Vec<Known> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/known-differences.toml");
    let text = fs::read_to_string(&p).unwrap_or_default();
    let k: KnownFile = toml::from_str(&text).expect("tests/known-differences.toml is valid");
    for d in &k.difference {
        assert!(!d.why.trim().is_empty() && d.why.len() > 20, "known difference {} needs a real justification", d.file);
    }
    k.difference
}

fn bsd_rows(dir: &Path) -> BTreeMap<String, Vec<Row>> {
    let mut got = BTreeMap::new();
    for e in fs::read_dir(dir.join("bsd")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        got.insert(name, rows_of(&p));
    }
    got
}

#[test]
fn accuracy_floors() {
    let Some(dir) = corpus() else {
        eprintln!("corpus not found; skipped");
        return;
    };
    let expected: BTreeMap<String, Vec<Expected>> =
        serde_json::from_str(&fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let known = load_known();
    let got = bsd_rows(&dir);
    let r = score(&expected, &got, &known);
    let rate = |a: usize, b: usize| a as f64 / b.max(1) as f64;
    let (found, reason, hard, status) =
        (rate(r.found, r.n), rate(r.reason, r.n), rate(r.hard, r.n), rate(r.status, r.status_n));
    for m in r.misses.iter().take(60) {
        eprintln!("{m}");
    }
    eprintln!("recipients {}: found={found:.3} reason={reason:.3} hard={hard:.3} status={status:.3}", r.n);
    let floors_reached = found >= 0.99 && reason >= 0.97 && hard >= 0.98 && status >= 0.97;
    if std::env::var_os("BOUNCEKIT_CORPUS_FLOORS").is_some() {
        assert!(floors_reached, "floors: found 0.99 reason 0.97 hard 0.98 status 0.97");
    }
    // Regression guard at the level reached so far (with the known
    // differences); raised as accuracy improves, never lowered.
    assert!(found >= 0.99, "found {found:.3}");
    assert!(reason >= 0.975 && hard >= 0.985 && status >= 0.98, "reason {reason:.3} hard {hard:.3} status {status:.3}");
}

#[test]
fn accuracy_floors_strict() {
    let Some(dir) = corpus() else { return };
    let expected: BTreeMap<String, Vec<Expected>> =
        serde_json::from_str(&fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let r = score(&expected, &bsd_rows(&dir), &load_known());
    let rate = |a: usize, b: usize| a as f64 / b.max(1) as f64;
    assert!(rate(r.found, r.n) >= 0.99);
    assert!(rate(r.reason, r.n) >= 0.97, "reason {:.3}", rate(r.reason, r.n));
    assert!(rate(r.hard, r.n) >= 0.98, "hard {:.3}", rate(r.hard, r.n));
    assert!(rate(r.status, r.status_n) >= 0.97, "status {:.3}", rate(r.status, r.status_n));
}

#[test]
fn not_bounces_have_no_failed_recipient() {
    let Some(dir) = corpus() else { return };
    for e in fs::read_dir(dir.join("not")).unwrap() {
        let p = e.unwrap().path();
        let rows = rows_of(&p);
        assert!(rows.iter().all(|r| r.dsn_action != "failed"), "{}: {rows:#?}", p.display());
    }
}

fn verdicts(rows: &[Row]) -> Vec<(String, String, Option<String>, String)> {
    rows.iter().map(|r| (r.recipient.clone(), r.reason.to_string(), r.status.clone(), r.bounce_type.to_string())).collect()
}

#[test]
fn crlf_twins_give_the_same_verdicts() {
    let Some(dir) = corpus() else { return };
    let mut compared = 0;
    for e in fs::read_dir(dir.join("dos")).unwrap() {
        let p = e.unwrap().path();
        let twin = dir.join("bsd").join(p.file_name().unwrap());
        if !twin.is_file() {
            continue;
        }
        assert_eq!(verdicts(&rows_of(&p)), verdicts(&rows_of(&twin)), "{}", p.display());
        compared += 1;
    }
    assert!(compared > 50);
}

/// An independent split of an mbox: a `From ` line after a blank line (or at the top).
fn split_mbox(data: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut prev_blank = true;
    for line in data.split_inclusive(|&c| c == b'\n') {
        if line.starts_with(b"From ") && prev_blank {
            out.push(Vec::new());
        } else if let Some(m) = out.last_mut() {
            m.extend_from_slice(line);
        }
        prev_blank = line == b"\n" || line == b"\r\n";
    }
    out
}

#[test]
fn mbox_messages_give_the_verdicts_of_the_messages_alone() {
    let Some(dir) = corpus() else { return };
    for name in ["mbox-0", "mbox-1"] {
        let path = dir.join("mailbox").join(name);
        let data = fs::read(&path).unwrap();
        let alone: Vec<_> = split_mbox(&data)
            .iter()
            .map(|m| parse(m).map(|r| verdicts(&r.rows("x"))).unwrap_or_default())
            .collect();
        let scanned: Vec<_> = bouncekit::scan::scan([path.as_path()])
            .map(|(src, r)| {
                assert!(src.contains('#'), "{src}");
                r.map(|r| verdicts(&r.rows("x"))).unwrap_or_default()
            })
            .collect();
        assert_eq!(scanned.len(), alone.len(), "{name}");
        assert_eq!(scanned, alone, "{name}");
        assert!(scanned.iter().filter(|v| !v.is_empty()).count() * 10 >= scanned.len() * 9, "{name}: most messages give a verdict");
    }
}
