package join

import "github.com/chatpulse/chatpulse/event"

// rank orders the copies of one message id: the earliest send time wins, and among copies sent
// at the same time, the least content hash. It is a total order on contents, so which copy wins
// does not depend on the order they arrive in.
type rank struct {
	atMs int64
	hash uint64
}

func (r rank) less(o rank) bool {
	return r.atMs < o.atMs || r.atMs == o.atMs && r.hash < o.hash
}

// FNV-1a, 64 bits: stable across processes and releases, unlike hash/maphash.
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

// ContentHash is a stable hash of everything a message row holds of ev, a message, except its
// send time, which ranks before it. Every field is followed by a separator byte no string of
// it holds (0xff is not valid UTF-8), so that moving bytes between fields changes the hash.
func ContentHash(ev *event.Event) uint64 {
	m := &ev.Message
	h := fnvOffset
	for _, f := range [...]string{ev.Source.String(), string(ev.Tenant), ev.Platform, string(m.ID),
		string(m.ConversationID), m.Sender.Role.String(), string(m.Sender.ID), m.Recipient.Type.String(),
		m.Recipient.ID, string(m.Parent), m.ContentType} {
		for i := 0; i < len(f); i++ {
			h = (h ^ uint64(f[i])) * fnvPrime
		}
		h = (h ^ 0xff) * fnvPrime
	}
	return h
}
