package sink

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatpulse/chatpulse/event"
	"github.com/chatpulse/chatpulse/join"
	"github.com/chatpulse/chatpulse/route"
	"github.com/chatpulse/chatpulse/rows"
	"github.com/chatpulse/chatpulse/testenv"
)

// conflictEvents are three copies of message m1 with other content, two sent at the same
// millisecond, one sent 100 ms later on the next UTC day, and two receipts and a reply of it.
// The delivery comes before the later copy's send time, so joined to that copy its latency is
// 0 where the winner's is 30 ms. Every event is of tenant.
func conflictEvents(tenant event.Tenant) []event.Event {
	const at = int64(1704153599950) // 2024-01-01 23:59:59.950 UTC
	message := func(id string, atMs int64, parent, contentType string, sender event.ActorID) event.Event {
		return event.Event{Kind: event.KindMessage, Source: event.SourceCausalFoundry, Tenant: tenant, Platform: "whatsapp", AtMs: atMs,
			Message: event.Message{ID: event.MsgID(id), ConversationID: "c1", Parent: event.MsgID(parent), ContentType: contentType,
				Sender:    event.Actor{Role: event.RoleUser, ID: sender},
				Recipient: event.Recipient{Type: event.RecipientUser, ID: "u2"}}}
	}
	receipt := func(st event.ReceiptStatus, atMs int64) event.Event {
		return event.Event{Kind: event.KindReceipt, Source: event.SourceCausalFoundry, Tenant: tenant, AtMs: atMs,
			Receipt: event.Receipt{Msg: "m1", Member: "u2", Status: st}}
	}
	later := message("m1", at+100, "", "text", "u1")
	later.Platform = "web"
	return []event.Event{
		later,
		message("m1", at, "", "image", "u9"),
		message("m1", at, "", "video", "u1"),
		receipt(event.StatusDelivered, at+30),
		receipt(event.StatusRead, at+400),
		message("r1", at+70, "m1", "text", "u2"),
	}
}

// winnerFirst is evs with the copy of m1 of the least (send time, content hash) only, and
// it first: what a single copy of the message would have given.
func winnerFirst(evs []event.Event) []event.Event {
	best := -1
	var out []event.Event
	for i := range evs {
		if evs[i].Kind != event.KindMessage || evs[i].Message.ID != "m1" {
			out = append(out, evs[i])
			continue
		}
		if best < 0 || evs[i].AtMs < evs[best].AtMs ||
			evs[i].AtMs == evs[best].AtMs && join.ContentHash(&evs[i]) < join.ContentHash(&evs[best]) {
			best = i
		}
	}
	return append([]event.Event{evs[best]}, out...)
}

// applyInOrder runs evs through one partition's join state in order and returns the rows of
// each event.
func applyInOrder(evs []event.Event) []rows.Set {
	s := join.New(join.DefaultConfig())
	out := make([]rows.Set, len(evs))
	for i := range evs {
		for _, t := range route.Targets(&evs[i], nil) {
			s.Apply(t.Kind, &evs[i], &out[i])
		}
	}
	return out
}

func orders(n int) [][]int {
	if n == 0 {
		return [][]int{nil}
	}
	var out [][]int
	for _, p := range orders(n - 1) {
		for i := 0; i <= len(p); i++ {
			out = append(out, slices.Insert(slices.Clone(p), i, n-1))
		}
	}
	return out
}

