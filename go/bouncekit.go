// Package bouncekit classifies bounced email: it reads SMTP diagnostic
// text and says what happened to the recipient (a reason such as
// "userunknown" or "mailboxfull"), whether the bounce is hard or soft, and
// what the sender should do about it. It also explains enhanced status
// codes (RFC 3463) as a reference page would.
//
// It wraps the bouncekit C library (libbouncekit.a) through cgo: build the
// library first (`make` at the repository root puts it in
// target/bouncekit-c/lib, where the #cgo directives look by default; set
// CGO_LDFLAGS=-L<dir> and CGO_CFLAGS=-I<dir> to point elsewhere). The
// package has no Go dependencies beyond the standard library.
//
// Every function is safe for concurrent use. A Classifier holds C memory:
// Close it when done (a finalizer frees it otherwise). Results are plain
// Go values that keep no C memory alive.
package bouncekit

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#cgo LDFLAGS: -L${SRCDIR}/../target/bouncekit-c/lib -l:libbouncekit.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
#include <stdlib.h>
#include "bouncekit.h"

#include "gobk.h"

// Everything of a classification in one struct, so a classify costs two
// cgo calls (this and the free). The strings belong to `handle`.
typedef struct {
	bk_classification *handle;
	bk_reason reason;
	bk_bounce_type bounce_type;
	bk_category category;
	bk_action action;
	bk_status_source status_source;
	bool has_status;
	bk_status_code status;
	uint16_t reply_code;
	const char *status_text;
	const char *description;
	const char *rule;
	const char *note;
} gobk_classification;

static void gobk_fill(const bk_classification *c, gobk_classification *out) {
	out->reason = bk_classification_reason(c);
	out->bounce_type = bk_classification_bounce_type(c);
	out->category = bk_classification_category(c);
	out->action = bk_classification_action(c);
	out->status_source = bk_classification_status_source(c);
	out->has_status = bk_classification_status_code(c, &out->status);
	out->reply_code = bk_classification_reply_code(c);
	out->status_text = bk_classification_status(c);
	out->description = bk_classification_description(c);
	out->rule = bk_classification_rule(c);
	out->note = bk_classification_note(c);
}

static bk_result gobk_classify(const bk_classifier *cl, const uint8_t *text, size_t len,
                               const bk_found_codes *hints, gobk_classification *out, gobk_err *e) {
	bk_classification *c = NULL;
	bk_result r;
	if (cl == NULL) {
		r = bk_classify(text, len, &c);
	} else if (hints != NULL) {
		r = bk_classifier_classify_with(cl, text, len, hints, &c);
	} else {
		r = bk_classifier_classify(cl, text, len, &c);
	}
	if (gobk_check(r, e) != BK_RESULT_OK) {
		return r;
	}
	out->handle = c;
	gobk_fill(c, out);
	return r;
}

// One recipient of a report in one struct; the strings belong to the report.
typedef struct {
	const char *recipient;
	const char *original_recipient;
	bk_dsn_action dsn_action;
	const char *status;
	uint16_t reply_code;
	const char *diagnostic;
	const char *remote_mta;
	const char *reporting_mta;
	const char *smtp_command;
	const char *arrival_date;
	const char *last_attempt_date;
	const char *decoded_by;
	const char *feedback_type;
	gobk_classification classification;
} gobk_bounce;

static bk_result gobk_parse(const bk_classifier *cl, const uint8_t *raw, size_t len, bk_report **out, gobk_err *e) {
	if (cl == NULL) {
		return gobk_check(bk_parse(raw, len, out), e);
	}
	return gobk_check(bk_classifier_parse(cl, raw, len, out), e);
}

