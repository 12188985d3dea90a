package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/backoff"
	"github.com/chatpulse/chatpulse/partition"
	"github.com/chatpulse/chatpulse/rows"
)

// RowWriter takes the rows of a partition's batch and calls ack once they are durable. The
// rows' strings are parts of the batch's fetched records and valid only during Submit: a
// writer copies what it keeps (sink.Writer does).
type RowWriter interface {
	Submit(ctx context.Context, set *rows.Set, ack func()) error
	// Flush returns once everything submitted before the call is durable.
	Flush(ctx context.Context) error
}

// Processor is one worker of the consumer group.
type Processor struct {
	cfg     Config
	state   partition.Config
	sink    RowWriter
	log     *slog.Logger
	extra   []kgo.Opt
	stats   *Stats
	metrics *metrics
	client  *kgo.Client

	// sources is how many raw partitions feed every repartition partition.
	sources int
	joined  bool  // the member has had an assignment, guarded by mu
	waiting error // why the brokers could not be reached at start, guarded by mu

	// kafka is the group's client as the partitions' tasks use it, guarded by mu.
	kafka taskClient
	// snapshotProducer writes snapshots (see snapshots.go); readSnapshots reads the kept
	// snapshots of repartition partitions (readSnapshots in restore.go). Tests without a broker
	// set both.
	snapshotProducer snapshotClient
	readSnapshots    func(ctx context.Context, parts []int32, want int) map[int32]snapshotsRead
	// generations counts this member's assignments.
	generations atomic.Uint64
	// commits wakes the committer (commit.go) when an offset is marked.
	commits chan struct{}

	mu        sync.Mutex
	workers   map[tp]*worker      // the assignments this member runs now
	starting  map[tp]bool         // assigned, but fetch offsets not decided yet
	fetchErrs map[tp]fetchFailure // the latest fetch error of a partition, until a fetch succeeds
	workerCtx context.Context     // the client's context, which the workers run under

	// limits, purges and fatal: see topics.go, purge.go and fatal.go.
	limits limits
	purges purges
	fatal  fatal
}

type tp struct {
	topic     string
	partition int32
}

// New returns a processor; extra client options (TLS, SASL, test hooks) are appended to its own.
func New(cfg Config, state partition.Config, sink RowWriter, log *slog.Logger, extra ...kgo.Opt) (*Processor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := state.Validate(); err != nil {
		return nil, err
	}
	p := &Processor{
		cfg: cfg, state: state, sink: sink, log: log, extra: extra,
		stats:     newStats(),
		metrics:   newMetrics(),
		workers:   make(map[tp]*worker),
		starting:  make(map[tp]bool),
		fetchErrs: make(map[tp]fetchFailure),
		limits:    defaultLimits(),
		commits:   make(chan struct{}, 1),
	}
	p.readSnapshots = func(ctx context.Context, parts []int32, want int) map[int32]snapshotsRead {
		return readSnapshots(ctx, cfg, parts, want, extra...)
	}
	return p, nil
}

// Stats returns the processor's live counters.
func (p *Processor) Stats() *Stats { return p.stats }

// Ready reports why the member cannot serve yet: it has not been assigned partitions, the
// state of an assigned partition is still being rebuilt, or fetching a partition fails (see
// fetched). A partition with nothing to replay is ready as soon as its fetching starts.
func (p *Processor) Ready() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.joined {
		if p.waiting != nil {
			return fmt.Errorf("waiting for Kafka: %w", p.waiting)
		}
		return errors.New("not assigned partitions yet")
	}
	for key := range p.starting {
		return fmt.Errorf("starting %s[%d]", key.topic, key.partition)
	}
	for key, w := range p.workers {
		if w.restoring.Load() {
			return fmt.Errorf("restoring the state of %s[%d]", key.topic, key.partition)
		}
	}
	now := time.Now()
	for key, f := range p.fetchErrs {
		if f.current(now) {
			return fmt.Errorf("fetching %s[%d]: %w", key.topic, key.partition, f.err)
		}
	}
	return nil
}

