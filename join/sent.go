package join

import (
	"slices"

	"github.com/chatpulse/chatpulse/route"
)

// sentShardBits splits the held messages into 1024 maps by the top bits of their keys. A
// snapshot lists keys in ascending order, so a restore fills one shard after another, each
// small enough to stay in the CPU's caches; one map of a million keys misses the cache on
// nearly every insert, which made loading the map most of a restore (BENCHMARKS.md,
// "Restoring state"). Each shard is still a built-in map with its own random seed, so keys
// crafted to share their top bits make one shard larger, never a probe sequence longer.
const (
	sentShardBits = 10
	sentShards    = 1 << sentShardBits
)

// sentTable maps the key of every message held to the rank of its copy held.
type sentTable struct {
	shards [sentShards]map[route.Key]rank
	n      int
}

func sentShard(k route.Key) uint64 { return k.Hi >> (64 - sentShardBits) }

func (t *sentTable) get(k route.Key) (rank, bool) {
	r, ok := t.shards[sentShard(k)][k]
	return r, ok
}

func (t *sentTable) put(k route.Key, r rank) {
	m := &t.shards[sentShard(k)]
	if *m == nil {
		*m = make(map[route.Key]rank)
	}
	before := len(*m)
	(*m)[k] = r
	t.n += len(*m) - before
}

func (t *sentTable) len() int { return t.n }

// reserve sizes every shard for n keys spread evenly, with room for the spread of a
// uniform hash, so that a restore of n keys rarely grows a map.
func (t *sentTable) reserve(n int) {
	per := n >> sentShardBits
	if per == 0 {
		return
	}
	per += per/8 + 8
	for i := range t.shards {
		if t.shards[i] == nil {
			t.shards[i] = make(map[route.Key]rank, per)
		}
	}
}

// dropBefore forgets the messages whose copy held was sent before cutoff and returns how
// many it forgot. A shard left empty is released: a built-in map never shrinks.
func (t *sentTable) dropBefore(cutoff int64) uint64 {
	var dropped uint64
	for i, m := range t.shards {
		for k, held := range m {
			if held.atMs < cutoff {
				delete(m, k)
				dropped++
			}
		}
		if m != nil && len(m) == 0 {
			t.shards[i] = nil
		}
	}
	t.n -= int(dropped)
	return dropped
}

// sentAt is a held message as a snapshot lists it.
type sentAt struct {
	key route.Key
	at  rank
}

// sorted returns every held message in ascending key order. Shards hold consecutive key
// ranges, so sorting each shard sorts all.
func (t *sentTable) sorted() []sentAt {
	out := make([]sentAt, 0, t.n)
	for _, m := range t.shards {
		from := len(out)
		for k, at := range m {
			out = append(out, sentAt{k, at})
		}
		slices.SortFunc(out[from:], func(a, b sentAt) int { return a.key.Compare(b.key) })
	}
	return out
}
