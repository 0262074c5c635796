//! The generic extractor for human-readable bounce text.
//!
//! Most MTAs write the same shape: some boilerplate, then per recipient an
//! address (`<addr>:`, `addr`, `addr: text`, `550 5.1.1 <addr>... text`,
//! `Recipient: addr`) followed by the diagnostic, then a marker after which
//! the original message is copied. This module finds the copy's start (so no
//! recipient is ever read from it) and the recipient blocks before it.

use std::borrow::Cow;

use super::util::{address_span, contains_ci, ends_with_ci, find_address, find_ci, lines, starts_with_ci, trim, Literals};
use super::{Draft, Hit};

/// Lines (lowercase, trimmed) that announce the copy of the original
/// message: everything from such a line on is the sender's own message.
const ORIGINAL_MARKERS: &[&str] = &[
    "below this line is a copy of the message",
    "this is a copy of the message",
    // Exim's wording when it returns a message it refused to send on.
    "this is a copy of your message",
    "copy of the message",
    "original message follows",
    "original message -----",
    "----- original message",
    "-----original message-----",
    "original message --",
    "message header follows",
    "message headers follow",
    "unsent message follows",
    "no message was collected",
    "enclosed is a copy of the message",
    "header of the original message",
    "original message header",
    "original message headers",
    "content-type: message/rfc822",
    "content-type: text/rfc822-headers",
    "returned message follows",
    "the original message was included as attachment",
    "original message below",
    "your original message follows",
    "headers of the original message",
    "--- original message",
    "------ original message",
    "returned mail follows",
    "message text follows",
    "text of the message follows",
    "partial message follows",
    // A campus server's own notice: the original's headers and body follow.
    "summary of the undelivered message",
    "the original message is attached",
    "[original message]",
    "=== original message",
    "------ failed message ------",
    "---- start of returned message",
    "------- returned message",
    "-------original message",
    // Gmail's and Yahoo's forward rule, which some relays put before the original.
    "---------- forwarded message ----------",
    "-------original mail info",
    "original mail headers",
    // fml's notices.
    "original mail as follows",
    "the attachment contains the original",
    // Zoho pastes the original's headers unannounced, in its own no-space form.
    "received:from ",
    // Chinese qmail notices (Sina): "the attachment holds a copy of the original letter".
    "原信件的一份拷贝",
];

/// Header-like lines that, after a blank line, start a pasted copy of the
/// original headers.
const HEADER_STARTS: &[&str] = &["return-path: <", "received: from ", "received: by ", "dkim-signature:", "x-originating-ip:"];

/// The part of a report's text before the copy of the original message.
pub(crate) fn cut_original(t: &str) -> &str {
    &t[..original_start(t)]
}

/// What several extractors ask of each of a report's texts, found once per
/// text: its ASCII-lowercase copy (for case-insensitive searches with
/// vectorised case-sensitive ones) and where the copy of the original
/// message begins.
pub(crate) struct TextFacts<'a> {
    texts: &'a [Cow<'a, str>],
    /// Per text, its lowercase copy and its cut, once found. (A report has
    /// one or two texts: kept inline, no allocation.)
    facts: smallvec::SmallVec<[Facts; 2]>,
}

/// One text's lowercase copy and cut, each found on first use.
type Facts = (std::cell::OnceCell<Vec<u8>>, std::cell::OnceCell<usize>);

impl<'a> TextFacts<'a> {
    pub(crate) fn new(texts: &'a [Cow<'a, str>]) -> Self {
        let facts = texts.iter().map(|_| Default::default()).collect();
        TextFacts { texts, facts }
    }

    /// Text `i`, ASCII-lowercased (same length, same offsets).
    pub(crate) fn lower(&self, i: usize) -> &[u8] {
        self.facts[i].0.get_or_init(|| self.texts[i].as_bytes().to_ascii_lowercase())
    }

    /// Whether text `i` holds `needle`'s (lowercase) needle, ignoring ASCII
    /// case. The searcher is the caller's, built once: building one costs
    /// more than searching a report's text.
    pub(crate) fn holds(&self, i: usize, needle: &memchr::memmem::Finder<'_>) -> bool {
        needle.find(self.lower(i)).is_some()
    }

    /// Text `i` up to the copy of the original message.
    pub(crate) fn body(&self, i: usize) -> &'a str {
        let t = &self.texts[i];
        &t[..*self.facts[i].1.get_or_init(|| original_start_in(t, self.lower(i)))]
    }

    /// Text `i` up to the copy of the original message, ASCII-lowercased.
    pub(crate) fn lower_body(&self, i: usize) -> &[u8] {
        let n = self.body(i).len();
        &self.lower(i)[..n]
    }

    /// How many texts there are.
    pub(crate) fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether text `i`, up to the copy of the original message, holds one
    /// of `addresses` (lowercase), ignoring ASCII case (see [`holds_any`]).
    pub(crate) fn body_holds_any(&self, i: usize, addresses: &[String]) -> bool {
        holds_any(self.lower_body(i), addresses)
    }

    /// [`TextFacts::body_holds_any`] for the whole text: what its body
    /// holds, the whole text holds too, and this needs no cut.
    pub(crate) fn holds_any(&self, i: usize, addresses: &[String]) -> bool {
        holds_any(self.lower(i), addresses)
    }

    /// Every text up to the copy of the original message, in order.
    pub(crate) fn bodies(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.texts.len()).map(|i| self.body(i))
    }
}

/// Whether a lowercased text holds one of `addresses` (lowercase).
///
/// An address with an `@` is looked for only at the text's `@`s (few in
/// a report): one vectorised scan instead of a searcher built per address.
fn holds_any(lower: &[u8], addresses: &[String]) -> bool {
    let at = |a: &String| memchr::memchr(b'@', a.as_bytes());
    if addresses.iter().any(|a| at(a).is_none() && memchr::memmem::find(lower, a.as_bytes()).is_some()) {
        return true;
    }
    memchr::memchr_iter(b'@', lower).any(|p| addresses.iter().any(|a| at(a).is_some_and(|k| p >= k && lower[p - k..].starts_with(a.as_bytes()))))
}

/// Where the copy of the original message begins in `t` (`t.len()` when it
/// has none): the first line after the first that announces the copy, or
/// that starts a pasted header block after a blank line.
///
/// One scan of the whole text finds the lines that may qualify (no marker
/// spans a line break, so every qualifying line holds a match); only those
/// are then checked line by line.
pub(crate) fn original_start(t: &str) -> usize {
    original_start_in(t, &t.as_bytes().to_ascii_lowercase())
}

