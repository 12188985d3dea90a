package testenv

import (
	"fmt"
	"os"
	"path/filepath"
)

// ReportEnv names a directory where tests leave the figures a run should show even when it runs
// without -v (as `make test` and CI do); `make test` prints every file in it after the suite.
const ReportEnv = "CHATPULSE_TEST_REPORTS"

// Report appends text as one paragraph to the report called name. Without ReportEnv it does
// nothing: the figures are then only in the test's own log.
func Report(name, text string) error {
	dir := os.Getenv(ReportEnv)
	if dir == "" {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(dir, name+".txt"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("test report %s: %w", name, err)
	}
	if _, err := fmt.Fprintln(f, text); err != nil {
		f.Close()
		return fmt.Errorf("test report %s: %w", name, err)
	}
	return f.Close()
}
