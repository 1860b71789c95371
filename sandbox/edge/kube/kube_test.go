package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/internal/kubeconfig"
)

// objects: path -> JSON; anything else is the apiserver's 404.
func fakeAPI(t *testing.T, objects map[string]string) *Client {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if obj, ok := objects[r.URL.Path]; ok {
			fmt.Fprint(w, obj)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"kind":"Status","message":"%s not found","code":404}`, r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	tlsCfg := srv.Client().Transport.(*http.Transport).TLSClientConfig
	return NewClient(&kubeconfig.Target{Server: srv.URL, TLS: tlsCfg}, 2*time.Second)
}

func container(t *testing.T, js string) *Container {
	var c Container
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func TestContainerEnvLikeTheKubelet(t *testing.T) {
	c := fakeAPI(t, map[string]string{
		"/api/v1/namespaces/hub/secrets/app":    `{"data":{"INTERHUB_API_KEY":"a2V5","DATABASE_URL":"cG9zdGdyZXM6Ly8="}}`,
		"/api/v1/namespaces/hub/secrets/extra":  `{"data":{"TOKEN":"dG9r"}}`,
		"/api/v1/namespaces/hub/configmaps/cfg": `{"data":{"IHP_ENV":"Development","COLOR":"blue"}}`,
	})
	ctr := container(t, `{"name":"app","envFrom":[
		{"configMapRef":{"name":"cfg"}},
		{"secretRef":{"name":"app"}},
		{"prefix":"X_","secretRef":{"name":"extra"}},
		{"secretRef":{"name":"absent","optional":true}}],
	 "env":[{"name":"IHP_ENV","value":"Production"},
		{"name":"ONE","valueFrom":{"secretKeyRef":{"name":"extra","key":"TOKEN"}}},
		{"name":"MAYBE","valueFrom":{"secretKeyRef":{"name":"extra","key":"NONE","optional":true}}}]}`)
	env, err := c.ContainerEnv(context.Background(), "hub", ctr)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"INTERHUB_API_KEY": "key", "DATABASE_URL": "postgres://", "X_TOKEN": "tok",
		"IHP_ENV": "Production", "COLOR": "blue", "ONE": "tok",
	}
	if len(env) != len(want) {
		t.Errorf("env %v, want %v", env, want)
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}

	for js, msg := range map[string]string{
		`{"name":"app","envFrom":[{"secretRef":{"name":"absent"}}]}`:                                   "secret hub/absent (envFrom of container app) not found",
		`{"name":"app","env":[{"name":"A","valueFrom":{"secretKeyRef":{"name":"app","key":"NOPE"}}}]}`: `secret hub/app (env A of container app) has no key "NOPE"`,
		`{"name":"app","envFrom":[{"configMapRef":{"name":"none"}}]}`:                                  "configmap hub/none (envFrom of container app) not found",
	} {
		if _, err := c.ContainerEnv(context.Background(), "hub", container(t, js)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want %q", js, err, msg)
		}
	}
}

func TestEndpointsFallbackAndServingContainer(t *testing.T) {
	// No EndpointSlices: the core Endpoints object counts; only the named port's subset.
	c := fakeAPI(t, map[string]string{
		"/apis/discovery.k8s.io/v1/namespaces/hub/endpointslices": `{"items":[]}`,
		"/api/v1/namespaces/hub/endpoints/app": `{"subsets":[
			{"addresses":[{"ip":"10.42.0.7"}],"ports":[{"name":"http","port":8000}]},
			{"addresses":[{"ip":"10.42.0.9"}],"ports":[{"name":"metrics","port":9000}]}]}`,
	})
	var svc Service
	if err := json.Unmarshal([]byte(`{"metadata":{"namespace":"hub","name":"app"},"spec":{"selector":{"app":"x"},
		"ports":[{"name":"http","port":80,"targetPort":"http"},{"name":"metrics","port":9000,"targetPort":9000}]}}`), &svc); err != nil {
		t.Fatal(err)
	}
	ready, err := c.ReadyAddresses(context.Background(), &svc, svc.Spec.Ports[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(ready) != 1 || !ready["10.42.0.7"] {
		t.Errorf("ready addresses %v", ready)
	}

	var pod Pod
	if err := json.Unmarshal([]byte(`{"metadata":{"namespace":"hub","name":"p"},"spec":{"containers":[
		{"name":"sidecar","image":"s","ports":[{"name":"metrics","containerPort":9000}]},
		{"name":"app","image":"a","ports":[{"name":"http","containerPort":8000}]}]}}`), &pod); err != nil {
		t.Fatal(err)
	}
	if ctr, err := ServingContainer(&pod, svc.Spec.Ports[0]); err != nil || ctr.Name != "app" {
		t.Errorf("by name: %v %v", ctr, err)
	}
	if ctr, err := ServingContainer(&pod, svc.Spec.Ports[1]); err != nil || ctr.Name != "sidecar" {
		t.Errorf("by number: %v %v", ctr, err)
	}
	if _, err := ServingContainer(&pod, ServicePort{Name: "x", TargetPort: IntOrString{Str: "grpc"}}); err == nil {
		t.Error("a named port no container declares was accepted")
	}
	if SelectorString(map[string]string{"b": "2", "a": "1"}) != "a=1,b=2" {
		t.Error("selector not sorted")
	}
}
