package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/chatpulse/chatpulse/testenv"
)

// cmdBroker runs a local Kafka protocol broker (kfake) until ctx ends. Tests and benchmarks use
// it to keep the broker in a process of its own, so that it can be killed and restarted and so
// that its memory is not counted as a worker's. It prints its address once it listens.
func cmdBroker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("port", 0, "port to listen on (0 picks a free one)")
	dataDir := fs.String("data-dir", "", "directory that keeps topics and offsets across restarts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	k, err := testenv.StartKafkaAt(*port, *dataDir)
	if err != nil {
		return err
	}
	defer k.Close()
	fmt.Fprintln(stdout, k.Brokers()[0])
	<-ctx.Done()
	return nil
}
