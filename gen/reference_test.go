package gen_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chatpulse/chatpulse/gen"
)

// A reference reading of the raw bytes, written from the format description alone: it
// decodes every record strictly and folds the contract rows, so the generator's model, its
// rendering and its expected rows are checked against each other.

type refMessage struct {
	id, platform, senderType, senderID, recipientType, recipientID, parent, content string
	emoji                                                                           string // reactions only
	at                                                                              int64
	index                                                                           int // first record
}

type refReceipt struct {
	msgID, member, status string
	at                    int64
	index                 int
	tsMs                  int64 // record timestamp
}

type refStream struct {
	msgs     map[string]refMessage // messages and reactions by msg_id
	receipts []refReceipt
	members  int // membership records
	poison   int
	times    []int64 // every event time
}

var (
	receiptStatuses = []string{"sent", "delivered", "read", "failed", "deleted"}
	groupKinds      = []string{"join", "leave", "remove", "create", "update", "delete"}
	platforms       = []string{"whatsapp", "telegram", "other"}
)

func readStream(recs []gen.Record) (*refStream, error) {
	s := &refStream{msgs: map[string]refMessage{}}
	for i, r := range recs {
		err := s.read(i, r)
		var bad poisonError
		if errors.As(err, &bad) {
			s.poison++
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
	}
	return s, nil
}

// poisonError marks a record a strict decoder rejects.
type poisonError struct{ error }

func poisonf(format string, args ...any) error { return poisonError{fmt.Errorf(format, args...)} }

func (s *refStream) read(i int, r gen.Record) error {
	var env struct {
		TS    json.RawMessage `json:"ts"`
		Type  string          `json:"type"`
		Props json.RawMessage `json:"props"`
	}
	if err := json.Unmarshal(r.Value, &env); err != nil {
		return poisonf("envelope: %w", err)
	}
	at, err := parseTS(env.TS, r.TimestampMs)
	if err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(env.Props, &keys); err != nil {
		return poisonf("props: %w", err)
	}
	switch {
	case env.Type == "message":
		return s.readMessage(i, at, env.Props)
	case env.Type == "receipt" || env.Type == "group" && keys["msg_id"] != nil:
		var p struct {
			Type     string  `json:"type"`
			MsgID    string  `json:"msg_id"`
			MemberID *string `json:"member_id"`
		}
		if err := json.Unmarshal(env.Props, &p); err != nil {
			return poisonf("receipt: %w", err)
		}
		if p.MsgID == "" || !slices.Contains(receiptStatuses, p.Type) {
			return poisonf("receipt: missing msg_id or unknown status %q", p.Type)
		}
		rc := refReceipt{msgID: p.MsgID, status: p.Type, at: at, index: i, tsMs: r.TimestampMs}
		if p.MemberID != nil {
			rc.member = *p.MemberID
		}
		s.receipts = append(s.receipts, rc)
	case env.Type == "group":
		var p struct {
			Type    string `json:"type"`
			GroupID string `json:"group_id"`
		}
		if err := json.Unmarshal(env.Props, &p); err != nil {
			return poisonf("group: %w", err)
		}
		if p.GroupID == "" || !slices.Contains(groupKinds, p.Type) {
			return poisonf("group: missing group_id or unknown type %q", p.Type)
		}
		if len(env.TS) != 0 {
			return fmt.Errorf("a group event carries a ts")
		}
	default:
		return poisonf("unknown envelope type %q", env.Type)
	}
	s.times = append(s.times, at)
	return nil
}

func (s *refStream) readMessage(i int, at int64, props json.RawMessage) error {
	var p struct {
		Platform      string          `json:"platform"`
		MsgID         string          `json:"msg_id"`
		SenderType    string          `json:"sender_type"`
		SenderID      string          `json:"sender_id"`
		RecipientType string          `json:"recipient_type"`
		RecipientID   *string         `json:"recipient_id"`
		ParentMsgID   *string         `json:"parent_msg_id"`
		Type          string          `json:"type"`
		Body          json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal(props, &p); err != nil {
		return poisonf("message: %w", err)
	}
	if p.MsgID == "" || p.SenderID == "" {
		return poisonf("message: missing id")
	}
	m := refMessage{
		id: p.MsgID, platform: strings.ToLower(p.Platform), senderType: p.SenderType, senderID: p.SenderID,
		recipientType: p.RecipientType, content: p.Type, at: at, index: i,
	}
	if p.RecipientID != nil {
		m.recipientID = *p.RecipientID
	}
	if p.ParentMsgID != nil {
		m.parent = *p.ParentMsgID
	}
	if p.Type == "reaction" {
		var body struct {
			Emoji string `json:"emoji"`
		}
		if err := json.Unmarshal(p.Body, &body); err != nil || body.Emoji == "" || m.parent == "" {
			return fmt.Errorf("reaction %s without target or emoji", m.id)
		}
		m.emoji = body.Emoji
	}
	if prev, ok := s.msgs[m.id]; ok {
		prev.index = m.index
		if prev != m {
			return fmt.Errorf("two different messages share msg_id %s", m.id)
		}
		s.times = append(s.times, at)
		return nil
	}
	s.msgs[m.id] = m
	s.times = append(s.times, at)
	return nil
}

func parseTS(raw json.RawMessage, recordMs int64) (int64, error) {
	if len(raw) == 0 {
		return recordMs, nil
	}
	if raw[0] == '"' {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return 0, err
		}
		for _, layout := range []string{"2006-01-02 15:04:05Z07:00", time.RFC3339Nano} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UnixMilli(), nil
			}
		}
		return 0, poisonf("ts %q", v)
	}
	var ms int64
	if err := json.Unmarshal(raw, &ms); err != nil {
		return 0, poisonf("ts %s: %w", raw, err)
	}
	return ms, nil
}

