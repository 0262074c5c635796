//! The verdicts the core must give on well-known real diagnostics.

use bouncekit::{classify, Action, BounceType, Category, Reason, StatusSource};

fn check(text: &str, reason: Reason, bt: BounceType, action: Action) -> bouncekit::Classification {
    let c = classify(text);
    assert_eq!((c.reason, c.bounce_type, c.action), (reason, bt, action), "{text}\n{c:#?}");
    c
}

#[test]
fn no_answer_from_host_permanently_down() {
    let c = check(
        "550 5.4.1 <user@example.com>: No answer from host - server permanently down",
        classify("550 5.4.1 <user@example.com>: No answer from host - server permanently down").reason,
        BounceType::Hard,
        Action::Suppress,
    );
    assert_eq!(c.status.unwrap().to_string(), "5.4.1");
    assert_eq!(c.category, Category::NetworkRouting);
}

#[test]
fn office365_access_denied_is_an_unknown_recipient() {
    let c = check(
        "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DM6NAM11FT011.eop-nam11.prod.protection.outlook.com]",
        Reason::UserUnknown,
        BounceType::Hard,
        Action::Suppress,
    );
    assert_eq!(c.status.unwrap().to_string(), "5.4.1");
    assert_ne!(c.rule, "status:X.4.1", "a text rule must decide, not the code");
}

#[test]
fn gmail_unauthenticated_sender() {
    let c = check(
        "550-5.7.26 This mail is unauthenticated, which poses a security risk to the sender and Gmail users, and has been blocked. The sender must authenticate with at least one of SPF or DKIM. 550 5.7.26 For this message, DKIM checks did not pass and SPF check for [example.com] did not pass with ip: [192.0.2.1].",
        Reason::AuthFailure,
        BounceType::Soft,
        Action::FixSender,
    );
    assert_eq!(c.status.unwrap().to_string(), "5.7.26");
}

#[test]
fn over_quota() {
    let c = check(
        "452 4.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp",
        Reason::MailboxFull,
        BounceType::Soft,
        Action::Retry,
    );
    assert_eq!(c.reply_code.unwrap().get(), 452);
}

#[test]
fn yahoo_without_an_enhanced_code() {
    let c = check(
        "554 delivery error: dd This user doesn't have a yahoo.com account (user@yahoo.com) [0] - mta1234.mail.gq1.yahoo.com",
        Reason::UserUnknown,
        BounceType::Hard,
        Action::Suppress,
    );
    assert_eq!(c.status_source, StatusSource::Derived);
    assert_eq!(c.reply_code.unwrap().get(), 554);
}

#[test]
fn spamhaus_listing_is_a_sender_problem() {
    check(
        "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1",
        Reason::Blocked,
        BounceType::Soft,
        Action::FixSender,
    );
}

#[test]
fn the_code_decides_when_no_rule_matches() {
    let c = classify("550 5.1.1 zzz qqq");
    assert_eq!(c.reason, Reason::UserUnknown);
    assert_eq!(c.rule, "status:X.1.1");
    assert_eq!(c.description, "Bad destination mailbox address");
    let c = classify("552 5.2.2 zzz");
    assert_eq!((c.reason, c.bounce_type), (Reason::MailboxFull, BounceType::Soft));
}

/// Postfix's "refused to talk to me" wraps any greeting that is not 2xx: the
/// quoted reply's specific code decides, the wrapper only when there is none.
#[test]
fn a_wrapper_gives_way_to_the_code_it_wraps() {
    let c = classify("host mx.example.net[192.0.2.1] refused to talk to me: 421 4.4.2 mx.example.net Error: timeout exceeded");
    assert_eq!((c.reason, &*c.rule), (Reason::NetworkError, "status:X.4.2"));
    let c = classify("host mx.example.net[192.0.2.127] refused to talk to me: 421 Service not available, closing transmission channel");
    assert_eq!((c.reason, &*c.rule), (Reason::Blocked, "generic-blocked.refused-to-talk"));
}

/// "Not accepting mail" is hard only when it is permanent. A 4.3.2 ("system
/// not accepting network messages") for now is the server's own state
/// (maintenance, overload), retried; the 5.3.2/5.1.10 answer that a host
/// takes no mail at all is suppressed. (A 4xx `notaccept` is soft:
/// tests/reasons.rs.)
#[test]
fn a_temporary_not_accepting_answer_is_retried() {
    check("421 4.3.2 Service not available, closing transmission channel", Reason::SystemError, BounceType::Soft, Action::Retry);
    check("556 5.1.10 Recipient address has null MX", Reason::NotAccept, BounceType::Hard, Action::Suppress);
}

