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
	client, err := sink.Connect(ctx, cfg.Sink, log, nil)
	if err != nil {
		return err
	}
	client.Close()
	fmt.Fprintf(stdout, "schema of database %s is up to date\n", cfg.Sink.Database)
	return nil
}
