package stacks

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// App is what the release runs: the revision to build and deploy, its resources and storage.
type App struct {
	Revision       string
	BaseURL        string
	Replicas       int
	CPURequest     string
	MemoryRequest  string
	CPULimit       string
	MemoryLimit    string
	StorageSize    string
	StorageClass   string
	StorageAccess  string // ReadWriteOnce or ReadWriteMany
	MigrateCommand []string
	NodeSelector   map[string]string
}

// Release is the Helm release of the app chart.
type Release struct {
	Name       string
	Chart      string // as configured (relative to the project directory)
	ChartDir   string // absolute
	Timeout    int    // seconds
	MaxHistory int
}

var gitRevision = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/+-]{0,199}$`)

// IsGitRevision tells whether v may be app.revision: a commit, tag or branch name that git
// accepts and that cannot smuggle options or ranges into the build host's git commands.
func IsGitRevision(v string) bool {
	return gitRevision.MatchString(v) && !strings.Contains(v, "..") && !strings.HasSuffix(v, ".lock")
}

// app reads the app's keys; publicHost is the Ingress's host, the base URL's default.
func (r *reader) app(publicHost string) App {
	a := App{Revision: r.required("app.revision")}
	if v := a.Revision; v != "" && !IsGitRevision(v) {
		r.fail("app.revision", "not a git revision: %q", v)
	}
	a.Replicas = r.integer("app.replicas", 1, 20)
	a.CPURequest = r.quantity("app.cpuRequest")
	a.MemoryRequest = r.quantity("app.memoryRequest")
	a.CPULimit = r.quantity("app.cpuLimit")
	a.MemoryLimit = r.quantity("app.memoryLimit")
	a.StorageSize = r.quantity("app.storageSize")
	if a.StorageSize == "" {
		r.missing("app.storageSize", "")
	}
	a.StorageClass = r.dnsSubdomain("app.storageClass", false)
	a.StorageAccess = oneOf(r, "app.storageAccessMode", "ReadWriteOnce", "ReadWriteMany")
	r.notAbove("app.cpuRequest", a.CPURequest, "app.cpuLimit", a.CPULimit)
	r.notAbove("app.memoryRequest", a.MemoryRequest, "app.memoryLimit", a.MemoryLimit)
	a.MigrateCommand = r.list("app.migrateCommand")
	a.NodeSelector = r.labels("app.nodeSelector")
	a.BaseURL = r.str("app.baseUrl")
	if a.BaseURL == "" && publicHost != "" {
		a.BaseURL = "https://" + publicHost
	} else if a.BaseURL != "" {
		u, err := url.Parse(a.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			r.fail("app.baseUrl", "not an http(s) URL: %q", a.BaseURL)
		}
	}
	return a
}

func (r *reader) release() Release {
	rel := Release{Name: r.dnsLabel("release.name", 53)}
	if path, abs, ok := r.directory("release.chart"); ok {
		if _, err := os.Stat(filepath.Join(abs, "Chart.yaml")); err != nil {
			r.fail("release.chart", "%s: not a chart directory (no Chart.yaml)", path)
		} else {
			rel.Chart, rel.ChartDir = path, abs
		}
	}
	rel.Timeout = r.integer("release.timeoutSeconds", 30, 3600)
	rel.MaxHistory = r.integer("release.maxHistory", 1, 100)
	return rel
}
