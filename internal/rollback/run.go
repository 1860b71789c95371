package rollback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/opthistory"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	"github.com/coulomb-social/inter-hub-deploy/internal/autostack"
	"github.com/coulomb-social/inter-hub-deploy/internal/history"
)

// Ways a rollback ends without applying; the stack and its config file are unchanged.
var (
	ErrNotConfirmed = errors.New("not confirmed; nothing was changed")
	ErrUpdateFailed = errors.New("the rollback update failed")
)

// Request is one rollback as the operator asks for it.
type Request struct {
	// ConfigFile is the stack's config file ("": Pulumi.<stack>.yaml in the project directory);
	// it changes only after a successful rollback, and then holds the config of the update
	// returned to.
	ConfigFile string
	// To is the update to return to; 0 lists the updates and changes nothing.
	To int
	// Confirm asks the operator before applying; nil applies without asking (--yes).
	Confirm func(question string) (bool, error)
	Stdout  io.Writer
	Stderr  io.Writer
}

// Run lists the stack's updates and, with req.To, redeploys that update's config (its app
// revision, whose image the registry still holds) with this checkout's program: it previews on
// a copy of the config file, asks, runs `pulumi up` and only then writes the config file.
func Run(ctx context.Context, st auto.Stack, req Request) error {
	project, err := autostack.Project(ctx, st)
	if err != nil {
		return err
	}
	o := ForProject(project)
	if req.ConfigFile == "" {
		req.ConfigFile = filepath.Join(st.Workspace().WorkDir(), "Pulumi."+shortStack(st.Name())+".yaml")
	}
	updates, err := readHistory(ctx, st, project, req.Stderr)
	if err != nil {
		return err
	}
	if len(updates) == 0 {
		return fmt.Errorf("stack %s has no updates", st.Name())
	}
	fmt.Fprintf(req.Stdout, "Updates of stack %s, newest first:\n", st.Name())
	WriteList(req.Stdout, updates, o)
	if req.To == 0 {
		fmt.Fprintf(req.Stdout, "\nTo return to update N: interhub rollback --stack %s --to N\n", st.Name())
		return nil
	}

	now, err := st.GetAllConfigWithOptions(ctx, &auto.GetAllConfigOptions{ConfigFile: req.ConfigFile})
	if err != nil {
		return err
	}
	plan, err := NewPlan(updates, req.To, history.Config(now), o)
	if err != nil {
		return err
	}
	fmt.Fprintln(req.Stdout)
	plan.Write(req.Stdout, o)
	if d := Digest(plan.Target); d != "" {
		fmt.Fprintf(req.Stdout, "Image that update %d deployed: %s (the build finds it in the registry by its commit and does not rebuild it)\n", req.To, d)
	}
	noteProgramCommit(req.Stdout, st.Workspace().WorkDir(), plan.Target)

	// Work on a copy of the stack's config file; the real one changes only after a successful up.
	tmpDir, err := os.MkdirTemp("", "interhub-rollback-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmpDir)
	work := filepath.Join(tmpDir, filepath.Base(req.ConfigFile))
	if err := copyFile(req.ConfigFile, work); err != nil {
		return err
	}
	onCopy := &auto.ConfigOptions{ConfigFile: work}
	if js, ok, err := plan.SetAllJSON(); err != nil {
		return err
	} else if ok {
		if err := st.SetAllConfigJson(ctx, js, onCopy); err != nil {
			return err
		}
	}
	if keys := plan.Removals(); len(keys) > 0 {
		if err := st.RemoveAllConfigWithOptions(ctx, keys, onCopy); err != nil {
			return err
		}
	}

	fmt.Fprintf(req.Stdout, "\n== Plan: pulumi preview --diff with update %d's config\n", req.To)
	if _, err := st.Preview(ctx, optpreview.Diff(), optpreview.ConfigFile(work),
		optpreview.ProgressStreams(req.Stdout), optpreview.ErrorProgressStreams(req.Stderr)); err != nil {
		return fmt.Errorf("the preview failed (its output is above); nothing was changed: %s", firstLine(err))
	}
	if req.Confirm != nil {
		ok, err := req.Confirm(fmt.Sprintf("Roll stack %s back to update %d (app revision %s)?", st.Name(), req.To, plan.Revision(o)))
		if err != nil {
			return err
		}
		if !ok {
			return ErrNotConfirmed
		}
	}
	msg := fmt.Sprintf("rollback to update %d (app revision %s)", req.To, plan.Revision(o))
	fmt.Fprintf(req.Stdout, "\n== Applying: pulumi up (%s)\n", msg)
	if _, err := st.Up(ctx, optup.ConfigFile(work), optup.Message(msg),
		optup.ProgressStreams(req.Stdout), optup.ErrorProgressStreams(req.Stderr)); err != nil {
		fmt.Fprintf(req.Stdout, "\nThe rollback update failed; %s is unchanged. See docs/RUNBOOK.md (pending operations, stuck release).\n", req.ConfigFile)
		return fmt.Errorf("%w: %s", ErrUpdateFailed, firstLine(err))
	}
	if err := copyFile(work, req.ConfigFile); err != nil {
		return fmt.Errorf("the rollback succeeded but %s could not be updated with its config: %w", req.ConfigFile, err)
	}
	fmt.Fprintf(req.Stdout, "\nRolled back to update %d. %s now holds that config: commit it, or the next deploy from main rolls forward again.\n", req.To, req.ConfigFile)
	return nil
}

// readHistory reads the stack's updates and, where the backend keeps them, each update's
// outputs (the image digest it deployed), which the API's history leaves out.
func readHistory(ctx context.Context, st auto.Stack, project string, stderr io.Writer) ([]history.Update, error) {
	// Secrets stay encrypted: the plan never needs their values.
	summaries, err := st.History(ctx, 0, 0, opthistory.ShowSecrets(false))
	if err != nil {
		return nil, err
	}
	updates, err := history.Updates(summaries)
	if err != nil {
		return nil, err
	}
	who, err := st.Workspace().WhoAmIDetails(ctx)
	if err == nil {
		var recs []history.Record
		recs, err = history.Checkpoints(ctx, who.URL, project, shortStack(st.Name()))
		if err == nil && history.Attach(updates, recs) == 0 && len(updates) > 0 {
			err = errors.New("the backend's update records do not match the CLI's history")
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "note: image digests unknown: %v\n", err)
	}
	return updates, nil
}

// noteProgramCommit says when the target update ran another commit of this program: the
// rollback runs this checkout's program with that update's config.
func noteProgramCommit(w io.Writer, dir string, target *history.Update) {
	then := target.Environment[history.EnvGitHead]
	if then == "" {
		return
	}
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return
	}
	if now := strings.TrimSpace(string(out)); now != then {
		fmt.Fprintf(w, "Note: update %d ran program commit %s; this checkout is at %s. The rollback runs this checkout's program with update %d's config (to run that program too: git checkout %s).\n",
			target.Version, then, now, target.Version, then)
	}
}

// firstLine is an error's first line: the Automation API's errors go on with the command's
// whole output, which the operator has just watched.
func firstLine(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return line
}

// shortStack is the stack's own name from org/project/stack.
func shortStack(s string) string {
	return s[strings.LastIndex(s, "/")+1:]
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if errors.Is(err, os.ErrNotExist) {
		data = nil // a stack without a config file: start from an empty one
	} else if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o600)
}
