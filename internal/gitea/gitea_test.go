package gitea

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeGitea answers like Gitea's create-comment endpoint and records what it got.
type fakeGitea struct {
	token  string
	method string
	path   string
	auth   string
	ctype  string
	body   string
}

func (f *fakeGitea) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.method, f.path, f.auth, f.ctype = r.Method, r.URL.EscapedPath(), r.Header.Get("Authorization"), r.Header.Get("Content-Type")
	var in struct {
		Body string `json:"body"`
	}
	data, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(data, &in)
	f.body = in.Body
	if r.Header.Get("Authorization") != "token "+f.token {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message":"user does not exist [uid: 0, name: ]"}`)
		return
	}
	if r.URL.Path != "/api/v1/repos/coulomb/inter-hub-deploy/issues/42/comments" {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"The target couldn't be found."}`)
		return
	}
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, `{"id":7,"html_url":"https://git.example/coulomb/inter-hub-deploy/pulls/42#issuecomment-7","body":"x"}`)
}

func TestPostComment(t *testing.T) {
	f := &fakeGitea{token: "tok-123"}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := &Client{Server: srv.URL + "/", Token: "tok-123"}
	body := "### Pulumi preview: railiance01\n\n| operation | resources |\n"
	got, err := c.PostComment(context.Background(), "coulomb", "inter-hub-deploy", 42, body)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != 7 || !strings.HasSuffix(got.HTMLURL, "#issuecomment-7") {
		t.Fatalf("unexpected answer %+v", got)
	}
	if f.method != http.MethodPost || f.auth != "token tok-123" || f.ctype != "application/json" || f.body != body {
		t.Fatalf("request: %s auth=%q type=%q body=%q", f.method, f.auth, f.ctype, f.body)
	}
}

func TestPostCommentErrorsNameTheCauseWithoutTheToken(t *testing.T) {
	f := &fakeGitea{token: "right"}
	srv := httptest.NewServer(f)
	defer srv.Close()

	_, err := (&Client{Server: srv.URL, Token: "wrong-token"}).PostComment(context.Background(), "coulomb", "inter-hub-deploy", 42, "x")
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "user does not exist") ||
		strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("want a 401 naming Gitea's message and not the token, got %v", err)
	}
	_, err = (&Client{Server: srv.URL, Token: "right"}).PostComment(context.Background(), "coulomb", "other", 42, "x")
	if err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("want a 404, got %v", err)
	}
	for _, c := range []struct {
		client      Client
		owner, repo string
		index       int
	}{
		{Client{Server: srv.URL}, "o", "r", 1},
		{Client{Server: "ftp://x", Token: "t"}, "o", "r", 1},
		{Client{Server: srv.URL, Token: "t"}, "", "r", 1},
		{Client{Server: srv.URL, Token: "t"}, "o", "r", 0},
	} {
		if _, err := c.client.PostComment(context.Background(), c.owner, c.repo, c.index, "x"); err == nil {
			t.Errorf("accepted %+v", c)
		}
	}
}

func TestSplitRepo(t *testing.T) {
	if o, r, err := SplitRepo("coulomb/inter-hub"); err != nil || o != "coulomb" || r != "inter-hub" {
		t.Fatalf("got %q %q %v", o, r, err)
	}
	for _, bad := range []string{"", "x", "/x", "x/", "a/b/c"} {
		if _, _, err := SplitRepo(bad); err == nil {
			t.Errorf("SplitRepo(%q) accepted", bad)
		}
	}
}
