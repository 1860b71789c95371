package gate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/coulomb-social/inter-hub-deploy/internal/kubeconfig"
)

// apiGet GETs path from the apiserver and decodes a JSON answer into out. found is false on 404.
func apiGet(ctx context.Context, t *kubeconfig.Target, path string, out any) (found bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(t.Server, "/")+path, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "application/json")
	if t.Token != "" {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(t.Token))
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: t.TLS.Clone()}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return false, fmt.Errorf("cluster unreachable at %s (context %s): %w", t.Server, t.Context, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return false, nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return false, fmt.Errorf("the apiserver at %s refused the credentials of context %s for GET %s (HTTP %d)",
			t.Server, t.Context, path, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return false, fmt.Errorf("GET %s on %s: HTTP %d", path, t.Server, resp.StatusCode)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return false, fmt.Errorf("GET %s on %s: unreadable answer: %w", path, t.Server, err)
	}
	return true, nil
}

// Nodes passes when the cluster has at least one node whose Ready condition is True.
func Nodes(enabled bool, t *kubeconfig.Target) Check {
	return Check{Name: "nodes", Enabled: enabled, Probe: func(ctx context.Context) (string, error) {
		var list struct {
			Items []struct {
				Metadata struct{ Name string } `json:"metadata"`
				Status   struct {
					Conditions []struct{ Type, Status string } `json:"conditions"`
				} `json:"status"`
			} `json:"items"`
		}
		if _, err := apiGet(ctx, t, "/api/v1/nodes", &list); err != nil {
			return "", err
		}
		var ready, notReady []string
		for _, n := range list.Items {
			ok := false
			for _, c := range n.Status.Conditions {
				if c.Type == "Ready" && c.Status == "True" {
					ok = true
				}
			}
			if ok {
				ready = append(ready, n.Metadata.Name)
			} else {
				notReady = append(notReady, n.Metadata.Name)
			}
		}
		if len(ready) == 0 {
			if len(notReady) == 0 {
				return "", fmt.Errorf("the cluster at %s has no nodes", t.Server)
			}
			return "", fmt.Errorf("no node is Ready (not ready: %s)", strings.Join(notReady, ", "))
		}
		return fmt.Sprintf("%d Ready node(s)", len(ready)), nil
	}}
}

// TraefikTarget names what the traefik check looks for.
type TraefikTarget struct {
	IngressClass        string
	DeploymentNamespace string
	DeploymentName      string
	// MiddlewareCRD requires Traefik's Middleware CRD (when the program creates a redirect middleware).
	MiddlewareCRD bool
}

// Traefik passes when the IngressClass exists and the Traefik Deployment has an available
// replica (and, when asked, Traefik's Middleware CRD is installed).
func Traefik(enabled bool, t *kubeconfig.Target, want TraefikTarget) Check {
	return Check{Name: "traefik", Enabled: enabled, Probe: func(ctx context.Context) (string, error) {
		var problems []string
		var class struct {
			Spec struct{ Controller string } `json:"spec"`
		}
		found, err := apiGet(ctx, t, "/apis/networking.k8s.io/v1/ingressclasses/"+want.IngressClass, &class)
		if err != nil {
			return "", err
		}
		if !found {
			problems = append(problems, fmt.Sprintf("IngressClass %q not found", want.IngressClass))
		}
		var dep struct {
			Status struct {
				AvailableReplicas int `json:"availableReplicas"`
			} `json:"status"`
		}
		path := fmt.Sprintf("/apis/apps/v1/namespaces/%s/deployments/%s", want.DeploymentNamespace, want.DeploymentName)
		found, err = apiGet(ctx, t, path, &dep)
		if err != nil {
			return "", err
		}
		switch {
		case !found:
			problems = append(problems, fmt.Sprintf("Deployment %s/%s not found", want.DeploymentNamespace, want.DeploymentName))
		case dep.Status.AvailableReplicas < 1:
			problems = append(problems, fmt.Sprintf("Deployment %s/%s has no available replica", want.DeploymentNamespace, want.DeploymentName))
		}
		if want.MiddlewareCRD {
			var crd map[string]any
			found, err = apiGet(ctx, t, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/middlewares.traefik.io", &crd)
			if err != nil {
				return "", err
			}
			if !found {
				problems = append(problems, "Traefik's Middleware CRD (middlewares.traefik.io) is not installed, "+
					"so the http to https redirect middleware cannot be created")
			}
		}
		if len(problems) > 0 {
			return "", fmt.Errorf("%s", strings.Join(problems, "; "))
		}
		return "IngressClass " + want.IngressClass + " and Deployment " + want.DeploymentName + " present", nil
	}}
}
