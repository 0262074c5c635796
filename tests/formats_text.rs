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

/// A delay warning in plain text ("Delivery attempts will continue") is no
/// failure: the recipient is delayed and the report is a delay notice.
#[test]
fn a_plain_text_delay_warning_is_a_delay() {
    let head = "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\nTo: list-bounces@example.org\nSubject: Warning: message 14jRTi-0007jE-00 delayed 24 hours";
    let body = "This message was created automatically by mail delivery software.\n\n\
        A message that you sent has not yet been delivered to one or more of its\nrecipients after more than 24 hours on the queue on mx.example.net.\n\n\
        The address to which the message has not yet been delivered is:\n\n  user@example.za\n\n\
        No action is required on your part. Delivery attempts will continue for\nsome time, and this warning may be repeated at intervals if the message\nremains undelivered.\n";
    let r = parse(&mail(head, body)).unwrap();
    assert_eq!(r.kind, MessageKind::Delay);
    assert_eq!(r.recipients.len(), 1);
    assert_eq!(r.recipients[0].recipient, "user@example.za");
    assert_eq!(r.recipients[0].dsn_action, bouncekit::DsnAction::Delayed);
    assert_ne!(r.recipients[0].classification.bounce_type, BounceType::Hard);
    // The same report saying the failure is permanent stays a bounce.
    let failed = body.replace("No action is required", "This is a permanent error. No action is required");
    assert_eq!(parse(&mail(head, &failed)).unwrap().kind, MessageKind::Bounce);
}

/// Classic Sendmail lists the failed addresses before the transcript; the
/// transcript's reply is the recipient's diagnostic, and `(expanded from:)`
/// names the address the sender used.
#[test]
fn sendmail_addresses_listed_before_the_transcript() {
    let body = "The original message was received at Sat, 14 Oct 2000 06:14:45 +0200\nfrom uucp@localhost\n\n\
        \x20  ----- The following addresses had permanent fatal errors -----\n\
        user@shaft.example.nl\n    (expanded from: user@example.nl)\n\n\
        \x20  ----- Transcript of session follows -----\n\
        554 Too many hops 26 (25 max): from list-admin@example.org via localhost, to user@example.nl\n\n\
        \x20  ----- Message header follows -----\n\nTo: list@example.org\n";
    let r = parse(&mail(DAEMON, body)).unwrap();
    assert_eq!(r.recipients.len(), 1);
    let b = &r.recipients[0];
    assert_eq!(b.recipient, "user@shaft.example.nl");
    assert_eq!(b.original_recipient.as_deref(), Some("user@example.nl"));
    assert!(b.diagnostic.contains("554 Too many hops"), "{}", b.diagnostic);
    assert!(!b.diagnostic.contains("-----"), "{}", b.diagnostic);
}

/// Reports that name the recipient only in prose: an X.400 address
/// attribute (`dda:SMTP=`), a quoted address, the target of "unable to
/// deliver your message to"; an address after "mail from" is the sender.
#[test]
fn recipients_named_in_prose() {
    let exchange = "From: System Administrator <postmaster@corp.example.com>\nTo: list-bounces@example.org\nSubject: Undeliverable: RE: results";
    let body = "Your message\n\n  To:      list@example.org\n  Subject: RE: results\n\n\
        did not reach the following recipient(s):\n\n\
        c=US;a= ;p=CORP;o=Nexus2;dda:SMTP=user@example.COM; on Fri, 4 Oct 2002\n17:12:28 -0400\n    The recipient name is not recognized\n";
    let r = parse(&mail(exchange, body)).unwrap();
    assert_eq!(r.recipients.iter().map(|b| b.recipient.as_str()).collect::<Vec<_>>(), ["user@example.COM"]);

    let quoted = "This message was created automatically by mail delivery software.\n\n\
        A message that you sent could not be delivered to all of its recipients.\n\
        The following message, addressed to 'user@example.uk',\nwas undeliverable because the mailbox is full.\n";
    let r = parse(&mail(DAEMON, quoted)).unwrap();
    assert_eq!(r.recipients.iter().map(|b| b.recipient.as_str()).collect::<Vec<_>>(), ["user@example.uk"]);

    let prose = "Sorry, unable to deliver your message to usery@example.com for\nthe following reason:\n\n\
        \x20552 Quota violation for userx@example.com\n\nA copy of the original message below this line:\n\nTo: list@example.org\n";
    let r = parse(&mail("From: MAILER-DAEMON@mx.example.com\nTo: list-bounces@example.org\nSubject: failure notice", prose)).unwrap();
    assert_eq!(r.recipients.iter().map(|b| b.recipient.as_str()).collect::<Vec<_>>(), ["usery@example.com"]);
    assert_eq!(r.recipients[0].classification.reason, Reason::MailboxFull);

    let sender = "Your mail to the following recipients could not be delivered because they are not accepting mail from list@lists.example.com:\n\tscreenname\n";
    let r = parse(&mail("From: \"Mail Delivery Subsystem\" <MAILER-DAEMON@example.com>\nTo: list-bounces@lists.example.com\nSubject: Mail Delivery Problem", sender)).unwrap();
    assert!(r.recipients.iter().all(|b| b.recipient != "list@lists.example.com"), "{:?}", r.recipients);
}

