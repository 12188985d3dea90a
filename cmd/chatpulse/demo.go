package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/sink"
	"github.com/chatpulse/chatpulse/testenv"
)

// demoTopics is one input topic per format, as a deployment that knows its producers would
// configure them.
var demoTopics = processor.TopicFormats{
	"chat.causalfoundry": decode.FormatCausalFoundry,
	"chat.expertflow":    decode.FormatExpertflow,
	"chat.chatlayer":     decode.FormatChatlayer,
	"chat.voipbin":       decode.FormatVoipbin,
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	messages := fs.Int("messages", 2400, "distinct messages to generate")
	days := fs.Int("days", 10, "days of traffic to generate")
	workers := fs.Int("workers", 2, "consumer-group members to run")
	verbose := fs.Bool("v", false, "log the workers at info level (default: errors only; dead letters are summed up in the report)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *messages < 4 || *workers < 1 || *days < 1 {
		return errors.New("demo: -messages must be at least 4, -workers and -days positive")
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelInfo
	}
	log := newLogger(logConfig{Level: level, Format: "text"}, stderr)
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "==> "+format+"\n", a...) }

	say("starting Kafka (in-process broker)")
	kafka, err := testenv.StartKafka()
	if err != nil {
		return err
	}
	defer kafka.Close()
	say("starting ClickHouse (local clickhouse-server)")
	ch, err := testenv.StartClickHouse(ctx, log)
	if err != nil {
		return err
	}
	defer ch.Close()

	data, err := gen.Engagement(demoGen(*messages, *days))
	if err != nil {
		return err
	}
	pipe, err := streamDemo(ctx, data, kafka.Brokers(), ch.Addr(), *workers, level, log, say)
	if err != nil {
		return err
	}
	defer pipe.Close()

	client, err := sink.Open(ctx, pipe.cfg.Sink, log)
	if err != nil {
		return err
	}
	defer client.Close()
	report, err := client.Report(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	if err := writeReport(stdout, report); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	pipe.mu.Lock()
	printPipeline(stdout, pipe.procs)
	pipe.mu.Unlock()
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "Checked against the values the generator computed on its own")
	return checkExpected(ctx, client, data.Expected, stdout)
}

// demoGen is the generator configuration of the demo: the asked messages and days among 40
// users and 6 groups.
func demoGen(messages, days int) gen.Config {
	cfg := gen.DefaultConfig()
	cfg.Messages, cfg.Days, cfg.Users, cfg.Groups = messages, days, 40, 6
	return cfg
}

// demoPipeline is the demo's chatpulse workers, running in one consumer group.
type demoPipeline struct {
	cfg  config
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu    sync.Mutex
	procs []*processor.Processor
}

// streamDemo produces data's records to one 12-partition topic per format on brokers, runs
// workers chatpulse workers that write to the ClickHouse server at chAddr, and returns once
// every record is processed and committed, so every row is in ClickHouse. Close stops the
// workers.
func streamDemo(ctx context.Context, data gen.Dataset, brokers []string, chAddr string, workers int, level slog.Level, log *slog.Logger, say func(string, ...any)) (*demoPipeline, error) {
	byTopic := map[string][]processor.RawRecord{}
	for _, r := range data.Records {
		topic := "chat." + r.Format
		byTopic[topic] = append(byTopic[topic], processor.RawRecord{Key: r.Key, Value: r.Value, TimestampMs: r.TimestampMs})
	}
	for _, topic := range demoTopics.Topics() {
		if err := processor.CreateTopic(ctx, processor.Dial{Brokers: brokers}, topic, 12); err != nil {
			return nil, err
		}
		if err := processor.Produce(ctx, processor.Dial{Brokers: brokers}, topic, byTopic[topic]); err != nil {
			return nil, err
		}
		say("produced %5d raw records to %s (12 partitions, random keys)", len(byTopic[topic]), topic)
	}
	st := data.Stats
	say("in all %d messages, %d receipts, %d reactions, %d handovers, %d duplicates, %d bad records",
		st.Messages, st.Receipts, st.Reactions, st.Handovers, st.Duplicates, data.Poison)

	cfg := defaultConfig()
	cfg.Log.Level, cfg.HTTP.Addr = level, ""
	cfg.Processor.Brokers = brokers
	cfg.Processor.InputTopics = demoTopics
	cfg.Processor.Group = "chatpulse-demo"
	cfg.Processor.CommitInterval = 200 * time.Millisecond
	cfg.Sink.Addr = chAddr
	cfg.Sink.FlushInterval = 200 * time.Millisecond

	runCtx, stop := context.WithCancel(ctx)
	p := &demoPipeline{cfg: cfg, stop: stop}
	errs := make(chan error, workers)
	started := time.Now()
	say("running %d chatpulse workers in consumer group %s", workers, cfg.Processor.Group)
	for range workers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			errs <- runWorker(runCtx, cfg, log, workerHooks{onStart: func(proc *processor.Processor) {
				p.mu.Lock()
				p.procs = append(p.procs, proc)
				p.mu.Unlock()
			}})
		}()
	}
	if err := waitCaughtUp(runCtx, cfg.Processor, len(data.Records), say, func() uint64 {
		p.mu.Lock()
		defer p.mu.Unlock()
		var n uint64
		for _, proc := range p.procs {
			n += proc.Stats().Records.Load()
		}
		return n
	}, errs); err != nil {
		p.Close()
		return nil, err
	}
	say("all records processed and committed in %s", shortDuration(time.Since(started)))
	return p, nil
}

