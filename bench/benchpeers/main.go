package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chatpulse/chatpulse/bench/peersbench"
	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/testenv"
)

const topic = "bench.raw"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "bench-peers:", err)
		os.Exit(1)
	}
}

// result is one processor's figures.
type result struct {
	name      string
	records   int
	wall      time.Duration
	proc      peersbench.Usage
	broker    time.Duration
	ch        time.Duration
	stateB    int64
	stateWhat string
	restart   time.Duration // kill -9, restart, restore and process one more record
	// restoreLog is the restore as the restarted processor logs it (chatpulse only).
	restoreLog string
}

// chatpulseRun is what a scenario sets for chatpulse: its group, how long it runs on after it
// has caught up, before the kill, and environment beyond the budget's.
type chatpulseRun struct {
	group  string
	settle time.Duration
	env    []string
}

func run(ctx context.Context) error {
	events := flag.Int("events", 1_000_000, "approximate raw records to generate (as `make bench`; 0: skip the throughput scenario)")
	only := flag.String("only", "chatpulse,kafka-streams,flink", "processors to run, in order")
	threads := flag.Int("threads", peersbench.DefaultBudget.Threads, "threads of every processor")
	heap := flag.Int("heap", peersbench.DefaultBudget.HeapMiB, "heap MiB of every processor (GOMEMLIMIT, -Xmx)")
	stateMem := flag.Int("state-memory", peersbench.DefaultBudget.StateMemory, "RocksDB MiB of each peer")
	softLimit := flag.Int("chatpulse-soft-limit", peersbench.DefaultBudget.GoSoftLimitMiB, "chatpulse's GOMEMLIMIT in MiB, at most -heap (0: -heap)")
	timeout := flag.Duration("timeout", 20*time.Minute, "longest a processor may take")
	pending := flag.Int("pending", 1_000_000, "messages of the restore scenario's one partition (0: skip it)")
	flag.Parse()
	budget := peersbench.Budget{Threads: *threads, HeapMiB: *heap, StateMemory: *stateMem, GoSoftLimitMiB: *softLimit}
	say := func(format string, a ...any) { fmt.Printf("==> "+format+"\n", a...) }

	dir, err := os.MkdirTemp("", "bench-peers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	say("building chatpulse and the peers")
	bin := filepath.Join(dir, "chatpulse")
	if out, err := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./cmd/chatpulse").CombinedOutput(); err != nil {
		return fmt.Errorf("build chatpulse: %w\n%s", err, out)
	}
	jars, err := peersbench.Build(ctx, filepath.Join("bench", "peers"))
	if err != nil {
		return err
	}

	kafka, err := testenv.StartApacheKafka(ctx, log)
	if err != nil {
		return err
	}
	defer kafka.Close()
	ch, err := testenv.StartClickHouse(ctx, log)
	if err != nil {
		return err
	}
	defer ch.Close()
	brokers := kafka.Brokers()
	brokerPid := child("kafka.Kafka")
	chPid := child("clickhouse", ch.Dir())
	if brokerPid == 0 || chPid == 0 {
		return fmt.Errorf("cannot find the broker (%d) or ClickHouse (%d) process", brokerPid, chPid)
	}
	say("%s, ClickHouse 18.16 at %s", kafka, ch.Addr())

	say("budget of every processor: %d threads, %d MiB heap; RocksDB %d MiB per peer; chatpulse %s", budget.Threads, budget.HeapMiB, budget.StateMemory, budget.GoEnv()[1])
	r := peersbench.Run{Brokers: brokers, Input: topic, Partitions: 12, Dir: dir, Budget: budget}
	if *events > 0 {
		if err := runThroughput(ctx, r, strings.Split(*only, ","), bin, ch.Addr(), jars, *events, *timeout, brokerPid, chPid); err != nil {
			return err
		}
	}
	if *pending == 0 {
		return nil
	}
	sentinel, err := producePending(ctx, brokers, *pending)
	if err != nil {
		return err
	}
	say("produced %d messages without receipts to %s, 1 partition", *pending, pendingTopic)
	pend, err := runPending(ctx, r, strings.Split(*only, ","), bin, ch.Addr(), jars, *timeout, sentinel)
	if err != nil {
		return err
	}
	printPending(pend, *pending)
	return nil
}

