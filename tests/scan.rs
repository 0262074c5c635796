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

/// An mbox of `n` fixture messages; message `i` is over 2000 bytes when `big(i)`.
fn mixed_mbox(n: usize, big: impl Fn(usize) -> bool) -> String {
    let names = ["arf.eml", "dsn-two-recipients.eml", "autoreply-de.eml", "delivered.eml", "iso2022jp.eml"];
    let mut mbox = String::new();
    for i in 0..n {
        mbox.push_str(&format!("From x Mon Mar  3 10:00:00 2025\n{}\n", fixture(names[i % names.len()])));
        if big(i) {
            mbox.push_str(&"y".repeat(3000));
            mbox.push_str("\n\n");
        }
    }
    mbox
}

type Got = Vec<(String, Result<bouncekit::Report, Error>)>;

fn by_for_each(scan: Scan<'_>) -> Got {
    let mut got = Vec::new();
    scan.for_each(|s, r| -> Result<(), ()> {
        got.push((s, r));
        Ok(())
    })
    .unwrap();
    got
}

#[test]
fn pipeline_keeps_input_order_and_errors_in_place_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("1-box"), mixed_mbox(700, |i| i % 97 == 13)).unwrap();
    fs::write(dir.path().join("2-big.eml"), "z".repeat(5000)).unwrap();
    fs::write(dir.path().join("3-ok.eml"), fixture("dsn-two-recipients.eml")).unwrap();
    // A dangling link: an unreadable entry in the middle of the directory.
    std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("4-dangling")).unwrap();
    fs::write(dir.path().join("5-box"), mixed_mbox(300, |i| i == 150)).unwrap();
    let inputs = || vec![Input::Path(dir.path().to_path_buf()), Input::Path("/nonexistent/bouncekit".into()), Input::Path(dir.path().join("3-ok.eml"))];
    let limits = Limits { max_message_size: 2000, ..Limits::default() };
    let c = Classifier::new();
    // The reference: one thread, read and parsed in turn.
    let one: Got = Scan::new(inputs(), &c, limits.clone()).threads(1).collect();
    assert_eq!(one.len(), 700 + 1 + 1 + 1 + 300 + 1 + 1);
    let sources: Vec<&str> = one.iter().map(|(s, _)| s.rsplit('/').next().unwrap()).collect();
    assert_eq!(sources[0], "1-box#1");
    assert_eq!(sources[699], "1-box#700");
    assert_eq!(&sources[700..704], ["2-big.eml", "3-ok.eml", "4-dangling", "5-box#1"]);
    assert_eq!(&sources[1003..], ["bouncekit", "3-ok.eml"]);
    let errors: Vec<usize> = one.iter().enumerate().filter(|(_, (_, r))| r.is_err()).map(|(i, _)| i).collect();
    let mut want: Vec<usize> = (0..700).filter(|i| i % 97 == 13).collect();
    want.extend([700, 702, 703 + 150, 1003]);
    assert_eq!(errors, want, "oversize messages, the big file, the dangling link and the missing path, in place");
    assert!(matches!(one[702].1, Err(Error::Io { .. })));
    assert!(matches!(one[703 + 150].1, Err(Error::LimitExceeded { .. })));
    for (threads, chunk) in [(2, 64), (4, 3), (3, 1), (2, 1000)] {
        let piped = by_for_each(Scan::new(inputs(), &c, limits.clone()).threads(threads).chunk_size(chunk));
        assert_eq!(piped, one, "for_each, {threads} threads, chunks of {chunk}");
        let iterated: Got = Scan::new(inputs(), &c, limits.clone()).threads(threads).chunk_size(chunk).collect();
        assert_eq!(iterated, one, "iterator, {threads} threads, chunks of {chunk}");
    }
}

#[test]
fn for_each_stops_at_the_first_error_of_its_callback() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("box");
    fs::write(&p, mixed_mbox(2000, |_| false)).unwrap();
    let c = Classifier::new();
    let mut seen = Vec::new();
    let r = Scan::new([p.as_path()], &c, Limits::default()).threads(2).chunk_size(4).for_each(|s, _| {
        seen.push(s);
        if seen.len() == 10 {
            Err("enough")
        } else {
            Ok(())
        }
    });
    assert_eq!(r, Err("enough"));
    assert_eq!(seen.len(), 10, "nothing is delivered after the error");
    assert!(seen[9].ends_with("box#10"));
}

#[test]
fn an_iterator_dropped_early_and_one_resumed_by_for_each() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("box");
    fs::write(&p, mixed_mbox(1500, |_| false)).unwrap();
    let c = Classifier::new();
    let mut scan = Scan::new([p.as_path()], &c, Limits::default()).threads(2).chunk_size(5);
    let first: Vec<String> = scan.by_ref().take(7).map(|(s, _)| s).collect();
    assert!(first[6].ends_with("box#7"));
    // for_each goes on where the iteration stopped.
    let rest = by_for_each(scan);
    assert_eq!(rest.len(), 1500 - 7);
    assert!(rest[0].0.ends_with("box#8") && rest[1492].0.ends_with("box#1500"));
    // Dropped in the middle: the reader thread is told to stop.
    let partial: Vec<_> = Scan::new([p.as_path()], &c, Limits::default()).threads(2).take(3).collect();
    assert_eq!(partial.len(), 3);
}
