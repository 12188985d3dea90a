package gen

import (
	"cmp"
	"fmt"
	"slices"
)

// FormatMixed names the dataset that interleaves every format in one topic.
const FormatMixed = "mixed"

// Mixed generates one topic carrying all four formats, interleaved by arrival, and the union
// of their expected rows. Each format is generated from MixedConfig, so the mixed dataset is
// exactly the merge of the four single-format datasets of those configs.
func Mixed(cfg Config) (Dataset, error) { return merge(FormatMixed, cfg, profile{}) }

// merge generates every format from its MixedConfig with the given profile and interleaves
// the parts by arrival.
func merge(name string, cfg Config, prof profile) (Dataset, error) {
	if err := cfg.Validate(); err != nil {
		return Dataset{}, fmt.Errorf("generate %s: %w", name, err)
	}
	if cfg.Messages < len(Formats()) {
		return Dataset{}, fmt.Errorf("generate %s: %sMESSAGES: must be at least %d, one per format", name, envPrefix, len(Formats()))
	}
	type tagged struct {
		emission
		format int
	}
	var all []tagged
	var d Dataset
	var ms []MembershipEvent
	var hs []Handover
	for i, f := range Formats() {
		p := generators[f](mixedConfig(cfg, i), prof)
		for _, e := range p.ems {
			all = append(all, tagged{e, i})
		}
		d.Expected.MessageFacts = append(d.Expected.MessageFacts, p.expected.MessageFacts...)
		d.Expected.MessageReceipts = append(d.Expected.MessageReceipts, p.expected.MessageReceipts...)
		ms = append(ms, p.memberships...)
		hs = append(hs, p.handovers...)
		d.Poison += p.poison
		d.Stats.add(p.stats)
	}
	// Each part is already in topic order, so sorting by (arrival, format, position) keeps it.
	slices.SortStableFunc(all, func(a, b tagged) int {
		return cmp.Or(cmp.Compare(a.arrival, b.arrival), cmp.Compare(a.format, b.format))
	})
	d.Records = make([]Record, len(all))
	for i, t := range all {
		d.Records[i] = t.rec
	}
	d.Expected.sort()
	d.Expected = d.Expected.derive(ms, hs)
	return d, nil
}

// MixedConfig returns the configuration Mixed generates the named format from: its own seed
// and its share of cfg.Messages, everything else as in cfg.
func MixedConfig(cfg Config, format string) (Config, error) {
	i := slices.Index(Formats(), format)
	if i < 0 {
		return Config{}, fmt.Errorf("mixed config %q: unknown format", format)
	}
	return mixedConfig(cfg, i), nil
}

func mixedConfig(cfg Config, i int) Config {
	n := len(Formats())
	cfg.Seed = int64(uint64(cfg.Seed) ^ uint64(i+1)*0x9e3779b97f4a7c15)
	m := cfg.Messages
	cfg.Messages = m / n
	if i < m%n {
		cfg.Messages++
	}
	return cfg
}
