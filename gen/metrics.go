package gen

import (
	"cmp"
	"slices"
	"time"
)

// The documented metrics over the views, and engagement_daily, by the rules of the metrics
// specification.

// DauWauMau is one dau_wau_mau row.
type DauWauMau struct {
	Day           time.Time // UTC midnight
	DAU, WAU, MAU uint64
	Stickiness    float64 // dau / mau
}

// NewUsers is one new_users row.
type NewUsers struct {
	Day      time.Time // UTC midnight
	NewUsers uint64
}

// BotReplies is the bot_replies row.
type BotReplies struct {
	BotMessages, Replied uint64
	ReplyRate            float64 // 0 when there are no bot messages
}

// BotResponse is the bot_response row.
type BotResponse struct {
	Answered     uint64
	P50Ms, P90Ms int64 // 0 when nothing was answered
}

// FirstHumanResponse is the first_human_response row.
type FirstHumanResponse struct {
	HandoversToAgent, Answered uint64
	P50Ms, P90Ms               int64 // 0 when nothing was answered
}

// Containment is the containment row.
type Containment struct {
	Sessions, HandedOver      uint64
	HandoverRate, Containment float64 // 0 and 1 when there are no sessions
}

// ReactionsPerMessage is the reactions_per_message row.
type ReactionsPerMessage struct {
	Messages, Reactions uint64
	PerMessage          float64 // 0 when there are no messages
}

// quantileExact is ClickHouse's quantileExact: the element at index floor(level*n) of the
// sorted values, clamped to the last one. It sorts vs.
func quantileExact(vs []int64, level float64) int64 {
	slices.Sort(vs)
	i := int(level * float64(len(vs)))
	return vs[min(i, len(vs)-1)]
}

func nullQuantile(vs []int64, level float64) NullInt64 {
	if len(vs) == 0 {
		return NullInt64{}
	}
	return NullInt64{quantileExact(vs, level), true}
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// engagementDaily counts each (day, source, tenant, platform) that has a message.
func engagementDaily(facts []MessageFact, sessions []UserSession, handovers []Handover) []EngagementDay {
	type key struct {
		day                      int64
		source, tenant, platform string
	}
	type agg struct {
		row            EngagementDay
		delivery, read []int64
		users          map[string]bool
	}
	aggs := map[key]*agg{}
	for _, f := range facts {
		k := key{dayOf(f.SentAtMs), f.Source, f.Tenant, f.Platform}
		a := aggs[k]
		if a == nil {
			a = &agg{users: map[string]bool{}}
			aggs[k] = a
		}
		a.row.Messages++
		if f.DeliveredLatencyMs.Valid {
			a.row.Delivered++
			a.delivery = append(a.delivery, f.DeliveredLatencyMs.Int64)
		}
		if f.ReadLatencyMs.Valid {
			a.row.Read++
			a.read = append(a.read, f.ReadLatencyMs.Int64)
		}
		if f.Failed {
			a.row.Failed++
		}
		if f.Replies > 0 {
			a.row.Replied++
		}
		if f.SenderType == "user" {
			a.users[f.SenderID] = true
		}
	}
	for _, s := range sessions {
		if a := aggs[key{dayOf(s.StartMs), s.Source, s.Tenant, s.Platform}]; a != nil {
			a.row.Sessions++
		}
	}
	for _, h := range handovers {
		if a := aggs[key{dayOf(h.AtMs), h.Source, h.Tenant, h.Platform}]; a != nil {
			a.row.Handovers++
		}
	}
	out := make([]EngagementDay, 0, len(aggs))
	for k, a := range aggs {
		r := a.row
		r.Day, r.Source, r.Tenant, r.Platform = dayTime(k.day), k.source, k.tenant, k.platform
		r.ActiveUsers = uint64(len(a.users))
		r.DeliveryP50, r.DeliveryP90, r.DeliveryP99 = nullQuantile(a.delivery, 0.5), nullQuantile(a.delivery, 0.9), nullQuantile(a.delivery, 0.99)
		r.ReadP50, r.ReadP90, r.ReadP99 = nullQuantile(a.read, 0.5), nullQuantile(a.read, 0.9), nullQuantile(a.read, 0.99)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b EngagementDay) int {
		return cmp.Or(a.Day.Compare(b.Day), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Tenant, b.Tenant),
			cmp.Compare(a.Platform, b.Platform))
	})
	return out
}

