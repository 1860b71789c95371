package smoke

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testKey = "k3y-Zt8q-very-secret"

// app is a stand-in of the app's endpoints whose behaviour each test bends.
type app struct {
	landingStatus  int
	landingBody    string
	apiOpen        bool   // answer 200 without a key
	apiRedirect    bool   // answer 302 to a login page instead of 401
	cssStatus      int    // status of the stylesheet
	cssType        string // its Content-Type
	echoAuthHeader bool   // put the Authorization header into the API body (must not leak)
}

func goodApp() *app {
	return &app{
		landingStatus: 200,
		landingBody: `<!DOCTYPE html><html><head><title>Inter-Hub</title>
<link rel="icon" href="/favicon.ico"><link rel="stylesheet" href="/static/app.css?v=3">
</head><body><h1>Inter-Hub</h1></body></html>`,
		cssStatus: 200, cssType: "text/css; charset=utf-8",
	}
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(a.landingStatus)
		fmt.Fprint(w, a.landingBody)
	case APIPath:
		auth := r.Header.Get("Authorization")
		switch {
		case auth == "Bearer "+testKey || a.apiOpen:
			w.Header().Set("Content-Type", "application/json")
			if a.echoAuthHeader {
				fmt.Fprintf(w, `{"you":%q}`, auth)
			}
			fmt.Fprint(w, `[]`)
		case a.apiRedirect:
			http.Redirect(w, r, "/login", http.StatusFound)
		default:
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		}
	case "/static/app.css":
		if r.URL.RawQuery != "v=3" {
			http.Error(w, "query lost", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", a.cssType)
		w.WriteHeader(a.cssStatus)
		fmt.Fprint(w, "body{margin:0}")
	default:
		http.NotFound(w, r)
	}
}

// serve starts a TLS server for a and returns checker options that reach it under a public-looking
// host name through ConnectTo, trusting its certificate through CAFile.
func serve(t *testing.T, a *app) Options {
	t.Helper()
	srv := httptest.NewUnstartedServer(a)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	cert := srv.Certificate()
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	// httptest's certificate is valid for example.com.
	return Options{
		BaseURL: "https://example.com", APIKey: testKey,
		ConnectTo: srv.Listener.Addr().String(), CAFile: ca, Timeout: 5 * time.Second,
	}
}

func run(t *testing.T, o Options) ([]Result, string) {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	rs := c.Run(context.Background())
	var out bytes.Buffer
	Write(&out, rs)
	if strings.Contains(out.String(), testKey) {
		t.Fatalf("the API key appears in the output:\n%s", out.String())
	}
	return rs, out.String()
}

func TestAllChecksPassOnAGoodApp(t *testing.T) {
	rs, out := run(t, serve(t, goodApp()))
	if Failed(rs) != 0 || len(rs) != 4 {
		t.Fatalf("want 4 passing checks, got:\n%s", out)
	}
	for _, want := range []string{
		`PASS  landing page GET /`, `PASS  API /api/v2/hubs without key`, `PASS  API /api/v2/hubs with key`,
		`PASS  stylesheet /static/app.css`, `Content-Type "text/css; charset=utf-8"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// Each misbehaviour must fail exactly the check responsible for it, saying what was seen.
func TestEachCheckFailsWhenItsEndpointMisbehaves(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(*app)
		failed []string // names (prefixes) of the checks that must fail
		seen   string   // text the output must show
	}{
		{"landing 500", func(a *app) { a.landingStatus = 500 }, []string{"landing", "stylesheet"}, "seen HTTP 500"},
		{"landing without the app's name", func(a *app) {
			a.landingBody = `<html><head><link rel="stylesheet" href="/static/app.css?v=3"></head><body>Welcome to nginx</body></html>`
		}, []string{"landing"}, `without "Inter-Hub"`},
		{"API answers without a key", func(a *app) { a.apiOpen = true }, []string{"API /api/v2/hubs without key"}, "expected HTTP 401; seen HTTP 200"},
		{"API redirects to a login page", func(a *app) { a.apiRedirect = true }, []string{"API /api/v2/hubs without key"}, "HTTP 302 redirecting to /login"},
		{"stylesheet 404", func(a *app) { a.cssStatus = 404 }, []string{"stylesheet"}, "seen HTTP 404"},
		{"stylesheet served as HTML", func(a *app) { a.cssType = "text/html" }, []string{"stylesheet"}, `Content-Type "text/html"`},
		{"stylesheet without a type", func(a *app) { a.cssType = "" }, []string{"stylesheet"}, `Content-Type ""`},
		{"no stylesheet link", func(a *app) {
			a.landingBody = `<html><head><link rel="icon" href="/x.css"></head><body>Inter-Hub</body></html>`
		}, []string{"stylesheet"}, `no <link rel="stylesheet"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := goodApp()
			tc.break_(a)
			rs, out := run(t, serve(t, a))
			var failed []string
			for _, r := range rs {
				if !r.OK {
					failed = append(failed, r.Name)
				}
			}
			if len(failed) != len(tc.failed) {
				t.Fatalf("failed checks %q, want %q:\n%s", failed, tc.failed, out)
			}
			for i, f := range failed {
				if !strings.HasPrefix(f, tc.failed[i]) {
					t.Fatalf("failed checks %q, want %q:\n%s", failed, tc.failed, out)
				}
			}
			if !strings.Contains(out, tc.seen) || !strings.Contains(out, "FAIL") {
				t.Fatalf("output lacks %q:\n%s", tc.seen, out)
			}
		})
	}
}

