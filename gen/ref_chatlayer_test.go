package gen_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/chatpulse/chatpulse/gen"
)

// A reference reading of Chatlayer inbound messages, from the mapping alone.

var clContents = map[string]string{"text": "text", "postback_v2": "postback", "upload": "upload"}

func (r *refRead) readChatlayer(i int, rec gen.Record) error {
	var v struct {
		User *struct {
			ID *string `json:"id"`
		} `json:"user"`
		Actor *struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"actor"`
		Type    string `json:"type"`
		Message *struct {
			MessageType string   `json:"messageType"`
			Text        string   `json:"text"`
			Payload     string   `json:"payload"`
			Title       string   `json:"title"`
			URL         []string `json:"url"`
		} `json:"message"`
		Action *struct {
			Type string `json:"type"`
			Data struct {
				Handover struct {
					To string `json:"to"`
				} `json:"handover"`
			} `json:"data"`
		} `json:"action"`
		Timestamp *int64 `json:"timestamp"`
	}
	if err := json.Unmarshal(rec.Value, &v); err != nil {
		return poisonf("chatlayer: %w", err)
	}
	if v.User == nil || v.User.ID == nil || *v.User.ID == "" {
		return poisonf("chatlayer: no user id")
	}
	if v.Actor == nil || (v.Actor.Type != "user" && v.Actor.Type != "bot" && v.Actor.Type != "agent") {
		return poisonf("chatlayer: actor missing or of unknown type")
	}
	if v.Timestamp == nil {
		return poisonf("chatlayer: no timestamp")
	}
	user, at := *v.User.ID, *v.Timestamp
	switch v.Type {
	case "action":
		if v.Action == nil || v.Action.Type != "conversation_handover" ||
			(v.Action.Data.Handover.To != "bot" && v.Action.Data.Handover.To != "agent") {
			return poisonf("chatlayer: unknown action")
		}
		r.handovers++
		r.times = append(r.times, at)
		return nil
	case "message":
	default:
		return poisonf("chatlayer: type %q", v.Type)
	}
	if v.Message == nil || clContents[v.Message.MessageType] == "" {
		return poisonf("chatlayer: message missing or of unknown type")
	}
	msg := v.Message
	m := refMsg{
		source: gen.FormatChatlayer, platform: "other", conv: user, recipientType: "user",
		content: clContents[msg.MessageType], at: at, index: i,
		id: refChatlayerID(append([]string{user, strconv.FormatInt(at, 10), v.Type, msg.MessageType,
			msg.Text, msg.Payload, msg.Title}, msg.URL...)),
	}
	switch {
	case v.Actor.Type == "user":
		m.senderType, m.senderID = "user", user
	case v.Actor.ID != "":
		m.senderType, m.senderID, m.recipientID = v.Actor.Type, v.Actor.ID, user
	default:
		m.senderType, m.senderID, m.recipientID = v.Actor.Type, v.Actor.Type, user
	}
	r.times = append(r.times, at)
	return r.add(m)
}

// refChatlayerID hashes each part as an 8-byte big-endian length followed by its bytes.
func refChatlayerID(parts []string) string {
	var buf []byte
	for _, p := range parts {
		buf = binary.BigEndian.AppendUint64(buf, uint64(len(p)))
		buf = append(buf, p...)
	}
	sum := sha256.Sum256(buf)
	return "cl-" + hex.EncodeToString(sum[:16])
}
