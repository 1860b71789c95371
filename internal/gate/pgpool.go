package gate

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/coulomb-social/inter-hub-deploy/internal/kubeconfig"
	"github.com/coulomb-social/inter-hub-deploy/internal/pgpoolusers"
)

// PgpoolTarget is bitnami postgresql-ha's pgpool as the program addresses it.
type PgpoolTarget struct {
	Namespace   string
	Service     string
	Deployment  string
	UsersSecret string
	// ServicePort must be one of the Service's ports (the app connects to it); 0 skips that.
	ServicePort int
}

// customUsersEnv is the variable through which the chart hands the users Secret to pgpool.
const customUsersEnv = "PGPOOL_POSTGRES_CUSTOM_USERS"

type deployment struct {
	Spec struct {
		Template struct {
			Spec struct {
				Containers []struct {
					Name    string   `json:"name"`
					Command []string `json:"command"`
					Args    []string `json:"args"`
					Env     []struct {
						Name      string `json:"name"`
						ValueFrom *struct {
							SecretKeyRef *struct {
								Name string `json:"name"`
								Key  string `json:"key"`
							} `json:"secretKeyRef"`
						} `json:"valueFrom"`
					} `json:"env"`
				} `json:"containers"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
	Status struct {
		AvailableReplicas int `json:"availableReplicas"`
	} `json:"status"`
}

// Pgpool passes when pgpool's Service (with the app's port) and Deployment exist under the
// configured names: the app connects to the one, the users step restarts the other.
func Pgpool(enabled bool, t *kubeconfig.Target, p PgpoolTarget) Check {
	return Check{Name: "pgpool", Enabled: enabled, Probe: func(ctx context.Context) (string, error) {
		var problems []string
		var svc struct {
			Spec struct {
				Ports []struct {
					Port int `json:"port"`
				} `json:"ports"`
			} `json:"spec"`
		}
		found, err := apiGet(ctx, t, fmt.Sprintf("/api/v1/namespaces/%s/services/%s", p.Namespace, p.Service), &svc)
		if err != nil {
			return "", err
		}
		var ports []string
		for _, sp := range svc.Spec.Ports {
			ports = append(ports, fmt.Sprint(sp.Port))
		}
		switch {
		case !found:
			problems = append(problems, fmt.Sprintf("Service %s/%s not found", p.Namespace, p.Service))
		case p.ServicePort != 0 && !slices.Contains(ports, fmt.Sprint(p.ServicePort)):
			problems = append(problems, fmt.Sprintf("Service %s/%s has no port %d (its ports: %s)",
				p.Namespace, p.Service, p.ServicePort, strings.Join(ports, ", ")))
		}
		var dep deployment
		found, err = apiGet(ctx, t, fmt.Sprintf("/apis/apps/v1/namespaces/%s/deployments/%s", p.Namespace, p.Deployment), &dep)
		if err != nil {
			return "", err
		}
		if !found {
			problems = append(problems, fmt.Sprintf("Deployment %s/%s not found", p.Namespace, p.Deployment))
		}
		if len(problems) > 0 {
			return "", fmt.Errorf("%s", strings.Join(problems, "; "))
		}
		return fmt.Sprintf("Service %s/%s (ports %s) and Deployment %s present", p.Namespace, p.Service, strings.Join(ports, ", "), p.Deployment), nil
	}}
}

// PgpoolUsers passes when the users Secret exists with both lists, of equal length, and
// pgpool's Deployment reads its custom users from it: the program only adds the app role's
// entry to that Secret, and an entry in any other Secret would never reach pool_passwd.
func PgpoolUsers(enabled bool, t *kubeconfig.Target, p PgpoolTarget) Check {
	return Check{Name: "pgpoolUsers", Enabled: enabled, Probe: func(ctx context.Context) (string, error) {
		var problems []string
		var secret struct {
			Data map[string]string `json:"data"`
		}
		name := p.Namespace + "/" + p.UsersSecret
		found, err := apiGet(ctx, t, fmt.Sprintf("/api/v1/namespaces/%s/secrets/%s", p.Namespace, p.UsersSecret), &secret)
		if err != nil {
			return "", err
		}
		entries := 0
		if !found {
			problems = append(problems, fmt.Sprintf("Secret %s not found (postgresql-ha's pgpool.customUsersSecret must name an existing Secret)", name))
		} else {
			lists := map[string]int{}
			for _, key := range []string{pgpoolusers.UsernamesKey, pgpoolusers.PasswordsKey} {
				raw, ok := secret.Data[key]
				if !ok {
					problems = append(problems, fmt.Sprintf("Secret %s has no key %s", name, key))
					continue
				}
				plain, err := base64.StdEncoding.DecodeString(raw)
				if err != nil {
					problems = append(problems, fmt.Sprintf("Secret %s: key %s is not base64", name, key))
					continue
				}
				lists[key] = len(pgpoolusers.Split(string(plain)))
			}
			u, okU := lists[pgpoolusers.UsernamesKey]
			w, okW := lists[pgpoolusers.PasswordsKey]
			if okU && okW && u != w {
				problems = append(problems, fmt.Sprintf("Secret %s lists %d usernames but %d passwords; pgpool refuses to start so", name, u, w))
			}
			entries = u
		}

		var dep deployment
		found, err = apiGet(ctx, t, fmt.Sprintf("/apis/apps/v1/namespaces/%s/deployments/%s", p.Namespace, p.Deployment), &dep)
		if err != nil {
			return "", err
		}
		if found { // a missing Deployment is the pgpool check's finding
			from := ""
			for _, c := range dep.Spec.Template.Spec.Containers {
				for _, e := range c.Env {
					if e.Name == customUsersEnv && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
						from = e.ValueFrom.SecretKeyRef.Name
					}
				}
			}
			switch from {
			case p.UsersSecret:
			case "":
				problems = append(problems, fmt.Sprintf("Deployment %s/%s takes %s from no Secret: set postgresql-ha's pgpool.customUsersSecret to %s",
					p.Namespace, p.Deployment, customUsersEnv, p.UsersSecret))
			default:
				problems = append(problems, fmt.Sprintf("Deployment %s/%s reads its custom users from Secret %s, not %s",
					p.Namespace, p.Deployment, from, p.UsersSecret))
			}
		}
		if len(problems) > 0 {
			return "", fmt.Errorf("%s", strings.Join(problems, "; "))
		}
		return fmt.Sprintf("Secret %s lists %d user(s) and is pgpool's custom users Secret", name, entries), nil
	}}
}
