//! Human and JSON renderings of verdicts, explanations and reasons.

use std::io::{self, Write};

use bouncekit::{Classification, Explanation, Reason};
use serde_json::{json, Value};

fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// The flat JSON object of one classified diagnostic.
pub fn classification_json(text: &str, c: &Classification) -> Value {
    json!({
        "diagnostic": text,
        "status": c.status.map(|s| s.to_string()),
        "status_source": c.status_source,
        "reply_code": c.reply_code.map(|r| r.get()),
        "reason": c.reason,
        "bounce_type": c.bounce_type,
        "category": c.category,
        "action": c.action,
        "description": c.description,
        "rule": c.rule,
        "note": c.note,
    })
}

/// One verdict: a JSON line, or a readable block.
pub fn classification(out: &mut impl Write, jsonl: bool, color: bool, text: &str, c: &Classification) -> io::Result<()> {
    if jsonl {
        let mut line = Vec::new();
        crate::jsonl::write_classification(&mut line, text, c);
        return out.write_all(&line);
    }
    let verdict_color = match c.bounce_type {
        bouncekit::BounceType::Hard => "1;31",
        bouncekit::BounceType::Soft => "1;33",
        bouncekit::BounceType::None => "1;32",
    };
    let status = c.status.map(|s| s.to_string()).unwrap_or_else(|| "-".into());
    let derived = if c.status_source == bouncekit::StatusSource::Derived { " (derived)" } else { "" };
    let reply = c.reply_code.map(|r| r.to_string()).unwrap_or_else(|| "-".into());
    writeln!(out, "{}", paint(color, "2", text))?;
    writeln!(
        out,
        "  {} {}  status {status}{derived}  reply {reply}  category {}  action {}",
        paint(color, verdict_color, c.reason.as_str()),
        c.bounce_type,
        c.category,
        paint(color, "1", c.action.as_str()),
    )?;
    writeln!(out, "  {}  [rule {}]", c.description, c.rule)?;
    if let Some(n) = &c.note {
        writeln!(out, "  note: {n}")?;
    }
    writeln!(out)
}

fn list(out: &mut impl Write, color: bool, title: &str, items: &[String]) -> io::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{}", paint(color, "1", title))?;
    for (i, it) in items.iter().enumerate() {
        writeln!(out, "  {}. {it}", i + 1)?;
    }
    Ok(())
}

/// A reference page for one code.
pub fn explanation(out: &mut impl Write, color: bool, e: &Explanation) -> io::Result<()> {
    writeln!(out, "{}", paint(color, "1", &format!("{}: {} ({})", e.code, e.name, e.permanence)))?;
    if e.level == bouncekit::Level::Subject {
        writeln!(out, "(not in the IANA registry: class- and subject-level answer)")?;
    }
    if e.deprecated {
        writeln!(out, "(deprecated registry entry)")?;
    }
    writeln!(out, "\n{}", e.summary)?;
    writeln!(out, "\n{}", e.meaning)?;
    if let Some(n) = &e.class_note {
        writeln!(out, "\n{n}")?;
    }
    writeln!(out, "\n{}", paint(color, "1", "Verdict"))?;
    writeln!(out, "  class:       {} ({})", e.class_name, e.permanence)?;
    writeln!(out, "  bounce type: {}", e.bounce_type)?;
    writeln!(out, "  category:    {}", e.category)?;
    writeln!(out, "  reason:      {}", e.reason)?;
    writeln!(out, "  action:      {}", e.action)?;
    match (e.rfc, &e.reference) {
        (Some(n), _) => writeln!(out, "  defined in:  RFC {n}")?,
        (None, Some(r)) => writeln!(out, "  defined in:  {r}")?,
        _ => {}
    }
    list(out, color, "Common causes", &e.causes)?;
    list(out, color, "How to resolve: for senders and list owners", &e.for_senders)?;
    list(out, color, "How to resolve: for developers", &e.for_developers)?;
    list(out, color, "Investigation steps", &e.investigation)?;
    list(out, color, "Best practices", &e.best_practices)?;
    list(out, color, "Examples", &e.examples)?;
    Ok(())
}

/// The JSON object of one reason with its mappings.
pub fn reason_json(r: Reason) -> Value {
    let i = r.info();
    json!({
        "reason": r,
        "definition": i.definition,
        "bounce_type": i.bounce_type,
        "action": i.action,
        "category": i.category,
        "status": i.status,
        "ses": i.ses,
        "sparkpost": i.sparkpost,
        "kumomta": i.kumomta,
        "sendgrid": i.sendgrid,
        "postmark": i.postmark,
    })
}

/// The vocabulary as a table.
pub fn reasons(out: &mut impl Write, color: bool) -> io::Result<()> {
    writeln!(out, "{}", paint(color, "1", &format!("{:<16} {:<5} {:<10} {}", "REASON", "TYPE", "ACTION", "DEFINITION")))?;
    for r in Reason::ALL {
        let i = r.info();
        writeln!(out, "{:<16} {:<5} {:<10} {}", r.as_str(), i.bounce_type.as_str(), i.action.as_str(), i.definition)?;
    }
    Ok(())
}
