package sink

import "github.com/chatpulse/chatpulse/rows"

// t0 is 2023-11-14 22:13:20 UTC.
const t0 = int64(1700000000000)

// fixtureSet covers every rule of the contract views; testdata/*.golden holds what they show.
func fixtureSet() *rows.Set {
	m1 := rows.Message{Source: "causalfoundry", Tenant: "t1", Platform: "web", MsgID: "m1", ConversationID: "c1",
		SenderType: "user", SenderID: "u1", RecipientType: "user", RecipientID: "u2", ContentType: "text", SentAtMs: t0}
	m1Later := m1 // the same message seen again later with other attributes: the earliest wins
	m1Later.Platform, m1Later.SentAtMs = "sms", t0+9000
	m2 := rows.Message{Source: "causalfoundry", Tenant: "t1", Platform: "web", MsgID: "m2", ConversationID: "c1",
		SenderType: "user", SenderID: "u2", RecipientType: "user", RecipientID: "u1", ParentMsgID: "m1", ContentType: "text", SentAtMs: t0 + 60000}
	m3 := rows.Message{Source: "causalfoundry", Tenant: "t1", Platform: "web", MsgID: "m3", ConversationID: "g1",
		SenderType: "agent", SenderID: "a1", RecipientType: "group", RecipientID: "g1", ParentMsgID: "m1", ContentType: "image", SentAtMs: t0 + 30000}
	m4 := rows.Message{Source: "voipbin", Platform: "other", MsgID: "m4", ConversationID: "conv\twith\\tab\nnl",
		SenderType: "user", SenderID: "u9", RecipientType: "user", RecipientID: "u8", ContentType: "text", SentAtMs: t0 + 200999}
	m5 := rows.Message{Source: "causalfoundry", Tenant: "t1", Platform: "telegram", MsgID: "m5", ConversationID: "c2",
		SenderType: "bot", SenderID: "b1", RecipientType: "user", RecipientID: "u1", ContentType: "text", SentAtMs: t0 + 100500}

	receipt := func(m rows.Message, member, status string, afterMs int64) rows.Receipt {
		return rows.Receipt{Source: m.Source, Tenant: m.Tenant, MsgID: m.MsgID, MemberID: member, Status: status,
			AtMs: m.SentAtMs + afterMs, LatencyMs: afterMs, MsgSentAtMs: m.SentAtMs}
	}
	reply := func(parent, r rows.Message) rows.Reply {
		return rows.Reply{Source: r.Source, Tenant: r.Tenant, ParentMsgID: parent.MsgID, ReplyMsgID: r.MsgID,
			ReplyAtMs: r.SentAtMs, LatencyMs: r.SentAtMs - parent.SentAtMs, MsgSentAtMs: parent.SentAtMs}
	}
	reaction := func(m rows.Message, actor, emoji string, at int64, present bool) rows.Reaction {
		return rows.Reaction{Source: m.Source, Tenant: m.Tenant, TargetMsgID: m.MsgID, ActorID: actor, Emoji: emoji, AtMs: at, Present: present, MsgSentAtMs: m.SentAtMs}
	}
	m9 := rows.Message{Source: "causalfoundry", Tenant: "t1", MsgID: "m9"} // never written as a message

	return &rows.Set{
		Messages: []rows.Message{m1, m1, m2, m3, m4, m5, m1Later},
		Receipts: []rows.Receipt{
			receipt(m1, "u2", "delivered", 5000),
			receipt(m1, "u2", "delivered", 2000), // the earliest receipt wins
			receipt(m1, "u2", "read", 7000),
			receipt(m1, "u2", "read", 7000), // an exact duplicate
			receipt(m3, "u1", "delivered", 300),
			receipt(m3, "u4", "delivered", 200),
			receipt(m3, "u4", "read", 400),
			receipt(m4, "", "failed", 100),
			receipt(m4, "", "deleted", 900),
			receipt(m5, "u1", "read", 1500), // a read implies delivery
		},
		Replies: []rows.Reply{reply(m1, m2), reply(m1, m2), reply(m1, m3)},
		Reactions: []rows.Reaction{
			reaction(m1, "u2", "👍", t0+1000, true),
			reaction(m1, "u2", "👍", t0+5000, false), // taken back
			reaction(m1, "u3", "❤️", t0+2000, true),
			reaction(m1, "u3", "❤️", t0+2000, true), // an exact duplicate
			reaction(m1, "u2", "😂", t0+3000, true),
			reaction(m1, "u2", "😂", t0+3000, false), // a tie: the removal wins
			reaction(m1, "u4", "👍", t0+1000, false),
			reaction(m1, "u4", "👍", t0+4000, true), // removed, then added again
			reaction(m5, "u2", "👍", t0+100600, true),
			reaction(m9, "u2", "👍", t0, true), // on no known message: no row shows it
		},
	}
}