static void gobk_bounce_at(const bk_report *r, size_t i, gobk_bounce *out) {
	const bk_bounce *b = bk_report_recipient(r, i);
	out->recipient = bk_bounce_recipient(b);
	out->original_recipient = bk_bounce_original_recipient(b);
	out->dsn_action = bk_bounce_dsn_action(b);
	out->status = bk_bounce_status(b);
	out->reply_code = bk_bounce_reply_code(b);
	out->diagnostic = bk_bounce_diagnostic(b);
	out->remote_mta = bk_bounce_remote_mta(b);
	out->reporting_mta = bk_bounce_reporting_mta(b);
	out->smtp_command = bk_bounce_smtp_command(b);
	out->arrival_date = bk_bounce_arrival_date(b);
	out->last_attempt_date = bk_bounce_last_attempt_date(b);
	out->decoded_by = bk_bounce_decoded_by(b);
	out->feedback_type = bk_bounce_feedback_type(b);
	out->classification.handle = NULL;
	gobk_fill(bk_bounce_classification(b), &out->classification);
}

static bk_result gobk_classifier_new(const uint8_t *rules, size_t len, bool with_rules,
                                     bk_classifier **out, gobk_err *e) {
	if (with_rules) {
		return gobk_check(bk_classifier_new_with_rules(rules, len, out), e);
	}
	return gobk_check(bk_classifier_new(out), e);
}

static bk_result gobk_explain(const uint8_t *code, size_t len, bk_explanation **out, gobk_err *e) {
	return gobk_check(bk_explain(code, len, out), e);
}

static bk_result gobk_status_code_parse(const uint8_t *text, size_t len, bk_status_code *out, gobk_err *e) {
	return gobk_check(bk_status_code_parse(text, len, out), e);
}

static bk_result gobk_reason_from_name(const uint8_t *text, size_t len, bk_reason *out, gobk_err *e) {
	return gobk_check(bk_reason_from_name(text, len, out), e);
}

static bk_result gobk_find_codes(const uint8_t *text, size_t len, bk_found_codes *out, gobk_err *e) {
	return gobk_check(bk_find_codes(text, len, out), e);
}

static bk_result gobk_test_panic(gobk_err *e) {
	return gobk_check(bk_test_panic(NULL), e);
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Version is the version of the linked C library, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.bk_version())
}

// HeaderVersion is the version of the bouncekit.h this package was compiled against.
const HeaderVersion = C.BK_VERSION_STRING

// bytesArg passes b to C without copying. cgo allows it: the memory holds
// no Go pointers and C keeps no reference after the call.
func bytesArg(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(b))), C.size_t(len(b))
}

// stringArg passes s to C without copying (C only reads it).
func stringArg(s string) (*C.uint8_t, C.size_t) {
	if len(s) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(unsafe.StringData(s))), C.size_t(len(s))
}

