package gen

import (
	"encoding/hex"
	"math"
	"math/rand/v2"
)

// rng is the single random source of a dataset; every draw happens in a fixed order, which
// is what makes a Config reproduce the same bytes.
type rng struct{ r *rand.Rand }

func newRNG(seed int64) rng {
	return rng{rand.New(rand.NewPCG(uint64(seed), 0x63686174_70756c73))}
}

// chance is true with probability p; chance(0) is never true.
func (g rng) chance(p float64) bool { return g.r.Float64() < p }

// between returns a uniform integer in [lo, hi].
func (g rng) between(lo, hi int64) int64 { return lo + g.r.Int64N(hi-lo+1) }

// logBetween returns an integer in [lo, hi] whose logarithm is uniform: most values are
// small, a few are large, as with real delivery delays.
func (g rng) logBetween(lo, hi int64) int64 {
	v := int64(math.Exp(math.Log(float64(lo)) + g.r.Float64()*(math.Log(float64(hi))-math.Log(float64(lo)))))
	return min(max(v, lo), hi)
}

func (g rng) intn(n int) int { return g.r.IntN(n) }

// weighted returns index i with probability weights[i] / sum(weights).
func (g rng) weighted(weights ...int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := g.r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

func pick[T any](g rng, xs []T) T { return xs[g.r.IntN(len(xs))] }

// bytes returns n random bytes.
func (g rng) bytes(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := g.r.Uint64()
		for j := i; j < n && j < i+8; j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
	return b
}

// uuid returns a version-4-shaped id: lower-case hex and dashes only, so it can never carry
// a tab, a newline or a backslash into a rendered row.
func (g rng) uuid() string {
	b := g.bytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

const nanoidAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

// nanoid returns a 21-character id of letters, digits, '_' and '-', the shape of Expertflow
// participant and message ids; none of these characters needs escaping in a row.
func (g rng) nanoid() string {
	b := g.bytes(21)
	for i := range b {
		b[i] = nanoidAlphabet[b[i]&63]
	}
	return string(b)
}

// hexID returns n random bytes in lower-case hex, the shape of a document store's object id.
func (g rng) hexID(n int) string { return hex.EncodeToString(g.bytes(n)) }
