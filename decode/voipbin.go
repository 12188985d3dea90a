package decode

import (
	"errors"

	"github.com/chatpulse/chatpulse/event"
)

// DecodeVoipbin is being written; until then every voipbin record is poison.
func DecodeVoipbin(rec Record, dst []event.Event) ([]event.Event, error) {
	return dst, poison(ReasonUnknownFormat, errors.New("voipbin decoder not available"))
}

func looksVoipbin(value []byte) bool { return false }
