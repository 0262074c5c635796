package bouncekit

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var corpus = []string{
	"550 5.1.1 <user@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
	"550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address.",
	"550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [BN8NAM12FT058.eop-nam12.prod.protection.outlook.com]",
	"452 4.2.2 The email account that you tried to reach is over quota.",
	"552 5.2.2 Mailbox full",
	"554 delivery error: dd This user doesn't have a yahoo.com account (user@yahoo.com) [0] - mta1234.mail.gq1.yahoo.com",
	"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
	"550-5.7.26 This mail is unauthenticated, which poses a security risk to the sender and Gmail users, and has been blocked.",
	"550 5.7.25 The IP address sending this message does not have a PTR record setup.",
	"421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints",
	"550 5.7.606 Access denied, banned sending IP [192.0.2.1]",
	"Host or domain name not found. Name service error for name=example.invalid type=A: Host not found",
	"550 5.1.6 Recipient addresses in this domain no longer accept mail",
	"554 5.6.0 Message contains invalid header",
	"552 5.3.4 Message size exceeds fixed maximum message size",
	"550 5.7.1 Relaying denied",
	"421 4.4.2 Connection timed out",
	"550 5.2.1 The email account that you tried to reach is disabled.",
	"550 Benutzer unbekannt",
	"550 5.1.1 vip list only",
	"",
	"250 2.0.0 OK",
}

const userRules = `
[[rule]]
id = "mine.vip"
reason = "filtered"
priority = 100
phrases = ["vip list only"]
examples = ["550 5.1.1 vip list only"]
`

func TestVersion(t *testing.T) {
	if Version() != HeaderVersion {
		t.Fatalf("library %q, header %q", Version(), HeaderVersion)
	}
	if !strings.Contains(Version(), ".") {
		t.Fatalf("version %q", Version())
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		text       string
		reason     Reason
		bounceType BounceType
		action     Action
		status     string
	}{
		{corpus[0], ReasonUserUnknown, BounceTypeHard, ActionSuppress, "5.1.1"},
		{corpus[3], ReasonMailboxFull, BounceTypeSoft, ActionRetry, "4.2.2"},
		{corpus[6], ReasonBlocked, BounceTypeSoft, ActionFixSender, "5.7.1"},
		{corpus[2], ReasonUserUnknown, BounceTypeHard, ActionSuppress, "5.4.1"},
	}
	for _, tc := range cases {
		c, err := Classify(tc.text)
		if err != nil {
			t.Fatal(err)
		}
		if c.Reason != tc.reason || c.BounceType != tc.bounceType || c.Action != tc.action || c.Status != tc.status {
			t.Errorf("%q: got %v/%v/%v/%q, want %v/%v/%v/%q", tc.text, c.Reason, c.BounceType, c.Action, c.Status,
				tc.reason, tc.bounceType, tc.action, tc.status)
		}
		if c.StatusCode == nil || c.StatusCode.String() != tc.status {
			t.Errorf("%q: StatusCode %v", tc.text, c.StatusCode)
		}
		if c.StatusSource != StatusSourceFound || c.Rule == "" || c.Description == "" {
			t.Errorf("%q: %+v", tc.text, c)
		}
	}

	c, err := Classify("550 5.1.1 user unknown")
	if err != nil {
		t.Fatal(err)
	}
	if c.ReplyCode != 550 || c.Category != CategoryAddressing || c.Description != "Bad destination mailbox address" || c.Note != "" {
		t.Errorf("%+v", c)
	}
	if c.Reason.String() != "userunknown" || c.BounceType.String() != "hard" || c.Action.String() != "suppress" ||
		c.Category.String() != "addressing" || c.StatusSource.String() != "found" {
		t.Errorf("names: %v %v %v %v %v", c.Reason, c.BounceType, c.Action, c.Category, c.StatusSource)
	}

	c, _ = Classify("550 4.2.2 mailbox full")
	if c.Note == "" {
		t.Error("disagreeing codes give a note")
	}

	c, _ = Classify(corpus[11])
	if c.Reason != ReasonHostUnknown || c.ReplyCode != 0 || c.StatusSource != StatusSourceDerived {
		t.Errorf("derived: %+v", c)
	}
}

