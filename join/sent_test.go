package join

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/chatpulse/chatpulse/route"
)

func TestTheSentTableKeepsWhatABuiltInMapKeeps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var table sentTable
	want := map[route.Key]rank{}
	keys := make([]route.Key, 0, 5000)
	for i := range 20000 {
		var k route.Key
		if i%4 == 0 && len(keys) > 0 {
			k = keys[rng.IntN(len(keys))] // a key held already
		} else {
			k = route.Key{Hi: rng.Uint64(), Lo: rng.Uint64()}
			if i%7 == 0 {
				k.Hi &= 1<<(64-sentShardBits) - 1 // many keys in shard 0
			}
			keys = append(keys, k)
		}
		r := rank{atMs: int64(rng.IntN(1000)), hash: rng.Uint64()}
		table.put(k, r)
		want[k] = r
		if i%5000 == 4999 {
			cutoff := int64(rng.IntN(300))
			var dropped uint64
			for k, r := range want {
				if r.atMs < cutoff {
					delete(want, k)
					dropped++
				}
			}
			if got := table.dropBefore(cutoff); got != dropped {
				t.Fatalf("dropBefore(%d) dropped %d, want %d", cutoff, got, dropped)
			}
		}
	}
	if table.len() != len(want) {
		t.Fatalf("len %d, want %d", table.len(), len(want))
	}
	for _, k := range keys {
		got, ok := table.get(k)
		w, wok := want[k]
		if ok != wok || got != w {
			t.Fatalf("get(%v) = %v, %v, want %v, %v", k, got, ok, w, wok)
		}
	}
	sorted := table.sorted()
	if len(sorted) != len(want) {
		t.Fatalf("sorted lists %d, want %d", len(sorted), len(want))
	}
	if !slices.IsSortedFunc(sorted, func(a, b sentAt) int { return a.key.Compare(b.key) }) {
		t.Fatal("sorted is not in ascending key order")
	}
	for _, m := range sorted {
		if want[m.key] != m.at {
			t.Fatalf("sorted lists %v at %v, want %v", m.key, m.at, want[m.key])
		}
	}
}

func TestAShardLeftEmptyIsReleased(t *testing.T) {
	var table sentTable
	table.put(route.Key{Hi: 1}, rank{atMs: 5})
	table.put(route.Key{Hi: 1 << 63}, rank{atMs: 50})
	if got := table.dropBefore(10); got != 1 {
		t.Fatalf("dropped %d, want 1", got)
	}
	if table.shards[0] != nil {
		t.Fatal("the emptied shard 0 is still allocated")
	}
	if _, ok := table.get(route.Key{Hi: 1 << 63}); !ok || table.len() != 1 {
		t.Fatalf("the message after the cutoff is gone (len %d)", table.len())
	}
	table.put(route.Key{Hi: 2}, rank{atMs: 60})
	if _, ok := table.get(route.Key{Hi: 2}); !ok || table.len() != 2 {
		t.Fatal("a released shard takes no new message")
	}
}
