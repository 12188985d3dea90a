package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// statusInput is the known input of the status tests: the documentation's examples of every
// format on two single-partition topics, with four records that must be dead-lettered.
type statusInput struct {
	topics  processor.TopicFormats
	records map[string][]processor.RawRecord
	// dead are the dead-letter reasons the added bad records must count, by topic.
	dead map[string][]string
}

func newStatusInput(t *testing.T) statusInput {
	cf := append(seedRecords(t, "causalfoundry"),
		processor.RawRecord{Value: []byte(`{"ts":"2024-02-13 15:09:20Z","type":"typing","props":{}}`)},
		processor.RawRecord{Value: []byte(`{"ts":"2024-02-13 15:09:20Z","type":"message","props":{"platform":"whats`)})
	var mixed []processor.RawRecord
	for _, f := range []string{"expertflow", "chatlayer", "voipbin"} {
		mixed = append(mixed, seedRecords(t, f)...)
	}
	mixed = append(mixed, processor.RawRecord{Value: []byte(`{"x":1}`)})
	return statusInput{
		topics:  processor.TopicFormats{"cf": decode.FormatCausalFoundry, "mixed": decode.FormatAuto},
		records: map[string][]processor.RawRecord{"cf": cf, "mixed": mixed},
		dead:    map[string][]string{"cf": {"unknown_kind", "malformed_json"}, "mixed": {"unknown_format"}},
	}
}

// statusWorker is one worker running over statusInput, with its HTTP address.
type statusWorker struct {
	in   statusInput
	cfg  config
	addr string
}

// startStatusWorker produces the input in two rounds, so that every repartition partition
// writes a snapshot after the second, and runs a worker until it has caught up.
func startStatusWorker(t *testing.T, ctx context.Context) statusWorker {
	t.Helper()
	kafka := testenv.KafkaForTest(t)
	ch := testenv.ClickHouseForTest(t)
	in := newStatusInput(t)
	dial := processor.Dial{Brokers: kafka.Brokers()}
	for _, topic := range in.topics.Topics() {
		if err := processor.CreateTopic(ctx, dial, topic, 1); err != nil {
			t.Fatal(err)
		}
	}
	addr := freeAddr(t)
	cfg := testWorkerConfig(kafka.Brokers(), ch, in.topics, "status", addr)
	cfg.Processor.Partitions = 3
	cfg.Processor.SnapshotInterval = 100 * time.Millisecond
	if err := cfg.Processor.PseudonymizeKey.Decode(pseudonymizeKey); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- runWorker(runCtx, cfg, testLogger(t), workerHooks{})
	}()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	for i, topic := range []string{"cf", "mixed"} {
		if i > 0 {
			time.Sleep(3 * cfg.Processor.SnapshotInterval) // the next batch is due a snapshot
		}
		if err := processor.Produce(ctx, dial, topic, in.records[topic]); err != nil {
			t.Fatal(err)
		}
		awaitCaughtUp(t, ctx, cfg)
	}
	return statusWorker{in: in, cfg: cfg, addr: addr}
}

func testLogger(t *testing.T) *slog.Logger {
	return newLogger(logConfig{Level: slog.LevelError, Format: "text"}, testWriter{t})
}

