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
	for _, tt := range []struct {
		name    string
		want    int
		offsets map[int32][]int64
		all     map[int32]bool
	}{
		{"every kept snapshot is read when all are asked for", cfg.SnapshotsKept,
			map[int32][]int64{0: {200, 190, 180}, 1: nil, 2: {8}}, map[int32]bool{0: true, 1: true, 2: true}},
		// Partition 0's last record is of a slot beyond the kept ones, so the read goes on
		// with a window twice as large, which holds two snapshots.
		{"the newest snapshot alone is read when one is asked for", 1,
			map[int32][]int64{0: {200, 190}, 1: nil, 2: {8}}, map[int32]bool{0: false, 1: true, 2: false}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := readSnapshots(ctx, cfg, []int32{0, 1, 2}, tt.want)
			for part, all := range tt.all {
				if got[part].all != all {
					t.Errorf("partition %d: all read %v, want %v", part, got[part].all, all)
				}
			}
			checkSnapshotOffsets(t, got, tt.offsets)
		})
	}
}

// checkSnapshotOffsets checks that each partition's snapshots were read, newest first, at the
// offsets wanted, each with the state written for it.
func checkSnapshotOffsets(t *testing.T, got map[int32]snapshotsRead, want map[int32][]int64) {
	t.Helper()
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
