package gen_test

import (
	"bytes"
	"slices"
	"strconv"
	"testing"

	"github.com/chatpulse/chatpulse/gen"
)

// allFormats are the words Generate accepts: every format and the mixed topic.
var allFormats = append(gen.Formats(), gen.FormatMixed)

func generateFormat(t testing.TB, format string, cfg gen.Config) gen.Dataset {
	t.Helper()
	d, err := gen.Generate(format, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestEveryFormatSameConfigSameBytes(t *testing.T) {
	for _, format := range allFormats {
		t.Run(format+" reproduces its bytes and rows from the same config", func(t *testing.T) {
			cfg := withRates(0.1, 0.1, 0.1, 0.1, 0.1, 0.1)
			a, b := generateFormat(t, format, cfg), generateFormat(t, format, cfg)
			if len(a.Records) != len(b.Records) {
				t.Fatalf("record counts differ: %d and %d", len(a.Records), len(b.Records))
			}
			for i := range a.Records {
				if !recordsEqual(a.Records[i], b.Records[i]) || a.Records[i].Format != b.Records[i].Format {
					t.Fatalf("record %d differs", i)
				}
			}
			if !slices.Equal(a.Expected.MessageFactsLines(), b.Expected.MessageFactsLines()) ||
				!slices.Equal(a.Expected.MessageReceiptsLines(), b.Expected.MessageReceiptsLines()) {
				t.Fatal("expected rows differ")
			}
			cfg.Seed++
			c := generateFormat(t, format, cfg)
			if slices.Equal(a.Expected.MessageFactsLines(), c.Expected.MessageFactsLines()) {
				t.Fatal("another seed gave the same rows")
			}
		})
	}
}

// TestEveryFormatExpectedMatchesTheBytes reads every record with the reference readers and
// folds the rows again.
func TestEveryFormatExpectedMatchesTheBytes(t *testing.T) {
	configs := []struct {
		name string
		cfg  gen.Config
	}{
		{"the default config", gen.DefaultConfig()},
		{"a clean stream", withRates(0, 0, 0, 0, 0, 0)},
		{"every trouble at high rates", withRates(0.5, 0.5, 0.5, 0.5, 0.5, 0.5)},
		{"every dependent event out of order", withRates(0.2, 1, 0, 0.1, 0.1, 0.1)},
		{"every dependent event late", withRates(0.2, 0, 1, 0.1, 0.1, 0.1)},
		{"a world without groups or bots", func() gen.Config {
			c := withRates(0.1, 0.1, 0.1, 0.1, 0.1, 0.1)
			c.Groups, c.Bots, c.Users = 0, 0, 2
			return c
		}()},
	}
	for _, format := range allFormats {
		for _, c := range configs {
			t.Run(format+" yields exactly its expected rows under "+c.name, func(t *testing.T) {
				d := generateFormat(t, format, c.cfg)
				facts, receipts, poison, err := readAny(d.Records)
				if err != nil {
					t.Fatal(err)
				}
				if poison != d.Poison {
					t.Errorf("strict reading rejects %d records, the dataset says %d are poison", poison, d.Poison)
				}
				diffLines(t, "message_facts", d.Expected.MessageFactsLines(), facts)
				diffLines(t, "message_receipts", d.Expected.MessageReceiptsLines(), receipts)
			})
		}
	}
}

func TestEveryFormatStreamShape(t *testing.T) {
	for _, format := range allFormats {
		t.Run(format+" records add up to the stats and duplicates are exact copies", func(t *testing.T) {
			d := generateFormat(t, format, gen.DefaultConfig())
			st := d.Stats
			sum := st.GroupEvents + st.Messages + st.Updates + st.Reactions + st.Receipts + st.OrphanReceipts +
				st.Handovers + st.Replays + st.Duplicates + d.Poison
			if sum != len(d.Records) || st.Messages != len(d.Expected.MessageFacts) {
				t.Fatalf("stats %+v and poison %d do not add up to %d records and %d facts", st, d.Poison,
					len(d.Records), len(d.Expected.MessageFacts))
			}
			seen := map[string]int{}
			copies := 0
			for _, r := range d.Records {
				if !slices.Contains(gen.Formats(), r.Format) || (format != gen.FormatMixed && r.Format != format) {
					t.Fatalf("record of format %q in a %s dataset", r.Format, format)
				}
				if bytes.IndexByte(r.Value, '\n') >= 0 {
					t.Fatal("a record holds a raw newline")
				}
				k := string(r.Key) + "\x00" + string(r.Value) + "\x00" + strconv.FormatInt(r.TimestampMs, 10)
				if seen[k] > 0 {
					copies++
				}
				seen[k]++
			}
			if copies != st.Duplicates || copies == 0 || d.Poison == 0 {
				t.Fatalf("%d copies, stats say %d; %d poison", copies, st.Duplicates, d.Poison)
			}
		})
		t.Run(format+" event times lie within three days from Start", func(t *testing.T) {
			d := generateFormat(t, format, gen.DefaultConfig())
			start := gen.DefaultConfig().Start.UnixMilli()
			for _, f := range d.Expected.MessageFacts {
				if f.SentAtMs < start || f.SentAtMs > start+3*24*3600_000 {
					t.Fatalf("%+v outside the span", f)
				}
			}
			for _, r := range d.Expected.MessageReceipts {
				if r.AtMs < start || r.AtMs > start+3*24*3600_000 {
					t.Fatalf("%+v outside the span", r)
				}
			}
		})
		t.Run(format+" zero rates give a stream without trouble", func(t *testing.T) {
			d := generateFormat(t, format, withRates(0, 0, 0, 0, 0, 0))
			st := d.Stats
			if d.Poison+st.Duplicates+st.Replays+st.OrphanReceipts+st.OutOfOrder+st.Late+st.Skewed != 0 {
				t.Fatalf("trouble in a clean stream: %+v poison %d", st, d.Poison)
			}
		})
	}
}
