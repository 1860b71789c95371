// Package kube reads the few Kubernetes objects the edge routes by (Ingresses, Services,
// EndpointSlices, Pods, Secrets) from the apiserver over plain HTTPS, with the kubeconfig's
// client certificate. Read-only, no watches: every request sees the cluster as it is now.
package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/kubeconfig"
)

// Client calls one apiserver.
type Client struct {
	server string
	token  string
	http   *http.Client
}

// NewClient talks to target's apiserver; timeout bounds each call.
func NewClient(target *kubeconfig.Target, timeout time.Duration) *Client {
	return &Client{
		server: strings.TrimSuffix(target.Server, "/"),
		token:  target.Token,
		http: &http.Client{
			Timeout:   timeout,
			Transport: &http.Transport{TLSClientConfig: target.TLS, MaxIdleConnsPerHost: 4, IdleConnTimeout: 60 * time.Second},
		},
	}
}

// FromKubeconfig reads a kubeconfig file and returns a client for its context (empty: the
// current context).
func FromKubeconfig(path, context string, timeout time.Duration) (*Client, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	target, err := kubeconfig.Parse(data, filepath.Dir(path), context)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	return NewClient(target, timeout), nil
}

// StatusError is a non-2xx answer of the apiserver.
type StatusError struct {
	Path    string
	Code    int
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("apiserver GET %s: HTTP %d: %s", e.Path, e.Code, e.Message)
}

// IsNotFound reports whether err is the apiserver's 404.
func IsNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == http.StatusNotFound
}

// get decodes the JSON object at path (with an optional query) into v.
func (c *Client) get(ctx context.Context, path string, query url.Values, v any) error {
	u := c.server + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("apiserver unreachable: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("apiserver GET %s: reading the answer: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var st struct {
			Message string `json:"message"`
		}
		msg := strings.TrimSpace(string(body))
		if json.Unmarshal(body, &st) == nil && st.Message != "" {
			msg = st.Message
		}
		return &StatusError{Path: path, Code: resp.StatusCode, Message: msg}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("apiserver GET %s: %w", path, err)
	}
	return nil
}

// Ingresses lists the Ingresses of every namespace.
func (c *Client) Ingresses(ctx context.Context) ([]Ingress, error) {
	var l list[Ingress]
	err := c.get(ctx, "/apis/networking.k8s.io/v1/ingresses", nil, &l)
	return l.Items, err
}

// Service gets one Service.
func (c *Client) Service(ctx context.Context, namespace, name string) (*Service, error) {
	var s Service
	if err := c.get(ctx, nsPath("/api/v1", namespace, "services", name), nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// EndpointSlices lists the EndpointSlices of one Service.
func (c *Client) EndpointSlices(ctx context.Context, namespace, service string) ([]EndpointSlice, error) {
	var l list[EndpointSlice]
	q := url.Values{"labelSelector": {"kubernetes.io/service-name=" + service}}
	err := c.get(ctx, nsPath("/apis/discovery.k8s.io/v1", namespace, "endpointslices", ""), q, &l)
	return l.Items, err
}

// Endpoints gets the core Endpoints object of one Service.
func (c *Client) Endpoints(ctx context.Context, namespace, service string) (*Endpoints, error) {
	var e Endpoints
	if err := c.get(ctx, nsPath("/api/v1", namespace, "endpoints", service), nil, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// Pods lists the Pods of a namespace that match a label selector.
func (c *Client) Pods(ctx context.Context, namespace string, selector map[string]string) ([]Pod, error) {
	var l list[Pod]
	err := c.get(ctx, nsPath("/api/v1", namespace, "pods", ""), url.Values{"labelSelector": {SelectorString(selector)}}, &l)
	return l.Items, err
}

// Secret gets one Secret.
func (c *Client) Secret(ctx context.Context, namespace, name string) (*Secret, error) {
	var s Secret
	if err := c.get(ctx, nsPath("/api/v1", namespace, "secrets", name), nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// ConfigMap gets one ConfigMap.
func (c *Client) ConfigMap(ctx context.Context, namespace, name string) (*ConfigMap, error) {
	var m ConfigMap
	if err := c.get(ctx, nsPath("/api/v1", namespace, "configmaps", name), nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

func nsPath(group, namespace, resource, name string) string {
	p := group + "/namespaces/" + url.PathEscape(namespace) + "/" + resource
	if name != "" {
		p += "/" + url.PathEscape(name)
	}
	return p
}
