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
)

var resultNames = [...]string{
	"ok", "null_parameter", "invalid_parameter", "invalid_utf8", "invalid_code", "rules_error",
	"unknown_name", "insufficient_size", "io_error", "parse_error", "other", "panic", "limit_exceeded",
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
	// ErrPanic: an internal panic was caught at the C boundary; the call had no effect.
	ErrPanic = &Error{Code: ResultPanic}
)

// ErrClosed is returned by a Classifier used after Close.
var ErrClosed = errors.New("bouncekit: classifier is closed")
