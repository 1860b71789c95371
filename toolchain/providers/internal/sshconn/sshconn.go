// Package sshconn opens SSH client connections the way the official command
// plugin's connection object describes them, except that host keys are always
// verified: against connection.hostKey when given, else against known_hosts.
package sshconn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Endpoint is one SSH server and how to log in to it.
type Endpoint struct {
	Host               string
	Port               int
	User               string
	Password           string
	PrivateKey         string
	PrivateKeyPassword string
	AgentSocketPath    string
	// HostKey is the server's public host key in authorized_keys format
	// ("ssh-ed25519 AAAA... [comment]"). Empty means known_hosts decides.
	HostKey string
	// DialErrorLimit is how many failed dials are tolerated; -1 is no limit.
	DialErrorLimit int
	// PerDialTimeout bounds each attempt; 0 is no bound.
	PerDialTimeout time.Duration
}

// Addr is host:port.
func (e Endpoint) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

func (e Endpoint) String() string { return e.User + "@" + e.Addr() }

// HostKeyMismatchError reports a server that presented another key than the
// pinned one.
type HostKeyMismatchError struct {
	Addr             string
	Expected, Actual ssh.PublicKey
}

func (e *HostKeyMismatchError) Error() string {
	return fmt.Sprintf("host key mismatch for %s: expected %s %s, server presented %s %s; "+
		"refusing to connect (if the host key was rotated on purpose, update connection.hostKey)",
		e.Addr, e.Expected.Type(), ssh.FingerprintSHA256(e.Expected), e.Actual.Type(), ssh.FingerprintSHA256(e.Actual))
}

// UnknownHostError reports a server whose key nothing vouches for.
type UnknownHostError struct {
	Addr   string
	Actual ssh.PublicKey
	Reason string
}

func (e *UnknownHostError) Error() string {
	return fmt.Sprintf("cannot verify the host key of %s (%s %s): %s; set connection.hostKey to the server's "+
		"public host key (for example the output of `ssh-keyscan -t ed25519 -p PORT HOST`)",
		e.Addr, e.Actual.Type(), ssh.FingerprintSHA256(e.Actual), e.Reason)
}

// ParseHostKey parses a public key in authorized_keys or known_hosts-like
// format ("[host] type base64 [comment]").
func ParseHostKey(s string) (ssh.PublicKey, error) {
	s = strings.TrimSpace(s)
	if k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s)); err == nil {
		return k, nil
	}
	// Accept a leading host field, as in a line of ssh-keyscan output.
	if _, _, k, _, _, err := ssh.ParseKnownHosts([]byte(s)); err == nil {
		return k, nil
	}
	return nil, errors.New(`not a public key; expected "TYPE BASE64 [COMMENT]", e.g. "ssh-ed25519 AAAAC3Nza..."`)
}

// Signer parses a private key, decrypting it with passphrase when given.
func Signer(key, passphrase string) (ssh.Signer, error) {
	if passphrase != "" {
		return ssh.ParsePrivateKeyWithPassphrase([]byte(key), []byte(passphrase))
	}
	s, err := ssh.ParsePrivateKey([]byte(key))
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, errors.New("the private key is encrypted; set privateKeyPassword")
	}
	return s, err
}

// algorithmsFor lists the host key algorithms that negotiate key's type, so a
// server with several host keys presents the pinned one.
func algorithmsFor(key ssh.PublicKey) []string {
	if key.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{key.Type()}
}

// knownHostsFiles are consulted when no host key is pinned.
func knownHostsFiles() []string {
	var files []string
	if home, err := os.UserHomeDir(); err == nil {
		files = append(files, filepath.Join(home, ".ssh", "known_hosts"))
	}
	files = append(files, "/etc/ssh/ssh_known_hosts")
	var existing []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		}
	}
	return existing
}

func hostKeyCheck(e Endpoint) (ssh.HostKeyCallback, []string, error) {
	if e.HostKey != "" {
		want, err := ParseHostKey(e.HostKey)
		if err != nil {
			return nil, nil, fmt.Errorf("hostKey for %s: %w", e.Addr(), err)
		}
		return func(_ string, _ net.Addr, got ssh.PublicKey) error {
			if bytes.Equal(got.Marshal(), want.Marshal()) {
				return nil
			}
			return &HostKeyMismatchError{Addr: e.Addr(), Expected: want, Actual: got}
		}, algorithmsFor(want), nil
	}
	files := knownHostsFiles()
	if len(files) == 0 {
		return func(_ string, _ net.Addr, got ssh.PublicKey) error {
			return &UnknownHostError{Addr: e.Addr(), Actual: got, Reason: "no hostKey given and no known_hosts file"}
		}, nil, nil
	}
	check, err := knownhosts.New(files...)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", strings.Join(files, ", "), err)
	}
	return func(hostname string, remote net.Addr, got ssh.PublicKey) error {
		err := check(hostname, remote, got)
		var ke *knownhosts.KeyError
		if errors.As(err, &ke) {
			if len(ke.Want) == 0 {
				return &UnknownHostError{Addr: e.Addr(), Actual: got, Reason: "not in " + strings.Join(files, " or ")}
			}
			return &HostKeyMismatchError{Addr: e.Addr(), Expected: ke.Want[0].Key, Actual: got}
		}
		return err
	}, nil, nil
}

