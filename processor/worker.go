package processor

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/backoff"
)

// worker owns one assigned partition: it alone touches that partition's state, so the state
// needs no locks. It runs from assignment until revocation or loss cancels its context.
type worker struct {
	p         *Processor
	cl        *kgo.Client
	topic     string
	partition int32
	log       *slog.Logger
	recs      chan []*kgo.Record
	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}
	// horizon is the committed offset of a repartition partition when it was assigned: records
	// below it were processed and their rows written before, so they only rebuild state.
	horizon atomic.Int64
	// initial is the state restored from a snapshot for a repartition partition, set before
	// fetching starts (under the processor's mutex), or nil.
	initial *restoredState
	// restoring is set while a repartition partition's state is being rebuilt.
	restoring atomic.Bool
	process   func(recs []*kgo.Record)
	// tick, when set, runs on the worker's goroutine every idleEvery (see idle.go).
	tick func()
	// progress and gauges are what metrics read of the partition at scrape time.
	progress progress
	gauges   stateGauges
	// ring keys a repartition partition's snapshots (see snapshots.go).
	ring *snapshotRing
}

// queuedBatches is how many fetched batches may wait for one partition's worker.
const queuedBatches = 2

func (p *Processor) newWorker(ctx context.Context, cl *kgo.Client, topic string, partition int32) *worker {
	wctx, cancel := context.WithCancel(ctx)
	w := &worker{
		p: p, cl: cl, topic: topic, partition: partition,
		log:  p.log.With("topic", topic, "partition", partition),
		recs: make(chan []*kgo.Record, queuedBatches),
		ctx:  wctx, cancel: cancel,
		done: make(chan struct{}),
	}
	w.progress.init()
	if topic == p.cfg.RepartitionTopic() {
		w.restoring.Store(true)
		w.ring = newSnapshotRing(p.cfg.SnapshotsKept)
		w.process = newStateTask(w).process
	} else {
		t := newRawTask(w, p.cfg.InputTopics[topic])
		w.process, w.tick = t.process, t.checkIdle
	}
	return w
}

func (w *worker) run() {
	defer close(w.done)
	var tick <-chan time.Time
	if w.tick != nil && w.p.cfg.IdleTimeout > 0 {
		tk := time.NewTicker(idleEvery(w.p.cfg.IdleTimeout))
		defer tk.Stop()
		tick = tk.C
	}
	for {
		select {
		case <-tick:
			w.tick()
		case <-w.ctx.Done():
			return
		case recs := <-w.recs:
			if w.ctx.Err() != nil {
				return
			}
			w.process(recs)
			w.progress.processed(recs[len(recs)-1].Offset + 1)
		}
	}
}

// mark makes the offset after last committable; the next autocommit or revoke commits it.
func (w *worker) mark(last *kgo.Record) {
	w.cl.MarkCommitOffsets(map[string]map[int32]kgo.EpochOffset{
		w.topic: {w.partition: {Epoch: last.LeaderEpoch, Offset: last.Offset + 1}},
	})
}

// retry runs op until it succeeds or the worker stops, backing off between attempts; it reports
// whether op succeeded.
func (w *worker) retry(what string, op func(context.Context) error) bool {
	err := backoff.Retry(w.ctx, backoff.Default, op, retriable,
		func(attempt int, err error, wait time.Duration) {
			w.log.Warn(what+" failed, retrying", "attempt", attempt, "backoff", wait, "err", err)
		})
	if err != nil && w.ctx.Err() == nil {
		// No retry cures it: this worker stops before it takes another batch (see fatal.go).
		w.cancel()
		w.log.Error(what+" failed for good", "err", err)
		w.p.fatal.fail(fmt.Errorf("%s of %s[%d]: %w", what, w.topic, w.partition, err))
	}
	return err == nil
}
