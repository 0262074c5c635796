package bouncekit

// The vocabularies: reasons, bounce types, categories, actions, status
// sources, and what the knowledge base says of each reason.

// #include "bouncekit.h"
import "C"

import (
	"fmt"
	"sync"
)

func nameOr(p *C.char, kind string, v uint32) string {
	if p == nil {
		return fmt.Sprintf("%s(%d)", kind, v)
	}
	return C.GoString(p)
}

// names reads an enum's names once: values 0.. until the C side says NULL.
func names(name func(C.uint32_t) *C.char) []string {
	var out []string
	for v := C.uint32_t(0); ; v++ {
		p := name(v)
		if p == nil {
			return out
		}
		out = append(out, C.GoString(p))
	}
}

func nameFrom(names []string, kind string, v uint32) string {
	if int64(v) < int64(len(names)) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", kind, v)
}

// Reason is why a message failed (or what it was, for non-failures): the words Sisimai users know, e.g. "userunknown". String gives the word; Info what it means and its mappings.
type Reason uint32

// The values of Reason.
const (
	ReasonAuthFailure     Reason = C.BK_REASON_AUTHFAILURE
	ReasonBadReputation   Reason = C.BK_REASON_BADREPUTATION
	ReasonBlocked         Reason = C.BK_REASON_BLOCKED
	ReasonContentError    Reason = C.BK_REASON_CONTENTERROR
	ReasonDelivered       Reason = C.BK_REASON_DELIVERED
	ReasonEmailTooLarge   Reason = C.BK_REASON_EMAILTOOLARGE
	ReasonExpired         Reason = C.BK_REASON_EXPIRED
	ReasonFailedStartTLS  Reason = C.BK_REASON_FAILEDSTARTTLS
	ReasonFeedback        Reason = C.BK_REASON_FEEDBACK
	ReasonFiltered        Reason = C.BK_REASON_FILTERED
	ReasonHasMoved        Reason = C.BK_REASON_HASMOVED
	ReasonHostUnknown     Reason = C.BK_REASON_HOSTUNKNOWN
	ReasonMailboxFull     Reason = C.BK_REASON_MAILBOXFULL
	ReasonMailerError     Reason = C.BK_REASON_MAILERERROR
	ReasonNetworkError    Reason = C.BK_REASON_NETWORKERROR
	ReasonNoRelaying      Reason = C.BK_REASON_NORELAYING
	ReasonNotAccept       Reason = C.BK_REASON_NOTACCEPT
	ReasonNotCompliantRFC Reason = C.BK_REASON_NOTCOMPLIANTRFC
	ReasonOnHold          Reason = C.BK_REASON_ONHOLD
	ReasonPolicyViolation Reason = C.BK_REASON_POLICYVIOLATION
	ReasonRateLimited     Reason = C.BK_REASON_RATELIMITED
	ReasonRejected        Reason = C.BK_REASON_REJECTED
	ReasonRequirePTR      Reason = C.BK_REASON_REQUIREPTR
	ReasonSecurityError   Reason = C.BK_REASON_SECURITYERROR
	ReasonSpamDetected    Reason = C.BK_REASON_SPAMDETECTED
	ReasonSuppressed      Reason = C.BK_REASON_SUPPRESSED
	ReasonSuspend         Reason = C.BK_REASON_SUSPEND
	ReasonSyntaxError     Reason = C.BK_REASON_SYNTAXERROR
	ReasonSystemError     Reason = C.BK_REASON_SYSTEMERROR
	ReasonSystemFull      Reason = C.BK_REASON_SYSTEMFULL
	ReasonUndefined       Reason = C.BK_REASON_UNDEFINED
	ReasonUserUnknown     Reason = C.BK_REASON_USERUNKNOWN
	ReasonVacation        Reason = C.BK_REASON_VACATION
	ReasonVirusDetected   Reason = C.BK_REASON_VIRUSDETECTED
)

var reasonNames = sync.OnceValue(func() []string { return names(func(v C.uint32_t) *C.char { return C.bk_reason_name(v) }) })