// runThroughput runs each processor on the benchmark topic, one after another, and prints the
// table of their figures.
func runThroughput(ctx context.Context, r peersbench.Run, names []string, bin, chAddr string, jars peersbench.Jars,
	events int, timeout time.Duration, brokerPid, chPid int) error {
	n, messages, sentinel, err := produce(ctx, r.Brokers, events)
	if err != nil {
		return err
	}
	fmt.Printf("==> produced %d Causal Foundry records (%d messages) to %s, 12 partitions, the generator's keys\n", n, messages, topic)
	var results []result
	for _, name := range names {
		var res result
		var err error
		switch name {
		case "chatpulse":
			res, err = runChatpulse(ctx, r, bin, chAddr, timeout, brokerPid, chPid, sentinel, chatpulseRun{group: "bench-chatpulse"})
		case "kafka-streams":
			r.Commit = time.Second // the app's default
			res, err = runPeer(ctx, r, r.KafkaStreams(jars.Streams), timeout, brokerPid, chPid, sentinel, 0)
		case "flink":
			r.Commit = 5 * time.Second // the job's default
			res, err = runPeer(ctx, r, r.Flink(jars.Flink), timeout, brokerPid, chPid, sentinel, 0)
		default:
			return fmt.Errorf("-only: unknown processor %q", name)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		res.records = n
		results = append(results, res)
		fmt.Printf("==> %s done in %s\n", name, res.wall.Round(time.Millisecond))
	}
	printTable(results, messages)
	return nil
}

// produce writes the `make bench` dataset (same generator settings) to topic and returns its size
// and its first record, which a restart measurement writes again.
func produce(ctx context.Context, brokers []string, target int) (int, int, processor.RawRecord, error) {
	var none processor.RawRecord
	gcfg := gen.DefaultConfig()
	gcfg.Users, gcfg.Groups = 5000, 500
	gcfg.Messages = max(target/6, 100)
	data, err := gen.CausalFoundry(gcfg)
	if err != nil {
		return 0, 0, none, err
	}
	recs := make([]processor.RawRecord, len(data.Records))
	for i, r := range data.Records {
		recs[i] = processor.RawRecord{Key: r.Key, Value: r.Value, TimestampMs: r.TimestampMs}
	}
	if err := peersbench.CreateTopic(ctx, brokers, topic, 12, peersbench.Keep); err != nil {
		return 0, 0, none, err
	}
	if err := processor.Produce(ctx, processor.Dial{Brokers: brokers}, topic, recs); err != nil {
		return 0, 0, none, err
	}
	n, messages, first := len(recs), data.Stats.Messages, recs[0]
	data, recs = gen.Dataset{}, nil
	runtime.GC()
	debug.FreeOSMemory()
	return n, messages, first, nil
}

// runChatpulse runs `chatpulse run` as a process of its own with the budget, until its group has
// committed every record: it commits only once the rows are in ClickHouse.
func runChatpulse(ctx context.Context, r peersbench.Run, bin, chAddr string, timeout time.Duration, brokerPid, chPid int,
	sentinel processor.RawRecord, run chatpulseRun) (result, error) {
	group := run.group
	env := append(r.Budget.GoEnv(),
		"CHATPULSE_KAFKA_BROKERS="+strings.Join(r.Brokers, ","),
		"CHATPULSE_INPUT_TOPICS="+r.Input+"=causalfoundry",
		"CHATPULSE_GROUP="+group,
		"CHATPULSE_CLICKHOUSE_ADDR="+chAddr,
		"CHATPULSE_HTTP_ADDR=",
		"CHATPULSE_LOG_LEVEL=warn",
		// Static membership, as Kafka Streams has in this harness: the successor takes the
		// killed member's place, and its partitions, at once instead of after the session
		// timeout (the default 45 s, as Kafka Streams').
		"CHATPULSE_KAFKA_INSTANCE_ID="+group+"-0",
		// Offsets committed every second, as Kafka Streams commits here; rows are durable at
		// the sink's flush (its default second) whatever the commit interval.
		"CHATPULSE_COMMIT_INTERVAL=1s",
	)
	env = append(env, run.env...)
	b0, c0 := cpu(brokerPid), cpu(chPid)
	start := time.Now()
	p, err := peersbench.StartCommand("chatpulse", r.Dir, env, bin, "run")
	if err != nil {
		return result{}, err
	}
	defer p.Stop(30 * time.Second)
	if err := peersbench.WaitCaughtUp(ctx, r.Brokers, group, timeout, 100*time.Millisecond, exited(p),
		r.Input, group+".repartition"); err != nil {
		return result{}, fmt.Errorf("%w\n%s", err, p.LogTail())
	}
	res := result{name: "chatpulse", wall: time.Since(start)}
	if res.proc, err = peersbench.ReadUsage(p.Pid()); err != nil {
		return result{}, err
	}
	res.broker, res.ch = cpu(brokerPid)-b0, cpu(chPid)-c0
	res.stateWhat = "not measured here (see Restoring state: snapshot bytes per pending message)"
	time.Sleep(run.settle)
	p.Kill()
	// The successor logs at info, which says how its restore went.
	successor := append(append([]string{}, env...), "CHATPULSE_LOG_LEVEL=info")
	var log string
	res.restart, log, err = restart(ctx, r, group, sentinel, timeout, func() (*peersbench.Process, error) {
		return peersbench.StartCommand("chatpulse-restarted", r.Dir, successor, bin, "run")
	}, r.Input, group+".repartition")
	res.restoreLog = chatpulseRestore(log)
	return res, err
}

// restart measures a crash: the killed processor's successor is started with sentinel (a copy of
// a record it has seen, which changes no row) waiting behind the committed offsets, and the figure
// is the time from its start until its group has committed that record too: start-up, rejoining,
// restoring state and processing one record.
func restart(ctx context.Context, r peersbench.Run, group string, sentinel processor.RawRecord, timeout time.Duration,
	start func() (*peersbench.Process, error), progress ...string) (time.Duration, string, error) {
	if err := processor.Produce(ctx, processor.Dial{Brokers: r.Brokers}, r.Input, []processor.RawRecord{sentinel}); err != nil {
		return 0, "", err
	}
	t0 := time.Now()
	p, err := start()
	if err != nil {
		return 0, "", err
	}
	defer p.Stop(30 * time.Second)
	if err := peersbench.WaitCaughtUp(ctx, r.Brokers, group, timeout, 100*time.Millisecond, exited(p), progress...); err != nil {
		return 0, "", fmt.Errorf("after restart: %w\n%s", err, p.LogTail())
	}
	return time.Since(t0), p.LogTail(), nil
}

// runPeer runs one peer with the budget until its group has committed every record of its input
// (and Kafka Streams' repartition topic): under exactly-once the rows of those records are then
// committed too.
func runPeer(ctx context.Context, r peersbench.Run, peer peersbench.Peer, timeout time.Duration, brokerPid, chPid int,
	sentinel processor.RawRecord, settle time.Duration) (result, error) {
	for _, t := range peer.PreCreate {
		cfg := peersbench.Keep
		if t == peer.Output {
			cfg = peersbench.Compacted
		}
		if err := peersbench.CreateTopic(ctx, r.Brokers, t, r.Partitions, cfg); err != nil {
			return result{}, err
		}
	}
	b0, c0 := cpu(brokerPid), cpu(chPid)
	start := time.Now()
	p, err := r.Start(peer)
	if err != nil {
		return result{}, err
	}
	defer p.Stop(30 * time.Second)
	if err := peersbench.WaitCaughtUp(ctx, r.Brokers, peer.Group, timeout, 100*time.Millisecond, exited(p), peer.Progress...); err != nil {
		return result{}, fmt.Errorf("%w\n%s", err, p.LogTail())
	}
	res := result{name: peer.Name, wall: time.Since(start)}
	if res.proc, err = peersbench.ReadUsage(p.Pid()); err != nil {
		return result{}, err
	}
	res.broker, res.ch = cpu(brokerPid)-b0, cpu(chPid)-c0
	time.Sleep(settle)
	p.Kill()
	var extra []string
	switch peer.Name {
	case "kafka-streams":
		state := filepath.Join(r.Dir, "streams-state")
		res.stateB, res.stateWhat = du(state), "local RocksDB files at the kill"
		// a lost machine: the successor restores the whole store from its changelog
		if err := os.RemoveAll(state); err != nil {
			return result{}, err
		}
	case "flink":
		ckpt := filepath.Join(r.Dir, "flink-checkpoints")
		res.stateB, res.stateWhat = du(ckpt), "retained checkpoint files at the kill"
		latest, err := latestCheckpoint(ckpt)
		if err != nil {
			return result{}, err
		}
		extra = append(extra, "PEERS_RESTORE_FROM=file://"+latest)
	}
	res.restart, _, err = restart(ctx, r, peer.Group, sentinel, timeout, func() (*peersbench.Process, error) {
		return r.Start(peer, extra...)
	}, peer.Progress...)
	return res, err
}

// latestCheckpoint is the completed checkpoint (one with _metadata) of the highest number under dir.
func latestCheckpoint(dir string) (string, error) {
	best, bestN := "", -1
	metas, _ := filepath.Glob(filepath.Join(dir, "*", "chk-*", "_metadata"))
	for _, m := range metas {
		d := filepath.Dir(m)
		n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "chk-"))
		if err == nil && n > bestN {
			best, bestN = d, n
		}
	}
	if best == "" {
		return "", fmt.Errorf("no completed checkpoint under %s", dir)
	}
	return best, nil
}

