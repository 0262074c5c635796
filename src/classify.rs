//! Diagnostic text -> [`Classification`].
//!
//! Precedence: a matching text rule beats the enhanced status code, the
//! enhanced code beats the bare reply code, the reply code beats nothing.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::registry::{default_action, reason_for, report_reason_for, short_name};
use crate::rules::{parse_rules, Rule, RuleSet};
use crate::status::{find_codes, FoundCodes};
use crate::{Action, BounceType, Category, Error, Reason, ReplyCode, StatusClass, StatusCode, MAX_SUBJECT};

/// Where the reported status came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusSource {
    /// Found in the text (or given by the caller, e.g. a DSN `Status:` field).
    Found,
    /// Not in the text; derived from the verdict (the rule's or the reason's typical code).
    Derived,
    /// No status at all.
    None,
}

/// The verdict on one diagnostic.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Classification {
    /// The enhanced status code, found or derived (see `status_source`).
    pub status: Option<StatusCode>,
    /// Whether `status` was found or derived.
    pub status_source: StatusSource,
    /// The SMTP reply code, if the text has one.
    pub reply_code: Option<ReplyCode>,
    /// The reason, a word of the vocabulary.
    pub reason: Reason,
    /// Hard, soft or none.
    pub bounce_type: BounceType,
    /// The status subject's area (the reason's when there is no status).
    pub category: Category,
    /// What the sender should do.
    pub action: Action,
    /// The knowledge base's short meaning of the status (or of the reason).
    /// Borrowed from the knowledge base: a verdict costs no copy of it.
    pub description: Cow<'static, str>,
    /// What decided: a rule id, `status:X.s.d`, `reply:NNN` or `none`.
    /// Built-in rule ids are borrowed, not copied.
    pub rule: Cow<'static, str>,
    /// A remark on the decision, e.g. when reply and enhanced code disagree.
    pub note: Option<String>,
}

#[derive(Deserialize)]
struct ReplyFile {
    reply: BTreeMap<String, Reason>,
}

fn reply_reason(code: ReplyCode) -> Option<Reason> {
    // Indexed by the code (reply codes are below 600): no search per call.
    static T: OnceLock<Vec<Option<Reason>>> = OnceLock::new();
    T.get_or_init(|| {
        let f: ReplyFile = toml::from_str(include_str!("../data/reply_codes.toml")).expect("data/reply_codes.toml is valid");
        let mut t = vec![None; 600];
        for (k, v) in f.reply {
            let code: usize = k.parse().expect("reply code key");
            t[code] = Some(v);
        }
        t
    })
    .get(usize::from(code.get()))
    .copied()
    .flatten()
}

/// A classifier: the built-in rules, optionally with the user's rules first.
///
/// ```
/// use bouncekit::{Classifier, Reason};
/// let user = r#"
/// [[rule]]
/// id = "mine.vip"
/// reason = "filtered"
/// priority = 100
/// phrases = ["vip list only"]
/// examples = ["550 5.1.1 vip list only"]
/// "#;
/// let c = Classifier::with_user_rules(user, "mine").unwrap();
/// assert_eq!(c.classify("550 5.1.1 vip list only").reason, Reason::Filtered);
/// ```
#[derive(Debug)]
pub struct Classifier {
    rules: RuleSet,
}

impl Default for Classifier {
    fn default() -> Self {
        Classifier::new()
    }
}

impl Classifier {
    /// The built-in rules only.
    pub fn new() -> Self {
        Classifier { rules: RuleSet::new(RuleSet::builtin_rules()).expect("built-in rules compile") }
    }

    /// The user's rules (a TOML rules file's text) ahead of the built-in ones.
    pub fn with_user_rules(toml_text: &str, source: &str) -> Result<Self, Error> {
        let user = parse_rules(toml_text, source)?;
        Ok(Classifier { rules: RuleSet::with_user_rules(user, RuleSet::builtin_rules())? })
    }

