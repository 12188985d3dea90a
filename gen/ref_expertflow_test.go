package gen_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chatpulse/chatpulse/gen"
)

// A reference reading of Expertflow conversation message objects, from the mapping alone.

var (
	efRoles      = map[string]string{"Customer": "user", "Bot": "bot", "Agent": "agent", "Supervisor": "supervisor"}
	efActivities = []string{"participantJoined", "participantAdded", "participantLeft", "handoff", "noAgentAvailable"}
	efChannels   = []string{"web", "sms", "whatsapp", "viber", "facebook"}
)

type efRefParticipant struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

func (r *refRead) readExpertflow(i int, rec gen.Record) error {
	var v struct {
		MessageID      *string            `json:"messageId"`
		ConversationID string             `json:"conversationId"`
		MessageType    string             `json:"messageType"`
		ActivityType   string             `json:"activityType"`
		Channel        string             `json:"channel"`
		From           *efRefParticipant  `json:"from"`
		To             []efRefParticipant `json:"to"`
		Timestamp      json.RawMessage    `json:"timestamp"`
		Attachments    []struct {
			MimeType string `json:"mimeType"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(rec.Value, &v); err != nil {
		return poisonf("expertflow: %w", err)
	}
	if v.From == nil || v.From.ID == "" || efRoles[v.From.Type] == "" {
		return poisonf("expertflow: sender missing or of unknown type")
	}
	for _, p := range v.To {
		if p.ID == "" || efRoles[p.Type] == "" {
			return poisonf("expertflow: addressee missing or of unknown type")
		}
	}
	if v.ConversationID == "" {
		return poisonf("expertflow: no conversationId")
	}
	at, err := efTime(v.Timestamp, rec.TimestampMs)
	if err != nil {
		return err
	}
	platform := strings.ToLower(v.Channel)
	if !slices.Contains(efChannels, platform) {
		return fmt.Errorf("expertflow: channel %q", v.Channel)
	}
	content := ""
	switch v.MessageType {
	case "ActivityMessage":
		if !slices.Contains(efActivities, v.ActivityType) {
			return poisonf("expertflow: activityType %q", v.ActivityType)
		}
		if v.ActivityType == "handoff" || v.ActivityType == "noAgentAvailable" {
			r.handovers++
		} else {
			r.memberships++
		}
		r.times = append(r.times, at)
		return nil
	case "ChatMessage", "BotMessage":
		content = "text"
		if len(v.Attachments) > 0 {
			content = "document"
			major, _, _ := strings.Cut(v.Attachments[0].MimeType, "/")
			if major == "image" || major == "video" || major == "audio" {
				content = major
			}
		}
	case "ContactMessage":
		content = "contact"
	case "LocationMessage":
		content = "location"
	default:
		return poisonf("expertflow: messageType %q", v.MessageType)
	}
	if v.MessageID == nil || *v.MessageID == "" {
		return poisonf("expertflow: no messageId")
	}
	m := refMsg{
		source: gen.FormatExpertflow, platform: platform, id: *v.MessageID, conv: v.ConversationID,
		senderType: efRoles[v.From.Type], senderID: v.From.ID, recipientType: "group", recipientID: v.ConversationID,
		content: content, at: at, index: i,
	}
	if len(v.To) == 1 {
		m.recipientType, m.recipientID = "user", v.To[0].ID
	}
	r.times = append(r.times, at)
	return r.add(m)
}

// efTime reads an ISO 8601 time with or without zone (UTC then) or epoch ms as a number or a
// numeric string; without a timestamp the record time is the event time.
func efTime(raw json.RawMessage, recordMs int64) (int64, error) {
	if len(raw) == 0 {
		return recordMs, nil
	}
	if raw[0] != '"' {
		var ms int64
		if err := json.Unmarshal(raw, &ms); err != nil {
			return 0, poisonf("timestamp %s: %w", raw, err)
		}
		return ms, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, err
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return ms, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, poisonf("timestamp %q", s)
}
