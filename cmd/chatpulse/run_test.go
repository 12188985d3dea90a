package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// TestAWorkerWhoseWriterFailsForGoodStopsWithTheError drops the messages table under a running
// worker and sends it a message, so that its next insert fails with an error no retry mends (code 60, unknown table).
// The worker must stop and return that error, which main prints before it exits with status
// 1, and log it; a worker that returned nil would exit 0 and look like a clean shutdown.
func TestAWorkerWhoseWriterFailsForGoodStopsWithTheError(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	ch := testenv.ClickHouseForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const topic, database = "raw", "writerfails"
	if err := processor.CreateTopic(ctx, processor.Dial{Brokers: kafka.Brokers()}, topic, 1); err != nil {
		t.Fatal(err)
	}
	cfg := testWorkerConfig(kafka.Brokers(), ch, processor.TopicFormats{topic: decode.FormatCausalFoundry}, database, "")
	cfg.Sink.Database = database

	var logs lockedBuffer
	procs := make(chan *processor.Processor, 1)
	done := make(chan error, 1)
	go func() {
		done <- runWorker(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)),
			workerHooks{onStart: func(p *processor.Processor) { procs <- p }})
	}()
	var proc *processor.Processor
	select {
	case proc = <-procs:
	case err := <-done:
		t.Fatalf("the worker stopped before it started: %v", err)
	case <-ctx.Done():
		t.Fatal("the worker did not start")
	}
	for proc.Ready() != nil {
		select {
		case err := <-done:
			t.Fatalf("the worker stopped before it was ready: %v", err)
		case <-ctx.Done():
			t.Fatalf("the worker is not ready: %v", proc.Ready())
		case <-time.After(50 * time.Millisecond):
		}
	}

	chLines(t, ch, "DROP TABLE "+database+".messages")
	msg := `{"ts":"2024-02-13 15:09:20Z","type":"message","props":{"platform":"web","msg_id":"m1","sender_type":"user",` +
		`"sender_id":"u1","recipient_type":"user","recipient_id":"b1","type":"text","body":{}}}`
	if err := processor.Produce(ctx, processor.Dial{Brokers: kafka.Brokers()}, topic,
		[]processor.RawRecord{{Value: []byte(msg)}}); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		t.Fatal("the worker kept running after its insert failed for good")
	}
	if err == nil {
		t.Fatal("the worker whose insert failed for good returned nil: it would exit with status 0")
	}
	if !strings.Contains(err.Error(), database+".messages") {
		t.Errorf("the worker's error does not name the missing table: %v", err)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), database+".messages") {
		t.Errorf("the worker did not log the insert error:\n%s", logs.String())
	}
}
