package main

import (
	"testing"

	"github.com/chatpulse/chatpulse/gen"
	"github.com/chatpulse/chatpulse/processor"
)

// engagementInput generates the process tests' engagement traffic (days, users, groups and
// messages as given, the rest the generator's defaults) and its records as the producer takes them.
func engagementInput(t *testing.T, days, users, groups, messages int) (gen.Dataset, []processor.RawRecord) {
	t.Helper()
	cfg := gen.DefaultConfig()
	cfg.Days, cfg.Users, cfg.Groups, cfg.Messages = days, users, groups, messages
	data, err := gen.Engagement(cfg)
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]processor.RawRecord, len(data.Records))
	for i, r := range data.Records {
		recs[i] = processor.RawRecord{Key: r.Key, Value: r.Value, TimestampMs: r.TimestampMs}
	}
	return data, recs
}
