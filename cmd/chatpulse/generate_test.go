package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/testenv"
)

func TestGenerateProducesEveryFormatToItsTopicEndingNow(t *testing.T) {
	tests := []struct {
		name           string
		messages, days int
		args           []string
		seeds          []int64
	}{
		{"one batch lands in the four topics", 200, 3, []string{"-seed", "7"}, []int64{7}},
		{"a periodic run produces a new seed each batch", 100, 2, []string{"-seed", "3", "-every", "1ms", "-batches", "2"}, []int64{3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			kafka := testenv.KafkaForTest(t)
			t.Setenv("CHATPULSE_KAFKA_BROKERS", kafka.Brokers()[0])
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			before := time.Now()
			var out, errOut bytes.Buffer
			args := append([]string{"generate", "-partitions", "3", "-messages", strconv.Itoa(tt.messages), "-days", strconv.Itoa(tt.days)}, tt.args...)
			if err := run(ctx, args, &out, &errOut); err != nil {
				t.Fatalf("generate: %v\n%s", err, errOut.String())
			}
			after := time.Now()
			if got := strings.Count(out.String(), "batch "); got != len(tt.seeds) {
				t.Fatalf("reported %d batches, want %d:\n%s", got, len(tt.seeds), out.String())
			}

			f := generateFlags{messages: tt.messages, days: tt.days, users: 40}
			want := map[string]int64{}
			for _, seed := range tt.seeds {
				data, err := generateBatch(f, seed, before)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range data.Records {
					want["chat."+r.Format]++
				}
			}
			var newest int64
			for _, topic := range demoTopics.Topics() {
				parts := kafka.Cluster().PartitionInfos(topic)
				if len(parts) != 3 {
					t.Fatalf("%s has %d partitions, want 3", topic, len(parts))
				}
				var n, latest int64
				for _, p := range parts {
					n += p.HighWatermark
					latest = max(latest, p.MaxTimestamp)
				}
				if n == 0 || n != want[topic] {
					t.Errorf("%s holds %d records, the datasets have %d", topic, n, want[topic])
				}
				// Every format's traffic runs until the batch's end, less than a day before now.
				if at := time.UnixMilli(latest); at.Before(before.Add(-24*time.Hour)) || at.After(after) {
					t.Errorf("the latest record of %s is stamped %s, not within the day before %s", topic, at.UTC(), after.UTC())
				}
				newest = max(newest, latest)
			}
			// The latest record of a batch is stamped within the second before the batch was made.
			if at := time.UnixMilli(newest); at.Before(before.Add(-time.Second)) || at.After(after) {
				t.Errorf("the newest record is stamped %s, not between %s and %s", at.UTC(), before.UTC(), after.UTC())
			}
		})
	}
}

func TestGenerateEndsABatchAtTheGivenTime(t *testing.T) {
	end := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	data, err := generateBatch(generateFlags{messages: 300, days: 5, users: 40}, 11, end)
	if err != nil {
		t.Fatal(err)
	}
	first, last := timeRange(data.Records)
	if last.After(end) || !last.After(end.Add(-time.Second)) {
		t.Fatalf("the latest record is stamped %s, want within the second before %s", last, end)
	}
	if span := last.Sub(first); span < 4*24*time.Hour || span > 6*24*time.Hour {
		t.Fatalf("the records span %s, want about the 5 days asked for", span)
	}
	if data.Stats.Messages < 300 {
		t.Fatalf("%d messages, want at least the 300 asked for", data.Stats.Messages)
	}
	var formats = map[string]bool{}
	for _, r := range data.Records {
		formats[r.Format] = true
	}
	for _, f := range gen.Formats() {
		if !formats[f] {
			t.Errorf("no record of format %s", f)
		}
	}
}

func TestGenerateRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"fewer than four messages are rejected", []string{"-messages", "3"}},
		{"zero days are rejected", []string{"-days", "0"}},
		{"a negative period is rejected", []string{"-every", "-1s"}},
		{"a positional argument is rejected", []string{"extra"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"generate"}, tt.args...), &out, &errOut)
			if err == nil || !strings.Contains(errOut.String(), "usage: chatpulse generate") {
				t.Fatalf("err %v, stderr %q", err, errOut.String())
			}
		})
	}
}
