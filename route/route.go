package route

import "github.com/chatpulse/chatpulse/event"

// Kind is the role an event plays at the partition it is sent to. One event can be sent to
// several partitions: a reply is a message at its own partition and a reply at its parent's.
type Kind uint8

const (
	KindMessage     Kind = iota + 1 // a message at the partition of its own id
	KindReply                       // a reply at the partition of its parent
	KindReceipt                     // a receipt at the partition of its message
	KindReaction                    // a reaction at the partition of its target
	KindReactionSet                 // a snapshot of a message's reactions at its partition
	KindActivity                    // a user's own message at the partition of the user
	KindAddressed                   // a message to a user, from a bot, agent or system, at the user's partition
	KindMembership                  // a membership change at the partition of its group
	KindHandover                    // a handover at the partition of its conversation
)

var kindNames = [...]string{KindMessage: "message", KindReply: "reply", KindReceipt: "receipt", KindReaction: "reaction",
	KindReactionSet: "reaction_set", KindActivity: "activity", KindAddressed: "addressed", KindMembership: "membership",
	KindHandover: "handover"}

func (k Kind) String() string {
	if k == 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// Target is one destination of an event.
type Target struct {
	Kind Kind
	Key  Key
}

// Targets appends the destinations of ev to dst. An event with no state to touch has none.
func Targets(ev *event.Event, dst []Target) []Target {
	switch ev.Kind {
	case event.KindMessage:
		m := &ev.Message
		dst = append(dst, Target{KindMessage, MessageKey(ev.Source, ev.Tenant, m.ID)})
		if m.Parent != "" {
			dst = append(dst, Target{KindReply, MessageKey(ev.Source, ev.Tenant, m.Parent)})
		}
		// Sessions are users': a user's own messages, and messages a bot, agent or system sends
		// to one user directly. A user's direct message to another actor is the sender's only,
		// since the recipient of such a message may be a bot.
		if m.Sender.Role == event.RoleUser {
			dst = append(dst, Target{KindActivity, UserKey(ev.Source, ev.Tenant, m.Sender.ID)})
		} else if m.Recipient.Type == event.RecipientUser && m.Recipient.ID != "" {
			dst = append(dst, Target{KindAddressed, UserKey(ev.Source, ev.Tenant, event.ActorID(m.Recipient.ID))})
		}
	case event.KindReceipt:
		dst = append(dst, Target{KindReceipt, MessageKey(ev.Source, ev.Tenant, ev.Receipt.Msg)})
	case event.KindReaction:
		dst = append(dst, Target{KindReaction, MessageKey(ev.Source, ev.Tenant, ev.Reaction.Target)})
	case event.KindReactionSet:
		dst = append(dst, Target{KindReactionSet, MessageKey(ev.Source, ev.Tenant, ev.Reactions.Target)})
	case event.KindMembership:
		dst = append(dst, Target{KindMembership, GroupKey(ev.Source, ev.Tenant, ev.Membership.Group)})
	case event.KindHandover:
		dst = append(dst, Target{KindHandover, ConversationKey(ev.Source, ev.Tenant, ev.Handover.ConversationID)})
	}
	return dst
}
