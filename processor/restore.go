package processor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/partition"
)

// restoredState is a partition's state loaded from its latest snapshot.
type restoredState struct {
	state   *partition.State
	offset  int64 // the repartition offset the snapshot reflects
	bytes   int
	loading time.Duration
}

// restore rebuilds a repartition partition's state from its latest snapshot, read. It returns
// the offset to start fetching at and the restored state, or 0 and nil when the partition has
// no usable snapshot and must be rebuilt from the beginning of its log.
func (p *Processor) restore(part int32, read snapshotRead, started time.Time) (int64, *restoredState) {
	if read.err != nil {
		p.log.Warn("snapshot unreadable, replaying the partition", "partition", part, "err", read.err)
		return 0, nil
	}
	if !read.ok {
		return 0, nil
	}
	st, err := partition.RestoreSnapshot(read.state, p.state)
	if err != nil {
		p.log.Warn("snapshot unusable, replaying the partition", "partition", part, "offset", read.offset, "err", err)
		return 0, nil
	}
	if st.Sources() != p.sources {
		// Input partitions were added: the snapshot's watermark would not wait for them.
		p.log.Warn("snapshot from another input layout, replaying the partition", "partition", part,
			"snapshot_sources", st.Sources(), "sources", p.sources)
		return 0, nil
	}
	return read.offset + 1, &restoredState{state: st, offset: read.offset, bytes: len(read.state), loading: time.Since(started)}
}

// restoreResult is where a repartition partition starts and the state it starts with.
type restoreResult struct {
	start int64
	state *restoredState
}

// restoreConcurrency bounds the snapshots decoded at once: each builds a whole state.
const restoreConcurrency = 4

// restoreAll restores the given repartition partitions: their latest snapshots are read
// together, then decoded concurrently, so that an assignment waits for its slowest partition,
// not for the sum of them.
func (p *Processor) restoreAll(ctx context.Context, offsets map[int32]kgo.Offset) map[int32]restoreResult {
	out := make(map[int32]restoreResult, len(offsets))
	if p.cfg.SnapshotInterval == 0 || len(offsets) == 0 {
		return out
	}
	started := time.Now()
	parts := make([]int32, 0, len(offsets))
	for part := range offsets {
		parts = append(parts, part)
	}
	reads := p.snapshots(ctx, parts)
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, restoreConcurrency)
	for _, part := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			start, st := p.restore(part, reads[part], started)
			mu.Lock()
			out[part] = restoreResult{start, st}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// snapshotRead is the latest snapshot of a state partition as read: the repartition offset it
// reflects and the state bytes, or ok false when there is none.
type snapshotRead struct {
	offset int64
	state  []byte
	ok     bool
	err    error
}

// readLatestSnapshots reads the latest snapshot of each of parts with one client. Every record
// of a state partition is a snapshot and the last one written is the latest, so only the last
// record is fetched: the cost follows the size of the state, not the length of the topic
// (older snapshots stay until compaction removes them).
func readLatestSnapshots(ctx context.Context, cfg Config, parts []int32, extra ...kgo.Opt) map[int32]snapshotRead {
	topic := cfg.StateTopic()
	out := make(map[int32]snapshotRead, len(parts))
	failAll := func(err error) map[int32]snapshotRead {
		for _, part := range parts {
			out[part] = snapshotRead{err: err}
		}
		return out
	}
	cl, err := newClient(cfg.Dial, extra,
		kgo.FetchMaxBytes(maxSnapshotBytes+1<<20),
		kgo.FetchMaxPartitionBytes(maxSnapshotBytes+1<<20),
		// The records are there already; a fetch must not wait for more.
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	if err != nil {
		return failAll(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl.Client).ListEndOffsets(ctx, topic)
	if err != nil {
		return failAll(fmt.Errorf("end offsets of %s: %w", topic, err))
	}
	last := make(map[int32]int64, len(parts)) // the offset of the record to read, by partition
	from := make(map[int32]kgo.Offset, len(parts))
	for _, part := range parts {
		end, found := ends.Lookup(topic, part)
		switch {
		case !found || end.Err != nil:
			out[part] = snapshotRead{err: fmt.Errorf("end offset of %s[%d]: %w", topic, part, errors.Join(end.Err, errNoPartition))}
		case end.Offset == 0:
			out[part] = snapshotRead{}
		default:
			last[part] = end.Offset - 1
			from[part] = kgo.NewOffset().At(end.Offset - 1)
		}
	}
	if len(last) == 0 {
		return out
	}
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: from})
	for len(last) > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			for part := range last {
				out[part] = snapshotRead{err: err}
			}
			break
		}
		fetches.EachError(func(t string, part int32, err error) {
			if _, ok := last[part]; ok {
				out[part] = snapshotRead{err: fmt.Errorf("read %s[%d]: %w", t, part, err)}
				delete(last, part)
			}
		})
		fetches.EachRecord(func(r *kgo.Record) {
			want, ok := last[r.Partition]
			if !ok || r.Offset < want {
				return
			}
			delete(last, r.Partition)
			if len(r.Value) < 8 {
				out[r.Partition] = snapshotRead{}
				return
			}
			out[r.Partition] = snapshotRead{offset: int64(binary.BigEndian.Uint64(r.Value)), state: r.Value[8:], ok: true}
		})
	}
	return out
}
