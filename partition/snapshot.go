package partition

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"strings"

	"github.com/chatpulse/chatpulse/join"
	"github.com/chatpulse/chatpulse/sessionize"
	"github.com/chatpulse/chatpulse/wire"
)

// A snapshot is everything a partition owns in one binary record from which RestoreSnapshot
// rebuilds it exactly, so that a partition moving to another worker need not replay its whole
// log. The same state always gives the same bytes. In this order:
//
//	version                  1 byte
//	sources                  uvarint
//	watermark                varint
//	redelivered              uvarint
//	origins                  uvarint count; per raw partition, in order of topic and partition:
//	                         topic (uvarint length and bytes), partition, watermark (varints),
//	                         next raw offset to apply (uvarint), idle (1 byte, 0 or 1)
//	join                     8-byte big-endian length, join.State.AppendSnapshot
//	sessions                 8-byte big-endian length, sessionize.State.AppendSnapshot
//	checksum                 CRC-32 (Castagnoli) of everything before it, 4 bytes big-endian
//
// The checksum rejects a snapshot cut short or damaged in storage, and the version one written
// by a release with another layout. The parts carry versions of their own. The raw offsets
// applied are state like the rest: a restored state must skip exactly the redelivered records
// the state it was taken of would skip.

// snapshotVersion leads every snapshot; a change of the layout takes a new version. Version 2,
// without the idle byte, is still read: its origins were never idle.
const (
	snapshotVersion   byte = 3
	snapshotVersionV2 byte = 2
)

