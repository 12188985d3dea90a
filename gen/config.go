package gen

import (
	"errors"
	"fmt"
	"time"
)

// Config shapes one synthetic dataset. The same Config always yields the same bytes.
type Config struct {
	Seed  int64     `default:"1" envconfig:"SEED"`
	Start time.Time `default:"2024-02-13T15:09:20Z" envconfig:"START"` // first event time (UTC)

	// Users are the end users (Causal Foundry users, Expertflow customers, Chatlayer users,
	// VoIPbin agents and end users); Expertflow and Chatlayer have 1 + Users/25 agents.
	Users int `default:"200" envconfig:"USERS"`
	Bots  int `default:"4" envconfig:"BOTS"`
	// Groups are the group chats of Causal Foundry and VoIPbin; VoIPbin has 1 + Groups/8
	// customers (tenants).
	Groups   int `default:"20" envconfig:"GROUPS"`
	Messages int `default:"2000" envconfig:"MESSAGES"` // distinct messages, reactions not included
	// Days spreads the messages over this many days, each day's share in bursts, with users
	// joining the traffic day by day. 1 keeps the single-day pacing; 0 counts as 1, so a Config
	// written without the knob keeps its bytes.
	Days int `default:"1" envconfig:"DAYS"`

	// DuplicateRate is the share of valid records emitted two or three times as exact copies,
	// and the share of Chatlayer messages sent again in other bytes.
	DuplicateRate float64 `default:"0.05" envconfig:"DUPLICATE_RATE"`
	// OutOfOrderRate is the share of receipts, replies, reactions and VoIPbin updates placed
	// before their message (the parent, for a reply) in record order.
	OutOfOrderRate float64 `default:"0.1" envconfig:"OUT_OF_ORDER_RATE"`
	// LateRate is the share of receipts and VoIPbin updates placed hours after their message in
	// record order.
	LateRate float64 `default:"0.05" envconfig:"LATE_RATE"`
	// SkewRate is the share of Causal Foundry receipts stamped before their message (clock
	// skew).
	SkewRate float64 `default:"0.02" envconfig:"SKEW_RATE"`
	// OrphanRate adds this share of Causal Foundry receipts (relative to the real ones) for
	// message ids that never occur.
	OrphanRate float64 `default:"0.01" envconfig:"ORPHAN_RATE"`
	// BadRate adds this share of poison records (relative to the valid distinct ones).
	BadRate float64 `default:"0.01" envconfig:"BAD_RATE"`
}

// envPrefix is the prefix of the environment variables that fill a Config.
const envPrefix = "CHATPULSE_GEN_"

// DefaultConfig returns the configuration the `default` tags describe.
func DefaultConfig() Config {
	return Config{
		Seed:           1,
		Start:          time.Date(2024, 2, 13, 15, 9, 20, 0, time.UTC),
		Users:          200,
		Bots:           4,
		Groups:         20,
		Messages:       2000,
		Days:           1,
		DuplicateRate:  0.05,
		OutOfOrderRate: 0.1,
		LateRate:       0.05,
		SkewRate:       0.02,
		OrphanRate:     0.01,
		BadRate:        0.01,
	}
}

// Validate reports every field that cannot produce a dataset.
func (c Config) Validate() error {
	var errs []error
	bad := func(env, msg string) { errs = append(errs, fmt.Errorf("%s%s: %s", envPrefix, env, msg)) }
	if c.Start.IsZero() || c.Start.Year() < 2000 || c.Start.Year() > 2200 {
		bad("START", "must be an RFC 3339 time between the years 2000 and 2200")
	}
	if c.Users < 2 {
		bad("USERS", "must be at least 2")
	}
	if c.Bots < 0 {
		bad("BOTS", "must not be negative")
	}
	if c.Groups < 0 {
		bad("GROUPS", "must not be negative")
	}
	if c.Messages < 1 || c.Messages > maxMessages {
		bad("MESSAGES", fmt.Sprintf("must be between 1 and %d", maxMessages))
	}
	if c.Days < 0 || c.Days > maxDays {
		bad("DAYS", fmt.Sprintf("must be between 1 and %d (0 counts as 1)", maxDays))
	}
	rates := []struct {
		env string
		v   float64
	}{
		{"DUPLICATE_RATE", c.DuplicateRate},
		{"OUT_OF_ORDER_RATE", c.OutOfOrderRate},
		{"LATE_RATE", c.LateRate},
		{"SKEW_RATE", c.SkewRate},
		{"ORPHAN_RATE", c.OrphanRate},
		{"BAD_RATE", c.BadRate},
	}
	for _, r := range rates {
		if !(r.v >= 0 && r.v <= 1) {
			bad(r.env, "must be between 0 and 1")
		}
	}
	if c.OutOfOrderRate+c.LateRate > 1 {
		bad("LATE_RATE", "must be at most 1 - "+envPrefix+"OUT_OF_ORDER_RATE (a receipt or update is either out of order or late)")
	}
	return errors.Join(errs...)
}

// maxMessages keeps one dataset in memory and, with one day, its event times within a few days.
const maxMessages = 10_000_000

// maxDays keeps event times within a few years of Start.
const maxDays = 1000

// days is the number of days the traffic spans.
func (c Config) days() int { return max(c.Days, 1) }
