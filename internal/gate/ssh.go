package gate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// BuildHostTarget is the build host reached over SSH with a pinned host key.
type BuildHostTarget struct {
	Host    string
	Port    int
	User    string
	HostKey ssh.PublicKey
	Signer  ssh.Signer
	// Tools must be on the PATH of a non-interactive session.
	Tools []string
}

// BuildHost passes when the SSH server presents the pinned host key, accepts the client key,
// and has the build's tools on its PATH.
func BuildHost(enabled bool, b BuildHostTarget) Check {
	return Check{Name: "buildHost", Enabled: enabled, Probe: func(ctx context.Context) (string, error) {
		addr := net.JoinHostPort(b.Host, strconv.Itoa(b.Port))
		conf := &ssh.ClientConfig{
			User:              b.User,
			Auth:              []ssh.AuthMethod{ssh.PublicKeys(b.Signer)},
			HostKeyCallback:   ssh.FixedHostKey(b.HostKey),
			HostKeyAlgorithms: hostKeyAlgorithms(b.HostKey),
		}
		var d net.Dialer
		raw, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return "", fmt.Errorf("build host unreachable at %s: %w", addr, err)
		}
		if deadline, ok := ctx.Deadline(); ok {
			_ = raw.SetDeadline(deadline)
		}
		conn, chans, reqs, err := ssh.NewClientConn(raw, addr, conf)
		if err != nil {
			raw.Close()
			if strings.Contains(err.Error(), "host key mismatch") {
				return "", fmt.Errorf("%s presented a host key other than the pinned one (%s): refusing to connect", addr, ssh.FingerprintSHA256(b.HostKey))
			}
			if strings.Contains(err.Error(), "unable to authenticate") {
				return "", fmt.Errorf("%s refused the client key for user %s", addr, b.User)
			}
			return "", fmt.Errorf("ssh handshake with %s: %w", addr, err)
		}
		client := ssh.NewClient(conn, chans, reqs)
		defer client.Close()
		if len(b.Tools) == 0 {
			return "host key verified", nil
		}
		sess, err := client.NewSession()
		if err != nil {
			return "", fmt.Errorf("ssh session on %s: %w", addr, err)
		}
		defer sess.Close()
		var out bytes.Buffer
		sess.Stdout = &out
		// Prints the name of every tool that is missing; the names are fixed words, not input.
		script := "for t in " + strings.Join(b.Tools, " ") + "; do command -v \"$t\" >/dev/null 2>&1 || echo \"$t\"; done"
		if err := sess.Run(script); err != nil {
			var exit *ssh.ExitError
			if !errors.As(err, &exit) {
				return "", fmt.Errorf("running a command on %s: %w", addr, err)
			}
		}
		if missing := strings.Fields(out.String()); len(missing) > 0 {
			return "", fmt.Errorf("%s: not on the PATH of %s: %s", addr, b.User, strings.Join(missing, ", "))
		}
		return "host key verified, build tools present", nil
	}}
}

// hostKeyAlgorithms asks the server for the pinned key's type, so that a host with several
// keys presents the one that is pinned.
func hostKeyAlgorithms(k ssh.PublicKey) []string {
	if k.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{k.Type()}
}
