//! How recipient blocks are read from the human text of reports: Sendmail
//! session transcripts, bounces forwarded as quoted text, DSN fields whose
//! folds lost their indentation, transcripts that list the replies that went
//! well, and the report kinds told by a header. The wordings are those of
//! real reports (the Sisimai corpus), addresses replaced.

use bouncekit::{parse, BounceType, MessageKind, Reason};

fn mail(headers: &str, body: &str) -> Vec<u8> {
    format!("{headers}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n{body}").into_bytes()
}

const DAEMON: &str = "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.jp>\nTo: sender@example.jp\nSubject: Returned mail: Unable to deliver mail";

/// Sendmail v5 writes the session (what it sent, what the remote answered)
/// before its per-recipient summary: each recipient gets the replies of its
/// own session, not the lines under its summary.
#[test]
fn sendmail_transcript_lines_before_a_summary_are_that_recipients() {
    let body = "   ----- Transcript of session follows -----\n\
        While talking to mailin1.example.org:\n\
        >>> MAIL From:<sender@example.jp>\n\
        <<< 550 Insecure Mail Relay\n\
        554 <kijitora@example.org>... Remote protocol error\n\
        550 example.net (smtp)... 550 Host unknown\n\
        554 <mikeneko@example.net>... 550 Host unknown (Authoritative answer from name server)\n\
        While talking to smtp.example.edu:\n\
        >>> RCPT To:<hachiware@example.edu>\n\
        <<< 550 <hachiware@example.edu>... User unknown\n\
        550 <hachiware@example.edu>... User unknown\n\
        \n   ----- Unsent message follows -----\nTo: someone@example.com\nSubject: Nyaan\n\nNyaan\n";
    let r = parse(&mail(DAEMON, body)).unwrap();
    let got: Vec<(&str, Reason, Option<&str>)> = r
        .recipients
        .iter()
        .map(|b| (b.recipient.as_str(), b.classification.reason, b.smtp_command.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("kijitora@example.org", Reason::NoRelaying, Some("MAIL")),
            ("mikeneko@example.net", Reason::HostUnknown, None),
            ("hachiware@example.edu", Reason::UserUnknown, Some("RCPT")),
        ]
    );
    // The summary's "Remote protocol error" is Sendmail's, the reason is the remote's reply.
    assert!(r.recipients[0].diagnostic.contains("550 Insecure Mail Relay"), "{}", r.recipients[0].diagnostic);
    assert!(!r.recipients[0].diagnostic.contains("Host unknown"), "{}", r.recipients[0].diagnostic);
}

/// A bounce forwarded by a person comes quoted with `> `; the quoted
/// original's `Message-Id:` is no recipient.
#[test]
fn a_forwarded_quoted_bounce_reads_like_the_bounce() {
    let body = "Forward the message.\n\nBegin forwarded message:\n\n\
        > From: Mail Delivery Subsystem <MAILER-DAEMON>\n\
        > Subject: Returned mail: see transcript for details\n\
        >\n\
        >    ----- The following addresses had permanent fatal errors -----\n\
        > <kijitora@example.com>\n\
        >     (reason: 550 5.1.1 <kijitora@example.com>... User unknown)\n\
        >\n\
        >    ----- Transcript of session follows -----\n\
        > ... while talking to mx.example.com.:\n\
        >>>> DATA\n\
        > <<< 550 5.1.1 <kijitora@example.com>... User unknown\n\
        > 550 5.1.1 <kijitora@example.com>... User unknown\n\
        > Message-Id: <6D736808-04A1-47D3-92BD-44388ABFCCE4@example.jp>\n\
        > Subject: TEST\n";
    let r = parse(&mail("From: sender@example.jp\nTo: admin@example.jp\nSubject: Fwd: Returned mail", body)).unwrap();
    assert_eq!(r.recipients.len(), 1, "{:#?}", r.recipients);
    let b = &r.recipients[0];
    assert_eq!(b.recipient, "kijitora@example.com");
    assert_eq!((b.classification.reason, b.classification.bounce_type), (Reason::UserUnknown, BounceType::Hard));
    assert_eq!(b.status.map(|s| s.to_string()).as_deref(), Some("5.1.1"));
}

