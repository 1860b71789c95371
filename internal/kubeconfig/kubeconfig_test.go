package kubeconfig

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/test/support/fixture"
)

func TestParseInlineData(t *testing.T) {
	f := fixture.New(t, "https://127.0.0.1:16443")
	raw, err := os.ReadFile(f.Config["inter-hub:kubernetes.kubeconfig"])
	if err != nil {
		t.Fatal(err)
	}
	tg, err := Parse(raw, f.Dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if tg.Context != "fixture" || tg.Server != "https://127.0.0.1:16443" || len(tg.TLS.Certificates) != 1 || tg.TLS.RootCAs == nil {
		t.Errorf("target = %+v", tg)
	}
	if _, err := Parse(raw, f.Dir, "other"); err == nil || err.Error() != `context "other" not found` {
		t.Errorf("unknown context: %v", err)
	}
}

// kubeconfigWithFiles writes the fixture's certificate and key as files next to a kubeconfig
// that references them relatively, as kubeadm-style kubeconfigs do.
func kubeconfigWithFiles(t *testing.T) (string, []byte, *fixture.Fixture) {
	f := fixture.New(t, "")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pki"), 0o700); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{"pki/ca.crt": f.CertPEM, "pki/admin.crt": f.CertPEM, "pki/admin.key": f.KeyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	kc := `apiVersion: v1
kind: Config
current-context: sandbox
clusters:
- name: sandbox
  cluster:
    server: https://127.0.0.1:16443
    certificate-authority: pki/ca.crt
contexts:
- name: sandbox
  context: {cluster: sandbox, user: admin}
users:
- name: admin
  user:
    client-certificate: pki/admin.crt
    client-key: pki/admin.key
`
	return dir, []byte(kc), f
}

func TestParseAndInlineFileReferences(t *testing.T) {
	dir, kc, f := kubeconfigWithFiles(t)
	tg, err := Parse(kc, dir, "sandbox")
	if err != nil {
		t.Fatal(err)
	}
	if len(tg.TLS.Certificates) != 1 {
		t.Fatal("client certificate not loaded")
	}
	inlined, err := Inline(kc, dir)
	if err != nil {
		t.Fatal(err)
	}
	s := string(inlined)
	for _, gone := range []string{"pki/ca.crt", "pki/admin.crt", "pki/admin.key"} {
		if strings.Contains(s, gone) {
			t.Errorf("inlined kubeconfig still references %s", gone)
		}
	}
	if !strings.Contains(s, base64.StdEncoding.EncodeToString(f.KeyPEM)) {
		t.Error("client key not inlined")
	}
	// The inlined form parses without the directory.
	if _, err := Parse(inlined, "", "sandbox"); err != nil {
		t.Errorf("inlined kubeconfig: %v", err)
	}
}

func TestParseRejects(t *testing.T) {
	dir, kc, _ := kubeconfigWithFiles(t)
	for name, tc := range map[string]struct{ content, want string }{
		"plain http":  {strings.Replace(string(kc), "https://", "http://", 1), `cluster "sandbox": server "http://127.0.0.1:16443" is not an https URL`},
		"missing key": {strings.Replace(string(kc), "pki/admin.key", "pki/none.key", 1), `user "admin": client key: open ` + filepath.Join(dir, "pki/none.key") + `: no such file or directory`},
		"no user":     {strings.Replace(string(kc), "user: admin}", "user: nobody}", 1), `context "sandbox" names user "nobody", which is not in the file`},
		"not yaml":    {"{{{", "not a kubeconfig file: "},
	} {
		_, err := Parse([]byte(tc.content), dir, "")
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want %q", name, err, tc.want)
		}
	}
}