    /// Only the given rules, without the built-in ones.
    pub fn with_rules(rules: Vec<Rule>) -> Result<Self, Error> {
        Ok(Classifier { rules: RuleSet::new(rules)? })
    }

    /// [`Classifier::with_user_rules`] from a file.
    pub fn from_rules_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let p = path.as_ref();
        let text = std::fs::read_to_string(p).map_err(|e| Error::Io { path: p.display().to_string(), message: e.to_string() })?;
        Self::with_user_rules(&text, &p.display().to_string())
    }

    /// Every rule, user rules first.
    pub fn rules(&self) -> &[Rule] {
        self.rules.rules()
    }

    /// Classifies one diagnostic text.
    ///
    /// A stage the text states outright changes an address verdict that
    /// generic wording gave, as in a report: refused at MAIL FROM is about
    /// the sender, at the greeting about the client. A bare failure code at
    /// the greeting or EHLO/HELO is the client's refusal too.
    ///
    /// ```
    /// use bouncekit::{Classifier, Reason};
    /// let c = Classifier::new();
    /// let said = "host mx.example.net said: 553 mail.example.org does not exist";
    /// assert_eq!(c.classify(said).reason, Reason::HostUnknown);
    /// let at_mail = format!("{said} (in reply to MAIL FROM command)");
    /// assert_eq!(c.classify(&at_mail).reason, Reason::Rejected);
    /// ```
    pub fn classify(&self, text: &str) -> Classification {
        crate::message::by_stated_stage(self.classify_with(text, FoundCodes::default()), text)
    }

    /// The reason a verdict of [`Classifier::classify`] takes inside a
    /// bounce or delay report, where it differs from the bare text's: the
    /// deciding rule's [`Rule::in_report`], or the registry's for a class 4
    /// code that decided alone. A report means the sender's mailer has been
    /// retrying: "Connection timed out" alone is a network error; in a
    /// report it is a message that expired in the queue.
    ///
    /// ```
    /// use bouncekit::{Classifier, Reason};
    /// let c = Classifier::new();
    /// let v = c.classify("421 4.4.1 Connection timed out");
    /// assert_eq!(v.reason, Reason::NetworkError);
    /// assert_eq!(c.in_report(&v), Some(Reason::Expired));
    /// ```
    pub fn in_report(&self, c: &Classification) -> Option<Reason> {
        if c.rule.starts_with("status:") {
            return c.status.and_then(report_reason_for);
        }
        self.rules.in_report(&c.rule)
    }

    /// Classifies a diagnostic with codes known from elsewhere (a DSN's
    /// `Status:` field, say). Codes in the text win, except that a hint fills
    /// a missing code and replaces a text code whose detail is 0 (`5.0.0`)
    /// with a more specific one.
    pub fn classify_with(&self, text: &str, hints: FoundCodes) -> Classification {
        let Some(spaced) = spaced_out(text) else {
            return self.classify_read(text, hints);
        };
        // A line in qmail's log form may as well be names joined by
        // underscores (OpenSSL's `ssl_choose_client_version:unsupported
        // protocol`): when the spaced reading meets no rule, the text as
        // written is read too, and a rule there decides.
        let verdict = self.classify_read(&spaced, hints);
        if !code_only(&verdict) {
            return verdict;
        }
        let written = self.classify_read(text, hints);
        if !code_only(&written) {
            written
        } else {
            verdict
        }
    }

    /// [`Classifier::classify_with`] on a text as it is read.
    fn classify_read(&self, text: &str, hints: FoundCodes) -> Classification {
        let mut codes = find_codes(text);
        codes.status = codes.status.map(|s| specific_after(text, s));
        codes.status = match (codes.status, hints.status) {
            (None, h) => h,
            (Some(t), Some(h)) if t.detail() == 0 && h.detail() != 0 && t.class() == h.class() => Some(h),
            (t, _) => t,
        };
        codes.reply = codes.reply.or(hints.reply);
        decide(&self.rules, text, codes)
    }
}

