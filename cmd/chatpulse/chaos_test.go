package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/sink"
	"github.com/chatpulse/chatpulse/testenv"
)

const (
	chaosSeed       = 20240213 // fixes the schedule: which step comes when, which worker, how long
	chaosTopic      = "chaos.events"
	chaosGroup      = "chaos"
	chaosDatabase   = "chaos"
	chaosPartitions = 12
	chaosWorkers    = 3
	// chaosSettle is how long the group gets after a member comes or goes, or the broker
	// restarts, before a worker is killed: more than the 6 s session timeout, so that the
	// rebalance is over. kfake expires a member that waits in JoinGroup by its session timeout
	// and never answers that request, so a member rejoining next to one just killed can hang in
	// JoinGroup until the client gives up a minute later. That is the broker's flaw, not the
	// worker's, and the schedule steps around it.
	chaosSettle = 10 * time.Second
	// chaosStopTimeout bounds a graceful stop: the handoff takes seconds, and even a member the
	// broker left hanging in JoinGroup gives up after the 60 s rebalance timeout plus 10 s.
	chaosStopTimeout = 90 * time.Second
	// chaosUpFront is the share of the records produced before the chaos starts; the rest
	// arrives in one chunk per step, so that work is in flight when something breaks.
	chaosUpFront = 0.4
)

// chaosStep is one kind of failure the schedule injects.
type chaosStep int

const (
	stepKillWorker    chaosStep = iota // SIGKILL a worker, start a replacement
	stepScale                          // add a fourth worker, then stop one with SIGTERM
	stepClickHouseOut                  // SIGKILL ClickHouse, restart it a few seconds later
	// stepClickHouseOutKill also SIGKILLs a worker while ClickHouse is down, when it holds rows
	// that are not durable, and starts its replacement once ClickHouse is back.
	stepClickHouseOutKill
	stepBrokerRestart // SIGKILL the broker, restart it on its port and data
)

func (s chaosStep) String() string {
	return [...]string{
		stepKillWorker:        "kill a worker",
		stepScale:             "scale up and down",
		stepClickHouseOut:     "ClickHouse outage",
		stepClickHouseOutKill: "ClickHouse outage and a worker killed",
		stepBrokerRestart:     "broker killed and restarted",
	}[s]
}

// chaosSteps are the steps of one run; the seeded schedule shuffles them.
var chaosSteps = []chaosStep{
	stepKillWorker, stepKillWorker,
	stepScale, stepScale,
	stepClickHouseOut, stepClickHouseOut, stepClickHouseOutKill,
	stepBrokerRestart,
}

