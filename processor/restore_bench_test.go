package processor

import (
	"context"
	"fmt"
	"log/slog"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/partition"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
	"github.com/chatpulse/chatpulse/testenv"
)

// BenchmarkRestoreMillionPendingMessages measures what a new owner of a partition does before
// it can go on: read the latest snapshot from the state topic and rebuild the state, here a
// partition holding 1,000,000 messages that wait for receipts.
func BenchmarkRestoreMillionPendingMessages(b *testing.B) {
	b.ReportAllocs()
	kafka, err := testenv.StartKafka()
	if err != nil {
		b.Fatal(err)
	}
	defer kafka.Close()
	cfg := DefaultConfig()
	cfg.Brokers, cfg.Group, cfg.Partitions = kafka.Brokers(), "restore-bench", 1
	ctx := context.Background()
	if err := EnsureTopics(ctx, cfg, slog.New(slog.DiscardHandler)); err != nil {
		b.Fatal(err)
	}

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
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.ProducerBatchMaxBytes(maxSnapshotBytes+1<<20))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, snapshotRecord(cfg.StateTopic(), 0, 0, n, data)).FirstErr(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		snaps, err := loadSnapshots(ctx, cfg, 0)
		if err != nil || len(snaps) != 1 || snaps[0].offset != n {
			b.Fatalf("load: %d snapshots, err %v", len(snaps), err)
		}
		restored, err := partition.RestoreSnapshot(snaps[0].state, partition.DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		if restored.Gauges().Messages != n {
			b.Fatalf("restored %d messages", restored.Gauges().Messages)
		}
	}
	b.ReportMetric(float64(len(data)), "snapshot-bytes")
}
