//! RFC 5965 Abuse Reporting Format (feedback reports, complaints).
//!
//! One row per complaining recipient with reason `feedback` and the report's
//! `Feedback-Type`. The recipient is `Original-Rcpt-To` (or
//! `Removal-Recipient`); when a report gives neither (the field is optional
//! and providers redact it), the reported message names the complainer: its
//! first `Delivered-To` (written by the complainer's own server), else its
//! `To`. A feedback report quotes the message *it complains about*, which,
//! unlike a bounce's returned copy, is the one place the complainer appears.

use super::util::{all_addresses, dsn_address};
use super::{DsnAction, Draft, Hit, Mail, MessageKind};
use crate::Reason;

/// The fields of a `message/feedback-report` part.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedbackReport {
    /// `Feedback-Type`: abuse, fraud, virus, other, not-spam, auth-failure, opt-out...
    pub feedback_type: Option<String>,
    /// `Original-Rcpt-To` and `Removal-Recipient` addresses.
    pub recipients: Vec<String>,
    /// `Arrival-Date` / `Received-Date`.
    pub arrival_date: Option<String>,
    /// `Reporting-MTA`.
    pub reporting_mta: Option<String>,
    /// `Source-IP`.
    pub source_ip: Option<String>,
    /// `User-Agent`.
    pub user_agent: Option<String>,
}

/// Parses a feedback-report body.
///
/// ```
/// let f = bouncekit::message::arf::parse_feedback("Feedback-Type: abuse\nUser-Agent: x/1\nVersion: 1\nOriginal-Rcpt-To: <a@example.org>\n");
/// assert_eq!(f.feedback_type.as_deref(), Some("abuse"));
/// assert_eq!(f.recipients, vec!["a@example.org".to_string()]);
/// ```
pub fn parse_feedback(text: &str) -> FeedbackReport {
    let mut f = FeedbackReport::default();
    for line in text.lines() {
        let Some((n, v)) = line.split_once(':') else { continue };
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let v = v.trim();
        match n.trim().to_ascii_lowercase().as_str() {
            "feedback-type" => f.feedback_type = Some(v.to_ascii_lowercase()),
            "original-rcpt-to" | "removal-recipient" => {
                if let Some(a) = dsn_address(v).filter(|a| a.contains('@')) {
                    if !f.recipients.iter().any(|r| r.eq_ignore_ascii_case(&a)) {
                        f.recipients.push(a);
                    }
                }
            }
            "arrival-date" | "received-date" => f.arrival_date = f.arrival_date.take().or(Some(v.to_string())),
            "reporting-mta" => f.reporting_mta = Some(v.rsplit(';').next().unwrap_or(v).trim().to_string()),
            "source-ip" => f.source_ip = Some(v.to_string()),
            "user-agent" => f.user_agent = Some(v.to_string()),
            _ => {}
        }
    }
    f
}

pub(crate) fn extract(m: &Mail<'_>) -> Option<Draft> {
    let is_report = m.report_type.as_deref() == Some("feedback-report");
    if m.feedback.is_empty() && !is_report && m.jmrp_recipient.is_none() {
        return None;
    }
    let f = m.feedback.first().map(|t| parse_feedback(t)).unwrap_or_default();
    let mut recipients = f.recipients.clone();
    if recipients.is_empty() {
        recipients.extend(m.jmrp_recipient.clone());
    }
    // The mailbox the reported copy was delivered to, before its `To`
    // (a list, a Bcc'd mailing, or the sender itself).
    if recipients.is_empty() {
        recipients.extend(m.delivered_to.clone());
    }
    if recipients.is_empty() {
        if let Some(to) = &m.original.to {
            recipients.extend(all_addresses(to).into_iter().take(1));
        }
    }
    if recipients.is_empty() {
        // A complaint whose complainer is redacted is still a complaint: one row, no address.
        recipients.push(String::new());
    }
    // Microsoft's JMRP reports are complaints ("this is junk") without a Feedback-Type.
    let feedback_type = f.feedback_type.clone().or(Some(if m.jmrp_recipient.is_some() { "abuse" } else { "other" }.into()));
    let hits = recipients
        .into_iter()
        .map(|r| Hit {
            recipient: r,
            action: Some(DsnAction::Delivered),
            arrival: f.arrival_date.clone(),
            feedback_type: feedback_type.clone(),
            fixed: Some(Reason::Feedback),
            diagnostic: m.texts.first().map(|t| t.trim().to_string()).unwrap_or_default(),
            ..Hit::default()
        })
        .collect();
    Some(Draft { kind: MessageKind::Feedback, decoded_by: "arf", reporting_mta: f.reporting_mta, hits })
}