// TestChaosYieldsTheRowsOfACleanRun runs `chatpulse run` processes against a broker process and
// a ClickHouse server while a seeded schedule kills workers, scales the group up and down, and
// kills and restarts ClickHouse and the broker. Once the group has caught up, every contract
// view and documented metric must equal the generator's expected values, which are what a clean
// run yields.
//
// The schedule above, with its settle pauses, runs on kfake. The harsh schedule on a
// three-node Apache Kafka cluster (testChaosOnApacheKafka) runs instead wherever the promise
// suites run on Apache Kafka; see chaosSchedule.
func TestChaosYieldsTheRowsOfACleanRun(t *testing.T) {
	switch v := chaosSchedule(t); v {
	case "kfake":
	case "harsh", "settled":
		testChaosOnApacheKafka(t, v == "harsh")
		return
	default:
		t.Fatalf("%s: want kfake, settled or harsh, got %q", chaosScheduleEnv, v)
	}
	c := &chaos{t: t, started: time.Now(), rng: rand.New(rand.NewPCG(chaosSeed, 1))}
	dir := t.TempDir()
	bin := buildChatpulse(t, dir)
	ctx := context.Background()

	data, recs := engagementInput(t, 4, 40, 6, 2000)

	c.ch = testenv.ClickHouseForTest(t)
	var err error
	if c.broker, err = testenv.StartKafkaProcess(ctx, bin, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.broker.Close(); err != nil {
			t.Error(err)
		}
	})
	brokers := c.broker.Brokers()
	if err := processor.CreateTopic(ctx, processor.Dial{Brokers: brokers}, chaosTopic, chaosPartitions); err != nil {
		t.Fatal(err)
	}
	chunks := chunkRecords(recs, chaosUpFront, len(chaosSteps))
	c.produce(chunks[0])

	c.fleet = &fleet{t: t, bin: bin, dir: dir, env: workerEnv(map[string]string{
		"CHATPULSE_KAFKA_BROKERS":         strings.Join(brokers, ","),
		"CHATPULSE_INPUT_TOPICS":          chaosTopic + "=auto",
		"CHATPULSE_GROUP":                 chaosGroup,
		"CHATPULSE_CLICKHOUSE_ADDR":       c.ch.Addr(),
		"CHATPULSE_CLICKHOUSE_DATABASE":   chaosDatabase,
		"CHATPULSE_KAFKA_SESSION_TIMEOUT": "6s", // kfake's minimum
		"CHATPULSE_COMMIT_INTERVAL":       "200ms",
		"CHATPULSE_FLUSH_INTERVAL":        "200ms",
		"CHATPULSE_HANDOFF_TIMEOUT":       "2s",
		"CHATPULSE_SNAPSHOT_INTERVAL":     "1s", // restores after kills start from snapshots
		"CHATPULSE_HTTP_ADDR":             "",   // several workers share the host
		// Info, not warn: the test waits for "consuming" before it may stop a worker gracefully.
		"CHATPULSE_LOG_LEVEL": "info",
		"GOTRACEBACK":         "all", // a hung worker's SIGQUIT dump shows every goroutine
	})}
	// Cleanups run last first: the workers die before the broker and ClickHouse they use.
	t.Cleanup(c.fleet.killAll)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("worker logs:\n%s", c.fleet.logs())
		}
	})
	for range chaosWorkers {
		c.logf("started worker %s", c.fleet.add().name)
	}
	c.lastChange = time.Now()

	steps := slices.Clone(chaosSteps)
	c.rng.Shuffle(len(steps), func(i, j int) { steps[i], steps[j] = steps[j], steps[i] })
	for i, step := range steps {
		c.logf("step %d: %s", i+1, step)
		c.run(step, chunks[i+1])
		c.pause(500*time.Millisecond, 2*time.Second)
		c.fleet.checkAlive()
	}
	if len(c.fleet.running) != chaosWorkers {
		t.Fatalf("%d workers run after the chaos, want %d", len(c.fleet.running), chaosWorkers)
	}

	pcfg := processor.DefaultConfig()
	pcfg.Brokers = brokers
	pcfg.InputTopics = processor.TopicFormats{chaosTopic: decode.FormatAuto}
	pcfg.Group = chaosGroup
	waitNoLag(t, c.fleet, pcfg, 3*time.Minute)
	c.logf("the group has committed every record")
	for len(c.fleet.running) > 0 {
		w := c.fleet.remove(0)
		if err := w.stop(chaosStopTimeout); err != nil {
			t.Error(err)
		}
		c.logf("worker %s stopped", w.name)
	}

	compareDatabase(t, c.ch.Addr(), chaosDatabase, data.Expected)

	if !t.Failed() {
		summary := fmt.Sprintf("chaos: survived %s, %s, %s and %s (%d records, %d worker processes, %s)",
			count(c.kills, "worker kill"), count(c.rebalances, "rebalance"), count(c.outages, "ClickHouse outage"),
			count(c.brokerRestarts, "broker restart"), len(recs), len(c.fleet.all), time.Since(c.started).Round(time.Second))
		t.Log(summary)
		if err := testenv.Report("chaos", summary); err != nil {
			t.Error(err)
		}
	}
}

