//! RFC 3834 automatic replies (vacation, out of office) and
//! challenge-response requests, told apart from bounces.
//!
//! Only reached when no bounce format matched: a bounce also carries
//! `Auto-Submitted: auto-replied`, so that header alone proves nothing.

use super::util::{find_address, opening_lines};
use super::{DsnAction, Draft, Hit, Mail, MessageKind};
use crate::Reason;

/// Subject words of automatic replies, in the languages they come in (lowercase).
pub const VACATION_SUBJECTS: &[&str] = &[
    "out of office",
    "out of the office",
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "auto-response",
    "autoresponse",
    "automated response",
    "away from my mail",
    "vacation",
    "on leave",
    "away until",
    "auto:",
    "abwesenheitsnotiz",
    "automatische antwort",
    "nicht im büro",
    "abwesend",
    "réponse automatique",
    "reponse automatique",
    "absence du bureau",
    "absent du bureau",
    "respuesta automática",
    "respuesta automatica",
    "fuera de la oficina",
    "ausente",
    "risposta automatica",
    "fuori ufficio",
    "resposta automática",
    "resposta automatica",
    "fora do escritório",
    "automatisch antwoord",
    "afwezig",
    "niet aanwezig",
    "automatyczna odpowiedź",
    "poza biurem",
    "автоматический ответ",
    "automatiskt svar",
    "automatisk svar",
    "frånvaro",
    "fravær",
    "automaattinen vastaus",
    "automatická odpověď",
    "mimo kancelář",
    "automatikus válasz",
    "házon kívül",
    "otomatik yanıt",
    "ofis dışında",
    "automātiskā atbilde",
    "automatiska atbilde",
    "ārpus biroja",
    "arpus biroja",
    "automatinis atsakymas",
    "automaatvastus",
    "αυτόματη απάντηση",
    "自動応答",
    "自動返信",
    "不在",
    "自动回复",
    "自動回覆",
    "자동 응답",
];

/// Subject words of challenge-response requests (lowercase).
const CHALLENGE_SUBJECTS: &[&str] = &["please confirm your message", "verify your email to", "challenge-response", "confirm your email address to reach"];

/// Subjects of automatic acknowledgements ("Thank you for your e-mail", a
/// help desk's "We have received your message"), which people write too:
/// they count with a header that marks machine mail (`Precedence: bulk`,
/// `junk` or `list`, or the null return path RFC 3834 asks of replies).
const ACKNOWLEDGEMENT_SUBJECTS: &[&str] = &[
    "thank you for your e-mail",
    "thank you for your email",
    "thank you for your message",
    "thanks for your e-mail",
    "thanks for your email",
    "thanks for your message",
    "thank you for contacting",
    "we have received your",
    "we've received your",
];

/// Whether a header marks the message as sent by a program, not typed by a person.
fn machine_mail(m: &Mail<'_>) -> bool {
    m.header("precedence").is_some_and(|p| ["bulk", "junk", "list"].iter().any(|w| p.trim().eq_ignore_ascii_case(w)))
        || m.header("return-path").is_some_and(|r| r.trim() == "<>")
}

/// Reply prefixes of subjects ("Re:", and its German, Dutch, Scandinavian,
/// Polish, Italian and Portuguese forms), lowercase.
const REPLY_PREFIXES: &[&str] = &["re:", "aw:", "antw:", "sv:", "odp:", "rif:", "res:"];

/// `subject` is the message's subject, lowercase.
fn header_says_autoreply(m: &Mail<'_>, subject: &str) -> bool {
    let auto = m.header("auto-submitted").map(|v| v.trim().to_ascii_lowercase());
    if auto.as_deref().is_some_and(|v| v.starts_with("auto-replied")) {
        return true;
    }
    // RFC 3834 asks replies for `auto-replied`, but some responders send
    // `auto-generated`; with a reply's subject it is a reply all the same.
    if auto.as_deref().is_some_and(|v| v.starts_with("auto-generated")) && REPLY_PREFIXES.iter().any(|p| subject.trim_start().starts_with(p)) {
        return true;
    }
    if m.has_header("x-autoreply") || m.has_header("x-autorespond") || m.has_header("x-autoresponder") {
        return true;
    }
    m.header("precedence").is_some_and(|p| p.trim().eq_ignore_ascii_case("auto_reply"))
}

pub(crate) fn extract(m: &Mail<'_>) -> Option<Draft> {
    let from = m.from.as_deref()?;
    let addr = find_address(from)?.0;
    let lower = addr.to_ascii_lowercase();
    if lower.starts_with("mailer-daemon") || lower.starts_with("postmaster") {
        return None;
    }
    // Apple Mail's unsubscribe button mails the list's address with this
    // header: the recipient's opt-out, a complaint rather than a reply.
    if m.header("x-apple-unsubscribe").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        let diagnostic = m.texts.first().map(|t| opening_lines(t)).unwrap_or_default();
        let hit = Hit {
            recipient: addr,
            action: Some(DsnAction::Delivered),
            diagnostic,
            feedback_type: Some("opt-out".into()),
            fixed: Some(Reason::Feedback),
            ..Hit::default()
        };
        return Some(Draft { kind: MessageKind::Feedback, decoded_by: "apple-unsubscribe", reporting_mta: None, hits: vec![hit] });
    }
    let subject = m.subject_lc();
    let kind = if CHALLENGE_SUBJECTS.iter().any(|s| subject.contains(s)) {
        MessageKind::Challenge
    } else if header_says_autoreply(m, &subject)
        || VACATION_SUBJECTS.iter().any(|s| subject.contains(s))
        || (ACKNOWLEDGEMENT_SUBJECTS.iter().any(|s| subject.contains(s)) && machine_mail(m))
    {
        MessageKind::Autoreply
    } else {
        return None;
    };
    let diagnostic = m.texts.first().map(|t| opening_lines(t)).unwrap_or_default();
    let hit = Hit {
        recipient: addr,
        action: Some(DsnAction::Delivered),
        diagnostic,
        fixed: Some(if kind == MessageKind::Autoreply { Reason::Vacation } else { Reason::OnHold }),
        ..Hit::default()
    };
    Some(Draft { kind, decoded_by: "rfc3834", reporting_mta: None, hits: vec![hit] })
}
