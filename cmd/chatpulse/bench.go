package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/join"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
	"github.com/chatpulse/chatpulse/sink"
	"github.com/chatpulse/chatpulse/testenv"
)

const benchTopic = "bench.raw"

// cmdBench measures, in one run over the same topic, (a) the ceiling: consuming and decoding
// only, and (b) the full pipeline until every row is visible in ClickHouse, plus the worker's
// peak RSS and the heap one held message costs. The broker runs in a process of its own.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.Int("events", 200_000, "approximate number of raw records to generate")
	held := fs.Int("held", 1_000_000, "messages to hold in join state for the heap-per-message figure")
	outage := fs.Duration("outage", 0, "stop ClickHouse this long once records flow in (b), and report the worker's memory meanwhile")
	flushRows := fs.Int("flush-rows", sink.DefaultConfig().FlushRows, "rows per ClickHouse insert (CHATPULSE_FLUSH_ROWS)")
	maxPending := fs.Int("max-pending-rows", sink.DefaultConfig().MaxPendingRows, "rows waiting for ClickHouse before partitions stop (CHATPULSE_SINK_MAX_PENDING_ROWS); raised to twice -flush-rows")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the full-pipeline run to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file when every raw record is routed (the largest backlog)")
	without := fs.String("without-views", "", "drop these materialized views (comma-separated) before (b), to measure their share of ClickHouse's CPU")
	schemaSQL := fs.String("schema-sql", "", "run these statements (a file, ';' at line ends, {db} for the database) after migrating, before (b)")
	work := fs.Bool("clickhouse-work", false, "log ClickHouse's queries and parts, and print its work during (b) by table and thread")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *target < 1000 || *held < 1000 {
		return errors.New("bench: -events and -held must be at least 1000")
	}
	log := newLogger(logConfig{Level: slog.LevelWarn, Format: "text"}, stderr)
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "==> "+format+"\n", a...) }

	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	broker, err := testenv.StartKafkaProcess(ctx, self, "")
	if err != nil {
		return err
	}
	defer broker.Close()
	var chOpts []testenv.ClickHouseOption
	if *work {
		chOpts = append(chOpts, testenv.WithWorkLog())
	}
	ch, err := testenv.StartClickHouse(ctx, log, chOpts...)
	if err != nil {
		return err
	}
	defer ch.Close()

	gcfg := gen.DefaultConfig()
	gcfg.Users, gcfg.Groups = 5000, 500
	gcfg.Messages = max(*target/6, 100) // about six raw records per message at the default rates
	data, err := gen.CausalFoundry(gcfg)
	if err != nil {
		return err
	}
	recs := make([]processor.RawRecord, len(data.Records))
	var bytes int
	for i, r := range data.Records {
		recs[i] = processor.RawRecord{Key: r.Key, Value: r.Value, TimestampMs: r.TimestampMs}
		bytes += len(r.Value)
	}
	n := len(recs)
	if err := processor.CreateTopic(ctx, processor.Dial{Brokers: broker.Brokers()}, benchTopic, 12); err != nil {
		return err
	}
	if err := processor.Produce(ctx, processor.Dial{Brokers: broker.Brokers()}, benchTopic, recs); err != nil {
		return err
	}
	say("produced %d Causal Foundry records (%d messages, %.0f bytes on average) to %s, 12 partitions",
		n, data.Stats.Messages, float64(bytes)/float64(n), benchTopic)
	data, recs = gen.Dataset{}, nil
	runtime.GC()
	debug.FreeOSMemory()

	cfg := defaultConfig()
	cfg.Log.Level, cfg.HTTP.Addr = slog.LevelWarn, ""
	cfg.Processor.Brokers = broker.Brokers()
	cfg.Processor.InputTopics = processor.TopicFormats{benchTopic: decode.FormatCausalFoundry}
	cfg.Processor.Group = "bench"
	cfg.Sink.Addr = ch.Addr()
	// Short intervals keep the tail (last flush, last commit) from dominating the figure;
	// while records flow, batches are flushed by size anyway.
	cfg.Sink.FlushInterval = 200 * time.Millisecond
	cfg.Sink.FlushRows = *flushRows
	cfg.Sink.MaxPendingRows = max(*maxPending, 2**flushRows)
	cfg.Processor.CommitInterval = 200 * time.Millisecond

	if *without != "" || *schemaSQL != "" {
		if err := alterSchema(ctx, ch, cfg.Sink, log, *without, *schemaSQL); err != nil {
			return err
		}
	}
	chPid := findProcess("clickhouse-server", ch.Dir())
	cpuNow := func() [3]time.Duration {
		return [3]time.Duration{processCPU(os.Getpid()), processCPU(broker.Pid()), processCPU(chPid)}
	}
	start, cpu0 := time.Now(), cpuNow()
	events, err := processor.DecodeOnly(ctx, cfg.Processor, n)
	if err != nil {
		return err
	}
	elapsed, cpu1 := time.Since(start), cpuNow()
	ceiling := float64(events) / elapsed.Seconds()
	say("(a) consume + decode:          %8.0f events/s (%d events in %s)", ceiling, events, elapsed.Round(time.Millisecond))
	say("    CPU during (a): %s", cpuLine(cpu0, cpu1, elapsed))

	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	cpu0, threads0, wall0 := cpuNow(), threadCPU(chPid), time.Now()
	var down *outageReport
	if *outage > 0 {
		down = &outageReport{length: *outage, ch: ch}
	}
	phases, err := benchPipeline(ctx, cfg, log, n, *memProfile, down)
	cpu1, threads1, wall1 := cpuNow(), threadCPU(chPid), time.Now()
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	full := phases.visible
	rate := float64(events) / full.Seconds()
	peak := peakRSS()
	say("(b) full pipeline to ClickHouse: %8.0f events/s (all rows visible after %s)", rate, full.Round(time.Millisecond))
	say("    first record after %s, all raw records routed after %s",
		phases.first.Round(time.Millisecond), phases.routed.Round(time.Millisecond))
	if down == nil { // a restarted ClickHouse is another process, whose CPU time starts anew
		say("    CPU during (b): %s", cpuLine(cpu0, cpu1, full))
		say("    ClickHouse's threads during (b): %s", threadCPULine(threads0, threads1))
		settled := settledCPU(ctx, chPid)
		say("    ClickHouse until its merges settled: %.1fs (%.1fs after (b)), %.2f s per million raw records",
			(settled - cpu0[2]).Seconds(), (settled - cpu1[2]).Seconds(), (settled-cpu0[2]).Seconds()/float64(n)*1e6)
	}
	if down != nil {
		say("    ClickHouse down for %s from %s: worker RSS every 10 s %s MiB, peak %.1f MiB",
			down.length, down.at.Round(time.Millisecond), down.samplesMiB(), float64(down.peak)/(1<<20))
	}
	say("ratio (b)/(a):                  %8.1f%%", 100*rate/ceiling)
	say("worker peak RSS during (b):     %8.1f MiB", float64(peak)/(1<<20))
	if *work {
		clickHouseWork(ctx, ch, wall0, wall1, say)
	}
	say("heap per held message:          %8.1f bytes (%d messages held in join state)", heldMessageBytes(*held), *held)
	return nil
}

