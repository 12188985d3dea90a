package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

// The schedule on Apache Kafka: no pause for the group to settle anywhere.
const (
	apacheChaosWorkers = 4  // workers at any time, but for the ClickHouse outages
	apacheChaosKills   = 32 // worker SIGKILLs, each followed by a replacement at once
	// apacheChaosPollEvery is how often the group coordinator is asked who owns what.
	apacheChaosPollEvery = 200 * time.Millisecond
)

// chaosScheduleEnv picks the chaos test's broker and schedule: "harsh" and "settled" run on a
// three-node Apache Kafka cluster, "settled" waiting after each worker replacement until the
// group owns every partition again, "harsh" never waiting; "kfake" is the settle-paused
// schedule on kfake. Unset, it follows the promise suites' broker (testenv.BrokerEnv): harsh on
// Apache Kafka, kfake on kfake.
const chaosScheduleEnv = "CHATPULSE_TEST_CHAOS"

// chaosSchedule is the schedule chaosScheduleEnv picks, or the default of the promise broker.
func chaosSchedule(t *testing.T) string {
	if v := os.Getenv(chaosScheduleEnv); v != "" {
		return v
	}
	kind, err := testenv.PromiseBroker()
	if err != nil {
		t.Fatal(err)
	}
	if kind == testenv.BrokerKfake {
		return "kfake"
	}
	return "harsh"
}

// apacheChaosEvents says what else happens just before the worker kill of that index.
var apacheChaosEvents = map[int]string{
	6:  "clickhouse",
	12: "broker",
	20: "clickhouse",
	26: "broker",
}

// apacheChaos is one run of the chaos test on a three-node Apache Kafka cluster.
type apacheChaos struct {
	*chaos
	cluster *testenv.ApacheKafka
	admin   *testenv.Admin
	live    atomic.Int32 // worker processes started and not killed
	killLog []kill

	mu      sync.Mutex
	samples []ownership

	brokerKills []string
	harsh       bool // no wait for the group between kills
}

// ownership is one answer of the group coordinator.
type ownership struct {
	at      time.Time
	ok      bool // stable, every partition assigned, and as many members as live workers
	members []string
}

// kill is a worker SIGKILL: when, and the group's members just before it, one of which was the
// killed worker.
type kill struct {
	at     time.Time
	before []string
}

