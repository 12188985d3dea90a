package route

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/chatpulse/chatpulse/event"
)

// A bundle is one repartition record holding several routed events for the same partition,
// each length-prefixed and in order, so that Kafka's per-record costs (batching, checksums,
// record parsing, allocations) are paid once per bundle instead of once per event. Its header
// names the raw partition it comes from, how far that partition has progressed in event time,
// and the last raw offset it covers; every event names the raw record it came from. A raw
// partition may be routed twice, by an old owner still producing after it lost the partition
// and by the new owner starting again at the committed offset, so the same records can reach a
// partition in two copies and in any interleaving; the offsets let a partition's state apply
// each raw record once, in raw order. In this order:
//
//	version                  1 byte
//	flags                    1 byte: bit 0 says the raw partition is idle (see Origin.Idle)
//	topic                    uvarint length and bytes
//	partition, watermark     varints
//	offset                   varint: the last raw offset the bundle covers
//	base                     uvarint: offset minus the raw offset of the first event (0 if none)
//	per event                uvarint raw offset minus the previous event's (the first's: minus
//	                         base), uvarint length, Encode's bytes
//
// A bundle holds whole raw records: it is closed only between records, so that the events one
// record sends to a partition are applied or skipped together.

// bundleVersion leads every bundle. Bundles of version 4, written before the flags byte, are
// still read: a repartition log written by the previous release is replayed after an upgrade.
const (
	bundleVersion   byte = 5
	bundleVersionV4 byte = 4
)

// flagIdle marks a bundle sent because its raw partition has received nothing for the idle
// timeout.
const flagIdle byte = 1

// Origin is the raw partition a bundle comes from, its watermark (the highest event time
// decoded from that partition so far), and the last raw offset the bundle covers: the bundle
// holds every event the raw records up to it send to its partition, except those an earlier
// bundle of the same raw batch holds.
type Origin struct {
	Topic       string
	Partition   int32
	WatermarkMs int64
	Offset      int64
	// Idle says the raw partition has received no record for the idle timeout of processing
	// time, so it stops holding back the watermark of the partitions it feeds until a bundle
	// without the flag comes. The decision is the raw partition owner's and travels in the
	// repartition log, so a replay moves every watermark as the first run did. An idle bundle
	// carries no events; its Offset is the last raw offset its owner had routed, -1 for none.
	Idle bool
}

// MaxBundleBytes is the size at which a bundle is closed and a new one started, after the raw
// record that reached it. One record's events are bounded by validation (ids of at most
// event.MaxIDLen bytes, at most event.MaxReactionItems reactions in a set) to well under 1 MiB
// minus this, so a bundle stays below the 1 MiB record size limit brokers use by default.
const MaxBundleBytes = 256 << 10

// Bundle accumulates routed events for one partition.
type Bundle struct {
	buf   []byte
	count int
	// first and last are the raw offsets of the first and the latest event added.
	first, last int64
}

// Add appends ev, decoded from the raw record at offset and sent as kind, to the bundle.
// Offsets must not decrease within a bundle.
func (b *Bundle) Add(offset int64, kind Kind, ev *event.Event) {
	if b.count == 0 {
		b.first, b.last = offset, offset
	}
	if offset < b.last {
		panic(fmt.Sprintf("route: bundle event at raw offset %d after %d", offset, b.last))
	}
	b.buf = binary.AppendUvarint(b.buf, uint64(offset-b.last))
	b.last = offset
	// Reserve one length byte, encode, and widen the prefix only for the rare long event.
	at := len(b.buf)
	b.buf = append(b.buf, 0)
	b.buf = Encode(b.buf, kind, ev)
	n := len(b.buf) - at - 1
	if n < 0x80 {
		b.buf[at] = byte(n)
	} else {
		var prefix [binary.MaxVarintLen64]byte
		w := binary.PutUvarint(prefix[:], uint64(n))
		b.buf = append(b.buf, prefix[:w-1]...)
		copy(b.buf[at+w:], b.buf[at+1:at+1+n])
		copy(b.buf[at:], prefix[:w])
	}
	b.count++
}

// Len is the encoded size of the bundle in bytes.
func (b *Bundle) Len() int { return len(b.buf) }

// Count is the number of events in the bundle.
func (b *Bundle) Count() int { return b.count }

