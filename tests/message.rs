//! The standards and the general mechanisms, on small hand-written messages.

use bouncekit::{parse, BounceType, parse_with, Classifier, DsnAction, Error, Limits, MessageKind, Reason};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn dsn_one_group_per_recipient_with_continuations() {
    let r = parse(&fixture("dsn-two-recipients.eml")).unwrap();
    assert_eq!(r.kind, MessageKind::Bounce);
    assert_eq!(r.recipients.len(), 2, "the quoted original's bystander is not a recipient");
    let gone = &r.recipients[0];
    assert_eq!(gone.recipient, "gone@example.org");
    assert_eq!(gone.original_recipient.as_deref(), Some("Gone@Example.org"));
    assert_eq!(gone.dsn_action, DsnAction::Failed);
    assert_eq!(gone.classification.reason, Reason::UserUnknown);
    assert!(gone.diagnostic.contains("rejected: User unknown in virtual mailbox table"), "unfolded: {}", gone.diagnostic);
    assert_eq!(gone.reply_code.map(|c| c.get()), Some(550));
    assert_eq!(gone.smtp_command.as_deref(), Some("RCPT"));
    assert_eq!(gone.remote_mta.as_deref(), Some("mx.example.org"));
    assert_eq!(gone.reporting_mta.as_deref(), Some("mta.example.net"));
    assert_eq!(gone.decoded_by, "rfc3464");
    let full = &r.recipients[1];
    assert_eq!(full.dsn_action, DsnAction::Delayed);
    assert_eq!(full.classification.reason, Reason::MailboxFull);
    assert_eq!(full.status.unwrap().to_string(), "4.2.2");
    assert!(full.last_attempt_date.as_deref().unwrap().starts_with("2025-03-03T09:59:59"));
    assert_eq!(r.original.message_id.as_deref(), Some("orig-1@example.com"));
    assert_eq!(r.original.subject.as_deref(), Some("hello"));
}

#[test]
fn global_delivery_status_with_utf8_addresses() {
    let r = parse(&fixture("dsn-global.eml")).unwrap();
    assert_eq!(r.recipients.len(), 1);
    assert_eq!(r.recipients[0].recipient, "用户@例子.example");
    assert_eq!(r.recipients[0].classification.reason, Reason::UserUnknown);
    assert_eq!(r.original.subject.as_deref(), Some("你好"));
}

#[test]
fn arf_feedback_row() {
    let r = parse(&fixture("arf.eml")).unwrap();
    assert_eq!(r.kind, MessageKind::Feedback);
    let rows = r.rows("arf.eml");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].recipient, "reader@example.net");
    assert_eq!(rows[0].reason, "feedback");
    assert_eq!(rows[0].feedback_type.as_deref(), Some("abuse"));
    assert_eq!(rows[0].decoded_by, "arf");
    assert_eq!(rows[0].bounce_type, "none");
}

/// A complaint without Original-Rcpt-To names its complainer in the reported
/// copy: the `Delivered-To` the complainer's server wrote, not the `To` (here
/// the sender itself, as a Bcc'd mailing has it). A bounce's returned copy
/// never names a recipient, `Delivered-To` or not.
#[test]
fn a_complaint_without_original_rcpt_to_names_the_delivered_to_mailbox() {
    let report = "From: fbl@isp.example\nTo: abuse@sender.example\nSubject: Feedback report\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=feedback-report; boundary=\"b\"\n\n\
--b\nContent-Type: text/plain\n\nThis is an email abuse report.\n\n\
--b\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: isp/1\nVersion: 1\nSource-IP: 192.0.2.1\n\n\
--b\nContent-Type: message/rfc822\n\nDelivered-To: reader@isp.example\nFrom: shop@sender.example\nTo: shop@sender.example\n\
Subject: Offers\nMessage-ID: <m1@sender.example>\n\nBuy now\n--b--\n";
    let r = parse(report.as_bytes()).unwrap();
    assert_eq!(r.kind, MessageKind::Feedback);
    let rows = r.rows("fbl.eml");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].recipient, "reader@isp.example");
    // ARF's other form quotes only the copy's headers.
    let headers_only = report.replace("message/rfc822", "text/rfc822-headers").replace("\n\nBuy now", "");
    assert_eq!(parse(headers_only.as_bytes()).unwrap().rows("fbl.eml")[0].recipient, "reader@isp.example");
    // Without Delivered-To, the reported copy's To is still the fallback.
    let bare = report.replace("Delivered-To: reader@isp.example\n", "");
    assert_eq!(parse(bare.as_bytes()).unwrap().rows("fbl.eml")[0].recipient, "shop@sender.example");
    // A bounce with the same returned copy: only its DSN names recipients.
    let bounce = report
        .replace("report-type=feedback-report", "report-type=delivery-status")
        .replace("message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: isp/1\nVersion: 1\nSource-IP: 192.0.2.1", "message/delivery-status\n\nReporting-MTA: dns; mx.isp.example\n\nFinal-Recipient: rfc822; gone@isp.example\nAction: failed\nStatus: 5.1.1");
    let rows = parse(bounce.as_bytes()).unwrap().rows("b.eml");
    assert_eq!(rows.iter().map(|r| r.recipient.as_str()).collect::<Vec<_>>(), ["gone@isp.example"]);
}

/// Microsoft's older JMRP form is the complained-of message itself, sent on
/// by staff@hotmail.com, with the complainer in X-HmXmrOriginalRecipient.
#[test]
fn jmrp_raw_forward_is_a_complaint() {
    let msg = "Return-Path: staff@hotmail.com\nX-HmXmrOriginalRecipient: reader@hotmail.com\n\
From: news@sender.example\nTo: reader@hotmail.com\nSubject: Our offers\n\nHello\n";
    let r = parse(msg.as_bytes()).unwrap();
    assert_eq!(r.kind, MessageKind::Feedback);
    let rows = r.rows("jmrp.eml");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].recipient, "reader@hotmail.com");
    assert_eq!(rows[0].feedback_type.as_deref(), Some("abuse"));
    // The same header on mail that did not come from Microsoft's reporting address is no complaint.
    let other = msg.replace("staff@hotmail.com", "someone@example.org");
    assert_ne!(parse(other.as_bytes()).unwrap().kind, MessageKind::Feedback);
}

