package decode

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"testing"
	"time"
	"unsafe"

	json "github.com/goccy/go-json"

	"github.com/chatpulse/chatpulse/event"
)

var update = flag.Bool("update", false, "rewrite the golden files from the decoder's output")

// goldenEvent renders an event with readable enum names. A kind-specific part is shown when it belongs to
// the event's kind or, as a sign of a bug, when it is filled anyway.
type goldenEvent struct {
	Kind       string            `json:"kind"`
	Source     string            `json:"source"`
	Tenant     string            `json:"tenant"`
	Platform   string            `json:"platform"`
	AtMs       int64             `json:"at_ms"`
	At         string            `json:"at"`
	Message    *goldenMessage    `json:"message,omitempty"`
	Receipt    *goldenReceipt    `json:"receipt,omitempty"`
	Reaction   *goldenReaction   `json:"reaction,omitempty"`
	Reactions  *goldenReactions  `json:"reaction_set,omitempty"`
	Membership *goldenMembership `json:"membership,omitempty"`
	Handover   *goldenHandover   `json:"handover,omitempty"`
}

type goldenActor struct {
	Role string `json:"role"`
	ID   string `json:"id"`
}

type goldenMessage struct {
	ID             string      `json:"id"`
	ConversationID string      `json:"conversation_id"`
	Sender         goldenActor `json:"sender"`
	RecipientType  string      `json:"recipient_type"`
	RecipientID    string      `json:"recipient_id"`
	Parent         string      `json:"parent"`
	ContentType    string      `json:"content_type"`
}

type goldenReceipt struct {
	Msg    string `json:"msg"`
	Member string `json:"member"`
	Status string `json:"status"`
}

type goldenReaction struct {
	Target  string      `json:"target"`
	Actor   goldenActor `json:"actor"`
	Emoji   string      `json:"emoji"`
	Present bool        `json:"present"`
}

type goldenReactions struct {
	Target string               `json:"target"`
	Items  []goldenReactionItem `json:"items"`
}

type goldenReactionItem struct {
	Actor goldenActor `json:"actor"`
	Emoji string      `json:"emoji"`
	AtMs  int64       `json:"at_ms"`
}

type goldenMembership struct {
	Group  string      `json:"group"`
	Action string      `json:"action"`
	Member goldenActor `json:"member"`
}

type goldenHandover struct {
	ConversationID string `json:"conversation_id"`
	To             string `json:"to"`
	User           string `json:"user"`
}

func actorName(a event.Actor) goldenActor {
	if a == (event.Actor{}) {
		return goldenActor{}
	}
	return goldenActor{Role: a.Role.String(), ID: string(a.ID)}
}

func renderEvent(t *testing.T, ev event.Event) []byte {
	t.Helper()
	g := goldenEvent{
		Kind: ev.Kind.String(), Source: ev.Source.String(), Tenant: string(ev.Tenant), Platform: ev.Platform,
		AtMs: ev.AtMs, At: time.UnixMilli(ev.AtMs).UTC().Format(time.RFC3339Nano),
	}
	if m := ev.Message; ev.Kind == event.KindMessage || m != (event.Message{}) {
		g.Message = &goldenMessage{
			ID: string(m.ID), ConversationID: string(m.ConversationID), Sender: actorName(m.Sender),
			RecipientType: m.Recipient.Type.String(), RecipientID: m.Recipient.ID, Parent: string(m.Parent),
			ContentType: m.ContentType,
		}
	}
	if r := ev.Receipt; ev.Kind == event.KindReceipt || r != (event.Receipt{}) {
		g.Receipt = &goldenReceipt{Msg: string(r.Msg), Member: string(r.Member), Status: r.Status.String()}
	}
	if r := ev.Reaction; ev.Kind == event.KindReaction || r != (event.Reaction{}) {
		g.Reaction = &goldenReaction{Target: string(r.Target), Actor: actorName(r.Actor), Emoji: r.Emoji, Present: r.Present}
	}
	if r := ev.Reactions; ev.Kind == event.KindReactionSet || r.Target != "" || r.Items != nil {
		g.Reactions = &goldenReactions{Target: string(r.Target), Items: make([]goldenReactionItem, 0, len(r.Items))}
		for _, it := range r.Items {
			g.Reactions.Items = append(g.Reactions.Items, goldenReactionItem{Actor: actorName(it.Actor), Emoji: it.Emoji, AtMs: it.AtMs})
		}
	}
	if m := ev.Membership; ev.Kind == event.KindMembership || m != (event.Membership{}) {
		g.Membership = &goldenMembership{Group: string(m.Group), Action: m.Action.String(), Member: actorName(m.Member)}
	}
	if h := ev.Handover; ev.Kind == event.KindHandover || h != (event.Handover{}) {
		g.Handover = &goldenHandover{ConversationID: string(h.ConversationID), To: h.To.String(), User: string(h.User)}
	}
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatalf("render event: %v", err)
	}
	return b
}

// renderError is the golden line of a record that does not decode.
func renderError(t *testing.T, err error) []byte {
	t.Helper()
	b, merr := json.Marshal(struct {
		Poison string `json:"poison"`
		Error  string `json:"error"`
	}{string(ReasonOf(err)), err.Error()})
	if merr != nil {
		t.Fatalf("render error: %v", merr)
	}
	return b
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return lines
}

// compareGolden checks got, one rendered line per record, against the golden file, or rewrites it under
// -update.
func compareGolden(t *testing.T, path string, got [][]byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, append(bytes.Join(got, []byte("\n")), '\n'), 0o644); err != nil {
			t.Fatalf("write %s: %v", path, err)
		}
		return
	}
	want := readLines(t, path)
	if len(want) != len(got) {
		t.Fatalf("%s has %d lines, the decoder produced %d", path, len(want), len(got))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, got[i], want[i])
		}
	}
}

// eventStrings lists every string of an event.
func eventStrings(ev *event.Event) []string {
	m, r, x, g, h := &ev.Message, &ev.Receipt, &ev.Reaction, &ev.Membership, &ev.Handover
	strs := []string{
		string(ev.Tenant), ev.Platform,
		string(m.ID), string(m.ConversationID), string(m.Sender.ID), m.Recipient.ID, string(m.Parent), m.ContentType,
		string(r.Msg), string(r.Member),
		string(x.Target), string(x.Actor.ID), x.Emoji,
		string(g.Group), string(g.Member.ID),
		string(h.ConversationID), string(h.User),
		string(ev.Reactions.Target),
	}
	for _, it := range ev.Reactions.Items {
		strs = append(strs, string(it.Actor.ID), it.Emoji)
	}
	return strs
}

// assertOwnMemory fails when a string of ev points into the record it was decoded from: such a string would
// keep the whole record, body included, alive.
func assertOwnMemory(t testing.TB, ev *event.Event, value []byte) {
	t.Helper()
	if len(value) == 0 {
		return
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(value)))
	hi := lo + uintptr(len(value))
	for _, s := range eventStrings(ev) {
		if s == "" {
			continue
		}
		if p := uintptr(unsafe.Pointer(unsafe.StringData(s))); lo <= p && p < hi {
			t.Fatalf("event string %q refers to the record's memory", clip(s))
		}
	}
}
