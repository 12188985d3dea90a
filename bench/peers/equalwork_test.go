package peers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/bench/peersbench"
	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/partition"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/sink"
	"github.com/chatpulse/chatpulse/testenv"
)

// TestEachPeerWritesChatpulsesMessageFacts is the equal-work check of the peer comparison: the
// generated golden input (2,710 Causal Foundry records), randomly keyed onto a 12-partition topic of
// one Apache Kafka broker, goes through chatpulse (processor and sink into ClickHouse 18.16) and
// through each peer as a real JVM process; the latest committed row per msg_id of each peer's output
// topic must equal chatpulse's message_facts view, row for row.
func TestEachPeerWritesChatpulsesMessageFacts(t *testing.T) {
	if err := peersbench.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the peers need Java and Maven in CI: %v", err)
		}
		t.Skipf("the peers cannot be built here: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// Maven runs while the broker and ClickHouse start: the JVMs are the test's main cost.
	var jars peersbench.Jars
	var buildErr error
	built := make(chan struct{})
	go func() {
		defer close(built)
		jars, buildErr = peersbench.Build(ctx, ".")
	}()
	kafka := testenv.ApacheKafkaForTest(t)
	ch := testenv.ClickHouseForTest(t)
	brokers := kafka.Brokers()

	input := readInput(t, filepath.Join("testdata", "generated", "causalfoundry.jsonl"))
	run := peersbench.Run{Brokers: brokers, Input: "causalfoundry", Partitions: 12, Dir: t.TempDir(),
		Budget: peersbench.Budget{Threads: 2, HeapMiB: 512, StateMemory: 64}, Commit: time.Second}
	if err := peersbench.CreateTopic(ctx, brokers, run.Input, run.Partitions, peersbench.Keep); err != nil {
		t.Fatal(err)
	}
	if err := processor.Produce(ctx, processor.Dial{Brokers: brokers}, run.Input, randomlyKeyed(input)); err != nil {
		t.Fatal(err)
	}

	<-built
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	peers := []peersbench.Peer{run.KafkaStreams(jars.Streams), run.Flink(jars.Flink)}
	procs := make([]*peersbench.Process, len(peers))
	for i, p := range peers {
		for _, topic := range p.PreCreate {
			cfg := peersbench.Keep
			if topic == p.Output {
				cfg = peersbench.Compacted
			}
			if err := peersbench.CreateTopic(ctx, brokers, topic, run.Partitions, cfg); err != nil {
				t.Fatal(err)
			}
		}
		proc, err := run.Start(p)
		if err != nil {
			t.Fatal(err)
		}
		procs[i] = proc
		t.Cleanup(func() {
			proc.Stop(20 * time.Second)
			if t.Failed() {
				t.Logf("%s output tail:\n%s", p.Name, proc.LogTail())
			}
		})
	}

	want := chatpulseFacts(t, ctx, brokers, ch, run.Input)
	if len(want) == 0 {
		t.Fatal("chatpulse wrote no message_facts rows")
	}
	golden := readFacts(t, filepath.Join("testdata", "generated", "message_facts.jsonl"))
	if !slices.EqualFunc(want, golden, func(a, b factsRow) bool { return reflect.DeepEqual(a, b) }) {
		t.Errorf("chatpulse's message_facts on the broker differ from the golden:\n%s", rowDiff(golden, want))
	}

	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := peerMatches(ctx, run, p, procs[i], want); err != nil {
				t.Errorf("%s: %v", p.Name, err)
			}
		}()
	}
	wg.Wait()
}

// peerMatches waits until the peer has committed all its input and compares its rows with want.
// Flink commits its source offsets and its sink transactions on the same checkpoint notification,
// in no fixed order, so the rows are read again for a short while before they count as different.
func peerMatches(ctx context.Context, run peersbench.Run, p peersbench.Peer, proc *peersbench.Process, want []factsRow) error {
	alive := func() error {
		if done, err := proc.Exited(); done {
			return fmt.Errorf("exited (%v)", err)
		}
		return nil
	}
	if err := peersbench.WaitCaughtUp(ctx, run.Brokers, p.Group, 3*time.Minute, 500*time.Millisecond, alive, p.Progress...); err != nil {
		return err
	}
	var got []factsRow
	deadline := time.Now().Add(15 * time.Second)
	for {
		latest, err := peersbench.ReadLatest(ctx, run.Brokers, p.Output)
		if err != nil {
			return err
		}
		got = got[:0]
		for k, v := range latest {
			var r factsRow
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("row %s: %w", k, err)
			}
			if r.MsgID != k {
				return fmt.Errorf("row keyed %q holds msg_id %q", k, r.MsgID)
			}
			got = append(got, r)
		}
		slices.SortFunc(got, func(a, b factsRow) int { return cmpString(a.MsgID, b.MsgID) })
		if slices.EqualFunc(got, want, func(a, b factsRow) bool { return reflect.DeepEqual(a, b) }) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("rows differ from chatpulse's message_facts:\n%s", rowDiff(want, got))
		}
		time.Sleep(time.Second)
	}
}