func TestClassifyEmptyAndBadBytes(t *testing.T) {
	for _, c := range []func() (Classification, error){
		func() (Classification, error) { return Classify("") },
		func() (Classification, error) { return ClassifyBytes(nil) },
		func() (Classification, error) { return ClassifyBytes([]byte{}) },
	} {
		got, err := c()
		if err != nil {
			t.Fatal(err)
		}
		if got.Reason != ReasonUndefined || got.Status != "" || got.StatusCode != nil || got.StatusSource != StatusSourceNone || got.Rule != "none" {
			t.Errorf("empty: %+v", got)
		}
	}
	bad := []byte("550 5.1.1 \xff\xfe\xc3\x28\x00user unknown\xe2\x82")
	got, err := ClassifyBytes(bad)
	if err != nil {
		t.Fatal(err)
	}
	if got.Reason != ReasonUserUnknown {
		t.Errorf("invalid UTF-8: %+v", got)
	}
	// A sub-slice: only its bytes are read.
	buf := []byte("552 5.2.2 Mailbox fullXXXX 550 5.1.1 user unknown")
	got, _ = ClassifyBytes(buf[:22])
	if got.Reason != ReasonMailboxFull {
		t.Errorf("sub-slice: %+v", got)
	}
}

func TestBigInput(t *testing.T) {
	line := "550-5.1.1 The email account that you tried to reach does not exist; more text\r\n"
	big := bytes.Repeat([]byte(line), 50*1024*1024/len(line)+1)[:50*1024*1024]
	c, err := ClassifyBytes(big)
	if err != nil {
		t.Fatal(err)
	}
	if c.Reason != ReasonUserUnknown || c.ReplyCode != 550 {
		t.Errorf("50 MB: %+v", c)
	}
	codes := FindCodes(string(big))
	if codes.Status == nil || codes.Status.String() != "5.1.1" {
		t.Errorf("50 MB codes: %+v", codes)
	}
	if _, err := Explain(string(big)); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("50 MB explain: %v", err)
	}
	if _, err := NewClassifierWithRules(big); !errors.Is(err, ErrRules) {
		t.Errorf("50 MB rules: %v", err)
	} else if len(err.Error()) > 2048 {
		t.Errorf("the error quotes too much: %d bytes", len(err.Error()))
	}
}

func TestClassifier(t *testing.T) {
	plain, err := NewClassifier()
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	mine, err := NewClassifierWithRules([]byte(userRules))
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()

	c, err := mine.Classify("550 5.1.1 vip list only")
	if err != nil || c.Reason != ReasonFiltered || c.Rule != "mine.vip" {
		t.Errorf("user rule: %+v %v", c, err)
	}
	c, _ = plain.Classify("550 5.1.1 vip list only")
	if c.Reason != ReasonUserUnknown {
		t.Errorf("built-in: %+v", c)
	}
	c, _ = mine.ClassifyBytes([]byte("550 5.1.1 vip list only"))
	if c.Reason != ReasonFiltered {
		t.Errorf("bytes: %+v", c)
	}
	for _, text := range corpus {
		a, _ := plain.Classify(text)
		b, _ := Classify(text)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%q: classifier %+v, default %+v", text, a, b)
		}
	}

	ids := mine.RuleIDs()
	if len(ids) != len(plain.RuleIDs())+1 || ids[0] != "mine.vip" {
		t.Errorf("rule ids: %d vs %d, first %q", len(ids), len(plain.RuleIDs()), ids[0])
	}

	// Hints.
	c, err = plain.ClassifyWith("delivery failed", Codes{Status: &StatusCode{5, 1, 1}})
	if err != nil || c.Status != "5.1.1" || c.Reason != ReasonUserUnknown {
		t.Errorf("hint: %+v %v", c, err)
	}
	c, err = plain.ClassifyWith("x", Codes{ReplyCode: 550})
	if err != nil || c.ReplyCode != 550 {
		t.Errorf("reply hint: %+v %v", c, err)
	}
	if _, err = plain.ClassifyWith("x", Codes{Status: &StatusCode{5, 9, 1}}); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("bad hint: %v", err)
	}
	if _, err = plain.ClassifyWith("x", Codes{ReplyCode: 999}); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("bad reply hint: %v", err)
	}
	if _, err = plain.ClassifyWith("x", Codes{Status: &StatusCode{-1, 1, 1}}); !errors.Is(err, ErrInvalidCode) {
		t.Errorf("negative hint: %v", err)
	}

	// Close is idempotent; use after Close is an error, not a crash.
	extra, _ := NewClassifier()
	if err := extra.Close(); err != nil {
		t.Fatal(err)
	}
	if err := extra.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := extra.Classify("550 5.1.1 x"); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: %v", err)
	}
	if extra.RuleIDs() != nil {
		t.Error("rule ids after close")
	}
}

