package gen_test

import (
	"slices"
	"testing"
)

// TestSmallEngagementHandCheckedRows pins rows derived by hand from
// testdata/small_engagement.*, so a golden rewrite cannot silently accept wrong arithmetic.
func TestSmallEngagementHandCheckedRows(t *testing.T) {
	const (
		scripted = "19a23efa-eddd-430a-8726-83f26b5d1479" // the scripted user
		group    = "47a938b0-d2d1-4a03-8462-ddb836563363" // the first Causal Foundry group
		second   = "9d848b5e-5cec-4054-9bed-d836862c54f8" // the second Causal Foundry group
	)
	e := engagement(t, smallEngagementConfig()).Expected
	views := map[string][]string{}
	for _, v := range viewLines(e) {
		views[v.name] = v.lines
	}
	tests := []struct {
		name, view, want string
	}{
		// Own messages 18:09:20 and 18:39:40 (exactly 30 minutes after the bot's 18:09:40
		// answer addressed to the user): one session of three messages, two own. The id is
		// SHA-256 over the length-prefixed source, tenant, platform, user and "1707934160000".
		{"a pause of exactly the gap keeps the session", "user_sessions",
			"causalfoundry\t\ttelegram\t" + scripted + "\t11a1642073c18b40cfd4cdc04e6713a7\t1707934160000\t1707935980000\t3\t2"},
		// The next own message at 19:10:40 is 31 minutes after 18:39:40; the bot answers at
		// 19:11:25. The id is SHA-256 over the length-prefixed key and "1707937840000".
		{"a 31-minute pause starts a session holding an addressed answer", "user_sessions",
			"causalfoundry\t\ttelegram\t" + scripted + "\tc50117c52d9db2a02744a08772adb950\t1707937840000\t1707937885000\t2\t1"},
		// join 1707836960040, leave 1708071947375, join 1708311002084 (sent twice).
		{"a member who left and joined again is a member since the second join", "group_members",
			"causalfoundry\t\t" + group + "\ta88d8d1a-cb9e-4ca3-9948-8418153dafe4\tuser\t1\t1708311002084\t\\N\t1708311002084"},
		{"the repeated join is one membership event", "membership_events",
			"causalfoundry\t\t" + group + "\ta88d8d1a-cb9e-4ca3-9948-8418153dafe4\tuser\tjoin\t1708311002084"},
		// A leave and then a join record at the same record time 1708589674246: the leave wins.
		{"a join and a leave at the same millisecond leave the bot out", "group_members",
			"causalfoundry\t\t" + group + "\t818febb4-8f7b-49a0-9091-9f414da6e9ab\tbot\t0\t1708589674246\t1708589674246\t1708589674246"},
		// Joined with the second group at 1707836960000 + 1 s + 20 ms, removed 1708131664847.
		{"a removed member is out since the removal", "group_members",
			"causalfoundry\t\t" + second + "\ta9de5a38-794f-40cd-811d-5c886df951df\tuser\t0\t1707836961020\t1708131664847\t1708131664847"},
		// Six members joined on the 13th, one more on the 14th, one left on the 16th and came
		// back on the 19th: seven. The tie on the 22nd counts one join and one leave and ends
		// the bot's membership: six; one member wrote to the group that day.
		{"the day of the tie counts a join and a leave and one member less", "group_daily",
			"2024-02-22\tcausalfoundry\t\t" + group + "\t1\t1\t0\t0\t6\t1"},
		{"the day the re-joining member left counts one leave", "group_daily",
			"2024-02-16\tcausalfoundry\t\t" + group + "\t0\t1\t0\t-1\t6\t0"},
		// Telegram on the 14th: 7 messages. Delivered latencies 0, 0, 0, 0, 678: p50 index
		// floor(0.5*5) = 2, p90 and p99 index 4. Read 0, 1153, 3000, 51000, 188498: p50 index
		// 2, p90 and p99 index 4. Users 19a23efa (scripted) and 4864e844; three sessions start
		// that day.
		{"quantileExact picks floor(level*n) of the sorted latencies", "engagement_daily",
			"2024-02-14\tcausalfoundry\t\ttelegram\t7\t5\t5\t0\t1\t2\t0\t678\t678\t3000\t188498\t188498\t3\t0"},
		// 4 active users on the 21st, 18 in the week from the 15th, 19 in the month: the
		// scripted user wrote only on the 14th.
		{"a day's DAU, WAU and MAU differ", "dau_wau_mau", "2024-02-21\t4\t18\t19\t0.21052631578947367"},
		{"a Chatlayer handover to an agent names the user", "handovers",
			"chatlayer\t\tother\t3744280a-1cdd-402f-ba66-0a7e3f864392\t3744280a-1cdd-402f-ba66-0a7e3f864392\tagent\t1707923965493"},
		{"an Expertflow handoff names no end user", "handovers",
			"expertflow\t\tfacebook\tc2f496cdb7358afad5d0dc41\t\tagent\t1708279811198"},
		// The user writes at 1707923965492, the bot hands over 1 ms later; the agent answers
		// at 1707923992605, 27 s after the handover, with "👍🏽": the id is "cl-" and SHA-256 over the
		// length-prefixed user, "1707923992605", "message", "text", "👍🏽", "", "".
		{"an agent answers within minutes of the handover", "message_facts",
			"chatlayer\t\tother\tcl-49b48a0cff2ce6d2062d898ca29d6668\t3744280a-1cdd-402f-ba66-0a7e3f864392\tagent\t" +
				"01acba7f-9fc2-4af4-8f6f-697942774c69\tuser\t3744280a-1cdd-402f-ba66-0a7e3f864392\t\ttext\t2024-02-14 15:19:52\t" +
				"1707923992605\t\\N\t\\N\t0\t0\t0\t\\N\t0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !slices.Contains(views[tt.view], tt.want) {
				t.Fatalf("no expected %s line\n%q", tt.view, tt.want)
			}
		})
	}
}
