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

// BenchmarkBuildColumns measures the client's share of inserting 30,000 rows (benchSet): the
// column slices of every block the driver is given, without the driver or the server.
func BenchmarkBuildColumns(b *testing.B) {
	set := benchSet("bench", 10000)
	b.ReportAllocs()
	for b.Loop() {
		buildBlocks(messagesTable, set.Messages)
		buildBlocks(receiptsTable, set.Receipts)
	}
	b.ReportMetric(float64(b.N*set.Len())/b.Elapsed().Seconds(), "rows/s")
}

// buildBlocks builds every column of every block of rs as insertTable does.
func buildBlocks[R any](t table[R], rs []R) {
	sc := scratches.Get().(*columnScratch)
	defer scratches.Put(sc)
	for start := 0; start < len(rs); start += blockRows {
		chunk := rs[start:min(start+blockRows, len(rs))]
		for _, col := range t.columns {
			_ = col.build(sc, chunk)
		}
	}
}

// BenchmarkHoldSubmittedRows measures what Submit does with a set's rows under the writer's
// lock: adding 300 rows (benchSet) to the waiting ones, with copies of their strings.
func BenchmarkHoldSubmittedRows(b *testing.B) {
	set := benchSet("bench", 100)
	var tx text
	var held rows.Set
	b.ReportAllocs()
	for b.Loop() {
		tx.appendDetached(&held, set)
		if held.Len() >= 50000 { // a flush takes the waiting rows
			held.Reset()
			tx.reset()
		}
	}
	b.ReportMetric(float64(b.N*set.Len())/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkInsertReceipts inserts a flush's receipts (36,000 of one day, in random order) into
// receipts and the three tables its views fill, sent in receipt_days' order (the client's
// sort included) and as they came, which the server then sorts for every table. Each case
// has a database of its own, so that neither merges the other's parts.
func BenchmarkInsertReceipts(b *testing.B) {
	ctx := testContext(b)
	asCame := receiptsTable
	asCame.order = func(_, _ *rows.Receipt) int { return 0 }
	in := shuffledReceipts(36000)
	work := make([]rows.Receipt, len(in))
	for _, bc := range []struct {
		name  string
		table table[rows.Receipt]
	}{{"in order", receiptsTable}, {"as they came", asCame}} {
		b.Run(bc.name, func(b *testing.B) {
			c := migratedClient(b)
			b.ReportAllocs()
			for b.Loop() {
				copy(work, in)
				if err := insertTable(ctx, c, bc.table, work); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(in))/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