/// A notice that hard-wraps its lines can split an address in the middle of
/// a diagnostic (1&1's "... identity list-dev\nel@lists.example.net, and ip
/// ..."): the tail opening the next line is no second recipient.
#[test]
fn an_address_split_by_a_wrap_is_no_recipient() {
    let msg = "From: \"Mail Delivery System\" <mailer-daemon@kundenserver.de>\n\
To: list-devel@lists.example.net\nSubject: Mail delivery failed: returning message to sender\n\n\
This message was created automatically by mail delivery software.\n\n\
A message that you sent could not be delivered to one or more of\n\
its recipients. This is a permanent error. The following address(es)\nfailed:\n\n\
hello@shop.example.com:\n\
SMTP error from remote server for TEXT command, host: mx10.example.org (192.0.2.50) reason: 550 192.0.2.130 is not allowed to send mail from lists.example.net\n\
. Please see the SPF record, with scope mfrom, identity list-dev\n\
el@lists.example.net, and ip 192.0.2.130\n\n";
    let r = parse(msg.as_bytes()).unwrap();
    let rows = r.rows("wrap.eml");
    assert_eq!(rows.iter().map(|w| w.recipient.as_str()).collect::<Vec<_>>(), ["hello@shop.example.com"]);
    assert_eq!(rows[0].reason, "authfailure");
    assert!(rows[0].diagnostic.ends_with("and ip 192.0.2.130"), "{:?}", rows[0].diagnostic);
    // A comma followed by another address (a list) still opens a recipient's block.
    let listed = msg.replace("hello@shop.example.com:\n", "hello@shop.example.com, other@shop.example.com:\n");
    let names: Vec<String> = parse(listed.as_bytes()).unwrap().rows("list.eml").into_iter().map(|w| w.recipient).collect();
    assert!(names.iter().any(|a| a == "hello@shop.example.com") && !names.iter().any(|a| a == "el@lists.example.net"), "{names:?}");
}

/// The English form of the Chinese providers' notices names each recipient
/// after "Unable to send to", without a colon, as "无法发送到" does.
#[test]
fn unable_to_send_to_names_each_recipient() {
    let msg = "From: Mail Delivery System <postmaster@mail.example.cn>\nTo: sender@example.org\n\
Subject: Undelivered Mail Returned to Sender\n\n\
Unable to send to abuse@example.com\n\
Bounce reason: The recipient's email address (abuse@example.com) does not exist, so the message could not be delivered.\n\
550 No such user (TB)\n\
Solution: Please contact your recipient, verify the email address again, or send to another receiving mailbox.\n\n\
Unable to send to legal@example.com\n\
Bounce reason: The recipient's email address (legal@example.com) does not exist, so the message could not be delivered.\n\
host route2.mx.example.net[192.0.2.17] said: 550 5.1.1 Address does not exist. (in reply to RCPT TO command)\n\
Solution: Please contact your recipient, verify the email address again, or send to another receiving mailbox.\n";
    let rows = parse(msg.as_bytes()).unwrap().rows("unable.eml");
    let got: Vec<(&str, &str)> = rows.iter().map(|w| (w.recipient.as_str(), w.reason)).collect();
    assert_eq!(got, [("abuse@example.com", "userunknown"), ("legal@example.com", "userunknown")]);
    assert_eq!(rows[1].status.as_ref().map(|s| s.to_string()).as_deref(), Some("5.1.1"));
}

/// A timeout in a report reads as the queue giving up (`expired`); when the
/// quoted log line says the MTA deferred the message, the status derived for
/// that reason stays temporary, as it does for the timeout itself.
#[test]
fn a_logged_deferral_keeps_a_report_reasons_status_temporary() {
    let msg = |status: &str| {
        format!(
            "From: MAILER-DAEMON@mx.example.com\nTo: sender@example.com\nSubject: Undelivered Mail Returned to Sender\n\n\
This is the mail system at host mx.example.com.\n\n\
<user@example.org>: status={status} (connect to mx.example.org[192.0.2.1]:25: Connection timed out)\n"
        )
    };
    let status = |raw: String| {
        let rows = parse(raw.as_bytes()).unwrap().rows("t.eml");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].reason, "expired");
        rows[0].status.as_ref().map(|s| s.to_string())
    };
    assert_eq!(status(msg("deferred")).as_deref(), Some("4.4.7"));
    assert_eq!(status(msg("bounced")).as_deref(), Some("5.4.7"));
}

/// Copies that went through Notes or a web page often have "empty" lines
/// holding a space: such a line still ends a header block.
#[test]
fn lines_of_blanks_read_as_empty_lines() {
    for name in ["arf.eml", "dsn-two-recipients.eml"] {
        let raw = String::from_utf8(fixture(name)).unwrap();
        let spaced = raw.replace("\r\n", "\n").replace("\n\n", "\n \n");
        assert_ne!(spaced, raw, "{name} has empty lines to replace");
        let (want, got) = (parse(raw.as_bytes()).unwrap(), parse(spaced.as_bytes()).unwrap());
        assert_eq!(got.kind, want.kind, "{name}");
        let summary = |r: &bouncekit::Report| r.rows(name).into_iter().map(|w| (w.recipient, w.reason, w.status, w.feedback_type)).collect::<Vec<_>>();
        assert_eq!(summary(&got), summary(&want), "{name}");
    }
}

/// Some generators break a Content-Type before `boundary=` without
/// indenting the next line (an early ARF example did): the report still
/// reads as when the line was folded.
#[test]
fn an_unindented_boundary_line_still_finds_the_parts() {
    for (name, folded) in [("arf.eml", "report-type=feedback-report; boundary="), ("dsn-two-recipients.eml", "report-type=delivery-status;\n\tboundary=")] {
        let raw = String::from_utf8(fixture(name)).unwrap().replace("\r\n", "\n");
        let broken = raw.replacen(folded, &folded.replace("\n\t", "\n").replace("; boundary=", ";\nboundary="), 1);
        assert_ne!(broken, raw, "{name} has a boundary to move");
        let (want, got) = (parse(raw.as_bytes()).unwrap(), parse(broken.as_bytes()).unwrap());
        assert_eq!(got.kind, want.kind, "{name}");
        let summary = |r: &bouncekit::Report| r.rows(name).into_iter().map(|w| (w.recipient, w.reason, w.status, w.diagnostic)).collect::<Vec<_>>();
        assert_eq!(summary(&got), summary(&want), "{name}");
    }
}

#[test]
fn autoreplies_are_vacation_not_bounces() {
    for f in ["autoreply-de.eml", "autoreply-subject-only.eml"] {
        let r = parse(&fixture(f)).unwrap();
        assert_eq!(r.kind, MessageKind::Autoreply, "{f}");
        assert_eq!(r.recipients[0].classification.reason, Reason::Vacation, "{f}");
        assert_eq!(r.recipients[0].decoded_by, "rfc3834");
        assert!(r.failed().next().is_none());
    }
}

/// An automatic acknowledgement ("Thank you for your e-mail") is an
/// auto-reply when a header marks it as machine mail; the same subject from
/// a person is not.
#[test]
fn acknowledgements_marked_as_machine_mail_are_autoreplies() {
    let ack = |extra: &str| {
        format!(
            "From: John Smith <john@example.org>\nTo: <bounces@example.com>\nSubject: Thank you for your e-mail\n{extra}\
             Content-Type: text/plain\n\nThank you for you e-mail.\nI will endeavour to reply as soon as possible.\n"
        )
    };
    for extra in ["Precedence: bulk\n", "Return-Path: <>\n"] {
        let r = parse(ack(extra).as_bytes()).unwrap();
        assert_eq!(r.kind, MessageKind::Autoreply, "{extra}");
        assert_eq!(r.recipients[0].classification.reason, Reason::Vacation);
    }
    assert_ne!(parse(ack("").as_bytes()).unwrap().kind, MessageKind::Autoreply);
}