// testChaosOnApacheKafka is the chaos test on Apache Kafka: 4 workers, 32 SIGKILLs 1 to 4 s apart
// each followed at once by a replacement, two ClickHouse outages, and twice a SIGKILL of the
// broker that leads the most input, repartition and state partitions, restarted two kills
// later. The views and metrics must then equal the generator's expected values.
func testChaosOnApacheKafka(t *testing.T, harsh bool) {
	testenv.RequireApacheKafka(t)
	base := &chaos{t: t, started: time.Now(), rng: rand.New(rand.NewPCG(chaosSeed, 2))}
	c := &apacheChaos{chaos: base, harsh: harsh}
	dir := t.TempDir()
	bin := buildChatpulse(t, dir)
	ctx := context.Background()

	data, recs := engagementInput(t, 4, 40, 6, 2000)

	c.ch = testenv.ClickHouseForTest(t)
	// testenv's brokers keep every record: the input is stamped February 2024, and a broker's
	// default retention would delete it before the workers read it.
	c.cluster = testenv.ApacheKafkaForTest(t, testenv.Nodes(3))
	brokers := c.cluster.Brokers()
	c.logf("broker: %s", c.cluster)
	var err error
	if c.admin, err = testenv.NewAdmin(brokers); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.admin.Close)
	if err := processor.CreateTopic(ctx, processor.Dial{Brokers: brokers}, chaosTopic, chaosPartitions); err != nil {
		t.Fatal(err)
	}
	chunks := chunkRecords(recs, chaosUpFront, apacheChaosKills)
	c.produce(chunks[0])

	c.fleet = &fleet{t: t, bin: bin, dir: dir, env: workerEnv(map[string]string{
		"CHATPULSE_KAFKA_BROKERS":         strings.Join(brokers, ","),
		"CHATPULSE_INPUT_TOPICS":          chaosTopic + "=auto",
		"CHATPULSE_GROUP":                 chaosGroup,
		"CHATPULSE_CLICKHOUSE_ADDR":       c.ch.Addr(),
		"CHATPULSE_CLICKHOUSE_DATABASE":   chaosDatabase,
		"CHATPULSE_KAFKA_SESSION_TIMEOUT": "6s",
		"CHATPULSE_COMMIT_INTERVAL":       "200ms",
		"CHATPULSE_FLUSH_INTERVAL":        "200ms",
		"CHATPULSE_HANDOFF_TIMEOUT":       "2s",
		"CHATPULSE_SNAPSHOT_INTERVAL":     "1s",
		"CHATPULSE_HTTP_ADDR":             "",
		"CHATPULSE_LOG_LEVEL":             "info",
		"GOTRACEBACK":                     "all",
	})}
	t.Cleanup(c.fleet.killAll)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("worker logs:\n%s", c.fleet.logs())
		}
	})
	for range apacheChaosWorkers {
		c.addLive()
	}
	pcfg := processor.DefaultConfig()
	pcfg.Brokers = brokers
	pcfg.InputTopics = processor.TopicFormats{chaosTopic: decode.FormatAuto}
	pcfg.Group = chaosGroup
	internal := []string{chaosTopic, pcfg.RepartitionTopic(), pcfg.StateTopic()}

	stop := make(chan struct{})
	var watched sync.WaitGroup
	watched.Go(func() { c.watchOwnership(stop) })

	var brokerDown int32 = -1
	for i := range apacheChaosKills {
		switch apacheChaosEvents[i] {
		case "clickhouse":
			c.clickHouseOutage(chunks[i+1])
			c.fleet.checkAlive()
			continue
		case "broker":
			brokerDown = c.killBusiestBroker(internal)
		}
		c.produce(chunks[i+1])
		c.killWorker()
		c.addLive()
		c.settle()
		c.pause(time.Second, 4*time.Second)
		// The broker comes back two kills after it went down.
		if brokerDown >= 0 && apacheChaosEvents[i-2] == "broker" {
			c.restartBroker(brokerDown)
			brokerDown = -1
		}
		c.fleet.checkAlive()
	}
	if brokerDown >= 0 {
		c.restartBroker(brokerDown)
	}

	waitNoLag(t, c.fleet, pcfg, 4*time.Minute)
	c.logf("the group has committed every record")
	close(stop)
	watched.Wait()
	producers, err := c.admin.Producers(ctx, pcfg.RepartitionTopic())
	if err != nil {
		t.Errorf("describe the repartition topic's producers: %v", err)
	} else if producers == 0 {
		t.Error("no partition leader of the repartition topic knows a producer id: the producer is not idempotent")
	}
	for len(c.fleet.running) > 0 {
		w := c.fleet.remove(0)
		if err := w.stop(chaosStopTimeout); err != nil {
			t.Error(err)
		}
	}

	compareDatabase(t, c.ch.Addr(), chaosDatabase, data.Expected)

	rows := 0
	for _, v := range data.Expected.Views() {
		rows += len(v.Lines)
	}
	for _, lines := range data.Expected.Metrics() {
		rows += len(lines)
	}
	med, worst, measured := c.recovery()
	schedule := "1-4 s apart once the group owned every partition again"
	if c.harsh {
		schedule = "1-4 s apart without waiting for the group"
	}
	summary := fmt.Sprintf("chaos on Apache Kafka %s (3 nodes, replication 3, min.insync.replicas 2): %d worker SIGKILLs %s, "+
		"%d ClickHouse outages, %d broker SIGKILLs (%s), %d worker processes; every partition owned again after a worker kill: median %s, max %s (%d kills measured); "+
		"%d records, %d expected rows compared, %d idempotent producer ids on the repartition topic; %s",
		c.cluster.Version(), c.kills, schedule, c.outages, len(c.brokerKills), strings.Join(c.brokerKills, ", "), len(c.fleet.all),
		med.Round(100*time.Millisecond), worst.Round(100*time.Millisecond), measured, len(recs), rows, producers,
		time.Since(c.started).Round(time.Second))
	t.Log(summary)
	if !t.Failed() {
		if err := testenv.Report("chaos", summary); err != nil {
			t.Error(err)
		}
	}
}

// addLive starts a worker and counts it live.
func (c *apacheChaos) addLive() {
	c.t.Helper()
	c.live.Add(1)
	c.logf("started worker %s", c.fleet.add().name)
}

// killWorker SIGKILLs a random running worker.
func (c *apacheChaos) killWorker() {
	c.t.Helper()
	w := c.fleet.remove(c.rng.IntN(len(c.fleet.running)))
	if err := w.kill(); err != nil {
		c.t.Fatal(err)
	}
	c.live.Add(-1)
	c.mu.Lock()
	var before []string
	if n := len(c.samples); n > 0 {
		before = c.samples[n-1].members
	}
	c.killLog = append(c.killLog, kill{at: time.Now(), before: before})
	c.mu.Unlock()
	c.kills++
	c.logf("SIGKILL worker %s", w.name)
}