/// Outlook sets `X-MimeOLE` on every message: a person's reply carrying it
/// is no Exchange report, and its addresses are no failed recipients.
#[test]
fn a_product_header_alone_makes_no_report() {
    let head = "From: \"Ivette\" <reservas@hotel.example>\nTo: <catchall+x@example.com>\nSubject: RE: booking\nX-MimeOLE: Produced By Microsoft MimeOLE V6.00.2900.6157";
    let body = "Solicitudes de Reservas a:\nreservas@hotel.example\n\nDe: guest@example.com\nPara: Hotel\nAsunto: Fwd: booking\n\nEmail : other@example.com\nCc: desk@hotel.example\n";
    let r = parse(&mail(head, body)).unwrap();
    assert_eq!(r.failed().count(), 0, "{:?}", r.recipients);
}

/// CommuniGate Pro names the recipient on a line of its own ("Failed to
/// deliver to 'a@b'") and gives the reason on the lines after it; its DSN
/// part has no Diagnostic-Code. The lines after the lead-in are the reason.
#[test]
fn a_lead_in_line_takes_the_reason_from_the_lines_after_it() {
    let raw = "From: MAILER-DAEMON@relay.example.net\nTo: sender@example.jp\nSubject: Undeliverable mail\n\
        MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"cgp\"\n\n\
        --cgp\nContent-Type: text/plain; charset=\"utf-8\"\n\n\
        Failed to deliver to 'kijitora@example.org'\nSMTP module(domain [192.0.2.7]) reports:\n host 192.0.2.7 says:\n 550 5.1.1 User unknown\n\n\
        --cgp\nContent-Type: message/delivery-status\n\n\
        Reporting-MTA: dns; relay.example.net\n\nOriginal-Recipient: rfc822;<kijitora@example.org>\nFinal-Recipient: rfc822;<kijitora@example.org>\nAction: failed\nStatus: 5.0.0\n\n\
        --cgp\nContent-Type: message/rfc822\n\nFrom: sender@example.jp\nTo: kijitora@example.org\nSubject: hello\n\nNyaan\n--cgp--\n";
    let r = parse(raw.as_bytes()).unwrap();
    assert_eq!(r.recipients.len(), 1);
    let b = &r.recipients[0];
    assert_eq!(b.recipient, "kijitora@example.org");
    assert_eq!(b.classification.reason, Reason::UserUnknown, "{}", b.diagnostic);
    assert_eq!(b.reply_code.map(|c| c.to_string()).as_deref(), Some("550"));
    assert!(b.diagnostic.contains("says: 550 5.1.1 User unknown"), "{}", b.diagnostic);
}

