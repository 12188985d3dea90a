package sessionize

import (
	"cmp"
	"slices"
	"strings"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
)

// User is whose session it is. The same person on two platforms has two sessions.
type User struct {
	Source   event.Source
	Tenant   event.Tenant
	Platform string
	ID       event.ActorID
}

// Activity is a message in the life of a user: one the user sent or one addressed to the user
// directly.
type Activity struct {
	User User
	AtMs int64     // event time, epoch ms
	Msg  route.Key // identity of the message, so that a duplicate counts once
	Own  bool      // the user sent the message; otherwise it was addressed to the user directly
}

// State is the session state of one partition. It is a pure function of the activities applied
// to it in order, so replaying a partition's log rebuilds it, and the rows it wrote, exactly.
// Nothing reads the wall clock: sessions close when the watermark, which the caller moves with
// Advance, has passed them. Not safe for concurrent use: one goroutine owns it.
type State struct {
	gapMs, latenessMs int64
	// sweepMs is how far the watermark moves between looks for sessions to close: a sweep walks
	// every user, so it runs a few times per gap, and a session closes at most sweepMs late.
	sweepMs   int64
	users     map[User]*user
	open      int
	watermark int64
	nextSweep int64
	stats     Stats
}

// user is the state of one user: open sessions, and the end of the last closed one for as long
// as activity could still fall within the gap after it. Who the user is, is the map key.
type user struct {
	open []session // disjoint and by start; consecutive sessions are more than the gap apart
	// closedEnd is the end of the last closed session, when closed is set. Activity at or
	// before closedEnd plus the gap would belong to a session already written as closed.
	closedEnd int64
	closed    bool
}

// Stats counts what the state did since it was created.
type Stats struct {
	Sessions     uint64 // sessions opened
	Merged       uint64 // sessions merged into an earlier one by an activity between them
	ExtendedBack uint64 // sessions whose start moved earlier, which renames them
	Closed       uint64 // sessions written as closed and dropped from state
	Late         uint64 // activities that arrived too late to count and changed nothing
	Duplicates   uint64 // activities whose message was already counted
}

// New returns empty state.
func New(cfg Config) *State {
	gap := cfg.Gap.Milliseconds()
	return &State{
		gapMs:      gap,
		latenessMs: cfg.Lateness.Milliseconds(),
		sweepMs:    max(gap/4, 1000),
		users:      make(map[User]*user),
	}
}

// Apply applies a and appends to out the current row of every session it changed: a session
// opened, grown or closed, and a tombstone for every id that ceased to exist. Rows of the
// session a changed share a's strings, as rows of the join share their event's; rows of
// sessions closed by the watermark carry the state's own.
func (s *State) Apply(a Activity, out *[]rows.Session) {
	if a.AtMs+s.gapMs+s.latenessMs < s.watermark {
		s.stats.Late++
		return
	}
	u := s.users[a.User]
	if u != nil && u.closed && a.AtMs <= u.closedEnd+s.gapMs {
		s.stats.Late++
		return
	}
	switch {
	case u == nil:
		u = &user{}
		s.users[clone(a.User)] = u
		s.openSession(u, 0, &a, out)
	case u.counted(a.Msg):
		s.stats.Duplicates++
	default:
		s.add(u, &a, out)
	}
}

// clone copies u's strings: the caller's share memory with whole Kafka records, which state
// must not keep alive.
func clone(u User) User {
	return User{
		Source:   u.Source,
		Tenant:   event.Tenant(strings.Clone(string(u.Tenant))),
		Platform: strings.Clone(u.Platform),
		ID:       event.ActorID(strings.Clone(string(u.ID))),
	}
}

// counted reports whether k is counted in one of u's open sessions.
func (u *user) counted(k route.Key) bool {
	for i := range u.open {
		if u.open[i].msgs.has(k) {
			return true
		}
	}
	return false
}

