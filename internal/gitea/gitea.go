// Package gitea is a small client for the parts of Gitea's REST API (v1.26) that CI, the
// operator's commands and the tests use: repositories, Actions variables and secrets, pull
// requests and their comments, commit statuses, workflow dispatch, and Actions runs and jobs.
// It is what CI has instead of the GitHub API that Pulumi's own action uses.
package gitea

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// APIError is an answer with an unexpected HTTP status.
type APIError struct {
	Method, URL string
	Status      int
	Message     string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.URL, e.Status, e.Message)
}

// IsNotFound reports whether err is an HTTP 404 from Gitea.
func IsNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

func (c *Client) base() (*url.URL, error) {
	base, err := url.Parse(strings.TrimSuffix(c.Server, "/"))
	if err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https") {
		return nil, fmt.Errorf("Gitea server URL %q: want http(s)://host", c.Server)
	}
	return base, nil
}

// do sends one API request. path is below /api/v1 and given as segments, each escaped on its
// own; in, when not nil, is sent as JSON; an answer whose status is not in want is an *APIError;
// out, when not nil, receives the JSON answer.
func (c *Client) do(ctx context.Context, method string, path []string, query url.Values, in any, out any, want ...int) (int, error) {
	if c.Token == "" {
		return 0, fmt.Errorf("no Gitea token")
	}
	base, err := c.base()
	if err != nil {
		return 0, err
	}
	endpoint := base.JoinPath(append([]string{"api", "v1"}, path...)...)
	if len(query) > 0 {
		endpoint.RawQuery = query.Encode()
	}
	var body io.Reader
	if in != nil {
		payload, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint.String(), body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "token "+c.Token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := c.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %s", method, endpoint, c.redact(err.Error()))
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	ok := false
	for _, w := range want {
		ok = ok || resp.StatusCode == w
	}
	if !ok {
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
		return resp.StatusCode, &APIError{Method: method, URL: endpoint.String(), Status: resp.StatusCode, Message: c.redact(msg)}
	}
	if out != nil && len(data) > 0 {
		if s, isString := out.(*string); isString {
			*s = string(data)
		} else if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: unreadable answer: %w", method, endpoint, err)
		}
	}
	return resp.StatusCode, nil
}

func (c *Client) redact(s string) string {
	if c.Token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.Token, "[secret]")
}

func repoPath(owner, repo string, rest ...string) ([]string, error) {
	if owner == "" || repo == "" {
		return nil, fmt.Errorf("need owner and repository (got %q, %q)", owner, repo)
	}
	return append([]string{"repos", owner, repo}, rest...), nil
}

// User is a Gitea account.
type User struct {
	ID    int64  `json:"id"`
	Login string `json:"login"`
}

// CurrentUser returns the token's user.
func (c *Client) CurrentUser(ctx context.Context) (*User, error) {
	var u User
	_, err := c.do(ctx, http.MethodGet, []string{"user"}, nil, nil, &u, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// Repository is what Gitea answers for a repository.
type Repository struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	FullName      string `json:"full_name"`
	CloneURL      string `json:"clone_url"`
	HTMLURL       string `json:"html_url"`
	DefaultBranch string `json:"default_branch"`
	Private       bool   `json:"private"`
	Owner         User   `json:"owner"`
}

// CreateRepoOptions are the fields of a new repository this package sets.
type CreateRepoOptions struct {
	Name          string `json:"name"`
	Description   string `json:"description,omitempty"`
	Private       bool   `json:"private"`
	AutoInit      bool   `json:"auto_init"`
	DefaultBranch string `json:"default_branch,omitempty"`
}

// CreateRepo creates a repository owned by the token's user, or by organization org when it is
// not empty.
func (c *Client) CreateRepo(ctx context.Context, org string, opt CreateRepoOptions) (*Repository, error) {
	if opt.Name == "" {
		return nil, fmt.Errorf("a repository needs a name")
	}
	path := []string{"user", "repos"}
	if org != "" {
		path = []string{"orgs", org, "repos"}
	}
	var r Repository
	if _, err := c.do(ctx, http.MethodPost, path, nil, opt, &r, http.StatusCreated); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetRepo returns a repository; IsNotFound(err) when there is none.
func (c *Client) GetRepo(ctx context.Context, owner, repo string) (*Repository, error) {
	path, err := repoPath(owner, repo)
	if err != nil {
		return nil, err
	}
	var r Repository
	if _, err := c.do(ctx, http.MethodGet, path, nil, nil, &r, http.StatusOK); err != nil {
		return nil, err
	}
	return &r, nil
}

// DeleteRepo deletes a repository; one that does not exist is not an error.
func (c *Client) DeleteRepo(ctx context.Context, owner, repo string) error {
	path, err := repoPath(owner, repo)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, path, nil, nil, nil, http.StatusNoContent, http.StatusNotFound)
	return err
}

// SetVariable creates or updates the Actions variable name of a repository (`vars.NAME` in a
// workflow).
func (c *Client) SetVariable(ctx context.Context, owner, repo, name, value string) error {
	path, err := repoPath(owner, repo, "actions", "variables", name)
	if err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("a variable needs a name")
	}
	body := map[string]string{"value": value}
	_, err = c.do(ctx, http.MethodPut, path, nil, body, nil, http.StatusNoContent, http.StatusCreated)
	if IsNotFound(err) {
		_, err = c.do(ctx, http.MethodPost, path, nil, body, nil, http.StatusCreated, http.StatusNoContent)
	}
	return err
}