// Close stops the workers and waits until they have left the group.
func (p *demoPipeline) Close() {
	p.stop()
	p.wg.Wait()
}

// waitCaughtUp waits until every produced record is consumed and the group has no lag left,
// which means every row is in ClickHouse; every progressEvery it says how far the workers are.
func waitCaughtUp(ctx context.Context, cfg processor.Config, produced int, say func(string, ...any), consumed func() uint64, errs <-chan error) error {
	started := time.Now()
	deadline := time.After(5 * time.Minute)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	progress := time.NewTicker(progressEvery)
	defer progress.Stop()
	for {
		select {
		case err := <-errs:
			return fmt.Errorf("worker stopped early: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("demo: not caught up after 5 minutes (%d of %d records consumed)", consumed(), produced)
		case <-progress.C:
			say("%s: %d of %d raw records processed", shortDuration(time.Since(started)), consumed(), produced)
			continue
		case <-tick.C:
		}
		if consumed() < uint64(produced) {
			continue
		}
		if lag, err := processor.Lag(ctx, cfg); err == nil && lag == 0 {
			return nil
		}
	}
}

// progressEvery is how often the demo says how far the workers are.
const progressEvery = time.Second

func printPipeline(w io.Writer, procs []*processor.Processor) {
	var records, events, dead, joined, held, expired, neg uint64
	reasons := map[string]uint64{}
	for _, p := range procs {
		s := p.Stats()
		records += s.Records.Load()
		events += s.Events.Load()
		dead += s.DeadLettered.Load()
		joined += s.Joined.Load()
		held += s.Held.Load()
		expired += s.Expired.Load()
		neg += s.NegativeLatency.Load()
		for r, n := range s.DeadLetteredBy() {
			reasons[r] += n
		}
	}
	fmt.Fprintln(w, "Pipeline")
	fmt.Fprintf(w, "  raw records consumed      %d\n", records)
	fmt.Fprintf(w, "  canonical events          %d\n", events)
	fmt.Fprintf(w, "  dead-lettered             %d", dead)
	keys := make([]string, 0, len(reasons))
	for r := range reasons {
		keys = append(keys, r)
	}
	slices.Sort(keys)
	for _, r := range keys {
		fmt.Fprintf(w, "  %s=%d", r, reasons[r])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  joined to their message   %d (%d arrived before it)\n", joined, held)
	fmt.Fprintf(w, "  expired unjoined          %d\n", expired)
	fmt.Fprintf(w, "  negative latencies -> 0   %d\n", neg)
}

// checkExpected compares the contract views and the documented metrics with the rows the
// generator says they must hold. Sessions are compared without their closed flag, which
// depends on which partition owns a user; metric fractions may differ in the last bits.
func checkExpected(ctx context.Context, c *sink.Client, want gen.Expected, w io.Writer) error {
	for _, v := range want.Views() {
		got, err := c.Snapshot(ctx, v.View)
		if err != nil {
			return err
		}
		if v.Drop >= 0 {
			got = gen.WithoutColumn(got, v.Drop)
		}
		if !slices.Equal(got, v.Lines) {
			return fmt.Errorf("demo: %s has %d rows that differ from the %d expected", v.View, len(got), len(v.Lines))
		}
		fmt.Fprintf(w, "  %-22s %6d rows, equal to the generator's expected rows\n", v.View, len(got))
	}
	metrics := want.Metrics()
	for _, name := range sink.MetricNames() {
		got, err := c.Metric(ctx, name)
		if err != nil {
			return err
		}
		if !gen.SameRows(got, metrics[name]) {
			return fmt.Errorf("demo: metric %s is %q, the generator expects %q", name, got, metrics[name])
		}
	}
	fmt.Fprintf(w, "  %-22s %6d metrics, equal to the generator's values\n", "documented metrics", len(sink.MetricNames()))
	return nil
}
