//! The SMTP probe of one address: connect, read the greeting, EHLO, QUIT.
//! Never MAIL FROM, RCPT TO or DATA: no mail is ever sent.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::options::CheckOptions;
use super::report::{Probe, ProbeOutcome, SmtpReply};

/// Longest reply line read (RFC 5321 allows 512 octets; servers exceed it).
const MAX_LINE: u64 = 4096;
/// Most lines of one reply (an EHLO reply has one per extension).
const MAX_LINES: usize = 100;
/// The wait for the reply to QUIT, which only politeness needs.
const QUIT_WAIT: Duration = Duration::from_secs(2);

pub(super) fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

enum ReplyError {
    Timeout,
    Closed,
    Garbled(String),
    Io(std::io::Error),
}

impl ReplyError {
    fn outcome(&self) -> ProbeOutcome {
        match self {
            ReplyError::Timeout => ProbeOutcome::Timeout,
            _ => ProbeOutcome::Error,
        }
    }

    fn describe(&self, waited: Duration, what: &str) -> String {
        match self {
            ReplyError::Timeout => format!("no {what} within {waited:?}"),
            ReplyError::Closed => format!("connection closed before the {what}"),
            ReplyError::Garbled(line) => format!("not an SMTP reply ({what}): {line:?}"),
            ReplyError::Io(e) => format!("{what}: {e}"),
        }
    }
}

/// Probes one address. Every failure is an outcome, not an error.
pub(super) async fn probe(address: SocketAddr, opts: &CheckOptions) -> Probe {
    let mut p = Probe {
        address,
        outcome: ProbeOutcome::Error,
        banner: None,
        ehlo: None,
        starttls: None,
        error: None,
        connect_ms: None,
        banner_ms: None,
        ehlo_ms: None,
    };
    let started = Instant::now();
    let stream = match timeout(opts.connect_timeout, TcpStream::connect(address)).await {
        Err(_) => {
            p.outcome = ProbeOutcome::Timeout;
            p.error = Some(format!("no connection within {:?}", opts.connect_timeout));
            return p;
        }
        Ok(Err(e)) => {
            p.outcome = if e.kind() == std::io::ErrorKind::ConnectionRefused {
                ProbeOutcome::Refused
            } else {
                ProbeOutcome::Error
            };
            p.error = Some(format!("connect: {e}"));
            return p;
        }
        Ok(Ok(s)) => s,
    };
    p.connect_ms = Some(ms(started.elapsed()));
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);

    let t = Instant::now();
    let banner = match read_reply(&mut read, opts.smtp_timeout).await {
        Ok(r) => r,
        Err(e) => {
            p.outcome = e.outcome();
            p.error = Some(e.describe(opts.smtp_timeout, "greeting"));
            return p;
        }
    };
    p.banner_ms = Some(ms(t.elapsed()));
    p.outcome = match banner.code / 100 {
        2 => ProbeOutcome::Accepted,
        4 => ProbeOutcome::Deferred,
        5 => ProbeOutcome::Rejected,
        _ => ProbeOutcome::Error,
    };
    if p.outcome == ProbeOutcome::Error {
        p.error = Some(format!("greeting with reply code {}", banner.code));
    }
    p.banner = Some(banner);

    if p.outcome == ProbeOutcome::Accepted {
        let t = Instant::now();
        let mut reply = command(&mut read, &mut write, &format!("EHLO {}", opts.ehlo_name), opts.smtp_timeout).await;
        // A server from before ESMTP answers 500/502: greet it the old way.
        if matches!(&reply, Ok(r) if r.code == 500 || r.code == 502) {
            reply = command(&mut read, &mut write, &format!("HELO {}", opts.ehlo_name), opts.smtp_timeout).await;
        }
        p.ehlo_ms = Some(ms(t.elapsed()));
        match reply {
            Ok(r) => {
                if opts.starttls {
                    p.starttls = Some(r.code == 250 && r.lines.iter().skip(1).any(|l| advertises(l, "STARTTLS")));
                }
                p.ehlo = Some(r);
            }
            Err(e) => p.error = Some(e.describe(opts.smtp_timeout, "EHLO reply")),
        }
    }
    // Say goodbye whatever the greeting was: RFC 5321 §3.1 asks a client
    // greeted with 554 to send QUIT too.
    let _ = command(&mut read, &mut write, "QUIT", QUIT_WAIT.min(opts.smtp_timeout)).await;
    let _ = write.shutdown().await;
    p
}

