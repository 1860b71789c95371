package kube

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The fields of the Kubernetes API objects the edge reads, nothing more.

type list[T any] struct {
	Items []T `json:"items"`
}

// ObjectMeta is the common metadata.
type ObjectMeta struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
	DeletionTimestamp *string           `json:"deletionTimestamp,omitempty"`
}

// Ingress is networking.k8s.io/v1 Ingress.
type Ingress struct {
	Metadata ObjectMeta  `json:"metadata"`
	Spec     IngressSpec `json:"spec"`
}

// IngressSpec holds the class and the rules.
type IngressSpec struct {
	IngressClassName *string         `json:"ingressClassName,omitempty"`
	DefaultBackend   *IngressBackend `json:"defaultBackend,omitempty"`
	Rules            []IngressRule   `json:"rules,omitempty"`
}

// IngressRule is one host's paths; an empty Host matches every host.
type IngressRule struct {
	Host string           `json:"host,omitempty"`
	HTTP *HTTPIngressRule `json:"http,omitempty"`
}

// HTTPIngressRule lists the paths of a rule.
type HTTPIngressRule struct {
	Paths []HTTPIngressPath `json:"paths"`
}

// HTTPIngressPath maps a path to a backend.
type HTTPIngressPath struct {
	Path     string         `json:"path,omitempty"`
	PathType string         `json:"pathType,omitempty"`
	Backend  IngressBackend `json:"backend"`
}

// IngressBackend names a Service and its port.
type IngressBackend struct {
	Service *IngressServiceBackend `json:"service,omitempty"`
}

// IngressServiceBackend is a Service port by name or number.
type IngressServiceBackend struct {
	Name string `json:"name"`
	Port struct {
		Name   string `json:"name,omitempty"`
		Number int32  `json:"number,omitempty"`
	} `json:"port"`
}

// Service is core/v1 Service.
type Service struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     struct {
		Selector map[string]string `json:"selector,omitempty"`
		Ports    []ServicePort     `json:"ports,omitempty"`
	} `json:"spec"`
}

// ServicePort is one port of a Service.
type ServicePort struct {
	Name       string      `json:"name,omitempty"`
	Port       int32       `json:"port"`
	TargetPort IntOrString `json:"targetPort,omitempty"`
	Protocol   string      `json:"protocol,omitempty"`
}

// IntOrString is a port given by number or by name.
type IntOrString struct {
	Int int32
	Str string
}

// UnmarshalJSON accepts a JSON number or string.
func (v *IntOrString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &v.Str)
	}
	return json.Unmarshal(b, &v.Int)
}

// MarshalJSON writes the number, or the name.
func (v IntOrString) MarshalJSON() ([]byte, error) {
	if v.Str != "" {
		return json.Marshal(v.Str)
	}
	return json.Marshal(v.Int)
}

func (v IntOrString) String() string {
	if v.Str != "" {
		return v.Str
	}
	return strconv.Itoa(int(v.Int))
}

// EndpointSlice is discovery.k8s.io/v1 EndpointSlice.
type EndpointSlice struct {
	Metadata  ObjectMeta `json:"metadata"`
	Endpoints []struct {
		Addresses  []string `json:"addresses"`
		Conditions struct {
			Ready *bool `json:"ready,omitempty"`
		} `json:"conditions"`
		TargetRef *ObjectReference `json:"targetRef,omitempty"`
	} `json:"endpoints"`
	Ports []struct {
		Name *string `json:"name,omitempty"`
		Port *int32  `json:"port,omitempty"`
	} `json:"ports"`
}

// Endpoints is core/v1 Endpoints (for clusters or Services without EndpointSlices).
type Endpoints struct {
	Metadata ObjectMeta `json:"metadata"`
	Subsets  []struct {
		Addresses []struct {
			IP        string           `json:"ip"`
			TargetRef *ObjectReference `json:"targetRef,omitempty"`
		} `json:"addresses,omitempty"`
		Ports []struct {
			Name string `json:"name,omitempty"`
			Port int32  `json:"port"`
		} `json:"ports,omitempty"`
	} `json:"subsets,omitempty"`
}

// ObjectReference points at the Pod behind an endpoint.
type ObjectReference struct {
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
}

// Pod is core/v1 Pod.
type Pod struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     struct {
		Containers []Container `json:"containers"`
	} `json:"spec"`
	Status struct {
		Phase  string `json:"phase,omitempty"`
		PodIP  string `json:"podIP,omitempty"`
		PodIPs []struct {
			IP string `json:"ip"`
		} `json:"podIPs,omitempty"`
		Conditions []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
		} `json:"conditions,omitempty"`
	} `json:"status"`
}

// Ready is the pod's Ready condition, as Services count it.
func (p *Pod) Ready() bool {
	if p.Metadata.DeletionTimestamp != nil || p.Status.Phase != "Running" {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == "Ready" {
			return c.Status == "True"
		}
	}
	return false
}

// IPs are the pod's addresses.
func (p *Pod) IPs() []string {
	ips := []string{}
	if p.Status.PodIP != "" {
		ips = append(ips, p.Status.PodIP)
	}
	for _, ip := range p.Status.PodIPs {
		if ip.IP != p.Status.PodIP {
			ips = append(ips, ip.IP)
		}
	}
	return ips
}

// Container is the part of a container spec the edge uses: image, ports, environment.
type Container struct {
	Name  string `json:"name"`
	Image string `json:"image"`
	Ports []struct {
		Name          string `json:"name,omitempty"`
		ContainerPort int32  `json:"containerPort"`
	} `json:"ports,omitempty"`
	EnvFrom []EnvFromSource `json:"envFrom,omitempty"`
	Env     []EnvVar        `json:"env,omitempty"`
}

// EnvFromSource imports every key of a Secret or ConfigMap.
type EnvFromSource struct {
	Prefix       string        `json:"prefix,omitempty"`
	SecretRef    *LocalRefOpts `json:"secretRef,omitempty"`
	ConfigMapRef *LocalRefOpts `json:"configMapRef,omitempty"`
}

// LocalRefOpts names an object in the pod's namespace.
type LocalRefOpts struct {
	Name     string `json:"name"`
	Optional *bool  `json:"optional,omitempty"`
}

// EnvVar is one variable, literal or from one key of a Secret or ConfigMap.
type EnvVar struct {
	Name      string `json:"name"`
	Value     string `json:"value,omitempty"`
	ValueFrom *struct {
		SecretKeyRef    *KeyRef `json:"secretKeyRef,omitempty"`
		ConfigMapKeyRef *KeyRef `json:"configMapKeyRef,omitempty"`
	} `json:"valueFrom,omitempty"`
}

// KeyRef is one key of a Secret or ConfigMap.
type KeyRef struct {
	Name     string `json:"name"`
	Key      string `json:"key"`
	Optional *bool  `json:"optional,omitempty"`
}

// Secret is core/v1 Secret; encoding/json decodes the base64 data.
type Secret struct {
	Metadata ObjectMeta        `json:"metadata"`
	Data     map[string][]byte `json:"data,omitempty"`
}

// ConfigMap is core/v1 ConfigMap.
type ConfigMap struct {
	Metadata ObjectMeta        `json:"metadata"`
	Data     map[string]string `json:"data,omitempty"`
}

// SelectorString renders an equality label selector, keys sorted.
func SelectorString(sel map[string]string) string {
	parts := make([]string, 0, len(sel))
	for k, v := range sel {
		parts = append(parts, fmt.Sprintf("%s=%s", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}
