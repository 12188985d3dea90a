package join

import (
	"strings"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

// sweepsPerTTL is how often, per TTL of event time, expired entries are looked for: a sweep
// walks all state, so sweeping rarely keeps it cheap, and an entry outlives its TTL by at most
// TTL/sweepsPerTTL.
const sweepsPerTTL = 16

// State is the join state of one partition. It is a pure function of the events applied to it
// and the watermarks it was advanced to, in order, so replaying a partition's log rebuilds it
// exactly. Not safe for concurrent use:
// one goroutine owns it.
type State struct {
	ttlMs int64
	// sent holds the rank (send time, content hash) of the copy of every message seen within
	// the TTL that wins so far. It is the only per-message state: message rows are written
	// when a copy arrives that wins, so nothing else is kept.
	sent sentTable
	// early holds receipts, replies and reactions that arrived before their message.
	early      map[route.Key][]early
	earlyCount int
	// sets holds the latest reaction snapshot of messages whose source reports snapshots.
	sets      map[route.Key]snapshot
	watermark int64 // the highest event time applied so far
	nextSweep int64
	stats     Stats
}

// early is a receipt, reply or reaction waiting for its message. The message's source, tenant
// and id are not kept: the message brings them when it arrives.
type early struct {
	kind    route.Kind
	status  event.ReceiptStatus
	present bool
	atMs    int64
	id      string // receipt member, reply message id or reaction actor
	emoji   string
}

// Stats counts what the state did since it was created.
type Stats struct {
	Messages        uint64 // messages first seen
	Duplicates      uint64 // messages already seen
	Joined          uint64 // receipts, replies and reactions joined to their message
	Held            uint64 // of those, how many waited for their message first
	Expired         uint64 // waited the whole TTL and were dropped unjoined
	Forgotten       uint64 // messages dropped from state after their TTL
	NegativeLatency uint64 // latencies below zero (clock skew), stored as 0
	StaleSnapshots  uint64 // reaction snapshots no newer than the one held
	Superseded      uint64 // held messages replaced by a copy with other content that ranks lower
}

// New returns empty state.
func New(cfg Config) *State {
	return &State{
		ttlMs: cfg.TTL.Milliseconds(),
		early: make(map[route.Key][]early),
		sets:  make(map[route.Key]snapshot),
	}
}

// Apply applies ev, sent to this partition as kind, and appends the rows it yields to out.
func (s *State) Apply(kind route.Kind, ev *event.Event, out *rows.Set) {
	switch kind {
	case route.KindMessage:
		s.message(ev, out)
	case route.KindReply:
		m := &ev.Message
		s.join(route.MessageKey(ev.Source, ev.Tenant, m.Parent), ev, early{kind: kind, atMs: ev.AtMs, id: string(m.ID)}, string(m.Parent), out)
	case route.KindReceipt:
		r := &ev.Receipt
		s.join(route.MessageKey(ev.Source, ev.Tenant, r.Msg), ev, early{kind: kind, status: r.Status, atMs: ev.AtMs, id: string(r.Member)}, string(r.Msg), out)
	case route.KindReaction:
		r := &ev.Reaction
		s.join(route.MessageKey(ev.Source, ev.Tenant, r.Target), ev, early{kind: kind, present: r.Present, atMs: ev.AtMs, id: string(r.Actor.ID), emoji: r.Emoji}, string(r.Target), out)
	case route.KindReactionSet:
		s.reactionSet(ev, out)
	}
}

func (s *State) message(ev *event.Event, out *rows.Set) {
	m := &ev.Message
	key := route.MessageKey(ev.Source, ev.Tenant, m.ID)
	r := rank{atMs: ev.AtMs, hash: ContentHash(ev)}
	held, seen := s.sent.get(key)
	if seen && !r.less(held) {
		s.stats.Duplicates++
		return
	}
	s.sent.put(key, r)
	if seen {
		// A copy with other content that ranks lower than the one held wins: its row is
		// written too, and readers keep the least (sent time, content hash) of a message, so
		// the result is the same in whichever order the copies came.
		s.stats.Superseded++
	} else {
		s.stats.Messages++
	}
	source, tenant := ev.Source.String(), string(ev.Tenant)
	out.Messages = append(out.Messages, rows.Message{
		Source:         source,
		Tenant:         tenant,
		Platform:       ev.Platform,
		MsgID:          string(m.ID),
		ConversationID: string(m.ConversationID),
		SenderType:     m.Sender.Role.String(),
		SenderID:       string(m.Sender.ID),
		RecipientType:  m.Recipient.Type.String(),
		RecipientID:    m.Recipient.ID,
		ParentMsgID:    string(m.Parent),
		ContentType:    m.ContentType,
		SentAtMs:       ev.AtMs,
		ContentHash:    r.hash,
		Supersedes:     seen,
	})
	if seen {
		return
	}
	s.releaseSet(key, source, tenant, string(m.ID), ev.AtMs, out)
	waiting := s.early[key]
	if len(waiting) == 0 {
		return
	}
	for i := range waiting {
		s.emit(&waiting[i], source, tenant, string(m.ID), ev.AtMs, out)
	}
	s.stats.Held += uint64(len(waiting))
	s.earlyCount -= len(waiting)
	delete(s.early, key)
}

// join emits e's row when its message is known and holds e otherwise.
func (s *State) join(key route.Key, ev *event.Event, e early, msgID string, out *rows.Set) {
	held, ok := s.sent.get(key)
	if !ok {
		// Copies, because the event's strings are parts of the whole fetched record,
		// which a held entry must not keep alive for up to the TTL.
		e.id, e.emoji = strings.Clone(e.id), strings.Clone(e.emoji)
		s.early[key] = append(s.early[key], e)
		s.earlyCount++
		return
	}
	s.emit(&e, ev.Source.String(), string(ev.Tenant), msgID, held.atMs, out)
}

func (s *State) emit(e *early, source, tenant, msgID string, sentAt int64, out *rows.Set) {
	s.stats.Joined++
	switch e.kind {
	case route.KindReceipt:
		out.Receipts = append(out.Receipts, rows.Receipt{
			Source: source, Tenant: tenant, MsgID: msgID, MemberID: e.id,
			Status: e.status.String(), AtMs: e.atMs, LatencyMs: s.latency(e.atMs, sentAt),
			MsgSentAtMs: sentAt,
		})
	case route.KindReply:
		out.Replies = append(out.Replies, rows.Reply{
			Source: source, Tenant: tenant, ParentMsgID: msgID, ReplyMsgID: e.id,
			ReplyAtMs: e.atMs, LatencyMs: s.latency(e.atMs, sentAt),
			MsgSentAtMs: sentAt,
		})
	case route.KindReaction:
		out.Reactions = append(out.Reactions, rows.Reaction{
			Source: source, Tenant: tenant, TargetMsgID: msgID, ActorID: e.id,
			Emoji: e.emoji, AtMs: e.atMs, Present: e.present,
			MsgSentAtMs: sentAt,
		})
	}
}

func (s *State) latency(at, sentAt int64) int64 {
	if at < sentAt {
		s.stats.NegativeLatency++
		return 0
	}
	return at - sentAt
}

// Advance moves the watermark to at, never back, and every TTL/sweepsPerTTL of event time drops
// what expired. The watermark is how far the partition's input has certainly progressed in
// event time, so an entry is dropped only when nothing that could still join it is missing.
func (s *State) Advance(at int64) {
	if at <= s.watermark {
		return
	}
	s.watermark = at
	if s.nextSweep == 0 {
		s.nextSweep = at + s.ttlMs/sweepsPerTTL
		return
	}
	if at < s.nextSweep {
		return
	}
	s.nextSweep = at + s.ttlMs/sweepsPerTTL
	s.sweep(at - s.ttlMs)
}

// sweep drops messages sent and early arrivals made before cutoff.
func (s *State) sweep(cutoff int64) {
	s.stats.Forgotten += s.sent.dropBefore(cutoff)
	for key, set := range s.sets {
		if set.atMs < cutoff {
			delete(s.sets, key)
			if !set.written {
				s.stats.Expired++
			}
		}
	}
	for key, waiting := range s.early {
		kept := waiting[:0]
		for _, e := range waiting {
			if e.atMs >= cutoff {
				kept = append(kept, e)
			}
		}
		expired := len(waiting) - len(kept)
		if expired == 0 {
			continue
		}
		s.stats.Expired += uint64(expired)
		s.earlyCount -= expired
		if len(kept) == 0 {
			delete(s.early, key)
		} else {
			clear(waiting[len(kept):])
			s.early[key] = kept
		}
	}
}

// Stats returns the counters of what the state did.
func (s *State) Stats() Stats { return s.stats }

// Messages is the number of messages held in state.
func (s *State) Messages() int { return s.sent.len() }

// Early is the number of receipts, replies and reactions waiting for their message.
func (s *State) Early() int { return s.earlyCount }

// Watermark is the highest event time applied, in epoch milliseconds.
func (s *State) Watermark() int64 { return s.watermark }
