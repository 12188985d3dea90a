package gen

import (
	"reflect"
	"testing"
)

func TestSameRows(t *testing.T) {
	tests := []struct {
		name      string
		got, want []string
		same      bool
	}{
		{"equal rows are the same", []string{"a\t1"}, []string{"a\t1"}, true},
		{"fractions within 1e-9 are the same", []string{"x\t0.13347193347193348"}, []string{"x\t0.1334719334719335"}, true},
		{"fractions further apart differ", []string{"x\t0.1335"}, []string{"x\t0.1334"}, false},
		{"integers must be equal", []string{"x\t320"}, []string{"x\t321"}, false},
		{"text must be equal", []string{"x\tab"}, []string{"x\tac"}, false},
		{"a missing row differs", []string{"a"}, []string{"a", "b"}, false},
		{"a missing field differs", []string{"a\t1"}, []string{"a\t1\t2"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SameRows(tt.got, tt.want); got != tt.same {
				t.Fatalf("SameRows = %v, want %v", got, tt.same)
			}
		})
	}
}

func TestWithoutColumn(t *testing.T) {
	got := WithoutColumn([]string{"a\tb\tc", "d\te\tf"}, 1)
	if want := []string{"a\tc", "d\tf"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
