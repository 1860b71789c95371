package gate

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/coulomb-social/inter-hub-deploy/test/support/pgserver"
)

// sslServer answers PostgreSQL's SSLRequest with one byte, as a server does before any TLS or
// login, and records what it was sent.
func sslServer(t *testing.T, answer byte) (host string, port int, got chan []byte) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got = make(chan []byte, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			msg := make([]byte, 8)
			if _, err := io.ReadFull(c, msg); err == nil {
				got <- msg
				_, _ = c.Write([]byte{answer})
			}
			c.Close()
		}
	}()
	a := l.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port, got
}

func TestPostgresTLSProbe(t *testing.T) {
	const required = "inter-hub:postgres.sslmode is require"
	for _, c := range []struct {
		answer     byte
		requiredBy []string
		detail     string // "" when the check must fail with errText
		errText    string
	}{
		{'S', []string{required}, " offers TLS", ""},
		{'S', nil, " offers TLS", ""},
		{'N', nil, " offers no TLS; no setting asks for it", ""},
		{'N', []string{required}, "", " offers no TLS (it answered N to PostgreSQL's SSLRequest), but inter-hub:postgres.sslmode is require: " +
			"turn TLS on at the server (bitnami postgresql-ha: pgpool.tls.enabled) or set sslmode to disable"},
		{'E', nil, "", ` answered 'E' to SSLRequest, not S or N: not a PostgreSQL server?`},
	} {
		host, port, got := sslServer(t, c.answer)
		addr := net.JoinHostPort(host, strconv.Itoa(port))
		d, err := probe(t, PostgresTLS(true, PostgresTLSTarget{Host: host, Port: port, RequiredBy: c.requiredBy}))
		switch {
		case c.detail != "" && (err != nil || d != addr+c.detail):
			t.Errorf("answer %c, required by %v: %q, %v; want %q", c.answer, c.requiredBy, d, err, addr+c.detail)
		case c.detail == "" && (err == nil || !strings.HasSuffix(err.Error(), c.errText) || !strings.Contains(err.Error(), addr)):
			t.Errorf("answer %c, required by %v: %v; want an error ending %q", c.answer, c.requiredBy, err, c.errText)
		}
		// The probe sent exactly the SSLRequest: length 8, code 80877103.
		if msg := <-got; !bytes.Equal(msg, []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}) {
			t.Errorf("sent %x, not the SSLRequest", msg)
		}
	}
}

func TestPostgresTLSProbeUnreachable(t *testing.T) {
	port := pgserver.FreePort(t)
	_, err := probe(t, PostgresTLS(true, PostgresTLSTarget{Host: "127.0.0.1", Port: port}))
	if err == nil || !strings.HasPrefix(err.Error(), "cannot ask 127.0.0.1:"+strconv.Itoa(port)+" whether it offers TLS:") {
		t.Errorf("closed port: %v", err)
	}
}
