package sink

import "github.com/chatpulse/chatpulse/rows"

// receiptConflicts are receipts as the processor writes them, under tenant tr on 2024-01-02
// and 03. rc1 has conflicting copies two seconds apart: u5's delivered receipt was joined to
// the first copy, so it carries that copy's time, and came again later joined to the winner;
// its latency counts from the winner's send time. rc2 has one copy: u7's delivered receipt
// came twice, the earliest first, so keeping the last written row would show the later one,
// and u8's read is earlier than the message (latency 0).
func receiptConflicts() *rows.Set {
	msg := func(id string, sent int64, hash uint64, marked bool) rows.Message {
		return rows.Message{Source: "causalfoundry", Tenant: "tr", Platform: "sms", MsgID: id, ConversationID: "cr",
			SenderType: "user", SenderID: "u4", RecipientType: "user", RecipientID: "u5", ContentType: "text",
			SentAtMs: sent, ContentHash: hash, Supersedes: marked}
	}
	first, winner, rc2 := at(2, 12, 0, 0, 0), at(2, 11, 59, 58, 0), at(3, 8, 0, 0, 0)
	receipt := func(id, member, status string, at, msgSent int64) rows.Receipt {
		return rows.Receipt{Source: "causalfoundry", Tenant: "tr", MsgID: id, MemberID: member, Status: status,
			AtMs: at, LatencyMs: max(at-msgSent, 0), MsgSentAtMs: msgSent}
	}
	return &rows.Set{
		Messages: []rows.Message{
			msg("rc1", first, 50, false),
			msg("rc1", winner, 20, true),
			msg("rc2", rc2, 70, false),
		},
		Receipts: []rows.Receipt{
			receipt("rc1", "u5", "delivered", first+1000, first),
			receipt("rc1", "u5", "delivered", first+4000, winner),
			receipt("rc1", "u6", "read", first+2000, winner),
			receipt("rc2", "u7", "delivered", rc2+200, rc2),
			receipt("rc2", "u7", "delivered", rc2+700, rc2),
			receipt("rc2", "u7", "read", rc2+900, rc2),
			receipt("rc2", "u7", "read", rc2+900, rc2),
			receipt("rc2", "u8", "read", rc2-500, rc2),
		},
	}
}
