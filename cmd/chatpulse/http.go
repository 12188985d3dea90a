package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// httpConfig is where the worker answers health checks.
type httpConfig struct {
	// Addr is the listen address of the status page (/ and /status), /healthz, /readyz and
	// /metrics; empty turns the server off.
	Addr string `envconfig:"HTTP_ADDR" default:":8080"`
}

func (c httpConfig) Validate() error {
	if c.Addr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("CHATPULSE_HTTP_ADDR: %q is not host:port (or :port, or empty to turn it off)", c.Addr)
	}
	return nil
}

// healthHandler answers /healthz while the process runs and /readyz while ready returns nil:
// an orchestrator restarts a worker that stops answering and sends no traffic to one that is
// rebuilding state or cannot write to ClickHouse. /metrics is served by metrics; / and /status
// by statusHandlers when status is not nil.
func healthHandler(ready func() error, metrics http.Handler, status *workerStatus) http.Handler {
	mux := http.NewServeMux()
	if status != nil {
		statusHandlers(mux, status)
	}
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}

// serveHTTP serves h on l until ctx ends.
func serveHTTP(ctx context.Context, l net.Listener, h http.Handler, log *slog.Logger) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("http server", "err", err)
	}
}