/// Whether a verdict came from a code alone, or from nothing: no wording decided it.
pub(crate) fn code_only(c: &Classification) -> bool {
    ["status:", "reply:", "none"].iter().any(|p| c.rule.starts_with(p))
}

/// `text` with `_` read as a space on each line that is in the form qmail's
/// logs give a remote reply (`failure: Remote_host_said:_550_5.1.1_<a@example.org>..._User_unknown/`),
/// or `None` when no line is. Judged line by line: a notice quotes such a
/// line among ordinary ones (AT&T Global's "Permanent Failure:
/// 522_mailbox_full;_group_quota_sz=..." under its recipient).
fn spaced_out(text: &str) -> Option<String> {
    // Most texts have fewer than three underscores in all: one count, no more.
    memchr::memchr_iter(b'_', text.as_bytes()).nth(2)?;
    if !text.split_inclusive('\n').any(underscored) {
        return None;
    }
    Some(text.split_inclusive('\n').map(|line| if underscored(line) { Cow::Owned(line.replace('_', " ")) } else { Cow::Borrowed(line) }).collect())
}

/// Whether a line is in qmail's log form: at least three underscores for
/// spaces, and more of them than spaces (the log's own prefix may keep a
/// few). An underscore between two capitals is part of a name, not a space:
/// SpamAssassin's test names (`RCVD_IN_BL_SPAMCOP_NET,URIBL_DBL_ABUSE_BOTCC`)
/// fill a line with them.
fn underscored(line: &str) -> bool {
    let b = line.as_bytes();
    let in_name = |i: usize| i > 0 && b[i - 1].is_ascii_uppercase() && b.get(i + 1).is_some_and(u8::is_ascii_uppercase);
    let underscores = memchr::memchr_iter(b'_', b).filter(|&i| !in_name(i)).count();
    underscores >= 3 && underscores > memchr::memchr_iter(b' ', b).count()
}

/// A catch-all code (`X.Y.0`) followed in the text by a specific one of the
/// same class: the specific one is the answer. Relays summarise before they
/// quote (Amazon SES: `5.1.0 - Unknown address error 550-'5.7.1 ... Access
/// denied'`).
fn specific_after(text: &str, first: StatusCode) -> StatusCode {
    if first.detail() != 0 {
        return first;
    }
    // The first `C.S.0` (the detail is 0 here), found from the dots: a
    // substring searcher's set-up costs more than the few dots of a text.
    let (class, subject) = (first.class().digit(), first.subject());
    let key = [b'0' + class, b'.', b'0' + subject as u8, b'.', b'0'];
    let b = text.as_bytes();
    let Some(i) = memchr::memchr_iter(b'.', b).find(|&d| d > 0 && b.get(d - 1..d + 4) == Some(&key[..])).map(|d| d - 1) else {
        return first;
    };
    // `i + 5` follows an ASCII byte: a char boundary.
    match find_codes(&text[i + key.len()..]).status {
        Some(later) if later.class() == first.class() && later.detail() != 0 => later,
        _ => first,
    }
}

