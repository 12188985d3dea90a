package processor

import (
	"context"
	"time"

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
	offset, data, ok, err := loadSnapshot(ctx, p.cfg, part, p.extra...)
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
