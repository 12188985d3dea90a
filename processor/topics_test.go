package processor_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// TestTopicsAreCreatedWithTheirRetention checks the configuration chatpulse gives the topics it
// creates: the repartition log keeps everything, the state topic is compacted, and the
// dead-letter topic keeps what CHATPULSE_DLQ_RETENTION says.
func TestTopicsAreCreatedWithTheirRetention(t *testing.T) {
	tests := []struct {
		name      string
		retention time.Duration
		want      string
	}{
		{"by default the dead-letter topic keeps every record", 0, "-1"},
		{"a dead-letter retention becomes the topic's retention.ms", 14 * 24 * time.Hour, "1209600000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kafka := testenv.KafkaForTest(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cfg := processor.DefaultConfig()
			cfg.Brokers = kafka.Brokers()
			cfg.InputTopics = processor.TopicFormats{"raw": decode.FormatAuto}
			cfg.DLQRetention = tt.retention
			if err := processor.EnsureTopics(ctx, cfg, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			cl, err := kgo.NewClient(kgo.SeedBrokers(kafka.Brokers()...))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			configs, err := kadm.NewClient(cl).DescribeTopicConfigs(ctx, cfg.DLQTopic, cfg.RepartitionTopic(), cfg.StateTopic())
			if err != nil {
				t.Fatal(err)
			}
			// The state topic rolls and compacts its segments soon enough that a broker keeps
			// a few snapshots per partition, not a week of them.
			want := []struct{ topic, key, value string }{
				{cfg.DLQTopic, "retention.ms", tt.want},
				{cfg.RepartitionTopic(), "retention.ms", "-1"},
				{cfg.RepartitionTopic(), "segment.ms", "600000"},
				{cfg.RepartitionTopic(), "segment.bytes", "67108864"},
				{cfg.StateTopic(), "cleanup.policy", "compact"},
				{cfg.StateTopic(), "segment.ms", "3600000"},
				{cfg.StateTopic(), "min.cleanable.dirty.ratio", "0.1"},
				{cfg.StateTopic(), "max.compaction.lag.ms", "10800000"},
				{cfg.StateTopic(), "max.message.bytes", "68157440"},
			}
			for _, w := range want {
				topic, kv := w.topic, [2]string{w.key, w.value}
				rc, err := configs.On(topic, nil)
				if err != nil {
					t.Fatal(err)
				}
				got := ""
				for _, c := range rc.Configs {
					if c.Key == kv[0] && c.Value != nil {
						got = *c.Value
					}
				}
				if got != kv[1] {
					t.Errorf("%s has %s %q, want %q", topic, kv[0], got, kv[1])
				}
			}
		})
	}
}
