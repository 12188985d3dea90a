package rows

import "testing"

// TestResetLeavesNoRowBehindInTheCapacity: a reset set keeps its capacity but no row of
// before, whose strings would otherwise keep the memory they share alive.
func TestResetLeavesNoRowBehindInTheCapacity(t *testing.T) {
	s := Set{
		Messages:    []Message{{MsgID: "m"}},
		Receipts:    []Receipt{{MsgID: "m"}},
		Replies:     []Reply{{ParentMsgID: "m"}},
		Reactions:   []Reaction{{TargetMsgID: "m"}},
		Sessions:    []Session{{SessionID: "s"}},
		Memberships: []MembershipChange{{GroupID: "g"}},
		Handovers:   []Handover{{Tenant: "t"}},
	}
	s.Reset()
	if s.Len() != 0 {
		t.Fatalf("%d rows after reset", s.Len())
	}
	left := []bool{
		s.Messages[:1][0] != Message{}, s.Receipts[:1][0] != Receipt{}, s.Replies[:1][0] != Reply{},
		s.Reactions[:1][0] != Reaction{}, s.Sessions[:1][0] != Session{},
		s.Memberships[:1][0] != MembershipChange{}, s.Handovers[:1][0] != Handover{},
	}
	for i, l := range left {
		if l {
			t.Errorf("table %d: a row of before is left in the capacity", i)
		}
	}
}
