package gen

import "fmt"

// Record is one raw Kafka record.
type Record struct {
	Key   []byte // random: the raw topic is not partitioned by any state key
	Value []byte // one compact JSON envelope without a raw newline (poison aside, valid JSON)
	// TimestampMs is when the record was produced: for a group event, which has no "ts",
	// its event time; otherwise near, before (out of order) or hours after (late) its "ts".
	TimestampMs int64
}

// Dataset is a raw topic and the rows a correct processor derives from it.
type Dataset struct {
	Records  []Record // raw topic order
	Expected Expected
	Poison   int // records that must be dead-lettered; they yield no row
	Stats    Stats
}

// Stats counts what the records contain; Records has
// GroupEvents+Messages+Reactions+Receipts+OrphanReceipts+Duplicates+Poison entries.
type Stats struct {
	GroupEvents    int // membership records (no ts)
	Messages       int // distinct messages, replies included
	Replies        int // messages with a parent
	Reactions      int // reaction records, repeats of the same (actor, emoji) included
	Receipts       int // receipt records of existing messages, repeated identities included
	OrphanReceipts int // receipts of messages that never occur
	Duplicates     int // extra exact copies
	OutOfOrder     int // receipts, replies and reactions placed before their message
	Late           int // receipts placed hours after their message
	Skewed         int // receipts stamped before their message
}

// CausalFoundry generates a Causal Foundry chat-module topic and its expected contract rows.
func CausalFoundry(cfg Config) (Dataset, error) {
	if err := cfg.Validate(); err != nil {
		return Dataset{}, fmt.Errorf("generate causalfoundry: %w", err)
	}
	g := newRNG(cfg.Seed)
	w := build(cfg, g)
	recs, st, poison := w.records(g, cfg)
	return Dataset{Records: recs, Expected: w.expected(), Poison: poison, Stats: st}, nil
}
