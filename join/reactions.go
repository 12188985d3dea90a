package join

import (
	"strings"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

// snapshot is the latest reaction set seen for a message whose source reports reactions as
// snapshots. Successive snapshots are diffed into reaction adds and removes.
type snapshot struct {
	atMs    int64
	items   []reactionID
	written bool // rows for items were emitted; false while the message has not arrived
}

type reactionID struct{ actor, emoji string }

// reactionSet applies a snapshot of a message's reactions. A snapshot no newer than the one
// held is stale and changes nothing, so the outcome does not depend on arrival order.
func (s *State) reactionSet(ev *event.Event, out *rows.Set) {
	rs := &ev.Reactions
	key := route.MessageKey(ev.Source, ev.Tenant, rs.Target)
	prev, seen := s.sets[key]
	if seen && ev.AtMs <= prev.atMs {
		s.stats.StaleSnapshots++
		return
	}
	next := snapshot{atMs: ev.AtMs, items: make([]reactionID, 0, len(rs.Items))}
	for _, it := range rs.Items {
		id := reactionID{strings.Clone(string(it.Actor.ID)), strings.Clone(it.Emoji)}
		if !containsReaction(next.items, id) {
			next.items = append(next.items, id)
		}
	}
	if held, known := s.sent.get(key); known {
		var written []reactionID
		if prev.written {
			written = prev.items
		}
		s.diff(ev.Source.String(), string(ev.Tenant), string(rs.Target), ev.AtMs, held.atMs, written, next.items, out)
		next.written = true
	}
	s.sets[key] = next
}

// releaseSet writes the held snapshot of a message that has just arrived.
func (s *State) releaseSet(key route.Key, source, tenant, msgID string, sentAt int64, out *rows.Set) {
	set, ok := s.sets[key]
	if !ok || set.written {
		return
	}
	s.diff(source, tenant, msgID, set.atMs, sentAt, nil, set.items, out)
	set.written = true
	s.sets[key] = set
}

// diff emits an add for every reaction in next but not in prev and a removal for every one in
// prev but not in next, all at the snapshot's time; sentAt is the message's send time.
func (s *State) diff(source, tenant, msgID string, at, sentAt int64, prev, next []reactionID, out *rows.Set) {
	for _, id := range next {
		if !containsReaction(prev, id) {
			out.Reactions = append(out.Reactions, rows.Reaction{Source: source, Tenant: tenant, TargetMsgID: msgID,
				ActorID: id.actor, Emoji: id.emoji, AtMs: at, Present: true,
				MsgSentAtMs: sentAt})
		}
	}
	for _, id := range prev {
		if !containsReaction(next, id) {
			out.Reactions = append(out.Reactions, rows.Reaction{Source: source, Tenant: tenant, TargetMsgID: msgID,
				ActorID: id.actor, Emoji: id.emoji, AtMs: at, Present: false,
				MsgSentAtMs: sentAt})
		}
	}
}

// containsReaction is a linear search: a message carries a handful of reactions.
func containsReaction(ids []reactionID, id reactionID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
