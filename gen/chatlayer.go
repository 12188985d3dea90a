package gen

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
)

// The Chatlayer model: one conversation per end user, served by a bot until a handover moves
// it to an agent and back. Records carry no message id; the contract's id is derived from the
// content, so a message sent again in other bytes is still one message.

const (
	clToAgentShare    = 0.06 // of messages in a bot conversation, preceded by a handover to an agent
	clToBotShare      = 0.25 // of messages in an agent conversation, preceded by a handover back
	clNamedActorShare = 0.7  // of bot and agent messages, the actor carries an id
	clProfileShare    = 0.6  // of records, the user object carries a name and language
)

var clButtons = []string{"Yes, please", "Talk to a human 🙋", "Opções de pagamento"}

type clUser struct {
	id          string
	first, last string
	agentMode   bool // the conversation is with an agent
}

type clMessage struct {
	user    *clUser
	role    string // actor: user, bot or agent
	actorID string // "" when the record names no actor id (always so for the user)
	msgType string // text, postback_v2 or upload
	text    string
	payload string
	title   string
	urls    []string
	at      int64
	id      string // derived, as the contract states it
}

type clHandover struct {
	user    *clUser
	role    string // actor: user, bot or agent
	actorID string
	to      string // bot or agent
	at      int64
}

type clWorld struct {
	users        []*clUser
	bots, agents []string
	msgs         []*clMessage
	handovers    []*clHandover
}

// clContent maps a messageType to the contract's content type.
var clContent = map[string]string{"text": "text", "postback_v2": "postback", "upload": "upload"}

// buildChatlayer draws the whole Chatlayer model; engage makes users' messages answered.
func buildChatlayer(cfg Config, g rng, engage bool) *clWorld {
	w := &clWorld{}
	for i := range cfg.Users {
		u := &clUser{first: pick(g, efNames), last: pick(g, []string{"Doe", "Peeters", "Janssens", "Ng"})}
		// Half the ids look like a messenger's numeric page-scoped ids, half like uuids.
		if i%2 == 0 {
			u.id = strconv.FormatInt(g.between(1e15, 1e16-1), 10)
		} else {
			u.id = g.uuid()
		}
		w.users = append(w.users, u)
	}
	for range cfg.Bots {
		w.bots = append(w.bots, "bot-"+g.hexID(6))
	}
	for range 1 + cfg.Users/25 {
		w.agents = append(w.agents, g.uuid())
	}
	clk := newClock(cfg, cfg.Messages, 2, 3)
	for i := 0; i < cfg.Messages; i++ {
		t := clk.next(g)
		u := pick(g, w.users[:clk.available(len(w.users))])
		role := "" // drawn
		at := t - 1
		if engage {
			// The user asks, the bot hands the conversation over right after, and the agent
			// answers minutes later, all in the user's session.
			at = t + 1
		}
		if w.maybeHandover(g, u, at) && engage {
			role = "user"
		}
		m := w.newMessage(g, u, t, role)
		w.msgs = append(w.msgs, m)
		// A message right after a handover to an agent is always answered.
		if engage && m.role == "user" && i+1 < cfg.Messages && (role != "" || g.chance(answerShare)) {
			i++
			staff, delay := "bot", botDelay(g)
			if u.agentMode {
				staff, delay = "agent", agentDelay(g)
			}
			w.msgs = append(w.msgs, w.newMessage(g, u, clk.answer(g, t, delay), staff))
		}
	}
	return w
}

// maybeHandover moves the conversation between bot and agent around a message; it reports
// whether it moved it to an agent.
func (w *clWorld) maybeHandover(g rng, u *clUser, at int64) bool {
	h := &clHandover{user: u, at: at}
	switch {
	case !u.agentMode && g.chance(clToAgentShare):
		h.to = "agent"
		h.role = pick(g, []string{"user", "bot"})
	case u.agentMode && g.chance(clToBotShare):
		h.to = "bot"
		h.role = "agent"
	default:
		return false
	}
	h.actorID = w.actorID(g, h.role)
	u.agentMode = h.to == "agent"
	w.handovers = append(w.handovers, h)
	return u.agentMode
}

// actorID draws the id a bot or agent actor carries, or "" when the record names none.
func (w *clWorld) actorID(g rng, role string) string {
	if role == "user" || !g.chance(clNamedActorShare) {
		return ""
	}
	if role == "bot" && len(w.bots) > 0 {
		return pick(g, w.bots)
	}
	if role == "agent" {
		return pick(g, w.agents)
	}
	return ""
}

