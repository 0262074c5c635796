//! The decision over time: a [`Classification`] plus the address's history
//! -> a [`Decision`] (suppress, retry, fix_sender, ignore) with a readable why.
//!
//! Pure: no I/O, no clock. The caller passes the time (`now`, unix seconds)
//! and the history; [`crate::ledger`] stores both.
//!
//! The rules, in order (the first that applies decides):
//!
//! 1. a reason in `suppress.reasons` (a complaint, `feedback`) suppresses at once;
//! 2. a reason in `ignore.reasons` (`delivered`, `vacation`) is ignored;
//! 3. a reason in `fix_sender.reasons` (blocklists, reputation, authentication,
//!    rate limits, content...) is the sender's problem: `fix_sender`, and it
//!    never counts against the recipient, whatever its bounce type;
//! 4. a bounce type in `suppress.bounce_types` (`hard`) suppresses at once;
//! 5. any other non-failure (bounce type `none`) is ignored;
//! 6. an address of a flagged domain (see [`DomainFlag`]) is held (retry when
//!    the flag expires) or suppressed, by `domain.action`;
//! 7. a soft bounce suppresses once the address has `threshold` soft bounces
//!    within `window` (3 in 14 days by default; per reason overridable);
//!    otherwise: retry after the reason's delay.
//!
//! The defaults are documented in `docs/policy.md`; `examples/policy.toml`
//! spells every one of them out.
//!
//! ```
//! use bouncekit::{classify, Action, Policy, HistoryEvent, Reason, BounceType};
//! let policy = Policy::default();
//! let day = 86_400;
//! let c = classify("452 4.2.2 The email account that you tried to reach is over quota");
//! let history = [
//!     HistoryEvent::new(10 * day, Reason::MailboxFull, BounceType::Soft),
//!     HistoryEvent::new(15 * day, Reason::MailboxFull, BounceType::Soft),
//! ];
//! let d = policy.decide(&c, &history, 20 * day);
//! assert_eq!(d.action, Action::Suppress);
//! assert_eq!(d.why, "3 soft bounces (mailboxfull ×3) in 14 days");
//!
//! let blocked = classify("554 5.7.1 Client host [192.0.2.1] blocked using zen.spamhaus.org");
//! assert_eq!(policy.decide(&blocked, &[], 0).action, Action::FixSender);
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::timefmt::format_rfc3339;
use crate::{Action, BounceType, Classification, Error, Reason, StatusCode};

/// One earlier event of an address: when, why, how hard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HistoryEvent {
    /// Unix seconds.
    pub time: i64,
    /// The reason.
    pub reason: Reason,
    /// The bounce type.
    pub bounce_type: BounceType,
}

impl HistoryEvent {
    /// An event.
    pub fn new(time: i64, reason: Reason, bounce_type: BounceType) -> Self {
        HistoryEvent { time, reason, bounce_type }
    }

    /// The event of a classification at `time`.
    pub fn of(c: &Classification, time: i64) -> Self {
        HistoryEvent { time, reason: c.reason, bounce_type: c.bounce_type }
    }
}

/// What to do about an address, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// suppress, retry, fix_sender or ignore.
    pub action: Action,
    /// For `retry` (and some `fix_sender`, e.g. rate limits): wait this long first.
    #[serde(serialize_with = "ser_opt_secs")]
    pub retry_after: Option<Duration>,
    /// A readable reason, e.g. `3 soft bounces (mailboxfull ×3) in 14 days`.
    pub why: String,
}

fn ser_opt_secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.as_secs()),
        None => s.serialize_none(),
    }
}

impl Decision {
    fn new(action: Action, retry_after: Option<Duration>, why: String) -> Self {
        Decision { action, retry_after, why }
    }
}

/// What a flagged domain means for its addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainAction {
    /// Don't send until the flag expires or is released (`retry` with a delay).
    Hold,
    /// Treat every address of the domain as suppressed while the flag holds.
    Suppress,
}

impl DomainAction {
    /// `hold` or `suppress`.
    pub fn as_str(self) -> &'static str {
        match self {
            DomainAction::Hold => "hold",
            DomainAction::Suppress => "suppress",
        }
    }
}

