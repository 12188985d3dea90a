package gen_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chatpulse/chatpulse/gen"
)

// The reference fold for the formats read by ref_<format>_test.go: each reader reduces the
// bytes to refMsg values, and refLines does the contract arithmetic on them.

type refMsg struct {
	source, tenant, platform, id, conv string
	senderType, senderID               string
	recipientType, recipientID         string
	parent, content                    string
	at                                 int64
	deletedAt                          int64 // 0 when not deleted
	reactions                          int
	index                              int // first record of the message
}

// refRead is what a reference reader learns from one format's records.
type refRead struct {
	msgs        map[string]*refMsg // by source, tenant and id
	poison      int
	times       []int64 // every event time read
	memberships int
	handovers   int
	states      []refState // VoIPbin only: every valid record, in topic order
}

func newRefRead() *refRead { return &refRead{msgs: map[string]*refMsg{}} }

func refKey(source, tenant, id string) string { return source + "\x00" + tenant + "\x00" + id }

// add records a message; a repeat must describe the same message.
func (r *refRead) add(m refMsg) error {
	k := refKey(m.source, m.tenant, m.id)
	if prev, ok := r.msgs[k]; ok {
		m.index, m.deletedAt, m.reactions = prev.index, prev.deletedAt, prev.reactions
		if *prev != m {
			return fmt.Errorf("two different messages share id %s:\n%+v\n%+v", m.id, *prev, m)
		}
		return nil
	}
	r.msgs[k] = &m
	return nil
}

// lines folds the messages into rendered contract lines.
func (r *refRead) lines() (facts, receipts []string) {
	type replies struct {
		n     int
		first int64
	}
	rep := map[string]*replies{}
	for _, m := range r.msgs {
		if m.parent == "" {
			continue
		}
		k := refKey(m.source, m.tenant, m.parent)
		p, ok := r.msgs[k]
		if !ok {
			continue
		}
		a := rep[k]
		if a == nil {
			a = &replies{first: m.at - p.at}
			rep[k] = a
		}
		a.n++
		a.first = min(a.first, m.at-p.at)
	}
	for k, m := range r.msgs {
		deleted, firstReply, n := "0", `\N`, 0
		if m.deletedAt != 0 {
			deleted = "1"
			receipts = append(receipts, strings.Join([]string{m.source, m.tenant, m.id, "", "deleted",
				fmt.Sprint(m.deletedAt), fmt.Sprint(max(m.deletedAt-m.at, 0))}, "\t"))
		}
		if a := rep[k]; a != nil {
			n, firstReply = a.n, fmt.Sprint(max(a.first, 0))
		}
		facts = append(facts, strings.Join([]string{m.source, m.tenant, m.platform, m.id, m.conv,
			m.senderType, m.senderID, m.recipientType, m.recipientID, m.parent, m.content,
			time.UnixMilli(m.at).UTC().Format(time.DateTime), fmt.Sprint(m.at), `\N`, `\N`, "0", deleted,
			fmt.Sprint(n), firstReply, fmt.Sprint(m.reactions)}, "\t"))
	}
	slices.Sort(facts)
	slices.Sort(receipts)
	return facts, receipts
}

// readFormat reads records of one format with its reference reader.
func readFormat(format string, recs []gen.Record) (*refRead, error) {
	r := newRefRead()
	for i, rec := range recs {
		if rec.Format != format {
			return nil, fmt.Errorf("record %d has format %q in a %s stream", i, rec.Format, format)
		}
		var err error
		switch format {
		case gen.FormatExpertflow:
			err = r.readExpertflow(i, rec)
		case gen.FormatChatlayer:
			err = r.readChatlayer(i, rec)
		case gen.FormatVoipbin:
			err = r.readVoipbin(i, rec)
		default:
			return nil, fmt.Errorf("no reference reader for %q", format)
		}
		var bad poisonError
		switch {
		case errors.As(err, &bad):
			r.poison++
		case err != nil:
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
	}
	if format == gen.FormatVoipbin {
		if err := r.foldVoipbinStates(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// readAny folds records of any formats into lines, each format by its own reader, and counts
// the records a strict reading rejects.
func readAny(recs []gen.Record) (facts, receipts []string, poison int, err error) {
	byFormat := map[string][]gen.Record{}
	for _, r := range recs {
		byFormat[r.Format] = append(byFormat[r.Format], r)
	}
	for format, part := range byFormat {
		var f, rc []string
		switch format {
		case gen.FormatCausalFoundry:
			s, err := readStream(part)
			if err != nil {
				return nil, nil, 0, err
			}
			f, rc = s.rows()
			poison += s.poison
		default:
			r, err := readFormat(format, part)
			if err != nil {
				return nil, nil, 0, fmt.Errorf("%s: %w", format, err)
			}
			f, rc = r.lines()
			poison += r.poison
		}
		facts, receipts = append(facts, f...), append(receipts, rc...)
	}
	slices.Sort(facts)
	slices.Sort(receipts)
	return facts, receipts, poison, nil
}
