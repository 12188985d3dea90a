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
	// origins is how far each raw partition feeding this partition has got.
	origins map[origin]progress
	// sources is how many raw partitions feed this partition; until each has reported (with
	// progress, or as idle), the input as a whole has not progressed, and the watermark stays.
	sources   int
	watermark int64
	// redelivered counts events skipped because an earlier bundle had covered their record.
	redelivered uint64
}

// progress is how far one raw partition feeding this partition has got.
type progress struct {
	// watermarkMs is the highest watermark its bundles carried.
	watermarkMs int64
	// next is its first raw offset whose events have not been applied. A raw partition that
	// changes owner is routed again from its committed offset while the old owner may still be
	// producing, so the same raw records can arrive in two copies, in any interleaving. The
	// events of a record at or after next are new; those before it were applied from another
	// copy, and applying them again would count them twice and, behind a watermark that
	// has moved on, as late. So every record's events are applied once and in raw order.
	next int64
	// idle is set by an idle bundle and cleared by the next bundle without the flag; while
	// set, the partition does not hold back the watermark.
	idle bool
}

type origin struct {
	topic     string
	partition int32
}

// Stats are the counters of every part of the state.
type Stats struct {
	Join     join.Stats
	Sessions sessionize.Stats
	// Redelivered counts events not applied because another copy of their raw record had been.
	Redelivered uint64
}

// New returns empty state of a partition fed by the given number of raw partitions.
func New(cfg Config, sources int) *State {
	return &State{join: join.New(cfg.Join), sessions: sessionize.New(cfg.Sessions),
		origins: make(map[origin]progress), sources: sources}
}

// ApplyBundle applies a repartition record, a route bundle: the events of raw records that no
// earlier bundle of the same raw partition covered, then the bundle's origin (see Observe).
// The rows they yield are appended to out. It returns how many events it applied and how many
// it skipped as already applied. Of a corrupt bundle, the events before the damage are applied
// and the origin is not observed.
//
// The strings of the rows appended to out refer to value (route.ReadBundle), so value must
// stay unchanged while out's rows are in use; ev is left zero, holding nothing of it.
func (s *State) ApplyBundle(value []byte, ev *event.Event, out *rows.Set) (applied, skipped int, err error) {
	o, events, err := route.ReadBundle(value)
	if err != nil {
		return 0, 0, err
	}
	next := s.origins[origin{o.Topic, o.Partition}].next
	err = events.Each(ev, func(offset int64, kind route.Kind, ev *event.Event) {
		if offset < next {
			skipped++
			return
		}
		s.Apply(kind, ev, out)
		applied++
	})
	// A caller keeps ev between records; its strings would keep the whole fetch response that
	// value is part of alive until the next one.
	*ev = event.Event{}
	s.redelivered += uint64(skipped)
	if err != nil {
		return applied, skipped, err
	}
	s.Observe(o, out)
	return applied, skipped, nil
}

// Observe records how far a raw partition has got, in event time and in raw offsets (every
// record up to o.Offset is applied), and moves the watermark of the joins and sessions to the
// least progress among all raw partitions that are not idle: a raw partition that is behind
// still sends receipts that find their message and activity that is not late. Neither moves
// back when an older copy of a bundle arrives late. Closed sessions are appended to out.
//
// An idle bundle (o.Idle) takes its raw partition out of the least progress until a bundle
// without the flag comes: a partition that receives nothing must not hold every watermark
// forever, nor one that never received anything, which counts as having reported. With every
// raw partition idle, the watermark moves to the furthest of them, so that the last sessions
// close once the input has gone quiet. An idle
// bundle older than what was applied of its partition is a late copy from an old owner and
// changes nothing: the partition has woken since.
func (s *State) Observe(o route.Origin, out *rows.Set) {
	key := origin{o.Topic, o.Partition}
	p, known := s.origins[key]
	moved := !known || o.WatermarkMs > p.watermarkMs
	if o.Idle {
		if known && (p.idle || o.Offset+1 < p.next) {
			return
		}
		p.idle = true
	} else {
		// A late copy of an older bundle changes nothing, and does not wake the partition.
		if !moved && o.Offset < p.next {
			return
		}
		p.idle = false
	}
	// Always a copy, even of a known key: assigning to a key the map holds replaces the stored
	// key too, and o.Topic may be part of a fetched record, which the map would keep alive.
	key.topic = strings.Clone(key.topic)
	if moved {
		p.watermarkMs = max(p.watermarkMs, o.WatermarkMs)
	}
	p.next = max(p.next, o.Offset+1)
	s.origins[key] = p
	if len(s.origins) < s.sources {
		return
	}
	least, highest := int64(math.MaxInt64), int64(math.MinInt64)
	for _, p := range s.origins {
		if !p.idle {
			least = min(least, p.watermarkMs)
		}
		highest = max(highest, p.watermarkMs)
	}
	// With every raw partition idle, everything sent so far has been read: the input as a
	// whole has got as far as the furthest of them.
	if least == math.MaxInt64 {
		least = highest
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
func (s *State) Stats() Stats {
	return Stats{Join: s.join.Stats(), Sessions: s.sessions.Stats(), Redelivered: s.redelivered}
}

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
