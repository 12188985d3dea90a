package gen_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/chatpulse/chatpulse/gen"
)

// A reference reading of VoIPbin talk messages, from the mapping alone. Every record is one
// state of a message; the states are folded once the whole stream is read.

var (
	vbRoles    = map[string]string{"agent": "agent", "customer": "user", "user": "user", "bot": "bot", "system": "system"}
	vbContents = map[string]string{"image": "image", "video": "video", "audio": "audio", "file": "document", "document": "document"}
)

// refState is one valid VoIPbin record.
type refState struct {
	index                       int
	tsMs                        int64 // record timestamp
	msg                         refMsg
	created, updated, deletedAt int64
	reactions                   map[[2]string]bool // (owner_id, emoji)
}

func (r *refRead) readVoipbin(i int, rec gen.Record) error {
	var v struct {
		ID         string `json:"id"`
		CustomerID string `json:"customer_id"`
		OwnerType  string `json:"owner_type"`
		OwnerID    string `json:"owner_id"`
		ChatID     string `json:"chat_id"`
		ParentID   string `json:"parent_id"`
		Type       string `json:"type"`
		Medias     []struct {
			Type string `json:"type"`
		} `json:"medias"`
		Metadata struct {
			Reactions []struct {
				Emoji     string          `json:"emoji"`
				OwnerType string          `json:"owner_type"`
				OwnerID   string          `json:"owner_id"`
				TmCreate  json.RawMessage `json:"tm_create"`
			} `json:"reactions"`
		} `json:"metadata"`
		TmCreate json.RawMessage `json:"tm_create"`
		TmUpdate json.RawMessage `json:"tm_update"`
		TmDelete json.RawMessage `json:"tm_delete"`
	}
	if err := json.Unmarshal(rec.Value, &v); err != nil {
		return poisonf("voipbin: %w", err)
	}
	if v.ID == "" || v.OwnerID == "" || v.ChatID == "" {
		return poisonf("voipbin: missing id")
	}
	role := vbRoles[v.OwnerType]
	if role == "" {
		return poisonf("voipbin: owner_type %q", v.OwnerType)
	}
	content := ""
	switch v.Type {
	case "system":
		content = "system"
	case "normal":
		content = "text"
		if len(v.Medias) > 0 {
			content = vbContents[v.Medias[0].Type]
			if content == "" {
				return poisonf("voipbin: media type %q", v.Medias[0].Type)
			}
		}
	default:
		return poisonf("voipbin: type %q", v.Type)
	}
	s := refState{index: i, tsMs: rec.TimestampMs, reactions: map[[2]string]bool{}}
	var err error
	if s.created, err = vbTime(v.TmCreate); err != nil || s.created == 0 {
		return poisonf("voipbin: tm_create %s", v.TmCreate)
	}
	if s.updated, err = vbTime(v.TmUpdate); err != nil || s.updated == 0 {
		return poisonf("voipbin: tm_update %s", v.TmUpdate)
	}
	if s.deletedAt, err = vbTime(v.TmDelete); err != nil {
		return poisonf("voipbin: tm_delete %s", v.TmDelete)
	}
	for _, it := range v.Metadata.Reactions {
		if it.OwnerID == "" || it.Emoji == "" || vbRoles[it.OwnerType] == "" {
			return poisonf("voipbin: reaction %+v", it)
		}
		if _, err := vbTime(it.TmCreate); err != nil {
			return poisonf("voipbin: reaction tm_create %s", it.TmCreate)
		}
		s.reactions[[2]string{it.OwnerID, it.Emoji}] = true
	}
	s.msg = refMsg{
		source: gen.FormatVoipbin, tenant: v.CustomerID, platform: "other", id: v.ID, conv: v.ChatID,
		senderType: role, senderID: v.OwnerID, recipientType: "group", recipientID: v.ChatID,
		parent: v.ParentID, content: content, at: s.created,
	}
	r.states = append(r.states, s)
	r.times = append(r.times, s.created, s.updated)
	if s.deletedAt != 0 {
		r.times = append(r.times, s.deletedAt)
	}
	return nil
}

// foldVoipbinStates makes one message of all states with its id: the reactions of the state
// with the greatest tm_update, deleted when any state says so.
func (r *refRead) foldVoipbinStates() error {
	latest := map[string]refState{}
	for _, s := range r.states {
		m := s.msg
		m.index = s.index
		if err := r.add(m); err != nil {
			return err
		}
		k := refKey(m.source, m.tenant, m.id)
		cur := r.msgs[k]
		if s.deletedAt != 0 {
			if cur.deletedAt != 0 && cur.deletedAt != s.deletedAt {
				return fmt.Errorf("voipbin: %s deleted at two times", m.id)
			}
			cur.deletedAt = s.deletedAt
		}
		prev, seen := latest[k]
		switch {
		case seen && prev.updated == s.updated && fmt.Sprint(prev.reactions) != fmt.Sprint(s.reactions):
			return fmt.Errorf("voipbin: %s has two states at tm_update %d", m.id, s.updated)
		case !seen || s.updated > prev.updated:
			latest[k] = s
			cur.reactions = len(s.reactions)
		}
	}
	return nil
}

// vbTime reads "2024-01-17 10:32:00.000000" (UTC), RFC 3339 or epoch ms; "" is no time.
func vbTime(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 {
		return 0, nil
	}
	if raw[0] != '"' {
		var ms int64
		err := json.Unmarshal(raw, &ms)
		return ms, err
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || s == "" {
		return 0, err
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("time %q", s)
}
