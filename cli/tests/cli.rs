//! The command-line tool, run as a user would.

use assert_cmd::Command;

fn bk() -> Command {
    Command::cargo_bin("bouncekit").unwrap()
}

#[test]
fn classify_prints_a_verdict() {
    let out = bk().args(["classify", "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown"]).assert().success();
    let s = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(s.contains("userunknown") && s.contains("hard") && s.contains("suppress"), "{s}");
}

#[test]
fn classify_streams_stdin_as_jsonl() {
    let input = "452 4.2.2 The email account that you tried to reach is over quota\n\n550 5.1.1 user unknown\r\n";
    let out = bk().args(["classify", "--format", "jsonl", "-"]).write_stdin(input).assert().success();
    let s = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let rows: Vec<serde_json::Value> = s.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["reason"], "mailboxfull");
    assert_eq!(rows[0]["status"], "4.2.2");
    assert_eq!(rows[1]["bounce_type"], "hard");
}

#[test]
fn explain_human_and_json() {
    let out = bk().args(["explain", "5.4.1"]).assert().success();
    let s = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(s.contains("No answer from host") && s.contains("Common causes") && s.contains("Investigation steps"), "{s}");
    let out = bk().args(["explain", "5.4.1", "--format", "json"]).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["name"], "No answer from host");
    assert_eq!(v["bounce_type"], "hard");
}

#[test]
fn reasons_lists_34() {
    let out = bk().args(["reasons", "--format", "jsonl"]).assert().success();
    let s = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(s.lines().count(), 34);
}

#[test]
fn bad_arguments_fail_with_one_line() {
    let out = bk().args(["explain", "9.9.9"]).assert().failure().code(2);
    let e = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(e.starts_with("bouncekit: invalid enhanced status code"), "{e}");
    bk().args(["classify"]).assert().failure().code(2);
    bk().args(["nosuchcommand"]).assert().failure();
    bk().args(["classify", "--rules", "/nonexistent/rules.toml", "x"]).assert().failure().code(2);
}

const CONTRACT: [&str; 18] = [
    "source", "message_kind", "recipient", "dsn_action", "status", "reply_code", "reason", "bounce_type", "category",
    "action", "diagnostic", "remote_mta", "reporting_mta", "smtp_command", "timestamp", "decoded_by", "rule", "feedback_type",
];

fn fixture(name: &str) -> String {
    format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn scan_jsonl_follows_the_output_contract() {
    let out = bk().args(["scan", "--format", "jsonl", &fixture("dsn-two-recipients.eml"), &fixture("arf.eml")]).assert().success();
    let s = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let rows: Vec<serde_json::Value> = s.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 3);
    for r in &rows {
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = CONTRACT.to_vec();
        want.sort();
        let mut have = keys.clone();
        have.sort();
        assert_eq!(have, want);
    }
    assert_eq!(rows[0]["reason"], "userunknown");
    assert_eq!(rows[0]["bounce_type"], "hard");
    assert_eq!(rows[0]["reply_code"], 550);
    assert_eq!(rows[2]["message_kind"], "feedback");
    assert_eq!(rows[2]["feedback_type"], "abuse");
}

#[test]
fn scan_reads_stdin_and_other_formats() {
    let raw = std::fs::read(fixture("dsn-two-recipients.eml")).unwrap();
    let out = bk().args(["scan", "--format", "csv", "-"]).write_stdin(raw.clone()).assert().success();
    let s = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(s.starts_with("source,message_kind,recipient"));
    assert_eq!(s.lines().count(), 3);
    let out = bk().args(["scan", "--format", "summary"]).write_stdin(raw).assert().success();
    let s = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(s.contains("userunknown") && s.contains("example.org"), "{s}");
}

#[test]
fn scan_oversize_message_is_reported_and_the_scan_goes_on() {
    let out = bk()
        .args(["scan", "--format", "jsonl", "--max-size", "500", &fixture("dsn-two-recipients.eml"), &fixture("autoreply-de.eml")])
        .assert()
        .success();
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("max_message_size"), "{stderr}");
    let s = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(s.lines().count(), 1);
}

