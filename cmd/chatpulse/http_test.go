package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/join"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/sessionize"
	"github.com/chatpulse/chatpulse/sink"
	"github.com/chatpulse/chatpulse/testenv"
)

const receipt = `{"ts":"2024-02-13 15:09:20Z","type":"receipt","props":{"type":"read","msg_id":"m1","member_id":"u1"}}`

// TestReadinessFollowsTheWorkersState checks /healthz and /readyz of a running worker: ready
// once its partitions are assigned and restored, not ready while ClickHouse is down and rows
// cannot be written, ready again once it is back.
func TestReadinessFollowsTheWorkersState(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	ch := testenv.ClickHouseForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := processor.CreateTopic(ctx, processor.Dial{Brokers: kafka.Brokers()}, "raw", 2); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	cfg := config{Log: logConfig{Level: slog.LevelError, Format: "text"}, HTTP: httpConfig{Addr: addr},
		Join: join.DefaultConfig(), Sessions: sessionize.DefaultConfig(), Sink: sink.DefaultConfig(), Processor: processor.DefaultConfig()}
	cfg.Processor.Brokers = kafka.Brokers()
	cfg.Processor.InputTopics = processor.TopicFormats{"raw": decode.FormatCausalFoundry}
	cfg.Processor.Group = "ready"
	cfg.Sink.Addr = ch.Addr()
	cfg.Sink.FlushInterval = 100 * time.Millisecond
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { done <- runWorker(runCtx, cfg, slog.New(slog.DiscardHandler), nil) }()

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(body))
	}
	await := func(path string, code int) string {
		t.Helper()
		for ctx.Err() == nil {
			if got, body := get(path); got == code {
				return body
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("%s never answered %d", path, code)
		return ""
	}
	await("/healthz", http.StatusOK)
	await("/readyz", http.StatusOK)

	if err := ch.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := processor.Produce(ctx, processor.Dial{Brokers: kafka.Brokers()}, "raw", []processor.RawRecord{{Value: []byte(receipt)}}); err != nil {
		t.Fatal(err)
	}
	// A receipt alone waits for its message and writes nothing; a message gives a row to write.
	msg := `{"ts":"2024-02-13 15:09:20Z","type":"message","props":{"platform":"web","msg_id":"m1","sender_type":"user",` +
		`"sender_id":"u1","recipient_type":"user","recipient_id":"b1","type":"text","body":{}}}`
	if err := processor.Produce(ctx, processor.Dial{Brokers: kafka.Brokers()}, "raw", []processor.RawRecord{{Value: []byte(msg)}}); err != nil {
		t.Fatal(err)
	}
	if body := await("/readyz", http.StatusServiceUnavailable); !strings.HasPrefix(body, "not ready: ") {
		t.Fatalf("readiness during the outage says %q", body)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz answered %d during the outage; the process is alive", code)
	}
	if err := ch.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	await("/readyz", http.StatusOK)
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