/// The soft-bounce rule: `threshold` soft bounces within `window` suppress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoftRule {
    /// How many soft bounces (this one included) suppress; 0: never.
    pub threshold: u32,
    /// Within how long.
    pub window: Duration,
    /// How long to wait before the next attempt.
    pub retry_after: Duration,
}

/// Per-reason overrides. A reason with its own `threshold` or `window` is
/// counted on its own (only its own bounces count toward its threshold);
/// the others share the default `[soft]` count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReasonRule {
    /// Overrides `soft.threshold`.
    pub threshold: Option<u32>,
    /// Overrides `soft.window`.
    pub window: Option<Duration>,
    /// Overrides `soft.retry_after` (also used for `fix_sender` reasons, e.g. rate limits).
    pub retry_after: Option<Duration>,
}

/// Domain health: when `threshold` distinct addresses of one domain fail with
/// host/network reasons within `window`, the domain is flagged for `flag_for`
/// after its last such failure (or until released).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainRule {
    /// Distinct failing addresses that flag the domain; 0: never flag.
    pub threshold: u32,
    /// Within how long.
    pub window: Duration,
    /// The host/network reasons.
    pub reasons: BTreeSet<Reason>,
    /// `expired` counts only when the status or diagnostic shows a connection
    /// failure (X.4.1-X.4.4, "connection timed out", ...).
    pub expired_needs_connect_error: bool,
    /// Hold or suppress the domain's addresses.
    pub action: DomainAction,
    /// How long a flag lasts after the last failure that kept it up.
    pub flag_for: Duration,
}

/// A decision policy. [`Policy::default`] is the documented default; load
/// yours with [`Policy::from_toml`] or [`Policy::from_file`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Bounce types that suppress at once (`hard`).
    pub suppress_bounce_types: BTreeSet<BounceType>,
    /// Reasons that suppress at once whatever their bounce type (`feedback`: a complaint unsubscribes).
    pub suppress_reasons: BTreeSet<Reason>,
    /// Reasons that never suppress the recipient: the sending side must change.
    pub fix_sender_reasons: BTreeSet<Reason>,
    /// Reasons that are not failures.
    pub ignore_reasons: BTreeSet<Reason>,
    /// The default soft-bounce rule.
    pub soft: SoftRule,
    /// Per-reason overrides.
    pub reasons: BTreeMap<Reason, ReasonRule>,
    /// Domain health.
    pub domain: DomainRule,
}

const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

impl Default for Policy {
    fn default() -> Self {
        use Reason::*;
        let secs = Duration::from_secs;
        let retry = |s: u64| ReasonRule { retry_after: Some(secs(s)), ..ReasonRule::default() };
        Policy {
            suppress_bounce_types: [BounceType::Hard].into(),
            suppress_reasons: [Feedback, Suppressed].into(),
            fix_sender_reasons: [
                AuthFailure,
                BadReputation,
                Blocked,
                ContentError,
                EmailTooLarge,
                FailedStartTls,
                NoRelaying,
                NotCompliantRfc,
                PolicyViolation,
                RateLimited,
                Rejected,
                RequirePtr,
                SecurityError,
                SpamDetected,
                SyntaxError,
                VirusDetected,
            ]
            .into(),
            ignore_reasons: [Delivered, Vacation].into(),
            soft: SoftRule { threshold: 3, window: secs(14 * DAY), retry_after: secs(HOUR) },
            reasons: [
                (Expired, retry(4 * HOUR)),
                (Filtered, retry(4 * HOUR)),
                (MailboxFull, retry(12 * HOUR)),
                (NotAccept, retry(DAY)),
                (RateLimited, retry(HOUR / 2)),
                (Suspend, retry(DAY)),
                (SystemError, retry(HOUR / 2)),
                (SystemFull, retry(6 * HOUR)),
            ]
            .into(),
            domain: DomainRule {
                threshold: 5,
                window: secs(DAY),
                reasons: [Expired, HostUnknown, NetworkError, NotAccept].into(),
                expired_needs_connect_error: true,
                action: DomainAction::Hold,
                flag_for: secs(3 * DAY),
            },
        }
    }
}

