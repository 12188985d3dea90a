package gen

import (
	"encoding/base64"
	"encoding/hex"
)

// Rendering of the model into Causal Foundry envelopes. Every presentation choice (key order,
// null or absent, escape style, body size) is drawn here and changes no expected row.

const largeBodyShare = 0.05 // of media bodies, a few KB of base64

var texts = []string{
	"'Lorem ipsum' on the docs page! 🚀",
	"ok",
	"see you at 5\nbring the \"docs\"",
	"tab\tseparated\tthoughts",
	`path C:\temp\new`,
	"héllo wörld",
	"こんにちは、元気ですか？",
	"👍🏽",
	"can you resend the invoice? <b>urgent</b> & thanks",
}

func (w *jw) ts(at stamp) { w.sep(); w.b = at.appendTS(w.b) }

// envelope writes {"ts", "type", "props"}, now and then in another key order.
func envelope(g rng, at stamp, typ string, props func(w *jw)) []byte {
	w := &jw{b: make([]byte, 0, 384)}
	w.open()
	tsLast := g.chance(0.1)
	if at.form != tsNone && !tsLast {
		w.key("ts")
		w.ts(at)
	}
	w.key("type")
	w.str(typ)
	w.key("props")
	w.open()
	props(w)
	w.close()
	if at.form != tsNone && tsLast {
		w.key("ts")
		w.ts(at)
	}
	w.close()
	return w.b
}

// optional writes key with v, or when v is "" leaves it out or writes null (or "" when
// allowEmpty), as producers do for a field they lack.
func optional(g rng, w *jw, key, v string, allowEmpty bool) {
	if v != "" {
		w.key(key)
		w.str(v)
		return
	}
	switch g.weighted(5, 3, 2) {
	case 0:
		w.key(key)
		w.null()
	case 2:
		if allowEmpty {
			w.key(key)
			w.str("")
		}
	}
}

func renderMessage(g rng, m *message) []byte {
	return envelope(g, m.at, "message", func(w *jw) {
		w.key("platform")
		w.str(m.platformRaw)
		w.key("msg_id")
		w.str(m.id)
		w.key("sender_type")
		w.str(m.sender.kind)
		w.key("sender_id")
		w.str(m.sender.id)
		w.key("recipient_type")
		w.str(m.recipientType())
		optional(g, w, "recipient_id", m.recipientID, false)
		parent := ""
		if m.parent != nil {
			parent = m.parent.id
		}
		optional(g, w, "parent_msg_id", parent, true)
		w.key("type")
		w.str(m.content)
		w.key("body")
		renderBody(g, w, m.content)
	})
}

func renderReaction(g rng, r *reaction) []byte {
	t := r.target
	recipient := t.conv.groupID
	if recipient == "" {
		for _, a := range t.conv.members {
			if a.id != r.actor.id {
				recipient = a.id
			}
		}
	}
	return envelope(g, r.at, "message", func(w *jw) {
		w.key("platform")
		w.str(t.platformRaw)
		w.key("msg_id")
		w.str(r.id)
		w.key("sender_type")
		w.str(r.actor.kind)
		w.key("sender_id")
		w.str(r.actor.id)
		w.key("recipient_type")
		w.str(t.recipientType())
		w.key("recipient_id")
		w.str(recipient)
		w.key("parent_msg_id")
		w.str(t.id)
		w.key("type")
		w.str("reaction")
		w.key("body")
		w.open()
		w.key("emoji")
		if g.chance(0.4) {
			w.strASCII(r.emoji)
		} else {
			w.str(r.emoji)
		}
		w.close()
	})
}

// renderReceipt uses the "receipt" envelope or, like the docs' examples, the "group" one.
func renderReceipt(g rng, r *receipt) []byte {
	typ := "receipt"
	if g.chance(0.5) {
		typ = "group"
	}
	return envelope(g, r.at, typ, func(w *jw) {
		w.key("type")
		w.str(r.status)
		w.key("msg_id")
		w.str(r.msgID)
		optional(g, w, "member_id", r.member, false)
	})
}

func renderGroupEvent(g rng, e groupEvent) []byte {
	return envelope(g, stamp{ms: e.at, form: tsNone}, "group", func(w *jw) {
		w.key("type")
		w.str(e.kind)
		w.key("group_id")
		w.str(e.conv.groupID)
		switch e.kind {
		case "create":
			w.key("group_name")
			w.str("Ceci n'est pas un lorem ipsum dolor")
			w.key("description")
			w.str("Sightings of 'lorem ipsum' in the wild")
			return
		case "update":
			w.key("group_name")
			w.str("Lorem ipsum, renamed")
			return
		case "delete":
			return
		}
		w.key("member_type")
		w.str(e.member.kind)
		w.key("member_id")
		w.str(e.member.id)
	})
}

func renderBody(g rng, w *jw, content string) {
	w.open()
	switch content {
	case "text":
		w.key("text")
		w.str(pick(g, texts))
	case "image":
		w.key("sha256")
		w.str(hex.EncodeToString(g.bytes(32)))
		w.key("caption")
		w.str("A variety of emoji 🎨")
		w.key("url")
		w.str("https://example.org/media/" + g.uuid() + ".jpg")
		media(g, w, "image/jpeg")
	case "audio":
		media(g, w, "audio/mpeg")
	case "document":
		w.key("sha256")
		w.str(hex.EncodeToString(g.bytes(32)))
		media(g, w, "application/pdf")
	case "video":
		w.key("url")
		w.str("https://example.org/media/" + g.uuid() + ".mp4")
		media(g, w, "video/mp4")
	case "sticker":
		media(g, w, "image/webp")
	case "contact":
		w.key("contacts")
		w.openArr()
		w.open()
		w.key("name")
		w.str("Ada Lovelace")
		w.key("phone")
		w.str("+44 20 7946 0958")
		w.close()
		w.closeArr()
	case "poll":
		w.key("question")
		w.str("Which day suits you?")
		w.key("options")
		w.openArr()
		for _, o := range []string{"Monday", "Wednesday", "Friday"} {
			w.str(o)
		}
		w.closeArr()
		w.key("multiple")
		w.raw("false")
	case "location":
		w.key("latitude")
		w.float(52.52 + float64(g.between(-5000, 5000))/1e4)
		w.key("longitude")
		w.float(13.405 + float64(g.between(-5000, 5000))/1e4)
		w.key("name")
		w.str("Alexanderplatz")
	}
	w.close()
}

// media writes a mime type and base64 content, occasionally a few KB that must influence
// nothing.
func media(g rng, w *jw, mime string) {
	n := g.between(24, 96)
	if g.chance(largeBodyShare) {
		n = g.between(2048, 6144)
	}
	w.key("mime_type")
	w.str(mime)
	w.key("base64")
	w.str(base64.StdEncoding.EncodeToString(g.bytes(int(n))))
}
