package processor

import (
	"context"
	"sync"
	"time"

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

// restore loads the latest snapshot of a repartition partition. It returns the offset to start
// fetching at and the restored state, or 0 and nil when the partition has no usable snapshot
// and must be rebuilt from the beginning of its log.
func (p *Processor) restore(ctx context.Context, part int32) (int64, *restoredState) {
	if p.cfg.SnapshotInterval == 0 {
		return 0, nil
	}
	started := time.Now()
	offset, data, ok, err := p.snapshot(ctx, part)
	if err != nil {
		p.log.Warn("snapshot unreadable, replaying the partition", "partition", part, "err", err)
		return 0, nil
	}
	if !ok {
		return 0, nil
	}
	st, err := partition.RestoreSnapshot(data, p.state)
	if err != nil {
		p.log.Warn("snapshot unusable, replaying the partition", "partition", part, "offset", offset, "err", err)
		return 0, nil
	}
	if st.Sources() != p.sources {
		// Input partitions were added: the snapshot's watermark would not wait for them.
		p.log.Warn("snapshot from another input layout, replaying the partition", "partition", part,
			"snapshot_sources", st.Sources(), "sources", p.sources)
		return 0, nil
	}
	return offset + 1, &restoredState{state: st, offset: offset, bytes: len(data), loading: time.Since(started)}
}

// restoreResult is where a repartition partition starts and the state it starts with.
type restoreResult struct {
	start int64
	state *restoredState
}

// restoreConcurrency bounds the snapshots loaded at once: each holds a whole state in memory.
const restoreConcurrency = 4

// restoreAll restores the given repartition partitions concurrently: an assignment waits for
// its slowest partition, not for the sum of them.
func (p *Processor) restoreAll(ctx context.Context, parts map[int32]kgo.Offset) map[int32]restoreResult {
	out := make(map[int32]restoreResult, len(parts))
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, restoreConcurrency)
	for part := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			start, st := p.restore(ctx, part)
			mu.Lock()
			out[part] = restoreResult{start, st}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}
