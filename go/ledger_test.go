package bouncekit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const t0 = 1741000000 // 2025-03-03T11:06:40Z

func at(offset time.Duration) time.Time { return time.Unix(t0, 0).Add(offset) }

const day = 24 * time.Hour

func TestPolicy(t *testing.T) {
	p, err := DefaultPolicy()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	d, err := p.Decide(HistoryEvent{at(0), ReasonUserUnknown, BounceTypeHard}, nil)
	if err != nil || d.Action != ActionSuppress || !strings.Contains(d.Why, "userunknown") {
		t.Errorf("hard: %+v %v", d, err)
	}
	full := HistoryEvent{at(0), ReasonMailboxFull, BounceTypeSoft}
	d, err = p.Decide(full, nil)
	if err != nil || d.Action != ActionRetry || d.RetryAfter != 12*time.Hour {
		t.Errorf("soft: %+v %v", d, err)
	}
	hist := []HistoryEvent{{at(-3 * day), ReasonMailboxFull, BounceTypeSoft}, {at(-day), ReasonMailboxFull, BounceTypeSoft}}
	d, err = p.Decide(full, hist)
	if err != nil || d.Action != ActionSuppress || !strings.Contains(d.Why, "3 soft bounces") || d.RetryAfter != 0 {
		t.Errorf("third soft: %+v %v", d, err)
	}
	hist[0].Time = at(-30 * day)
	if d, _ := p.Decide(full, hist); d.Action != ActionRetry {
		t.Errorf("outside the window: %+v", d)
	}
	c, _ := Classify("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org")
	if d, _ := p.Decide(EventOf(c, at(0)), nil); d.Action != ActionFixSender {
		t.Errorf("blocked: %+v", d)
	}
	if _, err := p.Decide(HistoryEvent{at(0), Reason(999), BounceTypeSoft}, nil); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("bad reason: %v", err)
	}
	if _, err := p.Decide(full, []HistoryEvent{{at(0), ReasonMailboxFull, BounceType(9)}}); !errors.Is(err, ErrInvalidParameter) || !strings.Contains(err.Error(), "history[0]") {
		t.Errorf("bad history: %v", err)
	}
	p.Close()
	if _, err := p.Decide(full, nil); !errors.Is(err, ErrPolicyClosed) {
		t.Errorf("closed: %v", err)
	}
}

func TestPolicyFromTOML(t *testing.T) {
	p, err := PolicyFromTOML("[soft]\nthreshold = 2\nwindow = \"7d\"\n")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	d, _ := p.Decide(HistoryEvent{at(0), ReasonMailboxFull, BounceTypeSoft}, []HistoryEvent{{at(-day), ReasonMailboxFull, BounceTypeSoft}})
	if d.Action != ActionSuppress || !strings.Contains(d.Why, "7 days") {
		t.Errorf("%+v", d)
	}
	for _, bad := range []string{"[soft]\nwindw = \"7d\"\n", "[fix_sender]\nreasons = [\"nosuch\"]\n", "[soft\n", "[soft]\nwindow = \"fortnight\"\n"} {
		if _, err := PolicyFromTOML(bad); !errors.Is(err, ErrPolicy) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := PolicyFromTOML("[soft]\nthreshold = 2 # \xff\n"); !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("bad UTF-8: %v", err)
	}
	path := filepath.Join(t.TempDir(), "policy.toml")
	os.WriteFile(path, []byte("[soft]\nthreshold = 5\n"), 0o644)
	pf, err := PolicyFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pf.Close()
	if _, err := PolicyFromFile(path + ".missing"); !errors.Is(err, ErrIO) {
		t.Errorf("missing file: %v", err)
	}
}

