package processor

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/partition"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
	"github.com/chatpulse/chatpulse/testenv"
)

// BenchmarkRestoreMillionPendingMessages measures what a new owner of a partition does before
// it can go on: read the kept snapshots from the state topic and rebuild the state, here a
// partition holding 1,000,000 messages that wait for receipts. The state partition holds that
// one snapshot, or a hundred older snapshots of the same size before it, written to the kept
// slots in turn, as it does until compaction runs: a restore's cost must follow the state, not
// the topic's length.
func BenchmarkRestoreMillionPendingMessages(b *testing.B) {
	kafka, err := testenv.StartKafka()
	if err != nil {
		b.Fatal(err)
	}
	defer kafka.Close()

	st := partition.New(partition.DefaultConfig(), 1)
	var out rows.Set
	const n = 1_000_000
	base := int64(1_707_836_960_000)
	for i := range n {
		ev := event.Event{Kind: event.KindMessage, Source: event.SourceCausalFoundry, AtMs: base + int64(i),
			Message: event.Message{ID: event.MsgID(fmt.Sprintf("3c6b469b-ef05-492d-988c-%012d", i)), ConversationID: "c",
				Sender: event.Actor{Role: event.RoleBot, ID: "b"}, Recipient: event.Recipient{Type: event.RecipientGroup, ID: "g"}}}
		st.Apply(route.KindMessage, &ev, &out)
		out.Reset()
	}
	data := st.AppendSnapshot(nil)

	runs := 0
	for _, older := range []int{0, 100} {
		b.Run(fmt.Sprintf("older-snapshots=%d", older), func(b *testing.B) {
			b.ReportAllocs()
			cfg := DefaultConfig()
			// A group of its own for every run (-count): the state partition must hold exactly
			// the snapshots written below.
			runs++
			cfg.Brokers, cfg.Group, cfg.Partitions = kafka.Brokers(), fmt.Sprintf("restore-bench-%d-%d", older, runs), 1
			ctx := context.Background()
			if err := EnsureTopics(ctx, cfg, slog.New(slog.DiscardHandler)); err != nil {
				b.Fatal(err)
			}
			// The in-process broker keeps every record in memory: a hundred 30 MB snapshots go
			// with the run's topics.
			defer deleteTopics(b, kafka.Brokers(), cfg.StateTopic(), cfg.RepartitionTopic(), cfg.DLQTopic)
			cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.ProducerBatchMaxBytes(maxSnapshotBytes+1<<20),
				kgo.RecordPartitioner(kgo.ManualPartitioner()))
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			for i := range older + 1 {
				// The older snapshots hold the same state at earlier offsets: as large as the
				// latest, so that reading them would show.
				offset := int64(n - older + i)
				if err := cl.ProduceSync(ctx, snapshotRecord(cfg.StateTopic(), 0, i%cfg.SnapshotsKept, offset, data)).FirstErr(); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				read := readSnapshots(ctx, cfg, []int32{0}, 1)[0]
				if read.err != nil || len(read.snaps) == 0 || read.snaps[0].offset != n {
					b.Fatalf("read: %d snapshots, err %v", len(read.snaps), read.err)
				}
				restored, err := partition.RestoreSnapshot(read.snaps[0].state, partition.DefaultConfig())
				if err != nil {
					b.Fatal(err)
				}
				if restored.Gauges().Messages != n {
					b.Fatalf("restored %d messages", restored.Gauges().Messages)
				}
			}
			b.ReportMetric(float64(len(data)), "snapshot-bytes")
		})
	}
}

// deleteTopics deletes topics, failing b when the broker refuses.
func deleteTopics(b *testing.B, brokers []string, topics ...string) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	resps, err := kadm.NewClient(cl).DeleteTopics(context.Background(), topics...)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		b.Fatalf("delete topics %v: %v", topics, err)
	}
}
