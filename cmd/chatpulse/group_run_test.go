package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// groupRun is a fleet of workers on Apache Kafka that read one topic as one group into one
// database, with an admin client that watches the group.
type groupRun struct {
	f     *fleet
	admin *testenv.Admin
	// pcfg is the workers' processor configuration, for waitNoLag.
	pcfg processor.Config
}

// newGroupRun creates topic on brokers and a fleet of bin's workers that read it as group into
// database on ch: commits and flushes every 200 ms, no HTTP server, and the settings of extra.
// The workers are killed when t ends, and their logs printed if it failed.
func newGroupRun(t *testing.T, bin string, brokers []string, ch *testenv.ClickHouse, topic, group, database string, extra map[string]string) *groupRun {
	t.Helper()
	if err := processor.CreateTopic(context.Background(), processor.Dial{Brokers: brokers}, topic, chaosPartitions); err != nil {
		t.Fatal(err)
	}
	admin, err := testenv.NewAdmin(brokers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	env := map[string]string{
		"CHATPULSE_KAFKA_BROKERS":       strings.Join(brokers, ","),
		"CHATPULSE_INPUT_TOPICS":        topic + "=auto",
		"CHATPULSE_GROUP":               group,
		"CHATPULSE_CLICKHOUSE_ADDR":     ch.Addr(),
		"CHATPULSE_CLICKHOUSE_DATABASE": database,
		"CHATPULSE_COMMIT_INTERVAL":     "200ms",
		"CHATPULSE_FLUSH_INTERVAL":      "200ms",
		"CHATPULSE_HTTP_ADDR":           "",
		"CHATPULSE_LOG_LEVEL":           "info",
	}
	for k, v := range extra {
		env[k] = v
	}
	f := &fleet{t: t, bin: bin, dir: t.TempDir(), env: workerEnv(env)}
	t.Cleanup(f.killAll)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("worker logs:\n%s", f.logs())
		}
	})
	pcfg := processor.DefaultConfig()
	pcfg.Brokers = brokers
	pcfg.InputTopics = processor.TopicFormats{topic: decode.FormatAuto}
	pcfg.Group = group
	return &groupRun{f: f, admin: admin, pcfg: pcfg}
}

// waitGroup polls the group (a consumer-protocol group if consumer) until ok holds for its
// state, and returns that state; it fails t with want after timeout.
func (g *groupRun) waitGroup(t *testing.T, consumer bool, timeout time.Duration, want string, ok func(testenv.GroupState) bool) testenv.GroupState {
	t.Helper()
	var last testenv.GroupState
	var lastErr error
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		last, lastErr = g.admin.Group(ctx, g.pcfg.Group, consumer)
		cancel()
		if lastErr == nil && ok(last) {
			return last
		}
	}
	t.Fatalf("the group %s never had %s within %s: last %+v, %v", g.pcfg.Group, want, timeout, last, lastErr)
	return last
}
