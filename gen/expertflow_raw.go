package gen

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Rendering of the Expertflow model into conversation message objects. Every presentation
// choice (key order, absent or empty lists, spelling of the channel, fields no metric reads)
// is drawn here and changes no expected row.

const efShuffleShare = 0.1 // of records, members in a random order

// efSpelled are the channels the Expertflow docs spell in capitals.
var efSpelled = map[string]string{"sms": "SMS", "whatsapp": "WhatsApp", "viber": "Viber"}

// rawChannel spells a lower-case channel the way the Expertflow docs list it, or lower case.
func rawChannel(g rng, c string) string {
	if spelled := efSpelled[c]; spelled != "" && g.chance(0.7) {
		return spelled
	}
	return c
}

func efFrom(p efParticipant) func(w *jw) {
	return func(w *jw) {
		first, last, _ := strings.Cut(p.name, " ")
		alias := "undefined"
		if p.role == "agent" || p.role == "supervisor" {
			alias = first
		}
		w.open()
		w.key("id")
		w.str(p.id)
		w.key("name")
		w.str(p.name)
		w.key("firstName")
		w.str(first)
		w.key("lastName")
		w.str(last)
		w.key("alias")
		w.str(alias)
		w.key("type")
		w.str(efTypes[p.role])
		w.close()
	}
}

func efTo(ps []efParticipant) func(w *jw) {
	return func(w *jw) {
		w.openArr()
		for _, p := range ps {
			efAddressee(w, p)
		}
		w.closeArr()
	}
}

func efAddressee(w *jw, p efParticipant) {
	w.open()
	w.key("id")
	w.str(p.id)
	w.key("name")
	w.str(p.name)
	w.key("type")
	w.str(efTypes[p.role])
	w.close()
}

// efCommon are the members every Expertflow record carries.
func efCommon(g rng, id string, c *efConversation, from efParticipant, kind string, at stamp) []member {
	ms := []member{
		{"messageId", strValue(id)},
		{"conversationId", strValue(c.id)},
		{"from", efFrom(from)},
		{"messageType", strValue(kind)},
		{"channel", strValue(rawChannel(g, c.channel))},
		{"refId", strValue("+92300" + strconv.FormatInt(g.between(1_000_000, 9_999_999), 10))},
		{"language", strValue("en")},
	}
	if at.form != tsNone {
		ms = append(ms, member{"timestamp", tsValue(at)})
	}
	stored := stamp{ms: at.ms + g.between(5, 900), form: tsRFC3339Millis}
	return append(ms, member{"createdAt", tsValue(stored)}, member{"updatedAt", tsValue(stored)})
}

func efMessageMembers(g rng, m *efMessage) []member {
	ms := efCommon(g, m.id, m.conv, m.sender, m.kind, m.at)
	switch {
	case len(m.to) > 0:
		ms = append(ms, member{"to", efTo(m.to)})
	case g.chance(0.6):
		ms = append(ms, member{"to", rawValue("[]")})
	}
	tag := "Default"
	switch m.sender.role {
	case "supervisor":
		tag = "Whisper"
	case "bot":
		tag = pick(g, []string{"Default", "Bot_Only"})
	}
	ms = append(ms, member{"tag", strValue(tag)},
		member{"processByBot", boolValue(m.sender.role != "user" || g.chance(0.5))})
	switch m.kind {
	case "ContactMessage":
		ms = append(ms, member{"contact", func(w *jw) {
			w.open()
			w.key("name")
			w.str("Ada Lovelace")
			w.key("phone")
			w.str("+44 20 7946 0958")
			w.close()
		}})
	case "LocationMessage":
		ms = append(ms, member{"location", func(w *jw) {
			w.open()
			w.key("latitude")
			w.float(24.86 + float64(g.between(-5000, 5000))/1e4)
			w.key("longitude")
			w.float(67.0 + float64(g.between(-5000, 5000))/1e4)
			w.key("address")
			w.str("Clifton, Karachi")
			w.close()
		}})
	default:
		text := pick(g, texts)
		if g.chance(largeBodyShare) {
			text = strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", int(g.between(40, 120)))
		}
		ms = append(ms, member{"text", strValue(text)}, member{"input", strValue(text)})
		switch {
		case m.mime != "":
			ms = append(ms, member{"attachments", efAttachments(g, m.mime)})
		case g.chance(0.5):
			ms = append(ms, member{"attachments", rawValue("[]")})
		}
	}
	if m.sender.role == "bot" {
		if g.chance(0.3) {
			ms = append(ms, member{"botResponseType", strValue("structured")}, member{"structuredData", func(w *jw) {
				w.open()
				w.key("type")
				w.str("button")
				w.key("buttons")
				w.openArr()
				for _, t := range []string{"Talk to an agent", "Track my order 📦"} {
					w.open()
					w.key("title")
					w.str(t)
					w.key("payload")
					w.str(strings.ToLower(strings.ReplaceAll(t, " ", "_")))
					w.close()
				}
				w.closeArr()
				w.close()
			}})
		} else {
			ms = append(ms, member{"botResponseType", strValue("simple")})
		}
	}
	return append(ms, member{"intents", rawValue("[]")}, member{"output", rawValue("[]")}, member{"entities", rawValue("[]")})
}

