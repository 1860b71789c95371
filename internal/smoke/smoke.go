// Package smoke checks a deployed inter-hub over HTTP: the landing page, the API's key check and
// the stylesheet. The same checks run against the local stand-in and against Railiance01.
package smoke

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// LandingText is what the landing page must contain.
const LandingText = "Inter-Hub"

// APIPath is the API endpoint that must refuse requests without a key.
const APIPath = "/api/v2/hubs"

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
	base   *url.URL
	key    string
	client *http.Client
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
		// A redirect is reported as seen, not followed: a login page behind a 302 must not pass
		// for the API's answer.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Checker{base: base, key: o.APIKey, client: client}, nil
}

// Run performs every check in order and returns their results.
func (c *Checker) Run(ctx context.Context) []Result {
	landing, body := c.landing(ctx)
	return []Result{
		landing,
		c.apiWithoutKey(ctx),
		c.apiWithKey(ctx),
		c.stylesheet(ctx, body),
	}
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

func (c *Checker) url(path string) string {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery, u.Fragment = "", ""
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
	resp, err := c.client.Do(req)
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

// scrub keeps the key out of anything printed, whatever a server or library echoes.
func (c *Checker) scrub(s string) string {
	if c.key == "" {
		return s
	}
	return strings.ReplaceAll(s, c.key, "[secret]")
}

func (r *response) describe() string {
	s := fmt.Sprintf("HTTP %d", r.status)
	if r.location != "" {
		s += " redirecting to " + r.location
	}
	return s
}

// landing checks the landing page and returns its body (nil unless it answered 200) for the
// stylesheet check.
func (c *Checker) landing(ctx context.Context) (Result, []byte) {
	res := Result{Name: "landing page GET /", Expected: fmt.Sprintf("HTTP 200 with %q", LandingText)}
	r, err := c.get(ctx, c.url("/"), false)
	if err != nil {
		res.Seen = "request failed: " + err.Error()
		return res, nil
	}
	if r.status != http.StatusOK {
		res.Seen = r.describe()
		return res, nil
	}
	if !strings.Contains(string(r.body), LandingText) {
		res.Seen = fmt.Sprintf("HTTP 200 without %q (%d bytes, starting %q)", LandingText, len(r.body), excerpt(r.body))
		return res, r.body
	}
	res.OK, res.Seen = true, fmt.Sprintf("HTTP 200 with %q", LandingText)
	return res, r.body
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

func (c *Checker) stylesheet(ctx context.Context, landing []byte) Result {
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
	landingURL, _ := url.Parse(c.url("/"))
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
