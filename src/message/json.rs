//! JSON notifications: Amazon SES bounce, complaint and delivery events,
//! bare or wrapped in an SNS envelope (whose `Message` is the event as a string).

use serde_json::Value;

use super::{DsnAction, Draft, Hit, Mail, MessageKind};
use crate::{find_codes, Reason};

fn first_json(text: &str) -> Option<Value> {
    // SNS email notifications wrap long lines as `!\n `.
    let t = text.replace("!\r\n ", "").replace("!\n ", "");
    let start = t.find('{')?;
    let mut it = serde_json::Deserializer::from_str(&t[start..]).into_iter::<Value>();
    it.next()?.ok()
}

/// Whether a text has `"bounce`, `"complaint` or `"delivery`: one pass
/// over its quotes rather than three over the whole text.
fn names_event(t: &str) -> bool {
    let b = t.as_bytes();
    memchr::memchr_iter(b'"', b).any(|i| {
        let rest = &b[i + 1..];
        [&b"bounce"[..], b"complaint", b"delivery"].iter().any(|w| rest.starts_with(w))
    })
}

fn event(v: Value) -> Value {
    match v.get("Message").and_then(Value::as_str) {
        Some(inner) => serde_json::from_str(inner).unwrap_or(v),
        None => v,
    }
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

pub(crate) fn extract(m: &Mail<'_>) -> Option<Draft> {
    let v = m.json.iter().chain(m.texts.iter()).filter(|t| names_event(t)).find_map(|t| first_json(t))?;
    let ev = event(v);
    let kind = s(&ev, "notificationType").or_else(|| s(&ev, "eventType"))?;
    let mut hits = Vec::new();
    let mut reporting = None;
    let mut draft_kind = MessageKind::Bounce;
    match kind.as_str() {
        "Bounce" => {
            let b = ev.get("bounce")?;
            reporting = s(b, "reportingMTA").map(|r| r.rsplit(';').next().unwrap_or("").trim().to_string());
            let when = s(b, "timestamp");
            for r in b.get("bouncedRecipients").and_then(Value::as_array).into_iter().flatten() {
                let Some(addr) = s(r, "emailAddress") else { continue };
                let diagnostic = s(r, "diagnosticCode").map(|d| d.split_once(';').filter(|(t, _)| t.len() < 10).map(|(_, x)| x.trim().to_string()).unwrap_or(d)).unwrap_or_default();
                hits.push(Hit {
                    recipient: addr,
                    action: s(r, "action").and_then(|a| DsnAction::parse(&a)),
                    status: s(r, "status").and_then(|x| x.parse().ok()),
                    reply: find_codes(&diagnostic).reply,
                    diagnostic,
                    last_attempt: when.clone(),
                    ..Hit::default()
                });
            }
        }
        "Complaint" => {
            draft_kind = MessageKind::Feedback;
            let c = ev.get("complaint")?;
            let ft = s(c, "complaintFeedbackType").unwrap_or_else(|| "abuse".into());
            for r in c.get("complainedRecipients").and_then(Value::as_array).into_iter().flatten() {
                let Some(addr) = s(r, "emailAddress") else { continue };
                hits.push(Hit { recipient: addr, action: Some(DsnAction::Delivered), feedback_type: Some(ft.clone()), fixed: Some(Reason::Feedback), last_attempt: s(c, "timestamp"), ..Hit::default() });
            }
        }
        "Delivery" => {
            draft_kind = MessageKind::Delivery;
            let d = ev.get("delivery")?;
            let resp = s(d, "smtpResponse").unwrap_or_default();
            reporting = s(d, "reportingMTA");
            for r in d.get("recipients").and_then(Value::as_array).into_iter().flatten() {
                let Some(addr) = r.as_str() else { continue };
                let codes = find_codes(&resp);
                hits.push(Hit { recipient: addr.to_string(), action: Some(DsnAction::Delivered), status: codes.status, reply: codes.reply, diagnostic: resp.clone(), fixed: Some(Reason::Delivered), last_attempt: s(d, "timestamp"), ..Hit::default() });
            }
        }
        _ => return None,
    }
    Some(Draft { kind: draft_kind, decoded_by: "amazonses", reporting_mta: reporting, hits })
}