// TestConflictingCopiesGiveTheSameViewsInEveryOrder writes, for every order of the events of
// conflictEvents (720, each under a tenant of its own), the rows the join state yields, one
// insert per step so that each order's rows lie in parts written in that order. Every contract
// view that reads messages must show exactly what it shows when only the winning copy was ever
// seen, before and after the parts are merged.
func TestConflictingCopiesGiveTheSameViewsInEveryOrder(t *testing.T) {
	ctx := testContext(t)
	got, want := migratedClient(t), migratedClient(t)
	all, steps, truth := conflictRows(1)
	var copies uint64
	for i := range steps {
		for _, m := range steps[i].Messages {
			if m.MsgID == "m1" {
				copies++
			}
		}
	}
	// A copy is written when it ranks before the one held: one to three per order.
	if copies <= uint64(len(all)) || copies >= 3*uint64(len(all)) {
		t.Fatalf("the orders wrote %d copies of m1; the test needs orders that write one and orders that write several", copies)
	}
	for i := range steps {
		if err := got.Insert(ctx, &steps[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := want.Insert(ctx, truth); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T) {
		for _, view := range conflictViews {
			g, err := got.Snapshot(ctx, view)
			if err != nil {
				t.Fatal(err)
			}
			w, err := want.Snapshot(ctx, view)
			if err != nil {
				t.Fatal(err)
			}
			if len(w) == 0 {
				t.Fatalf("%s shows no rows", view)
			}
			if diff := firstDifference(g, w); diff != "" {
				t.Errorf("%s differs from the rows of the winning copy alone (%d rows, want %d): %s", view, len(g), len(w), diff)
			}
		}
		for _, name := range conflictMetrics {
			g, err := got.Metric(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			w, err := want.Metric(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := firstDifference(g, w); diff != "" {
				t.Errorf("metric %s differs from the one of the winning copy alone: %s", name, diff)
			}
		}
	}
	t.Run("every order shows the rows of the winning copy", check)
	t.Run("and so it does after every part is merged", func(t *testing.T) {
		for _, table := range []string{"messages", "receipts", "replies", "reactions", "message_state", "user_days", "message_conflicts"} {
			if err := got.conn.Exec(ctx, "OPTIMIZE TABLE "+got.db+"."+table+" FINAL"); err != nil {
				t.Fatal(err)
			}
		}
		if n := queryUint64(t, got, "SELECT count() FROM "+got.db+".messages WHERE msg_id = 'm1'"); n != copies {
			t.Fatalf("messages holds %d copies of m1 after the merge, want every copy written, %d", n, copies)
		}
		check(t)
	})
}

// conflictViews are the contract views that read messages.
var conflictViews = []string{"message_facts", "message_receipts", "engagement_daily"}

// conflictMetrics are the metrics that read user_days, where a losing copy has rows too: the
// copies of m1 name users u1 and u9 on two days.
var conflictMetrics = []string{"dau_wau_mau", "new_users"}

// conflictRows runs every order of conflictEvents, each under a tenant of its own, through a
// join state. It returns the orders, the rows of each step of all orders (steps[i] holds what
// the i-th event of every order yielded), and the rows of the winning copy alone.
// Every stride-th order is taken.
func conflictRows(stride int) (all [][]int, steps []rows.Set, truth *rows.Set) {
	for n, order := range orders(len(conflictEvents(""))) {
		if n%stride == 0 {
			all = append(all, order)
		}
	}
	steps = make([]rows.Set, len(conflictEvents("")))
	truth = &rows.Set{}
	for n, order := range all {
		evs := conflictEvents(event.Tenant(fmt.Sprintf("order%03d", n)))
		arrived := make([]event.Event, len(order))
		for i, j := range order {
			arrived[i] = evs[j]
		}
		for i, out := range applyInOrder(arrived) {
			steps[i].Append(&out)
		}
		for _, out := range applyInOrder(winnerFirst(evs)) {
			truth.Append(&out)
		}
	}
	return all, steps, truth
}

// TestConflictingCopiesGiveTheSameViewsOnModernClickHouse is the test above on a current
// ClickHouse (the ch-modern tool), for every 48th order: the tool takes at most 128 KiB of SQL,
// and the schema is written twice, for database orders and for database winner, which holds
// the rows of the winning copy alone (under the same tenant, which the content hash covers).
func TestConflictingCopiesGiveTheSameViewsOnModernClickHouse(t *testing.T) {
	const db, truthDB = "orders", "winner"
	all, steps, truth := conflictRows(48)
	copies := 0
	for i := range steps {
		copies += len(slices.DeleteFunc(slices.Clone(steps[i].Messages), func(m rows.Message) bool { return m.MsgID != "m1" }))
	}
	if copies <= len(all) {
		t.Fatalf("the %d orders wrote %d copies of m1; the test needs orders that write several", len(all), copies)
	}
	stmts := Statements(db)
	for i := range steps {
		stmts = append(stmts, insertsSQL(db, &steps[i])...)
	}
	stmts = append(stmts, Statements(truthDB)...)
	stmts = append(stmts, insertsSQL(truthDB, truth)...)
	first := len(stmts)
	for _, view := range conflictViews {
		stmts = append(stmts, "SELECT * FROM "+db+"."+view, "SELECT * FROM "+truthDB+"."+view)
	}
	for _, name := range conflictMetrics {
		stmts = append(stmts, strings.ReplaceAll(metricQueries[name], "{db}", db), strings.ReplaceAll(metricQueries[name], "{db}", truthDB))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	blocks, err := testenv.RunModern(ctx, stmts)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range blocks {
		if !b.OK {
			t.Fatalf("statement %d fails on the modern server: %s\n%.2000s", i, strings.Join(b.Lines, "\n"), stmts[i])
		}
	}
	for i, view := range append(slices.Clone(conflictViews), conflictMetrics...) {
		got, want := blocks[first+2*i].Lines, blocks[first+2*i+1].Lines
		slices.Sort(got)
		slices.Sort(want)
		if len(want) == 0 {
			t.Fatalf("%s shows no rows", view)
		}
		if diff := firstDifference(got, want); diff != "" {
			t.Errorf("%s differs from the rows of the winning copy alone (%d rows, want %d): %s", view, len(got), len(want), diff)
		}
	}
}

// firstDifference describes the first line where sorted got and want differ, or is empty.
func firstDifference(got, want []string) string {
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			return fmt.Sprintf("missing %q", want[i])
		case i >= len(want):
			return fmt.Sprintf("extra %q", got[i])
		case got[i] != want[i]:
			return fmt.Sprintf("got %q, want %q", got[i], want[i])
		}
	}
	return ""
}
