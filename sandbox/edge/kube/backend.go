package kube

import (
	"context"
	"fmt"
	"sort"
)

// ServicePortFor finds the Service port an Ingress backend names (by name or number).
func ServicePortFor(svc *Service, b *IngressServiceBackend) (ServicePort, bool) {
	for _, p := range svc.Spec.Ports {
		if (b.Port.Name != "" && p.Name == b.Port.Name) || (b.Port.Name == "" && p.Port == b.Port.Number) {
			return p, true
		}
	}
	return ServicePort{}, false
}

// ReadyAddresses returns the ready endpoint addresses of one Service port, from its
// EndpointSlices, or from its Endpoints object when it has no slices.
func (c *Client) ReadyAddresses(ctx context.Context, svc *Service, port ServicePort) (map[string]bool, error) {
	ns, name := svc.Metadata.Namespace, svc.Metadata.Name
	slices, err := c.EndpointSlices(ctx, ns, name)
	if err != nil {
		return nil, fmt.Errorf("endpoint slices of service %s/%s: %w", ns, name, err)
	}
	ready := map[string]bool{}
	if len(slices) > 0 {
		for _, s := range slices {
			if !slicePortMatches(s, port) {
				continue
			}
			for _, e := range s.Endpoints {
				// A nil ready condition means ready (discovery.k8s.io/v1).
				if e.Conditions.Ready != nil && !*e.Conditions.Ready {
					continue
				}
				for _, a := range e.Addresses {
					ready[a] = true
				}
			}
		}
		return ready, nil
	}
	eps, err := c.Endpoints(ctx, ns, name)
	if IsNotFound(err) {
		return ready, nil
	}
	if err != nil {
		return nil, fmt.Errorf("endpoints of service %s/%s: %w", ns, name, err)
	}
	for _, ss := range eps.Subsets {
		match := false
		for _, p := range ss.Ports {
			if p.Name == port.Name {
				match = true
			}
		}
		if !match {
			continue
		}
		for _, a := range ss.Addresses {
			ready[a.IP] = true
		}
	}
	return ready, nil
}

// Slices carry the Service port's name; an unnamed Service port has an unnamed slice port.
func slicePortMatches(s EndpointSlice, port ServicePort) bool {
	for _, p := range s.Ports {
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		if name == port.Name {
			return true
		}
	}
	return false
}

// ReadyPods returns the pods the Service selects that are Ready and whose address is one of its
// ready endpoints, sorted by name.
func (c *Client) ReadyPods(ctx context.Context, svc *Service, ready map[string]bool) ([]Pod, error) {
	ns := svc.Metadata.Namespace
	if len(svc.Spec.Selector) == 0 {
		return nil, fmt.Errorf("service %s/%s has no selector: the edge answers only on behalf of pods a selector names", ns, svc.Metadata.Name)
	}
	pods, err := c.Pods(ctx, ns, svc.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("pods of service %s/%s: %w", ns, svc.Metadata.Name, err)
	}
	var out []Pod
	for _, p := range pods {
		if !p.Ready() {
			continue
		}
		for _, ip := range p.IPs() {
			if ready[ip] {
				out = append(out, p)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Metadata.Name < out[j].Metadata.Name })
	return out, nil
}

// ServingContainer is the container that declares the Service's target port; a port given by
// number that no container declares still reaches the pod, so the first container answers.
func ServingContainer(p *Pod, port ServicePort) (*Container, error) {
	cs := p.Spec.Containers
	if len(cs) == 0 {
		return nil, fmt.Errorf("pod %s/%s has no containers", p.Metadata.Namespace, p.Metadata.Name)
	}
	target := port.TargetPort
	if target.Str == "" && target.Int == 0 {
		target.Int = port.Port
	}
	for i := range cs {
		for _, cp := range cs[i].Ports {
			if (target.Str != "" && cp.Name == target.Str) || (target.Str == "" && cp.ContainerPort == target.Int) {
				return &cs[i], nil
			}
		}
	}
	if target.Str != "" {
		return nil, fmt.Errorf("pod %s/%s: no container declares port %q", p.Metadata.Namespace, p.Metadata.Name, target.Str)
	}
	return &cs[0], nil
}
