package sshconn

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func newKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseHostKeyFormats(t *testing.T) {
	k := newKey(t)
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
	for _, s := range []string{line, line + " root@host", "[127.0.0.1]:2222 " + line, "\n" + line + "\n"} {
		got, err := ParseHostKey(s)
		if err != nil {
			t.Fatalf("ParseHostKey(%q): %v", s, err)
		}
		if string(got.Marshal()) != string(k.Marshal()) {
			t.Fatalf("ParseHostKey(%q) gave another key", s)
		}
	}
	if _, err := ParseHostKey("SHA256:abcdef"); err == nil {
		t.Fatal("accepted a fingerprint as a key")
	}
}

func TestPinnedHostKey(t *testing.T) {
	want, other := newKey(t), newKey(t)
	e := Endpoint{Host: "127.0.0.1", Port: 2222, HostKey: string(ssh.MarshalAuthorizedKey(want))}
	check, algos, err := hostKeyCheck(e)
	if err != nil {
		t.Fatal(err)
	}
	if len(algos) != 1 || algos[0] != ssh.KeyAlgoED25519 {
		t.Fatalf("algorithms %v", algos)
	}
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2222}
	if err := check("127.0.0.1:2222", addr, want); err != nil {
		t.Fatalf("the pinned key was refused: %v", err)
	}
	err = check("127.0.0.1:2222", addr, other)
	var mismatch *HostKeyMismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("another key was not refused as a mismatch: %v", err)
	}
	msg := err.Error()
	for _, part := range []string{"127.0.0.1:2222", ssh.FingerprintSHA256(want), ssh.FingerprintSHA256(other)} {
		if !strings.Contains(msg, part) {
			t.Errorf("message %q does not name %s", msg, part)
		}
	}
	if !permanent(err) {
		t.Error("a host key mismatch would be retried")
	}
}

func TestUnpinnedHostUsesKnownHosts(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	e := Endpoint{Host: "127.0.0.1", Port: 2222}
	check, _, err := hostKeyCheck(e)
	if err != nil {
		t.Fatal(err)
	}
	err = check("127.0.0.1:2222", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2222}, newKey(t))
	var unknown *UnknownHostError
	if !errors.As(err, &unknown) || !strings.Contains(err.Error(), "hostKey") {
		t.Fatalf("an unknown host was not refused: %v", err)
	}
}

func TestPermanent(t *testing.T) {
	if permanent(errors.New("dial tcp 127.0.0.1:1: connect: connection refused")) {
		t.Error("connection refused counted as permanent")
	}
	if !permanent(errors.New("ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey]")) {
		t.Error("an authentication failure would be retried")
	}
}

func TestSignerEncryptedKeyNeedsPassphrase(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("pass"))
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pemEncode(block.Type, block.Bytes)
	if _, err := Signer(pemBytes, ""); err == nil || !strings.Contains(err.Error(), "privateKeyPassword") {
		t.Fatalf("encrypted key without passphrase: %v", err)
	}
	if _, err := Signer(pemBytes, "pass"); err != nil {
		t.Fatalf("encrypted key with passphrase: %v", err)
	}
}

func pemEncode(typ string, b []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}))
}