// randomlyKeyed gives each record a random key, as the spec's raw topic has: the topic's
// partitioning says nothing about messages, so every processor must re-key by msg_id.
func randomlyKeyed(input []inputRecord) []processor.RawRecord {
	rng := rand.New(rand.NewPCG(13, 2710))
	out := make([]processor.RawRecord, len(input))
	for i, r := range input {
		var key [8]byte
		for j := range key {
			key[j] = byte(rng.Uint32())
		}
		out[i] = processor.RawRecord{Key: []byte(hex.EncodeToString(key[:])), Value: []byte(r.Value), TimestampMs: r.Timestamp}
	}
	return out
}

// chatpulseFacts runs one chatpulse worker in this process over topic until its group has committed
// everything, which it does only once the rows are in ClickHouse, and returns the message_facts view.
func chatpulseFacts(t *testing.T, ctx context.Context, brokers []string, ch *testenv.ClickHouse, topic string) []factsRow {
	t.Helper()
	cfg := processor.DefaultConfig()
	cfg.Brokers = brokers
	cfg.InputTopics = processor.TopicFormats{topic: decode.FormatCausalFoundry}
	cfg.Group = "chatpulse-equal-work"
	cfg.CommitInterval = 100 * time.Millisecond
	scfg := sink.DefaultConfig()
	scfg.Addr = ch.Addr()
	scfg.Database = "equal_work"
	scfg.FlushInterval = 100 * time.Millisecond
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}

	runCtx, stop := context.WithCancel(ctx)
	client, err := sink.Open(runCtx, scfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Migrate(runCtx); err != nil {
		t.Fatal(err)
	}
	writer := sink.NewWriter(client, scfg, log)
	proc, err := processor.New(cfg, partition.DefaultConfig(), writer, log)
	if err != nil {
		t.Fatal(err)
	}
	writerCtx, stopWriter := context.WithCancel(context.Background())
	writerDone := make(chan error, 1)
	go func() { writerDone <- writer.Run(writerCtx) }()
	procDone := make(chan error, 1)
	go func() {
		err := proc.Run(runCtx)
		stopWriter()
		<-writerDone
		client.Close()
		procDone <- err
	}()
	defer func() {
		stop()
		if err := <-procDone; err != nil {
			t.Errorf("chatpulse stopped with error: %v", err)
		}
	}()

	deadline := time.Now().Add(3 * time.Minute)
	for {
		lag, err := processor.Lag(ctx, cfg)
		if err == nil && lag == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chatpulse did not catch up in 3 minutes (lag %d, %v)", lag, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return viewRows(t, ctx, ch, scfg.Database)
}

// viewRows reads message_facts over ClickHouse's HTTP interface as JSONEachRow, 64-bit integers
// unquoted, ordered as the golden is.
func viewRows(t *testing.T, ctx context.Context, ch *testenv.ClickHouse, db string) []factsRow {
	t.Helper()
	q := url.Values{
		"query": {"SELECT * FROM " + db + ".message_facts FORMAT JSONEachRow"},
		"output_format_json_quote_64bit_integers": {"0"},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ch.HTTPAddr()+"/?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("read message_facts: %v %s %s", err, resp.Status, body)
	}
	return parseFacts(t, body)
}

func readFacts(t *testing.T, path string) []factsRow {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseFacts(t, b)
}

func parseFacts(t *testing.T, b []byte) []factsRow {
	t.Helper()
	var out []factsRow
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r factsRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("row %s: %v", sc.Bytes(), err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, func(a, b factsRow) int { return cmpString(a.MsgID, b.MsgID) })
	return out
}

// rowDiff names the counts and the first rows that differ.
func rowDiff(want, got []factsRow) string {
	byID := map[string]factsRow{}
	for _, r := range got {
		byID[r.MsgID] = r
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d rows, want %d\n", len(got), len(want))
	shown := 0
	for _, w := range want {
		g, ok := byID[w.MsgID]
		if ok && reflect.DeepEqual(g, w) {
			delete(byID, w.MsgID)
			continue
		}
		delete(byID, w.MsgID)
		if shown < 5 {
			wj, _ := json.Marshal(w)
			if ok {
				gj, _ := json.Marshal(g)
				fmt.Fprintf(&b, "  want %s\n  got  %s\n", wj, gj)
			} else {
				fmt.Fprintf(&b, "  missing %s\n", wj)
			}
			shown++
		}
	}
	for id := range byID {
		if shown < 10 {
			fmt.Fprintf(&b, "  unexpected msg_id %s\n", id)
			shown++
		}
	}
	return b.String()
}
