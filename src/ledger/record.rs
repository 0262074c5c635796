//! Recording: batches of events in one transaction each, then the decisions
//! they lead to (suppressions, domain flags), in the same transaction.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::ops::AddAssign;

use rusqlite::{params, CachedStatement, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;

use super::event::{clip_diagnostic, domain_of};
use super::query::{domain_released_at, load_flag};
use super::{now, Event, Ledger, LedgerError, ScanRow};
use crate::policy::{DomainFailure, HistoryEvent};
use crate::DomainFlag;
use crate::{BounceType, Policy, Reason};

/// What a batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BatchStats {
    /// Events given.
    pub events: u64,
    /// New events recorded.
    pub recorded: u64,
    /// Events already in the ledger (the same bounce imported again).
    pub duplicates: u64,
    /// Addresses newly suppressed.
    pub suppressed: u64,
    /// Domains whose flag was raised or extended.
    pub domains_flagged: u64,
    /// Rows not recorded: delay notices (see [`ScanRow::is_delay_notice`]).
    pub skipped: u64,
}

impl AddAssign for BatchStats {
    fn add_assign(&mut self, o: Self) {
        self.events += o.events;
        self.recorded += o.recorded;
        self.duplicates += o.duplicates;
        self.suppressed += o.suppressed;
        self.domains_flagged += o.domains_flagged;
        self.skipped += o.skipped;
    }
}

/// An open write transaction: [`Batch::record`] events, then
/// [`Batch::commit`]. Dropped without a commit, it records nothing.
pub struct Batch<'l> {
    tx: Transaction<'l>,
    pending: Pending<'l>,
}

/// What a batch learnt from its inserts, for its commit.
struct Pending<'l> {
    policy: &'l Policy,
    recorded_at: i64,
    /// The addresses of this batch -> their number (`recipients.id`),
    /// looked up once per batch.
    rids: HashMap<String, i64>,
    /// The numbers known from committed batches ([`Ledger`]'s); this
    /// batch's join them when it commits.
    known: &'l mut HashMap<String, i64>,
    /// Addresses with new events -> whether any of them may suppress.
    touched: HashMap<String, bool>,
    /// Domains with new host/network failures -> (earliest, latest) time.
    domains: HashMap<String, (i64, i64)>,
    stats: BatchStats,
}

impl Ledger {
    /// Starts a batch: one transaction holding the write lock (other writers
    /// wait up to the busy timeout).
    pub fn batch(&mut self) -> Result<Batch<'_>, LedgerError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Batch {
            tx,
            pending: Pending {
                policy: &self.policy,
                recorded_at: now(),
                rids: HashMap::new(),
                known: &mut self.rids,
                touched: HashMap::new(),
                domains: HashMap::new(),
                stats: BatchStats::default(),
            },
        })
    }

    /// Records events in one transaction. Every event is checked first: one
    /// invalid event refuses the batch and nothing is written.
    pub fn record_batch(&mut self, events: &[Event]) -> Result<BatchStats, LedgerError> {
        let recipients = events
            .iter()
            .enumerate()
            .map(|(i, e)| e.checked().map_err(|error| LedgerError::InvalidEvent { row: i + 1, error }))
            .collect::<Result<Vec<String>, _>>()?;
        let mut b = self.batch()?;
        // Sized once: growing them cost more than the lookups.
        b.pending.rids.reserve(events.len());
        b.pending.touched.reserve(events.len());
        {
            // One statement for the whole batch, not a cache lookup per event.
            let Batch { tx, pending } = &mut b;
            let mut st = Statements::new(tx)?;
            for (e, r) in events.iter().zip(recipients) {
                pending.insert(&mut st, e, r)?;
            }
        }
        b.commit()
    }

    /// Records one event (a batch of one).
    pub fn record(&mut self, event: &Event) -> Result<BatchStats, LedgerError> {
        self.record_batch(std::slice::from_ref(event))
    }
}