func goStringOrEmpty(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

func newError(r C.bk_result, e *C.gobk_err) error {
	msg := C.GoStringN(&e.msg[0], C.int(e.len))
	return &Error{Code: Result(r), Message: msg}
}

// StatusCode is an enhanced mail system status code, class.subject.detail (RFC 3463).
type StatusCode struct {
	Class   int // 2 (success), 4 (temporary) or 5 (permanent)
	Subject int // 0..7
	Detail  int // 0..999
}

// String formats the code as "5.1.1".
func (s StatusCode) String() string {
	return fmt.Sprintf("%d.%d.%d", s.Class, s.Subject, s.Detail)
}

func statusFromC(c C.bk_status_code) StatusCode {
	return StatusCode{Class: int(c.class_digit), Subject: int(c.subject), Detail: int(c.detail)}
}

// ParseStatusCode parses a whole enhanced status code such as "5.7.26".
// The error wraps ErrInvalidCode when s is not one.
func ParseStatusCode(s string) (StatusCode, error) {
	var out C.bk_status_code
	var e C.gobk_err
	p, n := stringArg(s)
	if r := C.gobk_status_code_parse(p, n, &out, &e); r != C.BK_RESULT_OK {
		return StatusCode{}, newError(r, &e)
	}
	return statusFromC(out), nil
}

// Codes are the SMTP reply code and enhanced status code of a diagnostic.
type Codes struct {
	// Status is the enhanced status code; nil when there is none.
	Status *StatusCode
	// ReplyCode is the SMTP reply code (e.g. 550); 0 when there is none.
	ReplyCode int
}

// FindCodes finds the reply code and the enhanced status code in free text,
// as the classifier does (multi-line replies, "#5.1.1", "smtp; 550 ...";
// no false hits on IP addresses or version numbers).
func FindCodes(text string) Codes {
	var out C.bk_found_codes
	var e C.gobk_err
	p, n := stringArg(text)
	if r := C.gobk_find_codes(p, n, &out, &e); r != C.BK_RESULT_OK {
		return Codes{}
	}
	var c Codes
	if out.has_status {
		s := statusFromC(out.status)
		c.Status = &s
	}
	c.ReplyCode = int(out.reply_code)
	return c
}

// Classification is the verdict on one diagnostic text.
type Classification struct {
	// Status is the enhanced status code ("5.1.1"), found or derived
	// (see StatusSource); "" when there is none.
	Status string
	// StatusCode is Status as numbers; nil when there is none.
	StatusCode *StatusCode
	// StatusSource says whether Status was found in the text or derived.
	StatusSource StatusSource
	// ReplyCode is the SMTP reply code found in the text; 0 when none.
	ReplyCode int
	// Reason is the word of the reason vocabulary.
	Reason Reason
	// BounceType is hard, soft or none.
	BounceType BounceType
	// Category is the status subject's area.
	Category Category
	// Action is what the sender should do.
	Action Action
	// Description is the knowledge base's short meaning of the status.
	Description string
	// Rule is what decided: a rule id, "status:X.s.d", "reply:NNN" or "none".
	Rule string
	// Note is a remark on the decision; "" when there is none.
	Note string
}

func classify(cl *C.bk_classifier, p *C.uint8_t, n C.size_t, hints *C.bk_found_codes) (Classification, error) {
	var out C.gobk_classification
	var e C.gobk_err
	if r := C.gobk_classify(cl, p, n, hints, &out, &e); r != C.BK_RESULT_OK {
		return Classification{}, newError(r, &e)
	}
	c := classificationFromC(&out)
	C.bk_classification_free(out.handle)
	return c, nil
}

func classificationFromC(out *C.gobk_classification) Classification {
	c := Classification{
		Status:       goStringOrEmpty(out.status_text),
		StatusSource: StatusSource(out.status_source),
		ReplyCode:    int(out.reply_code),
		Reason:       Reason(out.reason),
		BounceType:   BounceType(out.bounce_type),
		Category:     Category(out.category),
		Action:       Action(out.action),
		Description:  goStringOrEmpty(out.description),
		Rule:         goStringOrEmpty(out.rule),
		Note:         goStringOrEmpty(out.note),
	}
	if out.has_status {
		s := statusFromC(out.status)
		c.StatusCode = &s
	}
	return c
}

// Classify classifies one diagnostic text with the built-in rules. The
// text may be in any encoding (invalid UTF-8 is replaced). The error is
// only ever an internal one (ErrPanic).
func Classify(text string) (Classification, error) {
	p, n := stringArg(text)
	return classify(nil, p, n, nil)
}

// ClassifyBytes is Classify for a byte slice (not copied, not retained).
func ClassifyBytes(text []byte) (Classification, error) {
	p, n := bytesArg(text)
	return classify(nil, p, n, nil)
}

// Classifier classifies with the built-in rules and, optionally, the
// user's rules first. It is safe for concurrent use. Close releases its C
// memory; a finalizer does it if Close is never called.
type Classifier struct {
	mu  sync.RWMutex
	ptr *C.bk_classifier
}

func newClassifier(rules []byte, withRules bool) (*Classifier, error) {
	var ptr *C.bk_classifier
	var e C.gobk_err
	p, n := bytesArg(rules)
	if r := C.gobk_classifier_new(p, n, C.bool(withRules), &ptr, &e); r != C.BK_RESULT_OK {
		return nil, newError(r, &e)
	}
	c := &Classifier{ptr: ptr}
	runtime.SetFinalizer(c, (*Classifier).Close)
	return c, nil
}

// NewClassifier returns a classifier with the built-in rules only.
func NewClassifier() (*Classifier, error) {
	return newClassifier(nil, false)
}

// NewClassifierWithRules returns a classifier whose rules (the text of a
// TOML rules file, in the format of bouncekit's data/rules) go before the
// built-in ones. The error wraps ErrRules (or ErrInvalidUTF8) and says
// which rule is wrong and why.
func NewClassifierWithRules(rulesTOML []byte) (*Classifier, error) {
	return newClassifier(rulesTOML, true)
}

// Close releases the classifier. It is safe to call more than once; using
// the classifier afterwards returns ErrClosed.
func (c *Classifier) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr != nil {
		C.bk_classifier_free(c.ptr)
		c.ptr = nil
	}
	runtime.SetFinalizer(c, nil)
	return nil
}

