package sessionize

import (
	"testing"

	"github.com/chatpulse/chatpulse/event"
)

func TestSessionID(t *testing.T) {
	tests := []struct {
		name  string
		user  User
		start int64
		want  string
	}{
		// The ids are stored in ClickHouse and recomputed on replay: these values pin the encoding.
		{"the id of a session is pinned", alice, t0, "1c2d75bd3265fe168a664c4321160ff7"},
		{"an empty tenant and a negative start are encoded too",
			User{Source: event.SourceVoipbin, Platform: "other", ID: "u-1"}, -5, "c9b7fca4a2c661f18bf150094b7d4d4e"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SessionID(tt.user, tt.start); got != tt.want {
				t.Fatalf("SessionID %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSessionIDSeparatesFields(t *testing.T) {
	tests := []struct {
		name string
		a, b User
	}{
		{"moving a byte from tenant to platform changes the id",
			User{Source: event.SourceChatlayer, Tenant: "ab", Platform: "c", ID: "u"},
			User{Source: event.SourceChatlayer, Tenant: "a", Platform: "bc", ID: "u"}},
		{"moving a byte from platform to user id changes the id",
			User{Source: event.SourceChatlayer, Tenant: "t", Platform: "web", ID: "1"},
			User{Source: event.SourceChatlayer, Tenant: "t", Platform: "we", ID: "b1"}},
		{"the source is part of the id",
			User{Source: event.SourceChatlayer, Tenant: "t", Platform: "web", ID: "u"},
			User{Source: event.SourceExpertflow, Tenant: "t", Platform: "web", ID: "u"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if SessionID(tt.a, t0) == SessionID(tt.b, t0) {
				t.Fatalf("%+v and %+v share session id %s", tt.a, tt.b, SessionID(tt.a, t0))
			}
		})
	}
}