/// `Auto-Submitted: auto-generated` (what some responders send instead of
/// `auto-replied`) marks an auto-reply when the subject is a reply's; alone,
/// as on a digest or a cron mail, it does not.
#[test]
fn auto_generated_replies_are_autoreplies() {
    let msg = |subject: &str| {
        format!(
            "From: Jake <jake@example.org>\nTo: <reply+1@forum.example.com>\nSubject: {subject}\n\
             Auto-Submitted: auto-generated\nContent-Type: text/plain\n\nI am not reading mail this week.\n"
        )
    };
    for subject in ["re: [Forum] a new post", "AW: Ihre Bestellung"] {
        let r = parse(msg(subject).as_bytes()).unwrap();
        assert_eq!(r.kind, MessageKind::Autoreply, "{subject}");
        assert_eq!(r.recipients[0].recipient, "jake@example.org");
        assert_eq!(r.recipients[0].classification.reason, Reason::Vacation);
    }
    assert_ne!(parse(msg("Your weekly digest").as_bytes()).unwrap().kind, MessageKind::Autoreply);
}

/// Out-of-office replies with no RFC 3834 header, known by their subject
/// in the languages they come in.
#[test]
fn autoreply_subjects_in_other_languages() {
    for subject in ["Ārpus biroja automātiskā atbilde: hello", "Automatiskt svar: hello", "Automaattinen vastaus: hello", "Automatická odpověď: hello"] {
        let raw = format!("From: <person@example.lv>\nTo: <sender@example.jp>\nSubject: {subject}\nContent-Type: text/plain; charset=utf-8\n\nI am out of office and will be back on Tuesday.\n");
        let r = parse(raw.as_bytes()).unwrap();
        assert_eq!(r.kind, MessageKind::Autoreply, "{subject}");
        assert_eq!(r.recipients[0].classification.reason, Reason::Vacation, "{subject}");
        assert!(r.failed().next().is_none());
    }
}

#[test]
fn non_standard_never_reads_the_quoted_original() {
    let r = parse(&fixture("qmail-quoted-original.eml")).unwrap();
    let who: Vec<_> = r.recipients.iter().map(|b| b.recipient.as_str()).collect();
    assert_eq!(who, ["one@example.jp", "two@example.jp"]);
    assert_eq!(r.recipients[0].decoded_by, "qmail");
    assert_eq!(r.recipients[0].classification.reason, Reason::UserUnknown);
    assert_ne!(r.recipients[1].diagnostic, r.recipients[0].diagnostic, "each its own diagnostic");
}

/// Italian certified mail (PEC): the provider's notices carry their facts in
/// `daticert.xml`. The recipient is the one `consegna` names, not every
/// `destinatari` of the message; a refusal before sending names no
/// `consegna` and is about them all. Receipts of acceptance are no bounce.
#[test]
fn pec_notices_are_read_from_their_daticert() {
    let r = parse(&fixture("pec-errore-consegna.eml")).unwrap();
    assert_eq!(r.kind, MessageKind::Bounce);
    let got: Vec<_> = r.recipients.iter().map(|b| (b.recipient.as_str(), b.dsn_action, b.classification.reason, b.status.map(|s| s.to_string()))).collect();
    assert_eq!(got, vec![("protocollo@pec.example.org", DsnAction::Failed, Reason::UserUnknown, Some("5.1.1".to_string()))]);
    assert_eq!(r.recipients[0].decoded_by, "pec");
    assert_eq!(r.recipients[0].diagnostic, "5.1.1 - Example PEC S.p.A. - indirizzo non valido");

    let notice = |ricevuta: &str, xml: &str| {
        format!(
            "From: posta-certificata@pec.example.it\nTo: ufficio@pec.example.it\nSubject: Avviso\nX-Ricevuta: {ricevuta}\n\
             MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nAvviso.\n\
             --b\nContent-Type: application/xml; name=daticert.xml\n\n{xml}\n--b--\n"
        )
        .into_bytes()
    };
    let head = "<intestazione><destinatari tipo=\"certificato\">a@pec.example.org</destinatari>\
                <destinatari tipo=\"esterno\">b@example.org</destinatari></intestazione>";
    let cases = [
        ("preavviso-errore-consegna", "<postacert tipo=\"preavviso-errore-consegna\" errore=\"altro\">", "<consegna>a@pec.example.org</consegna>", MessageKind::Delay, vec![("a@pec.example.org", DsnAction::Delayed)]),
        ("avvenuta-consegna", "<postacert tipo=\"avvenuta-consegna\" errore=\"nessuno\">", "<consegna>b@example.org</consegna>", MessageKind::Delivery, vec![("b@example.org", DsnAction::Delivered)]),
        ("accettazione", "<postacert tipo=\"accettazione\" errore=\"nessuno\">", "", MessageKind::NotBounce, vec![]),
        (
            "non-accettazione",
            "<postacert tipo='non-accettazione' errore='virus'>",
            "<errore-esteso>Virus rilevato nel messaggio</errore-esteso>",
            MessageKind::Bounce,
            vec![("a@pec.example.org", DsnAction::Failed), ("b@example.org", DsnAction::Failed)],
        ),
    ];
    for (ricevuta, root, dati, kind, want) in cases {
        let r = parse(&notice(ricevuta, &format!("{root}{head}<dati>{dati}</dati></postacert>"))).unwrap();
        assert_eq!(r.kind, kind, "{ricevuta}");
        let got: Vec<_> = r.recipients.iter().map(|b| (b.recipient.as_str(), b.dsn_action)).collect();
        assert_eq!(got, want, "{ricevuta}");
    }
    let virus = parse(&notice("non-accettazione", &format!("<postacert tipo=\"non-accettazione\" errore=\"virus\">{head}</postacert>"))).unwrap();
    assert!(virus.recipients.iter().all(|b| b.classification.reason == Reason::VirusDetected));
    // The `errore` attribute decides when the provider's words name no reason.
    let xml = "<postacert tipo=\"errore-consegna\" errore=\"no-dominio\"><dati><consegna>a@pec.example.org</consegna>\
               <errore-esteso>errore nella consegna</errore-esteso></dati></postacert>";
    let r = parse(&notice("errore-consegna", xml)).unwrap();
    assert_eq!(r.recipients[0].classification.reason, Reason::HostUnknown);

    // A standard report that only carries a PEC part along (no X-Ricevuta) is read as the report.
    let dsn = "From: MAILER-DAEMON@mx.example.net\nTo: ufficio@example.it\nSubject: Undelivered Mail\nMIME-Version: 1.0\n\
               Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: text/plain\n\nNot delivered.\n\
               --b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; c@example.org\n\
               Action: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\n\n\
               --b\nContent-Type: application/xml; name=daticert.xml\n\n<postacert tipo=\"posta-certificata\" errore=\"nessuno\"></postacert>\n--b--\n";
    let r = parse(dsn.as_bytes()).unwrap();
    let got: Vec<_> = r.recipients.iter().map(|b| (b.recipient.as_str(), b.classification.reason, b.decoded_by.as_str())).collect();
    assert_eq!(got, vec![("c@example.org", Reason::MailboxFull, "rfc3464")]);
}