/// Exchange 5.5 glues the returned message's header block to its
/// `message/rfc822` part's fields, with no blank line between them: the
/// message's own multipart Content-Type must not turn the part into a
/// multipart whose texts (the original's body) are read as the report's.
#[test]
fn an_original_glued_to_its_part_header_stays_the_original() {
    let raw = "From: System Administrator <postmaster@example.lv>\nTo: sender@example.jp\nSubject: Undeliverable: hello\n\
        MIME-Version: 1.0\nX-MS-Embedded-Report: \nContent-Type: multipart/mixed;\n\tboundary=\"----_=_NextPart_000_01\"\n\n\
        ------_=_NextPart_000_01\nContent-Type: text/plain;\n\tcharset=\"us-ascii\"\n\n\
        Your message\n\n  To:      sender@example.jp\n  Subject: hello\n\n\
        did not reach the following recipient(s):\n\nSome Person on Fri, 14 Sep 2007 18:52:54 +0300\n\
        \x20   The recipient was unavailable to take delivery of the message\n\n\
        ------_=_NextPart_000_01\nContent-Type: message/rfc822\nMessage-ID: <glued@example.jp>\nFrom: Sender <sender@example.jp>\n\
        To: sender@example.jp\nSubject: hello\nContent-Type: multipart/mixed;\n\tboundary=\"----_=_NextPart_002_01\"\n\n\n\
        ------_=_NextPart_002_01\nContent-Type: text/plain\n\nBest regards,\nE-mail: colleague@example.net\n\n\
        ------_=_NextPart_002_01--\n\n------_=_NextPart_000_01--\n";
    let r = parse(raw.as_bytes()).unwrap();
    assert_eq!(r.original.message_id.as_deref(), Some("glued@example.jp"));
    // The failed recipient has a display name only: no address to report,
    // and certainly not one from the original's signature.
    assert!(r.recipients.iter().all(|b| b.recipient != "colleague@example.net"), "{:?}", r.recipients);
}

/// fml (a mailing list manager) answers a post from a non-member with a
/// notice of its own: the list that refused the post is the recipient, not
/// the control or admin addresses the notice tells the poster to write to,
/// nor anyone named in the returned post.
#[test]
fn fml_notices_name_the_list_that_refused_the_post() {
    let headers = "From: nyaan-admin@lists.example.jp\nTo: poster@example.com\n\
        Subject: You poster@example.com are not member (nyaan ML)\n\
        X-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]";
    let body = "You are not a member of this mailing list <nyaan@lists.example.jp>.\n\n\
        If you know the general guide of this list, please send mail with\nthe mail body\n\n\tguide\n\n\
        to the address\n\n\tnyaan-ctl@lists.example.jp\n\n\
        where guide is equal to GUIDE for case insensitive.\n\n\
        Questions go to <the list owner>, nyaan-admin@lists.example.jp.\n\n\
        Original mail as follows:\n\nFrom: poster@example.com\nTo: <nyaan@lists.example.jp>\nCc: <friend@example.org>\nSubject: hello\n\nhi\n";
    let r = parse(&mail(headers, body)).unwrap();
    assert_eq!(r.kind, MessageKind::Bounce);
    let got: Vec<(&str, Reason, BounceType)> =
        r.recipients.iter().map(|b| (b.recipient.as_str(), b.classification.reason, b.classification.bounce_type)).collect();
    assert_eq!(got, vec![("nyaan@lists.example.jp", Reason::Rejected, BounceType::Soft)]);
    assert_eq!(r.recipients[0].decoded_by, "fml");

    // Its loop alert: the looping list, a mail system error.
    let headers = "From: nyaan-admin@lists.example.jp\nTo: nyaan-admin@lists.example.jp\n\
        Subject: Loop Alert: Duplicated Message-ID (nyaan ML)\nX-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]";
    let body = "Duplicated Message-ID in <nyaan@lists.example.jp>.\n\n\nOriginal mail as follows:\n\nFrom: poster@example.com\nTo: <other@example.net>\n\nhi\n";
    let r = parse(&mail(headers, body)).unwrap();
    let got: Vec<(&str, Reason)> = r.recipients.iter().map(|b| (b.recipient.as_str(), b.classification.reason)).collect();
    assert_eq!(got, vec![("nyaan@lists.example.jp", Reason::SystemError)]);
}

