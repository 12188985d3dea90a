package gen

import (
	"sort"
	"strconv"
)

// Rows render as ClickHouse TabSeparated: strings as they are (ids never hold a tab, a
// newline or a backslash), integers in decimal, UInt8 as 0 or 1, NULL as \N, lines sorted.

// MessageFactsLines renders the message_facts rows, sorted.
func (e Expected) MessageFactsLines() []string {
	lines := make([]string, 0, len(e.MessageFacts))
	for _, f := range e.MessageFacts {
		lines = append(lines, f.Line())
	}
	sort.Strings(lines)
	return lines
}

// MessageReceiptsLines renders the message_receipts rows, sorted.
func (e Expected) MessageReceiptsLines() []string {
	lines := make([]string, 0, len(e.MessageReceipts))
	for _, r := range e.MessageReceipts {
		lines = append(lines, r.Line())
	}
	sort.Strings(lines)
	return lines
}

// Line renders the row in column order.
func (f MessageFact) Line() string {
	b := make([]byte, 0, 320)
	for _, s := range []string{f.Source, f.Tenant, f.Platform, f.MsgID, f.ConversationID, f.SenderType,
		f.SenderID, f.RecipientType, f.RecipientID, f.ParentMsgID, f.ContentType} {
		b = append(b, s...)
		b = append(b, '\t')
	}
	b = f.SentAt.UTC().AppendFormat(b, "2006-01-02 15:04:05")
	b = append(b, '\t')
	b = strconv.AppendInt(b, f.SentAtMs, 10)
	b = appendNull(append(b, '\t'), f.DeliveredLatencyMs)
	b = appendNull(append(b, '\t'), f.ReadLatencyMs)
	b = appendBool(append(b, '\t'), f.Failed)
	b = appendBool(append(b, '\t'), f.Deleted)
	b = strconv.AppendUint(append(b, '\t'), uint64(f.Replies), 10)
	b = appendNull(append(b, '\t'), f.FirstReplyLatencyMs)
	b = strconv.AppendUint(append(b, '\t'), uint64(f.Reactions), 10)
	return string(b)
}

// Line renders the row in column order.
func (r MessageReceipt) Line() string {
	b := make([]byte, 0, 128)
	for _, s := range []string{r.Source, r.Tenant, r.MsgID, r.MemberID, r.Status} {
		b = append(b, s...)
		b = append(b, '\t')
	}
	b = strconv.AppendInt(b, r.AtMs, 10)
	b = strconv.AppendInt(append(b, '\t'), r.LatencyMs, 10)
	return string(b)
}

func appendNull(b []byte, v NullInt64) []byte {
	if !v.Valid {
		return append(b, `\N`...)
	}
	return strconv.AppendInt(b, v.Int64, 10)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, '1')
	}
	return append(b, '0')
}
