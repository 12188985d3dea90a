package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/backoff"
	"github.com/chatpulse/chatpulse/partition"
	"github.com/chatpulse/chatpulse/rows"
)

// RowWriter takes the rows of a partition's batch and calls ack once they are durable.
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

	mu      sync.Mutex
	workers map[tp]*worker // the partitions this member owns now

	// limits, snapshots, purges and fatal: see topics.go, snapshots.go, purge.go and fatal.go.
	limits    limits
	snapshots *kgo.Client
	purges    purges
	fatal     fatal
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
	return &Processor{
		cfg: cfg, state: state, sink: sink, log: log, extra: extra,
		stats:   newStats(),
		metrics: newMetrics(),
		workers: make(map[tp]*worker),
		limits:  defaultLimits(),
	}, nil
}

// Stats returns the processor's live counters.
func (p *Processor) Stats() *Stats { return p.stats }

// Ready reports why the member cannot serve yet: it has not been assigned partitions, or the
// state of an assigned partition is still being rebuilt. A partition with nothing to replay is
// ready as soon as its fetching starts.
func (p *Processor) Ready() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.joined {
		if p.waiting != nil {
			return fmt.Errorf("waiting for Kafka: %w", p.waiting)
		}
		return errors.New("not assigned partitions yet")
	}
	for key, w := range p.workers {
		if w.restoring.Load() {
			return fmt.Errorf("restoring the state of %s[%d]", key.topic, key.partition)
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
		// A fetch waiting for data on idle partitions delays partitions that have data or were
		// just assigned: wait at most half a second, as Kafka's own consumer does.
		kgo.FetchMaxWait(500 * time.Millisecond),
		kgo.SessionTimeout(p.cfg.SessionTimeout),
		kgo.AutoCommitMarks(),
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
	// The snapshot producer exists before the group is joined: acknowledgements publish to it.
	snapshots, err := newSnapshotProducer(p.cfg, p.limits, p.extra)
	if err != nil {
		return err
	}
	defer closeSnapshotProducer(snapshots)
	p.snapshots = snapshots
	dialed, err := newClient(p.cfg.Dial, nil, opts...)
	if err != nil {
		return err
	}
	cl := dialed.Client
	p.client = cl
	p.log.Info("consuming", "group", p.cfg.Group, "input", p.cfg.InputTopics.String(),
		"repartition", p.cfg.RepartitionTopic(), "partitions", p.cfg.Partitions)

	stopPurging := p.startPurging(ctx, cl)
	err = p.poll(ctx)
	stopPurging()
	// Close leaves the group, which runs the revoke callback: workers stop, the sink flushes,
	// and marked offsets are committed before the partitions go to another member.
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
	for {
		fetches := p.client.PollRecords(ctx, 10_000)
		if fetches.IsClientClosed() || ctx.Err() != nil {
			return nil
		}
		for _, fe := range fetches.Errors() {
			if errors.Is(fe.Err, context.Canceled) {
				continue
			}
			p.log.Warn("fetch", "topic", fe.Topic, "partition", fe.Partition, "err", fe.Err)
		}
		fetches.EachPartition(func(ftp kgo.FetchTopicPartition) {
			p.mu.Lock()
			w := p.workers[tp{ftp.Topic, ftp.Partition}]
			p.mu.Unlock()
			if w == nil {
				return // revoked after this fetch; the next owner reads these records again
			}
			if ftp.Err == nil {
				w.progress.fetched(ftp.HighWatermark, ftp.Records)
			}
			if len(ftp.Records) == 0 {
				return
			}
			// A full queue blocks polling: fetching pauses and memory stays bounded until the
			// partition's worker catches up.
			select {
			case w.recs <- ftp.Records:
			case <-w.ctx.Done():
			}
		})
	}
}

func (p *Processor) assigned(ctx context.Context, cl *kgo.Client, assigned map[string][]int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.joined = true
	for topic, parts := range assigned {
		for _, part := range parts {
			w := p.newWorker(ctx, cl, topic, part)
			p.workers[tp{topic, part}] = w
			go w.run()
		}
	}
	p.log.Info("partitions assigned", "partitions", fmtPartitions(assigned))
}

// revoked stops the workers of the revoked partitions, waits for the sink to make their
// submitted rows durable, and commits, so that the next owner starts where this one stopped.
func (p *Processor) revoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	p.stopWorkers(revoked)
	// Bounded, so that a ClickHouse outage cannot hold a rebalance or a shutdown forever: what
	// is not durable by then is not committed, and the next owner writes it again.
	ctx, cancel := context.WithTimeout(ctx, p.cfg.HandoffTimeout)
	defer cancel()
	if err := p.sink.Flush(ctx); err != nil {
		p.log.Warn("flush before revoke", "err", err)
	}
	if err := cl.CommitMarkedOffsets(ctx); err != nil {
		p.log.Warn("commit before revoke", "err", err)
	}
	p.log.Info("partitions revoked", "partitions", fmtPartitions(revoked))
}

// lost stops the workers without committing: another member may own the partitions already.
func (p *Processor) lost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	p.stopWorkers(lost)
	p.log.Warn("partitions lost", "partitions", fmtPartitions(lost))
}

func (p *Processor) stopWorkers(parts map[string][]int32) {
	var stopping []*worker
	p.mu.Lock()
	for topic, ps := range parts {
		for _, part := range ps {
			key := tp{topic, part}
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
}

// adjustOffsets decides where each newly assigned repartition partition starts: right after
// its latest snapshot, whose state the worker takes over, or at the beginning of its log. The
// committed offset becomes the partition's horizon: records below it only rebuild state, since
// their rows were written before.
func (p *Processor) adjustOffsets(ctx context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	parts, ok := offsets[p.cfg.RepartitionTopic()]
	if !ok {
		return offsets, nil
	}
	for part, o := range parts {
		horizon := max(o.EpochOffset().Offset, 0) // negative: nothing committed yet
		start, restored := p.restore(ctx, part)
		if restored != nil {
			horizon = max(horizon, start)
		}
		p.mu.Lock()
		if w := p.workers[tp{p.cfg.RepartitionTopic(), part}]; w != nil {
			w.horizon.Store(horizon)
			w.initial = restored
			if restored != nil {
				// The worker takes the state over on its first batch; until then it is only read.
				w.gauges.publish(restored.state.Gauges())
			}
			// With nothing to replay, the state is whole as soon as fetching starts.
			w.restoring.Store(horizon > start)
		}
		p.mu.Unlock()
		parts[part] = kgo.NewOffset().At(start)
		if start == 0 {
			parts[part] = kgo.NewOffset().AtStart()
		}
	}
	return offsets, nil
}

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
