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

// ContentHash is a stable hash of everything a message row holds of ev, a message, except its
// send time, which ranks before it. It must give the same value in every process and release,
// since it decides between copies and is part of snapshots and rows: it is defined here, not
// taken from hash/maphash, whose seed is random. Each field is mixed in 8 bytes at a time and
// closed by its length, so that moving bytes between fields changes the hash.
func ContentHash(ev *event.Event) uint64 {
	m := &ev.Message
	h := uint64(0x6a09e667f3bcc908)
	for _, f := range [...]string{ev.Source.String(), string(ev.Tenant), ev.Platform, string(m.ID),
		string(m.ConversationID), m.Sender.Role.String(), string(m.Sender.ID), m.Recipient.Type.String(),
		m.Recipient.ID, string(m.Parent), m.ContentType} {
		n := len(f)
		for ; len(f) >= 8; f = f[8:] {
			h = mix(h, uint64(f[0])|uint64(f[1])<<8|uint64(f[2])<<16|uint64(f[3])<<24|
				uint64(f[4])<<32|uint64(f[5])<<40|uint64(f[6])<<48|uint64(f[7])<<56)
		}
		var tail uint64
		for i := len(f) - 1; i >= 0; i-- {
			tail = tail<<8 | uint64(f[i])
		}
		// The tail has at most 7 bytes; the length's low byte fills the eighth.
		h = mix(h, tail|uint64(n)<<56)
	}
	return h
}

// mix folds v into h: a multiply by an odd constant and a shift, enough to spread every input
// bit over the result for a tie-break (not a defence against crafted collisions).
func mix(h, v uint64) uint64 {
	h = (h ^ v) * 0x9e3779b97f4a7c15
	return h ^ h>>31
}
