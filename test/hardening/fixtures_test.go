//go:build integration

package hardening_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"io/fs"
	"math/big"
	mathrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"go.yaml.in/yaml/v3"

	"github.com/coulomb-social/inter-hub-deploy/test/support/standin"
)

// closedPort returns a loopback port nothing listens on (it was free a moment ago).
func closedPort(t *testing.T) int {
	t.Helper()
	return closedPorts(t, 1)[0]
}

// closedLowPort returns a loopback port nothing listens on, below the range the kernel hands
// to listeners on port 0 (32768 and up on Linux), so that no other process takes it by chance.
func closedLowPort(t *testing.T) int {
	t.Helper()
	for port := 20000 + mathrand.IntN(5000); port < 32768; port++ {
		if l, err := net.Listen("tcp", "127.0.0.1:"+itoa(port)); err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free loopback port between 20000 and 32767")
	return 0
}

// closedPorts returns n distinct loopback ports nothing listens on: all are held open until
// the last is chosen, since the kernel may hand a just-closed port out again.
func closedPorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// silentListener accepts connections and never answers, as a hung server does.
func silentListener(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			go io.Copy(io.Discard, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

// newCA makes a self-signed CA and a certificate signed by it, standing for another cluster's
// certificates. It returns the CA and the leaf (client) certificate and key, PEM encoded.
func newCA(t *testing.T) (caPEM, certPEM, keyPEM []byte) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "another-cluster-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caTmpl, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// kubeconfigVariant writes a copy of the sandbox's kubeconfig with edit applied to its (only)
// cluster and user entries, and returns its path.
func kubeconfigVariant(t *testing.T, s *standin.Stack, edit func(cluster, user map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(s.Env.Kubernetes.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	clusters := doc["clusters"].([]any)
	users := doc["users"].([]any)
	if len(clusters) != 1 || len(users) != 1 {
		t.Fatalf("the sandbox kubeconfig has %d clusters and %d users, want one each", len(clusters), len(users))
	}
	edit(clusters[0].(map[string]any)["cluster"].(map[string]any), users[0].(map[string]any)["user"].(map[string]any))
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// localRecipient is the age recipient of the local stack's identity (sandbox/fixtures/age-local.key).
func localRecipient(t *testing.T, s *standin.Stack) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.Root, "sandbox", "fixtures", "age-local.key"))
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(data))
	if err != nil || len(ids) != 1 {
		t.Fatalf("age-local.key: %v", err)
	}
	return ids[0].(*age.X25519Identity).Recipient().String()
}

// sopsEncrypt writes plain YAML encrypted with the real sops CLI for recipient into a new
// file and returns its path.
func sopsEncrypt(t *testing.T, s *standin.Stack, recipient, plain string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "plain.yaml")
	if err := os.WriteFile(src, []byte(plain), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(s.Tool.Bin("sops"), "--encrypt", "--age", recipient, "--input-type", "yaml", "--output-type", "yaml", src)
	cmd.Dir = dir // no .sops.yaml above a temporary directory
	cmd.Env = append(os.Environ(), "SOPS_DISABLE_VERSION_CHECK=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sops --encrypt: %v\n%s", err, stderr.String())
	}
	os.Remove(src)
	path := filepath.Join(dir, "app.env.sops.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeFile writes content into a new temporary file and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// editFile replaces old (which must occur) with new in the file at path.
func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o600); err != nil {
		t.Fatal(err)
	}
}

// copyChart copies the app chart into a temporary directory and returns the copy's path.
func copyChart(t *testing.T, s *standin.Stack) string {
	t.Helper()
	src := filepath.Join(s.Root, "charts", "inter-hub")
	dst := filepath.Join(t.TempDir(), "inter-hub")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func itoa(n int) string { return strconv.Itoa(n) }

// otherRecipient is the age recipient of a fresh identity nobody holds.
func otherRecipient(t *testing.T) string {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String()
}

// tamperValue changes one character of the encrypted data of key in a SOPS file, as an edit
// outside sops would.
func tamperValue(t *testing.T, path, key string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		prefix := key + ": ENC[AES256_GCM,data:"
		if strings.HasPrefix(l, prefix) {
			b := []byte(l)
			c := &b[len(prefix)]
			if *c == 'A' {
				*c = 'B'
			} else {
				*c = 'A'
			}
			lines[i] = string(b)
			if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("%s has no encrypted value for %s", path, key)
}

// deleteLine removes the line starting with prefix from the file.
func deleteLine(t *testing.T, path, prefix string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	found := false
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, prefix) {
			found = true
			continue
		}
		keep = append(keep, l)
	}
	if !found {
		t.Fatalf("%s has no line starting with %q", path, prefix)
	}
	if err := os.WriteFile(path, []byte(strings.Join(keep, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
}