// chaos is one run of the chaos test: what it breaks and what it counted.
type chaos struct {
	t       *testing.T
	started time.Time
	rng     *rand.Rand
	fleet   *fleet
	ch      *testenv.ClickHouse
	broker  *testenv.KafkaProcess
	// lastChange is when the group's membership last changed or the broker last restarted.
	lastChange time.Time

	kills, rebalances, outages, brokerRestarts int
}

// run injects one failure and recovers from it; chunk arrives just before the failure, or
// during it, so that work is in flight when it strikes.
func (c *chaos) run(step chaosStep, chunk []processor.RawRecord) {
	t := c.t
	t.Helper()
	switch step {
	case stepKillWorker:
		c.settle()
		c.produce(chunk)
		c.kill()
		c.addWorker()
	case stepScale:
		c.produce(chunk)
		c.addWorker()
		c.pause(time.Second, 3*time.Second)
		w := c.fleet.remove(c.rng.IntN(len(c.fleet.running)))
		c.logf("SIGTERM worker %s", w.name)
		if err := w.stop(chaosStopTimeout); err != nil {
			t.Fatal(err)
		}
		c.logf("worker %s stopped", w.name)
		c.lastChange = time.Now()
		c.rebalances++
	case stepClickHouseOut, stepClickHouseOutKill:
		if step == stepClickHouseOutKill {
			c.settle()
		}
		c.logf("SIGKILL ClickHouse")
		if err := c.ch.Kill(); err != nil {
			t.Fatal(err)
		}
		c.produce(chunk)
		c.pause(2*time.Second, 4*time.Second)
		if step == stepClickHouseOutKill {
			c.kill()
		}
		if err := c.ch.Restart(context.Background()); err != nil {
			t.Fatal(err)
		}
		c.logf("ClickHouse restarted")
		c.outages++
		if step == stepClickHouseOutKill {
			// Not sooner: a worker that cannot reach ClickHouse at start exits.
			c.addWorker()
		}
	case stepBrokerRestart:
		c.produce(chunk)
		c.logf("SIGKILL broker (pid %d)", c.broker.Pid())
		if err := c.broker.Kill(); err != nil {
			t.Fatal(err)
		}
		c.pause(time.Second, 3*time.Second)
		if err := c.broker.Restart(context.Background()); err != nil {
			t.Fatal(err)
		}
		c.logf("broker restarted (pid %d)", c.broker.Pid())
		c.lastChange = time.Now()
		c.brokerRestarts++
	}
}

// kill SIGKILLs a random running worker.
func (c *chaos) kill() {
	c.t.Helper()
	w := c.fleet.remove(c.rng.IntN(len(c.fleet.running)))
	c.logf("SIGKILL worker %s", w.name)
	if err := w.kill(); err != nil {
		c.t.Fatal(err)
	}
	c.lastChange = time.Now()
	c.kills++
	c.rebalances++
}

// addWorker starts one more worker and waits until it consumes.
func (c *chaos) addWorker() {
	c.t.Helper()
	c.logf("started worker %s", c.fleet.add().name)
	c.lastChange = time.Now()
	c.rebalances++
}

// produce writes recs to the input topic.
func (c *chaos) produce(recs []processor.RawRecord) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := processor.Produce(ctx, processor.Dial{Brokers: c.broker.Brokers()}, chaosTopic, recs); err != nil {
		c.t.Fatal(err)
	}
	c.logf("produced %d records", len(recs))
}

// settle waits until chaosSettle has passed since the last change of membership.
func (c *chaos) settle() {
	time.Sleep(time.Until(c.lastChange.Add(chaosSettle)))
}

// logf logs what the test does with the wall-clock time (UTC, as in the workers' logs) and the
// time since the test started.
func (c *chaos) logf(format string, args ...any) {
	c.t.Helper()
	now := time.Now()
	c.t.Logf("%s +%5.1fs %s", now.UTC().Format("15:04:05.000"), now.Sub(c.started).Seconds(), fmt.Sprintf(format, args...))
}

