package join

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

// BenchmarkHeldMessageBytes measures the heap one message costs while it waits in state for
// receipts and replies, the figure that bounds a partition's memory.
func BenchmarkHeldMessageBytes(b *testing.B) {
	b.ReportAllocs()
	const n = 1_000_000
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = msg(fmt.Sprintf("3c6b469b-ef05-492d-988c-%012d", i), t0+int64(i), "")
	}
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := New(DefaultConfig())
		var out rows.Set
		for i := range evs {
			s.Apply(route.KindMessage, &evs[i], &out)
			out.Reset()
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heapB/held-msg")
		runtime.KeepAlive(s)
	}
}

func BenchmarkApplyReceipt(b *testing.B) {
	b.ReportAllocs()
	s := New(DefaultConfig())
	var out rows.Set
	m := msg("3c6b469b-ef05-492d-988c-add03cf260de", t0, "")
	s.Apply(route.KindMessage, &m, &out)
	r := receipt("3c6b469b-ef05-492d-988c-add03cf260de", "1e7c1a8b-c291-48df-9ad2-55aecd684270", event.StatusRead, t0+10)
	for b.Loop() {
		s.Apply(route.KindReceipt, &r, &out)
		out.Reset()
	}
}

// BenchmarkContentHash measures the hash every arriving message costs, which ranks conflicting
// copies of one message id.
func BenchmarkContentHash(b *testing.B) {
	b.ReportAllocs()
	ev := msg("3c6b469b-ef05-492d-988c-000000000001", t0, "3c6b469b-ef05-492d-988c-000000000000")
	var h uint64
	for b.Loop() {
		h += ContentHash(&ev)
	}
	if h == 0 {
		b.Fatal("no hash")
	}
}
