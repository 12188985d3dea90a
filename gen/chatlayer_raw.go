package gen

import "slices"

// Rendering of the Chatlayer model into inbound app-integration messages. Presentation
// choices (key order, user profile fields, escapes, session data) change no expected row and,
// since the derived id covers only content, no message id either.

const clShuffleShare = 0.1 // of records, members in a random order

func clUserValue(g rng, u *clUser) func(w *jw) {
	profile := g.chance(clProfileShare)
	return func(w *jw) {
		w.open()
		w.key("id")
		w.str(u.id)
		if profile {
			w.key("firstName")
			w.str(u.first)
			w.key("lastName")
			w.str(u.last)
			w.key("preferredLanguage")
			w.str("nl")
		}
		w.close()
	}
}

func clActorValue(role, id string) func(w *jw) {
	return func(w *jw) {
		w.open()
		w.key("type")
		w.str(role)
		if id != "" {
			w.key("id")
			w.str(id)
		}
		w.close()
	}
}

// clMessageMembers lists a message's members; ascii writes every non-ASCII rune as a \u
// escape, which must not change the derived id.
func clMessageMembers(g rng, m *clMessage, ascii bool) []member {
	str := func(w *jw, s string) {
		if ascii {
			w.strASCII(s)
		} else {
			w.str(s)
		}
	}
	ms := []member{
		{"user", clUserValue(g, m.user)},
		{"actor", clActorValue(m.role, m.actorID)},
		{"type", strValue("message")},
		{"message", func(w *jw) {
			w.open()
			w.key("messageType")
			w.str(m.msgType)
			switch m.msgType {
			case "text":
				w.key("text")
				str(w, m.text)
			case "postback_v2":
				w.key("payload")
				w.str(m.payload)
				w.key("title")
				str(w, m.title)
			case "upload":
				w.key("url")
				w.openArr()
				for _, u := range m.urls {
					w.str(u)
				}
				w.closeArr()
			}
			w.close()
		}},
		{"timestamp", intValue(m.at)},
	}
	if g.chance(0.2) {
		ms = append(ms, member{"session", rawValue(`{"myKey":{"foo":"bar"},"cart":{"items":2}}`)})
	}
	return ms
}

// renderCLMessage renders a message; a replay sends the same message again in other bytes:
// members reversed, non-ASCII escaped, the profile drawn anew.
func renderCLMessage(g rng, m *clMessage, replay bool) []byte {
	ms := clMessageMembers(g, m, replay)
	if replay {
		slices.Reverse(ms)
		return render(g, ms, false)
	}
	return render(g, ms, g.chance(clShuffleShare))
}

func renderCLHandover(g rng, h *clHandover) []byte {
	ms := []member{
		{"type", strValue("action")},
		{"action", func(w *jw) {
			w.open()
			w.key("type")
			w.str("conversation_handover")
			w.key("data")
			w.open()
			w.key("handover")
			w.open()
			w.key("to")
			w.str(h.to)
			w.close()
			w.close()
			w.close()
		}},
		{"timestamp", intValue(h.at)},
		{"actor", clActorValue(h.role, h.actorID)},
		{"user", clUserValue(g, h.user)},
	}
	return render(g, ms, g.chance(clShuffleShare))
}

// renderCLPoison draws a poison record of kind k stamped at ms. Each breaks one rule of the
// mapping in a message from a user, whose sender id is the user id.
func renderCLPoison(g rng, w *clWorld, k poisonKind, ms int64) []byte {
	fake := *pick(g, w.msgs)
	fake.at, fake.role, fake.actorID = ms, "user", ""
	if k == wrongType {
		fake.msgType, fake.text, fake.payload, fake.title = "upload", "", "", ""
		fake.urls = []string{"https://upload.example.org/" + g.uuid() + ".jpg"}
	}
	members := clMessageMembers(g, &fake, false)
	switch k {
	case truncatedJSON:
		b := render(g, members, false)
		return b[:g.between(1, int64(len(b))-2)]
	case wrongType:
		switch g.intn(3) {
		case 0:
			members = set(members, "user", func(w *jw) {
				w.open()
				w.key("id")
				w.int(g.between(1e15, 1e16-1))
				w.close()
			})
		case 1:
			members = set(members, "message", rawValue(`{"messageType":"upload","url":"`+fake.urls[0]+`"}`))
		default:
			members = set(members, "timestamp", func(w *jw) {
				w.open()
				w.key("$numberLong")
				w.int(ms)
				w.close()
			})
		}
	case unknownKind:
		switch g.intn(4) {
		case 0:
			members = set(members, "type", strValue("event"))
		case 1:
			members = set(members, "message", rawValue(`{"messageType":"carousel","items":[]}`))
		case 2:
			members = set(members, "actor", clActorValue("operator", ""))
		default:
			return renderCLHandover(g, &clHandover{user: fake.user, role: "user", to: "human", at: ms})
		}
	case missingID:
		switch g.intn(3) {
		case 0:
			members = set(members, "user", rawValue(`{"firstName":"John","lastName":"Doe"}`))
		case 1:
			members = set(members, "user", nil)
		default:
			members = set(members, "user", rawValue(`{"id":""}`))
		}
	}
	return render(g, members, false)
}
