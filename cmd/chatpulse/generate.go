package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/processor"
)

// generateFlags shape the traffic of `chatpulse generate`.
type generateFlags struct {
	messages, days, users, batches int
	partitions                     int
	seed                           int64
	every                          time.Duration
}

func cmdGenerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f generateFlags
	fs.IntVar(&f.messages, "messages", 2400, "distinct messages per batch")
	fs.IntVar(&f.days, "days", 10, "days of traffic per batch, ending now")
	fs.IntVar(&f.users, "users", 40, "end users per format and batch")
	fs.Int64Var(&f.seed, "seed", 1, "seed of the first batch; batch i uses seed+i")
	fs.IntVar(&f.partitions, "partitions", 12, "partition count when a topic has to be created")
	fs.DurationVar(&f.every, "every", 0, "produce a new batch this often until stopped (0: one batch)")
	fs.IntVar(&f.batches, "batches", 0, "with -every, stop after this many batches (0: until stopped)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chatpulse generate [-messages N] [-days N] [-users N] [-seed N] [-partitions N] [-every DURATION [-batches N]]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || f.messages < 4 || f.days < 1 || f.users < 2 || f.partitions < 1 || f.every < 0 || f.batches < 0 {
		fs.Usage()
		return errors.New("generate: -messages must be at least 4, -users at least 2, -days and -partitions positive, -every and -batches not negative")
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	dial := cfg.Processor.Dial
	for _, topic := range demoTopics.Topics() {
		if err := processor.CreateTopic(ctx, dial, topic, int32(f.partitions)); err != nil {
			return err
		}
	}
	for batch := 0; ; batch++ {
		data, err := generateBatch(f, f.seed+int64(batch), time.Now())
		if err != nil {
			return err
		}
		if err := produceBatch(ctx, dial, data); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		first, last := timeRange(data.Records)
		fmt.Fprintf(stdout, "batch %d (seed %d): produced %d records (%d messages) to %d topics, times %s to %s\n",
			batch+1, f.seed+int64(batch), len(data.Records), data.Stats.Messages, len(demoTopics),
			first.Format(time.RFC3339), last.Format(time.RFC3339))
		if f.every == 0 || (f.batches > 0 && batch+1 >= f.batches) {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil // stopping between batches is the normal end of a periodic run
		case <-time.After(f.every):
		}
	}
}

// generateBatch generates one dataset whose latest record is stamped within the second before
// end. The generator's times are offsets from Start; with Start on a whole second they do not
// depend on Start (some formats stamp whole seconds), so one dataset measures the span and a
// second one, started that span before end, ends there.
func generateBatch(f generateFlags, seed int64, end time.Time) (gen.Dataset, error) {
	cfg := gen.DefaultConfig()
	cfg.Seed, cfg.Messages, cfg.Days = seed, f.messages, f.days
	cfg.Users, cfg.Groups = f.users, max(1, f.users*3/20)
	cfg.Start = end.Truncate(time.Second).Add(-time.Duration(f.days) * 24 * time.Hour)
	probe, err := gen.Engagement(cfg)
	if err != nil {
		return gen.Dataset{}, fmt.Errorf("generate: %w", err)
	}
	_, last := timeRange(probe.Records)
	cfg.Start = cfg.Start.Add(end.Sub(last).Truncate(time.Second))
	data, err := gen.Engagement(cfg)
	if err != nil {
		return gen.Dataset{}, fmt.Errorf("generate: %w", err)
	}
	return data, nil
}

// produceBatch writes each record to the demo topic of its format.
func produceBatch(ctx context.Context, dial processor.Dial, data gen.Dataset) error {
	byTopic := map[string][]processor.RawRecord{}
	for _, r := range data.Records {
		topic := "chat." + r.Format
		byTopic[topic] = append(byTopic[topic], processor.RawRecord{Key: r.Key, Value: r.Value, TimestampMs: r.TimestampMs})
	}
	for _, topic := range demoTopics.Topics() {
		if err := processor.Produce(ctx, dial, topic, byTopic[topic]); err != nil {
			return err
		}
	}
	return nil
}

// timeRange is the earliest and the latest record time.
func timeRange(recs []gen.Record) (first, last time.Time) {
	if len(recs) == 0 {
		return time.Time{}, time.Time{}
	}
	lo, hi := recs[0].TimestampMs, recs[0].TimestampMs
	for _, r := range recs[1:] {
		lo, hi = min(lo, r.TimestampMs), max(hi, r.TimestampMs)
	}
	return time.UnixMilli(lo).UTC(), time.UnixMilli(hi).UTC()
}
