package sessionize

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

// benchUsers returns n users with ids shaped like the generator's (UUIDs).
func benchUsers(n int) []User {
	us := make([]User, n)
	for i := range us {
		us[i] = User{Source: event.SourceCausalFoundry, Tenant: "tenant-1", Platform: "whatsapp",
			ID: event.ActorID(fmt.Sprintf("1e7c1a8b-c291-48df-9ad2-%012d", i))}
	}
	return us
}

// BenchmarkOpenSessionBytes measures the heap one open session costs, its user's entry
// included, the figure that bounds a partition's memory. The 10-message case is the reference
// figure; the others show the slice of message keys growing and then turning into a map.
func BenchmarkOpenSessionBytes(b *testing.B) {
	for _, msgs := range []int{1, 10, smallSet, smallSet + 1, 100} {
		b.Run(fmt.Sprintf("messages=%d", msgs), func(b *testing.B) {
			b.ReportAllocs()
			const n = 100_000
			users := benchUsers(n)
			for b.Loop() {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				s := New(DefaultConfig())
				var out []rows.Session
				for j := range msgs {
					for i := range users {
						s.Apply(Activity{User: users[i], AtMs: t0 + int64(j)*1000, Msg: route.Key{Hi: uint64(i), Lo: uint64(j)}, Own: j%2 == 0}, &out)
						s.Advance(t0+int64(j)*1000, &out)
						out = out[:0]
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				if s.Open() != n {
					b.Fatalf("%d open sessions, want %d", s.Open(), n)
				}
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heapB/open-session")
				runtime.KeepAlive(s)
				runtime.KeepAlive(out)
			}
		})
	}
}

// BenchmarkApply measures one activity in a steady state: 10,000 users active at once, each
// for about 33 minutes of event time with 20 messages, then replaced by the next 10,000 while
// the earlier sessions close and their users are forgotten.
func BenchmarkApply(b *testing.B) {
	b.ReportAllocs()
	const (
		active   = 10_000
		perUser  = 20
		epochs   = 8 // users are reused after this many epochs, long after they were forgotten
		stepMs   = 10
		epochLen = active * perUser
	)
	users := benchUsers(active * epochs)
	s := New(DefaultConfig())
	var out []rows.Session
	i := 0
	for b.Loop() {
		u := i%active + active*(i/epochLen%epochs)
		s.Apply(Activity{User: users[u], AtMs: t0 + int64(i)*stepMs, Msg: route.Key{Hi: uint64(i), Lo: 7}, Own: i%3 != 0}, &out)
		s.Advance(t0+int64(i)*stepMs, &out)
		out = out[:0]
		i++
	}
	if st := s.Stats(); i > 2*epochLen && st.Closed == 0 {
		b.Fatalf("no session closed: %+v", st)
	}
}

// BenchmarkMsgSetHas compares looking a message up in a slice and in a map of the same size,
// the measurement behind smallSet.
func BenchmarkMsgSetHas(b *testing.B) {
	for _, n := range []int{8, 16, 32, 64, 128} {
		ks := keys(0, n)
		small := msgSet{small: ks}
		large := msgSet{large: make(map[route.Key]struct{}, n)}
		for _, k := range ks {
			large.large[k] = struct{}{}
		}
		missing := route.Key{Hi: 1 << 40}
		for _, set := range []struct {
			name string
			m    *msgSet
		}{{"slice", &small}, {"map", &large}} {
			b.Run(fmt.Sprintf("%s/keys=%d", set.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if set.m.has(missing) {
						b.Fatal("found a key never added")
					}
				}
			})
		}
	}
}