// Run consumes until ctx ends, then hands its partitions back: workers stop, rows already
// submitted are flushed and their offsets committed, and the member leaves the group.
func (p *Processor) Run(ctx context.Context) error {
	p.cfg.warn(p.log)
	ctx, p.fatal.abort = context.WithCancelCause(ctx)
	if err := p.prepare(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	topics := append(p.cfg.InputTopics.Topics(), p.cfg.RepartitionTopic())
	opts := append([]kgo.Opt{
		kgo.ConsumerGroup(p.cfg.Group),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(p.cfg.FetchMaxBytes),
		kgo.FetchMaxPartitionBytes(p.cfg.FetchMaxPartitionBytes),
		// A fetch waiting for data on idle partitions delays partitions that become fetchable
		// while it waits: one assigned or validated later (see repartitionStart) joins only the
		// next fetch. Kafka's own consumer waits half a second; a tenth costs an idle member ten
		// empty fetches a second per broker instead of two.
		kgo.FetchMaxWait(fetchMaxWait),
		kgo.SessionTimeout(p.cfg.SessionTimeout),
		kgo.AutoCommitMarks(),
		kgo.BlockRebalanceOnPoll(),
		kgo.AutoCommitInterval(p.cfg.CommitInterval),
		kgo.OnPartitionsAssigned(p.assigned),
		kgo.OnPartitionsRevoked(p.revoked),
		kgo.OnPartitionsLost(p.lost),
		kgo.AdjustFetchOffsetsFn(p.adjustOffsets),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		// Batches the brokers accept on the repartition and dead-letter topics; snapshots have a
		// client of their own.
		kgo.ProducerBatchMaxBytes(p.limits.batch),
		kgo.ProducerLinger(0),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.WithLogger(kgoLogger{p.log}),
	}, p.extra...)
	if p.metrics.kafka != nil {
		opts = append(opts, kgo.WithHooks(p.metrics.kafka))
	}
	if p.cfg.GroupProtocol == GroupConsumer {
		// The default cooperative-sticky balancer maps to the broker's uniform assignor.
		opts = append(opts, kgo.ServerSideBalancer())
	}
	if p.cfg.InstanceID != "" {
		opts = append(opts, kgo.InstanceID(p.cfg.InstanceID))
	}
	// The snapshot producer exists before the group is joined: acknowledgements publish to it.
	snapshots, err := newSnapshotProducer(p.cfg, p.limits, p.extra)
	if err != nil {
		return err
	}
	defer closeSnapshotProducer(snapshots)
	p.mu.Lock()
	p.snapshotProducer = snapshots
	p.mu.Unlock()
	dialed, err := newClient(p.cfg.Dial, nil, opts...)
	if err != nil {
		return err
	}
	cl := dialed.Client
	p.mu.Lock()
	p.client = cl // also read by Status
	p.mu.Unlock()
	p.log.Info("consuming", "group", p.cfg.Group, "input", p.cfg.InputTopics.String(),
		"repartition", p.cfg.RepartitionTopic(), "partitions", p.cfg.Partitions)

	stopPurging := p.startPurging(ctx, cl)
	stopCommitting := p.startCommitting(ctx, cl)
	err = p.poll(ctx)
	stopCommitting()
	stopPurging()
	// Close leaves the group (a static member stays in it), which runs the revoke callback:
	// workers stop, the sink flushes, and marked offsets are committed before the partitions
	// go to another member.
	cl.Close()
	p.log.Info("left the group", "group", p.cfg.Group)
	return errors.Join(err, p.fatal.cause(ctx))
}

// prepare creates chatpulse's topics and counts the input partitions. A worker may start
// before its brokers: while they cannot be reached it retries with backoff and says so in
// Ready; refused credentials, an untrusted certificate or a wrong partition count end it.
func (p *Processor) prepare(ctx context.Context) error {
	p.setWaiting(errors.New("connecting"))
	defer p.setWaiting(nil)
	var sources int
	err := backoff.Retry(ctx, backoff.Default, func(ctx context.Context) error {
		if err := EnsureTopics(ctx, p.cfg, p.log, p.extra...); err != nil {
			return err
		}
		var err error
		if sources, err = inputPartitions(ctx, p.cfg, p.log, p.extra...); err != nil {
			return err
		}
		p.limits, err = topicLimits(ctx, p.cfg, p.log, p.extra...)
		return err
	}, unreachable, func(attempt int, err error, wait time.Duration) {
		p.setWaiting(err)
		p.log.Warn("kafka not reachable, retrying", "attempt", attempt, "backoff", wait, "err", err)
	})
	p.sources = sources
	return err
}

func (p *Processor) setWaiting(err error) {
	p.mu.Lock()
	p.waiting = err
	p.mu.Unlock()
}

func (p *Processor) poll(ctx context.Context) error {
	cl := p.client
	for {
		fetches := cl.PollRecords(ctx, 10_000)
		if fetches.IsClientClosed() || ctx.Err() != nil {
			cl.AllowRebalance()
			return nil
		}
		// The fence between assignments: with BlockRebalanceOnPoll no revoke or assignment runs
		// between PollRecords and AllowRebalance, so the workers bind finds are the ones of the
		// assignments these records were fetched under. Delivery may then block on a full queue
		// (the normal state during a ClickHouse outage) while a rebalance proceeds; a revoke
		// ends the bound worker and its batch is dropped, never handed to the worker of a
		// later assignment of the same partition. Blocking the rebalance for the whole delivery
		// instead would hold it for as long as ClickHouse is down.
		bound := p.bind(fetches)
		cl.AllowRebalance()
		p.deliver(bound)
	}
}

// delivery is a batch bound to the worker of the assignment it was fetched under.
type delivery struct {
	w *worker
	b batch
}

// bind records the fetch errors of a poll and pairs every partition's records with the worker
// that owns the partition now; it must run before the rebalance that could end that ownership.
func (p *Processor) bind(fetches kgo.Fetches) []delivery {
	var out []delivery
	fetches.EachPartition(func(ftp kgo.FetchTopicPartition) {
		key := tp{ftp.Topic, ftp.Partition}
		p.fetched(key, ftp.Err)
		p.mu.Lock()
		w := p.workers[key]
		p.mu.Unlock()
		if w == nil {
			return // revoked before this poll; the next owner reads these records again
		}
		if ftp.Err == nil {
			w.progress.fetched(ftp.HighWatermark, ftp.Records)
		}
		if len(ftp.Records) == 0 {
			return
		}
		p.startsWhereHandedOver(w, ftp.Records[0].Offset, ftp.LogStartOffset)
		out = append(out, delivery{w, batch{gen: w.gen, recs: ftp.Records}})
	})
	return out
}

// startsWhereHandedOver checks the first records fetched for a raw partition's assignment
// against the committed offset the assignment was handed (w.start). When they start past it,
// the records in between are gone from the broker's log: retention deleted them before any
// member read them (a retention.ms shorter than the input's age, counted from record
// timestamps), and kgo resumed at the log's new start without a fetch error; the log's start,
// which the fetch reports, is then past w.start too (a transaction marker at w.start is not a
// loss). Nothing can route them any more; the loss is reported as data loss (metric, readiness
// and an error log), which is otherwise silent. It runs on the poll goroutine, the only one
// that touches firstChecked.
func (p *Processor) startsWhereHandedOver(w *worker, first, logStart int64) {
	if w.firstChecked || w.start < 0 || w.topic == p.cfg.RepartitionTopic() {
		return
	}
	w.firstChecked = true
	if first <= w.start || logStart <= w.start {
		return
	}
	w.log.Error("records deleted from the input before they were read", "committed", w.start, "first", first, "lost", first-w.start)
	p.fetched(tp{w.topic, w.partition}, &kgo.ErrDataLoss{Topic: w.topic, Partition: w.partition,
		ConsumedTo: w.start, ConsumedToEpoch: -1, ResetTo: first, ResetToEpoch: -1})
}

// deliver queues each batch for its worker. A full queue blocks polling: fetching pauses and
// memory stays bounded until the partition's worker catches up. A batch whose assignment ended
// meanwhile is dropped; the partition's next owner fetches its records again.
func (p *Processor) deliver(ds []delivery) {
	for _, d := range ds {
		select {
		case d.w.recs <- d.b:
		case <-d.w.ctx.Done():
		}
	}
}

func (p *Processor) assigned(ctx context.Context, cl *kgo.Client, assigned map[string][]int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// The group may assign partitions before Run has stored the client, so the tasks take it
	// from here. Tests without a broker set kafka themselves and pass nil.
	if cl != nil {
		p.kafka = cl
	}
	p.joined = true
	p.workerCtx = ctx
	for topic, parts := range assigned {
		for _, part := range parts {
			p.starting[tp{topic, part}] = true
		}
	}
	p.log.Info("partitions assigned", "partitions", fmtPartitions(assigned))
}

// revoked stops the workers of the revoked partitions, waits for the sink to make their
// submitted rows durable, and commits, so that the next owner starts where this one stopped.
func (p *Processor) revoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	stopped := p.stopWorkers(revoked)
	// Bounded, so that a ClickHouse outage cannot hold a rebalance or a shutdown forever: what
	// is not durable by then is not committed, and the next owner writes it again.
	ctx, cancel := context.WithTimeout(ctx, p.cfg.HandoffTimeout)
	defer cancel()
	if err := p.sink.Flush(ctx); err != nil {
		p.log.Warn("flush before revoke", "err", err)
	}
	// Marks end before the commit: an acknowledgement that comes later must not re-create an
	// offset that kgo drops for the revoked partitions, which the next autocommit would send
	// for a partition another member owns. Its rows are durable; the next owner writes them
	// again, which is harmless.
	for _, w := range stopped {
		w.end()
	}
	p.mu.Lock()
	kafka := p.kafka
	p.mu.Unlock()
	if cl != nil {
		kafka = cl
	}
	if kafka == nil {
		return // nothing was ever assigned, so nothing is marked
	}
	if err := kafka.CommitMarkedOffsets(ctx); err != nil {
		p.log.Warn("commit before revoke", "err", err)
	}
	p.log.Info("partitions revoked", "partitions", fmtPartitions(revoked))
}