// metrics computes the documented metrics from the views.
func (e *Expected) metrics() {
	e.DauWauMau, e.NewUsers = activeUsers(e.MessageFacts)

	e.BotReplies = BotReplies{}
	e.ReactionsPerMessage = ReactionsPerMessage{}
	for _, f := range e.MessageFacts {
		if f.SenderType == "bot" {
			e.BotReplies.BotMessages++
			if f.Replies > 0 {
				e.BotReplies.Replied++
			}
		}
		e.ReactionsPerMessage.Messages++
		e.ReactionsPerMessage.Reactions += uint64(f.Reactions)
	}
	e.BotReplies.ReplyRate = ratio(e.BotReplies.Replied, e.BotReplies.BotMessages)
	e.ReactionsPerMessage.PerMessage = ratio(e.ReactionsPerMessage.Reactions, e.ReactionsPerMessage.Messages)

	// Answer times per conversation, sorted, for the first answer after a time.
	type conv struct{ source, tenant, id string }
	answers, humans := map[conv][]int64{}, map[conv][]int64{}
	for _, f := range e.MessageFacts {
		c := conv{f.Source, f.Tenant, f.ConversationID}
		switch f.SenderType {
		case "bot":
			answers[c] = append(answers[c], f.SentAtMs)
		case "agent":
			answers[c] = append(answers[c], f.SentAtMs)
			humans[c] = append(humans[c], f.SentAtMs)
		case "supervisor":
			humans[c] = append(humans[c], f.SentAtMs)
		}
	}
	for _, m := range []map[conv][]int64{answers, humans} {
		for _, ts := range m {
			slices.Sort(ts)
		}
	}
	var waits []int64
	for _, f := range e.MessageFacts {
		if f.SenderType != "user" {
			continue
		}
		ts := answers[conv{f.Source, f.Tenant, f.ConversationID}]
		// The first answer strictly after the message.
		i, _ := slices.BinarySearch(ts, f.SentAtMs+1)
		if i < len(ts) {
			waits = append(waits, ts[i]-f.SentAtMs)
		}
	}
	e.BotResponse = BotResponse{Answered: uint64(len(waits))}
	if len(waits) > 0 {
		e.BotResponse.P50Ms, e.BotResponse.P90Ms = quantileExact(waits, 0.5), quantileExact(waits, 0.9)
	}

	waits = waits[:0]
	e.FirstHumanResponse = FirstHumanResponse{}
	for _, h := range e.Handovers {
		if h.ToRole != "agent" {
			continue
		}
		e.FirstHumanResponse.HandoversToAgent++
		ts := humans[conv{h.Source, h.Tenant, h.ConversationID}]
		// The first human message at or after the handover.
		i, _ := slices.BinarySearch(ts, h.AtMs)
		if i < len(ts) {
			waits = append(waits, ts[i]-h.AtMs)
		}
	}
	e.FirstHumanResponse.Answered = uint64(len(waits))
	if len(waits) > 0 {
		e.FirstHumanResponse.P50Ms, e.FirstHumanResponse.P90Ms = quantileExact(waits, 0.5), quantileExact(waits, 0.9)
	}

	type user struct{ source, tenant, id string }
	toAgent := map[user][]int64{}
	for _, h := range e.Handovers {
		if h.ToRole == "agent" {
			u := user{h.Source, h.Tenant, h.UserID}
			toAgent[u] = append(toAgent[u], h.AtMs)
		}
	}
	e.Containment = Containment{Sessions: uint64(len(e.UserSessions))}
	for _, s := range e.UserSessions {
		if slices.ContainsFunc(toAgent[user{s.Source, s.Tenant, s.UserID}], func(at int64) bool { return s.StartMs <= at && at <= s.EndMs }) {
			e.Containment.HandedOver++
		}
	}
	e.Containment.HandoverRate = ratio(e.Containment.HandedOver, e.Containment.Sessions)
	e.Containment.Containment = 1 - e.Containment.HandoverRate
}

// activeUsers computes dau_wau_mau and new_users: a user is (source, tenant, sender id) of a
// message from a user, active on the days they sent one.
func activeUsers(facts []MessageFact) ([]DauWauMau, []NewUsers) {
	type user struct{ source, tenant, id string }
	active := map[user]map[int64]bool{}
	for _, f := range facts {
		if f.SenderType != "user" {
			continue
		}
		u := user{f.Source, f.Tenant, f.SenderID}
		if active[u] == nil {
			active[u] = map[int64]bool{}
		}
		active[u][dayOf(f.SentAtMs)] = true
	}
	days := map[int64]bool{}
	firsts := map[int64]uint64{}
	for _, ds := range active {
		first := int64(-1)
		for d := range ds {
			days[d] = true
			if first < 0 || d < first {
				first = d
			}
		}
		firsts[first]++
	}
	within := func(ds map[int64]bool, lo, hi int64) bool {
		for d := range ds {
			if lo <= d && d <= hi {
				return true
			}
		}
		return false
	}
	var dwm []DauWauMau
	for d := range days {
		r := DauWauMau{Day: dayTime(d)}
		for _, ds := range active {
			if ds[d] {
				r.DAU++
			}
			if within(ds, d-6, d) {
				r.WAU++
			}
			if within(ds, d-29, d) {
				r.MAU++
			}
		}
		r.Stickiness = ratio(r.DAU, r.MAU)
		dwm = append(dwm, r)
	}
	slices.SortFunc(dwm, func(a, b DauWauMau) int { return a.Day.Compare(b.Day) })
	var nu []NewUsers
	for d, n := range firsts {
		nu = append(nu, NewUsers{Day: dayTime(d), NewUsers: n})
	}
	slices.SortFunc(nu, func(a, b NewUsers) int { return a.Day.Compare(b.Day) })
	return dwm, nu
}
