//! Domain names given by users: checked, lower-cased, IDNA-encoded.

use std::net::IpAddr;

use hickory_resolver::Name;

use crate::Error;

/// The domain as it will be looked up (`example.com`) and as a fully
/// qualified DNS name (`example.com.`, so no search list applies).
pub(super) fn parse_domain(input: &str) -> Result<(String, Name), Error> {
    let bad = |message: &str| Error::InvalidDomain { domain: input.chars().take(80).collect(), message: message.into() };
    let s = input.trim();
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() {
        return Err(bad("empty"));
    }
    if s.contains('@') {
        return Err(bad("an address, not a domain: give the part after @"));
    }
    if s.parse::<IpAddr>().is_ok() || s.starts_with('[') {
        return Err(bad("an IP address, not a domain"));
    }
    let mut name = Name::from_utf8(s).map_err(|e| bad(&e.to_string()))?;
    name.set_fqdn(true);
    let ascii = name.to_ascii().to_ascii_lowercase();
    let ascii = ascii.strip_suffix('.').unwrap_or(&ascii).to_string();
    if ascii.len() > 253 {
        return Err(bad("longer than 253 characters"));
    }
    for label in ascii.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(bad("each label must have 1 to 63 characters"));
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(bad("only letters, digits, '-' and '_' may appear in a label"));
        }
    }
    let mut name = Name::from_ascii(&ascii).map_err(|e| bad(&e.to_string()))?;
    name.set_fqdn(true);
    Ok((ascii, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(parse_domain(" Example.COM. ").unwrap().0, "example.com");
        assert_eq!(parse_domain("bücher.example").unwrap().0, "xn--bcher-kva.example");
        for bad in ["", ".", "a@b.example", "192.0.2.1", "[192.0.2.1]", "a..b", "a b.example", "x\r\nMAIL FROM:<a>"] {
            assert!(matches!(parse_domain(bad), Err(Error::InvalidDomain { .. })), "{bad:?}");
        }
    }
}
