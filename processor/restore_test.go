package processor

import (
	"context"
	"log/slog"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/testenv"
)

// TestARestoreReadsTheLatestSnapshotOfEveryPartition writes several snapshots to some state
// partitions and none to another; one read returns the last of each, and none for the empty one.
func TestARestoreReadsTheLatestSnapshotOfEveryPartition(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	cfg := DefaultConfig()
	cfg.Brokers, cfg.Group, cfg.Partitions = kafka.Brokers(), "latest-snapshots", 3
	ctx := context.Background()
	if err := EnsureTopics(ctx, cfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	written := map[int32][]int64{0: {10, 20, 30}, 2: {7}}
	for part, offsets := range written {
		for _, o := range offsets {
			rec := snapshotRecord(cfg.StateTopic(), part, o, []byte{byte(o)})
			if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := readLatestSnapshots(ctx, cfg, []int32{0, 1, 2})
	want := map[int32]snapshotRead{0: {offset: 30, state: []byte{30}, ok: true}, 1: {}, 2: {offset: 7, state: []byte{7}, ok: true}}
	for part, w := range want {
		g := got[part]
		if g.err != nil || g.ok != w.ok || g.offset != w.offset || string(g.state) != string(w.state) {
			t.Errorf("partition %d: got offset %d state %v ok %v err %v, want offset %d state %v ok %v",
				part, g.offset, g.state, g.ok, g.err, w.offset, w.state, w.ok)
		}
	}
}