func TestLedger(t *testing.T) {
	l, err := OpenLedgerInMemory(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	bob := NewEvent("Bob@Example.com", at(0), ReasonUserUnknown)
	bob.MessageID, bob.Diagnostic, bob.Source = "bounce-7@mx.example.net", "550 5.1.1 user unknown", "log"
	evs := []Event{
		bob,
		NewEvent("ann@example.com", at(-2*day), ReasonMailboxFull),
		NewEvent("ann@example.com", at(-day), ReasonMailboxFull),
		NewEvent("<cid@example.com>", at(0), ReasonBlocked),
		NewEvent("dee@example.net", at(0), ReasonFeedback),
	}
	st, err := l.Record(evs...)
	if err != nil || st.Events != 5 || st.Recorded != 5 || st.Suppressed != 2 {
		t.Fatalf("%+v %v", st, err)
	}
	if st, _ := l.Record(evs...); st.Recorded != 0 || st.Duplicates != 5 {
		t.Errorf("again: %+v", st)
	}
	for addr, want := range map[string]bool{"bob@example.com": true, "BOB@example.com": true, "dee@example.net": true, "ann@example.com": false, "cid@example.com": false, "x@example.com": false} {
		if got, err := l.IsSuppressed(addr, at(0)); got != want || err != nil {
			t.Errorf("%s: %v %v", addr, got, err)
		}
	}
	for addr, want := range map[string]Action{"ann@example.com": ActionRetry, "cid@example.com": ActionFixSender, "x@example.com": ActionIgnore, "bob@example.com": ActionSuppress} {
		if d, err := l.Decide(addr, at(0)); d.Action != want || err != nil {
			t.Errorf("%s: %+v %v", addr, d, err)
		}
	}
	if _, err := l.Record(NewEvent("ann@example.com", at(0), ReasonMailboxFull)); err != nil {
		t.Fatal(err)
	}
	if d, _ := l.Decide("ann@example.com", at(0)); d.Action != ActionSuppress || !strings.Contains(d.Why, "3 soft bounces") {
		t.Errorf("ann: %+v", d)
	}

	// Refused batches write nothing.
	before, _ := l.Stats(at(0))
	for name, bad := range map[string]Event{
		"address":     NewEvent("not an address", at(0), ReasonUserUnknown),
		"time":        NewEvent("x@example.org", time.Unix(12, 0), ReasonUserUnknown),
		"future":      NewEvent("x@example.org", time.Unix(5000000000, 0), ReasonUserUnknown),
		"reason":      {Recipient: "x@example.org", Time: at(0), Reason: Reason(1000)},
		"bounce type": {Recipient: "x@example.org", Time: at(0), Reason: ReasonUserUnknown, BounceType: BounceType(9)},
		"empty":       NewEvent("", at(0), ReasonUserUnknown),
	} {
		_, err := l.Record(NewEvent("new1@example.org", at(0), ReasonUserUnknown), bad)
		if !errors.Is(err, ErrInvalidEvent) || !strings.Contains(err.Error(), "events[1]") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := l.Record(NewEvent("x\xff@example.org", at(0), ReasonUserUnknown)); !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("bad UTF-8: %v", err)
	}
	after, _ := l.Stats(at(0))
	if after.Events != before.Events || after.Suppressed != before.Suppressed {
		t.Errorf("refused batches wrote: %+v -> %+v", before, after)
	}
	if st, err := l.Record(); err != nil || st.Events != 0 {
		t.Errorf("empty batch: %+v %v", st, err)
	}
	if _, err := l.IsSuppressed("no-at-sign", at(0)); !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("query: %v", err)
	}

	// Export and the typed list.
	csv, n, err := l.Export(ExportCSV, at(0))
	if err != nil || n != 3 || !bytes.HasPrefix(csv, []byte("address,domain,scope,reason,bounce_type,since,until,why\n")) ||
		!bytes.Contains(csv, []byte("\nbob@example.com,example.com,address,userunknown,hard,2025-03-03T11:06:40Z,")) {
		t.Errorf("csv %d %v:\n%s", n, err, csv)
	}
	js, _, err := l.Export(ExportJSON, at(0))
	if err != nil || !bytes.Contains(js, []byte(`"dee@example.net"`)) {
		t.Errorf("json %v: %s", err, js)
	}
	if _, _, err := l.Export(ExportFormat(7), at(0)); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("bad format: %v", err)
	}
	list, err := l.Suppressed(at(0))
	if err != nil || len(list) != 3 {
		t.Fatalf("%+v %v", list, err)
	}
	byAddr := map[string]Suppression{}
	for _, s := range list {
		byAddr[s.Address] = s
	}
	if s := byAddr["bob@example.com"]; s.Reason == nil || *s.Reason != "userunknown" || s.Since != t0 || s.Scope != "address" || s.Why == "" {
		t.Errorf("bob: %+v", s)
	}

	// Release.
	if ok, err := l.Release("bob@example.com", at(time.Minute)); !ok || err != nil {
		t.Errorf("release: %v %v", ok, err)
	}
	if ok, _ := l.IsSuppressed("bob@example.com", at(2*time.Minute)); ok {
		t.Error("still suppressed")
	}
	if ok, _ := l.Release("bob@example.com", at(time.Minute)); ok {
		t.Error("released twice")
	}
	s, err := l.Stats(at(0))
	if err != nil || s.Events != 6 || s.Recipients != 4 || s.Domains != 2 || s.Suppressed != 2 ||
		!s.FirstEvent.Equal(at(-2*day)) || !s.LastEvent.Equal(at(0)) || s.SchemaVersion < 1 {
		t.Errorf("stats: %+v %v", s, err)
	}
	l.Close()
	if _, err := l.Stats(at(0)); !errors.Is(err, ErrLedgerClosed) {
		t.Errorf("closed: %v", err)
	}
}

