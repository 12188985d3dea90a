package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReportsAppendParagraphsToTheNamedFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(ReportEnv, dir)
	for _, text := range []string{"first figure", "second figure"} {
		if err := Report("chaos", text); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(filepath.Join(dir, "chaos.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "first figure\nsecond figure\n"; string(got) != want {
		t.Errorf("report: got %q, want %q", got, want)
	}
}

func TestReportsWithoutADirectoryWriteNothing(t *testing.T) {
	t.Setenv(ReportEnv, "")
	if err := Report("chaos", "figure"); err != nil {
		t.Errorf("report without %s: %v", ReportEnv, err)
	}
}
