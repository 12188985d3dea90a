package route

import (
	"encoding/binary"
	"fmt"

	"github.com/chatpulse/chatpulse/event"
)

// A bundle is one repartition record holding several routed events for the same partition,
// each length-prefixed and in order, so that Kafka's per-record costs (batching, checksums,
// record parsing, allocations) are paid once per bundle instead of once per event. Its header
// names the raw partition it comes from and how far that partition has progressed in event
// time, so that a partition's state knows how far all of its input has progressed.

// bundleVersion leads every bundle.
const bundleVersion byte = 3

// Origin is the raw partition a bundle comes from and its watermark: the highest event time
// decoded from that partition so far.
type Origin struct {
	Topic       string
	Partition   int32
	WatermarkMs int64
}

// MaxBundleBytes is the size at which a bundle is closed and a new one started; it stays well
// below the 1 MiB record size limit brokers use by default.
const MaxBundleBytes = 256 << 10

// Bundle accumulates routed events for one partition.
type Bundle struct {
	buf   []byte
	count int
}

// Add appends ev, sent as kind, to the bundle.
func (b *Bundle) Add(kind Kind, ev *event.Event) {
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
// without events still carries its origin's progress.
func (b *Bundle) Seal(o Origin, buf []byte) []byte {
	out := append(buf[:0], bundleVersion)
	out = appendString(out, o.Topic)
	out = binary.AppendVarint(out, int64(o.Partition))
	out = binary.AppendVarint(out, o.WatermarkMs)
	out = append(out, b.buf...)
	b.buf, b.count = b.buf[:0], 0
	return out
}

// EachEvent decodes the events of a bundle in order and calls fn for each; ev is reused
// between calls. Strings of the events share one allocation made from value. It returns the
// bundle's origin.
func EachEvent(value []byte, ev *event.Event, fn func(Kind, *event.Event)) (Origin, error) {
	if len(value) == 0 || value[0] != bundleVersion {
		return Origin{}, fmt.Errorf("%w: not a bundle", ErrCorrupt)
	}
	r := reader{s: string(value[1:])}
	o := Origin{Topic: r.string(), Partition: int32(r.varint()), WatermarkMs: r.varint()}
	if r.err != nil {
		return Origin{}, fmt.Errorf("%w: bundle header: %v", ErrCorrupt, r.err)
	}
	s := r.s
	for i := 0; s != ""; i++ {
		n, w := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
		if w <= 0 || n > uint64(len(s)-w) {
			return o, fmt.Errorf("%w: event %d: bad length", ErrCorrupt, i)
		}
		kind, err := decodeString(s[w:w+int(n)], ev)
		if err != nil {
			return o, fmt.Errorf("event %d: %w", i, err)
		}
		fn(kind, ev)
		s = s[w+int(n):]
	}
	return o, nil
}
