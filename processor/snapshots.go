package processor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Snapshots of a repartition partition's state live in partition p of the compacted topic
// <group>.state, one record each. A snapshot only shortens a restore: the state it holds is the
// state after applying the repartition log up to its offset, so a restore loads it and replays
// the records after it. It is written only once the rows of every record up to its offset are
// durable, so that the records it lets a restore skip never need writing again.

// StateTopic is the compacted topic of the partitions' state snapshots.
func (c Config) StateTopic() string { return c.Group + ".state" }

// snapshotKey is the key of every snapshot: compaction keeps only the latest of a partition.
var snapshotKey = []byte("snapshot")

// snapshotRecord wraps a state snapshot with the repartition offset it reflects.
func snapshotRecord(topic string, partition int32, offset int64, state []byte) *kgo.Record {
	value := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(state)), uint64(offset))
	return &kgo.Record{Topic: topic, Partition: partition, Key: snapshotKey, Value: append(value, state...)}
}

// loadSnapshot reads the latest snapshot of a partition: the repartition offset it reflects and
// the state bytes, or ok false when there is none. Older snapshots may precede it until
// compaction removes them, so the partition is read to its end.
func loadSnapshot(ctx context.Context, cfg Config, partition int32, extra ...kgo.Opt) (offset int64, state []byte, ok bool, err error) {
	topic := cfg.StateTopic()
	end, err := stateEnd(ctx, cfg, partition, extra...)
	if err != nil || end == 0 {
		return 0, nil, false, err
	}
	cl, err := newClient(cfg.Dial, extra,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {partition: kgo.NewOffset().AtStart()}}),
		kgo.FetchMaxBytes(maxSnapshotBytes+1<<20),
		kgo.FetchMaxPartitionBytes(maxSnapshotBytes+1<<20),
		// The records are there already; a fetch must not wait for more.
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	if err != nil {
		return 0, nil, false, err
	}
	defer cl.Close()
	var last *kgo.Record
	for next := int64(0); next < end; {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return 0, nil, false, err
		}
		if err := fetches.Err0(); err != nil {
			return 0, nil, false, fmt.Errorf("read %s[%d]: %w", topic, partition, err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			last, next = r, r.Offset+1
		})
	}
	if last == nil || len(last.Value) < 8 {
		return 0, nil, false, nil
	}
	return int64(binary.BigEndian.Uint64(last.Value)), last.Value[8:], true, nil
}

// stateEnd is the end offset of a partition of the state topic: 0 when it holds no snapshot.
func stateEnd(ctx context.Context, cfg Config, partition int32, extra ...kgo.Opt) (int64, error) {
	topic := cfg.StateTopic()
	cl, err := newClient(cfg.Dial, extra)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl.Client).ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("end offset of %s: %w", topic, err)
	}
	end, found := ends.Lookup(topic, partition)
	if !found || end.Err != nil {
		return 0, fmt.Errorf("end offset of %s[%d]: %w", topic, partition, errors.Join(end.Err, errNoPartition))
	}
	return end.Offset, nil
}

var errNoPartition = errors.New("no such partition")

// maxSnapshotBytes bounds a snapshot record; a larger state is not snapshotted and its
// partition is restored by replay.
const maxSnapshotBytes = 64 << 20
