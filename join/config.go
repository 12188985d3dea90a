package join

import (
	"fmt"
	"time"
)

// Config sets how long the join waits, in event time.
type Config struct {
	// TTL is how long a message stays joinable after it was sent and how long a receipt, reply
	// or reaction waits for its message.
	TTL time.Duration `envconfig:"JOIN_TTL" default:"168h"`
}

// DefaultConfig returns the configuration the default tags describe.
func DefaultConfig() Config { return Config{TTL: 7 * 24 * time.Hour} }

// Validate reports a configuration the join cannot work with.
func (c Config) Validate() error {
	if c.TTL < time.Minute {
		return fmt.Errorf("CHATPULSE_JOIN_TTL: must be at least 1m, got %s", c.TTL)
	}
	return nil
}
