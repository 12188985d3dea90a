package processor

import (
	"testing"
	"time"
)

// TestTheAcknowledgementDoesNotWaitForKafka: a snapshot is due when the sink acknowledges a
// batch, while the client's produce buffer is full (Kafka slow or down). The acknowledgement
// runs on the sink's only flush goroutine and must return at once: the offset is marked and the
// snapshot dropped, to be taken again after a later batch.
func TestTheAcknowledgementDoesNotWaitForKafka(t *testing.T) {
	h := newHarness(t)
	h.p.cfg.SnapshotInterval = time.Nanosecond
	rep := h.assign(h.rep())
	raw := h.assign(h.raw)
	h.p.deliver(h.p.bind(poll(h.raw, rawRecords(0, 2), nil)))
	settle(t, raw, 2)

	h.sink.mu.Lock()
	h.sink.hold = true
	h.sink.mu.Unlock()
	h.kafka.mu.Lock()
	h.kafka.full = true
	h.kafka.mu.Unlock()
	h.route(rep, 0)
	if !h.sink.release() {
		close(h.kafka.unfilled)
		t.Fatal("the acknowledgement waited for the produce buffer")
	}
	state := tp{h.p.cfg.StateTopic(), 0}
	if n := len(h.kafka.log(state)); n != 0 {
		t.Errorf("%d snapshots written into a full buffer", n)
	}
	h.kafka.mu.Lock()
	marked := h.kafka.marks[tp{h.rep(), 0}]
	h.kafka.full = false
	h.kafka.mu.Unlock()
	if marked != 1 {
		t.Errorf("marked %d, want 1", marked)
	}

	h.p.deliver(h.p.bind(poll(h.raw, rawRecords(2, 1), nil)))
	settle(t, raw, 3)
	h.route(rep, 1)
	if n := len(h.kafka.log(state)); n != 1 {
		t.Errorf("%d snapshots once the buffer has room, want 1", n)
	}
}
