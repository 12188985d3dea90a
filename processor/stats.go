package processor

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/route"
)

// Stats counts what this member did; partition workers add to it after each batch.
type Stats struct {
	Records         atomic.Uint64 // raw records consumed and committed
	Events          atomic.Uint64 // canonical events decoded from them
	Routed          atomic.Uint64 // repartition records produced
	DeadLettered    atomic.Uint64
	Applied         atomic.Uint64 // repartition records applied to state and written
	Replayed        atomic.Uint64 // repartition records replayed to rebuild state
	Messages        atomic.Uint64
	Duplicates      atomic.Uint64
	Joined          atomic.Uint64
	Held            atomic.Uint64
	Expired         atomic.Uint64
	NegativeLatency atomic.Uint64

	mu       sync.Mutex
	byReason map[string]uint64
}

func newStats() *Stats { return &Stats{byReason: make(map[string]uint64)} }

// DeadLetteredBy returns the dead-letter counts per reason.
func (s *Stats) DeadLetteredBy() map[string]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]uint64, len(s.byReason))
	for k, v := range s.byReason {
		m[k] = v
	}
	return m
}

// ReasonInternalCorrupt is the dead-letter reason of a repartition record that cannot be read.
const ReasonInternalCorrupt = "internal_corrupt"

// deadLetter classifies err, counts it and returns its reason. Every error that reaches a dead
// letter is poison: retrying the same bytes can never succeed.
func (p *Processor) deadLetter(rec *kgo.Record, err error) string {
	reason := string(decode.ReasonOf(err))
	if errors.Is(err, route.ErrCorrupt) {
		reason = ReasonInternalCorrupt
	}
	if reason == "" {
		reason = "unclassified"
	}
	p.stats.DeadLettered.Add(1)
	p.stats.mu.Lock()
	p.stats.byReason[reason]++
	p.stats.mu.Unlock()
	return reason
}
