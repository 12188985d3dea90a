package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/kelseyhightower/envconfig"

	"github.com/chatpulse/chatpulse/join"
	"github.com/chatpulse/chatpulse/partition"
	"github.com/chatpulse/chatpulse/processor"
	"github.com/chatpulse/chatpulse/sessionize"
	"github.com/chatpulse/chatpulse/sink"
)

// envPrefix starts every configuration variable.
const envPrefix = "CHATPULSE"

// logConfig is how the command logs.
type logConfig struct {
	Level  slog.Level `envconfig:"LOG_LEVEL" default:"info"`
	Format string     `envconfig:"LOG_FORMAT" default:"text"`
}

func (c logConfig) Validate() error {
	if c.Format != "text" && c.Format != "json" {
		return fmt.Errorf("CHATPULSE_LOG_FORMAT: must be text or json, got %q", c.Format)
	}
	return nil
}

// config is every package's configuration, each read from the environment on its own.
type config struct {
	Log       logConfig
	HTTP      httpConfig
	Processor processor.Config
	Join      join.Config
	Sessions  sessionize.Config
	Sink      sink.Config
}

// defaultConfig is every package's default configuration, as loadConfig reads it from an empty
// environment, for the commands that build their own (demo, bench) and for tests.
func defaultConfig() config {
	return config{
		Log:       logConfig{Level: slog.LevelInfo, Format: "text"},
		HTTP:      httpConfig{Addr: ":8080"},
		Processor: processor.DefaultConfig(),
		Join:      join.DefaultConfig(),
		Sessions:  sessionize.DefaultConfig(),
		Sink:      sink.DefaultConfig(),
	}
}

// state is the configuration of a partition's state.
func (c config) state() partition.Config {
	return partition.Config{Join: c.Join, Sessions: c.Sessions}
}

// loadConfig reads and validates the whole configuration; an error names the variable.
func loadConfig() (config, error) {
	var c config
	parts := []struct {
		target any
		check  func() error
	}{
		{&c.Log, func() error { return c.Log.Validate() }},
		{&c.HTTP, func() error { return c.HTTP.Validate() }},
		{&c.Processor, func() error { return c.Processor.Validate() }},
		{&c.Join, func() error { return c.Join.Validate() }},
		{&c.Sessions, func() error { return c.Sessions.Validate() }},
		{&c.Sink, func() error { return c.Sink.Validate() }},
	}
	var errs []error
	for _, p := range parts {
		if err := envconfig.Process(envPrefix, p.target); err != nil {
			errs = append(errs, cleanEnvError(err))
			continue
		}
		if err := p.check(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// cleanEnvError keeps the variable name and the reason of an envconfig error and drops the Go
// field names it adds.
func cleanEnvError(err error) error {
	var pe *envconfig.ParseError
	if errors.As(err, &pe) {
		if secret(pe.KeyName) {
			return fmt.Errorf("%s: cannot parse the value: %v", pe.KeyName, pe.Err)
		}
		return fmt.Errorf("%s: cannot use %q: %v", pe.KeyName, pe.Value, pe.Err)
	}
	return err
}

func newLogger(c logConfig, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Level}
	if strings.EqualFold(c.Format, "json") {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// secret reports whether a variable holds a credential whose value must never be printed.
func secret(name string) bool {
	return strings.Contains(name, "PASSWORD") || strings.Contains(name, "SECRET") || strings.HasSuffix(name, "_KEY")
}
