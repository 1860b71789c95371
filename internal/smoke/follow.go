package smoke

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// hop is one redirect that was followed (or refused).
type hop struct {
	status int
	to     *url.URL
}

// fetched is the last answer of a chain of redirects, with the redirects before it.
type fetched struct {
	*response // nil when the first request failed
	final     *url.URL
	hops      []hop
	base      *url.URL
}

// follow sends GET target (or, with form, a POST of it as application/x-www-form-urlencoded) and
// follows the redirects: each with GET, to the base URL's scheme and host only, at most
// MaxRedirects, never to a URL it has already got (a POST's redirect to its own URL, the usual
// post/redirect/get, is no loop). It always returns the chain so far; the error says why it
// stopped early.
func (c *Checker) follow(ctx context.Context, client *http.Client, target string, form url.Values) (*fetched, error) {
	f := &fetched{base: c.base}
	u, err := url.Parse(target)
	if err != nil {
		return f, err
	}
	visited := map[string]bool{}
	for {
		method, body := http.MethodGet, ""
		if form != nil {
			method, body = http.MethodPost, form.Encode()
		} else {
			visited[u.String()] = true
		}
		req, err := http.NewRequestWithContext(ctx, method, u.String(), strings.NewReader(body))
		if err != nil {
			return f, err
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req.Body, req.ContentLength = http.NoBody, 0
		}
		r, err := c.do(client, req)
		if err != nil {
			return f, err
		}
		f.response, f.final = r, u
		if !isRedirect(r.status) || r.location == "" {
			return f, nil
		}
		next, err := u.Parse(r.location)
		if err != nil {
			return f, fmt.Errorf("HTTP %d to an unparsable Location %q", r.status, r.location)
		}
		f.hops = append(f.hops, hop{status: r.status, to: next})
		switch {
		case !sameOrigin(next, c.base):
			return f, fmt.Errorf("a redirect to another host (%s), not followed", next.Redacted())
		case visited[next.String()]:
			return f, fmt.Errorf("a redirect loop (%s was visited before)", f.show(next))
		case len(f.hops) > MaxRedirects:
			return f, fmt.Errorf("more than %d redirects", MaxRedirects)
		}
		u, form = next, nil
	}
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// chain lists the redirects: "HTTP 302 to /a, HTTP 301 to /b"; "" when there were none.
func (f *fetched) chain() string {
	parts := make([]string, len(f.hops))
	for i, h := range f.hops {
		parts[i] = fmt.Sprintf("HTTP %d to %s", h.status, f.show(h.to))
	}
	return strings.Join(parts, ", ")
}

// seen is what was seen: the redirects, then the final answer described by final.
func (f *fetched) seen(final string) string {
	if c := f.chain(); c != "" {
		return c + ", then " + final
	}
	return final
}

// failed is what was seen when follow stopped with err.
func (f *fetched) failed(err error) string {
	if c := f.chain(); c != "" {
		return c + ": " + err.Error()
	}
	return "request failed: " + err.Error()
}

// show is a URL of the base's host as its path and query, any other in full (without a password).
func (f *fetched) show(u *url.URL) string {
	if sameOrigin(u, f.base) {
		return u.RequestURI()
	}
	return u.Redacted()
}

// sameOrigin compares scheme, host and port (a missing port is the scheme's default).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

func isHTML(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// hostJar keeps cookies of the base URL's scheme, host and port only: a redirect elsewhere is
// never followed, and even if it were, the session would not go with it.
type hostJar struct {
	base *url.URL
	jar  http.CookieJar
}

func (j hostJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	if sameOrigin(u, j.base) {
		j.jar.SetCookies(u, cookies)
	}
}

func (j hostJar) Cookies(u *url.URL) []*http.Cookie {
	if !sameOrigin(u, j.base) {
		return nil
	}
	return j.jar.Cookies(u)
}
