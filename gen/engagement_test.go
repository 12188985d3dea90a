package gen_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/gen"
)

// engagementConfig is the multi-day config the engagement tests share.
func engagementConfig() gen.Config {
	cfg := gen.DefaultConfig()
	cfg.Days = 10
	cfg.Users, cfg.Groups, cfg.Messages = 40, 6, 2400
	return cfg
}

// smallEngagementConfig is small enough to read its golden files by hand.
func smallEngagementConfig() gen.Config {
	cfg := smallConfig()
	cfg.Days = 10
	cfg.Messages = 160
	return cfg
}

func engagement(t testing.TB, cfg gen.Config) gen.Dataset {
	t.Helper()
	d, err := gen.Engagement(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// viewLines names every rendered view and metric of a dataset, in golden file order.
func viewLines(e gen.Expected) []struct {
	name  string
	lines []string
} {
	return []struct {
		name  string
		lines []string
	}{
		{"message_facts", e.MessageFactsLines()},
		{"message_receipts", e.MessageReceiptsLines()},
		{"user_sessions", e.UserSessionsLines()},
		{"membership_events", e.MembershipEventsLines()},
		{"group_members", e.GroupMembersLines()},
		{"group_daily", e.GroupDailyLines()},
		{"handovers", e.HandoversLines()},
		{"engagement_daily", e.EngagementDailyLines()},
		{"dau_wau_mau", e.DauWauMauLines()},
		{"new_users", e.NewUsersLines()},
		{"bot_replies", e.BotRepliesLines()},
		{"bot_response", e.BotResponseLines()},
		{"first_human_response", e.FirstHumanResponseLines()},
		{"containment", e.ContainmentLines()},
		{"reactions_per_message", e.ReactionsPerMessageLines()},
	}
}

func TestEngagementSameConfigSameBytes(t *testing.T) {
	cfg := engagementConfig()
	a, b := engagement(t, cfg), engagement(t, cfg)
	if len(a.Records) != len(b.Records) {
		t.Fatalf("record counts differ: %d and %d", len(a.Records), len(b.Records))
	}
	for i := range a.Records {
		if !recordsEqual(a.Records[i], b.Records[i]) || a.Records[i].Format != b.Records[i].Format {
			t.Fatalf("record %d differs", i)
		}
	}
	va, vb := viewLines(a.Expected), viewLines(b.Expected)
	for i := range va {
		if !slices.Equal(va[i].lines, vb[i].lines) {
			t.Fatalf("%s rows differ", va[i].name)
		}
	}
	cfg.Seed++
	c := engagement(t, cfg)
	if slices.Equal(a.Expected.UserSessionsLines(), c.Expected.UserSessionsLines()) {
		t.Fatal("another seed gave the same sessions")
	}
}

func TestDaysOneKeepsEveryDataset(t *testing.T) {
	for _, format := range allFormats {
		t.Run("days 0 and days 1 give the same "+format+" bytes", func(t *testing.T) {
			zero, one := smallConfig(), smallConfig()
			zero.Days, one.Days = 0, 1
			a, b := generateFormat(t, format, zero), generateFormat(t, format, one)
			if len(a.Records) != len(b.Records) {
				t.Fatalf("record counts differ: %d and %d", len(a.Records), len(b.Records))
			}
			for i := range a.Records {
				if !recordsEqual(a.Records[i], b.Records[i]) {
					t.Fatalf("record %d differs", i)
				}
			}
		})
	}
}

func TestDaysSpreadTheTraffic(t *testing.T) {
	for _, format := range gen.Formats() {
		t.Run(format+" messages of ten days fall on ten days and bring new users later", func(t *testing.T) {
			cfg := gen.DefaultConfig()
			cfg.Days, cfg.Messages = 10, 1000
			e := generateFormat(t, format, cfg).Expected
			days := map[string]bool{}
			for _, f := range e.MessageFacts {
				days[f.SentAt.Format(time.DateOnly)] = true
			}
			if len(days) < 10 {
				t.Fatalf("messages on %d days", len(days))
			}
			late := 0
			for _, n := range e.NewUsers[1:] {
				late += int(n.NewUsers)
			}
			if late == 0 {
				t.Fatalf("no user appears after the first day: %v", e.NewUsersLines())
			}
			if len(e.DauWauMau) < 10 {
				t.Fatalf("users active on %d days", len(e.DauWauMau))
			}
		})
	}
}

func TestDaysValidate(t *testing.T) {
	tests := []struct {
		name string
		days int
		ok   bool
	}{
		{"zero days count as one", 0, true},
		{"ten days are valid", 10, true},
		{"negative days are rejected", -1, false},
		{"more than a thousand days are rejected", 1001, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := gen.DefaultConfig()
			cfg.Days = tt.days
			err := cfg.Validate()
			if tt.ok != (err == nil) || !tt.ok && !strings.Contains(err.Error(), "CHATPULSE_GEN_DAYS: ") {
				t.Fatalf("Validate() = %v", err)
			}
		})
	}
}

// TestEngagementShape checks that the dataset exercises every view and metric.
func TestEngagementShape(t *testing.T) {
	d := engagement(t, engagementConfig())
	e := d.Expected
	count := func(lines []string, subs ...string) int {
		n := 0
		for _, l := range lines {
			all := true
			for _, s := range subs {
				all = all && strings.Contains(l, s)
			}
			if all {
				n++
			}
		}
		return n
	}
	ms := e.MembershipEventsLines()
	var split, addressed, multiDay, newLater int
	for _, s := range e.UserSessions {
		if s.Messages > s.UserMessages {
			addressed++
		}
	}
	for i := 1; i < len(e.UserSessions); i++ {
		p, s := e.UserSessions[i-1], e.UserSessions[i]
		if p.Source == s.Source && p.Tenant == s.Tenant && p.Platform == s.Platform && p.UserID == s.UserID && s.StartMs-p.EndMs < time.Hour.Milliseconds() {
			split++
		}
	}
	for _, r := range e.DauWauMau {
		if r.WAU > r.DAU {
			multiDay++
		}
	}
	for _, n := range e.NewUsers[1:] {
		newLater += int(n.NewUsers)
	}
	rejoined := 0
	for _, m := range e.GroupMembers {
		if m.IsMember && m.JoinedAtMs > 0 && count(ms, m.GroupID+"\t"+m.MemberID+"\t", "\tleave\t") > 0 {
			rejoined++
		}
	}
	nonMember := 0
	for _, f := range e.MessageFacts {
		if f.Source == gen.FormatCausalFoundry && f.RecipientType == "group" && count(ms, f.ConversationID+"\t"+f.SenderID+"\t", "\tjoin\t") == 0 {
			nonMember++
		}
	}
	checks := []struct {
		name string
		n    int
	}{
		{"CF removes", count(ms, gen.FormatCausalFoundry, "\tremove\t")},
		{"CF group updates", count(ms, gen.FormatCausalFoundry, "\tupdate\t")},
		{"CF group deletes", count(ms, gen.FormatCausalFoundry, "\tdelete\t")},
		{"EF leaves", count(ms, gen.FormatExpertflow, "\tleave\t")},
		{"re-joined members", rejoined},
		{"group messages from non-members", nonMember},
		{"EF handoffs", count(e.HandoversLines(), gen.FormatExpertflow, "\tagent\t")},
		{"EF noAgentAvailable", count(e.HandoversLines(), gen.FormatExpertflow, "\tbot\t")},
		{"CL handovers to agents", count(e.HandoversLines(), gen.FormatChatlayer, "\tagent\t")},
		{"CL handovers to bots", count(e.HandoversLines(), gen.FormatChatlayer, "\tbot\t")},
		{"sessions with addressed activity", addressed},
		{"sessions split by less than an hour", split},
		{"days whose WAU exceeds the DAU", multiDay},
		{"users new after the first day", newLater},
		{"answered user messages", int(e.BotResponse.Answered)},
		{"answered handovers to agents", int(e.FirstHumanResponse.Answered)},
		{"sessions handed over", int(e.Containment.HandedOver)},
		{"replied bot messages", int(e.BotReplies.Replied)},
		{"reactions", int(e.ReactionsPerMessage.Reactions)},
		{"group days with active members", count(e.GroupDailyLines(), "\t"+gen.FormatCausalFoundry+"\t")},
	}
	for _, c := range checks {
		if c.n == 0 {
			t.Errorf("no %s", c.name)
		}
	}
	// Ten days from an afternoon start touch eleven calendar days.
	last := e.DauWauMau[len(e.DauWauMau)-1]
	if len(e.DauWauMau) != 11 || last.MAU <= last.WAU || last.WAU <= last.DAU {
		t.Errorf("dau_wau_mau %v", e.DauWauMauLines())
	}
	t.Logf("engagement: %d records, %d messages, %d sessions, %d group members, %d group days, %d handovers, %d engagement days, stats %+v",
		len(d.Records), len(e.MessageFacts), len(e.UserSessions), len(e.GroupMembers), len(e.GroupDaily), len(e.Handovers), len(e.EngagementDaily), d.Stats)
}

// TestEngagementMessagesArriveInTimeOrder checks that no message's first record arrives more
// than a few seconds behind a message already seen, by the reference readers.
func TestEngagementMessagesArriveInTimeOrder(t *testing.T) {
	const slack = 15 * 1000
	d := engagement(t, engagementConfig())
	for _, format := range gen.Formats() {
		var recs []gen.Record
		for _, r := range d.Records {
			if r.Format == format {
				recs = append(recs, r)
			}
		}
		type first struct {
			index int
			at    int64
		}
		var firsts []first
		if format == gen.FormatCausalFoundry {
			s, err := readStream(recs)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range s.msgs {
				if m.content != "reaction" {
					firsts = append(firsts, first{m.index, m.at})
				}
			}
		} else {
			r, err := readFormat(format, recs)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range r.msgs {
				firsts = append(firsts, first{m.index, m.at})
			}
			for _, s := range r.states {
				firsts = append(firsts, first{s.index, s.created})
			}
		}
		slices.SortFunc(firsts, func(a, b first) int { return a.index - b.index })
		var high int64
		for _, f := range firsts {
			if f.at < high-slack {
				t.Fatalf("%s: a message of %d arrives %d ms behind one already seen", format, f.at, high-f.at)
			}
			high = max(high, f.at)
		}
	}
}

// refSessionID computes a session id from the specification's wording.
func refSessionID(parts ...string) string {
	var buf []byte
	for _, p := range parts {
		buf = binary.BigEndian.AppendUint64(buf, uint64(len(p)))
		buf = append(buf, p...)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])[:32]
}

