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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, errUsage) {
		fmt.Fprint(os.Stderr, usage())
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
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] {
					return writeHelp(ctx, c, stdout)
				}
			}
			return errUsage
		}
		fmt.Fprint(stdout, usage())
		return nil
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		if helpAsked(args[1:]) {
			return writeHelp(ctx, c, stdout)
		}
		return c.run(ctx, args[1:], stdout, stderr)
	}
	return errUsage
}
