package enginewatch

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// TestContextEndsWithTheEngine checks that a plugin notices its engine went away.
func TestContextEndsWithTheEngine(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()

	addr := Address([]string{"-tracing=", lis.Addr().String()})
	if addr != lis.Addr().String() {
		t.Fatalf("Address = %q, want the last argument %q", addr, lis.Addr())
	}
	ctx, cancel, err := Context(context.Background(), addr, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
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

func TestContextWithoutEngine(t *testing.T) {
	addr := Address([]string{"-tracing=x"})
	if addr != "" {
		t.Fatalf("Address of flags only = %q, want none", addr)
	}
	ctx, cancel, err := Context(context.Background(), addr, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	select {
	case <-ctx.Done():
		t.Fatal("cancelled without an engine to watch")
	case <-time.After(100 * time.Millisecond):
	}
}
