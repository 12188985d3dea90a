package sessionize

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
)

// A snapshot is the state in a compact binary form from which RestoreSnapshot rebuilds it
// exactly, so that a partition moving to another worker need not replay its whole log. The
// same state always gives the same bytes: users are written in order of source, tenant,
// platform and id, and the messages of a session in key order. After the version byte come,
// in this order:
//
//	gap ms, lateness ms, watermark, next sweep   varints
//	stats                                        6 uvarints, in the order of the fields of Stats
//	users                                        count; per user: source byte, tenant, platform,
//	                                             id, closed, [closed end,] count; per session:
//	                                             start, end - start, own, count, message keys
//
// Counts and the numbers own and end - start are uvarints; keys are route.Key.AppendBinary
// (big-endian, so byte order is key order); strings are a uvarint length and the bytes; closed
// is one byte, 0 or 1, and the closed end follows only when it is 1; times are varints of
// their distance from the watermark. Every varint is in its shortest form, so that one state
// has exactly one snapshot. Session ids and the number of open sessions are not written: they
// follow from the rest.

// snapshotVersion leads every snapshot; a change of the layout takes a new version.
const snapshotVersion byte = 1

var (
	// ErrCorruptSnapshot marks bytes that are not a snapshot this release can read.
	ErrCorruptSnapshot = errors.New("corrupt snapshot")
	// ErrConfigChanged marks a snapshot of state kept under another configuration: restoring
	// it would give state that no replay under the current configuration gives, and could
	// break what the state relies on, such as consecutive sessions being more than the gap
	// apart.
	ErrConfigChanged = errors.New("snapshot of another configuration")
)

// The fewest bytes each repeated item takes, which bound what a claimed count may allocate.
const (
	minUser    = 1 + 1 + 1 + 1 + 1 + 1
	minSession = 1 + 1 + 1 + 1 + 16
)

// AppendSnapshot appends the snapshot of the state to b.
func (s *State) AppendSnapshot(b []byte) []byte {
	b = append(b, snapshotVersion)
	b = binary.AppendVarint(b, s.gapMs)
	b = binary.AppendVarint(b, s.latenessMs)
	b = binary.AppendVarint(b, s.watermark)
	b = binary.AppendVarint(b, s.nextSweep)
	for _, n := range s.stats.counters() {
		b = binary.AppendUvarint(b, *n)
	}
	users := make([]User, 0, len(s.users))
	for k := range s.users {
		users = append(users, k)
	}
	slices.SortFunc(users, compareUsers)
	b = binary.AppendUvarint(b, uint64(len(users)))
	var keys []route.Key
	for _, k := range users {
		u := s.users[k]
		b = append(b, byte(k.Source))
		b = appendString(b, string(k.Tenant))
		b = appendString(b, k.Platform)
		b = appendString(b, string(k.ID))
		b = append(b, flag(u.closed))
		if u.closed {
			b = binary.AppendVarint(b, u.closedEnd-s.watermark)
		}
		b = binary.AppendUvarint(b, uint64(len(u.open)))
		for i := range u.open {
			ss := &u.open[i]
			b = binary.AppendVarint(b, ss.start-s.watermark)
			b = binary.AppendUvarint(b, uint64(ss.end-ss.start))
			b = binary.AppendUvarint(b, uint64(ss.own))
			keys = ss.msgs.sorted(keys[:0])
			b = binary.AppendUvarint(b, uint64(len(keys)))
			for _, k := range keys {
				b = k.AppendBinary(b)
			}
		}
	}
	return b
}

// sorted appends the keys of m to dst in key order.
func (m *msgSet) sorted(dst []route.Key) []route.Key {
	dst = append(dst, m.small...)
	for k := range m.large {
		dst = append(dst, k)
	}
	slices.SortFunc(dst, compareKeys)
	return dst
}

// RestoreSnapshot rebuilds the state a snapshot was taken of, to be run under cfg. It rejects
// bytes that are not exactly a snapshot AppendSnapshot writes (ErrCorruptSnapshot) and a
// snapshot taken under another gap or lateness (ErrConfigChanged). Nothing it allocates is
// larger than the input justifies, whatever the input claims.
func RestoreSnapshot(data []byte, cfg Config) (*State, error) {
	s, err := restore(data, cfg)
	if err != nil {
		if !errors.Is(err, ErrConfigChanged) {
			err = fmt.Errorf("%w: %w", ErrCorruptSnapshot, err)
		}
		return nil, fmt.Errorf("restore sessions: %w", err)
	}
	return s, nil
}

func restore(data []byte, cfg Config) (*State, error) {
	r := reader{b: data}
	if v := r.byte(); r.err == nil && v != snapshotVersion {
		return nil, fmt.Errorf("version %d, want %d", v, snapshotVersion)
	}
	s := New(cfg)
	gap, lateness := r.varint(), r.varint()
	if r.err == nil && (gap != s.gapMs || lateness != s.latenessMs) {
		return nil, fmt.Errorf("%w: gap %s and lateness %s, configured %s and %s", ErrConfigChanged,
			ms(gap), ms(lateness), ms(s.gapMs), ms(s.latenessMs))
	}
	s.watermark = r.varint()
	s.nextSweep = r.varint()
	for _, n := range s.stats.counters() {
		*n = r.uvarint()
	}
	if r.err != nil {
		return nil, fmt.Errorf("header: %w", r.err)
	}
	n := r.count(minUser)
	if r.err != nil {
		return nil, fmt.Errorf("users: %w", r.err)
	}
	s.users = make(map[User]*user, n)
	var prev User
	for i := range n {
		k, u := s.readUser(&r)
		if i > 0 && r.err == nil && compareUsers(prev, k) >= 0 {
			r.fail(errors.New("users out of order"))
		}
		if r.err != nil {
			return nil, fmt.Errorf("user %d: %w", i, r.err)
		}
		s.users[k] = u
		s.open += len(u.open)
		prev = k
	}
	if len(r.b) > 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(r.b))
	}
	return s, nil
}

