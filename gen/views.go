package gen

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"
	"time"
)

// The rows of the session, membership and engagement views, derived from the messages'
// contract rows and the model's membership changes and handovers by the rules of the metrics
// specification.

// sessionGap splits a user's activity into sessions: a longer pause starts a new one.
const sessionGap = 30 * minute

// UserSession is one user_sessions row without the closed column, which depends on how users
// fall into partitions.
type UserSession struct {
	Source, Tenant, Platform, UserID, SessionID string
	StartMs, EndMs                              int64
	Messages, UserMessages                      uint32
}

// MembershipEvent is one distinct membership_events row; group-level actions (create,
// update, delete) have no member id and no member type.
type MembershipEvent struct {
	Source, Tenant, GroupID, MemberID, MemberType, Action string
	AtMs                                                  int64
}

// GroupMember is one group_members row.
type GroupMember struct {
	Source, Tenant, GroupID, MemberID, MemberType string
	IsMember                                      bool
	JoinedAtMs                                    int64
	LeftAtMs                                      NullInt64
	UpdatedAtMs                                   int64
}

// GroupDay is one group_daily row.
type GroupDay struct {
	Day                            time.Time // UTC midnight
	Source, Tenant, GroupID        string
	Joins, Leaves, Removes         uint64
	NetChange                      int64
	MembersEndOfDay, ActiveMembers uint64
}

// Handover is one handovers row.
type Handover struct {
	Source, Tenant, Platform, ConversationID, UserID, ToRole string
	AtMs                                                     int64
}

// EngagementDay is one engagement_daily row.
type EngagementDay struct {
	Day                                   time.Time // UTC midnight
	Source, Tenant, Platform              string
	Messages, Delivered, Read, Failed     uint64
	Replied, ActiveUsers                  uint64
	DeliveryP50, DeliveryP90, DeliveryP99 NullInt64
	ReadP50, ReadP90, ReadP99             NullInt64
	Sessions, Handovers                   uint64
}

// memberLevel reports whether a membership action concerns one member.
func memberLevel(action string) bool {
	return action == "join" || action == "leave" || action == "remove"
}

// actionRank orders member-level events at the same time: a departure wins.
func actionRank(action string) int {
	switch action {
	case "join":
		return 1
	case "leave":
		return 2
	}
	return 3
}

// dayOf is the UTC day of an epoch-ms time as a day number since 1970-01-01.
func dayOf(ms int64) int64 { return ms / day }

func dayTime(d int64) time.Time { return time.Unix(d*day/second, 0).UTC() }

// sessionID is 32 hex digits of SHA-256 over source, tenant, platform, user id and the
// decimal start, each part preceded by its length as an 8-byte big-endian number.
func sessionID(source, tenant, platform, user string, startMs int64) string {
	h := sha256.New()
	var n [8]byte
	for _, s := range []string{source, tenant, platform, user, strconv.FormatInt(startMs, 10)} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// derive adds every view and metric to the message rows; memberships and handovers may repeat
// an identity, which counts once.
func (e Expected) derive(memberships []MembershipEvent, handovers []Handover) Expected {
	e.MembershipEvents = distinct(memberships, func(a, b MembershipEvent) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.GroupID, b.GroupID),
			cmp.Compare(a.MemberID, b.MemberID), cmp.Compare(a.AtMs, b.AtMs), cmp.Compare(a.Action, b.Action),
			cmp.Compare(a.MemberType, b.MemberType))
	})
	e.Handovers = distinct(handovers, func(a, b Handover) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.ConversationID, b.ConversationID),
			cmp.Compare(a.AtMs, b.AtMs), cmp.Compare(a.ToRole, b.ToRole), cmp.Compare(a.UserID, b.UserID),
			cmp.Compare(a.Platform, b.Platform))
	})
	e.UserSessions = sessions(e.MessageFacts)
	e.GroupMembers = groupMembers(e.MembershipEvents)
	e.GroupDaily = groupDaily(e.MessageFacts, e.MembershipEvents)
	e.EngagementDaily = engagementDaily(e.MessageFacts, e.UserSessions, e.Handovers)
	e.metrics()
	return e
}

// distinct sorts xs by cmpFn and drops repeats.
func distinct[T any](xs []T, cmpFn func(a, b T) int) []T {
	out := slices.Clone(xs)
	slices.SortFunc(out, cmpFn)
	return slices.CompactFunc(out, func(a, b T) bool { return cmpFn(a, b) == 0 })
}

// sessions splits every user's activity: their own messages, and messages of any other role
// addressed to them directly.
func sessions(facts []MessageFact) []UserSession {
	type key struct{ source, tenant, platform, user string }
	type activity struct {
		at  int64
		own bool
	}
	acts := map[key][]activity{}
	for _, f := range facts {
		switch {
		case f.SenderType == "user":
			k := key{f.Source, f.Tenant, f.Platform, f.SenderID}
			acts[k] = append(acts[k], activity{f.SentAtMs, true})
		case f.RecipientType == "user" && f.RecipientID != "":
			k := key{f.Source, f.Tenant, f.Platform, f.RecipientID}
			acts[k] = append(acts[k], activity{f.SentAtMs, false})
		}
	}
	var out []UserSession
	for k, as := range acts {
		slices.SortFunc(as, func(a, b activity) int { return cmp.Compare(a.at, b.at) })
		var cur *UserSession
		for _, a := range as {
			if cur == nil || a.at-cur.EndMs > sessionGap {
				out = append(out, UserSession{Source: k.source, Tenant: k.tenant, Platform: k.platform, UserID: k.user, StartMs: a.at})
				cur = &out[len(out)-1]
			}
			cur.EndMs = a.at
			cur.Messages++
			if a.own {
				cur.UserMessages++
			}
		}
	}
	for i := range out {
		s := &out[i]
		s.SessionID = sessionID(s.Source, s.Tenant, s.Platform, s.UserID, s.StartMs)
	}
	slices.SortFunc(out, func(a, b UserSession) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Platform, b.Platform),
			cmp.Compare(a.UserID, b.UserID), cmp.Compare(a.StartMs, b.StartMs))
	})
	return out
}

