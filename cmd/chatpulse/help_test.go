package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEveryCommandAnswersHelp asks every subcommand for -h and --help without a broker or
// ClickHouse: each must print its usage, its flags and the variables it reads, and return
// nil (main exits 0), without starting anything.
func TestEveryCommandAnswersHelp(t *testing.T) {
	t.Setenv("CHATPULSE_KAFKA_BROKERS", "127.0.0.1:1") // nothing listens: a command that starts work fails or hangs
	t.Setenv("CHATPULSE_HTTP_ADDR", "")
	for _, c := range commands() {
		for _, flag := range []string{"-h", "--help"} {
			t.Run(c.name+" "+flag+" prints its help", func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				var out, errOut bytes.Buffer
				if err := run(ctx, []string{c.name, flag}, &out, &errOut); err != nil {
					t.Fatalf("chatpulse %s %s: %v (stderr %q)", c.name, flag, err, errOut.String())
				}
				help := out.String()
				if !strings.HasPrefix(help, "usage: chatpulse "+c.name) {
					t.Errorf("help does not start with its usage line:\n%s", help)
				}
				if c.hasFlags && !strings.Contains(help, "\nflags:\n  -") {
					t.Errorf("help lists no flag:\n%s", help)
				}
				for _, p := range c.env {
					if !strings.Contains(help, "environment, "+p.name+":\n  CHATPULSE_") {
						t.Errorf("help lists no variable of %s:\n%s", p.name, help)
					}
				}
				if len(c.env) == 0 && !strings.Contains(help, "reads no CHATPULSE_* variable") {
					t.Errorf("help does not say that the command reads no variable:\n%s", help)
				}
				if errOut.Len() > 0 {
					t.Errorf("help wrote to stderr: %q", errOut.String())
				}
			})
		}
	}
}

func TestRunHelpListsEveryVariableItReads(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"run", "--help"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"CHATPULSE_HTTP_ADDR", "CHATPULSE_KAFKA_BROKERS", "CHATPULSE_GROUP", "CHATPULSE_JOIN_TTL",
		"CHATPULSE_SESSION_GAP", "CHATPULSE_CLICKHOUSE_ADDR", "CHATPULSE_CLICKHOUSE_PASSWORD_FILE", "CHATPULSE_LOG_LEVEL"} {
		if !strings.Contains(out.String(), "  "+v) {
			t.Errorf("run --help does not list %s", v)
		}
	}
}

func TestHelpNamesACommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"help", "status"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "usage: chatpulse status") {
		t.Errorf("chatpulse help status:\n%s", out.String())
	}
	if err := run(context.Background(), []string{"help", "nosuch"}, &out, &out); err != errUsage {
		t.Errorf("chatpulse help nosuch: %v, want the usage error", err)
	}
}

// TestTheBinaryExitsZeroOnHelp builds chatpulse and asks every command for --help the way a
// user does, checking the exit status main gives.
func TestTheBinaryExitsZeroOnHelp(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "chatpulse")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, c := range commands() {
		for _, flag := range []string{"-h", "--help"} {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			cmd := exec.CommandContext(ctx, bin, c.name, flag)
			cmd.Env = append(os.Environ(), "CHATPULSE_KAFKA_BROKERS=127.0.0.1:1", "CHATPULSE_HTTP_ADDR=")
			out, err := cmd.CombinedOutput()
			cancel()
			if err != nil || !strings.HasPrefix(string(out), "usage: chatpulse "+c.name) {
				t.Errorf("chatpulse %s %s: %v\n%s", c.name, flag, err, out)
			}
		}
	}
}