func clientConfig(e Endpoint) (*ssh.ClientConfig, func(), error) {
	check, algos, err := hostKeyCheck(e)
	if err != nil {
		return nil, nil, err
	}
	cfg := &ssh.ClientConfig{
		User:              e.User,
		HostKeyCallback:   check,
		HostKeyAlgorithms: algos,
		Timeout:           e.PerDialTimeout,
	}
	cleanup := func() {}
	if e.PrivateKey != "" {
		s, err := Signer(e.PrivateKey, e.PrivateKeyPassword)
		if err != nil {
			return nil, nil, fmt.Errorf("privateKey for %s: %w", e, err)
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(s))
	}
	if e.Password != "" {
		pw := e.Password
		cfg.Auth = append(cfg.Auth, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	sock := e.AgentSocketPath
	if sock == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock != "" {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			return nil, nil, fmt.Errorf("ssh agent at %s: %w", sock, err)
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
		cleanup = func() { conn.Close() }
	}
	if len(cfg.Auth) == 0 {
		return nil, nil, fmt.Errorf("no way to authenticate to %s: set privateKey, password or agentSocketPath", e)
	}
	return cfg, cleanup, nil
}

// permanent is true for failures another attempt cannot fix.
func permanent(err error) bool {
	var mismatch *HostKeyMismatchError
	var unknown *UnknownHostError
	return errors.As(err, &mismatch) || errors.As(err, &unknown) ||
		strings.Contains(err.Error(), "unable to authenticate")
}

// retry calls f until it succeeds, fails permanently, or e.DialErrorLimit
// failures have happened, waiting a little longer after each failure.
func retry[T any](ctx context.Context, e Endpoint, what string, log func(string), f func() (T, error)) (T, error) {
	var zero T
	for attempt := 1; ; attempt++ {
		v, err := f()
		if err == nil {
			return v, nil
		}
		if permanent(err) {
			return zero, err
		}
		if e.DialErrorLimit >= 0 && attempt > e.DialErrorLimit {
			return zero, fmt.Errorf("%s failed %d times, giving up: %w", what, attempt, err)
		}
		if log != nil {
			log(fmt.Sprintf("%s: attempt %d failed, retrying: %v", what, attempt, err))
		}
		wait := min(time.Duration(attempt)*time.Second, 5*time.Second)
		select {
		case <-ctx.Done():
			return zero, fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		case <-time.After(wait):
		}
	}
}

// Client is a connection to the target, and to the proxy it goes through.
type Client struct {
	*ssh.Client
	proxy *ssh.Client
}

// Close closes the connection and the proxy connection under it.
func (c *Client) Close() error {
	err := c.Client.Close()
	if c.proxy != nil {
		c.proxy.Close()
	}
	return err
}

// Dial connects to target, through proxy when it is not nil. log receives
// retry notices.
func Dial(ctx context.Context, target Endpoint, proxy *Endpoint, log func(string)) (*Client, error) {
	cfg, cleanup, err := clientConfig(target)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if proxy == nil {
		c, err := retry(ctx, target, "connecting to "+target.String(), log, func() (*ssh.Client, error) {
			return dial(ctx, target.Addr(), target.PerDialTimeout, cfg)
		})
		if err != nil {
			return nil, fmt.Errorf("ssh to %s: %w", target, err)
		}
		return &Client{Client: c}, nil
	}
	pcfg, pcleanup, err := clientConfig(*proxy)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	defer pcleanup()
	pc, err := retry(ctx, *proxy, "connecting to proxy "+proxy.String(), log, func() (*ssh.Client, error) {
		return dial(ctx, proxy.Addr(), proxy.PerDialTimeout, pcfg)
	})
	if err != nil {
		return nil, fmt.Errorf("ssh to proxy %s: %w", proxy, err)
	}
	c, err := retry(ctx, target, "connecting to "+target.String()+" through "+proxy.Addr(), log, func() (*ssh.Client, error) {
		conn, err := pc.DialContext(ctx, "tcp", target.Addr())
		if err != nil {
			return nil, err
		}
		cc, chans, reqs, err := ssh.NewClientConn(conn, target.Addr(), cfg)
		if err != nil {
			conn.Close()
			return nil, err
		}
		return ssh.NewClient(cc, chans, reqs), nil
	})
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("ssh to %s through %s: %w", target, proxy.Addr(), err)
	}
	return &Client{Client: c, proxy: pc}, nil
}

// dial is ssh.Dial with a context, so a cancelled update stops waiting.
func dial(ctx context.Context, addr string, timeout time.Duration, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if timeout > 0 {
		// Bound the handshake too; cleared once connected.
		_ = conn.SetDeadline(time.Now().Add(timeout))
	}
	cc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(cc, chans, reqs), nil
}
