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

/// One index less to write per event: an event's key is unique together with
/// its recipient (the key hashes the recipient), so one index on (recipient,
/// key) both refuses a bounce recorded twice and finds an address's history.
/// A UNIQUE column cannot be dropped in place: the table is rebuilt (with
/// foreign keys off, see [`migrate`]), keeping every id.
const V2: &str = r#"
CREATE TABLE events_v2 (
    id             INTEGER PRIMARY KEY,
    key            BLOB    NOT NULL,
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
INSERT INTO events_v2 (id, key, recipient, domain, time, reason, bounce_type, status, reply_code, action,
                       domain_failure, message_id, source, diagnostic, recorded_at)
    SELECT id, key, recipient, domain, time, reason, bounce_type, status, reply_code, action,
           domain_failure, message_id, source, diagnostic, recorded_at
    FROM events ORDER BY id;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;
CREATE UNIQUE INDEX events_by_recipient_key ON events (recipient, key);
CREATE INDEX events_domain_failures ON events (domain, time) WHERE domain_failure = 1;
"#;

/// Fewer index pages to write per event. Every batch of random addresses
/// touches about one leaf page of the per-address index per event, so the
/// index entries are made small: the address becomes a number (the
/// `recipients` table, written only for a new address) and the identity key
/// its first 8 bytes (a collision needs two bounces of one address with the
/// same 64-bit hash). The domain failures index carries the address number
/// so that flagging a domain reads no table rows. The text columns stay, for
/// readers of the file.
const V3: &str = r#"
CREATE TABLE recipients (
    id      INTEGER PRIMARY KEY,
    address TEXT    NOT NULL UNIQUE
);
INSERT INTO recipients (address) SELECT DISTINCT recipient FROM events ORDER BY recipient;
ALTER TABLE events ADD COLUMN rid INTEGER NOT NULL DEFAULT 0;
UPDATE events SET rid = (SELECT r.id FROM recipients r WHERE r.address = events.recipient), key = substr(key, 1, 8);
DROP INDEX events_by_recipient_key;
DROP INDEX events_domain_failures;
CREATE UNIQUE INDEX events_by_rid_key ON events (rid, key);
CREATE INDEX events_domain_failures ON events (domain, time, rid) WHERE domain_failure = 1;
"#;

/// A summary per address (see `summary.rs`), so that a batch decides on an
/// address without re-reading its whole history. Empty after the upgrade:
/// an address's first batch reads its history and writes it.
const V4: &str = r#"
ALTER TABLE recipients ADD COLUMN summary BLOB;
"#;

/// Every migration, in order; the schema version is their number.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4];

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
    // Rebuilding a table drops it; with foreign keys on, that would delete
    // (and refuse for) the rows suppressions point at. The pragma has no
    // effect inside a transaction, so it is switched around it, and the
    // references are checked before the commit instead.
    let fk: i64 = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let done = migrate_locked(conn);
    conn.pragma_update(None, "foreign_keys", fk)?;
    done
}

fn migrate_locked(conn: &mut Connection) -> Result<(), LedgerError> {
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
    let broken = tx.prepare("PRAGMA foreign_key_check")?.query_map([], |_| Ok(()))?.count();
    if broken > 0 {
        return Err(LedgerError::NotALedger(format!("{broken} rows refer to events that are not there")));
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.commit()?;
    Ok(())
}
