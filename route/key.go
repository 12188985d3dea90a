package route

import (
	"encoding/binary"
	"math/bits"

	"github.com/chatpulse/chatpulse/event"
)

// Key identifies a piece of state: 128 bits of a stable hash of its namespace and identity.
// Two lanes with different multipliers keep accidental collisions out of reach
// (about 2^-64 for a billion keys); the hash is stable across processes and releases because
// partition ownership depends on it.
type Key struct{ Hi, Lo uint64 }

// Partition is the partition of n that owns k.
func (k Key) Partition(n int32) int32 { return int32(k.Lo % uint64(n)) }

// AppendBinary appends the 16-byte big-endian form of k, used as the internal record key.
func (k Key) AppendBinary(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, k.Hi)
	return binary.BigEndian.AppendUint64(b, k.Lo)
}

// Namespaces keep keys of different kinds of state apart even when their ids are equal.
const (
	nsMessage byte = 'm'
	nsUser    byte = 'u'
	nsGroup   byte = 'g'
	nsConv    byte = 'c'
)

// MessageKey is the key of a message's join state: (source, tenant, msg_id).
func MessageKey(src event.Source, tenant event.Tenant, id event.MsgID) Key {
	return sum(nsMessage, src, string(tenant), string(id))
}

// UserKey is the key of a user's session state.
func UserKey(src event.Source, tenant event.Tenant, id event.ActorID) Key {
	return sum(nsUser, src, string(tenant), string(id))
}

// GroupKey is the key of a group's membership state.
func GroupKey(src event.Source, tenant event.Tenant, id event.GroupID) Key {
	return sum(nsGroup, src, string(tenant), string(id))
}

// ConversationKey is the key of a conversation.
func ConversationKey(src event.Source, tenant event.Tenant, id event.ConversationID) Key {
	return sum(nsConv, src, string(tenant), string(id))
}

const (
	m1 = 0x9e3779b97f4a7c15
	m2 = 0xc2b2ae3d27d4eb4f
	m3 = 0x165667b19e3779f9
)

func sum(ns byte, src event.Source, tenant, id string) Key {
	h := hasher{hi: m3 ^ uint64(ns), lo: m1 ^ uint64(src)<<8}
	h.string(tenant)
	h.string(id)
	return Key{Hi: fmix(h.hi), Lo: fmix(h.lo ^ h.hi)}
}

type hasher struct{ hi, lo uint64 }

// string mixes the length and then the bytes, so ("ab","c") and ("a","bc") differ.
func (h *hasher) string(s string) {
	h.word(uint64(len(s)))
	for len(s) >= 8 {
		h.word(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
		s = s[8:]
	}
	var tail uint64
	for i := len(s) - 1; i >= 0; i-- {
		tail = tail<<8 | uint64(s[i])
	}
	h.word(tail)
}

func (h *hasher) word(w uint64) {
	h.lo = bits.RotateLeft64(h.lo^(w*m1), 31) * m2
	h.hi = bits.RotateLeft64(h.hi^(w*m2), 27)*m1 + h.lo
}

// fmix is the 64-bit finalizer of MurmurHash3: every input bit affects every output bit.
func fmix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// Compare orders keys, for encodings that list keys in one order.
func (k Key) Compare(o Key) int {
	switch {
	case k.Hi != o.Hi:
		return cmpUint(k.Hi, o.Hi)
	default:
		return cmpUint(k.Lo, o.Lo)
	}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
