package gen

import (
	"slices"
	"time"
)

// Shares that shape ordinary traffic; the Config knobs shape the trouble.
const (
	groupMessageShare   = 0.5  // of messages, when groups exist
	groupBotShare       = 0.7  // of groups, a bot is a member
	userUserShare       = 0.3  // of direct chats, the rest are user-bot
	noRecipientShare    = 0.08 // of direct messages, the record names no recipient
	replyShare          = 0.2  // of messages with a recent message in the conversation
	sentShare           = 0.8  // of messages, a "sent" receipt
	namedMemberShare    = 0.6  // of direct messages, receipts name the recipient
	failedShare         = 0.03 // per recipient
	deliveredShare      = 0.85 // per recipient that did not fail
	readAfterDelivered  = 0.65
	readWithoutDelivery = 0.05 // a read receipt alone still implies delivery
	deletedShare        = 0.03 // of messages
	repeatReceiptShare  = 0.03 // a second receipt of the same identity, later
	reactionShare       = 0.12 // of messages, 1 to 3 reactions
	repeatReactionShare = 0.15 // the same actor and emoji again, as a new record
	leaveShare          = 0.3  // of groups, one member leaves after the traffic
	nonMemberShare      = 0.05 // of group messages in engagement traffic, sent by a non-member
)

const (
	second = int64(time.Second / time.Millisecond)
	minute = 60 * second
	hour   = 60 * minute
	day    = 24 * hour

	maxSkew           = 5 * minute // how far a skewed receipt precedes its message
	firstMessageAfter = 10 * minute
)

var (
	contentTypes   = []string{"text", "image", "audio", "document", "video", "sticker", "contact", "poll", "location"}
	contentWeights = []int{50, 14, 7, 6, 5, 7, 3, 4, 4}
	emojis         = []string{"👍", "❤️", "😂", "🤗", "🙏", "👍🏽", "🎉", "😮"}
	receiptKinds   = []string{"sent", "delivered", "read", "failed", "deleted"}
)

// build draws the whole model; it is the only place that decides what happens.
func build(cfg Config, g rng, p profile) *world {
	w := &world{direct: map[string]*conversation{}, prof: p}
	start := cfg.Start.UnixMilli()
	for range cfg.Users {
		w.users = append(w.users, actor{"user", g.uuid()})
	}
	for range cfg.Bots {
		w.bots = append(w.bots, actor{"bot", g.uuid()})
	}
	w.buildGroups(g, cfg.Groups, start)

	// Message times are strictly increasing; the clock keeps one day's traffic of any size
	// within two days. The first message follows Start by more than the largest clock skew, so
	// no event time precedes Start.
	clk := newClock(cfg, cfg.Messages, 1, 2)
	var t int64
	for i := 0; i < cfg.Messages; i++ {
		t = clk.next(g)
		w.avail = clk.available(len(w.users))
		m := w.newMessage(g, cfg, t)
		w.add(g, cfg, m)
		if bot, ok := botPeer(m); ok && p.engage && i+1 < cfg.Messages && g.chance(answerShare) {
			i++
			t = clk.answer(g, t, botDelay(g))
			w.add(g, cfg, w.answer(g, m, bot, t))
		}
	}
	w.lastMs = t
	if p.engage {
		w.buildScriptedSessions(g, cfg)
		w.buildChurn(g, start+firstMessageAfter, w.lastMs)
	}
	w.buildOrphans(g, cfg, start+firstMessageAfter)
	w.buildLeaves(g)
	if p.engage && len(w.groups) > 0 {
		// The last group is deleted after the traffic; its members stay as they were.
		w.groupEvents = append(w.groupEvents, groupEvent{conv: w.groups[len(w.groups)-1], kind: "delete", at: w.lastMs + 2*minute})
	}
	return w
}

// add appends a message to the model with its receipts and reactions.
func (w *world) add(g rng, cfg Config, m *message) {
	w.msgs = append(w.msgs, m)
	m.conv.msgs = append(m.conv.msgs, m)
	m.receipts = buildReceipts(g, cfg, m)
	m.reactions = buildReactions(g, cfg, m)
	if w.prof.engage {
		for _, r := range m.reactions {
			r.place = inOrder
		}
	}
}

