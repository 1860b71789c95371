package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/kube"
)

// fakeCluster is an apiserver holding a few objects as JSON, answering the GETs the edge makes.
type fakeCluster struct {
	mu        sync.Mutex
	ingresses []string
	objects   map[string]string   // "/api/v1/namespaces/ns/services/name" -> JSON
	slices    map[string][]string // "ns/service" -> EndpointSlices
	pods      map[string][]string // namespace -> pods
	server    *httptest.Server
}

func newFakeCluster(t *testing.T) *fakeCluster {
	c := &fakeCluster{objects: map[string]string{}, slices: map[string][]string{}, pods: map[string][]string{}}
	c.server = httptest.NewTLSServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.server.Close)
	return c
}

var (
	slicesPath = regexp.MustCompile(`^/apis/discovery.k8s.io/v1/namespaces/([^/]+)/endpointslices$`)
	podsPath   = regexp.MustCompile(`^/api/v1/namespaces/([^/]+)/pods$`)
)

func (c *fakeCluster) serve(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	p := r.URL.Path
	switch {
	case p == "/apis/networking.k8s.io/v1/ingresses":
		writeList(w, c.ingresses)
	case slicesPath.MatchString(p):
		ns := slicesPath.FindStringSubmatch(p)[1]
		svc := strings.TrimPrefix(r.URL.Query().Get("labelSelector"), "kubernetes.io/service-name=")
		writeList(w, c.slices[ns+"/"+svc])
	case podsPath.MatchString(p):
		ns := podsPath.FindStringSubmatch(p)[1]
		var out []string
		for _, raw := range c.pods[ns] {
			var pod kube.Pod
			if err := json.Unmarshal([]byte(raw), &pod); err != nil {
				panic(err)
			}
			if selects(r.URL.Query().Get("labelSelector"), pod.Metadata.Labels) {
				out = append(out, raw)
			}
		}
		writeList(w, out)
	default:
		obj, ok := c.objects[p]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"kind":"Status","status":"Failure","message":"%s not found","code":404}`, p)
			return
		}
		fmt.Fprint(w, obj)
	}
}

func selects(selector string, labels map[string]string) bool {
	for _, term := range strings.Split(selector, ",") {
		k, v, _ := strings.Cut(term, "=")
		if labels[k] != v {
			return false
		}
	}
	return true
}

func writeList(w http.ResponseWriter, items []string) {
	fmt.Fprintf(w, `{"items":[%s]}`, strings.Join(items, ","))
}

func (c *fakeCluster) set(fn func(c *fakeCluster)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn(c)
}

func ingressJSON(ns, name, class, host, service string) string {
	return fmt.Sprintf(`{"metadata":{"namespace":%q,"name":%q},"spec":{"ingressClassName":%q,"rules":[
	{"host":%q,"http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":%q,"port":{"name":"http"}}}}]}}]}}`,
		ns, name, class, host, service)
}

func serviceJSON(ns, name, app string) string {
	return fmt.Sprintf(`{"metadata":{"namespace":%q,"name":%q},"spec":{"selector":{"app":%q},
	"ports":[{"name":"http","port":8000,"targetPort":"http","protocol":"TCP"}]}}`, ns, name, app)
}

type endpoint struct {
	ip    string
	ready bool
}

func sliceJSON(ns, service string, eps ...endpoint) string {
	var parts []string
	for _, e := range eps {
		parts = append(parts, fmt.Sprintf(`{"addresses":[%q],"conditions":{"ready":%t}}`, e.ip, e.ready))
	}
	return fmt.Sprintf(`{"metadata":{"namespace":%q,"name":"%s-abc","labels":{"kubernetes.io/service-name":%q}},
	"endpoints":[%s],"ports":[{"name":"http","port":8000,"protocol":"TCP"}]}`, ns, service, service, strings.Join(parts, ","))
}

func podJSON(ns, name, app, ip string, ready bool, image, secret string) string {
	status := "False"
	if ready {
		status = "True"
	}
	return fmt.Sprintf(`{"metadata":{"namespace":%q,"name":%q,"labels":{"app":%q}},
	"spec":{"containers":[{"name":"app","image":%q,"ports":[{"name":"http","containerPort":8000}],
	  "envFrom":[{"secretRef":{"name":%q}}],"env":[{"name":"IHP_ENV","value":"Production"}]}]},
	"status":{"phase":"Running","podIP":%q,"conditions":[{"type":"Ready","status":%q}]}}`,
		ns, name, app, image, secret, ip, status)
}

func secretJSON(ns, name string, data map[string]string) string {
	enc := map[string]string{}
	for k, v := range data {
		enc[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	b, _ := json.Marshal(enc)
	return fmt.Sprintf(`{"metadata":{"namespace":%q,"name":%q},"data":%s}`, ns, name, b)
}

func objPath(ns, resource, name string) string {
	return "/api/v1/namespaces/" + ns + "/" + resource + "/" + name
}

// tlsFor serves h over TLS with a certificate from a fresh CA for hosts, and returns the
// listener's address and the CA's PEM file, as the sandbox's edge is served.
func tlsFor(t *testing.T, h http.Handler, hosts ...string) (addr, caFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "edge"}, DNSNames: hosts,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.Listener.Addr().String(), caFile
}