// add folds a into the open sessions of u within the gap of it: none opens a session, one grows,
// two merge into the earlier one. No more than two can be within the gap, because
// consecutive sessions are more than the gap apart.
func (s *State) add(u *user, a *Activity, out *[]rows.Session) {
	i := 0
	for i < len(u.open) && u.open[i].end+s.gapMs < a.AtMs {
		i++
	}
	if i == len(u.open) || a.AtMs < u.open[i].start-s.gapMs {
		s.openSession(u, i, a, out)
		return
	}
	cur := &u.open[i]
	switch {
	case i+1 < len(u.open) && a.AtMs >= u.open[i+1].start-s.gapMs:
		// a lies after cur's end, so cur's start and id survive and the later session's die.
		later := &u.open[i+1]
		*out = append(*out, later.tombstone(&a.User))
		cur.end = later.end
		cur.own += later.own
		cur.msgs.union(&later.msgs)
		u.open = slices.Delete(u.open, i+1, i+2)
		s.open--
		s.stats.Merged++
	case a.AtMs < cur.start:
		*out = append(*out, cur.tombstone(&a.User))
		cur.start = a.AtMs
		cur.id = SessionID(a.User, cur.start)
		s.stats.ExtendedBack++
	}
	cur.end = max(cur.end, a.AtMs)
	cur.msgs.add(a.Msg)
	if a.Own {
		cur.own++
	}
	*out = append(*out, cur.row(&a.User, false))
}

// openSession opens a session of a alone as u's i-th.
func (s *State) openSession(u *user, i int, a *Activity, out *[]rows.Session) {
	ss := session{id: SessionID(a.User, a.AtMs), start: a.AtMs, end: a.AtMs}
	ss.msgs.add(a.Msg)
	if a.Own {
		ss.own = 1
	}
	u.open = slices.Insert(u.open, i, ss)
	s.open++
	s.stats.Sessions++
	*out = append(*out, u.open[i].row(&a.User, false))
}

// Advance moves the watermark to at, never back, and every sweepMs of event time closes what
// it has passed, appending the closed rows to out. The watermark is how far the partition's
// input has certainly progressed in event time; activity later than it by more than the gap
// and the lateness is late.
func (s *State) Advance(at int64, out *[]rows.Session) {
	if at <= s.watermark {
		return
	}
	s.watermark = at
	if s.nextSweep != 0 && at < s.nextSweep {
		return
	}
	s.nextSweep = at + s.sweepMs
	s.sweep(out)
}

// sweep closes every session that ended more than gap plus lateness before the watermark and
// forgets users with nothing left that could matter. The closed rows are sorted, because the
// order of a map walk is random and the rows must not be.
func (s *State) sweep(out *[]rows.Session) {
	from := len(*out)
	horizon := s.watermark - s.gapMs - s.latenessMs
	for key, u := range s.users {
		n := 0
		for n < len(u.open) && u.open[n].end < horizon {
			*out = append(*out, u.open[n].row(&key, true))
			n++
		}
		if n > 0 {
			u.closedEnd, u.closed = u.open[n-1].end, true
			u.open = slices.Delete(u.open, 0, n)
			if len(u.open) == 0 {
				u.open = nil
			}
			s.open -= n
			s.stats.Closed += uint64(n)
		}
		// Activity within the gap after closedEnd is late by the watermark alone from here on.
		if u.closed && u.closedEnd < horizon-s.gapMs {
			if len(u.open) == 0 {
				delete(s.users, key)
				continue
			}
			u.closed = false
		}
	}
	slices.SortFunc((*out)[from:], func(a, b rows.Session) int {
		return cmp.Or(cmp.Compare(a.EndMs, b.EndMs), strings.Compare(a.SessionID, b.SessionID))
	})
}

// Stats returns the counters of what the state did.
func (s *State) Stats() Stats { return s.stats }

// Open is the number of open sessions held in state.
func (s *State) Open() int { return s.open }

// Watermark is the highest event time applied, in epoch milliseconds.
func (s *State) Watermark() int64 { return s.watermark }