// newMessage draws a message of u at t; role is its actor, or "" to draw one.
func (w *clWorld) newMessage(g rng, u *clUser, t int64, role string) *clMessage {
	m := &clMessage{user: u, at: t, role: role}
	if role == "" {
		m.role = "user"
		if g.chance(0.45) {
			m.role = "bot"
			if u.agentMode {
				m.role = "agent"
			}
		}
	}
	m.actorID = w.actorID(g, m.role)
	m.msgType = "text"
	switch {
	case m.role == "user":
		m.msgType = []string{"text", "postback_v2", "upload"}[g.weighted(70, 20, 10)]
	case g.chance(0.12):
		m.msgType = "upload"
	}
	switch m.msgType {
	case "text":
		m.text = pick(g, texts)
	case "postback_v2":
		n := g.between(12, 48)
		if g.chance(largeBodyShare) {
			n = g.between(2048, 6144)
		}
		m.payload = hex.EncodeToString(g.bytes(int(n)))
		m.title = pick(g, clButtons)
	case "upload":
		for range g.between(1, 3) {
			m.urls = append(m.urls, "https://upload.example.org/"+g.uuid()+pick(g, []string{".jpg", ".pdf", ".mp4"}))
		}
	}
	m.id = chatlayerID(u.id, t, "message", m.msgType, m.text, m.payload, m.title, m.urls)
	return m
}

// chatlayerID derives a message id: "cl-" and the first 32 hex digits of SHA-256 over the
// parts, each written as its length (8 bytes, big-endian) and its bytes, in this order: user
// id, timestamp in decimal, type, messageType, text, payload, title, then each url.
func chatlayerID(user string, ms int64, typ, msgType, text, payload, title string, urls []string) string {
	h := sha256.New()
	var n [8]byte
	part := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	for _, s := range []string{user, strconv.FormatInt(ms, 10), typ, msgType, text, payload, title} {
		part(s)
	}
	for _, u := range urls {
		part(u)
	}
	return "cl-" + hex.EncodeToString(h.Sum(nil))[:32]
}

// sender is the contract's sender: the user, or the bot or agent by its id or its role.
func (m *clMessage) sender() (role, id string) {
	switch {
	case m.role == "user":
		return "user", m.user.id
	case m.actorID != "":
		return m.role, m.actorID
	}
	return m.role, m.role
}

// expected folds the Chatlayer model into rows.
func (w *clWorld) expected() Expected {
	msgs := make([]canonMessage, 0, len(w.msgs))
	for _, m := range w.msgs {
		role, id := m.sender()
		f := MessageFact{
			Source:         FormatChatlayer,
			Platform:       "other",
			MsgID:          m.id,
			ConversationID: m.user.id,
			SenderType:     role,
			SenderID:       id,
			RecipientType:  "user",
			ContentType:    clContent[m.msgType],
			SentAtMs:       m.at,
		}
		if m.role != "user" {
			f.RecipientID = m.user.id
		}
		msgs = append(msgs, canonMessage{fact: f})
	}
	return fold(msgs)
}

func chatlayer(cfg Config, p profile) part {
	g := newRNG(cfg.Seed)
	w := buildChatlayer(cfg, g, p.engage)
	s := newStream(g, FormatChatlayer, p)
	replayWithin := hour
	if p.engage {
		replayWithin = resendWithin
	}
	var st Stats
	for _, h := range w.handovers {
		s.emit(h.at+g.between(0, jitterMs), renderCLHandover(g, h))
		st.Handovers++
	}
	for _, m := range w.msgs {
		arrival := m.at + g.between(0, jitterMs)
		s.emit(arrival, renderCLMessage(g, m, false))
		st.Messages++
		if g.chance(cfg.DuplicateRate) {
			s.emit(arrival+g.between(second, replayWithin), renderCLMessage(g, m, true))
			st.Replays++
		}
	}
	poison, dups := s.finish(cfg, func(i int, ms int64) []byte {
		return renderCLPoison(g, w, poisonKind(i%int(poisonKinds)), ms)
	})
	st.Duplicates = dups
	return part{ems: s.ems, expected: w.expected(), handovers: w.handoverRows(), poison: poison, stats: st}
}

// handoverRows lists the handovers; the conversation and the end user are both the user id.
func (w *clWorld) handoverRows() []Handover {
	hs := make([]Handover, 0, len(w.handovers))
	for _, h := range w.handovers {
		hs = append(hs, Handover{Source: FormatChatlayer, Platform: "other", ConversationID: h.user.id,
			UserID: h.user.id, ToRole: h.to, AtMs: h.at})
	}
	return hs
}
