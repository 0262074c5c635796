//! scan: files, directories, mbox, Maildir; order, limits.

use std::fs;

use bouncekit::scan::{Input, Scan};
use bouncekit::{Classifier, Error, Limits};

fn fixture(name: &str) -> String {
    fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn sources(inputs: Vec<Input>, limits: Limits) -> Vec<(String, Result<usize, Error>)> {
    let c = Classifier::new();
    Scan::new(inputs, &c, limits).map(|(s, r)| (s, r.map(|r| r.recipients.len()))).collect()
}

#[test]
fn mbox_with_from_lines_inside_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let a = fixture("qmail-quoted-original.eml").replace("hello\n", "hello\nFrom the desk of the sender\n>From quoted\n");
    let b = fixture("dsn-two-recipients.eml");
    let mbox = format!("From MAILER-DAEMON Mon Mar  3 10:00:00 2025\n{a}\nFrom MAILER-DAEMON Mon Mar  3 10:00:01 2025\n{b}\n");
    let p = dir.path().join("box");
    fs::write(&p, mbox).unwrap();
    let got = sources(vec![Input::Path(p.clone())], Limits::default());
    let names: Vec<_> = got.iter().map(|(s, _)| s.rsplit('/').next().unwrap().to_string()).collect();
    assert_eq!(names, ["box#1", "box#2"]);
    assert_eq!(got[0].1.as_ref().unwrap(), &2);
    assert_eq!(got[1].1.as_ref().unwrap(), &2);
}

#[test]
fn maildir_and_recursion_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(md.join(sub)).unwrap();
    }
    fs::write(md.join("cur/1.host:2,S"), fixture("dsn-two-recipients.eml")).unwrap();
    fs::write(md.join("new/2.host"), fixture("arf.eml")).unwrap();
    fs::write(md.join("tmp/3.host"), fixture("arf.eml")).unwrap();
    fs::create_dir_all(dir.path().join("a/b")).unwrap();
    fs::write(dir.path().join("a/b/deep.eml"), fixture("autoreply-de.eml")).unwrap();
    let got = sources(vec![Input::Path(dir.path().to_path_buf())], Limits::default());
    let names: Vec<_> = got.iter().map(|(s, _)| s.strip_prefix(&dir.path().display().to_string()).unwrap().to_string()).collect();
    assert_eq!(names, ["/Maildir/cur/1.host:2,S", "/Maildir/new/2.host", "/a/b/deep.eml"], "tmp/ is skipped, order is stable");
}

#[test]
fn oversize_message_is_an_error_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("1-big.eml"), "x".repeat(5000)).unwrap();
    fs::write(dir.path().join("2-ok.eml"), fixture("arf.eml")).unwrap();
    let mbox = format!(
        "From a Mon Mar  3 10:00:00 2025\nSubject: big\n\n{}\n\nFrom b Mon Mar  3 10:00:01 2025\n{}",
        "y".repeat(5000),
        fixture("arf.eml")
    );
    fs::write(dir.path().join("3-box"), mbox).unwrap();
    let limits = Limits { max_message_size: 2000, ..Limits::default() };
    let got = sources(vec![Input::Path(dir.path().to_path_buf())], limits);
    assert_eq!(got.len(), 4);
    assert!(matches!(got[0].1, Err(Error::LimitExceeded { limit: "max_message_size", .. })));
    assert!(got[1].1.is_ok());
    assert!(matches!(got[2].1, Err(Error::LimitExceeded { .. })));
    assert!(got[2].0.ends_with("3-box#1"));
    assert!(got[3].1.is_ok());
}

#[test]
fn order_is_preserved_across_parallel_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let mut mbox = String::new();
    for i in 0..700 {
        let f = if i % 2 == 0 { fixture("arf.eml") } else { fixture("dsn-two-recipients.eml") };
        mbox.push_str(&format!("From x Mon Mar  3 10:00:00 2025\n{f}\n"));
    }
    let p = dir.path().join("big-box");
    fs::write(&p, mbox).unwrap();
    let got = sources(vec![Input::Path(p)], Limits::default());
    assert_eq!(got.len(), 700);
    for (i, (s, r)) in got.iter().enumerate() {
        assert!(s.ends_with(&format!("#{}", i + 1)));
        assert_eq!(*r.as_ref().unwrap(), if i % 2 == 0 { 1 } else { 2 });
    }
}

#[test]
fn missing_path_is_an_io_error_row() {
    let got = sources(vec![Input::Path("/nonexistent/bouncekit".into())], Limits::default());
    assert!(matches!(got[0].1, Err(Error::Io { .. })));
}
