package processor

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/partition"
	"github.com/chatpulse/chatpulse/rows"
)

// The broker-free harness: a processor whose tasks produce, mark and commit through memKafka
// and write rows to memSink, driven through assignments, revokes, losses, polls and
// acknowledgements by the test itself, in the spirit of goka's tester. The rebalance callbacks
// and the poll loop's bind and deliver steps are the processor's own; only the client and the
// sink are in memory.

// memKafka is the Kafka client as the partitions' tasks see it: logs per partition, marks and
// commits.
type memKafka struct {
	mu        sync.Mutex
	logs      map[tp][]*kgo.Record
	marks     map[tp]int64
	committed map[tp]int64
	markCalls map[tp]int
	// full is the client's produce buffer at its limit, as during a broker outage: Produce
	// blocks until it is not, TryProduce fails at once.
	full     bool
	unfilled chan struct{}
	// slow, when set, holds every ProduceSync until it is closed or the produce's context
	// ends, as kgo does with records it cannot fail once sent.
	slow chan struct{}
	// held receives once for every ProduceSync that slow holds.
	held chan struct{}
}

func newMemKafka() *memKafka {
	return &memKafka{logs: map[tp][]*kgo.Record{}, marks: map[tp]int64{}, committed: map[tp]int64{},
		markCalls: map[tp]int{}, unfilled: make(chan struct{}), held: make(chan struct{}, 16)}
}

func (k *memKafka) append(r *kgo.Record) {
	key := tp{r.Topic, r.Partition}
	c := *r
	// A broker keeps its own copy: the producer reuses its buffers once the produce is acked.
	c.Value = bytes.Clone(r.Value)
	c.Offset = int64(len(k.logs[key]))
	k.logs[key] = append(k.logs[key], &c)
}

func (k *memKafka) ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults {
	k.mu.Lock()
	slow := k.slow
	k.mu.Unlock()
	if slow != nil {
		k.held <- struct{}{}
		select {
		case <-slow:
		case <-ctx.Done():
			out := make(kgo.ProduceResults, len(rs))
			for i, r := range rs {
				out[i] = kgo.ProduceResult{Record: r, Err: ctx.Err()}
			}
			return out
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make(kgo.ProduceResults, len(rs))
	for i, r := range rs {
		k.append(r)
		out[i] = kgo.ProduceResult{Record: r}
	}
	return out
}

// Produce is kgo's blocking produce, which the tasks must not call on the sink's goroutine.
func (k *memKafka) Produce(_ context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
	k.mu.Lock()
	full := k.full
	k.mu.Unlock()
	if full {
		<-k.unfilled
	}
	k.mu.Lock()
	k.append(r)
	k.mu.Unlock()
	promise(r, nil)
}

func (k *memKafka) TryProduce(_ context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
	k.mu.Lock()
	if k.full {
		k.mu.Unlock()
		promise(r, kgo.ErrMaxBuffered)
		return
	}
	k.append(r)
	k.mu.Unlock()
	promise(r, nil)
}

func (k *memKafka) MarkCommitOffsets(m map[string]map[int32]kgo.EpochOffset) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for topic, ps := range m {
		for part, o := range ps {
			k.marks[tp{topic, part}] = o.Offset
			k.markCalls[tp{topic, part}]++
		}
	}
}

func (k *memKafka) CommitMarkedOffsets(context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for key, o := range k.marks {
		k.committed[key] = o
	}
	return nil
}

// forget drops the marks of a partition, as kgo does for the partitions a revoke took.
func (k *memKafka) forget(key tp) {
	k.mu.Lock()
	delete(k.marks, key)
	k.mu.Unlock()
}

func (k *memKafka) log(key tp) []*kgo.Record {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]*kgo.Record(nil), k.logs[key]...)
}

func (k *memKafka) calls(key tp) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.markCalls[key]
}

// readSnapshots reads the latest snapshot of each key of state partitions, newest first, as
// readSnapshots does from a broker, all of them whatever the number wanted; the repartition log
// is never purged here.
func (k *memKafka) readSnapshots(topic string) func(context.Context, []int32, int) map[int32]snapshotsRead {
	return func(_ context.Context, parts []int32, _ int) map[int32]snapshotsRead {
		out := map[int32]snapshotsRead{}
		for _, part := range parts {
			recs := k.log(tp{topic, part})
			seen := map[string]bool{}
			read := snapshotsRead{all: true}
			for i := len(recs) - 1; i >= 0; i-- {
				r := recs[i]
				if seen[string(r.Key)] {
					continue
				}
				seen[string(r.Key)] = true
				read.snaps = append(read.snaps, storedSnapshot{offset: int64(binary.BigEndian.Uint64(r.Value)), state: r.Value[8:], key: string(r.Key)})
			}
			out[part] = read
		}
		return out
	}
}

// memSink keeps the rows it is given; with hold set, it acknowledges only on release, and
// Flush waits for its context, as the real writer does while ClickHouse is down.
type memSink struct {
	mu       sync.Mutex
	hold     bool
	acks     []func()
	messages map[string]int // message rows by message id
}

func newMemSink() *memSink { return &memSink{messages: map[string]int{}} }

