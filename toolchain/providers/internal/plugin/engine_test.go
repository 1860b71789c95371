package plugin

import (
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// TestEngineWatchEndsWithTheEngine checks that a plugin notices its engine went away.
func TestEngineWatchEndsWithTheEngine(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()

	ctx, cancel := engineWatch([]string{"-tracing=", lis.Addr().String()}, 50*time.Millisecond)
	defer cancel()
	select {
	case <-ctx.Done():
		t.Fatal("cancelled while the engine is up")
	case <-time.After(300 * time.Millisecond):
	}
	srv.Stop()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5 s after the engine stopped")
	}
}

func TestEngineWatchWithoutEngine(t *testing.T) {
	ctx, cancel := engineWatch([]string{"-tracing=x"}, 10*time.Millisecond)
	defer cancel()
	select {
	case <-ctx.Done():
		t.Fatal("cancelled without an engine to watch")
	case <-time.After(100 * time.Millisecond):
	}
}
