//! The output row of one recipient, borrowed from its report.
//!
//! [`Report::rows`] copies every text into an owned [`Row`]; a writer that
//! only formats the row (the CLI's jsonl, csv and table output) reads a
//! [`RowRef`] instead and copies nothing. The row's rules (which date is the
//! timestamp, whose reporting MTA) live here, once, for both.

use super::{Report, Row};
use crate::StatusCode;

/// One flat output row (DESIGN.md "Output contract"), borrowed from a
/// [`Report`]: the fields of [`Row`], without copies.
///
/// ```
/// let report = bouncekit::parse(&std::fs::read("tests/fixtures/dsn-two-recipients.eml").unwrap()).unwrap();
/// let refs: Vec<_> = report.row_refs("box#1").collect();
/// assert_eq!(refs.len(), 2);
/// assert_eq!(refs[0].source, "box#1");
/// assert_eq!(refs[0].to_row(), report.rows("box#1")[0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowRef<'a> {
    /// Where the message came from (path, `path#N`).
    pub source: &'a str,
    /// The message kind.
    pub message_kind: &'static str,
    /// The recipient address.
    pub recipient: &'a str,
    /// failed, delayed, delivered, relayed, expanded.
    pub dsn_action: &'static str,
    /// The enhanced status code (found or derived).
    pub status: Option<StatusCode>,
    /// The SMTP reply code.
    pub reply_code: Option<u16>,
    /// The reason.
    pub reason: &'static str,
    /// hard, soft, none.
    pub bounce_type: &'static str,
    /// The status subject's area.
    pub category: &'static str,
    /// suppress, retry, fix_sender, ignore.
    pub action: &'static str,
    /// The diagnostic text.
    pub diagnostic: &'a str,
    /// The remote MTA.
    pub remote_mta: Option<&'a str>,
    /// The reporting MTA.
    pub reporting_mta: Option<&'a str>,
    /// The SMTP command.
    pub smtp_command: Option<&'a str>,
    /// The last attempt, else arrival, else the report's date.
    pub timestamp: Option<&'a str>,
    /// The format that decoded the record.
    pub decoded_by: &'a str,
    /// The rule (or code) that decided the reason.
    pub rule: &'a str,
    /// The ARF feedback type.
    pub feedback_type: Option<&'a str>,
}

impl RowRef<'_> {
    /// The owned [`Row`] with the same fields.
    pub fn to_row(&self) -> Row {
        let own = |s: Option<&str>| s.map(str::to_string);
        Row {
            source: self.source.to_string(),
            message_kind: self.message_kind,
            recipient: self.recipient.to_string(),
            dsn_action: self.dsn_action,
            status: self.status.map(|s| s.to_string()),
            reply_code: self.reply_code,
            reason: self.reason,
            bounce_type: self.bounce_type,
            category: self.category,
            action: self.action,
            diagnostic: self.diagnostic.to_string(),
            remote_mta: own(self.remote_mta),
            reporting_mta: own(self.reporting_mta),
            smtp_command: own(self.smtp_command),
            timestamp: own(self.timestamp),
            decoded_by: self.decoded_by.to_string(),
            rule: self.rule.to_string(),
            feedback_type: own(self.feedback_type),
        }
    }
}

impl Report {
    /// The output rows, one per recipient, borrowed from the report (see
    /// [`RowRef`]); [`Report::rows`] is these, copied.
    pub fn row_refs<'a>(&'a self, source: &'a str) -> impl ExactSizeIterator<Item = RowRef<'a>> + 'a {
        self.recipients.iter().map(move |b| {
            let c = &b.classification;
            RowRef {
                source,
                message_kind: self.kind.as_str(),
                recipient: &b.recipient,
                dsn_action: b.dsn_action.as_str(),
                status: c.status,
                reply_code: c.reply_code.map(|r| r.get()),
                reason: c.reason.as_str(),
                bounce_type: c.bounce_type.as_str(),
                category: c.category.as_str(),
                action: c.action.as_str(),
                diagnostic: &b.diagnostic,
                remote_mta: b.remote_mta.as_deref(),
                reporting_mta: b.reporting_mta.as_deref().or(self.reporting_mta.as_deref()),
                smtp_command: b.smtp_command.as_deref(),
                // The first of these that is a date (a DSN date can be
                // garbled, "2012-10-31 04-46-42"); else the first given.
                timestamp: {
                    let mut dates = [&b.last_attempt_date, &b.arrival_date, &self.date].into_iter().flatten();
                    dates.clone().find(|t| crate::timefmt::parse_timestamp(t).is_some()).or_else(|| dates.next()).map(String::as_str)
                },
                decoded_by: &b.decoded_by,
                rule: &c.rule,
                feedback_type: b.feedback_type.as_deref(),
            }
        })
    }
}