#[test]
fn a_failed_recipients_header_the_error_text_never_names_is_stale() {
    // The error text lists two recipients, each with its own reply; the
    // header names a third address the text never mentions.
    let headers = "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\nTo: sender@example.com\n\
        Subject: Mail delivery failed: returning message to sender\nX-Failed-Recipients: someone@example.net";
    let body = "|------------------------- Failed addresses follow: ---------------------|\n \
        <one@example.net>\n   552 5.2.2 <one@example.net> Quota exceeded (mailbox for user is full)\n \
        <two@example.net>\n   550 5.1.1 <two@example.net> unknown user\n\n\
        |------------------------- Message header follows: ----------------------|\n\
        From: sender@example.com\nTo: <one@example.net>, <two@example.net>, <someone@example.net>\nSubject: hi\n";
    let r = parse(&mail(headers, body)).unwrap();
    let got: Vec<(&str, Reason)> = r.recipients.iter().map(|b| (b.recipient.as_str(), b.classification.reason)).collect();
    assert_eq!(got, vec![("one@example.net", Reason::MailboxFull), ("two@example.net", Reason::UserUnknown)]);

    // The header that does name a listed recipient still decides who failed.
    let headers = headers.replace("someone@example.net", "two@example.net");
    let r = parse(&mail(&headers, body)).unwrap();
    let got: Vec<(&str, Reason)> = r.recipients.iter().map(|b| (b.recipient.as_str(), b.classification.reason)).collect();
    assert_eq!(got, vec![("two@example.net", Reason::UserUnknown)]);
}

/// MDaemon's own notice lists its session log: the message summary names
/// the sender (`From:`) and the recipient (`To:`), each after a timestamp,
/// and the failure is a line of the log. The recipient is the one address
/// that names no sender; a server's answer after MDaemon's `<--` arrow is
/// a reply, so a `250` for RCPT TO does not hide the refusal after DATA.
#[test]
fn mdaemon_session_logs_give_the_recipient_and_the_failure() {
    let headers = "From: \"MDaemon at mx.example.net\" <MDaemon@mx.example.net>\nTo: sender@example.jp\nSubject: Permanent Delivery Failure";
    let body = "MDaemon Delivery Status Notification\n\nThe attached message had PERMANENT fatal delivery errors.\n\n\
        --- Session Transcript ---\n\
        \x20Wed 2013-09-11 12:22:04: *  From: sender@example.jp\n\
        \x20Wed 2013-09-11 12:22:04: *  To: kijitora@example.org\n\
        \x20Wed 2013-09-11 12:22:04: Attempting SMTP connection to [mx.example.org:25]\n\
        \x20Wed 2013-09-11 12:22:05: *  Name server reports domain name unknown\n";
    let r = parse(&mail(headers, body)).unwrap();
    let got: Vec<(&str, Reason)> = r.recipients.iter().map(|b| (b.recipient.as_str(), b.classification.reason)).collect();
    assert_eq!(got, vec![("kijitora@example.org", Reason::HostUnknown)]);

    let body = "Non-Delivery Report\n\nFailed address: kijitora@example.org\n\n--- Session Transcript ---\n\
        Wed 2026-08-05 08:01:19: --> RCPT To:<kijitora@example.org>\n\
        Wed 2026-08-05 08:01:19: <-- 250 2.1.5 Recipient OK\n\
        Wed 2026-08-05 08:01:19: --> DATA\n\
        Wed 2026-08-05 08:01:30: <-- 554 Message rejected as spam\n--- End Transcript ---\n";
    let r = parse(&mail(headers, body)).unwrap();
    let b = &r.recipients[0];
    assert_eq!((b.recipient.as_str(), b.classification.reason), ("kijitora@example.org", Reason::SpamDetected));
    assert_eq!(b.reply_code.map(|c| c.get()), Some(554));
    assert!(!b.diagnostic.contains("250 2.1.5"), "{}", b.diagnostic);
}

