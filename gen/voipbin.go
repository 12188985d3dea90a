package gen

import "slices"

// The VoIPbin model: talks of one customer (the tenant) between agents, end users and bots.
// A message is a state sent again in full on every update, with its current reactions as a
// list; an update adds or removes a reaction, edits the text or soft-deletes the message.

const (
	vbAgentShare       = 0.6  // of people, agents; the rest are end users
	vbSystemShare      = 0.05 // of messages, system notifications
	vbUpdatedShare     = 0.3  // of messages, updated one to four times
	vbMaxUpdates       = 4
	vbMaxUpdateGap     = 2 * hour
	vbMinDeleteAfter   = minute
	vbTalksPerCustomer = 8 // one customer per this many group talks
)

// vbActor is a message or reaction owner; role is the canonical role.
type vbActor struct{ role, id string }

type vbTalk struct {
	id       string
	customer *vbCustomer
	members  []vbActor
	msgs     []*vbMessage
}

type vbCustomer struct {
	id     string
	system vbActor // owner of the customer's system notifications
	people []vbActor
	bots   []vbActor
}

type vbMessage struct {
	id      string
	talk    *vbTalk
	sender  vbActor
	parent  *vbMessage
	system  bool   // type "system"
	media   string // medias[0].type, "" when there are none
	text    string
	created int64
	states  []*vbState // in update order; states[0] is the creation
	place   placement  // for a reply: relative to its parent
	first   int64      // earliest arrival of any of its states, filled by the stream
}

// vbState is the message as one record states it.
type vbState struct {
	updated   int64 // strictly increasing over a message's states
	deleted   int64 // 0 when not deleted
	reactions []vbReaction
	text      string
	place     placement // for an update: relative to the creation
}

type vbReaction struct {
	owner vbActor
	emoji string
	at    int64
}

type vbWorld struct {
	customers []*vbCustomer
	groups    []*vbTalk
	direct    map[[2]string]*vbTalk
	msgs      []*vbMessage
	prof      profile
	clk       *clock // paces the messages; says which people open direct talks
}

// vbMedia lists medias[0].type values and the content type each means.
var vbMedia = map[string]string{"image": "image", "video": "video", "audio": "audio", "file": "document", "document": "document"}

var vbMediaTypes = []string{"image", "video", "audio", "file", "document"}

func (m *vbMessage) content() string {
	switch {
	case m.system:
		return "system"
	case m.media != "":
		return vbMedia[m.media]
	}
	return "text"
}

// buildVoipbin draws the whole VoIPbin model.
func buildVoipbin(cfg Config, g rng, p profile) *vbWorld {
	w := &vbWorld{direct: map[[2]string]*vbTalk{}, prof: p}
	// Every customer gets at least two people, so a direct talk always has a pair.
	n := max(1, min(1+cfg.Groups/vbTalksPerCustomer, cfg.Users/2))
	for range n {
		w.customers = append(w.customers, &vbCustomer{id: g.uuid(), system: vbActor{"system", g.uuid()}})
	}
	for i := range cfg.Users {
		role := "user"
		if g.chance(vbAgentShare) {
			role = "agent"
		}
		c := w.customers[i%n]
		c.people = append(c.people, vbActor{role, g.uuid()})
	}
	for i := range cfg.Bots {
		c := w.customers[i%n]
		c.bots = append(c.bots, vbActor{"bot", g.uuid()})
	}
	for i := range cfg.Groups {
		c := w.customers[i%n]
		t := &vbTalk{id: g.uuid(), customer: c}
		for _, j := range g.r.Perm(len(c.people))[:min(int(g.between(3, 10)), len(c.people))] {
			t.members = append(t.members, c.people[j])
		}
		if len(c.bots) > 0 && g.chance(groupBotShare) {
			t.members = append(t.members, pick(g, c.bots))
		}
		w.groups = append(w.groups, t)
	}

	clk := newClock(cfg, cfg.Messages, 1, 2)
	for i := 0; i < cfg.Messages; i++ {
		t := clk.next(g)
		w.clk = clk
		m := w.newMessage(g, cfg, t)
		w.msgs = append(w.msgs, m)
		m.talk.msgs = append(m.talk.msgs, m)
		if who, ok := w.peer(m); ok && p.engage && i+1 < cfg.Messages && g.chance(answerShare) {
			i++
			delay := botDelay(g)
			if who.role == "agent" {
				delay = agentDelay(g)
			}
			a := w.answer(g, cfg, m, who, clk.answer(g, t, delay))
			w.msgs = append(w.msgs, a)
			a.talk.msgs = append(a.talk.msgs, a)
		}
	}
	return w
}

