// Package cmdout captures a command's standard output and error, streams the
// lines the logging mode allows, and shapes the tail shown when it fails.
package cmdout

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// The logging modes of the command plugin's Logging enums.
const (
	LogStdout          = "stdout"
	LogStderr          = "stderr"
	LogStdoutAndStderr = "stdoutAndStderr"
	LogNone            = "none"
)

// ShouldLog reports which streams a logging mode (nil: both) logs.
func ShouldLog(mode *string) (stdout, stderr bool) {
	if mode == nil {
		return true, true
	}
	switch *mode {
	case LogStdout:
		return true, false
	case LogStderr:
		return false, true
	case LogNone:
		return false, false
	default:
		return true, true
	}
}

// Failure explains a command that did not succeed: step (create, update,
// delete), where it ran, and how it ended. It never shows the command text
// (it may be built from secrets), shows only a stream that logging allows,
// and blanks the given secrets out of what it shows.
func Failure(step, where, ending string, logging *string, c *Capture, secrets []string) error {
	stdout, stderr := c.Result()
	showOut, showErr := ShouldLog(logging)
	var b strings.Builder
	fmt.Fprintf(&b, "%s command %s %s", step, where, ending)
	switch {
	case showErr && strings.TrimSpace(stderr) != "":
		fmt.Fprintf(&b, "; last lines of its stderr:\n%s", Redact(Tail(stderr, 20, 4096), secrets))
	case showOut && strings.TrimSpace(stdout) != "":
		fmt.Fprintf(&b, "; its stderr was empty, last lines of its stdout:\n%s", Redact(Tail(stdout, 20, 4096), secrets))
	case !showErr:
		mode := LogNone
		if logging != nil {
			mode = *logging
		}
		fmt.Fprintf(&b, " (its output is not shown because logging is %q)", mode)
	default:
		b.WriteString(" with no output")
	}
	return fmt.Errorf("%s", b.String())
}

// Capture collects both streams in full and passes complete lines of the
// logged ones to log.
type Capture struct {
	mu             sync.Mutex
	stdout, stderr bytes.Buffer
	out, err       *lineWriter
}

// New returns a Capture; log may be nil, and logStdout/logStderr select the
// streams whose lines reach it.
func New(log func(string), logStdout, logStderr bool) *Capture {
	c := &Capture{}
	c.out = &lineWriter{c: c, buf: &c.stdout}
	c.err = &lineWriter{c: c, buf: &c.stderr}
	if log != nil && logStdout {
		c.out.log = log
	}
	if log != nil && logStderr {
		c.err.log = log
	}
	return c
}

// Stdout is the writer for the command's standard output.
func (c *Capture) Stdout() *lineWriter { return c.out }

// Stderr is the writer for the command's standard error.
func (c *Capture) Stderr() *lineWriter { return c.err }

// Flush logs any last line that did not end in a newline.
func (c *Capture) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out.flush()
	c.err.flush()
}

// Result is both streams with one trailing newline removed, as upstream
// records them.
func (c *Capture) Result() (stdout, stderr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimSuffix(c.stdout.String(), "\n"), strings.TrimSuffix(c.stderr.String(), "\n")
}

type lineWriter struct {
	c       *Capture
	buf     *bytes.Buffer
	log     func(string)
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	w.buf.Write(p)
	if w.log == nil {
		return len(p), nil
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.log(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	if w.log != nil && len(w.partial) > 0 {
		w.log(string(w.partial))
	}
	w.partial = nil
}

// Tail is the last maxLines lines of s, cut to at most maxBytes from the end.
func Tail(s string, maxLines, maxBytes int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	s = strings.Join(lines, "\n")
	if len(s) > maxBytes {
		s = "..." + s[len(s)-maxBytes:]
	}
	return s
}

// Redact replaces every occurrence of each secret in s with "[redacted]".
// Longer secrets go first, so one that contains another is replaced whole;
// values shorter than four bytes are left alone, since replacing them would
// garble the text without hiding anything worth hiding.
func Redact(s string, secrets []string) string {
	sorted := append([]string(nil), secrets...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, v := range sorted {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}
