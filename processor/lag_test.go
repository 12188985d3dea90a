package processor

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/chatpulse/chatpulse/decode"
)

// TestLagIsNotZeroWhileTheGroupIsStillWorking lets the group make progress at the worst moment
// for Lag, between its two reads: a raw record's bundle is produced to the repartition topic and
// the raw offset committed, as a raw worker does, while Lag waits for the broker. Whichever read
// the progress comes before, the bundle is not committed yet, so the lag must not be zero.
func TestLagIsNotZeroWhileTheGroupIsStillWorking(t *testing.T) {
	tests := []struct {
		name string
		key  int16 // the request the progress happens before
	}{
		{"progress before the committed offsets are read", kmsg.OffsetFetch.Int16()},
		{"progress before the end offsets are listed", kmsg.ListOffsets.Int16()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			c, cfg, cl, adm := lagTopics(t, "lag")
			produce := func(topic string) {
				if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("x")}).FirstErr(); err != nil {
					t.Fatal(err)
				}
			}
			commit := func(topic string, at int64) {
				var o kadm.Offsets
				o.AddOffset(topic, 0, at, -1)
				if _, err := adm.CommitOffsets(ctx, cfg.Group, o); err != nil {
					t.Fatal(err)
				}
			}
			// One raw record and its bundle, the bundle's rows durable and committed; the raw
			// record's bundle for a second state not yet produced.
			produce("raw")
			produce(cfg.RepartitionTopic())
			commit(cfg.RepartitionTopic(), 1)

			progressed := false
			c.ControlKey(tt.key, func(kmsg.Request) (kmsg.Response, error, bool) {
				if !progressed {
					progressed = true
					c.SleepControl(func() {
						produce(cfg.RepartitionTopic())
						commit("raw", 1)
					})
				}
				c.DropControl()
				return nil, nil, false
			})
			lag, err := Lag(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !progressed {
				t.Fatal("the group made no progress during Lag")
			}
			if lag == 0 {
				t.Error("lag 0 while a repartition record is not committed")
			}
		})
	}
}

// TestACommitBeyondTheEndIsAnError: a partition whose log was truncated below its committed
// offset is not caught up, whatever the other partitions say.
func TestACommitBeyondTheEndIsAnError(t *testing.T) {
	var committed kadm.OffsetResponses = kadm.OffsetResponses{"raw": {0: {Offset: kadm.Offset{Topic: "raw", Partition: 0, At: 7}}}}
	ends := kadm.ListedOffsets{"raw": {0: {Topic: "raw", Partition: 0, Offset: 5}}, "other": {0: {Topic: "other", Offset: 3}}}
	if _, err := lagOf(committed, ends); err == nil {
		t.Fatal("no error for a commit beyond the end")
	}
}

// TestALagMeterFollowsTheGroupThroughOneClient reads the lag three times through one meter
// while the group commits, as the pipeline benchmark polls it, and checks every reading.
func TestALagMeterFollowsTheGroupThroughOneClient(t *testing.T) {
	ctx := context.Background()
	_, cfg, cl, adm := lagTopics(t, "meter")
	for _, topic := range []string{"raw", "raw", cfg.RepartitionTopic()} {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	m, err := NewLagMeter(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	steps := []struct {
		topic string
		at    int64
		want  int64
	}{
		{"raw", 1, 2},
		{"raw", 2, 1},
		{cfg.RepartitionTopic(), 1, 0},
	}
	for _, st := range steps {
		var o kadm.Offsets
		o.AddOffset(st.topic, 0, st.at, -1)
		if _, err := adm.CommitOffsets(ctx, cfg.Group, o); err != nil {
			t.Fatal(err)
		}
		lag, err := m.Lag(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if lag != st.want {
			t.Fatalf("lag %d after committing %s at %d, want %d", lag, st.topic, st.at, st.want)
		}
	}
}

// lagTopics starts a one-broker kfake cluster holding a one-partition raw topic and its
// repartition topic, and returns it with the config of group and a client of it; all are
// closed when the test ends.
func lagTopics(t *testing.T, group string) (*kfake.Cluster, Config, *kgo.Client, *kadm.Client) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cfg := DefaultConfig()
	cfg.Brokers, cfg.Group, cfg.Partitions = c.ListenAddrs(), group, 1
	cfg.InputTopics = TopicFormats{"raw": decode.FormatAuto}
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopics(context.Background(), 1, 1, nil, "raw", cfg.RepartitionTopic()); err != nil {
		t.Fatal(err)
	}
	return c, cfg, cl, adm
}