func (w *world) buildGroups(g rng, n int, start int64) {
	for i := range n {
		c := &conversation{groupID: g.uuid(), platform: platforms[g.weighted(6, 3, 1)]}
		size := int(g.between(3, 10))
		for _, j := range g.r.Perm(len(w.users))[:min(size, len(w.users))] {
			c.members = append(c.members, w.users[j])
		}
		if len(w.bots) > 0 && g.chance(groupBotShare) {
			c.members = append(c.members, pick(g, w.bots))
		}
		at := start + int64(i)*second
		w.groupEvents = append(w.groupEvents, groupEvent{conv: c, kind: "create", at: at})
		for k, a := range c.members {
			w.groupEvents = append(w.groupEvents, groupEvent{conv: c, kind: "join", member: a, at: at + int64(k+1)*10})
		}
		w.groups = append(w.groups, c)
	}
}

// buildLeaves lets some members leave after the last message, so membership changes never
// touch which receipts exist.
func (w *world) buildLeaves(g rng) {
	at := w.lastMs + minute
	for _, c := range w.groups {
		if g.chance(leaveShare) {
			w.groupEvents = append(w.groupEvents, groupEvent{conv: c, kind: "leave", member: pick(g, c.members), at: at})
			at += second
		}
	}
}

func (w *world) newMessage(g rng, cfg Config, t int64) *message {
	m := &message{id: g.uuid()}
	if len(w.groups) > 0 && g.chance(groupMessageShare) {
		m.conv = pick(g, w.groups)
		m.sender = pick(g, m.conv.members)
		m.recipientID = m.conv.groupID
		if w.prof.engage && g.chance(nonMemberShare) {
			if out := nonMembers(w.users, m.conv); len(out) > 0 {
				m.sender = pick(g, out)
			}
		}
	} else {
		m.conv = w.directChat(g)
		i := g.intn(2)
		m.sender = m.conv.members[i]
		if !g.chance(noRecipientShare) {
			m.recipientID = m.conv.members[1-i].id
		}
	}
	m.platformRaw = rawPlatform(g, m.conv.platform)
	m.content = contentTypes[g.weighted(contentWeights...)]
	m.at = newStamp(g, t)
	if p := recentParent(g, m.conv, t); p != nil && g.chance(replyShare) {
		m.parent = p
		if g.chance(cfg.OutOfOrderRate) && !w.prof.engage {
			m.place = outOfOrder
		}
	}
	return m
}

// botPeer returns the bot of the conversation a user's message is in.
func botPeer(m *message) (actor, bool) {
	if m.sender.kind != "user" {
		return actor{}, false
	}
	for _, a := range m.conv.members {
		if a.kind == "bot" {
			return a, true
		}
	}
	return actor{}, false
}

// answer is the bot's text answer to m at t, sometimes as a reply to it.
func (w *world) answer(g rng, m *message, bot actor, t int64) *message {
	a := &message{id: g.uuid(), conv: m.conv, platformRaw: m.platformRaw, sender: bot, recipientID: m.sender.id,
		content: "text", at: newStamp(g, t)}
	if m.conv.groupID != "" {
		a.recipientID = m.conv.groupID
	}
	if g.chance(replyShare) {
		a.parent = m
	}
	return a
}

// nonMembers lists the users that are not among the conversation's first members.
func nonMembers(users []actor, c *conversation) []actor {
	var out []actor
	for _, u := range users {
		if !slices.ContainsFunc(c.members, func(a actor) bool { return a.id == u.id }) {
			out = append(out, u)
		}
	}
	return out
}

// directChat returns the chat of a random pair, creating it on first use.
func (w *world) directChat(g rng) *conversation {
	users := w.users[:w.avail]
	a := pick(g, users)
	var b actor
	if len(w.bots) == 0 || g.chance(userUserShare) {
		for b = pick(g, users); b.id == a.id; b = pick(g, users) {
		}
	} else {
		b = pick(g, w.bots)
	}
	key := a.id + ":" + b.id
	if b.id < a.id {
		key = b.id + ":" + a.id
	}
	c, ok := w.direct[key]
	if !ok {
		c = &conversation{platform: platforms[g.weighted(6, 3, 1)], members: []actor{a, b}}
		w.direct[key] = c
	}
	return c
}

