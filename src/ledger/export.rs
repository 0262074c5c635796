//! The suppression list out: CSV (for ESP and CRM imports) and JSON.

use std::io::Write;

use serde_json::json;

use super::query::Suppression;
use super::{now, Ledger, LedgerError};
use crate::timefmt::format_rfc3339;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// `address,domain,scope,reason,bounce_type,since,until,why` with a header; RFC 4180 quoting.
    Csv,
    /// A JSON array of objects (`since`/`until` in RFC 3339 and `since_unix`).
    Json,
}

/// RFC 4180: quote fields with a comma, quote, CR or LF; double the quotes.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The CSV header.
pub const CSV_HEADER: &str = "address,domain,scope,reason,bounce_type,since,until,why";

pub(crate) fn csv_row(s: &Suppression) -> String {
    [
        csv_field(&s.address),
        csv_field(&s.domain),
        match s.scope {
            super::SuppressionScope::Address => "address".into(),
            super::SuppressionScope::Domain => "domain".into(),
        },
        s.reason.map(|r| r.as_str().to_string()).unwrap_or_default(),
        s.bounce_type.map(|b| b.as_str().to_string()).unwrap_or_default(),
        format_rfc3339(s.since),
        s.until.map(format_rfc3339).unwrap_or_default(),
        csv_field(&s.why),
    ]
    .join(",")
}

/// The JSON object of one suppression.
pub fn suppression_json(s: &Suppression) -> serde_json::Value {
    json!({
        "address": s.address,
        "domain": s.domain,
        "scope": s.scope,
        "reason": s.reason,
        "bounce_type": s.bounce_type,
        "since": format_rfc3339(s.since),
        "since_unix": s.since,
        "until": s.until.map(format_rfc3339),
        "why": s.why,
    })
}

impl Ledger {
    /// Writes the suppression list at `now`.
    pub fn export_at(&self, out: &mut dyn Write, format: ExportFormat, now: i64) -> Result<usize, LedgerError> {
        let list = self.suppressed_at(now)?;
        match format {
            ExportFormat::Csv => {
                writeln!(out, "{CSV_HEADER}")?;
                for s in &list {
                    writeln!(out, "{}", csv_row(s))?;
                }
            }
            ExportFormat::Json => {
                let rows: Vec<_> = list.iter().map(suppression_json).collect();
                serde_json::to_writer_pretty(&mut *out, &rows).map_err(std::io::Error::from)?;
                writeln!(out)?;
            }
        }
        out.flush()?;
        Ok(list.len())
    }

    /// The suppression list as CSV, now. Returns how many entries.
    pub fn export_csv(&self, out: &mut dyn Write) -> Result<usize, LedgerError> {
        self.export_at(out, ExportFormat::Csv, now())
    }

    /// The suppression list as JSON, now. Returns how many entries.
    pub fn export_json(&self, out: &mut dyn Write) -> Result<usize, LedgerError> {
        self.export_at(out, ExportFormat::Json, now())
    }
}
