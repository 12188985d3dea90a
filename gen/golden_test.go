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

func TestSmallDatasetMatchesGolden(t *testing.T) {
	d := generate(t, smallConfig())
	var jsonl bytes.Buffer
	if err := gen.WriteJSONL(&jsonl, d.Records); err != nil {
		t.Fatal(err)
	}
	files := []struct {
		name string
		got  []byte
	}{
		{"small.jsonl", jsonl.Bytes()},
		{"small.message_facts.tsv", tsv(d.Expected.MessageFactsLines())},
		{"small.message_receipts.tsv", tsv(d.Expected.MessageReceiptsLines())},
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
