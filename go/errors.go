package bouncekit

import (
	"errors"
	"fmt"
)

// Result is a result code of the C library (bk_result).
type Result uint32

// The result codes. ResultOK is never returned as an error.
const (
	ResultOK               Result = 0
	ResultNullParameter    Result = 1
	ResultInvalidParameter Result = 2
	ResultInvalidUTF8      Result = 3
	ResultInvalidCode      Result = 4
	ResultRulesError       Result = 5
	ResultUnknownName      Result = 6
	ResultInsufficientSize Result = 7
	ResultIOError          Result = 8
	ResultParseError       Result = 9
	ResultOther            Result = 10
	ResultPanic            Result = 11
	ResultLimitExceeded    Result = 12
	ResultPolicyError      Result = 13
	ResultInvalidEvent     Result = 14
	ResultLedgerError      Result = 15
)

var resultNames = [...]string{
	"ok", "null_parameter", "invalid_parameter", "invalid_utf8", "invalid_code", "rules_error",
	"unknown_name", "insufficient_size", "io_error", "parse_error", "other", "panic", "limit_exceeded",
	"policy_error", "invalid_event", "ledger_error",
}

// String returns the code's name, e.g. "invalid_code".
func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return fmt.Sprintf("Result(%d)", uint32(r))
}

// Error is an error from the C library: its result code and message.
// Match kinds with errors.Is(err, bouncekit.ErrInvalidCode) and so on.
type Error struct {
	Code    Result
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "bouncekit: " + e.Code.String()
	}
	return "bouncekit: " + e.Message
}

// Is reports whether target is a sentinel (or *Error) of the same code.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// Sentinels for errors.Is.
var (
	ErrInvalidUTF8 = &Error{Code: ResultInvalidUTF8}
	ErrInvalidCode = &Error{Code: ResultInvalidCode}
	ErrRules       = &Error{Code: ResultRulesError}
	ErrUnknownName = &Error{Code: ResultUnknownName}
	ErrParse       = &Error{Code: ResultParseError}
	// ErrLimitExceeded: a message over the parser's limits (size, MIME depth, parts, recipients).
	ErrLimitExceeded = &Error{Code: ResultLimitExceeded}
	// ErrIO: a file that cannot be read.
	ErrIO = &Error{Code: ResultIOError}
	// ErrInvalidParameter: an argument out of range (bad limits, an unknown format).
	ErrInvalidParameter = &Error{Code: ResultInvalidParameter}
	// ErrPolicy: a policy (TOML) that does not load or does not hold together.
	ErrPolicy = &Error{Code: ResultPolicyError}
	// ErrInvalidEvent: an event or address the ledger refuses; nothing of the call was recorded.
	ErrInvalidEvent = &Error{Code: ResultInvalidEvent}
	// ErrLedger: the ledger's database failed (not a ledger, newer schema, busy, disk full).
	ErrLedger = &Error{Code: ResultLedgerError}
	// ErrPanic: an internal panic was caught at the C boundary; the call had no effect.
	ErrPanic = &Error{Code: ResultPanic}
)

// ErrClosed is returned by a Classifier used after Close.
var ErrClosed = errors.New("bouncekit: classifier is closed")

// ErrPolicyClosed is returned by a Policy used after Close.
var ErrPolicyClosed = errors.New("bouncekit: policy is closed")

// ErrLedgerClosed is returned by a Ledger used after Close.
var ErrLedgerClosed = errors.New("bouncekit: ledger is closed")
