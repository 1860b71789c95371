//go:build integration

package ops_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/test/support/clirun"
)

// standardTools are the programs the runbook may call besides what the repository ships.
var standardTools = map[string]bool{
	"pulumi": true, "kubectl": true, "helm": true, "sops": true, "jq": true, "psql": true, "git": true,
	"crane": true, "ssh": true, "go": true, "cd": true, "eval": true, "export": true, "ls": true,
	"base64": true, "echo": true, "head": true, "tail": true, "make": true,
	// The CI runner's set-up: the runner the toolchain builds (`toolchain/tools.sh build gitea`).
	"gitea-runner": true,
}

// runbookCommands returns the command lines of the runbook's shell blocks (comments stripped,
// continuation lines joined).
func runbookCommands(t *testing.T, root string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "docs", "RUNBOOK.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "```") {
			in = !in && strings.TrimPrefix(line, "```") == "sh"
			continue
		}
		if !in {
			continue
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cmds = append(cmds, line)
	}
	if len(cmds) < 30 {
		t.Fatalf("only %d commands found in the runbook's sh blocks", len(cmds))
	}
	return cmds
}

// segments splits a shell line into simple commands: at |, ||, && and ; outside quotes, and
// the insides of $(...) as commands of their own.
func segments(line string) []string {
	var out []string
	var cur strings.Builder
	var quote byte
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote = c
			cur.WriteByte(c)
		case c == '$' && i+1 < len(line) && line[i+1] == '(' && !(i+2 < len(line) && line[i+2] == '('):
			depth, j := 1, i+2
			for ; j < len(line) && depth > 0; j++ {
				switch line[j] {
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			out = append(out, segments(line[i+2:j-1])...)
			cur.WriteString("SUBST")
			i = j - 1
		case c == '|' || c == ';' || (c == '&' && i+1 < len(line) && line[i+1] == '&'):
			flush()
			if i+1 < len(line) && (line[i+1] == '|' || line[i+1] == '&') {
				i++
			}
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

var assignment = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`)

// TestRunbookCommandsExist checks every command of docs/RUNBOOK.md: it must be a standard tool
// or a repository command; make targets and interhub subcommands must exist; and each pulumi
// subcommand and flag must be one the toolchain's CLI knows (from its --help).
func TestRunbookCommandsExist(t *testing.T) {
	root := repoRoot(t)
	targets := makeTargets(t, root)
	cmds := interhubCommands(t)
	var pulumiLines []string
	for _, line := range runbookCommands(t, root) {
		for _, seg := range segments(line) {
			words := strings.Fields(seg)
			for len(words) > 0 && assignment.MatchString(words[0]) {
				words = words[1:]
			}
			if len(words) == 0 || strings.HasPrefix(words[0], ">") || strings.HasPrefix(words[0], "SUBST") {
				continue
			}
			switch w := words[0]; {
			case w == "bin/interhub":
				if len(words) < 2 || !cmds[words[1]] {
					t.Errorf("runbook: %q: no such interhub subcommand", seg)
				}
			case w == "make":
				for _, a := range words[1:] {
					if !assignment.MatchString(a) && !strings.Contains(a, "=") {
						if !targets[a] {
							t.Errorf("runbook: %q: the Makefile has no target %s", seg, a)
						}
					}
				}
			case w == "pulumi":
				pulumiLines = append(pulumiLines, strings.Join(words, " "))
			case strings.Contains(w, "/") && !strings.HasPrefix(w, "~"):
				if _, err := os.Stat(filepath.Join(root, w)); err != nil {
					t.Errorf("runbook: %q: %s is not in the repository", seg, w)
				}
			case !standardTools[w]:
				t.Errorf("runbook: %q: %s is neither a standard tool nor shipped here", seg, w)
			}
		}
	}

	tc := clirun.Require(t)
	help := map[string]string{}
	pulumiHelp := func(path []string) string {
		key := strings.Join(path, " ")
		if h, ok := help[key]; ok {
			return h
		}
		cmd := exec.Command(tc.Bin("pulumi"), append(path, "--help")...)
		cmd.Env = tc.Env
		out, _ := cmd.CombinedOutput()
		help[key] = string(out)
		return help[key]
	}
	for _, seg := range pulumiLines {
		words := strings.Fields(seg)[1:]
		// The subcommand path: words that the parent's help lists as commands.
		var path []string
		for _, w := range words {
			if strings.HasPrefix(w, "-") {
				break
			}
			h := pulumiHelp(path)
			if i := strings.Index(h, "\nFlags:"); i >= 0 {
				h = h[:i]
			}
			if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(w) + `\s{2,}\S`).MatchString(h) {
				break
			}
			path = append(path, w)
		}
		if len(path) == 0 {
			t.Errorf("runbook: %q: not a pulumi subcommand", seg)
			continue
		}
		h := pulumiHelp(path)
		for _, w := range words {
			if !strings.HasPrefix(w, "--") {
				continue
			}
			flag, _, _ := strings.Cut(w, "=")
			if !strings.Contains(h, flag+" ") && !strings.Contains(h, flag+"\n") {
				t.Errorf("runbook: %q: pulumi %s has no flag %s", seg, strings.Join(path, " "), flag)
			}
		}
	}
	t.Logf("checked %d pulumi command lines", len(pulumiLines))
}