// TestEngagementRowInvariants checks the new rows against each other and the message rows.
func TestEngagementRowInvariants(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		cfg := engagementConfig()
		cfg.Seed = seed
		e := engagement(t, cfg).Expected
		var own, addressed uint64
		for _, f := range e.MessageFacts {
			switch {
			case f.SenderType == "user":
				own++
			case f.RecipientType == "user" && f.RecipientID != "":
				addressed++
			}
		}
		var msgs, users uint64
		for i, s := range e.UserSessions {
			if s.SessionID != refSessionID(s.Source, s.Tenant, s.Platform, s.UserID, strconv.FormatInt(s.StartMs, 10)) {
				t.Fatalf("session %+v: id is not the hash of its key and start", s)
			}
			if s.StartMs > s.EndMs || s.Messages < s.UserMessages || s.Messages == 0 {
				t.Fatalf("session %+v is inconsistent", s)
			}
			if i > 0 {
				p := e.UserSessions[i-1]
				if p.Source == s.Source && p.Tenant == s.Tenant && p.Platform == s.Platform && p.UserID == s.UserID && s.StartMs-p.EndMs <= 30*60*1000 {
					t.Fatalf("sessions %+v and %+v are within the gap", p, s)
				}
			}
			msgs += uint64(s.Messages)
			users += uint64(s.UserMessages)
		}
		if users != own || msgs != own+addressed {
			t.Fatalf("sessions hold %d messages (%d own), the facts %d own and %d addressed", msgs, users, own, addressed)
		}

		var dayMessages, daySessions, dayHandovers uint64
		for _, r := range e.EngagementDaily {
			dayMessages += r.Messages
			daySessions += r.Sessions
			dayHandovers += r.Handovers
			if r.Delivered < r.Read || r.Messages < r.Delivered || r.ActiveUsers > r.Messages ||
				r.DeliveryP50.Valid != (r.Delivered > 0) || r.ReadP99.Valid != (r.Read > 0) ||
				r.DeliveryP50.Valid && (r.DeliveryP50.Int64 > r.DeliveryP90.Int64 || r.DeliveryP90.Int64 > r.DeliveryP99.Int64) {
				t.Fatalf("engagement day %+v is inconsistent", r)
			}
		}
		if dayMessages != uint64(len(e.MessageFacts)) || daySessions > uint64(len(e.UserSessions)) || dayHandovers > uint64(len(e.Handovers)) {
			t.Fatalf("engagement days count %d messages, %d sessions and %d handovers", dayMessages, daySessions, dayHandovers)
		}

		var newUsers uint64
		for _, n := range e.NewUsers {
			newUsers += n.NewUsers
		}
		distinct := map[string]bool{}
		for _, f := range e.MessageFacts {
			if f.SenderType == "user" {
				distinct[f.Source+"\x00"+f.Tenant+"\x00"+f.SenderID] = true
			}
		}
		if newUsers != uint64(len(distinct)) || e.DauWauMau[len(e.DauWauMau)-1].MAU != uint64(len(distinct)) {
			t.Fatalf("%d new users and a last MAU of %d for %d users", newUsers, e.DauWauMau[len(e.DauWauMau)-1].MAU, len(distinct))
		}
		for _, r := range e.DauWauMau {
			if r.DAU == 0 || r.DAU > r.WAU || r.WAU > r.MAU || r.Stickiness != float64(r.DAU)/float64(r.MAU) {
				t.Fatalf("dau_wau_mau row %+v is inconsistent", r)
			}
		}

		for _, m := range e.GroupMembers {
			if m.IsMember == m.LeftAtMs.Valid || m.UpdatedAtMs < m.JoinedAtMs ||
				m.LeftAtMs.Valid && m.UpdatedAtMs != max(m.JoinedAtMs, m.LeftAtMs.Int64) {
				t.Fatalf("group member %+v is inconsistent", m)
			}
		}
		for _, g := range e.GroupDaily {
			if g.NetChange != int64(g.Joins)-int64(g.Leaves)-int64(g.Removes) {
				t.Fatalf("group day %+v: net change", g)
			}
		}
		c := e.Containment
		if c.Sessions != uint64(len(e.UserSessions)) || c.HandedOver > c.Sessions || c.Containment+c.HandoverRate != 1 {
			t.Fatalf("containment %+v", c)
		}
		if e.BotResponse.P50Ms > e.BotResponse.P90Ms || e.FirstHumanResponse.Answered > e.FirstHumanResponse.HandoversToAgent {
			t.Fatalf("bot response %+v, first human response %+v", e.BotResponse, e.FirstHumanResponse)
		}
	}
}

