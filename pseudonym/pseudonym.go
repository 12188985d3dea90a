package pseudonym

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"

	"github.com/chatpulse/chatpulse/event"
)

// MinKeyLen is the shortest key accepted: shorter keys could be guessed, and with the key anyone
// holding a list of real ids can tell which pseudonym is whose.
const MinKeyLen = 16

// chatlayerPrefix starts Chatlayer's derived message ids, keyed or not.
const chatlayerPrefix = "cl-"

// Len is the length of a pseudonym: the hex of the first 16 bytes of HMAC-SHA256(key, id).
const Len = 32

// Pseudonymizer hashes ids with one key. It is not safe for concurrent use: each goroutine
// makes its own with New.
type Pseudonymizer struct {
	mac hash.Hash
	in  []byte
	sum [sha256.Size]byte
	out [Len]byte
}

// New returns a pseudonymizer keyed with key.
func New(key []byte) *Pseudonymizer {
	return &Pseudonymizer{mac: hmac.New(sha256.New, key)}
}

// ID returns the pseudonym of id; the empty id stays empty, since it means "unknown".
func (p *Pseudonymizer) ID(id string) string {
	if id == "" {
		return ""
	}
	p.mac.Reset()
	// Copying into a reused buffer keeps the string-to-bytes conversion from allocating.
	p.in = append(p.in[:0], id...)
	p.mac.Write(p.in)
	p.mac.Sum(p.sum[:0])
	hex.Encode(p.out[:], p.sum[:Len/2])
	return string(p.out[:])
}

// Event replaces the user ids of ev in place.
func (p *Pseudonymizer) Event(ev *event.Event) {
	switch ev.Kind {
	case event.KindMessage:
		p.message(&ev.Message)
		if ev.Source == event.SourceChatlayer {
			// The derived id is an unkeyed hash of the user id, the time and the text: anyone
			// who guesses a user and a text could confirm the guess from it.
			ev.Message.ID = event.MsgID(chatlayerPrefix + p.ID(string(ev.Message.ID)))
		}
	case event.KindReceipt:
		ev.Receipt.Member = event.ActorID(p.ID(string(ev.Receipt.Member)))
	case event.KindReaction:
		ev.Reaction.Actor.ID = event.ActorID(p.ID(string(ev.Reaction.Actor.ID)))
	case event.KindReactionSet:
		for i := range ev.Reactions.Items {
			it := &ev.Reactions.Items[i]
			it.Actor.ID = event.ActorID(p.ID(string(it.Actor.ID)))
		}
	case event.KindMembership:
		ev.Membership.Member.ID = event.ActorID(p.ID(string(ev.Membership.Member.ID)))
	case event.KindHandover:
		h := &ev.Handover
		user := string(h.User)
		h.User = event.ActorID(p.ID(user))
		if user != "" && string(h.ConversationID) == user {
			h.ConversationID = event.ConversationID(h.User)
		}
	}
}

func (p *Pseudonymizer) message(m *event.Message) {
	sender, conv := string(m.Sender.ID), string(m.ConversationID)
	m.Sender.ID = event.ActorID(p.ID(sender))
	if m.Recipient.Type != event.RecipientUser {
		return
	}
	recipient := m.Recipient.ID
	m.Recipient.ID = p.ID(recipient)
	switch {
	case conv == "":
	case conv == sender:
		m.ConversationID = event.ConversationID(m.Sender.ID)
	case conv == recipient:
		m.ConversationID = event.ConversationID(m.Recipient.ID)
	case isPair(conv, sender, recipient):
		m.ConversationID = event.ConversationID(p.ID(conv))
	}
}

// isPair reports whether conv is a and b joined by ':' in either order.
func isPair(conv, a, b string) bool {
	if len(conv) != len(a)+1+len(b) {
		return false
	}
	return conv[len(a)] == ':' && conv[:len(a)] == a && conv[len(a)+1:] == b ||
		conv[len(b)] == ':' && conv[:len(b)] == b && conv[len(b)+1:] == a
}
