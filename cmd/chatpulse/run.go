package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/sink"
)

func cmdRun(ctx context.Context, stderr io.Writer) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	return runWorker(ctx, cfg, log, workerHooks{})
}

// metricsRegistry is where a worker registers the metrics /metrics serves.
type metricsRegistry interface {
	prometheus.Registerer
	prometheus.Gatherer
}

// workerHooks let the demo, the benchmark and tests look into a worker; the zero value is a
// plain worker.
type workerHooks struct {
	// onStart receives the processor once it exists.
	onStart func(*processor.Processor)
	// registry takes the worker's metrics instead of a registry of its own.
	registry metricsRegistry
}

// readiness is what /readyz reports; the check changes as the worker starts.
type readiness struct {
	check atomic.Pointer[func() error]
}

func (r *readiness) set(check func() error) { r.check.Store(&check) }

func (r *readiness) err() error {
	if check := r.check.Load(); check != nil {
		return (*check)()
	}
	return errors.New("starting")
}

// runWorker runs one consumer-group member until ctx ends. Health checks and metrics answer
// from the start, so that an orchestrator sees a live worker that waits for ClickHouse or
// Kafka as not ready rather than as dead. The processor stops first, so that its revoke
// flushes and commits through a still running sink; then the sink stops.
func runWorker(ctx context.Context, cfg config, log *slog.Logger, hooks workerHooks) error {
	reg := hooks.registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if err := registerRuntimeMetrics(reg); err != nil {
		return err
	}
	var ready readiness
	status := &workerStatus{ready: &ready}
	if cfg.HTTP.Addr != "" {
		l, err := net.Listen("tcp", cfg.HTTP.Addr)
		if err != nil {
			return fmt.Errorf("CHATPULSE_HTTP_ADDR: %w", err)
		}
		httpCtx, stopHTTP := context.WithCancel(context.Background())
		defer stopHTTP()
		metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)})
		go serveHTTP(httpCtx, l, healthHandler(ready.err, metrics, status), log)
		log.Info("serving health checks and metrics", "addr", l.Addr().String())
	}

	connecting := errors.New("connecting to ClickHouse")
	ready.set(func() error { return connecting })
	client, err := sink.Connect(ctx, cfg.Sink, log, func(err error) {
		ready.set(func() error { return fmt.Errorf("waiting for ClickHouse: %w", err) })
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while waiting
		}
		return err
	}
	defer client.Close()
	writer := sink.NewWriter(client, cfg.Sink, log)
	watch := &sinkWatch{RowWriter: writer,
		pending: func() float64 { return gaugeOf(writer.Collector(), "chatpulse_sink_pending_rows") }}
	status.sink.Store(watch)
	proc, err := processor.New(cfg.Processor, cfg.state(), watch, log)
	if err != nil {
		return err
	}
	if err := registerMetrics(reg, proc, writer); err != nil {
		return err
	}
	status.proc.Store(proc)
	ready.set(func() error {
		if err := proc.Ready(); err != nil {
			return err
		}
		return writer.Healthy()
	})
	if hooks.onStart != nil {
		hooks.onStart(proc)
	}

	procCtx, stopProc := context.WithCancel(ctx)
	defer stopProc()
	writerCtx, stopWriter := context.WithCancel(context.Background())
	defer stopWriter()
	writerErr := make(chan error, 1)
	go func() {
		err := writer.Run(writerCtx)
		stopProc() // a sink that cannot write stops consumption instead of piling up rows
		writerErr <- err
	}()

	procErr := proc.Run(procCtx)
	stopWriter()
	wErr := <-writerErr
	// The writer returns context.Canceled only for stopWriter above; any other error stopped
	// it on its own (an insert no retry mends), and the worker must not exit as if stopped. The
	// processor it stopped may fail for that same reason, so the writer's error comes first.
	if wErr != nil && !errors.Is(wErr, context.Canceled) {
		log.Error("clickhouse writer stopped", "error", wErr)
		if procErr != nil {
			log.Error("processor stopped", "error", procErr)
		}
		return fmt.Errorf("sink: %w", wErr)
	}
	if procErr != nil {
		return fmt.Errorf("processor: %w", procErr)
	}
	return nil
}
