package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/sink"
	"github.com/chatpulse/chatpulse/testenv"
)

func TestProduceWritesEveryLineOfAFile(t *testing.T) {
	clearEnv(t)
	kafka := testenv.KafkaForTest(t)
	t.Setenv("CHATPULSE_KAFKA_BROKERS", kafka.Brokers()[0])
	file := filepath.Join(t.TempDir(), "events.jsonl")
	seed, err := os.ReadFile("../../decode/testdata/causalfoundry/seed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(seed, "\n\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := len(strings.Split(strings.TrimSpace(string(seed)), "\n"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"produce", "-topic", "raw", "-partitions", "3", file}, &out, &errOut); err != nil {
		t.Fatalf("produce: %v\n%s", err, errOut.String())
	}
	if want := "produced 9 records to raw\n"; out.String() != want || lines != 9 {
		t.Fatalf("output %q for %d lines, want %q", out.String(), lines, want)
	}
	cfg := processor.DefaultConfig()
	cfg.Brokers = kafka.Brokers()
	cfg.InputTopics = processor.TopicFormats{"raw": decode.FormatCausalFoundry}
	events, err := processor.DecodeOnly(ctx, cfg, lines)
	if err != nil {
		t.Fatal(err)
	}
	if events != lines {
		t.Fatalf("the topic decodes to %d events, want %d", events, lines)
	}
}

func TestProduceWithoutATopicIsAUsageError(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"produce", "file.jsonl"}, &out, &errOut)
	if err == nil || !strings.Contains(errOut.String(), "usage: chatpulse produce") {
		t.Fatalf("err %v, stderr %q", err, errOut.String())
	}
}

func TestMigrateCreatesTheContractViews(t *testing.T) {
	clearEnv(t)
	ch := testenv.ClickHouseForTest(t)
	t.Setenv("CHATPULSE_CLICKHOUSE_ADDR", ch.Addr())
	t.Setenv("CHATPULSE_CLICKHOUSE_DATABASE", "analytics")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for range 2 {
		var out, errOut bytes.Buffer
		if err := run(ctx, []string{"migrate"}, &out, &errOut); err != nil {
			t.Fatalf("migrate: %v\n%s", err, errOut.String())
		}
		if out.String() != "schema of database analytics is up to date\n" {
			t.Fatalf("output %q", out.String())
		}
	}
	cfg := sink.DefaultConfig()
	cfg.Addr, cfg.Database = ch.Addr(), "analytics"
	client, err := sink.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for _, view := range []string{"message_facts", "message_receipts"} {
		if rows, err := client.Snapshot(ctx, view); err != nil || len(rows) != 0 {
			t.Fatalf("%s after migrate: %d rows, %v", view, len(rows), err)
		}
	}
}

func TestAnUnknownCommandIsAUsageError(t *testing.T) {
	if err := run(context.Background(), []string{"serve"}, &bytes.Buffer{}, &bytes.Buffer{}); err != errUsage {
		t.Fatalf("err = %v, want the usage error", err)
	}
}
