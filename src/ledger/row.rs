//! Scan output rows (`Report::rows`) as the ledger reads them, for front
//! doors that record reports they parsed (the C ABI, the CLI's `scan --ledger`).

use super::{NumOrText, ScanRow};
use crate::Row;

impl From<&Row> for ScanRow {
    /// The ledger's view of one output row. A row without a timestamp is
    /// keyed by its source (as its message id): without a time the content
    /// key would use the import time, and scanning the same mailbox again
    /// would record it twice.
    ///
    /// ```
    /// use bouncekit::ledger::{Ledger, RowOptions, ScanRow, record_rows};
    /// let raw = b"From: MAILER-DAEMON@mx.example.net\r\nSubject: Undelivered Mail\r\n\
    /// Content-Type: text/plain\r\n\r\n<bob@example.com>: host mx.example.com said: \
    /// 550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown\r\n";
    /// let report = bouncekit::parse(raw).unwrap();
    /// let rows: Vec<ScanRow> = report.rows("bounce.eml").iter().map(ScanRow::from).collect();
    /// let mut ledger = Ledger::open_in_memory().unwrap();
    /// let opts = RowOptions { batch_size: 0, default_time: Some(1_714_557_600) };
    /// record_rows(&mut ledger, &rows, &opts).unwrap();
    /// // The same report again records nothing new.
    /// assert_eq!(record_rows(&mut ledger, &rows, &opts).unwrap().recorded, 0);
    /// ```
    fn from(row: &Row) -> Self {
        let no_time = row.timestamp.as_deref().is_none_or(|t| t.trim().is_empty());
        ScanRow {
            recipient: row.recipient.clone(),
            reason: row.reason.to_string(),
            bounce_type: Some(row.bounce_type.to_string()),
            status: row.status.clone(),
            reply_code: row.reply_code.map(|c| NumOrText::Num(f64::from(c))),
            action: Some(row.action.to_string()),
            timestamp: row.timestamp.clone().map(NumOrText::Text),
            message_id: no_time.then(|| row.source.clone()),
            source: Some(row.source.clone()),
            diagnostic: Some(row.diagnostic.clone()),
            dsn_action: Some(row.dsn_action.to_string()),
            message_kind: Some(row.message_kind.to_string()),
        }
    }
}