/// Chinese providers' notices (Tencent, Coremail) introduce the recipient
/// with "无法发送到" ("could not be sent to"), sometimes with no space before
/// the address: the change of script starts the address.
#[test]
fn chinese_notices_name_their_recipient() {
    let headers = "From: postmaster@mail.example.cn\nTo: sender@example.cn\nSubject: =?UTF-8?B?57O757uf6YCA5L+h?=";
    let body = "您发送的邮件被退回，相关信息如下：\n    发件人：sender@example.cn\n\n无法发送到admin@example.com\n    \
        系统应答：(9)connect to the \"192.0.2.34(192.0.2.34) of example.com\" server failed\n    \
        退信原因：连接收件方邮件系统失败，导致邮件被系统退回。\n";
    let raw = format!("{headers}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n{body}").into_bytes();
    let r = parse(&raw).unwrap();
    let got: Vec<(&str, Reason)> = r.recipients.iter().map(|b| (b.recipient.as_str(), b.classification.reason)).collect();
    assert_eq!(got, vec![("admin@example.com", Reason::NetworkError)]);
}

/// A delay warning that quotes a remote server's "will be permanently
/// deferred" (Yahoo's TS03) is still a warning: the word is the reply's,
/// the sending MTA is still trying.
#[test]
fn a_warning_quoting_permanently_deferred_is_a_delay() {
    let headers = "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\nTo: sender@example.org\nSubject: Warning: message 1abc delayed 24 hours";
    let body = "This message was created automatically by mail delivery software.\n\n\
        A message that you sent has not yet been delivered to one or more of its\n\
        recipients after more than 24 hours on the queue on mx.example.org.\n\n\
        The address to which the message has not yet been delivered is:\n\n  user@yahoo.example\n    \
        host mta5.am0.yahoodns.example [192.0.2.5]: 421 4.7.0 [TS03] All messages from 192.0.2.130 will be\n    \
        permanently deferred; Retrying will NOT succeed. See https://help.yahoo.example\n\n\
        No action is required on your part. Delivery attempts will continue for\nsome time.\n";
    let r = parse(&mail(headers, body)).unwrap();
    assert_eq!(r.kind, MessageKind::Delay);
    assert_eq!(r.recipients.len(), 1);
    assert_eq!(r.recipients[0].recipient, "user@yahoo.example");
    assert_eq!(r.recipients[0].classification.bounce_type, BounceType::Soft);
}

/// An address the reply itself calls the sender (`<a@b> sender rejected`,
/// Postfix's `<a@b>: Sender address rejected`) is never taken for the
/// failed recipient, even when it is the only address in the report.
#[test]
fn an_address_called_the_sender_is_no_recipient() {
    let headers = "From: Mail Delivery System <Mailer-Daemon@example.co.uk>\nTo: info@example.co.uk\nSubject: Mail delivery failed: returning message to sender";
    let body = "A message that you sent could not be delivered to one or more of its\n\
        recipients. This is a permanent error. The following address(es) failed:\n\
        \x20   SMTP error from remote mail server after end of data:\n\
        \x20   550 eKqgqwhcolWFfeKqgqLWon - <info@example.co.uk> sender rejected AUP#CDRBL\n";
    let r = parse(&mail(headers, body)).unwrap();
    let who: Vec<&str> = r.recipients.iter().map(|b| b.recipient.as_str()).collect();
    assert!(who.is_empty(), "{who:?}");
}

/// Postfix's `<a@b> (expanded from <alias@c>): host ... said: ...` wrapped
/// right after "(expanded from": the alias on the next line is the same
/// recipient's block, not a second recipient.
#[test]
fn an_alias_wrapped_after_expanded_from_is_the_same_block() {
    let headers = "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\nTo: sender@example.net\nSubject: Undelivered Mail Returned to Sender";
    let body = "This is the mail system at host mx.example.net.\n\n\
        I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n\
        \x20                  The mail system\n\n\
        user@mainaddress.example (expanded from\n\
        \x20   user@alias.example: host smtpin.example.de[192.0.2.97] said:\n\
        \x20   550 5.1.2 No such mailbox (in reply to RCPT TO command)\n";
    let r = parse(&mail(headers, body)).unwrap();
    let got: Vec<(&str, Reason)> = r.recipients.iter().map(|b| (b.recipient.as_str(), b.classification.reason)).collect();
    assert_eq!(got, vec![("user@mainaddress.example", Reason::UserUnknown)]);
}