func TestRulesErrors(t *testing.T) {
	cases := []struct {
		rules string
		want  error
		msg   string
	}{
		{"[[rule]]\nid = 1\n", ErrRules, "rules"},
		{"this is not toml [", ErrRules, "rules"},
		{"[[rule]]\nid = \"x.bad\"\nreason = \"nonsense\"\nphrases = [\"a\"]\nexamples = [\"a\"]\n", ErrRules, "nonsense"},
		{"[[rule]]\nid = \"x.re\"\nreason = \"filtered\"\npatterns = [\"(unclosed\"]\nexamples = [\"a\"]\n", ErrRules, "x.re"},
		{"# \xff\n", ErrInvalidUTF8, "UTF-8"},
	}
	for _, tc := range cases {
		c, err := NewClassifierWithRules([]byte(tc.rules))
		if c != nil || !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: %v, %v", tc.rules, c, err)
		}
		var e *Error
		if !errors.As(err, &e) || e.Message == "" {
			t.Errorf("%q: not an *Error with a message: %v", tc.rules, err)
		}
	}
	// No user rules at all is fine.
	c, err := NewClassifierWithRules(nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestPanicBoundary(t *testing.T) {
	err := testPanic()
	if !errors.Is(err, ErrPanic) || !strings.Contains(err.Error(), "bk_test_panic") {
		t.Fatalf("got %v", err)
	}
	// Still usable.
	c, err := Classify("552 5.2.2 Mailbox full")
	if err != nil || c.Reason != ReasonMailboxFull {
		t.Fatalf("after panic: %+v %v", c, err)
	}
}

func TestCodes(t *testing.T) {
	s, err := ParseStatusCode("5.7.26")
	if err != nil || s != (StatusCode{5, 7, 26}) || s.String() != "5.7.26" {
		t.Errorf("%v %v", s, err)
	}
	if s, err = ParseStatusCode(" 4.2.2 "); err != nil || s != (StatusCode{4, 2, 2}) {
		t.Errorf("%v %v", s, err)
	}
	for _, bad := range []string{"5.9.999", "3.1.1", "5.1.1 x", "", "hello"} {
		if _, err := ParseStatusCode(bad); !errors.Is(err, ErrInvalidCode) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := ParseStatusCode("5.\xff.1"); !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("invalid UTF-8: %v", err)
	}

	f := FindCodes("smtp; 550-5.1.1 The email account that you tried to reach does not exist")
	if f.Status == nil || *f.Status != (StatusCode{5, 1, 1}) || f.ReplyCode != 550 {
		t.Errorf("%+v", f)
	}
	if f = FindCodes("connect to 5.1.1.1 failed"); f.Status != nil {
		t.Errorf("IP address: %+v", f)
	}
	if f = FindCodes(""); f.Status != nil || f.ReplyCode != 0 {
		t.Errorf("empty: %+v", f)
	}

	keys := RegisteredCodes()
	if len(keys) < 80 || keys[0] != "X.0.0" {
		t.Fatalf("%d codes, first %q", len(keys), keys[0])
	}
	for _, k := range keys {
		e, err := Explain("5" + k[1:])
		if err != nil || e.Level != LevelRegistered || e.RegistryKey != k {
			t.Errorf("%s: %+v %v", k, e, err)
		}
	}
}

func TestExplain(t *testing.T) {
	e, err := Explain("5.4.1")
	if err != nil {
		t.Fatal(err)
	}
	if e.Code != "5.4.1" || e.RegistryKey != "X.4.1" || e.Level != LevelRegistered || e.Name != "No answer from host" ||
		e.Permanence != "permanent" || e.Category != CategoryNetworkRouting || e.RFC != 3463 || e.Deprecated {
		t.Errorf("%+v", e)
	}
	if e.Summary == "" || e.Meaning == "" || e.ClassName == "" || len(e.Causes) == 0 || e.Level.String() != "registered" {
		t.Errorf("%+v", e)
	}
	for _, list := range [][]string{e.Causes, e.ForSenders, e.ForDevelopers, e.Investigation, e.BestPractices, e.Examples} {
		for _, item := range list {
			if item == "" {
				t.Error("empty list item")
			}
		}
	}
	if e, err = Explain("5.7.606"); err != nil || e.Level != LevelSubject || !strings.Contains(e.Summary, "not in the IANA registry") {
		t.Errorf("subject level: %+v %v", e, err)
	}
	if e, _ = Explain("2.0.0"); e.Permanence != "success" {
		t.Errorf("%+v", e)
	}
	if e, _ = Explain("4.2.2"); e.Permanence != "temporary" {
		t.Errorf("%+v", e)
	}
	for _, bad := range []string{"5.9.1", "hello", ""} {
		if e, err := Explain(bad); e != nil || !errors.Is(err, ErrInvalidCode) {
			t.Errorf("%q: %v %v", bad, e, err)
		}
	}
	if _, err := Explain("5.1.\xc3"); !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("invalid UTF-8: %v", err)
	}
	_, err = Explain("5.9.1")
	if !strings.Contains(err.Error(), "5.9.1") {
		t.Errorf("message: %v", err)
	}
}

