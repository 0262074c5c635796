//! Italian certified mail (PEC, Posta Elettronica Certificata).
//!
//! A PEC provider reports on a message with notices of its own (accepted,
//! delivered, not delivered, a warning that delivery is late, a virus),
//! each signed and each carrying its facts in a `daticert.xml` part: the
//! root `postacert` element says which notice it is (`tipo`) and what went
//! wrong (`errore`); `consegna` names the recipient the notice is about,
//! `destinatari` every recipient of the message, and `errore-esteso` holds
//! the provider's own words (often an enhanced code first: `5.1.1 - ...`).
//! The human text beside it is Italian prose whose wording each provider
//! picks, so the XML is what is read.

use std::borrow::Cow;

use super::util::{dsn_address, html_to_text};
use super::{DsnAction, Draft, Hit, Mail, MessageKind};
use crate::Reason;

/// The notice types that report on delivery, with the kind of report and
/// the recipient's action. Every other type (`accettazione`,
/// `presa-in-carico`, the `posta-certificata` envelope of an ordinary
/// message, ...) is no bounce.
const NOTICES: [(&str, MessageKind, DsnAction); 5] = [
    ("errore-consegna", MessageKind::Bounce, DsnAction::Failed),
    ("non-accettazione", MessageKind::Bounce, DsnAction::Failed),
    ("rilevazione-virus", MessageKind::Bounce, DsnAction::Failed),
    ("preavviso-errore-consegna", MessageKind::Delay, DsnAction::Delayed),
    ("avvenuta-consegna", MessageKind::Delivery, DsnAction::Delivered),
];

/// The `errore` attribute's values that name a reason; `altro` (other) and
/// `nessuno` (none) do not.
const ERRORS: [(&str, Reason); 3] = [("no-dest", Reason::UserUnknown), ("no-dominio", Reason::HostUnknown), ("virus", Reason::VirusDetected)];

pub(crate) fn extract(m: &Mail<'_>) -> Option<Draft> {
    let xml = m.pec.first()?;
    // The provider marks its own messages in the header block. Without the
    // mark, a `daticert.xml` may be part of a returned PEC message inside
    // some other report, which the other extractors read.
    let own = m.has_header("x-ricevuta") || m.has_header("x-trasporto");
    if !own && !m.dsn.is_empty() {
        return None;
    }
    let root = start_tag(xml, "postacert")?;
    let tipo = attribute(root, "tipo").unwrap_or_default().to_ascii_lowercase();
    let Some(&(_, kind, action)) = NOTICES.iter().find(|(t, _, _)| *t == tipo) else {
        return own.then_some(Draft { kind: MessageKind::NotBounce, decoded_by: "pec", reporting_mta: None, hits: vec![] });
    };
    let errore = attribute(root, "errore").unwrap_or_default().to_ascii_lowercase();
    let vendor = match tipo.as_str() {
        "rilevazione-virus" => Some(Reason::VirusDetected),
        _ => ERRORS.iter().find(|(e, _)| *e == errore).map(|&(_, r)| r),
    };
    let diagnostic = elements(xml, "errore-esteso").next().map(|t| text(t).trim().to_string()).unwrap_or_default();
    // The recipient the notice is about; a refusal before sending
    // (`non-accettazione`) names none, and is about every recipient.
    let mut recipients: Vec<String> = elements(xml, "consegna").filter_map(|t| dsn_address(&text(t))).collect();
    if recipients.is_empty() {
        recipients = elements(xml, "destinatari").filter_map(|t| dsn_address(&text(t))).collect();
    }
    recipients.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    let hits = recipients
        .into_iter()
        .filter(|r| r.contains('@'))
        .map(|recipient| Hit { recipient, action: Some(action), diagnostic: diagnostic.clone(), vendor, ..Hit::default() })
        .collect();
    Some(Draft { kind, decoded_by: "pec", reporting_mta: None, hits })
}