func (c *Classifier) classify(p *C.uint8_t, n C.size_t, hints *C.bk_found_codes) (Classification, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return Classification{}, ErrClosed
	}
	return classify(c.ptr, p, n, hints)
}

// Classify classifies one diagnostic text.
func (c *Classifier) Classify(text string) (Classification, error) {
	p, n := stringArg(text)
	return c.classify(p, n, nil)
}

// ClassifyBytes classifies one diagnostic text given as bytes (not copied, not retained).
func (c *Classifier) ClassifyBytes(text []byte) (Classification, error) {
	p, n := bytesArg(text)
	return c.classify(p, n, nil)
}

// ClassifyWith classifies a diagnostic with codes known from elsewhere (a
// DSN's Status field, say). Codes in the text win, except that a hint fills
// a missing code and replaces a text code whose detail is 0 with a more
// specific one. The error wraps ErrInvalidCode for an invalid hint.
func (c *Classifier) ClassifyWith(text string, hints Codes) (Classification, error) {
	var h C.bk_found_codes
	if hints.Status != nil {
		s := *hints.Status
		if s.Class < 0 || s.Class > 255 || s.Subject < 0 || s.Subject > 65535 || s.Detail < 0 || s.Detail > 65535 {
			return Classification{}, &Error{Code: ResultInvalidCode, Message: fmt.Sprintf("invalid status code hint %v", s)}
		}
		h.has_status = true
		h.status = C.bk_status_code{class_digit: C.uint8_t(s.Class), subject: C.uint16_t(s.Subject), detail: C.uint16_t(s.Detail)}
	}
	if hints.ReplyCode < 0 || hints.ReplyCode > 65535 {
		return Classification{}, &Error{Code: ResultInvalidCode, Message: fmt.Sprintf("invalid reply code hint %d", hints.ReplyCode)}
	}
	h.reply_code = C.uint16_t(hints.ReplyCode)
	p, n := stringArg(text)
	return c.classify(p, n, &h)
}

// RuleIDs returns the ids of the classifier's rules, the user's first.
func (c *Classifier) RuleIDs() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return nil
	}
	n := int(C.bk_classifier_rule_count(c.ptr))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = C.GoString(C.bk_classifier_rule_id(c.ptr, C.size_t(i)))
	}
	return ids
}

// Level says how specific an Explanation is.
type Level uint32

// The levels of an explanation.
const (
	LevelRegistered Level = C.BK_LEVEL_REGISTERED // the code is in the IANA registry
	LevelSubject    Level = C.BK_LEVEL_SUBJECT    // not registered: the subject's and class's answer
)

// String returns "registered" or "subject".
func (l Level) String() string { return nameOr(C.bk_level_name(C.uint32_t(l)), "Level", uint32(l)) }

// Explanation is what the knowledge base says about one enhanced status
// code: the reference page for that code.
type Explanation struct {
	Code          string // the code asked about, e.g. "5.4.1"
	RegistryKey   string // e.g. "X.4.1"
	Level         Level
	Name          string // the registry name
	RFC           int    // the defining RFC; 0 when none
	Reference     string // another defining document; "" when none
	Deprecated    bool
	Permanence    string // "success", "temporary" or "permanent"
	ClassName     string
	ClassMeaning  string
	Reason        Reason // the verdict a classifier gives for this code alone
	BounceType    BounceType
	Category      Category
	Action        Action
	Summary       string
	Meaning       string
	ClassNote     string // what this class of the code means for the sender; may be ""
	Causes        []string
	ForSenders    []string
	ForDevelopers []string
	Investigation []string
	BestPractices []string
	Examples      []string
}

