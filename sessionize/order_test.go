package sessionize

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

// streamUsers differ from the first in one field each, so that confusing any field shows.
var streamUsers = []User{
	{Source: event.SourceCausalFoundry, Tenant: "t1", Platform: "whatsapp", ID: "alice"},
	{Source: event.SourceCausalFoundry, Tenant: "t1", Platform: "telegram", ID: "alice"},
	{Source: event.SourceCausalFoundry, Tenant: "t2", Platform: "whatsapp", ID: "alice"},
	{Source: event.SourceExpertflow, Tenant: "t1", Platform: "whatsapp", ID: "alice"},
	{Source: event.SourceCausalFoundry, Tenant: "t1", Platform: "whatsapp", ID: "bob"},
	{Source: event.SourceVoipbin, Platform: "other", ID: "carol"},
}

// randomStream returns a configuration and activities in the order they were generated, which
// is not time order across users. Steps between a user's activities cluster around the gap,
// the gap itself and one past it included; some activities repeat earlier ones exactly, and
// some messages are addressed to a second user. A dense stream has mostly short steps, so that
// its sessions grow long.
func randomStream(r *rand.Rand) (Config, []Activity) {
	gap := time.Duration(1+r.IntN(300)) * time.Second
	lateness := []time.Duration{0, gap / 3, gap, 3 * gap, time.Duration(r.Int64N(int64(5 * gap)))}[r.IntN(5)]
	g := gap.Milliseconds()
	users := streamUsers[:1+r.IntN(len(streamUsers))]
	cursor := make([]int64, len(users))
	for i := range cursor {
		cursor[i] = t0 + r.Int64N(3*g)
	}
	n := 1 + r.IntN(400)
	dense := r.IntN(4) == 0
	acts := make([]Activity, 0, n+n/5)
	for next := uint64(0); len(acts) < n; next++ {
		if len(acts) > 0 && r.IntN(10) == 0 {
			acts = append(acts, acts[r.IntN(len(acts))])
			continue
		}
		u := r.IntN(len(users))
		step := r.IntN(12)
		if dense && r.IntN(10) > 0 {
			step = 6
		}
		switch step {
		case 0:
		case 1:
			cursor[u] += g
		case 2:
			cursor[u] += g + 1
		case 3:
			cursor[u] += g + r.Int64N(3*g)
		case 4:
			cursor[u] += r.Int64N(2*g + 1)
		case 5:
			cursor[u] += 10 * g
		default:
			cursor[u] += r.Int64N(g/2 + 1)
		}
		msg := route.Key{Hi: 1, Lo: next}
		acts = append(acts, Activity{User: users[u], AtMs: cursor[u], Msg: msg, Own: r.IntN(3) > 0})
		if v := r.IntN(len(users)); v != u && r.IntN(8) == 0 {
			acts = append(acts, Activity{User: users[v], AtMs: cursor[u], Msg: msg})
		}
	}
	return Config{Gap: gap, Lateness: lateness}, acts
}

// inTimeOrder sorts the activities by event time.
func inTimeOrder(acts []Activity) []Activity {
	out := slices.Clone(acts)
	slices.SortStableFunc(out, func(a, b Activity) int { return cmp.Compare(a.AtMs, b.AtMs) })
	return out
}

// shuffledWithin delays every activity by a random amount up to lateness and lets it arrive in
// that order. When an activity arrives, everything before it arrived no later than its delayed
// time, so the watermark is at most lateness past it: nothing is late.
func shuffledWithin(r *rand.Rand, acts []Activity, lateness time.Duration) []Activity {
	type arrival struct {
		at int64
		a  Activity
	}
	arr := make([]arrival, len(acts))
	for i, a := range acts {
		arr[i] = arrival{a.AtMs + r.Int64N(lateness.Milliseconds()+1), a}
	}
	r.Shuffle(len(arr), func(i, j int) { arr[i], arr[j] = arr[j], arr[i] })
	slices.SortStableFunc(arr, func(a, b arrival) int { return cmp.Compare(a.at, b.at) })
	out := make([]Activity, len(arr))
	for i := range arr {
		out[i] = arr[i].a
	}
	return out
}

// reference computes the sessions of acts the simple way: per user, sort by time, split where
// consecutive times are more than the gap apart, count each message once. Its rows are open
// rows (Closed unset), keyed by session id.
func reference(acts []Activity, gapMs int64) map[string]rows.Session {
	byUser := make(map[User][]Activity)
	for _, a := range acts {
		byUser[a.User] = append(byUser[a.User], a)
	}
	out := make(map[string]rows.Session)
	for u, as := range byUser {
		slices.SortStableFunc(as, func(a, b Activity) int { return cmp.Compare(a.AtMs, b.AtMs) })
		for len(as) > 0 {
			n := 1
			for n < len(as) && as[n].AtMs-as[n-1].AtMs <= gapMs {
				n++
			}
			seen := make(map[route.Key]bool)
			var msgs, own uint32
			for _, a := range as[:n] {
				if seen[a.Msg] {
					continue
				}
				seen[a.Msg] = true
				msgs++
				if a.Own {
					own++
				}
			}
			r := live(u, as[0].AtMs, as[n-1].AtMs, msgs, own, false)
			out[r.SessionID] = r
			as = as[n:]
		}
	}
	return out
}

