package processor

import (
	"context"
	"log/slog"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/testenv"
)

// TestARestoreReadsTheKeptSnapshotsOfEveryPartition writes several rounds of snapshots to the
// kept slots of some state partitions and none to another; one read returns the latest of each
// slot, newest first, and none for the empty one. Partition 0 holds many older rounds, so the
// read goes back from the end; partition 2 has written one slot only, so the read goes back to
// its start.
func TestARestoreReadsTheKeptSnapshotsOfEveryPartition(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	cfg := DefaultConfig()
	cfg.Brokers, cfg.Group, cfg.Partitions, cfg.SnapshotsKept = kafka.Brokers(), "kept-snapshots", 3, 3
	ctx := context.Background()
	if err := EnsureTopics(ctx, cfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	write := func(part int32, slot int, offset int64) {
		rec := snapshotRecord(cfg.StateTopic(), part, slot, offset, []byte{byte(offset)})
		if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	for o := int64(1); o <= 20; o++ {
		write(0, int(o)%3, o*10)
	}
	// A snapshot of a slot beyond the kept ones (from a larger CHATPULSE_SNAPSHOTS_KEPT) is
	// not a candidate.
	write(0, 5, 1000)
	write(2, 0, 7)
	write(2, 0, 8)
	got := readSnapshots(ctx, cfg, []int32{0, 1, 2})
	want := map[int32][]int64{0: {200, 190, 180}, 1: nil, 2: {8}}
	for part, offsets := range want {
		g := got[part]
		if g.err != nil {
			t.Errorf("partition %d: %v", part, g.err)
			continue
		}
		var have []int64
		for _, s := range g.snaps {
			have = append(have, s.offset)
			if s.state[0] != byte(s.offset) {
				t.Errorf("partition %d: snapshot at %d holds the state of %d", part, s.offset, s.state[0])
			}
		}
		if len(have) != len(offsets) {
			t.Errorf("partition %d: snapshots at %v, want %v", part, have, offsets)
			continue
		}
		for i := range have {
			if have[i] != offsets[i] {
				t.Errorf("partition %d: snapshots at %v, want %v", part, have, offsets)
				break
			}
		}
	}
}
