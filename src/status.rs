//! Enhanced status codes (RFC 3463) and SMTP reply codes (RFC 5321): the
//! types, strict parsing, and finding them inside free diagnostic text.

use std::fmt;
use std::str::FromStr;

use crate::find_byte::first_in_range;
use crate::Error;

/// The class of an enhanced status code (its first digit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusClass {
    /// `2.x.x`: the message was delivered or relayed.
    Success,
    /// `4.x.x`: a temporary failure; a later attempt may succeed.
    Transient,
    /// `5.x.x`: a permanent failure; the same message will fail again.
    Permanent,
}

impl StatusClass {
    /// The class digit: 2, 4 or 5.
    pub fn digit(self) -> u8 {
        match self {
            StatusClass::Success => 2,
            StatusClass::Transient => 4,
            StatusClass::Permanent => 5,
        }
    }

    /// The class for a digit, if it is one of 2, 4, 5.
    pub fn from_digit(d: u8) -> Option<Self> {
        match d {
            2 => Some(StatusClass::Success),
            4 => Some(StatusClass::Transient),
            5 => Some(StatusClass::Permanent),
            _ => None,
        }
    }

    /// `"success"`, `"temporary"` or `"permanent"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusClass::Success => "success",
            StatusClass::Transient => "temporary",
            StatusClass::Permanent => "permanent",
        }
    }
}

/// The highest subject with a meaning in RFC 3463 and the IANA registry.
pub const MAX_SUBJECT: u16 = 7;

/// An enhanced mail system status code, `class.subject.detail` (RFC 3463).
///
/// ```
/// use bouncekit::StatusCode;
/// let code: StatusCode = "5.7.26".parse().unwrap();
/// assert_eq!((code.class().digit(), code.subject(), code.detail()), (5, 7, 26));
/// assert_eq!(code.to_string(), "5.7.26");
/// assert!("5.9.999".parse::<StatusCode>().is_err()); // subject out of range
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCode {
    class: StatusClass,
    subject: u16,
    detail: u16,
}

impl StatusCode {
    /// A code from its parts; the class must be 2, 4 or 5, the subject 0..=7
    /// and the detail 0..=999.
    pub fn new(class: u8, subject: u16, detail: u16) -> Result<Self, Error> {
        let c = StatusClass::from_digit(class)
            .ok_or_else(|| Error::InvalidStatusCode(format!("{class}.{subject}.{detail}")))?;
        if subject > MAX_SUBJECT || detail > 999 {
            return Err(Error::InvalidStatusCode(format!("{class}.{subject}.{detail}")));
        }
        Ok(StatusCode { class: c, subject, detail })
    }

    /// The class (success, transient, permanent).
    pub fn class(&self) -> StatusClass {
        self.class
    }

    /// The subject digit (0..=7): addressing, mailbox, mail system, ...
    pub fn subject(&self) -> u16 {
        self.subject
    }

    /// The detail number (0..=999).
    pub fn detail(&self) -> u16 {
        self.detail
    }

    /// The same code in another class (`5.2.2` -> `4.2.2`).
    pub fn with_class(&self, class: StatusClass) -> Self {
        StatusCode { class, ..*self }
    }

    /// The registry key of the code, with `X` for the class: `"X.1.1"`.
    pub fn registry_key(&self) -> String {
        format!("X.{}.{}", self.subject, self.detail)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class.digit(), self.subject, self.detail)
    }
}

impl FromStr for StatusCode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || Error::InvalidStatusCode(s.chars().take(64).collect());
        let t = s.trim();
        let b = t.as_bytes();
        match parse_at(b, 0) {
            Some((code, end)) if end == b.len() => Ok(code),
            Some(_) | None => {
                // Distinguish a well-formed but out-of-range code for a better message.
                Err(bad())
            }
        }
    }
}

