package decode

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/chatpulse/chatpulse/event"
)

type decoder func(Record, []event.Event) ([]event.Event, error)

// checkDecoded holds the properties every decoder keeps for any input: detection does not
// panic; events already in dst are left alone; an error is a *Error with a reason and adds no
// event; otherwise it adds 1 to most events of src that pass validation, have a lower-case
// platform and keep no memory of the record. It returns the added events, nil on error.
func checkDecoded(t *testing.T, decode decoder, src event.Source, most int, value []byte) []event.Event {
	t.Helper()
	_, _ = Detect(value)
	prefix := []event.Event{{Kind: event.KindHandover, Handover: event.Handover{ConversationID: "sentinel"}}}
	out, err := decode(Record{Value: value, TimestampMs: seedRecordMs}, prefix)
	if len(out) == 0 || !reflect.DeepEqual(out[0], prefix[0]) {
		t.Fatalf("the events already in dst were changed")
	}
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) || pe.Reason == "" {
			t.Fatalf("error %v is not a *Error with a reason", err)
		}
		if len(out) != 1 {
			t.Fatalf("an error (%v) and %d events", err, len(out)-1)
		}
		return nil
	}
	evs := out[1:]
	if len(evs) < 1 || len(evs) > most {
		t.Fatalf("no error and %d events, want 1 to %d", len(evs), most)
	}
	for i := range evs {
		ev := &evs[i]
		if verr := ev.Validate(); verr != nil {
			t.Fatalf("event %d fails validation: %v", i+1, verr)
		}
		if ev.Source != src {
			t.Fatalf("event %d: source %s, want %s", i+1, ev.Source, src)
		}
		if ev.Platform != strings.ToLower(ev.Platform) {
			t.Fatalf("event %d: platform %q is not lower case", i+1, ev.Platform)
		}
		assertOwnMemory(t, ev, value)
	}
	return evs
}

// checkRejected asserts that value (with the record time recordMs, 0 for seedRecordMs) is poison
// for the given reason, leaves dst unchanged and explains itself in a bounded message.
func checkRejected(t *testing.T, decode decoder, value string, recordMs int64, reason Reason) {
	t.Helper()
	if recordMs == 0 {
		recordMs = seedRecordMs
	}
	prefix := []event.Event{{Kind: event.KindHandover}}
	out, err := decode(Record{Value: []byte(value), TimestampMs: recordMs}, prefix)
	if err == nil {
		t.Fatalf("decoded to %s, want reason %s", renderEvent(t, out[len(out)-1]), reason)
	}
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *Error", err)
	}
	if pe.Reason != reason {
		t.Fatalf("reason %s (%v), want %s", pe.Reason, err, reason)
	}
	if len(out) != 1 || out[0].Kind != event.KindHandover {
		t.Fatalf("dst changed on error: %d events", len(out))
	}
	if len(err.Error()) > 400 {
		t.Fatalf("error message of %d bytes: %.100s...", len(err.Error()), err.Error())
	}
}

// checkSeedGolden decodes every record of format's seed file, which must hold examples records
// of one event each, and compares the events with the seed's golden file.
func checkSeedGolden(t *testing.T, format string, decode decoder, examples int) {
	t.Helper()
	lines := readLines(t, "testdata/"+format+"/seed.jsonl")
	if len(lines) != examples {
		t.Fatalf("seed.jsonl has %d records, want %d", len(lines), examples)
	}
	var got [][]byte
	for i, line := range lines {
		evs, err := decode(Record{Value: line, TimestampMs: seedRecordMs}, nil)
		if err != nil {
			t.Errorf("record %d does not decode: %v", i+1, err)
			got = append(got, renderError(t, err))
			continue
		}
		if len(evs) != 1 {
			t.Fatalf("record %d decoded to %d events", i+1, len(evs))
		}
		assertOwnMemory(t, &evs[0], line)
		got = append(got, renderEvent(t, evs[0]))
	}
	compareGolden(t, "testdata/"+format+"/seed.golden.jsonl", got)
}
