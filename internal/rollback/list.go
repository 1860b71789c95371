package rollback

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/history"
)

// ImageOutput is the stack output holding the deployed image reference (<repo>@sha256:<hex>).
const ImageOutput = "image"

// WriteList prints the updates as a table: number, start time, kind, result, app revision,
// image digest and the deploy program's commit. Missing facts show as "-".
func WriteList(w io.Writer, updates []history.Update, o Options) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "UPDATE\tSTARTED (UTC)\tKIND\tRESULT\tAPP REVISION\tIMAGE DIGEST\tPROGRAM COMMIT")
	for i := range updates {
		u := &updates[i]
		rev := u.Config[o.Namespace+":"+o.RevisionKey].String()
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Version, u.StartTime.UTC().Format(time.DateTime),
			u.Kind, u.Result, dash(rev), dash(Digest(u)), dash(short(u.GitHead())))
	}
	tw.Flush()
}

// Digest returns the sha256 digest of the image the update left deployed, "" when unknown.
func Digest(u *history.Update) string {
	img, ok := u.OutputString(ImageOutput)
	if !ok {
		return ""
	}
	if _, d, ok := strings.Cut(img, "@"); ok {
		return d
	}
	return ""
}

func short(commit string) string {
	if len(commit) > 12 && !strings.Contains(commit[:12], "+") {
		rest := ""
		if strings.HasSuffix(commit, "+dirty") {
			rest = "+dirty"
		}
		return commit[:12] + rest
	}
	return commit
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
