package bouncekit

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
)

const dsn = "Return-Path: <>\r\n" +
	"From: MAILER-DAEMON@mta.example.net (Mail Delivery System)\r\n" +
	"To: sender@example.com\r\n" +
	"Subject: Undelivered Mail Returned to Sender\r\n" +
	"Date: Mon, 3 Mar 2025 10:00:00 +0000\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/report; report-type=delivery-status;\r\n" +
	"\tboundary=\"BOUNDARY-1\"\r\n" +
	"\r\n" +
	"--BOUNDARY-1\r\n" +
	"Content-Type: text/plain; charset=us-ascii\r\n" +
	"\r\n" +
	"This is the mail system at host mta.example.net.\r\n" +
	"\r\n" +
	"--BOUNDARY-1\r\n" +
	"Content-Type: message/delivery-status\r\n" +
	"\r\n" +
	"Reporting-MTA: dns; mta.example.net\r\n" +
	"Arrival-Date: Mon, 3 Mar 2025 09:59:58 +0000\r\n" +
	"\r\n" +
	"Final-Recipient: rfc822; gone@example.org\r\n" +
	"Original-Recipient: rfc822; Gone@Example.org\r\n" +
	"Action: failed\r\n" +
	"Status: 5.1.1\r\n" +
	"Remote-MTA: dns; mx.example.org\r\n" +
	"Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address\r\n" +
	"    rejected: User unknown in virtual mailbox table\r\n" +
	"\r\n" +
	"Final-Recipient: rfc822; full@example.org\r\n" +
	"Action: delayed\r\n" +
	"Status: 4.2.2\r\n" +
	"Remote-MTA: dns; mx.example.org\r\n" +
	"Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\r\n" +
	"Last-Attempt-Date: Mon, 3 Mar 2025 09:59:59 +0000\r\n" +
	"\r\n" +
	"--BOUNDARY-1\r\n" +
	"Content-Type: message/rfc822\r\n" +
	"\r\n" +
	"From: sender@example.com\r\n" +
	"To: gone@example.org, full@example.org, bystander@example.org\r\n" +
	"Subject: hello\r\n" +
	"Message-ID: <orig-1@example.com>\r\n" +
	"\r\n" +
	"hi\r\n" +
	"--BOUNDARY-1--\r\n"

func TestParse(t *testing.T) {
	r, err := Parse([]byte(dsn))
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != KindBounce || r.Kind.String() != "bounce" || !strings.Contains(r.ReportingMTA, "mta.example.net") ||
		r.Subject != "Undelivered Mail Returned to Sender" || !strings.Contains(r.Date, "2025-03-03") ||
		!strings.Contains(r.Original.MessageID, "orig-1@example.com") || r.Original.Subject != "hello" {
		t.Errorf("%+v", r)
	}
	if len(r.Recipients) != 2 {
		t.Fatalf("%d recipients: %+v", len(r.Recipients), r.Recipients)
	}
	gone, full := r.Recipients[0], r.Recipients[1]
	if gone.Recipient != "gone@example.org" || !strings.Contains(gone.OriginalRecipient, "Gone@Example.org") ||
		gone.DSNAction != DSNFailed || gone.DSNAction.String() != "failed" || gone.Status != "5.1.1" ||
		gone.ReplyCode != 550 || !strings.Contains(gone.Diagnostic, "User unknown") ||
		!strings.Contains(gone.RemoteMTA, "mx.example.org") || gone.DecodedBy == "" {
		t.Errorf("%+v", gone)
	}
	if c := gone.Classification; c.Reason != ReasonUserUnknown || c.BounceType != BounceTypeHard || c.Action != ActionSuppress {
		t.Errorf("%+v", c)
	}
	if full.Recipient != "full@example.org" || full.DSNAction != DSNDelayed || full.Classification.Reason != ReasonMailboxFull ||
		!strings.Contains(full.LastAttemptDate, "2025-03-03") {
		t.Errorf("%+v", full)
	}

	r, err = Parse([]byte("From: a@example.com\r\nTo: b@example.org\r\nSubject: lunch?\r\n\r\nnoon?\r\n"))
	if err != nil || r.Kind != KindNotBounce || len(r.Recipients) != 0 {
		t.Errorf("plain message: %+v %v", r, err)
	}
}

func TestParseTruncatedAndGarbage(t *testing.T) {
	parsed := 0
	for cut := 0; cut < len(dsn); cut += 3 {
		r, err := Parse([]byte(dsn[:cut]))
		switch {
		case err == nil:
			parsed++
			for _, b := range r.Recipients {
				if b.Recipient == "" || b.Classification.Reason.String() == "" {
					t.Errorf("cut %d: %+v", cut, b)
				}
			}
		case errors.Is(err, ErrParse):
			if r != nil {
				t.Errorf("cut %d: a report with an error", cut)
			}
		default:
			t.Errorf("cut %d: %v", cut, err)
		}
	}
	if parsed == 0 {
		t.Error("no truncation parsed")
	}
	garbage := make([]byte, 4096)
	x := uint32(2463534242)
	for i := range garbage {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		garbage[i] = byte(x)
	}
	for n := 1; n <= len(garbage); n *= 2 {
		if _, err := Parse(garbage[:n]); err != nil && !errors.Is(err, ErrParse) {
			t.Errorf("garbage %d: %v", n, err)
		}
	}
	if _, err := Parse(nil); err != nil && !errors.Is(err, ErrParse) {
		t.Errorf("empty: %v", err)
	}
}

func TestParseLimits(t *testing.T) {
	huge := append([]byte(dsn), bytes.Repeat([]byte("x"), 65<<20)...)
	r, err := Parse(huge)
	if r != nil || !errors.Is(err, ErrLimitExceeded) || !strings.Contains(err.Error(), "max_message_size") {
		t.Errorf("%v", err)
	}
}

func TestClassifierParse(t *testing.T) {
	rules := `
[[rule]]
id = "mine.virtual"
reason = "filtered"
priority = 100
phrases = ["virtual mailbox table"]
examples = ["550 5.1.1 no such user in virtual mailbox table"]
`
	c, err := NewClassifierWithRules([]byte(rules))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Parse([]byte(dsn))
	if err != nil || r.Recipients[0].Classification.Reason != ReasonFiltered || r.Recipients[0].Classification.Rule != "mine.virtual" {
		t.Errorf("%+v %v", r, err)
	}
	c.Close()
	if _, err := c.Parse([]byte(dsn)); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: %v", err)
	}
}

func TestParseConcurrent(t *testing.T) {
	want, err := Parse([]byte(dsn))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				got, err := Parse([]byte(dsn))
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("%+v %v", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkParse(b *testing.B) {
	raw := []byte(dsn)
	for i := 0; i < b.N; i++ {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}
