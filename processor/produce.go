package processor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// RawRecord is a raw record to write to an input topic.
type RawRecord struct {
	Key, Value  []byte
	TimestampMs int64 // 0 lets the broker client stamp the current time
}

// Produce writes records to topic, spread over its partitions by key, and waits until every
// one is acknowledged. Batches stay within the topic's max.message.bytes, which the broker
// enforces; a record larger than that fails with the broker's MESSAGE_TOO_LARGE.
func Produce(ctx context.Context, dial Dial, topic string, recs []RawRecord, extra ...kgo.Opt) error {
	batch, err := produceBatchBytes(ctx, dial, topic, extra)
	if err != nil {
		return err
	}
	cl, ctx, err := newCallClient(ctx, dial, extra,
		kgo.DefaultProduceTopic(topic),
		kgo.ProducerBatchMaxBytes(batch),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	const chunk = 5000
	out := make([]*kgo.Record, 0, chunk)
	for start := 0; start < len(recs); start += chunk {
		out = out[:0]
		for _, r := range recs[start:min(start+chunk, len(recs))] {
			rec := &kgo.Record{Key: r.Key, Value: r.Value}
			if r.TimestampMs > 0 {
				rec.Timestamp = time.UnixMilli(r.TimestampMs)
			}
			out = append(out, rec)
		}
		if err := cl.ProduceSync(ctx, out...).FirstErr(); err != nil {
			return fmt.Errorf("produce to %s: %w", topic, cl.explain(err))
		}
	}
	return nil
}

// ProduceLines writes every non-empty line of r to topic as one record without a key.
func ProduceLines(ctx context.Context, dial Dial, topic string, r io.Reader, extra ...kgo.Opt) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	var recs []RawRecord
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		recs = append(recs, RawRecord{Value: append([]byte(nil), sc.Bytes()...)})
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read lines: %w", err)
	}
	return len(recs), Produce(ctx, dial, topic, recs, extra...)
}

// CreateTopic creates an input topic with the given partition count if it does not exist.
func CreateTopic(ctx context.Context, dial Dial, topic string, partitions int32, extra ...kgo.Opt) error {
	cl, ctx, err := newCallClient(ctx, dial, extra)
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl.Client).CreateTopic(ctx, partitions, -1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !isTopicExists(err) {
		return fmt.Errorf("create topic %s: %w", topic, cl.explain(err))
	}
	return nil
}

// produceBatchBytes is the largest batch to build for topic: its max.message.bytes, at most
// 16 MiB. A topic that does not exist yet gets the broker's default when it is created.
func produceBatchBytes(ctx context.Context, dial Dial, topic string, extra []kgo.Opt) (int32, error) {
	cl, ctx, err := newCallClient(ctx, dial, extra)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	n, err := maxMessageBytes(ctx, cl, topic)
	if errors.Is(err, kerr.UnknownTopicOrPartition) {
		return kafkaDefaultMessageBytes, nil
	}
	if err != nil {
		return 0, err
	}
	return min(n, 16<<20), nil
}
