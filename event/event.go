package event

import (
	"errors"
	"fmt"
)

// Typed identifiers keep a receipt's message id from being passed where a member id is wanted.
type (
	MsgID          string
	ActorID        string
	GroupID        string
	ConversationID string
	Tenant         string
)

// Event is one canonical chat event. Kind says which of the kind-specific parts is filled; the
// others are zero. Bodies, text and media are never part of an event.
type Event struct {
	Kind     Kind
	Source   Source
	Tenant   Tenant
	Platform string // lower case, "" when the source does not say
	// AtMs is the event time in epoch milliseconds.
	AtMs int64

	Message    Message
	Receipt    Receipt
	Reaction   Reaction
	Reactions  ReactionSet
	Membership Membership
	Handover   Handover
}

// Message is a chat message (a reaction is not one).
type Message struct {
	ID             MsgID
	ConversationID ConversationID
	Sender         Actor
	Recipient      Recipient
	Parent         MsgID // "" when the message is not a reply
	ContentType    string
}

// Receipt is a status change of a message, optionally naming the member it concerns.
type Receipt struct {
	Msg    MsgID
	Member ActorID // "" when the receipt names no member
	Status ReceiptStatus
}

// Reaction adds (Present) or removes an emoji reaction of an actor on a message.
type Reaction struct {
	Target  MsgID
	Actor   Actor
	Emoji   string
	Present bool
}

// ReactionSet is every reaction on a message as of the event time. Sources that report
// reactions only as a snapshot of the current list send it; the join state turns successive
// sets into adds and removes.
type ReactionSet struct {
	Target MsgID
	Items  []ReactionItem
}

// ReactionItem is one reaction in a set. AtMs is when it was added, or 0 when the source does
// not say (the set's time is used then).
type ReactionItem struct {
	Actor Actor
	Emoji string
	AtMs  int64
}

// MaxReactionItems bounds a reaction set; more is not a chat message's reactions.
const MaxReactionItems = 1000

// Membership is a change of a group or of one member of it.
type Membership struct {
	Group  GroupID
	Action MembershipAction
	Member Actor // zero for group-level actions (create, update, delete)
}

// Handover moves a conversation to a bot or an agent.
type Handover struct {
	ConversationID ConversationID
	To             Role
	User           ActorID // the end user whose conversation moves, "" if unknown
}

// Actor is a participant with a role.
type Actor struct {
	Role Role
	ID   ActorID
}

// Recipient is whom a message is addressed to: a user or a group.
type Recipient struct {
	Type RecipientType
	ID   string // "" when unknown
}

// Validation limits. Times outside [MinAtMs, MaxAtMs) are absurd for chat traffic and would drag
// the event-time watermark with them; ids and short strings longer than MaxIDLen are not ids.
const (
	MinAtMs  = 946684800000  // 2000-01-01T00:00:00Z
	MaxAtMs  = 4102444800000 // 2100-01-01T00:00:00Z
	MaxIDLen = 256
)

// ErrInvalid marks an event that breaks the canonical model's rules.
var ErrInvalid = errors.New("invalid event")

// Validate checks the rules every stage after decoding relies on.
func (e *Event) Validate() error {
	if e.AtMs < MinAtMs || e.AtMs >= MaxAtMs {
		return fmt.Errorf("%w: event time %d ms outside [2000, 2100)", ErrInvalid, e.AtMs)
	}
	if err := checkLen("tenant", string(e.Tenant)); err != nil {
		return err
	}
	if err := checkLen("platform", e.Platform); err != nil {
		return err
	}
	if !e.Source.valid() {
		return fmt.Errorf("%w: unknown source %d", ErrInvalid, e.Source)
	}
	switch e.Kind {
	case KindMessage:
		m := &e.Message
		if !m.Sender.Role.valid() || !m.Recipient.Type.valid() {
			return fmt.Errorf("%w: unknown sender role or recipient type", ErrInvalid)
		}
		if err := required("message id", string(m.ID)); err != nil {
			return err
		}
		if err := required("sender id", string(m.Sender.ID)); err != nil {
			return err
		}
		return checkLen("", string(m.ConversationID), string(m.Recipient.ID), string(m.Parent), m.ContentType)
	case KindReceipt:
		if !e.Receipt.Status.valid() {
			return fmt.Errorf("%w: unknown receipt status %d", ErrInvalid, e.Receipt.Status)
		}
		if err := required("receipt message id", string(e.Receipt.Msg)); err != nil {
			return err
		}
		return checkLen("member id", string(e.Receipt.Member))
	case KindReaction:
		if !e.Reaction.Actor.Role.valid() {
			return fmt.Errorf("%w: unknown reaction actor role %d", ErrInvalid, e.Reaction.Actor.Role)
		}
		if err := required("reaction target", string(e.Reaction.Target)); err != nil {
			return err
		}
		if err := required("reaction actor", string(e.Reaction.Actor.ID)); err != nil {
			return err
		}
		return checkLen("emoji", e.Reaction.Emoji)
	case KindReactionSet:
		if err := required("reaction set target", string(e.Reactions.Target)); err != nil {
			return err
		}
		if len(e.Reactions.Items) > MaxReactionItems {
			return fmt.Errorf("%w: %d reactions in a set, more than %d", ErrInvalid, len(e.Reactions.Items), MaxReactionItems)
		}
		for _, it := range e.Reactions.Items {
			if !it.Actor.Role.valid() {
				return fmt.Errorf("%w: unknown reaction actor role %d", ErrInvalid, it.Actor.Role)
			}
			if err := required("reaction actor", string(it.Actor.ID)); err != nil {
				return err
			}
			if err := required("emoji", it.Emoji); err != nil {
				return err
			}
			if it.AtMs != 0 && (it.AtMs < MinAtMs || it.AtMs >= MaxAtMs) {
				return fmt.Errorf("%w: reaction time %d ms outside [2000, 2100)", ErrInvalid, it.AtMs)
			}
		}
		return nil
	case KindMembership:
		if !e.Membership.Action.valid() {
			return fmt.Errorf("%w: unknown membership action %d", ErrInvalid, e.Membership.Action)
		}
		if err := required("group id", string(e.Membership.Group)); err != nil {
			return err
		}
		if e.Membership.Action.MemberLevel() {
			if !e.Membership.Member.Role.valid() {
				return fmt.Errorf("%w: unknown member role %d", ErrInvalid, e.Membership.Member.Role)
			}
			return required("member id", string(e.Membership.Member.ID))
		}
		return checkLen("member id", string(e.Membership.Member.ID))
	case KindHandover:
		if !e.Handover.To.valid() {
			return fmt.Errorf("%w: unknown handover role %d", ErrInvalid, e.Handover.To)
		}
		if err := required("conversation id", string(e.Handover.ConversationID)); err != nil {
			return err
		}
		return checkLen("user id", string(e.Handover.User))
	}
	return fmt.Errorf("%w: unknown kind %d", ErrInvalid, e.Kind)
}

func required(what, v string) error {
	if v == "" {
		return fmt.Errorf("%w: missing %s", ErrInvalid, what)
	}
	return checkLen(what, v)
}

func checkLen(what string, vs ...string) error {
	for _, v := range vs {
		if len(v) > MaxIDLen {
			if what == "" {
				what = "field"
			}
			return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalid, what, MaxIDLen)
		}
	}
	return nil
}
