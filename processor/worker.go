package processor

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/backoff"
)

// taskClient is what a partition's task needs of Kafka: produce, and mark offsets that the
// member commits. *kgo.Client is one; the broker-free tests use an in-memory one.
type taskClient interface {
	ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults
	// TryProduce never blocks: with the client's buffer full it fails the record at once.
	TryProduce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error))
	MarkCommitOffsets(map[string]map[int32]kgo.EpochOffset)
	CommitMarkedOffsets(ctx context.Context) error
}

// worker is one assignment of one partition to this member, and the goroutine that alone
// touches that partition's state, so the state needs no locks. It is created when the
// partition's fetch offsets are decided (adjustOffsets), with everything the assignment fixes:
// its generation, where fetching starts, the horizon and the restored state. It runs until the
// revoke or loss that ends the assignment cancels its context; a later assignment of the same
// partition is a new worker with a new generation, never this one again.
type worker struct {
	p         *Processor
	kafka     taskClient
	snapshots snapshotClient
	topic     string
	partition int32
	// gen is unique among this member's assignments; a batch carries the generation of the
	// assignment it was fetched under.
	gen uint64
	// start is the offset fetching starts at (negative: the log's start).
	start int64
	// horizon is the committed offset of a repartition partition when it was assigned: records
	// below it were processed and their rows written before, so they only rebuild state.
	horizon int64
	// restored is the state loaded from a snapshot for a repartition partition, or nil.
	restored *restoredState
	log      *slog.Logger
	recs     chan batch
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}
	// restoring is set while a repartition partition's state is being rebuilt; restoreTook is
	// how long that took (nanoseconds), set when it ends.
	restoring   atomic.Bool
	restoreTook atomic.Int64
	process     func(recs []*kgo.Record)
	// tick, when set, runs on the worker's goroutine every tickEvery: a raw partition's check
	// for idleness (idle.go), a repartition partition's for an idle snapshot (state.go).
	tick      func()
	tickEvery time.Duration
	// progress and gauges are what metrics read of the partition at scrape time.
	progress progress
	gauges   stateGauges
	// ring keys a repartition partition's snapshots (see snapshots.go).
	ring *snapshotRing
	// firstChecked is the poll goroutine's alone (startsWhereHandedOver).
	firstChecked bool

	// marks guards ended: once the assignment ends no mark of it may reach the client, so
	// that a late acknowledgement cannot make this member commit a partition it gave away.
	marks sync.Mutex
	ended bool
}

// batch is records of one partition as one poll returned them, with the generation of the
// assignment they were fetched under.
type batch struct {
	gen  uint64
	recs []*kgo.Record
}

// queuedBatches is how many fetched batches may wait for one partition's worker.
const queuedBatches = 2

// newWorker returns the worker of a new assignment; run starts it.
func (p *Processor) newWorker(ctx context.Context, topic string, partition int32, start, horizon int64, restored *restoredState) *worker {
	wctx, cancel := context.WithCancel(ctx)
	w := &worker{
		p: p, kafka: p.kafka, snapshots: p.snapshotProducer, topic: topic, partition: partition,
		gen: p.generations.Add(1), start: start, horizon: horizon, restored: restored,
		recs: make(chan batch, queuedBatches),
		ctx:  wctx, cancel: cancel,
		done: make(chan struct{}),
	}
	w.log = p.log.With("topic", topic, "partition", partition, "generation", w.gen)
	w.progress.init()
	if topic == p.cfg.RepartitionTopic() {
		if restored != nil {
			w.gauges.publish(restored.state.Gauges())
		}
		// With nothing to replay, the state is whole as soon as fetching starts.
		w.restoring.Store(horizon > max(start, 0))
		w.ring = newSnapshotRing(p.cfg.SnapshotsKept)
		t := newStateTask(w)
		w.process = t.process
		if p.cfg.SnapshotInterval > 0 {
			w.tick, w.tickEvery = t.checkIdle, idleEvery(p.cfg.SnapshotInterval)
		}
	} else {
		t := newRawTask(w, p.cfg.InputTopics[topic])
		w.process = t.process
		if p.cfg.IdleTimeout > 0 {
			w.tick, w.tickEvery = t.checkIdle, idleEvery(p.cfg.IdleTimeout)
		}
	}
	return w
}

func (w *worker) run() {
	defer close(w.done)
	var tick <-chan time.Time
	if w.tick != nil {
		tk := time.NewTicker(w.tickEvery)
		defer tk.Stop()
		tick = tk.C
	}
	for {
		select {
		case <-tick:
			w.tick()
		case <-w.ctx.Done():
			return
		case b := <-w.recs:
			if w.ctx.Err() != nil {
				return
			}
			if b.gen != w.gen {
				// Delivery binds a batch to its assignment's worker, so this cannot happen; a
				// stale batch applied here would lose or repeat records.
				w.log.Error("batch of another assignment dropped", "batch_generation", b.gen)
				continue
			}
			w.process(b.recs)
			w.progress.processed(b.recs[len(b.recs)-1].Offset + 1)
		}
	}
}

// mark makes the offset after last committable and asks the committer to commit it soon
// (commit.go). It does nothing once the assignment has ended: the partition may belong to
// another member.
func (w *worker) mark(last *kgo.Record) {
	w.marks.Lock()
	defer w.marks.Unlock()
	if w.ended {
		return
	}
	w.kafka.MarkCommitOffsets(map[string]map[int32]kgo.EpochOffset{
		w.topic: {w.partition: {Epoch: last.LeaderEpoch, Offset: last.Offset + 1}},
	})
	w.p.commitSoon()
}

// end closes the assignment to marks; a mark running concurrently completes first.
func (w *worker) end() {
	w.marks.Lock()
	w.ended = true
	w.marks.Unlock()
}

// produceContext is the context of one produce: it ends HandoffTimeout after the worker's,
// not with it. kgo fails every record buffered for a partition when the context of the record
// at its head is canceled, so cancelling a revoked worker's records at once would also fail
// the records other workers of this member buffered for the same repartition partition.
// Instead the revoke waits, at most that long, for the produce to finish.
func (w *worker) produceContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(w.ctx))
	stop := context.AfterFunc(w.ctx, func() { time.AfterFunc(w.p.cfg.HandoffTimeout, cancel) })
	return ctx, func() {
		stop()
		cancel()
	}
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