/// A flagged domain: enough distinct addresses failed with host/network
/// reasons within the domain window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DomainFlag {
    /// The domain.
    pub domain: String,
    /// The earliest failure of the window that first reached the threshold.
    pub first_failure: i64,
    /// When the threshold was first reached.
    pub since: i64,
    /// The last failure that kept the threshold reached.
    pub last_failure: i64,
    /// The most distinct failing addresses seen within one window.
    pub addresses: u32,
    /// When the flag lapses (`last_failure` + `domain.flag_for`).
    pub expires_at: i64,
    /// Readable: `5 addresses failed with host/network errors within 1 day`.
    pub why: String,
}

impl DomainFlag {
    /// Whether the flag holds at `now`.
    pub fn is_active(&self, now: i64) -> bool {
        now < self.expires_at
    }

    /// Whether an event at `t` happened while the domain was failing (such
    /// host/network failures are the domain's, not the address's, fault).
    pub fn covers(&self, t: i64) -> bool {
        self.first_failure <= t && t < self.expires_at
    }
}

/// One host/network failure of a domain, for [`Policy::domain_flag`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DomainFailure<'a> {
    /// Unix seconds.
    pub time: i64,
    /// The failing address.
    pub recipient: &'a str,
}

/// `14 days`, `12 hours`, `1 day 6 hours`, `90 seconds`.
pub fn format_duration(d: Duration) -> String {
    let mut s = d.as_secs();
    if s == 0 {
        return "0 seconds".into();
    }
    let mut out = String::new();
    for (unit, name) in [(7 * DAY, "week"), (DAY, "day"), (HOUR, "hour"), (60, "minute"), (1, "second")] {
        // Weeks only when exact: "14 days" reads better than "2 weeks" in a window.
        if unit == 7 * DAY && (s % unit != 0 || s / unit < 4) {
            continue;
        }
        let n = s / unit;
        if n > 0 {
            if !out.is_empty() {
                out.push(' ');
            }
            let _ = write!(out, "{n} {name}{}", if n == 1 { "" } else { "s" });
            s %= unit;
        }
    }
    out
}

/// `14d`, `12h`, `30m`, `45s`, `2w`, `1d12h`, `1 day`, `36 hours` -> a duration.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = match &rest[..letters] {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hour" | "hours" => HOUR,
            "d" | "day" | "days" => DAY,
            "w" | "week" | "weeks" => 7 * DAY,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        rest = rest[letters..].trim_start();
    }
    Some(Duration::from_secs(total))
}

/// `1 of 3` counting: the reasons in a window, `mailboxfull ×2, networkerror`.
fn reason_list(reasons: impl Iterator<Item = Reason>) -> String {
    let mut counts: BTreeMap<Reason, u32> = BTreeMap::new();
    for r in reasons {
        *counts.entry(r).or_default() += 1;
    }
    let mut out = String::new();
    for (r, n) in counts {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(r.as_str());
        if n > 1 {
            let _ = write!(out, " ×{n}");
        }
    }
    out
}