/// The attributes of the first `<name ...>` start tag. (`<name` is
/// searched for as a whole, and the tag's end only once it is found: a
/// text of many `<` is read once.)
fn start_tag<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}");
    let mut from = 0;
    while let Some(i) = xml[from..].find(&open).map(|i| from + i) {
        let rest = &xml[i + open.len()..];
        if rest.starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/') {
            return rest.find('>').map(|end| &rest[..end]);
        }
        from = i + open.len();
    }
    None
}

/// An attribute's value in a start tag's attribute text (quoted either way).
fn attribute<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = attrs;
    while let Some(i) = rest.find(name) {
        let before_ok = i == 0 || rest[..i].ends_with(char::is_whitespace);
        let after = rest[i + name.len()..].trim_start();
        if let (true, Some(v)) = (before_ok, after.strip_prefix('=')) {
            let v = v.trim_start();
            let q = v.chars().next()?;
            if q == '"' || q == '\'' {
                return v[1..].find(q).map(|e| &v[1..1 + e]);
            }
        }
        rest = &rest[i + name.len()..];
    }
    None
}

/// The contents of every `<name>` (or `<name attr=...>`) element, in order.
fn elements<'a>(xml: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    let (open, close) = (format!("<{name}"), format!("</{name}"));
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(i) = xml[from..].find(&open).map(|i| from + i) {
            from = i + open.len();
            let rest = &xml[from..];
            if !rest.starts_with(|c: char| c.is_whitespace() || c == '>') {
                continue;
            }
            let open_end = from + rest.find('>')? + 1;
            let end = xml[open_end..].find(&close).map(|e| open_end + e)?;
            from = end;
            return Some(&xml[open_end..end]);
        }
        None
    })
}

/// An element's text: entities decoded, CDATA and tags aside.
fn text(inner: &str) -> Cow<'_, str> {
    let inner = inner.trim();
    let inner = inner.strip_prefix("<![CDATA[").and_then(|s| s.strip_suffix("]]>")).unwrap_or(inner);
    if inner.contains(['<', '&']) {
        Cow::Owned(html_to_text(inner))
    } else {
        Cow::Borrowed(inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTICE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<postacert tipo="errore-consegna" errore="no-dest">
  <intestazione>
    <mittente>sender@pec.example.it</mittente>
    <destinatari tipo="certificato">a@pec.example.it</destinatari>
    <destinatari tipo="esterno">b@example.org</destinatari>
    <oggetto>Fattura &lt;42&gt;</oggetto>
  </intestazione>
  <dati>
    <consegna>a@pec.example.it</consegna>
    <errore-esteso>5.1.1 - Example PEC S.p.A. - indirizzo non valido</errore-esteso>
  </dati>
</postacert>"#;

    #[test]
    fn reads_tags_attributes_and_elements() {
        let root = start_tag(NOTICE, "postacert").unwrap();
        assert_eq!(attribute(root, "tipo"), Some("errore-consegna"));
        assert_eq!(attribute(root, "errore"), Some("no-dest"));
        assert_eq!(attribute(root, "other"), None);
        assert_eq!(elements(NOTICE, "destinatari").collect::<Vec<_>>(), vec!["a@pec.example.it", "b@example.org"]);
        assert_eq!(elements(NOTICE, "consegna").collect::<Vec<_>>(), vec!["a@pec.example.it"]);
        assert_eq!(text(elements(NOTICE, "oggetto").next().unwrap()), "Fattura <42>");
        assert_eq!(text("<![CDATA[x & y]]>"), "x & y");
        // A name that only starts like the element's is another element.
        assert_eq!(elements("<consegnato>x</consegnato>", "consegna").count(), 0);
        // Unclosed or cut text gives nothing, not a panic.
        assert_eq!(elements("<consegna>a@b.example", "consegna").count(), 0);
        assert_eq!(start_tag("<postacert tipo=\"x\"", "postacert"), None);
        assert_eq!(attribute(" tipo=", "tipo"), None);
    }
}
