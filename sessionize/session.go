package sessionize

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"

	"github.com/chatpulse/chatpulse/rows"
)

// session is one open session of a user.
type session struct {
	id         string // SessionID(user, start)
	start, end int64  // first and last activity time, epoch ms
	own        uint32 // messages the user sent
	msgs       msgSet // every message counted, so that a duplicate counts once
}

// SessionID is the id of the session of u that starts at startMs: the first 16 bytes, in
// lower-case hex, of SHA-256 over the source name, tenant, platform, user id and the start as
// a decimal, each preceded by its length as an 8-byte big-endian integer. The id is written to
// ClickHouse and recomputed on replay, so this encoding must never change.
func SessionID(u User, startMs int64) string {
	var buf [8*5 + 3*256 + 32 + 20]byte
	b := buf[:0]
	field := func(s string) {
		b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	field(u.Source.String())
	field(string(u.Tenant))
	field(u.Platform)
	field(string(u.ID))
	var num [20]byte
	start := strconv.AppendInt(num[:0], startMs, 10)
	b = binary.BigEndian.AppendUint64(b, uint64(len(start)))
	b = append(b, start...)
	sum := sha256.Sum256(b)
	var id [32]byte
	hex.Encode(id[:], sum[:16])
	return string(id[:])
}

// row is the session's current row. A live row's version is the number of messages counted,
// shifted to make room for the closed bit: both only grow while the id lives.
func (s *session) row(u *User, closed bool) rows.Session {
	v := uint64(s.msgs.len()) << 1
	if closed {
		v |= 1
	}
	return rows.Session{
		Source: u.Source.String(), Tenant: string(u.Tenant), Platform: u.Platform, UserID: string(u.ID),
		SessionID: s.id, StartMs: s.start, EndMs: s.end,
		Messages: uint32(s.msgs.len()), UserMessages: s.own,
		Closed: closed, Version: v,
	}
}

// tombstone is the row that retires the session's id; its version beats every live row's.
func (s *session) tombstone(u *User) rows.Session {
	r := s.row(u, false)
	r.Version, r.Deleted = math.MaxUint64, true
	return r
}
