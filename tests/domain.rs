//! The domain check against real servers on loopback: a DNS server and
//! SMTP listeners started here. Every verdict comes from a real exchange.
#![cfg(feature = "check")]

#[path = "support/loopback.rs"]
mod loopback;

use std::time::Duration;

use bouncekit::domain::{check_domain, check_domains, CheckOptions, MxSource, ProbeOutcome, ResolverChoice, Verdict};
use loopback::{lo, DnsServer, Entry, Smtp, SmtpServers};

/// 127.0.0.2 greets, .3 greets with 554, .4 never answers; .5 and .6 refuse.
fn servers() -> (DnsServer, SmtpServers) {
    let dns = DnsServer::start(vec![
        ("ok.test", Entry::Mx(vec![(20, "mx-good.ok.test"), (10, "mx-dead.ok.test")])),
        ("mx-good.ok.test", Entry::A(lo(2).to_string().parse().unwrap())),
        ("mx-dead.ok.test", Entry::A("127.0.0.5".parse().unwrap())),
        ("nullmx.test", Entry::Mx(vec![(0, ".")])),
        ("bare.test", Entry::A("127.0.0.2".parse().unwrap())),
        ("empty.test", Entry::Empty),
        ("broken.test", Entry::ServFail),
        ("slow.test", Entry::Slow(Duration::from_secs(3))),
        ("reject.test", Entry::Mx(vec![(10, "mx.reject.test")])),
        ("mx.reject.test", Entry::A("127.0.0.3".parse().unwrap())),
        ("silent.test", Entry::Mx(vec![(10, "mx.silent.test")])),
        ("mx.silent.test", Entry::A("127.0.0.4".parse().unwrap())),
        ("refused.test", Entry::Mx(vec![(10, "a.refused.test"), (20, "b.refused.test")])),
        ("a.refused.test", Entry::A("127.0.0.5".parse().unwrap())),
        ("b.refused.test", Entry::A("127.0.0.6".parse().unwrap())),
        ("dangling.test", Entry::Mx(vec![(10, "nowhere.test")])),
        ("mxbroken.test", Entry::Mx(vec![(10, "broken.test")])),
    ]);
    let smtp = SmtpServers::start(&[(2, Smtp::Greets), (3, Smtp::Rejects), (4, Smtp::Silent)]);
    (dns, smtp)
}

fn opts(dns: &DnsServer, smtp: &SmtpServers) -> CheckOptions {
    CheckOptions {
        resolver: ResolverChoice::At(dns.addr),
        port: smtp.port,
        dns_timeout: Duration::from_millis(400),
        dns_attempts: 1,
        connect_timeout: Duration::from_secs(2),
        smtp_timeout: Duration::from_millis(400),
        ..CheckOptions::default()
    }
}

#[test]
fn deliverable_after_trying_the_mx_hosts_in_preference_order() {
    let (dns, smtp) = servers();
    let c = check_domain("OK.test.", &CheckOptions { starttls: true, ..opts(&dns, &smtp) }).unwrap();
    assert_eq!(c.domain, "ok.test");
    assert_eq!(c.verdict, Verdict::Deliverable, "{c:?}");
    assert_eq!(c.dns.source, MxSource::Mx);
    let hosts: Vec<_> = c.mx.iter().map(|m| (m.host.as_str(), m.preference, m.outcome)).collect();
    assert_eq!(hosts, [("mx-dead.ok.test", 10, ProbeOutcome::Refused), ("mx-good.ok.test", 20, ProbeOutcome::Accepted)]);
    let good = &c.mx[1].probes[0];
    assert_eq!(good.address, format!("127.0.0.2:{}", smtp.port).parse().unwrap());
    let banner = good.banner.as_ref().unwrap();
    assert_eq!((banner.code, banner.lines.len()), (220, 2));
    assert_eq!(good.ehlo.as_ref().unwrap().code, 250);
    assert_eq!(good.starttls, Some(true));
    assert!(good.connect_ms.is_some() && good.banner_ms.is_some() && good.ehlo_ms.is_some());
    // Greeting, EHLO, QUIT: nothing that would send mail.
    assert_eq!(smtp.commands(), ["EHLO localhost", "QUIT"]);
}

#[test]
fn starttls_is_reported_only_when_asked() {
    let (dns, smtp) = servers();
    let c = check_domain("ok.test", &opts(&dns, &smtp)).unwrap();
    assert_eq!(c.mx[1].probes[0].starttls, None);
}

#[test]
fn no_mx_falls_back_to_the_address_record() {
    let (dns, smtp) = servers();
    let c = check_domain("bare.test", &opts(&dns, &smtp)).unwrap();
    assert_eq!(c.verdict, Verdict::Deliverable, "{c:?}");
    assert_eq!(c.dns.source, MxSource::Address);
    assert_eq!((c.mx[0].host.as_str(), c.mx[0].preference), ("bare.test", 0));
    assert_eq!(c.mx[0].addresses, [lo(2)]);
}

#[test]
fn null_mx_and_no_records_mean_no_mail() {
    let (dns, smtp) = servers();
    let c = check_domain("nullmx.test", &opts(&dns, &smtp)).unwrap();
    assert_eq!((c.verdict, c.dns.source), (Verdict::NoMail, MxSource::NullMx), "{c:?}");
    assert!(c.mx.is_empty());
    let c = check_domain("empty.test", &opts(&dns, &smtp)).unwrap();
    assert_eq!((c.verdict, c.dns.source), (Verdict::NoMail, MxSource::None), "{c:?}");
    assert!(smtp.commands().is_empty(), "no connection for a domain without mail");
}