// clickHouseOutage kills ClickHouse, kills a worker while it is down (its replacement would exit
// at start without ClickHouse), and restarts both.
func (c *apacheChaos) clickHouseOutage(chunk []processor.RawRecord) {
	t := c.t
	t.Helper()
	c.logf("SIGKILL ClickHouse")
	if err := c.ch.Kill(); err != nil {
		t.Fatal(err)
	}
	c.produce(chunk)
	c.pause(time.Second, 2*time.Second)
	c.killWorker()
	c.pause(time.Second, 2*time.Second)
	if err := c.ch.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.outages++
	c.logf("ClickHouse restarted")
	c.addLive()
	c.settle()
}

// settle waits, on the settled schedule, until the coordinator says that exactly the live
// workers own every partition.
func (c *apacheChaos) settle() {
	c.t.Helper()
	if c.harsh {
		return
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := c.admin.Group(ctx, chaosGroup, false)
		cancel()
		if err == nil && st.Stable && st.Assigned == 2*chaosPartitions && len(st.Members) == int(c.live.Load()) &&
			lostOne(c.lastKillMembers(), st.Members) {
			return
		}
		time.Sleep(apacheChaosPollEvery)
	}
	c.t.Fatal("the group did not settle within 2 minutes")
}

// killBusiestBroker SIGKILLs the broker that leads the most partitions of topics.
func (c *apacheChaos) killBusiestBroker(topics []string) int32 {
	t := c.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, led, err := c.admin.BusiestLeader(ctx, topics...)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cluster.Kill(id); err != nil {
		t.Fatal(err)
	}
	c.brokerKills = append(c.brokerKills, fmt.Sprintf("node %d leading %d partitions", id, led))
	c.logf("SIGKILL broker %d, leader of %d of the partitions of %s", id, led, strings.Join(topics, ", "))
	return id
}

func (c *apacheChaos) restartBroker(id int32) {
	c.t.Helper()
	if err := c.cluster.Start(context.Background(), id); err != nil {
		c.t.Fatal(err)
	}
	c.logf("broker %d restarted", id)
}

// produce writes recs to the input topic through every node.
func (c *apacheChaos) produce(recs []processor.RawRecord) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := processor.Produce(ctx, processor.Dial{Brokers: c.cluster.Brokers()}, chaosTopic, recs); err != nil {
		c.t.Fatal(err)
	}
	c.logf("produced %d records", len(recs))
}

// watchOwnership asks the group coordinator who owns what until stop closes.
func (c *apacheChaos) watchOwnership(stop <-chan struct{}) {
	tick := time.NewTicker(apacheChaosPollEvery)
	defer tick.Stop()
	// The input and the repartition topic, each with chaosPartitions partitions.
	const want = 2 * chaosPartitions
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		live := int(c.live.Load())
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := c.admin.Group(ctx, chaosGroup, false)
		cancel()
		if err != nil {
			continue
		}
		s := ownership{at: time.Now(), members: st.Members}
		s.ok = st.Stable && st.Assigned == want && len(st.Members) == live && live == int(c.live.Load())
		c.mu.Lock()
		c.samples = append(c.samples, s)
		c.mu.Unlock()
	}
}

// recovery is the median and the longest time from a worker kill until the coordinator first
// said that the group was stable, every partition assigned, as many members as live workers, and
// one of the members before the kill (the killed worker) gone; over the kills after which it
// said so.
func (c *apacheChaos) recovery() (median, worst time.Duration, measured int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ds []time.Duration
	for _, k := range c.killLog {
		for _, s := range c.samples {
			if s.at.After(k.at) && s.ok && lostOne(k.before, s.members) {
				ds = append(ds, s.at.Sub(k.at))
				break
			}
		}
	}
	if len(ds) == 0 {
		return 0, 0, 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[len(ds)-1], len(ds)
}

// lostOne says whether some member of before is not in now.
func lostOne(before, now []string) bool {
	for _, m := range before {
		if !slices.Contains(now, m) {
			return true
		}
	}
	return false
}

// lastKillMembers are the members before the latest kill, or none before the first.
func (c *apacheChaos) lastKillMembers() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.killLog) == 0 {
		return []string{""}
	}
	return c.killLog[len(c.killLog)-1].before
}
