// Package gitea posts comments on Gitea pull requests through Gitea's REST API, which is what CI
// has instead of the GitHub API that Pulumi's own action uses.
package gitea

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks to one Gitea server.
type Client struct {
	Server string // base URL, e.g. https://git.coulomb.social
	Token  string // an access token (the Actions runner's GITEA_TOKEN); never printed
	HTTP   *http.Client
}

// Comment is what Gitea answers for a created comment.
type Comment struct {
	ID      int64  `json:"id"`
	HTMLURL string `json:"html_url"`
}

// PostComment adds body as a comment to issue or pull request index of owner/repo.
// Gitea serves pull request comments through the issues API.
func (c *Client) PostComment(ctx context.Context, owner, repo string, index int, body string) (*Comment, error) {
	if c.Token == "" {
		return nil, fmt.Errorf("no Gitea token")
	}
	if owner == "" || repo == "" || index <= 0 {
		return nil, fmt.Errorf("need owner, repo and a positive pull request number (got %q, %q, %d)", owner, repo, index)
	}
	base, err := url.Parse(strings.TrimSuffix(c.Server, "/"))
	if err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https") {
		return nil, fmt.Errorf("Gitea server URL %q: want http(s)://host", c.Server)
	}
	endpoint := base.JoinPath("api", "v1", "repos", owner, repo, "issues", fmt.Sprint(index), "comments")
	payload, err := json.Marshal(map[string]string{"body": body})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "token "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	client := c.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %s", endpoint, strings.ReplaceAll(err.Error(), c.Token, "[secret]"))
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		msg := strings.TrimSpace(string(data))
		var e struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &e) == nil && e.Message != "" {
			msg = e.Message
		}
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		return nil, fmt.Errorf("POST %s: HTTP %d: %s", endpoint, resp.StatusCode, strings.ReplaceAll(msg, c.Token, "[secret]"))
	}
	var out Comment
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("POST %s: unreadable answer: %w", endpoint, err)
	}
	return &out, nil
}

// SplitRepo splits "owner/name".
func SplitRepo(s string) (owner, repo string, err error) {
	owner, repo, ok := strings.Cut(s, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return "", "", fmt.Errorf("repository %q: want owner/name", s)
	}
	return owner, repo, nil
}