// peer returns who answers a user's message: the talk's bot, else one of its agents.
func (w *vbWorld) peer(m *vbMessage) (vbActor, bool) {
	if m.system || m.sender.role != "user" {
		return vbActor{}, false
	}
	var agent *vbActor
	for i, a := range m.talk.members {
		switch a.role {
		case "bot":
			return a, true
		case "agent":
			agent = &m.talk.members[i]
		}
	}
	if agent != nil {
		return *agent, true
	}
	return vbActor{}, false
}

// answer is who's text answer to m at t, sometimes as a reply to it.
func (w *vbWorld) answer(g rng, cfg Config, m *vbMessage, who vbActor, t int64) *vbMessage {
	a := &vbMessage{id: g.uuid(), created: t, talk: m.talk, sender: who, text: pick(g, texts)}
	if g.chance(replyShare) {
		a.parent = m
	}
	a.states = vbStates(g, cfg, a, w.prof)
	return a
}

func (w *vbWorld) newMessage(g rng, cfg Config, t int64) *vbMessage {
	m := &vbMessage{id: g.uuid(), created: t}
	if len(w.groups) > 0 && g.chance(groupMessageShare) {
		m.talk = pick(g, w.groups)
	} else {
		m.talk = w.directTalk(g)
	}
	if g.chance(vbSystemShare) {
		m.system = true
		m.sender = m.talk.customer.system
		m.text = "Talk renamed to \"Escalations\""
	} else {
		m.sender = pick(g, m.talk.members)
		m.text = pick(g, texts)
		if g.chance(0.25) {
			m.media = pick(g, vbMediaTypes)
		}
		if p := vbRecentParent(g, m.talk, t); p != nil && g.chance(replyShare) {
			m.parent = p
			if g.chance(cfg.OutOfOrderRate) && !w.prof.engage {
				m.place = outOfOrder
			}
		}
	}
	m.states = vbStates(g, cfg, m, w.prof)
	return m
}

// directTalk returns the talk of a random pair of one customer, creating it on first use.
func (w *vbWorld) directTalk(g rng) *vbTalk {
	c := pick(g, w.customers)
	people := c.people[:w.clk.available(len(c.people))]
	a := pick(g, people)
	var b vbActor
	if len(c.bots) == 0 || g.chance(userUserShare) {
		for b = pick(g, people); b.id == a.id; b = pick(g, people) {
		}
	} else {
		b = pick(g, c.bots)
	}
	key := [2]string{a.id, b.id}
	if b.id < a.id {
		key = [2]string{b.id, a.id}
	}
	t, ok := w.direct[key]
	if !ok {
		t = &vbTalk{id: g.uuid(), customer: c, members: []vbActor{a, b}}
		w.direct[key] = t
	}
	return t
}

// vbRecentParent picks one of the last few messages of the talk at most 18 hours old.
func vbRecentParent(g rng, t *vbTalk, at int64) *vbMessage {
	var cands []*vbMessage
	for i := len(t.msgs) - 1; i >= 0 && len(cands) < 5; i-- {
		if t.msgs[i].created < at-day+6*hour {
			break
		}
		cands = append(cands, t.msgs[i])
	}
	if len(cands) == 0 {
		return nil
	}
	return pick(g, cands)
}

