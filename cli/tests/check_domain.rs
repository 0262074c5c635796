//! `bouncekit check-domain` and `bouncekit ledger recheck` against real
//! DNS and SMTP servers on loopback.

#[path = "../../tests/support/loopback.rs"]
mod loopback;

use assert_cmd::Command;
use loopback::{DnsServer, Entry, Smtp, SmtpServers};

fn servers() -> (DnsServer, SmtpServers) {
    let dns = DnsServer::start(vec![
        ("up.test", Entry::Mx(vec![(10, "mx.up.test")])),
        ("mx.up.test", Entry::A("127.0.0.2".parse().unwrap())),
        ("down.test", Entry::Mx(vec![(10, "mx.down.test")])),
        ("mx.down.test", Entry::A("127.0.0.5".parse().unwrap())),
        ("nullmx.test", Entry::Mx(vec![(0, ".")])),
        ("reject.test", Entry::Mx(vec![(5, "mx.reject.test")])),
        ("mx.reject.test", Entry::A("127.0.0.3".parse().unwrap())),
        ("broken.test", Entry::ServFail),
    ]);
    let smtp = SmtpServers::start(&[(2, Smtp::Greets), (3, Smtp::Rejects)]);
    (dns, smtp)
}

fn bk(dns: &DnsServer, smtp: &SmtpServers, args: &[&str]) -> Command {
    let mut c = Command::cargo_bin("bouncekit").unwrap();
    c.args(args).args(["--resolver", &dns.addr.to_string(), "--port", &smtp.port.to_string(), "--timeout", "1"]);
    c
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

#[test]
fn human_output() {
    let (dns, smtp) = servers();
    let a = bk(&dns, &smtp, &["check-domain", "up.test", "gone.test", "reject.test", "--starttls"]).assert().success();
    let s = stdout(&a);
    let lines: Vec<&str> = s.lines().collect();
    assert!(lines[0].starts_with("up.test  deliverable  mx.up.test greeted: 220"), "{s}");
    assert!(lines[1].starts_with("  MX    10 mx.up.test [127.0.0.2]: accepted"), "{s}");
    assert!(lines[2].contains("; EHLO 250; STARTTLS offered"), "{s}");
    assert!(s.contains("gone.test  no_such_domain  the domain does not exist (NXDOMAIN)"), "{s}");
    assert!(s.contains("reject.test  rejecting  mx.reject.test refuses mail: 554 5.7.1 no mail accepted here"), "{s}");
    let cmds = smtp.commands();
    assert!(cmds.contains(&"EHLO localhost".to_string()) && cmds.iter().all(|c| c == "EHLO localhost" || c == "QUIT"), "{cmds:?}");
}

#[test]
fn json_and_jsonl() {
    let (dns, smtp) = servers();
    let a = bk(&dns, &smtp, &["check-domain", "nullmx.test", "broken.test", "down.test", "--format", "json"]).assert().success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    let verdicts: Vec<&str> = v.as_array().unwrap().iter().map(|c| c["verdict"].as_str().unwrap()).collect();
    assert_eq!(verdicts, ["no_mail", "dns_failure", "unreachable"]);
    assert_eq!(v[2]["mx"][0]["probes"][0]["outcome"], "refused");
    let a = bk(&dns, &smtp, &["check-domain", "-", "--format", "jsonl"]).write_stdin("up.test\n\nnullmx.test\n").assert().success();
    let rows: Vec<serde_json::Value> = stdout(&a).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!((rows.len(), rows[0]["verdict"].as_str(), rows[1]["dns"]["source"].as_str()), (2, Some("deliverable"), Some("null_mx")));
}

#[test]
fn bad_arguments_exit_2() {
    let (dns, smtp) = servers();
    let a = bk(&dns, &smtp, &["check-domain", "not a domain"]).assert().code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("invalid domain"));
    bk(&dns, &smtp, &["check-domain", "up.test", "--concurrency", "0"]).assert().code(2);
    bk(&dns, &smtp, &["check-domain", "up.test", "--timeout", "-1"]).assert().code(2);
    assert!(smtp.commands().is_empty());
}

#[test]
fn recheck_releases_the_domains_that_came_back() {
    let (dns, smtp) = servers();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    let db = db.to_str().unwrap();
    // Six addresses of each domain failing with network errors an hour ago flag both.
    let t0 = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - 3600;
    let rows: String = ["up.test", "down.test"]
        .iter()
        .flat_map(|d| (0..6).map(move |i| format!("{{\"recipient\":\"u{i}@{d}\",\"reason\":\"networkerror\",\"timestamp\":{}}}\n", t0 + i * 60)))
        .collect();
    let mut record = Command::cargo_bin("bouncekit").unwrap();
    let a = record.args(["ledger", "record", "--ledger", db]).write_stdin(rows).assert().success();
    assert!(stdout(&a).contains("2 domains flagged"), "{}", stdout(&a));

    let a = bk(&dns, &smtp, &["ledger", "recheck", "--ledger", db, "--dry-run"]).assert().success();
    let s = stdout(&a);
    assert!(s.contains("up.test") && s.contains("would release") && s.ends_with("2 flagged domains checked; 1 recovered (dry run: nothing released)\n"), "{s}");

    let a = bk(&dns, &smtp, &["ledger", "recheck", "--ledger", db, "--format", "json"]).assert().success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!((v["checked"].as_u64(), v["released"].as_u64()), (Some(2), Some(1)));
    let changes: Vec<(&str, &str, &str)> = v["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["domain"].as_str().unwrap(), d["verdict"].as_str().unwrap(), d["change"].as_str().unwrap()))
        .collect();
    assert_eq!(changes, [("down.test", "unreachable", "still_flagged"), ("up.test", "deliverable", "released")]);

    // The ledger now sees only down.test flagged.
    let a = Command::cargo_bin("bouncekit").unwrap().args(["ledger", "decide", "--ledger", db, "new@up.test", "new@down.test"]).assert().success();
    let s = stdout(&a);
    assert!(s.contains("new@up.test: ignore") && s.contains("domain down.test is flagged"), "{s}");
    let a = bk(&dns, &smtp, &["ledger", "recheck", "--ledger", db]).assert().success();
    assert!(stdout(&a).ends_with("1 flagged domains checked; 0 released\n"), "{}", stdout(&a));
}