var (
	// ErrCorruptSnapshot marks bytes that are not a snapshot this release can read.
	ErrCorruptSnapshot = errors.New("corrupt snapshot")
	// ErrConfigChanged marks a snapshot of state kept under another configuration, which no
	// replay under the current configuration would give.
	ErrConfigChanged = errors.New("snapshot of another configuration")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// minOrigin is the fewest bytes an origin takes, which bounds what a claimed count may allocate.
const minOrigin = 1 + 1 + 1 + 1 + 1

// AppendSnapshot appends the snapshot of the state to b.
func (s *State) AppendSnapshot(b []byte) []byte {
	start := len(b)
	b = append(b, snapshotVersion)
	b = binary.AppendUvarint(b, uint64(s.sources))
	b = binary.AppendVarint(b, s.watermark)
	b = binary.AppendUvarint(b, s.redelivered)
	origins := make([]origin, 0, len(s.origins))
	for o := range s.origins {
		origins = append(origins, o)
	}
	slices.SortFunc(origins, compareOrigins)
	b = binary.AppendUvarint(b, uint64(len(origins)))
	for _, o := range origins {
		b = binary.AppendUvarint(b, uint64(len(o.topic)))
		b = append(b, o.topic...)
		b = binary.AppendVarint(b, int64(o.partition))
		p := s.origins[o]
		b = binary.AppendVarint(b, p.watermarkMs)
		b = binary.AppendUvarint(b, uint64(p.next))
		b = append(b, wire.Flag(p.idle))
	}
	b = appendPart(b, s.join.AppendSnapshot)
	b = appendPart(b, s.sessions.AppendSnapshot)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

// appendPart appends a part's snapshot after its length, written in place once known.
func appendPart(b []byte, part func([]byte) []byte) []byte {
	at := len(b)
	b = part(binary.BigEndian.AppendUint64(b, 0))
	binary.BigEndian.PutUint64(b[at:], uint64(len(b)-at-8))
	return b
}

// RestoreSnapshot rebuilds the state a snapshot was taken of, to be run under cfg. It rejects
// bytes that are not exactly a snapshot AppendSnapshot writes (ErrCorruptSnapshot), a part
// taken under another configuration (ErrConfigChanged); errors of a part also match the
// part's own errors. Nothing it allocates is larger than the input justifies, whatever the
// input claims.
func RestoreSnapshot(data []byte, cfg Config) (*State, error) {
	s, err := restore(data, cfg)
	if err != nil {
		return nil, fmt.Errorf("restore partition: %w", err)
	}
	return s, nil
}

func restore(data []byte, cfg Config) (*State, error) {
	if len(data) < 1+4 {
		return nil, fmt.Errorf("%w: %d bytes", ErrCorruptSnapshot, len(data))
	}
	if data[0] != snapshotVersion && data[0] != snapshotVersionV2 {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrCorruptSnapshot, data[0], snapshotVersion)
	}
	body := data[:len(data)-4]
	if sum, want := crc32.Checksum(body, castagnoli), binary.BigEndian.Uint32(data[len(body):]); sum != want {
		return nil, fmt.Errorf("%w: checksum %08x, computed %08x", ErrCorruptSnapshot, want, sum)
	}
	r := reader{wire.Reader{Rest: body[1:]}}
	sources := r.Uvarint()
	if sources > math.MaxInt32 {
		r.Fail(fmt.Errorf("%d sources", sources))
	}
	s := &State{sources: int(sources), watermark: r.Varint(), redelivered: r.Uvarint()}
	n := r.Uvarint()
	if n > uint64(len(r.Rest)/minOrigin) {
		r.Fail(fmt.Errorf("%d origins in %d bytes", n, len(r.Rest)))
	}
	if r.Err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrCorruptSnapshot, r.Err)
	}
	s.origins = make(map[origin]progress, n)
	var prev origin
	for i := range int(n) {
		o := origin{topic: r.Text()}
		p := r.Varint()
		if p < math.MinInt32 || p > math.MaxInt32 {
			r.Fail(fmt.Errorf("partition %d", p))
		}
		o.partition = int32(p)
		wm, next := r.Varint(), r.Uvarint()
		idle := data[0] != snapshotVersionV2 && r.Flag()
		if next > math.MaxInt64 {
			r.Fail(fmt.Errorf("next offset %d", next))
		}
		if i > 0 && r.Err == nil && compareOrigins(prev, o) >= 0 {
			r.Fail(errors.New("out of order"))
		}
		if r.Err != nil {
			return nil, fmt.Errorf("%w: origin %d: %w", ErrCorruptSnapshot, i, r.Err)
		}
		s.origins[o] = progress{watermarkMs: wm, next: int64(next), idle: idle}
		prev = o
	}
	joinPart, sessionsPart := r.part(), r.part()
	if r.Err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptSnapshot, r.Err)
	}
	if len(r.Rest) > 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrCorruptSnapshot, len(r.Rest))
	}
	var err error
	if s.join, err = join.RestoreSnapshot(joinPart, cfg.Join); err != nil {
		return nil, partError{errors.Is(err, join.ErrConfigChanged), err}
	}
	if s.sessions, err = sessionize.RestoreSnapshot(sessionsPart, cfg.Sessions); err != nil {
		return nil, partError{errors.Is(err, sessionize.ErrConfigChanged), err}
	}
	return s, nil
}

// partError is a part's restore error that matches this package's errors too, so that a
// caller needs to know only these.
type partError struct {
	configChanged bool
	err           error
}

func (e partError) Error() string { return e.err.Error() }

func (e partError) Unwrap() []error {
	if e.configChanged {
		return []error{ErrConfigChanged, e.err}
	}
	return []error{ErrCorruptSnapshot, e.err}
}

func compareOrigins(a, b origin) int {
	return cmp.Or(strings.Compare(a.topic, b.topic), cmp.Compare(a.partition, b.partition))
}

// part returns the bytes of a part after their length.
func (r *reader) part() []byte {
	if r.Err != nil || len(r.Rest) < 8 {
		r.Fail(wire.ErrShort)
		return nil
	}
	n := binary.BigEndian.Uint64(r.Rest)
	if n > uint64(len(r.Rest)-8) {
		r.Fail(fmt.Errorf("part of %d bytes in %d", n, len(r.Rest)-8))
		return nil
	}
	p := r.Rest[8 : 8+n]
	r.Rest = r.Rest[8+n:]
	return p
}

// Sources is how many raw partitions the state expects to feed it.
func (s *State) Sources() int { return s.sources }

// reader reads this package's snapshot format; the general reads are wire's.
type reader struct{ wire.Reader }