/// `Action: failed` with a success status and a `250 OK` diagnostic (AOL's
/// relays wrote such groups): the action stands, and the human text's
/// transcript says why.
#[test]
fn a_failed_action_beside_a_success_status_reads_the_transcript() {
    let raw = "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.com>\nTo: sender@example.net\n\
               Subject: Returned mail: see transcript for details\nMIME-Version: 1.0\n\
               Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: text/plain\n\n\
               \x20  ----- The following addresses had permanent fatal errors -----\n<gone@example.com>\n\n\
               \x20  ----- Transcript of session follows -----\n... while talking to mx2.example.com.:\n\
               >>> RCPT TO:<gone@example.com>\n<<< 550 MAILBOX NOT FOUND\n550 <gone@example.com>... User unknown\n\n\
               --b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n\
               Final-Recipient: RFC822; gone@example.com\nAction: failed\nStatus: 2.0.0\nRemote-MTA: DNS; mx2.example.com\n\
               Diagnostic-Code: SMTP; 250 OK\n\n--b--\n";
    let r = parse(raw.as_bytes()).unwrap();
    let b = &r.recipients[0];
    assert_eq!((b.recipient.as_str(), b.dsn_action, b.classification.reason), ("gone@example.com", DsnAction::Failed, Reason::UserUnknown));
    assert_eq!(b.reply_code.map(|c| c.get()), Some(550));
    assert!(b.status.is_none_or(|s| s.to_string() != "2.0.0"), "{:?}", b.status);
    assert!(b.diagnostic.contains("User unknown"), "{}", b.diagnostic);
}

/// A failure the report calls final keeps an address verdict hard, even
/// under the last attempt's temporary code; a failure report that quotes a
/// success reply (Domino: "because: 250 Message received OK.") is no
/// delivery, and says nothing of why.
#[test]
fn a_final_failure_is_final_whatever_the_last_code() {
    let raw = "From: MAILER-DAEMON@mx.example.net\nTo: sender@example.net\nSubject: Undelivered Mail Returned to Sender\n\
               MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n\
               --b\nContent-Type: text/plain\n\nGave up.\n--b\nContent-Type: message/delivery-status\n\n\
               Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; gone@example.org\nAction: failed\nStatus: 4.1.1\n\
               Diagnostic-Code: smtp; 450 4.1.1 <gone@example.org>: Recipient address rejected: User unknown\n\n--b--\n";
    let r = parse(raw.as_bytes()).unwrap();
    let c = &r.recipients[0].classification;
    assert_eq!((c.reason, c.bounce_type), (Reason::UserUnknown, bouncekit::BounceType::Hard));

    let raw = "From: Mail Router <postmaster@domino.example.de>\nTo: sender@domino.example.de\n\
               Subject: DELIVERY FAILURE: 250 Message received OK.\nMIME-Version: 1.0\nContent-Type: text/plain\n\n\
               Delivery Failure Report\nYour document:\nZusaetzliche Dokumentation\nwas not delivered to:\nxxxx@example.com\n\
               because:\n250 Message received OK.\n";
    let r = parse(raw.as_bytes()).unwrap();
    let b = &r.recipients[0];
    assert_eq!((b.recipient.as_str(), b.dsn_action, b.classification.reason), ("xxxx@example.com", DsnAction::Failed, Reason::Undefined));
    assert!(b.classification.status.is_none(), "{:?}", b.classification.status);
}

/// A timeout alone is a network error; in a report (failed or delayed),
/// the mailer has kept retrying, and the message expired. A 4.4.1 that
/// decides alone goes the same way, through the registry.
#[test]
fn a_timeout_in_a_report_is_an_expired_message() {
    let text = "connect to mx.example.org[192.0.2.1]:25: Connection timed out";
    assert_eq!(bouncekit::classify(text).reason, Reason::NetworkError);
    assert_eq!(bouncekit::classify("441 4.4.1 No answer from host").reason, Reason::NetworkError);
    for (action, diagnostic) in [("failed", text), ("delayed", text), ("failed", "441 4.4.1 No answer from host")] {
        let raw = format!(
            "From: MAILER-DAEMON@mx.example.net\nTo: sender@example.net\nSubject: Undelivered Mail Returned to Sender\n\
             MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n\
             --b\nContent-Type: text/plain\n\nNot delivered.\n--b\nContent-Type: message/delivery-status\n\n\
             Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; x@example.org\nAction: {action}\nStatus: 4.4.1\n\
             Diagnostic-Code: smtp; {diagnostic}\n\n--b--\n"
        );
        let c = &parse(raw.as_bytes()).unwrap().recipients[0].classification;
        assert_eq!(c.reason, Reason::Expired, "{action}: {diagnostic}: {c:?}");
        assert!(c.rule.ends_with("+report"), "{}", c.rule);
    }
    // A refused connection is no timeout: a network error, report or not.
    let raw = "From: MAILER-DAEMON@mx.example.net\nTo: sender@example.net\nSubject: Undelivered Mail Returned to Sender\n\
               MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n\
               --b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n\
               Final-Recipient: rfc822; x@example.org\nAction: failed\nStatus: 4.4.1\n\
               Diagnostic-Code: X-Postfix; connect to mx.example.org[192.0.2.1]:25: No route to host\n\n--b--\n";
    assert_eq!(parse(raw.as_bytes()).unwrap().recipients[0].classification.reason, Reason::NetworkError);
}

/// A machine part that says nothing but "failed" (a bare X.0.0, a
/// gateway's "Unable-To-Transfer") gives way to the human-readable notice
/// when that names the failure; a notice that names nothing, or a report
/// for several recipients (whose notice may be about another), leaves the
/// verdict as the code gives it.
#[test]
fn a_vague_report_takes_the_reason_its_notice_gives() {
    let report = |notice: &str, groups: &str| {
        format!(
            "From: postmaster@mx.example.net\nTo: sender@example.net\nSubject: Delivery Notification: Delivery has failed\n\
             MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n\
             --b\nContent-Type: text/plain\n\n{notice}\n--b\nContent-Type: message/delivery-status\n\n\
             Reporting-MTA: dns; mx.example.net\n\n{groups}\n--b--\n"
        )
    };
    let one = "Final-Recipient: rfc822; x@example.org\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: smtp; rejected by system\n";
    let quota = "Your message cannot be delivered to x@example.org:\n-SYSTEM-F-EXDISKQUOTA, disk quota exceeded";
    let c = &parse(report(quota, one).as_bytes()).unwrap().recipients[0].classification;
    assert_eq!(c.reason, Reason::MailboxFull, "{c:?}");
    assert!(c.rule.ends_with("+notification"), "{}", c.rule);
    let relay = "Your message was not delivered.\nMTA '192.0.2.7' gives error message 5.7.1 Unable to relay for x@example.org";
    assert_eq!(parse(report(relay, one).as_bytes()).unwrap().recipients[0].classification.reason, Reason::NoRelaying);
    // Nothing decisive in the notice: the code's verdict stands.
    let plain = "Your message could not be delivered to one or more recipients.";
    assert_eq!(parse(report(plain, one).as_bytes()).unwrap().recipients[0].classification.reason, Reason::OnHold);
    // Two recipients: the notice is not read for either.
    let two = format!("{one}\nFinal-Recipient: rfc822; y@example.org\nAction: failed\nStatus: 5.0.0\n");
    for b in parse(report(quota, &two).as_bytes()).unwrap().recipients {
        assert_eq!(b.classification.reason, Reason::OnHold, "{}", b.recipient);
    }
    // A diagnostic that decides keeps its own verdict.
    let decided = "Final-Recipient: rfc822; x@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such user\n";
    assert_eq!(parse(report(quota, decided).as_bytes()).unwrap().recipients[0].classification.reason, Reason::UserUnknown);
}