/// [`original_start`] given the text's ASCII-lowercase copy, which lets a
/// case-sensitive vectorised searcher ([`Literals`]) do the scan.
fn original_start_in(t: &str, lower: &[u8]) -> usize {
    let b = t.as_bytes();
    let mut checked = usize::MAX;
    for m in candidate_markers().find_iter(lower) {
        let start = memchr::memrchr(b'\n', &b[..m.start()]).map_or(0, |i| i + 1);
        if start == checked || start == 0 {
            continue;
        }
        checked = start;
        let end = memchr::memchr(b'\n', &b[m.start()..]).map_or(b.len(), |i| m.start() + i + 1);
        let prev_start = memchr::memrchr(b'\n', &b[..start - 1]).map_or(0, |i| i + 1);
        if is_cut_line(&t[start..end], &t[prev_start..start], &lower[start..end]) && !forwards_a_notice(&lower[start..end], &t[end..]) {
            return start;
        }
    }
    t.len()
}

/// Whether a "Forwarded message" line introduces a forwarded notice (its
/// header block names a mailer daemon as the sender), not the original: a
/// relay's forward rule puts the line before the original, a person who
/// forwards a bounce puts it before the bounce.
fn forwards_a_notice(lower_line: &[u8], after: &str) -> bool {
    memchr::memmem::find(lower_line, b"forwarded message").is_some()
        && lines(after).map(trim).skip_while(|l| l.is_empty()).take_while(|l| !l.is_empty()).take(6).any(notice_from)
}

/// Whether `line` (its `\n` included) starts the copy of the original
/// message, given the line before it and the line's ASCII-lowercase copy.
fn is_cut_line(line: &str, prev: &str, lower_line: &[u8]) -> bool {
    let trimmed = trim(line);
    if trimmed.len() >= 120 || trimmed.is_empty() {
        return false;
    }
    // A separator rule (`-----`) before pasted headers counts as a blank line.
    let p = trim(prev);
    let prev_blank = p.is_empty() || (p.len() >= 10 && p.bytes().all(|b| b == b'-' || b == b'='));
    // Trimming drops ASCII blanks and whole non-ASCII characters, which
    // lowercasing leaves alone: the lowercase line trims at the same offsets.
    let lead = trimmed.as_ptr() as usize - line.as_ptr() as usize;
    original_markers().is_match(&lower_line[lead..lead + trimmed.len()])
        || (prev_blank && !line.starts_with([' ', '\t']) && HEADER_STARTS.iter().any(|h| starts_with_ci(trimmed, h)))
}

/// One automaton for every marker (lowercase), to check one lowercased
/// line.
///
/// Case-sensitive over the lowercase copy, and a contiguous NFA rather than
/// the DFA the builder picks for so few patterns: it reads only the few
/// candidate lines of a text, and the ASCII-case-insensitive DFA cost ~7M
/// instructions to build, once per process (a CLI run or a short Python
/// session pays it whole).
fn original_markers() -> &'static aho_corasick::AhoCorasick {
    static AC: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    AC.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(ORIGINAL_MARKERS.iter().map(|m| m.to_ascii_lowercase()))
            .expect("a few short literals always build")
    })
}

/// Pieces of the markers and of the header starts (lowercase): each of
/// them holds at least one (a test checks), so every line that may start
/// the copy holds one. Few patterns keep the whole-text scan on the
/// searcher's fastest (slim) vectorised search; the lines found are then
/// checked against the markers themselves. The pieces are the markers'
/// rarer words: the scan stops wherever a text holds a piece's first
/// bytes, and a report says "message" all over.
const CANDIDATE_PIECES: &[&str] = &[
    "copy of",
    "original",
    "header",
    "unsent",
    "collected",
    "rfc822",
    "returned",
    "text follows",
    "text of the",
    "partial",
    "failed message",
    "undelivered message",
    "forwarded message",
    "attachment",
    "received:",
    "return-path:",
    "dkim-signature:",
    "x-originating-ip:",
    "原信件",
];

/// [`CANDIDATE_PIECES`] in one searcher, to find candidate lines in one
/// pass over a whole lowercased text.
fn candidate_markers() -> &'static Literals {
    static AC: std::sync::OnceLock<Literals> = std::sync::OnceLock::new();
    AC.get_or_init(|| Literals::new(CANDIDATE_PIECES))
}

/// Labels that may precede a recipient's address at the start of a line.
fn label_ok(label: &str) -> bool {
    let l = trim(label);
    if l.is_empty() || l == "<" || l == "\"" || l == "'" {
        return true;
    }
    let core = l.trim_end_matches(['<', ' ', '"', '\'', '(', '[']);
    // Chinese notices' "无法发送到" ("could not be sent to") takes no
    // colon, nor does the English of the same notices ("Unable to send to").
    if CJK_TARGETS.iter().any(|p| core.ends_with(p)) || ends_with_ci(core, "unable to send to") {
        return true;
    }
    if !(core.ends_with(':') || core.ends_with('：') || core.ends_with('-')) {
        return false;
    }
    // A short label: "To:", "RCPT TO:", "Recipient address:", "宛先：", "Failed recipient:".
    if l.chars().count() > 40 || l.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    // The sender's or the original message's own headers name no recipient,
    // nor does a report's "System Contact:", in English or another language
    // (German "Absender", "Von:"; Chinese 发件人/寄件人; Japanese 差出人/送信者;
    // Korean 발신/보낸 사람; French, Spanish and Italian words for the sender).
    // (ASCII case is enough: no other character lowercases to these words.)
    let mut buf = [0u8; 160];
    let lower = &mut buf[..l.len()];
    lower.copy_from_slice(l.as_bytes());
    lower.make_ascii_lowercase();
    let has = |w: &str| lower.windows(w.len()).any(|x| x == w.as_bytes());
    const SENDER_WORDS: [&str; 17] = [
        "from", "sender", "reply", "return", "message-id", "contact", "absender", "von:", "发件人", "寄件人", "差出人", "送信者", "발신", "보낸",
        "expéditeur", "remitente", "mittente",
    ];
    !SENDER_WORDS.into_iter().any(has)
}

/// Phrases that introduce the failed recipient without a colon.
const CJK_TARGETS: [&str; 2] = ["无法发送到", "无法投递到"];

/// Labels that only say "this is the recipient".
fn is_address_label(label: &str) -> bool {
    const PLAIN: &[&str] = &[
        "to", "rcpt to", "rcpt", "recipient", "recipients", "recipient address", "address", "addresses", "original recipient",
        "final recipient", "failed recipient", "failed address", "e-mail address", "email address", "mail address", "user", "mailbox",
        "destination", "宛先", "受信者", "could not be delivered to", "delivery to", "undeliverable to",
    ];
    // Words that say what went wrong: "Unknown user:" is a verdict, not a label.
    const FAULT: &[&str] = &["unknown", "invalid", "illegal", "bad ", "no such", "inactive", "disabled", "not found", "rejected"];
    // An ASCII label is compared without a lowercase copy; lowercasing may
    // change a non-ASCII label's length, so that one is copied.
    let owned;
    let (l, ascii) = if label.is_ascii() {
        (label, true)
    } else {
        owned = label.to_lowercase();
        (owned.as_str(), false)
    };
    let eq = |a: &[u8], b: &[u8]| if ascii { a.eq_ignore_ascii_case(b) } else { a == b };
    let lb = l.as_bytes();
    let is = |p: &str| eq(lb, p.as_bytes());
    let after_space = |p: &str| lb.len() > p.len() && eq(&lb[lb.len() - p.len()..], p.as_bytes()) && lb[lb.len() - p.len() - 1] == b' ';
    let has = |f: &str| if ascii { contains_ci(l, f) } else { l.contains(f) };
    PLAIN.iter().chain(&CJK_TARGETS).any(|p| is(p) || after_space(p) && l.len() < p.len() + 12 && !FAULT.iter().any(|f| has(f)))
}