/// An address verdict under a temporary code is soft: the receiver asks for
/// a retry (Postfix's 450 while the domain's DNS does not answer). The same
/// words under a permanent code are hard.
#[test]
fn an_address_verdict_under_a_temporary_code_is_retried() {
    check("450 4.1.2 <user@example.com>: Recipient address rejected: Domain not found", Reason::HostUnknown, BounceType::Soft, Action::Retry);
    check("550 5.1.2 <user@example.com>: Recipient address rejected: Domain not found", Reason::HostUnknown, BounceType::Hard, Action::Suppress);
    check("451 Invalid Recipient", Reason::UserUnknown, BounceType::Soft, Action::Retry);
    check("550 Invalid Recipient", Reason::UserUnknown, BounceType::Hard, Action::Suppress);
}

#[test]
fn the_reply_code_decides_when_nothing_else_does() {
    let bare = bouncekit::Classifier::with_rules(vec![]).unwrap();
    let c = bare.classify("556 zzz qqq");
    assert_eq!((c.reason, c.bounce_type), (Reason::NotAccept, BounceType::Hard));
    assert_eq!(c.rule, "reply:556");
    assert_eq!(c.status_source, StatusSource::Derived);
    let c = bare.classify("452 zzz qqq");
    assert_eq!((c.reason, c.bounce_type, &*c.rule), (Reason::SystemFull, BounceType::Soft, "reply:452"));
    // 553 is RFC 5321's "mailbox name not allowed", but servers give it for
    // any refusal (a relay check, an open-relay listing, a content filter):
    // alone it suppresses no address.
    let c = bare.classify("553 zzz qqq");
    assert_eq!((c.reason, c.bounce_type, &*c.rule), (Reason::OnHold, BounceType::Soft, "reply:553"));
}

#[test]
fn success_is_not_a_failure() {
    let c = classify("250 2.0.0 OK 1700000000 abc123 - gsmtp");
    assert_eq!((c.reason, c.bounce_type, c.action), (Reason::Delivered, BounceType::None, Action::Ignore));
}

/// A client's log quotes the steps that went well before the one that
/// failed: the failing reply decides, not the first `250`. X.7.1 alone is
/// no reason to silence a weak wording either.
#[test]
fn a_transcript_is_judged_by_its_failing_step() {
    let c = classify(">> MAIL FROM:<a@example.org> << 250 2.1.0 Ok >> RCPT TO:<b@example.net> << 553 5.7.1 <a@example.org>: Sender address rejected: not owned by user c@example.org");
    assert_eq!((c.reply_code.map(|r| r.get()), c.status.map(|s| s.to_string())), (Some(553), Some("5.7.1".to_string())));
    assert_eq!(c.reason, Reason::SecurityError);
    let c = classify("250 2.1.5 Ok then 250 2.0.0 queued as ABC");
    assert_eq!(c.reason, Reason::Delivered);
    let c = classify("554 5.7.1 <client.example[192.0.2.9]>: Client host rejected: CONN:SPAM");
    assert_eq!(c.reason, Reason::Blocked, "{}", c.rule);
}

