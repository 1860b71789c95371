// Command interhub holds the operator's commands around the Pulumi program: smoke checks,
// preview summaries for pull requests, rollback through the stack's history, a drift check and
// the creation of a stack's SOPS file.
//
//	interhub smoke            --url URL [--api-key-env VAR] [--connect-to host:port] [--ca-file F] [--restart ns/deploy --kubeconfig F]
//	interhub preview-summary  [--stack S] < preview.json
//	interhub gitea-comment    --server URL --repo owner/name --pr N [--token-env VAR] [--marker M | --new] < comment.md
//	interhub gitea-repo-config --server URL --repo owner/name [--var NAME=VALUE]... [--secret NAME | --secret NAME=@FILE]...
//	interhub gitea-dispatch   --server URL --repo owner/name [--workflow F] [--ref R] [--input NAME=VALUE]... [--wait D]
//	interhub app-revision     --stack S [--set REVISION]
//	interhub rollback         --stack S [--to N] [--yes]
//	interhub drift            --stack S
//	interhub changed-stacks   --stacks a,b < changed-files
//	interhub init-secrets     --stack S --age-recipient age1... [--set NAME=VALUE]... [--values-from-stdin] [--repo DIR]
//
// Exit status: 0 success, 1 a check failed (or drift, or preview errors), 2 bad usage or a
// failure to run.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type command struct {
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands = map[string]command{
	"smoke":             {"HTTP smoke checks of a deployed inter-hub, optionally across a rollout restart", runSmoke},
	"preview-summary":   {"Markdown summary of `pulumi preview --diff --json` read from stdin", runPreviewSummary},
	"gitea-comment":     {"post stdin as the pull request's preview comment, or edit the one posted before", runGiteaComment},
	"gitea-repo-config": {"set a Gitea repository's Actions variables and secrets (secrets from the environment or a file)", runGiteaRepoConfig},
	"gitea-dispatch":    {"start a workflow (default deploy.yaml) by workflow_dispatch; --wait follows it to its result", runGiteaDispatch},
	"app-revision":      {"print the app revision Pulumi.<stack>.yaml records, or record another (--set)", runAppRevision},
	"rollback":          {"list a stack's updates and redeploy an earlier one's app revision and config", runRollback},
	"drift":             {"refresh preview that fails and names the resources changed outside Pulumi", runDrift},
	"changed-stacks":    {"which stacks a change touches (changed files on stdin, as git diff --name-only prints them)", runChangedStacks},
	"init-secrets":      {"create deploy/secrets/<stack>.env.sops.yaml for an age recipient, with every variable the app needs", runInitSecrets},
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "interhub: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return cmd.run(args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: interhub <command> [flags]; interhub <command> -h for its flags")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-16s %s\n", n, commands[n].summary)
	}
}

// Names lists the subcommands (the workflow test checks workflows against it).
func Names() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// fail prints err and returns exit status 2: the command could not do its job (bad usage, a
// tool that failed to run). Failed checks return 1 from the command itself.
func fail(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "interhub %s: %s\n", name, strings.TrimSpace(err.Error()))
	return 2
}
