package route

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestTheReaderReadsVarintsAsBinaryUvarintDoes(t *testing.T) {
	max := bytes.Repeat([]byte{0xff}, 9)
	tests := []struct {
		name  string
		value []byte
	}{
		{"an empty input is short", nil},
		{"a one-byte value is read", []byte{0x7f, 9}},
		{"zero is read", []byte{0}},
		{"a two-byte value is read", []byte{0x80, 0x01}},
		{"a continuation without its next byte is short", []byte{0x80}},
		{"nine continuations without the tenth byte are short", max},
		{"the largest uint64 is read", append(append([]byte{}, max...), 0x01)},
		{"a tenth byte above 1 overflows", append(append([]byte{}, max...), 0x02)},
		{"ten continuations overflow", append(append([]byte{}, max...), 0x80, 0x01)},
		{"an overlong zero is read as binary.Uvarint reads it", []byte{0x80, 0x00, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, n := binary.Uvarint(tt.value)
			r := reader{s: string(tt.value)}
			got := r.uvarint()
			switch {
			case n <= 0 && r.err == nil:
				t.Fatalf("read %d, want an error", got)
			case n > 0 && (r.err != nil || got != want || len(r.s) != len(tt.value)-n):
				t.Fatalf("read %d leaving %d bytes (%v), want %d leaving %d", got, len(r.s), r.err, want, len(tt.value)-n)
			case n == 0 && r.err != errShort:
				t.Fatalf("a short input gave %v, want %v", r.err, errShort)
			}
		})
	}
}
