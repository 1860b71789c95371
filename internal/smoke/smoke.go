// Package smoke checks a deployed inter-hub over HTTP: the landing page, the API's key check, the
// stylesheet, /capabilities and, when dashboards are given, an admin login followed by each
// dashboard. The same checks run against the local stand-in and against Railiance01.
//
// Redirects are followed for the landing page, the login and the dashboards (same scheme and
// host only, at most MaxRedirects, each one reported), never for the API and /capabilities,
// whose answer must come from the endpoint itself.
package smoke

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// LandingText is what the landing page must contain.
const LandingText = "Inter-Hub"

// APIPath is the API endpoint that must refuse requests without a key.
const APIPath = "/api/v2/hubs"

// CapabilitiesPath answers a JSON object that names the app (AppName).
const CapabilitiesPath = "/capabilities"

// AppName is the name /capabilities must give.
const AppName = "inter-hub"

// DefaultAdminLoginPath is where the admin login form is, as in the stand-in's sample app.
const DefaultAdminLoginPath = "/admin/login"

// MaxRedirects bounds the redirects followed for one check.
const MaxRedirects = 5

// maxBody bounds what a check reads of a response.
const maxBody = 4 << 20

// Options says where and how to check.
type Options struct {
	BaseURL string // scheme://host[:port][/prefix]
	APIKey  string // sent as "Authorization: Bearer <key>"; never printed
	// ConnectTo, when set, is the host:port dialled for every connection to BaseURL's host,
	// like curl --connect-to: the URL (Host header, TLS server name) stays as it is.
	ConnectTo string
	// CAFile adds a PEM CA bundle to the system roots (for the stand-in's own CA).
	CAFile  string
	Timeout time.Duration // per request; default 10 s

	// Dashboards are paths of the app (a query allowed) opened after the admin login, each
	// expected to answer 200 with HTML. None: neither the login nor the dashboards are checked.
	Dashboards []string
	// AdminEmail and AdminPassword log in at AdminLoginPath (default DefaultAdminLoginPath) with
	// a form POST of the fields email and password; required with Dashboards, never printed.
	AdminEmail, AdminPassword string
	AdminLoginPath            string
}

// Result is the outcome of one check.
type Result struct {
	Name     string
	OK       bool
	Expected string
	Seen     string
}

// Checker runs the checks with one HTTP client.
type Checker struct {
	base       *url.URL
	key        string
	client     *http.Client
	dashboards []string
	email      string
	password   string
	loginPath  string
}

// New validates the options and prepares the client.
func New(o Options) (*Checker, error) {
	base, err := url.Parse(o.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("base URL %q: want http(s)://host[:port]", o.BaseURL)
	}
	if o.APIKey == "" {
		return nil, errors.New("API key is empty")
	}
	loginPath := o.AdminLoginPath
	if loginPath == "" {
		loginPath = DefaultAdminLoginPath
	}
	if !strings.HasPrefix(loginPath, "/") {
		return nil, fmt.Errorf("admin login path %q: want a path starting with /", loginPath)
	}
	if len(o.Dashboards) > 0 && (o.AdminEmail == "" || o.AdminPassword == "") {
		return nil, errors.New("the admin email or password is empty (the dashboards are checked after an admin login)")
	}
	for _, d := range o.Dashboards {
		if !strings.HasPrefix(d, "/") || strings.HasPrefix(d, "//") {
			return nil, fmt.Errorf("dashboard %q: want a path of the app starting with /", d)
		}
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate in it", o.CAFile)
		}
	}
	if o.ConnectTo != "" {
		if _, _, err := net.SplitHostPort(o.ConnectTo); err != nil {
			return nil, fmt.Errorf("connect-to %q: want host:port: %w", o.ConnectTo, err)
		}
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	dialer := &net.Dialer{Timeout: timeout}
	transport := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		DisableKeepAlives: true, // each check sees a fresh connection, as a browser after a restart would
		Proxy:             nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if o.ConnectTo != "" {
				host, _, _ := net.SplitHostPort(addr)
				if strings.EqualFold(host, base.Hostname()) {
					addr = o.ConnectTo
				}
			}
			return dialer.DialContext(ctx, network, addr)
		},
	}
	client := &http.Client{
		Transport: transport,
		Timeout:   timeout,
		// The client never follows a redirect by itself: the checks that may follow one do it
		// step by step (follow), the others report it as seen, so that a login page behind a 302
		// cannot pass for the API's answer.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Checker{
		base: base, key: o.APIKey, client: client,
		dashboards: o.Dashboards, email: o.AdminEmail, password: o.AdminPassword, loginPath: loginPath,
	}, nil
}