/// "No such user" is a filter's answer only when something says the
/// address was accepted first: a stage after RCPT TO, or a status that is
/// not about the address (X.7.1). Status X.0.0 says nothing of either.
#[test]
fn an_unknown_user_is_filtered_only_on_evidence_of_a_later_stage() {
    let verdict = |status: &str, extra: &str| {
        let raw = format!(
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\nTo: sender@example.net\nSubject: Mail delivery failed\n\
             MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n\
             --b\nContent-Type: text/plain\n\nThe following address failed:\n\n  x@example.org\n    Unknown user\n\n\
             --b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n\
             Final-Recipient: rfc822; x@example.org\nAction: failed\nStatus: {status}\nDiagnostic-Code: smtp; 550 Unknown user{extra}\n\n--b--\n"
        );
        let c = parse(raw.as_bytes()).unwrap().recipients.remove(0).classification;
        (c.reason, c.bounce_type)
    };
    assert_eq!(verdict("5.0.0", ""), (Reason::UserUnknown, BounceType::Hard));
    assert_eq!(verdict("5.7.1", ""), (Reason::Filtered, BounceType::Soft));
    assert_eq!(verdict("5.0.0", " (in reply to end of DATA command)"), (Reason::Filtered, BounceType::Soft));
    assert_eq!(verdict("5.0.0", " (in reply to RCPT TO command)"), (Reason::UserUnknown, BounceType::Hard));
}

/// A Sieve `reject` (RFC 5429) may answer with a disposition notification
/// instead of a DSN: `Disposition: ...; deleted` is the refusal, the
/// notice's text after its lead-in the reason. A read receipt is a delivery.
#[test]
fn a_sieve_reject_by_disposition_notification_is_a_bounce() {
    let mdn = |reason: &str, disposition: &str| {
        format!(
            "From: Mail Delivery Subsystem <postmaster@example.net>\nTo: <news@shop.example>\nSubject: Automatically rejected mail\n\
             Auto-Submitted: auto-replied (rejected)\nMIME-Version: 1.0\n\
             Content-Type: multipart/report; report-type=disposition-notification; boundary=\"b\"\n\n\
             --b\nContent-Type: text/plain; charset=utf-8\n\n\
             Your message was automatically rejected by the mail delivery agent.\n\nThe following reason was given:\n{reason}\n\n\
             --b\nContent-Type: message/disposition-notification\n\n\
             Reporting-UA: mail.example.net; Mail Delivery Agent\nFinal-Recipient: rfc822; anna@example.net\n\
             Original-Message-ID: <1@shop.example>\nDisposition: automatic-action/MDN-sent-automatically; {disposition}\n\n\
             --b\nContent-Type: message/rfc822\n\nFrom: news@shop.example\nTo: anna@example.net\nSubject: offers\n\nhello\n--b--\n"
        )
    };
    let r = parse(mdn("Quota exceeded (mailbox for user is full)", "deleted").as_bytes()).unwrap();
    assert_eq!(r.recipients.len(), 1);
    let b = &r.recipients[0];
    assert_eq!((b.recipient.as_str(), b.decoded_by.as_str(), b.dsn_action), ("anna@example.net", "mdn", DsnAction::Failed));
    assert_eq!(b.classification.reason, Reason::MailboxFull);
    assert_eq!(b.diagnostic, "Quota exceeded (mailbox for user is full)");
    // The script's own words decide nothing: the recipient's filter refused it.
    let r = parse(mdn("Go away!", "deleted").as_bytes()).unwrap();
    assert_eq!(r.recipients[0].classification.reason, Reason::Filtered);
    // A read receipt (or a declined one) reports no failure: the message
    // reached its reader, a delivery.
    for disposition in ["displayed", "denied"] {
        let r = parse(mdn("", disposition).as_bytes()).unwrap();
        assert_eq!(r.kind, MessageKind::Delivery, "{disposition}");
        assert_eq!(r.recipients.len(), 1);
        let b = &r.recipients[0];
        assert_eq!((b.recipient.as_str(), b.dsn_action, b.classification.reason), ("anna@example.net", DsnAction::Delivered, Reason::Delivered));
        assert_eq!(b.classification.bounce_type, BounceType::None);
    }
}

/// A notice that says why once, then lists the addresses: each takes that
/// reason. When one address's own line decides, the notice may be telling
/// that one's cause, and the other keeps the verdict of its own text.
#[test]
fn addresses_listed_under_one_cause_take_it() {
    let notice = |ben: &str| {
        format!(
            "From: Mail Administrator <postmaster@mail.example.net>\nTo: sender@example.org\nSubject: Mail System Error - Returned Mail\n\
             Content-Type: text/plain\n\nThis Message was undeliverable due to the following reason:\n\n\
             The recipients' mailboxes are over their storage quota.\n\nThe following recipients did not receive your message:\n\n\
             \x20    <anna@example.net>\n     <ben@example.net>{ben}\n\n\
             Please reply to postmaster@mail.example.net if you feel this message to be in error.\n"
        )
    };
    let reasons = |raw: String| -> Vec<(String, Reason)> {
        parse(raw.as_bytes()).unwrap().recipients.into_iter().map(|b| (b.recipient, b.classification.reason)).collect()
    };
    assert_eq!(reasons(notice("")), [("anna@example.net".into(), Reason::MailboxFull), ("ben@example.net".into(), Reason::MailboxFull)]);
    assert_eq!(
        reasons(notice(": 550 5.1.1 User unknown")),
        [("anna@example.net".into(), Reason::Undefined), ("ben@example.net".into(), Reason::UserUnknown)]
    );
}

/// An address that two texts of a notice name (the notice and a footer
/// below it), in different case, is one recipient with the notice's verdict.
#[test]
fn one_address_in_two_texts_is_one_recipient() {
    let raw = "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\nTo: sender@example.org\nSubject: Undelivered Mail Returned to Sender\n\
               MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
               --b\nContent-Type: text/plain\n\nI'm sorry to have to inform you that your message could not be delivered.\n\n\
               <Ann@Example.net>: host mx.example.net said: 550 5.1.1 User unknown (in reply to RCPT TO command)\n\n\
               --b\nContent-Type: text/plain\n\n_______________________________________________\nSupport list\nann@example.net\n\
               https://lists.example.net/listinfo/support\n--b--\n";
    let r = parse(raw.as_bytes()).unwrap();
    let found: Vec<(String, Reason)> = r.recipients.iter().map(|b| (b.recipient.to_ascii_lowercase(), b.classification.reason)).collect();
    assert_eq!(found, [("ann@example.net".to_string(), Reason::UserUnknown)]);
}

