//! The DNS side: the resolver, MX and address lookups, and what their
//! failures mean (NXDOMAIN is an answer; SERVFAIL and timeouts are not).

use std::net::IpAddr;

use hickory_resolver::config::{NameServerConfigGroup, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{Name, ResolveError, ResolveErrorKind, TokioResolver};

use super::options::{CheckOptions, ResolverChoice};
use crate::Error;

/// What a lookup that found nothing says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Miss {
    /// NXDOMAIN: the name does not exist.
    NoSuchName,
    /// NOERROR without records of the type asked (NODATA).
    NoRecords,
    /// No trustworthy answer: SERVFAIL, REFUSED, timeout, network error.
    Failed(String),
}

impl Miss {
    pub(super) fn describe(&self) -> String {
        match self {
            Miss::NoSuchName => "NXDOMAIN".into(),
            Miss::NoRecords => "NODATA".into(),
            Miss::Failed(why) => why.clone(),
        }
    }
}

/// One MX record.
#[derive(Clone, Debug)]
pub(super) struct MxRecord {
    pub preference: u16,
    pub exchange: Name,
}

pub(super) fn build_resolver(opts: &CheckOptions) -> Result<TokioResolver, Error> {
    let provider = TokioConnectionProvider::default();
    let mut builder = match &opts.resolver {
        ResolverChoice::System => TokioResolver::builder(provider).map_err(|e| Error::Resolver(e.to_string()))?,
        ResolverChoice::At(addr) => {
            let servers = NameServerConfigGroup::from_ips_clear(&[addr.ip()], addr.port(), true);
            TokioResolver::builder_with_config(ResolverConfig::from_parts(None, vec![], servers), provider)
        }
    };
    let o: &mut ResolverOpts = builder.options_mut();
    o.timeout = opts.dns_timeout;
    o.attempts = opts.dns_attempts;
    // Each name is asked once per check; a small cache only helps MX hosts
    // shared by many domains of a batch.
    o.cache_size = 1024;
    o.ndots = 0;
    o.try_tcp_on_error = true;
    if opts.resolver != ResolverChoice::System {
        o.use_hosts_file = ResolveHosts::Never;
    }
    Ok(builder.build())
}

/// The MX records of `name`, in preference order (ties by name, so the
/// order is stable).
pub(super) async fn mx(resolver: &TokioResolver, name: &Name) -> Result<Vec<MxRecord>, Miss> {
    let lookup = resolver.mx_lookup(name.clone()).await.map_err(miss)?;
    let mut out: Vec<MxRecord> =
        lookup.iter().map(|mx| MxRecord { preference: mx.preference(), exchange: mx.exchange().clone() }).collect();
    out.sort_by(|a, b| a.preference.cmp(&b.preference).then_with(|| a.exchange.cmp(&b.exchange)));
    Ok(out)
}

/// The A and AAAA addresses of `name`, IPv4 first. Found addresses win
/// over a failure of the other family.
pub(super) async fn addresses(resolver: &TokioResolver, name: &Name) -> Result<Vec<IpAddr>, Miss> {
    let (v4, v6) = tokio::join!(resolver.ipv4_lookup(name.clone()), resolver.ipv6_lookup(name.clone()));
    let mut out = Vec::new();
    let mut misses = Vec::new();
    match v4 {
        Ok(l) => out.extend(l.iter().map(|a| IpAddr::V4(a.0))),
        Err(e) => misses.push(miss(e)),
    }
    match v6 {
        Ok(l) => out.extend(l.iter().map(|a| IpAddr::V6(a.0))),
        Err(e) => misses.push(miss(e)),
    }
    out.dedup();
    if !out.is_empty() {
        return Ok(out);
    }
    // Nothing found: a failure beats NXDOMAIN beats NODATA.
    if let Some(f) = misses.iter().find(|m| matches!(m, Miss::Failed(_))) {
        return Err(f.clone());
    }
    if misses.contains(&Miss::NoSuchName) {
        return Err(Miss::NoSuchName);
    }
    Err(Miss::NoRecords)
}

fn miss(e: ResolveError) -> Miss {
    if let ResolveErrorKind::Proto(p) = e.kind() {
        match p.kind() {
            ProtoErrorKind::NoRecordsFound { response_code, .. } => {
                return match *response_code {
                    ResponseCode::NXDomain => Miss::NoSuchName,
                    ResponseCode::NoError => Miss::NoRecords,
                    code => Miss::Failed(format!("{code:?}").to_uppercase()),
                };
            }
            ProtoErrorKind::Timeout => return Miss::Failed("timeout".into()),
            _ => {}
        }
    }
    Miss::Failed(e.to_string())
}
