package bouncekit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"testing"
)

// stressMessages reads the shared Sisimai corpus beside the checkout (or
// the bundled fixtures when it is absent).
func stressMessages(t *testing.T) [][]byte {
	var out [][]byte
	for _, dir := range []string{"../../shared/corpus/sisimai/bsd", "../tests/fixtures"} {
		names, err := filepath.Glob(filepath.Join(dir, "*"))
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(names)
		for _, n := range names {
			if st, err := os.Stat(n); err != nil || !st.Mode().IsRegular() {
				continue
			}
			b, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d messages found", len(out))
	}
	return out
}

type parseOutcome struct {
	report *Report
	err    string
}

func outcomeOf(c *Classifier, raw []byte) parseOutcome {
	r, err := c.Parse(raw)
	if err != nil {
		return parseOutcome{err: err.Error()}
	}
	return parseOutcome{report: r}
}

const stressRules = "[[rule]]\nid = \"mine.vip\"\nreason = \"filtered\"\npriority = 100\n" +
	"phrases = [\"vip list only\"]\nexamples = [\"550 5.1.1 vip list only\"]\n"

// Many goroutines parse and classify the corpus at once through one shared
// Classifier and the package-level functions; every answer must equal the
// answer computed on one goroutine first.
//
// With -short (the -race run in scripts/test-go.sh) every fourth message is
// used: the race detector slows each call, and the sharing is the same.
func TestStressGoroutinesMatchSequential(t *testing.T) {
	msgs := stressMessages(t)
	if testing.Short() {
		var some [][]byte
		for i := 0; i < len(msgs); i += 4 {
			some = append(some, msgs[i])
		}
		msgs = some
	}
	c, err := NewClassifierWithRules([]byte(stressRules))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := make([]parseOutcome, len(msgs))
	var texts []string
	for i, m := range msgs {
		want[i] = outcomeOf(c, m)
		if want[i].report != nil {
			for _, b := range want[i].report.Recipients {
				texts = append(texts, b.Diagnostic)
			}
		}
	}
	wantUser := make([]Classification, len(texts))
	wantBuiltin := make([]Classification, len(texts))
	for i, s := range texts {
		if wantUser[i], err = c.Classify(s); err != nil {
			t.Fatal(err)
		}
		if wantBuiltin[i], err = Classify(s); err != nil {
			t.Fatal(err)
		}
	}

	const workers = 16
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := make(chan struct{})
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			<-start
			n := len(msgs)
			for k := 0; k < n; k++ {
				i := (k + g*n/workers) % n
				if got := outcomeOf(c, msgs[i]); !reflect.DeepEqual(got, want[i]) {
					errs <- fmt.Errorf("goroutine %d, message %d: %+v != %+v", g, i, got, want[i])
					return
				}
			}
			for k := range texts {
				i := (k*7 + g) % len(texts)
				u, err1 := c.Classify(texts[i])
				b, err2 := Classify(texts[i])
				if err1 != nil || err2 != nil || !reflect.DeepEqual(u, wantUser[i]) || !reflect.DeepEqual(b, wantBuiltin[i]) {
					errs <- fmt.Errorf("goroutine %d, text %d differs (%v, %v)", g, i, err1, err2)
					return
				}
			}
		}(g)
	}
	close(start)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if got, _ := c.Classify("550 5.1.1 vip list only"); got.Rule != "mine.vip" {
		t.Fatalf("user rule not in play: %q", got.Rule)
	}
}

// Hostile input from many goroutines: typed errors, never a crash.
func TestStressHostileFromGoroutines(t *testing.T) {
	big := []byte("Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n")
	for i := 0; i < 20000; i++ {
		big = append(big, fmt.Sprintf("\r\nFinal-Recipient: rfc822; u%d@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n", i)...)
	}
	noise := make([]byte, 1<<16)
	for i := range noise {
		noise[i] = byte(i*7 + i/251)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := Parse(nil); !errors.Is(err, ErrParse) {
				errs <- fmt.Errorf("empty input: %v", err)
			}
			if _, err := Parse(big); !errors.Is(err, ErrLimitExceeded) {
				errs <- fmt.Errorf("20,000 recipients: %v", err)
			}
			if _, err := Parse(noise); err != nil && !errors.Is(err, ErrParse) {
				errs <- fmt.Errorf("noise: %v", err)
			}
			if _, err := ClassifyBytes([]byte("550 5.1.1 \xff\x00 user unknown")); err != nil {
				errs <- fmt.Errorf("invalid UTF-8: %v", err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
