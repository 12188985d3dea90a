package gen_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/gen"
)

func readOf(t *testing.T, format string, cfg gen.Config) (gen.Dataset, *refRead) {
	t.Helper()
	d := generateFormat(t, format, cfg)
	r, err := readFormat(format, d.Records)
	if err != nil {
		t.Fatal(err)
	}
	return d, r
}

// firstIndex is the first record of each VoIPbin message, and its creation record.
func vbIndexes(r *refRead) (first, creation map[string]int) {
	first, creation = map[string]int{}, map[string]int{}
	for _, s := range r.states {
		k := refKey(s.msg.source, s.msg.tenant, s.msg.id)
		if _, ok := first[k]; !ok {
			first[k] = s.index
		}
		if _, ok := creation[k]; !ok && s.updated == s.created {
			creation[k] = s.index
		}
	}
	return first, creation
}

func TestVoipbinStreamShape(t *testing.T) {
	tests := []struct {
		name  string
		cfg   gen.Config
		check func(t *testing.T, d gen.Dataset, r *refRead)
	}{
		{"out-of-order replies precede every state of their parent and updates precede the creation", withRates(0, 1, 0, 0, 0, 0), func(t *testing.T, d gen.Dataset, r *refRead) {
			if d.Stats.OutOfOrder != d.Stats.Replies+d.Stats.Updates || d.Stats.Replies == 0 || d.Stats.Updates == 0 {
				t.Fatalf("stats %+v: not every reply and update is out of order", d.Stats)
			}
			first, creation := vbIndexes(r)
			for _, m := range r.msgs {
				if m.parent == "" {
					continue
				}
				if first[refKey(m.source, m.tenant, m.id)] > first[refKey(m.source, m.tenant, m.parent)] {
					t.Fatalf("reply %s follows its parent %s", m.id, m.parent)
				}
			}
			for _, s := range r.states {
				k := refKey(s.msg.source, s.msg.tenant, s.msg.id)
				if s.updated != s.created && s.index > creation[k] {
					t.Fatalf("an update of %s follows its creation", s.msg.id)
				}
			}
		}},
		{"updates arrive in any order and the greatest tm_update decides the reactions", gen.DefaultConfig(), func(t *testing.T, d gen.Dataset, r *refRead) {
			lastArrived := map[string]refState{}
			greatest := map[string]refState{}
			unordered := 0
			for _, s := range r.states {
				k := refKey(s.msg.source, s.msg.tenant, s.msg.id)
				if prev, ok := lastArrived[k]; ok && s.updated < prev.updated {
					unordered++
				}
				lastArrived[k] = s
				if g, ok := greatest[k]; !ok || s.updated > g.updated {
					greatest[k] = s
				}
			}
			decisive := 0
			for k, s := range lastArrived {
				if len(s.reactions) != len(greatest[k].reactions) {
					decisive++
				}
			}
			if unordered == 0 || decisive == 0 {
				t.Fatalf("%d states arrive after a later one; for %d messages arrival order would give other reactions", unordered, decisive)
			}
		}},
		{"reactions are added and removed, messages deleted and replied to", gen.DefaultConfig(), func(t *testing.T, d gen.Dataset, r *refRead) {
			byMsg := map[string][]refState{}
			for _, s := range r.states {
				k := refKey(s.msg.source, s.msg.tenant, s.msg.id)
				byMsg[k] = append(byMsg[k], s)
			}
			removed := 0
			for _, ss := range byMsg {
				for _, a := range ss {
					for _, b := range ss {
						if b.updated > a.updated && len(b.reactions) < len(a.reactions) {
							removed++
						}
					}
				}
			}
			var deleted, replied, reacted int
			for _, f := range d.Expected.MessageFacts {
				if f.Deleted {
					deleted++
				}
				if f.Replies > 0 {
					replied++
				}
				if f.Reactions > 0 {
					reacted++
				}
			}
			if removed == 0 || deleted == 0 || replied == 0 || reacted == 0 || len(d.Expected.MessageReceipts) != deleted {
				t.Fatalf("%d removals, %d deleted, %d replied, %d reacted, %d receipts", removed, deleted, replied, reacted, len(d.Expected.MessageReceipts))
			}
		}},
		{"the stream varies its time forms, owner types and optional fields", gen.DefaultConfig(), func(t *testing.T, d gen.Dataset, _ *refRead) {
			joined := joinValues(d.Records)
			for _, want := range []string{`"tm_create":"2024-02-1`, `"tm_update":17`, `+05:30"`,
				`"owner_type":"customer"`, `"owner_type":"user"`, `"owner_type":"bot"`, `"owner_type":"system"`,
				`"type":"system"`, `"medias":[]`, `"medias":[{"type":"file"`, `"medias":[{"type":"document"`,
				`"parent_id":""`, `"tm_delete":""`, `"tm_delete":"2024`, `"reactions":[]`, `"emoji":"\ud8`} {
				if !bytes.Contains(joined, []byte(want)) {
					t.Errorf("no record contains %s", want)
				}
			}
			for _, want := range []string{`"tm_update":"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}"`, `"tm_create":"[^"]+T[^"]+\.\d{3}Z"`} {
				if !regexp.MustCompile(want).Match(joined) {
					t.Errorf("no record matches %s", want)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, r := readOf(t, gen.FormatVoipbin, tt.cfg)
			tt.check(t, d, r)
		})
	}
}

func TestChatlayerStreamShape(t *testing.T) {
	tests := []struct {
		name  string
		check func(t *testing.T, d gen.Dataset, r *refRead)
	}{
		{"a replay in other bytes derives the same message id", func(t *testing.T, d gen.Dataset, r *refRead) {
			values := map[string]map[string]bool{}
			for _, rec := range d.Records {
				one := newRefRead()
				if err := one.readChatlayer(0, rec); err != nil || len(one.msgs) == 0 {
					continue
				}
				for _, m := range one.msgs {
					if values[m.id] == nil {
						values[m.id] = map[string]bool{}
					}
					values[m.id][string(rec.Value)] = true
				}
			}
			replays := 0
			for _, vs := range values {
				replays += len(vs) - 1
			}
			if replays != d.Stats.Replays || replays == 0 {
				t.Fatalf("%d records repeat a message in other bytes, stats say %d", replays, d.Stats.Replays)
			}
		}},
		{"the stream has every message type, actors with and without ids and handovers both ways", func(t *testing.T, d gen.Dataset, r *refRead) {
			joined := joinValues(d.Records)
			for _, want := range []string{`"messageType":"text"`, `"messageType":"postback_v2"`, `"messageType":"upload"`,
				`"actor":{"type":"bot"}`, `"actor":{"type":"bot","id"`, `"actor":{"type":"agent"}`, `"actor":{"type":"agent","id"`,
				`"to":"agent"`, `"to":"bot"`, `.pdf","https://`, `\u00e9`, `"firstName"`} {
				if !bytes.Contains(joined, []byte(want)) {
					t.Errorf("no record contains %s", want)
				}
			}
			for _, f := range d.Expected.MessageFacts {
				if !strings.HasPrefix(f.MsgID, "cl-") || len(f.MsgID) != 35 {
					t.Fatalf("derived id %q is not cl- and 32 hex digits", f.MsgID)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, r := readOf(t, gen.FormatChatlayer, gen.DefaultConfig())
			tt.check(t, d, r)
		})
	}
}

func TestExpertflowStreamShape(t *testing.T) {
	d := generateFormat(t, gen.FormatExpertflow, gen.DefaultConfig())
	// Activities have no contract identity, so exact copies are dropped before counting them.
	var distinct []gen.Record
	seen := map[string]bool{}
	for _, rec := range d.Records {
		if !seen[string(rec.Value)] {
			seen[string(rec.Value)] = true
			distinct = append(distinct, rec)
		}
	}
	r, err := readFormat(gen.FormatExpertflow, distinct)
	if err != nil {
		t.Fatal(err)
	}
	joined := joinValues(d.Records)
	for _, want := range []string{`"timestamp":17`, `"timestamp":"17`, `+05:30"`, `"channel":"SMS"`, `"channel":"WhatsApp"`, `"channel":"viber"`, `"channel":"facebook"`,
		`"to":[]`, `"to":[{`, `},{"id"`, `"attachments":[]`, `"mimeType":"image/`, `"mimeType":"application/pdf"`,
		`"messageType":"BotMessage"`, `"messageType":"ContactMessage"`, `"messageType":"LocationMessage"`,
		`"type":"Supervisor"`, `"activityType":"participantJoined"`, `"activityType":"participantAdded"`,
		`"activityType":"participantLeft"`, `"activityType":"handoff"`, `"activityType":"noAgentAvailable"`} {
		if !bytes.Contains(joined, []byte(want)) {
			t.Errorf("no record contains %s", want)
		}
	}
	// Every ISO 8601 shape: with Z, zoneless, in ms, in seconds, in microseconds.
	for _, want := range []string{`"timestamp":"[^"]+T\d\d:\d\d:\d\d\.\d{3}Z"`, `"timestamp":"[^"]+T\d\d:\d\d:\d\d\.\d{3}"`,
		`"timestamp":"[^"]+T\d\d:\d\d:\d\dZ"`, `"timestamp":"[^"]+T\d\d:\d\d:\d\d"`, `"timestamp":"[^"]+\.\d{6}Z"`} {
		if !regexp.MustCompile(want).Match(joined) {
			t.Errorf("no record matches %s", want)
		}
	}
	untimed := 0
	for _, rec := range d.Records {
		if !bytes.Contains(rec.Value, []byte(`"timestamp":`)) {
			untimed++
		}
	}
	if untimed == 0 || r.memberships != d.Stats.GroupEvents || r.handovers != d.Stats.Handovers {
		t.Fatalf("%d records without timestamp; %d memberships and %d handovers read, stats %+v",
			untimed, r.memberships, r.handovers, d.Stats)
	}
}

func joinValues(recs []gen.Record) []byte {
	all := make([][]byte, len(recs))
	for i, r := range recs {
		all[i] = r.Value
	}
	return bytes.Join(all, []byte{'\n'})
}
