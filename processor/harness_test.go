package processor_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/partition"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/sink"
	"github.com/chatpulse/chatpulse/testenv"
)

var clickhouse *testenv.ClickHouse

func TestMain(m *testing.M) {
	ch, stop := testenv.MustStartClickHouse()
	clickhouse = ch
	code := m.Run()
	stop()
	os.Exit(code)
}

var databases atomic.Int32

// pipeline is one deployment under test: a broker, an input topic, a consumer group and a
// ClickHouse database of its own.
type pipeline struct {
	t       *testing.T
	brokers []string
	cfg     processor.Config
	sink    sink.Config
	log     *slog.Logger
}

func newPipeline(t *testing.T, kafka *testenv.Kafka, topic string, partitions int32, group string) *pipeline {
	t.Helper()
	cfg := processor.DefaultConfig()
	cfg.Brokers = kafka.Brokers()
	cfg.InputTopics = processor.TopicFormats{topic: decode.FormatCausalFoundry}
	cfg.Group = group
	cfg.CommitInterval = 100 * time.Millisecond
	cfg.SessionTimeout = 10 * time.Second
	scfg := sink.DefaultConfig()
	scfg.Addr = clickhouse.Addr()
	scfg.Database = fmt.Sprintf("it_%d_%d", os.Getpid(), databases.Add(1))
	scfg.FlushInterval = 100 * time.Millisecond
	if err := processor.CreateTopic(context.Background(), cfg.Dial, topic, partitions); err != nil {
		t.Fatal(err)
	}
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelInfo
	}
	return &pipeline{t: t, brokers: cfg.Brokers, cfg: cfg, sink: scfg,
		log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level}))}
}

// member is one running worker of the group.
type member struct {
	proc *processor.Processor
	stop context.CancelFunc
	done chan error
}

// start runs a new group member: its own sink client and writer, like a separate process.
func (p *pipeline) start(name string) *member {
	p.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := p.log.With("member", name)
	client, err := sink.Open(ctx, p.sink, log)
	if err != nil {
		p.t.Fatal(err)
	}
	if err := client.Migrate(ctx); err != nil {
		p.t.Fatal(err)
	}
	writer := sink.NewWriter(client, p.sink, log)
	proc, err := processor.New(p.cfg, partition.DefaultConfig(), writer, log)
	if err != nil {
		p.t.Fatal(err)
	}
	m := &member{proc: proc, stop: cancel, done: make(chan error, 1)}
	writerCtx, stopWriter := context.WithCancel(context.Background())
	writerDone := make(chan error, 1)
	go func() { writerDone <- writer.Run(writerCtx) }()
	go func() {
		err := proc.Run(ctx)
		stopWriter()
		<-writerDone
		client.Close()
		m.done <- err
	}()
	p.t.Cleanup(func() { m.leave(p.t) })
	return m
}

// leave stops the member gracefully; it hands its partitions back after committing.
func (m *member) leave(t *testing.T) {
	t.Helper()
	if m.stop == nil {
		return
	}
	m.stop()
	m.stop = nil
	if err := <-m.done; err != nil {
		t.Errorf("member stopped with error: %v", err)
	}
}

func (p *pipeline) produce(recs []gen.Record, topic string) {
	p.t.Helper()
	out := make([]processor.RawRecord, len(recs))
	for i, r := range recs {
		out[i] = processor.RawRecord{Key: r.Key, Value: r.Value, TimestampMs: r.TimestampMs}
	}
	if err := processor.Produce(context.Background(), p.cfg.Dial, topic, out); err != nil {
		p.t.Fatal(err)
	}
}

// waitCaughtUp waits until the group has committed every record of its topics, which happens
// only after the rows those records yield are in ClickHouse.
func (p *pipeline) waitCaughtUp() {
	p.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		lag, err := processor.Lag(context.Background(), p.cfg)
		if err == nil && lag == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatal("group did not catch up within 2 minutes")
}

// viewLines returns one view's rows in the stable text form of sink.Snapshot.
func (p *pipeline) viewLines(view string) []string {
	p.t.Helper()
	ctx := context.Background()
	client, err := sink.Open(ctx, p.sink, p.log)
	if err != nil {
		p.t.Fatal(err)
	}
	defer client.Close()
	lines, err := client.Snapshot(ctx, view)
	if err != nil {
		p.t.Fatal(err)
	}
	return lines
}

// views returns the contract views' rows in the stable text form of sink.Snapshot.
func (p *pipeline) views() map[string][]string {
	p.t.Helper()
	ctx := context.Background()
	client, err := sink.Open(ctx, p.sink, p.log)
	if err != nil {
		p.t.Fatal(err)
	}
	defer client.Close()
	out := map[string][]string{}
	for _, v := range []string{"message_facts", "message_receipts"} {
		lines, err := client.Snapshot(ctx, v)
		if err != nil {
			p.t.Fatal(err)
		}
		out[v] = lines
	}
	return out
}

func assertLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	t.Errorf("%s: got %d rows, want %d", what, len(got), len(want))
	shown := 0
	for _, l := range want {
		if !slices.Contains(got, l) && shown < 5 {
			t.Errorf("  missing: %s", l)
			shown++
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) && shown < 10 {
			t.Errorf("  unexpected: %s", l)
			shown++
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(b[:len(b)-1]))
	return len(b), nil
}

var _ io.Writer = testWriter{}
