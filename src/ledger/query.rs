//! Reading the ledger: decisions, the suppression list, releases, statistics.

use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::event::{domain_of, normalize_address};
use super::{invalid_address, now, Ledger, LedgerError};
use crate::policy::{DomainAction, HistoryEvent};
use crate::timefmt::format_rfc3339;
use crate::{Action, BounceType, Decision, DomainFlag, Reason};

/// Whether a suppression is of one address or of a whole (flagged) domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionScope {
    /// One address.
    Address,
    /// Every address of a flagged domain (`domain.action = "suppress"`);
    /// the address is written `*@domain`.
    Domain,
}

/// One entry of the suppression list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// The address (`*@domain` for a domain).
    pub address: String,
    /// Its domain.
    pub domain: String,
    /// Address or domain.
    pub scope: SuppressionScope,
    /// The reason of the event that decided.
    pub reason: Option<Reason>,
    /// Its bounce type.
    pub bounce_type: Option<BounceType>,
    /// Since when (unix seconds): the event that decided.
    pub since: i64,
    /// Until when, for a domain flag.
    pub until: Option<i64>,
    /// Why.
    pub why: String,
}

/// Totals of the whole ledger.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Events recorded.
    pub events: u64,
    /// Distinct recipients.
    pub recipients: u64,
    /// Distinct domains.
    pub domains: u64,
    /// Suppressed addresses.
    pub suppressed: u64,
    /// Domains flagged now.
    pub flagged_domains: u64,
    /// The earliest event time.
    pub first_event: Option<i64>,
    /// The latest event time.
    pub last_event: Option<i64>,
    /// Events per reason, most first.
    pub by_reason: Vec<(String, u64)>,
    /// Events per bounce type.
    pub by_bounce_type: Vec<(String, u64)>,
    /// The schema version.
    pub schema_version: i64,
}

/// One domain's health.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DomainStats {
    /// The domain.
    pub domain: String,
    /// Events recorded.
    pub events: u64,
    /// Distinct recipients.
    pub recipients: u64,
    /// Hard bounces.
    pub hard: u64,
    /// Soft bounces.
    pub soft: u64,
    /// Host/network failures.
    pub domain_failures: u64,
    /// Suppressed addresses.
    pub suppressed: u64,
    /// The latest event.
    pub last_event: i64,
    /// Its flag, if it has one (current or lapsed).
    pub flag: Option<DomainFlag>,
    /// Whether the flag holds now.
    pub flagged: bool,
}

/// Rows of (id, time, reason, bounce_type) -> ids and history; rows whose
/// words this version does not know are skipped.
pub(super) fn parse_history(rows: Vec<(i64, i64, String, String)>) -> (Vec<i64>, Vec<HistoryEvent>) {
    rows.into_iter()
        .filter_map(|(id, t, r, b)| Some((id, HistoryEvent::new(t, r.parse().ok()?, b.parse().ok()?))))
        .unzip()
}

pub(super) fn load_flag(conn: &Connection, domain: &str) -> Result<Option<DomainFlag>, LedgerError> {
    Ok(conn
        .prepare_cached(
            "SELECT first_failure, since, last_failure, addresses, expires_at, why FROM domain_flags WHERE domain = ?1",
        )?
        .query_row([domain], |r| {
            Ok(DomainFlag {
                domain: domain.to_string(),
                first_failure: r.get(0)?,
                since: r.get(1)?,
                last_failure: r.get(2)?,
                addresses: r.get(3)?,
                expires_at: r.get(4)?,
                why: r.get(5)?,
            })
        })
        .optional()?)
}

/// When the domain was last released (recovered), if ever.
pub(super) fn domain_released_at(conn: &Connection, domain: &str) -> Result<Option<i64>, LedgerError> {
    Ok(conn
        .prepare_cached("SELECT released_at FROM domain_releases WHERE domain = ?1")?
        .query_row([domain], |r| r.get(0))
        .optional()?)
}

