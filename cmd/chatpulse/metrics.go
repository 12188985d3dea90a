package main

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/sink"
)

// registerMetrics adds everything /metrics serves to reg: the processor's metrics and its
// Kafka client's, the sink writer's, and the Go runtime's and the process's.
func registerMetrics(reg prometheus.Registerer, proc *processor.Processor, writer *sink.Writer) error {
	if err := proc.Register(reg); err != nil {
		return err
	}
	for _, c := range []prometheus.Collector{
		writer.Collector(),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	return nil
}
