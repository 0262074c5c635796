//! What the report says beyond the diagnostic text decides between
//! neighbouring reasons: the SMTP stage of the refusal, a sending MTA's own
//! category field, and the `x-unix` diagnostic type. The diagnostics are the
//! wordings of real reports (the Sisimai corpus), in a minimal DSN.

use bouncekit::{parse, BounceType, Reason};

/// A minimal RFC 3464 report with one recipient group.
fn dsn(group: &str) -> Vec<u8> {
    format!(
        "From: MAILER-DAEMON@mta.example.net\r\nTo: sender@example.com\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nThe message could not be delivered.\r\n\r\n\
         --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mta.example.net\r\n\r\n\
         Final-Recipient: rfc822; kijitora@example.jp\r\nAction: failed\r\n{group}\r\n\r\n--b--\r\n"
    )
    .into_bytes()
}

fn reason_of(group: &str) -> (Reason, BounceType) {
    let r = parse(&dsn(group)).unwrap();
    assert_eq!(r.recipients.len(), 1);
    let c = &r.recipients[0].classification;
    (c.reason, c.bounce_type)
}

#[test]
fn user_unknown_at_rcpt_is_the_address() {
    let g = "Status: 5.0.0\r\nDiagnostic-Code: smtp; 550 user unknown (in reply to RCPT TO command)";
    assert_eq!(reason_of(g), (Reason::UserUnknown, BounceType::Hard));
}

#[test]
fn user_unknown_after_data_is_a_filter() {
    let g = "Status: 5.0.0\r\nDiagnostic-Code: smtp; 550 Unknown user kijitora@example.jp (in reply to end of DATA command)";
    assert_eq!(reason_of(g), (Reason::Filtered, BounceType::Soft));
}

#[test]
fn an_address_status_keeps_user_unknown_without_a_stage() {
    let g = "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 <kijitora@example.jp>... User Unknown";
    assert_eq!(reason_of(g).0, Reason::UserUnknown);
}

#[test]
fn refused_at_mail_from_is_the_sender() {
    let g = "Status: 5.7.1\r\nDiagnostic-Code: smtp; 550 5.7.1 Access denied (in reply to MAIL FROM command)";
    assert_eq!(reason_of(g).0, Reason::Rejected);
}

#[test]
fn a_specific_wording_keeps_its_verdict_at_mail_from() {
    let g = "Status: 5.0.0\r\nDiagnostic-Code: smtp; 550 Unauthenticated senders not allowed (in reply to MAIL FROM command)";
    assert_eq!(reason_of(g).0, Reason::SecurityError);
}

#[test]
fn powermta_category_names_the_reason() {
    let g = "Status: 5.2.1\r\nDiagnostic-Code: smtp;550 5.2.1 <kijitora@example.jp>... User Unknown\r\nX-PowerMTA-BounceCategory: bad-mailbox";
    assert_eq!(reason_of(g), (Reason::UserUnknown, BounceType::Hard));
    let without = "Status: 5.2.1\r\nDiagnostic-Code: smtp;550 5.2.1 <kijitora@example.jp>... User Unknown";
    assert_eq!(reason_of(without).0, Reason::Filtered);
}

#[test]
fn x_unix_diagnostic_is_a_local_mailer_failure() {
    assert_eq!(reason_of("Status: 5.0.0\r\nDiagnostic-Code: X-Unix; 255").0, Reason::MailerError);
    // A specific complaint of the program still decides.
    let full = "Status: 4.3.0\r\nDiagnostic-Code: x-unix; Quota exceeded message delivery failed to /var/mail/box/INBOX";
    assert_eq!(reason_of(full).0, Reason::MailboxFull);
}

#[test]
fn undeclared_iso_2022_jp_in_a_status_part_is_decoded() {
    // "ユーザー Neko (kijitora@example.co.jp) は Domino ディレクトリには見つかりません。"
    let g = "Status: 5.0.0\r\nDiagnostic-Code: smtp; \x1b$B%f!<%6!<\x1b(BNeko (kijitora@example.co.jp) \x1b$B$O\x1b(B Domino \x1b$B%G%#%l%/%H%j$K$O8+$D$+$j$^$;$s!#\x1b(B";
    let r = parse(&dsn(g)).unwrap();
    assert!(r.recipients[0].diagnostic.contains("ディレクトリ"), "{}", r.recipients[0].diagnostic);
}

#[test]
fn exims_own_diagnostic_field_is_read_when_no_server_answered() {
    let g = "Status: 5.0.0\r\nX-Exim-Diagnostic: X-str; a TLS session is required, but the server did not offer TLS support";
    assert_eq!(reason_of(g).0, Reason::FailedStartTls);
}
