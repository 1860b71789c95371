package gate

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/components"
	"github.com/coulomb-social/inter-hub-deploy/test/support/pgserver"
)

// A server that accepts the connection and never answers the login is cut off at the gate's
// time limit: the driver alone would wait for it.
func TestPostgresProbeEndsAtTheTimeLimit(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	held := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held <- c
		}
	}()
	defer func() {
		for len(held) > 0 {
			(<-held).Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	target := PostgresTarget{Endpoint: components.Endpoint{Host: "127.0.0.1", Port: port, SSLMode: "disable"}, User: "admin", Password: "pw"}
	start := time.Now()
	rs := Run(context.Background(), 300*time.Millisecond, Postgres(true, target))
	took := time.Since(start)
	want := "no answer within 300ms: cannot log in to 127.0.0.1:" + strconv.Itoa(port) + " as admin"
	if err := rs.Err(); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
	if took > 5*time.Second {
		t.Errorf("the probe took %s", took)
	}
}

func TestPostgresProbeRefused(t *testing.T) {
	port := pgserver.FreePort(t)
	target := PostgresTarget{Endpoint: components.Endpoint{Host: "127.0.0.1", Port: port, SSLMode: "disable"}, User: "admin", Password: "pw"}
	_, err := Postgres(true, target).Probe(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot log in to 127.0.0.1:"+strconv.Itoa(port)+" as admin") ||
		!strings.Contains(err.Error(), "connect: connection refused") || strings.Contains(err.Error(), "pw") {
		t.Fatalf("got %v", err)
	}
}