/// `550 5.1.1 <addr>... text`: a reply line that names the recipient first.
fn reply_prefix_ok(label: &str) -> bool {
    let l = trim(label).trim_end_matches(['<', ' ']);
    let mut it = l.split_whitespace();
    let Some(first) = it.next() else { return false };
    let code = first.trim_end_matches('-');
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) || !matches!(code.as_bytes()[0], b'4' | b'5') {
        return false;
    }
    match it.next() {
        None => true,
        Some(s) => {
            s.trim_start_matches('#').parse::<crate::StatusCode>().is_ok() && it.next().is_none()
        }
    }
}

/// The recipient a line introduces, and the rest of the line (its first diagnostic words).
/// Both are borrowed from the line unless the diagnostic had to be put
/// together: most lines read are no new recipient's, and nothing of them
/// is kept.
pub(crate) fn recipient_line(line: &str) -> Option<(&str, Cow<'_, str>)> {
    let t = trim(line);
    // The address is copied only once the line turns out to name a recipient.
    let (begin, st, en) = address_span(t, 0)?;
    let label = &t[..st];
    let whole_line_diag = reply_prefix_ok(label);
    if !label_ok(label) && !whole_line_diag {
        return None;
    }
    let rest = t[en..].trim_start_matches(['>', '"', '\'', ']', ')']);
    // `addr` must be followed by the end, `:`, `...`, whitespace, `,` or `;`.
    if let Some(c) = rest.chars().next() {
        if !(c == ':' || c == '.' || c.is_whitespace() || c == ',' || c == ';' || c == '(' || c == '：') {
            return None;
        }
        // A bare address opening a line, then a comma: a list goes on with
        // another address; words are a sentence that a hard wrap split
        // inside an address ("identity list-\nowner@example.org, and ip
        // 192.0.2.1"): no recipient line.
        if c == ',' && st == 0 {
            let after = trim(&rest[1..]);
            if !after.is_empty() && address_span(after, 0).is_none_or(|(_, label_end, _)| label_end > 1) {
                return None;
            }
        }
    }
    let diag = if whole_line_diag {
        Cow::Borrowed(t)
    } else {
        let rest = trim(rest.trim_start_matches([':', '.', ',', ';', '：']));
        // A label that says what went wrong (`Unknown user: addr`) is diagnostic text too.
        let label = trim(trim(label).trim_end_matches(['<', ' ', '"', '\'', '(', '[']).trim_end_matches([':', '：', '-']));
        if label.chars().count() > 2 && !is_address_label(label) {
            Cow::Owned(format!("{label}: {rest}").trim_end_matches([' ', ':']).to_string())
        } else {
            Cow::Borrowed(rest)
        }
    };
    Some((&t[begin..en], diag))
}

/// Bytes a recipient block's diagnostic starts with room for (most
/// blocks' texts fit: one allocation instead of one per doubling).
const BLOCK_ROOM: usize = 256;

/// Recipient blocks of a text: each address line and the lines under it.
pub(crate) fn recipients_in(block: &str) -> Vec<Hit> {
    recipients_named(block, None)
}

/// [`recipients_in`], finished only for the blocks whose address is one of
/// `wanted` (lowercase) when that is given: the others are left as read
/// (their success replies kept), and no block's SMTP command is looked for.
/// Where only some recipients' diagnostics are sought, that is the same
/// answer for less work.
fn recipients_named(block: &str, wanted: Option<&[String]>) -> Vec<Hit> {
    let finish = |h: &Hit| wanted.is_none_or(|w| w.iter().any(|a| h.recipient.eq_ignore_ascii_case(a)));
    let (mut hits, head, more_preamble) = read_blocks(block, wanted);
    if hits.len() != 1 || !finish(&hits[0]) {
        return hits;
    }
    // The lines before the recipient's are read only for what they may
    // add: a stage (only their last line tells it), or a diagnostic when
    // the recipient's own says no failure. Most blocks need neither, and a
    // report's boilerplate before its first address can be long.
    let seek_command = hits[0].command.is_none() && wanted.is_none();
    let own_fails = !trim(&hits[0].diagnostic).is_empty() && tells_failure(&hits[0].diagnostic);
    // One recipient whose stage is told just before it (DragonFly's
    // `host did not like our RCPT TO:` line, then the reply).
    // Only a line that names no address: `MAIL FROM: a@b` in a quoted
    // envelope summary is not a stage.
    if seek_command {
        let last = more_preamble.last().copied().or_else(|| head.rsplit('\n').map(trim).find(|t| !t.is_empty()));
        if let Some(last) = last.filter(|l| find_address(l).is_none()) {
            hits[0].command = super::util::detect_command(last).map(str::to_string);
        }
    }
    if own_fails {
        return hits;
    }
    let preamble: Vec<&str> = lines(head).map(trim).filter(|t| !t.is_empty()).chain(more_preamble).collect();
    // One recipient named after its error (`Error message below: 550 ...` then
    // `RCPT TO: addr`): the coded lines before it are its diagnostic.
    if trim(&hits[0].diagnostic).is_empty() && !preamble.is_empty() {
        // `Failure reasons: ...` then the address: the reason came first.
        let from = preamble.len().saturating_sub(4);
        hits[0].diagnostic = preamble[from..].join("\n");
    } else if !preamble.is_empty() {
        // (Without lines before it, there is nothing to add.)
        // Only a failure code counts: a stray `222` (a byte count in a
        // quoted summary) is no reply.
        let coded: Vec<&str> = preamble.iter().copied().filter(|l| tells_failure(l)).collect();
        if !coded.is_empty() {
            let own = std::mem::take(&mut hits[0].diagnostic);
            hits[0].diagnostic = format!("{}\n{own}", coded.join("\n"));
        }
    }
    hits
}

