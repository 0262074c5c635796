//! The suppression ledger: bounce events over time in an embedded SQLite
//! file, the suppression list they lead to under a [`Policy`], domain health.
//!
//! - **Record** events ([`Ledger::record_batch`], [`Ledger::batch`],
//!   [`record_rows`] for scan output rows): every batch is one transaction;
//!   an invalid event refuses the whole batch and nothing is written. The
//!   same bounce recorded twice counts once (its key is the bounce's
//!   Message-ID + recipient, or a hash of recipient, time and diagnostic).
//! - **Decide** ([`Ledger::decide`], [`Ledger::is_suppressed`]) from the
//!   suppression list, the domain's flag and the history.
//! - **List** and **export** the suppression list ([`Ledger::suppressed`],
//!   [`Ledger::export_csv`], [`Ledger::export_json`]); **release** an address
//!   that came back ([`Ledger::release`]) or a domain that recovered
//!   ([`Ledger::release_domain`]); **statistics** ([`Ledger::stats`],
//!   [`Ledger::domains`]).
//!
//! Safe under concurrent processes (WAL, a busy timeout, writers take the
//! write lock at the start of a batch) and under a killed process (SQLite's
//! atomic commit: a batch is all there or not at all). The schema is
//! versioned (`PRAGMA user_version`) and migrated on open.
//!
//! ```
//! use bouncekit::ledger::{Event, Ledger};
//! use bouncekit::{Action, Reason};
//!
//! let mut ledger = Ledger::open_in_memory().unwrap();
//! let t = 1_714_557_600;
//! ledger.record_batch(&[
//!     Event::new("bob@example.com", t, Reason::UserUnknown),
//!     Event::new("ann@example.com", t, Reason::MailboxFull),
//!     Event::new("cid@example.com", t, Reason::Blocked),
//! ]).unwrap();
//! assert!(ledger.is_suppressed_at("bob@example.com", t).unwrap());
//! assert_eq!(ledger.decide("ann@example.com", t).unwrap().action, Action::Retry);
//! assert_eq!(ledger.decide("cid@example.com", t).unwrap().action, Action::FixSender);
//! ```

mod event;
mod export;
mod query;
mod record;
mod row;
mod schema;
mod summary;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use crate::Policy;

pub use event::{normalize_address, Event, EventError, NumOrText, ScanRow, MAX_ADDRESS, MAX_DIAGNOSTIC, MAX_TIME, MIN_TIME};
pub use export::ExportFormat;
pub use query::{DomainStats, Stats, Suppression, SuppressionScope};
pub use record::{record_rows, Batch, BatchStats, RowOptions};
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};

/// What can go wrong with a ledger.
#[derive(Debug)]
#[non_exhaustive]
pub enum LedgerError {
    /// An event (or row) that is refused; its batch was not written.
    InvalidEvent {
        /// 1-based position of the event in the batch or of the row in the input.
        row: usize,
        /// What is wrong.
        error: EventError,
    },
    /// An address given to a query that is not an address.
    InvalidAddress {
        /// The address given.
        address: String,
        /// What is wrong.
        message: String,
    },
    /// The file was written by a newer bouncekit.
    SchemaTooNew {
        /// Its schema version.
        found: i64,
        /// The newest this bouncekit knows.
        supported: i64,
    },
    /// The file is an SQLite database but not a bouncekit ledger.
    NotALedger(String),
    /// The policy given does not hold together.
    InvalidPolicy(String),
    /// SQLite failed (busy beyond the timeout, disk full, not a database...).
    Sqlite(rusqlite::Error),
    /// Writing an export failed.
    Io(std::io::Error),
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::InvalidEvent { row, error } => {
                write!(f, "invalid event (row {row}): {error}; nothing of this batch was recorded")
            }
            LedgerError::InvalidAddress { address, message } => write!(f, "invalid address {address:?}: {message}"),
            LedgerError::SchemaTooNew { found, supported } => write!(
                f,
                "the ledger's schema version is {found}, newer than this bouncekit supports ({supported}): upgrade bouncekit"
            ),
            LedgerError::NotALedger(why) => write!(f, "not a bouncekit ledger: {why}"),
            LedgerError::InvalidPolicy(why) => write!(f, "invalid policy: {why}"),
            LedgerError::Sqlite(e) => write!(f, "ledger database: {e}"),
            LedgerError::Io(e) => write!(f, "writing: {e}"),
        }
    }
}

impl std::error::Error for LedgerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LedgerError::InvalidEvent { error, .. } => Some(error),
            LedgerError::Sqlite(e) => Some(e),
            LedgerError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> Self {
        LedgerError::Sqlite(e)
    }
}

impl From<std::io::Error> for LedgerError {
    fn from(e: std::io::Error) -> Self {
        LedgerError::Io(e)
    }
}

