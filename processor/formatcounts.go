package processor

import (
	"github.com/chatpulse/chatpulse/decode"
	"github.com/chatpulse/chatpulse/event"
)

// Both decode.Format and event.Kind are small enums; fixed arrays indexed by them count a
// batch without allocating. A value beyond the arrays counts as unknown (slot 0).
const (
	formatSlots = 8
	kindSlots   = 8
)

// formatCounts counts one raw batch's records and events by format; slot 0 (FormatAuto) holds
// the records whose format could not be determined.
type formatCounts struct {
	records [formatSlots]uint64
	events  [formatSlots][kindSlots]uint64
}

// add counts one record of format f and the events decoded from it.
func (c *formatCounts) add(f decode.Format, evs []event.Event) {
	if int(f) >= formatSlots {
		f = decode.FormatAuto
	}
	c.records[f]++
	for i := range evs {
		k := int(evs[i].Kind)
		if k >= kindSlots {
			k = 0
		}
		c.events[f][k]++
	}
}

// formatLabel names a record's format in metrics: FormatAuto stands for a record whose format
// neither the topic, its header nor detection determined.
func formatLabel(f decode.Format) string {
	if f == decode.FormatAuto {
		return "unknown"
	}
	return f.String()
}
