package sessionize

import (
	"math"
	"reflect"
	"testing"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

const (
	t0     = int64(1_707_836_960_000) // 2024-02-13 15:09:20Z
	minute = int64(60_000)
)

var (
	alice         = User{Source: event.SourceCausalFoundry, Tenant: "t1", Platform: "whatsapp", ID: "alice"}
	aliceTelegram = User{Source: event.SourceCausalFoundry, Tenant: "t1", Platform: "telegram", ID: "alice"}
	bob           = User{Source: event.SourceCausalFoundry, Tenant: "t1", Platform: "whatsapp", ID: "bob"}
)

func act(u User, at int64, msg string, own bool) Activity {
	return Activity{User: u, AtMs: at, Msg: route.MessageKey(u.Source, u.Tenant, event.MsgID(msg)), Own: own}
}

// live is the row of a session with the given numbers, built without the code under test
// except for the id.
func live(u User, start, end int64, msgs, own uint32, closed bool) rows.Session {
	v := uint64(msgs) << 1
	if closed {
		v |= 1
	}
	return rows.Session{Source: u.Source.String(), Tenant: string(u.Tenant), Platform: u.Platform, UserID: string(u.ID),
		SessionID: SessionID(u, start), StartMs: start, EndMs: end, Messages: msgs, UserMessages: own,
		Closed: closed, Version: v}
}

func tomb(u User, start, end int64, msgs, own uint32) rows.Session {
	r := live(u, start, end, msgs, own, false)
	r.Version, r.Deleted = math.MaxUint64, true
	return r
}

// applyAll applies each activity and then moves the watermark to it, as a partition fed by a
// single input does.
func applyAll(s *State, acts ...Activity) []rows.Session {
	var out []rows.Session
	for _, a := range acts {
		s.Apply(a, &out)
		s.Advance(a.AtMs, &out)
	}
	return out
}

func TestApply(t *testing.T) {
	tests := []struct {
		name  string
		acts  []Activity
		want  []rows.Session
		stats Stats
		open  int
		users int
	}{
		{
			name: "a gap longer than the session gap starts a new session",
			acts: []Activity{act(alice, t0, "m1", true), act(alice, t0+30*minute+1, "m2", true)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(alice, t0+30*minute+1, t0+30*minute+1, 1, 1, false),
			},
			stats: Stats{Sessions: 2}, open: 2, users: 1,
		},
		{
			name: "activity within the gap, the gap itself included, extends the session",
			acts: []Activity{act(alice, t0, "m1", true), act(alice, t0+30*minute, "m2", true), act(alice, t0+45*minute, "m3", true)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(alice, t0, t0+30*minute, 2, 2, false),
				live(alice, t0, t0+45*minute, 3, 3, false),
			},
			stats: Stats{Sessions: 1}, open: 1, users: 1,
		},
		{
			name: "activity inside a session counts without moving its ends",
			acts: []Activity{act(alice, t0, "m1", true), act(alice, t0+20*minute, "m2", true), act(alice, t0+10*minute, "m3", false)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(alice, t0, t0+20*minute, 2, 2, false),
				live(alice, t0, t0+20*minute, 3, 2, false),
			},
			stats: Stats{Sessions: 1}, open: 1, users: 1,
		},
		{
			name: "an activity bridging two open sessions merges them and deletes the later id",
			acts: []Activity{act(alice, t0, "m1", true), act(alice, t0+35*minute, "m2", true), act(alice, t0+17*minute, "m3", false)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(alice, t0+35*minute, t0+35*minute, 1, 1, false),
				tomb(alice, t0+35*minute, t0+35*minute, 1, 1),
				live(alice, t0, t0+35*minute, 3, 2, false),
			},
			stats: Stats{Sessions: 2, Merged: 1}, open: 1, users: 1,
		},
		{
			name: "an earlier activity within the gap moves the start and renames the session",
			acts: []Activity{act(alice, t0+20*minute, "m1", true), act(alice, t0+25*minute, "m2", true), act(alice, t0, "m3", true)},
			want: []rows.Session{
				live(alice, t0+20*minute, t0+20*minute, 1, 1, false),
				live(alice, t0+20*minute, t0+25*minute, 2, 2, false),
				tomb(alice, t0+20*minute, t0+25*minute, 2, 2),
				live(alice, t0, t0+25*minute, 3, 3, false),
			},
			stats: Stats{Sessions: 1, ExtendedBack: 1}, open: 1, users: 1,
		},
		{
			name: "an earlier activity beyond the gap opens a session before the first",
			acts: []Activity{act(alice, t0+31*minute, "m1", true), act(alice, t0, "m2", true)},
			want: []rows.Session{
				live(alice, t0+31*minute, t0+31*minute, 1, 1, false),
				live(alice, t0, t0, 1, 1, false),
			},
			stats: Stats{Sessions: 2}, open: 2, users: 1,
		},
		{
			name: "a duplicate message counts once",
			acts: []Activity{act(alice, t0, "m1", true), act(alice, t0+minute, "m2", true), act(alice, t0, "m1", true)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(alice, t0, t0+minute, 2, 2, false),
			},
			stats: Stats{Sessions: 1, Duplicates: 1}, open: 1, users: 1,
		},
		{
			name: "a duplicate of a message in another open session counts once",
			acts: []Activity{act(alice, t0, "m1", true), act(alice, t0+35*minute, "m2", true), act(alice, t0, "m1", true)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(alice, t0+35*minute, t0+35*minute, 1, 1, false),
			},
			stats: Stats{Sessions: 2, Duplicates: 1}, open: 2, users: 1,
		},
		{
			name: "a duplicate of a message of a merged session counts once",
			acts: []Activity{act(alice, t0, "m1", true), act(alice, t0+35*minute, "m2", true), act(alice, t0+17*minute, "m3", true),
				act(alice, t0+35*minute, "m2", true)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(alice, t0+35*minute, t0+35*minute, 1, 1, false),
				tomb(alice, t0+35*minute, t0+35*minute, 1, 1),
				live(alice, t0, t0+35*minute, 3, 3, false),
			},
			stats: Stats{Sessions: 2, Merged: 1, Duplicates: 1}, open: 1, users: 1,
		},
		{
			name: "own messages and messages addressed to the user are counted apart",
			acts: []Activity{act(alice, t0, "m1", true), act(alice, t0+minute, "m2", false), act(alice, t0+2*minute, "m3", true)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(alice, t0, t0+minute, 2, 1, false),
				live(alice, t0, t0+2*minute, 3, 2, false),
			},
			stats: Stats{Sessions: 1}, open: 1, users: 1,
		},
		{
			name: "a session stays open while the watermark is at most end plus gap plus lateness",
			acts: []Activity{act(alice, t0, "m1", true), act(bob, t0+40*minute, "b1", true)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(bob, t0+40*minute, t0+40*minute, 1, 1, false),
			},
			stats: Stats{Sessions: 2}, open: 2, users: 2,
		},
		{
			name: "a session closes once the watermark passes end plus gap plus lateness",
			acts: []Activity{act(alice, t0, "m1", true), act(alice, t0+5*minute, "m2", false), act(bob, t0+45*minute+1, "b1", true)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(alice, t0, t0+5*minute, 2, 1, false),
				live(bob, t0+45*minute+1, t0+45*minute+1, 1, 1, false),
				live(alice, t0, t0+5*minute, 2, 1, true),
			},
			stats: Stats{Sessions: 2, Closed: 1}, open: 1, users: 2,
		},
		{
			name: "sessions closing together are written in order of their end",
			acts: []Activity{act(bob, t0+minute, "b1", true), act(alice, t0, "m1", true), act(alice, t0+45*minute, "m2", true)},
			want: []rows.Session{
				live(bob, t0+minute, t0+minute, 1, 1, false),
				live(alice, t0, t0, 1, 1, false),
				live(alice, t0+45*minute, t0+45*minute, 1, 1, false),
				live(alice, t0, t0, 1, 1, true),
				live(bob, t0+minute, t0+minute, 1, 1, true),
			},
			stats: Stats{Sessions: 3, Closed: 2}, open: 1, users: 2,
		},
		{
			name: "a late activity within the gap after a closed session is counted and changes nothing",
			acts: []Activity{act(alice, t0, "m1", true), act(alice, t0+5*minute, "m2", false), act(bob, t0+45*minute+1, "b1", true),
				act(alice, t0+35*minute, "m3", true), act(alice, t0+35*minute+1, "m4", true)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(alice, t0, t0+5*minute, 2, 1, false),
				live(bob, t0+45*minute+1, t0+45*minute+1, 1, 1, false),
				live(alice, t0, t0+5*minute, 2, 1, true),
				live(alice, t0+35*minute+1, t0+35*minute+1, 1, 1, false),
			},
			stats: Stats{Sessions: 3, Closed: 1, Late: 1}, open: 2, users: 2,
		},
		{
			name: "an activity older than watermark minus gap and lateness is late",
			acts: []Activity{act(alice, t0+40*minute+1, "m1", true), act(bob, t0, "b1", true), act(bob, t0+1, "b2", true)},
			want: []rows.Session{
				live(alice, t0+40*minute+1, t0+40*minute+1, 1, 1, false),
				live(bob, t0+1, t0+1, 1, 1, false),
			},
			stats: Stats{Sessions: 2, Late: 1}, open: 2, users: 2,
		},
		{
			name: "a late activity is late even when its message is a duplicate",
			acts: []Activity{act(alice, t0, "m1", true), act(alice, t0+20*minute, "m2", true), act(alice, t0+60*minute, "m3", true),
				act(alice, t0, "m1", true)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(alice, t0, t0+20*minute, 2, 2, false),
				live(alice, t0+60*minute, t0+60*minute, 1, 1, false),
			},
			stats: Stats{Sessions: 2, Late: 1}, open: 2, users: 1,
		},
		{
			name: "users are independent",
			acts: []Activity{act(alice, t0, "m1", true), act(bob, t0, "m1", false), act(alice, t0+31*minute, "m2", true), act(bob, t0+20*minute, "m2", false)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(bob, t0, t0, 1, 0, false),
				live(alice, t0+31*minute, t0+31*minute, 1, 1, false),
				live(bob, t0, t0+20*minute, 2, 0, false),
			},
			stats: Stats{Sessions: 3}, open: 3, users: 2,
		},
		{
			name: "platforms separate sessions of the same user",
			acts: []Activity{act(alice, t0, "m1", true), act(aliceTelegram, t0+minute, "m2", true), act(alice, t0+2*minute, "m3", true)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(aliceTelegram, t0+minute, t0+minute, 1, 1, false),
				live(alice, t0, t0+2*minute, 2, 2, false),
			},
			stats: Stats{Sessions: 2}, open: 2, users: 2,
		},
		{
			name: "a user is forgotten once the watermark passes the last closed end plus twice the gap plus lateness",
			acts: []Activity{act(alice, t0, "m1", true), act(bob, t0+41*minute, "b1", true), act(bob, t0+100*minute, "b2", true),
				act(bob, t0+100*minute+1, "b3", true)},
			want: []rows.Session{
				live(alice, t0, t0, 1, 1, false),
				live(bob, t0+41*minute, t0+41*minute, 1, 1, false),
				live(alice, t0, t0, 1, 1, true),
				live(bob, t0+100*minute, t0+100*minute, 1, 1, false),
				live(bob, t0+41*minute, t0+41*minute, 1, 1, true),
				live(bob, t0+100*minute, t0+100*minute+1, 2, 2, false),
			},
			stats: Stats{Sessions: 3, Closed: 2}, open: 1, users: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(DefaultConfig())
			got := applyAll(s, tt.acts...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows\n got %+v\nwant %+v", got, tt.want)
			}
			if s.Stats() != tt.stats {
				t.Errorf("stats\n got %+v\nwant %+v", s.Stats(), tt.stats)
			}
			if s.Open() != tt.open {
				t.Errorf("open sessions %d, want %d", s.Open(), tt.open)
			}
			if len(s.users) != tt.users {
				t.Errorf("users held %d, want %d", len(s.users), tt.users)
			}
		})
	}
}