// Run performs every check in order and returns their results.
func (c *Checker) Run(ctx context.Context) []Result {
	landing, body, landingURL := c.landing(ctx)
	rs := []Result{
		landing,
		c.apiWithoutKey(ctx),
		c.apiWithKey(ctx),
		c.stylesheet(ctx, body, landingURL),
		c.capabilities(ctx),
	}
	if len(c.dashboards) > 0 {
		rs = append(rs, c.admin(ctx)...)
	}
	for i := range rs {
		rs[i].Name, rs[i].Seen = c.scrub(rs[i].Name), c.scrub(rs[i].Seen)
	}
	return rs
}

// Failed counts the failed results.
func Failed(rs []Result) int {
	n := 0
	for _, r := range rs {
		if !r.OK {
			n++
		}
	}
	return n
}

// Write prints one line per result: PASS/FAIL, the check, what was expected and what was seen.
func Write(w io.Writer, rs []Result) {
	for _, r := range rs {
		status := "PASS"
		if !r.OK {
			status = "FAIL"
		}
		fmt.Fprintf(w, "%s  %-28s expected %s; seen %s\n", status, r.Name, r.Expected, r.Seen)
	}
}

// url is path (with an optional query) under the base URL.
func (c *Checker) url(path string) string {
	u := *c.base
	p, query, _ := strings.Cut(path, "?")
	u.Path = strings.TrimSuffix(u.Path, "/") + p
	u.RawPath = ""
	u.RawQuery, u.Fragment = query, ""
	return u.String()
}

type response struct {
	status      int
	location    string
	contentType string
	body        []byte
}

func (c *Checker) get(ctx context.Context, target string, withKey bool) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	if withKey {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	return c.do(c.client, req)
}

func (c *Checker) do(client *http.Client, req *http.Request) (*response, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, errors.New(c.scrub(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("reading the body: %w", err)
	}
	return &response{
		status: resp.StatusCode, location: resp.Header.Get("Location"),
		contentType: resp.Header.Get("Content-Type"), body: body,
	}, nil
}

// scrub keeps the key and the admin's credentials out of anything printed, whatever a server or
// library echoes.
func (c *Checker) scrub(s string) string {
	for _, secret := range []string{c.key, c.password, url.QueryEscape(c.password), c.email, url.QueryEscape(c.email)} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[secret]")
		}
	}
	return s
}

func (r *response) describe() string {
	s := fmt.Sprintf("HTTP %d", r.status)
	if r.location != "" {
		s += " redirecting to " + r.location
	}
	return s
}

// landing checks the landing page, following redirects, and returns its body (nil unless it
// answered 200) and its final URL for the stylesheet check.
func (c *Checker) landing(ctx context.Context) (Result, []byte, *url.URL) {
	res := Result{Name: "landing page GET /", Expected: fmt.Sprintf("HTTP 200 with %q", LandingText)}
	f, err := c.follow(ctx, c.client, c.url("/"), nil)
	if err != nil {
		res.Seen = f.failed(err)
		return res, nil, nil
	}
	if f.status != http.StatusOK {
		res.Seen = f.seen(f.describe())
		return res, nil, nil
	}
	if !strings.Contains(string(f.body), LandingText) {
		res.Seen = f.seen(fmt.Sprintf("HTTP 200 without %q (%d bytes, starting %q)", LandingText, len(f.body), excerpt(f.body)))
		return res, f.body, f.final
	}
	res.OK, res.Seen = true, f.seen(fmt.Sprintf("HTTP 200 with %q", LandingText))
	return res, f.body, f.final
}

func (c *Checker) apiWithoutKey(ctx context.Context) Result {
	res := Result{Name: "API " + APIPath + " without key", Expected: "HTTP 401"}
	r, err := c.get(ctx, c.url(APIPath), false)
	switch {
	case err != nil:
		res.Seen = "request failed: " + err.Error()
	default:
		res.Seen = r.describe()
		res.OK = r.status == http.StatusUnauthorized
	}
	return res
}