func exited(p *peersbench.Process) func() error {
	return func() error {
		if done, err := p.Exited(); done {
			return fmt.Errorf("%s exited (%v)\n%s", p.Name, err, p.LogTail())
		}
		return nil
	}
}

func cpu(pid int) time.Duration {
	u, err := peersbench.ReadUsage(pid)
	if err != nil {
		return 0
	}
	return u.CPU
}

// du is the bytes of the regular files under dir.
func du(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// child is the pid of this process's child whose command line holds every part, or 0.
func child(parts ...string) int {
	self := os.Getpid()
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmdline, err1 := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		stat, err2 := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if errors.Join(err1, err2) != nil {
			continue
		}
		i := strings.LastIndexByte(string(stat), ')')
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(self) {
			continue
		}
		all := true
		for _, p := range parts {
			all = all && strings.Contains(string(cmdline), p)
		}
		if all {
			return pid
		}
	}
	return 0
}

func printTable(rs []result, messages int) {
	fmt.Println()
	fmt.Println("| processor | records/s until durable | wall | CPU-s per 1M records: processor / broker / ClickHouse | processor peak RSS | state bytes per held message | kill -9 to caught up again |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, r := range rs {
		m := float64(r.records) / 1e6
		state := r.stateWhat
		if r.stateB > 0 {
			state = fmt.Sprintf("%.1f (%d bytes / %d messages; %s)", float64(r.stateB)/float64(messages), r.stateB, messages, r.stateWhat)
		}
		fmt.Printf("| %s | %.0f | %s | %.2f / %.2f / %.2f | %.1f MiB | %s | %s |\n", r.name,
			float64(r.records)/r.wall.Seconds(), r.wall.Round(time.Millisecond),
			r.proc.CPU.Seconds()/m, r.broker.Seconds()/m, r.ch.Seconds()/m,
			float64(r.proc.PeakRSS)/(1<<20), state, r.restart.Round(time.Millisecond))
	}
	fmt.Println()
	fmt.Println("Processor records per CPU-second:")
	for _, r := range rs {
		fmt.Printf("  %s: %.0f\n", r.name, float64(r.records)/r.proc.CPU.Seconds())
	}
}
