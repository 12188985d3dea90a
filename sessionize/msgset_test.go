package sessionize

import (
	"testing"

	"github.com/chatpulse/chatpulse/route"
)

func keys(from, n int) []route.Key {
	ks := make([]route.Key, n)
	for i := range ks {
		ks[i] = route.Key{Hi: uint64(from + i), Lo: ^uint64(from + i)}
	}
	return ks
}

func TestMsgSetUnion(t *testing.T) {
	tests := []struct {
		name string
		a, b int // sizes of the two sets
	}{
		{"two small sets stay small", 3, 4},
		{"two small sets that together pass the small size become a map", smallSet - 1, 2},
		{"a large set takes a small one", smallSet + 5, 3},
		{"a small set takes a large one", 2, smallSet + 5},
		{"two large sets join", smallSet + 1, 3 * smallSet},
		{"an empty set takes a large one", 0, smallSet + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a, b msgSet
			ka, kb := keys(0, tt.a), keys(1000, tt.b)
			for _, k := range ka {
				a.add(k)
			}
			for _, k := range kb {
				b.add(k)
			}
			a.union(&b)
			if a.len() != tt.a+tt.b {
				t.Fatalf("union holds %d keys, want %d", a.len(), tt.a+tt.b)
			}
			if large := tt.a+tt.b > smallSet; (a.large != nil) != large || (a.small != nil && large) {
				t.Fatalf("union of %d keys: slice %d, map %v", tt.a+tt.b, len(a.small), a.large != nil)
			}
			for _, k := range append(ka, kb...) {
				if !a.has(k) {
					t.Fatalf("union lost %v", k)
				}
			}
			for _, k := range keys(5000, 3) {
				if a.has(k) {
					t.Fatalf("union has %v, never added", k)
				}
			}
		})
	}
}