fn secs_i64(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl Policy {
    /// The decision on a classification observed at `now` (unix seconds),
    /// given the address's earlier events.
    pub fn decide(&self, c: &Classification, history: &[HistoryEvent], now: i64) -> Decision {
        self.decide_event(&HistoryEvent::of(c, now), history, None)
    }

    /// The decision on `current` (at `current.time`) given the address's
    /// earlier events (`history`, any order; events after `current.time` are
    /// not looked at) and the flag of its domain, if it has one.
    pub fn decide_event(&self, current: &HistoryEvent, history: &[HistoryEvent], domain: Option<&DomainFlag>) -> Decision {
        if let Some(d) = self.immediate(current) {
            return d;
        }
        let now = current.time;
        if let Some(flag) = domain.filter(|f| f.is_active(now)) {
            return self.domain_decision(flag, now);
        }
        let (threshold, window) = self.count_rule(current.reason);
        let retry_after = self.retry_after(current.reason);
        let from = now.saturating_sub(secs_i64(window));
        let group = self.group(current.reason);
        let in_window = history.iter().filter(|e| {
            e.time > from && e.time <= now && self.counts(e, domain) && self.group(e.reason) == group
        });
        let reasons = || std::iter::once(current.reason).chain(in_window.clone().map(|e| e.reason));
        let n = 1 + in_window.clone().count() as u64;
        if threshold > 0 && n >= u64::from(threshold) {
            return Decision::new(
                Action::Suppress,
                None,
                format!("{n} soft bounces ({}) in {}", reason_list(reasons()), format_duration(window)),
            );
        }
        let count = if threshold > 0 { format!(", {n} of {threshold} in {}", format_duration(window)) } else { String::new() };
        Decision::new(
            Action::Retry,
            Some(retry_after),
            format!("soft bounce ({}){count}: retry in {}", current.reason, format_duration(retry_after)),
        )
    }

    /// The decision for an address of a flagged domain at `now`.
    pub fn domain_decision(&self, flag: &DomainFlag, now: i64) -> Decision {
        match self.domain.action {
            DomainAction::Suppress => Decision::new(
                Action::Suppress,
                None,
                format!("domain {} is flagged ({}); suppressed until {}", flag.domain, flag.why, format_rfc3339(flag.expires_at)),
            ),
            DomainAction::Hold => Decision::new(
                Action::Retry,
                Some(Duration::from_secs(flag.expires_at.saturating_sub(now).max(0) as u64)),
                format!("domain {} is flagged ({}); held until {}", flag.domain, flag.why, format_rfc3339(flag.expires_at)),
            ),
        }
    }

    /// The rules that decide without history (1-5 of the module doc).
    fn immediate(&self, e: &HistoryEvent) -> Option<Decision> {
        let r = e.reason;
        if self.suppress_reasons.contains(&r) {
            return Some(Decision::new(Action::Suppress, None, format!("{r} suppresses at once")));
        }
        if self.ignore_reasons.contains(&r) {
            return Some(Decision::new(Action::Ignore, None, format!("{r} is not a failure")));
        }
        if self.fix_sender_reasons.contains(&r) {
            let retry = self.reasons.get(&r).and_then(|o| o.retry_after);
            let when = retry.map(|d| format!("; retry in {}", format_duration(d))).unwrap_or_default();
            return Some(Decision::new(
                Action::FixSender,
                retry,
                format!("{r} is a sender-side problem: fix the sending side, the recipient is not suppressed{when}"),
            ));
        }
        if self.suppress_bounce_types.contains(&e.bounce_type) {
            return Some(Decision::new(Action::Suppress, None, format!("{} bounce ({r}) suppresses at once", e.bounce_type)));
        }
        if e.bounce_type == BounceType::None {
            return Some(Decision::new(Action::Ignore, None, format!("{r} is not a failure")));
        }
        None
    }

    /// Whether an earlier event counts toward a soft threshold.
    fn counts(&self, e: &HistoryEvent, domain: Option<&DomainFlag>) -> bool {
        e.bounce_type == BounceType::Soft
            && !self.fix_sender_reasons.contains(&e.reason)
            && !self.ignore_reasons.contains(&e.reason)
            && !self.suppress_reasons.contains(&e.reason)
            && (!domain.is_some_and(|f| f.covers(e.time)) || !self.domain.reasons.contains(&e.reason))
    }

    /// The counting group of a reason: its own when it overrides the count.
    fn group(&self, r: Reason) -> Option<Reason> {
        self.reasons.get(&r).filter(|o| o.threshold.is_some() || o.window.is_some()).map(|_| r)
    }

    fn count_rule(&self, r: Reason) -> (u32, Duration) {
        let o = self.reasons.get(&r);
        (
            o.and_then(|o| o.threshold).unwrap_or(self.soft.threshold),
            o.and_then(|o| o.window).unwrap_or(self.soft.window),
        )
    }

    /// The delay before retrying after a soft bounce of this reason.
    pub fn retry_after(&self, r: Reason) -> Duration {
        self.reasons.get(&r).and_then(|o| o.retry_after).unwrap_or(self.soft.retry_after)
    }

    /// The longest counting window of any reason (how much history matters).
    pub fn max_window(&self) -> Duration {
        self.reasons.values().filter_map(|o| o.window).fold(self.soft.window, Duration::max)
    }

    /// Whether the event would suppress without any history (hard bounce, complaint...).
    pub fn suppresses_at_once(&self, reason: Reason, bounce_type: BounceType) -> bool {
        self.immediate(&HistoryEvent::new(0, reason, bounce_type)).is_some_and(|d| d.action == Action::Suppress)
    }

    /// The first event, in time order, at which the address is to be
    /// suppressed, with the decision; `None` when it never is. Independent of
    /// the order the events arrived in (a ledger importing old mail late gets
    /// the same answer). `domain`: the flag of the address's domain, if any
    /// (host/network failures it covers don't count against the address).
    pub fn first_suppression(&self, events: &[HistoryEvent], domain: Option<&DomainFlag>) -> Option<(HistoryEvent, Decision)> {
        let mut sorted: Vec<&HistoryEvent> = events.iter().collect();
        sorted.sort_by_key(|e| e.time);
        let mut windows: HashMap<Option<Reason>, VecDeque<(i64, Reason)>> = HashMap::new();
        for e in sorted {
            if let Some(d) = self.immediate(e) {
                if d.action == Action::Suppress {
                    return Some((*e, d));
                }
                continue;
            }
            if !self.counts(e, domain) {
                continue;
            }
            let (threshold, window) = self.count_rule(e.reason);
            let w = windows.entry(self.group(e.reason)).or_default();
            let from = e.time.saturating_sub(secs_i64(window));
            while w.front().is_some_and(|(t, _)| *t <= from) {
                w.pop_front();
            }
            w.push_back((e.time, e.reason));
            if threshold > 0 && w.len() as u64 >= u64::from(threshold) {
                let why = format!(
                    "{} soft bounces ({}) in {}",
                    w.len(),
                    reason_list(w.iter().map(|(_, r)| *r)),
                    format_duration(window)
                );
                return Some((*e, Decision::new(Action::Suppress, None, why)));
            }
        }
        None
    }

    /// Whether a failure is a host/network failure of the recipient's domain
    /// (a reason of `domain.reasons`; `expired` only on a connection error
    /// when `domain.expired_needs_connect_error`).
    pub fn is_domain_failure(&self, reason: Reason, status: Option<StatusCode>, diagnostic: Option<&str>) -> bool {
        if !self.domain.reasons.contains(&reason) {
            return false;
        }
        if reason != Reason::Expired || !self.domain.expired_needs_connect_error {
            return true;
        }
        if status.is_some_and(|s| s.subject() == 4 && (1..=4).contains(&s.detail())) {
            return true;
        }
        diagnostic.is_some_and(|d| {
            let d = d.to_ascii_lowercase();
            ["connect", "timed out", "timeout", "unreachable", "no route to host", "name or service not known", "no mx", "dns"]
                .iter()
                .any(|p| d.contains(p))
        })
    }

    /// The domain's flag from its host/network failures (any order), or `None`
    /// when fewer than `domain.threshold` distinct addresses ever failed
    /// within one window.
    pub fn domain_flag(&self, domain: &str, failures: &[DomainFailure<'_>]) -> Option<DomainFlag> {
        let rule = &self.domain;
        if rule.threshold == 0 {
            return None;
        }
        let mut sorted: Vec<&DomainFailure> = failures.iter().collect();
        sorted.sort_by_key(|f| f.time);
        let window = secs_i64(rule.window);
        let mut live: VecDeque<&DomainFailure> = VecDeque::new();
        let mut per: HashMap<&str, u32> = HashMap::new();
        let mut flag: Option<DomainFlag> = None;
        for f in sorted {
            while let Some(old) = live.front().filter(|o| o.time <= f.time.saturating_sub(window)) {
                if let Some(n) = per.get_mut(old.recipient) {
                    *n -= 1;
                    if *n == 0 {
                        per.remove(old.recipient);
                    }
                }
                live.pop_front();
            }
            live.push_back(f);
            *per.entry(f.recipient).or_default() += 1;
            let distinct = per.len() as u32;
            if distinct >= rule.threshold {
                let first = live.front().map(|o| o.time).unwrap_or(f.time);
                match &mut flag {
                    None => {
                        flag = Some(DomainFlag {
                            domain: domain.to_string(),
                            first_failure: first,
                            since: f.time,
                            last_failure: f.time,
                            addresses: distinct,
                            expires_at: f.time.saturating_add(secs_i64(rule.flag_for)),
                            why: String::new(),
                        })
                    }
                    Some(fl) => {
                        fl.last_failure = f.time;
                        fl.addresses = fl.addresses.max(distinct);
                        fl.expires_at = f.time.saturating_add(secs_i64(rule.flag_for));
                    }
                }
            }
        }
        flag.map(|mut f| {
            f.why = format!("{} addresses failed with host/network errors within {}", f.addresses, format_duration(rule.window));
            f
        })
    }

    /// A policy from TOML text (see `docs/policy.md`). Keys left out keep
    /// their default; unknown keys are errors.
    pub fn from_toml(text: &str) -> Result<Policy, Error> {
        Self::from_toml_named(text, "(policy)")
    }

    /// [`Policy::from_toml`] from a file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Policy, Error> {
        let p = path.as_ref();
        let text = std::fs::read_to_string(p).map_err(|e| Error::Io { path: p.display().to_string(), message: e.to_string() })?;
        Self::from_toml_named(&text, &p.display().to_string())
    }

    fn from_toml_named(text: &str, source: &str) -> Result<Policy, Error> {
        let err = |message: String| Error::Policy { source: source.to_string(), message };
        let raw: file::PolicyFile = toml::from_str(text).map_err(|e| err(e.to_string().trim_end().to_string()))?;
        raw.into_policy().map_err(err)
    }
}

/// The TOML shape of a policy (every field optional: missing means default).
mod file {
    use super::*;

    #[derive(Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    pub(super) struct PolicyFile {
        #[serde(default)]
        pub suppress: Option<SuppressSection>,
        #[serde(default)]
        pub fix_sender: Option<ReasonsSection>,
        #[serde(default)]
        pub ignore: Option<ReasonsSection>,
        #[serde(default)]
        pub soft: Option<SoftSection>,
        #[serde(default)]
        pub reason: Option<BTreeMap<Reason, ReasonSection>>,
        #[serde(default)]
        pub domain: Option<DomainSection>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct SuppressSection {
        pub bounce_types: Option<BTreeSet<BounceType>>,
        pub reasons: Option<BTreeSet<Reason>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct ReasonsSection {
        pub reasons: Option<BTreeSet<Reason>>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct SoftSection {
        pub threshold: Option<u32>,
        pub window: Option<Span>,
        pub retry_after: Option<Span>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct ReasonSection {
        pub threshold: Option<u32>,
        pub window: Option<Span>,
        pub retry_after: Option<Span>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct DomainSection {
        pub threshold: Option<u32>,
        pub window: Option<Span>,
        pub reasons: Option<BTreeSet<Reason>>,
        pub expired_needs_connect_error: Option<bool>,
        pub action: Option<DomainAction>,
        pub flag_for: Option<Span>,
    }

    /// A duration: `"14d"`, `"12h"`, `"1d 12h"`, or a number of seconds.
    pub(super) struct Span(pub Duration);

    impl<'de> Deserialize<'de> for Span {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            #[derive(Deserialize)]
            #[serde(untagged)]
            enum Raw {
                Secs(u64),
                Text(String),
            }
            match Raw::deserialize(d) {
                Ok(Raw::Secs(s)) => Ok(Span(Duration::from_secs(s))),
                Ok(Raw::Text(t)) => parse_duration(&t).map(Span).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "invalid duration {t:?}: expected e.g. \"14d\", \"12h\", \"30m\", \"1d 12h\" or a number of seconds"
                    ))
                }),
                Err(_) => Err(serde::de::Error::custom(
                    "invalid duration: expected e.g. \"14d\", \"12h\", \"30m\" or a number of seconds",
                )),
            }
        }
    }

    impl PolicyFile {
        pub(super) fn into_policy(self) -> Result<Policy, String> {
            let mut p = Policy::default();
            if let Some(s) = self.suppress {
                if let Some(v) = s.bounce_types {
                    p.suppress_bounce_types = v;
                }
                if let Some(v) = s.reasons {
                    p.suppress_reasons = v;
                }
            }
            if let Some(v) = self.fix_sender.and_then(|s| s.reasons) {
                p.fix_sender_reasons = v;
            }
            if let Some(v) = self.ignore.and_then(|s| s.reasons) {
                p.ignore_reasons = v;
            }
            if let Some(s) = self.soft {
                if let Some(v) = s.threshold {
                    p.soft.threshold = v;
                }
                if let Some(v) = s.window {
                    p.soft.window = v.0;
                }
                if let Some(v) = s.retry_after {
                    p.soft.retry_after = v.0;
                }
            }
            for (r, o) in self.reason.unwrap_or_default() {
                let e = p.reasons.entry(r).or_default();
                if o.threshold.is_some() {
                    e.threshold = o.threshold;
                }
                if let Some(w) = o.window {
                    e.window = Some(w.0);
                }
                if let Some(w) = o.retry_after {
                    e.retry_after = Some(w.0);
                }
            }
            if let Some(d) = self.domain {
                if let Some(v) = d.threshold {
                    p.domain.threshold = v;
                }
                if let Some(v) = d.window {
                    p.domain.window = v.0;
                }
                if let Some(v) = d.reasons {
                    p.domain.reasons = v;
                }
                if let Some(v) = d.expired_needs_connect_error {
                    p.domain.expired_needs_connect_error = v;
                }
                if let Some(v) = d.action {
                    p.domain.action = v;
                }
                if let Some(v) = d.flag_for {
                    p.domain.flag_for = v.0;
                }
            }
            p.validate()?;
            Ok(p)
        }
    }
}

