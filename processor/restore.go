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

// restore loads the latest usable snapshot of a repartition partition, falling back on older
// ones (see snapshots.go). It returns the offset to start fetching at and the restored state,
// or 0 and nil when the partition has no usable snapshot and must be rebuilt from the
// beginning of its log.
func (p *Processor) restore(ctx context.Context, part int32) (int64, *restoredState) {
	if p.cfg.SnapshotInterval == 0 {
		p.replayWithoutSnapshot(ctx, part, 0)
		return 0, nil
	}
	started := time.Now()
	snaps, err := loadSnapshots(ctx, p.cfg, part, p.extra...)
	if err != nil {
		p.log.Warn("snapshots unreadable, replaying the partition", "partition", part, "err", err)
		return 0, nil
	}
	for _, s := range snaps {
		if st := p.usable(ctx, part, s); st != nil {
			return s.offset + 1, &restoredState{state: st, offset: s.offset, bytes: len(s.state), loading: time.Since(started)}
		}
	}
	p.replayWithoutSnapshot(ctx, part, len(snaps))
	return 0, nil
}
