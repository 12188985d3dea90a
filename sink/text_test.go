package sink

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/chatpulse/chatpulse/rows"
)

// cutSet returns a set with two rows of every table, each string field cut from buf, a
// distinct value per field and row.
func cutSet(t *testing.T, buf string) *rows.Set {
	t.Helper()
	set := &rows.Set{}
	next := 0
	sv := reflect.ValueOf(set).Elem()
	for f := range sv.NumField() {
		table := sv.Field(f)
		table.Set(reflect.MakeSlice(table.Type(), 2, 2))
		for r := range 2 {
			row := table.Index(r)
			for c := range row.NumField() {
				if row.Field(c).Kind() == reflect.String {
					row.Field(c).SetString(buf[next : next+3])
					next += 3
				}
			}
		}
	}
	return set
}

// stringsOf returns every string field of the set's rows.
func stringsOf(set *rows.Set) []string {
	var out []string
	sv := reflect.ValueOf(set).Elem()
	for f := range sv.NumField() {
		table := sv.Field(f)
		for r := range table.Len() {
			row := table.Index(r)
			for c := range row.NumField() {
				if row.Field(c).Kind() == reflect.String {
					out = append(out, row.Field(c).String())
				}
			}
		}
	}
	return out
}

func within(s, buf string) bool {
	p, b := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(buf)))
	return len(s) > 0 && p >= b && p < b+uintptr(len(buf))
}

func TestWaitingRowsKeepNoStringOfTheBufferTheyWereCutFrom(t *testing.T) {
	buf := strings.Repeat("abcdefghijklmnopqrstuvwxyz", 40)
	set := cutSet(t, buf)
	want := stringsOf(set)
	if len(want) < 30 {
		t.Fatalf("the set has only %d strings", len(want))
	}

	var tx text
	var held rows.Set
	tx.appendDetached(&held, set)

	got := stringsOf(&held)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("detaching changed the values:\n got %q\nwant %q", got, want)
	}
	for i, s := range got {
		if within(s, buf) {
			t.Errorf("string %d (%q) still points into the buffer it was cut from", i, s)
		}
	}
}

func TestDetachingLeavesTheRowsAlreadyHeldAlone(t *testing.T) {
	buf := strings.Repeat("xyz", 200)
	var tx text
	var held rows.Set
	held.Append(cutSet(t, buf))
	tx.appendDetached(&held, cutSet(t, buf))
	if !within(held.Messages[0].MsgID, buf) {
		t.Fatal("a row held before the submission was copied again")
	}
	if within(held.Messages[2].MsgID, buf) {
		t.Fatal("a row of the submission was not copied")
	}
}

func TestALongStringIsCopiedWholeAndARepeatedValueShared(t *testing.T) {
	long := strings.Repeat("long", textChunkBytes/2)
	var tx text
	if got := tx.copy("short"); got != "short" {
		t.Fatalf("copy gave %q", got)
	}
	if got := tx.copy(long); got != long {
		t.Fatalf("a %d-byte string came back as %d bytes", len(long), len(got))
	}
	first := tx.repeat(slotSource, "causalfoundry")
	again := tx.repeat(slotSource, strings.Clone("causalfoundry"))
	if first != "causalfoundry" || unsafe.StringData(again) != unsafe.StringData(first) {
		t.Fatalf("a repeated value was not shared: %q, %q", first, again)
	}
}
