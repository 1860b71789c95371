package smoke

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	testKey      = "k3y-Zt8q-very-secret"
	testEmail    = "smoke-admin@inter-hub.test"
	testPassword = "pa55 w0rd&secret+ish"
)

var testDashboards = []string{"/admin/dashboards/hubs", "/admin/dashboards/regions", "/admin/dashboards/members?tab=all"}

// app is a stand-in of the app's endpoints whose behaviour each test bends.
type app struct {
	landingStatus  int
	landingBody    string
	landingVia     []string // redirects before the landing page: / -> each of these in turn
	apiOpen        bool     // answer 200 without a key
	apiRedirect    bool     // answer 302 to a login page instead of 401
	cssStatus      int      // status of the stylesheet
	cssType        string   // its Content-Type
	echoAuthHeader bool     // put the Authorization header into the API body (must not leak)

	capStatus int    // status of /capabilities
	capBody   string // its body

	loginStatus    int               // status of a successful login: 302 (or 303)
	loginRefuses   bool              // every login fails: 401 and the form again
	loginEchoes    bool              // the refused form echoes the submitted email and password
	loginNoCookie  bool              // the login redirects but sets no cookie
	cookiePath     string            // the session cookie's Path; default /
	loginToLogin   bool              // the login "succeeds" by redirecting to the login page
	dashboardBreak map[string]string // dashboard path -> login, 404, loop, other-host, many, json
	otherHost      string            // URL of another server, for other-host
	hits           map[string]int    // requests per path
	forms          url.Values        // the last login form posted
}

func goodApp() *app {
	return &app{
		landingStatus: 200,
		landingBody: `<!DOCTYPE html><html><head><title>Inter-Hub</title>
<link rel="icon" href="/favicon.ico"><link rel="stylesheet" href="/static/app.css?v=3">
</head><body><h1>Inter-Hub</h1></body></html>`,
		cssStatus: 200, cssType: "text/css; charset=utf-8",
		capStatus: 200, capBody: `{"app":"inter-hub","revision":"abc","api":{"v2":["/api/v2/hubs"]}}`,
		loginStatus:    http.StatusFound,
		dashboardBreak: map[string]string{},
		hits:           map[string]int{},
	}
}

const session = "SESSION"

func (a *app) signedIn(r *http.Request) bool {
	c, err := r.Cookie(session)
	return err == nil && c.Value == "signed-"+testEmail
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.hits[r.URL.Path]++
	if strings.HasPrefix(r.URL.Path, "/admin") {
		a.serveAdmin(w, r)
		return
	}
	if r.URL.Path == "/" && len(a.landingVia) > 0 {
		http.Redirect(w, r, a.landingVia[0], http.StatusFound)
		return
	}
	for i, p := range a.landingVia {
		if r.URL.Path == p {
			if i+1 < len(a.landingVia) {
				http.Redirect(w, r, a.landingVia[i+1], http.StatusMovedPermanently)
				return
			}
			r.URL.Path = "/"
		}
	}
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
	case CapabilitiesPath:
		if a.capStatus == http.StatusFound {
			// Where the answer would be fine, if the check followed redirects here.
			http.Redirect(w, r, "/capabilities.json", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.capStatus)
		fmt.Fprint(w, a.capBody)
	case "/capabilities.json":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, a.capBody)
	default:
		http.NotFound(w, r)
	}
}

const loginForm = `<html><body><form method="post" action="/admin/login"><input name="email"><input type="password" name="password"></form></body></html>`

