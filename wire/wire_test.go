package wire

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/chatpulse/chatpulse/route"
)

func TestReader(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		read  func(r *Reader) any
		want  any
		fails bool
	}{
		{"a varint in its shortest form is read", binary.AppendUvarint(nil, 300), func(r *Reader) any { return r.Uvarint() }, uint64(300), false},
		{"a varint with a needless zero byte is rejected", []byte{0x80, 0x00}, func(r *Reader) any { return r.Uvarint() }, uint64(0), true},
		{"a signed varint round-trips", binary.AppendVarint(nil, -7), func(r *Reader) any { return r.Varint() }, int64(-7), false},
		{"a count the bytes cannot hold is rejected", append(binary.AppendUvarint(nil, 1<<40), 1, 2, 3), func(r *Reader) any { return r.Count(1) }, 0, true},
		{"a count within the bytes is read", []byte{2, 9, 9}, func(r *Reader) any { return r.Count(1) }, 2, false},
		{"text longer than the input is rejected", []byte{5, 'a'}, func(r *Reader) any { return r.Text() }, "", true},
		{"text is read", AppendString(nil, "héllo"), func(r *Reader) any { return r.Text() }, "héllo", false},
		{"a flag other than 0 or 1 is rejected", []byte{2}, func(r *Reader) any { return r.Flag() }, false, true},
		{"a key is read", route.Key{Hi: 1, Lo: 2}.AppendBinary(nil), func(r *Reader) any { return r.Key() }, route.Key{Hi: 1, Lo: 2}, false},
		{"a short key is rejected", []byte{1, 2, 3}, func(r *Reader) any { return r.Key() }, route.Key{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Reader{Rest: tt.input}
			got := tt.read(&r)
			if got != tt.want || (r.Err != nil) != tt.fails {
				t.Fatalf("got %v with error %v, want %v (fails %v)", got, r.Err, tt.want, tt.fails)
			}
		})
	}
}

func TestTheFirstErrorSticks(t *testing.T) {
	r := Reader{}
	r.Byte()
	r.Fail(errors.New("later"))
	if !errors.Is(r.Err, ErrShort) || r.Uvarint() != 0 {
		t.Fatalf("err %v", r.Err)
	}
}
