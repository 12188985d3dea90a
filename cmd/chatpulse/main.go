// Command chatpulse turns raw chat events in Kafka into engagement metrics in ClickHouse.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: chatpulse <command> [flags]

commands:
  run       consume the input topics and write metrics to ClickHouse (applies migrations first)
  migrate   create or update the ClickHouse schema and exit
  produce   write a JSONL file of raw events to a topic
  generate  produce sample traffic in all four formats to their topics, once or periodically
  demo      start a local broker and ClickHouse, stream sample traffic, print the report
  bench     measure decode-only and full-pipeline throughput (see BENCHMARKS.md)
  broker    run a local Kafka protocol broker for tests and benchmarks

Configuration comes from CHATPULSE_* environment variables; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, errUsage) {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatpulse:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "run":
		return cmdRun(ctx, stderr)
	case "migrate":
		return cmdMigrate(ctx, stdout, stderr)
	case "produce":
		return cmdProduce(ctx, args[1:], stdout, stderr)
	case "generate":
		return cmdGenerate(ctx, args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args[1:], stdout, stderr)
	case "bench":
		return cmdBench(ctx, args[1:], stdout, stderr)
	case "broker":
		return cmdBroker(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return errUsage
}