// recentParent picks one of the last few messages of the conversation at most 18 hours
// old, so a reply, even one placed before its parent, stays within a day of it.
func recentParent(g rng, c *conversation, t int64) *message {
	var cands []*message
	for i := len(c.msgs) - 1; i >= 0 && len(cands) < 5; i-- {
		if c.msgs[i].at.ms < t-day+6*hour {
			break
		}
		cands = append(cands, c.msgs[i])
	}
	if len(cands) == 0 {
		return nil
	}
	return pick(g, cands)
}

func buildReceipts(g rng, cfg Config, m *message) []*receipt {
	var rs []*receipt
	sent := m.at.ms
	add := func(status, member string, at int64) {
		r := &receipt{msgID: m.id, member: member, status: status}
		if g.chance(cfg.SkewRate) {
			at = sent - g.between(1, maxSkew)
			r.skewed = true
		}
		r.at = newStamp(g, at)
		r.place = drawPlacement(g, cfg)
		rs = append(rs, r)
		if g.chance(repeatReceiptShare) {
			again := &receipt{msgID: m.id, member: member, status: status}
			again.at = newStamp(g, at+g.between(second, hour))
			again.place = drawPlacement(g, cfg)
			rs = append(rs, again)
		}
	}
	if g.chance(sentShare) {
		add("sent", "", sent+g.between(0, 1500))
	}
	for _, member := range receiptMembers(g, m) {
		if g.chance(failedShare) {
			add("failed", member, sent+g.between(500, 30*second))
			continue
		}
		switch {
		case g.chance(deliveredShare):
			d := sent + g.logBetween(50, 2*minute)
			add("delivered", member, d)
			if g.chance(readAfterDelivered) {
				add("read", member, d+g.logBetween(second, 4*hour))
			}
		case g.chance(readWithoutDelivery):
			add("read", member, sent+g.logBetween(second, 4*hour))
		}
	}
	if g.chance(deletedShare) {
		add("deleted", "", sent+g.between(minute, 6*hour))
	}
	return rs
}

// receiptMembers lists the member id each recipient's receipts carry: every other group
// member, or for a direct message the recipient or "" when the receipts name nobody.
func receiptMembers(g rng, m *message) []string {
	if m.conv.groupID != "" {
		var ids []string
		for _, a := range m.conv.members {
			if a.id != m.sender.id {
				ids = append(ids, a.id)
			}
		}
		return ids
	}
	if m.recipientID != "" && g.chance(namedMemberShare) {
		return []string{m.recipientID}
	}
	return []string{""}
}

func drawPlacement(g rng, cfg Config) placement {
	u := g.r.Float64()
	switch {
	case u < cfg.OutOfOrderRate:
		return outOfOrder
	case u < cfg.OutOfOrderRate+cfg.LateRate:
		return late
	}
	return inOrder
}

func buildReactions(g rng, cfg Config, m *message) []*reaction {
	if !g.chance(reactionShare) {
		return nil
	}
	var rs []*reaction
	for range g.between(1, 3) {
		r := &reaction{id: g.uuid(), target: m, actor: pick(g, m.conv.members), emoji: pick(g, emojis)}
		r.at = newStamp(g, m.at.ms+g.between(second, 6*hour))
		r.place = reactionPlacement(g, cfg)
		rs = append(rs, r)
		if g.chance(repeatReactionShare) {
			again := &reaction{id: g.uuid(), target: m, actor: r.actor, emoji: r.emoji}
			again.at = newStamp(g, r.at.ms+g.between(second, hour))
			again.place = reactionPlacement(g, cfg)
			rs = append(rs, again)
		}
	}
	return rs
}

func reactionPlacement(g rng, cfg Config) placement {
	if g.chance(cfg.OutOfOrderRate) {
		return outOfOrder
	}
	return inOrder
}

// buildOrphans adds receipts for message ids that never occur.
func (w *world) buildOrphans(g rng, cfg Config, first int64) {
	total := 0
	for _, m := range w.msgs {
		total += len(m.receipts)
	}
	n := int(float64(total)*cfg.OrphanRate + 0.5)
	for range n {
		r := &receipt{msgID: g.uuid(), status: pick(g, receiptKinds)}
		if g.chance(0.5) {
			r.member = pick(g, w.users).id
		}
		r.at = newStamp(g, g.between(first, w.lastMs))
		w.orphans = append(w.orphans, r)
	}
}
