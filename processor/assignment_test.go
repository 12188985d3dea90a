package processor

import (
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestABatchPolledBeforeALossNeverReachesTheNextAssignment: the poll loop holds a raw batch
// (offsets 2 and 3) fetched under the first assignment when the partition is lost and assigned
// back to this member, which starts again at offset 0 since nothing was committed. Were the
// stale batch handed to the new worker first, its bundle would tell the repartition partition
// that raw offsets up to 3 are applied, and the bundle of offsets 0 to 3 that follows would be
// skipped as redelivered: m0 and m1 lost, their sessions split. Every message must be written.
func TestABatchPolledBeforeALossNeverReachesTheNextAssignment(t *testing.T) {
	h := newHarness(t)
	rep := h.assign(h.rep())
	h.assign(h.raw)
	recs := rawRecords(0, 4)

	stale := h.p.bind(poll(h.raw, recs[2:], nil)) // polled; delivery waits behind a full queue
	h.lose(h.raw)
	second := h.assign(h.raw)
	h.p.deliver(stale)
	h.p.deliver(h.p.bind(poll(h.raw, recs, nil)))
	settle(t, second, 4)
	h.route(rep, 0)

	got := h.sink.ids()
	for _, id := range []string{"m0", "m1", "m2", "m3"} {
		if got[id] == 0 {
			t.Errorf("message %s not written; rows: %v", id, got)
		}
	}
	if n := rep.p.stats.Redelivered.Load(); n != 0 {
		t.Errorf("%d events skipped as redelivered, none was routed twice", n)
	}
}

// TestABatchOfAnEndedAssignmentIsDroppedByItsWorker: a batch that carries another generation
// than the worker's is never applied, even if it reached the worker's queue.
func TestABatchOfAnEndedAssignmentIsDroppedByItsWorker(t *testing.T) {
	h := newHarness(t)
	first := h.assign(h.raw)
	h.revoke(h.raw)
	second := h.assign(h.raw)
	if first.gen == second.gen {
		t.Fatalf("two assignments share generation %d", first.gen)
	}
	recs := rawRecords(0, 2)
	second.recs <- batch{gen: first.gen, recs: recs}
	h.p.deliver(h.p.bind(poll(h.raw, recs[:1], nil)))
	settle(t, second, 1)
	if n := len(h.kafka.log(tp{h.rep(), 0})); n != 1 {
		t.Errorf("%d bundles routed, want 1: the stale batch was applied", n)
	}
}

// TestNoMarkAfterARevoke: the sink acknowledges a repartition batch only after the revoke gave
// up waiting for it. Its offset must not be marked: kgo dropped the partition's marks at the
// revoke, and a new mark would make the next autocommit commit a partition another member
// owns. The next owner writes the batch's rows again instead.
func TestNoMarkAfterARevoke(t *testing.T) {
	h := newHarness(t)
	h.p.cfg.HandoffTimeout = 10 * time.Millisecond
	rep := h.assign(h.rep())
	raw := h.assign(h.raw)
	h.p.deliver(h.p.bind(poll(h.raw, rawRecords(0, 2), nil)))
	settle(t, raw, 2)

	h.sink.mu.Lock()
	h.sink.hold = true
	h.sink.mu.Unlock()
	h.route(rep, 0)
	key := tp{h.rep(), 0}
	h.revoke(h.rep())
	before := h.kafka.calls(key)
	if !h.sink.release() {
		t.Fatal("acknowledgement did not return")
	}
	if n := h.kafka.calls(key) - before; n != 0 {
		t.Errorf("%d marks of %s[0] after its revoke", n, h.rep())
	}
	h.kafka.mu.Lock()
	_, marked := h.kafka.marks[key]
	h.kafka.mu.Unlock()
	if marked {
		t.Errorf("an offset of %s[0] is marked after its revoke", h.rep())
	}
}

// TestAMarkBeforeTheRevokeIsCommitted: an acknowledgement that arrives while the revoke waits
// for the sink is marked and committed, so the next owner does not write the rows again.
func TestAMarkBeforeTheRevokeIsCommitted(t *testing.T) {
	h := newHarness(t)
	rep := h.assign(h.rep())
	raw := h.assign(h.raw)
	h.p.deliver(h.p.bind(poll(h.raw, rawRecords(0, 2), nil)))
	settle(t, raw, 2)
	h.route(rep, 0)
	h.revoke(h.rep())
	h.kafka.mu.Lock()
	defer h.kafka.mu.Unlock()
	if got := h.kafka.committed[tp{h.rep(), 0}]; got != 1 {
		t.Errorf("committed %d, want 1", got)
	}
}

// TestAPartitionAssignedAgainStartsFromItsSnapshot: the first assignment of a repartition
// partition applies two raw records' bundles and snapshots its state once the rows are
// durable; the next assignment of the partition restores that state, starts after the
// snapshot's offset, and applies only what came later, each message written once per
// assignment that processed it live.
func TestAPartitionAssignedAgainStartsFromItsSnapshot(t *testing.T) {
	h := newHarness(t)
	h.p.cfg.SnapshotInterval = 1
	rep := h.assign(h.rep())
	raw := h.assign(h.raw)
	h.p.deliver(h.p.bind(poll(h.raw, rawRecords(0, 2), nil)))
	settle(t, raw, 2)
	h.route(rep, 0)
	h.revoke(h.rep())

	second := h.assign(h.rep())
	if second.restored == nil || second.start != 1 || second.horizon != 1 {
		t.Fatalf("second assignment: restored %v, start %d, horizon %d; want the snapshot at 0, start 1, horizon 1",
			second.restored != nil, second.start, second.horizon)
	}
	h.p.deliver(h.p.bind(poll(h.raw, rawRecords(2, 1), nil)))
	settle(t, raw, 3)
	h.route(second, 1)
	got := h.sink.ids()
	for id, want := range map[string]int{"m0": 1, "m1": 1, "m2": 1} {
		if got[id] != want {
			t.Errorf("message %s written %d times, want %d; rows %v", id, got[id], want, got)
		}
	}
}

// TestARevokeLetsAnInFlightProduceFinish: a raw batch's bundles are being produced when the
// raw partition is revoked. Cancelling their context at once would make kgo fail every record
// buffered for the same repartition partitions, other workers' too; instead the revoke waits
// for the produce, which completes, and the batch's offset is committed with the revoke.
func TestARevokeLetsAnInFlightProduceFinish(t *testing.T) {
	h := newHarness(t)
	h.assign(h.rep())
	raw := h.assign(h.raw)
	slow := make(chan struct{})
	h.kafka.mu.Lock()
	h.kafka.slow = slow
	h.kafka.mu.Unlock()
	h.p.deliver(h.p.bind(poll(h.raw, rawRecords(0, 2), nil)))
	<-h.kafka.held
	revoked := make(chan struct{})
	go func() {
		h.revoke(h.raw)
		close(revoked)
	}()
	select {
	case <-revoked:
		t.Fatal("the revoke did not wait for the produce in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(slow)
	<-revoked
	if raw.progress.next.Load() != 2 {
		t.Errorf("the batch was not processed: next %d", raw.progress.next.Load())
	}
	h.kafka.mu.Lock()
	defer h.kafka.mu.Unlock()
	if got := h.kafka.committed[tp{h.raw, 0}]; got != 2 {
		t.Errorf("committed %d, want 2", got)
	}
}

// TestInputDeletedBeforeItWasReadIsReportedAsDataLoss: a raw partition is assigned with offset 2
// committed, and the first records the client returns for it start at 4: retention deleted
// offsets 2 and 3 before anyone read them, and kgo resumed at the log's new start without an
// error (seen in the chaos test on Apache Kafka, whose generated input is two years old). The
// member must say so: data loss in readiness and the metric. The records after the gap are
// routed.
func TestInputDeletedBeforeItWasReadIsReportedAsDataLoss(t *testing.T) {
	h := newHarness(t)
	h.kafka.mu.Lock()
	h.kafka.committed[tp{h.raw, 0}] = 2
	h.kafka.mu.Unlock()
	rep := h.assign(h.rep())
	raw := h.assign(h.raw)
	fetch := poll(h.raw, rawRecords(4, 2), nil)
	fetch[0].Topics[0].Partitions[0].LogStartOffset = 4
	h.p.deliver(h.p.bind(fetch))
	settle(t, raw, 6)
	h.route(rep, 0)

	var loss *kgo.ErrDataLoss
	if err := h.p.Ready(); !errors.As(err, &loss) || loss.ConsumedTo != 2 || loss.ResetTo != 4 {
		t.Errorf("ready: %v, want data loss from offset 2 to 4", err)
	}
	if n := counterValue(t, h.p.metrics.fetchErrors.WithLabelValues(h.raw, "data_loss")); n != 1 {
		t.Errorf("%v data-loss fetch errors counted, want 1", n)
	}
	got := h.sink.ids()
	for _, id := range []string{"m4", "m5"} {
		if got[id] != 1 {
			t.Errorf("message %s written %d times, want once; rows: %v", id, got[id], got)
		}
	}
}