// cpuLine renders the CPU time worker, broker and ClickHouse used between two readings.
func cpuLine(before, after [3]time.Duration, wall time.Duration) string {
	return fmt.Sprintf("worker %.1fs, broker %.1fs, ClickHouse %.1fs (of %.1fs on %d cores)",
		(after[0] - before[0]).Seconds(), (after[1] - before[1]).Seconds(), (after[2] - before[2]).Seconds(),
		wall.Seconds()*float64(runtime.NumCPU()), runtime.NumCPU())
}

// pipelinePhases are the moments of a pipeline run, measured from the worker's start.
type pipelinePhases struct {
	first   time.Duration // the first raw record was routed
	routed  time.Duration // every raw record was routed
	visible time.Duration // every record was committed, so every row is in ClickHouse
}

// benchPipeline runs one worker until the group has committed every record, which happens only
// once every row is in ClickHouse.
func benchPipeline(ctx context.Context, cfg config, log *slog.Logger, records int, memProfile string, down *outageReport) (pipelinePhases, error) {
	var ph pipelinePhases
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	started := make(chan *processor.Processor, 1)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		done <- runWorker(runCtx, cfg, log, workerHooks{onStart: func(p *processor.Processor) { started <- p }})
	}()
	var proc *processor.Processor
	select {
	case proc = <-started:
	case err := <-done:
		return ph, err
	}
	// One client polls the lag: this process's CPU is counted as the worker's.
	lag, err := processor.NewLagMeter(ctx, cfg.Processor)
	if err != nil {
		return ph, err
	}
	defer lag.Close()
	for {
		select {
		case err := <-done:
			return ph, fmt.Errorf("bench: worker stopped: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
		routed := proc.Stats().Records.Load()
		if routed > 0 && ph.first == 0 {
			ph.first = time.Since(start)
			if down != nil {
				down.at = ph.first
				if err := down.run(ctx); err != nil {
					return ph, err
				}
			}
		}
		if routed < uint64(records) {
			continue
		}
		if ph.routed == 0 {
			ph.routed = time.Since(start)
			if memProfile != "" {
				if err := writeHeapProfile(memProfile); err != nil {
					return ph, err
				}
			}
		}
		if n, err := lag.Lag(ctx); err == nil && n == 0 {
			ph.visible = time.Since(start)
			stop()
			return ph, <-done
		}
	}
}

func writeHeapProfile(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		return fmt.Errorf("bench: heap profile: %w", err)
	}
	return nil
}

