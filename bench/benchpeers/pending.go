package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/chatpulse/chatpulse/bench/peersbench"
	"github.com/chatpulse/chatpulse/processor"
)

// pendingTopic holds the restore scenario's input: one partition of messages that no receipt
// ever follows, so every processor ends up holding all of them in the state of one partition.
const pendingTopic = "bench.pending"

// pendingSettle is how long a processor runs on after it has caught up, before the kill: longer
// than chatpulse's snapshot interval in this scenario and Flink's checkpoint interval (5 s each)
// and Kafka Streams' commit interval (1 s), so each has persisted the whole state.
const pendingSettle = 12 * time.Second

// pendingResult is one processor's restore figures.
type pendingResult struct {
	name    string
	process time.Duration // from start until every pending message was committed
	restart time.Duration // kill -9 to caught up again, the state restored
	own     string        // the restore as the processor itself reports it, where it does
}

// producePending writes n Causal Foundry messages to the one partition of pendingTopic and
// returns the first, which the restart measurement writes again (a duplicate changes no row).
func producePending(ctx context.Context, brokers []string, n int) (processor.RawRecord, error) {
	if err := peersbench.CreateTopic(ctx, brokers, pendingTopic, 1, peersbench.Keep); err != nil {
		return processor.RawRecord{}, err
	}
	// 100 ms apart: a million messages span 28 hours, well inside every processor's 7-day TTL.
	start := time.Date(2024, 2, 13, 15, 0, 0, 0, time.UTC)
	const chunk = 100_000
	var first processor.RawRecord
	for done := 0; done < n; done += chunk {
		recs := make([]processor.RawRecord, 0, min(chunk, n-done))
		for i := done; i < done+cap(recs); i++ {
			at := start.Add(time.Duration(i) * 100 * time.Millisecond)
			recs = append(recs, processor.RawRecord{Value: fmt.Appendf(nil,
				`{"ts":%d,"type":"message","props":{"platform":"web","msg_id":"pending-%08d","sender_type":"bot",`+
					`"sender_id":"bot-%d","recipient_type":"user","recipient_id":"user-%d","type":"text","body":{"text":"hello"}}}`,
				at.UnixMilli(), i, i%4, i%5000)})
		}
		if done == 0 {
			first = recs[0]
		}
		if err := processor.Produce(ctx, processor.Dial{Brokers: brokers}, pendingTopic, recs); err != nil {
			return processor.RawRecord{}, err
		}
	}
	return first, nil
}

// runPending runs each processor on pendingTopic, kills it once it has persisted its state, and
// times its successor's restore.
func runPending(ctx context.Context, r peersbench.Run, names []string, bin, chAddr string, jars peersbench.Jars,
	timeout time.Duration, sentinel processor.RawRecord) ([]pendingResult, error) {
	r.Input, r.Partitions, r.Dir = pendingTopic, 1, filepath.Join(r.Dir, "pending")
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return nil, err
	}
	var out []pendingResult
	for _, name := range names {
		var res result
		var err error
		switch name {
		case "chatpulse":
			res, err = runChatpulse(ctx, r, bin, chAddr, timeout, 0, 0, sentinel, chatpulseRun{
				group: "bench-chatpulse-pending", settle: pendingSettle,
				env: []string{"CHATPULSE_PARTITIONS=1", "CHATPULSE_SNAPSHOT_INTERVAL=5s",
					"CHATPULSE_DLQ_TOPIC=bench-chatpulse-pending.dlq", "CHATPULSE_CLICKHOUSE_DATABASE=bench_pending"},
			})
		case "kafka-streams":
			r.Commit = time.Second
			res, err = runPeer(ctx, r, r.KafkaStreams(jars.Streams), timeout, 0, 0, sentinel, pendingSettle)
		case "flink":
			r.Commit = 5 * time.Second
			res, err = runPeer(ctx, r, r.Flink(jars.Flink), timeout, 0, 0, sentinel, pendingSettle)
		default:
			return nil, fmt.Errorf("-only: unknown processor %q", name)
		}
		if err != nil {
			return nil, fmt.Errorf("%s, pending messages: %w", name, err)
		}
		out = append(out, pendingResult{name: name, process: res.wall, restart: res.restart, own: res.restoreLog})
	}
	return out, nil
}

// restoredLine finds chatpulse's own account of a restore in its log, and logField each
// key=value of it.
var (
	restoredLine = regexp.MustCompile(`msg="partition state restored".*`)
	logField     = regexp.MustCompile(`\b(\w+)=(\S+)`)
)

// chatpulseRestore is what the log says of the restore: its time, records replayed and
// snapshot size.
func chatpulseRestore(log string) string {
	m := restoredLine.FindString(log)
	if m == "" {
		return "no restore logged"
	}
	fields := map[string]string{}
	for _, f := range logField.FindAllStringSubmatch(m, -1) {
		fields[f[1]] = f[2]
	}
	var parts []string
	for _, key := range []string{"took", "replayed", "snapshot_bytes", "snapshot_load", "snapshot_read"} {
		if v, ok := fields[key]; ok {
			parts = append(parts, key+" "+v)
		}
	}
	return strings.Join(parts, ", ")
}

func printPending(rs []pendingResult, n int) {
	fmt.Println()
	fmt.Printf("Restore of one partition holding %d pending messages (killed %s after it caught up):\n\n", n, pendingSettle)
	fmt.Println("| processor | processing the pending messages | kill -9 to caught up again | the restore as the processor logs it |")
	fmt.Println("|---|---|---|---|")
	for _, r := range rs {
		own := r.own
		if own == "" {
			own = "n/a"
		}
		fmt.Printf("| %s | %s | %s | %s |\n", r.name, r.process.Round(time.Millisecond), r.restart.Round(time.Millisecond), own)
	}
}
