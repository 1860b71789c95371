package smoke

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
)

// admin logs in as the admin with a fresh cookie jar and opens each dashboard with the session:
// one result for the login, one per dashboard.
func (c *Checker) admin(ctx context.Context) []Result {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return []Result{{Name: "admin login POST " + c.loginPath, Expected: "a cookie jar", Seen: err.Error()}}
	}
	client := *c.client
	client.Jar = hostJar{base: c.base, jar: jar}
	login := c.login(ctx, &client)
	rs := []Result{login}
	for _, d := range c.dashboards {
		rs = append(rs, c.dashboard(ctx, &client, d, login.OK))
	}
	return rs
}

// login GETs the login form (a browser would, and the app may set a cookie with it), POSTs the
// credentials as the form's fields email and password, and follows the redirect: it must lead
// away from the login page to an HTML page, and leave a cookie for the app.
func (c *Checker) login(ctx context.Context, client *http.Client) Result {
	res := Result{
		Name:     "admin login POST " + c.loginPath,
		Expected: "the form (HTTP 200), then a redirect away from it with a cookie, ending in HTTP 200 HTML",
	}
	form, err := c.follow(ctx, client, c.url(c.loginPath), nil)
	switch {
	case err != nil:
		res.Seen = "GET " + c.loginPath + ": " + form.failed(err)
		return res
	case form.status != http.StatusOK || !isHTML(form.contentType):
		res.Seen = "GET " + c.loginPath + ": " + form.seen(fmt.Sprintf("%s, Content-Type %q", form.describe(), form.contentType))
		return res
	}
	f, err := c.follow(ctx, client, c.url(c.loginPath), url.Values{"email": {c.email}, "password": {c.password}})
	// The session must reach the page the login sends the admin to (a cookie may be scoped to
	// a path such as /admin).
	var cookies []*http.Cookie
	if len(f.hops) > 0 {
		cookies = client.Jar.Cookies(f.hops[0].to)
	}
	switch {
	case len(f.hops) == 0 && err == nil:
		res.Seen = fmt.Sprintf("login refused: %s, no redirect (%s)", f.describe(), pageSummary(f.response))
		return res
	case len(f.hops) > 0 && c.isLoginPage(f.hops[0].to):
		res.Seen = "login refused: " + f.chain() + " (back to the login page)"
		return res
	case len(f.hops) > 0 && len(cookies) == 0:
		res.Seen = "the login set no cookie, so there is no session: " + f.chain()
		return res
	case c.loginHop(f) != nil:
		res.Seen = f.chain() + ": the session was not accepted (redirected to the login page)"
		return res
	case err != nil:
		res.Seen = f.failed(err)
		return res
	case f.status != http.StatusOK || !isHTML(f.contentType):
		res.Seen = f.seen(fmt.Sprintf("%s, Content-Type %q", f.describe(), f.contentType))
		return res
	}
	names := make([]string, len(cookies))
	for i, ck := range cookies {
		names[i] = ck.Name
	}
	res.OK = true
	res.Seen = f.seen("HTTP 200 HTML; cookie " + strings.Join(names, ", "))
	return res
}

// dashboard GETs one dashboard with the session, following redirects; a way to the login page
// means the session was not accepted.
func (c *Checker) dashboard(ctx context.Context, client *http.Client, path string, loggedIn bool) Result {
	res := Result{Name: "dashboard " + path, Expected: "HTTP 200 HTML with the admin session"}
	if !loggedIn {
		res.Seen = "not checked: the admin login failed"
		return res
	}
	f, err := c.follow(ctx, client, c.url(path), nil)
	switch {
	case c.loginHop(f) != nil:
		res.Seen = f.chain() + ": redirected to the login page, the session was not accepted"
	case err != nil:
		res.Seen = f.failed(err)
	case f.status != http.StatusOK || !isHTML(f.contentType):
		res.Seen = f.seen(fmt.Sprintf("%s, Content-Type %q", f.describe(), f.contentType))
	default:
		res.OK = true
		res.Seen = f.seen(fmt.Sprintf("HTTP 200 HTML, %d bytes", len(f.body)))
	}
	return res
}

// loginHop is the first redirect to the login page, if any.
func (c *Checker) loginHop(f *fetched) *hop {
	for i := range f.hops {
		if c.isLoginPage(f.hops[i].to) {
			return &f.hops[i]
		}
	}
	return nil
}

func (c *Checker) isLoginPage(u *url.URL) bool {
	login, err := url.Parse(c.url(c.loginPath))
	if err != nil || !sameOrigin(u, login) {
		return false
	}
	return strings.TrimSuffix(u.Path, "/") == strings.TrimSuffix(login.Path, "/")
}

// pageSummary says what kind of page an answer was, without quoting it (it may echo the form).
func pageSummary(r *response) string {
	if r == nil {
		return "no answer"
	}
	return fmt.Sprintf("Content-Type %q, %d bytes", r.contentType, len(r.body))
}