func explanationList(e *C.bk_explanation, list C.uint32_t) []string {
	n := int(C.bk_explanation_list_len(e, list))
	out := make([]string, n)
	for i := range out {
		out[i] = C.GoString(C.bk_explanation_list_item(e, list, C.size_t(i)))
	}
	return out
}

// Explain explains an enhanced status code such as "5.4.1". Unregistered
// but well-formed codes get the subject-level answer (LevelSubject). The
// error wraps ErrInvalidCode when code is not a status code.
func Explain(code string) (*Explanation, error) {
	var ptr *C.bk_explanation
	var e C.gobk_err
	p, n := stringArg(code)
	if r := C.gobk_explain(p, n, &ptr, &e); r != C.BK_RESULT_OK {
		return nil, newError(r, &e)
	}
	defer C.bk_explanation_free(ptr)
	return &Explanation{
		Code:          C.GoString(C.bk_explanation_code(ptr)),
		RegistryKey:   C.GoString(C.bk_explanation_registry_key(ptr)),
		Level:         Level(C.bk_explanation_level(ptr)),
		Name:          C.GoString(C.bk_explanation_name(ptr)),
		RFC:           int(C.bk_explanation_rfc(ptr)),
		Reference:     goStringOrEmpty(C.bk_explanation_reference(ptr)),
		Deprecated:    bool(C.bk_explanation_deprecated(ptr)),
		Permanence:    C.GoString(C.bk_explanation_permanence(ptr)),
		ClassName:     C.GoString(C.bk_explanation_class_name(ptr)),
		ClassMeaning:  C.GoString(C.bk_explanation_class_meaning(ptr)),
		Reason:        Reason(C.bk_explanation_reason(ptr)),
		BounceType:    BounceType(C.bk_explanation_bounce_type(ptr)),
		Category:      Category(C.bk_explanation_category(ptr)),
		Action:        Action(C.bk_explanation_action(ptr)),
		Summary:       C.GoString(C.bk_explanation_summary(ptr)),
		Meaning:       C.GoString(C.bk_explanation_meaning(ptr)),
		ClassNote:     goStringOrEmpty(C.bk_explanation_class_note(ptr)),
		Causes:        explanationList(ptr, C.BK_EXPLANATION_LIST_CAUSES),
		ForSenders:    explanationList(ptr, C.BK_EXPLANATION_LIST_FOR_SENDERS),
		ForDevelopers: explanationList(ptr, C.BK_EXPLANATION_LIST_FOR_DEVELOPERS),
		Investigation: explanationList(ptr, C.BK_EXPLANATION_LIST_INVESTIGATION),
		BestPractices: explanationList(ptr, C.BK_EXPLANATION_LIST_BEST_PRACTICES),
		Examples:      explanationList(ptr, C.BK_EXPLANATION_LIST_EXAMPLES),
	}, nil
}

// RegisteredCodes returns the registry keys of every code in the IANA
// registry that Explain knows, in order ("X.0.0" .. "X.7.30").
func RegisteredCodes() []string {
	n := int(C.bk_registered_code_count())
	out := make([]string, n)
	for i := range out {
		out[i] = C.GoString(C.bk_registered_code(C.size_t(i)))
	}
	return out
}

// Original identifies the message a report returns.
type Original struct {
	MessageID string // without angle brackets
	From      string
	To        string
	Subject   string
}

// Bounce is what happened to one recipient of a report.
type Bounce struct {
	Recipient         string // the final recipient address
	OriginalRecipient string // before aliasing or forwarding, when reported
	DSNAction         DSNAction
	Status            string // the enhanced status code as reported; Classification.Status is the verdict's
	ReplyCode         int    // 0 when none
	Diagnostic        string // unfolded to one line
	RemoteMTA         string
	ReportingMTA      string
	SMTPCommand       string // RCPT, DATA, ...
	ArrivalDate       string // RFC 3339 when parseable
	LastAttemptDate   string // RFC 3339 when parseable
	DecodedBy         string // rfc3464, arf, rfc3834, postfix, exim, ...
	FeedbackType      string // the ARF feedback type (abuse, ...)
	Classification    Classification
}

