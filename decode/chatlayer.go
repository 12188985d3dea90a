package decode

import (
	"errors"

	"github.com/chatpulse/chatpulse/event"
)

// DecodeChatlayer is being written; until then every chatlayer record is poison.
func DecodeChatlayer(rec Record, dst []event.Event) ([]event.Event, error) {
	return dst, poison(ReasonUnknownFormat, errors.New("chatlayer decoder not available"))
}

func looksChatlayer(value []byte) bool { return false }
