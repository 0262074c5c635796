//! `bouncekit suppressed` and `bouncekit ledger ...`, run as a user would.

use assert_cmd::Command;

fn bk() -> Command {
    Command::cargo_bin("bouncekit").unwrap()
}

const ROWS: &str = r#"{"source":"a.eml","message_kind":"bounce","recipient":"Bob@Example.com","dsn_action":"failed","status":"5.1.1","reply_code":550,"reason":"userunknown","bounce_type":"hard","category":"addressing","action":"suppress","diagnostic":"550 5.1.1 user unknown","timestamp":"Wed, 1 May 2024 12:00:00 +0200","decoded_by":"rfc3464","rule":"status:5.1.1","feedback_type":null}
{"source":"b.eml","recipient":"ann@example.com","status":"4.2.2","reason":"mailboxfull","bounce_type":"soft","timestamp":"2024-05-01T10:00:00Z","diagnostic":"452 4.2.2 over quota"}

{"source":"c.eml","recipient":"cid@example.net","reason":"feedback","bounce_type":"none","timestamp":"2024-05-02T10:00:00Z","feedback_type":"abuse"}
{"source":"d.eml","recipient":"dee@example.net","reason":"blocked","bounce_type":"soft","timestamp":"2024-05-02T10:00:00Z"}
"#;

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stderr.clone()).unwrap()
}

#[test]
fn record_list_release() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    let db = db.to_str().unwrap();
    let a = bk().args(["ledger", "record", "--ledger", db]).write_stdin(ROWS).assert().success();
    assert_eq!(stdout(&a), "recorded 4 new events (0 already recorded); 2 addresses newly suppressed; 0 domains flagged\n");
    // From a file, again: nothing new.
    let f = dir.path().join("rows.jsonl");
    std::fs::write(&f, ROWS).unwrap();
    let a = bk().args(["ledger", "record", "--ledger", db, f.to_str().unwrap(), "--format", "json"]).assert().success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!((v["recorded"].as_u64(), v["duplicates"].as_u64()), (Some(0), Some(4)));

    let a = bk().args(["suppressed", "--ledger", db, "--format", "csv"]).assert().success();
    assert_eq!(
        stdout(&a),
        "address,domain,scope,reason,bounce_type,since,until,why\n\
         bob@example.com,example.com,address,userunknown,hard,2024-05-01T10:00:00Z,,hard bounce (userunknown) suppresses at once\n\
         cid@example.net,example.net,address,feedback,none,2024-05-02T10:00:00Z,,feedback suppresses at once\n"
    );
    let a = bk().args(["suppressed", "--ledger", db, "--format", "json"]).assert().success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["since"], "2024-05-01T10:00:00Z");
    let a = bk().args(["suppressed", "--ledger", db]).assert().success();
    let s = stdout(&a);
    assert!(s.starts_with("ADDRESS") && s.contains("bob@example.com  userunknown") && s.ends_with("2 suppressed\n"), "{s}");

    let a = bk()
        .args(["ledger", "decide", "--ledger", db, "ann@example.com", "bob@example.com", "dee@example.net", "--at-time", "2024-05-03T00:00:00Z"])
        .assert()
        .success();
    let s = stdout(&a);
    assert!(s.contains("ann@example.com: retry"), "{s}");
    assert!(s.contains("bob@example.com: suppress: suppressed since 2024-05-01T10:00:00Z"), "{s}");
    assert!(s.contains("dee@example.net: fix_sender: blocked is a sender-side problem"), "{s}");

    let a = bk().args(["ledger", "release", "--ledger", db, "bob@example.com"]).assert().success();
    assert_eq!(stdout(&a), "released bob@example.com: off the suppression list\n");
    let a = bk().args(["suppressed", "--ledger", db, "--format", "csv"]).assert().success();
    assert_eq!(stdout(&a).lines().count(), 2);

    let a = bk().args(["ledger", "stats", "--ledger", db, "--format", "json"]).assert().success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!((v["events"].as_u64(), v["suppressed"].as_u64(), v["schema_version"].as_i64()), (Some(4), Some(1), Some(bouncekit::ledger::SCHEMA_VERSION)));
    let a = bk().args(["ledger", "stats", "--ledger", db]).assert().success();
    assert!(stdout(&a).contains("events          4"));
    let a = bk().args(["ledger", "domains", "--ledger", db]).assert().success();
    let s = stdout(&a);
    assert!(s.starts_with("DOMAIN") && s.contains("example.com") && s.contains("example.net"), "{s}");
}