// Seal writes the bundle, with o in its header, into buf's memory and empties b. A bundle
// without events still carries its origin's progress. o.Offset must be at least the offset of
// every event added.
func (b *Bundle) Seal(o Origin, buf []byte) []byte {
	first := o.Offset
	if b.count > 0 {
		if o.Offset < b.last {
			panic(fmt.Sprintf("route: bundle sealed at raw offset %d before its event at %d", o.Offset, b.last))
		}
		first = b.first
	}
	var flags byte
	if o.Idle {
		if b.count > 0 {
			panic("route: idle bundle with events")
		}
		flags |= flagIdle
	}
	out := append(buf[:0], bundleVersion, flags)
	out = appendString(out, o.Topic)
	out = binary.AppendVarint(out, int64(o.Partition))
	out = binary.AppendVarint(out, o.WatermarkMs)
	out = binary.AppendVarint(out, o.Offset)
	out = binary.AppendUvarint(out, uint64(o.Offset-first))
	out = append(out, b.buf...)
	b.buf, b.count = b.buf[:0], 0
	return out
}

// Events are the encoded events of a bundle whose header has been read.
type Events struct {
	s string
	// base is the raw offset the first event's delta counts from; last bounds every event's.
	base, last int64
}

// ReadBundle reads the header of a bundle; its events follow with Events.Each. Strings of
// the origin and of the events refer to value's memory, without a copy: value must not change
// while they are in use, and whoever keeps one beyond that copies it (the states clone what
// they hold, the sink what waits for an insert), so a copy of the whole bundle would only be
// garbage.
func ReadBundle(value []byte) (Origin, Events, error) {
	var flags byte
	switch {
	case len(value) >= 2 && value[0] == bundleVersion:
		flags, value = value[1], value[2:]
	case len(value) >= 1 && value[0] == bundleVersionV4:
		value = value[1:]
	default:
		return Origin{}, Events{}, fmt.Errorf("%w: not a bundle", ErrCorrupt)
	}
	if flags&^flagIdle != 0 {
		return Origin{}, Events{}, fmt.Errorf("%w: unknown bundle flags %#x", ErrCorrupt, flags)
	}
	r := reader{s: unsafe.String(unsafe.SliceData(value), len(value))}
	o := Origin{Topic: r.string(), Partition: int32(r.varint()), WatermarkMs: r.varint(), Offset: r.varint(),
		Idle: flags&flagIdle != 0}
	back := r.uvarint()
	// Only an idle bundle may name no raw offset at all (-1), and it holds no events.
	least := int64(0)
	if o.Idle {
		least = -1
	}
	if r.err == nil && (o.Offset < least || back > uint64(o.Offset-least)) {
		r.err = fmt.Errorf("first event's offset %d before %d", back, o.Offset)
	}
	if r.err == nil && o.Idle && r.s != "" {
		r.err = errors.New("idle bundle with events")
	}
	if r.err != nil {
		return Origin{}, Events{}, fmt.Errorf("%w: bundle header: %v", ErrCorrupt, r.err)
	}
	return o, Events{s: r.s, base: o.Offset - int64(back), last: o.Offset}, nil
}

// Each decodes the events in order and calls fn for each with the raw offset of the record it
// came from; ev is reused between calls.
func (e Events) Each(ev *event.Event, fn func(offset int64, kind Kind, ev *event.Event)) error {
	r, offset := reader{s: e.s}, e.base
	for i := 0; r.s != ""; i++ {
		d := r.uvarint()
		if r.err != nil || d > uint64(e.last-offset) {
			return fmt.Errorf("%w: event %d: bad offset", ErrCorrupt, i)
		}
		offset += int64(d)
		n := r.uvarint()
		if r.err != nil || n > uint64(len(r.s)) {
			return fmt.Errorf("%w: event %d: bad length", ErrCorrupt, i)
		}
		kind, err := decodeString(r.s[:n], ev)
		if err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
		fn(offset, kind, ev)
		r.s = r.s[n:]
	}
	return nil
}

// EachEvent decodes the events of a bundle in order and calls fn for each with the raw offset
// of the record it came from; ev is reused between calls. It returns the bundle's origin.
func EachEvent(value []byte, ev *event.Event, fn func(offset int64, kind Kind, ev *event.Event)) (Origin, error) {
	o, events, err := ReadBundle(value)
	if err != nil {
		return o, err
	}
	return o, events.Each(ev, fn)
}