// rows folds the decoded stream into rendered contract lines.
func (s *refStream) rows() (facts, receipts []string) {
	type agg struct {
		delivered, read, firstReply *int64
		failed, deleted             bool
		replies                     int
		reactions                   map[[2]string]bool
	}
	aggs := map[string]*agg{}
	for id, m := range s.msgs {
		if m.content != "reaction" {
			aggs[id] = &agg{reactions: map[[2]string]bool{}}
		}
	}
	minInto := func(p **int64, v int64) {
		v = max(v, 0)
		if *p == nil || v < **p {
			*p = &v
		}
	}
	for _, m := range s.msgs {
		a := aggs[m.parent]
		if m.parent == "" || a == nil {
			continue
		}
		sent := s.msgs[m.parent].at
		if m.content == "reaction" {
			a.reactions[[2]string{m.senderID, m.emoji}] = true
			continue
		}
		a.replies++
		minInto(&a.firstReply, m.at-sent)
	}
	first := map[[3]string]int64{}
	for _, r := range s.receipts {
		if aggs[r.msgID] == nil {
			continue
		}
		k := [3]string{r.msgID, r.member, r.status}
		if t, ok := first[k]; !ok || r.at < t {
			first[k] = r.at
		}
	}
	for k, at := range first {
		a, sent := aggs[k[0]], s.msgs[k[0]].at
		switch k[2] {
		case "read":
			minInto(&a.read, at-sent)
			minInto(&a.delivered, at-sent)
		case "delivered":
			minInto(&a.delivered, at-sent)
		case "failed":
			a.failed = true
		case "deleted":
			a.deleted = true
		}
		receipts = append(receipts, strings.Join([]string{gen.Source, "", k[0], k[1], k[2],
			fmt.Sprint(at), fmt.Sprint(max(at-sent, 0))}, "\t"))
	}
	null := func(p *int64) string {
		if p == nil {
			return `\N`
		}
		return fmt.Sprint(*p)
	}
	flag := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	for id, a := range aggs {
		m := s.msgs[id]
		conv := m.recipientID
		switch {
		case m.recipientType == "group":
		case m.recipientID == "":
			conv = m.senderID
		default:
			pair := []string{m.senderID, m.recipientID}
			slices.Sort(pair)
			conv = strings.Join(pair, ":")
		}
		facts = append(facts, strings.Join([]string{gen.Source, "", m.platform, m.id, conv, m.senderType,
			m.senderID, m.recipientType, m.recipientID, m.parent, m.content,
			time.UnixMilli(m.at).UTC().Format(time.DateTime), fmt.Sprint(m.at),
			null(a.delivered), null(a.read), flag(a.failed), flag(a.deleted), fmt.Sprint(a.replies),
			null(a.firstReply), fmt.Sprint(len(a.reactions))}, "\t"))
	}
	slices.Sort(facts)
	slices.Sort(receipts)
	return facts, receipts
}

// recordsEqual reports whether two records are byte-identical.
func recordsEqual(a, b gen.Record) bool {
	return a.TimestampMs == b.TimestampMs && bytes.Equal(a.Key, b.Key) && bytes.Equal(a.Value, b.Value)
}