// readUser reads one user and checks what sessions rely on: sessions in order, each more than
// the gap after the previous one and after the last closed end, and a user without open
// sessions kept only for its closed end.
func (s *State) readUser(r *reader) (User, *user) {
	k := User{Source: event.Source(r.byte())}
	if _, ok := event.ParseSource(k.Source.String()); !ok && r.err == nil {
		r.fail(fmt.Errorf("source %d", k.Source))
	}
	k.Tenant = event.Tenant(r.string())
	k.Platform = r.string()
	k.ID = event.ActorID(r.string())
	u := &user{closed: r.flag()}
	if u.closed {
		u.closedEnd = r.varint() + s.watermark
	}
	n := r.count(minSession)
	if n == 0 && !u.closed {
		r.fail(errors.New("neither open sessions nor a closed one"))
	}
	if r.err != nil {
		return k, nil
	}
	u.open = make([]session, n)
	for i := range u.open {
		ss := &u.open[i]
		ss.start = r.varint() + s.watermark
		ss.end = ss.start + int64(r.uvarint())
		own := r.uvarint()
		s.readMsgs(r, &ss.msgs)
		switch {
		case r.err != nil:
			return k, nil
		case own > uint64(ss.msgs.len()):
			r.fail(fmt.Errorf("session %d: %d own messages of %d", i, own, ss.msgs.len()))
		case ss.end < ss.start:
			r.fail(fmt.Errorf("session %d ends before it starts", i))
		case i > 0 && ss.start-u.open[i-1].end <= s.gapMs:
			r.fail(fmt.Errorf("session %d within the gap of the previous one", i))
		case i == 0 && u.closed && ss.start-u.closedEnd <= s.gapMs:
			r.fail(errors.New("a session within the gap of the closed end"))
		}
		ss.own = uint32(own)
		ss.id = SessionID(k, ss.start)
	}
	return k, u
}

// readMsgs reads the messages of a session, in a slice or a map as msgSet.add would keep them.
func (s *State) readMsgs(r *reader, m *msgSet) {
	n := r.count(16)
	if n == 0 {
		r.fail(errors.New("a session without messages"))
		return
	}
	if n <= smallSet {
		m.small = make([]route.Key, n)
	} else {
		m.large = make(map[route.Key]struct{}, n)
	}
	var prev route.Key
	for i := range n {
		k := r.key()
		if i > 0 && r.err == nil && compareKeys(prev, k) >= 0 {
			r.fail(errors.New("message keys out of order"))
		}
		if r.err != nil {
			return
		}
		if m.large != nil {
			m.large[k] = struct{}{}
		} else {
			m.small[i] = k
		}
		prev = k
	}
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// counters lists the fields of st in the order a snapshot holds them.
func (st *Stats) counters() [6]*uint64 {
	return [6]*uint64{&st.Sessions, &st.Merged, &st.ExtendedBack, &st.Closed, &st.Late, &st.Duplicates}
}

func compareUsers(a, b User) int {
	return cmp.Or(cmp.Compare(a.Source, b.Source), strings.Compare(string(a.Tenant), string(b.Tenant)),
		strings.Compare(a.Platform, b.Platform), strings.Compare(string(a.ID), string(b.ID)))
}

func compareKeys(a, b route.Key) int {
	return cmp.Or(cmp.Compare(a.Hi, b.Hi), cmp.Compare(a.Lo, b.Lo))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func flag(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// reader consumes a snapshot; the first error sticks and later reads return zero values.
// Strings it returns are copies, so that state does not keep the whole snapshot alive.
type reader struct {
	b   []byte
	err error
}

var errShort = errors.New("truncated")

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.fail(errShort)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// uvarint accepts only the shortest encoding, so that bytes and state correspond one to one.
func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.b)
	switch {
	case n == 0:
		r.fail(errShort)
		return 0
	case n < 0 || n > 1 && r.b[n-1] == 0:
		r.fail(errors.New("malformed varint"))
		return 0
	}
	r.b = r.b[n:]
	return x
}

func (r *reader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// count reads the number of items that follow and rejects one the remaining bytes cannot
// hold at min bytes an item, before anything is allocated for them.
func (r *reader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/min) {
		r.fail(fmt.Errorf("%d items in %d bytes", n, len(r.b)))
		return 0
	}
	return int(n)
}

func (r *reader) flag() bool {
	c := r.byte()
	if c > 1 {
		r.fail(fmt.Errorf("flag %d", c))
	}
	return c == 1
}

func (r *reader) key() route.Key {
	if r.err != nil || len(r.b) < 16 {
		r.fail(errShort)
		return route.Key{}
	}
	k := route.Key{Hi: binary.BigEndian.Uint64(r.b), Lo: binary.BigEndian.Uint64(r.b[8:])}
	r.b = r.b[16:]
	return k
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.fail(errShort)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
