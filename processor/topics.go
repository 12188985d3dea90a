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

	"github.com/chatpulse/chatpulse/route"
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
	// The repartition log keeps every record until the purge (purge.go) deletes what no restore
	// can need. A broker frees disk only in whole segments below the log's start, so the
	// repartition log rolls a segment every ten minutes or 64 MiB instead of every 7 days or
	// 1 GiB: purged records leave the disk within minutes. The state topic is compacted:
	// compaction keeps the latest record of each key, and each partition writes its snapshots
	// under SnapshotsKept keys in turn (snapshots.go).
	// A broker compacts only closed segments, and only once enough of the log is dirty: the
	// state topic rolls a segment every hour, is compacted once a tenth of it is superseded and
	// at the latest three hours after a write, so that it holds a few snapshots per partition
	// instead of every snapshot of the last week (segment.ms defaults to 7 days).
	configs := map[string]map[string]*string{
		cfg.RepartitionTopic(): {
			"retention.ms":  ptr("-1"),
			"segment.ms":    ptr("600000"),
			"segment.bytes": ptr(fmt.Sprint(64 << 20)),
		},
		cfg.DLQTopic: {"retention.ms": ptr(retentionMs(cfg.DLQRetention))},
		cfg.StateTopic(): {
			"cleanup.policy":            ptr("compact"),
			"max.message.bytes":         ptr(fmt.Sprint(stateMaxMessageBytes)),
			"segment.ms":                ptr("3600000"),
			"min.cleanable.dirty.ratio": ptr("0.1"),
			"max.compaction.lag.ms":     ptr("10800000"),
		},
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
		if errors.Is(err, kerr.InvalidReplicationFactor) {
			// Brokers of a new cluster may still be registering, or there are too few of them:
			// the caller waits either way, and the variable to check is named.
			factor := fmt.Sprint(cfg.ReplicationFactor)
			if cfg.ReplicationFactor == -1 {
				factor = "-1, the brokers' default.replication.factor,"
			}
			return fmt.Errorf("create topic %s: the replication factor (CHATPULSE_REPLICATION_FACTOR %s) exceeds the brokers registered so far: %w",
				topic, factor, err)
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

// stateMaxMessageBytes is the state topic's max.message.bytes when chatpulse creates it: room
// for the largest snapshot and its record's framing.
const stateMaxMessageBytes = maxSnapshotBytes + 1<<20

// minMessageBytes is the least max.message.bytes the repartition and dead-letter topics may
// have: one raw record's routed events, a bundle's worth more, and a dead letter must fit.
const minMessageBytes = 1 << 20

// limits are the record and batch sizes the brokers accept on chatpulse's topics, from each
// topic's max.message.bytes (the broker's message.max.bytes unless the topic overrides it;
// 1 MiB by default). A produce request carrying a larger batch fails with MESSAGE_TOO_LARGE,
// which no retry cures, so the client never builds one.
type limits struct {
	// batch caps a producer batch of the consumer group's client, which writes the
	// repartition and dead-letter topics.
	batch int32
	// state caps a batch of the snapshot producer; snapshot caps a snapshot's bytes.
	state    int32
	snapshot int
	// deadLetter caps the original value a dead letter keeps, leaving room for key and headers.
	deadLetter int
	// bundle is the size at which a bundle is closed (see route.MaxBundleBytes).
	bundle int
}

// recordOverhead is room for a record's framing, its key and a batch header around it.
const recordOverhead = 16 << 10

func newLimits(repartition, dlq, state int32) limits {
	batch := min(repartition, dlq)
	return limits{
		batch:      batch,
		state:      state,
		snapshot:   min(maxSnapshotBytes, int(state)-recordOverhead),
		deadLetter: min(maxDeadLetterValue, int(dlq)-8*recordOverhead),
		bundle:     min(route.MaxBundleBytes, int(repartition)/4),
	}
}

// defaultLimits are the limits of topics as chatpulse creates them on a broker with defaults.
func defaultLimits() limits {
	return newLimits(kafkaDefaultMessageBytes, kafkaDefaultMessageBytes, stateMaxMessageBytes)
}

// topicLimits reads max.message.bytes of the repartition, dead-letter and state topics. It
// refuses repartition and dead-letter topics below minMessageBytes, naming the topic; a state
// topic that does not allow the largest snapshot is logged, and larger states go unsnapshotted.
func topicLimits(ctx context.Context, cfg Config, log *slog.Logger, extra ...kgo.Opt) (limits, error) {
	cl, ctx, err := newCallClient(ctx, cfg.Dial, extra)
	if err != nil {
		return limits{}, err
	}
	defer cl.Close()
	topics := []string{cfg.RepartitionTopic(), cfg.DLQTopic, cfg.StateTopic()}
	var got [3]int32
	for i, topic := range topics {
		if got[i], err = maxMessageBytes(ctx, cl, topic); err != nil {
			return limits{}, err
		}
		if i < 2 && got[i] < minMessageBytes {
			return limits{}, fmt.Errorf("topic %s has max.message.bytes %d; chatpulse needs at least %d", topic, got[i], minMessageBytes)
		}
	}
	if got[2] < stateMaxMessageBytes {
		log.Warn("state topic accepts smaller records than the largest snapshot; larger states are restored by replay",
			"topic", cfg.StateTopic(), "max.message.bytes", got[2], "want", stateMaxMessageBytes)
	}
	return newLimits(got[0], got[1], got[2]), nil
}

// kafkaDefaultMessageBytes is Apache Kafka's default message.max.bytes.
const kafkaDefaultMessageBytes = 1048588

// maxMessageBytes is a topic's max.message.bytes as the broker applies it: the topic's own, or
// the broker's default.
func maxMessageBytes(ctx context.Context, cl client, topic string) (int32, error) {
	described, err := kadm.NewClient(cl.Client).DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("describe topic %s: %w", topic, cl.explain(err))
	}
	rc, err := described.On(topic, nil)
	if err == nil {
		err = rc.Err
	}
	if err != nil {
		return 0, fmt.Errorf("describe topic %s: %w", topic, err)
	}
	for _, c := range rc.Configs {
		if c.Key != "max.message.bytes" || c.Value == nil {
			continue
		}
		n, err := strconv.ParseInt(*c.Value, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("topic %s: max.message.bytes %q: %w", topic, *c.Value, err)
		}
		return int32(n), nil
	}
	return kafkaDefaultMessageBytes, nil
}