// pause sleeps for a seeded duration in [lo, hi).
func (c *chaos) pause(lo, hi time.Duration) {
	time.Sleep(lo + time.Duration(c.rng.Int64N(int64(hi-lo))))
}

// count writes n and noun, in the plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// buildChatpulse builds this command's binary into dir.
func buildChatpulse(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "chatpulse")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// chunkRecords splits recs, in order, into the share produced up front and n chunks of the rest.
func chunkRecords(recs []processor.RawRecord, upFront float64, n int) [][]processor.RawRecord {
	first := int(float64(len(recs)) * upFront)
	chunks := [][]processor.RawRecord{recs[:first]}
	rest := recs[first:]
	for i := range n {
		chunks = append(chunks, rest[len(rest)*i/n:len(rest)*(i+1)/n])
	}
	return chunks
}

// waitNoLag waits until the group has committed every record, which happens only once their
// rows are in ClickHouse, failing when a worker dies or the deadline passes.
func waitNoLag(t *testing.T, f *fleet, cfg processor.Config, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lag int64
	var err error
	for time.Now().Before(deadline) {
		f.checkAlive()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		lag, err = processor.Lag(ctx, cfg)
		cancel()
		if err == nil && lag == 0 {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("the group did not catch up within %s: lag %d, last error %v", timeout, lag, err)
}

// compareDatabase compares the contract views and metrics of database on the ClickHouse
// server at addr with the generator's expected rows.
func compareDatabase(t *testing.T, addr, database string, e gen.Expected) {
	t.Helper()
	scfg := sink.DefaultConfig()
	scfg.Addr, scfg.Database = addr, database
	client, err := sink.Open(context.Background(), scfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	compareWithExpected(t, client, e)
}

// compareWithExpected compares every contract view and documented metric with the generator's
// expected rows.
func compareWithExpected(t *testing.T, client *sink.Client, e gen.Expected) {
	t.Helper()
	ctx := context.Background()
	for _, v := range e.Views() {
		got, err := client.Snapshot(ctx, v.View)
		if err != nil {
			t.Fatal(err)
		}
		if v.Drop >= 0 {
			got = gen.WithoutColumn(got, v.Drop)
		}
		if !gen.SameRows(got, v.Lines) {
			t.Errorf("%s differs from the expected rows:\n%s", v.View, rowDiff(got, v.Lines))
		}
	}
	metrics := e.Metrics()
	for _, name := range sink.MetricNames() {
		want, ok := metrics[name]
		if !ok {
			t.Errorf("metric %s has no expected value in this test", name)
			continue
		}
		got, err := client.Metric(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if !gen.SameRows(got, want) {
			t.Errorf("metric %s differs from the expected rows:\n%s", name, rowDiff(got, want))
		}
	}
}

// rowDiff describes how sorted rows differ: their counts, the first row at which they part, and
// the first rows only one side has.
func rowDiff(got, want []string) string {
	const shown = 5
	var sb strings.Builder
	fmt.Fprintf(&sb, "  got %d rows, want %d\n", len(got), len(want))
	for i := range min(len(got), len(want)) {
		if !gen.SameRows(got[i:i+1], want[i:i+1]) {
			fmt.Fprintf(&sb, "  first difference at row %d:\n    got  %s\n    want %s\n", i, got[i], want[i])
			break
		}
	}
	gotSet := make(map[string]bool, len(got))
	for _, l := range got {
		gotSet[l] = true
	}
	wantSet := make(map[string]bool, len(want))
	for _, l := range want {
		wantSet[l] = true
	}
	listOnly := func(label string, lines []string, other map[string]bool) {
		n := 0
		for _, l := range lines {
			if other[l] {
				continue
			}
			if n == shown {
				fmt.Fprintf(&sb, "  ...\n")
				return
			}
			fmt.Fprintf(&sb, "  %s %s\n", label, l)
			n++
		}
	}
	listOnly("missing:   ", want, gotSet)
	listOnly("unexpected:", got, wantSet)
	return sb.String()
}
