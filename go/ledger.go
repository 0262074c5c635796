package bouncekit

/*
#include <string.h>
#include "gobk.h"

static bk_result gobk_policy_default(bk_policy **out, gobk_err *e) {
	return gobk_check(bk_policy_new_default(out), e);
}

static bk_result gobk_policy_from_toml(const uint8_t *t, size_t n, bk_policy **out, gobk_err *e) {
	return gobk_check(bk_policy_from_toml(t, n, out), e);
}

static bk_result gobk_policy_from_file(const uint8_t *t, size_t n, bk_policy **out, gobk_err *e) {
	return gobk_check(bk_policy_from_file(t, n, out), e);
}

// A decision copied out, so a decide costs one cgo call.
typedef struct {
	bk_action action;
	bool has_retry;
	uint64_t retry_after;
	char *why; // malloc'd; the Go side frees it
} gobk_decision;

static void gobk_take_decision(bk_decision *d, gobk_decision *out) {
	out->action = bk_decision_action(d);
	out->has_retry = bk_decision_retry_after(d, &out->retry_after);
	out->why = strdup(bk_decision_why(d));
	bk_decision_free(d);
}

static bk_result gobk_policy_decide(const bk_policy *p, bk_history_event cur, const bk_history_event *h,
                                    size_t n, gobk_decision *out, gobk_err *e) {
	bk_decision *d = NULL;
	bk_result r = gobk_check(bk_policy_decide(p, cur, h, n, &d), e);
	if (r == BK_RESULT_OK) {
		gobk_take_decision(d, out);
	}
	return r;
}

static bk_result gobk_ledger_open(const uint8_t *path, size_t n, const bk_policy *p, bool memory,
                                  bk_ledger **out, gobk_err *e) {
	if (memory) {
		return gobk_check(bk_ledger_open_in_memory(p, out), e);
	}
	return gobk_check(bk_ledger_open(path, n, p, out), e);
}

static bk_result gobk_ledger_record(const bk_ledger *l, const bk_event *ev, size_t n, bk_batch_stats *st,
                                    gobk_err *e) {
	return gobk_check(bk_ledger_record(l, ev, n, st), e);
}

static bk_result gobk_ledger_record_message(const bk_ledger *l, const uint8_t *raw, size_t n, int64_t t,
                                            bk_batch_stats *st, gobk_err *e) {
	bk_report *r = NULL;
	bk_result res = gobk_check(bk_parse(raw, n, &r), e);
	if (res != BK_RESULT_OK) {
		return res;
	}
	res = gobk_check(bk_ledger_record_report(l, r, t, st), e);
	bk_report_free(r);
	return res;
}

static bk_result gobk_ledger_decide(const bk_ledger *l, const uint8_t *a, size_t n, int64_t now,
                                    gobk_decision *out, gobk_err *e) {
	bk_decision *d = NULL;
	bk_result r = gobk_check(bk_ledger_decide(l, a, n, now, &d), e);
	if (r == BK_RESULT_OK) {
		gobk_take_decision(d, out);
	}
	return r;
}

static bk_result gobk_ledger_is_suppressed(const bk_ledger *l, const uint8_t *a, size_t n, int64_t now,
                                           bool *out, gobk_err *e) {
	return gobk_check(bk_ledger_is_suppressed(l, a, n, now, out), e);
}

static bk_result gobk_ledger_release(const bk_ledger *l, const uint8_t *a, size_t n, int64_t at, bool domain,
                                     bool *out, gobk_err *e) {
	if (domain) {
		return gobk_check(bk_ledger_release_domain(l, a, n, at, out), e);
	}
	return gobk_check(bk_ledger_release(l, a, n, at, out), e);
}

// Export (format 0/1) or, with format 2, the domains as JSON.
static bk_result gobk_ledger_text(const bk_ledger *l, uint32_t format, int64_t now, size_t limit,
                                  bk_string **out, size_t *count, gobk_err *e) {
	if (format == 2) {
		return gobk_check(bk_ledger_domains(l, now, limit, out), e);
	}
	return gobk_check(bk_ledger_export(l, format, now, out, count), e);
}

static bk_result gobk_ledger_stats(const bk_ledger *l, int64_t now, bk_ledger_totals *out, gobk_err *e) {
	return gobk_check(bk_ledger_stats(l, now, out), e);
}
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// Policy decides what to do about an address from its bounces over time:
// which reasons suppress at once, the soft-bounce threshold and window
// (default 3 in 14 days), which reasons are the sender's problem, when a
// whole domain is flagged. See docs/policy.md for the TOML format. It is
// immutable and safe for concurrent use. Close releases its C memory (a
// finalizer does otherwise).
type Policy struct {
	mu  sync.RWMutex
	ptr *C.bk_policy
}

func newPolicy(ptr *C.bk_policy) *Policy {
	p := &Policy{ptr: ptr}
	runtime.SetFinalizer(p, (*Policy).Close)
	return p
}

// DefaultPolicy returns the default policy.
func DefaultPolicy() (*Policy, error) {
	var ptr *C.bk_policy
	var e C.gobk_err
	if r := C.gobk_policy_default(&ptr, &e); r != C.BK_RESULT_OK {
		return nil, newError(r, &e)
	}
	return newPolicy(ptr), nil
}

// PolicyFromTOML loads a policy from TOML text; keys left out keep their
// default, unknown keys are errors. The error wraps ErrPolicy (it says
// where and why) or ErrInvalidUTF8.
func PolicyFromTOML(text string) (*Policy, error) {
	var ptr *C.bk_policy
	var e C.gobk_err
	p, n := stringArg(text)
	if r := C.gobk_policy_from_toml(p, n, &ptr, &e); r != C.BK_RESULT_OK {
		return nil, newError(r, &e)
	}
	return newPolicy(ptr), nil
}

// PolicyFromFile is PolicyFromTOML from a file; the error wraps ErrIO
// when the file cannot be read.
func PolicyFromFile(path string) (*Policy, error) {
	var ptr *C.bk_policy
	var e C.gobk_err
	p, n := stringArg(path)
	if r := C.gobk_policy_from_file(p, n, &ptr, &e); r != C.BK_RESULT_OK {
		return nil, newError(r, &e)
	}
	return newPolicy(ptr), nil
}

// Close releases the policy. Safe to call more than once; ledgers opened
// with it keep their own copy.
func (p *Policy) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ptr != nil {
		C.bk_policy_free(p.ptr)
		p.ptr = nil
	}
	runtime.SetFinalizer(p, nil)
	return nil
}

// HistoryEvent is one bounce of an address: when, why and how hard.
type HistoryEvent struct {
	Time       time.Time
	Reason     Reason
	BounceType BounceType
}

// EventOf is the HistoryEvent of a classification at time t.
func EventOf(c Classification, t time.Time) HistoryEvent {
	return HistoryEvent{Time: t, Reason: c.Reason, BounceType: c.BounceType}
}

func (h HistoryEvent) toC() C.bk_history_event {
	return C.bk_history_event{time: C.int64_t(h.Time.Unix()), reason: C.uint32_t(h.Reason), bounce_type: C.uint32_t(h.BounceType)}
}

// Decision is what to do about an address, and why.
type Decision struct {
	Action Action
	// RetryAfter is how long to wait before retrying (for ActionRetry and
	// some ActionFixSender, e.g. rate limits); 0 when there is no delay.
	RetryAfter time.Duration
	// Why is a sentence a person can read, e.g. "3 soft bounces (mailboxfull ×3) in 14 days".
	Why string
}

func decisionFromC(d *C.gobk_decision) Decision {
	out := Decision{Action: Action(d.action), Why: C.GoString(d.why)}
	C.free(unsafe.Pointer(d.why))
	if d.has_retry {
		out.RetryAfter = time.Duration(d.retry_after) * time.Second
	}
	return out
}

// Decide decides on the event current given the address's earlier events
// (any order; events after current.Time are not looked at). Pure: no
// ledger, no I/O. The error wraps ErrInvalidParameter for a Reason or
// BounceType that is not one.
func (p *Policy) Decide(current HistoryEvent, history []HistoryEvent) (Decision, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.ptr == nil {
		return Decision{}, ErrPolicyClosed
	}
	// A Go slice of plain C structs (no Go pointers in it) may be passed to C.
	h := make([]C.bk_history_event, len(history))
	for i, e := range history {
		h[i] = e.toC()
	}
	var hp *C.bk_history_event
	if len(h) > 0 {
		hp = &h[0]
	}
	var d C.gobk_decision
	var e C.gobk_err
	if r := C.gobk_policy_decide(p.ptr, current.toC(), hp, C.size_t(len(h)), &d, &e); r != C.BK_RESULT_OK {
		return Decision{}, newError(r, &e)
	}
	return decisionFromC(&d), nil
}

// Ledger is the suppression ledger: an SQLite file of bounce events, the
// suppression list they lead to under a Policy, and domain health. It is
// safe for concurrent use (calls are serialized) and between processes
// (SQLite's WAL and locks). Every recording call is one transaction: all
// of it or, on error, none of it. Close it when done (a finalizer does
// otherwise).
type Ledger struct {
	mu  sync.RWMutex
	ptr *C.bk_ledger
}

func openLedger(path string, p *Policy, memory bool) (*Ledger, error) {
	if p == nil {
		d, err := DefaultPolicy()
		if err != nil {
			return nil, err
		}
		defer d.Close()
		p = d
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.ptr == nil {
		return nil, ErrPolicyClosed
	}
	var ptr *C.bk_ledger
	var e C.gobk_err
	s, n := stringArg(path)
	if r := C.gobk_ledger_open(s, n, p.ptr, C.bool(memory), &ptr, &e); r != C.BK_RESULT_OK {
		return nil, newError(r, &e)
	}
	l := &Ledger{ptr: ptr}
	runtime.SetFinalizer(l, (*Ledger).Close)
	return l, nil
}

// OpenLedger opens (creating it when missing) the ledger file at path,
// deciding with policy (nil: the default policy). The error wraps
// ErrLedger when the file is not a bouncekit ledger or is of a newer schema.
func OpenLedger(path string, policy *Policy) (*Ledger, error) {
	return openLedger(path, policy, false)
}

// OpenLedgerInMemory opens a ledger that lives in memory until Close.
func OpenLedgerInMemory(policy *Policy) (*Ledger, error) {
	return openLedger("", policy, true)
}

// Close closes the ledger. Safe to call more than once.
func (l *Ledger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ptr != nil {
		C.bk_ledger_free(l.ptr)
		l.ptr = nil
	}
	runtime.SetFinalizer(l, nil)
	return nil
}

// use runs f with the live handle, or returns ErrLedgerClosed.
func (l *Ledger) use(f func(*C.bk_ledger) error) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.ptr == nil {
		return ErrLedgerClosed
	}
	return f(l.ptr)
}

// Event is one bounce event to Record.
type Event struct {
	Recipient  string
	Time       time.Time // 1990 to 2100
	Reason     Reason
	BounceType BounceType // NewEvent sets the reason's default
	// MessageID is the bounce message's own Message-ID: with the recipient,
	// the event's identity (the same bounce recorded twice counts once).
	// Without it the identity is a hash of recipient, time and diagnostic.
	MessageID  string
	Source     string // where it came from (a path, a log name)
	Diagnostic string
}

// NewEvent is an Event with the reason's default bounce type.
func NewEvent(recipient string, t time.Time, reason Reason) Event {
	return Event{Recipient: recipient, Time: t, Reason: reason, BounceType: reason.Info().BounceType}
}

// BatchStats says what a recording call did.
type BatchStats struct {
	Events         uint64 // given
	Recorded       uint64 // new
	Duplicates     uint64 // already in the ledger
	Suppressed     uint64 // addresses newly suppressed
	DomainsFlagged uint64 // domains whose flag was raised or extended
	Skipped        uint64 // delay notices, not recorded
}

func statsFromC(s *C.bk_batch_stats) BatchStats {
	return BatchStats{
		Events: uint64(s.events), Recorded: uint64(s.recorded), Duplicates: uint64(s.duplicates),
		Suppressed: uint64(s.suppressed), DomainsFlagged: uint64(s.domains_flagged), Skipped: uint64(s.skipped),
	}
}

// Record records events in one transaction. One invalid event refuses
// them all (nothing is written; the error wraps ErrInvalidEvent and names
// the event and field).
func (l *Ledger) Record(events ...Event) (BatchStats, error) {
	// The strings go to C memory: a C struct passed to C may hold no Go pointers.
	size := 0
	for _, ev := range events {
		size += len(ev.Recipient) + len(ev.MessageID) + len(ev.Source) + len(ev.Diagnostic)
	}
	var arena unsafe.Pointer
	var arr unsafe.Pointer
	if len(events) > 0 {
		arena = C.malloc(C.size_t(size + 1))
		defer C.free(arena)
		arr = C.malloc(C.size_t(len(events)) * C.size_t(unsafe.Sizeof(C.bk_event{})))
		defer C.free(arr)
	}
	var buf []byte
	var cevs []C.bk_event
	if len(events) > 0 {
		buf = unsafe.Slice((*byte)(arena), size+1)
		cevs = unsafe.Slice((*C.bk_event)(arr), len(events))
	}
	off := 0
	put := func(s string) (*C.uint8_t, C.size_t) {
		if s == "" {
			return nil, 0
		}
		copy(buf[off:], s)
		p := (*C.uint8_t)(unsafe.Pointer(&buf[off]))
		off += len(s)
		return p, C.size_t(len(s))
	}
	for i, ev := range events {
		c := &cevs[i]
		c.recipient, c.recipient_len = put(ev.Recipient)
		c.time = C.int64_t(ev.Time.Unix())
		c.reason = C.uint32_t(ev.Reason)
		c.bounce_type = C.uint32_t(ev.BounceType)
		c.message_id, c.message_id_len = put(ev.MessageID)
		c.source, c.source_len = put(ev.Source)
		c.diagnostic, c.diagnostic_len = put(ev.Diagnostic)
	}
	var st C.bk_batch_stats
	err := l.use(func(ptr *C.bk_ledger) error {
		var e C.gobk_err
		if r := C.gobk_ledger_record(ptr, (*C.bk_event)(arr), C.size_t(len(events)), &st, &e); r != C.BK_RESULT_OK {
			return newError(r, &e)
		}
		return nil
	})
	if err != nil {
		return BatchStats{}, err
	}
	return statsFromC(&st), nil
}

// RecordMessage parses one raw message and records its recipients in one
// transaction, as `bouncekit scan --ledger` does: each at its last
// attempt, arrival or report date, else at defaultTime; delay notices are
// skipped. The error wraps ErrParse, ErrLimitExceeded or ErrInvalidEvent.
func (l *Ledger) RecordMessage(raw []byte, defaultTime time.Time) (BatchStats, error) {
	var st C.bk_batch_stats
	err := l.use(func(ptr *C.bk_ledger) error {
		var e C.gobk_err
		p, n := bytesArg(raw)
		if r := C.gobk_ledger_record_message(ptr, p, n, C.int64_t(defaultTime.Unix()), &st, &e); r != C.BK_RESULT_OK {
			return newError(r, &e)
		}
		return nil
	})
	if err != nil {
		return BatchStats{}, err
	}
	return statsFromC(&st), nil
}

// Decide decides on an address at now: its suppression, else its domain's
// flag, else the policy on its history. An address with no events is
// ActionIgnore. The error wraps ErrInvalidEvent for a string that is not
// an address.
func (l *Ledger) Decide(address string, now time.Time) (Decision, error) {
	var d C.gobk_decision
	err := l.use(func(ptr *C.bk_ledger) error {
		var e C.gobk_err
		a, n := stringArg(address)
		if r := C.gobk_ledger_decide(ptr, a, n, C.int64_t(now.Unix()), &d, &e); r != C.BK_RESULT_OK {
			return newError(r, &e)
		}
		return nil
	})
	if err != nil {
		return Decision{}, err
	}
	return decisionFromC(&d), nil
}

// IsSuppressed says whether the address is suppressed at now (on the
// list, or of a flagged domain when the policy suppresses those).
func (l *Ledger) IsSuppressed(address string, now time.Time) (bool, error) {
	var out C.bool
	err := l.use(func(ptr *C.bk_ledger) error {
		var e C.gobk_err
		a, n := stringArg(address)
		if r := C.gobk_ledger_is_suppressed(ptr, a, n, C.int64_t(now.Unix()), &out, &e); r != C.BK_RESULT_OK {
			return newError(r, &e)
		}
		return nil
	})
	return bool(out), err
}

func (l *Ledger) release(name string, at time.Time, domain bool) (bool, error) {
	var out C.bool
	err := l.use(func(ptr *C.bk_ledger) error {
		var e C.gobk_err
		a, n := stringArg(name)
		if r := C.gobk_ledger_release(ptr, a, n, C.int64_t(at.Unix()), C.bool(domain), &out, &e); r != C.BK_RESULT_OK {
			return newError(r, &e)
		}
		return nil
	})
	return bool(out), err
}

// Release takes an address that came back off the suppression list; its
// events up to at no longer count. It reports whether it was suppressed.
func (l *Ledger) Release(address string, at time.Time) (bool, error) {
	return l.release(address, at, false)
}

// ReleaseDomain lifts a domain's flag (it recovered); its host/network
// failures up to at no longer count. It reports whether it was flagged.
func (l *Ledger) ReleaseDomain(domain string, at time.Time) (bool, error) {
	return l.release(domain, at, true)
}

// ExportFormat is the format of Ledger.Export.
type ExportFormat uint32

// The export formats.
const (
	ExportCSV  ExportFormat = C.BK_EXPORT_FORMAT_CSV  // address,domain,scope,reason,bounce_type,since,until,why
	ExportJSON ExportFormat = C.BK_EXPORT_FORMAT_JSON // an array of objects with the same fields and since_unix
)

func (l *Ledger) text(format uint32, now time.Time, limit int) ([]byte, int, error) {
	var s *C.bk_string
	var count C.size_t
	err := l.use(func(ptr *C.bk_ledger) error {
		var e C.gobk_err
		if r := C.gobk_ledger_text(ptr, C.uint32_t(format), C.int64_t(now.Unix()), C.size_t(limit), &s, &count, &e); r != C.BK_RESULT_OK {
			return newError(r, &e)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	defer C.bk_string_free(s)
	return C.GoBytes(unsafe.Pointer(C.bk_string_data(s)), C.int(C.bk_string_len(s))), int(count), nil
}

// Export writes the suppression list at now as CSV or JSON and returns
// it with the number of entries.
func (l *Ledger) Export(format ExportFormat, now time.Time) ([]byte, int, error) {
	if format != ExportCSV && format != ExportJSON {
		return nil, 0, &Error{Code: ResultInvalidParameter, Message: fmt.Sprintf("%d is not an ExportFormat", format)}
	}
	return l.text(uint32(format), now, 0)
}

// Suppression is one entry of the suppression list.
type Suppression struct {
	Address    string  `json:"address"` // "*@domain" for a flagged domain
	Domain     string  `json:"domain"`
	Scope      string  `json:"scope"`       // "address" or "domain"
	Reason     *string `json:"reason"`      // nil for a domain
	BounceType *string `json:"bounce_type"` // nil for a domain
	Since      int64   `json:"since_unix"`
	Until      *string `json:"until"` // RFC 3339, for a domain flag; nil otherwise
	Why        string  `json:"why"`
}

// Suppressed returns the suppression list at now.
func (l *Ledger) Suppressed(now time.Time) ([]Suppression, error) {
	b, _, err := l.text(uint32(ExportJSON), now, 0)
	if err != nil {
		return nil, err
	}
	var out []Suppression
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("bouncekit: decoding the suppression list: %w", err)
	}
	return out, nil
}

// DomainFlag says why and until when a domain is flagged.
type DomainFlag struct {
	Domain       string `json:"domain"`
	FirstFailure int64  `json:"first_failure"`
	Since        int64  `json:"since"`
	LastFailure  int64  `json:"last_failure"`
	Addresses    uint32 `json:"addresses"`
	ExpiresAt    int64  `json:"expires_at"`
	Why          string `json:"why"`
}

// DomainStats is the health of one recipient domain.
type DomainStats struct {
	Domain         string      `json:"domain"`
	Events         uint64      `json:"events"`
	Recipients     uint64      `json:"recipients"`
	Hard           uint64      `json:"hard"`
	Soft           uint64      `json:"soft"`
	DomainFailures uint64      `json:"domain_failures"` // host/network failures
	Suppressed     uint64      `json:"suppressed"`
	LastEvent      int64       `json:"last_event"`
	Flagged        bool        `json:"flagged"` // flagged at the time asked about
	Flag           *DomainFlag `json:"flag"`    // the latest flag, active or lapsed; nil if never
}

// Domains returns per-domain health at now, flagged domains first, then
// the domains with the most events; at most limit (0: all).
func (l *Ledger) Domains(now time.Time, limit int) ([]DomainStats, error) {
	if limit < 0 {
		return nil, &Error{Code: ResultInvalidParameter, Message: "limit is negative"}
	}
	b, _, err := l.text(2, now, limit)
	if err != nil {
		return nil, err
	}
	var out []DomainStats
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("bouncekit: decoding domain statistics: %w", err)
	}
	return out, nil
}

// LedgerStats are a ledger's totals.
type LedgerStats struct {
	Events         uint64
	Recipients     uint64
	Domains        uint64
	Suppressed     uint64
	FlaggedDomains uint64    // at the time asked about
	FirstEvent     time.Time // zero when there are no events
	LastEvent      time.Time
	SchemaVersion  int64
}

// Stats returns the ledger's totals at now.
func (l *Ledger) Stats(now time.Time) (LedgerStats, error) {
	var t C.bk_ledger_totals
	err := l.use(func(ptr *C.bk_ledger) error {
		var e C.gobk_err
		if r := C.gobk_ledger_stats(ptr, C.int64_t(now.Unix()), &t, &e); r != C.BK_RESULT_OK {
			return newError(r, &e)
		}
		return nil
	})
	if err != nil {
		return LedgerStats{}, err
	}
	s := LedgerStats{
		Events: uint64(t.events), Recipients: uint64(t.recipients), Domains: uint64(t.domains),
		Suppressed: uint64(t.suppressed), FlaggedDomains: uint64(t.flagged_domains), SchemaVersion: int64(t.schema_version),
	}
	if t.events > 0 {
		s.FirstEvent = time.Unix(int64(t.first_event), 0).UTC()
		s.LastEvent = time.Unix(int64(t.last_event), 0).UTC()
	}
	return s, nil
}
