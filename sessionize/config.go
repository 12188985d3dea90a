package sessionize

import (
	"errors"
	"fmt"
	"time"
)

// Config sets where sessions split and how long they wait for activity arriving out of order,
// both in event time. The envconfig keys are read with the CHATPULSE_ prefix.
type Config struct {
	// Gap is the longest quiet time inside a session: activity more than Gap after the
	// previous one starts a new session.
	Gap time.Duration `envconfig:"SESSION_GAP" default:"30m"`
	// Lateness is how far behind the watermark activity may arrive and still count. A session
	// closes once the watermark passes its end by Gap plus Lateness.
	Lateness time.Duration `envconfig:"SESSION_LATENESS" default:"10m"`
}

// DefaultConfig returns the values of the default tags.
func DefaultConfig() Config { return Config{Gap: 30 * time.Minute, Lateness: 10 * time.Minute} }

// maxLateness bounds how long closed sessions wait: every open session is memory.
const maxLateness = 24 * time.Hour

// Validate reports every invalid field, each named by its full environment variable.
func (c Config) Validate() error {
	var errs []error
	if c.Gap < time.Second {
		errs = append(errs, fmt.Errorf("CHATPULSE_SESSION_GAP: must be at least 1s, got %s", c.Gap))
	}
	if c.Lateness < 0 || c.Lateness > maxLateness {
		errs = append(errs, fmt.Errorf("CHATPULSE_SESSION_LATENESS: must be between 0 and %s, got %s", maxLateness, c.Lateness))
	}
	return errors.Join(errs...)
}
