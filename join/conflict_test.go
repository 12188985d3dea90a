package join

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/rows"
)

// resolved is what readers make of the rows of one message, as rows.Message and rows.Receipt
// tell them to: the message row of the least (send time, content hash), and each receipt's
// latency against that row's send time. Whether the winning row was marked as superseding
// depends on the order; that several rows were written must always be told by a mark.
type resolved struct {
	message  rows.Message
	receipts map[string]int64 // member and status: latency
}

func resolve(t *testing.T, out rows.Set) resolved {
	t.Helper()
	if len(out.Messages) == 0 {
		t.Fatal("no message row")
	}
	r := resolved{message: out.Messages[0], receipts: map[string]int64{}}
	marked := false
	for _, m := range out.Messages {
		marked = marked || m.Supersedes
		if (rank{m.SentAtMs, m.ContentHash}).less(rank{r.message.SentAtMs, r.message.ContentHash}) {
			r.message = m
		}
	}
	if len(out.Messages) > 1 && !marked {
		t.Fatalf("%d copies were written and none is marked as superseding", len(out.Messages))
	}
	if out.Messages[0].Supersedes {
		t.Fatal("the first copy written is marked as superseding")
	}
	r.message.Supersedes = false
	for _, rc := range out.Receipts {
		r.receipts[rc.MemberID+"/"+rc.Status] = max(0, rc.AtMs-r.message.SentAtMs)
	}
	return r
}

func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{nil}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int(nil), p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

func TestConflictingCopiesOfAMessageGiveTheSameRowsInEveryOrder(t *testing.T) {
	later := msg("m1", t0+100, "")
	earlier := msg("m1", t0+50, "")
	earlier.Message.ContentType, earlier.Message.Sender.ID = "image", "u9"
	sameTime := msg("m1", t0+50, "")
	sameTime.Message.ContentType = "video"
	copies := []event.Event{later, earlier, sameTime, receipt("m1", "u2", event.StatusDelivered, t0+400)}
	winner := earlier
	if ContentHash(&sameTime) < ContentHash(&earlier) {
		winner = sameTime
	}
	final := receipt("m1", "u3", event.StatusRead, t0+1000)

	var first *resolved
	for _, order := range permutations(len(copies)) {
		// Each order is applied whole, and cut by a snapshot and restore after every step, as a
		// partition moving to another worker mid-way would be.
		for cut := 0; cut <= len(order); cut++ {
			name := fmt.Sprintf("order %v, restored after %d", order, cut)
			s := New(DefaultConfig())
			var out rows.Set
			for i, j := range order {
				if i == cut {
					var err error
					if s, err = RestoreSnapshot(s.AppendSnapshot(nil), DefaultConfig()); err != nil {
						t.Fatal(err)
					}
				}
				o := apply(s, copies[j])
				out.Append(&o)
			}
			got := resolve(t, out)
			if got.message.SentAtMs != winner.AtMs || got.message.ContentType != winner.Message.ContentType {
				t.Fatalf("%s: the message is %+v, want the copy sent at %d with content %q", name, got.message,
					winner.AtMs, winner.Message.ContentType)
			}
			if first == nil {
				first = &got
			} else if !reflect.DeepEqual(got, *first) {
				t.Fatalf("%s: resolved rows\n got %+v\nwant %+v", name, got, *first)
			}
			// Whatever the order, the state holds the winner: a receipt after every copy joins it.
			o := apply(s, final)
			if len(o.Receipts) != 1 || o.Receipts[0].MsgSentAtMs != winner.AtMs || o.Receipts[0].LatencyMs != final.AtMs-winner.AtMs {
				t.Fatalf("%s: a later receipt gave %+v, want it joined to the copy sent at %d", name, o.Receipts, winner.AtMs)
			}
		}
	}
}

func TestAnExactCopyOfAMessageIsADuplicateAndWritesNothing(t *testing.T) {
	s := New(DefaultConfig())
	apply(s, msg("m1", t0, ""))
	if out := apply(s, msg("m1", t0, "")); out.Len() != 0 || s.Stats().Duplicates != 1 || s.Stats().Superseded != 0 {
		t.Fatalf("rows %+v, stats %+v", out, s.Stats())
	}
}
