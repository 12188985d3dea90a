package join

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/wire"
)

// A snapshot is the state in a compact binary form from which RestoreSnapshot rebuilds it
// exactly, so that a partition moving to another worker need not replay its whole log. The
// same state always gives the same bytes: maps are written in key order. After the version
// byte come, in this order:
//
//	TTL ms, watermark, next sweep    varints
//	stats                            9 uvarints, in the order of the fields of Stats
//	sent                             count; per message: key, send time, content hash (8 bytes
//	                                 big-endian)
//	early                            count; per message: key, count; per arrival: kind, time, fields
//	sets                             count; per message: key, time, written, count; per reaction: actor, emoji
//
// Counts are uvarints; keys are route.Key.AppendBinary (big-endian, so byte order is key
// order); strings are a uvarint length and the bytes; flags are one byte, 0 or 1; times are
// varints of their distance from the watermark, which keeps them short. An arrival's fields
// are: for a receipt its status byte and member, for a reply the reply's id, for a reaction
// present, actor and emoji. Every varint is in its shortest form, so that one state has
// exactly one snapshot.

// snapshotVersion leads every snapshot; a change of the layout takes a new version. Version 1,
// without content hashes and the Superseded counter, is still read: its messages rank by time
// alone (hash 0), as they did when it was written.
const (
	snapshotVersion   byte = 2
	snapshotVersionV1 byte = 1
)

var (
	// ErrCorruptSnapshot marks bytes that are not a snapshot this release can read.
	ErrCorruptSnapshot = errors.New("corrupt snapshot")
	// ErrConfigChanged marks a snapshot of state kept under another configuration: restoring
	// it would give state that no replay under the current configuration gives.
	ErrConfigChanged = errors.New("snapshot of another configuration")
)

// The fewest bytes each repeated item takes, which bound what a claimed count may allocate.
const (
	minSent     = 16 + 1 // version 1; version 2 adds 8
	minArrival  = 1 + 1 + 1
	minEarly    = 16 + 1 + minArrival
	minSet      = 16 + 1 + 1 + 1
	minReaction = 1 + 1
)

// AppendSnapshot appends the snapshot of the state to b.
func (s *State) AppendSnapshot(b []byte) []byte {
	b = slices.Grow(b, 64+s.sent.len()*(16+6))
	b = append(b, snapshotVersion)
	b = binary.AppendVarint(b, s.ttlMs)
	b = binary.AppendVarint(b, s.watermark)
	b = binary.AppendVarint(b, s.nextSweep)
	for _, n := range s.stats.counters() {
		b = binary.AppendUvarint(b, *n)
	}

	sent := s.sent.sorted()
	b = binary.AppendUvarint(b, uint64(len(sent)))
	for _, m := range sent {
		b = m.key.AppendBinary(b)
		b = binary.AppendVarint(b, m.at.atMs-s.watermark)
		b = binary.BigEndian.AppendUint64(b, m.at.hash)
	}

	b = binary.AppendUvarint(b, uint64(len(s.early)))
	for _, k := range sortedKeys(s.early) {
		waiting := s.early[k]
		b = k.AppendBinary(b)
		b = binary.AppendUvarint(b, uint64(len(waiting)))
		for i := range waiting {
			b = s.appendArrival(b, &waiting[i])
		}
	}

	b = binary.AppendUvarint(b, uint64(len(s.sets)))
	for _, k := range sortedKeys(s.sets) {
		set := s.sets[k]
		b = k.AppendBinary(b)
		b = binary.AppendVarint(b, set.atMs-s.watermark)
		b = append(b, wire.Flag(set.written))
		b = binary.AppendUvarint(b, uint64(len(set.items)))
		for _, id := range set.items {
			b = wire.AppendString(b, id.actor)
			b = wire.AppendString(b, id.emoji)
		}
	}
	return b
}

// appendArrival writes only the fields of e's kind; the others are zero in state.
func (s *State) appendArrival(b []byte, e *early) []byte {
	b = append(b, byte(e.kind))
	b = binary.AppendVarint(b, e.atMs-s.watermark)
	switch e.kind {
	case route.KindReceipt:
		b = append(b, byte(e.status))
		b = wire.AppendString(b, e.id)
	case route.KindReply:
		b = wire.AppendString(b, e.id)
	case route.KindReaction:
		b = append(b, wire.Flag(e.present))
		b = wire.AppendString(b, e.id)
		b = wire.AppendString(b, e.emoji)
	}
	return b
}

// RestoreSnapshot rebuilds the state a snapshot was taken of, to be run under cfg. It rejects
// bytes that are not exactly a snapshot AppendSnapshot writes (ErrCorruptSnapshot) and a
// snapshot taken under another TTL (ErrConfigChanged). Nothing it allocates is larger than
// the input justifies, whatever the input claims.
func RestoreSnapshot(data []byte, cfg Config) (*State, error) {
	s, err := restore(data, cfg)
	if err != nil {
		if !errors.Is(err, ErrConfigChanged) {
			err = fmt.Errorf("%w: %w", ErrCorruptSnapshot, err)
		}
		return nil, fmt.Errorf("restore join: %w", err)
	}
	return s, nil
}

