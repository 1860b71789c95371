package previewsummary

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// stderrTailLines is how much of a failed preview's stderr the summary quotes.
const stderrTailLines = 30

// ErrPreviewFailed: the summary was written, and it says that the preview failed or had errors.
var ErrPreviewFailed = errors.New("the preview failed")

// Run reads `pulumi preview --diff --json` from r and writes the pull request's Markdown
// summary for stack to w. A preview that produced no JSON still gets a summary, quoting the
// tail of stderrFile when one is named: the pull request must show that it failed and why.
func Run(r io.Reader, stack, stderrFile string, w io.Writer) error {
	if stack == "" {
		stack = "stack"
	}
	p, err := Parse(r)
	if err != nil {
		fmt.Fprintf(w, "### Pulumi preview: %s\n\n**The preview failed:** %s\n\n", stack, err)
		if tail := tailLines(stderrFile, stderrTailLines); tail != "" {
			fmt.Fprintf(w, "Last lines of its error output:\n\n```\n%s\n```\n\n", tail)
		}
		return fmt.Errorf("%w: %w", ErrPreviewFailed, err)
	}
	p.Markdown(w, stack)
	if n := len(p.Errors()); n > 0 {
		return fmt.Errorf("%w: the preview of %s has %d error(s)", ErrPreviewFailed, stack, n)
	}
	return nil
}

// tailLines is the last n lines of the file at path, with code fences defused; "" when there
// is no such file.
func tailLines(path string, n int) string {
	if path == "" {
		return ""
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.ReplaceAll(strings.Join(lines, "\n"), "```", "'''")
}
