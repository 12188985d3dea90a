package main

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/sink"
)

// registerRuntimeMetrics adds the Go runtime's and the process's metrics to reg; they are
// served from the start, while the worker still waits for ClickHouse or Kafka.
func registerRuntimeMetrics(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	return nil
}

// registerMetrics adds the worker's own metrics to reg: the processor's and its Kafka
// client's, and the sink writer's.
func registerMetrics(reg prometheus.Registerer, proc *processor.Processor, writer *sink.Writer) error {
	if err := proc.Register(reg); err != nil {
		return err
	}
	if err := reg.Register(writer.Collector()); err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}
	return nil
}