// fold is what a reader of the rows sees: per session id the row of the highest version,
// without deleted ones.
func fold(rs []rows.Session) map[string]rows.Session {
	best := make(map[string]rows.Session)
	for _, r := range rs {
		if old, ok := best[r.SessionID]; !ok || r.Version > old.Version {
			best[r.SessionID] = r
		}
	}
	for id, r := range best {
		if r.Deleted {
			delete(best, id)
		}
	}
	return best
}

// checkHistory checks what every id's rows promise a reader: versions grow, a live version
// counts the messages and the closed bit, and nothing follows a tombstone or a closed row.
func checkHistory(rs []rows.Session) error {
	last := make(map[string]rows.Session)
	for i, r := range rs {
		if prev, ok := last[r.SessionID]; ok {
			switch {
			case prev.Deleted || prev.Closed:
				return fmt.Errorf("row %d %+v follows the final row %+v of its id", i, r, prev)
			case r.Version <= prev.Version:
				return fmt.Errorf("row %d %+v does not raise the version of %+v", i, r, prev)
			}
		}
		closedBit := uint64(0)
		if r.Closed {
			closedBit = 1
		}
		if !r.Deleted && r.Version != uint64(r.Messages)<<1|closedBit {
			return fmt.Errorf("row %d %+v: version is not messages<<1 | closed", i, r)
		}
		last[r.SessionID] = r
	}
	return nil
}

func run(cfg Config, acts []Activity) (*State, []rows.Session) {
	s := New(cfg)
	return s, applyAll(s, acts...)
}

func TestArrivalOrderWithinLatenessDoesNotChangeTheSessions(t *testing.T) {
	var total Stats
	var largest uint32
	for seed := range uint64(600) {
		r := rand.New(rand.NewPCG(seed, 0x5e5510))
		cfg, acts := randomStream(r)
		g, l := cfg.Gap.Milliseconds(), cfg.Lateness.Milliseconds()
		want := reference(acts, g)
		orders := []struct {
			name string
			acts []Activity
		}{
			{"in time order", inTimeOrder(acts)},
			{"shuffled within the lateness", shuffledWithin(r, acts, cfg.Lateness)},
		}
		for _, o := range orders {
			s, rs := run(cfg, o.acts)
			if err := checkHistory(rs); err != nil {
				t.Fatalf("seed %d %s: %v", seed, o.name, err)
			}
			if late := s.Stats().Late; late != 0 {
				t.Fatalf("seed %d %s: %d activities late", seed, o.name, late)
			}
			got := fold(rs)
			open, wm, sweep := 0, s.Watermark(), max(g/4, 1000)
			for id, r := range got {
				// The last sweep ran less than one sweep interval before the watermark.
				mustClose, mayClose := r.EndMs+g+l+sweep <= wm, r.EndMs+g+l < wm
				if r.Closed && !mayClose || !r.Closed && mustClose {
					t.Fatalf("seed %d %s: session %+v closed=%v at watermark %d", seed, o.name, r, r.Closed, wm)
				}
				if !r.Closed {
					open++
				}
				largest = max(largest, r.Messages)
				r.Closed, r.Version = false, r.Version&^1
				got[id] = r
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d %s (gap %s, lateness %s): sessions differ from the reference\n got %v\nwant %v",
					seed, o.name, cfg.Gap, cfg.Lateness, got, want)
			}
			if s.Open() != open {
				t.Fatalf("seed %d %s: Open %d, but %d sessions are not closed", seed, o.name, s.Open(), open)
			}
			st := s.Stats()
			total.Sessions += st.Sessions
			total.Merged += st.Merged
			total.ExtendedBack += st.ExtendedBack
			total.Closed += st.Closed
			total.Duplicates += st.Duplicates
		}
	}
	// The streams must exercise every path, or the property says little.
	if total.Merged == 0 || total.ExtendedBack == 0 || total.Closed == 0 || total.Duplicates == 0 {
		t.Fatalf("the streams never merged, extended back, closed or repeated: %+v", total)
	}
	if largest <= smallSet {
		t.Fatalf("the largest session has %d messages; message sets never grew into maps", largest)
	}
	t.Logf("over all streams: %+v, largest session %d messages", total, largest)
}

func TestReplayingTheSameSequenceGivesTheSameRows(t *testing.T) {
	var late uint64
	for seed := range uint64(100) {
		r := rand.New(rand.NewPCG(seed, 0x4e9a1))
		cfg, acts := randomStream(r)
		// Twice the allowed lateness, so that some activities are late too.
		order := shuffledWithin(r, acts, 2*cfg.Lateness+cfg.Gap)
		a, first := run(cfg, order)
		b, second := run(cfg, order)
		if !reflect.DeepEqual(first, second) || !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: replaying the same activities gave different rows or state", seed)
		}
		if len(first) == 0 {
			t.Fatalf("seed %d: no rows", seed)
		}
		late += a.Stats().Late
	}
	if late == 0 {
		t.Fatalf("no activity was late; the replays never took that path")
	}
}