/// Inline DSN fields are read dedented: a fold that then starts with
/// `host[ip]:25:` stays part of the field before it.
#[test]
fn a_dedented_fold_is_no_field() {
    let body = "This is the mail system at host smtp.example.org.\n\n\
        Reporting-MTA: dns; smtp.example.org\n\n\
        Final-Recipient: rfc822; kijitora@example.com\n\
        Action: delayed\n\
        Status: 4.4.1\n\
        Diagnostic-Code: X-Postfix; connect to\n    nyaan.example.com[192.0.2.2]:25: No route to host\n";
    let r = parse(&mail("From: MAILER-DAEMON@smtp.example.org\nTo: sender@example.org\nSubject: Delayed Mail", body)).unwrap();
    assert_eq!(r.recipients.len(), 1);
    let b = &r.recipients[0];
    assert!(b.diagnostic.ends_with("No route to host"), "{}", b.diagnostic);
    assert_eq!(b.classification.reason, Reason::NetworkError);
}

/// A transcript lists "250 2.1.5 Ok" before the reply that failed; the
/// success is no verdict.
#[test]
fn success_replies_in_a_failing_transcript_are_dropped() {
    let body = "Transcript of session follows.\n\n \
        Out: 220 mx22.example.com ESMTP MAIL SYSTEM\n \
        In:  RCPT TO:<kijitora@example.net> ORCPT=rfc822;kijitora@example.net\n \
        Out: 250 2.1.5 Ok\n In:  DATA\n \
        Out: 354 End data with <CR><LF>.<CR><LF>\n \
        Out: 451 4.3.0 Error: queue file write error\n In:  QUIT\n Out: 221 2.0.0 Bye\n";
    let r = parse(&mail("From: MAILER-DAEMON@mx22.example.com\nTo: postmaster@example.com\nSubject: Postfix SMTP server: errors from example.org", body)).unwrap();
    assert_eq!(r.recipients.len(), 1, "{:#?}", r.recipients);
    let b = &r.recipients[0];
    assert_eq!(b.classification.reason, Reason::SystemError, "{}", b.diagnostic);
    assert_eq!(b.status.map(|s| s.to_string()).as_deref(), Some("4.3.0"));
}

/// "Unknown user: addr" (IMail) says what went wrong in its label.
#[test]
fn a_label_that_names_the_fault_is_the_diagnostic() {
    let body = "Unknown user: kijitora@example.com\n\n\nOriginal message follows.\n\nTo: kijitora@example.com\nSubject: Nyaaan\n\nNyaan\n";
    let r = parse(&mail("From: \"Postmaster\" <postmaster@example.org>\nTo: <sender@example.org>\nSubject: Undeliverable Mail\nX-Mailer: <SMTP32 v990729>", body)).unwrap();
    assert_eq!(r.recipients.len(), 1);
    assert_eq!(r.recipients[0].diagnostic, "Unknown user");
    assert_eq!(r.recipients[0].classification.reason, Reason::UserUnknown);
}

/// Delivery to a pipe (`X-Actual-Recipient: |procmail ...`) failed: the
/// local mailer, not the address.
#[test]
fn a_pipe_recipient_is_a_mailer_error() {
    let body = "--b\nContent-Type: text/plain\n\nThe original message was received.\n\n\
        --b\nContent-Type: message/delivery-status\n\n\
        Reporting-MTA: dns; mailx.example.edu\n\n\
        Final-Recipient: RFC822; kijitora@mailx.example.edu\n\
        X-Actual-Recipient: RFC822; |IFS=' ' && exec /usr/local/bin/procmail -f- || exit 75 #kijitora@mailx.example.edu\n\
        Action: failed\nStatus: 5.5.0\n\n--b--\n";
    let raw = format!(
        "{DAEMON}\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n{body}"
    );
    let r = parse(raw.as_bytes()).unwrap();
    assert_eq!(r.recipients.len(), 1);
    assert_eq!(r.recipients[0].classification.reason, Reason::MailerError);
}

/// Apple Mail's unsubscribe button: an opt-out, not an auto-reply.
#[test]
fn an_apple_mail_unsubscribe_is_feedback() {
    let headers = "From: example@icloud.com\nTo: opt-out-1@example.org\nSubject: unsubscribe\nAuto-Submitted: auto-replied\nX-Apple-Unsubscribe: true";
    let r = parse(&mail(headers, "Apple Mail sent this email to unsubscribe from the message \u{201c}unsubscribe\u{201d}.\n")).unwrap();
    assert_eq!(r.kind, MessageKind::Feedback);
    assert_eq!(r.recipients[0].classification.reason, Reason::Feedback);
    assert_eq!(r.recipients[0].feedback_type.as_deref(), Some("opt-out"));
}
