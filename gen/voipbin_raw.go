package gen

// Rendering of the VoIPbin model into talk message objects, one per state. Presentation
// choices (time forms, spelling of an end user's owner type, empty or absent optional fields,
// key order, escapes) are drawn per record and change no expected row.

const vbShuffleShare = 0.1 // of records, members in a random order

// newVBStamp writes ms in a form VoIPbin records use; every form keeps the millisecond, so
// successive update times stay strictly increasing as written.
func newVBStamp(g rng, ms int64) stamp {
	forms := []tsForm{tsSpaceMicros, tsRFC3339Millis, tsRFC3339Offset, tsEpochMillis}
	return stampAs(g, ms, forms[g.weighted(70, 10, 5, 15)])
}

// ownerType spells a role as VoIPbin's owner_type; an end user is a customer or a user.
func ownerType(g rng, role string) string {
	if role == "user" {
		return pick(g, []string{"customer", "user"})
	}
	return role
}

func vbStateMembers(g rng, m *vbMessage, s *vbState) []member {
	ms := []member{
		{"id", strValue(m.id)},
		{"customer_id", strValue(m.talk.customer.id)},
		{"owner_type", strValue(ownerType(g, m.sender.role))},
		{"owner_id", strValue(m.sender.id)},
		{"chat_id", strValue(m.talk.id)},
	}
	switch {
	case m.parent != nil:
		ms = append(ms, member{"parent_id", strValue(m.parent.id)})
	case g.chance(0.8):
		ms = append(ms, member{"parent_id", strValue("")})
	}
	typ := "normal"
	if m.system {
		typ = "system"
	}
	ascii := g.chance(0.3)
	ms = append(ms, member{"type", strValue(typ)}, member{"text", func(w *jw) {
		if ascii {
			w.strASCII(s.text)
		} else {
			w.str(s.text)
		}
	}})
	switch {
	case m.media != "":
		ms = append(ms, member{"medias", func(w *jw) {
			w.openArr()
			w.open()
			w.key("type")
			w.str(m.media)
			w.key("url")
			w.str("https://storage.example.org/talk/" + m.id + "/0")
			w.close()
			w.closeArr()
		}})
	case g.chance(0.85):
		ms = append(ms, member{"medias", rawValue("[]")})
	}
	ms = append(ms, member{"metadata", vbReactions(g, s.reactions, ascii)},
		member{"tm_create", tsValue(newVBStamp(g, m.created))},
		member{"tm_update", tsValue(newVBStamp(g, s.updated))})
	switch {
	case s.deleted != 0:
		ms = append(ms, member{"tm_delete", tsValue(newVBStamp(g, s.deleted))})
	case g.chance(0.9):
		ms = append(ms, member{"tm_delete", strValue("")})
	}
	return ms
}

// vbReactions writes metadata with the full current reaction list, possibly empty.
func vbReactions(g rng, rs []vbReaction, ascii bool) func(w *jw) {
	type item struct {
		r     vbReaction
		owner string
		at    stamp
	}
	items := make([]item, len(rs))
	for i, r := range rs {
		items[i] = item{r, ownerType(g, r.owner.role), newVBStamp(g, r.at)}
	}
	return func(w *jw) {
		w.open()
		w.key("reactions")
		w.openArr()
		for _, it := range items {
			w.open()
			w.key("emoji")
			if ascii {
				w.strASCII(it.r.emoji)
			} else {
				w.str(it.r.emoji)
			}
			w.key("owner_type")
			w.str(it.owner)
			w.key("owner_id")
			w.str(it.r.owner.id)
			w.key("tm_create")
			w.ts(it.at)
			w.close()
		}
		w.closeArr()
		w.close()
	}
}

func renderVBState(g rng, m *vbMessage, s *vbState) []byte {
	return render(g, vbStateMembers(g, m, s), g.chance(vbShuffleShare))
}

// renderVBPoison draws a poison record of kind k stamped at ms; each breaks one rule of the
// mapping in an otherwise valid first state of a message no valid record has.
func renderVBPoison(g rng, w *vbWorld, k poisonKind, ms int64) []byte {
	fake := *pick(g, w.msgs)
	fake.id, fake.created, fake.parent, fake.system = g.uuid(), ms, nil, false
	if fake.sender.role == "system" {
		fake.sender = pick(g, fake.talk.members)
	}
	members := vbStateMembers(g, &fake, &vbState{updated: ms, text: "poison"})
	switch k {
	case truncatedJSON:
		b := render(g, members, false)
		return b[:g.between(1, int64(len(b))-2)]
	case wrongType:
		switch g.intn(3) {
		case 0:
			members = set(members, "medias", rawValue(`{"type":"image"}`))
		case 1:
			members = set(members, "owner_id", intValue(g.between(1, 1<<40)))
		default:
			members = set(members, "metadata", rawValue(`{"reactions":{"emoji":"👍","owner_type":"agent","owner_id":"`+fake.sender.id+`"}}`))
		}
	case unknownKind:
		switch g.intn(2) {
		case 0:
			members = set(members, "type", strValue("broadcast"))
		default:
			members = set(members, "owner_type", strValue("robot"))
		}
	case missingID:
		switch g.intn(3) {
		case 0:
			members = set(members, "id", nil)
		case 1:
			members = set(members, "owner_id", nil)
		default:
			members = set(members, "id", strValue(""))
		}
	}
	return render(g, members, false)
}
