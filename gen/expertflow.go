package gen

// The Expertflow model: conversations of one customer with a bot, agents and now and then a
// supervisor, on one channel each. Messages have no parents, receipts or reactions; activity
// messages (participants joining or leaving, handoffs) yield no contract row.

const (
	efNewConversationShare = 0.15 // of messages, the first of a new conversation
	efRecentConversations  = 8    // a message continues one of the latest conversations
	efBotShare             = 0.8  // of conversations, a bot takes part
	efAgentShare           = 0.6  // of conversations, an agent takes part
	efSupervisorShare      = 0.1  // of conversations with an agent, a supervisor whispers
	efNoAgentShare         = 0.3  // of bot conversations without an agent, noAgentAvailable
	efLeaveShare           = 0.3  // of conversations, the customer leaves after the traffic
)

// efParticipant is a conversation participant; role is the canonical role.
type efParticipant struct {
	role, id, name string
}

// efTypes spells the canonical roles as Expertflow's participant types.
var efTypes = map[string]string{"user": "Customer", "bot": "Bot", "agent": "Agent", "supervisor": "Supervisor"}

type efConversation struct {
	id       string
	channel  string // lower case
	customer efParticipant
	staff    []efParticipant // bot, agent and supervisor, those that take part
}

type efMessage struct {
	id      string
	conv    *efConversation
	kind    string // messageType: ChatMessage, BotMessage, ContactMessage or LocationMessage
	sender  efParticipant
	to      []efParticipant
	content string // canonical content type
	mime    string // the first attachment's mime type when content is media
	at      stamp
}

// recipient is whom the contract says the message is for: its one addressee, or the
// conversation when it names none or several.
func (m *efMessage) recipient() (typ, id string) {
	if len(m.to) == 1 {
		return "user", m.to[0].id
	}
	return "group", m.conv.id
}

type efActivity struct {
	conv *efConversation
	kind string // activityType
	who  efParticipant
	at   stamp
}

// handover reports whether the activity is a handover rather than a membership change.
func (a *efActivity) handover() bool { return a.kind == "handoff" || a.kind == "noAgentAvailable" }

type efWorld struct {
	customers, bots, agents, supervisors []efParticipant
	convs                                []*efConversation
	msgs                                 []*efMessage
	activities                           []*efActivity
}

