package gen_test

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/gen"
)

func generate(t testing.TB, cfg gen.Config) gen.Dataset {
	t.Helper()
	d, err := gen.CausalFoundry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// defaultDataset is generated and decoded once: several checks read it and none change it.
var defaultDataset = sync.OnceValues(func() (gen.Dataset, error) { return gen.CausalFoundry(gen.DefaultConfig()) })

func generateAndRead(t *testing.T, cfg gen.Config) (gen.Dataset, *refStream) {
	t.Helper()
	var d gen.Dataset
	var err error
	if cfg == gen.DefaultConfig() {
		d, err = defaultDataset()
	} else {
		d, err = gen.CausalFoundry(cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := readStream(d.Records)
	if err != nil {
		t.Fatal(err)
	}
	return d, s
}

func withRates(dup, ooo, late, skew, orphan, bad float64) gen.Config {
	cfg := gen.DefaultConfig()
	cfg.Messages = 600
	cfg.DuplicateRate, cfg.OutOfOrderRate, cfg.LateRate = dup, ooo, late
	cfg.SkewRate, cfg.OrphanRate, cfg.BadRate = skew, orphan, bad
	return cfg
}

func TestSameConfigSameBytes(t *testing.T) {
	a := generate(t, gen.DefaultConfig())
	b := generate(t, gen.DefaultConfig())
	if len(a.Records) != len(b.Records) {
		t.Fatalf("record counts differ: %d and %d", len(a.Records), len(b.Records))
	}
	for i := range a.Records {
		if !recordsEqual(a.Records[i], b.Records[i]) {
			t.Fatalf("record %d differs", i)
		}
	}
	if !slices.Equal(a.Expected.MessageFactsLines(), b.Expected.MessageFactsLines()) ||
		!slices.Equal(a.Expected.MessageReceiptsLines(), b.Expected.MessageReceiptsLines()) {
		t.Fatal("expected rows differ")
	}

	cfg := gen.DefaultConfig()
	cfg.Seed++
	c := generate(t, cfg)
	if bytes.Equal(a.Records[len(a.Records)/2].Value, c.Records[len(c.Records)/2].Value) {
		t.Fatal("another seed gave the same record")
	}
}

// TestExpectedMatchesTheBytes decodes every record independently of the generator's model
// and folds the rows again.
func TestExpectedMatchesTheBytes(t *testing.T) {
	tests := []struct {
		name string
		cfg  gen.Config
	}{
		{"the default config yields exactly its expected rows", gen.DefaultConfig()},
		{"a clean stream without any trouble yields its rows", withRates(0, 0, 0, 0, 0, 0)},
		{"a stream with every trouble at high rates yields its rows", withRates(0.5, 0.5, 0.5, 0.5, 0.5, 0.5)},
		{"every dependent event out of order still yields its rows", withRates(0.2, 1, 0, 0.1, 0.1, 0.1)},
		{"every receipt late still yields its rows", withRates(0.2, 0, 1, 0.1, 0.1, 0.1)},
		{"a world without groups or bots yields its rows", func() gen.Config {
			c := withRates(0.1, 0.1, 0.1, 0.1, 0.1, 0.1)
			c.Groups, c.Bots, c.Users = 0, 0, 2
			return c
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, s := generateAndRead(t, tt.cfg)
			if s.poison != d.Poison {
				t.Errorf("strict decoding rejects %d records, the dataset says %d are poison", s.poison, d.Poison)
			}
			facts, receipts := s.rows()
			diffLines(t, "message_facts", d.Expected.MessageFactsLines(), facts)
			diffLines(t, "message_receipts", d.Expected.MessageReceiptsLines(), receipts)
		})
	}
}

func diffLines(t *testing.T, what string, want, got []string) {
	t.Helper()
	if slices.Equal(want, got) {
		return
	}
	t.Errorf("%s: %d expected lines, %d folded from the bytes", what, len(want), len(got))
	for i := 0; i < len(want) || i < len(got); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Fatalf("first difference at line %d:\nexpected %q\nfrom bytes %q", i, w, g)
		}
	}
}

func TestStreamShape(t *testing.T) {
	tests := []struct {
		name  string
		cfg   gen.Config
		check func(t *testing.T, d gen.Dataset, s *refStream)
	}{
		{"the record count is the sum of its parts", gen.DefaultConfig(), func(t *testing.T, d gen.Dataset, s *refStream) {
			st := d.Stats
			sum := st.GroupEvents + st.Messages + st.Reactions + st.Receipts + st.OrphanReceipts + st.Duplicates + d.Poison
			if sum != len(d.Records) {
				t.Fatalf("stats %+v and poison %d do not add up to %d records", st, d.Poison, len(d.Records))
			}
			reactions := 0
			for _, m := range s.msgs {
				if m.content == "reaction" {
					reactions++
				}
			}
			if len(s.msgs)-reactions != st.Messages || reactions != st.Reactions || st.Messages != len(d.Expected.MessageFacts) {
				t.Fatalf("%d messages and %d reactions in the bytes, stats %+v", len(s.msgs)-reactions, reactions, st)
			}
		}},
		{"every duplicate is an exact copy of an earlier record", gen.DefaultConfig(), func(t *testing.T, d gen.Dataset, _ *refStream) {
			seen := map[string]int{}
			copies := 0
			for _, r := range d.Records {
				k := string(r.Key) + "\x00" + string(r.Value) + "\x00" + strconv.FormatInt(r.TimestampMs, 10)
				if seen[k] > 0 {
					copies++
				}
				seen[k]++
				if seen[k] > 3 {
					t.Fatal("a record appears more than three times")
				}
			}
			if copies != d.Stats.Duplicates || copies == 0 {
				t.Fatalf("%d copies, stats say %d", copies, d.Stats.Duplicates)
			}
		}},
		{"zero rates give a clean stream where everything follows its message", withRates(0, 0, 0, 0, 0, 0), func(t *testing.T, d gen.Dataset, s *refStream) {
			st := d.Stats
			if d.Poison+st.Duplicates+st.OrphanReceipts+st.OutOfOrder+st.Late+st.Skewed != 0 {
				t.Fatalf("trouble in a clean stream: %+v poison %d", st, d.Poison)
			}
			for _, r := range s.receipts {
				if m := s.msgs[r.msgID]; r.index < m.index || r.at < m.at-999 {
					t.Fatalf("receipt %+v precedes its message %+v", r, m)
				}
			}
			for _, m := range s.msgs {
				if p, ok := s.msgs[m.parent]; ok && m.index < p.index {
					t.Fatalf("%s precedes its target %s", m.id, p.id)
				}
			}
		}},
		{"out-of-order events precede their message by at most two hours", withRates(0, 1, 0, 0, 0, 0), func(t *testing.T, d gen.Dataset, s *refStream) {
			if d.Stats.OutOfOrder != d.Stats.Receipts+d.Stats.Replies+d.Stats.Reactions {
				t.Fatalf("stats %+v: not every dependent event is out of order", d.Stats)
			}
			for _, r := range s.receipts {
				m := s.msgs[r.msgID]
				if r.index > m.index || r.tsMs < d.Records[m.index].TimestampMs-2*3600_000 {
					t.Fatalf("receipt %+v is not shortly before its message %+v", r, m)
				}
			}
			for _, m := range s.msgs {
				if p, ok := s.msgs[m.parent]; ok && m.index > p.index {
					t.Fatalf("%s follows its target %s", m.id, p.id)
				}
			}
		}},
		{"late receipts arrive hours after their message and within a day of it", withRates(0, 0, 1, 0, 0, 0), func(t *testing.T, d gen.Dataset, s *refStream) {
			for _, r := range s.receipts {
				m := s.msgs[r.msgID]
				if r.index < m.index || r.tsMs < d.Records[m.index].TimestampMs+2*3600_000 || r.tsMs > m.at+24*3600_000 {
					t.Fatalf("receipt %+v is not late for its message %+v", r, m)
				}
			}
		}},
		{"skewed receipts clamp every latency to zero", withRates(0, 0, 0, 1, 0, 0), func(t *testing.T, d gen.Dataset, s *refStream) {
			for _, f := range d.Expected.MessageFacts {
				if f.DeliveredLatencyMs.Valid && f.DeliveredLatencyMs.Int64 != 0 || f.ReadLatencyMs.Valid && f.ReadLatencyMs.Int64 != 0 {
					t.Fatalf("%s has a latency above zero under full skew", f.MsgID)
				}
			}
			for _, r := range d.Expected.MessageReceipts {
				if r.LatencyMs != 0 {
					t.Fatalf("%+v has a latency above zero under full skew", r)
				}
			}
		}},
		{"orphan receipts name messages that never occur", withRates(0, 0, 0, 0, 0.2, 0), func(t *testing.T, d gen.Dataset, s *refStream) {
			orphans := 0
			for _, r := range s.receipts {
				if _, ok := s.msgs[r.msgID]; !ok {
					orphans++
				}
			}
			if orphans != d.Stats.OrphanReceipts || orphans == 0 {
				t.Fatalf("%d orphan receipts, stats say %d", orphans, d.Stats.OrphanReceipts)
			}
		}},
		{"every event time lies within three days from Start", gen.DefaultConfig(), func(t *testing.T, d gen.Dataset, s *refStream) {
			start := gen.DefaultConfig().Start.UnixMilli()
			for _, at := range s.times {
				if at < start || at > start+3*24*3600_000 {
					t.Fatalf("event time %s outside the span", time.UnixMilli(at).UTC())
				}
			}
		}},
		{"replies, reactions and receipts lie within a day of their message", gen.DefaultConfig(), func(t *testing.T, d gen.Dataset, s *refStream) {
			const dayMs = 24 * 3600_000
			for _, r := range s.receipts {
				if m, ok := s.msgs[r.msgID]; ok && (r.at-m.at > dayMs || m.at-r.at > dayMs || r.tsMs-m.at > dayMs) {
					t.Fatalf("receipt %+v is far from its message %+v", r, m)
				}
			}
			for _, m := range s.msgs {
				if p, ok := s.msgs[m.parent]; ok && (m.at-p.at > dayMs || p.at-m.at > dayMs) {
					t.Fatalf("%s is far from its target %s", m.id, p.id)
				}
			}
		}},
		{"the stream varies its spelling of platforms, envelopes and timestamps", gen.DefaultConfig(), func(t *testing.T, d gen.Dataset, _ *refStream) {
			all := make([][]byte, len(d.Records))
			for i, r := range d.Records {
				all[i] = r.Value
			}
			joined := bytes.Join(all, []byte{'\n'})
			for _, want := range []string{`"WhatsApp"`, `"Telegram"`, `"type":"group","props":{"type":"read"`,
				`"type":"receipt","props":{"type":"delivered"`, `"ts":17`, `Z","type"`, `.`, `+05:30"`,
				`"member_id":null`, `"parent_msg_id":""`, `"type":"reaction"`, `"emoji":"\ud8`,
				`"type":"poll"`, `"type":"location"`, `"type":"contact"`, `"type":"sticker"`, `"type":"video"`,
				`"type":"join"`, `"type":"create"`, `"type":"leave"`, `"type":"failed"`, `"type":"deleted"`} {
				if !bytes.Contains(joined, []byte(want)) {
					t.Errorf("no record contains %s", want)
				}
			}
			large := 0
			for _, v := range all {
				if len(v) > 2048 {
					large++
				}
			}
			if large == 0 {
				t.Error("no record carries a large body")
			}
		}},
		{"rendered rows hold no tab, newline or backslash inside a value", gen.DefaultConfig(), func(t *testing.T, d gen.Dataset, _ *refStream) {
			lines := append(d.Expected.MessageFactsLines(), d.Expected.MessageReceiptsLines()...)
			for _, l := range lines {
				fields := strings.Split(l, "\t")
				if n := len(fields); n != 20 && n != 7 {
					t.Fatalf("%d fields in %q", n, l)
				}
				if strings.ContainsAny(l, "\n\r") || strings.Count(l, `\`) != strings.Count(l, `\N`) {
					t.Fatalf("unsafe characters in %q", l)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, s := generateAndRead(t, tt.cfg)
			tt.check(t, d, s)
		})
	}
}