// efAttachments writes the attachment list: the first entry decides the content type, a
// second one now and then must not.
func efAttachments(g rng, mime string) func(w *jw) {
	return func(w *jw) {
		w.openArr()
		one := func(mime string) {
			n := g.between(24, 96)
			if g.chance(largeBodyShare) {
				n = g.between(2048, 6144)
			}
			w.open()
			w.key("name")
			w.str("file-" + g.hexID(4))
			w.key("mediaUrl")
			w.str("https://cim.example.org/file-engine/api/downloadFileStream?filename=" + g.uuid())
			w.key("mimeType")
			w.str(mime)
			w.key("size")
			w.int(g.between(1000, 5_000_000))
			w.key("thumbnail")
			w.str(base64.StdEncoding.EncodeToString(g.bytes(int(n))))
			w.close()
		}
		one(mime)
		if g.chance(0.1) {
			one(pick(g, efMedia).mime)
		}
		w.closeArr()
	}
}

func renderEFMessage(g rng, m *efMessage) []byte {
	return render(g, efMessageMembers(g, m), g.chance(efShuffleShare))
}

func renderEFActivity(g rng, a *efActivity) []byte {
	ms := efCommon(g, g.nanoid(), a.conv, a.who, "ActivityMessage", a.at)
	ms = append(ms, member{"activityType", strValue(a.kind)}, member{"to", rawValue("[]")},
		member{"text", strValue(efTypes[a.who.role] + " " + a.kind)}, member{"processByBot", boolValue(true)})
	return render(g, ms, g.chance(efShuffleShare))
}

// renderEFPoison draws a poison record of kind k stamped at ms; each breaks one rule of the
// mapping and is otherwise a valid message.
func renderEFPoison(g rng, w *efWorld, k poisonKind, ms int64) []byte {
	fake := *pick(g, w.msgs)
	fake.id = g.nanoid()
	fake.at = stampAs(g, ms, tsRFC3339Millis)
	members := efMessageMembers(g, &fake)
	switch k {
	case truncatedJSON:
		b := render(g, members, false)
		return b[:g.between(1, int64(len(b))-2)]
	case wrongType:
		switch g.intn(3) {
		case 0:
			members = set(members, "from", strValue(fake.sender.id))
		case 1:
			members = set(members, "conversationId", intValue(g.between(1, 1<<40)))
		default:
			// A single participant written as an object, not a list of one.
			members = set(members, "to", func(w *jw) { efAddressee(w, fake.conv.customer) })
		}
	case unknownKind:
		switch g.intn(3) {
		case 0:
			members = set(members, "messageType", strValue("TypingIndicator"))
		case 1:
			members = set(members, "from", func(w *jw) {
				w.raw(`{"id":"` + fake.sender.id + `","name":"Robo","type":"Robot"}`)
			})
		default:
			members = set(members, "messageType", strValue("ActivityMessage"))
			members = set(members, "activityType", strValue("participantMuted"))
		}
	case missingID:
		switch g.intn(2) {
		case 0:
			members = set(members, "messageId", nil)
		default:
			members = set(members, "from", rawValue(`{"name":"Rizwan","type":"Customer"}`))
		}
	}
	return render(g, members, false)
}