func TestWrongKeyFailsTheKeyedCheck(t *testing.T) {
	o := serve(t, goodApp())
	o.APIKey = "not-the-key"
	rs, out := run(t, o)
	if rs[2].OK || !strings.Contains(out, "FAIL  API /api/v2/hubs with key") || !strings.Contains(out, "seen HTTP 401") {
		t.Fatalf("a wrong key must fail the keyed check:\n%s", out)
	}
}

func TestKeyNeverPrintedEvenWhenEchoed(t *testing.T) {
	a := goodApp()
	a.echoAuthHeader = true
	// run fails the test if the key shows up anywhere in the output.
	if rs, out := run(t, serve(t, a)); Failed(rs) != 0 {
		t.Fatalf("want all checks to pass:\n%s", out)
	}
}

func TestUnreachableAndUntrusted(t *testing.T) {
	o := serve(t, goodApp())
	noCA := o
	noCA.CAFile = ""
	rs, out := run(t, noCA)
	if Failed(rs) != 4 || !strings.Contains(out, "certificate") {
		t.Fatalf("an untrusted certificate must fail every check:\n%s", out)
	}
	closed := o
	closed.ConnectTo = "127.0.0.1:1"
	rs, out = run(t, closed)
	if Failed(rs) != 4 || !strings.Contains(out, "request failed") {
		t.Fatalf("a closed port must fail every check:\n%s", out)
	}
}

func TestPlainHTTPAndPathPrefix(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/hub/", http.StripPrefix("/hub", goodApp()))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	// The page links /static/app.css absolutely, which leaves the prefix: that must fail.
	rs, out := run(t, Options{BaseURL: srv.URL + "/hub/", APIKey: testKey})
	if !rs[0].OK || !rs[1].OK || !rs[2].OK || rs[3].OK {
		t.Fatalf("want the first three to pass and the absolute stylesheet link to fail:\n%s", out)
	}
}

func TestOptionsAreValidated(t *testing.T) {
	for _, o := range []Options{
		{BaseURL: "ftp://x", APIKey: "k"},
		{BaseURL: "https://", APIKey: "k"},
		{BaseURL: "https://x", APIKey: ""},
		{BaseURL: "https://x", APIKey: "k", ConnectTo: "nohostport"},
		{BaseURL: "https://x", APIKey: "k", CAFile: "/does/not/exist"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted invalid options", o)
		}
	}
}

func TestRunUntilWaitsForTheAppToSettle(t *testing.T) {
	a := goodApp()
	a.landingStatus = 503
	o := serve(t, a)
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(300 * time.Millisecond); a.landingStatus = 200 }()
	rs, attempts := c.RunUntil(context.Background(), 5*time.Second, 100*time.Millisecond)
	if Failed(rs) != 0 || attempts < 2 {
		t.Fatalf("want success after retries, got %d failures after %d attempts", Failed(rs), attempts)
	}
	a.landingStatus = 500
	rs, _ = c.RunUntil(context.Background(), 300*time.Millisecond, 100*time.Millisecond)
	if Failed(rs) == 0 {
		t.Fatal("a lasting failure must be reported once the wait is over")
	}
}

func TestStylesheetHref(t *testing.T) {
	for page, want := range map[string]string{
		`<link href="/a.css" rel="stylesheet">`:                         "/a.css",
		`<LINK REL="Stylesheet" HREF="b.css"/>`:                         "b.css",
		`<link rel="preload stylesheet" href="c.css">`:                  "c.css",
		`<link rel="alternate stylesheet"><link rel=stylesheet href=d>`: "d",
		`<link rel="icon" href="e.css">`:                                "",
		`<p>no links</p>`:                                               "",
	} {
		if got := StylesheetHref([]byte(page)); got != want {
			t.Errorf("StylesheetHref(%s) = %q, want %q", page, got, want)
		}
	}
}

func TestParseTarget(t *testing.T) {
	if ns, d, err := ParseTarget("inter-hub/inter-hub"); err != nil || ns != "inter-hub" || d != "inter-hub" {
		t.Fatalf("got %q %q %v", ns, d, err)
	}
	for _, bad := range []string{"", "x", "/x", "x/", "a/b/c"} {
		if _, _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) accepted", bad)
		}
	}
}