// serveAdmin is an IHP-like admin area: a login form, a session cookie, dashboards behind it.
func (a *app) serveAdmin(w http.ResponseWriter, r *http.Request) {
	html := func(status int, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
	if r.URL.Path == DefaultAdminLoginPath {
		switch r.Method {
		case http.MethodGet:
			html(200, loginForm)
		case http.MethodPost:
			if err := r.ParseForm(); err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
			a.forms = r.PostForm
			ok := r.PostForm.Get("email") == testEmail && r.PostForm.Get("password") == testPassword && !a.loginRefuses
			switch {
			case !ok && a.loginEchoes:
				html(http.StatusUnauthorized, "Wrong password for "+r.PostForm.Get("email")+": "+r.PostForm.Get("password")+loginForm)
			case !ok:
				html(http.StatusUnauthorized, "<p>Wrong email or password.</p>"+loginForm)
			case a.loginToLogin:
				http.Redirect(w, r, DefaultAdminLoginPath, http.StatusFound)
			default:
				if !a.loginNoCookie {
					path := "/"
					if a.cookiePath != "" {
						path = a.cookiePath
					}
					http.SetCookie(w, &http.Cookie{Name: session, Value: "signed-" + testEmail, Path: path, HttpOnly: true, Secure: r.TLS != nil})
				}
				http.Redirect(w, r, "https://example.com/admin", a.loginStatus)
			}
		default:
			http.Error(w, "method", http.StatusMethodNotAllowed)
		}
		return
	}
	if !a.signedIn(r) {
		http.Redirect(w, r, DefaultAdminLoginPath, http.StatusFound)
		return
	}
	switch a.dashboardBreak[r.URL.Path] {
	case "login":
		http.Redirect(w, r, DefaultAdminLoginPath+"?next="+r.URL.Path, http.StatusFound)
		return
	case "404":
		http.NotFound(w, r)
		return
	case "loop":
		http.Redirect(w, r, "/admin/loop", http.StatusFound)
		return
	case "other-host":
		http.Redirect(w, r, a.otherHost+"/admin/dashboards/hubs", http.StatusFound)
		return
	case "many":
		http.Redirect(w, r, "/admin/hop/1", http.StatusFound)
		return
	case "json":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{}`)
		return
	}
	switch {
	case r.URL.Path == "/admin/loop":
		http.Redirect(w, r, "/admin/dashboards/regions", http.StatusFound)
	case strings.HasPrefix(r.URL.Path, "/admin/hop/"):
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/admin/hop/"))
		http.Redirect(w, r, fmt.Sprintf("/admin/hop/%d", n+1), http.StatusFound)
	case r.URL.Path == "/admin/dashboards/members" && r.URL.RawQuery != "tab=all":
		http.Error(w, "query lost", http.StatusBadRequest)
	case r.URL.Path == "/admin" || strings.HasPrefix(r.URL.Path, "/admin/dashboards/"):
		html(200, "<html><head><title>Dashboard</title></head><body>signed in</body></html>")
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
		Dashboards: testDashboards, AdminEmail: testEmail, AdminPassword: testPassword,
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
	for _, secret := range []string{testKey, testEmail, testPassword, url.QueryEscape(testPassword)} {
		if strings.Contains(out.String(), secret) {
			t.Fatalf("a secret (%d characters) appears in the output:\n%s", len(secret), out.String())
		}
	}
	return rs, out.String()
}

// The checks of the good app: 5 without the admin area, then the login and 3 dashboards.
const allChecks = 5 + 1 + 3

func TestAllChecksPassOnAGoodApp(t *testing.T) {
	a := goodApp()
	rs, out := run(t, serve(t, a))
	if Failed(rs) != 0 || len(rs) != allChecks {
		t.Fatalf("want %d passing checks, got:\n%s", allChecks, out)
	}
	for _, want := range []string{
		`PASS  landing page GET /`, `PASS  API /api/v2/hubs without key`, `PASS  API /api/v2/hubs with key`,
		`PASS  stylesheet /static/app.css`, `Content-Type "text/css; charset=utf-8"`,
		`PASS  capabilities /capabilities`, `JSON object with "app": "inter-hub"`,
		`PASS  admin login POST /admin/login`, `HTTP 302 to /admin, then HTTP 200 HTML; cookie SESSION`,
		`PASS  dashboard /admin/dashboards/hubs`, `PASS  dashboard /admin/dashboards/regions`,
		`PASS  dashboard /admin/dashboards/members?tab=all`,
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
		{"landing redirects to another host", func(a *app) { a.landingVia = []string{"https://other.example/"} },
			[]string{"landing", "stylesheet"}, "HTTP 302 to https://other.example/: a redirect to another host (https://other.example/), not followed"},
		{"landing redirect loop", func(a *app) { a.landingVia = []string{"/a", "/"} },
			[]string{"landing", "stylesheet"}, "HTTP 302 to /a, HTTP 301 to /: a redirect loop (/ was visited before)"},

		{"capabilities 500", func(a *app) { a.capStatus = 500 }, []string{"capabilities"}, "seen HTTP 500"},
		{"capabilities not JSON", func(a *app) { a.capBody = "<html><body>Inter-Hub</body></html>" },
			[]string{"capabilities"}, `HTTP 200 but not a JSON object (Content-Type "application/json", 35 bytes, starting "<html><body>Inter-Hub</body></html>")`},
		{"capabilities a JSON list", func(a *app) { a.capBody = `["inter-hub"]` }, []string{"capabilities"}, "HTTP 200 but not a JSON object"},
		{"capabilities of another app", func(a *app) { a.capBody = `{"app":"wordpress","version":"6"}` },
			[]string{"capabilities"}, `JSON object without "app" or "name" naming inter-hub (keys: app, version)`},
		{"capabilities behind a redirect", func(a *app) { a.capStatus, a.capBody = 302, `{"app":"inter-hub"}` },
			[]string{"capabilities"}, "seen HTTP 302"},

		{"login refused", func(a *app) { a.loginRefuses = true },
			[]string{"admin login", "dashboard /admin/dashboards/hubs", "dashboard /admin/dashboards/regions", "dashboard /admin/dashboards/members"},
			`login refused: HTTP 401, no redirect (Content-Type "text/html; charset=utf-8"`},
		{"login refused, echoing the credentials", func(a *app) { a.loginRefuses, a.loginEchoes = true, true },
			[]string{"admin login", "dashboard", "dashboard", "dashboard"}, "not checked: the admin login failed"},
		{"login back to the login page", func(a *app) { a.loginToLogin = true },
			[]string{"admin login", "dashboard", "dashboard", "dashboard"}, "login refused: HTTP 302 to /admin/login (back to the login page)"},
		{"login without a cookie", func(a *app) { a.loginNoCookie = true },
			[]string{"admin login", "dashboard", "dashboard", "dashboard"}, "the login set no cookie, so there is no session: HTTP 302 to /admin, HTTP 302 to /admin/login"},
		{"dashboard redirects to the login page", func(a *app) { a.dashboardBreak["/admin/dashboards/regions"] = "login" },
			[]string{"dashboard /admin/dashboards/regions"},
			"HTTP 302 to /admin/login?next=/admin/dashboards/regions: redirected to the login page, the session was not accepted"},
		{"dashboard 404", func(a *app) { a.dashboardBreak["/admin/dashboards/hubs"] = "404" },
			[]string{"dashboard /admin/dashboards/hubs"}, "expected HTTP 200 HTML with the admin session; seen HTTP 404"},
		{"dashboard not HTML", func(a *app) { a.dashboardBreak["/admin/dashboards/hubs"] = "json" },
			[]string{"dashboard /admin/dashboards/hubs"}, `HTTP 200, Content-Type "application/json"`},
		{"dashboard redirect loop", func(a *app) { a.dashboardBreak["/admin/dashboards/regions"] = "loop" },
			[]string{"dashboard /admin/dashboards/regions"},
			"HTTP 302 to /admin/loop, HTTP 302 to /admin/dashboards/regions: a redirect loop (/admin/dashboards/regions was visited before)"},
		{"dashboard redirects too often", func(a *app) { a.dashboardBreak["/admin/dashboards/hubs"] = "many" },
			[]string{"dashboard /admin/dashboards/hubs"}, "HTTP 302 to /admin/hop/5, HTTP 302 to /admin/hop/6: more than 5 redirects"},
		{"dashboard redirects to another host", func(a *app) {
			a.dashboardBreak["/admin/dashboards/members"] = "other-host"
			a.otherHost = "https://other.example"
		}, []string{"dashboard /admin/dashboards/members"},
			"HTTP 302 to https://other.example/admin/dashboards/hubs: a redirect to another host (https://other.example/admin/dashboards/hubs), not followed"},
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
	if Failed(rs) != allChecks || !strings.Contains(out, "certificate") {
		t.Fatalf("an untrusted certificate must fail every check:\n%s", out)
	}
	closed := o
	closed.ConnectTo = "127.0.0.1:1"
	rs, out = run(t, closed)
	if Failed(rs) != allChecks || !strings.Contains(out, "request failed") {
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
	if len(rs) != 5 || !rs[0].OK || !rs[1].OK || !rs[2].OK || rs[3].OK || !rs[4].OK {
		t.Fatalf("want the stylesheet to fail and the other four to pass:\n%s", out)
	}
}

func TestOptionsAreValidated(t *testing.T) {
	for _, o := range []Options{
		{BaseURL: "ftp://x", APIKey: "k"},
		{BaseURL: "https://", APIKey: "k"},
		{BaseURL: "https://x", APIKey: ""},
		{BaseURL: "https://x", APIKey: "k", ConnectTo: "nohostport"},
		{BaseURL: "https://x", APIKey: "k", CAFile: "/does/not/exist"},
		{BaseURL: "https://x", APIKey: "k", Dashboards: []string{"/a"}, AdminEmail: "a@b.c"},
		{BaseURL: "https://x", APIKey: "k", Dashboards: []string{"/a"}, AdminPassword: "p"},
		{BaseURL: "https://x", APIKey: "k", Dashboards: []string{"a"}, AdminEmail: "a@b.c", AdminPassword: "p"},
		{BaseURL: "https://x", APIKey: "k", Dashboards: []string{"//other/a"}, AdminEmail: "a@b.c", AdminPassword: "p"},
		{BaseURL: "https://x", APIKey: "k", AdminLoginPath: "admin/login"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted invalid options", o)
		}
	}
}

// What a well-behaved app may also do: redirect its landing page, answer the login with 303, and
// have no dashboards configured (then neither the login nor any dashboard is checked).
func TestRedirectsAndVariantsOfAGoodApp(t *testing.T) {
	a := goodApp()
	a.landingVia = []string{"/welcome", "/en/"}
	a.loginStatus = http.StatusSeeOther
	a.cookiePath = "/admin" // a session scoped to the admin area is one too
	rs, out := run(t, serve(t, a))
	if Failed(rs) != 0 || len(rs) != allChecks {
		t.Fatalf("want %d passing checks:\n%s", allChecks, out)
	}
	for _, want := range []string{
		`seen HTTP 302 to /welcome, HTTP 301 to /en/, then HTTP 200 with "Inter-Hub"`,
		"HTTP 303 to /admin, then HTTP 200 HTML; cookie SESSION",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := a.forms; got.Get("email") != testEmail || got.Get("password") != testPassword || len(got) != 2 {
		t.Errorf("the login posted %d fields, want email and password", len(got))
	}
	if a.hits[DefaultAdminLoginPath] != 2 {
		t.Errorf("login page requests: %d, want the form's GET and the POST", a.hits[DefaultAdminLoginPath])
	}

	o := serve(t, goodApp())
	o.Dashboards = nil
	rs, out = run(t, o)
	if Failed(rs) != 0 || len(rs) != 5 || strings.Contains(out, "admin") || strings.Contains(out, "dashboard") {
		t.Fatalf("without dashboards: want the 5 checks without the admin area:\n%s", out)
	}
}

func TestWrongAdminPasswordFailsTheLogin(t *testing.T) {
	a := goodApp()
	a.loginEchoes = true // the refusal page repeats what was posted; run checks nothing leaks
	o := serve(t, a)
	o.AdminPassword = "not the password, but secret too"
	rs, out := run(t, o)
	if strings.Contains(out, o.AdminPassword) || strings.Contains(out, url.QueryEscape(o.AdminPassword)) {
		t.Fatalf("the wrong password appears in the output:\n%s", out)
	}
	if Failed(rs) != 4 || !strings.Contains(out, "FAIL  admin login POST /admin/login") || !strings.Contains(out, "login refused: HTTP 401") {
		t.Fatalf("a wrong password must fail the login and leave the dashboards unchecked:\n%s", out)
	}
}

// A redirect to another host is reported, not followed, and the session cookie never goes there.
func TestRedirectToAnotherHostIsNotFollowed(t *testing.T) {
	var hits int
	var cookies []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		cookies = append(cookies, r.Header.Get("Cookie"))
		fmt.Fprint(w, "<html>Inter-Hub</html>")
	}))
	defer other.Close()
	a := goodApp()
	a.otherHost = other.URL
	a.dashboardBreak["/admin/dashboards/hubs"] = "other-host"
	a.landingVia = []string{other.URL + "/"}
	rs, out := run(t, serve(t, a))
	if hits != 0 {
		t.Fatalf("the other host got %d requests (cookies %q):\n%s", hits, cookies, out)
	}
	if Failed(rs) != 3 || !strings.Contains(out, "FAIL  dashboard /admin/dashboards/hubs") ||
		!strings.Contains(out, "a redirect to another host ("+other.URL+"/admin/dashboards/hubs), not followed") {
		t.Fatalf("want the landing page, the stylesheet and the dashboard to fail:\n%s", out)
	}
	// The jar itself refuses other hosts, whatever the client does.
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse("https://example.com/")
	hj := hostJar{base: base, jar: jar}
	otherURL, _ := url.Parse(other.URL)
	hj.SetCookies(base, []*http.Cookie{{Name: "SESSION", Value: "x"}})
	hj.SetCookies(otherURL, []*http.Cookie{{Name: "OTHER", Value: "y"}})
	if len(hj.Cookies(otherURL)) != 0 || len(hj.Cookies(base)) != 1 {
		t.Fatalf("the jar hands cookies across hosts: %v / %v", hj.Cookies(otherURL), hj.Cookies(base))
	}
	httpBase, _ := url.Parse("http://example.com/")
	if len(hj.Cookies(httpBase)) != 0 {
		t.Fatal("the jar hands an https session to http")
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