// testWriter sends a worker's log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func awaitCaughtUp(t *testing.T, ctx context.Context, cfg config) {
	t.Helper()
	for {
		lag, err := processor.Lag(ctx, cfg.Processor)
		if err == nil && lag == 0 {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("the worker did not catch up: lag %d, %v", lag, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// getStatus reads /status.
func getStatus(t *testing.T, addr string) statusDoc {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc statusDoc
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatalf("/status: %v", err)
	}
	return doc
}

// awaitStatus reads /status until ok accepts it; the counters move just after the offsets
// they count are committed.
func awaitStatus(t *testing.T, ctx context.Context, addr string, ok func(statusDoc) string) statusDoc {
	t.Helper()
	for {
		doc := getStatus(t, addr)
		why := ok(doc)
		if why == "" {
			return doc
		}
		if ctx.Err() != nil {
			t.Fatalf("/status never agreed with the input: %s", why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// matchesInput says where doc differs from what the input must show, or returns "".
func (in statusInput) matchesInput(doc statusDoc) string {
	var diff []string
	if !doc.Ready {
		diff = append(diff, "not ready: "+doc.ReadyReason)
	}
	var total, dead uint64
	for _, topic := range in.topics.Topics() {
		i := slices.IndexFunc(doc.Raw, func(r rawPartitionDoc) bool { return r.Topic == topic && r.Partition == 0 })
		if i < 0 {
			diff = append(diff, topic+"[0] is not shown")
			continue
		}
		r := doc.Raw[i]
		want := uint64(len(in.records[topic]))
		total += want
		if r.Records != want || r.Decoded+r.DeadLettered != want || r.Lag == nil || *r.Lag != 0 {
			diff = append(diff, fmt.Sprintf("%s[0]: %d records (%d decoded, %d dead), lag %v; want %d records, lag 0",
				topic, r.Records, r.Decoded, r.DeadLettered, r.Lag, want))
		}
		dead += r.DeadLettered
		for _, reason := range in.dead[topic] {
			if doc.DeadLettersByReason[reason] < 1 {
				diff = append(diff, "no dead letter for "+reason)
			}
		}
	}
	if doc.Records != total || doc.DeadLetters != dead {
		diff = append(diff, fmt.Sprintf("member: %d records, %d dead letters; want %d and the partitions' %d", doc.Records, doc.DeadLetters, total, dead))
	}
	if len(doc.Repartition) != 3 {
		diff = append(diff, fmt.Sprintf("%d repartition partitions, want 3", len(doc.Repartition)))
	}
	for _, p := range doc.Repartition {
		if p.Restoring || p.Lag == nil || *p.Lag != 0 || p.Watermark == nil || p.TrailsSeconds == nil || *p.TrailsSeconds <= 0 {
			diff = append(diff, fmt.Sprintf("repartition[%d]: restoring %v, lag %v, watermark %v", p.Partition, p.Restoring, p.Lag, p.Watermark))
		}
	}
	if doc.Restores != 3 || doc.Sink.LastDurable == nil || doc.Sink.PendingRows != 0 {
		diff = append(diff, fmt.Sprintf("restores %d, sink last durable %v, pending %v", doc.Restores, doc.Sink.LastDurable, doc.Sink.PendingRows))
	}
	return strings.Join(diff, "; ")
}

// TestStatusOfARunningWorker runs one worker over a known input and reads its status every
// way an operator can: /status, the page in a real browser, `chatpulse status`, and
// Prometheus scraping /metrics for the dashboards.
func TestStatusOfARunningWorker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	w := startStatusWorker(t, ctx)
	doc := awaitStatus(t, ctx, w.addr, w.in.matchesInput)
	if doc.Group != "status" || doc.MemberID == "" {
		t.Errorf("group %q, member %q", doc.Group, doc.MemberID)
	}

	t.Run("neither the page nor /status shows a secret or a message body", func(t *testing.T) {
		for _, path := range []string{"/", "/status"} {
			body := httpBody(t, "http://"+w.addr+path)
			assertNoSecrets(t, path, body)
			for _, content := range []string{"Lorem ipsum", "1e7c1a8b-c291-48df-9ad2-55aecd684270", "whats", `"x":1`, "emoji"} {
				if strings.Contains(body, content) {
					t.Errorf("%s shows %q of the input", path, content)
				}
			}
		}
	})
	t.Run("the page in a browser shows the input's figures", func(t *testing.T) {
		checkStatusPageInBrowser(t, ctx, w, doc)
	})
	t.Run("chatpulse status describes the group", func(t *testing.T) {
		checkStatusCommand(t, ctx, w, doc)
	})
	t.Run("Prometheus scrapes the worker and every dashboard query returns data", func(t *testing.T) {
		checkDashboardsOnPrometheus(t, ctx, w.addr)
	})
}

func httpBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// checkStatusCommand runs `chatpulse status` against the group until the snapshots of every
// repartition partition are written, and checks its members, owners, lags and watermarks
// against the worker's own /status.
func checkStatusCommand(t *testing.T, ctx context.Context, w statusWorker, doc statusDoc) {
	t.Setenv("CHATPULSE_KAFKA_BROKERS", strings.Join(w.cfg.Processor.Brokers, ","))
	t.Setenv("CHATPULSE_GROUP", w.cfg.Processor.Group)
	t.Setenv("CHATPULSE_INPUT_TOPICS", w.in.topics.String())
	t.Setenv("CHATPULSE_PARTITIONS", "3")
	var out string
	for {
		var stdout, stderr bytes.Buffer
		if err := run(ctx, []string{"status"}, &stdout, &stderr); err != nil {
			t.Fatalf("chatpulse status: %v (%s)", err, stderr.String())
		}
		out = stdout.String()
		if strings.Count(out, "(@") == 3 || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("chatpulse status:\n%s", out)
	if !strings.HasPrefix(out, "group status: Stable, 1 member(s)") {
		t.Errorf("the first line does not name the stable group of one member")
	}
	member := fieldsOfLine(out, doc.MemberID+" ")
	if len(member) < 4 || member[len(member)-1] != "5" {
		t.Errorf("member line %q: want the member with its 5 partitions", member)
	}
	for _, p := range doc.Raw {
		f := fieldsOfLine(out, fmt.Sprintf("%s %d ", p.Topic, p.Partition))
		if len(f) < 6 || f[2] != f[3] || f[4] != "0" || f[5] != doc.MemberID {
			t.Errorf("%s[%d]: %q, want committed = end, lag 0, owned by %s", p.Topic, p.Partition, f, doc.MemberID)
		}
	}
	now := getStatus(t, w.addr)
	for _, p := range now.Repartition {
		f := fieldsOfLine(out, fmt.Sprintf("%s %d ", p.Topic, p.Partition))
		// The snapshot was taken at a batch up to the last one: its watermark is the state's
		// now or an earlier one.
		if len(f) < 9 || f[4] != "0" || f[5] != doc.MemberID {
			t.Errorf("%s[%d]: %q, want lag 0, owned by %s and a watermark", p.Topic, p.Partition, f, doc.MemberID)
			continue
		}
		wm, err := time.Parse("2006-01-02 15:04:05", f[6]+" "+f[7])
		if err != nil || wm.After(*p.Watermark) {
			t.Errorf("%s[%d]: snapshot watermark %q, the state's is %s", p.Topic, p.Partition, f[6:8], p.Watermark)
		}
	}
	for _, topic := range append(w.in.topics.Topics(), w.cfg.Processor.RepartitionTopic()) {
		if f := fieldsOfLine(out, topic+" 0\n"); f == nil {
			t.Errorf("no lag line of %s", topic)
		}
	}
}

// fieldsOfLine returns the fields of the first line of out that starts with prefix once its
// spaces are squeezed to one and it ends in a newline, or nil.
func fieldsOfLine(out, prefix string) []string {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.Join(strings.Fields(line), " ")+"\n", prefix) {
			return strings.Fields(line)
		}
	}
	return nil
}
