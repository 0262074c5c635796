package bouncekit

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const plainMessage = "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: lunch?\r\n\r\nAre you free?\r\n"

// writeTree lays out a Maildir, an mbox, single messages, an empty file,
// an oversize message and a dangling link; names sort in scan order.
func writeTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"Maildir/cur/1.eml": dsn,
		"Maildir/new/2.eml": plainMessage,
		"Maildir/tmp/3.eml": dsn, // being written: skipped
		"a_dsn.eml":         dsn,
		"b.mbox": "From MAILER-DAEMON Mon Mar  3 10:00:00 2025\n" + dsn + "\n" +
			"From alice@example.com Mon Mar  3 10:00:02 2025\n" + plainMessage,
		"c_empty.eml": "",
		"d_big.eml":   dsn + strings.Repeat("x", 20000),
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "e_dangling.eml")); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestDefaultLimits(t *testing.T) {
	l := DefaultLimits()
	if l.MaxMessageSize != 64<<20 || l.MaxMIMEDepth != 32 || l.MaxParts != 2000 || l.MaxRecipients != 10000 || l.MaxDiagnosticLen != 4096 {
		t.Errorf("%+v", l)
	}
}

func TestParseWithLimits(t *testing.T) {
	c, err := NewClassifier()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l := DefaultLimits()
	l.MaxRecipients = 1
	if _, err := c.ParseWithLimits([]byte(dsn), l); !errors.Is(err, ErrLimitExceeded) || !strings.Contains(err.Error(), "max_recipients") {
		t.Errorf("max_recipients: %v", err)
	}
	l = DefaultLimits()
	l.MaxParts = 0
	if _, err := c.ParseWithLimits([]byte(dsn), l); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("zero limit: %v", err)
	}
	l = DefaultLimits()
	l.MaxDiagnosticLen = 10
	r, err := c.ParseWithLimits([]byte(dsn), l)
	if err != nil || len(r.Recipients) != 2 || len(r.Recipients[0].Diagnostic) > 10 || r.Source != "" {
		t.Errorf("%+v %v", r, err)
	}
}

func TestScanner(t *testing.T) {
	// One per core, then one and three parse threads: the same reports in the same order.
	for _, threads := range []int{0, 1, 3} {
		testScanner(t, threads)
	}
}

func testScanner(t *testing.T, threads int) {
	root := writeTree(t)
	limits := DefaultLimits()
	limits.MaxMessageSize = 16 * 1024
	s, err := NewScanner(ScanOptions{Limits: &limits, Threads: threads}, root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := []struct {
		source string
		kind   MessageKind
		err    error
	}{
		{"/Maildir/cur/1.eml", KindBounce, nil},
		{"/Maildir/new/2.eml", KindNotBounce, nil},
		{"/a_dsn.eml", KindBounce, nil},
		{"/b.mbox#1", KindBounce, nil},
		{"/b.mbox#2", KindNotBounce, nil},
		{"/c_empty.eml", 0, ErrParse},
		{"/d_big.eml", 0, ErrLimitExceeded},
		{"/e_dangling.eml", 0, ErrIO},
	}
	for i, w := range want {
		r, err := s.Next()
		if w.err != nil {
			var se *ScanError
			if !errors.As(err, &se) || !errors.Is(err, w.err) || !strings.HasSuffix(se.Source, w.source) {
				t.Errorf("threads %d, %d: want %v at %s, got %v", threads, i, w.err, w.source, err)
			}
			continue
		}
		if err != nil || r.Kind != w.kind || !strings.HasSuffix(r.Source, w.source) {
			t.Errorf("threads %d, %d: want %v at %s, got %+v %v", threads, i, w.kind, w.source, r, err)
		}
	}
	for i := 0; i < 2; i++ {
		if r, err := s.Next(); err != io.EOF || r != nil {
			t.Errorf("end: %+v %v", r, err)
		}
	}
	if s.BytesRead() == 0 {
		t.Error("no bytes read")
	}
	s.Close()
	if _, err := s.Next(); !errors.Is(err, ErrScannerClosed) {
		t.Errorf("after close: %v", err)
	}
}

func TestScannerBadInput(t *testing.T) {
	if _, err := NewScanner(ScanOptions{}, "/nonexistent/bouncekit"); !errors.Is(err, ErrIO) {
		t.Errorf("missing path: %v", err)
	}
	if _, err := NewScanner(ScanOptions{}, ""); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("empty path: %v", err)
	}
	bad := DefaultLimits()
	bad.MaxMessageSize = -1
	if _, err := NewScanner(ScanOptions{Limits: &bad}); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("bad limits: %v", err)
	}
	if _, err := NewScanner(ScanOptions{Threads: -1}); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("negative threads: %v", err)
	}
	c, _ := NewClassifier()
	c.Close()
	if _, err := NewScanner(ScanOptions{Classifier: c}); !errors.Is(err, ErrClosed) {
		t.Errorf("closed classifier: %v", err)
	}
	s, err := NewScanner(ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(); err != io.EOF {
		t.Errorf("no inputs: %v", err)
	}
	s.Close()
}

// The scanner records into a ledger as it goes; scanning again records nothing new.
func TestScannerWithLedger(t *testing.T) {
	root := writeTree(t)
	l, err := OpenLedgerInMemory(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := NewClassifier()
	if err != nil {
		t.Fatal(err)
	}
	for pass := 0; pass < 2; pass++ {
		s, err := NewScanner(ScanOptions{Classifier: c, Ledger: l, DefaultTime: time.Unix(t0, 0)}, filepath.Join(root, "Maildir"), filepath.Join(root, "b.mbox"))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			_, err := s.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		got := s.Recorded()
		s.Close()
		// Two DSNs (one failed + one delayed recipient each) and two plain messages.
		if n != 4 || got.Events != 2 || got.Skipped != 2 {
			t.Errorf("pass %d: %d messages, %+v", pass, n, got)
		}
		// The same bounce twice (identical DSNs) counts once.
		if pass == 0 && (got.Recorded != 1 || got.Duplicates != 1 || got.Suppressed != 1) {
			t.Errorf("first pass: %+v", got)
		}
		if pass == 1 && (got.Recorded != 0 || got.Duplicates != 2) {
			t.Errorf("second pass: %+v", got)
		}
	}
	c.Close() // the scanners kept their own reference
	if ok, err := l.IsSuppressed("gone@example.org", time.Unix(t0, 0)); !ok || err != nil {
		t.Errorf("gone@: %v %v", ok, err)
	}
}

// Goroutines share one scanner: every message goes to exactly one of them.
func TestScannerConcurrent(t *testing.T) {
	root := writeTree(t)
	s, err := NewScanner(ScanOptions{}, filepath.Join(root, "Maildir"), filepath.Join(root, "a_dsn.eml"), filepath.Join(root, "b.mbox"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				r, err := s.Next()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[r.Source]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 5 {
		t.Errorf("%v", seen)
	}
	for src, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", src, n)
		}
	}
}

func TestScanCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "corpus", "sisimai", "bsd")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skip("no shared corpus at ../shared")
	}
	s, err := NewScanner(ScanOptions{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reports := 0
	for {
		_, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Error(err)
			continue
		}
		reports++
	}
	if reports < len(entries) {
		t.Errorf("%d reports from %d files", reports, len(entries))
	}
}
