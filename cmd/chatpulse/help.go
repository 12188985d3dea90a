package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kelseyhightower/envconfig"

	"github.com/chatpulse/chatpulse/join"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/sessionize"
	"github.com/chatpulse/chatpulse/sink"
)

// command is one subcommand of chatpulse.
type command struct {
	name, args, summary, about string
	// env are the configuration parts the command reads from CHATPULSE_* variables.
	env []envPart
	// hasFlags says whether run parses flags: its help lists them by asking it for -h, which
	// it answers before doing anything.
	hasFlags bool
	run      func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// envPart is one package's configuration: its variables are listed in a command's help.
type envPart struct {
	name string
	spec any
}

var (
	envLog        = envPart{"logging", &logConfig{}}
	envHTTP       = envPart{"status page, health checks and metrics", &httpConfig{}}
	envKafka      = envPart{"Kafka connection", &processor.Dial{}}
	envProcessor  = envPart{"processing (includes the Kafka connection)", &processor.Config{}}
	envJoin       = envPart{"joins", &join.Config{}}
	envSessions   = envPart{"sessions", &sessionize.Config{}}
	envClickHouse = envPart{"ClickHouse", &sink.Config{}}
)

func commands() []command {
	return []command{
		{name: "run", summary: "consume the input topics and write metrics to ClickHouse (applies migrations first)",
			about: "Runs one member of the consumer group until interrupted. It serves the status page (/), its\nfigures as JSON (/status), /healthz, /readyz and /metrics on CHATPULSE_HTTP_ADDR.",
			env:   []envPart{envLog, envHTTP, envProcessor, envJoin, envSessions, envClickHouse},
			run:   func(ctx context.Context, _ []string, _, stderr io.Writer) error { return cmdRun(ctx, stderr) }},
		{name: "migrate", summary: "create or update the ClickHouse schema and exit",
			env: []envPart{envLog, envClickHouse},
			run: func(ctx context.Context, _ []string, stdout, stderr io.Writer) error {
				return cmdMigrate(ctx, stdout, stderr)
			}},
		{name: "status", summary: "describe the consumer group: members, partition owners, lag, watermarks",
			about:    "Asks the brokers for the group's members, which member owns which partition and how far the\ngroup's commits trail each partition, and reads every repartition partition's event-time\nwatermark from its latest snapshot in <group>.state.",
			env:      []envPart{envLog, envProcessor, envJoin, envSessions},
			hasFlags: true, run: cmdStatus},
		{name: "produce", args: "FILE|-", summary: "write a JSONL file of raw events to a topic",
			env: []envPart{envKafka}, hasFlags: true, run: cmdProduce},
		{name: "generate", summary: "produce sample traffic in all four formats to their topics, once or periodically",
			env: []envPart{envKafka}, hasFlags: true, run: cmdGenerate},
		{name: "demo", summary: "start a local broker and ClickHouse, stream sample traffic, print the report",
			about:    "Needs no configuration: it starts its own broker and clickhouse-server and\nreads no CHATPULSE_* variable.",
			hasFlags: true, run: cmdDemo},
		{name: "bench", summary: "measure decode-only and full-pipeline throughput (see BENCHMARKS.md)",
			about:    "Starts its own broker and clickhouse-server and reads no CHATPULSE_* variable.",
			hasFlags: true, run: cmdBench},
		{name: "broker", summary: "run a local Kafka protocol broker for tests and benchmarks",
			about:    "Prints the broker's address and serves until interrupted; reads no CHATPULSE_* variable.",
			hasFlags: true, run: cmdBroker},
	}
}

// usage is the top-level help.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: chatpulse <command> [flags]\n\ncommands:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	b.WriteString("\n`chatpulse <command> -h` lists a command's flags and the CHATPULSE_* environment variables it\nreads; README.md describes every variable.\n")
	return b.String()
}

// helpAsked reports whether args ask for help the way package flag understands it.
func helpAsked(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		switch a {
		case "-h", "--h", "-help", "--help":
			return true
		}
	}
	return false
}

// writeHelp writes a command's help: what it does, its flags and the variables it reads.
func writeHelp(ctx context.Context, c command, w io.Writer) error {
	fmt.Fprintf(w, "usage: chatpulse %s", c.name)
	if c.hasFlags {
		fmt.Fprint(w, " [flags]")
	}
	if c.args != "" {
		fmt.Fprint(w, " "+c.args)
	}
	fmt.Fprintf(w, "\n\n%s.\n", strings.ToUpper(c.summary[:1])+c.summary[1:])
	if c.about != "" {
		fmt.Fprintf(w, "\n%s\n", c.about)
	}
	if c.hasFlags {
		var flags bytes.Buffer
		if err := c.run(ctx, []string{"-h"}, io.Discard, &flags); !errors.Is(err, flag.ErrHelp) {
			return fmt.Errorf("%s: flags: %v", c.name, err)
		}
		// Package flag starts with "Usage of NAME:"; the defaults follow.
		_, defaults, _ := strings.Cut(flags.String(), "\n")
		fmt.Fprintf(w, "\nflags:\n%s", defaults)
	}
	for _, p := range c.env {
		fmt.Fprintf(w, "\nenvironment, %s:\n", p.name)
		var vars bytes.Buffer
		tw := tabwriter.NewWriter(&vars, 0, 0, 2, ' ', 0)
		if err := envconfig.Usagef(envPrefix, p.spec, tw, envFormat); err != nil {
			return err
		}
		tw.Flush()
		for _, line := range strings.SplitAfter(vars.String(), "\n") {
			fmt.Fprint(w, strings.TrimRight(line, " "))
		}
	}
	return nil
}

// envFormat lists a variable with its default; secrets have none.
const envFormat = `{{range .}}  {{usage_key .}}` + "\t" + `{{with usage_default .}}(default {{.}}){{end}}
{{end}}`
