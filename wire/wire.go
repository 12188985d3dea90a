package wire

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/chatpulse/chatpulse/route"
)

// ErrShort is the error of input that ends before what it announces.
var ErrShort = errors.New("truncated")

// AppendString appends s with its length before it.
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Flag is the byte of a boolean.
func Flag(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// AppendKey appends a state key in its 16-byte form.
func AppendKey(b []byte, k route.Key) []byte { return k.AppendBinary(b) }

// Reader consumes encoded bytes. The first error sticks in Err and later reads return zero
// values, so a decoder reads on and checks Err once. Strings it returns are copies, so that
// decoded state does not keep the whole input alive.
type Reader struct {
	Rest []byte // what is left to read
	Err  error
}

// Fail records err unless an earlier error is recorded.
func (r *Reader) Fail(err error) {
	if r.Err == nil {
		r.Err = err
	}
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if r.Err != nil || len(r.Rest) == 0 {
		r.Fail(ErrShort)
		return 0
	}
	c := r.Rest[0]
	r.Rest = r.Rest[1:]
	return c
}

// Uvarint reads an unsigned varint and accepts only its shortest encoding, so that bytes and
// values correspond one to one.
func (r *Reader) Uvarint() uint64 {
	if r.Err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.Rest)
	switch {
	case n == 0:
		r.Fail(ErrShort)
		return 0
	case n < 0 || n > 1 && r.Rest[n-1] == 0:
		r.Fail(errors.New("malformed varint"))
		return 0
	}
	r.Rest = r.Rest[n:]
	return x
}

// Varint reads a zig-zag signed varint.
func (r *Reader) Varint() int64 {
	u := r.Uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// Count reads the number of items that follow and rejects one the remaining bytes cannot hold
// at min bytes an item, before anything is allocated for them.
func (r *Reader) Count(min int) int {
	n := r.Uvarint()
	if n > uint64(len(r.Rest)/min) {
		r.Fail(fmt.Errorf("%d items in %d bytes", n, len(r.Rest)))
		return 0
	}
	return int(n)
}

// Flag reads a boolean byte; anything but 0 or 1 is an error.
func (r *Reader) Flag() bool {
	c := r.Byte()
	if c > 1 {
		r.Fail(fmt.Errorf("flag %d", c))
	}
	return c == 1
}

// Key reads a 16-byte state key.
func (r *Reader) Key() route.Key {
	if r.Err != nil || len(r.Rest) < 16 {
		r.Fail(ErrShort)
		return route.Key{}
	}
	k := route.Key{Hi: binary.BigEndian.Uint64(r.Rest), Lo: binary.BigEndian.Uint64(r.Rest[8:])}
	r.Rest = r.Rest[16:]
	return k
}

// Text reads a length-prefixed string and copies it.
func (r *Reader) Text() string {
	n := r.Uvarint()
	if r.Err != nil {
		return ""
	}
	if n > uint64(len(r.Rest)) {
		r.Fail(ErrShort)
		return ""
	}
	s := string(r.Rest[:n])
	r.Rest = r.Rest[n:]
	return s
}
