package partition

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

const t0 = int64(1_707_836_960_000)

// apply sends every event to all of its targets, as if this one state owned every partition
// and one raw partition fed it, its watermark following the events.
func apply(s *State, evs ...event.Event) rows.Set {
	var out rows.Set
	for i := range evs {
		for _, tg := range route.Targets(&evs[i], nil) {
			s.Apply(tg.Kind, &evs[i], &out)
		}
		s.Observe(route.Origin{Topic: "raw", WatermarkMs: evs[i].AtMs}, &out)
	}
	return out
}

func msg(id string, at int64, from event.Actor, to event.Recipient) event.Event {
	return event.Event{Kind: event.KindMessage, Source: event.SourceExpertflow, Platform: "web", AtMs: at,
		Message: event.Message{ID: event.MsgID(id), ConversationID: "c1", ContentType: "text", Sender: from, Recipient: to}}
}

func TestApply(t *testing.T) {
	user := event.Actor{Role: event.RoleUser, ID: "u1"}
	agent := event.Actor{Role: event.RoleAgent, ID: "a1"}
	toAgent := event.Recipient{Type: event.RecipientUser, ID: "a1"}
	toUser := event.Recipient{Type: event.RecipientUser, ID: "u1"}
	tests := []struct {
		name   string
		events []event.Event
		check  func(t *testing.T, out rows.Set)
	}{
		{
			name: "a join becomes a membership row with its member",
			events: []event.Event{{Kind: event.KindMembership, Source: event.SourceCausalFoundry, AtMs: t0,
				Membership: event.Membership{Group: "g1", Action: event.ActionJoin, Member: event.Actor{Role: event.RoleUser, ID: "u1"}}}},
			check: func(t *testing.T, out rows.Set) {
				want := []rows.MembershipChange{{Source: "causalfoundry", GroupID: "g1", MemberID: "u1", MemberType: "user", Action: "join", AtMs: t0}}
				if !reflect.DeepEqual(out.Memberships, want) {
					t.Fatalf("got %+v", out.Memberships)
				}
			},
		},
		{
			name: "a group's creation becomes a membership row without member",
			events: []event.Event{{Kind: event.KindMembership, Source: event.SourceCausalFoundry, AtMs: t0,
				Membership: event.Membership{Group: "g1", Action: event.ActionCreate}}},
			check: func(t *testing.T, out rows.Set) {
				want := []rows.MembershipChange{{Source: "causalfoundry", GroupID: "g1", Action: "create", AtMs: t0}}
				if !reflect.DeepEqual(out.Memberships, want) {
					t.Fatalf("got %+v", out.Memberships)
				}
			},
		},
		{
			name: "a handover becomes a handover row",
			events: []event.Event{{Kind: event.KindHandover, Source: event.SourceChatlayer, Platform: "other", AtMs: t0,
				Handover: event.Handover{ConversationID: "u1", To: event.RoleAgent, User: "u1"}}},
			check: func(t *testing.T, out rows.Set) {
				want := []rows.Handover{{Source: "chatlayer", Platform: "other", ConversationID: "u1", UserID: "u1", ToRole: "agent", AtMs: t0}}
				if !reflect.DeepEqual(out.Handovers, want) {
					t.Fatalf("got %+v", out.Handovers)
				}
			},
		},
		{
			name:   "a user's message opens a session of the user with one own message",
			events: []event.Event{msg("m1", t0, user, toAgent)},
			check: func(t *testing.T, out rows.Set) {
				if len(out.Sessions) != 1 {
					t.Fatalf("got %d session rows: %+v", len(out.Sessions), out.Sessions)
				}
				s := out.Sessions[0]
				if s.UserID != "u1" || s.Platform != "web" || s.Messages != 1 || s.UserMessages != 1 || s.StartMs != t0 {
					t.Fatalf("got %+v", s)
				}
			},
		},
		{
			name:   "an agent's message to a user counts for the user but not as the user's own",
			events: []event.Event{msg("m1", t0, user, toAgent), msg("m2", t0+60_000, agent, toUser)},
			check: func(t *testing.T, out rows.Set) {
				last := out.Sessions[len(out.Sessions)-1]
				if last.UserID != "u1" || last.Messages != 2 || last.UserMessages != 1 || last.EndMs != t0+60_000 {
					t.Fatalf("got %+v", last)
				}
				for _, s := range out.Sessions {
					if s.UserID == "a1" {
						t.Fatalf("the agent got a session: %+v", s)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, apply(New(DefaultConfig(), 1), tt.events...))
		})
	}
}

func TestTheWatermarkIsTheLeastProgressOfAllInputs(t *testing.T) {
	s := New(DefaultConfig(), 2)
	var out rows.Set
	hour := int64(3600_000)
	s.Observe(route.Origin{Topic: "raw", Partition: 0, WatermarkMs: t0 + 10*hour}, &out)
	if s.Gauges().WatermarkMs != 0 {
		t.Fatalf("the watermark moved before every input reported: %d", s.Gauges().WatermarkMs)
	}
	s.Observe(route.Origin{Topic: "raw", Partition: 1, WatermarkMs: t0}, &out)
	if s.Gauges().WatermarkMs != t0 {
		t.Fatalf("watermark %d, want the slower input's %d", s.Gauges().WatermarkMs, t0)
	}
	// Activity of the slower input, hours behind the faster one, is not late.
	user := event.Actor{Role: event.RoleUser, ID: "u1"}
	ev := msg("m1", t0, user, event.Recipient{Type: event.RecipientUser, ID: "a1"})
	for _, tg := range route.Targets(&ev, nil) {
		s.Apply(tg.Kind, &ev, &out)
	}
	if st := s.Stats().Sessions; st.Late != 0 || st.Sessions != 1 {
		t.Fatalf("session stats %+v, want one session and nothing late", st)
	}
	s.Observe(route.Origin{Topic: "raw", Partition: 1, WatermarkMs: t0 - hour}, &out)
	if s.Gauges().WatermarkMs != t0 {
		t.Fatal("the watermark moved back")
	}
}

// TestApplyingABundleLeavesTheEventHoldingNothingOfIt: the event a caller reuses between
// records must not keep the record's memory, nor the fetch it came in, alive after it.
func TestApplyingABundleLeavesTheEventHoldingNothingOfIt(t *testing.T) {
	s := New(DefaultConfig(), 1)
	var out rows.Set
	var ev event.Event
	if applied, _, err := s.ApplyBundle(statelessBundle(), &ev, &out); err != nil || applied == 0 {
		t.Fatalf("applied %d: %v", applied, err)
	}
	if !reflect.DeepEqual(ev, event.Event{}) {
		t.Fatalf("the event still holds %+v", ev)
	}
}

// TestTheProgressOfARawPartitionKeepsNoBundleAlive: the topic a bundle names is part of the
// fetched record, and the progress kept per raw partition must hold a copy of it, also once
// the partition is known.
func TestTheProgressOfARawPartitionKeepsNoBundleAlive(t *testing.T) {
	s := New(DefaultConfig(), 1)
	var out rows.Set
	var ev event.Event
	for i := range 2 {
		value := statelessBundle()
		s.origins[origin{"raw", 0}] = progress{} // the records are new again
		if _, _, err := s.ApplyBundle(value, &ev, &out); err != nil {
			t.Fatal(err)
		}
		for o := range s.origins {
			p, start := uintptr(unsafe.Pointer(unsafe.StringData(o.topic))), uintptr(unsafe.Pointer(&value[0]))
			if p >= start && p < start+uintptr(len(value)) {
				t.Fatalf("after bundle %d the progress of %s[%d] names its topic by a part of the bundle", i+1, o.topic, o.partition)
			}
		}
	}
}
