package main

import (
	"context"
	"fmt"
	"io"

	"github.com/chatpulse/chatpulse/sink"
)

func cmdMigrate(ctx context.Context, stdout, stderr io.Writer) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	client, err := sink.Open(ctx, cfg.Sink, log)
	if err != nil {
		return err
	}
	defer client.Close()
	if err := client.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema of database %s is up to date\n", cfg.Sink.Database)
	return nil
}
