package processor

import (
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/partition"
)

// TestStatusReadsWhatTheWorkersKeep builds a member that owns a raw and two repartition
// partitions, sets the figures its workers publish, and checks that Status reports each where
// it belongs.
func TestStatusReadsWhatTheWorkersKeep(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Group = "g"
	p := &Processor{cfg: cfg, stats: newStats(), joined: true, workers: map[tp]*worker{}}
	add := func(topic string, part int32) *worker {
		w := &worker{topic: topic, partition: part}
		w.progress.init()
		p.workers[tp{topic, part}] = w
		return w
	}
	raw := add("chat", 3)
	raw.progress.end.Store(120)
	raw.progress.next.Store(100)
	p.stats.addRaw(TopicPartition{"chat", 3}, 100, 7)
	p.stats.addDeadLetters([]string{"malformed_json", "malformed_json", "unknown_kind"})
	p.stats.Events.Add(250)

	restored := add(cfg.RepartitionTopic(), 1)
	restored.gauges.publish(partition.Gauges{Messages: 10, Early: 2, OpenSessions: 3, WatermarkMs: 1_707_900_000_000})
	restored.restored = &restoredState{offset: 41, bytes: 2048, loading: 12 * time.Millisecond}
	restored.restoreTook.Store(int64(25 * time.Millisecond))
	restoring := add(cfg.RepartitionTopic(), 0)
	restoring.restoring.Store(true)
	p.stats.Restores.Add(1)
	p.stats.SnapshotRestores.Add(1)
	p.stats.RestoreNanos.Add(uint64(30 * time.Millisecond))

	st := p.Status()
	if st.Group != "g" || st.Ready == nil || st.MemberID != "" {
		t.Errorf("group %q, ready %v, member %q: want g, restoring, no client yet", st.Group, st.Ready, st.MemberID)
	}
	if st.Records != 100 || st.Events != 250 || st.DeadLetters != 3 || st.DeadLettersBy["malformed_json"] != 2 {
		t.Errorf("records %d, events %d, dead letters %d %v", st.Records, st.Events, st.DeadLetters, st.DeadLettersBy)
	}
	if st.Restores != 1 || st.SnapshotRestores != 1 || st.RestoreTime != 30*time.Millisecond {
		t.Errorf("restores %d (%d from a snapshot) in %s", st.Restores, st.SnapshotRestores, st.RestoreTime)
	}
	if len(st.Partitions) != 3 {
		t.Fatalf("%d partitions, want 3: %+v", len(st.Partitions), st.Partitions)
	}
	// Sorted by topic then partition: "chat" before "g.repartition".
	c, r0, r1 := st.Partitions[0], st.Partitions[1], st.Partitions[2]
	if c.Topic != "chat" || c.Repartition || !c.LagKnown || c.Lag != 20 || c.Records != 100 || c.Decoded != 93 || c.DeadLettered != 7 {
		t.Errorf("raw partition %+v: want lag 20, 100 records, 93 decoded, 7 dead", c)
	}
	if r0.Partition != 0 || !r0.Repartition || !r0.Restoring || r0.LagKnown || r0.Snapshot != nil {
		t.Errorf("restoring partition %+v", r0)
	}
	want := StateSize{Messages: 10, Pending: 2, Sessions: 3, Bytes: 10*heldMessageBytes + 2*pendingEntryBytes + 3*openSessionBytes}
	if r1.Partition != 1 || r1.Restoring || r1.State != want || r1.WatermarkMs != 1_707_900_000_000 || r1.RestoreTook != 25*time.Millisecond ||
		r1.Snapshot == nil || *r1.Snapshot != (SnapshotInfo{Offset: 41, Bytes: 2048, Loading: 12 * time.Millisecond}) {
		t.Errorf("restored partition %+v (snapshot %+v), want state %+v", r1, r1.Snapshot, want)
	}
}