/// The recipient blocks of `block` (success replies dropped from those
/// [`recipients_named`] finishes), the text before the first `@` line and
/// the lines after it read before the first recipient: the preamble a lone
/// recipient may need.
fn read_blocks<'a>(block: &'a str, wanted: Option<&[String]>) -> (Vec<Hit>, &'a str, Vec<&'a str>) {
    let finish = |h: &Hit| wanted.is_none_or(|w| w.iter().any(|a| h.recipient.eq_ignore_ascii_case(a)));
    let mut hits: Vec<Hit> = Vec::new();
    let mut cur: Option<usize> = None;
    // A recipient line holds an `@`: the lines before the first one are
    // preamble, read only if a lone recipient turns out to need them.
    let b = block.as_bytes();
    let head = memchr::memchr(b'@', b).map_or(b.len(), |at| memchr::memrchr(b'\n', &b[..at]).map_or(0, |i| i + 1));
    let (head, rest) = block.split_at(head);
    let mut more_preamble: Vec<&str> = Vec::new();
    // Inside a forwarded notice's own header block (see `notice_from`).
    let mut notice_header = lines(head).map(trim).fold(false, |open, t| !t.is_empty() && (open || notice_from(t)));
    for line in lines(rest) {
        let t = trim(line);
        if t.is_empty() {
            notice_header = false;
            continue;
        }
        notice_header |= notice_from(t);
        // A section heading ("----- Delivery to the following addresses
        // failed -----") ends the block above it: it opens the next list.
        if is_heading(t) {
            cur = None;
            continue;
        }
        // Each line is read as a recipient line once.
        let named = if notice_header && (starts_with_ci(t, "to:") || starts_with_ci(t, "cc:")) { None } else { recipient_line(line) };
        if cur.is_none() && named.is_none() {
            more_preamble.push(t);
            continue;
        }
        // A reply that completes the current block's sentence ("... after
        // end of data:" then "550 5.2.0 <sender@x> From: ...") belongs to
        // it, even when it names another address.
        let continues = cur.is_some_and(|i| hits[i].diagnostic.trim_end().ends_with(':'))
            && t.as_bytes().first().is_some_and(u8::is_ascii_digit)
            // Postfix's `<a@b> (expanded from` wrapped before the alias's
            // address: the alias and its reply are the same block.
            || cur.is_some_and(|i| ends_with_ci(hits[i].diagnostic.trim_end(), "(expanded from"));
        if continues {
            let h = &mut hits[cur.unwrap()];
            h.diagnostic.push('\n');
            h.diagnostic.push_str(t);
            continue;
        }
        if let Some((addr, diag)) = named {
            let same_as_current = cur.is_some_and(|i| hits[i].recipient.eq_ignore_ascii_case(addr));
            if same_as_current {
                let h = &mut hits[cur.unwrap()];
                if !h.diagnostic.is_empty() {
                    h.diagnostic.push('\n');
                }
                h.diagnostic.push_str(t);
                continue;
            }
            if let Some(i) = hits.iter().position(|h| h.recipient.eq_ignore_ascii_case(addr)) {
                cur = Some(i);
                if !diag.is_empty() {
                    let h = &mut hits[i];
                    if !h.diagnostic.is_empty() {
                        h.diagnostic.push('\n');
                    }
                    h.diagnostic.push_str(&diag);
                }
                continue;
            }
            // A transcript line (`>>> RCPT To:<addr>`) names the stage too.
            let command = if wanted.is_none() && t.starts_with(">>>") { super::util::detect_command(t).map(str::to_string) } else { None };
            // Room for the lines under it: a block's text grows a line at a time.
            let mut diagnostic = String::with_capacity(diag.len().max(BLOCK_ROOM));
            diagnostic.push_str(&diag);
            hits.push(Hit { recipient: addr.to_string(), diagnostic, command, ..Hit::default() });
            cur = Some(hits.len() - 1);
            continue;
        }
        if let Some(i) = cur {
            let h = &mut hits[i];
            if !h.diagnostic.is_empty() {
                h.diagnostic.push('\n');
            }
            h.diagnostic.push_str(t);
        }
    }
    for h in &mut hits {
        if finish(h) {
            drop_success_replies(&mut h.diagnostic);
        }
    }
    (hits, head, more_preamble)
}

/// Whether a trimmed line is a heading between dashes that opens a list of
/// addresses (Stalwart's, Sendmail's "The following addresses had permanent
/// fatal errors"); a transcript's heading continues the block above.
fn is_heading(t: &str) -> bool {
    t.len() > 10 && t.starts_with("---") && t.ends_with("---") && !t.contains('@') && contains_ci(t, "addresses")
}

/// The `From:` line of a notice's own header block, as a mail client quotes
/// it when someone forwards the notice ("---------- Forwarded message",
/// "-----Original Message-----", "Begin forwarded message:"). The `To:` and
/// `Cc:` lines of that block name whom the notice was sent to (the sender of
/// the failed message, often the forwarder), never a failed recipient.
///
/// The words are those of a mail system's `From` that make a report
/// ([`super::formats::SYSTEM_SENDERS`]), and Exchange's own sender: quoted
/// before a notice's text, it names that notice's author. (Alone it makes
/// no report: Exchange also sends quota warnings and meeting notices.)
fn notice_from(t: &str) -> bool {
    starts_with_ci(t, "from:") && super::formats::SYSTEM_SENDERS.iter().chain(&["microsoftexchange"]).any(|w| contains_ci(t, w))
}

/// Whether a text's codes say failure (class 4 or 5). The class is the
/// first digit of a code in the text: a text without a 4 or a 5 is not
/// read for codes.
fn tells_failure(t: &str) -> bool {
    memchr::memchr2(b'4', b'5', t.as_bytes()).is_some() && crate::find_codes(t).class_digit().is_some_and(|c| c >= 4)
}

/// A session transcript lists the replies that went well ("250 2.1.5 Ok",
/// "354 End data with ...") before the one that failed: when a line carries
/// a failure code, the lines whose code says success are no diagnostic.
fn drop_success_replies(diag: &mut String) {
    // One line has one class: it takes two lines to have both kinds, and
    // a digit of each kind (a code's class is its first digit).
    let b = diag.as_bytes();
    if memchr::memchr(b'\n', b).is_none() || memchr::memchr2(b'2', b'3', b).is_none() || memchr::memchr2(b'4', b'5', b).is_none() {
        return;
    }
    // A code's class is its first digit, 2 to 5: a line without one has no code.
    let class = |l: &str| {
        if l.bytes().any(|b| (b'2'..=b'5').contains(&b)) {
            crate::find_codes(l).class_digit()
        } else {
            None
        }
    };
    let (mut failed, mut succeeded) = (false, false);
    for l in lines(diag) {
        // The class is a digit of the line: a line with no digit of a kind
        // not seen yet (2 or 3 for success, 4 or 5 for failure) cannot change
        // what is known, and is not read for codes.
        let b = l.as_bytes();
        let may_tell = (!succeeded && memchr::memchr2(b'2', b'3', b).is_some()) || (!failed && memchr::memchr2(b'4', b'5', b).is_some());
        if !may_tell {
            continue;
        }
        // (The line holds a digit from 2 to 5: `class` would read it.)
        match crate::find_codes(l).class_digit() {
            Some(c) if c >= 4 => failed = true,
            Some(_) => succeeded = true,
            None => {}
        }
        if failed && succeeded {
            break;
        }
    }
    if !failed || !succeeded {
        return;
    }
    let kept: Vec<&str> = lines(diag).filter(|l| class(l).is_none_or(|c| c >= 4)).collect();
    *diag = kept.join("\n");
}