fn count(conn: &Connection, sql: &str) -> Result<u64, LedgerError> {
    let n: i64 = conn.query_row(sql, [], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

impl Ledger {
    fn address(&self, address: &str) -> Result<String, LedgerError> {
        normalize_address(address).map_err(|m| invalid_address(address, m))
    }

    /// The decision on an address at `now` (unix seconds): its suppression,
    /// else its domain's flag, else the policy on its latest event (up to
    /// `now`) and the history before it. `retry_after` counts from `now`.
    /// An address with no events: `ignore`.
    pub fn decide(&self, address: &str, now: i64) -> Result<Decision, LedgerError> {
        let a = self.address(address)?;
        // One read transaction for the three lookups (one snapshot, one lock).
        let tx = self.conn.unchecked_transaction()?;
        let d = self.decide_in(&a, now);
        tx.finish()?;
        d
    }

    fn decide_in(&self, a: &str, now: i64) -> Result<Decision, LedgerError> {
        let a = a.to_string();
        let domain = domain_of(&a);
        if let Some(s) = self.suppression_of(&a)? {
            return Ok(Decision {
                action: Action::Suppress,
                retry_after: None,
                why: format!("suppressed since {}: {}", format_rfc3339(s.since), s.why),
            });
        }
        // (A released domain has no flag: the release deletes it.)
        let flag = load_flag(&self.conn, domain)?;
        if let Some(f) = flag.as_ref().filter(|f| f.is_active(now)) {
            return Ok(self.policy.domain_decision(f, now));
        }
        let lookback = i64::try_from(self.policy.max_window().as_secs()).unwrap_or(i64::MAX / 4);
        // The events since the address's release, less the host failures up
        // to its domain's release, newest first (sorted here: the index is
        // by (address number, key), and an address has few events).
        let mut st = self.conn.prepare_cached(
            "SELECT e.id, e.time, e.reason, e.bounce_type FROM recipients a JOIN events e ON e.rid = a.id
             WHERE a.address = ?1 AND e.time <= ?3
               AND e.time > coalesce((SELECT r.released_at FROM releases r WHERE r.recipient = ?1), -9223372036854775807)
               AND NOT (e.domain_failure = 1
                        AND e.time <= coalesce((SELECT d.released_at FROM domain_releases d WHERE d.domain = ?2), -9223372036854775807))",
        )?;
        let mut got: Vec<(i64, i64, String, String)> =
            st.query_map(params![a, domain, now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
        got.sort_unstable_by_key(|g| std::cmp::Reverse((g.1, g.0)));
        if let Some(latest) = got.first().map(|g| g.1) {
            got.retain(|g| g.1 > latest.saturating_sub(lookback));
        }
        let (_, history) = parse_history(got);
        let Some((current, earlier)) = history.split_first() else {
            return Ok(Decision { action: Action::Ignore, retry_after: None, why: "no bounces recorded".into() });
        };
        let mut d = self.policy.decide_event(current, earlier, flag.as_ref());
        if let Some(wait) = d.retry_after {
            let due = current.time.saturating_add(wait.as_secs() as i64);
            d.retry_after = Some(Duration::from_secs(due.saturating_sub(now).max(0) as u64));
        }
        Ok(d)
    }

    /// Whether the address is suppressed at `now`: on the suppression list,
    /// or of a flagged domain while `domain.action = "suppress"`.
    pub fn is_suppressed_at(&self, address: &str, now: i64) -> Result<bool, LedgerError> {
        let a = self.address(address)?;
        if self.suppression_of(&a)?.is_some() {
            return Ok(true);
        }
        if self.policy.domain.action == DomainAction::Suppress {
            if let Some(f) = load_flag(&self.conn, domain_of(&a))? {
                return Ok(f.is_active(now));
            }
        }
        Ok(false)
    }

    /// [`Ledger::is_suppressed_at`] now.
    pub fn is_suppressed(&self, address: &str) -> Result<bool, LedgerError> {
        self.is_suppressed_at(address, now())
    }

    /// The suppression of one address, if it is suppressed.
    pub fn suppression(&self, address: &str) -> Result<Option<Suppression>, LedgerError> {
        self.suppression_of(&self.address(address)?)
    }

    fn suppression_of(&self, a: &str) -> Result<Option<Suppression>, LedgerError> {
        Ok(self
            .conn
            .prepare_cached("SELECT recipient, domain, since, reason, bounce_type, why FROM suppressions WHERE recipient = ?1")?
            .query_row([a], suppression_row)
            .optional()?)
    }

    /// The suppression list at `now`, by address: every suppressed address,
    /// then (when `domain.action = "suppress"`) every flagged domain as `*@domain`.
    pub fn suppressed_at(&self, now: i64) -> Result<Vec<Suppression>, LedgerError> {
        let mut st = self
            .conn
            .prepare("SELECT recipient, domain, since, reason, bounce_type, why FROM suppressions ORDER BY recipient")?;
        let mut out: Vec<Suppression> = st.query_map([], suppression_row)?.collect::<Result<_, _>>()?;
        if self.policy.domain.action == DomainAction::Suppress {
            for f in self.flags()? {
                if f.is_active(now) {
                    out.push(Suppression {
                        address: format!("*@{}", f.domain),
                        domain: f.domain.clone(),
                        scope: SuppressionScope::Domain,
                        reason: None,
                        bounce_type: None,
                        since: f.since,
                        until: Some(f.expires_at),
                        why: f.why,
                    });
                }
            }
        }
        Ok(out)
    }

    /// [`Ledger::suppressed_at`] now.
    pub fn suppressed(&self) -> Result<Vec<Suppression>, LedgerError> {
        self.suppressed_at(now())
    }

    /// Every domain flag, current or lapsed, by domain.
    pub fn flags(&self) -> Result<Vec<DomainFlag>, LedgerError> {
        let mut st = self.conn.prepare(
            "SELECT domain, first_failure, since, last_failure, addresses, expires_at, why FROM domain_flags ORDER BY domain",
        )?;
        let v = st
            .query_map([], |r| {
                Ok(DomainFlag {
                    domain: r.get(0)?,
                    first_failure: r.get(1)?,
                    since: r.get(2)?,
                    last_failure: r.get(3)?,
                    addresses: r.get(4)?,
                    expires_at: r.get(5)?,
                    why: r.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(v)
    }

    /// The flag of one domain, if it holds at `now`.
    pub fn domain_flag_at(&self, domain: &str, now: i64) -> Result<Option<DomainFlag>, LedgerError> {
        Ok(load_flag(&self.conn, &domain.trim().to_lowercase())?.filter(|f| f.is_active(now)))
    }

    /// The address came back: off the suppression list, and its events up to
    /// `at` no longer count. Returns whether it was suppressed.
    pub fn release_at(&mut self, address: &str, at: i64) -> Result<bool, LedgerError> {
        let a = self.address(address)?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let n = tx.execute("DELETE FROM suppressions WHERE recipient = ?1", [&a])?;
        tx.execute(
            "INSERT INTO releases (recipient, released_at) VALUES (?1, ?2)
             ON CONFLICT (recipient) DO UPDATE SET released_at = max(released_at, excluded.released_at)",
            params![a, at],
        )?;
        // Its summary no longer holds (earlier events stop counting, later ones may).
        tx.execute("UPDATE recipients SET summary = NULL WHERE address = ?1", [&a])?;
        tx.commit()?;
        Ok(n > 0)
    }

    /// [`Ledger::release_at`] now.
    pub fn release(&mut self, address: &str) -> Result<bool, LedgerError> {
        self.release_at(address, now())
    }

    /// The domain recovered: its flag is lifted and its failures up to `at`
    /// no longer count. Returns whether it had a flag.
    pub fn release_domain_at(&mut self, domain: &str, at: i64) -> Result<bool, LedgerError> {
        let d = domain.trim().trim_start_matches("*@").trim_start_matches('@').to_lowercase();
        if d.is_empty() || d.contains('@') || d.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(invalid_address(domain, "not a domain".into()));
        }
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let n = tx.execute("DELETE FROM domain_flags WHERE domain = ?1", [&d])?;
        tx.execute(
            "INSERT INTO domain_releases (domain, released_at) VALUES (?1, ?2)
             ON CONFLICT (domain) DO UPDATE SET released_at = max(released_at, excluded.released_at)",
            params![d, at],
        )?;
        tx.commit()?;
        Ok(n > 0)
    }

    /// [`Ledger::release_domain_at`] now.
    pub fn release_domain(&mut self, domain: &str) -> Result<bool, LedgerError> {
        self.release_domain_at(domain, now())
    }

    /// How many events the ledger holds.
    pub fn event_count(&self) -> Result<u64, LedgerError> {
        count(&self.conn, "SELECT count(*) FROM events")
    }

    /// The events of one address, oldest first.
    pub fn history(&self, address: &str) -> Result<Vec<HistoryEvent>, LedgerError> {
        let a = self.address(address)?;
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT e.id, e.time, e.reason, e.bounce_type FROM recipients a JOIN events e ON e.rid = a.id
                 WHERE a.address = ?1 ORDER BY e.time, e.id",
            )?;
        let rows = st.query_map([&a], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
        Ok(parse_history(rows).1)
    }

    /// Totals, at `now` (for the flags that hold).
    pub fn stats_at(&self, now: i64) -> Result<Stats, LedgerError> {
        let c = &self.conn;
        let (first_event, last_event) = c.query_row("SELECT min(time), max(time) FROM events", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let group = |col: &str| -> Result<Vec<(String, u64)>, LedgerError> {
            let mut st = c.prepare(&format!("SELECT {col}, count(*) AS n FROM events GROUP BY {col} ORDER BY n DESC, {col}"))?;
            let v = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?.collect::<Result<_, _>>()?;
            Ok(v)
        };
        let flagged: i64 = c.query_row("SELECT count(*) FROM domain_flags WHERE expires_at > ?1", [now], |r| r.get(0))?;
        Ok(Stats {
            events: count(c, "SELECT count(*) FROM events")?,
            recipients: count(c, "SELECT count(DISTINCT recipient) FROM events")?,
            domains: count(c, "SELECT count(DISTINCT domain) FROM events")?,
            suppressed: count(c, "SELECT count(*) FROM suppressions")?,
            flagged_domains: flagged as u64,
            first_event,
            last_event,
            by_reason: group("reason")?,
            by_bounce_type: group("bounce_type")?,
            schema_version: self.schema_version()?,
        })
    }

    /// [`Ledger::stats_at`] now.
    pub fn stats(&self) -> Result<Stats, LedgerError> {
        self.stats_at(now())
    }

    /// Per-domain health at `now`, the domains with the most events first
    /// (flagged domains first of all); at most `limit` (0: all).
    pub fn domains_at(&self, now: i64, limit: usize) -> Result<Vec<DomainStats>, LedgerError> {
        let mut st = self.conn.prepare(
            "SELECT e.domain, count(*), count(DISTINCT e.recipient),
                    sum(e.bounce_type = 'hard'), sum(e.bounce_type = 'soft'), sum(e.domain_failure), max(e.time),
                    (SELECT count(*) FROM suppressions s WHERE s.domain = e.domain),
                    coalesce((SELECT f.expires_at > ?1 FROM domain_flags f WHERE f.domain = e.domain), 0) AS flagged
             FROM events e GROUP BY e.domain
             ORDER BY flagged DESC, count(*) DESC, e.domain
             LIMIT ?2",
        )?;
        let limit = if limit == 0 { -1 } else { limit as i64 };
        #[allow(clippy::type_complexity)]
        let rows: Vec<(String, i64, i64, i64, i64, i64, i64, i64)> = st
            .query_map(params![now, limit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (domain, events, recipients, hard, soft, failures, last, suppressed) in rows {
            let flag = load_flag(&self.conn, &domain)?;
            out.push(DomainStats {
                flagged: flag.as_ref().is_some_and(|f| f.is_active(now)),
                flag,
                domain,
                events: events as u64,
                recipients: recipients as u64,
                hard: hard as u64,
                soft: soft as u64,
                domain_failures: failures as u64,
                suppressed: suppressed as u64,
                last_event: last,
            });
        }
        Ok(out)
    }

    /// [`Ledger::domains_at`] now.
    pub fn domains(&self, limit: usize) -> Result<Vec<DomainStats>, LedgerError> {
        self.domains_at(now(), limit)
    }
}

fn suppression_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Suppression> {
    Ok(Suppression {
        address: r.get(0)?,
        domain: r.get(1)?,
        scope: SuppressionScope::Address,
        since: r.get(2)?,
        reason: r.get::<_, String>(3)?.parse().ok(),
        bounce_type: r.get::<_, String>(4)?.parse().ok(),
        until: None,
        why: r.get(5)?,
    })
}
