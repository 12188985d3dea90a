package decode

import (
	"errors"

	"github.com/chatpulse/chatpulse/event"
)

// DecodeExpertflow is being written; until then every expertflow record is poison.
func DecodeExpertflow(rec Record, dst []event.Event) ([]event.Event, error) {
	return dst, poison(ReasonUnknownFormat, errors.New("expertflow decoder not available"))
}

func looksExpertflow(value []byte) bool { return false }