impl serde::Serialize for StatusCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for StatusCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An SMTP reply code (RFC 5321 section 4.2), such as 550.
///
/// ```
/// use bouncekit::ReplyCode;
/// let r = ReplyCode::new(452).unwrap();
/// assert!(r.is_transient());
/// assert!(ReplyCode::new(620).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// A reply code: first digit 2..=5, second 0..=5, third any digit.
    pub fn new(code: u16) -> Result<Self, Error> {
        let (a, b) = (code / 100, (code / 10) % 10);
        if (2..=5).contains(&a) && b <= 5 {
            Ok(ReplyCode(code))
        } else {
            Err(Error::InvalidReplyCode(code.to_string()))
        }
    }

    /// The numeric value.
    pub fn get(&self) -> u16 {
        self.0
    }

    /// The first digit.
    pub fn class_digit(&self) -> u8 {
        (self.0 / 100) as u8
    }

    /// True for 4xx replies.
    pub fn is_transient(&self) -> bool {
        self.class_digit() == 4
    }

    /// True for 5xx replies.
    pub fn is_permanent(&self) -> bool {
        self.class_digit() == 5
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What [`find_codes`] found in a text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FoundCodes {
    /// The enhanced status code, if the text carries one.
    pub status: Option<StatusCode>,
    /// The SMTP reply code, if the text carries one.
    pub reply: Option<ReplyCode>,
}

impl FoundCodes {
    /// True when both codes were found and their classes differ
    /// (e.g. `550 4.2.2`).
    pub fn classes_disagree(&self) -> bool {
        match (self.status, self.reply) {
            (Some(s), Some(r)) => s.class.digit() != r.class_digit(),
            _ => false,
        }
    }

    /// The class digit that decides permanence: the enhanced code's when
    /// present (it is the more specific of the two), else the reply code's.
    pub fn class_digit(&self) -> Option<u8> {
        self.status
            .map(|s| s.class.digit())
            .or_else(|| self.reply.map(|r| r.class_digit()))
    }
}

/// Finds the SMTP reply code and the enhanced status code in free text.
///
/// Handles multi-line replies (`550-5.1.1 ...`), Exchange's `#5.1.1`,
/// `smtp; 550 ...` Diagnostic-Code values, two- and three-digit details,
/// and rejects look-alikes: IP addresses (`5.1.1.1`), versions
/// (`Exim 4.96`, `Postfix 2.11.3`) and out-of-range subjects (`5.9.999`).
///
/// ```
/// use bouncekit::find_codes;
/// let f = find_codes("smtp; 550-5.1.1 The email account that you tried to reach does not exist");
/// assert_eq!(f.status.unwrap().to_string(), "5.1.1");
/// assert_eq!(f.reply.unwrap().get(), 550);
/// assert_eq!(find_codes("connect to 5.1.1.1 failed").status, None);
/// ```
pub fn find_codes(text: &str) -> FoundCodes {
    let b = text.as_bytes();
    let (first, mut end) = codes_in(b);
    // A client's transcript quotes the steps that went well (`250 2.1.0 Ok`,
    // `354 go ahead`) before the one that failed (`553 5.7.1 ...`): the
    // failure is the answer. A few steps are looked past, no more (each look
    // is a scan).
    let went_well = |r: ReplyCode| matches!(r.class_digit(), 2 | 3);
    if first.reply.is_some_and(went_well) {
        let mut from = 0;
        for _ in 0..SUCCESS_STEPS {
            let Some(e) = end else { break };
            from += e;
            let (later, next) = codes_in(&b[from..]);
            match later.reply {
                Some(r) if !went_well(r) => return later,
                Some(_) => end = next,
                None => break,
            }
        }
    }
    first
}

/// Transcript steps that went well looked past by [`find_codes`].
const SUCCESS_STEPS: usize = 4;

/// The first reply code with its enhanced code (or the first enhanced code
/// alone), and where that reply code ends.
fn codes_in(b: &[u8]) -> (FoundCodes, Option<usize>) {
    match find_reply(b) {
        // The code right after the reply was already checked for.
        Some((reply, end, Some(status))) => (FoundCodes { status: Some(status), reply: Some(reply) }, Some(end)),
        Some((reply, end, None)) => (FoundCodes { status: find_status(b, Some(end)), reply: Some(reply) }, Some(end)),
        None => (FoundCodes { status: find_status(b, None), reply: None }, None),
    }
}

/// Parses `d.d{1,3}.d{1,3}` starting at `i`; returns the code and the end offset.
fn parse_at(b: &[u8], i: usize) -> Option<(StatusCode, usize)> {
    let class = StatusClass::from_digit(b.get(i)?.wrapping_sub(b'0'))?;
    if b.get(i + 1) != Some(&b'.') {
        return None;
    }
    let (subject, j) = digits(b, i + 2)?;
    if b.get(j) != Some(&b'.') {
        return None;
    }
    let (detail, k) = digits(b, j + 1)?;
    if subject > MAX_SUBJECT {
        return None;
    }
    Some((StatusCode { class, subject, detail }, k))
}

/// One to three ASCII digits at `i` (a fourth digit makes it no number of ours).
fn digits(b: &[u8], i: usize) -> Option<(u16, usize)> {
    let mut n: u16 = 0;
    let mut j = i;
    while j < b.len() && b[j].is_ascii_digit() {
        if j - i == 3 {
            return None;
        }
        n = n * 10 + u16::from(b[j] - b'0');
        j += 1;
    }
    (j > i).then_some((n, j))
}

/// Words that, just before a dotted number, make it a version or a section
/// of a document, not a code.
const VERSION_WORDS: [&[u8]; 9] =
    [b"version", b"ver", b"v", b"release", b"exim", b"postfix", b"sendmail", b"build", b"section"];

fn preceded_by_version_word(b: &[u8], start: usize) -> bool {
    let end = skip_back(b, start, |c| c == b' ');
    let word = &b[skip_back(b, end, |c| c.is_ascii_alphabetic())..end];
    if !word.is_empty() {
        return VERSION_WORDS.iter().any(|w| word.eq_ignore_ascii_case(w));
    }
    // Most codes follow a reply code or punctuation; a number before one may
    // be an RFC's, whose section it is: `(see RFC 5322 2.1.1)`.
    let digits = skip_back(b, end, |c| c.is_ascii_digit());
    digits < end && before_word(&b[..digits], b"rfc").is_some()
}

/// The start of the run of bytes matching `f` that ends at `end`.
fn skip_back(b: &[u8], end: usize, f: impl Fn(u8) -> bool) -> usize {
    let mut i = end;
    while i > 0 && f(b[i - 1]) {
        i -= 1;
    }
    i
}

/// The enhanced status code: the one right after the reply code when there
/// is one, else the first well-formed candidate.
fn find_status(b: &[u8], after_reply: Option<usize>) -> Option<StatusCode> {
    if let Some(end) = after_reply {
        // `550 5.1.1`, `550-5.1.1`, `550 #5.1.1`, `550 [5.1.1]`
        let mut i = end;
        while i < b.len() && matches!(b[i], b' ' | b'-' | b'#' | b'[' | b'(' | b'\t') && i - end < 4 {
            i += 1;
        }
        if let Some(code) = candidate_at(b, i) {
            return Some(code);
        }
    }
    for dot in memchr::memchr_iter(b'.', b) {
        // What parse_at needs first (a class digit, the dot, a digit), tested
        // here: most dots are in names and sentences.
        if dot == 0 || !matches!(b[dot - 1], b'2' | b'4' | b'5') || !b.get(dot + 1).is_some_and(u8::is_ascii_digit) {
            continue;
        }
        if let Some(code) = candidate_at(b, dot - 1) {
            return Some(code);
        }
    }
    None
}

/// A standalone status code starting at `i`, with its surroundings checked.
fn candidate_at(b: &[u8], i: usize) -> Option<StatusCode> {
    if i > 0 {
        let p = b[i - 1];
        if p.is_ascii_alphanumeric() || p == b'.' || p == b'_' || p == b'/' {
            return None;
        }
        // `mailman-2.1.6`, `postfix-2.11.3`: a name's version (a reply's
        // `550-5.1.1` has a digit before the hyphen).
        if p == b'-' && i >= 2 && b[i - 2].is_ascii_alphabetic() {
            return None;
        }
    }
    let (code, end) = parse_at(b, i)?;
    if let Some(&n) = b.get(end) {
        if n.is_ascii_alphanumeric() || n == b'_' || n == b'@' {
            return None;
        }
        // `5.1.1.1` is an IPv4 address, not a code.
        if n == b'.' && b.get(end + 1).is_some_and(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    if preceded_by_version_word(b, i) {
        return None;
    }
    Some(code)
}

/// The SMTP reply code and its end offset: a three-digit token in reply
/// position (start of a line, after `smtp;`, `:`, `#`, `(`, or right before an
/// enhanced code). Numbers inside prose ("over 500 messages") are not replies.
/// Also the enhanced code right after it, when that is what placed it.
fn find_reply(b: &[u8]) -> Option<(ReplyCode, usize, Option<StatusCode>)> {
    let mut i = 0;
    let limit = b.len().saturating_sub(2);
    while i < limit {
        // Skip to the next digit 2..=5, eight bytes a step.
        match first_in_range(&b[..limit], i, b'2', b'5') {
            Some(j) => i = j,
            None => break,
        }
        let c = b[i];
        if i > 0 && (b[i - 1].is_ascii_alphanumeric() || matches!(b[i - 1], b'.' | b'-' | b'_' | b'/' | b'+' | b'=') || in_ipv6(b, i)) {
            i += 1;
            continue;
        }
        let (d1, d2) = (b[i + 1], b[i + 2]);
        if !(b'0'..=b'5').contains(&d1) || !d2.is_ascii_digit() {
            i += 1;
            continue;
        }
        let end = i + 3;
        let next = b.get(end).copied();
        let boundary = match next {
            None => true,
            Some(n) if n.is_ascii_alphanumeric() || n == b'.' || n == b'_' || n == b'@' => false,
            // A time (`12:30`) or a ratio (`250/200`, cPanel's hourly limit) is no reply.
            Some(b':' | b'/') => !b.get(end + 1).is_some_and(|c| c.is_ascii_digit()),
            Some(_) => true,
        };
        if boundary {
            if let Some(after) = in_reply_position(b, i, end) {
                let code = u16::from(c - b'0') * 100 + u16::from(d1 - b'0') * 10 + u16::from(d2 - b'0');
                return Some((ReplyCode(code), end, after));
            }
        }
        i += 1;
    }
    None
}

/// Whether the digits at `i` continue an IPv6 address (`[2001:db8::250]`,
/// `2001:db8:0:250::1`): after `::`, or after `:` and a group of one to
/// four hex digits that itself follows a `:`.
fn in_ipv6(b: &[u8], i: usize) -> bool {
    if i < 2 || b[i - 1] != b':' {
        return false;
    }
    if b[i - 2] == b':' {
        return true;
    }
    // (At most five looked at: a group has four.)
    let group = b[..i - 1].iter().rev().take(5).take_while(|c| c.is_ascii_hexdigit()).count();
    (1..=4).contains(&group) && i - 1 > group && b[i - 2 - group] == b':'
}

/// `Some` when the token at `start..end` is in reply position, with the
/// enhanced code right after it when that is the reason.
fn in_reply_position(b: &[u8], start: usize, end: usize) -> Option<Option<StatusCode>> {
    // Directly followed by an enhanced code: `550 5.1.1`, `550-5.1.1`, `550 #5.1.1`.
    // (find_status would look at the same place: it skips these bytes too.)
    let mut j = end;
    while j < b.len() && matches!(b[j], b' ' | b'-' | b'#' | b'\t') && j - end < 3 {
        j += 1;
    }
    if j > end && matches!(b.get(j), Some(b'2' | b'4' | b'5')) {
        if let Some(code) = candidate_at(b, j) {
            return Some(Some(code));
        }
    }
    // Otherwise it must open the text, a line, or a clause. (A quote may be
    // escaped: JSON logs and PHP messages quote `got code \"550\"`.)
    let mut k = skip_back(b, start, |c| matches!(c, b' ' | b'\t' | b'"' | b'\'' | b'<' | b'[' | b'\\'));
    // A session transcript's arrow for what the server said (MDaemon's
    // `08:01:30: <-- 550 ...`; Sendmail's `<<<` is skipped above).
    if b[..k].ends_with(b"<--") {
        k = skip_back(b, k - 3, |c| matches!(c, b' ' | b'\t'));
    }
    // A number alone in parentheses is a count or a limit ("per hour (200)"), not a reply.
    if k > 0 && b[k - 1] == b'(' && b.get(end) == Some(&b')') {
        return None;
    }
    let opens = k == 0 || matches!(b[k - 1], b'\n' | b'\r' | b';' | b':' | b'#' | b'(' | b'>' | b']' | b'|');
    (opens || named_reply(&b[..k], b[k..start].iter().any(|&c| c == b'"' || c == b'\''))).then_some(None)
}

/// Whether `before` ends with a word that names the number after it as the
/// server's reply, as mail libraries word their exceptions: "got code 550",
/// "error code 421", and, the number quoted, `with message "550 ..."`
/// (Symfony Mailer, SwiftMailer); Coremail's notices (163.com, QQ) quote it
/// without a colon: "RCPT TO said 550 No such user here". The code a
/// library *expected* is no reply: "Expected response code 250 but got an
/// empty response" (SwiftMailer, Symfony Mailer) names what never came.
fn named_reply(before: &[u8], quoted: bool) -> bool {
    let at = before.len() - before.iter().rev().take_while(|c| c.is_ascii_alphabetic()).count();
    let word = &before[at..];
    if word.eq_ignore_ascii_case(b"code") {
        // "expected code" or "expected response code".
        let rest = &before[..at];
        return before_word(rest, b"expected").is_none() && before_word(rest, b"response").and_then(|r| before_word(r, b"expected")).is_none();
    }
    // Ruby's Net::SMTP names its exception before the reply: `Net::SMTPFatalError 550 ...`.
    let ruby = word.starts_with(b"SMTP") && before[..at].ends_with(b"Net::");
    ruby || word.eq_ignore_ascii_case(b"said") || (quoted && word.eq_ignore_ascii_case(b"message"))
}

/// When `b`, trailing blanks aside, ends with the word `w` (any case): what
/// comes before it.
fn before_word<'a>(b: &'a [u8], w: &[u8]) -> Option<&'a [u8]> {
    let b = b.trim_ascii_end();
    let start = b.len().checked_sub(w.len())?;
    (b[start..].eq_ignore_ascii_case(w) && (start == 0 || !b[start - 1].is_ascii_alphabetic())).then_some(&b[..start])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(t: &str) -> Option<String> {
        find_codes(t).status.map(|s| s.to_string())
    }
    fn rc(t: &str) -> Option<u16> {
        find_codes(t).reply.map(|r| r.get())
    }

    #[test]
    fn finds_codes_in_the_usual_places() {
        assert_eq!(st("550 5.1.1 <a@b.example>: User unknown").as_deref(), Some("5.1.1"));
        assert_eq!(rc("550 5.1.1 <a@b.example>: User unknown"), Some(550));
        assert_eq!(st("550-5.7.26 This mail is unauthenticated").as_deref(), Some("5.7.26"));
        assert_eq!(st("#5.1.1 smtp;550 5.1.1 RESOLVER.ADR.RecipNotFound").as_deref(), Some("5.1.1"));
        assert_eq!(rc("#5.1.1 smtp;550 5.1.1 RESOLVER.ADR.RecipNotFound"), Some(550));
        assert_eq!(st("smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound").as_deref(), Some("5.1.10"));
        assert_eq!(st("550 5.7.606 Access denied, banned sending IP").as_deref(), Some("5.7.606"));
        assert_eq!(rc("host mx.example[192.0.2.1] said: 452 4.2.2 over quota"), Some(452));
        assert_eq!(st("Diagnostic: mailbox unavailable (status 5.2.1)").as_deref(), Some("5.2.1"));
        assert_eq!(rc("550-5.1.1 first line\n550 5.1.1 last line"), Some(550));
        // A library's message quoting the reply with escaped quotes (a JSON log).
        assert_eq!(rc(r#"Expected response code 354 but got code \"503\", with message \"503 Error: need RCPT command\r\n\""#), Some(503));
        assert_eq!(rc(r#"Expected response code \"250\" but got an empty response"#), None);
        // Transcripts: Sendmail's `<<<` and MDaemon's `<--` mark the server's answers.
        assert_eq!(rc("<<< 554 5.7.1 rejected"), Some(554));
        assert_eq!(rc("Wed 2026-08-05 08:01:30: <-- 500 Message rejected"), Some(500));
        assert_eq!(rc("Net::SMTPServerBusy 450 Your account reached its email quota limit"), Some(450));
        assert_eq!(rc("Net::SMTPFatalError 550 5.7.1 Reject for policy reason"), Some(550));
        assert_eq!(rc("SMTPFatalError 550 bytes"), None);
        // The last group of an IPv6 address is no reply.
        assert_eq!(rc("Access denied, the sending IPv6 address [2a01:111:f200:2004::240] must have a reverse DNS record"), None);
        assert_eq!(rc("from [2001:db8:0:250:1::7]"), None);
        assert_eq!(rc("said: 550 no"), Some(550));
        assert_eq!(rc("code:550 no such user"), Some(550));
        // A count out of a limit is no reply.
        assert_eq!(rc("Domain example.com has exceeded the max emails per hour (250/200 (125%) allowed."), None);
        assert_eq!(rc("Domain example.com has exceeded the max emails per hour (200) allowed."), None);
        assert_eq!(rc("host said (550 no such user)"), Some(550));
        assert_eq!(rc("SMTP error, RCPT TO: Host example.org(192.0.2.1) RCPT TO said 550 No such user here"), Some(550));
        assert_eq!(rc("the host said 5 times"), None);
        // What a library expected is not what the server said.
        assert_eq!(rc("Expected response code 250 but got an empty response"), None);
        assert_eq!(rc("Expected response code 250 but got code \"550\", with message \"550 5.1.1 User unknown\""), Some(550));
        assert_eq!(rc("expected code 354 but got an empty response"), None);
        // Named by the word before it, as mail libraries' exceptions do.
        assert_eq!(rc(r#"Expected response code "250" but got code "550", with message "550 Mailbox unavailable""#), Some(550));
        assert_eq!(rc(r#"Expected response code 354 but got code "421", with message "421 Try again later""#), Some(421));
        assert_eq!(rc("SMTP error code 452 too many recipients"), Some(452));
        assert_eq!(rc("the message 550 bytes long"), None);
    }

    #[test]
    fn rejects_look_alikes() {
        assert_eq!(st("connection to 5.1.1.1 refused"), None);
        assert_eq!(st("relay 10.5.1.1 timed out"), None);
        assert_eq!(st("Exim 4.96 on mx.example"), None);
        assert_eq!(st("Postfix 2.11.3 says hi"), None);
        assert_eq!(st("version 4.2.1 of the filter"), None);
        // Sections of documents, cited in a reply's explanation.
        assert_eq!(st("550 Maximum line length exceeded (see RFC 5322 2.1.1)."), None);
        assert_eq!(st("see RFC5322 section 3.6.2"), None);
        assert_eq!(st("550 5.7.1 see RFC 5322 2.1.1").as_deref(), Some("5.7.1"));
        assert_eq!(st("error 5.9.999 happened"), None);
        assert_eq!(st("on 5.11.2023 the host"), None);
        assert_eq!(st("id 5.1.1234"), None);
        assert_eq!(st("Command died with status 8: \"/mail/mailman-2.1.6/mail/mailman bounces\""), None);
        assert_eq!(st("smtp;550-5.1.1 no such user").as_deref(), Some("5.1.1"));
        assert_eq!(rc("we sent over 500 messages today"), None);
        assert_eq!(rc("port 25 and 4250 bytes"), None);
        assert_eq!(rc("at 12:30:45 the host said"), None);
        assert_eq!(rc("user550 unknown"), None);
        assert_eq!(rc("items 1 -- 250 of 300"), None);
    }

    #[test]
    fn class_disagreement_is_visible() {
        let f = find_codes("550 4.2.2 mailbox full");
        assert!(f.classes_disagree());
        assert_eq!(f.class_digit(), Some(4));
        assert!(!find_codes("550 5.2.2 mailbox full").classes_disagree());
    }

    #[test]
    fn parse_is_strict() {
        assert!("5.1.1".parse::<StatusCode>().is_ok());
        assert!(" 4.7.650 ".parse::<StatusCode>().is_ok());
        for bad in ["", "5.1", "5.1.1.1", "3.1.1", "5.8.1", "5.1.1000", "a.b.c", "5..1"] {
            assert!(bad.parse::<StatusCode>().is_err(), "{bad}");
        }
    }
}
