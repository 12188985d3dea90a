package processor

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/partition"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

// stateTask applies a repartition partition's records to the partition's state and hands the
// rows to the sink; the offset is committed when the sink reports the rows durable.
type stateTask struct {
	w         *worker
	state     *partition.State
	ev        event.Event
	out       rows.Set
	discard   rows.Set
	restoring bool
	started   time.Time
	replayed  uint64
	published partition.Stats
}

func newStateTask(w *worker) *stateTask {
	w.horizon.Store(-1)
	return &stateTask{w: w, state: partition.New(w.p.state, w.p.sources), restoring: true, started: time.Now()}
}

func (t *stateTask) process(recs []*kgo.Record) {
	horizon := t.w.horizon.Load()
	live, liveRecords := 0, 0
	for _, rec := range recs {
		out := &t.out
		if rec.Offset < horizon {
			out = &t.discard
		} else if t.restoring {
			// Counters start here, before the first record that is not a replay.
			t.restored()
		}
		n := 0
		origin, err := route.EachEvent(rec.Value, &t.ev, func(kind route.Kind, ev *event.Event) {
			t.state.Apply(kind, ev, out)
			n++
		})
		switch {
		case err == nil:
			t.state.Observe(origin, out)
		case rec.Offset >= horizon:
			// Events before the damage were applied; the record's rest goes to the dead-letter
			// topic. A replayed record was dead-lettered when it was first processed.
			t.deadLetter(rec, err)
		}
		if rec.Offset < horizon {
			t.discard.Reset()
			t.replayed += uint64(n)
			continue
		}
		live += n
		liveRecords++
	}
	last := recs[len(recs)-1]
	if t.restoring && last.Offset+1 >= horizon {
		t.restored()
	}
	if liveRecords == 0 {
		return
	}
	// Even a batch without rows is submitted: its ack marks the offset once every earlier
	// row is durable.
	submitted := t.w.retry("submit rows", func(ctx context.Context) error {
		return t.w.p.sink.Submit(ctx, &t.out, func() { t.w.mark(last) })
	})
	t.out.Reset()
	if !submitted {
		return
	}
	t.w.p.stats.Applied.Add(uint64(live))
	t.publish()
}

// restored ends the replay of records whose rows were written before this assignment; the
// state counters start counting from here so that a replay is not counted twice.
func (t *stateTask) restored() {
	t.restoring = false
	t.published = t.state.Stats()
	t.w.p.stats.Replayed.Add(t.replayed)
	t.w.log.Info("partition state restored", "replayed", t.replayed, "took", time.Since(t.started).Round(time.Millisecond),
		"gauges", t.state.Gauges())
}

func (t *stateTask) publish() {
	now := t.state.Stats()
	s, was := t.w.p.stats, t.published
	s.Messages.Add(now.Join.Messages - was.Join.Messages)
	s.Duplicates.Add(now.Join.Duplicates - was.Join.Duplicates)
	s.Joined.Add(now.Join.Joined - was.Join.Joined)
	s.Held.Add(now.Join.Held - was.Join.Held)
	s.Expired.Add(now.Join.Expired - was.Join.Expired)
	s.NegativeLatency.Add(now.Join.NegativeLatency - was.Join.NegativeLatency)
	s.LateActivity.Add(now.Sessions.Late - was.Sessions.Late)
	t.published = now
}

// deadLetter sends an undecodable repartition record to the dead-letter topic: a record this
// release cannot read must not stall the partition.
func (t *stateTask) deadLetter(rec *kgo.Record, err error) {
	reason := classify(err)
	dl := dlqRecord(t.w.p.cfg, rec, "internal", reason, err)
	t.w.log.Error("dead-lettered repartition record", "offset", rec.Offset, "err", err)
	if t.w.retry("produce dead letter", func(ctx context.Context) error {
		return t.w.cl.ProduceSync(ctx, &dl).FirstErr()
	}) {
		t.w.p.stats.addDeadLetters([]string{reason})
	}
}
