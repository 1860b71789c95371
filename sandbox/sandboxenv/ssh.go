package sandboxenv

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/crypto/ssh"
)

// Addr is host:port of the build host's sshd.
func (b BuildHost) Addr() string { return hostPort(b.Host, b.Port) }

// HostPublicKey reads the fixture host key every client must pin.
func (b BuildHost) HostPublicKey() (ssh.PublicKey, error) {
	data, err := os.ReadFile(b.HostKey)
	if err != nil {
		return nil, fmt.Errorf("build host key: %w", err)
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		return nil, fmt.Errorf("build host key %s: %w", b.HostKey, err)
	}
	return key, nil
}

// ClientConfig logs in as User with the fixture client key and accepts only the fixture host key.
func (b BuildHost) ClientConfig() (*ssh.ClientConfig, error) {
	hostKey, err := b.HostPublicKey()
	if err != nil {
		return nil, err
	}
	return b.ClientConfigWithHostKey(hostKey)
}

// ClientConfigWithHostKey is ClientConfig pinning hostKey instead (tests use it to prove a wrong
// key is refused).
func (b BuildHost) ClientConfigWithHostKey(hostKey ssh.PublicKey) (*ssh.ClientConfig, error) {
	pem, err := os.ReadFile(b.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("build host client key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return nil, fmt.Errorf("build host client key %s: %w", b.PrivateKey, err)
	}
	return &ssh.ClientConfig{
		User:            b.User,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(hostKey),
		Timeout:         10 * time.Second,
	}, nil
}

// Dial opens an SSH connection to the build host with host key checking on.
func (b BuildHost) Dial() (*ssh.Client, error) {
	cfg, err := b.ClientConfig()
	if err != nil {
		return nil, err
	}
	c, err := ssh.Dial("tcp", b.Addr(), cfg)
	if err != nil {
		return nil, fmt.Errorf("ssh %s@%s: %w", b.User, b.Addr(), err)
	}
	return c, nil
}