// Variable is a repository's Actions variable.
type Variable struct {
	Name string `json:"name"`
	Data string `json:"data"`
}

// Variables lists a repository's Actions variables.
func (c *Client) Variables(ctx context.Context, owner, repo string) ([]Variable, error) {
	path, err := repoPath(owner, repo, "actions", "variables")
	if err != nil {
		return nil, err
	}
	var out []Variable
	_, err = c.do(ctx, http.MethodGet, path, url.Values{"limit": {"100"}}, nil, &out, http.StatusOK)
	return out, err
}

// SetSecret creates or updates the Actions secret name of a repository (`secrets.NAME`). Gitea
// never returns a secret's value.
func (c *Client) SetSecret(ctx context.Context, owner, repo, name, value string) error {
	path, err := repoPath(owner, repo, "actions", "secrets", name)
	if err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("a secret needs a name")
	}
	_, err = c.do(ctx, http.MethodPut, path, nil, map[string]string{"data": value}, nil, http.StatusCreated, http.StatusNoContent)
	return err
}

// SecretNames lists the names of a repository's Actions secrets.
func (c *Client) SecretNames(ctx context.Context, owner, repo string) ([]string, error) {
	path, err := repoPath(owner, repo, "actions", "secrets")
	if err != nil {
		return nil, err
	}
	var list []struct {
		Name string `json:"name"`
	}
	if _, err := c.do(ctx, http.MethodGet, path, url.Values{"limit": {"100"}}, nil, &list, http.StatusOK); err != nil {
		return nil, err
	}
	names := make([]string, len(list))
	for i, s := range list {
		names[i] = s.Name
	}
	return names, nil
}

// PullRequest is what Gitea answers for a pull request.
type PullRequest struct {
	ID      int64  `json:"id"`
	Number  int    `json:"number"`
	HTMLURL string `json:"html_url"`
	State   string `json:"state"`
	Head    struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	} `json:"head"`
	Base struct {
		Ref string `json:"ref"`
	} `json:"base"`
}

// CreatePullRequest opens a pull request of branch head into base.
func (c *Client) CreatePullRequest(ctx context.Context, owner, repo, head, base, title, body string) (*PullRequest, error) {
	path, err := repoPath(owner, repo, "pulls")
	if err != nil {
		return nil, err
	}
	in := map[string]string{"head": head, "base": base, "title": title, "body": body}
	var pr PullRequest
	if _, err := c.do(ctx, http.MethodPost, path, nil, in, &pr, http.StatusCreated); err != nil {
		return nil, err
	}
	return &pr, nil
}

// GetPullRequest returns pull request number index.
func (c *Client) GetPullRequest(ctx context.Context, owner, repo string, index int) (*PullRequest, error) {
	path, err := repoPath(owner, repo, "pulls", fmt.Sprint(index))
	if err != nil {
		return nil, err
	}
	var pr PullRequest
	if _, err := c.do(ctx, http.MethodGet, path, nil, nil, &pr, http.StatusOK); err != nil {
		return nil, err
	}
	return &pr, nil
}

