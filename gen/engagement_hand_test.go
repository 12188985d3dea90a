package gen_test

import (
	"slices"
	"testing"
)

// TestSmallEngagementHandCheckedRows pins rows derived by hand from
// testdata/small_engagement.*, so a golden rewrite cannot silently accept wrong arithmetic.
func TestSmallEngagementHandCheckedRows(t *testing.T) {
	const (
		scripted = "1e0b280d-f1a6-4b9e-894b-c2ac0ecdf4f1" // the scripted user
		group    = "47a938b0-d2d1-4a03-8462-ddb836563363" // the first Causal Foundry group
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
		// answer addressed to the user): one session of three messages, two own.
		{"a pause of exactly the gap keeps the session", "user_sessions",
			"causalfoundry\t\ttelegram\t" + scripted + "\tf1584736a9b4571a1f2d8178a6a6c2f7\t1707934160000\t1707935980000\t3\t2"},
		// The next own message at 19:10:40 is 31 minutes after 18:39:40; the bot answers at
		// 19:11:25. The id is SHA-256 over the length-prefixed key and "1707937840000".
		{"a 31-minute pause starts a session holding an addressed answer", "user_sessions",
			"causalfoundry\t\ttelegram\t" + scripted + "\tdc068c820e6fd89339dcb6213de2bd34\t1707937840000\t1707937885000\t2\t1"},
		// join 1707836960030, leave 1707979237394, join 1708162712005 (sent twice).
		{"a member who left and joined again is a member since the second join", "group_members",
			"causalfoundry\t\t" + group + "\tb562a059-9bee-4c4a-9f7e-cedd46cbc2a6\tuser\t1\t1708162712005\t\\N\t1708162712005"},
		{"the repeated join is one membership event", "membership_events",
			"causalfoundry\t\t" + group + "\tb562a059-9bee-4c4a-9f7e-cedd46cbc2a6\tuser\tjoin\t1708162712005"},
		// A leave and then a join record at the same record time 1707882227826: the leave wins.
		{"a join and a leave at the same millisecond leave the bot out", "group_members",
			"causalfoundry\t\t" + group + "\t818febb4-8f7b-49a0-9091-9f414da6e9ab\tbot\t0\t1707882227826\t1707882227826\t1707882227826"},
		{"a removed member is out since the removal", "group_members",
			"causalfoundry\t\t" + group + "\t6119f8d4-12ec-4875-bb9c-09aeba41b4b8\tuser\t0\t1707836960010\t1708563713277\t1708563713277"},
		// Six members joined on the 13th; the tie on the 14th counts one join and one leave
		// and ends the bot's membership; nobody wrote to the group that day.
		{"the day of the tie counts a join and a leave and one member less", "group_daily",
			"2024-02-14\tcausalfoundry\t\t" + group + "\t1\t1\t0\t0\t5\t0"},
		{"the day the re-joining member left counts one leave", "group_daily",
			"2024-02-15\tcausalfoundry\t\t" + group + "\t0\t1\t0\t-1\t4\t2"},
		// Delivered latencies 0, 3000, 8220, 9764, 13000, 33000: p50 index floor(0.5*6) = 3,
		// p90 and p99 index 5. Read 777262, 871402, 6353000, 8018869: p50 index 2, p90 3.
		// Users 4864e844, 1e0b280d, a9de5a38; sessions start at 15:20:26, 15:21:42 and
		// the scripted 18:09:20 and 19:10:40.
		{"quantileExact picks floor(level*n) of the sorted latencies", "engagement_daily",
			"2024-02-14\tcausalfoundry\t\ttelegram\t8\t6\t4\t0\t1\t3\t9764\t33000\t33000\t6353000\t8018869\t8018869\t4\t0"},
		// 6 active users on the 20th, 18 in the week from the 14th, 19 in the month.
		{"a day's DAU, WAU and MAU differ", "dau_wau_mau", "2024-02-20\t6\t18\t19\t0.3157894736842105"},
		{"a Chatlayer handover to an agent names the user", "handovers",
			"chatlayer\t\tother\t8283376496321683\t8283376496321683\tagent\t1707837857215"},
		{"an Expertflow handoff names no end user", "handovers",
			"expertflow\t\tweb\t6675bfce64566ebb1ea17bcf\t\tagent\t1707924134741"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !slices.Contains(views[tt.view], tt.want) {
				t.Fatalf("no expected %s line\n%q", tt.view, tt.want)
			}
		})
	}
}
