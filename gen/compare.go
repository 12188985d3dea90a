package gen

import (
	"math"
	"strconv"
	"strings"
)

// SameRows reports whether rows rendered in the line format of Expected equal want field by
// field: exactly, except numbers that may differ in the last bits of a Float64 (within 1e-9).
func SameRows(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := strings.Split(got[i], "\t"), strings.Split(want[i], "\t")
		if len(g) != len(w) {
			return false
		}
		for j := range g {
			if g[j] == w[j] {
				continue
			}
			gf, err1 := strconv.ParseFloat(g[j], 64)
			wf, err2 := strconv.ParseFloat(w[j], 64)
			if err1 != nil || err2 != nil || math.Abs(gf-wf) > 1e-9 {
				return false
			}
		}
	}
	return true
}

// WithoutColumn returns lines with the 0-based column col removed, for columns the generator
// cannot know, such as whether a session is closed yet.
func WithoutColumn(lines []string, col int) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		f := strings.Split(l, "\t")
		if col < len(f) {
			f = append(f[:col:col], f[col+1:]...)
		}
		out[i] = strings.Join(f, "\t")
	}
	return out
}

// SessionClosedColumn is the position of user_sessions' closed column in its rows.
const SessionClosedColumn = 9

// ViewRows are the expected rows of one contract view.
type ViewRows struct {
	View  string
	Lines []string
	// Drop is a column the generator cannot know, which comparisons leave out, or -1.
	Drop int
}

// Views returns the expected rows of every contract view.
func (e Expected) Views() []ViewRows {
	return []ViewRows{
		{"message_facts", e.MessageFactsLines(), -1},
		{"message_receipts", e.MessageReceiptsLines(), -1},
		// Whether a session is closed depends on which partition owns its user.
		{"user_sessions", e.UserSessionsLines(), SessionClosedColumn},
		{"group_members", e.GroupMembersLines(), -1},
		{"group_daily", e.GroupDailyLines(), -1},
		{"handovers", e.HandoversLines(), -1},
		{"engagement_daily", e.EngagementDailyLines(), -1},
	}
}

// Metrics returns the expected rows of every documented metric, by its name.
func (e Expected) Metrics() map[string][]string {
	return map[string][]string{
		"dau_wau_mau":           e.DauWauMauLines(),
		"new_users":             e.NewUsersLines(),
		"bot_replies":           e.BotRepliesLines(),
		"bot_response":          e.BotResponseLines(),
		"first_human_response":  e.FirstHumanResponseLines(),
		"containment":           e.ContainmentLines(),
		"reactions_per_message": e.ReactionsPerMessageLines(),
	}
}
