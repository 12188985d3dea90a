package partition

import (
	"testing"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

// statelessBundle is a bundle of 64 membership changes and handovers of raw records 100 to 163,
// events that keep no state, so that applying it costs the bundle's reading and bookkeeping.
func statelessBundle() []byte {
	evs := []event.Event{
		{Kind: event.KindMembership, Source: event.SourceCausalFoundry, AtMs: t0,
			Membership: event.Membership{Group: "g1", Action: event.ActionJoin, Member: event.Actor{Role: event.RoleUser, ID: "u1"}}},
		{Kind: event.KindHandover, Source: event.SourceChatlayer, Platform: "web", AtMs: t0,
			Handover: event.Handover{ConversationID: "c1", To: event.RoleAgent, User: "u1"}},
	}
	kinds := []route.Kind{route.KindMembership, route.KindHandover}
	var bundle route.Bundle
	for i := range 64 {
		bundle.Add(int64(100+i), kinds[i%2], &evs[i%2])
	}
	return bundle.Seal(route.Origin{Topic: "raw", WatermarkMs: t0, Offset: 163}, nil)
}

// BenchmarkApplyBundle measures applying a bundle whose records are new.
func BenchmarkApplyBundle(b *testing.B) {
	b.ReportAllocs()
	value := statelessBundle()
	s := New(DefaultConfig(), 1)
	var out rows.Set
	var ev event.Event
	for b.Loop() {
		// The raw partition starts again, so that the records are new to the state.
		s.origins[origin{"raw", 0}] = progress{}
		if applied, _, err := s.ApplyBundle(value, &ev, &out); err != nil || applied != 64 {
			b.Fatalf("applied %d: %v", applied, err)
		}
		out.Reset()
	}
}

// BenchmarkApplyRedeliveredBundle measures skipping a bundle whose records were applied.
func BenchmarkApplyRedeliveredBundle(b *testing.B) {
	b.ReportAllocs()
	value := statelessBundle()
	s := New(DefaultConfig(), 1)
	var out rows.Set
	var ev event.Event
	if _, _, err := s.ApplyBundle(value, &ev, &out); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, skipped, err := s.ApplyBundle(value, &ev, &out); err != nil || skipped != 64 {
			b.Fatalf("skipped %d: %v", skipped, err)
		}
	}
}