// TestEngagementExpectedMatchesTheBytes reads the topic with the reference readers: the
// message rows of the multi-day topic are exactly those the bytes give.
func TestEngagementExpectedMatchesTheBytes(t *testing.T) {
	d := engagement(t, engagementConfig())
	facts, receipts, poison, err := readAny(d.Records)
	if err != nil {
		t.Fatal(err)
	}
	if poison != d.Poison {
		t.Errorf("strict decoding rejects %d records, the dataset says %d are poison", poison, d.Poison)
	}
	diffLines(t, "message_facts", d.Expected.MessageFactsLines(), facts)
	diffLines(t, "message_receipts", d.Expected.MessageReceiptsLines(), receipts)
}

func TestEngagementGolden(t *testing.T) {
	d := engagement(t, smallEngagementConfig())
	var jsonl bytes.Buffer
	if err := gen.WriteJSONL(&jsonl, d.Records); err != nil {
		t.Fatal(err)
	}
	files := []struct {
		name string
		got  []byte
	}{{"small_engagement.jsonl", jsonl.Bytes()}}
	for _, v := range viewLines(d.Expected) {
		files = append(files, struct {
			name string
			got  []byte
		}{"small_engagement." + v.name + ".tsv", tsv(v.lines)})
	}
	for _, f := range files {
		checkGolden(t, f.name, f.got)
	}
}

// checkGolden compares got with testdata/name, or rewrites the file with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the generated output (run go test -update after checking the change)", path)
	}
}