// Comment is what Gitea answers for an issue or pull request comment.
type Comment struct {
	ID        int64     `json:"id"`
	HTMLURL   string    `json:"html_url"`
	Body      string    `json:"body"`
	User      User      `json:"user"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func checkIndex(owner, repo string, index int) error {
	if owner == "" || repo == "" || index <= 0 {
		return fmt.Errorf("need owner, repo and a positive pull request number (got %q, %q, %d)", owner, repo, index)
	}
	return nil
}

// PostComment adds body as a comment to issue or pull request index of owner/repo.
// Gitea serves pull request comments through the issues API.
func (c *Client) PostComment(ctx context.Context, owner, repo string, index int, body string) (*Comment, error) {
	if c.Token == "" {
		return nil, fmt.Errorf("no Gitea token")
	}
	if err := checkIndex(owner, repo, index); err != nil {
		return nil, err
	}
	var out Comment
	path, _ := repoPath(owner, repo, "issues", fmt.Sprint(index), "comments")
	if _, err := c.do(ctx, http.MethodPost, path, nil, map[string]string{"body": body}, &out, http.StatusCreated); err != nil {
		return nil, err
	}
	return &out, nil
}

// Comments lists the comments of issue or pull request index, oldest first (Gitea returns them
// all at once).
func (c *Client) Comments(ctx context.Context, owner, repo string, index int) ([]Comment, error) {
	if err := checkIndex(owner, repo, index); err != nil {
		return nil, err
	}
	var out []Comment
	path, _ := repoPath(owner, repo, "issues", fmt.Sprint(index), "comments")
	_, err := c.do(ctx, http.MethodGet, path, nil, nil, &out, http.StatusOK)
	return out, err
}

// EditComment replaces the body of comment id.
func (c *Client) EditComment(ctx context.Context, owner, repo string, id int64, body string) (*Comment, error) {
	path, err := repoPath(owner, repo, "issues", "comments", fmt.Sprint(id))
	if err != nil {
		return nil, err
	}
	var out Comment
	if _, err := c.do(ctx, http.MethodPatch, path, nil, map[string]string{"body": body}, &out, http.StatusOK, http.StatusCreated); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpsertComment keeps one comment per pull request for one purpose: it edits the comment that
// holds marker (a hidden HTML comment such as <!-- inter-hub:preview -->) and was written by the
// token's user, or posts a new one. body gets the marker appended when it lacks it. created says
// which happened.
func (c *Client) UpsertComment(ctx context.Context, owner, repo string, index int, marker, body string) (cm *Comment, created bool, err error) {
	if marker == "" {
		return nil, false, fmt.Errorf("an empty marker would match every comment")
	}
	if !strings.Contains(body, marker) {
		body = strings.TrimRight(body, "\n") + "\n\n" + marker + "\n"
	}
	me, err := c.CurrentUser(ctx)
	if err != nil {
		return nil, false, err
	}
	comments, err := c.Comments(ctx, owner, repo, index)
	if err != nil {
		return nil, false, err
	}
	for _, old := range comments {
		if old.User.ID == me.ID && strings.Contains(old.Body, marker) {
			cm, err := c.EditComment(ctx, owner, repo, old.ID, body)
			return cm, false, err
		}
	}
	cm, err = c.PostComment(ctx, owner, repo, index, body)
	return cm, err == nil, err
}

// Commit status states Gitea accepts.
const (
	StatePending = "pending"
	StateSuccess = "success"
	StateError   = "error"
	StateFailure = "failure"
	StateWarning = "warning"
)

// Status is one commit status.
type Status struct {
	State       string `json:"state"`
	TargetURL   string `json:"target_url,omitempty"`
	Description string `json:"description,omitempty"`
	Context     string `json:"context"`
}

// SetStatus sets a commit status on sha (a full commit ID). The token needs write access to the
// repository's code.
func (c *Client) SetStatus(ctx context.Context, owner, repo, sha string, s Status) error {
	path, err := repoPath(owner, repo, "statuses", sha)
	if err != nil {
		return err
	}
	if sha == "" || s.Context == "" {
		return fmt.Errorf("a commit status needs a commit and a context")
	}
	switch s.State {
	case StatePending, StateSuccess, StateError, StateFailure, StateWarning:
	default:
		return fmt.Errorf("commit status state %q: want pending, success, error, failure or warning", s.State)
	}
	_, err = c.do(ctx, http.MethodPost, path, nil, s, nil, http.StatusCreated)
	return err
}

// CombinedStatus is the state of a commit over all its status contexts (the worst wins), with
// the latest status of each context.
type CombinedStatus struct {
	State    string `json:"state"`
	SHA      string `json:"sha"`
	Statuses []struct {
		State       string `json:"status"`
		Context     string `json:"context"`
		Description string `json:"description"`
		TargetURL   string `json:"target_url"`
	} `json:"statuses"`
}

// CommitStatus returns the combined status of ref (a commit, branch or tag).
func (c *Client) CommitStatus(ctx context.Context, owner, repo, ref string) (*CombinedStatus, error) {
	path, err := repoPath(owner, repo, "commits", ref, "status")
	if err != nil {
		return nil, err
	}
	var out CombinedStatus
	if _, err := c.do(ctx, http.MethodGet, path, nil, nil, &out, http.StatusOK); err != nil {
		return nil, err
	}
	return &out, nil
}

// DispatchWorkflow starts workflow (its file name under .gitea/workflows, e.g. deploy.yaml) on
// ref (a branch name or refs/...) with inputs, as the workflow_dispatch event, and returns the
// new run's ID.
func (c *Client) DispatchWorkflow(ctx context.Context, owner, repo, workflow, ref string, inputs map[string]string) (int64, error) {
	path, err := repoPath(owner, repo, "actions", "workflows", workflow, "dispatches")
	if err != nil {
		return 0, err
	}
	if workflow == "" || ref == "" {
		return 0, fmt.Errorf("a dispatch needs a workflow file and a ref")
	}
	in := map[string]any{"ref": ref}
	if len(inputs) > 0 {
		in["inputs"] = inputs
	}
	var out struct {
		WorkflowRunID int64 `json:"workflow_run_id"`
	}
	status, err := c.do(ctx, http.MethodPost, path, url.Values{"return_run_details": {"true"}}, in, &out,
		http.StatusOK, http.StatusNoContent)
	if err != nil {
		return 0, err
	}
	if status == http.StatusNoContent || out.WorkflowRunID == 0 {
		return 0, fmt.Errorf("dispatch of %s accepted, but Gitea did not name the run (older than v1.25?)", workflow)
	}
	return out.WorkflowRunID, nil
}

// Run is an Actions workflow run. Status is queued, waiting (blocked by a concurrency group or
// needs), in_progress or completed; Conclusion, once completed, success, failure, cancelled or
// skipped.
type Run struct {
	ID           int64     `json:"id"`
	HTMLURL      string    `json:"html_url"`
	DisplayTitle string    `json:"display_title"`
	Path         string    `json:"path"` // workflow file and ref, e.g. deploy.yaml@refs/heads/main
	Event        string    `json:"event"`
	RunNumber    int64     `json:"run_number"`
	HeadSHA      string    `json:"head_sha"`
	HeadBranch   string    `json:"head_branch"`
	Status       string    `json:"status"`
	Conclusion   string    `json:"conclusion"`
	StartedAt    time.Time `json:"started_at"`
	CompletedAt  time.Time `json:"completed_at"`
}

// Done reports whether the run has finished.
func (r *Run) Done() bool { return r.Status == "completed" }

// RunFilter narrows ListRuns; empty fields do not filter.
type RunFilter struct {
	Event   string // push, pull_request, workflow_dispatch, ...
	Status  string // queued, waiting, in_progress, completed, or a conclusion
	HeadSHA string
	Branch  string
}

// ListRuns lists a repository's workflow runs, newest first (at most 100).
func (c *Client) ListRuns(ctx context.Context, owner, repo string, f RunFilter) ([]Run, error) {
	path, err := repoPath(owner, repo, "actions", "runs")
	if err != nil {
		return nil, err
	}
	q := url.Values{"limit": {"100"}}
	for k, v := range map[string]string{"event": f.Event, "status": f.Status, "head_sha": f.HeadSHA, "branch": f.Branch} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out struct {
		Runs []Run `json:"workflow_runs"`
	}
	_, err = c.do(ctx, http.MethodGet, path, q, nil, &out, http.StatusOK)
	return out.Runs, err
}

// GetRun returns run id.
func (c *Client) GetRun(ctx context.Context, owner, repo string, id int64) (*Run, error) {
	path, err := repoPath(owner, repo, "actions", "runs", fmt.Sprint(id))
	if err != nil {
		return nil, err
	}
	var r Run
	if _, err := c.do(ctx, http.MethodGet, path, nil, nil, &r, http.StatusOK); err != nil {
		return nil, err
	}
	return &r, nil
}

// WaitRun polls run id every interval until it has finished or ctx ends.
func (c *Client) WaitRun(ctx context.Context, owner, repo string, id int64, interval time.Duration) (*Run, error) {
	for {
		r, err := c.GetRun(ctx, owner, repo, id)
		if err == nil && r.Done() {
			return r, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("run %d still %s", id, r.Status)
			}
			return r, fmt.Errorf("waiting for run %d: %w (%v)", id, ctx.Err(), err)
		case <-time.After(interval):
		}
	}
}

// Step is one step of a job.
type Step struct {
	Name       string    `json:"name"`
	Number     int64     `json:"number"`
	Status     string    `json:"status"`
	Conclusion string    `json:"conclusion"`
	StartedAt  time.Time `json:"started_at"`
	Completed  time.Time `json:"completed_at"`
}

// Job is one job of a run.
type Job struct {
	ID          int64     `json:"id"`
	RunID       int64     `json:"run_id"`
	Name        string    `json:"name"`
	Labels      []string  `json:"labels"`
	HeadSHA     string    `json:"head_sha"`
	Status      string    `json:"status"`
	Conclusion  string    `json:"conclusion"`
	RunnerName  string    `json:"runner_name"`
	Steps       []Step    `json:"steps"`
	CreatedAt   time.Time `json:"created_at"`
	StartedAt   time.Time `json:"started_at"`
	CompletedAt time.Time `json:"completed_at"`
}

// RunJobs lists the jobs of run id.
func (c *Client) RunJobs(ctx context.Context, owner, repo string, id int64) ([]Job, error) {
	path, err := repoPath(owner, repo, "actions", "runs", fmt.Sprint(id), "jobs")
	if err != nil {
		return nil, err
	}
	var out struct {
		Jobs []Job `json:"jobs"`
	}
	_, err = c.do(ctx, http.MethodGet, path, url.Values{"limit": {"100"}}, nil, &out, http.StatusOK)
	return out.Jobs, err
}

// JobLog returns the log of job id as the runner reported it.
func (c *Client) JobLog(ctx context.Context, owner, repo string, id int64) (string, error) {
	path, err := repoPath(owner, repo, "actions", "jobs", fmt.Sprint(id), "logs")
	if err != nil {
		return "", err
	}
	var out string
	_, err = c.do(ctx, http.MethodGet, path, nil, nil, &out, http.StatusOK)
	return out, err
}

// Task is one entry of the repository's Actions task list: a job as a runner ran it.
type Task struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	HeadBranch   string    `json:"head_branch"`
	HeadSHA      string    `json:"head_sha"`
	RunNumber    int64     `json:"run_number"`
	Event        string    `json:"event"`
	DisplayTitle string    `json:"display_title"`
	Status       string    `json:"status"` // Gitea's own names: success, failure, running, waiting, blocked, cancelled, skipped
	WorkflowID   string    `json:"workflow_id"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	RunStartedAt time.Time `json:"run_started_at"`
}