type groupKey struct{ source, tenant, group string }

// later reports whether member-level event a comes after b: by time, then a departure wins.
func later(a, b MembershipEvent) bool {
	return a.AtMs > b.AtMs || a.AtMs == b.AtMs && actionRank(a.Action) > actionRank(b.Action)
}

// groupMembers folds the distinct member-level events into each member's current state.
func groupMembers(events []MembershipEvent) []GroupMember {
	type key struct{ source, tenant, group, member string }
	type state struct {
		last         MembershipEvent
		joined, left int64
		anyLeft      bool
	}
	states := map[key]*state{}
	for _, ev := range events {
		if !memberLevel(ev.Action) {
			continue
		}
		k := key{ev.Source, ev.Tenant, ev.GroupID, ev.MemberID}
		s := states[k]
		if s == nil {
			s = &state{last: ev}
			states[k] = s
		} else if later(ev, s.last) {
			s.last = ev
		}
		if ev.Action == "join" {
			s.joined = max(s.joined, ev.AtMs)
		} else {
			s.left = max(s.left, ev.AtMs)
			s.anyLeft = true
		}
	}
	out := make([]GroupMember, 0, len(states))
	for k, s := range states {
		m := GroupMember{Source: k.source, Tenant: k.tenant, GroupID: k.group, MemberID: k.member,
			MemberType: s.last.MemberType, IsMember: s.last.Action == "join", JoinedAtMs: s.joined}
		if !m.IsMember {
			m.LeftAtMs = NullInt64{s.left, true}
		}
		m.UpdatedAtMs = max(s.joined, s.left)
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b GroupMember) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.GroupID, b.GroupID),
			cmp.Compare(a.MemberID, b.MemberID))
	})
	return out
}

// groupDaily counts each group's membership changes and active members per day.
func groupDaily(facts []MessageFact, events []MembershipEvent) []GroupDay {
	type dayKey struct {
		groupKey
		day int64
	}
	type counts struct {
		joins, leaves, removes map[[2]string]bool // distinct (member id, at)
		senders                map[string]bool
	}
	days := map[dayKey]*counts{}
	at := func(k dayKey) *counts {
		c := days[k]
		if c == nil {
			c = &counts{joins: map[[2]string]bool{}, leaves: map[[2]string]bool{}, removes: map[[2]string]bool{}, senders: map[string]bool{}}
			days[k] = c
		}
		return c
	}
	byGroup := map[groupKey][]MembershipEvent{}
	joiners := map[groupKey]map[string]bool{}
	for _, ev := range events {
		if !memberLevel(ev.Action) {
			continue
		}
		g := groupKey{ev.Source, ev.Tenant, ev.GroupID}
		byGroup[g] = append(byGroup[g], ev)
		c := at(dayKey{g, dayOf(ev.AtMs)})
		id := [2]string{ev.MemberID, strconv.FormatInt(ev.AtMs, 10)}
		switch ev.Action {
		case "join":
			c.joins[id] = true
			if joiners[g] == nil {
				joiners[g] = map[string]bool{}
			}
			joiners[g][ev.MemberID] = true
		case "leave":
			c.leaves[id] = true
		case "remove":
			c.removes[id] = true
		}
	}
	for _, f := range facts {
		if f.RecipientType != "group" {
			continue
		}
		g := groupKey{f.Source, f.Tenant, f.ConversationID}
		c := at(dayKey{g, dayOf(f.SentAtMs)})
		if joiners[g][f.SenderID] {
			c.senders[f.SenderID] = true
		}
	}
	out := make([]GroupDay, 0, len(days))
	for k, c := range days {
		end := (k.day + 1) * day
		latest := map[string]MembershipEvent{}
		for _, ev := range byGroup[k.groupKey] {
			if ev.AtMs >= end {
				continue
			}
			if l, ok := latest[ev.MemberID]; !ok || later(ev, l) {
				latest[ev.MemberID] = ev
			}
		}
		var members uint64
		for _, ev := range latest {
			if ev.Action == "join" {
				members++
			}
		}
		j, l, r := uint64(len(c.joins)), uint64(len(c.leaves)), uint64(len(c.removes))
		out = append(out, GroupDay{Day: dayTime(k.day), Source: k.source, Tenant: k.tenant, GroupID: k.group,
			Joins: j, Leaves: l, Removes: r, NetChange: int64(j) - int64(l) - int64(r),
			MembersEndOfDay: members, ActiveMembers: uint64(len(c.senders))})
	}
	slices.SortFunc(out, func(a, b GroupDay) int {
		return cmp.Or(a.Day.Compare(b.Day), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Tenant, b.Tenant),
			cmp.Compare(a.GroupID, b.GroupID))
	})
	return out
}
