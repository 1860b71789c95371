// Command inter-hub-edge plays Traefik and the inter-hub app for the local stand-in environment.
// No container runs there (kwok only marks pods Ready), so the edge routes each request as
// Traefik would, from the cluster's Ingresses, Services and EndpointSlices, and answers on
// behalf of a ready pod: its image's static files from the registry, its API key from its
// Secret. `sandbox/sandbox.sh up` starts it on 127.0.0.1:8443.
//
//	inter-hub-edge --env .sandbox/env.json --listen 127.0.0.1:8443 --cert edge.crt --key edge.key
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/image"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/kube"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/server"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/sandboxenv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "inter-hub-edge:", err)
		os.Exit(1)
	}
}

func run() error {
	envFile := flag.String("env", "", "the sandbox's env.json: kubeconfig and registry credentials (required)")
	listen := flag.String("listen", "127.0.0.1:8443", "address of the TLS listener")
	certFile := flag.String("cert", "", "TLS certificate (PEM) (required)")
	keyFile := flag.String("key", "", "TLS key (PEM) (required)")
	class := flag.String("ingress-class", "traefik", "IngressClass whose Ingresses are served")
	entrypoint := flag.String("entrypoint", "websecure", "Traefik entrypoint this listener stands for")
	apiTimeout := flag.Duration("api-timeout", 5*time.Second, "time limit of each apiserver and registry call")
	maxImages := flag.Int("cache-images", 4, "images whose static files are kept in memory")
	verbose := flag.Bool("v", false, "log skipped routes too")
	flag.Parse()
	if *envFile == "" || *certFile == "" || *keyFile == "" || flag.NArg() > 0 {
		flag.Usage()
		return errors.New("--env, --cert and --key are required, and no arguments are taken")
	}

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	env, err := sandboxenv.LoadFile(*envFile)
	if err != nil {
		return err
	}
	kc, err := kube.FromKubeconfig(env.Kubernetes.Kubeconfig, env.Kubernetes.Context, *apiTimeout)
	if err != nil {
		return err
	}
	regTLS, err := env.Registry.TLSConfig()
	if err != nil {
		return err
	}
	reg := &image.Registry{
		Host: env.Registry.Host, User: env.Registry.User, Password: env.Registry.Password,
		// Layers stream for as long as they need; the timeout covers connecting and headers.
		HTTP: &http.Client{Transport: &http.Transport{
			TLSClientConfig: regTLS, ResponseHeaderTimeout: *apiTimeout,
			DialContext: (&net.Dialer{Timeout: *apiTimeout}).DialContext, TLSHandshakeTimeout: *apiTimeout,
		}},
	}
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}

	handler := server.New(server.Config{
		Kube: kc, Images: image.NewStore(reg, *maxImages, 64<<20),
		IngressClass: *class, Entrypoint: *entrypoint, Log: log,
	})
	srv := &http.Server{
		Addr:              *listen,
		Handler:           handler,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          stdlog.New(quietProbes{log}, "", 0),
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "apiserver", env.Kubernetes.Server,
		"registry", env.Registry.Host, "ingressClass", *class, "entrypoint", *entrypoint)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// quietProbes passes the HTTP server's errors to the log, except the handshake EOF of a client
// that connects and closes at once: sandboxenv.Check probes every listener that way.
type quietProbes struct{ log *slog.Logger }

func (q quietProbes) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if !(strings.HasPrefix(msg, "http: TLS handshake error") && strings.HasSuffix(msg, ": EOF")) {
		q.log.Warn(msg)
	}
	return len(p), nil
}
