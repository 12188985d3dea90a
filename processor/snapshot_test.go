package processor_test

import (
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/testenv"
)

// TestAMemberRestoresFromSnapshotsInsteadOfReplaying runs half of a dataset through one member
// that snapshots its partitions, replaces it by another, and runs the rest: the new member
// starts its partitions from their snapshots, replays less than the whole log, and the views
// are exactly the generator's.
func TestAMemberRestoresFromSnapshotsInsteadOfReplaying(t *testing.T) {
	data := dataset(t, 1500)
	kafka := testenv.KafkaForTest(t)
	p := newPipeline(t, kafka, "raw", 12, "snapshots")
	p.cfg.SnapshotInterval = time.Millisecond

	half := len(data.Records) / 2
	p.produce(data.Records[:half], "raw")
	first := p.start("first")
	p.waitCaughtUp()
	written := first.proc.Stats().Snapshots.Load()
	if written == 0 {
		t.Fatal("no snapshot was written")
	}
	applied := first.proc.Stats().Applied.Load()
	first.leave(t)

	second := p.start("second")
	p.produce(data.Records[half:], "raw")
	p.waitCaughtUp()
	s := second.proc.Stats()
	if s.SnapshotRestores.Load() == 0 {
		t.Fatalf("no partition started from a snapshot (%d snapshots written, %d restores)", written, s.Restores.Load())
	}
	if s.Replayed.Load() >= applied {
		t.Fatalf("replayed %d events to restore, as many as the %d applied before: the snapshots saved nothing",
			s.Replayed.Load(), applied)
	}
	got := p.views()
	assertLines(t, "message_facts", got["message_facts"], data.Expected.MessageFactsLines())
	assertLines(t, "message_receipts", got["message_receipts"], data.Expected.MessageReceiptsLines())
}