func TestReasons(t *testing.T) {
	rs := Reasons()
	if len(rs) != 34 {
		t.Fatalf("%d reasons", len(rs))
	}
	for _, r := range rs {
		name := r.String()
		back, err := ParseReason(name)
		if err != nil || back != r {
			t.Errorf("%s: %v %v", name, back, err)
		}
		info := r.Info()
		if info.Reason != r || info.Name != name || len(info.Definition) < 10 || info.SparkPostClass > 100 {
			t.Errorf("%s: %+v", name, info)
		}
		if (info.SESType == "") != (info.SESSubtype == "") {
			t.Errorf("%s: SES %q/%q", name, info.SESType, info.SESSubtype)
		}
	}
	info := ReasonUserUnknown.Info()
	if info.BounceType != BounceTypeHard || info.Action != ActionSuppress || info.Status != "5.1.1" ||
		info.SESType != "Permanent" || info.SESSubtype != "NoEmail" || info.SparkPostClass != 10 ||
		info.KumoMTA == "" || info.SendGrid == "" || info.Postmark != "HardBounce" {
		t.Errorf("%+v", info)
	}
	if ReasonMailboxFull.Info().SESType != "Transient" {
		t.Error("mailboxfull SES type")
	}
	if ReasonFailedStartTLS.String() != "failedstarttls" || Reason(99).String() != "Reason(99)" {
		t.Error("names")
	}
	if (Reason(99).Info() != ReasonInfo{}) {
		t.Error("info of a non-reason")
	}
	for _, bad := range []string{"nosuchreason", "UserUnknown", "", "us\xff"} {
		if _, err := ParseReason(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if _, err := ParseReason("nosuchreason"); !errors.Is(err, ErrUnknownName) {
		t.Errorf("%v", err)
	}
	if BounceTypeNone.String() != "none" || CategoryMailSystem.String() != "mail_system" ||
		ActionFixSender.String() != "fix_sender" || StatusSourceDerived.String() != "derived" ||
		LevelSubject.String() != "subject" || Action(9).String() != "Action(9)" {
		t.Error("vocabulary names")
	}
	if ResultPolicyError.String() != "policy_error" || ResultInvalidEvent.String() != "invalid_event" || ResultLedgerError.String() != "ledger_error" {
		t.Error("ledger result names")
	}
	if ResultInvalidCode.String() != "invalid_code" || Result(99).String() != "Result(99)" {
		t.Error("result names")
	}
}

// TestConcurrent classifies from many goroutines at once, with the default
// classifier and one shared Classifier, and compares with sequential results.
func TestConcurrent(t *testing.T) {
	mine, err := NewClassifierWithRules([]byte(userRules))
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	wantDefault := make([]Classification, len(corpus))
	wantMine := make([]Classification, len(corpus))
	for i, text := range corpus {
		wantDefault[i], _ = Classify(text)
		wantMine[i], _ = mine.Classify(text)
	}
	if wantMine[19].Reason != ReasonFiltered || wantDefault[19].Reason == ReasonFiltered {
		t.Fatal("the user rule should change one verdict")
	}
	goroutines := 4 * runtime.GOMAXPROCS(0)
	if goroutines < 16 {
		goroutines = 16
	}
	var wg sync.WaitGroup
	errs := make(chan string, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for round := 0; round < 20; round++ {
				for k := range corpus {
					i := (k + g + round) % len(corpus)
					a, err1 := Classify(corpus[i])
					b, err2 := mine.ClassifyBytes([]byte(corpus[i]))
					if err1 != nil || err2 != nil || fmt.Sprint(a) != fmt.Sprint(wantDefault[i]) || fmt.Sprint(b) != fmt.Sprint(wantMine[i]) {
						errs <- fmt.Sprintf("goroutine %d: %q: %+v / %+v (%v %v)", g, corpus[i], a, b, err1, err2)
						return
					}
				}
				// Errors are per call, never another goroutine's.
				code := fmt.Sprintf("5.%d.1", 8+g%2)
				if _, err := Explain(code); err == nil || !strings.Contains(err.Error(), code) {
					errs <- fmt.Sprintf("goroutine %d: error %v", g, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestCloseWhileClassifying closes a classifier that other goroutines are
// using: they get results or ErrClosed, never a crash.
func TestCloseWhileClassifying(t *testing.T) {
	c, err := NewClassifier()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if _, err := c.Classify(corpus[i%len(corpus)]); err != nil && !errors.Is(err, ErrClosed) {
					t.Error(err)
					return
				}
			}
		}()
	}
	c.Close()
	wg.Wait()
}

// TestFinalizer drops classifiers without Close: the finalizer frees them.
func TestFinalizer(t *testing.T) {
	for i := 0; i < 3; i++ {
		c, err := NewClassifierWithRules([]byte(userRules))
		if err != nil {
			t.Fatal(err)
		}
		_ = c
	}
	runtime.GC()
	runtime.GC()
}
