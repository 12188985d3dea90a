package gen_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/gen"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// smallConfig is small enough to read by hand and troubled enough to show every feature.
func smallConfig() gen.Config {
	return gen.Config{
		Seed:           51,
		Start:          time.Date(2024, 2, 13, 15, 9, 20, 0, time.UTC),
		Users:          6,
		Bots:           2,
		Groups:         2,
		Messages:       30,
		DuplicateRate:  0.1,
		OutOfOrderRate: 0.15,
		LateRate:       0.1,
		SkewRate:       0.05,
		OrphanRate:     0.1,
		BadRate:        0.1,
	}
}

// goldenName is the testdata file stem of a format's small dataset.
func goldenName(format string) string {
	if format == gen.FormatCausalFoundry {
		return "small"
	}
	return "small_" + format
}

func TestSmallDatasetMatchesGolden(t *testing.T) {
	for _, format := range gen.Formats() {
		t.Run("the small "+format+" dataset matches its golden files", func(t *testing.T) {
			d := generateFormat(t, format, smallConfig())
			var jsonl bytes.Buffer
			if err := gen.WriteJSONL(&jsonl, d.Records); err != nil {
				t.Fatal(err)
			}
			stem := goldenName(format)
			files := []struct {
				name string
				got  []byte
			}{
				{stem + ".jsonl", jsonl.Bytes()},
				{stem + ".message_facts.tsv", tsv(d.Expected.MessageFactsLines())},
				{stem + ".message_receipts.tsv", tsv(d.Expected.MessageReceiptsLines())},
			}
			for _, f := range files {
				path := filepath.Join("testdata", f.name)
				if *update {
					if err := os.WriteFile(path, f.got, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if !bytes.Equal(f.got, want) {
					t.Errorf("%s differs from the generated output (run go test -update after checking the change)", path)
				}
			}
			if n := bytes.Count(jsonl.Bytes(), []byte{'\n'}); n != len(d.Records) {
				t.Fatalf("%d lines for %d records", n, len(d.Records))
			}
		})
	}
}

func tsv(lines []string) []byte {
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// TestSmallDatasetHandCheckedRows pins rows derived by hand from testdata/small.jsonl, so a
// golden rewrite cannot silently accept wrong arithmetic.
func TestSmallDatasetHandCheckedRows(t *testing.T) {
	e := generate(t, smallConfig()).Expected
	facts, receipts := e.MessageFactsLines(), e.MessageReceiptsLines()
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		// Message ts "2024-02-13T15:40:17Z"; delivered "15:40:33.608Z" (placed before the
		// message); read "16:53:20Z"; three reactions by the sender with distinct emoji.
		{"a direct image with an early delivery, a late read and three reactions", facts,
			"causalfoundry\t\twhatsapp\t5554d8ca-a863-4054-a1d8-0a12fe4509bb\t583a6708-e5b4-4c80-9323-39c4ba687687:e6ce5ddf-51ed-485e-9f2d-136f78f38b2e\tbot\t583a6708-e5b4-4c80-9323-39c4ba687687\tuser\te6ce5ddf-51ed-485e-9f2d-136f78f38b2e\t\timage\t2024-02-13 15:40:17\t1707838817000\t16608\t4383000\t0\t0\t0\t\\N\t3"},
		{"its sent receipt names no member", receipts,
			"causalfoundry\t\t5554d8ca-a863-4054-a1d8-0a12fe4509bb\t\tsent\t1707838817633\t633"},
		{"its read receipt is 73 minutes after the message", receipts,
			"causalfoundry\t\t5554d8ca-a863-4054-a1d8-0a12fe4509bb\te6ce5ddf-51ed-485e-9f2d-136f78f38b2e\tread\t1707843200000\t4383000"},
		// Message ts 1707837732086 (epoch ms); delivered "16:22:14.422+01:00"; read
		// 1707837916186; deleted "16:30:46.194Z"; reply 1df0ffd3 at 1707837923969.
		{"a group text that was deleted and got one reply", facts,
			"causalfoundry\t\twhatsapp\t9a46a2a9-d279-4ef7-8908-95b9f0d27c44\t760b7da2-e18a-4b90-a06b-23e95a8c71db\tuser\t18e55931-e03c-46d2-8d58-9e268970d1bb\tgroup\t760b7da2-e18a-4b90-a06b-23e95a8c71db\t\ttext\t2024-02-13 15:22:12\t1707837732086\t2336\t184100\t0\t1\t1\t191883\t0"},
		{"its delivery stamped with a +01:00 offset is read as UTC", receipts,
			"causalfoundry\t\t9a46a2a9-d279-4ef7-8908-95b9f0d27c44\t583a6708-e5b4-4c80-9323-39c4ba687687\tdelivered\t1707837734422\t2336"},
		{"its second-precision sent receipt truncates to the second", receipts,
			"causalfoundry\t\t9a46a2a9-d279-4ef7-8908-95b9f0d27c44\t\tsent\t1707837733000\t914"},
		// recipient_id is null, so the conversation is the sender alone.
		{"a direct text without a recipient is its sender's conversation", facts,
			"causalfoundry\t\ttelegram\t747afa39-2851-4b0f-ba15-c99cda3a6d4a\t4b4b337d-828a-4883-866e-147f5267af5f\tuser\t4b4b337d-828a-4883-866e-147f5267af5f\tuser\t\t\ttext\t2024-02-13 15:30:29\t1707838229000\t331\t\\N\t0\t0\t0\t\\N\t0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !slices.Contains(tt.lines, tt.want) {
				t.Fatalf("no expected line\n%q", tt.want)
			}
		})
	}
}