/// How commits reach the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous = FULL`: a committed batch survives a power cut (the default).
    Full,
    /// `synchronous = NORMAL`: a committed batch survives a killed process,
    /// but the last ones may be lost on a power cut. Faster.
    Normal,
}

/// How to open a ledger.
#[derive(Clone, Debug)]
pub struct LedgerOptions {
    /// The decision policy.
    pub policy: Policy,
    /// How long to wait for another process's write lock before failing.
    pub busy_timeout: Duration,
    /// See [`Durability`].
    pub durability: Durability,
    /// The page cache of this connection, in MiB (grows only as used). A
    /// cache that holds the indexes keeps batches fast on big ledgers.
    pub cache_mib: u32,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions { policy: Policy::default(), busy_timeout: Duration::from_secs(30), durability: Durability::Full, cache_mib: 64 }
    }
}

/// A ledger file, open.
#[derive(Debug)]
pub struct Ledger {
    conn: Connection,
    policy: Policy,
    path: Option<PathBuf>,
    /// Address numbers of committed batches (a number never changes once
    /// committed: addresses are never deleted), so that an address seen
    /// before needs no lookup.
    rids: std::collections::HashMap<String, i64>,
    /// The policy's fingerprint, as address summaries record it.
    fingerprint: u64,
}

/// The current time in unix seconds.
pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Sets WAL mode, and answers the journal mode now in force.
///
/// Openers of a new file each read it, then ask for the exclusive access the
/// switch needs: two that hold their read at once would wait for each other
/// for ever, so SQLite answers one "database is locked" at once, without
/// waiting out the busy timeout. That one tries again (until `timeout`):
/// by then the other has switched.
fn switch_to_wal(conn: &Connection, timeout: Duration) -> rusqlite::Result<String> {
    let deadline = Instant::now() + timeout;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            done => return done,
        }
    }
}

impl Ledger {
    /// Opens (creating if needed) a ledger file with the default options.
    pub fn open(path: impl AsRef<Path>) -> Result<Ledger, LedgerError> {
        Self::open_with(path, LedgerOptions::default())
    }

    /// Opens (creating if needed) a ledger file.
    pub fn open_with(path: impl AsRef<Path>, opts: LedgerOptions) -> Result<Ledger, LedgerError> {
        let conn = Connection::open(path.as_ref())?;
        Self::setup(conn, opts, Some(path.as_ref().to_path_buf()))
    }

    /// A ledger in memory (tests, one-off runs).
    pub fn open_in_memory() -> Result<Ledger, LedgerError> {
        Self::open_in_memory_with(LedgerOptions::default())
    }

    /// A ledger in memory, with options.
    pub fn open_in_memory_with(opts: LedgerOptions) -> Result<Ledger, LedgerError> {
        Self::setup(Connection::open_in_memory()?, opts, None)
    }

    fn setup(mut conn: Connection, opts: LedgerOptions, path: Option<PathBuf>) -> Result<Ledger, LedgerError> {
        opts.policy
            .validate()
            .map_err(LedgerError::InvalidPolicy)?;
        conn.busy_timeout(opts.busy_timeout)?;
        // Switching to WAL needs a moment of exclusive access. It is
        // persistent: later opens find it.
        let mode = switch_to_wal(&conn, opts.busy_timeout)?;
        if path.is_some() && !mode.eq_ignore_ascii_case("wal") {
            return Err(LedgerError::NotALedger(format!("could not switch to WAL mode (journal_mode is {mode})")));
        }
        conn.pragma_update(None, "synchronous", if opts.durability == Durability::Full { "FULL" } else { "NORMAL" })?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -1024 * i64::from(opts.cache_mib))?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Checkpoint every 32 MiB of WAL rather than 4: batches dirty many
        // index pages, and each checkpoint writes them all once more.
        conn.pragma_update(None, "wal_autocheckpoint", 8192)?;
        // Reads through a memory map: no copy per page read.
        let _: Option<i64> = conn.pragma_update_and_check(None, "mmap_size", 256i64 << 20, |r| r.get(0)).ok();
        schema::migrate(&mut conn)?;
        let fingerprint = summary::fingerprint(&opts.policy);
        Ok(Ledger { conn, policy: opts.policy, path, rids: Default::default(), fingerprint })
    }

    /// The policy decisions are made with.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The file, unless in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, LedgerError> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// `PRAGMA integrity_check`: `Ok(())` or the problems SQLite found.
    pub fn integrity_check(&self) -> Result<Result<(), Vec<String>>, LedgerError> {
        let mut st = self.conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(if rows == ["ok"] { Ok(()) } else { Err(rows) })
    }

    /// The underlying connection, for read-only queries of your own.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

fn invalid_address(address: &str, message: String) -> LedgerError {
    LedgerError::InvalidAddress { address: address.chars().take(80).collect(), message }
}