// vbStates draws the creation and the updates of a message. Each update changes one thing;
// a deletion is kept by every later state. Engagement traffic updates within seconds, in
// order, so that no state of a message arrives long after its creation.
func vbStates(g rng, cfg Config, m *vbMessage, p profile) []*vbState {
	cur := &vbState{updated: m.created, text: m.text}
	states := []*vbState{cur}
	if !g.chance(vbUpdatedShare) {
		return states
	}
	maxGap, minDelete := vbMaxUpdateGap, vbMinDeleteAfter
	if p.engage {
		maxGap, minDelete = 2*second, second
	}
	for range g.between(1, vbMaxUpdates) {
		next := &vbState{
			updated:   cur.updated + g.between(second, maxGap),
			deleted:   cur.deleted,
			reactions: slices.Clone(cur.reactions),
			text:      cur.text,
			place:     drawPlacement(g, cfg),
		}
		if p.engage {
			next.place = inOrder
		}
		switch op := g.weighted(50, 20, 20, 10); {
		case op == 1 && len(next.reactions) > 0:
			i := g.intn(len(next.reactions))
			next.reactions = slices.Delete(next.reactions, i, i+1)
		case op == 2 && next.deleted == 0:
			next.text = pick(g, texts) + " (edited)"
		case op == 3 && next.deleted == 0:
			next.deleted = max(next.updated, m.created+minDelete)
			next.updated = next.deleted
			next.text = ""
		default:
			next.reactions = vbReact(g, m, next)
		}
		states = append(states, next)
		cur = next
	}
	return states
}

// vbReact adds a reaction that is not on the message yet, or returns the list unchanged when
// the drawn owner already reacted with the drawn emoji.
func vbReact(g rng, m *vbMessage, s *vbState) []vbReaction {
	r := vbReaction{owner: pick(g, m.talk.members), emoji: pick(g, emojis), at: s.updated}
	for _, have := range s.reactions {
		if have.owner.id == r.owner.id && have.emoji == r.emoji {
			return s.reactions
		}
	}
	return append(s.reactions, r)
}

// expected folds the VoIPbin model into rows: each message with its final state's reactions
// and, when deleted, its deletion receipt.
func (w *vbWorld) expected() Expected {
	msgs := make([]canonMessage, 0, len(w.msgs))
	for _, m := range w.msgs {
		f := MessageFact{
			Source:         FormatVoipbin,
			Tenant:         m.talk.customer.id,
			Platform:       "other",
			MsgID:          m.id,
			ConversationID: m.talk.id,
			SenderType:     m.sender.role,
			SenderID:       m.sender.id,
			RecipientType:  "group",
			RecipientID:    m.talk.id,
			ContentType:    m.content(),
			SentAtMs:       m.created,
		}
		if m.parent != nil {
			f.ParentMsgID = m.parent.id
		}
		last := m.states[len(m.states)-1]
		c := canonMessage{fact: f, reactions: len(last.reactions)}
		if last.deleted != 0 {
			c.receipts = []canonReceipt{{"", "deleted", last.deleted}}
		}
		msgs = append(msgs, c)
	}
	return fold(msgs)
}

func voipbin(cfg Config, p profile) part {
	g := newRNG(cfg.Seed)
	w := buildVoipbin(cfg, g, p)
	s := newStream(g, FormatVoipbin, p)
	var st Stats
	for _, m := range w.msgs {
		var arrival int64
		if m.parent == nil {
			arrival = m.created + g.between(0, jitterMs)
		} else {
			arrival = dependentArrival(g, m.parent.first, m.created, m.place)
			st.Replies++
			st.count(m.place)
		}
		m.first = arrival
		s.emit(arrival, renderVBState(g, m, m.states[0]))
		st.Messages++
		for _, u := range m.states[1:] {
			a := dependentArrival(g, arrival, u.updated, u.place)
			m.first = min(m.first, a)
			s.emit(a, renderVBState(g, m, u))
			st.Updates++
			st.count(u.place)
		}
	}
	poison, dups := s.finish(cfg, func(i int, ms int64) []byte {
		return renderVBPoison(g, w, poisonKind(i%int(poisonKinds)), ms)
	})
	st.Duplicates = dups
	return part{ems: s.ems, expected: w.expected(), poison: poison, stats: st}
}
