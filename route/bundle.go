package route

import (
	"encoding/binary"
	"fmt"

	"github.com/chatpulse/chatpulse/event"
)

// A bundle is one repartition record holding several routed events for the same partition,
// each length-prefixed and in order, so that Kafka's per-record costs (batching, checksums,
// record parsing, allocations) are paid once per bundle instead of once per event.

// bundleVersion leads every bundle.
const bundleVersion byte = 2

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
	if len(b.buf) == 0 {
		b.buf = append(b.buf, bundleVersion)
	}
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

// Take returns the encoded bundle and leaves b empty, reusing buf's memory for the next one.
func (b *Bundle) Take(buf []byte) []byte {
	out := b.buf
	b.buf, b.count = buf[:0], 0
	return out
}

// EachEvent decodes the events of a bundle in order and calls fn for each; ev is reused
// between calls. Strings of the events share one allocation made from value.
func EachEvent(value []byte, ev *event.Event, fn func(Kind, *event.Event)) error {
	if len(value) == 0 || value[0] != bundleVersion {
		return fmt.Errorf("%w: not a bundle", ErrCorrupt)
	}
	s := string(value[1:])
	for i := 0; s != ""; i++ {
		n, w := binary.Uvarint([]byte(s[:min(len(s), binary.MaxVarintLen64)]))
		if w <= 0 || n > uint64(len(s)-w) {
			return fmt.Errorf("%w: event %d: bad length", ErrCorrupt, i)
		}
		kind, err := decodeString(s[w:w+int(n)], ev)
		if err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
		fn(kind, ev)
		s = s[w+int(n):]
	}
	return nil
}
