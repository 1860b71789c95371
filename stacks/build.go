package stacks

import (
	"regexp"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Build is the build host the image is built on, over SSH, and what it runs there.
type Build struct {
	Host        string
	Port        int
	User        string
	HostKey     string // normalised authorized_keys form: "<type> <base64>"
	PublicKey   ssh.PublicKey
	PrivateKey  string // secret
	Signer      ssh.Signer
	CheckoutDir string
	FlakeAttr   string
	Timeout     int // seconds
}

// The checkout directory and flake reference go into a remote shell script: plain characters only.
var (
	flakeRef     = regexp.MustCompile(`^[A-Za-z0-9.#/_:-]+$`)
	checkoutPath = regexp.MustCompile(`^[A-Za-z0-9._/~-]+$`)
)

func (r *reader) build() Build {
	b := Build{
		Host: r.host("build.host", true),
		Port: r.integer("build.port", 1, 65535),
		User: r.required("build.user"),
	}
	if v := r.required("build.hostKey"); v != "" {
		key, _, _, rest, err := ssh.ParseAuthorizedKey([]byte(v))
		if err != nil || len(strings.TrimSpace(string(rest))) > 0 {
			r.fail("build.hostKey", "not an SSH public key (expected one line like ssh-ed25519 AAAA...)")
		} else {
			b.PublicKey = key
			b.HostKey = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
		}
	}
	if v := r.secret("build.privateKey"); v != "" {
		signer, err := ssh.ParsePrivateKey([]byte(v))
		switch {
		case err == nil:
			b.PrivateKey, b.Signer = v, signer
		case strings.Contains(err.Error(), "passphrase"):
			r.fail("build.privateKey", "the key is protected by a passphrase; use a key without one")
		default:
			r.fail("build.privateKey", "not an SSH private key")
		}
	}
	b.CheckoutDir = r.required("build.checkoutDir")
	if v := b.CheckoutDir; v != "" && (!checkoutPath.MatchString(v) || strings.Contains(v, "..")) {
		r.fail("build.checkoutDir", "use a plain path (letters, digits, . _ - / ~), not %q", v)
	}
	b.FlakeAttr = r.required("build.flakeAttr")
	if v := b.FlakeAttr; v != "" && !flakeRef.MatchString(v) {
		r.fail("build.flakeAttr", "not a flake reference: %q", v)
	}
	b.Timeout = r.integer("build.timeoutSeconds", 60, 6*3600)
	return b
}