/// A notice a mailing list passed on carries the list's footer: the list's
/// posting address there is no failed recipient, whether the notice names
/// a real one (a bounce sent to the list) or none (a spam run's fake one).
#[test]
fn a_list_footer_names_no_recipient() {
    let raw = |notice: &str| {
        format!(
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\nTo: dev@lists.example.org\n\
             Subject: [Dev] Undeliverable: Outgoing mail failed\nList-Id: <dev.lists.example.org>\n\
             List-Post: <mailto:dev@lists.example.org>\nPrecedence: list\nContent-Type: text/plain\n\n{notice}\n\
             _______________________________________________\nDev mailing list\nDev@lists.example.org\n\
             https://lists.example.org/listinfo/dev\n"
        )
    };
    let r = parse(raw("Dear, dev\nYou have 3 pending messages that could not be sent.").as_bytes()).unwrap();
    assert!(r.recipients.is_empty(), "{:?}", r.recipients);
    let real = "This is the mail system at host mx.example.net.\n\n<ann@example.net>: host mx.example.net said: 550 5.1.1 User unknown \
                (in reply to RCPT TO command)";
    let r = parse(raw(real).as_bytes()).unwrap();
    let found: Vec<(&str, Reason)> = r.recipients.iter().map(|b| (b.recipient.as_str(), b.classification.reason)).collect();
    assert_eq!(found, [("ann@example.net", Reason::UserUnknown)]);
}

/// A notice someone forwarded (to a help desk, say) quotes its own header
/// block: its `To:` is whom the notice went to, the sender of the failed
/// message, and must never come out as a failed recipient.
#[test]
fn a_forwarded_notice_names_its_recipient_not_its_addressee() {
    let notice = "** Address not found **\n\nYour message wasn't delivered to bob.nobody@example.com because the address couldn't be found, \
                  or is unable to receive mail.\n\nThe response was:\n\nThe email account that you tried to reach does not exist. \
                  Please try double-checking the recipient's email address for typos or unnecessary spaces. - gsmtp\n";
    for (intro, headers) in [
        // Gmail's marker until about 2017, also the one its forward rule puts before an original.
        ("---------- Forwarded message ----------", "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nDate: Mon, Mar 15, 2010 at 10:17 PM\nSubject: Delivery Status Notification (Failure)\nTo: alice@example.org\n"),
        ("---------- Forwarded message ---------", "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nDate: Mon, 3 Feb 2025 at 09:58\nSubject: Delivery Status Notification (Failure)\nTo: <alice@example.org>\n"),
        ("Begin forwarded message:\n", "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nSubject: Delivery Status Notification (Failure)\nDate: 3 February 2025 at 09:58:00 CET\nTo: alice@example.org\nCc: archive@example.org\n"),
    ] {
        let raw = format!(
            "From: Alice Sender <alice@example.org>\nTo: helpdesk@example.net\nSubject: Fwd: Delivery Status Notification (Failure)\n\
             MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\nCan you check why this bounced?\n\n{intro}\n{headers}\n\n{notice}"
        );
        let r = parse(raw.as_bytes()).unwrap();
        let found: Vec<(&str, Reason)> = r.recipients.iter().map(|b| (b.recipient.as_str(), b.classification.reason)).collect();
        assert_eq!(found, [("bob.nobody@example.com", Reason::UserUnknown)], "{intro}");
    }
}

#[test]
fn cr_only_line_endings() {
    let r = parse(&fixture("exim-cr.eml")).unwrap();
    assert_eq!(r.recipients.len(), 1);
    assert_eq!(r.recipients[0].recipient, "cr@example.org");
    assert_eq!(r.recipients[0].decoded_by, "exim");
    assert_eq!(r.recipients[0].smtp_command.as_deref(), Some("RCPT"));
    assert_eq!(r.recipients[0].classification.reason, Reason::UserUnknown);
}

#[test]
fn crlf_and_lf_agree() {
    let lf = fixture("dsn-two-recipients.eml");
    let crlf: Vec<u8> = String::from_utf8(lf.clone()).unwrap().replace('\n', "\r\n").into_bytes();
    let (a, b) = (parse(&lf).unwrap(), parse(&crlf).unwrap());
    assert_eq!(a.rows("x"), b.rows("x"));
}

#[test]
fn iso_2022_jp_body_and_subject() {
    let r = parse(&fixture("iso2022jp.eml")).unwrap();
    assert!(r.subject.as_deref().unwrap().contains("Undelivered"));
    assert_eq!(r.recipients.len(), 1);
    assert_eq!(r.recipients[0].recipient, "taro@example.jp");
    assert!(r.recipients[0].diagnostic.contains("メールボックス"), "{}", r.recipients[0].diagnostic);
    assert_eq!(r.recipients[0].classification.reason, Reason::MailboxFull);
}

#[test]
fn delivery_notifications_are_rows_too() {
    let r = parse(&fixture("delivered.eml")).unwrap();
    assert_eq!(r.kind, MessageKind::Delivery);
    assert_eq!(r.recipients[0].classification.reason, Reason::Delivered);
    assert_eq!(r.rows("d")[0].dsn_action, "delivered");
}

#[test]
fn limits_are_typed_errors() {
    let c = Classifier::new();
    let raw = fixture("dsn-two-recipients.eml");
    let small = Limits { max_message_size: 100, ..Limits::default() };
    assert!(matches!(parse_with(&c, &raw, &small), Err(Error::LimitExceeded { limit: "max_message_size", .. })));
    let one = Limits { max_recipients: 1, ..Limits::default() };
    assert!(matches!(parse_with(&c, &raw, &one), Err(Error::LimitExceeded { limit: "max_recipients", .. })));
    let parts = Limits { max_parts: 2, ..Limits::default() };
    assert!(matches!(parse_with(&c, &raw, &parts), Err(Error::LimitExceeded { limit: "max_parts", .. })));
    let short = Limits { max_diagnostic_len: 10, ..Limits::default() };
    assert!(parse_with(&c, &raw, &short).unwrap().recipients[0].diagnostic.len() <= 10);
    let msg = Error::LimitExceeded { limit: "max_parts", max: 2, actual: 5 }.to_string();
    assert!(msg.contains("max_parts"), "{msg}");
}

#[test]
fn garbage_in_is_an_error_or_an_empty_report() {
    for raw in [&b""[..], b"\x00\x01\x02", b"not a message at all", b"From: x\n\n"] {
        if let Ok(r) = parse(raw) {
            assert!(r.failed().next().is_none());
        }
    }
}

