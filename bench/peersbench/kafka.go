package peersbench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Keep is the retention of a topic holding replayed data: the generated records carry event times
// from 2024 as their timestamps, which any time-based retention would delete at once.
var Keep = map[string]*string{"retention.ms": ptr("-1")}

// Compacted is the configuration of a peer's output topic: the latest row per msg_id is the answer.
var Compacted = map[string]*string{"cleanup.policy": ptr("compact"), "retention.ms": ptr("-1")}

func ptr(s string) *string { return &s }

func admin(brokers []string) (*kgo.Client, *kadm.Client, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return nil, nil, fmt.Errorf("kafka client: %w", err)
	}
	return cl, kadm.NewClient(cl), nil
}

// CreateTopic creates topic with partitions and configs on a single-replica cluster; an existing
// topic is kept as it is.
func CreateTopic(ctx context.Context, brokers []string, topic string, partitions int32, configs map[string]*string) error {
	cl, adm, err := admin(brokers)
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := adm.CreateTopic(ctx, partitions, 1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}

// GroupLag is how many records of topics the group has not committed. A topic that does not exist
// yet (a peer's internal topic before the peer made it) counts as not caught up.
func GroupLag(ctx context.Context, brokers []string, group string, topics ...string) (int64, error) {
	cl, adm, err := admin(brokers)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return 0, fmt.Errorf("end offsets: %w", err)
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return 0, fmt.Errorf("offsets of group %s: %w", group, err)
	}
	var lag int64
	var firstErr error
	seen := map[string]bool{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("end offset of %s[%d]: %w", o.Topic, o.Partition, o.Err)
			}
			return
		}
		seen[o.Topic] = true
		var at int64
		if c, ok := committed.Lookup(o.Topic, o.Partition); ok && c.Err == nil && c.At >= 0 {
			at = c.At
		}
		lag += max(o.Offset-at, 0)
	})
	for _, t := range topics {
		if !seen[t] && firstErr == nil {
			firstErr = fmt.Errorf("topic %s: not there yet", t)
		}
	}
	return lag, firstErr
}

// WaitCaughtUp waits until GroupLag is zero, checking every poll, and fails after timeout or when
// alive says the process behind the group has died.
func WaitCaughtUp(ctx context.Context, brokers []string, group string, timeout, poll time.Duration, alive func() error, topics ...string) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		if err := alive(); err != nil {
			return err
		}
		lag, err := GroupLag(ctx, brokers, group, topics...)
		if err == nil && lag == 0 {
			return nil
		}
		last = err
		if err == nil {
			last = fmt.Errorf("%d records not committed", lag)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("group %s not caught up after %s: %w", group, timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// ReadLatest reads topic from the start to its last committed record, read_committed, and returns
// the latest value per key: a compacted row topic's answer.
func ReadLatest(ctx context.Context, brokers []string, topic string) (map[string][]byte, error) {
	cl, adm, err := admin(brokers)
	if err != nil {
		return nil, err
	}
	lso, err := adm.ListCommittedOffsets(ctx, topic)
	cl.Close()
	if err != nil {
		return nil, fmt.Errorf("committed end of %s: %w", topic, err)
	}
	// A partition is read once its last record is at most one offset (the commit marker of
	// the last transaction) before the stable end; an aborted tail leaves a larger gap, which
	// the idle limit covers.
	want := map[int32]int64{}
	lso.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
			want[o.Partition] = o.Offset
		}
	})
	out := map[string][]byte{}
	if len(want) == 0 {
		return out, nil
	}
	cl, err = kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	const idle = 5 * time.Second
	for len(want) > 0 {
		pctx, cancel := context.WithTimeout(ctx, idle)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var fetchErr error
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && fetchErr == nil {
				fetchErr = fmt.Errorf("read %s[%d]: %w", t, p, err)
			}
		})
		if fetchErr != nil {
			return nil, fetchErr
		}
		if fs.NumRecords() == 0 {
			break // nothing more within idle: the rest are markers of aborted transactions
		}
		fs.EachRecord(func(r *kgo.Record) {
			out[string(r.Key)] = r.Value
			if end, ok := want[r.Partition]; ok && r.Offset+2 >= end {
				delete(want, r.Partition)
			}
		})
	}
	return out, nil
}