fn decide(rules: &RuleSet, text: &str, codes: FoundCodes) -> Classification {
    let class = codes.class_digit();
    // One registry look-up serves both the weak-rule gate and the verdict.
    let status_reason = codes.status.and_then(reason_for);
    // X.7.1 ("delivery not authorized") is as vague as a catch-all: any
    // refusal on policy grounds carries it, so weak wordings still decide.
    let specific = status_reason.is_some() && codes.status.is_some_and(|s| s.detail() != 0 && !(s.subject() == 7 && s.detail() == 1));
    // (A success reply is read by class 2 rules only: see `Rule::class`.)
    let rule = rules.best_index_normalized(text, class, specific).map(|i| rules.rule_and_id(i));
    let (rule, rule_id) = (rule.map(|(r, _)| r), rule.map(|(_, id)| id));

    let (reason, decided_by) = if let (Some(r), Some(id)) = (rule, rule_id) {
        (r.reason, id.clone())
    } else if let Some(s) = codes.status {
        match status_reason {
            Some(r) => (r, decided_by_status(s)),
            None => (Reason::Undefined, Cow::Borrowed("none")),
        }
    } else if let Some(r) = codes.reply.and_then(reply_reason) {
        (r, decided_by_reply(codes.reply.map(|c| c.get()).unwrap_or_default()))
    } else {
        (Reason::Undefined, Cow::Borrowed("none"))
    };

    let (status, status_source) = match codes.status {
        Some(s) => (Some(s), StatusSource::Found),
        // No code at all: a mail log's own word that it will retry
        // ("status=deferred", "TempFail") makes the derived status temporary.
        None => match derive_status(rule, reason, codes.reply.map(|r| r.class_digit()).or_else(|| logged_temporary(text).then_some(4))) {
            Some(s) => (Some(s), StatusSource::Derived),
            None => (None, StatusSource::None),
        },
    };
    let class = class.or(status.map(|s| s.class().digit()));
    let info = reason.info();
    let bounce_type = rule.and_then(|r| r.bounce_type).unwrap_or_else(|| reason.bounce_type_for(class));
    let category = status.map(|s| Category::of_subject(s.subject())).unwrap_or(info.category);
    let description = Cow::Borrowed(status.and_then(short_name).unwrap_or(&info.definition));
    let note = codes.classes_disagree().then(|| {
        let (s, r) = (codes.status.unwrap(), codes.reply.unwrap());
        format!(
            "reply code {r} and enhanced code {s} disagree in class; the enhanced code was used (it is the more specific)"
        )
    });
    Classification {
        status,
        status_source,
        reply_code: codes.reply,
        reason,
        bounce_type,
        category,
        action: default_action(reason, bounce_type),
        description,
        rule: decided_by,
        note,
    }
}

/// `status:X.s.d` for a code: made once per process for the details below
/// 100 (every registered one), so that a verdict borrows it.
fn decided_by_status(s: StatusCode) -> Cow<'static, str> {
    static T: OnceLock<Vec<OnceLock<Box<str>>>> = OnceLock::new();
    let (subject, detail) = (s.subject(), s.detail());
    let slot = (detail < 100).then(|| usize::from(subject) * 100 + usize::from(detail));
    made_once(&T, (usize::from(MAX_SUBJECT) + 1) * 100, slot, "status:X.", &[subject, detail])
}

/// `reply:NNN`, made once per process for each reply code (below 600).
fn decided_by_reply(code: u16) -> Cow<'static, str> {
    static T: OnceLock<Vec<OnceLock<Box<str>>>> = OnceLock::new();
    made_once(&T, 600, Some(usize::from(code)), "reply:", &[code])
}

/// [`decided_by_code`], made once per process in `slot` of `table` (of
/// `len` slots) and borrowed from there after; made each time for a code
/// with no slot.
fn made_once(
    table: &'static OnceLock<Vec<OnceLock<Box<str>>>>,
    len: usize,
    slot: Option<usize>,
    prefix: &str,
    numbers: &[u16],
) -> Cow<'static, str> {
    let table = table.get_or_init(|| (0..len).map(|_| OnceLock::new()).collect());
    match slot.and_then(|i| table.get(i)) {
        Some(cell) => Cow::Borrowed(cell.get_or_init(|| decided_by_code(prefix, numbers).into_boxed_str())),
        None => Cow::Owned(decided_by_code(prefix, numbers)),
    }
}

/// `status:X.1.1` / `reply:550`: the prefix and the numbers joined by dots,
/// in one right-sized allocation (no formatting machinery).
fn decided_by_code(prefix: &str, numbers: &[u16]) -> String {
    let mut out = String::with_capacity(prefix.len() + numbers.len() * 4);
    out.push_str(prefix);
    for (i, &n) in numbers.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        let mut digits = [0u8; 5];
        let mut k = digits.len();
        let mut v = n;
        loop {
            k -= 1;
            digits[k] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        out.extend(digits[k..].iter().map(|&d| char::from(d)));
    }
    out
}