#[test]
fn scan_records_into_a_ledger_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/sisimai/bsd");
    let stats = |out: &assert_cmd::assert::Assert| String::from_utf8(out.get_output().stderr.clone()).unwrap();
    let first = bk().args(["scan", corpus, "--format", "summary", "--ledger"]).arg(&db).assert().success();
    let s = stats(&first);
    let line = s.lines().find(|l| l.starts_with("bouncekit: ledger:")).expect("ledger stats line");
    assert!(!line.contains(" 0 new events"), "{line}");
    // The same mailbox again: nothing new.
    let again = bk().args(["scan", corpus, "--format", "summary", "--ledger"]).arg(&db).assert().success();
    let s = stats(&again);
    let line = s.lines().find(|l| l.starts_with("bouncekit: ledger:")).unwrap();
    assert!(line.contains(" 0 new events") && line.contains(" 0 newly suppressed"), "{line}");
    let list = bk().args(["suppressed", "--format", "csv", "--ledger"]).arg(&db).assert().success();
    let csv = String::from_utf8(list.get_output().stdout.clone()).unwrap();
    assert!(csv.lines().count() > 50, "suppression list too short:\n{csv}");
    assert!(csv.lines().any(|l| l.contains(",userunknown,hard,")));
}

#[test]
fn scan_of_an_mbox_on_stdin_gives_the_rows_of_the_file_in_order_on_any_thread_count() {
    let names = ["dsn-two-recipients.eml", "arf.eml", "autoreply-de.eml", "delivered.eml"];
    let mut mbox = String::new();
    for i in 0..400 {
        mbox.push_str(&format!("From x Mon Mar  3 10:00:00 2025\n{}\n", std::fs::read_to_string(fixture(names[i % 4])).unwrap()));
        if i % 50 == 7 {
            mbox.push_str(&format!("{}\n\n", "y".repeat(3000))); // over --max-size
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("box");
    std::fs::write(&path, &mbox).unwrap();
    let path = path.to_str().unwrap();
    let run = |threads: &str, format: &str, input: &str| {
        let mut cmd = bk();
        cmd.env("RAYON_NUM_THREADS", threads).args(["scan", "--format", format, "--max-size", "2000", input]);
        if input == "-" {
            cmd.write_stdin(mbox.clone());
        }
        let out = cmd.assert().success();
        let o = out.get_output();
        (String::from_utf8(o.stdout.clone()).unwrap(), String::from_utf8(o.stderr.clone()).unwrap())
    };
    let (file_rows, file_errors) = run("1", "jsonl", path);
    let (stdin_rows, stdin_errors) = run("2", "jsonl", "-");
    assert_eq!(file_rows.lines().count(), 400 - 8 + 100, "two rows for each DSN, none for the 8 oversize ones");
    assert_eq!(stdin_rows, file_rows.replace(&format!("\"source\":\"{path}#"), "\"source\":\"-#"));
    let errors: Vec<&str> = stdin_errors.lines().map(|l| l.split(':').nth(1).unwrap().trim()).collect();
    let want: Vec<String> = (0..400).filter(|i| i % 50 == 7).map(|i| format!("-#{}", i + 1)).collect();
    assert_eq!(errors, want, "each oversize message reported once, in order:\n{stdin_errors}");
    assert_eq!(file_errors.lines().count(), 8);
    for format in ["csv", "summary", "table"] {
        assert_eq!(run("4", format, path), run("1", format, path), "{format}");
    }
    // --threads (-j) overrides RAYON_NUM_THREADS, with the same rows.
    for j in ["1", "3"] {
        let out = bk().env("RAYON_NUM_THREADS", "2").args(["scan", "-j", j, "--format", "jsonl", "--max-size", "2000", path]).assert().success();
        assert_eq!(String::from_utf8(out.get_output().stdout.clone()).unwrap(), file_rows, "-j {j}");
    }
}

#[test]
fn scan_threads_must_be_a_positive_count() {
    for bad in ["0", "-1", "many", ""] {
        let out = bk().args(["scan", &format!("--threads={bad}"), &fixture("arf.eml")]).assert().failure().code(2);
        let e = String::from_utf8(out.get_output().stderr.clone()).unwrap();
        assert!(e.contains("--threads"), "{bad}: {e}");
        assert!(out.get_output().stdout.is_empty(), "{bad}: nothing scanned");
    }
}