impl Batch<'_> {
    /// Checks and records one event; `Ok(false)` when the ledger already
    /// had it. An error leaves the batch open: drop it to roll back.
    pub fn record(&mut self, event: &Event) -> Result<bool, LedgerError> {
        let row = self.pending.stats.events as usize + 1;
        self.record_at(event, row)
    }

    /// What the batch did so far.
    pub fn stats(&self) -> BatchStats {
        self.pending.stats
    }

    fn record_at(&mut self, e: &Event, row: usize) -> Result<bool, LedgerError> {
        let recipient = e.checked().map_err(|error| LedgerError::InvalidEvent { row, error })?;
        let mut st = Statements::new(&self.tx)?;
        self.pending.insert(&mut st, e, recipient)
    }

    /// Decides what the new events lead to, then commits. Nothing is
    /// written if this fails.
    pub fn commit(mut self) -> Result<BatchStats, LedgerError> {
        self.pending.flag_domains(&self.tx)?;
        self.pending.suppress_addresses(&self.tx)?;
        self.tx.commit()?;
        // Only now are the new numbers sure to exist. Bounded: a big
        // ledger's addresses would not all fit.
        let p = &mut self.pending;
        if p.known.len() + p.rids.len() > KNOWN_ADDRESSES {
            p.known.clear();
        }
        p.known.extend(p.rids.drain());
        Ok(p.stats)
    }
}

/// How many address numbers a ledger keeps between batches (about 5 MB).
const KNOWN_ADDRESSES: usize = 1 << 16;

/// The statements an insert uses, prepared once per batch.
struct Statements<'t> {
    insert: CachedStatement<'t>,
    find_rid: CachedStatement<'t>,
    add_rid: CachedStatement<'t>,
}

impl<'t> Statements<'t> {
    fn new(tx: &'t Transaction<'_>) -> rusqlite::Result<Self> {
        Ok(Statements {
            insert: tx.prepare_cached(
                "INSERT INTO events (key, recipient, domain, time, reason, bounce_type, status, reply_code, action,
                                     domain_failure, message_id, source, diagnostic, recorded_at, rid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                 ON CONFLICT (rid, key) DO NOTHING",
            )?,
            find_rid: tx.prepare_cached("SELECT id FROM recipients WHERE address = ?1")?,
            add_rid: tx.prepare_cached("INSERT INTO recipients (address) VALUES (?1) RETURNING id")?,
        })
    }
}

