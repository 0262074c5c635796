//! RFC 8098 disposition notifications that report a refusal: the Sieve
//! `reject` action (RFC 5429) and delivery agents that answer with an MDN
//! rather than a DSN (Cyrus, Dovecot). The notification's
//! `Disposition: ...; deleted` (or an `error`/`failed` modifier) says the
//! message was refused; its `Final-Recipient` names who refused it; the
//! human-readable part gives the reason, after a lead-in sentence.
//!
//! A read receipt (`displayed`, `dispatched`, `processed`, or `denied`: the
//! reader declined to confirm) is no failure: it proves the message reached
//! its recipient, and reads as a delivery.

use super::util::{dsn_address, find_ci, opening_lines, trim};
use super::{DsnAction, Draft, Hit, Mail, MessageKind};

/// The fields of a `message/disposition-notification` part this reads.
#[derive(Default)]
struct Notification {
    final_recipient: Option<String>,
    original_recipient: Option<String>,
    reporting_ua: Option<String>,
    /// The disposition type and modifiers, lowercase (`deleted`, `displayed/error`).
    disposition: String,
}

fn parse(text: &str) -> Notification {
    let mut n = Notification::default();
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else { continue };
        match name.trim().to_ascii_lowercase().as_str() {
            "final-recipient" => n.final_recipient = dsn_address(value).filter(|a| a.contains('@')),
            "original-recipient" => n.original_recipient = dsn_address(value).filter(|a| a.contains('@')),
            "reporting-ua" => n.reporting_ua = Some(value.split(';').next().unwrap_or(value).trim().to_string()),
            // `automatic-action/MDN-sent-automatically; deleted`: the type is after the `;`.
            "disposition" => n.disposition = value.rsplit(';').next().unwrap_or("").trim().to_ascii_lowercase(),
            _ => {}
        }
    }
    n
}

/// Whether the disposition reports a refusal rather than a reading.
fn refused(disposition: &str) -> bool {
    let (kind, modifiers) = disposition.split_once('/').unwrap_or((disposition, ""));
    kind.trim() == "deleted" || modifiers.split(',').any(|m| matches!(m.trim(), "error" | "failed"))
}

/// Lead-ins after which the refusing side's own reason follows.
const REASON_AFTER: [&str; 2] = ["the following reason was given:", "was automatically rejected:"];

/// The reason the human-readable part gives: what follows its lead-in, or
/// the whole text when there is none.
fn reason_of(text: &str) -> String {
    let from = REASON_AFTER.iter().find_map(|lead| find_ci(text, lead).map(|i| i + lead.len())).unwrap_or(0);
    trim(&text[from..]).to_string()
}

pub(crate) fn extract(m: &Mail<'_>) -> Option<Draft> {
    let notes: Vec<Notification> = m.mdn.iter().map(|t| parse(t)).collect();
    // A refusal decides; failing one, a read receipt says the message arrived.
    let (n, refusal) = match notes.iter().find(|n| refused(&n.disposition)) {
        Some(n) => (n, true),
        None => (notes.iter().find(|n| read(&n.disposition))?, false),
    };
    let recipient = n.final_recipient.clone().or_else(|| n.original_recipient.clone())?;
    let text = m.texts.first();
    let (action, kind, diagnostic) = if refusal {
        (DsnAction::Failed, MessageKind::Bounce, text.map(|t| reason_of(t)))
    } else {
        (DsnAction::Delivered, MessageKind::Delivery, text.map(|t| opening_lines(trim(t))))
    };
    let hit = Hit {
        recipient,
        original_recipient: n.original_recipient.clone(),
        action: Some(action),
        diagnostic: diagnostic.unwrap_or_default(),
        reporting_mta: n.reporting_ua.clone(),
        ..Hit::default()
    };
    Some(Draft { kind, decoded_by: "mdn", reporting_mta: n.reporting_ua.clone(), hits: vec![hit] })
}

/// Whether the disposition reports a reading (or a declined receipt) without error.
fn read(disposition: &str) -> bool {
    let kind = disposition.split_once('/').map_or(disposition, |(k, _)| k).trim();
    !refused(disposition) && matches!(kind, "displayed" | "dispatched" | "processed" | "denied")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_that_refuse() {
        assert!(refused("deleted"));
        assert!(refused("displayed/error"));
        assert!(refused("processed/failed"));
        assert!(!refused("displayed"));
        assert!(!refused("dispatched"));
        assert!(!refused(""));
        assert!(read("displayed") && read("denied") && read("processed"));
        assert!(!read("deleted") && !read("displayed/error") && !read(""));
    }

    #[test]
    fn the_reason_follows_the_lead_in() {
        assert_eq!(reason_of("Your message was automatically rejected by Sieve.\n\nThe following reason was given:\nGo away!\n"), "Go away!");
        assert_eq!(reason_of("Your message to <a@example.org> was automatically rejected:\nMailbox full\n"), "Mailbox full");
        assert_eq!(reason_of("  Quota exceeded  "), "Quota exceeded");
    }
}