func (s *memSink) Submit(_ context.Context, set *rows.Set, ack func()) error {
	s.mu.Lock()
	for _, m := range set.Messages {
		s.messages[strings.Clone(m.MsgID)]++ // the row's strings are parts of a fetched record
	}
	hold := s.hold
	if hold {
		s.acks = append(s.acks, ack)
	}
	s.mu.Unlock()
	if !hold {
		ack()
	}
	return nil
}

func (s *memSink) Flush(ctx context.Context) error {
	s.mu.Lock()
	hold := s.hold
	s.mu.Unlock()
	if hold {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// release runs the held acknowledgements, as the sink's flush goroutine does once the rows
// are durable, and reports whether they returned within a minute.
func (s *memSink) release() bool {
	s.mu.Lock()
	acks := s.acks
	s.acks, s.hold = nil, false
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		for _, ack := range acks {
			ack()
		}
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(time.Minute):
		return false
	}
}

func (s *memSink) ids() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.messages {
		out[k] = v
	}
	return out
}

// harness is one member of a group with one raw topic and one repartition partition.
type harness struct {
	t     *testing.T
	p     *Processor
	kafka *memKafka
	sink  *memSink
	raw   string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Group, cfg.Partitions = "mem", 1
	cfg.InputTopics = TopicFormats{"raw": decode.FormatCausalFoundry}
	h := &harness{t: t, kafka: newMemKafka(), sink: newMemSink(), raw: "raw"}
	p, err := New(cfg, partition.DefaultConfig(), h.sink, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	p.kafka, p.sources = h.kafka, 1
	p.snapshotProducer = h.kafka
	p.readSnapshots = h.kafka.readSnapshots(cfg.StateTopic())
	h.p = p
	t.Cleanup(func() {
		h.p.stopWorkers(map[string][]int32{h.raw: {0}, cfg.RepartitionTopic(): {0}})
	})
	return h
}

func (h *harness) rep() string { return h.p.cfg.RepartitionTopic() }

// assign runs an assignment of partition 0 of topic as kgo does: the assigned callback, then
// the fetch offsets adjusted from the committed one; it returns the assignment's worker.
func (h *harness) assign(topic string) *worker {
	h.t.Helper()
	ctx := context.Background()
	h.p.assigned(ctx, nil, map[string][]int32{topic: {0}})
	o := kgo.NewOffset().AtStart()
	h.kafka.mu.Lock()
	if c, ok := h.kafka.committed[tp{topic, 0}]; ok {
		o = kgo.NewOffset().At(c)
	}
	h.kafka.mu.Unlock()
	if _, err := h.p.adjustOffsets(ctx, map[string]map[int32]kgo.Offset{topic: {0: o}}); err != nil {
		h.t.Fatal(err)
	}
	h.p.mu.Lock()
	defer h.p.mu.Unlock()
	return h.p.workers[tp{topic, 0}]
}

func (h *harness) revoke(topic string) {
	h.p.revoked(context.Background(), nil, map[string][]int32{topic: {0}})
	h.kafka.forget(tp{topic, 0})
}

func (h *harness) lose(topic string) {
	h.p.lost(context.Background(), nil, map[string][]int32{topic: {0}})
	h.kafka.forget(tp{topic, 0})
}

// poll is what PollRecords returns for partition 0 of topic: recs, or err.
func poll(topic string, recs []*kgo.Record, err error) kgo.Fetches {
	hw := int64(0)
	if len(recs) > 0 {
		hw = recs[len(recs)-1].Offset + 1
	}
	return kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: topic, Partitions: []kgo.FetchPartition{
		{Partition: 0, Records: recs, HighWatermark: hw, Err: err}}}}}}
}

// rawRecords are CausalFoundry messages m<first>..m<first+n-1>, one minute apart, at raw
// offsets first onwards.
func rawRecords(first, n int) []*kgo.Record {
	var out []*kgo.Record
	for i := first; i < first+n; i++ {
		ts := time.Date(2024, 2, 13, 10, i, 0, 0, time.UTC).Format("2006-01-02 15:04:05Z")
		v := fmt.Sprintf(`{"ts":%q,"type":"message","props":{"platform":"web","msg_id":"m%d",`+
			`"sender_type":"user","sender_id":"u","recipient_type":"user","recipient_id":"bot","type":"text","body":{"text":"hi"}}}`, ts, i)
		out = append(out, &kgo.Record{Topic: "raw", Partition: 0, Offset: int64(i), Value: []byte(v)})
	}
	return out
}

// settle waits until w has processed every record before next.
func settle(t *testing.T, w *worker, next int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for w.progress.next.Load() < next {
		if time.Now().After(deadline) {
			t.Fatalf("worker of %s[%d] did not reach offset %d", w.topic, w.partition, next)
		}
		time.Sleep(time.Millisecond)
	}
}

// route delivers every repartition record from offset from onwards to the repartition
// partition's worker and waits until it has processed them.
func (h *harness) route(w *worker, from int) {
	h.t.Helper()
	recs := h.kafka.log(tp{h.rep(), 0})
	if len(recs) <= from {
		return
	}
	h.p.deliver(h.p.bind(poll(h.rep(), recs[from:], nil)))
	settle(h.t, w, int64(len(recs)))
}
