package processor

import (
	"encoding/binary"
	"testing"
	"time"
)

// TestAPartitionThatFallsIdleIsSnapshottedOnceItsRowsAreDurable: records reach a repartition
// partition sooner than its snapshot interval, so no batch is snapshotted, and then no more
// come. Once the partition has been idle for the interval it is snapshotted at its last
// record, but only after the sink has made that record's rows durable, and only once: an
// unchanged state is not snapshotted again. A restore then replays nothing.
func TestAPartitionThatFallsIdleIsSnapshottedOnceItsRowsAreDurable(t *testing.T) {
	h := newHarness(t)
	const interval = time.Second
	h.p.cfg.SnapshotInterval = interval
	raw := h.assign(h.raw)
	h.p.deliver(h.p.bind(poll(h.raw, rawRecords(0, 3), nil)))
	settle(t, raw, 3)
	last := int64(len(h.kafka.log(tp{h.rep(), 0})) - 1)

	state := tp{h.p.cfg.StateTopic(), 0}
	h.sink.mu.Lock()
	h.sink.hold = true
	h.sink.mu.Unlock()
	// Assigned with its records waiting: they come well within the interval of its start.
	rep := h.assign(h.rep())
	h.route(rep, 0)

	// Idle for many intervals, but its rows are not durable: no snapshot yet.
	time.Sleep(3 * interval)
	if n := len(h.kafka.log(state)); n != 0 {
		t.Fatalf("%d snapshots before the rows were durable", n)
	}
	if !h.sink.release() {
		t.Fatal("the acknowledgements did not return")
	}
	deadline := time.Now().Add(time.Minute)
	for len(h.kafka.log(state)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("an idle partition was not snapshotted within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
	snaps := h.kafka.log(state)
	if got := int64(binary.BigEndian.Uint64(snaps[0].Value)); got != last {
		t.Errorf("idle snapshot at repartition offset %d, want the last record's, %d", got, last)
	}

	// Unchanged since: no second snapshot, however long it stays idle.
	time.Sleep(3 * interval)
	if n := len(h.kafka.log(state)); n != 1 {
		t.Errorf("%d snapshots of an unchanged state, want 1", n)
	}

	h.revoke(h.rep())
	rep = h.assign(h.rep())
	if rep.restored == nil || rep.restored.offset != last {
		t.Fatalf("the next assignment did not restore the idle snapshot: %+v", rep.restored)
	}
	if rep.start != last+1 {
		t.Errorf("the next assignment starts at %d, want %d: nothing to replay", rep.start, last+1)
	}
}