/// The reason's typical status, parsed once per process.
fn typical_status(reason: Reason) -> Option<StatusCode> {
    static T: OnceLock<Vec<Option<StatusCode>>> = OnceLock::new();
    T.get_or_init(|| Reason::ALL.iter().map(|r| r.info().status.as_deref().and_then(|s| s.parse().ok())).collect())
        .get(reason as usize)
        .copied()
        .flatten()
}

/// A status for a verdict whose text had none: the rule's, else the reason's
/// typical code, in the class given (the reply code's, or 4 for a logged
/// deferral; the code's own class when there is none).
fn derive_status(rule: Option<&Rule>, reason: Reason, class_hint: Option<u8>) -> Option<StatusCode> {
    let base = rule.and_then(|r| r.status).or_else(|| typical_status(reason))?;
    let class = match class_hint {
        // A failure read from a success reply (a discard answered 250) has
        // no status of its own to give: the reply is what there is.
        Some(2) if base.class() != StatusClass::Success => return None,
        Some(4) if base.class() == StatusClass::Permanent => StatusClass::Transient,
        Some(5) if base.class() == StatusClass::Transient => StatusClass::Permanent,
        _ => base.class(),
    };
    Some(base.with_class(class))
}

/// Whether a mail log line says that its MTA deferred the message and will
/// retry (Postfix's `status=deferred`, Sendmail's `stat=Deferred`,
/// OpenSMTPD's `TempFail`): with no code in the text, the only sign that
/// the failure is temporary.
fn logged_temporary(text: &str) -> bool {
    // Read at each `=` and `:`: no searcher to build for a few words.
    let b = text.as_bytes();
    let at = |i: usize, w: &str| b.get(i..i + w.len()).is_some_and(|s| s.eq_ignore_ascii_case(w.as_bytes()));
    let ends = |i: usize, w: &str| i >= w.len() && b[i - w.len()..i].eq_ignore_ascii_case(w.as_bytes());
    memchr::memchr2_iter(b'=', b':', b).any(|i| match b[i] {
        b'=' => ((ends(i, "status") || ends(i, "stat")) && at(i + 1, "deferred")) || (ends(i, "result") && at(i + 1, "tempfail")),
        _ => at(i + 1, " tempfail for "),
    })
}

/// A verdict whose reason changed after the fact: a status derived from the
/// old reason (with its description) is derived again from the new one,
/// in the class its `text` gives (as [`Classifier::classify_with`] does).
pub(crate) fn rederived(mut c: Classification, text: &str) -> Classification {
    if c.status_source == StatusSource::Derived {
        c.status = derive_status(None, c.reason, c.reply_code.map(|r| r.class_digit()).or_else(|| logged_temporary(text).then_some(4)));
        c.description = Cow::Borrowed(c.status.and_then(short_name).unwrap_or(&c.reason.info().definition));
        if let Some(s) = c.status {
            c.category = Category::of_subject(s.subject());
        }
    }
    c
}

pub(crate) fn default_classifier() -> &'static Classifier {
    static C: OnceLock<Classifier> = OnceLock::new();
    C.get_or_init(Classifier::new)
}

/// Classifies one diagnostic text with the built-in rules.
///
/// ```
/// use bouncekit::{classify, Reason, BounceType, Action};
/// let c = classify("452 4.2.2 The email account that you tried to reach is over quota");
/// assert_eq!(c.reason, Reason::MailboxFull);
/// assert_eq!(c.bounce_type, BounceType::Soft);
/// assert_eq!(c.action, Action::Retry);
/// ```
pub fn classify(text: &str) -> Classification {
    default_classifier().classify(text)
}

/// [`classify`] for bytes that may not be UTF-8 (invalid sequences are replaced).
pub fn classify_bytes(text: &[u8]) -> Classification {
    classify(&String::from_utf8_lossy(text))
}
