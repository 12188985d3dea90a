package gen

// Engagement additions to the Causal Foundry model: membership churn on top of the groups'
// first joins, and a scripted pair of sessions whose boundaries are known to the millisecond.

// Scripted session times, relative to the scripted conversation's first message.
const (
	scriptedAnswer = 20 * second                // the bot answers the user
	scriptedStay   = scriptedAnswer + 30*minute // exactly the session gap: the session goes on
	scriptedSplit  = scriptedStay + 31*minute   // one minute more than the gap: a new session
	scriptedLast   = scriptedSplit + 45*second  // the bot answers in the new session
	scriptedAfter  = 3 * hour                   // the first message, after the day's start
	scriptedText   = "text"
)

// buildScriptedSessions adds a user of its own, active only here, chatting with a bot: the
// user's first session holds two own messages (the second replies to the bot) and one bot
// answer addressed to the user; a 31-minute pause then opens a second session of one own
// message and one answer. It runs on day 1 of the traffic (day 0 with one day).
func (w *world) buildScriptedSessions(g rng, cfg Config) {
	u := actor{"user", g.uuid()}
	bot := actor{"bot", g.uuid()}
	if len(w.bots) > 0 {
		bot = pick(g, w.bots)
	}
	c := &conversation{platform: "telegram", members: []actor{u, bot}}
	t0 := cfg.Start.UnixMilli() + int64(min(1, cfg.days()-1))*day + scriptedAfter
	steps := []struct {
		from, to actor
		at       int64
		reply    bool // replies to the previous message
	}{
		{u, bot, 0, false}, {bot, u, scriptedAnswer, false}, {u, bot, scriptedStay, true}, {u, bot, scriptedSplit, false},
		{bot, u, scriptedLast, false},
	}
	for _, s := range steps {
		// Whole seconds, so that every written time form keeps the exact time.
		m := &message{id: g.uuid(), conv: c, sender: s.from, recipientID: s.to.id, content: scriptedText}
		if s.reply {
			m.parent = c.msgs[len(c.msgs)-1]
		}
		m.platformRaw = rawPlatform(g, c.platform)
		m.at = newStamp(g, t0+s.at)
		w.add(g, cfg, m)
		w.lastMs = max(w.lastMs, m.at.ms)
	}
}

// buildChurn lets members of every group leave and join again, be removed, or join late,
// between from and to; the first group also gets a join and a leave of one member at the same
// millisecond (the leave wins) and a repeated join record, and every other group is renamed.
func (w *world) buildChurn(g rng, from, to int64) {
	to = max(to, from+2*hour)
	mid := from + (to-from)/2
	for i, c := range w.groups {
		ev := func(kind string, a actor, at int64) {
			w.groupEvents = append(w.groupEvents, groupEvent{conv: c, kind: kind, member: a, at: at})
		}
		m := pick(g, c.members)
		left := g.between(from, mid)
		back := g.between(left+minute, to)
		ev("leave", m, left)
		ev("join", m, back)
		if i == 0 {
			ev("join", m, back) // the same event again: one identity
		}
		if len(c.members) > 1 && g.chance(0.5) {
			r := pick(g, c.members)
			for r.id == m.id {
				r = pick(g, c.members)
			}
			ev("remove", r, g.between(from, to))
		}
		if out := nonMembers(w.users, c); len(out) > 0 {
			ev("join", pick(g, out), g.between(from, to))
		}
		if i == 0 && len(c.members) > 1 {
			tie := c.members[len(c.members)-1]
			if tie.id == m.id {
				tie = c.members[0]
			}
			at := g.between(from, to)
			// Record order puts the join last; the departure still wins the tie.
			ev("leave", tie, at)
			ev("join", tie, at)
		}
		if i%2 == 0 {
			w.groupEvents = append(w.groupEvents, groupEvent{conv: c, kind: "update", at: g.between(from, to)})
		}
	}
}