func TestLedgerDomains(t *testing.T) {
	p, err := PolicyFromTOML("[domain]\nthreshold = 3\nwindow = \"1d\"\naction = \"suppress\"\n")
	if err != nil {
		t.Fatal(err)
	}
	l, err := OpenLedgerInMemory(p)
	p.Close() // the ledger keeps its own copy
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	st, err := l.Record(
		NewEvent("a@dead.example", at(0), ReasonNetworkError),
		NewEvent("b@dead.example", at(time.Minute), ReasonNetworkError),
		NewEvent("c@dead.example", at(2*time.Minute), ReasonNetworkError),
		NewEvent("z@fine.example", at(0), ReasonMailboxFull),
	)
	if err != nil || st.DomainsFlagged != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	if ok, _ := l.IsSuppressed("never@dead.example", at(3*time.Minute)); !ok {
		t.Error("flagged domain's address not suppressed")
	}
	ds, err := l.Domains(at(3*time.Minute), 0)
	if err != nil || len(ds) != 2 || ds[0].Domain != "dead.example" || !ds[0].Flagged || ds[0].Flag == nil ||
		ds[0].Flag.Addresses != 3 || ds[0].DomainFailures != 3 || ds[1].Flagged {
		t.Errorf("%+v %v", ds, err)
	}
	if ds, _ := l.Domains(at(0), 1); len(ds) != 1 {
		t.Errorf("limit: %+v", ds)
	}
	if _, err := l.Domains(at(0), -1); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("negative limit: %v", err)
	}
	list, _ := l.Suppressed(at(3 * time.Minute))
	found := false
	for _, s := range list {
		found = found || (s.Address == "*@dead.example" && s.Scope == "domain")
	}
	if !found {
		t.Errorf("no domain entry: %+v", list)
	}
	if ok, err := l.ReleaseDomain("dead.example", at(4*time.Minute)); !ok || err != nil {
		t.Errorf("release domain: %v %v", ok, err)
	}
	if ok, _ := l.IsSuppressed("never@dead.example", at(5*time.Minute)); ok {
		t.Error("still suppressed after release")
	}
	if _, err := l.ReleaseDomain(" ", at(0)); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("empty domain: %v", err)
	}
}

func TestLedgerFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	l, err := OpenLedger(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := l.RecordMessage([]byte(dsn), at(0))
	if err != nil || st.Recorded != 1 || st.Skipped != 1 || st.Suppressed != 1 {
		t.Errorf("%+v %v", st, err)
	}
	if st, _ := l.RecordMessage([]byte(dsn), at(0)); st.Duplicates != 1 || st.Recorded != 0 {
		t.Errorf("again: %+v", st)
	}
	if _, err := l.RecordMessage(nil, at(0)); !errors.Is(err, ErrParse) {
		t.Errorf("empty message: %v", err)
	}
	l.Close()
	l, err = OpenLedger(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := l.IsSuppressed("gone@example.org", at(0)); !ok {
		t.Error("lost on reopen")
	}
	l.Close()
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, bytes.Repeat([]byte("not an SQLite database\n"), 200), 0o644)
	if _, err := OpenLedger(junk, nil); !errors.Is(err, ErrLedger) {
		t.Errorf("junk: %v", err)
	}
	if _, err := OpenLedger("", nil); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("empty path: %v", err)
	}
	p, _ := DefaultPolicy()
	p.Close()
	if _, err := OpenLedger(path, p); !errors.Is(err, ErrPolicyClosed) {
		t.Errorf("closed policy: %v", err)
	}
}

// Goroutines record into one ledger at once: nothing is lost.
func TestLedgerConcurrent(t *testing.T) {
	l, err := OpenLedger(filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			batch := make([]Event, 0, 50)
			for i := 0; i < 200; i++ {
				batch = append(batch, NewEvent(fmt.Sprintf("g%d-%d@example.com", g, i), at(time.Duration(i)*time.Second), ReasonMailboxFull))
				if len(batch) == cap(batch) {
					if _, err := l.Record(batch...); err != nil {
						t.Error(err)
					}
					batch = batch[:0]
				}
				if _, err := l.IsSuppressed(fmt.Sprintf("g%d-%d@example.com", g, i), at(0)); err != nil {
					t.Error(err)
				}
			}
		}(g)
	}
	wg.Wait()
	if s, _ := l.Stats(at(0)); s.Events != 1600 || s.Recipients != 1600 {
		t.Errorf("%+v", s)
	}
}

func TestLedgerCloseConcurrent(t *testing.T) {
	l, err := OpenLedgerInMemory(nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				_, err := l.Decide("a@example.com", at(0))
				if err != nil && !errors.Is(err, ErrLedgerClosed) {
					t.Error(err)
				}
			}
		}()
	}
	l.Close()
	wg.Wait()
}

func BenchmarkPolicyDecide(b *testing.B) {
	p, _ := DefaultPolicy()
	defer p.Close()
	cur := HistoryEvent{at(0), ReasonMailboxFull, BounceTypeSoft}
	hist := []HistoryEvent{{at(-day), ReasonMailboxFull, BounceTypeSoft}}
	for i := 0; i < b.N; i++ {
		if _, err := p.Decide(cur, hist); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLedgerRecord(b *testing.B) {
	l, _ := OpenLedgerInMemory(nil)
	defer l.Close()
	batch := make([]Event, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range batch {
			batch[j] = NewEvent(fmt.Sprintf("u%d-%d@example.com", i, j), at(time.Duration(j)*time.Second), ReasonMailboxFull)
		}
		if _, err := l.Record(batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "events/s")
}