// outageReport stops ClickHouse for a while during the pipeline run and samples the worker's
// resident memory every second meanwhile.
type outageReport struct {
	length  time.Duration
	ch      *testenv.ClickHouse
	at      time.Duration // when the outage began, from the worker's start
	samples []int64
	peak    int64
}

func (o *outageReport) run(ctx context.Context) error {
	if err := o.ch.Kill(); err != nil {
		return err
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for end := time.Now().Add(o.length); time.Now().Before(end); {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		rss := currentRSS()
		o.samples = append(o.samples, rss)
		o.peak = max(o.peak, rss)
	}
	return o.ch.Restart(ctx)
}

func (o *outageReport) samplesMiB() string {
	var parts []string
	for i := 0; i < len(o.samples); i += 10 {
		parts = append(parts, fmt.Sprintf("%.0f", float64(o.samples[i])/(1<<20)))
	}
	return strings.Join(parts, " ")
}

// heldMessageBytes measures the heap a message costs while join state holds it.
func heldMessageBytes(n int) float64 {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{Kind: event.KindMessage, Source: event.SourceCausalFoundry, AtMs: event.MinAtMs + int64(i),
			Message: event.Message{ID: event.MsgID(fmt.Sprintf("3c6b469b-ef05-492d-988c-%012d", i))}}
	}
	s := join.New(join.DefaultConfig())
	var out rows.Set
	for i := range evs {
		s.Apply(route.KindMessage, &evs[i], &out)
		out.Reset()
	}
	// Measured as what freeing the state gives back, so that garbage of earlier work, freed
	// in between, cannot distort the figure.
	with := liveHeap()
	runtime.KeepAlive(s)
	s = nil
	without := liveHeap()
	runtime.KeepAlive(evs)
	return float64(int64(with)-int64(without)) / float64(n)
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// resetPeakRSS restarts the kernel's peak-RSS count of this process.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak resident set size in bytes since the last reset.
func peakRSS() int64 { return statusBytes("VmHWM:") }

// currentRSS is the process's resident set size in bytes.
func currentRSS() int64 { return statusBytes("VmRSS:") }

// statusBytes reads a kB field of /proc/self/status, in bytes.
func statusBytes(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
