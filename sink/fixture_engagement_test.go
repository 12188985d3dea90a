package sink

import "github.com/chatpulse/chatpulse/rows"

// jan1 is 2024-01-01 00:00:00 UTC.
const jan1 = int64(1704067200000)

// at is epoch ms of 2024-01-<day> hh:mm:ss.ms UTC.
func at(day, hh, mm, ss, ms int64) int64 {
	return jan1 + (day-1)*86_400_000 + hh*3_600_000 + mm*60_000 + ss*1000 + ms
}

// engagementSet is the fixture of the session, membership, handover and engagement views and
// of the metric queries; testdata/engagement_*.golden and testdata/metric_*.golden hold what
// they show. Everything happens on 2024-01-01, 02, 03, 09 and 31 (plus one handover on the
// 10th) in two sources:
//
//   - causalfoundry/t1: users u1..u5, bot b1, agent a1, supervisor s1; direct conversations
//     c1 (web: u1 with the bot, then an agent), c2 (telegram: u2), c5 (web: u5); groups g1
//     and g2 (web), and g3, which only has group-level events;
//   - expertflow with no tenant: a user also called u1 (a different user: users are
//     (source, tenant, id)), bot eb, agent ea, supervisor es, conversation e1 on whatsapp.
//
// Key numbers, by hand:
//   - dau_wau_mau on 2024-01-09: active that day cf/u3 and ef/u1 (dau 2); in [01-03, 01-09]
//     also cf/u1, cf/u2 of the 3rd (wau 4; cf/u5, only active on 01-02 = D-7, is out); in
//     [12-11, 01-09] all six users (mau 6); stickiness 2/6. On 01-31 the window [01-02, 01-31]
//     drops cf/u4, active only on 01-01 = D-30, and keeps cf/u5 of 01-02 = D-29 (mau 5).
//   - bot_response: 11 user messages have a later bot or agent message in their conversation:
//     1500 (m01), 2000 (m22), 4000 (m09), 5000 (m07), 20000 (m19, the supervisor's m20 does
//     not count), 130000 (m05), 160000 (m03: the bot's m04 at the same ms is not later),
//     600000 (m14), 630000 (m11), 93900000 and 94200000 (m13 and m12, answered by the agent's
//     m15 the next day). p50 is index floor(0.5*11) = 5 -> 130000, p90 index floor(9.9) = 9
//     -> 93900000.
//   - first_human_response: handovers to an agent at 10:01:10 and 10:02:00 (c1, answered by
//     m06 at 10:03:10: 120000, 70000), 01-03 09:00 (c2, m26: 630000), 01-09 13:00:10 (e1,
//     the supervisor's m20 at the same ms: 0) and 13:05 (unanswered): sorted 0, 70000,
//     120000, 630000; p50 index 2 -> 120000, p90 index floor(3.6) = 3 -> 630000.
//   - containment: 15 current sessions (u1-web-0101-1000:30 is a tombstone); handed over are
//     u1-web-0101-1000 (two handovers, counted once), u2-telegram-0103-0900 (a handover at
//     exactly its start) and ef u1-whatsapp-0109-1300; 3/15 = 0.2.
//   - group_daily g1 on 2024-01-02: u2 joins and leaves at the same ms (the leave wins), u1
//     leaves, s1 joins: joins 2, leaves 2, members_end_of_day 2 (a1, s1). On 01-03 s1 joins
//     again as supervisor (no change in membership), u1 joins again and a1 is removed: net
//     change +1 although the count stays 2. g2 on 01-01 has a row only for the message of
//     u4, who never joined: 0 members, 0 active.
func engagementSet() *rows.Set {
	type m = rows.Message
	cf := func(id, platform, conv, senderType, sender, recipientType, recipient, parent string, sent int64) m {
		return m{Source: "causalfoundry", Tenant: "t1", Platform: platform, MsgID: id, ConversationID: conv,
			SenderType: senderType, SenderID: sender, RecipientType: recipientType, RecipientID: recipient,
			ParentMsgID: parent, ContentType: "text", SentAtMs: sent}
	}
	ef := func(id, senderType, sender, recipient string, sent int64) m {
		return m{Source: "expertflow", Platform: "whatsapp", MsgID: id, ConversationID: "e1",
			SenderType: senderType, SenderID: sender, RecipientType: "user", RecipientID: recipient,
			ContentType: "text", SentAtMs: sent}
	}
	msgs := []m{
		cf("m01", "web", "c1", "user", "u1", "user", "b1", "", at(1, 10, 0, 0, 0)),
		cf("m02", "web", "c1", "bot", "b1", "user", "u1", "m01", at(1, 10, 0, 1, 500)),
		cf("m03", "web", "c1", "user", "u1", "user", "b1", "m02", at(1, 10, 0, 30, 0)),
		cf("m04", "web", "c1", "bot", "b1", "user", "u1", "", at(1, 10, 0, 30, 0)),
		cf("m05", "web", "c1", "user", "u1", "user", "b1", "", at(1, 10, 1, 0, 0)),
		cf("m06", "web", "c1", "agent", "a1", "user", "u1", "m05", at(1, 10, 3, 10, 0)),
		cf("m07", "web", "c1", "user", "u1", "user", "a1", "", at(2, 8, 0, 0, 0)),
		cf("m08", "web", "c1", "bot", "b1", "user", "u1", "", at(2, 8, 0, 5, 0)),
		cf("m09", "telegram", "c2", "user", "u2", "user", "b1", "", at(1, 12, 0, 0, 0)),
		cf("m10", "telegram", "c2", "bot", "b1", "user", "u2", "m09", at(1, 12, 0, 4, 0)),
		cf("m11", "telegram", "c2", "user", "u2", "user", "b1", "m10", at(3, 9, 0, 0, 0)),
		cf("m12", "web", "g1", "user", "u1", "group", "g1", "", at(1, 9, 0, 0, 0)),
		cf("m13", "web", "g1", "user", "u3", "group", "g1", "", at(1, 9, 5, 0, 0)),
		cf("m14", "web", "g1", "user", "u2", "group", "g1", "", at(2, 11, 0, 0, 0)),
		cf("m15", "web", "g1", "agent", "a1", "group", "g1", "", at(2, 11, 10, 0, 0)),
		cf("m16", "web", "g1", "user", "u1", "group", "g1", "", at(3, 15, 0, 0, 0)),
		cf("m17", "web", "g2", "user", "u3", "group", "g2", "", at(3, 16, 0, 0, 0)),
		cf("m18", "web", "g2", "user", "u3", "group", "g2", "", at(9, 10, 0, 0, 0)),
		ef("m19", "user", "u1", "eb", at(9, 13, 0, 0, 0)),
		ef("m20", "supervisor", "es", "u1", at(9, 13, 0, 10, 0)),
		ef("m21", "agent", "ea", "u1", at(9, 13, 0, 20, 0)),
		ef("m22", "user", "u1", "eb", at(31, 9, 0, 0, 0)),
		ef("m23", "bot", "eb", "u1", at(31, 9, 0, 2, 0)),
		cf("m24", "web", "g2", "user", "u4", "group", "g2", "", at(1, 18, 0, 0, 0)),
		cf("m25", "web", "c5", "user", "u5", "user", "b1", "", at(2, 20, 0, 0, 0)),
		cf("m26", "telegram", "c2", "agent", "a1", "user", "u2", "", at(3, 9, 10, 30, 0)),
		cf("m27", "web", "g1", "user", "u1", "group", "g1", "", at(31, 10, 0, 0, 0)),
	}
	byID := map[string]m{}
	for _, x := range msgs {
		byID[x.MsgID] = x
	}
	m10Later := byID["m10"] // seen again later on another platform: the earliest copy wins
	m10Later.Platform, m10Later.SentAtMs = "web", at(1, 12, 0, 9, 0)
	msgs = append(msgs, byID["m09"], m10Later)

	receipt := func(id, member, status string, afterMs int64) rows.Receipt {
		x := byID[id]
		return rows.Receipt{Source: x.Source, Tenant: x.Tenant, MsgID: id, MemberID: member, Status: status,
			AtMs: x.SentAtMs + afterMs, LatencyMs: afterMs, MsgSentAtMs: x.SentAtMs}
	}
	reply := func(parent, child string) rows.Reply {
		p, r := byID[parent], byID[child]
		return rows.Reply{Source: r.Source, Tenant: r.Tenant, ParentMsgID: parent, ReplyMsgID: child,
			ReplyAtMs: r.SentAtMs, LatencyMs: r.SentAtMs - p.SentAtMs, MsgSentAtMs: p.SentAtMs}
	}
	reaction := func(id, actor, emoji string, afterMs int64, present bool) rows.Reaction {
		x := byID[id]
		return rows.Reaction{Source: x.Source, Tenant: x.Tenant, TargetMsgID: id, ActorID: actor, Emoji: emoji,
			AtMs: x.SentAtMs + afterMs, Present: present, MsgSentAtMs: x.SentAtMs}
	}
	member := func(group, id, typ, action string, atMs int64) rows.MembershipChange {
		return rows.MembershipChange{Source: "causalfoundry", Tenant: "t1", GroupID: group, MemberID: id,
			MemberType: typ, Action: action, AtMs: atMs}
	}
	handover := func(source, tenant, platform, conv, user, role string, atMs int64) rows.Handover {
		return rows.Handover{Source: source, Tenant: tenant, Platform: platform, ConversationID: conv,
			UserID: user, ToRole: role, AtMs: atMs}
	}
	session := func(source, tenant, platform, user, id string, start, end int64, n, own uint32, closed bool, version uint64) rows.Session {
		return rows.Session{Source: source, Tenant: tenant, Platform: platform, UserID: user, SessionID: id,
			StartMs: start, EndMs: end, Messages: n, UserMessages: own, Closed: closed, Version: version}
	}
	cfSession := func(platform, user, id string, start, end int64, n, own uint32, closed bool, version uint64) rows.Session {
		return session("causalfoundry", "t1", platform, user, id, start, end, n, own, closed, version)
	}
	// u1's 10:00 session was first seen from 10:00:30 (m01 and m02 came late); when it
	// grew earlier it got the id of its new start and the old id a tombstone.
	renamed := cfSession("web", "u1", "u1-web-0101-1000:30", at(1, 10, 0, 30, 0), at(1, 10, 3, 10, 0), 4, 2, false, 1)
	tombstone := renamed
	tombstone.Version, tombstone.Deleted = 3, true
	grown := cfSession("telegram", "u2", "u2-telegram-0101-1200", at(1, 12, 0, 0, 0), at(1, 12, 0, 4, 0), 2, 1, true, 2)

	return &rows.Set{
		Messages: msgs,
		Receipts: []rows.Receipt{
			receipt("m01", "b1", "delivered", 50),
			receipt("m02", "u1", "delivered", 300),
			receipt("m02", "u1", "read", 1200),
			receipt("m04", "u1", "delivered", 200),
			receipt("m06", "u1", "read", 2000), // a read implies delivery
			receipt("m12", "u2", "read", 1000),
			receipt("m12", "a1", "delivered", 400),
			receipt("m12", "u2", "delivered", 700),
			receipt("m13", "", "failed", 100),
			receipt("m07", "a1", "delivered", 100),
			receipt("m08", "u1", "failed", 100),
			receipt("m14", "u1", "delivered", 150),
			receipt("m14", "u1", "delivered", 150), // an exact duplicate
			receipt("m10", "u2", "delivered", 500),
			receipt("m10", "u2", "read", 900),
			receipt("m10", "u2", "read", 800), // the earliest read wins
			receipt("m11", "b1", "delivered", 50),
			receipt("m26", "u2", "read", 3000),
			receipt("m19", "eb", "delivered", 10),
			receipt("m20", "u1", "delivered", 20),
			receipt("m21", "u1", "delivered", 30),
			receipt("m21", "u1", "read", 40),
			receipt("m23", "u1", "delivered", 100),
			receipt("m23", "u1", "read", 900),
		},
		Replies: []rows.Reply{
			reply("m01", "m02"), reply("m01", "m02"), reply("m02", "m03"), reply("m05", "m06"),
			reply("m09", "m10"), reply("m10", "m11"),
		},
		Reactions: []rows.Reaction{
			reaction("m02", "u1", "👍", 1000, true),
			reaction("m12", "u2", "❤️", 2000, true),
			reaction("m12", "a1", "👍", 3000, true),
			reaction("m06", "u1", "👍", 5000, true),
			reaction("m06", "u1", "👍", 9000, false), // taken back
			reaction("m14", "u1", "😂", 1000, true),
			reaction("m23", "u1", "👍", 1000, true),
		},
		Sessions: []rows.Session{
			cfSession("web", "u1", "u1-web-0101-0900", at(1, 9, 0, 0, 0), at(1, 9, 0, 0, 0), 1, 1, true, 1),
			renamed,
			cfSession("web", "u1", "u1-web-0101-1000", at(1, 10, 0, 0, 0), at(1, 10, 3, 10, 0), 6, 3, false, 2),
			tombstone,
			cfSession("web", "u1", "u1-web-0101-1000", at(1, 10, 0, 0, 0), at(1, 10, 3, 10, 0), 6, 3, true, 4),
			cfSession("web", "u1", "u1-web-0102-0800", at(2, 8, 0, 0, 0), at(2, 8, 0, 5, 0), 2, 1, true, 1),
			cfSession("web", "u1", "u1-web-0103-1500", at(3, 15, 0, 0, 0), at(3, 15, 0, 0, 0), 1, 1, true, 1),
			cfSession("web", "u1", "u1-web-0131-1000", at(31, 10, 0, 0, 0), at(31, 10, 0, 0, 0), 1, 1, false, 1),
			// Two versions, the second written twice.
			cfSession("telegram", "u2", "u2-telegram-0101-1200", at(1, 12, 0, 0, 0), at(1, 12, 0, 0, 0), 1, 1, false, 1),
			grown,
			grown,
			cfSession("telegram", "u2", "u2-telegram-0103-0900", at(3, 9, 0, 0, 0), at(3, 9, 10, 30, 0), 2, 1, true, 1),
			cfSession("web", "u2", "u2-web-0102-1100", at(2, 11, 0, 0, 0), at(2, 11, 0, 0, 0), 1, 1, true, 1),
			cfSession("web", "u3", "u3-web-0101-0905", at(1, 9, 5, 0, 0), at(1, 9, 5, 0, 0), 1, 1, true, 1),
			cfSession("web", "u3", "u3-web-0103-1600", at(3, 16, 0, 0, 0), at(3, 16, 0, 0, 0), 1, 1, true, 1),
			cfSession("web", "u3", "u3-web-0109-1000", at(9, 10, 0, 0, 0), at(9, 10, 0, 0, 0), 1, 1, true, 1),
			cfSession("web", "u4", "u4-web-0101-1800", at(1, 18, 0, 0, 0), at(1, 18, 0, 0, 0), 1, 1, true, 1),
			cfSession("web", "u5", "u5-web-0102-2000", at(2, 20, 0, 0, 0), at(2, 20, 0, 0, 0), 1, 1, true, 1),
			session("expertflow", "", "whatsapp", "u1", "u1-whatsapp-0109-1300", at(9, 13, 0, 0, 0), at(9, 13, 0, 20, 0), 3, 1, true, 1),
			session("expertflow", "", "whatsapp", "u1", "u1-whatsapp-0131-0900", at(31, 9, 0, 0, 0), at(31, 9, 0, 2, 0), 2, 1, false, 1),
		},
		Memberships: []rows.MembershipChange{
			member("g1", "", "", "create", at(1, 8, 0, 0, 0)),
			member("g1", "u1", "user", "join", at(1, 8, 0, 0, 0)),
			member("g1", "u1", "user", "join", at(1, 8, 0, 0, 0)), // an exact duplicate
			member("g1", "u2", "user", "join", at(1, 8, 0, 0, 0)),
			member("g1", "a1", "agent", "join", at(1, 8, 30, 0, 0)),
			member("g1", "", "", "update", at(2, 9, 0, 0, 0)),
			member("g1", "s1", "agent", "join", at(2, 9, 30, 0, 0)),
			member("g1", "u2", "user", "join", at(2, 10, 0, 0, 0)),
			member("g1", "u2", "user", "leave", at(2, 10, 0, 0, 0)), // a tie: the leave wins
			member("g1", "u1", "user", "leave", at(2, 12, 0, 0, 0)),
			member("g1", "s1", "supervisor", "join", at(3, 10, 0, 0, 0)), // joins again with a new type
			member("g1", "u1", "user", "join", at(3, 14, 0, 0, 0)),       // a re-join
			member("g1", "a1", "agent", "remove", at(3, 18, 0, 0, 0)),
			member("g2", "", "", "create", at(3, 15, 0, 0, 0)),
			member("g2", "u1", "user", "join", at(3, 15, 30, 0, 0)),
			member("g2", "u1", "user", "remove", at(3, 15, 30, 0, 0)), // a tie: the removal wins
			member("g2", "u3", "user", "join", at(3, 15, 59, 0, 0)),
			member("g2", "u3", "agent", "join", at(3, 15, 59, 0, 0)), // a full tie but the type: the smaller type, one join
			member("g2", "", "", "delete", at(9, 12, 0, 0, 0)),       // group-level: members stay
			member("g3", "", "", "create", at(2, 7, 0, 0, 0)),        // only group-level: no rows
		},
		Handovers: []rows.Handover{
			handover("causalfoundry", "t1", "web", "c1", "u1", "agent", at(1, 10, 1, 10, 0)),
			handover("causalfoundry", "t1", "web", "c1", "u1", "agent", at(1, 10, 1, 10, 0)), // an exact duplicate
			handover("causalfoundry", "t1", "web", "c1", "u1", "agent", at(1, 10, 2, 0, 0)),
			handover("causalfoundry", "t1", "web", "c1", "u1", "bot", at(2, 8, 0, 5, 0)),
			handover("causalfoundry", "t1", "telegram", "c2", "u2", "agent", at(3, 9, 0, 0, 0)),
			handover("expertflow", "", "whatsapp", "e1", "u1", "agent", at(9, 13, 0, 10, 0)),
			handover("expertflow", "", "whatsapp", "e1", "u1", "agent", at(9, 13, 5, 0, 0)),
			handover("expertflow", "", "whatsapp", "e1", "u1", "bot", at(10, 8, 0, 0, 0)), // a day without messages
		},
	}
}