// TestSmallFormatDatasetsHandCheckedRows pins rows derived by hand from the other formats'
// testdata/small_<format>.jsonl (Chatlayer ids recomputed outside Go from the rule).
func TestSmallFormatDatasetsHandCheckedRows(t *testing.T) {
	const (
		vbTenant = "4b4b337d-828a-4883-866e-147f5267af5f"
		vbTalk   = "16fbb89c-3d96-44d7-a21b-c2827fff2150"
	)
	tests := []struct {
		name, format string
		receipt      bool
		want         string
	}{
		// timestamp "2024-02-13T15:26:10.139141Z" drops its microseconds; to names a
		// Customer and an Agent, so the message goes to the conversation.
		{"an Expertflow bot message to two participants goes to its conversation", gen.FormatExpertflow, false,
			"expertflow\t\tweb\teZCFId7L2kjtNuyBfDU-d\t621bc2827fff2150c66b741d\tbot\t2L9ihKrQgrjpaMxbXeK8j\tgroup\t621bc2827fff2150c66b741d\t\ttext\t2024-02-13 15:26:10\t1707837970139\t\\N\t\\N\t0\t0\t0\t\\N\t0"},
		// timestamp "2024-02-13T15:42:13" has no zone: UTC; channel "Viber"; to is [];
		// attachments[0].mimeType "image/png".
		{"an Expertflow agent image with a zoneless time and an empty to list", gen.FormatExpertflow, false,
			"expertflow\t\tviber\t0kklELyh_a59T-D0McfHX\t3a538a6fd99b376f5fae9e72\tagent\tf083ef7b-03a0-442f-a569-35f828d44017\tgroup\t3a538a6fd99b376f5fae9e72\t\timage\t2024-02-13 15:42:13\t1707838933000\t\\N\t\\N\t0\t0\t0\t\\N\t0"},
		// to names one Agent: recipient_type user with the agent's id.
		{"an Expertflow contact to one agent is addressed to that agent", gen.FormatExpertflow, false,
			"expertflow\t\tviber\tFYCFNbbaBKUu-TYR-kRet\t3a538a6fd99b376f5fae9e72\tuser\tkj1ckoVFQj73wUlw-t3fR\tuser\tf083ef7b-03a0-442f-a569-35f828d44017\t\tcontact\t2024-02-13 15:41:19\t1707838879538\t\\N\t\\N\t0\t0\t0\t\\N\t0"},
		{"an Expertflow epoch in a numeric string is read as ms", gen.FormatExpertflow, false,
			"expertflow\t\tsms\tF9qchRwva_2qcNHi1qEke\t3054582870ef8523a8718dca\tuser\tLLz9CKIDGuU-Snvf4cbvr\tuser\t2L9ihKrQgrjpaMxbXeK8j\t\ttext\t2024-02-13 15:50:02\t1707839402501\t\\N\t\\N\t0\t0\t0\t\\N\t0"},
		// Sent again later in reversed key order with the title's emoji as \u escapes: one id.
		{"a replayed Chatlayer postback is one message", gen.FormatChatlayer, false,
			"chatlayer\t\tother\tcl-e2dfbe559bda903382a6528ef5bc3b32\t611e5fab-4663-42d5-b7f8-3e9184a71574\tuser\t611e5fab-4663-42d5-b7f8-3e9184a71574\tuser\t\t\tpostback\t2024-02-13 15:36:40\t1707838600118\t\\N\t\\N\t0\t0\t0\t\\N\t0"},
		{"a Chatlayer bot without an actor id is the sender bot", gen.FormatChatlayer, false,
			"chatlayer\t\tother\tcl-7a87dd50e5f5480aac09627fc988c516\t7850775915065905\tbot\tbot\tuser\t7850775915065905\t\ttext\t2024-02-13 15:31:03\t1707838263896\t\\N\t\\N\t0\t0\t0\t\\N\t0"},
		// One ms after a handover to an agent; the agent names no id.
		{"a Chatlayer agent upload without an actor id", gen.FormatChatlayer, false,
			"chatlayer\t\tother\tcl-376c23decc8591867b5ddc68473857ab\t611e5fab-4663-42d5-b7f8-3e9184a71574\tagent\tagent\tuser\t611e5fab-4663-42d5-b7f8-3e9184a71574\t\tupload\t2024-02-13 15:37:42\t1707838662793\t\\N\t\\N\t0\t0\t0\t\\N\t0"},
		{"a Chatlayer bot upload of three urls by a named bot", gen.FormatChatlayer, false,
			"chatlayer\t\tother\tcl-f965eb4b4a04a4a79414efbf04f7b0c7\t7850775915065905\tbot\tbot-e6ef210be9bf\tuser\t7850775915065905\t\tupload\t2024-02-13 15:21:05\t1707837665711\t\\N\t\\N\t0\t0\t0\t\\N\t0"},
		// States by tm_update: 15:45:11.737 [], 17:15:19.051 [🤗], 18:04:13.329 [🤗],
		// 19:09:36.177 [🤗 ❤️], 20:15:24.092 [🤗 ❤️ 😂]. The 20:15 state arrives first, before the
		// creation, and the 18:04 one last: the greatest tm_update decides, 3 reactions.
		{"a VoIPbin reply keeps the reactions of its latest update whatever the arrival order", gen.FormatVoipbin, false,
			"voipbin\t" + vbTenant + "\tother\tf15837dd-b34a-4bb5-b943-e3f6559a17d1\t" + vbTalk + "\tagent\tb7f83e91-84a7-4574-a6ef-210be9bf1c31\tgroup\t" + vbTalk + "\t6ed6cd16-0469-436a-8415-1d9c0788be8c\ttext\t2024-02-13 15:45:11\t1707839111737\t\\N\t\\N\t0\t0\t0\t\\N\t3"},
		// Created 1707838797515 (epoch in one record, "15:39:57.515722" in another); reply at
		// 15:45:11.737 is 314222 ms later; the 18:22:57.297 state lists 👍 and 🎉.
		{"a VoIPbin parent counts its reply and its two reactions", gen.FormatVoipbin, false,
			"voipbin\t" + vbTenant + "\tother\t6ed6cd16-0469-436a-8415-1d9c0788be8c\t" + vbTalk + "\tuser\t60f97590-1f16-4981-983a-6708e5b47c80\tgroup\t" + vbTalk + "\t\ttext\t2024-02-13 15:39:57\t1707838797515\t\\N\t\\N\t0\t0\t1\t314222\t2"},
		// Deleted at 17:04:10.718 (written with three different microsecond tails and once as
		// RFC 3339); created 15:30:09.984; reply bca27c03 at 15:52:44.963; last state lists 😮.
		{"a deleted VoIPbin message stays with its reply and reaction", gen.FormatVoipbin, false,
			"voipbin\t" + vbTenant + "\tother\t739fb4f3-e747-48c4-a355-020d53696cdd\t8d20bc61-d41e-4080-b64e-218aa210f999\tbot\t9a6cb1d6-66c2-46ae-83c1-1b010c7343ca\tgroup\t8d20bc61-d41e-4080-b64e-218aa210f999\t\ttext\t2024-02-13 15:30:09\t1707838209984\t\\N\t\\N\t0\t1\t1\t1354979\t1"},
		{"its deletion is a receipt 5640734 ms after creation", gen.FormatVoipbin, true,
			"voipbin\t" + vbTenant + "\t739fb4f3-e747-48c4-a355-020d53696cdd\t\tdeleted\t1707843850718\t5640734"},
		// 16:46 adds 🙏, 17:23 removes it, 19:46 adds 😮; the 19:01 edit arrives first of all.
		{"a VoIPbin reaction removed by an update no longer counts", gen.FormatVoipbin, false,
			"voipbin\t" + vbTenant + "\tother\t0a472c4a-3699-4108-b387-aef8c3ee483a\t79bf4779-8983-408d-b60b-7da2e18a2b90\tuser\td023bbf7-b054-4530-bf6d-379f910736ca\tgroup\t79bf4779-8983-408d-b60b-7da2e18a2b90\t\ttext\t2024-02-13 15:51:04\t1707839464443\t\\N\t\\N\t0\t0\t0\t\\N\t1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := generateFormat(t, tt.format, smallConfig()).Expected
			lines := e.MessageFactsLines()
			if tt.receipt {
				lines = e.MessageReceiptsLines()
			}
			if !slices.Contains(lines, tt.want) {
				t.Fatalf("no expected line\n%q", tt.want)
			}
		})
	}
}
