package gen

import "fmt"

// The format words: each is a record's Format and the source column of its rows.
const (
	FormatCausalFoundry = "causalfoundry"
	FormatExpertflow    = "expertflow"
	FormatChatlayer     = "chatlayer"
	FormatVoipbin       = "voipbin"
)

// Formats lists the format words in the order Mixed breaks arrival ties.
func Formats() []string {
	return []string{FormatCausalFoundry, FormatExpertflow, FormatChatlayer, FormatVoipbin}
}

// Record is one raw Kafka record.
type Record struct {
	Key   []byte // random: the raw topic is not partitioned by any state key
	Value []byte // one compact JSON value without a raw newline (poison aside, valid JSON)
	// TimestampMs is when the record was produced: for a record without an event time of its
	// own, its event time; otherwise near, before (out of order) or hours after (late) it.
	TimestampMs int64
	Format      string // the format word of the producer, one of Formats()
}

// Dataset is a raw topic and the rows a correct processor derives from it.
type Dataset struct {
	Records  []Record // raw topic order
	Expected Expected
	Poison   int // records that must be dead-lettered; they yield no row
	Stats    Stats
}

// Stats counts what the records contain; Records has GroupEvents+Messages+Updates+Reactions+
// Receipts+OrphanReceipts+Handovers+Replays+Duplicates+Poison entries.
type Stats struct {
	GroupEvents    int // membership records (Causal Foundry group events, Expertflow participant activities)
	Messages       int // distinct messages, replies included; a VoIPbin message counts its first state
	Replies        int // messages with a parent
	Reactions      int // reaction records, repeats of the same (actor, emoji) included
	Receipts       int // receipt records of existing messages, repeated identities included
	OrphanReceipts int // receipts of messages that never occur
	Handovers      int // handover records (Expertflow handoff and noAgentAvailable, Chatlayer actions)
	Updates        int // later states of a VoIPbin message, each re-sent in full
	Replays        int // Chatlayer messages sent again in other bytes; the derived id makes them one message
	Duplicates     int // extra exact copies
	OutOfOrder     int // receipts, replies, reactions and updates placed before their message
	Late           int // receipts and updates placed hours after their message
	Skewed         int // receipts stamped before their message
}

func (st *Stats) add(o Stats) {
	st.GroupEvents += o.GroupEvents
	st.Messages += o.Messages
	st.Replies += o.Replies
	st.Reactions += o.Reactions
	st.Receipts += o.Receipts
	st.OrphanReceipts += o.OrphanReceipts
	st.Handovers += o.Handovers
	st.Updates += o.Updates
	st.Replays += o.Replays
	st.Duplicates += o.Duplicates
	st.OutOfOrder += o.OutOfOrder
	st.Late += o.Late
	st.Skewed += o.Skewed
}

// part is one format's topic with the arrivals kept, so that Mixed can interleave parts.
type part struct {
	ems         []emission // topic order
	expected    Expected   // message_facts and message_receipts; derive adds the rest
	memberships []MembershipEvent
	handovers   []Handover
	poison      int
	stats       Stats
}

func (p part) dataset() Dataset {
	recs := make([]Record, len(p.ems))
	for i, e := range p.ems {
		recs[i] = e.rec
	}
	return Dataset{Records: recs, Expected: p.expected.derive(p.memberships, p.handovers), Poison: p.poison, Stats: p.stats}
}

// generators make one format's part from a valid Config.
var generators = map[string]func(Config, profile) part{
	FormatCausalFoundry: causalFoundry,
	FormatExpertflow:    expertflow,
	FormatChatlayer:     chatlayer,
	FormatVoipbin:       voipbin,
}

// Generate generates the dataset of the named format, the mixed dataset for "mixed" or the
// engagement dataset for "engagement".
func Generate(format string, cfg Config) (Dataset, error) {
	switch format {
	case FormatMixed:
		return Mixed(cfg)
	case FormatEngagement:
		return Engagement(cfg)
	}
	produce, ok := generators[format]
	if !ok {
		return Dataset{}, fmt.Errorf("generate %q: unknown format", format)
	}
	if err := cfg.Validate(); err != nil {
		return Dataset{}, fmt.Errorf("generate %s: %w", format, err)
	}
	return produce(cfg, profile{}).dataset(), nil
}

// CausalFoundry generates a Causal Foundry chat-module topic and its expected contract rows.
func CausalFoundry(cfg Config) (Dataset, error) { return Generate(FormatCausalFoundry, cfg) }

// Expertflow generates an Expertflow conversation-message topic and its expected contract rows.
func Expertflow(cfg Config) (Dataset, error) { return Generate(FormatExpertflow, cfg) }

// Chatlayer generates a Chatlayer inbound-message topic and its expected contract rows.
func Chatlayer(cfg Config) (Dataset, error) { return Generate(FormatChatlayer, cfg) }

// Voipbin generates a VoIPbin talk-message topic and its expected contract rows.
func Voipbin(cfg Config) (Dataset, error) { return Generate(FormatVoipbin, cfg) }

func causalFoundry(cfg Config, p profile) part {
	g := newRNG(cfg.Seed)
	w := build(cfg, g, p)
	ems, st, poison := w.records(g, cfg)
	return part{ems: ems, expected: w.expected(), memberships: w.memberships(), poison: poison, stats: st}
}
