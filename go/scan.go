package bouncekit

/*
#include "gobk.h"

static bk_result gobk_parse_with_limits(const bk_classifier *cl, const bk_limits *limits,
                                        const uint8_t *raw, size_t len, bk_report **out, gobk_err *e) {
	return gobk_check(bk_classifier_parse_with_limits(cl, limits, raw, len, out), e);
}

static bk_result gobk_scanner_new(const bk_classifier *cl, const bk_limits *limits, bk_scanner **out, gobk_err *e) {
	return gobk_check(bk_scanner_new(cl, limits, out), e);
}

static bk_result gobk_scanner_add_path(bk_scanner *s, const uint8_t *path, size_t len, gobk_err *e) {
	return gobk_check(bk_scanner_add_path(s, path, len), e);
}

static bk_result gobk_scanner_set_threads(bk_scanner *s, size_t threads, gobk_err *e) {
	return gobk_check(bk_scanner_set_threads(s, threads), e);
}

// The next report, or the error and the source it belongs to; with a
// ledger, the report is recorded into it first (a failure to record frees
// it and is the error).
static bk_result gobk_scanner_next(bk_scanner *s, const bk_ledger *l, int64_t t, bk_batch_stats *st,
                                   bk_report **out, gobk_err *e, const char **source) {
	bk_result r = gobk_check(bk_scanner_next(s, out), e);
	*source = bk_scanner_source(s);
	if (r == BK_RESULT_OK && *out != NULL && l != NULL) {
		r = gobk_check(bk_ledger_record_report(l, *out, t, st), e);
		if (r != BK_RESULT_OK) {
			bk_report_free(*out);
			*out = NULL;
		}
	}
	return r;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"
)

// Limits are the parser's limits: a message over one is refused with an
// error wrapping ErrLimitExceeded, so hostile input costs bounded memory
// and time. Start from DefaultLimits; every field must be at least 1.
type Limits struct {
	MaxMessageSize   int // bytes (default 64 MB)
	MaxMIMEDepth     int // default 32
	MaxParts         int // default 2,000
	MaxRecipients    int // default 10,000
	MaxDiagnosticLen int // longer diagnostics are cut, not refused (default 4,096 bytes)
}

// DefaultLimits returns the limits Parse uses.
func DefaultLimits() Limits {
	d := C.bk_limits_default()
	return Limits{
		MaxMessageSize:   int(d.max_message_size),
		MaxMIMEDepth:     int(d.max_mime_depth),
		MaxParts:         int(d.max_parts),
		MaxRecipients:    int(d.max_recipients),
		MaxDiagnosticLen: int(d.max_diagnostic_len),
	}
}

func (l Limits) toC() (C.bk_limits, error) {
	for _, v := range []int{l.MaxMessageSize, l.MaxMIMEDepth, l.MaxParts, l.MaxRecipients, l.MaxDiagnosticLen} {
		if v < 1 {
			return C.bk_limits{}, &Error{Code: ResultInvalidParameter, Message: fmt.Sprintf("invalid limits %+v: every limit must be at least 1", l)}
		}
	}
	return C.bk_limits{
		max_message_size:   C.size_t(l.MaxMessageSize),
		max_mime_depth:     C.size_t(l.MaxMIMEDepth),
		max_parts:          C.size_t(l.MaxParts),
		max_recipients:     C.size_t(l.MaxRecipients),
		max_diagnostic_len: C.size_t(l.MaxDiagnosticLen),
	}, nil
}

// ParseWithLimits is Parse with this classifier's rules and limits of your
// own. The error wraps ErrLimitExceeded when raw is over a limit (the
// message names it), ErrParse when it is not an email message.
func (c *Classifier) ParseWithLimits(raw []byte, limits Limits) (*Report, error) {
	cl, err := limits.toC()
	if err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return nil, ErrClosed
	}
	var ptr *C.bk_report
	var e C.gobk_err
	p, n := bytesArg(raw)
	if r := C.gobk_parse_with_limits(c.ptr, &cl, p, n, &ptr, &e); r != C.BK_RESULT_OK {
		return nil, newError(r, &e)
	}
	defer C.bk_report_free(ptr)
	return reportFromC(ptr), nil
}

// ScanError is a message of a scan that could not be read or parsed: the
// scan goes on with the next one.
type ScanError struct {
	Source string // the file, or path#N in an mbox
	Err    error  // wraps ErrLimitExceeded, ErrParse, or an I/O error (ResultIOError)
}

func (e *ScanError) Error() string { return e.Source + ": " + e.Err.Error() }

// Unwrap returns the underlying *Error.
func (e *ScanError) Unwrap() error { return e.Err }

// ScanOptions configure a Scanner. The zero value scans with the built-in
// rules and the default limits.
type ScanOptions struct {
	Classifier *Classifier // whose rules decide; nil: the built-in rules
	Limits     *Limits     // nil: DefaultLimits()
	// Ledger, when set, records every report as the scan goes (as
	// `bouncekit scan --ledger` does); a report it refuses is a *ScanError
	// wrapping ErrInvalidEvent. See Scanner.Recorded.
	Ledger *Ledger
	// DefaultTime is the time of recipients whose report gives none
	// (with Ledger; zero: the time the Scanner was made).
	DefaultTime time.Time
	// Threads is how many threads parse the messages (0: one per core, or
	// RAYON_NUM_THREADS). The reports come in input order whatever the count.
	Threads int
}

// Scanner reads files, directories (recursively, in name order), mbox
// files and Maildir folders (cur/ and new/; tmp/ is skipped) and yields
// one Report per message, in order, with bounded memory; messages are
// parsed in parallel on every core. Close releases it (a finalizer does
// otherwise). Calls are safe from several goroutines; each message goes to
// one caller.
//
//	s, err := bouncekit.NewScanner(bouncekit.ScanOptions{}, "bounces/", "mail.mbox")
//	if err != nil { ... }
//	defer s.Close()
//	for {
//		r, err := s.Next()
//		if err == io.EOF { break }
//		var se *bouncekit.ScanError
//		if errors.As(err, &se) { log.Print(se); continue }
//		...
//	}
type Scanner struct {
	mu          sync.Mutex
	ptr         *C.bk_scanner
	ledger      *Ledger
	defaultTime int64
	recorded    BatchStats
}

// NewScanner starts a scan of paths. The error wraps ResultIOError when a
// path does not exist, ResultInvalidParameter for bad limits or a negative
// Threads.
func NewScanner(opts ScanOptions, paths ...string) (*Scanner, error) {
	if opts.Threads < 0 {
		return nil, &Error{Code: ResultInvalidParameter, Message: fmt.Sprintf("invalid Threads %d: at least 1, or 0 for one per core", opts.Threads)}
	}
	var limits *C.bk_limits
	if opts.Limits != nil {
		l, err := opts.Limits.toC()
		if err != nil {
			return nil, err
		}
		limits = &l
	}
	var ptr *C.bk_scanner
	var e C.gobk_err
	var r C.bk_result
	if opts.Classifier != nil {
		opts.Classifier.mu.RLock()
		if opts.Classifier.ptr == nil {
			opts.Classifier.mu.RUnlock()
			return nil, ErrClosed
		}
		// The scanner keeps its own reference to the rules.
		r = C.gobk_scanner_new(opts.Classifier.ptr, limits, &ptr, &e)
		opts.Classifier.mu.RUnlock()
	} else {
		r = C.gobk_scanner_new(nil, limits, &ptr, &e)
	}
	if r != C.BK_RESULT_OK {
		return nil, newError(r, &e)
	}
	s := &Scanner{ptr: ptr, ledger: opts.Ledger, defaultTime: opts.DefaultTime.Unix()}
	if opts.DefaultTime.IsZero() {
		s.defaultTime = time.Now().Unix()
	}
	runtime.SetFinalizer(s, (*Scanner).Close)
	if opts.Threads > 0 {
		if r := C.gobk_scanner_set_threads(ptr, C.size_t(opts.Threads), &e); r != C.BK_RESULT_OK {
			err := newError(r, &e)
			s.Close()
			return nil, err
		}
	}
	for _, path := range paths {
		p, n := stringArg(path)
		if r := C.gobk_scanner_add_path(ptr, p, n, &e); r != C.BK_RESULT_OK {
			err := newError(r, &e)
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Next returns the next message's report, io.EOF when every input has
// been read, or a *ScanError for a message that failed (call Next again
// to go on).
func (s *Scanner) Next() (*Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr == nil {
		return nil, ErrScannerClosed
	}
	var ptr *C.bk_report
	var e C.gobk_err
	var source *C.char
	var st C.bk_batch_stats
	var r C.bk_result
	if s.ledger != nil {
		err := s.ledger.use(func(l *C.bk_ledger) error {
			r = C.gobk_scanner_next(s.ptr, l, C.int64_t(s.defaultTime), &st, &ptr, &e, &source)
			return nil
		})
		if err != nil {
			return nil, err
		}
	} else {
		r = C.gobk_scanner_next(s.ptr, nil, 0, &st, &ptr, &e, &source)
	}
	if r != C.BK_RESULT_OK {
		return nil, &ScanError{Source: goStringOrEmpty(source), Err: newError(r, &e)}
	}
	if ptr == nil {
		return nil, io.EOF
	}
	defer C.bk_report_free(ptr)
	b := statsFromC(&st)
	s.recorded.Events += b.Events
	s.recorded.Recorded += b.Recorded
	s.recorded.Duplicates += b.Duplicates
	s.recorded.Suppressed += b.Suppressed
	s.recorded.DomainsFlagged += b.DomainsFlagged
	s.recorded.Skipped += b.Skipped
	return reportFromC(ptr), nil
}

// Recorded is what recording into ScanOptions.Ledger did so far (zero
// without a ledger).
func (s *Scanner) Recorded() BatchStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recorded
}

// BytesRead is the number of bytes of message data read so far.
func (s *Scanner) BytesRead() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint64(C.bk_scanner_bytes_read(s.ptr))
}

// Close releases the scanner and its open files. Safe to call more than once.
func (s *Scanner) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr != nil {
		C.bk_scanner_free(s.ptr)
		s.ptr = nil
	}
	runtime.SetFinalizer(s, nil)
	return nil
}

// ErrScannerClosed is returned by a Scanner used after Close.
var ErrScannerClosed = errors.New("bouncekit: scanner is closed")