/// Recipient blocks of a Sendmail session transcript. Sendmail writes what
/// it sent and what the remote answered (`>>> MAIL From:...`, `<<< 550 ...`)
/// first, then its own summary per recipient (`554 <addr>... Remote protocol
/// error`): the lines of a session before a recipient's summary are that
/// recipient's, and a new `While talking to host:` starts a new session.
pub(crate) fn transcript_recipients(block: &str) -> Vec<Hit> {
    let mut hits: Vec<Hit> = Vec::new();
    let mut pending: Vec<&str> = Vec::new();
    for line in lines(block) {
        let t = trim(line);
        if t.is_empty() {
            continue;
        }
        if starts_with_ci(t, "while talking to ") {
            pending.clear();
            continue;
        }
        // Section rules (`----- Transcript of session follows -----`) say nothing.
        if t.starts_with("-----") && t.ends_with("-----") {
            continue;
        }
        let Some((addr, diag)) = recipient_line(line) else {
            // Plain words right under a recipient's line continue it; a reply
            // or a command opens the next recipient's part of the session.
            let coded = t.starts_with("<<<") || t.starts_with(">>>") || t.as_bytes().first().is_some_and(u8::is_ascii_digit);
            match hits.last_mut() {
                Some(h) if pending.is_empty() && !coded => {
                    h.diagnostic.push('\n');
                    h.diagnostic.push_str(t);
                }
                _ => pending.push(t),
            }
            continue;
        };
        if let Some(h) = hits.iter_mut().find(|h| h.recipient.eq_ignore_ascii_case(addr)) {
            // The remote's reply and the summary for a recipient already named.
            for l in pending.drain(..).chain(std::iter::once(t)) {
                h.diagnostic.push('\n');
                h.diagnostic.push_str(l);
            }
            continue;
        }
        let command = pending
            .iter()
            .rev()
            .chain(std::iter::once(&t))
            .filter(|l| l.starts_with(">>>"))
            .find_map(|l| super::util::detect_command(l))
            .map(str::to_string);
        let mut text: Vec<&str> = pending.drain(..).filter(|l| !l.starts_with(">>>")).collect();
        text.push(if diag.is_empty() { t } else { &diag });
        let mut diagnostic = text.join("\n");
        drop_success_replies(&mut diagnostic);
        hits.push(Hit { recipient: addr.to_string(), diagnostic, command, ..Hit::default() });
    }
    // Classic Sendmail lists the failed addresses before the transcript: a
    // session left with no summary line after it belongs to the recipients
    // above it (to each one its domain's lines, or all to a lone recipient).
    if !pending.is_empty() {
        let lone = hits.len() == 1;
        for h in &mut hits {
            let domain = h.recipient.rsplit('@').next().unwrap_or("");
            let own: Vec<&str> = pending.iter().copied().filter(|l| lone || contains_ci(l, domain)).collect();
            if h.command.is_none() {
                h.command = own.iter().filter(|l| l.starts_with(">>>")).find_map(|l| super::util::detect_command(l)).map(str::to_string);
            }
            for l in own.into_iter().filter(|l| !l.starts_with(">>>")) {
                h.diagnostic.push('\n');
                h.diagnostic.push_str(l);
            }
            drop_success_replies(&mut h.diagnostic);
        }
    }
    hits
}

/// The error block of a text already cut before the copy of the original
/// message: from the first start marker (if any is given and found) on.
pub(crate) fn error_block<'a>(body: &'a str, start: &[&str]) -> &'a str {
    for s in start {
        if let Some(i) = find_ci(body, s) {
            let from = body[..i].rfind('\n').map(|j| j + 1).unwrap_or(0);
            return &body[from..];
        }
    }
    body
}

/// Fills what a DSN left out (diagnostic, SMTP command) from the human text.
pub(crate) fn complete_from_text(texts: &TextFacts<'_>, d: &mut Draft) {
    for h in &mut d.hits {
        if let Some(whole) = cut_reply(&h.diagnostic).and_then(|first| whole_reply(texts, first)) {
            h.diagnostic = whole;
        }
    }
    let needs = d.hits.iter().any(|h| trim(&h.diagnostic).is_empty() || h.command.is_none());
    if !needs {
        return;
    }
    // Only a block naming one of these recipients is used, and a block's
    // address is a piece of the text: a text naming none of them needs no
    // reading.
    let wanted: Vec<String> = d
        .hits
        .iter()
        .filter(|h| trim(&h.diagnostic).is_empty() || h.command.is_none())
        .flat_map(|h| std::iter::once(&h.recipient).chain(&h.original_recipient))
        .map(|a| a.to_ascii_lowercase())
        .collect();
    // Every diagnostic is there and only commands are sought: a block's
    // text is pieces of its body's lines joined by line breaks, so a body
    // without any wording that names a command gives none.
    let need_diagnostic = d.hits.iter().any(|h| trim(&h.diagnostic).is_empty());
    // A body is the start of its text: a text that names none of the
    // addresses, or (when only commands are sought) has no such wording at
    // all, is done with before its cut is looked for (a scan of its own).
    let may_name = |lower: &[u8]| need_diagnostic || super::util::may_name_command(lower);
    let named: Vec<(usize, bool)> = (0..texts.len()).filter(|&i| texts.holds_any(i, &wanted)).map(|i| (i, may_name(texts.lower(i)))).collect();
    if !need_diagnostic && !named.iter().any(|&(_, may)| may) {
        return;
    }
    let holding: Vec<usize> = named.iter().filter(|&&(i, _)| texts.body_holds_any(i, &wanted)).map(|&(i, _)| i).collect();
    // (A body that is its whole text was answered above.)
    let whole = |i: usize| texts.lower_body(i).len() == texts.lower(i).len();
    if !need_diagnostic && !holding.iter().any(|&i| named.iter().any(|&(j, may)| j == i && may) && (whole(i) || may_name(texts.lower_body(i)))) {
        return;
    }
    let mut found: Vec<Hit> = Vec::new();
    for i in holding {
        // Only these recipients' blocks are read, and only for their diagnostics.
        found.extend(recipients_named(texts.body(i), Some(&wanted)));
    }
    for h in &mut d.hits {
        let f = found.iter().find(|f| {
            f.recipient.eq_ignore_ascii_case(&h.recipient)
                || h.original_recipient.as_deref().is_some_and(|o| f.recipient.eq_ignore_ascii_case(o))
        });
        // Named only as where a delivery came from (Exim's `generated by
        // a@b` under a pipe or another address): that whole block is the
        // recipient's.
        if trim(&h.diagnostic).is_empty() && f.is_none_or(|f| is_alias_line(&f.diagnostic)) {
            if let Some(block) = alias_block(texts, &h.recipient) {
                h.diagnostic = block;
                if h.command.is_none() {
                    h.command = super::util::detect_command(&h.diagnostic).map(str::to_string);
                }
                continue;
            }
        }
        let Some(f) = f else {
            // No recipient block, but a sentence about this recipient
            // ("Your message wasn't delivered to a@b because ..."): that
            // sentence is what the report says of it.
            if trim(&h.diagnostic).is_empty() {
                if let Some(line) = sentence_naming(texts, &h.recipient) {
                    if h.reply.is_none() {
                        h.reply = crate::find_codes(&line).reply;
                    }
                    h.diagnostic = line;
                }
            }
            continue;
        };
        if trim(&h.diagnostic).is_empty() {
            h.diagnostic = f.diagnostic.clone();
            if h.reply.is_none() {
                h.reply = crate::find_codes(&f.diagnostic).reply;
            }
        }
        if h.command.is_none() {
            h.command = super::util::detect_command(&f.diagnostic).map(str::to_string);
        }
    }
}

