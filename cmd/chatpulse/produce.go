package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/chatpulse/chatpulse/processor"
)

func cmdProduce(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("produce", flag.ContinueOnError)
	fs.SetOutput(stderr)
	topic := fs.String("topic", "", "topic to write to (required)")
	partitions := fs.Int("partitions", 12, "partition count when the topic has to be created")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: chatpulse produce -topic TOPIC [-partitions N] FILE.jsonl|-")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *topic == "" || fs.NArg() != 1 || *partitions < 1 {
		fs.Usage()
		return fmt.Errorf("produce: -topic and one input file are required")
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	in := os.Stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("produce: %w", err)
		}
		defer f.Close()
		in = f
	}
	if err := processor.CreateTopic(ctx, cfg.Processor.Dial, *topic, int32(*partitions)); err != nil {
		return err
	}
	n, err := processor.ProduceLines(ctx, cfg.Processor.Dial, *topic, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "produced %d records to %s\n", n, *topic)
	return nil
}
