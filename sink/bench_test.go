package sink

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/rows"
)

// benchSet is n messages with two receipts each, the shape a busy partition emits.
func benchSet(prefix string, n int) *rows.Set {
	s := messageSet(prefix, n)
	for _, m := range s.Messages {
		for _, status := range []string{"delivered", "read"} {
			s.Receipts = append(s.Receipts, rows.Receipt{Source: m.Source, Tenant: m.Tenant, MsgID: m.MsgID,
				MemberID: "u2", Status: status, AtMs: m.SentAtMs + 1500, LatencyMs: 1500, MsgSentAtMs: m.SentAtMs})
		}
	}
	return s
}

func BenchmarkInsert(b *testing.B) {
	c := migratedClient(b)
	ctx := testContext(b)
	set := benchSet("bench", 10000)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Insert(ctx, set); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*set.Len())/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkWriter(b *testing.B) {
	c := migratedClient(b)
	ctx := testContext(b)
	cfg := writerConfig(c)
	cfg.FlushInterval = 100 * time.Millisecond
	w := NewWriter(c, cfg, discardLogger())
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	go func() { done <- w.Run(runCtx) }()
	defer func() {
		stop()
		<-done
	}()
	sets := make([]*rows.Set, 16)
	for i := range sets {
		sets[i] = benchSet(fmt.Sprintf("p%d", i), 100)
	}
	b.ReportAllocs()
	n, start := 0, time.Now()
	for i := 0; b.Loop(); i++ {
		set := sets[i%len(sets)]
		if err := w.Submit(ctx, set, func() {}); err != nil {
			b.Fatal(err)
		}
		n += set.Len()
	}
	// Rows count as written once durable, so the closing flush is part of the measured time.
	if err := w.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "rows/s")
}