#[test]
fn nxdomain_is_no_such_domain() {
    let (dns, smtp) = servers();
    let c = check_domain("gone.test", &opts(&dns, &smtp)).unwrap();
    assert_eq!(c.verdict, Verdict::NoSuchDomain, "{c:?}");
    assert_eq!(c.dns.error.as_deref(), Some("NXDOMAIN"));
    assert!(!c.verdict.is_temporary());
}

#[test]
fn servfail_and_timeout_are_dns_failures() {
    let (dns, smtp) = servers();
    let c = check_domain("broken.test", &opts(&dns, &smtp)).unwrap();
    assert_eq!(c.verdict, Verdict::DnsFailure, "{c:?}");
    assert_eq!(c.dns.error.as_deref(), Some("SERVFAIL"));
    assert!(c.verdict.is_temporary());
    let c = check_domain("slow.test", &opts(&dns, &smtp)).unwrap();
    assert_eq!(c.verdict, Verdict::DnsFailure, "{c:?}");
    assert_eq!(c.dns.error.as_deref(), Some("timeout"));
    // An MX host whose address lookup fails: also temporary.
    let c = check_domain("mxbroken.test", &opts(&dns, &smtp)).unwrap();
    assert_eq!(c.verdict, Verdict::DnsFailure, "{c:?}");
    assert_eq!(c.mx[0].outcome, ProbeOutcome::DnsFailure);
}

#[test]
fn banner_554_is_rejecting() {
    let (dns, smtp) = servers();
    let c = check_domain("reject.test", &opts(&dns, &smtp)).unwrap();
    assert_eq!(c.verdict, Verdict::Rejecting, "{c:?}");
    let p = &c.mx[0].probes[0];
    assert_eq!((p.outcome, p.banner.as_ref().unwrap().code), (ProbeOutcome::Rejected, 554));
    assert!(p.ehlo.is_none());
    assert_eq!(smtp.commands(), ["QUIT"], "a 554 greeting gets QUIT and nothing else");
}

#[test]
fn silent_and_refusing_hosts_are_unreachable() {
    let (dns, smtp) = servers();
    let c = check_domain("silent.test", &opts(&dns, &smtp)).unwrap();
    assert_eq!(c.verdict, Verdict::Unreachable, "{c:?}");
    assert_eq!(c.mx[0].outcome, ProbeOutcome::Timeout);
    let c = check_domain("refused.test", &opts(&dns, &smtp)).unwrap();
    assert_eq!(c.verdict, Verdict::Unreachable, "{c:?}");
    assert!(c.mx.iter().all(|m| m.outcome == ProbeOutcome::Refused), "{c:?}");
    let c = check_domain("dangling.test", &opts(&dns, &smtp)).unwrap();
    assert_eq!(c.verdict, Verdict::Unreachable, "{c:?}");
    assert_eq!((c.mx[0].outcome, c.mx[0].dns_error.as_deref()), (ProbeOutcome::NoAddress, Some("NXDOMAIN")));
}

#[test]
fn max_mx_limits_the_hosts_probed() {
    let (dns, smtp) = servers();
    let c = check_domain("ok.test", &CheckOptions { max_mx: 1, ..opts(&dns, &smtp) }).unwrap();
    assert_eq!(c.verdict, Verdict::Unreachable, "{c:?}");
    assert_eq!(c.mx[1].outcome, ProbeOutcome::NotTried);
    assert!(smtp.commands().is_empty());
}

#[test]
fn a_batch_keeps_its_order() {
    let (dns, smtp) = servers();
    let domains = ["ok.test", "nullmx.test", "gone.test", "broken.test", "reject.test", "refused.test", "bare.test"];
    let all = check_domains(&domains, &CheckOptions { concurrency: 3, ..opts(&dns, &smtp) }).unwrap();
    let got: Vec<_> = all.iter().map(|c| (c.domain.as_str(), c.verdict)).collect();
    assert_eq!(
        got,
        [
            ("ok.test", Verdict::Deliverable),
            ("nullmx.test", Verdict::NoMail),
            ("gone.test", Verdict::NoSuchDomain),
            ("broken.test", Verdict::DnsFailure),
            ("reject.test", Verdict::Rejecting),
            ("refused.test", Verdict::Unreachable),
            ("bare.test", Verdict::Deliverable),
        ]
    );
    let json = serde_json::to_value(&all[0]).unwrap();
    assert_eq!(json["verdict"], "deliverable");
    assert_eq!(json["mx"][1]["probes"][0]["banner"]["code"], 220);
}

#[test]
fn works_from_inside_a_tokio_runtime() {
    let (dns, smtp) = servers();
    let o = opts(&dns, &smtp);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let c = rt.block_on(async { check_domain("reject.test", &o) }).unwrap();
    assert_eq!(c.verdict, Verdict::Rejecting);
}

#[test]
fn bad_input_is_an_error_before_any_traffic() {
    let (dns, smtp) = servers();
    let o = opts(&dns, &smtp);
    let e = check_domains(&["ok.test", "bad domain"], &o).unwrap_err();
    assert!(matches!(e, bouncekit::Error::InvalidDomain { .. }), "{e}");
    let e = check_domain("ok.test", &CheckOptions { ehlo_name: "x\r\nMAIL FROM:<a@b>".into(), ..o.clone() }).unwrap_err();
    assert!(matches!(e, bouncekit::Error::InvalidOption { option: "ehlo_name", .. }), "{e}");
    let e = check_domain("ok.test", &CheckOptions { smtp_timeout: Duration::ZERO, ..o }).unwrap_err();
    assert!(matches!(e, bouncekit::Error::InvalidOption { option: "smtp_timeout", .. }), "{e}");
    assert!(smtp.commands().is_empty());
}