#[test]
fn domains_get_flagged_and_released() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    let db = db.to_str().unwrap();
    let rows: String = (0..6)
        .map(|i| format!("{{\"recipient\":\"u{i}@down.example\",\"reason\":\"networkerror\",\"timestamp\":{}}}\n", 1_714_557_600 + i * 60))
        .collect();
    let now = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - 3600).to_string();
    let rows = rows.replace("1714557", &now[..7]);
    let a = bk().args(["ledger", "record", "--ledger", db]).write_stdin(rows).assert().success();
    assert!(stdout(&a).contains("1 domains flagged"), "{}", stdout(&a));
    let a = bk().args(["ledger", "domains", "--ledger", db]).assert().success();
    assert!(stdout(&a).contains("flagged until"), "{}", stdout(&a));
    let a = bk().args(["ledger", "decide", "--ledger", db, "new@down.example"]).assert().success();
    assert!(stdout(&a).contains("retry") && stdout(&a).contains("domain down.example is flagged"), "{}", stdout(&a));
    let a = bk().args(["ledger", "release", "--ledger", db, "--domain", "down.example"]).assert().success();
    assert_eq!(stdout(&a), "released domain down.example: its flag is lifted\n");
    let a = bk().args(["ledger", "decide", "--ledger", db, "new@down.example"]).assert().success();
    assert!(stdout(&a).contains("ignore"), "{}", stdout(&a));
}

#[test]
fn bad_input_is_refused_whole_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    let db = db.to_str().unwrap();
    let input = format!("{ROWS}{{\"recipient\":\"x@example.com\",\"reason\":\"mailboxfool\",\"timestamp\":1714557600}}\n");
    let a = bk().args(["ledger", "record", "--ledger", db]).write_stdin(input.clone()).assert().failure().code(2);
    let e = stderr(&a);
    assert_eq!(
        e,
        "bouncekit: line 6: reason: unknown reason \"mailboxfool\" (the reasons are those of `bouncekit reasons`); nothing was recorded\n"
    );
    let a = bk().args(["suppressed", "--ledger", db, "--format", "csv"]).assert().success();
    assert_eq!(stdout(&a).lines().count(), 1, "nothing half-written");
    // Not JSON.
    let a = bk().args(["ledger", "record", "--ledger", db]).write_stdin("hello\n").assert().failure().code(2);
    assert!(stderr(&a).starts_with("bouncekit: line 1: not a scan row"), "{}", stderr(&a));
    // --skip-invalid records the rest.
    let a = bk().args(["ledger", "record", "--ledger", db, "--skip-invalid"]).write_stdin(input).assert().success();
    assert!(stdout(&a).contains("recorded 4 new events (0 already recorded, 1 invalid rows skipped)"), "{}", stdout(&a));
    assert!(stderr(&a).contains("line 6: reason: unknown reason"), "{}", stderr(&a));
    // Missing timestamps: refused, or given a default.
    let row = "{\"recipient\":\"t@example.com\",\"reason\":\"userunknown\"}\n";
    let a = bk().args(["ledger", "record", "--ledger", db]).write_stdin(row).assert().failure();
    assert!(stderr(&a).contains("timestamp: missing"), "{}", stderr(&a));
    bk().args(["ledger", "record", "--ledger", db, "--default-time", "now"]).write_stdin(row).assert().success();
    // A ledger that isn't there is not created by reading it.
    let a = bk().args(["suppressed", "--ledger", dir.path().join("typo.db").to_str().unwrap()]).assert().failure().code(2);
    assert!(stderr(&a).contains("no such ledger"), "{}", stderr(&a));
    assert!(!dir.path().join("typo.db").exists());
    // A bad policy file.
    let p = dir.path().join("p.toml");
    std::fs::write(&p, "[soft]\nthreshhold = 2\n").unwrap();
    let a = bk().args(["suppressed", "--ledger", db, "--policy", p.to_str().unwrap()]).assert().failure().code(2);
    assert!(stderr(&a).contains("unknown field `threshhold`"), "{}", stderr(&a));
}