#[test]
fn a_50_mb_message_parses() {
    let mut raw = fixture("dsn-two-recipients.eml");
    // A huge returned message: the report is found, the size is no problem.
    let pos = raw.windows(13).rposition(|w| w == b"--BOUNDARY-1-").unwrap();
    let filler = "x".repeat(76) + "\n";
    let mut big = Vec::with_capacity(50 << 20);
    while big.len() < 50 << 20 {
        big.extend_from_slice(filler.as_bytes());
    }
    raw.splice(pos..pos, big);
    let r = parse(&raw).unwrap();
    assert_eq!(r.recipients.len(), 2);
}

/// SendGrid writes `Arrival-Date: 2012-10-31 04-46-42`, which is no date:
/// a row's timestamp is the first of its dates that is one (here the
/// report's own Date), so a ledger can record it.
#[test]
fn a_garbled_dsn_date_gives_way_to_a_real_one() {
    let raw = "From: MAILER-DAEMON@mx.example.net\nTo: sender@example.jp\nDate: Wed, 31 Oct 2012 05:46:43 -0400\nSubject: Undelivered Mail\n\
        MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n\
        --b\nContent-Type: text/plain\n\nsorry\n\
        --b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\nArrival-Date: 2012-10-31 04-46-42\n\n\
        Final-Recipient: rfc822; kijitora@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n--b--\n";
    let rows = parse(raw.as_bytes()).unwrap().rows("x");
    let t = rows[0].timestamp.as_deref().unwrap();
    assert!(bouncekit::parse_timestamp(t).is_some(), "{t}");
    assert_eq!(bouncekit::parse_timestamp(t), Some(1_351_676_803));
}

/// A delay notice is never final: whatever its text says of the address or
/// the domain, the MTA is still trying, so the verdict is soft and the
/// address is kept; the same words in a failure stay hard.
#[test]
fn a_delay_notice_never_suppresses() {
    let dsn = |action: &str, status: &str, diagnostic: &str| {
        format!(
            "From: MAILER-DAEMON@mta.example.net\nTo: sender@example.com\nSubject: Delivery Status Notification\n\
             MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n\
             --b\nContent-Type: text/plain\n\nTHIS IS A WARNING ONLY.\n\n\
             --b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.example.net\n\n\
             Final-Recipient: rfc822; user@example.org\nAction: {action}\nStatus: {status}\n\
             Diagnostic-Code: smtp; {diagnostic}\n\n--b--\n"
        )
        .into_bytes()
    };
    for (action, status, diagnostic, reason) in [
        ("delayed", "4.4.4", "454 4.4.4 Host or domain name not found", Reason::HostUnknown),
        ("delayed", "4.1.1", "450 4.1.1 <user@example.org>: Recipient address rejected: User unknown", Reason::UserUnknown),
    ] {
        let r = parse(&dsn(action, status, diagnostic)).unwrap();
        let b = &r.recipients[0];
        assert_eq!((b.dsn_action, b.classification.reason), (DsnAction::Delayed, reason), "{diagnostic}");
        assert_eq!(b.classification.bounce_type, bouncekit::BounceType::Soft, "{diagnostic}");
        assert_eq!(b.classification.action, bouncekit::Action::Retry, "{diagnostic}");
        assert_eq!(r.kind, MessageKind::Delay);
    }
    let r = parse(&dsn("failed", "5.4.4", "550 5.4.4 Host or domain name not found")).unwrap();
    assert_eq!(r.recipients[0].classification.bounce_type, bouncekit::BounceType::Hard);
}

/// A Final-Recipient that is a source route, not a mailbox (an LMTP hop), or
/// a mailbox of a dotless internal name (Sun Messaging Server's
/// `ims-ms-daemon` channel), gives way to the Original-Recipient: the
/// address the sender wrote to; so does one that is no mailbox at all (a
/// program or alias name). A dotless Original-Recipient gives nothing.
#[test]
fn a_source_routed_final_recipient_gives_way_to_the_original() {
    let dsn2 = |original_recipient: &str, final_recipient: &str| {
        format!(
            "From: MAILER-DAEMON@mta.example.net\nTo: sender@example.com\nSubject: Delivery failure\n\
             MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n\
             --b\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n\
             --b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.example.net\n\n\
             Original-recipient: rfc822;{original_recipient}\nFinal-recipient: rfc822;{final_recipient}\n\
             Action: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 5.2.2 Over quota\n\n--b--\n"
        )
        .into_bytes()
    };
    let dsn = |final_recipient: &str| dsn2("user@example.net", final_recipient);
    let r = parse(&dsn("@mss1.example.net.lmtp:35065@lmtpcs-daemon")).unwrap();
    assert_eq!(r.recipients[0].recipient, "user@example.net");
    assert_eq!(r.recipients[0].classification.reason, Reason::MailboxFull);
    let r = parse(&dsn("user@ims-ms-daemon")).unwrap();
    assert_eq!(r.recipients[0].recipient, "user@example.net");
    let r = parse(&dsn("other@example.org")).unwrap();
    assert_eq!(r.recipients[0].recipient, "other@example.org", "a proper Final-Recipient stays");
    let r = parse(&dsn2("user@ims", "user@ims-ms-daemon")).unwrap();
    assert_eq!(r.recipients[0].recipient, "user@ims-ms-daemon", "no better address to give");
    let r = parse(&dsn("false")).unwrap();
    assert_eq!(r.recipients[0].recipient, "user@example.net", "an alias name gives way");
}

/// Sendmail puts only the first line of a multi-line reply into the
/// Diagnostic-Code; the session transcript in the text has all of it, and
/// the words that decide are often on the later lines.
#[test]
fn a_reply_cut_to_its_first_line_is_read_whole_from_the_transcript() {
    let report = |transcript: &str| {
        format!(
            "From: Mail Delivery Subsystem <MAILER-DAEMON@mta.example.net>\nTo: sender@example.com\nSubject: Returned mail: see transcript for details\n\
             MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n\
             --b\n\n   ----- The following addresses had permanent fatal errors -----\n<user@example.org>\n\
             \x20   (reason: 550-5.7.1 [192.0.2.7      7] Our system has detected that this message is)\n\n\
             \x20  ----- Transcript of session follows -----\n... while talking to mx.example.org.:\n>>> DATA\n{transcript}\
             554 5.0.0 Service unavailable\n\n\
             --b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mta.example.net\n\n\
             Final-Recipient: RFC822; user@example.org\nAction: failed\nStatus: 5.7.1\nRemote-MTA: DNS; mx.example.org\n\
             Diagnostic-Code: SMTP; 550-5.7.1 [192.0.2.7      7] Our system has detected that this message is\n\n--b--\n"
        )
        .into_bytes()
    };
    let whole = "<<< 550-5.7.1 [192.0.2.7      7] Our system has detected that this message is\n\
                 <<< 550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail,\n\
                 <<< 550-5.7.1 this message has been blocked.\n<<< 550 5.7.1 more information. x1si1 - gsmtp\n";
    let r = parse(&report(whole)).unwrap();
    let b = &r.recipients[0];
    assert_eq!(b.classification.reason, Reason::SpamDetected);
    assert!(b.diagnostic.ends_with("550 5.7.1 more information. x1si1 - gsmtp"), "{}", b.diagnostic);
    // A transcript that never reaches the reply's last line adds nothing.
    let r = parse(&report("<<< 550-5.7.1 [192.0.2.7      7] Our system has detected that this message is\n")).unwrap();
    assert_eq!(r.recipients[0].diagnostic, "550-5.7.1 [192.0.2.7 7] Our system has detected that this message is");
}

