package gen

import "strconv"

// Poison records: each must be rejected by a decoder that follows the spec, and none may
// yield a row. They reuse real ids where that makes a lenient decoder's mistake visible.

type poisonKind uint8

const (
	truncatedJSON poisonKind = iota
	wrongType
	unknownKind
	missingID
	poisonKinds
)

// renderPoison draws a poison record of kind k stamped at ms.
func renderPoison(g rng, w *world, k poisonKind, ms int64) []byte {
	at := newStamp(g, ms)
	known := pick(g, w.msgs)
	switch k {
	case truncatedJSON:
		fake := *known
		fake.id = g.uuid()
		fake.parent = nil
		b := renderMessage(g, &fake)
		return b[:g.between(1, int64(len(b))-2)]
	case wrongType:
		switch g.intn(3) {
		case 0:
			return envelope(g, at, "message", func(pw *jw) {
				pw.key("platform")
				pw.str(known.platformRaw)
				pw.key("msg_id")
				pw.str(g.uuid())
				pw.key("sender_type")
				pw.str("user")
				pw.key("sender_id")
				pw.int(g.between(1, 1<<40))
				messageTail(pw)
			})
		case 1:
			return envelope(g, at, "message", func(pw *jw) {
				pw.key("platform")
				pw.str(known.platformRaw)
				pw.key("msg_id")
				pw.int(g.between(1, 1<<40))
				pw.key("sender_type")
				pw.str("user")
				pw.key("sender_id")
				pw.str(pick(g, w.users).id)
				messageTail(pw)
			})
		default:
			// props is a string holding JSON, not an object.
			out := &jw{}
			out.open()
			out.key("ts")
			out.ts(at)
			out.key("type")
			out.str("receipt")
			out.key("props")
			out.str(`{"type":"read","msg_id":"` + known.id + `"}`)
			out.close()
			return out.b
		}
	case unknownKind:
		switch g.intn(3) {
		case 0:
			return envelope(g, at, "typing", func(pw *jw) {
				pw.key("user_id")
				pw.str(pick(g, w.users).id)
				pw.key("state")
				pw.str("composing")
			})
		case 1:
			return envelope(g, at, "receipt", func(pw *jw) {
				pw.key("type")
				pw.str("seen")
				pw.key("msg_id")
				pw.str(known.id)
				pw.key("member_id")
				pw.str(pick(g, w.users).id)
			})
		default:
			return envelope(g, stamp{ms: ms, form: tsNone}, "group", func(pw *jw) {
				pw.key("type")
				pw.str("archive")
				pw.key("group_id")
				pw.str(g.uuid())
			})
		}
	case missingID:
		switch g.intn(3) {
		case 0:
			return envelope(g, at, "message", func(pw *jw) {
				pw.key("platform")
				pw.str(known.platformRaw)
				pw.key("sender_type")
				pw.str("user")
				pw.key("sender_id")
				pw.str(pick(g, w.users).id)
				messageTail(pw)
			})
		case 1:
			return envelope(g, at, "receipt", func(pw *jw) {
				pw.key("type")
				pw.str("read")
				pw.key("member_id")
				pw.str(pick(g, w.users).id)
			})
		default:
			return envelope(g, stamp{ms: ms, form: tsNone}, "group", func(pw *jw) {
				pw.key("type")
				pw.str("join")
				pw.key("member_type")
				pw.str("user")
				pw.key("member_id")
				pw.str(pick(g, w.users).id)
			})
		}
	}
	panic("gen: unknown poison kind " + strconv.Itoa(int(k)))
}

// messageTail completes a message's props as a direct text to nobody.
func messageTail(w *jw) {
	w.key("recipient_type")
	w.str("user")
	w.key("parent_msg_id")
	w.null()
	w.key("type")
	w.str("text")
	w.key("body")
	w.open()
	w.key("text")
	w.str("poison")
	w.close()
}