// String returns the stable lowercase name (as in bouncekit's JSON output).
func (v Reason) String() string { return nameFrom(reasonNames(), "Reason", uint32(v)) }

// BounceType says whether the address itself is bad (hard), may work later (soft), or the message was no failure (none).
type BounceType uint32

// The values of BounceType.
const (
	BounceTypeHard BounceType = C.BK_BOUNCE_TYPE_HARD
	BounceTypeSoft BounceType = C.BK_BOUNCE_TYPE_SOFT
	BounceTypeNone BounceType = C.BK_BOUNCE_TYPE_NONE
)

var bounceTypeNames = sync.OnceValue(func() []string { return names(func(v C.uint32_t) *C.char { return C.bk_bounce_type_name(v) }) })

// String returns the stable lowercase name (as in bouncekit's JSON output).
func (v BounceType) String() string { return nameFrom(bounceTypeNames(), "BounceType", uint32(v)) }

// Category is the area of the status subject (RFC 3463).
type Category uint32

// The values of Category.
const (
	CategoryAddressing     Category = C.BK_CATEGORY_ADDRESSING
	CategoryMailbox        Category = C.BK_CATEGORY_MAILBOX
	CategoryMailSystem     Category = C.BK_CATEGORY_MAIL_SYSTEM
	CategoryNetworkRouting Category = C.BK_CATEGORY_NETWORK_ROUTING
	CategoryProtocol       Category = C.BK_CATEGORY_PROTOCOL
	CategoryContent        Category = C.BK_CATEGORY_CONTENT
	CategorySecurityPolicy Category = C.BK_CATEGORY_SECURITY_POLICY
	CategoryOther          Category = C.BK_CATEGORY_OTHER
)

var categoryNames = sync.OnceValue(func() []string { return names(func(v C.uint32_t) *C.char { return C.bk_category_name(v) }) })

// String returns the stable lowercase name (as in bouncekit's JSON output).
func (v Category) String() string { return nameFrom(categoryNames(), "Category", uint32(v)) }

// Action is what the sender should do.
type Action uint32

// The values of Action.
const (
	ActionSuppress  Action = C.BK_ACTION_SUPPRESS
	ActionRetry     Action = C.BK_ACTION_RETRY
	ActionFixSender Action = C.BK_ACTION_FIX_SENDER
	ActionIgnore    Action = C.BK_ACTION_IGNORE
)

var actionNames = sync.OnceValue(func() []string { return names(func(v C.uint32_t) *C.char { return C.bk_action_name(v) }) })

// String returns the stable lowercase name (as in bouncekit's JSON output).
func (v Action) String() string { return nameFrom(actionNames(), "Action", uint32(v)) }

// StatusSource says where a classification's status came from.
type StatusSource uint32

// The values of StatusSource.
const (
	StatusSourceFound   StatusSource = C.BK_STATUS_SOURCE_FOUND
	StatusSourceDerived StatusSource = C.BK_STATUS_SOURCE_DERIVED
	StatusSourceNone    StatusSource = C.BK_STATUS_SOURCE_NONE
)

var statusSourceNames = sync.OnceValue(func() []string { return names(func(v C.uint32_t) *C.char { return C.bk_status_source_name(v) }) })

// String returns the stable lowercase name (as in bouncekit's JSON output).
func (v StatusSource) String() string {
	return nameFrom(statusSourceNames(), "StatusSource", uint32(v))
}

// Reasons returns every reason, in order.
func Reasons() []Reason {
	n := int(C.bk_reason_count())
	out := make([]Reason, n)
	for i := range out {
		out[i] = Reason(i)
	}
	return out
}

// ParseReason returns the reason named by its word, e.g. "userunknown".
// The error wraps ErrUnknownName for a word outside the vocabulary.
func ParseReason(name string) (Reason, error) {
	return parseReason(name)
}