func (c *Checker) apiWithKey(ctx context.Context) Result {
	res := Result{Name: "API " + APIPath + " with key", Expected: "HTTP 200"}
	r, err := c.get(ctx, c.url(APIPath), true)
	switch {
	case err != nil:
		res.Seen = "request failed: " + err.Error()
	default:
		res.Seen = r.describe()
		res.OK = r.status == http.StatusOK
	}
	return res
}

// capabilities checks that /capabilities answers itself (no redirect) with a JSON object that
// names the app in "app" or "name".
func (c *Checker) capabilities(ctx context.Context) Result {
	res := Result{Name: "capabilities " + CapabilitiesPath, Expected: fmt.Sprintf("HTTP 200 with a JSON object naming %q", AppName)}
	r, err := c.get(ctx, c.url(CapabilitiesPath), false)
	if err != nil {
		res.Seen = "request failed: " + err.Error()
		return res
	}
	if r.status != http.StatusOK {
		res.Seen = r.describe()
		return res
	}
	var obj map[string]any
	if err := json.Unmarshal(r.body, &obj); err != nil || obj == nil {
		res.Seen = fmt.Sprintf("HTTP 200 but not a JSON object (Content-Type %q, %d bytes, starting %q)", r.contentType, len(r.body), excerpt(r.body))
		return res
	}
	for _, k := range []string{"app", "name"} {
		if v, ok := obj[k].(string); ok && namesApp(v) {
			res.OK, res.Seen = true, fmt.Sprintf("HTTP 200, JSON object with %q: %q", k, v)
			return res
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	res.Seen = fmt.Sprintf("HTTP 200, JSON object without \"app\" or \"name\" naming %s (keys: %s)", AppName, strings.Join(keys, ", "))
	return res
}

// namesApp accepts inter-hub, Inter-Hub, "Inter Hub", interhub.
func namesApp(v string) bool {
	norm := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '_' {
			return -1
		}
		return r
	}, strings.ToLower(v))
	return norm == "interhub"
}

func (c *Checker) stylesheet(ctx context.Context, landing []byte, landingURL *url.URL) Result {
	res := Result{Name: "stylesheet", Expected: "HTTP 200 with Content-Type text/css"}
	if landing == nil {
		res.Seen = "no landing page to find the stylesheet link in"
		return res
	}
	href := StylesheetHref(landing)
	if href == "" {
		res.Seen = `no <link rel="stylesheet" href=...> on the landing page`
		return res
	}
	ref, err := url.Parse(href)
	if err != nil {
		res.Seen = fmt.Sprintf("unparsable href %q", href)
		return res
	}
	target := landingURL.ResolveReference(ref).String()
	res.Name = "stylesheet " + ref.Path
	r, err := c.get(ctx, target, false)
	if err != nil {
		res.Seen = "request failed: " + err.Error()
		return res
	}
	mt, _, _ := mime.ParseMediaType(r.contentType)
	res.Seen = fmt.Sprintf("%s, Content-Type %q, %d bytes", r.describe(), r.contentType, len(r.body))
	res.OK = r.status == http.StatusOK && mt == "text/css"
	return res
}

// StylesheetHref returns the href of the first <link rel="stylesheet"> in an HTML page.
func StylesheetHref(page []byte) string {
	z := html.NewTokenizer(strings.NewReader(string(page)))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "link" || !hasAttr {
				continue
			}
			var rel, href string
			for {
				k, v, more := z.TagAttr()
				switch string(k) {
				case "rel":
					rel = string(v)
				case "href":
					href = string(v)
				}
				if !more {
					break
				}
			}
			for _, r := range strings.Fields(strings.ToLower(rel)) {
				if r == "stylesheet" && href != "" {
					return href
				}
			}
		}
	}
}

func excerpt(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

// RunUntil repeats Run every interval until every check passes or wait has passed, and returns
// the last results with the number of attempts. A rollout or a new Ingress route can take a few
// seconds to serve; the wait is the settle time the operator allows, not a retry on flakiness.
func (c *Checker) RunUntil(ctx context.Context, wait, interval time.Duration) ([]Result, int) {
	deadline := time.Now().Add(wait)
	for attempt := 1; ; attempt++ {
		rs := c.Run(ctx)
		if Failed(rs) == 0 || !time.Now().Add(interval).Before(deadline) {
			return rs, attempt
		}
		select {
		case <-ctx.Done():
			return rs, attempt
		case <-time.After(interval):
		}
	}
}