func restore(data []byte, cfg Config) (*State, error) {
	r := reader{wire.Reader{Rest: data}}
	v := r.Byte()
	if r.Err == nil && v != snapshotVersion && v != snapshotVersionV1 {
		return nil, fmt.Errorf("version %d, want %d", v, snapshotVersion)
	}
	s := &State{ttlMs: r.Varint()}
	if want := cfg.TTL.Milliseconds(); r.Err == nil && s.ttlMs != want {
		return nil, fmt.Errorf("%w: TTL %s, configured %s", ErrConfigChanged,
			time.Duration(s.ttlMs)*time.Millisecond, time.Duration(want)*time.Millisecond)
	}
	s.watermark = r.Varint()
	s.nextSweep = r.Varint()
	counters := s.stats.counters()
	if v == snapshotVersionV1 {
		counters[len(counters)-1] = nil
	}
	for _, n := range counters {
		if n != nil {
			*n = r.Uvarint()
		}
	}
	if r.Err != nil {
		return nil, fmt.Errorf("header: %w", r.Err)
	}

	perSent := minSent
	if v != snapshotVersionV1 {
		perSent += 8
	}
	n := r.Count(perSent)
	if r.Err != nil {
		return nil, fmt.Errorf("sent messages: %w", r.Err)
	}
	s.sent.reserve(n)
	var prev route.Key
	for i := range n {
		k := r.Key()
		at := rank{atMs: r.Varint() + s.watermark}
		if v != snapshotVersionV1 {
			at.hash = r.uint64()
		}
		r.ascending(i, prev, k)
		if r.Err != nil {
			return nil, fmt.Errorf("sent message %d: %w", i, r.Err)
		}
		s.sent.put(k, at)
		prev = k
	}

	n = r.Count(minEarly)
	if r.Err != nil {
		return nil, fmt.Errorf("early arrivals: %w", r.Err)
	}
	s.early = make(map[route.Key][]early, n)
	for i := range n {
		k := r.Key()
		r.ascending(i, prev, k)
		if _, held := s.sent.get(k); held && r.Err == nil {
			r.Fail(errors.New("arrivals wait for a message already held"))
		}
		m := r.Count(minArrival)
		if m == 0 {
			r.Fail(errors.New("no arrivals"))
		}
		waiting := make([]early, m)
		for j := range waiting {
			waiting[j] = r.arrival(s.watermark)
		}
		if r.Err != nil {
			return nil, fmt.Errorf("early arrivals %d: %w", i, r.Err)
		}
		s.early[k] = waiting
		s.earlyCount += m
		prev = k
	}

	n = r.Count(minSet)
	if r.Err != nil {
		return nil, fmt.Errorf("reaction sets: %w", r.Err)
	}
	s.sets = make(map[route.Key]snapshot, n)
	for i := range n {
		k := r.Key()
		r.ascending(i, prev, k)
		set := snapshot{atMs: r.Varint() + s.watermark, written: r.Flag()}
		if _, held := s.sent.get(k); held && !set.written && r.Err == nil {
			r.Fail(errors.New("reactions of a held message not written"))
		}
		m := r.Count(minReaction)
		if m > event.MaxReactionItems {
			r.Fail(fmt.Errorf("%d reactions, more than %d", m, event.MaxReactionItems))
		}
		if m > 0 && r.Err == nil {
			set.items = make([]reactionID, 0, m)
		}
		for range m {
			id := reactionID{actor: r.Text(), emoji: r.Text()}
			if r.Err != nil {
				break
			}
			if containsReaction(set.items, id) {
				r.Fail(errors.New("a reaction listed twice"))
			}
			set.items = append(set.items, id)
		}
		if r.Err != nil {
			return nil, fmt.Errorf("reaction set %d: %w", i, r.Err)
		}
		s.sets[k] = set
		prev = k
	}
	if len(r.Rest) > 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(r.Rest))
	}
	return s, nil
}

// arrival reads one early arrival written by appendArrival.
func (r *reader) arrival(watermark int64) early {
	e := early{kind: route.Kind(r.Byte())}
	e.atMs = r.Varint() + watermark
	switch e.kind {
	case route.KindReceipt:
		e.status = event.ReceiptStatus(r.Byte())
		if _, ok := event.ParseReceiptStatus(e.status.String()); !ok {
			r.Fail(fmt.Errorf("receipt status %d", e.status))
		}
		e.id = r.Text()
	case route.KindReply:
		e.id = r.Text()
	case route.KindReaction:
		e.present = r.Flag()
		e.id = r.Text()
		e.emoji = r.Text()
	default:
		r.Fail(fmt.Errorf("arrival of kind %d", e.kind))
	}
	return e
}

// counters lists the fields of st in the order a snapshot holds them.
func (st *Stats) counters() [9]*uint64 {
	return [9]*uint64{&st.Messages, &st.Duplicates, &st.Joined, &st.Held, &st.Expired,
		&st.Forgotten, &st.NegativeLatency, &st.StaleSnapshots, &st.Superseded}
}

func sortedKeys[V any](m map[route.Key]V) []route.Key {
	keys := make([]route.Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, route.Key.Compare)
	return keys
}

// ascending checks that the i-th key of a map follows the previous one, which keeps a map's
// keys in one order and each key once.
func (r *reader) ascending(i int, prev, k route.Key) {
	if i > 0 && r.Err == nil && prev.Compare(k) >= 0 {
		r.Fail(errors.New("keys out of order"))
	}
}

// reader reads this package's snapshot format; the general reads are wire's.
type reader struct{ wire.Reader }

// uint64 reads 8 bytes big-endian.
func (r *reader) uint64() uint64 {
	if r.Err != nil || len(r.Rest) < 8 {
		r.Fail(wire.ErrShort)
		return 0
	}
	v := binary.BigEndian.Uint64(r.Rest)
	r.Rest = r.Rest[8:]
	return v
}