// ReasonInfo is what the knowledge base says of one reason: its
// definition, defaults, and its equivalents in other taxonomies. Empty
// strings (and SparkPostClass 0) mean "no mapping".
type ReasonInfo struct {
	Reason         Reason
	Name           string
	Definition     string
	BounceType     BounceType // the default (notaccept is hard only with a 5xx code)
	Action         Action     // the default action
	Category       Category
	Status         string // the typical enhanced status code, e.g. "5.1.1"
	SESType        string // Amazon SES bounceType: Permanent, Transient, Undetermined
	SESSubtype     string // Amazon SES bounceSubType, e.g. NoEmail
	SparkPostClass int    // SparkPost/Momentum bounce class, 1..100
	KumoMTA        string // KumoMTA bounce class
	SendGrid       string // SendGrid bounce classification
	Postmark       string // Postmark bounce type
}

var reasonInfos = sync.OnceValue(func() []ReasonInfo {
	out := make([]ReasonInfo, int(C.bk_reason_count()))
	for i := range out {
		var c C.bk_reason_info
		if C.bk_reason_get_info(C.uint32_t(i), &c) != C.BK_RESULT_OK {
			continue
		}
		out[i] = ReasonInfo{
			Reason:         Reason(c.reason),
			Name:           goStringOrEmpty(c.name),
			Definition:     goStringOrEmpty(c.definition),
			BounceType:     BounceType(c.bounce_type),
			Action:         Action(c.action),
			Category:       Category(c.category),
			Status:         goStringOrEmpty(c.status),
			SESType:        goStringOrEmpty(c.ses_type),
			SESSubtype:     goStringOrEmpty(c.ses_subtype),
			SparkPostClass: int(c.sparkpost_class),
			KumoMTA:        goStringOrEmpty(c.kumomta),
			SendGrid:       goStringOrEmpty(c.sendgrid),
			Postmark:       goStringOrEmpty(c.postmark),
		}
	}
	return out
})

// Info returns what the knowledge base says of the reason; the zero
// ReasonInfo for a value that is not a reason.
func (r Reason) Info() ReasonInfo {
	infos := reasonInfos()
	if int64(r) < int64(len(infos)) {
		return infos[r]
	}
	return ReasonInfo{}
}

// MessageKind is what kind of message a parsed report is.
type MessageKind uint32

// The kinds of message.
const (
	KindBounce    MessageKind = C.BK_MESSAGE_KIND_BOUNCE     // delivery failed for at least one recipient
	KindDelay     MessageKind = C.BK_MESSAGE_KIND_DELAY      // delayed; the sender's MTA is still retrying
	KindDelivery  MessageKind = C.BK_MESSAGE_KIND_DELIVERY   // a success notification
	KindFeedback  MessageKind = C.BK_MESSAGE_KIND_FEEDBACK   // an ARF complaint
	KindAutoreply MessageKind = C.BK_MESSAGE_KIND_AUTOREPLY  // vacation, out of office
	KindChallenge MessageKind = C.BK_MESSAGE_KIND_CHALLENGE  // challenge-response
	KindNotBounce MessageKind = C.BK_MESSAGE_KIND_NOT_BOUNCE // none of the above
)

var messageKindNames = sync.OnceValue(func() []string {
	return names(func(v C.uint32_t) *C.char { return C.bk_message_kind_name(v) })
})

// String returns the stable lowercase name, e.g. "not_bounce".
func (v MessageKind) String() string { return nameFrom(messageKindNames(), "MessageKind", uint32(v)) }

// DSNAction is the RFC 3464 Action of one recipient.
type DSNAction uint32

// The DSN actions.
const (
	DSNFailed    DSNAction = C.BK_DSN_ACTION_FAILED
	DSNDelayed   DSNAction = C.BK_DSN_ACTION_DELAYED
	DSNDelivered DSNAction = C.BK_DSN_ACTION_DELIVERED
	DSNRelayed   DSNAction = C.BK_DSN_ACTION_RELAYED
	DSNExpanded  DSNAction = C.BK_DSN_ACTION_EXPANDED
)

var dsnActionNames = sync.OnceValue(func() []string {
	return names(func(v C.uint32_t) *C.char { return C.bk_dsn_action_name(v) })
})

// String returns the stable lowercase name, e.g. "failed".
func (v DSNAction) String() string { return nameFrom(dsnActionNames(), "DSNAction", uint32(v)) }
