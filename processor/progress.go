package processor

import (
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/partition"
)

// progress is how far a partition's worker has got against its log, for the consumer lag
// metric. The poll loop and the worker write it, a scrape reads it; both offsets are -1 until
// known.
type progress struct {
	// end is the partition's high watermark as of the latest fetch that returned the partition.
	end atomic.Int64
	// next is the offset of the next record to process: the first fetched record's until the
	// worker has processed a batch.
	next atomic.Int64
}

func (p *progress) init() {
	p.end.Store(-1)
	p.next.Store(-1)
}

// fetched records a fetch of the partition; it runs on the poll loop before the records are
// queued for the worker.
func (p *progress) fetched(highWatermark int64, recs []*kgo.Record) {
	p.end.Store(highWatermark)
	if len(recs) > 0 {
		p.next.CompareAndSwap(-1, recs[0].Offset)
	}
}

// processed records that every record before next is processed.
func (p *progress) processed(next int64) { p.next.Store(next) }

// lag returns the records fetched or fetchable that are not processed yet, and false until a
// fetch has returned records of the partition.
func (p *progress) lag() (int64, bool) {
	return recordLag(p.end.Load(), p.next.Load())
}

// recordLag is end minus next, never negative (a newer fetch may not have updated end yet),
// and unknown while either is.
func recordLag(end, next int64) (int64, bool) {
	if end < 0 || next < 0 {
		return 0, false
	}
	return max(end-next, 0), true
}

// stateGauges are a repartition partition's state sizes, published by its worker after each
// batch so that a scrape reads them without touching the state; zero until the state is
// loaded.
type stateGauges struct {
	messages    atomic.Int64
	pending     atomic.Int64
	sessions    atomic.Int64
	watermarkMs atomic.Int64
}

func (g *stateGauges) publish(s partition.Gauges) {
	g.messages.Store(int64(s.Messages))
	g.pending.Store(int64(s.Early))
	g.sessions.Store(int64(s.OpenSessions))
	g.watermarkMs.Store(s.WatermarkMs)
}

func (g *stateGauges) load() partition.Gauges {
	return partition.Gauges{
		Messages:     int(g.messages.Load()),
		Early:        int(g.pending.Load()),
		OpenSessions: int(g.sessions.Load()),
		WatermarkMs:  g.watermarkMs.Load(),
	}
}
