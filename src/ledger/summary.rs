//! Per-address summaries (schema v4): what a batch needs to know about an
//! address's past to decide on its new events without re-reading its history.
//!
//! A summary holds the address's last few events that may count toward a
//! soft-bounce threshold (soft, and of no reason that suppresses, is ignored
//! or is the sender's fault), its release time, and the policy it was made
//! under. A batch decides from it alone when its new events all come after
//! the summarised ones and the summary reaches back a full counting window;
//! otherwise (no summary, another policy, events out of order, a crowded
//! window) it reads the history as before. Either way the decision is the
//! one the whole history gives: windows without a new event were looked at
//! when their events were recorded and found short of any threshold, even
//! ignoring domain flags (else the summary is marked [`State::Hot`] and the
//! history is always read, since a lifted flag could make them count).

use crate::policy::HistoryEvent;
use crate::{BounceType, Policy, Reason};

/// How many events a summary keeps (enough for the default 3-in-14-days
/// rule with room to spare; a window holding more reads the history).
pub(super) const KEEP: usize = 4;

/// What the summarised history says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// Not suppressed; no window of its events reaches a threshold, even
    /// counting the host failures a domain flag excuses.
    Clean,
    /// Not suppressed, but only thanks to a domain flag: read the history.
    Hot,
    /// On the suppression list (a release clears the summary).
    Suppressed,
}

/// One summarised event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Recent {
    pub time: i64,
    pub reason: Reason,
    /// A host/network failure of the domain (a domain release excuses it).
    pub domain_failure: bool,
}

impl Recent {
    pub fn event(&self) -> HistoryEvent {
        HistoryEvent::new(self.time, self.reason, BounceType::Soft)
    }
}

/// An address's summary, as stored in `recipients.summary`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Summary {
    pub state: State,
    /// [`fingerprint`] of the policy it was made under.
    pub policy: u64,
    /// The address's release (`i64::MIN`: never released).
    pub released_at: i64,
    /// The last events (at most [`KEEP`]) that may count, oldest first.
    pub recent: Vec<Recent>,
}

const HEAD: usize = 1 + 8 + 8;
const ENTRY: usize = 8 + 1 + 1;

impl Summary {
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(HEAD + ENTRY * self.recent.len());
        b.push(match self.state {
            State::Clean => 1,
            State::Hot => 2,
            State::Suppressed => 3,
        });
        b.extend_from_slice(&self.policy.to_le_bytes());
        b.extend_from_slice(&self.released_at.to_le_bytes());
        for r in &self.recent {
            b.extend_from_slice(&r.time.to_le_bytes());
            // Reason::ALL's order is part of the fingerprint, so an index is stable.
            b.push(Reason::ALL.iter().position(|x| *x == r.reason).unwrap_or(0) as u8);
            b.push(u8::from(r.domain_failure));
        }
        b
    }

    /// `None` for anything this version did not write (the history is read instead).
    pub fn decode(b: &[u8]) -> Option<Summary> {
        if b.len() < HEAD || (b.len() - HEAD) % ENTRY != 0 || (b.len() - HEAD) / ENTRY > KEEP {
            return None;
        }
        let state = match b[0] {
            1 => State::Clean,
            2 => State::Hot,
            3 => State::Suppressed,
            _ => return None,
        };
        let i64_at = |i: usize| i64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
        let recent = b[HEAD..]
            .chunks_exact(ENTRY)
            .map(|c| {
                Some(Recent {
                    time: i64::from_le_bytes(c[..8].try_into().ok()?),
                    reason: *Reason::ALL.get(usize::from(c[8]))?,
                    domain_failure: c[9] == 1,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Summary { state, policy: i64_at(1) as u64, released_at: i64_at(9), recent })
    }

    /// The summary of a suppressed address.
    pub fn suppressed() -> Summary {
        Summary { state: State::Suppressed, policy: 0, released_at: i64::MIN, recent: Vec::new() }
    }
}

/// Identifies a policy (and this version's reason vocabulary) across
/// processes: FNV-1a of its full description, so it is the same in every
/// build that describes the policy the same way.
pub(super) fn fingerprint(policy: &Policy) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let names = Reason::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",");
    for b in format!("summary-v1|{names}|{policy:?}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Whether an event may count toward a soft-bounce threshold under `policy`
/// (before any domain flag is looked at).
pub(super) fn may_count(policy: &Policy, e: &HistoryEvent) -> bool {
    e.bounce_type == BounceType::Soft
        && !policy.fix_sender_reasons.contains(&e.reason)
        && !policy.ignore_reasons.contains(&e.reason)
        && !policy.suppress_reasons.contains(&e.reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_round_trip_and_refuse_what_they_did_not_write() {
        let s = Summary {
            state: State::Hot,
            policy: fingerprint(&Policy::default()),
            released_at: 1_714_557_600,
            recent: vec![
                Recent { time: 1, reason: Reason::MailboxFull, domain_failure: false },
                Recent { time: 2, reason: Reason::NetworkError, domain_failure: true },
            ],
        };
        assert_eq!(Summary::decode(&s.encode()), Some(s.clone()));
        let b = s.encode();
        assert_eq!(Summary::decode(&b[..b.len() - 1]), None);
        assert_eq!(Summary::decode(&[9; HEAD]), None);
        let mut bad_reason = b.clone();
        bad_reason[HEAD + 8] = 255;
        assert_eq!(Summary::decode(&bad_reason), None);
        let strict = Policy { soft: crate::policy::SoftRule { threshold: 2, ..Policy::default().soft }, ..Policy::default() };
        assert_ne!(fingerprint(&strict), fingerprint(&Policy::default()));
    }
}