impl Policy {
    /// Checks that the sets don't overlap and the windows make sense.
    pub fn validate(&self) -> Result<(), String> {
        let sets = [
            ("suppress.reasons", &self.suppress_reasons),
            ("fix_sender.reasons", &self.fix_sender_reasons),
            ("ignore.reasons", &self.ignore_reasons),
        ];
        for (i, (an, a)) in sets.iter().enumerate() {
            for (bn, b) in &sets[i + 1..] {
                if let Some(r) = a.intersection(b).next() {
                    return Err(format!("reason {:?} is in both {an} and {bn}: it can only be in one", r.as_str()));
                }
            }
        }
        if self.soft.threshold > 0 && self.soft.window.is_zero() {
            return Err("soft.window must be longer than 0 when soft.threshold is set".into());
        }
        for (r, o) in &self.reasons {
            let (t, w) = self.count_rule(*r);
            if t > 0 && w.is_zero() {
                return Err(format!("reason.{r}: window must be longer than 0 when threshold is set"));
            }
            if o.threshold.is_some() && self.fix_sender_reasons.contains(r) {
                return Err(format!(
                    "reason.{r}: threshold set for a fix_sender reason, which never suppresses; remove it from fix_sender.reasons to count it"
                ));
            }
        }
        if self.domain.threshold > 0 && (self.domain.window.is_zero() || self.domain.flag_for.is_zero()) {
            return Err("domain.window and domain.flag_for must be longer than 0 when domain.threshold is set".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(parse_duration("14d"), Some(Duration::from_secs(14 * DAY)));
        assert_eq!(parse_duration("1d 12h"), Some(Duration::from_secs(36 * HOUR)));
        assert_eq!(parse_duration("1d12h30m"), Some(Duration::from_secs(36 * HOUR + 1800)));
        assert_eq!(parse_duration("2 weeks"), Some(Duration::from_secs(14 * DAY)));
        assert_eq!(parse_duration("90"), None);
        assert_eq!(parse_duration("3 fortnights"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(format_duration(Duration::from_secs(14 * DAY)), "14 days");
        assert_eq!(format_duration(Duration::from_secs(28 * DAY)), "4 weeks");
        assert_eq!(format_duration(Duration::from_secs(HOUR)), "1 hour");
        assert_eq!(format_duration(Duration::from_secs(36 * HOUR)), "1 day 12 hours");
        assert_eq!(format_duration(Duration::from_secs(1800)), "30 minutes");
    }
}
