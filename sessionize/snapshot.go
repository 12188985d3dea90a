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
	"github.com/chatpulse/chatpulse/wire"
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
		b = wire.AppendString(b, string(k.Tenant))
		b = wire.AppendString(b, k.Platform)
		b = wire.AppendString(b, string(k.ID))
		b = append(b, wire.Flag(u.closed))
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
	slices.SortFunc(dst, route.Key.Compare)
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
	r := reader{wire.Reader{Rest: data}}
	if v := r.Byte(); r.Err == nil && v != snapshotVersion {
		return nil, fmt.Errorf("version %d, want %d", v, snapshotVersion)
	}
	s := New(cfg)
	gap, lateness := r.Varint(), r.Varint()
	if r.Err == nil && (gap != s.gapMs || lateness != s.latenessMs) {
		return nil, fmt.Errorf("%w: gap %s and lateness %s, configured %s and %s", ErrConfigChanged,
			ms(gap), ms(lateness), ms(s.gapMs), ms(s.latenessMs))
	}
	s.watermark = r.Varint()
	s.nextSweep = r.Varint()
	for _, n := range s.stats.counters() {
		*n = r.Uvarint()
	}
	if r.Err != nil {
		return nil, fmt.Errorf("header: %w", r.Err)
	}
	n := r.Count(minUser)
	if r.Err != nil {
		return nil, fmt.Errorf("users: %w", r.Err)
	}
	s.users = make(map[User]*user, n)
	var prev User
	for i := range n {
		k, u := s.readUser(&r)
		if i > 0 && r.Err == nil && compareUsers(prev, k) >= 0 {
			r.Fail(errors.New("users out of order"))
		}
		if r.Err != nil {
			return nil, fmt.Errorf("user %d: %w", i, r.Err)
		}
		s.users[k] = u
		s.open += len(u.open)
		prev = k
	}
	if len(r.Rest) > 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(r.Rest))
	}
	return s, nil
}

// readUser reads one user and checks what sessions rely on: sessions in order, each more than
// the gap after the previous one and after the last closed end, and a user without open
// sessions kept only for its closed end.
func (s *State) readUser(r *reader) (User, *user) {
	k := User{Source: event.Source(r.Byte())}
	if _, ok := event.ParseSource(k.Source.String()); !ok && r.Err == nil {
		r.Fail(fmt.Errorf("source %d", k.Source))
	}
	k.Tenant = event.Tenant(r.Text())
	k.Platform = r.Text()
	k.ID = event.ActorID(r.Text())
	u := &user{closed: r.Flag()}
	if u.closed {
		u.closedEnd = r.Varint() + s.watermark
	}
	n := r.Count(minSession)
	if n == 0 && !u.closed {
		r.Fail(errors.New("neither open sessions nor a closed one"))
	}
	if r.Err != nil {
		return k, nil
	}
	u.open = make([]session, n)
	for i := range u.open {
		ss := &u.open[i]
		ss.start = r.Varint() + s.watermark
		ss.end = ss.start + int64(r.Uvarint())
		own := r.Uvarint()
		s.readMsgs(r, &ss.msgs)
		switch {
		case r.Err != nil:
			return k, nil
		case own > uint64(ss.msgs.len()):
			r.Fail(fmt.Errorf("session %d: %d own messages of %d", i, own, ss.msgs.len()))
		case ss.end < ss.start:
			r.Fail(fmt.Errorf("session %d ends before it starts", i))
		case i > 0 && ss.start-u.open[i-1].end <= s.gapMs:
			r.Fail(fmt.Errorf("session %d within the gap of the previous one", i))
		case i == 0 && u.closed && ss.start-u.closedEnd <= s.gapMs:
			r.Fail(errors.New("a session within the gap of the closed end"))
		}
		ss.own = uint32(own)
		ss.id = SessionID(k, ss.start)
	}
	return k, u
}

// readMsgs reads the messages of a session, in a slice or a map as msgSet.add would keep them.
func (s *State) readMsgs(r *reader, m *msgSet) {
	n := r.Count(16)
	if n == 0 {
		r.Fail(errors.New("a session without messages"))
		return
	}
	if n <= smallSet {
		m.small = make([]route.Key, n)
	} else {
		m.large = make(map[route.Key]struct{}, n)
	}
	var prev route.Key
	for i := range n {
		k := r.Key()
		if i > 0 && r.Err == nil && prev.Compare(k) >= 0 {
			r.Fail(errors.New("message keys out of order"))
		}
		if r.Err != nil {
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

// reader reads this package's snapshot format; the general reads are wire's.
type reader struct{ wire.Reader }