/// Exim lists a failed delivery under where it went (a pipe, a file,
/// another address) and names the address it came from below that line
/// (`generated by a@b`, `(generated from a@b)`): the whole block is what
/// the report says of that address.
#[test]
fn an_exim_block_is_read_for_the_address_it_was_generated_from() {
    let report = |block: &str, recipients: &[&str]| {
        let groups: String = recipients.iter().map(|r| format!("Action: failed\nFinal-Recipient: rfc822;{r}\nStatus: 5.0.0\n\n")).collect();
        format!(
            "From: Mail Delivery System <Mailer-Daemon@mta.example.net>\nTo: sender@example.com\nSubject: Mail delivery failed: returning message to sender\n\
             MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n\
             --b\nContent-type: text/plain; charset=us-ascii\n\nThis message was created automatically by mail delivery software.\n\n\
             A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n\
             {block}\n\n--b\nContent-type: message/delivery-status\n\nReporting-MTA: dns; mta.example.net\n\n{groups}--b--\n"
        )
        .into_bytes()
    };
    let r = parse(&report("  pipe to |/usr/bin/pager\n    generated by page@example.org\n    local delivery failed", &["page@example.org"])).unwrap();
    let b = &r.recipients[0];
    assert_eq!(b.classification.reason, Reason::MailerError);
    assert_eq!(b.diagnostic, "pipe to |/usr/bin/pager generated by page@example.org local delivery failed");
    let block = "  forward@example.net\n    (generated from alias@example.org)\n    Unrouteable address\n  an undisclosed address\n    (generated from other@example.org)";
    let r = parse(&report(block, &["alias@example.org", "other@example.org"])).unwrap();
    let got: Vec<_> = r.recipients.iter().map(|b| (b.recipient.as_str(), b.classification.reason)).collect();
    assert_eq!(got, [("alias@example.org", Reason::HostUnknown), ("other@example.org", Reason::OnHold)]);
    assert_eq!(r.recipients[1].diagnostic, "an undisclosed address (generated from other@example.org)");
}

/// `Action: delivered` is the report's own word: Exchange's "Delivered:"
/// notices carry `Status: 5.4.0` beside it, and no failure is read from that.
#[test]
fn a_delivered_action_is_a_delivery_whatever_status_is_beside_it() {
    let dsn = |action: &str, status: &str| {
        format!(
            "From: postmaster@mta.example.net\nTo: sender@example.com\nSubject: Delivered: report\n\
             MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n\
             --b\nContent-Type: text/plain\n\nYour message has been delivered to the following recipients:\n\n\
             --b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;mta.example.net\n\n\
             Final-recipient: RFC822; user@example.org\nAction: {action}\nStatus: {status}\nX-Supplementary-Info: < #2.0.0>\n\n--b--\n"
        )
        .into_bytes()
    };
    let r = parse(&dsn("delivered", "5.4.0")).unwrap();
    assert_eq!((r.kind, r.recipients[0].classification.reason), (MessageKind::Delivery, Reason::Delivered));
    // Relayed with a failure status stays a failure: relaying says less.
    let r = parse(&dsn("relayed", "5.4.0")).unwrap();
    assert_ne!(r.recipients[0].classification.reason, Reason::Delivered);
}

/// A Postfix report whose recipients, at three companies, all failed on one
/// host name that is none of their domains (the sender's relay host did not
/// resolve): the path failed, not the recipients' domains. Where each
/// recipient's own domain is the name that failed, the verdict stands.
#[test]
fn one_failed_relay_lookup_for_many_domains_is_no_verdict_on_them() {
    let dsn = |groups: &[(&str, &str)]| {
        let mut m = String::from(
            "From: MAILER-DAEMON@blackfin.example.org (Mail Delivery System)\nTo: ann@example.org\n\
Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: text/plain\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients.\n\n\
--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; blackfin.example.org\n",
        );
        for (rcpt, name) in groups {
            m += &format!(
                "\nFinal-Recipient: rfc822; {rcpt}\nAction: failed\nStatus: 5.4.4\n\
Diagnostic-Code: X-Postfix; Host or domain name not found. Name service error\n    for name={name} type=AAAA: Host not found\n"
            );
        }
        m + "\n--B--\n"
    };
    let relay = "smtp.corp.example.com";
    let r = parse(dsn(&[("zhao@example.net", relay), ("list@lists.example.edu", relay), ("steven@example.info", relay)]).as_bytes()).unwrap();
    assert_eq!(r.recipients.len(), 3);
    for b in &r.recipients {
        assert_eq!((b.classification.reason, b.classification.bounce_type), (Reason::NetworkError, BounceType::Soft), "{}", b.recipient);
    }
    // Each recipient's own domain (or a host under it) failed: unknown hosts.
    let r = parse(dsn(&[("zhao@example.net", "example.net"), ("steven@example.info", "mx.example.info")]).as_bytes()).unwrap();
    assert!(r.recipients.iter().all(|b| b.classification.reason == Reason::HostUnknown));
    // One recipient alone: the name may be its domain's mail host.
    let r = parse(dsn(&[("zhao@example.net", relay)]).as_bytes()).unwrap();
    assert_eq!(r.recipients[0].classification.reason, Reason::HostUnknown);
}

/// A server's own notice announces the copy of the original as "a summary
/// of the undelivered message": the verdict comes from the notice's prose,
/// never from a list's rejection quoted in the copy.
#[test]
fn a_summary_of_the_undelivered_message_is_the_copy_of_the_original() {
    let m = "From: Campus Mailserver <MAILER-DAEMON@campus.example.it>\nTo: list-owner@example.org\n\
Subject: Your message to ann@lab.example.it could not be delivered.\n\n\
Hello,\n\nthis is the email server at the campus.\n\n\
Your message to ann@lab.example.it has reached our local address\nann@lab.example.it, but this email address is wrong or no longer valid.\n\n\
Your message has NOT been delivered.\n\n\
A summary of the undelivered message you sent follows:\n--------------\nSubject: Re: notes\nFrom: list-owner@example.org\nTo: ann@lab.example.it\n\n\
You are not allowed to post to this mailing list, and your message has\nbeen automatically rejected.\n";
    let r = parse(m.as_bytes()).unwrap();
    assert_eq!(r.recipients.len(), 1);
    let b = &r.recipients[0];
    assert_eq!(b.recipient, "ann@lab.example.it");
    assert_eq!((b.classification.reason, b.classification.bounce_type), (Reason::UserUnknown, BounceType::Hard));
    assert!(!b.diagnostic.contains("not allowed to post"));
}