// Report is one parsed message: its kind and one Bounce per recipient.
// Empty strings mean "not present".
type Report struct {
	Source       string // where a Scanner found it: a path, or path#N in an mbox; "" from Parse
	Kind         MessageKind
	ReportingMTA string
	From         string
	Subject      string
	Date         string // RFC 3339 when parseable
	Original     Original
	Recipients   []Bounce
}

func parse(cl *C.bk_classifier, raw []byte) (*Report, error) {
	var ptr *C.bk_report
	var e C.gobk_err
	p, n := bytesArg(raw)
	if r := C.gobk_parse(cl, p, n, &ptr, &e); r != C.BK_RESULT_OK {
		return nil, newError(r, &e)
	}
	defer C.bk_report_free(ptr)
	return reportFromC(ptr), nil
}

// reportFromC copies a C report into Go values (the handle stays the caller's).
func reportFromC(ptr *C.bk_report) *Report {
	rep := &Report{
		Source:       goStringOrEmpty(C.bk_report_source(ptr)),
		Kind:         MessageKind(C.bk_report_kind(ptr)),
		ReportingMTA: goStringOrEmpty(C.bk_report_reporting_mta(ptr)),
		From:         goStringOrEmpty(C.bk_report_from(ptr)),
		Subject:      goStringOrEmpty(C.bk_report_subject(ptr)),
		Date:         goStringOrEmpty(C.bk_report_date(ptr)),
		Original: Original{
			MessageID: goStringOrEmpty(C.bk_report_original_message_id(ptr)),
			From:      goStringOrEmpty(C.bk_report_original_from(ptr)),
			To:        goStringOrEmpty(C.bk_report_original_to(ptr)),
			Subject:   goStringOrEmpty(C.bk_report_original_subject(ptr)),
		},
	}
	count := int(C.bk_report_recipient_count(ptr))
	rep.Recipients = make([]Bounce, count)
	for i := range rep.Recipients {
		var b C.gobk_bounce
		C.gobk_bounce_at(ptr, C.size_t(i), &b)
		rep.Recipients[i] = Bounce{
			Recipient:         goStringOrEmpty(b.recipient),
			OriginalRecipient: goStringOrEmpty(b.original_recipient),
			DSNAction:         DSNAction(b.dsn_action),
			Status:            goStringOrEmpty(b.status),
			ReplyCode:         int(b.reply_code),
			Diagnostic:        goStringOrEmpty(b.diagnostic),
			RemoteMTA:         goStringOrEmpty(b.remote_mta),
			ReportingMTA:      goStringOrEmpty(b.reporting_mta),
			SMTPCommand:       goStringOrEmpty(b.smtp_command),
			ArrivalDate:       goStringOrEmpty(b.arrival_date),
			LastAttemptDate:   goStringOrEmpty(b.last_attempt_date),
			DecodedBy:         goStringOrEmpty(b.decoded_by),
			FeedbackType:      goStringOrEmpty(b.feedback_type),
			Classification:    classificationFromC(&b.classification),
		}
	}
	return rep
}

// Parse parses one raw email message (a bounce, delay or delivery notice,
// ARF complaint, auto-reply, ...) with the built-in rules. A message that
// is not a bounce still parses (KindNotBounce, no recipients). The error
// wraps ErrParse when raw is not an email message and ErrLimitExceeded
// when it is over the parser's limits (64 MB, ...). raw is not retained.
func Parse(raw []byte) (*Report, error) {
	return parse(nil, raw)
}

// Parse is the package-level Parse with this classifier's rules deciding
// each recipient's verdict.
func (c *Classifier) Parse(raw []byte) (*Report, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return nil, ErrClosed
	}
	return parse(c.ptr, raw)
}

func parseReason(name string) (Reason, error) {
	var out C.bk_reason
	var e C.gobk_err
	p, n := stringArg(name)
	if r := C.gobk_reason_from_name(p, n, &out, &e); r != C.BK_RESULT_OK {
		return 0, newError(r, &e)
	}
	return Reason(out), nil
}

// testPanic calls the C library's test-only panic entry point.
func testPanic() error {
	var e C.gobk_err
	if r := C.gobk_test_panic(&e); r != C.BK_RESULT_OK {
		return newError(r, &e)
	}
	return nil
}