/// How Exim names the address a delivery came from, under the address (or
/// pipe, or file) it went to.
const ALIAS_WORDS: [&str; 3] = ["generated by ", "(generated from ", "(ultimately generated from "];

/// Whether a block's text is only such a line.
fn is_alias_line(diagnostic: &str) -> bool {
    let t = trim(diagnostic);
    !t.contains('\n') && ALIAS_WORDS.iter().any(|w| starts_with_ci(t, w))
}

/// The block of an Exim failure list that names `addr` as where it came
/// from: its first line (less indented) and every line under it.
///
/// ```text
///   pipe to |/usr/bin/handler
///     generated by user@example.org
///     local delivery failed
/// ```
fn alias_block(texts: &TextFacts<'_>, addr: &str) -> Option<String> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    texts.bodies().find_map(|body| {
        // Most bodies have no such line: the lines are gathered only for one that has.
        let at = body.lines().position(|l| is_alias_line(l) && contains_ci(l, addr))?;
        let lines: Vec<&str> = body.lines().collect();
        // The first line above it that is less indented, with no blank line between.
        let head = (0..at).rev().take_while(|&j| !lines[j].trim().is_empty()).find(|&j| indent(lines[j]) < indent(lines[at]))?;
        let end = (at + 1..lines.len()).find(|&j| lines[j].trim().is_empty() || indent(lines[j]) <= indent(lines[head])).unwrap_or(lines.len());
        Some(lines[head..end].iter().map(|l| l.trim()).collect::<Vec<_>>().join("\n"))
    })
}

/// A multi-line reply cut to its first line, as Sendmail writes one into
/// its `Diagnostic-Code` (`550-5.7.1 Our system has detected that this
/// message is`): that line, when the text is one `NNN-` line and no more.
fn cut_reply(diagnostic: &str) -> Option<&str> {
    let d = trim(diagnostic);
    let b = d.as_bytes();
    let coded = b.len() > 4 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b'-' && matches!(b[0], b'4' | b'5');
    // Its last line (`550 5.7.1 ...`) would follow the code and a space.
    (coded && memchr::memchr(b'\n', b).is_none() && !d[4..].contains(&format!("{} ", &d[..3]))).then_some(d)
}

/// The whole reply a session transcript quotes (`<<< 550-...` lines down to
/// `<<< 550 ...`) whose first line is `first`, joined by spaces.
fn whole_reply(texts: &TextFacts<'_>, first: &str) -> Option<String> {
    texts.bodies().find_map(|body| {
        let mut lines = body.lines().map(trim).skip_while(|l| l.strip_prefix("<<<").map(trim) != Some(first));
        // That line is `first` itself.
        lines.next()?;
        let mut whole = first.to_string();
        for l in lines {
            let Some(reply) = l.strip_prefix("<<<").map(trim).filter(|r| r.starts_with(&first[..3])) else { break };
            whole.push(' ');
            whole.push_str(reply);
            // A space after the code marks the reply's last line.
            if reply.as_bytes().get(3) == Some(&b' ') {
                return Some(whole);
            }
        }
        None
    })
}

/// The first line before any copy of the original message that names `addr`.
/// A line that ends with the address ("Failed to deliver to 'a@b'") only
/// introduces it: the lines after it, up to a blank line, say why, and
/// they join it.
fn sentence_naming(texts: &TextFacts<'_>, addr: &str) -> Option<String> {
    texts.bodies().find_map(|body| {
        let mut lines = body.lines().map(str::trim);
        let line = lines.by_ref().find(|l| l.len() > addr.len() + 10 && contains_ci(l, addr) && !l.starts_with('<'))?;
        let mut sentence = line.to_string();
        // A header field ("Final-Recipient: rfc822; a@b") is not a lead-in.
        let field = line.split_once(':').is_some_and(|(n, _)| !n.is_empty() && !n.contains(' '));
        let lead_in = !field && ends_with_ci(line.trim_end_matches(['\'', '"', '>', ':', '.', ',']), addr);
        if lead_in {
            for next in lines.take_while(|l| !l.is_empty()).take(MAX_REASON_LINES) {
                sentence.push(' ');
                sentence.push_str(next);
            }
        }
        Some(sentence)
    })
}

/// How many lines after a lead-in line can hold its reason.
const MAX_REASON_LINES: usize = 6;

#[cfg(test)]
mod tests {
    use super::*;

    /// `recipients_named` as it was when it read the lines before a lone
    /// recipient's in every case: the oracle of the lazy reading (the
    /// blocks themselves are read by the same `read_blocks`).
    fn recipients_named_reference(block: &str, wanted: Option<&[String]>) -> Vec<Hit> {
        let finish = |h: &Hit| wanted.is_none_or(|w| w.iter().any(|a| h.recipient.eq_ignore_ascii_case(a)));
        let (mut hits, head, more_preamble) = read_blocks(block, wanted);
        if hits.len() != 1 || !finish(&hits[0]) {
            return hits;
        }
        let preamble: Vec<&str> = lines(head).map(trim).filter(|t| !t.is_empty()).chain(more_preamble).collect();
        // One recipient whose stage is told just before it (DragonFly's
        // `host did not like our RCPT TO:` line, then the reply).
        // Only a line that names no address: `MAIL FROM: a@b` in a quoted
        // envelope summary is not a stage.
        if hits.len() == 1 && hits[0].command.is_none() && wanted.is_none() {
            if let Some(last) = preamble.last().filter(|l| find_address(l).is_none()) {
                hits[0].command = crate::message::util::detect_command(last).map(str::to_string);
            }
        }
        // One recipient named after its error (`Error message below: 550 ...` then
        // `RCPT TO: addr`): the coded lines before it are its diagnostic.
        if hits.len() == 1 && trim(&hits[0].diagnostic).is_empty() && !preamble.is_empty() {
            // `Failure reasons: ...` then the address: the reason came first.
            let from = preamble.len().saturating_sub(4);
            hits[0].diagnostic = preamble[from..].join("\n");
        } else if hits.len() == 1 && !preamble.is_empty() {
            // (Without lines before it, there is nothing to add.)
            // Only a failure code counts: a stray `222` (a byte count in a
            // quoted summary) is no reply.
            if !tells_failure(&hits[0].diagnostic) {
                let coded: Vec<&str> = preamble.iter().copied().filter(|l| tells_failure(l)).collect();
                if !coded.is_empty() {
                    let own = std::mem::take(&mut hits[0].diagnostic);
                    hits[0].diagnostic = format!("{}\n{own}", coded.join("\n"));
                }
            }
        }
        hits
    }

