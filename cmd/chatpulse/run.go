package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

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
	return runWorker(ctx, cfg, log, nil)
}

// runWorker runs one consumer-group member until ctx ends. The processor stops first, so
// that its revoke flushes and commits through a still running sink; then the sink stops.
// onStart, when set, receives the processor once it exists.
func runWorker(ctx context.Context, cfg config, log *slog.Logger, onStart func(*processor.Processor)) error {
	client, err := sink.Open(ctx, cfg.Sink, log)
	if err != nil {
		return err
	}
	defer client.Close()
	if err := client.Migrate(ctx); err != nil {
		return err
	}
	writer := sink.NewWriter(client, cfg.Sink, log)
	proc, err := processor.New(cfg.Processor, cfg.state(), writer, log)
	if err != nil {
		return err
	}
	if onStart != nil {
		onStart(proc)
	}
	if cfg.HTTP.Addr != "" {
		l, err := net.Listen("tcp", cfg.HTTP.Addr)
		if err != nil {
			return fmt.Errorf("CHATPULSE_HTTP_ADDR: %w", err)
		}
		httpCtx, stopHTTP := context.WithCancel(context.Background())
		defer stopHTTP()
		ready := func() error {
			if err := proc.Ready(); err != nil {
				return err
			}
			return writer.Healthy()
		}
		reg := prometheus.NewRegistry()
		if err := registerMetrics(reg, proc, writer); err != nil {
			l.Close()
			return err
		}
		metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)})
		go serveHTTP(httpCtx, l, healthHandler(ready, metrics), log)
		log.Info("serving health checks and metrics", "addr", l.Addr().String())
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
	if procErr != nil {
		return fmt.Errorf("processor: %w", procErr)
	}
	if wErr != nil && writerCtx.Err() == nil {
		return fmt.Errorf("sink: %w", wErr)
	}
	return nil
}