// lost stops the workers without committing: another member may own the partitions already.
func (p *Processor) lost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	for _, w := range p.stopWorkers(lost) {
		w.end()
	}
	p.log.Warn("partitions lost", "partitions", fmtPartitions(lost))
}

// stopWorkers ends the assignments of parts and waits until their workers have returned.
func (p *Processor) stopWorkers(parts map[string][]int32) []*worker {
	var stopping []*worker
	p.mu.Lock()
	for topic, ps := range parts {
		for _, part := range ps {
			key := tp{topic, part}
			delete(p.starting, key)
			delete(p.fetchErrs, key)
			if w := p.workers[key]; w != nil {
				w.cancel()
				stopping = append(stopping, w)
				delete(p.workers, key)
			}
		}
	}
	p.mu.Unlock()
	for _, w := range stopping {
		<-w.done
	}
	return stopping
}

// adjustOffsets starts the assignments of newly assigned partitions: it decides where each
// starts and creates its worker. A repartition partition starts right after its latest
// snapshot, whose state the worker takes over, or at the beginning of its log; its committed
// offset becomes its horizon: records below it only rebuild state, since their rows were
// written before. Partitions are restored concurrently.
func (p *Processor) adjustOffsets(ctx context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	rep := p.cfg.RepartitionTopic()
	restores := p.restoreAll(ctx, offsets[rep])
	var started []*worker
	for topic, parts := range offsets {
		for part, o := range parts {
			committed := o.EpochOffset()
			start, horizon := committed.Offset, int64(0)
			var restored *restoredState
			if topic == rep {
				r := restores[part]
				horizon = max(start, 0) // negative: nothing committed yet
				start, restored = r.start, r.state
				if restored != nil {
					horizon = max(horizon, start)
				}
				parts[part] = repartitionStart(start, committed)
			}
			started = append(started, p.startWorker(topic, part, start, horizon, restored))
		}
	}
	p.log.Debug("assignments started", "workers", len(started))
	return offsets, nil
}