    #[test]
    fn lone_recipients_read_their_preamble_as_when_it_was_always_read() {
        // Blocks of random lines: addresses in every position, codes of
        // every class, stages, transcript lines, blanks, CRs.
        let pieces = [
            "boilerplate words", "", "   ", "host mx.example said:", "550 5.1.1 user unknown", "250 2.1.5 ok", "452 4.2.2 mailbox full",
            ">>> RCPT TO:<a@b.example>", "<<< 550 no such user", "host did not like our RCPT TO:", "<a@b.example>:", "c@d.example",
            "To: A@B.example", "MAIL FROM: s@x.example", "Remote host said: 550 5.1.1 <k@example.org>... User Unknown",
            "550 5.1.1 <a@b.example>... User unknown", "Unknown user: e@f.example", "after end of data:", "222 bytes",
            "Failure reasons: mailbox full", "\r", "x-unix; 69", "  indented 5.7.1 refused", "Error message below:", "a@b.example: 221 bye",
        ];
        let wanted_sets: [Option<Vec<String>>; 3] =
            [None, Some(vec!["a@b.example".into()]), Some(vec!["c@d.example".into(), "zz@z.example".into()])];
        let mut rng = crate::test_rng::Rng(0x5eed_1234);
        let (mut lone, mut changed) = (0, 0);
        for n in 0..30_000 {
            let count = rng.below(9);
            let sep = if n % 7 == 0 { "\r\n" } else { "\n" };
            let block = (0..count).map(|_| pieces[rng.below(pieces.len())]).collect::<Vec<_>>().join(sep);
            for wanted in &wanted_sets {
                let got = recipients_named(&block, wanted.as_deref());
                let want = recipients_named_reference(&block, wanted.as_deref());
                assert_eq!(format!("{got:?}"), format!("{want:?}"), "{block:?} {wanted:?}");
                if got.len() == 1 {
                    lone += 1;
                    // The preamble decided something: a stage or diagnostic words from before the address.
                    let mut bare = recipients_named_reference(&block[block.find('@').map_or(0, |at| block[..at].rfind('\n').map_or(0, |i| i + 1))..], wanted.as_deref());
                    changed += usize::from(bare.len() == 1 && format!("{:?}", bare.remove(0)) != format!("{:?}", got[0]));
                }
            }
        }
        // Both outcomes of a lone recipient's preamble occur, many times.
        assert!(lone > 10_000 && changed > 1_000 && changed < lone, "{lone} {changed}");
    }

    #[test]
    fn a_list_heading_ends_the_block_above() {
        let block = "<a@example.org> (delivered with code 250)\n\n    ----- Delivery to the following addresses failed -----\n<b@example.org> (550 User does not exist)";
        let hits = recipients_in(block);
        assert_eq!(hits.len(), 2);
        assert!(!hits[0].diagnostic.contains("-----") && hits[1].diagnostic.contains("550 User does not exist"), "{hits:?}");
        // A transcript's heading continues the block above it.
        let block = "<a@example.org>... User unknown\n----- Transcript of session follows -----\n550 5.1.1 mailbox gone";
        let hits = recipients_in(block);
        assert!(hits.len() == 1 && hits[0].diagnostic.contains("550 5.1.1 mailbox gone"), "{hits:?}");
    }

    #[test]
    fn recipient_lines() {
        assert_eq!(recipient_line("<a@example.org>:").unwrap().0, "a@example.org");
        assert_eq!(recipient_line("  kijitora@example.ed.jp").unwrap().0, "kijitora@example.ed.jp");
        let (a, d) = recipient_line("550 5.1.1 <x@example.org>... User unknown").unwrap();
        assert_eq!((a, &*d), ("x@example.org", "550 5.1.1 <x@example.org>... User unknown"));
        assert!(recipient_line("Remote host said: 550 5.1.1 <k@example.org>... User Unknown").is_none());
        assert!(recipient_line("SMTP error from remote mail server after MAIL FROM:<s@example.jp> SIZE=1:").is_none());
        assert_eq!(recipient_line("Recipient address: r@example.net").unwrap().0, "r@example.net");
        // The tail of an address that a wrap split, then the sentence going on.
        assert!(recipient_line("el@lists.example.net, and ip 192.0.2.1").is_none());
        assert_eq!(recipient_line("a@example.org, <b@example.org>").unwrap().0, "a@example.org");
        assert_eq!(recipient_line("[Status: Error, Address: <k@example.jp>, ResponseCode 421, , Host not reachable.]").unwrap().0, "k@example.jp");
    }

    /// The line-by-line definition that `original_start`'s one scan must agree with.
    fn original_start_by_line(t: &str) -> usize {
        let mut pos = 0;
        let mut prev_blank = true;
        for line in t.split_inclusive('\n') {
            let trimmed = line.trim();
            if trimmed.len() < 120 && !trimmed.is_empty() {
                let lower = trimmed.to_ascii_lowercase();
                let marker = ORIGINAL_MARKERS.iter().any(|m| lower.contains(&m.to_ascii_lowercase()))
                    || (prev_blank && !line.starts_with([' ', '\t']) && HEADER_STARTS.iter().any(|h| starts_with_ci(trimmed, h)));
                let notice_follows = lower.contains("forwarded message")
                    && t[pos + line.len()..].lines().map(str::trim).skip_while(|l| l.is_empty()).take_while(|l| !l.is_empty()).take(6).any(notice_from);
                if marker && pos > 0 && !notice_follows {
                    return pos;
                }
            }
            prev_blank = trimmed.is_empty() || (trimmed.len() >= 10 && trimmed.bytes().all(|b| b == b'-' || b == b'='));
            pos += line.len();
        }
        t.len()
    }

    #[test]
    fn wanted_addresses_are_found_as_a_substring_search_finds_them() {
        let texts: Vec<Cow<'_, str>> =
            ["To: A@Example.org\n", "xa@example.orgx", "@a@example.org@", "no at here", "a@exampl", "", "b@@example.org", "Plain-Name\n"]
                .map(Cow::Borrowed)
                .to_vec();
        let facts = TextFacts::new(&texts);
        for wanted in [&["a@example.org"][..], &["@example.org"], &["b@"], &["plain-name"], &["zz@zz.example", "a@example.org"]] {
            let wanted: Vec<String> = wanted.iter().map(|a| a.to_string()).collect();
            for (i, t) in texts.iter().enumerate() {
                let lower = t.to_ascii_lowercase();
                let expected = wanted.iter().any(|a| lower.contains(a.as_str()));
                assert_eq!(facts.body_holds_any(i, &wanted), expected, "{t:?} {wanted:?}");
            }
        }
    }