/// Mail libraries wrap the server's reply in their own exception text
/// (Symfony Mailer and SwiftMailer: `Expected response code "250" but got
/// code "550", with message "550 ..."`): the reply inside the quotes is the
/// server's, and a weak wording keyed to a 5xx reply still reads.
#[test]
fn a_reply_quoted_in_a_library_exception_is_found() {
    let c = classify(r#"Expected response code "250" but got code "550", with message "550 MIME message is missing 'From' header"."#);
    assert_eq!(c.reply_code.map(|r| r.get()), Some(550));
    let c = classify(r#"Expected response code 354 but got code "554", with message "554 5.7.1 Message rejected""#);
    assert_eq!(c.reply_code.map(|r| r.get()), Some(554), "the 354 that went well is looked past");
    let c = check(r#"Expected response code "250" but got code "550", with message "550 Mailbox unavailable or access denied""#, Reason::UserUnknown, BounceType::Hard, Action::Suppress);
    assert_eq!(c.rule, "generic-userunknown.mailbox-unavailable-weak");
}

#[test]
fn disagreeing_codes_are_explained() {
    let c = classify("550 4.2.2 zzz qqq");
    assert_eq!(c.status.unwrap().to_string(), "4.2.2");
    let note = c.note.expect("a note on the disagreement");
    assert!(note.contains("550") && note.contains("4.2.2"), "{note}");
}

#[test]
fn nothing_known_is_undefined() {
    let c = classify("something odd happened");
    assert_eq!((c.reason, &*c.rule, c.status), (Reason::Undefined, "none", None));
    let c = classify("");
    assert_eq!(c.reason, Reason::Undefined);
}

#[test]
fn weak_rules_stand_aside_for_a_specific_code() {
    // Whatever vague phrase is in the text, 5.2.2 is a full mailbox unless a
    // strong rule says otherwise.
    for r in bouncekit::RuleSet::builtin_rules().iter().filter(|r| r.is_weak()) {
        if let Some(p) = r.phrases.first() {
            let c = classify(&format!("552 5.2.2 {p}"));
            assert!(
                c.reason == bouncekit::Reason::MailboxFull || c.rule != r.id,
                "weak rule {} decided over 5.2.2", r.id
            );
        }
    }
}

#[test]
fn a_catch_all_code_gives_way_to_the_specific_one_it_quotes() {
    // Amazon SES summarises with its own code, then quotes the remote reply.
    let c = classify("5.1.0 - Unknown address error 550-'5.2.2 <kijitora@example.jp>... Mailbox Full' (delivery attempts: 0)");
    assert_eq!(c.status.unwrap().to_string(), "5.2.2");
    assert_eq!(c.reason, Reason::MailboxFull);
    // A specific first code stays, and a later code of another class does not replace it.
    assert_eq!(classify("550 5.1.1 unknown user, relayed 4.4.2 timeout").status.unwrap().to_string(), "5.1.1");
    assert_eq!(classify("554 5.0.0 failed <421 4.4.2 Connection timed out>").status.unwrap().to_string(), "5.0.0");
}

/// qmail's logs write a remote reply with `_` for every space; such a line
/// reads as the reply it spells. A text spaced as usual keeps its
/// underscores.
#[test]
fn a_qmail_log_reply_reads_as_spaced_text() {
    let c = check(
        "failure: 192.0.2.11_does_not_like_recipient./Remote_host_said:_550_5.1.1_<ann@example.org>_is_not_a_valid_mailbox./Giving_up_on_192.0.2.11./",
        Reason::UserUnknown,
        BounceType::Hard,
        Action::Suppress,
    );
    assert_eq!(c.status.map(|s| s.to_string()), Some("5.1.1".into()));
    assert_eq!(c.reply_code.map(|r| r.get()), Some(550));
    check("deferral: Sorry,_I_wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/", Reason::NetworkError, BounceType::Soft, Action::Retry);
    assert_eq!(classify("550_5.1.1_user_unknown").reason, Reason::UserUnknown);
    // With spaces in it, a text's underscores are its own.
    assert_eq!(classify("550_mailbox_full_for_user").reason, Reason::MailboxFull);
    assert_ne!(classify("550 sorry, rejected: mailbox_full_for_user").reason, Reason::MailboxFull);
    // Judged line by line: a notice quotes such a line among ordinary ones
    // (AT&T Global's notice; its report's own diagnostic says nothing).
    let notice = "The following addresses had delivery problems:\n\n<ann@example.net>\n\tPermanent Failure: 522_mailbox_full;_group_quota_sz=37748397/37748736_ct=1356/100000\n\tDelivery last attempted at Fri,  1 Feb 2013 04:18:00 -0000\n";
    assert_eq!(classify(notice).reason, Reason::MailboxFull);
    assert_ne!(classify("The following addresses had delivery problems:\n550 sorry, rejected: mailbox_full_for_user\n").reason, Reason::MailboxFull);
    // Names joined by underscores, with few spaces (a system's own error
    // codes): a rule written for the name still decides, as the spaced
    // reading meets no rule and the text as written is read too.
    let user = "[[rule]]\nid = \"mine.frozen\"\nreason = \"suspend\"\npriority = 50\npatterns = ['acct_frozen_by_admin']\nexamples = ['x']\n";
    let c = bouncekit::Classifier::with_user_rules(user, "mine").unwrap();
    let text = "delivery_failed:_acct_frozen_by_admin";
    assert_eq!(c.classify(text).rule, "mine.frozen");
    assert_eq!(c.classify(text).reason, Reason::Suspend);
    // A rule on the spaced reading still comes first.
    assert_eq!(classify("550_5.1.1_user_unknown").reason, Reason::UserUnknown);
    // SpamAssassin's test names are names: the content filter decides.
    let sa = "Remote host said: 554 5.7.1 Content filter rejection: SpamAssassin score 21.673 (DEAR_SOMETHING,DKIM_ADSP_NXDOMAIN,DNSBL_AND_URIBL,HTML_MESSAGE,MIME_QP_LONG_LINE,MISSING_MID,RCVD_IN_BL_SPAMCOP_NET,RCVD_IN_DNSWL_NONE,SENT_TO_WHOIS_PRIVACY_ADDRESS,URIBL_DBL_ABUSE_BOTCC,URIBL_INDEPENDENT_OVERLAP2,URIBL_IVM). Please alter the content of your message and try again.";
    assert_eq!(classify(sa).reason, Reason::SpamDetected);
}

/// Numbers that only look like codes leave the words to decide: a count in
/// parentheses is no reply, a program's version (`mailman-2.1.6`) no status.
#[test]
fn counts_and_versions_are_not_codes() {
    let c = classify("Domain example.com has exceeded the max emails per hour (200) allowed. Message discarded.");
    assert_eq!((c.reason, c.reply_code), (Reason::RateLimited, None), "{c:#?}");
    let c = classify(
        "status=bounced (Command died with status 8: \"/mail/mailman-2.1.6/mail/mailman bounces list\". Command output: Failure to find group name mailman.)",
    );
    // The status is the reason's own (derived), not 2.1.6 found in the path.
    assert_eq!((c.reason, c.status_source), (Reason::MailerError, StatusSource::Derived), "{c:#?}");
}

/// A lone line that states the stage it answered is read as a report reads
/// it: "does not exist" said to MAIL FROM is about the sender's domain, so
/// no recipient is suppressed for it.
#[test]
fn a_stated_mail_from_stage_makes_an_address_verdict_the_senders() {
    let said = "host mail.example.net[192.0.2.1] said: 553 box.example.net does not exist";
    check(said, Reason::HostUnknown, BounceType::Hard, Action::Suppress);
    check(&format!("{said} (in reply to MAIL FROM command)"), Reason::Rejected, BounceType::Soft, Action::FixSender);
    check(
        "SMTP error from remote mail server after MAIL FROM:<list@example.org> SIZE=2048: 550 5.1.1 Unknown user",
        Reason::Rejected,
        BounceType::Soft,
        Action::FixSender,
    );
    // At RCPT TO the address is the recipient's; prose that merely says
    // "mail from" names no stage.
    check("host mx.example.net said: 550 5.1.1 User unknown (in reply to RCPT TO command)", Reason::UserUnknown, BounceType::Hard, Action::Suppress);
    assert_eq!(classify("550 5.7.1 The recipient is not accepting any mail from you").reason, Reason::Filtered);
}

/// A failure code alone, answered to the greeting, refuses the client
/// (Exim's "after initial connection: 554 <host name>"); the same code
/// answered to MAIL FROM says no more than the code.
#[test]
fn a_bare_code_at_the_greeting_refuses_the_client() {
    let greeting = "host inchng01.example.com [192.0.2.13] SMTP error from remote mail server after initial connection: 554 inchng01.example.com";
    check(greeting, Reason::Blocked, BounceType::Soft, Action::FixSender);
    let c = classify("SMTP error from remote mail server after MAIL FROM:<list@example.org> SIZE=2048: 451 mx.example.com");
    assert_ne!(c.reason, Reason::Rejected, "{c:#?}");
    assert_eq!(classify("503 5.5.1 RCPT only valid after MAIL FROM").reason, classify("503 5.5.1 RCPT only valid").reason);
}

/// Python's smtplib names the stage in its exception's class: a domain
/// refused in answer to HELO is the client's name, at MAIL FROM the
/// sender's, never the recipient's domain.
#[test]
fn smtplib_exception_classes_state_the_stage() {
    let said = "(550, b'Domain does not exist')";
    check(said, Reason::HostUnknown, BounceType::Hard, Action::Suppress);
    let c = check(&format!("smtplib.SMTPHeloError: {said}"), Reason::Blocked, BounceType::Soft, Action::FixSender);
    assert_eq!(c.reply_code.map(|r| r.get()), Some(550));
    check(&format!("smtplib.SMTPSenderRefused: {said}"), Reason::Rejected, BounceType::Soft, Action::FixSender);
    // Outlook's answer to a bad HELO argument says so itself.
    check("smtplib.SMTPHeloError: (501, b'5.5.4 Invalid domain name [SCZP152CA0017.LAMP152.PROD.OUTLOOK.COM]')", Reason::SyntaxError, BounceType::Soft, Action::FixSender);
}

/// A delivery receipt's or an automatic reply's own words are no failure,
/// in English, Chinese or Japanese; the same words beside a failure code
/// are a refusal, and a negated receipt is a failure.
#[test]
fn non_failure_wordings_yield_to_a_failure_code() {
    check("Out of the office until Monday", Reason::Vacation, BounceType::None, Action::Ignore);
    check("感谢您的来信，邮件我已经收到！(此邮件为自动回复)", Reason::Vacation, BounceType::None, Action::Ignore);
    check("メールが正常に配信されました", Reason::Delivered, BounceType::None, Action::Ignore);
    check("Delivery to the following recipients was successful.", Reason::Delivered, BounceType::None, Action::Ignore);
    for refusal in ["550 5.7.1 Out of office replies are not accepted", "550 automatic reply rejected", "550 stat=Sent"] {
        let c = classify(refusal);
        assert_ne!(c.bounce_type, BounceType::None, "{refusal}: {c:#?}");
    }
    assert_ne!(classify("邮件未能成功送达").reason, Reason::Delivered);
    assert_ne!(classify("メールは配信されませんでした").reason, Reason::Delivered);
    // A provider's own class in a 550 reply still says auto-reply.
    assert_eq!(classify("550 [internal] [oob] The message is an auto-reply/vacation mail.").reason, Reason::Vacation);
}

#[test]
fn a_success_reply_is_read_only_by_rules_of_class_2() {
    // Failure wordings in a success reply decide nothing: the reply accepted.
    for ok in ["250 2.1.5 Ok, user unknown check skipped", "250 2.0.0 Ok: queued as 4F2A1; mailbox full warning cleared"] {
        let c = classify(ok);
        assert_eq!((c.reason, c.bounce_type), (Reason::Delivered, BounceType::None), "{ok}: {c:#?}");
    }
    // A filter that discards answers 250 all the same: its class 2 rules read it,
    // and the failure keeps the reply without a made-up status.
    let c = check("250 2.7.0 Ok, discarded, id=00675-01 - INFECTED: Win.Test.EICAR_HDB-1", Reason::VirusDetected, BounceType::Soft, Action::FixSender);
    assert_eq!(c.status.unwrap().to_string(), "2.7.0");
    let c = check("250 Virus Detected; Discarded Email", Reason::VirusDetected, BounceType::Soft, Action::FixSender);
    assert_eq!((c.status, c.reply_code.map(|r| r.get())), (None, Some(250)));
}

#[test]
fn a_log_line_that_defers_without_a_code_is_soft() {
    // The same words are hard when the log says the message bounced, soft
    // when it says the MTA deferred it and will retry.
    let bounced = check("to=<user@example.org>, relay=none, delay=0.1, status=bounced (Host or domain name not found)", Reason::HostUnknown, BounceType::Hard, Action::Suppress);
    assert_eq!(bounced.status.unwrap().to_string(), "5.1.2");
    let deferred = check("to=<user@example.org>, relay=none, delay=0.1, status=deferred (Host or domain name not found)", Reason::HostUnknown, BounceType::Soft, Action::Retry);
    assert_eq!(deferred.status.unwrap().to_string(), "4.1.2");
    assert_eq!(deferred.status_source, StatusSource::Derived);
    // OpenSMTPD's log: the domain has no MX yet, and the queue keeps trying.
    let c = classify("relay: TempFail for da22753dbfba3245: session=0000000000000000, from=user@example.com, to=user@example.org, rcpt=<->, source=-, relay=mysmtp.local, delay=1d4h26m, stat=No MX found for domain");
    assert_eq!(c.bounce_type, BounceType::Soft);
    // A code in the text still decides: Postfix's soft_bounce defers a 550.
    check("status=deferred (host mx.example.org[192.0.2.1] said: 550 5.1.1 <user@example.org>: User unknown)", Reason::UserUnknown, BounceType::Hard, Action::Suppress);
}
