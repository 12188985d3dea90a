package processor

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/partition"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

// BenchmarkPendingEntryBytes measures the heap one receipt costs while it waits in a
// partition's state for a message not yet seen, with a UUID member id: the figure behind
// pendingEntryBytes.
func BenchmarkPendingEntryBytes(b *testing.B) {
	b.ReportAllocs()
	const n = 500_000
	base := int64(1_707_836_960_000)
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{Kind: event.KindReceipt, Source: event.SourceCausalFoundry, AtMs: base + int64(i),
			Receipt: event.Receipt{Msg: event.MsgID(fmt.Sprintf("3c6b469b-ef05-492d-988c-%012d", i)),
				Member: event.ActorID(fmt.Sprintf("1e7c1a8b-c291-48df-9ad2-%012d", i)), Status: event.StatusRead}}
	}
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		st := partition.New(partition.DefaultConfig(), 1)
		var out rows.Set
		for i := range evs {
			st.Apply(route.KindReceipt, &evs[i], &out)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if g := st.Gauges(); g.Early != n {
			b.Fatalf("%d pending entries, want %d", g.Early, n)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heapB/pending")
		runtime.KeepAlive(st)
	}
}
