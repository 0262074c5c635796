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
