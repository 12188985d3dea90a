package gen

// expected folds the Causal Foundry model into rows; orphan receipts are absent from it by
// construction.
func (w *world) expected() Expected {
	msgs := make([]canonMessage, 0, len(w.msgs))
	for _, m := range w.msgs {
		f := MessageFact{
			Source:         Source,
			Platform:       m.conv.platform,
			MsgID:          m.id,
			ConversationID: conversationID(m),
			SenderType:     m.sender.kind,
			SenderID:       m.sender.id,
			RecipientType:  m.recipientType(),
			RecipientID:    m.recipientID,
			ContentType:    m.content,
			SentAtMs:       m.at.ms,
		}
		if m.parent != nil {
			f.ParentMsgID = m.parent.id
		}
		c := canonMessage{fact: f}
		for _, r := range m.receipts {
			c.receipts = append(c.receipts, canonReceipt{r.member, r.status, r.at.ms})
		}
		distinct := map[[2]string]bool{}
		for _, r := range m.reactions {
			distinct[[2]string{r.actor.id, r.emoji}] = true
		}
		c.reactions = len(distinct)
		msgs = append(msgs, c)
	}
	return fold(msgs)
}

// conversationID is the group id, or the sorted participant pair of a direct chat (the
// sender alone when the message names no recipient).
func conversationID(m *message) string {
	switch {
	case m.conv.groupID != "":
		return m.conv.groupID
	case m.recipientID == "":
		return m.sender.id
	case m.recipientID < m.sender.id:
		return m.recipientID + ":" + m.sender.id
	}
	return m.sender.id + ":" + m.recipientID
}

// memberships lists the group events as membership changes; group-level ones name no member.
func (w *world) memberships() []MembershipEvent {
	out := make([]MembershipEvent, 0, len(w.groupEvents))
	for _, e := range w.groupEvents {
		ev := MembershipEvent{Source: Source, GroupID: e.conv.groupID, Action: e.kind, AtMs: e.at}
		if memberLevel(e.kind) {
			ev.MemberID, ev.MemberType = e.member.id, e.member.kind
		}
		out = append(out, ev)
	}
	return out
}
