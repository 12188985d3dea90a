package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// EnsureTopics creates the repartition and dead-letter topics when they are missing and checks
// that existing ones have the configured partition count, since ownership of every key depends
// on it.
func EnsureTopics(ctx context.Context, cfg Config, log *slog.Logger, extra ...kgo.Opt) error {
	cl, ctx, err := newCallClient(ctx, cfg.Dial, extra)
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl.Client)
	// The repartition log is replayed to rebuild state when there is no snapshot, so it keeps
	// every record; the state topic keeps the latest snapshot of each partition.
	configs := map[string]map[string]*string{
		cfg.RepartitionTopic(): {"retention.ms": ptr("-1")},
		cfg.DLQTopic:           {"retention.ms": ptr(retentionMs(cfg.DLQRetention))},
		cfg.StateTopic():       {"cleanup.policy": ptr("compact"), "max.message.bytes": ptr(fmt.Sprint(maxSnapshotBytes + 1<<20))},
	}
	for _, topic := range []string{cfg.RepartitionTopic(), cfg.DLQTopic, cfg.StateTopic()} {
		resp, err := adm.CreateTopic(ctx, cfg.Partitions, cfg.ReplicationFactor, configs[topic], topic)
		if err == nil {
			err = resp.Err
		}
		if err == nil {
			log.Info("created topic", "topic", topic, "partitions", cfg.Partitions)
			continue
		}
		if !isTopicExists(err) {
			return fmt.Errorf("create topic %s: %w", topic, cl.explain(err))
		}
		details, err := adm.ListTopics(ctx, topic)
		if err != nil {
			return fmt.Errorf("describe topic %s: %w", topic, cl.explain(err))
		}
		d := details[topic]
		if d.Err != nil {
			return fmt.Errorf("describe topic %s: %w", topic, d.Err)
		}
		if got := int32(len(d.Partitions)); got != cfg.Partitions {
			return fmt.Errorf("CHATPULSE_PARTITIONS is %d but topic %s has %d partitions; the count cannot change once the topic exists",
				cfg.Partitions, topic, got)
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// retentionMs is a topic's retention.ms for d; 0 keeps every record.
func retentionMs(d time.Duration) string {
	if d == 0 {
		return "-1"
	}
	return strconv.FormatInt(d.Milliseconds(), 10)
}

func isTopicExists(err error) bool { return errors.Is(err, kerr.TopicAlreadyExists) }

// inputPartitions counts the partitions of the input topics. An input topic that does not
// exist yet counts none, and is logged: until it exists, sessions close by the others' progress.
func inputPartitions(ctx context.Context, cfg Config, log *slog.Logger, extra ...kgo.Opt) (int, error) {
	cl, ctx, err := newCallClient(ctx, cfg.Dial, extra)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	topics := cfg.InputTopics.Topics()
	details, err := kadm.NewClient(cl.Client).ListTopics(ctx, topics...)
	if err != nil {
		return 0, fmt.Errorf("describe input topics: %w", cl.explain(err))
	}
	n := 0
	for _, topic := range topics {
		d, ok := details[topic]
		if !ok || d.Err != nil {
			log.Warn("input topic does not exist yet", "topic", topic)
			continue
		}
		n += len(d.Partitions)
	}
	return n, nil
}
