package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// TestMetricsCountTheSeedExamples runs a worker over the documentation's examples of every
// format and a few bad records, and checks what its /metrics says once it has caught up: the
// records and events per topic, format and kind, the dead letters per reason, the rows per
// table against what ClickHouse holds, the state and lag of every owned partition, and the
// Kafka client's, Go's and the process's metrics.
func TestMetricsCountTheSeedExamples(t *testing.T) {
	kafka := testenv.KafkaForTest(t)
	ch := testenv.ClickHouseForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dial := processor.Dial{Brokers: kafka.Brokers()}
	// "cf" carries Causal Foundry records; "mixed" is read with format detection.
	cf := append(seedRecords(t, "causalfoundry"),
		processor.RawRecord{Value: []byte(`{"ts":"2024-02-13 15:09:20Z","type":"typing","props":{}}`)},
		processor.RawRecord{Value: []byte(`{"ts":"2024-02-13 15:09:20Z","type":"message","props":{"platform":"whats`)})
	var mixed []processor.RawRecord
	for _, f := range []string{"expertflow", "chatlayer", "voipbin"} {
		mixed = append(mixed, seedRecords(t, f)...)
	}
	mixed = append(mixed, processor.RawRecord{Value: []byte(`{"x":1}`)})
	for topic, recs := range map[string][]processor.RawRecord{"cf": cf, "mixed": mixed} {
		if err := processor.CreateTopic(ctx, dial, topic, 1); err != nil {
			t.Fatal(err)
		}
		if err := processor.Produce(ctx, dial, topic, recs); err != nil {
			t.Fatal(err)
		}
	}

	addr := freeAddr(t)
	cfg := testWorkerConfig(kafka.Brokers(), ch, processor.TopicFormats{"cf": decode.FormatCausalFoundry, "mixed": decode.FormatAuto}, "metrics", addr)
	cfg.Processor.Partitions = 3
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	reg := newRecordingRegistry()
	go func() { done <- runWorker(runCtx, cfg, slog.New(slog.DiscardHandler), workerHooks{registry: reg}) }()

	for {
		lag, err := processor.Lag(ctx, cfg.Processor)
		if err == nil && lag == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the worker did not catch up: lag %d, %v", lag, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	want := map[string]float64{
		`chatpulse_records_total{format="causalfoundry",topic="cf"}`:                  11,
		`chatpulse_records_total{format="expertflow",topic="mixed"}`:                  11,
		`chatpulse_records_total{format="chatlayer",topic="mixed"}`:                   6,
		`chatpulse_records_total{format="voipbin",topic="mixed"}`:                     7,
		`chatpulse_records_total{format="unknown",topic="mixed"}`:                     1,
		`chatpulse_events_total{format="causalfoundry",kind="message",topic="cf"}`:    4,
		`chatpulse_events_total{format="causalfoundry",kind="receipt",topic="cf"}`:    2,
		`chatpulse_events_total{format="causalfoundry",kind="reaction",topic="cf"}`:   1,
		`chatpulse_events_total{format="causalfoundry",kind="membership",topic="cf"}`: 2,
		`chatpulse_events_total{format="expertflow",kind="message",topic="mixed"}`:    6,
		`chatpulse_events_total{format="expertflow",kind="membership",topic="mixed"}`: 3,
		`chatpulse_events_total{format="expertflow",kind="handover",topic="mixed"}`:   2,
		`chatpulse_events_total{format="chatlayer",kind="message",topic="mixed"}`:     5,
		`chatpulse_events_total{format="chatlayer",kind="handover",topic="mixed"}`:    1,
		`chatpulse_events_total{format="voipbin",kind="message",topic="mixed"}`:       6,
		`chatpulse_events_total{format="voipbin",kind="reaction_set",topic="mixed"}`:  4,
		`chatpulse_events_total{format="voipbin",kind="receipt",topic="mixed"}`:       1,
		`chatpulse_dead_letters_total{reason="unknown_kind"}`:                         1,
		`chatpulse_dead_letters_total{reason="malformed_json"}`:                       1,
		`chatpulse_dead_letters_total{reason="missing_field"}`:                        1,
		`chatpulse_dead_letters_total{reason="unknown_format"}`:                       1,
		`chatpulse_assigned_partitions{topic="cf"}`:                                   1,
		`chatpulse_assigned_partitions{topic="mixed"}`:                                1,
		`chatpulse_assigned_partitions{topic="metrics.repartition"}`:                  3,
		`chatpulse_consumer_lag_records{partition="0",topic="cf"}`:                    0,
		`chatpulse_consumer_lag_records{partition="0",topic="mixed"}`:                 0,
		`chatpulse_sink_pending_rows`:                                                 0,
		`chatpulse_restores_total{from="log"}`:                                        3,
		`chatpulse_restores_total{from="snapshot"}`:                                   0,
	}
	for p := range 3 {
		want[fmt.Sprintf(`chatpulse_consumer_lag_records{partition="%d",topic="metrics.repartition"}`, p)] = 0
	}
	tables := []string{"messages", "receipts", "replies", "reactions", "sessions", "membership_events", "handover_events"}
	for _, table := range tables {
		want[`chatpulse_sink_rows_total{table="`+table+`"}`] = clickHouseCount(t, ch, cfg.Sink.Database+"."+table)
	}
	if want[`chatpulse_sink_rows_total{table="messages"}`] == 0 {
		t.Fatal("ClickHouse holds no messages")
	}

	// Counters move just after the offsets they count are committed: scrape until they agree.
	var got map[string]float64
	for {
		got = scrape(t, addr)
		if agree(got, want) == "" || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if diff := agree(got, want); diff != "" {
		t.Errorf("/metrics after catching up:\n%s", diff)
	}
	for name, v := range got {
		if strings.HasPrefix(name, "chatpulse_records_total") || strings.HasPrefix(name, "chatpulse_events_total") ||
			strings.HasPrefix(name, "chatpulse_dead_letters_total") || strings.HasPrefix(name, "chatpulse_consumer_lag_records") {
			if _, ok := want[name]; !ok {
				t.Errorf("unexpected series %s %v", name, v)
			}
		}
	}
	if got["chatpulse_sink_batches_total"] < 1 || got["chatpulse_sink_insert_seconds_count"] != got["chatpulse_sink_batches_total"] {
		t.Errorf("sink batches %v, insert time observed %v times: want as many, at least one",
			got["chatpulse_sink_batches_total"], got["chatpulse_sink_insert_seconds_count"])
	}
	if got["chatpulse_join_hits_total"] < 1 || got["chatpulse_restore_seconds_count"] != 3 {
		t.Errorf("join hits %v, restores timed %v: want some hits and 3 restores",
			got["chatpulse_join_hits_total"], got["chatpulse_restore_seconds_count"])
	}
	for p := range 3 {
		for _, kind := range []string{"messages", "pending", "sessions"} {
			if _, ok := got[fmt.Sprintf(`chatpulse_state_entries{kind=%q,partition="%d"}`, kind, p)]; !ok {
				t.Errorf("no %s state entries of partition %d", kind, p)
			}
		}
		if _, ok := got[fmt.Sprintf(`chatpulse_state_bytes{partition="%d"}`, p)]; !ok {
			t.Errorf("no state bytes of partition %d", p)
		}
		if _, ok := got[fmt.Sprintf(`chatpulse_watermark_lag_seconds{partition="%d"}`, p)]; !ok {
			t.Errorf("no watermark lag of partition %d", p)
		}
	}
	for _, prefix := range []string{"chatpulse_kafka_", "go_goroutines", "process_cpu_seconds_total"} {
		if !slices.ContainsFunc(slices.Collect(maps.Keys(got)), func(n string) bool { return strings.HasPrefix(n, prefix) }) {
			t.Errorf("no %s* metric", prefix)
		}
	}
	t.Run("every dashboard expression selects series the worker exports", func(t *testing.T) {
		checkDashboardSeries(t, reg.described(), got)
	})
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// seedRecords returns the non-empty lines of a format's documented examples as records; events
// without a time of their own take the record time.
func seedRecords(t *testing.T, format string) []processor.RawRecord {
	t.Helper()
	data, err := os.ReadFile("../../decode/testdata/" + format + "/seed.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []processor.RawRecord
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, processor.RawRecord{Value: []byte(line), TimestampMs: 1_707_900_000_000})
		}
	}
	return out
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// clickHouseCount counts the rows of a table through ClickHouse's HTTP interface.
func clickHouseCount(t *testing.T, ch *testenv.ClickHouse, table string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + ch.HTTPAddr() + "/?query=" + url.QueryEscape("SELECT count() FROM "+table))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("count %s: %d %s %v", table, resp.StatusCode, body, err)
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(string(body)), 64)
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// scrape reads /metrics and returns every sample keyed by its series as the text format
// writes it, labels sorted by name.
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics answered %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// agree describes where got differs from want, or returns "".
func agree(got, want map[string]float64) string {
	var diff []string
	for name, w := range want {
		if g, ok := got[name]; !ok {
			diff = append(diff, fmt.Sprintf("  %s missing, want %v", name, w))
		} else if g != w {
			diff = append(diff, fmt.Sprintf("  %s = %v, want %v", name, g, w))
		}
	}
	slices.Sort(diff)
	return strings.Join(diff, "\n")
}