    #[test]
    fn every_marker_holds_a_candidate_piece() {
        for m in ORIGINAL_MARKERS.iter().chain(HEADER_STARTS) {
            let lower = m.to_ascii_lowercase();
            assert!(CANDIDATE_PIECES.iter().any(|p| lower.contains(p)), "{m:?}");
        }
        assert!(CANDIDATE_PIECES.iter().all(|p| p.to_ascii_lowercase() == *p && !p.contains('\n')));
    }

    #[test]
    fn original_start_agrees_with_the_line_by_line_definition() {
        let long = format!("error\n{}copy of the message\n", "x".repeat(130));
        let cases = [
            "Original message follows\nbody",
            "error\n\n----- Original Message -----\nTo: x@y.example\n",
            "error\nReceived:from x\n",
            "error\nreceived:from \n",
            "error\n\nReturn-Path: <a@b.example>\n",
            "error\nReturn-Path: <a@b.example>\n",
            "error\n\n  Return-Path: <a@b.example>\n",
            "error\n----------\nReceived: from mx\n",
            "error\r\n\r\nRECEIVED: FROM mx\r\n",
            long.as_str(),
            "a\nb copy of the message c\nd",
            "a\n\u{a0}copy of THE message\u{3000}\nd",
            "no markers at all\n",
            "",
        ];
        for t in cases {
            assert_eq!(original_start(t), original_start_by_line(t), "{t:?}");
        }
        assert_eq!(cut_original("error\n\n----- Original Message -----\nTo: x@y.example\n"), "error\n\n");
    }

    #[test]
    fn original_start_agrees_with_the_line_by_line_definition_on_generated_texts() {
        // Markers and header starts in mixed case, their pieces, blanks
        // (ASCII and wide) around them, rules, line breaks of every kind.
        let mut pieces: Vec<String> =
            ["\n", "\r\n", "\n\n", " ", "\t", "\u{a0}", "\u{3000}", "x", "error", "----------", "é", ":", "From: Mail Delivery System <MAILER-DAEMON@mx.example>"]
                .map(String::from)
                .to_vec();
        for m in ORIGINAL_MARKERS.iter().chain(HEADER_STARTS) {
            let h = m.len() / 2;
            pieces.extend([m.to_string(), m.to_ascii_uppercase(), m[..h].to_string(), m[h..].to_string()]);
            pieces.push(m.char_indices().map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c }).collect());
        }
        let mut rng = crate::test_rng::Rng(0x0c07);
        let mut cut = 0;
        for _ in 0..6_000 {
            // Lines of one to three pieces: a marker often has a line of its own.
            let breaks = ["\n", "\r\n", "\n\n", "\n----------\n"];
            let mut t = String::new();
            for _ in 0..rng.below(6) {
                t.extend((0..=rng.below(3)).map(|_| pieces[rng.below(pieces.len())].as_str()));
                t.push_str(breaks[rng.below(breaks.len())]);
            }
            let want = original_start_by_line(&t);
            assert_eq!(original_start(&t), want, "{t:?}");
            cut += usize::from(want < t.len());
        }
        // Texts with and without a cut, many of each.
        assert!(cut > 1_000 && cut < 5_000, "{cut}");
    }

    #[test]
    fn success_replies_are_dropped_as_when_every_line_was_read() {
        // What drop_success_replies did when it read every line's codes.
        let by_every_line = |diag: &str| {
            let class = |l: &str| crate::find_codes(l).class_digit();
            let classes: Vec<Option<u8>> = diag.lines().map(class).collect();
            let failed = classes.iter().any(|c| c.is_some_and(|c| c >= 4));
            let succeeded = classes.iter().any(|c| c.is_some_and(|c| c < 4));
            if !diag.contains('\n') || !failed || !succeeded {
                return diag.to_string();
            }
            diag.lines().filter(|l| class(l).is_none_or(|c| c >= 4)).collect::<Vec<_>>().join("\n")
        };
        let lines = [
            "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>", "550 5.1.1 <a@b.example>: no such user", "452 4.2.2 mailbox full",
            "host mx.example.com[192.0.2.3] said:", "plain words", "221 bye", "5.7.1 refused", "2.0.0 queued as 4F3",
        ];
        let mut diags = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..4 {
            last = last.iter().flat_map(|d| lines.iter().map(move |l| if d.is_empty() { l.to_string() } else { format!("{d}\n{l}") })).collect();
            diags.extend(last.iter().cloned());
        }
        for d in &diags {
            let mut got = d.clone();
            drop_success_replies(&mut got);
            assert_eq!(got, by_every_line(d), "{d:?}");
        }
    }

    #[test]
    fn failure_is_told_as_when_every_text_was_read_for_codes() {
        // Texts of up to four pieces: codes of every class and form, digits
        // that are no codes, words.
        let pieces = [
            "550", "5.1.1", "#5.7.1", "250", "2.0.0", "452", "4.2.2", "354", "3.0.0", "smtp; ", "550-", "1234", "x4", "5", "4", " ",
            "user unknown", "\n", "6.1.1", "999", "x-unix; 69",
        ];
        let mut texts = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..4 {
            last = last.iter().flat_map(|t| pieces.iter().map(move |p| format!("{t}{p}"))).collect();
            texts.extend(last.iter().cloned());
        }
        let mut told = 0;
        for t in &texts {
            let want = crate::find_codes(t).class_digit().is_some_and(|c| c >= 4);
            assert_eq!(tells_failure(t), want, "{t:?}");
            told += usize::from(want);
        }
        assert!(told > 10_000 && told < texts.len(), "{told}");
    }

    #[test]
    fn blocks_and_cut() {
        let t = "boilerplate\n\n<a@example.org>:\nhost said: 550 no such user\n\n<b@example.org>:\n452 full\n\n--- Below this line is a copy of the message.\n\nTo: c@example.org\n";
        let hits = recipients_in(cut_original(t));
        assert_eq!(hits.len(), 2);
        assert!(hits[0].diagnostic.contains("550 no such user"));
        assert_eq!(hits[1].recipient, "b@example.org");
        // Sina's Chinese notice ends the last block with its own separator.
        let t = "<a@example.org>:\n\n<b@example.org>:\n\n--- 附件中的内容是原信件的一份拷贝\n\nTo: c@example.org\n";
        let hits = recipients_in(cut_original(t));
        assert_eq!(hits.len(), 2);
        assert!(hits.iter().all(|h| h.diagnostic.is_empty()), "{:?}", hits[1].diagnostic);
    }
}
