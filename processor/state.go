package processor

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/partition"
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
	// replayFrom is when the first replayed record was applied, zero until then.
	replayFrom time.Time
	replayed   uint64
	published  partition.Stats
	snapshot   *restoredState // where the state came from, nil for an empty start
	// lastSnapshot is when the state was last snapshotted; changed says whether it has moved
	// on since.
	lastSnapshot time.Time
	changed      bool
	// lastRecord is when the latest batch was applied, and lastOffset the offset of its last
	// record: an idle snapshot reflects the state up to it.
	lastRecord time.Time
	lastOffset int64
}

// newStateTask takes over the state the assignment restored from a snapshot, or starts empty.
func newStateTask(w *worker) *stateTask {
	t := &stateTask{w: w, restoring: true, lastSnapshot: time.Now(), snapshot: w.restored}
	if t.snapshot != nil {
		t.state = t.snapshot.state
	} else {
		t.state = partition.New(w.p.state, w.p.sources)
	}
	return t
}

func (t *stateTask) process(recs []*kgo.Record) {
	horizon := t.w.horizon
	live, liveRecords := 0, 0
	for _, rec := range recs {
		out := &t.out
		if rec.Offset < horizon {
			out = &t.discard
		} else if t.restoring {
			// Counters start here, before the first record that is not a replay.
			t.restored()
		}
		// The state skips the events of raw records it has applied from another copy: one a
		// raw partition's old owner produced after the partition moved on.
		n, _, err := t.state.ApplyBundle(rec.Value, &t.ev, out)
		if err != nil && rec.Offset >= horizon {
			// Events before the damage were applied; the record's rest goes to the dead-letter
			// topic. A replayed record was dead-lettered when it was first processed.
			t.deadLetter(rec, err)
		}
		if rec.Offset < horizon {
			if t.replayFrom.IsZero() {
				t.replayFrom = time.Now()
			}
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
	t.w.gauges.publish(t.state.Gauges())
	// A replayed record changes the state too: it is not in the snapshot the state came from.
	t.changed = true
	t.lastRecord, t.lastOffset = time.Now(), last.Offset
	if liveRecords == 0 {
		return
	}
	snap := t.takeSnapshot(last.Offset)
	// Even a batch without rows is submitted: its ack marks the offset once every earlier
	// row is durable, and only then publishes the snapshot taken after the batch. The ack runs
	// on the sink's flush goroutine, so it must not wait: TryProduce drops the snapshot when
	// the client's buffer is full (Kafka is slow or down) instead of blocking every partition's
	// flush behind it. A dropped snapshot only makes a later restore replay more.
	submitted := t.w.retry("submit rows", func(ctx context.Context) error {
		return t.w.p.sink.Submit(ctx, &t.out, func() {
			t.w.mark(last)
			if snap != nil {
				t.w.snapshots.TryProduce(context.Background(), snap, t.snapshotWritten)
			}
		})
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
	t.w.restoring.Store(false)
	t.published = t.state.Stats()
	// The restore is the snapshot's loading and the replay, not the wait for records before it.
	var took time.Duration
	if t.snapshot != nil {
		took = t.snapshot.loading
	}
	if !t.replayFrom.IsZero() {
		took += time.Since(t.replayFrom)
	}
	t.w.restoreTook.Store(int64(took))
	s := t.w.p.stats
	s.Replayed.Add(t.replayed)
	s.Restores.Add(1)
	s.RestoreNanos.Add(uint64(took))
	from := "log"
	if t.snapshot != nil {
		from = "snapshot"
	}
	t.w.p.metrics.restored(from, took)
	attrs := []any{"replayed", t.replayed, "took", took.Round(time.Millisecond), "gauges", t.state.Gauges()}
	if t.snapshot != nil {
		s.SnapshotRestores.Add(1)
		attrs = append(attrs, "snapshot_offset", t.snapshot.offset, "snapshot_bytes", t.snapshot.bytes,
			"snapshot_load", t.snapshot.loading.Round(time.Millisecond), "snapshot_read", t.snapshot.read.Round(time.Millisecond))
	}
	t.w.log.Info("partition state restored", attrs...)
}

// takeSnapshot serialises the state after the record at offset when the snapshot interval has
// passed since the last one, and returns the record to publish once the batch is durable.
func (t *stateTask) takeSnapshot(offset int64) *kgo.Record {
	every := t.w.p.cfg.SnapshotInterval
	if every == 0 || !t.changed || time.Since(t.lastSnapshot) < every {
		return nil
	}
	data := t.state.AppendSnapshot(nil)
	t.lastSnapshot, t.changed = time.Now(), false
	if len(data) > t.w.p.limits.snapshot {
		t.w.log.Warn("state too large to snapshot; a restore replays the partition", "bytes", len(data), "limit", t.w.p.limits.snapshot)
		return nil
	}
	return t.w.ring.record(t.w.p.cfg, t.w.partition, offset, data)
}

// checkIdle snapshots a partition that has fallen idle: its state changed since the last
// snapshot, but no record came for the snapshot interval, and none is queued. Snapshots are
// otherwise taken only as records arrive, so without it the latest snapshot of a partition
// that stops receiving records could be up to an interval older than its state, and a restore
// would replay what came after it. As a batch's snapshot, it is published by the
// acknowledgement of an (empty) submit, once every row submitted before it is durable.
func (t *stateTask) checkIdle() {
	every := t.w.p.cfg.SnapshotInterval
	if t.restoring || !t.changed || time.Since(t.lastRecord) < every || len(t.w.recs) > 0 {
		return
	}
	snap := t.takeSnapshot(t.lastOffset)
	if snap == nil {
		return
	}
	t.w.retry("submit idle snapshot", func(ctx context.Context) error {
		return t.w.p.sink.Submit(ctx, &t.out, func() {
			t.w.snapshots.TryProduce(context.Background(), snap, t.snapshotWritten)
		})
	})
}

// snapshotWritten runs on the client's goroutine once a snapshot is written or failed; a lost
// snapshot only makes a later restore replay more.
func (t *stateTask) snapshotWritten(r *kgo.Record, err error) {
	if err != nil {
		t.w.log.Warn("snapshot not written", "err", err)
		return
	}
	t.w.p.stats.Snapshots.Add(1)
	t.w.ring.wrote(r)
}

func (t *stateTask) publish() {
	now := t.state.Stats()
	s, was := t.w.p.stats, t.published
	s.Messages.Add(now.Join.Messages - was.Join.Messages)
	s.Duplicates.Add(now.Join.Duplicates - was.Join.Duplicates)
	s.Superseded.Add(now.Join.Superseded - was.Join.Superseded)
	s.Joined.Add(now.Join.Joined - was.Join.Joined)
	s.Held.Add(now.Join.Held - was.Join.Held)
	s.Expired.Add(now.Join.Expired - was.Join.Expired)
	s.NegativeLatency.Add(now.Join.NegativeLatency - was.Join.NegativeLatency)
	s.LateActivity.Add(now.Sessions.Late - was.Sessions.Late)
	s.Redelivered.Add(now.Redelivered - was.Redelivered)
	t.published = now
}

// deadLetter sends an undecodable repartition record to the dead-letter topic: a record this
// release cannot read must not stall the partition.
func (t *stateTask) deadLetter(rec *kgo.Record, err error) {
	reason := classify(err)
	dl := dlqRecord(t.w.p.cfg, t.w.p.limits.deadLetter, rec, "internal", reason, err)
	t.w.log.Error("dead-lettered repartition record", "offset", rec.Offset, "err", err)
	if t.w.retry("produce dead letter", func(ctx context.Context) error {
		return t.w.kafka.ProduceSync(ctx, &dl).FirstErr()
	}) {
		t.w.p.stats.addDeadLetters([]string{reason})
	}
}