/// Whether an EHLO reply line names the extension `keyword`.
fn advertises(line: &str, keyword: &str) -> bool {
    line.split_whitespace().next().is_some_and(|w| w.eq_ignore_ascii_case(keyword))
}

async fn command<R, W>(read: &mut R, write: &mut W, line: &str, wait: Duration) -> Result<SmtpReply, ReplyError>
where
    R: AsyncBufReadExt + Unpin,
    W: AsyncWrite + Unpin,
{
    let sent = timeout(wait, async {
        write.write_all(line.as_bytes()).await?;
        write.write_all(b"\r\n").await?;
        write.flush().await
    })
    .await;
    match sent {
        Err(_) => return Err(ReplyError::Timeout),
        Ok(Err(e)) => return Err(ReplyError::Io(e)),
        Ok(Ok(())) => {}
    }
    read_reply(read, wait).await
}

/// Reads one (possibly multi-line) reply within `wait`.
async fn read_reply<R: AsyncBufReadExt + Unpin>(read: &mut R, wait: Duration) -> Result<SmtpReply, ReplyError> {
    match timeout(wait, read_reply_lines(read)).await {
        Err(_) => Err(ReplyError::Timeout),
        Ok(r) => r,
    }
}

async fn read_reply_lines<R: AsyncBufReadExt + Unpin>(read: &mut R) -> Result<SmtpReply, ReplyError> {
    let mut code = 0u16;
    let mut lines = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = (&mut *read).take(MAX_LINE).read_until(b'\n', &mut buf).await.map_err(ReplyError::Io)?;
        if n == 0 {
            return Err(ReplyError::Closed);
        }
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim_end_matches(['\r', '\n']);
        let (line_code, last, rest) = parse_line(text).ok_or_else(|| ReplyError::Garbled(text.chars().take(80).collect()))?;
        if lines.is_empty() {
            code = line_code;
        }
        lines.push(rest.to_string());
        if last {
            return Ok(SmtpReply { code, lines });
        }
        if lines.len() >= MAX_LINES {
            return Err(ReplyError::Garbled(format!("more than {MAX_LINES} lines")));
        }
    }
}

/// `250-text` / `250 text` / `250` -> (250, is last line, text).
fn parse_line(line: &str) -> Option<(u16, bool, &str)> {
    let b = line.as_bytes();
    if b.len() < 3 || !b[..3].iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&b[0]) {
        return None;
    }
    let code = line[..3].parse().ok()?;
    match b.get(3) {
        None => Some((code, true, "")),
        Some(b' ') => Some((code, true, &line[4..])),
        Some(b'-') => Some((code, false, &line[4..])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_lines() {
        assert_eq!(parse_line("220 mx.example ESMTP"), Some((220, true, "mx.example ESMTP")));
        assert_eq!(parse_line("250-STARTTLS"), Some((250, false, "STARTTLS")));
        assert_eq!(parse_line("554"), Some((554, true, "")));
        assert_eq!(parse_line("SSH-2.0-OpenSSH"), None);
        assert_eq!(parse_line("2200 x"), None);
        assert_eq!(parse_line("999 x"), None);
        assert!(advertises("STARTTLS", "STARTTLS"));
        assert!(advertises("starttls ", "STARTTLS"));
        assert!(!advertises("8BITMIME", "STARTTLS"));
    }
}