var (
	efChannels       = []string{"web", "whatsapp", "sms", "facebook", "viber"}
	efChannelWeights = []int{40, 25, 15, 12, 8}
	efSenderWeights  = map[string]int{"user": 45, "bot": 25, "agent": 25, "supervisor": 5}
	efNames          = []string{"Rizwan", "Zoë Müller", "王芳", "Seán O'Brien", `Ana "Nana" Silva`, "Amara", "Jean-Luc"}
	efMedia          = []struct{ mime, content string }{
		{"image/jpeg", "image"}, {"image/png", "image"}, {"video/mp4", "video"}, {"audio/ogg", "audio"},
		{"audio/mpeg", "audio"}, {"application/pdf", "document"}, {"text/plain", "document"},
		{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document"},
	}
)

// buildExpertflow draws the whole Expertflow model; engage makes customers' messages answered.
func buildExpertflow(cfg Config, g rng, engage bool) *efWorld {
	w := &efWorld{}
	for range cfg.Users {
		w.customers = append(w.customers, efParticipant{"user", g.nanoid(), pick(g, efNames)})
	}
	for range cfg.Bots {
		w.bots = append(w.bots, efParticipant{"bot", g.nanoid(), "Concierge Bot"})
	}
	for range 1 + cfg.Users/25 {
		w.agents = append(w.agents, efParticipant{"agent", g.uuid(), pick(g, efNames)})
	}
	for range 1 + cfg.Users/100 {
		w.supervisors = append(w.supervisors, efParticipant{"supervisor", g.uuid(), pick(g, efNames)})
	}
	clk := newClock(cfg, cfg.Messages, 1, 2)
	var t int64
	for i := 0; i < cfg.Messages; i++ {
		t = clk.next(g)
		var c *efConversation
		var from *efParticipant // drawn
		if len(w.convs) == 0 || g.chance(efNewConversationShare) {
			c = w.newConversation(g, t, clk.available(len(w.customers)))
			if engage {
				from = &c.customer // the customer opens the conversation
			}
		} else {
			c = pick(g, w.convs[max(0, len(w.convs)-efRecentConversations):])
		}
		m := w.newMessage(g, c, t, from)
		w.msgs = append(w.msgs, m)
		// The customer's opening message is always answered.
		if who, ok := c.answerer(); ok && engage && m.sender.role == "user" && i+1 < cfg.Messages && (from != nil || g.chance(answerShare)) {
			i++
			delay := botDelay(g)
			if who.role == "agent" {
				delay = agentDelay(g)
			}
			t = clk.answer(g, t, delay)
			w.msgs = append(w.msgs, w.newMessage(g, c, t, &who))
		}
	}
	at := t + minute
	for _, c := range w.convs {
		if g.chance(efLeaveShare) {
			w.activity(g, c, "participantLeft", c.customer, at)
			at += second
		}
	}
	return w
}

// newConversation opens a conversation whose first message is at t; its participants join
// in the seconds before.
func (w *efWorld) newConversation(g rng, t int64, customers int) *efConversation {
	c := &efConversation{id: g.hexID(12), channel: efChannels[g.weighted(efChannelWeights...)], customer: pick(g, w.customers[:customers])}
	w.convs = append(w.convs, c)
	w.activity(g, c, "participantJoined", c.customer, t-4*second)
	var bot *efParticipant
	if len(w.bots) > 0 && g.chance(efBotShare) {
		b := pick(g, w.bots)
		bot = &b
		c.staff = append(c.staff, b)
		w.activity(g, c, "participantAdded", b, t-3*second)
	}
	switch {
	case g.chance(efAgentShare):
		if bot != nil {
			w.activity(g, c, "handoff", *bot, t-2*second)
		}
		a := pick(g, w.agents)
		c.staff = append(c.staff, a)
		w.activity(g, c, "participantJoined", a, t-2*second+500)
		if g.chance(efSupervisorShare) {
			s := pick(g, w.supervisors)
			c.staff = append(c.staff, s)
			w.activity(g, c, "participantAdded", s, t-second)
		}
	case bot != nil && g.chance(efNoAgentShare):
		w.activity(g, c, "noAgentAvailable", *bot, t-2*second)
	}
	return c
}

func (w *efWorld) activity(g rng, c *efConversation, kind string, who efParticipant, at int64) {
	w.activities = append(w.activities, &efActivity{conv: c, kind: kind, who: who, at: newEFStamp(g, at)})
}

// answerer is who answers the customer: the agent once one has joined, else the bot.
func (c *efConversation) answerer() (efParticipant, bool) {
	var bot *efParticipant
	for i, p := range c.staff {
		switch p.role {
		case "agent":
			return p, true
		case "bot":
			bot = &c.staff[i]
		}
	}
	if bot != nil {
		return *bot, true
	}
	return efParticipant{}, false
}

// newMessage draws a message in c at t from sender, or from a drawn participant when sender is
// nil.
func (w *efWorld) newMessage(g rng, c *efConversation, t int64, sender *efParticipant) *efMessage {
	m := &efMessage{id: g.nanoid(), conv: c}
	senders := append([]efParticipant{c.customer}, c.staff...)
	if sender != nil {
		m.sender = *sender
	} else {
		weights := make([]int, len(senders))
		for i, p := range senders {
			weights[i] = efSenderWeights[p.role]
		}
		m.sender = senders[g.weighted(weights...)]
	}

	m.kind, m.content = "ChatMessage", "text"
	switch m.sender.role {
	case "user":
		switch g.weighted(70, 18, 6, 6) {
		case 1:
			m.content = "media"
		case 2:
			m.kind, m.content = "ContactMessage", "contact"
		case 3:
			m.kind, m.content = "LocationMessage", "location"
		}
	case "bot":
		m.kind = "BotMessage"
		if g.chance(0.15) {
			m.content = "media"
		}
	case "agent":
		if g.chance(0.2) {
			m.content = "media"
		}
	}
	if m.content == "media" {
		media := pick(g, efMedia)
		m.mime, m.content = media.mime, media.content
	}

	var others []efParticipant
	for _, p := range senders {
		if p.id != m.sender.id {
			others = append(others, p)
		}
	}
	switch {
	case m.sender.role == "supervisor":
		// A whisper goes to the agent alone.
		for _, p := range others {
			if p.role == "agent" {
				m.to = []efParticipant{p}
			}
		}
	case len(others) == 0:
	default:
		switch g.weighted(60, 25, 15) {
		case 0:
			m.to = []efParticipant{pick(g, others)}
		case 2:
			if len(others) >= 2 {
				m.to = others
			}
		}
	}
	m.at = newEFStamp(g, t)
	return m
}

// newEFStamp writes ms in one of the forms Expertflow producers use; a few records carry no
// timestamp, so the Kafka record time is the event time.
func newEFStamp(g rng, ms int64) stamp {
	forms := []tsForm{tsRFC3339Millis, tsZonelessMillis, tsRFC3339Offset, tsRFC3339Seconds, tsZonelessSeconds,
		tsMicrosZ, tsEpochMillis, tsEpochString, tsNone}
	return stampAs(g, ms, forms[g.weighted(25, 15, 5, 8, 7, 5, 20, 10, 5)])
}

// expected folds the Expertflow model into rows.
func (w *efWorld) expected() Expected {
	msgs := make([]canonMessage, 0, len(w.msgs))
	for _, m := range w.msgs {
		rt, rid := m.recipient()
		msgs = append(msgs, canonMessage{fact: MessageFact{
			Source:         FormatExpertflow,
			Platform:       m.conv.channel,
			MsgID:          m.id,
			ConversationID: m.conv.id,
			SenderType:     m.sender.role,
			SenderID:       m.sender.id,
			RecipientType:  rt,
			RecipientID:    rid,
			ContentType:    m.content,
			SentAtMs:       m.at.ms,
		}})
	}
	return fold(msgs)
}

func expertflow(cfg Config, p profile) part {
	g := newRNG(cfg.Seed)
	w := buildExpertflow(cfg, g, p.engage)
	s := newStream(g, FormatExpertflow, p)
	var st Stats
	for _, a := range w.activities {
		s.emit(stampArrival(g, a.at), renderEFActivity(g, a))
		if a.handover() {
			st.Handovers++
		} else {
			st.GroupEvents++
		}
	}
	for _, m := range w.msgs {
		s.emit(stampArrival(g, m.at), renderEFMessage(g, m))
		st.Messages++
	}
	poison, dups := s.finish(cfg, func(i int, ms int64) []byte {
		return renderEFPoison(g, w, poisonKind(i%int(poisonKinds)), ms)
	})
	st.Duplicates = dups
	ms, hs := w.events()
	return part{ems: s.ems, expected: w.expected(), memberships: ms, handovers: hs, poison: poison, stats: st}
}

// efActions maps the membership activities to membership actions.
var efActions = map[string]string{"participantJoined": "join", "participantAdded": "join", "participantLeft": "leave"}

// events lists the activities as membership changes of their conversation and as handovers: a
// handoff moves the conversation to an agent, noAgentAvailable back to the bot. An activity
// names only who acted, so a handover names no end user.
func (w *efWorld) events() ([]MembershipEvent, []Handover) {
	var ms []MembershipEvent
	var hs []Handover
	for _, a := range w.activities {
		if a.handover() {
			to := "agent"
			if a.kind == "noAgentAvailable" {
				to = "bot"
			}
			hs = append(hs, Handover{Source: FormatExpertflow, Platform: a.conv.channel, ConversationID: a.conv.id, ToRole: to, AtMs: a.at.ms})
			continue
		}
		ms = append(ms, MembershipEvent{Source: FormatExpertflow, GroupID: a.conv.id, MemberID: a.who.id,
			MemberType: a.who.role, Action: efActions[a.kind], AtMs: a.at.ms})
	}
	return ms, hs
}

// stampArrival places a record shortly after its event time, or exactly at it when the record
// carries no time of its own.
func stampArrival(g rng, at stamp) int64 {
	if at.form == tsNone {
		return at.ms
	}
	return at.ms + g.between(0, jitterMs)
}
