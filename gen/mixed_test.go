package gen_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/gen"
)

// TestMixedIsTheMergeOfItsParts generates each format alone from the config Mixed gives it
// and checks that the mixed topic interleaves exactly those records and expects exactly the
// union of their rows.
func TestMixedIsTheMergeOfItsParts(t *testing.T) {
	tests := []struct {
		name string
		cfg  gen.Config
	}{
		{"the default mixed topic is the union of its four parts", gen.DefaultConfig()},
		{"a small troubled mixed topic is the union of its four parts", smallConfig()},
		{"a mixed topic whose messages do not split evenly is the union of its parts", func() gen.Config {
			c := withRates(0.5, 0.5, 0.5, 0.5, 0.5, 0.5)
			c.Messages = 7
			return c
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mixed := generateFormat(t, gen.FormatMixed, tt.cfg)
			var facts, receipts []string
			var stats gen.Stats
			poison, messages, seeds := 0, 0, map[int64]bool{tt.cfg.Seed: true}
			for _, format := range gen.Formats() {
				sub, err := gen.MixedConfig(tt.cfg, format)
				if err != nil {
					t.Fatal(err)
				}
				if seeds[sub.Seed] {
					t.Fatalf("%s shares a seed", format)
				}
				seeds[sub.Seed] = true
				messages += sub.Messages
				part := generateFormat(t, format, sub)
				var got []gen.Record
				for _, r := range mixed.Records {
					if r.Format == format {
						got = append(got, r)
					}
				}
				if len(got) != len(part.Records) {
					t.Fatalf("%s: %d records in the mixed topic, %d alone", format, len(got), len(part.Records))
				}
				for i := range got {
					if !recordsEqual(got[i], part.Records[i]) {
						t.Fatalf("%s: record %d differs from the format alone", format, i)
					}
				}
				facts = append(facts, part.Expected.MessageFactsLines()...)
				receipts = append(receipts, part.Expected.MessageReceiptsLines()...)
				poison += part.Poison
				stats.Messages += part.Stats.Messages
				stats.Duplicates += part.Stats.Duplicates
			}
			slices.Sort(facts)
			slices.Sort(receipts)
			diffLines(t, "message_facts", facts, mixed.Expected.MessageFactsLines())
			diffLines(t, "message_receipts", receipts, mixed.Expected.MessageReceiptsLines())
			if messages != tt.cfg.Messages || mixed.Poison != poison || mixed.Stats.Messages != stats.Messages ||
				mixed.Stats.Duplicates != stats.Duplicates {
				t.Fatalf("parts hold %d messages, %d poison, stats %+v; mixed poison %d, stats %+v",
					messages, poison, stats, mixed.Poison, mixed.Stats)
			}
		})
	}
}

func TestMixedInterleavesFormatsInArrivalOrder(t *testing.T) {
	d := generateFormat(t, gen.FormatMixed, gen.DefaultConfig())
	switches, counts := 0, map[string]int{}
	for i, r := range d.Records {
		counts[r.Format]++
		if i > 0 && r.Format != d.Records[i-1].Format {
			switches++
		}
	}
	if switches < len(d.Records)/4 {
		t.Fatalf("the format changes only %d times in %d records", switches, len(d.Records))
	}
	t.Logf("default mixed topic: %d records, by format %v, poison %d, stats %+v", len(d.Records), counts, d.Poison, d.Stats)
}

func TestGenerateRejectsWhatItCannotMake(t *testing.T) {
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"an unknown format is rejected", func() error { _, err := gen.Generate("telegram", gen.DefaultConfig()); return err }, "unknown format"},
		{"a mixed topic with fewer messages than formats is rejected", func() error {
			cfg := gen.DefaultConfig()
			cfg.Messages = 3
			_, err := gen.Mixed(cfg)
			return err
		}, "CHATPULSE_GEN_MESSAGES: "},
		{"a mixed config of an unknown format is rejected", func() error { _, err := gen.MixedConfig(gen.DefaultConfig(), "mixed"); return err }, "unknown format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestCausalFoundryRecordsNameTheirFormat(t *testing.T) {
	d := generate(t, smallConfig())
	for _, r := range d.Records {
		if r.Format != gen.FormatCausalFoundry {
			t.Fatalf("record of format %q", r.Format)
		}
	}
	if !reflect.DeepEqual(gen.Formats(), []string{"causalfoundry", "expertflow", "chatlayer", "voipbin"}) {
		t.Fatalf("formats %v", gen.Formats())
	}
}
