package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

const receipt = `{"ts":"2024-02-13 15:09:20Z","type":"receipt","props":{"type":"read","msg_id":"m1","member_id":"u1"}}`

// TestReadinessFollowsTheWorkersState checks /healthz and /readyz of a worker through every
// state it passes: started while ClickHouse is down (alive, not ready, retrying), ready once
// ClickHouse is up and its partitions are assigned and restored, not ready while ClickHouse is
// down again, both when idle and when rows wait to be written, and ready once it is back.
func TestReadinessFollowsTheWorkersState(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	ch := testenv.ClickHouseForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := processor.CreateTopic(ctx, processor.Dial{Brokers: kafka.Brokers()}, "raw", 2); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cfg := testWorkerConfig(kafka.Brokers(), ch, processor.TopicFormats{"raw": decode.FormatCausalFoundry}, "ready", addr)
	cfg.Sink.DialTimeout = time.Second

	if err := ch.Kill(); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done, exited := goRunWorker(runCtx, cfg)
	probe := httpProbe{ctx: ctx, t: t, addr: addr, exited: exited}
	probe.await("/healthz", http.StatusOK, "ok")
	// The worker retries: it neither exits nor becomes ready while ClickHouse stays down.
	probe.await("/readyz", http.StatusServiceUnavailable, "not ready: waiting for ClickHouse: ")
	if code, body := probe.get("/metrics"); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("/metrics while waiting for ClickHouse answered %d without the runtime's metrics:\n%.300s", code, body)
	}
	if err := ch.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	probe.await("/readyz", http.StatusOK, "ready")

	// Idle: no rows to write, so only the writer's ping can notice the outage.
	if err := ch.Kill(); err != nil {
		t.Fatal(err)
	}
	probe.await("/readyz", http.StatusServiceUnavailable, "not ready: ping clickhouse")
	if err := ch.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	probe.await("/readyz", http.StatusOK, "ready")

	if err := ch.Kill(); err != nil {
		t.Fatal(err)
	}
	// A receipt alone waits for its message and writes nothing; a message gives a row to write.
	msg := `{"ts":"2024-02-13 15:09:20Z","type":"message","props":{"platform":"web","msg_id":"m1","sender_type":"user",` +
		`"sender_id":"u1","recipient_type":"user","recipient_id":"b1","type":"text","body":{}}}`
	if err := processor.Produce(ctx, processor.Dial{Brokers: kafka.Brokers()}, "raw", []processor.RawRecord{{Value: []byte(receipt)}, {Value: []byte(msg)}}); err != nil {
		t.Fatal(err)
	}
	// The insert that fails, not the ping, says so: the writer retries it and does not ping.
	probe.await("/readyz", http.StatusServiceUnavailable, "not ready: insert into clickhouse: ")
	if code, _ := probe.get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz answered %d during the outage; the process is alive", code)
	}
	if err := ch.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	probe.await("/readyz", http.StatusOK, "ready")
	stopAfterOneMessage(ctx, t, cfg, ch, done, stop)
}

// TestAWorkerWaitsForKafka starts a worker before its broker: it answers /healthz, says in
// /readyz that it waits for Kafka, and consumes once the broker is up.
func TestAWorkerWaitsForKafka(t *testing.T) {
	ch := testenv.ClickHouseForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	brokerAddr := freeAddr(t)
	_, port, err := net.SplitHostPort(brokerAddr)
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cfg := testWorkerConfig([]string{brokerAddr}, ch, processor.TopicFormats{"raw": decode.FormatCausalFoundry}, "late-broker", addr)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done, exited := goRunWorker(runCtx, cfg)
	probe := httpProbe{ctx: ctx, t: t, addr: addr, exited: exited}
	probe.await("/healthz", http.StatusOK, "ok")
	probe.await("/readyz", http.StatusServiceUnavailable, "not ready: waiting for Kafka: ")
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	kafka, err := testenv.StartKafkaAt(p, "")
	if err != nil {
		t.Fatal(err)
	}
	defer kafka.Close()
	if err := processor.CreateTopic(ctx, processor.Dial{Brokers: kafka.Brokers()}, "raw", 1); err != nil {
		t.Fatal(err)
	}
	probe.await("/readyz", http.StatusOK, "ready")
	msg := `{"ts":"2024-02-13 15:09:20Z","type":"message","props":{"platform":"web","msg_id":"m1","sender_type":"user",` +
		`"sender_id":"u1","recipient_type":"user","recipient_id":"b1","type":"text","body":{}}}`
	if err := processor.Produce(ctx, processor.Dial{Brokers: kafka.Brokers()}, "raw", []processor.RawRecord{{Value: []byte(msg)}}); err != nil {
		t.Fatal(err)
	}
	stopAfterOneMessage(ctx, t, cfg, ch, done, stop)
}

// stopAfterOneMessage waits until the worker has committed everything, checks that ClickHouse
// holds the one message the test produced, and stops the worker.
func stopAfterOneMessage(ctx context.Context, t *testing.T, cfg config, ch *testenv.ClickHouse, done <-chan error, stop context.CancelFunc) {
	t.Helper()
	waitLagZero(ctx, t, cfg.Processor, done)
	if n := clickHouseCount(t, ch, cfg.Sink.Database+".messages"); n != 1 {
		t.Fatalf("%v messages, want the one produced", n)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// testWorkerConfig is the configuration of a worker in a test: one group reading topics from
// brokers into ch, committing and flushing every 100 ms, logging errors only, with its HTTP
// server on httpAddr ("" turns it off).
func testWorkerConfig(brokers []string, ch *testenv.ClickHouse, topics processor.TopicFormats, group, httpAddr string) config {
	cfg := defaultConfig()
	cfg.Log.Level = slog.LevelError
	cfg.HTTP.Addr = httpAddr
	cfg.Processor.Brokers = brokers
	cfg.Processor.InputTopics = topics
	cfg.Processor.Group = group
	cfg.Processor.CommitInterval = 100 * time.Millisecond
	cfg.Sink.Addr = ch.Addr()
	cfg.Sink.FlushInterval = 100 * time.Millisecond
	return cfg
}

// goRunWorker runs a worker until ctx ends; done receives its result, and exited closes after.
func goRunWorker(ctx context.Context, cfg config) (done chan error, exited chan struct{}) {
	done, exited = make(chan error, 1), make(chan struct{})
	go func() {
		done <- runWorker(ctx, cfg, slog.New(slog.DiscardHandler), workerHooks{})
		close(exited)
	}()
	return done, exited
}

// httpProbe asks a worker's health endpoints.
type httpProbe struct {
	ctx    context.Context
	t      *testing.T
	addr   string
	exited <-chan struct{} // closed when the worker has stopped
}

func (p httpProbe) get(path string) (int, string) {
	resp, err := http.Get("http://" + p.addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

// await polls path until it answers code with a body that starts with prefix.
func (p httpProbe) await(path string, code int, prefix string) {
	p.t.Helper()
	last := ""
	for p.ctx.Err() == nil {
		got, body := p.get(path)
		if got == code && strings.HasPrefix(body, prefix) {
			return
		}
		last = fmt.Sprintf("%d %q", got, body)
		select {
		case <-p.exited:
			p.t.Fatalf("the worker stopped while %s answered %s, waiting for %d %q", path, last, code, prefix)
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.t.Fatalf("%s never answered %d %q; last %s", path, code, prefix, last)
}
