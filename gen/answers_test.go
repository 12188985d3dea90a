package gen_test

import (
	"testing"
	"time"
)

// TestEngagementTrafficAnswersLikeRealChat checks the demo's traffic against how support chats
// behave: a bot answers within seconds, an agent within minutes of a handover.
func TestEngagementTrafficAnswersLikeRealChat(t *testing.T) {
	cfg := smallEngagementConfig()
	cfg.Messages, cfg.Users, cfg.Groups = 2400, 40, 6 // the demo's traffic
	e := engagement(t, cfg).Expected
	ms := func(d time.Duration) int64 { return d.Milliseconds() }
	br, fh := e.BotResponse, e.FirstHumanResponse
	t.Logf("bot response %d answered, p50 %dms p90 %dms; first human response %d of %d, p50 %dms p90 %dms",
		br.Answered, br.P50Ms, br.P90Ms, fh.Answered, fh.HandoversToAgent, fh.P50Ms, fh.P90Ms)
	if br.Answered == 0 || br.P50Ms > ms(10*time.Second) || br.P90Ms > ms(15*time.Minute) {
		t.Errorf("bot response p50 %dms, p90 %dms: want a median within seconds and nine in ten within minutes", br.P50Ms, br.P90Ms)
	}
	if fh.Answered == 0 || fh.P50Ms < ms(20*time.Second) || fh.P50Ms > ms(5*time.Minute) || fh.P90Ms > ms(15*time.Minute) {
		t.Errorf("first human response p50 %dms, p90 %dms: want minutes", fh.P50Ms, fh.P90Ms)
	}
	if fh.Answered*10 < fh.HandoversToAgent*9 {
		t.Errorf("%d of %d handovers to an agent answered: want nearly all", fh.Answered, fh.HandoversToAgent)
	}
}
