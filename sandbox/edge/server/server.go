// Package server is the edge's request path: route the request as Traefik would (Ingress ->
// Service -> ready endpoints), pick a ready pod behind them, and answer on its behalf from its
// image and its environment.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/app"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/image"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/kube"
	"github.com/coulomb-social/inter-hub-deploy/sandbox/edge/route"
)

// Response headers that say who answered.
const (
	ImageHeader = "X-Inter-Hub-Image" // the pod's image reference
	PodHeader   = "X-Inter-Hub-Pod"   // namespace/name of the pod
)

// Traefik's bodies for a request no router matches and for a router with no server.
const noAvailableServer = "no available server"

// Config wires the server.
type Config struct {
	Kube         *kube.Client
	Images       *image.Store
	IngressClass string // "traefik"
	Entrypoint   string // "websecure": Ingresses limited to other entrypoints do not match
	Log          *slog.Logger
	Timeout      time.Duration // for the whole request; default 30 s (a first image fetch)
}

// Server is the edge's http.Handler.
type Server struct {
	cfg  Config
	next atomic.Uint64 // round robin over ready pods
}

// New returns the handler.
func New(cfg Config) *Server {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Server{cfg: cfg}
}

// trace is what one request went through, for the log line.
type trace struct {
	route, pod, image string
	err               error
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	t := s.serve(rec, r.WithContext(ctx))
	attrs := []any{"method", r.Method, "host", r.Host, "path", r.URL.Path, "status", rec.status,
		"ms", time.Since(start).Milliseconds()}
	if t.route != "" {
		attrs = append(attrs, "route", t.route)
	}
	if t.pod != "" {
		attrs = append(attrs, "pod", t.pod, "image", t.image)
	}
	if t.err != nil {
		s.cfg.Log.Warn("request failed", append(attrs, "error", t.err.Error())...)
		return
	}
	s.cfg.Log.Info("request", attrs...)
}

// badGateway reports an error of the cluster, the registry or the deployment.
func badGateway(w http.ResponseWriter, t *trace, err error) {
	t.err = err
	http.Error(w, "edge: "+err.Error(), http.StatusBadGateway)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) (t trace) {
	ctx := r.Context()
	ings, err := s.cfg.Kube.Ingresses(ctx)
	if err != nil {
		badGateway(w, &t, fmt.Errorf("listing Ingresses: %w", err))
		return
	}
	rt, svc, port, err := s.backend(ctx, route.Match(ings, s.cfg.IngressClass, s.cfg.Entrypoint, r.Host, r.URL.Path))
	if err != nil {
		badGateway(w, &t, err)
		return
	}
	if svc == nil {
		http.NotFound(w, r) // Traefik: no router matches
		return
	}
	t.route = rt.String()
	ready, err := s.cfg.Kube.ReadyAddresses(ctx, svc, port)
	if err != nil {
		badGateway(w, &t, err)
		return
	}
	var pods []kube.Pod
	if len(ready) > 0 {
		if pods, err = s.cfg.Kube.ReadyPods(ctx, svc, ready); err != nil {
			badGateway(w, &t, err)
			return
		}
	}
	if len(pods) == 0 {
		// As Traefik with allowEmptyServices (the default of recent versions of its Helm chart;
		// without it Traefik drops the route and answers 404).
		http.Error(w, noAvailableServer, http.StatusServiceUnavailable)
		return
	}
	pod := &pods[s.next.Add(1)%uint64(len(pods))]
	t.pod = pod.Metadata.Namespace + "/" + pod.Metadata.Name
	w.Header().Set(PodHeader, t.pod)
	ctr, err := kube.ServingContainer(pod, port)
	if err != nil {
		badGateway(w, &t, err)
		return
	}
	t.image = ctr.Image
	w.Header().Set(ImageHeader, ctr.Image)

	ref, err := image.ParseRef(ctr.Image)
	if err != nil {
		badGateway(w, &t, fmt.Errorf("pod %s: %w", t.pod, err))
		return
	}
	env, err := s.cfg.Kube.ContainerEnv(ctx, pod.Metadata.Namespace, ctr)
	if err != nil {
		badGateway(w, &t, fmt.Errorf("pod %s: %w", t.pod, err))
		return
	}
	img, err := s.cfg.Images.Get(ctx, ref)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("image %s: not fetched within %s", ref, s.cfg.Timeout)
		}
		badGateway(w, &t, fmt.Errorf("pod %s: %w", t.pod, err))
		return
	}
	app.Serve(w, r, &app.Pod{Namespace: pod.Metadata.Namespace, Name: pod.Metadata.Name, Image: img, Env: env})
	return t
}

// backend takes the first route whose Service and port exist; Traefik drops routers whose
// Service is missing, so a lower-priority router may answer instead. svc is nil when none does.
func (s *Server) backend(ctx context.Context, routes []route.Route) (route.Route, *kube.Service, kube.ServicePort, error) {
	for _, rt := range routes {
		svc, err := s.cfg.Kube.Service(ctx, rt.Namespace, rt.Backend.Name)
		if kube.IsNotFound(err) {
			s.cfg.Log.Debug("route skipped: service not found", "route", rt.String())
			continue
		}
		if err != nil {
			return rt, nil, kube.ServicePort{}, fmt.Errorf("%s: %w", rt, err)
		}
		port, ok := kube.ServicePortFor(svc, &rt.Backend)
		if !ok {
			s.cfg.Log.Debug("route skipped: service has no such port", "route", rt.String())
			continue
		}
		return rt, svc, port, nil
	}
	return route.Route{}, nil, kube.ServicePort{}, nil
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
