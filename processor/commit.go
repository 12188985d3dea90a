package processor

import (
	"context"
	"time"
)

// Offsets are committed as soon as the work they cover is done: a raw offset once its routed
// events are produced, a repartition offset once the sink reports its rows durable (mark). A
// mark wakes the committer, which commits every marked offset at once unless it committed
// less than CHATPULSE_COMMIT_SPACING ago; then it commits when that much time has passed, so
// that a busy member commits at most once per spacing however often it marks. kgo's
// autocommit every CHATPULSE_COMMIT_INTERVAL stays as the fallback that commits what a failed
// commit (during a rebalance, say) left marked.

// commitSoon asks the committer to commit the marked offsets; it never blocks.
func (p *Processor) commitSoon() {
	select {
	case p.commits <- struct{}{}:
	default: // a commit is asked for already; it will include this mark
	}
}

// startCommitting runs the committer on kafka until ctx ends; the returned func stops it and
// waits for it.
func (p *Processor) startCommitting(ctx context.Context, kafka taskClient) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		spacing := time.NewTimer(0)
		defer spacing.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-p.commits:
			}
			select {
			case <-ctx.Done():
				return
			case <-spacing.C:
			}
			// A failed commit keeps its offsets marked: the next commit, or the autocommit,
			// sends them again.
			if err := kafka.CommitMarkedOffsets(ctx); err != nil && ctx.Err() == nil {
				p.log.Debug("commit of durable work failed", "err", err)
			}
			spacing.Reset(p.cfg.CommitSpacing)
		}
	}()
	return func() { cancel(); <-done }
}
