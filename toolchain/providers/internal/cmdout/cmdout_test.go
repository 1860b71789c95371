package cmdout

import (
	"fmt"
	"strings"
	"testing"
)

func TestCaptureLogsOnlySelectedStreams(t *testing.T) {
	var logged []string
	c := New(func(s string) { logged = append(logged, s) }, true, false)
	fmt.Fprint(c.Stdout(), "one\ntw")
	fmt.Fprint(c.Stderr(), "secret-ish\n")
	fmt.Fprint(c.Stdout(), "o\nthree")
	c.Flush()
	if got := strings.Join(logged, "|"); got != "one|two|three" {
		t.Fatalf("logged %q", got)
	}
	out, errs := c.Result()
	if out != "one\ntwo\nthree" || errs != "secret-ish" {
		t.Fatalf("Result = %q, %q", out, errs)
	}
}

func TestCaptureNoLogging(t *testing.T) {
	c := New(func(s string) { t.Fatalf("logged %q with logging off", s) }, false, false)
	fmt.Fprint(c.Stdout(), "a\n")
	fmt.Fprint(c.Stderr(), "b\n")
	c.Flush()
	if out, errs := c.Result(); out != "a" || errs != "b" {
		t.Fatalf("Result = %q, %q", out, errs)
	}
}

func TestTail(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	got := Tail(b.String(), 3, 1000)
	if got != "line 28\nline 29\nline 30" {
		t.Fatalf("Tail = %q", got)
	}
	if got := Tail(strings.Repeat("x", 50), 5, 10); got != "..."+strings.Repeat("x", 10) {
		t.Fatalf("Tail bytes = %q", got)
	}
}

func TestRedact(t *testing.T) {
	got := Redact("token=abcd1234 and abcd1234xyz, short=ab", []string{"abcd1234", "abcd1234xyz", "ab"})
	if strings.Contains(got, "abcd1234") || !strings.Contains(got, "short=ab") {
		t.Fatalf("Redact = %q", got)
	}
	if strings.Count(got, "[redacted]") != 2 {
		t.Fatalf("Redact = %q, want two replacements", got)
	}
}