// Tasks lists a repository's Actions tasks, newest first (at most 50).
func (c *Client) Tasks(ctx context.Context, owner, repo string) ([]Task, error) {
	path, err := repoPath(owner, repo, "actions", "tasks")
	if err != nil {
		return nil, err
	}
	var out struct {
		Tasks []Task `json:"workflow_runs"`
	}
	_, err = c.do(ctx, http.MethodGet, path, url.Values{"limit": {"50"}}, nil, &out, http.StatusOK)
	return out.Tasks, err
}

// Runner is a registered Actions runner.
type Runner struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"` // offline, idle, active
	Busy   bool   `json:"busy"`
	Labels []struct {
		Name string `json:"name"`
	} `json:"labels"`
}

// Runners lists the instance's runners (the token must be a site admin's).
func (c *Client) Runners(ctx context.Context) ([]Runner, error) {
	var out struct {
		Runners []Runner `json:"runners"`
	}
	_, err := c.do(ctx, http.MethodGet, []string{"admin", "actions", "runners"}, url.Values{"limit": {"100"}}, nil, &out, http.StatusOK)
	return out.Runners, err
}

// SplitRepo splits "owner/name".
func SplitRepo(s string) (owner, repo string, err error) {
	owner, repo, ok := strings.Cut(s, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return "", "", fmt.Errorf("repository %q: want owner/name", s)
	}
	return owner, repo, nil
}
