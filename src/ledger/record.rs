//! Recording: batches of events in one transaction each, then the decisions
//! they lead to (suppressions, domain flags), in the same transaction.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::ops::AddAssign;

use rusqlite::{params, CachedStatement, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;

use super::event::{clip_diagnostic, domain_of};
use super::query::{domain_released_at, load_flag};
use super::summary::{may_count, Recent, State, Summary, KEEP};
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

/// A new event of a batch that may suppress its address.
#[derive(Clone, Copy, Debug)]
struct NewEvent {
    id: i64,
    event: HistoryEvent,
    domain_failure: bool,
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
    /// The policy's fingerprint (see `summary.rs`).
    fingerprint: u64,
    /// Addresses -> their new events that may suppress (at once or by count).
    touched: HashMap<String, Vec<NewEvent>>,
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
                fingerprint: self.fingerprint,
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
    tx: &'t Transaction<'t>,
    insert: CachedStatement<'t>,
    find_rid: CachedStatement<'t>,
    add_rid: CachedStatement<'t>,
}

impl<'t> Statements<'t> {
    fn new(tx: &'t Transaction<'t>) -> rusqlite::Result<Self> {
        Ok(Statements {
            tx,
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
        // Only these events can change the address's decision (the policy
        // passes over the others).
        let event = HistoryEvent::new(e.time, e.reason, e.bounce_type);
        if self.policy.suppresses_at_once(e.reason, e.bounce_type) || may_count(self.policy, &event) {
            let id = st.tx.last_insert_rowid();
            self.touched.entry(recipient).or_default().push(NewEvent { id, event, domain_failure });
        }
        Ok(true)
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
    /// now calls for it. Order-independent, like the domain flags. An
    /// address's summary decides when it can (see `summary.rs`); otherwise
    /// its history is read.
    fn suppress_addresses(&mut self, tx: &Transaction<'_>) -> Result<(), LedgerError> {
        let mut ctx = Decider { policy: self.policy, fingerprint: self.fingerprint, flags: HashMap::new(), domain_releases: HashMap::new() };
        let mut load = tx.prepare_cached("SELECT summary FROM recipients WHERE id = ?1")?;
        let mut store = tx.prepare_cached("UPDATE recipients SET summary = ?2 WHERE id = ?1")?;
        for (recipient, mut news) in std::mem::take(&mut self.touched) {
            let rid = self.rids[&recipient];
            let old = load.query_row([rid], |r| Ok(r.get_ref(0)?.as_blob_or_null()?.and_then(Summary::decode)))?;
            let outcome = match &old {
                Some(s) if s.state == State::Suppressed => continue,
                Some(s) => ctx.decide_by_summary(tx, &recipient, s, &mut news)?,
                None => None,
            };
            let outcome = match outcome {
                Some(o) => o,
                None => ctx.decide_by_history(tx, &recipient, rid)?,
            };
            if let Some(s) = &outcome.suppression {
                let domain = domain_of(&recipient);
                tx.prepare_cached(
                    "INSERT INTO suppressions (recipient, domain, since, reason, bounce_type, why, event_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![recipient, domain, s.at.time, s.at.reason.as_str(), s.at.bounce_type.as_str(), s.why, s.event_id])?;
                self.stats.suppressed += 1;
            }
            if old.as_ref() != Some(&outcome.summary) {
                store.execute(params![rid, outcome.summary.encode()])?;
            }
        }
        Ok(())
    }
}

/// A suppression to write.
struct NewSuppression {
    at: HistoryEvent,
    why: String,
    /// `None` when the deciding event is a summarised one (never, as new
    /// events come after those; the history is read then).
    event_id: Option<i64>,
}

/// What deciding on an address gives: maybe a suppression, and its new summary.
struct Outcome {
    suppression: Option<NewSuppression>,
    summary: Summary,
}

/// Decides on addresses at commit, with what it looked up once per batch.
struct Decider<'p> {
    policy: &'p Policy,
    fingerprint: u64,
    flags: HashMap<String, Option<DomainFlag>>,
    domain_releases: HashMap<String, Option<i64>>,
}

impl Decider<'_> {
    fn flag(&mut self, tx: &Transaction<'_>, domain: &str) -> Result<Option<&DomainFlag>, LedgerError> {
        if !self.flags.contains_key(domain) {
            self.flags.insert(domain.to_string(), load_flag(tx, domain)?);
        }
        Ok(self.flags[domain].as_ref())
    }

    fn domain_released_at(&mut self, tx: &Transaction<'_>, domain: &str) -> Result<Option<i64>, LedgerError> {
        if let Some(r) = self.domain_releases.get(domain) {
            return Ok(*r);
        }
        let r = domain_released_at(tx, domain)?;
        self.domain_releases.insert(domain.to_string(), r);
        Ok(r)
    }

    /// The decision from the summary and the new events, or `None` when the
    /// summary cannot tell (the history must be read).
    fn decide_by_summary(
        &mut self,
        tx: &Transaction<'_>,
        recipient: &str,
        s: &Summary,
        news: &mut Vec<NewEvent>,
    ) -> Result<Option<Outcome>, LedgerError> {
        if s.policy != self.fingerprint || s.state != State::Clean {
            return Ok(None);
        }
        let domain = domain_of(recipient);
        let released = self.domain_released_at(tx, domain)?;
        let excused = |time: i64, domain_failure: bool| domain_failure && released.is_some_and(|r| time <= r);
        // What the history query leaves out, left out here too.
        news.retain(|n| n.event.time > s.released_at && !excused(n.event.time, n.domain_failure));
        news.sort_unstable_by_key(|n| (n.event.time, n.id));
        let Some(first) = news.first() else { return Ok(Some(Outcome { suppression: None, summary: s.clone() })) };
        // New events must come after the summarised ones, and the summary
        // must reach a full window back from them (else it may miss events).
        if s.recent.last().is_some_and(|r| r.time >= first.event.time) {
            return Ok(None);
        }
        let window = i64::try_from(self.policy.max_window().as_secs()).unwrap_or(i64::MAX / 4);
        if s.recent.len() >= KEEP && s.recent[0].time > first.event.time.saturating_sub(window) {
            return Ok(None);
        }
        let mut history: Vec<(Option<i64>, HistoryEvent)> =
            s.recent.iter().filter(|r| !excused(r.time, r.domain_failure)).map(|r| (None, r.event())).collect();
        history.extend(news.iter().map(|n| (Some(n.id), n.event)));
        let kept = s.recent.iter().copied().chain(
            news.iter()
                .filter(|n| may_count(self.policy, &n.event))
                .map(|n| Recent { time: n.event.time, reason: n.event.reason, domain_failure: n.domain_failure }),
        );
        let recent: Vec<Recent> = last(kept);
        let outcome = self.decide(tx, domain, &history, s.released_at, recent)?;
        if outcome.suppression.as_ref().is_some_and(|s| s.event_id.is_none()) {
            return Ok(None);
        }
        Ok(Some(outcome))
    }

    /// The decision from the address's whole history (since its release),
    /// as read from the events.
    fn decide_by_history(&mut self, tx: &Transaction<'_>, recipient: &str, rid: i64) -> Result<Outcome, LedgerError> {
        let domain = domain_of(recipient);
        let suppressed = tx
            .prepare_cached("SELECT 1 FROM suppressions WHERE recipient = ?1")?
            .query_row([recipient], |_| Ok(()))
            .optional()?
            .is_some();
        if suppressed {
            return Ok(Outcome { suppression: None, summary: Summary::suppressed() });
        }
        let released_at: i64 = tx
            .prepare_cached("SELECT released_at FROM releases WHERE recipient = ?1")?
            .query_row([recipient], |r| r.get(0))
            .optional()?
            .unwrap_or(i64::MIN);
        // The events since the address's release, less the host failures up
        // to its domain's release (those were the domain's fault). Sorted
        // here, not by SQLite: a sorter per address costs more than the
        // handful of rows it would sort.
        let mut st = tx.prepare_cached(
            "SELECT e.id, e.time, e.reason, e.bounce_type, e.domain_failure FROM events e
             WHERE e.rid = ?1 AND e.time > ?2
               AND NOT (e.domain_failure = 1
                        AND e.time <= coalesce((SELECT d.released_at FROM domain_releases d WHERE d.domain = ?3), -9223372036854775807))",
        )?;
        let mut rows: Vec<(i64, HistoryEvent, bool)> = Vec::new();
        let mut q = st.query(params![rid, released_at, domain])?;
        while let Some(r) = q.next()? {
            // Words this version does not know are skipped (as parse_history does).
            let reason: Option<Reason> = r.get_ref(2)?.as_str().ok().and_then(|w| w.parse().ok());
            let bounce_type: Option<BounceType> = r.get_ref(3)?.as_str().ok().and_then(|w| w.parse().ok());
            let (Some(reason), Some(bounce_type)) = (reason, bounce_type) else { continue };
            rows.push((r.get(0)?, HistoryEvent::new(r.get(1)?, reason, bounce_type), r.get::<_, i64>(4)? == 1));
        }
        drop(q);
        rows.sort_unstable_by_key(|(id, h, _)| (h.time, *id));
        let history: Vec<(Option<i64>, HistoryEvent)> = rows.iter().map(|(id, h, _)| (Some(*id), *h)).collect();
        let recent = last(
            rows.iter()
                .filter(|(_, h, _)| may_count(self.policy, h))
                .map(|(_, h, df)| Recent { time: h.time, reason: h.reason, domain_failure: *df }),
        );
        self.decide(tx, domain, &history, released_at, recent)
    }

    /// The policy on a history sorted by (time, event number); `recent`: the
    /// summary's events if the address stays unsuppressed.
    fn decide(
        &mut self,
        tx: &Transaction<'_>,
        domain: &str,
        history: &[(Option<i64>, HistoryEvent)],
        released_at: i64,
        recent: Vec<Recent>,
    ) -> Result<Outcome, LedgerError> {
        let events: Vec<HistoryEvent> = history.iter().map(|(_, h)| *h).collect();
        // The domain's flag matters only to host/network failures.
        let policy = self.policy;
        let flag = if events.iter().any(|h| policy.domain.reasons.contains(&h.reason)) { self.flag(tx, domain)? } else { None };
        if let Some((at, decision)) = policy.first_suppression(&events, flag) {
            let event_id = history.iter().find(|(_, h)| *h == at).and_then(|(id, _)| *id);
            return Ok(Outcome {
                suppression: Some(NewSuppression { at, why: decision.why, event_id }),
                summary: Summary::suppressed(),
            });
        }
        // Kept from suppression only by the flag: a later flag may not excuse these.
        let hot = flag.is_some() && policy.first_suppression(&events, None).is_some();
        let state = if hot { State::Hot } else { State::Clean };
        Ok(Outcome { suppression: None, summary: Summary { state, policy: self.fingerprint, released_at, recent } })
    }
}

/// The last [`KEEP`] of events in time order.
fn last(events: impl Iterator<Item = Recent>) -> Vec<Recent> {
    let mut v: Vec<Recent> = events.collect();
    let drop = v.len().saturating_sub(KEEP);
    v.drain(..drop);
    v
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
