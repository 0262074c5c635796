package bouncekit_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bouncekit "example.invalid/bouncekit/go"
)

func ExampleClassify() {
	c, err := bouncekit.Classify("550 5.1.1 <user@example.com>: Recipient address rejected: User unknown")
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Reason, c.BounceType, c.Action, c.Status)
	// Output: userunknown hard suppress 5.1.1
}

func ExampleNewClassifierWithRules() {
	rules := []byte(`
[[rule]]
id = "acme.vip"
reason = "filtered"
priority = 100
phrases = ["vip list only"]
examples = ["550 5.1.1 vip list only"]
`)
	c, err := bouncekit.NewClassifierWithRules(rules)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	v, _ := c.Classify("550 5.1.1 vip list only")
	fmt.Println(v.Reason, v.Rule)
	// Output: filtered acme.vip
}

func ExampleExplain() {
	e, err := bouncekit.Explain("5.4.1")
	if err != nil {
		panic(err)
	}
	fmt.Println(e.Name, "/", e.Permanence, "/", e.Category)
	_, err = bouncekit.Explain("5.9.1")
	fmt.Println(errors.Is(err, bouncekit.ErrInvalidCode))
	// Output:
	// No answer from host / permanent / network_routing
	// true
}

func ExamplePolicy_Decide() {
	p, err := bouncekit.PolicyFromTOML("[soft]\nthreshold = 2\nwindow = \"7d\"\n")
	if err != nil {
		panic(err)
	}
	defer p.Close()
	now := time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)
	full := bouncekit.HistoryEvent{Time: now, Reason: bouncekit.ReasonMailboxFull, BounceType: bouncekit.BounceTypeSoft}
	d, _ := p.Decide(full, nil)
	fmt.Println(d.Action, d.RetryAfter)
	earlier := full
	earlier.Time = now.Add(-48 * time.Hour)
	d, _ = p.Decide(full, []bouncekit.HistoryEvent{earlier})
	fmt.Println(d.Action)
	// Output:
	// retry 12h0m0s
	// suppress
}

func ExampleLedger() {
	ledger, err := bouncekit.OpenLedgerInMemory(nil) // bouncekit.OpenLedger("list.db", policy) for a file
	if err != nil {
		panic(err)
	}
	defer ledger.Close()
	now := time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)
	c, _ := bouncekit.Classify("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown")
	ev := bouncekit.NewEvent("bob@example.com", now, c.Reason)
	ev.BounceType = c.BounceType
	if _, err := ledger.Record(ev, bouncekit.NewEvent("ann@example.com", now, bouncekit.ReasonMailboxFull)); err != nil {
		panic(err)
	}
	bob, _ := ledger.IsSuppressed("bob@example.com", now)
	ann, _ := ledger.Decide("ann@example.com", now)
	fmt.Println(bob, ann.Action, ann.RetryAfter)
	csv, _, _ := ledger.Export(bouncekit.ExportCSV, now)
	fmt.Print(string(csv))
	// Output:
	// true retry 12h0m0s
	// address,domain,scope,reason,bounce_type,since,until,why
	// bob@example.com,example.com,address,userunknown,hard,2025-03-03T12:00:00Z,,hard bounce (userunknown) suppresses at once
}

func ExampleNewScanner() {
	dir, _ := os.MkdirTemp("", "bk-example")
	defer os.RemoveAll(dir)
	msg := "From: MAILER-DAEMON@mx.example.net\r\nSubject: Undelivered Mail\r\n\r\n" +
		"<bob@example.com>: host mx.example.com said: 550 5.1.1 <bob@example.com>: User unknown\r\n"
	os.WriteFile(filepath.Join(dir, "1.eml"), []byte(msg), 0o644)

	s, err := bouncekit.NewScanner(bouncekit.ScanOptions{}, dir)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	for {
		r, err := s.Next()
		if err == io.EOF {
			break
		}
		var se *bouncekit.ScanError
		if errors.As(err, &se) {
			fmt.Println("skipped", se.Source, se.Err)
			continue
		}
		for _, b := range r.Recipients {
			fmt.Println(filepath.Base(r.Source), b.Recipient, b.Classification.Reason)
		}
	}
	// Output: 1.eml bob@example.com userunknown
}
