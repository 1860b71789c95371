// Package testfixture makes the files a valid stack configuration points at (kubeconfig with a
// client certificate, SSH keys, pgpool files, a CA) in a test's temporary directory, and the
// configuration of a local-like stack that uses them.
package testfixture

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Fixture is a valid configuration and the files behind it.
type Fixture struct {
	Dir string
	// Config holds full keys ("inter-hub:..."); Secrets lists those held as secrets.
	Config  map[string]string
	Secrets []string

	CertPEM, KeyPEM []byte // self-signed; CA, server and client certificate at once
	HostKey         ssh.Signer
	ClientKey       ssh.Signer
	ClientKeyPEM    []byte
}

// Secret values of the fixture, so tests can look for them where they must not be.
const (
	AdminPassword        = "fixture-admin-password"
	RegistryPassword     = "fixture-registry-password"
	RegistryPullPassword = "fixture-registry-pull-password"
)

// RegistryPullUsername is the fixture's read-only pull account (the push one is interhub-push).
const RegistryPullUsername = "interhub-pull"

// New writes the files into t.TempDir() and returns a configuration for a pgenc-mode stack
// whose SOPS file and age key are the repository's local ones (paths relative to repoRoot).
func New(t testing.TB, server string) *Fixture {
	t.Helper()
	dir := t.TempDir()
	f := &Fixture{Dir: dir}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fixture", Organization: []string{"system:masters"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	f.CertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	f.KeyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})

	b64 := base64.StdEncoding.EncodeToString
	kubeconfig := "apiVersion: v1\nkind: Config\ncurrent-context: fixture\n" +
		"clusters:\n- name: fixture\n  cluster:\n    server: " + server + "\n    certificate-authority-data: " + b64(f.CertPEM) + "\n" +
		"contexts:\n- name: fixture\n  context:\n    cluster: fixture\n    user: admin\n" +
		"users:\n- name: admin\n  user:\n    client-certificate-data: " + b64(f.CertPEM) + "\n    client-key-data: " + b64(f.KeyPEM) + "\n"
	write(t, dir, "kubeconfig", kubeconfig)
	write(t, dir, "ca.crt", string(f.CertPEM))
	write(t, dir, "pgpool.conf", "pool_passwd = 'pool_passwd'\n")
	write(t, dir, "pool_passwd", "")
	write(t, dir, "pgpoolkey", "fixture-aes-key\n")

	f.HostKey = newSigner(t)
	f.ClientKey, f.ClientKeyPEM = newSignerPEM(t)
	hostKey := string(ssh.MarshalAuthorizedKey(f.HostKey.PublicKey()))

	f.Config = map[string]string{
		"inter-hub:kubernetes.kubeconfig":  filepath.Join(dir, "kubeconfig"),
		"inter-hub:kubernetes.context":     "fixture",
		"inter-hub:postgres.host":          "127.0.0.1",
		"inter-hub:postgres.port":          "15432",
		"inter-hub:postgres.adminUser":     "railiance_admin",
		"inter-hub:postgres.adminPassword": AdminPassword,
		"inter-hub:postgres.sslmode":       "disable",
		"inter-hub:pgpool.mode":            "pgenc",
		"inter-hub:pgpool.conf":            filepath.Join(dir, "pgpool.conf"),
		"inter-hub:pgpool.keyFile":         filepath.Join(dir, "pgpoolkey"),
		"inter-hub:secrets.sopsFile":       "deploy/secrets/local.env.sops.yaml",
		"inter-hub:secrets.ageKeyFile":     "sandbox/fixtures/age-local.key",
		"inter-hub:registry.host":          "127.0.0.1:5443",
		"inter-hub:registry.username":      "interhub-push",
		"inter-hub:registry.password":      RegistryPassword,
		"inter-hub:registry.pullUsername":  RegistryPullUsername,
		"inter-hub:registry.pullPassword":  RegistryPullPassword,
		"inter-hub:registry.caFile":        filepath.Join(dir, "ca.crt"),
		"inter-hub:build.host":             "127.0.0.1",
		"inter-hub:build.port":             "2222",
		"inter-hub:build.hostKey":          hostKey,
		"inter-hub:build.privateKey":       string(f.ClientKeyPEM),
		"inter-hub:build.checkoutDir":      "sandbox-haskelseed/inter-hub",
		"inter-hub:app.revision":           "v1",
		"inter-hub:ingress.host":           "inter-hub.localhost",
		"inter-hub:ingress.tlsSecret":      "inter-hub-tls",
	}
	f.Secrets = []string{"inter-hub:postgres.adminPassword", "inter-hub:registry.password", "inter-hub:registry.pullPassword", "inter-hub:build.privateKey"}
	return f
}

// Clone returns a copy of the configuration to modify.
func (f *Fixture) Clone() (map[string]string, []string) {
	c := make(map[string]string, len(f.Config))
	for k, v := range f.Config {
		c[k] = v
	}
	return c, append([]string(nil), f.Secrets...)
}

func write(t testing.TB, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newSigner(t testing.TB) ssh.Signer {
	s, _ := newSignerPEM(t)
	return s
}

func newSignerPEM(t testing.TB) (ssh.Signer, []byte) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "fixture")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer, pem.EncodeToMemory(block)
}
