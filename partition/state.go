package partition

import (
	"math"
	"strings"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/join"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
	"github.com/chatpulse/chatpulse/sessionize"
)

// Config configures the state of a partition.
type Config struct {
	Join     join.Config
	Sessions sessionize.Config
}

// DefaultConfig returns the defaults of every part.
func DefaultConfig() Config {
	return Config{Join: join.DefaultConfig(), Sessions: sessionize.DefaultConfig()}
}

// Validate reports the first part whose configuration is unusable.
func (c Config) Validate() error {
	if err := c.Join.Validate(); err != nil {
		return err
	}
	return c.Sessions.Validate()
}

// State is one partition's state. One goroutine owns it.
type State struct {
	join     *join.State
	sessions *sessionize.State
	// origins is how far in event time each raw partition feeding this partition has got.
	origins map[origin]int64
	// sources is how many raw partitions feed this partition; until each has reported, the
	// input as a whole has not progressed, and the watermark stays where it is.
	sources   int
	watermark int64
}

type origin struct {
	topic     string
	partition int32
}

// Stats are the counters of every part of the state.
type Stats struct {
	Join     join.Stats
	Sessions sessionize.Stats
}

// New returns empty state of a partition fed by the given number of raw partitions.
func New(cfg Config, sources int) *State {
	return &State{join: join.New(cfg.Join), sessions: sessionize.New(cfg.Sessions),
		origins: make(map[origin]int64), sources: sources}
}

// Observe records how far a raw partition has got in event time and moves the watermark of the
// joins and sessions to the least progress among all raw partitions: a raw partition that is
// behind still sends receipts that find their message and activity that is not late. Closed
// sessions are appended to out.
func (s *State) Observe(o route.Origin, out *rows.Set) {
	key := origin{o.Topic, o.Partition}
	if wm, ok := s.origins[key]; ok && wm >= o.WatermarkMs {
		return
	}
	if _, ok := s.origins[key]; !ok {
		key.topic = strings.Clone(key.topic)
	}
	s.origins[key] = o.WatermarkMs
	if len(s.origins) < s.sources {
		return
	}
	least := int64(math.MaxInt64)
	for _, wm := range s.origins {
		least = min(least, wm)
	}
	if least > s.watermark {
		s.watermark = least
		s.join.Advance(least)
		s.sessions.Advance(least, &out.Sessions)
	}
}

// Apply applies ev, sent to this partition as kind, and appends the rows it yields to out.
func (s *State) Apply(kind route.Kind, ev *event.Event, out *rows.Set) {
	switch kind {
	case route.KindActivity, route.KindAddressed:
		s.sessions.Apply(activity(kind, ev), &out.Sessions)
	case route.KindMembership:
		out.Memberships = append(out.Memberships, membership(ev))
	case route.KindHandover:
		out.Handovers = append(out.Handovers, handover(ev))
	default:
		s.join.Apply(kind, ev, out)
	}
}

// Stats returns the counters of every part.
func (s *State) Stats() Stats { return Stats{Join: s.join.Stats(), Sessions: s.sessions.Stats()} }

// Gauges are the sizes of the state, for metrics.
type Gauges struct {
	Messages, Early, OpenSessions int
	WatermarkMs                   int64
}

// Gauges returns the current sizes of the state.
func (s *State) Gauges() Gauges {
	return Gauges{Messages: s.join.Messages(), Early: s.join.Early(), OpenSessions: s.sessions.Open(), WatermarkMs: s.watermark}
}

func activity(kind route.Kind, ev *event.Event) sessionize.Activity {
	m := &ev.Message
	user := m.Sender.ID
	if kind == route.KindAddressed {
		user = event.ActorID(m.Recipient.ID)
	}
	return sessionize.Activity{
		User: sessionize.User{Source: ev.Source, Tenant: ev.Tenant, Platform: ev.Platform, ID: user},
		AtMs: ev.AtMs,
		Msg:  route.MessageKey(ev.Source, ev.Tenant, m.ID),
		Own:  kind == route.KindActivity,
	}
}

func membership(ev *event.Event) rows.MembershipChange {
	m := &ev.Membership
	r := rows.MembershipChange{Source: ev.Source.String(), Tenant: string(ev.Tenant), GroupID: string(m.Group),
		Action: m.Action.String(), AtMs: ev.AtMs}
	if m.Action.MemberLevel() {
		r.MemberID, r.MemberType = string(m.Member.ID), m.Member.Role.String()
	}
	return r
}

func handover(ev *event.Event) rows.Handover {
	h := &ev.Handover
	return rows.Handover{Source: ev.Source.String(), Tenant: string(ev.Tenant), Platform: ev.Platform,
		ConversationID: string(h.ConversationID), UserID: string(h.User), ToRole: h.To.String(), AtMs: ev.AtMs}
}