impl Pending<'_> {
    /// The number of an address, added when new. (Inside the batch's write
    /// transaction: no other writer can add it meanwhile.)
    fn rid(&mut self, st: &mut Statements<'_>, recipient: &str) -> Result<i64, LedgerError> {
        if let Some(&id) = self.rids.get(recipient) {
            return Ok(id);
        }
        if let Some(&id) = self.known.get(recipient) {
            self.rids.insert(recipient.to_string(), id);
            return Ok(id);
        }
        let id = match st.find_rid.query_row([recipient], |r| r.get(0)).optional()? {
            Some(id) => id,
            None => st.add_rid.query_row([recipient], |r| r.get(0))?,
        };
        self.rids.insert(recipient.to_string(), id);
        Ok(id)
    }

    /// Inserts a checked event (`recipient`: its normalized address).
    fn insert(&mut self, st: &mut Statements<'_>, e: &Event, recipient: String) -> Result<bool, LedgerError> {
        self.stats.events += 1;
        let domain = domain_of(&recipient);
        let diagnostic = e.diagnostic.as_deref().map(clip_diagnostic).filter(|d| !d.is_empty());
        let key = e.key(&recipient, diagnostic);
        let domain_failure = self.policy.is_domain_failure(e.reason, e.status, diagnostic);
        let rid = self.rid(st, &recipient)?;
        let n = st.insert.execute(params![
                &key[..],
                recipient,
                domain,
                e.time,
                e.reason.as_str(),
                e.bounce_type.as_str(),
                e.status.map(|s| s.to_string()),
                e.reply_code.map(|r| r.get()),
                e.action.as_str(),
                domain_failure,
                e.message_id.as_deref().map(|m| m.trim().trim_matches(['<', '>'])),
                e.source,
                diagnostic,
                self.recorded_at,
                rid,
            ])?;
        if n == 0 {
            self.stats.duplicates += 1;
            return Ok(false);
        }
        self.stats.recorded += 1;
        if domain_failure {
            let span = self.domains.entry(domain.to_string()).or_insert((e.time, e.time));
            span.0 = span.0.min(e.time);
            span.1 = span.1.max(e.time);
        }
        let may_suppress = self.policy.suppresses_at_once(e.reason, e.bounce_type) || self.counts(e);
        *self.touched.entry(recipient).or_default() |= may_suppress;
        Ok(true)
    }

    fn counts(&self, e: &Event) -> bool {
        let p = self.policy;
        e.bounce_type == BounceType::Soft
            && !p.fix_sender_reasons.contains(&e.reason)
            && !p.ignore_reasons.contains(&e.reason)
            && !p.suppress_reasons.contains(&e.reason)
    }

    /// Raises or extends the flags of the domains with new host/network
    /// failures. Order-independent: the windows around the new failures are
    /// looked at, whatever was recorded first.
    fn flag_domains(&mut self, tx: &Transaction<'_>) -> Result<(), LedgerError> {
        let window = i64::try_from(self.policy.domain.window.as_secs()).unwrap_or(i64::MAX / 4);
        for (domain, (lo, hi)) in std::mem::take(&mut self.domains) {
            let released = domain_released_at(tx, &domain)?;
            let from = (lo - window).max(released.unwrap_or(i64::MIN));
            // Read from the index alone (it holds time and address number);
            // the number stands for the address: only distinct ones count.
            let mut st = tx.prepare_cached(
                "SELECT rid, time FROM events
                 WHERE domain = ?1 AND domain_failure = 1 AND time > ?2 AND time < ?3",
            )?;
            let rows: Vec<(String, i64)> = st
                .query_map(params![domain, from, hi.saturating_add(window)], |r| Ok((r.get::<_, i64>(0)?.to_string(), r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let failures: Vec<DomainFailure> = rows.iter().map(|(r, t)| DomainFailure { time: *t, recipient: r }).collect();
            let Some(flag) = self.policy.domain_flag(&domain, &failures) else { continue };
            // Merge with a flag still holding when this one starts; replace a lapsed one.
            tx
                .prepare_cached(
                    "INSERT INTO domain_flags (domain, first_failure, since, last_failure, addresses, expires_at, why)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (domain) DO UPDATE SET
                       first_failure = CASE WHEN expires_at < excluded.first_failure THEN excluded.first_failure ELSE min(first_failure, excluded.first_failure) END,
                       since         = CASE WHEN expires_at < excluded.first_failure THEN excluded.since ELSE min(since, excluded.since) END,
                       why           = CASE WHEN expires_at < excluded.first_failure OR excluded.addresses >= addresses THEN excluded.why ELSE why END,
                       addresses     = CASE WHEN expires_at < excluded.first_failure THEN excluded.addresses ELSE max(addresses, excluded.addresses) END,
                       last_failure  = CASE WHEN expires_at < excluded.first_failure THEN excluded.last_failure ELSE max(last_failure, excluded.last_failure) END,
                       expires_at    = max(expires_at, excluded.expires_at)",
                )?
                .execute(params![
                    flag.domain,
                    flag.first_failure,
                    flag.since,
                    flag.last_failure,
                    flag.addresses,
                    flag.expires_at,
                    flag.why
                ])?;
            self.stats.domains_flagged += 1;
        }
        Ok(())
    }

    /// Suppresses the addresses whose history (since their last release)
    /// now calls for it. Order-independent, like the domain flags.
    fn suppress_addresses(&mut self, tx: &Transaction<'_>) -> Result<(), LedgerError> {
        let mut flags: HashMap<String, Option<DomainFlag>> = HashMap::new();
        let mut rows: Vec<(i64, HistoryEvent)> = Vec::new();
        // One query: nothing when already suppressed; else the events
        // since the address's release, less the host failures up to its
        // domain's release (those were the domain's fault).
        // Sorted here, not by SQLite: a sorter per address costs more than
        // the handful of rows it would sort.
        let mut st = tx.prepare_cached(
            "SELECT e.id, e.time, e.reason, e.bounce_type FROM events e
             WHERE e.rid = ?3
               AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.recipient = ?1)
               AND e.time > coalesce((SELECT r.released_at FROM releases r WHERE r.recipient = ?1), -9223372036854775807)
               AND NOT (e.domain_failure = 1
                        AND e.time <= coalesce((SELECT d.released_at FROM domain_releases d WHERE d.domain = ?2), -9223372036854775807))",
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO suppressions (recipient, domain, since, reason, bounce_type, why, event_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (recipient, may_suppress) in std::mem::take(&mut self.touched) {
            if !may_suppress {
                continue;
            }
            let domain = domain_of(&recipient);
            rows.clear();
            let mut q = st.query(params![recipient, domain, self.rids[&recipient]])?;
            while let Some(r) = q.next()? {
                // Words this version does not know are skipped (as parse_history does).
                let reason: Option<Reason> = r.get_ref(2)?.as_str().ok().and_then(|w| w.parse().ok());
                let bounce_type: Option<BounceType> = r.get_ref(3)?.as_str().ok().and_then(|w| w.parse().ok());
                let (Some(reason), Some(bounce_type)) = (reason, bounce_type) else { continue };
                rows.push((r.get(0)?, HistoryEvent::new(r.get(1)?, reason, bounce_type)));
            }
            drop(q);
            if rows.is_empty() {
                continue;
            }
            rows.sort_unstable_by_key(|(id, h)| (h.time, *id));
            let (ids, history): (Vec<i64>, Vec<HistoryEvent>) = rows.drain(..).unzip();
            // The domain's flag matters only to host/network failures.
            let flag = if history.iter().any(|h| self.policy.domain.reasons.contains(&h.reason)) {
                if !flags.contains_key(domain) {
                    flags.insert(domain.to_string(), load_flag(tx, domain)?);
                }
                flags[domain].as_ref()
            } else {
                None
            };
            let Some((at, decision)) = self.policy.first_suppression(&history, flag) else { continue };
            let idx = history.iter().position(|h| *h == at).unwrap_or(0);
            insert.execute(params![recipient, domain, at.time, at.reason.as_str(), at.bounce_type.as_str(), decision.why, ids[idx]])?;
            self.stats.suppressed += 1;
        }
        Ok(())
    }
}

/// How [`record_rows`] batches.
#[derive(Clone, Debug, Default)]
pub struct RowOptions {
    /// Commit every this many rows; 0: all rows in one transaction (one bad
    /// row refuses them all). With batches, a bad row refuses its batch and
    /// stops; the batches before it stay recorded (re-running after a fix is
    /// safe: recording is idempotent).
    pub batch_size: usize,
    /// The time of rows without a timestamp (e.g. the import time); without
    /// it such rows are refused.
    pub default_time: Option<i64>,
}

/// Records scan output rows (`bouncekit scan --format jsonl`, DESIGN.md
/// "Output contract"). Errors name the row (1-based) and the field.
pub fn record_rows<I>(ledger: &mut Ledger, rows: I, opts: &RowOptions) -> Result<BatchStats, LedgerError>
where
    I: IntoIterator,
    I::Item: Borrow<ScanRow>,
{
    let mut total = BatchStats::default();
    let mut batch = ledger.batch()?;
    let mut in_batch = 0usize;
    for (i, row) in rows.into_iter().enumerate() {
        if row.borrow().is_delay_notice() {
            total.skipped += 1;
            continue;
        }
        let event = row.borrow().to_event(opts.default_time).map_err(|error| LedgerError::InvalidEvent { row: i + 1, error })?;
        batch.record_at(&event, i + 1)?;
        in_batch += 1;
        if opts.batch_size > 0 && in_batch >= opts.batch_size {
            total += batch.commit()?;
            batch = ledger.batch()?;
            in_batch = 0;
        }
    }
    total += batch.commit()?;
    Ok(total)
}
