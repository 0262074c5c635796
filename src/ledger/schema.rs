//! The schema and its migrations, versioned with `PRAGMA user_version`.
//!
//! Migration N takes the schema from version N to N+1. Append, never edit:
//! a ledger written by an older bouncekit opens in a newer one; a ledger of a
//! newer bouncekit is refused by an older one instead of being damaged.

use rusqlite::{Connection, TransactionBehavior};

use super::LedgerError;

/// `PRAGMA application_id` of a bouncekit ledger ("BKLG").
pub const APPLICATION_ID: i64 = 0x424B_4C47;

const V1: &str = r#"
CREATE TABLE events (
    id             INTEGER PRIMARY KEY,
    key            BLOB    NOT NULL UNIQUE,
    recipient      TEXT    NOT NULL,
    domain         TEXT    NOT NULL,
    time           INTEGER NOT NULL,
    reason         TEXT    NOT NULL,
    bounce_type    TEXT    NOT NULL,
    status         TEXT,
    reply_code     INTEGER,
    action         TEXT    NOT NULL,
    domain_failure INTEGER NOT NULL DEFAULT 0,
    message_id     TEXT,
    source         TEXT,
    diagnostic     TEXT,
    recorded_at    INTEGER NOT NULL
);
CREATE INDEX events_by_recipient ON events (recipient, time);
CREATE INDEX events_domain_failures ON events (domain, time) WHERE domain_failure = 1;

CREATE TABLE suppressions (
    recipient   TEXT    PRIMARY KEY,
    domain      TEXT    NOT NULL,
    since       INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    bounce_type TEXT    NOT NULL,
    why         TEXT    NOT NULL,
    event_id    INTEGER NOT NULL REFERENCES events (id)
);
CREATE INDEX suppressions_by_domain ON suppressions (domain);

-- The last release of an address: its events up to then no longer count.
CREATE TABLE releases (
    recipient   TEXT    PRIMARY KEY,
    released_at INTEGER NOT NULL
);

CREATE TABLE domain_flags (
    domain        TEXT    PRIMARY KEY,
    first_failure INTEGER NOT NULL,
    since         INTEGER NOT NULL,
    last_failure  INTEGER NOT NULL,
    addresses     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    why           TEXT    NOT NULL
);

CREATE TABLE domain_releases (
    domain      TEXT    PRIMARY KEY,
    released_at INTEGER NOT NULL
);
"#;

/// Every migration, in order; the schema version is their number.
const MIGRATIONS: &[&str] = &[V1];

/// The schema version this bouncekit writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Brings the schema to [`SCHEMA_VERSION`], in one transaction (concurrent
/// openers wait for each other; a killed migration leaves the old version).
pub(super) fn migrate(conn: &mut Connection) -> Result<(), LedgerError> {
    let app: i64 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    if app != 0 && app != APPLICATION_ID {
        return Err(LedgerError::NotALedger(format!("its application_id is {app:#x}, not bouncekit's")));
    }
    let v = version(conn)?;
    if v > SCHEMA_VERSION {
        return Err(LedgerError::SchemaTooNew { found: v, supported: SCHEMA_VERSION });
    }
    if v == SCHEMA_VERSION && app == APPLICATION_ID {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process may have migrated while this one waited for the lock.
    let v = version(&tx)?;
    if v > SCHEMA_VERSION {
        return Err(LedgerError::SchemaTooNew { found: v, supported: SCHEMA_VERSION });
    }
    if v == 0 {
        let tables: i64 = tx.query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", [], |r| r.get(0))?;
        if tables > 0 {
            return Err(LedgerError::NotALedger("it has tables but no bouncekit schema version".into()));
        }
    }
    for sql in &MIGRATIONS[v as usize..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.commit()?;
    Ok(())
}