// repartitionStart is where a repartition partition is fetched from: start, with the committed
// offset's leader epoch when start is not past it. kgo validates an offset that carries an
// epoch (OffsetForLeaderEpoch) before fetching it, as it does the input partitions' committed
// offsets; an offset without one is fetched at once, alone, by a first fetch that then waits
// out fetchMaxWait before the input partitions can join the next. With the epoch the
// partitions of an assignment become fetchable together. The epoch holds for start: the log
// up to the committed offset ends no earlier than that epoch's end. Past the committed offset
// (a snapshot newer than the last commit) a later epoch may have begun, so none is given.
func repartitionStart(start int64, committed kgo.EpochOffset) kgo.Offset {
	switch {
	case start == 0:
		return kgo.NewOffset().AtStart()
	case committed.Epoch >= 0 && start <= committed.Offset:
		return kgo.NewOffset().At(start).WithEpoch(committed.Epoch)
	default:
		return kgo.NewOffset().At(start)
	}
}

// startWorker registers and runs the worker of a new assignment, ending any earlier one of the
// same partition that is still registered.
func (p *Processor) startWorker(topic string, part int32, start, horizon int64, restored *restoredState) *worker {
	p.mu.Lock()
	ctx := p.workerCtx
	if ctx == nil {
		ctx = context.Background()
	}
	key := tp{topic, part}
	old := p.workers[key]
	w := p.newWorker(ctx, topic, part, start, horizon, restored)
	p.workers[key] = w
	delete(p.starting, key)
	p.mu.Unlock()
	if old != nil {
		old.cancel()
		<-old.done
		old.end()
	}
	go w.run()
	return w
}

// fetchMaxWait is how long a fetch waits for records before it returns empty (see Run).
const fetchMaxWait = 100 * time.Millisecond

func fmtPartitions(m map[string][]int32) string {
	s := ""
	for t, ps := range m {
		if s != "" {
			s += " "
		}
		s += fmt.Sprintf("%s%v", t, ps)
	}
	return s
}
