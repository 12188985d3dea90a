package main

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/rows"
)

// workerStatus is what the status page and /status read of a running worker: its readiness
// from the start, the processor and the sink once they exist.
type workerStatus struct {
	ready *readiness
	proc  atomic.Pointer[processor.Processor]
	sink  atomic.Pointer[sinkWatch]
}

// sinkWatch sits between the processor and the sink writer and notes when rows become
// durable: the moment of the latest acknowledgement and how long its rows took from submit.
type sinkWatch struct {
	processor.RowWriter
	// pending reads the writer's rows submitted and not yet durable.
	pending    func() float64
	lastAckNs  atomic.Int64 // Unix nanoseconds of the latest acknowledgement, 0 before it
	lastTookNs atomic.Int64 // submit to acknowledgement of that batch
	acked      atomic.Uint64
}

func (s *sinkWatch) Submit(ctx context.Context, set *rows.Set, ack func()) error {
	submitted := time.Now()
	return s.RowWriter.Submit(ctx, set, func() {
		now := time.Now()
		s.lastTookNs.Store(int64(now.Sub(submitted)))
		s.lastAckNs.Store(now.UnixNano())
		s.acked.Add(1)
		ack()
	})
}

// sinkStatus is the sink's side of the status.
type sinkStatus struct {
	Pending float64
	// LastDurable is when rows last became durable, zero before any did; LastLatency is how
	// long those rows took from submit to durable, the flush interval's wait included.
	LastDurable time.Time
	LastLatency time.Duration
	Batches     uint64
}

func (w *workerStatus) sinkStatus() sinkStatus {
	var s sinkStatus
	sw := w.sink.Load()
	if sw == nil {
		return s
	}
	s.Pending = sw.pending()
	if ns := sw.lastAckNs.Load(); ns > 0 {
		s.LastDurable = time.Unix(0, ns)
		s.LastLatency = time.Duration(sw.lastTookNs.Load())
	}
	s.Batches = sw.acked.Load()
	return s
}

// gaugeOf reads the value of the gauge named name among the metrics c collects.
func gaugeOf(c prometheus.Collector, name string) float64 {
	ch := make(chan prometheus.Metric)
	go func() {
		c.Collect(ch)
		close(ch)
	}()
	var v float64
	for m := range ch {
		if !strings.Contains(m.Desc().String(), `fqName: "`+name+`"`) {
			continue
		}
		var d dto.Metric
		if m.Write(&d) == nil && d.Gauge != nil {
			v = d.Gauge.GetValue()
		}
	}
	return v
}
