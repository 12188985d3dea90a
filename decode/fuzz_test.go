package decode

import (
	"testing"

	"github.com/chatpulse/chatpulse/event"
)

// FuzzCausalFoundry checks that any input ends either in exactly one valid event or in a poison error with a
// reason, never both and never a panic, and that an event keeps no memory of the record.
func FuzzCausalFoundry(f *testing.F) {
	f.Fuzz(func(t *testing.T, value []byte) {
		evs := checkDecoded(t, DecodeCausalFoundry, event.SourceCausalFoundry, 1, value)
		if len(evs) == 1 && evs[0].Tenant != "" {
			t.Fatalf("tenant %q, want none", evs[0].Tenant)
		}
	})
}
